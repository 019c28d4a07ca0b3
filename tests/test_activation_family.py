"""The wider activation family — ELU, SELU, CELU, SiLU, Mish, Softplus, Hardsigmoid, Hardswish and
PReLU: PyTorch parity, PyTorch's derivative at every kink, extreme inputs, central differences,
bad input and fuzzing, and the chapter's comparison figure."""

from __future__ import annotations

import re
import warnings

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch_compare import assert_close, compare_with_torch, copy_torch_params

import layers_lib as ll
from layers_lib.viz import activations as va

matplotlib.use("Agg")

FUZZ = settings(max_examples=40, deadline=None)


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def torch_prelu(num_parameters=1, init=0.25, seed=0):
    """torch's PReLU with distinct random slopes (copied into ours by compare_with_torch), so that
    a mix-up between channels cannot hide behind equal initial weights."""
    twin = torch.nn.PReLU(num_parameters, init=init).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(np.random.default_rng(seed).uniform(-0.6, 0.9, num_parameters)))
    return twin


# (id, our layer, torch's twin); the hyper-parameters cover defaults, other values, negative ones
ELEMENTWISE = [
    ("elu", lambda: ll.ELU(), lambda: torch.nn.ELU()),
    ("elu0.5", lambda: ll.ELU(0.5), lambda: torch.nn.ELU(0.5)),
    ("elu2", lambda: ll.ELU(alpha=2.0), lambda: torch.nn.ELU(alpha=2.0)),
    ("elu-0.3", lambda: ll.ELU(-0.3), lambda: torch.nn.ELU(-0.3)),
    ("selu", lambda: ll.SELU(), lambda: torch.nn.SELU()),
    ("celu", lambda: ll.CELU(), lambda: torch.nn.CELU()),
    ("celu0.5", lambda: ll.CELU(0.5), lambda: torch.nn.CELU(0.5)),
    ("celu3", lambda: ll.CELU(alpha=3.0), lambda: torch.nn.CELU(alpha=3.0)),
    ("celu-2", lambda: ll.CELU(-2.0), lambda: torch.nn.CELU(-2.0)),
    ("silu", lambda: ll.SiLU(), lambda: torch.nn.SiLU()),
    ("mish", lambda: ll.Mish(), lambda: torch.nn.Mish()),
    ("softplus", lambda: ll.Softplus(), lambda: torch.nn.Softplus()),
    ("softplus_b2_t5", lambda: ll.Softplus(beta=2.0, threshold=5.0), lambda: torch.nn.Softplus(2.0, 5.0)),
    ("softplus_b0.5_t1", lambda: ll.Softplus(0.5, 1.0), lambda: torch.nn.Softplus(0.5, 1.0)),
    ("softplus_b-1", lambda: ll.Softplus(beta=-1.0), lambda: torch.nn.Softplus(beta=-1.0)),
    ("hardsigmoid", lambda: ll.Hardsigmoid(), lambda: torch.nn.Hardsigmoid()),
    ("hardswish", lambda: ll.Hardswish(), lambda: torch.nn.Hardswish()),
    ("prelu1", lambda: ll.PReLU(), lambda: torch_prelu()),
    ("prelu1_init0.1", lambda: ll.PReLU(init=0.1), lambda: torch.nn.PReLU(init=0.1)),
]
IDS = [name for name, _, _ in ELEMENTWISE]
LAYERS = {name: (make_ll, make_torch) for name, make_ll, make_torch in ELEMENTWISE}


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("shape", [(4, 3, 2), (2, 5, 3, 3), (7,), ()])
def test_family_matches_torch(name, shape):
    make_ll, make_torch = LAYERS[name]
    x = normal(*shape, seed=len(shape)) * 3  # reaches the saturated parts and Hardswish's ±3
    y = compare_with_torch(make_ll(), make_torch(), x, steps=2)
    assert np.shape(y) == shape


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 7), (2, 3, 4, 5), (1, 3, 2, 2, 3)])
@pytest.mark.parametrize("init", [0.25, -0.1])
def test_prelu_per_channel_matches_torch(shape, init):
    x = normal(*shape, seed=3)
    layer = ll.PReLU(num_parameters=3, init=init)
    assert layer.weight.shape == (3,) and np.all(layer.weight.data == init)
    y = compare_with_torch(layer, torch_prelu(3, init, seed=len(shape)), x, steps=2)
    assert y.shape == shape
    # the slope of channel c is used on channel c only
    w = layer.weight.data.reshape((3,) + (1,) * (len(shape) - 2))
    np.testing.assert_array_equal(y, np.where(x > 0, x, w * x))


