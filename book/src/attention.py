# %% [markdown]
# # Attention
#
# A recurrent network reads a sequence one step at a time and must squeeze everything it has
# seen into one state vector. Bahdanau, Cho and Bengio {footcite}`bahdanau2015neural` argued that
# this fixed-size bottleneck is what hurt neural translation of long sentences, and removed it:
# at each output step the decoder **looks back at every input position** and takes a weighted
# average of them, with weights it computes on the fly. Two years later Vaswani et al.
# {footcite}`vaswani2017attention` built a whole architecture, the Transformer, from this
# operation alone. This chapter builds attention from scratch: the scaled dot-product form of
# the Transformer, masks, multiple heads, and its backward pass.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * compute attention as a **soft dictionary look-up** with queries, keys and values, and obtain
#   the hard look-up as its limit;
# * apply $\mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$ with every shape, and measure **why the
#   $\sqrt{d_k}$** is there, with and without it;
# * build causal and padding **masks**, and predict what a query that may see no key gets;
# * give the projections and the heads' shapes of **multi-head attention**, and count its
#   $4E^2 + 4E$ parameters;
# * check the backward pass numerically;
# * compare self-attention with recurrence: path length, sequential steps and cost;
# * train a small attention layer to look a key up.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses the softmax of [activations](activations.ipynb) (its stability and its
# Jacobian), [the linear layer](linear.ipynb) (the projections), [recurrent layers](rnn.ipynb)
# (for the comparison with recurrence) and [embeddings](embedding.ipynb) (the tokens of the
# trained example). Reading it and doing the exercises takes about an hour.
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
# ## The picture: a soft dictionary look-up
#
# A Python dictionary answers a query by finding the key that **equals** it and returning that
# key's value. Attention relaxes both steps. Every key is compared with the query by a dot
# product — a *score* that says how well they match — the scores are turned into weights that
# are positive and sum to one (a softmax), and the answer is the **weighted average of all the
# values**.
#
# Below, six keys are points in the plane, each holding a number as its value (10, 20, ..., 60).
# A query (the arrow) points between keys k2 and k3, so those two get most of the weight and the
# output, $\sum_j w_j v_j$, lands between their values:

# %%
viz.show(viz.attention.soft_lookup_frame(query=2, temperature=0.5), title="Attention as a soft look-up",
         readout=viz.attention.soft_lookup_readout(query=2, temperature=0.5),
         alt="Two panels. Left: six keys as points in the plane, labelled with their values 10 to 60, and an orange query arrow pointing up and to the left; the keys k2 and k3 near its direction are drawn largest. Right: a bar chart of the query's six weights, about 0.45 on k2 and 0.42 on k3 and little elsewhere; the output is 34.3.")

# %% [markdown]
# A **temperature** $\tau$ changes how decisive the look-up is. The code below divides the query
# by $\tau$ before the look-up; `scaled_dot_product_attention` then divides each score by
# $\sqrt{d_k}$ as always (here $d_k = 2$), so the weights are
# $\operatorname{softmax}_j\bigl(q \cdot k_j / (\tau \sqrt{d_k})\bigr)$: every score is divided by
# $\tau$ on top of the usual scaling. As $\tau \to 0$ the largest score wins everything — the softmax becomes an arg-max and attention
# becomes a hard look-up of the best-matching key; as $\tau \to \infty$ the weights become
# uniform and the output is the plain average of the values:

# %%
example = viz.attention.lookup_example()
q, k, v = example["queries"][2], example["keys"], example["values"]
for tau in (0.005, 0.5, 100.0):
    out, w = ll.scaled_dot_product_attention(q[None] / tau, k, v[:, None])
    print(f"temperature {tau:>6}: weights {np.round(w[0], 3)}, output {out[0, 0]:.1f}")
print(f"value of the best-matching key: {v[np.argmax(k @ q)]:.0f}; mean of the values: {v.mean():.0f}")

