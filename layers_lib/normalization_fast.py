"""Batch norm over images, the same numbers in fewer passes over memory.

:class:`~layers_lib.BatchNorm2d`'s training mode runs the two functions here instead of
:func:`~layers_lib.batchnorm_forward` and :func:`~layers_lib.batchnorm_backward` (which stay the
readable version the chapter shows; the tests check that both give the same numbers). Three things
make them faster on large images:

* the sums over N, H, W are matrix-vector products with a vector of ones (BLAS, on every core);
* the elementwise passes run one block of samples at a time, so the few temporaries they need
  stay in the processor's cache instead of being large arrays written to and read from memory;
* the blocks are split between threads (NumPy releases the GIL inside its loops), one per core
  (at most 8), as PyTorch splits its kernels between its threads.

The centred values x - mean are written into the output array itself (y forward, dx backward),
which the next pass then finishes in place: no extra array, and the two-pass variance stays (no
E[x^2] - E[x]^2 cancellation for data with a large mean).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .module import in_blocks

_BLOCK_BYTES = 1 << 19  # about 512 KB of each operand per block: fits the L2 cache


def _in_blocks(fn, n: int, row_bytes: int) -> list:
    """Run ``fn(start, stop)`` over blocks of samples of about ``_BLOCK_BYTES``, split between
    threads (:func:`~layers_lib.module.in_blocks`); a list of results per thread."""
    return in_blocks(fn, n, _BLOCK_BYTES // max(row_bytes, 1))


class _ImageBatchNormCache(NamedTuple):
    """What :func:`_batchnorm_images_backward` needs: no centred copy of the input."""

    x: np.ndarray  # (N, C, L) the input, its spatial axes flattened
    mean: np.ndarray  # (C,)
    var: np.ndarray  # (C,) biased batch variance
    inv_std: np.ndarray  # (C,)
    weight: np.ndarray | None
    eps: float
    x_shape: tuple[int, ...]  # (N, C, H, W)

    @property
    def x_hat(self) -> np.ndarray:
        return (self.x - self.mean[:, None]) * self.inv_std[:, None]

    @property
    def out_shape(self) -> tuple[int, ...]:
        return self.x_shape

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype


def _rows(v: np.ndarray, L: int, dtype) -> np.ndarray:
    """A ``(C,)`` vector repeated along a row of ``L`` values, ``(C, L)``. Operating on ``(n, C, L)``
    blocks with it is several times faster than broadcasting a ``(C, 1)`` column: NumPy then runs
    one contiguous loop over ``C * L`` values instead of ``C`` short loops."""
    return np.repeat(v.astype(dtype, copy=False), L).reshape(-1, L)


def _channel_totals(x3: np.ndarray) -> np.ndarray:
    """``x3.sum(axis=(0, 2))`` for ``(N, C, L)``, as one matrix-vector product (BLAS)."""
    n, c, L = x3.shape
    return (x3.reshape(n * c, L) @ np.ones(L, dtype=x3.dtype)).reshape(n, c).sum(axis=0)


def _channel_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(a * b).sum(axis=(0, 2))`` for ``(n, C, L)`` blocks, as ``n * C`` dot products of rows
    (measured twice as fast as ``np.einsum("ncl,ncl->c", a, b)`` on a block of one sample)."""
    n, c, L = a.shape
    return np.matmul(a.reshape(n * c, 1, L), b.reshape(n * c, L, 1)).reshape(n, c).sum(axis=0)


def _batchnorm_images_forward(x, weight, bias, eps=1e-5):
    """Training-mode batch norm of ``(N, C, *)``, as :func:`batchnorm_forward`, in three passes (the
    second keeps ``x - mean`` in the output, which the third scales and shifts in place)."""
    shape, dt = x.shape, x.dtype
    n, c = shape[:2]
    x3 = np.ascontiguousarray(x).reshape(n, c, -1)  # (N, C, L)
    m = n * x3.shape[2]
    mean = _channel_totals(x3) / m  # (C,)
    mean_c = _rows(mean, x3.shape[2], dt)
    row = x3[0].nbytes
    y = np.empty_like(x3)

    def squares(a, b):  # x - mean, kept in y, and its sum of squares over the block, per channel
        xc = np.subtract(x3[a:b], mean_c, out=y[a:b])
        return _channel_dots(xc, xc)

    var = sum(s for part in _in_blocks(squares, n, row) for s in part) / m  # (C,) biased variance
    inv_std = 1.0 / np.sqrt(var + eps)
    scale = _rows(inv_std if weight is None else weight.astype(dt, copy=False) * inv_std, x3.shape[2], dt)
    beta = None if bias is None else _rows(bias, x3.shape[2], dt)

    def normalise(a, b):  # y = (x - mean) * gamma / std + beta
        y[a:b] *= scale
        if beta is not None:
            y[a:b] += beta

    _in_blocks(normalise, n, row)
    return y.reshape(shape), _ImageBatchNormCache(x3, mean, var, inv_std, weight, eps, shape)


def _batchnorm_images_backward(dy, cache: _ImageBatchNormCache):
    """Backward of :func:`_batchnorm_images_forward`, the formula of :func:`batchnorm_backward`, in
    two passes: the two sums per channel (``x - mean`` kept in ``dx``), then ``dx`` in place."""
    x3, mean, inv_std, weight = cache.x, cache.mean, cache.inv_std, cache.weight
    n, c, L = x3.shape
    dt = x3.dtype
    dy3 = np.ascontiguousarray(dy, dtype=dt).reshape(n, c, L)
    m = n * L
    mean_c = _rows(mean, L, dt)
    row = x3[0].nbytes
    dbias = _channel_totals(dy3)  # (C,)

    dx = np.empty_like(dy3)

    def centred_dot(a, b):  # x - mean, kept in dx, and the sum over the block of dy * (x - mean)
        xc = np.subtract(x3[a:b], mean_c, out=dx[a:b])
        return _channel_dots(dy3[a:b], xc)

    dweight = sum(s for part in _in_blocks(centred_dot, n, 3 * row) for s in part) * inv_std  # sum dy x_hat
    scale = inv_std if weight is None else weight.astype(dt, copy=False) * inv_std
    k_hat = _rows(scale * dweight * inv_std / m, L, dt)  # multiplies x - mean
    k_one = _rows(scale * dbias / m, L, dt)
    scale = _rows(scale, L, dt)

    def input_grad(a, b):  # dx = scale * dy - (k_hat * (x - mean) + k_one), dx holding x - mean
        d = dx[a:b]
        d *= k_hat
        d += k_one
        np.subtract(np.multiply(dy3[a:b], scale), d, out=d)

    _in_blocks(input_grad, n, 3 * row)
    return dx.reshape(dy.shape), (None if weight is None else dweight), dbias
