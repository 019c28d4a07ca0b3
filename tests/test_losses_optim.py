"""Losses (CrossEntropyLoss, MSELoss) and optimizers (SGD, Adam, AdamW) against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import TorchLossOfInput, assert_close, compare_with_torch

import layers_lib as ll

FUZZ = settings(max_examples=40, deadline=None)


def normal(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).normal(scale=scale, size=shape)


class LossOfInput(ll.Module):
    """Adapter: a loss with a fixed target as a one-input module, so compare_with_torch can drive
    it (the forward output is the 0-d loss; backward(dloss) scales the gradient)."""

    def __init__(self, crit, target):
        super().__init__()
        self.crit, self.target = crit, target

    def forward(self, x):
        loss = self.crit(x, self.target)
        assert isinstance(loss, float)
        return np.array(loss)

    def backward(self, dloss):
        return self.crit.backward(float(dloss))


# -- CrossEntropyLoss -----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("logits_shape", [(4, 3), (1, 5), (6, 2), (3, 4, 5), (2, 3, 2, 2)])
@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_cross_entropy_matches_torch(reduction, logits_shape, scale):
    logits = normal(*logits_shape, seed=1, scale=scale)
    target_shape = logits_shape[:1] + logits_shape[2:]
    target = np.random.default_rng(2).integers(0, logits_shape[1], size=target_shape)
    compare_with_torch(LossOfInput(ll.CrossEntropyLoss(reduction=reduction), target),
                       TorchLossOfInput(torch.nn.CrossEntropyLoss(reduction=reduction), target), logits,
                       steps=2)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0], [-1e4, -1e4, -1e4]])
    target = np.array([0, 0, 2])
    crit = ll.CrossEntropyLoss()
    loss = crit(logits, target)
    assert np.isfinite(loss)
    np.testing.assert_allclose(loss, (0 + 1e4 + np.log(3)) / 3)
    assert np.all(np.isfinite(crit.backward()))
    twin = TorchLossOfInput(torch.nn.CrossEntropyLoss(), target)
    compare_with_torch(LossOfInput(crit, target), twin, logits)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_and_passes_gradcheck():
    logits, target = normal(5, 4, seed=3), np.array([0, 3, 1, 1, 2])
    crit = ll.CrossEntropyLoss()
    crit(logits, target)
    expected = (ll.softmax(logits, 1) - np.eye(4)[target]) / 5
    np.testing.assert_allclose(crit.backward(), expected, rtol=1e-12)
    np.testing.assert_allclose(crit.backward(2.0), 2 * expected, rtol=1e-12)
    numeric = ll.numerical_gradient(lambda: crit(logits, target), logits)
    assert ll.rel_error(expected, numeric) < 1e-6


def test_cross_entropy_bad_input():
    crit = ll.CrossEntropyLoss()
    logits = normal(3, 4)
    with pytest.raises(ValueError, match=r"expected targets in \[0, 3\] for 4 classes, got 4"):
        crit(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="got -1"):
        crit(logits, np.array([0, -1, 1]))
    with pytest.raises(TypeError, match="integer class targets, got dtype float64"):
        crit(logits, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(TypeError, match="floating-point input"):
        crit(np.ones((3, 4), dtype=int), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\) for logits of shape "
                                         r"\(3, 4\), got \(2,\)"):
        crit(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"logits of shape \(C,\), \(N, C\) or \(N, C, d1, \.\.\.\), "
                                         r"got \(\)"):
        crit(np.ones(()), np.array(1))  # (C,) with a 0-d target is one unbatched prediction, as in torch
    with pytest.raises(ValueError, match="non-empty"):
        crit(np.ones((0, 4)), np.zeros(0, dtype=int))
    with pytest.raises(RuntimeError, match="before forward"):
        ll.CrossEntropyLoss().backward()
    with pytest.raises(ValueError, match="reduction 'mean', 'sum' or 'none', got 'max'"):
        ll.CrossEntropyLoss(reduction="max")  # 'none' is allowed: tests/test_losses_torch_options.py


@FUZZ
@given(n=st.integers(0, 5), c=st.integers(1, 5), extra=st.lists(st.integers(1, 3), max_size=2),
       high=st.integers(1, 7), reduction=st.sampled_from(["mean", "sum"]))
def test_cross_entropy_fuzz(n, c, extra, high, reduction):
    logits = normal(n, c, *extra, seed=c, scale=5.0)
    target = np.random.default_rng(1).integers(0, high, size=(n, *extra))
    crit = ll.CrossEntropyLoss(reduction=reduction)
    if n == 0:
        with pytest.raises(ValueError, match="non-empty"):
            crit(logits, target)
        return
    if target.max() >= c:
        with pytest.raises(ValueError, match="expected targets in"):
            crit(logits, target)
        return
    compare_with_torch(LossOfInput(crit, target),
                       TorchLossOfInput(torch.nn.CrossEntropyLoss(reduction=reduction), target), logits)


# -- MSELoss --------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_mse_matches_torch(reduction, shape):
    target = normal(*shape, seed=9)
    compare_with_torch(LossOfInput(ll.MSELoss(reduction), target),
                       TorchLossOfInput(torch.nn.MSELoss(reduction=reduction), target), normal(*shape),
                       steps=2)


def test_mse_gradcheck_and_bad_input():
    pred, target = normal(3, 2), normal(3, 2, seed=1)
    crit = ll.MSELoss()
    crit(pred, target)
    assert ll.rel_error(crit.backward(), ll.numerical_gradient(lambda: crit(pred, target), pred)) < 1e-7
    with pytest.raises(ValueError, match=r"MSELoss expected target of the input's shape \(3, 2\), "
                                         r"got \(2,\)"):
        crit(pred, np.ones(2))
    with pytest.raises(TypeError, match="MSELoss expected a floating-point target"):
        crit(pred, np.ones((3, 2), dtype=int))
    with pytest.raises(ValueError, match="non-empty"):
        crit(np.ones(0), np.ones(0))
    with pytest.raises(RuntimeError, match="before forward"):
        ll.MSELoss().backward()
    with pytest.raises(ValueError, match="reduction"):
        ll.MSELoss("max")
    assert repr(ll.MSELoss()) == "MSELoss(reduction='mean')"


# -- optimizers -----------------------------------------------------------------------------------
SHAPES = [(3, 4), (4,), (2, 3, 2)]


def run_both(make_ll, make_torch, steps=5, seed=0, dtype=np.float64):
    """Step a layers_lib and a torch optimizer with identical gradients; compare every step."""
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    params = [ll.Parameter(a) for a in init]
    tparams = [torch.tensor(a, requires_grad=True) for a in init]
    opt, topt = make_ll(params), make_torch(tparams)
    for step in range(steps):
        opt.zero_grad()
        topt.zero_grad()
        for p, tp in zip(params, tparams, strict=True):
            g = rng.normal(size=p.shape).astype(dtype)
            p.grad += g
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
        for i, (p, tp) in enumerate(zip(params, tparams, strict=True)):
            assert_close(p.data, tp.detach().numpy(), f"param {i} after step {step}", rtol=1e-10, atol=1e-12)
    return params


@pytest.mark.parametrize("kwargs", [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1},
    {"lr": 0.1, "weight_decay": 0.5},
])
def test_sgd_matches_torch(kwargs):
    run_both(lambda p: ll.SGD(p, **kwargs), lambda p: torch.optim.SGD(p, **kwargs))


@pytest.mark.parametrize("kwargs", [
    {},
    {"lr": 0.1},
    {"lr": 0.01, "betas": (0.5, 0.9)},
    {"lr": 0.01, "eps": 1e-3},
    {"lr": 0.02, "weight_decay": 0.1},
])
@pytest.mark.parametrize("adamw", [False, True])
def test_adam_matches_torch(kwargs, adamw):
    ll_cls, t_cls = (ll.AdamW, torch.optim.AdamW) if adamw else (ll.Adam, torch.optim.Adam)
    run_both(lambda p: ll_cls(p, **kwargs), lambda p: t_cls(p, **kwargs), steps=8)


def test_optimizer_updates_in_place_and_follows_reassigned_data():
    p = ll.Parameter(np.array([1.0, 2.0]))
    view = p.data
    opt = ll.SGD([p], lr=0.5)
    p.grad[...] = [1.0, 1.0]
    opt.step()
    np.testing.assert_allclose(view, [0.5, 1.5])  # the same array was updated
    p.data = np.array([10.0, 10.0])  # reassigned (e.g. weights copied in from elsewhere)
    opt.step()
    np.testing.assert_allclose(p.data, [9.5, 9.5])
    opt.zero_grad()
    np.testing.assert_array_equal(p.grad, 0)
    adam = ll.Adam([p])
    adam.step()
    assert adam.state[p]["step"] == 1


def test_optimizer_float32_parameters_stay_float32():
    for make in (lambda ps: ll.Adam(ps, lr=0.1), lambda ps: ll.SGD(ps, lr=0.1, momentum=0.9)):
        p = ll.Parameter(np.ones(3, np.float32))
        p.grad += 0.5
        make([p]).step()
        assert p.data.dtype == np.float32 and np.all(p.data < 1)


def test_optimizer_bad_arguments():
    p = ll.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        ll.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Parameter"):
        ll.Adam(p)
    with pytest.raises(TypeError, match="expected Parameter objects, got ndarray at position 1"):
        ll.SGD([p, np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        ll.SGD([p], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        ll.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="betas"):
        ll.Adam([p], betas=0.9)
    with pytest.raises(ValueError, match="nesterov"):
        ll.SGD([p], lr=0.1, nesterov=True)
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match="gradient to have its parameter's shape"):
        ll.SGD([p], lr=0.1).step()


def test_training_a_small_network_reduces_the_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2))
    labels = (x[:, 0] * x[:, 1] > 0).astype(int)  # XOR-like: needs the hidden layer
    net = ll.Sequential(ll.Linear(2, 16, rng=rng), ll.Tanh(), ll.Linear(16, 2, rng=rng))
    crit, opt = ll.CrossEntropyLoss(), ll.Adam(net.parameters(), lr=0.05)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        losses.append(crit(net(x), labels))
        net.backward(crit.backward())
        opt.step()
    assert losses[-1] < 0.25 * losses[0]
    assert np.mean(net(x).argmax(axis=1) == labels) > 0.9
