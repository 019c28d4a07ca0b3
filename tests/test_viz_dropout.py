"""The dropout chapter's figures (layers_lib.viz.dropout)."""

from __future__ import annotations

import io
import json

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


def _expected(p: float, seed: int, shape=(5, 8)):
    """The input, the keep mask and the output, computed here: ll.Dropout's own mask, and the
    output from the inverted-dropout formula x · mask / (1 − p) with numpy."""
    x = vd.example_activations(shape)
    drop = ll.Dropout(p, rng=np.random.default_rng(seed))
    y = drop(x)
    keep = drop.mask if drop.mask is not None else np.ones(shape, dtype=bool)
    np.testing.assert_allclose(y, x * keep / (1 - p))
    return x, keep, y


@pytest.mark.parametrize("p, seed", [(0.25, 1), (0.5, 0), (0.9, 1)])
def test_dropout_mask_frame_shows_input_mask_and_scaled_output(p, seed):
    x, keep, y = _expected(p, seed)
    f = vd.dropout_mask_frame(p=p, seed=seed)
    json.dumps(f)
    assert f["title"] == f"Dropout with p = {p:g} (probability of dropping), seed {seed}"
    inputs, mask, output = f["panels"]
    assert {g["t"] for g in f["panels"]} == {"grid"}
    assert inputs["title"] == "input x" and mask["title"] == f"mask: {keep.sum()} of 40 kept"
    assert output["title"] == f"output = x · mask / (1 − {p:g})"
    assert all(g["ri"] == [str(i) for i in range(5)] and g["ci"] == [str(j) for j in range(8)]
               for g in f["panels"])
    # the input: every activation written in its cell
    assert inputs["fill"] == ["h" * 8] * 5
    np.testing.assert_allclose(np.array(inputs["labels"], dtype=float), x)
    # the mask: role d ("dropped") exactly where ll.Dropout dropped, and the words keep / drop
    dropped = np.array([[c == "d" for c in row] for row in mask["fill"]])
    np.testing.assert_array_equal(dropped, ~keep)
    np.testing.assert_array_equal(np.array(mask["labels"]) == "keep", keep)
    # the output: 0 in the dropped cells, x / (1 − p) to one decimal in the kept ones
    np.testing.assert_array_equal(np.array([[c == "d" for c in row] for row in output["fill"]]), ~keep)
    written = np.array(output["labels"], dtype=float)
    np.testing.assert_allclose(written, y, atol=0.05 + 1e-9)
    assert all(label == "0" for label in np.array(output["labels"])[~keep])
    # one shading scale for input and output: the largest output is the full colour
    top = y.max()
    np.testing.assert_allclose(inputs["heat"], x / top, atol=5e-4)
    np.testing.assert_allclose(np.array(output["heat"])[keep], (y / top)[keep], atol=5e-4)


def test_dropout_mask_frame_without_dropping_and_with_a_bad_p():
    f = vd.dropout_mask_frame(p=0.0, seed=0, shape=(3, 4))
    inputs, mask, output = f["panels"]
    assert mask["fill"] == ["cccc"] * 3 and mask["title"] == "mask: 12 of 12 kept"
    assert output["labels"] == inputs["labels"]  # p = 0: the output is the input
    with pytest.raises(ValueError, match=r"Dropout expected the drop probability p in \[0, 1\), got 1"):
        vd.dropout_mask_frame(p=1.0)
    with pytest.raises(ValueError, match=r"got -0.1"):
        vd.dropout_mask_frame(p=-0.1)


def test_dropout_explorer_frames_and_readouts_differ_per_slider():
    ex = viz.explore(vd.dropout_mask_frame, {"p": [0.1, 0.3, 0.5, 0.7, 0.9], "seed": [0, 1]},
                     readout=vd.dropout_readout, mode="static")
    assert len({json.dumps(f, sort_keys=True) for f in ex.frames}) == 10 and len(set(ex.readouts)) == 10
    assert "data:image" not in ex.html and "<img" not in ex.html and ex.payload < 250_000


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
