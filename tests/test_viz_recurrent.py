"""The figures and numeric helpers of the chapters on recurrent layers and on LSTM and GRU
(layers_lib.viz.recurrent)."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import layers_lib as ll
from layers_lib import viz
from layers_lib.viz import recurrent as vr

matplotlib.use("Agg")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=30)
    matplotlib.pyplot.close(fig)
    return buf.getvalue()


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# -- diagrams ---------------------------------------------------------------------------------------
def test_draw_unrolled_draws_one_cell_per_step_and_names_the_shared_weights():
    fig = vr.draw_unrolled(steps=4)
    texts = _texts(fig)
    assert isinstance(fig, Figure) and "same weights" in fig.axes[0].get_title()
    assert texts.count("cell") == 4 + 1  # four unrolled cells and the folded one
    assert [f"$x_{{{t}}}$" in texts for t in range(1, 5)] == [True] * 4
    assert any("weight_ih_l0" in t and "weight_hh_l0" in t for t in texts)


def test_draw_unrolled_labels_h_n_like_pytorch_for_stacked_bidirectional_layers():
    fig = vr.draw_unrolled(steps=3, num_layers=2, bidirectional=True)
    texts = _texts(fig)
    assert texts.count("cell") == 3 * 2 * 2
    assert {f"h_n[{i}]" for i in range(4)} <= set(texts)
    assert {f"h_0[{i}]" for i in range(4)} <= set(texts)
    assert any("weight_ih_l1_reverse" in t for t in texts)
    assert "2-layer bidirectional" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="draw_unrolled"):
        vr.draw_unrolled(steps=1)


@pytest.mark.parametrize("draw, gates", [(vr.draw_lstm_cell, ["f: σ", "i: σ", "g: tanh", "o: σ"]),
                                         (vr.draw_gru_cell, ["z: σ", "r: σ", "n: tanh"])])
def test_cell_diagrams_show_every_gate_in_pytorch_notation(draw, gates):
    fig = draw()
    texts = _texts(fig)
    assert fig.axes[0].get_title()
    for gate in gates:
        assert gate in texts
    assert any("PyTorch stacks" in t for t in texts)


# -- data figures -----------------------------------------------------------------------------------
def test_plot_hidden_states_shows_units_against_time():
    states = np.tanh(np.random.default_rng(0).normal(size=(12, 5)))
    fig = vr.plot_hidden_states(states, inputs=np.sin(np.arange(12)), target=np.zeros(12), title="hs")
    heat = fig.axes[1]
    assert fig.axes[0].get_title() == "hs"
    assert heat.get_xlabel() == "time step t" and heat.get_ylabel() == "hidden unit"
    assert heat.images[0].get_array().shape == (5, 12)  # units are rows
    fig2 = vr.plot_hidden_states(states, inputs=list("abcdefghijkl"))
    assert "a" in _texts(fig2)
    with pytest.raises(ValueError, match="plot_hidden_states"):
        vr.plot_hidden_states(np.zeros(5))


def test_plot_gates_uses_unit_interval_for_sigmoid_gates_and_symmetric_limits_otherwise():
    rng = np.random.default_rng(1)
    gates = {"i": rng.uniform(size=(6, 3)), "g": rng.uniform(-2, 1, size=(6, 3))}
    fig = vr.plot_gates(gates, symbols=list("ABCDEF"), title="gates")
    heat_axes = [ax for ax in fig.axes if ax.images and ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in heat_axes] == ["input gate i", "candidate g"]
    assert heat_axes[0].images[0].get_clim() == (0.0, 1.0)
    assert heat_axes[1].images[0].get_clim() == (-2.0, 2.0) or np.allclose(
        heat_axes[1].images[0].get_clim(), (-np.abs(gates["g"]).max(), np.abs(gates["g"]).max()))
    assert [t.get_text() for t in heat_axes[-1].get_xticklabels()] == list("ABCDEF")
    assert fig._suptitle.get_text() == "gates"
    with pytest.raises(ValueError, match="plot_gates"):
        vr.plot_gates({"i": np.zeros((3, 2)), "f": np.zeros((4, 2))})


def test_plot_gradient_norms_is_logarithmic_and_labelled():
    fig = vr.plot_gradient_norms({"LSTM": [1e-3, 1e-2, 1.0]}, ylim=(1e-5, 10), reference=("ref", [1, 1, 1]))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx((1e-5, 10))
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["LSTM", "ref"]


def test_plot_memory_traces_draws_one_line_per_sequence_with_one_legend_entry_per_class():
    values = np.arange(24.0).reshape(6, 4)
    fig = vr.plot_memory_traces(values, np.array([0, 0, 1, 1, 2, 2]), names="ABC")
    ax = fig.axes[0]
    assert len(ax.lines) == 6 and ax.get_title() and ax.get_xlabel() == "time step t"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B", "C"]


def test_plot_lstm_gates_runs_the_model_and_shows_its_gates_and_cell_state():
    lstm = ll.LSTM(3, 4, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(7, 3))
    fig = vr.plot_lstm_gates(lstm, x, title="inside")
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images and ax.get_title(loc="left")]
    lstm(x[None])
    np.testing.assert_allclose(shown[0], lstm.gates["i"][0, 0].T)
    np.testing.assert_allclose(shown[-1], lstm.cell_states[0, 0].T)
    assert len(shown) == 5


# -- numeric helpers --------------------------------------------------------------------------------
def test_matrix_with_spectral_radius_has_the_requested_radius():
    for radius in (0.5, 1.0, 2.5):
        w = vr.matrix_with_spectral_radius(16, radius, np.random.default_rng(3))
        assert np.max(np.abs(np.linalg.eigvals(w))) == pytest.approx(radius)


def test_state_gradient_norms_matches_the_layers_backward_pass():
    """dL/dh_0 from the step-by-step loop equals RNN.backward's dh0 for a loss on h_T."""
    rng = np.random.default_rng(4)
    rnn = ll.RNN(3, 5, rng=rng)
    x = rng.normal(size=(2, 6, 3))
    gx = np.einsum("ntd,hd->tnh", x, rnn.weight_ih_l0.data) + rnn.bias_ih_l0.data + rnn.bias_hh_l0.data
    dh_last = rng.normal(size=(2, 5))
    norms = vr.state_gradient_norms(rnn.weight_hh_l0.data, gx, "tanh", dh_last=dh_last)
    out, h_n = rnn(x)
    rnn.backward(np.zeros_like(out), dh_last[None])
    assert norms.shape == (7,)
    assert norms[0] == pytest.approx(np.linalg.norm(rnn.dh0))
    assert norms[-1] == pytest.approx(np.linalg.norm(dh_last))


