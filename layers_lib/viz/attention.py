"""Figures and small helpers for the attention chapter.

* :func:`lookup_example` — a small "dictionary" of 2-D keys with numeric values and a few
  queries, for the soft look-up picture and explorer;
* :func:`soft_lookup_frame`, :func:`soft_lookup_readout` — one frame of the explorer over the
  query and the temperature, as data drawn in the page: the keys and the query in the plane, and
  the weights of that query as bars (``viz.show`` draws one setting as a still figure);
* :func:`entropy_bits` — the entropy of each row of attention weights;
* :func:`scaling_figure` — curves against the key dimension ``d`` in a grid of panels (the
  "why divide by √d" experiment);
* :func:`mask_figure` — a boolean mask beside the attention weights it produces;
* :func:`head_heatmaps` — one heat map of attention weights per head; :func:`head_explorer`
  shows the same weights as numbers in a grid, one head per slider position;
* :func:`retrieval_figure` — the weights of a trained query over the positions of several
  sequences, with the position it should find outlined.

Every ``*_figure`` and ``head_heatmaps`` returns a matplotlib Figure with a title and labelled
axes; ``*_frame`` returns a frame (``viz.frame``) and ``head_explorer`` an explorer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import layers_lib as ll
from layers_lib.viz._plot import MIN_FONT_PT

__all__ = ["lookup_example", "entropy_bits", "soft_lookup_frame", "soft_lookup_readout",
           "scaling_figure", "mask_figure", "head_heatmaps", "head_weights_frame", "head_explorer",
           "retrieval_figure"]

_CMAP = "viridis"  # lightness grows monotonically: readable in greyscale


def lookup_example() -> dict:
    """Six keys in the plane, each with a numeric value, and five queries.

    Returns:
        ``{"keys": (6, 2), "values": (6,), "queries": (5, 2)}``.

    Examples:
        >>> ex = lookup_example()
        >>> ex["keys"].shape, ex["values"].tolist(), ex["queries"].shape
        ((6, 2), [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], (5, 2))
    """
    key_angles = np.deg2rad([5, 55, 100, 165, 230, 300])
    key_norms = np.array([1.3, 1.0, 1.2, 1.1, 1.25, 0.9])
    keys = key_norms[:, None] * np.column_stack([np.cos(key_angles), np.sin(key_angles)])
    query_angles = np.deg2rad([20, 80, 135, 200, 320])
    queries = 1.6 * np.column_stack([np.cos(query_angles), np.sin(query_angles)])
    return {"keys": keys, "values": np.arange(10.0, 61.0, 10.0), "queries": queries}


def entropy_bits(weights, axis: int = -1) -> np.ndarray:
    """The entropy ``-sum(p log2 p)`` of each distribution along ``axis``, in bits (0 for a
    one-hot row, ``log2(S)`` for a uniform row over ``S`` keys).

    Examples:
        >>> entropy_bits(np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]]))
        array([0., 2.])
    """
    p = np.asarray(weights, dtype=np.float64)
    logp = np.log2(np.where(p > 0, p, 1.0))
    return np.abs(-np.sum(p * logp, axis=axis))  # abs: no "-0." for one-hot rows


def _lookup(query: int, temperature: float, example: Mapping | None):
    ex = lookup_example() if example is None else example
    q = np.asarray(ex["queries"], dtype=np.float64)
    k = np.asarray(ex["keys"], dtype=np.float64)
    v = np.asarray(ex["values"], dtype=np.float64)
    if not 0 <= query < len(q):
        raise ValueError(f"query must be in [0, {len(q) - 1}], got {query}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    # dividing the queries by the temperature divides every score by it
    out, weights = ll.scaled_dot_product_attention(q / temperature, k, v[:, None])
    return q, k, v, weights, out[:, 0]


def _label_offset(w: float) -> float:
    """How far outside a key's point its label sits (the marker grows with the weight)."""
    return 0.3 + 0.45 * np.sqrt(w)


def _plane_limit(k, q) -> float:
    return 1.05 * max(np.abs(k).max(), np.abs(q).max()) + 0.6