# %% [markdown]
# Because the softmax is smooth, a small change of the query or a key changes the output a
# little — which is what lets gradient descent learn *where* to look. A hard look-up has no
# useful gradient.
#
# ## The math
#
# Stack $L$ queries, $S$ keys and $S$ values as the rows of matrices
# $Q \in \mathbb{R}^{L \times d_k}$, $K \in \mathbb{R}^{S \times d_k}$ and
# $V \in \mathbb{R}^{S \times d_v}$. **Scaled dot-product attention** {footcite}`vaswani2017attention` is
#
# $$
# \underbrace{S}_{L \times S} = \frac{Q K^\top}{\sqrt{d_k}}, \qquad
# \underbrace{P}_{L \times S} = \mathrm{softmax}_{\text{row}}(S), \qquad
# \underbrace{\mathrm{Attention}(Q, K, V)}_{L \times d_v} = P\,V .
# $$
#
# Row $i$ of the score matrix holds query $i$'s scores against every key; the softmax runs along
# each **row**, so $P_{ij} \ge 0$ and $\sum_j P_{ij} = 1$; output row $i$ is a weighted average of
# the rows of $V$. Queries and keys must have the same size $d_k$; the values may have another,
# $d_v$; there may be any number $S$ of keys, not necessarily $L$. Extra leading dimensions (a
# batch, heads) just come along: $Q$ of shape `(N, h, L, d_k)` gives weights `(N, h, L, S)`.
# In **self-attention** the queries, keys and values are all computed from the same sequence;
# in *cross-attention* (Bahdanau's decoder looking at the encoder) the queries come from one
# sequence and the keys and values from another.
#
# ### Why divide by $\sqrt{d_k}$?
#
# Suppose the entries of a query $q$ and a key $k$ are independent with mean 0 and variance 1.
# Their dot product is a sum of $d_k$ independent terms $q_m k_m$, each of variance 1, so
#
# $$
# \operatorname{Var}\left(q \cdot k\right) = \sum_{m=1}^{d_k} \operatorname{Var}(q_m k_m) = d_k ,
# \qquad
# \operatorname{Var}\left(\frac{q \cdot k}{\sqrt{d_k}}\right) = 1 .
# $$
#
# Without the scale, scores spread more and more as $d_k$ grows, and a softmax of widely spread
# scores puts almost all the weight on the largest one: it **saturates**. A saturated softmax has
# a nearly zero Jacobian $J = \mathrm{diag}(p) - pp^\top$, so almost no gradient reaches the
# scores, and the queries and keys stop learning {footcite}`vaswani2017attention`. Measured with
# random unit-variance queries and 16 keys, from $d_k = 1$ to $512$:

# %%
dims = 2 ** np.arange(10)                       # d = 1, 2, 4, ..., 512
n_keys, trials = 16, 400
names = ("q·k", "q·k / √d")
panels = {title: {name: [] for name in names} for title in
          ("variance of the scores", "largest weight", "entropy of the weights (bits)",
           "softmax Jacobian size ‖J‖")}
for d in dims:
    r = np.random.default_rng(int(d))
    q, k = r.normal(size=(trials, 1, d)), r.normal(size=(trials, n_keys, d))
    raw = (q @ k.swapaxes(-1, -2))[:, 0]        # (trials, 16) scores
    for name, scores in zip(names, (raw, raw / np.sqrt(d)), strict=True):
        p = ll.softmax(scores, dim=-1)
        J = p[:, :, None] * np.eye(n_keys) - p[:, :, None] * p[:, None, :]    # (trials, 16, 16)
        panels["variance of the scores"][name].append(scores.var())
        panels["largest weight"][name].append(p.max(axis=-1).mean())
        panels["entropy of the weights (bits)"][name].append(viz.attention.entropy_bits(p).mean())
        panels["softmax Jacobian size ‖J‖"][name].append(np.linalg.norm(J, axis=(1, 2)).mean())
for name in names:
    print(f"{name:<9} d = 512: score variance {panels['variance of the scores'][name][-1]:6.1f}, "
          f"largest weight {panels['largest weight'][name][-1]:.2f}, "
          f"‖J‖ {panels['softmax Jacobian size ‖J‖'][name][-1]:.3f}")

# %% mystnb={"image": {"alt": "Four panels against the dimension d from 1 to 512 on a log axis, each with two curves. Unscaled scores: the variance grows in proportion to d up to about 500, the largest weight climbs from 0.19 to about 0.95, the entropy falls from 3.6 to under 0.2 bits and the Jacobian size falls from about 0.3 to 0.07. Scaled scores: the variance stays at 1, the largest weight near 0.25, the entropy near 3.4 bits and the Jacobian size near 0.3 for every d."}}
viz.attention.scaling_figure(dims, panels, logy=["variance of the scores"],
                             title="Scores of random queries and keys: with and without 1/√d");

# %% [markdown]
# With the scale, nothing depends on $d_k$: the variance stays 1, the weights stay spread over
# several keys (entropy about 3.4 of the possible 4 bits) and the Jacobian keeps its size.
# Without it, at $d_k = 512$ a random query already puts about 95 % of its weight on one key and
# the softmax passes back less than a quarter of the gradient. Trained queries and keys are not
# random, but starting training in the saturated regime is exactly what the scale avoids.
#
# ## The code that runs
#
# `ll.scaled_dot_product_attention_forward` is the formula above, plus the mask and what a fully
# masked row gets (next section) and a softmax shifted by the row maximum so that `exp` never
# overflows:

# %%
viz.show_source(ll.scaled_dot_product_attention_forward)

# %% [markdown]
# Five tokens attending to each other (self-attention with $Q = K = V = X$, no learned
# projections yet): each row of the weight matrix is one query's distribution over the keys,
# and the largest weight is on the diagonal, because every vector matches itself best.

# %%
tokens = ["the", "cat", "sat", "on", "it"]
X = rng.normal(size=(5, 8))                     # (L, d) = one 8-dimensional vector per token
out, weights = ll.scaled_dot_product_attention(X, X, X)
print("out:", out.shape, " weights:", weights.shape, " row sums:", weights.sum(axis=-1).round(6))

