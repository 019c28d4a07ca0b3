# %% [markdown]
# # The linear (dense) layer
#
# The linear layer — also called *dense* or *fully connected* — is the workhorse of neural
# networks. It is the whole of linear and logistic regression, the hidden layers of a multilayer
# perceptron, the classifier at the end of a convolutional network, and the projections inside
# attention. Every one of its outputs is a weighted sum of **all** of its inputs, plus a bias.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * compute `y = x Wᵀ + b` with the shapes `x (N, in)`, `W (out, in)`, `b (out,)`, and explain
#   why the weight matrix is stored as `(out, in)`;
# * translate between `x Wᵀ + b` (PyTorch, this course), `W x + b` (maths texts) and
#   `x @ kernel` (Keras) without getting a transpose wrong;
# * derive the backward pass, `dx = dy W`, `dW = dyᵀ x`, `db = Σ dy`, and check it numerically;
# * draw a linear layer as a map of the plane, and say what a zero determinant destroys;
# * show that two linear layers in a row are no better than one;
# * count the parameters of a dense layer, and explain why a convolution needs so few.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses the layers, parameters and shape conventions of
# [the introduction](intro.ipynb), matrix products and partial derivatives. The numerical check
# of the backward pass is explained in the appendix [Checking gradients](appendix/gradcheck.ipynb).
# Reading it and doing the exercises takes about 50 minutes.
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
# ## The picture: every output is a dot product
#
# A dense layer with 4 inputs and 3 outputs has 3 *units*. Unit $i$ owns a weight vector — row
# $i$ of the weight matrix $W$ — and a bias $b_i$. It multiplies each input by its weight, adds
# everything up and adds its bias. Below, one example $x$ goes through such a layer; the input row
# is drawn above $W$ so that each input sits over the column of weights it meets.

# %% mystnb={"image": {"alt": "Four annotated heat maps: the input row x with 4 entries above the 3 by 4 weight matrix W whose rows are labelled unit 0 to unit 2, then the bias b and the output y as columns of 3 numbers."}}
layer = ll.Linear(4, 3, rng=rng)
x = np.round(rng.normal(size=4), 2)
viz.linear.draw_dense(x, layer.weight.data, layer.bias.data);

# %% [markdown]
# Check one output by hand: unit 0 computes the dot product of $x$ with row 0 of $W$, plus $b_0$.

# %%
y = layer(x)
by_hand = sum(x[j] * layer.weight.data[0, j] for j in range(4)) + layer.bias.data[0]
print(f"layer output y[0] = {y[0]:.4f},  by hand: {by_hand:.4f}")

# %% [markdown]
# "Fully connected" means exactly this: every input reaches every output through its own
# weight. A layer from `in` to `out` units therefore has `in × out` weights and `out` biases.
#
# ## The math
#
# For a batch of $N$ examples stored as the **rows** of $X \in \mathbb{R}^{N \times
# d_\text{in}}$, PyTorch's `nn.Linear` {footcite}`paszke2019pytorch` and this course compute
#
# $$
# Y = X W^\top + \mathbf{1}\, b^\top, \qquad
# Y_{n i} = \sum_{j=1}^{d_\text{in}} X_{n j}\, W_{i j} + b_i ,
# $$
#
# where $\mathbf{1}$ is a column of $N$ ones: the same bias row is added to every example
# (NumPy's broadcasting does that for us).
#
# | array | shape | meaning |
# |---|---|---|
# | `x` | `(N, in_features)` | one example per row (batch first) |
# | `weight` | `(out_features, in_features)` | row `i` = the weights of output unit `i` |
# | `bias` | `(out_features,)` | one number per output unit |
# | `y` | `(N, out_features)` | one output row per example |
#
# ### `x Wᵀ` or `W x`? The same layer, written for a different layout
#
# Maths texts {footcite}`goodfellow2016deep` usually treat one example as a **column** vector
# $\mathbf{x} \in \mathbb{R}^{d_\text{in}}$ and write
#
# $$
# \mathbf{y} = W \mathbf{x} + \mathbf{b}.
# $$
#
# Transposing both sides gives $\mathbf{y}^\top = \mathbf{x}^\top W^\top + \mathbf{b}^\top$: the
# same numbers, now with the example as a **row**. Stack $N$ such rows and you get $Y = XW^\top +
# b$. So the two formulas describe one layer with one matrix $W$ of shape `(out, in)`; they differ
# only in whether an example is a column (maths) or a row (code, where the batch dimension comes
# first). Lecture notes that write `output = W*x + b` next to PyTorch code are right about the
# maths and wrong about the array: with `x` of shape `(N, in)`, `W @ x` fails — or, worse, runs
# when `N` happens to equal `in` (see *Common bugs*).
#
# Why store $W$ as `(out, in)` rather than `(in, out)`, which would avoid the transpose? Because
# then **row $i$ is unit $i$**: `W[i]` is the pattern that unit $i$ responds to, `W` is the very
# matrix of the maths texts, and a layer's units can be listed, plotted or pruned row by row.
# Keras makes the other choice: its `kernel` has shape `(in, out)` and it computes `x @ kernel`,
# so `kernel` is PyTorch's `W.T` — when copying weights between the two, transpose.

