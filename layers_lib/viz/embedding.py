"""Figures and small helpers for the chapter on embedding layers.

* :func:`toy_language` — a tiny synthetic "language" whose words fall into four hidden classes
  (determiners, adjectives, nouns, verbs), for learning embeddings in seconds;
* :func:`lookup_frame`, :func:`lookup_explorer` — a lookup drawn as a product, one position at a
  time: the id, its one-hot row, the table row it picks and the output filling in (data drawn in
  the page);
* :func:`gradient_rows` — ``weight.grad`` after one backward pass, next to how often each row was
  looked up: only those rows are non-zero, and a row looked up twice gets two contributions;
* :func:`project_2d`, :func:`class_separation` — a fixed 2-D view of a table (its own
  coordinates, or principal components) and a number for how well the classes cluster;
* :func:`embedding_map` — the words of a table as labelled points, one marker per class;
* :func:`snapshot_frame`, :func:`snapshot_readout` — one frame (data drawn in the page) and the
  read-out of the chapter's explorer over training steps and embedding sizes.

``gradient_rows`` and ``embedding_map`` return a matplotlib Figure with a title and labelled axes;
the ``*_frame`` functions return frames (``viz.frame``) and ``lookup_explorer`` an explorer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import layers_lib as ll
from layers_lib.viz._plot import MIN_FONT_PT

__all__ = ["toy_language", "lookup_frame", "lookup_explorer", "gradient_rows", "project_2d",
           "class_separation", "embedding_map", "snapshot_frame", "snapshot_readout"]

_CLASSES = {
    "determiner": ["the", "a"],
    "adjective": ["big", "small", "red", "old"],
    "noun": ["cat", "dog", "bird", "fish"],
    "verb": ["sees", "chases", "likes", "hears"],
}
# marker shape and fill both differ between classes, so the map reads in greyscale
_MARKERS = [("s", "#1f3b73"), ("^", "#d95f02"), ("o", "#1b9e77"), ("D", "#7570b3"), ("v", "#555555"),
            ("P", "#e7298a")]


def toy_language(n_sentences: int = 300, seed: int = 0) -> dict:
    """Sentences of a tiny language: ``DET [ADJ] NOUN VERB DET [ADJ] NOUN``.

    Each slot is filled uniformly from its class (an adjective appears with probability 1/2), so
    all words of one class occur in the same contexts: the distributional hypothesis holds
    exactly, and embeddings learned from the contexts should group the words by class.

    Args:
        n_sentences: how many sentences to draw.
        seed: seeds the draw.

    Returns:
        ``{"sentences": [[word, ...], ...], "vocab": [word, ...], "classes": [class id per word],
        "class_names": [name, ...]}``.

    Examples:
        >>> lang = toy_language(2, seed=0)
        >>> len(lang["vocab"]), lang["class_names"]
        (14, ['determiner', 'adjective', 'noun', 'verb'])
        >>> lang["sentences"][0]
        ['a', 'red', 'dog', 'sees', 'the', 'cat']
    """
    rng = np.random.default_rng(seed)
    det, adj, noun, verb = _CLASSES.values()

    def phrase():
        words = [det[rng.integers(len(det))]]
        if rng.random() < 0.5:
            words.append(adj[rng.integers(len(adj))])
        return words + [noun[rng.integers(len(noun))]]

    sentences = [phrase() + [verb[rng.integers(len(verb))]] + phrase() for _ in range(n_sentences)]
    vocab = [w for words in _CLASSES.values() for w in words]
    classes = [k for k, words in enumerate(_CLASSES.values()) for _ in words]
    return {"sentences": sentences, "vocab": vocab, "classes": classes, "class_names": list(_CLASSES)}


def _ink(image, v) -> str:
    """Black or white text, whichever reads better on the cell colour of value ``v``."""
    r, g, b, _ = image.cmap(image.norm(v))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _num(v: float) -> str:
    return f"{float(v) + 0.0:.1f}".replace("-", "−")


def _check_lookup(ids, weight, layer: str):
    ids = np.asarray(ids).reshape(-1)
    weight = np.atleast_2d(np.asarray(weight, dtype=np.float64))
    V = weight.shape[0]
    if not np.issubdtype(ids.dtype, np.integer) or ids.size == 0 or ids.min() < 0 or ids.max() >= V:
        raise ValueError(f"{layer} expected integer ids in [0, {V - 1}], got {ids}")
    return ids, weight


def lookup_frame(ids, weight, position: int, labels: Sequence[str] | None = None) -> dict:
    """One step of an embedding lookup, as data drawn in the page (see ``viz.frame``): the ids with
    the one at ``position`` highlighted; the one-hot matrix ``one_hot(ids)`` with that row
    highlighted and its 1 marked; the table with the row it picks highlighted; and the output
    ``one_hot(ids) @ weight``, filled in up to ``position`` (later rows not computed yet). The
    output rows come from :func:`layers_lib.embedding_forward`.

    Args:
        ids: 1-D integer ids, length ``T``; every id must be in ``[0, V)``.
        weight: the table ``(V, D)``.
        position: which id is being looked up, in ``[0, T)``.
        labels: a name for each of the ``V`` rows (default ``"id 0"``, ...).

    Examples:
        >>> f = lookup_frame([2, 0, 2], np.arange(8.0).reshape(4, 2), position=1)
        >>> [g["title"] for g in f["panels"]]
        ['ids (3)', 'one-hot (3 × 4)', 'weight (4 × 2)', 'output (3 × 2)']
        >>> f["panels"][2]["fill"], f["panels"][3]["labels"]
        (['tt', 'cc', 'cc', 'cc'], [['4.0', '5.0'], ['0.0', '1.0'], ['', '']])
    """
    from layers_lib.viz import frame, grid

    ids, weight = _check_lookup(ids, weight, "lookup_frame")
    V, D = weight.shape
    T = len(ids)
    if not 0 <= position < T:
        raise ValueError(f"lookup_frame expected a position in [0, {T - 1}], got {position}")
    names = [f"id {i}" for i in range(V)] if labels is None else [str(v) for v in labels]
    out, _ = ll.embedding_forward(ids, weight)  # (T, D)
    one_hot = np.eye(V, dtype=int)[ids]  # (T, V)
    i = int(ids[position])
    positions = [str(t) for t in range(T)]
    dims = [f"d{j}" for j in range(D)]
    id_row = grid(["".join("t" if t == position else "c" for t in range(T))], title=f"ids ({T})",
                  labels=[[str(v) for v in ids]], cols_index=positions)
    hot_roles = np.where(np.arange(T)[:, None] == position, "t", "c").repeat(V, axis=1)
    hot_roles[position, i] = "s"
    hot = grid(["".join(r) for r in hot_roles], title=f"one-hot ({T} × {V})",
               labels=one_hot.astype(str).tolist(), rows_index=positions,
               cols_index=[str(v) for v in range(V)])
    table = grid(["t" * D if r == i else "c" * D for r in range(V)], title=f"weight ({V} × {D})",
                 labels=[[_num(v) for v in row] for row in weight], rows_index=names, cols_index=dims)
    done = [[_num(v) for v in row] if t <= position else [""] * D for t, row in enumerate(out)]
    output = grid(["t" * D if t == position else ("c" if t < position else "e") * D for t in range(T)],
                  title=f"output ({T} × {D})", labels=done, rows_index=positions, cols_index=dims)
    return frame(id_row, hot, table, output,
                 title=f"Embedding lookup: position {position} holds id {i}",
                 notes=[f"one-hot row {position} has its 1 in column {i}, so one_hot[{position}] @ weight "
                        f"= weight[{i}] = [{', '.join(_num(v) for v in weight[i])}] = output[{position}]"])


def lookup_explorer(ids, weight, labels: Sequence[str] | None = None,
                    title: str = "An embedding lookup is a one-hot row times the table", initial=None):
    """An explorer over the positions of ``ids``: :func:`lookup_frame` at each position, and a
    read-out of which table rows the ids use (and which they never touch).

    Examples:
        >>> ex = lookup_explorer([2, 0, 2], np.arange(8.0).reshape(4, 2))
        >>> ex
        Explorer('An embedding lookup is a one-hot row times the table': position, 3 frames)
        >>> print(ex.readouts[2])
        position 2: id 2; rows used so far: 0, 2 (row 2 twice); rows never used by these ids: 1, 3
    """
    from layers_lib import viz

    ids, weight = _check_lookup(ids, weight, "lookup_explorer")
    V = weight.shape[0]

    def readout(position):
        seen = ids[:position + 1]
        counts = np.bincount(seen, minlength=V)
        used = ", ".join(str(r) for r in np.flatnonzero(counts))
        twice = "".join(f" (row {r} {'twice' if c == 2 else f'{c} times'})"
                        for r, c in enumerate(counts) if c > 1)
        never = [str(r) for r in range(V) if r not in ids]
        return (f"position {position}: id {ids[position]}; rows used so far: {used}{twice}; "
                f"rows never used by these ids: {', '.join(never) or 'none'}")

    def alt(position):
        return (f"{title}: the ids {ids.tolist()}, their one-hot matrix, the {V}-row table and the "
                f"output; position {position} (id {ids[position]}) is highlighted, and output row "
                f"{position} is a copy of table row {ids[position]}.")

    return viz.explore(functools.partial(lookup_frame, ids, weight, labels=labels),
                       {"position": list(range(len(ids)))}, readout=readout, title=title, alt=alt,
                       initial=initial)


def gradient_rows(grad, counts, padding_idx: int | None = None, labels: Sequence[str] | None = None,
                  title: str = "weight.grad after one backward pass") -> plt.Figure:
    """``weight.grad`` as a heat map beside a bar chart of how often each row was looked up.

    Rows that were never looked up are zero and drawn hatched; the padding row (if any) is
    labelled. With an upstream gradient of ones, a row's entries equal its count.

    Args:
        grad: ``(V, D)``, e.g. ``emb.weight.grad``.
        counts: ``(V,)`` lookups per row, e.g. ``np.bincount(ids.ravel(), minlength=V)``.
        padding_idx: the padding row, marked in the labels.
        labels: a name for each row.
        title: the figure title.

    Examples:
        >>> fig = gradient_rows(np.array([[0.0, 0.0], [2.0, 2.0]]), [0, 2], padding_idx=0)
        >>> fig.axes[0].get_xlabel(), fig.axes[1].get_xlabel()
        ('times looked up', 'embedding dimension')
    """
    grad = np.atleast_2d(np.asarray(grad, dtype=np.float64))
    counts = np.asarray(counts).reshape(-1)
    V, D = grad.shape
    if counts.size != V:
        raise ValueError(f"gradient_rows expected {V} counts (one per row), got {counts.size}")
    labels = [f"id {i}" for i in range(V)] if labels is None else list(labels)
    if padding_idx is not None:
        labels[padding_idx] = f"{labels[padding_idx]} (padding)"
    fig, axes = plt.subplots(1, 2, figsize=(3.4 + 0.6 * D + 2.4, 1.5 + 0.4 * V), sharey=True,
                             gridspec_kw={"width_ratios": [2.4, max(D, 2) * 0.6]})
    axes[0].barh(range(V), counts, color="#1f3b73")
    axes[0].set_xlabel("times looked up")
    axes[0].set_ylabel("row (id)")
    axes[0].set_yticks(range(V), labels, fontsize=MIN_FONT_PT)
    axes[0].invert_xaxis()
    axes[0].set_title("lookups", fontsize=MIN_FONT_PT)
    lim = float(np.abs(grad).max()) or 1.0
    axes[1].imshow(grad, cmap="viridis", vmin=-lim, vmax=lim, aspect="auto")
    for i in range(V):
        if not grad[i].any():
            axes[1].add_patch(Rectangle((-0.5, i - 0.5), D, 1, facecolor="#f4f4f4", edgecolor="#8c8c8c",
                                        hatch="///", lw=0.5))
    image = axes[1].images[0]
    for (i, j), v in np.ndenumerate(grad):
        if grad[i].any():
            axes[1].text(j, i, f"{v:.1f}".replace("-", "−"), ha="center", va="center", fontsize=MIN_FONT_PT,
                         color=_ink(image, v))
    axes[1].set_xticks(range(D), [f"d{j}" for j in range(D)], fontsize=MIN_FONT_PT)
    axes[1].set_xlabel("embedding dimension")
    axes[1].set_title("weight.grad (hatched: exactly 0)", fontsize=MIN_FONT_PT)
    axes[1].tick_params(axis="y", labelleft=True, length=0)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def project_2d(weight, reference=None) -> np.ndarray:
    """A 2-D view of a table: its own coordinates if ``D <= 2``, otherwise its projection on the
    two principal components of ``reference`` (default: the table itself), centred on
    ``reference``'s mean. Passing the *final* table as ``reference`` gives every snapshot of a
    training run the same axes.

    Returns:
        ``(V, 2)`` (a 1-D table gets a zero second coordinate).

    Examples:
        >>> w = np.array([[1.0, 0, 0], [-1.0, 0, 0], [0, 0.1, 0]])
        >>> np.round(np.abs(project_2d(w)), 3)
        array([[1.   , 0.033],
               [1.   , 0.033],
               [0.   , 0.067]])
    """
    w = np.atleast_2d(np.asarray(weight, dtype=np.float64))
    if w.shape[1] <= 2:
        return np.pad(w, ((0, 0), (0, 2 - w.shape[1])))
    ref = w if reference is None else np.atleast_2d(np.asarray(reference, dtype=np.float64))
    mean = ref.mean(axis=0)
    _, _, vt = np.linalg.svd(ref - mean, full_matrices=False)
    basis = vt[:2]
    basis *= np.where(basis.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)  # a fixed sign per axis
    return (w - mean) @ basis.T


def class_separation(weight, classes) -> float:
    """How tightly the rows of each class cluster: the mean distance of a row to its class mean,
    divided by the mean distance between class means. Near 0: tight, well separated clusters;
    near or above 1: no class structure.

    Examples:
        >>> class_separation(np.array([[0.0, 0], [0.1, 0], [5, 0], [5.1, 0]]), [0, 0, 1, 1])
        0.01
    """
    w = np.atleast_2d(np.asarray(weight, dtype=np.float64))
    classes = np.asarray(classes)
    ids = np.unique(classes)
    if len(ids) < 2:
        raise ValueError("class_separation needs at least two classes")
    centres = np.array([w[classes == k].mean(axis=0) for k in ids])
    within = np.mean(np.linalg.norm(w - centres[np.searchsorted(ids, classes)], axis=1))
    between = np.mean([np.linalg.norm(centres[a] - centres[b])
                       for a in range(len(ids)) for b in range(a + 1, len(ids))])
    return round(float(within / between), 12)


def embedding_map(points, vocab: Sequence[str], classes, class_names: Sequence[str], ax=None,
                  title: str = "Learned embeddings", xlabel: str = "dimension 1",
                  ylabel: str = "dimension 2", lims=None) -> plt.Figure:
    """Words as labelled points in 2-D, one marker shape and colour per class.

    Args:
        points: ``(V, 2)`` coordinates (see :func:`project_2d`).
        vocab: the ``V`` words; classes: a class id per word; class_names: a name per class id.
        ax: draw into this Axes (default: a new figure).
        title, xlabel, ylabel: the labels; lims: ``(xmin, xmax, ymin, ymax)`` to fix the view.

    Examples:
        >>> fig = embedding_map(np.eye(2), ["a", "b"], [0, 1], ["x", "y"])
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['a', 'b']
    """
    p = np.asarray(points, dtype=np.float64)
    classes = np.asarray(classes)
    if p.ndim != 2 or p.shape != (len(vocab), 2) or len(classes) != len(vocab):
        raise ValueError(f"embedding_map expected points (V, 2), V words and V classes, got points "
                         f"{p.shape}, {len(vocab)} words, {len(classes)} classes")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.6, 4.8), layout="constrained")
    else:
        fig = ax.figure
    for k, name in enumerate(class_names):
        marker, colour = _MARKERS[k % len(_MARKERS)]
        sel = classes == k
        ax.scatter(p[sel, 0], p[sel, 1], marker=marker, s=46, color=colour, label=name,
                   edgecolor="black", linewidth=0.5, zorder=3)
    if lims is not None:
        ax.set_xlim(lims[0], lims[1])
        ax.set_ylim(lims[2], lims[3])
    else:
        ax.set_xlim(*_padded(p[:, 0], right=2.5))
        ax.set_ylim(*_padded(p[:, 1]))
    _label_points(ax, p, vocab)
    ax.axhline(0, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=MIN_FONT_PT, frameon=False)
    return fig


def _padded(values, right: float = 1.0) -> tuple[float, float]:
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 0.12 * (hi - lo) + 1e-9
    return lo - pad, hi + right * pad


def _spread(anchor: np.ndarray, width: np.ndarray, height: float) -> np.ndarray:
    """Label positions (lower-left corners, in axes fractions) near ``anchor``, nudged apart
    vertically until no two labels of widths ``width`` and height ``height`` overlap (a few rounds
    of pairwise repulsion), staying inside the axes."""
    pos = np.array(anchor, dtype=np.float64)
    for _ in range(60):
        np.clip(pos[:, 1], height / 2, 1 - height / 2, out=pos[:, 1])
        moved = False
        for i in range(len(pos)):
            for j in range(i + 1, len(pos)):
                overlap_x = min(pos[i, 0] + width[i], pos[j, 0] + width[j]) - max(pos[i, 0], pos[j, 0])
                dy = pos[j, 1] - pos[i, 1]
                if overlap_x > 0 and abs(dy) < height:
                    push = (height - abs(dy)) / 2 + 1e-4
                    sign = 1.0 if dy > 0 or (dy == 0 and j > i) else -1.0
                    pos[i, 1] -= sign * push
                    pos[j, 1] += sign * push
                    moved = True
        if not moved:
            break
    return pos


def _label_points(ax, points, words, fontsize: float = MIN_FONT_PT) -> None:
    """Write each word beside its point, nudging labels apart vertically so that the words of a
    tight cluster stay readable (a thin line joins a label that had to move to its point)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    sx, sy = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    anchor = np.column_stack([(points[:, 0] - x0) / sx + 0.02, (points[:, 1] - y0) / sy + 0.012])
    scale = fontsize / 7 * 5.2 / ax.figure.get_size_inches()[0]  # sizes measured at 7 pt on a 5.2-inch figure
    width = np.array([(0.013 * len(w) + 0.01) * scale for w in words])
    pos = _spread(anchor, width, 0.045 * fontsize / 7 * 3.8 / ax.figure.get_size_inches()[1])
    for (ax_, ay_), (lx, ly), word in zip(anchor, pos, words, strict=True):
        far = abs(ly - ay_) > 0.03
        ax.annotate(word, (x0 + (ax_ - 0.02) * sx, y0 + (ay_ - 0.012) * sy),
                    xytext=(x0 + lx * sx, y0 + ly * sy), textcoords="data", fontsize=fontsize,
                    va="center", zorder=4,
                    arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5} if far else None)


