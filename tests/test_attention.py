"""Attention: the scaled dot-product core and MultiheadAttention against torch and central
differences, masks of every kind, bad input and shape fuzzing (fully masked rows have their own
file, test_attention_masked_rows.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import assert_close, compare_with_torch, copy_torch_params

import layers_lib as ll


def make_mask(kind, N, h, L, S, rng):
    """Returns (attn_mask, key_padding_mask) of the given kind; every query keeps a key."""
    if kind is None:
        return None, None
    if kind == "bool":
        m = rng.random((L, S)) < 0.4
        m[:, rng.integers(S)] = False
        return m, None
    if kind == "float":
        return rng.normal(size=(L, S)), None
    if kind == "float_inf":
        m = np.where(rng.random((L, S)) < 0.4, -np.inf, rng.normal(size=(L, S)))
        m[:, 0] = 0.0
        return m, None
    if kind == "causal":
        return ll.causal_mask(L, S), None
    if kind == "per_head":
        m = rng.random((N * h, L, S)) < 0.4
        m[..., -1] = False
        return m, None
    if kind == "padding":
        pad = np.zeros((N, S), bool)
        pad[0, S // 2 + 1:] = True
        return ll.causal_mask(L, S), pad
    raise AssertionError(kind)


# -- wrappers: one array in, one out, so compare_with_torch and the gradient checks see everything ----
class TorchMHA(torch.nn.Module):
    """Splits one input (N, L + S + S, E) into query, key, value (or uses it three times for
    self-attention) and returns [output, per-head weights] flattened."""

    def __init__(self, mha, L, S, self_attention, attn_mask, key_padding_mask):
        super().__init__()
        self.mha, self.L, self.S, self.self_attention = mha, L, S, self_attention
        self.masks = {k: None if v is None else torch.tensor(v)
                      for k, v in (("attn_mask", attn_mask), ("key_padding_mask", key_padding_mask))}

    def forward(self, x):
        if self.self_attention:
            q = k = v = x
        else:
            q, k, v = torch.split(x, [self.L, self.S, self.S], dim=1)
        y, w = self.mha(q, k, v, need_weights=True, average_attn_weights=False, **self.masks)
        return torch.cat([y.reshape(-1), w.reshape(-1)])


class LLMHA(ll.Module):
    def __init__(self, mha, L, S, self_attention, attn_mask, key_padding_mask):
        super().__init__()
        self.mha, self.L, self.S, self.self_attention = mha, L, S, self_attention
        self.masks = {"attn_mask": attn_mask, "key_padding_mask": key_padding_mask}

    def forward(self, x):
        if self.self_attention:
            q = k = v = x
        else:
            q, k, v = np.split(x, [self.L, self.L + self.S], axis=1)
        y, w = self.mha(q, k, v, **self.masks)
        self._cache = (y.shape, w.shape)
        return np.concatenate([y.reshape(-1), w.reshape(-1)])

    def backward(self, dy):
        y_shape, w_shape = self._saved()
        n = int(np.prod(y_shape))
        dq, dk, dv = self.mha.backward(dy[:n].reshape(y_shape), dy[n:].reshape(w_shape))
        if self.self_attention:
            return dq + dk + dv
        return np.concatenate([dq, dk, dv], axis=1)


def pair(E, h, L, S, self_attention, mask_kind, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    N = 3
    attn_mask, kpm = make_mask(mask_kind, N, h, L, S, rng)
    m = ll.MultiheadAttention(E, h, bias=bias, rng=rng)
    tm = torch.nn.MultiheadAttention(E, h, bias=bias, batch_first=True)
    x = rng.normal(size=(N, L if self_attention else L + 2 * S, E))
    args = (L, S, self_attention, attn_mask, kpm)
    return LLMHA(m, *args), TorchMHA(tm, *args), x


# -- MultiheadAttention against torch ----------------------------------------------------------------
MASKS = [None, "bool", "float", "float_inf", "causal", "per_head", "padding"]


@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize("num_heads", [1, 2, 4])
@pytest.mark.parametrize("L,S", [(5, 5), (3, 7)])
def test_cross_attention_matches_torch(mask_kind, num_heads, L, S):
    """Output, per-head weights (with a random upstream gradient on both), d_query, d_key,
    d_value and every parameter gradient."""
    ours, theirs, x = pair(8, num_heads, L, S, False, mask_kind, seed=L + num_heads)
    compare_with_torch(ours, theirs, x, steps=2)


@pytest.mark.parametrize("mask_kind", [None, "causal", "float", "padding"])
@pytest.mark.parametrize("num_heads,bias", [(1, True), (3, True), (2, False)])
def test_self_attention_matches_torch(mask_kind, num_heads, bias):
    """One x passed three times: d_query + d_key + d_value is torch's x.grad."""
    ours, theirs, x = pair(6, num_heads, 4, 4, True, mask_kind, bias=bias)
    compare_with_torch(ours, theirs, x)


