"""Figures for the chapters on recurrent layers (RNN) and on LSTM and GRU.

* Diagrams: :func:`draw_unrolled` — an RNN unrolled in time, the *same* weights in every cell,
  optionally stacked and bidirectional; :func:`draw_lstm_cell`, :func:`draw_gru_cell` — one step
  with its gates in PyTorch's naming (LSTM ``i, f, g, o``; GRU ``r, z, n``).
* Data figures: :func:`plot_hidden_states` — the input above a heat map of the hidden state over
  time; :func:`plot_memory_traces` — one unit's state over time for many sequences, by class.
* The numbers behind them, computed with :mod:`layers_lib.recurrent`:
  :func:`matrix_with_spectral_radius`; :func:`state_gradient_norms` — backpropagation through
  time by hand, ``||dL/dh_t||`` for a loss on the last state; :func:`input_gradient_norms` —
  ``||dL/dx_t||`` for any recurrent layer; :func:`gate_bias_gradients` — those for an RNN, an LSTM
  and a GRU with a given forget-gate / update-gate bias.
* Explorer frames (data drawn by the page, :mod:`layers_lib.viz._scene`), each with a read-out:
  :func:`gradient_flow_frame` — vanishing and exploding gradients by spectral radius and
  nonlinearity; :func:`gate_bias_frame` — RNN vs LSTM vs GRU by gate bias and sequence length;
  :func:`gates_frame` / :func:`lstm_gates_frame` — gate activations over time, one heat map each;
  :func:`gradient_norms_chart` — norms against time on a log axis.
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

import layers_lib as ll

from ._scene import Chart, _pow10, frame, minus

__all__ = [
    "draw_unrolled", "draw_lstm_cell", "draw_gru_cell", "plot_hidden_states", "plot_memory_traces",
    "matrix_with_spectral_radius", "state_gradient_norms", "input_gradient_norms", "gate_bias_gradients",
    "gradient_flow_frame", "gradient_flow_readout", "gate_bias_frame", "gate_bias_readout",
    "gates_frame", "lstm_gates_frame", "gradient_norms_chart",
]

_CMAP = "viridis"  # lightness grows monotonically: readable in greyscale
_CELL, _GATE, _NODE, _INK, _LIGHT = "#c6d4ea", "#f4d7b5", "#ffffff", "#1f1f1f", "#6b6b6b"


# -- Drawing primitives (data coordinates, equal aspect) ----------------------------------------------------

def _arrow(ax, start, end, colour=_INK, lw=1.3, ls="-", zorder=2):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, lw=lw, color=colour,
                                 linestyle=ls, zorder=zorder, shrinkA=0, shrinkB=0))


def _line(ax, points, colour=_INK, lw=1.3, zorder=2):
    xs, ys = zip(*points, strict=True)
    ax.plot(xs, ys, color=colour, lw=lw, linestyle="-", zorder=zorder, solid_capstyle="round",
            solid_joinstyle="round")


def _path(ax, points, colour=_INK, lw=1.3, zorder=2):
    """A polyline ending in an arrow head."""
    if len(points) > 2:
        _line(ax, points[:-1], colour, lw, zorder)
    _arrow(ax, points[-2], points[-1], colour, lw, zorder=zorder)


def _box(ax, centre, width, height, text, face=_CELL, fontsize=10, zorder=3):
    x, y = centre
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0,rounding_size=0.07", fc=face, ec=_INK, lw=1.2,
                                zorder=zorder))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=zorder + 1)


def _node(ax, centre, text, radius=0.16, fontsize=10, zorder=4):
    ax.add_patch(Circle(centre, radius, fc=_NODE, ec=_INK, lw=1.2, zorder=zorder))
    ax.text(*centre, text, ha="center", va="center", fontsize=fontsize, zorder=zorder + 1)


def _finish(ax, fig, title, xlim, ylim):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return fig


# -- Diagrams -----------------------------------------------------------------------------------------------

def draw_unrolled(steps: int = 4, num_layers: int = 1, bidirectional: bool = False, folded: bool = True,
                  title: str | None = None):
    """Draw a recurrent layer unrolled in time.

    Each box is one application of the *same* cell with the same parameters (``weight_ih_l0``,
    ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``): ``x_t`` enters from below, ``h_t`` leaves
    upwards and is also handed to the next step. With ``folded=True`` (one layer, one direction)
    the compact picture — a cell whose output loops back to it, one step later — is drawn on the
    left. Stacked layers read the outputs of the layer below. A bidirectional layer has a second
    chain that runs from the last step to the first; its output at step ``t`` is the
    concatenation ``[h→_t ; h←_t]``. The states entering and leaving each chain are labelled with
    their index in PyTorch's ``h_0`` / ``h_n``: ``layer * num_directions + direction``.

    Args:
        steps: how many time steps to draw (2 to 6).
        num_layers: stacked layers (1 to 3).
        bidirectional: add the reverse chain to every layer.
        folded: also draw the folded picture (only for one layer, one direction).
        title: the figure title (a default describes the layout).

    Returns:
        The matplotlib Figure.
    """
    steps, num_layers = int(steps), int(num_layers)
    if not 2 <= steps <= 6 or not 1 <= num_layers <= 3:
        raise ValueError(f"draw_unrolled expected 2 <= steps <= 6 and 1 <= num_layers <= 3, "
                         f"got steps={steps}, num_layers={num_layers}")
    D = 2 if bidirectional else 1
    folded = bool(folded) and num_layers == 1 and D == 1
    dx, w, h = (2.2 if D == 2 else 1.9), 1.0, 0.5  # column spacing, cell width, cell height
    off = 0.36 if D == 2 else 0.0  # forward cells sit left of the column, reverse cells right
    row_gap, layer_height = 0.95, (1.35 if D == 1 else 2.55)
    x0 = 4.8 if folded else 0.0
    xs = [x0 + dx * t for t in range(steps)]
    y_in = -0.9
    # y of each chain: rows[layer][d]
    rows = [[layer * layer_height + d * row_gap for d in range(D)] for layer in range(num_layers)]
    # where each layer's output leaves (the concat node for bidirectional layers)
    outs = [(r[-1] + h / 2 + 0.45) if D == 2 else (r[0] + h / 2) for r in rows]
    y_top = outs[-1] + 0.75
    many = D == 2 or num_layers > 1  # room for the row labels and parameter names
    width = (xs[-1] - xs[0]) + 2 * off + w + (4.6 if folded else 1.2) + (7.0 if many else 1.5)
    height = y_top - y_in + (1.2 if many else 1.6)
    fig, ax = plt.subplots(figsize=(0.6 * width + 0.3, 0.6 * height + 0.45))
    for t, x in enumerate(xs):
        ax.text(x, y_in - 0.08, f"$x_{{{t + 1}}}$", ha="center", va="top", fontsize=11)
        if D == 1:
            ax.text(x, y_top + 0.05, f"$h_{{{t + 1}}}$", ha="center", va="bottom", fontsize=11)
        else:
            ax.text(x, y_top + 0.05, f"$[h^{{\\rightarrow}}_{{{t + 1}}};h^{{\\leftarrow}}_{{{t + 1}}}]$",
                    ha="center", va="bottom", fontsize=10)
    for layer in range(num_layers):
        src = y_in if layer == 0 else outs[layer - 1]
        split = rows[layer][0] - h / 2 - 0.3
        for x in xs:
            # inputs: x_t (layer 0) or the layer below, into every chain of this layer
            if D == 1:
                if layer == 0:  # (the layer below drew its arrow up to this one)
                    _arrow(ax, (x, src), (x, rows[layer][0] - h / 2), _LIGHT)
            else:
                _line(ax, [(x, src), (x, split)], _LIGHT)
                _path(ax, [(x, split), (x - off, split), (x - off, rows[layer][0] - h / 2)], _LIGHT)
                _path(ax, [(x, split), (x + off, split), (x + off, rows[layer][1] - h / 2)], _LIGHT)
            # outputs: up to the next layer, or out at the top
            if D == 1:
                y_next = y_top if layer == num_layers - 1 else rows[layer + 1][0] - h / 2
                _arrow(ax, (x, rows[layer][0] + h / 2), (x, y_next))
            else:
                yc = outs[layer]
                _path(ax, [(x - off, rows[layer][0] + h / 2), (x - off, yc - 0.12), (x - 0.12, yc)])
                _path(ax, [(x + off, rows[layer][1] + h / 2), (x + off, yc - 0.12), (x + 0.12, yc)])
                _node(ax, (x, yc), "", radius=0.12)  # the concatenation "‖", drawn as two bars
                for dx_bar in (-0.035, 0.035):
                    _line(ax, [(x + dx_bar, yc - 0.07), (x + dx_bar, yc + 0.07)], lw=1.1, zorder=6)
                if layer == num_layers - 1:
                    _arrow(ax, (x, yc + 0.12), (x, y_top))
        for d in range(D):
            y = rows[layer][d]
            idx = layer * D + d
            for x in xs:
                _box(ax, (x - off if d == 0 else x + off, y), w, h, "cell", fontsize=10)
            # the state handed along the chain
            for t in range(steps - 1):
                if d == 0:
                    _arrow(ax, (xs[t] - off + w / 2, y), (xs[t + 1] - off - w / 2, y))
                else:
                    _arrow(ax, (xs[t + 1] + off - w / 2, y), (xs[t] + off + w / 2, y))
            first, last, sgn = (xs[0] - off, xs[-1] - off, 1) if d == 0 else (xs[-1] + off, xs[0] + off, -1)
            _arrow(ax, (first - sgn * (w / 2 + 0.55), y), (first - sgn * w / 2, y))
            _arrow(ax, (last + sgn * w / 2, y), (last + sgn * (w / 2 + 0.55), y), ls="--")
            h0 = f"h_0[{idx}]" if many else "$h_0$"
            hn = f"h_n[{idx}]" if many else f"$h_{{{steps}}} = h_n$"
            ax.text(first - sgn * (w / 2 + 0.6), y, h0, ha="right" if d == 0 else "left", va="center",
                    fontsize=10)
            ax.text(last + sgn * (w / 2 + 0.62), y, hn, ha="left" if d == 0 else "right", va="center",
                    fontsize=10)
            if many:
                name = f"layer {layer}" + ("" if D == 1 else (", forward →" if d == 0 else ", reverse ←"))
                ax.text(xs[0] - off - w / 2 - 1.95, y, name, ha="right", va="center", fontsize=10,
                        color=_LIGHT)
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                ax.text(xs[-1] + off + w / 2 + 1.9, y, f"weight_ih{suffix}\nweight_hh{suffix}", ha="left",
                        va="center", fontsize=10, color=_LIGHT, family="monospace")
    if folded:
        y, xf = rows[0][0], 0.5
        _box(ax, (xf, y), w, h, "cell", fontsize=10)
        _arrow(ax, (xf, y_in), (xf, y - h / 2), _LIGHT)
        _arrow(ax, (xf, y + h / 2), (xf, y_top))
        ax.text(xf, y_in - 0.08, "$x_t$", ha="center", va="top", fontsize=11)
        ax.text(xf, y_top + 0.05, "$h_t$", ha="center", va="bottom", fontsize=11)
        # the loop: out of the right side, back in one step later
        xl = xf + w / 2 + 0.4
        _line(ax, [(xf + w / 2, y + 0.13), (xl, y + 0.13), (xl, y - 0.13)])
        _arrow(ax, (xl, y - 0.13), (xf + w / 2, y - 0.13))
        ax.add_patch(FancyBboxPatch((xl - 0.07, y - 0.07), 0.14, 0.14, boxstyle="square,pad=0", fc=_INK,
                                    ec=_INK, zorder=5))
        ax.text(xl + 0.12, y, "delay:\n$h_{t-1}$", ha="left", va="center", fontsize=10)
        ax.text(2.95, y, "=", fontsize=18, ha="center", va="center")
    if not many:
        ax.text((xs[0] + xs[-1]) / 2, y_in - 0.55,
                "every cell: the same weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0",
                ha="center", va="top", fontsize=10, color=_LIGHT, family="monospace")
    if title is None:
        if not many:
            title = "An RNN unrolled in time: one cell, applied at every step with the same weights"
        else:
            kind = (f"{num_layers}-layer " if num_layers > 1 else "") + ("bidirectional " if D == 2 else "")
            title = f"A {kind}RNN unrolled over {steps} steps"
    left = -0.3 if folded else xs[0] - off - w / 2 - (3.6 if many else 1.2)
    right = xs[-1] + off + w / 2 + (4.6 if many else 1.5)
    bottom = y_in - (0.55 if many else 0.95)
    return _finish(ax, fig, title, (left, right), (bottom, y_top + 0.55))


def _cell_start(width: float, box: float, end: float, times: float, plus: float, state: str, note):
    """The start of a cell diagram: the figure, a rounded background ``box`` wide and the thick
    state line at y = 3 from x = −0.4 to ``end`` through a × node at ``times`` and a + node at
    ``plus``, its ends labelled ``state_{t-1}`` and ``state_t``, ``note = (x, text)`` above it."""
    fig, ax = plt.subplots(figsize=(width, 5.0))
    ax.add_patch(FancyBboxPatch((0.35, -0.05), box, 3.55, boxstyle="round,pad=0,rounding_size=0.2",
                                fc="#f3f5fa", ec=_LIGHT, lw=1.0, zorder=0))
    _line(ax, [(-0.4, 3.0), (times - 0.16, 3.0)], lw=2.6)
    _line(ax, [(times + 0.16, 3.0), (plus - 0.16, 3.0)], lw=2.6)
    _arrow(ax, (plus + 0.16, 3.0), (end, 3.0), lw=2.6)
    ax.text(-0.4, 3.12, f"${state}_{{t-1}}$", ha="left", va="bottom", fontsize=11)
    ax.text(end, 3.12, f"${state}_t$", ha="right", va="bottom", fontsize=11)
    ax.text(note[0], 3.62, note[1], ha="center", va="bottom", fontsize=10, color=_LIGHT)
    _node(ax, (times, 3.0), "×")
    _node(ax, (plus, 3.0), "+")
    return fig, ax


def draw_lstm_cell(title: str = "One LSTM step: four gates and the cell-state line"):
    """Draw one LSTM step in PyTorch's notation.

    The cell state runs along the top from ``c_{t-1}`` to ``c_t`` and meets only an elementwise
    product (forget gate ``f``) and a sum (input gate ``i`` times candidate ``g``): along this line
    gradients flow back without a weight matrix in the way. Below it the four gates read
    ``x_t`` and ``h_{t-1}``: ``i, f, o`` through a sigmoid, ``g`` through ``tanh``, stacked in
    PyTorch's order ``(i, f, g, o)`` in ``weight_ih_l0`` ``(4H, D)``. The output is
    ``h_t = o ⊙ tanh(c_t)``.

    Returns the matplotlib Figure, titled ``title``.
    """
    yc, yg, yb, ym = 3.0, 1.3, 0.35, 2.25  # cell line, gates, input bus, i*g product
    gx = {"f": 1.3, "i": 2.4, "g": 3.5, "o": 4.75}
    xt, xout = 5.85, 7.3
    note = "cell state: only  × f  and  + i·g  on its way — the gradient highway"
    fig, ax = _cell_start(7.4, 6.45, 7.0, gx["f"], gx["g"], "c", (3.6, note))
    # the input bus: h_{t-1} from the left, x_t from below
    _line(ax, [(-0.4, yb), (gx["o"], yb)], _LIGHT, lw=1.4)
    ax.text(-0.4, yb - 0.1, "$h_{t-1}$", ha="left", va="top", fontsize=11)
    _line(ax, [(0.8, -0.75), (0.8, yb)], _LIGHT, lw=1.4)
    ax.text(0.8, -0.8, "$x_t$", ha="center", va="top", fontsize=11)
    for x in gx.values():
        _arrow(ax, (x, yb), (x, yg - 0.21), _LIGHT)
    for name, x in gx.items():
        g = name == "g"
        _box(ax, (x, yg), 0.94 if g else 0.78, 0.42, f"{name}: tanh" if g else f"{name}: σ",
             face="#e6e6e6" if g else _GATE)
    # f multiplies the old cell state; i * g is added
    _arrow(ax, (gx["f"], yg + 0.21), (gx["f"], yc - 0.16))
    _node(ax, (gx["g"], ym), "×")
    _path(ax, [(gx["i"], yg + 0.21), (gx["i"], ym), (gx["g"] - 0.16, ym)])
    _arrow(ax, (gx["g"], yg + 0.21), (gx["g"], ym - 0.16))
    _arrow(ax, (gx["g"], ym + 0.16), (gx["g"], yc - 0.16))
    # h_t = o * tanh(c_t)
    _line(ax, [(xt, yc), (xt, 2.5)])
    _box(ax, (xt, 2.3), 0.62, 0.36, "tanh", face="#e6e6e6", fontsize=10)
    _arrow(ax, (xt, 2.12), (xt, yg + 0.16))
    _node(ax, (xt, yg), "×")
    _arrow(ax, (gx["o"] + 0.39, yg), (xt - 0.16, yg))
    _line(ax, [(xt + 0.16, yg), (6.45, yg), (6.45, yb)])
    _arrow(ax, (6.45, yb), (xout + 0.3, yb))
    ax.text(xout + 0.3, yb - 0.1, "$h_t$", ha="right", va="top", fontsize=11)
    _arrow(ax, (xout, yb), (xout, 3.95))
    ax.text(xout - 0.08, 3.95, "$h_t$ (output)", ha="right", va="bottom", fontsize=10)
    ax.text(-0.4, -1.15, "every gate reads $x_t W_{ih}^\\top + h_{t-1} W_{hh}^\\top + b$  ·  PyTorch stacks "
            "them as i, f, g, o\ni input,  f forget,  g candidate (tanh),  o output;  σ = sigmoid",
            ha="left", va="top", fontsize=10, color=_LIGHT)
    return _finish(ax, fig, title, (-0.5, 7.8), (-1.85, 4.2))


def draw_gru_cell(title: str = "One GRU step: reset gate r, update gate z, candidate n"):
    """Draw one GRU step in PyTorch's notation.

    The hidden state runs along the top and is mixed with the candidate ``n``:
    ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``, so ``z = 1`` copies the old state unchanged. The reset
    gate ``r`` scales the hidden-side term of the candidate, ``n = tanh(x W_in^T + b_in + r ⊙
    (h W_hn^T + b_hn))`` (PyTorch's placement; the original paper applies ``r`` to ``h_{t-1}``
    before the matrix product).

    Returns the matplotlib Figure, titled ``title``.
    """
    yc, yg, yb, ym = 3.0, 1.3, 0.35, 2.25
    xz, xr, xn, xp = 1.4, 2.75, 3.95, 5.15
    # the state line: h_{t-1} -> (× z) -> (+) -> h_t
    fig, ax = _cell_start(6.8, 5.75, 6.5, xz, xp, "h", (3.2, "state:  z·h  (keep)  +  (1 − z)·n  (write)"))
    # the bus: h_{t-1} branches down, x_t comes from below
    _line(ax, [(0.6, yc), (0.6, yb), (xn, yb)], _LIGHT, lw=1.4)
    _line(ax, [(1.0, -0.75), (1.0, yb)], _LIGHT, lw=1.4)
    ax.text(1.0, -0.8, "$x_t$", ha="center", va="top", fontsize=11)
    for x in (xz, xr, xn):
        _arrow(ax, (x, yb), (x, yg - 0.21), _LIGHT)
    _box(ax, (xz, yg), 0.78, 0.42, "z: σ", face=_GATE)
    _box(ax, (xr, yg), 0.78, 0.42, "r: σ", face=_GATE)
    _box(ax, (xn, yg), 0.98, 0.42, "n: tanh", face="#e6e6e6")
    _arrow(ax, (xr + 0.39, yg), (xn - 0.49, yg))  # r scales the candidate's hidden-side term
    # z keeps the old state; (1 - z) lets the candidate in
    _arrow(ax, (xz, yg + 0.21), (xz, yc - 0.16))
    _node(ax, (3.3, ym), "1−", radius=0.22)
    _path(ax, [(xz, ym), (3.3 - 0.22, ym)])
    _node(ax, (xp, ym), "×")
    _arrow(ax, (3.3 + 0.22, ym), (xp - 0.16, ym))
    _path(ax, [(xn + 0.49, yg), (xp, yg), (xp, ym - 0.16)])
    _arrow(ax, (xp, ym + 0.16), (xp, yc - 0.16))
    _arrow(ax, (5.8, yc), (5.8, 3.95))
    ax.text(5.72, 3.95, "$h_t$ (output)", ha="right", va="bottom", fontsize=10)
    ax.text(-0.4, -1.15, "n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))  ·  PyTorch stacks r, z, n\n"
            "r reset,  z update,  n candidate;  σ = sigmoid", ha="left", va="top", fontsize=10,
            color=_LIGHT)
    return _finish(ax, fig, title, (-0.5, 6.8), (-1.85, 4.2))


# -- Data figures -------------------------------------------------------------------------------------------

def plot_hidden_states(states, inputs=None, title: str = "Hidden state over time",
                       input_label: str = "input", target=None, prediction=None):
    """The input sequence (top) above a heat map of the hidden state, one row per unit.

    Args:
        states: ``(T, H)`` hidden states of one sequence (e.g. ``rnn.hidden_states[0, 0]``).
        inputs: optional ``(T,)`` values to plot as a line above the heat map.
        title: the figure title.
        input_label: the y label of the input panel.
        target, prediction: optional ``(T,)`` series drawn in the input panel (e.g. the next value
            and the model's guess).

    Returns:
        The Figure.
    """
    states = np.asarray(states, dtype=np.float64)
    if states.ndim != 2:
        raise ValueError(f"plot_hidden_states expected states of shape (T, H), got {states.shape}")
    T, H = states.shape
    top = inputs is not None
    fig, axes = plt.subplots(2 if top else 1, 1, figsize=(7.0, 1.0 + 0.11 * H + (1.5 if top else 0)),
                             sharex=True, squeeze=False, layout="constrained",
                             gridspec_kw={"height_ratios": [1.3, max(1.0, 0.11 * H)] if top else [1]})
    ax_map = axes[-1, 0]
    if top:
        ax = axes[0, 0]
        values = np.asarray(inputs, dtype=np.float64)
        if values.shape != (T,):
            raise ValueError(f"plot_hidden_states expected inputs of shape ({T},), got {values.shape}")
        ax.plot(np.arange(T), values, color="#1f3b73", marker="o", markersize=2.5, lw=1.2, ls="-",
                label=input_label)
        for series, name, style in ((target, "target", "--"), (prediction, "prediction", ":")):
            if series is not None:
                ax.plot(np.arange(len(series)), series, ls=style, lw=1.4, label=name)
        if target is not None or prediction is not None:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_ylabel(input_label)
        ax.set_title(title)
    lim = max(1e-12, float(np.max(np.abs(states))))
    image = ax_map.imshow(states.T, aspect="auto", cmap=_CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
    ax_map.set_xlabel("time step t")
    ax_map.set_ylabel("hidden unit")
    ax_map.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not top:
        ax_map.set_title(title)
    fig.colorbar(image, ax=ax_map, shrink=0.9, label="$h_t$")
    return fig


_SIGMOID_GATES = {"i", "f", "o", "r", "z"}
_GATE_TITLES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
                "r": "reset gate r", "z": "update gate z", "n": "candidate n", "c": "cell state c",
                "h": "hidden state h"}
_KINDS = {"RNN": (4, True), "LSTM": (0, False), "GRU": (1, True)}  # palette index, dashed


def _decades(lo: int, hi: int, step: int) -> list[tuple[float, str]]:
    """Log-axis ticks ``10^k`` for ``k = lo, lo + step, ... hi``, labelled with superscripts."""
    return [(10.0 ** k, _pow10(k)) for k in range(lo, hi + 1, step)]


def gates_frame(gates, symbols=None, title: str = "Gate activations over time", units=None) -> dict:
    """One heat map per gate (rows: hidden units, unit 0 on top; columns: time steps ``1 … T``).

    ``gates`` is ``{name: (T, H) array}`` in drawing order, e.g. ``{"i": lstm.gates["i"][0, n],
    ..., "c": ...}`` for sequence ``n``; ``symbols`` optionally labels the time steps (the inputs),
    ``units`` picks the units shown. Sigmoid gates (``i, f, o, r, z``) are coloured on ``[0, 1]``
    (background to blue), candidates and states symmetrically around 0 (red negative, blue
    positive; the panel title gives the largest magnitude). Colours are rounded to 1 % of the
    range (finer than the eye sees). Returns a frame of one :class:`~layers_lib.viz.Chart` per gate.

    Examples:
        >>> f = gates_frame({"f": np.full((3, 2), 0.9), "c": np.array([[1.0, -2], [0, 0], [2, 1]])})
        >>> [p["title"] for p in f["panels"]], f["panels"][1]["marks"][0]["v"][0]
        (['forget gate f (0 … 1)', 'cell state c (−2 … 2)'], [0.5, 0.0, 1.0])
    """
    if not gates:
        raise ValueError("gates_frame expected a non-empty dict name -> (T, H) array")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in gates.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"gates_frame expected (T, H) arrays of one shape, got {sorted(shapes)}")
    T, H = next(iter(shapes))
    rows = list(range(H)) if units is None else [int(u) for u in units]
    if symbols is not None and len(symbols) != T:
        raise ValueError(f"gates_frame expected {T} symbols, got {len(symbols)}")
    xticks = ([(t + 1, str(s)) for t, s in enumerate(symbols)] if symbols is not None
              else [(t, str(t)) for t in sorted({1, *range(10, T + 1, 10), T})])
    n = len(rows)
    yticks = [(n - 1 - r, str(rows[r])) for r in sorted({0, n // 2, n - 1})]
    xlabel = "time step t" + (" (labelled with its input symbol)" if symbols is not None else "")
    panels = []
    for k, (name, a) in enumerate(arrays.items()):
        a = a[:, rows].T  # (units, T)
        sigmoid = name in _SIGMOID_GATES
        lim = 1.0 if sigmoid else max(1e-12, float(np.max(np.abs(a))))
        span = "0 … 1" if sigmoid else f"−{lim:.3g} … {lim:.3g}"
        chart = Chart(f"{_GATE_TITLES.get(name, name)} ({span})", xlabel if k == len(arrays) - 1 else "",
                      "unit", width=620, height=34 + 3 * n, xlim=(0.5, T + 0.5), ylim=(-0.5, n - 0.5),
                      xticks=xticks, yticks=yticks)
        chart.cells(np.round(a / lim, 2), x0=0.5, y0=n - 0.5, dy=-1, lo=0.0, hi=1.0, diverging=not sigmoid)
        panels.append(chart)
    return frame(panels, title=title, notes="colour: a gate from 0 (background) to 1 (blue); a candidate or "
                 "state from −m (red) through 0 (background) to +m (blue), m in its title")


def lstm_gates_frame(lstm, x, symbols=None, title: str = "Inside a trained LSTM") -> dict:
    """Run ``lstm`` on one sequence ``x`` ``(T, D)`` and show its gates ``i, f, g, o`` and the cell
    state ``c`` over time (first layer, forward direction) with :func:`gates_frame`.

    Examples:
        >>> lstm = ll.LSTM(3, 4, rng=np.random.default_rng(0))
        >>> [p["title"].split(" (")[0] for p in lstm_gates_frame(lstm, np.ones((5, 3)))["panels"]]
        ['input gate i', 'forget gate f', 'candidate g', 'output gate o', 'cell state c']
    """
    x = np.asarray(x, dtype=np.float64)
    lstm(x[None])
    gates = {name: values[0, 0] for name, values in lstm.gates.items()}
    gates["c"] = lstm.cell_states[0, 0]
    return gates_frame(gates, symbols=symbols, title=title)


def gradient_norms_chart(norms, title: str = "How far back does the gradient reach?",
                         xlabel: str = "time step t", ylabel: str = "gradient norm", ylim=None,
                         yticks=None, reference=None) -> Chart:
    """``{name: values}`` (``values[t]`` for ``t = 0, 1, ...``) against the time step on a log axis,
    one line per series (a zero norm leaves a gap); names starting with RNN, LSTM, GRU get fixed
    colours and dashes. ``ylim``/``yticks`` fix the axis (so an explorer's frames can be compared);
    ``reference`` is an optional ``(name, values)`` drawn thin, grey and dashed (a prediction).

    Examples:
        >>> panel = gradient_norms_chart({"LSTM": [1e-3, 1e-2, 1.0]}).to_dict()
        >>> panel["marks"][0]["y"], [name for *_, name in panel["legend"]]
        ([-3, -2, 0], ['LSTM'])
    """
    if not norms:
        raise ValueError("gradient_norms_chart expected a non-empty dict name -> values")
    chart = Chart(title, xlabel, ylabel, width=560, height=260, ylog=True, ylim=ylim, yticks=yticks)
    for i, (name, values) in enumerate(norms.items()):
        colour, dash = next((v for k, v in _KINDS.items() if name.startswith(k)), (i % 6, False))
        chart.line(np.arange(len(values)), values, color=colour, dash=dash, label=name)
    if reference is not None:
        chart.line(np.arange(len(reference[1])), reference[1], color=4, dash=True, width=1.2,
                   label=reference[0])
    return chart


# -- The numbers behind the figures -------------------------------------------------------------------------

def matrix_with_spectral_radius(n: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    """A random ``(n, n)`` Gaussian matrix rescaled so that its largest eigenvalue modulus (its
    spectral radius) equals ``radius``.

    Examples:
        >>> w = matrix_with_spectral_radius(8, 0.9, np.random.default_rng(0))
        >>> round(float(np.max(np.abs(np.linalg.eigvals(w)))), 6)
        0.9
    """
    w = rng.normal(size=(n, n)) / np.sqrt(n)
    return w * (radius / np.max(np.abs(np.linalg.eigvals(w))))


def state_gradient_norms(w_hh, gx, nonlinearity: str = "tanh", dh_last=None) -> np.ndarray:
    """Backpropagation through time, one step at a time: ``||dL/dh_t||`` for ``t = 0 … T``.

    Runs ``h_t = φ(gx_t + h_{t-1} W_hhᵀ)`` from ``h_0 = 0`` with :func:`layers_lib.rnn_cell_forward`
    (``φ = tanh`` or ReLU; ``"linear"`` means no nonlinearity), then walks back from a loss on the
    last state only, ``L = Σ dh_last ⊙ h_T``, with :func:`layers_lib.rnn_cell_backward`.

    Args:
        w_hh: ``(H, H)`` recurrent weight.
        gx: ``(T, N, H)`` the input's contribution at every step, ``x_t W_ihᵀ + b``.
        nonlinearity: ``"tanh"``, ``"relu"`` or ``"linear"``.
        dh_last: ``dL/dh_T`` ``(N, H)``; default: ones.

    Returns:
        ``(T + 1,)`` array, entry ``t`` the Frobenius norm of ``dL/dh_t`` over the batch.

    Examples:
        >>> w = 0.5 * np.eye(3)
        >>> np.round(state_gradient_norms(w, np.zeros((4, 1, 3)), "linear") / np.sqrt(3), 4)
        array([0.0625, 0.125 , 0.25  , 0.5   , 1.    ])
    """
    if nonlinearity not in ("tanh", "relu", "linear"):
        raise ValueError(f"nonlinearity must be 'tanh', 'relu' or 'linear', got {nonlinearity!r}")
    w_hh, gx = np.asarray(w_hh, dtype=np.float64), np.asarray(gx, dtype=np.float64)
    T, N, H = gx.shape
    h = np.zeros((N, H))
    caches = []
    for t in range(T):  # forward: keep what each backward step needs
        if nonlinearity == "linear":
            h = gx[t] + h @ w_hh.T
        else:
            h, cache = ll.rnn_cell_forward(gx[t], h, w_hh, None, nonlinearity)
            caches.append(cache)
    dh = np.ones((N, H)) if dh_last is None else np.asarray(dh_last, dtype=np.float64)
    norms = np.empty(T + 1)
    norms[T] = np.linalg.norm(dh)
    for t in range(T - 1, -1, -1):  # backward: dL/dh_{t} from dL/dh_{t+1}
        if nonlinearity == "linear":
            dh = dh @ w_hh
        else:
            _, _, dh = ll.rnn_cell_backward(dh, caches[t])
        norms[t] = np.linalg.norm(dh)
    return norms


def input_gradient_norms(model, x, seed: int = 0) -> np.ndarray:
    """``||dL/dx_t||`` for every step ``t`` when the loss sees only the last output.

    Runs ``model`` (an :class:`~layers_lib.RNN`, :class:`~layers_lib.LSTM` or
    :class:`~layers_lib.GRU`) on ``x`` and back-propagates a random (seeded) gradient placed on
    the last time step of the output only, so the result shows how much each earlier input can
    still influence the loss.

    Args:
        model: a recurrent layer.
        x: ``(N, T, D)`` input.
        seed: seeds the upstream gradient.

    Returns:
        ``(T,)`` array of Frobenius norms over the batch and features.
    """
    out, _ = model(x)
    d_out = np.zeros_like(out)
    d_out[:, -1] = np.random.default_rng(seed).normal(size=out[:, -1].shape)
    model.zero_grad()
    dx = model.backward(d_out)
    return np.sqrt(np.sum(dx * dx, axis=(0, 2)))


# -- Explorer frames ----------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _gradient_flow(radius: float, nonlinearity: str, steps: int, hidden: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w_hh = matrix_with_spectral_radius(hidden, radius, rng)
    gx = rng.normal(scale=0.5, size=(steps, 8, hidden))  # x_t W_ihᵀ + b for 8 random sequences
    return state_gradient_norms(w_hh, gx, nonlinearity)


def gradient_flow_frame(radius: float = 1.0, nonlinearity: str = "tanh", steps: int = 40, hidden: int = 32,
                        seed: int = 0) -> Chart:
    """Explorer frame: ``||dL/dh_t||`` over ``t`` for a recurrent weight of spectral radius
    ``radius`` (the same random matrix, rescaled), with the prediction ``radius^(T−t)`` of the
    linear case as a grey dashed reference. The y-axis is fixed so frames can be compared.

    Examples:
        >>> panel = gradient_flow_frame(0.5, "linear", steps=4, hidden=3).to_dict()
        >>> [name for *_, name in panel["legend"]], panel["y"]
        (['linear RNN', 'ρ^(T−t) = 0.5^(T−t)'], [-22, 21])
    """
    norms = _gradient_flow(float(radius), nonlinearity, steps, hidden, seed)
    reference = norms[-1] * float(radius) ** (steps - np.arange(steps + 1))
    return gradient_norms_chart(
        {f"{nonlinearity} RNN": norms},
        title=f"‖dL/dh_t‖ for a loss on h_T (T = {steps}): spectral radius ρ = {radius:g}, {nonlinearity}",
        xlabel="time step t", ylabel="‖dL/dh_t‖ (log scale)", ylim=(1e-22, 1e21),
        yticks=_decades(-20, 20, 10), reference=(f"ρ^(T−t) = {radius:g}^(T−t)", reference))


def _sci(v: float, digits: int = 1) -> str:
    """``v`` as ``m × 10<sup>k</sup>`` (nbval's sanitiser would take 3.2e-10 for rounding noise)."""
    m, k = f"{v:.{digits}e}".split("e")
    return f"{m} × 10<sup>{minus(str(int(k)))}</sup>"


def gradient_flow_readout(radius: float = 1.0, nonlinearity: str = "tanh", steps: int = 40, hidden: int = 32,
                          seed: int = 0) -> str:
    """Read-out for :func:`gradient_flow_frame`: the radius and ``||dL/dh_0|| / ||dL/dh_T||``."""
    norms = _gradient_flow(float(radius), nonlinearity, steps, hidden, seed)
    ratio = norms[0] / norms[-1]
    verdict = "vanishes" if ratio < 1e-2 else "explodes" if ratio > 1e2 else "survives"
    return (f"spectral radius ρ = <b>{radius:g}</b>, {nonlinearity}: ‖dL/dh<sub>0</sub>‖ / "
            f"‖dL/dh<sub>{steps}</sub>‖ = <b>{_sci(ratio, 2)}</b> "
            f"(ρ<sup>{steps}</sup> = {_sci(radius ** steps, 2)}) — the gradient {verdict}")


def gate_bias_gradients(gate_bias="default", steps: int = 100, hidden: int = 32, input_size: int = 8,
                        seed: int = 0) -> dict[str, np.ndarray]:
    """How far back the gradient reaches in an RNN, an LSTM and a GRU on the same random inputs.

    All three layers get PyTorch's default init from the same seed; then, unless ``gate_bias`` is
    ``"default"``, the LSTM's forget-gate bias and the GRU's update-gate bias are set to
    ``gate_bias`` (in ``bias_ih``, with the ``bias_hh`` block set to 0, so the sum is exactly
    ``gate_bias``). The loss sees only the last output (:func:`input_gradient_norms`).

    Returns:
        ``{"RNN": r, "LSTM": r, "GRU": r}``, each ``(steps,)``: ``||dL/dx_t|| / ||dL/dx_T||``.
    """
    return dict(_gate_bias_curves(gate_bias if gate_bias == "default" else float(gate_bias), int(steps),
                                  hidden, input_size, seed))


@functools.lru_cache(maxsize=64)
def _gate_bias_curves(gate_bias, steps: int, hidden: int, input_size: int, seed: int):
    x = np.random.default_rng(seed + 1).normal(size=(8, steps, input_size))
    curves, H = {}, hidden
    for kind in ("RNN", "LSTM", "GRU"):
        model = getattr(ll, kind)(input_size, hidden, rng=np.random.default_rng(seed))
        if kind != "RNN" and gate_bias != "default":
            # LSTM: forget gate = block 1 of (i, f, g, o); GRU: update gate = block 1 of (r, z, n)
            model.bias_ih_l0.data[H:2 * H] = gate_bias
            model.bias_hh_l0.data[H:2 * H] = 0.0
        norms = input_gradient_norms(model, x, seed)
        curves[kind] = norms / norms[-1]
    return curves


def gate_bias_frame(gate_bias="default", steps: int = 100, hidden: int = 32, input_size: int = 8,
                    seed: int = 0) -> Chart:
    """Explorer frame: ``||dL/dx_t|| / ||dL/dx_T||`` over ``t`` for an RNN, an LSTM with forget-gate
    bias ``gate_bias`` and a GRU with update-gate bias ``gate_bias`` (``"default"``: PyTorch's
    init untouched), the same random inputs, a loss on the last output only
    (:func:`gate_bias_gradients`). The y-axis is fixed so frames can be compared."""
    curves = gate_bias_gradients(gate_bias, steps, hidden, input_size, seed)
    b = "default init" if gate_bias == "default" else f"{float(gate_bias):g}"
    labels = {"RNN": "RNN", "LSTM": f"LSTM, forget-gate bias: {b}", "GRU": f"GRU, update-gate bias: {b}"}
    return gradient_norms_chart(
        {labels[k]: v for k, v in curves.items()},
        title=f"Gradient reaching input x_t from a loss at the last step (T = {steps}), gate bias: {b}",
        xlabel="time step t of the input", ylabel="‖dL/dx_t‖ / ‖dL/dx_T‖ (log scale)", ylim=(1e-30, 1e2),
        yticks=_decades(-30, 0, 5))


def gate_bias_readout(gate_bias="default", steps: int = 100, hidden: int = 32, input_size: int = 8,
                      seed: int = 0) -> str:
    """Read-out for :func:`gate_bias_frame`: the gate's starting value ``σ(b)``, its memory time
    constant ``1 / (1 − σ(b)) = 1 + e^b`` and each cell's relative gradient at the first step."""
    curves = gate_bias_gradients(gate_bias, steps, hidden, input_size, seed)
    firsts = ", ".join(f"{k} <b>{_sci(v[0])}</b>" for k, v in curves.items())
    if gate_bias == "default":
        gate = "gate biases: PyTorch's default (small random numbers, so σ(b) ≈ 0.5, memory ≈ 2 steps)"
    else:
        b = float(gate_bias)
        gate = (f"gate bias b = {b:g}: σ(b) = {1 / (1 + np.exp(-b)):.3f}, memory ≈ 1 + e<sup>b</sup> = "
                f"{1 + np.exp(b):.1f} steps")
    return f"{gate} · gradient at the first input relative to the last: {firsts}"


def plot_memory_traces(values, labels, names=None, title: str = "One memory unit over time",
                       ylabel: str = "cell state c_t of one unit"):
    """One line per sequence over time, styled by its class: do the classes stay apart?

    ``values`` ``(n, T)`` is one unit's state over time for ``n`` sequences, ``labels`` ``(n,)`` the
    integer class of each (e.g. its first symbol), ``names`` optional legend names of the classes.
    Returns the Figure.
    """
    values, labels = np.asarray(values, dtype=np.float64), np.asarray(labels)
    if values.ndim != 2 or labels.shape != values.shape[:1]:
        raise ValueError(f"plot_memory_traces expected values (n, T) and labels (n,), got {values.shape} "
                         f"and {labels.shape}")
    classes = sorted(set(labels.tolist()))
    colours = ["#1f3b73", "#d95f02", "#1b9e77", "#7570b3", "#555555", "#e7298a"]
    styles = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))]
    fig, ax = plt.subplots(figsize=(6.2, 3.3), layout="constrained")
    for k, cls in enumerate(classes):
        rows = values[labels == cls]
        name = str(cls) if names is None else str(names[cls])
        for j, row in enumerate(rows):
            ax.plot(np.arange(len(row)), row, color=colours[k % 6], ls=styles[k % 6], lw=1.2,
                    label=name if j == 0 else None)
    ax.set_xlabel("time step t")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(title="class", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
