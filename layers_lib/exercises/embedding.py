"""Checkers for the embedding chapter's exercises.

* :func:`check_embedding_backward`: ``fn(dy, ids, num_embeddings, padding_idx) -> dW``, the
  dense weight gradient of an embedding lookup;
* :func:`check_embedding_output_shape`: ``fn(ids_shape, num_embeddings, embedding_dim) -> tuple``,
  the shape of ``Embedding(num_embeddings, embedding_dim)(ids)``.

The expected answers come from :class:`layers_lib.Embedding` itself (a forward and a backward pass
on seeded random cases), and the hints name the usual mistakes: repeated ids that lose all but one
contribution (fancy-index assignment, ``dW[ids] += dy``), a gradient in the padding row, a result
with the shape of ``dy`` instead of the table's, averaging instead of summing.
"""

from __future__ import annotations

import numpy as np

import layers_lib as ll

from . import CheckResult, Raised, check_cases, close

__all__ = ["check_embedding_backward", "check_embedding_output_shape"]


def _reference(dy, ids, num_embeddings, padding_idx):
    """``weight.grad`` of ``ll.Embedding`` after one forward and backward pass."""
    emb = ll.Embedding(num_embeddings, dy.shape[-1], padding_idx=padding_idx,
                       rng=np.random.default_rng(0))
    emb(ids)
    emb.backward(dy)
    return emb.weight.grad.copy()


def _backward_cases():
    rng = np.random.default_rng(303)
    specs = [  # (ids, num_embeddings, embedding_dim, padding_idx)
        (np.array([4, 1, 3]), 6, 3, None),                                # distinct ids
        (np.array([2, 5, 2, 2, 0]), 6, 3, None),                          # id 2 three times
        (np.array([[1, 3, 3, 0], [3, 6, 0, 0]]), 7, 2, None),             # (N, T) ids
        (np.array([[2, 4, 0, 0], [4, 4, 1, 0]]), 5, 3, 0),                # padding id 0, used 4 times
    ]
    cases = []
    for ids, V, D, pad in specs:
        dy = rng.normal(size=ids.shape + (D,))
        cases.append(((dy, ids, V, pad), _reference(dy, ids, V, pad)))
    return cases


def _last_write_wins(dy, ids, V, pad):
    """What ``dW[ids] = dy`` or ``dW[ids] += dy`` gives: every repeated id keeps one row."""
    dw = np.zeros((V, dy.shape[-1]))
    dw[ids.reshape(-1)] += dy.reshape(-1, dy.shape[-1])
    if pad is not None:
        dw[pad] = 0
    return dw


def _row_loop(dy, ids, V, pad):
    """What ``for n, row in enumerate(ids): dW[row] += dy[n]`` gives for ``(N, T)`` ids."""
    dw = np.zeros((V, dy.shape[-1]))
    for n, row in enumerate(ids):
        dw[row] += dy[n]
    if pad is not None:
        dw[pad] = 0
    return dw


def _with_padding_grad(dy, ids, V):
    dw = np.zeros((V, dy.shape[-1]))
    np.add.at(dw, ids.reshape(-1), dy.reshape(-1, dy.shape[-1]))
    return dw


def _backward_hint(args, got, expected):
    dy, ids, V, pad = args
    D = dy.shape[-1]
    if isinstance(got, Raised):
        if ids.ndim > 1:
            return (f"your function fails on ids of shape {ids.shape} = (N, T). Flatten first: "
                    f"ids.reshape(-1) and dy.reshape(-1, {D}) pair each position with its gradient row.")
        return None  # the verdict shows the error
    shape = np.shape(got)
    if shape == dy.shape or shape == (ids.size, D):
        return (f"you returned one row per position, shape {shape}; the gradient has the shape of the "
                f"table, (num_embeddings, embedding_dim) = ({V}, {D}): start from np.zeros(({V}, {D})) "
                "and add each position's row of dy into row ids[position].")
    if shape == (D, V):
        return f"your gradient is transposed: got {shape}, expected ({V}, {D}) like the weight."
    if shape != expected.shape:
        return f"dW must have the weight's shape ({V}, {D}), got {shape}."
    repeated = np.bincount(ids.reshape(-1), minlength=V) > 1
    if pad is not None:
        repeated[pad] = False
    if repeated.any() and close(got, _last_write_wins(dy, ids, V, pad)):
        rows = ", ".join(str(i) for i in np.flatnonzero(repeated))
        return (f"id(s) {rows} occur more than once, but their row got only one contribution. "
                "With fancy indexing, dW[ids] = dy and even dW[ids] += dy write each repeated row "
                "once (the last write wins), so contributions are lost. Accumulate with "
                "np.add.at(dW, ids, dy), or loop over positions.")
    if ids.ndim > 1 and (close(got, _row_loop(dy, ids, V, pad)) or close(got, _row_loop(dy, ids, V, None))):
        return (f"with ids of shape {ids.shape} = (N, T), a loop over the first axis hands you a whole "
                "row of ids at a time, and dW[row] += dy[n] loses the ids repeated within that row "
                "(fancy-index += writes each repeated row once). Flatten first, ids.reshape(-1) and "
                f"dy.reshape(-1, {D}), or use np.add.at(dW, ids, dy), which takes any shape.")
    if pad is not None and close(got, _with_padding_grad(dy, ids, V)):
        return (f"row {pad} is the padding row (padding_idx={pad}): it must get no gradient, so the "
                "padding vector stays zero. Set dW[padding_idx] = 0 after accumulating.")
    if pad is not None and not np.allclose(np.asarray(got)[pad], 0):
        return f"the padding row {pad} must be all zeros: padding positions contribute nothing."
    counts = np.bincount(ids.reshape(-1), minlength=V)[:, None]
    if repeated.any() and close(got, np.where(counts > 0, expected / np.maximum(counts, 1), 0)):
        return ("you averaged the contributions of a repeated id; they add: a word used three times "
                "in a batch gets the sum of its three upstream gradients.")
    if close(-np.asarray(got), expected):
        return "your gradient has the wrong sign: dW[i] is the SUM of dy over the positions that looked up i."
    untouched = counts[:, 0] == 0
    if np.any(np.asarray(got)[untouched] != 0):
        return "rows that were never looked up must be exactly zero: only looked-up rows get gradient."
    return None