def test_prelu_one_slope_accepts_any_shape_and_many_slopes_need_dim_1():
    """As in torch: with one slope anything goes (0-d, 1-d); with C slopes dim 1 must have size C,
    and a 1-d input counts as one channel (torch refuses it too)."""
    for shape in [(), (5,), (2, 7), (2, 4, 3)]:
        compare_with_torch(ll.PReLU(), torch_prelu(), normal(*shape))
    for shape in [(3,), (4,), (2, 4, 5), (2, 2)]:
        x = normal(*shape)
        with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
            torch.nn.PReLU(3).double()(torch.tensor(x))
        with pytest.raises(ValueError, match=re.escape(
                f"PReLU expected input with 3 channels (num_parameters=3), got shape {shape}")):
            ll.PReLU(3)(x)
    with pytest.raises(ValueError, match=re.escape(
            "PReLU expected input with 3 channels (num_parameters=3), got shape (2, 4, 5)")):
        ll.PReLU(num_parameters=3)(np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match="fewer than 2 dimensions has 1 channel"):
        ll.PReLU(3)(np.ones(3))


def test_prelu_parameters_gradients_and_dtypes():
    layer = ll.PReLU(4)
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in torch.nn.PReLU(4).named_parameters()]
    assert layer.parameters() == [layer.weight] and layer.num_parameters() == 4
    assert repr(layer) == repr(torch.nn.PReLU(4)) == "PReLU(num_parameters=4)"
    x, dy = normal(3, 4, 5), normal(3, 4, 5, seed=1)
    layer(x)
    layer.backward(dy)
    once = layer.weight.grad.copy()
    expected = np.sum(np.where(x > 0, 0.0, x * dy), axis=(0, 2))  # the definition, per channel
    np.testing.assert_allclose(once, expected, rtol=1e-12)
    layer(x)
    layer.backward(dy)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)  # accumulated, as torch does
    layer.zero_grad()
    assert np.all(layer.weight.grad == 0)
    y = layer(x.astype(np.float32))
    assert y.dtype == np.float32 and layer.backward(dy.astype(np.float32)).dtype == np.float32
    assert layer.weight.grad.dtype == np.float64
    f32 = ll.PReLU(2, dtype=np.float32)
    assert f32.weight.data.dtype == np.float32 and f32(normal(2, 2)).dtype == np.float64
    # Module.num_parameters() still works inside a network (an attribute would shadow it)
    net = ll.Sequential(ll.Linear(4, 3, rng=np.random.default_rng(0)), ll.PReLU(3))
    assert net.num_parameters() == 4 * 3 + 3 + 3
    assert "Total parameters: 18" in net.summary((2, 4))


@pytest.mark.parametrize("name", ["ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Hardsigmoid",
                                  "Hardswish", "PReLU"])
