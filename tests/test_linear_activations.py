"""Linear, the activations and Flatten: PyTorch parity, central differences, bad input, fuzzing."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import assert_close, compare_with_torch

import layers_lib as ll

FUZZ = settings(max_examples=40, deadline=None)
ERRORS = (ValueError, TypeError)


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# -- Linear ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_f,out_f,shape,bias", [
    (4, 3, (5,), True),
    (4, 3, (5,), False),
    (1, 1, (1,), True),
    (7, 2, (3, 6), True),
    (3, 5, (2, 3, 4), False),
    (6, 9, (), True),  # a single vector, (in_features,)
])
def test_linear_matches_torch(in_f, out_f, shape, bias):
    x = normal(*shape, in_f, seed=in_f)
    y = compare_with_torch(ll.Linear(in_f, out_f, bias=bias), torch.nn.Linear(in_f, out_f, bias=bias), x,
                           steps=2)
    assert y.shape == shape + (out_f,)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3)])
def test_linear_gradcheck(bias, shape):
    layer = ll.Linear(3, 5, bias=bias, rng=np.random.default_rng(1))
    errors = ll.check_gradients(layer, normal(*shape, seed=2))
    assert set(errors) == {"input", "weight"} | ({"bias"} if bias else set())
    assert max(errors.values()) < 1e-7, errors


def test_linear_init_is_pytorch_uniform_and_seeded():
    a = ll.Linear(100, 50, rng=np.random.default_rng(3))
    b = ll.Linear(100, 50, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / math.sqrt(100)
    for p in (a.weight.data, a.bias.data):
        assert np.all(np.abs(p) <= bound)
    assert abs(a.weight.data.std() - bound / math.sqrt(3)) < 0.01 * bound * 10
    assert a.weight.shape == (50, 100) and a.bias.shape == (50,)
    assert [n for n, _ in a.named_parameters()] == ["weight", "bias"]
    assert repr(a) == "Linear(in_features=100, out_features=50, bias=True)"


def test_linear_accumulates_gradients_and_keeps_dtypes():
    layer = ll.Linear(3, 2, rng=np.random.default_rng(0))
    x, dy = normal(4, 3), normal(4, 2, seed=1)
    layer(x)
    layer.backward(dy)
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    y = layer(x.astype(np.float32))
    assert y.dtype == np.float32
    assert layer.backward(dy.astype(np.float32)).dtype == np.float32
    assert layer.weight.grad.dtype == np.float64
    f32 = ll.Linear(3, 2, dtype=np.float32, rng=np.random.default_rng(0))
    assert f32.weight.data.dtype == np.float32 and f32(x).dtype == np.float64


def test_linear_bad_input():
    layer = ll.Linear(4, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"Linear expected input of shape \(\*, 4\).*got \(2, 3\)"):
        layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Linear expected input"):
        layer(np.float64(1.0))
    with pytest.raises(TypeError, match="floating-point input, got dtype int64"):
        layer(np.ones((2, 4), dtype=np.int64))
    with pytest.raises(RuntimeError, match="before forward"):
        ll.Linear(4, 3).backward(np.ones((2, 3)))
    layer(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Linear.backward expected a gradient of shape \(2, 3\)"):
        layer.backward(np.ones((2, 4)))
    with pytest.raises(TypeError):
        ll.Linear(4.0, 3)
    with pytest.raises(ValueError):
        ll.Linear(0, 3)
    with pytest.raises(TypeError, match="floating-point dtype"):
        ll.Linear(4, 3, dtype=np.int32)
    with pytest.raises(TypeError, match="Generator"):
        ll.Linear(4, 3, rng=0)


@FUZZ
@given(in_f=st.integers(1, 6), out_f=st.integers(1, 6),
       shape=st.lists(st.integers(0, 4), min_size=0, max_size=3), last=st.integers(1, 7),
       bias=st.booleans())
def test_linear_fuzz(in_f, out_f, shape, last, bias):
    x = normal(*shape, last)
    layer = ll.Linear(in_f, out_f, bias=bias)
    if last != in_f:
        with pytest.raises(ValueError, match="Linear expected"):
            layer(x)
        return
    compare_with_torch(layer, torch.nn.Linear(in_f, out_f, bias=bias), x)


# -- activations ----------------------------------------------------------------------------------
ACTIVATIONS = [
    (lambda: ll.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: ll.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    (lambda: ll.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: ll.LeakyReLU(-0.5), lambda: torch.nn.LeakyReLU(-0.5)),
    (lambda: ll.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: ll.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: ll.GELU(), lambda: torch.nn.GELU()),
    (lambda: ll.GELU(approximate="tanh"), lambda: torch.nn.GELU(approximate="tanh")),
    (lambda: ll.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: ll.Softmax(dim=-1), lambda: torch.nn.Softmax(dim=-1)),
    (lambda: ll.Softmax(dim=0), lambda: torch.nn.Softmax(dim=0)),
    (lambda: ll.LogSoftmax(dim=1), lambda: torch.nn.LogSoftmax(dim=1)),
    (lambda: ll.LogSoftmax(dim=-3), lambda: torch.nn.LogSoftmax(dim=-3)),
    (lambda: ll.Flatten(), lambda: torch.nn.Flatten()),
    (lambda: ll.Flatten(0, -1), lambda: torch.nn.Flatten(0, -1)),
    (lambda: ll.Flatten(1, 2), lambda: torch.nn.Flatten(1, 2)),
    (lambda: ll.Flatten(-2, -1), lambda: torch.nn.Flatten(-2, -1)),
]
IDS = ["relu", "leaky", "leaky0.2", "leaky-0.5", "sigmoid", "tanh", "gelu", "gelu_tanh", "softmax1",
       "softmax-1", "softmax0", "logsoftmax1", "logsoftmax-3", "flatten", "flatten0", "flatten12",
       "flatten-2"]


@pytest.mark.parametrize("make_ll,make_torch", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("shape", [(4, 3, 2), (2, 5, 3, 3)])
def test_activation_matches_torch(make_ll, make_torch, shape):
    x = normal(*shape, seed=len(shape)) * 3
    compare_with_torch(make_ll(), make_torch(), x, steps=2)


def scaled_gradient_errors(module, x, seed=0) -> dict[str, float]:
    """Central differences against ``backward``, measured against the gradient's scale."""
    return ll.check_gradients(module, x, seed=seed, error=ll.scaled_error)


