"""The loops over time that the recurrent layers run, one direction of one layer each.

* :func:`_cell_steps` calls a cell function of ``recurrent.py`` once per step: the readable
  reference, and what :class:`~layers_lib.RNN` runs;
* the fused loops, which :class:`~layers_lib.LSTM` and :class:`~layers_lib.GRU` run: the cells'
  arithmetic over a whole sequence, written into arrays allocated once (``out=`` everywhere, no
  per-step temporaries or dictionaries). They compute the numbers of the cells, faster, and the
  tests check that both agree. The sigmoid gates are computed as
``(1 + tanh(a/2)) / 2`` with the halving folded into their rows of the weights (exact in floating
point), so one ``tanh`` serves all the gates of a step; both loops work *feature-major*
(``(4H, N)`` or ``(3H, N)`` per step), where each gate is a contiguous block of rows: BLAS runs
the small per-step product faster, and NumPy runs a small operation on a contiguous block several
times faster than on a strided view.

Every loop has one interface (the cell-by-cell loop takes the cell, an entry of the layers'
table ``recurrent._CELLS``, first)::

    loop(x, w_ih, w_hh, b_ih, b_hh, state0, hs, reverse) -> (run, final_state)
    loop_backward(dh_seq, dstate_n, run, state0, hs, w_hh, reverse) -> (dgx, dgh, dstate0)

with the states as tuples, ``(h,)`` or ``(h, c)``, ``hs`` a ``(T, N, H)`` array that receives
every ``h_t``, and ``run`` a record that also serves the chapters' plots of the gates
(``run.gate(k)``) and cell states (``run.cell_state()``).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np


# -- the cell-by-cell loop: the readable reference the fused loops are checked against ------------
def _steps(T: int, reverse: bool) -> range:
    """The time steps in the order a direction runs them."""
    return range(T - 1, -1, -1) if reverse else range(T)


class CellRun(NamedTuple):
    """What the cell-by-cell loop keeps: one cell cache per step, in time order."""

    caches: tuple

    def gate(self, k: int) -> np.ndarray:
        return np.stack([c.gates[k] for c in self.caches], axis=1)  # (N, T, H)

    def cell_state(self) -> np.ndarray:
        return np.stack([c.c for c in self.caches], axis=1)  # (N, T, H)


def _cell_steps(cell, x, w_ih, w_hh, b_ih, b_hh, state0, hs, reverse=False, options=None):
    """Run ``cell.forward`` once per time step: ``x`` is ``(T, N, D)``, ``state0`` a tuple ``(h_0,)``
    or ``(h_0, c_0)``, ``hs`` receives every ``h_t``. Returns ``(CellRun, final state)``."""
    T, N, _ = x.shape
    # the input projection for all steps at once: one 2-D matmul over T*N rows, (T, N, G)
    gx = (x.reshape(T * N, x.shape[2]) @ w_ih.T).reshape(T, N, w_ih.shape[0])
    if b_ih is not None:
        gx += b_ih
        if cell.plain_sum:  # b_hh simply adds too: add it once, not once per step
            gx += b_hh
            b_hh = None
    forward = partial(cell.forward, **options) if options else cell.forward
    state, caches = state0, [None] * T
    for t in _steps(T, reverse):
        *state, caches[t] = forward(gx[t], *state, w_hh, b_hh)
        hs[t] = state[0]
    return CellRun(tuple(caches)), tuple(state)


def _cell_steps_backward(cell, dh_seq, dstate_n, run: CellRun, state0, hs, w_hh, reverse=False):
    """Backward of :func:`_cell_steps`: ``cell.backward`` once per step, in the reverse order.
    Returns ``(dgx, dgh, dstate0)``, the pre-activation gradients ``(T, N, G)`` of both sides."""
    T, N, _ = dh_seq.shape
    dgx = np.empty((T, N, w_hh.shape[0]), dtype=hs.dtype)
    dgh = dgx if cell.plain_sum else np.empty_like(dgx)  # the RNN's and LSTM's cells return one array
    dstate, backward, caches = dstate_n, cell.backward, run.caches
    for t in _steps(T, not reverse):
        dgx_t, dgh_t, *dstate = backward(dstate[0] + dh_seq[t], *dstate[1:], caches[t])
        dgx[t] = dgx_t
        if dgh is not dgx:
            dgh[t] = dgh_t
    return dgx, dgh, tuple(dstate)


# -- the fused loops ----------------------------------------------------------------------------------
class LSTMRun(NamedTuple):
    """What the fused LSTM loop keeps, feature-major."""

    gates: np.ndarray  # (T, 4H, N): the activations i, f, g, o
    c: np.ndarray  # (T, H, N): the cell states
    tanh_c: np.ndarray  # (T, H, N)
    h: np.ndarray  # (T, H, N): the hidden states

    def gate(self, k: int) -> np.ndarray:
        """Gate ``k`` at every step, ``(N, T, H)``."""
        H = self.c.shape[1]
        return self.gates[:, k * H:(k + 1) * H].transpose(2, 0, 1)

    def cell_state(self) -> np.ndarray:
        return self.c.transpose(2, 0, 1)  # (N, T, H)


class GRURun(NamedTuple):
    """What the fused GRU loop keeps, batch-major."""

    gates: np.ndarray  # (T, N, 3H): the activations r, z, n
    ghn: np.ndarray  # (T, N, H): the hidden-side candidate term h_{t-1} W_hn^T + b_hn

    def gate(self, k: int) -> np.ndarray:
        """Gate ``k`` at every step, ``(N, T, H)``."""
        H = self.ghn.shape[2]
        return self.gates[:, :, k * H:(k + 1) * H].transpose(1, 0, 2)


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


def _input_side(x, w_ih, bias, half):
    """The input side of every step in one call, feature-major: ``(G, D + 1) @ (T, D + 1, N)``
    gives ``(T, G, N)``, the rows scaled by ``half`` (the sigmoid gates' halving) and the bias
    entering as an extra input fixed at 1 (transposing the input is G/D times less copying than
    transposing the result of one wide product)."""
    T, N, D = x.shape
    G, dt = w_ih.shape[0], x.dtype
    x1 = np.ones((T, D + 1, N), dtype=dt)
    x1[:, :D] = x.transpose(0, 2, 1)
    w1 = np.zeros((G, D + 1), dtype=dt)
    w1[:, :D] = w_ih
    if bias is not None:
        w1[:, D] = bias
    w1 *= half[:, None]
    return np.matmul(w1, x1)  # (T, G, N)


def _lstm_steps(x, w_ih, w_hh, b_ih, b_hh, state0, hs, reverse=False):
    """The forward loop of :func:`~layers_lib.lstm_cell_forward` over a sequence, *feature-major*:
    every step works on ``(4H, N)`` arrays (``a = W_hh h_{t-1}`` with ``h`` a column per sequence),
    so that each gate is a contiguous block of rows and the product ``(4H, H) @ (H, N)`` suits BLAS
    better than ``(N, H) @ (H, 4H)`` for a small batch.

    Args:
        x: ``(T, N, D)``, time-major input; w_ih: ``(4H, D)``; w_hh: ``(4H, H)``;
        b_ih, b_hh: ``(4H,)`` each or ``None``.
        state0: ``(h_0, c_0)``, ``(N, H)`` each.
        hs: a ``(T, N, H)`` array (or view) that receives every ``h_t``.
        reverse: run from the last step to the first.

    Returns:
        ``(run, (h_n, c_n))``: the :class:`LSTMRun` record and the final states ``(N, H)``.
    """
    h0, c0 = state0
    bias = None if b_ih is None else b_ih + b_hh  # both simply add to the pre-activation
    T, N, _ = x.shape
    G, H, dt = w_ih.shape[0], w_ih.shape[0] // 4, x.dtype
    half = _half_rows(G, H, 2, dt)
    shift = half.copy()
    shift[2 * H:3 * H] = 0.0
    half_cols, shift_cols = np.repeat(half, N).reshape(G, N), np.repeat(shift, N).reshape(G, N)
    gx = _input_side(x, w_ih, bias, half)  # (T, 4H, N)
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
    last = 0 if reverse else T - 1
    return LSTMRun(gates, c, tanh_c, h_all), (hs[last], c[last].T)


def _lstm_steps_backward(dh_seq, dstate_n, run: LSTMRun, state0, hs, w_hh, reverse=False):
    """Backward of :func:`_lstm_steps`, step by step as :func:`~layers_lib.lstm_cell_backward`,
    feature-major.

    Args:
        dh_seq: ``(T, N, H)``, the gradient reaching each ``h_t`` from the outputs.
        dstate_n: ``(dh_n, dc_n)``, ``(N, H)`` each, from ``h_n`` and ``c_n`` (not modified).
        run: the forward loop's record; state0: ``(h_0, c_0)``; hs: every ``h_t`` ``(T, N, H)``.

    Returns:
        ``(da, da, (dh_0, dc_0))`` with ``da`` the gradient of the gate pre-activations
        ``(T, N, 4H)``, on the input and the hidden side alike (both enter by a plain sum).
    """
    (dh_n, dc_n), c0 = dstate_n, state0[1]
    gates, c, tanh_c, h_all = run
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
    da = np.ascontiguousarray(da.transpose(0, 2, 1))
    return da, da, (dh.T, dc.T)


def _gru_steps(x, w_ih, w_hh, b_ih, b_hh, state0, hs, reverse=False):
    """The forward loop of :func:`~layers_lib.gru_cell_forward` over a sequence, feature-major
    like :func:`_lstm_steps`: every step works on ``(3H, N)`` arrays, so each gate is a contiguous
    block of rows (NumPy runs a small operation on a strided view several times slower).

    Args:
        x: ``(T, N, D)``, time-major input; w_ih: ``(3H, D)``; w_hh: ``(3H, H)``;
        b_ih, b_hh: ``(3H,)`` each or ``None``.
        state0: ``(h_0,)``, ``(N, H)``.
        hs: a ``(T, N, H)`` array (or view) that receives every ``h_t``.

    Returns:
        ``(run, (h_n,))``: the :class:`GRURun` record and the final state.
    """
    (h0,) = state0
    T, N, _ = x.shape
    G, H, dt = w_ih.shape[0], w_ih.shape[0] // 3, x.dtype
    half = _half_rows(G, H, 2, dt)
    bias = None
    if b_ih is not None:
        bias = b_ih.copy()
        bias[:2 * H] += b_hh[:2 * H]  # r and z add b_hh simply; n multiplies it by r
    gx = _input_side(x, w_ih, bias, half)  # (T, 3H, N)
    w = w_hh * half[:, None]  # (3H, H)
    b_hn = None if b_hh is None else np.repeat(b_hh[2 * H:].astype(dt, copy=False), N).reshape(H, N)
    gates = np.empty((T, G, N), dtype=dt)
    ghn, h_all = np.empty((T, H, N), dtype=dt), np.empty((T, H, N), dtype=dt)  # feature-major
    gh = np.empty((G, N), dtype=dt)
    h = np.ascontiguousarray(h0.T)
    for t in _steps(T, reverse):
        np.matmul(w, h, out=gh)
        a = gates[t]
        rz = a[:2 * H]
        np.add(gx[t, :2 * H], gh[:2 * H], out=rz)
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5  # r, z
        if b_hn is None:
            np.copyto(ghn[t], gh[2 * H:])
        else:
            np.add(gh[2 * H:], b_hn, out=ghn[t])
        n = a[2 * H:]
        np.multiply(rz[:H], ghn[t], out=n)
        n += gx[t, 2 * H:]
        np.tanh(n, out=n)  # the candidate
        h_t = h_all[t]
        np.subtract(h, n, out=h_t)
        h_t *= rz[H:]
        h_t += n  # h_t = n + z (h_{t-1} - n)
        h = h_t
    hs[...] = h_all.transpose(0, 2, 1)
    # the record batch-major, as the backward loop reads it: that loop measured faster with (N, 3H)
    # steps than feature-major, this one about twice as fast feature-major
    record = GRURun(np.ascontiguousarray(gates.transpose(0, 2, 1)),
                    np.ascontiguousarray(ghn.transpose(0, 2, 1)))
    return record, (hs[0 if reverse else T - 1],)


def _gru_steps_backward(dh_seq, dstate_n, run: GRURun, state0, hs, w_hh, reverse=False):
    """Backward of :func:`_gru_steps`, step by step as :func:`~layers_lib.gru_cell_backward`.

    Returns:
        ``(dgx, dgh, (dh_0,))``: the gradients of the input-side and hidden-side pre-activations
        ``(T, N, 3H)`` each, and ``dL/dh_0``.
    """
    (dh_n,), (gates, ghn) = dstate_n, run
    h_prev = _previous(hs, state0[0], reverse)  # the states each step read: h_{t-1} (or h_{t+1}), then h0
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
    return dgx, dgh, (dh,)
