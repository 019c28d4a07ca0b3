"""Convolution: :class:`Conv2d`, its pure core and the pieces :class:`ConvTranspose2d` shares.

The transposed convolution (``conv_transpose.py``) is built from this file's blocks: its forward
pass is the input gradient of a convolution, its layer a second subclass of :class:`_ConvNd`.

Conventions (PyTorch's):

* layout ``(N, C, H, W)``; an unbatched ``(C, H, W)`` image is accepted too;
* ``Conv2d.weight`` has shape ``(out_channels, in_channels // groups, kh, kw)`` and the layer
  computes a *cross-correlation* (the kernel is not flipped)::

      y[n, o, oh, ow] = b[o] + sum_{c, i, j} w[o, c, i, j] * x_pad[n, g*C_g + c, oh*sh + i*dh, ow*sw + j*dw]

  where ``g`` is the group of output channel ``o`` and ``C_g = in_channels // groups``;
* ``ConvTranspose2d.weight`` has shape ``(in_channels, out_channels // groups, kh, kw)``: a
  transposed convolution is the backward pass of a convolution with respect to its input;
* ``dilation=1`` means no gaps between kernel taps (``dilation=2`` skips every other pixel).

How the fast path works (:func:`conv2d_forward`): a ``sliding_window_view`` of the padded input
lists every receptive field, and one copy lays them out as the columns of the *im2col* matrix of
each image, ``cols[n]`` of shape ``(C*kh*kw, H_out*W_out)``, rows ordered like
``weight.reshape(C_out, -1)``. The convolution is then one matrix product per image,
``weight.reshape(C_out, -1) @ cols[n]``, which is already the ``(C_out, H_out*W_out)`` output
(NumPy runs the stack of products in one call). The backward pass reuses the cached im2col
matrices for ``dW`` and computes ``dx`` either as a convolution of ``dy`` with the flipped
kernel (a stride-1 layer on the shifted path, below) or by adding the columns of ``W.T @ dy``
back onto the pixels they were read from (*col2im*: ``W.T @ dy`` as one product over the whole
batch, then one flat add per kernel tap onto its phase of the stride, :func:`_phase_input_grad`).
Groups add a group axis: a batch of independent products.

Stride 1 (one group, zero padding), the usual ``k x k`` layer with ``padding=k // 2``, skips the
im2col matrix (:func:`_shifted_conv`): flattened channel-major, ``kw`` copies of the padded batch,
each shifted by one more kernel column, times the weights of all ``kh`` kernel rows in one product,
give every tap; each kernel row's share is then read a row further on and added. ``kw`` copies of
the input replace a matrix ``kh*kw`` times its size: memory traffic, not arithmetic, is what it
saves. The input gradient does the same with ``kh`` copies of ``dy`` shifted by kernel rows, and
those copies against the input's give the weight gradient in one more product
(:func:`_shifted_weight_grad`). A layer with few input channels (a first layer, 3 in and 64 out)
keeps im2col, whose matrix is then the smaller array (:func:`_use_shifted`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import (
    as_float_array,
    batched,
    check_float_dtype,
    check_grad_batched,
    check_int,
    check_ndim,
    check_rng,
    pair,
)
from .module import Module, Parameter, fan_in_bound, scratch, uniform_init

__all__ = [
    "Conv2d",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_reference",
    "conv2d_output_size",
    "Conv2dCache",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# -- what each pure forward hands its backward -----------------------------------------------------
class Conv2dCache(NamedTuple):
    """The cache of :func:`conv2d_forward`: the im2col matrices and the geometry."""

    cols: np.ndarray  # (N, G, C_in/G*kh*kw, H_out*W_out); with a workspace, the workspace's array
    weight: np.ndarray  # (C_out, C_in/G, kh, kw) in the input's dtype
    x_shape: tuple[int, int, int, int]
    out_hw: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right)) of zeros
    dilation: tuple[int, int]
    groups: int
    has_bias: bool

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.x_shape[0], self.weight.shape[0], *self.out_hw)


# -- sizes ---------------------------------------------------------------------------------------
def conv2d_output_size(h: int, w: int, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """Output height and width of a convolution (PyTorch's floor formula).

    ``H_out = floor((H + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1``, the same
    for the width; every argument is an int or an ``(h, w)`` pair. A result below 1 means the
    (dilated) kernel does not fit in the padded input.

    Examples:
        >>> conv2d_output_size(28, 28, 3, padding=1)
        (28, 28)
        >>> conv2d_output_size(64, 64, 5, stride=2, padding=2)
        (32, 32)
        >>> conv2d_output_size(7, 10, (3, 2), stride=(2, 3), dilation=(1, 2))
        (3, 3)
    """
    name = "conv2d_output_size"
    (kh, kw), (sh, sw) = pair(name, "kernel_size", kernel_size), pair(name, "stride", stride)
    (ph, pw), (dh, dw) = pair(name, "padding", padding, 0), pair(name, "dilation", dilation)
    return (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1


# -- the building blocks of the fast path --------------------------------------------------------
def _zero_pad(x: np.ndarray, pads) -> np.ndarray:
    """Zero-pad the last two axes by ``pads = ((top, bottom), (left, right))``.

    A negative amount crops instead, so ``_zero_pad(_, -pads)`` is the adjoint (the backward
    pass) of ``_zero_pad(_, pads)``."""
    (top, bottom), (left, right) = pads
    n, c, h, w = x.shape
    if pads == ((0, 0), (0, 0)):
        return x
    out = np.zeros((n, c, h + top + bottom, w + left + right), dtype=x.dtype)
    src = x[:, :, max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    out[:, :, max(top, 0):max(top, 0) + src.shape[2], max(left, 0):max(left, 0) + src.shape[3]] = src
    return out


def _im2col(xp: np.ndarray, kernel, stride, dilation, groups: int, out_hw, workspace=None, key="cols"):
    """The receptive fields of the padded ``xp`` as columns: ``(N, G, C/G*kh*kw, Ho*Wo)``.

    Column ``oh*Wo + ow`` of image ``n`` and group ``g`` lists ``xp[n, c, oh*sh + i*dh, ow*sw + j*dw]``
    for the group's channels ``c``, ordered by ``(c, i, j)`` like ``weight.reshape(C_out, -1)``.
    With a ``workspace`` dict the matrix is written into ``workspace[key]`` when it has the right
    shape (see :func:`conv2d_forward`)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    n, c = xp.shape[:2]
    windows = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    # (N, C, Ho, Wo, kh, kw): keep every stride-th window and every dilation-th tap
    windows = windows[:, :, :sh * (ho - 1) + 1:sh, :sw * (wo - 1) + 1:sw, ::dh, ::dw]
    windows = windows.transpose(0, 1, 4, 5, 2, 3)  # (N, C, kh, kw, Ho, Wo): rows of Wo strided numbers
    shape = (n, groups, c // groups * kh * kw, ho * wo)
    if workspace is None:
        return windows.reshape(shape)  # the one copy
    cols = workspace.get(key)
    if cols is None or cols.shape != shape or cols.dtype != xp.dtype:
        cols = workspace[key] = np.empty(shape, dtype=xp.dtype)
    np.copyto(cols.reshape(windows.shape), windows)
    return cols


def _phase_input_grad(dy, weight, stride, pads, dilation, groups: int, x_shape) -> np.ndarray:
    """``dx`` of a convolution as ``W.T @ dy`` in one product, each tap's share added back onto
    the pixels it was read from (*col2im*), one phase of the stride at a time: every strided
    convolution, and a stride-1 layer with few input channels (one phase; see :func:`_use_shifted`).

    Tap ``(i, j)`` of window ``(oh, ow)`` read padded pixel ``(oh*sh + i*dh, ow*sw + j*dw)``: in the
    phase ``(i*dh % sh, j*dw % sw)`` of the padded grid (its rows ``p, p + sh, ...`` and columns
    ``q, q + sw, ...``) that is row ``i*dh // sh + oh``, column ``j*dw // sw + ow``. So lay ``dy`` out
    channel-major on a grid of the phases' size ``(Hq, Wq)`` (zero past ``(Ho, Wo)``): the rows of
    ``W.T @ dy`` for tap ``(i, j)`` are then added onto their phase at one flat offset, a single
    long add per tap instead of a short add per image row."""
    n, c, h, w = x_shape
    out_c, cg, kh, kw = weight.shape
    (top, bottom), (left, right) = pads
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, dy.shape[2:]
    hq, wq = -(-(h + top + bottom) // sh), -(-(w + left + right) // sw)  # rows, columns of a phase
    m = n * hq * wq
    grid = np.zeros((out_c, n, hq, wq), dtype=dy.dtype)
    grid[:, :, :ho, :wo] = dy.transpose(1, 0, 2, 3)
    wmat = weight.reshape(groups, out_c // groups, cg * kh * kw).transpose(0, 2, 1)  # (G, C/G*kh*kw, C_out/G)
    dcols = (wmat @ grid.reshape(groups, out_c // groups, m)).reshape(c, kh, kw, m)  # rows (c, i, j)
    # a negative bottom or right "padding" (a transposed convolution's output_padding) leaves the
    # last rows or columns of x outside the grid: nothing read them, their gradient is zero
    hv, wv = min(h, h + bottom), min(w, w + right)
    dx = (np.empty if (hv, wv) == (h, w) else np.zeros)(x_shape, dtype=dy.dtype)
    for p in range(sh):
        for q in range(sw):
            y0, x0 = (p - top) % sh, (q - left) % sw  # the first input row and column in this phase
            if y0 >= hv or x0 >= wv:
                continue  # no input pixel in this phase
            phase = np.zeros((c, m), dtype=dy.dtype)
            for i in range(kh):
                for j in range(kw):
                    if i * dh % sh == p and j * dw % sw == q:  # tap (i, j) reads this phase
                        offset = i * dh // sh * wq + j * dw // sw  # where window (0, 0) finds it
                        phase[:, offset:] += dcols[:, i, j, :m - offset]
            r0, c0 = (top + y0) // sh, (left + x0) // sw
            rows, cols = len(range(y0, hv, sh)), len(range(x0, wv, sw))
            phase = phase.reshape(c, n, hq, wq)[:, :, r0:r0 + rows, c0:c0 + cols]
            dx[:, :, y0:hv:sh, x0:wv:sw] = phase.transpose(1, 0, 2, 3)
    return dx


class _ShiftedRows(NamedTuple):
    """Shifted copies of a zero-padded batch, flattened channel-major (see :func:`_shifted_conv`).

    With ``padded[c, q]`` channel ``c`` of the padded batch at flat position ``q`` of ``(N, Hp, Wp)``,
    ``buffer[c*count + s, lead + q] = padded[c, q + s*step]`` (zero outside the batch): ``count``
    copies, each shifted by one more kernel column (``axis == 1``, ``step = dw``) or kernel row
    (``axis == 0``, ``step = dh*Wp``). ``lead = (count - 1) * step`` columns come first."""

    buffer: np.ndarray  # (C*count, lead + N*Hp*Wp + tail), a view of the workspace's array
    lead: int
    grid: tuple[int, int, int]  # (N, Hp, Wp), the padded batch
    dilation: tuple[int, int]  # the kernel's size is the weight's

    @property
    def dtype(self) -> np.dtype:
        return self.buffer.dtype


def _zeros_kept(workspace, key: str, shape, dtype, tag) -> np.ndarray:
    """A zero array of ``shape``, kept in ``workspace[key]`` between calls with the same ``tag``.

    Callers write only the same interior every time, so a kept array's border is still zero."""
    if workspace is None:
        return np.zeros(shape, dtype=dtype)
    kept = workspace.get(key)
    if kept is None or kept[0] != (tag, tuple(shape), np.dtype(dtype)):
        kept = workspace[key] = ((tag, tuple(shape), np.dtype(dtype)), np.zeros(shape, dtype=dtype))
    return kept[1]


def _grid_fits(x_shape, kernel, stride, pads, dilation, groups) -> bool:
    """Stride 1, one group, zero padding and a padded grid at most 1.5x the output: a convolution
    :func:`_shifted_conv` can compute."""
    if stride != (1, 1) or groups != 1 or min(min(pads)) < 0:
        return False
    hp, wp = x_shape[2] + sum(pads[0]), x_shape[3] + sum(pads[1])
    return 2 * hp * wp <= 3 * (hp - dilation[0] * (kernel[0] - 1)) * (wp - dilation[1] * (kernel[1] - 1))


def _use_shifted(x_shape, weight_shape, stride, pads, dilation, groups) -> bool:
    """Whether a convolution layer takes :func:`_shifted_conv` (the usual ``k x k``,
    ``padding=k // 2`` layer of a CNN): when :func:`_grid_fits` and its arrays are the smaller
    ones. Forward, ``dW`` and ``dx`` then hold ``kh*C_out + kw*C_in`` rows over the padded batch
    (products and shifted copies) where im2col and ``W.T @ dy`` hold ``C_in*kh*kw + C_out``;
    with few input channels (a first layer: 3 in, 64 out) those are smaller, and faster (11
    against 23 ms for that layer on 16 images of 64 x 64)."""
    out_c, c, kh, kw = weight_shape
    return (_grid_fits(x_shape, (kh, kw), stride, pads, dilation, groups)
            and kh * out_c + kw * c <= c * kh * kw + out_c)


def _shifted_copies(x, pads, kernel, dilation, axis: int, workspace=None, key="x") -> _ShiftedRows:
    """The :class:`_ShiftedRows` of ``x`` zero-padded by ``pads``, shifted along kernel ``axis``.

    Behind the batch there is room to read it shifted along the other axis, and from where its
    first pixel sits (the weight gradient reads it so, :func:`_shifted_weight_grad`)."""
    n, c, h, w = x.shape
    (top, bottom), (left, right) = pads
    hp, wp = h + top + bottom, w + left + right
    steps = (dilation[0] * wp, dilation[1])
    count, step, m = kernel[axis], steps[axis], n * hp * wp
    lead = (count - 1) * step
    tail = (kernel[1 - axis] - 1) * steps[1 - axis] + top * wp + left
    shape = (c, count, lead + m + tail)
    buffer = _zeros_kept(workspace, key + "_shifted", shape, x.dtype, (x.shape, pads, step))
    for s in range(count):  # copy s starts s*step earlier: buffer[:, s, lead + q] = padded[q + s*step]
        grid = buffer[:, s, lead - s * step:lead - s * step + m].reshape(c, n, hp, wp)
        grid[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
    return _ShiftedRows(buffer.reshape(c * count, -1), lead, (n, hp, wp), tuple(dilation))


def _shifted_conv(x, weight, bias, pads, dilation, workspace=None, key="x", axis=1):
    """Stride-1 convolution without an im2col matrix: ``(out, _ShiftedRows)``.

    Flatten the zero-padded batch channel-major, ``(C, N*Hp*Wp)``. The tap ``(i, j)`` of the output
    at flat position ``q`` reads position ``q + i*dh*Wp + j*dw``. Lay ``kw`` copies of the batch
    side by side, each shifted by one more kernel column (``axis=1``; the input gradient shifts by
    kernel rows, ``axis=0``, see :func:`_shifted_weight_grad`): the products of the ``kh`` kernel
    rows' weights with those copies, ``P[i] = W[:, :, i, :] @ copies``, all in one product, give
    every tap, and the convolution is their sum ``P[i][:, q + i*dh*Wp]``, each row's product
    read ``i`` image rows further on. ``kw`` copies of the input instead of im2col's ``kh*kw``.
    Positions in the last rows and columns of each padded image are computed too (the sums run
    across the border) and dropped."""
    shifted = _shifted_copies(x, pads, weight.shape[2:], dilation, axis, workspace, key)
    n, hp, wp = shifted.grid
    out_c, c, kh, kw = weight.shape
    ho, wo, m = hp - dilation[0] * (kh - 1), wp - dilation[1] * (kw - 1), n * hp * wp
    count, step = ((kh, dilation[0] * wp), (kw, dilation[1]))[1 - axis]  # the products' shifts
    # (kh*C_out, C*kw) for axis 1, rows (i, o), columns (c, j) like the copies; (kw*C_out, C*kh) for axis 0
    stacked = np.moveaxis(weight, 3 - axis, 0).reshape(count * out_c, -1)
    length = m + (count - 1) * step
    products = scratch(workspace, key + "_products", (count * out_c, length), x.dtype)  # read here only
    np.matmul(stacked, shifted.buffer[:, shifted.lead:shifted.lead + length], out=products)
    terms = [products[s * out_c:(s + 1) * out_c, s * step:s * step + m] for s in range(count)]
    for term in terms[1:-1]:
        terms[0] += term  # the first product's rows are read by no other term
    out = np.empty((n, out_c, ho, wo), dtype=x.dtype)
    valid = [t.reshape(out_c, n, hp, wp)[:, :, :ho, :wo].transpose(1, 0, 2, 3) for t in (terms[0], terms[-1])]
    if count == 1:
        np.copyto(out, valid[0])
    else:  # the last term added while the output is written
        np.add(*valid, out=out)
    if bias is not None:
        out += bias.reshape(out_c, 1, 1)
    return out, shifted


def _shifted_weight_grad(dy_rows: _ShiftedRows, dy_pads, x_rows: _ShiftedRows, weight_shape):
    """``dW`` of :func:`_shifted_conv` in one product, from ``kh`` copies of ``dy`` shifted by kernel
    rows (``dy_rows``, ``dy`` zero-padded by ``dy_pads`` to the input's padded grid) and the
    forward pass's ``kw`` copies of the input shifted by kernel columns (``x_rows``).

    ``dW[o, c, i, j] = sum_q dy[o, q] x[c, q + i*dh*Wp + j*dw]`` (flat positions of the padded
    grid, ``dy`` zero where the forward pass dropped its positions). Read the dy copies from
    where dy's first pixel sits and the input copies from their ``lead``: then row ``(o, i')`` of
    the one against row ``(c, j)`` of the other is the tap ``(kh - 1 - i', j)``, so one product
    ``dy_copies @ x_copies.T`` gives every tap."""
    out_c, c, kh, kw = weight_shape
    n, hp, wp = x_rows.grid
    span = n * hp * wp + (kh - 1) * x_rows.dilation[0] * wp  # every position a tap reads
    start = dy_pads[0][0] * wp + dy_pads[1][0]  # where dy's first pixel sits
    g = dy_rows.buffer[:, start:start + span] @ x_rows.buffer[:, x_rows.lead:x_rows.lead + span].T
    return g.reshape(out_c, kh, c, kw)[:, ::-1].transpose(0, 2, 1, 3).copy()


def _conv(x, weight, bias, stride, pads, dilation, groups, workspace=None, key="cols"):
    """The fast forward pass: ``(out, cols)`` for zero padding ``pads = ((top, bottom), (left, right))``.

    ``cols`` is the im2col matrix, or the :class:`_ShiftedRows` of :func:`_shifted_conv` (stride 1)."""
    if _use_shifted(x.shape, weight.shape, stride, pads, dilation, groups):
        return _shifted_conv(x, weight, bias, pads, dilation, workspace, key)
    n = x.shape[0]
    out_c, cg, kh, kw = weight.shape
    xp = _zero_pad(x, pads)
    ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    # (N, G, C/G*kh*kw, Ho*Wo): one column per output pixel
    cols = _im2col(xp, (kh, kw), stride, dilation, groups, (ho, wo), workspace, key)
    wmat = weight.reshape(groups, out_c // groups, cg * kh * kw)  # (G, C_out/G, C/G*kh*kw)
    out = (wmat @ cols).reshape(n, out_c, ho, wo)  # one product per image and group
    if bias is not None:
        out += bias.reshape(out_c, 1, 1)
    return out, cols


def _conv_weight_grad(dy, cols, weight_shape, workspace=None):
    """``dW = sum over images of dy[n] @ cols[n].T``, per group."""
    if isinstance(cols, _ShiftedRows):  # stride 1: copies of dy over the input's padded grid
        n, hp, wp = cols.grid
        dy_pads = ((0, hp - dy.shape[2]), (0, wp - dy.shape[3]))
        dy_rows = _shifted_copies(dy, dy_pads, weight_shape[2:], cols.dilation, 0, workspace, "dy_spread")
        return _shifted_weight_grad(dy_rows, dy_pads, cols, weight_shape)
    n, groups, k, hw = cols.shape
    out_c = weight_shape[0]
    d = dy.reshape(n, groups, out_c // groups, hw)  # (N, G, C_out/G, Ho*Wo)
    if out_c // groups <= hw:  # the per-image products are no bigger than cols: sum them
        dwmat = (d @ cols.swapaxes(2, 3)).sum(axis=0)  # (G, C_out/G, C/G*kh*kw)
    else:  # deep layers, small images: one product over all pixels of all images
        d = d.transpose(1, 2, 0, 3).reshape(groups, out_c // groups, n * hw)
        dwmat = d @ cols.transpose(1, 0, 3, 2).reshape(groups, n * hw, k)
    return dwmat.reshape(weight_shape)


def _flipped(weight, groups: int) -> np.ndarray:
    """The kernel rotated by 180 degrees, its two channel axes swapped within each group:
    ``(C_out, C/G, kh, kw) -> (C, C_out/G, kh, kw)``, the weight of the input gradient's convolution."""
    out_c, cg, kh, kw = weight.shape
    flipped = weight.reshape(groups, out_c // groups, cg, kh, kw)[:, :, :, ::-1, ::-1]
    return flipped.transpose(0, 2, 1, 3, 4).reshape(groups * cg, out_c // groups, kh, kw)


def _full_pads(kernel, pads, dilation):
    """The padding of ``dy`` that makes a stride-1 convolution with the flipped kernel the input gradient."""
    (top, bottom), (left, right) = pads
    eh, ew = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)  # the kernel's extent - 1
    return (eh - top, eh - bottom), (ew - left, ew - right)


def _dx_as_full_conv(dy, weight, stride, pads, dilation, groups, x_shape) -> bool:
    """Whether ``dx`` is the stride-1 "full" convolution of ``dy`` with the flipped kernel, done by
    :func:`_shifted_conv` with ``kh`` copies of ``dy``: when the layer takes the shifted path
    (:func:`_use_shifted`) and ``dy``'s padded grid allows it; else ``W.T @ dy`` added back by
    :func:`_phase_input_grad`."""
    kh, kw = weight.shape[2:]
    full = _full_pads((kh, kw), pads, dilation)
    return (_use_shifted(x_shape, weight.shape, stride, pads, dilation, groups)
            and _grid_fits(dy.shape, (kh, kw), stride, full, dilation, groups))


def _full_conv_input_grad(dy, weight, pads, dilation, groups, workspace=None):
    """``(dx, dy_rows)``: ``dx`` as the "full" convolution of ``dy`` with the kernel rotated by 180
    degrees (:func:`_shifted_conv` with copies of ``dy`` shifted by kernel rows, ``dy_rows``)."""
    full = _full_pads(weight.shape[2:], pads, dilation)
    return _shifted_conv(dy, _flipped(weight, groups), None, full, dilation, workspace, "dy_cols", 0)


def _conv_input_grad(dy, weight, stride, pads, dilation, groups, x_shape, workspace=None):
    """``dL/dx`` of :func:`_conv` for an input of shape ``x_shape``: a transposed convolution."""
    if _dx_as_full_conv(dy, weight, stride, pads, dilation, groups, x_shape):
        return _full_conv_input_grad(dy, weight, pads, dilation, groups, workspace)[0]
    return _phase_input_grad(dy, weight, stride, pads, dilation, groups, x_shape)  # W.T @ dy, then col2im


def _check_core(name: str, x, weight, groups: int, weight_layout: str):
    x = as_float_array(name, x)
    weight = np.asarray(weight)
    if x.ndim != 4:
        raise ValueError(f"{name} expected input of shape (N, C, H, W), got {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"{name} expected a weight of shape {weight_layout}, got {tuple(weight.shape)}")
    groups = check_int(name, "groups", groups)
    return x, weight.astype(x.dtype, copy=False), groups


def _check_fits(name: str, hp: int, wp: int, kernel, dilation) -> None:
    eh, ew = dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1
    if eh > hp or ew > wp:
        dilated = f" (dilated to {(eh, ew)})" if (eh, ew) != tuple(kernel) else ""
        raise ValueError(
            f"{name}: the kernel {tuple(kernel)}{dilated} is larger than the padded input {(hp, wp)}"
        )


# -- convolution: the pure core ------------------------------------------------------------------
def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, workspace=None):
    """2-D convolution (cross-correlation) with zero padding, via im2col and matrix products.

    Args:
        x: input ``(N, C_in, H, W)``.
        weight: ``(C_out, C_in // groups, kh, kw)``.
        bias: ``(C_out,)`` or ``None``.
        stride, padding, dilation: ints or ``(h, w)`` pairs; ``padding`` adds zeros on all sides.
        groups: split the channels into ``groups`` independent convolutions.
        workspace: optional dict that keeps the im2col matrix between calls (a layer passes its
            own). Allocating a fresh array of ~100 MB costs more than the copy into it: the
            operating system hands out new zeroed pages every time. The cache then refers to
            ``workspace["cols"]``, which the next call with the same workspace overwrites.

    Returns:
        ``(out, cache)``, ``out`` of shape ``(N, C_out, H_out, W_out)`` in ``x``'s dtype, with the
        sizes of :func:`conv2d_output_size`; the :class:`Conv2dCache` holds the im2col matrices.

    Examples:
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> out, _ = conv2d_forward(x, np.ones((1, 1, 2, 2)), np.zeros(1), stride=2)
        >>> out[0, 0]  # the sum of each 2x2 block
        array([[10., 18.],
               [42., 50.]])
    """
    name = "conv2d_forward"
    x, weight, groups = _check_core(name, x, weight, groups, "(C_out, C_in // groups, kh, kw)")
    (sh, sw), (ph, pw) = pair(name, "stride", stride), pair(name, "padding", padding, 0)
    dh, dw = pair(name, "dilation", dilation)
    n, c, h, w = x.shape
    out_c, cg, kh, kw = weight.shape
    if cg * groups != c or out_c % groups:
        raise ValueError(
            f"{name}: a weight of shape {tuple(weight.shape)} with groups={groups} expects "
            f"{cg * groups} input channels (and out_channels divisible by groups), got input {tuple(x.shape)}"
        )
    _check_fits(name, h + 2 * ph, w + 2 * pw, (kh, kw), (dh, dw))
    if bias is not None:
        bias = np.asarray(bias, dtype=x.dtype)
    pads = ((ph, ph), (pw, pw))
    out, cols = _conv(x, weight, bias, (sh, sw), pads, (dh, dw), groups, workspace)
    return out, Conv2dCache(cols, weight, x.shape, out.shape[2:], (sh, sw), pads, (dh, dw), groups,
                            bias is not None)


def conv2d_backward(dy, cache: Conv2dCache, *, workspace=None):
    """Gradients of :func:`conv2d_forward`.

    With ``X = cols[n]`` the im2col matrix of image ``n`` and ``W`` the weight as a matrix
    (``out[n] = W @ X``)::

        dW = sum over n of dy[n] @ X.T      # matrix products with the cached im2col matrices
        dX = W.T @ dy[n], then col2im        # each column added back onto the pixels it read
        db = dy summed over N, H_out, W_out

    For a stride-1 layer on the shifted path (:func:`_use_shifted`: more than a few input
    channels), ``dx`` is computed as the equivalent "full" convolution of ``dy`` with the kernel
    rotated by 180 degrees, which is faster (no col2im), and the forward pass kept shifted copies
    of the input instead of im2col matrices (see :func:`_shifted_conv`); with "same" padding the
    shifted copies of ``dy`` that ``dx`` is made from give ``dW`` too (:func:`_shifted_weight_grad`).
    ``workspace``: as in :func:`conv2d_forward` (for ``dy``'s arrays).

    Returns:
        ``(dx, dweight, dbias)``; ``dbias`` is ``None`` without a bias.
    """
    c = cache
    dy = np.asarray(dy, dtype=c.cols.dtype)
    db = dy.sum(axis=(0, 2, 3)) if c.has_bias else None
    shifted = isinstance(c.cols, _ShiftedRows)
    if shifted and _dx_as_full_conv(dy, c.weight, c.stride, c.pads, c.dilation, 1, c.x_shape):
        dx, dy_rows = _full_conv_input_grad(dy, c.weight, c.pads, c.dilation, 1, workspace)
        if dy_rows.grid == c.cols.grid:  # "same" padding: the copies of dy serve dW too
            full = _full_pads(c.weight.shape[2:], c.pads, c.dilation)  # where dy sits in them
            return dx, _shifted_weight_grad(dy_rows, full, c.cols, c.weight.shape), db
        return dx, _conv_weight_grad(dy, c.cols, c.weight.shape, workspace), db
    dw = _conv_weight_grad(dy, c.cols, c.weight.shape, workspace)
    dx = _conv_input_grad(dy, c.weight, c.stride, c.pads, c.dilation, c.groups, c.x_shape, workspace)
    return dx, dw, db


def conv2d_reference(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The definition of a convolution, one output pixel at a time: slow but plain.

    Each output pixel ``(oh, ow)`` takes the dot product of the kernel with the patch of the
    zero-padded input it covers: rows ``oh*sh + i*dh`` and columns ``ow*sw + j*dw``.
    :func:`conv2d_forward` computes the same numbers with matrix products.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> x, w = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(4, 3, 3, 3))
        >>> fast, _ = conv2d_forward(x, w, None, stride=2, padding=1)
        >>> np.allclose(conv2d_reference(x, w, None, stride=2, padding=1), fast)
        True
    """
    name = "conv2d_reference"
    (sh, sw), (ph, pw) = pair(name, "stride", stride), pair(name, "padding", padding, 0)
    dh, dw = pair(name, "dilation", dilation)
    n, c, h, w = x.shape
    out_c, c_per_group, kh, kw = weight.shape
    out_per_group = out_c // groups
    ho, wo = conv2d_output_size(h, w, (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n, out_c, ho, wo), dtype=x.dtype)
    for oh in range(ho):
        for ow in range(wo):
            top, left = oh * sh, ow * sw
            # the receptive field: (N, C, kh, kw)
            patch = xp[:, :, top:top + dh * (kh - 1) + 1:dh, left:left + dw * (kw - 1) + 1:dw]
            for g in range(groups):
                ins = slice(g * c_per_group, (g + 1) * c_per_group)
                outs = slice(g * out_per_group, (g + 1) * out_per_group)
                # sum over (c, i, j) of patch[n, c, i, j] * weight[o, c, i, j]
                out[:, outs, oh, ow] = np.tensordot(patch[:, ins], weight[outs], axes=([1, 2, 3], [1, 2, 3]))
    if bias is not None:
        out += bias.reshape(1, out_c, 1, 1)
    return out


# -- padding modes -------------------------------------------------------------------------------
def _pad_mode(x: np.ndarray, pads, mode: str) -> np.ndarray:
    """Pad the last two axes by ``pads = ((top, bottom), (left, right))`` in a PyTorch padding mode."""
    return np.pad(x, ((0, 0), (0, 0), *pads), mode=_NUMPY_PAD_MODE[mode])


def _pad_mode_backward(g: np.ndarray, pads, mode: str) -> np.ndarray:
    """The adjoint of :func:`_pad_mode`: fold the gradient of the border back onto the pixels it copies."""
    for axis, (before, after) in zip((2, 3), pads, strict=True):
        size = g.shape[axis] - before - after
        inner = [slice(None)] * 4
        inner[axis] = slice(before, before + size)
        d = g[tuple(inner)].copy()
        if mode != "zeros":
            for side, count in (("before", before), ("after", after)):
                if count == 0:
                    continue
                border = [slice(None)] * 4
                border[axis] = slice(0, before) if side == "before" else slice(before + size, None)
                gb = g[tuple(border)]
                dst = [slice(None)] * 4
                if mode == "replicate":  # every border pixel copies the edge pixel
                    dst[axis] = slice(0, 1) if side == "before" else slice(size - 1, size)
                    d[tuple(dst)] += gb.sum(axis=axis, keepdims=True)
                    continue
                # reflect / circular: the border pixels copy *distinct* input pixels
                src = np.arange(-before, 0) if side == "before" else np.arange(size, size + after)
                if mode == "reflect":
                    src = np.abs(src) if side == "before" else 2 * (size - 1) - src
                else:  # circular
                    src = src % size
                dst[axis] = src
                d[tuple(dst)] += gb
        g = d
    return g


# -- the layers ----------------------------------------------------------------------------------
class _ConvNd(Module):
    """What :class:`Conv2d` and :class:`ConvTranspose2d` share, as PyTorch's ``_ConvNd``: the checks
    of the hyper-parameters, the weight and bias with PyTorch's initialisation, the input check,
    ``backward`` and ``extra_repr``. ``self._cache`` is the pure core's cache, unwrapped.

    ``weight`` is ``(out_channels, in_channels // groups, kh, kw)`` for a convolution and
    ``(in_channels, out_channels // groups, kh, kw)`` for a transposed one; both draw it from
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with PyTorch's ``fan_in = weight.shape[1] * kh * kw``."""

    _transposed = False
    _pad_here = False  # Conv2d: the layer pads the input itself (see Conv2d.forward)
    _core_backward = None  # staticmethod(conv2d_backward) or staticmethod(conv_transpose2d_backward)

    def __init__(self, in_channels, out_channels, kernel_size, stride, dilation, groups, bias, padding_mode,
                 dtype, rng):
        super().__init__()
        name = type(self).__name__
        self.in_channels = check_int(name, "in_channels", in_channels)
        self.out_channels = check_int(name, "out_channels", out_channels)
        self.kernel_size = pair(name, "kernel_size", kernel_size)
        self.stride = pair(name, "stride", stride)
        self.dilation = pair(name, "dilation", dilation)
        self.groups = check_int(name, "groups", groups)
        for what, count in (("in_channels", in_channels), ("out_channels", out_channels)):
            if count % groups:
                raise ValueError(f"{name}: {what}={count} must be divisible by groups={groups}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name} supports only padding_mode='zeros', got {padding_mode!r}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name} expected padding_mode in {PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        dtype = check_float_dtype(name, dtype)
        rng = check_rng(name, rng)
        kh, kw = self.kernel_size
        channels = (in_channels, out_channels) if self._transposed else (out_channels, in_channels)
        shape = (channels[0], channels[1] // groups, kh, kw)
        bound = fan_in_bound(shape[1] * kh * kw)
        self.weight = Parameter(uniform_init(rng, shape, bound, dtype))
        self.bias = Parameter(uniform_init(rng, (out_channels,), bound, dtype)) if bias else None
        self._workspace = {}  # the im2col matrices, kept between calls (see conv2d_forward)

    def _batch(self, x) -> np.ndarray:
        """Accept ``(N, C_in, H, W)`` or an unbatched ``(C_in, H, W)``; return the 4-D array."""
        name, c = type(self).__name__, self.in_channels
        x = as_float_array(name, x)
        if x.ndim not in (3, 4) or x.shape[-3] != c:
            hint = f" (a 3-D input is read as one unbatched ({c}, H, W) image)" if x.ndim == 3 else ""
            raise ValueError(f"{name} expected input of shape (N, {c}, H, W), got {tuple(x.shape)}{hint}")
        check_ndim(name, x, (3, 4), f"(N, {c}, H, W)", nonempty=True)
        x, self._unbatched = batched(x, 3)
        return x

    def _unbatch(self, out: np.ndarray) -> np.ndarray:
        return out[0] if self._unbatched else out

    def backward(self, dy):
        cache = self._saved()
        dy = check_grad_batched(type(self).__name__, dy, cache.out_shape, self._unbatched)
        dx, dw, db = self._core_backward(dy, cache, workspace=self._workspace)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        if self._pad_here:
            dx = _pad_mode_backward(dx, self._pads, self.padding_mode)
        return self._unbatch(dx)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C, H, W)`` images, as ``torch.nn.Conv2d``.

    Args:
        in_channels: channels of the input ``C_in``.
        out_channels: channels of the output ``C_out`` (the number of kernels).
        kernel_size: int or ``(kh, kw)``.
        stride: int or pair, the step between neighbouring windows (default 1).
        padding: int or pair added on both sides, or ``'valid'`` (no padding) or ``'same'`` (the
            output has the input's size; only with stride 1; when the total ``dilation*(k-1)`` is
            odd the extra row/column goes to the bottom/right, as in PyTorch).
        dilation: int or pair, the spacing between kernel taps; 1 means no gaps.
        groups: split the channels into ``groups`` independent convolutions (``groups=in_channels``
            is a depthwise convolution); must divide both channel counts.
        bias: if ``False``, no additive bias (``self.bias is None``).
        padding_mode: what the padding contains: ``'zeros'``, ``'reflect'`` (mirror without
            repeating the edge), ``'replicate'`` (repeat the edge) or ``'circular'`` (wrap around).
        dtype: dtype of the parameters (float64 by default).
        rng: a ``numpy.random.Generator`` for the initialisation.

    Shape:
        - Input: ``(N, C_in, H_in, W_in)`` or unbatched ``(C_in, H_in, W_in)``.
        - Output: ``(N, C_out, H_out, W_out)`` (or ``(C_out, H_out, W_out)``) where
          ``H_out = floor((H_in + 2*padding[0] - dilation[0]*(kernel_size[0]-1) - 1) / stride[0] + 1)``
          and the same for ``W_out`` with index 1.

    Attributes:
        weight: ``(C_out, C_in // groups, kh, kw)``, initialised like PyTorch from
            ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = C_in // groups * kh * kw``.
        bias: ``(C_out,)``, same distribution.

    Examples:
        >>> conv = Conv2d(1, 16, 3, padding=1, rng=np.random.default_rng(0))
        >>> conv
        Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> y = conv(np.ones((8, 1, 28, 28)))
        >>> y.shape
        (8, 16, 28, 28)
        >>> conv.backward(np.ones_like(y)).shape, conv.weight.grad.shape
        ((8, 1, 28, 28), (16, 1, 3, 3))
    """

    _core_backward = staticmethod(conv2d_backward)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", *, dtype=np.float64,
                 rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, dilation, groups, bias, padding_mode,
                         dtype, rng)
        name = "Conv2d"
        self.output_padding = (0, 0)  # as in PyTorch, where every _ConvNd has one
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{name} expected padding 'same', 'valid', an int or a pair, got {padding!r}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions "
                                 f"(stride={self.stride})")
            self.padding = padding
        else:
            self.padding = pair(name, "padding", padding, 0)
        # ((top, bottom), (left, right)): 'same' puts the odd extra row/column at the bottom/right
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size, strict=True)]
            self._pads = tuple((t // 2, t - t // 2) for t in totals)
        elif self.padding == "valid":
            self._pads = ((0, 0), (0, 0))
        else:
            self._pads = tuple((p, p) for p in self.padding)
        (top, bottom), (left, right) = self._pads
        # zeros on both sides equally: the core pads; otherwise forward pads ('same' with an odd
        # total, reflect, replicate, circular) and runs the core without padding
        self._pad_here = padding_mode != "zeros" or top != bottom or left != right

    def forward(self, x):
        x = self._batch(x)
        (top, bottom), (left, right) = self._pads
        h, w = x.shape[2:]
        _check_fits("Conv2d", h + top + bottom, w + left + right, self.kernel_size, self.dilation)
        if self._pad_here:
            limit = {"reflect": (h - 1, w - 1), "circular": (h, w)}.get(self.padding_mode, (np.inf, np.inf))
            if max(top, bottom) > limit[0] or max(left, right) > limit[1]:
                raise ValueError(
                    f"Conv2d: padding_mode={self.padding_mode!r} needs padding at most {limit} for input "
                    f"{tuple(x.shape)}, got padding {self._pads}"
                )
            x = _pad_mode(x, self._pads, self.padding_mode)
        bias = None if self.bias is None else self.bias.data
        y, self._cache = conv2d_forward(x, self.weight.data, bias, self.stride,
                                        (0, 0) if self._pad_here else (top, left), self.dilation, self.groups,
                                        workspace=self._workspace)
        return self._unbatch(y)
