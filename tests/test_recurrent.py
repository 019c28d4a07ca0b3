"""RNN, LSTM and GRU: parity with torch (outputs, final states, dx, dh0/dc0, every parameter
gradient, gradients through h_n/c_n), central differences, long sequences, bad input, fuzzing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import ATOL, RTOL, assert_close, compare_with_torch, copy_torch_params

import layers_lib as ll

KINDS = ["RNN", "LSTM", "GRU"]


# -- wrappers: one array in, one array out, so the shared helpers see the whole layer ------------
class TorchSeq(torch.nn.Module):
    """Runs a torch recurrent layer and returns [output, h_n (, c_n)] flattened into one vector;
    the initial states, if given, are parameters so that their gradients are compared too."""

    def __init__(self, rnn, h0=None, c0=None):
        super().__init__()
        if h0 is not None:
            self.h0 = torch.nn.Parameter(torch.tensor(h0))
        if c0 is not None:
            self.c0 = torch.nn.Parameter(torch.tensor(c0))
        self.m = rnn

    def forward(self, x):
        h0 = getattr(self, "h0", None)
        if isinstance(self.m, torch.nn.LSTM):
            hx = None if h0 is None else (h0, self.c0)
            y, (h, c) = self.m(x, hx)
            return torch.cat([y.reshape(-1), h.reshape(-1), c.reshape(-1)])
        y, h = self.m(x, h0)
        return torch.cat([y.reshape(-1), h.reshape(-1)])


class LLSeq(ll.Module):
    """The layers_lib twin of :class:`TorchSeq`; backward splits the gradient into dy (the
    output's), d_hn (and d_cn) and adds dh0/dc0 into the state parameters."""

    def __init__(self, rnn, h0=None, c0=None):
        super().__init__()
        if h0 is not None:
            self.h0 = ll.Parameter(h0)
        if c0 is not None:
            self.c0 = ll.Parameter(c0)
        self.m = rnn

    def forward(self, x):
        h0 = self.h0.data if hasattr(self, "h0") else None
        if isinstance(self.m, ll.LSTM):
            hx = None if h0 is None else (h0, self.c0.data)
            y, (h, c) = self.m(x, hx)
            parts = [y, h, c]
        else:
            y, h = self.m(x, h0)
            parts = [y, h]
        self._cache = [p.shape for p in parts]
        return np.concatenate([p.reshape(-1) for p in parts])

    def backward(self, dy):
        shapes = self._saved()
        pieces, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            pieces.append(dy[start:start + size].reshape(shape))
            start += size
        dx = self.m.backward(*pieces)
        if hasattr(self, "h0"):
            self.h0.grad += self.m.dh0
        if hasattr(self, "c0"):
            self.c0.grad += self.m.dc0
        return dx


def make_pair(kind, input_size, hidden_size, **kw):
    """The layers_lib layer and its torch twin with the same settings (weights copied later)."""
    m = getattr(ll, kind)(input_size, hidden_size, rng=np.random.default_rng(0), **kw)
    return m, getattr(torch.nn, kind)(input_size, hidden_size, batch_first=True, **kw)


def states(kind, shape, given, rng):
    if not given:
        return None, None
    return rng.normal(size=shape), (rng.normal(size=shape) if kind == "LSTM" else None)


# -- parity with torch ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("T", [1, 5])
@pytest.mark.parametrize("with_h0", [False, True])
def test_matches_torch(kind, num_layers, bidirectional, T, with_h0):
    rng = np.random.default_rng(T + 10 * num_layers)
    N, D, H = 3, 4, 5
    m, tm = make_pair(kind, D, H, num_layers=num_layers, bidirectional=bidirectional)
    S = (num_layers * (2 if bidirectional else 1), N, H)
    h0, c0 = states(kind, S, with_h0, rng)
    x = rng.normal(size=(N, T, D))
    # the random upstream gradient covers output, h_n and c_n; h0/c0 grads are compared as params
    compare_with_torch(LLSeq(m, h0, c0), TorchSeq(tm, h0, c0), x, steps=2)


@pytest.mark.parametrize("kind,kw", [
    ("RNN", {"nonlinearity": "relu"}),
    ("RNN", {"nonlinearity": "relu", "bias": False, "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"bias": False, "num_layers": 2}),
    ("GRU", {"bias": False, "bidirectional": True}),
    ("GRU", {"num_layers": 3, "bidirectional": True}),
    ("LSTM", {"num_layers": 3, "bidirectional": True}),
])
def test_matches_torch_options(kind, kw):
    rng = np.random.default_rng(1)
    m, tm = make_pair(kind, 2, 3, **kw)
    S = (kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1), 4, 3)
    h0, c0 = states(kind, S, True, rng)
    compare_with_torch(LLSeq(m, h0, c0), TorchSeq(tm, h0, c0), rng.normal(size=(4, 6, 2)))


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_names_shapes_and_init(kind):
    m = getattr(ll, kind)(7, 16, num_layers=2, bidirectional=True, rng=np.random.default_rng(0))
    tm = getattr(torch.nn, kind)(7, 16, num_layers=2, bidirectional=True, batch_first=True)
    ours = [(n, p.shape) for n, p in m.named_parameters()]
    theirs = [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert ours == theirs
    bound = 1 / np.sqrt(16)
    for _, p in m.named_parameters():
        assert np.abs(p.data).max() <= bound
        assert p.data.std() > bound / 3  # really uniform on the whole range, not zeros
    assert m.num_parameters() == sum(p.numel() for p in tm.parameters())


def test_float32_computes_in_input_dtype():
    rng = np.random.default_rng(2)
    m = ll.LSTM(3, 4, num_layers=2, rng=rng)
    x = rng.normal(size=(2, 5, 3))
    y64, (h64, _) = m(x)
    dx64 = m.backward(np.ones_like(y64))
    y32, (h32, c32) = m(x.astype(np.float32), (np.zeros((2, 2, 4)), np.zeros((2, 2, 4))))
    assert y32.dtype == h32.dtype == c32.dtype == np.float32
    dx32 = m.backward(np.ones_like(y32))
    assert dx32.dtype == np.float32 and m.weight_ih_l0.grad.dtype == np.float64
    np.testing.assert_allclose(y32, y64, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, atol=1e-5)


def test_gradients_accumulate():
    rng = np.random.default_rng(3)
    m = ll.GRU(2, 3, rng=rng)
    x = rng.normal(size=(2, 4, 2))
    y, _ = m(x)
    dy = rng.normal(size=y.shape)
    m.backward(dy)
    once = m.weight_hh_l0.grad.copy()
    m.backward(dy)
    np.testing.assert_allclose(m.weight_hh_l0.grad, 2 * once)
    m.zero_grad()
    assert not m.weight_hh_l0.grad.any()


# -- central differences ------------------------------------------------------------------------------
def scaled_gradient_errors(module, x, seed=0) -> dict[str, float]:
    """Central differences against ``backward``, measured against the gradient's scale."""
    return ll.check_gradients(module, x, seed=seed, error=ll.scaled_error)


@pytest.mark.parametrize("kind,kw", [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"bias": False}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {}),
])
def test_central_differences(kind, kw):
    rng = np.random.default_rng(4)
    m = getattr(ll, kind)(2, 3, rng=rng, **kw)
    S = (kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1), 2, 3)
    h0, c0 = states(kind, S, True, rng)
    x = rng.normal(size=(2, 4, 2))
    errors = scaled_gradient_errors(LLSeq(m, h0, c0), x, seed=5)
    assert set(errors) == {"input", "h0", *(["c0"] if kind == "LSTM" else []),
                           *(f"m.{n}" for n, _ in m.named_parameters())}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cell_cores_central_differences(cell):
    """Each one-step core on its own: gradients w.r.t. gx, h_prev (and c_prev) and, through
    dgh, the hidden-side pre-activations (checked via W_hh: dW_hh = dgh^T h_prev)."""
    rng = np.random.default_rng(6)
    N, H = 3, 4
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell] * H
    gx, h_prev, c_prev = rng.normal(size=(N, G)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    w_hh, b_hh = rng.normal(size=(G, H)) * 0.5, rng.normal(size=G)
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))

    def run():
        if cell == "lstm":
            h, c, cache = ll.lstm_cell_forward(gx, h_prev, c_prev, w_hh, b_hh)
            return float(np.sum(h * dh) + np.sum(c * dc)), cache
        fwd = ll.rnn_cell_forward if cell == "rnn" else ll.gru_cell_forward
        h, cache = fwd(gx, h_prev, w_hh, b_hh)
        return float(np.sum(h * dh)), cache

    _, cache = run()
    if cell == "lstm":
        dgx, dgh, dh_prev, dc_prev = ll.lstm_cell_backward(dh, dc, cache)
        assert ll.scaled_error(dc_prev, ll.numerical_gradient(lambda: run()[0], c_prev)) < 1e-7
    else:
        back = ll.rnn_cell_backward if cell == "rnn" else ll.gru_cell_backward
        dgx, dgh, dh_prev = back(dh, cache)
    loss = lambda: run()[0]  # noqa: E731
    assert ll.scaled_error(dgx, ll.numerical_gradient(loss, gx)) < 1e-7
    assert ll.scaled_error(dh_prev, ll.numerical_gradient(loss, h_prev)) < 1e-7
    assert ll.scaled_error(dgh.T @ h_prev, ll.numerical_gradient(loss, w_hh)) < 1e-7
    assert ll.scaled_error(dgh.sum(0), ll.numerical_gradient(loss, b_hh)) < 1e-7


