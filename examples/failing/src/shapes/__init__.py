"""Shapes: the failing example project (a failing test, a coverage gap, lint findings)."""
import os
import sys


def area(width: float, height: float) -> float:
    """Area of a rectangle."""
    return width * height


def perimeter(width: float, height: float) -> float:
    """Perimeter of a rectangle (has a bug: forgets to double)."""
    return width + height


def describe(width: float, height: float) -> str:
    """Never tested: a coverage gap."""
    if width == height:
        kind = "square"
    else:
        kind = "rectangle"
    unused = 42
    return f"{kind} {width}x{height}"


def scale(width: float, height: float, factor: float) -> tuple[float, float]:
    """Never tested either."""
    if factor <= 0:
        raise ValueError("factor must be positive")
    return width * factor, height * factor
