"""layers_lib.viz: the course's visual toolkit.

The general tools (kernel-free slider explorers, the in-page animation player, plot helpers)
live in the core module and are available directly as ``viz.explore``, ``viz.show_grid``, ...;
figures specific to one chapter live in a submodule named after it (``viz.conv``,
``viz.network``, ...), imported on first use, so no notebook carries its own plotting code.
"""

import importlib
import pkgutil

from . import _core
from ._core import *  # noqa: F401,F403

_SUBMODULES = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}  # noqa: F405


def __getattr__(name):
    if name in _SUBMODULES:  # viz.conv, viz.network, ...: import the chapter's figures lazily
        return importlib.import_module(f"{__name__}.{name}")
    return getattr(_core, name)  # everything else (private helpers too) lives in the core


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(dir(_core)))