# -- what the chapters read: hidden states, gates, cell states ------------------------------------------
def test_lstm_recorded_states_obey_the_equations():
    rng = np.random.default_rng(7)
    m = ll.LSTM(3, 4, num_layers=2, bidirectional=True, rng=rng)
    x = rng.normal(size=(2, 5, 3))
    h0, c0 = rng.normal(size=(4, 2, 4)), rng.normal(size=(4, 2, 4))
    y, (h_n, c_n) = m(x, (h0, c0))
    hs, cs, g = m.hidden_states, m.cell_states, m.gates
    assert hs.shape == cs.shape == (4, 2, 5, 4) and all(g[k].shape == hs.shape for k in "ifgo")
    np.testing.assert_allclose(np.concatenate([hs[2], hs[3]], axis=-1), y)  # last layer = output
    np.testing.assert_allclose(h_n[0], hs[0][:, -1])  # forward direction ends at t = T-1
    np.testing.assert_allclose(h_n[1], hs[1][:, 0])  # reverse direction ends at t = 0
    np.testing.assert_allclose(c_n[3], cs[3][:, 0])
    np.testing.assert_allclose(hs, g["o"] * np.tanh(cs))
    c_prev = np.concatenate([c0[0][:, None], cs[0][:, :-1]], axis=1)  # forward: c_{t-1}
    np.testing.assert_allclose(cs[0], g["f"][0] * c_prev + g["i"][0] * g["g"][0])
    c_next = np.concatenate([cs[1][:, 1:], c0[1][:, None]], axis=1)  # reverse: c_{t+1}
    np.testing.assert_allclose(cs[1], g["f"][1] * c_next + g["i"][1] * g["g"][1])
    for k in "ifo":
        assert ((g[k] > 0) & (g[k] < 1)).all()


