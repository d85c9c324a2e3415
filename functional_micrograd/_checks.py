"""One check per rule, and one wording per check, for every public boundary.

Every error the library raises for bad input has the shape
``"<where>: expected <name> to be <what>, got <what came>"``, and the part
that says what came is always :func:`describe`'s: the value's repr, cut
short, and its type. The checks return the value in its normal form (ints
become floats where a float is meant), so a caller checks and converts in one
line.

>>> number("sgd", "learning_rate", 3)
3.0
>>> number("sgd", "rate", 10**400)
Traceback (most recent call last):
...
ValueError: sgd: expected rate to be a finite number, got <an int of about 401 digits> (int)
>>> integer("train", "steps", 0)
Traceback (most recent call last):
...
ValueError: train: expected steps to be an int >= 1, got 0 (int)
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence
from typing import Any, TypeVar

__all__ = [
    "describe",
    "exponent",
    "function",
    "integer",
    "is_number",
    "label",
    "number",
    "one_of",
    "seed",
    "sequence",
    "show",
]

T = TypeVar("T")


def show(x: object, limit: int = 60) -> str:
    """``repr(x)``, cut to ``limit`` characters so that a message stays readable.

    >>> show("a" * 100, limit=10)
    "'aaaaaa..."
    """
    try:
        text = repr(x)
    except ValueError:  # an int with more digits than str() will write
        if not isinstance(x, int):
            raise
        text = f"<an int of about {int(x.bit_length() * math.log10(2)) + 1} digits>"
    if isinstance(x, int) and not isinstance(x, bool) and len(text) > limit:
        text = f"<an int of about {len(text.lstrip('-'))} digits>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def describe(x: object) -> str:
    """What came, for an error message: the short repr and the type.

    >>> describe([1, 2])
    '[1, 2] (list)'
    """
    return f"{show(x)} ({type(x).__name__})"


def is_number(x: object) -> bool:
    """True for an int or float (or another real number type), False for a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def number(
    where: str,
    name: str,
    x: object,
    *,
    at_least: float | None = None,
    above: float | None = None,
    below: float | None = None,
) -> float:
    """``x`` as a finite float, within the bounds given.

    A non-number (a bool included) is a ``TypeError``; a number that is not
    finite, too large for a float, or out of bounds is a ``ValueError``.

    >>> number("adam", "eps", 1e-8, above=0.0)
    1e-08
    >>> number("momentum", "beta", 1.0, at_least=0.0, below=1.0)
    Traceback (most recent call last):
    ...
    ValueError: momentum: expected beta to be a finite number >= 0.0 and < 1.0, got 1.0 (float)
    """
    what = _bounds_text(at_least, above, below)
    if not is_number(x):
        raise TypeError(f"{where}: expected {name} to be {what}, got {describe(x)}")
    try:
        value = float(x)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"{where}: expected {name} to be {what}, got {describe(x)}") from None
    if not (
        math.isfinite(value)
        and (at_least is None or value >= at_least)
        and (above is None or value > above)
        and (below is None or value < below)
    ):
        raise ValueError(f"{where}: expected {name} to be {what}, got {describe(x)}")
    return value


def _bounds_text(at_least: float | None, above: float | None, below: float | None) -> str:
    parts = []
    if at_least is not None:
        parts.append(f">= {at_least!r}")
    if above is not None:
        parts.append(f"> {above!r}")
    if below is not None:
        parts.append(f"< {below!r}")
    return "a finite number" + (" " + " and ".join(parts) if parts else "")


def integer(
    where: str, name: str, x: object, minimum: int | None = 1, maximum: int | None = None
) -> int:
    """``x`` as an int of at least ``minimum`` and at most ``maximum``; bools are refused.

    An int counts or sizes something, so it must fit in an index: with no
    ``maximum``, ints above ``sys.maxsize`` are a ``ValueError`` too (seeds,
    which may be any int, pass ``minimum=None``).

    >>> integer("split", "seed", -3, minimum=None)
    -3
    >>> integer("sample", "k", 4, minimum=0, maximum=3)
    Traceback (most recent call last):
    ...
    ValueError: sample: expected k to be an int from 0 to 3, got 4 (int)
    >>> integer("train", "steps", 10**400)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: train: expected steps to be an int >= 1 (at most sys.maxsize), got <an int ...
    """
    if minimum is None:
        what = "an int"
    elif maximum is None:
        what = f"an int >= {minimum}"
    else:
        what = f"an int from {minimum} to {maximum}"
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{where}: expected {name} to be {what}, got {describe(x)}")
    value = int(x)
    if minimum is not None and maximum is None and value > sys.maxsize:
        what += " (at most sys.maxsize)"
        raise ValueError(f"{where}: expected {name} to be {what}, got {describe(x)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{where}: expected {name} to be {what}, got {describe(x)}")
    return value


def exponent(where: str, x: object) -> int | float:
    """A constant exponent: an int of at most 19 digits (kept an int), or a finite float.

    >>> exponent("pow", 2), exponent("pow", 0.5)
    (2, 0.5)
    >>> exponent("power", 10**400)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: power: expected the exponent to be an int of at most 19 digits, got <an int ...
    """
    if not is_number(x):
        raise TypeError(f"{where}: expected the exponent to be an int or float, got {describe(x)}")
    if isinstance(x, numbers.Integral):
        if -(2**63) <= int(x) < 2**63:  # its name, "**" + repr(n), stays short
            return int(x)
        raise ValueError(
            f"{where}: expected the exponent to be an int of at most 19 digits, got {describe(x)}"
        )
    return number(where, "the exponent", x)


def seed(where: str, x: object) -> int:
    """A seed: any int (bools refused). The same seed gives the same numbers everywhere.

    >>> seed("mlp", 1337)
    1337
    """
    return integer(where, "seed", x, minimum=None)


def label(where: str, x: object) -> str | None:
    """A node's label: a str or None.

    >>> label("Value", 3)
    Traceback (most recent call last):
    ...
    TypeError: Value: expected label to be a str or None, got 3 (int)
    """
    if x is None or isinstance(x, str):
        return x
    raise TypeError(f"{where}: expected label to be a str or None, got {describe(x)}")


def one_of(where: str, name: str, x: object, choices: Sequence[T]) -> T:
    """``x`` if it is one of ``choices``, else a ``ValueError`` listing them.

    >>> one_of("mlp", "activation", "gelu", ("relu", "tanh"))
    Traceback (most recent call last):
    ...
    ValueError: mlp: expected activation to be one of 'relu', 'tanh', got 'gelu' (str)
    """
    for choice in choices:
        if type(x) is type(choice) and x == choice:
            return choice
    shown = ", ".join(map(repr, choices))
    raise ValueError(f"{where}: expected {name} to be one of {shown}, got {describe(x)}")


def sequence(where: str, name: str, x: object) -> tuple[Any, ...]:
    """``x`` as a tuple, if it is a sequence other than a str or bytes.

    >>> sequence("from_lists", "xs", [1, 2])
    (1, 2)
    """
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{where}: expected {name} to be a sequence, got {describe(x)}")
    return tuple(x)


def function(where: str, name: str, x: T) -> T:
    """``x`` if it can be called, else a ``TypeError``.

    >>> function("jit", "f", 3)
    Traceback (most recent call last):
    ...
    TypeError: jit: expected f to be a function, got 3 (int)
    """
    if not callable(x):
        raise TypeError(f"{where}: expected {name} to be a function, got {describe(x)}")
    return x
