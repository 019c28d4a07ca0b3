"""The Transformer chapter's figures and helpers (layers_lib.viz.transformer)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.patches import FancyBboxPatch

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")
vt = viz.transformer


def test_block_diagram_draws_both_orders():
    fig = vt.block_diagram()
    post, pre = fig.axes
    for ax in (post, pre):
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        adds = [line for line in ax.lines if line.get_marker() == "o"]  # the "+" nodes
        assert len(boxes) == 4 and len(adds) == 2  # attention, FFN, two LayerNorms; two residual sums
    def order(ax):  # the box labels from bottom to top
        texts = [t for t in ax.texts if t.get_text() in ("multi-head self-attention", "LayerNorm (norm1)")]
        return [t.get_text() for t in sorted(texts, key=lambda t: t.get_position()[1])]
    assert order(post) == ["multi-head self-attention", "LayerNorm (norm1)"]
    assert order(pre) == ["LayerNorm (norm1)", "multi-head self-attention"]
    assert "pre-norm" in pre.get_title() and "post-norm" in post.get_title()


def test_block_diagram_text_is_at_least_the_minimum_font_size():
    fig = vt.block_diagram()
    texts = [t for ax in fig.axes for t in ax.texts] + [ax.title for ax in fig.axes]
    assert min(t.get_fontsize() for t in texts) >= viz.MIN_FONT_PT


def _pe(positions, d, base):
    """The sinusoidal table written out from its definition, independently of layers_lib."""
    pe = np.zeros((positions, d))
    for p in range(positions):
        for i in range(0, d, 2):
            pe[p, i] = np.sin(p / base ** (i / d))
            if i + 1 < d:
                pe[p, i + 1] = np.cos(p / base ** (i / d))
    return pe


@pytest.mark.parametrize("d_model, base", [(16, 100.0), (32, 10000.0)])
def test_positional_frame_is_the_table_and_the_dot_products_as_data(d_model, base):
    f = vt.positional_frame(d_model, base=base, positions=20, reference=5)
    heat, curve = f["panels"]
    assert heat["t"] == curve["t"] == "chart"  # drawn by the page: no image anywhere
    (cells,) = [m for m in heat["marks"] if m["m"] == "cells"]
    pe = _pe(20, d_model, base)
    # row p of the heat map is position p (row 0 at the top), colours on [-1, 1]; entries to 0.01
    np.testing.assert_allclose(cells["v"], pe, atol=0.0051)
    assert cells["div"] == 1 and cells["y0"] == 19.5 and cells["dy"] == -1
    assert heat["xl"] == "dimension" and heat["yl"] == "position"
    assert dict((label, v) for v, label in heat["yt"])["0"] == 19  # position 0 is drawn at the top
    (line,) = [m for m in curve["marks"] if m["m"] == "line"]
    assert line["x"] == list(range(20))
    np.testing.assert_allclose(line["y"], pe @ pe[5], rtol=1e-3, atol=1e-3)
    assert f"largest, {d_model // 2}, at p = 5" in curve["title"]
    assert curve["y"] == [-0.55 * d_model, 0.55 * d_model]  # fixed: |PE[r] · PE[p]| <= d_model / 2
    assert {"m": "rule", "x": 5, "dash": 1} in curve["marks"]


def test_positional_explorer_fits_in_a_page_and_rejects_bad_settings():
    ex = viz.explore(vt.positional_frame, {"d_model": [16, 32, 64], "base": [100, 1000, 10000]},
                     readout=vt.positional_readout, mode="static", title="PE")
    assert ex.payload < 250_000 and len({str(f) for f in ex.frames}) == 9
    with pytest.raises(ValueError, match="reference in \\[0, 19\\], got 20"):
        vt.positional_frame(16, positions=20, reference=20)
    with pytest.raises(ValueError, match="positional_frame expected d_model >= 2, got 1"):
        vt.positional_frame(1)
    with pytest.raises(ValueError, match="positions >= 2"):
        vt.positional_frame(8, positions=1)


def test_positional_readout_gives_the_wavelengths():
    text = vt.positional_readout(32, 10000.0)
    assert "<b>6.3</b>" in text and f"<b>{2 * np.pi * 10000 ** (30 / 32):.1f}</b>" in text
    assert vt.positional_readout(16) != vt.positional_readout(32)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_block_attention_weights_are_the_blocks_own(norm_first, batch_first):
    rng = np.random.default_rng(0)
    layer = ll.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first, norm_first=norm_first, rng=rng)
    x = rng.normal(size=(3, 5, 8) if batch_first else (5, 3, 8))
    mask = ll.causal_mask(5)
    w = vt.block_attention_weights(layer, x, src_mask=mask)
    assert w.shape == (3, 2, 5, 5)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    assert (w[..., mask] == 0).all()
    xb = x if batch_first else x.transpose(1, 0, 2)
    a = layer.norm1(xb) if norm_first else xb
    attn = layer.self_attn
    q, k, _ = np.split(a @ attn.in_proj_weight.data.T + attn.in_proj_bias.data, 3, axis=-1)
    q0, k0 = q[..., :4], k[..., :4]  # head 0
    _, w0 = ll.scaled_dot_product_attention(q0, k0, k0, attn_mask=mask)
    np.testing.assert_allclose(w[:, 0], w0)
    with pytest.raises(TypeError, match="expected a TransformerEncoderLayer"):
        vt.block_attention_weights(ll.Linear(2, 2), x)
