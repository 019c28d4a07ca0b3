"""Figures as data: what an explorer or a player shows, computed in Python and drawn by the
browser.

A *frame* is a small JSON-able dict, ``{"title": ..., "panels": [...], "notes": [...]}``; the
renderer in :mod:`layers_lib.viz._widget` draws every panel as SVG with real text, sized for the
page it is on (cells and charts shrink to fit a phone; text stays 12 px), in colours that follow the
page's light or dark theme. Two kinds of panel:

* :func:`grid` — a grid of cells: a padded input, a kernel, an output filling in. Each cell has
  a *role* (one letter, see :data:`ROLES`) that picks its colour, an optional label, and may be
  outlined, dotted or boxed.
* :class:`Chart` — axes with ticks, and marks in data coordinates: lines, points, bars, text,
  arrows, rules, heat-map cells. Limits and ticks are worked out here, so the renderer only maps
  coordinates linearly (a log axis is a linear axis of log10 values with ``10^k`` tick labels).

Numbers are rounded to four significant digits: enough for a picture, and a frame's JSON stays
small enough that an explorer with hundreds of settings fits in a web page.

Examples:
    >>> g = grid(["pppp", "pccp"], title="input", labels=[["", "", "", ""], ["", "1", "2", ""]])
    >>> g["t"], g["r"], g["c"]
    ('grid', 2, 4)
    >>> c = Chart(title="relu", xlabel="x")
    >>> c.line([-1, 0, 1], [0, 0, 1], color=0, label="ReLU")
    >>> panel = c.to_dict()
    >>> panel["x"], [label for _, label in panel["xt"]]
    ([-1.08, 1.08], ['−1.0', '−0.5', '0.0', '0.5', '1.0'])
    >>> frame(panel, title="A ReLU")["title"]
    'A ReLU'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: The cell roles of a :func:`grid` (one letter each) and what they mean; the renderer gives each
#: its colour through a CSS variable, so both themes have their own palette.
ROLES = {
    "c": "a plain cell (the input, a computed output)",
    "p": "padding",
    "t": "a tap of the current window (highlighted)",
    "s": "the strongest tap (the arg-max)",
    "b": "a tap of the second window",
    "e": "not computed yet",
    "x": "never read by any window (crossed)",
    "k": "a kernel weight",
    "d": "dropped (zero)",
    "h": "a heat-map cell (colour from its value in ``heat``)",
    "_": "no cell (blank space)",
}

_ROLE_SET = set(ROLES)


#: Numbers closer to zero than this are stored as 0: on a linear axis they are indistinguishable
#: from it, their digits are rounding noise that can differ between machines, and nbval compares
#: frames exactly (log axes store log10 of the data, so their tiny values are not affected).
TINY = 1e-7


def _num(v) -> float | int | None:
    """A number for JSON: ints stay ints, floats keep four significant digits, NaN becomes None,
    magnitudes below :data:`TINY` become 0."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    v = float(v)
    if not math.isfinite(v):
        return None
    if abs(v) < TINY:
        return 0
    r = float(f"{v:.4g}")
    return int(r) if r == int(r) and abs(r) < 1e15 else r


