# %% [markdown]
# # Checking gradients
#
# Every backward pass in this course is written by hand, so every one can be wrong. This appendix
# explains how `layers_lib` catches those mistakes: comparing the analytic gradient with a
# numerical estimate from **central differences**, and the traps that make such a check pass
# when it should fail, or fail when the code is right.
#
# ```{admonition} What you will learn
# By the end of this appendix you can:
# * estimate a gradient with central differences, and explain why they beat one-sided
#   differences;
# * measure agreement with the *relative* error, choose the step size $h$, and say which errors
#   mean right, suspicious and wrong;
# * recognise three traps — kinks, ties, and all-ones upstream gradients — and build a check
#   that avoids each.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This appendix uses the backward pass of [the linear layer](../linear.ipynb). Its traps use ReLU
# ([activations](../activations.ipynb)), max pooling ([pooling](../pooling.ipynb)) and batch
# normalization ([normalization](../normalization.ipynb)), but can be read before those
# chapters. Reading it takes about 15 minutes.
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
# ## Central differences
#
# A layer's `backward(dy)` must return $\partial L / \partial x$ for the scalar
# $L = \sum_j y_j \, dy_j$, where $y = f(x)$. We can estimate each component by nudging one input
# at a time:
#
# $$
# \frac{\partial L}{\partial x_i} \approx \frac{L(x + h e_i) - L(x - h e_i)}{2h}.
# $$
#
# A Taylor expansion shows the error is $O(h^2)$ — the first-order terms cancel — while the
# one-sided difference $\bigl(L(x + h e_i) - L(x)\bigr)/h$ has error $O(h)$. With $h$ too small,
# rounding error (about $\varepsilon_\text{mach}/h$) takes over, so in float64 $h \approx 10^{-6}$
# is a good compromise. Here is the function that runs in `layers_lib`:

# %%
viz.show_source(ll.numerical_gradient)

# %% [markdown]
# ## Relative error
#
# Absolute differences depend on the scale of the gradient, so we compare with the relative
# error $\max_i |a_i - n_i| / \max(|a_i| + |n_i|, 10^{-8})$ of the analytic gradient $a$ and the
# numerical one $n$: the worst single entry, each measured against its own size. In float64 a
# correct backward pass gives about $10^{-8}$ or less, a wrong one $10^{-2}$ or more; the rule
# for what passes comes below. `ll.check_gradients` checks the input and every parameter:

# %%
layer = ll.Linear(5, 3, rng=rng)
x = rng.normal(size=(4, 5))
for name, err in ll.check_gradients(layer, x).items():
    print(f"{name:>6}: {err:.1e}")

# %% [markdown]
# A deliberately wrong backward pass — here the weight gradient forgets to sum over the batch and
# keeps only the first example — is caught at once:

# %%
class BrokenLinear(ll.Linear):
    """Wrong on purpose: the weight gradient uses only the first example of the batch."""

    def forward(self, x):
        self._x = x
        return super().forward(x)

    def backward(self, dy):
        dx = super().backward(dy)
        self.weight.grad = dy[:1].T @ self._x[:1]
        return dx


broken = BrokenLinear(5, 3, rng=np.random.default_rng(0))
for name, err in ll.check_gradients(broken, x).items():
    print(f"{name:>6}: {err:.1e}")

# %% [markdown]
# ## Tiny gradients, and the scaled error
#
# The elementwise relative error has one weak spot: entries whose true gradient is nearly zero.
# Central differences have an *absolute* error — rounding in $L(x \pm h e_i)$, about
# $\varepsilon_\text{mach} |L| / h$ — that does not shrink with the entry. On an entry of
# $10^{-8}$ that noise is a relative error of a percent, although the backward pass is right.
# Such entries are common: saturated sigmoid and tanh units ($\sigma'(15) \approx 3 \times
# 10^{-7}$), a peaked softmax, recurrent weights far from the loss, the first layers of a deep
# stack. For them `layers_lib` has a second measure, `ll.scaled_error`: the largest difference
# measured against the **largest entry of the whole gradient**, $\max_i |a_i - n_i| / \max_i
# |n_i|$:

# %%
viz.show_source(ll.scaled_error)

# %% [markdown]
# A correct sigmoid layer with four saturated inputs fails the relative error and passes the
# scaled one; on inputs without saturated units it passes both:

# %%
sigmoid = ll.Sigmoid()
x_sat = rng.normal(size=(3, 4))
x_sat[0] = [14.0, -15.0, 16.0, -17.0]                 # four saturated units: sigma' below 1e-6
for name, inputs in (("saturated inputs", x_sat), ("inputs ~ N(0, 1)", rng.normal(size=(3, 4)))):
    rel = ll.check_gradients(sigmoid, inputs)["input"]
    scaled = ll.check_gradients(sigmoid, inputs, error=ll.scaled_error)["input"]
    print(f"{name:<17} rel_error {rel:.1e}   scaled_error {scaled:.1e}")

# %% [markdown]
# The scaled error has its own blind spot: an error confined to the tiny entries barely moves it.
# So it is the second measure, not the first.
#
# ```{admonition} The rule used in every chapter
# :class: important
# In float64, with $h = 10^{-6}$, continuous random inputs and random upstream gradients:
#
# 1. A gradient **passes** when its `rel_error` is below $10^{-6}$. Correct layers usually give
#    $10^{-8}$ to $10^{-10}$.
# 2. If it is above $10^{-6}$ and the gradient has entries many orders of magnitude below its
#    largest (saturated units, states far from the loss), the `scaled_error` decides, against the
#    **same** $10^{-6}$: below it, the backward pass is right wherever the gradient is not tiny.
#    Check the tiny entries again on inputs where they are not tiny.
# 3. Anything else is a bug to find. Around $10^{-2}$ and above it is almost always a wrong
#    formula; in between, suspect a kink or a tie first (the traps below).
#
# Every gradient check in the chapters applies this rule.
# ```

