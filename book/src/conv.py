# %% [markdown]
# # Convolution
#
# A convolutional layer slides a small grid of weights — a **kernel**, or **filter** — over an
# image and, at every position, takes the dot product of the kernel with the patch under it. The
# numbers it produces form a new image, a **feature map**, that is large wherever the patch looks
# like the kernel. The same few weights are used at every position, so the layer needs very few
# of them, and what it learns to detect in one corner it detects everywhere. That one idea,
# worked out in LeNet {footcite}`lecun1998gradient`, is the core of every convolutional network.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * compute the layer's output at one position by hand (a *cross-correlation*), and explain why
#   deep learning calls it a convolution;
# * give the shape of a layer's filters from its input and output channels, and count its
#   parameters;
# * predict the output size for any stride, padding and dilation with the output-size formula —
#   floor included — and `'same'` padding, then check your prediction in the explorer;
# * explain why convolutions need so few parameters (sparse connections, shared weights);
# * apply classic edge detectors to a real photograph, use 1×1, grouped and depthwise
#   convolutions, and compute how the receptive field grows through a stack of layers;
# * derive and check the backward pass, and build the transposed convolution that it defines.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter uses [the linear layer](linear.ipynb) (a dense layer's parameter count and its
# backward pass) and the `(N, C, H, W)` layout of [the introduction](intro.ipynb); its small
# networks use ReLU from [activations](activations.ipynb). Reading it and doing the exercises
# takes about 70 minutes.
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
# ## The operation, one position at a time
#
# Here is a 5×5 grey-scale image that is bright on the left and dark on the right, and a 3×3
# kernel whose left column is $+1$ and right column is $-1$. At each position the kernel asks
# "how much brighter is the left of this patch than its right?". Press **Play**, or step through
# the positions: every output number is the sum of nine products.

# %%
image = np.array([[9, 8, 9, 1, 0],
                  [9, 9, 8, 0, 1],
                  [8, 9, 9, 1, 0],
                  [9, 8, 9, 0, 0],
                  [9, 9, 8, 1, 1]], dtype=float)
edge_kernel = np.array([[1, 0, -1],
                        [1, 0, -1],
                        [1, 0, -1]], dtype=float)
viz.conv_animation(image, edge_kernel)

# %% [markdown]
# The output is about 25 in the two right columns, where the window straddles the edge between
# input columns 2 and 3, and 0 in the left column, where the patch is evenly bright: this kernel
# is a *vertical-edge detector*. A 5×5 input and a 3×3 kernel give a
# 3×3 output, because the kernel fits in 3 positions along each axis.
#
# ## The math
#
# For one input channel and one kernel $w$ of size $k_h \times k_w$ the layer computes
#
# $$
# y[i, j] \;=\; b + \sum_{u=0}^{k_h - 1} \sum_{v=0}^{k_w - 1} w[u, v]\; x[i + u,\; j + v].
# $$
#
# Mathematicians call this a **cross-correlation**. A true **convolution** flips the kernel
# first — it reads $x[i - u, j - v]$:
#
# $$
# (x * w)[i, j] \;=\; \sum_{u, v} w[u, v]\; x[i - u,\; j - v],
# $$
#
# which is the same as cross-correlating with the kernel rotated by 180°. The flip is what makes
# a true convolution commutative and associative, properties that matter in signal processing.
# In a network the kernel is *learned*: if the flipped kernel were the better one, training would
# simply learn the flipped numbers. So deep-learning libraries — PyTorch's `Conv2d`, and this
# course's — compute the cross-correlation and call it convolution
# {footcite}`goodfellow2016deep,dumoulin2016guide`. The difference only matters when you copy
# kernels between conventions; NumPy's `np.convolve` is a true convolution and `np.correlate` is
# not:

# %%
signal, kernel_1d = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, -1.0])
print("np.convolve (flips the kernel):", np.convolve(signal, kernel_1d))
print("np.correlate (does not)       :", np.correlate(signal, kernel_1d, mode="full"))

# %% [markdown]
# The two results differ by a sign — the flip of an antisymmetric kernel. The definition, one
# output pixel at a time, is `ll.conv2d_reference`:

# %%
viz.show_source(ll.conv2d_reference)

# %% [markdown]
# It also handles what comes next: several channels, stride, padding, dilation and groups. The
# layer `ll.Conv2d` computes exactly the same numbers much faster, with matrix products: it lays
# every patch out as a column of one big matrix (*im2col*) and does a single product per image
# (with stride 1 and more than a few input channels it skips most of that copy: it multiplies the
# weights with `kw` copies of the padded input, each shifted by one more column, and adds up what
# each kernel row contributes).
# The two agree, and the animation above computed the same output:

# %%
conv = ll.Conv2d(1, 1, kernel_size=3, bias=False, rng=rng)
conv.weight.data[0, 0] = edge_kernel
y_layer = conv(image[None, None])  # (N, C, H, W) = (1, 1, 5, 5) -> (1, 1, 3, 3)
y_loops = ll.conv2d_reference(image[None, None], edge_kernel[None, None])
print(y_layer[0, 0])
print("layer == loops:", np.allclose(y_layer, y_loops))