def test_keep_shape_and_dtype(name):
    layer = getattr(ll, name)()
    for dtype in (np.float32, np.float64):
        x = (normal(2, 3) * 3).astype(dtype)
        y = layer(x)
        assert y.shape == x.shape and y.dtype == dtype
        assert layer.backward(np.ones_like(y)).dtype == dtype
        twin = getattr(torch.nn, name)().to(torch.from_numpy(x).dtype)
        expected = twin(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_reprs_match_torch():
    for ours, theirs in [(ll.ELU(), torch.nn.ELU()), (ll.ELU(0.5), torch.nn.ELU(0.5)),
                         (ll.CELU(2.0), torch.nn.CELU(2.0)), (ll.SELU(), torch.nn.SELU()),
                         (ll.SiLU(), torch.nn.SiLU()), (ll.Mish(), torch.nn.Mish()),
                         (ll.Softplus(), torch.nn.Softplus()),
                         (ll.Softplus(2.0, 5.0), torch.nn.Softplus(2.0, 5.0)),
                         (ll.Hardsigmoid(), torch.nn.Hardsigmoid()), (ll.Hardswish(), torch.nn.Hardswish()),
                         (ll.PReLU(), torch.nn.PReLU())]:
        assert repr(ours) == repr(theirs)
        assert ours.parameters() == [] or isinstance(ours, ll.PReLU)


# -- PyTorch's conventions at the kinks -------------------------------------------------------------
# (id, our pure derivative, torch's function, [(point, the derivative torch gives there)]); the
# values were measured with torch 2.x autograd and are also compared with torch live below.
SELU_SLOPE0 = 1.0507009873554805 * 1.6732632423543772
KINKS = [
    ("elu", lambda x: ll.elu_derivative(x), F.elu, [(0.0, 1.0), (-0.0, 1.0)]),
    ("elu0.5", lambda x: ll.elu_derivative(x, 0.5), lambda t: F.elu(t, 0.5), [(0.0, 0.5), (-0.0, 0.5)]),
    ("selu", ll.selu_derivative, F.selu,
     [(0.0, SELU_SLOPE0), (-0.0, SELU_SLOPE0), (1.0, 1.0507009873554805)]),
    ("celu2", lambda x: ll.celu_derivative(x, 2.0), lambda t: F.celu(t, 2.0), [(0.0, 1.0), (-0.0, 1.0)]),
    ("silu", ll.silu_derivative, F.silu, [(0.0, 0.5)]),
    ("mish", ll.mish_derivative, F.mish, [(0.0, 0.6)]),
    ("softplus", ll.softplus_derivative, F.softplus,  # linear strictly above the threshold
     [(0.0, 0.5), (20.0, 1 / (1 + np.exp(-20.0))), (20.000000000001, 1.0)]),
    ("softplus_b2_t5", lambda x: ll.softplus_derivative(x, 2.0, 5.0), lambda t: F.softplus(t, 2.0, 5.0),
     [(2.5, 1 / (1 + np.exp(-5.0))), (2.5000001, 1.0)]),
    ("hardsigmoid", ll.hardsigmoid_derivative, F.hardsigmoid,
     [(-3.0, 0.0), (3.0, 0.0), (-2.9999999, 1 / 6), (2.9999999, 1 / 6), (0.0, 1 / 6)]),
    ("hardswish", ll.hardswish_derivative, F.hardswish,
     [(-3.0, 0.0), (3.0, 1.0), (-2.9999999, -0.4999999666666667), (2.9999999, 1.4999999666666666),
      (0.0, 0.5)]),
    ("relu_ref", ll.relu_derivative, F.relu, [(0.0, 0.0), (-0.0, 0.0)]),
]


@pytest.mark.parametrize("name,deriv,torch_fn,expected", KINKS, ids=[k[0] for k in KINKS])
def test_derivative_at_kinks_is_torchs(name, deriv, torch_fn, expected):
    points = np.array([p for p, _ in expected])
    t = torch.tensor(points, requires_grad=True)
    torch_fn(t).backward(torch.ones(len(points), dtype=torch.float64))
    ours = deriv(points)
    # torch's Hardsigmoid backward multiplies by a single-precision 1/6 (0.16666667163...) even in
    # float64; the true 1/6 is within 3e-8 of it, far inside the project's tolerance
    assert_close(ours, t.grad.numpy(), f"{name}: derivative vs torch autograd at {points}")
    assert_close(ours, [v for _, v in expected], f"{name}: derivative vs the convention at {points}")


def test_layer_backward_at_kinks_is_torchs():
    x = np.array([[-3.0, -0.0, 0.0, 3.0, 2.5, 20.0]])
    for name in IDS:
        make_ll, make_torch = LAYERS[name]
        compare_with_torch(make_ll(), make_torch(), x)
    x = np.array([[0.0, -1.0], [0.0, 2.0]])  # PReLU at 0 uses the slope, for dx and for dweight
    layer = ll.PReLU(2)
    compare_with_torch(layer, torch_prelu(2), x)
    dx = layer.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(dx[:, 0], layer.weight.data[0])


# -- extreme inputs ---------------------------------------------------------------------------------
HUGE = np.array([-1e300, -1e10, -1e4, -1000.0, -710.0, -50.0, -20.0, -1e-300, 0.0, 1e-300, 20.0, 50.0,
                 710.0, 1000.0, 1e4, 1e10, 1e300])


@pytest.mark.parametrize("name", [n for n in IDS if n != "celu-2"])  # a negative CELU alpha does overflow
def test_extreme_inputs_are_finite_and_match_torch(name):
    make_ll, make_torch = LAYERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value RuntimeWarning, from anywhere
        layer = make_ll()
        y = compare_with_torch(layer, make_torch(), HUGE.copy(), dy=np.linspace(-1.0, 1.0, HUGE.size))
        assert np.all(np.isfinite(y))
        assert np.all(np.isfinite(layer.backward(np.ones_like(y))))
        compare_with_torch(make_ll(), make_torch(), np.stack([HUGE, -HUGE[::-1]]))


def test_pure_functions_at_extremes_match_torch_functional():
    x = torch.tensor(HUGE)
    pairs = [(ll.elu, F.elu), (ll.selu, F.selu), (lambda v: ll.celu(v, 0.5), lambda t: F.celu(t, 0.5)),
             (ll.silu, F.silu), (ll.mish, F.mish), (ll.softplus, F.softplus),
             (lambda v: ll.softplus(v, 3.0, 2.0), lambda t: F.softplus(t, 3.0, 2.0)),
             (ll.hardsigmoid, F.hardsigmoid), (ll.hardswish, F.hardswish)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for ours, theirs in pairs:
            assert_close(ours(HUGE), theirs(x).numpy(), f"{ours} at extremes")
        assert ll.hardswish(np.array([1.7e308]))[0] == 1.7e308  # x * (clip / 6): no overflow


def test_softplus_stays_finite_where_torch_would_overflow():
    """With a threshold above ~709 torch's log1p(exp(beta x)) overflows to inf; ours is x."""
    x = np.array([700.0, 800.0, 1e4])
    layer = ll.Softplus(threshold=1e5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(layer(x), x)
        np.testing.assert_array_equal(layer.backward(np.ones(3)), np.ones(3))
        np.testing.assert_array_equal(ll.softplus(x, 2.0, float("inf")), x)


def test_selu_constants_make_a_standard_normal_input_standard():
    """The defining property of SELU's alpha and scale: for z ~ N(0, 1), selu(z) has mean 0 and
    variance 1 (computed by quadrature on a fine grid, not taken from the code's constants)."""
    z = np.linspace(-14, 14, 560001)
    weights = np.exp(-z * z / 2) / np.sqrt(2 * np.pi) * (z[1] - z[0])
    mean = np.sum(weights * ll.selu(z))
    second = np.sum(weights * ll.selu(z) ** 2)
    assert abs(mean) < 1e-7 and abs(second - 1) < 1e-7, (mean, second)
    limit = -1.6732632423543772 * 1.0507009873554805
    assert ll.SELU()(np.array([-1e4]))[0] == pytest.approx(limit, rel=1e-15)


# -- central differences ----------------------------------------------------------------------------
def away_from_kinks(x, kinks=(-3.0, 0.0, 3.0), margin=1e-3):
    """Move every entry at least `margin` away from each kink (h = 1e-6 then never straddles one)."""
    x = x.copy()
    for k in kinks:
        close = np.abs(x - k) < margin
        x[close] = k + np.where(x[close] >= k, margin, -margin) * 2
    return x


GRAD_KINKS = {"softplus_b2_t5": (2.5,), "softplus_b0.5_t1": (2.0,), "softplus": (20.0,),
              "softplus_b-1": (-20.0,)}


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_family_gradcheck(name, seed):
    make_ll, _ = LAYERS[name]
    x = away_from_kinks(normal(3, 4, 2, seed=seed) * 2.5, kinks=(-3.0, 0.0, 3.0) + GRAD_KINKS.get(name, ()))
    errors = ll.check_gradients(make_ll(), x, seed=seed, error=ll.scaled_error)
    assert max(errors.values()) < 1e-8, errors
    assert ll.check_gradients(make_ll(), x / 2, seed=seed)["input"] < 1e-5


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 2, 2)])
def test_prelu_per_channel_gradcheck(shape):
    layer = ll.PReLU(3)
    layer.weight.data = np.array([0.3, -0.2, 0.7])
    errors = ll.check_gradients(layer, away_from_kinks(normal(*shape, seed=4)), error=ll.scaled_error)
    assert set(errors) == {"input", "weight"} and max(errors.values()) < 1e-8, errors


