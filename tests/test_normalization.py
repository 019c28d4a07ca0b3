"""BatchNorm1d/2d, LayerNorm, GroupNorm: PyTorch parity (outputs, every gradient, running
statistics), central differences, the step-by-step reference backward, bad input, fuzzing."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import assert_close, compare_with_torch

import layers_lib as ll
from layers_lib.normalization import (
    batchnorm_backward,
    batchnorm_backward_reference,
    batchnorm_forward,
)
from layers_lib.normalization_fast import _batchnorm_images_forward, _ImageBatchNormCache

FUZZ = settings(max_examples=40, deadline=None)


def normal(*shape, seed=0, loc=0.0, scale=1.0):
    return np.random.default_rng(seed).normal(loc, scale, size=shape)


def randomize_(torch_module, seed=0):
    """Random (not ones/zeros) affine parameters, so a wrong gamma/beta path cannot hide."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in torch_module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))
    return torch_module


def scaled_gradient_errors(module, x, seed=0) -> dict[str, float]:
    """Central differences against ``backward``, measured against the gradient's scale."""
    return ll.check_gradients(module, x, seed=seed, error=ll.scaled_error)


# -- BatchNorm ------------------------------------------------------------------------------------
BN_CASES = [
    (ll.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    (ll.BatchNorm1d, torch.nn.BatchNorm1d, (2, 1)),
    (ll.BatchNorm1d, torch.nn.BatchNorm1d, (4, 5, 7)),
    (ll.BatchNorm1d, torch.nn.BatchNorm1d, (1, 2, 3)),  # one sample, 3 values per channel
    (ll.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 6)),
    (ll.BatchNorm2d, torch.nn.BatchNorm2d, (1, 2, 1, 2)),
]


@pytest.mark.parametrize("ll_cls,t_cls,shape", BN_CASES)
@pytest.mark.parametrize("kwargs", [
    {},
    {"momentum": 0.3, "eps": 1e-3},
    {"momentum": None},
    {"affine": False},
    {"track_running_stats": False},
])
def test_batchnorm_train_matches_torch(ll_cls, t_cls, shape, kwargs):
    c = shape[1]
    x = normal(*shape, seed=sum(shape), loc=2.0, scale=3.0)
    layer = ll_cls(c, **kwargs)
    twin = randomize_(t_cls(c, **kwargs).double(), seed=c)
    compare_with_torch(layer, twin, x, steps=3)
    if layer.track_running_stats:
        assert layer.num_batches_tracked == int(twin.num_batches_tracked) == 3
    else:
        assert layer.running_mean is None and layer.running_var is None


@pytest.mark.parametrize("ll_cls,t_cls,shape", BN_CASES)
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_eval_matches_torch(ll_cls, t_cls, shape, affine):
    c = shape[1]
    layer = ll_cls(c, affine=affine)
    twin = randomize_(t_cls(c, affine=affine).double(), seed=1)
    mean, var = normal(c, seed=2), normal(c, seed=3) ** 2 + 0.5
    layer.running_mean[...] = mean
    layer.running_var[...] = var
    with torch.no_grad():
        twin.running_mean.copy_(torch.tensor(mean))
        twin.running_var.copy_(torch.tensor(var))
    compare_with_torch(layer, twin, normal(*shape, seed=4), train=False, steps=2)
    np.testing.assert_array_equal(layer.running_mean, mean)  # evaluation never updates them
    assert layer.num_batches_tracked == 0


