"""Figures for the chapter on the linear (dense) layer.

* :func:`draw_dense` — one example through a dense layer: the input row, the weight matrix
  (one row per output unit), the bias and the output, with every number written in its cell.
* :func:`draw_linear_map` — a 2×2 weight matrix as a map of the plane: a grid, the unit square
  and an asymmetric letter "F" before and after ``y = x @ W.T``.
* :func:`describe_map` — the read-out for that figure: ``W``, ``det(W)`` and what it means.
* :func:`plot_param_counts` — parameter counts of several layers as a bar chart on a log axis.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon

__all__ = ["draw_dense", "draw_linear_map", "describe_map", "plot_param_counts"]

_CMAP = "viridis"  # lightness grows monotonically: readable in greyscale


def _matrix(ax, m, title, row_labels=None, col_labels=None, vmin=-1.0, vmax=1.0):
    """A small annotated heatmap of the 2-D array ``m`` on ``ax``."""
    m = np.atleast_2d(m)
    ax.imshow(m, cmap=_CMAP, vmin=vmin, vmax=vmax, aspect="equal")
    mid = (vmin + vmax) / 2
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                color="black" if v > mid else "white")
    ax.set_title(title, fontsize=9)
    ax.set_xticks(range(m.shape[1]), col_labels if col_labels is not None else [""] * m.shape[1],
                  fontsize=7)
    ax.set_yticks(range(m.shape[0]), row_labels if row_labels is not None else [""] * m.shape[0],
                  fontsize=7)
    ax.tick_params(length=0)


def draw_dense(x, weight, bias, title="One example through a dense layer: y = x Wᵀ + b"):
    """Draw ``y = x @ weight.T + bias`` for a single example with every number visible.

    The input row sits above the weight matrix so that its entries line up with the columns
    they multiply: output ``i`` is the dot product of ``x`` with row ``i`` of ``W``, plus ``b[i]``.

    Args:
        x: one input, shape ``(in_features,)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)``.
        title: the figure title.

    Returns:
        The matplotlib Figure.
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    weight = np.atleast_2d(np.asarray(weight, dtype=float))
    bias = np.asarray(bias, dtype=float).reshape(-1)
    n_out, n_in = weight.shape
    if x.size != n_in or bias.size != n_out:
        raise ValueError(f"draw_dense expected x ({n_in},) and bias ({n_out},) for a weight of shape "
                         f"{weight.shape}, got {x.shape} and {bias.shape}")
    y = weight @ x + bias
    lim = max(1.0, float(np.max(np.abs(np.concatenate([x, weight.ravel(), bias, y])))))
    fig = plt.figure(figsize=(1.0 + 0.62 * (n_in + 3), 1.3 + 0.55 * (n_out + 1)))
    grid = fig.add_gridspec(2, 3, width_ratios=[n_in, 1, 1], height_ratios=[1, n_out],
                            wspace=0.25, hspace=0.55)
    units = [f"unit {i}" for i in range(n_out)]
    inputs = [f"x[{j}]" for j in range(n_in)]
    _matrix(fig.add_subplot(grid[0, 0]), x[None], "input x  (1 × in)", ["x"], inputs, -lim, lim)
    _matrix(fig.add_subplot(grid[1, 0]), weight, "weight W  (out × in): row i = unit i",
            units, inputs, -lim, lim)
    _matrix(fig.add_subplot(grid[1, 1]), bias[:, None], "+ b", units, [""], -lim, lim)
    _matrix(fig.add_subplot(grid[1, 2]), y[:, None], "= y", units, [""], -lim, lim)
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(left=0.12, right=0.98, top=0.83, bottom=0.08)
    return fig


# An asymmetric letter "F" in the unit square: a reflection turns it into its mirror image.
_F = np.array([[0.2, 0.1], [0.2, 0.9], [0.75, 0.9], [0.75, 0.75], [0.35, 0.75], [0.35, 0.58],
               [0.65, 0.58], [0.65, 0.43], [0.35, 0.43], [0.35, 0.1]])


def _label(ax, tip, text, colour, side):
    """Write ``text`` just beyond the arrow tip, shifted to one side of the arrow (``side`` = ±1)
    so that two arrows with the same tip get labels on opposite sides."""
    tip = np.asarray(tip, dtype=float)
    length = np.hypot(*tip)
    u = tip / length if length > 0 else np.array([1.0, 0.0]) / np.sqrt(2)
    offset = 0.14 * u + side * 0.14 * np.array([-u[1], u[0]])
    ax.text(*(tip + offset), text, color=colour, fontsize=8, zorder=5,
            ha="left" if offset[0] >= 0 else "right", va="bottom" if offset[1] >= 0 else "top",
            bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.5})


