"""The figures of the activation-layers chapter (layers_lib.viz.activations)."""

from __future__ import annotations

import json

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


def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


def test_decision_regions_frame_shades_each_cell_by_the_probability_at_its_centre():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)

    def predict(P):
        return _sigmoid(3 * (P[:, 0] - 0.2))

    f = va.decision_regions_frame(predict, X, y, title="t", resolution=12, margin=0.5)
    chart, = f["panels"]
    assert (chart["title"], chart["xl"], chart["yl"]) == ("t", "feature 1", "feature 2")
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    np.testing.assert_allclose(chart["x"], [lo[0], hi[0]], rtol=1e-3)
    np.testing.assert_allclose(chart["y"], [lo[1], hi[1]], rtol=1e-3)
    cells = [m for m in chart["marks"] if m["m"] == "cells"][0]
    dx, dy = (hi - lo) / 12
    assert np.isclose(cells["dx"], dx, rtol=1e-3) and np.isclose(cells["dy"], dy, rtol=1e-3)
    # row i, column j is the cell whose centre is (lo0 + (j + ½)dx, lo1 + (i + ½)dy), in tenths
    cx = lo[0] + (np.arange(12) + 0.5) * dx
    expected = np.round(10 * _sigmoid(3 * (cx - 0.2))) / 10
    np.testing.assert_allclose(cells["v"], np.tile(expected, (12, 1)), atol=1e-9)
    # the boundary p = 0.5 is the vertical line x = 0.2
    boundary = [m for m in chart["marks"] if m["m"] == "line"]
    assert len(boundary) == 1 and chart["legend"][0][2].startswith("decision boundary")
    np.testing.assert_allclose(boundary[0]["x"], 0.2, atol=0.01)
    assert min(boundary[0]["y"]) < lo[1] + dy and max(boundary[0]["y"]) > hi[1] - dy
    # every data point once: class 0 hollow, class 1 filled, at its coordinates (to 0.01)
    hollow, filled = [m for m in chart["marks"] if m["m"] == "pt"]
    assert hollow.get("hollow") == 1 and "hollow" not in filled
    np.testing.assert_allclose(np.column_stack([hollow["x"], hollow["y"]]), X[y == 0], atol=0.006)
    np.testing.assert_allclose(np.column_stack([filled["x"], filled["y"]]), X[y == 1], atol=0.006)


def test_decision_regions_frame_without_a_boundary_and_with_bad_data():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    f = va.decision_regions_frame(lambda P: np.full(len(P), 0.9), X, np.array([0, 1]), resolution=5)
    chart, = f["panels"]
    assert not [m for m in chart["marks"] if m["m"] == "line"]
    assert np.allclose(chart["marks"][0]["v"], 0.9)
    with pytest.raises(ValueError, match=r"decision_regions_frame expected X of shape \(N, 2\).*\(2, 1\)"):
        va.decision_regions_frame(lambda P: P[:, 0], X[:, :1], np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y of shape \(N,\).*\(3,\)"):
        va.decision_regions_frame(lambda P: P[:, 0], X, np.array([0, 1, 1]))


def test_decision_region_frames_differ_between_settings():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 0, 1])

    def draw(slope, shift):
        return va.decision_regions_frame(lambda P: ll.sigmoid(slope * (P[:, 0] - shift)), X, y,
                                         title=f"slope {slope}, shift {shift}")

    ex = viz.explore(draw, {"slope": [1, 10], "shift": [0.3, 0.7]}, mode="static",
                     readout=lambda slope, shift: f"{slope} {shift}")
    assert len({json.dumps(f, sort_keys=True) for f in ex.frames}) == 4 and len(set(ex.readouts)) == 4
    assert "data:image" not in ex.html and "<img" not in ex.html
