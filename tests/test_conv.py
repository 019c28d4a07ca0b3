"""Conv2d and ConvTranspose2d: parity with torch.nn, central differences, the loop reference,
bad input and shape fuzzing."""

from __future__ import annotations

import math
import re
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
# torch's own note that 'same' padding with an even kernel makes it copy the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")

# (in_channels, out_channels, kernel_size, kwargs, input shape)
CONV_CASES = [
    (3, 4, 3, {}, (2, 3, 7, 9)),  # odd sizes
    (3, 4, 3, dict(padding=1), (2, 3, 8, 8)),
    (2, 3, 2, dict(stride=3), (2, 2, 9, 7)),  # stride larger than kernel
    (2, 3, (3, 2), dict(stride=(2, 3), padding=(1, 2)), (2, 2, 9, 10)),  # rectangular
    (2, 3, (1, 4), dict(stride=(3, 1), padding=(0, 1), dilation=(1, 2)), (1, 2, 8, 11)),
    (4, 6, 3, dict(dilation=2, groups=2, padding=2), (2, 4, 9, 8)),  # dilation with groups
    (4, 4, 3, dict(groups=4, padding=1), (2, 4, 6, 7)),  # depthwise
    (4, 8, (3, 5), dict(groups=4, stride=2, dilation=(2, 1)), (2, 4, 11, 12)),  # depthwise, multiplier 2
    (6, 4, 1, dict(groups=2), (2, 6, 5, 4)),  # pointwise, grouped
    (3, 5, 5, dict(bias=False), (2, 3, 5, 5)),  # kernel = input: one output pixel
    (3, 4, 3, dict(padding="valid"), (2, 3, 6, 7)),
    (3, 4, 3, dict(padding="same"), (2, 3, 6, 7)),
    (3, 4, (4, 2), dict(padding="same"), (2, 3, 6, 7)),  # odd total: extra row/column bottom/right
    (2, 2, (2, 3), dict(padding="same", dilation=(3, 2)), (2, 2, 8, 9)),
    (2, 4, 3, dict(padding=2, padding_mode="reflect", stride=2), (2, 2, 7, 6)),
    (2, 4, 3, dict(padding=(1, 3), padding_mode="replicate"), (2, 2, 5, 4)),
    (2, 4, 3, dict(padding=(3, 2), padding_mode="circular", stride=(1, 2)), (2, 2, 5, 4)),
    (2, 4, 4, dict(padding="same", padding_mode="reflect"), (2, 2, 6, 5)),
    (2, 4, (4, 3), dict(padding="same", padding_mode="replicate", dilation=(1, 2)), (2, 2, 6, 7)),
    (4, 4, (2, 5), dict(padding="same", padding_mode="circular", groups=2), (2, 4, 5, 6)),
    (4, 2, 3, dict(padding=1, padding_mode="reflect", groups=2, bias=False), (2, 4, 5, 5)),
    (3, 4, 3, dict(stride=2, padding=1), (3, 7, 7)),  # unbatched (C, H, W)
    # more channels; a stride with dilation (dx by col2im, by phases); padding > kernel - 1 (dx
    # crops the "full" padding of the flipped-kernel convolution)
    (16, 12, 3, dict(padding=1), (2, 16, 7, 6)),
    (16, 40, (3, 2), dict(stride=2, padding=(1, 0), dilation=(1, 2)), (2, 16, 9, 8)),
    (16, 5, 3, dict(padding=(2, 1), dilation=2, bias=False), (1, 16, 8, 9)),
    (12, 16, 4, dict(padding=3), (2, 12, 5, 6)),
]


def _ids(cases):
    return [f"{c[0]}-{c[1]}-k{c[2]}-{c[3]}-{c[4]}" for c in cases]


@pytest.mark.parametrize("cin,cout,k,kwargs,shape", CONV_CASES, ids=_ids(CONV_CASES))
def test_conv2d_matches_torch(cin, cout, k, kwargs, shape):
    x = np.random.default_rng(1).normal(size=shape)
    compare_with_torch(ll.Conv2d(cin, cout, k, **kwargs), torch.nn.Conv2d(cin, cout, k, **kwargs), x, steps=2)


