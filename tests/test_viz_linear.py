"""The figures of the linear-layer chapter (layers_lib.viz.linear)."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from layers_lib import viz
from layers_lib.viz import linear as vl

matplotlib.use("Agg")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def test_draw_dense_writes_the_output_y_equals_wx_plus_b():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=3)
    fig = vl.draw_dense(x, w, b)
    assert isinstance(fig, Figure) and "y = x Wᵀ + b" in fig._suptitle.get_text()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("input x") and titles[1].startswith("weight W") and titles[-1] == "= y"
    shown_y = [float(t.get_text()) for t in fig.axes[-1].texts]
    np.testing.assert_allclose(shown_y, np.round(w @ x + b, 2), atol=1e-9)
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["unit 0", "unit 1", "unit 2"]
    with pytest.raises(ValueError, match="draw_dense"):
        vl.draw_dense(np.ones(3), w, b)


def test_draw_linear_map_moves_the_letter_f_by_w_transposed():
    w = np.array([[1.0, 0.5], [-1.0, 1.0]])
    fig = vl.draw_linear_map(w)
    left, right = fig.axes
    assert left.get_title() == "input x" and right.get_title() == "output y = x Wᵀ"
    assert (left.get_xlabel(), right.get_xlabel()) == ("x[0]", "y[0]")
    assert "det W = 1.50" in fig._suptitle.get_text()
    polys = [p for p in right.patches if isinstance(p, Polygon)]
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    np.testing.assert_allclose(polys[0].get_xy()[:4], square @ w.T)      # the unit square
    np.testing.assert_allclose(polys[1].get_xy()[:-1], vl._F @ w.T)      # the letter F
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        vl.draw_linear_map(np.eye(3))


def test_describe_map_reads_the_determinant():
    assert "det W = 2.00" in vl.describe_map([[1, -1], [1, 1]]) and "orientation kept" in \
        vl.describe_map([[1, -1], [1, 1]])
    assert "flipped" in vl.describe_map([[1, 0], [0, -1]])
    flat = vl.describe_map([[1, 1], [1, 1]])
    assert "det W = 0.00" in flat and "onto a line" in flat and "no inverse" in flat
    assert "single point" in vl.describe_map([[0, 0], [0, 0]])


def test_the_chapter_explorer_gives_a_distinct_frame_and_readout_for_every_setting():
    def linear_map(W01, W10, W11):
        return vl.draw_linear_map([[1.0, W01], [W10, W11]])

    params = {"W01": [-1, 0, 1], "W10": [0, 0.5, 1], "W11": [-1, 0.5, 1]}
    ex = viz.explore(linear_map, params, mode="static",
                     readout=lambda W01, W10, W11: vl.describe_map([[1.0, W01], [W10, W11]]))
    assert len(ex) == 27
    assert len(set(ex.frames)) == 27 and len(set(ex.readouts)) == 27
    k = ex.settings.index({"W01": 1, "W10": 1, "W11": 1})
    assert "collapses onto a line" in ex.readouts[k]


def test_plot_param_counts_uses_a_log_axis_and_labels_every_bar():
    fig = vl.plot_param_counts({"dense": 9_847_040, "conv": 160}, title="counts")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_title() == "counts" and "parameters" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dense", "conv"]
    assert {t.get_text() for t in ax.texts} == {"9,847,040", "160"}
    assert _png(fig)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="positive"):
        vl.plot_param_counts({"none": 0})
