"""The attention chapter's figures and helpers (layers_lib.viz.attention)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest
from matplotlib.patches import Rectangle

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")
va = viz.attention


def test_entropy_bits():
    np.testing.assert_allclose(va.entropy_bits([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), [0.0, 1.0])
    np.testing.assert_allclose(va.entropy_bits(np.full((2, 8), 1 / 8)), [3.0, 3.0])
    p = np.random.default_rng(0).dirichlet(np.ones(5), size=3)
    np.testing.assert_allclose(va.entropy_bits(p), -np.sum(p * np.log(p), axis=1) / np.log(2))


def _softmax_weights(query: int, temperature: float) -> np.ndarray:
    """The look-up's weights computed here, with numpy alone: softmax(q · k / (sqrt(d) · T))."""
    ex = va.lookup_example()
    scores = ex["keys"] @ ex["queries"][query] / (np.sqrt(2) * temperature)
    e = np.exp(scores - scores.max())
    return e / e.sum()


def _marks(panel: dict, kind: str) -> list[dict]:
    return [m for m in panel["marks"] if m["m"] == kind]


@pytest.mark.parametrize("query, temperature", [(3, 0.5), (0, 0.05), (2, 5.0)])
def test_soft_lookup_frame_shows_the_weights_of_the_look_up(query, temperature):
    ex = va.lookup_example()
    w = _softmax_weights(query, temperature)
    f = va.soft_lookup_frame(query=query, temperature=temperature)
    json.dumps(f)  # a frame is JSON
    assert f["title"] == f"Soft look-up: query q{query}, temperature {temperature:g}"
    plane, bars = f["panels"]
    assert (plane["xl"], plane["yl"], bars["xl"]) == ("dimension 1", "dimension 2", "key")
    # the bars are the weights, and each bar's height is written above it
    (bar,) = _marks(bars, "bar")
    np.testing.assert_allclose(bar["x"], range(6))
    np.testing.assert_allclose(bar["y"], w, rtol=1e-3, atol=5e-5 + 1e-12)  # drawn to four decimals
    assert [m["s"] for m in _marks(bars, "text")] == [f"{v:.2f}" for v in w]
    assert f"output = Σ w·v = {w @ ex['values']:.1f}" in bars["title"]
    # the keys sit at their coordinates, labelled with their values; a heavier key is drawn larger
    (pts,) = _marks(plane, "pt")
    np.testing.assert_allclose(np.column_stack([pts["x"], pts["y"]]), ex["keys"], rtol=1e-3)
    np.testing.assert_allclose(np.square(pts["r"]), 9 + 196 * w, rtol=2e-3, atol=0.01)
    texts = [m["s"] for m in _marks(plane, "text")]
    assert texts[:6] == [f"k{j}: {v:g}" for j, v in enumerate(ex["values"])] and texts[6] == f"q{query}"
    (arrow,) = _marks(plane, "arrow")
    np.testing.assert_allclose([arrow["x"][1], arrow["y"][1]], ex["queries"][query], rtol=1e-3)
    assert arrow["x"][0] == arrow["y"][0] == 0


def test_soft_lookup_frame_keeps_its_axes_and_rejects_bad_settings():
    ex = va.lookup_example()
    limits = {(tuple(p["x"]), tuple(p["y"])) for q in range(5) for t in (0.05, 1.0, 5.0)
              for p in va.soft_lookup_frame(q, t)["panels"]}
    assert len(limits) == 2  # one pair of limits per panel, whatever the setting
    (plane_x, plane_y), = [lim for lim in limits if lim[1][0] < 0]
    inside = np.abs(np.vstack([ex["keys"], ex["queries"]]))
    assert inside.max() < plane_x[1] and inside.max() < plane_y[1] and plane_x == plane_y
    with pytest.raises(ValueError, match="query must be in \\[0, 4\\], got 5"):
        va.soft_lookup_frame(query=5)
    with pytest.raises(ValueError, match="temperature must be positive, got 0"):
        va.soft_lookup_frame(temperature=0)


def test_soft_lookup_explorer_frames_and_readouts_differ_per_slider():
    frames, readouts = set(), set()
    for query in (0, 2, 4):
        for temperature in (0.05, 1.0, 5.0):
            frames.add(json.dumps(va.soft_lookup_frame(query, temperature), sort_keys=True))
            readouts.add(va.soft_lookup_readout(query, temperature))
    assert len(frames) == 9 and len(readouts) == 9


def test_soft_lookup_explorer_is_data_and_fits_in_a_page():
    ex = viz.explore(va.soft_lookup_frame, {"query": [0, 1, 2, 3, 4],
                                            "temperature": [0.05, 0.2, 0.5, 1.0, 5.0]},
                     readout=va.soft_lookup_readout, mode="static")
    kinds = {p["t"] for f in ex.frames for p in f["panels"]}
    assert kinds == {"chart"} and "<img" not in ex.html and "data:image" not in ex.html
    assert ex.payload < 250_000


def test_soft_lookup_readout_limits():
    sharp = va.soft_lookup_readout(0, 0.01)
    assert "max weight <b>1.00</b> on k0" in sharp and "entropy <b>0.00</b> bits" in sharp
    assert "output 10.0 (hard look-up: 10)" in sharp
    flat = va.soft_lookup_readout(0, 1e4)
    assert "entropy <b>2.58</b> bits (uniform: 2.58)" in flat and "output 35.0" in flat


