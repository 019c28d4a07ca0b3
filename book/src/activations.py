# %% [markdown]
# # Activation layers
#
# The previous chapter ended with a warning: linear layers stacked directly on top of each other
# collapse into a single linear layer. An **activation function**, applied elementwise between
# them, is what breaks the collapse and lets depth buy expressive power. The choice matters for
# more than expressiveness: it decides whether gradients survive the trip back through twenty
# layers, whether units can die during training, and whether the arithmetic overflows.
#
# ```{admonition} What you will learn
# By the end of this chapter you can:
# * compute ReLU, LeakyReLU, sigmoid, tanh and GELU (exact and tanh-approximated) and the
#   derivative of each, with PyTorch's conventions for them;
# * explain why sigmoid stacks suffer from **vanishing gradients**, measure it layer by layer in a
#   20-layer network, and say how the initialisation enters;
# * recognise a **dead ReLU**, and predict how a too-large learning rate kills most of a small
#   network;
# * implement a **softmax** that stays finite (the max-subtraction trick), write its Jacobian, and
#   derive why softmax followed by cross-entropy has the gradient $p - y$;
# * compare the decision regions a small classifier draws with each activation;
# * pick from the wider family — ELU, CELU, SELU, Softplus, SiLU, Mish, Hardsigmoid, Hardswish
#   and the learnable PReLU — knowing where each is used and which initialisation suits it.
# ```
#
# ```{admonition} Before you start
# :class: tip
# This chapter builds on [the linear layer](linear.ipynb): `Linear`, `Sequential`, the backward
# pass, and why linear layers stacked directly collapse into one. You need the chain rule.
# Reading it and doing the exercises takes about 75 minutes.
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
# ## The picture
#
# Every activation here is applied to each number on its own: the output has the input's shape,
# and there are no parameters. Here are the five elementwise ones (LeakyReLU with slope 0.1 so
# that the slope is visible; PyTorch's default is 0.01) and their derivatives — the factor
# by which each multiplies the gradient on the way back:

# %% mystnb={"image": {"alt": "Two panels. Left: ReLU, LeakyReLU, sigmoid, tanh and GELU on the interval from -4 to 4; sigmoid goes from 0 to 1, tanh from -1 to 1, ReLU and GELU are near zero for negative inputs and follow the identity for positive ones. Right: their derivatives; sigmoid's peaks at 0.25, tanh's at 1, ReLU's jumps from 0 to 1 at zero, GELU's dips slightly below zero and overshoots 1."}}
xs = np.linspace(-4, 4, 401)
viz.plot_functions(xs, {
    "ReLU": (ll.relu, ll.relu_derivative),
    "LeakyReLU(0.1)": (lambda x: ll.leaky_relu(x, 0.1),
                       lambda x: ll.leaky_relu_derivative(x, 0.1)),
    "sigmoid": (ll.sigmoid, ll.sigmoid_derivative),
    "tanh": (ll.tanh, ll.tanh_derivative),
    "GELU": (ll.gelu, ll.gelu_derivative),
}, title="Activation functions (left) and their derivatives (right)");

# %% [markdown]
# Two families are visible. The **sigmoidal** functions, sigmoid and tanh, squash every input
# into a bounded interval: far from zero they are flat, they *saturate*, and their derivative is
# almost zero. The **rectifiers**, ReLU and its relatives, are the identity for positive inputs —
# derivative exactly 1, however large the input — and (nearly) zero for negative ones.
#
# In a network an activation usually follows a linear layer, so unit $i$ computes
# $f(w_i \cdot x + b_i)$. The weights set the direction in input space along which the unit
# changes, and the **bias shifts the activation** along it — a ReLU unit switches on where
# $w_i \cdot x = -b_i$, a sigmoid unit crosses $\tfrac12$ there. Without biases every bend would
# have to pass through the origin.
#
# ## The math
#
# | layer | $f(x)$ | $f'(x)$ |
# |---|---|---|
# | `ReLU()` {footcite}`nair2010rectified` | $\max(0, x)$ | $1$ if $x > 0$, else $0$ |
# | `LeakyReLU(α)` {footcite}`maas2013rectifier` | $x$ if $x > 0$, else $\alpha x$ | $1$ if $x > 0$, else $\alpha$ |
# | `Sigmoid()` | $\sigma(x) = 1 / (1 + e^{-x})$ | $\sigma(x)\,(1 - \sigma(x)) \le \tfrac14$ |
# | `Tanh()` | $\tanh x = 2\sigma(2x) - 1$ | $1 - \tanh^2 x \le 1$ |
# | `GELU()` {footcite}`hendrycks2016gelu` | $x\,\Phi(x)$ | $\Phi(x) + x\,\varphi(x)$ |
#
# Here $\alpha$ is PyTorch's `negative_slope` (default 0.01), and $\Phi(x) = \tfrac12\bigl(1 +
# \operatorname{erf}(x/\sqrt2)\bigr)$ and $\varphi$ are the standard normal distribution function
# and density. `GELU(approximate='tanh')` replaces $\Phi$ by a cheaper curve of the same shape:
#
# $$
# \mathrm{GELU}_{\tanh}(x) = \frac{x}{2}\Bigl(1 + \tanh\Bigl(\sqrt{2/\pi}\,\bigl(x + 0.044715\,x^3\bigr)\Bigr)\Bigr).
# $$
#
# A few facts worth keeping:
#
# * ReLU has no derivative at $0$; PyTorch (and `layers_lib`) use $0$ there. With continuous
#   inputs the kink is hit with probability zero, so the choice rarely matters.
# * The sigmoid's derivative is at most $\tfrac14$: on its way back through a sigmoid, each unit's
#   gradient is multiplied by $\tfrac14$ or less. That does not fix the factor of a whole layer —
#   the weight matrix $W^\top$ that the gradient meets next can amplify it again — but weights
#   large enough to make up for $\tfrac14$ push the units into the flat tails, where $\sigma'$ is
#   far smaller; the 20-layer measurement below shows the net effect. Tanh is a rescaled sigmoid, $\tanh x = 2\sigma(2x) - 1$, but centred
#   on zero and with slope 1 at the origin, which is why it trains better as a hidden activation
#   {footcite}`lecun1998efficient,glorot2010understanding`.
# * GELU weights its input by the probability that a standard normal variable lies below it. It
#   is smooth, and not monotonic: its minimum is about $-0.17$ near $x \approx -0.75$. PyTorch's
#   default is the exact form (`approximate='none'`); the tanh form, proposed in the same paper
#   as a cheaper approximation, is the one GPT-2 and the original BERT used.
#
# ## The code that runs
#
# The pure functions are one-liners — with one subtlety. The textbook sigmoid
# `1 / (1 + np.exp(-x))` overflows for large negative `x` (`np.exp(1000)` is `inf`, with a
# warning), so `layers_lib` never exponentiates a positive number:

# %%
viz.show_source(ll.sigmoid)

# %% [markdown]
# The layers cache what their backward pass needs and multiply the upstream gradient by the
# derivative (the chain rule, elementwise). The sigmoid layer caches its *output* $y$, because the
# derivative is cheapest as $y(1 - y)$; ReLU caches only the mask $x > 0$:

# %%
viz.show_source(ll.Sigmoid)

# %%
viz.show_source(ll.ReLU)

# %% [markdown]
# Every backward pass is checked against central differences (on continuous random inputs, so no
# input sits on ReLU's kink):

# %%
x = rng.normal(size=(4, 5))
for layer in [ll.ReLU(), ll.LeakyReLU(), ll.Sigmoid(), ll.Tanh(), ll.GELU(),
              ll.GELU(approximate="tanh"), ll.Softmax(dim=-1), ll.LogSoftmax(dim=-1)]:
    err = ll.check_gradients(layer, x)["input"]
    print(f"{layer!r:<31} gradient check: {'ok' if err < 1e-6 else f'FAILED ({err:.1e})'}")

# %% [markdown]
# And the two GELUs differ by less than $5 \times 10^{-4}$ anywhere:

# %%
grid = np.linspace(-8, 8, 16001)
gap = np.abs(ll.gelu(grid) - ll.gelu(grid, approximate="tanh"))
values = ll.gelu(grid)
print(f"largest |exact - tanh form| = {gap.max():.1e} at x = {grid[gap.argmax()]:.2f}")
print(f"minimum of GELU: {values.min():.4f} at x = {grid[values.argmin()]:.2f}")

# %% [markdown]
# ## Saturation and vanishing gradients
#
# Backpropagation multiplies, layer after layer, by the transposed weight matrix and by the
# activation's derivative. If each layer shrinks the gradient by a factor, twenty layers shrink it
# by that factor to the twentieth power {footcite}`bengio1994learning,glorot2010understanding`.
# Let us measure it. We build a stack of 20 `Linear(64, 64)` layers, each followed by the same
# activation, push a batch of 128 random inputs through, send a random gradient back from the top,
# and record the norm of each layer's weight gradient $\|\partial L/\partial W_\ell\|$.
#
# How the weights are initialised enters just as much as the activation, so we try two schemes:
# one matched to each activation — Glorot's $\mathcal{N}(0, 1/64)$ for sigmoid and tanh
# {footcite}`glorot2010understanding`, He's $\mathcal{N}(0, 2/64)$ for ReLU, which makes up for
# ReLU zeroing half its inputs {footcite}`he2015delving` — and PyTorch's default for `nn.Linear`,
# $\mathcal{U}(\pm 1/\sqrt{64})$, whose variance $1/(3 \cdot 64)$ is a third of Glorot's.

# %%
def deep_stack(activation, std=None, depth=20, width=64, seed=1):
    """`depth` times Linear(width, width) + activation. With `std`, weights are drawn from
    N(0, std²) and biases are zero; without, PyTorch's default initialisation is kept."""
    r = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        linear = ll.Linear(width, width, rng=r)
        if std is not None:
            linear.weight.data = r.normal(0.0, std, size=(width, width))
            linear.bias.data[:] = 0.0
        layers += [linear, activation()]
    return ll.Sequential(*layers)


def weight_grad_norms(net, x, seed=2):
    """Norm of each Linear layer's weight gradient after one backward pass of random dy."""
    y = net(x)
    net.zero_grad()
    net.backward(np.random.default_rng(seed).normal(size=y.shape))
    linears = [m for m in net if isinstance(m, ll.Linear)]
    return np.array([np.linalg.norm(m.weight.grad) for m in linears])


inputs = rng.normal(size=(128, 64))
glorot, he = np.sqrt(1 / 64), np.sqrt(2 / 64)
matched = {"sigmoid": weight_grad_norms(deep_stack(ll.Sigmoid, glorot), inputs),
           "tanh": weight_grad_norms(deep_stack(ll.Tanh, glorot), inputs),
           "ReLU": weight_grad_norms(deep_stack(ll.ReLU, he), inputs)}
default = {name: weight_grad_norms(deep_stack(act), inputs)
           for name, act in [("sigmoid", ll.Sigmoid), ("tanh", ll.Tanh), ("ReLU", ll.ReLU)]}
print("gradient norm, layer 1 / layer 20:   sigmoid    tanh    ReLU")
for label, norms in [("matched initialisation", matched), ("PyTorch's default", default)]:
    print(f"  {label:<34}" + "  ".join(f"{v[0] / v[-1]:6.0e}" for v in norms.values()))

# %% mystnb={"image": {"alt": "Two panels with a logarithmic y-axis showing the weight-gradient norm of each of 20 layers. Left, with Glorot or He initialisation: the sigmoid curve rises by about twelve orders of magnitude from layer 1 to layer 20, while tanh and ReLU stay flat. Right, with PyTorch's default initialisation, all three curves fall towards the input: sigmoid by about sixteen orders of magnitude, tanh and ReLU by four to six."}}
viz.activations.plot_layer_norms(
    {"Glorot init (sigmoid, tanh), He init (ReLU)": matched,
     "PyTorch's default init": default},
    title="Weight-gradient norm at each layer of a 20-layer network");

# %% [markdown]
# Read the left panel from right to left, the way the gradient travels. With the sigmoid, the
# first layer's gradient is about $2 \times 10^{-12}$ times the last layer's: its weights will not
# move. Each sigmoid layer multiplies by $\sigma' \le \tfrac14$, and no sensible weight scale makes
# up for it, because larger weights push the inputs into the flat, saturated tails where
# $\sigma'$ is even smaller. Tanh (slope 1 at the origin) and ReLU (slope exactly 1 on its active
# half) keep the gradient at the same scale through all twenty layers — *if* the weights are
# scaled for them.
#
# The right panel shows why that condition matters: with PyTorch's default initialisation every
# layer shrinks the signal, and even ReLU loses several orders of magnitude over twenty layers.
# The default is a safe choice for shallow networks, not a recipe for deep plain stacks; deep
# networks combine rectifiers with careful initialisation, normalisation layers and residual
# connections.
#
# ## Dead ReLUs
#
# A ReLU unit whose pre-activation is negative for **every** training example outputs 0 for all
# of them — and, since $\mathrm{ReLU}'(z) = 0$ there, its incoming weights and bias receive exactly
# zero gradient. Nothing in the gradient can bring it back. Such a unit is *dead*. (A unit in a
# later layer can revive if the layers before it change; a unit of the first layer, whose inputs
# are the fixed data, cannot.)
#
# A large gradient step is the usual killer: one update can push a unit's bias so far down that it
# never fires again. We train the same small network — two hidden layers of 32 ReLU units on the
# two-moons data — with plain SGD at a reasonable and at a too-large learning rate, and count
# after each epoch the fraction of the 64 hidden units that are dead on the whole dataset.

