# %% [markdown]
# # Embedding layers
#
# A network cannot multiply a word. Text, product ids, user ids, amino acids, chess pieces: the
# input is a symbol from a finite vocabulary, and the first thing a model does with it is turn it
# into numbers. An **embedding layer** does this with the simplest data structure there is — a
# table with one learned vector per symbol. The symbol's integer id selects a row; training moves
# the rows so that symbols which play similar roles end up with similar vectors.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * compute an embedding as a **lookup table**, show that it equals multiplying a one-hot vector
#   by a weight matrix, and explain why nobody computes it that way;
# * predict the output shape: ids of any shape `(N, T)` become vectors `(N, T, D)`;
# * compute the **sparse gradient**: only the rows that were looked up change, and an id used
#   three times gets three contributions;
# * use `padding_idx`, a row that stays zero and never learns;
# * train embeddings from context on a tiny language, and explain why words of one class gather
#   together (the idea behind word2vec);
# * catch three bugs: float ids, out-of-range ids, and an update that silently drops repeated ids.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses [the linear layer](linear.ipynb) (`x @ W.T` and its weight gradient) and the
# softmax and cross-entropy of [activations](activations.ipynb), which train the word vectors.
# Reading it and doing the exercises takes about 45 minutes.
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
# ## The picture: a table and a lookup
#
# Take a vocabulary of 6 symbols and a table `weight` of shape `(6, 3)`: one 3-dimensional vector
# per symbol. To embed the sequence of ids `[3, 0, 3, 5]`, copy out rows 3, 0, 3 and 5. The same
# result comes from writing each id as a **one-hot** row — all zeros except a 1 in the id's
# column — and multiplying by the table: the 1 picks out one row, the zeros discard the others.
# Move `position` to look the ids up one at a time: the highlighted one-hot row has its 1 in the
# id's column, and the table row it picks is copied into the output.

# %% mystnb={"image": {"alt": "Interactive figure: four grids side by side. The ids 3, 0, 3, 5; their 4 by 6 one-hot matrix with a single 1 per row; the 6 by 3 table; and the 4 by 3 output. A position slider highlights one id, its one-hot row and the table row it picks, and fills the output in up to that position with copies of table rows 3, 0, 3 and 5."}}
table = np.round(rng.normal(size=(6, 3)), 1)
ids = np.array([3, 0, 3, 5])
viz.embedding.lookup_explorer(ids, table)

# %% [markdown]
# Id 3 appears twice, so row 3 is copied twice. Rows 1, 2 and 4 are not used at all — which will
# matter for the gradient.
#
# ## The math
#
# Let $W \in \mathbb{R}^{V \times D}$ be the table ($V$ symbols, $D$ numbers each) and
# $e_i \in \{0, 1\}^V$ the one-hot vector of id $i$. The embedding of $i$ is row $i$ of $W$:
#
# $$
# y = e_i^\top W = W_{i,:} .
# $$
#
# For a sequence of ids $i_1, \ldots, i_T$, stack the one-hot rows into $E \in \{0,1\}^{T \times V}$;
# then $Y = E\,W$ — exactly a linear layer without bias applied to one-hot inputs. The backward
# pass follows from the matrix product: with $G = \partial L / \partial Y$ of shape $(T, D)$,
#
# $$
# \frac{\partial L}{\partial W} = E^\top G, \qquad\text{so}\qquad
# \frac{\partial L}{\partial W_{j,:}} = \sum_{t \,:\, i_t = j} G_{t,:} .
# $$
#
# Row $j$ of the gradient is the **sum** of the upstream gradients of the positions that looked
# up $j$: zero if $j$ was not used, one term if it was used once, three terms if three times. There
# is no gradient with respect to the ids themselves — they are integers.
#
# The one-hot formulation is how to *think* about an embedding; the lookup is how to *compute*
# it. Both give the same numbers:

# %%
emb = ll.Embedding(6, 3, rng=np.random.default_rng(1))
one_hot = np.eye(6)[ids]                       # (T, V) = (4, 6)
print("one-hot @ weight equals the lookup:", np.allclose(one_hot @ emb.weight.data, emb(ids)))

