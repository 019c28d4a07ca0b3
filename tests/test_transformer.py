"""The Transformer block and positional encodings: TransformerEncoderLayer against
torch.nn.TransformerEncoderLayer (post- and pre-norm, relu and gelu, both layouts, every kind of
mask, unbatched input, dropout with known masks) and central differences; the sinusoidal table
against the paper's formula written out here; the learned position embedding against torch and
central differences; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import compare_with_torch

import layers_lib as ll

E, H, FF, S, N = 8, 2, 12, 5, 3


def make_masks(kind, n, s, nhead, rng):
    """``(src_mask, src_key_padding_mask, is_causal)`` of the given kind. Every query keeps at
    least one key: padding is at the end and every sequence keeps its first position."""
    pad = np.zeros((n, s), bool)
    pad[0, 3:] = True  # the first sequence has 3 real tokens, the second 4, the others none padded
    pad[1 % n, 4:] = True
    return {
        None: (None, None, False),
        "causal": (ll.causal_mask(s), None, False),
        "causal_hint": (ll.causal_mask(s), None, True),
        "causal_float": (np.where(ll.causal_mask(s), -np.inf, 0.0), None, True),
        "float": (rng.normal(size=(s, s)), None, False),
        "per_head": (rng.random((n * nhead, s, s)) < 0.3, None, False),
        "padding": (None, pad, False),
        "causal+padding": (ll.causal_mask(s), pad, True),
        "float+padding": (rng.normal(size=(s, s)), np.where(pad, -np.inf, 0.0), False),  # torch: same types
    }[kind]


class TorchBlock(torch.nn.Module):
    """torch's layer with fixed masks: one array in, one out, as compare_with_torch wants."""

    def __init__(self, layer, src_mask, key_padding_mask, is_causal):
        super().__init__()
        self.layer, self.is_causal = layer, is_causal
        self.src_mask = None if src_mask is None else torch.tensor(src_mask)
        self.key_padding_mask = None if key_padding_mask is None else torch.tensor(key_padding_mask)

    def forward(self, x):
        return self.layer(x, src_mask=self.src_mask, src_key_padding_mask=self.key_padding_mask,
                          is_causal=self.is_causal)


class LLBlock(ll.Module):
    def __init__(self, layer, src_mask, key_padding_mask, is_causal):
        super().__init__()
        self.layer = layer
        self.masks = {"src_mask": src_mask, "src_key_padding_mask": key_padding_mask, "is_causal": is_causal}

    def forward(self, x):
        return self.layer(x, **self.masks)

    def backward(self, dy):
        return self.layer.backward(dy)


def pair(kind=None, *, norm_first=False, activation="relu", batch_first=False, dropout=0.1, bias=True,
         eps=1e-5, n=N, s=S, e=E, nhead=H, ff=FF, seed=0, torch_activation=None):
    rng = np.random.default_rng(seed)
    src_mask, pad, is_causal = make_masks(kind, n, s, nhead, rng)
    ours = ll.TransformerEncoderLayer(e, nhead, ff, dropout, activation, eps, batch_first, norm_first, bias,
                                      rng=rng)
    theirs = torch.nn.TransformerEncoderLayer(e, nhead, ff, dropout, torch_activation or activation, eps,
                                              batch_first, norm_first, bias)
    x = rng.normal(size=(n, s, e) if batch_first else (s, n, e))
    return LLBlock(ours, src_mask, pad, is_causal), TorchBlock(theirs, src_mask, pad, is_causal), x


# -- against torch ---------------------------------------------------------------------------------
MASKS = [None, "causal", "causal_hint", "causal_float", "float", "per_head", "padding", "causal+padding",
         "float+padding"]


