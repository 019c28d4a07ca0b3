"""Checkers for the convolution chapter's exercises.

* :func:`check_output_size`: ``fn(h, w, kernel_size, stride, padding, dilation) -> (h_out, w_out)``,
  the output height and width of a 2-D convolution with int hyper-parameters.

The hidden cases are computed with :func:`layers_lib.conv2d_output_size`. A wrong answer is
compared with the usual mistakes — forgetting the padding (or counting it on one side only),
forgetting the dilation, rounding up instead of down, dropping the ``+ 1``, returning
``(w_out, h_out)`` — and the reader gets the matching hint.
"""

from __future__ import annotations

import math

import layers_lib as ll

from . import CheckResult, Raised, check_cases

__all__ = ["check_output_size", "output_size_cases"]


def output_size_cases() -> list[tuple[tuple, tuple[int, int]]]:
    """The hidden cases: ``((h, w, kernel_size, stride, padding, dilation), (h_out, w_out))``.

    They are ordered so that the first failure names one mistake: plain sizes first, then padding,
    a non-square input, a stride that does not divide evenly, and dilation."""
    settings = [
        (28, 28, 3, 1, 0, 1),   # the plain case
        (32, 32, 5, 1, 0, 1),
        (28, 28, 3, 1, 1, 1),   # 'same' padding
        (64, 64, 5, 2, 2, 1),
        (7, 12, 3, 1, 0, 1),    # not square: H and W differ
        (7, 7, 3, 2, 0, 1),     # (7 - 3) / 2 = 2: divides evenly
        (8, 8, 3, 2, 0, 1),     # (8 - 3) / 2 = 2.5: the floor drops the last row
        (10, 9, 2, 3, 1, 1),
        (9, 9, 3, 1, 0, 2),     # dilation: the kernel spans 5 pixels
        (15, 11, 3, 2, 2, 3),
        (224, 224, 7, 2, 3, 1), # ResNet's first layer
    ]
    return [(s, ll.conv2d_output_size(*s)) for s in settings]


def _one(n, k, s, p, d, *, pad_sides=2, dilate=True, rounding=math.floor, plus_one=True):
    span = (d if dilate else 1) * (k - 1) + 1
    return rounding((n + pad_sides * p - span) / s) + (1 if plus_one else 0)


def _mistakes(h, w, k, s, p, d):
    """``(answer, hint)`` for each typical mistake, in the order they are diagnosed."""
    def both(**kw):
        return (_one(h, k, s, p, d, **kw), _one(w, k, s, p, d, **kw))

    right = both()
    return [
        ((right[1], right[0]),
         "your answer is (W_out, H_out): it is transposed. Return the height first, as in (N, C, H, W)."),
        (both(pad_sides=0),
         "you forgot the padding: it adds 2·padding rows (top and bottom) and 2·padding columns."),
        (both(pad_sides=1),
         "you added the padding once; it goes on both sides, so the input grows by 2·padding."),
        (both(dilate=False),
         "you forgot the dilation: a kernel of size k with dilation d spans d·(k − 1) + 1 pixels."),
        (both(rounding=math.ceil),
         "you rounded up. PyTorch rounds down (floor): a window that would stick out past the padded "
         "input is not used, so the last rows/columns are simply not visited."),
        (both(plus_one=False),
         "you are one short: count the first window too. The window starts at 0, s, 2s, …, so there "
         "are ⌊(padded − span)/s⌋ + 1 positions."),
        (both(rounding=lambda v: v),
         "your answer is not an integer: take the floor of the division (use //)."),
    ]


def _diagnose(args, got, expected):
    if isinstance(got, Raised):
        return None  # the verdict shows the error
    try:
        got = tuple(got)
    except TypeError:
        return "return a pair (h_out, w_out), e.g. `return h_out, w_out`."
    if len(got) != 2:
        return f"return a pair (h_out, w_out); you returned {len(got)} numbers."
    for answer, hint in _mistakes(*args):
        if answer != tuple(expected) and all(
                isinstance(g, (int, float)) or hasattr(g, "__index__") for g in got) and \
                all(math.isclose(float(g), float(a)) for g, a in zip(got, answer, strict=True)):
            return hint
    return None


def check_output_size(fn) -> CheckResult:
    """Check ``fn(h, w, kernel_size, stride, padding, dilation) -> (h_out, w_out)`` (ints) against
    :func:`layers_lib.conv2d_output_size` on the hidden cases."""

    def show(args):
        h, w, k, s, p, d = args
        return f"h={h}, w={w}, kernel_size={k}, stride={s}, padding={p}, dilation={d}"

    return check_cases("output_size", fn, output_size_cases(), diagnose=_diagnose, show_input=show)
