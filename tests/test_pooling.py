"""MaxPool2d, AvgPool2d and AdaptiveAvgPool2d: parity with torch.nn, central differences, the loop
references, ties, bad input and shape fuzzing."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_compare import compare_with_torch

import layers_lib as ll
from layers_lib.gradcheck import check_gradients

GRAD_TOL = 1e-6

# (args, kwargs, input shape)
MAX_CASES = [
    ((2,), {}, (2, 3, 8, 8)),
    ((2,), {}, (2, 3, 7, 9)),  # odd sizes: the last row/column is dropped
    ((3, 2, 1), {}, (2, 3, 8, 8)),  # overlapping windows with padding
    ((3, 2, 1), dict(ceil_mode=True), (2, 3, 8, 8)),  # the last window starts in the input...
    ((3, 2, 1), dict(ceil_mode=True), (2, 3, 7, 6)),
    ((2, 2, 1), dict(ceil_mode=True), (2, 3, 4, 5)),  # ...or is dropped: it would start in the padding
    ((3, 3, 1), dict(ceil_mode=True), (1, 2, 5, 7)),  # the first window starts in the padding
    (((2, 3), (3, 1), (1, 1)), dict(ceil_mode=True), (2, 3, 7, 9)),  # rectangular
    ((2, 3), {}, (2, 3, 9, 8)),  # stride larger than the kernel
    ((3, 1), dict(dilation=2, padding=1), (2, 3, 8, 7)),
    ((3, (2, 1), 1), dict(dilation=(2, 1), ceil_mode=True), (2, 2, 9, 6)),
    ((3,), dict(stride=1), (3, 6, 6)),  # unbatched
]


@pytest.mark.parametrize("args,kwargs,shape", MAX_CASES)
def test_maxpool_matches_torch(args, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape)
    compare_with_torch(ll.MaxPool2d(*args, **kwargs), torch.nn.MaxPool2d(*args, **kwargs), x, steps=2)
    assert np.array_equal(ll.MaxPool2d(*args, **kwargs)(x),
                          ll.maxpool2d_reference(x[None] if x.ndim == 3 else x, *args, **kwargs).reshape(
                              ll.MaxPool2d(*args, **kwargs)(x).shape))


AVG_CASES = [
    ((2,), {}, (2, 3, 8, 8)),
    ((2,), {}, (2, 3, 7, 9)),
    ((3, 2, 1), {}, (2, 3, 8, 8)),
    ((3, 2, 1), dict(count_include_pad=False), (2, 3, 8, 7)),
    ((3, 2, 1), dict(ceil_mode=True), (2, 3, 8, 8)),  # the last window hangs past the padded input
    ((3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (2, 3, 8, 8)),
    ((2, 2, 1), dict(ceil_mode=True), (2, 3, 4, 5)),
    ((3, 3, 1), dict(ceil_mode=True), (1, 2, 5, 7)),  # windows starting in the padding
    ((3, 3, 1), dict(ceil_mode=True, count_include_pad=False), (1, 2, 5, 7)),
    ((4, 3, 2), dict(ceil_mode=True), (1, 2, 6, 9)),
    ((4, 3, 2), dict(ceil_mode=True, count_include_pad=False), (1, 2, 6, 9)),
    (((2, 3), (3, 1), (1, 1)), dict(ceil_mode=True), (2, 3, 7, 9)),
    ((2, 3), dict(ceil_mode=True), (2, 3, 9, 8)),  # stride larger than the kernel
    ((3, 2, 1), dict(divisor_override=5), (2, 3, 7, 7)),
    ((3, 1, 1), {}, (3, 5, 6)),  # unbatched
]


@pytest.mark.parametrize("args,kwargs,shape", AVG_CASES)
def test_avgpool_matches_torch(args, kwargs, shape):
    x = np.random.default_rng(1).normal(size=shape)
    y = compare_with_torch(ll.AvgPool2d(*args, **kwargs), torch.nn.AvgPool2d(*args, **kwargs), x, steps=2)
    ref = ll.avgpool2d_reference(x[None] if x.ndim == 3 else x, *args, **kwargs)
    np.testing.assert_allclose(y, ref.reshape(y.shape), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("output_size", [1, 2, (3, 2), (None, 3), (4, None), 5, (7, 3), (None, None)])
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (2, 3, 8, 8), (3, 5, 4)])
def test_adaptive_avgpool_matches_torch(output_size, shape):
    x = np.random.default_rng(2).normal(size=shape)
    compare_with_torch(ll.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size), x)


def test_global_average_pooling():
    x = np.random.default_rng(3).normal(size=(2, 4, 5, 7))
    np.testing.assert_allclose(ll.AdaptiveAvgPool2d(1)(x), x.mean(axis=(2, 3), keepdims=True), rtol=1e-12)


def test_adaptive_bins():
    """Bins [floor(i*H/out), ceil((i+1)*H/out)): for H=5, out=3 they are [0,2), [1,4), [3,5)."""
    x = np.arange(5.0).reshape(1, 1, 5, 1)
    np.testing.assert_allclose(ll.AdaptiveAvgPool2d((3, 1))(x).ravel(), [0.5, 2.0, 3.5])


# -- ties, NaN and -inf: where the max-pool gradient goes ------------------------------------------
def test_maxpool_ties_go_to_the_first_maximum_like_torch():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, size=(2, 3, 9, 9)).astype(np.float64)  # many ties
    for args in [(2,), (3, 2, 1), (3, 1), ((2, 3), (1, 2))]:
        compare_with_torch(ll.MaxPool2d(*args), torch.nn.MaxPool2d(*args), x)


def test_maxpool_nan_and_minus_inf_like_torch():
    x = np.array([[[[np.nan, 1.0, np.nan, 2.0], [-np.inf, -np.inf, 3.0, -np.inf]]]])
    for args in [((1, 2), (1, 1)), ((2, 2), 1, 1), ((1, 4), 1)]:
        layer, twin = ll.MaxPool2d(*args, return_indices=True), torch.nn.MaxPool2d(*args, return_indices=True)
        (y, idx), (yt, idxt) = layer(x), twin(torch.tensor(x))
        np.testing.assert_array_equal(y, yt.numpy())
        np.testing.assert_array_equal(idx, idxt.numpy())
    x = np.full((1, 1, 2, 3), -np.inf)  # a window of -inf: the gradient goes to its first real pixel
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.MaxPool2d(2, 1, 1)(xt).backward(torch.ones(1, 1, 3, 4))
    layer = ll.MaxPool2d(2, 1, 1)
    layer(x)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 3, 4))), xt.grad.numpy())


@pytest.mark.parametrize("args", [(2,), (3, 2, 1)])
def test_maxpool_backward_keeps_a_nan_gradient_at_its_argmax(args):
    x = np.random.default_rng(8).normal(size=(1, 2, 6, 6))
    layer, twin = ll.MaxPool2d(*args), torch.nn.MaxPool2d(*args)
    dy = np.ones_like(layer(x))
    dy[0, 1, 1, 2] = np.nan
    xt = torch.tensor(x, requires_grad=True)
    twin(xt).backward(torch.tensor(dy))
    np.testing.assert_array_equal(layer.backward(dy), xt.grad.numpy())  # NaN in the same places


@pytest.mark.parametrize("args,kwargs", [((3, 2, 1), dict(ceil_mode=True)), ((2,), {}),
                                         ((3, 1, 1), dict(dilation=2))])
def test_return_indices_like_torch(args, kwargs):
    x = np.random.default_rng(5).normal(size=(2, 3, 7, 8))
    y, idx = ll.MaxPool2d(*args, return_indices=True, **kwargs)(x)
    yt, idxt = torch.nn.MaxPool2d(*args, return_indices=True, **kwargs)(torch.tensor(x))
    np.testing.assert_array_equal(y, yt.numpy())
    np.testing.assert_array_equal(idx, idxt.numpy())


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("args,kwargs,shape",
                         [*MAX_CASES, ((2,), {}, (5, 2, 6, 6)), ((3, 2, 1), {}, (1, 2, 5, 5))])
def test_maxpool_layer_split_between_threads_equals_one_piece(args, kwargs, shape, threads, monkeypatch):
    """MaxPool2d pools parts of the batch in threads (_maxpool2d_in_parts): outputs, arg-maxes
    (with ties, NaN and -inf windows), indices and gradients must be those of one piece, and torch's."""
    from layers_lib import module, pooling

    monkeypatch.setattr(module, "_THREADS", threads)
    monkeypatch.setattr(pooling, "_SPLIT_BYTES", 1)  # split even these small inputs
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, size=shape).astype(np.float64)  # many ties
    x.reshape(-1)[::7] = np.nan
    x.reshape(-1)[3::11] = -np.inf
    x4 = x[None] if x.ndim == 3 else x
    calls = []
    monkeypatch.setattr(pooling, "maxpool2d_forward",
                        lambda x_, *a: calls.append(len(x_)) or ll.maxpool2d_forward(x_, *a))
    layer = ll.MaxPool2d(*args, return_indices=True, **kwargs)
    y, idx = layer(x)
    assert sum(calls) == len(x4) and len(calls) == min(threads, len(x4))  # the batch was split
    want, cache = ll.maxpool2d_forward(x4, *args, **kwargs)
    np.testing.assert_array_equal(y.reshape(want.shape), want)
    np.testing.assert_array_equal(layer._cache.argmax, cache.argmax)
    assert layer._cache.x_shape == x4.shape
    yt, idxt = torch.nn.MaxPool2d(*args, return_indices=True, **kwargs)(torch.tensor(x))
    np.testing.assert_array_equal(y, yt.numpy())
    np.testing.assert_array_equal(idx, idxt.numpy())
    dy = rng.normal(size=y.shape)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.MaxPool2d(*args, **kwargs)(xt).backward(torch.tensor(dy))
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-12, atol=0)


