"""The convolution chapter's step-by-step players, as data drawn in the page (no images):
:func:`conv_animation` (one output position per step), :func:`conv_backward_animation` (the
input gradient, one upstream cell per step) and :func:`multichannel_conv_animation` (three
channels in, per-channel products summed with the bias, two filters out).

The numbers are computed with plain NumPy (the multi-channel player with :class:`layers_lib.Conv2d`);
the tests check them against direct computations and PyTorch.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import layers_lib as ll
from layers_lib._checks import check_int, pair

from . import _steps as st
from ._scene import frame, grid

__all__ = ["conv_animation", "conv_backward_animation", "multichannel_conv_animation"]


# -- step-by-step players --------------------------------------------------------------------------
def conv_animation(x, kernel, stride=1, padding=0, dilation=1, title: str | None = None,
                   interval_ms: int = 900, dpi=None):
    """Convolution (cross-correlation, as ``Conv2d`` computes it) one output position at a time.

    Each frame shows the zero-padded input (padding grey), the kernel's taps highlighted and
    outlined on it (with dilation only the dilated taps; a dashed box marks the window), the
    kernel, the products and their sum, and the output grid filling in, the current cell outlined.

    Args:
        x: a small 2-D input, e.g. 5×5.
        kernel: a small 2-D kernel, e.g. 3×3 (rectangular is fine).
        stride, padding, dilation: ints or (height, width) pairs, as in ``Conv2d``; dilation 1
            means no gaps.
        title: the caption (default: the settings).
        interval_ms: the delay between frames when playing; dpi: ignored (frames are vector).

    Shape:
        - Output: (H_out, W_out) where
          H_out = floor((H_in + 2*padding - dilation*(kernel_size-1) - 1) / stride + 1);
          one frame per output position (H_out·W_out frames).

    Returns:
        An ``Animation``; ``result`` is the output array.

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
    x, w = st.grid_values(name, x, "x"), st.grid_values(name, kernel, "kernel")
    (sh, sw), (ph, pw), (dh, dw) = (pair(name, "stride", stride), pair(name, "padding", padding, 0),
                                    pair(name, "dilation", dilation))
    (H, W), (kh, kw) = x.shape, w.shape
    Ho, Wo = st.out_size(name, x.shape, w.shape, (sh, sw), (ph, pw), (dh, dw))
    xp = np.pad(x, ((ph, ph), (pw, pw)))  # (H + 2ph, W + 2pw)
    windows = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1))[::sh, ::sw, ::dh, ::dw]
    y = np.einsum("ijab,ab->ij", windows, w)  # (Ho, Wo): the cross-correlation

    fx, fw, fy = st.formatter(x), st.formatter(w), st.formatter(y)
    title = title or (f"Convolution {kh}×{kw}, stride {st.setting((sh, sw))}, "
                      f"padding {st.setting((ph, pw))}, "
                      f"dilation {st.setting((dh, dw))}")
    base = st.padded_roles(xp.shape, H, W, ph, pw)
    x_labels = st.labels(xp, fx)
    kernel_panel = grid(["k" * kw] * kh, title=f"kernel w ({kh}×{kw})", labels=st.labels(w, fw))
    x_title = f"input x ({H}×{W}), padding {st.setting((ph, pw))}"
    steps = []
    for step, (i, j) in enumerate(np.ndindex(Ho, Wo)):
        rows, cols = i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)  # the taps
        roles = base.copy()
        roles[np.ix_(rows, cols)] = "t"
        window = (rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1, "k")
        terms = [[f"{fx(windows[i, j, a, b])}·{st.paren(fw(w[a, b]))}" for b in range(kw)] for a in range(kh)]
        everything = " + ".join(t for row in terms for t in row)
        panels = [grid(st.rows(roles), title=x_title, labels=x_labels, boxes=[window],
                       outline=[(r, c) for r in rows for c in cols]),
                  kernel_panel, st.filling_panel(y, fy, step, f"output y ({Ho}×{Wo})")]
        steps.append(st.Step(
            frame(panels, notes=[f"y[{i}, {j}] ="] + st.equation_lines(terms, fy(y[i, j]))),
            readout=f"<b>y[{i}, {j}]</b> = {everything} = <b>{fy(y[i, j])}</b>",
            alt=(f"Step {step + 1} of {Ho * Wo}: the {kh}×{kw} kernel over rows {st.span(rows[0], rows[-1])} "
                 f"and columns {st.span(cols[0], cols[-1])} of the padded input; "
                 f"output y[{i}, {j}] = {fy(y[i, j])}.")))
    return st.animation(title, steps, y, interval_ms)


