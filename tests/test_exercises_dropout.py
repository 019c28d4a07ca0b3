"""The dropout chapter's self-checking exercises accept right answers and name wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from layers_lib.exercises import dropout as ex


def right(x, p, training, rng):
    if not training:
        return x
    return x * (rng.random(x.shape) >= p) / (1 - p)


def right_2d(x, p, training, rng):
    if not training:
        return x
    return x * (rng.random(x.shape[:2] + (1, 1)) >= p) / (1 - p)


def test_accepts_right_answers():
    assert ex.check_dropout_forward(right).passed
    assert ex.check_dropout2d_forward(right_2d).passed


def test_accepts_a_differently_drawn_but_correct_mask():
    def uniform_below(x, p, training, rng):  # keep where u < 1 - p: also probability 1 - p
        return x * (rng.uniform(size=x.shape) < 1 - p) / (1 - p) if training else x

    assert ex.check_dropout_forward(uniform_below).passed


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, p, t, rng: x * (rng.random(x.shape) >= p) * p if t else x, "multiplied the survivors by p"),
    (lambda x, p, t, rng: x * (rng.random(x.shape) >= p) / p if t else x, "you divided by p"),
    (lambda x, p, t, rng: x * (rng.random(x.shape) >= p) if t else x, "did not rescale"),
    (lambda x, p, t, rng: x * (rng.random(x.shape) < p) / (1 - p) if t else x,
     "keep each unit with probability p"),
    (lambda x, p, t, rng: x * (rng.random(x.shape) >= p) / (1 - p) if t else x * (1 - p),
     "in evaluation mode you multiplied by 1 - p"),
    (lambda x, p, t, rng: x * (rng.random(x.shape) >= p) / (1 - p), "dropped units in evaluation mode"),
    # the seed note's snippet: keeps half the units whatever p is, and ignores rng
    (lambda x, p, t, rng: x * np.random.randint(0, 2, size=x.shape) / 0.5 if t else x,  # noqa: NPY002
     "the mask must use p"),
    (lambda x, p, t, rng: x * (np.random.random(x.shape) >= p) / (1 - p) if t else x,  # noqa: NPY002
     "from the rng argument"),
])
def test_names_typical_mistakes(wrong, hint):
    result = ex.check_dropout_forward(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_catches_a_fixed_mask_and_in_place_changes():
    def fixed(x, p, training, rng):
        return x * (np.random.default_rng(0).random(x.shape) >= p) / (1 - p) if training else x

    assert "exactly the same units" in str(ex.check_dropout_forward(fixed))

    def in_place(x, p, training, rng):
        if training:
            x *= (rng.random(x.shape) >= p) / (1 - p)
        return x

    assert "in place" in str(ex.check_dropout_forward(in_place))


def test_stub_and_errors():
    assert "returned None" in str(ex.check_dropout_forward(lambda x, p, t, rng: None))
    assert "returned None" in str(ex.check_dropout2d_forward(lambda x, p, t, rng: None))
    assert "raised an error" in str(ex.check_dropout2d_forward(lambda x, p, t, rng: 1 / 0))


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, p, t, rng: x * (rng.random(x.shape) >= p) / (1 - p) if t else x, "partly dropped"),
    (lambda x, p, t, rng: x * (rng.random((1, x.shape[1], 1, 1)) >= p) / (1 - p) if t else x,
     "every example dropped the same channels"),
    (lambda x, p, t, rng: x * (rng.random((x.shape[0], 1, 1, 1)) >= p) / (1 - p) if t else x,
     "kept or dropped all its channels together"),
    (lambda x, p, t, rng: x * (rng.random(x.shape[:2] + (1, 1)) < p) / (1 - p) if t else x,
     "keep each channel with probability p"),
    (lambda x, p, t, rng: x * (rng.random(x.shape[:2] + (1, 1)) >= p) * p if t else x,
     "multiplied the survivors by p"),
    (lambda x, p, t, rng: x * (rng.random(x.shape[:2] + (1, 1)) >= p) / (1 - p) if t else x * (1 - p),
     "evaluation mode"),
])
def test_dropout2d_names_typical_mistakes(wrong, hint):
    result = ex.check_dropout2d_forward(wrong)
    assert not result.passed
    assert hint in str(result), str(result)
