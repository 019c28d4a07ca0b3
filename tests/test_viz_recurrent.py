"""The figures and numeric helpers of the chapters on recurrent layers and on LSTM and GRU
(layers_lib.viz.recurrent)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import layers_lib as ll
from layers_lib import viz
from layers_lib.viz import recurrent as vr

matplotlib.use("Agg")


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


@pytest.mark.parametrize("draw", [lambda: vr.draw_unrolled(4), lambda: vr.draw_unrolled(3, 2, True),
                                  vr.draw_lstm_cell, vr.draw_gru_cell],
                         ids=["unrolled", "stacked", "lstm", "gru"])
def test_diagram_text_is_at_least_the_minimum_font_size(draw):
    fig = draw()
    texts = [t for ax in fig.axes for t in ax.texts] + [ax.title for ax in fig.axes]
    assert min(t.get_fontsize() for t in texts) >= viz.MIN_FONT_PT
    matplotlib.pyplot.close(fig)


# -- data figures -----------------------------------------------------------------------------------
def test_plot_hidden_states_shows_units_against_time():
    states = np.tanh(np.random.default_rng(0).normal(size=(12, 5)))
    fig = vr.plot_hidden_states(states, inputs=np.sin(np.arange(12)), target=np.zeros(12), title="hs")
    heat = fig.axes[1]
    assert fig.axes[0].get_title() == "hs"
    assert heat.get_xlabel() == "time step t" and heat.get_ylabel() == "hidden unit"
    np.testing.assert_allclose(heat.images[0].get_array(), states.T)  # units are rows
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), np.sin(np.arange(12)))
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["input", "target"]
    with pytest.raises(ValueError, match="plot_hidden_states expected states of shape"):
        vr.plot_hidden_states(np.zeros(5))
    with pytest.raises(ValueError, match=r"plot_hidden_states expected inputs of shape \(12,\), got \(3,\)"):
        vr.plot_hidden_states(states, inputs=np.zeros(3))


def test_plot_memory_traces_draws_one_line_per_sequence_with_one_legend_entry_per_class():
    values = np.arange(24.0).reshape(6, 4)
    fig = vr.plot_memory_traces(values, np.array([0, 0, 1, 1, 2, 2]), names="ABC")
    ax = fig.axes[0]
    assert len(ax.lines) == 6 and ax.get_title() and ax.get_xlabel() == "time step t"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B", "C"]


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


# -- explorer frames: data (charts of numbers) checked against independent computations -------------
def _lines(panel):
    return [m for m in panel["marks"] if m["m"] == "line"]


def _close_log10(plotted, expected):
    """Chart y values of a log axis are log10 of the data, kept to four significant digits."""
    np.testing.assert_allclose(plotted, np.log10(expected), rtol=1e-3, atol=1e-3)


def test_gates_frame_colours_sigmoid_gates_on_the_unit_interval_and_the_rest_around_zero():
    rng = np.random.default_rng(1)
    gates = {"i": rng.uniform(size=(6, 3)), "g": rng.uniform(-2, 1, size=(6, 3))}
    f = viz.recurrent.gates_frame(gates, symbols=list("ABCDEF"), title="gates")
    i_panel, g_panel = f["panels"]
    assert f["title"] == "gates" and [p["t"] for p in f["panels"]] == ["chart", "chart"]
    assert i_panel["title"].startswith("input gate i (0 … 1)") and g_panel["title"].startswith("candidate g")
    (i_cells,), (g_cells,) = i_panel["marks"], g_panel["marks"]
    # rows are units (unit 0 on top), columns time steps; values rounded to 0.01
    np.testing.assert_allclose(i_cells["v"], gates["i"].T, atol=0.0051)
    m = np.abs(gates["g"]).max()
    np.testing.assert_allclose(g_cells["v"], gates["g"].T / m, atol=0.006)
    assert g_cells.get("div") == 1 and "div" not in i_cells
    assert i_cells["y0"] == 2.5 and i_cells["dy"] == -1  # matrix orientation: row 0 at the top
    assert [label for _, label in g_panel["xt"]] == list("ABCDEF")
    assert [v for v, _ in g_panel["xt"]] == [1, 2, 3, 4, 5, 6]  # time steps from 1
    assert g_panel.get("xl") and not i_panel.get("xl")  # the shared time axis is named once, at the bottom
    some = viz.recurrent.gates_frame(gates, units=[2, 0])
    np.testing.assert_allclose(some["panels"][0]["marks"][0]["v"], gates["i"][:, [2, 0]].T, atol=0.0051)
    with pytest.raises(ValueError, match="gates_frame expected .* one shape"):
        viz.recurrent.gates_frame({"i": np.zeros((3, 2)), "f": np.zeros((4, 2))})
    with pytest.raises(ValueError, match="gates_frame expected 6 symbols, got 2"):
        viz.recurrent.gates_frame(gates, symbols="AB")
    with pytest.raises(ValueError, match="gates_frame expected a non-empty dict"):
        viz.recurrent.gates_frame({})


def test_lstm_gates_frame_shows_the_gates_the_lstm_computes():
    """The colours are the LSTM's own gates, recomputed here from its weights step by step."""
    lstm = ll.LSTM(3, 4, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(7, 3))
    f = vr.lstm_gates_frame(lstm, x, title="inside")
    assert [p["title"].split(" (")[0] for p in f["panels"]] == [
        "input gate i", "forget gate f", "candidate g", "output gate o", "cell state c"]
    w_ih, w_hh = lstm.weight_ih_l0.data, lstm.weight_hh_l0.data
    b = lstm.bias_ih_l0.data + lstm.bias_hh_l0.data
    h, c, seen = np.zeros(4), np.zeros(4), {k: [] for k in "ifgoc"}
    for t in range(7):
        z = w_ih @ x[t] + w_hh @ h + b
        i, fg, g, o = np.split(z, 4)
        i, fg, g, o = 1 / (1 + np.exp(-i)), 1 / (1 + np.exp(-fg)), np.tanh(g), 1 / (1 + np.exp(-o))
        c = fg * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifgoc", (i, fg, g, o, c), strict=True):
            seen[k].append(v)
    for panel, k in zip(f["panels"], "ifgoc", strict=True):
        expected = np.array(seen[k]).T  # (units, T)
        if k in "gc":
            expected = expected / np.abs(expected).max()  # symmetric around 0
        np.testing.assert_allclose(panel["marks"][0]["v"], expected, atol=0.006)