def test_gru_recorded_gates_obey_the_equations():
    rng = np.random.default_rng(8)
    m = ll.GRU(3, 4, rng=rng)
    h0 = rng.normal(size=(1, 2, 4))
    y, _ = m(rng.normal(size=(2, 6, 3)), h0)
    g = m.gates
    h = m.hidden_states[0]
    h_prev = np.concatenate([h0[0][:, None], h[:, :-1]], axis=1)
    np.testing.assert_allclose(h, (1 - g["z"][0]) * g["n"][0] + g["z"][0] * h_prev)
    np.testing.assert_allclose(h, y)
    assert sorted(g) == ["n", "r", "z"]


def test_recorded_states_need_a_forward_pass():
    m = ll.LSTM(2, 3)
    with pytest.raises(RuntimeError, match="forward"):
        m.hidden_states  # noqa: B018
    with pytest.raises(AttributeError):
        ll.RNN(2, 3)(np.zeros((1, 2, 2)))
        ll.RNN(2, 3).gates  # noqa: B018


# -- long sequences ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_long_sequences_of_large_inputs_stay_finite(kind, dtype):
    rng = np.random.default_rng(9)
    m, tm = make_pair(kind, 3, 6, bidirectional=True)
    tm = tm.double() if dtype == np.float64 else tm
    copy_torch_params(m, tm)
    x = (rng.normal(size=(2, 400, 3)) * 100).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings
        y, _ = m(x)
        dx = m.backward(np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert all(np.isfinite(p.grad).all() for p in m.parameters())
    with torch.no_grad():
        yt, _ = tm(torch.tensor(x))
    tol = dict(rtol=RTOL, atol=ATOL) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    assert_close(y, yt.numpy(), "output over 400 steps", **tol)


# -- bad input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_gets_clear_errors(kind):
    cls = getattr(ll, kind)
    m = cls(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=rf"{kind} expected input of shape \(N, T, 3\).*got \(2, 5, 4\)"):
        m(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=rf"{kind} expected input of shape \(N, T, 3\).*got \(5, 3\)"):
        m(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="T >= 1"):
        m(np.zeros((2, 0, 3)))
    with pytest.raises(TypeError, match=f"{kind} expected a floating-point input"):
        m(np.zeros((2, 5, 3), dtype=int))
    bad_state = np.zeros((1, 2, 4))
    hx = (bad_state, bad_state) if kind == "LSTM" else bad_state
    with pytest.raises(ValueError, match=r"of shape \(num_layers \* num_directions, N, hidden_size\) = "
                                         r"\(2, 2, 4\), got \(1, 2, 4\)"):
        m(np.zeros((2, 5, 3)), hx)
    with pytest.raises(RuntimeError, match=f"{kind}.backward\\(\\) was called before forward"):
        cls(3, 4).backward(np.zeros((2, 5, 4)))
    y, _ = m(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=rf"{kind}.backward expected a gradient of shape \(2, 5, 4\)"):
        m.backward(np.zeros((2, 5, 8)))
    with pytest.raises(ValueError, match=rf"{kind}.backward expected a gradient of shape \(2, 2, 4\)"):
        m.backward(np.zeros_like(y), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=f"{kind} is always batch-first"):
        cls(3, 4, batch_first=False)
    with pytest.raises(ValueError, match=f"{kind} expected hidden_size >= 1, got 0"):
        cls(3, 0)
    with pytest.raises(TypeError, match=f"{kind} expected num_layers to be an int"):
        cls(3, 4, num_layers=1.5)


def test_bad_nonlinearity_and_lstm_state():
    with pytest.raises(ValueError, match="RNN expected nonlinearity 'tanh' or 'relu', got 'sigmoid'"):
        ll.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"LSTM expected hx to be a pair \(h_0, c_0\)"):
        ll.LSTM(3, 4)(np.zeros((2, 5, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="LSTM expected c_0 of shape"):
        ll.LSTM(3, 4)(np.zeros((2, 5, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 3, 4))))
    m = ll.LSTM(3, 4)
    y, _ = m(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"LSTM.backward expected a gradient of shape \(1, 2, 4\)"):
        m.backward(np.zeros_like(y), None, np.zeros((1, 1, 4)))


def test_repr():
    lstm = ll.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert repr(lstm) == "LSTM(3, 4, num_layers=2, bidirectional=True)"
    assert repr(ll.RNN(3, 4, nonlinearity="relu", bias=False)) == "RNN(3, 4, nonlinearity='relu', bias=False)"


# -- fuzzing ------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(KINDS), N=st.integers(0, 3), T=st.integers(0, 4), D=st.integers(1, 4),
       D_given=st.integers(1, 4), H=st.integers(1, 4), num_layers=st.integers(1, 2),
       bidirectional=st.booleans(), with_h0=st.booleans(), seed=st.integers(0, 2**16))
