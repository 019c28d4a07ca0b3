# %% [markdown]
# # Normalization layers
#
# A deep network is a long chain of functions, and every link changes what the next one sees. If
# the numbers flowing through a hidden layer drift to a scale of $10^{-3}$ or $10^{3}$, the
# layers after it saturate or go silent and training slows to a crawl. **Normalization layers**
# rescale activations to a standard range *inside* the network: subtract a mean, divide by a
# standard deviation, then let the network choose its own scale and offset. Batch
# normalization {footcite}`ioffe2015batch` did this first and made very deep networks routine to
# train; layer normalization {footcite}`ba2016layer` and group normalization
# {footcite}`wu2018group` do the same arithmetic over different sets of numbers.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * say which numbers share one mean and variance in **BatchNorm**, **LayerNorm**,
#   **InstanceNorm** and **GroupNorm**, for `(N, C)` and `(N, C, H, W)` inputs;
# * implement the BatchNorm forward pass, and derive and check its full backward pass;
# * update the running statistics, switch between training and evaluation mode, and convert
#   between the two `momentum` conventions;
# * explain why a batch of one cannot be batch-normalised, and why LayerNorm and GroupNorm do not
#   depend on the batch at all;
# * measure what BatchNorm does to the training of a deep network, and compare the explanations
#   of *why* it helps — none of which is settled.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses [the linear layer](linear.ipynb) and its backward pass,
# [activations](activations.ipynb) (ReLU, and why gradients vanish in deep stacks) and the
# feature maps of [convolution](conv.ipynb). Reading it and doing the exercises takes about 70
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
# ## One recipe, four choices of axes
#
# Every layer in this chapter computes the same three steps on a group of numbers: their mean
# $\mu$ and variance $\sigma^2$, the standardised values $\hat x = (x - \mu)/\sqrt{\sigma^2 +
# \epsilon}$, and finally $y = \gamma \hat x + \beta$ with a learnable scale $\gamma$ and shift
# $\beta$. The layers differ only in **which numbers form a group**. For a batch of feature maps
# of shape `(N, C, H, W)` — drawn below as a block with the two spatial axes flattened into one
# — each blue slice shares one mean and one variance:

# %% mystnb={"image": {"alt": "Four blocks with axes C (channels) to the right, H and W (positions) upwards and N (batch) into the page. BatchNorm shades one channel through the whole batch and every position; LayerNorm shades one whole example, all channels and positions; InstanceNorm shades one channel of one example; GroupNorm shades a group of three channels of one example."}}
viz.normalization.draw_normalization_axes(groups=2);

# %% [markdown]
# * **BatchNorm** makes one statistic per *channel*, pooling the whole batch and every
#   position: $m = N \cdot H \cdot W$ numbers each. An example's output therefore depends on the
#   other examples in its batch.
# * **LayerNorm** makes one statistic per *example*, over all its channels and positions.
# * **InstanceNorm** makes one per example *and* channel — each feature map on its own.
# * **GroupNorm** sits between the last two: the channels are split into $G$ groups and each
#   example gets one statistic per group. $G = 1$ computes LayerNorm's statistics over
#   `(C, H, W)` — though not its affine parameters, as we will see — and $G = C$ is InstanceNorm.
#   This drawing follows Wu and He's figure {footcite}`wu2018group`.
#
# For a batch of feature vectors, shape `(N, C)` as in a multilayer perceptron, there are no
# positions and the picture becomes a table: BatchNorm normalises each **column** (one feature
# over the batch), LayerNorm each **row** (one example over its features).

# %% mystnb={"image": {"alt": "Two tables of 4 rows (examples) by 6 columns (features). In the BatchNorm table the first column is shaded: one feature over the batch. In the LayerNorm table the first row is shaded: one example over its features."}}
viz.normalization.draw_normalization_axes(kinds=("BatchNorm", "LayerNorm"), spatial=False);

# %% [markdown]
# ## BatchNorm: the forward pass
#
# Take one channel and call its $m$ values in the batch $x_1, \dots, x_m$ (for `(N, C)` input
# $m = N$; for `(N, C, H, W)` input $m = N H W$). In **training mode** BatchNorm computes
#
# $$
# \mu = \frac{1}{m}\sum_{i=1}^{m} x_i, \qquad
# \sigma^2 = \frac{1}{m}\sum_{i=1}^{m} (x_i - \mu)^2, \qquad
# \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
# y_i = \gamma\,\hat x_i + \beta .
# $$
#
# Note the **biased** variance (divide by $m$, not $m - 1$), and $\epsilon = 10^{-5}$ *inside* the
# square root, which keeps a constant channel from dividing by zero. $\gamma$ and $\beta$ (PyTorch
# calls them `weight` and `bias`) start at 1 and 0; with $\gamma = \sigma$ and $\beta = \mu$ the
# layer could even undo itself, so normalising costs the network no expressive power.
#
# Before you read the library's version, write it yourself.
#
# ```{exercise} BatchNorm's forward pass — ★☆☆ easy
# :label: norm-ex1
#
# Write BatchNorm's training-mode forward pass for an input `x` of shape `(N, D)`, with `gamma`
# and `beta` of shape `(D,)`. Run the next cell: the checker compares your function with
# `ll.BatchNorm1d` on hidden cases and recognises the usual mistakes.
# ```

# %%
from layers_lib.exercises import normalization as ex


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    # your code here
    return None


ex.check_batchnorm_forward(batchnorm_forward)

