"""CrossEntropyLoss's, NLLLoss's and BCEWithLogitsLoss's options against torch in float64: weight,
ignore_index, every reduction, label smoothing, pos_weight, K-dimensional and unbatched inputs;
central differences; the edge cases where the mean divides by zero; bad input, fuzzed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import TorchLossOfInput, assert_close, compare_with_torch

import layers_lib as ll

FUZZ = settings(max_examples=60, deadline=None)


class LossOfInput(ll.Module):
    """A loss with a fixed target as a one-input module, for compare_with_torch: the output is the
    loss as an array (0-d, or the elementwise losses for 'none'), backward(dloss) its gradient."""

    def __init__(self, crit, target):
        super().__init__()
        self.crit, self.target = crit, target

    def forward(self, x):
        loss = self.crit(x, self.target)
        if self.crit.reduction == "none":
            assert isinstance(loss, np.ndarray)
        else:
            assert isinstance(loss, float)
        return np.asarray(loss)

    def backward(self, dloss):
        return self.crit.backward(dloss if self.crit.reduction == "none" else float(dloss))


def tensor(a):
    return None if a is None else torch.tensor(a)


def compare(ours, theirs, x, target, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from any package
        return compare_with_torch(LossOfInput(ours, target), TorchLossOfInput(theirs, target), x, **kw)


def class_problem(shape, seed, ignore=None, scale=2.0):
    """Logits of ``shape`` (N, C, *) or (C,) and integer targets, some set to ``ignore``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=scale, size=shape)
    C = shape[0] if len(shape) == 1 else shape[1]
    t_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    t = rng.integers(0, C, size=t_shape)
    if ignore is not None:
        t = np.where(rng.random(t_shape) < 0.3, ignore, t)
        if t.ndim:
            t.reshape(-1)[0] = 0 if ignore != 0 else 1  # at least one target counts
    return x, t, rng.uniform(0.2, 3.0, size=C)


SHAPES = [(5, 4), (1, 3), (3, 4, 2), (2, 3, 2, 3), (4,)]
IGNORES = [None, -100, 1, 7]  # none, the default, a real class, another out-of-range value


# -- CrossEntropyLoss ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", IGNORES)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
def test_cross_entropy_options_match_torch(shape, reduction, weighted, ignore, smoothing):
    if len(shape) == 1 and ignore is not None:
        ignore = None  # one unbatched target: covered by test_unbatched_ignored_target_is_nan
    x, t, w = class_problem(shape, seed=len(shape) + 7 * IGNORES.index(ignore), ignore=ignore)
    weight = w if weighted else None
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore
    ours = ll.CrossEntropyLoss(weight=weight, **kw)
    theirs = torch.nn.CrossEntropyLoss(weight=tensor(weight), **kw)
    y = compare(ours, theirs, x, t, steps=2)
    assert y.shape == (() if reduction != "none" else t.shape)
    if ignore is not None and reduction == "none":
        assert (y[t == ignore] == 0).all()


def test_label_smoothing_is_the_weighted_mean_of_two_targets():
    """eps = 0.3: 0.7 x the hard-target loss + 0.3 x the loss against the uniform target, whose
    value is -sum_c w_c log p_c / C (written out here with numpy, not with layers_lib)."""
    x, t, w = class_problem((6, 5), seed=3, ignore=-100)
    keep = t != -100
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    hard = -(w[t[keep]] * logp[keep, t[keep]]).sum()
    uniform = -(logp[keep] * w).sum() / 5
    expected = (0.7 * hard + 0.3 * uniform) / w[t[keep]].sum()
    got = ll.CrossEntropyLoss(weight=w, label_smoothing=0.3)(x, t)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_cross_entropy_is_stable_with_options():
    x = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0], [-1e4, -1e4, -1e4]])
    t = np.array([0, 0, 2])
    for kw in ({"label_smoothing": 0.2}, {"weight": np.array([1.0, 2.0, 0.5]), "reduction": "none"}):
        ours = ll.CrossEntropyLoss(**kw)
        torch_kw = {**kw, "weight": tensor(kw.get("weight"))}
        compare(ours, torch.nn.CrossEntropyLoss(**torch_kw), x, t)
        assert np.isfinite(ours(x, t)).all()