@pytest.mark.parametrize("fn,deriv,kwargs", [
    (ll.elu, ll.elu_derivative, {"alpha": 0.7}),
    (ll.selu, ll.selu_derivative, {}),
    (ll.celu, ll.celu_derivative, {"alpha": 1.5}),
    (ll.silu, ll.silu_derivative, {}),
    (ll.mish, ll.mish_derivative, {}),
    (ll.softplus, ll.softplus_derivative, {"beta": 1.5, "threshold": 4.0}),
    (ll.hardsigmoid, ll.hardsigmoid_derivative, {}),
    (ll.hardswish, ll.hardswish_derivative, {}),
])
def test_pure_derivatives_match_central_differences(fn, deriv, kwargs):
    x = away_from_kinks(np.linspace(-6, 6, 121) + 0.0123, kinks=(-3.0, 0.0, 3.0, 4.0 / 1.5))
    h = 1e-6
    numeric = (fn(x + h, **kwargs) - fn(x - h, **kwargs)) / (2 * h)
    np.testing.assert_allclose(deriv(x, **kwargs), numeric, rtol=1e-6, atol=1e-8)


def test_pure_prelu_backward_matches_central_differences():
    x, w, dy = away_from_kinks(normal(2, 3, 4, seed=5)), np.array([0.2, -0.4, 0.9]), normal(2, 3, 4, seed=6)
    dx, dw = ll.prelu_backward(dy, x, w)
    assert ll.rel_error(dx, ll.numerical_gradient(lambda: np.sum(ll.prelu(x, w) * dy), x)) < 1e-8
    assert ll.rel_error(dw, ll.numerical_gradient(lambda: np.sum(ll.prelu(x, w) * dy), w)) < 1e-8


