"""The checkers of the recurrent chapters reject the typical wrong answers with a specific hint and
accept a right one."""

from __future__ import annotations

import numpy as np
import pytest

from layers_lib.exercises import recurrent as ex


# -- rnn_forward ------------------------------------------------------------------------------------
def _rnn(carry=True, transpose_ih=True, transpose_hh=True, b_ih_on=True, b_hh_on=True, act=np.tanh,
         shift=False, axis=1):
    def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
        h, outputs = h0, []
        for t in range(x.shape[1]):
            prev = h if carry else h0
            a = (x[:, t] @ (w_ih.T if transpose_ih else w_ih) + (b_ih if b_ih_on else 0)
                 + prev @ (w_hh.T if transpose_hh else w_hh) + (b_hh if b_hh_on else 0))
            new = act(a)
            outputs.append(h if shift else new)
            h = new
        return np.stack(outputs, axis=axis)
    return rnn_forward


def test_rnn_forward_accepts_the_right_answer():
    assert ex.check_rnn_forward(_rnn())


@pytest.mark.parametrize("wrong, hint", [
    (dict(carry=False), "every step used h0"),
    (dict(transpose_ih=False), "weight_ih is not transposed"),
    (dict(transpose_hh=False), "weight_hh is not transposed"),
    (dict(b_hh_on=False), "bias_hh is missing"),
    (dict(b_ih_on=False), "bias_ih is missing"),
    (dict(act=lambda a: a), "the tanh is missing"),
    (dict(shift=True), "your output at step t is h_{t-1}"),
    (dict(axis=0), "your output is time-major"),
])
def test_rnn_forward_names_the_mistake(wrong, hint):
    result = ex.check_rnn_forward(_rnn(**wrong))
    assert not result and hint in str(result)


def test_rnn_forward_says_when_only_the_last_state_or_nothing_is_returned():
    last_only = ex.check_rnn_forward(lambda *args: _rnn()(*args)[:, -1])
    assert not last_only and "you returned only the last state" in str(last_only)
    assert "did you forget `return`" in str(ex.check_rnn_forward(lambda *args: None))


# -- rnn_step_backward ------------------------------------------------------------------------------
def _step(tanh_grad="h", whh_t=False, dw_ih_t=False, dw_hh_with="h_prev", db_sum=True):
    def rnn_step_backward(dh, x, h_prev, h, w_ih, w_hh):
        da = {"h": dh * (1 - h ** 2), "h_prev": dh * (1 - h_prev ** 2), None: dh}[tanh_grad]
        dw_hh = da.T @ (h_prev if dw_hh_with == "h_prev" else h)
        return (da @ w_ih, da @ (w_hh.T if whh_t else w_hh), x.T @ da if dw_ih_t else da.T @ x, dw_hh,
                da.sum(axis=0) if db_sum else da)
    return rnn_step_backward


def test_rnn_step_backward_accepts_the_right_answer():
    assert ex.check_rnn_step_backward(_step())


@pytest.mark.parametrize("wrong, hint", [
    (dict(tanh_grad=None), "the tanh derivative is missing"),
    (dict(tanh_grad="h_prev"), "uses the NEW state h_t"),
    (dict(whh_t=True), "dh_prev = da @ W_hh (not W_hh.T)"),
    (dict(dw_ih_t=True), "dw_ih is transposed"),
    (dict(dw_hh_with="h"), "dw_hh used h_t"),
    (dict(db_sum=False), "sum over it"),
])
def test_rnn_step_backward_names_the_mistake(wrong, hint):
    result = ex.check_rnn_step_backward(_step(**wrong))
    assert not result and hint in str(result)


def test_rnn_step_backward_asks_for_five_arrays():
    result = ex.check_rnn_step_backward(lambda *args: _step()(*args)[:4])
    assert not result and "five arrays" in str(result)


# -- lstm_cell --------------------------------------------------------------------------------------
def _lstm(order="ifgo", g_sigmoid=False, tanh_c=True, swap=False, b_hh_on=True):
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    def lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
        H = h.shape[1]
        a = x @ w_ih.T + b_ih + h @ w_hh.T + (b_hh if b_hh_on else 0)
        blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
        g = sigmoid(blocks["g"]) if g_sigmoid else np.tanh(blocks["g"])
        c = f * c + i * g
        h = o * (np.tanh(c) if tanh_c else c)
        return (c, h) if swap else (h, c)
    return lstm_cell


def test_lstm_cell_accepts_the_right_answer():
    assert ex.check_lstm_cell(_lstm())


@pytest.mark.parametrize("wrong, hint", [
    (dict(order="igfo"), "you sliced the gates in the order (i, g, f, o)"),
    (dict(order="ifog"), "you sliced the gates in the order (i, f, o, g)"),
    (dict(g_sigmoid=True), "the candidate g uses tanh"),
    (dict(tanh_c=False), "the tanh on the cell state is missing"),
    (dict(swap=True), "you returned (c, h)"),
    (dict(b_hh_on=False), "bias_hh is missing"),
])
def test_lstm_cell_names_the_mistake(wrong, hint):
    result = ex.check_lstm_cell(_lstm(**wrong))
    assert not result and hint in str(result)


# -- num_parameters ---------------------------------------------------------------------------------
def _count(**mistake):
    return lambda mode, D, H, L, bi: ex._count(mode, D, H, L, bi, **mistake)


def test_num_parameters_accepts_the_right_answer():
    def num_parameters(mode, D, H, num_layers, bidirectional):
        k = {"RNN": 1, "LSTM": 4, "GRU": 3}[mode]
        dirs = 2 if bidirectional else 1
        return sum(dirs * k * (H * (D if layer == 0 else dirs * H) + H * H + 2 * H)
                   for layer in range(num_layers))
    assert ex.check_num_parameters(num_parameters)


@pytest.mark.parametrize("mistake, hint", [
    (dict(gates=False), "multiply the RNN count by 4"),
    (dict(two_biases=False), "TWO bias vectors"),
    (dict(next_input="D"), "layer k > 0 does not read the input x"),
    (dict(next_input="H"), "its input size is 2H"),
    (dict(both_directions=False), "count it twice"),
])
def test_num_parameters_names_the_mistake(mistake, hint):
    result = ex.check_num_parameters(_count(**mistake))
    assert not result and hint in str(result)


def test_the_expected_counts_come_from_the_layers():
    import layers_lib as ll

    assert ll.LSTM(10, 20).num_parameters() == ex._count("LSTM", 10, 20, 1, False) == 2560
    assert ll.GRU(10, 20).num_parameters() == 1920
    assert ll.LSTM(10, 20, num_layers=2, bidirectional=True).num_parameters() == 15040
    assert ll.RNN(10, 20, num_layers=2, bidirectional=True).num_parameters() == 3760
