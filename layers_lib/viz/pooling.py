"""Figures for the pooling chapter.

* :func:`draw_pool_geometry` — one frame of the pooling explorer: the padded input with its
  numbers, the windows of two neighbouring outputs (and, for max pooling, their arg-max), cells no
  window reads, and the output with its numbers; :func:`pool_readout` and
  :func:`pool_size_formula` give the output size with the numbers filled in;
  :func:`pool_explorer` builds the explorer.
* :func:`draw_pool_backward` — the forward and backward pass of a pooling layer on a small grid:
  ``x``, ``y``, the upstream gradient and ``dx``, every number written in its cell.
* :func:`shift_changes` (numbers), :func:`plot_shift_changes` and :func:`draw_shift_example`
  (pictures) — how much features change when the input shifts, with and without pooling.

Every figure function returns a matplotlib Figure with a title; colours are light fills with
solid/dashed outlines, readable in greyscale.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

import layers_lib as ll

__all__ = [
    "pool_size_formula",
    "pool_readout",
    "draw_pool_geometry",
    "PoolGeometryCanvas",
    "pool_explorer",
    "draw_pool_backward",
    "shift_changes",
    "plot_shift_changes",
    "draw_shift_example",
]

_A_FILL, _A_EDGE = (0.70, 0.82, 0.93), (0.13, 0.37, 0.66)   # light / dark blue: first window
_B_FILL, _B_EDGE = (0.99, 0.85, 0.65), (0.85, 0.40, 0.0)    # light / dark orange: next window
_AB_FILL = (0.80, 0.80, 0.70)                               # read by both windows
_PAD, _UNREAD = (0.86, 0.86, 0.86), (0.62, 0.62, 0.62)


def _fmt(v: float) -> str:
    v = float(v) + 0.0  # −0.0 prints as 0
    if np.isinf(v):
        return "−∞" if v < 0 else "∞"
    text = f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}".rstrip("0")
    return text.replace("-", "−")


# -- the output-size formula ----------------------------------------------------------------------
def pool_size_formula(n: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                      name: str = "H") -> str:
    """The pooling output-size formula for one axis (no dilation), with the numbers filled in.

    Examples:
        >>> print(pool_size_formula(5, 2))
        H_out = ⌊(5 + 2·0 − 2) / 2⌋ + 1 = ⌊3 / 2⌋ + 1 = 2
        >>> print(pool_size_formula(6, 3, 1, 1, name="W"))
        W_out = ⌊(6 + 2·1 − 3) / 1⌋ + 1 = ⌊5 / 1⌋ + 1 = 6
    """
    s = kernel_size if stride is None else stride
    num = n + 2 * padding - kernel_size
    return (f"{name}_out = ⌊({n} + 2·{padding} − {kernel_size}) / {s}⌋ + 1 = ⌊{num} / {s}⌋ + 1"
            f" = {num // s + 1}")


def _unread(n, k, s, p):
    """Boolean mask over the padded axis: positions no window reads."""
    padded = n + 2 * p
    out = (padded - k) // s + 1
    mask = np.ones(padded, dtype=bool)
    mask[(np.arange(out)[:, None] * s + np.arange(k)).ravel()] = False
    return mask


def pool_readout(h: int, w: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                 mode: str = "max") -> str:
    """The read-out of the pooling explorer: the layer, both formulas and how windows relate.

    Examples:
        >>> print(pool_readout(5, 6, 2))
        MaxPool2d(kernel_size=2, stride=2, padding=0): (5, 6) → (2, 3)
        H_out = ⌊(5 + 2·0 − 2) / 2⌋ + 1 = ⌊3 / 2⌋ + 1 = 2
        W_out = ⌊(6 + 2·0 − 2) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = 3
        stride = kernel: the windows tile the input without overlap; row 4 is never read.
    """
    s = kernel_size if stride is None else stride
    layer = "MaxPool2d" if mode == "max" else "AvgPool2d"
    ho, wo = ll.pool2d_output_size(h, w, kernel_size, s, padding)
    lines = [f"{layer}(kernel_size={kernel_size}, stride={s}, padding={padding}): ({h}, {w}) → ({ho}, {wo})",
             pool_size_formula(h, kernel_size, s, padding, "H"),
             pool_size_formula(w, kernel_size, s, padding, "W")]
    if s < kernel_size:
        note = "stride < kernel: neighbouring windows overlap"
    elif s == kernel_size:
        note = "stride = kernel: the windows tile the input without overlap"
    else:
        note = "stride > kernel: some rows and columns fall between windows"
    missed = []
    for what, n in (("row", h), ("column", w)):
        idx = [str(i - padding) for i in np.flatnonzero(_unread(n, kernel_size, s, padding))
               if 0 <= i - padding < n]
        if idx:
            missed.append(f"{what}{'s' * (len(idx) > 1)} {', '.join(idx)}")
    if missed:
        verb = "is" if len(missed) == 1 and "," not in missed[0] else "are"
        note += f"; {' and '.join(missed)} {verb} never read."
    else:
        note += "; every input pixel is read."
    if padding:
        note += (" The padding holds −∞ for max pooling: it never wins." if mode == "max"
                 else " The padding holds 0 for average pooling and counts in the divisor.")
    return "\n".join([*lines, note])


# -- one frame of the explorer ----------------------------------------------------------------------
def _grid_segments(rows, cols, top=0, left=0):
    """Line segments of a ``rows × cols`` grid of unit cells whose top-left cell is (top, left)."""
    y0, y1, x0, x1 = top - 0.5, top + rows - 0.5, left - 0.5, left + cols - 0.5
    return ([[(x0, y), (x1, y)] for y in np.arange(rows + 1) + y0]
            + [[(x, y0), (x, y1)] for x in np.arange(cols + 1) + x0])


def _cells(ax, labels, fills, fontsize=9):
    rows, cols = labels.shape
    ax.imshow(fills, interpolation="nearest")
    ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color="0.5", lw=0.6)
    ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color="0.5", lw=0.6)
    for (i, j), text in np.ndenumerate(labels):
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize)


class PoolGeometryCanvas:
    """The figure behind :func:`draw_pool_geometry`, built once and repainted for each setting.

    As for :class:`layers_lib.viz.conv.ConvGeometryCanvas`: the input sits at a fixed place with
    room for the largest padding, the output grid has room for the largest output, and
    :meth:`draw` only changes colours, numbers, boxes and titles — several times faster than a
    new figure per frame.

    Args:
        x: the 2-D input, drawn with its numbers.
        max_padding: the largest padding to make room for.
        max_out: ``(rows, cols)`` of the largest output.
        figure: a Figure to draw into (default: a new pyplot figure).
    """

    def __init__(self, x, max_padding: int, max_out, figure=None):
        from matplotlib.collections import LineCollection

        self.x = np.asarray(x, dtype=float)
        h, w = self.x.shape
        self.P, self.max_out = max_padding, tuple(max_out)
        hg, wg = h + 2 * max_padding, w + 2 * max_padding
        self.big = max(hg, max_padding + self.max_out[0])  # rows drawn (cells stay square)
        self.fig = plt.figure(figsize=(8.4, 4.4)) if figure is None else figure
        self.fig.set_size_inches(8.4, 4.4)
        ratios = [wg + 0.6, max(self.max_out[1], 3) + 0.6]
        ax_in, ax_out = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": ratios})
        self.ax_in, self.ax_out = ax_in, ax_out
        self.fills = ax_in.imshow(np.ones((hg, wg, 3)), interpolation="nearest")
        self.lines = ax_in.add_collection(LineCollection([], colors="0.5", linewidths=0.6))
        self.texts = np.array([[ax_in.text(j, i, "", ha="center", va="center", fontsize=9) for j in range(wg)]
                               for i in range(hg)], dtype=object)
        corner = max_padding - 0.5
        ax_in.add_patch(Rectangle((corner, corner), w, h, fill=False, lw=1.6, ec="black"))
        (self.crosses,) = ax_in.plot([], [], "x", color="0.2", ms=5, ls="none")
        self.boxes = [ax_in.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2.6, ec=edge, ls=ls, zorder=4))
                      for edge, ls in ((_A_EDGE, "-"), (_B_EDGE, "--"))]
        self.circles = [ax_in.add_patch(Circle((0, 0), 0.38, fill=False, lw=2, ec=edge, ls=ls, zorder=5))
                        for edge, ls in ((_A_EDGE, "-"), (_B_EDGE, "--"))]
        self.padding = 0
        for axis, n, size in ((ax_in.xaxis, wg, w), (ax_in.yaxis, hg, h)):
            axis.set_ticks(range(n))
            axis.set_major_formatter(plt.FuncFormatter(lambda v, _, size=size: self._index_label(v, size)))
            axis.set_tick_params(labelsize=7, length=0)
        for spine in ax_in.spines.values():
            spine.set_visible(False)
        ax_in.set_xlim(-0.5, wg - 0.5)
        ax_in.set_ylim(self.big - 0.5, -0.5)
        ax_in.set_xlabel("input column", fontsize=8)
        ax_in.set_ylabel("input row", fontsize=8)
        self.in_title = ax_in.set_title("", fontsize=9)

        wo = self.max_out[1]
        self.out_fills = ax_out.imshow(np.ones((self.big, wo, 3)), interpolation="nearest")
        self.out_lines = ax_out.add_collection(LineCollection([], colors="0.5", linewidths=0.6))
        self.out_texts = np.array([[ax_out.text(j, i, "", ha="center", va="center", fontsize=9)
                                    for j in range(wo)] for i in range(self.big)], dtype=object)
        self.out_boxes = [ax_out.add_patch(Rectangle((0, 0), 1, 1, fill=False, lw=2.6, ec=edge, ls=ls,
                                                     zorder=4))
                          for edge, ls in ((_A_EDGE, "-"), (_B_EDGE, "--"))]
        ax_out.set_xticks([])
        ax_out.set_yticks([])
        ax_out.set_xlim(-0.5, max(wo, 3) - 0.5)
        ax_out.set_ylim(self.big - 0.5, -0.5)
        ax_out.xaxis.set_label_position("top")
        self.out_label = ax_out.set_xlabel("", fontsize=9)
        for spine in ax_out.spines.values():
            spine.set_visible(False)
        self.title = self.fig.suptitle("", fontsize=9.5)
        self.fig.subplots_adjust(left=0.07, right=0.98, top=0.82, bottom=0.08, wspace=0.2)

    def _index_label(self, v, size: int) -> str:
        i = int(round(v)) - self.P
        return str(i) if -self.padding <= i < size + self.padding else ""

    def draw(self, kernel_size: int, stride: int | None = None, padding: int = 0, mode: str = "max",
             title: str | None = None):
        """Paint one setting; returns the Figure."""
        if mode not in ("max", "avg"):
            raise ValueError(f"draw_pool_geometry expected mode 'max' or 'avg', got {mode!r}")
        x, P = self.x, self.P
        k, p = kernel_size, padding
        s = k if stride is None else stride
        h, w = x.shape
        layer = ll.MaxPool2d(k, s, p) if mode == "max" else ll.AvgPool2d(k, s, p)
        y = layer(x[None, None])[0, 0]
        ho, wo = y.shape
        if p > P or ho > self.max_out[0] or wo > self.max_out[1]:
            raise ValueError(f"PoolGeometryCanvas: padding {p} or output {ho}×{wo} does not fit this canvas "
                             f"(padding ≤ {P}, output ≤ {self.max_out})")
        self.padding = p
        off = P - p
        xp = np.pad(x, p, constant_values=-np.inf if mode == "max" else 0.0)
        hp, wp = xp.shape
        fills = np.ones((hp, wp, 3))
        inside = np.zeros((hp, wp), dtype=bool)
        inside[p:p + h, p:p + w] = True
        fills[~inside] = _PAD
        unread = _unread(h, k, s, p)[:, None] | _unread(w, k, s, p)[None, :]
        fills[unread] = _UNREAD
        a = np.zeros((hp, wp), dtype=bool)
        a[:k, :k] = True
        b = np.zeros((hp, wp), dtype=bool)
        if wo > 1:
            b[:k, s:s + k] = True
        fills[a & ~b], fills[b & ~a], fills[a & b] = _A_FILL, _B_FILL, _AB_FILL
        canvas = np.ones((*self.texts.shape, 3))
        canvas[off:off + hp, off:off + wp] = fills
        self.fills.set_data(canvas)
        self.lines.set_segments(_grid_segments(hp, wp, off, off))
        for (i, j), t in np.ndenumerate(self.texts):
            r, c = i - off, j - off
            t.set_text(_fmt(xp[r, c]) if 0 <= r < hp and 0 <= c < wp else "")
        rr, cc = np.nonzero(unread)
        self.crosses.set_data(cc + off, rr + off + 0.3)
        artists = zip(self.boxes, self.circles, self.out_boxes, strict=True)
        for ow, (box, circle, out_box) in enumerate(artists):
            on = ow < wo
            for artist in (box, out_box):
                artist.set_visible(on)
            circle.set_visible(on and mode == "max")
            box.set_bounds(off + ow * s - 0.5, off - 0.5, k, k)
            out_box.set_bounds(ow - 0.5, off - 0.5, 1, 1)
            if on and mode == "max":
                arg = int(np.argmax(xp[:k, ow * s:ow * s + k]))  # the first maximum, as PyTorch
                circle.set_center((off + ow * s + arg % k, off + arg // k))
        pad_text = f" + padding {p} ({'−∞' if mode == 'max' else '0'})" if p else ""
        self.in_title.set_text(f"input {h}×{w}{pad_text}")

        out_fills = np.ones((self.big, self.max_out[1], 3))
        out_fills[off, 0] = _A_FILL
        if wo > 1:
            out_fills[off, 1] = _B_FILL
        self.out_fills.set_data(out_fills)
        self.out_lines.set_segments(_grid_segments(ho, wo, off, 0))
        for (i, j), t in np.ndenumerate(self.out_texts):
            r = i - off
            t.set_text(_fmt(y[r, j]) if 0 <= r < ho and j < wo else "")
        self.out_label.set_text(f"output {ho}×{wo}")
        name = "MaxPool2d" if mode == "max" else "AvgPool2d"
        if title is None:
            title = f"{name}(kernel_size={k}, stride={s}, padding={p}):  {h}×{w} → {ho}×{wo}"
        self.title.set_text(title + "\n" + pool_size_formula(h, k, s, p, "H") + "   "
                            + pool_size_formula(w, k, s, p, "W"))
        return self.fig


def draw_pool_geometry(x, kernel_size: int, stride: int | None = None, padding: int = 0, mode: str = "max",
                       title: str | None = None):
    """One frame of the pooling explorer: the padded input with its numbers, the windows of outputs
    (0, 0) (blue, solid box) and (0, 1) (orange, dashed box) — for max pooling their arg-max is
    circled — cells no window reads (dark grey, crossed), and the output with its numbers,
    computed by :class:`layers_lib.MaxPool2d` / :class:`layers_lib.AvgPool2d`.

    Args:
        x: a small 2-D input, e.g. 5×6 integers.
        kernel_size, stride, padding: ints (``stride=None`` means ``kernel_size``).
        mode: ``"max"`` or ``"avg"``.
        title: the figure title (default: the layer and the shapes).

    Returns:
        The matplotlib Figure (see :class:`PoolGeometryCanvas` to draw many settings quickly).
    """
    x = np.asarray(x, dtype=float)
    out = ll.pool2d_output_size(*x.shape, kernel_size, stride, padding)
    return PoolGeometryCanvas(x, padding, out).draw(kernel_size, stride, padding, mode, title)


def pool_explorer(x, kernel_size=(2, 3), stride=(1, 2, 3), padding=(0, 1), mode=("max", "avg"),
                  title: str = "Pooling: kernel size, stride, padding, max or average"):
    """The slider explorer of :func:`draw_pool_geometry` on the input ``x`` (built with
    ``viz.explore``); the sliders are named ``kernel_size``, ``stride``, ``padding`` and ``mode``
    (a list with one value is held fixed). Settings whose padding exceeds half the kernel (which
    PyTorch rejects) are not offered: keep ``max(padding) <= min(kernel_size) // 2``."""
    from layers_lib import viz

    x = np.asarray(x, dtype=float)
    grid = {"kernel_size": list(kernel_size), "stride": list(stride), "padding": list(padding),
            "mode": list(mode)}
    if max(grid["padding"]) > min(grid["kernel_size"]) // 2:
        raise ValueError("pool_explorer: padding must be at most half the smallest kernel size")
    fixed = {name: values[0] for name, values in grid.items() if len(values) == 1}
    sliders = {name: values for name, values in grid.items() if len(values) > 1}
    outs = [ll.pool2d_output_size(*x.shape, k, s, p) for k in grid["kernel_size"] for s in grid["stride"]
            for p in grid["padding"]]
    canvas = PoolGeometryCanvas(x, max(grid["padding"]), (max(o[0] for o in outs), max(o[1] for o in outs)),
                                figure=Figure())

    def draw(**moved):
        return canvas.draw(**{**fixed, **moved})

    def readout(**moved):
        return pool_readout(*x.shape, **{**fixed, **moved}).replace("\n", "<br>")

    def alt(**moved):
        st = {**fixed, **moved}
        ho, wo = ll.pool2d_output_size(*x.shape, st["kernel_size"], st["stride"], st["padding"])
        kind = "Max" if st["mode"] == "max" else "Average"
        return (f"{kind} pooling of a {x.shape[0]}×{x.shape[1]} grid of numbers with a "
                f"{st['kernel_size']}×{st['kernel_size']} window, stride {st['stride']}, padding "
                f"{st['padding']}: the first two windows are outlined, and the {ho}×{wo} output is shown.")

    return viz.explore(draw, sliders, readout=readout, title=title, alt=alt)