# %% [markdown]
# ````{solution} norm-ex1
# :class: dropdown
#
# Average over the batch axis, use the biased variance, and put `eps` inside the square root:
#
# ```python
# def batchnorm_forward(x, gamma, beta, eps=1e-5):
#     mu = x.mean(axis=0)                  # (D,)
#     var = x.var(axis=0)                  # (D,), biased: divides by N
#     x_hat = (x - mu) / np.sqrt(var + eps)
#     return gamma * x_hat + beta
# ```
# ````
#
# ```{exercise} BatchNorm for feature maps — ★★☆ medium
# :label: norm-ex2
#
# Now the same for feature maps: `x` of shape `(N, C, H, W)`, `gamma` and `beta` of shape
# `(C,)`, one mean and variance per channel.
# ```

# %%
def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    # your code here
    return None


ex.check_batchnorm2d_forward(batchnorm2d_forward)

# %% [markdown]
# ````{solution} norm-ex2
# :class: dropdown
#
# Average over `N`, `H` and `W` and keep the axes so that everything broadcasts against `x`;
# reshape `gamma` and `beta` to `(1, C, 1, 1)`:
#
# ```python
# def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
#     mu = x.mean(axis=(0, 2, 3), keepdims=True)     # (1, C, 1, 1)
#     var = x.var(axis=(0, 2, 3), keepdims=True)
#     x_hat = (x - mu) / np.sqrt(var + eps)
#     return gamma.reshape(1, -1, 1, 1) * x_hat + beta.reshape(1, -1, 1, 1)
# ```
#
# Averaging over axis 0 only would give one statistic per channel *and position*; averaging over
# `(2, 3)` is InstanceNorm; over `(1, 2, 3)` it is LayerNorm.
# ````

#
# Here is the function that runs in `layers_lib`. It works for `(N, C)`, `(N, C, L)` and
# `(N, C, H, W)` alike, because it sums over every axis except axis 1:

# %%
viz.show_source(ll.batchnorm_forward)

# %% [markdown]
# After the layer, every channel has mean 0 and variance 1 over the batch (up to $\epsilon$),
# whatever the scale of its input — here three features with means near 5, −20 and 300:

# %%
x = rng.normal(loc=[5.0, -20.0, 300.0], scale=[1.0, 10.0, 50.0], size=(32, 3))
bn = ll.BatchNorm1d(3)
y = bn(x)
print("input  mean", np.round(x.mean(axis=0), 2), " std", np.round(x.std(axis=0), 2))
print("output mean", np.round(y.mean(axis=0), 4) + 0.0, " std", np.round(y.std(axis=0), 4))

# %% [markdown]
# ## BatchNorm: the backward pass
#
# The backward pass is the one place where BatchNorm is subtle: $\mu$ and $\sigma^2$ are computed
# *from the batch*, so every $x_k$ influences every output $y_i$ of its channel. Let
# $g_i = \partial L / \partial y_i$ and $s = 1/\sqrt{\sigma^2 + \epsilon}$. The parameters are easy:
#
# $$
# \frac{\partial L}{\partial \beta} = \sum_i g_i, \qquad
# \frac{\partial L}{\partial \gamma} = \sum_i g_i\, \hat x_i, \qquad
# \hat g_i := \frac{\partial L}{\partial \hat x_i} = \gamma\, g_i .
# $$
#
# The input reaches $\hat x$ along three paths: directly, through $\mu$ and through $\sigma^2$.
# Differentiating $\hat x_i = (x_i - \mu)\,(\sigma^2 + \epsilon)^{-1/2}$ along each:
#
# $$
# \frac{\partial L}{\partial \sigma^2} = -\frac{s^3}{2}\sum_i \hat g_i\,(x_i - \mu), \qquad
# \frac{\partial L}{\partial \mu} = -s \sum_i \hat g_i
#   + \frac{\partial L}{\partial \sigma^2}\,\underbrace{\frac{-2}{m}\sum_i (x_i - \mu)}_{=\,0},
# $$
#
# $$
# \frac{\partial L}{\partial x_i} = s\,\hat g_i
#   + \frac{\partial L}{\partial \sigma^2}\,\frac{2(x_i - \mu)}{m}
#   + \frac{\partial L}{\partial \mu}\,\frac{1}{m}.
# $$
#
# Substituting, and writing $x_i - \mu = \hat x_i / s$, everything collapses to
#
# $$
# \boxed{\;\frac{\partial L}{\partial x_i}
#   = \frac{s}{m}\Bigl(m\,\hat g_i - \sum_k \hat g_k - \hat x_i \sum_k \hat g_k\,\hat x_k\Bigr)
#   = \frac{\gamma\, s}{m}\Bigl(m\, g_i - \frac{\partial L}{\partial \beta}
#     - \hat x_i\,\frac{\partial L}{\partial \gamma}\Bigr)\;}
# $$
#
# The bracket takes the incoming gradient and removes its mean and its component along $\hat x$.
# That makes sense: shifting a whole channel by a constant does not change BatchNorm's output,
# so the gradient can have no component in that direction — $\sum_i \partial L/\partial x_i = 0$
# exactly (and $\sum_i \hat x_i\, \partial L/\partial x_i \approx 0$, up to $\epsilon$, for the same
# reason with scaling). Now write it yourself, before the library shows its own.
#
# ```{exercise} BatchNorm's backward pass — ★★★ harder
# :label: norm-ex3
#
# Write the backward pass: given `dout` ($\partial L/\partial y$, shape `(N, D)`), the input `x`,
# `gamma` and `eps`, return `(dx, dgamma, dbeta)`. Use the boxed formula, or derive it again
# node by node.
# ```

# %%
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    # your code here
    return None


ex.check_batchnorm_backward(batchnorm_backward)

