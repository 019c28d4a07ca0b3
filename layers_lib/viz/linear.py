"""Figures for the chapter on the linear (dense) layer.

* :func:`draw_dense` — one example through a dense layer: the input row, the weight matrix
  (one row per output unit), the bias and the output, with every number written in its cell.
* :func:`linear_map_frame` — a 2×2 weight matrix as a map of the plane (an explorer frame, drawn
  in the page): a grid, the unit square and an asymmetric letter "F" before and after
  ``y = x @ W.T``.
* :func:`describe_map` — the read-out for that figure: ``W``, ``det(W)`` and what it means.
* :func:`plot_param_counts` — parameter counts of several layers as a bar chart on a log axis.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._plot import MIN_FONT_PT
from ._scene import Chart, frame, minus

__all__ = ["draw_dense", "linear_map_frame", "describe_map", "plot_param_counts"]

_CMAP = "viridis"  # lightness grows monotonically: readable in greyscale


def _matrix(ax, m, title, row_labels=None, col_labels=None, vmin=-1.0, vmax=1.0):
    """A small annotated heatmap of the 2-D array ``m`` on ``ax``."""
    m = np.atleast_2d(m)
    ax.imshow(m, cmap=_CMAP, vmin=vmin, vmax=vmax, aspect="equal")
    mid = (vmin + vmax) / 2
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=MIN_FONT_PT,
                color="black" if v > mid else "white")
    ax.set_title(title, fontsize=MIN_FONT_PT)
    ax.set_xticks(range(m.shape[1]), col_labels if col_labels is not None else [""] * m.shape[1],
                  fontsize=MIN_FONT_PT)
    ax.set_yticks(range(m.shape[0]), row_labels if row_labels is not None else [""] * m.shape[0],
                  fontsize=MIN_FONT_PT)
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
    fig = plt.figure(figsize=(1.4 + 0.78 * (n_in + 3), 1.5 + 0.62 * (n_out + 1)))
    grid = fig.add_gridspec(2, 3, width_ratios=[n_in, 1, 1], height_ratios=[1, n_out],
                            wspace=0.25, hspace=0.55)
    units = [f"unit {i}" for i in range(n_out)]
    inputs = [f"x[{j}]" for j in range(n_in)]
    _matrix(fig.add_subplot(grid[0, 0]), x[None], "input x  (1 × in)", ["x"], inputs, -lim, lim)
    _matrix(fig.add_subplot(grid[1, 0]), weight, "weight W  (out × in): row i = unit i",
            units, inputs, -lim, lim)
    _matrix(fig.add_subplot(grid[1, 1]), bias[:, None], "+ b", units, [""], -lim, lim)
    _matrix(fig.add_subplot(grid[1, 2]), y[:, None], "= y", units, [""], -lim, lim)
    fig.suptitle(title, fontsize=11)
    fig.subplots_adjust(left=0.12, right=0.98, top=0.83, bottom=0.08)
    return fig


# An asymmetric letter "F" in the unit square: a reflection turns it into its mirror image.
_F = np.array([[0.2, 0.1], [0.2, 0.9], [0.75, 0.9], [0.75, 0.75], [0.35, 0.75], [0.35, 0.58],
               [0.65, 0.58], [0.65, 0.43], [0.35, 0.43], [0.35, 0.1]])
_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def _closed(points: np.ndarray) -> np.ndarray:
    """The polygon's corners with the first repeated at the end (a closed outline)."""
    return np.vstack([points, points[:1]])


def _convex_band(points: np.ndarray):
    """``(x, lo, hi)`` of a convex polygon: its lowest and highest y above each corner's x, so a
    ``Chart.band`` fills it (a polygon flattened onto a line gives an empty band)."""
    edges = list(zip(points, np.roll(points, -1, axis=0), strict=True))
    xs = np.unique(points[:, 0])
    lo, hi = [], []
    for x in xs:
        ys = [p[1] for p in points if np.isclose(p[0], x)]
        for (xa, ya), (xb, yb) in edges:
            if min(xa, xb) < x < max(xa, xb):
                ys.append(ya + (x - xa) / (xb - xa) * (yb - ya))
        lo.append(min(ys))
        hi.append(max(ys))
    return xs, np.array(lo), np.array(hi)


def _tip_text(chart, tip, text, color, side):
    """Write ``text`` just beyond an arrow tip, shifted to one side of the arrow (``side`` = ±1)
    so that two arrows with the same tip get labels on opposite sides."""
    tip = np.asarray(tip, dtype=float)
    length = np.hypot(*tip)
    u = tip / length if length > 0 else np.array([1.0, 0.0])
    at = tip + 0.12 * u + side * 0.12 * np.array([-u[1], u[0]])
    chart.text(at[0], at[1], text, color=color, anchor="start" if at[0] >= tip[0] else "end", dy=4)


