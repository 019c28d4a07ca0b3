"""The figures of the convolution chapter (layers_lib.viz.conv)."""

from __future__ import annotations

import itertools
import json

import matplotlib
import numpy as np
import pytest

import layers_lib as ll
from layers_lib.viz import conv as vc

matplotlib.use("Agg")


@pytest.mark.parametrize("n, k, s, p, d",
                         [(7, 3, 2, 1, 1), (8, 3, 2, 0, 1), (9, 3, 1, 2, 2), (28, 5, 3, 0, 1)])
def test_output_size_formula_fills_in_the_numbers_and_agrees_with_the_layer(n, k, s, p, d):
    text = vc.output_size_formula(n, k, s, p, d, name="H")
    assert text.startswith(f"H_out = ⌊({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1")
    assert text.endswith(f"= {ll.conv2d_output_size(n, n, k, s, p, d)[0]}")


def test_readout_names_the_rows_and_columns_no_window_reads():
    # kernel 2, stride 3 on 7: windows cover 0-1 and 3-4: rows 2, 5, 6 are never read
    text = vc.conv_geometry_readout(7, 7, 2, stride=3)
    assert "output 2×2" in text and "rows 2, 5, 6" in text and "columns 2, 5, 6" in text
    # with padding only a padding row can be dropped: input index 8 (the last padding row)
    assert "row 8 and column 8" in vc.conv_geometry_readout(7, 7, 4, stride=3, padding=2)
    assert "'same' padding" in vc.conv_geometry_readout(7, 7, 3, padding=1)
    assert "every row and column is read" in vc.conv_geometry_readout(7, 7, 3, padding=1)
    # a non-square input gets its own formula per axis
    lines = vc.conv_geometry_readout(5, 9, 3, stride=2).splitlines()
    assert lines[0].endswith("= 2") and lines[1].endswith("= 4")


def panels(frame):
    return {p["title"].split()[0].rstrip(":"): p for p in frame["panels"]}


def test_geometry_frame_marks_taps_unread_cells_and_the_output():
    f = vc.conv_geometry_frame(7, 7, kernel_size=2, stride=3)
    assert f["title"] == "Conv2d(kernel_size=2, stride=3, padding=0, dilation=1) on a 7×7 input"
    grid_in, grid_out = panels(f)["input"], panels(f)["output"]
    assert grid_out["title"] == "output 2×2" and (grid_out["r"], grid_out["c"]) == (2, 2)
    taps_a = sorted((r, c) for r, c, s in grid_in["dots"] if s == "a")
    taps_b = sorted((r, c) for r, c, s in grid_in["dots"] if s == "b")
    assert taps_a == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert taps_b == [(0, 3), (0, 4), (1, 3), (1, 4)]  # stride 3 columns further
    # windows start at 0 and 3 and span 2: rows/columns 2, 5 and 6 are never read
    unread = {(r, c) for r, row in enumerate(grid_in["fill"]) for c, role in enumerate(row) if role == "x"}
    expected = {(r, c) for r in range(7) for c in range(7) if r in (2, 5, 6) or c in (2, 5, 6)}
    assert unread == expected


def test_dilated_taps_are_spread_apart_and_padding_is_numbered_negative():
    f = vc.conv_geometry_frame(9, 9, kernel_size=3, dilation=2, padding=1)
    grid_in = panels(f)["input"]
    assert sorted({c for _, c, s in grid_in["dots"] if s == "a"}) == [0, 2, 4]
    assert grid_in["i0"] == -1 and grid_in["fill"][0] == "p" * 11 and grid_in["fill"][1][1:-1] == "c" * 9
    assert grid_in["boxes"][0] == [0, 0, 5, 5, "a"]  # a window spans dilation·(k − 1) + 1 = 5 cells


def test_a_kernel_that_does_not_fit_gets_a_frame_that_says_so():
    f = vc.conv_geometry_frame(3, 3, kernel_size=5)
    assert [p["t"] for p in f["panels"]] == ["grid", "msg"]
    assert "the kernel spans 5 cells" in f["panels"][1]["text"] and "has only 3" in f["panels"][1]["text"]


