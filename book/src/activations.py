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
# * ReLU, LeakyReLU, sigmoid, tanh and GELU (exact and tanh-approximated), each with its
#   derivative, and the PyTorch conventions for them;
# * why sigmoid stacks suffer from **vanishing gradients**, measured layer by layer in a 20-layer
#   network, and how initialisation enters;
# * what a **dead ReLU** is, and how a too-large learning rate kills most of a small network;
# * **softmax**: the max-subtraction trick that keeps it finite, its Jacobian, and why softmax
#   followed by cross-entropy has the gradient $p - y$;
# * how the activation shapes a small classifier's decision regions.
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
    source = "git+https://github.com/layers-interactively/layers-interactively@main"
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
# * The sigmoid's derivative is at most $\tfrac14$ — every sigmoid layer shrinks the gradient by at
#   least a factor of four. Tanh is a rescaled sigmoid, $\tanh x = 2\sigma(2x) - 1$, but centred
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
# keep snapshots along the way. Shades of grey give the predicted probability of class 1; the red
# line is the decision boundary. Look for the ReLU network's straight edges and corners: a ReLU
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
    return viz.activations.plot_decision_regions(
        lambda points: ll.softmax(net(points), dim=1)[:, 1], X, y, resolution=70,
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
# ```{exercise}
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
# ```{exercise}
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
# ```{exercise}
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
# ```{exercise}
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
# At learning rate 3, about 47 % of the ReLU units end up dead but only about 16 % of the leaky
# units are negative on every example — and those are not dead: they pass on 0.1 times the
# gradient and can recover.
#
# At learning rate 5 the leaky network does not lose units, it **diverges**: the loss overflows
# to `inf` and then `nan` (NumPy warns about overflow in the matrix product). The reported 0 % is
# an artefact: every comparison with `nan`, such as `z <= 0`, is `False`. The ReLU network
# "failed safe" into a constant prediction; the leaky one blew up. LeakyReLU stops units from
# dying; it does not rescue a learning rate that is simply too large.
# ````
#
# ```{exercise}
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
#
# ## References
#
# ```{footbibliography}
# ```