def _run(runs: Mapping, dim):
    if dim not in runs:
        raise ValueError(f"no training run for embedding size {dim}; have {sorted(runs)}")
    run = runs[dim]
    return run, list(run["step"])


def _limits(points_list) -> tuple[float, float, float, float]:
    allp = np.concatenate(points_list)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.12 * (hi - lo) + 1e-9
    return lo[0] - pad[0], hi[0] + pad[0] * 2.5, lo[1] - pad[1], hi[1] + pad[1]


_CHART_W, _CHART_H = 520, 360  # the snapshot chart's size in CSS pixels
_POINT_RADIUS = 5  # CSS pixels
_PLOT_W, _PLOT_H = _CHART_W - 60, _CHART_H - 50  # its plotting area, about (axes and labels take the rest)


def snapshot_frame(runs: Mapping, step: int, dim: int, vocab: Sequence[str], classes,
                   class_names: Sequence[str]) -> dict:
    """One frame of the training explorer, as data drawn in the page (see ``viz.frame``): the words
    of the table of run ``runs[dim]`` at training ``step`` as labelled points, one colour per class
    (a legend names them).

    Args:
        runs: ``{embedding_dim: {"step": [...], "weight": [table at that step, ...],
            "loss": [...]}}``.
        step: one of the recorded steps. dim: one of the run keys.
        vocab, classes, class_names: as for :func:`embedding_map`.

    Tables with more than two columns are projected on the principal components of the run's
    final table (:func:`project_2d`), and every step of a run shares the same axes, so a point
    moves only when its vector moves. Labels of a tight cluster are nudged apart, with a thin line
    back to their point.

    Examples:
        >>> runs = {2: {"step": [0, 5], "weight": [np.eye(2), 2 * np.eye(2)], "loss": [1.0, 0.5]}}
        >>> f = snapshot_frame(runs, 5, 2, ["a", "b"], [0, 1], ["x", "y"])
        >>> chart = f["panels"][0]
        >>> chart["title"], [item[2] for item in chart["legend"]]
        ('2-D embeddings after 5 Adam steps (loss 0.500)', ['x', 'y'])
    """
    from layers_lib.viz import Chart, frame

    run, steps = _run(runs, dim)
    if step not in steps:
        raise ValueError(f"step {step} was not recorded; recorded steps: {steps}")
    classes = np.asarray(classes)
    final = run["weight"][-1]
    views = [project_2d(w, final) for w in run["weight"]]
    k = steps.index(step)
    if dim <= 2:
        xlabel, ylabel = "embedding dimension 1", "embedding dimension 2"
    else:
        xlabel, ylabel = "principal component 1", "principal component 2"
    x0, x1, y0, y1 = _limits(views)
    chart = Chart(f"{dim}-D embeddings after {step} Adam steps (loss {run['loss'][k]:.3f})", xlabel, ylabel,
                  width=_CHART_W, height=_CHART_H, xlim=(x0, x1), ylim=(y0, y1))
    chart.rule(x=0)
    chart.rule(y=0)
    p = views[k]
    for c, name in enumerate(class_names):
        sel = classes == c
        chart.points(p[sel, 0], p[sel, 1], color=c % 6, size=_POINT_RADIUS, label=name)
    sx, sy = x1 - x0, y1 - y0
    anchor = np.column_stack([(p[:, 0] - x0) / sx + 8 / _PLOT_W, (p[:, 1] - y0) / sy])
    width = np.array([(7 * len(w) + 6) / _PLOT_W for w in vocab])  # 12-px text is about 7 px a letter
    pos = _spread(anchor, width, 15 / _PLOT_H)
    for ay_, (lx, ly), (px, py), word in zip(anchor[:, 1], pos, p, vocab, strict=True):
        lx, ly = x0 + lx * sx, y0 + ly * sy
        if abs(ly - (y0 + ay_ * sy)) > 6 / _PLOT_H * sy:  # the label had to move: a line back to its point
            chart.line([px, lx - 2 / _PLOT_W * sx], [py, ly], color=4, width=0.8)
        chart.text(lx, ly, word, anchor="start", dy=4)
    return frame(chart)


def snapshot_readout(runs: Mapping, step: int, dim: int, classes, floor: float | None = None) -> str:
    """The explorer's read-out: the loss at ``step`` (and the lowest loss any model can reach,
    if ``floor`` is given) and the :func:`class_separation` of the table at that step."""
    run, steps = _run(runs, dim)
    k = steps.index(step)
    text = f"step {step}, {dim}-D: loss <b>{run['loss'][k]:.3f}</b>"
    if floor is not None:
        text += f" (best possible {floor:.3f})"
    sep = class_separation(run["weight"][k], classes)
    return text + f"; class spread / class distance = <b>{sep:.2f}</b> (0 = tight clusters)"