# %% mystnb={"image": {"alt": "A 5 by 5 heat map of attention weights between the tokens the, cat, sat, on, it, each cell labelled with its weight; the diagonal cells are the brightest in every row."}}
viz.heatmap(weights, xlabels=tokens, ylabels=tokens, annotate=True, vmin=0, vmax=1,
            title="Self-attention weights (each row sums to 1)", xlabel="key", ylabel="query");

# %% [markdown]
# ## Explore: query and temperature
#
# Pick one of the five queries and a temperature. Small temperatures make the look-up nearly
# hard — one bar near 1, entropy near 0 bits — unless two keys score almost alike, as k2 and k3
# do for q2. Large temperatures make it an average: six nearly equal bars, entropy close to
# $\log_2 6 = 2.58$ bits. The read-out compares the output with what a hard look-up would
# return. Notice that the keys' lengths matter as well as their directions: q4 points closer to
# k5, but the longer k0 gets the larger score.

# %% mystnb={"image": {"alt": "Interactive figure: six keys in the plane with a query arrow, and the query's attention weights as bars; a query slider picks one of five queries and a temperature slider goes from 0.05 (one key takes almost all the weight) to 5 (nearly uniform weights). The read-out gives the largest weight, the entropy in bits and the output."}}
viz.explore(viz.attention.soft_lookup_frame, {"query": [0, 1, 2, 3, 4],
                                              "temperature": [0.05, 0.2, 0.5, 1.0, 5.0]},
            readout=viz.attention.soft_lookup_readout, title="Soft look-up: query and temperature",
            initial={"query": 2, "temperature": 0.5})

# %% [markdown]
# ## Masks
#
# Sometimes a query must not see some keys. Two cases matter in practice.
#
# **Causal masks.** A language model predicts token $t+1$ from tokens $1, \ldots, t$. If
# position $t$ could attend to later positions, training would let it read the answer. A
# *causal* mask blocks every key $j > i$ for query $i$. `layers_lib` follows
# `torch.nn.MultiheadAttention`: a **boolean mask marks with `True` what may not be attended**;
# those scores are set to $-\infty$ before the softmax, so their weights are exactly 0 and the
# remaining weights of the row still sum to 1:

# %%
mask = ll.causal_mask(5)
print(mask)
out, weights = ll.scaled_dot_product_attention(X, X, X, attn_mask=mask)

# %% mystnb={"image": {"alt": "Two 5 by 5 grids side by side. Left: the causal mask, with the cells above the diagonal dark and crossed (blocked). Right: the attention weights, zero above the diagonal; the first row puts weight 1 on its own token, later rows spread their weight over the tokens up to and including themselves."}}
viz.attention.mask_figure(mask, weights, labels=tokens, title="A causal mask and the weights it produces");

# %% [markdown]
# The first token can only attend to itself, so its weight is 1. That the future really is
# invisible can be checked directly: change the last two tokens and the outputs at the first
# three positions do not move.

# %%
X_changed = X.copy()
X_changed[3:] = rng.normal(size=(2, 8))
out_changed, _ = ll.scaled_dot_product_attention(X_changed, X_changed, X_changed, attn_mask=mask)
print("positions 0-2 unchanged:", np.allclose(out[:3], out_changed[:3]),
      "| positions 3-4 unchanged:", np.allclose(out[3:], out_changed[3:]))

# %% [markdown]
# **Padding masks.** Sequences of different lengths are padded to a common length; no query
# should attend to the padding. `MultiheadAttention` takes a `key_padding_mask` of shape `(N, S)`,
# `True` at the padded keys, and combines it with `attn_mask`.
#
# **A fully masked row.** If a query may attend to no key at all — say, a padded *query*
# position under a causal mask that also blocks the padding — its softmax has nothing to
# normalise: $e^{-\infty} / \sum e^{-\infty} = 0/0$, and a plain softmax returns NaN. Like
# PyTorch's `torch.nn.functional.scaled_dot_product_attention`, `ll.scaled_dot_product_attention`
# gives such a query zero weights and a zero output instead, and passes no gradient back through
# it. If a blocked row can only mean a bug in your masks, `fully_masked_rows="raise"` makes it an
# error:

# %%
bad = np.array([[False, True, True],
                [True, True, True],                 # query 1 may look at nothing
                [False, False, True]])
