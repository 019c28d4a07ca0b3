"""Figures for the convolution chapter.

* :func:`conv_geometry_frame` — one frame of the kernel/stride/padding/dilation explorer
  :func:`geometry_explorer`, as data drawn in the page: the padded input grid, the taps of two
  neighbouring windows, the rows and columns the floor leaves unvisited, and the output grid;
  :func:`conv_geometry_readout` and :func:`output_size_formula` write the output-size formula with
  the numbers filled in. The step players are in :mod:`layers_lib.viz.conv_steps`.
* :func:`receptive_field` (numbers) and :func:`draw_receptive_field` (a 1-D cone diagram) /
  :func:`plot_receptive_fields` (growth with depth) — how far a unit sees after stacked layers.
* :func:`draw_connectivity` — a dense layer against a 1-D convolution: sparse connections and
  shared weights.
* :func:`draw_filters` — each of ``out_channels`` filters spans all ``in_channels``.
* :func:`draw_transposed_conv` — a transposed convolution as a sum of scaled, shifted kernels.
* :func:`draw_feature_maps` — an image and the signed feature maps computed from it.

Every figure function returns a matplotlib Figure with a title; grids are drawn in greys with
markers and line styles, so they stay readable in greyscale.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

import layers_lib as ll

from ._live import explore, held_fixed
from ._scene import frame, grid, message

__all__ = [
    "output_size_formula",
    "conv_geometry_readout",
    "conv_geometry_frame",
    "receptive_field",
    "draw_receptive_field",
    "plot_receptive_fields",
    "draw_connectivity",
    "draw_filters",
    "draw_transposed_conv",
    "draw_feature_maps",
    "geometry_explorer",
    "transposed_geometry_frame",
    "transposed_geometry_explorer",
]

_A = (0.13, 0.37, 0.66)    # dark blue: the first window (reads as dark grey)
_B = (0.90, 0.50, 0.05)    # orange: the next window (reads as mid grey; drawn hollow and dashed)
# cell kinds of the input grid: 0 input, 1 zero padding, 2 input never visited, 3 padding never visited
_CELLS = ListedColormap([(1, 1, 1), (0.86, 0.86, 0.86), (0.62, 0.62, 0.62), (0.62, 0.62, 0.62)])


# -- the output-size formula ----------------------------------------------------------------------
def output_size_formula(n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                        name: str = "H") -> str:
    """PyTorch's output-size formula for one axis, with the numbers filled in.

    Examples:
        >>> print(output_size_formula(7, 3, stride=2, padding=1))
        H_out = ⌊(7 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊6 / 2⌋ + 1 = 4
        >>> print(output_size_formula(8, 3, stride=2, name="W"))
        W_out = ⌊(8 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊5 / 2⌋ + 1 = 3
    """
    num = n + 2 * padding - dilation * (kernel_size - 1) - 1
    out = num // stride + 1
    return (f"{name}_out = ⌊({n} + 2·{padding} − {dilation}·({kernel_size} − 1) − 1) / {stride}⌋ + 1"
            f" = ⌊{num} / {stride}⌋ + 1 = {out}")


def _axis_layout(n, k, s, p, d):
    """Sizes along one axis: padded length, output length, span of one window, and a boolean mask
    of the padded positions that no tap of any window reads."""
    padded = n + 2 * p
    span = d * (k - 1) + 1
    out = (padded - span) // s + 1
    unread = np.ones(padded, dtype=bool)
    if out >= 1:
        unread[(np.arange(out)[:, None] * s + d * np.arange(k)).ravel()] = False
    return padded, out, span, unread


def _never_read(unread, p, what):
    """``"row 6"`` / ``"rows 2, 5, 6"`` in input coordinates (padding < 0 or ≥ size), or ``""``."""
    idx = [str(i - p) for i in np.flatnonzero(unread)]
    if not idx:
        return ""
    return f"{what}{'s' * (len(idx) > 1)} {', '.join(idx)}"


def conv_geometry_readout(h: int, w: int, kernel_size: int, stride: int = 1, padding: int = 0,
                          dilation: int = 1) -> str:
    """The read-out of the geometry explorer: both formulas, and which rows and columns no window
    reads (in input coordinates: padding has index < 0 or ≥ the size).

    Examples:
        >>> print(conv_geometry_readout(7, 7, 2, stride=2))
        H_out = ⌊(7 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = ⌊5 / 2⌋ + 1 = 3
        W_out = ⌊(7 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = ⌊5 / 2⌋ + 1 = 3
        output 3×3; never read (shaded ×): row 6 and column 6.
        >>> print(conv_geometry_readout(7, 7, 3, padding=1).splitlines()[-1])
        output 7×7, the input's size ('same' padding); every row and column is read.
    """
    ho, wo = ll.conv2d_output_size(h, w, kernel_size, stride, padding, dilation)
    lines = [output_size_formula(h, kernel_size, stride, padding, dilation, "H"),
             output_size_formula(w, kernel_size, stride, padding, dilation, "W")]
    rows = _never_read(_axis_layout(h, kernel_size, stride, padding, dilation)[3], padding, "row")
    cols = _never_read(_axis_layout(w, kernel_size, stride, padding, dilation)[3], padding, "column")
    note = f"output {ho}×{wo}"
    if (ho, wo) == (h, w):
        note += ", the input's size ('same' padding)"
    missed = " and ".join(m for m in (rows, cols) if m)
    note += f"; never read (shaded ×): {missed}." if missed else "; every row and column is read."
    return "\n".join([*lines, note])


# -- the geometry explorer: frames as data ---------------------------------------------------------
def conv_geometry_frame(h: int, w: int, kernel_size: int, stride: int = 1, padding: int = 0,
                        dilation: int = 1, hide_output: bool = False) -> dict:
    """One frame of the convolution-geometry explorer, as data (see ``viz.frame``).

    Left: the input (white) inside its zero padding (grey), numbered as in the unpadded input
    (padding has indices < 0 or ≥ the size), with the taps of the window of output (0, 0) (filled
    dots, solid box) and of its right neighbour (0, 1) (hollow squares, dashed box): the boxes are
    ``stride`` apart and each spans ``dilation·(kernel_size − 1) + 1`` cells. Rows and columns no
    tap of any window reads are crossed. Right: the output grid, with the same two outputs marked.
    A setting whose kernel does not fit in the padded input gets a frame that says so.

    Args:
        h, w: input height and width.
        kernel_size, stride, padding, dilation: ints, as in :class:`layers_lib.Conv2d`.
        hide_output: mark the output panel as the answer of a prediction.

    Examples:
        >>> f = conv_geometry_frame(5, 5, 3, stride=2)
        >>> [p["title"] for p in f["panels"]]
        ['input 5×5', 'output 2×2']
        >>> f["panels"][1]["r"], f["panels"][1]["c"]
        (2, 2)
    """
    k, s, p, d = kernel_size, stride, padding, dilation
    ho, wo = ll.conv2d_output_size(h, w, k, s, p, d)
    hp, _, extent, unread_h = _axis_layout(h, k, s, p, d)
    wp, _, _, unread_w = _axis_layout(w, k, s, p, d)
    roles = np.full((hp, wp), "p")
    roles[p:p + h, p:p + w] = "c"
    pad = f" + padding {p} = {hp}×{wp}" if p else ""
    title = f"Conv2d(kernel_size={k}, stride={s}, padding={p}, dilation={d}) on a {h}×{w} input"
    if ho < 1 or wo < 1:
        return frame(grid(["".join(r) for r in roles], title=f"input {h}×{w}{pad}",
                          index_from=-p),
                     message(f"No window fits: the kernel spans {extent} cells "
                             f"(dilation {d} × (kernel {k} − 1)"
                             f" + 1) but the padded input has only {hp}. Conv2d raises an error.",
                             title="output: none"), title=title)
    roles[unread_h[:, None] | unread_w[None, :]] = "x"
    dots = [(r, c, "a") for r in d * np.arange(k) for c in d * np.arange(k)]
    boxes = [(0, 0, extent, extent, "a")]
    out_dots = [(0, 0, "a")]
    if wo > 1:
        dots += [(r, c + s, "b") for r in d * np.arange(k) for c in d * np.arange(k)]
        boxes.append((0, s, extent, extent, "b"))
        out_dots.append((0, 1, "b"))
    return frame(grid(["".join(r) for r in roles], title=f"input {h}×{w}{pad}", dots=dots, boxes=boxes,
                      index_from=-p),
                 grid(["c" * wo] * ho, title=f"output {ho}×{wo}", dots=out_dots, answer=hide_output),
                 title=title)


def _conv_answer(h, w, kernel_size, stride=1, padding=0, dilation=1):
    ho, wo = ll.conv2d_output_size(h, w, kernel_size, stride, padding, dilation)
    if ho < 1 or wo < 1:
        return "no output (the kernel does not fit)", ["none", "error", "0", "0×0", "no output"]
    return f"{ho}×{wo}", [f"{ho}×{wo}"] + ([str(ho)] if ho == wo else [])



# -- receptive fields -----------------------------------------------------------------------------
def receptive_field(layers) -> list[tuple[int, int]]:
    """Receptive-field size and jump after each of a stack of layers (one axis).

    Each layer is ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)``. With ``r`` the
    receptive field and ``j`` the jump (the distance in input pixels between neighbouring units)::

        r_l = r_{l-1} + dilation_l · (kernel_size_l − 1) · j_{l-1},    j_l = j_{l-1} · stride_l

    starting from ``r_0 = j_0 = 1`` (an input pixel sees itself).

    Returns:
        ``[(r_1, j_1), (r_2, j_2), ...]``.

    Examples:
        >>> receptive_field([(3, 1)] * 3)          # three 3×3 convolutions: 7×7, like one 7×7
        [(3, 1), (5, 1), (7, 1)]
        >>> receptive_field([(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)])   # conv, pool, conv, pool, conv
        [(3, 1), (4, 2), (8, 2), (10, 4), (18, 4)]
        >>> receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])          # dilations 1, 2, 4
        [(3, 1), (7, 1), (15, 1)]
    """
    r, j, out = 1, 1, []
    for layer in layers:
        k, s, d = (tuple(layer) + (1,))[:3]
        r, j = r + d * (k - 1) * j, j * s
        out.append((r, j))
    return out


def plot_receptive_fields(stacks: dict, title: str = "How far one unit sees: receptive field against depth"):
    """Receptive-field size against depth for several stacks of layers.

    Args:
        stacks: ``{name: [(kernel_size, stride[, dilation]), ...]}``.
        title: the figure title.

    Returns:
        The matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    styles = ["o-", "s--", "^-.", "d:"]
    for (name, layers), style in zip(stacks.items(), styles * 4, strict=False):
        sizes = [1] + [r for r, _ in receptive_field(layers)]
        ax.plot(range(len(sizes)), sizes, style, color="black", ms=5, lw=1.2, label=name)
    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("number of layers")
    ax.set_ylabel("receptive field (input pixels, one axis)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, frameon=False)
    fig.tight_layout()
    return fig


def draw_receptive_field(layers, n_in: int = 17, names=None,
                         title: str = "The receptive field of one unit grows with every layer"):
    """A 1-D diagram of a stack of layers (no padding): each unit is a dot, joined to the units it
    reads in the layer below; the cone of the middle unit of the top layer is drawn in black.

    Args:
        layers: ``[(kernel_size, stride[, dilation]), ...]``.
        n_in: number of input pixels.
        names: a label per layer (default ``"layer 1"``, ...).
        title: the figure title.

    Returns:
        The matplotlib Figure.
    """
    layers = [(tuple(layer) + (1,))[:3] for layer in layers]
    sizes, geo = [n_in], receptive_field(layers)
    for k, s, d in layers:
        sizes.append((sizes[-1] - d * (k - 1) - 1) // s + 1)
    if min(sizes) < 1:
        raise ValueError(f"draw_receptive_field: {n_in} inputs are too few for these layers (sizes {sizes})")
    # x position of unit i of layer l: the centre of the input pixels it sees
    pos = [np.arange(n_in, dtype=float)]
    for (r, j), n in zip(geo, sizes[1:], strict=True):
        pos.append(np.arange(n) * j + (r - 1) / 2)
    # the cone: which units of each layer the middle top unit depends on
    cone = [set() for _ in sizes]
    cone[-1] = {sizes[-1] // 2}
    for level in range(len(layers), 0, -1):
        k, s, d = layers[level - 1]
        cone[level - 1] = {i * s + t * d for i in cone[level] for t in range(k)}
    fig, ax = plt.subplots(figsize=(7.2, 0.9 + 0.8 * len(sizes)))
    for level in range(1, len(sizes)):
        k, s, d = layers[level - 1]
        for i in range(sizes[level]):
            on = i in cone[level]
            for t in range(k):
                src = i * s + t * d
                ax.plot([pos[level - 1][src], pos[level][i]], [level - 1, level], lw=1.4 if on else 0.5,
                        color="black" if on else "0.8", zorder=2 if on else 1)
    for level, xs in enumerate(pos):
        inside = np.array([i in cone[level] for i in range(len(xs))])
        ax.scatter(xs[~inside], np.full((~inside).sum(), level), s=55, c="white", edgecolors="0.6", zorder=3)
        ax.scatter(xs[inside], np.full(inside.sum(), level), s=55, c="black", zorder=4)
    names = names or [f"layer {i}" for i in range(1, len(sizes))]
    labels = ["input"] + [f"{nm}\n(k={k}, s={s}{f', d={d}' if d != 1 else ''})"
                          for nm, (k, s, d) in zip(names, layers, strict=True)]
    ax.set_yticks(range(len(sizes)), labels, fontsize=10)
    ax.set_xticks([])
    ax.set_xlabel(f"input position (the black top unit sees {geo[-1][0]} input pixels)", fontsize=10)
    ax.set_ylim(-0.5, len(sizes) - 0.5)
    ax.set_title(title, fontsize=10)
    for spine in ("top", "right", "bottom"):
        ax.spines[spine].set_visible(False)
    fig.tight_layout()
    return fig


# -- connectivity: dense versus convolution -------------------------------------------------------
def draw_connectivity(n: int = 7, kernel_size: int = 3,
                      title: str = "Dense layer against a 1-D convolution (padding 1): "
                                   "connections and weights"):
    """Two panels with ``n`` inputs and ``n`` outputs: a dense layer (every input to every output, each
    line its own weight) and a convolution with 'same' zero padding (each output reads
    ``kernel_size`` neighbours; lines in the same style share one weight).

    Returns:
        The matplotlib Figure.
    """
    k, half = kernel_size, kernel_size // 2
    fig, (ax_d, ax_c) = plt.subplots(1, 2, figsize=(8.4, 3.2))
    xs = np.arange(n)
    for i in range(n):
        for j in range(n):
            ax_d.plot([j, i], [0, 1], color="0.45", lw=0.6)
    styles = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1))]
    for i in range(n):
        for t in range(k):
            j = i + t - half
            if 0 <= j < n:
                ax_c.plot([j, i], [0, 1], color="black", lw=1.6, ls=styles[t % len(styles)])
    for ax, what, count in [(ax_d, "dense", f"{n}·{n} = {n * n} weights"),
                            (ax_c, "convolution", f"{k} shared weights")]:
        ax.scatter(xs, np.zeros(n), s=120, c="white", edgecolors="black", zorder=3)
        ax.scatter(xs, np.ones(n), s=120, c="0.6", edgecolors="black", zorder=3)
        ax.set_yticks([0, 1], ["input", "output"], fontsize=10)
        ax.set_xticks([])
        ax.set_ylim(-0.25, 1.25)
        ax.set_title(f"{what}: {count}", fontsize=10)
        for spine in ax.spines.values():
            spine.set_visible(False)
    ax_c.set_xlabel("one line style = one weight, reused at every position", fontsize=10)
    ax_d.set_xlabel("every output reads every input", fontsize=10)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# -- channels and filters -------------------------------------------------------------------------
def _slab(ax, x, y, size, depth, face, label=None, dx=0.22, dy=0.22, edge="black"):
    """A stack of ``depth`` squares of side ``size``, offset diagonally (back ones first)."""
    for i in reversed(range(depth)):
        ax.add_patch(Rectangle((x + i * dx, y + i * dy), size, size, fc=face(i), ec=edge, lw=0.8))
    if label:
        ax.text(x + size / 2 + (depth - 1) * dx / 2, y - 0.35, label, ha="center", va="top", fontsize=10)


def draw_filters(in_channels: int = 3, out_channels: int = 4, kernel_size: int = 3, size: int = 8,
                 title: str | None = None):
    """Schematic of a convolution layer's shapes: an input of ``in_channels`` maps, ``out_channels``
    filters each ``in_channels × k × k`` deep, and one output map per filter.

    Returns:
        The matplotlib Figure.
    """
    c, o, k = in_channels, out_channels, kernel_size
    per = k * k * c
    fig, ax = plt.subplots(figsize=(8.4, 3.6))
    greys = [0.97, 0.85, 0.72, 0.6, 0.5, 0.4]
    _slab(ax, 0, 0, 4, c, lambda i: str(greys[i % len(greys)]),
          f"input: {c} channel{'s' * (c != 1)}\n{c}×{size}×{size}")
    fx = 6.3
    for f in range(o):
        y = 3.1 - f * 1.25
        _slab(ax, fx, y, 0.8, c, lambda i: str(greys[i % len(greys)]), dx=0.12, dy=0.12)
        ax.text(fx + 1.3 + 0.12 * c, y + 0.45, f"filter {f}: {c}×{k}×{k} + bias", va="center", fontsize=10)
    ax.text(fx + 1.2, -1.6 - 0.0, f"{o} filters × ({k}·{k}·{c} + 1) = {o * (per + 1)} parameters",
            ha="center", fontsize=10)
    _slab(ax, 12.3, 0, 4, o, lambda i: "0.75", f"output: {o} feature map{'s' * (o != 1)}\n{o}×{size}×{size}"
          " (padding 'same')", dx=0.22, dy=0.22)
    ax.annotate("", xy=(fx - 0.3, 2.0), xytext=(4.9 + 0.22 * c, 2.0),
                arrowprops=dict(arrowstyle="->", lw=1.2))
    ax.annotate("", xy=(12.1, 2.0), xytext=(fx + 5.1, 2.0), arrowprops=dict(arrowstyle="->", lw=1.2))
    ax.set_xlim(-0.5, 17.6)
    ax.set_ylim(-2.2, 5.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or f"Conv2d({c}, {o}, kernel_size={k}): every filter spans all {c} input channels",
                 fontsize=10)
    fig.tight_layout()
    return fig


# -- transposed convolution -----------------------------------------------------------------------
def _grid_lines(ax, rows, cols, color="0.55", lw=0.6):
    ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color=color, lw=lw)
    ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color=color, lw=lw)