# %% [markdown]
# but at very different cost. The product touches all $V$ rows for each of the $T$ positions
# ($T \cdot V \cdot D$ multiply-adds, mostly multiplications by zero) and first builds a
# $T \times V$ matrix; the lookup copies $T \cdot D$ numbers. For a realistic vocabulary:

# %%
import timeit

V, D, T = 50_000, 256, 512                      # vocabulary, embedding size, tokens in a batch
print(f"one-hot product: {T * V * D:,} multiply-adds and a {T}×{V} one-hot matrix "
      f"({T * V * 8 / 1e6:.0f} MB in float64)")
print(f"lookup:          {T * D:,} numbers copied — {V:,} times less work")

big = ll.Embedding(5_000, 64, rng=np.random.default_rng(0))
batch_ids = np.random.default_rng(1).integers(0, 5_000, size=256)


def one_hot_product():
    one_hot = (batch_ids[:, None] == np.arange(5_000)).astype(np.float64)   # (256, 5000)
    return one_hot @ big.weight.data


t_lookup = min(timeit.repeat(lambda: big(batch_ids), number=20, repeat=3)) / 20
t_product = min(timeit.repeat(one_hot_product, number=3, repeat=3)) / 3
print(f"measured here, V = 5,000, D = 64, 256 ids: lookup {t_lookup * 1e3:.3f} ms, "
      f"one-hot product {t_product * 1e3:.2f} ms")

# %% [markdown]
# (The timings depend on the machine that built this page; the operation counts do not.) The
# same reasoning applies to the gradient: $E^\top G$ would be a dense $V \times D$ product, while
# the rows it can change are only the $T$ (or fewer) that were looked up.
#
# ## Shapes
#
# `ll.Embedding(num_embeddings, embedding_dim)` follows `torch.nn.Embedding`: the ids can have
# **any** shape, and the output appends one axis of size `embedding_dim`. A batch of $N$
# sequences of $T$ tokens, shape `(N, T)`, becomes `(N, T, D)` — the batch-first layout the
# recurrent and attention layers expect:

# %%
emb = ll.Embedding(num_embeddings=10, embedding_dim=4, rng=np.random.default_rng(2))
print(emb, "weight:", emb.weight.shape)
for shape in [(), (5,), (2, 7), (3, 2, 7)]:
    batch = np.random.default_rng(3).integers(0, 10, size=shape)
    print(f"ids {str(shape):<10} -> output {emb(batch).shape}")

# %% [markdown]
# The table is initialised from $\mathcal{N}(0, 1)$, as in PyTorch. There is no $1/\sqrt{\text{fan-in}}$
# factor as in a linear layer because nothing is summed: each output *is* one row, so unit
# variance in the table means unit variance in the output.
#
# ## The code that runs
#
# The forward pass is one `np.take`; the backward pass returns only the rows it touches, grouped
# by sorting the ids so that repeated ids are summed:

# %%
viz.show_source(ll.embedding_forward)

# %%
viz.show_source(ll.embedding_backward)

# %% [markdown]
# The layer adds these rows into `weight.grad` (the ids in `rows` are unique, so plain fancy
# indexing is exact here — we will see below why that matters) and zeroes the padding row:

# %%
viz.show_source(ll.Embedding.backward)

# %% [markdown]
# A check against central differences, with repeated ids in a `(2, 5)` batch. The loss
# $L = \sum Y \odot G$ for a fixed random $G$ has $\partial L/\partial Y = G$:

# %%
emb = ll.Embedding(7, 3, rng=np.random.default_rng(4))
batch = np.array([[1, 4, 4, 0, 6], [4, 2, 1, 1, 3]])
G = rng.normal(size=(2, 5, 3))
emb.zero_grad()
emb(batch)
emb.backward(G)
numeric = ll.numerical_gradient(lambda: np.sum(emb(batch) * G), emb.weight.data)
print(f"relative error of weight.grad: {ll.rel_error(emb.weight.grad, numeric):.1e}")

