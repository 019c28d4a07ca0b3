"""Residual connections: :class:`Residual`, ``y = F(x) + shortcut(x)``.

A residual block (He et al., "Deep residual learning for image recognition", 2016) adds its input
back to the output of its *body* ``F``. The block then only has to learn the change ``F(x)`` to
its input, and the backward pass gets a path that no layer can shrink:

.. math::
    y = F(x) + x, \\qquad
    \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y}
        + \\Bigl(\\frac{\\partial F}{\\partial x}\\Bigr)^{\\!\\top} \\frac{\\partial L}{\\partial y}.

When ``F`` changes the shape (more features, more channels, a stride), the identity is replaced by
a *projection shortcut*, usually ``Linear(in, out, bias=False)`` or a 1×1
``Conv2d(C_in, C_out, 1, stride=s, bias=False)``; its backward pass takes the identity's place.

PyTorch has no ``Residual`` module: torchvision's ResNet blocks write ``out += identity`` inside
their ``forward``. :class:`Residual` is that computation as a module, so any body (often a
:class:`~layers_lib.module.Sequential`) and any shortcut can be combined, and parameter names
(``body.0.weight``, ``shortcut.weight``) match a PyTorch module with attributes ``body`` and
``shortcut``.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_grad
from .module import Module

__all__ = ["Residual"]


class Residual(Module):
    """``y = body(x) + shortcut(x)``, with the identity as the default shortcut.

    Args:
        body: the residual branch ``F``, a :class:`Module` (often a ``Sequential``).
        shortcut: ``None`` for the identity (then ``body(x)`` must have the shape of ``x``), or a
            module that maps ``x`` to the body's output shape — a *projection shortcut* such as
            ``Linear(in_features, out_features, bias=False)`` or
            ``Conv2d(C_in, C_out, kernel_size=1, stride=s, bias=False)``.

    Shape:
        - Input: whatever ``body`` accepts, e.g. ``(N, D)`` or ``(N, C, H, W)``.
        - Output: the shape of ``body(x)``, which must equal the shape of ``shortcut(x)`` (or of
          ``x`` for the identity); nothing is broadcast.

    Attributes:
        body, shortcut: the two branches (``shortcut`` is ``None`` for the identity).

    Examples:
        >>> import layers_lib as ll
        >>> rng = np.random.default_rng(0)
        >>> block = ll.Residual(ll.Sequential(ll.Linear(4, 4, rng=rng), ll.ReLU()))
        >>> x = rng.normal(size=(2, 4))
        >>> bool(np.allclose(block(x), x + block.body(x)))
        True
        >>> [name for name, _ in block.named_parameters()]
        ['body.0.weight', 'body.0.bias']
        >>> wider = ll.Residual(ll.Linear(4, 6, rng=rng), shortcut=ll.Linear(4, 6, bias=False, rng=rng))
        >>> wider(x).shape, wider.backward(np.ones((2, 6))).shape
        ((2, 6), (2, 4))
    """

    def __init__(self, body: Module, shortcut: Module | None = None):
        super().__init__()
        if not isinstance(body, Module):
            raise TypeError(f"Residual expected body to be a Module, got {type(body).__name__}")
        if shortcut is not None and not isinstance(shortcut, Module):
            raise TypeError(
                "Residual expected shortcut to be a Module or None (the identity), "
                f"got {type(shortcut).__name__}"
            )
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        fx = self.body(x)  # the residual branch F(x)
        sx = x if self.shortcut is None else self.shortcut(x)  # the shortcut: x itself, or a projection
        if np.shape(fx) != np.shape(sx):
            what = "input (identity shortcut)" if self.shortcut is None else "shortcut's output"
            raise ValueError(
                f"Residual expected the body's output and the {what} to have the same shape, got "
                f"{tuple(np.shape(fx))} and {tuple(np.shape(sx))}; where the shape changes, use a "
                f"projection shortcut, e.g. shortcut=Linear(in, out, bias=False) or "
                f"Conv2d(C_in, C_out, 1, stride=s, bias=False)"
            )
        self._cache = fx.shape
        return fx + sx

    def backward(self, dy):
        dy = check_grad("Residual", dy, self._saved())
        dx = self.body.backward(dy)  # through F: (dF/dx)^T dy
        if self.shortcut is None:
            return dx + dy  # the identity copies dy straight to the input
        return dx + self.shortcut.backward(dy)  # a projection shortcut has its own backward

    def __repr__(self) -> str:
        text = super().__repr__()
        if self.shortcut is None:  # the identity is no module, so Module's repr would not list it
            text = text[: text.rindex(")")] + "  (shortcut): identity\n)"
        return text
