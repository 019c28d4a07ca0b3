"""Fully masked attention rows (a query whose every key is blocked) against torch 2.13 in float64.

What torch does, and so what these tests hold layers_lib to:

* ``torch.nn.functional.scaled_dot_product_attention`` returns zeros for such a query and passes
  back zero gradient through it, for boolean and ``-inf`` float masks alike;
* ``torch.nn.MultiheadAttention`` returns NaN in the weights and the output row with
  ``need_weights=True`` (the NaN then spreads through the backward pass), and a zero attention
  output (an output row equal to ``out_proj.bias``) with ``need_weights=False``.

Every comparison goes through ``assert_close`` (``np.testing.assert_allclose``, which requires NaN
exactly where torch has NaN).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import assert_close, compare_with_torch

import layers_lib as ll


def blocking_mask(rng, shape, blocked_rows):
    """A bool mask (True = blocked) of ``shape`` (..., L, S) with random holes, every row keeping
    one key, and then the rows ``blocked_rows`` (an index into the leading (..., L) axes) blocked."""
    m = rng.random(shape) < 0.4
    np.put_along_axis(m, rng.integers(shape[-1], size=shape[:-1] + (1,)), False, axis=-1)
    m[blocked_rows] = True
    return m


def as_float(mask, rng):
    """The same mask as a float mask: -inf where blocked, random finite values elsewhere."""
    return np.where(mask, -np.inf, rng.normal(size=mask.shape))


def torch_sdpa(q, k, v, mask, G, H=None):
    """torch's functional attention (mask converted to its True = allowed convention); returns out,
    the weights (read off as the attention applied to identity values) and dq, dk, dv of
    sum(out * G) + sum(weights * H)."""
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    tm = None if mask is None else torch.tensor(~mask if mask.dtype == bool else mask)
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm)
    eye = torch.eye(k.shape[-2], dtype=torch.float64).expand(*k.shape[:-2], -1, -1)
    weights = F.scaled_dot_product_attention(tq, tk, eye, attn_mask=tm)
    loss = (out * torch.tensor(G)).sum()
    if H is not None:
        loss = loss + (weights * torch.tensor(H)).sum()
    loss.backward()
    return out.detach().numpy(), weights.detach().numpy(), tq.grad.numpy(), tk.grad.numpy(), tv.grad.numpy()


def ours_sdpa(q, k, v, mask, G, H=None, **kw):
    out, w, cache = ll.scaled_dot_product_attention_forward(q, k, v, attn_mask=mask, **kw)
    return (out, w, *ll.scaled_dot_product_attention_backward(G, cache, H))


def assert_all_close(ours, theirs):
    for a, b, what in zip(ours, theirs, ("output", "weights", "dq", "dk", "dv"), strict=True):
        assert_close(a, b, what)


# -- the functional core: zeros, as torch.nn.functional.scaled_dot_product_attention ---------------
@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("shape,mask_shape,blocked", [
    ((5, 4), (5, 4), (1,)),                          # one (L, S) problem, query 1 blocked
    ((2, 5, 4), (5, 4), (slice(3, 5),)),             # a batch, one mask for all: queries 3, 4 blocked
    ((2, 3, 4, 6), (2, 3, 4, 6), (0, 2, 1)),         # (N, h, L, S), one query of one head blocked
    ((2, 3, 4, 6), (2, 1, 4, 6), (1, 0)),            # a per-sequence mask: every query of sequence 1
    ((1, 2, 3, 3), (3, 3), (slice(None),)),          # every query blocked
])
def test_functional_matches_torch_with_fully_masked_rows(kind, shape, mask_shape, blocked):
    rng = np.random.default_rng(len(shape) + mask_shape[0])
    L, S = shape[-2], shape[-1]
    lead = shape[:-2]
    q, k, v = rng.normal(size=lead + (L, 3)), rng.normal(size=lead + (S, 3)), rng.normal(size=lead + (S, 2))
    mask = blocking_mask(rng, mask_shape, blocked)
    if kind == "float":
        mask = as_float(mask, rng)
    G, H = rng.normal(size=lead + (L, 2)), rng.normal(size=lead + (L, S))
    with warnings.catch_warnings(), np.errstate(all="raise"):  # no NaN made, no warning, anywhere
        warnings.simplefilter("error")
        ours = ours_sdpa(q, k, v, mask, G, H)
    theirs = torch_sdpa(q, k, v, mask, G, H)
    assert_all_close(ours, theirs)
    rows = np.broadcast_to(np.asarray(mask == -np.inf if kind == "float" else mask).all(-1), lead + (L,))
    assert rows.any()
    out, w, dq, dk, dv = ours
    assert not np.isnan(np.concatenate([a.ravel() for a in ours])).any()
    np.testing.assert_array_equal(out[rows], 0.0)     # exactly zero, not just close
    np.testing.assert_array_equal(w[rows], 0.0)
    np.testing.assert_array_equal(dq[rows], 0.0)       # no gradient through the blocked query
    if rows.all():                                     # nothing is attended: no gradient at all
        assert not (dk.any() or dv.any())
    else:
        np.testing.assert_allclose(w[~rows].sum(-1), 1.0)  # the other rows are still distributions
        assert np.abs(dq[~rows]).max() > 1e-3 and np.abs(dv).max() > 1e-3


def test_blocked_query_does_not_change_the_key_and_value_gradients():
    """With query 1 blocked, dk and dv are what the other queries alone pass back."""
    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    G = rng.normal(size=(4, 2))
    mask = blocking_mask(rng, (4, 5), (1,))
    _, _, dq, dk, dv = ours_sdpa(q, k, v, mask, G)
    keep = [0, 2, 3]
    _, _, dq3, dk3, dv3 = ours_sdpa(q[keep], k, v, mask[keep], G[keep])
    assert_close(dk, dk3, "dk")
    assert_close(dv, dv3, "dv")
    assert_close(dq[keep], dq3, "dq")


def test_functional_gradients_match_central_differences_with_fully_masked_rows():
    rng = np.random.default_rng(4)
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    mask = as_float(blocking_mask(rng, (2, 4, 5), (0, 2)), rng)
    G, H = rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 4, 5))
    _, _, *grads = ours_sdpa(q, k, v, mask, G, H)

    def loss():
        out, w = ll.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return np.sum(out * G) + np.sum(w * H)

    for name, x, g in zip("qkv", (q, k, v), grads, strict=True):
        assert ll.rel_error(g, ll.numerical_gradient(loss, x)) < 1e-7, name
    assert not grads[0][0, 2].any()


def test_large_finite_negative_values_are_not_a_block():
    """-1e9 is a very small weight, not a blocked key: the row is a distribution, not zeros."""
    rng = np.random.default_rng(5)
    q = k = v = rng.normal(size=(3, 4))
    mask = np.zeros((3, 3))
    mask[1] = -1e9
    out, w = ll.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_allclose(w[1].sum(), 1.0)
    assert_close(out, torch_sdpa(q, k, v, mask, np.ones((3, 4)))[0], "output")


def test_nan_and_raise_are_opt_in():
    rng = np.random.default_rng(6)
    q = k = v = rng.normal(size=(1, 3, 4))
    blocked = np.zeros((3, 3), bool)
    blocked[1] = True
    out, w = ll.scaled_dot_product_attention(q, k, v, attn_mask=blocked, fully_masked_rows="nan")
    assert np.isnan(w[0, 1]).all() and np.isnan(out[0, 1]).all()
    assert not np.isnan(w[0, [0, 2]]).any() and not np.isnan(out[0, [0, 2]]).any()
    scores = torch.tensor(q @ q.swapaxes(-1, -2) / 2)  # E = 4: scale 1/2
    ref = torch.softmax(scores.masked_fill(torch.tensor(blocked), -np.inf), -1)
    assert_close(w, ref.numpy(), "the plain softmax's weights, NaN row and all")
    for mask in (blocked, np.where(blocked, -np.inf, 0.0)):
        with pytest.raises(ValueError, match="scaled_dot_product_attention: the mask blocks every key for "
                                             "some query.*fully_masked_rows='zero'"):
            ll.scaled_dot_product_attention(q, k, v, attn_mask=mask, fully_masked_rows="raise")
    only_self = ~np.eye(3, dtype=bool)
    ok, _ = ll.scaled_dot_product_attention(q, k, v, attn_mask=only_self, fully_masked_rows="raise")
    assert_close(ok, v, "each query sees only its own key")
    with pytest.raises(ValueError, match="scaled_dot_product_attention expected fully_masked_rows 'zero', "
                                         "'nan' or 'raise', got 'error'"):
        ll.scaled_dot_product_attention(q, k, v, fully_masked_rows="error")
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention expected at least one key "
                                         r"\(S >= 1\), got k \(1, 0, 4\)"):
        ll.scaled_dot_product_attention(q, k[:, :0], v[:, :0])


@settings(max_examples=40, deadline=None)
@given(N=st.integers(1, 3), L=st.integers(1, 5), S=st.integers(1, 5), E=st.integers(1, 4),
       kind=st.sampled_from(["bool", "float"]), p_block=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_fuzz_functional_against_torch(N, L, S, E, kind, p_block, seed):
    """Random masks, any number of fully masked rows (from none to all)."""
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=(N, L, E)), rng.normal(size=(N, S, E)), rng.normal(size=(N, S, 2))
    mask = rng.random((N, L, S)) < 0.3
    mask[rng.random((N, L)) < p_block] = True
    if kind == "float":
        mask = as_float(mask, rng)
    G, H = rng.normal(size=(N, L, 2)), rng.normal(size=(N, L, S))
    assert_all_close(ours_sdpa(q, k, v, mask, G, H), torch_sdpa(q, k, v, mask, G, H))


# -- MultiheadAttention: NaN with need_weights=True, zeros with need_weights=False -------------------
class TorchMHA(torch.nn.Module):
    """Cross-attention on one input (N, L + 2S, E) split into query, key, value; returns the output
    and (if asked for) the weights, flattened into one vector."""

    def __init__(self, mha, L, S, masks, need_weights, average):
        super().__init__()
        self.mha, self.split = mha, [L, S, S]
        self.masks = {k: None if m is None else torch.tensor(m) for k, m in masks.items()}
        self.options = {"need_weights": need_weights, "average_attn_weights": average}

    def forward(self, x):
        y, w = self.mha(*torch.split(x, self.split, dim=1), **self.masks, **self.options)
        return torch.cat([y.reshape(-1)] + ([] if w is None else [w.reshape(-1)]))


class LLMHA(ll.Module):
    def __init__(self, mha, L, S, masks, need_weights, average):
        super().__init__()
        self.mha, self.cuts = mha, [L, L + S]
        self.masks, self.options = masks, {"need_weights": need_weights, "average_attn_weights": average}

    def forward(self, x):
        y, w = self.mha(*np.split(x, self.cuts, axis=1), **self.masks, **self.options)
        self._cache = (y.shape, None if w is None else w.shape)
        return np.concatenate([y.reshape(-1)] + ([] if w is None else [w.reshape(-1)]))

    def backward(self, dy):
        y_shape, w_shape = self._saved()
        n = int(np.prod(y_shape))
        dw = None if w_shape is None else dy[n:].reshape(w_shape)
        return np.concatenate(self.mha.backward(dy[:n].reshape(y_shape), dw), axis=1)


def mha_masks(case, N, h, L, S, rng):
    """(attn_mask, key_padding_mask) for one way of blocking a row, and the blocked (N, L) rows."""
    rows = np.zeros((N, L), bool)
    if case == "padding":                       # sequence 1 is all padding
        kpm = np.zeros((N, S), bool)
        kpm[1] = True
        rows[1] = True
        return {"key_padding_mask": kpm}, rows
    if case == "padding_float":
        kpm = np.zeros((N, S))
        kpm[1] = -np.inf
        rows[1] = True
        return {"key_padding_mask": kpm}, rows
    if case == "attn_mask":                     # query 1 may see nothing, in every sequence
        am = blocking_mask(rng, (L, S), (1,))
        rows[:, 1] = True
        return {"attn_mask": am}, rows
    if case == "attn_mask_float":
        am = as_float(blocking_mask(rng, (L, S), (1,)), rng)
        rows[:, 1] = True
        return {"attn_mask": am}, rows
    if case == "together":                      # causal + the first key padded: query 0 of sequence 0
        kpm = np.zeros((N, S), bool)
        kpm[0, 0] = True
        rows[0, 0] = True
        return {"attn_mask": ll.causal_mask(L, S), "key_padding_mask": kpm}, rows
    if case == "one_head":                      # a per-head mask blocking query 2 in head 1 of sequence 0
        am = blocking_mask(rng, (N * h, L, S), (1, 2))
        rows[0, 2] = True
        return {"attn_mask": am}, rows
    raise AssertionError(case)


CASES = ["padding", "padding_float", "attn_mask", "attn_mask_float", "together", "one_head"]


def mha_pair(case, need_weights, average, seed=0, N=3, E=8, h=2, L=4, S=4):
    rng = np.random.default_rng(seed)
    masks, rows = mha_masks(case, N, h, L, S, rng)
    m = ll.MultiheadAttention(E, h, rng=rng)
    tm = torch.nn.MultiheadAttention(E, h, batch_first=True)
    torch.nn.init.normal_(tm.in_proj_bias)       # non-zero biases, so out_proj.bias shows
    torch.nn.init.normal_(tm.out_proj.bias)
    args = (L, S, masks, need_weights, average)
    return LLMHA(m, *args), TorchMHA(tm, *args), rng.normal(size=(N, L + 2 * S, E)), rows


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("need_weights,average", [(True, False), (True, True), (False, False)])
def test_multihead_matches_torch_with_fully_masked_rows(case, need_weights, average):
    """Output, weights, d_query, d_key, d_value and every parameter gradient, NaN where torch has
    NaN, two steps."""
    ours, theirs, x, rows = mha_pair(case, need_weights, average, seed=CASES.index(case))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare_with_torch(ours, theirs, x, steps=2)
    out, weights = ours.mha(*np.split(x, ours.cuts, axis=1), **ours.masks, **ours.options)
    if need_weights:
        assert np.isnan(out[rows]).all() and not np.isnan(out[~rows]).any()
        assert weights.shape == ((3, 4, 4) if average else (3, 2, 4, 4))
        assert np.isnan(weights).any()
        grads = ours.mha.backward(np.ones_like(out), np.zeros_like(weights))
        assert all(np.isnan(g).any() for g in grads)  # the NaN spreads into the backward pass
    else:
        assert weights is None
        if case != "one_head":  # every head's output is 0, so the layer returns out_proj.bias
            bias = ours.mha.out_proj.bias.data
            np.testing.assert_array_equal(out[rows], np.broadcast_to(bias, out[rows].shape))
        assert not np.isnan(out).any()
        grads = ours.mha.backward(np.ones_like(out))
        assert not any(np.isnan(g).any() for g in grads)


def test_multihead_without_fully_masked_rows_is_the_same_either_way():
    """need_weights only changes what a fully masked row gets; elsewhere the outputs agree."""
    ours, _, x, _ = mha_pair("attn_mask", True, False)
    q, k, v = np.split(x, ours.cuts, axis=1)
    causal = ll.causal_mask(4)
    a, w = ours.mha(q, k, v, attn_mask=causal)
    b, none = ours.mha(q, k, v, attn_mask=causal, need_weights=False)
    c, avg = ours.mha(q, k, v, attn_mask=causal, average_attn_weights=True)
    assert none is None
    assert_close(a, b, "need_weights=False")
    assert_close(a, c, "average_attn_weights=True")
    assert_close(avg, w.mean(axis=1), "the average over heads")


def test_torch_inference_fast_path_returns_nan_as_the_docstring_says():
    """The MultiheadAttention docstring's remark about torch's own fast path (eval + no_grad, bool
    masks), which layers_lib does not follow: there torch gives NaN even with need_weights=False."""
    tm = torch.nn.MultiheadAttention(4, 2, batch_first=True).double().eval()
    x = torch.randn(2, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    kpm = torch.tensor([[False] * 3, [True] * 3])
    with torch.no_grad():
        y, _ = tm(x, x, x, key_padding_mask=kpm, need_weights=False)
    assert torch.isnan(y[1]).all() and not torch.isnan(y[0]).any()
    y, _ = tm(x, x, x, key_padding_mask=kpm, need_weights=False)  # with autograd on: zeros
    assert not torch.isnan(y).any()


def test_multihead_backward_checks_the_weights_gradient_against_the_options():
    m = ll.MultiheadAttention(4, 2, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    y, w = m(x, x, x, need_weights=False)
    with pytest.raises(ValueError, match=r"MultiheadAttention.backward got d_attn_weights, but the forward "
                                         r"pass returned no weights \(need_weights=False\)"):
        m.backward(y, np.zeros((2, 2, 3, 3)))
    y, w = m(x, x, x, average_attn_weights=True)
    with pytest.raises(ValueError, match=r"MultiheadAttention.backward expected a gradient of shape "
                                         r"\(2, 3, 3\)"):
        m.backward(y, np.zeros((2, 2, 3, 3)))