def _numbers(ax, m, title, vmax, fmt="{:g}", mark=None):
    ax.imshow(m, cmap="Greys", vmin=-0.15 * vmax, vmax=1.6 * vmax, interpolation="nearest")
    _grid_lines(ax, *m.shape)
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, fmt.format(v) if v != 0 or mark is None or mark[i, j] else "·", ha="center",
                va="center", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def draw_transposed_conv(x, kernel, stride: int = 2,
                         title: str = "A transposed convolution paints one scaled copy of the kernel "
                                      "per input pixel"):
    """A transposed convolution (no padding) as a sum: input pixel ``(i, j)`` adds
    ``x[i, j] · kernel`` to the output block starting at ``(i·stride, j·stride)``.

    Args:
        x: a small 2-D input (e.g. 2×2).
        kernel: a 2-D kernel (e.g. 3×3).
        stride: the spacing of the painted copies.
        title: the figure title.

    Returns:
        The matplotlib Figure: the input, the kernel, one panel per input pixel, and the sum
        (computed with :class:`layers_lib.ConvTranspose2d`).
    """
    x, kernel = np.asarray(x, dtype=float), np.asarray(kernel, dtype=float)
    (h, w), (kh, kw) = x.shape, kernel.shape
    layer = ll.ConvTranspose2d(1, 1, (kh, kw), stride=stride, bias=False)
    layer.weight.data = kernel[None, None].copy()
    total = layer(x[None, None])[0, 0]
    parts = []
    for i in range(h):
        for j in range(w):
            part = np.zeros_like(total)
            part[i * stride:i * stride + kh, j * stride:j * stride + kw] = x[i, j] * kernel
            parts.append(((i, j), part))
    vmax = float(np.abs(total).max()) or 1.0
    n = len(parts)
    fig, axes = plt.subplots(1, n + 3, figsize=(1.55 * (n + 3) + 0.4, 2.6),
                             gridspec_kw={"width_ratios": [w, kw] + [total.shape[1]] * (n + 1)})
    _numbers(axes[0], x, f"input {h}×{w}", vmax)
    _numbers(axes[1], kernel, f"kernel {kh}×{kw}", vmax)
    for ax, ((i, j), part) in zip(axes[2:], parts, strict=False):
        mark = np.zeros(part.shape, dtype=bool)
        mark[i * stride:i * stride + kh, j * stride:j * stride + kw] = True
        _numbers(ax, part, f"x[{i},{j}] · kernel", vmax, mark=mark)
    _numbers(axes[-1], total, f"= sum: output {total.shape[0]}×{total.shape[1]}", vmax)
    fig.suptitle(title + f" (stride {stride})", fontsize=10)
    fig.tight_layout()
    return fig


