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

from . import CheckResult, Property, check_cases

__all__ = ["check_dropout_forward", "check_dropout2d_forward"]


def _failure(message, *details):
    """A judge's verdict: the message and its detail lines (``None`` lines are left out)."""
    return message, [d for d in details if d]


def _show(args) -> str:
    x, p, training, _ = args
    return f"x of shape {x.shape} (all entries > 0), p = {p}, training = {training}"


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


def _eval_identity(got, args, call):
    x, p, _, _ = args
    got = np.asarray(got)
    if got.shape != x.shape or not np.allclose(got, x):
        return _failure("evaluation mode (training=False) must return x unchanged.",
                        f"got:      an array of shape {got.shape}" if got.shape != x.shape else None,
                        f"hint:     {_eval_hint(got, x, p) or 'return x itself when training is False.'}")
    return None


def _reference_scale(layer, shape) -> float:
    """The factor layers_lib's own layer multiplies surviving units by (``1/(1 - p)``)."""
    out = layer(np.ones(shape))
    return float(out[out != 0][0])


def _positive_input(shape, seed):
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


def _shaped(judge):
    """``judge`` run on ``np.asarray(got)``, after checking that it has the input's shape."""
    def shaped(got, args, call):
        x, got = args[0], np.asarray(got)
        if got.shape != x.shape:
            return _failure(f"the output must have the input's shape {x.shape}.",
                            f"got:      shape {got.shape}")
        return judge(got, args, call)
    return shaped


@_shaped
def _scaled_survivors(got, args, call):
    """Training: the right shape, one factor for every survivor, keep rate 1 - p, factor 1/(1 - p)."""
    x, p, _, _ = args
    kept = got != 0
    ratio = got[kept] / x[kept]
    if kept.any() and not np.allclose(ratio, ratio[0]):
        return _failure("every surviving unit must be multiplied by the same factor.",
                        f"got:      output/input ranges from {ratio.min():.3f} to {ratio.max():.3f}")
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
        return _failure(f"the fraction of surviving units is {frac:.3f}, expected about 1 - p = {1 - p:.2f}.",
                        f"hint:     {hint}")
    if kept.any() and not np.isclose(ratio[0], expected_scale, rtol=1e-6):
        hint = _scale_hint(float(ratio[0]), p) or "the survivors must be multiplied by 1/(1 - p)."
        return _failure(f"the surviving units are multiplied by {ratio[0]:.4f}, expected "
                        f"1/(1 - p) = {expected_scale:.4f}.", f"hint:     {hint}")
    return None


def _mask_again(seed: int | None):
    """A judge that runs the reader's function once more: with a new generator of the case's
    ``seed`` the mask must repeat; with ``seed=None`` (the case's own generator, drawn from once
    already) a fresh mask must come."""
    def judge(got, args, call):
        x, p, training, rng = args
        again = call(x.copy(), p, training, rng if seed is None else np.random.default_rng(seed))
        same = np.array_equal(np.asarray(got) != 0, np.asarray(again) != 0)
        if seed is not None and not same:
            return _failure("two calls with identically seeded rng gave different masks.",
                            "hint:     draw the mask from the rng argument (rng.random(x.shape)), not from "
                            "np.random, so that a seeded run reproduces.")
        if seed is None and same:
            return _failure("two calls in a row dropped exactly the same units.",
                            "hint:     draw a fresh mask on every call; a fixed mask removes the same units "
                            "for the whole of training.")
        return None
    return judge


def _not_in_place(got, args, call):
    x, p, training, _ = args
    x_before = x.copy()
    call(x, p, training, np.random.default_rng(5))  # on x itself, not on the copy the runner passed
    if not np.array_equal(x, x_before):
        return _failure("your function changed its input x in place.",
                        "hint:     return a new array (x * mask / (1 - p)); the caller may still need x.")
    return None


