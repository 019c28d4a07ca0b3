"""Loss functions: cross-entropy and negative log-likelihood for classes, binary cross-entropy on
logits for yes/no targets, mean squared error for regression.

The API follows PyTorch with the autograd step made explicit::

    crit = CrossEntropyLoss()
    loss = crit(logits, target)   # a Python float ('mean' or 'sum'), an array for 'none'
    dlogits = crit.backward()     # dL/dlogits, to feed into the network's backward pass

Cross-entropy takes raw scores (logits), not probabilities: it applies ``log_softmax``
internally, which is exact and stable for any logits, and its gradient is simply
``softmax(logits) - one_hot(target)`` (divided by ``N`` for the mean). ``NLLLoss`` is the same
loss on log-probabilities you computed yourself; ``BCEWithLogitsLoss`` is the two-class case with
one logit per decision.

Each loss is a pair of pure functions, ``*_forward(...) -> (loss, cache)`` and
``*_backward(dloss, cache) -> dL/dinput``, plus a thin class that checks its input.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, batched, check_grad
from .activations import log_softmax, log_softmax_backward, sigmoid
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss", "MSELoss",
           "cross_entropy_forward", "cross_entropy_backward", "nll_forward", "nll_backward",
           "bce_with_logits_forward", "bce_with_logits_backward", "mse_forward", "mse_backward",
           "NLLCache", "CrossEntropyCache", "BCEWithLogitsCache", "MSECache"]

REDUCTIONS = ("mean", "sum", "none")


# -- what each pure forward hands its backward -----------------------------------------------------
class NLLCache(NamedTuple):
    """The cache of :func:`nll_forward` (and the target half of :class:`CrossEntropyCache`)."""

    r: np.ndarray  # (N, C, *): the weighted target distribution, 0 at ignored targets
    valid: np.ndarray  # (N, *): True where the target is not ignore_index
    safe: np.ndarray  # (N, *): the targets, ignored ones replaced by class 0
    reduction: str
    denominator: float  # of 'mean': sum_n w[y_n] over the targets not ignored
    unbatched: bool  # the input was one (C,) prediction


class CrossEntropyCache(NamedTuple):
    """The cache of :func:`cross_entropy_forward`: the log-probabilities and the NLL cache."""

    logp: np.ndarray  # (N, C, *) = log_softmax(logits, 1)
    targets: NLLCache


class BCEWithLogitsCache(NamedTuple):
    """The cache of :func:`bce_with_logits_forward`."""

    logits: np.ndarray
    target: np.ndarray
    weight: np.ndarray | None
    pos_weight: np.ndarray | None
    reduction: str


class MSECache(NamedTuple):
    """The cache of :func:`mse_forward`."""

    diff: np.ndarray  # pred - target
    reduction: str


def _check_reduction(layer: str, reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{layer} expected reduction 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


# -- class targets: NLL and cross-entropy ----------------------------------------------------------
def _weighted_targets(logp, target, weight, ignore_index, label_smoothing, reduction, unbatched) -> NLLCache:
    """The per-element target distribution times the class weights, ``r`` ``(N, C, *)``, so that
    ``loss_n = -sum_c r[n, c] * logp[n, c]``; plus which targets count (``valid``), the targets
    with the ignored ones replaced by class 0 (``safe``) and the 'mean' denominator.

    ``r = w_c * ((1 - eps) * one_hot(y) + eps / C)``, and 0 where ``y == ignore_index``. The
    denominator is ``sum_n w[y_n]`` over the targets that are not ignored (PyTorch's; label
    smoothing does not change it).
    """
    C = logp.shape[1]
    valid = target != ignore_index  # (N, *)
    safe = np.where(valid, target, 0)  # ignored targets point at class 0, then get zeroed
    r = np.zeros_like(logp)
    np.put_along_axis(r, safe[:, None], 1.0, axis=1)  # one_hot(y), (N, C, *)
    if label_smoothing:
        r = (1.0 - label_smoothing) * r + label_smoothing / C
    w_y = valid.astype(logp.dtype)
    if weight is not None:
        r *= weight.reshape((1, C) + (1,) * (logp.ndim - 2))
        w_y = w_y * weight[safe]
    r *= valid[:, None]
    return NLLCache(r, valid, safe, reduction, float(w_y.sum()), unbatched)


def _reduce(per_element, reduction, denominator):
    if reduction == "none":
        return per_element
    total = float(per_element.sum())
    if reduction == "sum":
        return total
    return total / denominator if denominator != 0 else float("nan")  # 0/0, as PyTorch


def _unbatch(x, target):
    """``(C,)`` with a 0-d target is one unbatched prediction: treat it as ``(1, C)``."""
    x, unbatched = batched(x, 1)
    target = np.asarray(target)
    return x, (target[None] if unbatched else target), unbatched


def _target_gradient(to_input, cache: NLLCache, dloss, layer):
    """``dL/dlogp = -r * g``, with ``g`` the upstream gradient of each element's loss, passed
    through ``to_input`` (the identity for NLL, the log-softmax backward for cross-entropy); for
    an unbatched input the batch axis is dropped again."""
    r, valid, safe, reduction, denominator, unbatched = cache
    if reduction == "none":
        dloss = check_grad(layer, dloss, valid.shape[1:] if unbatched else valid.shape)
        g = np.where(valid, np.reshape(dloss, valid.shape), 0.0).astype(r.dtype)[:, None]
    elif reduction == "mean" and denominator == 0:
        # A mean over zero total weight is 0/0 = NaN. PyTorch's gradient is then w[y] * dloss / 0
        # = 0 * inf = NaN at each counted target (non-negative weights), 0 everywhere else.
        hit = np.zeros(r.shape, dtype=bool)
        np.put_along_axis(hit, safe[:, None], valid[:, None], axis=1)
        grad = to_input(np.where(hit, np.nan, 0.0).astype(r.dtype))
        return grad[0] if unbatched else grad
    else:
        g = np.asarray(float(dloss) / (denominator if reduction == "mean" else 1.0), dtype=r.dtype)
    grad = to_input(0.0 - r * g)  # 0.0 - ...: zeros print as 0., not -0.
    return grad[0] if unbatched else grad


def nll_forward(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """The negative log-likelihood ``-w[y] * logp[y]`` of the target classes, reduced.

    Args:
        logp: log-probabilities ``(N, C)``, ``(N, C, d1, ..., dk)`` or unbatched ``(C,)``.
        target: integer class ids ``(N,)``, ``(N, d1, ..., dk)`` or ``()``, in ``[0, C)`` or equal
            to ``ignore_index`` (those contribute nothing, not even to the mean's denominator).
        weight: ``None`` or ``(C,)`` class weights.
        reduction: ``'mean'`` = ``sum_n loss_n / sum_n w[y_n]`` over the targets not ignored (the
            plain mean without ``weight``), ``'sum'``, or ``'none'`` (an array of the target's
            shape, 0 at ignored targets).

    Returns:
        ``(loss, cache)``: ``loss`` a float (an array for ``'none'``), ``cache`` an :class:`NLLCache`.

    Examples:
        >>> logp = np.log(np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]))
        >>> round(nll_forward(logp, np.array([0, 1, -100]))[0], 4)  # (log 2 + log 10) / 2
        1.4979
        >>> round(nll_forward(logp, np.array([0, 1, 1]), weight=np.array([1.0, 3.0]))[0], 4)
        1.1815
    """
    x, t, unbatched = _unbatch(logp, target)
    cache = _weighted_targets(x, t, weight, ignore_index, 0.0, reduction, unbatched)
    per_element = (cache.r * -x).sum(axis=1)  # (N, *)
    loss = _reduce(per_element.reshape(()) if unbatched else per_element, reduction, cache.denominator)
    return loss, cache


def nll_backward(dloss, cache: NLLCache):
    """``dL/dlogp = -w[y] * one_hot(y) * dloss`` (divided by the mean's denominator); 0 at ignored
    targets. ``dloss`` is a float, or an array of the loss's shape for ``'none'``."""
    return _target_gradient(lambda d: d, cache, dloss, "NLLLoss")


def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    """``-sum_c w_c q_c log softmax(logits)_c`` with ``q = (1 - eps) one_hot(y) + eps / C``, reduced.

    That is :func:`nll_forward` on ``log_softmax(logits)``, with label smoothing ``eps`` mixing
    the uniform distribution into the target (PyTorch's ``(1 - eps) * nll + eps / C *
    sum_c -w_c log p_c``). The arguments are :func:`nll_forward`'s; ``'mean'`` divides by
    ``sum_n w[y_n]`` over the targets not ignored, with or without smoothing.

    Returns:
        ``(loss, cache)``: ``loss`` a float (an array of the target's shape for ``'none'``),
        ``cache`` a :class:`CrossEntropyCache`.

    Examples:
        >>> loss, _ = cross_entropy_forward(np.array([[0.0, 0.0], [1e4, 0.0]]), np.array([0, 0]))
        >>> round(loss, 6)  # (log 2 + 0) / 2, no overflow for logits of 1e4
        0.346574
        >>> round(cross_entropy_forward(np.array([1e4, 0.0]), np.array(0), label_smoothing=0.2)[0], 1)
        1000.0
    """
    x, t, unbatched = _unbatch(logits, target)
    logp = log_softmax(x, 1)  # (N, C, *)
    targets = _weighted_targets(logp, t, weight, ignore_index, label_smoothing, reduction, unbatched)
    per_element = (targets.r * -logp).sum(axis=1)  # (N, *)
    loss = _reduce(per_element.reshape(()) if unbatched else per_element, reduction, targets.denominator)
    return loss, CrossEntropyCache(logp, targets)


def cross_entropy_backward(dloss, cache: CrossEntropyCache):
    """``dL/dlogits = (softmax(logits) * sum_c r_c - r) * dloss`` with ``r = w * q`` the weighted
    target (``softmax - one_hot`` without weights or smoothing), divided by the mean's denominator
    for ``'mean'``, 0 at ignored targets."""
    return _target_gradient(lambda d: log_softmax_backward(d, cache.logp, 1), cache.targets, dloss,
                            "CrossEntropyLoss")


# -- binary cross-entropy on logits ----------------------------------------------------------------
def bce_with_logits_forward(logits, target, weight=None, reduction="mean", pos_weight=None):
    """``-w [p_w y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]`` elementwise, reduced.

    Computed as ``(1 - y) x + (1 + (p_w - 1) y) softplus(-x)`` with ``softplus(-x) =
    log(1 + exp(-x)) = -log sigmoid(x)`` from ``np.logaddexp``, exact for logits of any size.

    Args:
        logits: ``(*)``; target: ``(*)``, values in ``[0, 1]`` (soft targets are fine).
        weight: ``None`` or an array broadcastable to the input (a weight per element).
        reduction: ``'mean'`` over all elements (``weight`` does not change the denominator),
            ``'sum'`` or ``'none'``.
        pos_weight: ``None`` or an array broadcastable to the input, usually ``(C,)``: the weight
            of the positive term, e.g. ``negatives / positives`` for an imbalanced class.

    Examples:
        >>> round(bce_with_logits_forward(np.array([0.0, 1e4]), np.array([1.0, 0.0]))[0], 4)
        5000.3466
    """
    sp = np.logaddexp(0.0, -logits)  # softplus(-x) = -log sigmoid(x)
    log_weight = 1.0 if pos_weight is None else 1.0 + (pos_weight - 1.0) * target
    per_element = (1.0 - target) * logits + log_weight * sp
    if weight is not None:
        per_element = per_element * weight
    loss = _reduce(per_element, reduction, per_element.size)
    return loss, BCEWithLogitsCache(logits, target, weight, pos_weight, reduction)


def bce_with_logits_backward(dloss, cache: BCEWithLogitsCache):
    """``dL/dx = w [(1 + (p_w - 1) y) sigmoid(x) - p_w y] * dloss`` (``w (sigmoid(x) - y)`` without
    ``pos_weight``), divided by the number of elements for ``'mean'``."""
    logits, target, weight, pos_weight, reduction = cache
    s = sigmoid(logits)
    if pos_weight is None:
        grad = s - target
    else:
        grad = (1.0 + (pos_weight - 1.0) * target) * s - pos_weight * target
    if weight is not None:
        grad = grad * weight
    if reduction == "none":
        return grad * check_grad("BCEWithLogitsLoss", dloss, logits.shape).astype(grad.dtype, copy=False)
    scale = float(dloss) / (logits.size if reduction == "mean" else 1)
    return grad * grad.dtype.type(scale)


# -- mean squared error ----------------------------------------------------------------------------
def mse_forward(pred: np.ndarray, target: np.ndarray, reduction: str = "mean"):
    """``mean((pred - target)**2)`` (or the sum, or the elementwise squares for ``'none'``).

    Examples:
        >>> mse_forward(np.array([1.0, 3.0]), np.array([0.0, 0.0]))[0]
        5.0
    """
    diff = pred - target
    return _reduce(diff * diff, reduction, diff.size), MSECache(diff, reduction)


def mse_backward(dloss, cache: MSECache) -> np.ndarray:
    """``dL/dpred = 2 (pred - target) * dloss`` (divided by the number of elements for ``'mean'``)."""
    diff, reduction = cache
    if reduction == "none":
        return 2.0 * diff * check_grad("MSELoss", dloss, diff.shape).astype(diff.dtype, copy=False)
    scale = 2.0 * float(dloss) / (diff.size if reduction == "mean" else 1)
    return diff * diff.dtype.type(scale)


# -- the classes -----------------------------------------------------------------------------------
class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"

    def _dloss(self, dloss):
        """``dloss`` defaults to 1 for a scalar loss; ``'none'`` needs one of the loss's shape."""
        name = type(self).__name__
        if self.reduction == "none":
            if dloss is None:
                raise ValueError(f"{name}(reduction='none').backward expected dloss, an array of the "
                                 "loss's shape (the loss is not a scalar), got None")
            return np.asarray(dloss)
        if dloss is None:
            return 1.0
        if np.ndim(dloss) != 0:
            raise ValueError(f"{name}(reduction={self.reduction!r}).backward expected a scalar dloss, "
                             f"got shape {np.shape(dloss)}")
        return float(dloss)


def _check_weight(layer: str, weight, what: str = "weight"):
    if weight is None:
        return None
    weight = as_float_array(layer, weight, what)
    if what == "weight" and weight.ndim != 1:
        raise ValueError(f"{layer} expected weight of shape (C,), one per class, got {tuple(weight.shape)}")
    return weight.copy()


def _check_class_input(layer: str, x, target, weight, ignore_index, what: str):
    """Shapes and values of ``(input, target)`` for NLLLoss / CrossEntropyLoss, as PyTorch checks
    them, with messages that name the layer."""
    x = as_float_array(layer, x, f"input ({what})")
    target = np.asarray(target)
    if target.dtype == np.bool_ or not np.issubdtype(target.dtype, np.integer):
        hint = (" (class-probability targets are not supported: pass class ids)"
                if np.issubdtype(target.dtype, np.floating) and target.shape == x.shape else "")
        raise TypeError(f"{layer} expected integer class targets, got dtype {target.dtype}{hint}")
    if x.ndim == 0:
        raise ValueError(f"{layer} expected {what} of shape (C,), (N, C) or (N, C, d1, ...), got ()")
    expected = () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{layer} expected target of shape {expected} for {what} of shape "
                         f"{tuple(x.shape)}, got {tuple(target.shape)}")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    if x.size == 0 or c == 0:
        raise ValueError(f"{layer} expected a non-empty batch and at least one class, got {what} of "
                         f"shape {tuple(x.shape)}")
    counted = target[target != ignore_index]
    if counted.size and (counted.min() < 0 or counted.max() >= c):
        bad = counted[(counted < 0) | (counted >= c)].reshape(-1)[0]
        raise ValueError(f"{layer} expected targets in [0, {c - 1}] for {c} classes, got {bad} (only "
                         f"ignore_index={ignore_index} may lie outside)")
    if weight is not None and weight.shape != (c,):
        raise ValueError(f"{layer} expected weight of shape ({c},), one per class, got "
                         f"{tuple(weight.shape)}")
    return x, target, None if weight is None else weight.astype(x.dtype, copy=False)