def test_parameters_and_init_match_torch():
    E, h = 64, 4
    m = ll.MultiheadAttention(E, h, rng=np.random.default_rng(0))
    tm = torch.nn.MultiheadAttention(E, h, batch_first=True)
    assert [(n, p.shape) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    a = np.sqrt(6 / (E + 3 * E))
    assert np.abs(m.in_proj_weight.data).max() <= a and m.in_proj_weight.data.std() > a / 3
    b = 1 / np.sqrt(E)
    assert np.abs(m.out_proj.weight.data).max() <= b and m.out_proj.weight.data.std() > b / 3
    assert not m.in_proj_bias.data.any() and not m.out_proj.bias.data.any()
    no_bias = ll.MultiheadAttention(E, h, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["in_proj_weight", "out_proj.weight"]
    assert "out_proj" in repr(m) and "in_features=64" in repr(m)


def test_averaged_weights_match_torch_default():
    ours, theirs, x = pair(8, 2, 4, 6, False, "bool")
    copy_torch_params(ours, theirs.double())
    q, k, v = np.split(x, [4, 10], axis=1)
    _, w = ours.mha(q, k, v, attn_mask=ours.masks["attn_mask"])
    _, wt = theirs.mha(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(ours.masks["attn_mask"]))
    assert_close(w.mean(axis=1), wt.detach().numpy(), "head-averaged weights")


def test_float32_computes_in_input_dtype():
    rng = np.random.default_rng(1)
    m = ll.MultiheadAttention(8, 2, rng=rng)
    x = rng.normal(size=(2, 5, 8))
    y64, w64 = m(x, x, x)
    y32, w32 = m(*(x.astype(np.float32),) * 3)
    assert y32.dtype == w32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, atol=1e-5)
    grads = m.backward(np.ones_like(y32))
    assert all(g.dtype == np.float32 for g in grads) and m.in_proj_weight.grad.dtype == np.float64


# -- central differences ------------------------------------------------------------------------------
@pytest.mark.parametrize("self_attention,mask_kind,num_heads", [
    (False, None, 2), (False, "float_inf", 1), (True, "causal", 2), (False, "padding", 2),
])
def test_mha_central_differences(self_attention, mask_kind, num_heads):
    ours, _, x = pair(4, num_heads, 3, 3 if self_attention else 4, self_attention, mask_kind, seed=2)
    rng = np.random.default_rng(3)
    y = ours(x)
    dy = rng.normal(size=y.shape)

    def loss():
        return float(np.sum(ours(x) * dy))

    ours.zero_grad()
    ours(x)
    assert ll.scaled_error(ours.backward(dy), ll.numerical_gradient(loss, x)) < 1e-7
    names = [n for n, _ in ours.named_parameters()]
    assert len(names) == 4
    for name, p in ours.named_parameters():
        assert ll.scaled_error(p.grad, ll.numerical_gradient(loss, p.data)) < 1e-7, name


@pytest.mark.parametrize("mask_kind", [None, "bool", "float"])
def test_sdpa_core_central_differences(mask_kind):
    rng = np.random.default_rng(4)
    q, k, v = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(2, 3, 6, 2))
    mask, _ = make_mask(mask_kind, 2, 3, 4, 6, rng)
    d_out, d_w = rng.normal(size=(2, 3, 4, 2)), rng.normal(size=(2, 3, 4, 6))

    def loss():
        out, w, _ = ll.scaled_dot_product_attention_forward(q, k, v, mask)
        return float(np.sum(out * d_out) + np.sum(w * d_w))

    _, _, cache = ll.scaled_dot_product_attention_forward(q, k, v, mask)
    grads = ll.scaled_dot_product_attention_backward(d_out, cache, d_w)
    for g, a in zip(grads, (q, k, v), strict=True):
        assert g.shape == a.shape
        assert ll.scaled_error(g, ll.numerical_gradient(loss, a)) < 1e-7