# %%
from sklearn.datasets import make_moons

X, y = make_moons(n_samples=200, noise=0.25, random_state=0)


def mlp(activation, width, seed=0):
    """Linear(2, width), activation, Linear(width, width), activation, Linear(width, 2)."""
    r = np.random.default_rng(seed)
    return ll.Sequential(ll.Linear(2, width, rng=r), activation(),
                         ll.Linear(width, width, rng=r), activation(),
                         ll.Linear(width, 2, rng=r))


def dead_fraction(net, X):
    """Fraction of hidden units whose pre-activation is <= 0 on every example of X."""
    z1 = net[0](X)
    z2 = net[2](net[1](z1))
    return np.mean(np.concatenate([np.all(z1 <= 0, axis=0), np.all(z2 <= 0, axis=0)]))


def train_sgd(lr, activation=ll.ReLU, epochs=30, batch=20, seed=0):
    """Minibatch SGD on the moons: the dead fraction after each epoch, and the accuracy."""
    net, r = mlp(activation, 32, seed), np.random.default_rng(seed)
    opt, crit = ll.SGD(net.parameters(), lr=lr), ll.CrossEntropyLoss()
    dead = [dead_fraction(net, X)]
    for _ in range(epochs):
        order = r.permutation(len(X))
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            crit(net(X[idx]), y[idx])
            opt.zero_grad()
            net.backward(crit.backward())
            opt.step()
        dead.append(dead_fraction(net, X))
    return np.array(dead), np.mean(net(X).argmax(axis=1) == y)


runs = {f"lr = {lr}": train_sgd(lr) for lr in (0.5, 5.0)}
for name, (dead, accuracy) in runs.items():
    print(f"{name}: dead units at start {dead[0]:.0%}, after 30 epochs {dead[-1]:.0%}; "
          f"training accuracy {accuracy:.0%}")

# %% mystnb={"image": {"alt": "Line plot of the fraction of dead ReLU units against the training epoch, 0 to 30. With learning rate 0.5 it stays near 9 percent; with learning rate 5 it jumps to about 70 percent after the first epoch and stays at 80 percent from the third epoch on."}}
viz.plot_curves({name: dead for name, (dead, _) in runs.items()}, x=np.arange(31),
                xlabel="epoch", ylabel="fraction of dead hidden units", markers=True,
                title="Dead ReLU units during training (SGD, two-moons data)");

# %% [markdown]
# Even before training some units are dead: with random weights, a few first-layer units have
# the whole two-dimensional dataset on their negative side. At the sensible learning rate the
# fraction stays there. At the too-large one, the first epoch kills more than two thirds of the
# hidden units, and after three epochs 80 % are dead for good; the network ends up predicting one
# class for everything — chance accuracy on this balanced dataset. LeakyReLU
# {footcite}`maas2013rectifier` keeps a small slope for negative inputs so that such units still
# receive a gradient (an exercise below tries it); smaller learning rates, Adam, and careful
# initialisation help too.
#
# ## Softmax
#
# The softmax turns a vector of scores (*logits*) $z \in \mathbb{R}^C$ into a probability
# distribution over $C$ classes {footcite}`bridle1990probabilistic`:
#
# $$
# p_i = \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{C} e^{z_j}} .
# $$
#
# Unlike the activations above it is **not elementwise**: every output depends on every input of
# its row, so PyTorch makes you say along which dimension to normalise — `nn.Softmax(dim=1)` for
# logits of shape `(N, C)`.
#
# ### Numerical stability: subtract the maximum
#
# `np.exp` overflows to `inf` above about $709.78$ and underflows to $0$ below about $-745$. The
# textbook formula therefore fails for large logits: $e^{1000} = \infty$, and
# $\infty / \infty$ is `nan`. The fix costs one line. Adding the same constant $c$ to every logit
# changes nothing,
#
# $$
# \frac{e^{z_i - c}}{\sum_j e^{z_j - c}} = \frac{e^{-c}\, e^{z_i}}{e^{-c} \sum_j e^{z_j}} = p_i ,
# $$
#
# and with $c = \max_j z_j$ every exponent is $\le 0$ (no overflow) and the largest term is
# $e^0 = 1$ (the denominator is at least 1, so no division by zero). NumPy would print
# `RuntimeWarning`s for the naive version; we silence them with `np.errstate` to show the result.

# %%
logits = np.array([1000.0, 0.0, -1000.0])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(logits) / np.exp(logits).sum()
    naive_low = np.exp(logits - 2000) / np.exp(logits - 2000).sum()   # all very negative
print("naive softmax of [1000, 0, -1000]:      ", naive)
print("naive softmax of [-1000, -2000, -3000]: ", naive_low)
shifted = logits - logits.max()
print("shifted by the max:                     ", np.exp(shifted) / np.exp(shifted).sum())
print("ll.softmax (same trick):                ", ll.softmax(logits))

# %% [markdown]
# Here is the function that runs:

# %%
viz.show_source(ll.softmax)

# %% [markdown]
# Probabilities can still underflow: the last two above are exactly 0. Their logarithms — which
# the cross-entropy loss needs — would be $-\infty$. So `log_softmax` is computed directly, with
# the same shift (the *log-sum-exp trick*):
# $\log p_i = (z_i - c) - \log \sum_j e^{z_j - c}$.

# %%
with np.errstate(divide="ignore"):
    print("np.log(softmax(z)):", np.log(ll.softmax(logits)))
print("ll.log_softmax(z): ", ll.log_softmax(logits))

# %% [markdown]
# ### The Jacobian of softmax
#
# Differentiate $p_i = e^{z_i} / S$ with $S = \sum_k e^{z_k}$. The quotient rule gives
# $\partial p_i / \partial z_j = p_i\,\delta_{ij} - p_i p_j$, that is
#
# $$
# J = \frac{\partial p}{\partial z} = \operatorname{diag}(p) - p\,p^\top .
# $$
#
# Raising a logit raises its own probability (positive diagonal) and lowers all the others
# (negative off-diagonal); each row and column sums to zero because the probabilities always sum
# to one.

# %% mystnb={"image": {"alt": "Left: bar chart of the softmax probabilities 0.66, 0.24 and 0.10 of the logits 2, 1 and 0.1. Right: the 3 by 3 Jacobian as an annotated grey heat map, positive on the diagonal (0.225, 0.184, 0.089) and negative off the diagonal."}}
viz.activations.plot_softmax_jacobian([2.0, 1.0, 0.1]);

