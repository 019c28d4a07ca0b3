"""Figures and small helpers for the Transformer-block chapter.

* :func:`block_diagram` — the post-norm and the pre-norm encoder block side by side, drawn as the
  sub-layers on the residual path;
* :func:`positional_frame`, :func:`positional_readout` — one frame of the positional-encoding
  explorer (data drawn by the page): the sinusoidal table as a heat map and the similarity of one
  position's encoding with every other's;
* :func:`block_attention_weights` — the per-head attention weights a
  :class:`~layers_lib.TransformerEncoderLayer` computes for an input (the layer itself, like
  torch's, does not return them).

The static figures are matplotlib Figures with a title and labelled axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

import layers_lib as ll

from ._scene import Chart, frame

__all__ = ["block_diagram", "positional_frame", "positional_readout", "block_attention_weights"]

_FILL = {"attn": "#9ecae1", "ffn": "#fdae6b", "norm": "#c7e9c0"}  # also told apart by their labels
_ATTN, _FFN = ("attn", "multi-head self-attention"), ("ffn", "feed-forward\n(linear1, activation, linear2)")
_NORM1, _NORM2, _ADD = ("norm", "LayerNorm (norm1)"), ("norm", "LayerNorm (norm2)"), ("add", "")
_STEPS = {  # bottom to top: (kind, label); "add" is a residual sum
    False: [("io", "x"), _ATTN, _ADD, _NORM1, _FFN, _ADD, _NORM2, ("io", "y")],
    True: [("io", "x"), _NORM1, _ATTN, _ADD, _NORM2, _FFN, _ADD, ("io", "y")],
}
_HALF = {"ffn": 0.05, "add": 0.03, "io": 0.03}  # half the height of a step's box (default 0.035)
_SKIPS = {False: [(0, 2), (3, 5)], True: [(0, 3), (3, 6)]}  # residual: (branch after step, into add)


def _draw_block(ax, norm_first: bool) -> None:
    steps = _STEPS[norm_first]
    ys = np.linspace(0.05, 0.93, len(steps))
    cx = 0.58
    for k, ((kind, label), y) in enumerate(zip(steps, ys, strict=True)):
        if kind == "io":
            ax.text(cx, y, label, ha="center", va="center", fontsize=11, style="italic")
        elif kind == "add":
            ax.plot([cx], [y], marker="o", ms=17, mfc="white", mec="black", mew=1, ls="none")  # round always
            ax.text(cx, y, "+", ha="center", va="center", fontsize=11)
        else:
            half = _HALF.get(kind, 0.035)
            ax.add_patch(FancyBboxPatch((cx - 0.34, y - half), 0.68, 2 * half, boxstyle="round,pad=0.008",
                                        facecolor=_FILL[kind], edgecolor="black", lw=0.8))
            ax.text(cx, y, label, ha="center", va="center", fontsize=10)
        if k:
            gap = _HALF.get(steps[k - 1][0], 0.035)
            top_gap = _HALF.get(kind, 0.035)
            ax.annotate("", xy=(cx, y - top_gap), xytext=(cx, ys[k - 1] + gap),
                        arrowprops=dict(arrowstyle="-|>", lw=0.9, color="black"))
    for start, add in _SKIPS[norm_first]:
        y0 = (ys[start] + ys[start + 1]) / 2
        ax.plot([cx, 0.1, 0.1], [y0, y0, ys[add]], color="0.3", lw=1.1, ls="--")
        ax.annotate("", xy=(cx - 0.028, ys[add]), xytext=(0.1, ys[add]),
                    arrowprops=dict(arrowstyle="-|>", lw=1.1, color="0.3", ls="--"))
    ax.text(0.045, (ys[0] + ys[-1]) / 2, "residual connections (dashed)", rotation=90, ha="center",
            va="center", fontsize=10, color="0.3")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    title = "pre-norm (norm_first=True)" if norm_first else "post-norm (norm_first=False, torch's default)"
    ax.set_title(title, fontsize=10)


def block_diagram(title: str = "The Transformer encoder block, two ways") -> plt.Figure:
    """The post-norm block (Vaswani et al.) beside the pre-norm block, bottom to top.

    Examples:
        >>> fig = block_diagram()
        >>> [ax.get_title() for ax in fig.axes]
        ["post-norm (norm_first=False, torch's default)", 'pre-norm (norm_first=True)']
    """
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 5.0), layout="constrained")
    for ax, norm_first in zip(axes, (False, True), strict=True):
        _draw_block(ax, norm_first)
    fig.suptitle(title)
    return fig


def _check_positional(d_model, base, positions):
    if not (isinstance(d_model, (int, np.integer)) and d_model >= 2):
        raise ValueError(f"positional_frame expected d_model >= 2, got {d_model!r}")
    if not (isinstance(positions, (int, np.integer)) and positions >= 2):
        raise ValueError(f"positional_frame expected positions >= 2, got {positions!r}")
    return ll.sinusoidal_positional_encoding(int(positions), int(d_model), base)


def positional_frame(d_model: int = 32, base: float = 10000.0, positions: int = 64,
                     reference: int | None = None) -> dict:
    """The sinusoidal table (positions × dimensions, position 0 on top) as a heat map and, beside
    it, the dot product of position ``reference``'s encoding with every position's,
    ``PE[reference] · PE[p]``, on the fixed range ``[−d_model/2, d_model/2]`` it cannot leave.

    Table entries are rounded to 0.01 (finer than the colours show).

    Examples:
        >>> f = positional_frame(16, positions=20)
        >>> [(p["title"], p["xl"]) for p in f["panels"]][1]
        ('PE[10] · PE[p]: largest, 8, at p = 10', 'position p')
    """
    table = _check_positional(d_model, base, positions)
    reference = positions // 2 if reference is None else int(reference)
    if not 0 <= reference < positions:
        raise ValueError(f"positional_frame expected reference in [0, {positions - 1}], got {reference}")
    columns = sorted({*range(0, d_model, max(4, d_model // 4)), d_model - 1})
    rows = sorted({*range(0, positions, 16), positions - 1})
    heat = Chart(f"PE table, d_model = {d_model}, base = {base:g}", "dimension", "position", width=300,
                 height=300, xlim=(-0.5, d_model - 0.5), ylim=(-0.5, positions - 0.5),
                 xticks=[(j, str(j)) for j in columns], yticks=[(positions - 1 - p, str(p)) for p in rows])
    heat.cells(np.round(table, 2), y0=positions - 0.5, dy=-1, hi=1.0, diverging=True)
    similarity = table @ table[reference]
    peak = float(table[reference] @ table[reference])
    curve = Chart(f"PE[{reference}] · PE[p]: largest, {peak:.3g}, at p = {reference}", "position p",
                  f"PE[{reference}] · PE[p]", width=330, height=300, xlim=(-0.5, positions - 0.5),
                  ylim=(-0.55 * d_model, 0.55 * d_model))
    curve.rule(x=reference)
    curve.line(np.arange(positions), similarity, color=0)
    curve.points([reference], [peak], color=1)  # the default radius: 4 px
    return frame(heat, curve, notes="table colour: −1 (red) through 0 (background) to +1 (blue)")


def positional_readout(d_model: int = 32, base: float = 10000.0, positions: int = 64) -> str:
    """The read-out of :func:`positional_frame`: the shortest and longest wavelengths.

    Examples:
        >>> positional_readout(4, 100.0)
        'd_model 4, base 100: wavelengths from <b>6.3</b> to <b>62.8</b> positions (2π · base^(2i/d))'
    """
    _check_positional(d_model, base, positions)
    longest = 2 * np.pi * base ** (2 * ((d_model - 1) // 2) / d_model)
    return (f"d_model {d_model}, base {base:g}: wavelengths from <b>{2 * np.pi:.1f}</b> to "
            f"<b>{longest:.1f}</b> positions (2π · base^(2i/d))")


def block_attention_weights(layer, x, src_mask=None, src_key_padding_mask=None) -> np.ndarray:
    """The per-head weights the self-attention of ``layer`` computes for the block input ``x``.

    Runs the layer's own sub-modules (``norm1`` first for a pre-norm layer), so it overwrites
    what their last forward pass cached: call it for figures, not between a forward and a backward.

    Args:
        layer: a :class:`~layers_lib.TransformerEncoderLayer`.
        x: the block's input, in the layer's layout (``batch_first`` or not).
        src_mask, src_key_padding_mask: as for the layer.

    Returns:
        ``(N, nhead, S, S)``.

    Examples:
        >>> layer = ll.TransformerEncoderLayer(8, 2, 16, batch_first=True, rng=np.random.default_rng(0))
        >>> w = block_attention_weights(layer, np.random.default_rng(1).normal(size=(3, 5, 8)))
        >>> w.shape, bool(np.allclose(w.sum(-1), 1))
        ((3, 2, 5, 5), True)
    """
    if not isinstance(layer, ll.TransformerEncoderLayer):
        raise TypeError(f"block_attention_weights expected a TransformerEncoderLayer, "
                        f"got {type(layer).__name__}")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"block_attention_weights expected a batched input (3-D), got {x.shape}")
    a = x if layer.batch_first else x.transpose(1, 0, 2)  # (N, S, E)
    if layer.norm_first:
        a = layer.norm1(a)
    _, weights = layer.self_attn(a, a, a, attn_mask=src_mask, key_padding_mask=src_key_padding_mask)
    return weights