# -- the core against torch's functional ----------------------------------------------------------------
@pytest.mark.parametrize("mask_kind", [None, "bool", "float", "causal"])
def test_sdpa_matches_torch_functional(mask_kind):
    rng = np.random.default_rng(5)
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 7))
    mask, _ = make_mask(mask_kind, 2, 1, 4, 5, rng)
    out, w = ll.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    # torch's functional uses the opposite boolean convention: True = allowed
    tmask = None if mask is None else torch.tensor(~mask if mask.dtype == bool else mask)
    out_t = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask)
    assert_close(out, out_t.detach().numpy(), "sdpa output")
    np.testing.assert_allclose(w.sum(-1), 1.0)
    if mask is not None and mask.dtype == bool:
        assert (w[:, mask] == 0).all()
    d_out = rng.normal(size=out.shape)
    out_t.backward(torch.tensor(d_out))
    _, _, cache = ll.scaled_dot_product_attention_forward(q, k, v, mask)
    grads = ll.scaled_dot_product_attention_backward(d_out, cache)
    for g, t, name in zip(grads, (tq, tk, tv), "qkv", strict=True):
        assert_close(g, t.grad.numpy(), f"d{name}")


def test_causal_mask():
    np.testing.assert_array_equal(ll.causal_mask(3), np.triu(np.ones((3, 3), bool), 1))
    assert ll.causal_mask(2, 4).tolist() == [[False, True, True, True], [False, False, True, True]]
    with pytest.raises(ValueError, match="causal_mask expected L >= 1"):
        ll.causal_mask(0)


