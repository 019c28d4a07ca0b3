"""Checkers for the dropout chapter's exercises.

* :func:`check_dropout_forward`: inverted dropout, ``fn(x, p, training, rng) -> out``;
* :func:`check_dropout2d_forward`: channel dropout on ``(N, C, H, W)`` feature maps.

A dropout layer is random, so the checkers do not compare with one fixed answer. They check
what every correct answer shares — evaluation mode is the identity; in training each output is
either 0 or ``x / (1 - p)``; about a fraction ``1 - p`` of the units (channels) survive; the
mask comes from the ``rng`` argument — and name the usual mistakes: scaling by ``p`` instead of
``1/(1 - p)``, keeping with probability ``p``, scaling at evaluation time. The statistical
tolerances are many standard deviations wide, so a correct answer never fails by bad luck.
The reference behaviour is :class:`layers_lib.Dropout` / :class:`layers_lib.Dropout2d`.
"""

from __future__ import annotations

import numpy as np

import layers_lib as ll

from . import CheckResult

__all__ = ["check_dropout_forward", "check_dropout2d_forward"]


def _fail(name, message, details):
    return CheckResult(name, False, message, [d for d in details if d])


def _call(fn, x, p, training, seed):
    return fn(x.copy(), p, training, np.random.default_rng(seed))


def _scale_hint(s: float, p: float) -> str | None:
    """Name the factor the reader multiplied the survivors by, if it is a known mistake."""
    known = [
        (1.0, "you did not rescale the surviving units. Inverted dropout multiplies them by 1/(1 - p) "
              "in training so that the expected output equals the input."),
        (p, "you multiplied the survivors by p, which shrinks them. Scale them up by 1/(1 - p)."),
        (1 - p, "you multiplied by 1 - p instead of dividing by it: inverted dropout scales the "
                "survivors *up* by 1/(1 - p)."),
        (1 / p, "you divided by p. In PyTorch's convention p is the probability of DROPPING, "
                "so the keep probability is 1 - p and the scale is 1/(1 - p). At p = 0.5 the two "
                "agree, which is how this bug hides in code that is only ever run with p = 0.5."),
    ]
    for factor, hint in known:
        if np.isclose(s, factor, rtol=1e-6):
            return hint
    return None


def _eval_hint(got, x, p) -> str | None:
    if got.shape == x.shape:
        if np.any((got == 0) & (x != 0)):
            return "you dropped units in evaluation mode: when training is False dropout does nothing."
        for factor, what in ((1 - p, "multiplied by 1 - p"),
                             (p, "multiplied by p (the drop rate; the older scheme would use the keep "
                                 "probability 1 - p, and the two agree only at p = 0.5)"),
                             (1 / (1 - p), "divided by 1 - p")):
            if np.allclose(got, factor * x):
                return (f"in evaluation mode you {what}. Inverted dropout already scaled in training, "
                        "so evaluation mode returns x unchanged; scaling at test time belongs to the "
                        "older scheme, and doing both counts the correction twice.")
    return None


def _check_eval(name, fn, x, p):
    got = np.asarray(_call(fn, x, p, False, 0))
    if got.shape != x.shape or not np.allclose(got, x):
        return _fail(name, "evaluation mode (training=False) must return x unchanged.",
                     [f"input:    x of shape {x.shape}, p = {p}, training = False",
                      f"got:      an array of shape {got.shape}" if got.shape != x.shape else None,
                      f"hint:     {_eval_hint(got, x, p) or 'return x itself when training is False.'}"])
    return None


def _reference_scale(layer, shape) -> float:
    """The factor layers_lib's own layer multiplies surviving units by (``1/(1 - p)``)."""
    out = layer(np.ones(shape))
    return float(out[out != 0][0])


def _positive_input(shape, seed):
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