def test_every_setting_of_the_chapter_explorer_shows_the_output_size_of_the_layer():
    """The 240 settings of the conv chapter's explorer: the output grid of each frame has exactly the
    size PyTorch's Conv2d gives (checked with torch itself), or the frame says the kernel does not fit."""
    import torch

    ex = vc.geometry_explorer(h=7, w=7)
    assert len(ex) == 240 and ex.payload <= 250_000
    x = torch.zeros(1, 1, 7, 7, dtype=torch.float64)
    for setting, frame in zip(ex.settings, ex.frames, strict=True):
        k, s, p, d = setting["kernel_size"], setting["stride"], setting["padding"], setting["dilation"]
        try:
            shape = tuple(torch.nn.functional.conv2d(x, torch.zeros(1, 1, k, k, dtype=torch.float64),
                                                     stride=s, padding=p, dilation=d).shape[2:])
        except RuntimeError:
            shape = None
        out = panels(frame)["output"]
        if shape is None:
            assert out["t"] == "msg", setting
            assert ll.conv2d_output_size(7, 7, k, s, p, d)[0] < 1
        else:
            assert (out["r"], out["c"]) == shape == ll.conv2d_output_size(7, 7, k, s, p, d), setting
            assert len(out["fill"]) * len(out["fill"][0]) == shape[0] * shape[1]


def test_predicting_explorer_hides_the_output_and_knows_the_answer():
    ex = vc.geometry_explorer(h=7, w=7, kernel_size=[4], stride=[3], padding=[1, 2], dilation=[1],
                              predict=True)
    assert ex.question == "Output size (H×W)?"
    assert [a[0] for a in ex.answers] == ["2×2", "3×3"]  # ⌊(7 + 2 − 4)/3⌋ + 1 = 2, ⌊(7 + 4 − 4)/3⌋ + 1 = 3
    assert all(panels(f)["output"]["answer"] for f in ex.frames)


def test_geometry_explorer_has_one_distinct_frame_and_readout_per_setting():
    ex = vc.geometry_explorer(h=7, w=7, kernel_size=[2, 3], stride=[1, 2], padding=[0, 1], dilation=[1],
                              title="t")
    assert list(ex.params) == ["kernel_size", "stride", "padding"]  # single-valued dilation is fixed
    frames = {json.dumps(f) for f in ex.frames}
    assert len(ex) == 8 and len(frames) == 8 and len(set(ex.readouts)) == 8
    for setting, readout in zip(ex.settings, ex.readouts, strict=True):
        ho, _ = ll.conv2d_output_size(7, 7, setting["kernel_size"], setting["stride"], setting["padding"])
        assert f"output {ho}×{ho}" in readout and "<br>" in readout
    dil = vc.geometry_explorer(h=9, w=9, kernel_size=[3], stride=[1], padding=[0, 2], dilation=[1, 2])
    assert list(dil.params) == ["padding", "dilation"] and len({json.dumps(f) for f in dil.frames}) == 4


@pytest.mark.parametrize("layers", [[(3, 1)] * 4, [(3, 1), (2, 2), (3, 1), (2, 2)], [(3, 2, 2), (5, 1, 3)]])
def test_receptive_field_matches_the_gradient_support_of_a_real_stack(layers):
    """The receptive field is exactly the set of inputs with a non-zero gradient (1-D, via Conv2d)."""
    rng = np.random.default_rng(0)
    net = ll.Sequential(*[ll.Conv2d(1, 1, (1, k), stride=(1, s), dilation=(1, d), rng=rng)
                          for k, s, d in [(tuple(layer) + (1,))[:3] for layer in layers]])
    for conv in net:
        conv.weight.data[:] = rng.uniform(0.5, 1.5, size=conv.weight.shape)  # no cancellation
    x = np.ones((1, 1, 1, 80))
    y = net(x)
    dy = np.zeros_like(y)
    dy[..., 0] = 1.0
    support = np.flatnonzero(net.backward(dy))
    r, j = vc.receptive_field(layers)[-1]
    assert support.max() - support.min() + 1 == r
    assert j == np.prod([layer[1] for layer in layers])


