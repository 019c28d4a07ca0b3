"""Figures for the chapter on residual connections.

* :func:`draw_residual_block` — one block ``y = F(x) + x``: the branch ``F`` as a column of layers,
  the shortcut around it (the identity, or a projection box), the addition node, and the backward
  pass written beside the two paths;
* :func:`gradient_norms_chart` — one value per layer (the weight-gradient norm) for several
  networks on a log axis, plain against residual stacks: a chart for the depth explorer, drawn by
  the page (:mod:`layers_lib.viz._scene`);
* :func:`plot_plain_vs_residual` — the same gradient norms beside the training-loss curves of the
  same networks, in one figure.

Curves are told apart by colour *and* dash pattern (plain networks dotted or dash-dotted,
residual ones solid or dashed), so every figure reads in greyscale.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from ._scene import Chart, minus

__all__ = ["draw_residual_block", "gradient_norms_chart", "plot_plain_vs_residual", "sci"]

_INK, _LIGHT, _BRANCH, _SHORTCUT = "#1f1f1f", "#6b6b6b", "#c6d4ea", "#f4d7b5"
_STYLE = {  # (colour, dash pattern) by the start of a curve's name
    "plain": ("#555555", ":"),
    "plain + BatchNorm": ("#7570b3", "-."),
    "residual": ("#1f3b73", "-"),
    "residual + BatchNorm": ("#d95f02", "--"),
}


def _style(name: str, i: int):
    for key in sorted(_STYLE, key=len, reverse=True):  # the longest matching key wins
        if name.startswith(key):
            return _STYLE[key]
    return f"C{i}", ["-", "--", ":", "-."][i % 4]


def _arrow(ax, start, end, colour=_INK, lw=1.4):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, lw=lw, color=colour,
                                 shrinkA=0, shrinkB=0, zorder=2))


def _box(ax, centre, width, height, text, face):
    x, y = centre
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0,rounding_size=0.07", fc=face, ec=_INK, lw=1.2,
                                zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=4)


def draw_residual_block(branch=("Linear", "BatchNorm1d", "ReLU"), projection: str | None = None,
                        title: str | None = None):
    """Draw one residual block: the branch ``F`` on the left, the shortcut on the right.

    Args:
        branch: the names of the branch's layers, from the input upwards.
        projection: ``None`` for the identity shortcut, or the name of the projection on the
            shortcut (e.g. ``"Linear(32, 64, bias=False)"``).
        title: the figure title (a default names the kind of shortcut).

    Returns:
        The matplotlib Figure.

    Examples:
        >>> fig = draw_residual_block(projection="Conv2d 1×1, stride 2")
        >>> fig.axes[0].get_title()
        'A residual block with a projection shortcut: y = F(x) + P(x)'
    """
    branch = [str(b) for b in branch]
    if not branch:
        raise ValueError("draw_residual_block expected at least one layer in the branch")
    if title is None:
        title = ("A residual block: y = F(x) + x" if projection is None
                 else "A residual block with a projection shortcut: y = F(x) + P(x)")
    n = len(branch)
    width = max(1.7, 0.15 * max(len(b) for b in branch) + 0.45)
    xb, y0, step = max(1.6, width / 2 + 0.8), 0.0, 0.75  # room for "F(x)" left of the branch
    xs = xb + width / 2 + (1.9 if projection is not None else 1.0)
    y_add = y0 + step * (n + 0.6)
    shortcut_grad = "dL/dy" if projection is None else "P's backward(dL/dy)"
    note = f"backward: dL/dy flows down both paths,\ndL/dx = {shortcut_grad} + F's backward(dL/dy)"
    right = max(7.0, xs + 2.4, xb + 0.75 + 0.1 * max(map(len, note.split("\n"))))
    fig, ax = plt.subplots(figsize=(0.757 * (right + 0.4), 1.4 + 0.75 * n))
    # the input, and the split into branch and shortcut
    _arrow(ax, (xb, y0 - 0.75), (xb, y0 - 0.05))
    ax.text(xb, y0 - 0.8, "x", ha="center", va="top", fontsize=12)
    ax.add_patch(Circle((xb, y0), 0.05, color=_INK, zorder=4))
    ys = [y0 + step * (k + 0.7) for k in range(n)]
    _arrow(ax, (xb, y0), (xb, ys[0] - 0.2))
    for k, (y, name) in enumerate(zip(ys, branch, strict=True)):
        _box(ax, (xb, y), width, 0.4, name, _BRANCH)
        _arrow(ax, (xb, y + 0.2), (xb, (ys[k + 1] - 0.2) if k + 1 < n else y_add - 0.17))
    ax.text(xb - width / 2 - 0.15, (ys[0] + ys[-1]) / 2, "F(x)", ha="right", va="center", fontsize=11)
    # the shortcut: right, up, back left into the addition
    y_mid = (ys[0] + ys[-1]) / 2
    if projection is not None:
        p_width = 0.13 * len(projection) + 0.4
        ax.plot([xb, xs, xs], [y0, y0, y_mid - 0.2], color=_INK, lw=1.4, ls="-", zorder=2)
        ax.plot([xs, xs], [y_mid + 0.2, y_add], color=_INK, lw=1.4, ls="-", zorder=2)
        _box(ax, (xs, y_mid), p_width, 0.4, projection, _SHORTCUT)
        ax.text(xs + 0.12, (y0 + y_mid - 0.2) / 2, "projection P(x)", ha="left", va="center", fontsize=10,
                color=_LIGHT)
    else:
        ax.plot([xb, xs, xs], [y0, y0, y_add], color=_INK, lw=1.4, ls="-", zorder=2)
        ax.text(xs + 0.12, y_mid, "identity: x", ha="left", va="center", fontsize=10, color=_LIGHT)
    _arrow(ax, (xs, y_add), (xb + 0.17, y_add))
    ax.add_patch(Circle((xb, y_add), 0.17, fc="white", ec=_INK, lw=1.2, zorder=4))
    ax.text(xb, y_add, "+", ha="center", va="center", fontsize=11, zorder=5)
    _arrow(ax, (xb, y_add + 0.17), (xb, y_add + 0.75))
    ax.text(xb, y_add + 0.8, "y", ha="center", va="bottom", fontsize=12)
    # the backward pass, in words
    ax.text(xb + 0.45, y_add + 0.55, note, ha="left", va="center", fontsize=10, color=_LIGHT)
    ax.set_xlim(-0.4, right)
    ax.set_ylim(y0 - 1.3, y_add + 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return fig


def _norms_axis(ax, curves, ylabel, panel=None):
    for i, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        colour, dash = _style(name, i)
        ax.plot(np.arange(1, len(values) + 1), values, color=colour, ls=dash, marker="o", ms=2.5, lw=1.4,
                label=name)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel(ylabel)
    if panel:
        ax.set_title(panel, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10)


_DOT_PX = 2.5  # the radius of a layer's marker, in CSS pixels (not a font size)
_CHART_STYLE = {"plain": (4, True), "plain + BatchNorm": (3, True), "residual": (0, False),
                "residual + BatchNorm": (1, False)}  # (palette index, dashed), as in _STYLE


def sci(value: float, digits: int = 1) -> str:
    """``value`` in scientific notation for a read-out, as HTML: ``m × 10<sup>k</sup>`` (a plain
    ``1.1e-11`` would look like rounding noise to nbval's sanitiser, which hides such numbers).

    Examples:
        >>> sci(1.13e-11), sci(0.26), sci(78000.0, 0)
        ('1.1 × 10<sup>−11</sup>', '2.6 × 10<sup>−1</sup>', '8 × 10<sup>4</sup>')
    """
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa} × 10<sup>{minus(str(int(exponent)))}</sup>"


def gradient_norms_chart(curves, title: str = "Weight-gradient norm at each layer",
                         ylabel: str = "‖∂L/∂W‖ (log scale)", ylim=None) -> Chart:
    """One value per layer for several networks, on a log axis: a chart drawn by the page (for an
    explorer; :func:`plot_plain_vs_residual` is the static figure).

    Args:
        curves: ``{name: values}``, the values for layers ``1 .. L`` from the input. Names starting
            with ``"plain"``, ``"plain + BatchNorm"``, ``"residual"``, ``"residual + BatchNorm"``
            get the chapter's fixed styles (plain dashed, residual solid).
        title, ylabel: labels.
        ylim: fixed y limits (the same for every frame of an explorer); decade ticks.

    Returns:
        A :class:`~layers_lib.viz.Chart`.

    Examples:
        >>> panel = gradient_norms_chart({"plain": [1e-9, 1e-3, 1.0], "residual": [0.5, 0.7, 1.0]}).to_dict()
        >>> panel["marks"][0]["y"], [name for *_, name in panel["legend"]]
        ([-9, -3, 0], ['plain', 'residual'])
    """
    if not isinstance(curves, dict) or not curves:
        raise TypeError("gradient_norms_chart expected a non-empty dict {name: values}")
    layers = max(len(v) for v in curves.values())
    step = next(s for s in (1, 2, 5, 10, 20, 50) if layers / s <= 7)
    xticks = [(k, str(k)) for k in sorted({1, *range(step, layers + 1, step)})]
    yticks = None
    if ylim is not None:
        lo, hi = (int(np.ceil(np.log10(ylim[0]))), int(np.floor(np.log10(ylim[1]))))
        every = next(s for s in (1, 2, 3, 4, 5, 10) if (hi - lo) / s <= 6)
        sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
        yticks = [(10.0 ** k, {0: "1", 1: "10"}.get(k, "10" + str(k).translate(sup)))
                  for k in range(lo - lo % every, hi + 1, every) if k >= lo]
    chart = Chart(title, "layer (1 = next to the input)", ylabel, width=560, height=280, ylog=True,
                  ylim=ylim, yticks=yticks, xlim=(0.5, layers + 0.5), xticks=xticks)
    for i, (name, values) in enumerate(curves.items()):
        key = next((k for k in sorted(_CHART_STYLE, key=len, reverse=True) if name.startswith(k)), None)
        colour, dash = _CHART_STYLE[key] if key else (i % 6, False)
        x = np.arange(1, len(values) + 1)
        chart.line(x, values, color=colour, dash=dash, label=name)
        chart.points(x, values, color=colour, size=_DOT_PX)
    return chart


def plot_plain_vs_residual(grad_norms, losses, title: str = "Plain and residual stacks",
                           smooth: int = 10, log_loss: bool = True):
    """Gradient norms per layer (left, at initialisation) beside the training loss (right).

    Args:
        grad_norms: ``{name: per-layer values}``, as for :func:`gradient_norms_chart`.
        losses: ``{name: per-step training losses}``; drawn as a running mean over ``smooth``
            steps (non-finite losses, from a diverged run, are left out).
        title: the figure title.
        smooth: the window of the running mean.
        log_loss: draw the loss on a log axis (a diverging start and a loss near zero both fit).

    Returns:
        The matplotlib Figure.

    Examples:
        >>> fig = plot_plain_vs_residual({"plain": [1e-9, 1.0]}, {"plain": np.linspace(2.3, 2.0, 30)})
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['layer (1 = next to the input)', 'training step']
    """
    if not grad_norms or not losses:
        raise TypeError("plot_plain_vs_residual expected non-empty dicts of gradient norms and losses")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 3.6))
    _norms_axis(left, grad_norms, "‖∂L/∂W‖ (log scale)", "Gradient norm per layer, at initialisation")
    for i, (name, values) in enumerate(losses.items()):
        values = np.asarray(values, dtype=float)
        k = max(1, min(int(smooth), len(values)))
        mean = np.convolve(values, np.ones(k) / k, mode="valid")
        steps = np.arange(k, len(values) + 1)
        ok = np.isfinite(mean)
        colour, dash = _style(name, i)
        right.plot(steps[ok], mean[ok], color=colour, ls=dash, lw=1.6, label=name)
    if log_loss:
        right.set_yscale("log")
    right.set_xlabel("training step")
    right.set_ylabel(f"training loss (mean of {k} steps)" if k > 1 else "training loss")
    right.set_title("Training loss", fontsize=10)
    right.grid(alpha=0.3)
    right.legend(fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
