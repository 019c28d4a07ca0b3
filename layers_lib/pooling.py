"""Pooling layers: :class:`MaxPool2d`, :class:`AvgPool2d` and :class:`AdaptiveAvgPool2d`.

Conventions (PyTorch's):

* ``stride`` defaults to ``kernel_size`` (non-overlapping windows);
* ``padding`` (at most half the kernel size) adds ``-inf`` for max-pooling and zeros for
  average-pooling on every side; ``dilation=1`` means no gaps between window taps;
* ``ceil_mode=True`` rounds the output size up, so a last, partial window is kept, provided it
  *starts* inside the input or its left/top padding; the window is cut at the edge of the padded
  input;
* max-pooling sends the gradient to the arg-max of each window; on ties, to the *first* maximum
  in row-major order within the window (PyTorch's scan order); a NaN wins the window;
* average-pooling divides by the window size clipped to the padded input
  (``count_include_pad=True``) or by the number of real input pixels in the window
  (``count_include_pad=False``), unless ``divisor_override`` fixes the divisor.

The fast paths loop over the ``kh*kw`` window *taps* (a strided view of the input each) and never
over pixels: for a 2x2 or 3x3 window that is 4 or 9 whole-array operations.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_grad, check_int, pair
from .module import Module

__all__ = [
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "maxpool2d_reference",
    "avgpool2d_forward",
    "avgpool2d_backward",
    "avgpool2d_reference",
    "adaptive_avgpool2d_forward",
    "adaptive_avgpool2d_backward",
    "pool2d_output_size",
]


# -- sizes ---------------------------------------------------------------------------------------
def _pool_len(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    numerator = size + 2 * p - d * (k - 1) - 1
    out = (numerator + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:  # the last window must start inside input or left padding
        out -= 1
    return out


def pool2d_output_size(h: int, w: int, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode: bool = False) -> tuple[int, int]:
    """Output height and width of a 2-D pooling layer (PyTorch's rule).

    ``H_out = floor((H + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1``; with
    ``ceil_mode`` the division rounds up, but a last window that would start in the right/bottom
    padding (``(H_out - 1)*stride >= H + padding``) is dropped. ``stride=None`` means
    ``kernel_size``.

    Examples:
        >>> pool2d_output_size(32, 32, 2)
        (16, 16)
        >>> pool2d_output_size(32, 32, 3, 2, 1)
        (16, 16)
        >>> pool2d_output_size(5, 5, 2), pool2d_output_size(5, 5, 2, ceil_mode=True)
        ((2, 2), (3, 3))
    """
    name = "pool2d_output_size"
    (kh, kw) = pair(name, "kernel_size", kernel_size)
    (sh, sw) = (kh, kw) if stride is None else pair(name, "stride", stride)
    (ph, pw), (dh, dw) = pair(name, "padding", padding, 0), pair(name, "dilation", dilation)
    return _pool_len(h, kh, sh, ph, dh, ceil_mode), _pool_len(w, kw, sw, pw, dw, ceil_mode)


def _pool_args(name: str, kernel_size, stride, padding, dilation=1):
    """Validate and normalise pooling arguments to pairs, with PyTorch's limit on the padding."""
    kernel = pair(name, "kernel_size", kernel_size)
    stride_ = kernel if stride is None or stride == () else pair(name, "stride", stride)
    padding_ = pair(name, "padding", padding, 0)
    dilation_ = pair(name, "dilation", dilation)
    if padding_[0] > kernel[0] // 2 or padding_[1] > kernel[1] // 2:
        raise ValueError(f"{name}: padding should be at most half of the kernel size, got padding={padding} "
                         f"and kernel_size={kernel_size}")
    return kernel, stride_, padding_, dilation_


def _padded_extent(size: int, out: int, k: int, s: int, p: int, d: int) -> tuple[int, int]:
    """(before, after) padding so that every window of the output lies inside the padded input.

    ``after`` may exceed ``p`` with ``ceil_mode`` (a window hanging past the padded edge); the
    extra positions are filled like padding and count as outside the input."""
    needed = (out - 1) * s + d * (k - 1) + 1
    return p, max(needed - size - p, 0)


def _check_pool_input(name: str, x):
    """Accept ``(N, C, H, W)`` or an unbatched ``(C, H, W)``; return the 4-D array and the flag."""
    x = as_float_array(name, x)
    if x.ndim not in (3, 4):
        raise ValueError(f"{name} expected input of shape (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")
    if 0 in x.shape:
        raise ValueError(f"{name} expected a non-empty input, got shape {tuple(x.shape)}")
    return (x[None], True) if x.ndim == 3 else (x, False)


def _check_4d(name: str, x):
    x = as_float_array(name, x)
    if x.ndim != 4 or 0 in x.shape:
        raise ValueError(f"{name} expected a non-empty input of shape (N, C, H, W), got {tuple(x.shape)}")
    return x


def _output_hw(name: str, x, kernel, stride, padding, dilation, ceil_mode):
    h, w = x.shape[2:]
    ho = _pool_len(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = _pool_len(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if ho < 1 or wo < 1:
        raise ValueError(
            f"{name}: the window {kernel} (dilation {dilation}) does not fit in the input {(h, w)} "
            f"padded by {padding}: the output would be {(ho, wo)}"
        )
    for size, out, k, s, p, d in zip((h, w), (ho, wo), kernel, stride, padding, dilation, strict=True):
        taps = np.arange(out)[:, None] * s - p + np.arange(k)[None, :] * d  # (out, k) rows or columns read
        if not np.all(((taps >= 0) & (taps < size)).any(axis=1)):
            raise ValueError(
                f"{name}: with dilation {dilation} some windows of size {kernel} skip over the whole input "
                f"{(h, w)} (padding {padding}): they would contain no input pixel"
            )
    return ho, wo


def _taps(kernel, stride, dilation, out_hw):
    """For each window tap ``(i, j)`` in row-major order: its index and the slices it reads."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
                               slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


# -- max pooling ---------------------------------------------------------------------------------
def maxpool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False):
    """2-D max pooling, one strided view per window tap.

    Args:
        x: input ``(N, C, H, W)``.
        kernel_size, stride, padding, dilation: ints or ``(h, w)`` pairs; ``stride=None`` means
            ``kernel_size``; the padding holds ``-inf``.
        ceil_mode: round the output size up (see :func:`pool2d_output_size`).

    Returns:
        ``(out, cache)``: ``out`` is ``(N, C, H_out, W_out)``; the cache holds, per output pixel,
        the tap ``i*kw + j`` of the window's arg-max (the first maximum in row-major order).

    Examples:
        >>> x = np.array([[[[1.0, 5.0, 2.0, 0.0],
        ...                 [3.0, 4.0, 7.0, 7.0]]]])
        >>> out, cache = maxpool2d_forward(x, 2)
        >>> out, cache["argmax"]  # the second 2x2 window has a tie: the first 7 wins
        (array([[[[5., 7.]]]]), array([[[[1, 2]]]], dtype=uint8))
    """
    name = "maxpool2d_forward"
    x = _check_4d(name, x)
    kernel, stride, padding, dilation = _pool_args(name, kernel_size, stride, padding, dilation)
    ho, wo = _output_hw(name, x, kernel, stride, padding, dilation, ceil_mode)
    n, c, h, w = x.shape
    pads = (_padded_extent(h, ho, kernel[0], stride[0], padding[0], dilation[0]),
            _padded_extent(w, wo, kernel[1], stride[1], padding[1], dilation[1]))
    padded = pads != ((0, 0), (0, 0))
    xp = np.pad(x, ((0, 0), (0, 0), *pads), constant_values=-np.inf) if padded else x
    taps = list(_taps(kernel, stride, dilation, (ho, wo)))  # [(k, (rows, cols))], k = i*kw + j

    out = xp[:, :, taps[0][1][0], taps[0][1][1]].copy()  # (N, C, Ho, Wo)
    for _, (rows, cols) in taps[1:]:
        np.maximum(out, xp[:, :, rows, cols], out=out)  # the window maxima (NaN propagates)

    # the arg-max: the first tap equal to the maximum. Going through the taps backwards, each
    # match overwrites the previous one, so the first match wins.
    argmax = np.zeros((n, c, ho, wo), dtype=np.min_scalar_type(len(taps) - 1))
    match = np.empty((n, c, ho, wo), dtype=bool)
    for k, (rows, cols) in reversed(taps):
        np.equal(xp[:, :, rows, cols], out, out=match)
        argmax -= (argmax - argmax.dtype.type(k)) * match  # argmax[match] = k, in unsigned arithmetic
    # two cases PyTorch resolves its own way: a NaN wins its window (the last NaN in scan order),
    # and a window of -inf values points to its first tap inside the input, not to the padding
    nan = np.isnan(out)
    if nan.any():
        for k, (rows, cols) in taps:
            np.copyto(argmax, k, where=nan & np.isnan(xp[:, :, rows, cols]))
    if padded:
        minus_inf = out == -np.inf
        if minus_inf.any():
            first = np.broadcast_to(_first_inside_tap(kernel, stride, padding, dilation, (ho, wo)), out.shape)
            argmax[minus_inf] = first[minus_inf]
    cache = dict(argmax=argmax, x_shape=x.shape, dtype=x.dtype, pads=pads, kernel=kernel, stride=stride,
                 padding=padding, dilation=dilation)
    return out, cache


def _first_inside_tap(kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """``(Ho, Wo)``: the first tap of each window that lies inside the (unpadded) input."""
    first = []
    for k, s, p, d, o in zip(kernel, stride, padding, dilation, out_hw, strict=True):
        start = np.arange(o) * s - p  # the window's first row (column), maybe in the padding
        first.append(np.minimum(np.maximum(-(start // d), 0), k - 1))  # ceil(-start / d), clipped
    return first[0][:, None] * kernel[1] + first[1][None, :]


def maxpool2d_backward(dout, cache):
    """Gradient of :func:`maxpool2d_forward`: each window's gradient goes to its arg-max.

    One pass per window tap: the pixels read by tap ``k`` receive ``dout`` where tap ``k`` won,
    summed when windows overlap.
    """
    c = cache
    argmax = c["argmax"]
    n, ch, h, w = c["x_shape"]
    (top, bottom), (left, right) = c["pads"]
    dout = np.asarray(dout, dtype=c["dtype"])
    dxp = np.zeros((n, ch, h + top + bottom, w + left + right), dtype=dout.dtype)
    (kh, kw), (sh, sw), (dh, dw) = c["kernel"], c["stride"], c["dilation"]
    disjoint = sh > dh * (kh - 1) and sw > dw * (kw - 1)  # no pixel is read by two windows
    finite = bool(np.isfinite(dout).all())  # else dout * 0 would spread NaN: use np.where
    won, g = np.empty(argmax.shape, dtype=bool), np.empty_like(dout)
    for k, (rows, cols) in _taps(c["kernel"], c["stride"], c["dilation"], argmax.shape[2:]):
        np.equal(argmax, k, out=won)
        g = np.multiply(dout, won, out=g) if finite else np.where(won, dout, 0)  # dout where tap k won
        if disjoint:
            dxp[:, :, rows, cols] = g
        else:
            dxp[:, :, rows, cols] += g
    return dxp[:, :, top:top + h, left:left + w] if (top, bottom, left, right) != (0, 0, 0, 0) else dxp


def maxpool2d_reference(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False):
    """Max pooling by its definition, one output pixel at a time (slow but plain).

    The window of output pixel ``(oh, ow)`` covers rows ``oh*sh - ph + i*dh`` and columns
    ``ow*sw - pw + j*dw``; the ones outside the input (padding) are skipped.

    Examples:
        >>> x = np.random.default_rng(0).normal(size=(2, 3, 7, 7))
        >>> fast, _ = maxpool2d_forward(x, 3, 2, 1, ceil_mode=True)
        >>> np.array_equal(maxpool2d_reference(x, 3, 2, 1, ceil_mode=True), fast)
        True
    """
    name = "maxpool2d_reference"
    kernel, stride, padding, dilation = _pool_args(name, kernel_size, stride, padding, dilation)
    n, c, h, w = x.shape
    ho, wo = pool2d_output_size(h, w, kernel, stride, padding, dilation, ceil_mode)
    out = np.empty((n, c, ho, wo), dtype=x.dtype)
    for oh in range(ho):
        for ow in range(wo):
            rows = [r for r in range(oh * stride[0] - padding[0], oh * stride[0] - padding[0]
                                     + dilation[0] * (kernel[0] - 1) + 1, dilation[0]) if 0 <= r < h]
            cols = [q for q in range(ow * stride[1] - padding[1], ow * stride[1] - padding[1]
                                     + dilation[1] * (kernel[1] - 1) + 1, dilation[1]) if 0 <= q < w]
            out[:, :, oh, ow] = x[:, :, rows][:, :, :, cols].max(axis=(2, 3))
    return out


# -- average pooling -----------------------------------------------------------------------------
def _window_counts(size: int, out: int, k: int, s: int, p: int, count_include_pad: bool) -> np.ndarray:
    """Per output row (column): how many rows (columns) the divisor counts, as PyTorch does."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)  # windows are cut at the end of the padded input
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avgpool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                      count_include_pad: bool = True, divisor_override=None):
    """2-D average pooling: window sums (rows, then columns) divided by the window's count.

    Args:
        x: input ``(N, C, H, W)``.
        kernel_size, stride, padding: ints or ``(h, w)`` pairs; ``stride=None`` means
            ``kernel_size``; the padding holds zeros.
        ceil_mode: round the output size up (see :func:`pool2d_output_size`).
        count_include_pad: divide by the window size including padding (cut at the end of the
            padded input), else by the number of real pixels in the window.
        divisor_override: if given, divide every window sum by this number instead.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, C, H_out, W_out)``.

    Examples:
        >>> x = np.arange(1.0, 6.0).reshape(1, 1, 1, 5)
        >>> avgpool2d_forward(x, (1, 3), (1, 2), (0, 1), ceil_mode=True)[0]
        array([[[[1., 3., 3.]]]])
        >>> avgpool2d_forward(x, (1, 3), (1, 2), (0, 1), ceil_mode=True, count_include_pad=False)[0]
        array([[[[1.5, 3. , 4.5]]]])
    """
    name = "avgpool2d_forward"
    x = _check_4d(name, x)
    kernel, stride, padding, _ = _pool_args(name, kernel_size, stride, padding)
    ho, wo = _output_hw(name, x, kernel, stride, padding, (1, 1), ceil_mode)
    n, c, h, w = x.shape
    pads = (_padded_extent(h, ho, kernel[0], stride[0], padding[0], 1),
            _padded_extent(w, wo, kernel[1], stride[1], padding[1], 1))
    xp = np.pad(x, ((0, 0), (0, 0), *pads)) if pads != ((0, 0), (0, 0)) else x
    (kh, kw), (sh, sw) = kernel, stride
    rows = sum(xp[:, :, i:i + sh * (ho - 1) + 1:sh, :] for i in range(kh))  # (N, C, Ho, Wp): sums over i
    total = sum(rows[:, :, :, j:j + sw * (wo - 1) + 1:sw] for j in range(kw))  # (N, C, Ho, Wo)
    if divisor_override is not None:
        divisor = np.full((ho, wo), check_int(name, "divisor_override", divisor_override))
    else:
        divisor = (_window_counts(h, ho, kh, sh, padding[0], count_include_pad)[:, None]
                   * _window_counts(w, wo, kw, sw, padding[1], count_include_pad)[None, :])  # (Ho, Wo)
    divisor = divisor.astype(x.dtype)
    out = total / divisor
    cache = dict(divisor=divisor, x_shape=x.shape, pads=pads, kernel=kernel, stride=stride)
    return out, cache


def avgpool2d_backward(dout, cache):
    """Gradient of :func:`avgpool2d_forward`: every pixel of a window gets ``dout / divisor``."""
    c = cache
    n, ch, h, w = c["x_shape"]
    (top, bottom), (left, right) = c["pads"]
    (kh, kw), (sh, sw) = c["kernel"], c["stride"]
    g = np.asarray(dout, dtype=c["divisor"].dtype) / c["divisor"]  # (N, C, Ho, Wo)
    ho, wo = g.shape[2:]
    rows = np.zeros((n, ch, ho, w + left + right), dtype=g.dtype)  # spread over the columns first
    for j in range(kw):
        rows[:, :, :, j:j + sw * (wo - 1) + 1:sw] += g
    dxp = np.zeros((n, ch, h + top + bottom, w + left + right), dtype=g.dtype)
    for i in range(kh):
        dxp[:, :, i:i + sh * (ho - 1) + 1:sh, :] += rows
    return dxp[:, :, top:top + h, left:left + w]


def avgpool2d_reference(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                        count_include_pad: bool = True, divisor_override=None):
    """Average pooling one output pixel at a time, with PyTorch's divisor rules spelled out.

    Examples:
        >>> x = np.random.default_rng(0).normal(size=(2, 3, 7, 6))
        >>> fast, _ = avgpool2d_forward(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
        >>> np.allclose(avgpool2d_reference(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), fast)
        True
    """
    (kh, kw), (sh, sw), (ph, pw), _ = _pool_args("avgpool2d_reference", kernel_size, stride, padding)
    n, c, h, w = x.shape
    ho, wo = pool2d_output_size(h, w, (kh, kw), (sh, sw), (ph, pw), 1, ceil_mode)
    out = np.empty((n, c, ho, wo), dtype=x.dtype)
    for oh in range(ho):
        for ow in range(wo):
            top, left = oh * sh - ph, ow * sw - pw  # the window's corner, maybe in the padding
            bottom, right = min(top + kh, h + ph), min(left + kw, w + pw)  # cut at the padded edge
            pool_size = (bottom - top) * (right - left)  # includes padding
            top, left, bottom, right = max(top, 0), max(left, 0), min(bottom, h), min(right, w)
            total = x[:, :, top:bottom, left:right].sum(axis=(2, 3))
            if divisor_override is not None:
                divisor = divisor_override
            elif count_include_pad:
                divisor = pool_size
            else:
                divisor = (bottom - top) * (right - left)  # real pixels only
            out[:, :, oh, ow] = total / divisor
    return out


# -- adaptive average pooling --------------------------------------------------------------------
def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """``(out, size)``: row ``i`` averages the input bin ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)  # ceil
    positions = np.arange(size)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avgpool2d_forward(x, output_size):
    """Average pooling to a fixed output size, with PyTorch's bins.

    Output row ``i`` averages input rows ``floor(i*H/H_out)`` to ``ceil((i+1)*H/H_out) - 1``
    (bins may overlap by one row when ``H_out`` does not divide ``H``); the same for columns.
    As matrices: ``out = P_h @ x @ P_w.T`` with ``P_h`` of shape ``(H_out, H)``; when ``H_out``
    divides ``H`` and ``W_out`` divides ``W`` the bins are equal and disjoint, and a reshape and a
    mean do it (global average pooling is ``output_size=1``).

    Args:
        x: input ``(N, C, H, W)``.
        output_size: ``(H_out, W_out)``; an int means square; ``None`` keeps the input's size.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, C, H_out, W_out)``.

    Examples:
        >>> x = np.arange(5.0).reshape(1, 1, 1, 5)
        >>> adaptive_avgpool2d_forward(x, (1, 3))[0]  # bins [0, 2), [1, 4), [3, 5)
        array([[[[0.5, 2. , 3.5]]]])
    """
    x = _check_4d("adaptive_avgpool2d_forward", x)
    n, c, h, w = x.shape
    oh, ow = _adaptive_size("adaptive_avgpool2d_forward", output_size, (h, w))
    if h % oh == 0 and w % ow == 0:  # equal, disjoint bins (global pooling too): a reshape and a mean
        out = x.reshape(n, c, oh, h // oh, ow, w // ow).mean(axis=(3, 5))
        return out, dict(x_shape=x.shape, dtype=x.dtype)
    ph, pw = _adaptive_matrix(h, oh, x.dtype), _adaptive_matrix(w, ow, x.dtype)
    t = np.tensordot(x, pw, axes=([3], [1]))  # (N, C, H, W_out)
    out = np.tensordot(t, ph, axes=([2], [1])).transpose(0, 1, 3, 2)  # (N, C, H_out, W_out)
    return np.ascontiguousarray(out), dict(x_shape=x.shape, dtype=x.dtype, ph=ph, pw=pw)


def adaptive_avgpool2d_backward(dout, cache):
    """Gradient of :func:`adaptive_avgpool2d_forward`: ``dx = P_h.T @ dout @ P_w``; with equal,
    disjoint bins each input pixel gets ``dout`` of its bin divided by the bin's size."""
    n, c, h, w = cache["x_shape"]
    dout = np.asarray(dout, dtype=cache["dtype"])
    oh, ow = dout.shape[2:]
    if "ph" not in cache:
        dx = np.empty((n, c, oh, h // oh, ow, w // ow), dtype=dout.dtype)
        dx[...] = (dout / ((h // oh) * (w // ow)))[:, :, :, None, :, None]  # its bin's share
        return dx.reshape(n, c, h, w)
    t = np.tensordot(dout, cache["pw"], axes=([3], [0]))  # (N, C, H_out, W)
    dx = np.tensordot(t, cache["ph"], axes=([2], [0])).transpose(0, 1, 3, 2)  # (N, C, H, W)
    return np.ascontiguousarray(dx)


def _adaptive_size(name: str, output_size, input_hw) -> tuple[int, int]:
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ValueError(f"{name} expected output_size to be an int, None or a pair, got {output_size!r}")
    return tuple(size if o is None else check_int(name, "output_size", o)
                 for o, size in zip(output_size, input_hw, strict=True))


# -- the layers ----------------------------------------------------------------------------------
def _layer_backward(layer: Module, dy, core):
    """The backward pass of a pooling layer: check ``dy`` against the forward output's shape, run
    the pure ``core(dy, cache)`` on a batch, and drop the batch axis again for unbatched input."""
    cache, unbatched, y_shape = layer._saved()
    dy = check_grad(type(layer).__name__, dy, y_shape[1:] if unbatched else y_shape)
    dx = core(dy[None] if unbatched else dy, cache)
    return dx[0] if unbatched else dx


class MaxPool2d(Module):
    """2-D max pooling, as ``torch.nn.MaxPool2d``.

    Args:
        kernel_size: int or ``(kh, kw)``, the window size.
        stride: int or pair; default ``kernel_size`` (non-overlapping windows).
        padding: int or pair of ``-inf`` added on every side; at most half the kernel size.
        dilation: int or pair, the spacing between window taps; 1 means no gaps.
        return_indices: if ``True``, ``forward`` returns ``(out, indices)``, the arg-max of each
            window as a flat index ``h * W + w`` into its input channel (PyTorch's format).
        ceil_mode: round the output size up, keeping a last partial window that starts inside
            the input or the left/top padding.

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or unbatched ``(C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` where
          ``H_out = floor((H_in + 2*padding[0] - dilation[0]*(kernel_size[0] - 1) - 1) / stride[0] + 1)``
          (ceil instead of floor with ``ceil_mode``), and the same for ``W_out``.

    The gradient of each window goes to its maximum; on ties to the first maximum in row-major
    order (as PyTorch). Examples:
        >>> pool = MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> x = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
        >>> pool(x)
        array([[[[4.]]]])
        >>> pool.backward(np.ones((1, 1, 1, 1)))
        array([[[[0., 0.],
                 [1., 0.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self._args = _pool_args("MaxPool2d", kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = bool(return_indices)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x):
        x, unbatched = _check_pool_input("MaxPool2d", x)
        kernel, stride, padding, dilation = self._args
        _output_hw("MaxPool2d", x, kernel, stride, padding, dilation, self.ceil_mode)
        out, cache = maxpool2d_forward(x, kernel, stride, padding, dilation, self.ceil_mode)
        self._cache = (cache, unbatched, out.shape)
        if unbatched:
            out = out[0]
        if self.return_indices:
            return out, self._indices(cache, x.shape[3], unbatched)
        return out

    def _indices(self, cache, width: int, unbatched: bool) -> np.ndarray:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self._args
        ho, wo = cache["argmax"].shape[2:]
        i, j = np.divmod(cache["argmax"].astype(np.int64), kw)
        rows = np.arange(ho)[:, None] * sh - ph + i * dh
        cols = np.arange(wo)[None, :] * sw - pw + j * dw
        idx = rows * width + cols
        return idx[0] if unbatched else idx

    def backward(self, dy):
        return _layer_backward(self, dy, maxpool2d_backward)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """2-D average pooling, as ``torch.nn.AvgPool2d``.

    Args:
        kernel_size: int or ``(kh, kw)``, the window size.
        stride: int or pair; default ``kernel_size``.
        padding: int or pair of zeros added on every side; at most half the kernel size.
        ceil_mode: round the output size up, keeping a last partial window that starts inside
            the input or the left/top padding (it is cut at the end of the padded input).
        count_include_pad: divide by the window size including padding (``True``, default) or by
            the number of real input pixels in the window.
        divisor_override: if given, the divisor of every window.

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or unbatched ``(C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` where
          ``H_out = floor((H_in + 2*padding[0] - kernel_size[0]) / stride[0] + 1)``
          (ceil instead of floor with ``ceil_mode``), and the same for ``W_out``.

    Examples:
        >>> pool = AvgPool2d(2)
        >>> pool
        AvgPool2d(kernel_size=2, stride=2, padding=0)
        >>> pool(np.arange(16.0).reshape(1, 1, 4, 4))
        array([[[[ 2.5,  4.5],
                 [10.5, 12.5]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self._args = _pool_args("AvgPool2d", kernel_size, stride, padding)
        if divisor_override is not None:
            check_int("AvgPool2d", "divisor_override", divisor_override)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        x, unbatched = _check_pool_input("AvgPool2d", x)
        kernel, stride, padding, _ = self._args
        _output_hw("AvgPool2d", x, kernel, stride, padding, (1, 1), self.ceil_mode)
        out, cache = avgpool2d_forward(x, kernel, stride, padding, self.ceil_mode, self.count_include_pad,
                                       self.divisor_override)
        self._cache = (cache, unbatched, out.shape)
        return out[0] if unbatched else out

    def backward(self, dy):
        return _layer_backward(self, dy, avgpool2d_backward)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input size (``torch.nn.AdaptiveAvgPool2d``).

    Output row ``i`` averages input rows ``floor(i*H/H_out)`` up to ``ceil((i+1)*H/H_out)``
    (exclusive); the same for columns. ``AdaptiveAvgPool2d(1)`` is *global average pooling*.

    Args:
        output_size: ``(H_out, W_out)``, an int for a square output, or ``None`` in either place to
            keep that input size.

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or unbatched ``(C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)``.

    Examples:
        >>> gap = AdaptiveAvgPool2d(1)
        >>> gap
        AdaptiveAvgPool2d(output_size=1)
        >>> gap(np.ones((8, 64, 7, 7))).shape
        (8, 64, 1, 1)
        >>> AdaptiveAvgPool2d((None, 3))(np.ones((2, 5, 10))).shape
        (2, 5, 3)
    """

    def __init__(self, output_size):
        super().__init__()
        _adaptive_size("AdaptiveAvgPool2d", output_size, (1, 1))  # validate now
        self.output_size = output_size

    def forward(self, x):
        x, unbatched = _check_pool_input("AdaptiveAvgPool2d", x)
        out, cache = adaptive_avgpool2d_forward(x, _adaptive_size("AdaptiveAvgPool2d", self.output_size,
                                                                  x.shape[2:]))
        self._cache = (cache, unbatched, out.shape)
        return out[0] if unbatched else out

    def backward(self, dy):
        return _layer_backward(self, dy, adaptive_avgpool2d_backward)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