# %%
X = rng.normal(size=(5, 4))                      # (N, in) = (5, 4)
W, b = layer.weight.data, layer.bias.data        # (3, 4) and (3,)
rows = X @ W.T + b                               # batch first: (5, 3)
columns = (W @ X.T + b[:, None]).T               # maths form: one column per example
keras_kernel = W.T                               # Keras stores (in, out)
print("layer(X):", layer(X).shape, " x Wᵀ + b matches:", np.allclose(layer(X), rows))
print("W x + b on columns, transposed back:", np.allclose(columns, rows))
print("x @ kernel + b, kernel = W.T:       ", np.allclose(X @ keras_kernel + b, rows))

# %% [markdown]
# ## The code that runs
#
# Like every layer in `layers_lib`, the dense layer is a pair of pure functions and a thin class
# around them. The forward function is one line of arithmetic; it also returns a *cache* with
# what the backward pass will need:

# %%
viz.show_source(ll.linear_forward)

# %% [markdown]
# The class holds the two parameters, checks its input (an error that names the expected shape
# beats an `IndexError` from deep inside NumPy) and stores the cache:

# %%
viz.show_source(ll.Linear.forward)

# %% [markdown]
# The two arguments of `ll.Linear(in_features, out_features)` are the sizes of one example
# before and after, exactly as in `torch.nn.Linear(128, 64)`:

# %%
dense = ll.Linear(128, 64, rng=rng)
print(dense)
for name, p in dense.named_parameters():
    print(f"{name:>6}: {p.shape}")
print("parameters:", dense.num_parameters(), "= 128 * 64 + 64")
bound = 1 / np.sqrt(128)
print(f"initial weights lie in ±1/sqrt(128) = ±{bound:.4f}:",
      bool(np.abs(dense.weight.data).max() <= bound))

# %% [markdown]
# The initial values follow PyTorch: weights and biases are drawn uniformly from
# $\pm 1/\sqrt{d_\text{in}}$, so that a sum of $d_\text{in}$ terms stays of order one whatever the
# width. (Initialisations tuned to the activation that follows — Glorot's for tanh, He's for
# ReLU {footcite}`glorot2010understanding,he2015delving` — are the subject of the next chapter's
# vanishing-gradient experiment.)
#
# ### Inputs with more dimensions: `(N, *, in)`
#
# The layer acts on the **last** axis only. A batch of 2 sequences of 5 vectors, shape
# `(2, 5, 4)`, comes out as `(2, 5, 3)`: the same weights are applied to each of the 10 vectors,
# as if they were 10 rows of one batch. Sequence models and attention rely on this.

