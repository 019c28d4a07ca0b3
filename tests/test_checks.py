"""The input checks every family shares (layers_lib._checks): each error names the layer, what it
expected and what it got."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from layers_lib import _checks as checks


@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=5))
def test_check_input_accepts_the_listed_ranks_and_names_the_layout_otherwise(shape):
    x = np.zeros(shape)
    if x.ndim in (3, 4):
        assert checks.check_input("MaxPool2d", x, (3, 4), "(N, C, H, W) or (C, H, W)") is x
    else:
        expected = f"MaxPool2d expected input of shape (N, C, H, W) or (C, H, W), got {tuple(shape)}"
        with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
            checks.check_input("MaxPool2d", x, (3, 4), "(N, C, H, W) or (C, H, W)")


def test_check_input_refuses_empty_inputs_and_integer_dtypes_when_asked():
    with pytest.raises(ValueError, match=r"^Pool expected a non-empty input of shape \(N, C, H, W\), "
                                         r"got \(1, 0, 2, 2\)$"):
        checks.check_input("Pool", np.zeros((1, 0, 2, 2)), 4, "(N, C, H, W)", nonempty=True)
    assert checks.check_input("Pool", np.zeros((1, 0, 2, 2)), 4, "(N, C, H, W)").shape == (1, 0, 2, 2)
    with pytest.raises(TypeError, match="^Pool expected a floating-point input, got dtype int64$"):
        checks.check_input("Pool", np.zeros((1, 1, 2, 2), dtype=np.int64), 4, "(N, C, H, W)")
    assert checks.check_input("Pool", [[[[1.0]]]], 4, "(N, C, H, W)").shape == (1, 1, 1, 1)  # lists too


def test_batched_adds_the_batch_axis_only_to_unbatched_input():
    x = np.zeros((3, 4, 5))
    b, unbatched = checks.batched(x, 3)
    assert b.shape == (1, 3, 4, 5) and unbatched and np.shares_memory(b, x)
    b, unbatched = checks.batched(np.zeros((2, 3, 4, 5)), 3)
    assert b.shape == (2, 3, 4, 5) and not unbatched


@pytest.mark.parametrize("value, error, message", [
    (True, TypeError, "L expected n to be an int, got True"),
    (2.0, TypeError, "L expected n to be an int, got 2.0"),
    ("3", TypeError, "L expected n to be an int, got '3'"),
    (0, ValueError, "L expected n >= 1, got 0"),
])
def test_check_int(value, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        checks.check_int("L", "n", value)


def test_check_int_without_a_minimum_takes_negative_dims():
    assert checks.check_int("Softmax", "dim", -3, minimum=None) == -3
    four = checks.check_int("L", "n", np.int64(4))
    assert four == 4 and type(four) is int


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_check_real_refuses_nan_always_and_infinity_unless_allowed(value):
    if math.isnan(value):
        for finite in (True, False):
            with pytest.raises(ValueError, match="^ELU expected alpha to be a (finite )?number, got nan$"):
                checks.check_real("ELU", "alpha", value, finite=finite)
    elif math.isinf(value):
        with pytest.raises(ValueError, match=f"^ELU expected alpha to be a finite number, got {value}$"):
            checks.check_real("ELU", "alpha", value)
        assert checks.check_real("Softplus", "threshold", value, finite=False) == value
    else:
        assert checks.check_real("ELU", "alpha", value) == value


def test_check_real_types_and_zero():
    for bad in (True, "1", None, 1j):
        message = f"CELU expected alpha to be a number, got {bad!r}"
        with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
            checks.check_real("CELU", "alpha", bad)
    with pytest.raises(ValueError, match=r"^CELU expected alpha != 0 \(it divides x\), got 0.0$"):
        checks.check_real("CELU", "alpha", 0, nonzero="it divides x")
    assert checks.check_real("ELU", "alpha", 0) == 0.0 and isinstance(checks.check_real("E", "a", 3), float)


def test_check_bool_and_check_rng():
    assert checks.check_bool("T", "flag", np.bool_(True)) is True
    for bad in (1, "True", None):
        with pytest.raises(TypeError, match=f"^T expected flag to be True or False, got {bad!r}$"):
            checks.check_bool("T", "flag", bad)
    rng = np.random.default_rng(0)
    assert checks.check_rng("Dropout", rng) is rng
    assert isinstance(checks.check_rng("Dropout", None), np.random.Generator)
    with pytest.raises(TypeError, match="^Dropout expected rng to be a numpy.random.Generator, "
                                        "got RandomState$"):
        checks.check_rng("Dropout", np.random.RandomState(0))


def test_check_grad_and_pair():
    with pytest.raises(ValueError, match=r"^Linear.backward expected a gradient of shape \(2, 3\) "
                                         r"\(the shape of the forward output\), got \(3, 2\)$"):
        checks.check_grad("Linear", np.zeros((3, 2)), (2, 3))
    assert checks.pair("Conv2d", "stride", 2) == (2, 2) and checks.pair("Conv2d", "stride", (1, 3)) == (1, 3)
    with pytest.raises(ValueError, match=r"^Conv2d expected stride to be an int or a pair, got \(1, 2, 3\)$"):
        checks.pair("Conv2d", "stride", (1, 2, 3))
