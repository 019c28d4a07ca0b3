"""Recurrent layers: :class:`RNN`, :class:`LSTM` and :class:`GRU`, with backpropagation through time.

Each layer is a loop over time around one *cell*, a pure function of one time step:

* :func:`rnn_cell_forward` / :func:`rnn_cell_backward` (Elman RNN),
* :func:`lstm_cell_forward` / :func:`lstm_cell_backward`,
* :func:`gru_cell_forward` / :func:`gru_cell_backward`.

Two things are done once for the whole sequence rather than once per step, because they do not
depend on the recurrence: the input projection ``gx = x W_ih^T + b_ih`` (one matmul over all
``N*T`` rows, passed to the cells as ``gx``), and, in the backward pass, the weight gradients
``dW_ih = sum_t dgx_t^T x_t`` and ``dW_hh = sum_t dgh_t^T h_{t-1}`` (again one matmul each).
The cells therefore return the gradients of their *pre-activations*, ``dgx`` (input side) and
``dgh`` (hidden side), plus the gradient flowing back to the previous state.

The cells are the readable definition, and :class:`RNN` runs them as they are. :class:`LSTM` and
:class:`GRU` run the same arithmetic through a fused loop (``_lstm_steps`` / ``_gru_steps`` and
their backward passes) that writes every step into arrays allocated once for the whole sequence
(``out=`` everywhere, no per-step temporaries or dictionaries). The sigmoid gates are computed as
``(1 + tanh(a/2)) / 2`` with the halving folded into their rows of the weights (exact in floating
point), so one ``tanh`` serves all the gates of a step; the LSTM loop works *feature-major*
(``(4H, N)`` per step), where each gate is a contiguous block of rows and BLAS runs the small
per-step product faster. The tests check that the fused loops and the cells give the same numbers.

Conventions (PyTorch's):

* always batch-first: input ``(N, T, input_size)``, like ``torch.nn.LSTM(..., batch_first=True)``;
  the states ``h_0``/``h_n`` are ``(num_layers * num_directions, N, hidden_size)`` as in PyTorch
  (PyTorch does not make the states batch-first either);
* gates are stacked in PyTorch's order: LSTM ``(i, f, g, o)``, GRU ``(r, z, n)``;
* parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and the
  ``_reverse`` set for the backward direction) with PyTorch's shapes, order and init
  ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``;
* layer ``k > 0`` reads the concatenated ``(forward, backward)`` outputs of layer ``k - 1``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_grad, check_int
from .module import Module, Parameter, fan_in_bound, uniform_init

__all__ = [
    "rnn_cell_forward", "rnn_cell_backward",
    "lstm_cell_forward", "lstm_cell_backward",
    "gru_cell_forward", "gru_cell_backward",
    "RNN", "LSTM", "GRU",
]


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-a))`` written as ``(1 + tanh(a/2)) / 2``: the same function, but it never
    overflows (``exp(-a)`` does for ``a < -709`` in float64 and ``a < -88`` in float32)."""
    s = np.tanh(a * 0.5)
    s += 1.0
    s *= 0.5
    return s


# -- the cells: one time step each -----------------------------------------------------------------
def rnn_cell_forward(gx, h_prev, w_hh, b_hh=None, nonlinearity="tanh"):
    """One step of the Elman RNN.

    .. math:: h_t = \\phi(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh}),
        \\quad \\phi \\in \\{\\tanh, \\mathrm{ReLU}\\}

    Args:
        gx: the input's contribution ``x_t @ W_ih.T + b_ih``, ``(N, H)`` (computed for all steps
            at once by the caller).
        h_prev: the previous hidden state ``(N, H)``.
        w_hh: ``(H, H)``; b_hh: ``(H,)`` or ``None``.
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Returns:
        ``(h, cache)`` with ``h`` of shape ``(N, H)``.
    """
    a = gx + h_prev @ w_hh.T  # (N, H) pre-activation
    if b_hh is not None:
        a += b_hh
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell_forward expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return h, (h, w_hh, nonlinearity)


def rnn_cell_backward(dh, cache):
    """Backward through :func:`rnn_cell_forward`.

    Args:
        dh: ``dL/dh_t`` ``(N, H)``: from the output at step ``t`` plus from step ``t + 1``.
        cache: from the forward step.

    Returns:
        ``(dgx, dgh, dh_prev)``: the gradients of the input-side and hidden-side pre-activations
        (the same array here: both enter ``a`` by a plain sum) and ``dL/dh_{t-1}``.
    """
    h, w_hh, nonlinearity = cache
    da = dh * (1.0 - h * h) if nonlinearity == "tanh" else dh * (h > 0)  # (N, H)
    return da, da, da @ w_hh


def lstm_cell_forward(gx, h_prev, c_prev, w_hh, b_hh=None):
    """One step of the LSTM, gates in PyTorch's order ``(i, f, g, o)``.

    .. math::
        \\begin{aligned}
        [a_i, a_f, a_g, a_o] &= x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh} \\\\
        i &= \\sigma(a_i), \\quad f = \\sigma(a_f), \\quad g = \\tanh(a_g), \\quad o = \\sigma(a_o) \\\\
        c_t &= f \\odot c_{t-1} + i \\odot g \\\\
        h_t &= o \\odot \\tanh(c_t)
        \\end{aligned}

    Args:
        gx: ``x_t @ W_ih.T + b_ih``, ``(N, 4H)``.
        h_prev, c_prev: the previous hidden and cell states, ``(N, H)`` each.
        w_hh: ``(4H, H)``; b_hh: ``(4H,)`` or ``None``.

    Returns:
        ``(h, c, cache)``; ``cache["gates"]`` holds the activations ``i, f, g, o``.
    """
    H = h_prev.shape[-1]
    a = gx + h_prev @ w_hh.T  # (N, 4H) gate pre-activations
    if b_hh is not None:
        a += b_hh
    s = _sigmoid(a)  # one call for the three sigmoid gates (the g block of s goes unused)
    i = s[:, :H]  # input gate: how much of the candidate to write
    f = s[:, H:2 * H]  # forget gate: how much of the old cell to keep
    g = np.tanh(a[:, 2 * H:3 * H])  # candidate cell values
    o = s[:, 3 * H:]  # output gate: how much of the cell to show
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    cache = {"gates": (i, f, g, o), "c_prev": c_prev, "c": c, "tanh_c": tanh_c, "w_hh": w_hh}
    return h, c, cache


