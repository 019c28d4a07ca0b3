"""The wider family of activations: the exponential, smooth and hard relatives of ReLU, and PReLU.

ELU, SELU and CELU bend the negative side into an exponential; SiLU, Mish and Softplus are smooth
everywhere; Hardsigmoid and Hardswish are piecewise-linear (and quadratic) stand-ins that are
cheap to compute. Each is a pure function and its elementwise derivative (``elu`` and
``elu_derivative``, ...) plus a thin class on the :class:`~layers_lib.activations._Pointwise`
base, which caches ``x`` and returns ``dy * f'(x)``. At a kink (Hardswish's ±3) the derivative
takes the value PyTorch uses; each ``*_derivative`` docstring says which. ``PReLU`` learns its
negative slope and also fills ``weight.grad`` (:func:`prelu_backward`).

Numerical stability: ``softplus`` never exponentiates a positive number and the ELUs exponentiate
only ``min(x, 0)``, so inputs of ``±1000`` (and far beyond) neither overflow nor warn.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_float_dtype, check_grad, check_int, check_real
from .activations import _float_dtype, _Pointwise, sigmoid
from .module import Module, Parameter

__all__ = [
    "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Hardsigmoid", "Hardswish", "PReLU",
    "elu", "elu_derivative", "selu", "selu_derivative", "celu", "celu_derivative",
    "silu", "silu_derivative", "mish", "mish_derivative", "softplus", "softplus_derivative",
    "hardsigmoid", "hardsigmoid_derivative", "hardswish", "hardswish_derivative",
    "prelu", "prelu_backward",
]

# Constants of SELU (Klambauer et al., 2017), to the digits PyTorch uses: with them a standard
# normal input gives an output of mean 0 and variance 1.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946



def _check_threshold(threshold) -> float:
    """Softplus's threshold may be infinite (never switch to ``x``), not NaN."""
    return check_real("Softplus", "threshold", threshold, finite=False)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """The exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Only ``min(x, 0)`` is exponentiated, so large positive inputs never overflow, and ``expm1``
    keeps ``exp(x) - 1`` accurate for small ``|x|`` (as PyTorch does).

    Examples:
        >>> elu(np.array([-1e300, -1.0, 0.0, 2.0]))
        array([-1.        , -0.63212056,  0.        ,  2.        ])
    """
    x = np.asarray(x)
    alpha = check_real("ELU", "alpha", alpha)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``1`` for ``x > 0``, ``alpha * exp(x)`` otherwise; at the kink ``x = 0`` PyTorch takes the
    left-hand value ``alpha``, and so do we.

    Examples:
        >>> elu_derivative(np.array([-1.0, 0.0, 1.0]), alpha=0.5)
        array([0.18393972, 0.5       , 1.        ])
    """
    x = np.asarray(x)
    alpha = check_real("ELU", "alpha", alpha)
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
    alpha = check_real("CELU", "alpha", alpha, nonzero="it divides x")
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


def celu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``1`` for ``x > 0``, ``exp(x / alpha)`` otherwise (``1`` at ``x = 0`` from both sides).

    Examples:
        >>> celu_derivative(np.array([-2.0, 0.0, 2.0]), alpha=2.0)
        array([0.36787944, 1.        , 1.        ])
    """
    x = np.asarray(x)
    alpha = check_real("CELU", "alpha", alpha, nonzero="it divides x")
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
    beta = check_real("Softplus", "beta", beta, nonzero="it divides the output")
    z = beta * x
    return np.where(z > _check_threshold(threshold), x, _softplus_unit(z) / beta)


def softplus_derivative(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """``sigmoid(beta * x)``, and exactly ``1`` where ``beta * x > threshold`` (the linear part).

    Examples:
        >>> softplus_derivative(np.array([0.0, 20.0, 20.5]))
        array([0.5, 1. , 1. ])
    """
    x = np.asarray(x)
    beta = check_real("Softplus", "beta", beta, nonzero="it divides the output")
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


# -- layers ---------------------------------------------------------------------------------------
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

    _f, _df = staticmethod(elu), staticmethod(elu_derivative)
    _hyper_names = ("alpha",)

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_real("ELU", "alpha", alpha)


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

    _f, _df = staticmethod(selu), staticmethod(selu_derivative)


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

    _f, _df = staticmethod(celu), staticmethod(celu_derivative)
    _hyper_names = ("alpha",)

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_real("CELU", "alpha", alpha, nonzero="it divides x")


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

    _f, _df = staticmethod(silu), staticmethod(silu_derivative)


class Mish(_Pointwise):
    """``x * tanh(softplus(x))``.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Mish()(np.array([-1.0, 0.0, 1.0]))
        array([-0.30340146,  0.        ,  0.86509839])
    """

    _f, _df = staticmethod(mish), staticmethod(mish_derivative)


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

    _f, _df = staticmethod(softplus), staticmethod(softplus_derivative)
    _hyper_names = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = check_real("Softplus", "beta", beta, nonzero="it divides the output")
        self.threshold = _check_threshold(threshold)


class Hardsigmoid(_Pointwise):
    """The piecewise-linear sigmoid ``relu6(x + 3) / 6`` (0 below -3, 1 above 3).

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Hardsigmoid()(np.array([-4.0, 0.0, 1.5]))
        array([0.  , 0.5 , 0.75])
    """

    _f, _df = staticmethod(hardsigmoid), staticmethod(hardsigmoid_derivative)


class Hardswish(_Pointwise):
    """``x * relu6(x + 3) / 6``, a piecewise-quadratic stand-in for SiLU.

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> Hardswish()(np.array([-4.0, -1.5, 4.0]))
        array([-0.   , -0.375,  4.   ])
    """

    _f, _df = staticmethod(hardswish), staticmethod(hardswish_derivative)


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
        init = check_real("PReLU", "init", init)
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