# -- transposed convolution geometry: frames as data -------------------------------------------------
def transposed_geometry_frame(h: int, w: int, kernel_size: int, stride: int = 1, padding: int = 0,
                              output_padding: int = 0, hide_output: bool = False) -> dict:
    """One frame of the transposed-convolution explorer, as data (see ``viz.frame``).

    Every input pixel paints a ``kernel_size``² copy of the kernel onto the output, ``stride``
    pixels further per input step. Left: the input, pixels (0, 0) and (0, 1) marked. Right: the
    canvas the copies are painted on, each cell labelled with how many copies overlap there (its
    shade too: uneven counts are the checkerboard of up-sampling), the copies of (0, 0) and (0, 1)
    boxed; ``padding`` crops that many rows and columns from every side (grey, crossed) and
    ``output_padding`` adds rows and columns at the bottom and right that no copy reaches. The
    output is what is left: ``(H − 1)·stride − 2·padding + kernel_size + output_padding``.

    Examples:
        >>> f = transposed_geometry_frame(2, 2, 3, stride=2)
        >>> f["panels"][1]["title"], f["panels"][1]["labels"][2]
        ('output 5×5 (canvas 5×5)', ['2', '2', '4', '2', '2'])
    """
    k, s, p, op = kernel_size, stride, padding, output_padding
    title = (f"ConvTranspose2d(kernel_size={k}, stride={s}, padding={p}, output_padding={op}) "
             f"on a {h}×{w} input")
    marks = [(0, 0, "a")] + ([(0, 1, "b")] if w > 1 else [])
    x_panel = grid(["c" * w] * h, title=f"input {h}×{w}", dots=marks)
    ho, wo = ll.conv_transpose2d_output_size(h, w, k, s, p, op)
    if op >= s:
        return frame(x_panel, message(f"output_padding {op} must be smaller than the stride {s}: "
                                      "ConvTranspose2d raises an error.", title="output: none"),
                     title=title)
    if ho < 1 or wo < 1:
        return frame(x_panel, message(f"Padding {p} crops more than the canvas holds: no output "
                                      "(ConvTranspose2d raises an error).", title="output: none"),
                     title=title)
    ch, cw = (h - 1) * s + k, (w - 1) * s + k  # the canvas the copies are painted on
    count, kept = _painted(h, w, k, s, p, op)
    roles = np.where(kept, np.where(count > 0, "h", "e"), np.where(count > 0, "x", "_"))
    heat = count / max(count.max(), 1)
    boxes = [(0, 0, k, k, "a")] + ([(0, s, k, k, "b")] if w > 1 else [])
    labels = [[str(v) if roles[r, c] != "_" else "" for c, v in enumerate(row)]
              for r, row in enumerate(count)]
    return frame(x_panel,
                 grid(["".join(r) for r in roles], title=f"output {ho}×{wo} (canvas {ch}×{cw})",
                      labels=labels, heat=np.where(roles == "h", heat, 0), boxes=boxes, answer=hide_output),
                 title=title)