# %% [markdown]
# ## Channels and filters
#
# Real inputs have several **channels**: a colour image has three (red, green, blue), and the
# output of a convolutional layer has one channel per filter. A filter always spans **all** the
# input channels: for $C_\text{in}$ input channels it is a $C_\text{in} \times k \times k$ block
# of weights, and it produces **one** output channel by summing over channels as well as space:
#
# $$
# y[o, i, j] \;=\; b[o] + \sum_{c=0}^{C_\text{in}-1} \sum_{u, v} w[o, c, u, v]\; x[c,\; i + u,\; j + v].
# $$
#
# A layer with $C_\text{out}$ filters therefore has a weight of shape
# $(C_\text{out}, C_\text{in}, k, k)$ and $C_\text{out}$ biases:
#
# $$
# \#\text{parameters} \;=\; C_\text{out} \cdot (k \cdot k \cdot C_\text{in} + 1).
# $$

# %% mystnb={"image": {"alt": "Schematic of a convolution layer: an input block of 3 channels, four small filters each 3 channels deep and 3 by 3 wide, and an output block of 4 feature maps, one per filter."}}
viz.conv.draw_filters(in_channels=3, out_channels=4, kernel_size=3);

# %% [markdown]
# Step through a small case with numbers: a 3-channel 4×4 input and two filters of shape
# $(3, 3, 3)$. Each step shows, for one output position, the three per-channel windows and
# kernels, the three per-channel sums, their total plus the bias, and where the result lands —
# filter 0 fills output channel 0, then filter 1 fills channel 1.

# %%
viz.multichannel_conv_animation(rng.integers(0, 4, size=(3, 4, 4)), rng.integers(-1, 2, size=(2, 3, 3, 3)),
                                np.array([0.5, -1.0]))

# %%
rgb_conv = ll.Conv2d(in_channels=3, out_channels=4, kernel_size=3, rng=rng)
print("weight:", rgb_conv.weight.shape, " bias:", rgb_conv.bias.shape)
print("parameters:", rgb_conv.num_parameters(), "= 4 · (3·3·3 + 1)")
print("output:", rgb_conv(rng.normal(size=(2, 3, 8, 8))).shape)

# %% [markdown]
# The number of *input* channels fixes the depth of each filter; the number of *output* channels
# is how many filters you ask for. Doubling `out_channels` doubles the parameters; going from a
# 3×3 to a 5×5 kernel multiplies them by about $25/9$.
#
# ## Output size: stride, padding, dilation
#
# Four settings decide where the kernel goes:
#
# * **stride** $s$ — how far the kernel moves between neighbouring outputs (1 = every position);
# * **padding** $p$ — how many rows and columns of zeros are added on *each* side of the input;
# * **dilation** $d$ — the spacing between the kernel's taps (1 = no gaps, PyTorch's convention);
#   a dilated kernel of size $k$ spans $d(k-1)+1$ pixels;
# * **kernel size** $k$.
#
# Along one axis the padded input has $H + 2p$ positions, the kernel spans $d(k-1)+1$ of them, and
# it can start at $0, s, 2s, \dots$ as long as it still fits. Counting the starts gives PyTorch's
# formula
#
# $$
# H_\text{out} \;=\; \left\lfloor \frac{H + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1,
# $$
#
# and the same for the width with the width's settings. The **floor** matters. When $s$ does not
# divide $H + 2p - d(k-1) - 1$, the last few rows are not enough for another window, and they are
# simply never read. (Some visual tools, such as CNN Explainer, refuse such settings; PyTorch and
# `layers_lib` accept them and drop the rest.) Here is the proof: an 8×8 input, a 3×3 kernel,
# stride 2. Changing the whole last row and column does not change the output at all.

# %%
print(viz.conv.output_size_formula(8, kernel_size=3, stride=2))
strided = ll.Conv2d(1, 1, kernel_size=3, stride=2, rng=rng)
x8 = rng.normal(size=(1, 1, 8, 8))
x8_changed = x8.copy()
x8_changed[..., -1, :] = 100.0  # the last row ...
x8_changed[..., :, -1] = 100.0  # ... and the last column
print("output shape:", strided(x8).shape)
print("output unchanged:", np.array_equal(strided(x8), strided(x8_changed)))

# %% [markdown]
# **'Same' padding.** With stride 1 the output has the input's size exactly when
# $2p = d(k-1)$, i.e. $p = d(k-1)/2$: padding 1 for a 3×3 kernel, 2 for 5×5, 2 for a 3×3 kernel
# with dilation 2. For an even kernel $d(k-1)$ is odd and no symmetric padding works;
# `Conv2d(..., padding='same')` then pads one more row and column at the bottom and right, as
# PyTorch does. `padding='valid'` means no padding.

# %%
for k, d in [(3, 1), (5, 1), (3, 2), (4, 1)]:
    same = ll.Conv2d(1, 1, kernel_size=k, dilation=d, padding="same", rng=rng)
    print(f"k={k}, dilation={d}: 'same' pads (top, bottom), (left, right) = {same._pads}",  # resolved padding
          "-> output", same(rng.normal(size=(1, 1, 9, 9))).shape[2:])