# -- the backward pass ----------------------------------------------------------------------------
def draw_pool_backward(x, dy, kernel_size: int, stride: int | None = None, mode: str = "max",
                       title: str | None = None):
    """Forward and backward of one pooling layer on a small grid: ``x`` (for max pooling the
    arg-max of every window outlined; the windows dashed when they do not overlap), ``y``, the
    upstream gradient ``dy`` and ``dx``, computed with
    :class:`layers_lib.MaxPool2d` / :class:`layers_lib.AvgPool2d`.

    Args:
        x: a small 2-D input.
        dy: the upstream gradient, shaped like the output.
        kernel_size, stride: ints (``stride=None`` means ``kernel_size``).
        mode: ``"max"`` or ``"avg"``.
        title: the figure title.

    Returns:
        The matplotlib Figure.
    """
    x, dy = np.asarray(x, dtype=float), np.asarray(dy, dtype=float)
    s = kernel_size if stride is None else stride
    layer = ll.MaxPool2d(kernel_size, s) if mode == "max" else ll.AvgPool2d(kernel_size, s)
    y = layer(x[None, None])[0, 0]
    if dy.shape != y.shape:
        raise ValueError(f"draw_pool_backward expected dy of the output's shape {y.shape}, got {dy.shape}")
    dx = layer.backward(dy[None, None])[0, 0]
    panels = [(x, "input x"), (y, "output y"), (dy, "upstream dy"), (dx, "dx = backward(dy)")]
    widths = [max(a.shape[1], 2) for a, _ in panels]
    fig, axes = plt.subplots(1, 4, figsize=(0.5 * sum(widths) + 2.2, 0.5 * x.shape[0] + 1.2),
                             gridspec_kw={"width_ratios": widths})
    for ax, (a, name) in zip(axes, panels, strict=True):
        fills = np.ones((*a.shape, 3))
        if a is dx:
            fills[a != 0] = _A_FILL
        _cells(ax, np.vectorize(_fmt, otypes=[object])(a), fills)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_anchor("N")
    if mode == "max":
        _, idx = ll.MaxPool2d(kernel_size, s, return_indices=True)(x[None, None])
        for flat in np.unique(idx):
            i, j = divmod(int(flat), x.shape[1])
            for ax in (axes[0], axes[3]):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.4, ec=_A_EDGE, zorder=4))
    for i0 in range(y.shape[0] if s >= kernel_size else 0):  # overlapping windows: too many boxes
        for j0 in range(y.shape[1]):
            axes[0].add_patch(Rectangle((j0 * s - 0.5, i0 * s - 0.5), kernel_size, kernel_size, fill=False,
                                        lw=1.6, ec="black", ls=(0, (4, 2)), zorder=3))
    name = "MaxPool2d" if mode == "max" else "AvgPool2d"
    rule = ("each window's gradient goes to its maximum (outlined)" if mode == "max"
            else f"each window's gradient is shared equally, dy / {kernel_size * kernel_size}")
    fig.suptitle(title or f"{name}({kernel_size}, stride={s}) backward: {rule}", fontsize=10)
    fig.tight_layout()
    return fig


