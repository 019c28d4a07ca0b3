# %% [markdown]
# # Layers, interactively
#
# A neural network is a stack of **layers**. Each layer is a small, well-defined function: it
# takes an array, transforms it, and hands the result to the next layer. This course builds every
# common layer — linear, activation, convolution, pooling, normalization, dropout, recurrent
# (RNN, LSTM, GRU), embedding and attention — from scratch in NumPy, with its forward pass *and*
# its hand-written backward pass, and lets you watch each one work.
#
# Everything you run here comes from one small package, `layers_lib`, that follows PyTorch's names,
# shapes and defaults and is tested against PyTorch to $10^{-8}$. When you have finished a
# chapter you will be able to read the PyTorch documentation of that layer and know exactly what
# every argument does, because you will have implemented it.
#
# ```{admonition} What you will learn in this chapter
# By the end of it you can:
# * name the *input*, *hidden* and *output* layers of a network, and list a layer's
#   **parameters** (weights and biases) with their shapes;
# * predict the **shape** of the data after each layer of a small network, and check your
#   prediction with `Sequential.summary`;
# * state the conventions used everywhere in the course: channels first, batch first, PyTorch's
#   weight layout, BatchNorm's `momentum` and dropout's `p`;
# * use this book on the website, on Binder or Colab, with its interactive figures, and pick
#   exercises by their difficulty: ★☆☆ easy, ★★☆ medium, ★★★ harder.
# ```
#
# ```{admonition} Before you start
# :class: tip
# No earlier chapter is needed. You need some Python, NumPy arrays (`shape`, `@`) and the idea of
# a derivative. Reading this chapter takes about 15 minutes.
# ```

# %% [markdown]
# ## What a layer is
#
# Every chapter starts with the same short cell: NumPy, the library, and its plotting toolkit.

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

rng = viz.setup(seed=0)  # compact figures and one seeded random generator for the chapter

# %% [markdown]
# Here is a small fully connected network: three inputs, two hidden layers of four units, two
# outputs. Every line is one weight; every unit of a hidden or output layer also has a bias.

# %% mystnb={"image": {"alt": "A fully connected network drawn as circles in four columns: three input units, two hidden layers of four units each, and two output units, with a line from every unit to every unit in the next column."}}
viz.network.draw_network([3, 4, 4, 2]);

# %% [markdown]
# * The **input layer** is the data itself: one unit per feature of an example (a pixel, a word
#   index, a measurement). It computes nothing and has no parameters.
# * **Hidden layers** sit between input and output. Each transforms its input — often an affine
#   map followed by a nonlinearity — into a new representation. In a *fully connected* (dense)
#   layer every unit receives every unit of the previous layer; in a *convolutional* layer each
#   unit sees only a small neighbourhood.
# * The **output layer** produces the prediction: class scores, a value, the next word.
#
# When people say a network "has $L$ layers" they usually count the layers that have parameters
# — the hidden layers plus the output layer — and not the input layer.
#
# A layer's **parameters** are what training changes. For a dense layer they are a weight matrix
# $W$ and a bias vector $b$:
#
# $$
# y = \sigma(x W^\top + b),
# $$
#
# where each weight says how strongly one input influences one output, the bias shifts the output
# so it need not pass through zero, and $\sigma$ is an activation function. Training computes the
# gradient of a loss with respect to every parameter (backpropagation {footcite}`rumelhart1986learning`)
# and nudges the parameters downhill. That is why every layer in this course comes with a
# `backward` method.

# %% [markdown]
# ## The code that runs
#
# %% [markdown]
# A layer is an object you call. Here is a dense layer with 3 inputs and 4 outputs, applied to a
# batch of 5 examples:

# %%
layer = ll.Linear(in_features=3, out_features=4, rng=rng)
x = rng.normal(size=(5, 3))   # (N, in_features)
y = layer(x)                  # forward pass
print("x:", x.shape, "-> y:", y.shape)
for name, p in layer.named_parameters():
    print(f"{name:>6}: shape {p.shape}")

# %% [markdown]
# The forward pass stores what the backward pass needs. Given the gradient of the loss with
# respect to the output, `backward` returns the gradient with respect to the input and
# *accumulates* the gradients of the parameters — exactly like `loss.backward()` in PyTorch:

# %%
dy = rng.normal(size=y.shape)         # dL/dy, as it would arrive from the layer above
dx = layer.backward(dy)
print("dx:", dx.shape, " weight.grad:", layer.weight.grad.shape, " bias.grad:", layer.bias.grad.shape)

# %% [markdown]
# How do we know the backward pass is right? We compare it with **central differences**, nudging
# each number by $\pm h$ and measuring the change in the loss. A relative error around $10^{-8}$
# means the two agree (the appendix on checking gradients explains the method and its traps):

# %%
errors = ll.check_gradients(layer, x)
for name, err in errors.items():
    print(f"{name:>6}: relative error {err:.1e}")

# %% [markdown]
# ## Shapes through a network
#
# The most useful habit when reading or writing a network is to follow the shape of the data.
# `Sequential` chains layers; its `summary` runs one batch through and prints what each layer
# produces and how many parameters it has. Here is a small convolutional network for 28×28
# grey-scale images, a batch of 64 at a time:

# %%
net = ll.Sequential(
    ll.Conv2d(1, 16, kernel_size=3, padding=1, rng=rng),   # 16 filters of 3×3
    ll.ReLU(),
    ll.MaxPool2d(2),                                       # halves height and width
    ll.Flatten(),
    ll.Linear(16 * 14 * 14, 10, rng=rng),                  # 10 class scores
)
print(net.summary((64, 1, 28, 28)))

# %% [markdown]
# Read it line by line: the convolution keeps the 28×28 size (padding 1 with a 3×3 kernel) and
# turns 1 channel into 16 feature maps, using $16 \cdot (3 \cdot 3 \cdot 1) + 16 = 160$
# parameters; ReLU changes values, not shapes; max pooling halves each side; `Flatten` lays the
# $16 \cdot 14 \cdot 14 = 3136$ numbers of each example out in a row; the dense layer maps them
# to 10 scores with $3136 \cdot 10 + 10$ parameters. Each of these steps has a chapter.

# %% [markdown]
# ## Conventions used throughout
#
# | Topic | Convention in this course (PyTorch's) |
# |---|---|
# | Images | channels first: `(N, C, H, W)` — batch, channels, height, width |
# | Sequences | batch first: `(N, T, D)` — batch, time steps, features |
# | Dense weight | `weight` has shape `(out_features, in_features)`; the layer computes `x @ weight.T + bias` |
# | Names and defaults | PyTorch's: `Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1)`, parameters named `weight`, `bias`, `weight_ih_l0`, … |
# | BatchNorm momentum | `0.1` weights the **new** batch: `running = 0.9·running + 0.1·batch` |
# | Dropout `p` | the probability of **dropping** a unit (not keeping it) |
# | Dilation | `1` means no gaps |
# | Gradients | `backward(dy)` returns `dL/dx` and **adds** `dL/dθ` into each `Parameter.grad`; call `zero_grad()` between steps |
#
# Popular notes and other libraries sometimes use the opposite choice (channels last, momentum
# 0.9, `p` as keep probability). When a chapter meets such a difference it says so.

# %% [markdown]
# ## How to use this book
#
# * **On the website** every page is already executed: read the code, its output and the figures.
#   The interactive figures — sliders for stride, padding, kernel size and more — work right in
#   the page, with no Python running behind them: each slider position was computed in advance
#   by `layers_lib`.
# * **On Binder** (the rocket icon at the top of each chapter, then *Binder*) you get a live
#   JupyterLab with `layers_lib` installed. There the same sliders recompute with `layers_lib` as
#   you move them, and you can change any code. *Colab* works too once you install the package
#   from this repository; the download button gives you the notebook file.
# * **Exercises** close every chapter. Try them before opening the hidden solutions.
#
# ## Summary
#
# * A layer is a function with (possibly) parameters; a network is a composition of layers.
# * Every layer here has `forward` and a hand-written `backward`, checked against PyTorch and
#   against central differences.
# * Follow the shapes: `Sequential.summary` prints them for any network.
#
# ## References
#
# ```{footbibliography}
# ```