@pytest.mark.parametrize("kind", MASKS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_matches_torch_in_eval_mode(kind, batch_first, activation, norm_first):
    """dropout=0.1 and evaluation mode: output, d_src and all 12 parameter gradients, twice (so
    gradients are zeroed and recomputed)."""
    ours, theirs, x = pair(kind, norm_first=norm_first, activation=activation, batch_first=batch_first)
    y = compare_with_torch(ours, theirs, x, train=False, steps=2)
    assert y.shape == x.shape


@pytest.mark.parametrize("kind", [None, "causal+padding"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_matches_torch_in_train_mode_without_dropout(kind, norm_first):
    ours, theirs, x = pair(kind, norm_first=norm_first, dropout=0.0, activation="gelu")
    compare_with_torch(ours, theirs, x, train=True)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_options_match_torch(norm_first):
    """No bias anywhere, another eps, odd sizes, one head, tanh-GELU as a module."""
    for options in (dict(bias=False), dict(eps=1e-3, e=6, nhead=1, ff=7, s=4, n=2),
                    dict(activation=ll.GELU(approximate="tanh"),
                         torch_activation=lambda t: F.gelu(t, approximate="tanh"))):
        ours, theirs, x = pair("causal", norm_first=norm_first, seed=3, **options)
        compare_with_torch(ours, theirs, x, train=False)
    no_bias = ll.TransformerEncoderLayer(8, 2, 16, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == [
        n for n, _ in torch.nn.TransformerEncoderLayer(8, 2, 16, bias=False).named_parameters()]


@pytest.mark.parametrize("kind", [None, "causal", "padding"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_unbatched_input_matches_torch(kind, norm_first):
    """src (S, E), src_key_padding_mask (S,): the first sequence's masks."""
    rng = np.random.default_rng(4)
    src_mask, pad, is_causal = make_masks(kind, 1, S, H, rng)
    pad = None if pad is None else pad[0]
    ours = ll.TransformerEncoderLayer(E, H, FF, norm_first=norm_first, rng=rng)
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF, norm_first=norm_first)
    x = rng.normal(size=(S, E))
    masks = (src_mask, pad, is_causal)
    y = compare_with_torch(LLBlock(ours, *masks), TorchBlock(theirs, *masks), x, train=False)
    assert y.shape == (S, E)


class TorchBlockWithMasks(torch.nn.Module):
    """torch's sub-modules, composed as in TransformerEncoderLayer.forward, with the dropout masks
    layers_lib will draw (torch's own dropout draws from its generator). Batch-first."""

    def __init__(self, layer, masks, p):
        super().__init__()
        self.layer, self.p = layer, p
        self.keep1, self.keep, self.keep2 = (torch.tensor(m, dtype=torch.float64) / (1 - p) for m in masks)

    def forward(self, x):
        t = self.layer

        def sa(a):
            return t.self_attn(a, a, a, need_weights=False)[0] * self.keep1

        def ff(a):
            return t.linear2(t.activation(t.linear1(a)) * self.keep) * self.keep2

        if t.norm_first:
            x = x + sa(t.norm1(x))
            return x + ff(t.norm2(x))
        x = t.norm1(x + sa(x))
        return t.norm2(x + ff(x))


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_dropout_in_training_matches_autograd_given_the_same_masks(norm_first):
    """The three dropouts draw, in order, dropout1 (after attention), dropout (inside the
    feed-forward network) and dropout2, from the layer's rng."""
    p = 0.3
    rng = np.random.default_rng(5)
    ours = ll.TransformerEncoderLayer(E, H, FF, p, batch_first=True, norm_first=norm_first, rng=rng)
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF, 0.0, batch_first=True, norm_first=norm_first)
    for d in (ours.dropout, ours.dropout1, ours.dropout2):
        d.rng = np.random.default_rng(11)  # one shared, fresh generator: the masks are predictable
    ours.dropout.rng = ours.dropout2.rng = ours.dropout1.rng
    draw = np.random.default_rng(11)
    masks = [draw.random(shape) >= p for shape in ((N, S, E), (N, S, FF), (N, S, E))]
    compare_with_torch(LLBlock(ours, None, None, False), TorchBlockWithMasks(theirs, masks, p),
                       rng.normal(size=(N, S, E)))
    for d, m in zip((ours.dropout1, ours.dropout, ours.dropout2), masks, strict=True):
        np.testing.assert_array_equal(d.mask, m)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("train", [False, True])
def test_fully_masked_rows_match_torch(norm_first, train):
    """A sequence that is all padding, and a padded first position under a causal mask: those
    queries see no key. torch gives them a zero attention output (and no gradient through it)."""
    pad = np.zeros((N, S), bool)
    pad[0] = True  # sequence 0: all padding
    pad[1, :2] = True  # sequence 1: left padding; with the causal mask, queries 0 and 1 see nothing
    rng = np.random.default_rng(13)
    ours = ll.TransformerEncoderLayer(E, H, FF, 0.0, batch_first=True, norm_first=norm_first, rng=rng)
    theirs = torch.nn.TransformerEncoderLayer(E, H, FF, 0.0, batch_first=True, norm_first=norm_first)
    masks = (ll.causal_mask(S), pad, True)
    y = compare_with_torch(LLBlock(ours, *masks), TorchBlock(theirs, *masks), rng.normal(size=(N, S, E)),
                           train=train)
    assert np.isfinite(y).all()


def test_parameters_and_init_match_torch():
    ours = ll.TransformerEncoderLayer(32, 4, 64, rng=np.random.default_rng(0))
    theirs = torch.nn.TransformerEncoderLayer(32, 4, 64)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())
    # torch keeps the activation as a function, layers_lib as a module (it has a backward pass)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()] + ["activation"]
    for name in ("linear1", "linear2"):
        w = getattr(ours, name).weight.data
        bound = 1 / math.sqrt(w.shape[1])
        assert np.abs(w).max() <= bound and w.std() > bound / 3, name
    for norm in (ours.norm1, ours.norm2):
        assert (norm.weight.data == 1).all() and (norm.bias.data == 0).all()
    assert ours.dropout.p == ours.dropout1.p == ours.dropout2.p == 0.1
    assert ours.norm1.eps == 1e-5 and not ours.batch_first and not ours.norm_first
    assert isinstance(ours.activation, ll.ReLU)
    assert isinstance(ll.TransformerEncoderLayer(8, 2, activation="gelu").activation, ll.GELU)
    assert "(self_attn): MultiheadAttention" in repr(ours) and "(activation): ReLU()" in repr(ours)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), s=st.integers(1, 6), head_dim=st.integers(1, 3), nhead=st.integers(1, 3),
       ff=st.integers(1, 9), norm_first=st.booleans(), batch_first=st.booleans(),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_fuzz_shapes_against_torch(n, s, head_dim, nhead, ff, norm_first, batch_first, causal, seed):
    rng = np.random.default_rng(seed)
    e = head_dim * nhead
    ours = ll.TransformerEncoderLayer(e, nhead, ff, batch_first=batch_first, norm_first=norm_first, rng=rng)
    theirs = torch.nn.TransformerEncoderLayer(e, nhead, ff, batch_first=batch_first, norm_first=norm_first)
    mask = ll.causal_mask(s) if causal else None
    x = rng.normal(size=(n, s, e) if batch_first else (s, n, e))
    masks = (mask, None, causal)
    compare_with_torch(LLBlock(ours, *masks), TorchBlock(theirs, *masks), x, train=False)


# -- central differences ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind,activation,norm_first,batch_first", [
    (None, "relu", False, False), ("causal+padding", "gelu", False, True),
    ("float+padding", "relu", True, False), ("causal", "gelu", True, True),
])
def test_central_differences(kind, activation, norm_first, batch_first):
    ours, _, x = pair(kind, norm_first=norm_first, activation=activation, batch_first=batch_first,
                      n=2, s=4, e=4, ff=6, seed=6)
    ours.eval()
    errors = ll.check_gradients(ours, x, error=ll.scaled_error)
    assert len(errors) == 13  # the input and 12 parameters
    assert max(errors.values()) < 1e-7, errors


