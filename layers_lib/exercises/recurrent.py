"""Checkers for the exercises of the chapters on recurrent layers and on LSTM and GRU.

* :func:`check_rnn_forward`: ``fn(x, h0, w_ih, w_hh, b_ih, b_hh) -> output``, an Elman RNN over a
  whole batch-first sequence;
* :func:`check_rnn_step_backward`: ``fn(dh, x, h_prev, h, w_ih, w_hh) -> (dx, dh_prev, dw_ih,
  dw_hh, db)``, backpropagation through one step;
* :func:`check_lstm_cell`: ``fn(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh) -> (h, c)``, one LSTM
  step in PyTorch's gate order;
* :func:`check_num_parameters`: ``fn(mode, input_size, hidden_size, num_layers, bidirectional) ->
  int``, the parameter count of ``RNN`` / ``LSTM`` / ``GRU``.

The expected answers come from :class:`layers_lib.RNN`, :class:`layers_lib.LSTM`,
:func:`layers_lib.lstm_cell_forward` and ``num_parameters()`` on seeded random cases; the hints
name the usual mistakes (weights not transposed, a bias left out, the state not carried from step
to step, ``h_t`` used where ``h_{t-1}`` belongs, the wrong gate order, ...).
"""

from __future__ import annotations

import itertools

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases, close

__all__ = ["check_rnn_forward", "check_rnn_step_backward", "check_lstm_cell", "check_num_parameters"]


def _shape(a) -> str:
    return "an error" if isinstance(a, Raised) else str(tuple(np.shape(a)))


def _show_shapes(names):
    def show(args):
        return ", ".join(f"{n} {np.shape(a)}" for n, a in zip(names, args, strict=True))
    return show


