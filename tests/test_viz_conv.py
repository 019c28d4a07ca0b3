"""The figures of the convolution chapter (layers_lib.viz.conv)."""

from __future__ import annotations

import itertools

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


def test_draw_conv_geometry_marks_taps_unread_cells_and_the_output():
    fig = vc.draw_conv_geometry(7, 7, kernel_size=2, stride=3)
    ax_in, ax_out = fig.axes
    assert "Conv2d(kernel_size=2, stride=3, padding=0, dilation=1)" in fig._suptitle.get_text()
    assert ax_in.get_xlabel() and ax_in.get_ylabel() and ax_out.get_xlabel() == "output 2×2"
    taps_a = ax_in.collections[1].get_offsets()  # (col, row) of the taps of output (0, 0)
    taps_b = ax_in.collections[2].get_offsets()
    assert sorted(map(tuple, np.asarray(taps_a).tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert sorted(map(tuple, np.asarray(taps_b).tolist())) == [(3, 0), (3, 1), (4, 0), (4, 1)]
    crosses = ax_in.lines[0]
    unread = set(zip(crosses.get_ydata(), crosses.get_xdata(), strict=True))
    assert (2, 0) in unread and (6, 6) in unread and (0, 0) not in unread and (3, 4) not in unread


def test_dilated_taps_are_spread_apart():
    fig = vc.draw_conv_geometry(9, 9, kernel_size=3, dilation=2)
    taps = np.asarray(fig.axes[0].collections[1].get_offsets())
    assert sorted(set(taps[:, 0].tolist())) == [0, 2, 4]


def test_canvas_repaints_without_new_artists_and_checks_its_room():
    canvas = vc.ConvGeometryCanvas(7, 7, max_padding=2, max_out=(10, 10), figure=matplotlib.figure.Figure())
    fig = canvas.draw(3, 1, 1, 1)
    n_artists = len(fig.axes[0].get_children())
    canvas.draw(4, 3, 2, 1)
    assert len(fig.axes[0].get_children()) == n_artists
    with pytest.raises(ValueError, match="does not fit this canvas"):
        canvas.draw(2, 1, 3, 1)
    with pytest.raises(ValueError, match="does not fit"):
        vc.draw_conv_geometry(3, 3, kernel_size=5)


def test_geometry_explorer_has_one_distinct_frame_and_readout_per_setting():
    ex = vc.geometry_explorer(h=7, w=7, kernel_size=[2, 3], stride=[1, 2], padding=[0, 1], title="t")
    assert list(ex.params) == ["kernel_size", "stride", "padding"]  # single-valued dilation is fixed
    assert len(ex) == 8 and len(set(ex.frames)) == 8 and len(set(ex.readouts)) == 8
    for setting, readout in zip(ex.settings, ex.readouts, strict=True):
        ho, _ = ll.conv2d_output_size(7, 7, setting["kernel_size"], setting["stride"], setting["padding"])
        assert f"output {ho}×{ho}" in readout and "<br>" in readout
    dil = vc.geometry_explorer(h=9, w=9, kernel_size=[3], stride=[1], padding=[0, 2], dilation=[1, 2])
    assert list(dil.params) == ["padding", "dilation"] and len(set(dil.frames)) == 4


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
    ex = vc.geometry_explorer(h=7, w=7, kernel_size=[2, 4], stride=[1, 3], padding=[0, 2])
    grid = [dict(zip(["kernel_size", "stride", "padding"], c, strict=True))
            for c in itertools.product([2, 4], [1, 3], [0, 2])]
    assert ex.settings == grid