out_bad, w_bad = ll.scaled_dot_product_attention(X[:3], X[:3], X[:3], attn_mask=bad)
print("weights:\n", w_bad.round(3), "\noutput of query 1:", out_bad[1].round(3))
try:
    ll.scaled_dot_product_attention(X[:3], X[:3], X[:3], attn_mask=bad, fully_masked_rows="raise")
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# Beware the opposite convention: `torch.nn.functional.scaled_dot_product_attention` reads a
# boolean mask as **`True` = may attend**. The same array means the inverse mask there; the
# common bugs below show how to catch the mix-up.
#
# ## Multi-head attention
#
# A single attention layer computes one weighted average per query: one way of looking at the
# sequence. **Multi-head attention** {footcite}`vaswani2017attention` runs $h$ attentions side by
# side, each on its own learned projection of the inputs, and concatenates the results. With
# model width $E$ and $h$ heads of size $d = E/h$:
#
# $$
# \begin{aligned}
# Q &= X_q W_q^\top + b_q, \quad K = X_k W_k^\top + b_k, \quad V = X_v W_v^\top + b_v
#   && (W_q, W_k, W_v \in \mathbb{R}^{E \times E})\\
# \mathrm{head}_j &= \mathrm{Attention}\bigl(Q_{[:,\,jd:(j+1)d]},\; K_{[:,\,jd:(j+1)d]},\;
#   V_{[:,\,jd:(j+1)d]}\bigr) && (L \times d)\\
# \mathrm{MultiHead}(X_q, X_k, X_v) &= [\mathrm{head}_1, \ldots, \mathrm{head}_h]\, W_o^\top + b_o
#   && (W_o \in \mathbb{R}^{E \times E}) .
# \end{aligned}
# $$
#
# Each head attends in its own $d$-dimensional subspace, so the total cost is about that of one
# head of width $E$. Like PyTorch, `ll.MultiheadAttention` stores the three input projections
# as one matrix `in_proj_weight` of shape $(3E, E)$, rows $[W_q; W_k; W_v]$, and the output
# projection as `out_proj`. That makes the parameter count
#
# $$
# \underbrace{3E^2 + 3E}_{\text{in\_proj}} + \underbrace{E^2 + E}_{\text{out\_proj}} = 4E^2 + 4E .
# $$

# %%
E, h = 8, 2
mha = ll.MultiheadAttention(E, h, rng=np.random.default_rng(0))
for name, p in mha.named_parameters():
    print(f"{name:<16} {p.shape}")
print(f"parameters: {mha.num_parameters()} = 4·{E}² + 4·{E} = {4 * E**2 + 4 * E}")

# %% [markdown]
# Following one batch through the layer, with `N = 3` sequences of `L = 5` tokens, shows every
# intermediate shape. Splitting into heads is only a reshape and a transpose: the $E = 8$ columns
# of $Q$ become 2 heads of $d = 4$ columns.

# %%
N, L = 3, 5
x = np.random.default_rng(1).normal(size=(N, L, E))
W_q, W_k, W_v = np.split(mha.in_proj_weight.data, 3)        # three (E, E) blocks
b_q = np.split(mha.in_proj_bias.data, 3)[0]
Q = x @ W_q.T + b_q                                           # (N, L, E)
Q_heads = Q.reshape(N, L, h, E // h).transpose(0, 2, 1, 3)    # (N, h, L, d)
print("x", x.shape, "-> Q", Q.shape, "-> heads", Q_heads.shape)
out, weights = mha(x, x, x)
print("output", out.shape, " weights per head", weights.shape, "= (N, h, L, S)")

# %% [markdown]
# The whole computation, `ll.multi_head_attention_forward`:

# %%
viz.show_source(ll.multi_head_attention_forward)

# %% [markdown]
# `weights` keeps one matrix per head, like PyTorch's `average_attn_weights=False`
# (`weights.mean(axis=1)` gives PyTorch's default, the average over heads). At initialisation
# the two heads already look at the sequence differently, because their projections differ.
# Move `head` to compare them: each row is one query's weights over the five keys, its largest
# weight outlined, and the read-out names the key each query attends to most.

# %% mystnb={"image": {"alt": "Interactive figure: a 5 by 5 grid of the attention weights of one head for the first sequence, each cell labelled with its weight and shaded by it, the largest weight of each row outlined; a head slider switches between the two heads, whose largest weights mostly fall on different keys."}}
viz.attention.head_explorer(weights[0], title="Two heads of an untrained MultiheadAttention(8, 2)")

# %% [markdown]
# ## The backward pass
#
# With $P$ the weights and $G = \partial L/\partial\,\mathrm{out}$, the gradient flows back
# through the two matrix products and the softmax:
#
# $$
# \frac{\partial L}{\partial V} = P^\top G, \qquad
# \frac{\partial L}{\partial P} = G V^\top, \qquad
# \frac{\partial L}{\partial S_{ij}} = P_{ij}\Bigl(\frac{\partial L}{\partial P_{ij}}
#     - \sum_{m} P_{im} \frac{\partial L}{\partial P_{im}}\Bigr),
# $$
#
# $$
# \frac{\partial L}{\partial Q} = \frac{1}{\sqrt{d_k}}\,\frac{\partial L}{\partial S}\,K, \qquad
# \frac{\partial L}{\partial K} = \frac{1}{\sqrt{d_k}}\,\Bigl(\frac{\partial L}{\partial S}\Bigr)^{\!\top} Q .
# $$
#
# The middle formula is the softmax backward of the activations chapter applied to each row. A
# masked entry has $P_{ij} = 0$, so it gets no gradient.

# %%
viz.show_source(ll.scaled_dot_product_attention_backward)

# %% [markdown]
# Check it against central differences on the scalar loss $\sum \mathrm{out} \odot G$ for a
# random $G$, with a batch, a rectangular shape ($L = 4$ queries, $S = 6$ keys) and a mask
# that blocks some keys:

# %%
q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 6, 3)), rng.normal(size=(2, 6, 5))
mask = rng.random((4, 6)) < 0.3
mask[:, 0] = False                              # every query keeps at least one key
G = rng.normal(size=(2, 4, 5))
out, _, cache = ll.scaled_dot_product_attention_forward(q, k, v, attn_mask=mask)
grads = ll.scaled_dot_product_attention_backward(G, cache)


