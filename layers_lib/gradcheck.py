"""Numerical gradient checking by central differences.

For a function ``f`` and an upstream gradient ``dy`` the scalar ``L = sum(f(x) * dy)`` has
``dL/dx`` equal to what ``backward(dy)`` must return. Central differences estimate it one
coordinate at a time:

.. math:: \\frac{\\partial L}{\\partial x_i} \\approx \\frac{L(x + h e_i) - L(x - h e_i)}{2h}

with error :math:`O(h^2)`. In float64 with ``h = 1e-6`` a correct backward pass agrees to about
``1e-8`` relative error; a wrong one is off by far more. Use random (not all-ones) ``dy`` and
continuous random inputs: kinks (ReLU at 0) and ties (max-pooling) break finite differences.
"""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "scaled_error", "check_gradients"]


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f()`` with respect to array ``x``.

    ``x`` is perturbed *in place* (and restored), so ``f`` may close over it, e.g. a
    layer's ``weight.data``.

    Examples:
        >>> x = np.array([1.0, 2.0, 3.0])
        >>> np.round(numerical_gradient(lambda: np.sum(x ** 2), x), 6)
        array([2., 4., 6.])
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a floating-point array, got dtype {x.dtype}")
    grad = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writing to it perturbs x
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array it can perturb in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = float(f())
        flat[i] = old - eps
        minus = float(f())
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


def rel_error(a, b) -> float:
    """Largest elementwise relative error ``|a-b| / max(|a|+|b|, 1e-8)`` (cs231n's measure)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error expected arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def scaled_error(a, b) -> float:
    """``max|a - b| / max|b|``: the error measured against the scale of the whole gradient ``b``.

    The elementwise :func:`rel_error` is dominated by finite-difference noise (about ``1e-10``
    absolute) on entries whose true gradient is nearly zero — saturated gates, a peaked softmax,
    stacked layers. Against the gradient's scale a correct backward pass agrees to about ``1e-9``
    and a wrong one is far off.

    Examples:
        >>> scaled_error(np.array([1.0, 1e-12]), np.array([1.0, 2e-12]))
        1e-12
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"scaled_error expected arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-8))


def check_gradients(module, x, dy=None, eps: float = 1e-6, seed: int = 0,
                    error=rel_error) -> dict[str, float]:
    """Compare ``module.backward`` with central differences for the input and every parameter.

    Args:
        module: a layer whose ``forward`` takes one array and returns one array. Put layers with
            randomness (dropout) in evaluation mode or give them a fixed mask first.
        x: a floating-point input (float64 recommended).
        dy: the upstream gradient; by default a seeded random normal array (never all ones).
        eps: the finite-difference step.
        seed: seeds the default ``dy``.
        error: how to compare analytic with numerical gradients: :func:`rel_error` (elementwise,
            the default) or :func:`scaled_error` (against the gradient's scale; use it where many
            true gradients are nearly zero).

    Returns:
        ``{"input": err, "<param name>": err, ...}``. The course's rule (appendix "Checking
        gradients"): a relative error below ``1e-6`` passes; where the true gradients are tiny, a
        scaled error below ``1e-6`` passes; anything else is a bug.

    Examples:
        >>> import layers_lib as ll
        >>> layer = ll.Linear(3, 2, rng=np.random.default_rng(0))
        >>> errors = check_gradients(layer, np.random.default_rng(1).normal(size=(4, 3)))
        >>> sorted(errors), max(errors.values()) < 1e-7
        (['bias', 'input', 'weight'], True)
    """
    x = np.array(x, dtype=np.float64 if not np.issubdtype(np.asarray(x).dtype, np.floating) else None)
    y = module(x)
    if dy is None:
        dy = np.random.default_rng(seed).normal(size=y.shape)
    dy = np.asarray(dy, dtype=y.dtype)

    def loss() -> float:
        return float(np.sum(module(x) * dy))

    module.zero_grad()
    module(x)
    analytic_dx = module.backward(dy)
    analytic = {name: p.grad.copy() for name, p in module.named_parameters()}

    errors = {"input": error(analytic_dx, numerical_gradient(loss, x, eps))}
    for name, p in module.named_parameters():
        errors[name] = error(analytic[name], numerical_gradient(loss, p.data, eps))
    return errors
