"""The Transformer chapter's figures and helpers (layers_lib.viz.transformer)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.patches import Circle, FancyBboxPatch

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")
vt = viz.transformer


def test_block_diagram_draws_both_orders():
    fig = vt.block_diagram()
    post, pre = fig.axes
    for ax in (post, pre):
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        adds = [p for p in ax.patches if isinstance(p, Circle)]
        assert len(boxes) == 4 and len(adds) == 2  # attention, FFN, two LayerNorms; two residual sums
    def order(ax):  # the box labels from bottom to top
        texts = [t for t in ax.texts if t.get_text() in ("multi-head self-attention", "LayerNorm (norm1)")]
        return [t.get_text() for t in sorted(texts, key=lambda t: t.get_position()[1])]
    assert order(post) == ["multi-head self-attention", "LayerNorm (norm1)"]
    assert order(pre) == ["LayerNorm (norm1)", "multi-head self-attention"]
    assert "pre-norm" in pre.get_title() and "post-norm" in post.get_title()


def test_positional_frame_shows_the_librarys_table():
    fig = vt.positional_frame(16, base=100.0, positions=20, reference=5)
    table_ax, line_ax = fig.axes[0], fig.axes[1]
    pe = ll.sinusoidal_positional_encoding(20, 16, 100.0)
    np.testing.assert_allclose(table_ax.images[0].get_array(), pe)
    np.testing.assert_allclose(line_ax.lines[0].get_ydata(), pe @ pe[5])
    assert "largest, 8, at p = 5" in line_ax.get_title()
    with pytest.raises(ValueError, match="reference"):
        vt.positional_frame(16, positions=20, reference=20)
    with pytest.raises(ValueError, match="d_model >= 2"):
        vt.positional_frame(1)


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
