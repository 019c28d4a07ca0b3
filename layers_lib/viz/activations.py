"""Figures for the chapter on activation layers.

* :func:`plot_layer_norms` — a per-layer quantity (a gradient norm) through deep stacks, log axis;
* :func:`plot_softmax_jacobian` — softmax probabilities and their Jacobian ``diag(p) - p pᵀ``;
* :func:`plot_decision_regions` — a 2-D classifier's predicted probability over the plane with
  the training points on top; :func:`decision_regions_frame` is the same as an explorer frame
  (data drawn in the page);
* :func:`plot_function_panels` — one small panel per activation, the function and its
  derivative together, on shared axes (for a family too large for one legend).

Activation functions and their derivatives are drawn by the general ``viz.plot_functions``. Lines
follow the course's line cycle (colour and dash pattern) and the maps are greyscale, so every
figure reads in print.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from ._plot import MIN_FONT_PT
from ._scene import Chart, frame

__all__ = ["plot_layer_norms", "plot_softmax_jacobian", "plot_decision_regions", "decision_regions_frame",
           "plot_function_panels"]

_DOT_PX = 4  # the radius of a data point in an explorer, in CSS pixels


def plot_layer_norms(panels, title="Gradient norm at each layer", ylabel="‖∂L/∂W‖ (log scale)",
                     xlabel="layer (1 = next to the input)"):
    """Plot one value per layer for several networks on a log axis, in one or more panels that
    share the y-axis (e.g. the same networks under two initialisations).

    Args:
        panels: ``{panel title: {curve name: values}}``; the values are for layers ``1 .. L``,
            in order from the input.
        title, ylabel, xlabel: labels.

    Returns:
        The matplotlib Figure.
    """
    if not isinstance(panels, dict) or not panels:
        raise TypeError("plot_layer_norms expected {panel title: {name: values}}")
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 0.6, 3.5), sharey=True,
                             squeeze=False)
    markers = "os^vDP*"
    for ax, (panel, curves) in zip(axes[0], panels.items(), strict=True):
        for i, (name, values) in enumerate(curves.items()):
            values = np.asarray(values, dtype=float)
            ax.plot(np.arange(1, len(values) + 1), values, marker=markers[i % len(markers)], ms=4,
                    label=name)
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_title(panel, fontsize=10)
        ax.grid(alpha=0.3, which="major")
        ax.legend(fontsize=MIN_FONT_PT)
    axes[0, 0].set_ylabel(ylabel)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_softmax_jacobian(logits, title="Softmax and its Jacobian"):
    """Bar chart of ``p = softmax(logits)`` beside the Jacobian ``J[i, j] = ∂p_i/∂z_j``.

    ``J = diag(p) - p pᵀ``: positive on the diagonal (raising a logit raises its own probability),
    negative off it (and the others fall), and every row and column sums to 0 (the
    probabilities always sum to 1).

    Args:
        logits: a 1-D array ``z``.
        title: the figure title.

    Returns:
        The matplotlib Figure.
    """
    z = np.asarray(logits, dtype=float).reshape(-1)
    p = np.exp(z - z.max())
    p /= p.sum()
    jac = np.diag(p) - np.outer(p, p)
    k = len(z)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.4), gridspec_kw={"width_ratios": [1, 1.1]})
    left.bar(np.arange(k), p, color="0.55", edgecolor="black")
    for i, v in enumerate(p):
        left.text(i, v + 0.01, f"{v:.2f}", ha="center", fontsize=MIN_FONT_PT)
    left.set_xticks(np.arange(k), [f"z{i}={v:g}" for i, v in enumerate(z)], fontsize=MIN_FONT_PT)
    left.set_ylim(0, 1.05)
    left.set_xlabel("class (logit)")
    left.set_ylabel("p = softmax(z)")
    left.set_title("probabilities", fontsize=10)
    lim = np.abs(jac).max()
    im = right.imshow(jac, cmap="gray", vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(jac):
        right.text(j, i, f"{v:+.3f}", ha="center", va="center", fontsize=MIN_FONT_PT,
                   color="black" if v > 0 else "white")
    right.set_xticks(np.arange(k), [f"z{j}" for j in range(k)])
    right.set_yticks(np.arange(k), [f"p{i}" for i in range(k)])
    right.set_xlabel("input logit j")
    right.set_ylabel("output probability i")
    right.set_title("Jacobian ∂p_i/∂z_j = diag(p) − p pᵀ", fontsize=10)
    fig.colorbar(im, ax=right, shrink=0.8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_decision_regions(predict, X, y, title="Decision regions", resolution=120, margin=0.5, ax=None):
    """Shade the plane by a binary classifier's predicted probability of class 1, draw its
    decision boundary (probability 0.5) and the data.

    Args:
        predict: maps points of shape ``(M, 2)`` to probabilities of class 1, shape ``(M,)``.
        X: the data, shape ``(N, 2)``; y: labels in ``{0, 1}``, shape ``(N,)``.
        title: the axes title.
        resolution: grid points per side.
        margin: how far the plotted area extends beyond the data.
        ax: draw into these axes (default: a new figure).

    Returns:
        The matplotlib Figure.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or len(y) != len(X):
        raise ValueError(f"plot_decision_regions expected X of shape (N, 2) and y of shape (N,), "
                         f"got {X.shape} and {y.shape}")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    prob = np.asarray(predict(np.stack([g0.ravel(), g1.ravel()], axis=1))).reshape(g0.shape)
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.6, 3.8))
    else:
        fig = ax.figure
    levels = np.linspace(0, 1, 11)
    ax.contourf(g0, g1, prob, levels=levels, cmap="gray_r", vmin=-0.3, vmax=1.3, alpha=0.9)
    if prob.min() < 0.5 < prob.max():
        ax.contour(g0, g1, prob, levels=[0.5], colors="tab:red", linewidths=2)
    ax.scatter(*X[y == 0].T, marker="o", s=18, facecolors="white", edgecolors="black", lw=0.8,
               label="class 0")
    ax.scatter(*X[y == 1].T, marker="^", s=20, facecolors="black", edgecolors="white", lw=0.5,
               label="class 1")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower left", fontsize=MIN_FONT_PT, framealpha=0.9)
    fig.tight_layout()
    return fig