# %%
seq = rng.normal(size=(2, 5, 4))                 # (N, T, in)
out = layer(seq)                                 # (N, T, out)
as_rows = layer(seq.reshape(-1, 4)).reshape(2, 5, 3)
print(seq.shape, "->", out.shape, " same as 10 separate rows:", np.allclose(out, as_rows))

# %% [markdown]
# ## The backward pass
#
# During training the layer receives the gradient of the loss with respect to its output,
# $\mathrm{d}Y = \partial L / \partial Y$, of shape `(N, out)`, and must return
# $\partial L/\partial X$ while accumulating $\partial L/\partial W$ and $\partial L/\partial b$.
# Backpropagation {footcite}`rumelhart1986learning` is the chain rule applied to
# $Y_{ni} = \sum_j X_{nj} W_{ij} + b_i$, one index at a time.
#
# **Input.** $X_{nj}$ influences $Y_{ni}$ for every unit $i$ (same example $n$), with
# $\partial Y_{ni}/\partial X_{nj} = W_{ij}$:
#
# $$
# \frac{\partial L}{\partial X_{nj}} = \sum_i \mathrm{d}Y_{ni}\, W_{ij}
# \quad\Longrightarrow\quad \mathrm{d}X = \mathrm{d}Y\, W \qquad (N, \text{in}).
# $$
#
# **Weight.** $W_{ij}$ influences $Y_{ni}$ for every example $n$ (same unit $i$), with
# $\partial Y_{ni}/\partial W_{ij} = X_{nj}$; the weight is shared by the whole batch, so the
# contributions add up:
#
# $$
# \frac{\partial L}{\partial W_{ij}} = \sum_n \mathrm{d}Y_{ni}\, X_{nj}
# \quad\Longrightarrow\quad \mathrm{d}W = \mathrm{d}Y^\top X \qquad (\text{out}, \text{in}).
# $$
#
# **Bias.** $b_i$ is added to $Y_{ni}$ for every example, with derivative 1:
#
# $$
# \frac{\partial L}{\partial b_i} = \sum_n \mathrm{d}Y_{ni}
# \quad\Longrightarrow\quad \mathrm{d}b = \mathrm{d}Y^\top \mathbf{1} = \texttt{dy.sum(axis=0)}
# \qquad (\text{out},).
# $$
#
# A quick way to remember (and to check) these: **a gradient always has the shape of the thing it
# is the gradient of**, and there is only one way to combine `dy (N, out)` with `x (N, in)` into
# `(out, in)`, or with `W (out, in)` into `(N, in)` {footcite}`karpathy2016cs231n`. For inputs of
# shape `(N, *, in)` the leading axes are flattened first, so the sums run over every vector. This
# is the function the class calls:

# %%
viz.show_source(ll.linear_backward)

# %% [markdown]
# Derivations can be wrong, so we check them against central differences (see the appendix on
# gradient checking). `ll.check_gradients` perturbs every entry of the input, the weight and the
# bias and compares with the backward pass. The course's rule, stated in that appendix: a
# relative error below $10^{-6}$ passes — a correct backward pass usually gives $10^{-8}$ or
# less — and a wrong one is off by $10^{-2}$ or more.

# %%
def verdict(errors):
    """The relative error of each gradient, shown as 'ok' when it is below 1e-6."""
    return ", ".join(f"{k} {'ok' if e < 1e-6 else f'{e:.2f}'}" for k, e in errors.items())


for shape in [(6, 4), (2, 5, 4)]:
    errors = ll.check_gradients(ll.Linear(4, 3, rng=rng), rng.normal(size=shape))
    print(f"input {shape}:", verdict(errors))

