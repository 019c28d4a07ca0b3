# %% [markdown]
# # Recurrent layers (RNN)
#
# Much of the data we care about comes as a **sequence**: the words of a sentence, the samples of
# a speech signal, a sensor reading every second, the prices of a stock. A dense layer wants a
# fixed number of inputs and treats each one as a separate feature; a convolution sees a fixed
# window. Neither has a natural way to read a sequence of any length and remember what came
# earlier.
#
# A **recurrent layer** reads a sequence one step at a time. It keeps a **hidden state**, a
# vector that summarises everything it has seen so far, and updates it at every step by the
# same rule with the same weights. The number of parameters does not depend on the length of the
# sequence, and the state carries information forward in time: the hidden state is the layer's
# memory.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * draw the unrolled picture of a recurrent layer, and compute the Elman RNN update
#   $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})$ with PyTorch's names;
# * predict the shapes: input `(N, T, D)`, output `(N, T, H)`, final state `h_n`
#   `(num_layers · num_directions, N, H)`;
# * derive **backpropagation through time** (BPTT) and check it numerically;
# * explain from the spectral radius of the recurrent weight why gradients **vanish or explode**
#   over long sequences;
# * train an RNN on a real (tiny) task and read what its hidden state does, and predict how
#   stacked and bidirectional RNNs lay out their weights and states.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses [the linear layer](linear.ipynb) (weights stored as `(out, in)`, the backward
# pass), tanh and its derivative from [activations](activations.ipynb), and the batch-first
# `(N, T, D)` layout of [the introduction](intro.ipynb). Reading it and doing the exercises takes
# about 55 minutes.
# ```

# %% [markdown]
# ```{note}
# The sliders and players in this chapter work without running anything: every setting is drawn
# in advance. Run the chapter — **Run ▸ Run All Cells** in JupyterLab (Binder), **Runtime ▸ Run
# all** in Colab; the rocket button at the top of the web page opens either — and the explorers
# recompute live with `layers_lib` in your kernel, so they follow any change you make to the code.
# ```

# %% tags=["remove-cell"]
# Colab, or wherever layers_lib is missing: install the course's library from its repository
# (the branch the launch buttons open). Anywhere else this cell does nothing.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("layers_lib") is None:
    source = "layers_lib[viz] @ git+https://github.com/layers-interactively/layers-interactively@main"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", os.environ.get("LAYERS_LIB_SOURCE", source)],
                   check=True)
    importlib.invalidate_caches()
if "google.colab" in sys.modules:  # Colab shows third-party widgets (the live explorers) only then
    from google.colab import output

    output.enable_custom_widget_manager()

# %%
import numpy as np

import layers_lib as ll
from layers_lib import viz

rng = viz.setup(seed=0)

# %% [markdown]
# ## The picture: one cell, unrolled in time
#
# On the left is the compact picture: a **cell** reads the input $x_t$ and its own previous
# output $h_{t-1}$ (the loop, delayed by one step) and produces the new state $h_t$. On the right
# is the same layer **unrolled**: one copy of the cell per time step, each handing its state to
# the next. The copies are not different layers — they are the *same* function with the *same*
# parameters, applied $T$ times.

# %% mystnb={"image": {"alt": "Left: a box labelled cell with input x_t from below, output h_t above and a loop from its right side back into itself through a black delay square labelled h_{t-1}. An equals sign. Right: four identical cell boxes in a row with inputs x_1 to x_4 from below, outputs h_1 to h_4 above, an arrow h_0 entering the first cell and arrows carrying the state from each cell to the next; a dashed arrow leaves the last cell labelled h_4 = h_n. A note says every cell uses the same weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0."}}
viz.recurrent.draw_unrolled(steps=4);

# %% [markdown]
# Two consequences of the unrolled picture run through this chapter:
#
# * **The hidden state is the memory.** $h_t$ depends on $x_1, \dots, x_t$ only through
#   $h_{t-1}$, so everything the layer knows about the past has to fit into one vector of $H$
#   numbers. What it keeps and what it overwrites is decided by the weights, which training learns.
# * **An unrolled RNN is a deep network with shared weights.** A sequence of length $T$ passes
#   through $T$ applications of the cell. Training it is ordinary backpropagation through that
#   deep network — called *backpropagation through time* — and, like any deep network, it can
#   suffer from gradients that shrink or grow layer after layer.
#
# This is the *simple recurrent network* of Elman {footcite}`elman1990finding`, who fed a
# network's hidden layer back to itself as "context units" and showed that it learns structure in
# time: word boundaries, and word classes from word order alone.