def lstm_cell_backward(dh, dc, cache):
    """Backward through :func:`lstm_cell_forward`.

    Args:
        dh: ``dL/dh_t`` ``(N, H)``; dc: ``dL/dc_t`` ``(N, H)`` from step ``t + 1``.

    Returns:
        ``(dgx, dgh, dh_prev, dc_prev)``: the gradient of the gate pre-activations ``(N, 4H)``
        (input and hidden side are the same array: both enter by a plain sum), ``dL/dh_{t-1}``
        and ``dL/dc_{t-1}``.
    """
    i, f, g, o = cache["gates"]
    tanh_c = cache["tanh_c"]
    do = dh * tanh_c
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)  # the cell is reached directly and through h
    da = np.concatenate([
        dc * g * i * (1.0 - i),  # d a_i
        dc * cache["c_prev"] * f * (1.0 - f),  # d a_f
        dc * i * (1.0 - g * g),  # d a_g
        do * o * (1.0 - o),  # d a_o
    ], axis=1)  # (N, 4H)
    return da, da, da @ cache["w_hh"], dc * f


def gru_cell_forward(gx, h_prev, w_hh, b_hh=None):
    """One step of the GRU, gates in PyTorch's order ``(r, z, n)``.

    .. math::
        \\begin{aligned}
        r &= \\sigma(x_t W_{ir}^T + b_{ir} + h_{t-1} W_{hr}^T + b_{hr}) \\\\
        z &= \\sigma(x_t W_{iz}^T + b_{iz} + h_{t-1} W_{hz}^T + b_{hz}) \\\\
        n &= \\tanh(x_t W_{in}^T + b_{in} + r \\odot (h_{t-1} W_{hn}^T + b_{hn})) \\\\
        h_t &= (1 - z) \\odot n + z \\odot h_{t-1}
        \\end{aligned}

    The reset gate multiplies the hidden-side term *including* its bias ``b_hn``, as in PyTorch
    (and cuDNN); the original paper puts ``r`` inside, ``(r * h) W_hn^T``.

    Args:
        gx: ``x_t @ W_ih.T + b_ih``, ``(N, 3H)``.
        h_prev: ``(N, H)``; w_hh: ``(3H, H)``; b_hh: ``(3H,)`` or ``None``.

    Returns:
        ``(h, cache)``; ``cache["gates"]`` holds the activations ``r, z, n``.
    """
    H = h_prev.shape[-1]
    gh = h_prev @ w_hh.T  # (N, 3H) hidden-side pre-activations
    if b_hh is not None:
        gh += b_hh
    r = _sigmoid(gx[:, :H] + gh[:, :H])  # reset gate
    z = _sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])  # update gate: 1 keeps the old state
    ghn = gh[:, 2 * H:]
    n = np.tanh(gx[:, 2 * H:] + r * ghn)  # candidate state
    h = n + z * (h_prev - n)  # = (1 - z) n + z h_prev
    cache = {"gates": (r, z, n), "h_prev": h_prev, "ghn": ghn, "w_hh": w_hh}
    return h, cache


def gru_cell_backward(dh, cache):
    """Backward through :func:`gru_cell_forward`.

    Args:
        dh: ``dL/dh_t`` ``(N, H)``.

    Returns:
        ``(dgx, dgh, dh_prev)``: the gradients of the input-side pre-activations ``(N, 3H)``, of
        the hidden-side ones ``(N, 3H)`` (they differ in the candidate block, where ``r``
        multiplies the hidden side only) and ``dL/dh_{t-1}``.
    """
    r, z, n = cache["gates"]
    h_prev = cache["h_prev"]
    dn = dh * (1.0 - z)
    da_n = dn * (1.0 - n * n)  # through tanh
    da_r = da_n * cache["ghn"] * r * (1.0 - r)
    da_z = dh * (h_prev - n) * z * (1.0 - z)
    dgx = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (N, 3H)
    return dgx, dgh, dh * z + dgh @ cache["w_hh"]


# -- the fused loops: the cells' arithmetic over a whole sequence, into preallocated arrays ---------
def _steps(T: int, reverse: bool) -> range:
    """The time steps in the order a direction runs them."""
    return range(T - 1, -1, -1) if reverse else range(T)