# -- translation: how much do features move? ---------------------------------------------------------
def shift_changes(images, features, poolings, shifts, axis: int = -1):
    """Mean relative change of pooled features when the input is shifted.

    For every shift ``t`` the images are rolled by ``t`` pixels along ``axis`` (give them a zero
    border at least ``max(shifts)`` wide, so rolling is shifting), passed through ``features`` and
    each pooling, and compared with the unshifted result:
    ``||g(f(shift(x))) − g(f(x))|| / ||g(f(x))||`` per image, averaged over the images.

    Args:
        images: ``(N, C, H, W)``.
        features: a callable, e.g. a convolution followed by ReLU.
        poolings: ``{name: callable}`` applied to the feature maps (use ``lambda f: f`` for none).
        shifts: the shifts in pixels.

    Returns:
        ``{name: array of mean relative changes, one per shift}``.

    Examples:
        >>> x = np.zeros((1, 1, 6, 6)); x[0, 0, 2, 2] = 1.0
        >>> out = shift_changes(x, lambda v: v, {"none": lambda f: f, "sum": lambda f: f.sum((2, 3))}, [0, 1])
        >>> {k: v.tolist() for k, v in out.items()}
        {'none': [0.0, 1.4142135623730951], 'sum': [0.0, 0.0]}
    """
    images = np.asarray(images, dtype=float)
    base = features(images)
    out = {name: [] for name in poolings}
    for t in shifts:
        moved = features(np.roll(images, t, axis=axis))
        for name, pool in poolings.items():
            a, b = pool(base), pool(moved)
            num = np.linalg.norm((b - a).reshape(len(a), -1), axis=1)
            den = np.linalg.norm(a.reshape(len(a), -1), axis=1)
            out[name].append(float(np.mean(num / np.maximum(den, 1e-12))))
    return {name: np.array(v) for name, v in out.items()}