# %% [markdown]
# ### The explorer
#
# ```{admonition} Predict first
# :class: tip
# Before you touch a slider, work out on paper the output size of a 7×7 input with kernel 4,
# stride 3, padding 2 — and which rows, if any, no window reads. Then move the sliders to that
# setting, type your answer into the box and press *Check*: the explorer hides the output grid
# and the formula until you have predicted, for every setting. (This is exercise
# {ref}`conv-ex-predict` below.)
# ```
#
# The left grid is the 7×7 input (white) inside its zero padding (grey), numbered as in the input
# itself (padding has indices below 0 or from 7 on); the dots are the taps of the window that
# computes output $(0, 0)$, the hollow squares those of its right neighbour $(0, 1)$ — they are
# `stride` columns apart. Crossed grey cells are never read by any window: at the end because of
# the floor, in the middle when the stride is larger than the kernel. The output grid is on the
# right (below it on a phone); the read-out fills in the formula. The sliders cover every kernel
# size from 1 to 5, stride 1 to 4, padding 0 to 3 and dilation 1 to 3 — 240 settings, some of
# which do not fit (the explorer says so, as `Conv2d` would).

# %%
viz.conv.geometry_explorer(h=7, w=7, title="Kernel size, stride, padding and dilation on a 7×7 input",
                           predict=True, initial={"kernel_size": 3, "stride": 1, "padding": 0})

# %% [markdown]
# Things to try: stride 1 with padding $(k-1)/2$ keeps the size ('same'); stride 2 roughly halves
# it; kernel 2 with stride 3 skips a row and a column between windows; padding 2 with kernel 2
# makes windows that read only zeros in the corners.
#
# **Dilation** spreads the taps apart: a 3×3 kernel with dilation 2 covers a 5×5 area with still
# only nine weights, so a layer sees further without more parameters or less resolution
# {footcite}`yu2016multiscale`. The second explorer fixes the kernel at 3×3 and the stride at 1 on a
# 9×9 input; find the padding that keeps the output at 9×9 for each dilation.

# %%
viz.conv.geometry_explorer(h=9, w=9, kernel_size=[3], stride=[1], padding=[0, 1, 2, 3],
                           dilation=[1, 2, 3], title="Dilation and padding, 3×3 kernel, stride 1, 9×9 input")

# %% [markdown]
# The same computation with numbers, for a dilated kernel: the highlighted taps skip every other
# pixel.

# %%
viz.conv_animation(rng.integers(0, 10, size=(7, 7)), np.array([[1, 0, 1], [0, 2, 0], [1, 0, 1]]),
                   dilation=2)

# %% [markdown]
# And with padding 1 and stride 2 on a 5×5 input (output $\lfloor (5 + 2 - 2 - 1)/2 \rfloor + 1 = 3$):

# %%
viz.conv_animation(rng.integers(0, 10, size=(5, 5)), np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
                   stride=2, padding=1)

# %% [markdown]
# ## A walk through shapes: `(64, 1, 28, 28)`
#
# A batch of 64 grey-scale 28×28 digits has shape `(N, C, H, W) = (64, 1, 28, 28)`. A layer
# `Conv2d(1, 16, kernel_size=3, padding=1)` learns 16 filters of shape $1 \times 3 \times 3$;
# padding 1 keeps 28×28 ($\lfloor(28 + 2 - 2 - 1)/1\rfloor + 1 = 28$), so each image becomes 16
# feature maps: `(64, 16, 28, 28)`. Max pooling with a 2×2 window (next chapter) halves height and
# width and keeps the channels: `(64, 16, 14, 14)`.

# %%
x_digits = np.zeros((64, 1, 28, 28))
net = ll.Sequential(ll.Conv2d(1, 16, kernel_size=3, padding=1, rng=rng), ll.ReLU(), ll.MaxPool2d(2))
print(net.summary(x_digits.shape))

# %% [markdown]
# ## Why so few parameters: sparse connections and shared weights
#
# Could a dense layer do the same job? To map a 1×28×28 image to 16×28×28 feature maps it would
# connect each of the $784$ inputs to each of the $16 \cdot 784 = 12\,544$ outputs:

# %%
n_in, n_out = 1 * 28 * 28, 16 * 28 * 28
dense_params = n_in * n_out + n_out
conv_params = net[0].num_parameters()
print(f"dense layer: {n_in} × {n_out} weights + {n_out} biases = {dense_params:,} parameters")
print(f"Conv2d(1, 16, 3): 16 × (3·3·1 + 1)            = {conv_params:,} parameters")
print(f"ratio: {dense_params / conv_params:,.0f}")

# %% [markdown]
# Two properties close that gap of more than four orders of magnitude
# {footcite}`goodfellow2016deep`:
#
# * **Sparse connections.** Each output depends on a $k \times k$ neighbourhood, not on the whole
#   image. Nearby pixels are strongly related and distant ones much less, so little is lost.
# * **Parameter sharing.** The same kernel is used at every position: a detector that is useful in
#   one place (an edge, a corner) is useful everywhere. As a consequence the layer is
#   **equivariant to translation**: shift the input and the feature maps shift with it (up to the
#   borders and the stride).
#
# In one dimension the difference is easy to see: every line on the left is its own weight; on
# the right each output reads three neighbours, and lines in the same style share one weight.

# %% mystnb={"image": {"alt": "Two panels with seven inputs and seven outputs. Left, a dense layer: every input is joined to every output, 49 lines. Right, a convolution: each output is joined to its three nearest inputs, drawn in three line styles, one per shared weight."}}
viz.conv.draw_connectivity(n=7, kernel_size=3);

