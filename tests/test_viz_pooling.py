"""The figures of the pooling chapter (layers_lib.viz.pooling)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

import layers_lib as ll
from layers_lib.viz import pooling as vp

matplotlib.use("Agg")

X = np.array([[3, 1, 4, 1, 5, 9],
              [2, 6, 5, 3, 5, 8],
              [9, 7, 9, 3, 2, 3],
              [8, 4, 6, 2, 6, 4],
              [3, 3, 8, 3, 2, 7]], dtype=float)  # 5×6: not square, not symmetric


def cell_texts(ax):
    return [t.get_text() for t in ax.texts if t.get_text()]


@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 2, 1), (2, 3, 1), (3, 1, 0)])
def test_pool_size_formula_agrees_with_the_layer(k, s, p):
    text = vp.pool_size_formula(5, k, s, p)
    assert text.startswith(f"H_out = ⌊(5 + 2·{p} − {k}) / {s}⌋ + 1")
    assert text.endswith(f"= {ll.pool2d_output_size(5, 5, k, s, p)[0]}")
    assert vp.pool_size_formula(6, 2) == vp.pool_size_formula(6, 2, 2)  # stride defaults to the kernel


def test_readout_describes_overlap_gaps_and_padding():
    assert "→ (2, 3)" in vp.pool_readout(5, 6, 2) and "without overlap" in vp.pool_readout(5, 6, 2)
    assert "overlap" in vp.pool_readout(5, 6, 3, 1)
    gaps = vp.pool_readout(5, 6, 2, 3)
    assert "row 2 and columns 2, 5 are never read" in gaps
    assert "−∞" in vp.pool_readout(5, 6, 2, 2, 1, "max")
    assert "AvgPool2d" in vp.pool_readout(5, 6, 2, mode="avg")
    assert "counts in the divisor" in vp.pool_readout(5, 6, 3, 2, 1, "avg")


def panels(frame):
    return {p["title"].split()[0].rstrip(":"): p for p in frame["panels"]}


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("k, s, p, ceil", [(2, 2, 0, False), (3, 2, 1, False), (2, 1, 1, False),
                                           (2, 2, 0, True), (3, 2, 1, True)])
def test_pool_geometry_frame_shows_the_layer_output(mode, k, s, p, ceil):
    import torch

    f = vp.pool_geometry_frame(X, k, s, p, mode, ceil_mode=ceil)
    pool = torch.nn.MaxPool2d(k, s, p, ceil_mode=ceil) if mode == "max" else \
        torch.nn.AvgPool2d(k, s, p, ceil_mode=ceil)
    y = pool(torch.tensor(X)[None, None])[0, 0].numpy()
    out = panels(f)["output"]
    assert out["title"] == f"output {y.shape[0]}×{y.shape[1]}" and (out["r"], out["c"]) == y.shape
    assert [float(v) for row in out["labels"] for v in row] == pytest.approx(np.round(y.ravel(), 2), abs=0.01)
    grid_in = panels(f)["input"]
    pad = "−∞" if mode == "max" else "0"
    assert grid_in["labels"][0][0] == (pad if p else vp._fmt(X[0, 0]))
    assert ("MaxPool2d" if mode == "max" else "AvgPool2d") in f["title"]


def test_argmax_outlines_follow_the_first_maximum():
    x = np.array([[7.0, 7.0, 1.0, 2.0], [0.0, 7.0, 2.0, 1.0]])  # window 0: tie of three 7s
    f = vp.pool_geometry_frame(x, 2)
    assert panels(f)["input"]["outline"] == [[0, 0], [0, 3]]  # (row, col): the first 7; the 2 at (0, 3)


def test_ceil_mode_keeps_a_partial_last_window_hanging_past_the_edge():
    f = vp.pool_geometry_frame(X, 2, ceil_mode=True)  # 5×6 → 3×3: the third row of windows is partial
    grid_in = panels(f)["input"]
    assert (panels(f)["output"]["r"], panels(f)["output"]["c"]) == (3, 3)
    assert grid_in["r"] == 6 and grid_in["fill"][5] == "_" * 6  # the blank overhang below row 4


def test_every_setting_of_the_chapter_explorer_shows_the_layer_output_size():
    import torch

    ex = vp.pool_explorer(X)
    assert len(ex) == 192 and ex.payload <= 250_000
    for setting, frame in zip(ex.settings, ex.frames, strict=True):
        k, s, p, ceil = setting["kernel_size"], setting["stride"], setting["padding"], setting["ceil_mode"]
        try:
            shape = tuple(torch.nn.functional.max_pool2d(torch.tensor(X)[None, None], k, s, p,
                                                         ceil_mode=ceil).shape[2:])
        except RuntimeError:
            shape = None
        out = panels(frame)["output"]
        if shape is None:
            assert out["t"] == "msg" and p > k // 2, setting
        else:
            assert (out["r"], out["c"]) == shape, setting
            assert shape == ll.pool2d_output_size(5, 6, k, s, p, ceil_mode=ceil)


def test_explorer_frames_and_readouts_differ_for_every_setting():
    ex = vp.pool_explorer(X, kernel_size=[2, 3], stride=[1, 2], padding=[0, 1], mode=["max", "avg"],
                          ceil_mode=[False])
    assert list(ex.params) == ["kernel_size", "stride", "padding", "mode"]
    assert len(ex) == 16 and len({json.dumps(f) for f in ex.frames}) == 16 and len(set(ex.readouts)) == 16
    predicted = vp.pool_explorer(X, kernel_size=[3], stride=[2, 3], padding=[1], mode=["max"],
                                 ceil_mode=[False], predict=True)
    assert predicted.answers == [["3×3", ["3×3", "3"]], ["2×2", ["2×2", "2"]]]  # ⌊(5 + 2 − 3)/s⌋ + 1


def test_pool_backward_figure_shows_the_layer_gradient():
    x = np.array([[1, 3, 2, 1], [4, 2, 0, 5], [1, 1, 6, 6], [0, 2, 6, 1]], dtype=float)
    dy = np.array([[1.0, -2.0], [3.0, 0.5]])
    fig = vp.draw_pool_backward(x, dy, 2)
    pool = ll.MaxPool2d(2)
    pool(x[None, None])
    dx = pool.backward(dy[None, None])[0, 0]
    assert cell_texts(fig.axes[3]) == [vp._fmt(v) for v in dx.ravel()]
    assert [ax.get_title() for ax in fig.axes] == ["input x", "output y", "upstream dy", "dx = backward(dy)"]
    fig = vp.draw_pool_backward(x, dy, 2, mode="avg")
    assert cell_texts(fig.axes[3])[:2] == ["0.25", "0.25"] and "dy / 4" in fig._suptitle.get_text()
    with pytest.raises(ValueError):
        vp.draw_pool_backward(x, np.ones((3, 3)), 2)


def test_shift_changes_measures_invariance():
    x = np.zeros((3, 1, 12, 12))
    x[:, 0, 4:8, 4:8] = np.random.default_rng(0).uniform(size=(3, 4, 4))
    out = vp.shift_changes(x, lambda v: v, {"none": lambda f: f, "global": ll.AdaptiveAvgPool2d(1),
                                            "max4": ll.MaxPool2d(4)}, [0, 1, 2])
    assert set(out) == {"none", "global", "max4"}
    np.testing.assert_allclose([v[0] for v in out.values()], 0.0)
    np.testing.assert_allclose(out["global"], 0.0, atol=1e-12)
    assert out["none"][1] > 0.5 and out["max4"][1] < out["none"][1]
    # by hand for one image and shift 1
    a, b = x[:1], np.roll(x[:1], 1, axis=-1)
    single = vp.shift_changes(a, lambda v: v, {"none": lambda f: f}, [1])["none"][0]
    assert np.isclose(single, np.linalg.norm(b - a) / np.linalg.norm(a))


def test_shift_example_grid():
    rows = {"original": [np.ones((4, 4)), np.zeros((2, 2))], "shifted": [np.ones((4, 4)), np.zeros((2, 2))]}
    fig = vp.draw_shift_example(rows, ["input", "pooled"], title="t")
    assert len(fig.axes) == 4 and fig.axes[0].get_title() == "input"
    assert fig.axes[0].get_ylabel() == "original"
    assert fig.axes[3].get_xlabel() == "2×2 pixels" and fig._suptitle.get_text() == "t"


def test_plot_shift_changes_has_one_curve_per_pooling_and_integer_shifts():
    changes = {"none": np.array([0.0, 0.3, 0.5]), "global": np.zeros(3)}
    fig = vp.plot_shift_changes(changes, [0, 1, 2])
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and list(ax.get_xticks()) == [0, 1, 2]
    assert ax.get_title() and "shift" in ax.get_xlabel() and ax.get_ylabel()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.0, 0.3, 0.5])
