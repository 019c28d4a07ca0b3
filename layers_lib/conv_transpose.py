"""The transposed convolution: :class:`ConvTranspose2d` and its pure core.

A transposed convolution ("deconvolution") is the backward pass of a convolution with respect to
its input, used as a layer: it maps a :class:`~layers_lib.Conv2d`'s output size back to its input
size. So it is built from the blocks of ``conv.py``: its forward pass is ``_conv_input_grad``
(the input gradient of the matching convolution), its backward pass an ordinary convolution and
that convolution's weight gradient, and the layer is the second subclass of ``_ConvNd``.

Conventions (PyTorch's): ``weight`` has shape ``(in_channels, out_channels // groups, kh, kw)``
(input channels first); ``padding`` removes rows/columns from each side of the output (the padding
of the matching convolution); ``output_padding`` keeps extra ones at the bottom/right.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import pair
from .conv import _check_core, _conv, _conv_input_grad, _conv_weight_grad, _ConvNd

__all__ = [
    "ConvTranspose2d",
    "conv_transpose2d_forward",
    "conv_transpose2d_backward",
    "conv_transpose2d_output_size",
    "ConvTranspose2dCache",
]


# -- what the pure forward hands its backward -----------------------------------------------------
class ConvTranspose2dCache(NamedTuple):
    """The cache of :func:`conv_transpose2d_forward`: the input and the geometry of the matching
    convolution (whose input gradient the forward pass computed)."""

    x: np.ndarray  # (N, C_in, H, W)
    weight: np.ndarray  # (C_in, C_out/G, kh, kw) in the input's dtype
    out_hw: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]  # the matching convolution's padding
    dilation: tuple[int, int]
    groups: int
    has_bias: bool

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.x.shape[0], self.groups * self.weight.shape[1], *self.out_hw)


# -- sizes ---------------------------------------------------------------------------------------
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


# -- the pure core ------------------------------------------------------------------------------
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
        (:func:`conv_transpose2d_output_size`) and a :class:`ConvTranspose2dCache`.

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
    return out, ConvTranspose2dCache(x, weight, (ho, wo), (sh, sw), pads, (dh, dw), groups, bias is not None)


def conv_transpose2d_backward(dy, cache: ConvTranspose2dCache, *, workspace=None):
    """Gradients of :func:`conv_transpose2d_forward`.

    The input-gradient of a transposed convolution is the matching ordinary convolution of
    ``dy`` with the same weight; the weight-gradient is that convolution's weight-gradient with
    the roles of input and output swapped.

    Returns:
        ``(dx, dweight, dbias)``; ``dbias`` is ``None`` without a bias.
    """
    c = cache
    dy = np.asarray(dy, dtype=c.x.dtype)
    dx, cols = _conv(dy, c.weight, None, c.stride, c.pads, c.dilation, c.groups, workspace)
    dweight = _conv_weight_grad(c.x, cols, c.weight.shape)
    db = dy.sum(axis=(0, 2, 3)) if c.has_bias else None
    return dx, dweight, db


# -- the layer ----------------------------------------------------------------------------------
class ConvTranspose2d(_ConvNd):
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

    _transposed = True
    _core_backward = staticmethod(conv_transpose2d_backward)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", *, dtype=np.float64, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, dilation, groups, bias, padding_mode,
                         dtype, rng)
        name = "ConvTranspose2d"
        self.padding = pair(name, "padding", padding, 0)
        self.output_padding = pair(name, "output_padding", output_padding, 0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation, strict=True):
            if op >= max(s, d):
                raise ValueError(f"{name}: output_padding={self.output_padding} must be smaller than "
                                 f"stride={self.stride} or dilation={self.dilation}")

    def forward(self, x):
        x = self._batch(x)
        ho, wo = conv_transpose2d_output_size(x.shape[2], x.shape[3], self.kernel_size, self.stride,
                                              self.padding, self.output_padding, self.dilation)
        if ho < 1 or wo < 1:
            raise ValueError(f"ConvTranspose2d: padding={self.padding} leaves an empty output ({ho}, {wo}) "
                             f"for input {tuple(x.shape)} and kernel_size={self.kernel_size}")
        bias = None if self.bias is None else self.bias.data
        y, self._cache = conv_transpose2d_forward(x, self.weight.data, bias, self.stride, self.padding,
                                                  self.output_padding, self.dilation, self.groups,
                                                  workspace=self._workspace)
        return self._unbatch(y)
