"""The core: Module, Parameter, Sequential and the gradient checker, exercised through real layers,
plus an end-to-end CNN block against its torch.nn.Sequential twin."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_compare import assert_close, compare_with_torch

import layers_lib as ll


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def mlp_pair():
    rng = np.random.default_rng(0)
    mine = ll.Sequential(ll.Linear(4, 8, rng=rng), ll.ReLU(), ll.BatchNorm1d(8), ll.Dropout(0.1, rng=rng),
                         ll.Sequential(ll.Linear(8, 3, rng=rng), ll.Tanh()), ll.LayerNorm(3))
    nn = torch.nn
    twin = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Dropout(0.1),
                         nn.Sequential(nn.Linear(8, 3), nn.Tanh()), nn.LayerNorm(3))
    return mine, twin


# -- names, shapes and modes ----------------------------------------------------------------------
def test_named_parameters_match_torch_sequential():
    mine, twin = mlp_pair()
    names = [n for n, _ in mine.named_parameters()]
    assert names == [n for n, _ in twin.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.0.weight", "4.0.bias", "5.weight",
                     "5.bias"]
    for (_, p), (_, tp) in zip(mine.named_parameters(), twin.named_parameters(), strict=True):
        assert isinstance(p, ll.Parameter) and p.shape == tuple(tp.shape)
    assert mine.num_parameters() == sum(p.numel() for p in twin.parameters())
    emb = ll.Sequential(ll.Embedding(10, 4), ll.Flatten(), ll.Linear(12, 2))
    temb = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(), torch.nn.Linear(12, 2))
    assert [n for n, _ in emb.named_parameters()] == [n for n, _ in temb.named_parameters()]


def test_sequential_with_weights_copied_from_torch_gives_torchs_result():
    mine, twin = mlp_pair()
    mine[3].p = 0.0  # dropout's masks cannot match torch's generator: switch it off on both sides
    twin[3].p = 0.0
    x = normal(6, 4, seed=1)
    compare_with_torch(mine, twin, x, steps=2)
    assert_close(mine[2].running_mean, twin[2].running_mean.numpy(), "running_mean")
    assert_close(mine[2].running_var, twin[2].running_var.numpy(), "running_var")
    compare_with_torch(mine, twin, x, train=False)


def test_train_eval_propagate_to_every_descendant():
    mine, _ = mlp_pair()
    modules = [m for _, m in mine.named_modules()]
    assert len(modules) == 9 and all(m.training for m in modules)
    assert mine.eval() is mine
    assert not any(m.training for m in modules)
    mine[4].train()
    assert mine[4][0].training and mine[4][1].training and not mine[0].training and not mine.training
    assert mine.train() is mine and all(m.training for m in modules)
    mine.train(False)
    assert not any(m.training for m in modules)
    with pytest.raises(TypeError, match="expected a bool"):
        mine.train("yes")
    # modes change behaviour: dropout is the identity and batch norm uses running stats in eval
    x = normal(5, 4)
    np.testing.assert_array_equal(mine(x), mine(x))


def test_zero_grad_resets_every_parameter():
    mine, _ = mlp_pair()
    y = mine(normal(6, 4))
    mine.backward(normal(*y.shape, seed=2))
    assert all(np.any(p.grad != 0) for p in mine.parameters())
    shapes = [p.grad.shape for p in mine.parameters()]
    mine.zero_grad()
    assert all(np.all(p.grad == 0) for p in mine.parameters())
    assert [p.grad.shape for p in mine.parameters()] == shapes


def test_sequential_indexing_and_slicing():
    mine, _ = mlp_pair()
    layers = list(mine)
    assert len(mine) == 6 and mine[0] is layers[0] and mine[-1] is layers[-1]
    head = mine[:2]
    assert isinstance(head, ll.Sequential) and len(head) == 2
    assert head[0] is mine[0] and head[1] is mine[1]  # a slice shares the modules
    assert [n for n, _ in mine[2:4].named_parameters()] == ["0.weight", "0.bias"]  # renumbered
    x = normal(6, 4)
    mine.eval()
    np.testing.assert_allclose(mine[2:](mine[:2](x)), mine(x))
    assert isinstance(mine[::2], ll.Sequential) and len(mine[::2]) == 3
    with pytest.raises(IndexError):
        mine[6]
    with pytest.raises(TypeError, match="Sequential expected Module arguments, got ndarray at position 1"):
        ll.Sequential(ll.ReLU(), np.ones(3))


def test_summary_table_contents_and_restored_state():
    rng = np.random.default_rng(0)
    net = ll.Sequential(ll.Linear(4, 8, rng=rng), ll.ReLU(), ll.BatchNorm1d(8), ll.Dropout(0.5, rng=rng),
                        ll.Linear(8, 2, rng=rng))
    net[4].eval()
    running = net[2].running_mean.copy()
    text = net.summary((32, 4))
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "Output", "shape", "Params"]
    body = [line for line in lines if line[:2] in ("in", "0 ", "1 ", "2 ", "3 ", "4 ")]
    assert body[0].split() == ["input", "32×4", "0"]
    expected = [("0", "Linear(in_features=4,", "32×8", "40"), ("1", "ReLU()", "32×8", "0"),
                ("2", "BatchNorm1d(8,", "32×8", "16"), ("3", "Dropout(p=0.5)", "32×8", "0"),
                ("4", "Linear(in_features=8,", "32×2", "18")]
    for line, (index, name, shape, params) in zip(body[1:], expected, strict=True):
        words = line.split()
        assert words[0] == index and words[1] == name and words[-2:] == [shape, params], line
    assert lines[-1] == "Total parameters: 74"
    # one forward pass in eval mode, then the previous modes come back; no statistics change
    assert [m.training for m in net] == [True, True, True, True, False]
    np.testing.assert_array_equal(net[2].running_mean, running)
    assert net[2].num_batches_tracked == 0 and net[3].mask is None


# -- backward before forward, and the gradient checker ------------------------------------------
LAYERS = [
    (lambda: ll.Linear(3, 2), (4, 2)), (ll.ReLU, (3,)), (ll.LeakyReLU, (3,)), (ll.Sigmoid, (3,)),
    (ll.Tanh, (3,)), (ll.GELU, (3,)), (lambda: ll.Softmax(-1), (3,)), (lambda: ll.LogSoftmax(0), (3,)),
    (ll.Flatten, (2, 3)), (lambda: ll.BatchNorm1d(3), (4, 3)), (lambda: ll.BatchNorm2d(3), (2, 3, 2, 2)),
    (lambda: ll.LayerNorm(3), (2, 3)), (lambda: ll.GroupNorm(1, 3), (2, 3)), (ll.Dropout, (3,)),
    (ll.Dropout2d, (2, 3, 2, 2)), (lambda: ll.Embedding(5, 3), (2, 3)),
    (lambda: ll.Sequential(ll.Linear(3, 2), ll.ReLU()), (4, 2)),
]


@pytest.mark.parametrize("make,dy_shape", LAYERS)
def test_backward_before_forward_raises(make, dy_shape):
    layer = make()
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.ones(dy_shape))


@pytest.mark.parametrize("crit", [ll.CrossEntropyLoss(), ll.MSELoss()])
def test_loss_backward_before_forward_raises(crit):
    with pytest.raises(RuntimeError, match="before forward"):
        crit.backward()


def test_gradcheck_catches_a_wrong_backward():
    class BrokenLinear(ll.Linear):
        """Wrong on purpose: the weight gradient uses only the first example of the batch."""

        def backward(self, dy):
            dx = super().backward(dy)
            x = self._cache[0]
            self.weight.grad = dy[:1].T @ x[:1]
            return dx

    class SwappedBias(ll.Linear):
        """Wrong on purpose: the bias gradient averages instead of summing over the batch."""

        def backward(self, dy):
            dx = super().backward(dy)
            self.bias.grad = dy.mean(axis=0)
            return dx

    x = normal(4, 5, seed=1)
    good = ll.check_gradients(ll.Linear(5, 3, rng=np.random.default_rng(0)), x)
    assert max(good.values()) < 1e-7
    broken = ll.check_gradients(BrokenLinear(5, 3, rng=np.random.default_rng(0)), x)
    assert broken["weight"] > 1e-2 and broken["input"] < 1e-7 and broken["bias"] < 1e-7
    swapped = ll.check_gradients(SwappedBias(5, 3, rng=np.random.default_rng(0)), x)
    assert swapped["bias"] > 1e-2 and swapped["weight"] < 1e-7


def test_gradcheck_needs_a_random_upstream_gradient():
    class ForgotVarianceTerm(ll.BatchNorm1d):
        """Wrong on purpose: drops the path through the batch variance."""

        def backward(self, dy):
            super().backward(dy)
            x = self._cache.x
            return self.weight.data / np.sqrt(x.var(axis=0) + self.eps) * (dy - dy.mean(axis=0))

    x = normal(6, 3, seed=2)
    ones = np.ones((6, 3))
    buggy = ForgotVarianceTerm(3)
    buggy(x)
    numeric = ll.numerical_gradient(lambda: float(np.sum(buggy(x) * ones)), x)
    buggy(x)
    # fooled: with dy = 1 the true gradient is 0, and so is the buggy one (up to rounding noise)
    np.testing.assert_allclose(buggy.backward(ones), numeric, atol=1e-8)
    assert ll.check_gradients(ForgotVarianceTerm(3), x)["input"] > 1e-2  # caught
    assert ll.check_gradients(ll.BatchNorm1d(3), x)["input"] < 1e-6


def test_gradcheck_through_a_sequential():
    net = ll.Sequential(ll.Linear(3, 6, rng=np.random.default_rng(1)), ll.Tanh(), ll.LayerNorm(6),
                        ll.Linear(6, 2, rng=np.random.default_rng(2)), ll.Sigmoid())
    errors = ll.check_gradients(net, normal(5, 3, seed=3))
    assert set(errors) == {"input", "0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"}
    assert max(errors.values()) < 1e-6, errors


# -- an end-to-end CNN block ----------------------------------------------------------------------
class TorchMaskedDropout(torch.nn.Module):
    def __init__(self, mask, p):
        super().__init__()
        self.mask, self.p = torch.tensor(mask), p

    def forward(self, x):
        return x * self.mask / (1 - self.p)


def cnn_block(seed=0, p=0.3):
    rng = np.random.default_rng(seed)
    return ll.Sequential(ll.Conv2d(2, 3, 3, padding=1, rng=rng), ll.ReLU(), ll.MaxPool2d(2),
                         ll.BatchNorm2d(3), ll.Dropout(p, rng=np.random.default_rng(seed + 1)), ll.Flatten(),
                         ll.Linear(3 * 4 * 4, 5, rng=rng))


def test_cnn_block_matches_torch_end_to_end():
    p = 0.3
    net = cnn_block(seed=0, p=p)
    mask = np.random.default_rng(1).random((4, 3, 4, 4)) >= p  # the mask net[4] will draw
    twin = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.BatchNorm2d(3), TorchMaskedDropout(mask, p), torch.nn.Flatten(),
                               torch.nn.Linear(3 * 4 * 4, 5))
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight",
                                                       "6.bias"]
    x = normal(4, 2, 8, 8, seed=3)
    y = compare_with_torch(net, twin, x)
    assert y.shape == (4, 5)
    assert_close(net[3].running_mean, twin[3].running_mean.numpy(), "running_mean")
    assert_close(net[3].running_var, twin[3].running_var.numpy(), "running_var")
    # evaluation: dropout is the identity, batch norm uses the running statistics
    twin[4].mask, twin[4].p = torch.ones(1), 0.0
    compare_with_torch(net, twin, x, train=False)
    summary = net.summary((4, 2, 8, 8))
    assert "4×3×4×4" in summary and "4×48" in summary and summary.endswith(f"{net.num_parameters():,}")


def test_cnn_block_gradcheck_in_training_mode():
    class FixedMaskDropout(ll.Dropout):
        def forward(self, x):
            self.rng = np.random.default_rng(9)
            return super().forward(x)

    net = cnn_block(seed=4)
    net = ll.Sequential(*net[:4], FixedMaskDropout(0.3), *net[5:])
    errors = ll.check_gradients(net, normal(2, 2, 8, 8, seed=5))
    assert max(errors.values()) < 1e-5, errors


# -- the contract: each pure core hands its backward one NamedTuple, and its layer keeps it unwrapped -----
def _x(*shape):
    return normal(*shape, seed=7)


CORES = [  # (core forward call, its cache type, the layer built on it, the layer's input)
    (lambda: ll.linear_forward(_x(2, 3), _x(4, 3), None), ll.LinearCache,
     lambda: ll.Linear(3, 4), _x(2, 3)),
    (lambda: ll.maxpool2d_forward(_x(1, 2, 4, 4), 2), ll.MaxPool2dCache,
     lambda: ll.MaxPool2d(2), _x(2, 4, 4)),
    (lambda: ll.avgpool2d_forward(_x(1, 2, 4, 4), 2), ll.AvgPool2dCache,
     lambda: ll.AvgPool2d(2), _x(1, 2, 4, 4)),
    (lambda: ll.adaptive_avgpool2d_forward(_x(1, 2, 5, 4), 3), ll.AdaptiveAvgPool2dCache,
     lambda: ll.AdaptiveAvgPool2d(3), _x(1, 2, 5, 4)),
    (lambda: ll.dropout_forward(_x(2, 3), _x(2, 3) > 0, 0.5), ll.DropoutCache,
     lambda: ll.Dropout(0.5, rng=np.random.default_rng(0)), _x(2, 3)),
    (lambda: ll.embedding_forward(np.array([1, 0]), _x(3, 2)), ll.EmbeddingCache,
     lambda: ll.Embedding(3, 2), np.array([1, 0])),
    (lambda: ll.mse_forward(_x(3), _x(3)), ll.MSECache, None, None),
    (lambda: ll.nll_forward(_x(2, 3), np.array([0, 2])), ll.NLLCache, None, None),
    (lambda: ll.cross_entropy_forward(_x(2, 3), np.array([0, 2])), ll.CrossEntropyCache, None, None),
    (lambda: ll.bce_with_logits_forward(_x(3), np.ones(3)), ll.BCEWithLogitsCache, None, None),
]


@pytest.mark.parametrize("core, cache_type, make, x", CORES, ids=lambda v: getattr(v, "__name__", ""))
def test_each_pure_core_returns_its_named_cache_and_the_layer_keeps_it(core, cache_type, make, x):
    out, cache = core()
    assert type(cache) is cache_type and isinstance(cache, tuple) and cache._fields
    if make is not None:
        layer = make()
        layer(x)
        assert type(layer._cache) is cache_type  # not re-wrapped in a tuple of the layer's own


def test_attention_cores_return_their_named_caches():
    q, k, v = _x(2, 3, 4), _x(2, 5, 4), _x(2, 5, 2)
    _, _, cache = ll.scaled_dot_product_attention_forward(q, k, v)
    assert type(cache) is ll.AttentionCache and cache.scale == 0.5 and cache.q is q
    mha = ll.MultiheadAttention(4, 2, rng=np.random.default_rng(0))
    mha(q, q, q)
    assert type(mha._cache) is ll.MultiheadAttentionCache and type(mha._cache.attention) is ll.AttentionCache
    assert mha._cache.num_heads == 2 and mha._cache.need_weights and not mha._cache.average_attn_weights
