"""The figures of the activation-layers chapter (layers_lib.viz.activations)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import layers_lib as ll
from layers_lib import viz
from layers_lib.viz import activations as va

matplotlib.use("Agg")


def test_plot_layer_norms_one_panel_per_setting_on_a_shared_log_axis():
    panels = {"matched": {"sigmoid": np.logspace(-12, 0, 20), "ReLU": np.ones(20)},
              "default": {"sigmoid": np.logspace(-16, 0, 20)}}
    fig = va.plot_layer_norms(panels, title="norms")
    left, right = fig.axes
    assert (left.get_title(), right.get_title()) == ("matched", "default")
    assert left.get_yscale() == right.get_yscale() == "log"
    assert "layer" in left.get_xlabel() and "‖∂L/∂W‖" in left.get_ylabel()
    assert fig._suptitle.get_text() == "norms"
    np.testing.assert_allclose(left.lines[0].get_xdata(), np.arange(1, 21))
    np.testing.assert_allclose(right.lines[0].get_ydata(), np.logspace(-16, 0, 20))
    with pytest.raises(TypeError):
        va.plot_layer_norms({})


def test_plot_softmax_jacobian_shows_diag_p_minus_p_p_transposed():
    z = np.array([2.0, 1.0, 0.1])
    fig = va.plot_softmax_jacobian(z)
    bars, jac_ax = fig.axes[0], fig.axes[1]
    p = ll.softmax(z)
    np.testing.assert_allclose([b.get_height() for b in bars.patches], p)
    jac = jac_ax.images[0].get_array()
    np.testing.assert_allclose(jac, np.diag(p) - np.outer(p, p))
    np.testing.assert_allclose(jac.sum(axis=1), 0, atol=1e-12)
    assert "Jacobian" in jac_ax.get_title() and jac_ax.get_xlabel() and jac_ax.get_ylabel()


def test_plot_decision_regions_draws_the_data_and_the_boundary():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    fig = va.plot_decision_regions(lambda P: ll.sigmoid(5 * P[:, 0]), X, y, title="regions")
    ax = fig.axes[0]
    assert ax.get_title() == "regions" and ax.get_xlabel() == "feature 1"
    offsets = np.concatenate([c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets")
                              and len(c.get_offsets()) in (np.sum(y == 0), np.sum(y == 1))])
    assert len(offsets) == len(X)
    with pytest.raises(ValueError, match="plot_decision_regions"):
        va.plot_decision_regions(lambda P: P[:, 0], X[:, :1], y)


def test_decision_region_frames_differ_between_settings():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 0, 1])

    def draw(slope, shift):
        return va.plot_decision_regions(lambda P: ll.sigmoid(slope * (P[:, 0] - shift)), X, y,
                                        resolution=20, title=f"slope {slope}, shift {shift}")

    ex = viz.explore(draw, {"slope": [1, 10], "shift": [0.3, 0.7]}, mode="static",
                     readout=lambda slope, shift: f"{slope} {shift}")
    assert len(set(ex.frames)) == 4 and len(set(ex.readouts)) == 4
