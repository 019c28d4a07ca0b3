"""The normalization chapter's figures and numeric helpers (layers_lib.viz.normalization)."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")
vn = viz.normalization


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


@pytest.mark.parametrize("kind, n_marked", [("BatchNorm", 4 * 5), ("LayerNorm", 6 * 5),
                                             ("InstanceNorm", 5), ("GroupNorm", 3 * 5)])
def test_normalization_mask_marks_one_statistic(kind, n_marked):
    mask = vn.normalization_mask(kind, shape=(4, 6, 5), groups=2)
    assert mask.shape == (4, 6, 5) and mask.sum() == n_marked


def test_normalization_mask_agrees_with_the_layers():
    """The marked group is exactly what the layer averages: perturbing an element outside it
    leaves the output of element (0, 0, 0) unchanged, one inside changes it."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 2, 2))
    layers = {"BatchNorm": ll.BatchNorm2d(4), "LayerNorm": ll.LayerNorm((4, 2, 2)),
              "InstanceNorm": ll.GroupNorm(4, 4), "GroupNorm": ll.GroupNorm(2, 4)}
    for kind, layer in layers.items():
        mask = vn.normalization_mask(kind, shape=(3, 4, 4), groups=2).reshape(3, 4, 2, 2)
        base = layer(x)[0, 0, 0, 0]
        for idx in np.ndindex(x.shape):
            if idx == (0, 0, 0, 0):
                continue
            bumped = x.copy()
            bumped[idx] += 1.0
            changed = not np.isclose(layer(bumped)[0, 0, 0, 0], base)
            assert changed == bool(mask[idx]), (kind, idx)


def test_normalization_mask_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        vn.normalization_mask("WeightNorm")
    with pytest.raises(ValueError, match="divide C"):
        vn.normalization_mask("GroupNorm", shape=(2, 5, 3), groups=2)


@pytest.mark.parametrize("spatial", [True, False])
def test_draw_normalization_axes_has_one_titled_panel_per_kind(spatial):
    kinds = ("BatchNorm", "LayerNorm")
    if spatial:
        kinds += ("InstanceNorm", "GroupNorm")
    fig = vn.draw_normalization_axes(kinds=kinds, spatial=spatial)
    assert len(fig.axes) == len(kinds)
    for ax, kind in zip(fig.axes, kinds, strict=True):
        assert ax.get_title().startswith(kind)
        texts = " ".join(t.get_text() for t in ax.texts)
        assert "N  (batch)" in texts and "C  (" in texts
    assert fig._suptitle is not None and "mean and variance" in fig._suptitle.get_text()
    assert _png(fig)[:4] == b"\x89PNG"


def test_simulate_running_stats_follows_the_pytorch_update():
    s = vn.simulate_running_stats(batch_size=8, momentum=0.1, steps=5, seed=3)
    running_mean, running_var = 0.0, 1.0
    rng = np.random.default_rng(3)
    for t in range(5):
        x = rng.normal(2.0, 3.0, size=(8, 1))
        running_mean = 0.9 * running_mean + 0.1 * x.mean()
        running_var = 0.9 * running_var + 0.1 * x.var(ddof=1)
        assert np.isclose(s["batch_mean"][t], x.mean()) and np.isclose(s["batch_var"][t], x.var())
        assert np.isclose(s["running_mean"][t], running_mean)
        assert np.isclose(s["running_var"][t], running_var)


def test_running_stats_explorer_frames_differ_per_slider():
    frames = {}
    for batch_size in (4, 64):
        for momentum in (0.01, 0.9):
            fig = vn.running_stats_frame(batch_size=batch_size, momentum=momentum)
            assert len(fig.axes) == 2
            assert f"batch size {batch_size}" in fig.axes[0].get_title()
            assert fig.axes[0].get_xlabel() == "training step" and fig.axes[1].get_ylabel() == "variance"
            frames[batch_size, momentum] = _png(fig)
    assert len(set(frames.values())) == 4
    readouts = {vn.running_stats_readout(b, m) for b in (4, 64) for m in (0.01, 0.9)}
    assert len(readouts) == 4


def test_large_momentum_tracks_the_last_batch():
    s = vn.simulate_running_stats(batch_size=16, momentum=0.9, steps=50)
    slow = vn.simulate_running_stats(batch_size=16, momentum=0.01, steps=50)
    assert np.abs(s["running_mean"] - s["batch_mean"])[-10:].max() < 0.5
    assert slow["running_mean"][-1] < 1.0  # still far below the true mean 2 after 50 steps


def test_plot_running_vs_batch_labels():
    fig = vn.plot_running_vs_batch([1.0, 2.0, 1.5], [0.1, 0.3, 0.4], ylabel="mean", title="T")
    ax = fig.axes[0]
    assert ax.get_title() == "T" and ax.get_ylabel() == "mean" and ax.get_xlabel() == "training step"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.1, 0.3, 0.4])


def test_normalised_spread_layernorm_is_batch_independent_and_batchnorm_is_not():
    small, large = vn.normalised_spread(4, trials=50), vn.normalised_spread(64, trials=50)
    for s in (small, large):
        assert np.ptp(s["LayerNorm"]) < 1e-12
    assert small["BatchNorm"].std() > 2 * large["BatchNorm"].std()
    two = vn.normalised_spread(2, trials=20)
    # two values standardise to ±d/sqrt(d² + eps): ±1 unless they nearly coincide
    assert np.all(np.abs(two["BatchNorm"]) <= 1.0) and np.median(np.abs(two["BatchNorm"])) > 0.999
    with pytest.raises(ValueError, match="at least 2"):
        vn.normalised_spread(1)


def test_batch_noise_explorer_frames_differ_per_slider():
    pngs = {b: _png(vn.batch_noise_frame(b, trials=60)) for b in (2, 8, 128)}
    assert len(set(pngs.values())) == 3
    fig = vn.batch_noise_frame(8, trials=60)
    assert "batches of size 8" in fig.axes[0].get_title() and fig.axes[0].get_ylabel().startswith("count")
    assert vn.batch_noise_readout(2, trials=60) != vn.batch_noise_readout(8, trials=60)
