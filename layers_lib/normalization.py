"""Normalization layers: BatchNorm1d/2d, LayerNorm and GroupNorm.

All three compute ``x_hat = (x - mean) / sqrt(var + eps)`` and then ``y = gamma * x_hat + beta``;
they differ in *which* values share a mean and a variance:

* **BatchNorm**: each channel (axis 1) over the batch and every spatial position;
* **LayerNorm**: each sample over its last ``len(normalized_shape)`` dimensions;
* **GroupNorm**: each sample over the channels of a group and every spatial position.

The variance used to normalise is the *biased* one (divide by ``m``, the number of values). For
the input gradient, with ``m`` values sharing a mean and bars meaning averages over them,

.. math:: \\frac{\\partial L}{\\partial x} = \\frac{1}{\\sqrt{\\sigma^2 + \\epsilon}}
   \\Bigl(\\hat{g} - \\overline{\\hat{g}} - \\hat{x}\\,\\overline{\\hat{g} \\odot \\hat{x}}\\Bigr),
   \\qquad \\hat{g} = \\gamma \\odot \\frac{\\partial L}{\\partial y}.

``batchnorm_backward_reference`` derives the same result one node of the computational graph at a
time; the tests check that the two agree.

Conventions (PyTorch's): BatchNorm's ``momentum = 0.1`` weights the **new** batch,
``running = (1 - momentum) * running + momentum * batch_statistic``; ``momentum=None`` gives the
cumulative average over all batches seen. The running variance uses the *unbiased* batch variance
(divide by ``m - 1``). Running statistics are plain arrays, never ``Parameter`` objects.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_bool, check_float_dtype, check_grad, check_int, check_real
from .module import Module, Parameter, scratch
from .normalization_fast import _batchnorm_images_backward, _batchnorm_images_forward, _channel_dots

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_reference",
    "batchnorm_eval_forward", "batchnorm_eval_backward",
    "layernorm_forward", "layernorm_backward", "groupnorm_forward", "groupnorm_backward",
    "BatchNormCache", "BatchNormEvalCache", "LayerNormCache", "GroupNormCache",
]


# -- helpers --------------------------------------------------------------------------------------
def _per_channel(v: np.ndarray | None, ndim: int, dtype) -> np.ndarray | None:
    """Reshape a ``(C,)`` vector to ``(1, C, 1, ...)`` so it broadcasts over ``(N, C, *)``."""
    if v is None:
        return None
    return v.astype(dtype, copy=False).reshape((1, -1) + (1,) * (ndim - 2))


def _channel_sum(a: np.ndarray) -> np.ndarray:
    """Sum ``(N, C, *)`` over every axis but 1, returning ``(C,)``.

    Summing the contiguous trailing axis first (through a ``(N, C, L)`` view) is several times
    faster than ``a.sum(axis=(0, 2, 3))``."""
    n, c = a.shape[:2]
    return a.reshape(n, c, math.prod(a.shape[2:])).sum(axis=2).sum(axis=0)


def _channel_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum(a * b)`` over every axis but 1, returning ``(C,)``, without the product array."""
    n, c = a.shape[:2]
    shape = (n, c, math.prod(a.shape[2:]))
    return _channel_dots(a.reshape(shape), b.reshape(shape))


def _count_per_channel(shape) -> int:
    return shape[0] * math.prod(shape[2:])


# -- what each pure forward hands its backward -----------------------------------------------------
# Every cache knows the shape of the forward output (``out_shape``) and its dtype, which the
# layers check the upstream gradient against.
class BatchNormCache(NamedTuple):
    """What the training-mode batch-norm backward pass needs (and the chapters show)."""

    x: np.ndarray  # (N, C, *) the input
    x_centred: np.ndarray  # (N, C, *) x - mean
    mean: np.ndarray  # (C,) batch mean
    var: np.ndarray  # (C,) biased batch variance
    inv_std: np.ndarray  # (C,) 1 / sqrt(var + eps)
    weight: np.ndarray | None  # (C,) gamma, or None without affine
    eps: float

    @property
    def x_hat(self) -> np.ndarray:
        """The normalised input ``(x - mean) / sqrt(var + eps)``, computed on request."""
        return self.x_centred * _per_channel(self.inv_std, self.x.ndim, self.x.dtype)

    out_shape = property(lambda self: self.x.shape)
    dtype = property(lambda self: self.x.dtype)


