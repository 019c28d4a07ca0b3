"""Dropout, Dropout2d and Embedding.

PyTorch draws its dropout masks from its own generator, so parity is tested by giving the torch
side the very mask layers_lib will draw (a twin module computing ``x * mask / (1 - p)`` in torch,
differentiated by autograd), plus statistical checks of the masks themselves."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import compare_with_torch

import layers_lib as ll

FUZZ = settings(max_examples=40, deadline=None)


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


class TorchMaskedDropout(torch.nn.Module):
    """What torch's (inverted) dropout computes, with a mask we choose."""

    def __init__(self, mask: np.ndarray, p: float):
        super().__init__()
        self.mask, self.p = torch.tensor(mask), p

    def forward(self, x):
        return x * self.mask / (1 - self.p)


def upcoming_mask(seed: int, shape, p: float) -> np.ndarray:
    """The keep-mask a layer seeded with ``seed`` will draw first."""
    return np.random.default_rng(seed).random(shape) >= p


# -- Dropout --------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4, 5), (7,)])
def test_dropout_matches_torch_given_the_same_mask(p, shape):
    layer = ll.Dropout(p, rng=np.random.default_rng(7))
    mask = upcoming_mask(7, shape, p) if p > 0 else np.ones(shape, bool)
    y = compare_with_torch(layer, TorchMaskedDropout(mask, p), normal(*shape, seed=1))
    if p > 0:
        np.testing.assert_array_equal(layer.mask, mask)
    assert y.shape == shape


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout2d_matches_torch_given_the_same_mask(p):
    shape = (3, 4, 5, 6)
    layer = ll.Dropout2d(p, rng=np.random.default_rng(3))
    mask = upcoming_mask(3, (3, 4, 1, 1), p)
    compare_with_torch(layer, TorchMaskedDropout(mask, p), normal(*shape, seed=2))
    assert layer.mask.shape == (3, 4, 1, 1)
    np.testing.assert_array_equal(layer.mask, mask)


def test_dropout_eval_is_the_identity_like_torch():
    x = normal(4, 5)
    for layer, twin in [(ll.Dropout(0.5), torch.nn.Dropout(0.5)),
                        (ll.Dropout2d(0.3), torch.nn.Dropout2d(0.3))]:
        x4 = x.reshape(1, 4, 5, 1) if isinstance(layer, ll.Dropout2d) else x
        compare_with_torch(layer, twin, x4, train=False)
        np.testing.assert_array_equal(layer(x4), x4)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    layer = ll.Dropout(p, rng=np.random.default_rng(0))
    x = np.ones((400, 500))
    y = layer(x)
    kept = np.mean(y != 0)
    assert abs(kept - (1 - p)) < 0.01  # 200,000 draws: the standard error is ~0.001
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout preserves the mean
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / (1 - p)])
    np.testing.assert_array_equal(y != 0, layer.mask)
    # torch's dropout has the same statistics
    yt = torch.nn.functional.dropout(torch.ones(400, 500, dtype=torch.float64), p)
    assert abs(float((yt != 0).double().mean()) - kept) < 0.02


def test_dropout2d_statistics_and_whole_channels():
    layer = ll.Dropout2d(0.25, rng=np.random.default_rng(1))
    y = layer(np.ones((200, 50, 3, 3)))
    per_channel = y.reshape(200, 50, 9)
    assert np.all((per_channel == 0).all(axis=2) | (per_channel != 0).all(axis=2))
    assert abs(np.mean(per_channel[..., 0] != 0) - 0.75) < 0.02
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_backward_reuses_the_mask_and_new_forward_draws_a_new_one():
    layer = ll.Dropout(0.5, rng=np.random.default_rng(0))
    x, dy = normal(6, 8), normal(6, 8, seed=1)
    y = layer(x)
    dx = layer.backward(dy)
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_allclose(dx, dy * layer.mask * 2)
    first = layer.mask.copy()
    layer(x)
    assert not np.array_equal(first, layer.mask)


