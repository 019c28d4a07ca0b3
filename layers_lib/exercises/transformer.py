"""Checkers for the Transformer-block chapter's exercises.

* :func:`check_sinusoidal`: ``fn(num_positions, d_model) -> table``, the sinusoidal
  positional-encoding table of Vaswani et al., ``(num_positions, d_model)``.

The expected tables come from :func:`layers_lib.sinusoidal_positional_encoding`, on an even and an
odd ``d_model``, and the hints name the usual mistakes: sine and cosine swapped, the exponent
``i/d`` instead of ``2i/d`` (per column instead of per pair), the sines and cosines in two
halves instead of interleaved (tensor2tensor's layout: the same numbers with the columns in
another order), positions counted from 1, a frequency that grows instead of shrinking
(``base^(2i/d)`` multiplying instead of dividing), and the transposed table.
"""

from __future__ import annotations

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases

__all__ = ["check_sinusoidal"]


def _cases():
    return [((P, d), ll.sinusoidal_positional_encoding(P, d)) for P, d in ((6, 8), (50, 16), (7, 5))]


def _table(P, d, angle_of, sin_first=True, halves=False):
    """A table built the way a typical wrong version builds it."""
    pos = np.arange(P)[:, None]
    cols = np.arange(d)
    angle = angle_of(pos, cols)  # (P, d): the angle of each entry
    if halves:  # [sin of every frequency, cos of every frequency]
        half = (d + 1) // 2
        freq_angle = angle_of(pos, 2 * np.arange(half))
        return np.concatenate([np.sin(freq_angle), np.cos(freq_angle[:, : d // 2])], axis=1)
    even, odd = (np.sin, np.cos) if sin_first else (np.cos, np.sin)
    return np.where(cols % 2 == 0, even(angle), odd(angle))


def _candidates(P, d):
    def pair(p, c):  # the right angle: pair i = c // 2 uses 1 / 10000^(2i/d)
        return p / 10000.0 ** (2 * (c // 2) / d)

    return {
        "swapped": _table(P, d, pair, sin_first=False),
        "per column": _table(P, d, lambda p, c: p / 10000.0 ** (c / d)),
        "halves": _table(P, d, pair, halves=True),
        "from 1": _table(P, d, lambda p, c: pair(p + 1, c)),
        "growing": _table(P, d, lambda p, c: p * 10000.0 ** (2 * (c // 2) / d)),
    }


_HINTS = {
    "swapped": "sine and cosine are swapped: the EVEN columns (0, 2, 4, ...) hold the sines, the odd ones "
               "the cosines.",
    "per column": "your exponent is i/d with i the column; the paper's 2i/d counts PAIRS of columns: columns "
                  "2i and 2i+1 share one frequency 1 / 10000^(2i/d), e.g. use np.arange(0, d, 2) / d.",
    "halves": "you put all the sines in the first half and all the cosines in the second: the same numbers "
              "as the paper's table with the columns in another order (tensor2tensor's layout). Interleave "
              "them: table[:, 0::2] = sin, table[:, 1::2] = cos.",
    "from 1": "your positions start at 1; they start at 0 (the first row is sin 0 = 0, cos 0 = 1).",
    "growing": "your frequency grows with the dimension: the angle is position / 10000^(2i/d) (a DIVISION), "
               "so the wavelengths grow from 2π to about 2π·10000.",
}


def _hint(args, got, expected):
    P, d = args
    if isinstance(got, Raised):
        return "fix the error first." if d % 2 == 0 else (
            f"your function fails for an odd d_model = {d}: there are {(d + 1) // 2} sine columns but only "
            f"{d // 2} cosine columns (slice the angles for the cosines).")
    g = np.asarray(got)
    if g.dtype == object:
        return None
    if g.shape == (d, P) and np.allclose(g.T, expected):
        return "your table is transposed: one ROW per position, (num_positions, d_model)."
    if g.shape != expected.shape:
        return f"the table must have shape (num_positions, d_model) = {expected.shape}, got {g.shape}."
    for name, candidate in _candidates(P, d).items():
        if np.allclose(g, candidate):
            return _HINTS[name]
    return None


def check_sinusoidal(fn) -> CheckResult:
    """Check ``fn(num_positions, d_model) -> table (num_positions, d_model)`` with
    ``table[p, 2i] = sin(p / 10000^(2i/d))`` and ``table[p, 2i+1] = cos(p / 10000^(2i/d))``.

    Examples:
        >>> def sinusoidal(num_positions, d_model):
        ...     angle = np.arange(num_positions)[:, None] / 10000 ** (np.arange(0, d_model, 2) / d_model)
        ...     table = np.zeros((num_positions, d_model))
        ...     table[:, 0::2], table[:, 1::2] = np.sin(angle), np.cos(angle[:, : d_model // 2])
        ...     return table
        >>> check_sinusoidal(sinusoidal)
        ✓ sinusoidal: all 3 hidden cases pass.
    """
    return check_cases("sinusoidal", fn, _cases(), diagnose=_hint,
                       show_input=lambda a: f"num_positions={a[0]}, d_model={a[1]}")