# -- central differences -------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    ll.MaxPool2d(2), ll.MaxPool2d(3, 2, 1, ceil_mode=True), ll.MaxPool2d((2, 3), 1, dilation=(2, 1)),
    ll.AvgPool2d(2), ll.AvgPool2d(3, 2, 1, ceil_mode=True), ll.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                                           count_include_pad=False),
    ll.AdaptiveAvgPool2d((3, 4)), ll.AdaptiveAvgPool2d(1), ll.AdaptiveAvgPool2d((7, 3)),
], ids=repr)
def test_pooling_gradients(layer):
    x = np.random.default_rng(6).normal(size=(2, 2, 7, 6))  # continuous: no ties
    errors = check_gradients(layer, x, eps=1e-5)  # piecewise linear: a larger step only cuts rounding
    assert set(errors) == {"input"} and errors["input"] < GRAD_TOL, errors


# -- output sizes, reprs --------------------------------------------------------------------------
@pytest.mark.parametrize("h,w,args", [(32, 32, (2,)), (32, 32, (3, 2, 1)), (5, 5, (2, None, 0, 1, True)),
                                      (5, 7, (2, 2, 1, 1, True)), (6, 9, ((4, 3), 3, (2, 1), 1, True)),
                                      (9, 9, (3, 2, 1, 3, False))])