def transposed_geometry_explorer(h: int = 3, w: int = 3, kernel_size=(1, 2, 3, 4), stride=(1, 2, 3),
                                 padding=(0, 1, 2), output_padding=(0, 1),
                                 title: str = "Transposed convolution: kernel, stride, padding, "
                                              "output_padding",
                                 initial=None):
    """The slider explorer of :func:`transposed_geometry_frame` (built with ``viz.explore``); a list
    with one value is held fixed. The read-out writes the output-size formula with the numbers."""
    sliders, full = held_fixed({"kernel_size": kernel_size, "stride": stride, "padding": padding,
                                "output_padding": output_padding})

    def readout(**moved):
        st = full(**moved)
        k, s, p, op = st["kernel_size"], st["stride"], st["padding"], st["output_padding"]
        n = (h - 1) * s - 2 * p + k + op
        text = f"H_out = ({h} − 1)·{s} − 2·{p} + {k} + {op} = {n}"
        if op >= s:
            return text + "<br>output_padding must be smaller than the stride: PyTorch raises an error."
        count, kept = _painted(h, w, k, s, p, op)
        counts = sorted({int(v) for v in count[kept]})
        even = ("every output pixel gets the same number of copies" if len(counts) == 1 else
                f"output pixels get {', '.join(map(str, counts))} copies: uneven (a checkerboard)")
        return f"{text}<br>{even}." if n > 0 else text + "<br>no output: PyTorch raises an error."

    def alt(**moved):
        st = full(**moved)
        ho, wo = ll.conv_transpose2d_output_size(h, w, st["kernel_size"], st["stride"], st["padding"],
                                                 st["output_padding"])
        return (f"Transposed convolution of a {h}×{w} input, kernel {st['kernel_size']}, "
                f"stride {st['stride']}, padding {st['padding']}, output_padding {st['output_padding']}: "
                f"output {ho}×{wo}, each cell "
                "labelled with how many kernel copies overlap there.")

    return explore(lambda **moved: transposed_geometry_frame(h, w, **full(**moved)), sliders,
                       readout=readout, title=title, alt=alt, initial=initial)


