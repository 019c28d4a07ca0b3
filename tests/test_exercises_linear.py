"""The checkers of the linear-layer chapter reject the typical wrong answers with a specific hint
and accept a right one."""

from __future__ import annotations

import numpy as np

from layers_lib.exercises import linear as ex


def test_linear_forward_accepts_the_right_answer():
    assert ex.check_linear_forward(lambda x, w, b: x @ w.T + b)


def test_linear_forward_recognises_a_missing_transpose():
    result = ex.check_linear_forward(lambda x, w, b: x @ w + b)
    assert not result and "x @ W.T" in str(result)


def test_linear_forward_recognises_a_missing_bias():
    result = ex.check_linear_forward(lambda x, w, b: x @ w.T)
    assert not result and "the bias is missing" in str(result)


def test_linear_forward_recognises_the_column_vector_form():
    result = ex.check_linear_forward(lambda x, w, b: w @ x.T + b[:, None])
    assert not result and "your output is transposed" in str(result)


def test_linear_forward_recognises_a_column_bias_and_2d_only_code():
    column_bias = ex.check_linear_forward(lambda x, w, b: x @ w.T + b[:, None])
    assert "do not reshape it into a column" in str(column_bias)
    only_2d = ex.check_linear_forward(lambda x, w, b: np.einsum("ni,oi->no", x, w) + b)
    assert not only_2d and "more than one leading dimension" in str(only_2d)


def test_linear_forward_says_when_nothing_is_returned():
    assert "did you forget `return`" in str(ex.check_linear_forward(lambda x, w, b: None))


def _right_backward(dy, x, w):
    x2, dy2 = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
    return dy @ w, dy2.T @ x2, dy2.sum(axis=0)


def test_linear_backward_accepts_the_right_answer():
    assert ex.check_linear_backward(_right_backward)


def test_linear_backward_recognises_an_unsummed_bias_gradient():
    result = ex.check_linear_backward(lambda dy, x, w: (dy @ w, dy.T @ x, dy))
    assert not result and "sum over the batch" in str(result) and "wrong:    db" in str(result)


def test_linear_backward_recognises_a_transposed_weight_gradient():
    result = ex.check_linear_backward(lambda dy, x, w: (dy @ w, x.T @ dy, dy.sum(axis=0)))
    assert not result and "dW is transposed" in str(result)


def test_linear_backward_recognises_averaging_and_unflattened_3d_sums():
    averaged = ex.check_linear_backward(lambda dy, x, w: (dy @ w, dy.T @ x / len(x), dy.sum(axis=0)))
    assert "divided by the batch size" in str(averaged)

    def db_2d_only(dy, x, w):
        dx, dw, _ = _right_backward(dy, x, w)
        return dx, dw, dy.sum(axis=0)

    result = ex.check_linear_backward(db_2d_only)
    assert not result and "case 3 of 3" in str(result) and "every leading dimension" in str(result)


def test_linear_backward_asks_for_a_tuple():
    assert "(dx, dW, db)" in str(ex.check_linear_backward(lambda dy, x, w: dy @ w))


def _pairs(sizes):
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def test_mlp_num_parameters():
    assert ex.check_mlp_num_parameters(lambda s: sum(a * b + b for a, b in _pairs(s)))
    weights_only = ex.check_mlp_num_parameters(lambda s: sum(a * b for a, b in _pairs(s)))
    assert not weights_only and "weights only" in str(weights_only)
    wrong_bias = ex.check_mlp_num_parameters(lambda s: sum(a * b + a for a, b in _pairs(s)))
    assert not wrong_bias and "one per OUTPUT unit" in str(wrong_bias)
    input_bias = ex.check_mlp_num_parameters(lambda s: sum(a * b for a, b in _pairs(s)) + sum(s))
    assert "input layer biases" in str(input_bias)