def test_pool_output_size_matches_torch(h, w, args):
    kernel, stride, padding, dilation, ceil = (args + (None, 0, 1, False)[len(args) - 1:])[:5]
    y = torch.nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil)(torch.zeros(1, 1, h, w))
    assert ll.pool2d_output_size(h, w, kernel, stride, padding, dilation, ceil) == tuple(y.shape[2:])


@pytest.mark.parametrize("cls,args,kwargs", [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", ((2, 3), (1, 2), 1), dict(ceil_mode=True)),
    ("MaxPool2d", (3,), dict(dilation=2)),
    ("AvgPool2d", (2,), {}), ("AvgPool2d", (3, 2, 1), dict(count_include_pad=False)),
    ("AdaptiveAvgPool2d", (1,), {}), ("AdaptiveAvgPool2d", ((None, 3),), {}),
])
def test_repr_matches_torch(cls, args, kwargs):
    assert repr(getattr(ll, cls)(*args, **kwargs)) == repr(getattr(torch.nn, cls)(*args, **kwargs))


def test_maxpool_repr_text():
    expected = "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(ll.MaxPool2d(2)) == expected


def test_float32_stays_float32():
    x = np.random.default_rng(7).normal(size=(2, 3, 6, 6)).astype(np.float32)
    for layer in [ll.MaxPool2d(3, 2, 1), ll.AvgPool2d(2), ll.AdaptiveAvgPool2d(4)]:
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