def _boundary(xs, ys, prob):
    """The pieces of the curve ``prob = 0.5`` through a grid of values ``prob[i, j]`` at
    ``(xs[j], ys[i])`` (marching squares, by contourpy), each an ``(M, 2)`` array of points."""
    import contourpy

    if not prob.min() < 0.5 < prob.max():
        return []
    pieces = contourpy.contour_generator(xs, ys, prob).lines(0.5)
    return [np.asarray(piece) for piece in pieces if len(piece) > 1]


def decision_regions_frame(predict, X, y, title="Decision regions", resolution=40, margin=0.5,
                           levels=10) -> dict:
    """An explorer frame: the plane shaded by a binary classifier's predicted probability of
    class 1 (a heat map of ``resolution × resolution`` cells, the probability at each cell's
    centre rounded to a multiple of ``1/levels``), its decision boundary (probability 0.5, from a
    grid twice as fine) and the data (class 0 hollow, class 1 filled).

    Args:
        predict: maps points of shape ``(M, 2)`` to probabilities of class 1, shape ``(M,)``.
        X: the data, shape ``(N, 2)``; y: labels in ``{0, 1}``, shape ``(N,)``.
        title: the chart's title.
        resolution: cells per side; the shown area is the data's bounding box grown by ``margin``.
        levels: shades of the probability (the payload stays small: most cells are 0 or 1).

    Returns:
        A frame (``viz.frame``) of one chart.

    Examples:
        >>> X = np.array([[0.0, 0.0], [1.0, 1.0]])
        >>> f = decision_regions_frame(lambda P: (P[:, 0] > 0.5) * 1.0, X, np.array([0, 1]), resolution=4)
        >>> f["panels"][0]["marks"][0]["v"]
        [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(f"decision_regions_frame expected X of shape (N, 2) and y of shape (N,), "
                         f"got {X.shape} and {y.shape}")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    step = (hi - lo) / resolution

    def probabilities(n):  # at the centres of an n × n grid of cells: rows follow feature 2
        half = (hi - lo) / (2 * n)
        xs, ys = (np.linspace(lo[k] + half[k], hi[k] - half[k], n) for k in (0, 1))
        g0, g1 = np.meshgrid(xs, ys)
        points = np.stack([g0.ravel(), g1.ravel()], axis=1)
        return xs, ys, np.asarray(predict(points), dtype=float).reshape(n, n)

    _, _, prob = probabilities(resolution)
    chart = Chart(title, xlabel="feature 1", ylabel="feature 2", width=420, height=340,
                  xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    chart.cells(np.round(prob * levels) / levels, x0=lo[0], y0=lo[1], dx=step[0], dy=step[1], lo=0, hi=1)
    for i, piece in enumerate(_boundary(*probabilities(2 * resolution))):
        piece = np.round(piece, 2)  # a hundredth of a unit is below a pixel; the payload stays small
        chart.line(piece[:, 0], piece[:, 1], color=1, width=3,
                   label="decision boundary, p = 0.5" if i == 0 else None)
    # a ring (class 0, its centre in the page's background colour) and a dot (class 1), in a colour
    # that stands out on light and dark shading in either theme
    shown = np.round(X, 2)
    chart.points(*shown[y == 0].T, color=5, size=_DOT_PX, hollow=True)
    chart.points(*shown[y == 1].T, color=5, size=_DOT_PX)
    return frame(chart, notes=["○ class 0, ● class 1; shade: the predicted probability of class 1, "
                               "from the background colour (0) to full blue (1)"])


def plot_function_panels(xs, funcs, ncols=3, title="Functions and their derivatives", reference=None,
                         xlabel="x"):
    """One panel per function: ``f`` (solid) and its derivative ``f′`` (dashed) on shared axes, so
    that shapes, saturation levels and slopes compare at a glance.

    Args:
        xs: the x values, a 1-D array.
        funcs: ``{name: (f, df)}``, each of ``f`` and ``df`` a callable applied to ``xs`` or an
            array of values at ``xs``.
        ncols: panels per row.
        title: the figure title.
        reference: optional ``(name, f)`` drawn thin and grey in every panel (e.g. ReLU).
        xlabel: the x-axis label of the bottom row.

    Returns:
        The matplotlib Figure.

    Examples:
        >>> fig = plot_function_panels(np.linspace(-3, 3, 61), {
        ...     "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
        ...     "x²": (np.square, lambda x: 2 * x)})
        >>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
        ['tanh', 'x²']
    """
    xs = np.asarray(xs, dtype=float)
    if xs.ndim != 1 or xs.size < 2:
        raise ValueError(f"plot_function_panels expected a 1-D array of x values, got shape {xs.shape}")
    if not isinstance(funcs, dict) or not funcs:
        raise TypeError("plot_function_panels expected a non-empty dict name -> (f, df)")
    curves = {}
    for name, pair_ in funcs.items():
        if not isinstance(pair_, (tuple, list)) or len(pair_) != 2:
            raise TypeError(f"plot_function_panels expected {name!r}: (f, df), got {pair_!r}")
        f, df = (np.asarray(g(xs) if callable(g) else g, dtype=float) for g in pair_)
        if f.shape != xs.shape or df.shape != xs.shape:
            raise ValueError(f"plot_function_panels: {name!r} gave shapes {f.shape} and {df.shape}, "
                             f"expected {xs.shape}")
        curves[name] = (f, df)
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"plot_function_panels expected ncols >= 1, got {ncols!r}")
    ncols = min(ncols, len(curves))
    nrows = -(-len(curves) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.9 * ncols + 0.4, 2.3 * nrows + 0.8), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    for ax, (name, (f, df)) in zip(axes.flat[:len(curves)], curves.items(), strict=True):
        ax.axhline(0, color="0.8", lw=0.6, zorder=0)
        ax.axvline(0, color="0.8", lw=0.6, zorder=0)
        if reference is not None:
            ref_name, ref = reference
            ax.plot(xs, ref(xs) if callable(ref) else ref, color="0.65", lw=0.9, ls=":", label=ref_name)
        ax.plot(xs, f, color="#1f3b73", lw=1.6, ls="-", label="f(x)")
        ax.plot(xs, df, color="#d95f02", lw=1.4, ls="--", label="f′(x)")
        ax.set_title(name, fontsize=MIN_FONT_PT)
        ax.grid(alpha=0.25)
    for ax in axes.flat[len(curves):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel("value")
    axes[0, 0].legend(fontsize=MIN_FONT_PT, loc="upper left")
    fig.suptitle(title, fontsize=11)
    return fig