def soft_lookup_frame(query: int = 0, temperature: float = 1.0, example: Mapping | None = None) -> dict:
    """Attention as a soft dictionary look-up, for one query and one temperature, as data drawn in
    the page (see ``viz.frame``).

    Left: the keys in the plane, each labelled with its value, the marker area growing with the
    weight this query gives the key (``area = π(9 + 196 w)`` px²), and the query as an arrow. Right:
    the query's weights as bars, each written above its bar, with the output ``sum_j w_j v_j`` in
    the title. The weights are ``softmax(q · k_j / (sqrt(d) · temperature))``, computed by
    :func:`layers_lib.scaled_dot_product_attention`; both panels keep the same axes at every
    setting.

    Args:
        query: which query (row) to show.
        temperature: divides the scores; small = a sharp (almost hard) look-up, large = an average.
        example: ``{"keys", "values", "queries"}`` (default :func:`lookup_example`).

    Examples:
        >>> f = soft_lookup_frame(query=1, temperature=0.5)
        >>> [p["xl"] for p in f["panels"]]
        ['dimension 1', 'key']
        >>> f["title"]
        'Soft look-up: query q1, temperature 0.5'
    """
    from layers_lib.viz import Chart, frame

    q, k, v, weights, out = _lookup(query, temperature, example)
    # four decimals: a weight of 1e-11 is drawn as 0, and its last bits cannot change the frame's data
    w = np.round(weights[query], 4) + 0.0
    S = len(k)
    lim = _plane_limit(k, q)
    plane = Chart("keys (marker area grows with the weight) and the query", "dimension 1", "dimension 2",
                  width=320, height=320, xlim=(-lim, lim), ylim=(-lim, lim), equal=True)
    plane.rule(x=0)
    plane.rule(y=0)
    plane.points(k[:, 0], k[:, 1], color=2, size=np.sqrt(9 + 196 * w).tolist())
    for j, (x, y) in enumerate(k):  # labels radially outside the markers
        r = float(np.hypot(x, y)) or 1.0
        off = _label_offset(w[j])
        plane.text(x + (off + 0.12) * x / r, y + off * y / r, f"k{j}: {v[j]:g}", dy=4)
    plane.arrow(0, 0, q[query, 0], q[query, 1], color=1)
    plane.text(*(q[query] * 1.12), f"q{query}", color=1, bold=True, dy=4)

    bars = Chart(f"weights; output = Σ w·v = {out[query]:.1f}", "key", f"weight of query q{query}",
                 width=330, height=320, xlim=(-0.6, S - 0.4), ylim=(0, 1.12),
                 xticks=[(j, f"k{j}") for j in range(S)])
    bars.bars(np.arange(S), w, color=0)
    for j, wj in enumerate(w):
        bars.text(j, wj, f"{wj:.2f}", dy=-7)
    return frame(plane, bars, title=f"Soft look-up: query q{query}, temperature {temperature:g}")


def soft_lookup_readout(query: int = 0, temperature: float = 1.0, example: Mapping | None = None) -> str:
    """The read-out of :func:`soft_lookup_frame`: the largest weight and its key, the entropy
    against its maximum ``log2(S)``, and the output against the hard look-up's answer."""
    q, k, v, weights, out = _lookup(query, temperature, example)
    w = weights[query]
    best = int(np.argmax(w))
    h = float(entropy_bits(w))
    return (f"q{query}, temperature {temperature:g}: max weight <b>{w[best]:.2f}</b> on k{best}; "
            f"entropy <b>{h:.2f}</b> bits (uniform: {np.log2(len(w)):.2f}); "
            f"output {out[query]:.1f} (hard look-up: {v[best]:g})")


def scaling_figure(d, panels: Mapping[str, Mapping[str, Sequence[float]]], title: str = "Scores against d",
                   logy: Sequence[str] = (), ncols: int = 2) -> plt.Figure:
    """Curves against the key dimension ``d`` (log-2 axis), one panel per quantity.

    Args:
        d: the dimensions.
        panels: ``{panel title (also the y label): {curve name: values}}``.
        title: the figure title.
        logy: panel titles whose y axis is logarithmic.
        ncols: panels per row.

    Examples:
        >>> fig = scaling_figure([1, 2, 4], {"variance": {"a": [1, 2, 4]}, "max": {"a": [1, 1, 1]}},
        ...                      logy=["variance"])
        >>> [ax.get_title() for ax in fig.axes], fig.axes[0].get_yscale()
        (['variance', 'max'], 'log')
    """
    d = np.asarray(d, dtype=np.float64)
    n = len(panels)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.1 * nrows), squeeze=False,
                             layout="constrained")
    for ax, (name, curves) in zip(list(axes.flat)[:n], panels.items(), strict=True):
        for k, (label, values) in enumerate(curves.items()):
            ax.plot(d, np.asarray(values, dtype=np.float64), marker="os^d"[k % 4], ms=4, label=label)
        ax.set_xscale("log", base=2)
        if name in logy:
            ax.set_yscale("log", base=2)
        ax.set_xlabel("dimension d of queries and keys")
        ax.set_ylabel(name)
        ax.set_title(name, fontsize=MIN_FONT_PT)
        ax.legend(fontsize=MIN_FONT_PT)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig


def _grid(ax, m, xlabels, ylabels, fmt="{:.2f}", cmap=_CMAP, vmin=0.0, vmax=1.0):
    image = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    if fmt:
        for (i, j), value in np.ndenumerate(m):
            r, g, b, _ = image.cmap(image.norm(value))
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=MIN_FONT_PT,
                    color="black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white")
    ax.set_xticks(range(m.shape[1]), xlabels, fontsize=MIN_FONT_PT)
    ax.set_yticks(range(m.shape[0]), ylabels, fontsize=MIN_FONT_PT)
    return image


def mask_figure(mask, weights, labels: Sequence[str] | None = None,
                title: str = "A mask and the attention weights it produces") -> plt.Figure:
    """A boolean mask (``True`` = may **not** attend, drawn dark with a ×) beside the weights.

    Args:
        mask: ``(L, S)`` bool. weights: ``(L, S)``. labels: token names for the positions.

    Examples:
        >>> from layers_lib import causal_mask
        >>> fig = mask_figure(causal_mask(3), np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None])
        >>> [ax.get_title() for ax in fig.axes[:2]]
        ['mask (True = blocked)', 'weights']
    """
    mask = np.asarray(mask, dtype=bool)
    weights = np.asarray(weights, dtype=np.float64)
    if mask.shape != weights.shape or mask.ndim != 2:
        raise ValueError(f"mask_figure expected a mask and weights of one 2-D shape, got {mask.shape} "
                         f"and {weights.shape}")
    L, S = mask.shape
    xl = list(labels)[:S] if labels is not None else [str(j) for j in range(S)]
    yl = list(labels)[:L] if labels is not None else [str(i) for i in range(L)]
    fig, axes = plt.subplots(1, 2, figsize=(3.4 + 0.9 * S, 1.2 + 0.5 * L), layout="constrained")
    _grid(axes[0], mask.astype(float), xl, yl, fmt=None, cmap="Greys", vmin=0, vmax=1.6)
    for i, j in zip(*np.nonzero(mask), strict=True):
        axes[0].text(j, i, "×", ha="center", va="center", color="white", fontsize=11)
    axes[0].set_title("mask (True = blocked)", fontsize=MIN_FONT_PT)
    image = _grid(axes[1], weights, xl, yl)
    axes[1].set_title("weights", fontsize=MIN_FONT_PT)
    for ax in axes:
        ax.set_xlabel("key position")
        ax.set_ylabel("query position")
    fig.colorbar(image, ax=axes[1], shrink=0.85)
    fig.suptitle(title)
    return fig


