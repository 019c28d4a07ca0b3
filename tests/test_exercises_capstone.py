import numpy as np

from layers_lib.exercises.capstone import check_accuracy


def test_accepts_the_right_answer():
    result = check_accuracy(lambda logits, labels: float(np.mean(logits.argmax(axis=1) == labels)))
    assert result.passed and "all 4 hidden cases pass" in str(result)


def test_rejects_a_count_with_a_hint():
    result = check_accuracy(lambda logits, labels: int(np.sum(logits.argmax(axis=1) == labels)))
    assert not result.passed and "divide by the batch size" in str(result)


def test_rejects_a_percentage_with_a_hint():
    result = check_accuracy(lambda logits, labels: 100 * np.mean(logits.argmax(axis=1) == labels))
    assert not result.passed and "percentage" in str(result)


def test_rejects_argmax_over_the_batch_axis_with_a_hint():
    result = check_accuracy(lambda logits, labels: float(np.mean(logits.argmax(axis=0) == labels)))
    assert not result.passed and "argmax(axis=1)" in str(result)


def test_a_stub_returning_none_is_told_to_return():
    result = check_accuracy(lambda logits, labels: None)
    assert not result.passed and "return" in str(result)
