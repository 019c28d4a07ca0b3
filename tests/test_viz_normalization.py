"""The normalization chapter's figures and numeric helpers (layers_lib.viz.normalization)."""

from __future__ import annotations

import io
import json

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


def _hand_running_stats(batch_size, momentum, steps, seed=0, mean=2.0, std=3.0):
    """PyTorch's update written out: the batch statistics and the running estimates after each step."""
    rng = np.random.default_rng(seed)
    running_mean, running_var, out = 0.0, 1.0, []
    for _ in range(steps):
        x = rng.normal(mean, std, size=(batch_size, 1))
        running_mean = (1 - momentum) * running_mean + momentum * x.mean()
        running_var = (1 - momentum) * running_var + momentum * x.var(ddof=1)
        out.append((x.mean(), x.var(), running_mean, running_var))
    return np.array(out).T


@pytest.mark.parametrize("batch_size, momentum", [(4, 0.01), (4, 0.9), (64, 0.1)])
def test_running_stats_frame_plots_the_batch_and_running_statistics(batch_size, momentum):
    f = vn.running_stats_frame(batch_size=batch_size, momentum=momentum, steps=30)
    assert f["title"] == f"Batch size {batch_size}, momentum {momentum}"
    mean_chart, var_chart = f["panels"]
    assert (mean_chart["xl"], var_chart["yl"]) == ("training step", "variance")
    assert mean_chart["y"] == [-5.5, 9.5] and var_chart["y"] == [0, 27]  # fixed: 2 ± 2.5·3 and 3·3²
    batch_mean, batch_var, running_mean, running_var = _hand_running_stats(batch_size, momentum, 30)
    for chart, batch, running, truth in ((mean_chart, batch_mean, running_mean, 2.0),
                                         (var_chart, batch_var, running_var, 9.0)):
        dots, = [m for m in chart["marks"] if m["m"] == "pt"]
        line, true_line = [m for m in chart["marks"] if m["m"] == "line"]
        np.testing.assert_array_equal(dots["x"], np.arange(1, 31))
        np.testing.assert_allclose(dots["y"], batch, rtol=1e-3, atol=1e-12)
        np.testing.assert_allclose(line["y"], running, rtol=1e-3, atol=1e-12)
        assert true_line["y"] == [truth, truth] and true_line.get("dash") == 1
        assert [name for _, _, name in chart["legend"]][1].startswith("running")


def test_running_stats_explorer_frames_differ_per_slider():
    params = {"batch_size": [4, 16, 64], "momentum": [0.01, 0.1, 0.3, 0.9]}
    ex = viz.explore(vn.running_stats_frame, params, readout=vn.running_stats_readout, mode="static")
    assert len({json.dumps(f, sort_keys=True) for f in ex.frames}) == 12 and len(set(ex.readouts)) == 12
    assert ex.payload <= 250_000 and "data:image" not in ex.html and "<img" not in ex.html


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


@pytest.mark.parametrize("batch_size", [2, 8, 128])
def test_batch_noise_frame_is_a_histogram_of_the_hand_normalised_example(batch_size):
    trials, eps = 60, 1e-5
    f = vn.batch_noise_frame(batch_size, trials=trials)
    chart, = f["panels"]
    assert chart["title"] == f"One example in {trials} different batches of size {batch_size}"
    assert chart["yl"] == f"count (of {trials} batches)"
    # the example's first feature, standardised with the mean and biased variance of its batch
    rng = np.random.default_rng(0)
    example = rng.normal(size=(1, 8))
    values = []
    for _ in range(trials):
        column = np.concatenate([example, rng.normal(size=(batch_size - 1, 8))])[:, 0]
        values.append((column[0] - column.mean()) / np.sqrt(column.var() + eps))
    bars, = [m for m in chart["marks"] if m["m"] == "bar"]
    centres = np.round(np.arange(-2.45, 2.5, 0.1), 10)
    np.testing.assert_allclose(bars["x"], centres, atol=1e-9)
    counts = [np.sum(np.abs(np.clip(values, -2.5, 2.5 - 1e-12) - c) < 0.05 + 1e-12) for c in centres]
    assert bars["y"] == counts and sum(bars["y"]) == trials
    # one count axis for all batch sizes, tall enough for every bar (a batch of 2 has the tallest)
    assert chart["y"][0] == 0 and max(counts) <= chart["y"][1] <= trials
    assert chart["y"] == vn.batch_noise_frame(2, trials=trials)["panels"][0]["y"]
    dashed, = [m for m in chart["marks"] if m["m"] == "line"]
    assert dashed["x"][0] == dashed["x"][1] == pytest.approx(example[0, 0] / np.sqrt(1 + eps), rel=1e-3)


def test_batch_noise_explorer_frames_differ_per_slider():
    ex = viz.explore(lambda batch_size: vn.batch_noise_frame(batch_size, trials=60),
                     {"batch_size": [2, 8, 128]}, mode="static",
                     readout=lambda batch_size: vn.batch_noise_readout(batch_size, trials=60))
    assert len({json.dumps(f, sort_keys=True) for f in ex.frames}) == 3 and len(set(ex.readouts)) == 3
    assert ex.payload <= 250_000