@pytest.mark.parametrize("make_ll", [a for a, _ in ACTIVATIONS], ids=IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_activation_gradcheck(make_ll, seed):
    x = normal(3, 4, 2, seed=seed) * 2
    assert scaled_gradient_errors(make_ll(), x, seed)["input"] < 1e-8
    assert ll.check_gradients(make_ll(), x / 2, seed=seed)["input"] < 1e-5


def test_scaled_gradient_error_catches_a_wrong_backward():
    class WrongSigmoid(ll.Sigmoid):
        def backward(self, dy):
            return super().backward(dy) * 1.001

    assert scaled_gradient_errors(WrongSigmoid(), normal(3, 4))["input"] > 1e-4


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU"])
def test_elementwise_keep_shape_and_dtype(name):
    layer = getattr(ll, name)()
    for dtype in (np.float32, np.float64):
        x = normal(2, 3).astype(dtype)
        y = layer(x)
        assert y.shape == x.shape and y.dtype == dtype
        assert layer.backward(np.ones_like(y)).dtype == dtype


def test_gelu_extreme_values_match_torch():
    x = np.linspace(-40, 40, 801)
    for approximate in ("none", "tanh"):
        compare_with_torch(ll.GELU(approximate), torch.nn.GELU(approximate=approximate), x)


def test_erf_is_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 2001), normal(500) * 1e-3, [0.0, -0.0, 30.0, -30.0]])
    np.testing.assert_array_equal(ll.erf(x), [math.erf(v) for v in x])
    assert_close(ll.erf(x), torch.erf(torch.tensor(x)).numpy(), "erf", rtol=1e-15, atol=1e-16)
    assert ll.erf(x.astype(np.float32)).dtype == np.float32
    assert ll.erf(np.float64(0.5)).shape == ()


def test_numerically_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = ll.softmax(np.array([1000.0, 0.0, -1000.0]), dim=0)
        assert np.all(np.isfinite(s)) and s[0] == 1.0
        ls = ll.log_softmax(np.array([1000.0, 0.0, -1000.0]), dim=0)
        np.testing.assert_allclose(ls, [0.0, -1000.0, -2000.0])
        sig = ll.Sigmoid()(np.array([-1000.0, 1000.0]))
        np.testing.assert_array_equal(sig, [0.0, 1.0])
        assert np.all(np.isfinite(ll.Softmax(dim=-1)(np.array([[1e300, -1e300]]))))
        big = np.array([[-1000.0, 0.0, 1000.0]])
        compare_with_torch(ll.Sigmoid(), torch.nn.Sigmoid(), big)
        compare_with_torch(ll.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1), big)
        compare_with_torch(ll.Softmax(dim=1), torch.nn.Softmax(dim=1), big)


