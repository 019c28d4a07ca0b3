"""Plot helpers for the chapters' static figures: grids of numbers, feature maps, kernels, curves,
functions and their derivatives, heat maps, histograms; and :func:`setup`, which makes every
chapter's figures readable: sharp on high-density screens (drawn at twice the resolution they are
shown at) and with no text smaller than 11 CSS pixels.

Every helper returns its matplotlib Figure. In a notebook the inline backend already shows every
figure a cell creates; a cell that *ends* with a returned Figure would show it a second time, as
the cell's result. End such cells with ``;`` (or assign the result) and the figure appears once.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._scene import minus as _minus

__all__ = [
    "setup", "show_grid", "show_feature_maps", "show_kernels", "show_images", "plot_curves",
    "plot_functions", "heatmap", "bar_counts", "histograms", "show_source", "Source", "MIN_FONT_PT",
]

_LINES = cycler(color=["#1f3b73", "#d95f02", "#1b9e77", "#7570b3", "#555555", "#e7298a"],
                linestyle=["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))])


# ----------------------------------------------------------------------------------------------
# Setup and plot helpers
# ----------------------------------------------------------------------------------------------

#: The smallest font size (points) any figure of the course may use: at the 80 dpi figures are
#: shown at, 10 pt is 11.1 CSS pixels.
MIN_FONT_PT = 10


def setup(seed: int = 0) -> np.random.Generator:
    """Prepare a chapter: readable, sharp figures and one seeded random generator.

    Sets matplotlib's rcParams (figures shown at 80 dpi, every font at least
    :data:`MIN_FONT_PT` = 10 pt, i.e. 11 CSS pixels; no grid, top/right spines off, the
    greyscale-readable colour map ``viridis`` and a line cycle that varies the dash pattern as
    well as the colour). In a notebook, figures are then stored at twice their resolution
    ("retina") and shown at their natural size, so they are sharp on high-density screens.
    Returns ``np.random.default_rng(seed)``.

    Args:
        seed: the seed of the returned generator.

    Returns:
        A ``numpy.random.Generator``; pass it as ``rng=`` to every layer of the chapter.

    Examples:
        >>> rng = setup(seed=0)
        >>> float(np.round(rng.normal(), 4))
        0.1257
        >>> plt.rcParams["xtick.labelsize"] >= MIN_FONT_PT
        True
    """
    plt.rcParams.update({
        "figure.dpi": 80, "savefig.dpi": 80, "figure.figsize": (6.0, 3.6),
        "font.size": MIN_FONT_PT, "axes.titlesize": 11, "axes.labelsize": MIN_FONT_PT, "figure.titlesize": 12,
        "xtick.labelsize": MIN_FONT_PT, "ytick.labelsize": MIN_FONT_PT, "legend.fontsize": MIN_FONT_PT,
        "legend.title_fontsize": MIN_FONT_PT, "legend.frameon": False,
        "axes.grid": False, "axes.spines.top": False, "axes.spines.right": False,
        "image.cmap": "viridis", "image.interpolation": "nearest", "axes.prop_cycle": _LINES,
    })
    try:  # inside IPython with the inline backend: PNGs at 2× the dpi, shown at their natural size
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        if get_ipython() is not None:
            set_matplotlib_formats("retina")
    except ImportError:
        pass
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
        _annotate_cells(ax, image, a, fmt, fontsize=MIN_FONT_PT)
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
            _annotate_cells(ax, image, arrays[k], fmt, fontsize=MIN_FONT_PT)
        ax.set_title(titles[k] if titles is not None else f"{k}", fontsize=MIN_FONT_PT)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.supxlabel(xlabel, fontsize=MIN_FONT_PT)
    fig.supylabel(ylabel, fontsize=MIN_FONT_PT)
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
        ax.set_title(str(labels[k]) if labels is not None else f"image {k}", fontsize=MIN_FONT_PT)
    fig.suptitle(title)
    fig.supxlabel("width (pixels)", fontsize=MIN_FONT_PT)
    fig.supylabel("height (pixels)", fontsize=MIN_FONT_PT)
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
        _annotate_cells(ax, image, m, fmt, fontsize=MIN_FONT_PT)
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
        ax.set_title(f"{name}\nmean {values.mean():.3g}, std {values.std():.3g}", fontsize=MIN_FONT_PT)
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
