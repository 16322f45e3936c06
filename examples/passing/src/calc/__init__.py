"""A tiny calculator: the passing example project."""


def add(a: int, b: int) -> int:
    """Return a + b."""
    return a + b


def divide(a: float, b: float) -> float:
    """Return a / b, refusing zero."""
    if b == 0:
        raise ZeroDivisionError("b must not be zero")
    return a / b


def clamp(value: int, low: int, high: int) -> int:
    """Return value limited to [low, high]."""
    if value < low:
        return low
    if value > high:
        return high
    return value