# %% [markdown]
# The backward pass never builds $J$ (which would be $C \times C$ per example). Since $J$ is
# symmetric, $\mathrm{d}z = J\,\mathrm{d}p = p \odot \bigl(\mathrm{d}p - (p \cdot \mathrm{d}p)\bigr)$,
# which costs $O(C)$:

# %%
viz.show_source(ll.softmax_backward)

# %%
z = np.array([2.0, 1.0, 0.1])
p = ll.softmax(z)
# row i of the Jacobian is the gradient of p_i, estimated by central differences
numeric = np.stack([ll.numerical_gradient(lambda i=i: ll.softmax(z)[i], z) for i in range(3)])
formula = np.diag(p) - np.outer(p, p)
print("diag(p) - p pᵀ matches central differences:", np.allclose(formula, numeric))

# %% [markdown]
# ### Softmax and cross-entropy: the gradient is $p - y$
#
# For a classifier with logits $z$ and true class $t$, the cross-entropy loss is
# $L = -\log p_t = -z_t + \log \sum_k e^{z_k}$. Differentiating the right-hand form,
#
# $$
# \frac{\partial L}{\partial z_j} = -\delta_{jt} + \frac{e^{z_j}}{\sum_k e^{z_k}} = p_j - y_j ,
# $$
#
# with $y$ the one-hot vector of the target. The full Jacobian, multiplied by the loss's
# gradient $-y/p$ with respect to the probabilities, collapses to "predicted minus true" — an
# error signal that is bounded, never divides by a tiny probability, and vanishes exactly when the
# prediction is right. This is why PyTorch's `CrossEntropyLoss` (and `ll.CrossEntropyLoss`) takes
# **logits** and applies `log_softmax` internally. Averaged over a batch of $N$, the gradient is
# $(p - y)/N$. Three routes to it agree:

# %%
logits = rng.normal(size=(4, 3))
targets = np.array([0, 2, 1, 2])
onehot = np.eye(3)[targets]
crit = ll.CrossEntropyLoss()
crit(logits, targets)
direct = crit.backward()                          # the loss's own backward pass
softmax_layer = ll.Softmax(dim=1)
probs = softmax_layer(logits)
through_jacobian = softmax_layer.backward(-onehot / (4 * probs))   # J times dL/dp
print("CrossEntropyLoss.backward == (p - y)/N:", np.allclose(direct, (probs - onehot) / 4))
print("Softmax Jacobian applied to -y/(N p):  ", np.allclose(through_jacobian, direct))

# %% [markdown]
# ## Decision regions under each activation
#
# How does the activation show up in what a network *computes*? We train the same tiny
# classifier — two hidden layers of 8 units — on the two-moons data with each activation, using
# Adam (learning rate 0.02, full batch, identical initial weights) {footcite}`kingma2015adam`, and
# keep snapshots along the way. The shade gives the predicted probability of class 1 (rings are
# the class 0 points, dots class 1); the orange line is the decision boundary. Look for the ReLU network's straight edges and corners: a ReLU
# network is a *piecewise linear* function, while sigmoid, tanh and GELU bend smoothly. Compare the
# sigmoid network at 20 steps with the others, too.

# %%
activations = {"ReLU": ll.ReLU, "LeakyReLU": ll.LeakyReLU, "tanh": ll.Tanh,
               "sigmoid": ll.Sigmoid, "GELU": ll.GELU}
checkpoints = [0, 20, 100, 500]


def train_adam(activation, width=8, lr=0.02):
    """Full-batch Adam on the moons: {step: (a frozen copy of the net, loss, accuracy)}."""
    net, crit = mlp(activation, width), ll.CrossEntropyLoss()
    opt = ll.Adam(net.parameters(), lr=lr)
    saved = {}
    for step in range(checkpoints[-1] + 1):
        loss = crit(net(X), y)
        if step in checkpoints:
            frozen = mlp(activation, width)
            for mine, theirs in zip(frozen.parameters(), net.parameters(), strict=True):
                mine.data = theirs.data.copy()
            saved[step] = (frozen, loss, np.mean(frozen(X).argmax(axis=1) == y))
        opt.zero_grad()
        net.backward(crit.backward())
        opt.step()
    return saved


trained = {name: train_adam(act) for name, act in activations.items()}
for name, saved in trained.items():
    print(f"{name:>9}: " + ", ".join(f"step {s} loss {saved[s][1]:.2f}"
                                     for s in checkpoints))

# %%
def regions(activation, steps):
    net = trained[activation][steps][0]
    return viz.activations.decision_regions_frame(
        lambda points: ll.softmax(net(points), dim=1)[:, 1], X, y,
        title=f"{activation} network after {steps} Adam steps")


def regions_readout(activation, steps):
    _, loss, accuracy = trained[activation][steps]
    return (f"<b>{activation}</b>, {steps} Adam steps: training loss {loss:.2f}, "
            f"training accuracy {accuracy:.0%}")


def regions_alt(activation, steps):
    _, loss, accuracy = trained[activation][steps]
    return (f"Two-moons data with the decision regions of a small {activation} network "
            f"after {steps} Adam steps, shaded by the predicted probability of class 1; "
            f"training accuracy {accuracy:.0%}.")


viz.explore(regions, {"activation": list(activations), "steps": checkpoints},
            readout=regions_readout, alt=regions_alt,
            initial={"activation": "ReLU", "steps": 500},
            title="Decision regions of a 2-8-8-2 network by activation and training step")

# %% [markdown]
# ## The wider family
#
# PyTorch offers more activations than the five above, and today's architectures use several of
# them. Most are variations on three themes: **smooth** ReLU's corner and let negative inputs
# through a little (ELU, CELU, SELU, Softplus, SiLU, Mish), build a smooth shape **cheaply** from
# linear pieces (Hardsigmoid, Hardswish), or **learn** the negative slope (PReLU). `layers_lib`
# has each of them with PyTorch's name, arguments and defaults, and, like every layer here, the
# tests check its forward and backward passes against PyTorch to $10^{-8}$. Each panel shows one
# function (solid), its derivative (dashed) and ReLU (dotted) for comparison:

# %% mystnb={"image": {"alt": "Nine small panels on shared axes from x = -4 to 4, each with a function, its derivative and ReLU as a dotted reference. ELU, CELU with alpha 2 and SELU follow a straight line for positive x and bend smoothly to a negative floor (-1, -2 and about -1.76); SELU's line is slightly steeper than ReLU's, and its derivative jumps from about 1.76 to 1.05 at zero. Softplus is a smooth ReLU that stays above it, with a sigmoid-shaped derivative. SiLU and Mish dip slightly below zero near x = -1 and approach the identity; their derivatives overshoot 1. Hardsigmoid is a ramp from 0 at -3 to 1 at 3. Hardswish is zero below -3, a parabola between -3 and 3 and the identity above. PReLU is the identity for positive x and a line of slope 0.25 for negative x."}}
xs = np.linspace(-4, 4, 401)
family = {
    "ELU": (ll.elu, ll.elu_derivative),
    "CELU(alpha=2)": (lambda x: ll.celu(x, 2.0), lambda x: ll.celu_derivative(x, 2.0)),
    "SELU": (ll.selu, ll.selu_derivative),
    "Softplus": (ll.softplus, ll.softplus_derivative),
    "SiLU (Swish)": (ll.silu, ll.silu_derivative),
    "Mish": (ll.mish, ll.mish_derivative),
    "Hardsigmoid": (ll.hardsigmoid, ll.hardsigmoid_derivative),
    "Hardswish": (ll.hardswish, ll.hardswish_derivative),
    "PReLU (slope 0.25)": (lambda x: ll.prelu(x, np.array([0.25])),
                           lambda x: np.where(x > 0, 1.0, 0.25)),
}
viz.activations.plot_function_panels(xs, family, ncols=3, reference=("ReLU", ll.relu),
                                     title="The wider family: f (solid), f′ (dashed), ReLU (dotted)");

# %% [markdown]
# | layer | $f(x)$ | $f'(x)$ | known for | usual initialisation |
# |---|---|---|---|---|
# | `ELU(alpha=1.0)` {footcite}`clevert2016fast` | $x$ if $x > 0$, else $\alpha(e^x - 1)$ | $1$ if $x > 0$, else $\alpha e^x$ | negative outputs, saturating at $-\alpha$, that pull the mean activation towards zero | He |
# | `CELU(alpha=1.0)` {footcite}`barron2017continuously` | $x$ if $x > 0$, else $\alpha(e^{x/\alpha} - 1)$ | $1$ if $x > 0$, else $e^{x/\alpha}$ | ELU with slope 1 on both sides of 0 for every $\alpha$ (it is ELU when $\alpha = 1$) | He |
# | `SELU()` {footcite}`klambauer2017self` | $\lambda x$ if $x > 0$, else $\lambda\alpha(e^x - 1)$ | $\lambda$ if $x > 0$, else $\lambda\alpha e^x$ | self-normalising networks: $\lambda \approx 1.0507$ and $\alpha \approx 1.6733$ keep mean 0 and variance 1 | LeCun normal, $\mathcal{N}(0, 1/\mathrm{fan_{in}})$ |
# | `Softplus(beta=1.0, threshold=20.0)` {footcite}`dugas2001incorporating` | $\frac{1}{\beta}\log(1 + e^{\beta x})$, and $x$ where $\beta x > \mathrm{threshold}$ | $\sigma(\beta x)$, and $1$ where $\beta x > \mathrm{threshold}$ | a smooth ReLU that is always positive: a way to make an output positive; part of Mish | rarely a hidden activation |
# | `SiLU()` {footcite}`hendrycks2016gelu,elfwing2018sigmoid,ramachandran2017searching` | $x\,\sigma(x)$ | $\sigma(x)\bigl(1 + x(1 - \sigma(x))\bigr)$ | also called Swish; EfficientNet {footcite}`tan2019efficientnet` and many other modern networks | He |
# | `Mish()` {footcite}`misra2019mish` | $x\tanh\bigl(\operatorname{softplus}(x)\bigr)$ | $t + x\,\sigma(x)(1 - t^2)$ with $t = \tanh(\operatorname{softplus}(x))$ | the backbone of YOLOv4 {footcite}`bochkovskiy2020yolov4` | He |
# | `Hardsigmoid()` {footcite}`howard2019searching` | $\operatorname{ReLU6}(x + 3)/6$ | $\tfrac16$ if $-3 < x < 3$, else $0$ | a cheap sigmoid: the gates of MobileNetV3's squeeze-and-excitation blocks | as for sigmoid (Glorot) |
# | `Hardswish()` {footcite}`howard2019searching` | $x\operatorname{ReLU6}(x + 3)/6$ | $0$ if $x \le -3$, $\tfrac{x}{3} + \tfrac12$ if $-3 < x < 3$, $1$ if $x \ge 3$ | a cheap SiLU, used in MobileNetV3 alongside ReLU | He |
# | `PReLU(num_parameters=1, init=0.25)` {footcite}`he2015delving` | $x$ if $x > 0$, else $a_c\,x$ | $1$ if $x > 0$, else $a_c$; $\ \partial f/\partial a_c = x$ for $x \le 0$ | LeakyReLU with learned slopes $a_c$, one shared or one per channel; introduced with He initialisation | He, variance $\frac{2}{(1 + a^2)\,\mathrm{fan_{in}}}$ |
#
# Here $\sigma$ is the sigmoid and $\operatorname{ReLU6}(x) = \min(\max(x, 0), 6)$. The names have
# a history: the GELU paper named $x\,\sigma(x)$ the SiLU, Elfwing et al. used it in reinforcement
# learning, and an automated search for activation functions found it again and called it
# *Swish* (there with an optional factor $\beta$ inside the sigmoid). PReLU's slopes are a
# `weight` parameter of shape `(num_parameters,)`, applied along dimension 1 (the channels), as
# in PyTorch; its backward pass fills `weight.grad` too. Softplus switches to the identity above
# the threshold only to save work: there the two differ by less than $e^{-20}$.
#
# A few of the shapes' facts, computed:

# %%
span = np.linspace(-6, 6, 120001)
print("CELU(alpha=1) is ELU(alpha=1):", np.array_equal(ll.celu(span), ll.elu(span)))
for name, f in [("SiLU", ll.silu), ("Mish", ll.mish)]:
    values = f(span)
    print(f"minimum of {name}: {values.min():.4f} at x = {span[values.argmin()]:.2f}")
print(f"largest |Hardswish - SiLU|:      {np.abs(ll.hardswish(span) - ll.silu(span)).max():.3f}")
print(f"largest |Hardsigmoid - sigmoid|: {np.abs(ll.hardsigmoid(span) - ll.sigmoid(span)).max():.3f}")
print(f"largest Softplus - ReLU: {np.max(ll.softplus(span) - ll.relu(span)):.4f} (log 2 = {np.log(2):.4f})")

# %% [markdown]
# ### The code that runs
#
# Two of these need care with large inputs. The textbook $\log(1 + e^{x})$ overflows at
# $x \approx 710$; `softplus` uses $\max(z, 0) + \log(1 + e^{-|z|})$, which never exponentiates a
# positive number (Mish reuses it). The ELUs exponentiate only $\min(x, 0)$. With their default
# arguments all of them stay finite far beyond that, and the tests check that they equal
# PyTorch's values there.

