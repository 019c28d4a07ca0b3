"""Diagrams of whole networks (used by the introduction)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["draw_network"]


def draw_network(sizes, names=None, title="A fully connected network"):
    """Draw a fully connected network: one column of units per layer, every unit joined to every
    unit of the next column (one line per weight).

    Args:
        sizes: units per layer, input first, e.g. ``[3, 4, 4, 2]``.
        names: a label under each column; defaults to input / hidden k / output.
        title: the figure title.

    Returns:
        The matplotlib Figure.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"draw_network expected at least two layer sizes >= 1, got {sizes}")
    if names is None:
        names = ["input layer"] + [f"hidden layer {i}" for i in range(1, len(sizes) - 1)] + ["output layer"]
    fig, ax = plt.subplots(figsize=(1.9 * len(sizes) + 1, 3.4))
    top = max(sizes)
    ys = [np.linspace(-(s - 1) / 2, (s - 1) / 2, s) if s > 1 else np.zeros(1) for s in sizes]
    for i in range(len(sizes) - 1):
        for y0 in ys[i]:
            for y1 in ys[i + 1]:
                ax.plot([i, i + 1], [y0, y1], color="0.6", lw=0.8, zorder=1)
    shades = ["0.95"] + ["0.75"] * (len(sizes) - 2) + ["0.45"]
    for i, (column, shade) in enumerate(zip(ys, shades, strict=True)):
        ax.scatter(np.full(len(column), i), column, s=520, c=shade, edgecolors="black", zorder=2)
        ax.text(i, -top / 2 - 0.75, f"{names[i]}\n({sizes[i]} units)", ha="center", va="top", fontsize=10)
    n_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    n_biases = sum(sizes[1:])
    ax.set_title(f"{title}: {n_weights} weights + {n_biases} biases = {n_weights + n_biases} parameters",
                 fontsize=10)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-top / 2 - 1.9, top / 2 + 0.5)
    ax.axis("off")
    fig.tight_layout()
    return fig
