"""Figures and small helpers for the attention chapter.

* :func:`lookup_example` — a small "dictionary" of 2-D keys with numeric values and a few
  queries, for the soft look-up picture and explorer;
* :func:`soft_lookup_frame`, :func:`soft_lookup_readout` — one frame of the explorer over the
  query and the temperature: the keys and the query in the plane, and the weights of that query
  as bars;
* :func:`entropy_bits` — the entropy of each row of attention weights;
* :func:`scaling_figure` — curves against the key dimension ``d`` in a grid of panels (the
  "why divide by √d" experiment);
* :func:`mask_figure` — a boolean mask beside the attention weights it produces;
* :func:`head_heatmaps` — one heat map of attention weights per head;
* :func:`retrieval_figure` — the weights of a trained query over the positions of several
  sequences, with the position it should find outlined.

Every figure function returns a matplotlib Figure with a title and labelled axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import layers_lib as ll

__all__ = ["lookup_example", "entropy_bits", "soft_lookup_frame", "soft_lookup_readout",
           "scaling_figure", "mask_figure", "head_heatmaps", "retrieval_figure"]

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


def soft_lookup_frame(query: int = 0, temperature: float = 1.0, example: Mapping | None = None) -> plt.Figure:
    """Attention as a soft dictionary look-up, for one query and one temperature.

    Left: the keys (marker area ∝ the weight this query gives them) and the query as an arrow.
    Right: the query's weights as bars, with the output ``sum_j w_j v_j`` in the title. The weights
    are ``softmax(q · k_j / (sqrt(d) · temperature))``, computed by
    :func:`layers_lib.scaled_dot_product_attention`.

    Args:
        query: which query (row) to show.
        temperature: divides the scores; small = a sharp (almost hard) look-up, large = an average.
        example: ``{"keys", "values", "queries"}`` (default :func:`lookup_example`).

    Examples:
        >>> fig = soft_lookup_frame(query=1, temperature=0.5)
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['dimension 1', 'key (value)']
    """
    q, k, v, weights, out = _lookup(query, temperature, example)
    w = weights[query]
    S = len(k)
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.1), gridspec_kw={"width_ratios": [1.0, 1.25]})
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.2, top=0.84, wspace=0.3)
    ax = axes[0]
    ax.axhline(0, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    ax.scatter(k[:, 0], k[:, 1], s=30 + 600 * w, color="#1b9e77", edgecolor="black", lw=0.6, zorder=3)
    for j, (x, y) in enumerate(k):  # labels radially outside the markers
        r = float(np.hypot(x, y)) or 1.0
        off = 0.3 + 0.45 * np.sqrt(w[j])  # clear of the marker, whose area grows with the weight
        ax.text(x + (off + 0.12) * x / r, y + off * y / r, f"k{j}: {v[j]:g}", fontsize=7, ha="center",
                va="center")
    ax.annotate("", q[query], (0, 0), arrowprops={"arrowstyle": "-|>", "color": "#d95f02", "lw": 2})
    ax.text(*(q[query] * 1.1), f"q{query}", color="#d95f02", fontsize=9, ha="center", va="center",
            fontweight="bold")
    lim = 1.05 * max(np.abs(k).max(), np.abs(q).max()) + 0.6
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("dimension 1")
    ax.set_ylabel("dimension 2")
    ax.set_title("keys (area ∝ weight) and the query", fontsize=9)

    ax = axes[1]
    ax.bar(range(S), w, color="#1f3b73")
    for j, wj in enumerate(w):
        ax.text(j, wj + 0.02, f"{wj:.2f}", ha="center", fontsize=7)
    ax.set_ylim(0, 1.12)
    ax.set_xticks(range(S), [f"k{j}\n({v[j]:g})" for j in range(S)], fontsize=7)
    ax.set_xlabel("key (value)")
    ax.set_ylabel(f"weight of query q{query}")
    ax.set_title(f"weights; output = Σ w·v = {out[query]:.1f}", fontsize=9)
    fig.suptitle(f"Soft look-up: query q{query}, temperature {temperature:g}")
    return fig


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
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.1 * ncols, 2.7 * nrows), squeeze=False,
                             layout="constrained")
    for ax, (name, curves) in zip(list(axes.flat)[:n], panels.items(), strict=True):
        for k, (label, values) in enumerate(curves.items()):
            ax.plot(d, np.asarray(values, dtype=np.float64), marker="os^d"[k % 4], markersize=4, label=label)
        ax.set_xscale("log", base=2)
        if name in logy:
            ax.set_yscale("log", base=2)
        ax.set_xlabel("dimension d of queries and keys")
        ax.set_ylabel(name)
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig


def _grid(ax, m, xlabels, ylabels, fmt="{:.2f}", cmap=_CMAP, vmin=0.0, vmax=1.0):
    image = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    if fmt:
        for (i, j), value in np.ndenumerate(m):
            r, g, b, _ = image.cmap(image.norm(value))
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7,
                    color="black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white")
    ax.set_xticks(range(m.shape[1]), xlabels, fontsize=7)
    ax.set_yticks(range(m.shape[0]), ylabels, fontsize=7)
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
    fig, axes = plt.subplots(1, 2, figsize=(3.0 + 0.75 * S, 0.9 + 0.42 * L), layout="constrained")
    _grid(axes[0], mask.astype(float), xl, yl, fmt=None, cmap="Greys", vmin=0, vmax=1.6)
    for i, j in zip(*np.nonzero(mask), strict=True):
        axes[0].text(j, i, "×", ha="center", va="center", color="white", fontsize=9)
    axes[0].set_title("mask (True = blocked)", fontsize=9)
    image = _grid(axes[1], weights, xl, yl)
    axes[1].set_title("weights", fontsize=9)
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
    fig, axes = plt.subplots(1, h, figsize=(0.6 + (0.42 * S + 0.9) * h, 1.2 + 0.36 * L), squeeze=False,
                             layout="constrained")
    for k, ax in enumerate(axes[0]):
        image = _grid(ax, w[k], xl, yl, fmt="{:.2f}" if S <= 8 else None)
        ax.set_title(f"head {k}", fontsize=9)
        ax.set_xlabel("key position")
        ax.set_ylabel("query position" if k == 0 else "")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.85)
    fig.suptitle(title)
    return fig


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
    fig, ax = plt.subplots(figsize=(2.2 + 0.75 * S, 0.9 + 0.4 * n), layout="constrained")
    image = ax.imshow(w, cmap=_CMAP, vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(w):
        text = f"{value:.2f}" if cell_labels is None else str(np.asarray(cell_labels)[i, j])
        ax.text(j, i, text, ha="center", va="center", fontsize=7, color="black" if value > 0.5 else "white")
    for i, j in enumerate(target):
        ax.add_patch(Rectangle((j - 0.46, i - 0.44), 0.92, 0.88, fill=False, ec="#d6604d", lw=2.2))
    ax.set_xticks(range(S), [str(j) for j in range(S)])
    ax.set_yticks(range(n), [f"sequence {i}" for i in range(n)], fontsize=7)
    ax.set_xlabel("position in the sequence")
    ax.set_ylabel("example")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.85, label="attention weight")
    return fig