def test_gradient_norms_chart_is_a_log_chart_with_fixed_styles():
    panel = vr.gradient_norms_chart({"LSTM": [1e-3, 1e-2, 1.0], "GRU": [0.0, 1e-1, 1.0]}, ylim=(1e-5, 10),
                                    reference=("ref", [1, 1, 1])).to_dict()
    lstm, gru, ref = _lines(panel)
    assert panel["y"] == [-5, 1] and lstm["y"] == [-3, -2, 0]
    assert gru["y"][0] is None  # a zero norm leaves a gap instead of -inf
    assert [name for *_, name in panel["legend"]] == ["LSTM", "GRU", "ref"]
    assert "dash" not in lstm and gru["dash"] == ref["dash"] == 1 and lstm["c"] != gru["c"]
    assert panel["xl"] and panel["yl"] and panel["title"]
    with pytest.raises(ValueError, match="gradient_norms_chart"):
        vr.gradient_norms_chart({})


@pytest.mark.parametrize("radius, nonlinearity", [(0.75, "linear"), (1.0, "tanh"), (2.5, "relu")])
def test_gradient_flow_frame_plots_dl_dh_t_measured_with_the_rnn_layer(radius, nonlinearity):
    """dL/dh_t is dL/dh_0 of the RNN layer run from h_t on the rest of the sequence: measured that
    way with ll.RNN's own backward, for a loss on the last state."""
    steps, hidden = 12, 6
    rng = np.random.default_rng(0)
    w_hh = vr.matrix_with_spectral_radius(hidden, radius, rng)
    gx = rng.normal(scale=0.5, size=(steps, 8, hidden))
    panel = vr.gradient_flow_frame(radius, nonlinearity, steps=steps, hidden=hidden).to_dict()
    measured, reference = _lines(panel)
    if nonlinearity == "linear":
        ones = np.ones((8, hidden))
        expected = [np.linalg.norm(ones @ np.linalg.matrix_power(w_hh, steps - t)) for t in range(steps + 1)]
    else:
        rnn = ll.RNN(hidden, hidden, nonlinearity=nonlinearity, bias=False, rng=np.random.default_rng(1))
        rnn.weight_ih_l0.data, rnn.weight_hh_l0.data = np.eye(hidden), w_hh
        x = gx.transpose(1, 0, 2)  # (N, T, H): the input's contribution is x itself
        states = np.concatenate([np.zeros((8, 1, hidden)), rnn(x)[0]], axis=1)  # h_0 … h_T
        expected = []
        for t in range(steps):
            out, _ = rnn(x[:, t:], states[:, t][None])
            rnn.backward(np.zeros_like(out), np.ones((1, 8, hidden)))
            expected.append(np.linalg.norm(rnn.dh0))
        expected.append(np.sqrt(8 * hidden))
    assert measured["x"] == list(range(steps + 1))
    _close_log10(measured["y"], expected)
    _close_log10(reference["y"], np.sqrt(8 * hidden) * radius ** (steps - np.arange(steps + 1.0)))
    assert panel["y"] == [-22, 21]  # fixed for every setting