# %% [markdown]
# ## Edge detectors on a photograph
#
# Before networks learned their kernels, image processing designed them by hand. The **Sobel**
# kernels estimate the horizontal and vertical derivatives of brightness (smoothing along the
# other direction), and the **Laplacian** responds to changes in every direction. Learned
# first-layer kernels often end up looking much like them. Let us apply them with a `Conv2d` whose
# weights we set by hand, to a photograph that ships with Matplotlib (Grace Hopper), converted to
# grey and downscaled 4× to 150×128 by averaging 4×4 blocks.

# %%
import matplotlib.image as mpimg
from matplotlib import cbook

photo = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg"))  # (600, 512, 3) uint8
grey = photo.astype(float).mean(axis=2) / 255                     # (600, 512) in [0, 1]
small = grey.reshape(150, 4, 128, 4).mean(axis=(1, 3))           # (150, 128)
print(photo.shape, "->", small.shape)

# %%
sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
kernels = np.stack([sobel_x, sobel_x.T, np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float)])
edges = ll.Conv2d(1, 3, kernel_size=3, padding=1, bias=False, rng=rng)
edges.weight.data = kernels[:, None]         # (C_out, C_in, 3, 3) = (3, 1, 3, 3)
maps = edges(small[None, None])              # (1, 3, 150, 128)
print("feature maps:", maps.shape)

# %% mystnb={"image": {"alt": "Three 3 by 3 kernels with their weights written in: Sobel x with columns 1 2 1, 0, minus 1 minus 2 minus 1; Sobel y, its transpose; and the Laplacian with minus 4 in the centre and 1 above, below, left and right."}}
viz.show_kernels(edges.weight.data, title="Hand-made kernels: Sobel x, Sobel y, Laplacian");

# %% mystnb={"image": {"alt": "The grey-scale photograph of Grace Hopper next to its three feature maps in grey, mid-grey meaning zero. Sobel x highlights vertical edges such as the sides of her face and collar, Sobel y horizontal edges such as the brim of her cap, and the Laplacian thin outlines in every direction."}}
viz.conv.draw_feature_maps(small, maps[0], ["Sobel x: vertical edges", "Sobel y: horizontal edges", "Laplacian"],
                           title="One Conv2d(1, 3, 3, padding=1) with hand-made kernels");

# %% [markdown]
# The feature maps are signed: bright where brightness falls from left to right (Sobel x), or
# from top to bottom (Sobel y), dark where it rises. Each map has the photo's size because of
# padding 1.
#
# ## 1×1 convolutions, groups and depthwise convolutions
#
# A **1×1 convolution** looks at one pixel at a time but mixes all its channels: it is a dense
# layer applied at every pixel with the same weights, often used to change the number of
# channels cheaply {footcite}`lin2014network`. Checked against a per-pixel matrix product:

# %%
pointwise = ll.Conv2d(8, 4, kernel_size=1, rng=rng)
x_pw = rng.normal(size=(2, 8, 5, 5))
per_pixel = np.einsum("nchw,oc->nohw", x_pw, pointwise.weight.data[:, :, 0, 0]) \
    + pointwise.bias.data[:, None, None]
print("1×1 conv == dense layer at every pixel:", np.allclose(pointwise(x_pw), per_pixel))

# %% [markdown]
# **Groups** split the channels into `groups` independent convolutions: with `groups=g` each
# filter sees only $C_\text{in}/g$ input channels, dividing the weights by $g$. The extreme case
# `groups=in_channels` is a **depthwise** convolution — one $k \times k$ filter per channel, no
# mixing across channels. A depthwise convolution followed by a 1×1 (pointwise) convolution is a
# **depthwise separable** convolution, the building block of Xception and MobileNet
# {footcite}`chollet2017xception`: it filters space and mixes channels in two cheap steps instead
# of one expensive one.

# %%
layers = {
    "Conv2d(64, 128, 3)": ll.Conv2d(64, 128, 3, rng=rng),
    "Conv2d(64, 128, 3, groups=4)": ll.Conv2d(64, 128, 3, groups=4, rng=rng),
    "Conv2d(64, 64, 3, groups=64)  depthwise": ll.Conv2d(64, 64, 3, groups=64, rng=rng),
    "Conv2d(64, 128, 1)            pointwise": ll.Conv2d(64, 128, 1, rng=rng),
}
for name, layer in layers.items():
    print(f"{name:<42} weight {str(layer.weight.shape):<18} {layer.num_parameters():>7,} parameters")
separable = layers["Conv2d(64, 64, 3, groups=64)  depthwise"].num_parameters() \
    + layers["Conv2d(64, 128, 1)            pointwise"].num_parameters()
print(f"depthwise + pointwise: {separable:,} parameters, "
      f"{layers['Conv2d(64, 128, 3)'].num_parameters() / separable:.1f}× fewer than the full 3×3 layer")

# %% [markdown]
# ## Receptive fields grow with depth
#
# The **receptive field** of a unit is the patch of the input it depends on. One 3×3 layer sees
# 3×3; a unit of the second layer reads 3×3 units of the first, each seeing 3×3 pixels, so it sees
# 5×5; a third layer sees 7×7. Per axis, with $r$ the receptive field and $j$ the distance in input
# pixels between neighbouring units (the product of the strides so far),
#
# $$
# r_l = r_{l-1} + d_l\,(k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l, \qquad r_0 = j_0 = 1.
# $$
#
# Strides and pooling multiply the growth of every later layer; dilation multiplies the growth of
# its own layer.

# %% mystnb={"image": {"alt": "A diagram of three stacked one-dimensional layers with kernel 3 and stride 1 over 13 inputs. The connections of the middle unit of the top layer are drawn in black and fan out to 3, then 5, then 7 input positions."}}
viz.conv.draw_receptive_field([(3, 1), (3, 1), (3, 1)], n_in=13);

# %%
stacks = {
    "3×3 convs, stride 1": [(3, 1)] * 6,
    "3×3 conv + 2×2 pool, alternating": [(3, 1), (2, 2)] * 3,
    "3×3 convs, dilation 1, 2, 4, ...": [(3, 1, 2 ** i) for i in range(6)],
}
for name, layers_ in stacks.items():
    print(f"{name:<34}", [r for r, _ in viz.conv.receptive_field(layers_)])

# %% mystnb={"image": {"alt": "Receptive field size on a logarithmic axis against the number of layers, for three stacks. Plain 3 by 3 convolutions grow linearly to 13 after six layers, alternating convolution and pooling reaches 22, and doubling dilations reach 127."}}
viz.conv.plot_receptive_fields(stacks);

# %% [markdown]
# Three stacked 3×3 layers see as far as one 7×7 layer, with $3 \cdot 9 = 27$ instead of $49$
# weights per channel pair and two more nonlinearities in between — one reason VGG-style networks
# stack small kernels {footcite}`simonyan2015very`. A caveat: the receptive field is the region
# that *can* influence a unit. The *effective* receptive field — where the influence is actually
# large — is much smaller and roughly Gaussian, concentrated in the centre
# {footcite}`luo2016understanding`.
#
# ## The backward pass
#
# Take one channel, stride 1, no padding: $y[i, j] = b + \sum_{u,v} w[u, v]\, x[i+u, j+v]$, and
# let $\delta[i, j] = \partial L / \partial y[i, j]$ arrive from the layer above.
#
# **Weights.** $w[u, v]$ multiplies $x[i+u, j+v]$ in every output $(i, j)$, so
#
# $$
# \frac{\partial L}{\partial w[u, v]} = \sum_{i, j} \delta[i, j]\; x[i + u,\; j + v],
# $$
#
# a **cross-correlation of the input with the upstream gradient** — the same operation as the
# forward pass, with $\delta$ playing the kernel. The bias gradient is $\sum_{i,j} \delta[i, j]$.
#
# **Input.** $x[m, n]$ appears in output $(i, j)$ with weight $w[m - i, n - j]$ whenever that
# index is inside the kernel, so
#
# $$
# \frac{\partial L}{\partial x[m, n]} = \sum_{u, v} \delta[m - u,\; n - v]\; w[u, v],
# $$
#
# with $\delta$ taken as zero outside its range: a **full convolution** (a true one, with the
# flip) of $\delta$ with $w$. Equivalently: pad $\delta$ with $k - 1$ zeros on every side and
# cross-correlate with the kernel rotated by 180°. Each input pixel collects the gradient of every
# output it helped to compute. With several channels, $\partial L/\partial x[c]$ sums this over the
# output channels and $\partial L/\partial w[o, c]$ correlates input channel $c$ with gradient
# channel $o$; with stride $s$, $\delta$ gets $s - 1$ zeros between its entries first. The animation
# shows the scatter view of the same computation: each $\delta[i, j]$ sends $\delta[i, j]\cdot w$
# back onto the patch it came from.

# %%
viz.conv_backward_animation(np.array([[1, 2, 0], [-1, 3, 1], [2, 0, -2]]),
                            np.array([[1, 2, 0], [0, 1, -1], [3, 0, 1]]))

# %% [markdown]
# `layers_lib` computes the weight gradient with matrix products on what the forward pass cached
# (the im2col matrices, or the shifted copies of the input), and the input gradient exactly as
# derived: for stride 1 (in a layer with more than a few input channels) as a full convolution of
# $\delta$ with the flipped kernel (its two channel axes swapped, so that output channels map back
# to input channels); otherwise by sending each column of $W^\top \delta$ back onto the pixels it
# was read from (*col2im*), which is the same sum.

# %%
viz.show_source(ll.conv2d_backward)

# %%
viz.show_source(ll.conv._conv_input_grad)

# %% [markdown]
# Both derivations, checked numerically with `conv2d_reference` on random data (2 images, 3 input
# and 4 output channels): the input gradient is the full convolution of $\delta$ with the flipped
# kernel (weights transposed to map output channels back to input channels), and the weight
# gradient is the correlation of the input with $\delta$ (batch and channel axes swapped so the
# sum runs over the batch).

# %%
x_b = rng.normal(size=(2, 3, 6, 6))
w_b = rng.normal(size=(4, 3, 3, 3))
y_b, cache = ll.conv2d_forward(x_b, w_b, None)
delta = rng.normal(size=y_b.shape)
dx, dw, _ = ll.conv2d_backward(delta, cache)