def test_other_figures_have_titles_and_labels():
    fig = vc.draw_receptive_field([(3, 1), (3, 1)], n_in=9)
    assert "7" not in fig.axes[0].get_xlabel() and "5 input pixels" in fig.axes[0].get_xlabel()
    assert fig.axes[0].get_title()
    fig = vc.plot_receptive_fields({"a": [(3, 1)] * 3, "b": [(3, 2)] * 3})
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1, 3, 5, 7])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1, 3, 7, 15])
    fig = vc.draw_connectivity(n=5, kernel_size=3)
    dense, conv = fig.axes
    assert "25 weights" in dense.get_title() and "3 shared weights" in conv.get_title()
    assert len(conv.lines) == 5 * 3 - 2  # the two border outputs have one neighbour fewer
    fig = vc.draw_filters(3, 4, 3)
    assert "112 parameters" in " ".join(t.get_text() for t in fig.axes[0].texts)
    fig = vc.draw_feature_maps(np.ones((6, 5)), np.zeros((2, 6, 5)), ["a", "b"], title="maps")
    assert [ax.get_title() for ax in fig.axes] == ["input", "a", "b"] and fig._suptitle.get_text() == "maps"
    with pytest.raises(ValueError):
        vc.draw_feature_maps(np.ones((6, 5)), np.zeros((2, 6, 5)), ["only one"])


def test_transposed_conv_panels_sum_to_the_layer_output():
    x, k = np.array([[1.0, 2.0], [3.0, 4.0]]), np.arange(9.0).reshape(3, 3)
    fig = vc.draw_transposed_conv(x, k, stride=2)
    axes = fig.axes
    assert len(axes) == 2 + 4 + 1 and "output 5×5" in axes[-1].get_title()
    parts = sum(ax.images[0].get_array() for ax in axes[2:6])
    up = ll.ConvTranspose2d(1, 1, 3, stride=2, bias=False)
    up.weight.data = k[None, None]
    np.testing.assert_allclose(parts, up(x[None, None])[0, 0])
    np.testing.assert_allclose(axes[-1].images[0].get_array(), parts)


def test_explorer_settings_cover_the_whole_grid():
    ex = vc.geometry_explorer(h=7, w=7, kernel_size=[2, 4], stride=[1, 3], padding=[0, 2], dilation=[1])
    grid = [dict(zip(["kernel_size", "stride", "padding"], c, strict=True))
            for c in itertools.product([2, 4], [1, 3], [0, 2])]
    assert ex.settings == grid


def test_transposed_explorer_counts_the_kernel_copies_torch_adds_up():
    """Every setting: the output grid has ConvTranspose2d's output size (torch), and each cell's
    count of overlapping kernel copies is torch's transposed convolution of ones with ones."""
    import torch

    ex = vc.transposed_geometry_explorer(h=3, w=3)
    assert len(ex) == 4 * 3 * 3 * 2 and ex.payload <= 250_000
    ones = torch.ones(1, 1, 3, 3, dtype=torch.float64)
    for setting, frame in zip(ex.settings, ex.frames, strict=True):
        k, s, p, op = (setting[n] for n in ("kernel_size", "stride", "padding", "output_padding"))
        try:
            y = torch.nn.functional.conv_transpose2d(ones, torch.ones(1, 1, k, k, dtype=torch.float64),
                                                     stride=s, padding=p, output_padding=op)[0, 0].numpy()
        except RuntimeError:
            y = None
        out = frame["panels"][1]
        if y is None or y.size == 0:
            assert out["t"] == "msg", setting
            continue
        assert out["title"].startswith(f"output {y.shape[0]}×{y.shape[1]} "), setting
        kept = [[int(label) for label, role in zip(row, roles, strict=True) if role in "he"]
                for row, roles in zip(out["labels"], out["fill"], strict=True)]
        kept = np.array([row for row in kept if row])
        np.testing.assert_array_equal(kept, y, err_msg=str(setting))