class BatchNormEvalCache(NamedTuple):
    """The cache of :func:`batchnorm_eval_forward`: the running statistics are constants."""

    x_hat: np.ndarray  # (N, C, *) the input normalised with the running statistics
    inv_std: np.ndarray  # (C,) 1 / sqrt(running_var + eps)
    weight: np.ndarray | None  # (C,) gamma, or None without affine

    out_shape = property(lambda self: self.x_hat.shape)
    dtype = property(lambda self: self.x_hat.dtype)


class LayerNormCache(NamedTuple):
    """The cache of :func:`layernorm_forward`, one row per normalised group of values."""

    x_hat: np.ndarray  # (M, D): the normalised input, D = prod(normalized_shape)
    inv_std: np.ndarray  # (M, 1)
    weight: np.ndarray | None  # normalized_shape, or None
    x_shape: tuple[int, ...]  # (*, *normalized_shape)
    normalized_shape: tuple[int, ...]

    out_shape = property(lambda self: self.x_shape)
    dtype = property(lambda self: self.x_hat.dtype)


class GroupNormCache(NamedTuple):
    """The cache of :func:`groupnorm_forward`."""

    x_hat: np.ndarray  # (N, C, *) the normalised input
    inv_std: np.ndarray  # (N, G, 1)
    weight: np.ndarray | None  # (C,), or None
    num_groups: int

    out_shape = property(lambda self: self.x_hat.shape)
    dtype = property(lambda self: self.x_hat.dtype)


# -- batch norm: the pure core --------------------------------------------------------------------
def batchnorm_forward(x: np.ndarray, weight, bias, eps: float = 1e-5, *, workspace: dict | None = None):
    """Training-mode batch normalization with the batch's own statistics.

    Every channel (axis 1) is normalised with the mean and the **biased** variance of its
    ``m = N * (product of the spatial sizes)`` values.

    Args:
        x: ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)``.
        weight: gamma, ``(C,)``, or ``None`` (no scaling).
        bias: beta, ``(C,)``, or ``None`` (no shift).
        eps: added to the variance before the square root.
        workspace: optional dict in which a layer keeps the large centred-input buffer between
            calls (filling an existing array is cheaper than a fresh allocation). The cache then
            refers to ``workspace["x_centred"]``, which the next call overwrites.

    Returns:
        ``(y, cache)``; ``cache.mean`` and ``cache.var`` are the batch statistics ``(C,)``.

    Examples:
        >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
        >>> y, cache = batchnorm_forward(x, None, None, eps=0.0)
        >>> y
        array([[-1., -1.],
               [ 1.,  1.]])
        >>> cache.mean, cache.var
        (array([ 2., 20.]), array([  1., 100.]))
    """
    m = _count_per_channel(x.shape)
    nd, dt = x.ndim, x.dtype
    mean = _channel_sum(x) / m  # (C,)
    xc = scratch(workspace, "x_centred", x.shape, dt)
    np.subtract(x, _per_channel(mean, nd, dt), out=xc)  # (N, C, *) centred
    var = _channel_dot(xc, xc) / m  # (C,) biased variance (two passes: no cancellation)
    inv_std = 1.0 / np.sqrt(var + eps)
    scale = inv_std if weight is None else weight.astype(dt, copy=False) * inv_std
    y = np.multiply(xc, _per_channel(scale, nd, dt))  # gamma * x_hat, without storing x_hat
    if bias is not None:
        y += _per_channel(bias, nd, dt)
    return y, BatchNormCache(x, xc, mean, var, inv_std, weight, eps)