def test_gradcheck_catches_a_wrong_kink_free_backward():
    class WrongMish(ll.Mish):
        def _df(self, x):
            return np.tanh(ll.softplus(x))  # forgets the x * sigmoid(x) * (1 - t^2) term

    assert ll.check_gradients(WrongMish(), normal(3, 4), error=ll.scaled_error)["input"] > 1e-3


# -- bad input ---------------------------------------------------------------------------------------
NAMES = ["ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Hardsigmoid", "Hardswish", "PReLU"]


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_names_the_layer(name):
    layer = getattr(ll, name)()
    with pytest.raises(RuntimeError, match=f"{name}.backward.. was called before forward"):
        layer.backward(np.ones(3))
    for dtype in ("int64", "bool", "complex128"):
        with pytest.raises(TypeError, match=f"{name} expected a floating-point input, got dtype {dtype}"):
            layer(np.zeros(3, dtype=dtype))
    layer(np.ones(3))
    with pytest.raises(ValueError, match=rf"{name}.backward expected a gradient of shape \(3,\)"):
        layer.backward(np.ones(4))


HYPER = {"ELU": "alpha", "CELU": "alpha", "Softplus": "beta", "PReLU": "init"}
ZERO_REFUSED = {"CELU": "alpha != 0", "Softplus": "beta != 0"}


@FUZZ
@given(name=st.sampled_from(list(HYPER)),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5),
                       st.text(max_size=3), st.none(), st.booleans(), st.just(0.0),
                       st.lists(st.floats(-1, 1), max_size=2)))
def test_bad_hyper_parameters_fuzz(name, value):
    arg = HYPER[name]
    make = getattr(ll, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        message = rf"{name} expected {arg} to be a number, got {re.escape(repr(value))}"
        with pytest.raises(TypeError, match=message):
            make(**{arg: value})
        return
    if not np.isfinite(value):
        with pytest.raises(ValueError, match=f"{name} expected {arg} to be a finite number"):
            make(**{arg: value})
        return
    if value == 0 and name in ZERO_REFUSED:
        with pytest.raises(ValueError, match=f"{name} expected {ZERO_REFUSED[name]}"):
            make(**{arg: value})
        return
    layer = make(**{arg: value})
    x = normal(3, 4) * 3
    if abs(value) > 1e3 or 0 < abs(value) < 1e-3:
        return  # constructed fine; parity at such scales is not this test's business
    if name == "CELU" and value < 0 and np.abs(x).max() > 700 * -value:
        return  # exp(|x / alpha|) overflows: the true value is -inf
    twin = getattr(torch.nn, name)(**{arg: float(value)})
    compare_with_torch(layer, twin, x)


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match=r"CELU expected alpha != 0 \(it divides x\), got 0.0"):
        ll.CELU(alpha=0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):  # torch refuses it too
        torch.nn.CELU(0.0)(torch.ones(1))
    with pytest.raises(ValueError, match="CELU expected alpha != 0"):
        ll.celu(np.ones(2), alpha=0.0)
    with pytest.raises(ValueError, match=r"Softplus expected beta != 0 \(it divides the output\), got 0.0"):
        ll.Softplus(beta=0.0)
    with pytest.raises(TypeError, match="Softplus expected threshold to be a number, got '20'"):
        ll.Softplus(threshold="20")
    with pytest.raises(ValueError, match="Softplus expected threshold to be a number, got nan"):
        ll.Softplus(threshold=float("nan"))
    with pytest.raises(TypeError, match="ELU expected alpha to be a number, got '1'"):
        ll.elu(np.ones(2), "1")
    with pytest.raises(TypeError, match="PReLU expected num_parameters to be an int, got 2.0"):
        ll.PReLU(2.0)
    with pytest.raises(TypeError, match="PReLU expected num_parameters to be an int, got True"):
        ll.PReLU(True)
    with pytest.raises(ValueError, match="PReLU expected num_parameters >= 1, got 0"):
        ll.PReLU(0)
    with pytest.raises(TypeError, match="PReLU expected a floating-point dtype, got int32"):
        ll.PReLU(dtype=np.int32)
    with pytest.raises(ValueError, match=r"PReLU expected a weight of shape \(num_parameters,\), got \(2, "):
        ll.prelu(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(TypeError, match="missing"):
        ll.PReLU(3).forward()


@FUZZ
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4), n=st.integers(1, 4))
def test_prelu_channels_fuzz(shape, n):
    x = normal(*shape)
    layer, twin = ll.PReLU(n), torch_prelu(n, seed=n)
    try:
        twin(torch.tensor(x))
    except RuntimeError:
        with pytest.raises(ValueError, match=re.escape(
                f"PReLU expected input with {n} channels (num_parameters={n}), got shape {tuple(shape)}")):
            layer(x)
        return
    assert n == 1 or (len(shape) >= 2 and shape[1] == n)
    compare_with_torch(layer, twin, x)