def test_batchnorm_running_statistics_conventions():
    bn = ll.BatchNorm1d(2, momentum=0.1)
    x = normal(6, 2, seed=1, loc=5.0)
    bn(x)
    np.testing.assert_allclose(bn.running_mean, 0.9 * 0 + 0.1 * x.mean(axis=0))  # weights the NEW batch
    np.testing.assert_allclose(bn.running_var, 0.9 * 1 + 0.1 * x.var(axis=0, ddof=1))  # unbiased
    cumulative = ll.BatchNorm1d(2, momentum=None)
    batches = [normal(5, 2, seed=s) for s in range(4)]
    for b in batches:
        cumulative(b)
    np.testing.assert_allclose(cumulative.running_mean, np.mean([b.mean(axis=0) for b in batches], axis=0))
    assert cumulative.num_batches_tracked == 4
    assert isinstance(bn.running_mean, np.ndarray) and not isinstance(bn.running_mean, ll.Parameter)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_var, [1.0, 1.0])
    assert bn.num_batches_tracked == 0
    assert repr(bn) == "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 4, 5)])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_gradcheck(shape, train, affine):
    layer = (ll.BatchNorm1d if len(shape) < 4 else ll.BatchNorm2d)(3, affine=affine)
    if affine:
        layer.weight.data = normal(3, seed=1)
        layer.bias.data = normal(3, seed=2)
    layer.running_mean[...] = normal(3, seed=3)
    layer.running_var[...] = normal(3, seed=4) ** 2 + 0.1
    layer.train(train)
    x = normal(*shape, seed=5, loc=1.0, scale=2.0)
    errors = scaled_gradient_errors(layer, x)
    assert max(errors.values()) < 1e-8, errors
    assert max(ll.check_gradients(layer, x).values()) < 1e-5


