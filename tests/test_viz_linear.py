"""The figures of the linear-layer chapter (layers_lib.viz.linear)."""

from __future__ import annotations

import io
import json

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

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


def _marks(panel, kind):
    return [m for m in panel["marks"] if m["m"] == kind]


def _xy(mark):
    return np.column_stack([mark["x"], mark["y"]]).astype(float)


@pytest.mark.parametrize("w", [[[1.0, 0.5], [-1.0, 1.0]], [[1.0, -1.0], [1.0, 1.0]],
                               [[1.0, 0.0], [0.0, -1.0]], [[1.0, 1.0], [1.0, 1.0]]])
def test_linear_map_frame_moves_every_shape_by_w_transposed(w):
    w = np.array(w)
    f = vl.linear_map_frame(w)
    left, right = f["panels"]
    assert left["title"] == "input x" and right["title"] == "output y = x Wᵀ"
    assert (left["xl"], right["xl"], right["yl"]) == ("x[0]", "y[0]", "y[1]")
    assert left["x"] == left["y"] == right["x"] == right["y"] == [-2.2, 2.2] and right["equal"]
    assert f"det W = {np.linalg.det(w) + 0.0:.2f}".replace("-", "−") in f["title"]
    # the letter F, written out here as its ten corners, moves to F @ W.T (a closed outline)
    letter = np.array([[0.2, 0.1], [0.2, 0.9], [0.75, 0.9], [0.75, 0.75], [0.35, 0.75], [0.35, 0.58],
                       [0.65, 0.58], [0.65, 0.43], [0.35, 0.43], [0.35, 0.1], [0.2, 0.1]])
    for panel, m in ((left, np.eye(2)), (right, w)):
        outlines = [_xy(mk) for mk in _marks(panel, "line") if len(mk["x"]) == len(letter)]
        assert len(outlines) == 1
        np.testing.assert_allclose(outlines[0], letter @ m.T, rtol=1e-3, atol=1e-9)
        square = [_xy(mk) for mk in _marks(panel, "line") if len(mk["x"]) == 5]
        np.testing.assert_allclose(square[0], np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]) @ m.T,
                                   atol=1e-9)
        # the shaded square: its band has, at each corner's x, the extent of the parallelogram
        band = _marks(panel, "band")[0]
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]]) @ m.T
        assert np.isclose(min(band["x"]), corners[:, 0].min())
        assert np.isclose(max(band["x"]), corners[:, 0].max())
        area = np.trapezoid(np.subtract(band["hi"], band["lo"]), band["x"])
        assert np.isclose(area, abs(np.linalg.det(m)), atol=1e-9)
    # e0 and e1 land on the columns of W; the input plane also shows the rows of W
    tips = [tuple(np.array(a["x"])[[0, 1]]) + tuple(np.array(a["y"])[[0, 1]]) for a in _marks(right, "arrow")]
    assert tips == [(0, w[0, k], 0, w[1, k]) for k in range(2)]
    left_tips = {(a["x"][1], a["y"][1]) for a in _marks(left, "arrow")}
    assert left_tips == {(1, 0), (0, 1), (w[0, 0], w[0, 1]), (w[1, 0], w[1, 1])}
    labels = [m["s"] for m in _marks(right, "text")]
    assert labels == ["W[:, 0]", "W[:, 1]"]


def test_linear_map_frame_rejects_a_weight_that_is_not_2_by_2():
    with pytest.raises(ValueError, match=r"linear_map_frame expected a \(2, 2\) weight, got shape \(3, 3\)"):
        vl.linear_map_frame(np.eye(3))


def test_describe_map_reads_the_determinant():
    assert "det W = 2.00" in vl.describe_map([[1, -1], [1, 1]]) and "orientation kept" in \
        vl.describe_map([[1, -1], [1, 1]])
    assert "flipped" in vl.describe_map([[1, 0], [0, -1]])
    flat = vl.describe_map([[1, 1], [1, 1]])
    assert "det W = 0.00" in flat and "onto a line" in flat and "no inverse" in flat
    assert "single point" in vl.describe_map([[0, 0], [0, 0]])


def test_the_chapter_explorer_gives_a_distinct_frame_and_readout_for_every_setting():
    def linear_map(W01, W10, W11):
        return vl.linear_map_frame([[1.0, W01], [W10, W11]])

    params = {"W01": [-1, 0, 1], "W10": [0, 0.5, 1], "W11": [-1, 0.5, 1]}
    ex = viz.explore(linear_map, params, mode="static",
                     readout=lambda W01, W10, W11: vl.describe_map([[1.0, W01], [W10, W11]]))
    assert len(ex) == 27
    assert len({json.dumps(f, sort_keys=True) for f in ex.frames}) == 27 and len(set(ex.readouts)) == 27
    assert ex.payload <= 250_000 and "<img" not in ex.html and "data:image" not in ex.html
    k = ex.settings.index({"W01": 1, "W10": 1, "W11": 1})
    assert "collapses onto a line" in ex.readouts[k]
    # singular W: the square's image has no area (its band is empty) and both columns point along (1, 1)
    band = [m for m in ex.frames[k]["panels"][1]["marks"] if m["m"] == "band"][0]
    np.testing.assert_allclose(band["lo"], band["hi"], atol=1e-9)


def test_plot_param_counts_uses_a_log_axis_and_labels_every_bar():
    fig = vl.plot_param_counts({"dense": 9_847_040, "conv": 160}, title="counts")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_title() == "counts" and "parameters" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dense", "conv"]
    assert {t.get_text() for t in ax.texts} == {"9,847,040", "160"}
    assert _png(fig)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="positive"):
        vl.plot_param_counts({"none": 0})