def test_fuzz_against_torch(kind, N, T, D, D_given, H, num_layers, bidirectional, with_h0, seed):
    rng = np.random.default_rng(seed)
    m, tm = make_pair(kind, D, H, num_layers=num_layers, bidirectional=bidirectional)
    tm = tm.double()
    copy_torch_params(m, tm)
    x = rng.normal(size=(N, T, D_given))
    S = (num_layers * (2 if bidirectional else 1), N, H)
    h0, c0 = states(kind, S, with_h0, rng)
    hx, thx = (h0, None if h0 is None else torch.tensor(h0))
    if kind == "LSTM" and with_h0:
        hx, thx = (h0, c0), (torch.tensor(h0), torch.tensor(c0))
    try:
        y, s = m(x, hx)
    except ValueError as err:
        assert kind in str(err)
        with pytest.raises(RuntimeError):  # torch refuses it too
            tm(torch.tensor(x), thx)
        return
    xt = torch.tensor(x, requires_grad=True)
    yt, st_ = tm(xt, thx)
    assert y.shape == (N, T, S[0] // num_layers * H)
    assert_close(y, yt.detach().numpy(), "output")
    h_n = s[0] if kind == "LSTM" else s
    h_nt = st_[0] if kind == "LSTM" else st_
    assert_close(h_n, h_nt.detach().numpy(), "h_n")
    dy = rng.normal(size=y.shape)
    dx = m.backward(dy)
    if N:
        yt.backward(torch.tensor(dy))
        assert_close(dx, xt.grad.numpy(), "dx")
    assert dx.shape == x.shape and m.dh0.shape == S


def test_rnn_cell_rejects_an_unknown_nonlinearity():
    gx, h = np.zeros((2, 3)), np.zeros((2, 3))
    with pytest.raises(ValueError, match="expected nonlinearity 'tanh' or 'relu', got 'tahn'"):
        ll.rnn_cell_forward(gx, h, np.eye(3), nonlinearity="tahn")


# -- the fused loops (what LSTM and GRU run) against the cell functions, step by step -------------------
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("T", [1, 6])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_loops_equal_the_cells(kind, num_layers, bidirectional, bias, T, dtype):
    """``_fused = False`` runs lstm_cell_forward / gru_cell_forward and their backward passes one
    step at a time (the readable definition); the fused loops must give the same outputs, states,
    recorded gates, input, state and parameter gradients."""
    rng = np.random.default_rng(11)
    N, D, H = 3, 4, 5
    layers = []
    for fused in (True, False):
        m = getattr(ll, kind)(D, H, num_layers=num_layers, bidirectional=bidirectional, bias=bias,
                              dtype=dtype, rng=np.random.default_rng(3))
        m._fused = fused
        layers.append(m)
    S = (num_layers * (2 if bidirectional else 1), N, H)
    x = rng.normal(size=(N, T, D)).astype(dtype)
    h0, c0 = rng.normal(size=S).astype(dtype), rng.normal(size=S).astype(dtype)
    dy, dh, dc = (rng.normal(size=s).astype(dtype) for s in ((N, T, S[0] // num_layers * H), S, S))
    results = []
    for m in layers:
        if kind == "LSTM":
            y, (h_n, c_n) = m(x, (h0, c0))
            dx = m.backward(dy, dh, dc)
            arrays = [y, h_n, c_n, dx, m.dh0, m.dc0, m.cell_states]
        else:
            y, h_n = m(x, h0)
            dx = m.backward(dy, dh)
            arrays = [y, h_n, dx, m.dh0]
        arrays += [m.hidden_states, *m.gates.values()] + [p.grad for p in m.parameters()]
        assert all(a.dtype == dtype for a in arrays)
        results.append(arrays)
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for fused, cells in zip(*results, strict=True):
        np.testing.assert_allclose(fused, cells, **tol)


def test_fused_loops_keep_the_callers_arrays():
    """The fused loops write into their own buffers: the input, h_0, c_0 and the upstream
    gradients come back unchanged, and a second forward pass does not alter the first's output."""
    rng = np.random.default_rng(12)
    m = ll.LSTM(3, 4, bidirectional=True, rng=rng)
    x, h0, c0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 2, 4)), rng.normal(size=(2, 2, 4))
    dy, dh, dc = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 2, 4)), rng.normal(size=(2, 2, 4))
    copies = [a.copy() for a in (x, h0, c0, dy, dh, dc)]
    y, _ = m(x, (h0, c0))
    y_first = y.copy()
    m.backward(dy, dh, dc)
    m(x + 1.0, (h0, c0))
    for a, b in zip((x, h0, c0, dy, dh, dc), copies, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(y, y_first)


# -- the layer contract: named cell caches; a table of cells the time loop reads ---------------------
def test_cells_return_their_named_caches():
    rng = np.random.default_rng(13)
    N, H = 2, 3
    h_prev, c_prev = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, cache = ll.rnn_cell_forward(rng.normal(size=(N, H)), h_prev, np.eye(H), nonlinearity="relu")
    assert type(cache) is ll.RNNCellCache and cache.h is h and cache.nonlinearity == "relu"
    gx, w_hh = rng.normal(size=(N, 4 * H)), rng.normal(size=(4 * H, H))
    h, c, cache = ll.lstm_cell_forward(gx, h_prev, c_prev, w_hh)
    assert type(cache) is ll.LSTMCellCache and cache.c is c and cache.c_prev is c_prev
    i, f, g, o = cache.gates
    np.testing.assert_allclose(c, f * c_prev + i * g)  # the cache holds the gates the equations use
    np.testing.assert_allclose(h, o * cache.tanh_c)
    h, cache = ll.gru_cell_forward(rng.normal(size=(N, 3 * H)), h_prev, rng.normal(size=(3 * H, H)))
    assert type(cache) is ll.GRUCellCache and cache.h_prev is h_prev
    r, z, n = cache.gates
    np.testing.assert_allclose(h, (1 - z) * n + z * h_prev)


def _leaky_cell_forward(gx, h_prev, w_hh, b_hh=None):
    """A cell layers_lib does not have: h = (h_prev + tanh(a)) / 2, a = gx + h_prev W_hh^T + b_hh."""
    a = gx + h_prev @ w_hh.T + (0 if b_hh is None else b_hh)
    t = np.tanh(a)
    return 0.5 * (h_prev + t), (t, w_hh)


def _leaky_cell_backward(dh, cache):
    t, w_hh = cache
    da = 0.5 * dh * (1 - t * t)
    return da, da, 0.5 * dh + da @ w_hh


@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
def test_the_time_loop_runs_any_cell_of_the_table(num_layers, bidirectional, monkeypatch):
    """The layers never ask which kind they run: a new entry in the table of cells is a working
    layer (outputs from the cell's equation, gradients that pass central differences)."""
    from layers_lib import recurrent

    leaky = recurrent._Cell(_leaky_cell_forward, _leaky_cell_backward, has_cell_state=False, blocks=1,
                            gate_names=(), plain_sum=True)
    monkeypatch.setitem(recurrent._CELLS, "Leaky", leaky)

    class LeakyRNN(recurrent._RNNBase):
        _kind = "Leaky"

    rng = np.random.default_rng(14)
    m = LeakyRNN(2, 3, num_layers=num_layers, bidirectional=bidirectional, rng=rng)
    x = rng.normal(size=(2, 4, 2))
    y, h_n = m(x)
    w_ih, w_hh, b_ih, b_hh = (p.data for p in (m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0))
    h = np.zeros((2, 3))
    for t in range(4):  # layer 0, forward direction, by hand
        h = 0.5 * (h + np.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh))
        np.testing.assert_allclose(m.hidden_states[0][:, t], h, rtol=1e-12)
    np.testing.assert_allclose(h_n[0], h, rtol=1e-12)
    S = (num_layers * (2 if bidirectional else 1), 2, 3)
    errors = scaled_gradient_errors(LLSeq(m, rng.normal(size=S)), x, seed=15)
    assert max(errors.values()) < 1e-7, errors
    with pytest.raises(AttributeError, match="LeakyRNN has no gates"):
        m.gates  # noqa: B018


def test_backward_takes_dy_by_name():
    rng = np.random.default_rng(16)
    m = ll.LSTM(3, 4, rng=rng)
    y, (h_n, c_n) = m(rng.normal(size=(2, 5, 3)))
    dy, dc = rng.normal(size=y.shape), rng.normal(size=c_n.shape)
    dx = m.backward(dy=dy, d_cn=dc)
    m.zero_grad()
    np.testing.assert_array_equal(m.backward(dy, None, dc), dx)


@pytest.mark.parametrize("kind", KINDS)
def test_flags_and_rng_get_errors_that_name_the_layer(kind):
    cls = getattr(ll, kind)
    for flag in ("bias", "batch_first", "bidirectional"):
        with pytest.raises(TypeError, match=rf"^{kind} expected {flag} to be True or False, got 1$"):
            cls(3, 4, **{flag: 1})
    with pytest.raises(TypeError, match=rf"^{kind} expected rng to be a numpy.random.Generator, got int$"):
        cls(3, 4, rng=0)