def loss():
    return np.sum(ll.scaled_dot_product_attention(q, k, v, attn_mask=mask)[0] * G)


for name, array, grad in zip("qkv", (q, k, v), grads, strict=True):
    print(f"d{name}: relative error {ll.rel_error(grad, ll.numerical_gradient(loss, array)):.1e}")

# %% [markdown]
# `MultiheadAttention.backward` adds the projections' gradients around this core. For
# self-attention, where one `x` is passed as query, key and value, the gradient of `x` is the
# sum of the three returned gradients.
#
# ## Self-attention versus recurrence
#
# A recurrent layer carries information from position 1 to position $T$ through $T - 1$
# state updates; self-attention connects every pair of positions directly. Vaswani et al.
# {footcite}`vaswani2017attention` compare the two (sequence length $T$, width $d$):
#
# | | self-attention | recurrent layer (RNN, LSTM, GRU) |
# |---|---|---|
# | operations per layer | $O(T^2 \cdot d)$ | $O(T \cdot d^2)$ |
# | sequential steps (cannot run in parallel) | $O(1)$ | $O(T)$ |
# | longest path between two positions | $O(1)$ | $O(T)$ |
# | memory for the weights / states | $O(T^2)$ per head | $O(T \cdot d)$ |
#
# Attention is cheaper when $T < d$ — true of most sentences — and all positions are computed at
# once, which suits GPUs; for very long sequences the $T^2$ term dominates. The path length
# matters for learning: a gradient from the last position reaches position $t$ of an RNN only
# through $T - t$ multiplications by the recurrent Jacobian, and in a plain RNN it shrinks
# geometrically on the way (see the recurrent chapter). Here is the size of
# $\partial\,\mathrm{output}_T / \partial x_t$ for an untrained `ll.RNN` and an untrained
# `ll.MultiheadAttention`, on the same 48-step random sequence:

# %%
T, D = 48, 16
x = rng.normal(size=(1, T, D))
d_last = np.zeros((1, T, D))
d_last[0, -1] = rng.normal(size=D)              # a gradient at the last position only

rnn = ll.RNN(D, D, rng=np.random.default_rng(0))
rnn_out, _ = rnn(x)
dx_rnn = rnn.backward(d_last)

attn = ll.MultiheadAttention(D, 1, rng=np.random.default_rng(0))
attn_out, _ = attn(x, x, x)
dx_attn = sum(attn.backward(d_last))            # self-attention: d_query + d_key + d_value

distance = np.arange(T)[::-1]                   # T - 1 - t
norms = {"RNN": np.linalg.norm(dx_rnn[0], axis=-1), "self-attention": np.linalg.norm(dx_attn[0], axis=-1)}
for name, n in norms.items():
    print(f"{name:<15} gradient size at distance 1: {n[-2]:.2e}, at distance {T - 1}: {n[0]:.2e}")

# %% mystnb={"image": {"alt": "A line plot on a logarithmic y axis of the gradient size against the distance from the last position, 0 to 47. The RNN curve falls steadily, by many orders of magnitude; the self-attention curve stays roughly flat."}}
viz.plot_curves(norms, x=distance, xlabel="distance from the last position (steps)",
                ylabel="‖∂ output_T / ∂ x_t‖", logy=True,
                title="How far back does the last position's gradient reach?");

# %% [markdown]
# The RNN's gradient loses orders of magnitude over the 47 steps; the attention layer's stays
# at the same size whatever the distance, because every position is one step away. (Training can make an RNN's decay slower — that is what LSTMs
# and GRUs are for — but not make its path shorter.) The price of attention is that it has no
# built-in sense of order: without masks, permuting the input positions just permutes the
# outputs (exercise 3), which is why Transformers add *positional encodings* to their inputs.
#
# ## A trained example: learning to look a key up
#
# Can an attention layer learn the dictionary look-up of the first section from examples? Each
# training sequence holds 6 key–value pairs — a key letter from A–H (no repeats) and a value digit
# 0–7 — followed by a question: one of the 6 keys, with a blank value. The target is the value
# stored under that key. Position $t$ is embedded as the sum of an embedding of its key and an
# embedding of its value (the blank is an extra value id 8); one `MultiheadAttention` layer with
# a single head runs over the 7 positions, and a linear layer reads the answer from the output at
# the question position.

# %%
KEYS, VALUES, PAIRS, WIDTH = "ABCDEFGH", 8, 6, 16


def make_batch(r, n):
    """n sequences: 6 (key, value) pairs and a question key; returns ids, answers, positions."""
    keys = np.argsort(r.random((n, len(KEYS))), axis=1)[:, :PAIRS]         # distinct keys
    values = r.integers(0, VALUES, size=(n, PAIRS))
    asked = r.integers(0, PAIRS, size=n)                                  # where the answer is
    rows = np.arange(n)
    key_ids = np.column_stack([keys, keys[rows, asked]])                  # (n, 7)
    value_ids = np.column_stack([values, np.full(n, VALUES)])             # blank value at the end
    return key_ids, value_ids, values[rows, asked], asked