@pytest.mark.parametrize("shape", [(7, 4), (3, 4, 5), (2, 4, 3, 3), (1, 4, 1, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_reference_backward_equals_fast(shape, affine):
    x, dy = normal(*shape, seed=1, scale=4.0), normal(*shape, seed=2)
    weight = normal(shape[1], seed=3) if affine else None
    _, cache = batchnorm_forward(x, weight, normal(shape[1], seed=4) if affine else None, 1e-5)
    fast = batchnorm_backward(dy, cache)
    reference = batchnorm_backward_reference(dy, cache)
    for f, r in zip(fast, reference, strict=True):
        if f is None:
            assert r is None
        else:
            np.testing.assert_allclose(f, r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3, 4, 6), (1, 2, 3, 3), (9, 4, 1, 1), (3, 2, 7)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("threads,block_bytes", [(1, 1 << 19), (2, 1), (3, 200)])
def test_batchnorm2d_blocked_core_equals_the_readable_one(shape, affine, threads, block_bytes, monkeypatch):
    """BatchNorm2d's training mode runs _batchnorm_images_forward/_backward (blocks of samples split
    between threads); they must give the numbers of batchnorm_forward and batchnorm_backward,
    whatever the block size and thread count."""
    from layers_lib import module
    from layers_lib import normalization_fast as nm

    monkeypatch.setattr(module, "_THREADS", threads)
    monkeypatch.setattr(nm, "_BLOCK_BYTES", block_bytes)
    x, dy = normal(*shape, seed=1, loc=3.0, scale=4.0), normal(*shape, seed=2)
    weight, bias = (normal(shape[1], seed=3), normal(shape[1], seed=4)) if affine else (None, None)
    y_ref, cache_ref = batchnorm_forward(x, weight, bias, 1e-5)
    y, cache = nm._batchnorm_images_forward(x, weight, bias, 1e-5)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cache.mean, cache_ref.mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.var, cache_ref.var, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.x_hat.reshape(shape), cache_ref.x_hat, rtol=1e-12, atol=1e-12)
    for got, want in zip(nm._batchnorm_images_backward(dy, cache), batchnorm_backward(dy, cache_ref),
                         strict=True):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_batchnorm2d_layer_runs_the_blocked_core_and_updates_running_stats():
    rng = np.random.default_rng(5)
    x = rng.normal(2.0, 3.0, size=(4, 3, 5, 5))
    bn, twin = ll.BatchNorm2d(3), randomize_(torch.nn.BatchNorm2d(3, dtype=torch.float64))
    bn.weight.data[...] = twin.weight.detach().numpy()
    bn.bias.data[...] = twin.bias.detach().numpy()
    for _ in range(2):
        y = bn(x)
        assert type(bn._cache) is _ImageBatchNormCache  # the blocked core's cache, kept unwrapped
        np.testing.assert_allclose(y, twin(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, twin.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, twin.running_var.numpy(), rtol=1e-12)
    assert bn.num_batches_tracked == int(twin.num_batches_tracked)


def test_batchnorm2d_variance_of_data_with_a_large_mean_in_float32():
    """The blocked core centres each block before squaring (two passes): E[x^2] - E[x]^2 in float32
    would lose every digit here (mean 1e4, standard deviation 0.5)."""
    x64 = normal(8, 2, 6, 6, seed=6, loc=1e4, scale=0.5)
    y, cache = _batchnorm_images_forward(x64.astype(np.float32), None, None, 1e-5)
    np.testing.assert_allclose(cache.var, x64.var(axis=(0, 2, 3)), rtol=1e-3)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1.0, rtol=1e-3)


def test_all_ones_upstream_gradient_gives_zero_input_gradient():
    # Why the tests never use dy = 1: every channel's outputs sum to N * beta whatever x is.
    bn = ll.BatchNorm1d(3)
    bn(normal(6, 3))
    np.testing.assert_allclose(bn.backward(np.ones((6, 3))), 0, atol=1e-12)


def test_batchnorm_one_value_per_channel_raises_like_torch():
    for layer, twin, shape in [(ll.BatchNorm1d(3), torch.nn.BatchNorm1d(3), (1, 3)),
                               (ll.BatchNorm1d(3), torch.nn.BatchNorm1d(3), (1, 3, 1)),
                               (ll.BatchNorm2d(3), torch.nn.BatchNorm2d(3), (1, 3, 1, 1)),
                               (ll.BatchNorm1d(3, track_running_stats=False).eval(),
                                torch.nn.BatchNorm1d(3, track_running_stats=False).eval(), (1, 3))]:
        with pytest.raises(ValueError, match="more than 1 value per channel when training"):
            twin(torch.zeros(shape))
        with pytest.raises(ValueError, match=r"more than 1 value per channel when training.*variance"):
            layer(np.zeros(shape))
    bn = ll.BatchNorm1d(3).eval()
    assert bn(np.ones((1, 3))).shape == (1, 3)  # evaluation mode uses the running statistics


def test_batchnorm_bad_input():
    bn1, bn2 = ll.BatchNorm1d(3), ll.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) expected input of shape \(N, 3\) or "
                                         r"\(N, 3, L\), got \(4, 5\)"):
        bn1(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) expected .* got \(2, 3, 4, 5\)"):
        bn1(np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expected input of shape \(N, 3, H, W\), "
                                         r"got \(2, 3, 4\)"):
        bn2(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"got \(2, 4, 4, 4\)"):
        bn2(np.ones((2, 4, 4, 4)))
    with pytest.raises(TypeError, match="BatchNorm2d expected a floating-point input, got dtype int64"):
        bn2(np.ones((2, 3, 4, 4), dtype=np.int64))
    with pytest.raises(RuntimeError, match="before forward"):
        bn2.backward(np.ones((2, 3, 4, 4)))
    bn2(normal(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d.backward expected a gradient of shape \(2, 3, 4, 4\)"):
        bn2.backward(np.ones((2, 3, 4)))
    bn2.eval()(normal(2, 3, 4, 4))
    with pytest.raises(ValueError, match="BatchNorm2d.backward expected"):
        bn2.backward(np.ones((2, 3, 4)))
    for bad, err in [({"num_features": 0}, ValueError), ({"num_features": 2.0}, TypeError),
                     ({"num_features": 2, "momentum": 1.5}, ValueError),
                     ({"num_features": 2, "eps": -1.0}, ValueError),
                     ({"num_features": 2, "affine": "yes"}, TypeError),
                     ({"num_features": 2, "dtype": np.int64}, TypeError)]:
        with pytest.raises(err):
            ll.BatchNorm1d(**bad)


def test_batchnorm_dtypes():
    bn = ll.BatchNorm2d(3)
    y = bn(normal(2, 3, 4, 4).astype(np.float32))
    assert y.dtype == np.float32 and bn.running_mean.dtype == np.float64
    assert bn.backward(np.ones_like(y)).dtype == np.float32 and bn.weight.grad.dtype == np.float64
    assert bn.eval()(normal(2, 3, 4, 4).astype(np.float32)).dtype == np.float32


@FUZZ
@given(c=st.integers(1, 4), shape=st.lists(st.integers(0, 4), min_size=1, max_size=5),
       two_d=st.booleans(), train=st.booleans())
def test_batchnorm_fuzz(c, shape, two_d, train):
    ll_cls, t_cls = ((ll.BatchNorm2d, torch.nn.BatchNorm2d) if two_d
                     else (ll.BatchNorm1d, torch.nn.BatchNorm1d))
    x = normal(*shape, seed=len(shape), loc=1.0)
    layer = ll_cls(c).train(train)
    ndim_ok = x.ndim == 4 if two_d else x.ndim in (2, 3)
    if not ndim_ok or x.shape[1] != c:
        with pytest.raises(ValueError, match=f"{ll_cls.__name__}.{c}. expected input of shape"):
            layer(x)
        return
    per_channel = x.shape[0] * int(np.prod(x.shape[2:]))
    if train and per_channel <= 1:
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            layer(x)
        return
    compare_with_torch(layer, randomize_(t_cls(c).double()), x, train=train)


# -- LayerNorm ------------------------------------------------------------------------------------
@pytest.mark.parametrize("normalized_shape,shape", [
    (5, (4, 5)), (5, (2, 3, 5)), ((3, 5), (2, 3, 5)), ((2, 3, 4), (2, 3, 4)), (1, (3, 1)), (4, (4,)),
])
@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-2}])
def test_layernorm_matches_torch(normalized_shape, shape, kwargs):
    layer = ll.LayerNorm(normalized_shape, **kwargs)
    twin = randomize_(torch.nn.LayerNorm(normalized_shape, **kwargs).double())
    compare_with_torch(layer, twin, normal(*shape, seed=1, loc=3.0, scale=2.0), steps=2)