def _rnn_with(w_ih, w_hh, b_ih, b_hh) -> ll.RNN:
    H, D = w_ih.shape
    rnn = ll.RNN(D, H, rng=np.random.default_rng(0))
    for name, value in (("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh), ("bias_ih_l0", b_ih),
                        ("bias_hh_l0", b_hh)):
        getattr(rnn, name).data = np.array(value, dtype=np.float64)
    return rnn


# -- an RNN over a sequence ------------------------------------------------------------------------
def _rnn_cases():
    rng = np.random.default_rng(303)
    cases = []
    for N, T, D, H, zero_h0 in [(2, 4, 3, 3, False), (3, 5, 2, 4, True), (2, 1, 4, 3, False)]:
        x = rng.normal(size=(N, T, D))
        h0 = np.zeros((N, H)) if zero_h0 else rng.normal(scale=0.5, size=(N, H))
        w_ih, w_hh = rng.normal(scale=0.6, size=(H, D)), rng.normal(scale=0.6, size=(H, H))
        b_ih, b_hh = rng.normal(size=H), rng.normal(size=H)
        out, _ = _rnn_with(w_ih, w_hh, b_ih, b_hh)(x, h0[None])
        cases.append(((x, h0, w_ih, w_hh, b_ih, b_hh), out))
    return cases


def _loop(x, h0, step, carry=True, shift=False):
    """The usual loop with a configurable step, for the hints: outputs stacked batch-first."""
    h, outs = h0, []
    for t in range(x.shape[1]):
        new = step(x[:, t], h if carry else h0)
        outs.append(h if shift else new)
        h = new
    return np.stack(outs, axis=1)


def _rnn_hint(args, got, expected):
    x, h0, w_ih, w_hh, b_ih, b_hh = args
    N, T, D = x.shape
    H = w_hh.shape[0]
    if isinstance(got, Raised):
        message = str(got.exc)
        if "matmul" in message or "align" in message:
            return (f"a matrix product has mismatched shapes: x_t is (N, D) = {(N, D)}, weight_ih is "
                    f"(H, D) = {w_ih.shape}, weight_hh is (H, H). PyTorch stores weights as (out, in), "
                    "so each step computes x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh.")
        return None  # the verdict shows the error
    if np.shape(got) == (T, N, H) and (T, N) != (N, T) and close(np.swapaxes(got, 0, 1), expected):
        return (f"your output is time-major, (T, N, H) = {(T, N, H)}. This course (and torch with "
                "batch_first=True) puts the batch first: stack the steps along axis 1, "
                "np.stack(outputs, axis=1).")
    if np.shape(got) == (N, H) and close(got, expected[:, -1]):
        return ("you returned only the last state h_T; return the state at EVERY step, "
                f"shape (N, T, H) = {(N, T, H)}.")
    if np.shape(got) != expected.shape:
        return f"the output must have shape (N, T, H) = {expected.shape}, got {_shape(got)}."

    def step(bih=b_ih, bhh=b_hh, wih_t=True, whh_t=True, act=np.tanh):
        def one_step(xt, h):
            return act(xt @ (w_ih.T if wih_t else w_ih) + bih + h @ (w_hh.T if whh_t else w_hh) + bhh)
        return one_step

    variants = [
        (dict(carry=False), "every step used h0. The state must be carried: step t uses h_{t-1}, the "
                            "state the previous step just computed (h = tanh(...) inside the loop)."),
        (dict(shift=True), "your output at step t is h_{t-1}, the state BEFORE the update: compute the "
                           "new h first, then store it."),
    ]
    for kwargs, hint in variants:
        if close(got, _loop(x, h0, step(), **kwargs)):
            return hint
    if H == D and close(got, _loop(x, h0, step(wih_t=False))):
        return ("weight_ih is not transposed: it has shape (H, D), one row per hidden unit, so the "
                "input term is x_t @ W_ih.T. (This case has D = H, so the shapes did not complain.)")
    if close(got, _loop(x, h0, step(whh_t=False))):
        return ("weight_hh is not transposed: the recurrent term is h_{t-1} @ W_hh.T (row i of W_hh "
                "holds the weights INTO unit i).")
    if close(got, _loop(x, h0, step(bhh=0.0))):
        return "bias_hh is missing: PyTorch's RNN adds two biases, b_ih and b_hh."
    if close(got, _loop(x, h0, step(bih=0.0))):
        return "bias_ih is missing: PyTorch's RNN adds two biases, b_ih and b_hh."
    if close(got, _loop(x, h0, step(bih=0.0, bhh=0.0))):
        return "both biases are missing: add b_ih + b_hh inside the tanh."
    if close(got, _loop(x, h0, step(act=lambda a: a))):
        return "the tanh is missing: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."
    if close(got, _loop(x, h0, step(act=lambda a: np.maximum(a, 0)))):
        return "you used ReLU; the default RNN nonlinearity is tanh."
    if np.allclose(h0, 0):
        return None
    return "check each term of h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), and start from h0."


def check_rnn_forward(fn) -> CheckResult:
    """Check ``fn(x, h0, w_ih, w_hh, b_ih, b_hh) -> output``: an Elman RNN over a batch-first
    sequence, ``x`` ``(N, T, D)``, ``h0`` ``(N, H)``, output ``(N, T, H)`` (the state after every
    step), PyTorch's weight shapes ``w_ih`` ``(H, D)``, ``w_hh`` ``(H, H)``.

    Examples:
        >>> def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
        ...     h, out = h0, []
        ...     for t in range(x.shape[1]):
        ...         h = np.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        ...         out.append(h)
        ...     return np.stack(out, axis=1)
        >>> check_rnn_forward(rnn_forward)
        ✓ rnn_forward: all 3 hidden cases pass.
    """
    return check_cases("rnn_forward", fn, _rnn_cases(), diagnose=_rnn_hint,
                       show_input=_show_shapes(("x", "h0", "w_ih", "w_hh", "b_ih", "b_hh")))


# -- backpropagation through one step ----------------------------------------------------------------
_STEP_NAMES = ("dx", "dh_prev", "dw_ih", "dw_hh", "db")


def _step_cases():
    rng = np.random.default_rng(404)
    cases = []
    for N, D, H in [(4, 3, 3), (3, 2, 4), (5, 4, 2)]:
        x = rng.normal(size=(N, D))
        h_prev = rng.normal(scale=0.7, size=(N, H))
        w_ih, w_hh = rng.normal(scale=0.6, size=(H, D)), rng.normal(scale=0.6, size=(H, H))
        b = rng.normal(size=H)
        rnn = _rnn_with(w_ih, w_hh, b, np.zeros(H))
        out, _ = rnn(x[:, None], h_prev[None])
        h = out[:, 0]
        dh = rng.normal(size=(N, H))
        rnn.zero_grad()
        dx = rnn.backward(dh[:, None])[:, 0]
        expected = (dx, rnn.dh0[0], rnn.weight_ih_l0.grad.copy(), rnn.weight_hh_l0.grad.copy(),
                    rnn.bias_ih_l0.grad.copy())
        cases.append(((dh, x, h_prev, h, w_ih, w_hh), expected))
    return cases


def _step_hint(args, got, expected):
    dh, x, h_prev, h, w_ih, w_hh = args
    if isinstance(got, Raised):
        if "matmul" in str(got.exc) or "align" in str(got.exc):
            return ("a matrix product has mismatched shapes. Check each gradient against the shape of "
                    f"what it differentiates: dx like x {x.shape}, dh_prev like h_prev {h_prev.shape}, "
                    f"dw_ih like W_ih {w_ih.shape}, dw_hh like W_hh {w_hh.shape}, db ({w_hh.shape[0]},).")
        return None  # the verdict shows the error
    if not isinstance(got, (tuple, list)) or len(got) != 5:
        return "return a tuple of five arrays: (dx, dh_prev, dw_ih, dw_hh, db)."
    dx, dh_prev, dw_ih, dw_hh, db = got
    da = dh * (1 - h * h)
    if close(dx, dh @ w_ih) or close(dw_ih, dh.T @ x):
        return ("the tanh derivative is missing: first go back through the tanh, da = dh * (1 - h**2), "
                "then through the affine map.")
    if close(dw_ih, (dh * (1 - h_prev ** 2)).T @ x) or close(dx, (dh * (1 - h_prev ** 2)) @ w_ih):
        return ("tanh'(a_t) = 1 - h_t**2 uses the NEW state h_t = tanh(a_t), not h_prev.")
    if not close(dx, expected[0]):
        if w_ih.shape[0] == w_ih.shape[1] and close(dx, da @ w_ih.T):
            return "dx = da @ W_ih (not W_ih.T): the forward pass used x @ W_ih.T."
        return f"dx is wrong: it is da @ W_ih with da = dh * (1 - h**2), shape {x.shape}."
    if not close(dh_prev, expected[1]):
        if close(dh_prev, da @ w_hh.T):
            return "dh_prev = da @ W_hh (not W_hh.T): the forward pass used h_prev @ W_hh.T."
        if close(dh_prev, dh @ w_hh):
            return "dh_prev must go back through the tanh too: da @ W_hh with da = dh * (1 - h**2)."
        return f"dh_prev is wrong: it is da @ W_hh, shape {h_prev.shape}."
    if not close(dw_ih, expected[2]):
        if close(dw_ih, x.T @ da):
            return (f"dw_ih is transposed: it must have W_ih's shape (H, D) = {w_ih.shape}: "
                    "dw_ih = da.T @ x.")
        return f"dw_ih is wrong: it is da.T @ x, shape {w_ih.shape}."
    if not close(dw_hh, expected[3]):
        if close(dw_hh, da.T @ h):
            return ("dw_hh used h_t; the weight W_hh multiplied the PREVIOUS state, so "
                    "dw_hh = da.T @ h_prev.")
        if close(dw_hh, h_prev.T @ da):
            return "dw_hh is transposed: dw_hh = da.T @ h_prev, shape (H, H) as (out, in)."
        return "dw_hh is wrong: it is da.T @ h_prev."
    if not close(db, expected[4]):
        if np.shape(db) == da.shape:
            return ("db has the batch dimension: the bias is shared by all examples, so sum over it: "
                    "da.sum(axis=0).")
        if close(db, dh.sum(axis=0)):
            return "db must go back through the tanh: da.sum(axis=0), da = dh * (1 - h**2)."
        if close(db, da.mean(axis=0)):
            return "db is a sum over the batch, not a mean."
        return "db is wrong: it is da.sum(axis=0)."
    return None


def check_rnn_step_backward(fn) -> CheckResult:
    """Check ``fn(dh, x, h_prev, h, w_ih, w_hh) -> (dx, dh_prev, dw_ih, dw_hh, db)`` for one step
    ``h = tanh(x @ w_ih.T + h_prev @ w_hh.T + b)`` given ``dh = dL/dh``; ``db`` is the gradient of
    either bias (they enter the same sum).

    Examples:
        >>> def step_backward(dh, x, h_prev, h, w_ih, w_hh):
        ...     da = dh * (1 - h ** 2)
        ...     return da @ w_ih, da @ w_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)
        >>> check_rnn_step_backward(step_backward)
        ✓ rnn_step_backward: all 3 hidden cases pass.
    """
    return check_cases("rnn_step_backward", fn, _step_cases(), diagnose=_step_hint,
                       show_input=_show_shapes(("dh", "x", "h_prev", "h", "w_ih", "w_hh")), names=_STEP_NAMES)


# -- one LSTM step ---------------------------------------------------------------------------------
def _lstm_cases():
    rng = np.random.default_rng(505)
    cases = []
    for N, D, H in [(3, 4, 2), (2, 3, 3), (4, 2, 5)]:
        x = rng.normal(size=(N, D))
        h_prev, c_prev = rng.normal(scale=0.5, size=(N, H)), rng.normal(size=(N, H))
        w_ih, w_hh = rng.normal(scale=0.7, size=(4 * H, D)), rng.normal(scale=0.7, size=(4 * H, H))
        b_ih, b_hh = rng.normal(scale=0.5, size=4 * H), rng.normal(scale=0.5, size=4 * H)
        h, c, _ = ll.lstm_cell_forward(x @ w_ih.T + b_ih, h_prev, c_prev, w_hh, b_hh)
        cases.append(((x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh), (h, c)))
    return cases


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _lstm_variant(args, order="ifgo", g_act=np.tanh, h_act=np.tanh, use_f=True, use_i=True,
                  b_ih=True, b_hh=True):
    x, h_prev, c_prev, w_ih, w_hh, bi, bh = args
    H = h_prev.shape[1]
    a = x @ w_ih.T + h_prev @ w_hh.T + (bi if b_ih else 0) + (bh if b_hh else 0)
    blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
    i, f, o = _sig(blocks["i"]), _sig(blocks["f"]), _sig(blocks["o"])
    g = g_act(blocks["g"])
    c = (f * c_prev if use_f else c_prev) + (i * g if use_i else g)
    return o * h_act(c), c


def _lstm_hint(args, got, expected):
    x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh = args
    if isinstance(got, Raised):
        if "matmul" in str(got.exc) or "align" in str(got.exc):
            return (f"a matrix product has mismatched shapes: weight_ih is (4H, D) = {w_ih.shape}, so the "
                    "gate pre-activations are x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, shape (N, 4H).")
        return None  # the verdict shows the error
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (h, c): the new hidden state and the new cell state."
    h, c = got
    if close(h, expected[1]) and close(c, expected[0]):
        return "you returned (c, h); return (h, c)."
    checks = [
        (dict(g_act=_sig), "the candidate g uses tanh, not a sigmoid: only i, f and o are gates in [0, 1]."),
        (dict(h_act=lambda c: c), "h_t = o * tanh(c_t): the tanh on the cell state is missing."),
        (dict(use_f=False), "the forget gate is missing: c_t = f * c_prev + i * g."),
        (dict(use_i=False), "the input gate is missing: c_t = f * c_prev + i * g."),
        (dict(b_hh=False), "bias_hh is missing: PyTorch adds both b_ih and b_hh to every gate."),
        (dict(b_ih=False), "bias_ih is missing: PyTorch adds both b_ih and b_hh to every gate."),
    ]
    for kwargs, hint in checks:
        if all(close(g, e) for g, e in zip(got, _lstm_variant(args, **kwargs), strict=True)):
            return hint
    for order in ("".join(p) for p in itertools.permutations("ifgo")):
        if order != "ifgo" and all(close(g, e) for g, e in zip(got, _lstm_variant(args, order=order),
                                                                 strict=True)):
            return (f"you sliced the gates in the order ({', '.join(order)}); PyTorch stacks them as "
                    "(i, f, g, o): rows 0:H are the input gate, H:2H forget, 2H:3H candidate, 3H:4H output.")
    if close(c, expected[1]):
        return "c is right; check h_t = o * tanh(c_t), with o = sigmoid of the LAST block (3H:4H)."
    return ("compute a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, split it into four blocks of H "
            "columns (i, f, g, o), then c = f*c_prev + i*g and h = o*tanh(c).")


def check_lstm_cell(fn) -> CheckResult:
    """Check ``fn(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh) -> (h, c)``: one LSTM step with
    PyTorch's stacked weights ``w_ih`` ``(4H, D)``, ``w_hh`` ``(4H, H)`` in gate order
    ``(i, f, g, o)``.

    Examples:
        >>> def lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
        ...     H = h.shape[1]
        ...     a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        ...     sig = lambda v: 1 / (1 + np.exp(-v))
        ...     i, f, o = sig(a[:, :H]), sig(a[:, H:2*H]), sig(a[:, 3*H:])
        ...     c = f * c + i * np.tanh(a[:, 2*H:3*H])
        ...     return o * np.tanh(c), c
        >>> check_lstm_cell(lstm_cell)
        ✓ lstm_cell: all 3 hidden cases pass.
    """
    show = _show_shapes(("x", "h_prev", "c_prev", "w_ih", "w_hh", "b_ih", "b_hh"))
    return check_cases("lstm_cell", fn, _lstm_cases(), diagnose=_lstm_hint, show_input=show)


# -- parameter counts -----------------------------------------------------------------------------
_MULT = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _count(mode, D, H, L, bi, gates=True, two_biases=True, next_input="H*dirs", both_directions=True):
    """The parameter count with optional mistakes, for the hints."""
    G = (_MULT[mode] if gates else 1) * H
    dirs = 2 if bi else 1
    total = 0
    for layer in range(L):
        if layer == 0:
            d_in = D
        else:
            d_in = {"H*dirs": H * dirs, "H": H, "D": D}[next_input]
        per = G * d_in + G * H + (2 if two_biases else 1) * G
        total += per * (dirs if both_directions else 1)
    return total


def _count_cases():
    cases = []
    for mode, D, H, L, bi in [("RNN", 10, 20, 1, False), ("LSTM", 10, 20, 1, False), ("GRU", 8, 16, 1, False),
                              ("LSTM", 3, 7, 2, False), ("GRU", 6, 5, 2, True), ("LSTM", 3, 5, 3, True)]:
        model = getattr(ll, mode)(D, H, num_layers=L, bidirectional=bi, rng=np.random.default_rng(0))
        cases.append(((mode, D, H, L, bi), model.num_parameters()))
    return cases


def _count_hint(args, got, expected):
    mode, D, H, L, bi = args
    if isinstance(got, Raised):
        return None  # the verdict shows the error
    if not isinstance(got, (int, np.integer)):
        return f"return an int (the number of scalars), got a {type(got).__name__}."
    mistakes = [
        (dict(gates=False), f"{mode} has {_MULT[mode]} gate blocks stacked in each weight "
                            f"({'i, f, g, o' if mode == 'LSTM' else 'r, z, n'}): weight_ih is "
                            f"({_MULT[mode]}H, D), so multiply the RNN count by {_MULT[mode]}."),
        (dict(two_biases=False),
         "PyTorch has TWO bias vectors per layer and direction, bias_ih and bias_hh."),
        (dict(next_input="D"),
         "layer k > 0 does not read the input x: its input is the previous layer's output, of size H "
         "(2H if bidirectional)."),
        (dict(next_input="H"),
         "in a bidirectional stack, layer k > 0 reads the CONCATENATED outputs of both directions below "
         "it: its input size is 2H."),
        (dict(both_directions=False),
         "a bidirectional layer has a second, independent set of parameters for the reverse direction "
         "(weight_ih_l0_reverse, ...): count it twice."),
    ]
    for kwargs, hint in mistakes:
        if got == _count(mode, D, H, L, bi, **kwargs) != expected:
            return hint
    k = _MULT[mode]
    return (f"per layer and direction: {k}H·D_in + {k}H·H + 2·{k}H, where D_in is D for layer 0 and "
            "H·num_directions above it.")


def check_num_parameters(fn) -> CheckResult:
    """Check ``fn(mode, input_size, hidden_size, num_layers, bidirectional) -> int`` against
    ``num_parameters()`` of :class:`layers_lib.RNN`, :class:`~layers_lib.LSTM` and
    :class:`~layers_lib.GRU` (``mode`` is ``"RNN"``, ``"LSTM"`` or ``"GRU"``).

    Examples:
        >>> def num_parameters(mode, D, H, num_layers, bidirectional):
        ...     G = {"RNN": 1, "LSTM": 4, "GRU": 3}[mode] * H
        ...     dirs = 2 if bidirectional else 1
        ...     return sum(dirs * (G * (D if k == 0 else dirs * H) + G * H + 2 * G)
        ...                for k in range(num_layers))
        >>> check_num_parameters(num_parameters)
        ✓ num_parameters: all 6 hidden cases pass.
    """
    def show(args):
        mode, D, H, L, bi = args
        return f"{mode}(input_size={D}, hidden_size={H}, num_layers={L}, bidirectional={bi})"
    return check_cases("num_parameters", fn, _count_cases(), diagnose=_count_hint, show_input=show)
