"""Figures and helpers for training runs: a progress bar, loss/accuracy curves, and the feature
maps of one example through every layer of a ``Sequential``."""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt
import numpy as np

from ._live import static_mode
from ._plot import MIN_FONT_PT

__all__ = ["progress", "plot_history", "show_activations"]


def progress(iterable, desc: str = "", total: int | None = None):
    """Wrap ``iterable`` in a progress bar.

    In a live notebook this is tqdm's notebook bar (a widget). When the notebook is executed
    headlessly for the website (``LAYERS_LIB_STATIC=1``) it is tqdm's text bar on stdout with no
    timings, so the stored output is plain text that reproduces exactly and needs no widget
    JavaScript on the page.
    """
    if static_mode():
        from tqdm.std import tqdm

        return tqdm(iterable, desc=desc, total=total, file=sys.stdout, ascii=True, ncols=70,
                    mininterval=float("inf"), bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}")
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total)


def plot_history(history: dict, title: str = "Training history"):
    """Loss curves on the left, accuracy curves on the right, against the epoch.

    Args:
        history: ``{"train loss": [...], "test loss": [...], "train accuracy": [...], ...}``;
            keys containing "loss" go left, keys containing "acc" go right (as percentages).
    """
    losses = {k: v for k, v in history.items() if "loss" in k}
    accs = {k: v for k, v in history.items() if "acc" in k}
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for name, values in losses.items():
        axes[0].plot(np.arange(1, len(values) + 1), values, label=name)
    axes[0].set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss", yscale="log")
    for name, values in accs.items():
        axes[1].plot(np.arange(1, len(values) + 1), 100 * np.asarray(values), label=name)
    axes[1].set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in axes:
        ax.legend(frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_activations(model, x, title: str = "Activations", max_maps: int = 8):
    """Run one example ``x`` (shape ``(1, C, H, W)``) through a ``Sequential`` layer by layer and
    show up to ``max_maps`` feature maps after each layer that keeps a spatial layout (vectors
    after ``Flatten`` are drawn as one row)."""
    if x.shape[0] != 1:
        raise ValueError(f"show_activations expected one example of shape (1, C, H, W), got {x.shape}")
    outputs = [("input", x)]
    for i, layer in enumerate(model):
        x = layer(x)
        outputs.append((f"{i}: {type(layer).__name__}", x))
    fig, axes = plt.subplots(len(outputs), max_maps, figsize=(1.1 * max_maps, 1.15 * len(outputs)),
                             squeeze=False)
    for row, (name, out) in zip(axes, outputs, strict=True):
        maps = out[0] if out.ndim == 4 else out[0][None, None, :]
        for j, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(maps):
                ax.imshow(maps[j], cmap="gray")
            else:
                ax.axis("off")
        shape = "×".join(str(s) for s in out.shape[1:])
        row[0].set_ylabel(f"{name}\n{shape}", rotation=0, ha="right", va="center", fontsize=MIN_FONT_PT)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