def batchnorm_backward(dy: np.ndarray, cache: BatchNormCache, *, workspace: dict | None = None):
    """The compact batch-norm backward pass.

    With ``m`` values per channel, ``dbeta = sum(dy)``, ``dgamma = sum(dy * x_hat)`` and

    ``dx = gamma / sqrt(var + eps) * (dy - (dbeta + x_hat * dgamma) / m)``

    which is the formula in the module docstring with the two averages written through the
    parameter gradients.

    Returns:
        ``(dx, dweight, dbias)``; ``dweight`` is ``None`` when ``cache.weight`` is ``None``.
    """
    xc, inv_std, weight = cache.x_centred, cache.inv_std, cache.weight
    m = _count_per_channel(dy.shape)
    nd, dt = dy.ndim, dy.dtype
    dbias = _channel_sum(dy)  # (C,)
    dweight = _channel_dot(dy, xc) * inv_std  # (C,) = sum(dy * x_hat)
    scale = inv_std if weight is None else weight.astype(dt, copy=False) * inv_std
    # dx = scale*dy - (scale*dweight/m)*x_hat - scale*dbias/m, with x_hat = xc*inv_std and as
    # few large temporaries as possible
    dx = np.multiply(dy, _per_channel(scale, nd, dt))
    tmp = np.multiply(xc, _per_channel(scale * dweight * inv_std / m, nd, dt),
                      out=scratch(workspace, "tmp", dy.shape, dt))
    dx -= tmp
    dx -= _per_channel(scale * dbias / m, nd, dt)
    return dx, (None if weight is None else dweight), dbias


def batchnorm_backward_reference(dy: np.ndarray, cache: BatchNormCache):
    """The same gradients, one node of the computational graph at a time (readable, slower).

    The forward pass is the chain ``mu -> xmu -> sq -> var -> sqrtvar -> ivar -> x_hat -> y``;
    walking it backwards applies the chain rule to each node. Every array keeps the input's
    ``(N, C, *)`` layout; sums over the batch and spatial axes are ``keepdims`` sums.

    Returns:
        ``(dx, dweight, dbias)`` like :func:`batchnorm_backward`.
    """
    x, eps = cache.x, cache.eps
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channel axis
    m = _count_per_channel(x.shape)
    gamma = 1.0 if cache.weight is None else _per_channel(cache.weight, x.ndim, x.dtype)

    # forward, node by node
    mu = x.sum(axis=axes, keepdims=True) / m  # 1. mean
    xmu = x - mu  # 2. centre
    sq = xmu**2  # 3. square
    var = sq.sum(axis=axes, keepdims=True) / m  # 4. biased variance
    sqrtvar = np.sqrt(var + eps)  # 5. standard deviation
    ivar = 1.0 / sqrtvar  # 6. its inverse
    x_hat = xmu * ivar  # 7. normalise
    # 8. y = gamma * x_hat + beta

    # backward, node by node in reverse
    dbias = dy.sum(axis=axes)  # 8. beta gets the sum of dy
    dweight = (dy * x_hat).sum(axis=axes)  # 8. gamma gets the sum of dy * x_hat
    dx_hat = dy * gamma  # 8. back into x_hat
    divar = (dx_hat * xmu).sum(axis=axes, keepdims=True)  # 7. ivar is used by every value
    dxmu1 = dx_hat * ivar  # 7. first path into xmu
    dsqrtvar = -divar / sqrtvar**2  # 6. d(1/s)/ds = -1/s^2
    dvar = 0.5 * dsqrtvar / np.sqrt(var + eps)  # 5. d sqrt(v)/dv = 1/(2 sqrt(v))
    dsq = np.ones_like(sq) * dvar / m  # 4. the mean spreads the gradient evenly
    dxmu2 = 2 * xmu * dsq  # 3. d(u^2)/du = 2u: second path into xmu
    dx1 = dxmu1 + dxmu2  # 2. xmu = x - mu: first path into x
    dmu = -dx1.sum(axis=axes, keepdims=True)  # 2. ... and into mu
    dx2 = np.ones_like(x) * dmu / m  # 1. the mean spreads dmu evenly: second path into x
    dx = dx1 + dx2
    return dx, (None if cache.weight is None else dweight), dbias



def batchnorm_eval_forward(x: np.ndarray, weight, bias, running_mean, running_var, eps: float = 1e-5):
    """Evaluation-mode batch norm: a fixed per-channel affine map using the running statistics.

    Returns:
        ``(y, cache)`` with a :class:`BatchNormEvalCache`.

    Examples:
        >>> y, _ = batchnorm_eval_forward(np.array([[3.0]]), None, None, np.array([1.0]),
        ...                               np.array([4.0]), eps=0.0)
        >>> y
        array([[1.]])
    """
    inv_std = 1.0 / np.sqrt(running_var.astype(x.dtype, copy=False) + eps)  # (C,)
    x_hat = (x - _per_channel(running_mean, x.ndim, x.dtype)) * _per_channel(inv_std, x.ndim, x.dtype)
    y = x_hat if weight is None else x_hat * _per_channel(weight, x.ndim, x.dtype)
    if bias is not None:
        y = y + _per_channel(bias, x.ndim, x.dtype)
    return y, BatchNormEvalCache(x_hat, inv_std, weight)


