"""Figures for the dropout chapter: a dropout mask on a grid of activations (the frame of the
chapter's explorer, :func:`dropout_mask_frame`, as data drawn in the page; ``viz.show`` draws one
setting as a still figure), feature maps under element-wise and channel-wise
dropout, and the learning curves of the overfitting experiment.

Every ``*_figure`` / ``compare_*`` / ``plot_*`` function returns a matplotlib Figure with a title
and labelled axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

import layers_lib as ll
from layers_lib.viz._plot import MIN_FONT_PT

__all__ = ["example_activations", "dropout_mask_frame", "dropout_readout",
           "compare_feature_maps", "plot_overfitting"]


def example_activations(shape=(5, 8), seed: int = 0) -> np.ndarray:
    """Non-negative activations, like the output of a ReLU layer, rounded to one decimal so
    they can be written in the cells of a figure."""
    x = np.maximum(np.random.default_rng(seed).normal(0.6, 0.5, size=shape), 0.0)
    return np.round(x + 0.1, 1)


def _apply(p: float, seed: int, shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = example_activations(shape)
    drop = ll.Dropout(p, rng=np.random.default_rng(seed))
    y = drop(x)
    keep = drop.mask if drop.mask is not None else np.ones(shape, dtype=bool)  # p = 0 draws no mask
    return x, keep, y


def _cell(v: float) -> str:
    return f"{float(v) + 0.0:.1f}"


def dropout_mask_frame(p: float = 0.5, seed: int = 0, shape=(5, 8)) -> dict:
    """Inverted dropout on a grid of activations, as data drawn in the page (see ``viz.frame``): the
    input, the mask (which units survive: "keep", or "drop" in dark cells) and the output, where
    dropped units are 0 and survivors are multiplied by ``1/(1-p)``. Input and output cells are
    shaded on one scale (0 to the largest output), so a survivor is darker than its input; every
    number is written in its cell (one decimal). The mask and the output come from
    :class:`layers_lib.Dropout` with a generator seeded by ``seed``.

    Args:
        p: the probability of *dropping* a unit (PyTorch's convention).
        seed: seeds the mask (the activations are always the same).
        shape: ``(examples, features)`` of the grid.

    Examples:
        >>> f = dropout_mask_frame(p=0.5, seed=0, shape=(2, 3))
        >>> [g["title"] for g in f["panels"]]
        ['input x', 'mask: 3 of 6 kept', 'output = x · mask / (1 − 0.5)']
        >>> f["panels"][1]["fill"], f["panels"][1]["labels"][0]
        (['cdd', 'dcc'], ['keep', 'drop', 'drop'])
    """
    from layers_lib.viz import frame, grid

    x, keep, y = _apply(p, seed, shape)
    n, m = keep.shape
    top = max(float(y.max()), float(x.max()), 1e-9)
    index = {"rows_index": [str(i) for i in range(n)], "cols_index": [str(j) for j in range(m)]}
    inputs = grid(["h" * m] * n, title="input x", labels=[[_cell(v) for v in row] for row in x],
                  heat=x / top, **index)
    mask = grid(["".join("c" if k else "d" for k in row) for row in keep],
                title=f"mask: {keep.sum()} of {keep.size} kept",
                labels=[["keep" if k else "drop" for k in row] for row in keep], **index)
    out_labels = np.where(keep, np.vectorize(_cell)(y), "0").tolist()  # a dropped unit is exactly 0
    output = grid(["".join("h" if k else "d" for k in row) for row in keep],
                  title=f"output = x · mask / (1 − {p:g})", labels=out_labels, heat=y / top, **index)
    return frame(inputs, mask, output, title=f"Dropout with p = {p:g} (probability of dropping), seed {seed}",
                 notes=[f"rows: examples, columns: features; survivors × 1/(1 − p) = {_scale(p)}; "
                        "input and output shaded on one scale"])


def _scale(p: float) -> str:
    return f"{1 / (1 - p):.2f}"


def dropout_readout(p: float = 0.5, seed: int = 0, shape=(5, 8)) -> str:
    """One line: the fraction kept against ``1 - p``, the scale and the mean activation."""
    x, keep, y = _apply(p, seed, shape)
    return (f"p = {p}: kept {keep.sum()} of {keep.size} = {keep.mean():.2f} (expected 1 − p = {1 - p:.2f}); "
            f"survivors × 1/(1 − p) = {_scale(p)}; mean input {x.mean():.2f}, mean output {y.mean():.2f}")


def compare_feature_maps(rows: dict, title: str = "Feature maps under dropout",
                         cmap: str = "gray") -> plt.Figure:
    """Show several versions of the same stack of feature maps, one row per version.

    Args:
        rows: ``{label: array of shape (C, H, W)}``, e.g. the original maps, the maps after
            element-wise dropout and after channel-wise dropout. All must have the same shape.
        title: the figure title.
        cmap: a colour map that reads in greyscale.

    Each panel is scaled to its own range, so a map multiplied by ``1/(1 - p)`` looks like the
    original and a dropped (all-zero) map is black.
    """
    labels = list(rows)
    maps = [np.asarray(rows[k]) for k in labels]
    C = maps[0].shape[0]
    if any(m.shape != maps[0].shape or m.ndim != 3 for m in maps):
        raise ValueError(f"compare_feature_maps expected arrays of one shape (C, H, W), got "
                         f"{[m.shape for m in maps]}")
    fig, axes = plt.subplots(len(maps), C, figsize=(1.5 * C + 1.2, 1.5 * len(maps) + 0.6), squeeze=False)
    for r, (label, m) in enumerate(zip(labels, maps, strict=True)):
        for c in range(C):
            ax = axes[r, c]
            lo, hi = float(m[c].min()), float(m[c].max())
            ax.imshow(m[c], cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1)  # all-zero map: black
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"channel {c}", fontsize=MIN_FONT_PT)
            if c == 0:
                ax.set_ylabel(label, fontsize=MIN_FONT_PT)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_overfitting(runs: dict, epochs, title: str = "Training with and without dropout") -> plt.Figure:
    """Loss (left, log scale) and accuracy (right) of several training runs against the epoch.

    Args:
        runs: ``{run name: history}``, each history ``{"train loss": [...], "test loss": [...],
            "train accuracy": [...], "test accuracy": [...]}`` (accuracies as fractions).
        epochs: the epoch of each recorded value (shared by all runs).
        title: the figure title.

    Each run has its own colour; training curves are solid, test curves dashed.
    """
    epochs = np.asarray(epochs)
    colours = ["#1f3b73", "#d95f02", "#1b9e77", "#7570b3"]
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.3))
    for k, (name, history) in enumerate(runs.items()):
        for split, style in (("train", "-"), ("test", "--")):
            for ax, metric, scale in ((axes[0], "loss", 1.0), (axes[1], "accuracy", 100.0)):
                values = scale * np.asarray(history[f"{split} {metric}"], dtype=float)
                if len(values) != len(epochs):
                    raise ValueError(f"plot_overfitting: {name!r} has {len(values)} {split} {metric} "
                                     f"values for {len(epochs)} epochs")
                ax.plot(epochs, values, style, color=colours[k % len(colours)], label=f"{split} ({name})")
    axes[0].set(xlabel="epoch", ylabel="cross-entropy loss (log scale)", yscale="log", title="Loss")
    axes[1].set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in axes:
        ax.legend(fontsize=MIN_FONT_PT, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