# %% [markdown]
# ````{solution} norm-ex3
# :class: dropdown
#
# Recompute $\hat x$ and $s$, then apply the boxed formula with averages over the batch:
#
# ```python
# def batchnorm_backward(dout, x, gamma, eps=1e-5):
#     mu, var = x.mean(axis=0), x.var(axis=0)
#     inv_std = 1.0 / np.sqrt(var + eps)
#     x_hat = (x - mu) * inv_std
#     dgamma = (dout * x_hat).sum(axis=0)
#     dbeta = dout.sum(axis=0)
#     g = dout * gamma                                   # dL/dx_hat
#     dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
#     return dx, dgamma, dbeta
# ```
# ````

#
# `layers_lib` has both versions: the compact formula, which is what the layer runs,

# %%
viz.show_source(ll.batchnorm_backward)

# %% [markdown]
# and a step-by-step version that walks the computational graph node by node, the way you would
# derive it on paper (and the way the cs231n course {footcite}`karpathy2016cs231n` teaches it):

# %%
viz.show_source(ll.batchnorm_backward_reference)

# %% [markdown]
# The two must agree, and both must agree with central differences, under the rule of the
# appendix on checking gradients (a relative error below $10^{-6}$ passes). A random upstream
# gradient matters here: with an all-ones $g$ the true input
# gradient is exactly zero, and a broken backward pass that returns zeros would pass.

# %%
x = rng.normal(2.0, 3.0, size=(6, 4))
dy = rng.normal(size=(6, 4))
gamma, beta = rng.uniform(0.5, 2.0, size=4), rng.normal(size=4)
y, cache = ll.batchnorm_forward(x, gamma, beta)
compact = ll.batchnorm_backward(dy, cache)
reference = ll.batchnorm_backward_reference(dy, cache)
for name, a, b in zip(["dx", "dgamma", "dbeta"], compact, reference, strict=True):
    print(f"compact vs step-by-step, {name:>6}: relative error {ll.rel_error(a, b):.1e}")
print("sum of dx over the batch, per feature:", np.abs(compact[0].sum(axis=0)).max().round(12))

# %%
layers = {"BatchNorm1d(4) on (6, 4)": (ll.BatchNorm1d(4), rng.normal(size=(6, 4))),
          "BatchNorm2d(3) on (2, 3, 4, 4)": (ll.BatchNorm2d(3), rng.normal(size=(2, 3, 4, 4))),
          "LayerNorm(5) on (3, 5)": (ll.LayerNorm(5), rng.normal(size=(3, 5))),
          "GroupNorm(2, 4) on (2, 4, 3, 3)": (ll.GroupNorm(2, 4), rng.normal(size=(2, 4, 3, 3)))}
for name, (layer, inp) in layers.items():
    for p in layer.parameters():                     # non-trivial gamma and beta
        p.data[...] = rng.uniform(0.5, 1.5, size=p.shape)
    errors = ll.check_gradients(layer, inp)
    print(f"{name:<32} largest relative error {max(errors.values()):.1e}, below 1e-6: {max(errors.values()) < 1e-6}")

# %% [markdown]
# ## Training mode, evaluation mode and the running statistics
#
# At test time we want a prediction for *one* example that does not depend on whatever else is
# in the batch. So during training BatchNorm also keeps **running estimates** $\hat\mu$ and
# $\hat\sigma^2$ of each channel's mean and variance, updated after every batch with a
# `momentum` $\alpha$ (PyTorch's default 0.1):
#
# $$
# \hat\mu \leftarrow (1 - \alpha)\,\hat\mu + \alpha\,\mu_B, \qquad
# \hat\sigma^2 \leftarrow (1 - \alpha)\,\hat\sigma^2 + \alpha\,\frac{m}{m-1}\,\sigma^2_B ,
# $$
#
# starting from $\hat\mu = 0$, $\hat\sigma^2 = 1$. (The running variance uses the *unbiased*
# batch variance, with the factor $m/(m-1)$ — the normalisation itself uses the biased one.) In
# **evaluation mode**, after `model.eval()`, the layer normalises with the running estimates
# instead of the batch:
#
# $$
# y = \gamma\,\frac{x - \hat\mu}{\sqrt{\hat\sigma^2 + \epsilon}} + \beta ,
# $$
#
# a fixed affine map of each channel, the same for every example. Here is the layer's `forward`,
# with both modes and the update:

# %%
viz.show_source(ll.BatchNorm1d.forward)

# %% [markdown]
# The running estimate is an exponential moving average: it smooths the noisy batch statistics,
# but it also lags behind them. Move the sliders to see both effects on one feature whose values
# are drawn from a normal distribution with mean 2 and variance 9. A small `momentum` gives a
# smooth estimate that takes long to arrive; a large one follows every batch; a small batch makes
# each batch statistic noisier. (With a batch of 4 and a large momentum you can also see the
# running variance sit above the batch variances: it is fed the unbiased estimate, larger by the
# factor $m/(m-1) = 4/3$.)

# %% mystnb={"image": {"alt": "Interactive figure: batch means and variances as grey dots and BatchNorm's running mean and variance as a line over 60 training steps, with dashed lines at the true values 2 and 9; sliders choose the batch size and the momentum."}}
viz.explore(viz.normalization.running_stats_frame,
            {"batch_size": [4, 16, 64], "momentum": [0.01, 0.1, 0.3, 0.9]},
            readout=viz.normalization.running_stats_readout,
            title="BatchNorm's running statistics: batch size × momentum",
            initial={"batch_size": 16, "momentum": 0.1})

# %% [markdown]
# ### Decoding `momentum`
#
# Libraries disagree on what "momentum" means. PyTorch's `momentum=0.1` is the weight of the
# **new** batch. Keras's `BatchNormalization(momentum=0.99)` and the cs231n assignments
# (`momentum=0.9`) give it to the **old** running value:
# $\hat\mu \leftarrow k\,\hat\mu + (1-k)\,\mu_B$. The two are the same rule with $k = 1 - \alpha$.
# Five batches through `layers_lib` and through both formulas written out by hand:

# %%
bn = ll.BatchNorm1d(3, momentum=0.1)
torch_mean, keras_mean = np.zeros(3), np.zeros(3)
torch_var, keras_var = np.ones(3), np.ones(3)
alpha, k = 0.1, 0.9                                 # PyTorch-style and Keras/cs231n-style
for _ in range(5):
    batch = rng.normal(loc=[1.0, -2.0, 4.0], scale=[1.0, 2.0, 0.5], size=(16, 3))
    bn(batch)
    mean, unbiased_var = batch.mean(axis=0), batch.var(axis=0, ddof=1)
    torch_mean = (1 - alpha) * torch_mean + alpha * mean     # alpha weights the NEW batch
    keras_mean = k * keras_mean + (1 - k) * mean             # k weights the OLD estimate
    torch_var = (1 - alpha) * torch_var + alpha * unbiased_var
    keras_var = k * keras_var + (1 - k) * unbiased_var
print("layers_lib running_mean:   ", np.round(bn.running_mean, 4))
print("PyTorch rule, alpha = 0.1: ", np.round(torch_mean, 4))
print("Keras rule,   k = 0.9:     ", np.round(keras_mean, 4))
print("running_var matches both:  ",
      np.allclose(bn.running_var, torch_var), np.allclose(bn.running_var, keras_var))

# %% [markdown]
# So a Keras model with `momentum=0.99` corresponds to `nn.BatchNorm1d(..., momentum=0.01)` in
# PyTorch; copying the number across unchanged gives a layer whose running statistics are
# essentially the last batch. (`momentum=None` in PyTorch and `layers_lib` means a plain
# cumulative average of all batches seen.)
#
# ### A batch of one
#
# In training mode a channel with a single value cannot be normalised: its mean is the value
# itself, so $x - \mu = 0$, every output equals $\beta$ and no gradient reaches the input — the
# network could learn nothing {footcite}`zhang2023dive`. `layers_lib`, like PyTorch, refuses
# rather than silently returning $\beta$:

# %%
bn = ll.BatchNorm1d(4)
one_example = rng.normal(size=(1, 4))
try:
    bn(one_example)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# In evaluation mode one example is fine — the statistics come from the running estimates. And
# `BatchNorm2d` accepts a single *image*, because each channel still has $H \cdot W$ values:

# %%
print("eval mode, one example:        ", np.round(bn.eval()(one_example), 3))
print("BatchNorm2d, one 5×5 image:    ", ll.BatchNorm2d(3)(rng.normal(size=(1, 3, 5, 5))).shape)

# %% [markdown]
# ## LayerNorm and GroupNorm: no batch needed
#
# LayerNorm {footcite}`ba2016layer` normalises each example over its last dimensions — the
# features of a vector, or `normalized_shape` in general (a transformer normalises each token's
# $D$ features). For an example with features $x_1, \dots, x_D$:
#
# $$
# \mu = \frac{1}{D}\sum_{j=1}^{D} x_j, \quad \sigma^2 = \frac{1}{D}\sum_{j=1}^{D} (x_j - \mu)^2, \quad
# y_j = \gamma_j\,\frac{x_j - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta_j ,
# $$
#
# with one $\gamma_j, \beta_j$ per *element* of `normalized_shape`. GroupNorm
# {footcite}`wu2018group` with $G$ groups computes the same $\mu, \sigma^2$ per example over each
# group's $C/G$ channels and all positions, with one $\gamma_c, \beta_c$ per *channel*. Neither
# has running statistics: training and evaluation mode compute exactly the same thing. The
# layers run these functions:

# %%
viz.show_source(ll.groupnorm_forward)

# %% [markdown]
# Two consequences of "per element" against "per channel". First, `GroupNorm(1, C)` and
# `LayerNorm((C, H, W))` compute the same mean and variance — one per example — but not the same
# layer: GroupNorm learns $C$ values of $\gamma$ and of $\beta$, one per channel, LayerNorm
# $C \cdot H \cdot W$ of each. They agree while LayerNorm's parameters happen to be constant
# over the positions of each channel, as at initialisation, and not after training has changed
# them. Second, the backward pass. The *first* form of the boxed formula, written with
# $\hat g_k = \gamma_k\, g_k$, holds for all of these layers, with the sums running over the
# example's group instead of the batch. The *second* form pulled $\gamma$ out of the sums
# ($\sum_k \hat g_k = \gamma \sum_k g_k$), which needs one $\gamma$ for the whole group: true
# for BatchNorm, whose group is one channel; false for LayerNorm, and for GroupNorm with more than
# one channel per group. Both claims, checked:

# %%
check_rng = np.random.default_rng(7)                            # this check's own random numbers
x = check_rng.normal(size=(2, 4, 3, 3))
gn, ln = ll.GroupNorm(1, 4), ll.LayerNorm((4, 3, 3))
print("parameter shapes: GroupNorm(1, 4)", [p.shape for p in gn.parameters()],
      "  LayerNorm((4, 3, 3))", [p.shape for p in ln.parameters()])
print("same output at initialisation (gamma = 1, beta = 0):   ", np.allclose(gn(x), ln(x)))
ln.weight.data = check_rng.uniform(0.5, 1.5, size=(4, 3, 3))          # gamma varies over positions
print("same output once LayerNorm's gamma varies by position:", np.allclose(gn(x), ln(x)))

