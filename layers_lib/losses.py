"""Loss functions: cross-entropy for classification, mean squared error for regression.

The API follows PyTorch with the autograd step made explicit::

    crit = CrossEntropyLoss()
    loss = crit(logits, target)   # a Python float
    dlogits = crit.backward()     # dL/dlogits, to feed into the network's backward pass

Cross-entropy takes raw scores (logits), not probabilities: it applies ``log_softmax``
internally, which is exact and stable for any logits, and its gradient is simply
``softmax(logits) - one_hot(target)`` (divided by ``N`` for the mean).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array
from .activations import log_softmax
from .module import Module

__all__ = ["CrossEntropyLoss", "MSELoss", "cross_entropy_forward", "cross_entropy_backward",
           "mse_forward", "mse_backward"]


def _check_reduction(layer: str, reduction) -> str:
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{layer} expected reduction 'mean' or 'sum', got {reduction!r}")
    return reduction


def cross_entropy_forward(logits: np.ndarray, target: np.ndarray, reduction: str = "mean"):
    """``-log softmax(logits)[target]`` averaged (or summed) over the batch.

    Args:
        logits: ``(N, C)`` scores, or ``(N, C, d1, ..., dk)`` for one prediction per position.
        target: integer class ids ``(N,)`` or ``(N, d1, ..., dk)``, values in ``[0, C)``.
        reduction: ``'mean'`` or ``'sum'`` over the ``N * d1 * ... * dk`` predictions.

    Returns:
        ``(loss, cache)``, ``loss`` a float.

    Examples:
        >>> loss, _ = cross_entropy_forward(np.array([[0.0, 0.0], [1e4, 0.0]]), np.array([0, 0]))
        >>> round(loss, 6)  # (log 2 + 0) / 2, no overflow for logits of 1e4
        0.346574
    """
    logp = log_softmax(logits, 1)  # (N, C, *)
    picked = np.take_along_axis(logp, np.expand_dims(target, 1), axis=1)  # (N, 1, *)
    total = -float(picked.sum())
    count = target.size
    loss = total / count if reduction == "mean" else total
    return loss, (logp, target, reduction)


def cross_entropy_backward(cache, dloss: float = 1.0) -> np.ndarray:
    """``dL/dlogits = (softmax(logits) - one_hot(target)) * dloss`` (divided by the number of
    predictions for ``'mean'``)."""
    logp, target, reduction = cache
    grad = np.exp(logp)  # softmax, (N, C, *)
    np.put_along_axis(grad, np.expand_dims(target, 1),
                      np.take_along_axis(grad, np.expand_dims(target, 1), axis=1) - 1, axis=1)
    scale = dloss / target.size if reduction == "mean" else dloss
    return grad * grad.dtype.type(scale)


def mse_forward(pred: np.ndarray, target: np.ndarray, reduction: str = "mean"):
    """``mean((pred - target)**2)`` (or the sum).

    Examples:
        >>> mse_forward(np.array([1.0, 3.0]), np.array([0.0, 0.0]))[0]
        5.0
    """
    diff = pred - target
    total = float(np.sum(diff * diff))
    return (total / diff.size if reduction == "mean" else total), (diff, reduction)


def mse_backward(cache, dloss: float = 1.0) -> np.ndarray:
    """``dL/dpred = 2 (pred - target) * dloss`` (divided by the number of elements for ``'mean'``)."""
    diff, reduction = cache
    scale = 2.0 * dloss / (diff.size if reduction == "mean" else 1)
    return diff * diff.dtype.type(scale)


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy between logits and integer class targets.

    ``loss = crit(logits, target)`` returns a Python float; ``crit.backward()`` returns
    ``dL/dlogits`` (pass ``dloss`` to scale it, as ``loss.backward(gradient)`` would).

    Args:
        reduction: ``'mean'`` (default) averages over the predictions, ``'sum'`` adds them.

    Shape:
        - Input: ``(N, C)``, or ``(N, C, d1, ..., dk)``.
        - Target: ``(N,)``, or ``(N, d1, ..., dk)``; integers in ``[0, C)``.
        - Output: a float.

    Unlike PyTorch there are no class weights, ``ignore_index`` or label smoothing, and targets
    must be class ids (not probabilities).

    Examples:
        >>> crit = CrossEntropyLoss()
        >>> round(crit(np.array([[2.0, 0.0, 0.0]]), np.array([0])), 4)
        0.2395
        >>> np.round(crit.backward(), 4)
        array([[-0.213 ,  0.1065,  0.1065]])
    """

    def forward(self, logits, target):
        logits = as_float_array("CrossEntropyLoss", logits, "input (logits)")
        target = np.asarray(target)
        if target.dtype == np.bool_ or not np.issubdtype(target.dtype, np.integer):
            raise TypeError(f"CrossEntropyLoss expected integer class targets, got dtype {target.dtype}")
        if logits.ndim < 2:
            raise ValueError(f"CrossEntropyLoss expected logits of shape (N, C) or (N, C, d1, ...), "
                             f"got {tuple(logits.shape)}")
        expected = logits.shape[:1] + logits.shape[2:]
        if target.shape != expected:
            raise ValueError(f"CrossEntropyLoss expected target of shape {expected} for logits of shape "
                             f"{tuple(logits.shape)}, got {tuple(target.shape)}")
        if target.size == 0 or logits.shape[1] == 0:
            raise ValueError(f"CrossEntropyLoss expected a non-empty batch and at least one class, got "
                             f"logits of shape {tuple(logits.shape)}")
        c = logits.shape[1]
        if target.min() < 0 or target.max() >= c:
            bad = target[(target < 0) | (target >= c)].reshape(-1)[0]
            raise ValueError(f"CrossEntropyLoss expected targets in [0, {c - 1}] for {c} classes, got {bad}")
        loss, self._cache = cross_entropy_forward(logits, target, self.reduction)
        return loss

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        return cross_entropy_backward(self._saved(), dloss)


class MSELoss(_Loss):
    """Mean squared error ``mean((pred - target)**2)`` (``'sum'``: the sum).

    ``loss = crit(pred, target)`` returns a Python float; ``crit.backward()`` returns
    ``dL/dpred``.

    Shape:
        - Input and target: the same shape ``(*)`` (no broadcasting, unlike PyTorch, which only
          warns).
        - Output: a float.

    Examples:
        >>> crit = MSELoss()
        >>> crit(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
        2.5
        >>> crit.backward()
        array([1., 2.])
    """

    def forward(self, pred, target):
        pred = as_float_array("MSELoss", pred)
        target = as_float_array("MSELoss", target, "target")
        if pred.shape != target.shape:
            raise ValueError(f"MSELoss expected target of the input's shape {tuple(pred.shape)}, "
                             f"got {tuple(target.shape)}")
        if pred.size == 0:
            raise ValueError("MSELoss expected a non-empty input, got shape (0,)"
                             if pred.ndim == 1 else f"MSELoss expected a non-empty input, got shape "
                             f"{tuple(pred.shape)}")
        loss, self._cache = mse_forward(pred, target.astype(pred.dtype, copy=False), self.reduction)
        return loss

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        return mse_backward(self._saved(), dloss)
