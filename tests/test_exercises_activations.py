"""The checkers of the activation-layers chapter reject the typical wrong answers with a specific
hint and accept a right one."""

from __future__ import annotations

import numpy as np

import layers_lib as ll
from layers_lib.exercises import activations as ex


def _stable(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_accepts_a_stable_answer():
    assert ex.check_softmax(_stable)


def test_softmax_recognises_overflow():
    def naive(x):
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    result = ex.check_softmax(naive)
    assert not result and "overflow" in str(result) and "subtract the row's maximum" in str(result)


def test_softmax_recognises_the_wrong_axis():
    def columns(x):
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    result = ex.check_softmax(columns)
    assert not result and "wrong axis" in str(result)


def test_softmax_recognises_the_global_maximum_and_missing_keepdims():
    def global_max(x):
        e = np.exp(x - x.max())
        return e / e.sum(axis=-1, keepdims=True)

    result = ex.check_softmax(global_max)
    assert not result and "maximum of the WHOLE array" in str(result)
    no_keepdims = ex.check_softmax(lambda x: np.exp(x) / np.exp(x).sum(axis=-1))
    assert "keepdims=True" in str(no_keepdims)


def test_softmax_runs_the_readers_code_without_warnings(recwarn):
    ex.check_softmax(lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_sigmoid_derivative():
    assert ex.check_sigmoid_derivative(lambda x: ll.sigmoid(x) * (1 - ll.sigmoid(x)))
    on_input = ex.check_sigmoid_derivative(lambda x: x * (1 - x))
    assert not on_input and "to the input x" in str(on_input)
    itself = ex.check_sigmoid_derivative(ll.sigmoid)
    assert not itself and "the sigmoid itself" in str(itself)
    tanh_rule = ex.check_sigmoid_derivative(lambda x: 1 - np.tanh(x) ** 2)
    assert "derivative of tanh" in str(tanh_rule)
    overflow = ex.check_sigmoid_derivative(lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2)
    assert not overflow and "exp(1000) overflows" in str(overflow)


def test_cross_entropy_grad():
    def right(logits, targets):
        p = ll.softmax(logits, dim=1)
        p[np.arange(len(targets)), targets] -= 1
        return p / len(targets)

    assert ex.check_cross_entropy_grad(right)
    summed = ex.check_cross_entropy_grad(lambda z, t: right(z, t) * len(t))
    assert not summed and "divide by N" in str(summed)
    flipped = ex.check_cross_entropy_grad(lambda z, t: -right(z, t))
    assert not flipped and "sign is flipped" in str(flipped)
    no_target = ex.check_cross_entropy_grad(lambda z, t: ll.softmax(z, dim=1) / len(t))
    assert "subtract the one-hot target" in str(no_target)
