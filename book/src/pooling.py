# %% [markdown]
# # Pooling
#
# A pooling layer summarises each small window of a feature map by one number — its maximum or
# its average. It has no parameters. It shrinks the feature maps (a 2×2 window with stride 2
# keeps a quarter of the numbers), so later layers are cheaper and their units see a larger part
# of the image, and it makes the features less sensitive to *where exactly* something is. This
# chapter builds max, average and global average pooling, measures how much that insensitivity
# really buys, and shows how the gradient flows back through a maximum.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * compute max and average pooling by hand, and predict their output size (the stride defaults
#   to the kernel size) with overlapping windows, padding with $-\infty$, and `ceil_mode`;
# * count the parameters that global average pooling saves, and explain why it replaced the large
#   dense heads of early networks;
# * measure how much pooling helps when the input shifts, instead of asserting it;
# * compute the backward pass: the gradient goes to the arg-max (the *first* one on ties), or is
#   shared evenly by average pooling;
# * spot two bugs from widely copied pooling code, and write the test that catches them.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses [convolution](conv.ipynb): feature maps of shape `(N, C, H, W)` and the
# output-size formula with stride and padding. The dense heads it replaces are
# [linear layers](linear.ipynb). Reading it and doing the exercises takes about 45 minutes.
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
# ## One window at a time
#
# Max pooling with a 2×2 window and stride 2 over a 4×6 feature map: each output is the largest
# of four numbers (outlined), and the windows tile the input without overlapping. Press **Play**.

# %%
fmap = rng.integers(0, 10, size=(4, 6))
viz.pool_animation(fmap, kernel_size=2)

# %% [markdown]
# Average pooling uses the same windows and takes their mean instead:

# %%
viz.pool_animation(fmap, kernel_size=2, mode="avg")

# %% [markdown]
# Max pooling keeps the strongest response in each region — "is this feature present somewhere
# here?" — while average pooling smooths. Both act on every channel separately: a `(N, C, H, W)`
# input gives `(N, C, H_out, W_out)`, with the same number of channels. (Older notes call pooling
# *subsampling*: in LeNet-5 a subsampling unit added up a 2×2 window and multiplied the sum by a
# trainable coefficient {footcite}`lecun1998gradient`.)
#
# ## The math
#
# For a window of size $k$ and stride $s$ (one channel; PyTorch's default is $s = k$):
#
# $$
# y_\text{max}[i, j] = \max_{0 \le u, v < k} x[i s + u,\; j s + v], \qquad
# y_\text{avg}[i, j] = \frac{1}{k^2} \sum_{0 \le u, v < k} x[i s + u,\; j s + v].
# $$
#
# The output size follows the convolution's formula (pooling also accepts a dilation, rarely
# used; here $d = 1$):
#
# $$
# H_\text{out} = \left\lfloor \frac{H + 2p - k}{s} \right\rfloor + 1 .
# $$
#
# ## The code that runs
#
# The definition, one window at a time:

# %%
viz.show_source(ll.maxpool2d_reference)

# %% [markdown]
# The layers `ll.MaxPool2d` and `ll.AvgPool2d` compute the same with one strided view per window
# position instead of a loop over pixels. Note the stride in the `repr`: it defaults to the kernel
# size.

# %%
x_demo = fmap[None, None].astype(float)   # (N, C, H, W) = (1, 1, 4, 6)
max_pool, avg_pool = ll.MaxPool2d(2), ll.AvgPool2d(2)
print(max_pool)
print(max_pool(x_demo)[0, 0])
print(avg_pool(x_demo)[0, 0])
print("layer == loops:", np.array_equal(max_pool(x_demo), ll.maxpool2d_reference(x_demo, 2)))

# %% [markdown]
# ### Overlapping windows, padding and `ceil_mode`
#
# **Overlap.** With a stride smaller than the kernel, neighbouring windows share pixels;
# AlexNet's 3×3 windows with stride 2 are the classic example. A pixel can then be the maximum
# of several windows (this matters in the backward pass).
#
# **Padding.** Max pooling pads with $-\infty$, not zeros, so the padding can never win; average
# pooling pads with zeros, and by default (`count_include_pad=True`) divides by the full window
# size, padding included. PyTorch allows at most `kernel_size // 2` of padding. On an input whose
# values are all negative, zero padding would be a real bug — every window that touches the border
# would output 0:

# %%
negative = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
print("MaxPool2d(3, stride=2, padding=1), padding with -inf:\n", ll.MaxPool2d(3, 2, padding=1)(negative)[0, 0])
zero_padded = np.pad(negative, ((0, 0), (0, 0), (1, 1), (1, 1)))          # zeros instead of -inf
print("the same windows on a zero-padded input:\n", ll.MaxPool2d(3, 2)(zero_padded)[0, 0])

# %% [markdown]
# **`ceil_mode`.** By default the output size is rounded down and a last, incomplete window is
# dropped. With `ceil_mode=True` it is rounded up and the partial window kept — unless it would
# *start* in the right or bottom padding, which PyTorch (and `layers_lib`) do not allow.

# %%
for h, k, s, p in [(5, 2, 2, 0), (6, 3, 2, 1), (5, 2, 2, 1)]:
    floor_size = ll.pool2d_output_size(h, h, k, s, p)[0]
    ceil_size = ll.pool2d_output_size(h, h, k, s, p, ceil_mode=True)[0]
    print(f"H={h}, kernel {k}, stride {s}, padding {p}: floor -> {floor_size}, ceil_mode -> {ceil_size}")
print(ll.MaxPool2d(2, ceil_mode=True)(np.arange(25.0).reshape(1, 1, 5, 5))[0, 0])

# %% [markdown]
# In the last case the rounded-up fourth window would start at padded row 6 — entirely in the
# padding — so `ceil_mode` gives 3, like the floor. On the 5×5 input of the final line, the last
# row and column of the output come from partial windows (a 2×1, a 1×2 and a 1×1 window).
#
# ### The explorer
#
# ```{admonition} Predict first
# :class: tip
# The input below is 5×6. Before moving any slider, predict the output shape of max pooling with
# kernel 3, stride 2, padding 1 — and which input rows or columns, if any, no window reads with
# kernel 2, stride 3, padding 0. Then set the sliders, type the output shape into the box and press
# *Check*: the output and the formula stay hidden until you have predicted (exercise
# {ref}`pool-ex-predict`).
# ```
#
# The solid and dashed boxes are the windows of outputs $(0, 0)$ and $(0, 1)$; for max pooling
# each window's maximum is outlined. Padding cells show $-\infty$ (max) or $0$ (average); crossed
# dark cells are never read; with `ceil_mode` a last window may hang past the padded edge (the
# blank cells it covers are ignored). The sliders cover kernel 1 to 4, stride 1 to 4, padding 0 to
# 2, max or average, and `ceil_mode` off or on — 192 settings; padding over half the kernel is
# refused, as PyTorch refuses it. The read-out fills in the formula.

# %%
fmap_5x6 = rng.integers(0, 10, size=(5, 6))
viz.pooling.pool_explorer(fmap_5x6, predict=True, initial={"kernel_size": 2, "stride": 2, "padding": 0})

# %% [markdown]
# ## A walk through shapes
#
# After `Conv2d(1, 16, 3, padding=1)` a batch of 64 digits is `(64, 16, 28, 28)`; `MaxPool2d(2)`
# halves height and width and keeps the 16 channels, with no parameters:

# %%
net = ll.Sequential(ll.Conv2d(1, 16, kernel_size=3, padding=1, rng=rng), ll.ReLU(), ll.MaxPool2d(2))
print(net.summary((64, 1, 28, 28)))

# %% [markdown]
# ## Global average pooling
#
# `AdaptiveAvgPool2d(output_size)` chooses its windows so that the output has a fixed size,
# whatever the input size. With `output_size=1` it averages each whole feature map to a single
# number: **global average pooling** (GAP). Network in Network {footcite}`lin2014network` used it
# to replace the large dense layers at the end of a network: make the last convolution produce one
# channel per class (or a few hundred channels followed by one small dense layer), average each map,
# and classify. The count for a VGG-style head on `(N, 512, 7, 7)` features and 1000 classes:

# %%
c, h, w, classes = 512, 7, 7, 1000
flatten_head = c * h * w * classes + classes           # Flatten -> Linear(25088, 1000)
gap_head = ll.Linear(c, classes, rng=rng).num_parameters()   # GAP -> Linear(512, 1000)
print(f"Flatten + Linear({c * h * w}, {classes}): {flatten_head:>11,} parameters")
print(f"GAP + Linear({c}, {classes}):          {gap_head:>11,} parameters  ({flatten_head / gap_head:.0f}× fewer)")

# %% [markdown]
# Besides removing parameters (and with them a large source of overfitting), GAP makes the head
# independent of the input size — the same network accepts 224×224 and 300×400 images — and keeps
# a clear link between each channel and the output, which class-activation maps use to show where
# a network "looked" {footcite}`zhou2016learning`.

# %%
gap = ll.AdaptiveAvgPool2d(1)
for shape in [(2, 512, 7, 7), (2, 512, 9, 12)]:
    features = rng.normal(size=shape)
    pooled = gap(features)
    print(f"{shape} -> {pooled.shape};  equals the mean over H, W: {np.allclose(pooled[..., 0, 0], features.mean(axis=(2, 3)))}")

# %% [markdown]
# ## Does pooling make features translation invariant? Measured
#
# Notes often say pooling gives "translation invariance"; *Dive into Deep Learning*, which one set
# of the notes this course grew from points to, gives pooling two jobs, making convolutional
# features less sensitive to location and downsampling them {footcite}`zhang2023dive`. Let us
# measure the first. Take 200 handwritten
# digits from scikit-learn (8×8, upscaled to 16×16 and placed on a 24×24 zero canvas so they can
# move), compute 8 feature maps with a fixed random `Conv2d(1, 8, 3, padding=1)` + ReLU, shift the
# input right by $t$ pixels, and measure the relative change
# $\lVert g(f(\text{shifted})) - g(f(x)) \rVert / \lVert g(f(x)) \rVert$ of the features $f$,
# either unpooled or after pooling $g$.

# %%
from sklearn.datasets import load_digits

digits = load_digits().images[:200] / 16.0                     # (200, 8, 8) in [0, 1]
digits = np.kron(digits, np.ones((2, 2)))                      # (200, 16, 16)
digits = np.pad(digits, ((0, 0), (4, 4), (4, 4)))[:, None]     # (200, 1, 24, 24)

conv = ll.Conv2d(1, 8, kernel_size=3, padding=1, rng=np.random.default_rng(1))  # its own seed
relu = ll.ReLU()


def features(x):
    return relu(conv(x))


poolings = {
    "no pooling": lambda f: f,
    "max pool 2×2": ll.MaxPool2d(2),
    "max pool 4×4": ll.MaxPool2d(4),
    "avg pool 4×4": ll.AvgPool2d(4),
    "global avg pool": ll.AdaptiveAvgPool2d(1),
}
shifts = [0, 1, 2, 3, 4]
changes = viz.pooling.shift_changes(digits, features, poolings, shifts)
print("shift (pixels):   " + "".join(f"{t:>7}" for t in shifts))
for name, values in changes.items():
    print(f"{name:<17} " + "".join(f"{v:7.3f}" for v in values))

# %% mystnb={"image": {"alt": "Mean relative change of the features against the shift of the input, 0 to 4 pixels, for five variants. Without pooling the change rises from 0.32 at one pixel to 0.57 at four; 2 by 2 and 4 by 4 max pooling lie a little lower; 4 by 4 average pooling lies lowest among the local poolings, from 0.14 to 0.37; global average pooling stays at zero on this scale."}}
viz.pooling.plot_shift_changes(changes, shifts);

# %% [markdown]
# What the numbers say (for these random filters; other filters give similar, not identical,
# numbers):
#
# * Without pooling, a one-pixel shift changes the feature maps by about a third (0.32): the
#   convolution is *equivariant* — the maps move with the input — but compared position by
#   position, moved means changed.
# * Local pooling reduces the change, most for shifts smaller than its window: at one pixel,
#   0.28 after 2×2 max pooling, 0.24 after 4×4 max pooling, 0.14 after 4×4 average pooling
#   (which also blurs). The reduction is modest, and it fades as the shift grows: at four pixels
#   the max-pooled features change by 0.51–0.55, against 0.57 without pooling. The invariance is
#   **local and partial**, not something to rely on for larger moves.
# * Global average pooling is invariant **up to border effects**. While the digit stays off the
#   canvas's last column, the shifted feature maps hold the same values in other places, so every
#   map's mean is unchanged (to rounding). Once the digit reaches the border, the part of its
#   response that would lie beyond it is cut off, and the means change — a little:

# %%
moved = np.roll(digits, shifts[-1], axis=-1)
at_border = (moved[:, 0, :, -1] > 0).any(axis=1)               # ink in the last column after the shift
global_pool = poolings["global avg pool"]
before, after = global_pool(features(digits)), global_pool(features(moved))
change = (np.linalg.norm((after - before).reshape(len(digits), -1), axis=1)
          / np.linalg.norm(before.reshape(len(digits), -1), axis=1))
print(f"shift of {shifts[-1]} pixels: {at_border.sum()} of {len(digits)} digits reach the last column")
print(f"relative change after global average pooling: up to {change[at_border].max():.1e} for those, "
      f"up to {change[~at_border].max():.0e} for the others")

# %% [markdown]
# So at four pixels 9 of the 200 digits touch the border, and their pooled features change by up
# to 0.2 % — less than the table's three decimals show. An image whose content reaches its edges
# meets this effect at every shift. Still, on these digits global average pooling is by far the
# least shift-sensitive of the five variants, one more reason it sits at the end of
# classification networks.
#
# Pooling with a stride is also *sampling*, and sampling aliases: the output can change a lot for a
# one-pixel shift depending on where the window grid falls. Zhang showed that modern CNNs are not
# shift-invariant for this reason, and that blurring before sub-sampling restores much of it
# {footcite}`zhang2019making`. Here is one digit, one feature map, and its 4×4 max-pooled version,
# before and after a one-pixel shift: the pooled map keeps its coarse layout, but many of its cells
# change.

# %% mystnb={"image": {"alt": "A two-by-three grid of grey images. Top row: a digit, one of its feature maps, and the 6 by 6 max-pooled map. Bottom row: the same after shifting the digit one pixel to the right. The feature map moves with the digit; the pooled map keeps its coarse layout, but many of its 36 cells change value."}}
example = digits[:1]
shifted = np.roll(example, 1, axis=-1)
pool4 = poolings["max pool 4×4"]
viz.pooling.draw_shift_example(
    {"original": [example[0, 0], features(example)[0, 0], pool4(features(example))[0, 0]],
     "shifted 1 px": [shifted[0, 0], features(shifted)[0, 0], pool4(features(shifted))[0, 0]]},
    ["input digit", "feature map 0", "max pool 4×4"], title="A one-pixel shift before and after pooling");

# %% [markdown]
# Other notes say pooling "prevents overfitting". It does not regularise anything by itself; what
# it does is shrink the maps, so the layers after it — especially a dense head — need fewer
# parameters. Whether max or average pooling works better depends on the task; in an early
# comparison on object recognition max pooling won clearly {footcite}`scherer2010evaluation`, and
# many modern networks replace pooling inside the network by strided convolutions
# {footcite}`springenberg2015striving`, keeping only the global average pool at the end.
#
# ## The backward pass
#
# **Max pooling.** Within one window, $y = \max_m x_m$ depends only on the winning input:
# $\partial y / \partial x_m = 1$ for the arg-max and $0$ for the others. So the upstream gradient
# of each window is **routed to its arg-max**, and every other pixel gets zero. When windows
# overlap, a pixel that wins several windows collects the sum of their gradients.
#
# At a **tie** the maximum is not differentiable; frameworks pick one winner. PyTorch — and
# `layers_lib` — give the whole gradient to the *first* maximum in row-major order within the
# window. In the bottom-right window below, the three 6s tie and only the first one (row 2,
# column 2) receives the gradient 0.50:

# %%
x_grad = np.array([[1, 3, 2, 1],
                   [4, 2, 0, 5],
                   [1, 1, 6, 6],
                   [0, 2, 6, 1]], dtype=float)
dy_grad = np.array([[1.0, -2.0], [3.0, 0.5]])
pool = ll.MaxPool2d(2)
print("y =\n", pool(x_grad[None, None])[0, 0])
print("dx =\n", pool.backward(dy_grad[None, None])[0, 0] + 0.0)  # + 0.0 shows IEEE's −0.0 as 0.0

# %% mystnb={"image": {"alt": "Four grids of numbers: a 4 by 4 input x with its four 2 by 2 windows dashed and each window's maximum outlined, the 2 by 2 output, the 2 by 2 upstream gradient, and the 4 by 4 input gradient, which is zero except at the outlined maxima; in the tied window only the first 6 receives the gradient."}}
viz.pooling.draw_pool_backward(x_grad, dy_grad, kernel_size=2);

# %% [markdown]
# With stride 1 the 2×2 windows overlap, and the 6 at row 2, column 2 is the maximum of four of
# them, so its gradient is the sum $0.5 + 1 + 1 + 1 = 3.5$:

# %% mystnb={"image": {"alt": "The same input with 2 by 2 max pooling at stride 1: a 3 by 3 output and upstream gradient, and an input gradient in which the cell holding 6 at row 2, column 2 collects 3.5, the sum of the gradients of the four windows it wins."}}
viz.pooling.draw_pool_backward(x_grad, np.array([[1, -2, 1], [3, 0.5, 1], [1, 1, 1]]), kernel_size=2, stride=1);

# %% [markdown]
# The forward pass stores, for each window, *which* tap won; the backward pass uses it and nothing
# else:

# %%
viz.show_source(ll.maxpool2d_backward)

# %% [markdown]
# **Average pooling.** Each input in a window contributes $1/k^2$ of the output, so each receives
# $1/k^2$ of the window's gradient — spread evenly (and summed where windows overlap):

# %%
avg = ll.AvgPool2d(2)
avg(x_grad[None, None])
print("dx =\n", avg.backward(dy_grad[None, None])[0, 0])

# %% [markdown]
# Both backward passes agree with central differences on continuous random inputs. (Ties would
# break the check: nudging one of two equal maxima changes which one wins — see the appendix on
# checking gradients.)

# %%
x_check = rng.normal(size=(2, 3, 5, 7))
for layer in [ll.MaxPool2d(3, stride=2, padding=1), ll.AvgPool2d(3, stride=2, padding=1),
              ll.AdaptiveAvgPool2d((2, 3))]:
    err = ll.check_gradients(layer, x_check)["input"]
    print(f"{layer!r:<70} input gradient error below 1e-6? {err < 1e-6}")

# %% [markdown]
# ## Common bugs
#
# Two bugs appear in a max-pooling snippet that circulates in published notes. Here each is
# isolated in a short function (2-D input, no padding unless stated).
#
# **1. Rows and columns swapped in the window slice.** The loop variable that walks the *rows*
# ends up in the *column* position of the slice, `x[c:c + size, r:r + size]`:

# %%
def max_pool_swapped(x, size=2, stride=2):
    h_out, w_out = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    out = np.zeros((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            r, c = i * stride, j * stride                  # r: row offset, c: column offset
            out[i, j] = x[c:c + size, r:r + size].max()   # BUG: should be x[r:r + size, c:c + size]
    return out


# %% [markdown]
# **2. An output size that ignores the kernel and the padding.** The snippet allocates
# `H // stride` rows. For the textbook setting (kernel = stride = 2, no padding) that happens to
# be right; with padding, or a kernel different from the stride, it is not:

# %%
def max_pool_wrong_size(x, size=2, stride=2, padding=0):
    xp = np.pad(x, padding, constant_values=-np.inf)
    out = np.zeros((x.shape[0] // stride, x.shape[1] // stride))   # BUG: ignores size and padding
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = xp[i * stride:i * stride + size, j * stride:j * stride + size].max()
    return out


# %% [markdown]
# **The check.** Compare with `ll.MaxPool2d` — first on the kind of test that lets both bugs
# through (a square, *symmetric* input with kernel = stride = 2), then on a non-square,
# non-symmetric input with a padding:

# %%
def agrees(fn, x, **settings):
    """Compare fn(x, **settings) with ll.MaxPool2d on a 2-D input; return a one-line verdict."""
    layer = ll.MaxPool2d(settings.get("size", 2), settings.get("stride", 2), settings.get("padding", 0))
    expected = layer(x[None, None])[0, 0]
    try:
        got = fn(x, **settings)
    except Exception as err:  # a buggy function may also crash
        return f"raised {type(err).__name__}"
    if got.shape != expected.shape:
        return f"wrong shape {got.shape}, expected {expected.shape}"
    return "agrees" if np.allclose(got, expected) else "WRONG values"


square = rng.integers(0, 10, size=(4, 4)).astype(float)
symmetric = square + square.T                       # x == x.T
lopsided = rng.permutation(30).reshape(5, 6).astype(float)
for fn in (max_pool_swapped, max_pool_wrong_size):
    print(f"{fn.__name__:<20} square symmetric: {agrees(fn, symmetric):<8} | "
          f"5×6 input: {agrees(fn, lopsided)} | 5×6, padding 1: {agrees(fn, lopsided, padding=1) if fn is max_pool_wrong_size else '-'}")

# %% [markdown]
# Why the easy test misses the first bug: the swapped slice reads the window at rows
# $c \ldots$, columns $r \ldots$ — the window of output $(j, i)$ instead of $(i, j)$ — so on a
# square input it returns the **transpose** of the right answer. A symmetric input has a symmetric
# pooled output, equal to its own transpose, and the bug is invisible. On a square but
# non-symmetric input it shows as a transposed output; on a non-square input the slice can run
# past the shorter side, giving empty windows (an error) or wrong values. The second bug needs
# an input and settings where $\lfloor (H + 2p - k)/s \rfloor + 1 \ne \lfloor H/s \rfloor$. The
# lesson for any layer test: **use non-square, non-symmetric inputs with distinct values, and
# settings away from the defaults** (padding, odd sizes, stride ≠ kernel).
#
# **3. Zero padding for max pooling** — shown above with the all-negative input: `np.pad` pads
# with zeros unless told `constant_values=-np.inf`, and the zeros win every border window.
#
# ## Exercises
#
# ```{exercise} Predict, then move the slider — ★☆☆ easy
# :label: pool-ex-predict
#
# For the 5×6 input of the explorer, predict (a) the output
# shape of max pooling with kernel 3, stride 2, padding 1, and (b) which rows and columns no
# window reads with kernel 2, stride 3, padding 0. Then set the explorer's sliders and check.
# ```
#
# ```{solution} pool-ex-predict
# :class: dropdown
#
# (a) $H_\text{out} = \lfloor (5 + 2 - 3)/2 \rfloor + 1 = 3$ and
# $W_\text{out} = \lfloor (6 + 2 - 3)/2 \rfloor + 1 = 3$: a 3×3 output.
# (b) The windows start at rows 0 and 3 and at columns 0 and 3, and each covers two: row 2 and
# column 2 fall between windows (the stride is larger than the kernel), and column 5 is left over
# at the end (the output is $\lfloor (5-2)/3 \rfloor + 1 = 2$ by $\lfloor (6-2)/3 \rfloor + 1 = 2$).
# Row 2 and columns 2 and 5
# are never read.
# ```
#
# ```{exercise} Write max pooling — ★★☆ medium
# :label: pool-ex-forward
#
# Complete `max_pool(x, kernel_size, stride=None)` for a 2-D array `x`
# without padding (`stride=None` means `kernel_size`). The checker runs hidden non-square
# inputs and recognises the usual mistakes.
# ```

# %%
from layers_lib.exercises import pooling as ex


def max_pool(x, kernel_size, stride=None):
    # your code here
    return None


ex.check_maxpool_forward(max_pool)

# %% [markdown]
# ````{solution} pool-ex-forward
# :class: dropdown
#
# ```python
# def max_pool(x, kernel_size, stride=None):
#     k = kernel_size
#     s = k if stride is None else stride
#     h_out, w_out = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
#     out = np.empty((h_out, w_out))
#     for i in range(h_out):
#         for j in range(w_out):
#             out[i, j] = x[i * s:i * s + k, j * s:j * s + k].max()   # rows first, then columns
#     return out
# ```
# ````
#
# ```{exercise} Backward by hand — ★☆☆ easy
# :label: pool-ex-backward
#
# For `x = [[2, 7, 7, 1], [5, 3, 0, 4]]`, 2×2 max pooling with stride 2
# and upstream gradient `dy = [[10, 20]]`, write down `dx`. Then do the same for average pooling.
# Check both with `ll.MaxPool2d(2)` and `ll.AvgPool2d(2)` (remember the `(N, C, H, W)` axes).
# ```
#
# ````{solution} pool-ex-backward
# :class: dropdown
#
# Max: the first window holds 2, 7, 5, 3, so its gradient 10 goes to the 7 at row 0, column 1;
# the second holds 7, 1, 0, 4, so its gradient 20 goes to the 7 at row 0, column 2:
# `dx = [[0, 10, 20, 0], [0, 0, 0, 0]]`. (The two 7s are in different windows: no tie to break.)
# Average: every pixel gets a quarter of its window's gradient,
# `dx = [[2.5, 2.5, 5, 5], [2.5, 2.5, 5, 5]]`.
#
# ```python
# x = np.array([[2, 7, 7, 1], [5, 3, 0, 4]], dtype=float)[None, None]
# dy = np.array([[10, 20]], dtype=float)[None, None]
# for layer in (ll.MaxPool2d(2), ll.AvgPool2d(2)):
#     layer(x)
#     print(layer.backward(dy)[0, 0])
# ```
# ````
#
# ```{exercise} Does the order matter? — ★★☆ medium
# :label: pool-ex-order
#
# Show that `MaxPool2d(2)` followed by `ReLU` gives the same output
# as `ReLU` followed by `MaxPool2d(2)`, but that this fails for `AvgPool2d(2)`. Why? Which order
# is cheaper?
# ```
#
# ````{solution} pool-ex-order
# :class: dropdown
#
# ReLU is non-decreasing, and for any non-decreasing $f$, $\max_m f(x_m) = f(\max_m x_m)$: the
# largest input stays the largest after $f$. An average does not commute with a nonlinearity:
# $\tfrac12(\text{relu}(-1) + \text{relu}(3)) = 1.5 \ne \text{relu}(\tfrac12(-1 + 3)) = 1$.
# Pooling first is cheaper, since ReLU then runs on a quarter of the numbers.
#
# ```python
# x = np.random.default_rng(0).normal(size=(2, 3, 6, 6))
# relu = ll.ReLU()
# print(np.array_equal(relu(ll.MaxPool2d(2)(x)), ll.MaxPool2d(2)(relu(x))))   # True
# print(np.allclose(relu(ll.AvgPool2d(2)(x)), ll.AvgPool2d(2)(relu(x))))      # False
# ```
# ````
#
# ```{exercise} Count a head — ★☆☆ easy
# :label: pool-ex-gap
#
# ResNet-50 ends with feature maps of shape `(N, 2048, 7, 7)` and 1000 classes.
# How many parameters does `AdaptiveAvgPool2d(1)` → `Flatten` → `Linear(2048, 1000)` have, and how
# many would `Flatten` → `Linear(2048·7·7, 1000)` have? What happens to each head if the images are
# 320×320 instead of 224×224 (feature maps 10×10)?
# ```
#
# ```{solution} pool-ex-gap
# :class: dropdown
#
# GAP head: $2048 \cdot 1000 + 1000 = 2\,049\,000$. Flatten head:
# $100\,352 \cdot 1000 + 1000 = 100\,353\,000$, about 49 times more. With 10×10 maps the GAP head
# works unchanged (it still produces 2048 numbers per image); the flatten head breaks, since it
# now receives $204\,800$ inputs instead of $100\,352$.
# ```
#
# ## Summary
#
# * Max and average pooling summarise each $k \times k$ window per channel; no parameters.
#   The stride defaults to the kernel size; $H_\text{out} = \lfloor (H + 2p - k)/s \rfloor + 1$,
#   rounded up with `ceil_mode` (a window may not start in the trailing padding).
# * Max pooling pads with $-\infty$; average pooling pads with zeros that count in the divisor by
#   default.
# * Global average pooling (`AdaptiveAvgPool2d(1)`) replaces flatten-and-dense heads with a tiny
#   fraction of the parameters and accepts any input size.
# * Pooling makes features less sensitive to shifts smaller than its window — measured here, the
#   effect is real but partial; global average pooling is invariant up to what the border cuts
#   off.
# * Backward: max pooling routes each window's gradient to its arg-max (the first one on ties),
#   summing where windows overlap; average pooling spreads it evenly.
# * Test pooling code on non-square, non-symmetric inputs with non-default settings: the swapped
#   slice and the `H // stride` size survive the easy tests.
#
# ## References
#
# ```{footbibliography}
# ```