flipped = w_b[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)                        # (C_in, C_out, 3, 3)
dx_full = ll.conv2d_reference(delta, flipped, padding=2)                    # full convolution
dw_corr = ll.conv2d_reference(x_b.transpose(1, 0, 2, 3),                    # (C_in, N, 6, 6)
                              delta.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)  # (C_out, C_in, 3, 3)
print("dx == full convolution of delta with the flipped kernel:", ll.rel_error(dx, dx_full) < 1e-12)
print("dW == correlation of x with delta:                     ", ll.rel_error(dw, dw_corr) < 1e-12)

# %% [markdown]
# And the whole layer — stride, padding and dilation included — against central differences, with
# the course's rule from the appendix on checking gradients (a relative error below $10^{-6}$
# passes):

# %%
layer = ll.Conv2d(2, 3, kernel_size=3, stride=2, padding=1, dilation=2, rng=rng)
for name, err in ll.check_gradients(layer, rng.normal(size=(2, 2, 7, 6))).items():
    print(f"{name:>6}: relative error {err:.1e}, below 1e-6: {err < 1e-6}")

# %% [markdown]
# ## Transposed convolution: going back up
#
# The backward pass maps a gradient of the *output's* shape to the *input's* shape. Used as a
# layer in its own right, that map is a **transposed convolution** (`ConvTranspose2d`): every input
# pixel paints a copy of the kernel, scaled by its value, onto the output, `stride` pixels apart,
# and overlapping copies add up. With stride 2 the output is about twice as large — which is why
# decoders and segmentation networks use it to **up-sample**. (It is sometimes called
# "deconvolution", a name borrowed from {footcite}`zeiler2010deconvolutional`, but it does not
# invert a convolution: it is its *transpose*.)

# %% mystnb={"image": {"alt": "A transposed convolution with stride 2 drawn as a sum. A 2 by 2 input with values 1, 2, 3, 4 and a 3 by 3 kernel; four 5 by 5 panels each holding one input value times the kernel, shifted by 2 per input step; and their sum, a 5 by 5 output where the overlapping copies add up, for example 10 in the centre."}}
viz.conv.draw_transposed_conv(np.array([[1, 2], [3, 4]]), np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]]), stride=2);

# %% [markdown]
# Its output size inverts the convolution's formula:
#
# $$
# H_\text{out} = (H - 1)\,s - 2p + d\,(k - 1) + \text{output\_padding} + 1 .
# $$
#
# Because of the floor, a strided convolution maps several input sizes to the same output size
# (7×7 and 8×8 both give 4×4 below); `output_padding` chooses which one to go back to. And a
# `ConvTranspose2d` with the same weight array *is* the backward pass of the `Conv2d` with respect
# to its input. Both layers store the weight as `(C_out of the conv, C_in of the conv, k, k)`:

# %%
down = ll.Conv2d(4, 2, kernel_size=3, stride=2, padding=1, bias=False, rng=rng)
for size, output_padding in [(7, 0), (8, 1)]:
    x_t = rng.normal(size=(1, 4, size, size))
    y_t = down(x_t)
    delta_t = rng.normal(size=y_t.shape)
    dx_t = down.backward(delta_t)
    up = ll.ConvTranspose2d(2, 4, kernel_size=3, stride=2, padding=1, output_padding=output_padding,
                            bias=False, rng=rng)
    up.weight.data = down.weight.data.copy()     # (2, 4, 3, 3): the same array
    print(f"{size}×{size} -> Conv2d -> {y_t.shape[2]}×{y_t.shape[3]} -> ConvTranspose2d"
          f"(output_padding={output_padding}) -> {up(delta_t).shape[2]}×{up(delta_t).shape[3]};"
          f"  equals Conv2d.backward: {np.allclose(up(delta_t), dx_t)}")

# %% [markdown]
# Transposed convolutions whose kernel size is not a multiple of the stride paint some output
# pixels more often than others (above, the middle row and column of the output receive two
# copies of the kernel and the centre four, every other pixel one), which can leave checkerboard patterns in generated images {footcite}`odena2016deconvolution`;
# resizing followed by an ordinary convolution avoids them.
#
# The explorer paints the copies for a 3×3 input and counts, in every output cell, how many
# kernel copies overlap there: find the settings where every cell gets the same count (the stride
# divides the kernel size), watch `padding` crop the canvas from every side and `output_padding`
# add a row and a column that no copy reaches (only the bias lands there).

# %%
viz.conv.transposed_geometry_explorer(h=3, w=3, initial={"kernel_size": 3, "stride": 2})

# %% [markdown]
# ## Common bugs
#
# **1. Forgetting the padding when predicting a shape.** Popular notes state that
# `Conv2d(1, 16, 3)` turns 28×28 images into 28×28 feature maps. Without `padding=1` it gives
# 26×26. The check: run one batch and compare the shape with what you claimed.

# %%
claimed = (64, 16, 28, 28)
for padding in (0, 1):
    out_shape = ll.Conv2d(1, 16, 3, padding=padding, rng=rng)(x_digits).shape
    print(f"Conv2d(1, 16, 3, padding={padding}) -> {out_shape}",
          "matches the claim" if out_shape == claimed else "does NOT match the claimed (64, 16, 28, 28)")

# %% [markdown]
# **2. A flipped kernel.** Kernels copied from a signal-processing routine (MATLAB's `conv2`,
# `scipy.signal.convolve2d`, `np.convolve`) are meant for a *true* convolution; used in `Conv2d`
# they must be rotated by 180°. A symmetric kernel hides the bug, so test with an asymmetric one:

# %%
def true_conv2d(x, w):
    """A true 2-D convolution ('valid' part): flip the kernel, then cross-correlate."""
    return ll.conv2d_reference(x[None, None], w[::-1, ::-1][None, None])[0, 0]


x_c = rng.normal(size=(6, 6))
laplacian, random_kernel = kernels[2], rng.normal(size=(3, 3))
for name, w in [("symmetric Laplacian", laplacian), ("random kernel", random_kernel)]:
    same_result = np.allclose(true_conv2d(x_c, w), ll.conv2d_reference(x_c[None, None], w[None, None])[0, 0])
    print(f"{name:<20}: convolution == cross-correlation? {same_result}")

# %% [markdown]
# **3. Channels last.** Images loaded with Matplotlib or PIL are `(H, W, C)`; `Conv2d` expects
# `(N, C, H, W)`. The layer says so, and `transpose` fixes it:

# %%
try:
    ll.Conv2d(3, 8, 3, rng=rng)(photo[None].astype(float))   # (1, 600, 512, 3): channels last
except ValueError as err:
    print("ValueError:", err)
print("fixed:", ll.Conv2d(3, 8, 3, rng=rng)(photo[None].transpose(0, 3, 1, 2) / 255).shape)

# %% [markdown]
# **4. Slicing a list of lists.** A convolution loop seen in published notes keeps the image as a
# nested Python list and slices it with `img[i:i + kh, j:j + kw]` (and, as printed, even reads a
# variable `img_mx` that it never defines). Two-dimensional slicing needs a NumPy array; on a list
# it raises. The check: run it on the example and compare with the reference.

# %%
def conv_from_notes(img, kernel):
    kh, kw = len(kernel), len(kernel[0])
    out = []
    for i in range(len(img) - kh + 1):
        row = []
        for j in range(len(img[0]) - kw + 1):
            patch = img[i:i + kh, j:j + kw]                     # 2-D slice
            row.append(sum(patch[a][b] * kernel[a][b] for a in range(kh) for b in range(kw)))
        out.append(row)
    return out


img_list, diag_kernel = [[260.7, 261.3, 112.3], [260.3, 208.8, 139.1], [261.8, 93.7, 166.1]], [[1, 0], [0, 1]]
try:
    conv_from_notes(img_list, diag_kernel)
except TypeError as err:
    print("TypeError:", err)
fixed = conv_from_notes(np.asarray(img_list), diag_kernel)
reference = ll.conv2d_reference(np.asarray(img_list)[None, None], np.asarray(diag_kernel, float)[None, None])[0, 0]
print("with np.asarray:", np.round(fixed, 1).tolist(), "matches:", np.allclose(fixed, reference))

# %% [markdown]
# ## Exercises
#
# ```{exercise} Predict, then move the slider — ★☆☆ easy
# :label: conv-ex-predict
#
# For a 7×7 input, predict the output size and the rows that no
# window reads for (a) kernel 4, stride 3, padding 2 and (b) kernel 2, stride 3, padding 0. Only
# then set the first explorer to each setting and compare.
# ```
#
# ```{solution} conv-ex-predict
# :class: dropdown
#
# (a) $\lfloor (7 + 4 - 3 - 1)/3 \rfloor + 1 = \lfloor 7/3 \rfloor + 1 = 3$, so 3×3. The windows
# start at padded rows 0, 3, 6 and end at 3, 6, 9; the padded input has rows 0…10, so row 10 —
# the last padding row, input index 8 — is never read, and no real pixel is lost.
#
# (b) $\lfloor (7 - 2)/3 \rfloor + 1 = 2$, so 2×2. The windows cover rows 0–1 and 3–4: row 2 is
# skipped because the stride (3) is larger than the kernel (2), and rows 5 and 6 are dropped by the
# floor. Three of the seven rows never influence the output.
# ```
#
# ```{exercise} Write the output-size formula — ★☆☆ easy
# :label: conv-ex-size
#
# Complete `output_size(h, w, kernel_size, stride, padding,
# dilation)` so that it returns `(h_out, w_out)` for a `Conv2d` with these (integer) settings. The
# checker runs hidden cases and names the usual mistakes.
# ```

# %%
from layers_lib.exercises import conv as ex


def output_size(h, w, kernel_size, stride=1, padding=0, dilation=1):
    # your code here
    return None


ex.check_output_size(output_size)

