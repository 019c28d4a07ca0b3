"""The self-checking exercise of the pooling chapter (layers_lib.exercises.pooling)."""

from __future__ import annotations

import numpy as np

import layers_lib as ll
from layers_lib.exercises import pooling as ex


def right(x, k, s=None):
    s = k if s is None else s
    ho, wo = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
    return np.array([[x[i * s:i * s + k, j * s:j * s + k].max() for j in range(wo)] for i in range(ho)])


def hint(result) -> str:
    return "\n".join(result.details)


def test_accepts_a_correct_max_pool():
    result = ex.check_maxpool_forward(right)
    assert result.passed and "all 7 hidden cases pass" in str(result)


def test_cases_are_non_square_without_ties_and_match_layers_lib():
    for (x, k, s), expected in ex.maxpool_cases():
        assert x.shape[0] != x.shape[1] and len(np.unique(x)) == x.size
        np.testing.assert_array_equal(expected, ll.MaxPool2d(k, s)(x[None, None])[0, 0])


def test_transposed_output():
    result = ex.check_maxpool_forward(lambda x, k, s=None: right(x, k, s).T)
    assert not result.passed and "transposed" in hint(result) and "(3, 2)" in hint(result)


def test_rows_and_columns_swapped_in_the_slice():
    def swapped(x, k, s=None):
        s = k if s is None else s
        ho, wo = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
        out = np.zeros((ho, wo))
        for i in range(ho):
            for j in range(wo):
                r, c = i * s, j * s
                out[i, j] = x[c:c + k, r:r + k].max()
        return out
    result = ex.check_maxpool_forward(swapped)
    assert not result.passed and "x[r:r+k, c:c+k]" in hint(result)


def test_swapped_slice_that_does_not_crash_is_named_too():
    """On a tall input (H > W) the swapped slice stays in range and gives wrong values."""
    x = np.random.default_rng(2).permutation(24).reshape(6, 4).astype(float)
    expected = ll.MaxPool2d(2)(x[None, None])[0, 0]
    got = ex._swapped_slice(x, 2, 2)
    assert "swapped in the window slice" in ex._diagnose((x, 2, 2), got, expected)


def test_stride_ignored():
    result = ex.check_maxpool_forward(lambda x, k, s=None: right(x, k, 1))
    assert not result.passed and "one pixel at a time" in hint(result)


def test_output_size_h_floordiv_stride():
    def floordiv(x, k, s=None):
        s = k if s is None else s
        return np.array([[x[i * s:i * s + k, j * s:j * s + k].max() for j in range(x.shape[1] // s)]
                         for i in range(x.shape[0] // s)])
    result = ex.check_maxpool_forward(floordiv)
    assert not result.passed and "H // stride" in hint(result)


def test_average_instead_of_max_and_missing_default_stride():
    def average(x, k, s=None):
        s = k if s is None else s
        ho, wo = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
        return np.array([[x[i * s:i * s + k, j * s:j * s + k].mean() for j in range(wo)] for i in range(ho)])
    assert "averaged" in hint(ex.check_maxpool_forward(average))

    def no_default(x, k, s):
        return right(x, k, s) if s is not None else right(x, k, s + 0)
    result = ex.check_maxpool_forward(no_default)
    assert not result.passed and "stride=None must mean stride = kernel_size" in hint(result)


def test_stub_returns_none():
    assert "returned None" in str(ex.check_maxpool_forward(lambda x, k, s=None: None))
