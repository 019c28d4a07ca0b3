# %% [markdown]
# # Dropout
#
# A large network trained on a small data set can memorise it: training accuracy reaches 100 %
# while test accuracy stalls. **Dropout** {footcite}`srivastava2014dropout` is a remarkably simple
# defence. During training, every unit of a layer is switched off at random — its output set to
# zero — independently on every forward pass. No unit can count on any particular partner being
# present, so the network cannot build fragile co-adaptations that only fit the training set. At
# test time nothing is dropped.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * apply a dropout mask, and read `p` correctly in PyTorch (the probability of **dropping**) and
#   elsewhere (the probability of keeping);
# * implement **inverted dropout** — scaling by $1/(1-p)$ during training — and the older scheme
#   that scales at test time; show that both give the same expected activation, and explain why
#   libraries chose the first;
# * switch between training and evaluation mode, and find a bug in widely copied notes that hides
#   at $p = 0.5$;
# * measure what dropout does against overfitting on a small training set;
# * implement `Dropout2d`, which drops whole feature maps, and explain why convolutional layers
#   need it.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses [the linear layer](linear.ipynb), [activations](activations.ipynb) (ReLU,
# softmax and cross-entropy, to train a classifier) and the feature maps of
# [convolution](conv.ipynb); an exercise compares dropout with
# [batch normalization](normalization.ipynb). Reading it and doing the exercises takes about 50
# minutes.
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
# ## The picture: a random mask
#
# Take a batch of activations — here 5 examples with 8 features each, the output of some ReLU
# layer. Dropout draws a **mask** of the same shape, each entry "keep" with probability $1 - p$
# and "drop" with probability $p$, independently. Dropped units become 0; kept units are
# multiplied by $1/(1-p)$ — here 2 — for a reason we will come to in a moment.

# %%
viz.show(viz.dropout.dropout_mask_frame(p=0.5, seed=0), title="A dropout mask, p = 0.5",
         readout=viz.dropout.dropout_readout(p=0.5, seed=0),
         alt="Three 5 by 8 grids. Left: input activations between 0 and about 2. Middle: the mask, each cell labelled keep or drop (dropped cells shaded dark), 24 of 40 kept. Right: the output, zero where dropped and twice the input where kept.")

# %% [markdown]
# On the next forward pass a new mask is drawn, so over training every unit is sometimes
# present and sometimes absent. Srivastava et al. {footcite}`srivastava2014dropout` describe the
# effect as training an exponentially large family of "thinned" networks that share their
# weights — one per mask — and averaging them at test time.
#
# ## The math
#
# For an activation $x_i$, draw $r_i \sim \text{Bernoulli}(1 - p)$ (1 = keep) independently for
# every unit and every example. **Inverted dropout**, what PyTorch's `nn.Dropout(p)` and
# `layers_lib` do, computes
#
# $$
# \text{training:}\quad y_i = \frac{r_i\, x_i}{1 - p}, \qquad\qquad
# \text{evaluation:}\quad y_i = x_i .
# $$
#
# The scale makes the expected output equal to the input, whatever $p$ is:
#
# $$
# \mathbb{E}[y_i] = \frac{(1-p)\,x_i + p \cdot 0}{1-p} = x_i, \qquad
# \operatorname{Var}[y_i] = \frac{p}{1-p}\,x_i^2 .
# $$
#
# So the next layer sees, on average, the same numbers in training as at test time; only the
# noise is gone. The backward pass multiplies by the **same** mask and scale, because $y_i$ is
# linear in $x_i$ once $r_i$ is fixed:
#
# $$
# \frac{\partial L}{\partial x_i} = \frac{r_i}{1-p}\,\frac{\partial L}{\partial y_i} .
# $$
#
# A dropped unit receives no gradient: for this step it is not part of the network.
#
# ## The code that runs
#
# The pure functions take the mask as an argument, which makes them deterministic and easy to
# test:

# %%
viz.show_source(ll.dropout_forward)

# %%
viz.show_source(ll.dropout_backward)