def batchnorm_eval_backward(dy: np.ndarray, cache: BatchNormEvalCache):
    """Backward of :func:`batchnorm_eval_forward`: the statistics are constants, so
    ``dx = gamma / sqrt(running_var + eps) * dy``.

    Returns:
        ``(dx, dweight, dbias)`` (``dweight`` is ``None`` without a weight).
    """
    x_hat, inv_std, weight = cache
    scale = inv_std if weight is None else weight.astype(dy.dtype, copy=False) * inv_std
    dx = dy * _per_channel(scale, dy.ndim, dy.dtype)
    dweight = None if weight is None else _channel_sum(dy * x_hat)
    return dx, dweight, _channel_sum(dy)


# -- layer norm and group norm: normalise along the last axis of a view ---------------------------
def _normalize_last(x2: np.ndarray, eps: float):
    """Normalise along the last axis: returns ``(x_hat, inv_std)``, ``inv_std`` with keepdims."""
    if x2.shape[-1] == 0:  # nothing to normalise (e.g. a zero-length signal)
        return x2.copy(), np.ones(x2.shape[:-1] + (1,), x2.dtype)
    mean = x2.mean(axis=-1, keepdims=True)
    xc = x2 - mean
    var = np.mean(xc * xc, axis=-1, keepdims=True)  # biased
    inv_std = 1.0 / np.sqrt(var + eps)
    return xc * inv_std, inv_std


def _normalize_last_backward(dx_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray) -> np.ndarray:
    """``inv_std * (g - mean(g) - x_hat * mean(g * x_hat))`` along the last axis."""
    if dx_hat.shape[-1] == 0:
        return dx_hat.copy()
    return inv_std * (dx_hat - dx_hat.mean(axis=-1, keepdims=True)
                      - x_hat * np.mean(dx_hat * x_hat, axis=-1, keepdims=True))


def layernorm_forward(x: np.ndarray, weight, bias, normalized_shape: tuple[int, ...], eps: float = 1e-5):
    """Normalise each sample over its last ``len(normalized_shape)`` dimensions.

    Args:
        x: ``(*, *normalized_shape)``.
        weight, bias: ``normalized_shape`` arrays (elementwise gamma and beta), or ``None``.

    Returns:
        ``(y, cache)`` with a :class:`LayerNormCache`.

    Examples:
        >>> y, _ = layernorm_forward(np.array([[1.0, 3.0]]), None, None, (2,), eps=0.0)
        >>> y
        array([[-1.,  1.]])
    """
    d = math.prod(normalized_shape)
    x2 = x.reshape(-1, d)  # (M, D): one row per normalised group
    x_hat2, inv_std = _normalize_last(x2, eps)
    x_hat = x_hat2.reshape(x.shape)
    y = x_hat if weight is None else x_hat * weight.astype(x.dtype, copy=False)
    if bias is not None:
        y = y + bias.astype(x.dtype, copy=False)
    return y, LayerNormCache(x_hat2, inv_std, weight, x.shape, tuple(normalized_shape))


def layernorm_backward(dy: np.ndarray, cache: LayerNormCache):
    """Backward of :func:`layernorm_forward`: ``(dx, dweight, dbias)`` (``None`` where absent).

    ``dweight`` and ``dbias`` sum over the leading (batch) dimensions."""
    x_hat2, inv_std, weight, shape, normalized_shape = cache
    d = x_hat2.shape[1]
    dy2 = dy.reshape(-1, d)  # (M, D)
    dx_hat2 = dy2 if weight is None else dy2 * weight.astype(dy.dtype, copy=False).reshape(-1)
    dx = _normalize_last_backward(dx_hat2, x_hat2, inv_std).reshape(shape)
    dweight = None if weight is None else (dy2 * x_hat2).sum(axis=0).reshape(normalized_shape)
    dbias = dy2.sum(axis=0).reshape(normalized_shape)
    return dx, dweight, dbias


