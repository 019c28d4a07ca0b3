"""Convolution layers: :class:`Conv2d` and :class:`ConvTranspose2d`.

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
matrices for ``dW`` and computes ``dx`` either as a convolution of ``dout`` with the flipped
kernel (stride 1) or by adding the columns of ``W.T @ dout`` back onto the pixels they were read
from (*col2im*, one slice-add per kernel tap, done per phase of the stride so that each add runs
along contiguous rows). Groups add a group axis: a batch of
independent products.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import as_float_array, check_float_dtype, check_grad, check_int, pair
from .module import Module, Parameter, fan_in_bound, uniform_init

__all__ = [
    "Conv2d",
    "ConvTranspose2d",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_reference",
    "conv_transpose2d_forward",
    "conv_transpose2d_backward",
    "conv2d_output_size",
    "conv_transpose2d_output_size",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


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


def conv_transpose2d_output_size(h: int, w: int, kernel_size, stride=1, padding=0, output_padding=0,
                                 dilation=1) -> tuple[int, int]:
    """Output height and width of a transposed convolution.

    ``H_out = (H - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1``:
    the input size of a convolution whose output size is ``H`` (``output_padding`` picks one of
    the ``stride`` input sizes that a strided convolution maps to the same output size).

    Examples:
        >>> conv_transpose2d_output_size(14, 14, 3, stride=2, padding=1, output_padding=1)
        (28, 28)
    """
    name = "conv_transpose2d_output_size"
    (kh, kw), (sh, sw) = pair(name, "kernel_size", kernel_size), pair(name, "stride", stride)
    (ph, pw), (oph, opw) = pair(name, "padding", padding, 0), pair(name, "output_padding", output_padding, 0)
    dh, dw = pair(name, "dilation", dilation)
    return ((h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1,
            (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1)


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


def _col2im(cols: np.ndarray, padded_shape, kernel, stride, dilation, out_hw) -> np.ndarray:
    """The adjoint of :func:`_im2col`: add every entry back onto the pixel it was read from.

    One slice-add per kernel tap ``(i, j)`` (``kh*kw`` of them), no ``np.add.at``; with a stride,
    the taps are grouped by the phase of the pixels they reach, so each add runs along whole rows."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    n, c, hp, wp = padded_shape
    taps = cols.reshape(n, c, kh, kw, ho, wo)
    # Tap (i, j) of window (oh, ow) reads pixel (oh*sh + i*dh, ow*sw + j*dw). Split the pixels into
    # the sh*sw phases (row % sh, column % sw): within a phase the tap's pixels are a contiguous
    # (Ho, Wo) block, so each slice-add runs along whole rows instead of every sh-th number.
    xp = np.zeros(padded_shape, dtype=cols.dtype)
    for p in range(sh):
        for q in range(sw):
            phase = np.zeros((n, c, -(-(hp - p) // sh), -(-(wp - q) // sw)), dtype=cols.dtype)
            for i in range(kh):
                if i * dh % sh != p:
                    continue
                for j in range(kw):
                    if j * dw % sw != q:
                        continue
                    a, b = i * dh // sh, j * dw // sw
                    phase[:, :, a:a + ho, b:b + wo] += taps[:, :, i, j]
            xp[:, :, p::sh, q::sw] = phase
    return xp


def _conv(x, weight, bias, stride, pads, dilation, groups, workspace=None, key="cols"):
    """The fast forward pass: ``(out, cols)`` for zero padding ``pads = ((top, bottom), (left, right))``."""
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


def _conv_weight_grad(dout, cols, weight_shape):
    """``dW = sum over images of dout[n] @ cols[n].T``, per group."""
    n, groups, k, hw = cols.shape
    out_c = weight_shape[0]
    d = dout.reshape(n, groups, out_c // groups, hw)  # (N, G, C_out/G, Ho*Wo)
    if out_c // groups <= hw:  # the per-image products are no bigger than cols: sum them
        dwmat = (d @ cols.swapaxes(2, 3)).sum(axis=0)  # (G, C_out/G, C/G*kh*kw)
    else:  # deep layers, small images: one product over all pixels of all images
        d = d.transpose(1, 2, 0, 3).reshape(groups, out_c // groups, n * hw)
        dwmat = d @ cols.transpose(1, 0, 3, 2).reshape(groups, n * hw, k)
    return dwmat.reshape(weight_shape)


def _conv_input_grad(dout, weight, stride, pads, dilation, groups, x_shape, workspace=None):
    """``dL/dx`` of :func:`_conv` for an input of shape ``x_shape``: a transposed convolution."""
    out_c, cg, kh, kw = weight.shape
    (top, bottom), (left, right) = pads
    eh, ew = dilation[0] * (kh - 1), dilation[1] * (kw - 1)  # the kernel's extent - 1
    if stride == (1, 1):
        # a "full" convolution of dout with the kernel rotated by 180 degrees and its two channel
        # axes swapped (within each group): (C_out, C/G, kh, kw) -> (C, C_out/G, kh, kw)
        flipped = weight.reshape(groups, out_c // groups, cg, kh, kw)[:, :, :, ::-1, ::-1]
        flipped = flipped.transpose(0, 2, 1, 3, 4).reshape(groups * cg, out_c // groups, kh, kw)
        full = ((eh - top, eh - bottom), (ew - left, ew - right))
        return _conv(dout, flipped, None, (1, 1), full, dilation, groups, workspace, "dout_cols")[0]
    n, _, h, w = x_shape
    wmat = weight.reshape(groups, out_c // groups, cg * kh * kw)
    d = dout.reshape(n, groups, out_c // groups, -1)  # (N, G, C_out/G, Ho*Wo)
    dcols = wmat.swapaxes(1, 2) @ d  # (N, G, C/G*kh*kw, Ho*Wo)
    padded = (n, groups * cg, h + top + bottom, w + left + right)
    dxp = _col2im(dcols, padded, (kh, kw), stride, dilation, dout.shape[2:])
    return _zero_pad(dxp, ((-top, -bottom), (-left, -right)))  # drop the padding


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
        sizes of :func:`conv2d_output_size`.

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
    cache = dict(cols=cols, weight=weight, x_shape=x.shape, stride=(sh, sw), pads=pads, dilation=(dh, dw),
                 groups=groups, has_bias=bias is not None)
    return out, cache


def conv2d_backward(dout, cache, *, workspace=None):
    """Gradients of :func:`conv2d_forward`.

    With ``X = cols[n]`` the im2col matrix of image ``n`` and ``W`` the weight as a matrix
    (``out[n] = W @ X``)::

        dW = sum over n of dout[n] @ X.T         # matrix products with the cached im2col matrices
        dX = W.T @ dout[n], then col2im           # each column added back onto the pixels it read
        db = dout summed over N, H_out, W_out

    For stride 1, ``dx`` is computed as the equivalent "full" convolution of ``dout`` with the
    kernel rotated by 180 degrees, which is faster (no col2im). ``workspace``: as in
    :func:`conv2d_forward` (for the im2col matrix of ``dout``).

    Returns:
        ``(dx, dweight, dbias)``; ``dbias`` is ``None`` without a bias.
    """
    c = cache
    dout = np.asarray(dout, dtype=c["cols"].dtype)
    dw = _conv_weight_grad(dout, c["cols"], c["weight"].shape)
    dx = _conv_input_grad(dout, c["weight"], c["stride"], c["pads"], c["dilation"], c["groups"], c["x_shape"],
                          workspace)
    db = dout.sum(axis=(0, 2, 3)) if c["has_bias"] else None
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


# -- transposed convolution: the pure core -------------------------------------------------------
def conv_transpose2d_forward(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1,
                             groups=1, *, workspace=None):
    """2-D transposed convolution: the input-gradient of a convolution, used as a layer.

    Every input pixel scatters ``x[n, :, h, w] @ weight`` (a ``kh x kw`` patch per output
    channel) onto the output at ``(h*sh + i*dh, w*sw + j*dw)``; then ``padding`` rows/columns are
    cut from each side, and ``output_padding`` extra ones are kept at the bottom/right. It is
    computed as the backward pass of the matching :func:`conv2d_forward`.

    Args:
        x: input ``(N, C_in, H, W)``.
        weight: ``(C_in, C_out // groups, kh, kw)``.
        bias: ``(C_out,)`` or ``None``.
        stride, padding, output_padding, dilation: ints or ``(h, w)`` pairs.
        groups: independent groups of channels.
        workspace: optional dict of reusable buffers, as in :func:`conv2d_forward`.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, C_out, H_out, W_out)``
        (:func:`conv_transpose2d_output_size`).

    Examples:
        >>> out, _ = conv_transpose2d_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), None, stride=2)
        >>> out[0, 0]  # each input pixel paints its own 2x2 block
        array([[1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.],
               [1., 1., 1., 1.]])
    """
    name = "conv_transpose2d_forward"
    x, weight, groups = _check_core(name, x, weight, groups, "(C_in, C_out // groups, kh, kw)")
    (sh, sw), (ph, pw) = pair(name, "stride", stride), pair(name, "padding", padding, 0)
    (oph, opw), (dh, dw) = pair(name, "output_padding", output_padding, 0), pair(name, "dilation", dilation)
    n, c, h, w = x.shape
    in_c, cg_out, kh, kw = weight.shape
    if in_c != c or c % groups:
        raise ValueError(
            f"{name}: a weight of shape {tuple(weight.shape)} expects {in_c} input channels "
            f"(divisible by groups={groups}), got input {tuple(x.shape)}"
        )
    if not (oph < max(sh, dh) and opw < max(sw, dw)):
        raise ValueError(f"{name}: output_padding {(oph, opw)} must be smaller than stride {(sh, sw)} "
                         f"or dilation {(dh, dw)}")
    ho, wo = conv_transpose2d_output_size(h, w, (kh, kw), (sh, sw), (ph, pw), (oph, opw), (dh, dw))
    if ho < 1 or wo < 1:
        raise ValueError(f"{name}: padding {(ph, pw)} leaves an empty output ({ho}, {wo}) "
                         f"for input {tuple(x.shape)} and kernel {(kh, kw)}")
    # the matching convolution maps (N, C_out, Ho, Wo) to x's shape: its padding is (p, p - output_padding)
    pads = ((ph, ph - oph), (pw, pw - opw))
    out_shape = (n, groups * cg_out, ho, wo)
    out = _conv_input_grad(x, weight, (sh, sw), pads, (dh, dw), groups, out_shape, workspace)
    if bias is not None:
        out += np.asarray(bias, dtype=x.dtype).reshape(-1, 1, 1)
    cache = dict(x=x, weight=weight, stride=(sh, sw), pads=pads, dilation=(dh, dw), groups=groups,
                 has_bias=bias is not None)
    return out, cache


def conv_transpose2d_backward(dout, cache, *, workspace=None):
    """Gradients of :func:`conv_transpose2d_forward`.

    The input-gradient of a transposed convolution is the matching ordinary convolution of
    ``dout`` with the same weight; the weight-gradient is that convolution's weight-gradient with
    the roles of input and output swapped.

    Returns:
        ``(dx, dweight, dbias)``; ``dbias`` is ``None`` without a bias.
    """
    c = cache
    dout = np.asarray(dout, dtype=c["x"].dtype)
    dx, cols = _conv(dout, c["weight"], None, c["stride"], c["pads"], c["dilation"], c["groups"], workspace)
    dweight = _conv_weight_grad(c["x"], cols, c["weight"].shape)
    db = dout.sum(axis=(0, 2, 3)) if c["has_bias"] else None
    return dx, dweight, db


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
def _batched(layer: str, x, channels: int, kind: str = "input"):
    """Accept ``(N, C, H, W)`` or an unbatched ``(C, H, W)``; return the 4-D array and the flag."""
    x = as_float_array(layer, x)
    if x.ndim not in (3, 4) or x.shape[-3] != channels:
        hint = ""
        if x.ndim == 3:
            hint = f" (a 3-D {kind} is read as one unbatched ({channels}, H, W) image)"
        raise ValueError(
            f"{layer} expected {kind} of shape (N, {channels}, H, W), got {tuple(x.shape)}{hint}"
        )
    if 0 in x.shape:
        raise ValueError(f"{layer} expected a non-empty {kind}, got shape {tuple(x.shape)}")
    return (x[None], True) if x.ndim == 3 else (x, False)


class Conv2d(Module):
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

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", *, dtype=np.float64,
                 rng=None):
        super().__init__()
        name = "Conv2d"
        self.in_channels = check_int(name, "in_channels", in_channels)
        self.out_channels = check_int(name, "out_channels", out_channels)
        self.kernel_size = pair(name, "kernel_size", kernel_size)
        self.stride = pair(name, "stride", stride)
        self.dilation = pair(name, "dilation", dilation)
        self.groups = check_int(name, "groups", groups)
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels={out_channels} must be divisible by groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name} expected padding_mode in {PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode
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

        dtype = check_float_dtype(name, dtype)
        rng = np.random.default_rng() if rng is None else rng
        kh, kw = self.kernel_size
        bound = fan_in_bound(in_channels // groups * kh * kw)
        shape = (out_channels, in_channels // groups, kh, kw)
        self.weight = Parameter(uniform_init(rng, shape, bound, dtype))
        self.bias = Parameter(uniform_init(rng, (out_channels,), bound, dtype)) if bias else None
        self._workspace = {}  # the im2col matrices, kept between calls (see conv2d_forward)

    def forward(self, x):
        x, unbatched = _batched("Conv2d", x, self.in_channels)
        (top, bottom), (left, right) = self._pads
        h, w = x.shape[2:]
        _check_fits("Conv2d", h + top + bottom, w + left + right, self.kernel_size, self.dilation)
        # zeros on both sides equally: the core pads; otherwise pad here ('same' with an odd total,
        # reflect, replicate, circular) and run the core without padding
        pad_here = self.padding_mode != "zeros" or top != bottom or left != right
        if pad_here:
            limit = {"reflect": (h - 1, w - 1), "circular": (h, w)}.get(self.padding_mode, (np.inf, np.inf))
            if max(top, bottom) > limit[0] or max(left, right) > limit[1]:
                raise ValueError(
                    f"Conv2d: padding_mode={self.padding_mode!r} needs padding at most {limit} for input "
                    f"{tuple(x.shape)}, got padding {self._pads}"
                )
            x = _pad_mode(x, self._pads, self.padding_mode)
        bias = None if self.bias is None else self.bias.data
        y, cache = conv2d_forward(x, self.weight.data, bias, self.stride, (0, 0) if pad_here else (top, left),
                                  self.dilation, self.groups, workspace=self._workspace)
        self._cache = (cache, pad_here, unbatched, y.shape)
        return y[0] if unbatched else y

    def backward(self, dy):
        cache, pad_here, unbatched, y_shape = self._saved()
        dy = check_grad("Conv2d", dy, y_shape[1:] if unbatched else y_shape)
        dx, dw, db = conv2d_backward(dy[None] if unbatched else dy, cache, workspace=self._workspace)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        if pad_here:
            dx = _pad_mode_backward(dx, self._pads, self.padding_mode)
        return dx[0] if unbatched else dx

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class ConvTranspose2d(Module):
    """2-D transposed convolution ("deconvolution"), as ``torch.nn.ConvTranspose2d``.

    It maps a ``Conv2d``'s output size back to its input size and is the gradient of that
    convolution with respect to its input: each input pixel paints a ``kh x kw`` patch, weighted by
    the kernel, ``stride`` pixels apart; overlapping patches add up.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size: int or ``(kh, kw)``.
        stride: int or pair, the spacing of the painted patches in the output.
        padding: int or pair, rows/columns removed from each side of the output (the padding of the
            matching ``Conv2d``).
        output_padding: int or pair, extra rows/columns kept at the bottom/right; must be smaller
            than ``stride`` or ``dilation``. It picks which of the input sizes a strided
            convolution maps to the same output size is meant.
        groups: independent groups of channels (must divide both channel counts).
        bias: if ``False``, no additive bias.
        dilation: int or pair, the spacing between kernel taps (1 = no gaps).
        padding_mode: only ``'zeros'`` (as in PyTorch).
        dtype: dtype of the parameters (float64 by default).
        rng: a ``numpy.random.Generator`` for the initialisation.

    Shape:
        - Input: ``(N, C_in, H_in, W_in)`` or unbatched ``(C_in, H_in, W_in)``.
        - Output: ``(N, C_out, H_out, W_out)`` where
          ``H_out = (H_in - 1)*stride[0] - 2*padding[0] + dilation[0]*(kernel_size[0] - 1)
          + output_padding[0] + 1``
          and the same for ``W_out``.

    Attributes:
        weight: ``(C_in, C_out // groups, kh, kw)`` (note: input channels first), initialised from
            ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with PyTorch's ``fan_in = C_out // groups * kh * kw``.
        bias: ``(C_out,)``, same distribution.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> up = ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1, rng=rng)
        >>> up
        ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))
        >>> up(np.ones((2, 16, 14, 14))).shape
        (2, 8, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", *, dtype=np.float64, rng=None):
        super().__init__()
        name = "ConvTranspose2d"
        self.in_channels = check_int(name, "in_channels", in_channels)
        self.out_channels = check_int(name, "out_channels", out_channels)
        self.kernel_size = pair(name, "kernel_size", kernel_size)
        self.stride = pair(name, "stride", stride)
        self.padding = pair(name, "padding", padding, 0)
        self.output_padding = pair(name, "output_padding", output_padding, 0)
        self.dilation = pair(name, "dilation", dilation)
        self.groups = check_int(name, "groups", groups)
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels={out_channels} must be divisible by groups={groups}")
        for op, s, d in zip(self.output_padding, self.stride, self.dilation, strict=True):
            if op >= max(s, d):
                raise ValueError(f"{name}: output_padding={self.output_padding} must be smaller than "
                                 f"stride={self.stride} or dilation={self.dilation}")
        if padding_mode != "zeros":
            raise ValueError(f"{name} supports only padding_mode='zeros', got {padding_mode!r}")
        self.padding_mode = padding_mode
        dtype = check_float_dtype(name, dtype)
        rng = np.random.default_rng() if rng is None else rng
        kh, kw = self.kernel_size
        bound = fan_in_bound(out_channels // groups * kh * kw)
        shape = (in_channels, out_channels // groups, kh, kw)
        self.weight = Parameter(uniform_init(rng, shape, bound, dtype))
        self.bias = Parameter(uniform_init(rng, (out_channels,), bound, dtype)) if bias else None
        self._workspace = {}  # the im2col matrices, kept between calls (see conv2d_forward)

    def forward(self, x):
        x, unbatched = _batched("ConvTranspose2d", x, self.in_channels)
        ho, wo = conv_transpose2d_output_size(x.shape[2], x.shape[3], self.kernel_size, self.stride,
                                              self.padding, self.output_padding, self.dilation)
        if ho < 1 or wo < 1:
            raise ValueError(f"ConvTranspose2d: padding={self.padding} leaves an empty output ({ho}, {wo}) "
                             f"for input {tuple(x.shape)} and kernel_size={self.kernel_size}")
        bias = None if self.bias is None else self.bias.data
        y, cache = conv_transpose2d_forward(x, self.weight.data, bias, self.stride, self.padding,
                                            self.output_padding, self.dilation, self.groups,
                                            workspace=self._workspace)
        self._cache = (cache, unbatched, y.shape)
        return y[0] if unbatched else y

    def backward(self, dy):
        cache, unbatched, y_shape = self._saved()
        dy = check_grad("ConvTranspose2d", dy, y_shape[1:] if unbatched else y_shape)
        dy = dy[None] if unbatched else dy
        dx, dw, db = conv_transpose2d_backward(dy, cache, workspace=self._workspace)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx[0] if unbatched else dx

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
        return s
