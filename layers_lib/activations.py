"""Activation functions and ``Flatten``: the classic activations and the two softmaxes.

Each activation is written as pure functions first — the function itself (``relu``,
``sigmoid``, ``tanh``, ``gelu``, ...) and its elementwise derivative (``relu_derivative``, ...)
— so chapters can plot them; the classes only cache what the backward pass needs and multiply
the upstream gradient by the derivative (the chain rule, elementwise)::

    dL/dx = dL/dy * f'(x)

At a kink (ReLU's 0) the derivative takes the value PyTorch uses; each ``*_derivative``
docstring says which. The wider family (ELU, SELU, CELU, SiLU, Mish, Softplus, Hardsigmoid,
Hardswish and the learned PReLU) lives in :mod:`layers_lib.activation_family`, built on the
:class:`_Pointwise` base defined here.

Softmax and log-softmax are not elementwise: every output along ``dim`` depends on every input
along ``dim``, and their backward passes contract the upstream gradient with the Jacobian
(:func:`softmax_backward`, :func:`log_softmax_backward`).

Numerical stability: ``sigmoid`` never exponentiates a positive number, and ``softmax`` /
``log_softmax`` subtract the maximum along ``dim`` first, so inputs of ``±1000`` (and far beyond)
neither overflow nor warn.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import as_float_array, check_grad, check_int, check_real
from .module import Module

__all__ = [
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax", "Flatten",
    "relu", "relu_derivative", "leaky_relu", "leaky_relu_derivative", "sigmoid",
    "sigmoid_derivative", "tanh", "tanh_derivative", "erf", "gelu", "gelu_derivative",
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



def _float_dtype(x: np.ndarray) -> np.dtype:
    """``x``'s dtype if it is floating, else float64 (the dtype a derivative is returned in)."""
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)


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


class _Pointwise(_Elementwise):
    """An elementwise activation given by its pure pair, as a small table: ``_f`` (the function)
    and ``_df`` (its derivative), called with ``x`` and the hyper-parameters named in
    ``_hyper_names`` (``("alpha",)`` for ELU). ``forward`` caches ``x`` and returns
    ``_f(x, *hyper)``; ``backward`` returns ``dy * _df(x, *hyper)``; the repr lists the
    hyper-parameters."""

    _hyper_names: tuple[str, ...] = ()

    def _f(self, x: np.ndarray, *hyper) -> np.ndarray:
        raise NotImplementedError

    def _df(self, x: np.ndarray, *hyper) -> np.ndarray:
        raise NotImplementedError

    def _hyper(self) -> tuple:
        return tuple(getattr(self, name) for name in self._hyper_names)

    def forward(self, x):
        x = self._input(x)
        self._cache = x
        return self._f(x, *self._hyper())

    def backward(self, dy):
        x = self._saved()
        return self._check_dy(dy, x) * self._df(x, *self._hyper())

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper_names)


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


class LeakyReLU(_Pointwise):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the slope for negative inputs (default ``0.01``).

    Shape:
        - Input: ``(*)``; Output: ``(*)``, same shape.

    Examples:
        >>> LeakyReLU(0.1)(np.array([-2.0, 3.0]))
        array([-0.2,  3. ])
    """

    _f, _df = staticmethod(leaky_relu), staticmethod(leaky_relu_derivative)
    _hyper_names = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check_real("LeakyReLU", "negative_slope", negative_slope, finite=False)


# Sigmoid and Tanh are written out in full, alike on purpose: the chapter shows them as the
# pattern (cache the output, multiply dy by the derivative written in terms of it).
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


def _normalize_dim(layer: str, dim: int, ndim: int) -> int:
    if ndim == 0:
        raise ValueError(f"{layer} expected an input with at least 1 dimension, got a 0-d array")
    if not -ndim <= dim < ndim:
        raise ValueError(
            f"{layer}(dim={dim}) expected an input with more than {dim if dim >= 0 else -dim - 1} "
            f"dimensions (dim must be in [{-ndim}, {ndim - 1}]), got shape with {ndim}"
        )
    return dim % ndim



class _Softmax(Module):
    """The body Softmax and LogSoftmax share: normalise ``dim``, run the pure function, cache its
    output (both backward passes need only ``y``), and apply the matching backward. A subclass
    names the pair of pure functions as ``_function`` and ``_backward``."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_int(type(self).__name__, "dim", dim, minimum=None)

    def forward(self, x):
        name = type(self).__name__
        x = as_float_array(name, x)
        dim = _normalize_dim(name, self.dim, x.ndim)
        y = self._function(x, dim)
        self._cache = (y, dim)
        return y

    def backward(self, dy):
        y, dim = self._saved()
        dy = check_grad(type(self).__name__, dy, y.shape).astype(y.dtype, copy=False)
        return self._backward(dy, y, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_Softmax):
    """Softmax along ``dim``: ``exp(x_i) / sum_j exp(x_j)``; outputs are positive and sum to 1.

    Args:
        dim: the dimension to normalise (required, as in PyTorch; negative counts from the end).

    Shape:
        - Input: ``(*)``, at least one dimension; Output: same shape.

    Examples:
        >>> Softmax(dim=1)(np.array([[0.0, np.log(3.0)]]))
        array([[0.25, 0.75]])
    """

    _function = staticmethod(softmax)
    _backward = staticmethod(softmax_backward)


class LogSoftmax(_Softmax):
    """``log(softmax(x))`` along ``dim``, computed stably as ``x - logsumexp(x)``.

    Args:
        dim: the dimension to normalise (required; negative counts from the end).

    Shape:
        - Input: ``(*)``, at least one dimension; Output: same shape.

    Examples:
        >>> np.exp(LogSoftmax(dim=-1)(np.array([[0.0, np.log(3.0)]])))
        array([[0.25, 0.75]])
    """

    _function = staticmethod(log_softmax)
    _backward = staticmethod(log_softmax_backward)


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
        self.start_dim = check_int("Flatten", "start_dim", start_dim, minimum=None)
        self.end_dim = check_int("Flatten", "end_dim", end_dim, minimum=None)

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