init = np.random.default_rng(0)
key_emb, value_emb = ll.Embedding(len(KEYS), WIDTH, rng=init), ll.Embedding(VALUES + 1, WIDTH, rng=init)
attn = ll.MultiheadAttention(WIDTH, 1, rng=init)
readout = ll.Linear(WIDTH, VALUES, rng=init)
modules = (key_emb, value_emb, attn, readout)
loss_fn = ll.CrossEntropyLoss()
opt = ll.Adam([p for m in modules for p in m.parameters()], lr=0.01)


def forward(key_ids, value_ids):
    x = key_emb(key_ids) + value_emb(value_ids)                           # (n, 7, 16)
    out, weights = attn(x, x, x)                                          # (n, 7, 16), (n, 1, 7, 7)
    return readout(out[:, -1]), out, weights[:, 0, -1]                    # logits of the question


data = np.random.default_rng(1)
losses = []
for _ in range(200):
    key_ids, value_ids, answer, _ = make_batch(data, 64)
    logits, out, _ = forward(key_ids, value_ids)
    losses.append(loss_fn(logits, answer))
    opt.zero_grad()
    d_out = np.zeros_like(out)
    d_out[:, -1] = readout.backward(loss_fn.backward())                   # only the question's output
    dx = sum(attn.backward(d_out))                                        # self-attention
    key_emb.backward(dx)
    value_emb.backward(dx)
    opt.step()

key_ids, value_ids, answer, asked = make_batch(np.random.default_rng(2), 1000)
logits, _, look = forward(key_ids, value_ids)
print(f"loss: first step {losses[0]:.2f}, last 20 steps {np.mean(losses[-20:]):.3f}")
print(f"1000 new sequences: accuracy {np.mean(logits.argmax(axis=1) == answer):.1%}, "
      f"mean weight on the asked pair {look[np.arange(1000), asked].mean():.2f}")

# %% [markdown]
# Chance would be 1 in 8. The attention weights show how the layer solves it: the question
# position puts nearly all its weight on the pair whose key matches — it has learned queries and
# keys that make "same letter" the best match, and values that carry the digit.

# %% mystnb={"image": {"alt": "A heat map with 6 rows (test sequences) and 7 columns (positions), each cell labelled with its key-value pair such as C3, the last column holding the question such as E?. In every row the brightest cell, outlined, is the pair whose key equals the question's key."}}
labels = np.array([[f"{KEYS[a]}{b if b < VALUES else '?'}" for a, b in zip(ka, va, strict=True)]
                   for ka, va in zip(key_ids[:6], value_ids[:6], strict=True)])
viz.attention.retrieval_figure(look[:6], asked[:6], cell_labels=labels,
                               title="Attention of the question position after training");

# %% [markdown]
# ## Common bugs
#
# **1. The mask convention inverted.** `nn.MultiheadAttention` (and `layers_lib`) block where the
# boolean mask is `True`; `F.scaled_dot_product_attention` *allows* where it is `True`. Passing a
# mask built for one to the other inverts it: a causal mask then shows each query only the
# future. The check: after masking, the weights above the diagonal must be exactly zero — and
# the first query's weight on itself 1.

# %%
X = rng.normal(size=(5, 8))
allowed = ~ll.causal_mask(5)                        # "True = may attend", torch.nn.functional style
for name, m in (("blocking mask (True = blocked)", ll.causal_mask(5)), ("inverted mask", allowed)):
    _, w = ll.scaled_dot_product_attention(X, X, X, attn_mask=m)
    print(f"{name:<31} future weight {np.triu(w, 1).sum():.3f}, first query on itself {w[0, 0]:.3f}, "
          f"row sums {w.sum(axis=-1).round(3)}")

# %% [markdown]
# The inverted mask also blocks every key of the last query. Without an error, it gets zero
# weights and a zero output, as in PyTorch's `F.scaled_dot_product_attention`; its row sum, 0
# instead of 1, gives it away. `MultiheadAttention` is louder: with its default `need_weights=True` a
# fully masked query gets NaN, as in `torch.nn.MultiheadAttention`, and the backward pass carries
# the NaN into the parameters' gradients. Here the second of two sequences is nothing but padding:

# %%
mha_pad = ll.MultiheadAttention(8, 2, rng=np.random.default_rng(0))
x_pad = np.random.default_rng(1).normal(size=(2, 3, 8))
padding = np.array([[False, False, True], [True, True, True]])    # sequence 1: only padding
for need_weights in (True, False):
    mha_pad.zero_grad()
    out, _ = mha_pad(x_pad, x_pad, x_pad, key_padding_mask=padding, need_weights=need_weights)
    mha_pad.backward(np.ones_like(out))
    print(f"need_weights={need_weights!s:<5}  NaN in sequence 0, 1: {np.isnan(out).any(axis=(1, 2))}, "
          f"NaN share of in_proj_weight.grad: {np.isnan(mha_pad.in_proj_weight.grad).mean():.0%}")