# %% [markdown]
# ## A linear layer as a map of the plane
#
# With two inputs and two outputs we can *see* what a weight matrix does. Take the layer without
# bias, $y = x W^\top$, and move every point $x$ of the plane to $y$:
#
# * the basis vector $e_0 = (1, 0)$ lands on the first **column** of $W$, and $e_1$ on the
#   second; the unit square becomes the parallelogram they span, so every grid line stays straight
#   and parallel lines stay parallel;
# * areas are multiplied by $|\det W|$, and a negative determinant mirrors the picture (watch the
#   letter F);
# * the **rows** of $W$ (green arrows, left) are the directions the two output units measure.
#
# When $\det W = 0$ the rows are parallel — both units measure the same direction — and the
# whole plane collapses onto a line. Different inputs then give the same output, and nothing
# after this layer can tell them apart: the information is gone. In the explorer $W_{00} = 1$ and
# the sliders set the other three entries; try `W01 = 1, W10 = 1, W11 = 1`,
# then `W01 = 0, W10 = 0, W11 = -1` (a mirror) and `W01 = -1, W10 = 1, W11 = 1` (a rotation by
# 45° with a stretch by $\sqrt{2}$).

# %%
def linear_map(W01, W10, W11):
    return viz.linear.linear_map_frame([[1.0, W01], [W10, W11]])


def map_readout(W01, W10, W11):
    return viz.linear.describe_map([[1.0, W01], [W10, W11]])


def map_alt(W01, W10, W11):
    return ("The unit square, a grid and the letter F before (left) and after (right) the "
            f"map. {map_readout(W01, W10, W11)}")


viz.explore(linear_map, {"W01": [-1, 0, 1], "W10": [0, 0.5, 1], "W11": [-1, 0.5, 1]},
            readout=map_readout, alt=map_alt, initial={"W01": 0, "W10": 0, "W11": 1},
            title="A 2×2 weight matrix as a map of the plane, y = x Wᵀ")

# %% [markdown]
# The collapse is easy to confirm: for a singular $W$ every direction in its *null space* is
# invisible to the layer. Here $W = \begin{pmatrix} 1 & 1 \\ 1 & 1\end{pmatrix}$ cannot tell
# $x$ from $x + t\,(1, -1)$:

# %%
flat = ll.Linear(2, 2, bias=False, rng=rng)
flat.weight.data = np.array([[1.0, 1.0], [1.0, 1.0]])
x_a = np.array([[0.3, 0.7]])
x_b = x_a + 2.5 * np.array([[1.0, -1.0]])
print("inputs: ", x_a.ravel(), x_b.ravel())
print("outputs:", flat(x_a).ravel(), flat(x_b).ravel())
print("equal:", np.allclose(flat(x_a), flat(x_b)))

# %% [markdown]
# A bias would add the same vector $b$ to every output: it shifts the picture without changing
# its shape. Together, $x \mapsto xW^\top + b$ is an *affine* map, and that is all a linear layer
# can do.
#
# ## Two linear layers are just one
#
# Stack two linear layers with nothing in between:
#
# $$
# \bigl(x W_1^\top + b_1\bigr) W_2^\top + b_2 = x\,(W_2 W_1)^\top + \bigl(W_2 b_1 + b_2\bigr).
# $$
#
# The result is again a single linear layer with $W = W_2 W_1$ and $b = W_2 b_1 + b_2$. However
# many layers we stack, the network can only represent affine maps — it is no more expressive
# than linear regression, and a narrow middle layer only *removes* possibilities (the product
# $W_2 W_1$ has rank at most the middle width). Let us build the single equivalent layer and
# compare:

# %%
first, second = ll.Linear(4, 8, rng=rng), ll.Linear(8, 3, rng=rng)
two_layers = ll.Sequential(first, second)
merged = ll.Linear(4, 3, rng=rng)
W1, b1, W2, b2 = first.weight.data, first.bias.data, second.weight.data, second.bias.data
merged.weight.data = W2 @ W1                     # (3, 8) @ (8, 4) -> (3, 4)
merged.bias.data = W2 @ b1 + b2                  # (3,)
inputs = rng.normal(size=(100, 4))
gap = np.abs(two_layers(inputs) - merged(inputs)).max()
n_two, n_merged = two_layers.num_parameters(), merged.num_parameters()
print(f"parameters: {n_two} in the two layers, {n_merged} in the merged one")
print("largest difference below 1e-12:", gap < 1e-12)