ln = ll.LayerNorm(5)
ln.weight.data, ln.bias.data = check_rng.uniform(0.5, 1.5, size=5), check_rng.normal(size=5)
x, g = check_rng.normal(size=(3, 5)), check_rng.normal(size=(3, 5))
ln(x)
dx = ln.backward(g)
D, gamma = 5, ln.weight.data
s = 1 / np.sqrt(x.var(axis=1, keepdims=True) + ln.eps)
x_hat = (x - x.mean(axis=1, keepdims=True)) * s
g_hat = gamma * g
first = s / D * (D * g_hat - g_hat.sum(axis=1, keepdims=True) - x_hat * (g_hat * x_hat).sum(axis=1, keepdims=True))
second = gamma * s / D * (D * g - g.sum(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
print(f"LayerNorm backward, first form:  relative error {ll.rel_error(first, dx):.1e}")
print(f"LayerNorm backward, second form: relative error {ll.rel_error(second, dx):.1e}")

# %% [markdown]
# Because their statistics never look across the batch, LayerNorm and GroupNorm give an example
# the **same output whatever batch it arrives in**. BatchNorm does not. Below, one fixed image
# (shape `(4, 3, 3)`) is normalised inside batches of 2, 8 and 32 random images, and we compare
# its output with its output in the batch of 2:

# %%
example = rng.normal(size=(1, 4, 3, 3))
layers = {"BatchNorm2d": ll.BatchNorm2d(4), "LayerNorm": ll.LayerNorm((4, 3, 3)),
          "GroupNorm": ll.GroupNorm(2, 4)}
first = {}
print("batch size   largest change of the example's output (vs. batch size 2)")
for size in (2, 8, 32):
    batch = np.concatenate([example, rng.normal(size=(size - 1, 4, 3, 3))])
    changes = []
    for name, layer in layers.items():
        out = layer(batch)[0]
        first.setdefault(name, out)
        changes.append(f"{name} {np.abs(out - first[name]).max():.3f}")
    print(f"{size:>10}   " + ",  ".join(changes))

# %% [markdown]
# How large is BatchNorm's dependence on the batch? Put the same example into 300 different
# random batches (its batch-mates drawn from the same distribution as the example) and look at
# its normalised first feature. With a batch of 2 the output is almost always $\pm 1$ — two
# numbers standardised are $-1$ and $+1$ (unless they nearly coincide, when $\epsilon$ pulls
# them towards 0), so all that survives is which of the two is larger. As the
# batch grows the outputs gather around the value the population statistics would give (dashed
# line), with a spread that shrinks roughly like $1/\sqrt{m}$. This noise is why BatchNorm works
# poorly with small batches — the problem GroupNorm was designed for — and it also acts as a mild
# regulariser {footcite}`ioffe2015batch`.

# %% mystnb={"image": {"alt": "Interactive figure: histogram of one example's BatchNorm output over 300 random batches, with a dashed line at the value the population statistics give; a slider chooses the batch size: at size 2 the outputs sit almost all at minus one and plus one, and the histogram narrows around the dashed line as the batch grows."}}
viz.explore(viz.normalization.batch_noise_frame, {"batch_size": [2, 4, 8, 16, 32, 128]},
            readout=viz.normalization.batch_noise_readout,
            title="The same example in 300 different batches", initial={"batch_size": 8})

# %% [markdown]
# ## An experiment: a deep MLP with and without BatchNorm
#
# Now the layer at work. We train two 8-layer perceptrons (7 hidden layers of 64 units, ReLU) on
# scikit-learn's 8×8 handwritten digits: one plain, one with `BatchNorm1d` between every linear
# layer and its ReLU. Both start from the same PyTorch-default initialisation and train with the
# same SGD settings. A tiny `Probe` layer — the identity, remembering its input — lets us look
# inside during training.

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data / 16.0, digits.target, test_size=0.25, random_state=0, stratify=digits.target)


class Probe(ll.Module):
    """The identity; remembers its last input so we can look inside a network."""

    def forward(self, x):
        self.seen = x
        return x

    def backward(self, dy):
        return dy


def make_mlp(batchnorm, depth=8, width=64, seed=0):
    """depth linear layers; BatchNorm1d before each hidden ReLU if batchnorm; a Probe before the
    ReLUs of hidden layers 3 and 6."""
    layer_rng = np.random.default_rng(seed)
    layers, size = [], 64
    for i in range(1, depth):
        layers.append(ll.Linear(size, width, rng=layer_rng))
        if i in (3, 6):
            layers.append(Probe())                   # sees the linear layer's output
        if batchnorm:
            layers.append(ll.BatchNorm1d(width))
        layers.append(ll.ReLU())
        size = width
    layers.append(ll.Linear(size, 10, rng=layer_rng))
    return ll.Sequential(*layers)


def train(net, steps=400, lr=0.05, batch_size=64, seed=1, watch=None):
    """SGD with momentum on random minibatches; calls watch(step) after each step."""
    batch_rng = np.random.default_rng(seed)
    loss_fn, opt = ll.CrossEntropyLoss(), ll.SGD(net.parameters(), lr=lr, momentum=0.9)
    losses = []
    for step in range(steps):
        idx = batch_rng.choice(len(X_train), batch_size, replace=False)
        losses.append(loss_fn(net(X_train[idx]), y_train[idx]))
        opt.zero_grad()
        net.backward(loss_fn.backward())
        opt.step()
        if watch:
            watch(step)
    return np.array(losses)


def accuracy(net, X, y):
    net.eval()
    acc = np.mean(net(X).argmax(axis=1) == y)
    net.train()
    return acc

# %% [markdown]
# Before training, push one batch through both networks and measure, after each linear layer,
# how much the outputs differ *between examples* (the standard deviation over the batch,
# averaged over the 64 units). That spread is the signal: it is what tells one digit from
# another.

# %%
def signal_per_layer(net, x):
    """Std over the batch of each Linear layer's output, averaged over units, layer by layer."""
    spreads = []
    for module in net:
        x = module(x)
        if isinstance(module, ll.Linear):
            spreads.append(x.std(axis=0).mean())
    return spreads


batch = X_train[:64]
print("linear layer:   " + "".join(f"{k:>8}" for k in range(1, 9)))
for name, bn_flag in (("plain", False), ("BatchNorm", True)):
    spreads = signal_per_layer(make_mlp(batchnorm=bn_flag), batch)
    print(f"{name:<15} " + "".join(f"{v:8.4f}" for v in spreads))

# %% [markdown]
# In the plain network the signal shrinks by a factor of about 2.5 per layer: with PyTorch's
# default initialisation, $W \sim U(-1/\sqrt{n}, 1/\sqrt{n})$, a linear layer multiplies the
# second moment of its input by $n \cdot \operatorname{Var}(w) = 1/3$ and the ReLU halves it, a
# factor $1/\sqrt{6} \approx 0.41$ in standard deviation (this is the calculation behind He
# initialisation {footcite}`he2015delving`). After eight layers the examples are almost
# indistinguishable. With BatchNorm every layer's output is rescaled to unit variance before the
# ReLU, and the signal keeps its size all the way up.
#
# Now we train both. On the way we record the inputs of hidden layer 6's ReLU at a few steps
# and, for the BatchNorm network, the batch mean of one unit entering the third BatchNorm layer
# next to that layer's running mean.

# %%
plain, normed = make_mlp(batchnorm=False), make_mlp(batchnorm=True)
probe3 = [m for m in normed if isinstance(m, Probe)][0]
bn3 = [m for m in normed if isinstance(m, ll.BatchNorm1d)][2]
snapshots = (0, 100, 399)
hist = {"plain": {}, "batchnorm": {}}
drift = {"batch": [], "running": []}


def watch_plain(step):
    if step in snapshots:
        hist["plain"][f"step {step + 1}"] = [m for m in plain if isinstance(m, Probe)][1].seen


def watch_normed(step):
    if step in snapshots:
        hist["batchnorm"][f"step {step + 1}"] = [m for m in normed if isinstance(m, Probe)][1].seen
    drift["batch"].append(probe3.seen[:, 0].mean())
    drift["running"].append(bn3.running_mean[0])


losses = {"plain MLP": train(plain, watch=watch_plain),
          "with BatchNorm": train(normed, watch=watch_normed)}
for name, net in (("plain MLP", plain), ("with BatchNorm", normed)):
    below = np.flatnonzero(losses[name] < 2.0)
    print(f"{name:<15} first step with loss < 2.0: {below[0] + 1 if len(below) else 'never'}, "
          f"mean loss over the last 50 steps {losses[name][-50:].mean():.3f}, "
          f"test accuracy {accuracy(net, X_test, y_test):.1%}")

# %% mystnb={"image": {"alt": "Training loss against step for the two 8-layer networks: the plain MLP's loss stays near 2.3 for a long time before it slowly falls; the BatchNorm network's loss falls quickly towards zero."}}
viz.plot_curves(losses, xlabel="training step", ylabel="cross-entropy loss",
                title="8-layer MLP on digits: training loss with and without BatchNorm");

# %% [markdown]
# Same data, same initial weights, same optimiser: the plain network sits at $\ln 10 \approx
# 2.30$ — the loss of guessing uniformly — for most of its 400 steps before it starts to learn,
# while the normalised one learns at once. The histograms below show the starved signal. In the
# plain network hidden layer 6's inputs at first have a comb-like histogram: every unit's value
# is almost the same for all 64 examples of the batch (its bias plus a faint trace of the
# input), so the histogram shows the 64 units, not the examples. Only once the weights have
# grown does a single smooth distribution appear. In the BatchNorm network the numbers entering
# the sixth BatchNorm layer — the raw output of the linear layer — vary from example to example
# from the start.

# %% mystnb={"image": {"alt": "Histograms of the pre-activations of hidden layer 6 in the plain network at steps 1, 101 and 400: comb-like with many separate spikes and a standard deviation below 0.1 at steps 1 and 101, a single smooth bump by step 400."}}
viz.histograms(hist["plain"], bins=30, sharex=False, xlabel="pre-activation",
               title="Plain MLP: inputs of hidden layer 6 during training");

# %% mystnb={"image": {"alt": "Histograms of hidden layer 6's linear outputs in the BatchNorm network at steps 1, 101 and 400: smooth single bumps from the start, whose spread grows slowly during training."}}
viz.histograms(hist["batchnorm"], bins=30, sharex=False, xlabel="pre-activation (before BatchNorm)",
               title="BatchNorm MLP: inputs of the 6th BatchNorm layer during training");

# %% [markdown]
# And the train/eval gap in miniature: the batch mean of one unit entering the third BatchNorm
# layer (dots, what training mode normalises with) and the layer's running mean (line, what
# evaluation mode will use). The unit's distribution moves as the layers below it learn — this
# drift is what Ioffe and Szegedy called *internal covariate shift*. The running mean follows
# it with a lag of roughly $1/\alpha = 10$ steps and smooths out the batch-to-batch noise.

# %% mystnb={"image": {"alt": "The batch mean of one unit at each of 400 training steps as grey dots, scattered and drifting, with the running mean as a smooth line that lags behind at the start and then follows the centre of the dots."}}
viz.normalization.plot_running_vs_batch(drift["batch"], drift["running"], ylabel="mean of unit 0",
                                        title="Third BatchNorm layer: batch mean and running mean");

# %% [markdown]
# ## Why does BatchNorm work?
#
# That it helps is not in doubt; *why* it helps is still debated, and it is worth knowing the
# story, which *Dive into Deep Learning* also tells {footcite}`zhang2023dive`.
#
# * **Internal covariate shift.** Ioffe and Szegedy {footcite}`ioffe2015batch` argued that every
#   layer has to keep adapting to a moving input distribution as the layers before it learn —
#   they called this *internal covariate shift* — and that fixing the mean and variance of each
#   layer's inputs removes the problem. The title of their paper promises exactly that.
# * **Alchemy?** In his NeurIPS 2017 Test-of-Time talk Ali Rahimi used this very explanation as
#   an example of the field's habits: a technique everyone uses, justified by a notion nobody had
#   defined precisely or measured {footcite}`rahimi2017reflections`. Lipton and Steinhardt's
#   position paper on troubling trends in machine-learning scholarship
#   {footcite}`lipton2018troubling` returns to the example: a term that sounds like a technical
#   definition but was never given one, offered as an explanation without evidence that it is one.
# * **A smoother landscape.** Santurkar et al. {footcite}`santurkar2018how` tested the claim.
#   Adding random, time-varying noise *after* each BatchNorm layer — deliberately creating
#   covariate shift — left training about as fast as with plain BatchNorm; and by a
#   gradient-based measure BatchNorm did not even reduce internal covariate shift. What it did
#   do was make the loss and its gradient change more smoothly (smaller Lipschitz constants),
#   so larger steps stay safe and training tolerates higher learning rates.
# * **Other effects.** The batch statistics inject noise that acts as a regulariser (the
#   explorer above shows its size), and because the output is invariant to the scale of the
#   incoming weights, the weight norms adapt the effective learning rate.
#
# Our experiment above is consistent with several of these stories and proves none of them:
# it shows that normalisation rescued a badly scaled deep network, not why.

# %% [markdown]
# ## Common bugs
#
# **1. Normalising over the wrong axis.** `x.mean(axis=1)` on `(N, C)` input averages each
# *example* over its features: that is LayerNorm, and BatchNorm's "one statistic per feature"
# is lost. The check: after BatchNorm in training mode, every **column** has mean 0 and
# variance 1.

# %%
def batchnorm_wrong_axis(x, eps=1e-5):
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)   # BUG: axis=1
    return (x - mu) / np.sqrt(var + eps)


