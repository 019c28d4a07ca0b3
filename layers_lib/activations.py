"""Activation functions and ``Flatten``: layers without parameters (except PReLU's slopes).

Each activation is written as pure functions first — the function itself (``relu``,
``sigmoid``, ``gelu``, ``elu``, ``silu``, ...) and its elementwise derivative
(``relu_derivative``, ...) — so chapters can plot them; the classes only cache what the backward
pass needs and multiply the upstream gradient by the derivative (the chain rule, elementwise)::

    dL/dx = dL/dy * f'(x)

At a kink (ReLU's 0, Hardswish's ±3) the derivative takes the value PyTorch uses; each
``*_derivative`` docstring says which. ``PReLU`` learns its negative slope and also fills
``weight.grad`` (:func:`prelu_backward`).

Softmax and log-softmax are not elementwise: every output along ``dim`` depends on every input
along ``dim``, and their backward passes contract the upstream gradient with the Jacobian
(:func:`softmax_backward`, :func:`log_softmax_backward`).

Numerical stability: ``sigmoid`` and ``softplus`` never exponentiate a positive number, the ELUs
exponentiate only ``min(x, 0)``, and ``softmax`` / ``log_softmax`` subtract the maximum along
``dim`` first, so inputs of ``±1000`` (and far beyond) neither overflow nor warn.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import as_float_array, check_float_dtype, check_grad, check_int
from .module import Module, Parameter

__all__ = [
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax", "Flatten",
    "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Hardsigmoid", "Hardswish", "PReLU",
    "relu", "relu_derivative", "leaky_relu", "leaky_relu_derivative", "sigmoid",
    "sigmoid_derivative", "tanh", "tanh_derivative", "erf", "gelu", "gelu_derivative",
    "elu", "elu_derivative", "selu", "selu_derivative", "celu", "celu_derivative",
    "silu", "silu_derivative", "mish", "mish_derivative", "softplus", "softplus_derivative",
    "hardsigmoid", "hardsigmoid_derivative", "hardswish", "hardswish_derivative",
    "prelu", "prelu_backward",
    "softmax", "softmax_backward", "log_softmax", "log_softmax_backward",
]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_COEF = 0.044715


# -- pure functions -----------------------------------------------------------------------------
def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``, elementwise.

    Examples:
        >>> relu(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
    """
    return np.maximum(x, 0)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    """``1`` where ``x > 0``, else ``0`` (at the kink ``x = 0`` we take 0, as PyTorch does)."""
    return (x > 0).astype(x.dtype)


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    Examples:
        >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
        array([-0.2,  3. ])
    """
    return np.where(x > 0, x, x * negative_slope)


def leaky_relu_derivative(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``1`` where ``x > 0``, else ``negative_slope``."""
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    For ``x >= 0`` it uses ``1 / (1 + e)`` and for ``x < 0`` the equal ``e / (1 + e)``, with
    ``e = exp(-|x|) <= 1`` in both cases.

    Examples:
        >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """``sigmoid(x) * (1 - sigmoid(x))``."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent (``np.tanh``), listed here beside its derivative."""
    return np.tanh(x)


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """``1 - tanh(x)**2``."""
    return 1 - np.tanh(x) ** 2


# NumPy has no erf. math.erf is correctly rounded to within an ulp (it is the C library's erf,
# which PyTorch uses too); np.frompyfunc applies it elementwise at about 0.15-0.4 µs per element,
# as fast as a vectorised rational approximation costing ~100 NumPy passes, and exact.
_erf_elementwise = np.frompyfunc(math.erf, 1, 1)


def erf(x) -> np.ndarray:
    """The error function ``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt``, elementwise.

    Computed in float64 by ``math.erf`` and returned in ``x``'s floating dtype.

    Examples:
        >>> erf(np.array([0.0, 0.5, -3.0]))
        array([ 0.        ,  0.52049988, -0.99997791])
    """
    x = np.asarray(x)
    out_dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    return np.asarray(_erf_elementwise(x.astype(np.float64)), dtype=np.float64).astype(out_dtype, copy=False)


def _check_gelu_approximate(approximate) -> str:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"GELU expected approximate to be 'none' or 'tanh', got {approximate!r}")
    return approximate


