"""Figures for the pooling chapter.

* :func:`pool_geometry_frame` — one frame of the pooling explorer, as data drawn in the page: the
  padded input with its numbers, the windows of two neighbouring outputs (and, for max pooling,
  their arg-max), cells no window reads, and the output with its numbers; :func:`pool_readout` and
  :func:`pool_size_formula` give the output size with the numbers filled in;
  :func:`pool_explorer` builds the explorer (kernel, stride, padding, max/avg, ceil_mode).
* :func:`pool_animation` — the step player: one output position per step.
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
from matplotlib.patches import Rectangle
from numpy.lib.stride_tricks import sliding_window_view

import layers_lib as ll
from layers_lib._checks import pair

from . import _steps as st
from ._live import explore, held_fixed
from ._scene import frame, grid, message

__all__ = [
    "pool_size_formula",
    "pool_readout",
    "pool_geometry_frame",
    "pool_explorer",
    "pool_animation",
    "draw_pool_backward",
    "shift_changes",
    "plot_shift_changes",
    "draw_shift_example",
]



def _fmt(v: float) -> str:
    v = float(v) + 0.0  # −0.0 prints as 0
    if np.isinf(v):
        return "−∞" if v < 0 else "∞"
    text = f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}".rstrip("0")
    return text.replace("-", "−")


# -- the output-size formula ----------------------------------------------------------------------
def pool_size_formula(n: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                      name: str = "H", ceil_mode: bool = False) -> str:
    """The pooling output-size formula for one axis (no dilation), with the numbers filled in;
    with ``ceil_mode`` the division rounds up, unless the last window would start in the padding.

    Examples:
        >>> print(pool_size_formula(5, 2))
        H_out = ⌊(5 + 2·0 − 2) / 2⌋ + 1 = ⌊3 / 2⌋ + 1 = 2
        >>> print(pool_size_formula(6, 3, 1, 1, name="W"))
        W_out = ⌊(6 + 2·1 − 3) / 1⌋ + 1 = ⌊5 / 1⌋ + 1 = 6
        >>> print(pool_size_formula(5, 2, ceil_mode=True))
        H_out = ⌈(5 + 2·0 − 2) / 2⌉ + 1 = ⌈3 / 2⌉ + 1 = 3
    """
    s = kernel_size if stride is None else stride
    num = n + 2 * padding - kernel_size
    lo, hi = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")
    rounded = -(-num // s) + 1 if ceil_mode else num // s + 1
    out = ll.pool2d_output_size(n, 1, kernel_size, s, padding, ceil_mode=ceil_mode)[0]
    text = (f"{name}_out = {lo}({n} + 2·{padding} − {kernel_size}) / {s}{hi} + 1 = {lo}{num} / {s}{hi} + 1"
            f" = {rounded}")
    if out != rounded:
        text += f", minus the last window, which would start in the padding: {out}"
    return text


def _unread(n, k, s, p, ceil_mode=False):
    """Boolean mask over the padded axis: positions no window reads."""
    mask = np.ones(n + 2 * p, dtype=bool)
    for start in _window_starts(n, k, s, p, ceil_mode):
        mask[start:start + k] = False
    return mask


def pool_readout(h: int, w: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                 mode: str = "max", ceil_mode: bool = False) -> str:
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
    ho, wo = ll.pool2d_output_size(h, w, kernel_size, s, padding, ceil_mode=ceil_mode)
    ceil = ", ceil_mode=True" if ceil_mode else ""
    lines = [f"{layer}(kernel_size={kernel_size}, stride={s}, padding={padding}{ceil}): "
             f"({h}, {w}) → ({ho}, {wo})",
             pool_size_formula(h, kernel_size, s, padding, "H", ceil_mode),
             pool_size_formula(w, kernel_size, s, padding, "W", ceil_mode)]
    if s < kernel_size:
        note = "stride < kernel: neighbouring windows overlap"
    elif s == kernel_size:
        note = "stride = kernel: the windows tile the input without overlap"
    else:
        note = "stride > kernel: some rows and columns fall between windows"
    missed = []
    for what, n in (("row", h), ("column", w)):
        idx = [str(i - padding) for i in np.flatnonzero(_unread(n, kernel_size, s, padding, ceil_mode))
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


# -- one frame of the explorer, as data -------------------------------------------------------------
def _window_starts(n: int, k: int, s: int, p: int, ceil_mode: bool) -> np.ndarray:
    out = ll.pool2d_output_size(n, 1, k, s, p, ceil_mode=ceil_mode)[0]
    return np.arange(out) * s


def pool_geometry_frame(x, kernel_size: int, stride: int | None = None, padding: int = 0, mode: str = "max",
                        ceil_mode: bool = False, hide_output: bool = False) -> dict:
    """One frame of the pooling explorer, as data (see ``viz.frame``): the padded input with its
    numbers (padding −∞ for max, 0 for average pooling), the windows of outputs (0, 0) (solid box)
    and (0, 1) (dashed box) — for max pooling each window's arg-max outlined — cells no window
    reads (crossed), and the output with its numbers, computed by :class:`layers_lib.MaxPool2d` /
    :class:`layers_lib.AvgPool2d`. With ``ceil_mode`` a last window may hang past the padded edge
    (the blank cells). A setting PyTorch rejects (padding over half the kernel) gets a frame that
    says so.

    Examples:
        >>> f = pool_geometry_frame(np.arange(30.0).reshape(5, 6), 2)
        >>> [p["title"] for p in f["panels"]], f["panels"][1]["labels"][0]
        (['input 5×6', 'output 2×3'], ['7', '9', '11'])
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"pool_geometry_frame expected mode 'max' or 'avg', got {mode!r}")
    x = np.asarray(x, dtype=float)
    k, p = kernel_size, padding
    s = k if stride is None else stride
    h, w = x.shape
    name = "MaxPool2d" if mode == "max" else "AvgPool2d"
    title = f"{name}(kernel_size={k}, stride={s}, padding={p}, ceil_mode={ceil_mode}) on a {h}×{w} input"
    xp = np.pad(x, p, constant_values=-np.inf if mode == "max" else 0.0)
    base = np.full(xp.shape, "p")
    base[p:p + h, p:p + w] = "c"
    pad = f" + padding {p} ({'−∞' if mode == 'max' else '0'})" if p else ""
    if p > k // 2:
        return frame(grid(["".join(r) for r in base], title=f"input {h}×{w}{pad}", labels=_labels(xp)),
                     message(f"Padding {p} is more than half the kernel ({k} // 2 = {k // 2}): {name} raises "
                             "an error (a window could then hold nothing but padding).",
                             title="output: none"),
                     title=title)
    pool = ll.MaxPool2d if mode == "max" else ll.AvgPool2d
    layer = pool(k, s, p, ceil_mode=ceil_mode)
    y = layer(x[None, None])[0, 0]
    ho, wo = y.shape
    rows, cols = _window_starts(h, k, s, p, ceil_mode), _window_starts(w, k, s, p, ceil_mode)
    extra_r, extra_c = max(0, rows[-1] + k - xp.shape[0]), max(0, cols[-1] + k - xp.shape[1])
    roles = np.pad(base, ((0, extra_r), (0, extra_c)), constant_values="_")
    labels = np.pad(np.array(_labels(xp), dtype=object), ((0, extra_r), (0, extra_c)), constant_values="")
    read_r, read_c = np.zeros(roles.shape[0], bool), np.zeros(roles.shape[1], bool)
    for r in rows:
        read_r[r:r + k] = True
    for c in cols:
        read_c[c:c + k] = True
    unread = (~read_r[:, None] | ~read_c[None, :]) & (roles != "_")
    roles[unread] = "x"
    windows = [(0, 0, "a")] + ([(0, cols[1], "b")] if wo > 1 else [])
    outline, boxes = [], []
    for r0, c0, style in windows:
        cells = roles[r0:r0 + k, c0:c0 + k]
        cells[(cells == "c") | (cells == "p")] = "t" if style == "a" else ("b" if style == "b" else "t")
        boxes.append((r0, c0, k, k, style))
        if mode == "max":
            window = xp[r0:r0 + k, c0:c0 + k]
            arg = int(np.argmax(window))  # the first maximum, as PyTorch
            outline.append((r0 + arg // window.shape[1], c0 + arg % window.shape[1]))
    out_roles = np.full((ho, wo), "c")
    out_roles[0, 0] = "t"
    if wo > 1:
        out_roles[0, 1] = "b"
    return frame(grid(["".join(r) for r in roles], title=f"input {h}×{w}{pad}", labels=labels.tolist(),
                      outline=outline, boxes=boxes, index_from=-p),
                 grid(["".join(r) for r in out_roles], title=f"output {ho}×{wo}", labels=_labels(y),
                      answer=hide_output),
                 title=title)


def _labels(a) -> list[list[str]]:
    return [[_fmt(v) for v in row] for row in np.asarray(a)]


def _pool_answer(h, w, kernel_size, stride=None, padding=0, ceil_mode=False, **_):
    if padding > kernel_size // 2:
        return "no output (padding over half the kernel)", ["none", "error", "no output"]
    ho, wo = ll.pool2d_output_size(h, w, kernel_size, stride, padding, ceil_mode=ceil_mode)
    return f"{ho}×{wo}", [f"{ho}×{wo}"] + ([str(ho)] if ho == wo else [])


def pool_explorer(x, kernel_size=(1, 2, 3, 4), stride=(1, 2, 3, 4), padding=(0, 1, 2), mode=("max", "avg"),
                  ceil_mode=(False, True),
                  title: str = "Pooling: kernel size, stride, padding, max or average",
                  predict: bool = False, initial=None):
    """The slider explorer of :func:`pool_geometry_frame` on the input ``x`` (built with
    ``viz.explore``); the sliders are named ``kernel_size``, ``stride``, ``padding``, ``mode`` and
    ``ceil_mode`` (a list with one value is held fixed). The default covers kernel 1–4 × stride
    1–4 × padding 0–2 × max/avg × ceil_mode (192 settings); settings PyTorch rejects (padding over
    half the kernel) say so. With ``predict=True`` the output and the read-out stay hidden until
    the reader has typed the output size."""

    x = np.asarray(x, dtype=float)
    sliders, full = held_fixed({"kernel_size": kernel_size, "stride": stride, "padding": padding,
                                "mode": mode, "ceil_mode": ceil_mode})

    def draw(**moved):
        return pool_geometry_frame(x, **full(**moved), hide_output=predict)

    def readout(**moved):
        st = full(**moved)
        if st["padding"] > st["kernel_size"] // 2:
            return (f"padding {st['padding']} > kernel_size // 2 = {st['kernel_size'] // 2}: "
                    "PyTorch (and layers_lib) raise an error for this setting.")
        return pool_readout(*x.shape, **st).replace("\n", "<br>")

    def alt(**moved):
        st = full(**moved)
        kind = "Max" if st["mode"] == "max" else "Average"
        answer = _pool_answer(*x.shape, **st)[0]
        return (f"{kind} pooling of a {x.shape[0]}×{x.shape[1]} grid of numbers, kernel {st['kernel_size']}, "
                f"stride {st['stride']}, padding {st['padding']}, ceil_mode {st['ceil_mode']}: "
                f"output {answer}.")

    answer = ("Output size (H×W)?", lambda **moved: _pool_answer(*x.shape, **full(**moved)))
    return explore(draw, sliders, readout=readout, title=title, alt=alt,
                       predict=answer if predict else None, initial=initial)


# -- the backward pass ----------------------------------------------------------------------------
_A_FILL, _A_EDGE = (0.70, 0.82, 0.93), (0.13, 0.37, 0.66)   # light / dark blue: where the gradient goes


def _cells(ax, labels, fills, fontsize=10):
    rows, cols = labels.shape
    ax.imshow(fills, interpolation="nearest")
    ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color="0.5", lw=0.6)
    ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color="0.5", lw=0.6)
    for (i, j), text in np.ndenumerate(labels):
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize)


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
        ax.set_title(name, fontsize=10)
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
                ax.set_title(columns[j], fontsize=10)
            if j == 0:
                ax.set_ylabel(labels[i], fontsize=10)
            if i == n_rows - 1:
                ax.set_xlabel(f"{img.shape[0]}×{img.shape[1]} pixels", fontsize=10)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# -- the step-by-step player ------------------------------------------------------------------------