def test_dropout_gradcheck_with_a_fixed_mask():
    class FixedMaskDropout(ll.Dropout):
        def forward(self, x):
            self.rng = np.random.default_rng(5)  # the same mask on every call
            return super().forward(x)

    for layer in (FixedMaskDropout(0.3), ll.Dropout(0.3).eval()):
        assert ll.check_gradients(layer, normal(4, 5))["input"] < 1e-7


def test_dropout_bad_input():
    for p in (-0.1, 1.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"Dropout expected the drop probability p in \[0, 1\)"):
            ll.Dropout(p)
    with pytest.raises(ValueError, match="divide by 1 - p = 0"):
        ll.Dropout2d(1)
    for p in ("0.5", None, True):
        with pytest.raises(TypeError, match="p to be a number"):
            ll.Dropout(p)
    with pytest.raises(TypeError, match="Generator"):
        ll.Dropout(0.5, rng=42)
    with pytest.raises(ValueError, match=r"Dropout2d expected input of shape \(N, C, H, W\), "
                                         r"got \(3, 4, 5\)"):
        ll.Dropout2d()(np.ones((3, 4, 5)))
    with pytest.raises(TypeError, match="Dropout expected a floating-point input, got dtype int64"):
        ll.Dropout()(np.ones(3, dtype=np.int64))
    for layer in (ll.Dropout(), ll.Dropout2d()):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((2, 2, 2, 2)))
        layer(np.ones((2, 2, 2, 2)))
        with pytest.raises(ValueError, match=r"backward expected a gradient of shape \(2, 2, 2, 2\)"):
            layer.backward(np.ones((2, 2, 2)))
        layer.eval()(np.ones((2, 2, 2, 2)))
        with pytest.raises(ValueError, match="backward expected a gradient"):
            layer.backward(np.ones((2, 2)))
    assert repr(ll.Dropout(0.2)) == "Dropout(p=0.2)"


@FUZZ
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=5), p=st.floats(-0.5, 1.5),
       two_d=st.booleans(), seed=st.integers(0, 100))
def test_dropout_fuzz(shape, p, two_d, seed):
    cls = ll.Dropout2d if two_d else ll.Dropout
    if not 0 <= p < 1:
        with pytest.raises(ValueError):
            cls(p)
        return
    layer, x = cls(p, rng=np.random.default_rng(seed)), normal(*shape)
    if two_d and x.ndim != 4:
        with pytest.raises(ValueError, match="Dropout2d expected"):
            layer(x)
        return
    mask_shape = x.shape[:2] + (1, 1) if two_d else x.shape
    mask = upcoming_mask(seed, mask_shape, p) if p > 0 else np.ones(mask_shape, bool)
    compare_with_torch(layer, TorchMaskedDropout(mask, p), x)


# -- Embedding ------------------------------------------------------------------------------------
@pytest.mark.parametrize("num,dim,padding_idx", [(10, 3, None), (10, 3, 0), (7, 4, -1), (1, 1, None)])
@pytest.mark.parametrize("ids_shape", [(5,), (3, 4), (2, 3, 2)])
def test_embedding_matches_torch(num, dim, padding_idx, ids_shape):
    ids = np.random.default_rng(1).integers(0, num, size=ids_shape)
    ids.reshape(-1)[:2] = num - 1  # a repeated id, and the padding id when it is -1
    if padding_idx == 0:
        ids.reshape(-1)[-1] = 0
    layer = ll.Embedding(num, dim, padding_idx=padding_idx)
    twin = torch.nn.Embedding(num, dim, padding_idx=padding_idx)
    compare_with_torch(layer, twin, ids, input_grad=False, steps=2)