TRANSPOSE_CASES = [
    (3, 4, 3, {}, (2, 3, 5, 6)),
    (4, 6, 3, dict(stride=2, padding=1, output_padding=1), (2, 4, 5, 4)),
    (2, 3, (3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)), (2, 2, 4, 5)),
    (2, 3, 4, dict(stride=2, padding=1), (2, 2, 7, 7)),  # the usual 2x upsampling
    (2, 3, 2, dict(stride=3), (2, 2, 4, 3)),  # stride larger than kernel: gaps stay zero (+ bias)
    (2, 3, 3, dict(padding=2), (2, 2, 5, 6)),
    (4, 6, 3, dict(groups=2, stride=2, dilation=2, output_padding=1), (2, 4, 4, 5)),
    (4, 4, 3, dict(dilation=3, output_padding=2, bias=False), (1, 4, 3, 4)),  # output_padding < dilation
    (2, 3, 3, dict(stride=2, padding=1, output_padding=1), (2, 5, 4)),  # unbatched
    (12, 16, 3, dict(padding=1), (2, 12, 6, 5)),  # more channels
    (16, 12, 3, dict(stride=2, padding=1, output_padding=1), (2, 16, 4, 5)),
]


@pytest.mark.parametrize("cin,cout,k,kwargs,shape", TRANSPOSE_CASES, ids=_ids(TRANSPOSE_CASES))
def test_conv_transpose2d_matches_torch(cin, cout, k, kwargs, shape):
    x = np.random.default_rng(2).normal(size=shape)
    layer, twin = ll.ConvTranspose2d(cin, cout, k, **kwargs), torch.nn.ConvTranspose2d(cin, cout, k, **kwargs)
    compare_with_torch(layer, twin, x, steps=2)


# -- central differences -------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(stride=2, padding=1),
    dict(kernel_size=(2, 3), dilation=(2, 1), groups=2, padding="same"),
    dict(padding=2, padding_mode="reflect"),
    dict(padding=(2, 1), padding_mode="replicate", stride=(1, 2)),
    dict(padding="same", padding_mode="circular", kernel_size=4),
])
def test_conv2d_gradients(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    rng = np.random.default_rng(3)
    layer = ll.Conv2d(2, 4, rng=rng, **kwargs)
    errors = check_gradients(layer, rng.normal(size=(2, 2, 5, 6)))
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < GRAD_TOL, errors


@pytest.mark.parametrize("kwargs", [
    dict(stride=2, padding=1, output_padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), groups=2, dilation=2),
])
def test_conv_transpose2d_gradients(kwargs):
    kwargs = {"kernel_size": 3, **kwargs}
    rng = np.random.default_rng(4)
    layer = ll.ConvTranspose2d(2, 4, rng=rng, **kwargs)
    errors = check_gradients(layer, rng.normal(size=(2, 2, 4, 3)))
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < GRAD_TOL, errors


def test_gradients_without_bias_and_unbatched():
    rng = np.random.default_rng(5)
    errors = check_gradients(ll.Conv2d(2, 3, 3, padding=1, bias=False, rng=rng), rng.normal(size=(2, 4, 5)))
    assert set(errors) == {"input", "weight"} and max(errors.values()) < GRAD_TOL


# -- the pure cores and the loop reference -------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(), dict(stride=2, padding=1), dict(stride=(3, 1), padding=(0, 2), dilation=(1, 3)),
    dict(groups=3, padding=1), dict(groups=3, dilation=2),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("channels", [6, 18])