@pytest.mark.parametrize("normalized_shape,shape", [(4, (3, 4)), ((2, 3), (2, 2, 3))])
@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}])
def test_layernorm_gradcheck(normalized_shape, shape, kwargs):
    layer = ll.LayerNorm(normalized_shape, **kwargs)
    for p in layer.parameters():
        p.data = normal(*p.shape, seed=p.size)
    errors = scaled_gradient_errors(layer, normal(*shape, seed=2))
    assert max(errors.values()) < 1e-8, errors
    assert max(ll.check_gradients(layer, normal(*shape, seed=2)).values()) < 1e-5


def test_layernorm_bad_input():
    ln = ll.LayerNorm((3, 4))
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"] and ln.weight.shape == (3, 4)
    with pytest.raises(ValueError, match=r"LayerNorm\(\(3, 4\)\) expected input of shape \(\*, 3, 4\), "
                                         r"got \(2, 4, 3\)"):
        ln(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match="got \\(4,\\)"):
        ln(np.ones(4))
    with pytest.raises(TypeError, match="LayerNorm expected a floating-point input"):
        ln(np.ones((3, 4), dtype=int))
    with pytest.raises(RuntimeError, match="before forward"):
        ln.backward(np.ones((3, 4)))
    ln(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="LayerNorm.backward expected a gradient of shape"):
        ln.backward(np.ones((3, 4)))
    for bad in ([], "3", 2.5):
        with pytest.raises(TypeError):
            ll.LayerNorm(bad)
    with pytest.raises(ValueError):
        ll.LayerNorm((3, 0))


# -- GroupNorm ------------------------------------------------------------------------------------
@pytest.mark.parametrize("groups,channels,shape", [
    (2, 4, (3, 4, 5)), (1, 3, (2, 3, 4, 4)), (3, 3, (2, 3, 2, 5)), (2, 6, (2, 6)), (4, 8, (1, 8, 2, 1, 3)),
])
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm_matches_torch(groups, channels, shape, affine):
    layer = ll.GroupNorm(groups, channels, affine=affine)
    twin = randomize_(torch.nn.GroupNorm(groups, channels, affine=affine).double())
    compare_with_torch(layer, twin, normal(*shape, seed=2, loc=-1.0, scale=3.0), steps=2)