def _previous(seq: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step read, ``(T, N, H)``: ``seq`` shifted by one step, ``first`` at the start."""
    prev = np.empty(seq.shape, dtype=seq.dtype)
    if reverse:
        prev[:-1], prev[-1] = seq[1:], first
    else:
        prev[1:], prev[0] = seq[:-1], first
    return prev


def _half_rows(G: int, H: int, tanh_block: int, dtype) -> np.ndarray:
    """``(G,)``: 1/2 for the rows of sigmoid gates, 1 for the tanh block ``tanh_block``.

    ``sigmoid(a) = (1 + tanh(a/2)) / 2``: with the sigmoid rows of ``gx`` and ``W_hh`` halved (exact
    in floating point), one ``tanh`` over all blocks gives ``tanh(a/2)`` for the gates and ``tanh(a)``
    for the candidate, and ``* half + half`` (0 for the candidate) finishes the sigmoids."""
    half = np.full(G, 0.5, dtype=dtype)
    half[tanh_block * H:(tanh_block + 1) * H] = 1.0
    return half


def _lstm_steps(x, w_ih, bias, h0, c0, w_hh, hs, reverse=False):
    """The forward loop of :func:`lstm_cell_forward` over a sequence, *feature-major*: every step
    works on ``(4H, N)`` arrays (``a = W_hh h_{t-1}`` with ``h`` a column per sequence), so that
    each gate is a contiguous block of rows and the product ``(4H, H) @ (H, N)`` suits BLAS better
    than ``(N, H) @ (H, 4H)`` for a small batch.

    Args:
        x: ``(T, N, D)``, time-major input; w_ih: ``(4H, D)``; bias: ``b_ih + b_hh`` ``(4H,)`` or ``None``.
        h0, c0: ``(N, H)``; w_hh: ``(4H, H)``.
        hs: a ``(T, N, H)`` array (or view) that receives every ``h_t``.
        reverse: run from the last step to the first.

    Returns:
        ``(gates, c, tanh_c, h)``: the activations ``(T, 4H, N)`` in the order ``(i, f, g, o)``,
        the cell states, their tanh and the hidden states, ``(T, H, N)`` each.
    """
    T, N, D = x.shape
    G, H, dt = w_ih.shape[0], w_ih.shape[0] // 4, x.dtype
    half = _half_rows(G, H, 2, dt)
    shift = half.copy()
    shift[2 * H:3 * H] = 0.0
    half_cols, shift_cols = np.repeat(half, N).reshape(G, N), np.repeat(shift, N).reshape(G, N)
    # the input side of every step in one matmul, halved for the sigmoid gates, the bias as an
    # extra input fixed at 1: (4H, D + 1) @ (D + 1, T*N), then one transposing copy to (T, 4H, N)
    x1 = np.ones((T * N, D + 1), dtype=dt)
    x1[:, :D] = x.reshape(T * N, D)
    w1 = np.zeros((G, D + 1), dtype=dt)
    w1[:, :D] = w_ih
    if bias is not None:
        w1[:, D] = bias
    w1 *= half[:, None]
    gx = np.ascontiguousarray((w1 @ x1.T).reshape(G, T, N).transpose(1, 0, 2))  # (T, 4H, N)
    w = w_hh * half[:, None]  # (4H, H)
    gates = np.empty((T, G, N), dtype=dt)
    c, tanh_c, h_all = (np.empty((T, H, N), dtype=dt) for _ in range(3))
    ig = np.empty((H, N), dtype=dt)
    h, c_prev = np.ascontiguousarray(h0.T), np.ascontiguousarray(c0.T)
    for t in _steps(T, reverse):
        a = gates[t]
        np.matmul(w, h, out=a)
        a += gx[t]  # (4H, N): a/2 for i, f, o and a for g
        np.tanh(a, out=a)
        a *= half_cols
        a += shift_cols  # i, f, g, o
        np.multiply(a[H:2 * H], c_prev, out=c[t])  # f * c_{t-1}
        np.multiply(a[:H], a[2 * H:3 * H], out=ig)  # i * g
        c[t] += ig
        np.tanh(c[t], out=tanh_c[t])
        np.multiply(a[3 * H:], tanh_c[t], out=h_all[t])  # h_t = o * tanh(c_t)
        h, c_prev = h_all[t], c[t]
    hs[...] = h_all.transpose(0, 2, 1)
    return gates, c, tanh_c, h_all


def _lstm_steps_backward(dh_seq, dh_n, dc_n, gates, c, c0, tanh_c, h_all, w_hh, reverse=False):
    """Backward of :func:`_lstm_steps`, step by step as :func:`lstm_cell_backward`, feature-major.

    Args:
        dh_seq: ``(T, N, H)``, the gradient reaching each ``h_t`` from the outputs.
        dh_n, dc_n: ``(N, H)``, from ``h_n`` and ``c_n`` (not modified).
        gates, c, tanh_c, h_all: from the forward loop; c0: ``(N, H)``, the initial cell state.

    Returns:
        ``(da, dh_0, dc_0)`` with ``da`` the gradient of the gate pre-activations ``(T, N, 4H)``.
    """
    T, G, N = gates.shape
    H, dt = G // 4, gates.dtype
    dh_seq = np.ascontiguousarray(dh_seq.transpose(0, 2, 1), dtype=dt)  # (T, H, N)
    w_t = np.ascontiguousarray(w_hh.T)  # (H, 4H)
    c0 = np.ascontiguousarray(c0.T)
    da = np.empty((T, G, N), dtype=dt)
    tmp, one_minus = np.empty((H, N), dtype=dt), np.empty((G, N), dtype=dt)
    steps = _steps(T, not reverse)  # the reverse of the forward order
    dh = dh_n.T + dh_seq[steps[0]]
    dc = np.array(dc_n.T, dtype=dt)
    for k, t in enumerate(steps):
        a, d = gates[t], da[t]
        i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
        di, df, dg, do = d[:H], d[H:2 * H], d[2 * H:3 * H], d[3 * H:]
        # the cell is reached directly and through h: dc += dh * o (1 - tanh(c)^2), o tanh(c) = h
        np.multiply(h_all[t], tanh_c[t], out=tmp)
        np.subtract(o, tmp, out=tmp)
        tmp *= dh
        dc += tmp
        np.multiply(dc, g, out=di)
        np.multiply(dc, c0 if k + 1 == T else c[steps[k + 1]], out=df)  # dc * c_{t-1}
        np.multiply(dc, i, out=dg)
        np.multiply(dh, tanh_c[t], out=do)
        np.subtract(1.0, a, out=one_minus)
        d *= one_minus  # (1 - s) for the gates, (1 - g) for the candidate
        d[:2 * H] *= a[:2 * H]
        do *= o  # s (1 - s): the sigmoid's derivative
        np.add(g, 1.0, out=tmp)
        dg *= tmp  # (1 - g)(1 + g) = 1 - g^2: tanh's derivative
        dc *= f  # dL/dc_{t-1}
        np.matmul(w_t, d, out=dh)  # dL/dh_{t-1}
        if k + 1 < T:
            dh += dh_seq[steps[k + 1]]
    return np.ascontiguousarray(da.transpose(0, 2, 1)), dh.T, dc.T


def _gru_steps(x, w_ih, b_ih, h0, w_hh, b_hh, hs, reverse=False):
    """The forward loop of :func:`gru_cell_forward` over a sequence.

    Args:
        x: ``(T, N, D)``, time-major input; w_ih: ``(3H, D)``; b_ih, b_hh: ``(3H,)`` or ``None``.
        h0: ``(N, H)``; w_hh: ``(3H, H)``.
        hs: a ``(T, N, H)`` array (or view) that receives every ``h_t``.

    Returns:
        ``(gates, ghn)``: the activations ``(T, N, 3H)`` in the order ``(r, z, n)``, and the
        hidden-side candidate term ``h_{t-1} W_hn^T + b_hn`` ``(T, N, H)``.
    """
    T, N, _ = x.shape
    G, H, dt = w_ih.shape[0], w_ih.shape[0] // 3, x.dtype
    half = _half_rows(G, H, 2, dt)
    gx = (x.reshape(T * N, x.shape[2]) @ (w_ih * half[:, None]).T).reshape(T, N, G)  # (T, N, 3H)
    if b_ih is not None:
        bias = b_ih.copy()
        bias[:2 * H] += b_hh[:2 * H]  # r and z add b_hh simply; n multiplies it by r
        gx += bias * half
    w_t = np.ascontiguousarray((w_hh * half[:, None]).T)  # (H, 3H)
    gates = np.empty((T, N, G), dtype=dt)
    ghn = np.empty((T, N, H), dtype=dt)
    gh = np.empty((N, G), dtype=dt)
    h = h0
    for t in _steps(T, reverse):
        np.matmul(h, w_t, out=gh)
        rz = gates[t, :, :2 * H]
        np.add(gx[t, :, :2 * H], gh[:, :2 * H], out=rz)
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5  # r, z
        if b_hh is None:
            np.copyto(ghn[t], gh[:, 2 * H:])
        else:
            np.add(gh[:, 2 * H:], b_hh[2 * H:], out=ghn[t])
        n = gates[t, :, 2 * H:]
        np.multiply(rz[:, :H], ghn[t], out=n)
        n += gx[t, :, 2 * H:]
        np.tanh(n, out=n)  # the candidate
        np.subtract(h, n, out=hs[t])
        hs[t] *= rz[:, H:]
        hs[t] += n  # h_t = n + z (h_{t-1} - n)
        h = hs[t]
    return gates, ghn


def _gru_steps_backward(dh_seq, dh_n, gates, ghn, h_prev, w_hh, reverse=False):
    """Backward of :func:`_gru_steps`, step by step as :func:`gru_cell_backward`.

    Returns:
        ``(dgx, dgh, dh_0)``: the gradients of the input-side and hidden-side pre-activations
        ``(T, N, 3H)`` each, and ``dL/dh_0``.
    """
    T, N, G = gates.shape
    H, dt = G // 3, gates.dtype
    r, z, n = (gates[..., k * H:(k + 1) * H] for k in range(3))
    dh_to_an = (1.0 - z) * (1.0 - n * n)  # dh -> d a_n
    an_to_ar = ghn * r * (1.0 - r)  # d a_n -> d a_r
    dh_to_az = (h_prev - n) * z * (1.0 - z)  # dh -> d a_z
    dgx, dgh = np.empty((T, N, G), dtype=dt), np.empty((T, N, G), dtype=dt)
    dhz = np.empty((N, H), dtype=dt)
    steps = _steps(T, not reverse)
    dh = dh_n + dh_seq[steps[0]]
    for k, t in enumerate(steps):
        dan = dgx[t, :, 2 * H:]
        np.multiply(dh, dh_to_an[t], out=dan)
        np.multiply(dan, an_to_ar[t], out=dgh[t, :, :H])
        np.multiply(dh, dh_to_az[t], out=dgh[t, :, H:2 * H])
        np.multiply(dan, r[t], out=dgh[t, :, 2 * H:])  # r multiplies the hidden side only
        np.multiply(dh, z[t], out=dhz)
        np.matmul(dgh[t], w_hh, out=dh)
        dh += dhz  # dL/dh_{t-1}
        if k + 1 < T:
            dh += dh_seq[steps[k + 1]]
    dgx[..., :2 * H] = dgh[..., :2 * H]  # r and z: both sides enter by a plain sum
    return dgx, dgh, dh


# -- the layers ------------------------------------------------------------------------------------
_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
_GATE_NAMES = {"LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}


class _RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, checks, the loops over layers, directions, time."""

    _kind = "RNN"
    # LSTM and GRU run the fused loops; False runs the cell functions step by step (the readable
    # reference the tests compare the fused loops with)
    _fused = True

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True,
                 bidirectional=False, *, nonlinearity="tanh", dtype=np.float64, rng=None):
        super().__init__()
        name = type(self).__name__
        self.input_size = check_int(name, "input_size", input_size)
        self.hidden_size = check_int(name, "hidden_size", hidden_size)
        self.num_layers = check_int(name, "num_layers", num_layers)
        for flag, value in (("bias", bias), ("bidirectional", bidirectional), ("batch_first", batch_first)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} expected {flag} to be a bool, got {value!r}")
        if not batch_first:
            raise ValueError(
                f"{name} is always batch-first: input (N, T, input_size), as torch's batch_first=True; "
                f"got batch_first=False (transpose a (T, N, D) input with x.transpose(1, 0, 2))"
            )
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{name} expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        self.bias = bool(bias)
        self.bidirectional = bool(bidirectional)
        self.nonlinearity = nonlinearity
        self.num_directions = 2 if bidirectional else 1
        self.dh0 = None  # dL/dh_0, set by backward
        if self._kind == "LSTM":
            self.dc0 = None  # dL/dc_0, set by backward
        H, G = self.hidden_size, _GATES[self._kind] * self.hidden_size
        rng = np.random.default_rng() if rng is None else rng
        bound = fan_in_bound(H)
        for layer in range(self.num_layers):
            d_in = self.input_size if layer == 0 else H * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                shapes = {"weight_ih": (G, d_in), "weight_hh": (G, H)}
                if self.bias:
                    shapes.update(bias_ih=(G,), bias_hh=(G,))
                for kind, shape in shapes.items():  # PyTorch's order: w_ih, w_hh, b_ih, b_hh
                    param = Parameter(uniform_init(rng, shape, bound, dtype))
                    setattr(self, f"{kind}_l{layer}{suffix}", param)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self._kind == "RNN" and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            s += ", bias=False"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def _params(self, layer, direction):
        suffix = "_reverse" if direction else ""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return [getattr(self, f"{n}_l{layer}{suffix}", None) for n in names]

    # -- checks ----------------------------------------------------------------------------------
    def _check_input(self, x):
        name = type(self).__name__
        x = as_float_array(name, x)
        if x.ndim != 3 or x.shape[2] != self.input_size or x.shape[1] == 0:
            raise ValueError(
                f"{name} expected input of shape (N, T, {self.input_size}) with T >= 1 (batch-first), "
                f"got {tuple(x.shape)}"
            )
        return x

    def _check_state(self, state, what, N, dtype):
        name = type(self).__name__
        shape = (self.num_layers * self.num_directions, N, self.hidden_size)
        if state is None:
            return np.zeros(shape, dtype=dtype)
        state = as_float_array(name, state, what)
        if state.shape != shape:
            raise ValueError(
                f"{name} expected {what} of shape (num_layers * num_directions, N, hidden_size) = "
                f"{shape}, got {tuple(state.shape)}"
            )
        return state.astype(dtype, copy=False)

    # -- forward ---------------------------------------------------------------------------------
    def _forward(self, x, h0, c0):
        """Run every layer and direction; returns (output (N, T, D*H), h_n, c_n or None)."""
        lstm = self._kind == "LSTM"
        dt = x.dtype
        N, T, _ = x.shape
        H, D = self.hidden_size, self.num_directions
        layer_in = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, N, input_size), time-major
        h_n = np.empty_like(h0)
        c_n = np.empty_like(c0) if lstm else None
        layers = []
        for layer in range(self.num_layers):
            layer_out = np.empty((T, N, D * H), dtype=dt)  # (T, N, D*H)
            runs = []
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = (None if p is None else p.data.astype(dt, copy=False)
                                          for p in self._params(layer, d))
                idx = layer * D + d
                hs = layer_out[:, :, d * H:(d + 1) * H]  # (T, N, H) view: this direction's outputs
                run = {"w_ih": w_ih, "w_hh": w_hh}
                if self._fused and self._kind != "RNN":
                    last = 0 if d else T - 1
                    if lstm:
                        bias = None if b_ih is None else b_ih + b_hh
                        run["gates"], run["c"], run["tanh_c"], run["h"] = _lstm_steps(
                            layer_in, w_ih, bias, h0[idx], c0[idx], w_hh, hs, bool(d))
                        run["feature_major"] = True
                        c_n[idx] = run["c"][last].T
                    else:
                        run["gates"], run["ghn"] = _gru_steps(layer_in, w_ih, b_ih, h0[idx], w_hh, b_hh, hs,
                                                              bool(d))
                    h_n[idx] = hs[last]
                    runs.append(run)
                    continue
                # the input projection for all steps at once: one 2-D matmul over T*N rows, (T, N, G)
                x2 = layer_in.reshape(T * N, layer_in.shape[2])
                gx = (x2 @ w_ih.T).reshape(T, N, w_ih.shape[0])
                if b_ih is not None:
                    gx += b_ih
                    if self._kind != "GRU":  # b_hh simply adds too: add it once, not once per step
                        gx += b_hh
                        b_hh = None
                h = h0[idx]
                c = c0[idx] if lstm else None
                caches = [None] * T
                for t in (range(T - 1, -1, -1) if d else range(T)):
                    if lstm:
                        h, c, caches[t] = lstm_cell_forward(gx[t], h, c, w_hh, b_hh)
                    elif self._kind == "GRU":
                        h, caches[t] = gru_cell_forward(gx[t], h, w_hh, b_hh)
                    else:
                        h, caches[t] = rnn_cell_forward(gx[t], h, w_hh, b_hh, self.nonlinearity)
                    hs[t] = h
                h_n[idx] = h
                if lstm:
                    c_n[idx] = c
                run["caches"] = caches
                runs.append(run)
            layers.append({"input": layer_in, "output": layer_out, "runs": runs})
            layer_in = layer_out
        self._cache = {"layers": layers, "h0": h0, "c0": c0, "x_shape": x.shape, "dtype": dt}
        return np.ascontiguousarray(layer_in.transpose(1, 0, 2)), h_n, c_n

    # -- backward --------------------------------------------------------------------------------
    def _backward(self, d_output, d_hn, d_cn):
        cache = self._saved()
        name = type(self).__name__
        lstm = self._kind == "LSTM"
        dt = cache["dtype"]
        N, T, _ = cache["x_shape"]
        H, D = self.hidden_size, self.num_directions
        d_output = check_grad(name, d_output, (N, T, D * H)).astype(dt, copy=False)
        state_shape = (self.num_layers * D, N, H)
        zeros = np.zeros(state_shape, dt)
        d_hn = zeros if d_hn is None else check_grad(name, d_hn, state_shape).astype(dt)
        if lstm:
            d_cn = zeros if d_cn is None else check_grad(name, d_cn, state_shape).astype(dt)
        dh0 = np.empty(state_shape, dt)
        dc0 = np.empty(state_shape, dt) if lstm else None
        d_layer_out = d_output.transpose(1, 0, 2)  # (T, N, D*H), time-major
        for layer in range(self.num_layers - 1, -1, -1):
            saved = cache["layers"][layer]
            layer_in, layer_out = saved["input"], saved["output"]
            d_layer_in = np.zeros(layer_in.shape, dtype=dt) if D > 1 else None
            for d in range(D):
                run = saved["runs"][d]
                idx = layer * D + d
                G = run["w_ih"].shape[0]
                dh_seq = d_layer_out[:, :, d * H:(d + 1) * H]  # (T, N, H) from the outputs
                hs = layer_out[:, :, d * H:(d + 1) * H]
                if "caches" not in run and lstm:
                    dgx_all, dh0[idx], dc0[idx] = _lstm_steps_backward(
                        dh_seq, d_hn[idx], d_cn[idx], run["gates"], run["c"], cache["c0"][idx], run["tanh_c"],
                        run["h"], run["w_hh"], bool(d))
                    dgh_all = dgx_all  # both sides enter by a plain sum
                elif "caches" not in run:
                    # the states each step read: h_{t-1} (forward) or h_{t+1} (reverse), then h0
                    h_prev = _previous(hs, cache["h0"][idx], bool(d))
                    dgx_all, dgh_all, dh0[idx] = _gru_steps_backward(
                        dh_seq, d_hn[idx], run["gates"], run["ghn"], h_prev, run["w_hh"], bool(d))
                else:
                    dgx_all = np.empty((T, N, G), dtype=dt)
                    # the RNN's and LSTM's cells return the same array for dgx and dgh
                    dgh_all = np.empty((T, N, G), dtype=dt) if self._kind == "GRU" else dgx_all
                    dh = d_hn[idx]
                    dc = d_cn[idx] if lstm else None
                    for t in (range(T) if d else range(T - 1, -1, -1)):  # reverse of the forward order
                        dh = dh + dh_seq[t]
                        if lstm:
                            dgx, dgh, dh, dc = lstm_cell_backward(dh, dc, run["caches"][t])
                        elif self._kind == "GRU":
                            dgx, dgh, dh = gru_cell_backward(dh, run["caches"][t])
                        else:
                            dgx, dgh, dh = rnn_cell_backward(dh, run["caches"][t])
                        dgx_all[t] = dgx
                        if dgh is not dgx:
                            dgh_all[t] = dgh
                    dh0[idx] = dh
                    if lstm:
                        dc0[idx] = dc
                w_ih_p, w_hh_p, b_ih_p, b_hh_p = self._params(layer, d)
                gx2 = dgx_all.reshape(T * N, G)
                x2 = layer_in.reshape(T * N, layer_in.shape[2])
                w_ih_p.grad += (gx2.T @ x2).astype(w_ih_p.grad.dtype, copy=False)
                # dW_hh = sum_t dgh_t^T h_{t-1}: the steps that read an output, then the one that read h0
                inner = slice(1, None) if not d else slice(None, -1)
                outer = slice(None, -1) if not d else slice(1, None)
                dw_hh = dgh_all[inner].reshape(-1, G).T @ hs[outer].reshape(-1, H)
                dw_hh += dgh_all[0 if not d else -1].T @ cache["h0"][idx]
                w_hh_p.grad += dw_hh.astype(w_hh_p.grad.dtype, copy=False)
                if b_ih_p is not None:
                    ones = np.ones(T * N, dtype=dt)
                    db_ih = ones @ gx2  # the sum over all rows, as one matrix-vector product
                    b_ih_p.grad += db_ih.astype(b_ih_p.grad.dtype, copy=False)
                    db_hh = db_ih if dgh_all is dgx_all else ones @ dgh_all.reshape(T * N, G)
                    b_hh_p.grad += db_hh.astype(b_hh_p.grad.dtype, copy=False)
                dx_part = (gx2 @ run["w_ih"]).reshape(layer_in.shape)  # (T, N, D_in)
                if D == 1:
                    d_layer_in = dx_part
                else:
                    d_layer_in += dx_part
            d_layer_out = d_layer_in
        self.dh0 = dh0
        if lstm:
            self.dc0 = dc0
        return np.ascontiguousarray(d_layer_out.transpose(1, 0, 2))

    # -- what the chapters plot --------------------------------------------------------------------
    @property
    def hidden_states(self) -> np.ndarray:
        """Every step's hidden state from the last forward pass, ``(num_layers * num_directions,
        N, T, hidden_size)``; index ``layer * num_directions + direction`` (direction 1 is the
        reverse pass), time in input order for both directions."""
        layers = self._forward_cache()["layers"]
        H, D = self.hidden_size, self.num_directions
        return np.stack([lay["output"][:, :, d * H:(d + 1) * H].transpose(1, 0, 2)
                         for lay in layers for d in range(D)])

    def _forward_cache(self):
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}: hidden states and gates are recorded by forward(); run it first"
            )
        return self._cache

    def _recorded(self, which: str, k: int | None = None) -> np.ndarray:
        """Gate ``k`` (``which="gates"``) or the LSTM's cell state (``which="c"``) of every layer and
        direction, ``(num_layers * num_directions, N, T, H)``."""
        layers = self._forward_cache()["layers"]
        H, out = self.hidden_size, []
        for lay in layers:
            for run in lay["runs"]:
                if "caches" in run:  # the cell-by-cell path: one cache per step
                    values = [c["gates"][k] if which == "gates" else c["c"] for c in run["caches"]]
                    out.append(np.stack(values, axis=1))
                elif run.get("feature_major"):  # the fused LSTM loop: (T, G, N) arrays
                    seq = run[which] if k is None else run[which][:, k * H:(k + 1) * H]
                    out.append(seq.transpose(2, 0, 1))
                else:  # the fused GRU loop: (T, N, G) arrays
                    seq = run[which] if k is None else run[which][:, :, k * H:(k + 1) * H]
                    out.append(seq.transpose(1, 0, 2))
        return np.stack(out)

    @property
    def gates(self) -> dict[str, np.ndarray]:
        """The gate activations of the last forward pass: ``{"i", "f", "g", "o"}`` (LSTM) or
        ``{"r", "z", "n"}`` (GRU), each ``(num_layers * num_directions, N, T, hidden_size)``, laid
        out as :attr:`hidden_states`."""
        names = _GATE_NAMES.get(self._kind)
        if names is None:
            raise AttributeError("RNN has no gates; see hidden_states")
        return {g: self._recorded("gates", k) for k, g in enumerate(names)}