def _plane(weight, title, lim, mapped, rows=None):
    """One plane: the grid, the unit square, the letter F and the basis vectors, each moved by
    ``x ↦ x @ weight.T``; ``rows``: also draw the weight vectors of the output units."""
    axis = "y" if mapped else "x"
    chart = Chart(title, xlabel=f"{axis}[0]", ylabel=f"{axis}[1]", width=360, height=330,
                  xlim=(-lim, lim), ylim=(-lim, lim), equal=True)
    t = np.linspace(-1, 1, 5)
    lines = []
    for v in t:  # grid lines x0 = v and x1 = v, mapped by the weight; NaN rows separate them
        for line in (np.stack([np.full_like(t, v), t], 1), np.stack([t, np.full_like(t, v)], 1)):
            lines += [line @ weight.T, np.full((1, 2), np.nan)]
    grid_lines = np.vstack(lines)
    chart.line(grid_lines[:, 0], grid_lines[:, 1], color=4, width=0.8)
    square = _SQUARE @ weight.T
    chart.band(*_convex_band(square), color=4, label="image of the square" if mapped else "unit square")
    outline = _closed(square)
    chart.line(outline[:, 0], outline[:, 1], color=4, width=1.2)
    letter = _closed(_F @ weight.T)
    chart.line(letter[:, 0], letter[:, 1], color=0, width=2.5)
    for k, name in enumerate(("e₀", "e₁")):
        tip = weight[:, k]  # the image of basis vector e_k is column k of W
        chart.arrow(0, 0, tip[0], tip[1], color=1,
                    label=("columns of W" if mapped else "basis e₀, e₁") if k == 0 else None)
        # input plane: the rows' labels take the other side; output plane: the two columns may be
        # parallel (det W = 0), so their labels go on opposite sides
        _tip_text(chart, tip, f"W[:, {k}]" if mapped else name, 1, side=(1, -1)[k] if mapped else 1)
    if rows is not None:  # the weight vector of each output unit, drawn in the input plane
        for i in range(2):
            chart.arrow(0, 0, rows[i][0], rows[i][1], color=2,
                        label="rows w₀, w₁" if i == 0 else None)
            _tip_text(chart, rows[i], f"w{'₀₁'[i]}", 2, side=(-1, 1)[i])  # apart when the rows coincide
    return chart


def linear_map_frame(weight, lim: float = 2.2) -> dict:
    """A 2×2 weight matrix as a map of the plane, ``y = x @ weight.T``, as an explorer frame.

    Left: the input plane with a grid, the unit square (shaded), a letter "F", the basis
    vectors ``e₀``, ``e₁`` and the rows of ``W``: output unit ``i`` computes the dot product of
    the input with ``W[i]``. Right: the same after the layer. Basis vector ``e_k`` lands on
    column ``k`` of ``W``; the unit square becomes the parallelogram they span, whose area is
    ``|det W|``; a negative determinant mirrors the "F"; a zero determinant flattens everything
    onto a line (or a point).

    Args:
        weight: a ``(2, 2)`` array.
        lim: both planes show ``[-lim, lim]²``.

    Returns:
        A frame (``viz.frame``) of two charts, titled with ``W`` and ``det W``.

    Examples:
        >>> f = linear_map_frame([[1.0, 0.0], [0.0, -1.0]])
        >>> f["title"], [p["title"] for p in f["panels"]]
        ('W = [[1, 0], [0, −1]], det W = −1.00', ['input x', 'output y = x Wᵀ'])
    """
    weight = np.asarray(weight, dtype=float)
    if weight.shape != (2, 2):
        raise ValueError(f"linear_map_frame expected a (2, 2) weight, got shape {weight.shape}")
    det = float(np.linalg.det(weight))
    det = 0.0 if abs(det) < 1e-12 else det
    title = minus(f"W = [[{weight[0, 0]:g}, {weight[0, 1]:g}], [{weight[1, 0]:g}, {weight[1, 1]:g}]], "
                  f"det W = {det:.2f}")
    notes = ["e₀ ↦ W[:, 0] and e₁ ↦ W[:, 1]: the square's image has area |det W|; "
             "w₀ = W[0] and w₁ = W[1] are the directions the two output units measure"]
    return frame(_plane(np.eye(2), "input x", lim, mapped=False, rows=weight),
                 _plane(weight, "output y = x Wᵀ", lim, mapped=True), title=title, notes=notes)


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
        ax.text(v * 1.15, p, f"{int(v):,}", va="center", fontsize=MIN_FONT_PT)
    ax.set_xscale("log")
    ax.set_xlim(1, values.max() * 30)
    ax.set_yticks(pos, labels, fontsize=MIN_FONT_PT)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig
