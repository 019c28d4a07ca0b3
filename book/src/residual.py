# %% [markdown]
# # Residual connections
#
# The normalization chapter trained an 8-layer perceptron and watched the plain version starve:
# every layer shrank the signal, and the loss sat at $\ln 10$ for hundreds of steps. Stack thirty
# layers and the problem becomes hopeless — yet networks of a hundred layers are routine, and
# some have been trained with a thousand. Most of them owe it to one line of code, `y = x + F(x)`. A **residual connection**
# adds a block's input back to its output, so the block only has to learn a *change* to its input,
# and the gradient gets a path back to the first layer that no weight matrix can shrink. He et al.
# introduced it in the ResNets that won ImageNet in 2015 {footcite}`he2016deep`; together with
# batch normalization it is what lets practitioners train networks of over 100 layers
# {footcite}`zhang2023dive`, and every Transformer block has two of them.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * write what a residual block computes, $y = x + F(x)$, and derive its backward pass, which
#   always contains the upstream gradient itself: $\partial L/\partial x = \partial L/\partial y
#   + \partial L/\partial y \cdot \partial F/\partial x$;
# * measure how that direct path changes the gradient and the training of a deep stack — a
#   30-block network, plain and residual, with and without BatchNorm;
# * add a **projection shortcut** (a `Linear` or a 1×1 convolution) to a block that changes the
#   shape;
# * recognise three bugs that break residual networks silently, and check for each.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses [the linear layer](linear.ipynb), ReLU and vanishing gradients from
# [activations](activations.ipynb), [convolution](conv.ipynb) for the projection shortcut, and
# the 8-layer experiment of [normalization](normalization.ipynb). Reading it and doing the
# exercises takes about 40 minutes.
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
# ## The picture: a detour with a shortcut
#
# A residual block has two paths from its input $x$ to its output $y$. The **branch** $F$ is an
# ordinary stack of layers — here a linear layer, a BatchNorm layer and a ReLU. The **shortcut**
# skips it and carries $x$ unchanged to an addition node at the top. If the best thing the block
# can do is nothing, it only needs $F(x) \approx 0$, which small weights give almost for free; a
# plain layer would have to learn the identity map exactly {footcite}`he2016deep`.

# %% mystnb={"image": {"alt": "Diagram of a residual block. The input x splits at a dot: one path goes up through three boxes, Linear, BatchNorm1d and ReLU, labelled F(x); the other, labelled identity: x, goes right, up and back left into a plus node at the top, where it is added to F(x) to give y. A note beside the plus node says that in the backward pass dL/dy flows down both paths and dL/dx = dL/dy + F's backward(dL/dy)."}}
viz.residual.draw_residual_block();

# %% [markdown]
# ## The math
#
# The forward pass is one addition:
#
# $$
# y = x + F(x).
# $$
#
# Its Jacobian is the identity plus the branch's Jacobian, so with $g = \partial L / \partial y$
# the gradient that reaches the input is
#
# $$
# \frac{\partial y}{\partial x} = I + \frac{\partial F}{\partial x}
# \qquad\Longrightarrow\qquad
# \frac{\partial L}{\partial x} = g + g\,\frac{\partial F}{\partial x}.
# $$
#
# The first term is the upstream gradient itself, copied through the addition: whatever the
# branch does — saturated, dead, badly initialised — the block passes $g$ on. Now stack $L$ blocks,
# $x_{l+1} = x_l + F_l(x_l)$ with branch Jacobians $J_l = \partial F_l / \partial x_l$, and compare
# with a plain stack $x_{l+1} = F_l(x_l)$:
#
# $$
# \text{plain:}\quad \frac{\partial L}{\partial x_0} = \frac{\partial L}{\partial x_L}\, J_{L-1} \cdots J_1 J_0,
# \qquad
# \text{residual:}\quad \frac{\partial L}{\partial x_0} = \frac{\partial L}{\partial x_L}\,(I + J_{L-1}) \cdots (I + J_1)(I + J_0).
# $$
#
# The plain product shrinks or grows exponentially with $L$ — the vanishing and exploding
# gradients of the activations chapter (and, later in the course, of recurrent networks). The
# residual product, multiplied out, is a sum over all $2^L$ ways of either skipping or entering
# each block: $I + \sum_l J_l + \sum_{l > k} J_l J_k + \dots$ Its first term carries
# $\partial L / \partial x_L$ to the input unchanged, and the short paths through one or two
# branches are never multiplied by thirty Jacobians. Veit et al. found that in trained ResNets
# most of the gradient flows along such short paths {footcite}`veit2016residual`.
#
# The forward pass has the same structure: $x_L = x_0 + \sum_l F_l(x_l)$. Every block *adds*
# to a running sum (the "residual stream"), so unless the branches are normalised or small, the
# activations grow with depth — we will see it below.

# %% [markdown]
# ## The code that runs
#
# `ll.Residual(body, shortcut=None)` wraps any module as the branch. Its forward pass adds the
# shortcut — the input itself by default — and refuses shapes that would only broadcast:

# %%
viz.show_source(ll.Residual.forward)

# %% [markdown]
# The backward pass is the formula above: the branch's own backward pass gives
# $g\,\partial F / \partial x$, and the identity adds $g$ itself:

# %%
viz.show_source(ll.Residual.backward)

# %% [markdown]
# A block is checked like every layer, against central differences; and its input gradient must be
# exactly the upstream gradient plus what the branch alone returns. The gradient check uses the
# course's rule (see the appendix on checking gradients): the relative error must be below
# $10^{-6}$.

# %%
block = ll.Residual(ll.Sequential(ll.Linear(5, 5, rng=rng), ll.Tanh(), ll.Linear(5, 5, rng=rng)))
x, dy = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
errors = ll.check_gradients(block, x)
print("relative errors:", {name: f"{err:.1e}" for name, err in errors.items()})
print("all below 1e-6:", max(errors.values()) < 1e-6)

block.zero_grad()
block(x)
dx = block.backward(dy)
block.body(x)
d_branch = block.body.backward(dy)                  # the branch on its own: g dF/dx
print("dL/dx == dL/dy + branch's backward(dL/dy):", np.allclose(dx, dy + d_branch))

# %% [markdown]
# ## An experiment: 30 layers, plain and residual
#
# Now the measurement. On scikit-learn's 8×8 digits (as in the normalization chapter) we build
# four networks of the same shape — `Linear(64, 64)` and ReLU, then **30 blocks** of 64 units, then
# `Linear(64, 10)`:
#
# | | block | wrapped in `Residual`? |
# |---|---|---|
# | plain | `Linear → ReLU` | no |
# | plain + BatchNorm | `Linear(bias=False) → BatchNorm1d → ReLU` | no |
# | residual | `Linear → ReLU` | yes: $x + \mathrm{ReLU}(xW^\top + b)$ |
# | residual + BatchNorm | `Linear(bias=False) → BatchNorm1d → ReLU` | yes |
#
# A plain network and its residual twin have *exactly* the same layers and, from the same seed,
# the same initial weights (PyTorch's default); the only difference is the `+ x`. (The branch
# ends in a ReLU so that the twins match layer for layer; ResNet itself ends the branch with
# BatchNorm and puts the ReLU after the addition, and later variants move it into the branch
# {footcite}`he2016identity`.) The networks compute in float32, PyTorch's default: faster than
# float64 and precise enough to train and to measure gradient norms.

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    (digits.data / 16.0).astype(np.float32), digits.target, test_size=0.25, random_state=0, stratify=digits.target)


def make_stack(residual, batchnorm, depth=30, width=64, seed=0, dtype=np.float32):
    """Linear(64, width) + ReLU, `depth` blocks, Linear(width, 10); the same weights for the same seed."""
    layer_rng = np.random.default_rng(seed)
    layers = [ll.Linear(64, width, rng=layer_rng, dtype=dtype), ll.ReLU()]
    for _ in range(depth):
        if batchnorm:
            block = ll.Sequential(ll.Linear(width, width, bias=False, rng=layer_rng, dtype=dtype),
                                  ll.BatchNorm1d(width, dtype=dtype), ll.ReLU())
        else:
            block = ll.Sequential(ll.Linear(width, width, rng=layer_rng, dtype=dtype), ll.ReLU())
        layers.append(ll.Residual(block) if residual else block)
    layers.append(ll.Linear(width, 10, rng=layer_rng, dtype=dtype))
    return ll.Sequential(*layers)


def weight_gradient_norms(net, x, y):
    """‖dL/dW‖ of every Linear layer, from the input upwards, for one batch."""
    loss_fn = ll.CrossEntropyLoss()
    net.zero_grad()
    loss_fn(net(x), y)
    net.backward(loss_fn.backward())
    return np.array([np.linalg.norm(m.weight.grad) for _, m in net.named_modules() if isinstance(m, ll.Linear)])


KINDS = {"plain": (False, False), "plain + BatchNorm": (False, True),
         "residual": (True, False), "residual + BatchNorm": (True, True)}
batch = X_train[:64], y_train[:64]
nets = {name: make_stack(residual, batchnorm) for name, (residual, batchnorm) in KINDS.items()}
grad_norms = {name: weight_gradient_norms(net, *batch) for name, net in nets.items()}
print(f"{'at initialisation':<22}{'‖dL/dW‖ layer 1':>16}{'head':>9}{'layer 1 / head':>16}"
      f"{'largest / smallest':>20}{'rms of the last block':>23}")
for name, net in nets.items():
    g = grad_norms[name]
    rms = np.sqrt(np.mean(net[:-1](batch[0]) ** 2))          # the input of the head
    print(f"{name:<22}{g[0]:>16.1e}{g[-1]:>9.1e}{g[0] / g[-1]:>16.0e}{g.max() / g.min():>20.0e}{rms:>23.3g}")
print(f"(1/√6)^30 = {np.sqrt(1 / 6) ** 30:.1e}: the shrinking per layer the normalization chapter computed, 30 times")

# %% [markdown]
# Then we train all four the same way: 200 steps of Adam {footcite}`kingma2015adam` (learning rate
# $10^{-3}$) on the same random mini-batches of 64 digits.

# %%
def train(net, steps=200, lr=1e-3, batch_size=64, seed=1):
    batch_rng = np.random.default_rng(seed)
    loss_fn, opt = ll.CrossEntropyLoss(), ll.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        idx = batch_rng.choice(len(X_train), batch_size, replace=False)
        losses.append(loss_fn(net(X_train[idx]), y_train[idx]))
        opt.zero_grad()
        net.backward(loss_fn.backward())
        opt.step()
    return np.array(losses)


def accuracy(net, X, y):
    net.eval()
    acc = np.mean(net(X).argmax(axis=1) == y)
    net.train()
    return acc


losses = {name: train(net) for name, net in nets.items()}
steps = len(losses["plain"])
print(f"{f'after {steps} steps':<22}{'loss, steps 1-20':>17}{f'steps {steps - 19}-{steps}':>15}{'test accuracy':>15}")
for name, net in nets.items():
    print(f"{name:<22}{losses[name][:20].mean():>17.3f}{losses[name][-20:].mean():>15.3f}"
          f"{accuracy(net, X_test, y_test):>15.1%}")

# %% mystnb={"image": {"alt": "Two panels. Left, on a log axis, the weight-gradient norm of each of the 32 linear layers at initialisation: the plain network's falls by about eleven orders of magnitude from the head down to layer 1; the plain network with BatchNorm grows towards the input, by almost three orders of magnitude; the two residual networks stay within a factor of about 10 and 100 from layer to layer. Right, the training loss over 200 steps on a log axis: the plain network stays at 2.3; the plain network with BatchNorm falls slowly, to about 1.9; the residual network starts above 10 and falls to about 0.2, and the residual network with BatchNorm falls fastest, to about 0.03."}}
viz.residual.plot_plain_vs_residual(grad_norms, losses,
                                    title="30 blocks on the digits: plain and residual, with and without BatchNorm");

# %% [markdown]
# What the numbers and the figure say:
#
# * **Plain, no BatchNorm.** The first layer's gradient is about $10^{-11}$ of the head's — the
#   order of the $(1/\sqrt 6)^{30}$ estimate — and the 32 layers' gradient norms span eleven
#   orders of magnitude. The network never leaves the loss of guessing, $\ln 10 \approx 2.30$.
#   Adam rescales small gradients, but not ones this small: its $\epsilon = 10^{-8}$ is larger
#   than the gradient itself.
# * **Plain + BatchNorm.** BatchNorm restores the forward signal, and the network learns — but
#   slowly. Its gradient now *grows* towards the input, to several hundred times the head's: a
#   deep stack of BatchNorm and ReLU layers explodes gradients at initialisation, as Yang et al.
#   showed by mean-field analysis {footcite}`yang2019mean`.
# * **Residual, no BatchNorm.** The same layers with the shortcut added: the gradient norms of all
#   32 layers lie within a factor of about 10 of each other, and the network trains to a loss near
#   0.2. The last column of the first table shows the price: with nothing to normalise the residual
#   stream, every block adds to it, the head's input has grown to an rms of over 100, and the
#   first steps' loss is far above $\ln 10$.
# * **Residual + BatchNorm** — the combination ResNets use — keeps the activations moderate and the
#   gradient norms within a factor of about 100 (the head's is the largest), learns fastest and
#   ends with the lowest loss.
#
# He et al. met the same effect at ImageNet scale: plain networks *with* BatchNorm had a higher
# training error at 34 layers than at 18 — not overfitting, an optimisation problem — while the
# residual versions improved with depth {footcite}`he2016deep`.
#
# ## Explore: depth and normalisation
#
# How does the gradient at initialisation depend on the depth? Pick a number of blocks and switch
# BatchNorm on or off; each frame builds the plain and the residual stack and measures every layer's
# weight gradient on the same batch. The read-out gives the ratio of the first layer's gradient to
# the head's.

# %%
def depth_frame(blocks, batchnorm):
    curves = {}
    for residual in (False, True):
        name = ("residual" if residual else "plain") + (" + BatchNorm" if batchnorm == "on" else "")
        curves[name] = weight_gradient_norms(make_stack(residual, batchnorm == "on", depth=blocks), *batch)
    return viz.residual.gradient_norms_chart(
        curves, title=f"{blocks} blocks, BatchNorm {batchnorm}: ‖dL/dW‖ per layer at initialisation",
        ylim=(1e-22, 1e6))  # the same axis for every setting


def depth_readout(blocks, batchnorm):
    parts = []
    for residual in (False, True):
        g = weight_gradient_norms(make_stack(residual, batchnorm == "on", depth=blocks), *batch)
        parts.append(f"{'residual' if residual else 'plain'}: layer 1 / head = <b>{viz.residual.sci(g[0] / g[-1])}</b>")
    return ",  ".join(parts)


viz.explore(depth_frame, {"blocks": [2, 5, 10, 20, 30, 50], "batchnorm": ["off", "on"]},
            readout=depth_readout, initial={"blocks": 30, "batchnorm": "off"},
            title="Gradient norm per layer at initialisation: plain vs residual, by depth")

# %% [markdown]
# The read-outs tell the story in two numbers per frame. Without BatchNorm the plain stack loses
# about four orders of magnitude of first-layer gradient per ten blocks, down to about $10^{-19}$
# of the head's at 50; with BatchNorm its first-layer gradient instead *grows* with depth, to
# tens of thousands of times the head's. The residual stack's stays between about a quarter of
# the head's and the same size at every depth, with or without BatchNorm.
#
# ## When the shape changes: the projection shortcut
#
# The addition needs $F(x)$ and $x$ to have the same shape. Blocks that widen a layer, or — in a
# CNN — double the channels and halve the resolution with a stride of 2, break that. The shortcut
# then gets its own small layer, a **projection** $P$: $y = F(x) + P(x)$. For vectors it is a
# `Linear(in, out, bias=False)`; for feature maps a 1×1 convolution with the block's stride,
# usually followed by BatchNorm. He et al. compared three options — zero-padding the extra
# channels (no parameters), projections only where the shape changes, projections everywhere —
# and found the differences small; the second is the usual choice {footcite}`he2016deep`.
# `ll.Residual` tells you when you need one:

# %%
widen = ll.Sequential(ll.Linear(32, 64, rng=rng), ll.ReLU(), ll.Linear(64, 64, rng=rng))
x = rng.normal(size=(8, 32))
try:
    ll.Residual(widen)(x)
except ValueError as err:
    print("ValueError:", err)
block = ll.Residual(widen, shortcut=ll.Linear(32, 64, bias=False, rng=rng))
print("with a projection:", x.shape, "->", block(x).shape,
      f"| parameters: branch {widen.num_parameters():,}, projection {block.shortcut.num_parameters():,}")

# %% [markdown]
# The downsampling block of a ResNet, with two 3×3 convolutions in the branch and a strided 1×1
# convolution plus BatchNorm on the shortcut, and the ReLU after the addition as in the original
# paper:

# %% mystnb={"image": {"alt": "Diagram of a residual block with a projection shortcut. The input x goes up through five boxes: Conv2d 3×3 with stride 2, BatchNorm2d, ReLU, Conv2d 3×3 and BatchNorm2d. The shortcut on the right passes through an orange box Conv2d 1×1, stride 2, labelled projection P(x), before it joins the branch at a plus node that gives y."}}
viz.residual.draw_residual_block(
    branch=("Conv2d 3×3, stride 2", "BatchNorm2d", "ReLU", "Conv2d 3×3", "BatchNorm2d"),
    projection="Conv2d 1×1, stride 2");

# %%
def downsampling_block(c_in, c_out, rng):
    body = ll.Sequential(ll.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False, rng=rng), ll.BatchNorm2d(c_out),
                         ll.ReLU(), ll.Conv2d(c_out, c_out, 3, padding=1, bias=False, rng=rng), ll.BatchNorm2d(c_out))
    shortcut = ll.Sequential(ll.Conv2d(c_in, c_out, 1, stride=2, bias=False, rng=rng), ll.BatchNorm2d(c_out))
    return ll.Sequential(ll.Residual(body, shortcut), ll.ReLU())


stage = downsampling_block(64, 128, rng)
residual = stage[0]
print("(2, 64, 16, 16) ->", stage(rng.normal(size=(2, 64, 16, 16))).shape)
print(f"parameters: branch {residual.body.num_parameters():,}, projection shortcut "
      f"{residual.shortcut.num_parameters():,}")
small = downsampling_block(2, 4, np.random.default_rng(1))            # small enough to check numerically
errors = ll.check_gradients(small, rng.normal(size=(3, 2, 6, 6)))
print(f"gradient check of a small block (input and {len(errors) - 1} parameters): largest relative error "
      f"{max(errors.values()):.1e}, below 1e-6: {max(errors.values()) < 1e-6}")

# %% [markdown]
# The projection costs little next to the branch, and like everything on the shortcut it sits on
# the gradient's direct path: $\partial L / \partial x = g\,\partial P/\partial x + g\,\partial F/\partial x$.
# That is why ResNets use the identity wherever the shape allows.
#
# ## Common bugs
#
# ### 1. A backward pass that forgets the shortcut
#
# Hand-written residual blocks (and autograd-free code like ours) must add the upstream gradient
# to what the branch returns. Returning only the branch's gradient runs without an error, and the
# block's own parameter gradients are even right, because they depend only on $g$. **Check:** the
# input gradient against central differences:

# %%
class ForgotTheShortcut(ll.Residual):
    """Wrong on purpose: the backward pass drops the identity's contribution."""

    def backward(self, dy):
        return self.body.backward(dy)


for block in (ll.Residual(ll.Sequential(ll.Linear(4, 4, rng=np.random.default_rng(2)), ll.Tanh())),
              ForgotTheShortcut(ll.Sequential(ll.Linear(4, 4, rng=np.random.default_rng(2)), ll.Tanh()))):
    errors = ll.check_gradients(block, rng.normal(size=(3, 4)))
    print(f"{type(block).__name__:<18}" + ", ".join(f"{name} {err:.1e}" for name, err in errors.items()))

# %% [markdown]
# ### 2. One block, thirty times
#
# `ll.Sequential(*[block] * 30)` looks like a 30-block network, but the list holds thirty
# references to **one** object: the blocks share their weights, and each forward pass overwrites
# the cache the previous one stored, so the backward pass uses the wrong inputs. **Check:** count
# the distinct parameters — and the gradient check fails:

# %%
def block_factory(rng):
    return ll.Residual(ll.Sequential(ll.Linear(4, 4, rng=rng), ll.Tanh()))


block_rng = np.random.default_rng(3)
shared = ll.Sequential(*[block_factory(block_rng)] * 3)               # BUG: the same block three times
separate = ll.Sequential(*[block_factory(block_rng) for _ in range(3)])
for name, net in (("[block] * 3", shared), ("a new block each time", separate)):
    params = net.parameters()
    errors = ll.check_gradients(net, rng.normal(size=(2, 4)))
    print(f"{name:<22} parameters listed {len(params)}, distinct {len({id(p) for p in params})}, "
          f"input gradient error {errors['input']:.1e}")

# %% [markdown]
# ### 3. A shape that broadcasts
#
# Written by hand, `x + f(x)` with a branch that returns `(N, 1)` — a final `Linear(D, 1)`, say —
# does not fail: NumPy broadcasts the column across all $D$ features, and the block silently
# computes something else. `ll.Residual` compares the shapes and refuses. **Check:** assert the
# shapes, or let the layer do it:

# %%
branch = ll.Linear(6, 1, rng=rng)
x = rng.normal(size=(5, 6))
print("x + f(x) by hand: shape", (x + branch(x)).shape, "— no error")
try:
    ll.Residual(branch)(x)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## Exercises
#
# ```{exercise} Paths through a residual stack — ★★☆ medium
# :label: res-ex1
#
# Take $L$ residual blocks with *linear* branches, $F_l(x) = x A_l^\top$. (a) Write
# $\partial x_L / \partial x_0$ and multiply it out: how many terms are there, and how many are
# products of exactly $k$ of the matrices $A_l$? (b) A plain stack of the same linear layers has
# one term. Which? (c) If every $A_l$ has norm at most $a < 1$, bound the size of all terms with
# $k$ factors together.
# ```
#
# ````{solution} res-ex1
# :class: dropdown
#
# (a) $\partial x_L / \partial x_0 = (I + A_{L-1}) \cdots (I + A_0)$ (in the row convention of
# the course, up to transposes). Choosing $I$ or $A_l$ in each of the $L$ factors gives $2^L$
# terms; $\binom{L}{k}$ of them contain exactly $k$ matrices — one "path" through $k$ branches and
# past the other $L - k$.
# (b) The single term with all $L$ factors, $A_{L-1} \cdots A_0$: the longest path.
# (c) At most $\binom{L}{k} a^k$. The $k = 0$ term is $I$ itself, and for small $a$ the short
# paths dominate — the view of ResNets as ensembles of relatively shallow networks
# {footcite}`veit2016residual`.
# ````
#
# ```{exercise} Blocks that start as the identity — ★★☆ medium
# :label: res-ex2
#
# A common initialisation sets the weight $\gamma$ of the **last** BatchNorm layer in every
# residual branch to zero {footcite}`goyal2017accurate`. (a) What does each block compute at
# initialisation, and what is $\partial L/\partial x$ of a block? (b) Do the branch's parameters
# still get a gradient? Check both with `downsampling_block`-style blocks whose shortcut is the
# identity.
# ```
#
# ````{solution} res-ex2
# :class: dropdown
#
# (a) With $\gamma = 0$ (and $\beta = 0$, its default) the branch outputs zeros whatever its
# input, so the block is the identity and $\partial F / \partial x = 0$: the backward pass
# returns $g$ exactly. The whole residual network starts as a shallow network — the head on top of
# the first layer — and grows into its depth as the $\gamma$'s move away from zero.
# (b) Only the last BatchNorm's own parameters do: $\partial L/\partial \gamma = \sum g \odot
# \hat x$ and $\partial L/\partial \beta = \sum g$ are not zero. Every layer *below* it gets a
# zero gradient at the first step, because all that reaches it is multiplied by $\gamma = 0$;
# once $\gamma$ has moved, the rest of the branch starts to learn.
#
# ```python
# c = 4
# body = ll.Sequential(ll.Conv2d(c, c, 3, padding=1, bias=False, rng=rng), ll.BatchNorm2d(c), ll.ReLU(),
#                      ll.Conv2d(c, c, 3, padding=1, bias=False, rng=rng), ll.BatchNorm2d(c))
# body[4].weight.data[:] = 0.0
# block = ll.Residual(body)
# x, g = rng.normal(size=(2, c, 5, 5)), rng.normal(size=(2, c, 5, 5))
# print(np.array_equal(block(x), x), np.array_equal(block.backward(g), g))
# print(np.abs(body[4].weight.grad).max() > 0, np.abs(body[0].weight.grad).max())
# ```
# ````
#
# ```{exercise} What the projection costs — ★☆☆ easy
# :label: res-ex3
#
# Predict, then count with `num_parameters()`: the parameters of the branch and of the projection
# shortcut of `downsampling_block(64, 128, rng)` above. Which share of the block is the shortcut?
# How would the count change with the zero-padding shortcut (option A of He et al.)?
# ```
#
# ````{solution} res-ex3
# :class: dropdown
#
# Branch: $64 \cdot 128 \cdot 9 = 73\,728$ and $128 \cdot 128 \cdot 9 = 147\,456$ convolution
# weights plus $2 \cdot 2 \cdot 128 = 512$ BatchNorm parameters, $221\,696$ in all. Shortcut:
# $64 \cdot 128 = 8\,192$ weights of the 1×1 convolution plus $256$ of its BatchNorm, $8\,448$ —
# under 4 % of the block. Zero-padding (with a stride-2 subsampling of $x$) has no parameters at
# all; the printed counts in the chapter agree.
# ````
#
# ```{exercise} A ReLU after the addition — ★★★ harder
# :label: res-ex4
#
# The original ResNet block puts the ReLU *after* the addition: $y = \mathrm{ReLU}(x + F(x))$.
# Write $\partial L / \partial x$ for this block. After $L$ such blocks, what multiplies the
# gradient on the all-shortcut path, and why did the follow-up paper
# {footcite}`he2016identity` move the ReLU into the branch?
# ```
#
# ````{solution} res-ex4
# :class: dropdown
#
# With $m = \mathbb{1}[x + F(x) > 0]$, $\partial L/\partial x = (g \odot m)(I + \partial F/\partial
# x)$. On the all-shortcut path the gradient is multiplied by the product of $L$ masks: a unit that
# was negative at *any* block's output receives nothing through the shortcut. The path is no
# longer a pure identity. With the ReLU (and BatchNorm) moved into the branch, the "pre-activation"
# block $y = x + F(x)$ keeps the identity end to end, and He et al. found it trains better,
# especially for very deep networks (they trained 1001 layers).
# ````

# %% [markdown]
# ## Summary
#
# * A residual block computes $y = x + F(x)$; its backward pass is
#   $\partial L/\partial x = g + g\,\partial F/\partial x$ — the upstream gradient always reaches
#   the input.
# * Through $L$ blocks the Jacobian is $\prod (I + J_l)$, a sum over $2^L$ paths that includes the
#   identity, where a plain stack has only the product $\prod J_l$.
# * Measured on 30 blocks: the plain network's first-layer gradient vanished and it never learned;
#   BatchNorm alone made it learn slowly, with gradients exploding towards the input; the residual
#   networks kept the gradient norms of all layers within a factor of about 10 (without BatchNorm)
#   and 100 (with) of each other and trained, best with BatchNorm.
# * Where the shape changes, a projection shortcut (`Linear(bias=False)` or a strided 1×1
#   convolution with BatchNorm) replaces the identity.
# * Check residual code for the three silent bugs: a backward pass without the shortcut's $g$,
#   one block object reused, and shapes that broadcast.
#
# ## References
#
# ```{footbibliography}
# ```