def _gelu_cdf(x: np.ndarray, approximate: str) -> np.ndarray:
    """``Phi(x)``, exactly or by the tanh approximation."""
    if approximate == "tanh":
        return 0.5 * (1 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x**3)))
    return 0.5 * (1 + erf(x * math.sqrt(0.5)))


def _gelu_derivative_from_cdf(x: np.ndarray, cdf: np.ndarray, approximate: str) -> np.ndarray:
    """``d(x * Phi(x))/dx = Phi(x) + x * Phi'(x)``, reusing ``Phi(x)`` from the forward pass."""
    if approximate == "tanh":
        t = 2 * cdf - 1  # tanh(sqrt(2/pi) * (x + 0.044715 x^3))
        dinner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_COEF * x**2)
        return cdf + 0.5 * x * (1 - t * t) * dinner
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # the standard normal density
    return cdf + x * pdf


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """The Gaussian error linear unit ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    Args:
        x: input array.
        approximate: ``'none'`` for the exact ``Phi(x) = (1 + erf(x / sqrt(2))) / 2``;
            ``'tanh'`` for ``(1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2``.

    Examples:
        >>> np.round(gelu(np.array([-1.0, 0.0, 1.0])), 6)
        array([-0.158655,  0.      ,  0.841345])
    """
    return x * _gelu_cdf(x, _check_gelu_approximate(approximate))


def gelu_derivative(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """``d gelu / dx = Phi(x) + x * Phi'(x)`` (for ``'tanh'``, the derivative of the tanh form)."""
    approximate = _check_gelu_approximate(approximate)
    return _gelu_derivative_from_cdf(x, _gelu_cdf(x, approximate), approximate)


# -- the exponential, smooth and hard relatives of ReLU --------------------------------------------
# Constants of SELU (Klambauer et al., 2017), to the digits PyTorch uses: with them a standard
# normal input gives an output of mean 0 and variance 1.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_dtype(x: np.ndarray) -> np.dtype:
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)


def _check_real(layer: str, name: str, value, nonzero: str | None = None) -> float:
    """A finite real hyper-parameter; with ``nonzero`` (the reason), zero is refused too."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer} expected {name} to be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{layer} expected {name} to be a finite number, got {value}")
    if nonzero and value == 0:
        raise ValueError(f"{layer} expected {name} != 0 ({nonzero}), got {value}")
    return value


def _check_threshold(threshold) -> float:
    """Softplus's threshold may be infinite (never switch to ``x``), not ``nan``."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"Softplus expected threshold to be a number, got {threshold!r}")
    if math.isnan(threshold):
        raise ValueError(f"Softplus expected threshold to be a number, got {threshold}")
    return float(threshold)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """The exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Only ``min(x, 0)`` is exponentiated, so large positive inputs never overflow, and ``expm1``
    keeps ``exp(x) - 1`` accurate for small ``|x|`` (as PyTorch does).

    Examples:
        >>> elu(np.array([-1e300, -1.0, 0.0, 2.0]))
        array([-1.        , -0.63212056,  0.        ,  2.        ])
    """
    x = np.asarray(x)
    alpha = _check_real("ELU", "alpha", alpha)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``1`` for ``x > 0``, ``alpha * exp(x)`` otherwise; at the kink ``x = 0`` PyTorch takes the
    left-hand value ``alpha``, and so do we.

    Examples:
        >>> elu_derivative(np.array([-1.0, 0.0, 1.0]), alpha=0.5)
        array([0.18393972, 0.5       , 1.        ])
    """
    x = np.asarray(x)
    alpha = _check_real("ELU", "alpha", alpha)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(_float_dtype(x), copy=False)


def selu(x: np.ndarray) -> np.ndarray:
    """The scaled ELU ``scale * elu(x, alpha)`` with ``alpha ≈ 1.6733`` and ``scale ≈ 1.0507``.

    Examples:
        >>> selu(np.array([-1e4, 0.0, 1.0]))
        array([-1.75809934,  0.        ,  1.05070099])
    """
    x = np.asarray(x)
    return np.where(x > 0, _SELU_SCALE * x, (_SELU_SCALE * _SELU_ALPHA) * np.expm1(np.minimum(x, 0)))


def selu_derivative(x: np.ndarray) -> np.ndarray:
    """``scale`` for ``x > 0``, ``scale * alpha * exp(x)`` otherwise (``scale * alpha ≈ 1.7581``
    at ``x = 0``, PyTorch's value).

    Examples:
        >>> selu_derivative(np.array([0.0, 1.0]))
        array([1.75809934, 1.05070099])
    """
    x = np.asarray(x)
    neg = (_SELU_SCALE * _SELU_ALPHA) * np.exp(np.minimum(x, 0))
    return np.where(x > 0, _SELU_SCALE, neg).astype(_float_dtype(x), copy=False)


def celu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """The continuously differentiable ELU: ``x`` for ``x > 0``, ``alpha * (exp(x / alpha) - 1)``
    otherwise. Its slope is 1 on both sides of 0 for every ``alpha`` (``alpha != 0``).

    Examples:
        >>> celu(np.array([-1e300, -1.0, 2.0]), alpha=2.0)
        array([-2.        , -0.78693868,  2.        ])
    """
    x = np.asarray(x)
    alpha = _check_real("CELU", "alpha", alpha, nonzero="it divides x")
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


def celu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``1`` for ``x > 0``, ``exp(x / alpha)`` otherwise (``1`` at ``x = 0`` from both sides).

    Examples:
        >>> celu_derivative(np.array([-2.0, 0.0, 2.0]), alpha=2.0)
        array([0.36787944, 1.        , 1.        ])
    """
    x = np.asarray(x)
    alpha = _check_real("CELU", "alpha", alpha, nonzero="it divides x")
    return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0) / alpha)).astype(_float_dtype(x), copy=False)