def check_dropout_forward(fn) -> CheckResult:
    """Check ``fn(x, p, training, rng) -> out``: inverted dropout with drop probability ``p``,
    drawing its mask from the numpy Generator ``rng``; the identity when ``training`` is False."""
    name = "dropout_forward"
    shape = (100, 100)
    x = _positive_input(shape, 21)
    try:
        probe = _call(fn, x, 0.2, True, 0)
    except Exception as exc:  # the reader's code may raise anything
        return _fail(name, "your function raised an error.", [f"error:    {type(exc).__name__}: {exc}"])
    if probe is None:
        return _fail(name, "your function returned None — did you forget `return`?", [])
    for p in (0.2, 0.7):
        label = f"x of shape {shape} (all entries > 0), p = {p}, training = True"
        got = np.asarray(_call(fn, x, p, True, 0))
        if got.shape != x.shape:
            return _fail(name, f"the output must have the input's shape {x.shape}.",
                         [f"input:    {label}", f"got:      shape {got.shape}"])
        kept = got != 0
        ratio = got[kept] / x[kept]
        if kept.any() and not np.allclose(ratio, ratio[0]):
            return _fail(name, "every surviving unit must be multiplied by the same factor.",
                         [f"input:    {label}",
                          f"got:      output/input ranges from {ratio.min():.3f} to {ratio.max():.3f}"])
        frac = kept.mean()
        expected_scale = _reference_scale(ll.Dropout(p, rng=np.random.default_rng(0)), x.shape)
        if abs(frac - (1 - p)) > 0.03:
            if abs(frac - p) <= 0.03:
                hint = ("you keep each unit with probability p. In PyTorch's convention p is the "
                        "probability of DROPPING (cs231n and TensorFlow 1's keep_prob use the opposite).")
            elif abs(frac - 0.5) <= 0.03:
                hint = "about half the units survive whatever p is: the mask must use p."
            else:
                hint = "each unit must survive with probability 1 - p, independently of the others."
            return _fail(name, f"the fraction of surviving units is {frac:.3f}, "
                               f"expected about 1 - p = {1 - p:.2f}.",
                         [f"input:    {label}", f"hint:     {hint}"])
        if kept.any() and not np.isclose(ratio[0], expected_scale, rtol=1e-6):
            hint = _scale_hint(float(ratio[0]), p) or "the survivors must be multiplied by 1/(1 - p)."
            return _fail(name, f"the surviving units are multiplied by {ratio[0]:.4f}, expected "
                               f"1/(1 - p) = {expected_scale:.4f}.",
                         [f"input:    {label}", f"hint:     {hint}"])
    failure = _check_eval(name, fn, x, 0.3)
    if failure is not None:
        return failure
    a, b = _call(fn, x, 0.5, True, 3), _call(fn, x, 0.5, True, 3)
    if not np.array_equal(a, b):
        return _fail(name, "two calls with identically seeded rng gave different masks.",
                     ["hint:     draw the mask from the rng argument (rng.random(x.shape)), not from "
                      "np.random, so that a seeded run reproduces."])
    rng = np.random.default_rng(4)
    a, b = fn(x.copy(), 0.5, True, rng), fn(x.copy(), 0.5, True, rng)
    if np.array_equal(a != 0, b != 0):
        return _fail(name, "two calls in a row dropped exactly the same units.",
                     ["hint:     draw a fresh mask on every call; a fixed mask removes the same units "
                      "for the whole of training."])
    x_before = x.copy()
    fn(x, 0.5, True, np.random.default_rng(5))
    if not np.array_equal(x, x_before):
        return _fail(name, "your function changed its input x in place.",
                     ["hint:     return a new array (x * mask / (1 - p)); the caller may still need x."])
    return CheckResult(name, True, "all hidden checks pass (eval identity, keep rate 1 - p, "
                                   "scale 1/(1 - p), seeded and fresh masks).")


def check_dropout2d_forward(fn) -> CheckResult:
    """Check ``fn(x, p, training, rng) -> out`` for ``x`` of shape ``(N, C, H, W)``: channel
    dropout, zeroing whole feature maps with probability ``p`` and scaling the rest by
    ``1/(1 - p)``; the identity when ``training`` is False."""
    name = "dropout2d_forward"
    shape = (40, 25, 4, 5)
    x = _positive_input(shape, 22)
    p = 0.3
    label = f"x of shape {shape} (all entries > 0), p = {p}, training = True"
    try:
        got = _call(fn, x, p, True, 0)
    except Exception as exc:  # the reader's code may raise anything
        return _fail(name, "your function raised an error.", [f"error:    {type(exc).__name__}: {exc}"])
    if got is None:
        return _fail(name, "your function returned None — did you forget `return`?", [])
    got = np.asarray(got)
    if got.shape != x.shape:
        return _fail(name, f"the output must have the input's shape {x.shape}.",
                     [f"input:    {label}", f"got:      shape {got.shape}"])
    kept = got != 0
    per_channel = kept.reshape(shape[0], shape[1], -1)
    mixed = per_channel.any(axis=2) & ~per_channel.all(axis=2)
    if mixed.any():
        return _fail(name, f"{mixed.sum()} feature maps are partly dropped.",
                     [f"input:    {label}",
                      "hint:     Dropout2d makes one keep/drop decision per (example, channel): draw a mask "
                      "of shape (N, C, 1, 1) and let broadcasting spread it over H and W."])
    channel_kept = per_channel[:, :, 0]
    if np.all(channel_kept == channel_kept[:1]):
        return _fail(name, "every example dropped the same channels.",
                     [f"input:    {label}",
                      "hint:     draw the mask per example and channel, shape (N, C, 1, 1), "
                      "not (1, C, 1, 1)."])
    if np.all(channel_kept == channel_kept[:, :1]):
        return _fail(name, "each example kept or dropped all its channels together.",
                     [f"input:    {label}",
                      "hint:     draw the mask per example and channel, shape (N, C, 1, 1), "
                      "not (N, 1, 1, 1)."])
    frac = channel_kept.mean()
    if abs(frac - (1 - p)) > 0.07:
        hint = ("you keep each channel with probability p; p is the probability of DROPPING."
                if abs(frac - p) <= 0.07 else "each channel must survive with probability 1 - p.")
        return _fail(name, f"the fraction of surviving channels is {frac:.3f}, "
                           f"expected about 1 - p = {1 - p:.2f}.",
                     [f"input:    {label}", f"hint:     {hint}"])
    ratio = got[kept] / x[kept]
    expected_scale = _reference_scale(ll.Dropout2d(p, rng=np.random.default_rng(0)), x.shape)
    if not np.allclose(ratio, expected_scale):
        hint = (_scale_hint(float(ratio[0]), p) if np.allclose(ratio, ratio[0]) else None) or \
            "the surviving channels must be multiplied by 1/(1 - p)."
        return _fail(name, f"the surviving channels are multiplied by {ratio[0]:.4f}, expected "
                           f"1/(1 - p) = {expected_scale:.4f}.", [f"input:    {label}", f"hint:     {hint}"])
    failure = _check_eval(name, fn, x, p)
    if failure is not None:
        return failure
    return CheckResult(name, True, "all hidden checks pass (whole channels dropped per example, "
                                   "keep rate 1 - p, scale 1/(1 - p), eval identity).")