x = rng.normal(loc=[5.0, -20.0, 300.0], scale=[1.0, 10.0, 50.0], size=(32, 3))
for name, out in (("wrong axis", batchnorm_wrong_axis(x)), ("ll.BatchNorm1d", ll.BatchNorm1d(3)(x))):
    ok = np.allclose(out.mean(axis=0), 0, atol=1e-6) and np.allclose(out.var(axis=0), 1, atol=1e-3)
    print(f"{name:<15} columns standardised: {ok}")

# %% [markdown]
# **2. The unbiased variance.** `torch.var` and `np.var(ddof=1)` divide by $m - 1$. BatchNorm
# normalises with the biased variance (dividing by $m$); on a batch of 8 the unbiased version is
# off by a factor $\sqrt{7/8}$, about 6.5 %. The check: compare with a reference implementation
# on a *small* batch, where the difference is large.

# %%
x = rng.normal(size=(8, 3))
unbiased = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + 1e-5)
print("max relative difference from ll.BatchNorm1d:",
      f"{np.abs(unbiased / ll.BatchNorm1d(3)(x) - 1).max():.3f}")

# %% [markdown]
# **3. A backward pass that treats the statistics as constants.** Returning
# $\gamma\, s\, g$ — the gradient you would get if $\mu$ and $\sigma^2$ did not depend on $x$ —
# is tempting and wrong. `ll.check_gradients` catches it at once:

# %%
class ConstantStatsBatchNorm(ll.BatchNorm1d):
    """Wrong on purpose: ignores the paths through the batch mean and variance."""

    def backward(self, dy):
        super().backward(dy)                              # the parameter gradients stay right
        cache = self._cache
        return self.weight.data * cache.inv_std * dy      # BUG: mu and sigma^2 treated as constants


errors = ll.check_gradients(ConstantStatsBatchNorm(4), rng.normal(size=(6, 4)))
print({name: f"{err:.1e}" for name, err in errors.items()})

# %% [markdown]
# **4. Forgetting `model.eval()`.** In training mode the prediction for an example depends on
# its batch-mates, so the same test set scored in batches of 10 and in one batch gives different
# answers (and the running statistics get updated with test data along the way). The BatchNorm
# snippet in one set of lecture notes this course grew from has this problem built in: it keeps
# no running statistics at all, so it has no evaluation mode to switch to. The check: predictions
# must not change with how the test set is batched.

# %%
import copy


def predictions(net, X, batch):
    return np.concatenate([net(X[i:i + batch]).argmax(axis=1) for i in range(0, len(X), batch)])


net = copy.deepcopy(normed)                     # a copy: train mode would update its statistics
for mode in ("train", "eval"):
    net.train() if mode == "train" else net.eval()
    same = np.array_equal(predictions(net, X_test, 10), predictions(net, X_test, len(X_test)))
    print(f"{mode} mode: batches of 10 and one batch agree: {same}")

# %% [markdown]
# **5. A momentum from the other convention.** Writing Keras's `0.9` or `0.99` into PyTorch's
# `momentum` makes the running statistics follow the last batch almost exactly. The check:
# after many batches from a fixed distribution the running mean should be much steadier than
# the batch means.

