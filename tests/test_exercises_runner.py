"""The one exercise runner (layers_lib.exercises): check_cases, catching, Raised, close, Property."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from layers_lib.exercises import CheckResult, Property, Raised, catching, check_cases, close

CASES = [((np.array([1.0, 2.0]),), np.array([2.0, 4.0])), ((np.array([3.0]),), np.array([6.0]))]


def test_a_right_answer_passes_every_case():
    result = check_cases("double", lambda x: 2 * x, CASES)
    assert result.passed and bool(result) and str(result) == "✓ double: all 2 hidden cases pass."


def test_the_first_wrong_case_is_reported_with_its_input_and_both_values():
    result = check_cases("double", lambda x: x * x, CASES, show_input=lambda args: f"x = {args[0]}")
    assert not result.passed
    assert str(result).splitlines() == ["✗ double: case 1 of 2 failed.", "  input:    x = [1. 2.]",
                                        "  expected: [2., 4.]", "  got:      [1., 4.]"]


def test_an_error_is_reported_plainly_and_the_hint_sees_it():
    seen = []

    def diagnose(args, got, expected):
        seen.append(got)
        return "a single value needs no special case" if isinstance(got, Raised) else None

    def fails_on_one(x):
        if x.size == 1:
            raise IndexError("index 1 is out of bounds")
        return 2 * x

    result = check_cases("double", fails_on_one, CASES, diagnose=diagnose)
    assert str(result).splitlines() == [
        "✗ double: case 2 of 2 raised an error.", "  input:    (array([3.]),)",
        "  error:    IndexError: index 1 is out of bounds",
        "  hint:     a single value needs no special case"]
    assert len(seen) == 1 and isinstance(seen[0], Raised) and isinstance(seen[0].exc, IndexError)


def test_an_exception_becomes_a_raised_value():
    def boom(x):
        raise ValueError(f"no {x}")

    result = check_cases("f", boom, [((1,), 2)])
    assert result.details == ["input:    (1,)", "error:    ValueError: no 1"]
    assert repr(catching(boom)(3)) == "an error: ValueError: no 3"


def test_none_gets_the_forgotten_return_hint():
    result = check_cases("f", lambda x: None, CASES)
    assert str(result) == "✗ f: your function returned None — did you forget `return`?"


def test_tuple_outputs_name_the_wrong_ones_with_their_largest_difference():
    expected = (np.ones((2, 3)), np.zeros(3))
    cases = [((np.ones(1),), expected)]
    names = ("dw", "db")
    wrong_value = check_cases("grads", lambda x: (np.ones((2, 3)), np.full(3, 0.5)), cases, names=names)
    assert wrong_value.details[1:] == ["expected: dw (2, 3), db (3,)", "got:      dw (2, 3), db (3,)",
                                       "wrong:    db (largest difference 0.5)"]
    wrong_shape = check_cases("grads", lambda x: (np.ones((2, 3)), np.zeros((2, 3))), cases, names=names)
    assert wrong_shape.details[-1] == "wrong:    db"
    one_array = check_cases("grads", lambda x: np.ones((2, 3)), cases, names=("dw", "db"))
    assert one_array.details[-1] == "got:      one array of shape (2, 3)"
    too_many = check_cases("grads", lambda x: (1, 2, 3), cases, names=("dw", "db"))
    assert too_many.details[-1] == "got:      (1, 2, 3)"
    assert check_cases("grads", lambda x: (np.ones((2, 3)), np.zeros(3)), cases, names=("dw", "db")).passed


def test_a_ragged_tuple_where_one_array_is_expected_fails_without_crashing():
    result = check_cases("f", lambda x: (np.ones((2, 2)), np.ones(3)), [((1,), np.ones((2, 2)))])
    assert not result.passed and result.details[-1] == "got:      a tuple of 2 items with shapes (2, 2), (3,)"


def test_quiet_silences_floating_point_warnings_only_while_the_reader_runs():
    cases = [((np.array([1000.0]),), np.array([1.0]))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as pytest's filterwarnings does for layers_lib's own warnings
        quiet = check_cases("exp", np.exp, cases, quiet=True)
        loud = check_cases("exp", np.exp, cases)
    assert quiet.details[-1] == "got:      [inf]"  # the overflow is seen in the result, for a hint to explain
    assert loud.message == "case 1 of 1 raised an error." and "RuntimeWarning: overflow" in str(loud)


def test_arguments_are_passed_as_copies():
    x = np.array([1.0, 2.0])

    def in_place(a):
        a *= 2
        return a

    assert check_cases("double", in_place, [((x,), np.array([2.0, 4.0]))]).passed
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_a_property_judges_and_words_its_own_failure():
    def even(got, args, call):
        again = call(*args)
        return None if got % 2 == 0 and again == got else ("the answer must be even.", ["hint:     add 1"])

    assert check_cases("f", lambda n: 2 * n, [((3,), Property(even))], passed="even, always.").message == \
        "even, always."
    result = check_cases("f", lambda n: n, [((3,), Property(even))])
    assert str(result).splitlines() == ["✗ f: the answer must be even.", "  input:    (3,)",
                                        "  hint:     add 1"]


@pytest.mark.parametrize("got, expected, answer", [
    ([1.0, 2.0], np.array([1.0, 2.0]), True),
    (np.array([1.0, 2.0 + 1e-5]), np.array([1.0, 2.0]), False),  # the course's 1e-6 tolerance
    (np.ones(3), np.ones(2), False),
    (None, 1.0, False),
    (Raised(ValueError("x")), np.ones(2), False),
    ("ab", np.ones(2), False),
    ((np.ones(2), np.ones(3)), np.ones(2), False),  # ragged
])
def test_close(got, expected, answer):
    assert close(got, expected) is answer


def test_check_result_is_falsy_when_it_fails():
    assert not CheckResult("f", False, "no") and CheckResult("f", True, "yes")