# -- NLLLoss ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", IGNORES)
@pytest.mark.parametrize("log_probabilities", [True, False])
def test_nll_matches_torch(shape, reduction, weighted, ignore, log_probabilities):
    """On log-probabilities, and on arbitrary numbers (neither library checks)."""
    if len(shape) == 1 and ignore is not None:
        ignore = None
    x, t, w = class_problem(shape, seed=11 + len(shape), ignore=ignore)
    if log_probabilities:
        x = ll.log_softmax(x, 0 if len(shape) == 1 else 1)
    weight = w if weighted else None
    kw = {"reduction": reduction} | ({} if ignore is None else {"ignore_index": ignore})
    compare(ll.NLLLoss(weight=weight, **kw), torch.nn.NLLLoss(weight=tensor(weight), **kw), x, t, steps=2)


def test_nll_of_log_softmax_is_cross_entropy():
    x, t, w = class_problem((4, 3, 5), seed=5, ignore=-100)
    for reduction in ("mean", "sum", "none"):
        ce, nll = ll.CrossEntropyLoss(w, reduction=reduction), ll.NLLLoss(w, reduction=reduction)
        logp = ll.log_softmax(x, 1)
        assert_close(ce(x, t), nll(logp, t), reduction)
        dloss = np.random.default_rng(0).normal(size=t.shape) if reduction == "none" else 1.5
        assert_close(ce.backward(dloss), ll.log_softmax_backward(nll.backward(dloss), logp, 1), "gradient")


# -- where the mean divides by zero -----------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: (ll.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
    lambda: (ll.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1)),
    lambda: (ll.NLLLoss(), torch.nn.NLLLoss()),
])
def test_every_target_ignored_gives_nan_mean_and_zero_gradient(make):
    ours, theirs = make()
    x = np.random.default_rng(0).normal(size=(3, 4))
    t = np.full(3, -100)
    y = compare(ours, theirs, x, t)
    assert np.isnan(y)
    assert not ours.backward().any()
    assert ll.CrossEntropyLoss(reduction="sum")(x, t) == 0.0


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_zero_total_weight_gives_nan_like_torch(smoothing):
    """Every counted target has weight 0: 0/0 in the mean, and NaN gradients on those rows (torch
    multiplies the weight 0 by dloss / 0); the ignored row still gets 0."""
    x = np.random.default_rng(1).normal(size=(3, 4))
    t = np.array([1, 1, -100])
    w = np.array([1.0, 0.0, 1.0, 1.0])
    ours = ll.CrossEntropyLoss(w, label_smoothing=smoothing)
    compare(ours, torch.nn.CrossEntropyLoss(tensor(w), label_smoothing=smoothing), x, t)
    grad = ours.backward()
    assert np.isnan(grad[:2]).all() and not grad[2].any()
    nll = ll.NLLLoss(w)
    compare(nll, torch.nn.NLLLoss(tensor(w)), x, t)