# %% [markdown]
# ````{solution} conv-ex-size
# :class: dropdown
#
# The kernel spans `dilation * (kernel_size - 1) + 1` pixels; count the positions where it fits
# in the padded input, rounding down:
#
# ```python
# def output_size(h, w, kernel_size, stride=1, padding=0, dilation=1):
#     span = dilation * (kernel_size - 1) + 1
#     return (h + 2 * padding - span) // stride + 1, (w + 2 * padding - span) // stride + 1
# ```
#
# `ex.check_output_size(output_size)` then reports that all hidden cases pass.
# ````
#
# ```{exercise} Count ResNet's first layer — ★★☆ medium
# :label: conv-ex-params
#
# The first layer of ResNet is `Conv2d(3, 64, kernel_size=7, stride=2, padding=3)` on
# 224×224 colour images. (a) What is its output shape for a batch of 32? (b) How many parameters
# does it have? (c) How many would a dense layer with the same input and output sizes have?
# (d) How many would a depthwise separable replacement
# `Conv2d(3, 3, 7, stride=2, padding=3, groups=3)` followed by `Conv2d(3, 64, 1)` have?
# Check your answers with `ll.Conv2d(...)`, `num_parameters()` and `ll.Sequential(...).summary(...)`.
# ```
#
# ````{solution} conv-ex-params
# :class: dropdown
#
# (a) $\lfloor (224 + 6 - 6 - 1)/2 \rfloor + 1 = 112$: `(32, 64, 112, 112)`.
# (b) $64 \cdot (7 \cdot 7 \cdot 3 + 1) = 9\,472$.
# (c) $150\,528$ inputs ($3 \cdot 224^2$) times $802\,816$ outputs ($64 \cdot 112^2$) plus the
# biases: about $1.2 \times 10^{11}$ parameters.
# (d) Depthwise $3 \cdot (49 + 1) = 150$, pointwise $64 \cdot (3 + 1) = 256$: $406$ in all. (With
# only three input channels the saving is modest in absolute terms; it grows with the channel
# count.)
#
# ```python
# net = ll.Sequential(ll.Conv2d(3, 3, 7, stride=2, padding=3, groups=3), ll.Conv2d(3, 64, 1))
# print(net.summary((32, 3, 224, 224)))
# ```
# ````
#
# ```{exercise} Receptive fields — ★★☆ medium
# :label: conv-ex-rf
#
# (a) How many stacked 3×3, stride-1 convolutions does a unit need to see a
# 15×15 patch? (b) With dilations 1, 2, 4? (c) Compare the weights per pair of channels of (a) with
# one 15×15 layer. Check with `viz.conv.receptive_field`.
# ```
#
# ````{solution} conv-ex-rf
# :class: dropdown
#
# (a) Each layer adds 2: $r = 1 + 2L = 15$ gives $L = 7$.
# (b) The layers add $2 \cdot 1$, $2 \cdot 2$, $2 \cdot 4$: $1 + 2 + 4 + 8 = 15$ after three layers.
# (c) $7 \cdot 9 = 63$ weights against $225$.
#
# ```python
# print(viz.conv.receptive_field([(3, 1)] * 7)[-1], viz.conv.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])[-1])
# ```
# ````
#
# ```{exercise} A convolution is a matrix — ★★★ harder
# :label: conv-ex-matrix
#
# A convolution is linear in its input, so for a 4×4 input and a
# 3×3 kernel (no padding) there is a $4 \times 16$ matrix $C$ with
# `y.ravel() == C @ x.ravel()`. Build $C$ (column $m$ is the output for the $m$-th unit input
# image), then show that `C.T @ delta.ravel()` equals `Conv2d.backward(delta)`. This is where the
# name *transposed* convolution comes from.
# ```
#
# ````{solution} conv-ex-matrix
# :class: dropdown
#
# ```python
# conv = ll.Conv2d(1, 1, 3, bias=False, rng=np.random.default_rng(1))
# basis = np.eye(16).reshape(16, 1, 1, 4, 4)                  # 16 unit images
# C = np.stack([conv(e)[0, 0].ravel() for e in basis], axis=1)  # (4, 16)
# x = np.random.default_rng(2).normal(size=(1, 1, 4, 4))
# print(np.allclose(C @ x.ravel(), conv(x).ravel()))           # True
# delta = np.random.default_rng(3).normal(size=(1, 1, 2, 2))
# print(np.allclose(C.T @ delta.ravel(), conv.backward(delta).ravel()))  # True
# ```
#
# Each row of $C$ holds the kernel's nine weights at the positions of one window and zeros
# elsewhere — a sparse matrix whose rows repeat the same numbers, shifted: sparse connections and
# shared weights, written as a matrix.
# ````
#
# ## Summary
#
# * `Conv2d` computes a cross-correlation: each output is a dot product of a kernel with a patch
#   of the (padded) input, summed over all input channels, plus a bias. Deep learning calls it a
#   convolution; since the kernel is learned, the flip does not matter.
# * Weight shape `(C_out, C_in // groups, k, k)`; parameters $C_\text{out}(k^2 C_\text{in}/g + 1)$.
# * $H_\text{out} = \lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1$. The floor silently drops rows
#   that no window reaches; 'same' padding is $p = d(k-1)/2$ at stride 1.
# * Sparse connections and shared weights make convolutions tiny compared with dense layers and
#   equivariant to translation.
# * 1×1 convolutions mix channels; groups and depthwise separable convolutions cut parameters.
# * Receptive fields grow by $d(k-1)$ times the product of earlier strides per layer.
# * Backward: the weight gradient correlates the input with the upstream gradient; the input
#   gradient is a full convolution of the upstream gradient with the flipped kernel — which, as a
#   layer, is the transposed convolution that up-samples.
#
# ## References
#
# ```{footbibliography}
# ```
