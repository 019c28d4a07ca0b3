"""Input checks shared by the layers, so that bad input gets an error that teaches.

Every message names the layer, what it expected and what it got, e.g.
``Conv2d expected input of shape (N, 3, H, W), got (64, 28, 28)``.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(layer: str, x, what: str = "input") -> np.ndarray:
    """Return ``x`` as an ndarray, refusing non-floating dtypes (as PyTorch's float layers do)."""
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{layer} expected a floating-point {what}, got dtype {x.dtype}")
    return x


def check_float_dtype(layer: str, dtype) -> np.dtype:
    """A layer's ``dtype=`` argument must be a floating-point type (parameters are trained)."""
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{layer} expected a floating-point dtype, got {dtype}")
    return dtype


def check_ndim(layer: str, x: np.ndarray, ndims, layout: str) -> None:
    """Raise ``ValueError`` unless ``x.ndim`` is in ``ndims``; ``layout`` reads like ``(N, C, H, W)``."""
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.ndim not in ndims:
        raise ValueError(f"{layer} expected input of shape {layout}, got {tuple(x.shape)}")


def check_grad(layer: str, dy, expected_shape) -> np.ndarray:
    """The upstream gradient must have the shape of the forward output."""
    dy = np.asarray(dy)
    if tuple(dy.shape) != tuple(expected_shape):
        raise ValueError(
            f"{layer}.backward expected a gradient of shape {tuple(expected_shape)} "
            f"(the shape of the forward output), got {tuple(dy.shape)}"
        )
    return dy


def check_int(layer: str, name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{layer} expected {name} to be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{layer} expected {name} >= {minimum}, got {value}")
    return int(value)


def pair(layer: str, name: str, value, minimum: int = 1) -> tuple[int, int]:
    """Accept an int or a pair of ints, as PyTorch's 2-D layers do, and validate both."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{layer} expected {name} to be an int or a pair, got {value!r}")
        return check_int(layer, name, value[0], minimum), check_int(layer, name, value[1], minimum)
    v = check_int(layer, name, value, minimum)
    return v, v