def test_gate_bias_frame_plots_each_layers_relative_input_gradient():
    """||dL/dx_t|| / ||dL/dx_T|| from each layer's backward, with the forget/update-gate bias set."""
    steps, bias = 20, 3.0
    x = np.random.default_rng(1).normal(size=(8, steps, 8))
    panel = vr.gate_bias_frame(bias, steps).to_dict()
    assert [name for *_, name in panel["legend"]] == [
        "RNN", "LSTM, forget-gate bias: 3", "GRU, update-gate bias: 3"]
    for kind, line in zip(("RNN", "LSTM", "GRU"), _lines(panel), strict=True):
        model = getattr(ll, kind)(8, 32, rng=np.random.default_rng(0))
        if kind != "RNN":
            model.bias_ih_l0.data[32:64], model.bias_hh_l0.data[32:64] = bias, 0.0
        out, _ = model(x)
        d_out = np.zeros_like(out)
        d_out[:, -1] = np.random.default_rng(0).normal(size=(8, 32))
        dx = model.backward(d_out)
        norms = np.linalg.norm(dx, axis=(0, 2))
        _close_log10(line["y"], norms / norms[-1])
    assert panel["y"] == [-30, 2]


def test_gate_bias_readout_states_the_gates_memory():
    assert "σ(b) = 0.993" in vr.gate_bias_readout(5, 50) and "149.4 steps" in vr.gate_bias_readout(5, 50)
    assert "default" in vr.gate_bias_readout("default", 50)


def test_gradient_flow_readout_names_the_verdict():
    assert "vanishes" in vr.gradient_flow_readout(0.5, "linear")
    assert "explodes" in vr.gradient_flow_readout(2.0, "linear")
    assert "ρ<sup>40</sup> = 1.10 × 10<sup>12</sup>" in vr.gradient_flow_readout(2.0, "linear")  # 2^40
    # powers of ten written out: nbval's sanitiser would hide a plain 9.09e-13 as rounding noise
    assert "9.09 × 10<sup>−13</sup>" in vr.gradient_flow_readout(0.5, "linear") and "e-" not in (
        vr.gradient_flow_readout(0.5, "linear") + vr.gate_bias_readout(1, 50))


def test_the_chapters_explorers_are_data_within_the_payload_and_differ_for_every_setting():
    flow = viz.explore(vr.gradient_flow_frame, {"radius": [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0],
                                                "nonlinearity": ["linear", "tanh", "relu"]},
                       readout=vr.gradient_flow_readout, mode="static", title="flow")
    bias = viz.explore(vr.gate_bias_frame, {"gate_bias": ["default", 1, 2, 3, 4, 5], "steps": [50, 100, 200]},
                       readout=vr.gate_bias_readout, mode="static", title="bias")
    for ex in (flow, bias):
        assert ex.payload < 250_000
        assert all(p["t"] == "chart" for f in ex.frames for p in f["panels"])  # no raster, no matplotlib
        assert len({json.dumps(f, sort_keys=True) for f in ex.frames}) == len(ex.frames)
        assert len(set(ex.readouts)) == len(ex.readouts)


def test_the_gates_explorer_fits_the_page_budget_in_the_worst_case():
    """The chapter's gates explorer: 6 sequences of T = 40 steps, 32 units, five heat maps. Every
    colour a two-decimal number with a sign is the largest a frame can get."""
    rng = np.random.default_rng(0)
    symbols = np.array(list("ABCD"))[rng.integers(0, 4, size=40)]

    def draw(example):
        r = np.random.default_rng(example)
        gates = {k: r.uniform(0.01, 0.99, size=(40, 32)) for k in "ifo"}
        gates["g"], gates["c"] = r.uniform(-0.99, -0.01, size=(40, 32)), -r.uniform(1, 30, size=(40, 32))
        return viz.recurrent.gates_frame(dict(sorted(gates.items())), symbols=symbols, title="t")

    ex = viz.explore(draw, {"example": list(range(6))}, mode="static", title="gates")
    assert ex.payload < 250_000