print("need_weights=False: sequence 1's output rows equal out_proj.bias:",
      np.array_equal(out[1], np.broadcast_to(mha_pad.out_proj.bias.data, out[1].shape)))

# %% [markdown]
# One padded sequence is enough to make the whole gradient of `in_proj_weight` NaN; an optimizer
# step would copy the NaN into every one of those weights. With `need_weights=False` (where torch
# calls `F.scaled_dot_product_attention`) the padded queries get a zero attention output — their
# output rows are just `out_proj.bias` — and the gradients stay finite. The check that catches
# the bug before it happens: no row of the combined mask may be all `True`,
# `mask.all(axis=-1).any()` must be `False` (or pass `fully_masked_rows="raise"` to
# `ll.scaled_dot_product_attention`).
#
# **2. The softmax over the wrong axis.** `softmax(scores, axis=0)` on an `(L, S)` score matrix
# normalises each *column*: every key distributes one unit of weight over the queries. Shapes are
# unchanged, so nothing fails. The check: every **row** must sum to 1.

# %%
scores = X @ X.T / np.sqrt(8)
for axis in (0, -1):
    w = ll.softmax(scores, dim=axis)
    print(f"softmax over axis {axis:>2}: rows sum to 1: {np.allclose(w.sum(axis=-1), 1)}")

# %% [markdown]
# **3. `.T` on a batch.** For a 2-D key matrix `k.T` is the transpose, but for a batch
# `(N, S, d)` it reverses all three axes to `(d, S, N)`. Usually the product then fails — unless
# the sizes happen to line up, and a test with `N = S = d` passes with wrong numbers. The check:
# test with **all sizes different**, and transpose with `np.swapaxes(k, -1, -2)`:

# %%
r = np.random.default_rng(5)
for N_, L_, S_, d_ in ((4, 4, 4, 4), (2, 3, 5, 4)):
    q_, k_ = r.normal(size=(N_, L_, d_)), r.normal(size=(N_, S_, d_))
    right = q_ @ np.swapaxes(k_, -1, -2)
    try:
        wrong = q_ @ k_.T
        verdict = f"runs, same numbers: {wrong.shape == right.shape and np.allclose(wrong, right)}"
    except ValueError:
        verdict = "fails with a shape error"
    print(f"N, L, S, d = {N_}, {L_}, {S_}, {d_}: q @ k.T {verdict}")

# %% [markdown]
# **4. Forgetting $\sqrt{d_k}$, or dividing by $d_k$.** Both run and give plausible-looking
# weights; only the sharpness is wrong, and at small $d$ the difference is modest. Compare with a
# reference implementation at a **large** $d$, or watch the entropy of the weights (the exercise
# below catches both).
#
# ## Exercises
#
# ```{exercise} Scaled dot-product attention — ★★☆ medium
# :label: attention-ex1
#
# Write scaled dot-product attention, `attention(q, k, v)`, returning only the output
# $\mathrm{softmax}(QK^\top/\sqrt{d})\,V$ for `q` of shape `(..., L, d)`, `k` `(..., S, d)` and `v`
# `(..., S, d_v)` (any number of leading dimensions). Use a softmax that cannot overflow. The
# checker's hidden cases include a square one, a batch and large scores.
# ```

# %%
from layers_lib.exercises import attention as ex


def attention(q, k, v):
    # your code here
    return None


ex.check_attention(attention)

