"""Figures for the normalization chapter: which axes each layer normalises over, how BatchNorm's
running statistics track the batch statistics, and how much a BatchNorm output depends on the
rest of its batch.

The static figures are matplotlib Figures with a title and labelled axes; the two explorers'
frames (:func:`running_stats_frame`, :func:`batch_noise_frame`) are data drawn in the page
(``viz.frame`` of ``viz.Chart`` panels); the numeric helpers (:func:`simulate_running_stats`,
:func:`normalised_spread`) return plain arrays so they can be tested and printed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon

import layers_lib as ll

from ._plot import MIN_FONT_PT
from ._scene import Chart, frame

__all__ = [
    "normalization_mask",
    "draw_normalization_axes",
    "simulate_running_stats",
    "running_stats_frame",
    "running_stats_readout",
    "plot_running_vs_batch",
    "normalised_spread",
    "batch_noise_frame",
    "batch_noise_readout",
]

_HIGHLIGHT = (0.13, 0.37, 0.66)   # dark blue: reads as dark grey in greyscale
_PLAIN = (0.93, 0.93, 0.93)       # light grey
_KINDS = ("BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm")
_DOT_PX = 2.5  # the radius of a batch statistic's dot in the explorer, in CSS pixels


# -- which elements share one mean and variance -----------------------------------------------
def normalization_mask(kind: str, shape=(4, 6, 4), groups: int = 2, n: int = 0, c: int = 0) -> np.ndarray:
    """The elements of an ``(N, C, S)`` block (``S = H·W``) that share one mean and variance.

    Args:
        kind: ``"BatchNorm"`` (one statistic per channel, over N and S), ``"LayerNorm"`` (one per
            example, over C and S), ``"InstanceNorm"`` (one per example and channel, over S) or
            ``"GroupNorm"`` (one per example and group of ``C // groups`` channels).
        shape: ``(N, C, S)``.
        groups: the number of channel groups for GroupNorm; must divide ``C``.
        n, c: which example and channel the highlighted statistic belongs to.

    Returns:
        A boolean array of ``shape``, ``True`` on the elements of that one statistic.

    Examples:
        >>> normalization_mask("BatchNorm", (2, 3, 1))[:, :, 0].astype(int)
        array([[1, 0, 0],
               [1, 0, 0]])
        >>> normalization_mask("LayerNorm", (2, 3, 1))[:, :, 0].astype(int)
        array([[1, 1, 1],
               [0, 0, 0]])
    """
    N, C, S = shape
    m = np.zeros(shape, dtype=bool)
    if kind == "BatchNorm":
        m[:, c, :] = True
    elif kind == "LayerNorm":
        m[n] = True
    elif kind == "InstanceNorm":
        m[n, c] = True
    elif kind == "GroupNorm":
        if C % groups:
            raise ValueError(f"GroupNorm needs groups to divide C, got C={C}, groups={groups}")
        size = C // groups
        g = c // size
        m[n, g * size:(g + 1) * size] = True
    else:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    return m


def _draw_block(ax, mask: np.ndarray, depth=(0.55, 0.4)) -> None:
    """Draw an ``(N, C, S)`` block in oblique projection: C to the right, S up, N into the page.

    Only the three visible faces are drawn (the front layer n = 0, the top row s = S-1 of every
    layer, the right column c = C-1 of every layer), so no face hides another.
    """
    N, C, S = mask.shape
    dx, dy = depth

    def face(points, on):
        ax.add_patch(Polygon(points, closed=True, facecolor=_HIGHLIGHT if on else _PLAIN,
                             edgecolor="0.25", linewidth=0.6))

    for n in range(N - 1, -1, -1):
        ox, oy = n * dx, n * dy
        for c in range(C):                       # top faces (the row s = S - 1)
            x0, y0 = c + ox, S + oy
            face([(x0, y0), (x0 + 1, y0), (x0 + 1 + dx, y0 + dy), (x0 + dx, y0 + dy)], mask[n, c, S - 1])
        for s in range(S):                       # right faces (the column c = C - 1)
            x0, y0 = C + ox, s + oy
            face([(x0, y0), (x0 + dx, y0 + dy), (x0 + dx, y0 + 1 + dy), (x0, y0 + 1)], mask[n, C - 1, s])
    for c in range(C):                           # front faces (the example n = 0)
        for s in range(S):
            face([(c, s), (c + 1, s), (c + 1, s + 1), (c, s + 1)], mask[0, c, s])
    ax.annotate("", xy=(C, -0.45), xytext=(0, -0.45),
                arrowprops={"arrowstyle": "->", "color": "0.2"})
    ax.text(C / 2, -0.7, "C  (channels)", ha="center", va="top", fontsize=MIN_FONT_PT)
    ax.annotate("", xy=(-0.4, S), xytext=(-0.4, 0), arrowprops={"arrowstyle": "->", "color": "0.2"})
    ax.text(-0.6, S / 2, "H, W  (positions)", ha="right", va="center", rotation=90, fontsize=MIN_FONT_PT)
    ax.annotate("", xy=(C + 0.35 + N * dx, N * dy), xytext=(C + 0.35, 0),
                arrowprops={"arrowstyle": "->", "color": "0.2"})
    ax.text(C + 0.5 + N * dx / 2, N * dy / 2 - 0.15, "N  (batch)", ha="left", va="top", fontsize=MIN_FONT_PT)
    ax.set_xlim(-1.3, C + N * dx + 1.9)
    ax.set_ylim(-1.4, S + N * dy + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")


def _draw_table(ax, mask: np.ndarray) -> None:
    """Draw an ``(N, C)`` table: examples are rows (top to bottom), features are columns."""
    N, C = mask.shape
    for n in range(N):
        for c in range(C):
            y = N - 1 - n
            ax.add_patch(Polygon([(c, y), (c + 1, y), (c + 1, y + 1), (c, y + 1)], closed=True,
                                 facecolor=_HIGHLIGHT if mask[n, c] else _PLAIN,
                                 edgecolor="0.25", linewidth=0.6))
    ax.annotate("", xy=(C, N + 0.35), xytext=(0, N + 0.35), arrowprops={"arrowstyle": "->", "color": "0.2"})
    ax.text(C / 2, N + 0.55, "C  (features)", ha="center", va="bottom", fontsize=MIN_FONT_PT)
    ax.annotate("", xy=(-0.35, 0), xytext=(-0.35, N), arrowprops={"arrowstyle": "->", "color": "0.2"})
    ax.text(-0.55, N / 2, "N  (batch)", ha="right", va="center", rotation=90, fontsize=MIN_FONT_PT)
    ax.set_xlim(-1.2, C + 0.3)
    ax.set_ylim(-0.3, N + 1.3)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_normalization_axes(kinds=_KINDS, shape=(4, 6, 4), groups: int = 2, spatial: bool = True,
                            title: str | None = None) -> plt.Figure:
    """Draw, for each normalization layer, the elements that share one mean and variance.

    With ``spatial=True`` the input is an ``(N, C, H, W)`` batch of feature maps drawn as a block
    (the two spatial axes flattened into one, ``S = H·W``); with ``spatial=False`` it is an
    ``(N, C)`` batch of feature vectors drawn as a table. Blue cells form one statistic; the layer
    computes one such statistic for every block of the same shape.

    Args:
        kinds: names accepted by :func:`normalization_mask`, one panel each.
        shape: ``(N, C, S)``; with ``spatial=False`` only ``N`` and ``C`` are used.
        groups: channel groups for GroupNorm.
        spatial: draw the ``(N, C, H, W)`` block (``True``) or the ``(N, C)`` table.
        title: the figure title (a default describes the layout).

    Returns:
        The Figure.
    """
    N, C, S = shape
    if not spatial:
        shape = (N, C, 1)
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.1 * len(kinds), 3.4 if spatial else 2.9))
    axes = np.atleast_1d(axes)
    for ax, kind in zip(axes, kinds, strict=True):
        mask = normalization_mask(kind, shape, groups)
        if spatial:
            _draw_block(ax, mask)
        else:
            _draw_table(ax, mask[:, :, 0])
        over = {"BatchNorm": "over N, H, W — one per channel" if spatial else "over N — one per feature",
                "LayerNorm": "over C, H, W — one per example" if spatial else "over C — one per example",
                "InstanceNorm": "over H, W — one per example and channel",
                "GroupNorm": f"over C/{groups}, H, W — one per example and group"}[kind]
        ax.set_title(f"{kind}\n" + over.replace(" — ", ",\n"), fontsize=MIN_FONT_PT)
    if title is None:
        title = ("Which elements share one mean and variance, input (N, C, H, W)" if spatial
                 else "Which elements share one mean and variance, input (N, C)")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


# -- running statistics -----------------------------------------------------------------------
def simulate_running_stats(batch_size: int, momentum: float, steps: int = 60, mean: float = 2.0,
                           std: float = 3.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Feed ``steps`` batches of one feature drawn from ``Normal(mean, std²)`` through a fresh
    ``ll.BatchNorm1d(1, momentum=momentum)`` in training mode and record its statistics.

    Returns:
        ``{"batch_mean", "batch_var", "running_mean", "running_var"}``, each of length ``steps``:
        the biased variance the layer normalises with, and the running estimates *after* each
        step (they start at 0 and 1).
    """
    rng = np.random.default_rng(seed)
    bn = ll.BatchNorm1d(1, momentum=momentum)
    out = {k: np.zeros(steps) for k in ("batch_mean", "batch_var", "running_mean", "running_var")}
    for t in range(steps):
        x = rng.normal(mean, std, size=(batch_size, 1))
        bn(x)
        out["batch_mean"][t] = x.mean()
        out["batch_var"][t] = x.var()
        out["running_mean"][t] = bn.running_mean[0]
        out["running_var"][t] = bn.running_var[0]
    return out


def running_stats_frame(batch_size: int = 16, momentum: float = 0.1, steps: int = 60, mean: float = 2.0,
                        std: float = 3.0, seed: int = 0) -> dict:
    """An explorer frame: batch statistics (dots) and BatchNorm's running estimates (line) over
    training steps, for one feature whose true mean and variance are ``mean`` and ``std²``
    (dashed). The y-ranges are fixed by ``mean`` and ``std`` (not by the data), so moving a slider
    changes only the curves.

    Examples:
        >>> f = running_stats_frame(batch_size=4, momentum=0.5, steps=10)
        >>> [p["title"] for p in f["panels"]], f["panels"][1]["y"]
        (['mean', 'variance'], [0, 27])
    """
    s = simulate_running_stats(batch_size, momentum, steps, mean, std, seed)
    t = np.arange(1, steps + 1)
    charts = []
    for stat, truth, label, ylim in (("mean", mean, "mean", (mean - 2.5 * std, mean + 2.5 * std)),
                                     ("var", std ** 2, "variance", (0, 3 * std ** 2))):
        chart = Chart(label, xlabel="training step", ylabel=label, width=360, height=230,
                      xlim=(0, steps + 1), ylim=ylim)
        chart.points(t, s[f"batch_{stat}"], color=4, size=_DOT_PX, label=f"batch {label}")
        chart.line(t, s[f"running_{stat}"], color=0, width=2.5, label=f"running {label}")
        chart.line([0, steps + 1], [truth, truth], color=1, dash=True, width=1.5, label=f"true {label}")
        charts.append(chart)
    return frame(charts, title=f"Batch size {batch_size}, momentum {momentum}")


def running_stats_readout(batch_size: int = 16, momentum: float = 0.1, steps: int = 60, mean: float = 2.0,
                          std: float = 3.0, seed: int = 0) -> str:
    """One line: the running estimates after ``steps`` steps against the true values."""
    s = simulate_running_stats(batch_size, momentum, steps, mean, std, seed)
    return (f"after {steps} steps: running mean {s['running_mean'][-1]:.2f} (true {mean:.2f}), "
            f"running variance {s['running_var'][-1]:.2f} (true {std ** 2:.2f}); "
            f"the first step moves the estimate {momentum:.0%} of the way to the batch")


def plot_running_vs_batch(batch_stat, running_stat, ylabel: str = "mean of one feature",
                          title: str = "Batch statistic and running estimate during training") -> plt.Figure:
    """Plot a statistic of each training batch (dots) and the layer's running estimate (line)."""
    batch_stat, running_stat = np.asarray(batch_stat), np.asarray(running_stat)
    t = np.arange(1, len(batch_stat) + 1)
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    ax.plot(t, batch_stat, "o", ms=2.5, color="0.55", label="this batch (used in training)")
    ax.plot(t, running_stat, "-", lw=2, color=_HIGHLIGHT, label="running estimate (used in eval)")
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig


# -- how much an output depends on the rest of its batch --------------------------------------
def normalised_spread(batch_size: int, trials: int = 300, features: int = 8,
                      seed: int = 0) -> dict[str, np.ndarray]:
    """Normalise one fixed example inside ``trials`` random batches of ``batch_size`` examples.

    The fixed example is the first row of every batch; the other rows are fresh draws from the
    standard normal distribution, the population the example also comes from. Returns the first
    feature of the example's output under BatchNorm1d and under LayerNorm, one value per trial,
    and ``"population"``: its value normalised with the population's mean 0 and variance 1 (what
    BatchNorm's output approaches as the batch grows).

    Examples:
        >>> s = normalised_spread(4, trials=5)
        >>> s["BatchNorm"].shape, bool(np.ptp(s["BatchNorm"]) > 0), bool(np.ptp(s["LayerNorm"]) == 0)
        ((5,), True, True)
    """
    if batch_size < 2:
        raise ValueError("BatchNorm needs at least 2 examples per batch in training mode")
    rng = np.random.default_rng(seed)
    example = rng.normal(size=(1, features))
    bn, ln = ll.BatchNorm1d(features), ll.LayerNorm(features)
    out = {"BatchNorm": np.zeros(trials), "LayerNorm": np.zeros(trials),
           "population": np.array(example[0, 0] / np.sqrt(1.0 + bn.eps))}
    for i in range(trials):
        batch = np.concatenate([example, rng.normal(size=(batch_size - 1, features))])
        out["BatchNorm"][i] = bn(batch)[0, 0]
        out["LayerNorm"][i] = ln(batch)[0, 0]
    return out


def batch_noise_frame(batch_size: int = 8, trials: int = 300, seed: int = 0) -> dict:
    """An explorer frame: a histogram of one example's BatchNorm output over ``trials`` random
    batches of ``batch_size`` (bins 0.1 wide on [−2.5, 2.5], values beyond clipped into the end
    bins), with the value it would get from the population statistics (dashed). The count axis
    is the same for every batch size (the tallest bins are those of a batch of 2: its outputs are
    almost all ±1), so moving the slider shows the histogram narrowing.

    Examples:
        >>> small, large = batch_noise_frame(4, trials=20), batch_noise_frame(128, trials=20)
        >>> sum(small["panels"][0]["marks"][0]["y"]), small["panels"][0]["y"] == large["panels"][0]["y"]
        (20, True)
    """
    edges = np.linspace(-2.5, 2.5, 51)

    def histogram(size):
        s = normalised_spread(size, trials, seed=seed)
        return np.histogram(np.clip(s["BatchNorm"], -2.5, 2.5), bins=edges)[0], float(s["population"])

    counts, population = histogram(batch_size)
    # the same count axis for every batch size: up to the tallest bin of the smallest batch, 2
    top = 10 * np.ceil(max(histogram(2)[0].max(), counts.max()) * 1.05 / 10)
    chart = Chart(f"One example in {trials} different batches of size {batch_size}",
                  xlabel="normalised value of the same example's first feature",
                  ylabel=f"count (of {trials} batches)", width=520, height=260, xlim=(-2.5, 2.5),
                  ylim=(0, top))
    chart.bars((edges[:-1] + edges[1:]) / 2, counts, color=4, width=0.09,
               label="BatchNorm output, one per batch")
    chart.line([population, population], [0, top], color=1, dash=True, width=2,
               label="normalised with the population statistics")
    return frame(chart)


def batch_noise_readout(batch_size: int = 8, trials: int = 300, seed: int = 0) -> str:
    """One line: the spread of the example's BatchNorm output and of its LayerNorm output."""
    s = normalised_spread(batch_size, trials, seed=seed)
    return (f"batch size {batch_size}: the example's BatchNorm output varies from batch to batch with "
            f"standard deviation {s['BatchNorm'].std():.3f}; its LayerNorm output with "
            f"{s['LayerNorm'].std():.3f}")