def plot_shift_changes(changes, shifts, title: str = "How much do features change when the input shifts?"):
    """Plot the output of :func:`shift_changes`: one curve per pooling against the shift.

    Returns:
        The matplotlib Figure (drawn by ``viz.plot_curves``, with integer shifts on the x-axis).
    """
    from layers_lib import viz

    fig = viz.plot_curves(changes, x=list(shifts), xlabel="shift of the input (pixels)",
                          ylabel="relative change of the features", title=title, markers=True)
    fig.axes[0].set_xticks(list(shifts))
    return fig


def draw_shift_example(rows, columns, title: str = "Shift the input by one pixel"):
    """A grid of grey images: one row per input version (e.g. original, shifted), one column per
    stage (input, feature map, pooled map). Columns may have different sizes; each image is drawn
    on its own colour scale shared down the column.

    Args:
        rows: ``{row label: [2-D array per column]}``.
        columns: the column titles.
        title: the figure title.

    Returns:
        The matplotlib Figure.
    """
    labels = list(rows)
    n_rows, n_cols = len(labels), len(columns)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.0 * n_cols + 0.8, 2.0 * n_rows + 0.6), squeeze=False)
    for j in range(n_cols):
        column = [np.asarray(rows[label][j], dtype=float) for label in labels]
        lo, hi = min(float(c.min()) for c in column), max(float(c.max()) for c in column)
        for i, img in enumerate(column):
            ax = axes[i, j]
            ax.imshow(img, cmap="gray", vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(columns[j], fontsize=9)
            if j == 0:
                ax.set_ylabel(labels[i], fontsize=9)
            if i == n_rows - 1:
                ax.set_xlabel(f"{img.shape[0]}×{img.shape[1]} pixels", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