@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm_gradcheck(affine):
    layer = ll.GroupNorm(2, 4, affine=affine)
    for p in layer.parameters():
        p.data = normal(*p.shape, seed=7)
    errors = scaled_gradient_errors(layer, normal(2, 4, 3, 2, seed=3))
    assert max(errors.values()) < 1e-8, errors


def test_groupnorm_bad_input():
    with pytest.raises(ValueError, match=r"num_channels \(6\) to be divisible by num_groups \(4\)"):
        ll.GroupNorm(4, 6)
    gn = ll.GroupNorm(2, 4)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4\) expected input of shape \(N, 4, \*\), "
                                         r"got \(2, 3, 5\)"):
        gn(np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match="got \\(4,\\)"):
        gn(np.ones(4))
    with pytest.raises(TypeError, match="GroupNorm expected a floating-point input"):
        gn(np.ones((2, 4), dtype=np.int32))
    with pytest.raises(RuntimeError, match="before forward"):
        gn.backward(np.ones((2, 4)))
    gn(normal(2, 4))
    with pytest.raises(ValueError, match=r"GroupNorm.backward expected a gradient of shape \(2, 4\)"):
        gn.backward(np.ones((4, 2)))


@FUZZ
@given(groups=st.integers(1, 3), per_group=st.integers(1, 3),
       shape=st.lists(st.integers(0, 4), min_size=1, max_size=4), layer_norm=st.booleans())
def test_group_and_layer_norm_fuzz(groups, per_group, shape, layer_norm):
    x = normal(*shape, seed=len(shape))
    if layer_norm:
        norm_shape = tuple(max(d, 1) for d in shape[-2:])  # a normalized dimension cannot be empty
        x = normal(*shape[:-2], *norm_shape)
        layer, twin = ll.LayerNorm(norm_shape), torch.nn.LayerNorm(norm_shape)
        compare_with_torch(layer, randomize_(twin.double()), x)
        with pytest.raises(ValueError, match="LayerNorm"):
            layer(normal(*x.shape[:-1], x.shape[-1] + 1))
        return
    c = groups * per_group
    layer = ll.GroupNorm(groups, c)
    if x.ndim < 2 or x.shape[1] != c:
        with pytest.raises(ValueError, match=f"GroupNorm.{groups}, {c}. expected input"):
            layer(x)
        return
    if x.size == 0:  # torch reports NaN parameter gradients here; a sum over nothing is 0
        y = layer(x)
        assert y.shape == x.shape and layer.backward(np.ones_like(y)).shape == x.shape
        assert not np.any(layer.weight.grad) and not np.any(layer.bias.grad)
        return
    twin = randomize_(torch.nn.GroupNorm(groups, c).double())
    try:
        twin(torch.tensor(x))
    except ValueError:  # torch refuses N * C/G * spatial == 1; a group of one value normalises to 0
        y = layer(x)
        assert y.shape == x.shape and np.all(y == layer.bias.data.reshape(1, -1, *[1] * (x.ndim - 2)))
        return
    compare_with_torch(layer, twin, x)


def test_normalized_outputs_have_zero_mean_unit_variance():
    x = normal(6, 4, 5, 5, seed=3, loc=7.0, scale=0.2)
    for layer, axes in [(ll.BatchNorm2d(4), (0, 2, 3)), (ll.GroupNorm(4, 4), (2, 3))]:
        y = layer(x)
        assert_close(y.mean(axis=axes), 0, "mean", atol=1e-10)
        assert_close(y.var(axis=axes), 1, "variance", rtol=1e-3)