# %% [markdown]
# Put a nonlinearity between the two — here a ReLU — and no single linear layer can reproduce the
# result any more. The best affine fit (least squares over the same 100 inputs) still misses by a
# clear margin:

# %%
relu_net = ll.Sequential(first, ll.ReLU(), second)
target = relu_net(inputs)
design = np.hstack([inputs, np.ones((len(inputs), 1))])          # [x, 1] for the bias
coef, *_ = np.linalg.lstsq(design, target, rcond=None)
spread = np.linalg.norm(target - target.mean(axis=0))
residual = np.linalg.norm(design @ coef - target) / spread
print(f"best affine fit of the ReLU network: relative error {residual:.2f}")

# %% [markdown]
# This is the reason every hidden linear layer is followed by an *activation function*, the
# subject of the next chapter {footcite}`goodfellow2016deep`.
#
# ## Dense versus convolution: counting parameters
#
# A dense layer pays one weight for every (input, output) pair. Take a $28 \times 28$ grayscale
# image and ask for 16 feature maps of the same size, as a `Conv2d(1, 16, 3, padding=1)` produces.
# A dense layer doing that job maps $784$ inputs to $16 \cdot 784 = 12\,544$ outputs:

# %%
n_in, n_out = 28 * 28, 16 * 28 * 28
dense_params = n_in * n_out + n_out            # weights + biases of Linear(784, 12544)
conv = ll.Conv2d(1, 16, kernel_size=3, padding=1, rng=rng)
print(f"Linear({n_in}, {n_out}): {dense_params:,} parameters")
print(f"Conv2d(1, 16, 3, padding=1): {conv.num_parameters():,} parameters, "
      f"weight {conv.weight.shape}")
print(f"ratio: {dense_params / conv.num_parameters():,.0f} to 1")

# %% mystnb={"image": {"alt": "Horizontal bar chart on a logarithmic axis: a dense layer from a 28 by 28 image to 16 maps of 28 by 28 needs 9,847,040 parameters, the 3 by 3 convolution 160, the classifier layer Linear(3136, 10) 31,370 and Linear(128, 64) 8,256."}}
viz.linear.plot_param_counts({
    "Linear(784, 12544): image → 16 maps": dense_params,
    "Conv2d(1, 16, 3): image → 16 maps": conv.num_parameters(),
    "Linear(3136, 10): classifier head": ll.Linear(3136, 10, rng=rng).num_parameters(),
    "Linear(128, 64)": ll.Linear(128, 64, rng=rng).num_parameters(),
}, title="Parameters: 16 maps from a 28×28 image two ways (top); two more for scale");

# %% [markdown]
# Two ideas explain the factor of sixty thousand {footcite}`lecun1998gradient,goodfellow2016deep`:
#
# * **sparse connections** — each output pixel looks at a $3 \times 3$ neighbourhood, not at all
#   784 pixels;
# * **weight sharing** — the same 9 weights (per feature map) are used at every position, on the
#   grounds that a detector useful in one place is useful everywhere.
#
# Dense layers keep their place where every output *should* see every input: the classifier at
# the end of a convolutional network (`Flatten` then `Linear(3136, 10)` above), and the layers of
# MLPs, recurrent cells and attention. And the two meet: a convolution with a $1 \times 1$ kernel
# *is* a dense layer applied to the channel vector at every pixel {footcite}`lin2014network` —
# the `(N, *, in)` rule again, once the channels are moved last:

# %%
pointwise = ll.Conv2d(16, 8, kernel_size=1, rng=rng)
per_pixel = ll.Linear(16, 8, rng=rng)
per_pixel.weight.data = pointwise.weight.data[:, :, 0, 0]   # (8, 16, 1, 1) -> (8, 16)
per_pixel.bias.data = pointwise.bias.data
maps = rng.normal(size=(2, 16, 5, 5))                       # (N, C, H, W)
channels_last = per_pixel(maps.transpose(0, 2, 3, 1))       # (N, H, W, 16) -> (N, H, W, 8)
print("1×1 convolution == Linear on every pixel:",
      np.allclose(pointwise(maps), channels_last.transpose(0, 3, 1, 2)))

# %% [markdown]
# ## Common bugs
#
# ### 1. Multiplying by `W` instead of `W.T`
#
# `x @ W` has the shapes `(N, in) @ (out, in)`: it fails unless `in == out`. With a square
# weight it runs and computes the wrong layer, because each output now uses a *column* of $W$ —
# the weights of many different units. **Check:** always test with `in ≠ out`, and compare with a
# reference implementation.

# %%
square = ll.Linear(3, 3, rng=rng)
xs = rng.normal(size=(4, 3))
wrong = xs @ square.weight.data + square.bias.data
print("square weight: runs, matches the layer:", np.allclose(wrong, square(xs)))
try:
    xs @ ll.Linear(3, 2, rng=rng).weight.data
except ValueError as err:
    print("in != out: ValueError:", str(err).split(":")[0])

# %% [markdown]
# ### 2. `W @ x` on a batch-first array
#
# Copying the maths form `W x + b` into code that stores examples as rows gives `W @ x` with
# `x` of shape `(N, in)`. This fails for most shapes — but when the batch size equals the
# number of input features, it runs and mixes *examples* instead of features. (Notes that write
# `W*x` add a second trap: in NumPy `*` is the elementwise product; the matrix product is `@`.) **Check:** assert
# the output shape, `(N, out)`, and compare with `ll.Linear` on a batch whose size differs from
# every feature size.

# %%
layer_44 = ll.Linear(4, 4, rng=rng)
batch = rng.normal(size=(4, 4))                                    # N == in == 4: the trap
wrong = layer_44.weight.data @ batch + layer_44.bias.data
print("W @ x runs with N == in; equals the layer:", np.allclose(wrong, layer_44(batch)))
print("the fix, x @ W.T + b, equals the layer:   ",
      np.allclose(batch @ layer_44.weight.data.T + layer_44.bias.data, layer_44(batch)))

# %% [markdown]
# ### 3. Forgetting to sum the bias gradient over the batch
#
# The bias is shared by every example, so its gradient is `dy.sum(axis=0)`. Two wrong versions
# are common: `db = dy`, which has shape `(N, out)` — adding it to a `(out,)` gradient raises an
# error, except with a batch of one, where it hides — and `db = dy.mean(axis=0)`, which has the
# right shape and the wrong size. **Check:** the shape test (`db.shape == b.shape`) catches the
# first; a gradient check catches the second:

# %%
class MeanBiasLinear(ll.Linear):
    """Wrong on purpose: averages the bias gradient over the batch instead of summing it."""

    def backward(self, dy):
        before = self.bias.grad.copy()
        dx = super().backward(dy)
        self.bias.grad = before + dy.mean(axis=0)
        return dx


print(verdict(ll.check_gradients(MeanBiasLinear(4, 3, rng=rng), rng.normal(size=(6, 4)))))

# %% [markdown]
# Input and weight pass; the bias fails. Its gradient is $N = 6$ times too small, and the relative
# error $|g - g/6| / (|g| + |g/6|) = 5/7 \approx 0.71$ says exactly that.
#
# ### 4. Broadcasting a `(N, 1)` prediction against a `(N,)` target
#
# A regression layer `Linear(3, 1)` returns shape `(N, 1)`. Subtracting a target of shape `(N,)`
# does not fail: NumPy broadcasts the two into an `(N, N)` matrix of every prediction minus every
# target, and the "loss" is a meaningless number. **Check:** compare shapes before combining;
# `ll.MSELoss`, unlike PyTorch (which only warns), refuses mismatched shapes.