def test_central_differences_with_dropout_in_training():
    """The same masks in every forward pass (the generator is reset before each): backward must
    use the masks of its forward pass."""
    rng = np.random.default_rng(7)
    layer = ll.TransformerEncoderLayer(4, 2, 6, 0.4, batch_first=True, rng=rng)

    class FixedMasks(ll.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            shared = np.random.default_rng(3)
            for d in (layer.dropout, layer.dropout1, layer.dropout2):
                d.rng = shared
            return layer(x)

        def backward(self, dy):
            return layer.backward(dy)

    errors = ll.check_gradients(FixedMasks(), rng.normal(size=(2, 3, 4)), error=ll.scaled_error)
    assert max(errors.values()) < 1e-7, errors
    assert not layer.dropout.mask.all() and not layer.dropout1.mask.all()  # dropout really acted


def test_batch_first_layouts_compute_the_same_function():
    rng = np.random.default_rng(8)
    seq_first = ll.TransformerEncoderLayer(E, H, FF, rng=np.random.default_rng(1))
    batch_first = ll.TransformerEncoderLayer(E, H, FF, batch_first=True, rng=np.random.default_rng(1))
    x = rng.normal(size=(S, N, E))
    y = seq_first(x)
    np.testing.assert_allclose(batch_first(x.transpose(1, 0, 2)), y.transpose(1, 0, 2), rtol=1e-12)
    dy = rng.normal(size=y.shape)
    np.testing.assert_allclose(batch_first.backward(dy.transpose(1, 0, 2)),
                               seq_first.backward(dy).transpose(1, 0, 2), rtol=1e-12)


def test_the_future_and_the_padding_are_invisible():
    """Causal: changing later tokens leaves earlier outputs alone. Padding: changing padded
    tokens leaves the real tokens' outputs alone."""
    rng = np.random.default_rng(9)
    layer = ll.TransformerEncoderLayer(E, H, FF, batch_first=True, rng=rng).eval()
    x = rng.normal(size=(2, 6, E))
    changed = x.copy()
    changed[:, 4:] = rng.normal(size=(2, 2, E))
    mask = ll.causal_mask(6)
    np.testing.assert_allclose(layer(changed, src_mask=mask)[:, :4], layer(x, src_mask=mask)[:, :4])
    assert not np.allclose(layer(changed)[:, :4], layer(x)[:, :4])
    pad = np.zeros((2, 6), bool)
    pad[:, 4:] = True
    np.testing.assert_allclose(layer(changed, src_key_padding_mask=pad)[:, :4],
                               layer(x, src_key_padding_mask=pad)[:, :4])


def test_dropout_acts_in_training_only():
    rng = np.random.default_rng(10)
    layer = ll.TransformerEncoderLayer(E, H, FF, 0.5, batch_first=True, rng=rng)
    x = rng.normal(size=(2, 4, E))
    assert not np.allclose(layer(x), layer(x))
    layer.eval()
    np.testing.assert_array_equal(layer(x), layer(x))
    assert not layer.dropout.training and not layer.self_attn.training


def test_float32_input_stays_float32():
    rng = np.random.default_rng(11)
    layer = ll.TransformerEncoderLayer(E, H, FF, batch_first=True, rng=rng).eval()
    x = rng.normal(size=(2, 4, E))
    y32 = layer(x.astype(np.float32))
    assert y32.dtype == np.float32 and layer.backward(np.ones_like(y32)).dtype == np.float32
    np.testing.assert_allclose(y32, layer(x), atol=1e-4)


def test_gradients_accumulate_and_zero():
    rng = np.random.default_rng(12)
    layer = ll.TransformerEncoderLayer(E, H, FF, batch_first=True, rng=rng).eval()
    x = rng.normal(size=(2, 4, E))
    dy = rng.normal(size=x.shape)
    layer(x)
    layer.backward(dy)
    once = {n: p.grad.copy() for n, p in layer.named_parameters()}
    layer(x)
    layer.backward(dy)
    for n, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * once[n], err_msg=n)
    layer.zero_grad()
    assert not any(p.grad.any() for p in layer.parameters())