# %%
for momentum in (0.1, 0.9):
    s = viz.normalization.simulate_running_stats(batch_size=16, momentum=momentum, steps=200)
    print(f"momentum {momentum}: std of running mean over the last 100 steps "
          f"{s['running_mean'][100:].std():.3f} (batch means: {s['batch_mean'][100:].std():.3f})")

# %% [markdown]
# ## Exercises
#
# The first three exercises of this chapter came with the forward and the backward pass above,
# before the code that answers them. The rest follow.
#
# ```{exercise} Decode a Keras momentum — ★☆☆ easy
# :label: norm-ex4
#
# A Keras model uses `BatchNormalization(momentum=0.99)`. (a) What `momentum` gives the same
# running statistics in PyTorch? (b) With PyTorch's default `momentum=0.1`, after how many
# batches has the initial value of `running_mean` (zero) lost all but 1 % of its weight? And
# with `momentum=0.01`?
# ```
#
# ````{solution} norm-ex4
# :class: dropdown
#
# (a) `momentum=0.01`: Keras gives $0.99$ to the old value, PyTorch gives its momentum to the
# new batch, so $\alpha = 1 - 0.99$.
#
# (b) After $t$ updates the initial value carries weight $(1-\alpha)^t$. We need
# $(1 - \alpha)^t < 0.01$, i.e. $t > \ln 0.01 / \ln(1 - \alpha)$: $t = 44$ batches for
# $\alpha = 0.1$ and $t = 459$ for $\alpha = 0.01$. Until then the running statistics are
# biased towards their initial values (mean 0, variance 1), which is one reason a model
# evaluated very early in training can look much worse in evaluation mode than in training mode.
# ````
#
# ```{exercise} Fold BatchNorm into a linear layer — ★★★ harder
# :label: norm-ex5
#
# In evaluation mode BatchNorm is a fixed affine map per channel. Show that a `Linear` layer
# followed by an evaluation-mode `BatchNorm1d` can be replaced by a single `Linear` layer with
# weight $W'$ and bias $b'$ ("folding" the normalisation, which inference engines do). Give
# $W'$ and $b'$, and check your answer numerically with `ll.Linear` and `ll.BatchNorm1d`.
# ```
#
# ````{solution} norm-ex5
# :class: dropdown
#
# With $s_c = \gamma_c/\sqrt{\hat\sigma_c^2 + \epsilon}$, output unit $c$ is
# $s_c\,(W_c x + b_c - \hat\mu_c) + \beta_c$, so
#
# $$
# W'_{c,:} = s_c\, W_{c,:}, \qquad b'_c = s_c\,(b_c - \hat\mu_c) + \beta_c .
# $$
#
# A numerical check (after giving the BatchNorm layer some running statistics and parameters):
#
# ```python
# lin, bn = ll.Linear(5, 3, rng=rng), ll.BatchNorm1d(3)
# bn(lin(rng.normal(2.0, 3.0, size=(64, 5))))          # one training step fills the statistics
# bn.weight.data[:] = [0.5, 2.0, 1.5]; bn.bias.data[:] = [0.1, -0.2, 0.3]
# bn.eval()
# s = bn.weight.data / np.sqrt(bn.running_var + bn.eps)
# folded = ll.Linear(5, 3, rng=rng)
# folded.weight.data = s[:, None] * lin.weight.data
# folded.bias.data = s * (lin.bias.data - bn.running_mean) + bn.bias.data
# x = rng.normal(size=(4, 5))
# print(np.allclose(bn(lin(x)), folded(x)))            # True
# ```
#
# This only works in evaluation mode: in training mode the statistics depend on the batch.
# ````
#
# ```{exercise} A useless bias — ★★☆ medium
# :label: norm-ex6
#
# PyTorch code often writes `nn.Linear(d_in, d_out, bias=False)` or
# `nn.Conv2d(..., bias=False)` right before a BatchNorm layer. Using the backward pass, explain
# why the bias would be useless there. What gradient would it receive?
# ```
#
# ````{solution} norm-ex6
# :class: dropdown
#
# A bias $b_c$ adds the same constant to every value of channel $c$; BatchNorm subtracts the
# channel mean, which removes it again, so the output does not depend on $b_c$ at all (and
# $\beta$ provides the shift instead). The gradient agrees: $\partial L/\partial b_c =
# \sum_i \partial L/\partial x_i$ over the channel's values, and we showed that this sum is
# exactly zero. The bias would never move from its initial value, and it would cost memory and
# time. In evaluation mode it does not cancel exactly, but then it is a constant that the folded
# layer of the previous exercise absorbs.
# ````

# %% [markdown]
# ## Summary
#
# * All normalization layers standardise a group of numbers and then apply a learnable
#   $\gamma, \beta$; they differ in the group: BatchNorm one channel over the batch (and
#   positions), LayerNorm one example, InstanceNorm one example and channel, GroupNorm one
#   example and group of channels.
# * BatchNorm normalises with the biased batch variance and $\epsilon$ inside the square root.
#   Its backward pass must include the paths through $\mu$ and $\sigma^2$; the result removes
#   the mean and the $\hat x$-component of the incoming gradient.
# * BatchNorm keeps running statistics for evaluation mode. PyTorch's `momentum=0.1` weights
#   the **new** batch; Keras's and cs231n's momentum weights the old value ($k = 1 - \alpha$).
#   The running variance uses the unbiased batch variance.
# * A single value per channel cannot be batch-normalised in training; LayerNorm and GroupNorm
#   do not depend on the batch at all, which is why they are used with small batches and in
#   transformers.
# * BatchNorm makes deep networks much easier to train; the original "internal covariate shift"
#   explanation is contested, and the smoother-landscape account of Santurkar et al. has the
#   better experimental support.
#
# ## References
#
# ```{footbibliography}
# ```