def _nums(values) -> list:
    return [_num(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def minus(text: str) -> str:
    """Typographic minus signs; "-0" becomes "0"."""
    text = str(text)
    if text.startswith("-") and text[1:].strip("0.") == "":
        text = text[1:]
    return text.replace("-", "−")


def grid(fill: Sequence[str], title: str = "", labels=None, heat=None, outline=(), dots=(), boxes=(),
         rows_index: Sequence | None = None, cols_index: Sequence | None = None,
         index_from: int | None = None, answer: bool = False, cell: int | None = None) -> dict:
    """A grid panel.

    Args:
        fill: one string per row, one role letter per cell (see :data:`ROLES`).
        title: the panel's caption.
        labels: ``rows × cols`` strings written in the cells ("" for none), or None.
        heat: ``rows × cols`` values in [0, 1] for cells of role ``h`` (0 = background colour,
            1 = the full heat colour), or None.
        outline: ``(row, col)`` cells drawn with a thick outline.
        dots: ``(row, col, style)`` markers: style ``"a"`` a filled dot (a tap of the first
            window), ``"b"`` a hollow square (a tap of the second).
        boxes: ``(top, left, height, width, style)`` rectangles around cells: style ``"a"`` solid,
            ``"b"`` dashed in the second colour, ``"k"`` dashed in the ink colour.
        rows_index, cols_index: labels written left of the rows / above the columns.
        index_from: number the rows and columns from this index (e.g. ``-padding``, so the input's
            own cells are 0 … n − 1); instead of ``rows_index`` and ``cols_index``.
        answer: the panel holds the answer of a predict-then-check explorer (hidden until the
            reader has predicted).
        cell: a preferred cell size in CSS pixels (default: from the widest label).

    Returns:
        The panel as a dict (``"t": "grid"``).
    """
    fill = [str(row) for row in fill]
    if not fill or len({len(row) for row in fill}) != 1 or not fill[0]:
        lengths = [len(r) for r in fill]
        raise ValueError(f"grid expected rows of equal, non-zero length, got lengths {lengths}")
    bad = set("".join(fill)) - _ROLE_SET
    if bad:
        raise ValueError(f"grid expected role letters from {sorted(_ROLE_SET)}, got {sorted(bad)}")
    rows, cols = len(fill), len(fill[0])
    panel: dict = {"t": "grid", "title": title, "r": rows, "c": cols, "fill": fill}
    if labels is not None:
        labels = [[str(v) for v in row] for row in labels]
        if len(labels) != rows or any(len(row) != cols for row in labels):
            raise ValueError(f"grid expected {rows}×{cols} labels, got {len(labels)} rows")
        panel["labels"] = labels
    if heat is not None:
        heat = np.clip(np.asarray(heat, dtype=np.float64), 0.0, 1.0)
        if heat.shape != (rows, cols):
            raise ValueError(f"grid expected heat of shape {(rows, cols)}, got {heat.shape}")
        panel["heat"] = [[round(float(v), 3) for v in row] for row in heat]
    if len(outline):
        panel["outline"] = [[int(i), int(j)] for i, j in outline]
    if len(dots):
        panel["dots"] = [[int(i), int(j), str(s)] for i, j, s in dots]
    if len(boxes):
        panel["boxes"] = [[int(i), int(j), int(h), int(w), str(s)] for i, j, h, w, s in boxes]
    if rows_index is not None:
        panel["ri"] = [str(v) for v in rows_index]
    if cols_index is not None:
        panel["ci"] = [str(v) for v in cols_index]
    if index_from is not None:
        panel["i0"] = int(index_from)
    if answer:
        panel["answer"] = True
    if cell is not None:
        panel["cell"] = int(cell)
    return panel


def message(text: str, title: str = "") -> dict:
    """A panel that is only words (e.g. "this setting is not valid: ...")."""
    return {"t": "msg", "title": title, "text": str(text)}


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]: the step of 1, 2, 2.5 or 5 × 10^k nearest
    to (hi − lo) / (n − 1).

    Examples:
        >>> nice_ticks(0, 1)
        [0.0, 0.25, 0.5, 0.75, 1.0]
        >>> nice_ticks(-3.2, 7.9)
        [-2.5, 0.0, 2.5, 5.0, 7.5]
    """
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10)), key=lambda c: abs(math.log(c / raw)))
    first = math.ceil(lo / step - 1e-9) * step
    ticks, t = [], first
    while t <= hi + 1e-9 * step:
        ticks.append(round(t, 10) + 0.0)
        t += step
    return ticks


def _tick_label(v: float, step: float) -> str:
    """``v`` with as many decimals as the tick step needs (0.25 → 2, 2.5 → 1, 20 → 0)."""
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    if step > 0 and abs(round(step, decimals) - step) > 1e-9 * step:
        decimals += 1
    return minus(f"{v:.{decimals}f}")


class Chart:
    """A chart panel: axes in data coordinates and the marks drawn on them.

    Add marks with :meth:`line`, :meth:`points`, :meth:`bars`, :meth:`text`, :meth:`arrow`,
    :meth:`rule`, :meth:`band` and :meth:`cells`; :meth:`to_dict` works out limits (from the data
    unless ``xlim``/``ylim`` are given) and round ticks.

    Args:
        title: the caption above the chart.
        xlabel, ylabel: axis labels.
        width, height: the preferred size in CSS pixels (the chart shrinks to fit narrow pages).
        xlim, ylim: fixed limits; ``ylog``/``xlog``: a log10 axis (give data in original units).
        xticks, yticks: ``[(value, label), ...]`` instead of the automatic ticks (values in the
            axis' units, before any log).
        equal: the same scale on both axes (for geometry: vectors, points in a plane).
        answer: hidden until the reader has predicted (see :func:`grid`).
    """

    def __init__(self, title: str = "", xlabel: str = "", ylabel: str = "", width: int = 360,
                 height: int = 230, xlim=None, ylim=None, xlog: bool = False, ylog: bool = False,
                 xticks=None, yticks=None, equal: bool = False, answer: bool = False):
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.width, self.height = int(width), int(height)
        self.xlim, self.ylim, self.xlog, self.ylog = xlim, ylim, xlog, ylog
        self.xticks, self.yticks, self.equal, self.answer = xticks, yticks, equal, answer
        self.marks: list[dict] = []
        self.legend: list[list] = []
        self._xs: list[np.ndarray] = []
        self._ys: list[np.ndarray] = []

    # -- coordinates ---------------------------------------------------------------------------
    def _x(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.log10(np.where(x > 0, x, np.nan)) if self.xlog else x

    def _y(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        return np.log10(np.where(y > 0, y, np.nan)) if self.ylog else y

    def _add(self, mark: dict, x=None, y=None, label: str | None = None, style=None) -> None:
        if x is not None:
            self._xs.append(np.atleast_1d(x).ravel())
        if y is not None:
            self._ys.append(np.atleast_1d(y).ravel())
        if label:
            self.legend.append([style or mark.get("m"), mark.get("c", 0), str(label)])
        self.marks.append(mark)

    # -- marks -----------------------------------------------------------------------------------
    def line(self, x, y, color: int = 0, label: str | None = None, dash: bool = False, width: float = 2,
             max_points: int = 120) -> None:
        """A polyline (NaN breaks it); long curves are thinned to ``max_points`` points."""
        x, y = self._x(x), self._y(y)
        if len(x) != len(y):
            raise ValueError(f"Chart.line expected x and y of one length, got {len(x)} and {len(y)}")
        if len(x) > max_points:
            keep = np.unique(np.linspace(0, len(x) - 1, max_points).round().astype(int))
            x, y = x[keep], y[keep]
        mark = {"m": "line", "x": _nums(x), "y": _nums(y), "c": int(color)}
        if dash:
            mark["dash"] = 1
        if width != 2:
            mark["w"] = width
        self._add(mark, x, y, label, "dash" if dash else "line")

    def points(self, x, y, color: int = 0, size=4, label: str | None = None, hollow: bool = False) -> None:
        """Markers; ``size`` is a radius in CSS pixels, one for all or one per point."""
        x, y = self._x(x), self._y(y)
        mark = {"m": "pt", "x": _nums(x), "y": _nums(y), "c": int(color),
                "r": _num(size) if np.ndim(size) == 0 else _nums(size)}
        if hollow:
            mark["hollow"] = 1
        self._add(mark, x, y, label, "hollow" if hollow else "pt")

    def bars(self, x, heights, color: int = 0, width: float = 0.8, label: str | None = None,
             base: float = 0.0) -> None:
        """Vertical bars centred on ``x``, ``width`` in data units, from ``base`` up to the heights."""
        x, h = np.asarray(x, dtype=np.float64), self._y(heights)
        b = float(self._y(base)) if self.ylog else base
        self._add({"m": "bar", "x": _nums(x), "y": _nums(h), "bw": _num(width), "y0": _num(b),
                   "c": int(color)}, np.r_[x - width / 2, x + width / 2], np.r_[h, b], label, "bar")

    def text(self, x, y, s: str, color: int | None = None, anchor: str = "middle", bold: bool = False,
             dy: float = 0) -> None:
        """Text at a data point; ``anchor`` is start / middle / end, ``dy`` a shift in pixels."""
        mark = {"m": "text", "x": _num(self._x(x)), "y": _num(self._y(y)), "s": minus(s), "a": anchor}
        if color is not None:
            mark["c"] = int(color)
        if bold:
            mark["b"] = 1
        if dy:
            mark["dy"] = dy
        self._add(mark, self._x(x), self._y(y))

    def arrow(self, x0, y0, x1, y1, color: int = 1, label: str | None = None) -> None:
        """An arrow from (x0, y0) to (x1, y1)."""
        xs, ys = self._x([x0, x1]), self._y([y0, y1])
        self._add({"m": "arrow", "x": _nums(xs), "y": _nums(ys), "c": int(color)}, xs, ys, label, "line")

    def rule(self, x=None, y=None, dash: bool = True) -> None:
        """A thin guide line across the chart at ``x`` (vertical) or ``y`` (horizontal)."""
        if (x is None) == (y is None):
            raise ValueError("Chart.rule expected exactly one of x or y")
        mark = {"m": "rule"}
        if x is not None:
            mark["x"] = _num(self._x(x))
        else:
            mark["y"] = _num(self._y(y))
        if dash:
            mark["dash"] = 1
        self.marks.append(mark)

    def band(self, x, lo, hi, color: int = 0, label: str | None = None) -> None:
        """A shaded band between two curves."""
        x, lo, hi = self._x(x), self._y(lo), self._y(hi)
        self._add({"m": "band", "x": _nums(x), "lo": _nums(lo), "hi": _nums(hi), "c": int(color)},
                  x, np.r_[lo, hi], label, "bar")

    def cells(self, values, x0: float = -0.5, y0: float = -0.5, dx: float = 1.0, dy: float = 1.0,
              lo: float | None = None, hi: float | None = None, diverging: bool = False,
              labels=None) -> None:
        """A heat map: ``values[i, j]`` fills the cell whose lower-left corner is
        ``(x0 + j·dx, y0 + i·dy)``; colours run from the background to the heat colour (or, with
        ``diverging``, from the negative colour through the background to the positive one)."""
        v = np.asarray(values, dtype=np.float64)
        if v.ndim != 2:
            raise ValueError(f"Chart.cells expected a 2-D array, got shape {v.shape}")
        finite = v[np.isfinite(v)]
        if diverging:
            m = hi if hi is not None else (float(np.abs(finite).max()) if finite.size else 1.0) or 1.0
            scaled = np.clip(v / m, -1, 1)
        else:
            lo = float(finite.min()) if lo is None and finite.size else (lo or 0.0)
            hi = float(finite.max()) if hi is None and finite.size else (hi if hi is not None else 1.0)
            scaled = np.clip((v - lo) / ((hi - lo) or 1.0), 0, 1)
        mark = {"m": "cells", "x0": _num(x0), "y0": _num(y0), "dx": _num(dx), "dy": _num(dy),
                "v": [[round(float(s), 3) for s in row] for row in scaled]}
        if diverging:
            mark["div"] = 1
        if labels is not None:
            mark["labels"] = [[minus(str(s)) for s in row] for row in labels]
        rows, cols = v.shape
        self._add(mark, np.array([x0, x0 + cols * dx]), np.array([y0, y0 + rows * dy]))

    # -- output ----------------------------------------------------------------------------------
    def _limits(self, fixed, data: list[np.ndarray], log: bool, pad: float = 0.04) -> list[float]:
        if fixed is not None:
            lo, hi = (np.log10(fixed[0]), np.log10(fixed[1])) if log else fixed
            return [float(lo), float(hi)]
        values = np.concatenate(data) if data else np.array([0.0, 1.0])
        values = values[np.isfinite(values)]
        if values.size == 0:
            return [0.0, 1.0]
        lo, hi = float(values.min()), float(values.max())
        if hi == lo:
            lo, hi = lo - 1, hi + 1
        span = hi - lo
        return [lo - pad * span, hi + pad * span]

    def _ticks(self, given, lim: list[float], log: bool) -> list[list]:
        if given is not None:
            return [[_num(np.log10(v) if log else v), minus(str(label))] for v, label in given]
        if log:
            ks = range(math.ceil(lim[0] - 1e-9), math.floor(lim[1] + 1e-9) + 1)
            ks = list(ks)
            if len(ks) > 7:
                ks = ks[::math.ceil(len(ks) / 6)]
            return [[k, _pow10(k)] for k in ks]
        ticks = nice_ticks(*lim)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        return [[_num(t), _tick_label(t, step)] for t in ticks]

    def to_dict(self) -> dict:
        x = self._limits(self.xlim, self._xs, self.xlog)
        y = self._limits(self.ylim, self._ys, self.ylog)
        panel = {"t": "chart", "title": self.title, "w": self.width, "h": self.height,
                 "x": [_num(v) for v in x], "y": [_num(v) for v in y],
                 "xt": self._ticks(self.xticks, x, self.xlog), "yt": self._ticks(self.yticks, y, self.ylog),
                 "marks": self.marks}
        if self.xlabel:
            panel["xl"] = self.xlabel
        if self.ylabel:
            panel["yl"] = self.ylabel
        if self.legend:
            panel["legend"] = self.legend
        if self.equal:
            panel["equal"] = 1
        if self.answer:
            panel["answer"] = True
        return panel


def _pow10(k: int) -> str:
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return {0: "1", 1: "10"}.get(k, "10" + str(k).translate(sup))


def frame(*panels, title: str = "", notes: Sequence[str] | str = ()) -> dict:
    """One frame: panels side by side (they wrap on a narrow page), a title above and lines of
    notes below (e.g. an equation). Charts are converted with ``to_dict``."""
    if len(panels) == 1 and isinstance(panels[0], (list, tuple)):
        panels = tuple(panels[0])
    out = []
    for p in panels:
        p = p.to_dict() if isinstance(p, Chart) else p
        if not isinstance(p, dict) or p.get("t") not in ("grid", "chart", "msg"):
            raise TypeError(f"frame expected grid, message or Chart panels, got {type(p).__name__}")
        out.append(p)
    notes = [notes] if isinstance(notes, str) else list(notes)
    result: dict = {"panels": out}
    if title:
        result["title"] = title
    if notes:
        result["notes"] = [str(n) for n in notes]
    return result


def as_frame(value) -> dict:
    """A frame from what a draw function returned: a frame, one panel or a Chart."""
    if isinstance(value, Chart):
        return frame(value)
    if isinstance(value, dict) and "panels" in value:
        return value
    if isinstance(value, dict) and value.get("t") in ("grid", "chart", "msg"):
        return frame(value)
    raise TypeError(f"expected a frame (viz.frame), a panel (viz.grid) or a viz.Chart, "
                    f"got {type(value).__name__}")