class _ClassLoss(_Loss):
    """Shared arguments of NLLLoss and CrossEntropyLoss."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        name = type(self).__name__
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
            raise TypeError(f"{name} expected ignore_index to be an int, got {ignore_index!r}")
        self.weight = _check_weight(name, weight)  # a plain array: a constant, not a parameter
        self.ignore_index = int(ignore_index)

    def extra_repr(self) -> str:
        extra = [super().extra_repr()]
        if self.ignore_index != -100:
            extra.append(f"ignore_index={self.ignore_index}")
        if self.weight is not None:
            extra.append(f"weight=array of {self.weight.shape[0]}")
        return ", ".join(extra)


class CrossEntropyLoss(_ClassLoss):
    """Softmax cross-entropy between logits and integer class targets (``torch.nn.CrossEntropyLoss``).

    With ``p = softmax(logits)`` over the class axis, class weights ``w`` (all 1 by default) and
    label smoothing ``eps``, each prediction ``n`` with target ``y_n`` costs

    .. math:: \\ell_n = -\\sum_c w_c\\, q_{n,c} \\log p_{n,c}, \\qquad
        q_{n,c} = (1 - \\varepsilon)\\,[c = y_n] + \\varepsilon / C,

    i.e. ``-w[y_n] log p[y_n]`` without smoothing, and 0 if ``y_n == ignore_index``.

    ``loss = crit(logits, target)`` returns a Python float (an array for ``reduction='none'``);
    ``crit.backward()`` returns ``dL/dlogits`` (pass ``dloss`` to scale it, as
    ``loss.backward(gradient)`` would; for ``'none'`` it must have the loss's shape).

    Args:
        weight: ``None`` or ``(C,)``, the weight of each class (e.g. larger for rare classes).
        ignore_index: targets equal to it add nothing to the loss, the gradient or the mean's
            denominator (padding positions, say).
        reduction: ``'mean'`` (default) is ``sum_n l_n / sum_n w[y_n]`` over the targets that are
            not ignored — a weighted mean, the plain mean without ``weight``; the denominator does
            not change with label smoothing. ``'sum'`` adds them; ``'none'`` returns every
            ``l_n`` (0 where ignored). If every target is ignored, ``'mean'`` is NaN (0/0), as in
            PyTorch.
        label_smoothing: ``eps`` in ``[0, 1]``: the target puts ``1 - eps`` on the class and
            spreads ``eps`` uniformly over all ``C`` classes.

    Shape:
        - Input: ``(N, C)``, ``(N, C, d1, ..., dk)`` (one prediction per position) or ``(C,)``.
        - Target: ``(N,)``, ``(N, d1, ..., dk)`` or ``()``; integers in ``[0, C)`` or ``ignore_index``.
        - Output: a float; with ``'none'`` an array of the target's shape.

    Unlike PyTorch, targets must be class ids (not class probabilities).

    Examples:
        >>> crit = CrossEntropyLoss()
        >>> round(crit(np.array([[2.0, 0.0, 0.0]]), np.array([0])), 4)
        0.2395
        >>> np.round(crit.backward(), 4)
        array([[-0.213 ,  0.1065,  0.1065]])
        >>> logits, target = np.zeros((3, 2)), np.array([0, 1, -100])   # the last one is padding
        >>> CrossEntropyLoss(reduction="none")(logits, target).round(4)
        array([0.6931, 0.6931, 0.    ])
        >>> round(CrossEntropyLoss(weight=np.array([1.0, 3.0]))(logits, target), 4)  # (1 + 3) log 2 / 4
        0.6931
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, ignore_index, reduction)
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
            raise TypeError(
                f"CrossEntropyLoss expected label_smoothing to be a float, got {label_smoothing!r}"
            )
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss expected label_smoothing in [0, 1], got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def extra_repr(self) -> str:
        smooth = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        return super().extra_repr() + smooth

    def forward(self, logits, target):
        logits, target, weight = _check_class_input("CrossEntropyLoss", logits, target, self.weight,
                                                    self.ignore_index, "logits")
        loss, self._cache = cross_entropy_forward(logits, target, weight, self.ignore_index, self.reduction,
                                                  self.label_smoothing)
        return loss

    def backward(self, dloss=None) -> np.ndarray:
        cache = self._saved()
        return cross_entropy_backward(self._dloss(dloss), cache)


