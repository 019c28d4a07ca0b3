"""``explore``: an interactive figure that is precomputed for the website (static) or computed by
the kernel as the reader moves a slider (live, an anywidget whose front end is the static
explorer's own HTML and renderer)."""

from __future__ import annotations

import functools
import html
import io
import itertools
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ._scene import as_frame
from ._widget import _BIND_JS, MAX_FRAMES, Explorer, readout_html, skeleton

__all__ = ["explore", "show", "LiveExplorer", "static_mode", "held_fixed"]

# The live explorer's front end (an anywidget ES module): the same HTML and the same ``bind``;
# frames come from the kernel (trait ``frame``) when the reader moves a slider (trait ``request``).
_ESM = """const bind = """ + _BIND_JS + """;
export default {
  render({ model, el }) {
    el.innerHTML = model.get("html");
    const root = el.querySelector(".ll-explorer");
    // a request carries a serial number, so asking again for the frame last asked for is a change too
    const live = {
      current: model.get("frame"),
      request(k) { model.set("request", [k, model.get("request")[1] + 1]); model.save_changes(); },
    };
    const onFrame = () => live.receive(model.get("frame"));
    model.on("change:frame", onFrame);
    bind(root, model.get("data"), live);
    return () => model.off("change:frame", onFrame);
  },
};"""


def static_mode() -> bool:
    """True when ``LAYERS_LIB_STATIC`` asks for figures without a kernel (the notebook runner and
    nbval set it to 1): any value but "" and "0". The one reading of the flag in the package."""
    return os.environ.get("LAYERS_LIB_STATIC", "") not in ("", "0")


def _live_kernel() -> bool:
    """True inside a running Jupyter kernel with anywidget, unless the static flag is set."""
    if static_mode():
        return False
    try:
        import anywidget  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def held_fixed(values: Mapping[str, Sequence]) -> tuple[dict[str, list], Callable[..., dict]]:
    """Split ``{name: [values]}`` for :func:`explore`: a list with more than one value becomes a
    slider, a list with one value is held fixed. Returns the sliders and ``complete(**setting)``,
    which adds the fixed values to a slider setting.

    Examples:
        >>> sliders, complete = held_fixed({"kernel_size": [1, 3], "stride": [2]})
        >>> sliders, complete(kernel_size=3)
        ({'kernel_size': [1, 3]}, {'stride': 2, 'kernel_size': 3})
    """
    fixed = {name: list(v)[0] for name, v in values.items() if len(v) == 1}
    sliders = {name: list(v) for name, v in values.items() if len(v) > 1}
    return sliders, lambda **setting: {**fixed, **setting}


def _check_params(params) -> dict[str, list]:
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"explore expected params as a non-empty dict name -> list of values, got {params!r}")
    checked = {}
    for name, values in params.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"explore expected parameter names that are identifiers, got {name!r}")
        listlike = isinstance(values, (Sequence, np.ndarray)) and not isinstance(values, (str, bytes))
        if not listlike or len(values) == 0:
            raise TypeError(f"explore expected a non-empty list of values for {name!r}, got {values!r}")
        checked[name] = list(values)
    return checked


def _frame_index(params: dict[str, list], setting: Mapping) -> int:
    """The frame index of ``setting``: the row-major (mixed-radix) number whose digits are the
    slider positions of its values (StopIteration or KeyError if one is not a slider value)."""
    positions = [next(i for i, v in enumerate(values) if v == setting[name])
                 for name, values in params.items()]
    return int(np.ravel_multi_index(positions, [len(values) for values in params.values()]))


def _default_alt(title: str, setting: dict) -> str:
    return f"{title}: " + ", ".join(f"{name} = {value}" for name, value in setting.items())


def _figure_frame(fig) -> dict:
    """A matplotlib Figure as a frame of one vector panel (SVG with real text): for draw functions
    written with matplotlib. The course's own explorers build their frames as data instead."""
    import matplotlib.pyplot as plt

    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "layers_lib"}):
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    markup = buffer.getvalue()
    return {"panels": [{"t": "svg", "svg": markup[markup.index("<svg"):]}]}