def test_state_gradient_norms_of_a_linear_rnn_follow_the_matrix_power():
    w = vr.matrix_with_spectral_radius(4, 0.8, np.random.default_rng(5))
    g = np.random.default_rng(6).normal(size=(1, 4))
    norms = vr.state_gradient_norms(w, np.zeros((5, 1, 4)), "linear", dh_last=g)
    for t in range(6):
        assert norms[t] == pytest.approx(np.linalg.norm(g @ np.linalg.matrix_power(w, 5 - t)))
    with pytest.raises(ValueError, match="nonlinearity"):
        vr.state_gradient_norms(w, np.zeros((5, 1, 4)), "sigmoid")


def test_input_gradient_norms_are_the_norms_of_dx_for_a_loss_on_the_last_step():
    gru = ll.GRU(2, 3, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(4, 5, 2))
    norms = vr.input_gradient_norms(gru, x, seed=0)
    out, _ = gru(x)
    d_out = np.zeros_like(out)
    d_out[:, -1] = np.random.default_rng(0).normal(size=(4, 3))
    dx = gru.backward(d_out)
    np.testing.assert_allclose(norms, np.linalg.norm(dx, axis=(0, 2)))


def test_gate_bias_gradients_sets_the_forget_and_update_gate_bias():
    default = vr.gate_bias_gradients("default", steps=30)
    open_gates = vr.gate_bias_gradients(5, steps=30)
    assert set(default) == {"RNN", "LSTM", "GRU"} and default["LSTM"].shape == (30,)
    np.testing.assert_allclose(default["RNN"], open_gates["RNN"])  # the RNN has no gates
    assert open_gates["LSTM"][0] > 1e6 * default["LSTM"][0]
    assert open_gates["GRU"][0] > 1e3 * default["GRU"][0]
    assert default["LSTM"][-1] == pytest.approx(1.0)


# -- explorer frames: every slider changes the picture and the read-out ------------------------------
def test_gradient_flow_frames_and_readouts_differ_for_every_setting():
    settings = [(r, nl) for r in (0.5, 1.0, 2.0) for nl in ("linear", "tanh", "relu")]
    frames = {_png(vr.gradient_flow_frame(r, nl)) for r, nl in settings}
    readouts = {vr.gradient_flow_readout(r, nl) for r, nl in settings}
    assert len(frames) == len(readouts) == len(settings)
    assert "vanishes" in vr.gradient_flow_readout(0.5, "linear")
    assert "explodes" in vr.gradient_flow_readout(2.0, "linear")


def test_gate_bias_frames_and_readouts_differ_for_every_setting():
    settings = [(b, t) for b in ("default", 1, 5) for t in (50, 100)]
    frames = {_png(vr.gate_bias_frame(b, t)) for b, t in settings}
    readouts = {vr.gate_bias_readout(b, t) for b, t in settings}
    assert len(frames) == len(readouts) == len(settings)
    assert "149.4 steps" in vr.gate_bias_readout(5, 50)


def test_the_explorers_build_in_static_mode():
    explorer = viz.explore(vr.gradient_flow_frame, {"radius": [0.5, 1.5], "nonlinearity": ["tanh"]},
                           readout=vr.gradient_flow_readout, mode="static", title="flow")
    assert len(explorer) == 2 and explorer.frames[0] != explorer.frames[1]
