"""The embedding chapter's figures and helpers (layers_lib.viz.embedding)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")
ve = viz.embedding


def test_toy_language_follows_its_grammar_and_is_seeded():
    lang = ve.toy_language(50, seed=3)
    vocab, classes = lang["vocab"], lang["classes"]
    assert len(vocab) == len(classes) == 14 and len(set(vocab)) == 14
    cls = dict(zip(vocab, classes, strict=True))
    det, adj, noun, verb = range(4)
    for sentence in lang["sentences"]:
        tags = [cls[w] for w in sentence]
        verb_at = tags.index(verb)
        for phrase in (tags[:verb_at], tags[verb_at + 1:]):
            assert phrase in ([det, noun], [det, adj, noun])
    assert lang["sentences"] == ve.toy_language(50, seed=3)["sentences"]
    assert lang["sentences"] != ve.toy_language(50, seed=4)["sentences"]


def _floats(labels) -> np.ndarray:
    return np.array([[float(v.replace("−", "-")) for v in row] for row in labels])


@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_lookup_frame_copies_the_row_of_the_id_at_each_position(position):
    w = np.round(np.random.default_rng(0).normal(size=(6, 3)), 1)
    ids = np.array([3, 0, 3, 5])
    one_hot = (np.arange(6)[None, :] == ids[:, None]).astype(float)  # (T, V), built here
    expected = one_hot @ w  # the lookup as a product
    f = ve.lookup_frame(ids, w, position)
    json.dumps(f)
    id_row, hot, table, output = f["panels"]
    assert f["title"] == f"Embedding lookup: position {position} holds id {ids[position]}"
    assert id_row["labels"] == [["3", "0", "3", "5"]] and id_row["fill"][0][position] == "t"
    # the one-hot matrix, its current row highlighted and its 1 marked
    np.testing.assert_array_equal(np.array(hot["labels"], dtype=float), one_hot)
    marked = [(i, j) for i, row in enumerate(hot["fill"]) for j, c in enumerate(row) if c == "s"]
    assert marked == [(position, ids[position])]
    assert set(hot["fill"][position]) == {"t", "s"}
    # the table, with the row that is picked highlighted
    np.testing.assert_allclose(_floats(table["labels"]), w)
    assert [i for i, row in enumerate(table["fill"]) if set(row) == {"t"}] == [ids[position]]
    assert table["ri"] == [f"id {i}" for i in range(6)] and table["ci"] == ["d0", "d1", "d2"]
    # the output, filled in up to this position and not yet computed after it
    np.testing.assert_allclose(_floats(output["labels"][:position + 1]), expected[:position + 1])
    assert all(row == ["", "", ""] for row in output["labels"][position + 1:])
    assert output["fill"] == ["ccc"] * position + ["ttt"] + ["eee"] * (3 - position)
    assert f"weight[{ids[position]}] = [{', '.join(f'{v:.1f}' for v in w[ids[position]])}]".replace(
        "-", "−") in f["notes"][0]


def test_lookup_frame_and_explorer_reject_bad_ids_and_positions():
    w = np.arange(12.0).reshape(4, 3) / 10
    with pytest.raises(ValueError, match=r"lookup_frame expected integer ids in \[0, 3\], got \[4\]"):
        ve.lookup_frame([4], w, 0)
    with pytest.raises(ValueError, match="lookup_frame expected integer ids"):
        ve.lookup_frame(np.array([1.0]), w, 0)
    with pytest.raises(ValueError, match=r"lookup_frame expected a position in \[0, 1\], got 2"):
        ve.lookup_frame([1, 2], w, 2)
    with pytest.raises(ValueError, match="lookup_explorer expected integer ids"):
        ve.lookup_explorer([-1], w)


def test_lookup_explorer_one_frame_per_position_and_names_unused_rows():
    w = np.round(np.random.default_rng(0).normal(size=(6, 3)), 1)
    ids = [3, 0, 3, 5]
    ex = ve.lookup_explorer(ids, w, labels=list("abcdef"))
    assert ex.params == {"position": [0, 1, 2, 3]} and len({json.dumps(f) for f in ex.frames}) == 4
    assert ex.frames[0]["panels"][2]["ri"] == list("abcdef")
    assert ex.readouts[0].startswith("position 0: id 3; rows used so far: 3;")
    assert "rows used so far: 0, 3 (row 3 twice)" in ex.readouts[2]
    unused = sorted(set(range(6)) - set(ids))
    never = f"rows never used by these ids: {', '.join(map(str, unused))}"
    assert all(r.endswith(never) for r in ex.readouts)
    assert "data:image" not in ex.html and ex.payload < 250_000


def test_gradient_rows_hatches_untouched_rows_and_marks_padding():
    emb = ll.Embedding(6, 2, padding_idx=0, rng=np.random.default_rng(0))
    ids = np.array([[3, 1, 3, 0]])
    emb(ids)
    emb.backward(np.ones((1, 4, 2)))
    fig = ve.gradient_rows(emb.weight.grad, np.bincount(ids.ravel(), minlength=6), padding_idx=0)
    bars, grid = fig.axes
    assert [b.get_width() for b in bars.patches] == [1, 1, 0, 2, 0, 0]
    hatched = [p for p in grid.patches if p.get_hatch()]
    assert len(hatched) == 4  # rows 0 (padding), 2, 4, 5 are exactly zero
    assert "(padding)" in [t.get_text() for t in grid.get_yticklabels()][0]
    assert sorted(float(t.get_text()) for t in grid.texts) == [1.0, 1.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="one per row"):
        ve.gradient_rows(emb.weight.grad, [1, 2])


def test_project_2d_keeps_small_tables_and_uses_principal_components():
    w2 = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(ve.project_2d(w2), w2)
    assert ve.project_2d(np.ones((3, 1))).shape == (3, 2)
    rng = np.random.default_rng(1)
    w = np.zeros((50, 6))
    w[:, 2] = 10 * rng.normal(size=50)      # most variance along axis 2
    w[:, 4] = rng.normal(size=50)           # then axis 4
    p = ve.project_2d(w)
    centred = w - w.mean(axis=0)
    top2 = np.linalg.svd(centred, compute_uv=False)[:2] ** 2
    np.testing.assert_allclose(np.sum(p**2, axis=0), top2)      # the two largest variances
    assert abs(p[:, 0] @ p[:, 1]) < 1e-8                          # uncorrelated coordinates
    assert np.corrcoef(p[:, 0], w[:, 2])[0, 1] > 0.99             # first axis ~ the widest direction
    # a reference fixes the axes: projecting the reference itself gives the same view
    np.testing.assert_allclose(ve.project_2d(w, reference=w), p)


def test_class_separation_is_small_for_clusters_and_large_without_them():
    classes = np.repeat([0, 1, 2], 10)
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    clustered = centres[classes] + 0.1 * rng.normal(size=(30, 2))
    assert ve.class_separation(clustered, classes) < 0.05
    assert ve.class_separation(rng.normal(size=(30, 2)), classes) > 1
    with pytest.raises(ValueError, match="two classes"):
        ve.class_separation(clustered, np.zeros(30))


def test_embedding_map_labels_every_word_with_one_marker_per_class():
    fig = ve.embedding_map(np.array([[0.0, 0], [0.1, 0], [3, 3]]), ["a", "b", "c"], [0, 0, 1], ["x", "y"],
                           title="T", xlabel="X", ylabel="Y")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "X", "Y")
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y"]
    with pytest.raises(ValueError, match="embedding_map"):
        ve.embedding_map(np.zeros((2, 3)), ["a", "b"], [0, 1], ["x", "y"])


def _runs():
    rng = np.random.default_rng(0)
    runs = {}
    for dim in (2, 4):
        weights = [rng.normal(size=(6, dim)) * s for s in (1.0, 0.5, 0.2)]
        runs[dim] = {"step": [0, 10, 20], "weight": weights, "loss": [2.0, 1.5, 1.2]}
    return runs


def _points(chart) -> list[np.ndarray]:
    """The point marks of a chart, one (n, 2) array per class (in legend order)."""
    return [np.column_stack([m["x"], m["y"]]) for m in chart["marks"] if m["m"] == "pt"]


def test_snapshot_frame_plots_the_table_at_that_step():
    runs, vocab, classes = _runs(), list("abcdef"), np.array([0, 0, 1, 1, 2, 2])
    for k, step in enumerate((0, 10, 20)):
        f = ve.snapshot_frame(runs, step, 2, vocab, classes, ["p", "q", "r"])
        json.dumps(f)
        (chart,) = f["panels"]
        assert chart["title"] == f"2-D embeddings after {step} Adam steps (loss {runs[2]['loss'][k]:.3f})"
        assert (chart["xl"], chart["yl"]) == ("embedding dimension 1", "embedding dimension 2")
        assert [item[2] for item in chart["legend"]] == ["p", "q", "r"]
        w = runs[2]["weight"][k]  # a 2-D table is drawn as it is
        for c, pts in enumerate(_points(chart)):
            np.testing.assert_allclose(pts, w[classes == c], rtol=1e-3, atol=1e-6)
        words = [m["s"] for m in chart["marks"] if m["m"] == "text"]
        assert words == vocab


def test_snapshot_frame_projects_wider_tables_on_the_final_principal_components():
    runs, vocab, classes = _runs(), list("abcdef"), np.array([0, 0, 1, 1, 2, 2])
    final = runs[4]["weight"][-1]
    mean = final.mean(axis=0)
    _, _, vt = np.linalg.svd(final - mean)
    for k, step in enumerate((0, 10, 20)):
        (chart,) = ve.snapshot_frame(runs, step, 4, vocab, classes, ["p", "q", "r"])["panels"]
        assert chart["xl"] == "principal component 1"
        view = (runs[4]["weight"][k] - mean) @ vt[:2].T  # computed here; the sign of an axis is free
        for c, pts in enumerate(_points(chart)):
            np.testing.assert_allclose(np.abs(pts), np.abs(view[classes == c]), rtol=1e-3, atol=1e-4)


def test_snapshot_axes_are_shared_across_steps_and_hold_every_point():
    runs, vocab, classes = _runs(), list("abcdef"), [0, 0, 1, 1, 2, 2]
    charts = [ve.snapshot_frame(runs, s, 4, vocab, classes, ["p", "q", "r"])["panels"][0]
              for s in (0, 10, 20)]
    assert len({(tuple(c["x"]), tuple(c["y"])) for c in charts}) == 1
    for chart in charts:
        pts = np.vstack(_points(chart))
        assert (chart["x"][0] < pts[:, 0]).all() and (pts[:, 0] < chart["x"][1]).all()
        assert (chart["y"][0] < pts[:, 1]).all() and (pts[:, 1] < chart["y"][1]).all()
        labels = [m for m in chart["marks"] if m["m"] == "text"]
        assert all(chart["y"][0] <= m["y"] <= chart["y"][1] for m in labels)  # labels stay inside


def test_snapshot_explorer_frames_and_readouts_differ_per_slider():
    runs, vocab, classes = _runs(), list("abcdef"), [0, 0, 1, 1, 2, 2]
    frames, readouts = set(), set()
    for step in (0, 10, 20):
        for dim in (2, 4):
            frames.add(json.dumps(ve.snapshot_frame(runs, step, dim, vocab, classes, ["p", "q", "r"])))
            readouts.add(ve.snapshot_readout(runs, step, dim, classes, floor=1.0))
    assert len(frames) == 6 and len(readouts) == 6
    text = ve.snapshot_readout(runs, 10, 2, classes, floor=1.0)
    assert "loss <b>1.500</b>" in text and "best possible 1.000" in text
    with pytest.raises(ValueError, match=r"step 5 was not recorded; recorded steps: \[0, 10, 20\]"):
        ve.snapshot_frame(runs, 5, 2, vocab, classes, ["p", "q", "r"])
    with pytest.raises(ValueError, match=r"no training run for embedding size 8; have \[2, 4\]"):
        ve.snapshot_readout(runs, 0, 8, classes)
