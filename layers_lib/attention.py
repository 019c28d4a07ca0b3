"""Attention: :func:`scaled_dot_product_attention` and :class:`MultiheadAttention`.

The core is a pair of pure functions,
:func:`scaled_dot_product_attention_forward` ``-> (out, weights, cache)`` and
:func:`scaled_dot_product_attention_backward` ``-> (dq, dk, dv)``;
:func:`multi_head_attention_forward` / :func:`multi_head_attention_backward` add the input and
output projections around it, and :class:`MultiheadAttention` holds the parameters.

Mask convention (``torch.nn.MultiheadAttention``'s): a **boolean** mask marks with ``True`` the
positions a query may **not** attend to; a **float** mask is *added* to the scores (use
``-inf`` to forbid). Beware that ``torch.nn.functional.scaled_dot_product_attention`` uses the
opposite boolean convention (``True`` = allowed).

A query whose every key is masked (a *fully masked row*: every score ``-inf``) has no
distribution to attend with. As measured with torch 2.13 in float64,
``torch.nn.functional.scaled_dot_product_attention`` returns **zeros** for such a query and
passes back zero gradient through it; ``torch.nn.MultiheadAttention`` returns **zeros** (its
output is then just ``out_proj.bias``) with ``need_weights=False`` but **NaN** with the default
``need_weights=True``, and the NaN spreads into the gradients. Both are followed exactly here:
:func:`scaled_dot_product_attention` returns zeros (``fully_masked_rows="nan"`` gives the NaN,
``"raise"`` an error), :class:`MultiheadAttention` follows its ``need_weights``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_grad, check_int
from .module import Module, Parameter, fan_in_bound, uniform_init

__all__ = [
    "causal_mask",
    "scaled_dot_product_attention", "scaled_dot_product_attention_forward",
    "scaled_dot_product_attention_backward",
    "multi_head_attention_forward", "multi_head_attention_backward",
    "MultiheadAttention", "AttentionCache", "MultiheadAttentionCache",
]


class AttentionCache(NamedTuple):
    """What :func:`scaled_dot_product_attention_backward` needs from the forward pass."""

    q: np.ndarray  # (..., L, E)
    k: np.ndarray  # (..., S, E)
    v: np.ndarray  # (..., S, Ev)
    weights: np.ndarray  # (..., L, S), the softmax of the scores
    scale: float  # 1 / sqrt(E)


class MultiheadAttentionCache(NamedTuple):
    """What :func:`multi_head_attention_backward` needs from the forward pass."""

    query: np.ndarray  # (N, L, E)
    key: np.ndarray  # (N, S, E)
    value: np.ndarray  # (N, S, E)
    num_heads: int
    in_proj_weight: np.ndarray  # (3E, E)
    concat: np.ndarray  # (N*L, E): the heads' outputs side by side
    out_proj_weight: np.ndarray  # (E, E)
    attention: AttentionCache  # of the heads, (N, h, *, d)
    has_in_bias: bool
    has_out_bias: bool
    need_weights: bool
    average_attn_weights: bool


def causal_mask(L: int, S: int | None = None) -> np.ndarray:
    """The boolean mask that stops query ``i`` from seeing keys ``j > i`` (the future).

    ``True`` = not allowed (``nn.MultiheadAttention``'s convention); ``S`` defaults to ``L``.

    Examples:
        >>> causal_mask(3)
        array([[False,  True,  True],
               [False, False,  True],
               [False, False, False]])
    """
    L = check_int("causal_mask", "L", L)
    S = L if S is None else check_int("causal_mask", "S", S)
    return np.triu(np.ones((L, S), dtype=bool), 1)


FULLY_MASKED_ROWS = ("zero", "nan", "raise")


def _softmax(s: np.ndarray):
    """Softmax over the last axis, shifted by the row maximum so ``exp`` never overflows.

    A row whose every score is ``-inf`` (fully masked) would be ``exp(-inf - (-inf)) = NaN``; it
    comes out as zeros instead (what ``torch``'s ``_safe_softmax`` returns), and without a warning.

    Returns:
        ``(weights, blocked)``: ``blocked`` ``(..., 1)`` is ``True`` for the fully masked rows.
    """
    top = s.max(axis=-1, keepdims=True)
    blocked = np.isneginf(top)  # the maximum is -inf only if every score of the row is
    e = np.exp(s - np.where(blocked, 0.0, top))  # exp(-inf - 0) = 0 in the blocked rows
    e /= np.where(blocked, 1.0, e.sum(axis=-1, keepdims=True))
    return e, blocked


def _check_mask(layer: str, mask, scores_shape, dtype) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.floating):
        raise TypeError(f"{layer} expected a bool or float attn_mask, got dtype {mask.dtype}")
    try:
        ok = np.broadcast_shapes(mask.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{layer} expected an attn_mask broadcastable to the scores' shape (..., L, S) = "
            f"{tuple(scores_shape)}, got {tuple(mask.shape)}"
        )
    return mask if mask.dtype == bool else mask.astype(dtype, copy=False)


def scaled_dot_product_attention_forward(q, k, v, attn_mask=None, *, fully_masked_rows="zero"):
    """Scaled dot-product attention, keeping what the backward pass needs.

    .. math:: \\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\!\\left(\\frac{Q K^T}{\\sqrt{E}}
        + M\\right) V

    Args:
        q: queries ``(..., L, E)``.
        k: keys ``(..., S, E)``, the same leading dimensions as ``q``.
        v: values ``(..., S, E_v)``.
        attn_mask: ``None``, a bool mask (``True`` = may **not** attend) or a float mask added to
            the scores; broadcastable to ``(..., L, S)``.
        fully_masked_rows: what a query gets when the mask blocks every one of its keys (all its
            scores are ``-inf``): ``"zero"`` (default) weights and output 0 and no gradient, as
            ``torch.nn.functional.scaled_dot_product_attention``; ``"nan"`` weights and output
            NaN, as the plain softmax in ``torch.nn.MultiheadAttention(need_weights=True)``;
            ``"raise"`` a ``ValueError``.

    Returns:
        ``(out, weights, cache)``: ``out`` ``(..., L, E_v)``, the attention weights ``(..., L, S)``
        (each row sums to 1, masked entries are exactly 0; a fully masked row is all 0 or all NaN)
        and the :class:`AttentionCache` for :func:`scaled_dot_product_attention_backward`.

    Raises:
        ValueError: on mismatched shapes, or on a fully masked row with ``fully_masked_rows="raise"``.
    """
    name = "scaled_dot_product_attention"
    if fully_masked_rows not in FULLY_MASKED_ROWS:
        raise ValueError(
            f"{name} expected fully_masked_rows 'zero', 'nan' or 'raise', got {fully_masked_rows!r}"
        )
    q, k, v = (as_float_array(name, a, what) for a, what in ((q, "q"), (k, "k"), (v, "v")))
    if (q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim or k.shape[:-2] != q.shape[:-2]
            or v.shape[:-2] != q.shape[:-2] or k.shape[-1] != q.shape[-1] or v.shape[-2] != k.shape[-2]):
        raise ValueError(
            f"{name} expected q (..., L, E), k (..., S, E), v (..., S, Ev) with the same leading "
            f"dimensions, got q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    if k.shape[-2] == 0:
        raise ValueError(f"{name} expected at least one key (S >= 1), got k {tuple(k.shape)}")
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = (q @ k.swapaxes(-1, -2)) * scale  # (..., L, S)
    if attn_mask is not None:
        mask = _check_mask(name, attn_mask, scores.shape, scores.dtype)
        scores = np.where(mask, -np.inf, scores) if mask.dtype == bool else scores + mask
    weights, blocked = _softmax(scores)  # (..., L, S); blocked (..., L, 1): the fully masked rows
    if fully_masked_rows != "zero" and blocked.any():
        if fully_masked_rows == "raise":
            raise ValueError(
                f"{name}: the mask blocks every key for some query (a fully masked row); pass "
                "fully_masked_rows='zero' (the default, as PyTorch) to give such queries a zero output"
            )
        weights = np.where(blocked, np.nan, weights)  # "nan": what the plain softmax gives
    out = weights @ v  # (..., L, Ev)
    return out, weights, AttentionCache(q, k, v, weights, scale)


def scaled_dot_product_attention_backward(dy, cache: AttentionCache, d_weights=None):
    """Backward through :func:`scaled_dot_product_attention_forward`.

    With ``P`` the weights and ``dP = dY V^T (+ d_weights)``, the softmax backward is
    ``dS = P * (dP - rowsum(dP * P))``; then ``dQ = dS K / sqrt(E)``, ``dK = dS^T Q / sqrt(E)``,
    ``dV = P^T dY``. Masked entries have ``P = 0`` and so get no gradient; a fully masked row
    (``P = 0`` everywhere) passes back none at all, and a NaN row (``fully_masked_rows="nan"``)
    makes ``dq``'s row and all of that sequence's ``dk`` and ``dv`` NaN, as in PyTorch.

    Args:
        dy: ``dL/d out`` ``(..., L, E_v)``.
        cache: from the forward pass.
        d_weights: optional ``dL/d weights`` ``(..., L, S)``, if the weights were used too.

    Returns:
        ``(dq, dk, dv)`` with the shapes of ``q``, ``k``, ``v``.
    """
    q, k, v, weights, scale = cache
    name = "scaled_dot_product_attention"
    dy = check_grad(name, dy, q.shape[:-1] + v.shape[-1:])
    dv = weights.swapaxes(-1, -2) @ dy  # (..., S, Ev)
    dp = dy @ v.swapaxes(-1, -2)  # (..., L, S)
    if d_weights is not None:
        dp = dp + check_grad(name, d_weights, weights.shape)
    ds = weights * (dp - (dp * weights).sum(axis=-1, keepdims=True))  # softmax backward
    ds *= scale
    return ds @ k, ds.swapaxes(-1, -2) @ q, dv


def scaled_dot_product_attention(q, k, v, attn_mask=None, *, fully_masked_rows="zero"):
    """``softmax(q k^T / sqrt(E) + mask) v``; returns ``(out, weights)``.

    See :func:`scaled_dot_product_attention_forward` for the arguments and shapes; the mask
    follows ``nn.MultiheadAttention`` (bool ``True`` = not allowed, or float added to the scores).
    A query whose every key is masked gets zero weights and a zero output, as in
    ``torch.nn.functional.scaled_dot_product_attention`` (``fully_masked_rows="raise"`` makes it
    an error instead).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> q, k, v = rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 6, 8)), rng.normal(size=(2, 6, 3))
        >>> out, weights = scaled_dot_product_attention(q, k, v)
        >>> out.shape, weights.shape, bool(np.allclose(weights.sum(-1), 1))
        ((2, 4, 3), (2, 4, 6), True)
        >>> _, w = scaled_dot_product_attention(q[:, :3], k[:, :3], v[:, :3], attn_mask=causal_mask(3))
        >>> w[0].round(2)[0]  # the first query may only see the first key
        array([1., 0., 0.])
        >>> blocked = np.array([[False, True], [True, True]])  # query 1 may see no key
        >>> out, w = scaled_dot_product_attention(q[0, :2], k[0, :2], v[0, :2], attn_mask=blocked)
        >>> w, out[1]
        (array([[1., 0.],
               [0., 0.]]), array([0., 0., 0.]))
    """
    out, weights, _ = scaled_dot_product_attention_forward(q, k, v, attn_mask,
                                                           fully_masked_rows=fully_masked_rows)
    return out, weights


# -- multi-head attention --------------------------------------------------------------------------
def multi_head_attention_forward(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                                 out_proj_weight, out_proj_bias, attn_mask=None, *, need_weights=True,
                                 average_attn_weights=False):
    """Multi-head attention, batch-first (``torch.nn.functional.multi_head_attention_forward``).

    .. math::
        \\begin{aligned}
        Q &= X_q W_q^T + b_q, \\quad K = X_k W_k^T + b_k, \\quad V = X_v W_v^T + b_v \\\\
        \\mathrm{head}_j &= \\mathrm{Attention}(Q_j, K_j, V_j) \\quad
            \\text{(columns } j d \\ldots (j+1) d - 1 \\text{ of each, } d = E / h) \\\\
        \\mathrm{out} &= [\\mathrm{head}_1, \\ldots, \\mathrm{head}_h] W_o^T + b_o
        \\end{aligned}

    Args:
        query ``(N, L, E)``, key ``(N, S, E)``, value ``(N, S, E)``; num_heads ``h``;
        in_proj_weight ``(3E, E)`` = ``[W_q; W_k; W_v]``; in_proj_bias ``(3E,)`` or ``None``;
        out_proj_weight ``(E, E)``; out_proj_bias ``(E,)`` or ``None``; attn_mask: a bool or
        float mask broadcastable to ``(N, h, L, S)`` (already checked by the caller);
        need_weights: return the attention weights (``None`` otherwise); average_attn_weights:
        return them averaged over the heads, ``(N, L, S)``, instead of per head.

    A query whose every key is masked gets, as in torch 2.13, NaN weights and a NaN output row
    with ``need_weights=True`` (the plain softmax of ``-inf`` scores) and a zero attention output
    (so ``out = out_proj_bias``) with ``need_weights=False`` (torch's
    ``scaled_dot_product_attention``).

    Returns:
        ``(out (N, L, E), weights (N, h, L, S) or (N, L, S) or None, cache)``, the cache a
        :class:`MultiheadAttentionCache`.
    """
    N, L, E = query.shape
    S = key.shape[1]
    d = E // num_heads
    w_q, w_k, w_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
    b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else np.split(in_proj_bias, 3)

    def project(x, w, b, T):  # (N, T, E) -> (N, h, T, d)
        y = x.reshape(N * T, E) @ w.T
        if b is not None:
            y += b
        return y.reshape(N, T, num_heads, d).transpose(0, 2, 1, 3)

    q = project(query, w_q, b_q, L)  # (N, h, L, d)
    k = project(key, w_k, b_k, S)  # (N, h, S, d)
    v = project(value, w_v, b_v, S)  # (N, h, S, d)
    heads, weights, attn_cache = scaled_dot_product_attention_forward(
        q, k, v, attn_mask, fully_masked_rows="nan" if need_weights else "zero")
    concat = heads.transpose(0, 2, 1, 3).reshape(N * L, E)  # (N*L, E): heads side by side
    out = concat @ out_proj_weight.T
    if out_proj_bias is not None:
        out += out_proj_bias
    cache = MultiheadAttentionCache(query, key, value, num_heads, in_proj_weight, concat, out_proj_weight,
                                    attn_cache, in_proj_bias is not None, out_proj_bias is not None,
                                    need_weights, average_attn_weights)
    if not need_weights:
        weights = None
    elif average_attn_weights:
        weights = weights.mean(axis=1)  # (N, L, S)
    return out.reshape(N, L, E), weights, cache


def multi_head_attention_backward(dy, cache: MultiheadAttentionCache, d_weights=None):
    """Backward through :func:`multi_head_attention_forward`.

    ``d_weights`` is ``dL/d weights`` in the shape the forward pass returned them
    (``(N, h, L, S)``, or ``(N, L, S)`` if averaged), or ``None``.

    Returns:
        ``(d_query, d_key, d_value, d_in_proj_weight, d_in_proj_bias, d_out_proj_weight,
        d_out_proj_bias)``; the biases' entries are ``None`` when there is no bias. For
        self-attention (one ``x`` passed three times) ``dL/dx = d_query + d_key + d_value``.
    """
    query, key, value, num_heads, in_proj_weight = cache[:5]
    N, L, E = query.shape
    S = key.shape[1]
    d = E // num_heads
    dy2 = dy.reshape(N * L, E)
    d_out_w = dy2.T @ cache.concat  # (E, E)
    d_out_b = dy2.sum(axis=0) if cache.has_out_bias else None
    d_heads = (dy2 @ cache.out_proj_weight).reshape(N, L, num_heads, d).transpose(0, 2, 1, 3)
    if d_weights is not None and cache.average_attn_weights:  # the mean over heads: each gets 1/h of it
        d_weights = np.broadcast_to(d_weights[:, None] / num_heads, (N, num_heads, L, S))
    dq, dk, dv = scaled_dot_product_attention_backward(d_heads, cache.attention, d_weights)  # (N, h, *, d)
    has_in_bias = cache.has_in_bias
    d_in_w = np.empty_like(in_proj_weight)
    d_in_b = np.empty(3 * E, dtype=in_proj_weight.dtype) if has_in_bias else None
    d_inputs = []
    for j, (x, dp, T) in enumerate(((query, dq, L), (key, dk, S), (value, dv, S))):
        dp = dp.transpose(0, 2, 1, 3).reshape(N * T, E)  # merge the heads back: (N*T, E)
        rows = slice(j * E, (j + 1) * E)
        d_in_w[rows] = dp.T @ x.reshape(N * T, E)
        if has_in_bias:
            d_in_b[rows] = dp.sum(axis=0)
        d_inputs.append((dp @ in_proj_weight[rows]).reshape(N, T, E))
    return (*d_inputs, d_in_w, d_in_b, d_out_w, d_out_b)


class _OutProj(Module):
    """Holds ``out_proj.weight`` and ``out_proj.bias`` (PyTorch's NonDynamicallyQuantizableLinear,
    a Linear); :class:`MultiheadAttention` does the arithmetic."""

    def __init__(self, embed_dim, bias, dtype, rng):
        super().__init__()
        self.in_features = self.out_features = embed_dim
        self.weight = Parameter(uniform_init(rng, (embed_dim, embed_dim), fan_in_bound(embed_dim), dtype))
        self.bias = Parameter(np.zeros(embed_dim, dtype=dtype)) if bias else None

    def extra_repr(self) -> str:
        has_bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"


class MultiheadAttention(Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention(embed_dim, num_heads,
    batch_first=True)`` with ``dropout=0``.

    Each of the ``h = num_heads`` heads attends in its own ``d = E / h``-dimensional slice of the
    projected queries, keys and values; the heads' outputs are concatenated and projected by
    ``out_proj``. The math is :func:`multi_head_attention_forward`.

    Args:
        embed_dim: ``E``, the size of queries, keys and values; divisible by ``num_heads``.
        num_heads: ``h``.
        bias: add ``in_proj_bias`` and ``out_proj.bias``.
        batch_first: must be ``True`` (accepted so PyTorch code runs unchanged).
        dtype, rng: parameter dtype and ``numpy.random.Generator``. Init as PyTorch:
            ``in_proj_weight`` Xavier-uniform ``U(-a, a)``, ``a = sqrt(6 / (E + 3E))``;
            ``out_proj.weight`` ``U(-1/sqrt(E), 1/sqrt(E))``; both biases zero.

    Shape:
        - query ``(N, L, E)``, key ``(N, S, E)``, value ``(N, S, E)``.
        - attn_mask ``(L, S)`` or ``(N * num_heads, L, S)``; key_padding_mask ``(N, S)``; bool
          (``True`` = may **not** attend) or float (added to the scores).
        - Output: ``(N, L, E)`` and the weights **per head** ``(N, num_heads, L, S)``; with
          ``average_attn_weights=True`` (PyTorch's default, not ours) their mean over the heads
          ``(N, L, S)``; with ``need_weights=False`` ``None``.

    Fully masked rows: a query whose every key is blocked (by ``attn_mask``, by
    ``key_padding_mask`` or by the two together) gets what ``torch.nn.MultiheadAttention``
    returns in torch 2.13 (training mode, or any mode with gradients on): with
    ``need_weights=True`` its weights and its output row are **NaN**, and the backward pass
    spreads the NaN into every gradient it touches; with ``need_weights=False`` its attention
    output is **0**, so its output row is ``out_proj.bias``, and it passes back no gradient.
    (torch's inference fast path, in ``eval()`` under ``torch.no_grad()``, can return NaN even
    with ``need_weights=False`` for boolean masks.)

    Attributes:
        in_proj_weight: ``(3E, E)``, ``[W_q; W_k; W_v]``; in_proj_bias: ``(3E,)``.
        out_proj: holds ``weight`` ``(E, E)`` and ``bias`` ``(E,)``.

    Examples:
        >>> mha = MultiheadAttention(8, 2, rng=np.random.default_rng(0))
        >>> x = np.random.default_rng(1).normal(size=(3, 5, 8))
        >>> out, weights = mha(x, x, x, attn_mask=causal_mask(5))
        >>> out.shape, weights.shape
        ((3, 5, 8), (3, 2, 5, 5))
        >>> [name for name, _ in mha.named_parameters()]
        ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
        >>> dq, dk, dv = mha.backward(np.ones_like(out))
        >>> (dq + dk + dv).shape  # self-attention: the gradient of x is the sum
        (3, 5, 8)
        >>> padded = np.array([[False] * 5, [False] * 5, [True] * 5])  # sequence 2 is all padding
        >>> out, _ = mha(x, x, x, key_padding_mask=padded)
        >>> bool(np.isnan(out[2]).all()), bool(np.isnan(out[:2]).any())
        (True, False)
        >>> out, weights = mha(x, x, x, key_padding_mask=padded, need_weights=False)
        >>> bool(np.array_equal(out[2], np.broadcast_to(mha.out_proj.bias.data, (5, 8)))), weights
        (True, None)
    """

    def __init__(self, embed_dim, num_heads, *, bias=True, batch_first=True, dtype=np.float64, rng=None):
        super().__init__()
        self.embed_dim = check_int("MultiheadAttention", "embed_dim", embed_dim)
        self.num_heads = check_int("MultiheadAttention", "num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention expected embed_dim divisible by num_heads, got embed_dim={embed_dim}, "
                f"num_heads={num_heads}"
            )
        if not batch_first:
            raise ValueError(
                "MultiheadAttention is always batch-first: (N, L, E), as torch's batch_first=True; "
                "got batch_first=False"
            )
        self.head_dim = embed_dim // num_heads
        rng = np.random.default_rng() if rng is None else rng
        E = embed_dim
        self.in_proj_weight = Parameter(uniform_init(rng, (3 * E, E), math.sqrt(6.0 / (E + 3 * E)), dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype=dtype)) if bias else None
        self.out_proj = _OutProj(E, bias, dtype, rng)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    def _check_inputs(self, query, key, value):
        name, E = "MultiheadAttention", self.embed_dim
        query, key, value = (as_float_array(name, a, what)
                             for a, what in ((query, "query"), (key, "key"), (value, "value")))
        if query.ndim != 3 or query.shape[2] != E:
            raise ValueError(
                f"{name} expected query of shape (N, L, {E}) (batch-first), got {tuple(query.shape)}"
            )
        N = query.shape[0]
        for a in (key, value):
            if a.ndim != 3 or a.shape[2] != E or a.shape[0] != N or a.shape[1] != key.shape[1]:
                raise ValueError(
                    f"{name} expected key and value of shape (N, S, {E}) with N = {N} (the query's) "
                    f"and the same S, got key {tuple(key.shape)}, value {tuple(value.shape)}"
                )
        if key.shape[1] == 0:
            raise ValueError(f"{name} expected at least one key (S >= 1), got key {tuple(key.shape)}")
        dt = np.result_type(query.dtype, key.dtype, value.dtype)
        return query.astype(dt, copy=False), key.astype(dt, copy=False), value.astype(dt, copy=False)

    def _combined_mask(self, attn_mask, key_padding_mask, N, L, S, dt):
        """Both masks as one, broadcastable to (N, h, L, S)."""
        name, h = "MultiheadAttention", self.num_heads
        masks = []
        for what, m, shapes in (("attn_mask", attn_mask, ((L, S), (N * h, L, S))),
                                ("key_padding_mask", key_padding_mask, ((N, S),))):
            if m is None:
                continue
            m = np.asarray(m)
            if m.dtype != bool and not np.issubdtype(m.dtype, np.floating):
                raise TypeError(f"{name} expected a bool or float {what}, got dtype {m.dtype}")
            if m.shape not in shapes:
                raise ValueError(
                    f"{name} expected {what} of shape {' or '.join(map(str, shapes))}, got {tuple(m.shape)}"
                )
            if what == "key_padding_mask":
                m = m.reshape(N, 1, 1, S)
            elif m.ndim == 3:
                m = m.reshape(N, h, L, S)
            masks.append(m if m.dtype == bool else m.astype(dt, copy=False))
        if not masks:
            return None
        if len(masks) == 2:
            a, b = masks
            if a.dtype == bool and b.dtype == bool:
                masks = [a | b]
            else:
                as_float = [np.where(m, -np.inf, 0.0).astype(dt) if m.dtype == bool else m for m in masks]
                masks = [as_float[0] + as_float[1]]
        return masks[0]

    def forward(self, query, key, value, *, key_padding_mask=None, attn_mask=None, need_weights=True,
                average_attn_weights=False):
        """Returns ``(output (N, L, E), attn_weights)``: the weights ``(N, num_heads, L, S)``, their
        mean over heads ``(N, L, S)`` with ``average_attn_weights=True``, or ``None`` with
        ``need_weights=False``. The options are keyword-only (PyTorch's positional order puts
        ``key_padding_mask`` and ``need_weights`` before ``attn_mask``)."""
        query, key, value = self._check_inputs(query, key, value)
        dt = query.dtype
        N, L, _ = query.shape
        S = key.shape[1]
        mask = self._combined_mask(attn_mask, key_padding_mask, N, L, S, dt)
        cast = [None if p is None else p.data.astype(dt, copy=False)
                for p in (self.in_proj_weight, self.in_proj_bias, self.out_proj.weight, self.out_proj.bias)]
        out, weights, self._cache = multi_head_attention_forward(
            query, key, value, self.num_heads, *cast, attn_mask=mask, need_weights=bool(need_weights),
            average_attn_weights=bool(average_attn_weights))
        return out, weights

    def backward(self, dy, d_attn_weights=None):
        """``dy`` ``(N, L, E)`` and optionally ``d_attn_weights`` in the shape the forward pass
        returned the weights; returns ``(d_query, d_key, d_value)`` and accumulates every parameter
        gradient."""
        name = "MultiheadAttention"
        cache = self._saved()
        N, L, E = cache.query.shape
        S = cache.key.shape[1]
        dt = cache.query.dtype
        dy = check_grad(name, dy, (N, L, E)).astype(dt, copy=False)
        if d_attn_weights is not None:
            if not cache.need_weights:
                raise ValueError(f"{name}.backward got d_attn_weights, but the forward pass returned no "
                                 "weights (need_weights=False)")
            shape = (N, L, S) if cache.average_attn_weights else (N, self.num_heads, L, S)
            d_attn_weights = check_grad(name, d_attn_weights, shape).astype(dt, copy=False)
        dq, dk, dv, d_in_w, d_in_b, d_out_w, d_out_b = multi_head_attention_backward(
            dy, cache, d_attn_weights)
        for p, g in ((self.in_proj_weight, d_in_w), (self.in_proj_bias, d_in_b),
                     (self.out_proj.weight, d_out_w), (self.out_proj.bias, d_out_b)):
            if p is not None:
                p.grad += g.astype(p.grad.dtype, copy=False)
        return dq, dk, dv