# %%
viz.show_source(ll.softplus)

# %%
extremes = np.array([-1e300, -1e4, -710.0, 710.0, 1e4, 1e300])
with np.errstate(over="raise", invalid="raise", divide="raise"):   # an overflow would raise here
    finite = [np.all(np.isfinite(f(extremes))) and np.all(np.isfinite(df(extremes)))
              for f, df in family.values()]
print(f"all {len(family)} functions and derivatives finite at ±710, ±1e4 and ±1e300:", all(finite))

# %% [markdown]
# PReLU's backward pass returns the input gradient and the gradient of the slopes: each slope
# collects $x \cdot \mathrm{d}y$ from the non-positive inputs of its channel.

# %%
viz.show_source(ll.prelu_backward)

# %% [markdown]
# At a corner the derivative is a convention. `layers_lib` takes PyTorch's value everywhere (the
# tests compare them): ELU and SELU use the left-hand slope at $0$, Hardsigmoid's derivative is 0
# at both corners $\pm 3$, and Hardswish takes the value of the outer piece at each corner:

# %%
corners = np.array([-3.0, 0.0, 3.0])
prelu_layer = ll.PReLU()
prelu_layer(corners)
for name, slopes in [("ELU(alpha=0.5)", ll.elu_derivative(corners, 0.5)),
                     ("SELU", ll.selu_derivative(corners)),
                     ("SiLU", ll.silu_derivative(corners)),
                     ("Mish", ll.mish_derivative(corners)),
                     ("GELU", ll.gelu_derivative(corners)),
                     ("Hardsigmoid", ll.hardsigmoid_derivative(corners)),
                     ("Hardswish", ll.hardswish_derivative(corners)),
                     ("PReLU(init=0.25)", prelu_layer.backward(np.ones(3)))]:
    print(f"{name:<17} f'(-3), f'(0), f'(3) = " + ", ".join(f"{v:.4f}" for v in slopes))

# %% [markdown]
# And every backward pass, PReLU's slope gradient included, agrees with central differences:

# %%
family_x = np.random.default_rng(3).normal(size=(4, 3, 5)) * 2   # (N, C, L): 3 channels
for layer in [ll.ELU(), ll.CELU(alpha=2.0), ll.SELU(), ll.Softplus(), ll.SiLU(), ll.Mish(),
              ll.Hardsigmoid(), ll.Hardswish(), ll.PReLU(num_parameters=3)]:
    errors = ll.check_gradients(layer, family_x)
    verdict = "ok" if max(errors.values()) < 1e-6 else f"FAILED ({max(errors.values()):.1e})"
    print(f"{layer!r:<36} gradient check of {' and '.join(errors)}: {verdict}")

# %% [markdown]
# ### Which initialisation?
#
# The initialisation column rests on one argument {footcite}`he2015delving`. A unit of the next
# layer sums $\mathrm{fan_{in}}$ terms $w_j f(z_j)$; with independent zero-mean weights of
# variance $v$ its second moment is $\mathrm{fan_{in}}\, v\, \mathbb{E}[f(z)^2]$. To keep the
# pre-activations at one scale from layer to layer, $v = 1 / \bigl(\mathrm{fan_{in}}\,
# \mathbb{E}[f(z)^2]\bigr)$. For ReLU, which zeroes half of a symmetric input,
# $\mathbb{E}[f(z)^2] = \tfrac12 \mathbb{E}[z^2]$: He's $v = 2/\mathrm{fan_{in}}$. For PReLU it is
# $\tfrac{1 + a^2}{2}\mathbb{E}[z^2]$. SELU's two constants were chosen so that a standard normal
# input comes out with mean 0 and second moment 1: LeCun's $v = 1/\mathrm{fan_{in}}$. (In
# PyTorch that is `nn.init.kaiming_normal_(w, nonlinearity='linear')`; the `nn.SELU` documentation
# warns against `nonlinearity='selu'` for this.) Here are the moments for $z \sim \mathcal{N}(0,
# 1)$, by quadrature:

# %%
z = np.linspace(-12, 12, 240001)
density = np.exp(-z**2 / 2) / np.sqrt(2 * np.pi) * (z[1] - z[0])   # N(0, 1) weights on the grid
print("z ~ N(0, 1)        E[f(z)]   E[f(z)^2]")
for name, f in [("ReLU", ll.relu), ("PReLU(0.25)", lambda x: ll.prelu(x, np.array([0.25]))),
                ("SELU", ll.selu), ("ELU", ll.elu), ("SiLU", ll.silu), ("GELU", ll.gelu),
                ("Mish", ll.mish), ("Hardswish", ll.hardswish), ("tanh", ll.tanh)]:
    print(f"  {name:<14} {np.sum(density * f(z)):+9.4f}   {np.sum(density * f(z)**2):9.4f}")

# %% [markdown]
# ReLU and PReLU are *positively homogeneous*, $f(cz) = c f(z)$ for $c > 0$, so the ratio
# $\mathbb{E}[f(z)^2] / \mathbb{E}[z^2]$ is the same at every scale and He's variance keeps the
# second moment in every layer (on average). SiLU, GELU, Mish and Hardswish are not: near zero
# they have slope $\tfrac12$ (Mish $0.6$, printed above), far out they are ReLU, and no single
# variance is exact; He's, the usual choice, is an approximation. Pushing the
# chapter's 128 random inputs through the 20-layer stacks of the vanishing-gradient experiment
# shows how good it is — the root mean square of the last layer's output under LeCun's and He's
# normal initialisation:

# %%
lecun = np.sqrt(1 / 64)   # he = sqrt(2 / 64) was defined with the vanishing-gradient experiment
print(f"rms of the input: {np.sqrt(np.mean(inputs ** 2)):.3g}")
print("rms of the output of 20 layers   LeCun N(0, 1/64)   He N(0, 2/64)")
for name, act in [("ReLU", ll.ReLU), ("PReLU", ll.PReLU), ("SELU", ll.SELU), ("ELU", ll.ELU),
                  ("SiLU", ll.SiLU), ("GELU", ll.GELU), ("Mish", ll.Mish),
                  ("Hardswish", ll.Hardswish), ("tanh", ll.Tanh)]:
    rms = [np.sqrt(np.mean(deep_stack(act, std)(inputs) ** 2)) for std in (lecun, he)]
    print(f"  {name:<30} {rms[0]:>12.3g} {rms[1]:>15.3g}")