# -- bad input -------------------------------------------------------------------------------------
def test_bad_construction_gets_clear_errors():
    cls = ll.TransformerEncoderLayer
    with pytest.raises(ValueError, match="TransformerEncoderLayer expected d_model divisible by nhead.*"
                                         "got d_model=10, nhead=4"):
        cls(10, 4)
    with pytest.raises(ValueError, match="TransformerEncoderLayer expected activation 'relu' or 'gelu'.*"
                                         "got 'swish'"):
        cls(8, 2, activation="swish")
    with pytest.raises(TypeError, match="TransformerEncoderLayer expected activation .* got <ufunc 'tanh'>"):
        cls(8, 2, activation=np.tanh)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer expected the drop probability "
                                         r"p in \[0, 1\), got 1.0"):
        cls(8, 2, dropout=1.0)
    with pytest.raises(ValueError, match="TransformerEncoderLayer expected nhead >= 1, got 0"):
        cls(8, 0)
    with pytest.raises(TypeError, match="TransformerEncoderLayer expected dim_feedforward to be an int"):
        cls(8, 2, dim_feedforward=2.5)
    with pytest.raises(TypeError, match="TransformerEncoderLayer expected batch_first to be True or False"):
        cls(8, 2, batch_first="yes")
    with pytest.raises(TypeError, match="TransformerEncoderLayer expected a floating-point dtype"):
        cls(8, 2, dtype=np.int64)
    with pytest.raises(TypeError, match="TransformerEncoderLayer expected rng to be a "
                                        "numpy.random.Generator, got int"):
        cls(8, 2, rng=0)