def test_embedding_gradient_accumulates_repeats_and_skips_padding():
    emb = ll.Embedding(6, 2, padding_idx=1, rng=np.random.default_rng(0))
    ids = np.array([[3, 1, 3], [3, 0, 1]])
    dy = normal(2, 3, 2, seed=4)
    emb(ids)
    assert emb.backward(dy) is None  # integer indices have no gradient
    dense = np.zeros((6, 2))
    np.add.at(dense, ids.reshape(-1), dy.reshape(-1, 2))
    dense[1] = 0
    np.testing.assert_allclose(emb.weight.grad, dense)
    np.testing.assert_allclose(emb.weight.grad[3], dy[0, 0] + dy[0, 2] + dy[1, 0])
    emb(ids)
    emb.backward(dy)
    np.testing.assert_allclose(emb.weight.grad, 2 * dense)  # accumulates across calls


def test_embedding_gradcheck():
    emb = ll.Embedding(5, 3, padding_idx=2, rng=np.random.default_rng(1))
    ids = np.array([[0, 4, 4], [2, 1, 0]])
    dy = normal(2, 3, 3, seed=2)
    emb(ids)
    emb.backward(dy)

    def loss():
        return float(np.sum(emb(ids) * dy))

    numeric = ll.numerical_gradient(loss, emb.weight.data)
    numeric[2] = 0  # the padding row is frozen by definition
    assert ll.rel_error(emb.weight.grad, numeric) < 1e-7


def test_embedding_init_like_torch():
    emb = ll.Embedding(2000, 50, padding_idx=3, rng=np.random.default_rng(0))
    w = emb.weight.data
    np.testing.assert_array_equal(w[3], 0)
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # N(0, 1)
    np.testing.assert_array_equal(ll.Embedding(4, 2, rng=np.random.default_rng(5)).weight.data,
                                  ll.Embedding(4, 2, rng=np.random.default_rng(5)).weight.data)
    assert ll.Embedding(4, 2, dtype=np.float32).weight.data.dtype == np.float32
    assert repr(emb) == "Embedding(2000, 50, padding_idx=3)"
    assert emb(np.array([1, 2])).dtype == np.float64


def test_embedding_bad_input():
    emb = ll.Embedding(5, 2)
    with pytest.raises(TypeError, match="Embedding expected integer indices, got dtype float64"):
        emb(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="got dtype bool"):
        emb(np.array([True, False]))
    with pytest.raises(ValueError, match=r"Embedding\(5, 2\) expected indices in \[0, 4\], got 5"):
        emb(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="got -1"):
        emb([1, -1])
    with pytest.raises(RuntimeError, match="before forward"):
        ll.Embedding(5, 2).backward(np.ones((2, 2)))
    emb([1, 2])
    with pytest.raises(ValueError, match=r"Embedding.backward expected a gradient of shape \(2, 2\)"):
        emb.backward(np.ones((2, 3)))
    for bad in (5, -6):
        with pytest.raises(ValueError, match="padding_idx"):
            ll.Embedding(5, 2, padding_idx=bad)
    with pytest.raises(TypeError, match="padding_idx"):
        ll.Embedding(5, 2, padding_idx=1.0)
    with pytest.raises(TypeError):
        ll.Embedding(5, 2.5)
    with pytest.raises(TypeError, match="floating-point dtype"):
        ll.Embedding(5, 2, dtype=np.int64)


@FUZZ
@given(num=st.integers(1, 6), dim=st.integers(1, 3), shape=st.lists(st.integers(0, 4), max_size=3),
       low=st.integers(-2, 0), high=st.integers(1, 8), padding=st.booleans())
def test_embedding_fuzz(num, dim, shape, low, high, padding):
    ids = np.random.default_rng(0).integers(low, high, size=shape)
    padding_idx = num - 1 if padding else None
    layer = ll.Embedding(num, dim, padding_idx=padding_idx)
    if ids.size and (ids.min() < 0 or ids.max() >= num):
        with pytest.raises(ValueError, match="Embedding.* expected indices in"):
            layer(ids)
        return
    twin = torch.nn.Embedding(num, dim, padding_idx=padding_idx)
    y = compare_with_torch(layer, twin, ids, input_grad=False)
    assert y.shape == tuple(shape) + (dim,)
