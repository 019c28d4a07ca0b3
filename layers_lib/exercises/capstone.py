"""Checker for the capstone's exercise: ``fn(logits, labels) -> float``, the fraction of examples
whose highest-scoring class is the true label.

The hints name the usual mistakes: taking the arg-max over the batch axis instead of the class
axis, returning a count instead of a fraction, and returning a percentage.
"""

from __future__ import annotations

import numpy as np

from . import CheckResult, Raised, check_cases

__all__ = ["check_accuracy"]


def _cases():
    rng = np.random.default_rng(7)
    cases = []
    for n, c in [(10, 10), (6, 4), (3, 5), (8, 2)]:  # square first: an arg-max over the wrong axis still runs
        logits = rng.normal(size=(n, c))
        labels = rng.integers(0, c, size=n)
        labels[: n // 2] = logits[: n // 2].argmax(axis=1)  # some right, some wrong
        cases.append(((logits, labels), float(np.mean(logits.argmax(axis=1) == labels))))
    return cases


def _hint(args, got, expected):
    logits, labels = args
    if isinstance(got, Raised):
        return None  # the verdict shows the error
    try:
        got = float(got)
    except (TypeError, ValueError):
        return f"return one number (a float between 0 and 1), not {type(got).__name__}."
    n = len(labels)
    if np.isclose(got, expected * n):
        return f"that is the number of correct predictions ({got:.0f}); divide by the batch size {n}."
    if np.isclose(got, 100 * expected):
        return "that is a percentage; return the fraction between 0 and 1."
    wrong_axis = logits.argmax(axis=0)
    if len(wrong_axis) == n and np.isclose(got, np.mean(wrong_axis == labels)):
        return ("you took the arg-max over axis 0 (over the batch); the class scores of one example "
                "are a row, so use argmax(axis=1).")
    return None


def check_accuracy(fn) -> CheckResult:
    """Check ``fn(logits (N, C), labels (N,)) -> accuracy in [0, 1]`` on hidden cases.

    Examples:
        >>> check_accuracy(lambda logits, labels: np.mean(logits.argmax(axis=1) == labels))
        ✓ accuracy: all 4 hidden cases pass.
        >>> print(check_accuracy(lambda logits, labels: np.sum(logits.argmax(axis=1) == labels)))
        ✗ accuracy: case 1 of 4 failed.
          input:    logits of shape (10, 10), labels [7, 5, 3, 4, 9, 5, 4, 8, 6, 3]
          expected: 0.6
          got:      6
          hint:     that is the number of correct predictions (6); divide by the batch size 10.
    """
    def show(args):
        return f"logits of shape {args[0].shape}, labels {np.array2string(args[1], separator=', ')}"

    return check_cases("accuracy", fn, _cases(), diagnose=_hint, show_input=show)