def _painted(h: int, w: int, k: int, s: int, p: int, op: int) -> tuple[np.ndarray, np.ndarray]:
    """How many kernel copies overlap each cell of the canvas an h×w input paints (stride s), and
    which cells the output keeps: padding p crops every side, output_padding op adds rows and
    columns at the bottom and right, which may reach past the canvas (no copy there)."""
    ho, wo = ll.conv_transpose2d_output_size(h, w, k, s, p, op)
    rows, cols = max((h - 1) * s + k, p + ho), max((w - 1) * s + k, p + wo)
    count = np.zeros((rows, cols), dtype=int)
    for i in range(h):
        for j in range(w):
            count[i * s:i * s + k, j * s:j * s + k] += 1
    kept = np.zeros((rows, cols), dtype=bool)
    kept[p:p + max(ho, 0), p:p + max(wo, 0)] = True
    return count, kept


# -- the explorer ---------------------------------------------------------------------------------
def geometry_explorer(h: int = 7, w: int = 7, kernel_size=(1, 2, 3, 4, 5), stride=(1, 2, 3, 4),
                      padding=(0, 1, 2, 3), dilation=(1, 2, 3),
                      title: str = "Convolution geometry: move the sliders",
                      predict: bool = False, initial=None):
    """The slider explorer of :func:`conv_geometry_frame` (built with ``viz.explore``).

    Each of ``kernel_size``, ``stride``, ``padding``, ``dilation`` is a list of values; a list
    with more than one value becomes a slider of that name, a single value stays fixed. The
    default covers kernel 1–5 × stride 1–4 × padding 0–3 × dilation 1–3 (240 settings). The
    read-out is :func:`conv_geometry_readout`. With ``predict=True`` the output grid and the
    read-out stay hidden until the reader has typed the output size.
    """
    sliders, full = held_fixed({"kernel_size": kernel_size, "stride": stride, "padding": padding,
                                "dilation": dilation})

    def draw(**moved):
        return conv_geometry_frame(h, w, **full(**moved), hide_output=predict)

    def readout(**moved):
        return conv_geometry_readout(h, w, **full(**moved)).replace("\n", "<br>")

    def alt(**moved):
        st = full(**moved)
        ho, wo = ll.conv2d_output_size(h, w, st["kernel_size"], st["stride"], st["padding"], st["dilation"])
        size = f"output {ho}×{wo}" if min(ho, wo) >= 1 else "no output: the kernel does not fit"
        return (f"{h}×{w} input, padding {st['padding']}, kernel {st['kernel_size']}, stride {st['stride']}, "
                f"dilation {st['dilation']}: {size}.")

    answer = ("Output size (H×W)?", lambda **moved: _conv_answer(h, w, **full(**moved)))
    return explore(draw, sliders, readout=readout, title=title, alt=alt,
                       predict=answer if predict else None, initial=initial)