# %% [markdown]
# ````{solution} attention-ex1
# :class: dropdown
#
# ```python
# def attention(q, k, v):
#     scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])   # (..., L, S)
#     scores = scores - scores.max(axis=-1, keepdims=True)          # no overflow in exp
#     w = np.exp(scores)
#     w = w / w.sum(axis=-1, keepdims=True)                          # each row sums to 1
#     return w @ v                                                   # (..., L, d_v)
# ```
#
# The mistakes the checker names: no scale or a scale of $1/d$; `axis=0` (or `-2`) in the
# softmax; `q @ k` or `k @ q.T` instead of `q @ k.T` (both run when the sizes are square);
# `k.T` on a batch; and `np.exp` without subtracting the maximum, which gives NaN once a score
# passes about 709.
# ````
#
# ```{exercise} The shapes of multi-head attention — ★☆☆ easy
# :label: attention-ex2
#
# Predict, then check with `ll.MultiheadAttention`: a layer `MultiheadAttention(64, 8)` gets a
# query of shape `(2, 10, 64)` and key and value of shape `(2, 15, 64)` (cross-attention). What
# is the head size? What are the shapes of `in_proj_weight`, of the queries of one head, of
# the output and of the weights? How many parameters does the layer have?
# ```
#
# ````{solution} attention-ex2
# :class: dropdown
#
# Head size $d = 64/8 = 8$. `in_proj_weight` is `(192, 64)`. The projected queries, split into
# heads, are `(2, 8, 10, 8)` = `(N, h, L, d)` (keys and values `(2, 8, 15, 8)`). The output has
# the query's shape, `(2, 10, 64)`, and the weights are `(2, 8, 10, 15)` = `(N, h, L, S)`: one
# row per query, one column per key. Parameters: $4 \cdot 64^2 + 4 \cdot 64 = 16\,640$.
#
# ```python
# mha = ll.MultiheadAttention(64, 8, rng=np.random.default_rng(0))
# out, w = mha(np.ones((2, 10, 64)), np.ones((2, 15, 64)), np.ones((2, 15, 64)))
# print(mha.head_dim, mha.in_proj_weight.shape, out.shape, w.shape, mha.num_parameters())
# # 8 (192, 64) (2, 10, 64) (2, 8, 10, 15) 16640
# ```
# ````
#
# ```{exercise} Permutation equivariance — ★★☆ medium
# :label: attention-ex3
#
# Show that self-attention without a mask is **permutation-equivariant**: if the positions of
# `x` are shuffled by a permutation `perm`, the output is shuffled the same way,
# `mha(x[:, perm], ...)[0] == out[:, perm]`. Verify it with `ll.MultiheadAttention`, and explain
# why it means attention alone cannot tell "dog bites man" from "man bites dog". Does it still
# hold with a causal mask?
# ```
#
# ````{solution} attention-ex3
# :class: dropdown
#
# ```python
# mha = ll.MultiheadAttention(8, 2, rng=np.random.default_rng(0))
# x = np.random.default_rng(1).normal(size=(1, 5, 8))
# perm = np.array([3, 0, 4, 1, 2])
# out, _ = mha(x, x, x)
# out_p, _ = mha(x[:, perm], x[:, perm], x[:, perm])
# print(np.allclose(out_p, out[:, perm]))      # True
# ```
#
# Every position is projected by the same matrices, and a query's output is a weighted average
# over the *set* of keys and values — a sum, which does not depend on their order. So the output
# at the position of "dog" is the same whether "dog" comes first or last: the layer has no
# notion of order. Transformers therefore add positional information to the inputs (fixed
# sinusoids or learned position embeddings — an `Embedding` of the position index). A causal
# mask breaks the symmetry: which keys a query may see depends on positions, so the check fails
# for most permutations.
# ````
#
# ```{exercise} Zero queries and huge queries — ★★☆ medium
# :label: attention-ex4
#
# What does attention compute when every query is the zero vector? And when the queries are
# multiplied by a very large number? Relate both to the temperature explorer, then check your
# answer with `ll.scaled_dot_product_attention`.
# ```
#
# ````{solution} attention-ex4
# :class: dropdown
#
# With $q = 0$ every score is 0, the softmax of equal scores is uniform, $w_j = 1/S$, and every
# output row is the **mean of the values** — average pooling over the sequence (infinite
# temperature). Multiplying the queries by $c \to \infty$ multiplies the scores by $c$, the
# temperature $1/c$ goes to 0 and each query returns the value of its best-matching key: a hard
# look-up (ties share the weight equally).
#
# ```python
# k, v = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
# out, w = ll.scaled_dot_product_attention(np.zeros((2, 4)), k, v)
# print(np.allclose(out, v.mean(axis=0)))                         # True
# q = rng.normal(size=(2, 4))
# out, w = ll.scaled_dot_product_attention(1e4 * q, k, v)
# print(np.allclose(out, v[np.argmax(q @ k.T, axis=1)]))          # True
# ```
# ````

# %% [markdown]
# ## Summary
#
# * Attention is a soft dictionary look-up: queries are compared with keys by dot products, a
#   row-wise softmax turns the scores into weights, and each output is the weighted average of
#   the values. A very peaked softmax is a hard look-up; a flat one is an average.
# * $\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$ maps $(L, d_k)$,
#   $(S, d_k)$, $(S, d_v)$ to $(L, d_v)$ through weights of shape $(L, S)$.
# * The dot product of random unit-variance vectors has variance $d_k$; dividing by
#   $\sqrt{d_k}$ keeps the softmax out of saturation, where its gradient vanishes.
# * Boolean masks in `nn.MultiheadAttention` and `layers_lib` block where `True` (the opposite of
#   `F.scaled_dot_product_attention`); causal masks hide the future, padding masks hide padding,
#   and a query with no visible key gets zero weights and a zero output (as in
#   `F.scaled_dot_product_attention`), or NaN in `MultiheadAttention` with `need_weights=True`
#   (as in `torch.nn.MultiheadAttention`).
# * Multi-head attention projects with `in_proj_weight` $(3E, E)$, splits $E$ into $h$ heads of
#   size $E/h$ with weights `(N, h, L, S)`, concatenates and projects with `out_proj`:
#   $4E^2 + 4E$ parameters.
# * The backward pass is two matrix products around a row-wise softmax backward, scaled by
#   $1/\sqrt{d_k}$; it agrees with central differences.
# * Self-attention connects every pair of positions in one step (path length $O(1)$, cost
#   $O(T^2 d)$); recurrence needs $O(T)$ sequential steps and its gradients fade with distance.
#
# ## References
#
# ```{footbibliography}
# ```