def test_scaling_figure_panels():
    panels = {"a": {"x": [1, 2, 3, 4], "y": [1, 1, 1, 1]}, "b": {"x": [0, 1, 0, 1]}, "c": {"x": [4, 3, 2, 1]}}
    fig = va.scaling_figure([1, 2, 4, 8], panels, title="T", logy=["a"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["a", "b", "c"] and len(fig.axes) == 4
    assert visible[0].get_yscale() == "log" and visible[1].get_yscale() == "linear"
    assert visible[0].get_xscale() == "log" and visible[0].get_xlabel() == "dimension d of queries and keys"
    assert len(visible[0].get_lines()) == 2 and fig._suptitle.get_text() == "T"


def test_mask_figure_crosses_blocked_cells():
    mask = ll.causal_mask(4)
    _, w = ll.scaled_dot_product_attention(np.eye(4), np.eye(4), np.eye(4), attn_mask=mask)
    fig = va.mask_figure(mask, w, labels=list("abcd"))
    left, right = fig.axes[:2]
    assert sum(t.get_text() == "×" for t in left.texts) == mask.sum() == 6
    written = np.array([float(t.get_text()) for t in right.texts]).reshape(4, 4)
    np.testing.assert_allclose(written, np.round(w, 2))
    assert left.get_xlabel() == "key position" and right.get_ylabel() == "query position"
    with pytest.raises(ValueError, match="one 2-D shape"):
        va.mask_figure(mask, w[:3])


def test_head_heatmaps_one_panel_per_head():
    mha = ll.MultiheadAttention(8, 4, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(1, 5, 8))
    _, w = mha(x, x, x)
    fig = va.head_heatmaps(w[0], labels=list("vwxyz"))
    heads = [ax for ax in fig.axes if ax.get_title().startswith("head")]
    assert [ax.get_title() for ax in heads] == ["head 0", "head 1", "head 2", "head 3"]
    assert [t.get_text() for t in heads[0].get_xticklabels()] == list("vwxyz")
    np.testing.assert_allclose(heads[2].images[0].get_array(), w[0, 2])
    with pytest.raises(ValueError, match=r"\(h, L, S\)"):
        va.head_heatmaps(w[0, 0])


def _mha_weights(heads=4, L=5):
    mha = ll.MultiheadAttention(8, heads, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(1, L, 8))
    return mha(x, x, x)[1][0]  # (h, L, L)


def test_head_weights_frame_writes_each_weight_in_its_cell():
    w = _mha_weights()
    f = va.head_weights_frame(w, 2, labels=list("vwxyz"))
    json.dumps(f)
    (g,) = f["panels"]
    assert g["t"] == "grid" and g["fill"] == ["hhhhh"] * 5
    assert g["ri"] == g["ci"] == list("vwxyz") and g["title"].startswith("head 2")
    written = np.array([[float(v) for v in row] for row in g["labels"]])
    np.testing.assert_allclose(written, w[2], atol=0.005 + 1e-12)
    np.testing.assert_allclose(g["heat"], w[2], atol=5e-4)  # the shade is the weight itself
    rows = [i for i, _ in g["outline"]]
    assert rows == list(range(5))
    for i, j in g["outline"]:
        assert w[2, i, j] == w[2, i].max()


def test_head_weights_frame_rejects_bad_input():
    w = _mha_weights()
    with pytest.raises(ValueError, match=r"head_weights_frame expected weights of shape \(h, L, S\), "
                                         r"got \(5, 5\)"):
        va.head_weights_frame(w[0], 0)
    with pytest.raises(ValueError, match=r"head_weights_frame expected a head in \[0, 3\], got 4"):
        va.head_weights_frame(w, 4)
    with pytest.raises(ValueError, match="head_explorer expected weights of shape"):
        va.head_explorer(w[0])


def test_head_explorer_one_frame_per_head_with_entropy_and_strongest_keys():
    w = _mha_weights()
    ex = va.head_explorer(w, labels=list("vwxyz"), title="T")
    assert ex.params == {"head": [0, 1, 2, 3]} and len({json.dumps(f) for f in ex.frames}) == 4
    for head, text in enumerate(ex.readouts):
        p = w[head]
        entropy = np.mean(-np.sum(p * np.log2(p), axis=1))
        assert f"mean entropy <b>{entropy:.2f}</b> bits (uniform: {np.log2(5):.2f})" in text
        looks = ", ".join(f"{'vwxyz'[i]}→{'vwxyz'[j]}" for i, j in enumerate(p.argmax(axis=1)))
        assert text.endswith(looks)
    assert "data:image" not in ex.html and ex.payload < 250_000


def test_retrieval_figure_outlines_the_targets():
    w = np.array([[0.1, 0.8, 0.1], [0.9, 0.05, 0.05]])
    fig = va.retrieval_figure(w, [1, 0], cell_labels=[["A1", "B2", "C?"], ["D3", "E4", "D?"]])
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert [(round(b.get_x() + 0.46), round(b.get_y() + 0.44)) for b in boxes] == [(1, 0), (0, 1)]
    assert "B2" in [t.get_text() for t in ax.texts]
    assert ax.get_xlabel() == "position in the sequence" and ax.get_title()
    with pytest.raises(ValueError, match="targets"):
        va.retrieval_figure(w, [1])