def test_maxpool_forward_memory():
    """No window copies: the forward allocates the padded input, the output and the arg-max taps."""
    x = np.ones((8, 16, 32, 32), dtype=np.float32)
    layer = ll.MaxPool2d(3, 2, 1)
    layer(x)
    tracemalloc.start()
    layer(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * x.nbytes, peak / x.nbytes


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [ll.MaxPool2d(2), ll.AvgPool2d(2), ll.AdaptiveAvgPool2d(2)], ids=repr)
def test_bad_input(layer):
    name = type(layer).__name__
    expected = rf"^{name} expected input of shape \(N, C, H, W\) or \(C, H, W\), got \(3, 3\)$"
    with pytest.raises(ValueError, match=expected):
        layer(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"got \(1, 1, 1, 4, 4\)"):
        layer(np.zeros((1, 1, 1, 4, 4)))
    with pytest.raises(TypeError, match="floating-point input"):
        layer(np.zeros((1, 1, 4, 4), dtype=np.int32))
    with pytest.raises(ValueError, match="non-empty"):
        layer(np.zeros((1, 0, 4, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        type(layer)(2).backward(np.zeros((1, 1, 2, 2)))
    layer(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=rf"{name}.backward expected a gradient of shape \(1, 1, 2, 2\)"):
        layer.backward(np.zeros((1, 1, 2, 3)))


@pytest.mark.parametrize("cls", [ll.MaxPool2d, ll.AvgPool2d])
def test_window_larger_than_padded_input(cls):
    with pytest.raises(ValueError, match=r"the window \(4, 4\).*does not fit in the input \(3, 3\)"):
        cls(4)(np.zeros((1, 1, 3, 3)))


@pytest.mark.parametrize("cls", [ll.MaxPool2d, ll.AvgPool2d])
@pytest.mark.parametrize("kwargs,error,pattern", [
    (dict(kernel_size=0), ValueError, "kernel_size >= 1"),
    (dict(kernel_size=2, stride=0), ValueError, "stride >= 1"),
    (dict(kernel_size=2, padding=-1), ValueError, "padding >= 0"),
    (dict(kernel_size=3, padding=2), ValueError, "at most half of the kernel size"),
    (dict(kernel_size=(2, 4), padding=(1, 3)), ValueError, "at most half of the kernel size"),
    (dict(kernel_size=2.0), TypeError, "kernel_size to be an int"),
])
def test_bad_pool_arguments(cls, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        cls(**kwargs)


def test_dilated_window_without_input_pixels():
    with pytest.raises(ValueError, match="contain no input pixel"):
        ll.MaxPool2d((3, 4), padding=(1, 0), dilation=(2, 1), ceil_mode=True)(np.zeros((1, 1, 1, 2)))


def test_bad_adaptive_output_size():
    with pytest.raises(ValueError, match="output_size >= 1"):
        ll.AdaptiveAvgPool2d(0)
    with pytest.raises(ValueError, match="int, None or a pair"):
        ll.AdaptiveAvgPool2d((1, 2, 3))
    with pytest.raises(TypeError, match="output_size to be an int"):
        ll.AdaptiveAvgPool2d(1.5)


# -- fuzzing -------------------------------------------------------------------------------------
def _agree_with_torch(layer_factory, twin_factory, x):
    try:
        twin = twin_factory()
        with torch.no_grad():
            expected = twin(torch.tensor(x))
        if not torch.isfinite(expected).all():  # a dilated window holding no input pixel: torch
            twin = expected = None               # returns -inf and writes its gradient out of bounds
    except (RuntimeError, ValueError):
        twin = expected = None
    try:
        layer = layer_factory()
        y = layer(x)
    except (ValueError, TypeError, RuntimeError):
        assert expected is None, "layers_lib refused a pooling that torch computes"
        return
    assert expected is not None, f"torch refuses this pooling but layers_lib returned {y.shape}"
    assert y.shape == tuple(expected.shape)
    compare_with_torch(layer, twin, x)


_sizes = st.tuples(st.integers(1, 9), st.integers(1, 9))
_kernel = st.tuples(st.integers(1, 4), st.integers(1, 4))
_stride = st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 4)))
_padding = st.tuples(st.integers(0, 2), st.integers(0, 2))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hw=_sizes, k=_kernel, stride=_stride, padding=_padding,
       dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)), ceil_mode=st.booleans(),
       unbatched=st.booleans())
