"""The self-checking exercise of the convolution chapter (layers_lib.exercises.conv)."""

from __future__ import annotations

import math

import torch

from layers_lib.exercises import conv as ex


def right(h, w, kernel_size, stride=1, padding=0, dilation=1):
    span = dilation * (kernel_size - 1) + 1
    return (h + 2 * padding - span) // stride + 1, (w + 2 * padding - span) // stride + 1


def hint(result) -> str:
    return "\n".join(result.details)


def test_accepts_the_right_formula():
    result = ex.check_output_size(right)
    assert result.passed and "all 11 hidden cases pass" in str(result)


# The hidden cases with their answers worked by hand from PyTorch's formula
# H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1, so that a wrong ll.conv2d_output_size cannot
# hide behind cases built with it.
BY_HAND = [
    ((28, 28, 3, 1, 0, 1), (26, 26)),        # 28 - 3 + 1
    ((32, 32, 5, 1, 0, 1), (28, 28)),        # 32 - 5 + 1
    ((28, 28, 3, 1, 1, 1), (28, 28)),        # 28 + 2 - 3 + 1
    ((64, 64, 5, 2, 2, 1), (32, 32)),        # floor(63 / 2) + 1
    ((7, 12, 3, 1, 0, 1), (5, 10)),          # 7 - 3 + 1, 12 - 3 + 1
    ((7, 7, 3, 2, 0, 1), (3, 3)),            # 4 / 2 + 1
    ((8, 8, 3, 2, 0, 1), (3, 3)),            # floor(5 / 2) + 1
    ((10, 9, 2, 3, 1, 1), (4, 4)),           # floor(10 / 3) + 1, floor(9 / 3) + 1
    ((9, 9, 3, 1, 0, 2), (5, 5)),            # the kernel spans 5: 9 - 5 + 1
    ((15, 11, 3, 2, 2, 3), (7, 5)),          # spans 7: floor(12 / 2) + 1, floor(8 / 2) + 1
    ((224, 224, 7, 2, 3, 1), (112, 112)),    # floor(223 / 2) + 1
]


def test_cases_have_the_answers_worked_by_hand():
    assert ex.output_size_cases() == BY_HAND


def test_the_worked_answers_are_torch_conv2d_output_shapes():
    for (h, w, k, s, p, d), expected in BY_HAND:
        conv = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
        with torch.no_grad():
            assert tuple(conv(torch.zeros(1, 1, h, w)).shape[2:]) == expected


def test_cases_cover_the_traps():
    cases = ex.output_size_cases()
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