# %% [markdown]
# The layer draws the mask from its own random generator (keeping a unit when a uniform number
# is at least $p$, which happens with probability $1 - p$), remembers it in `.mask` for the
# backward pass, and does nothing at all in evaluation mode:

# %%
viz.show_source(ll.Dropout.forward)

# %% [markdown]
# A quick check of the three claims — the fraction kept, the unchanged mean, the identity in
# evaluation mode:

# %%
drop = ll.Dropout(p=0.3, rng=np.random.default_rng(1))
x = np.ones((1000, 100))
y = drop(x)
print(f"fraction kept: {drop.mask.mean():.3f} (1 - p = 0.7), kept units equal {y.max():.4f} = 1/(1 - p)")
print(f"mean activation: input {x.mean():.3f}, output {y.mean():.3f}")
print("evaluation mode returns its input unchanged:", drop.eval()(x) is x)

# %% [markdown]
# The backward pass can be checked against central differences as usual — with one twist. A
# finite-difference check calls the forward pass many times, and a training-mode dropout layer
# would draw a new mask every time. So we check the pure functions with one fixed mask:

# %%
x = rng.normal(size=(4, 6))
dy = rng.normal(size=(4, 6))
mask = rng.random((4, 6)) >= 0.4
y, cache = ll.dropout_forward(x, mask, p=0.4)
analytic = ll.dropout_backward(dy, cache)
numeric = ll.numerical_gradient(lambda: np.sum(ll.dropout_forward(x, mask, p=0.4)[0] * dy), x)
print(f"relative error of the backward pass: {ll.rel_error(analytic, numeric):.1e}")

# %% [markdown]
# ## Explore the mask
#
# Move `p` and the seed. The read-out compares the fraction of units kept with $1 - p$ and
# shows the scale $1/(1-p)$: at $p = 0.9$ the few survivors are multiplied by 10. With only 40
# units the kept fraction wanders around $1 - p$, and so does the mean of the output — equal to
# the input's only *on average* over masks. Input and output are shaded on one scale, so a
# survivor is darker than the input it came from, and a dropped unit is a dark cell holding 0.

# %% mystnb={"image": {"alt": "Interactive figure: a 5 by 8 grid of activations, the dropout mask (dropped cells dark) and the output, every number written in its cell; sliders choose the drop probability p and the random seed, and the read-out gives the fraction kept and the scale 1/(1 - p)."}}
viz.explore(viz.dropout.dropout_mask_frame, {"p": [0.1, 0.3, 0.5, 0.7, 0.9], "seed": [0, 1]},
            readout=viz.dropout.dropout_readout, title="Dropout masks: drop probability p and seed",
            initial={"p": 0.5, "seed": 0})

# %% [markdown]
# ## Inverted dropout and the older scheme
#
# The original paper {footcite}`srivastava2014dropout` puts the correction at the other end: it
# trains with the plain mask, $y_i = r_i x_i$, whose mean is $(1-p)\,x_i$, and at test time
# multiplies every activation (equivalently, the outgoing weights) by the keep probability
# $1 - p$ so that the test-time activation equals the training-time expectation:
#
# $$
# \text{older scheme:}\qquad
# \text{training: } y_i = r_i\, x_i, \qquad \text{test: } y_i = (1 - p)\, x_i .
# $$
#
# The two schemes differ only by the constant factor $1 - p$ on the layer's output, which the
# next layer's weights can absorb; what matters is that in each scheme **the test-time output
# equals the expected training-time output**. We can verify this by Monte Carlo: average the
# training-mode output over many masks and compare it with the evaluation-mode output.

# %%
p = 0.3
x = viz.dropout.example_activations((1, 8))[0]          # one example's activations
masks = np.random.default_rng(2).random((20_000, 8)) >= p   # 20 000 masks, True = keep
schemes = {
    "inverted": (masks * x / (1 - p), x),                # (training outputs, test output)
    "older":    (masks * x, (1 - p) * x),
}
for name, (train_outputs, test_output) in schemes.items():
    gap = np.abs(train_outputs.mean(axis=0) - test_output).max()
    print(f"{name:<9} max |mean of 20 000 training outputs - test output| = {gap:.4f}")