# -- bad input (fully masked rows: tests/test_attention_masked_rows.py) ----------------------------------
def test_bad_input_gets_clear_errors():
    with pytest.raises(ValueError, match="MultiheadAttention expected embed_dim divisible by num_heads, "
                                         "got embed_dim=10, num_heads=4"):
        ll.MultiheadAttention(10, 4)
    with pytest.raises(ValueError, match="MultiheadAttention is always batch-first"):
        ll.MultiheadAttention(8, 2, batch_first=False)
    m = ll.MultiheadAttention(8, 2)
    x = np.zeros((2, 5, 8))
    with pytest.raises(ValueError, match=r"query of shape \(N, L, 8\) \(batch-first\), got \(5, 8\)"):
        m(x[0], x[0], x[0])
    with pytest.raises(ValueError, match=r"expected query of shape \(N, L, 8\).*got \(2, 5, 6\)"):
        m(x[..., :6], x, x)
    with pytest.raises(ValueError, match=r"key and value of shape \(N, S, 8\).*"
                                         r"got key \(2, 5, 8\), value \(2, 4, 8\)"):
        m(x, x, x[:, :4])
    with pytest.raises(ValueError, match=r"N = 2 \(the query's\)"):
        m(x, x[:1], x[:1])
    with pytest.raises(ValueError, match=r"attn_mask of shape \(5, 5\) or \(4, 5, 5\), got \(5, 4\)"):
        m(x, x, x, attn_mask=np.zeros((5, 4), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(2, 5\), got \(5,\)"):
        m(x, x, x, key_padding_mask=np.zeros(5, bool))
    with pytest.raises(TypeError, match="bool or float attn_mask, got dtype int64"):
        m(x, x, x, attn_mask=np.zeros((5, 5), np.int64))
    with pytest.raises(TypeError, match="floating-point key"):
        m(x, x.astype(int), x)
    with pytest.raises(RuntimeError, match=r"MultiheadAttention.backward\(\) was called before forward"):
        ll.MultiheadAttention(8, 2).backward(x)
    m(x, x, x)
    grad_error = r"MultiheadAttention.backward expected a gradient of shape \(2, 5, 8\)"
    with pytest.raises(ValueError, match=grad_error):
        m.backward(x[:, :4])
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(2, 2, 5, 5\)"):
        m.backward(x, np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention expected q \(\.\.\., L, E\)"):
        ll.scaled_dot_product_attention(np.zeros((2, 3, 4)), np.zeros((2, 3, 5)), np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"attn_mask broadcastable to the scores' shape"):
        ll.scaled_dot_product_attention(x, x, x, attn_mask=np.zeros((4, 5), bool))


def test_gradients_accumulate_and_zero():
    rng = np.random.default_rng(7)
    m = ll.MultiheadAttention(4, 2, rng=rng)
    x = rng.normal(size=(2, 3, 4))
    y, _ = m(x, x, x)
    dy = rng.normal(size=y.shape)
    m.backward(dy)
    once = m.in_proj_weight.grad.copy()
    m.backward(dy)
    np.testing.assert_allclose(m.in_proj_weight.grad, 2 * once)
    m.zero_grad()
    assert not m.out_proj.weight.grad.any()


# -- fuzzing ------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(head_dim=st.integers(1, 3), num_heads=st.integers(1, 3), E_extra=st.integers(0, 1),
       N=st.integers(1, 3), L=st.integers(1, 4), S=st.integers(1, 4), S_value=st.integers(1, 4),
       E_query=st.sampled_from(["right", "wrong"]), mask=st.sampled_from([None, "causal", "float", "wrong"]),
       seed=st.integers(0, 2**16))
def test_fuzz_against_torch(head_dim, num_heads, E_extra, N, L, S, S_value, E_query, mask, seed):
    rng = np.random.default_rng(seed)
    E = head_dim * num_heads + E_extra * (num_heads > 1)
    try:
        m = ll.MultiheadAttention(E, num_heads, rng=rng)
    except ValueError as err:
        assert E % num_heads and "divisible" in str(err)
        return
    tm = torch.nn.MultiheadAttention(E, num_heads, batch_first=True).double()
    copy_torch_params(m, tm)
    q = rng.normal(size=(N, L, E if E_query == "right" else E + 1))
    k, v = rng.normal(size=(N, S, E)), rng.normal(size=(N, S_value, E))
    attn_mask = {None: None, "causal": ll.causal_mask(L, S), "float": rng.normal(size=(L, S)),
                 "wrong": np.zeros((L + 1, S), bool)}[mask]
    try:
        y, w = m(q, k, v, attn_mask=attn_mask)
    except ValueError as err:
        assert "MultiheadAttention" in str(err)
        assert E_query == "wrong" or S != S_value or mask == "wrong"
        return
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    yt, wt = tm(tq, tk, tv, attn_mask=None if attn_mask is None else torch.tensor(attn_mask),
                need_weights=True, average_attn_weights=False)
    assert y.shape == (N, L, E) and w.shape == (N, num_heads, L, S)
    assert_close(y, yt.detach().numpy(), "output")
    assert_close(w, wt.detach().numpy(), "weights")
    dy = rng.normal(size=y.shape)
    yt.backward(torch.tensor(dy))
    for g, t in zip(m.backward(dy), (tq, tk, tv), strict=True):
        assert_close(g, t.grad.numpy(), "input gradient")
