"""layers_lib: the layers of neural networks, built from scratch in NumPy.

Every layer has a forward and a hand-written backward pass, follows PyTorch's names, shapes and
defaults, and is tested against PyTorch and against central differences. One file per layer
family; plotting helpers live in :mod:`layers_lib.viz` (imported separately).

Examples:
    >>> import numpy as np, layers_lib as ll
    >>> layer = ll.Linear(4, 2, rng=np.random.default_rng(0))
    >>> layer(np.ones((3, 4))).shape
    (3, 2)
"""

# ruff: noqa: I001  (the families are imported in the order the course teaches them)
from .module import Module, Parameter, Sequential  # noqa: F401
from .gradcheck import check_gradients, numerical_gradient, rel_error, scaled_error  # noqa: F401
from .linear import *  # noqa: F401,F403
from .activations import *  # noqa: F401,F403
from .activation_family import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .conv_transpose import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .residual import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403

__version__ = "0.1.0"  # the one place the version lives: pyproject.toml reads it from here
