"""layers_lib.viz: the course's visual toolkit.

Chapters import this package instead of writing plotting code::

    from layers_lib import viz
    rng = viz.setup(seed=0)          # readable, sharp figures + one seeded Generator for the chapter
    viz.show_grid(x, title="input");  # every plot helper returns its Figure; end the cell with ';'

The rooms:

* :mod:`._plot` — static figures with matplotlib (``show_grid``, ``plot_curves``, ...) and
  :func:`setup`.
* :mod:`._scene` — interactive figures as data: :func:`frame`, :func:`grid`, :class:`Chart`.
* :mod:`._widget` — the HTML and the one JavaScript renderer that draws those frames as SVG with
  real text, on the website without a kernel (:class:`Explorer`, :class:`Animation`) and live.
* :mod:`._live` — :func:`explore` (and :func:`show`, one frame without sliders): precomputed for
  the website (``LAYERS_LIB_STATIC=1``, as the
  notebook runner and nbval set it, or outside a kernel) or live in a kernel (an anywidget whose
  front end is the same HTML and renderer; each slider move asks Python for that setting).
* :mod:`._steps` — what the step-by-step players share.
* one submodule per chapter (``viz.conv``, ``viz.pooling``, ``viz.network``, ...), imported on
  first use, with that chapter's figures, explorers and players.

Make an explorer or a player the *last expression* of its cell so that it is displayed.
"""

import importlib
import pkgutil

from ._live import LiveExplorer, explore, held_fixed, show, static_mode
from ._plot import *  # noqa: F401,F403
from ._plot import __all__ as _plot_all
from ._scene import ROLES, Chart, frame, grid, message, nice_ticks
from ._widget import Animation, Explorer

__all__ = [*_plot_all, "explore", "show", "Explorer", "LiveExplorer", "Animation", "static_mode",
           "held_fixed", "frame", "grid", "message", "Chart", "ROLES", "nice_ticks",
           "conv_animation", "conv_backward_animation", "multichannel_conv_animation",  # noqa: F405
           "pool_animation"]  # noqa: F405

_SUBMODULES = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}  # noqa: F405
# the step players live with their chapter's figures; viz.conv_animation etc. still work
_MOVED = {"conv_animation": "conv_steps", "conv_backward_animation": "conv_steps",
          "multichannel_conv_animation": "conv_steps", "pool_animation": "pooling"}


def __getattr__(name):
    if name in _SUBMODULES:  # viz.conv, viz.network, ...: import the chapter's figures lazily
        return importlib.import_module(f"{__name__}.{name}")
    if name in _MOVED:
        return getattr(importlib.import_module(f"{__name__}.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_MOVED))
