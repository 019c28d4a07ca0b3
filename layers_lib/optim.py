"""Optimizers: SGD (with momentum) and Adam, with PyTorch's exact update rules.

An optimizer holds a list of :class:`~layers_lib.module.Parameter` objects. After a backward
pass has filled every ``p.grad``, ``step()`` updates ``p.data`` **in place** (``p.data -= ...``),
and ``zero_grad()`` resets the gradients before the next batch::

    opt = Adam(model.parameters(), lr=1e-3)
    for x, target in batches:
        opt.zero_grad()
        loss = crit(model(x), target)
        model.backward(crit.backward())
        opt.step()

Per-parameter state (momentum buffers, Adam's moment estimates) lives in ``opt.state[p]``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .module import Parameter

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "sgd_step", "adam_step"]


def sgd_step(param: np.ndarray, grad: np.ndarray, buf: np.ndarray | None, *, lr: float,
             momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
             nesterov: bool = False) -> np.ndarray | None:
    """One SGD update of ``param`` in place; returns the new momentum buffer (or ``None``).

    PyTorch's rule, with ``g = grad + weight_decay * param``:

    * no momentum: ``param -= lr * g``;
    * momentum: ``buf = g`` on the first step, then ``buf = momentum * buf + (1 - dampening) * g``;
      ``param -= lr * buf`` (or ``lr * (g + momentum * buf)`` with Nesterov).

    Examples:
        >>> p = np.array([1.0, 2.0])
        >>> buf = sgd_step(p, np.array([1.0, 1.0]), None, lr=0.1, momentum=0.9)
        >>> p, buf
        (array([0.9, 1.9]), array([1., 1.]))
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    if momentum != 0:
        if buf is None:
            buf = np.array(g, copy=True)
        else:
            buf *= momentum
            buf += (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    param -= lr * g
    return buf


def adam_step(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
              step: int, *, lr: float, beta1: float, beta2: float, eps: float,
              weight_decay: float = 0.0, decoupled: bool = False) -> None:
    """One Adam update of ``param`` (and of the moment estimates) in place; ``step`` counts from 1.

    PyTorch's rule::

        g = grad + weight_decay * param           # Adam's L2 penalty (AdamW: param *= 1 - lr*wd)
        m = beta1 * m + (1 - beta1) * g           # first moment (mean of the gradients)
        v = beta2 * v + (1 - beta2) * g**2        # second moment
        param -= lr / (1 - beta1**step) * m / (sqrt(v) / sqrt(1 - beta2**step) + eps)

    The divisions by ``1 - beta**step`` correct the bias of moments that start at zero.
    """
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    exp_avg += (1 - beta1) * (grad - exp_avg)  # PyTorch's lerp form of beta1*m + (1-beta1)*g
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
    param -= (lr / bias_correction1) * exp_avg / denom


def _check_number(opt: str, name: str, value, minimum: float = 0.0, below: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{opt} expected {name} to be a number, got {value!r}")
    if not value >= minimum or (below is not None and not value < below):
        interval = f"[{minimum}, {below})" if below is not None else f">= {minimum}"
        raise ValueError(f"{opt} expected {name} in {interval}, got {value}")
    return float(value)


class Optimizer:
    """Base class: holds the parameters and their per-parameter ``state``.

    Args:
        params: an iterable of :class:`Parameter` (e.g. ``model.parameters()``).
    """

    def __init__(self, params):
        name = type(self).__name__
        if isinstance(params, Parameter):
            raise TypeError(f"{name} expected an iterable of Parameters (e.g. model.parameters()), "
                            "got a single Parameter; wrap it in a list")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"{name} expected Parameter objects, got {type(p).__name__} at position {i}")
        self.state: dict[Parameter, dict] = {}

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def _check_grad(self, p: Parameter) -> None:
        if p.grad.shape != p.data.shape:
            raise ValueError(f"{type(self).__name__}.step expected each gradient to have its parameter's "
                             f"shape {p.data.shape}, got {p.grad.shape}")

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k not in ("params", "state"))
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``).

    Args:
        params: an iterable of :class:`Parameter`.
        lr: learning rate.
        momentum: momentum factor (0 = plain SGD).
        dampening: scales the new gradient in the momentum buffer by ``1 - dampening``.
        weight_decay: L2 penalty, added to the gradient as ``weight_decay * param``.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).

    Examples:
        >>> p = Parameter(np.array([1.0, -1.0]))
        >>> opt = SGD([p], lr=0.1)
        >>> p.grad[...] = [0.5, 0.5]
        >>> opt.step()
        >>> p.data
        array([ 0.95, -1.05])
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params)
        self.lr = _check_number("SGD", "lr", lr)
        self.momentum = _check_number("SGD", "momentum", momentum)
        self.dampening = _check_number("SGD", "dampening", dampening)
        self.weight_decay = _check_number("SGD", "weight_decay", weight_decay)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD with nesterov=True requires momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)

    def step(self) -> None:
        """Update every parameter once from its current ``grad``."""
        for p in self.params:
            self._check_grad(p)
            state = self.state.setdefault(p, {"momentum_buffer": None})
            state["momentum_buffer"] = sgd_step(
                p.data, p.grad, state["momentum_buffer"], lr=self.lr, momentum=self.momentum,
                dampening=self.dampening, weight_decay=self.weight_decay, nesterov=self.nesterov)


class Adam(Optimizer):
    """Adam (PyTorch's ``torch.optim.Adam``): per-parameter step sizes from running averages of
    the gradient and of its square, with bias correction.

    Args:
        params: an iterable of :class:`Parameter`.
        lr: learning rate.
        betas: decay rates of the first and second moment estimates.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient (see :class:`AdamW` for the decoupled
            form).

    Examples:
        >>> p = Parameter(np.array([1.0]))
        >>> opt = Adam([p], lr=0.1)
        >>> p.grad[...] = 123.0        # the first Adam step moves by about lr whatever the scale
        >>> opt.step()
        >>> np.round(p.data, 6)
        array([0.9])
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params)
        name = type(self).__name__
        self.lr = _check_number(name, "lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name} expected betas to be a pair of numbers, got {betas!r}")
        self.betas = (_check_number(name, "betas[0]", betas[0], 0.0, 1.0),
                      _check_number(name, "betas[1]", betas[1], 0.0, 1.0))
        self.eps = _check_number(name, "eps", eps)
        self.weight_decay = _check_number(name, "weight_decay", weight_decay)

    def step(self) -> None:
        """Update every parameter once from its current ``grad``."""
        beta1, beta2 = self.betas
        for p in self.params:
            self._check_grad(p)
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                         "exp_avg_sq": np.zeros_like(p.data)}
            state["step"] += 1
            adam_step(p.data, p.grad, state["exp_avg"], state["exp_avg_sq"], state["step"], lr=self.lr,
                      beta1=beta1, beta2=beta2, eps=self.eps, weight_decay=self.weight_decay,
                      decoupled=self._decoupled)


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``): the parameters shrink
    by ``lr * weight_decay`` each step instead of having an L2 term added to the gradient.

    Args as :class:`Adam`; ``weight_decay`` defaults to ``0.01`` as in PyTorch.
    """

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)