def test_reference_equals_fast_path(kwargs, dtype, channels):
    rng = np.random.default_rng(6)
    groups = kwargs.get("groups", 1)
    x = rng.normal(size=(2, channels, 9, 8)).astype(dtype)
    w = rng.normal(size=(9, channels // groups, 3, 2)).astype(dtype)
    b = rng.normal(size=9).astype(dtype)
    fast, _ = ll.conv2d_forward(x, w, b, **kwargs)
    slow = ll.conv2d_reference(x, w, b, **kwargs)
    assert fast.dtype == slow.dtype == dtype
    np.testing.assert_allclose(fast, slow, rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("shape,kernel,pads,dilation", [
    ((2, 5, 12, 12), (3, 3), ((1, 1), (1, 1)), (1, 1)),  # the usual CNN layer
    ((3, 4, 10, 13), (3, 2), ((2, 0), (1, 1)), (1, 1)),  # uneven padding, rectangular kernel
    ((2, 3, 24, 22), (3, 3), ((2, 2), (2, 2)), (2, 2)),  # dilation
    ((2, 6, 9, 11), (1, 1), ((0, 0), (0, 0)), (1, 1)),  # pointwise
    ((1, 8, 16, 9), (5, 1), ((2, 2), (0, 0)), (1, 1)),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stride_one_path_equals_im2col(monkeypatch, shape, kernel, pads, dilation, dtype):
    """Stride 1 takes the shifted-copy products (no im2col matrix); they give im2col's numbers,
    forward and both gradients (also as the layer's backward computes them, from one set of copies
    of dy), also when a workspace is reused."""
    from layers_lib import conv as C

    rng = np.random.default_rng(3)
    x = rng.normal(size=shape).astype(dtype)
    w = rng.normal(size=(7, shape[1], *kernel)).astype(dtype)
    b = rng.normal(size=7).astype(dtype)
    assert C._use_shifted(x.shape, w.shape, (1, 1), pads, dilation, 1)
    conv_weight_grad, own_copies = C._conv_weight_grad, []

    def counted_weight_grad(*args, **kwargs):  # dW from its own copies of dy
        own_copies.append(1)
        return conv_weight_grad(*args, **kwargs)

    grids_coincide = all(sum(p) == d * (k - 1) for p, d, k in zip(pads, dilation, kernel, strict=True))
    ws = {}
    for _ in range(2):  # the second round reads the kept (not freshly zeroed) arrays
        out, cols = C._conv(x, w, b, (1, 1), pads, dilation, 1, ws)
        assert isinstance(cols, C._ShiftedRows)
        dy = rng.normal(size=out.shape).astype(dtype)
        dw = C._conv_weight_grad(dy, cols, w.shape, ws)
        dx = C._conv_input_grad(dy, w, (1, 1), pads, dilation, 1, x.shape, ws)
        with monkeypatch.context() as m:
            m.setattr(C, "_use_shifted", lambda *args: False)
            out_i, cols_i = C._conv(x, w, b, (1, 1), pads, dilation, 1)
            assert not isinstance(cols_i, C._ShiftedRows)
            dw_i = C._conv_weight_grad(dy, cols_i, w.shape)
            dx_i = C._conv_input_grad(dy, w, (1, 1), pads, dilation, 1, x.shape)
        # the layer's backward: with "same" padding dx and dW share dy's copies (no second copy of dy)
        cache = C.Conv2dCache(cols, w, x.shape, out.shape[2:], (1, 1), pads, dilation, 1, True)
        own_copies.clear()
        shares = grids_coincide and C._dx_as_full_conv(dy, w, (1, 1), pads, dilation, 1, x.shape)
        with monkeypatch.context() as m:
            m.setattr(C, "_conv_weight_grad", counted_weight_grad)
            dx_b, dw_b, db_b = C.conv2d_backward(dy, cache, workspace=ws)
        assert own_copies == ([] if shares else [1])
        tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
        pairs = (out, out_i), (dw, dw_i), (dx, dx_i), (dw_b, dw_i), (dx_b, dx_i), (db_b, dy.sum((0, 2, 3)))
        for got, want in pairs:
            assert got.shape == want.shape and got.dtype == dtype
            np.testing.assert_allclose(got, want, **tol)
        x = x + 1.0


def test_which_convolutions_take_the_stride_one_path():
    from layers_lib import conv as C

    same = ((1, 1), (1, 1))
    w = (64, 64, 3, 3)
    assert C._use_shifted((32, 64, 32, 32), w, (1, 1), same, (1, 1), 1)  # the benchmark's layer
    assert not C._use_shifted((32, 64, 32, 32), w, (2, 2), same, (1, 1), 1)  # strided: im2col
    assert not C._use_shifted((32, 64, 32, 32), (64, 32, 3, 3), (1, 1), same, (1, 1), 2)  # groups
    assert not C._use_shifted((1, 1, 5, 5), (1, 1, 7, 7), (1, 1), ((3, 3), (3, 3)), (1, 1), 1)  # border
    assert not C._use_shifted((1, 1, 8, 8), (1, 1, 3, 3), (1, 1), ((-1, 0), (0, 0)), (1, 1), 1)  # cropping
    # 3 channels in, 64 out: 3*64 + 3*3 rows of products and copies against im2col's 27 + dy's 64
    assert not C._use_shifted((8, 3, 32, 32), (64, 3, 3, 3), (1, 1), same, (1, 1), 1)
    assert C._use_shifted((8, 16, 32, 32), (16, 16, 3, 3), (1, 1), same, (1, 1), 1)  # 48 + 48 <= 144 + 16


@pytest.mark.parametrize("kernel,stride,dilation,pads,groups", [
    ((3, 3), (2, 2), (1, 1), ((1, 1), (1, 1)), 1), ((5, 5), (2, 2), (1, 1), ((2, 2), (2, 2)), 1),
    ((3, 2), (3, 1), (2, 1), ((0, 0), (1, 1)), 1), ((2, 3), (2, 3), (1, 2), ((1, 1), (0, 0)), 2),
    ((1, 1), (2, 2), (1, 1), ((0, 0), (0, 0)), 1), ((2, 2), (4, 4), (3, 1), ((1, 1), (2, 2)), 1),
    ((3, 3), (2, 3), (1, 1), ((1, 0), (1, -1)), 1),  # output_padding of a transposed conv: negative pads
    ((3, 3), (1, 1), (1, 1), ((1, 1), (1, 1)), 1), ((5, 1), (1, 1), (1, 1), ((2, 2), (0, 0)), 2),  # stride 1
])
def test_strided_input_gradient_adds_every_tap_back(kernel, stride, dilation, pads, groups):
    """For stride > 1, dx is W.T @ dy added back onto the pixels each tap read, a phase of the
    stride at a time (_phase_input_grad): pixel by pixel the sum np.add.at builds over the same
    indices, and the exact adjoint of the im2col forward pass."""
    from layers_lib.conv import _conv, _conv_input_grad

    rng = np.random.default_rng(10)
    (top, bottom), (left, right) = pads
    x = rng.normal(size=(2, 4, 11, 10))
    w = rng.normal(size=(6, 4 // groups, *kernel))
    y, _ = _conv(x, w, None, stride, ((top, max(bottom, 0)), (left, max(right, 0))), dilation, groups)
    hp, wp = 11 + top + bottom, 10 + left + right  # the grid the windows lie in
    ho = (hp - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    wo = (wp - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    dy = rng.normal(size=(2, 6, ho, wo))
    dx = _conv_input_grad(dy, w, stride, pads, dilation, groups, x.shape)
    assert dx.shape == x.shape
    # the reference: every (window, tap) adds W[o, c, i, j] * dy[n, o, oh, ow] onto its padded pixel
    want = np.zeros((2, 4, max(hp, 11 + top), max(wp, 10 + left)))
    cg, og = 4 // groups, 6 // groups
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows = np.arange(ho) * stride[0] + i * dilation[0]
            cols = np.arange(wo) * stride[1] + j * dilation[1]
            for g in range(groups):
                part = np.einsum("oc,nohw->nchw", w[g * og:(g + 1) * og, :, i, j], dy[:, g * og:(g + 1) * og])
                np.add.at(want, (slice(None), slice(g * cg, (g + 1) * cg), rows[:, None], cols), part)
    want = want[:, :, top:top + 11, left:left + 10]
    np.testing.assert_allclose(dx, want, rtol=1e-12, atol=1e-12)
    if min(bottom, right) >= 0:  # the adjoint of the forward pass
        np.testing.assert_allclose(np.sum(dy * y), np.sum(dx * x), rtol=1e-12)


def test_core_backward_is_the_adjoint():
    """<dy, conv(x)> is linear in x and in w: the backward must be its exact adjoint."""
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(2, 4, 7, 6)), rng.normal(size=(6, 2, 3, 3))
    y, cache = ll.conv2d_forward(x, w, None, stride=2, padding=1, groups=2)
    dy = rng.normal(size=y.shape)
    dx, dw, db = ll.conv2d_backward(dy, cache)
    assert db is None
    assert np.isclose(np.sum(dy * y), np.sum(dx * x))
    assert np.isclose(np.sum(dy * y), np.sum(dw * w))


def test_conv_transpose_is_the_input_gradient_of_conv():
    rng = np.random.default_rng(8)
    x, w = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 3))
    y, cache = ll.conv2d_forward(x, w, None, stride=2, padding=1)
    dy = rng.normal(size=y.shape)
    dx, _, _ = ll.conv2d_backward(dy, cache)
    # the conv's input size 9x8 maps to 5x4; output_padding (0, 1) picks 9x8 again
    up, _ = ll.conv_transpose2d_forward(dy, w, None, stride=2, padding=1, output_padding=(0, 1))
    np.testing.assert_allclose(up, dx, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("h,w,k,s,p,d", [(28, 28, 3, 1, 0, 1), (8, 8, 3, 2, 0, 1), (10, 9, 2, 3, 1, 1),
                                         (15, 11, 3, 2, 2, 3), (7, 12, (3, 1), (2, 1), (1, 0), (1, 2))])
def test_output_size_formula_matches_torch(h, w, k, s, p, d):
    y = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)(torch.zeros(1, 1, h, w))
    assert ll.conv2d_output_size(h, w, k, s, p, d) == tuple(y.shape[2:])


@pytest.mark.parametrize("h,w,k,s,p,op,d", [(14, 14, 3, 2, 1, 1, 1), (4, 4, 3, 1, 2, 1, 2),
                                            (5, 7, (2, 3), (3, 1), (0, 1), (2, 0), 1)])
def test_transposed_output_size_matches_torch(h, w, k, s, p, op, d):
    y = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d)(
        torch.zeros(1, 1, h, w))
    assert ll.conv_transpose2d_output_size(h, w, k, s, p, op, d) == tuple(y.shape[2:])



# -- the layer contract: one named cache per pure core, one base for both layers --------------------
@pytest.mark.parametrize("cls,kwargs,shape", [
    (ll.Conv2d, dict(stride=2, padding=1), (2, 3, 7, 6)),
    (ll.Conv2d, dict(padding="same", padding_mode="reflect"), (3, 6, 5)),  # unbatched, padded by the layer
    (ll.ConvTranspose2d, dict(stride=2, padding=1, output_padding=1), (2, 3, 4, 5)),
    (ll.ConvTranspose2d, dict(groups=3, dilation=2), (3, 4, 5)),  # unbatched
])
def test_layers_keep_their_cores_named_cache_unwrapped(cls, kwargs, shape):
    cache_type = ll.Conv2dCache if cls is ll.Conv2d else ll.ConvTranspose2dCache
    x = np.random.default_rng(11).normal(size=shape)
    layer = cls(3, 6, 3, **kwargs)
    y = layer(x)
    assert type(layer._cache) is cache_type and layer._cache._fields
    twin = getattr(torch.nn, cls.__name__)(3, 6, 3, **kwargs).double()
    with torch.no_grad():
        expected = twin(torch.tensor(x)).shape
    assert y.shape == tuple(expected)
    # the cache knows the batched output shape, which backward checks dy against
    assert layer._cache.out_shape == ((1, *expected) if len(shape) == 3 else tuple(expected))
    assert isinstance(layer, ll.conv._ConvNd)


def test_core_caches_hold_the_geometry():
    x, w = np.zeros((2, 4, 9, 8)), np.zeros((6, 2, 3, 2))
    _, cache = ll.conv2d_forward(x, w, np.zeros(6), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    assert type(cache) is ll.Conv2dCache
    assert (cache.x_shape, cache.stride, cache.pads, cache.dilation, cache.groups, cache.has_bias) == (
        (2, 4, 9, 8), (2, 1), ((1, 1), (0, 0)), (1, 2), 2, True)
    assert cache.out_shape == (2, 6, 5, 6)  # floor((9 + 2 - 2 - 1) / 2) + 1 = 5, 8 - 2 = 6
    assert cache.cols.shape == (2, 2, 2 * 3 * 2, 5 * 6)  # (N, G, C_in/G*kh*kw, H_out*W_out)
    _, cache = ll.conv_transpose2d_forward(np.zeros((2, 4, 3, 3)), np.zeros((4, 3, 3, 3)), None, stride=2,
                                           padding=1, output_padding=1, groups=2)
    assert type(cache) is ll.ConvTranspose2dCache and not cache.has_bias
    assert cache.out_shape == (2, 6, 6, 6)  # (3 - 1)*2 - 2 + 2 + 1 + 1 = 6, C_out = 2 groups * 3
    assert cache.pads == ((1, 0), (1, 0))  # the matching convolution's padding: (p, p - output_padding)


@pytest.mark.parametrize("cls", [ll.Conv2d, ll.ConvTranspose2d])
@pytest.mark.parametrize("kwargs,error,pattern", [
    (dict(stride=0), ValueError, "{name} expected stride >= 1, got 0"),
    (dict(dilation=(1, 0)), ValueError, "{name} expected dilation >= 1, got 0"),
    (dict(kernel_size=2.5), TypeError, "{name} expected kernel_size to be an int, got 2.5"),
    (dict(groups=3), ValueError, "{name}: in_channels=4 must be divisible by groups=3"),
    (dict(groups=4, out_channels=6), ValueError, "{name}: out_channels=6 must be divisible by groups=4"),
    (dict(out_channels=0), ValueError, "{name} expected out_channels >= 1, got 0"),
    (dict(dtype=np.int32), TypeError, "{name} expected a floating-point dtype, got int32"),
    (dict(rng=0), TypeError, "{name} expected rng to be a numpy.random.Generator, got int"),
])
def test_both_layers_check_their_shared_arguments_by_name(cls, kwargs, error, pattern):
    args = {"in_channels": 4, "out_channels": 8, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match="^" + re.escape(pattern.format(name=cls.__name__)) + "$"):
        cls(**args)

# -- initialisation, dtypes, accumulation, repr ----------------------------------------------------
@pytest.mark.parametrize("cls,args,fan_in,wshape", [
    (ll.Conv2d, (6, 8, (3, 2)), 6 * 3 * 2, (8, 6, 3, 2)),
    (ll.Conv2d, (6, 9, 3, 1, 0, 1, 3), 2 * 9, (9, 2, 3, 3)),
    (ll.ConvTranspose2d, (6, 8, (3, 2)), 8 * 3 * 2, (6, 8, 3, 2)),
])
def test_init_like_torch(cls, args, fan_in, wshape):
    layer = cls(*args, rng=np.random.default_rng(0))
    twin = getattr(torch.nn, cls.__name__)(*args)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in twin.named_parameters()]
    assert layer.weight.shape == wshape
    bound = 1 / math.sqrt(fan_in)
    for p in layer.parameters():
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.5 * bound
        assert p.data.dtype == np.float64
    again = cls(*args, rng=np.random.default_rng(0))
    assert np.array_equal(layer.weight.data, again.weight.data)


def test_dtypes():
    layer = ll.Conv2d(2, 3, 3, dtype=np.float32, rng=np.random.default_rng(0))
    assert layer.weight.data.dtype == np.float32
    y = layer(np.ones((1, 2, 4, 4)))  # computes in the input's dtype
    assert y.dtype == np.float64
    dx = layer.backward(np.ones_like(y))
    assert dx.dtype == np.float64 and layer.weight.grad.dtype == np.float32
    layer64 = ll.Conv2d(2, 3, 3, rng=np.random.default_rng(0))
    assert layer64(np.ones((1, 2, 4, 4), dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="floating-point dtype"):
        ll.Conv2d(2, 3, 3, dtype=np.int32)


@pytest.mark.parametrize("layer", [ll.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
                                   ll.ConvTranspose2d(2, 3, 3, stride=2)])
def test_backward_accumulates(layer):
    x = np.random.default_rng(0).normal(size=(2, 2, 5, 5))
    dy = np.random.default_rng(1).normal(size=layer(x).shape)
    layer.zero_grad()
    layer.backward(dy)
    first = [p.grad.copy() for p in layer.parameters()]
    layer(x)
    layer.backward(dy)
    for g, p in zip(first, layer.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, 2 * g)


@pytest.mark.parametrize("args,kwargs", [
    ((1, 16, 3), dict(padding=1)),
    ((2, 4, (3, 2)), dict(stride=(2, 1), dilation=2, groups=2, bias=False)),
    ((2, 4, 3), dict(padding="same", padding_mode="reflect")),
    ((2, 4, 3), dict(padding="valid")),
    ((2, 4, 3), dict(padding=(0, 1), padding_mode="circular")),
])
def test_conv2d_repr_matches_torch(args, kwargs):
    assert repr(ll.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1),
                                    dict(groups=2, dilation=2, bias=False)])
def test_conv_transpose2d_repr_matches_torch(kwargs):
    assert repr(ll.ConvTranspose2d(2, 4, 3, **kwargs)) == repr(torch.nn.ConvTranspose2d(2, 4, 3, **kwargs))


@pytest.mark.parametrize("cls,kwargs", [(ll.Conv2d, dict(padding=1)), (ll.Conv2d, dict(stride=2)),
                                        (ll.ConvTranspose2d, dict(stride=1)),
                                        (ll.ConvTranspose2d, dict(stride=2))])
def test_reused_workspace_follows_changing_shapes(cls, kwargs):
    """The layer keeps its im2col matrices between calls; new shapes must not see stale buffers."""
    rng = np.random.default_rng(9)
    layer = cls(3, 4, 3, **kwargs)
    twin = getattr(torch.nn, cls.__name__)(3, 4, 3, **kwargs)
    for shape in [(2, 3, 7, 7), (1, 3, 5, 6), (2, 3, 7, 7)]:
        compare_with_torch(layer, twin, rng.normal(size=shape))
    x = rng.normal(size=(2, 3, 6, 6))
    first, second = layer(x), layer(x + 1.0)  # the second call overwrites the kept matrix...
    assert not np.allclose(first, second)
    dy = rng.normal(size=second.shape)
    twin.zero_grad()
    xt = torch.tensor(x + 1.0, requires_grad=True)
    twin(xt).backward(torch.tensor(dy))
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-6, atol=1e-8)  # ...and its cache


def test_forward_memory_is_the_im2col_matrix():
    """A strided forward pass allocates the padded input, the im2col matrix and the output, no
    more; a stride-1 pass the kw shifted copies of the padded input, the kh products and the output."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 16, 32, 32)).astype(np.float32)
    w, b = rng.normal(size=(16, 16, 3, 3)).astype(np.float32), np.zeros(16, dtype=np.float32)
    for stride in (2, 1):
        ll.conv2d_forward(x, w, b, stride=stride, padding=1)
        tracemalloc.start()
        y, _ = ll.conv2d_forward(x, w, b, stride=stride, padding=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if stride == 2:
            im2col_bytes = 4 * 16 * 16 * 16 * 9 * 4
            assert im2col_bytes < peak < im2col_bytes + 2 * x.nbytes + 2 * y.nbytes, peak / im2col_bytes
        else:
            padded_bytes = 4 * 16 * 34 * 34 * 4
            products_bytes = 3 * 16 * (4 * 34 * 34 + 2 * 34) * 4  # kh products, read up to 2 rows further on
            shifted_bytes = 3 * padded_bytes + products_bytes + y.nbytes  # kw copies, products, out
            assert 3 * padded_bytes < peak < 1.05 * shifted_bytes < 4 * 32 * 32 * 16 * 9 * 4, peak
    layer = ll.Conv2d(16, 16, 3, padding=1, dtype=np.float32)
    layer(x)
    tracemalloc.start()
    layer(x)  # the layer keeps its im2col matrix: a second call does not allocate it again
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * x.nbytes + 2 * y.nbytes


# -- bad input -----------------------------------------------------------------------------------
def test_wrong_ndim_message_names_the_expected_shape():
    layer = ll.Conv2d(3, 8, 3)
    expected = r"^Conv2d expected input of shape \(N, 3, H, W\), got \(64, 28, 28\)"
    with pytest.raises(ValueError, match=expected):
        layer(np.zeros((64, 28, 28)))
    with pytest.raises(ValueError, match=r"Conv2d expected input of shape \(N, 3, H, W\), got \(28, 28\)"):
        layer(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"got \(2, 1, 3, 28, 28\)"):
        layer(np.zeros((2, 1, 3, 28, 28)))


def test_wrong_channels():
    expected = r"^Conv2d expected input of shape \(N, 3, H, W\), got \(2, 4, 8, 8\)$"
    with pytest.raises(ValueError, match=expected):
        ll.Conv2d(3, 8, 3)(np.zeros((2, 4, 8, 8)))
    with pytest.raises(ValueError, match=r"ConvTranspose2d expected input of shape \(N, 2, H, W\)"):
        ll.ConvTranspose2d(2, 8, 3)(np.zeros((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="expects 4 input channels"):
        ll.conv2d_forward(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)), None, groups=2)


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) is larger than the padded input \(4, 6\)"):
        ll.Conv2d(1, 1, 5, padding=(0, 1))(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"kernel \(3, 3\) \(dilated to \(5, 5\)\) is larger than the"):
        ll.Conv2d(1, 1, 3, dilation=2)(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="empty output"):
        ll.ConvTranspose2d(1, 1, 3, padding=3)(np.zeros((1, 1, 3, 3)))


@pytest.mark.parametrize("kwargs,error,pattern", [
    (dict(stride=0), ValueError, "stride >= 1"),
    (dict(stride=(1, -2)), ValueError, "stride >= 1"),
    (dict(padding=-1), ValueError, "padding >= 0"),
    (dict(dilation=0), ValueError, "dilation >= 1"),
    (dict(kernel_size=0), ValueError, "kernel_size >= 1"),
    (dict(kernel_size=(3, 3, 3)), ValueError, "kernel_size to be an int or a pair"),
    (dict(kernel_size=2.5), TypeError, "kernel_size to be an int"),
    (dict(groups=3), ValueError, "in_channels=4 must be divisible by groups=3"),
    (dict(groups=4, out_channels=6), ValueError, "out_channels=6 must be divisible by groups=4"),
    (dict(padding="full"), ValueError, "padding 'same', 'valid'"),
    (dict(padding="same", stride=2), ValueError, "not supported for strided convolutions"),
    (dict(padding_mode="mirror"), ValueError, "padding_mode"),
    (dict(in_channels=0), ValueError, "in_channels >= 1"),
])
def test_bad_constructor_arguments(kwargs, error, pattern):
    args = {"in_channels": 4, "out_channels": 8, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match=pattern):
        ll.Conv2d(**args)


def test_bad_transposed_constructor_arguments():
    with pytest.raises(ValueError, match="output_padding"):
        ll.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        ll.ConvTranspose2d(1, 1, 3, output_padding=1)
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        ll.ConvTranspose2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="divisible by groups"):
        ll.ConvTranspose2d(4, 6, 3, groups=4)


def test_padding_larger_than_the_input_for_reflect_and_circular():
    with pytest.raises(ValueError, match="reflect"):
        ll.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="circular"):
        ll.Conv2d(1, 1, 3, padding=4, padding_mode="circular")(np.zeros((1, 1, 3, 3)))
    y = ll.Conv2d(1, 1, 3, padding=3, padding_mode="circular")(np.zeros((1, 1, 3, 3)))
    assert y.shape == (1, 1, 7, 7)


@pytest.mark.parametrize("layer", [ll.Conv2d(1, 2, 3), ll.ConvTranspose2d(1, 2, 3)])
def test_integer_input_and_backward_errors(layer):
    with pytest.raises(TypeError, match="floating-point input"):
        layer(np.zeros((1, 1, 5, 5), dtype=np.int64))
    with pytest.raises(RuntimeError, match="before forward"):
        type(layer)(1, 2, 3).backward(np.zeros((1, 2, 3, 3)))
    y = layer(np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"backward expected a gradient of shape \(1, 2, \d, \d\)"):
        layer.backward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="backward expected a gradient of shape"):
        layer.backward(np.zeros(y.shape[1:]))


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="non-empty"):
        ll.Conv2d(1, 2, 1)(np.zeros((0, 1, 5, 5)))


# -- fuzzing: every call matches torch's shape and values, or both refuse it ----------------------
def _torch_result(make, x):
    try:
        with torch.no_grad():
            return make()(torch.tensor(x))
    except (RuntimeError, ValueError):
        return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 2), groups=st.sampled_from([1, 2]), cin_g=st.integers(1, 2), cout_g=st.integers(1, 2),
    h=st.integers(1, 8), w=st.integers(1, 8), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.one_of(st.tuples(st.integers(0, 3), st.integers(0, 3)), st.sampled_from(["same", "valid"])),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]), unbatched=st.booleans(),
)
def test_fuzz_conv2d(n, groups, cin_g, cout_g, h, w, k, stride, padding, dilation, mode, unbatched):
    cin, cout = cin_g * groups, cout_g * groups
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, padding_mode=mode)
    shape = (cin, h, w) if unbatched else (n, cin, h, w)
    x = np.random.default_rng(0).normal(size=shape)
    try:
        twin = torch.nn.Conv2d(cin, cout, k, **kwargs).double()
    except ValueError:
        twin = None
    expected = None if twin is None else _torch_result(lambda: twin, x)
    try:
        layer = ll.Conv2d(cin, cout, k, **kwargs)
        y = layer(x)
    except (ValueError, TypeError, RuntimeError):
        assert expected is None, "layers_lib refused a convolution that torch computes"
        return
    assert expected is not None, f"torch refuses this convolution but layers_lib returned {y.shape}"
    assert y.shape == tuple(expected.shape)
    compare_with_torch(layer, twin, x)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 2), cin=st.integers(1, 3), cout=st.integers(1, 3), h=st.integers(1, 5),
    w=st.integers(1, 5),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)), stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    output_padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_fuzz_conv_transpose2d(n, cin, cout, h, w, k, stride, padding, output_padding, dilation):
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    x = np.random.default_rng(0).normal(size=(n, cin, h, w))
    twin = torch.nn.ConvTranspose2d(cin, cout, k, **kwargs).double()
    expected = _torch_result(lambda: twin, x)
    try:
        layer = ll.ConvTranspose2d(cin, cout, k, **kwargs)
        y = layer(x)
    except (ValueError, TypeError, RuntimeError):
        assert expected is None, "layers_lib refused a transposed convolution that torch computes"
        return
    assert expected is not None, f"torch refuses it but layers_lib returned {y.shape}"
    assert y.shape == tuple(expected.shape)
    compare_with_torch(layer, twin, x)


def test_core_functions_check_their_input():
    w = np.zeros((2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"conv2d_forward expected input of shape \(N, C, H, W\)"):
        ll.conv2d_forward(np.zeros((3, 4, 4)), w)
    with pytest.raises(ValueError, match=r"expected a weight of shape \(C_out, C_in // groups, kh, kw\)"):
        ll.conv2d_forward(np.zeros((1, 3, 4, 4)), w[0])
    with pytest.raises(TypeError, match="floating-point input"):
        ll.conv2d_forward(np.zeros((1, 3, 4, 4), dtype=int), w)
    with pytest.raises(ValueError, match="larger than the padded input"):
        ll.conv2d_forward(np.zeros((1, 3, 1, 4)), w)
    with pytest.raises(ValueError, match="expects 2 input channels"):
        ll.conv_transpose2d_forward(np.zeros((1, 3, 4, 4)), w)