@pytest.mark.parametrize("fn,deriv,kwargs", [
    (ll.relu, ll.relu_derivative, {}),
    (ll.leaky_relu, ll.leaky_relu_derivative, {"negative_slope": 0.1}),
    (ll.sigmoid, ll.sigmoid_derivative, {}),
    (ll.tanh, ll.tanh_derivative, {}),
    (ll.gelu, ll.gelu_derivative, {}),
    (ll.gelu, ll.gelu_derivative, {"approximate": "tanh"}),
])
def test_pure_derivatives_match_central_differences(fn, deriv, kwargs):
    x = np.linspace(-4, 4, 81) + 0.0123  # avoids the kink at 0
    h = 1e-6
    numeric = (fn(x + h, **kwargs) - fn(x - h, **kwargs)) / (2 * h)
    np.testing.assert_allclose(deriv(x, **kwargs), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_pure_softmax_backward_is_the_jacobian(dim):
    x, dy = normal(3, 4, seed=1), normal(3, 4, seed=2)
    for fn, back in ((ll.softmax, ll.softmax_backward), (ll.log_softmax, ll.log_softmax_backward)):
        y = fn(x, dim)
        numeric = ll.numerical_gradient(lambda fn=fn: np.sum(fn(x, dim) * dy), x)
        assert ll.rel_error(back(dy, y, dim), numeric) < 1e-7
    np.testing.assert_allclose(ll.softmax(x, dim).sum(axis=dim), 1.0)


@pytest.mark.parametrize("make", [ll.ReLU, ll.Sigmoid, ll.Tanh, ll.GELU, ll.LeakyReLU,
                                  lambda: ll.Softmax(0), lambda: ll.LogSoftmax(-1)])
def test_activation_bad_input(make):
    layer = make()
    name = type(layer).__name__
    with pytest.raises(RuntimeError, match=f"{name}.backward.. was called before forward"):
        layer.backward(np.ones(3))
    with pytest.raises(TypeError, match=f"{name} expected a floating-point input, got dtype int64"):
        layer(np.arange(3))
    layer(np.ones(3))
    with pytest.raises(ValueError, match=rf"{name}.backward expected a gradient of shape \(3,\)"):
        layer.backward(np.ones(4))


def test_activation_bad_arguments():
    with pytest.raises(ValueError, match="approximate"):
        ll.GELU("fast")
    with pytest.raises(TypeError, match="negative_slope"):
        ll.LeakyReLU("0.1")
    with pytest.raises(TypeError, match="missing"):
        ll.Softmax()  # dim is required, as in PyTorch
    with pytest.raises(TypeError, match="dim"):
        ll.LogSoftmax(1.0)
    with pytest.raises(ValueError, match=r"Softmax\(dim=2\)"):
        ll.Softmax(dim=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"LogSoftmax\(dim=-3\)"):
        ll.LogSoftmax(dim=-3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        ll.Softmax(dim=0)(np.float64(1.0))


def test_flatten_errors_and_dtypes():
    with pytest.raises(ValueError, match="start_dim <= end_dim"):
        ll.Flatten(2, 1)(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Flatten\(1, -1\) expected an input with more than 1"):
        ll.Flatten()(np.ones(3))
    with pytest.raises(RuntimeError, match="before forward"):
        ll.Flatten().backward(np.ones((2, 3)))
    f = ll.Flatten()
    assert f(np.arange(24).reshape(2, 3, 4)).shape == (2, 12)  # any dtype, like torch.flatten
    with pytest.raises(ValueError, match=r"Flatten.backward expected a gradient of shape \(2, 12\)"):
        f.backward(np.ones((2, 3, 4)))
    assert f.backward(np.ones((2, 12))).shape == (2, 3, 4)
    assert repr(f) == "Flatten(start_dim=1, end_dim=-1)"


@FUZZ
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4), dim=st.integers(-5, 4),
       log=st.booleans())
def test_softmax_fuzz(shape, dim, log):
    x = normal(*shape, seed=len(shape)) * 5
    if log:
        layer, twin = ll.LogSoftmax(dim), torch.nn.LogSoftmax(dim)
    else:
        layer, twin = ll.Softmax(dim), torch.nn.Softmax(dim)
    if not -len(shape) <= dim < len(shape):
        with pytest.raises(ValueError):
            layer(x)
        return
    compare_with_torch(layer, twin, x)


@FUZZ
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4), start=st.integers(-5, 4),
       end=st.integers(-5, 4))
def test_flatten_fuzz(shape, start, end):
    x = normal(*shape)
    layer, twin = ll.Flatten(start, end), torch.nn.Flatten(start, end)
    try:
        expected = twin(torch.tensor(x))
    except (RuntimeError, IndexError):
        with pytest.raises(ValueError, match="Flatten"):
            layer(x)
        return
    y = layer(x)
    assert y.shape == tuple(expected.shape)
    np.testing.assert_array_equal(y, expected.numpy())
    assert layer.backward(np.ones_like(y)).shape == x.shape


@FUZZ
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4),
       which=st.sampled_from(range(8)), dtype=st.sampled_from(["float64", "float32", "int64", "bool"]))
def test_elementwise_fuzz(shape, which, dtype):
    make_ll, make_torch = ACTIVATIONS[which]
    x = (normal(*shape) * 3).astype(dtype)
    if dtype in ("int64", "bool"):
        with pytest.raises(TypeError):
            make_ll()(x)
        return
    if dtype == "float64":
        compare_with_torch(make_ll(), make_torch(), x)
    else:
        y = make_ll()(x)
        assert y.dtype == np.float32
        expected = make_torch()(torch.tensor(x)).numpy()
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)

