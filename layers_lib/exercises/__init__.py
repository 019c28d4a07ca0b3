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

Everything a checker needs is here, once: :func:`check_cases` (the one runner, for single and
tuple outputs, and for :class:`Property` cases that have no single right answer), :func:`catching`
and :class:`Raised` (a reader's error becomes a value a hint can explain), and :func:`close` (is
this array the one we expected?). The chapter submodules hold only their cases and hints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CheckResult", "Property", "Raised", "catching", "check_cases", "close"]


class Raised:
    """Stands in for the result of a reader's call that raised, so that a hint can explain it."""

    def __init__(self, exc: Exception):
        self.exc = exc

    def __repr__(self) -> str:
        return f"an error: {type(self.exc).__name__}: {self.exc}"


def catching(fn, quiet: bool = False):
    """Wrap the reader's ``fn`` so that an exception comes back as a :class:`Raised` value.

    With ``quiet``, NumPy's floating-point warnings are off while ``fn`` runs, so an overflow
    shows up as the ``inf``/``nan`` it produces and the hint explains it.

    Examples:
        >>> catching(lambda x: 1 / x)(0)
        an error: ZeroDivisionError: division by zero
    """
    def call(*args):
        with np.errstate(all="ignore") if quiet else contextlib.nullcontext():
            try:
                return fn(*args)
            except Exception as exc:  # the reader's code may raise anything: explain it in a hint
                return Raised(exc)
    return call


def close(got, expected, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """Is ``got`` numbers of ``expected``'s shape, equal to it within the tolerance? ``False`` (not
    an error) for a :class:`Raised`, ``None``, or anything that is not an array of numbers.

    Examples:
        >>> close([1.0, 2.0], np.array([1.0, 2.0])), close(np.ones(3), np.ones(2)), close(None, 1.0)
        (True, False, False)
    """
    if got is None or isinstance(got, Raised):
        return False
    try:
        a = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(expected) and bool(np.allclose(a, expected, rtol=rtol, atol=atol))


@dataclass
class Property:
    """The expected value of a case that has no single right answer (a random layer, say):
    ``judge(got, args, call)`` returns ``None`` when ``got`` has the property, else
    ``(message, details)``; ``call`` is the reader's function (wrapped by :func:`catching`), for
    judges that need to run it again (with the same seed, or on an input they keep)."""

    judge: Callable


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
        try:
            got_a, exp_a = np.asarray(got), np.asarray(expected)
            return got_a.shape == exp_a.shape and bool(np.allclose(got_a, exp_a, rtol=rtol, atol=atol))
        except (TypeError, ValueError):  # a ragged tuple, strings, ...: not the array expected
            return False
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
    if isinstance(value, (tuple, list)) and any(isinstance(v, np.ndarray) for v in value):
        shapes = ", ".join(str(np.shape(v)) for v in value)
        return f"a {type(value).__name__} of {len(value)} items with shapes {shapes}"
    return repr(value)


def _shapes(names: Sequence[str], values) -> str:
    return ", ".join(f"{n} {'an error' if isinstance(v, Raised) else tuple(np.shape(v))}"
                     for n, v in zip(names, values, strict=True))


def _wrong(name: str, got, expected) -> str:
    """``name``, with the largest difference when ``got`` at least has the right shape."""
    try:
        diff = np.abs(np.asarray(got, dtype=np.float64) - expected) if np.shape(got) == np.shape(expected) \
            else None
    except (TypeError, ValueError):
        diff = None
    return name if diff is None or diff.size == 0 else f"{name} (largest difference {np.max(diff):.3g})"


def _differences(got, expected, names, rtol: float, atol: float) -> list[str]:
    """The lines that show how ``got`` differs from ``expected``."""
    if names is None:
        return [f"expected: {_short(expected)}", f"got:      {_short(got)}"]
    lines = [f"expected: {_shapes(names, expected)}"]
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        what = (_short(got) if isinstance(got, (tuple, list)) else f"one array of shape {got.shape}"
                if isinstance(got, np.ndarray) else f"a {type(got).__name__}")
        return lines + [f"got:      {what}"]
    wrong = [_wrong(n, g, e) for n, g, e in zip(names, got, expected, strict=True)
             if not _same(g, e, rtol, atol)]
    return lines + [f"got:      {_shapes(names, got)}", f"wrong:    {', '.join(wrong)}"]


def check_cases(name: str, fn: Callable, cases: Iterable[tuple[tuple, object]],
                diagnose: Callable | None = None, rtol: float = 1e-6, atol: float = 1e-8,
                show_input: Callable | None = None, names: Sequence[str] | None = None,
                quiet: bool = False, passed: str | None = None) -> CheckResult:
    """Run ``fn(*args)`` for each hidden ``(args, expected)`` case and report the first failure.

    Args:
        name: what the reader's function is called in the exercise.
        fn: the reader's function.
        cases: ``(args, expected)`` pairs; arguments are passed as copies. ``expected`` may be a
            :class:`Property` (its judge decides, and words the failure).
        diagnose: ``diagnose(args, got, expected) -> str | None``: a specific hint for a
            recognised mistake (e.g. "your output is transposed"); ``got`` is a :class:`Raised`
            when the reader's function raised.
        rtol, atol: tolerance for floating-point results.
        show_input: formats ``args`` for the message (default: ``repr``).
        names: for a function that returns a tuple (``("dx", "dW", "db")``): the failure then
            lists the shapes and the wrong outputs by name.
        quiet: run ``fn`` with NumPy's floating-point warnings off (see :func:`catching`).
        passed: the verdict when every case passes (default: ``all N hidden cases pass.``).

    Examples:
        >>> check_cases("grads", lambda a: (a, 2 * a), [((np.ones(2),), (np.ones(2), np.ones(2)))],
        ...             names=("da", "db"))
        ✗ grads: case 1 of 1 failed.
          input:    (array([1., 1.]),)
          expected: da (2,), db (2,)
          got:      da (2,), db (2,)
          wrong:    db (largest difference 1)
    """
    cases = list(cases)
    call = catching(fn, quiet)
    for i, (args, expected) in enumerate(cases, start=1):
        copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        shown = show_input(args) if show_input else repr(args)
        got = call(*copies)
        where = f"case {i} of {len(cases)}"
        if isinstance(got, Raised):
            message, details = f"{where} raised an error.", [f"error:    {type(got.exc).__name__}: {got.exc}"]
        elif got is None and expected is not None:
            return CheckResult(name, False, "your function returned None — did you forget `return`?")
        elif isinstance(expected, Property):
            verdict = expected.judge(got, args, call)
            if verdict is None:
                continue
            message, details = verdict
        elif _same(got, expected, rtol, atol):
            continue
        else:
            message, details = f"{where} failed.", _differences(got, expected, names, rtol, atol)
        hint = diagnose(args, got, expected) if diagnose else None
        details = [f"input:    {shown}", *details] + ([f"hint:     {hint}"] if hint else [])
        return CheckResult(name, False, message, [d for d in details if d])
    return CheckResult(name, True, passed or f"all {len(cases)} hidden cases pass.")