def test_unbatched_ignored_target_is_nan():
    x = np.random.default_rng(2).normal(size=4)
    for make in (lambda: (ll.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
                 lambda: (ll.NLLLoss(), torch.nn.NLLLoss())):
        ours, theirs = make()
        assert np.isnan(compare(ours, theirs, x, np.array(-100)))
    ours = ll.CrossEntropyLoss(reduction="none")
    loss = ours(x, np.array(2))
    assert isinstance(loss, np.ndarray) and loss.shape == ()


# -- BCEWithLogitsLoss -----------------------------------------------------------------------------
def bce_problem(shape, seed, soft=False, scale=2.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=scale, size=shape)
    y = rng.random(shape) if soft else (rng.random(shape) < 0.5).astype(float)
    return x, y, rng


@pytest.mark.parametrize("shape", [(6,), (4, 3), (2, 3, 4)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_kind", [None, "per_class", "full", "per_row"])
@pytest.mark.parametrize("pos_weight_kind", [None, "per_class", "full"])
@pytest.mark.parametrize("soft", [False, True])
def test_bce_with_logits_matches_torch(shape, reduction, weight_kind, pos_weight_kind, soft):
    x, y, rng = bce_problem(shape, seed=len(shape), soft=soft)

    def make(kind):
        return {None: None, "per_class": rng.uniform(0.2, 3.0, size=shape[-1:]),
                "full": rng.uniform(0.2, 3.0, size=shape),
                "per_row": rng.uniform(0.2, 3.0, size=shape[:1] + (1,) * (len(shape) - 1))}[kind]

    weight, pos_weight = make(weight_kind), make(pos_weight_kind)
    ours = ll.BCEWithLogitsLoss(weight=weight, reduction=reduction, pos_weight=pos_weight)
    theirs = torch.nn.BCEWithLogitsLoss(weight=tensor(weight), reduction=reduction,
                                        pos_weight=tensor(pos_weight))
    compare(ours, theirs, x, y, steps=2)


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([1e4, -1e4, 800.0, -800.0, 0.0, 40.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.3])
    pw = np.full(6, 2.5)
    for kw in ({}, {"pos_weight": pw}):
        ours = ll.BCEWithLogitsLoss(reduction="none", **kw)
        loss = compare(ours, torch.nn.BCEWithLogitsLoss(reduction="none",
                                                        **{k: tensor(v) for k, v in kw.items()}), x, y)
        assert np.isfinite(loss).all()
    np.testing.assert_allclose(ll.BCEWithLogitsLoss(reduction="none")(x, y)[:2], [1e4, 1e4])


def test_bce_with_logits_is_binary_cross_entropy_of_the_sigmoid():
    """Away from saturation it equals the textbook formula written with numpy."""
    x, y, rng = bce_problem((5, 3), seed=4, soft=True)
    w, pw = rng.uniform(0.5, 2, size=(5, 3)), rng.uniform(0.5, 2, size=3)
    p = 1 / (1 + np.exp(-x))
    expected = np.mean(-w * (pw * y * np.log(p) + (1 - y) * np.log(1 - p)))
    np.testing.assert_allclose(ll.BCEWithLogitsLoss(w, pos_weight=pw)(x, y), expected, rtol=1e-12)


# -- MSELoss 'none' --------------------------------------------------------------------------------
def test_mse_none_matches_torch():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    compare(ll.MSELoss("none"), torch.nn.MSELoss(reduction="none"), x, y)


# -- central differences ---------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("which", ["cross_entropy", "nll", "bce", "mse"])
def test_gradients_match_central_differences(reduction, which):
    rng = np.random.default_rng(8)
    if which in ("cross_entropy", "nll"):
        x, t, w = class_problem((4, 5, 3), seed=9, ignore=2)
        crit = (ll.CrossEntropyLoss(w, ignore_index=2, reduction=reduction, label_smoothing=0.15)
                if which == "cross_entropy" else ll.NLLLoss(w, ignore_index=2, reduction=reduction))
        dloss_shape = t.shape
    elif which == "bce":
        x, t, _ = bce_problem((4, 3), seed=10, soft=True)
        crit = ll.BCEWithLogitsLoss(rng.uniform(0.5, 2, size=(4, 1)), reduction, rng.uniform(0.5, 2, size=3))
        dloss_shape = x.shape
    else:
        x, t = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
        crit = ll.MSELoss(reduction)
        dloss_shape = x.shape
    dloss = rng.normal(size=dloss_shape) if reduction == "none" else 1.7
    crit(x, t)
    analytic = crit.backward(dloss)
    numeric = ll.numerical_gradient(lambda: np.sum(crit(x, t) * dloss), x)
    assert ll.rel_error(analytic, numeric) < 1e-6
    assert np.abs(analytic).max() > 1e-3


def test_float32_stays_float32():
    x, t, w = class_problem((4, 3), seed=1, ignore=-100)
    for crit, inputs in ((ll.CrossEntropyLoss(w, label_smoothing=0.1), (x, t)),
                         (ll.NLLLoss(w), (x, t)),
                         (ll.BCEWithLogitsLoss(pos_weight=w), (x, (x > 0).astype(np.float32)))):
        crit(inputs[0].astype(np.float32), inputs[1])
        assert crit.backward().dtype == np.float32, type(crit).__name__


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,what", [(ll.CrossEntropyLoss, "logits"), (ll.NLLLoss, "log-probabilities")])
def test_class_losses_bad_input(cls, what):
    name = cls.__name__
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=rf"{name} expected targets in \[0, 3\] for 4 classes, got 4 "
                                         r"\(only ignore_index=-100 may lie outside\)"):
        cls()(x, np.array([0, 4, -100]))
    with pytest.raises(ValueError, match=rf"{name} expected targets .* got -100 \(only ignore_index=5 "):
        cls(ignore_index=5)(x, np.array([0, 5, -100]))
    assert np.isfinite(cls(ignore_index=5)(x, np.array([0, 5, 1])))
    with pytest.raises(ValueError, match=rf"{name} expected weight of shape \(4,\), one per class, "
                                         r"got \(3,\)"):
        cls(weight=np.ones(3))(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name} expected weight of shape \(C,\), one per class, "
                                         r"got \(1, 4\)"):
        cls(weight=np.ones((1, 4)))
    with pytest.raises(TypeError, match=rf"{name} expected a floating-point weight, got dtype int64"):
        cls(weight=np.ones(4, dtype=np.int64))
    with pytest.raises(TypeError, match=rf"{name} expected integer class targets, got dtype float64 "
                                        r"\(class-probability targets are not supported"):
        cls()(x, np.full((3, 4), 0.25))
    with pytest.raises(TypeError, match=rf"{name} expected integer class targets, got dtype bool"):
        cls()(x, np.array([True, False, True]))
    with pytest.raises(TypeError, match=rf"{name} expected a floating-point input \({what}\), "
                                        r"got dtype int64"):
        cls()(np.zeros((3, 4), dtype=np.int64), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name} expected target of shape \(3, 5\) for {what} of shape "
                                         r"\(3, 4, 5\), got \(3,\)"):
        cls()(np.zeros((3, 4, 5)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name} expected target of shape \(\) for {what} of shape \(4,\)"):
        cls()(np.zeros(4), np.array([1]))
    with pytest.raises(TypeError, match=rf"{name} expected ignore_index to be an int, got 1.5"):
        cls(ignore_index=1.5)
    with pytest.raises(ValueError, match=rf"{name} expected reduction 'mean', 'sum' or 'none', got 'avg'"):
        cls(reduction="avg")
    with pytest.raises(RuntimeError, match="before forward"):
        cls().backward()
    crit = cls(reduction="none")
    crit(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name}\(reduction='none'\).backward expected dloss, an array of "
                                         r"the loss's shape"):
        crit.backward()
    with pytest.raises(ValueError, match=rf"{name}.backward expected a gradient of shape \(3,\)"):
        crit.backward(np.ones(4))
    crit = cls()
    crit(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name}\(reduction='mean'\).backward expected a scalar dloss, "
                                         r"got shape \(3,\)"):
        crit.backward(np.ones(3))


