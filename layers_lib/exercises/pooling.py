"""Checkers for the pooling chapter's exercises.

* :func:`check_maxpool_forward`: ``fn(x, kernel_size, stride=None) -> out``, 2-D max pooling of
  one ``(H, W)`` array without padding, ``stride=None`` meaning ``kernel_size``.

The hidden inputs are non-square and not symmetric, with distinct values (no ties), and the
expected outputs come from :class:`layers_lib.MaxPool2d`. A wrong answer is compared with the
usual mistakes — a transposed output, rows and columns swapped in the window slice (the bug of a
widely copied snippet, invisible on square symmetric tests), the stride ignored, an output size of
``H // stride``, average instead of max, no default stride — and the reader gets the matching hint.
"""

from __future__ import annotations

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases

__all__ = ["check_maxpool_forward", "maxpool_cases"]


def _input(h: int, w: int, seed: int) -> np.ndarray:
    """Distinct values in random order: not symmetric, no ties."""
    return np.random.default_rng(seed).permutation(h * w).reshape(h, w).astype(float)


def _reference(x, kernel_size, stride=None):
    return ll.MaxPool2d(kernel_size, stride)(x[None, None])[0, 0]


def maxpool_cases() -> list[tuple[tuple, np.ndarray]]:
    """The hidden cases ``((x, kernel_size, stride), expected)``, easiest first."""
    settings = [((4, 6), 2, 2, 1),    # the usual 2×2, stride 2 — on a non-square input
                ((6, 4), 2, 2, 2),
                ((5, 7), 2, 2, 3),    # odd sizes: the last row/column is dropped
                ((7, 6), 3, 2, 4),    # overlapping windows: stride < kernel
                ((6, 8), 3, 3, 5),
                ((8, 5), 2, 1, 6),    # stride 1
                ((6, 9), 2, None, 7)]  # stride=None means kernel_size
    return [((_input(h, w, seed), k, s), _reference(_input(h, w, seed), k, s))
            for (h, w), k, s, seed in settings]


def _swapped_slice(x, k, s):
    """The snippet's bug: out[i, j] = max(x[c:c+k, r:r+k]) with r = i*s (row), c = j*s (column)."""
    ho, wo = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
    out = np.full((ho, wo), np.nan)
    for i in range(ho):
        for j in range(wo):
            window = x[j * s:j * s + k, i * s:i * s + k]
            if window.size:
                out[i, j] = window.max()
    return out


def _floor_div_size(x, k, s):
    """Windows at 0, s, 2s, ... for H // s rows (clipped at the edge)."""
    ho, wo = x.shape[0] // s, x.shape[1] // s
    return np.array([[x[i * s:i * s + k, j * s:j * s + k].max() for j in range(wo)] for i in range(ho)])


def _avg(x, k, s):
    return ll.AvgPool2d(k, s)(x[None, None])[0, 0]


def _diagnose(args, got, expected):
    x, k, s = args
    stride = k if s is None else s
    if isinstance(got, Raised):
        if s is None and isinstance(got.exc, TypeError):
            return ("stride=None must mean stride = kernel_size (PyTorch's default: windows that do "
                    "not overlap).")
        if "empty" in str(got.exc) or "zero-size" in str(got.exc):
            return ("a window came out empty: check the slice. With x[r:r+k, c:c+k] the first index is the "
                    "row (up to H) and the second the column (up to W); swapping them reads past the "
                    "shorter side of a non-square input.")
        return None
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return "return a 2-D NumPy array."
    if got.ndim != 2:
        return f"return a 2-D array of shape {expected.shape}; yours has shape {got.shape}."
    if got.shape == expected.T.shape and np.allclose(got, expected.T):
        return (f"your output is transposed: got (H, W) = {got.shape}, expected {expected.shape}. "
                "Index the output as out[row, column].")
    swapped = _swapped_slice(x, k, stride)
    if got.shape == swapped.shape and not np.allclose(got, expected) and \
            np.allclose(got, swapped, equal_nan=True):
        return ("rows and columns are swapped in the window slice: you take x[c:c+k, r:r+k] where r is "
                "the row offset. A square symmetric test cannot see this; here H ≠ W.")
    if s != 1 and got.shape == _reference(x, k, 1).shape and np.allclose(got, _reference(x, k, 1)):
        return (f"you moved the window one pixel at a time: the stride is {stride}, so window (i, j) starts "
                f"at row i·{stride} and column j·{stride}.")
    if got.shape == (x.shape[0] // stride, x.shape[1] // stride) and got.shape != expected.shape:
        return (f"your output has shape (H // stride, W // stride) = {got.shape}. The number of windows "
                f"is ⌊(H − k)/s⌋ + 1 = {expected.shape[0]} rows and {expected.shape[1]} columns: a window "
                "must fit entirely inside the input.")
    avg = _avg(x, k, stride)
    if got.shape == avg.shape and np.allclose(got, avg):
        return "you averaged the window: max pooling takes its largest value (np.max)."
    if got.shape != expected.shape:
        return (f"expected shape {expected.shape} = (⌊(H − k)/s⌋ + 1, ⌊(W − k)/s⌋ + 1), got {got.shape}.")
    return None


def check_maxpool_forward(fn) -> CheckResult:
    """Check ``fn(x, kernel_size, stride=None) -> out`` (2-D max pooling, no padding) against
    :class:`layers_lib.MaxPool2d` on hidden non-square inputs."""

    def show(args):
        x, k, s = args
        return f"x of shape {x.shape} (distinct values), kernel_size={k}, stride={s}"

    return check_cases("max_pool", fn, maxpool_cases(), diagnose=_diagnose, show_input=show)