def groupnorm_forward(x: np.ndarray, weight, bias, num_groups: int, eps: float = 1e-5):
    """Normalise each sample over groups of ``C / num_groups`` channels (and all positions).

    Args:
        x: ``(N, C, *)``.
        weight, bias: ``(C,)`` per-channel gamma and beta, or ``None``.

    Returns:
        ``(y, cache)`` with a :class:`GroupNormCache`.

    Examples:
        >>> x = np.array([[[1.0], [3.0], [10.0], [30.0]]])  # (N=1, C=4, L=1), 2 groups of 2
        >>> y, _ = groupnorm_forward(x, None, None, 2, eps=0.0)
        >>> y[0, :, 0]
        array([-1.,  1., -1.,  1.])
    """
    n = x.shape[0]
    xg = x.reshape(n, num_groups, math.prod(x.shape[1:]) // num_groups)  # (N, G, C/G * spatial)
    x_hat_g, inv_std = _normalize_last(xg, eps)
    x_hat = x_hat_g.reshape(x.shape)
    y = x_hat if weight is None else x_hat * _per_channel(weight, x.ndim, x.dtype)
    if bias is not None:
        y = y + _per_channel(bias, x.ndim, x.dtype)
    return y, GroupNormCache(x_hat, inv_std, weight, num_groups)


def groupnorm_backward(dy: np.ndarray, cache: GroupNormCache):
    """Backward of :func:`groupnorm_forward`: ``(dx, dweight, dbias)`` (``None`` where absent)."""
    x_hat, inv_std, weight, num_groups = cache
    grouped = (dy.shape[0], num_groups, math.prod(dy.shape[1:]) // num_groups)  # (N, G, C/G * spatial)
    dx_hat = dy if weight is None else dy * _per_channel(weight, dy.ndim, dy.dtype)
    dx = _normalize_last_backward(dx_hat.reshape(grouped), x_hat.reshape(grouped), inv_std).reshape(dy.shape)
    dweight = None if weight is None else _channel_sum(dy * x_hat)
    return dx, dweight, _channel_sum(dy)


# -- the layers -----------------------------------------------------------------------------------
class _Norm(Module):
    """What the normalization layers share: the input check (each layer says which shapes it
    ``_fits`` and what it ``_expects``, as PyTorch's ``_check_input_dim``), ``forward`` through the
    layer's pure core ``_core_forward(x, weight, bias)``, and ``backward``, which checks ``dy``
    against the cache, runs the matching pure backward ``_core_backward(dy, cache)`` and adds the
    parameter gradients. ``self._cache`` is the pure core's cache, unwrapped. (BatchNorm has its
    own ``forward``: two modes and the running statistics.)"""

    _core_backward = None  # staticmethod(layernorm_backward), ...; _BatchNorm picks by the cache

    def forward(self, x):
        y, self._cache = self._core_forward(self._check_input(x), *self._affine())
        return y

    def _check_input(self, x) -> np.ndarray:
        x = as_float_array(type(self).__name__, x)
        if not self._fits(x.shape):
            raise ValueError(f"{self._expects()}, got {tuple(x.shape)}")
        return x

    def _affine(self):
        """``(gamma, beta)`` as arrays, ``None`` for an absent one."""
        return tuple(None if p is None else p.data for p in (self.weight, self.bias))

    def backward(self, dy):
        cache = self._saved()
        dy = check_grad(type(self).__name__, dy, cache.out_shape).astype(cache.dtype, copy=False)
        dx, dweight, dbias = self._core_backward(dy, cache)
        if self.weight is not None:
            self.weight.grad += dweight
        if self.bias is not None:
            self.bias.grad += dbias
        return dx


class _BatchNorm(_Norm):
    _ndims: tuple[int, ...] = ()
    _layout: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=np.float64):
        super().__init__()
        name = type(self).__name__
        self.num_features = check_int(name, "num_features", num_features)
        self.eps = check_real(name, "eps", eps, minimum=0.0)
        if momentum is not None:
            momentum = check_real(name, "momentum", momentum, minimum=0.0)
            if momentum > 1:
                raise ValueError(f"{name} expected momentum in [0, 1] or None, got {momentum}")
        self.momentum = momentum
        self.affine = check_bool(name, "affine", affine)
        self.track_running_stats = check_bool(name, "track_running_stats", track_running_stats)
        dtype = check_float_dtype(name, dtype)
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.running_mean = np.zeros(num_features, dtype)
            self.running_var = np.ones(num_features, dtype)
            self.num_batches_tracked = 0
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None
        self._workspace = {}  # the large scratch buffers, kept between calls (see batchnorm_forward)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked = 0

    def _fits(self, shape) -> bool:
        return len(shape) in self._ndims and shape[1] == self.num_features

    def _expects(self) -> str:
        layout = self._layout.replace("C", str(self.num_features))
        return f"{type(self).__name__}({self.num_features}) expected input of shape {layout}"

    def forward(self, x):
        x = self._check_input(x)
        use_batch_stats = self.training or not self.track_running_stats
        w, b = self._affine()
        if not use_batch_stats:
            y, self._cache = batchnorm_eval_forward(x, w, b, self.running_mean, self.running_var, self.eps)
            return y
        m = _count_per_channel(x.shape)
        if m <= 1:
            raise ValueError(
                f"{type(self).__name__} expected more than 1 value per channel when training, got input "
                f"of shape {tuple(x.shape)} ({m} value(s) per channel): the batch variance of a single "
                "value is 0, so every output would equal the bias and no gradient would flow. Use a "
                "batch with more values per channel, or call .eval() to normalise with the running "
                "statistics"
            )
        y, cache = self._batch_forward(x, w, b)  # batchnorm_forward (BatchNorm2d: its blocked twin)
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            f = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
            unbiased = cache.var * (m / (m - 1))
            self.running_mean[...] = (1 - f) * self.running_mean + f * cache.mean
            self.running_var[...] = (1 - f) * self.running_var + f * unbiased
        self._cache = cache
        return y

    def _batch_forward(self, x, w, b):
        """Normalise with the batch's own statistics: ``(y, cache)``."""
        return batchnorm_forward(x, w, b, self.eps, workspace=self._workspace)

    def _core_backward(self, dy, cache):
        if type(cache) is BatchNormEvalCache:
            return batchnorm_eval_backward(dy, cache)
        return self._batch_backward(dy, cache)

    def _batch_backward(self, dy, cache):
        return batchnorm_backward(dy, cache, workspace=self._workspace)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over a batch of feature vectors or of 1-D signals.

    In training mode each channel ``c`` is normalised with the mean and biased variance of its
    values over the batch (and the length ``L``), then scaled by ``weight[c]`` and shifted by
    ``bias[c]``; the running statistics are updated as
    ``running = (1 - momentum) * running + momentum * batch_stat`` (the running variance with the
    unbiased batch variance). In evaluation mode the running statistics are used instead.

    Args:
        num_features: ``C``, the number of channels (features).
        eps: added to the variance for numerical stability.
        momentum: the weight of the **new** batch in the running statistics (PyTorch's
            convention; Keras's ``momentum=0.9`` corresponds to ``0.1`` here), or ``None`` for a
            cumulative average over every batch seen.
        affine: learn ``weight`` (gamma, init 1) and ``bias`` (beta, init 0).
        track_running_stats: keep ``running_mean``/``running_var``; if ``False`` the batch
            statistics are used in evaluation mode too.
        dtype: dtype of the parameters and running statistics.

    Shape:
        - Input: ``(N, C)`` or ``(N, C, L)``.
        - Output: same shape as the input.

    Attributes:
        running_mean, running_var: ``(C,)`` arrays (not parameters); ``num_batches_tracked``: int.

    Examples:
        >>> bn = BatchNorm1d(2)
        >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
        >>> np.round(bn(x), 4)
        array([[-1., -1.],
               [ 1.,  1.]])
        >>> bn.running_mean, bn.running_var
        (array([0.2, 2. ]), array([ 1.1, 20.9]))
        >>> np.round(bn.eval()(x), 3)
        array([[0.763, 1.75 ],
               [2.67 , 6.125]])
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over a batch of images: one mean and variance per channel, over
    ``N``, ``H`` and ``W``.

    Arguments, conventions and attributes as :class:`BatchNorm1d`.

    Shape:
        - Input: ``(N, C, H, W)``.
        - Output: same shape as the input.

    Examples:
        >>> bn = BatchNorm2d(3)
        >>> y = bn(np.random.default_rng(0).normal(size=(4, 3, 5, 5)))
        >>> np.allclose(y.mean(axis=(0, 2, 3)), 0), np.allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)
        (True, True)
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"

    def _batch_forward(self, x, w, b):
        """The blocked, threaded core (``normalization_fast.py``): the numbers of
        :func:`batchnorm_forward` in fewer passes over memory."""
        return _batchnorm_images_forward(x, w, b, self.eps)

    def _batch_backward(self, dy, cache):
        return _batchnorm_images_backward(dy, cache)


class LayerNorm(_Norm):
    """Layer normalization: each sample normalised over its last dimensions.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for the last dimension).
        eps: added to the variance.
        elementwise_affine: learn an elementwise ``weight`` (init 1) and ``bias`` (init 0) of
            shape ``normalized_shape``.
        bias: if ``False`` (and ``elementwise_affine``), learn the weight only.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(*, *normalized_shape)``, e.g. ``(N, T, D)`` with ``normalized_shape=D``.
        - Output: same shape as the input.

    Examples:
        >>> ln = LayerNorm(3)
        >>> y = ln(np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]]))
        >>> np.round(y, 4)
        array([[-1.2247,  0.    ,  1.2247],
               [-0.7071, -0.7071,  1.4142]])
    """

    _core_backward = staticmethod(layernorm_backward)

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=np.float64):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
            normalized_shape = (normalized_shape,)
        if not isinstance(normalized_shape, (tuple, list)) or len(normalized_shape) == 0:
            raise TypeError(f"LayerNorm expected normalized_shape to be an int or a non-empty tuple of "
                            f"ints, got {normalized_shape!r}")
        self.normalized_shape = tuple(check_int("LayerNorm", "normalized_shape", d)
                                      for d in normalized_shape)
        self.eps = check_real("LayerNorm", "eps", eps, minimum=0.0)
        self.elementwise_affine = check_bool("LayerNorm", "elementwise_affine", elementwise_affine)
        check_bool("LayerNorm", "bias", bias)
        dtype = check_float_dtype("LayerNorm", dtype)
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None
        self.bias = (Parameter(np.zeros(self.normalized_shape, dtype))
                     if elementwise_affine and bias else None)

    def _fits(self, shape) -> bool:
        return tuple(shape[len(shape) - len(self.normalized_shape):]) == self.normalized_shape

    def _expects(self) -> str:
        dims = ", ".join(str(d) for d in self.normalized_shape)
        return f"LayerNorm({self.normalized_shape}) expected input of shape (*, {dims})"

    def _core_forward(self, x, weight, bias):
        return layernorm_forward(x, weight, bias, self.normalized_shape, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(_Norm):
    """Group normalization: the channels of each sample are split into ``num_groups`` groups,
    and each group is normalised over its channels and all positions.

    ``num_groups=1`` normalises each sample over everything (like LayerNorm over ``(C, *)`` but
    with per-channel affine parameters); ``num_groups=C`` is instance normalization.

    Args:
        num_groups: number of groups; must divide ``num_channels``.
        num_channels: ``C``.
        eps: added to the variance.
        affine: learn per-channel ``weight`` (init 1) and ``bias`` (init 0).
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(N, C, *)``.
        - Output: same shape as the input.

    Examples:
        >>> gn = GroupNorm(2, 4)
        >>> gn(np.random.default_rng(0).normal(size=(3, 4, 5))).shape
        (3, 4, 5)
        >>> GroupNorm(3, 4)
        Traceback (most recent call last):
        ...
        ValueError: GroupNorm expected num_channels (4) to be divisible by num_groups (3)
    """

    _core_backward = staticmethod(groupnorm_backward)

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 dtype=np.float64):
        super().__init__()
        self.num_groups = check_int("GroupNorm", "num_groups", num_groups)
        self.num_channels = check_int("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm expected num_channels ({num_channels}) to be divisible by "
                             f"num_groups ({num_groups})")
        self.eps = check_real("GroupNorm", "eps", eps, minimum=0.0)
        self.affine = check_bool("GroupNorm", "affine", affine)
        dtype = check_float_dtype("GroupNorm", dtype)
        self.weight = Parameter(np.ones(num_channels, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype)) if affine else None

    def _fits(self, shape) -> bool:
        return len(shape) >= 2 and shape[1] == self.num_channels

    def _expects(self) -> str:
        c = self.num_channels
        return f"GroupNorm({self.num_groups}, {c}) expected input of shape (N, {c}, *)"

    def _core_forward(self, x, weight, bias):
        return groupnorm_forward(x, weight, bias, self.num_groups, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
