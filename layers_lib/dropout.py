"""Dropout: randomly zero units in training so the network cannot rely on any one of them.

Conventions (PyTorch's):

* ``p`` is the probability of **dropping** a unit (cs231n's and TensorFlow 1's ``p``/``keep_prob``
  is the probability of keeping it);
* **inverted** dropout: the kept units are multiplied by ``1 / (1 - p)`` during training, so the
  expected activation is unchanged and evaluation mode is the identity.

The backward pass multiplies by the *same* mask and scale: ``dx = dy * mask / (1 - p)``. The
pure functions take the mask as an argument, so they are deterministic; the layers draw it from
their ``rng``.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_grad, check_input, check_rng
from .module import Module

__all__ = ["Dropout", "Dropout2d", "DropoutCache", "dropout_forward", "dropout_backward"]


class DropoutCache(NamedTuple):
    """What :func:`dropout_backward` needs: the factor each unit was multiplied by."""

    keep: np.ndarray | None  # mask / (1 - p), broadcastable to the input; None: the identity (eval)
    x_shape: tuple[int, ...]
    dtype: np.dtype


def dropout_forward(x: np.ndarray, mask: np.ndarray, p: float):
    """Inverted dropout with a given keep-mask.

    Args:
        x: the input.
        mask: boolean, ``True`` where a unit is **kept**; any shape that broadcasts to ``x``
            (``(N, C, 1, 1)`` drops whole channels).
        p: the drop probability, used for the ``1 / (1 - p)`` scale.

    Returns:
        ``(y, cache)`` with ``y = x * mask / (1 - p)`` and a :class:`DropoutCache`.

    Examples:
        >>> y, _ = dropout_forward(np.ones(4), np.array([True, False, True, True]), p=0.5)
        >>> y
        array([2., 0., 2., 2.])
    """
    scale = 1.0 / (1.0 - p)
    keep = mask.astype(x.dtype) * x.dtype.type(scale)  # (broadcastable) 0 or 1/(1-p)
    return x * keep, DropoutCache(keep, x.shape, x.dtype)


def dropout_backward(dy: np.ndarray, cache: DropoutCache) -> np.ndarray:
    """``dx = dy * mask / (1 - p)``: dropped units get no gradient, kept ones the same scale."""
    dy = np.asarray(dy, dtype=cache.dtype)
    return dy if cache.keep is None else dy * cache.keep


def _check_p(layer: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{layer} expected p to be a number, got {p!r}")
    if not 0 <= p < 1:
        raise ValueError(
            f"{layer} expected the drop probability p in [0, 1), got {p}"
            + (" (p = 1 would drop every unit and divide by 1 - p = 0)" if p == 1 else "")
        )
    return float(p)


class Dropout(Module):
    """Zero each element independently with probability ``p`` in training, scaling the kept
    ones by ``1 / (1 - p)``; the identity in evaluation mode.

    Args:
        p: probability of **dropping** an element, in ``[0, 1)``.
        rng: a ``numpy.random.Generator`` drawing the masks.

    Shape:
        - Input: ``(*)``, any shape.
        - Output: ``(*)``, same shape.

    Attributes:
        mask: the boolean keep-mask of the last training forward pass (``True`` = kept), shaped
            like the input; ``None`` before the first one.

    Examples:
        >>> drop = Dropout(p=0.5, rng=np.random.default_rng(0))
        >>> drop(np.ones(6))
        array([2., 0., 0., 0., 2., 2.])
        >>> drop.mask
        array([ True, False, False, False,  True,  True])
        >>> drop.eval()(np.ones(3))
        array([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        self.p = _check_p(type(self).__name__, p)
        self.rng = check_rng(type(self).__name__, rng)
        self.mask = None

    def _check_input(self, x) -> np.ndarray:
        return as_float_array(type(self).__name__, x)

    def _mask_shape(self, shape):
        return shape

    def forward(self, x):
        x = self._check_input(x)
        if not self.training or self.p == 0:
            self._cache = DropoutCache(None, x.shape, x.dtype)
            return x  # the identity, as in PyTorch
        self.mask = self.rng.random(self._mask_shape(x.shape)) >= self.p
        y, self._cache = dropout_forward(x, self.mask, self.p)
        return y

    def backward(self, dy):
        cache = self._saved()
        return dropout_backward(check_grad(type(self).__name__, dy, cache.x_shape), cache)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Channel dropout: zero whole channels of an image batch with probability ``p`` (one draw
    per sample and channel), scaling the kept channels by ``1 / (1 - p)``.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    removes little information; dropping whole maps does.

    Args:
        p: probability of **dropping** a channel, in ``[0, 1)``.
        rng: a ``numpy.random.Generator`` drawing the masks.

    Shape:
        - Input: ``(N, C, H, W)``.
        - Output: ``(N, C, H, W)``, same shape.

    Attributes:
        mask: the boolean keep-mask of the last training forward pass, shape ``(N, C, 1, 1)``.

    Examples:
        >>> drop = Dropout2d(p=0.5, rng=np.random.default_rng(0))
        >>> y = drop(np.ones((1, 4, 2, 2)))
        >>> drop.mask.shape, y[0, :, 0, 0]
        ((1, 4, 1, 1), array([2., 0., 0., 0.]))
    """

    def _check_input(self, x) -> np.ndarray:
        return check_input("Dropout2d", x, 4, "(N, C, H, W)")

    def _mask_shape(self, shape):
        return shape[:2] + (1, 1)
