import pytest

from calc import add, clamp, divide


def test_add():
    assert add(2, 3) == 5


def test_divide():
    assert divide(9, 3) == 3


def test_divide_by_zero():
    with pytest.raises(ZeroDivisionError):
        divide(1, 0)


@pytest.mark.parametrize(("value", "expected"), [(-5, 0), (5, 5), (50, 10)])
def test_clamp(value, expected):
    assert clamp(value, 0, 10) == expected


@pytest.mark.skip(reason="shown as skipped in the result")
def test_not_ready():
    raise AssertionError
