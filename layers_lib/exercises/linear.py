"""Checkers for the linear-layer chapter's exercises.

* :func:`check_linear_forward`: ``fn(x, weight, bias) -> y``, the dense layer ``x @ W.T + b``;
* :func:`check_linear_backward`: ``fn(dy, x, weight) -> (dx, dweight, dbias)``;
* :func:`check_mlp_num_parameters`: ``fn(sizes) -> int``, the parameter count of a stack of
  ``Linear`` layers of the given widths.

The expected answers come from :func:`layers_lib.linear_forward`,
:func:`layers_lib.linear_backward` and :class:`layers_lib.Linear` on seeded random cases; the
hints name the usual mistakes (the weight not transposed, a missing bias, the bias gradient not
summed over the batch, the weight gradient transposed, ...).
"""

from __future__ import annotations

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases, close

__all__ = ["check_linear_forward", "check_linear_backward", "check_mlp_num_parameters"]


def _shape(a) -> str:
    return str(tuple(np.shape(a))) if not isinstance(a, Raised) else "an error"


def _forward_cases():
    rng = np.random.default_rng(101)
    cases = []
    for x_shape, n_out in [((3, 4), 2), ((4, 3), 3), ((2, 5, 4), 3), ((4,), 2)]:
        x = rng.normal(size=x_shape)
        w = rng.normal(size=(n_out, x_shape[-1]))
        b = rng.normal(size=n_out)
        cases.append(((x, w, b), ll.linear_forward(x, w, b)[0]))
    return cases


def _forward_hint(args, got, expected):
    x, w, b = args
    if isinstance(got, Raised):
        message = str(got.exc)
        if x.ndim > 2:
            return ("your function fails on an input with more than one leading dimension, "
                    f"{x.shape} = (N, T, in_features). x @ W.T acts on the last axis whatever the "
                    "leading ones are.")
        if "broadcast" in message:
            return ("the bias does not broadcast: it has shape (out_features,) and is added to every "
                    "row of x @ W.T as it is; do not reshape it into a column (out_features, 1).")
        if x.ndim == 1:
            return (f"a single example of shape (in_features,) = {x.shape} must work too and give "
                    f"(out_features,) = {expected.shape}; x @ W.T + b does.")
        if "matmul" in message or "align" in message:
            return (f"the shapes do not line up for a matrix product: x is {x.shape} and W is {w.shape} "
                    "(out_features, in_features). Each row of W holds one output unit's weights, so "
                    "the layer computes x @ W.T, which gives (..., out_features).")
        return "fix the error first; x @ W.T + b works for any number of leading dimensions."
    if x.shape[-1] == w.shape[0]:
        if close(got, x @ w + b):
            return ("you multiplied by W, not W.T. W has shape (out_features, in_features): row i "
                    "holds the weights of output unit i, so y = x @ W.T + b. With a square W both "
                    "run without an error, which is how this bug hides.")
        if close(got, x @ w):
            return "you multiplied by W instead of W.T, and the bias is missing."
    if close(got, x @ w.T):
        return "the bias is missing: add b (shape (out_features,)); it broadcasts over the batch."
    if close(got, x @ w.T - b):
        return "you subtracted the bias; the layer adds it: y = x @ W.T + b."
    if x.ndim == 2 and (close(got, w @ x.T + b[:, None]) or close(got, w @ x.T)):
        return (f"your output is transposed: got {_shape(got)} = (out_features, N), expected "
                f"{expected.shape} = (N, out_features). W @ x is the column-vector form of maths "
                "texts; with a batch of rows (batch first) it is x @ W.T.")
    if np.shape(got) != expected.shape:
        return (f"the output must have shape {expected.shape} (the input's leading dimensions, then "
                f"out_features), got {_shape(got)}. Check how the bias broadcasts: it must have shape "
                "(out_features,), not (out_features, 1).")
    if x.ndim > 2:
        return ("your function fails on an input with more than one leading dimension, "
                "(N, T, in_features). x @ W.T acts on the last axis whatever the leading ones are.")
    return None


def check_linear_forward(fn) -> CheckResult:
    """Check ``fn(x, weight, bias) -> y = x @ weight.T + bias`` on hidden cases (2-D, square,
    3-D and 1-D inputs).

    Examples:
        >>> check_linear_forward(lambda x, w, b: x @ w.T + b)
        ✓ linear_forward: all 4 hidden cases pass.
    """
    return check_cases("linear_forward", fn, _forward_cases(), diagnose=_forward_hint,
                       show_input=_show_shapes(("x", "weight", "bias")))


def _show_shapes(names):
    def show(args):
        return ", ".join(f"{n} of shape {np.shape(a)}" for n, a in zip(names, args, strict=True))
    return show


def _backward_cases():
    rng = np.random.default_rng(202)
    cases = []
    for x_shape, n_out in [((5, 4), 3), ((4, 3), 3), ((2, 6, 4), 3)]:
        x = rng.normal(size=x_shape)
        w = rng.normal(size=(n_out, x_shape[-1]))
        dy = rng.normal(size=x_shape[:-1] + (n_out,))
        _, cache = ll.linear_forward(x, w, np.zeros(n_out))
        cases.append(((dy, x, w), tuple(ll.linear_backward(dy, cache))))
    return cases