# %% [markdown]
# SELU with LeCun-normal weights keeps the signal at its starting scale through twenty plain
# layers — what "self-normalising" means — and He's larger weights inflate it more than tenfold.
# ReLU and PReLU need He: with LeCun's variance every layer roughly halves the second moment, and
# twenty layers leave a few thousandths of the signal; with He's it stays within a factor of three
# of the start (a finite width of 64 adds a random drift). The smooth rectifiers differ: under He,
# ELU, GELU and Mish end within a factor of four of the start, while SiLU and Hardswish, whose
# second moments are the smallest, shrink several hundredfold. The networks
# that made SiLU and Hardswish popular, EfficientNet and MobileNetV3, follow every convolution with
# batch normalisation, which resets the scale at each layer (the subject of a later chapter).
# Tanh, with slope 1 at the origin, is the case Glorot's variance was derived for (with equal
# fan-in and fan-out it is LeCun's): its signal shrinks only slowly, and its gradients kept their
# scale in the vanishing-gradient figure above.

# %% [markdown]
# ## Common bugs
#
# ### 1. Softmax along the wrong axis
#
# For logits of shape `(N, C)` each **row** must sum to 1. Normalising along axis 0 makes each
# *column* sum to 1 — a distribution over the examples of the batch, which means nothing, and
# which silently changes when the batch does. **Check:** `probs.sum(axis=1)` must be all ones.

# %%
batch_logits = rng.normal(size=(4, 3))
wrong = ll.softmax(batch_logits, dim=0)
right = ll.softmax(batch_logits, dim=1)
for name, probs in [("dim=0", wrong), ("dim=1", right)]:
    sums = probs.sum(axis=1)
    print(f"{name}: row sums {np.round(sums, 3)}, all equal to 1: {np.allclose(sums, 1)}")

# %% [markdown]
# ### 2. Softmax before `CrossEntropyLoss`
#
# `CrossEntropyLoss` expects logits and applies the (log-)softmax itself. Ending the model with a
# `Softmax` layer applies it twice: the "logits" it receives then lie in $[0, 1]$, so the loss
# cannot fall below about $0.55$ for three classes even for a perfect prediction, and the
# gradients shrink. The code runs without an error. **Check:** the model's output should not sum
# to 1 along the class axis before it enters the loss.

# %%
confident = np.array([[10.0, 0.0, 0.0]])          # a very sure, correct prediction
target = np.array([0])
twice = ll.softmax(confident)                      # what a model ending in Softmax emits
print(f"CrossEntropyLoss(logits):          {ll.CrossEntropyLoss()(confident, target):.4f}")
print(f"CrossEntropyLoss(softmax(logits)): {ll.CrossEntropyLoss()(twice, target):.4f}")
print("red flag, outputs already sum to 1:", np.allclose(twice.sum(axis=1), 1))

# %% [markdown]
# ### 3. The sigmoid derivative applied to the input
#
# Many notes write `sigmoid_prime(x) = x * (1 - x)`. That formula is right when `x` is the
# sigmoid's **output**; applied to the pre-activation it is simply wrong (at $x = 0$ it gives 0
# instead of 0.25). **Check:** a gradient check of the layer that uses it.

# %%
class WrongSigmoid(ll.Sigmoid):
    """Wrong on purpose: uses x * (1 - x) on the layer's input instead of y * (1 - y)."""

    def forward(self, x):
        self._x = x
        return super().forward(x)

    def backward(self, dy):
        return dy * self._x * (1 - self._x)


err = ll.check_gradients(WrongSigmoid(), rng.normal(size=(3, 4)))["input"]
print(f"gradient check of x * (1 - x): relative error {err:.2f} (should be below 1e-6)")

# %% [markdown]
# ### 4. ReLU's backward masked by the wrong sign
#
# ReLU's backward passes the upstream gradient where the **input** was positive:
# `dx = dy * (x > 0)`. Writing `dy * (dy > 0)` — masking by the sign of the gradient — is a
# common slip that keeps the shapes right. **Check:** again, the gradient check.

# %%
class WrongReLU(ll.ReLU):
    """Wrong on purpose: masks the gradient by its own sign instead of the input's."""

    def backward(self, dy):
        return dy * (dy > 0)


err = ll.check_gradients(WrongReLU(), rng.normal(size=(3, 4)))["input"]
print(f"gradient check of dy * (dy > 0): relative error {err:.2f} (should be below 1e-6)")

# %% [markdown]
# ## Exercises
#
# The exercises with a checker run hidden test cases on your function and, when something is
# wrong, try to name the mistake. Replace `return None` with your code and run the cell.

# %%
from layers_lib.exercises import activations as ex

# %% [markdown]
# ```{exercise} A stable softmax — ★★☆ medium
# :label: act-ex1
#
# Write a numerically stable `softmax(x)` along the **last** axis of `x` (any number of
# dimensions). The hidden cases include logits of $\pm 1000$ and a batch whose rows have very
# different scales.
# ```

# %%
def softmax(x):
    # your code here
    return None


ex.check_softmax(softmax)

# %% [markdown]
# ````{solution} act-ex1
# :class: dropdown
#
# ```python
# def softmax(x):
#     e = np.exp(x - x.max(axis=-1, keepdims=True))   # each row's own maximum
#     return e / e.sum(axis=-1, keepdims=True)
# ```
#
# Subtracting the maximum of the *whole* array is not enough: in a batch with rows
# `[1000, 999]` and `[-1000, -999]`, the second row becomes `exp(-2000) = 0` everywhere and
# `0 / 0 = nan`. `keepdims=True` keeps the reduced axis so that `(N, C)` broadcasts against
# `(N, 1)`.
# ````
#
# ```{exercise} The sigmoid's derivative — ★☆☆ easy
# :label: act-ex2
#
# Write `sigmoid_derivative(x)`, the derivative of the sigmoid at the pre-activation `x`. It must
# be correct (and free of `nan`) for `x = ±1000`.
# ```

# %%
def sigmoid_derivative(x):
    # your code here
    return None


ex.check_sigmoid_derivative(sigmoid_derivative)

# %% [markdown]
# ````{solution} act-ex2
# :class: dropdown
#
# ```python
# def sigmoid_derivative(x):
#     s = ll.sigmoid(x)          # stable: never exponentiates a positive number
#     return s * (1 - s)
# ```
#
# Writing it as `np.exp(-x) / (1 + np.exp(-x)) ** 2` is mathematically equal but gives
# `inf / inf = nan` at `x = -1000`.
# ````
#
# ```{exercise} The cross-entropy gradient — ★★☆ medium
# :label: act-ex3
#
# Write `cross_entropy_grad(logits, targets)`: the gradient of
# `ll.CrossEntropyLoss()(logits, targets)` (the mean over the batch) with respect to the logits,
# for logits of shape `(N, C)` and integer targets of shape `(N,)`. Do not call the loss.
# ```

