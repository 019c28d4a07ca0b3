"""Self-checking exercises: checkers that run hidden cases on the reader's function and answer
with a specific hint instead of a bare assertion.

Each chapter has a submodule (``layers_lib.exercises.conv``, ...) with its checkers. A checker
takes the reader's function and returns a :class:`CheckResult`, which prints as a short verdict::

    >>> from layers_lib.exercises import check_cases
    >>> def double(x):
    ...     return x + x
    >>> check_cases("double", double, [((2,), 4), ((5,), 10)])
    ✓ double: all 2 hidden cases pass.

A wrong answer gets the first failing case and, where the checker recognises the mistake, a hint::

    >>> def wrong(x):
    ...     return x * x
    >>> check_cases("double", wrong, [((2,), 4), ((5,), 10)])
    ✗ double: case 2 of 2 failed.
      input:    (5,)
      expected: 10
      got:      25
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CheckResult", "Raised", "catching", "check_cases"]


class Raised:
    """Stands in for the result of a reader's call that raised, so that a hint can explain it."""

    def __init__(self, exc: Exception):
        self.exc = exc

    def __repr__(self) -> str:
        return f"an error: {type(self.exc).__name__}: {self.exc}"


def catching(fn):
    """Wrap the reader's ``fn`` so that an exception comes back as a :class:`Raised` value."""
    def call(*args):
        try:
            return fn(*args)
        except Exception as exc:  # the reader's code may raise anything: explain it in a hint
            return Raised(exc)
    return call


@dataclass
class CheckResult:
    """The verdict of a checker: ``passed`` and a human-readable ``message``."""

    name: str
    passed: bool
    message: str
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        mark = "✓" if self.passed else "✗"
        return "\n".join([f"{mark} {self.name}: {self.message}", *("  " + d for d in self.details)])

    __repr__ = __str__

    def __bool__(self) -> bool:
        return self.passed


def _same(got, expected, rtol: float, atol: float) -> bool:
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        got_a, exp_a = np.asarray(got), np.asarray(expected)
        return got_a.shape == exp_a.shape and np.allclose(got_a, exp_a, rtol=rtol, atol=atol)
    if isinstance(expected, tuple) and isinstance(got, (tuple, list)):
        return len(got) == len(expected) and all(
            _same(g, e, rtol, atol) for g, e in zip(got, expected, strict=True))
    if isinstance(expected, float):
        return isinstance(got, (int, float, np.number)) and bool(np.isclose(got, expected, rtol, atol))
    return got == expected


def _short(value) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        if value.size <= 16:
            return np.array2string(value, precision=4, separator=", ").replace("\n", " ")
        return f"array of shape {value.shape}"
    return repr(value)


def check_cases(name: str, fn: Callable, cases: Iterable[tuple[tuple, object]],
                diagnose: Callable | None = None, rtol: float = 1e-6, atol: float = 1e-8,
                show_input: Callable | None = None) -> CheckResult:
    """Run ``fn(*args)`` for each hidden ``(args, expected)`` case and report the first failure.

    Args:
        name: what the reader's function is called in the exercise.
        fn: the reader's function.
        cases: ``(args, expected)`` pairs; arguments are passed as copies.
        diagnose: ``diagnose(args, got, expected) -> str | None``: a specific hint for a
            recognised mistake (e.g. "your output is transposed").
        rtol, atol: tolerance for floating-point results.
        show_input: formats ``args`` for the message (default: ``repr``).
    """
    cases = list(cases)
    for i, (args, expected) in enumerate(cases, start=1):
        copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        shown = show_input(args) if show_input else _short(args)
        try:
            got = fn(*copies)
        except Exception as exc:  # the reader's code may raise anything; report it plainly
            return CheckResult(name, False, f"case {i} of {len(cases)} raised an error.",
                               [f"input:    {shown}", f"error:    {type(exc).__name__}: {exc}"])
        if got is None and expected is not None:
            return CheckResult(name, False, "your function returned None — did you forget `return`?")
        if not _same(got, expected, rtol, atol):
            details = [f"input:    {shown}", f"expected: {_short(expected)}", f"got:      {_short(got)}"]
            hint = diagnose(args, got, expected) if diagnose else None
            if hint:
                details.append(f"hint:     {hint}")
            return CheckResult(name, False, f"case {i} of {len(cases)} failed.", details)
    return CheckResult(name, True, f"all {len(cases)} hidden cases pass.")
