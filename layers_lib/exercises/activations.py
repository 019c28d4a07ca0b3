"""Checkers for the activation-layers chapter's exercises.

* :func:`check_softmax`: ``fn(x) -> softmax(x)`` along the last axis, stable for large logits;
* :func:`check_sigmoid_derivative`: ``fn(x) -> sigmoid'(x)``;
* :func:`check_cross_entropy_grad`: ``fn(logits, targets) -> dL/dlogits`` for the mean
  cross-entropy of ``softmax(logits)``.

The expected answers come from :func:`layers_lib.softmax`, :func:`layers_lib.sigmoid_derivative`
and :class:`layers_lib.CrossEntropyLoss`. The reader's function runs with floating-point warnings
silenced (``np.errstate``), so an overflow shows up as the ``inf``/``nan`` it produces, and the
hint explains it.
"""

from __future__ import annotations

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases

__all__ = ["check_softmax", "check_sigmoid_derivative", "check_cross_entropy_grad"]


def _array(got):
    """``got`` as an array of numbers, or ``None`` (an error, a ragged list, ...)."""
    if isinstance(got, Raised):
        return None
    a = np.asarray(got)
    return a if a.dtype != object else None


def _show_x(args) -> str:
    x = args[0]
    if x.size <= 8:
        return "x = " + np.array2string(x, separator=", ").replace("\n", "")
    return f"x of shape {x.shape}"


# -- softmax ---------------------------------------------------------------------------------------
def _softmax_cases():
    rng = np.random.default_rng(303)
    xs = [
        np.array([1.0, 2.0, 3.0]),
        rng.normal(size=(3, 4)),
        np.array([[1000.0, 0.0, -1000.0]]),
        np.array([[1000.0, 999.0], [-1000.0, -999.0]]),
        rng.normal(scale=3.0, size=(2, 3, 5)),
    ]
    return [((x,), ll.softmax(x, dim=-1)) for x in xs]


def _softmax_hint(args, got, expected):
    (x,) = args
    if isinstance(got, Raised):
        if "broadcast" in str(got.exc):
            return ("the row sums do not broadcast against x: keep the summed axis, "
                    "e.g. e.sum(axis=-1, keepdims=True), so that (N, C) is divided by (N, 1).")
        return None
    a = _array(got)
    if a is None or a.shape != x.shape:
        return f"softmax keeps the shape of its input: expected {x.shape}, got {np.shape(got)}."
    if not np.all(np.isfinite(a)):
        with np.errstate(all="ignore"):
            global_shift = np.exp(x - x.max())
            global_shift = global_shift / global_shift.sum(axis=-1, keepdims=True)
        if np.array_equal(np.isnan(a), np.isnan(global_shift)) and x.ndim > 1:
            return ("you subtracted the maximum of the WHOLE array. A row whose logits are all far "
                    "below it underflows to exp(-1000) = 0 everywhere, and 0/0 is nan. Subtract each "
                    "row's own maximum: x - x.max(axis=-1, keepdims=True).")
        return ("overflow: exp(1000) is inf in float64 (the largest float is about 1.8e308 = exp(709.8)), "
                "and inf/inf is nan. Softmax does not change when the same constant is subtracted from "
                "every logit of a row, so subtract the row's maximum first: then every exponent is <= 0.")
    if x.ndim >= 2:
        if np.allclose(a.sum(axis=0), 1) and not np.allclose(a.sum(axis=-1), 1):
            return ("wrong axis: your COLUMNS sum to 1 (axis=0). Each row holds one example's logits, "
                    "so normalise along the last axis: axis=-1, keepdims=True.")
        if np.isclose(a.sum(), 1):
            return ("you divided by the sum of the whole array, so only the grand total is 1. Each row "
                    "must sum to 1: sum with axis=-1, keepdims=True.")
        if not np.allclose(a.sum(axis=-1), 1):
            return ("each row of a softmax must sum to 1 along the last axis; yours do not. Divide the "
                    "exponentials by their sum over that axis.")
    elif not np.isclose(a.sum(), 1):
        return "the outputs of a softmax sum to 1; yours do not. Divide the exponentials by their sum."
    return None


def check_softmax(fn) -> CheckResult:
    """Check ``fn(x) -> softmax of x along its last axis`` on hidden cases: a vector, a batch of
    rows, a 3-D array, and logits of size 1000 that overflow a naive ``exp``.

    Examples:
        >>> def softmax(x):
        ...     e = np.exp(x - x.max(axis=-1, keepdims=True))
        ...     return e / e.sum(axis=-1, keepdims=True)
        >>> check_softmax(softmax)
        ✓ softmax: all 5 hidden cases pass.
    """
    return check_cases("softmax", fn, _softmax_cases(), diagnose=_softmax_hint, show_input=_show_x,
                       quiet=True)


