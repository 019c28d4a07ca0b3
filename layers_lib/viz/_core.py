"""The course's visual toolkit: plot helpers, slider explorers and step-by-step animations.

Chapters import this module instead of writing matplotlib code::

    from layers_lib import viz
    rng = viz.setup(seed=0)          # compact figures + one seeded Generator for the chapter
    viz.show_grid(x, title="input");  # every helper returns its Figure; end the cell with ';'

**Why the ';'.** Each plot helper returns the matplotlib Figure, so a chapter can adjust it. In a
notebook the inline backend already shows every figure a cell creates; a cell that *ends* with a
returned Figure would show it a second time, as the cell's result. End such cells with ``;`` (or
assign the result) and the figure appears once.

**Interactive figures that work on the website.** The course website has no kernel, so a live
``ipywidgets`` slider would render dead. :func:`explore` therefore has two modes:

* *static* (``LAYERS_LIB_STATIC=1``, as the notebook runner and nbval set it, or outside a running
  kernel, or without anywidget): every combination of the slider values is drawn once, stored as
  a small PNG, and the result is **one self-contained HTML snippet** — range sliders, an image, a
  read-out and a few lines of inline JavaScript that swap frames as a slider moves. No external
  script, no URL, no widget state; the HTML is identical from run to run apart from the PNG bytes.
* *live* (inside a kernel, e.g. on Binder or Colab): the same HTML and script as an ``anywidget``
  widget, whose slider moves call ``draw`` again with ``layers_lib`` computing live.

:func:`conv_animation`, :func:`conv_backward_animation` and :func:`pool_animation` show one
output position per frame in an in-page player (step slider, Prev / Play / Next) built by the
same HTML generator. Their numbers are computed here with plain NumPy so that the pictures do
not depend on the layers they illustrate; the tests check them against direct computations.

Make an explorer or an animation the *last expression* of its cell so that it is displayed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import inspect
import io
import itertools
import json
import os
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, ImageDraw, ImageFont

from layers_lib._checks import check_int, pair

__all__ = [
    "setup", "show_grid", "show_feature_maps", "show_kernels", "show_images", "plot_curves",
    "plot_functions", "heatmap", "bar_counts", "histograms", "show_source", "Source",
    "explore", "Explorer", "LiveExplorer", "Animation",
    "conv_animation", "conv_backward_animation", "pool_animation",
]

MAX_FRAMES = 100  # per explorer or animation: each frame is a PNG in the page

# Colours chosen to stay distinguishable in greyscale; highlighted cells also get a thick outline.
_WHITE, _PAD, _EMPTY = "#ffffff", "#dcdcdc", "#f4f4f4"
_TAP, _STRONG = "#f4a582", "#d6604d"
_LINES = cycler(color=["#1f3b73", "#d95f02", "#1b9e77", "#7570b3", "#555555", "#e7298a"],
                linestyle=["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))])


# ----------------------------------------------------------------------------------------------
# Setup and plot helpers
# ----------------------------------------------------------------------------------------------

def setup(seed: int = 0) -> np.random.Generator:
    """Prepare a chapter: compact, readable figures and one seeded random generator.

    Sets matplotlib's rcParams (about 80 dpi so the stored notebooks stay small, 9-point fonts, no
    grid, top/right spines off, greyscale-readable colour map ``viridis`` and a line cycle that
    varies the dash pattern as well as the colour) and returns ``np.random.default_rng(seed)``.

    Args:
        seed: the seed of the returned generator.

    Returns:
        A ``numpy.random.Generator``; pass it as ``rng=`` to every layer of the chapter.

    Examples:
        >>> rng = setup(seed=0)
        >>> float(np.round(rng.normal(), 4))
        0.1257
    """
    plt.rcParams.update({
        "figure.dpi": 80, "savefig.dpi": 80, "figure.figsize": (6.0, 3.6),
        "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "figure.titlesize": 11,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8, "legend.frameon": False,
        "axes.grid": False, "axes.spines.top": False, "axes.spines.right": False,
        "image.cmap": "viridis", "image.interpolation": "nearest", "axes.prop_cycle": _LINES,
    })
    return np.random.default_rng(seed)


def _new_figure(nrows: int = 1, ncols: int = 1, figsize=None, **kwargs):
    """``plt.subplots`` with constrained layout: a pyplot figure, so notebooks display it inline."""
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", squeeze=False, **kwargs)
    return fig, axes


def _grid_layout(n: int, ncols: int | None, panel: float = 1.6, max_cols: int = 8):
    """Rows, columns and figure size for ``n`` small panels."""
    ncols = max(1, min(n, ncols or min(n, max_cols)))
    nrows = -(-n // ncols)
    return nrows, ncols, (panel * ncols + 0.4, panel * nrows + 0.6)


def _text_colour(rgba) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba``."""
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _annotate_cells(ax: Axes, image, values: np.ndarray, fmt: str, fontsize: float) -> None:
    colours = image.cmap(image.norm(values))
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, _minus(fmt.format(v)), ha="center", va="center", fontsize=fontsize,
                color=_text_colour(colours[i, j]))


def _as_2d(name: str, a, ndims=(2,)) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim not in ndims or a.size == 0:
        want = " or ".join(f"a {d}-D" for d in ndims)
        raise ValueError(f"{name} expected {want} non-empty array, got shape {a.shape}")
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{name} expected a numeric array, got dtype {a.dtype}")
    return a.astype(np.float64)


