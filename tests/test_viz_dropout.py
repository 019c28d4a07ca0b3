"""The dropout chapter's figures (layers_lib.viz.dropout)."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")
vd = viz.dropout


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def test_example_activations_are_nonnegative_and_reproducible():
    a, b = vd.example_activations((5, 8)), vd.example_activations((5, 8))
    assert a.shape == (5, 8) and (a >= 0.1).all()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.round(a, 1))


def test_dropout_mask_frame_shows_input_mask_and_scaled_output():
    fig = vd.dropout_mask_frame(p=0.25, seed=1)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "input activations x"
    assert titles[1].startswith("mask:") and "kept" in titles[1]
    assert "1.33" in titles[2]
    assert all(ax.get_xlabel() == "feature" and ax.get_ylabel() == "example" for ax in fig.axes)
    # the numbers written in the output panel are x * mask / (1 - p), from ll.Dropout with that seed
    x = vd.example_activations((5, 8))
    y = ll.Dropout(0.25, rng=np.random.default_rng(1))(x)
    written = [float(t.get_text()) for t in fig.axes[2].texts]
    np.testing.assert_allclose(written, np.round(y.ravel(), 1), atol=0.051)


def test_dropout_explorer_frames_and_readouts_differ_per_slider():
    pngs, readouts = set(), set()
    for p in (0.1, 0.5, 0.9):
        for seed in (0, 1):
            pngs.add(_png(vd.dropout_mask_frame(p=p, seed=seed)))
            readouts.add(vd.dropout_readout(p=p, seed=seed))
    assert len(pngs) == 6 and len(readouts) == 6


def test_dropout_readout_numbers():
    text = vd.dropout_readout(p=0.5, seed=0)
    drop = ll.Dropout(0.5, rng=np.random.default_rng(0))
    drop(vd.example_activations((5, 8)))
    assert f"kept {drop.mask.sum()} of 40" in text
    assert "1/(1 − p) = 2.00" in text and "expected 1 − p = 0.50" in text
    assert "1/(1 − p) = 1.00" in vd.dropout_readout(p=0.0, seed=0)  # p = 0 keeps everything


def test_compare_feature_maps_layout_and_errors():
    maps = np.random.default_rng(0).random((3, 6, 6))
    zeroed = maps.copy()
    zeroed[1] = 0
    fig = vd.compare_feature_maps({"original": maps, "dropped": zeroed}, title="T")
    assert len(fig.axes) == 2 * 3
    assert fig.axes[0].get_title() == "channel 0" and fig.axes[0].get_ylabel() == "original"
    assert fig.axes[3].get_ylabel() == "dropped" and fig._suptitle.get_text() == "T"
    assert _png(fig)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="one shape"):
        vd.compare_feature_maps({"a": maps, "b": maps[:2]})


def test_plot_overfitting_draws_train_and_test_per_run():
    history = {"train loss": [1.0, 0.1], "test loss": [1.2, 0.9],
               "train accuracy": [0.5, 1.0], "test accuracy": [0.4, 0.8]}
    fig = vd.plot_overfitting({"a": history, "b": history}, epochs=[2, 4], title="T")
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_yscale() == "log" and acc_ax.get_ylabel() == "accuracy (%)"
    assert loss_ax.get_xlabel() == "epoch" and fig._suptitle.get_text() == "T"
    assert len(loss_ax.lines) == 4 and len(acc_ax.lines) == 4
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), [40.0, 80.0])
    np.testing.assert_allclose(acc_ax.lines[1].get_xdata(), [2, 4])
    with pytest.raises(ValueError, match="epochs"):
        vd.plot_overfitting({"a": history}, epochs=[1, 2, 3])