def _show(args):
    dy, ids, V, pad = args
    return (f"dy of shape {dy.shape}, ids = {np.array2string(ids, separator=', ').replace(chr(10), '')}, "
            f"num_embeddings = {V}, padding_idx = {pad}")


def check_embedding_backward(fn) -> CheckResult:
    """Check ``fn(dy, ids, num_embeddings, padding_idx) -> dW``: the gradient of the loss with
    respect to the table, shape ``(num_embeddings, embedding_dim)``, for ``y = weight[ids]`` with
    ``dy = dL/dy`` of shape ``(*ids.shape, embedding_dim)``. Hidden cases: distinct ids,
    a repeated id, ``(N, T)`` ids, and a padding id.

    Examples:
        >>> def embedding_backward(dy, ids, num_embeddings, padding_idx):
        ...     dW = np.zeros((num_embeddings, dy.shape[-1]))
        ...     np.add.at(dW, ids, dy)
        ...     if padding_idx is not None:
        ...         dW[padding_idx] = 0
        ...     return dW
        >>> check_embedding_backward(embedding_backward)
        ✓ embedding_backward: all 4 hidden cases pass.
    """
    return check_cases("embedding_backward", fn, _backward_cases(), diagnose=_backward_hint,
                       show_input=_show)


def _shape_cases():
    cases = []
    for ids_shape, V, D in [((4, 7), 1000, 16), ((5,), 10, 3), ((2, 3, 4), 50, 8), ((), 10, 6)]:
        ids = np.zeros(ids_shape, dtype=np.int64)
        out = ll.Embedding(V, D, rng=np.random.default_rng(0))(ids)
        cases.append(((ids_shape, V, D), tuple(out.shape)))
    return cases


def _shape_hint(args, got, expected):
    ids_shape, V, D = args
    if isinstance(got, Raised):
        return None  # the verdict shows the error
    if not isinstance(got, (tuple, list)):
        return "return the shape as a tuple of ints, e.g. (2, 3, 8)."
    got = tuple(got)
    if got == tuple(ids_shape) + (V,):
        return ("the vocabulary size is not part of the output: each id is replaced by a vector of "
                "embedding_dim numbers.")
    if got == tuple(ids_shape) + (V, D):
        return "the output holds one row of the table per id, not the whole table per id."
    if len(ids_shape) > 1 and got == (int(np.prod(ids_shape)), D):
        return "the leading dimensions are kept, not flattened: (N, T) ids give (N, T, embedding_dim)."
    if len(ids_shape) == 0:
        return "a single id (shape ()) gives a single vector, shape (embedding_dim,)."
    return "each id becomes a vector: the output shape is the ids' shape followed by embedding_dim."


def check_embedding_output_shape(fn) -> CheckResult:
    """Check ``fn(ids_shape, num_embeddings, embedding_dim) -> tuple``: the shape of
    ``Embedding(num_embeddings, embedding_dim)(ids)`` for ids of shape ``ids_shape``.

    Examples:
        >>> check_embedding_output_shape(lambda s, V, D: tuple(s) + (D,))
        ✓ embedding_output_shape: all 4 hidden cases pass.
    """
    return check_cases("embedding_output_shape", fn, _shape_cases(), diagnose=_shape_hint)
