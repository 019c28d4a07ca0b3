"""What the step-by-step players share (convolution forward and backward, pooling,
multi-channel convolution): number formatting, padded grids, the output grid filling in, and the
:class:`~layers_lib.viz._widget.Animation` built from one frame per step.

Each animation works out its story with plain NumPy — one step per output position: what every
grid shows, the words under it, the read-out and the alt text — independently of the layers it
illustrates; the tests check the numbers against the layers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._scene import grid, minus
from ._widget import MAX_FRAMES, Animation


@dataclass
class Step:
    """One step of a player: its frame, read-out and alt text."""

    frame: dict
    readout: str
    alt: str


def animation(title: str, steps: list[Step], result: np.ndarray, interval_ms: int) -> Animation:
    """The player of ``steps`` (the caption and the step slider say which step is shown)."""
    return Animation(title, [s.frame for s in steps], [s.readout for s in steps], [s.alt for s in steps],
                     result=result, interval_ms=interval_ms)


def formatter(*arrays) -> Callable[[float], str]:
    """Integers when every finite value is a whole number, two decimals otherwise."""
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    finite = values[np.isfinite(values)]
    decimals = 0 if np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 1e6) else 2

    def fmt(v: float) -> str:
        if np.isinf(v):
            return "−∞" if v < 0 else "∞"
        return minus(f"{v:.{decimals}f}")

    return fmt


def labels(a: np.ndarray, fmt: Callable[[float], str]) -> list[list[str]]:
    return [[fmt(v) for v in row] for row in np.asarray(a)]


def paren(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def span(start: int, stop: int) -> str:
    return f"{start}" if start == stop else f"{start}–{stop}"


def setting(v: tuple[int, int]):
    return v[0] if v[0] == v[1] else v


def rows(roles: np.ndarray) -> list[str]:
    """A 2-D array of role letters as the row strings of :func:`~layers_lib.viz.grid`."""
    return ["".join(r) for r in roles]


def grid_values(name: str, a, what: str, ndim: int = 2) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != ndim or a.size == 0 or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{name} expected {what} as a non-empty {ndim}-D numeric array, got shape "
                         f"{a.shape} and dtype {a.dtype}")
    return a.astype(np.float64)


def out_size(name: str, size, kernel, stride, padding, dilation) -> tuple[int, int]:
    """The floor formula, per dimension: (size + 2p − d·(k − 1) − 1) // s + 1."""
    out = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True):
        extent = d * (k - 1) + 1
        if n + 2 * p < extent:
            raise ValueError(f"{name}: the kernel spans {extent} cells (dilation {d} × (kernel {k} − 1) + 1) "
                             f"but the padded input has only {n + 2 * p} ({n} + 2·{p})")
        out.append((n + 2 * p - extent) // s + 1)
    if out[0] * out[1] > MAX_FRAMES // 4:
        raise ValueError(f"{name} draws one frame per output position: {out[0]}×{out[1]} is too many "
                         f"(at most {MAX_FRAMES // 4}); use a smaller input or a larger stride")
    return out[0], out[1]


def padded_roles(shape, H: int, W: int, ph: int, pw: int) -> np.ndarray:
    """Roles of a padded grid: padding ``p``, the input ``c``."""
    roles = np.full(shape, "p")
    roles[ph:ph + H, pw:pw + W] = "c"
    return roles


def filling_panel(values: np.ndarray, fmt, step: int, title: str) -> dict:
    """An output grid filled in row-major order up to ``step``, the current cell highlighted."""
    done = np.arange(values.size).reshape(values.shape) <= step
    current = np.unravel_index(step, values.shape)
    roles = np.where(done, "c", "e")
    roles[current] = "t"
    shown = [[label if d else "" for label, d in zip(row, drow, strict=True)]
             for row, drow in zip(labels(values, fmt), done, strict=True)]
    return grid(rows(roles), title=title, labels=shown, outline=[current])


def equation_lines(terms: list[list[str]], result: str, max_terms: int = 6, max_rows: int = 5) -> list[str]:
    """One line of products per kernel row, truncated for the figure (the read-out has them all)."""
    lines = []
    for r, row in enumerate(terms[:max_rows]):
        shown = row if len(row) <= max_terms else [*row[: max_terms - 1], "…"]
        lines.append(("   " if r == 0 else " + ") + " + ".join(shown))
    if len(terms) > max_rows:
        lines.append(" + …")
    lines.append(f" = {result}")
    return lines


__all__ = ["Step", "animation", "formatter", "labels"]
