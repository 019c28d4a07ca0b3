# %% [markdown]
# # Conventions decoder
#
# Lecture notes, textbooks and libraries make different choices for the same layer. None is
# wrong, but mixing them produces bugs that run without an error. This page lists the choices
# that differ, says which one this course (and PyTorch) uses, and shows each difference with a
# few lines of code you can run.
#
# ```{admonition} What you will learn
# By the end of this appendix you can:
# * convert BatchNorm's `momentum`, dropout's `p` and its scaling, dilation, the image and
#   sequence layouts, the dense-layer weight and attention masks between this course (PyTorch's
#   conventions) and other libraries and notes;
# * tell which convention a formula or a piece of code follows, and check a conversion with a
#   few lines of `layers_lib`.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This is a reference page; each row belongs to a chapter and is easiest to read after it:
# [the linear layer](../linear.ipynb), [convolution](../conv.ipynb),
# [normalization](../normalization.ipynb), [dropout](../dropout.ipynb),
# [recurrent layers](../rnn.ipynb) and [attention](../attention.ipynb). Reading it takes about 10
# minutes.
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
# | Topic | This course (PyTorch) | The other convention | Where you meet it |
# |---|---|---|---|
# | BatchNorm `momentum` | $\alpha = 0.1$ weights the **new** batch: $r \leftarrow (1-\alpha)\,r + \alpha\,\mu_B$ | $k = 0.9$ weights the **old** statistics: $r \leftarrow k\,r + (1-k)\,\mu_B$; the same rule with $k = 1 - \alpha$ | Keras, cs231n assignments |
# | Dropout `p` | probability of **dropping** a unit | probability of **keeping** it (`keep_prob`) | TensorFlow 1, cs231n |
# | Dropout scaling | **inverted**: multiply kept units by $1/(1-p)$ in training, identity at test | scale activations by $1-p$ at **test** time | the original paper, many notes |
# | Dilation | `1` means no gaps (a dense kernel) | `0` means no gaps | numpy-ml |
# | Image layout | channels first `(N, C, H, W)` | channels last `(N, H, W, C)` | TensorFlow/Keras, numpy-ml |
# | Dense layer | `x @ W.T + b`, `W` of shape `(out, in)` | `W @ x + b` on column vectors, or `x @ W` with `W` of shape `(in, out)` | maths texts; Keras |
# | "Convolution" | cross-correlation (the kernel is not flipped) | true convolution flips the kernel | signal processing |
# | Sequence layout | batch first `(N, T, D)` (here always) | time first `(T, N, D)` | PyTorch's default for `nn.RNN` without `batch_first=True` |
# | Attention mask | boolean `True` = **not allowed** | `True`/`1` = allowed | some tutorials, Keras |

# %% [markdown]
# ## BatchNorm momentum
#
# PyTorch updates the running mean giving the *new* batch the weight `momentum` $= \alpha$. A library whose
# `momentum` is the weight of the *old* value gives the same numbers when its momentum is
# $k = 1 - \alpha$. (The letters are those of the normalization chapter, where $m$ is the number
# of values in a channel.)

# %%
bn = ll.BatchNorm1d(3, momentum=0.1)
batch = rng.normal(loc=5.0, size=(8, 3))
bn(batch)
alpha, k = 0.1, 0.9                                   # PyTorch's momentum and Keras's
pytorch_style = (1 - alpha) * np.zeros(3) + alpha * batch.mean(axis=0)   # alpha weights the NEW batch
keras_style = k * np.zeros(3) + (1 - k) * batch.mean(axis=0)             # k weights the OLD value
print("layers_lib running_mean:  ", np.round(bn.running_mean, 4))
print("PyTorch rule (alpha = 0.1):", np.round(pytorch_style, 4))
print("Keras rule (k = 0.9):      ", np.round(keras_style, 4))

# %% [markdown]
# ## Dropout `p` and where the scaling happens
#
# With `p = 0.2`, PyTorch drops 20 % of the units and multiplies the survivors by $1/0.8$, so the
# expected activation is unchanged and evaluation mode does nothing at all:

# %%
drop = ll.Dropout(p=0.2, rng=np.random.default_rng(1))
x = np.ones((1000, 100))
y = drop(x)
print(f"fraction kept: {np.mean(y != 0):.3f}, mean activation in training: {y.mean():.3f}")
print("evaluation mode is the identity:", np.array_equal(drop.eval()(x), x))

# %% [markdown]
# ## Dense layers: `x @ W.T` versus `W @ x`
#
# PyTorch stores the weight as `(out_features, in_features)`: row $i$ holds the weights of output
# unit $i$. On a batch of row vectors the layer computes $xW^\top + b$; a maths text writing one
# column vector $x$ computes $Wx + b$ — the same numbers, transposed.

# %%
lin = ll.Linear(3, 2, rng=rng)
x = rng.normal(size=(4, 3))
W, b = lin.weight.data, lin.bias.data
print("weight shape:", W.shape)
print("x @ W.T + b equals (W @ x.T).T + b:", np.allclose(lin(x), (W @ x.T).T + b))

# %% [markdown]
# ## Dilation counts from 1
#
# A dilation of $d$ puts $d - 1$ holes between kernel taps, so a $k$-tap kernel covers
# $d(k-1) + 1$ inputs. Dilation 1 is the ordinary kernel:

# %%
for d in (1, 2, 3):
    conv = ll.Conv2d(1, 1, kernel_size=3, dilation=d, bias=False, rng=rng)
    out = conv(np.zeros((1, 1, 9, 9)))
    print(f"dilation {d}: footprint {d * 2 + 1}×{d * 2 + 1}, output of a 9×9 input: {out.shape[2:]}")

# %% [markdown]
# ## Channels first versus channels last
#
# An image batch from a channels-last library must be transposed before it enters a
# channels-first layer. Passing it unchanged is caught by the layer's shape check, which tells
# you what it expected:

# %%
images_nhwc = rng.normal(size=(2, 8, 8, 3))       # (N, H, W, C), as Keras stores it
conv = ll.Conv2d(3, 4, kernel_size=3, rng=rng)
try:
    conv(images_nhwc)
except ValueError as err:
    print("ValueError:", err)
print("after transposing to (N, C, H, W):", conv(images_nhwc.transpose(0, 3, 1, 2)).shape)

# %% [markdown]
# ## Attention masks
#
# Following `torch.nn.MultiheadAttention`, a boolean mask is `True` where attention is **not**
# allowed. A causal mask therefore has `True` strictly above the diagonal:

# %%
print(ll.causal_mask(4).astype(int))