def _plane(ax, weight, title, lim, mapped, rows=None):
    t = np.linspace(-1, 1, 5)
    for v in t:  # grid lines x0 = v and x1 = v, mapped by the weight
        for line in (np.stack([np.full_like(t, v), t], 1), np.stack([t, np.full_like(t, v)], 1)):
            image = line @ weight.T
            ax.plot(image[:, 0], image[:, 1], color="0.75", lw=0.8, linestyle="-", zorder=1)
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]]) @ weight.T
    ax.add_patch(Polygon(square, closed=True, facecolor="0.75", edgecolor="0.3", lw=1, zorder=2))
    f = _F @ weight.T
    ax.add_patch(Polygon(f, closed=True, facecolor="black", edgecolor="black", lw=1, zorder=3))
    for k, (label, style) in enumerate([("e₀", "-"), ("e₁", "--")]):
        tip = weight[:, k]  # the image of basis vector e_k is column k of W
        ax.annotate("", xy=tip, xytext=(0, 0), zorder=4,
                    arrowprops={"arrowstyle": "-|>", "color": "tab:red", "lw": 2, "linestyle": style})
        # Input plane: the rows' labels take the other side. Output plane: the two columns may be
        # parallel (det W = 0), so their labels go on opposite sides.
        _label(ax, tip, f"{label} ↦ W[:, {k}]" if mapped else label, "tab:red",
               side=(1, -1)[k] if mapped else 1)
    if rows is not None:  # the weight vector of each output unit, drawn in the input plane
        for i in range(2):
            ax.annotate("", xy=rows[i], xytext=(0, 0), zorder=4,
                        arrowprops={"arrowstyle": "-|>", "color": "tab:blue", "lw": 1.5, "linestyle": ":"})
            _label(ax, rows[i], f"w{'₀₁'[i]} = W[{i}]", "tab:blue", side=-1)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.5", lw=0.6, zorder=0)
    ax.axvline(0, color="0.5", lw=0.6, zorder=0)
    ax.set_title(title, fontsize=9)


def draw_linear_map(weight, title=None, lim=2.2):
    """A 2×2 weight matrix as a map of the plane, ``y = x @ weight.T``.

    Left: the input plane with a grid, the unit square (grey), a letter "F" (black), the basis
    vectors ``e₀``, ``e₁`` (red) and the rows of ``W`` (dotted blue): output unit ``i`` computes
    the dot product of the input with ``W[i]``. Right: the same after the layer. Basis vector
    ``e_k`` lands on column ``k`` of ``W``; the unit square becomes the parallelogram they span, whose area is
    ``|det W|``; a negative determinant mirrors the "F"; a zero determinant flattens everything
    onto a line (or a point).

    Args:
        weight: a ``(2, 2)`` array.
        title: the figure title (default: shows ``W`` and ``det W``).
        lim: both panels show ``[-lim, lim]²``.

    Returns:
        The matplotlib Figure.
    """
    weight = np.asarray(weight, dtype=float)
    if weight.shape != (2, 2):
        raise ValueError(f"draw_linear_map expected a (2, 2) weight, got shape {weight.shape}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 3.8))
    _plane(left, np.eye(2), "input x", lim, mapped=False, rows=weight)
    _plane(right, weight, "output y = x Wᵀ", lim, mapped=True)
    left.set_xlabel("x[0]")
    left.set_ylabel("x[1]")
    right.set_xlabel("y[0]")
    right.set_ylabel("y[1]")
    if title is None:
        title = (f"W = [[{weight[0, 0]:g}, {weight[0, 1]:g}], [{weight[1, 0]:g}, {weight[1, 1]:g}]],"
                 f"  det W = {np.linalg.det(weight):.2f}")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def describe_map(weight) -> str:
    """One or two sentences on what the 2×2 ``weight`` does to the plane, for an explorer read-out.

    Examples:
        >>> describe_map(np.array([[1.0, 0.0], [0.0, -1.0]]))
        'W = [[1, 0], [0, -1]], det W = -1.00: areas ×1.00, orientation flipped (a mirror image).'
        >>> describe_map(np.array([[1.0, 1.0], [1.0, 1.0]]))[:60]
        'W = [[1, 1], [1, 1]], det W = 0.00: the plane collapses onto'
    """
    weight = np.asarray(weight, dtype=float)
    det = float(np.linalg.det(weight))
    if abs(det) < 1e-12:
        det = 0.0
    text = (f"W = [[{weight[0, 0]:g}, {weight[0, 1]:g}], [{weight[1, 0]:g}, {weight[1, 1]:g}]], "
            f"det W = {det:.2f}: ")
    if det == 0.0:
        rank = np.linalg.matrix_rank(weight)
        where = "a line" if rank == 1 else "a single point"
        return text + (f"the plane collapses onto {where}. Different inputs give the same output, "
                       "so no later layer can tell them apart: W has no inverse.")
    orientation = "orientation kept" if det > 0 else "orientation flipped (a mirror image)"
    return text + f"areas ×{abs(det):.2f}, {orientation}."


def plot_param_counts(counts, title="Parameters", xlabel="parameters (log scale)"):
    """Horizontal bars of parameter counts on a log axis, each bar labelled with its count.

    Args:
        counts: ``{label: count}`` in display order (top to bottom).
        title: the figure title.
        xlabel: the x-axis label.

    Returns:
        The matplotlib Figure.
    """
    labels = list(counts)
    values = np.array([counts[k] for k in labels], dtype=float)
    if np.any(values <= 0):
        raise ValueError("plot_param_counts expected positive counts")
    fig, ax = plt.subplots(figsize=(7.0, 0.6 * len(labels) + 1.2))
    pos = np.arange(len(labels))[::-1]
    ax.barh(pos, values, color="0.55", edgecolor="black")
    for p, v in zip(pos, values, strict=True):
        ax.text(v * 1.15, p, f"{int(v):,}", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(1, values.max() * 30)
    ax.set_yticks(pos, labels, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