def test_bad_input_gets_clear_errors():
    layer = ll.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer expected src of shape \(S, N, 8\) "
                                         r"\(batch_first=False\) or unbatched \(S, 8\), got \(5, 3, 6\)"):
        layer(np.zeros((5, 3, 6)))
    with pytest.raises(ValueError, match=r"expected src of shape \(S, N, 8\).*got \(2, 5, 3, 8\)"):
        layer(np.zeros((2, 5, 3, 8)))
    with pytest.raises(ValueError, match=r"expected src of shape \(N, S, 8\) \(batch_first=True\)"):
        ll.TransformerEncoderLayer(8, 2, 16, batch_first=True)(np.zeros(8))
    with pytest.raises(TypeError, match="TransformerEncoderLayer expected a floating-point src, "
                                        "got dtype int64"):
        layer(np.zeros((5, 3, 8), dtype=np.int64))
    x = np.zeros((5, 3, 8))
    with pytest.raises(ValueError, match=r"is_causal=True is a hint.*needs src_mask, e.g. causal_mask\(5\)"):
        layer(x, is_causal=True)
    with pytest.raises(ValueError, match="is_causal=True but src_mask is not the causal mask"):
        layer(x, src_mask=ll.causal_mask(5).T, is_causal=True)
    with pytest.raises(ValueError, match="is_causal=True but src_mask is not the causal mask"):
        layer(x, src_mask=np.zeros((5, 5)), is_causal=True)
    with pytest.raises(ValueError, match=r"MultiheadAttention expected attn_mask of shape \(5, 5\) or "
                                         r"\(6, 5, 5\), got \(4, 4\)"):
        layer(x, src_mask=np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(3, 5\), got \(5, 3\)"):
        layer(x, src_key_padding_mask=np.zeros((5, 3), bool))
    with pytest.raises(ValueError, match=r"src_key_padding_mask of shape \(5,\) for an unbatched src, "
                                         r"got \(1, 5\)"):
        layer(x[:, 0], src_key_padding_mask=np.zeros((1, 5), bool))
    with pytest.raises(RuntimeError, match=r"TransformerEncoderLayer.backward\(\) was called before forward"):
        ll.TransformerEncoderLayer(8, 2, 16).backward(x)
    layer(x)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer.backward expected a gradient of shape "
                                         r"\(5, 3, 8\)"):
        layer.backward(np.zeros((3, 5, 8)))


# -- the sinusoidal table --------------------------------------------------------------------------
def paper_table(positions, d, base=10000.0):
    """Vaswani et al., section 3.5, one entry at a time: PE(pos, 2i) = sin(pos / base^(2i/d)),
    PE(pos, 2i+1) = cos(pos / base^(2i/d))."""
    table = np.zeros((positions, d))
    for pos in range(positions):
        for col in range(d):
            i = col // 2
            angle = pos / base ** (2 * i / d)
            table[pos, col] = math.sin(angle) if col % 2 == 0 else math.cos(angle)
    return table


@pytest.mark.parametrize("positions,d,base", [(50, 16, 10000.0), (7, 5, 10000.0), (30, 1, 10000.0),
                                              (12, 6, 100.0), (1, 4, 10000.0)])
def test_sinusoidal_table_is_the_papers_formula(positions, d, base):
    table = ll.sinusoidal_positional_encoding(positions, d, base)
    assert table.shape == (positions, d)
    np.testing.assert_allclose(table, paper_table(positions, d, base), rtol=0, atol=1e-12)


def test_sinusoidal_table_shifts_by_a_rotation():
    """The paper's reason for the table: PE(pos + k) is a fixed linear map (a rotation of each
    (sin, cos) pair by angle k * frequency) of PE(pos), the same for every pos."""
    d, k = 8, 3
    table = ll.sinusoidal_positional_encoding(40, d)
    for i in range(d // 2):
        a = k / 10000 ** (2 * i / d)
        rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])  # acts on rows
        pairs = table[:, 2 * i: 2 * i + 2]
        np.testing.assert_allclose(pairs[:-k] @ rotation, pairs[k:], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(table[:, :2], axis=1), 1.0)


