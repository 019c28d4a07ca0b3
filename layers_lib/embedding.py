"""Embedding: a lookup table from integer ids (words, tokens, items) to learned vectors.

The forward pass is indexing, ``y = weight[indices]``. It equals multiplying a one-hot matrix by
``weight`` — without building the one-hot matrix. Hence the backward pass: row ``i`` of
``dL/dweight`` is the sum of the upstream gradients of every position that looked up id ``i``
(an id used three times in a batch gets three contributions), and every other row gets zero.

There is no gradient with respect to the integer indices, so ``backward`` returns ``None``.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._checks import check_float_dtype, check_grad, check_int, check_rng
from .module import Module, Parameter

__all__ = ["Embedding", "EmbeddingCache", "embedding_forward", "embedding_backward"]


class EmbeddingCache(NamedTuple):
    """What :func:`embedding_backward` needs: the ids that were looked up."""

    indices: np.ndarray  # integer ids, any shape


def embedding_forward(indices: np.ndarray, weight: np.ndarray):
    """Look up rows of ``weight``.

    Args:
        indices: integer array of any shape, values in ``[0, num_embeddings)``.
        weight: ``(num_embeddings, embedding_dim)``.

    Returns:
        ``(y, cache)`` with ``y`` of shape ``(*indices.shape, embedding_dim)`` and an
        :class:`EmbeddingCache`.

    Examples:
        >>> w = np.arange(6.0).reshape(3, 2)
        >>> y, _ = embedding_forward(np.array([[2, 0, 2]]), w)
        >>> y
        array([[[4., 5.],
                [0., 1.],
                [4., 5.]]])
    """
    y = np.take(weight, indices, axis=0)  # (*indices.shape, embedding_dim)
    return y, EmbeddingCache(indices)


def embedding_backward(dy: np.ndarray, cache: EmbeddingCache):
    """The weight gradient of :func:`embedding_forward`, as the rows it touches.

    The gradient is zero except in the rows that were looked up, so this returns those rows
    (unique, sorted) and the sum of the upstream gradients of each: the dense gradient is
    ``dW = zeros_like(weight); dW[rows] = row_grads``. Sorting the ids groups repeated ones,
    and ``np.add.reduceat`` sums each group in one vectorised call.

    Returns:
        ``(rows, row_grads)`` of shapes ``(R,)`` and ``(R, embedding_dim)``.

    Examples:
        >>> _, cache = embedding_forward(np.array([2, 0, 2]), np.zeros((3, 2)))
        >>> embedding_backward(np.array([[1.0, 1.0], [2.0, 2.0], [10.0, 10.0]]), cache)
        (array([0, 2]), array([[ 2.,  2.],
               [11., 11.]]))
    """
    flat = cache.indices.reshape(-1)
    dim = dy.shape[-1]
    dy2 = dy.reshape(-1, dim)  # (positions, embedding_dim)
    if flat.size == 0:
        return flat.astype(np.intp), np.zeros((0, dim), dy.dtype)
    order = np.argsort(flat, kind="stable")
    sorted_ids = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    return sorted_ids[starts], np.add.reduceat(dy2[order], starts, axis=0)


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, indexed by
    integer ids.

    Args:
        num_embeddings: size of the vocabulary (ids run from ``0`` to ``num_embeddings - 1``).
        embedding_dim: size of each vector.
        padding_idx: an id whose row is initialised to zero and never receives a gradient
            (e.g. the padding token of variable-length sequences); negative counts from the end.
        dtype: dtype of the table.
        rng: a ``numpy.random.Generator``; the table is initialised from ``N(0, 1)`` as in
            PyTorch.

    Shape:
        - Input: ``(*)``, integer ids of any shape.
        - Output: ``(*, embedding_dim)``.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``.

    ``backward(dy)`` accumulates into ``weight.grad`` and returns ``None``: the indices are
    integers and have no gradient.

    Examples:
        >>> emb = Embedding(10, 3, padding_idx=0, rng=np.random.default_rng(0))
        >>> ids = np.array([[1, 2, 0], [2, 2, 0]])
        >>> emb(ids).shape
        (2, 3, 3)
        >>> emb.backward(np.ones((2, 3, 3))) is None
        True
        >>> emb.weight.grad[:3, 0]  # id 2 was used three times; the padding row gets nothing
        array([0., 1., 3.])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype=np.float64, rng=None):
        super().__init__()
        self.num_embeddings = check_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_int("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
                raise TypeError(f"Embedding expected padding_idx to be an int or None, got {padding_idx!r}")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding expected padding_idx in [{-num_embeddings}, "
                                 f"{num_embeddings - 1}], got {padding_idx}")
            padding_idx = int(padding_idx) % num_embeddings
        self.padding_idx = padding_idx
        dtype = check_float_dtype("Embedding", dtype)
        rng = check_rng("Embedding", rng)
        weight = rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight)

    def forward(self, indices):
        indices = np.asarray(indices)
        if indices.dtype == np.bool_ or not np.issubdtype(indices.dtype, np.integer):
            raise TypeError(f"Embedding expected integer indices, got dtype {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            bad = indices[(indices < 0) | (indices >= self.num_embeddings)].reshape(-1)[0]
            raise ValueError(f"Embedding({self.num_embeddings}, {self.embedding_dim}) expected indices "
                             f"in [0, {self.num_embeddings - 1}], got {bad}")
        y, self._cache = embedding_forward(indices, self.weight.data)
        return y

    def backward(self, dy) -> None:
        cache = self._saved()
        dy = check_grad("Embedding", dy, cache.indices.shape + (self.embedding_dim,))
        rows, row_grads = embedding_backward(dy, cache)
        if self.padding_idx is not None:
            row_grads[rows == self.padding_idx] = 0
        self.weight.grad[rows] += row_grads  # rows are unique, so fancy-index += is exact
        return None

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