# -- sigmoid derivative ------------------------------------------------------------------------------
def _sigmoid_cases():
    xs = [np.array([0.0]), np.array([-2.0, -0.5, 0.5, 2.0]), np.linspace(-6, 6, 13),
          np.array([-1000.0, -20.0, 20.0, 1000.0])]
    return [((x,), ll.sigmoid_derivative(x)) for x in xs]


def _sigmoid_hint(args, got, expected):
    (x,) = args
    if isinstance(got, Raised):
        return None
    a = _array(got)
    if a is None or a.shape != x.shape:
        return f"the derivative is elementwise: expected shape {x.shape}, got {np.shape(got)}."
    s = ll.sigmoid(x)
    known = [
        (x * (1 - x), "you applied s * (1 - s) to the input x. The formula needs the sigmoid's OUTPUT: "
                      "first s = sigmoid(x), then s * (1 - s). (Notes that write sigmoid_prime(x) = "
                      "x * (1 - x) mean x to be the layer's output.)"),
        (s, "that is the sigmoid itself, not its derivative s * (1 - s)."),
        (1 - s, "1 - s is only half of it: the derivative is s * (1 - s)."),
        (1 - np.tanh(x) ** 2, "that is the derivative of tanh; the sigmoid's is s * (1 - s), "
                              "with s = sigmoid(x)."),
        (1 - s**2, "1 - s**2 is the tanh rule; the sigmoid's derivative is s * (1 - s)."),
        (-s * (1 - s), "the sign is wrong: the sigmoid is increasing, so its derivative is positive."),
    ]
    for value, hint in known:
        if np.allclose(a, value, equal_nan=False) and not np.allclose(value, expected):
            return hint
    if not np.all(np.isfinite(a)):
        return ("nan or inf for large |x|: exp(1000) overflows. Use a sigmoid that never exponentiates "
                "a positive number (exp(-|x|)), e.g. ll.sigmoid, and then s * (1 - s).")
    if np.allclose(a[np.abs(x) < 40], expected[np.abs(x) < 40]):
        return "right for moderate x but not for large |x|: the derivative must go to 0 there, not nan."
    return None


def check_sigmoid_derivative(fn) -> CheckResult:
    """Check ``fn(x) -> d sigmoid / dx`` elementwise, including ``x = ±1000``.

    Examples:
        >>> check_sigmoid_derivative(lambda x: ll.sigmoid(x) * (1 - ll.sigmoid(x)))
        ✓ sigmoid_derivative: all 4 hidden cases pass.
    """
    return check_cases("sigmoid_derivative", fn, _sigmoid_cases(), diagnose=_sigmoid_hint,
                       show_input=_show_x, atol=1e-12, quiet=True)


# -- softmax + cross-entropy -----------------------------------------------------------------------------
def _ce_cases():
    rng = np.random.default_rng(404)
    cases = []
    for n, c in [(1, 3), (4, 3), (6, 5)]:
        logits = rng.normal(scale=2.0, size=(n, c))
        targets = rng.integers(0, c, size=n)
        loss = ll.CrossEntropyLoss()
        loss(logits, targets)
        cases.append(((logits, targets), loss.backward()))
    return cases


def _ce_hint(args, got, expected):
    logits, targets = args
    if isinstance(got, Raised):
        return None
    a = _array(got)
    if a is None or a.shape != logits.shape:
        return f"the gradient has the shape of the logits, {logits.shape}; got {np.shape(got)}."
    n = len(targets)
    p = ll.softmax(logits, dim=-1)
    onehot = np.eye(logits.shape[1])[targets]
    known = [
        (p - onehot, "that is the gradient of the SUM over the batch. CrossEntropyLoss averages over "
                     "the N examples by default (reduction='mean'), so divide by N."),
        ((onehot - p) / n, "the sign is flipped: the gradient is (p - y) / N, which points uphill; "
                           "gradient descent then moves against it."),
        (p / n, "you forgot to subtract the one-hot target y: the gradient is (p - y) / N."),
        ((logits - onehot) / n, "subtract y from the softmax probabilities p, not from the raw logits."),
    ]
    for value, hint in known:
        if np.allclose(a, value) and not np.allclose(value, expected):
            return hint
    return None


def check_cross_entropy_grad(fn) -> CheckResult:
    """Check ``fn(logits, targets) -> dL/dlogits`` for ``L = CrossEntropyLoss()(logits, targets)``,
    the mean over the batch of ``-log softmax(logits)[n, targets[n]]``.

    Examples:
        >>> def grad(logits, targets):
        ...     p = ll.softmax(logits, dim=-1)
        ...     p[np.arange(len(targets)), targets] -= 1
        ...     return p / len(targets)
        >>> check_cross_entropy_grad(grad)
        ✓ cross_entropy_grad: all 3 hidden cases pass.
    """
    def show(args):
        logits, targets = args
        return f"logits of shape {logits.shape}, targets = {targets.tolist()}"
    return check_cases("cross_entropy_grad", fn, _ce_cases(), diagnose=_ce_hint, show_input=show, quiet=True)