class RNN(_RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU).

    Stacked (``num_layers``) and optionally bidirectional, as ``torch.nn.RNN(...,
    batch_first=True)``. One step is :func:`rnn_cell_forward`.

    Args:
        input_size: features per step ``D``.
        hidden_size: state size ``H``.
        num_layers: stacked layers; layer ``k > 0`` reads layer ``k - 1``'s outputs.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        bias: add ``b_ih`` and ``b_hh``.
        batch_first: must be ``True`` (accepted so PyTorch code runs unchanged).
        bidirectional: also run a second RNN from the last step to the first; outputs concatenated.
        dtype, rng: parameter dtype; a ``numpy.random.Generator`` for the init
            ``U(-1/sqrt(H), 1/sqrt(H))`` of every weight and bias.

    Shape:
        - Input: ``(N, T, D)``; ``hx``: ``(num_layers * num_directions, N, H)``, default zeros.
        - Output: ``(N, T, num_directions * H)``: the last layer's hidden state at every step;
          ``h_n``: ``(num_layers * num_directions, N, H)``, the final state of every layer and
          direction (the reverse direction's final state is its state at ``t = 0``).

    Attributes:
        hidden_states: every step's ``h_t`` from the last forward pass,
            ``(num_layers * num_directions, N, T, H)``, index ``layer * num_directions + direction``
            (direction 1 is the reverse pass), time in input order for both directions.
        dh0: after :meth:`backward`, ``dL/dh_0`` with the shape of ``hx``.

    Examples:
        >>> rnn = RNN(3, 5, num_layers=2, bidirectional=True, rng=np.random.default_rng(0))
        >>> out, h_n = rnn(np.random.default_rng(1).normal(size=(4, 7, 3)))
        >>> out.shape, h_n.shape, rnn.hidden_states.shape
        ((4, 7, 10), (4, 4, 5), (4, 4, 7, 5))
        >>> rnn.backward(np.ones_like(out)).shape, rnn.dh0.shape
        ((4, 7, 3), (4, 4, 5))
    """

    _kind = "RNN"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", *, bias=True,
                 batch_first=True, bidirectional=False, dtype=np.float64, rng=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         nonlinearity=nonlinearity, dtype=dtype, rng=rng)

    def forward(self, input, hx=None):
        """Returns ``(output, h_n)``."""
        x = self._check_input(input)
        h0 = self._check_state(hx, "hx", x.shape[0], x.dtype)
        out, h_n, _ = self._forward(x, h0, None)
        return out, h_n

    def backward(self, d_output, d_hn=None):
        """``d_output`` ``(N, T, D*H)``, optional ``d_hn`` (shape of ``h_n``); returns ``dL/dx``
        ``(N, T, input_size)``, accumulates every parameter gradient and sets :attr:`dh0`."""
        return self._backward(d_output, d_hn, None)


class LSTM(_RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM(..., batch_first=True)``.

    .. math::
        \\begin{aligned}
        i_t &= \\sigma(x_t W_{ii}^T + b_{ii} + h_{t-1} W_{hi}^T + b_{hi}) \\\\
        f_t &= \\sigma(x_t W_{if}^T + b_{if} + h_{t-1} W_{hf}^T + b_{hf}) \\\\
        g_t &= \\tanh(x_t W_{ig}^T + b_{ig} + h_{t-1} W_{hg}^T + b_{hg}) \\\\
        o_t &= \\sigma(x_t W_{io}^T + b_{io} + h_{t-1} W_{ho}^T + b_{ho}) \\\\
        c_t &= f_t \\odot c_{t-1} + i_t \\odot g_t \\\\
        h_t &= o_t \\odot \\tanh(c_t)
        \\end{aligned}

    ``weight_ih_l{k}`` stacks ``[W_ii; W_if; W_ig; W_io]`` (shape ``(4H, D_in)``), PyTorch's gate
    order ``(i, f, g, o)``; likewise ``weight_hh_l{k}`` ``(4H, H)`` and the biases ``(4H,)``.
    One step is :func:`lstm_cell_forward`.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, bidirectional, dtype, rng: as
            :class:`RNN`.

    Shape:
        - Input: ``(N, T, D)``; ``hx = (h_0, c_0)``, each ``(num_layers * num_directions, N, H)``,
          default zeros.
        - Output: ``(output, (h_n, c_n))`` with output ``(N, T, num_directions * H)`` and
          ``h_n``, ``c_n`` shaped like ``h_0``.

    Attributes:
        hidden_states, cell_states: every step's ``h_t`` and ``c_t``,
            ``(num_layers * num_directions, N, T, H)``, index ``layer * num_directions + direction``.
        gates: ``{"i", "f", "g", "o"}``, each laid out as ``hidden_states``.
        dh0, dc0: after :meth:`backward`, ``dL/dh_0`` and ``dL/dc_0``.

    Examples:
        >>> lstm = LSTM(3, 4, rng=np.random.default_rng(0))
        >>> out, (h_n, c_n) = lstm(np.random.default_rng(1).normal(size=(2, 6, 3)))
        >>> out.shape, h_n.shape, c_n.shape
        ((2, 6, 4), (1, 2, 4), (1, 2, 4))
        >>> bool(np.allclose(out[:, -1], h_n[0]))
        True
        >>> sorted(lstm.gates), lstm.gates["f"].shape
        (['f', 'g', 'i', 'o'], (1, 2, 6, 4))
        >>> dx = lstm.backward(np.ones_like(out), d_cn=np.ones_like(c_n))
        >>> dx.shape, lstm.dc0.shape
        ((2, 6, 3), (1, 2, 4))
    """

    _kind = "LSTM"

    def __init__(self, input_size, hidden_size, num_layers=1, *, bias=True, batch_first=True,
                 bidirectional=False, dtype=np.float64, rng=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         dtype=dtype, rng=rng)

    def forward(self, input, hx=None):
        """Returns ``(output, (h_n, c_n))``."""
        x = self._check_input(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ValueError(f"LSTM expected hx to be a pair (h_0, c_0), got {type(hx).__name__}")
        h0 = self._check_state(hx[0], "h_0", x.shape[0], x.dtype)
        c0 = self._check_state(hx[1], "c_0", x.shape[0], x.dtype)
        out, h_n, c_n = self._forward(x, h0, c0)
        return out, (h_n, c_n)

    def backward(self, d_output, d_hn=None, d_cn=None):
        """``d_output`` ``(N, T, D*H)``, optional ``d_hn``, ``d_cn`` (shapes of ``h_n``, ``c_n``);
        returns ``dL/dx`` ``(N, T, input_size)``, accumulates every parameter gradient and sets
        :attr:`dh0`, :attr:`dc0`."""
        return self._backward(d_output, d_hn, d_cn)

    @property
    def cell_states(self) -> np.ndarray:
        """Every step's cell state ``c_t`` from the last forward pass, laid out as
        :attr:`hidden_states`."""
        return self._recorded("c")


class GRU(_RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU(..., batch_first=True)``.

    .. math::
        \\begin{aligned}
        r_t &= \\sigma(x_t W_{ir}^T + b_{ir} + h_{t-1} W_{hr}^T + b_{hr}) \\\\
        z_t &= \\sigma(x_t W_{iz}^T + b_{iz} + h_{t-1} W_{hz}^T + b_{hz}) \\\\
        n_t &= \\tanh(x_t W_{in}^T + b_{in} + r_t \\odot (h_{t-1} W_{hn}^T + b_{hn})) \\\\
        h_t &= (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}
        \\end{aligned}

    Weights stack PyTorch's gate order ``(r, z, n)``: ``weight_ih_l{k}`` is ``(3H, D_in)``.
    One step is :func:`gru_cell_forward`.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, bidirectional, dtype, rng: as
            :class:`RNN`.

    Shape:
        - Input: ``(N, T, D)``; ``hx``: ``(num_layers * num_directions, N, H)``, default zeros.
        - Output: ``(output, h_n)``: ``(N, T, num_directions * H)`` and the shape of ``hx``.

    Attributes:
        hidden_states: ``(num_layers * num_directions, N, T, H)``.
        gates: ``{"r", "z", "n"}``, each laid out as ``hidden_states``.
        dh0: after :meth:`backward`, ``dL/dh_0``.

    Examples:
        >>> gru = GRU(3, 4, num_layers=2, rng=np.random.default_rng(0))
        >>> out, h_n = gru(np.random.default_rng(1).normal(size=(2, 6, 3)))
        >>> out.shape, h_n.shape, gru.gates["z"].shape
        ((2, 6, 4), (2, 2, 4), (2, 2, 6, 4))
        >>> gru.backward(np.ones_like(out)).shape
        (2, 6, 3)
    """

    _kind = "GRU"

    def __init__(self, input_size, hidden_size, num_layers=1, *, bias=True, batch_first=True,
                 bidirectional=False, dtype=np.float64, rng=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, bidirectional,
                         dtype=dtype, rng=rng)

    def forward(self, input, hx=None):
        """Returns ``(output, h_n)``."""
        x = self._check_input(input)
        h0 = self._check_state(hx, "hx", x.shape[0], x.dtype)
        out, h_n, _ = self._forward(x, h0, None)
        return out, h_n

    def backward(self, d_output, d_hn=None):
        """As :meth:`RNN.backward`."""
        return self._backward(d_output, d_hn, None)
