"""The self-checking exercise of the convolution chapter (layers_lib.exercises.conv)."""

from __future__ import annotations

import math

import layers_lib as ll
from layers_lib.exercises import conv as ex


def right(h, w, kernel_size, stride=1, padding=0, dilation=1):
    span = dilation * (kernel_size - 1) + 1
    return (h + 2 * padding - span) // stride + 1, (w + 2 * padding - span) // stride + 1


def hint(result) -> str:
    return "\n".join(result.details)


def test_accepts_the_right_formula():
    result = ex.check_output_size(right)
    assert result.passed and "all 11 hidden cases pass" in str(result)


def test_cases_come_from_layers_lib_and_cover_the_traps():
    cases = ex.output_size_cases()
    for args, expected in cases:
        assert expected == ll.conv2d_output_size(*args)
    assert any(h != w for (h, w, *_), _ in cases)                        # non-square
    assert any(p > 0 for (_, _, _, _, p, _), _ in cases)                 # padding
    assert any(d > 1 for (*_, d), _ in cases)                            # dilation
    assert any((h + 2 * p - d * (k - 1) - 1) % s for (h, w, k, s, p, d), _ in cases)  # floor matters


def test_forgotten_padding():
    result = ex.check_output_size(lambda h, w, k, s=1, p=0, d=1: right(h, w, k, s, 0, d))
    assert not result.passed and "forgot the padding" in hint(result)


def test_padding_on_one_side_only():
    def one_side(h, w, k, s=1, p=0, d=1):
        span = d * (k - 1) + 1
        return (h + p - span) // s + 1, (w + p - span) // s + 1
    assert "both sides" in hint(ex.check_output_size(one_side))


def test_forgotten_dilation():
    result = ex.check_output_size(lambda h, w, k, s=1, p=0, d=1: right(h, w, k, s, p, 1))
    assert not result.passed and "forgot the dilation" in hint(result)


def test_ceil_instead_of_floor():
    def ceil(h, w, k, s=1, p=0, d=1):
        span = d * (k - 1) + 1
        return math.ceil((h + 2 * p - span) / s) + 1, math.ceil((w + 2 * p - span) / s) + 1
    result = ex.check_output_size(ceil)
    assert not result.passed and "rounded up" in hint(result) and "floor" in hint(result)


def test_swapped_height_and_width():
    result = ex.check_output_size(lambda *args: right(*args)[::-1])
    assert not result.passed and "transposed" in hint(result)


def test_missing_plus_one_and_true_division():
    def short(h, w, k, s=1, p=0, d=1):
        h_out, w_out = right(h, w, k, s, p, d)
        return h_out - 1, w_out - 1
    assert "one short" in hint(ex.check_output_size(short))

    def real(h, w, k, s=1, p=0, d=1):
        span = d * (k - 1) + 1
        return (h + 2 * p - span) / s + 1, (w + 2 * p - span) / s + 1
    assert "not an integer" in hint(ex.check_output_size(real))


def test_stub_and_errors_get_a_plain_verdict():
    assert "returned None" in str(ex.check_output_size(lambda *args: None))
    result = ex.check_output_size(lambda *args: 1 / 0)
    assert not result.passed and "ZeroDivisionError" in str(result)
    assert "pair" in hint(ex.check_output_size(lambda *args: 5))