def _backward_hint(args, got, expected):
    dy, x, w = args
    if isinstance(got, Raised):
        if isinstance(got.exc, ValueError) and "matmul" in str(got.exc):
            return ("a matrix product has mismatched shapes. Check each against its shape: dx must be "
                    f"like x {x.shape}, dW like W {w.shape}, db like b ({w.shape[0]},).")
        return None  # the verdict shows the error
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return "return a tuple of three arrays: (dx, dW, db)."
    dx, dw, db = got
    exp_dx, exp_dw, exp_db = expected
    n = dy.reshape(-1, dy.shape[-1]).shape[0]
    x2, dy2 = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
    if not close(dx, exp_dx):
        if w.shape[0] == w.shape[1] and close(dx, dy @ w.T):
            return ("dx uses W.T; since y = x @ W.T, the chain rule gives dx = dy @ W, shape "
                    "(N, in_features). The square W hid the mistake from the shapes.")
        return f"dx is wrong: it must equal dy @ W and have x's shape {x.shape}, got {_shape(dx)}."
    if not close(dw, exp_dw):
        if close(dw, x2.T @ dy2):
            return ("dW is transposed: x.T @ dy has shape (in_features, out_features), but the "
                    "gradient must have W's shape (out_features, in_features): dW = dy.T @ x.")
        if close(dw, exp_dw / n):
            return ("dW is divided by the batch size. The weight gradient is a SUM over the examples; "
                    "any averaging belongs to the loss and is already inside dy.")
        if x.ndim > 2:
            return ("dW must sum over every leading dimension of a (N, T, in_features) input: flatten "
                    "first, dy.reshape(-1, out_features).T @ x.reshape(-1, in_features).")
        return f"dW is wrong: it must equal dy.T @ x, shape {w.shape}, got {_shape(dw)}."
    if not close(db, exp_db):
        if np.shape(db) == dy.shape:
            return (f"db has shape {_shape(db)}, the shape of dy: the bias is shared by every example "
                    f"in the batch, so its gradient is the sum over the batch, dy.sum(axis=0), "
                    f"shape ({w.shape[0]},).")
        if close(db, exp_db / n):
            return ("db is the mean over the batch; it must be the sum, dy.sum(axis=0) (any averaging "
                    "is already inside dy).")
        if x.ndim > 2 and close(db, dy.sum(axis=0)):
            return ("db must sum over every leading dimension: dy.reshape(-1, out_features).sum(axis=0) "
                    "(or dy.sum(axis=tuple(range(dy.ndim - 1)))).")
        return f"db is wrong: it must equal dy.sum(axis=0), shape ({w.shape[0]},), got {_shape(db)}."
    return None


def check_linear_backward(fn) -> CheckResult:
    """Check ``fn(dy, x, weight) -> (dx, dweight, dbias)`` for ``y = x @ weight.T + bias``
    on hidden cases (a batch, a square weight, a 3-D input ``(N, T, in_features)``).

    Examples:
        >>> def linear_backward(dy, x, w):
        ...     x2, dy2 = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
        ...     return dy @ w, dy2.T @ x2, dy2.sum(axis=0)
        >>> check_linear_backward(linear_backward)
        ✓ linear_backward: all 3 hidden cases pass.
    """
    return check_cases("linear_backward", fn, _backward_cases(), diagnose=_backward_hint,
                       show_input=_show_shapes(("dy", "x", "weight")), names=("dx", "dW", "db"))


def _mlp_cases():
    cases = []
    for sizes in ([784, 256, 128, 10], [2, 3], [3, 4, 4, 2], [128, 64]):
        layers = [ll.Linear(a, b, rng=np.random.default_rng(0)) for a, b in zip(sizes[:-1], sizes[1:],
                                                                                 strict=True)]
        cases.append(((sizes,), ll.Sequential(*layers).num_parameters()))
    return cases


def _mlp_hint(args, got, expected):
    (sizes,) = args
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    weights = sum(a * b for a, b in pairs)
    if isinstance(got, Raised):
        return None  # the verdict shows the error
    if got == weights:
        return "you counted the weights only: every Linear(a, b) also has b biases."
    if got == weights + sum(sizes):
        return ("you gave the input layer biases too: only the layers that compute (all but the "
                "input) have them.")
    if got == weights + sum(sizes[:-1]):
        return "each Linear(a, b) has b biases (one per OUTPUT unit), not a."
    if got == sum((a + 1) * (b + 1) for a, b in pairs):
        return "Linear(a, b) has a*b weights and b biases: (a + 1) * b in all."
    return "a Linear(a, b) layer holds a*b weights plus b biases; sum that over consecutive pairs of widths."


def check_mlp_num_parameters(fn) -> CheckResult:
    """Check ``fn(sizes) -> int``: the number of parameters of ``Linear(sizes[0], sizes[1])``,
    ``Linear(sizes[1], sizes[2])``, ... (activations have none).

    Examples:
        >>> check_mlp_num_parameters(lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:])))
        ✓ mlp_num_parameters: all 4 hidden cases pass.
    """
    return check_cases("mlp_num_parameters", fn, _mlp_cases(), diagnose=_mlp_hint,
                       show_input=lambda args: f"sizes = {args[0]}")