def check_dropout_forward(fn) -> CheckResult:
    """Check ``fn(x, p, training, rng) -> out``: inverted dropout with drop probability ``p``,
    drawing its mask from the numpy Generator ``rng``; the identity when ``training`` is False."""
    x = _positive_input((100, 100), 21)
    cases = [((x, 0.2, True, np.random.default_rng(0)), Property(_scaled_survivors)),
             ((x, 0.7, True, np.random.default_rng(0)), Property(_scaled_survivors)),
             ((x, 0.3, False, np.random.default_rng(0)), Property(_eval_identity)),
             ((x, 0.5, True, np.random.default_rng(3)), Property(_mask_again(seed=3))),
             ((x, 0.5, True, np.random.default_rng(4)), Property(_mask_again(seed=None))),
             ((x, 0.5, True, np.random.default_rng(5)), Property(_not_in_place))]
    return check_cases("dropout_forward", fn, cases, show_input=_show,
                       passed="all hidden checks pass (eval identity, keep rate 1 - p, scale 1/(1 - p), "
                              "seeded and fresh masks).")


@_shaped
def _whole_channels(got, args, call):
    """Training: whole feature maps dropped, per example and channel, at rate p, scaled by 1/(1 - p)."""
    x, p, _, _ = args
    kept = got != 0
    per_channel = kept.reshape(x.shape[0], x.shape[1], -1)
    mixed = per_channel.any(axis=2) & ~per_channel.all(axis=2)
    if mixed.any():
        return _failure(f"{mixed.sum()} feature maps are partly dropped.",
                        "hint:     Dropout2d makes one keep/drop decision per (example, channel): draw a "
                        "mask of shape (N, C, 1, 1) and let broadcasting spread it over H and W.")
    channel_kept = per_channel[:, :, 0]
    if np.all(channel_kept == channel_kept[:1]):
        return _failure("every example dropped the same channels.",
                        "hint:     draw the mask per example and channel, shape (N, C, 1, 1), "
                        "not (1, C, 1, 1).")
    if np.all(channel_kept == channel_kept[:, :1]):
        return _failure("each example kept or dropped all its channels together.",
                        "hint:     draw the mask per example and channel, shape (N, C, 1, 1), "
                        "not (N, 1, 1, 1).")
    frac = channel_kept.mean()
    if abs(frac - (1 - p)) > 0.07:
        hint = ("you keep each channel with probability p; p is the probability of DROPPING."
                if abs(frac - p) <= 0.07 else "each channel must survive with probability 1 - p.")
        return _failure(f"the fraction of surviving channels is {frac:.3f}, "
                        f"expected about 1 - p = {1 - p:.2f}.", f"hint:     {hint}")
    ratio = got[kept] / x[kept]
    expected_scale = _reference_scale(ll.Dropout2d(p, rng=np.random.default_rng(0)), x.shape)
    if not np.allclose(ratio, expected_scale):
        hint = (_scale_hint(float(ratio[0]), p) if np.allclose(ratio, ratio[0]) else None) or \
            "the surviving channels must be multiplied by 1/(1 - p)."
        return _failure(f"the surviving channels are multiplied by {ratio[0]:.4f}, expected "
                        f"1/(1 - p) = {expected_scale:.4f}.", f"hint:     {hint}")
    return None


def check_dropout2d_forward(fn) -> CheckResult:
    """Check ``fn(x, p, training, rng) -> out`` for ``x`` of shape ``(N, C, H, W)``: channel
    dropout, zeroing whole feature maps with probability ``p`` and scaling the rest by
    ``1/(1 - p)``; the identity when ``training`` is False."""
    x = _positive_input((40, 25, 4, 5), 22)
    cases = [((x, 0.3, True, np.random.default_rng(0)), Property(_whole_channels)),
             ((x, 0.3, False, np.random.default_rng(0)), Property(_eval_identity))]
    return check_cases("dropout2d_forward", fn, cases, show_input=_show,
                       passed="all hidden checks pass (whole channels dropped per example, keep rate 1 - p, "
                              "scale 1/(1 - p), eval identity).")