def head_heatmaps(weights, labels: Sequence[str] | None = None,
                  title: str = "Attention weights per head") -> plt.Figure:
    """One heat map per head for one example: ``weights`` of shape ``(h, L, S)``.

    Examples:
        >>> fig = head_heatmaps(np.full((2, 3, 3), 1 / 3))
        >>> [ax.get_title() for ax in fig.axes[:2]]
        ['head 0', 'head 1']
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 3:
        raise ValueError(f"head_heatmaps expected weights of shape (h, L, S), got {w.shape}")
    h, L, S = w.shape
    xl = list(labels)[:S] if labels is not None else [str(j) for j in range(S)]
    yl = list(labels)[:L] if labels is not None else [str(i) for i in range(L)]
    ncols = h if h <= 2 else 2  # more heads wrap into rows of two, so the numbers stay legible
    nrows = -(-h // ncols)
    size = (0.8 + (0.55 * S + 1.1) * ncols, (1.0 + 0.45 * L) * nrows + 0.4)
    fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, layout="constrained")
    for k, ax in enumerate(axes.flat[:h]):
        image = _grid(ax, w[k], xl, yl, fmt="{:.2f}" if S <= 8 else None)
        ax.set_title(f"head {k}", fontsize=MIN_FONT_PT)
        ax.set_xlabel("key position")
        ax.set_ylabel("query position" if k % ncols == 0 else "")
    for ax in axes.flat[h:]:
        ax.set_visible(False)
    fig.colorbar(image, ax=list(axes.flat), shrink=0.85)
    fig.suptitle(title)
    return fig


def head_weights_frame(weights, head: int, labels: Sequence[str] | None = None) -> dict:
    """One head's attention weights as a grid of numbers (a frame of :func:`head_explorer`): row
    ``i`` is query ``i``'s distribution over the keys, shaded by the weight (0 = background, 1 =
    the full heat colour), with each row's largest weight outlined.

    Args:
        weights: ``(h, L, S)``, e.g. ``MultiheadAttention``'s per-head weights for one example.
        head: which head to show.
        labels: token names for the positions (default ``"0"``, ``"1"``, ...).

    Examples:
        >>> f = head_weights_frame(np.array([[[0.75, 0.25], [0.5, 0.5]]]), 0, labels=["a", "b"])
        >>> g = f["panels"][0]
        >>> g["labels"], g["ri"], g["outline"]
        ([['0.75', '0.25'], ['0.50', '0.50']], ['a', 'b'], [[0, 0], [1, 0]])
    """
    from layers_lib.viz import frame, grid

    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 3:
        raise ValueError(f"head_weights_frame expected weights of shape (h, L, S), got {w.shape}")
    h, L, S = w.shape
    if not 0 <= head < h:
        raise ValueError(f"head_weights_frame expected a head in [0, {h - 1}], got {head}")
    rows = list(labels)[:L] if labels is not None else [str(i) for i in range(L)]
    cols = list(labels)[:S] if labels is not None else [str(j) for j in range(S)]
    m = w[head]
    strongest = np.argmax(m, axis=1)  # the first maximum of each row
    panel = grid(["h" * S] * L, title=f"head {head}: weights ({L} × {S})",
                 labels=[[f"{v:.2f}" for v in row] for row in m], heat=m,
                 outline=[(i, int(j)) for i, j in enumerate(strongest)], rows_index=rows, cols_index=cols)
    return frame(panel, notes=["rows: queries, columns: keys; each row sums to 1",
                               "outlined: each row's largest weight"])


def head_explorer(weights, labels: Sequence[str] | None = None,
                  title: str = "Attention weights per head"):
    """An explorer with one slider position per head: :func:`head_weights_frame`, and a read-out of
    that head's mean entropy (in bits, against the uniform ``log2 S``) and the key each query
    attends to most.

    Args:
        weights: ``(h, L, S)`` weights of one example; labels: token names; title: the caption.

    Examples:
        >>> ex = head_explorer(np.full((2, 3, 3), 1 / 3))  # static outside a kernel
        >>> print(ex.readouts[1])
        head 1: mean entropy <b>1.58</b> bits (uniform: 1.58); each query's strongest key: 0→0, 1→0, 2→0
    """
    from layers_lib import viz

    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 3:
        raise ValueError(f"head_explorer expected weights of shape (h, L, S), got {w.shape}")
    h, L, S = w.shape
    names = list(labels) if labels is not None else [str(i) for i in range(max(L, S))]

    def draw(head):
        return head_weights_frame(w, head, labels)

    def readout(head):
        best = np.argmax(w[head], axis=1)
        looks = ", ".join(f"{names[i]}→{names[j]}" for i, j in enumerate(best))
        return (f"head {head}: mean entropy <b>{entropy_bits(w[head]).mean():.2f}</b> bits "
                f"(uniform: {np.log2(S):.2f}); each query's strongest key: {looks}")

    def alt(head):
        return (f"{title}: a {L} by {S} grid of the weights of head {head}, each cell labelled with its "
                "weight and shaded by it; the largest weight of each row is outlined.")

    return viz.explore(draw, {"head": list(range(h))}, readout=readout, title=title, alt=alt)


def retrieval_figure(weights, target, cell_labels=None,
                     title: str = "Where the trained query looks") -> plt.Figure:
    """The attention weights of one query in several sequences, one row per sequence, with the
    position it should attend to outlined.

    Args:
        weights: ``(n, S)`` weights of the query in each of ``n`` sequences.
        target: ``(n,)`` the position each row should find.
        cell_labels: ``(n, S)`` strings written in the cells (e.g. the key-value pair stored there);
            default: the weights.
        title: the figure title.

    Examples:
        >>> fig = retrieval_figure(np.eye(3), [0, 1, 2])
        >>> fig.axes[0].get_xlabel()
        'position in the sequence'
    """
    w = np.asarray(weights, dtype=np.float64)
    target = np.asarray(target).reshape(-1)
    n, S = w.shape
    if len(target) != n:
        raise ValueError(f"retrieval_figure expected {n} targets, got {len(target)}")
    fig, ax = plt.subplots(figsize=(2.8 + 0.85 * S, 1.2 + 0.48 * n), layout="constrained")
    image = ax.imshow(w, cmap=_CMAP, vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(w):
        text = f"{value:.2f}" if cell_labels is None else str(np.asarray(cell_labels)[i, j])
        ax.text(j, i, text, ha="center", va="center", fontsize=MIN_FONT_PT,
                color="black" if value > 0.5 else "white")
    for i, j in enumerate(target):
        ax.add_patch(Rectangle((j - 0.46, i - 0.44), 0.92, 0.88, fill=False, ec="#d6604d", lw=2.2))
    ax.set_xticks(range(S), [str(j) for j in range(S)])
    ax.set_yticks(range(n), [f"sequence {i}" for i in range(n)], fontsize=MIN_FONT_PT)
    ax.set_xlabel("position in the sequence")
    ax.set_ylabel("example")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.85, label="attention weight")
    return fig
