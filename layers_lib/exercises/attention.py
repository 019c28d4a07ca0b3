"""Checkers for the attention chapter's exercises.

* :func:`check_attention`: ``fn(q, k, v) -> out``, scaled dot-product attention
  ``softmax(q kᵀ / sqrt(d)) v`` on arrays ``(..., L, d)``, ``(..., S, d)``, ``(..., S, d_v)``.

The expected outputs come from :func:`layers_lib.scaled_dot_product_attention` on seeded random
cases: a rectangular one, a square one (where several bugs run without an error), a batched one
and one with large scores. The hints name the usual mistakes: no ``1/sqrt(d)`` scale (or
``1/d``), the softmax over the wrong axis (each column summing to one instead of each row), a
transposed ``K`` (``q @ k`` or ``k @ q.T``), ``.T`` on a batched array, the weights returned
instead of the output, and an ``exp`` that overflows.
"""

from __future__ import annotations

import math

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases, close

__all__ = ["check_attention"]


def _softmax(s, axis):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _cases():
    rng = np.random.default_rng(404)
    shapes = [  # q, k, v
        ((4, 4), (4, 4), (4, 4)),                    # square: several bugs run silently
        ((3, 2), (4, 2), (4, 3)),                    # L=3, S=4, d=2, d_v=3
        ((2, 3, 5), (2, 4, 5), (2, 4, 2)),           # a batch of 2
        ((2, 3), (3, 3), (3, 2)),                    # large scores (redrawn below)
    ]
    cases = []
    for i, (qs, ks, vs) in enumerate(shapes):
        q, k, v = rng.normal(size=qs), rng.normal(size=ks), rng.normal(size=vs)
        if i == 3:  # scores of about 1000 to 2600: exp(score) overflows float64 above about 709
            q, k = rng.uniform(25, 40, size=qs), rng.uniform(25, 40, size=ks)
        cases.append(((q, k, v), ll.scaled_dot_product_attention(q, k, v)[0]))
    return cases


def _candidates(q, k, v):
    """The outputs of the usual wrong versions (``None`` where a version cannot run)."""
    d = q.shape[-1]
    kt = np.swapaxes(k, -1, -2)
    s = q @ kt
    out = {
        "no scale": _softmax(s, -1) @ v,
        "divide by d": _softmax(s / d, -1) @ v,
        "multiply by sqrt(d)": _softmax(s * math.sqrt(d), -1) @ v,
        "softmax over queries": _softmax(s / math.sqrt(d), -2) @ v,
        "weights": _softmax(s / math.sqrt(d), -1),
    }
    if k.shape[-2] == d:  # q @ k runs when S == d
        out["q @ k"] = _softmax(q @ k / math.sqrt(d), -1) @ v
    if q.shape[-2] == k.shape[-2]:  # k @ q.T runs when L == S
        sk = k @ np.swapaxes(q, -1, -2) / math.sqrt(d)
        out["k @ q.T"] = _softmax(sk, -1) @ v
        out["k @ q.T, softmax over queries"] = _softmax(sk, -2) @ v
    return out


_HINTS = {
    "no scale": ("you forgot the scale: the scores are q·k / sqrt(d). Without it the scores of "
                 "d-dimensional vectors have variance about d, and the softmax saturates as d grows."),
    "divide by d": ("you divided the scores by d; the scale is 1/sqrt(d), which gives scores of "
                    "variance about 1 (dividing by d shrinks them towards a uniform average)."),
    "multiply by sqrt(d)": "you multiplied the scores by sqrt(d); divide by it.",
    "softmax over queries": ("your softmax runs over the wrong axis: each COLUMN of the weights sums to "
                             "one. Every query needs a distribution over the keys, so normalise over the "
                             "last axis (the keys): axis=-1."),
    "weights": ("you returned the attention weights (L, S); the output is the weighted average of the "
                "values, weights @ v, shape (L, d_v)."),
    "q @ k": ("the keys are not transposed: with k of shape (S, d) the scores are q @ k.T, shape (L, S). "
              "q @ k only runs when S == d, which is how this bug hides in square tests."),
    "k @ q.T": ("you computed k @ q.T, the TRANSPOSE of the scores (S, L): row i must hold query i's "
                "scores against every key, q @ k.T, shape (L, S)."),
    "k @ q.T, softmax over queries": ("you computed k @ q.T, the transpose of the scores, and normalised it "
                                      "over the queries; the scores are q @ k.T (L, S), normalised over the "
                                      "keys (last axis)."),
}


def _hint(args, got, expected):
    q, k, v = args
    L, S, d, dv = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    if isinstance(got, (tuple, list)):
        shapes = ", ".join(str(np.shape(item)) for item in got)
        return ("return only the output (..., L, d_v), not a tuple: "
                f"you returned a tuple of {len(got)} items with shapes {shapes}.")
    if isinstance(got, Raised):
        if q.ndim > 2:
            return (f"your function fails on a batch, q of shape {q.shape} = (N, L, d): it must work for "
                    "any number of leading dimensions. Beware that on a 3-D array k.T reverses ALL the "
                    "axes, (N, S, d) -> (d, S, N); transpose only the last two with np.swapaxes(k, -1, -2). "
                    "The @ operator then works batch by batch.")
        message = str(got.exc)
        if "matmul" in message or "align" in message or "shapes" in message:
            return (f"the shapes do not line up: q is (L, d) = {q.shape}, k is (S, d) = {k.shape}, v is "
                    f"(S, d_v) = {v.shape}. The scores are q @ k.T (L, S), the output weights @ v (L, d_v).")
        return None
    g = np.asarray(got)
    if g.dtype != object and g.shape == expected.shape and not np.all(np.isfinite(g)):
        return ("your output contains inf or NaN: with large scores np.exp overflows. Subtract each "
                "row's maximum score before exp (softmax is unchanged by a constant shift).")
    for name, candidate in _candidates(q, k, v).items():
        if close(got, candidate):
            return _HINTS[name]
    if q.ndim > 2 and g.dtype != object and g.shape != expected.shape:
        return (f"for a batch q {q.shape}, k {k.shape}, v {v.shape} the output must be (N, L, d_v) = "
                f"{expected.shape}; got {g.shape}. Use np.swapaxes(k, -1, -2) rather than k.T, which "
                "reverses all the axes of a 3-D array.")
    if g.dtype != object and g.shape != expected.shape:
        return (f"the output must have shape (L, d_v) = ({L}, {dv}) (one weighted average of the values "
                f"per query), got {g.shape}. Scores: (L, S) = ({L}, {S}); d = {d}.")
    return None


def _show(args):
    q, k, v = args
    big = " (large scores)" if np.abs(q).max() > 10 else ""
    return f"q of shape {q.shape}, k {k.shape}, v {v.shape}{big}"


def check_attention(fn) -> CheckResult:
    """Check ``fn(q, k, v) -> out = softmax(q @ kᵀ / sqrt(d)) @ v`` with the softmax over the
    keys, for ``q (..., L, d)``, ``k (..., S, d)``, ``v (..., S, d_v)``.

    Examples:
        >>> def attention(q, k, v):
        ...     s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        ...     w = np.exp(s - s.max(axis=-1, keepdims=True))
        ...     return w / w.sum(axis=-1, keepdims=True) @ v
        >>> check_attention(attention)
        ✓ attention: all 4 hidden cases pass.
    """
    return check_cases("attention", fn, _cases(), diagnose=_hint, show_input=_show, quiet=True)
