"""Input checks shared by the layers, so that bad input gets an error that teaches.

Every message names the layer, what it expected and what it got, e.g.
``Conv2d expected input of shape (N, 3, H, W), got (64, 28, 28)``.
"""

from __future__ import annotations

import math
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


def check_ndim(layer: str, x: np.ndarray, ndims, layout: str, nonempty: bool = False) -> None:
    """Raise ``ValueError`` unless ``x.ndim`` is in ``ndims``; ``layout`` reads like ``(N, C, H, W)``.

    With ``nonempty``, an input with a zero-length dimension is refused too.

    Examples:
        >>> check_ndim("MaxPool2d", np.ones((3, 3)), (3, 4), "(N, C, H, W) or (C, H, W)")
        Traceback (most recent call last):
        ...
        ValueError: MaxPool2d expected input of shape (N, C, H, W) or (C, H, W), got (3, 3)
    """
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.ndim not in ndims:
        raise ValueError(f"{layer} expected input of shape {layout}, got {tuple(x.shape)}")
    if nonempty and 0 in x.shape:
        raise ValueError(f"{layer} expected a non-empty input of shape {layout}, got {tuple(x.shape)}")


def check_input(layer: str, x, ndims, layout: str, nonempty: bool = False) -> np.ndarray:
    """:func:`as_float_array` and :func:`check_ndim` in one call: the usual first line of a forward."""
    x = as_float_array(layer, x)
    check_ndim(layer, x, ndims, layout, nonempty)
    return x


def batched(x: np.ndarray, unbatched_ndim: int) -> tuple[np.ndarray, bool]:
    """Add the batch axis PyTorch's layers accept without: ``(x[None], True)`` when ``x`` has
    ``unbatched_ndim`` dimensions (e.g. 3 for ``(C, H, W)``), else ``(x, False)``."""
    return (x[None], True) if x.ndim == unbatched_ndim else (x, False)


def check_grad(layer: str, dy, expected_shape) -> np.ndarray:
    """The upstream gradient must have the shape of the forward output."""
    dy = np.asarray(dy)
    if tuple(dy.shape) != tuple(expected_shape):
        raise ValueError(
            f"{layer}.backward expected a gradient of shape {tuple(expected_shape)} "
            f"(the shape of the forward output), got {tuple(dy.shape)}"
        )
    return dy


def check_grad_batched(layer: str, dy, out_shape, unbatched: bool) -> np.ndarray:
    """:func:`check_grad` for a layer that accepts unbatched input (see :func:`batched`): when the
    forward input was unbatched, ``dy`` has the batched ``out_shape`` without its batch axis.
    Returns ``dy`` with the batch axis, ready for the pure backward.

    Examples:
        >>> check_grad_batched("Conv2d", np.ones((2, 3, 3)), (1, 2, 3, 3), unbatched=True).shape
        (1, 2, 3, 3)
    """
    if not unbatched:
        return check_grad(layer, dy, out_shape)
    return check_grad(layer, dy, tuple(out_shape)[1:])[None]


def check_int(layer: str, name: str, value, minimum: int | None = 1) -> int:
    """An int hyper-parameter (not a bool), at least ``minimum`` unless that is ``None``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{layer} expected {name} to be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer} expected {name} >= {minimum}, got {value}")
    return int(value)


def check_real(layer: str, name: str, value, nonzero: str | None = None, finite: bool = True,
               minimum: float | None = None) -> float:
    """A real hyper-parameter (not a bool). It must be finite (with ``finite=False``: not NaN);
    with ``nonzero`` (the reason, e.g. ``"it divides x"``) zero is refused too, and with
    ``minimum`` anything below it.

    Examples:
        >>> check_real("CELU", "alpha", 0.0, nonzero="it divides x")
        Traceback (most recent call last):
        ...
        ValueError: CELU expected alpha != 0 (it divides x), got 0.0
        >>> check_real("BatchNorm1d", "eps", -1e-5, minimum=0.0)
        Traceback (most recent call last):
        ...
        ValueError: BatchNorm1d expected eps >= 0.0, got -1e-05
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer} expected {name} to be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{layer} expected {name} to be a {'finite ' if finite else ''}number, got {value}")
    if nonzero and value == 0:
        raise ValueError(f"{layer} expected {name} != 0 ({nonzero}), got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer} expected {name} >= {minimum}, got {value}")
    return value


def check_bool(layer: str, name: str, value) -> bool:
    """A flag must be ``True`` or ``False`` (a NumPy bool too), not a truthy object."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{layer} expected {name} to be True or False, got {value!r}")
    return bool(value)


def check_rng(layer: str, rng) -> np.random.Generator:
    """``rng`` must be a ``numpy.random.Generator``; ``None`` gets a fresh, unseeded one."""
    rng = np.random.default_rng() if rng is None else rng
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{layer} expected rng to be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def pair(layer: str, name: str, value, minimum: int = 1) -> tuple[int, int]:
    """Accept an int or a pair of ints, as PyTorch's 2-D layers do, and validate both."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{layer} expected {name} to be an int or a pair, got {value!r}")
        return check_int(layer, name, value[0], minimum), check_int(layer, name, value[1], minimum)
    v = check_int(layer, name, value, minimum)
    return v, v