class NLLLoss(_ClassLoss):
    """Negative log-likelihood of integer class targets given log-probabilities
    (``torch.nn.NLLLoss``): ``l_n = -w[y_n] * input[n, y_n]``, 0 where ``y_n == ignore_index``.

    ``NLLLoss()(log_softmax(logits, 1), target)`` equals ``CrossEntropyLoss()(logits, target)``;
    the input is not checked to be log-probabilities. ``crit.backward()`` returns
    ``dL/dinput``: ``-w[y_n] * dloss`` at each target (divided by the mean's denominator), 0
    elsewhere.

    Args:
        weight, ignore_index, reduction: as :class:`CrossEntropyLoss` (``'mean'`` divides by
            ``sum_n w[y_n]`` over the targets that are not ignored).

    Shape:
        - Input: ``(N, C)``, ``(N, C, d1, ..., dk)`` or ``(C,)``, log-probabilities.
        - Target: ``(N,)``, ``(N, d1, ..., dk)`` or ``()``; integers in ``[0, C)`` or ``ignore_index``.
        - Output: a float; with ``'none'`` an array of the target's shape.

    Examples:
        >>> crit = NLLLoss(weight=np.array([1.0, 2.0]))
        >>> round(crit(np.log(np.array([[0.5, 0.5], [0.25, 0.75]])), np.array([0, 1])), 4)
        0.4228
        >>> crit.backward().round(4)  # -w[y] / (1 + 2) at the targets
        array([[-0.3333,  0.    ],
               [ 0.    , -0.6667]])
    """

    def forward(self, logp, target):
        logp, target, weight = _check_class_input("NLLLoss", logp, target, self.weight, self.ignore_index,
                                                  "log-probabilities")
        loss, self._cache = nll_forward(logp, target, weight, self.ignore_index, self.reduction)
        return loss

    def backward(self, dloss=None) -> np.ndarray:
        cache = self._saved()
        return nll_backward(self._dloss(dloss), cache)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (``torch.nn.BCEWithLogitsLoss``): a sigmoid and the
    cross-entropy of a yes/no target in one stable formula,

    .. math:: \\ell = -w \\left[p_w\\, y \\log \\sigma(x) + (1 - y) \\log(1 - \\sigma(x))\\right],

    elementwise (one independent decision per element: binary or multi-label classification).
    ``crit.backward()`` returns ``dL/dlogits = w [(1 + (p_w - 1) y) sigma(x) - p_w y]`` (times
    ``dloss``, over the number of elements for ``'mean'``).

    Args:
        weight: ``None`` or an array broadcastable to the input, a weight per element (it does
            not enter the mean's denominator).
        reduction: ``'mean'`` over all elements, ``'sum'`` or ``'none'``.
        pos_weight: ``None`` or an array broadcastable to the input (usually ``(C,)``, one per
            class along the last axis): the weight of the positive targets.

    Shape:
        - Input: ``(*)``; target: the same shape, floats (0/1 or soft targets in ``[0, 1]``).
        - Output: a float; with ``'none'`` an array of the input's shape.

    Examples:
        >>> crit = BCEWithLogitsLoss()
        >>> round(crit(np.array([0.0, 2.0]), np.array([1.0, 0.0])), 4)  # (log 2 + softplus(2)) / 2
        1.41
        >>> crit.backward().round(4)  # (sigmoid(x) - y) / 2
        array([-0.25  ,  0.4404])
        >>> round(BCEWithLogitsLoss(pos_weight=np.array([3.0]))(np.array([0.0]), np.array([1.0])), 4)
        2.0794
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = _check_weight("BCEWithLogitsLoss", weight, "weight (per element)")
        self.pos_weight = _check_weight("BCEWithLogitsLoss", pos_weight, "pos_weight")

    def forward(self, logits, target):
        name = "BCEWithLogitsLoss"
        logits = as_float_array(name, logits, "input (logits)")
        target = as_float_array(name, target, "target (use 0.0 / 1.0, not ints or bools)")
        if target.shape != logits.shape:
            raise ValueError(f"{name} expected target of the input's shape {tuple(logits.shape)}, got "
                             f"{tuple(target.shape)}")
        if logits.size == 0:
            raise ValueError(f"{name} expected a non-empty input, got shape {tuple(logits.shape)}")
        extra = {}
        for what in ("weight", "pos_weight"):
            w = getattr(self, what)
            if w is not None:
                try:
                    ok = np.broadcast_shapes(w.shape, logits.shape) == logits.shape
                except ValueError:
                    ok = False
                if not ok:
                    raise ValueError(f"{name} expected {what} broadcastable to the input's shape "
                                     f"{tuple(logits.shape)}, got {tuple(w.shape)}")
                w = w.astype(logits.dtype, copy=False)
            extra[what] = w
        loss, self._cache = bce_with_logits_forward(logits, target.astype(logits.dtype, copy=False),
                                                    extra["weight"], self.reduction, extra["pos_weight"])
        return loss

    def backward(self, dloss=None) -> np.ndarray:
        cache = self._saved()
        return bce_with_logits_backward(self._dloss(dloss), cache)


class MSELoss(_Loss):
    """Mean squared error ``mean((pred - target)**2)`` (``'sum'``: the sum; ``'none'``: the
    elementwise squares).

    ``loss = crit(pred, target)`` returns a Python float (an array for ``'none'``);
    ``crit.backward()`` returns ``dL/dpred``.

    Shape:
        - Input and target: the same shape ``(*)`` (no broadcasting, unlike PyTorch, which only
          warns).
        - Output: a float; with ``'none'`` an array of the input's shape.

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

    def backward(self, dloss=None) -> np.ndarray:
        cache = self._saved()
        return mse_backward(self._dloss(dloss), cache)