# %%
regressor = ll.Linear(3, 1, rng=rng)
features, targets = rng.normal(size=(8, 3)), rng.normal(size=8)
pred = regressor(features)                                            # (8, 1)
print("pred - target has shape", (pred - targets).shape)
print(f"broadcast 'loss' {np.mean((pred - targets) ** 2):.3f} vs true MSE "
      f"{np.mean((pred[:, 0] - targets) ** 2):.3f}")
try:
    ll.MSELoss()(pred, targets)
except ValueError as err:
    print("ll.MSELoss:", err)

# %% [markdown]
# ## Exercises
#
# The exercises with a checker run hidden test cases on your function and, when something is
# wrong, try to name the mistake. Replace `return None` with your code and run the cell.

# %%
from layers_lib.exercises import linear as ex

# %% [markdown]
# ```{exercise} The forward pass — ★☆☆ easy
# :label: linear-ex1
#
# Write `linear_forward(x, weight, bias)` returning `x Wᵀ + b` for `x` of shape `(*, in)`,
# `weight (out, in)` and `bias (out,)`. The checker also tries a square weight, a 3-D input and a
# single example of shape `(in,)`.
# ```

# %%
def linear_forward(x, weight, bias):
    # your code here
    return None


ex.check_linear_forward(linear_forward)

# %% [markdown]
# ````{solution} linear-ex1
# :class: dropdown
#
# ```python
# def linear_forward(x, weight, bias):
#     return x @ weight.T + bias
# ```
#
# `@` multiplies over the last axis of `x`, so leading axes of any number pass through, and the
# bias of shape `(out,)` broadcasts over them.
# ````
#
# ```{exercise} The backward pass — ★★☆ medium
# :label: linear-ex2
#
# Write `linear_backward(dy, x, weight)` returning the tuple `(dx, dW, db)`. It must work for
# inputs of shape `(N, in)` and `(N, T, in)`. Before you code, write down the shape of each
# result.
# ```

# %%
def linear_backward(dy, x, weight):
    # your code here
    return None


ex.check_linear_backward(linear_backward)

# %% [markdown]
# ````{solution} linear-ex2
# :class: dropdown
#
# ```python
# def linear_backward(dy, x, weight):
#     x2 = x.reshape(-1, x.shape[-1])        # (M, in): every vector of the batch
#     dy2 = dy.reshape(-1, dy.shape[-1])     # (M, out)
#     dx = dy @ weight                       # (*, in)
#     dW = dy2.T @ x2                        # (out, in), a sum over the M vectors
#     db = dy2.sum(axis=0)                   # (out,)
#     return dx, dW, db
# ```
#
# Shapes decide almost everything: `dW` must be `(out, in)` like `W`, and the only product of
# `dy (M, out)` and `x (M, in)` with that shape is `dy.T @ x`.
# ````
#
# ```{exercise} Count an MLP's parameters — ★☆☆ easy
# :label: linear-ex3
#
# Write `mlp_num_parameters(sizes)` that returns the number of parameters of the stack
# `Linear(sizes[0], sizes[1])`, `Linear(sizes[1], sizes[2])`, … (activations between them have
# none). How many does the classic MNIST network `[784, 256, 128, 10]` have?
# ```

# %%
def mlp_num_parameters(sizes):
    # your code here
    return None


ex.check_mlp_num_parameters(mlp_num_parameters)