def silu(x: np.ndarray) -> np.ndarray:
    """The sigmoid linear unit (also called swish) ``x * sigmoid(x)``.

    Examples:
        >>> silu(np.array([-1e4, 0.0, 1.0, 1e4]))
        array([-0.00000000e+00,  0.00000000e+00,  7.31058579e-01,  1.00000000e+04])
    """
    x = np.asarray(x)
    return x * sigmoid(x)


def silu_derivative(x: np.ndarray) -> np.ndarray:
    """``s * (1 + x * (1 - s))`` with ``s = sigmoid(x)``.

    Examples:
        >>> silu_derivative(np.array([0.0, 1e4]))
        array([0.5, 1. ])
    """
    x = np.asarray(x)
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


def _softplus_unit(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` as ``max(z, 0) + log1p(exp(-|z|))``: never exponentiates a positive number."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """``log(1 + exp(beta * x)) / beta``, a smooth ReLU; where ``beta * x > threshold`` it returns
    ``x`` itself, as PyTorch does (there the two differ by less than ``exp(-threshold) / |beta|``).

    Computed as ``(max(z, 0) + log1p(exp(-|z|))) / beta`` with ``z = beta * x``, which is finite
    for every finite ``z`` whatever the threshold. (PyTorch's ``log1p(exp(z))`` overflows to
    ``inf`` if a threshold above about 709 lets ``z`` that large through.)

    Examples:
        >>> softplus(np.array([-1e4, 0.0, 1.0, 1e4]))
        array([0.00000000e+00, 6.93147181e-01, 1.31326169e+00, 1.00000000e+04])
    """
    x = np.asarray(x)
    beta = _check_real("Softplus", "beta", beta, nonzero="it divides the output")
    z = beta * x
    return np.where(z > _check_threshold(threshold), x, _softplus_unit(z) / beta)


def softplus_derivative(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """``sigmoid(beta * x)``, and exactly ``1`` where ``beta * x > threshold`` (the linear part).

    Examples:
        >>> softplus_derivative(np.array([0.0, 20.0, 20.5]))
        array([0.5, 1. , 1. ])
    """
    x = np.asarray(x)
    beta = _check_real("Softplus", "beta", beta, nonzero="it divides the output")
    z = beta * x
    return np.where(z > _check_threshold(threshold), 1.0, sigmoid(z)).astype(_float_dtype(x), copy=False)


def mish(x: np.ndarray) -> np.ndarray:
    """``x * tanh(softplus(x))``, with the stable softplus.

    Examples:
        >>> mish(np.array([-1e4, 0.0, 1.0, 1e4]))
        array([-0.00000000e+00,  0.00000000e+00,  8.65098388e-01,  1.00000000e+04])
    """
    x = np.asarray(x)
    return x * np.tanh(_softplus_unit(x))


def mish_derivative(x: np.ndarray) -> np.ndarray:
    """``t + x * sigmoid(x) * (1 - t**2)`` with ``t = tanh(softplus(x))`` (``0.6`` at ``x = 0``).

    Examples:
        >>> mish_derivative(np.array([0.0, 1e300]))
        array([0.6, 1. ])
    """
    x = np.asarray(x)
    t = np.tanh(_softplus_unit(x))
    return t + x * sigmoid(x) * (1 - t * t)


def hardsigmoid(x: np.ndarray) -> np.ndarray:
    """The piecewise-linear sigmoid ``relu6(x + 3) / 6``: 0 below -3, 1 above 3, ``x/6 + 1/2`` between.

    Examples:
        >>> hardsigmoid(np.array([-4.0, 0.0, 1.5, 4.0]))
        array([0.  , 0.5 , 0.75, 1.  ])
    """
    x = np.asarray(x)
    return np.clip(x + 3, 0, 6) / 6


def hardsigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """``1/6`` for ``-3 < x < 3`` and ``0`` elsewhere, ``0`` at the corners ``±3`` (PyTorch's choice).

    Examples:
        >>> hardsigmoid_derivative(np.array([-3.0, 0.0, 3.0]))
        array([0.        , 0.16666667, 0.        ])
    """
    x = np.asarray(x)
    return np.where((x > -3) & (x < 3), 1 / 6, 0.0).astype(_float_dtype(x), copy=False)


def hardswish(x: np.ndarray) -> np.ndarray:
    """``x * relu6(x + 3) / 6``: 0 below -3, ``x`` above 3, ``x (x + 3) / 6`` between.

    Examples:
        >>> hardswish(np.array([-4.0, -1.5, 0.0, 4.0]))
        array([-0.   , -0.375,  0.   ,  4.   ])
    """
    x = np.asarray(x)
    return x * (np.clip(x + 3, 0, 6) / 6)  # divide first: x * 6 would overflow near the float maximum


def hardswish_derivative(x: np.ndarray) -> np.ndarray:
    """``0`` for ``x <= -3``, ``x/3 + 1/2`` for ``-3 < x < 3``, ``1`` for ``x >= 3``: at both
    corners PyTorch takes the value of the outer piece, and so do we.

    Examples:
        >>> hardswish_derivative(np.array([-3.0, 0.0, 3.0]))
        array([0. , 0.5, 1. ])
    """
    x = np.asarray(x)
    inner = x / 3 + 0.5
    return np.where(x <= -3, 0.0, np.where(x < 3, inner, 1.0)).astype(_float_dtype(x), copy=False)


def _prelu_weight(x: np.ndarray, weight) -> np.ndarray:
    """``weight`` (``(C,)``) shaped to broadcast along dimension 1 of ``x``, after checking that
    ``x`` has ``C`` channels. An input with fewer than two dimensions has one channel."""
    weight = np.asarray(weight)
    if weight.ndim != 1 or weight.size == 0:
        raise ValueError(f"PReLU expected a weight of shape (num_parameters,), got {tuple(weight.shape)}")
    n = weight.size
    if n == 1:
        return weight.reshape(())
    if x.ndim < 2 or x.shape[1] != n:
        hint = "; an input with fewer than 2 dimensions has 1 channel" if x.ndim < 2 else ""
        raise ValueError(f"PReLU expected input with {n} channels (num_parameters={n}), "
                         f"got shape {tuple(x.shape)}{hint}")
    return weight.reshape((n,) + (1,) * (x.ndim - 2))  # (C, 1, ..., 1): lines up with dim 1


def prelu(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x`` for ``x > 0``, ``weight[c] * x`` otherwise, ``c`` the channel (dimension 1).

    Args:
        x: input ``(N, C, *)``; with one slope (``weight`` of shape ``(1,)``) any shape.
        weight: the learnable slopes, shape ``(C,)`` or ``(1,)``.

    Examples:
        >>> prelu(np.array([[-2.0, -2.0], [3.0, -1.0]]), np.array([0.25, 0.5]))
        array([[-0.5, -1. ],
               [ 3. , -0.5]])
    """
    x = np.asarray(x)
    w = _prelu_weight(x, weight).astype(_float_dtype(x), copy=False)
    return np.where(x > 0, x, w * x)


def prelu_backward(dy: np.ndarray, x: np.ndarray, weight: np.ndarray):
    """Gradients of :func:`prelu`: ``dx = dy`` where ``x > 0`` and ``weight[c] * dy`` elsewhere
    (also at ``x = 0``, as in PyTorch); ``dweight[c]`` sums ``x * dy`` over the non-positive
    inputs of channel ``c`` (over all inputs when there is one slope).

    Returns:
        ``(dx, dweight)`` with the shapes of ``x`` and ``weight``.

    Examples:
        >>> dx, dw = prelu_backward(np.ones((2, 2)), np.array([[-2.0, 1.0], [3.0, -1.0]]),
        ...                         np.array([0.25, 0.5]))
        >>> dx, dw
        (array([[0.25, 1.  ],
               [1.  , 0.5 ]]), array([-2., -1.]))
    """
    w = _prelu_weight(x, weight).astype(x.dtype, copy=False)
    positive = x > 0
    dx = np.where(positive, dy, w * dy)
    per_input = np.where(positive, 0.0, x * dy)  # d(w x)/dw * dy on the negative side
    if np.size(weight) == 1:
        return dx, per_input.sum().reshape(1)
    return dx, per_input.sum(axis=(0,) + tuple(range(2, x.ndim)))  # sum all but dim 1: (C,)


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along ``dim``, shifted by the maximum so nothing overflows.

    Examples:
        >>> softmax(np.array([1000.0, 0.0, -1000.0]), dim=0)
        array([1., 0., 0.])
    """
    if x.size == 0:
        return x.copy()
    shifted = x - x.max(axis=dim, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=dim, keepdims=True)


def softmax_backward(dy: np.ndarray, y: np.ndarray, dim: int = -1) -> np.ndarray:
    """``dL/dx`` for ``y = softmax(x)``: the Jacobian ``diag(y) - y y^T`` applied to ``dy``,
    i.e. ``y * (dy - sum(dy * y))`` along ``dim``."""
    return y * (dy - np.sum(dy * y, axis=dim, keepdims=True))


def log_softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``x - log(sum(exp(x)))`` along ``dim`` (the log-sum-exp trick: shift by the maximum).

    Examples:
        >>> log_softmax(np.array([1000.0, 0.0]), dim=0)
        array([    0., -1000.])
    """
    if x.size == 0:
        return x.copy()
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def log_softmax_backward(dy: np.ndarray, y: np.ndarray, dim: int = -1) -> np.ndarray:
    """``dL/dx`` for ``y = log_softmax(x)``: ``dy - softmax(x) * sum(dy)`` along ``dim``,
    with ``softmax(x) = exp(y)``."""
    return dy - np.exp(y) * np.sum(dy, axis=dim, keepdims=True)


# -- layers ---------------------------------------------------------------------------------------
class _Elementwise(Module):
    """Shared plumbing of the elementwise activations: check, cache, chain rule."""

    def _input(self, x) -> np.ndarray:
        return as_float_array(type(self).__name__, x)

    def _check_dy(self, dy, like: np.ndarray) -> np.ndarray:
        return check_grad(type(self).__name__, dy, like.shape).astype(like.dtype, copy=False)


class ReLU(_Elementwise):
    """``max(x, 0)`` elementwise.

    Shape:
        - Input: ``(*)``, any shape.
        - Output: ``(*)``, same shape.

    Examples:
        >>> relu_layer = ReLU()
        >>> relu_layer(np.array([-1.0, 2.0]))
        array([0., 2.])
        >>> relu_layer.backward(np.array([5.0, 5.0]))
        array([0., 5.])
    """

    def forward(self, x):
        x = self._input(x)
        self._cache = (x > 0, x.dtype)
        return relu(x)

    def backward(self, dy):
        positive, dtype = self._saved()
        dy = check_grad("ReLU", dy, positive.shape).astype(dtype, copy=False)
        return dy * positive


class LeakyReLU(_Elementwise):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the slope for negative inputs (default ``0.01``).

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> LeakyReLU(0.1)(np.array([-2.0, 3.0]))
        array([-0.2,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(f"LeakyReLU expected negative_slope to be a number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        x = self._input(x)
        self._cache = x
        return leaky_relu(x, self.negative_slope)

    def backward(self, dy):
        x = self._saved()
        return self._check_dy(dy, x) * leaky_relu_derivative(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(_Elementwise):
    """The logistic function ``1 / (1 + exp(-x))``; backward uses ``y * (1 - y)``.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Sigmoid()(np.array([0.0]))
        array([0.5])
    """

    def forward(self, x):
        x = self._input(x)
        y = sigmoid(x)
        self._cache = y
        return y

    def backward(self, dy):
        y = self._saved()
        return self._check_dy(dy, y) * (y * (1 - y))


class Tanh(_Elementwise):
    """The hyperbolic tangent; backward uses ``1 - y**2``.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Tanh()(np.array([0.0]))
        array([0.])
    """

    def forward(self, x):
        x = self._input(x)
        y = np.tanh(x)
        self._cache = y
        return y

    def backward(self, dy):
        y = self._saved()
        return self._check_dy(dy, y) * (1 - y * y)


class GELU(_Elementwise):
    """The Gaussian error linear unit ``x * Phi(x)`` (see :func:`gelu`).

    Args:
        approximate: ``'none'`` (exact, with ``erf``) or ``'tanh'`` (the tanh approximation).

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> np.round(GELU()(np.array([1.0])), 6)
        array([0.841345])
        >>> GELU(approximate='tanh')
        GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = _check_gelu_approximate(approximate)

    def forward(self, x):
        x = self._input(x)
        cdf = _gelu_cdf(x, self.approximate)
        self._cache = (x, cdf)  # keeping Phi(x) saves a second erf in backward
        return x * cdf

    def backward(self, dy):
        x, cdf = self._saved()
        return self._check_dy(dy, x) * _gelu_derivative_from_cdf(x, cdf, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _Pointwise(_Elementwise):
    """An elementwise activation whose backward needs only its input: ``forward`` caches ``x`` and
    returns ``self._f(x)``; ``backward`` returns ``dy * self._df(x)``."""

    def _f(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _df(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x):
        x = self._input(x)
        self._cache = x
        return self._f(x)

    def backward(self, dy):
        x = self._saved()
        return self._check_dy(dy, x) * self._df(x)


class ELU(_Pointwise):
    """The exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: the value ``-alpha`` that the output approaches for very negative inputs
            (default ``1.0``).

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> elu_layer = ELU(alpha=0.5)
        >>> elu_layer(np.array([-1.0, 0.0, 2.0]))
        array([-0.31606028,  0.        ,  2.        ])
        >>> elu_layer.backward(np.ones(3))  # alpha * exp(x) left of 0 and at 0, 1 right of it
        array([0.18393972, 0.5       , 1.        ])
        >>> elu_layer
        ELU(alpha=0.5)
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = _check_real("ELU", "alpha", alpha)

    def _f(self, x):
        return elu(x, self.alpha)

    def _df(self, x):
        return elu_derivative(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(_Pointwise):
    """The scaled ELU ``scale * (x if x > 0 else alpha * (exp(x) - 1))``, ``alpha ≈ 1.6733``,
    ``scale ≈ 1.0507``: the two constants that make a standard normal input come out with mean 0
    and variance 1. Pair it with LeCun-normal weights, ``N(0, 1/fan_in)``.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> SELU()(np.array([-1e4, 1.0]))
        array([-1.75809934,  1.05070099])
    """

    def _f(self, x):
        return selu(x)

    def _df(self, x):
        return selu_derivative(x)


class CELU(_Pointwise):
    """The continuously differentiable ELU: ``x`` for ``x > 0``, ``alpha * (exp(x/alpha) - 1)``
    otherwise; its slope is 1 at 0 from both sides.

    Args:
        alpha: the scale of the negative part (default ``1.0``; must not be 0). PyTorch also
            accepts a negative ``alpha``; the negative side then grows like ``exp(|x / alpha|)``
            and overflows to ``-inf`` (with NumPy's warning) once ``|x / alpha|`` passes ~709.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> CELU(alpha=2.0)(np.array([-2.0, 3.0]))
        array([-1.26424112,  3.        ])
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = _check_real("CELU", "alpha", alpha, nonzero="it divides x")

    def _f(self, x):
        return celu(x, self.alpha)

    def _df(self, x):
        return celu_derivative(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SiLU(_Pointwise):
    """The sigmoid linear unit ``x * sigmoid(x)``, also called swish.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> silu_layer = SiLU()
        >>> silu_layer(np.array([0.0, 2.0]))
        array([0.        , 1.76159416])
        >>> silu_layer.backward(np.ones(2))
        array([0.5       , 1.09078425])
    """

    def _f(self, x):
        return silu(x)

    def _df(self, x):
        return silu_derivative(x)


class Mish(_Pointwise):
    """``x * tanh(softplus(x))``.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Mish()(np.array([-1.0, 0.0, 1.0]))
        array([-0.30340146,  0.        ,  0.86509839])
    """

    def _f(self, x):
        return mish(x)

    def _df(self, x):
        return mish_derivative(x)


class Softplus(_Pointwise):
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``.

    Args:
        beta: the sharpness (default ``1.0``; larger is closer to ReLU; must not be 0).
        threshold: above this value of ``beta * x`` the layer is the identity (default ``20.0``).

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Softplus()(np.array([0.0, 1e4]))
        array([6.93147181e-01, 1.00000000e+04])
        >>> Softplus(beta=2.0, threshold=5.0)
        Softplus(beta=2.0, threshold=5.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = _check_real("Softplus", "beta", beta, nonzero="it divides the output")
        self.threshold = _check_threshold(threshold)

    def _f(self, x):
        return softplus(x, self.beta, self.threshold)

    def _df(self, x):
        return softplus_derivative(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardsigmoid(_Pointwise):
    """The piecewise-linear sigmoid ``relu6(x + 3) / 6`` (0 below -3, 1 above 3).

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Hardsigmoid()(np.array([-4.0, 0.0, 1.5]))
        array([0.  , 0.5 , 0.75])
    """

    def _f(self, x):
        return hardsigmoid(x)

    def _df(self, x):
        return hardsigmoid_derivative(x)


class Hardswish(_Pointwise):
    """``x * relu6(x + 3) / 6``, a piecewise-quadratic stand-in for SiLU.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Hardswish()(np.array([-4.0, -1.5, 4.0]))
        array([-0.   , -0.375,  4.   ])
    """

    def _f(self, x):
        return hardswish(x)

    def _df(self, x):
        return hardswish_derivative(x)


class PReLU(Module):
    """LeakyReLU with a learned slope: ``x`` for ``x > 0``, ``weight[c] * x`` otherwise.

    Args:
        num_parameters: how many slopes to learn: ``1`` (one shared by every input) or the
            number of channels ``C`` (one per channel, along dimension 1).
        init: the initial slope (default ``0.25``, as in He et al. 2015).
        dtype: dtype of the weight (float64 by default).

    Shape:
        - Input: ``(*)`` with one slope; ``(N, C, *)`` with ``num_parameters = C``. As in
          PyTorch, an input of fewer than two dimensions has no channel dimension (one channel).
        - Output: same shape.

    Attributes:
        weight: the slopes, shape ``(num_parameters,)``, all equal to ``init`` at the start.
            ``layer.num_parameters()`` (the count of trainable scalars of every Module) gives
            ``num_parameters``; an attribute of that name, as in PyTorch, would hide the method.

    Examples:
        >>> prelu_layer = PReLU(num_parameters=2)
        >>> prelu_layer(np.array([[-2.0, -2.0], [3.0, -1.0]]))
        array([[-0.5 , -0.5 ],
               [ 3.  , -0.25]])
        >>> prelu_layer.backward(np.ones((2, 2)))
        array([[0.25, 0.25],
               [1.  , 0.25]])
        >>> prelu_layer.weight.grad  # sum of x over each channel's negative inputs
        array([-2., -3.])
        >>> prelu_layer, [name for name, _ in prelu_layer.named_parameters()]
        (PReLU(num_parameters=2), ['weight'])
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float64):
        super().__init__()
        n = check_int("PReLU", "num_parameters", num_parameters)
        init = _check_real("PReLU", "init", init)
        self.weight = Parameter(np.full(n, init, dtype=check_float_dtype("PReLU", dtype)))

    def forward(self, x):
        x = as_float_array("PReLU", x)
        w = self.weight.data
        y = prelu(x, w)
        self._cache = (x, w)
        return y

    def backward(self, dy):
        x, w = self._saved()
        dy = check_grad("PReLU", dy, x.shape).astype(x.dtype, copy=False)
        dx, dw = prelu_backward(dy, x, w)
        self.weight.grad += dw.astype(self.weight.grad.dtype, copy=False)
        return dx

    def extra_repr(self) -> str:
        return f"num_parameters={self.weight.size}"


def _normalize_dim(layer: str, dim: int, ndim: int) -> int:
    if ndim == 0:
        raise ValueError(f"{layer} expected an input with at least 1 dimension, got a 0-d array")
    if not -ndim <= dim < ndim:
        raise ValueError(
            f"{layer}(dim={dim}) expected an input with more than {dim if dim >= 0 else -dim - 1} "
            f"dimensions (dim must be in [{-ndim}, {ndim - 1}]), got shape with {ndim}"
        )
    return dim % ndim


def _check_dim_arg(layer: str, dim) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{layer} expected dim to be an int, got {dim!r}")
    return int(dim)


class Softmax(Module):
    """Softmax along ``dim``: ``exp(x_i) / sum_j exp(x_j)``; outputs are positive and sum to 1.

    Args:
        dim: the dimension to normalise (required, as in PyTorch; negative counts from the end).

    Shape:
        - Input: ``(*)``, at least one dimension; Output: same shape.

    Examples:
        >>> Softmax(dim=1)(np.array([[0.0, np.log(3.0)]]))
        array([[0.25, 0.75]])
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim_arg("Softmax", dim)

    def forward(self, x):
        x = as_float_array("Softmax", x)
        dim = _normalize_dim("Softmax", self.dim, x.ndim)
        y = softmax(x, dim)
        self._cache = (y, dim)
        return y

    def backward(self, dy):
        y, dim = self._saved()
        dy = check_grad("Softmax", dy, y.shape).astype(y.dtype, copy=False)
        return softmax_backward(dy, y, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(x))`` along ``dim``, computed stably as ``x - logsumexp(x)``.

    Args:
        dim: the dimension to normalise (required; negative counts from the end).

    Shape:
        - Input: ``(*)``, at least one dimension; Output: same shape.

    Examples:
        >>> np.exp(LogSoftmax(dim=-1)(np.array([[0.0, np.log(3.0)]])))
        array([[0.25, 0.75]])
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim_arg("LogSoftmax", dim)

    def forward(self, x):
        x = as_float_array("LogSoftmax", x)
        dim = _normalize_dim("LogSoftmax", self.dim, x.ndim)
        y = log_softmax(x, dim)
        self._cache = (y, dim)
        return y

    def backward(self, dy):
        y, dim = self._saved()
        dy = check_grad("LogSoftmax", dy, y.shape).astype(y.dtype, copy=False)
        return log_softmax_backward(dy, y, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Flatten(Module):
    """Merge dimensions ``start_dim`` to ``end_dim`` (inclusive) into one.

    Args:
        start_dim: first dimension to flatten (default 1, so the batch dimension is kept).
        end_dim: last dimension to flatten (default -1, the last).

    Shape:
        - Input: ``(*, S_start, ..., S_end, *)``.
        - Output: ``(*, S_start * ... * S_end, *)``.

    Examples:
        >>> Flatten()(np.zeros((64, 16, 14, 14))).shape
        (64, 3136)
        >>> Flatten(0, 1)(np.zeros((2, 3, 4))).shape
        (6, 4)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = _check_dim_arg("Flatten", start_dim)
        self.end_dim = _check_dim_arg("Flatten", end_dim)

    def forward(self, x):
        x = np.asarray(x)
        ndim = max(x.ndim, 1)  # PyTorch flattens a 0-d tensor to shape (1,)
        for name, d in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -ndim <= d < ndim:
                raise ValueError(
                    f"Flatten({self.start_dim}, {self.end_dim}) expected an input with more than "
                    f"{d if d >= 0 else -d - 1} dimensions ({name}={d}), got shape {tuple(x.shape)}"
                )
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise ValueError(
                f"Flatten expected start_dim <= end_dim, got start_dim={self.start_dim}, "
                f"end_dim={self.end_dim} for an input of shape {tuple(x.shape)}"
            )
        shape = x.shape if x.ndim else (1,)
        out_shape = shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
        self._cache = (x.shape, out_shape)
        return x.reshape(out_shape)

    def backward(self, dy):
        in_shape, out_shape = self._saved()
        return check_grad("Flatten", dy, out_shape).reshape(in_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