# -- feature maps of a photograph -----------------------------------------------------------------
def draw_feature_maps(image, maps, titles, title: str = "Feature maps", clip: float = 99.0):
    """An image next to the feature maps computed from it, in grey, one panel each.

    Each signed map gets its own symmetric scale (mid-grey = 0, light = positive, dark =
    negative), clipped at the ``clip`` percentile of its absolute values so that a few extreme
    pixels do not wash out the rest.

    Args:
        image: the input, ``(H, W)``.
        maps: ``(C, H', W')``, e.g. the output of a ``Conv2d`` for one image.
        titles: one title per map.
        title: the figure title.
        clip: percentile of ``|map|`` mapped to full black / white.

    Returns:
        The matplotlib Figure.
    """
    image, maps = np.asarray(image, dtype=float), np.asarray(maps, dtype=float)
    if maps.ndim != 3 or len(titles) != len(maps):
        raise ValueError(f"draw_feature_maps expected maps (C, H, W) and C titles, got {maps.shape} "
                         f"and {len(titles)} titles")
    n = len(maps) + 1
    aspect = image.shape[0] / image.shape[1]
    fig, axes = plt.subplots(1, n, figsize=(2.3 * n, 2.3 * aspect + 0.9))
    axes[0].imshow(image, cmap="gray")
    axes[0].set_title("input", fontsize=10)
    for ax, m, name in zip(axes[1:], maps, titles, strict=True):
        lim = float(np.percentile(np.abs(m), clip)) or 1.0
        ax.imshow(m, cmap="gray", vmin=-lim, vmax=lim)
        ax.set_title(name, fontsize=10)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel(f"height ({image.shape[0]} px)", fontsize=10)
    for ax in axes:
        ax.set_xlabel(f"width ({image.shape[1]} px)", fontsize=10)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