# %% [markdown]
# ````{solution} linear-ex3
# :class: dropdown
#
# ```python
# def mlp_num_parameters(sizes):
#     return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
# ```
#
# For `[784, 256, 128, 10]`: $784 \cdot 256 + 256 + 256 \cdot 128 + 128 + 128 \cdot 10 + 10 =
# 235\,146$. The input layer has no parameters; each layer has one bias per *output* unit. You
# can confirm it with `layers_lib`:
#
# ```python
# mnist_mlp = ll.Sequential(ll.Linear(784, 256), ll.ReLU(), ll.Linear(256, 128), ll.ReLU(),
#                           ll.Linear(128, 10))
# print(mnist_mlp.num_parameters())   # 235146
# ```
# ````
#
# ```{exercise} Two layers, one map — ★★☆ medium
# :label: linear-ex4
#
# A network `Linear(2, 100)` followed directly by `Linear(100, 1)`, with no activation, has 401
# parameters. How many parameters does the single equivalent layer have? Now make the first layer
# `Linear(2, 1)` and the second `Linear(1, 2)`: which maps from $\mathbb{R}^2$ to
# $\mathbb{R}^2$ can this pair represent, and which can it not?
# ```
#
# ````{solution} linear-ex4
# :class: dropdown
#
# The equivalent layer is `Linear(2, 1)`: 3 parameters, $W = W_2 W_1$ of shape `(1, 2)` and
# $b = W_2 b_1 + b_2$. The other 398 parameters add nothing the network can express.
#
# For `Linear(2, 1)` then `Linear(1, 2)`, $W = W_2 W_1$ is a `(2, 1) @ (1, 2)` product: a matrix of
# rank at most 1, so $\det W = 0$. The pair can only represent maps that flatten the plane onto a
# line (plus a shift) and can never represent, for instance, the identity. A bottleneck narrower
# than the input loses information for good.
#
# ```python
# w = ll.Linear(1, 2).weight.data @ ll.Linear(2, 1).weight.data
# print(np.linalg.matrix_rank(w), np.linalg.det(w))   # 1, 0 (up to rounding)
# ```
# ````
#
# ```{exercise} A singular weight matrix — ★★☆ medium
# :label: linear-ex5
#
# For $W = \begin{pmatrix} 1 & 2 \\ 2 & 4 \end{pmatrix}$ (no bias), find two different inputs
# that the layer maps to the same output, and describe the set of all outputs. Use the explorer's
# reasoning: look at the rows and the columns of $W$.
# ```
#
# ````{solution} linear-ex5
# :class: dropdown
#
# The rows $(1, 2)$ and $(2, 4)$ are parallel, so $\det W = 0$. Any $v$ with $W v = 0$ — here
# $v = (2, -1)$ — is invisible: $x$ and $x + t v$ give the same output for every $t$, e.g.
# $(0, 0)$ and $(2, -1)$ both map to $(0, 0)$. The outputs are all multiples of the column
# $(1, 2)$: the whole plane lands on that line.
#
# ```python
# layer = ll.Linear(2, 2, bias=False)
# layer.weight.data = np.array([[1.0, 2.0], [2.0, 4.0]])
# print(layer(np.array([[0.5, 0.5], [2.5, -0.5]])))     # both rows: [1.5, 3.0]
# ```
# ````
#
# ## Summary
#
# * A linear layer computes `y = x @ W.T + b` with `W` of shape `(out, in)`: row $i$ of $W$ is the
#   weight vector of output unit $i$. Maths texts write the same layer as $W\mathbf{x} + b$ for a
#   column vector; Keras stores `W.T` as its `kernel`.
# * It acts on the last axis, so inputs `(N, *, in)` give `(N, *, out)`; it has
#   `in · out + out` parameters.
# * Backward: `dx = dy @ W`, `dW = dy.T @ x`, `db = dy.sum(axis=0)` — every gradient has the shape
#   of its variable, and shared parameters sum over the batch. `ll.check_gradients` confirms it.
# * Geometrically it is an affine map: lines stay lines, areas scale by $|\det W|$, and $\det W = 0$
#   loses information that no later layer can recover.
# * Linear layers in a row collapse into one; nonlinear activations are what make depth useful.
# * Dense layers are expensive for images: a convolution with sparse, shared weights does the same
#   job with thousands of times fewer parameters, and a $1\times1$ convolution is a dense layer
#   applied at every pixel.
#
# ## References
#
# ```{footbibliography}
# ```
