"""layers_lib.viz: the course's visual toolkit.

The general tools (kernel-free slider explorers, the in-page animation player, plot helpers)
live in the core module and are available directly as ``viz.explore``, ``viz.show_grid``, ...;
figures specific to one chapter live in a submodule named after it (``viz.conv``, ...), so no
notebook carries its own plotting code.
"""

from . import _core
from ._core import *  # noqa: F401,F403


def __getattr__(name):  # forward everything else (private helpers too) to the core module
    return getattr(_core, name)