@pytest.mark.parametrize("batch_first,shape", [(True, (3, 7, 6)), (False, (7, 3, 6)), (True, (7, 6))])
def test_sinusoidal_encoding_adds_the_table(batch_first, shape):
    pos = ll.SinusoidalPositionalEncoding(6, max_len=20, batch_first=batch_first)
    x = np.random.default_rng(0).normal(size=shape)
    y = pos(x)
    expected = paper_table(7, 6)
    expected = expected if len(shape) == 2 else (expected[None] if batch_first else expected[:, None])
    np.testing.assert_allclose(y - x, np.broadcast_to(expected, shape), atol=1e-12)
    assert pos.num_parameters() == 0 and pos.pe.shape == (20, 6)
    errors = ll.check_gradients(pos, x, error=ll.scaled_error)
    assert errors["input"] < 1e-7 and list(errors) == ["input"]
    assert pos(x.astype(np.float32)).dtype == np.float32


# -- the learned position embedding ----------------------------------------------------------------
class TorchLearned(torch.nn.Module):
    def __init__(self, max_len, d, batch_first):
        super().__init__()
        self.embedding, self.batch_first = torch.nn.Embedding(max_len, d), batch_first

    def forward(self, x):
        table = self.embedding(torch.arange(x.shape[-2] if x.dim() == 2 or self.batch_first else x.shape[0]))
        if x.dim() == 2:
            return x + table
        return x + (table[None] if self.batch_first else table[:, None])


@pytest.mark.parametrize("batch_first,shape", [(True, (3, 7, 6)), (False, (7, 3, 6)), (True, (7, 6))])
def test_learned_positions_match_torch_and_central_differences(batch_first, shape):
    pos = ll.LearnedPositionalEmbedding(10, 6, batch_first=batch_first, rng=np.random.default_rng(1))
    x = np.random.default_rng(2).normal(size=shape)
    compare_with_torch(pos, TorchLearned(10, 6, batch_first), x, steps=2)  # torch's weights, copied
    # the scaled error: a table row's gradient is a sum over the batch, so some entries are near 0,
    # where the elementwise relative error measures only rounding (above 1e-7 for 2 of 40 inits)
    errors = ll.check_gradients(pos, x, error=ll.scaled_error)
    assert list(errors) == ["input", "embedding.weight"] and max(errors.values()) < 1e-7
    assert not pos.embedding.weight.grad[7:].any()  # positions 7-9 were not used


def test_positional_encodings_bad_input():
    pos = ll.SinusoidalPositionalEncoding(6, max_len=5)
    with pytest.raises(ValueError, match=r"SinusoidalPositionalEncoding has positions for sequences of up to "
                                         r"max_len=5, got a sequence of length 7"):
        pos(np.zeros((2, 7, 6)))
    with pytest.raises(ValueError, match=r"SinusoidalPositionalEncoding expected input of shape \(N, S, 6\) "
                                         r"\(batch_first=True\) or unbatched \(S, 6\), got \(2, 3, 4\)"):
        pos(np.zeros((2, 3, 4)))
    learned = ll.LearnedPositionalEmbedding(5, 6, batch_first=False)
    with pytest.raises(ValueError, match=r"LearnedPositionalEmbedding expected input of shape \(S, N, 6\)"):
        learned(np.zeros(6))
    with pytest.raises(ValueError, match="max_len=5, got a sequence of length 6"):
        learned(np.zeros((6, 1, 6)))
    with pytest.raises(TypeError, match="LearnedPositionalEmbedding expected a floating-point input"):
        learned(np.zeros((3, 1, 6), dtype=int))
    with pytest.raises(ValueError, match="sinusoidal_positional_encoding expected base > 1, got 1"):
        ll.sinusoidal_positional_encoding(4, 4, base=1)
    with pytest.raises(ValueError, match="SinusoidalPositionalEncoding expected d_model >= 1, got 0"):
        ll.SinusoidalPositionalEncoding(0)
    with pytest.raises(TypeError, match="LearnedPositionalEmbedding expected batch_first to be True or "
                                        "False, got None"):
        ll.LearnedPositionalEmbedding(5, 6, batch_first=None)
    learned(np.zeros((3, 2, 6)))
    with pytest.raises(ValueError, match=r"LearnedPositionalEmbedding.backward expected a gradient of shape "
                                         r"\(3, 2, 6\)"):
        learned.backward(np.zeros((2, 3, 6)))
