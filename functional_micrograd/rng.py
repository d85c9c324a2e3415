"""Randomness as a value: a seeded generator state, passed in and returned.

Every function here takes a :class:`Rng` and returns what it drew together
with the next ``Rng``; the state it was given is unchanged and can be used
again to draw the same numbers. Python's global ``random`` module is never
read or changed, and nothing depends on hashing, so a seed gives the same
numbers in every process.

The generator is SplitMix64 (a 64-bit counter passed through a mixing
function): small, fast in pure Python and good enough for initial weights,
noise and shuffling.

>>> rng = seed(1337)
>>> x, rng2 = uniform(rng, -1.0, 1.0)
>>> y, _ = uniform(rng, -1.0, 1.0)
>>> x == y
True
>>> round(x, 6)
0.427022
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

from pyrsistent import PClass, field

from functional_micrograd import _checks

__all__ = ["Rng", "normal", "normals", "permutation", "sample", "seed", "uniform", "uniforms"]

T = TypeVar("T")

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class Rng(PClass):
    """The state of a seeded random stream: one 64-bit integer."""

    state = field(type=int, mandatory=True)

    def __repr__(self) -> str:
        return f"Rng(state={self.state:#018x})"


def _check_rng(where: str, rng: object) -> Rng:
    if not isinstance(rng, Rng):
        raise TypeError(f"{where}: expected an Rng (from rng.seed), got {rng!r}")
    return rng


def seed(n: int) -> Rng:
    """The generator state for seed ``n`` (any int).

    >>> seed(0) == seed(0), seed(0) == seed(1)
    (True, False)
    """
    return Rng(state=_checks.seed("seed", n) & _MASK)


def _next(state: int) -> tuple[int, int]:
    """One SplitMix64 step: (64 random bits, next state)."""
    state = (state + _GOLDEN) & _MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31), state


def _unit(bits: int) -> float:
    """The top 53 bits as a float in [0, 1)."""
    return (bits >> 11) * 2.0**-53


def _check_bounds(where: str, low: object, high: object) -> tuple[float, float]:
    lo = _checks.number(where, "low", low)
    hi = _checks.number(where, "high", high, at_least=lo)
    if not math.isfinite(hi - lo):
        raise ValueError(
            f"{where}: expected low and high a finite distance apart, "
            f"got low={_checks.show(low)}, high={_checks.show(high)}"
        )
    return lo, hi


def uniforms(
    rng: Rng, n: int, low: float = 0.0, high: float = 1.0
) -> tuple[tuple[float, ...], Rng]:
    """``n`` numbers uniform in [low, high), and the next state.

    >>> xs, _ = uniforms(seed(7), 3)
    >>> len(xs), all(0.0 <= x < 1.0 for x in xs)
    (3, True)
    """
    _check_rng("uniforms", rng)
    n = _checks.integer("uniforms", "n", n, minimum=0)
    low, high = _check_bounds("uniforms", low, high)
    # Rounding can carry low + (high - low) * u up to high itself; keep below it.
    top = math.nextafter(high, -math.inf) if low < high else low
    state = rng.state
    out = []
    for _ in range(n):
        bits, state = _next(state)
        out.append(min(low + (high - low) * _unit(bits), top))
    return tuple(out), Rng(state=state)


def uniform(rng: Rng, low: float = 0.0, high: float = 1.0) -> tuple[float, Rng]:
    """One number uniform in [low, high), and the next state."""
    (x,), rng = uniforms(rng, 1, low, high)
    return x, rng


def normals(rng: Rng, n: int, mean: float = 0.0, std: float = 1.0) -> tuple[tuple[float, ...], Rng]:
    """``n`` Gaussian numbers (Box-Muller), and the next state.

    >>> xs, _ = normals(seed(3), 1000)
    >>> abs(sum(xs) / 1000) < 0.1
    True
    """
    _check_rng("normals", rng)
    n = _checks.integer("normals", "n", n, minimum=0)
    mean = _checks.number("normals", "mean", mean)
    std = _checks.number("normals", "std", std, at_least=0.0)
    state = rng.state
    out = []
    for _ in range(n):
        bits1, state = _next(state)
        bits2, state = _next(state)
        u1 = 1.0 - _unit(bits1)  # in (0, 1], so log(u1) is finite
        u2 = _unit(bits2)
        out.append(mean + std * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2))
    return tuple(out), Rng(state=state)


def normal(rng: Rng, mean: float = 0.0, std: float = 1.0) -> tuple[float, Rng]:
    """One Gaussian number, and the next state."""
    (x,), rng = normals(rng, 1, mean, std)
    return x, rng


def _below(state: int, n: int) -> tuple[int, int]:
    """An int uniform in [0, n) without modulo bias, and the next state."""
    limit = (1 << 64) - ((1 << 64) % n)
    while True:
        bits, state = _next(state)
        if bits < limit:
            return bits % n, state


def _check_items(where: str, items: object) -> list[Any]:
    if not isinstance(items, Sequence):
        raise TypeError(f"{where}: expected a sequence of items, got {items!r}")
    return list(items)


def permutation(rng: Rng, items: Sequence[T]) -> tuple[tuple[T, ...], Rng]:
    """The items in a random order (Fisher-Yates), and the next state.

    >>> order, _ = permutation(seed(1), range(5))
    >>> sorted(order)
    [0, 1, 2, 3, 4]
    """
    _check_rng("permutation", rng)
    out = _check_items("permutation", items)
    state = rng.state
    for i in range(len(out) - 1, 0, -1):
        j, state = _below(state, i + 1)
        out[i], out[j] = out[j], out[i]
    return tuple(out), Rng(state=state)


def sample(rng: Rng, items: Sequence[T], k: int) -> tuple[tuple[T, ...], Rng]:
    """``k`` distinct items drawn without replacement, and the next state.

    >>> picked, _ = sample(seed(1), "abcdef", 3)
    >>> len(picked), len(set(picked))
    (3, 3)
    """
    _check_rng("sample", rng)
    pool = _check_items("sample", items)
    k = _checks.integer("sample", "k", k, minimum=0, maximum=len(pool))
    state = rng.state
    for i in range(k):
        j, state = _below(state, len(pool) - i)
        pool[i], pool[i + j] = pool[i + j], pool[i]
    return tuple(pool[:k]), Rng(state=state)