# %% [markdown]
# ## The sparse gradient
#
# To see which rows learn, run a batch through an 8-row table and send back an upstream gradient
# of ones, so that each entry of a row's gradient simply counts how often the row was used.
# The batch holds two padded sentences; id 0 is the padding token (more on it in a moment):

# %% mystnb={"image": {"alt": "Left: a horizontal bar chart of how often each of the 8 ids was looked up: id 0 twice, id 1 once, id 2 twice, id 5 three times, the others never. Right: weight.grad as a grid; rows 1, 2 and 5 hold 1, 2 and 3 in every column, all other rows (including the padding row 0) are hatched, meaning exactly zero."}}
emb = ll.Embedding(8, 4, padding_idx=0, rng=np.random.default_rng(5))
batch = np.array([[5, 2, 5, 0],
                  [1, 5, 2, 0]])                # two sentences, padded with id 0
emb(batch)
emb.backward(np.ones((2, 4, 4)))
counts = np.bincount(batch.ravel(), minlength=8)
viz.embedding.gradient_rows(emb.weight.grad, counts, padding_idx=0,
                            title="Only looked-up rows get a gradient; repeated ids add up");

# %%
for row in range(8):
    print(f"id {row}: used {counts[row]}×, weight.grad[{row}] = {emb.weight.grad[row]}")

# %% [markdown]
# Five of the eight rows receive exactly zero. With a real vocabulary of tens of thousands of
# words and a batch of a few hundred tokens, almost every row of the gradient is zero at every
# step. That is why PyTorch offers `nn.Embedding(..., sparse=True)`, which returns the gradient as
# the list of touched rows (what `ll.embedding_backward` computes) and pairs with optimizers that
# update only those rows. A dense optimizer like Adam still visits every row, and its momentum
# keeps moving rows for a few steps after their last use.
#
# ## `padding_idx`
#
# Sequences in a batch rarely have the same length, so short ones are filled up with a padding
# id. Padding is not a word, and its vector should carry no information. With `padding_idx=0` the
# layer initialises row 0 to zeros and never gives it a gradient (above, id 0 was used twice and
# still got nothing), so it stays zero however long we train:

# %%
opt = ll.Adam(emb.parameters(), lr=0.1)
for _ in range(5):
    opt.zero_grad()
    emb(batch)
    emb.backward(rng.normal(size=(2, 4, 4)))
    opt.step()
print("padding row after 5 Adam steps:", emb.weight.data[0])
print("rows 1, 2, 5 moved:", [bool(np.any(emb.weight.data[i] != 0)) for i in (1, 2, 5)])

# %% [markdown]
# A zero vector is a sensible "nothing" for layers that sum or average their inputs, but a
# later layer can still react to it (a bias is added to it, an attention score is computed for
# it); the reliable way to make a model ignore padding is a mask, as in the attention chapter's
# `key_padding_mask`. Note also that `padding_idx` only protects the row from *gradients*: if you
# copy pretrained vectors into `weight.data`, zero the padding row yourself (PyTorch behaves the
# same way).
#
# ## Learning embeddings from context
#
# Where do useful vectors come from? The *distributional hypothesis* says that words which occur
# in similar contexts have similar meanings. **word2vec** {footcite}`mikolov2013distributed` turns
# it into a training task: its skip-gram model embeds a word and asks a linear layer to predict
# the words around it. Words that appear in the same contexts need the same predictions, so
# training pulls their vectors together. Word2vec trains on billions of words and avoids the
# full softmax over a huge vocabulary with *negative sampling*; the resulting vectors famously
# support analogies such as $\text{vec}(\text{king}) - \text{vec}(\text{man}) +
# \text{vec}(\text{woman}) \approx \text{vec}(\text{queen})$.
#
# We can watch the effect in seconds on a toy language. Its sentences follow the pattern
# `DET [ADJ] NOUN VERB DET [ADJ] NOUN`, each slot filled at random from its class:

# %%
lang = viz.embedding.toy_language(n_sentences=300, seed=0)
vocab, classes, class_names = lang["vocab"], np.array(lang["classes"]), lang["class_names"]
word_id = {w: i for i, w in enumerate(vocab)}
for sentence in lang["sentences"][:4]:
    print(" ".join(sentence))
print(f"{len(vocab)} words:", {name: [w for w, c in zip(vocab, classes, strict=True) if c == k]
                                for k, name in enumerate(class_names)})

# %% [markdown]
# The model never sees the classes. Its training pairs are (word, neighbour) for every word and
# its left and right neighbour — the skip-gram task with a window of one — with one twist: the
# model must also say on which side the neighbour is. Target `j` means "word `j` on the left",
# target `14 + j` "word `j` on the right". (Word2vec ignores the side. In our language that would
# make adjectives and verbs indistinguishable: both sit between a determiner and a noun, only in
# opposite orders.)

# %%
V = len(vocab)
centres, targets = [], []
for sentence in lang["sentences"]:
    s = [word_id[w] for w in sentence]
    for t in range(len(s)):
        if t > 0:
            centres.append(s[t])
            targets.append(s[t - 1])            # left neighbour: 0 .. V-1
        if t + 1 < len(s):
            centres.append(s[t])
            targets.append(V + s[t + 1])        # right neighbour: V .. 2V-1
centres, targets = np.array(centres), np.array(targets)


def describe(target):
    return f"{vocab[target]} on the left" if target < V else f"{vocab[target - V]} on the right"


print(f"{len(centres)} pairs, e.g.", [(vocab[c], describe(j)) for c, j in zip(centres[:3], targets[:3], strict=True)])

# %% [markdown]
# The model is an `Embedding(14, D)` followed by a `Linear(D, 28)` whose outputs score the 28
# possible (side, neighbour) targets, trained with cross-entropy and Adam on all pairs at once.
# The task is ambiguous by nature — after "the" comes any adjective or noun — so the loss cannot
# reach zero. Its floor is the entropy of the true target distribution of each word, which we can
# count (`np.add.at` adds 1 for every pair, repeats included — remember it):

# %%
pair_counts = np.zeros((V, 2 * V))
np.add.at(pair_counts, (centres, targets), 1)
p_target = pair_counts / pair_counts.sum(axis=1, keepdims=True)
floor = -np.sum(pair_counts * np.log(np.where(pair_counts > 0, p_target, 1))) / pair_counts.sum()
print(f"lowest possible cross-entropy: {floor:.3f} (uniform guessing: log 28 = {np.log(28):.3f})")

# %%
SNAPSHOTS = [0, 5, 10, 20, 40, 80, 300]


def train_skipgram(dim, seed=0, steps=300, lr=0.05):
    """Embedding(V, dim) -> Linear(dim, 2V), full-batch Adam; records the table at SNAPSHOTS."""
    init = np.random.default_rng(seed)
    emb, out = ll.Embedding(V, dim, rng=init), ll.Linear(dim, 2 * V, rng=init)
    loss_fn = ll.CrossEntropyLoss()
    opt = ll.Adam(emb.parameters() + out.parameters(), lr=lr)
    run = {"step": [], "weight": [], "loss": []}
    for step in range(steps + 1):
        loss = loss_fn(out(emb(centres)), targets)
        if step in SNAPSHOTS:
            run["step"].append(step)
            run["weight"].append(emb.weight.data.copy())
            run["loss"].append(loss)
        opt.zero_grad()
        emb.backward(out.backward(loss_fn.backward()))
        opt.step()
    return run


runs = {dim: train_skipgram(dim) for dim in (2, 4, 8)}
for dim, run in runs.items():
    print(f"D = {dim}: loss {run['loss'][0]:.3f} -> {run['loss'][-1]:.3f}, class spread / class distance "
          f"{viz.embedding.class_separation(run['weight'][0], classes):.2f} -> "
          f"{viz.embedding.class_separation(run['weight'][-1], classes):.2f}")

# %% [markdown]
# The last number compares how far words sit from the centre of their own class with how far
# apart the class centres are: near 1 means no class structure, near 0 means tight, separate
# clusters. With two dimensions we can look at the table directly:

# %% mystnb={"image": {"alt": "A scatter plot of the 14 learned 2-D word vectors, each labelled with its word. The two determiners, the four adjectives, the four nouns and the four verbs form four separate tight groups, each group drawn with its own marker shape."}}
viz.embedding.embedding_map(runs[2]["weight"][-1], vocab, classes, class_names,
                            title="2-D embeddings after 300 steps",
                            xlabel="embedding dimension 1", ylabel="embedding dimension 2");

# %% [markdown]
# The four parts of speech have separated, although the model was only ever asked to predict
# neighbours: "cat" and "fish" are preceded by determiners or adjectives and followed by verbs,
# so they need the same predictions and end up in the same place. Within a class the words do not
# coincide exactly: 300 sentences are a finite sample, and "hears" happened to occur in slightly
# different company from "sees".
#
# ## Explore: training step and embedding size
#
# Move `step` to watch the table organise itself from its random start, and `dim` to change the
# embedding size. For `dim` 4 and 8 the figure shows the projection on the two principal
# components of the final table (the same axes at every step). The read-out gives the loss and
# the class spread. With more dimensions the loss gets closer to its floor, but the clusters stay
# looser: four classes need only a few directions, and along the directions that barely change
# the output the words receive almost no gradient, so they keep much of their random initial
# offsets there.

# %% mystnb={"image": {"alt": "Interactive figure: the learned word vectors of the toy language as labelled points, one marker per part of speech; a step slider moves through training from the random start to step 300, where the four classes form separate groups, and a dim slider switches between 2-, 4- and 8-dimensional embeddings shown by their first two principal components. The read-out gives the loss and the class spread."}}
import functools

viz.explore(
    functools.partial(viz.embedding.snapshot_frame, runs, vocab=vocab, classes=classes,
                      class_names=class_names),
    {"step": SNAPSHOTS, "dim": [2, 4, 8]},
    readout=functools.partial(viz.embedding.snapshot_readout, runs, classes=classes, floor=floor),
    title="Embeddings learned from context: training step and embedding size",
    initial={"step": 300, "dim": 2})

# %% [markdown]
# ## Common bugs
#
# **1. Float ids.** Ids built with `np.zeros(n)` and filled in later, or computed with `/`, are
# floats. NumPy refuses float indices, and so does `ll.Embedding`, with a clearer message (PyTorch
# requires `long` or `int` tensors for the same reason):

# %%
emb = ll.Embedding(14, 2, rng=np.random.default_rng(0))
ids = np.zeros(3)                               # float64 by default
ids[:] = [word_id["the"], word_id["cat"], word_id["sees"]]
try:
    emb(ids)
except TypeError as error:
    print("TypeError:", error)
print("fixed:", emb(ids.astype(np.int64)).shape, "— or create it as np.zeros(3, dtype=np.int64)")

# %% [markdown]
# **2. Ids out of range.** A vocabulary of 14 words has ids 0 to 13, so the table needs
# `num_embeddings=14`; sizing it with the largest id (13) is an off-by-one error. Worse, plain
# NumPy indexing accepts negative ids and silently returns rows from the end of the table. The
# layer checks the range; the same check belongs in any code that builds ids:

# %%
too_small = ll.Embedding(max(word_id.values()), 2, rng=np.random.default_rng(0))   # 13 rows
try:
    too_small(np.array([word_id["hears"]]))
except ValueError as error:
    print("ValueError:", error)
table = np.arange(12.0).reshape(6, 2)
print("plain NumPy, id -1:", table[np.array([-1])], "(the last row, no error)")
print("check on the training ids:", 0 <= centres.min() and centres.max() < len(vocab))

# %% [markdown]
# **3. An update that drops repeated ids.** Since only looked-up rows have a gradient, it is
# tempting to update just those rows, `W[ids] -= lr * dy`. With NumPy's fancy indexing, a
# repeated id is written once — the last write wins — so its other contributions vanish without
# an error. The same happens with `dW[ids] += dy`. `np.add.at` accumulates every occurrence:

# %%
W = np.zeros((4, 2))
ids = np.array([1, 3, 1, 1])                    # id 1 three times
dy = np.ones((4, 2))
naive = W.copy()
naive[ids] += dy
accumulated = W.copy()
np.add.at(accumulated, ids, dy)
print("dW[ids] += dy        ->", naive[:, 0], "(row 1 got one contribution)")
print("np.add.at(dW, ids, dy) ->", accumulated[:, 0], "(row 1 got three)")

# %% [markdown]
# The check that catches it compares with the one-hot formula $E^\top G$ on a batch **with repeated
# ids** — a batch of distinct ids hides the bug, because then both versions agree:

# %%
one_hot = np.eye(4)[ids]
for name, dW in (("fancy-index +=", naive), ("np.add.at", accumulated)):
    print(f"{name:<15} matches one_hot.T @ dy: {np.allclose(dW, one_hot.T @ dy)}")

# %% [markdown]
# ## Exercises
#
# ```{exercise} The backward pass — ★★☆ medium
# :label: embedding-ex1
#
# Write the backward pass of an embedding: `embedding_backward(dy, ids, num_embeddings,
# padding_idx)` returns $\partial L/\partial W$ of shape `(num_embeddings, embedding_dim)`, given
# `dy` of shape `(*ids.shape, embedding_dim)`. Ids may repeat and may have any shape; the
# padding row (when `padding_idx` is not `None`) gets no gradient. The checker runs hidden cases
# and names the usual mistakes.
# ```

# %%
from layers_lib.exercises import embedding as ex


def embedding_backward(dy, ids, num_embeddings, padding_idx):
    # your code here
    return None


ex.check_embedding_backward(embedding_backward)

# %% [markdown]
# ````{solution} embedding-ex1
# :class: dropdown
#
# ```python
# def embedding_backward(dy, ids, num_embeddings, padding_idx):
#     dW = np.zeros((num_embeddings, dy.shape[-1]))
#     np.add.at(dW, ids, dy)            # adds every occurrence, any shape of ids
#     if padding_idx is not None:
#         dW[padding_idx] = 0           # the padding row never learns
#     return dW
# ```
#
# Two wrong versions the checker recognises: `dW[ids] = dy` or `dW[ids] += dy` keep only one
# contribution per repeated id, and forgetting `dW[padding_idx] = 0` lets the padding vector
# drift. An equivalent correct answer is the one-hot product
# `np.eye(num_embeddings)[ids.reshape(-1)].T @ dy.reshape(-1, dy.shape[-1])` — correct, but it
# builds a matrix with one row per token and one column per word.
# ````
#
# ```{exercise} Predict the shapes — ★☆☆ easy
# :label: embedding-ex2
#
# Predict, then check: a batch of 4 sentences of 7 tokens goes through
# `ll.Embedding(1000, 16)`. What is the output shape? How many parameters does the layer have?
# After one backward pass on this batch, at most how many rows of `weight.grad` can be non-zero?
# Write `output_shape(ids_shape, num_embeddings, embedding_dim)` and check it.
# ```

# %%
def output_shape(ids_shape, num_embeddings, embedding_dim):
    # your code here
    return None


ex.check_embedding_output_shape(output_shape)