# %% [markdown]
# Both agree to within the Monte Carlo error. Libraries nevertheless all use the inverted form,
# for practical reasons:
#
# * **nothing changes at test time.** Evaluation mode is the identity, so a trained model can
#   be exported, pruned of its dropout layers, or run by an inference engine that has never
#   heard of dropout;
# * **`p` lives in one place.** Changing the dropout rate, or using a different rate in every
#   layer, touches only the training code; in the older scheme each layer's test-time scale has
#   to be kept in sync with its training rate;
# * **activations have the same scale in training and evaluation,** which keeps learning
#   rates, initialisations and anything that inspects activations comparable with and without
#   dropout.
#
# The equality of expectations holds exactly for one layer. Through the nonlinearities of a
# whole network the evaluation-mode output is only an approximation of the average over all
# thinned networks — the *weight scaling inference rule* {footcite}`goodfellow2016deep` — but
# Srivastava et al. found it a very good one; we measure it on a trained network below.
#
# ## Decoding `p`
#
# | Where | Parameter | Meaning | Same layer as `ll.Dropout(p=0.2)` |
# |---|---|---|---|
# | PyTorch, `layers_lib` | `nn.Dropout(p)` | probability of **dropping** | `p=0.2` |
# | Keras / TensorFlow 2 | `Dropout(rate)` | probability of dropping | `rate=0.2` |
# | TensorFlow 1 | `tf.nn.dropout(x, keep_prob)` | probability of **keeping** | `keep_prob=0.8` |
# | cs231n notes {footcite}`karpathy2016cs231n` | `p` | probability of keeping | `p=0.8` |
# | Srivastava et al. {footcite}`srivastava2014dropout` | $p$ | probability of *retaining* | $p = 0.8$ |
#
# The paper's advice — retain hidden units with probability about 0.5 and input units with a
# probability closer to 1 — is therefore `p=0.5` and about `p=0.2` in PyTorch. Reading a keep
# probability as a drop probability turns a mild regulariser into one that deletes most of the
# network:

# %%
keep_prob = 0.8                                   # from TensorFlow 1 code
for p, label in ((1 - keep_prob, "converted: p = 1 - keep_prob"), (keep_prob, "copied unchanged")):
    drop = ll.Dropout(p=p, rng=np.random.default_rng(3))
    drop(np.ones((100, 100)))
    print(f"{label:<30} p = {p:.1f}: {1 - drop.mask.mean():.0%} of units dropped")

# %% [markdown]
# ## An experiment: overfitting a small training set
#
# To see what dropout is for, we need a model that overfits. We give a multilayer perceptron
# with three hidden layers of 256 units — about 150 000 parameters — only **100** of
# scikit-learn's handwritten digits to learn from, and test on 400 others. One copy trains
# without dropout; the other uses the paper's recommendation: dropout with `p=0.2` on the input
# and `p=0.5` after every hidden layer. Same initial weights, same minibatches, Adam, 80 epochs.
# Every second epoch both are scored in evaluation mode.

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
X_train, X_rest, y_train, y_rest = train_test_split(
    digits.data / 16.0, digits.target, train_size=100, random_state=0, stratify=digits.target)
X_test, y_test = X_rest[:400], y_rest[:400]


def make_mlp(p_hidden=0.0, p_input=0.0, width=256, seed=0):
    """64 -> width -> width -> width -> 10 with ReLU; dropout where the rate is > 0."""
    weight_rng, mask_rng = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    layers, size = [], 64
    if p_input:
        layers.append(ll.Dropout(p_input, rng=mask_rng))
    for _ in range(3):
        layers += [ll.Linear(size, width, rng=weight_rng), ll.ReLU()]
        if p_hidden:
            layers.append(ll.Dropout(p_hidden, rng=mask_rng))
        size = width
    layers.append(ll.Linear(size, 10, rng=weight_rng))
    return ll.Sequential(*layers)


