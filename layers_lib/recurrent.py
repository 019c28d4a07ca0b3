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

The layers do not know which cell they run: a small table, ``_CELLS`` (as PyTorch's
``_rnn_impls``), describes each kind by its cell forward and backward, whether it has a cell state
and its gates, and the layers' time loop reads it. The cells are the readable definition, and
:class:`RNN` runs them as they are. :class:`LSTM` and :class:`GRU` run the same arithmetic through
the fused loops of ``recurrent_loops.py`` (every step written into arrays allocated once, one
``tanh`` for all the gates of a step); the tests check that the fused loops and the cells give the
same numbers.

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

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_bool, check_grad, check_int, check_rng
from .module import Module, Parameter, fan_in_bound, uniform_init
from .recurrent_loops import (
    _cell_steps,
    _cell_steps_backward,
    _gru_steps,
    _gru_steps_backward,
    _lstm_steps,
    _lstm_steps_backward,
)

__all__ = [
    "rnn_cell_forward", "rnn_cell_backward",
    "lstm_cell_forward", "lstm_cell_backward",
    "gru_cell_forward", "gru_cell_backward",
    "RNNCellCache", "LSTMCellCache", "GRUCellCache",
    "RNN", "LSTM", "GRU",
]


# -- what each cell hands its backward -----------------------------------------------------------------
class RNNCellCache(NamedTuple):
    """The cache of :func:`rnn_cell_forward`."""

    h: np.ndarray  # (N, H) the new state
    w_hh: np.ndarray  # (H, H)
    nonlinearity: str


class LSTMCellCache(NamedTuple):
    """The cache of :func:`lstm_cell_forward`."""

    gates: tuple[np.ndarray, ...]  # the activations (i, f, g, o), (N, H) each
    c_prev: np.ndarray  # (N, H)
    c: np.ndarray  # (N, H) the new cell state
    tanh_c: np.ndarray  # (N, H)
    w_hh: np.ndarray  # (4H, H)


