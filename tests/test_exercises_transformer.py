"""The Transformer chapter's checker accepts right answers and names the typical wrong ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layers_lib as ll
from layers_lib.exercises import transformer as ex


def _angles(P, d):
    return np.arange(P)[:, None] / 10000 ** (np.arange(0, d, 2) / d)  # (P, ceil(d/2))


def interleaved(P, d):
    a = _angles(P, d)
    table = np.zeros((P, d))
    table[:, 0::2], table[:, 1::2] = np.sin(a), np.cos(a[:, : d // 2])
    return table


def loops(P, d):
    return np.array([[math.sin(p / 10000 ** (2 * (c // 2) / d)) if c % 2 == 0 else
                      math.cos(p / 10000 ** (2 * (c // 2) / d)) for c in range(d)] for p in range(P)])


@pytest.mark.parametrize("fn", [interleaved, loops, ll.sinusoidal_positional_encoding])
def test_accepts_right_answers(fn):
    assert ex.check_sinusoidal(fn)


def _swapped(P, d):
    a = _angles(P, d)
    table = np.zeros((P, d))
    table[:, 0::2], table[:, 1::2] = np.cos(a), np.sin(a[:, : d // 2])
    return table


def _per_column(P, d):
    a = np.arange(P)[:, None] / 10000 ** (np.arange(d) / d)
    return np.where(np.arange(d) % 2 == 0, np.sin(a), np.cos(a))


def _halves(P, d):
    a = _angles(P, d)
    return np.concatenate([np.sin(a), np.cos(a[:, : d // 2])], axis=1)


def _even_only(P, d):
    a = _angles(P, d)
    table = np.zeros((P, d))
    table[:, 0::2], table[:, 1::2] = np.sin(a), np.cos(a)  # fails when d is odd
    return table


def _growing(P, d):
    a = np.arange(P)[:, None] * 10000 ** (np.arange(0, d, 2) / d)
    table = np.zeros((P, d))
    table[:, 0::2], table[:, 1::2] = np.sin(a), np.cos(a[:, : d // 2])
    return table


@pytest.mark.parametrize("wrong, hint", [
    (_swapped, "sine and cosine are swapped"),
    (_per_column, "counts PAIRS of columns"),
    (_halves, "tensor2tensor's layout"),
    (lambda P, d: interleaved(P + 1, d)[1:], "your positions start at 1"),
    (_growing, "your frequency grows with the dimension"),
    (lambda P, d: interleaved(P, d).T, "your table is transposed"),
    (_even_only, "fails for an odd d_model = 5"),
    (lambda P, d: interleaved(P, d)[:, :-1], "must have shape (num_positions, d_model)"),
    (lambda P, d: None, "did you forget `return`"),
])
def test_names_typical_mistakes(wrong, hint):
    result = ex.check_sinusoidal(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_a_wrong_answer_without_a_known_cause_gets_no_misleading_hint():
    result = ex.check_sinusoidal(lambda P, d: interleaved(P, d) + 0.1)
    assert not result.passed and "hint" not in str(result)