# %% [markdown]
# ````{solution} embedding-ex2
# :class: dropdown
#
# The output is `(4, 7, 16)`: the ids' shape followed by the embedding size, so
#
# ```python
# def output_shape(ids_shape, num_embeddings, embedding_dim):
#     return tuple(ids_shape) + (embedding_dim,)
# ```
#
# The vocabulary size does not appear in the output. The layer has $1000 \times 16 = 16\,000$
# parameters (no bias). The batch has $4 \times 7 = 28$ tokens, so at most 28 rows of the gradient
# are non-zero — fewer if ids repeat or one of them is the padding id; at least 972 rows are
# exactly zero.
# ````
#
# ```{exercise} An embedding is a linear layer — ★★☆ medium
# :label: embedding-ex3
#
# An embedding is a linear layer on one-hot inputs. Build `lin = ll.Linear(6, 3, bias=False)`
# and an `ll.Embedding(6, 3)` that computes the same function (which weight goes where?), run the
# ids `[[3, 0, 3, 5]]` through both — the linear layer on one-hot vectors — and compare the
# outputs and the weight gradients for the same upstream gradient.
# ```
#
# ````{solution} embedding-ex3
# :class: dropdown
#
# `Linear` stores its weight as `(out_features, in_features)` = `(3, 6)` and computes
# `x @ weight.T`, so the embedding table is its transpose:
#
# ```python
# lin = ll.Linear(6, 3, bias=False, rng=np.random.default_rng(0))
# emb = ll.Embedding(6, 3, rng=np.random.default_rng(1))
# emb.weight.data = lin.weight.data.T.copy()          # (6, 3)
# ids = np.array([[3, 0, 3, 5]])
# x = np.eye(6)[ids]                                   # (1, 4, 6) one-hot
# print(np.allclose(lin(x), emb(ids)))                 # True
# G = np.random.default_rng(1).normal(size=(1, 4, 3))
# lin.backward(G); emb.backward(G)
# print(np.allclose(lin.weight.grad.T, emb.weight.grad))  # True
# ```
#
# The gradients agree too (after the transpose). Columns 1, 2 and 4 of `lin.weight.grad` are
# zero: the linear layer computed them anyway, with $4 \times 6 \times 3$ multiply-adds for a job
# that needs 12 copies.
# ````
#
# ```{exercise} How many dimensions? — ★★★ harder
# :label: embedding-ex4
#
# The skip-gram model above came close to the lowest possible loss with only **two** numbers per
# word. Why is so little enough for this language, and why did $D = 2$ still end a little above
# the floor when $D = 4$ did not? How many dimensions could a language need in which each of the
# 14 words had its own, unrelated neighbour distribution? (Hint: the output layer turns a vector
# $e$ into the logits $We + b$; which logit vectors does the model need?)
# ```
#
# ````{solution} embedding-ex4
# :class: dropdown
#
# The best prediction for a word depends only on its class, so the model needs just **four**
# logit vectors $z_1, \ldots, z_4 \in \mathbb{R}^{28}$, one per class (softmax turns each into the
# class's neighbour distribution), and it must place every word at an $e$ with $We + b$ equal to
# its class's vector. Any four points lie in a 3-dimensional affine subspace: choose
# $b = z_1$ and let the columns of $W$ span the differences $z_k - z_1$. So $D = 3$ represents the
# optimum exactly, and $D = 4$ or $8$ can too — their losses end at the floor, up to the
# finite training time. With $D = 2$ the reachable logits $\{We + b\}$ form only a plane, which in
# general cannot pass through all four optimal vectors; the model settles for the best compromise,
# slightly above the floor. Fourteen words with unrelated distributions need 14 different logit
# vectors, whose affine span can have up to 13 dimensions, so up to $D = 13$. Real vocabularies have tens of thousands of words but a great
# deal of shared structure, which is why embeddings of a few hundred dimensions work.
# ````

# %% [markdown]
# ## Summary
#
# * An embedding layer is a table of $V$ learned vectors; `Embedding(V, D)(ids)` copies the rows
#   named by integer ids of any shape, giving `(*ids.shape, D)`.
# * It equals a bias-free linear layer applied to one-hot vectors, $Y = E W$, but the lookup
#   costs $T \cdot D$ copies instead of $T \cdot V \cdot D$ multiply-adds.
# * The gradient $E^\top G$ is sparse: only looked-up rows are non-zero, and each is the **sum**
#   of the upstream gradients of every position that used it. Accumulate with `np.add.at`;
#   fancy-index assignment silently keeps one contribution per repeated id.
# * `padding_idx` names a row that starts at zero and never receives a gradient.
# * Trained to predict neighbours, as in word2vec, embeddings place words that occur in the
#   same contexts close together — here the four parts of speech of a toy language.
# * Ids must be integers in `[0, V)`; negative ids would silently index from the end in NumPy.
#
# ## References
#
# ```{footbibliography}
# ```