# %%
def cross_entropy_grad(logits, targets):
    # your code here
    return None


ex.check_cross_entropy_grad(cross_entropy_grad)

# %% [markdown]
# ````{solution} act-ex3
# :class: dropdown
#
# ```python
# def cross_entropy_grad(logits, targets):
#     p = ll.softmax(logits, dim=1)
#     p[np.arange(len(targets)), targets] -= 1       # p - y, y one-hot
#     return p / len(targets)                        # the mean over N examples
# ```
# ````
#
# ```{exercise} LeakyReLU at a large learning rate — ★★☆ medium
# :label: act-ex4
#
# Rerun the dead-unit experiment with `LeakyReLU(0.1)` instead of `ReLU`, first at learning rate
# 3, then at 5: `train_sgd(3.0, lambda: ll.LeakyReLU(0.1))`. Compare the fraction of units that
# are negative on every example, and the accuracy, with ReLU at the same learning rates. Are
# those units dead? What happens at learning rate 5, and can you trust the fraction it reports?
# ```
#
# ````{solution} act-ex4
# :class: dropdown
#
# ```python
# for lr in (3.0, 5.0):
#     for name, act in [("ReLU", ll.ReLU), ("LeakyReLU(0.1)", lambda: ll.LeakyReLU(0.1))]:
#         dead, accuracy = train_sgd(lr, act)
#         print(f"lr {lr}, {name}: negative everywhere {dead[-1]:.0%}, accuracy {accuracy:.0%}")
# ```
#
# The notebook runs this code in a cell after this solution (not shown on the website); the
# numbers here are its output. At
# learning rate 3, about 61 % of the ReLU units end up dead and the network is left at chance
# (50 %), but only about 16 % of the leaky units are negative on every example, and the leaky
# network reaches 86 %. Those units are not dead: they pass on 0.1 times the gradient and can
# recover.
#
# At learning rate 5 the leaky network does not lose units, it **diverges**: its numbers
# overflow (NumPy warns about overflow in the matrix product) and turn into `nan`. The reported
# 0 % is an artefact: every comparison with `nan`, such as `z <= 0`, is `False`. The ReLU network
# "failed safe" into a constant prediction; the leaky one blew up. LeakyReLU stops units from
# dying; it does not rescue a learning rate that is simply too large.
# ````

# %% tags=["remove-cell"]
# the numbers quoted in the solution of the LeakyReLU exercise above (not shown on the website)
import warnings

for lr in (3.0, 5.0):
    for name, act in [("ReLU", ll.ReLU), ("LeakyReLU(0.1)", lambda: ll.LeakyReLU(0.1))]:
        with warnings.catch_warnings(record=True) as caught:    # record NumPy's warnings, do not print them
            warnings.simplefilter("always")
            dead, accuracy = train_sgd(lr, act)
        overflow = any("overflow" in str(w.message) for w in caught)
        print(f"lr {lr}, {name:<14}: negative everywhere {dead[-1]:.0%}, accuracy {accuracy:.0%}, "
              f"overflow warnings: {overflow}")

# %% [markdown]
# ```{exercise} Sigmoid or tanh? — ★★★ harder
# :label: act-ex5
#
# Show that a network with sigmoid hidden units can be turned into a network with tanh hidden
# units computing exactly the same function, by changing only the weights and biases. (Hint:
# $\sigma(x) = \tfrac12\bigl(1 + \tanh(x/2)\bigr)$.) If the two are equivalent, why does tanh
# train better?
# ```
#
# ````{solution} act-ex5
# :class: dropdown
#
# A sigmoid layer computes $h = \sigma(xW^\top + b) = \tfrac12 + \tfrac12 \tanh\bigl(x (W/2)^\top
# + b/2\bigr)$. So halve the weights and bias feeding the unit, use tanh, and give the next layer
# the weights $W'/2$ and the bias $b' + \tfrac12 W' \mathbf{1}$: it then receives exactly what it
# received before.
#
# ```python
# sig = ll.Sequential(ll.Linear(2, 5, rng=rng), ll.Sigmoid(), ll.Linear(5, 1, rng=rng))
# tan = ll.Sequential(ll.Linear(2, 5, rng=rng), ll.Tanh(), ll.Linear(5, 1, rng=rng))
# tan[0].weight.data, tan[0].bias.data = sig[0].weight.data / 2, sig[0].bias.data / 2
# tan[2].weight.data = sig[2].weight.data / 2
# tan[2].bias.data = sig[2].bias.data + sig[2].weight.data.sum(axis=1) / 2
# points = rng.normal(size=(10, 2))
# print(np.allclose(sig(points), tan(points)))   # True
# ```
#
# The functions are the same, but gradient descent is not invariant to this change of
# coordinates. Tanh outputs are centred on zero, so the next layer's weight gradients
# $\mathrm{d}W = \mathrm{d}y^\top h$ do not all share one sign, and tanh's slope at the origin is 1
# instead of $\tfrac14$, so gradients are not shrunk four-fold at every layer
# {footcite}`lecun1998efficient`.
# ````
#
# ## Summary
#
# * Activations are elementwise, parameter-free layers that make depth useful. Their backward pass
#   multiplies the upstream gradient by $f'(x)$; sigmoid and tanh cache their output, ReLU a mask.
# * Sigmoid's derivative is at most $\tfrac14$ and tends to zero in both tails: in a 20-layer
#   sigmoid stack the first layer's gradient was $2 \times 10^{-12}$ times the last's. Tanh
#   with Glorot initialisation and ReLU with He initialisation kept the gradient flat.
# * A ReLU unit that is negative on all the data gets no gradient: a too-large learning rate killed
#   80 % of a small network's units. LeakyReLU keeps a gradient flowing; smaller steps avoid the
#   damage in the first place.
# * Softmax must subtract each row's maximum before exponentiating; log-probabilities come from
#   `log_softmax`, never `log(softmax)`.
# * Softmax's Jacobian is $\operatorname{diag}(p) - pp^\top$; combined with cross-entropy the
#   gradient is simply $(p - y)/N$, which is why the loss takes logits.
# * ReLU networks carve the input space into straight-edged pieces; smooth activations bend their
#   decision boundaries.
# * The wider family smooths ReLU's corner (ELU, CELU, SELU, Softplus, SiLU, Mish), builds smooth
#   shapes from cheap linear pieces (Hardsigmoid, Hardswish) or learns the negative slope (PReLU).
#   He initialisation is exact for ReLU and PReLU and approximate for the smooth rectifiers;
#   SELU with LeCun-normal weights keeps the signal at its scale through twenty layers.
#
# ## References
#
# ```{footbibliography}
# ```
