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


# -- the layers ------------------------------------------------------------------------------------
_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
_GATE_NAMES = {"LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}


class _RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, checks, the loops over layers, directions, time."""

    _kind = "RNN"

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
                # the input projection for all steps at once: one 2-D matmul over T*N rows, (T, N, G)
                x2 = layer_in.reshape(T * N, layer_in.shape[2])
                gx = (x2 @ w_ih.T).reshape(T, N, w_ih.shape[0])
                if b_ih is not None:
                    gx += b_ih
                    if self._kind != "GRU":  # b_hh simply adds too: add it once, not once per step
                        gx += b_hh
                        b_hh = None
                idx = layer * D + d
                h = h0[idx]
                c = c0[idx] if lstm else None
                hs = layer_out[:, :, d * H:(d + 1) * H]  # (T, N, H) view: this direction's outputs
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
                runs.append({"w_ih": w_ih, "w_hh": w_hh, "caches": caches})
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
            d_layer_in = np.zeros(layer_in.shape, dtype=dt)
            for d in range(D):
                run = saved["runs"][d]
                idx = layer * D + d
                G = run["w_ih"].shape[0]
                dgx_all = np.empty((T, N, G), dtype=dt)
                # the RNN's and LSTM's cells return the same array for dgx and dgh
                dgh_all = np.empty((T, N, G), dtype=dt) if self._kind == "GRU" else dgx_all
                dh_seq = d_layer_out[:, :, d * H:(d + 1) * H]  # (T, N, H) from the outputs
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
                # the states each step read: h_{t-1} (forward) or h_{t+1} (reverse), then h0
                hs = layer_out[:, :, d * H:(d + 1) * H]
                h_prev = np.empty((T, N, H), dtype=dt)
                if d:
                    h_prev[:-1], h_prev[-1] = hs[1:], cache["h0"][idx]
                else:
                    h_prev[1:], h_prev[0] = hs[:-1], cache["h0"][idx]
                w_ih_p, w_hh_p, b_ih_p, b_hh_p = self._params(layer, d)
                gx2 = dgx_all.reshape(T * N, G)
                gh2 = dgh_all.reshape(T * N, G)
                x2 = layer_in.reshape(T * N, layer_in.shape[2])
                w_ih_p.grad += (gx2.T @ x2).astype(w_ih_p.grad.dtype, copy=False)
                w_hh_p.grad += (gh2.T @ h_prev.reshape(T * N, H)).astype(w_hh_p.grad.dtype, copy=False)
                if b_ih_p is not None:
                    b_ih_p.grad += gx2.sum(axis=0).astype(b_ih_p.grad.dtype, copy=False)
                    b_hh_p.grad += gh2.sum(axis=0).astype(b_hh_p.grad.dtype, copy=False)
                d_layer_in += (gx2 @ run["w_ih"]).reshape(layer_in.shape)  # (T, N, D_in)
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

    def _gate_array(self, pick) -> np.ndarray:
        layers = self._forward_cache()["layers"]
        return np.stack([np.stack([pick(c) for c in run["caches"]], axis=1)
                         for lay in layers for run in lay["runs"]])

    @property
    def gates(self) -> dict[str, np.ndarray]:
        """The gate activations of the last forward pass: ``{"i", "f", "g", "o"}`` (LSTM) or
        ``{"r", "z", "n"}`` (GRU), each ``(num_layers * num_directions, N, T, hidden_size)``, laid
        out as :attr:`hidden_states`."""
        names = _GATE_NAMES.get(self._kind)
        if names is None:
            raise AttributeError("RNN has no gates; see hidden_states")
        return {g: self._gate_array(lambda c, k=k: c["gates"][k]) for k, g in enumerate(names)}


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
        return self._gate_array(lambda c: c["c"])


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