def _call_draw(draw: Callable, setting: dict) -> dict:
    """``draw(**setting)`` as a frame. A matplotlib figure it returns is converted to SVG, and
    every pyplot figure it opened is closed (so the notebook does not show them too)."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    before = set(plt.get_fignums())
    result = draw(**setting)
    if isinstance(result, Axes):
        result = result.figure
    try:
        if isinstance(result, Figure):
            return _figure_frame(result)
        return as_frame(result)
    except TypeError as error:
        raise TypeError(f"explore: draw(**setting) must return a frame (viz.frame), a panel or a Chart, "
                        f"got {type(result).__name__} for setting {setting}") from error
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)


def _answer(predict, setting: dict) -> list:
    """``[shown, [accepted, ...]]`` from ``predict[1](**setting)`` (a string, or a pair)."""
    value = predict[1](**setting)
    if isinstance(value, str):
        return [value, [value]]
    shown, accepted = value
    return [str(shown), [str(a) for a in accepted]]


@functools.cache
def _live_widget_class():
    """The anywidget class behind :class:`LiveExplorer` (made on first use: anywidget is only
    needed for live explorers)."""
    import anywidget
    import traitlets

    class LiveExplorerWidget(anywidget.AnyWidget):
        """The front end runs :data:`_ESM`: the explorer's HTML and the static explorers' ``bind``;
        ``request`` (set by the browser) is ``[frame index asked for, serial number]``, ``frame``
        (set by Python) the frame computed: ``{"k", "scene", "alt", "readout", "answer"}``."""

        _esm = traitlets.Unicode(_ESM).tag(sync=True)
        html = traitlets.Unicode().tag(sync=True)
        data = traitlets.Dict().tag(sync=True)
        request = traitlets.List([0, 0]).tag(sync=True)
        frame = traitlets.Dict().tag(sync=True)

    return LiveExplorerWidget


class LiveExplorer:
    """A live explorer: what :func:`explore` returns inside a kernel. The sliders, figure and
    read-out are the static explorer's own HTML and renderer (an anywidget front end), so it looks
    and behaves the same in JupyterLab, Notebook 7, VS Code and Colab; each slider move asks Python
    to compute that setting with ``layers_lib``. Displaying it displays the widget.

    Attributes:
        params: ``{name: [values]}`` in slider order; widget: the anywidget.
        setting: the current setting; calls: how many frames have been computed;
        scene: the current frame; readout: its HTML read-out; alt: its alt text.
    """

    def __init__(self, draw: Callable, params: dict[str, list], readout, alt, title: str, start: dict,
                 predict=None):
        self.title, self.params = title, params
        self._draw, self._readout, self._alt, self._predict = draw, readout, alt, predict
        self._sizes = [len(values) for values in params.values()]
        self.calls = 0
        controls = [(name, [str(v) for v in values]) for name, values in params.items()]
        k = _frame_index(params, start)
        self.widget = _live_widget_class()(data={"labels": [labels for _, labels in controls], "start": k},
                                           request=[k, 0])
        self._show(k)
        self.widget.html = "\n".join(skeleton("explorer", title, controls, k, self.alt, self.readout,
                                              identity=["live", title, controls],
                                              question=predict[0] if predict else None) + ["</div>"])
        self.widget.observe(self._on_request, names="request")

    @property
    def setting(self) -> dict:
        positions = np.unravel_index(self._k, self._sizes)
        return {name: values[p] for (name, values), p in zip(self.params.items(), positions, strict=True)}

    def set(self, **setting) -> None:
        """Move sliders to ``setting`` (what a reader dragging them does) and recompute."""
        merged = {**self.setting, **setting}
        try:
            k = _frame_index(self.params, merged)
        except (KeyError, StopIteration):
            raise ValueError(f"LiveExplorer.set: {setting} is not a setting of the sliders "
                             f"{self.params}") from None
        self.widget.request = [k, self.widget.request[1] + 1]

    def _on_request(self, change) -> None:
        """A slider moved: compute the setting; if that fails, say so in the read-out (the reader
        sees why the picture did not change) and re-raise for the kernel's log."""
        k = int(change["new"][0])
        try:
            self._show(k)
        except Exception as error:
            message = html.escape(f"{type(error).__name__}: {error}", quote=False)
            self.widget.frame = {"k": k, "readout": f"<b>Could not draw this setting</b> — {message}"}
            raise

    def _show(self, k: int) -> None:
        self._k = int(k)
        setting = self.setting
        self.scene = _call_draw(self._draw, setting)
        self.readout = readout_html(self._readout(**setting)) if self._readout else ""
        self.alt = str(self._alt(**setting)) if self._alt else _default_alt(self.title, setting)
        frame = {"k": self._k, "scene": self.scene, "alt": self.alt, "readout": self.readout}
        if self._predict:
            frame["answer"] = _answer(self._predict, setting)
        self.widget.frame = frame
        self.calls += 1

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return f"LiveExplorer({self.title!r}: {' × '.join(self.params)})"