def fit(net, epochs=80, batch_size=50, lr=1e-3, seed=1, score_every=2):
    """Adam on shuffled minibatches; scores the network in eval mode every score_every epochs."""
    loss_fn, opt = ll.CrossEntropyLoss(), ll.Adam(net.parameters(), lr=lr)
    order_rng = np.random.default_rng(seed)
    history = {"train loss": [], "test loss": [], "train accuracy": [], "test accuracy": []}
    for epoch in range(1, epochs + 1):
        net.train()
        order = order_rng.permutation(len(X_train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            loss_fn(net(X_train[idx]), y_train[idx])
            opt.zero_grad()
            net.backward(loss_fn.backward())
            opt.step()
        if epoch % score_every:
            continue
        net.eval()
        for split, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
            scores = net(X)
            history[f"{split} loss"].append(loss_fn(scores, y))
            history[f"{split} accuracy"].append(np.mean(scores.argmax(axis=1) == y))
    return history


plain, dropped = make_mlp(), make_mlp(p_hidden=0.5, p_input=0.2)
runs = {"no dropout": fit(plain), "dropout": fit(dropped)}
for name, h in runs.items():
    print(f"{name:<10} final train accuracy {h['train accuracy'][-1]:.1%}, test accuracy "
          f"{h['test accuracy'][-1]:.1%}; test loss lowest {min(h['test loss']):.3f}, "
          f"final {h['test loss'][-1]:.3f}")

# %% mystnb={"image": {"alt": "Two panels over 80 epochs. Left, cross-entropy on a log scale: both networks' training loss falls towards zero; the test loss of the network without dropout reaches its minimum early and then climbs, while the test loss of the dropout network levels off lower. Right, accuracy: both reach about 100 percent on the training set; on the test set the dropout network ends higher."}}
viz.dropout.plot_overfitting(runs, epochs=np.arange(2, 81, 2),
                             title="100 training digits: without and with dropout");

# %% [markdown]
# Both networks fit their 100 training digits (almost) perfectly. Without dropout the network
# keeps driving its training loss towards zero by becoming ever more confident; its test loss
# reaches its lowest point early and then climbs, the classic picture of overfitting. With
# dropout the training loss falls more slowly — every step trains a different thinned network —
# and the test loss levels off well below the other network's, with a higher test accuracy
# (the numbers printed above). Dropout did not make the network smaller; it made it harder for
# the network to rely on any single unit. (On a test set of 400 digits, a difference of a few
# points of accuracy moves with the seeds and settings; look at the loss curves as well.)
#
# How good is the evaluation-mode shortcut on this trained network? Averaging the softmax
# outputs of 30 thinned networks (30 training-mode passes) over 100 test digits and comparing
# with one evaluation-mode pass:

# %%
dropped.train()
probs = [ll.softmax(dropped(X_test[:100]), dim=1) for _ in range(30)]
dropped.eval()
eval_probs = ll.softmax(dropped(X_test[:100]), dim=1)
mc_probs = np.mean(probs, axis=0)
print(f"same predicted class: {np.mean(mc_probs.argmax(1) == eval_probs.argmax(1)):.1%}, "
      f"mean |difference| of the probabilities: {np.abs(mc_probs - eval_probs).mean():.3f}")

# %% [markdown]
# ## Dropout2d: dropping whole feature maps
#
# In a convolutional network the units of one feature map are not independent: neighbouring
# positions see overlapping patches of the image, so their values are strongly correlated.
# Dropping individual positions then removes little information — the next $3 \times 3$
# convolution can read almost the same thing from the surviving neighbours — and Tompson et al.
# {footcite}`tompson2015efficient` found that ordinary dropout hardly regularised their
# convolutional network. Their remedy, which PyTorch calls `Dropout2d`, draws **one**
# keep-or-drop decision per example and channel and applies it to the whole map:
#
# $$
# y_{n,c,h,w} = \frac{r_{n,c}}{1-p}\, x_{n,c,h,w}, \qquad r_{n,c} \sim \text{Bernoulli}(1-p).
# $$
#
# The mask has shape `(N, C, 1, 1)` and broadcasting spreads it over the map; the layer is
# `ll.Dropout` with a different mask shape:

# %%
viz.show_source(ll.Dropout2d._mask_shape)

# %% [markdown]
# Here are four feature maps of a photograph (Grace Hopper, from matplotlib's sample data) —
# the outputs of a vertical-edge, a horizontal-edge, a blurring and a sharpening filter followed
# by a ReLU — and what the two layers do to them with $p = 0.5$:

# %%
import matplotlib.cbook
from PIL import Image

with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
    photo = Image.open(f).convert("L")
side = min(photo.size)
photo = np.asarray(photo.crop((0, 0, side, side)).resize((40, 40)), dtype=np.float64) / 255

filters = ll.Conv2d(1, 4, kernel_size=3, padding=1, bias=False)
filters.weight.data = np.array([
    [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],          # vertical edges (Sobel)
    [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],          # horizontal edges
    np.full((3, 3), 1 / 9),                        # blur
    [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],         # sharpen
], dtype=np.float64)[:, None]
maps = ll.ReLU()(filters(photo[None, None]))       # (1, 4, 40, 40)

element = ll.Dropout(0.5, rng=np.random.default_rng(4))(maps)
channel = ll.Dropout2d(0.5, rng=np.random.default_rng(10))(maps)

# %% mystnb={"image": {"alt": "A grid of 3 rows and 4 columns of small grey images. Top row: four filtered versions of a portrait. Middle row, Dropout: the same maps speckled with black pixels, but every portrait still clearly visible. Bottom row, Dropout2d: channels 0 and 2 kept intact, channels 1 and 3 entirely black."}}
viz.dropout.compare_feature_maps(
    {"original": maps[0], "Dropout(0.5)": element[0], "Dropout2d(0.5)": channel[0]},
    title="Element-wise and channel-wise dropout on feature maps");

# %% [markdown]
# Despite losing half its pixels, every map in the middle row is still recognisable; in the
# bottom row half the maps are simply gone. To put a number on "recognisable", smooth each
# dropped map with a $3 \times 3$ average — about what the next convolution sees — and measure
# how well it matches the original:

# %%
smooth = ll.Conv2d(4, 4, kernel_size=3, padding=1, groups=4, bias=False)
smooth.weight.data = np.full((4, 1, 3, 3), 1 / 9)


def correlation(a, b):
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


for name, dropped_maps in (("raw maps", element), ("after a 3×3 average", smooth(element))):
    reference = maps if name == "raw maps" else smooth(maps)
    r = np.mean([correlation(dropped_maps[0, c], reference[0, c]) for c in range(4)])
    print(f"Dropout(0.5), {name:<20} mean correlation with the original map: {r:.2f}")
kept = channel[0].reshape(4, -1).any(axis=1)
print(f"Dropout2d(0.5): maps kept intact (scaled by 2): {np.flatnonzero(kept)}, "
      f"maps all zero: {np.flatnonzero(~kept)}")

# %% [markdown]
# After local averaging, element-wise dropout leaves most of each map's content in place: it
# adds noise but removes little information. Dropout2d removes all of a map's information, so
# the next layer must learn not to depend on any single feature map — the same pressure that
# ordinary dropout exerts on the units of a dense layer. (PyTorch has `Dropout1d` and
# `Dropout3d` for the other layouts; `layers_lib` implements the 2-D one.)
#
# ## Common bugs
#
# **1. Scaling by the drop rate instead of the keep probability.** One set of lecture notes
# this course grew from describes the test-time scaling as "by a factor of the dropout rate",
# next to code that uses inverted dropout with $p = 0.5$. In the older scheme the test-time
# factor must be the **keep** probability $1 - p$. With $p = 0.5$ the two are the same number,
# so the bug cannot show in that example; at any other rate it changes the scale of every
# activation at test time. Doing *both* corrections — inverted dropout in training and a
# test-time scale — is the other way to misread the notes. The check that catches all of them
# is the one from above: the test-time output must equal the average training-time output.

# %%
def check_scheme(train_fn, test_fn, p, n_masks=20_000):
    """max |E[training output] - test output| over a few activations, by Monte Carlo."""
    x = viz.dropout.example_activations((1, 8))[0]
    masks = np.random.default_rng(6).random((n_masks, 8)) >= p
    return np.abs(train_fn(x, masks, p).mean(axis=0) - test_fn(x, p)).max()


schemes = {
    "inverted (×1/(1-p) in training)": (lambda x, m, p: m * x / (1 - p), lambda x, p: x),
    "older (×(1-p) at test)":          (lambda x, m, p: m * x, lambda x, p: (1 - p) * x),
    "BUG: ×p at test":                 (lambda x, m, p: m * x, lambda x, p: p * x),
    "BUG: both corrections":           (lambda x, m, p: m * x / (1 - p), lambda x, p: (1 - p) * x),
}
print(f"{'scheme':<33}{'p = 0.5':>9}{'p = 0.2':>9}   (gap between E[train] and test)")
for name, (train_fn, test_fn) in schemes.items():
    gaps = [check_scheme(train_fn, test_fn, p) for p in (0.5, 0.2)]
    print(f"{name:<33}{gaps[0]:9.3f}{gaps[1]:9.3f}")

# %% [markdown]
# The first bug passes at $p = 0.5$ and fails at $p = 0.2$: **test with a rate other than 0.5**.
#
# **2. Forgetting `model.eval()`.** A network left in training mode keeps dropping units at test
# time, so its predictions are random and, on average, worse. The check: two evaluation passes
# over the same data must agree exactly.

# %%
for mode in ("train", "eval"):
    dropped.train() if mode == "train" else dropped.eval()
    first, second = dropped(X_test), dropped(X_test)
    acc = np.mean(first.argmax(axis=1) == y_test)
    print(f"{mode:<5} mode: two passes identical: {np.array_equal(first, second)}, test accuracy {acc:.1%}")

# %% [markdown]
# **3. A new mask in the backward pass.** The gradient must flow through the *same* units that
# were kept in the forward pass. Drawing a fresh mask in `backward` (or recomputing the forward
# pass between `forward` and `backward`) sends gradient to units that did not contribute.
# `Dropout` stores its mask for this reason; a gradient check against the stored mask catches
# the bug:

# %%
class FreshMaskDropout(ll.Dropout):
    """Wrong on purpose: draws a new mask in the backward pass."""

    def backward(self, dy):
        fresh = self.rng.random(dy.shape) >= self.p
        return dy * fresh / (1 - self.p)


for layer in (ll.Dropout(0.5, rng=np.random.default_rng(7)),
              FreshMaskDropout(0.5, rng=np.random.default_rng(7))):
    x, dy = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    layer(x)
    expected = dy * layer.mask / (1 - layer.p)     # the gradient through the forward pass's mask
    print(f"{type(layer).__name__:<17} relative error {ll.rel_error(layer.backward(dy), expected):.1e}")

# %% [markdown]
# **4. A mask that ignores the rate.** The dropout code of the same notes comes, like their
# explanation, from section 4.4.3 of Chollet's *Deep Learning with Python*
# {footcite}`chollet2017deep`, which also gives the usual range of rates, 0.2 to 0.5. The code,
# written there for a rate of 0.5, draws its mask with
# `layer_output *= np.random.randint(0, high=2, size=layer_output.shape)`: zeros and ones with
# probability ½ each, and then divides by 0.5. Copy it into a layer with any other rate and the
# layer still drops half of its units. The expected activation stays right — the mask's
# ½ and the factor 2 cancel — so the check of bug 1 passes; the check that catches it is the
# fraction of zeros, which must be $p$:

# %%
def notes_dropout(x, p, rng):
    """The notes' inverted dropout; the rate p is accepted and ignored (the bug)."""
    mask = rng.integers(0, 2, size=x.shape)       # the notes: np.random.randint(0, high=2, size=...)
    return x * mask / 0.5


x = np.ones((1000, 100))
print(f"{'':<26}{'p = 0.2':>9}{'p = 0.5':>9}{'p = 0.8':>9}")
for name, drop in (("notes' randint mask", lambda x, p: notes_dropout(x, p, np.random.default_rng(8))),
                   ("ll.Dropout", lambda x, p: ll.Dropout(p, rng=np.random.default_rng(8))(x))):
    outputs = [drop(x, p) for p in (0.2, 0.5, 0.8)]
    print(f"{name + ': zeros':<26}" + "".join(f"{np.mean(out == 0):>9.3f}" for out in outputs))
    print(f"{name + ': mean':<26}" + "".join(f"{out.mean():>9.3f}" for out in outputs))

# %% [markdown]
# ## Exercises
#
# ```{exercise} Inverted dropout — ★☆☆ easy
# :label: dropout-ex1
#
# Write inverted dropout: `dropout_forward(x, p, training, rng)` returns `x` unchanged when
# `training` is False, and otherwise drops each element with probability `p` and scales the
# survivors by $1/(1-p)$. Draw the mask from the numpy `Generator` `rng` (e.g. with
# `rng.random(x.shape)`). A random function cannot be compared with one fixed answer; the
# checker tests what every correct answer shares, and names the usual mistakes.
# ```

# %%
from layers_lib.exercises import dropout as ex


def dropout_forward(x, p, training, rng):
    # your code here
    return None


ex.check_dropout_forward(dropout_forward)

# %% [markdown]
# ````{solution} dropout-ex1
# :class: dropdown
#
# ```python
# def dropout_forward(x, p, training, rng):
#     if not training:
#         return x
#     keep = rng.random(x.shape) >= p          # True with probability 1 - p
#     return x * keep / (1 - p)
# ```
#
# The classic mistakes the checker names: `keep = rng.random(x.shape) < p` keeps with
# probability $p$; `x * keep * p` or `x * keep / p` scale by the wrong factor (and `/ p` is right
# only when $p = 0.5$); and `return x * (1 - p)` in evaluation mode corrects twice.
# ````
#
# ```{exercise} Channel dropout — ★★☆ medium
# :label: dropout-ex2
#
# Write channel dropout for feature maps: `dropout2d_forward(x, p, training, rng)` with `x` of
# shape `(N, C, H, W)` zeroes whole maps `x[n, c]` with probability `p` and scales the others by
# $1/(1-p)$.
# ```

# %%
def dropout2d_forward(x, p, training, rng):
    # your code here
    return None


ex.check_dropout2d_forward(dropout2d_forward)

# %% [markdown]
# ````{solution} dropout-ex2
# :class: dropdown
#
# One decision per example and channel, broadcast over the map:
#
# ```python
# def dropout2d_forward(x, p, training, rng):
#     if not training:
#         return x
#     n, c = x.shape[:2]
#     keep = rng.random((n, c, 1, 1)) >= p
#     return x * keep / (1 - p)
# ```
#
# A mask of shape `(1, C, 1, 1)` would drop the same channels in every example of the batch; one
# of shape `(N, 1, 1, 1)` would drop whole examples.
# ````
#
# ```{exercise} Can BatchNorm replace dropout? — ★★★ harder
# :label: dropout-ex3
#
# Ioffe and Szegedy reported that batch normalization let them remove dropout from their
# network {footcite}`ioffe2015batch`. Can BatchNorm replace dropout? Compare the noise each one
# injects, what happens at test time, and what changes when both are used in one network.
# (To experiment, put `ll.BatchNorm1d(256)` before each ReLU in `make_mlp` instead of the
# dropout layers and run `fit` again.)
# ```
#
# ````{solution} dropout-ex3
# :class: dropdown
#
# **Sometimes, partly.** Both layers inject noise during training and become deterministic in
# evaluation mode, which is why BatchNorm has a regularising effect of its own. But the noise is
# very different:
#
# * **Source and size.** Dropout's noise is set by `p` and is large: each unit is multiplied by
#   0 or $1/(1-p)$, a variance of $\frac{p}{1-p}x^2$, independently of the batch. BatchNorm's
#   noise comes from estimating the mean and variance on a random batch; it is shared by all
#   units of a channel and shrinks roughly like $1/\sqrt{m}$ as the batch grows (see the
#   explorer in the normalization chapter). With large batches BatchNorm regularises little.
# * **What else it does.** BatchNorm mainly changes the *optimisation*: it rescales every layer
#   and allows larger learning rates, so it usually makes training faster. Dropout makes
#   training *slower* (each step trains a thinned network) in exchange for better
#   generalisation.
# * **Where it works.** BatchNorm needs more than one value per channel in training and
#   behaves differently in training and evaluation; it is awkward in recurrent networks and
#   with tiny batches. Dropout works with any batch size and in any layer.
# * **Together.** Placing dropout *before* a BatchNorm layer causes a "variance shift"
#   {footcite}`li2019understanding`: during training the BatchNorm layer's running variance
#   includes dropout's extra variance $\frac{p}{1-p}x^2$; in evaluation mode dropout is off,
#   the incoming variance is smaller, yet BatchNorm still divides by the larger running
#   variance — so the evaluation-mode activations have the wrong scale. Common practice is
#   therefore to use BatchNorm in the convolutional body and, if at all, dropout only after the
#   last BatchNorm layer (e.g. before the final classifier).
#
# **In the experiment.** Batches of 50 drawn from only 100 training digits make BatchNorm's
# noise large, and BatchNorm also speeds up the optimisation, so do not be surprised if
# BatchNorm alone matches or beats dropout on this small problem; compare the test *loss* as
# well as the accuracy. Adding dropout after the BatchNorm-ReLU blocks as well need not help.
# With batches of thousands, BatchNorm's regularising effect would largely disappear while
# dropout's would not.
#
# In modern convolutional networks BatchNorm has largely replaced dropout inside the body; in
# transformers, whose LayerNorm has no batch noise at all, dropout is still used.
# ````
#
# ```{exercise} The variance of dropout — ★★☆ medium
# :label: dropout-ex4
#
# (a) Show that an inverted-dropout output has variance $\frac{p}{1-p}x^2$ and check it by Monte
# Carlo with `ll.Dropout` for $p = 0.2$ and $p = 0.8$. (b) A layer's activations have mean
# $\mu$ and variance $v$ over the data. What mean and variance does the layer after dropout see
# in training, and in evaluation mode? Which of the two changes between the modes?
# ```
#
# ````{solution} dropout-ex4
# :class: dropdown
#
# (a) $y = r x/(1-p)$ with $r \in \{0, 1\}$, $\mathbb{E}[r] = \mathbb{E}[r^2] = 1 - p$, so
# $\mathbb{E}[y^2] = x^2/(1-p)$ and $\operatorname{Var}[y] = x^2/(1-p) - x^2 = \frac{p}{1-p}x^2$:
# $0.25\,x^2$ for $p = 0.2$, $4\,x^2$ for $p = 0.8$.
#
# ```python
# for p in (0.2, 0.8):
#     drop = ll.Dropout(p, rng=np.random.default_rng(0))
#     y = drop(np.full(200_000, 3.0))
#     print(p, y.var(), p / (1 - p) * 9)       # both about 2.25, then about 36
# ```
#
# (b) The mean is $\mu$ in both modes (that is the point of the scaling). The variance is
# $v$ in evaluation mode but $v + \frac{p}{1-p}(v + \mu^2)$ in training, because
# $\mathbb{E}[x^2] = v + \mu^2$. The second moment changes between the modes — exactly the
# "variance shift" that hurts a BatchNorm layer placed after dropout.
# ````

# %% [markdown]
# ## Summary
#
# * Dropout zeroes each unit with probability $p$ during training, with a fresh mask on every
#   forward pass, and does nothing in evaluation mode. In PyTorch and `layers_lib`, `p` is the
#   probability of **dropping**; TensorFlow 1's `keep_prob`, cs231n's `p` and the original
#   paper's $p$ are the probability of keeping.
# * **Inverted dropout** scales the survivors by $1/(1-p)$ in training, so the expected output
#   equals the input and evaluation mode is the identity. The older scheme scales by $1-p$ at
#   test time; both make the test output equal the expected training output. Scaling by $p$
#   instead of $1-p$ is a bug that hides at $p = 0.5$.
# * The backward pass multiplies by the same mask and scale as the forward pass.
# * On a small training set dropout kept the test loss from climbing and raised the test
#   accuracy, at the price of slower training.
# * `Dropout2d` drops whole feature maps, because neighbouring positions of a map are
#   correlated and element-wise dropout removes little information from them.
#
# ## References
#
# ```{footbibliography}
# ```
