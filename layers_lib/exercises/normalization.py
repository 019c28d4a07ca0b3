"""Checkers for the normalization chapter's exercises.

* :func:`check_batchnorm_forward`: BatchNorm in training mode on ``(N, D)`` input;
* :func:`check_batchnorm2d_forward`: the same on ``(N, C, H, W)`` feature maps;
* :func:`check_batchnorm_backward`: the gradients ``(dx, dgamma, dbeta)``.

The expected answers come from :class:`layers_lib.BatchNorm1d` and :class:`layers_lib.BatchNorm2d`;
the hints recognise the usual mistakes (wrong axis, unbiased variance, ``eps`` outside the
square root, a backward pass that treats the batch statistics as constants).
"""

from __future__ import annotations

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases, close

__all__ = ["check_batchnorm_forward", "check_batchnorm2d_forward", "check_batchnorm_backward"]

_EPS = 1e-5


def _layer(cls, gamma, beta, eps):
    layer = cls(len(gamma), eps=eps)
    layer.weight.data = np.array(gamma, dtype=np.float64)
    layer.bias.data = np.array(beta, dtype=np.float64)
    return layer


def _normalise(x, axes, gamma, beta, eps, ddof=0, eps_outside=False, var_not_std=False):
    """A (possibly wrong) normalisation used to recognise the reader's mistake."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    if eps_outside:
        xhat = (x - mean) / (np.sqrt(var) + eps)
    elif var_not_std:
        xhat = (x - mean) / (var + eps)
    else:
        xhat = (x - mean) / np.sqrt(var + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return gamma.reshape(shape) * xhat + beta.reshape(shape), xhat


def _forward_cases(shapes, seed):
    rng = np.random.default_rng(seed)
    cases = []
    for k, shape in enumerate(shapes):
        C = shape[1]
        centre = rng.normal(0, 3, size=(1, C) + (1,) * (len(shape) - 2))
        scale = rng.uniform(0.5, 4, size=(1, C) + (1,) * (len(shape) - 2))
        x = centre + scale * rng.normal(size=shape)
        if k == len(shapes) - 1:   # a nearly constant feature: its variance is below eps
            x[:, 0] = 5.0 + 1e-3 * rng.normal(size=x[:, 0].shape)
        gamma = rng.uniform(0.5, 2.0, size=C)
        beta = rng.normal(size=C)
        cases.append((x, gamma, beta))
    return cases


def _forward_hint(args, got, expected, batch_axes):
    x, gamma, beta, eps = args
    if isinstance(got, Raised):
        if "broadcast" in str(got.exc) and x.ndim == 4:
            return ("gamma, beta and the statistics have one value per channel, shape (C,). Reshape them "
                    "to (1, C, 1, 1) (or keep the axes with keepdims=True) so that they line up with axis 1 "
                    "of x.")
        return None  # the verdict shows the error
    if not isinstance(got, np.ndarray) or got.shape != x.shape:
        shape = getattr(got, "shape", None)
        return f"the output must have the input's shape {x.shape}, got {shape}."
    wrong = {
        "features": "you normalised each example over its features (axis 1): that is LayerNorm. "
                    "BatchNorm normalises each feature over the batch.",
        "unbiased": "you used the unbiased variance (ddof=1, dividing by N - 1). BatchNorm normalises with "
                    "the biased variance x.var(axis=...), dividing by the number of values averaged; "
                    "PyTorch uses the unbiased one only to update running_var.",
        "eps_outside": "eps goes inside the square root: (x - mean) / sqrt(var + eps), not "
                       "(x - mean) / (sqrt(var) + eps). The difference shows on a feature whose variance "
                       "is close to eps (this case has one).",
        "no_eps": "you left out eps: divide by sqrt(var + eps). It matters when a feature is nearly "
                  "constant (this case has one) and prevents a division by zero when it is exactly constant.",
        "var_not_std": "divide by the standard deviation sqrt(var + eps), not by the variance.",
        "no_affine": "you returned the normalised x̂ without the learnable scale and shift: "
                     "out = gamma * x̂ + beta.",
        "swapped": "gamma and beta are swapped: gamma scales, beta shifts (out = gamma * x̂ + beta).",
    }
    feature_axes = tuple(a for a in range(1, x.ndim))
    candidates = {
        "features": _normalise(x, feature_axes, gamma, beta, eps)[0],
        "unbiased": _normalise(x, batch_axes, gamma, beta, eps, ddof=1)[0],
        "eps_outside": _normalise(x, batch_axes, gamma, beta, eps, eps_outside=True)[0],
        "no_eps": _normalise(x, batch_axes, gamma, beta, 0.0)[0],
        "var_not_std": _normalise(x, batch_axes, gamma, beta, eps, var_not_std=True)[0],
        "no_affine": _normalise(x, batch_axes, gamma, beta, eps)[1],
        "swapped": _normalise(x, batch_axes, beta, gamma, eps)[0],
    }
    if x.ndim == 4:
        wrong["only_batch"] = ("you averaged over the batch axis only, giving one mean per channel *and "
                               "position*. BatchNorm2d shares one mean per channel: average over N, H and W, "
                               "axis=(0, 2, 3).")
        wrong["instance"] = ("you averaged over H and W only, one mean per example and channel: that is "
                             "InstanceNorm. BatchNorm2d also averages over the batch: axis=(0, 2, 3).")
        wrong["features"] = ("you averaged over C, H and W, one mean per example: that is LayerNorm. "
                             "BatchNorm2d averages each channel over N, H and W: axis=(0, 2, 3).")
        candidates["only_batch"] = _normalise(x, (0,), gamma, beta, eps)[0]
        candidates["instance"] = _normalise(x, (2, 3), gamma, beta, eps)[0]
    for key, candidate in candidates.items():
        if close(got, candidate):
            return wrong[key]
    return None


def _show_forward(args) -> str:
    return f"x of shape {args[0].shape}, gamma and beta of shape {args[1].shape}"


def check_batchnorm_forward(fn) -> CheckResult:
    """Check ``fn(x, gamma, beta, eps) -> out``: BatchNorm1d's training-mode forward pass on
    ``x`` of shape ``(N, D)`` with ``gamma`` and ``beta`` of shape ``(D,)``."""
    cases = []
    for x, gamma, beta in _forward_cases([(6, 4), (5, 7), (8, 3)], seed=11):
        expected = _layer(ll.BatchNorm1d, gamma, beta, _EPS)(x)
        cases.append(((x, gamma, beta, _EPS), expected))
    return check_cases("batchnorm_forward", fn, cases, diagnose=lambda a, g, e: _forward_hint(a, g, e, (0,)),
                       show_input=_show_forward)


def check_batchnorm2d_forward(fn) -> CheckResult:
    """Check ``fn(x, gamma, beta, eps) -> out``: BatchNorm2d's training-mode forward pass on
    ``x`` of shape ``(N, C, H, W)`` with ``gamma`` and ``beta`` of shape ``(C,)``."""
    cases = []
    for x, gamma, beta in _forward_cases([(4, 3, 5, 6), (2, 5, 3, 4), (3, 2, 4, 4)], seed=12):
        expected = _layer(ll.BatchNorm2d, gamma, beta, _EPS)(x)
        cases.append(((x, gamma, beta, _EPS), expected))
    return check_cases("batchnorm2d_forward", fn, cases,
                       diagnose=lambda a, g, e: _forward_hint(a, g, e, (0, 2, 3)), show_input=_show_forward)


def _backward_hint(args, got, expected):
    dout, x, gamma, eps = args
    if isinstance(got, Raised):
        return None  # the verdict shows the error
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return "return a tuple of three arrays: (dx, dgamma, dbeta)."
    dx, dgamma, dbeta = (np.asarray(g) for g in got)
    exp_dx, exp_dgamma, exp_dbeta = expected
    if dgamma.shape == x.shape or dbeta.shape == x.shape:
        return ("dgamma and dbeta have one entry per feature, shape (D,): sum the per-example "
                "contributions over the batch (axis=0).")
    if close(dgamma, exp_dbeta) and close(dbeta, exp_dgamma):
        return "dgamma and dbeta are swapped: dbeta = sum(dout), dgamma = sum(dout * x̂)."
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    dxhat = dout * gamma
    if close(dx, dxhat * inv_std):
        return ("dx treats the batch mean and variance as constants. They depend on every x in the "
                "batch, so dx has two more terms: dx = inv_std * (dx̂ - mean(dx̂) - x̂ * mean(dx̂ * x̂)).")
    if close(dx, inv_std * (dxhat - dxhat.mean(axis=0))):
        return ("dx includes the path through the mean but not the path through the variance: "
                "subtract x̂ * mean(dx̂ * x̂) as well.")
    xhat = (x - mean) * inv_std
    if close(dx, inv_std * (dout - dout.mean(axis=0) - xhat * (dout * xhat).mean(axis=0))):
        return "dx is missing the factor gamma: the gradient reaching x̂ is dx̂ = dout * gamma."
    if not close(dx, exp_dx) and close(dgamma, exp_dgamma) and close(dbeta, exp_dbeta):
        return "dgamma and dbeta are right; only dx is wrong."
    return None


def check_batchnorm_backward(fn) -> CheckResult:
    """Check ``fn(dout, x, gamma, eps) -> (dx, dgamma, dbeta)``: BatchNorm1d's backward pass in
    training mode, for ``x`` and ``dout`` of shape ``(N, D)`` and ``gamma`` of shape ``(D,)``."""
    cases = []
    rng = np.random.default_rng(13)
    for shape in [(6, 4), (5, 7), (10, 3)]:
        x = rng.normal(1.0, 2.0, size=shape)
        gamma = rng.uniform(0.5, 2.0, size=shape[1])
        beta = rng.normal(size=shape[1])
        dout = rng.normal(size=shape)
        layer = _layer(ll.BatchNorm1d, gamma, beta, _EPS)
        layer.zero_grad()
        layer(x)
        dx = layer.backward(dout)
        cases.append(((dout, x, gamma, _EPS), (dx, layer.weight.grad.copy(), layer.bias.grad.copy())))
    return check_cases("batchnorm_backward", fn, cases, diagnose=_backward_hint,
                       show_input=lambda a: f"dout and x of shape {a[1].shape}, gamma of shape {a[2].shape}",
                       names=("dx", "dgamma", "dbeta"))
