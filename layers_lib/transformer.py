"""The Transformer block: :class:`TransformerEncoderLayer`, and positional encodings.

A Transformer encoder layer (Vaswani et al., 2017) is two *sub-blocks*, each wrapped in a residual
connection and a layer normalization:

* **self-attention** lets every position gather information from the others
  (:class:`~layers_lib.MultiheadAttention`);
* a **position-wise feed-forward network** ``linear2(dropout(activation(linear1(x))))``
  transforms each position on its own.

*Post-norm* (the original paper, torch's default ``norm_first=False``) normalises after adding
the residual; *pre-norm* (``norm_first=True``, GPT-2 and most models since) normalises the input
of each sub-block and leaves the residual path untouched::

    post-norm:  h = norm1(x + sa(x));         y = norm2(h + ff(h))
    pre-norm:   h = x + sa(norm1(x));         y = h + ff(norm2(h))

The layer is built from the course's own layers, and its ``backward`` is theirs run in reverse.
A residual connection ``h = x + f(x)`` copies the upstream gradient into both branches,
``dh/dx = I + df/dx``; self-attention receives one ``x`` as query, key and value, so its input
gradient is ``d_query + d_key + d_value``.

Attention has no notion of order (permuting the positions permutes the outputs), so the input
carries the positions: :class:`SinusoidalPositionalEncoding` adds the fixed table of
:func:`sinusoidal_positional_encoding`, :class:`LearnedPositionalEmbedding` adds a learned
vector per position (an :class:`~layers_lib.Embedding` of the position index).
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_float_array, batched, check_bool, check_float_dtype, check_grad, check_int, check_rng
from .activations import GELU, ReLU
from .attention import MultiheadAttention, causal_mask
from .dropout import Dropout, _check_p
from .embedding import Embedding
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["sinusoidal_positional_encoding", "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding",
           "TransformerEncoderLayer"]


# -- positional encodings ----------------------------------------------------------------------------
def sinusoidal_positional_encoding(num_positions: int, d_model: int, base: float = 10000.0,
                                   dtype=np.float64) -> np.ndarray:
    """The fixed positional-encoding table of Vaswani et al.

    .. math::
        PE_{p,\\,2i} = \\sin\\!\\left(p / \\mathrm{base}^{2i/d}\\right), \\qquad
        PE_{p,\\,2i+1} = \\cos\\!\\left(p / \\mathrm{base}^{2i/d}\\right)

    Column pair ``(2i, 2i+1)`` is a point turning on the unit circle as the position ``p`` grows,
    with wavelength ``2 pi base^(2i/d)``: from ``2 pi`` positions (``i = 0``) to almost
    ``2 pi base`` (the last pair). An odd ``d`` ends with a lone sine column.

    Args:
        num_positions: the number of rows (positions ``0 .. num_positions - 1``).
        d_model: ``d``, the number of columns.
        base: the longest wavelength's scale (10000 in the paper).
        dtype: the table's dtype.

    Returns:
        ``(num_positions, d_model)``.

    Examples:
        >>> pe = sinusoidal_positional_encoding(3, 4)
        >>> pe.round(4)
        array([[ 0.    ,  1.    ,  0.    ,  1.    ],
               [ 0.8415,  0.5403,  0.01  ,  1.    ],
               [ 0.9093, -0.4161,  0.02  ,  0.9998]])
    """
    name = "sinusoidal_positional_encoding"
    num_positions = check_int(name, "num_positions", num_positions)
    d_model = check_int(name, "d_model", d_model)
    if isinstance(base, bool) or not isinstance(base, numbers.Real) or not base > 1:
        raise ValueError(f"{name} expected base > 1, got {base!r}")
    position = np.arange(num_positions, dtype=np.float64)[:, None]  # (P, 1)
    frequency = float(base) ** (-np.arange(0, d_model, 2) / d_model)  # (ceil(d/2),): 1 / base^(2i/d)
    angle = position * frequency  # (P, ceil(d/2))
    table = np.empty((num_positions, d_model))
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return table.astype(check_float_dtype(name, dtype), copy=False)


class _AddPositions(Module):
    """Shared plumbing: check ``x``, add a ``(S, d_model)`` table along its position axis."""

    def __init__(self, max_len, d_model, batch_first):
        super().__init__()
        layer = type(self).__name__
        self.max_len = check_int(layer, "max_len", max_len)
        self.d_model = check_int(layer, "d_model", d_model)
        self.batch_first = check_bool(layer, "batch_first", batch_first)

    def _layout(self) -> str:
        return "(N, S, {0})" if self.batch_first else "(S, N, {0})"

    def _check(self, x) -> np.ndarray:
        layer = type(self).__name__
        x = as_float_array(layer, x)
        layout = self._layout().format(self.d_model)
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"{layer} expected input of shape {layout} (batch_first={self.batch_first}) "
                             f"or unbatched (S, {self.d_model}), got {tuple(x.shape)}")
        S = self._seq_len(x)
        if S > self.max_len:
            raise ValueError(f"{layer} has positions for sequences of up to max_len={self.max_len}, "
                             f"got a sequence of length {S} (input {tuple(x.shape)})")
        return x

    def _spread(self, table, ndim):
        """``(S, E)`` -> the shape that broadcasts against the input."""
        if ndim == 2:
            return table
        return table[None] if self.batch_first else table[:, None]

    def _seq_len(self, x) -> int:
        return x.shape[1] if x.ndim == 3 and self.batch_first else x.shape[0]

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class SinusoidalPositionalEncoding(_AddPositions):
    """Adds the fixed sin/cos table of :func:`sinusoidal_positional_encoding`: ``y = x + PE[:S]``.

    No parameters: the table is a buffer (``self.pe``). ``backward`` is the identity, since
    ``dy/dx = I``. (Vaswani et al. also multiply the token embeddings by ``sqrt(d_model)`` before
    adding; that belongs to the embedding, not here.)

    Args:
        d_model: ``E``, the size of each position's vector.
        max_len: the longest sequence the table covers.
        batch_first: input ``(N, S, E)`` if ``True`` (the course's convention, the default), else
            ``(S, N, E)`` like ``TransformerEncoderLayer``'s default.
        base: the longest wavelength's scale (10000).
        dtype: dtype of the table (the sum is computed in the input's dtype).

    Shape:
        - Input: ``(N, S, E)`` (``batch_first=True``), ``(S, N, E)``, or unbatched ``(S, E)``.
        - Output: the same shape.

    Attributes:
        pe: the table, ``(max_len, d_model)``.

    Examples:
        >>> pos = SinusoidalPositionalEncoding(4, max_len=10)
        >>> y = pos(np.zeros((2, 3, 4)))
        >>> y.shape, bool(np.allclose(y[1], pos.pe[:3])), pos.num_parameters()
        ((2, 3, 4), True, 0)
        >>> pos.backward(np.ones((2, 3, 4))).sum()
        np.float64(24.0)
    """

    def __init__(self, d_model: int, max_len: int = 5000, batch_first: bool = True, base: float = 10000.0,
                 dtype=np.float64):
        super().__init__(max_len, d_model, batch_first)
        self.base = base
        self.pe = sinusoidal_positional_encoding(self.max_len, self.d_model, base, dtype)

    def forward(self, x):
        x = self._check(x)
        self._cache = (x.shape, x.dtype)
        return x + self._spread(self.pe[: self._seq_len(x)], x.ndim).astype(x.dtype, copy=False)

    def backward(self, dy):
        shape, dtype = self._saved()
        return check_grad(type(self).__name__, dy, shape).astype(dtype, copy=True)


class LearnedPositionalEmbedding(_AddPositions):
    """Adds a learned vector per position: ``y = x + W[:S]``, with ``W`` an
    :class:`~layers_lib.Embedding` of the position index ``0 .. S - 1`` (BERT's and GPT-2's
    position embeddings).

    Every sequence of the batch uses the same rows, so ``backward`` sums the upstream gradient
    over the batch before handing it to the embedding: row ``s`` of ``embedding.weight.grad``
    receives ``sum_n dy[n, s]``. The input gradient is ``dy`` unchanged.

    Args:
        max_len: the number of positions (sequences longer than this are refused).
        d_model: ``E``.
        batch_first: input ``(N, S, E)`` if ``True`` (the default), else ``(S, N, E)``.
        dtype, rng: as :class:`~layers_lib.Embedding` (init ``N(0, 1)``, PyTorch's default for
            ``nn.Embedding``; GPT-2 draws from ``N(0, 0.02^2)`` instead).

    Shape:
        - Input: ``(N, S, E)`` (``batch_first=True``), ``(S, N, E)``, or unbatched ``(S, E)``.
        - Output: the same shape.

    Attributes:
        embedding: the ``Embedding(max_len, d_model)``; its ``weight`` is the only parameter.

    Examples:
        >>> pos = LearnedPositionalEmbedding(10, 4, rng=np.random.default_rng(0))
        >>> [name for name, _ in pos.named_parameters()]
        ['embedding.weight']
        >>> y = pos(np.zeros((2, 3, 4)))
        >>> dx = pos.backward(np.ones((2, 3, 4)))
        >>> pos.embedding.weight.grad[:4, 0]  # two sequences used positions 0-2; position 3 unused
        array([2., 2., 2., 0.])
    """

    def __init__(self, max_len: int, d_model: int, batch_first: bool = True, dtype=np.float64, rng=None):
        super().__init__(max_len, d_model, batch_first)
        self.embedding = Embedding(self.max_len, self.d_model, dtype=dtype, rng=rng)

    def forward(self, x):
        x = self._check(x)
        S = self._seq_len(x)
        table = self.embedding(np.arange(S))  # (S, E): rows 0 .. S-1 of the table
        self._cache = (x.shape, x.dtype)
        return x + self._spread(table, x.ndim).astype(x.dtype, copy=False)

    def backward(self, dy):
        shape, dtype = self._saved()
        dy = check_grad(type(self).__name__, dy, shape)
        batch_axis = () if len(shape) == 2 else (0 if self.batch_first else 1)
        self.embedding.backward(dy.sum(axis=batch_axis))  # (S, E): every sequence used the same rows
        return dy.astype(dtype, copy=True)


# -- the encoder layer -------------------------------------------------------------------------------
_ACTIVATIONS = {"relu": ReLU, "gelu": GELU}


class TransformerEncoderLayer(Module):
    """One Transformer encoder block, as ``torch.nn.TransformerEncoderLayer``: self-attention
    and a feed-forward network, each with a residual connection and a LayerNorm.

    ``norm_first=False`` (post-norm, the paper's and torch's default)::

        h = norm1(x + dropout1(self_attn(x, x, x)))
        y = norm2(h + dropout2(linear2(dropout(activation(linear1(h))))))

    ``norm_first=True`` (pre-norm)::

        h = x + dropout1(self_attn(a, a, a)),   a = norm1(x)
        y = h + dropout2(linear2(dropout(activation(linear1(norm2(h))))))

    Args:
        d_model: ``E``, the width of every position's vector; divisible by ``nhead``.
        nhead: the number of attention heads.
        dim_feedforward: the hidden width of the feed-forward network (2048, torch's default).
        dropout: the drop probability of ``dropout``, ``dropout1`` and ``dropout2``.
        activation: ``"relu"`` (default), ``"gelu"``, or a layers_lib activation module such as
            ``GELU(approximate="tanh")``.
        layer_norm_eps: ``eps`` of both LayerNorms.
        batch_first: input ``(N, S, E)`` if ``True``; ``(S, N, E)`` if ``False`` (torch's default).
        norm_first: pre-norm if ``True``, post-norm if ``False``.
        bias: biases in the attention, the linear layers and the LayerNorms.
        dtype, rng: parameter dtype and the ``numpy.random.Generator`` for the initialisation and
            the dropout masks. Init as PyTorch's sub-modules.

    One difference from PyTorch: torch's ``self_attn`` also applies dropout to the attention
    weights in training. ``layers_lib.MultiheadAttention`` has no dropout, so here ``dropout``
    acts at the three other places. In evaluation mode, or with ``dropout=0``, the two layers
    compute the same function.

    A query that may attend to no key at all (a sequence that is all padding, or a padded first
    position under a causal mask) gets, as in torch, a zero attention output (the self-attention
    sub-block then returns ``out_proj.bias`` there) and passes no gradient back through attention.

    ``is_causal=True`` is, as in torch, a hint that ``src_mask`` *is* the causal mask (it needs
    ``src_mask``); torch may then silently ignore a wrong mask, this layer refuses it.

    Shape:
        - src: ``(S, N, E)`` (``batch_first=False``), ``(N, S, E)`` (``batch_first=True``), or
          unbatched ``(S, E)``.
        - src_mask: ``(S, S)`` or ``(N * nhead, S, S)``; bool (``True`` = may **not** attend) or
          float (added to the scores), as :class:`~layers_lib.MultiheadAttention`.
        - src_key_padding_mask: ``(N, S)`` (unbatched: ``(S,)``), ``True`` at padded positions.
        - Output: the shape of ``src``.

    Attributes:
        self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2, activation: the
            sub-modules, with torch's names (so the parameter names are torch's:
            ``self_attn.in_proj_weight``, ..., ``norm2.bias``).

    Examples:
        >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True,
        ...                                 rng=np.random.default_rng(0))
        >>> x = np.random.default_rng(1).normal(size=(3, 5, 8))
        >>> y = layer(x, src_mask=causal_mask(5), is_causal=True)
        >>> y.shape
        (3, 5, 8)
        >>> layer.backward(np.ones_like(y)).shape, layer.linear1.weight.grad.shape
        ((3, 5, 8), (16, 8))
        >>> [name for name, _ in layer.named_parameters()][-4:]
        ['norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias']
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, dtype=np.float64, rng=None):
        super().__init__()
        name = "TransformerEncoderLayer"
        d_model, nhead = check_int(name, "d_model", d_model), check_int(name, "nhead", nhead)
        if d_model % nhead:
            raise ValueError(f"{name} expected d_model divisible by nhead (each head gets d_model / nhead "
                             f"dimensions), got d_model={d_model}, nhead={nhead}")
        dim_feedforward = check_int(name, "dim_feedforward", dim_feedforward)
        p = _check_p(name, dropout)
        activation = self._make_activation(activation)
        self.batch_first = check_bool(name, "batch_first", batch_first)
        bias = check_bool(name, "bias", bias)
        dtype = check_float_dtype(name, dtype)
        rng = check_rng(name, rng)
        self.d_model, self.nhead = d_model, nhead
        # the sub-modules in torch's order, so named_parameters() lists them as torch does
        self.self_attn = MultiheadAttention(d_model, nhead, bias=bias, dtype=dtype, rng=rng)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, rng=rng)
        self.dropout = Dropout(p, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, rng=rng)
        self.norm_first = check_bool(name, "norm_first", norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(p, rng=rng)
        self.dropout2 = Dropout(p, rng=rng)
        self.activation = activation

    @staticmethod
    def _make_activation(activation) -> Module:
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"TransformerEncoderLayer expected activation 'relu' or 'gelu' (or a "
                                 f"layers_lib activation module), got {activation!r}")
            return _ACTIVATIONS[activation]()
        if not isinstance(activation, Module):
            raise TypeError(f"TransformerEncoderLayer expected activation 'relu', 'gelu' or a layers_lib "
                            f"activation module with a backward pass, got {activation!r}")
        return activation

    # -- the two sub-blocks and their backward passes --------------------------------------------
    def _sa_block(self, x, attn_mask, key_padding_mask):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False)  # as torch: a fully masked query's attention output is 0
        return self.dropout1(out)

    def _sa_block_backward(self, dy):
        d_query, d_key, d_value = self.self_attn.backward(self.dropout1.backward(dy))
        return d_query + d_key + d_value  # one x was the query, the key and the value

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _ff_block_backward(self, dy):
        dy = self.linear2.backward(self.dropout2.backward(dy))
        return self.linear1.backward(self.activation.backward(self.dropout.backward(dy)))

    # -- forward and backward --------------------------------------------------------------------
    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        """``src`` ``(S, N, E)`` / ``(N, S, E)`` / ``(S, E)`` -> the same shape; see the class."""
        x, unbatched = self._to_batch_first(src)  # (N, S, E)
        S = x.shape[1]
        attn_mask = self._check_src_mask(src_mask, is_causal, S)
        if src_key_padding_mask is not None and unbatched:
            src_key_padding_mask = np.asarray(src_key_padding_mask)
            if src_key_padding_mask.shape != (S,):
                raise ValueError(f"TransformerEncoderLayer expected src_key_padding_mask of shape ({S},) "
                                 f"for an unbatched src, got {src_key_padding_mask.shape}")
            src_key_padding_mask = src_key_padding_mask[None]
        masks = (attn_mask, src_key_padding_mask)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *masks)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, *masks))
            x = self.norm2(x + self._ff_block(x))
        self._cache = (x.shape, x.dtype, unbatched)
        return self._from_batch_first(x, unbatched)

    def backward(self, dy):
        """``dL/d output`` -> ``dL/d src``; accumulates the gradient of every parameter."""
        shape, dtype, unbatched = self._saved()
        expected = shape[1:] if unbatched else (shape if self.batch_first else (shape[1], shape[0], shape[2]))
        dy = check_grad("TransformerEncoderLayer", dy, expected).astype(dtype, copy=False)
        dy = dy[None] if unbatched else (dy if self.batch_first else dy.transpose(1, 0, 2))  # (N, S, E)
        if self.norm_first:  # y = h + ff(norm2(h)),  h = x + sa(norm1(x))
            dh = dy + self.norm2.backward(self._ff_block_backward(dy))
            dx = dh + self.norm1.backward(self._sa_block_backward(dh))
        else:  # y = norm2(h + ff(h)),  h = norm1(x + sa(x))
            d_sum2 = self.norm2.backward(dy)  # the gradient of h + ff(h)
            dh = d_sum2 + self._ff_block_backward(d_sum2)
            d_sum1 = self.norm1.backward(dh)  # the gradient of x + sa(x)
            dx = d_sum1 + self._sa_block_backward(d_sum1)
        return self._from_batch_first(dx, unbatched)

    # -- layouts and masks -----------------------------------------------------------------------
    def _to_batch_first(self, src):
        name, E = "TransformerEncoderLayer", self.d_model
        src = as_float_array(name, src, "src")
        if src.ndim not in (2, 3) or src.shape[-1] != E:
            layout = f"(N, S, {E})" if self.batch_first else f"(S, N, {E})"
            raise ValueError(f"{name} expected src of shape {layout} (batch_first={self.batch_first}) or "
                             f"unbatched (S, {E}), got {tuple(src.shape)}")
        x, unbatched = batched(src, 2)
        return (x if self.batch_first or unbatched else x.transpose(1, 0, 2)), unbatched  # (N, S, E)

    def _from_batch_first(self, x, unbatched):
        if unbatched:
            return x[0]
        return x if self.batch_first else np.ascontiguousarray(x.transpose(1, 0, 2))

    def _check_src_mask(self, src_mask, is_causal, S):
        name = "TransformerEncoderLayer"
        if not check_bool(name, "is_causal", is_causal):
            return src_mask
        if src_mask is None:
            raise ValueError(f"{name}: is_causal=True is a hint that src_mask is the causal mask, so it "
                             f"needs src_mask, e.g. causal_mask({S}); got src_mask=None")
        m = np.asarray(src_mask)
        blocked = m if m.dtype == bool else np.isneginf(m)
        if blocked.shape[-2:] != (S, S) or not (blocked == causal_mask(S)).all():
            raise ValueError(f"{name}: is_causal=True but src_mask is not the causal mask (blocked, True or "
                             f"-inf, exactly above the diagonal of an ({S}, {S}) mask); pass is_causal=False "
                             f"to use this mask, got a {m.dtype} mask of shape {m.shape}")
        return src_mask