# %% [markdown]
# ## The math
#
# At every step $t = 1, \dots, T$ the Elman RNN computes
#
# $$
# h_t = \tanh\bigl(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}\bigr),
# \qquad h_0 = 0 \text{ unless given,}
# $$
#
# with row vectors, as a batch stores them: $x_t$ is $1 \times D$ and $h_t$ is $1 \times H$. The
# four parameters have PyTorch's names and shapes, the weights stored as *(out, in)* like a
# dense layer's:
#
# | symbol | name in PyTorch and `layers_lib` | shape | role |
# |---|---|---|---|
# | $W_{ih}$ | `weight_ih_l0` | $(H, D)$ | input to hidden |
# | $W_{hh}$ | `weight_hh_l0` | $(H, H)$ | hidden to hidden (the recurrence) |
# | $b_{ih}$ | `bias_ih_l0` | $(H,)$ | bias on the input side |
# | $b_{hh}$ | `bias_hh_l0` | $(H,)$ | bias on the hidden side |
#
# The two biases are redundant — only their sum matters — but PyTorch keeps both (cuDNN's
# formulation does), so a layer has $H D + H^2 + 2H$ parameters. The suffix `_l0` numbers the
# layer in a stack. `nonlinearity="relu"` replaces $\tanh$ with $\max(0, \cdot)$.
#
# **Shapes.** A batch of $N$ sequences of $T$ steps with $D$ features is an array `(N, T, D)`
# (batch first; PyTorch needs `batch_first=True` for this, its default is `(T, N, D)`). The layer
# returns two things:
#
# * `output`, shape `(N, T, H)`: the hidden state at **every** step (of the last layer, when
#   layers are stacked);
# * `h_n`, shape `(num_layers · num_directions, N, H)`: the **final** state of every layer and
#   direction. It is not batch-first, in PyTorch either.

# %% [markdown]
# ## The code that runs
#
# One step of the recurrence is a pure function in `layers_lib`. The layer computes the input
# side $x_t W_{ih}^\top + b_{ih}$ for all steps at once (one large matrix product, since it does
# not depend on the state) and passes it in as `gx`; the cell adds the recurrent term:

# %%
viz.show_source(ll.rnn_cell_forward)

# %% [markdown]
# `ll.RNN` loops this cell over time. Two sequences of 6 steps with 3 features, a state of size 5:

# %%
rnn = ll.RNN(input_size=3, hidden_size=5, rng=rng)
x = rng.normal(size=(2, 6, 3))                       # (N, T, D)
output, h_n = rnn(x)
print("output:", output.shape, " h_n:", h_n.shape)
print("last step of output == h_n[0]:", np.allclose(output[:, -1], h_n[0]))
for name, p in rnn.named_parameters():
    print(f"{name:>13}: {p.shape}")
print("parameters:", rnn.num_parameters(), "= H·D + H·H + 2H =", 5 * 3 + 5 * 5 + 2 * 5)

# %% [markdown]
# The equation, written as a plain loop over the weights of that layer, gives exactly the same
# final state — there is nothing more to an RNN than this loop:

# %%
W_ih, W_hh = rnn.weight_ih_l0.data, rnn.weight_hh_l0.data
b_ih, b_hh = rnn.bias_ih_l0.data, rnn.bias_hh_l0.data
h = np.zeros((2, 5))                                 # h_0, (N, H)
for t in range(6):
    h = np.tanh(x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
print("hand-written loop matches h_n:", np.allclose(h, h_n[0]))

# %% [markdown]
# ## Backpropagation through time
#
# Write $a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}$, so $h_t = \tanh(a_t)$.
# The loss $L$ may depend on every output $h_1, \dots, h_T$ (a prediction at every step) and on
# $h_n = h_T$. Let $g_t = \partial L / \partial h_t$ be the gradient that arrives **directly**
# from step $t$'s output — what `dy[:, t]` holds — and $\delta_t = dL/dh_t$ the **total**
# gradient, which also counts every way $h_t$ influences later steps. Since $h_t$ affects the
# future only through $h_{t+1}$, the chain rule gives a recursion that runs backwards in time:
#
# $$
# \begin{aligned}
# \delta_T &= g_T + \frac{\partial L}{\partial h_n}, \\
# \delta_t &= g_t + \underbrace{\bigl(\delta_{t+1} \odot (1 - h_{t+1}^2)\bigr)}_{\partial L / \partial a_{t+1}}
# W_{hh}, \qquad t = T-1, \dots, 1,
# \end{aligned}
# $$
#
# using $\tanh'(a) = 1 - \tanh^2(a)$. Let $\Delta_t = \delta_t \odot (1 - h_t^2)$ be the
# gradient with respect to the pre-activation $a_t$. The parameters are the same at every step,
# so their gradients **add up over time**, exactly like the gradients of any shared weight:
#
# $$
# \begin{aligned}
# \frac{\partial L}{\partial W_{hh}} &= \sum_{t=1}^{T} \Delta_t^\top h_{t-1}, &
# \frac{\partial L}{\partial W_{ih}} &= \sum_{t=1}^{T} \Delta_t^\top x_t, \\
# \frac{\partial L}{\partial b_{ih}} = \frac{\partial L}{\partial b_{hh}} &= \sum_{t=1}^{T} \Delta_t, &
# \frac{\partial L}{\partial x_t} &= \Delta_t W_{ih},
# \end{aligned}
# $$
#
# (with a batch, $\Delta_t$ is $N \times H$ and the products also sum over the examples) and
# $\partial L / \partial h_0 = \Delta_1 W_{hh}$. Note that $W_{hh}$ pairs with $h_{t-1}$, the
# state it multiplied, not with $h_t$.
#
# **A product of Jacobians.** Unroll the recursion for a loss that only looks at the last step.
# In column-vector form the Jacobian of one step is
# $\partial h_t / \partial h_{t-1} = \operatorname{diag}(1 - h_t^2)\, W_{hh}$, and the gradient
# that reaches step $k$ is multiplied by a product of $T - k$ of them:
#
# $$
# \frac{\partial h_T}{\partial h_k} = \prod_{t=k+1}^{T} \operatorname{diag}(1 - h_t^2)\, W_{hh},
# \qquad
# \Bigl\| \frac{\partial h_T}{\partial h_k} \Bigr\| \le \bigl(\gamma\, \sigma_{\max}(W_{hh})\bigr)^{T-k},
# $$
#
# where $\sigma_{\max}$ is the largest singular value of $W_{hh}$ and $\gamma = 1$ bounds
# $|\tanh'|$. A product of many matrices behaves like a power: it shrinks or grows
# exponentially with the distance $T - k$. That is the whole story of the next section.
#
# In `layers_lib` the step backward is again a pure function. It returns the gradient of the
# pre-activation twice (the input side and the hidden side receive the same one) and
# $\partial L / \partial h_{t-1}$; the layer adds $g_{t-1}$ to it and calls the cell one step
# earlier, and computes the weight gradients for all steps with one matrix product each:

# %%
viz.show_source(ll.rnn_cell_backward)

# %% [markdown]
# **Checking it numerically.** `ll.check_gradients` handles layers with one output array; an RNN
# returns two, so we write the scalar loss ourselves, with random upstream gradients for both
# outputs, $L = \sum \text{output} \odot G + \sum h_n \odot g_n$, and compare the hand-written
# backward pass with central differences (`ll.numerical_gradient`) for the input and every
# parameter:

# %%
rnn = ll.RNN(3, 4, rng=rng)
x = rng.normal(size=(2, 5, 3))
G, g_n = rng.normal(size=(2, 5, 4)), rng.normal(size=(1, 2, 4))


def loss():
    out, h_last = rnn(x)
    return np.sum(out * G) + np.sum(h_last * g_n)


rnn.zero_grad()
rnn(x)
dx = rnn.backward(G, g_n)
print(f"{'input x':>13}: relative error {ll.rel_error(dx, ll.numerical_gradient(loss, x)):.1e}")
for name, p in rnn.named_parameters():
    print(f"{name:>13}: relative error {ll.rel_error(p.grad, ll.numerical_gradient(loss, p.data)):.1e}")

# %% [markdown]
# All agree to about $10^{-9}$ or better.

# %% [markdown]
# ## Vanishing and exploding gradients
#
# How much of the loss at the last step can still "see" an early step? To measure it, here is
# BPTT written with the two cell functions for a loss on $h_T$ only: run the recurrence forward,
# then walk back one step at a time, recording $\|dL/dh_t\|$. (`"linear"` leaves out the
# nonlinearity, the case the theory treats exactly.)

# %%
viz.show_source(viz.recurrent.state_gradient_norms)

# %% [markdown]
# For a **linear** RNN the gradient at step $k$ is the last one multiplied by $W_{hh}$ $T-k$
# times, and its size follows the **spectral radius** $\rho(W_{hh})$, the largest modulus of an
# eigenvalue: roughly $\rho^{T-k}$. Bengio, Simard and Frasconi {footcite}`bengio1994learning`
# showed that this makes long-range dependencies hard to learn by gradient descent, and Pascanu,
# Mikolov and Bengio {footcite}`pascanu2013difficulty` made it precise: for a linear RNN, a
# spectral radius below 1 is *sufficient* for the gradient to vanish and one above 1 is
# *necessary* for it to explode; with a nonlinearity whose derivative is bounded by $\gamma$
# ($\gamma = 1$ for tanh and ReLU), the same holds with the largest singular value of $W_{hh}$
# compared to $1/\gamma$.
#
# In the explorer, the recurrent weight is one random $32 \times 32$ matrix rescaled to the
# spectral radius on the slider; the inputs are 8 random sequences of $T = 40$ steps. The grey
# dashed line is the prediction $\rho^{T-t}$ of the linear theory. Move **radius** across 1 and
# switch the **nonlinearity** between `linear`, `tanh` and `relu`:

# %%
viz.explore(viz.recurrent.gradient_flow_frame,
            {"radius": [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0],
             "nonlinearity": ["linear", "tanh", "relu"]},
            readout=viz.recurrent.gradient_flow_readout, initial={"radius": 1.0, "nonlinearity": "tanh"},
            title="Gradient norm ‖dL/dh_t‖ over time by spectral radius and nonlinearity")

# %% [markdown]
# What the frames show:
#
# * **Linear:** a straight line on the log axis with the slope of $\rho^{T-t}$. Below 1 the
#   gradient shrinks by the same factor at every step back (at $\rho = 0.75$ the read-out gives
#   about $5 \times 10^{-6}$ after 40 steps); above 1 it explodes; only near $\rho = 1$ does it
#   survive 40 steps.
# * **tanh:** the derivative $1 - h_t^2 < 1$ multiplies in at every step, so the gradient
#   vanishes even at $\rho = 1$ (the read-out gives about $3 \times 10^{-6}$). Saturation also
#   tames explosion: only well above 1 does the gradient grow, and slowly.
# * **ReLU:** only active units pass gradient back, so the effective radius is smaller; when the
#   gradient does explode (at large radius) nothing caps it.
#
# The practical conclusions: **exploding** gradients are easy to detect and to treat — *clip* the
# gradient norm before the update (see "Common bugs" below). **Vanishing** gradients are silent:
# the network simply never learns that a distant input mattered. The cure is to change the
# architecture so that the state is carried forward by addition instead of repeated
# multiplication: the LSTM and GRU of the next chapter.

# %% [markdown]
# ## What the hidden state does: predicting a sine wave
#
# A small task that needs memory: each sequence is a sine wave with a random frequency and phase,
# and at every step the network must predict the *next* value. A single value does not tell
# whether the wave is rising or falling, nor how fast: the network has to infer that from the
# past, so the hidden state must keep it. The model is `RNN(1, 16)` followed by `Linear(16, 1)` at
# every step, trained with the mean squared error and Adam for 400 steps:

# %%
def sine_batch(rng, n, T=40):
    """n sine waves of T+1 samples with random frequency and phase: inputs (n, T, 1), next values."""
    omega = rng.uniform(0.15, 0.45, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    wave = np.sin(omega * np.arange(T + 1) + phase)
    return wave[:, :-1, None], wave[:, 1:, None]


rnn = ll.RNN(1, 16, rng=rng)
head = ll.Linear(16, 1, rng=rng)
mse = ll.MSELoss()
opt = ll.Adam(rnn.parameters() + head.parameters(), lr=0.01)
for step in range(1, 401):
    x, target = sine_batch(rng, 32)
    out, _ = rnn(x)                                   # (32, 40, 16)
    loss = mse(head(out), target)                     # a prediction at every step
    opt.zero_grad()
    rnn.backward(head.backward(mse.backward()))
    opt.step()
    if step % 100 == 0:
        print(f"step {step}: training MSE {loss:.4f}")

x_test, y_test = sine_batch(np.random.default_rng(1), 200)
out, _ = rnn(x_test)
pred = head(out)
print(f"held-out MSE: {mse(pred, y_test):.4f}   (repeating the last value instead: "
      f"{mse(x_test, y_test):.4f})")
print(f"held-out MSE from step 10 on: {mse(pred[:, 10:], y_test[:, 10:]):.4f}")

# %% [markdown]
# The RNN's error is more than ten times smaller than that of the naive guess "it stays where it
# is", and smaller still once it has seen a few steps. Below is one held-out wave: the input, the
# target and the prediction above, and the 16 hidden units over time below (`rnn.hidden_states`
# keeps every step's state of the last forward pass).

# %% mystnb={"image": {"alt": "Top: a sine wave of 40 steps with the target next values and the RNN's predictions, which follow the target closely except in the first few steps. Bottom: a heat map of 16 hidden units over the 40 time steps; most units oscillate with the period of the wave, some in phase with it and some shifted."}}
viz.recurrent.plot_hidden_states(rnn.hidden_states[0, 0], inputs=x_test[0, :, 0], target=y_test[0, :, 0],
                                 prediction=pred[0, :, 0], input_label="value",
                                 title="A held-out sine wave and the RNN's 16 hidden units");

# %% [markdown]
# Many units oscillate with the wave, each with its own phase shift; others stay almost
# constant over this wave. Together they encode where on the
# cycle the wave is and how fast it moves — two things a single input value cannot tell. In the
# first steps the state is still close to its start $h_0 = 0$ and the predictions are poor: the
# memory has to fill up first.

# %% [markdown]
# ## Stacked and bidirectional RNNs
#
# Two options change the layout, with the same names and shapes as PyTorch:
#
# * `num_layers=L` **stacks** $L$ RNNs: layer $k > 0$ reads the output sequence of layer $k-1$
#   (so its `weight_ih_l{k}` has $H$ columns, not $D$). `output` is the last layer's states.
# * `bidirectional=True` adds a second RNN per layer that reads the sequence **backwards**, from
#   step $T$ to step 1, with its own parameters (suffix `_reverse`). At every step the two states
#   are concatenated, so `output` has $2H$ features, and the next layer reads $2H$.
#
# `h_n` holds the final state of every layer and direction, at index
# `layer * num_directions + direction`. For the reverse direction "final" means after it has read
# the whole sequence backwards — its state at step 1.

# %% mystnb={"image": {"alt": "Two stacked bidirectional layers unrolled over three steps. In each layer a forward chain of cells passes its state left to right and a reverse chain right to left; both read the same input at each step, and their outputs meet in a concatenation node that feeds the layer above. Incoming states are labelled h_0[0] to h_0[3] and final states h_n[0] to h_n[3]; the parameter names weight_ih_l0, weight_ih_l0_reverse, weight_ih_l1, weight_ih_l1_reverse are written next to their chains. The top outputs are labelled with the concatenated forward and reverse states."}}
viz.recurrent.draw_unrolled(steps=3, num_layers=2, bidirectional=True);

# %% [markdown]
# The shapes for $N = 4$ sequences of $T = 7$ steps, $D = 3$, $H = 5$:

# %%
x = rng.normal(size=(4, 7, 3))
for num_layers in (1, 2):
    for bidirectional in (False, True):
        layer = ll.RNN(3, 5, num_layers=num_layers, bidirectional=bidirectional, rng=rng)
        output, h_n = layer(x)
        print(f"num_layers={num_layers}, bidirectional={bidirectional!s:<5}: output {output.shape}, "
              f"h_n {h_n.shape}, {layer.num_parameters():>3} parameters")

print()
for name, p in layer.named_parameters():             # the last one: 2 layers, bidirectional
    print(f"{name:>22}: {p.shape}")

# %% [markdown]
# In the bidirectional stack the output at the last step holds the forward direction's final
# state in its first $H$ features; the reverse direction's final state is at the *first* step:

# %%
H = 5
print("forward final state  = output[:, -1, :H]:", np.allclose(h_n[-2], output[:, -1, :H]))
print("reverse final state  = output[:, 0, H:]: ", np.allclose(h_n[-1], output[:, 0, H:]))
print("reverse final state != output[:, -1, H:]:", not np.allclose(h_n[-1], output[:, -1, H:]))

# %% [markdown]
# ## Common bugs
#
# ### 1. Time-major input to a batch-first layer
#
# PyTorch's recurrent layers default to time-major input `(T, N, D)`; `layers_lib` (like
# `batch_first=True`) expects `(N, T, D)`. Passing one where the other is expected raises no
# error whenever the last axis is right: the layer silently treats the time steps as the batch
# and the batch as the time. **Check:** assert `x.shape == (N, T, D)` where the data enters the
# model; the outputs differ completely:

# %%
rnn = ll.RNN(3, 4, rng=rng)
x = rng.normal(size=(8, 20, 3))                       # N = 8 sequences of T = 20 steps
out_right, _ = rnn(x)
out_wrong, _ = rnn(x.transpose(1, 0, 2))              # (20, 8, 3) runs without an error...
print("time-major input runs, output shape:", out_wrong.shape)
print("same result as batch-first:", np.allclose(out_wrong.transpose(1, 0, 2), out_right))

# %% [markdown]
# ### 2. Taking `output[:, -1]` as the summary of a bidirectional RNN
#
# For a unidirectional RNN, `output[:, -1]` is the final state `h_n[-1]`, a summary of the whole
# sequence. For a bidirectional one, the reverse half of `output[:, -1]` has only seen the *last*
# input. **Check:** compare with `h_n`; use `np.concatenate([h_n[-2], h_n[-1]], axis=1)` (the two
# directions of the top layer) as the summary:

# %%
birnn = ll.RNN(3, 4, bidirectional=True, rng=rng)
output, h_n = birnn(x)
summary = np.concatenate([h_n[-2], h_n[-1]], axis=1)  # (N, 2H)
print("output[:, -1] is the full summary:", np.allclose(output[:, -1], summary))
print("forward halves agree:            ", np.allclose(output[:, -1, :4], summary[:, :4]))

# %% [markdown]
# ### 3. Training without gradient clipping
#
# A recurrent weight with a large spectral radius (it can grow there during training) makes the
# gradient explode: one update then throws the weights far away, and the loss becomes `nan`.
# Pascanu et al. {footcite}`pascanu2013difficulty` rescale the whole gradient when its norm
# exceeds a threshold, which keeps its direction. (PyTorch has
# `torch.nn.utils.clip_grad_norm_`.) **Check:** print the total gradient norm during training;
# clip it:

# %%
def clip_grad_norm(params, max_norm):
    """Rescale all gradients together so that their joint norm is at most max_norm."""
    total = np.sqrt(sum(np.sum(p.grad ** 2) for p in params))
    if total > max_norm:
        for p in params:
            p.grad *= max_norm / total
    return total


relu_rnn = ll.RNN(3, 32, nonlinearity="relu", rng=rng)
relu_rnn.weight_hh_l0.data = viz.recurrent.matrix_with_spectral_radius(32, 2.5, rng)
out, _ = relu_rnn(x)
relu_rnn.zero_grad()
relu_rnn.backward(np.ones_like(out) / out.size)       # the gradient of the mean output
before = clip_grad_norm(relu_rnn.parameters(), max_norm=1.0)
after = np.sqrt(sum(np.sum(p.grad ** 2) for p in relu_rnn.parameters()))
print(f"gradient norm {before:.2e} -> clipped to {after:.2f}")

# %% [markdown]
# ### 4. Reading the wrong entry of `h_n` in a stack
#
# With `num_layers=2`, `h_n[0]` is the final state of the **bottom** layer; the top layer's is
# `h_n[-1]` (unidirectional) — the one that matches `output[:, -1]`. **Check:**
# `np.allclose(h_n[-1], output[:, -1])`:

# %%
stack = ll.RNN(3, 4, num_layers=2, rng=rng)
output, h_n = stack(x)
print("h_n[0]  == output[:, -1]:", np.allclose(h_n[0], output[:, -1]))
print("h_n[-1] == output[:, -1]:", np.allclose(h_n[-1], output[:, -1]))

# %% [markdown]
# ## Exercises
#
# The exercises with a checker run hidden test cases on your function and, when something is
# wrong, try to name the mistake. Replace `return None` with your code and run the cell.

# %%
from layers_lib.exercises import recurrent as ex

# %% [markdown]
# ```{exercise} Predict the shapes — ★☆☆ easy
# :label: rnn-ex1
#
# Without running code, predict for `ll.RNN(input_size=10, hidden_size=20, num_layers=2,
# bidirectional=True)` and an input of shape `(8, 15, 10)`: the shape of `output`, the shape of
# `h_n`, the shape of `weight_ih_l1`, and the number of parameters. Then check with `layers_lib`.
# ```
#
# ````{solution} rnn-ex1
# :class: dropdown
#
# * `output`: `(8, 15, 40)` — batch, time, and $2H$ because the two directions are concatenated.
# * `h_n`: `(4, 8, 20)` — 2 layers × 2 directions, batch, $H$.
# * `weight_ih_l1`: `(20, 40)` — layer 1 reads the $2H = 40$ concatenated outputs of layer 0.
# * Parameters: layer 0 has, per direction, $20 \cdot 10 + 20 \cdot 20 + 2 \cdot 20 = 640$;
#   layer 1 has $20 \cdot 40 + 20 \cdot 20 + 40 = 1240$; with two directions,
#   $2 \cdot (640 + 1240) = 3760$.
#
# ```python
# rnn = ll.RNN(10, 20, num_layers=2, bidirectional=True)
# output, h_n = rnn(np.zeros((8, 15, 10)))
# print(output.shape, h_n.shape, rnn.weight_ih_l1.shape, rnn.num_parameters())
# # (8, 15, 40) (4, 8, 20) (20, 40) 3760
# ```
# ````
#
# ```{exercise} The forward pass — ★★☆ medium
# :label: rnn-ex2
#
# Write `rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh)` for `x` of shape `(N, T, D)` and `h0` of
# shape `(N, H)`, with PyTorch's weight shapes `w_ih (H, D)`, `w_hh (H, H)`. Return the hidden
# state after every step, shape `(N, T, H)`.
# ```

# %%
def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
    # your code here
    return None


ex.check_rnn_forward(rnn_forward)

# %% [markdown]
# ````{solution} rnn-ex2
# :class: dropdown
#
# ```python
# def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh):
#     h, outputs = h0, []
#     for t in range(x.shape[1]):
#         h = np.tanh(x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)   # uses h_{t-1}
#         outputs.append(h)
#     return np.stack(outputs, axis=1)                               # (N, T, H)
# ```
#
# The checker recognises the usual slips: forgetting to carry `h` (using `h0` at every step),
# untransposed weights (one hidden case has $D = H$, where the shapes cannot complain), a missing
# bias or `tanh`, storing the state before updating it, and stacking time-major.
# ````
#
# ```{exercise} One step backward — ★★★ harder
# :label: rnn-ex3
#
# Backpropagation through one step. Given `dh` $= \partial L / \partial h$ for
# `h = tanh(x @ w_ih.T + h_prev @ w_hh.T + b)`, write `rnn_step_backward(dh, x, h_prev, h, w_ih,
# w_hh)` returning `(dx, dh_prev, dw_ih, dw_hh, db)`. Write down each shape first.
# ```

# %%
def rnn_step_backward(dh, x, h_prev, h, w_ih, w_hh):
    # your code here
    return None


ex.check_rnn_step_backward(rnn_step_backward)

# %% [markdown]
# ````{solution} rnn-ex3
# :class: dropdown
#
# ```python
# def rnn_step_backward(dh, x, h_prev, h, w_ih, w_hh):
#     da = dh * (1 - h ** 2)          # back through tanh: uses the new state h
#     dx = da @ w_ih                  # (N, D)
#     dh_prev = da @ w_hh             # (N, H)
#     dw_ih = da.T @ x                # (H, D), like w_ih
#     dw_hh = da.T @ h_prev           # (H, H): W_hh multiplied h_prev, not h
#     db = da.sum(axis=0)             # (H,), summed over the batch
#     return dx, dh_prev, dw_ih, dw_hh, db
# ```
#
# This is `ll.rnn_cell_backward` plus the weight gradients, which the layer sums over all steps.
# ````
#
# ```{exercise} How fast gradients vanish — ★☆☆ easy
# :label: rnn-ex4
#
# A scalar linear RNN $h_t = w\, h_{t-1} + x_t$ has $\partial h_T / \partial h_0 = w^T$. With
# $w = 0.9$, after how many steps has the gradient shrunk by a factor of 1000? With $w = 1.1$,
# by how much has it grown after 50 steps? What does this say about the spectral radius of a
# trained RNN that must remember something for 100 steps?
# ```
#
# ````{solution} rnn-ex4
# :class: dropdown
#
# $0.9^T < 10^{-3}$ when $T > \ln 1000 / \ln(1/0.9) \approx 65.6$, so after 66 steps. And
# $1.1^{50} \approx 117$. To carry a gradient 100 steps without it vanishing or exploding, the
# relevant eigenvalues must sit very close to 1 (e.g. $0.99^{100} \approx 0.37$,
# $0.95^{100} \approx 0.006$) — a knife edge that training cannot easily hold, which is the
# motivation for the gated cells of the next chapter.
# ````
#
# ```{exercise} Why the tanh RNN does not explode — ★★☆ medium
# :label: rnn-ex5
#
# In the explorer, the linear RNN with radius 1.25 explodes but the tanh RNN with the same weight
# does not. Explain why, using the Jacobian $\operatorname{diag}(1 - h_t^2)\, W_{hh}$. Would
# scaling the inputs up make the tanh RNN's gradient larger or smaller?
# ```
#
# ````{solution} rnn-ex5
# :class: dropdown
#
# Every step multiplies the gradient by $\operatorname{diag}(1 - h_t^2)$, whose entries are
# below 1 and close to 0 for saturated units ($|h| \to 1$). A radius of 1.25 drives the state
# into saturation, so the effective per-step gain stays below 1. Larger inputs saturate the units
# even more, so the gradient gets *smaller*: saturation is a second source of vanishing
# gradients, on top of the spectral radius.
# ````

# %% [markdown]
# ## Summary
#
# * An RNN applies one cell at every step, $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1}
#   W_{hh}^\top + b_{hh})$, with the same parameters (`weight_ih_l0` `(H, D)`, `weight_hh_l0`
#   `(H, H)`, two biases): $HD + H^2 + 2H$ parameters whatever the length.
# * Input `(N, T, D)` → `output` `(N, T, num_directions·H)` and `h_n`
#   `(num_layers·num_directions, N, H)`, indexed `layer * num_directions + direction`.
# * BPTT is backpropagation through the unrolled network:
#   $\delta_t = g_t + (\delta_{t+1} \odot (1 - h_{t+1}^2)) W_{hh}$, and the weight gradients
#   sum over time.
# * The gradient reaching step $k$ is a product of $T-k$ Jacobians: it vanishes or explodes
#   roughly like $\rho(W_{hh})^{T-k}$; tanh saturation adds to the vanishing. Clip exploding
#   gradients; for vanishing ones use gated cells (next chapter).
#
# ## References
#
# ```{footbibliography}
# ```