# -- the layer contract: one named cache per pure core, kept unwrapped; the shared checks ---------
@pytest.mark.parametrize("make,shape,train,cache_type", [
    (lambda: ll.BatchNorm1d(3), (4, 3), True, ll.BatchNormCache),
    (lambda: ll.BatchNorm1d(3), (4, 3, 5), False, ll.BatchNormEvalCache),
    (lambda: ll.BatchNorm1d(3, track_running_stats=False), (4, 3), False, ll.BatchNormCache),
    (lambda: ll.BatchNorm2d(3), (2, 3, 4, 5), True, _ImageBatchNormCache),
    (lambda: ll.BatchNorm2d(3), (2, 3, 4, 5), False, ll.BatchNormEvalCache),
    (lambda: ll.LayerNorm((4, 5)), (2, 3, 4, 5), True, ll.LayerNormCache),
    (lambda: ll.GroupNorm(2, 4, affine=False), (2, 4, 3), True, ll.GroupNormCache),
])
def test_layers_keep_their_cores_named_cache_unwrapped(make, shape, train, cache_type):
    layer = make().train(train)
    x = normal(*shape, seed=9).astype(np.float32)
    layer(x)
    cache = layer._cache
    assert type(cache) is cache_type and cache._fields
    assert cache.out_shape == shape and cache.dtype == np.float32
    assert layer.backward(normal(*shape, seed=10)).dtype == np.float32  # dy is cast to the input's dtype


def test_pure_cores_return_their_named_caches():
    x, g = normal(4, 3, seed=11), normal(3, seed=12)
    assert type(batchnorm_forward(x, g, g)[1]) is ll.BatchNormCache
    _, cache = ll.batchnorm_eval_forward(x, g, None, np.zeros(3), np.full(3, 4.0), eps=0.0)
    assert type(cache) is ll.BatchNormEvalCache and cache.weight is g
    np.testing.assert_allclose(cache.inv_std, 0.5)  # 1 / sqrt(4 + 0)
    np.testing.assert_allclose(cache.x_hat, x / 2)
    _, cache = ll.layernorm_forward(normal(2, 3, 4, seed=13), None, None, (3, 4))
    assert type(cache) is ll.LayerNormCache and cache.x_hat.shape == (2, 12) and cache.inv_std.shape == (2, 1)
    _, cache = ll.groupnorm_forward(normal(2, 6, 5, seed=14), None, None, 3)
    assert type(cache) is ll.GroupNormCache and cache.num_groups == 3 and cache.inv_std.shape == (2, 3, 1)


@pytest.mark.parametrize("make,error,message", [
    (lambda: ll.BatchNorm1d(2, eps=-1e-3), ValueError, "BatchNorm1d expected eps >= 0.0, got -0.001"),
    (lambda: ll.BatchNorm2d(2, eps=float("nan")), ValueError,
     "BatchNorm2d expected eps to be a finite number, got nan"),
    (lambda: ll.BatchNorm1d(2, momentum=-0.1), ValueError, "BatchNorm1d expected momentum >= 0.0, got -0.1"),
    (lambda: ll.BatchNorm1d(2, momentum=1.5), ValueError,
     "BatchNorm1d expected momentum in [0, 1] or None, got 1.5"),
    (lambda: ll.BatchNorm1d(2, momentum="0.1"), TypeError,
     "BatchNorm1d expected momentum to be a number, got '0.1'"),
    (lambda: ll.BatchNorm1d(2, affine="yes"), TypeError,
     "BatchNorm1d expected affine to be True or False, got 'yes'"),
    (lambda: ll.BatchNorm2d(2, track_running_stats=1), TypeError,
     "BatchNorm2d expected track_running_stats to be True or False, got 1"),
    (lambda: ll.LayerNorm(3, eps=float("inf")), ValueError,
     "LayerNorm expected eps to be a finite number, got inf"),
    (lambda: ll.LayerNorm(3, bias=None), TypeError, "LayerNorm expected bias to be True or False, got None"),
    (lambda: ll.GroupNorm(2, 4, eps=True), TypeError, "GroupNorm expected eps to be a number, got True"),
    (lambda: ll.GroupNorm(2, 4, affine=0), TypeError, "GroupNorm expected affine to be True or False, got 0"),
])
def test_bad_hyper_parameters_get_errors_that_name_the_layer(make, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        make()