def test_cross_entropy_label_smoothing_bad_values():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss expected label_smoothing in \[0, 1\], got 1.5"):
        ll.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing in \[0, 1\], got -0.1"):
        ll.CrossEntropyLoss(label_smoothing=-0.1)
    with pytest.raises(TypeError, match="CrossEntropyLoss expected label_smoothing to be a float, got '0.1'"):
        ll.CrossEntropyLoss(label_smoothing="0.1")


def test_bce_with_logits_bad_input():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss expected target of the input's shape \(3, 4\), "
                                         r"got \(3,\)"):
        ll.BCEWithLogitsLoss()(x, np.zeros(3))
    with pytest.raises(TypeError, match=r"BCEWithLogitsLoss expected a floating-point target "
                                        r"\(use 0.0 / 1.0"):
        ll.BCEWithLogitsLoss()(x, np.zeros((3, 4), dtype=np.int64))
    with pytest.raises(TypeError, match="BCEWithLogitsLoss expected a floating-point input"):
        ll.BCEWithLogitsLoss()(x.astype(int), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss expected weight broadcastable to the input's "
                                         r"shape \(3, 4\), got \(5,\)"):
        ll.BCEWithLogitsLoss(weight=np.ones(5))(x, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"expected pos_weight broadcastable .* got \(2, 3, 4\)"):
        ll.BCEWithLogitsLoss(pos_weight=np.ones((2, 3, 4)))(x, np.zeros((3, 4)))
    with pytest.raises(TypeError, match="BCEWithLogitsLoss expected a floating-point pos_weight"):
        ll.BCEWithLogitsLoss(pos_weight=np.ones(4, dtype=int))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss expected a non-empty input, got shape \(0, 4\)"):
        ll.BCEWithLogitsLoss()(np.zeros((0, 4)), np.zeros((0, 4)))
    with pytest.raises(ValueError, match="BCEWithLogitsLoss expected reduction"):
        ll.BCEWithLogitsLoss(reduction="mean_")


def test_unbatched_target_must_be_0d():
    """The one deliberate difference: torch also takes a (1,) target for a (C,) input (undocumented;
    it then fails with label smoothing), layers_lib asks for the documented 0-d target."""
    x = np.zeros(3)
    assert torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([1])).shape == ()
    with pytest.raises(RuntimeError):
        torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([1]), label_smoothing=0.1,
                                          reduction="none")
    with pytest.raises(ValueError, match=r"CrossEntropyLoss expected target of shape \(\) for logits of "
                                         r"shape \(3,\), got \(1,\)"):
        ll.CrossEntropyLoss()(x, np.array([1]))