def explore(draw: Callable, params: Mapping[str, Sequence], readout: Callable | None = None,
            title: str | None = None, alt: Callable | None = None, *, mode: str = "auto",
            initial: Mapping | None = None, predict: tuple[str, Callable] | None = None,
            dpi: float | None = None) -> Explorer | LiveExplorer:
    """An interactive figure: one slider per parameter, a figure that follows them, a read-out.

    Args:
        draw: ``draw(**setting)`` returns the frame of one setting: a :func:`~layers_lib.viz.frame`,
            one panel (:func:`~layers_lib.viz.grid`) or a :class:`~layers_lib.viz.Chart` — data
            that the page draws as SVG. (A matplotlib Figure also works; it is embedded as SVG.)
        params: ``{name: [values]}``, the slider positions in order; labels are ``str(value)``.
            Every combination is one frame (at most 400 on a web page).
        readout: ``readout(**setting) -> str``, the numbers that matter, e.g.
            ``"output: 4×4 = ⌊(7 + 2·1 − 3)/2⌋ + 1"``. Plain text is escaped; the simple tags
            ``<b> <i> <sub> <sup> <code> <br>`` are kept.
        title: the caption and the start of the default alt text.
        alt: ``alt(**setting) -> str``, the figure's text alternative (default ``"title: a = 1, b = 2"``).
        mode: ``"static"`` (precomputed, self-contained HTML), ``"live"`` (anywidget) or
            ``"auto"``: live inside a running kernel with anywidget unless the environment sets
            ``LAYERS_LIB_STATIC=1`` (the notebook runner and nbval do).
        initial: ``{name: value}`` shown first (default: the first value of each parameter).
        predict: ``(question, answer)``: the panels marked ``answer=True`` and the read-out stay
            hidden until the reader types a prediction; ``answer(**setting)`` returns the answer
            shown, or ``(shown, [accepted spellings])``. Checked in the page, without a kernel.
        dpi: accepted for compatibility and ignored (frames are vector graphics).

    Returns:
        An :class:`Explorer` (static) or a :class:`LiveExplorer`; make it the last expression of
        the cell.

    Examples:
        >>> from layers_lib.viz import grid
        >>> def draw(k, s):
        ...     return grid(["c" * k] * s, title=f"{s}×{k}")
        >>> ex = explore(draw, {"k": [1, 3], "s": [1, 2]}, readout=lambda k, s: f"<b>{k * s}</b>",
        ...              title="demo", mode="static")
        >>> ex
        Explorer('demo': k × s, 4 frames)
        >>> ex.settings[3], ex.readouts[3], ex.frames[3]["panels"][0]["fill"]
        ({'k': 3, 's': 2}, '<b>6</b>', ['ccc', 'ccc'])
    """
    params = _check_params(params)
    title = "Interactive figure" if title is None else str(title)
    if mode not in ("auto", "static", "live"):
        raise ValueError(f"explore expected mode 'auto', 'static' or 'live', got {mode!r}")
    if predict is not None and (not isinstance(predict, (tuple, list)) or len(predict) != 2
                                or not callable(predict[1])):
        raise TypeError(f"explore expected predict as (question, answer function), got {predict!r}")
    start = {name: values[0] for name, values in params.items()}
    for name, value in (initial or {}).items():
        if name not in params or not any(value == v for v in params[name]):
            raise ValueError(f"explore: initial {name}={value!r} is not one of the slider values "
                             f"{params.get(name)}")
        start[name] = value
    if mode == "live" or (mode == "auto" and _live_kernel()):
        return LiveExplorer(draw, params, readout, alt, title, start, predict)
    n = int(np.prod([len(v) for v in params.values()]))
    if n > MAX_FRAMES:
        raise ValueError(f"explore stores one frame per combination: {n} is too many for a web page "
                         f"(at most {MAX_FRAMES}); use fewer slider values")
    frames, readouts, alts, answers = [], [], [], []
    for combo in itertools.product(*params.values()):
        setting = dict(zip(params, combo, strict=True))
        frames.append(_call_draw(draw, setting))
        readouts.append(readout_html(readout(**setting)) if readout else "")
        alts.append(str(alt(**setting)) if alt else _default_alt(title, setting))
        if predict:
            answers.append(_answer(predict, setting))
    return Explorer(title, params, frames, readouts, alts, start=_frame_index(params, start),
                    question=predict[0] if predict else None, answers=answers if predict else None)


def show(frame, title: str = "", alt: str = "", readout=None) -> Explorer:
    """One frame drawn by the explorers' renderer, without sliders: a static figure that is data
    (real text, the page's light or dark theme, sized to the page), the same on the website and
    in a kernel. ``frame`` is what an explorer's draw function returns; ``readout`` an optional
    line under it (plain text or the simple tags of :func:`explore`).

    Examples:
        >>> from layers_lib.viz import grid
        >>> fig = show(grid(["cc"], title="two cells"), title="A grid", alt="Two plain cells.")
        >>> fig, fig.frames[0]["panels"][0]["c"]
        (Explorer('A grid': , 1 frames), 2)
    """
    return Explorer(title, {}, [as_frame(frame)], [readout_html(readout)], [alt or title])
