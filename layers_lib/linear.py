"""The dense (fully connected) layer, ``y = x @ W.T + b``.

Convention (PyTorch's): ``weight`` has shape ``(out_features, in_features)``, so row ``i`` holds
the weights of output unit ``i``; a maths text writing one column vector computes ``W x + b``,
the same numbers transposed. Any number of leading dimensions is allowed: the layer acts on the
last one.

The gradients, for ``y = x W^T + b`` with ``x`` flattened to ``(M, in_features)``::

    dL/dx = dy @ W            # (M, in_features)
    dL/dW = dy.T @ x          # (out_features, in_features): a sum over the M rows
    dL/db = dy.sum(axis=0)    # (out_features,)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_float_dtype, check_grad, check_int
from .module import Module, Parameter, fan_in_bound, uniform_init

__all__ = ["Linear", "LinearCache", "linear_forward", "linear_backward"]


class LinearCache(NamedTuple):
    """What :func:`linear_backward` needs from the forward pass."""

    x: np.ndarray  # (*, in_features)
    weight: np.ndarray  # (out_features, in_features), in x's dtype
    has_bias: bool


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None):
    """``y = x @ weight.T + bias`` on the last axis of ``x``.

    Args:
        x: input of shape ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or ``None``.

    Returns:
        ``(y, cache)`` with ``y`` of shape ``(*, out_features)`` in ``x``'s dtype and a
        :class:`LinearCache`.

    Examples:
        >>> x = np.array([[1.0, 2.0]])
        >>> y, _ = linear_forward(x, np.array([[1.0, 1.0], [0.0, 2.0]]), np.array([0.5, 0.0]))
        >>> y
        array([[3.5, 4. ]])
    """
    w = weight.astype(x.dtype, copy=False)
    y = x @ w.T  # (*, out_features)
    if bias is not None:
        y += bias.astype(x.dtype, copy=False)
    return y, LinearCache(x, w, bias is not None)


def linear_backward(dy: np.ndarray, cache: LinearCache):
    """Gradients of :func:`linear_forward`.

    Returns:
        ``(dx, dweight, dbias)``; ``dbias`` is ``None`` when the layer has no bias.
    """
    x, w, has_bias = cache
    dx = dy @ w  # (*, in_features)
    dy2 = dy.reshape(-1, dy.shape[-1])  # (M, out_features)
    x2 = x.reshape(-1, x.shape[-1])  # (M, in_features)
    dw = dy2.T @ x2  # (out_features, in_features)
    db = dy2.sum(axis=0) if has_bias else None
    return dx, dw, db


class Linear(Module):
    """Applies ``y = x @ weight.T + bias`` to the last dimension of the input.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if ``False``, the layer has no additive bias (``self.bias is None``).
        dtype: dtype of the parameters (float64 by default).
        rng: a ``numpy.random.Generator`` for the initialisation.

    Shape:
        - Input: ``(*, in_features)``, e.g. ``(N, in_features)`` or ``(N, T, in_features)``.
        - Output: ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in_features)``, initialised like PyTorch from
            ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.
        bias: ``(out_features,)``, same initialisation.

    Examples:
        >>> layer = Linear(4, 3, rng=np.random.default_rng(0))
        >>> layer
        Linear(in_features=4, out_features=3, bias=True)
        >>> y = layer(np.ones((2, 5, 4)))
        >>> y.shape
        (2, 5, 3)
        >>> layer.backward(np.ones_like(y)).shape, layer.weight.grad.shape
        ((2, 5, 4), (3, 4))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float64,
                 rng=None):
        super().__init__()
        self.in_features = check_int("Linear", "in_features", in_features)
        self.out_features = check_int("Linear", "out_features", out_features)
        dtype = check_float_dtype("Linear", dtype)
        rng = np.random.default_rng() if rng is None else rng
        bound = fan_in_bound(in_features)
        self.weight = Parameter(uniform_init(rng, (out_features, in_features), bound, dtype))
        self.bias = Parameter(uniform_init(rng, (out_features,), bound, dtype)) if bias else None

    def forward(self, x):
        x = as_float_array("Linear", x)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear expected input of shape (*, {self.in_features}) "
                f"(last dimension = in_features), got {tuple(x.shape)}"
            )
        y, self._cache = linear_forward(x, self.weight.data, None if self.bias is None else self.bias.data)
        return y

    def backward(self, dy):
        cache = self._saved()
        dy = check_grad("Linear", dy, cache.x.shape[:-1] + (self.out_features,))
        dx, dw, db = linear_backward(dy.astype(cache.x.dtype, copy=False), cache)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
