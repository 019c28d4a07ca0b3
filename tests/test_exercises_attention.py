"""The attention chapter's checker accepts right answers and names the typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import layers_lib as ll
from layers_lib.exercises import attention as ex


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _scores(q, k):
    return q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])


def right(q, k, v):
    return _softmax(_scores(q, k)) @ v


def einsum(q, k, v):
    s = np.einsum("...ld,...sd->...ls", q, k) / np.sqrt(q.shape[-1])
    return _softmax(s) @ v


@pytest.mark.parametrize("fn", [right, einsum, lambda q, k, v: ll.scaled_dot_product_attention(q, k, v)[0]])
def test_accepts_right_answers(fn):
    assert ex.check_attention(fn)


def _naive_exp(q, k, v):
    e = np.exp(_scores(q, k))
    return e / e.sum(axis=-1, keepdims=True) @ v


@pytest.mark.parametrize("wrong, hint", [
    (lambda q, k, v: _softmax(q @ np.swapaxes(k, -1, -2)) @ v, "you forgot the scale"),
    (lambda q, k, v: _softmax(q @ np.swapaxes(k, -1, -2) / q.shape[-1]) @ v, "you divided the scores by d"),
    (lambda q, k, v: _softmax(_scores(q, k), axis=-2) @ v, "softmax runs over the wrong axis"),
    (lambda q, k, v: _softmax(_scores(q, k), axis=0) @ v, "softmax runs over the wrong axis"),
    (lambda q, k, v: _softmax(q @ k / np.sqrt(q.shape[-1])) @ v, "the keys are not transposed"),
    (lambda q, k, v: _softmax(k @ q.T / np.sqrt(q.shape[-1])) @ v, "the TRANSPOSE of the scores"),
    (lambda q, k, v: _softmax(q @ k.T / np.sqrt(q.shape[-1])) @ v, "np.swapaxes(k, -1, -2)"),
    (lambda q, k, v: _softmax(_scores(q, k)), "you returned the attention weights"),
    (lambda q, k, v: (right(q, k, v), _softmax(_scores(q, k))), "not a tuple"),
    (_naive_exp, "Subtract each row's maximum"),
    (lambda q, k, v: None, "did you forget `return`"),
])
def test_names_typical_mistakes(wrong, hint):
    result = ex.check_attention(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_the_hidden_cases_really_overflow_a_naive_softmax():
    (q, k, _), _ = ex._cases()[3]
    assert (q @ k.T / np.sqrt(q.shape[-1])).max() > 709