def test_reprs():
    assert repr(ll.CrossEntropyLoss()) == "CrossEntropyLoss(reduction='mean')"
    assert (repr(ll.CrossEntropyLoss(np.ones(3), ignore_index=0, reduction="none", label_smoothing=0.1))
            == "CrossEntropyLoss(reduction='none', ignore_index=0, weight=array of 3, label_smoothing=0.1)")
    assert repr(ll.NLLLoss(reduction="sum")) == "NLLLoss(reduction='sum')"
    assert repr(ll.BCEWithLogitsLoss()) == "BCEWithLogitsLoss(reduction='mean')"


# -- fuzzing: ours raises exactly when torch does, with a message naming the layer --------------------
def torch_raises(fn):
    try:
        fn()
    except (RuntimeError, ValueError, IndexError):
        return True
    return False


@FUZZ
@given(cls=st.sampled_from(["CrossEntropyLoss", "NLLLoss"]),
       x_shape=st.lists(st.integers(1, 3), min_size=1, max_size=4),
       t_change=st.sampled_from(["right", "drop_last", "add_dim", "swap", "scalar"]),
       n_weight=st.integers(0, 4), high=st.integers(1, 5), ignore_index=st.sampled_from([-100, 0, 3]),
       seed=st.integers(0, 2**16))
def test_fuzz_class_losses_against_torch(cls, x_shape, t_change, n_weight, high, ignore_index, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=x_shape)
    right = () if x.ndim == 1 else tuple(x_shape[:1] + x_shape[2:])
    t_shape = {"right": right, "drop_last": right[:-1], "add_dim": right + (2,),
               "swap": right[::-1] if len(set(right)) > 1 else right + (2,), "scalar": ()}[t_change]
    t = rng.integers(-1, high, size=t_shape)
    t = np.where(t == -1, ignore_index, t)  # some targets are ignore_index
    weight = rng.uniform(0.5, 2, size=n_weight) if n_weight else None
    ours = getattr(ll, cls)(weight=weight, ignore_index=ignore_index)
    theirs = getattr(torch.nn, cls)(weight=tensor(weight), ignore_index=ignore_index)
    try:
        loss = ours(x, t)
    except ValueError as err:
        assert str(err).startswith(f"{cls} expected"), err
        assert torch_raises(lambda: theirs(torch.tensor(x), torch.tensor(t))), (x.shape, t.shape, err)
        return
    xt = torch.tensor(x, requires_grad=True)
    lt = theirs(xt, torch.tensor(t))
    assert_close(loss, lt.item(), "loss")
    lt.backward()
    assert_close(ours.backward(), xt.grad.numpy(), "gradient")


@FUZZ
@given(x_shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       t_shape=st.none() | st.lists(st.integers(1, 3), min_size=0, max_size=3),
       w_shape=st.none() | st.lists(st.integers(1, 3), min_size=0, max_size=3),
       pw_shape=st.none() | st.lists(st.integers(1, 3), min_size=0, max_size=3),
       reduction=st.sampled_from(["mean", "sum", "none"]), seed=st.integers(0, 2**16))
def test_fuzz_bce_with_logits_against_torch(x_shape, t_shape, w_shape, pw_shape, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=x_shape)
    y = rng.random(x_shape if t_shape is None else t_shape)
    weight = None if w_shape is None else rng.uniform(0.5, 2, size=w_shape)
    pos_weight = None if pw_shape is None else rng.uniform(0.5, 2, size=pw_shape)
    ours = ll.BCEWithLogitsLoss(weight, reduction, pos_weight)
    theirs = torch.nn.BCEWithLogitsLoss(tensor(weight), reduction=reduction, pos_weight=tensor(pos_weight))
    try:
        loss = ours(x, y)
    except ValueError as err:
        assert str(err).startswith("BCEWithLogitsLoss expected"), err
        assert torch_raises(lambda: theirs(torch.tensor(x), torch.tensor(y))), (x.shape, y.shape, err)
        return
    xt = torch.tensor(x, requires_grad=True)
    lt = theirs(xt, torch.tensor(y))
    assert_close(loss, lt.detach().numpy(), "loss")
    g = rng.normal(size=lt.shape)
    lt.backward(torch.tensor(g))
    assert_close(ours.backward(g if reduction == "none" else float(g)), xt.grad.numpy(), "gradient")
