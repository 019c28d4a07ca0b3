"""The one helper every parity test uses: run a layers_lib module and its torch twin on the same
weights and input in float64, and compare forward output, input gradient, every parameter
gradient and every buffer (running statistics)."""

from __future__ import annotations

import numpy as np
import torch

RTOL = 1e-6
ATOL = 1e-8


class TorchLossOfInput(torch.nn.Module):
    """A torch loss as a module of its input alone (the target held fixed), so that
    :func:`compare_with_torch` can compare it with a layers_lib loss wrapped the same way."""

    def __init__(self, crit, target):
        super().__init__()
        self.crit, self.target = crit, torch.tensor(target)

    def forward(self, x):
        return self.crit(x, self.target)


def copy_torch_params(ll_module, torch_module) -> None:
    """Copy every torch parameter into the layers_lib parameter of the same dotted name, checking
    that the two modules have exactly the same parameter names and shapes."""
    ll_params = dict(ll_module.named_parameters())
    t_params = dict(torch_module.named_parameters())
    assert list(ll_params) == list(t_params), f"names differ: {list(ll_params)} vs {list(t_params)}"
    for name, tp in t_params.items():
        assert ll_params[name].data.shape == tuple(tp.shape), name
        ll_params[name].data = tp.detach().numpy().copy()


def assert_close(actual, expected, what: str, rtol=RTOL, atol=ATOL) -> None:
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def compare_with_torch(ll_module, torch_module, x, *, train=True, dy=None, seed=0, steps=1,
                       buffers=("running_mean", "running_var"), rtol=RTOL, atol=ATOL,
                       input_grad=True):
    """Forward + backward through both modules ``steps`` times and assert everything agrees.

    Returns the layers_lib output of the last step (for further checks)."""
    torch_module = torch_module.double()
    copy_torch_params(ll_module, torch_module)
    ll_module.train(train)
    torch_module.train(train)
    rng = np.random.default_rng(seed)
    for step in range(steps):
        ll_module.zero_grad()
        torch_module.zero_grad()
        xt = torch.tensor(x, requires_grad=input_grad and np.issubdtype(x.dtype, np.floating))
        yt = torch_module(xt)
        y = ll_module(x.copy())
        assert_close(y, yt.detach().numpy(), f"forward output (step {step})", rtol, atol)
        g = rng.normal(size=y.shape) if dy is None else dy
        yt.backward(torch.tensor(g))
        dx = ll_module.backward(g)
        if xt.requires_grad:
            assert_close(dx, xt.grad.numpy(), f"input gradient (step {step})", rtol, atol)
        for name, tp in torch_module.named_parameters():
            llp = dict(ll_module.named_parameters())[name]
            assert_close(llp.grad, tp.grad.numpy(), f"grad of {name} (step {step})", rtol, atol)
        for b in buffers:
            if hasattr(torch_module, b) and getattr(torch_module, b) is not None:
                assert_close(getattr(ll_module, b), getattr(torch_module, b).numpy(),
                             f"buffer {b} (step {step})", rtol, atol)
    return y
