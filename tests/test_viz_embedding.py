"""The embedding chapter's figures and helpers (layers_lib.viz.embedding)."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")
ve = viz.embedding


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


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


def test_lookup_figure_writes_the_looked_up_rows():
    w = np.arange(12.0).reshape(4, 3) / 10
    ids = [2, 0, 2]
    fig = ve.lookup_figure(ids, w, labels=list("abcd"))
    one_hot_ax, table_ax, out_ax = fig.axes
    assert one_hot_ax.get_title() == "one-hot (3 × 4)" and table_ax.get_title() == "weight (4 × 3)"
    assert out_ax.get_xlabel() == "embedding dimension" and one_hot_ax.get_xlabel() == "vocabulary id"
    written = [float(t.get_text().replace("−", "-")) for t in out_ax.texts]
    np.testing.assert_allclose(written, w[ids].ravel())
    outlined = [p for p in table_ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert sorted(round(p.get_y() + 0.42) for p in outlined) == [0, 2]  # rows 0 and 2
    with pytest.raises(ValueError, match="integer ids"):
        ve.lookup_figure([4], w)
    with pytest.raises(ValueError, match="integer ids"):
        ve.lookup_figure(np.array([1.0]), w)


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


def test_snapshot_explorer_frames_and_readouts_differ_per_slider():
    runs, vocab, classes = _runs(), list("abcdef"), [0, 0, 1, 1, 2, 2]
    pngs, readouts = set(), set()
    for step in (0, 10, 20):
        for dim in (2, 4):
            fig = ve.snapshot_frame(runs, step, dim, vocab, classes, ["p", "q", "r"])
            assert f"{dim}-D embeddings after {step} Adam steps" in fig.axes[0].get_title()
            pngs.add(_png(fig))
            readouts.add(ve.snapshot_readout(runs, step, dim, classes, floor=1.0))
    assert len(pngs) == 6 and len(readouts) == 6
    assert ve.snapshot_frame(runs, 0, 4, vocab, classes, ["p", "q", "r"]).axes[0].get_xlabel() == \
        "principal component 1"
    text = ve.snapshot_readout(runs, 10, 2, classes, floor=1.0)
    assert "loss <b>1.500</b>" in text and "best possible 1.000" in text
    with pytest.raises(ValueError, match="not recorded"):
        ve.snapshot_frame(runs, 5, 2, vocab, classes, ["p", "q", "r"])
    with pytest.raises(ValueError, match="no training run"):
        ve.snapshot_readout(runs, 0, 8, classes)


def test_snapshot_axes_are_shared_across_steps():
    runs, vocab, classes = _runs(), list("abcdef"), [0, 0, 1, 1, 2, 2]
    limits = {ve.snapshot_frame(runs, s, 4, vocab, classes, ["p", "q", "r"]).axes[0].get_xlim()
              for s in (0, 10, 20)}
    assert len(limits) == 1