class GRUCellCache(NamedTuple):
    """The cache of :func:`gru_cell_forward`."""

    gates: tuple[np.ndarray, ...]  # the activations (r, z, n), (N, H) each
    h_prev: np.ndarray  # (N, H)
    ghn: np.ndarray  # (N, H) the hidden-side candidate term h_prev W_hn^T + b_hn
    w_hh: np.ndarray  # (3H, H)


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
        ``(h, cache)`` with ``h`` of shape ``(N, H)`` and an :class:`RNNCellCache`.
    """
    a = gx + h_prev @ w_hh.T  # (N, H) pre-activation
    if b_hh is not None:
        a += b_hh
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell_forward expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return h, RNNCellCache(h, w_hh, nonlinearity)


def rnn_cell_backward(dh, cache: RNNCellCache):
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
        ``(h, c, cache)``; the :class:`LSTMCellCache` holds the activations ``gates = (i, f, g, o)``.
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
    return h, c, LSTMCellCache((i, f, g, o), c_prev, c, tanh_c, w_hh)


def lstm_cell_backward(dh, dc, cache: LSTMCellCache):
    """Backward through :func:`lstm_cell_forward`.

    Args:
        dh: ``dL/dh_t`` ``(N, H)``; dc: ``dL/dc_t`` ``(N, H)`` from step ``t + 1``.

    Returns:
        ``(dgx, dgh, dh_prev, dc_prev)``: the gradient of the gate pre-activations ``(N, 4H)``
        (input and hidden side are the same array: both enter by a plain sum), ``dL/dh_{t-1}``
        and ``dL/dc_{t-1}``.
    """
    i, f, g, o = cache.gates
    tanh_c = cache.tanh_c
    do = dh * tanh_c
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)  # the cell is reached directly and through h
    da = np.concatenate([
        dc * g * i * (1.0 - i),  # d a_i
        dc * cache.c_prev * f * (1.0 - f),  # d a_f
        dc * i * (1.0 - g * g),  # d a_g
        do * o * (1.0 - o),  # d a_o
    ], axis=1)  # (N, 4H)
    return da, da, da @ cache.w_hh, dc * f


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
        ``(h, cache)``; the :class:`GRUCellCache` holds the activations ``gates = (r, z, n)``.
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
    return h, GRUCellCache((r, z, n), h_prev, ghn, w_hh)


def gru_cell_backward(dh, cache: GRUCellCache):
    """Backward through :func:`gru_cell_forward`.

    Args:
        dh: ``dL/dh_t`` ``(N, H)``.

    Returns:
        ``(dgx, dgh, dh_prev)``: the gradients of the input-side pre-activations ``(N, 3H)``, of
        the hidden-side ones ``(N, 3H)`` (they differ in the candidate block, where ``r``
        multiplies the hidden side only) and ``dL/dh_{t-1}``.
    """
    r, z, n = cache.gates
    h_prev = cache.h_prev
    dn = dh * (1.0 - z)
    da_n = dn * (1.0 - n * n)  # through tanh
    da_r = da_n * cache.ghn * r * (1.0 - r)
    da_z = dh * (h_prev - n) * z * (1.0 - z)
    dgx = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (N, 3H)
    return dgx, dgh, dh * z + dgh @ cache.w_hh


# -- the layers ------------------------------------------------------------------------------------
class _Cell(NamedTuple):
    """One kind of recurrent cell, as the layers run it (PyTorch keeps such a table, ``_rnn_impls``).

    The cells share one interface, with the states spread: ``forward(gx, *state, w_hh, b_hh,
    **options) -> (*state, cache)`` and ``backward(*dstate, cache) -> (dgx, dgh, *dstate_prev)``,
    ``state`` being ``(h,)`` or, with a cell state, ``(h, c)``."""

    forward: Callable
    backward: Callable
    has_cell_state: bool  # LSTM: a cell state c_t beside h_t
    blocks: int  # W_ih and W_hh stack this many (H, *) blocks
    gate_names: tuple[str, ...]  # the gates the layer records, in PyTorch's order
    plain_sum: bool  # h W_hh^T + b_hh enters every pre-activation by a plain sum: b_hh can join gx, dgh = dgx
    options: tuple[str, ...] = ()  # the layer's attributes the cell takes as keywords
    fused: tuple[Callable, Callable] | None = None  # (loop, loop backward) over a whole sequence


_CELLS = {
    "RNN": _Cell(rnn_cell_forward, rnn_cell_backward, False, 1, (), True, ("nonlinearity",)),
    "LSTM": _Cell(lstm_cell_forward, lstm_cell_backward, True, 4, ("i", "f", "g", "o"), True,
                  fused=(_lstm_steps, _lstm_steps_backward)),
    "GRU": _Cell(gru_cell_forward, gru_cell_backward, False, 3, ("r", "z", "n"), False,
                 fused=(_gru_steps, _gru_steps_backward)),
}


class _Run(NamedTuple):
    """One layer and direction of the last forward pass."""

    w_ih: np.ndarray  # in the input's dtype
    w_hh: np.ndarray
    record: NamedTuple  # CellRun, LSTMRun or GRURun: what the loop's backward needs
    backward: Callable  # that loop's backward


class _Layer(NamedTuple):
    input: np.ndarray  # (T, N, D_in), time-major
    output: np.ndarray  # (T, N, num_directions * H)
    runs: tuple[_Run, ...]  # one per direction


class _RecurrentCache(NamedTuple):
    """What :meth:`_RNNBase.backward` needs (and the chapters' plots read)."""

    layers: tuple[_Layer, ...]
    states0: tuple[np.ndarray, ...]  # (h_0,) or (h_0, c_0), (num_layers * num_directions, N, H) each
    x_shape: tuple[int, int, int]
    dtype: np.dtype


class _RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, checks, the loops over layers, directions, time.
    Which cell runs, and how, is ``_CELLS[self._kind]``; this class never asks which kind it is."""

    _kind = "RNN"
    nonlinearity = "tanh"  # RNN's option; LSTM and GRU have tanh built into their cells
    # LSTM and GRU run the fused loops; False runs the cell functions step by step (the readable
    # reference the tests compare the fused loops with)
    _fused = True

    def __init__(self, input_size, hidden_size, num_layers=1, *, bias=True, batch_first=True,
                 bidirectional=False, dtype=np.float64, rng=None):
        super().__init__()
        # one named check per hyper-parameter, in the signature's order: every layer's constructor
        # opens like this (_ConvNd's reads the same), alike on purpose
        name = type(self).__name__
        self.input_size = check_int(name, "input_size", input_size)
        self.hidden_size = check_int(name, "hidden_size", hidden_size)
        self.num_layers = check_int(name, "num_layers", num_layers)
        self.bias = check_bool(name, "bias", bias)
        self.bidirectional = check_bool(name, "bidirectional", bidirectional)
        if not check_bool(name, "batch_first", batch_first):
            raise ValueError(
                f"{name} is always batch-first: input (N, T, input_size), as torch's batch_first=True; "
                f"got batch_first=False (transpose a (T, N, D) input with x.transpose(1, 0, 2))"
            )
        self.num_directions = 2 if bidirectional else 1
        cell = _CELLS[self._kind]
        self.dh0 = None  # dL/dh_0, set by backward
        if cell.has_cell_state:
            self.dc0 = None  # dL/dc_0, set by backward
        H, G = self.hidden_size, cell.blocks * self.hidden_size
        rng = check_rng(name, rng)
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
        if self.nonlinearity != "tanh":
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

    # -- RNN and GRU: one state (LSTM overrides both) ----------------------------------------------
    def forward(self, input, hx=None):
        """Returns ``(output, h_n)``."""
        x = self._check_input(input)
        out, (h_n,) = self._forward(x, (self._check_state(hx, "hx", x.shape[0], x.dtype),))
        return out, h_n

    def backward(self, dy, d_hn=None):
        """``dy`` ``(N, T, D*H)``, optional ``d_hn`` (shape of ``h_n``); returns ``dL/dx``
        ``(N, T, input_size)``, accumulates every parameter gradient and sets :attr:`dh0`."""
        return self._backward(dy, (d_hn,))

    # -- the loops over layers and directions --------------------------------------------------------
    def _forward(self, x, states0):
        """Run every layer and direction from ``states0 = (h_0,)`` or ``(h_0, c_0)``; returns
        ``(output (N, T, D*H), (h_n,) or (h_n, c_n))``."""
        cell, dt = _CELLS[self._kind], x.dtype
        N, T, _ = x.shape
        H, D = self.hidden_size, self.num_directions
        if self._fused and cell.fused:
            loop, loop_backward = cell.fused
        else:
            options = {name: getattr(self, name) for name in cell.options}
            loop = partial(_cell_steps, cell, options=options)
            loop_backward = partial(_cell_steps_backward, cell)
        layer_in = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, N, input_size), time-major
        finals = tuple(np.empty_like(s) for s in states0)  # h_n (, c_n)
        layers = []
        for layer in range(self.num_layers):
            layer_out = np.empty((T, N, D * H), dtype=dt)  # (T, N, D*H)
            runs = []
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = (None if p is None else p.data.astype(dt, copy=False)
                                          for p in self._params(layer, d))
                idx = layer * D + d
                hs = layer_out[:, :, d * H:(d + 1) * H]  # (T, N, H) view: this direction's outputs
                record, final = loop(layer_in, w_ih, w_hh, b_ih, b_hh, tuple(s[idx] for s in states0), hs,
                                     bool(d))
                for f, s in zip(finals, final, strict=True):
                    f[idx] = s
                runs.append(_Run(w_ih, w_hh, record, loop_backward))
            layers.append(_Layer(layer_in, layer_out, tuple(runs)))
            layer_in = layer_out
        self._cache = _RecurrentCache(tuple(layers), states0, x.shape, dt)
        return np.ascontiguousarray(layer_in.transpose(1, 0, 2)), finals

    def _backward(self, dy, d_finals):
        """``d_finals = (d_hn,)`` or ``(d_hn, d_cn)``, ``None`` for zeros; sets :attr:`dh0` (and
        :attr:`dc0`) and returns ``dL/dx``."""
        cache = self._saved()
        name = type(self).__name__
        dt = cache.dtype
        N, T, _ = cache.x_shape
        H, D = self.hidden_size, self.num_directions
        dy = check_grad(name, dy, (N, T, D * H)).astype(dt, copy=False)
        state_shape = (self.num_layers * D, N, H)
        d_finals = tuple(np.zeros(state_shape, dt) if g is None
                         else check_grad(name, g, state_shape).astype(dt) for g in d_finals)
        d_states0 = tuple(np.empty(state_shape, dt) for _ in d_finals)
        d_layer_out = dy.transpose(1, 0, 2)  # (T, N, D*H), time-major
        for layer in range(self.num_layers - 1, -1, -1):
            saved = cache.layers[layer]
            d_layer_in = np.zeros(saved.input.shape, dtype=dt) if D > 1 else None
            for d, run in enumerate(saved.runs):
                idx = layer * D + d
                hs = saved.output[:, :, d * H:(d + 1) * H]
                dh_seq = d_layer_out[:, :, d * H:(d + 1) * H]  # (T, N, H) from the outputs
                dgx, dgh, d_state0 = run.backward(dh_seq, tuple(g[idx] for g in d_finals), run.record,
                                                  tuple(s[idx] for s in cache.states0), hs, run.w_hh, bool(d))
                for g, s in zip(d_states0, d_state0, strict=True):
                    g[idx] = s
                h0 = cache.states0[0][idx]
                dx_part = self._add_weight_grads(layer, d, dgx, dgh, saved.input, hs, h0, run)
                if D == 1:
                    d_layer_in = dx_part
                else:
                    d_layer_in += dx_part
            d_layer_out = d_layer_in
        self.dh0 = d_states0[0]
        if len(d_states0) > 1:
            self.dc0 = d_states0[1]
        return np.ascontiguousarray(d_layer_out.transpose(1, 0, 2))

    def _add_weight_grads(self, layer, d, dgx, dgh, layer_in, hs, h0, run):
        """Add one direction's weight gradients, summed over every step with one matmul each, and
        return its share of ``dL/d(layer input)`` ``(T, N, D_in)``."""
        T, N, G = dgx.shape
        H, dt = hs.shape[2], dgx.dtype
        w_ih_p, w_hh_p, b_ih_p, b_hh_p = self._params(layer, d)
        gx2 = dgx.reshape(T * N, G)
        x2 = layer_in.reshape(T * N, layer_in.shape[2])
        w_ih_p.grad += (gx2.T @ x2).astype(w_ih_p.grad.dtype, copy=False)
        # dW_hh = sum_t dgh_t^T h_{t-1}: the steps that read an output, then the one that read h0
        inner = slice(1, None) if not d else slice(None, -1)
        outer = slice(None, -1) if not d else slice(1, None)
        dw_hh = dgh[inner].reshape(-1, G).T @ hs[outer].reshape(-1, H)
        dw_hh += dgh[0 if not d else -1].T @ h0
        w_hh_p.grad += dw_hh.astype(w_hh_p.grad.dtype, copy=False)
        if b_ih_p is not None:
            ones = np.ones(T * N, dtype=dt)
            db_ih = ones @ gx2  # the sum over all rows, as one matrix-vector product
            b_ih_p.grad += db_ih.astype(b_ih_p.grad.dtype, copy=False)
            db_hh = db_ih if dgh is dgx else ones @ dgh.reshape(T * N, G)
            b_hh_p.grad += db_hh.astype(b_hh_p.grad.dtype, copy=False)
        return (gx2 @ run.w_ih).reshape(layer_in.shape)  # (T, N, D_in)

    # -- what the chapters plot --------------------------------------------------------------------
    @property
    def hidden_states(self) -> np.ndarray:
        """Every step's hidden state from the last forward pass, ``(num_layers * num_directions,
        N, T, hidden_size)``; index ``layer * num_directions + direction`` (direction 1 is the
        reverse pass), time in input order for both directions."""
        layers = self._forward_cache().layers
        H, D = self.hidden_size, self.num_directions
        return np.stack([lay.output[:, :, d * H:(d + 1) * H].transpose(1, 0, 2)
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
        runs = [run.record for lay in self._forward_cache().layers for run in lay.runs]
        return np.stack([r.gate(k) if which == "gates" else r.cell_state() for r in runs])

    @property
    def gates(self) -> dict[str, np.ndarray]:
        """The gate activations of the last forward pass: ``{"i", "f", "g", "o"}`` (LSTM) or
        ``{"r", "z", "n"}`` (GRU), each ``(num_layers * num_directions, N, T, hidden_size)``, laid
        out as :attr:`hidden_states`."""
        names = _CELLS[self._kind].gate_names
        if not names:
            raise AttributeError(f"{type(self).__name__} has no gates; see hidden_states")
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
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias=bias, batch_first=batch_first,
                         bidirectional=bidirectional, dtype=dtype, rng=rng)
        self.nonlinearity = nonlinearity


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

    def forward(self, input, hx=None):
        """Returns ``(output, (h_n, c_n))``."""
        x = self._check_input(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ValueError(f"LSTM expected hx to be a pair (h_0, c_0), got {type(hx).__name__}")
        h0 = self._check_state(hx[0], "h_0", x.shape[0], x.dtype)
        c0 = self._check_state(hx[1], "c_0", x.shape[0], x.dtype)
        return self._forward(x, (h0, c0))

    def backward(self, dy, d_hn=None, d_cn=None):
        """``dy`` ``(N, T, D*H)``, optional ``d_hn``, ``d_cn`` (shapes of ``h_n``, ``c_n``);
        returns ``dL/dx`` ``(N, T, input_size)``, accumulates every parameter gradient and sets
        :attr:`dh0`, :attr:`dc0`."""
        return self._backward(dy, (d_hn, d_cn))

    @property
    def cell_states(self) -> np.ndarray:
        """Every step's cell state ``c_t`` from the last forward pass, laid out as
        :attr:`hidden_states`."""
        return self._recorded("c")


class GRU(_RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU(..., batch_first=True)``.

    A reset gate ``r_t`` and an update gate ``z_t`` mix a candidate ``n_t`` with the old state,
    ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``; one step is :func:`gru_cell_forward`, whose
    docstring has the equations (the reset gate multiplies ``h_{t-1} W_hn^T + b_hn``, as in PyTorch).
    Weights stack PyTorch's gate order ``(r, z, n)``: ``weight_ih_l{k}`` is ``(3H, D_in)``.

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