# %% [markdown]
# ## How the step size matters
#
# The error of the estimate first falls as $h^2$, then rises again as rounding error grows like
# $1/h$. The sweet spot in float64 is near $h = 10^{-5}$ to $10^{-6}$:

# %% mystnb={"image": {"alt": "Log-log plot of the gradient-check relative error against the step size h, for central and one-sided differences on a tanh layer: the central-difference error falls with slope two until about 1e-5 and then rises; the one-sided error falls with slope one."}}
tanh = ll.Tanh()
x = rng.normal(size=(3, 4))
dy = rng.normal(size=(3, 4))
tanh(x)
exact = tanh.backward(dy)
steps = np.logspace(-12, -1, 23)
central, forward = [], []
for h in steps:
    central.append(ll.rel_error(exact, ll.numerical_gradient(lambda: np.sum(tanh(x) * dy), x, eps=h)))
    base = np.sum(np.tanh(x) * dy)
    one_sided = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        one_sided[i] = (np.sum(np.tanh(x) * dy) - base) / h
        x[i] -= h
    forward.append(ll.rel_error(exact, one_sided))
viz.plot_curves({"central difference": np.array(central), "one-sided difference": np.array(forward)},
                x=steps, xlabel="step size h", ylabel="relative error", logx=True, logy=True,
                title="Gradient-check error against the step size (tanh, float64)");

# %% [markdown]
# ## Trap 1: kinks
#
# ReLU has a kink at 0: its derivative jumps from 0 to 1. If an input lies within $h$ of the
# kink, the two evaluations straddle it and the estimate is wrong even though the backward pass
# is right. Continuous random inputs almost never land there; hand-made inputs such as integers
# or exact zeros do:

# %%
relu = ll.ReLU()
print("random inputs:  ", f"{ll.check_gradients(relu, rng.normal(size=(4, 4)))['input']:.1e}")
print("input with 0.0: ", f"{ll.check_gradients(relu, np.array([[0.0, 1.0, -1.0, 2.0]]))['input']:.1e}")

# %% [markdown]
# ## Trap 2: ties
#
# Max pooling sends the gradient to the arg-max of each window. When two values in a window are
# equal, nudging either one changes which is the maximum, so the numerical gradient splits
# between them ($0.5$ each) while the analytic one (PyTorch's rule: the first maximum) puts it
# all on one. Test with continuous random data, and test ties separately against PyTorch's rule:

# %%
pool = ll.MaxPool2d(2)
tied = np.array([[[[1.0, 1.0], [0.0, 0.5]]]])
print("random input: ", f"{ll.check_gradients(pool, rng.normal(size=(1, 1, 4, 4)))['input']:.1e}")
print("tied maximum: ", f"{ll.check_gradients(pool, tied, dy=np.ones((1, 1, 1, 1)))['input']:.1e}")

# %% [markdown]
# ## Trap 3: all-ones upstream gradients
#
# With $dy = \mathbf{1}$ the check only tests $\partial \sum_j y_j / \partial x$. For batch
# normalization that is **zero**: each feature's normalised outputs sum to $N\beta$ whatever the
# input. The correct input gradient (derived in the normalization chapter) is
#
# $$
# \frac{\partial L}{\partial x} = \frac{\gamma}{\sqrt{\sigma_B^2 + \epsilon}}
# \Bigl(dy - \overline{dy} - \hat{x}\,\overline{dy \odot \hat{x}}\Bigr),
# $$
#
# where the bars are means over the batch. Forget the last term — the path through the
# variance — and with $dy = \mathbf{1}$ nothing changes, because both $dy - \overline{dy}$ and
# $\overline{\hat{x}}$ are zero. The check cannot tell the bug apart; with a random $dy$ it fails:

# %%
class ForgotVarianceTerm(ll.BatchNorm1d):
    """Wrong on purpose: drops the term that flows through the batch variance."""

    def forward(self, x):
        self._x = x
        return super().forward(x)

    def backward(self, dy):
        super().backward(dy)  # the parameter gradients stay right
        std = np.sqrt(self._x.var(axis=0) + self.eps)
        return self.weight.data / std * (dy - dy.mean(axis=0))


buggy = ForgotVarianceTerm(3)
x = rng.normal(size=(6, 3))
ones = np.ones((6, 3))
buggy(x)
analytic = buggy.backward(ones)
numerical = ll.numerical_gradient(lambda: np.sum(buggy(x) * ones), x)
print("dy = ones:   the buggy dx and the numerical dx are both zero up to rounding:",
      np.abs(analytic).max() < 1e-8 and np.abs(numerical).max() < 1e-8)
print(f"dy = random: input error {ll.check_gradients(buggy, x)['input']:.1e}")

# %% [markdown]
# That is why every test in this project uses random, seeded upstream gradients.
#
# ## Summary
#
# * Central differences estimate a gradient with $O(h^2)$ error; use $h \approx 10^{-6}$ in float64.
# * Compare with the relative error: below $10^{-6}$ passes, and a correct layer usually gives
#   $10^{-8}$ or less. Where true gradient entries are nearly zero, the scaled error (against the
#   gradient's largest entry) decides, against the same $10^{-6}$.
# * Use continuous random inputs (kinks, ties) and random upstream gradients (never all ones).
# * `ll.check_gradients(layer, x)` checks the input and every parameter of a layer at once.