def test_fuzz_maxpool(hw, k, stride, padding, dilation, ceil_mode, unbatched):
    x = np.random.default_rng(0).normal(size=(2, *hw) if unbatched else (2, 2, *hw))
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    _agree_with_torch(lambda: ll.MaxPool2d(k, **kwargs), lambda: torch.nn.MaxPool2d(k, **kwargs), x)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hw=_sizes, k=_kernel, stride=_stride, padding=_padding, ceil_mode=st.booleans(),
       count_include_pad=st.booleans(), unbatched=st.booleans())
def test_fuzz_avgpool(hw, k, stride, padding, ceil_mode, count_include_pad, unbatched):
    x = np.random.default_rng(0).normal(size=(2, *hw) if unbatched else (2, 2, *hw))
    kwargs = dict(stride=stride, padding=padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    _agree_with_torch(lambda: ll.AvgPool2d(k, **kwargs), lambda: torch.nn.AvgPool2d(k, **kwargs), x)


@settings(max_examples=30, deadline=None)
@given(hw=_sizes, out=st.tuples(st.none() | st.integers(1, 10), st.none() | st.integers(1, 10)))
def test_fuzz_adaptive(hw, out):
    x = np.random.default_rng(0).normal(size=(2, 2, *hw))
    _agree_with_torch(lambda: ll.AdaptiveAvgPool2d(out), lambda: torch.nn.AdaptiveAvgPool2d(out), x)


@pytest.mark.parametrize("core", [ll.maxpool2d_forward, ll.avgpool2d_forward, ll.adaptive_avgpool2d_forward])
def test_core_functions_check_their_input(core):
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\), got \(3, 4, 4\)$"):
        core(np.zeros((3, 4, 4)), 2)
    with pytest.raises(ValueError, match=r"a non-empty input of shape \(N, C, H, W\), got \(1, 0, 4, 4\)"):
        core(np.zeros((1, 0, 4, 4)), 2)
    with pytest.raises(TypeError, match="floating-point input"):
        core(np.zeros((1, 3, 4, 4), dtype=np.int8), 2)


def test_maxpool_core_backward_names_the_shape_it_expected():
    _, cache = ll.maxpool2d_forward(np.zeros((1, 2, 4, 4)), 2)
    expected = r"maxpool2d_backward expected dy of the output's shape \(1, 2, 2, 2\), got \(1, 2, 2, 3\)"
    with pytest.raises(ValueError, match=expected):
        ll.maxpool2d_backward(np.zeros((1, 2, 2, 3)), cache)


@pytest.mark.parametrize("args,kwargs", [((3, 2, 1), {}), ((3, 1, 1), dict(dilation=2)), ((2, 1), {}),
                                         ((3, 2, 1), dict(ceil_mode=True)), ((2,), {})])
def test_maxpool_backward_sums_where_windows_share_a_winner(args, kwargs):
    """Overlapping windows whose maximum is the same pixel: its gradient is the sum (float64, 1e-12)."""
    x = np.random.default_rng(3).normal(size=(2, 3, 9, 8)).round(1)  # rounding makes ties
    layer, twin = ll.MaxPool2d(*args, **kwargs), torch.nn.MaxPool2d(*args, **kwargs)
    dy = np.random.default_rng(4).normal(size=layer(x).shape)
    xt = torch.tensor(x, requires_grad=True)
    twin(xt).backward(torch.tensor(dy))
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=0, atol=1e-12)