@FUZZ
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=4), name=st.sampled_from(IDS),
       dtype=st.sampled_from(["float64", "float32", "int64", "bool"]), scale=st.sampled_from([1.0, 5.0, 1e6]))
def test_family_fuzz(shape, name, dtype, scale):
    assume(not (name == "celu-2" and scale == 1e6))  # exp(|x / alpha|) truly overflows there
    make_ll, make_torch = LAYERS[name]
    x = (normal(*shape) * scale).astype(dtype)
    if dtype in ("int64", "bool"):
        with pytest.raises(TypeError, match=f"{type(make_ll()).__name__} expected a floating-point input"):
            make_ll()(x)
        return
    if dtype == "float64":
        compare_with_torch(make_ll(), make_torch(), x)
    elif scale < 1e6:
        layer, twin = make_ll(), make_torch().float()
        copy_torch_params(layer, twin)  # PReLU's random slopes
        y = layer(x)
        assert y.dtype == np.float32
        expected = twin(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


# -- the chapter's figure ----------------------------------------------------------------------------
def test_plot_function_panels_draws_each_function_and_derivative():
    xs = np.linspace(-4, 4, 81)
    funcs = {"ELU": (ll.elu, ll.elu_derivative), "SiLU": (ll.silu, ll.silu_derivative),
             "Hardswish": (ll.hardswish(xs), ll.hardswish_derivative(xs)),
             "Mish": (ll.mish, ll.mish_derivative)}
    fig = va.plot_function_panels(xs, funcs, ncols=3, title="family", reference=("ReLU", ll.relu))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(funcs)
    assert len(fig.axes) == 6 and sum(not ax.get_visible() for ax in fig.axes) == 2
    assert fig._suptitle.get_text() == "family"
    expected = [(ll.elu(xs), ll.elu_derivative(xs)), (ll.silu(xs), ll.silu_derivative(xs)),
                (ll.hardswish(xs), ll.hardswish_derivative(xs)), (ll.mish(xs), ll.mish_derivative(xs))]
    for ax, (f, df) in zip(visible, expected, strict=True):
        ref, fl, dfl = ax.lines[-3:]
        np.testing.assert_allclose(ref.get_ydata(), ll.relu(xs))
        np.testing.assert_allclose(fl.get_ydata(), f)
        np.testing.assert_allclose(dfl.get_ydata(), df)
        assert fl.get_linestyle() != dfl.get_linestyle()  # tells f from f' in greyscale
    assert visible[0].get_ylabel() and visible[-1].get_xlabel() == "x"
    assert visible[0].get_ylim() == visible[1].get_ylim()  # shared axes: shapes compare directly
    with pytest.raises(TypeError, match="plot_function_panels"):
        va.plot_function_panels(xs, {})
    with pytest.raises(TypeError, match="'ELU': \\(f, df\\)"):
        va.plot_function_panels(xs, {"ELU": ll.elu})
    with pytest.raises(ValueError, match="plot_function_panels"):
        va.plot_function_panels(xs, {"ELU": (ll.elu, np.zeros(3))})
    with pytest.raises(ValueError, match="ncols"):
        va.plot_function_panels(xs, funcs, ncols=0)
    matplotlib.pyplot.close("all")
