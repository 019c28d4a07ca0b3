"""The embedding chapter's checkers accept right answers and name the typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from layers_lib.exercises import embedding as ex


def right(dy, ids, V, pad):
    dW = np.zeros((V, dy.shape[-1]))
    np.add.at(dW, ids, dy)
    if pad is not None:
        dW[pad] = 0
    return dW


def one_hot(dy, ids, V, pad):
    dW = np.eye(V)[ids.reshape(-1)].T @ dy.reshape(-1, dy.shape[-1])
    if pad is not None:
        dW[pad] = 0
    return dW


def loop(dy, ids, V, pad):
    dW = np.zeros((V, dy.shape[-1]))
    for i, d in zip(ids.reshape(-1), dy.reshape(-1, dy.shape[-1]), strict=True):
        if i != pad:
            dW[i] += d
    return dW


@pytest.mark.parametrize("fn", [right, one_hot, loop])
def test_accepts_right_answers(fn):
    assert ex.check_embedding_backward(fn)


def _assign(dy, ids, V, pad):
    dW = np.zeros((V, dy.shape[-1]))
    dW[ids] = dy
    if pad is not None:
        dW[pad] = 0
    return dW


def _fancy_add(dy, ids, V, pad):
    dW = np.zeros((V, dy.shape[-1]))
    dW[ids] += dy
    if pad is not None:
        dW[pad] = 0
    return dW


def _no_padding(dy, ids, V, pad):
    dW = np.zeros((V, dy.shape[-1]))
    np.add.at(dW, ids, dy)
    return dW


def _row_loop(dy, ids, V, pad):  # right for 1-D ids; with (N, T) ids each `t` is a whole row
    dW = np.zeros((V, dy.shape[-1]))
    for n, t in enumerate(ids):
        dW[t] += dy[n]
    if pad is not None:
        dW[pad] = 0
    return dW


def _mean(dy, ids, V, pad):
    dW = right(dy, ids, V, pad)
    counts = np.bincount(ids.reshape(-1), minlength=V)
    return dW / np.maximum(counts, 1)[:, None]


@pytest.mark.parametrize("wrong, hint", [
    (_assign, "the last write wins"),
    (_fancy_add, "np.add.at(dW, ids, dy)"),
    (_no_padding, "padding row (padding_idx=0)"),
    (_row_loop, "a loop over the first axis"),
    (_mean, "you averaged the contributions"),
    (lambda dy, ids, V, pad: dy, "one row per position"),
    (lambda dy, ids, V, pad: right(dy, ids, V, pad).T, "transposed"),
    (lambda dy, ids, V, pad: -right(dy, ids, V, pad), "wrong sign"),
    (lambda dy, ids, V, pad: None, "did you forget `return`"),
])
def test_names_typical_mistakes(wrong, hint):
    result = ex.check_embedding_backward(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_output_shape_checker():
    assert ex.check_embedding_output_shape(lambda s, V, D: tuple(s) + (D,))
    assert ex.check_embedding_output_shape(lambda s, V, D: [*s, D])
    for wrong, hint in [
        (lambda s, V, D: tuple(s) + (V,), "vocabulary size is not part of the output"),
        (lambda s, V, D: (int(np.prod(s)), D), "not flattened"),
        (lambda s, V, D: tuple(s) + (V, D), "not the whole table"),
        (lambda s, V, D: (D,), "followed by embedding_dim"),
        (lambda s, V, D: "shape", "as a tuple"),
    ]:
        result = ex.check_embedding_output_shape(wrong)
        assert not result.passed and hint in str(result), str(result)
