"""The normalization chapter's self-checking exercises accept right answers and name wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from layers_lib.exercises import normalization as ex


def _bn(x, gamma, beta, eps, axes, ddof=0, eps_outside=False):
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    x_hat = (x - mu) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))
    return gamma.reshape(shape) * x_hat + beta.reshape(shape)


def right_1d(x, gamma, beta, eps=1e-5):
    return _bn(x, gamma, beta, eps, (0,))


def right_2d(x, gamma, beta, eps=1e-5):
    return _bn(x, gamma, beta, eps, (0, 2, 3))


def test_forward_accepts_the_right_answer():
    assert ex.check_batchnorm_forward(right_1d).passed
    assert ex.check_batchnorm2d_forward(right_2d).passed


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, g, b, eps=1e-5: _bn(x, g, b, eps, (1,)), "that is LayerNorm"),
    (lambda x, g, b, eps=1e-5: _bn(x, g, b, eps, (0,), ddof=1), "unbiased variance"),
    (lambda x, g, b, eps=1e-5: _bn(x, g, b, eps, (0,), eps_outside=True), "eps goes inside the square root"),
    (lambda x, g, b, eps=1e-5: _bn(x, g, b, 0.0, (0,)), "you left out eps"),
    (lambda x, g, b, eps=1e-5: _bn(x, np.ones_like(g), np.zeros_like(b), eps, (0,)), "without the learnable"),
    (lambda x, g, b, eps=1e-5: _bn(x, b, g, eps, (0,)), "gamma and beta are swapped"),
])
def test_forward_names_typical_mistakes(wrong, hint):
    result = ex.check_batchnorm_forward(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


@pytest.mark.parametrize("axes, hint", [((0,), "batch axis only"), ((2, 3), "InstanceNorm"),
                                         ((1, 2, 3), "LayerNorm")])
def test_forward_2d_names_wrong_axes(axes, hint):
    result = ex.check_batchnorm2d_forward(lambda x, g, b, eps=1e-5: _bn(x, g, b, eps, axes))
    assert not result.passed and hint in str(result), str(result)


def test_forward_2d_explains_a_broadcasting_error():
    def unshaped(x, gamma, beta, eps=1e-5):
        mu, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
        return gamma * (x - mu) / np.sqrt(var + eps) + beta   # gamma (C,) against (N, C, H, W)

    result = ex.check_batchnorm2d_forward(unshaped)
    assert not result.passed and "(1, C, 1, 1)" in str(result), str(result)


def test_stub_gets_the_not_yet_verdict():
    result = ex.check_batchnorm_forward(lambda x, g, b, eps=1e-5: None)
    assert not result.passed and "returned None" in str(result)


def _backward(dout, x, gamma, eps=1e-5):
    mu, var = x.mean(axis=0), x.var(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv
    g = dout * gamma
    dx = inv * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def test_backward_accepts_the_right_answer():
    assert ex.check_batchnorm_backward(_backward).passed


def _constant_stats(dout, x, gamma, eps=1e-5):
    dx, dgamma, dbeta = _backward(dout, x, gamma, eps)
    return dout * gamma / np.sqrt(x.var(axis=0) + eps), dgamma, dbeta


def _mean_path_only(dout, x, gamma, eps=1e-5):
    dx, dgamma, dbeta = _backward(dout, x, gamma, eps)
    inv = 1.0 / np.sqrt(x.var(axis=0) + eps)
    g = dout * gamma
    return inv * (g - g.mean(axis=0)), dgamma, dbeta


def _swapped(dout, x, gamma, eps=1e-5):
    dx, dgamma, dbeta = _backward(dout, x, gamma, eps)
    return dx, dbeta, dgamma


def _not_summed(dout, x, gamma, eps=1e-5):
    dx, _, _ = _backward(dout, x, gamma, eps)
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    return dx, dout * x_hat, dout


def _no_gamma(dout, x, gamma, eps=1e-5):
    return _backward(dout, x, np.ones_like(gamma), eps)[0], *_backward(dout, x, gamma, eps)[1:]


@pytest.mark.parametrize("wrong, hint", [
    (_constant_stats, "treats the batch mean and variance as constants"),
    (_mean_path_only, "not the path through the variance"),
    (_swapped, "dgamma and dbeta are swapped"),
    (_not_summed, "sum the per-example"),
    (_no_gamma, "missing the factor gamma"),
])
def test_backward_names_typical_mistakes(wrong, hint):
    result = ex.check_batchnorm_backward(wrong)
    assert not result.passed
    assert hint in str(result), str(result)
    assert "wrong:    " in str(result) and "hint:" in str(result)