def pool_animation(x, kernel_size, stride=None, padding=0, mode: str = "max", title: str | None = None,
                   interval_ms: int = 900, dpi=None):
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
        title, interval_ms: the caption and the delay between frames when playing; dpi: ignored.

    Shape:
        - Output: (H_out, W_out) with H_out = floor((H_in + 2*padding - kernel_size) / stride + 1).

    Returns:
        An ``Animation`` with H_out·W_out frames; ``result`` is the output.

    Examples:
        >>> anim = pool_animation(np.array([[1.0, 3.0], [2.0, 0.0]]), 2)
        >>> anim.result, anim.readouts[0]
        (array([[3.]]), '<b>y[0, 0]</b> = max(1, 3, 2, 0) = <b>3</b> (at row 0, column 1)')
    """
    name = "pool_animation"
    x = st.grid_values(name, x, "x")
    if mode not in ("max", "avg"):
        raise ValueError(f"{name} expected mode 'max' or 'avg', got {mode!r}")
    kh, kw = pair(name, "kernel_size", kernel_size)
    sh, sw = pair(name, "stride", kernel_size if stride is None else stride)
    ph, pw = pair(name, "padding", padding, 0)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{name}: padding should be at most half the kernel size, got padding "
                         f"{(ph, pw)} for kernel {(kh, kw)}")
    H, W = x.shape
    Ho, Wo = st.out_size(name, x.shape, (kh, kw), (sh, sw), (ph, pw), (1, 1))
    xp = np.pad(x, ((ph, ph), (pw, pw)), constant_values=-np.inf if mode == "max" else 0.0)
    windows = sliding_window_view(xp, (kh, kw))[::sh, ::sw].reshape(Ho, Wo, kh * kw)
    arg = windows.argmax(axis=-1)  # the first maximum, as PyTorch
    y = windows.max(axis=-1) if mode == "max" else windows.sum(axis=-1) / (kh * kw)

    fx, fy = st.formatter(x), st.formatter(y)
    title = title or (f"{'Max' if mode == 'max' else 'Average'} pooling {kh}×{kw}, "
                      f"stride {st.setting((sh, sw))}, padding {st.setting((ph, pw))}")
    base = st.padded_roles(xp.shape, H, W, ph, pw)
    x_labels = st.labels(xp, fx)
    x_title = f"input x ({H}×{W}), padding {st.setting((ph, pw))}"
    steps, n = [], Ho * Wo
    for step, (i, j) in enumerate(np.ndindex(Ho, Wo)):
        r0, c0 = i * sh, j * sw
        roles = base.copy()
        roles[r0:r0 + kh, c0:c0 + kw] = "t"
        values = [fx(v) for v in windows[i, j]]
        if mode == "max":
            ar, ac = r0 + arg[i, j] // kw, c0 + arg[i, j] % kw
            roles[ar, ac] = "s"
            outlined, formula = [(ar, ac)], f"max({', '.join(values)})"
            where = f" (at row {ar - ph}, column {ac - pw})"
        else:
            outlined, formula, where = [], f"({' + '.join(values)}) / {kh * kw}", ""
        shown = formula if len(formula) <= 80 else formula[:76] + " …"
        panels = [grid(st.rows(roles), title=x_title, labels=x_labels, outline=outlined,
                       boxes=[(r0, c0, kh, kw, "k")]),
                  st.filling_panel(y, fy, step, f"output y ({Ho}×{Wo})")]
        steps.append(st.Step(
            frame(panels, notes=[f"y[{i}, {j}] = {shown} = {fy(y[i, j])}{where}"]),
            readout=f"<b>y[{i}, {j}]</b> = {formula} = <b>{fy(y[i, j])}</b>{where}",
            alt=(f"Step {step + 1} of {n}: the {kh}×{kw} window at rows {st.span(r0, r0 + kh - 1)} and "
                 f"columns {st.span(c0, c0 + kw - 1)} of the padded input; "
                 f"output y[{i}, {j}] = {fy(y[i, j])}.")))
    return st.animation(title, steps, y, interval_ms)