def show_grid(a, ax: Axes | None = None, title: str | None = None, annotate: bool = True,
              fmt: str = "{:.0f}", cmap: str = "viridis", vmin=None, vmax=None,
              xlabel: str = "column", ylabel: str = "row") -> Figure:
    """Show a small 2-D array as a grid of coloured cells, with each number written in its cell.

    Args:
        a: a 2-D array, e.g. one channel of an image or a kernel.
        ax: draw into this Axes instead of a new figure.
        title: the title (default: ``"array of shape (H, W)"``).
        annotate: write the values in the cells (skipped above 400 cells).
        fmt: format of the written values, e.g. ``"{:.2f}"``.
        cmap, vmin, vmax: colour map and limits.
        xlabel, ylabel: axis labels.

    Returns:
        The Figure.

    Examples:
        >>> fig = show_grid(np.arange(6).reshape(2, 3), title="a 2×3 grid")
        >>> fig.axes[0].get_title()
        'a 2×3 grid'
    """
    a = _as_2d("show_grid", a)
    if ax is None:
        rows, cols = a.shape
        fig, axes = _new_figure(figsize=(max(2.4, 0.45 * cols + 1.2), max(2.0, 0.45 * rows + 0.9)))
        ax = axes[0, 0]
    image = ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
    if annotate and a.size <= 400:
        _annotate_cells(ax, image, a, fmt, fontsize=8 if a.shape[1] <= 10 else 6)
    ax.set_title(title or f"array of shape {a.shape}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for axis, n in ((ax.xaxis, a.shape[1]), (ax.yaxis, a.shape[0])):
        axis.set_ticks(range(n) if n <= 12 else range(0, n, max(1, n // 6)))
    return ax.figure


def _panels(name: str, arrays: np.ndarray, titles, ncols, title, cmap, symmetric: bool,
            annotate: bool, fmt: str, xlabel: str, ylabel: str) -> Figure:
    """A grid of small image panels sharing one colour scale (the core of the show_* helpers)."""
    n = arrays.shape[0]
    if titles is not None and len(titles) != n:
        raise ValueError(f"{name} expected {n} titles (one per panel), got {len(titles)}")
    nrows, ncols, figsize = _grid_layout(n, ncols)
    fig, axes = _new_figure(nrows, ncols, figsize=figsize)
    finite = arrays[np.isfinite(arrays)] if arrays.dtype.kind == "f" else arrays
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if symmetric:
        hi = max(abs(lo), abs(hi)) or 1.0
        lo = -hi
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        image = ax.imshow(arrays[k], cmap=cmap, vmin=lo, vmax=hi)
        if annotate:
            _annotate_cells(ax, image, arrays[k], fmt, fontsize=7)
        ax.set_title(titles[k] if titles is not None else f"{k}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.supxlabel(xlabel, fontsize=8)
    fig.supylabel(ylabel, fontsize=8)
    return fig


def show_feature_maps(maps, titles: Sequence[str] | None = None, ncols: int | None = None,
                      title: str = "Feature maps", cmap: str = "viridis", annotate: bool = False,
                      fmt: str = "{:.1f}") -> Figure:
    """Show the channels of a feature map side by side, on one shared colour scale.

    Args:
        maps: ``(C, H, W)``, ``(1, C, H, W)`` (the first example of a batch) or ``(H, W)``.
        titles: one title per channel (default ``"channel k"``).
        ncols: panels per row (default: up to 8).
        title: the figure title.
        cmap: colour map; annotate/fmt: write the values in the cells.

    Returns:
        The Figure.

    Examples:
        >>> fig = show_feature_maps(np.zeros((3, 4, 4)))
        >>> [ax.get_title() for ax in fig.axes]
        ['channel 0', 'channel 1', 'channel 2']
    """
    maps = _as_2d("show_feature_maps", maps, ndims=(2, 3, 4))
    if maps.ndim == 4:
        maps = maps[0]
    if maps.ndim == 2:
        maps = maps[None]
    titles = titles if titles is not None else [f"channel {c}" for c in range(maps.shape[0])]
    return _panels("show_feature_maps", maps, titles, ncols, title, cmap, False, annotate, fmt,
                   "width (columns)", "height (rows)")


def show_kernels(weight, channel: int | str = 0, ncols: int | None = None,
                 title: str = "Convolution kernels", cmap: str = "gray",
                 annotate: bool | None = None, fmt: str = "{:.2f}") -> Figure:
    """Show convolution kernels as small greyscale grids, on one symmetric colour scale.

    Args:
        weight: ``(C_out, C_in, kH, kW)`` (a ``Conv2d.weight``), ``(C_out, kH, kW)`` or ``(kH, kW)``.
        channel: which input channel to show for every filter, or ``"all"`` for one row per
            filter and one column per input channel.
        ncols: panels per row when one channel is shown.
        title: the figure title.
        cmap: colour map (dark = negative, light = positive with the default ``"gray"``).
        annotate: write the weights in the cells (default: when kernels are at most 5×5 and
            there are at most 16 panels).
        fmt: format of the written weights.

    Returns:
        The Figure.

    Examples:
        >>> fig = show_kernels(np.ones((4, 3, 3, 3)), channel="all")
        >>> len([ax for ax in fig.axes if ax.get_visible()])
        12
    """
    w = _as_2d("show_kernels", weight, ndims=(2, 3, 4))
    if w.ndim == 2:
        w = w[None, None]
    elif w.ndim == 3:
        w = w[:, None]
    n_out, n_in = w.shape[:2]
    if channel == "all":
        panels = w.reshape(n_out * n_in, *w.shape[2:])
        titles = [f"filter {o}, in {i}" for o in range(n_out) for i in range(n_in)]
        ncols = n_in
    else:
        if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel < n_in:
            raise ValueError(f"show_kernels expected channel in 0..{n_in - 1} or 'all', got {channel!r}")
        panels = w[:, channel]
        titles = [f"filter {o}" for o in range(n_out)]
    if annotate is None:
        annotate = panels.shape[1] * panels.shape[2] <= 25 and panels.shape[0] <= 16
    return _panels("show_kernels", panels, titles, ncols, title, cmap, True, annotate, fmt,
                   "kernel column", "kernel row")


def show_images(images, labels: Sequence | None = None, ncols: int | None = None,
                title: str = "Images", cmap: str = "gray") -> Figure:
    """Show a batch of images in a grid, each titled with its label.

    Args:
        images: ``(N, H, W)``, ``(N, 1, H, W)``, ``(N, 3, H, W)`` or ``(N, H, W, 3)``; colour
            images are rescaled into [0, 1] if they fall outside it.
        labels: one label per image (shown as its title).
        ncols: images per row (default: up to 8).
        title: the figure title.
        cmap: colour map for single-channel images.

    Returns:
        The Figure.

    Examples:
        >>> fig = show_images(np.zeros((2, 1, 5, 5)), labels=["zero", "one"])
        >>> [ax.get_title() for ax in fig.axes]
        ['zero', 'one']
    """
    x = _as_2d("show_images", images, ndims=(3, 4))
    if x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        x = np.moveaxis(x, 1, -1)  # (N, C, H, W) -> (N, H, W, C)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 4 and x.shape[-1] != 3:
        raise ValueError(f"show_images expected 1 or 3 colour channels, got shape {np.shape(images)}")
    if labels is not None and len(labels) != len(x):
        raise ValueError(f"show_images expected {len(x)} labels (one per image), got {len(labels)}")
    nrows, ncols, figsize = _grid_layout(len(x), ncols, panel=1.3)
    fig, axes = _new_figure(nrows, ncols, figsize=figsize)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= len(x):
            ax.set_visible(False)
            continue
        img = x[k]
        if img.ndim == 3 and (img.min() < 0 or img.max() > 1):
            span = img.max() - img.min()
            img = (img - img.min()) / (span if span > 0 else 1.0)
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        ax.set_title(str(labels[k]) if labels is not None else f"image {k}", fontsize=8)
    fig.suptitle(title)
    fig.supxlabel("width (pixels)", fontsize=8)
    fig.supylabel("height (pixels)", fontsize=8)
    return fig


def _line_plot(ax: Axes, series: Mapping[str, np.ndarray], x, markers: bool) -> None:
    for k, (name, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=np.float64).ravel()
        xs = np.arange(len(values)) if x is None else np.asarray(x[name] if isinstance(x, Mapping) else x)
        if len(xs) != len(values):
            raise ValueError(f"plot_curves: series {name!r} has {len(values)} values but x has {len(xs)}")
        ax.plot(xs, values, label=name, marker="os^dvx"[k % 6] if markers else None, markersize=4)


def plot_curves(series: Mapping[str, np.ndarray], x=None, xlabel: str = "step", ylabel: str = "value",
                title: str | None = None, logy: bool = False, logx: bool = False,
                markers: bool = False) -> Figure:
    """Plot named curves against a common x (training losses, errors against a step size, ...).

    Args:
        series: ``{name: values}``; one line each, told apart by colour *and* dash pattern.
        x: the x values (shared array, or ``{name: array}``); default ``0, 1, 2, ...``.
        xlabel, ylabel, title: the labels (default title: ``"<ylabel> against <xlabel>"``).
        logy, logx: logarithmic axes.
        markers: also mark every point.

    Returns:
        The Figure.

    Examples:
        >>> fig = plot_curves({"train": [3, 2, 1], "test": [3, 2.5, 2]}, xlabel="epoch", ylabel="loss")
        >>> fig.axes[0].get_title()
        'loss against epoch'
    """
    if not isinstance(series, Mapping) or not series:
        raise TypeError(f"plot_curves expected a non-empty dict name -> values, got {type(series).__name__}")
    fig, axes = _new_figure(figsize=(5.2, 3.2))
    ax = axes[0, 0]
    _line_plot(ax, series, x, markers)
    ax.set_xscale("log" if logx else "linear")
    ax.set_yscale("log" if logy else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{ylabel} against {xlabel}")
    if len(series) > 1:
        ax.legend()
    return fig


def plot_functions(xs, funcs: Mapping[str, tuple], title: str = "Functions and their derivatives",
                   xlabel: str = "x") -> Figure:
    """Plot functions (left) and their derivatives (right), e.g. activation functions.

    Args:
        xs: the x values.
        funcs: ``{name: (f, df)}`` where each of ``f`` and ``df`` is a callable applied to ``xs``
            or an array of values at ``xs``.
        title: the figure title.
        xlabel: the x-axis label.

    Returns:
        The Figure.

    Examples:
        >>> xs = np.linspace(-3, 3, 61)
        >>> fig = plot_functions(xs, {"tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2)})
        >>> [ax.get_title() for ax in fig.axes]
        ['function', 'derivative']
    """
    xs = np.asarray(xs, dtype=np.float64)
    if not isinstance(funcs, Mapping) or not funcs:
        raise TypeError("plot_functions expected a non-empty dict name -> (f, df)")
    values, derivatives = {}, {}
    for name, pair_ in funcs.items():
        if not isinstance(pair_, (tuple, list)) or len(pair_) != 2:
            raise TypeError(f"plot_functions expected {name!r}: (f, df), got {pair_!r}")
        f, df = (np.asarray(g(xs) if callable(g) else g, dtype=np.float64) for g in pair_)
        values[name], derivatives[name] = f, df
    fig, axes = _new_figure(1, 2, figsize=(7.0, 3.0), sharex=True)
    for ax, series, label, sub in ((axes[0, 0], values, "f(x)", "function"),
                                   (axes[0, 1], derivatives, "f′(x)", "derivative")):
        _line_plot(ax, series, xs, markers=False)
        ax.axhline(0, color="0.7", lw=0.6, zorder=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
        ax.set_title(sub)
        if len(series) > 1:
            ax.legend()
    fig.suptitle(title)
    return fig


def heatmap(matrix, xlabels: Sequence | None = None, ylabels: Sequence | None = None,
            title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
            annotate: bool = False, fmt: str = "{:.2f}", cmap: str = "viridis", vmin=None, vmax=None,
            colorbar: bool = True) -> Figure:
    """Show a matrix as a heat map with labelled rows and columns (attention weights, confusion
    matrices, gate activations over time).

    Args:
        matrix: a 2-D array.
        xlabels, ylabels: tick labels for the columns and rows (e.g. tokens).
        title, xlabel, ylabel: the labels (defaults: ``"matrix (R×C)"``, ``"column"``, ``"row"``).
        annotate, fmt: write the values in the cells.
        cmap, vmin, vmax: colour map and limits; colorbar: draw a colour bar.

    Returns:
        The Figure.

    Examples:
        >>> fig = heatmap(np.eye(3), xlabels=list("abc"), ylabels=list("abc"), title="attention")
        >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
        ['a', 'b', 'c']
    """
    m = _as_2d("heatmap", matrix)
    for name, labels, n in (("xlabels", xlabels, m.shape[1]), ("ylabels", ylabels, m.shape[0])):
        if labels is not None and len(labels) != n:
            raise ValueError(f"heatmap expected {n} {name}, got {len(labels)}")
    fig, axes = _new_figure(figsize=(max(3.0, 0.42 * m.shape[1] + 1.8), max(2.4, 0.36 * m.shape[0] + 1.2)))
    ax = axes[0, 0]
    image = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    if annotate:
        _annotate_cells(ax, image, m, fmt, fontsize=7)
    if xlabels is not None:
        ax.set_xticks(range(m.shape[1]), [str(s) for s in xlabels], rotation=45 if len(xlabels) > 6 else 0)
    if ylabels is not None:
        ax.set_yticks(range(m.shape[0]), [str(s) for s in ylabels])
    ax.set_xlabel(xlabel or "column")
    ax.set_ylabel(ylabel or "row")
    ax.set_title(title or f"matrix ({m.shape[0]}×{m.shape[1]})")
    if colorbar:
        fig.colorbar(image, ax=ax, shrink=0.85)
    return fig


def bar_counts(counts, labels: Sequence | None = None, title: str = "Counts", xlabel: str = "category",
               ylabel: str = "count") -> Figure:
    """Bar chart of counts (class frequencies, token counts, how often each unit fired).

    Args:
        counts: ``{label: count}`` or a 1-D array of counts.
        labels: bar labels when ``counts`` is an array (default ``0, 1, 2, ...``).
        title, xlabel, ylabel: the labels.

    Returns:
        The Figure.

    Examples:
        >>> fig = bar_counts({"cat": 3, "dog": 5})
        >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
        ['cat', 'dog']
    """
    if isinstance(counts, Mapping):
        labels, values = [str(k) for k in counts], np.asarray(list(counts.values()), dtype=np.float64)
    else:
        values = np.asarray(counts, dtype=np.float64).ravel()
        labels = [str(s) for s in labels] if labels is not None else [str(i) for i in range(len(values))]
    if len(labels) != len(values):
        raise ValueError(f"bar_counts expected {len(values)} labels, got {len(labels)}")
    fig, axes = _new_figure(figsize=(max(3.0, 0.4 * len(values) + 1.5), 2.8))
    ax = axes[0, 0]
    ax.bar(range(len(values)), values, color="#1f3b73")
    ax.set_xticks(range(len(values)), labels, rotation=45 if len(values) > 8 else 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig


def histograms(data: Mapping[str, np.ndarray], bins: int = 30, title: str = "Distributions",
               xlabel: str = "value", ylabel: str = "count", ncols: int | None = None,
               sharex: bool = True) -> Figure:
    """One histogram per named array, side by side, each titled with its mean and standard
    deviation (activations layer by layer, gradients before and after normalisation).

    Args:
        data: ``{name: array}``; each array is flattened.
        bins: number of bins.
        title, xlabel, ylabel: the labels.
        ncols: panels per row (default: all in one row, up to 4).
        sharex: share the x-axis so the spreads can be compared.

    Returns:
        The Figure.

    Examples:
        >>> fig = histograms({"layer 1": np.arange(10.0)})
        >>> fig.axes[0].get_title()
        'layer 1\\nmean 4.5, std 2.87'
    """
    if not isinstance(data, Mapping) or not data:
        raise TypeError("histograms expected a non-empty dict name -> array")
    nrows, ncols, _ = _grid_layout(len(data), ncols, max_cols=4)
    fig, axes = _new_figure(nrows, ncols, figsize=(2.6 * ncols + 0.4, 2.3 * nrows + 0.5), sharex=sharex)
    for ax, (name, values) in zip(axes.flat, data.items(), strict=False):
        values = np.asarray(values, dtype=np.float64).ravel()
        ax.hist(values, bins=bins, color="#1f3b73")
        ax.set_title(f"{name}\nmean {values.mean():.3g}, std {values.std():.3g}", fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    for ax in list(axes.flat)[len(data):]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig


class Source:
    """Source code displayed as a highlighted block (Markdown in notebooks and on the website)."""

    def __init__(self, code: str):
        self.code = code

    def _repr_markdown_(self) -> str:
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", self.code)), default=0))
        return f"{fence}python\n{self.code.rstrip()}\n{fence}\n"

    def __repr__(self) -> str:
        return self.code.rstrip()


def show_source(obj) -> Source:
    """The source of a function or class from ``layers_lib``, to display in a chapter: the book
    shows the code that actually runs, never a copy.

    Examples:
        >>> print(show_source(setup).code.splitlines()[0])
        def setup(seed: int = 0) -> np.random.Generator:
    """
    return Source(textwrap.dedent(inspect.getsource(obj)))


# ----------------------------------------------------------------------------------------------
# Frames: figures to small PNGs
# ----------------------------------------------------------------------------------------------

def _render_png(fig: Figure, dpi: float | None = None, colors: int = 64) -> bytes:
    """Render ``fig`` with Agg into a palette PNG (about half the size of a full-colour one).

    ``dpi`` sets the figure's resolution first (frames are disposable figures); a pyplot figure
    keeps its own Agg canvas, a bare ``Figure`` gets one.
    """
    if dpi is not None and fig.dpi != dpi:
        fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return _png(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]), colors)


def _png(image: Image.Image, colors: int = 64) -> bytes:
    """A palette PNG with no text chunks (no software name, no timestamp)."""
    image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _call_draw(draw: Callable, setting: dict) -> Figure:
    """Call ``draw(**setting)``; close every pyplot figure it opened (so a notebook does not show
    them too) and return the Figure it drew."""
    before = set(plt.get_fignums())
    result = draw(**setting)
    for number in set(plt.get_fignums()) - before:
        plt.close(number)
    fig = result.figure if isinstance(result, Axes) else result
    if not isinstance(fig, Figure):
        raise TypeError(f"explore: draw(**setting) must return a matplotlib Figure (or Axes), "
                        f"got {type(result).__name__} for setting {setting}")
    return fig


# ----------------------------------------------------------------------------------------------
# The self-contained slider widget: one HTML/JS generator for explorers and players
# ----------------------------------------------------------------------------------------------

_CSS = (
    ".ll-explorer,.ll-player{margin:.6em 0;max-width:100%}"
    ".ll-caption{font-weight:600;margin-bottom:.3em}"
    ".ll-controls{display:flex;flex-wrap:wrap;gap:.3em 1.6em;align-items:center;margin-bottom:.4em}"
    ".ll-control{display:inline-flex;align-items:center;gap:.45em;white-space:nowrap}"
    ".ll-value{min-width:3em;font-weight:600;font-variant-numeric:tabular-nums}"
    ".ll-buttons{display:inline-flex;gap:.4em}"
    ".ll-buttons button{padding:.15em .7em;cursor:pointer}"
    ".ll-frame{display:block;max-width:100%;height:auto}"
    ".ll-readout{margin-top:.3em;min-height:1.4em;font-variant-numeric:tabular-nums}"
)

# The one renderer behind every explorer and player: ``bind(root, d, live)`` wires the sliders,
# buttons, frame and read-out of one ``.ll-explorer`` / ``.ll-player`` element. Static (the
# website, a trusted notebook): ``d.frames`` holds every frame. Live (a kernel, through anywidget):
# ``live.request(k)`` asks Python for frame ``k`` and ``live.receive`` gets it back; while one
# frame is being drawn, further moves only update the labels, and the newest setting is requested
# as soon as the frame arrives, so dragging a slider never floods the kernel.
# Keys pressed on a slider stay with the slider: JupyterLab's command-mode shortcuts (ArrowLeft
# collapses a heading, "a"/"b" insert cells) must not fire while a reader steps through settings,
# and a click on a slider must leave the focus on the slider.
_BIND_JS = """function (root, d, live) {
  if (!root || root.getAttribute("data-ll-bound")) return;
  root.setAttribute("data-ll-bound", "1");
  var img = root.querySelector(".ll-frame"), out = root.querySelector(".ll-readout");
  var sliders = root.querySelectorAll(".ll-slider"), shown = root.querySelectorAll(".ll-value");
  var waiting = false, pending = null;
  if (!live) d.frames[d.start] = img.getAttribute("src");
  // Keys, presses and focus inside the figure are the figure's: otherwise JupyterLab's notebook takes
  // the focus back to the cell on mousedown and runs its command-mode shortcuts on keydown.
  ["keydown", "mousedown", "focusin"].forEach(function (type) {
    root.addEventListener(type, function (e) { e.stopPropagation(); });
  });
  function draw(k, src, alt, html, width) {
    if (img.getAttribute("src") !== src) img.setAttribute("src", src);
    if (width) img.style.width = width + "px";
    img.setAttribute("alt", alt);
    out.innerHTML = html;
    root.setAttribute("data-frame", String(k));
  }
  function show() {
    var k = 0;
    for (var i = 0; i < sliders.length; i++) {
      var v = Number(sliders[i].value), label = d.labels[i][v];
      k = k * d.labels[i].length + v;
      shown[i].textContent = label;
      sliders[i].setAttribute("aria-valuetext", label);
    }
    if (!live) { draw(k, d.frames[k], d.alts[k], d.readouts[k]); return; }
    if (waiting) { pending = k; return; }
    if (String(k) === root.getAttribute("data-frame")) return;
    waiting = true;
    live.request(k);
  }
  if (live) {
    live.receive = function (f) {
      draw(f.k, f.src, f.alt, f.readout, f.width);
      waiting = false;
      var next = pending;
      pending = null;
      if (next !== null && next !== f.k) { waiting = true; live.request(next); }
    };
  }
  for (var i = 0; i < sliders.length; i++) sliders[i].addEventListener("input", show);
  if (live) { if (live.current) live.receive(live.current); } else show();
  var play = root.querySelector(".ll-play");
  if (!play) return;
  var step = sliders[0], n = d.labels[0].length, timer = null;
  var go = function (delta) { step.value = String((Number(step.value) + delta + n) % n); show(); };
  var stop = function () {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.innerHTML = '<span aria-hidden="true">\\u25b6</span> Play';
    play.setAttribute("aria-pressed", "false");
    out.setAttribute("aria-live", "polite");
  };
  root.querySelector(".ll-prev").addEventListener("click", function () { stop(); go(-1); });
  root.querySelector(".ll-next").addEventListener("click", function () { stop(); go(1); });
  step.addEventListener("input", stop);
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    out.setAttribute("aria-live", "off");
    play.innerHTML = '<span aria-hidden="true">\\u275a\\u275a</span> Pause';
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(function () { go(1); }, d.interval);
  });
}"""

# Inline in every static snippet: binds every explorer/player on the page that is not bound yet
# (its data lives in its own <script type="application/json">), however the page inserted the
# HTML: parsed with the page (the website), or inserted later by JupyterLab or the classic notebook.
_JS = """(function () {
  var bind = """ + _BIND_JS + """;
  function start(root) {
    var holder = root && root.querySelector && root.querySelector("script.ll-data");
    if (holder && !root.getAttribute("data-ll-bound")) bind(root, JSON.parse(holder.textContent));
  }
  var me = document.currentScript;
  if (me) start(me.parentNode);
  var all = document.querySelectorAll(".ll-explorer, .ll-player");
  for (var i = 0; i < all.length; i++) start(all[i]);
})();"""

# The live explorer's front end (an anywidget ES module): the same HTML and the same ``bind``;
# frames come from the kernel (trait ``frame``) when the reader moves a slider (trait ``request``).
_ESM = """const bind = """ + _BIND_JS + """;
export default {
  render({ model, el }) {
    el.innerHTML = model.get("html");
    const root = el.querySelector(".ll-explorer");
    // a request carries a serial number, so asking again for the frame last asked for is a change too
    const live = {
      current: model.get("frame"),
      request(k) { model.set("request", [k, model.get("request")[1] + 1]); model.save_changes(); },
    };
    const onFrame = () => live.receive(model.get("frame"));
    model.on("change:frame", onFrame);
    bind(root, model.get("data"), live);
    return () => model.off("change:frame", onFrame);
  },
};"""

_SIMPLE_TAG = re.compile(r"&lt;(/?)(b|i|em|strong|sub|sup|code|small|br)\s*/?&gt;")


def _readout_html(value) -> str:
    """Plain text is escaped; the simple tags ``<b> <i> <em> <strong> <sub> <sup> <code> <small>
    <br>`` (without attributes) are kept; an object with ``__html__`` is trusted as it is."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _SIMPLE_TAG.sub(r"<\1\2>", html.escape(str(value), quote=False))


def _json_for_script(data) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' can close the element."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _skeleton(kind: str, title: str, controls: list[tuple[str, list[str]]], start: int, src: str,
              alt: str, readout: str, identity) -> list[str]:
    """The HTML of one explorer or player without its data and script: caption, sliders (and
    player buttons), the frame and the read-out, showing the setting ``start``. Shared by the
    static snippet and the live widget, so both look and behave the same. The element id is a
    hash of ``identity`` (JSON-able, never PNG bytes), so the HTML is the same from run to run."""
    esc = html.escape
    content = json.dumps(identity).encode()
    digest = hashlib.sha1(content, usedforsecurity=False).hexdigest()
    positions = np.unravel_index(start, [len(labels) for _, labels in controls])
    # data-lm-suppress-shortcuts: JupyterLab (Lumino) ignores its keyboard shortcuts inside it
    parts = [f'<div class="ll-{kind}" id="ll-{digest[:12]}" role="group" data-lm-suppress-shortcuts="true" '
             f'aria-label="{esc(title)} (interactive figure)">',
             f"<style>{_CSS}</style>",
             f'<div class="ll-caption">{esc(title)}</div>',
             '<div class="ll-controls">']
    for (name, labels), pos in zip(controls, positions, strict=True):
        parts.append(
            f'<label class="ll-control">{esc(name)} <input type="range" class="ll-slider" '
            f'data-param="{esc(name)}" min="0" max="{len(labels) - 1}" step="1" value="{pos}" '
            f'autocomplete="off" aria-label="{esc(name)}" aria-valuetext="{esc(labels[pos])}">'
            f'<output class="ll-value">{esc(labels[pos])}</output></label>')
    if kind == "player":
        parts.append('<span class="ll-buttons">'
                     '<button type="button" class="ll-prev" aria-label="Prev: previous step">'
                     '<span aria-hidden="true">&#9664;</span> Prev</button>'
                     '<button type="button" class="ll-play" aria-pressed="false">'
                     '<span aria-hidden="true">&#9654;</span> Play</button>'
                     '<button type="button" class="ll-next" aria-label="Next step">'
                     'Next <span aria-hidden="true">&#9654;</span></button>'
                     '</span>')
    parts.append("</div>")
    parts.append(f'<img class="ll-frame" src="{src}" alt="{esc(alt)}">')
    parts.append(f'<div class="ll-readout" aria-live="polite">{readout}</div>')
    return parts


def _widget_html(kind: str, title: str, controls: list[tuple[str, list[str]]], frames: list[str],
                 readouts: list[str], alts: list[str], start: int, interval_ms: int = 0) -> str:
    """The self-contained snippet behind :class:`Explorer` and :class:`Animation`.

    ``controls`` lists ``(name, labels)`` per slider; frame ``k`` belongs to the setting whose
    slider positions are the row-major (mixed-radix) digits of ``k``. ``kind`` is ``"explorer"``
    or ``"player"`` (a player has one step slider and Prev / Play / Next buttons).
    """
    parts = _skeleton(kind, title, controls, start, frames[start], alts[start], readouts[start],
                      identity=[kind, title, controls, readouts, alts, start])
    # The start frame is stored once, in the <img>; the script puts it back into the list.
    data = {"labels": [labels for _, labels in controls], "start": start, "interval": interval_ms,
            "frames": [None if k == start else f for k, f in enumerate(frames)],
            "alts": alts, "readouts": readouts}
    parts.append(f'<script type="application/json" class="ll-data">{_json_for_script(data)}</script>')
    parts.append(f"<script>{_JS}</script>")
    parts.append("</div>")
    return "\n".join(parts)


class Explorer:
    """A precomputed slider explorer that needs no kernel: what :func:`explore` returns in static
    mode. Displayed through ``_repr_html_`` only (never a widget mimetype, which the website
    would show as a dead widget).

    Attributes:
        title: the caption.
        params: ``{name: [values]}`` in slider order.
        settings: every combination, in frame order (row-major over ``params``).
        frames: one ``data:image/png;base64,...`` URI per setting.
        readouts: one HTML read-out per setting; alts: one alt text per setting.
        start: index of the setting shown first.
        html: the self-contained HTML snippet.
    """

    _kind = "explorer"

    def __init__(self, title: str, params: Mapping[str, Sequence], frames: list[str],
                 readouts: list[str], alts: list[str], start: int = 0, interval_ms: int = 0):
        self.title = title
        self.params = {name: list(values) for name, values in params.items()}
        self.settings = [dict(zip(self.params, combo, strict=True))
                         for combo in itertools.product(*self.params.values())]
        if not len(frames) == len(readouts) == len(alts) == len(self.settings):
            raise ValueError(f"{type(self).__name__} expected one frame, read-out and alt text per setting "
                             f"({len(self.settings)}), got {len(frames)}, {len(readouts)}, {len(alts)}")
        self.frames, self.readouts, self.alts = list(frames), list(readouts), list(alts)
        self.start = start
        self.interval_ms = interval_ms

    def _labels(self) -> list[tuple[str, list[str]]]:
        return [(name, [str(v) for v in values]) for name, values in self.params.items()]

    @cached_property
    def html(self) -> str:
        return _widget_html(self._kind, self.title, self._labels(), self.frames, self.readouts,
                            self.alts, self.start, self.interval_ms)

    def _repr_html_(self) -> str:
        return self.html

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"Explorer({self.title!r}: {' × '.join(self.params)}, {len(self)} frames)"


class Animation(Explorer):
    """A step-by-step animation in an in-page player (step slider, Prev / Play / Next) that needs
    no kernel. ``result`` holds the array the animation computes (the output, or the input
    gradient), for checks."""

    _kind = "player"

    def __init__(self, title: str, frames: list[str], readouts: list[str], alts: list[str],
                 result: np.ndarray | None = None, interval_ms: int = 900):
        super().__init__(title, {"step": list(range(1, len(frames) + 1))}, frames, readouts, alts,
                         start=0, interval_ms=interval_ms)
        self.result = result

    def _labels(self) -> list[tuple[str, list[str]]]:
        n = len(self.frames)
        return [("step", [f"{k} of {n}" for k in range(1, n + 1)])]

    def __repr__(self) -> str:
        return f"Animation({self.title!r}: {len(self)} steps)"


# ----------------------------------------------------------------------------------------------
# explore: static (self-contained HTML) or live (anywidget)
# ----------------------------------------------------------------------------------------------

def _live_kernel() -> bool:
    """True inside a running Jupyter kernel with anywidget, unless LAYERS_LIB_STATIC is set."""
    if os.environ.get("LAYERS_LIB_STATIC", "") not in ("", "0"):
        return False
    try:
        import anywidget  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _check_params(params) -> dict[str, list]:
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"explore expected params as a non-empty dict name -> list of values, got {params!r}")
    checked = {}
    for name, values in params.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"explore expected parameter names that are identifiers, got {name!r}")
        listlike = isinstance(values, (Sequence, np.ndarray)) and not isinstance(values, (str, bytes))
        if not listlike or len(values) == 0:
            raise TypeError(f"explore expected a non-empty list of values for {name!r}, got {values!r}")
        checked[name] = list(values)
    return checked


def _frame_index(params: dict[str, list], setting: Mapping) -> int:
    """The frame index of ``setting``: the row-major (mixed-radix) number whose digits are the
    slider positions of its values (StopIteration or KeyError if one is not a slider value)."""
    positions = [next(i for i, v in enumerate(values) if v == setting[name])
                 for name, values in params.items()]
    return int(np.ravel_multi_index(positions, [len(values) for values in params.values()]))


def _default_alt(title: str, setting: dict) -> str:
    return f"{title}: " + ", ".join(f"{name} = {value}" for name, value in setting.items())


@functools.cache
def _live_widget_class():
    """The anywidget class behind :class:`LiveExplorer` (made on first use: anywidget is only
    needed for live explorers)."""
    import anywidget
    import traitlets

    class LiveExplorerWidget(anywidget.AnyWidget):
        """The front end runs :data:`_ESM`: the explorer's HTML and the static explorers' ``bind``;
        ``request`` (set by the browser) is ``[frame index asked for, serial number]``, ``frame``
        (set by Python) the frame drawn: ``{"k", "src", "width", "alt", "readout"}``."""

        _esm = traitlets.Unicode(_ESM).tag(sync=True)
        html = traitlets.Unicode().tag(sync=True)
        data = traitlets.Dict().tag(sync=True)
        request = traitlets.List([0, 0]).tag(sync=True)
        frame = traitlets.Dict().tag(sync=True)

    return LiveExplorerWidget


class LiveExplorer:
    """A live explorer: what :func:`explore` returns inside a kernel. The sliders and read-out
    are the static explorer's own HTML and script (an anywidget front end), so it looks and
    behaves the same in JupyterLab, Notebook 7, VS Code and Colab; each slider move asks Python
    to draw that setting with ``layers_lib``. Frames are rendered at twice ``dpi`` and shown at
    their natural size (sharp on high-density screens, never stretched). Displaying it displays
    the widget.

    Attributes:
        params: ``{name: [values]}`` in slider order; widget: the anywidget.
        setting: the current setting; calls: how many frames have been drawn;
        png: the current frame (PNG bytes); readout: its HTML read-out; alt: its alt text.
    """

    def __init__(self, draw: Callable, params: dict[str, list], readout, alt, title: str,
                 dpi: float, start: dict):
        self.title, self.params = title, params
        self._draw, self._readout, self._alt, self._dpi = draw, readout, alt, dpi
        self._sizes = [len(values) for values in params.values()]
        self.calls = 0
        controls = [(name, [str(v) for v in values]) for name, values in params.items()]
        k = _frame_index(params, start)
        self.widget = _live_widget_class()(data={"labels": [labels for _, labels in controls], "start": k},
                                           request=[k, 0])
        self._show(k)
        self.widget.html = "\n".join(_skeleton("explorer", title, controls, k, self.widget.frame["src"],
                                               self.alt, self.readout, identity=["live", title, controls])
                                     + ["</div>"])
        self.widget.observe(self._on_request, names="request")

    @property
    def setting(self) -> dict:
        positions = np.unravel_index(self._k, self._sizes)
        return {name: values[p] for (name, values), p in zip(self.params.items(), positions, strict=True)}

    def set(self, **setting) -> None:
        """Move sliders to ``setting`` (what a reader dragging them does) and redraw."""
        merged = {**self.setting, **setting}
        try:
            k = _frame_index(self.params, merged)
        except (KeyError, StopIteration):
            raise ValueError(f"LiveExplorer.set: {setting} is not a setting of the sliders "
                             f"{self.params}") from None
        self.widget.request = [k, self.widget.request[1] + 1]

    def _on_request(self, change) -> None:
        """A slider moved: draw the setting; if drawing fails, say so in the read-out (the reader
        sees why the picture did not change) and re-raise for the kernel's log."""
        k = int(change["new"][0])
        try:
            self._show(k)
        except Exception as error:
            message = html.escape(f"{type(error).__name__}: {error}", quote=False)
            self.widget.frame = {**self.widget.frame, "k": k,
                                 "readout": f"<b>Could not draw this setting</b> — {message}"}
            raise

    def _show(self, k: int) -> None:
        self._k = int(k)
        setting = self.setting
        fig = _call_draw(self._draw, setting)
        self.png = _render_png(fig, 2 * self._dpi)
        self.readout = _readout_html(self._readout(**setting)) if self._readout else ""
        self.alt = str(self._alt(**setting)) if self._alt else _default_alt(self.title, setting)
        width = Image.open(io.BytesIO(self.png)).width / 2  # CSS pixels: the natural size at ``dpi``
        self.widget.frame = {"k": self._k, "src": _data_uri(self.png), "width": width, "alt": self.alt,
                             "readout": self.readout}
        self.calls += 1

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return f"LiveExplorer({self.title!r}: {' × '.join(self.params)})"


def explore(draw: Callable[..., Figure], params: Mapping[str, Sequence], readout: Callable | None = None,
            title: str | None = None, dpi: float = 72, alt: Callable | None = None, *,
            mode: str = "auto", initial: Mapping | None = None) -> Explorer | LiveExplorer:
    """An interactive figure: one slider per parameter, a figure that follows them, a read-out.

    Args:
        draw: ``draw(**setting) -> Figure`` draws one setting (``plt.subplots`` is fine: the
            figures are closed after rendering, so the notebook does not show them).
        params: ``{name: [values]}``, the slider positions in order; labels are ``str(value)``.
            Keep the grid small: every combination is one frame (at most 100; about 36 is good).
        readout: ``readout(**setting) -> str``, the numbers that matter, e.g.
            ``"output: 4×4 = ⌊(7 + 2·1 − 3)/2⌋ + 1"``. Plain text is escaped; the simple tags
            ``<b> <i> <sub> <sup> <code> <br>`` are kept.
        title: the caption and the start of the default alt text.
        dpi: resolution of the frames.
        alt: ``alt(**setting) -> str``, the frame's alt text (default ``"title: a = 1, b = 2"``).
        mode: ``"static"`` (precomputed, self-contained HTML), ``"live"`` (anywidget) or
            ``"auto"``: live inside a running kernel with anywidget unless the environment sets
            ``LAYERS_LIB_STATIC=1`` (the notebook runner and nbval do).
        initial: ``{name: value}`` shown first (default: the first value of each parameter).

    Returns:
        An :class:`Explorer` (static) or a :class:`LiveExplorer`; make it the last expression of
        the cell.

    Examples:
        >>> def draw(k, s):
        ...     fig = Figure(figsize=(2, 1))
        ...     fig.add_subplot().set_title(f"k={k}, s={s}")
        ...     return fig
        >>> ex = explore(draw, {"k": [1, 3], "s": [1, 2]}, readout=lambda k, s: f"<b>{k * s}</b>",
        ...              title="demo", mode="static")
        >>> ex
        Explorer('demo': k × s, 4 frames)
        >>> ex.settings[3], ex.readouts[3]
        ({'k': 3, 's': 2}, '<b>6</b>')
    """
    params = _check_params(params)
    title = "Interactive figure" if title is None else str(title)
    if mode not in ("auto", "static", "live"):
        raise ValueError(f"explore expected mode 'auto', 'static' or 'live', got {mode!r}")
    start = {name: values[0] for name, values in params.items()}
    for name, value in (initial or {}).items():
        if name not in params or not any(value == v for v in params[name]):
            raise ValueError(f"explore: initial {name}={value!r} is not one of the slider values "
                             f"{params.get(name)}")
        start[name] = value
    if mode == "live" or (mode == "auto" and _live_kernel()):
        return LiveExplorer(draw, params, readout, alt, title, dpi, start)
    n = int(np.prod([len(v) for v in params.values()]))
    if n > MAX_FRAMES:
        raise ValueError(f"explore draws one frame per combination: {n} is too many for a web page "
                         f"(at most {MAX_FRAMES}); use fewer slider values")
    frames, readouts, alts = [], [], []
    for combo in itertools.product(*params.values()):
        setting = dict(zip(params, combo, strict=True))
        fig = _call_draw(draw, setting)
        frames.append(_data_uri(_render_png(fig, dpi)))
        readouts.append(_readout_html(readout(**setting)) if readout else "")
        alts.append(str(alt(**setting)) if alt else _default_alt(title, setting))
    return Explorer(title, params, frames, readouts, alts, start=_frame_index(params, start))


# ----------------------------------------------------------------------------------------------
# Step-by-step animations: convolution forward and backward, pooling
# ----------------------------------------------------------------------------------------------
#
# Each animation first works out its story with NumPy, one _Step per output position (what every
# grid shows, the words under it, the read-out and the alt text), and _render_steps then draws the
# frames. The grids are drawn with Pillow (installed with matplotlib) in matplotlib's DejaVu Sans:
# for grids of numbered cells that is about ten times faster than matplotlib, which keeps a
# chapter with several animations inside its execution budget.

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_INK, _PAD_INK, _RULE = "#000000", "#5a5a5a", "#8c8c8c"


@functools.lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONTS / name), size, layout_engine=ImageFont.Layout.BASIC)


@dataclass
class _Panel:
    """What one grid shows in one frame."""

    labels: np.ndarray  # (rows, cols) strings written in the cells
    fills: np.ndarray  # (rows, cols) cell colours
    inks: np.ndarray | None = None  # (rows, cols) text colours; default black
    outlined: Sequence[tuple[int, int]] = ()  # cells drawn with a thick outline
    box: tuple[int, int, int, int] | None = None  # a dashed (top, left, height, width), in cells


@dataclass
class _Step:
    """One frame of an animation: its grids, the text under them, the read-out and the alt text."""

    panels: list[_Panel]
    text: str
    readout: str
    alt: str


def _dashed_box(draw: ImageDraw.ImageDraw, x0: int, y0: int, x1: int, y1: int, dash: int) -> None:
    for x in range(x0, x1, 2 * dash):
        for y in (y0, y1):
            draw.line([(x, y), (min(x + dash, x1), y)], fill=_INK, width=1)
    for y in range(y0, y1, 2 * dash):
        for x in (x0, x1):
            draw.line([(x, y), (x, min(y + dash, y1))], fill=_INK, width=1)


def _render_steps(title: str, panel_titles: list[str], steps: list[_Step], dpi: float) -> list[str]:
    """Draw every step as a PNG data URI: a header, a row of top-aligned grids under their titles,
    and the step's text. All frames have the same size."""
    s = dpi / 72
    widest = max(len(label) for step in steps for panel in step.panels for label in panel.labels.flat)
    cell = round(max(22, 6.5 * widest + 8) * s)
    numbers, small, bold = _font(round((11 if widest <= 4 else 10) * s)), _font(round(11 * s)), \
        _font(round(12 * s), bold=True)
    margin, gap, line, thick = round(12 * s), round(26 * s), round(15 * s), max(2, round(2 * s))
    headers = [f"{title}: step {k} of {len(steps)}" for k in range(1, len(steps) + 1)]
    shapes = [panel.labels.shape for panel in steps[0].panels]
    slots = [int(max(cols * cell, small.getlength(t) + 4))
             for (_, cols), t in zip(shapes, panel_titles, strict=True)]
    row_width = sum(slots) + gap * (len(slots) - 1)
    width = int(max(row_width, bold.getlength(headers[-1]), 360 * s)) + 2 * margin
    chars = int((width - 2 * margin) / small.getlength("n"))
    texts = [[part for text_line in step.text.split("\n")
              for part in (textwrap.wrap(text_line, chars, subsequent_indent="    ") or [""])]
             for step in steps]
    top = margin + round(38 * s)  # header and panel titles above the grids
    grids_bottom = top + max(rows for rows, _ in shapes) * cell
    height = grids_bottom + round(10 * s) + line * max(len(t) for t in texts) + margin
    frames = []
    for header, step, lines in zip(headers, steps, texts, strict=True):
        image = Image.new("RGB", (width, height), _WHITE)
        draw = ImageDraw.Draw(image)
        draw.text((width // 2, margin), header, font=bold, fill=_INK, anchor="mt")
        x = (width - row_width) // 2
        for panel, slot, panel_title in zip(step.panels, slots, panel_titles, strict=True):
            rows, cols = panel.labels.shape
            gx = x + (slot - cols * cell) // 2
            draw.text((x + slot // 2, top - round(5 * s)), panel_title, font=small, fill=_INK, anchor="md")
            for (i, j), label in np.ndenumerate(panel.labels):
                x0, y0 = gx + j * cell, top + i * cell
                draw.rectangle((x0, y0, x0 + cell, y0 + cell), fill=panel.fills[i, j], outline=_RULE)
                if label:
                    ink = _INK if panel.inks is None else panel.inks[i, j]
                    draw.text((x0 + cell / 2, y0 + cell / 2), label, font=numbers, fill=ink, anchor="mm")
            for i, j in panel.outlined:
                x0, y0 = gx + j * cell, top + i * cell
                draw.rectangle((x0, y0, x0 + cell, y0 + cell), outline=_INK, width=thick)
            if panel.box is not None:
                i, j, h, w = panel.box
                _dashed_box(draw, gx + j * cell - thick, top + i * cell - thick, gx + (j + w) * cell + thick,
                            top + (i + h) * cell + thick, dash=round(4 * s))
            x += slot + gap
        draw.multiline_text((margin, grids_bottom + round(10 * s)), "\n".join(lines), font=small, fill=_INK,
                            spacing=line - small.size)
        frames.append(_data_uri(_png(image)))
    return frames


def _animation(title: str, panel_titles: list[str], steps: list[_Step], result: np.ndarray, dpi: float,
               interval_ms: int) -> Animation:
    frames = _render_steps(title, panel_titles, steps, dpi)
    return Animation(title, frames, [s.readout for s in steps], [s.alt for s in steps], result=result,
                     interval_ms=interval_ms)


def _minus(text: str) -> str:
    """Typographic minus signs; "-0" becomes "0"."""
    text = re.sub(r"^-(0(\.0+)?)$", r"\1", text)
    return text.replace("-", "−")


def _formatter(*arrays) -> Callable[[float], str]:
    """Integers when every finite value is a whole number, two decimals otherwise."""
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    finite = values[np.isfinite(values)]
    decimals = 0 if np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 1e6) else 2

    def fmt(v: float) -> str:
        if np.isinf(v):
            return "−∞" if v < 0 else "∞"
        return _minus(f"{v:.{decimals}f}")

    return fmt


def _labels(a: np.ndarray, fmt: Callable[[float], str]) -> np.ndarray:
    return np.array([fmt(v) for v in a.flat], dtype=object).reshape(a.shape)


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def _span(start: int, stop: int) -> str:
    return f"{start}" if start == stop else f"{start}–{stop}"


def _setting(v: tuple[int, int]):
    return v[0] if v[0] == v[1] else v


def _grid_values(name: str, a, what: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or a.size == 0 or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{name} expected {what} as a non-empty 2-D numeric array, got shape "
                         f"{a.shape} and dtype {a.dtype}")
    return a.astype(np.float64)


def _out_size(name: str, size, kernel, stride, padding, dilation) -> tuple[int, int]:
    """The floor formula, per dimension: (size + 2p − d·(k − 1) − 1) // s + 1."""
    out = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True):
        span = d * (k - 1) + 1
        if n + 2 * p < span:
            raise ValueError(f"{name}: the kernel spans {span} cells (dilation {d} × (kernel {k} − 1) + 1) "
                             f"but the padded input has only {n + 2 * p} ({n} + 2·{p})")
        out.append((n + 2 * p - span) // s + 1)
    if out[0] * out[1] > MAX_FRAMES:
        raise ValueError(f"{name} draws one frame per output position: {out[0]}×{out[1]} is too many "
                         f"(at most {MAX_FRAMES}); use a smaller input or a larger stride")
    return out[0], out[1]


def _padded_panel_parts(shape, H: int, W: int, ph: int, pw: int):
    """Cell fills and text colours of a padded grid: padding grey, the input white."""
    inside = np.zeros(shape, dtype=bool)
    inside[ph:ph + H, pw:pw + W] = True
    return np.where(inside, _WHITE, _PAD), np.where(inside, _INK, _PAD_INK)


def _filling_panel(values: np.ndarray, fmt, step: int) -> _Panel:
    """An output grid filled in row-major order up to ``step``, the current cell outlined."""
    done = np.arange(values.size).reshape(values.shape) <= step
    current = np.unravel_index(step, values.shape)
    fills = np.where(done, _WHITE, _EMPTY)
    fills[current] = _TAP
    return _Panel(np.where(done, _labels(values, fmt), ""), fills, outlined=[current])


def _equation_lines(terms: list[list[str]], result: str, max_terms: int = 6, max_rows: int = 5) -> list[str]:
    """One line of products per kernel row, truncated for the figure (the read-out has them all)."""
    lines = []
    for r, row in enumerate(terms[:max_rows]):
        shown = row if len(row) <= max_terms else [*row[: max_terms - 1], "…"]
        lines.append(("   " if r == 0 else " + ") + " + ".join(shown))
    if len(terms) > max_rows:
        lines.append(" + …")
    lines.append(f" = {result}")
    return lines


def conv_animation(x, kernel, stride=1, padding=0, dilation=1, title: str | None = None,
                   dpi: float = 72, interval_ms: int = 900) -> Animation:
    """Convolution (cross-correlation, as ``Conv2d`` computes it) one output position at a time.

    Each frame shows the zero-padded input (padding cells grey), the kernel's taps highlighted and
    outlined on it (with dilation only the dilated taps; a dashed box marks the window), the
    kernel, the products and their sum, and the output grid filling in, the current cell outlined.

    Args:
        x: a small 2-D input, e.g. 5×5.
        kernel: a small 2-D kernel, e.g. 3×3 (rectangular is fine).
        stride, padding, dilation: ints or (height, width) pairs, as in ``Conv2d``; dilation 1
            means no gaps.
        title: the caption (default: the settings).
        dpi: resolution of the frames; interval_ms: the delay between frames when playing.

    Shape:
        - Output: (H_out, W_out) where
          H_out = floor((H_in + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1);
          one frame per output position (H_out·W_out frames).

    Returns:
        An :class:`Animation`; ``result`` is the output array.

    Examples:
        >>> anim = conv_animation(np.arange(16.0).reshape(4, 4), np.ones((2, 2)), stride=2)
        >>> anim
        Animation('Convolution 2×2, stride 2, padding 0, dilation 1': 4 steps)
        >>> anim.result
        array([[10., 18.],
               [42., 50.]])
        >>> anim.readouts[0]
        '<b>y[0, 0]</b> = 0·1 + 1·1 + 4·1 + 5·1 = <b>10</b>'
    """
    name = "conv_animation"
    x, w = _grid_values(name, x, "x"), _grid_values(name, kernel, "kernel")
    (sh, sw), (ph, pw), (dh, dw) = (pair(name, "stride", stride), pair(name, "padding", padding, 0),
                                    pair(name, "dilation", dilation))
    (H, W), (kh, kw) = x.shape, w.shape
    Ho, Wo = _out_size(name, x.shape, w.shape, (sh, sw), (ph, pw), (dh, dw))
    xp = np.pad(x, ((ph, ph), (pw, pw)))  # (H + 2ph, W + 2pw)
    windows = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1))[::sh, ::sw, ::dh, ::dw]
    y = np.einsum("ijab,ab->ij", windows, w)  # (Ho, Wo): the cross-correlation

    fx, fw, fy = _formatter(x), _formatter(w), _formatter(y)
    title = title or (f"Convolution {kh}×{kw}, stride {_setting((sh, sw))}, padding {_setting((ph, pw))}, "
                      f"dilation {_setting((dh, dw))}")
    base, inks = _padded_panel_parts(xp.shape, H, W, ph, pw)
    x_labels, kernel_panel = _labels(xp, fx), _Panel(_labels(w, fw), np.full(w.shape, _TAP))
    steps = []
    for step, (i, j) in enumerate(np.ndindex(Ho, Wo)):
        rows, cols = i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)  # the taps
        fills = base.copy()
        fills[np.ix_(rows, cols)] = _TAP
        window = (rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        terms = [[f"{fx(windows[i, j, a, b])}·{_paren(fw(w[a, b]))}" for b in range(kw)] for a in range(kh)]
        everything = " + ".join(t for row in terms for t in row)
        steps.append(_Step(
            [_Panel(x_labels, fills, inks, [(r, c) for r in rows for c in cols], window), kernel_panel,
             _filling_panel(y, fy, step)],
            text="\n".join([f"y[{i}, {j}] ="] + _equation_lines(terms, fy(y[i, j]))),
            readout=f"<b>y[{i}, {j}]</b> = {everything} = <b>{fy(y[i, j])}</b>",
            alt=(f"Step {step + 1} of {Ho * Wo}: the {kh}×{kw} kernel over rows {_span(rows[0], rows[-1])} "
                 f"and columns {_span(cols[0], cols[-1])} of the padded input; "
                 f"output y[{i}, {j}] = {fy(y[i, j])}.")))
    panel_titles = [f"input x ({H}×{W}), padding {_setting((ph, pw))}", f"kernel w ({kh}×{kw})",
                    f"output y ({Ho}×{Wo})"]
    return _animation(title, panel_titles, steps, y, dpi, interval_ms)


def conv_backward_animation(dy, kernel, stride=1, padding=0, dilation=1, input_shape=None,
                            title: str | None = None, dpi: float = 72, interval_ms: int = 900) -> Animation:
    """The input gradient of a convolution, one upstream-gradient cell at a time.

    Output position (i, j) was computed from the input cells under the kernel's taps, so in the
    backward pass ``dy[i, j]`` *scatters* ``dy[i, j]·w`` back onto those cells, where the
    contributions add up. Each frame shows ``dy`` (current cell outlined), the kernel, and the
    gradient of the padded input accumulating (padding grey: its gradient is thrown away). The
    result equals a *full* convolution of ``dy`` (with stride − 1 zeros between its cells) with the
    flipped kernel, cropped by the padding.

    Args:
        dy: the upstream gradient, (H_out, W_out).
        kernel: the 2-D kernel.
        stride, padding, dilation: as in the forward convolution.
        input_shape: (H_in, W_in); default the smallest input giving dy's shape. With stride > 1 a
            larger input can give the same output size: its extra cells get zero gradient.
        title, dpi, interval_ms: as in :func:`conv_animation`.

    Returns:
        An :class:`Animation` with H_out·W_out frames; ``result`` is dx, (H_in, W_in).

    Examples:
        >>> anim = conv_backward_animation(np.ones((2, 2)), np.array([[1.0, 2.0]]))
        >>> anim.result
        array([[1., 3., 2.],
               [1., 3., 2.]])
    """
    name = "conv_backward_animation"
    dy, w = _grid_values(name, dy, "dy"), _grid_values(name, kernel, "kernel")
    (sh, sw), (ph, pw), (dh, dw) = (pair(name, "stride", stride), pair(name, "padding", padding, 0),
                                    pair(name, "dilation", dilation))
    (Ho, Wo), (kh, kw) = dy.shape, w.shape
    if input_shape is None:
        input_shape = ((Ho - 1) * sh + dh * (kh - 1) + 1 - 2 * ph, (Wo - 1) * sw + dw * (kw - 1) + 1 - 2 * pw)
        if min(input_shape) < 1:
            raise ValueError(f"{name}: no input gives dy of shape {dy.shape} with this kernel, stride and "
                             f"padding (the smallest would be {input_shape}); reduce the padding")
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
        raise ValueError(f"{name} expected input_shape as (H_in, W_in), got {input_shape!r}")
    H, W = (check_int(name, "input_shape", n) for n in input_shape)
    out = _out_size(name, (H, W), w.shape, (sh, sw), (ph, pw), (dh, dw))
    if out != (Ho, Wo):
        raise ValueError(f"{name}: an input of shape {(H, W)} gives an output of shape {out}, "
                         f"not dy's {dy.shape}")
    sends = dy[:, :, None, None] * w  # (Ho, Wo, kh, kw): what each dy cell sends back
    partial = np.zeros((Ho * Wo, H + 2 * ph, W + 2 * pw))  # dx of the padded input after each step
    touched = np.zeros(partial.shape, dtype=bool)
    for step, (i, j) in enumerate(np.ndindex(Ho, Wo)):  # a loop over positions: this *is* the story
        rows, cols = i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)
        partial[step:, rows[:, None], cols] += sends[i, j]
        touched[step:, rows[:, None], cols] = True
    dx = partial[-1, ph:ph + H, pw:pw + W].copy()

    fdy, fw, fdx = _formatter(dy), _formatter(w), _formatter(partial, sends)
    title = title or f"Backward of a {kh}×{kw} convolution: dy flows back to dx"
    base, inks = _padded_panel_parts(partial.shape[1:], H, W, ph, pw)
    dy_labels, kernel_panel = _labels(dy, fdy), _Panel(_labels(w, fw), np.full(w.shape, _TAP))
    steps, n = [], Ho * Wo
    for step, (i, j) in enumerate(np.ndindex(Ho, Wo)):
        rows, cols = i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)
        dy_fills = np.full(dy.shape, _WHITE)
        dy_fills[i, j] = _TAP
        fills = base.copy()
        fills[np.ix_(rows, cols)] = _TAP
        window = (rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        products = [f"{fdy(dy[i, j])}·{_paren(fw(w[a, b]))} = {fdx(sends[i, j, a, b])}"
                    for a in range(kh) for b in range(kw)]
        shown = products if len(products) <= 4 else [*products[:3], "…"]
        done = ("\nDone: dx is the white interior; the gradient that reached the grey padding is discarded."
                if step == n - 1 else "")
        steps.append(_Step(
            [_Panel(dy_labels, dy_fills, outlined=[(i, j)]), kernel_panel,
             _Panel(np.where(touched[step], _labels(partial[step], fdx), ""), fills, inks,
                    [(r, c) for r in rows for c in cols], window)],
            text=(f"dy[{i}, {j}] = {fdy(dy[i, j])} goes back through each weight and is added to the "
                  f"{kh * kw} input cells y[{i}, {j}] was computed from:\n   " + ",  ".join(shown) + done),
            readout=(f"<b>dy[{i}, {j}]</b> = {fdy(dy[i, j])} adds dy·w to rows {_span(rows[0], rows[-1])}, "
                     f"columns {_span(cols[0], cols[-1])} of the padded grid: "
                     + ", ".join(products)
                     + ("<br>Done: dx is the interior of this grid (the padding's gradient is discarded), a "
                        "full convolution of dy with the flipped kernel." if step == n - 1 else "")),
            alt=(f"Step {step + 1} of {n}: dy[{i}, {j}] = {fdy(dy[i, j])} times the kernel is added to rows "
                 f"{_span(rows[0], rows[-1])} and columns {_span(cols[0], cols[-1])} of the padded input's "
                 "gradient.")))
    panel_titles = [f"upstream gradient dy ({Ho}×{Wo})", f"kernel w ({kh}×{kw})",
                    f"dx ({H}×{W}), padding {_setting((ph, pw))}"]
    return _animation(title, panel_titles, steps, dx, dpi, interval_ms)


def pool_animation(x, kernel_size, stride=None, padding=0, mode: str = "max", title: str | None = None,
                   dpi: float = 72, interval_ms: int = 900) -> Animation:
    """Max or average pooling one output position at a time: the window highlighted on the padded
    input (for max pooling the arg-max is darker and outlined) and the output filling in.

    Conventions as in PyTorch: ``stride`` defaults to ``kernel_size``; max pooling pads with −∞
    (padding never wins); average pooling pads with zeros and divides by the full window size
    (``count_include_pad=True``); padding is at most half the kernel size; the first maximum in
    the window wins a tie.

    Args:
        x: a small 2-D input.
        kernel_size, stride, padding: ints or (height, width) pairs.
        mode: ``"max"`` or ``"avg"``.
        title, dpi, interval_ms: as in :func:`conv_animation`.

    Shape:
        - Output: (H_out, W_out) with H_out = floor((H_in + 2*padding - kernel_size) / stride + 1).

    Returns:
        An :class:`Animation` with H_out·W_out frames; ``result`` is the output.

    Examples:
        >>> anim = pool_animation(np.array([[1.0, 3.0], [2.0, 0.0]]), 2)
        >>> anim.result, anim.readouts[0]
        (array([[3.]]), '<b>y[0, 0]</b> = max(1, 3, 2, 0) = <b>3</b> (at row 0, column 1)')
    """
    name = "pool_animation"
    x = _grid_values(name, x, "x")
    if mode not in ("max", "avg"):
        raise ValueError(f"{name} expected mode 'max' or 'avg', got {mode!r}")
    kh, kw = pair(name, "kernel_size", kernel_size)
    sh, sw = pair(name, "stride", kernel_size if stride is None else stride)
    ph, pw = pair(name, "padding", padding, 0)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{name}: padding should be at most half the kernel size, got padding "
                         f"{(ph, pw)} for kernel {(kh, kw)}")
    H, W = x.shape
    Ho, Wo = _out_size(name, x.shape, (kh, kw), (sh, sw), (ph, pw), (1, 1))
    xp = np.pad(x, ((ph, ph), (pw, pw)), constant_values=-np.inf if mode == "max" else 0.0)
    windows = sliding_window_view(xp, (kh, kw))[::sh, ::sw].reshape(Ho, Wo, kh * kw)
    arg = windows.argmax(axis=-1)  # the first maximum, as PyTorch
    y = windows.max(axis=-1) if mode == "max" else windows.sum(axis=-1) / (kh * kw)

    fx, fy = _formatter(x), _formatter(y)
    title = title or (f"{'Max' if mode == 'max' else 'Average'} pooling {kh}×{kw}, "
                      f"stride {_setting((sh, sw))}, padding {_setting((ph, pw))}")
    base, inks = _padded_panel_parts(xp.shape, H, W, ph, pw)
    x_labels = _labels(xp, fx)
    steps, n = [], Ho * Wo
    for step, (i, j) in enumerate(np.ndindex(Ho, Wo)):
        r0, c0 = i * sh, j * sw
        fills = base.copy()
        fills[r0:r0 + kh, c0:c0 + kw] = _TAP
        values = [fx(v) for v in windows[i, j]]
        if mode == "max":
            ar, ac = r0 + arg[i, j] // kw, c0 + arg[i, j] % kw
            fills[ar, ac] = _STRONG
            outlined, formula = [(ar, ac)], f"max({', '.join(values)})"
            where = f" (at row {ar - ph}, column {ac - pw})"
        else:
            outlined, formula, where = [], f"({' + '.join(values)}) / {kh * kw}", ""
        shown = formula if len(formula) <= 80 else formula[:76] + " …"
        steps.append(_Step(
            [_Panel(x_labels, fills, inks, outlined, (r0, c0, kh, kw)), _filling_panel(y, fy, step)],
            text=f"y[{i}, {j}] = {shown} = {fy(y[i, j])}{where}",
            readout=f"<b>y[{i}, {j}]</b> = {formula} = <b>{fy(y[i, j])}</b>{where}",
            alt=(f"Step {step + 1} of {n}: the {kh}×{kw} window at rows {_span(r0, r0 + kh - 1)} and columns "
                 f"{_span(c0, c0 + kw - 1)} of the padded input; output y[{i}, {j}] = {fy(y[i, j])}.")))
    panel_titles = [f"input x ({H}×{W}), padding {_setting((ph, pw))}", f"output y ({Ho}×{Wo})"]
    return _animation(title, panel_titles, steps, y, dpi, interval_ms)
