"""The training and network figures used by the introduction and the capstone."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

import layers_lib as ll
from layers_lib import viz

matplotlib.use("Agg")


def test_progress_is_plain_text_without_timings_in_static_mode(monkeypatch, capsys):
    monkeypatch.setenv("LAYERS_LIB_STATIC", "1")
    assert list(viz.training.progress(range(5), desc="epochs")) == [0, 1, 2, 3, 4]
    out = capsys.readouterr().out
    assert "5/5" in out and "epochs" in out
    assert "it/s" not in out and "<" not in out, out


def test_plot_history_draws_loss_and_accuracy():
    history = {"train loss": [1.0, 0.5], "test loss": [1.1, 0.6],
               "train accuracy": [0.5, 0.9], "test accuracy": [0.4, 0.8]}
    fig = viz.training.plot_history(history, title="demo")
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_ylabel() == "cross-entropy loss" and acc_ax.get_ylabel() == "accuracy (%)"
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 2
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), [40.0, 80.0])


def test_show_activations_has_one_row_per_layer():
    rng = np.random.default_rng(0)
    net = ll.Sequential(ll.Conv2d(1, 4, 3, padding=1, rng=rng), ll.ReLU(), ll.MaxPool2d(2), ll.Flatten())
    fig = viz.training.show_activations(net, rng.normal(size=(1, 1, 6, 6)), max_maps=4)
    assert len(fig.axes) == 5 * 4  # input + 4 layers, 4 maps each
    assert "4×3×3" in fig.axes[3 * 4].get_ylabel()  # after MaxPool2d
    with pytest.raises(ValueError, match="one example"):
        viz.training.show_activations(net, rng.normal(size=(2, 1, 6, 6)))


def test_draw_network_counts_parameters_in_its_title():
    fig = viz.network.draw_network([3, 4, 4, 2])
    title = fig.axes[0].get_title()
    assert "12 + 16 + 8" not in title and "36 weights + 10 biases = 46 parameters" in title
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="draw_network"):
        viz.network.draw_network([3])