def conv_backward_animation(dy, kernel, stride=1, padding=0, dilation=1, input_shape=None,
                            title: str | None = None, interval_ms: int = 900, dpi=None):
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
        title, interval_ms, dpi: as in :func:`conv_animation`.

    Returns:
        An ``Animation`` with H_out·W_out frames; ``result`` is dx, (H_in, W_in).

    Examples:
        >>> anim = conv_backward_animation(np.ones((2, 2)), np.array([[1.0, 2.0]]))
        >>> anim.result
        array([[1., 3., 2.],
               [1., 3., 2.]])
    """
    name = "conv_backward_animation"
    dy, w = st.grid_values(name, dy, "dy"), st.grid_values(name, kernel, "kernel")
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
    out = st.out_size(name, (H, W), w.shape, (sh, sw), (ph, pw), (dh, dw))
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

    fdy, fw, fdx = st.formatter(dy), st.formatter(w), st.formatter(partial, sends)
    title = title or f"Backward of a {kh}×{kw} convolution: dy flows back to dx"
    base = st.padded_roles(partial.shape[1:], H, W, ph, pw)
    dy_labels = st.labels(dy, fdy)
    kernel_panel = grid(["k" * kw] * kh, title=f"kernel w ({kh}×{kw})", labels=st.labels(w, fw))
    steps, n = [], Ho * Wo
    for step, (i, j) in enumerate(np.ndindex(Ho, Wo)):
        rows, cols = i * sh + dh * np.arange(kh), j * sw + dw * np.arange(kw)
        dy_roles = np.full(dy.shape, "c")
        dy_roles[i, j] = "t"
        roles = base.copy()
        roles[np.ix_(rows, cols)] = "t"
        window = (rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1, "k")
        products = [f"{fdy(dy[i, j])}·{st.paren(fw(w[a, b]))} = {fdx(sends[i, j, a, b])}"
                    for a in range(kh) for b in range(kw)]
        shown = products if len(products) <= 4 else [*products[:3], "…"]
        done = ("Done: dx is the white interior; the gradient that reached the grey padding is discarded."
                if step == n - 1 else "")
        dx_labels = [[v if t else "" for v, t in zip(row, trow, strict=True)]
                     for row, trow in zip(st.labels(partial[step], fdx), touched[step], strict=True)]
        panels = [grid(st.rows(dy_roles), title=f"upstream gradient dy ({Ho}×{Wo})", labels=dy_labels,
                       outline=[(i, j)]),
                  kernel_panel,
                  grid(st.rows(roles), title=f"dx ({H}×{W}), padding {st.setting((ph, pw))}",
                       labels=dx_labels,
                       outline=[(r, c) for r in rows for c in cols], boxes=[window])]
        notes = [f"dy[{i}, {j}] = {fdy(dy[i, j])} goes back through each weight and is added to the "
                 f"{kh * kw} input cells y[{i}, {j}] was computed from:", "   " + ",  ".join(shown)]
        steps.append(st.Step(
            frame(panels, notes=notes + ([done] if done else [])),
            readout=(f"<b>dy[{i}, {j}]</b> = {fdy(dy[i, j])} adds dy·w to rows {st.span(rows[0], rows[-1])}, "
                     f"columns {st.span(cols[0], cols[-1])} of the padded grid: "
                     + ", ".join(products)
                     + ("<br>Done: dx is the interior of this grid (the padding's gradient is discarded), a "
                        "full convolution of dy with the flipped kernel." if step == n - 1 else "")),
            alt=(f"Step {step + 1} of {n}: dy[{i}, {j}] = {fdy(dy[i, j])} times the kernel is added to rows "
                 f"{st.span(rows[0], rows[-1])} and columns {st.span(cols[0], cols[-1])} of the padded "
                 "input's "
                 "gradient.")))
    return st.animation(title, steps, dx, interval_ms)


def multichannel_conv_animation(x, weight, bias, stride: int = 1, padding: int = 0,
                                title: str | None = None, interval_ms: int = 1200):
    """A multi-channel convolution one output position at a time: ``x`` has C channels and each of
    the n_out filters has C kernels. Each frame shows, for one output position of one filter, the C
    per-channel windows with their kernels and products, their sum plus the bias, and the output
    cell in its output channel. The result is computed by :class:`layers_lib.Conv2d`.

    Args:
        x: the input, (C, H, W), small (e.g. (3, 4, 4)).
        weight: the filters, (n_out, C, k, k).
        bias: (n_out,).
        stride, padding: ints, as in ``Conv2d``.
        title, interval_ms: as in :func:`conv_animation`.

    Returns:
        An ``Animation`` with n_out·H_out·W_out frames (filter by filter); ``result`` is the output
        (n_out, H_out, W_out).

    Examples:
        >>> x = np.arange(3 * 3 * 3.0).reshape(3, 3, 3) % 4
        >>> anim = multichannel_conv_animation(x, np.ones((2, 3, 2, 2)), np.array([0.0, 1.0]))
        >>> anim, anim.result.shape
        (Animation('Conv2d(3, 2, kernel_size=2): three channels in, two filters out': 8 steps), (2, 2, 2))
    """
    name = "multichannel_conv_animation"
    x, weight = st.grid_values(name, x, "x", 3), st.grid_values(name, weight, "weight", 4)
    bias = np.asarray(bias, dtype=np.float64)
    (C, H, W), (n_out, Cw, kh, kw) = x.shape, weight.shape
    if Cw != C or bias.shape != (n_out,):
        raise ValueError(f"{name} expected weight (O, {C}, k, k) and bias (O,) for an input with {C} "
                         "channels, "
                         f"got weight {weight.shape} and bias {bias.shape}")
    Ho, Wo = st.out_size(name, (H, W), (kh, kw), (stride, stride), (padding, padding), (1, 1))
    layer = ll.Conv2d(C, n_out, (kh, kw), stride=stride, padding=padding, dtype=np.float64)
    layer.weight.data, layer.bias.data = weight.copy(), bias.copy()
    y = layer(x[None])[0]
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    fx, fw, fy = st.formatter(x), st.formatter(weight), st.formatter(y, bias)
    title = title or (f"Conv2d({C}, {n_out}, kernel_size={kh if kh == kw else (kh, kw)}): "
                      f"{_WORDS.get(C, C)} channels in, {_WORDS.get(n_out, n_out)} filters out")
    base = st.padded_roles(xp.shape[1:], H, W, padding, padding)
    steps, n = [], n_out * Ho * Wo
    for step, (o, i, j) in enumerate(np.ndindex(n_out, Ho, Wo)):
        r0, c0 = i * stride, j * stride
        roles = base.copy()
        roles[r0:r0 + kh, c0:c0 + kw] = "t"
        parts = [float(np.sum(xp[c, r0:r0 + kh, c0:c0 + kw] * weight[o, c])) for c in range(C)]
        panels = []
        for c in range(C):
            panels.append(grid(st.rows(roles), title=f"x channel {c}", labels=st.labels(xp[c], fx),
                               boxes=[(r0, c0, kh, kw, "k")]))
            panels.append(grid(["k" * kw] * kh, title=f"filter {o}, channel {c}",
                               labels=st.labels(weight[o, c], fw)))
        out_roles = np.where(np.arange(Ho * Wo).reshape(Ho, Wo) <= i * Wo + j, "c", "e")
        out_roles[i, j] = "t"
        shown = [[fy(v) if r != "e" else "" for v, r in zip(row, rrow, strict=True)]
                 for row, rrow in zip(y[o], out_roles, strict=True)]
        panels.append(grid(st.rows(out_roles), title=f"output channel {o} ({Ho}×{Wo})", labels=shown,
                           outline=[(i, j)]))
        sums = " + ".join(st.paren(fy(v)) for v in parts)
        notes = [f"channel {c}: sum of window × kernel = {fy(v)}" for c, v in enumerate(parts)]
        notes.append(f"y[{o}, {i}, {j}] = {sums} + bias {st.paren(fy(bias[o]))} = {fy(y[o, i, j])}")
        steps.append(st.Step(
            frame(panels, notes=notes),
            readout=(f"<b>y[{o}, {i}, {j}]</b> = {sums} (one sum per input channel) + bias "
                     f"{st.paren(fy(bias[o]))} = <b>{fy(y[o, i, j])}</b>"),
            alt=(f"Step {step + 1} of {n}: filter {o} over rows {st.span(r0, r0 + kh - 1)} and columns "
                 f"{st.span(c0, c0 + kw - 1)} of all {C} padded input channels; output channel {o}, "
                 f"position ({i}, {j}) = {fy(y[o, i, j])}.")))
    return st.animation(title, steps, y, interval_ms)


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}
