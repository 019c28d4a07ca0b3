"""The attention chapter's figures and helpers (layers_lib.viz.attention)."""

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
va = viz.attention


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def test_entropy_bits():
    np.testing.assert_allclose(va.entropy_bits([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), [0.0, 1.0])
    np.testing.assert_allclose(va.entropy_bits(np.full((2, 8), 1 / 8)), [3.0, 3.0])
    p = np.random.default_rng(0).dirichlet(np.ones(5), size=3)
    np.testing.assert_allclose(va.entropy_bits(p), -np.sum(p * np.log(p), axis=1) / np.log(2))


def test_soft_lookup_frame_shows_the_weights_of_the_library():
    ex = va.lookup_example()
    fig = va.soft_lookup_frame(query=3, temperature=0.5)
    plane, bars = fig.axes
    assert plane.get_xlabel() == "dimension 1" and bars.get_xlabel() == "key (value)"
    assert "query q3, temperature 0.5" in fig._suptitle.get_text()
    _, w = ll.scaled_dot_product_attention(ex["queries"] / 0.5, ex["keys"], ex["values"][:, None])
    np.testing.assert_allclose([b.get_height() for b in bars.patches], w[3])
    out = w[3] @ ex["values"]
    assert f"{out:.1f}" in bars.get_title()
    with pytest.raises(ValueError, match="query"):
        va.soft_lookup_frame(query=5)
    with pytest.raises(ValueError, match="temperature"):
        va.soft_lookup_frame(temperature=0)


def test_soft_lookup_explorer_frames_and_readouts_differ_per_slider():
    pngs, readouts = set(), set()
    for query in (0, 2, 4):
        for temperature in (0.05, 1.0, 5.0):
            pngs.add(_png(va.soft_lookup_frame(query, temperature)))
            readouts.add(va.soft_lookup_readout(query, temperature))
    assert len(pngs) == 9 and len(readouts) == 9


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
