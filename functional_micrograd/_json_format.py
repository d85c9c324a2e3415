"""The document format: its version, the size limit, the bounded parse, checks of parsed JSON.

Every saved document is ``{"format_version": 1, "kind": ..., <key>: <body>}``.
:func:`_dumps` writes one; :func:`_top` reads one back: the text's length
first, then the parse (no NaN or Infinity, no duplicate keys, no integer too
long to be a float, the cyclic collector paused), then the keys and the
version. The ``_object``, ``_list`` and number checks here make nothing
bigger than what they are given, and their messages stay short whatever its
size, so :mod:`functional_micrograd.serialize` can check a whole document
before it builds anything.
"""

from __future__ import annotations

import collections
import json
import math
import re
import sys
from collections.abc import Sequence
from typing import Any

from functional_micrograd import _checks, _collector

# functional_micrograd.serialize shows these two, with what they mean.
FORMAT_VERSION = 1
MAX_TEXT = 64 * 1024 * 1024

_FEW = 5  # how many keys an error message lists


# -- writing ---------------------------------------------------------------------------


def _dumps(kind: str, key: str, body: Any) -> str:
    doc = {"format_version": FORMAT_VERSION, "kind": kind, key: body}
    return json.dumps(doc, allow_nan=False)


# -- reading: the text -----------------------------------------------------------------


def _brief(x: object) -> str:
    """What a value was, for a message: short whatever its size (no repr of a huge list)."""
    if isinstance(x, list):
        return f"a list of {len(x)} items" if x else "[]"
    if isinstance(x, dict):
        return f"an object with {len(x)} keys" if x else "{}"
    if isinstance(x, str):
        return _checks.show(x[:60])
    return _checks.show(x)


def _few(keys: Sequence[str]) -> str:
    """At most a few keys, each cut short: ``['a', 'b', ... (9 in all)]``."""
    shown = [_checks.show(k, limit=30) for k in keys[:_FEW]]
    more = f", ... ({len(keys)} in all)" if len(keys) > _FEW else ""
    return f"[{', '.join(shown)}{more}]"


class _Refused(ValueError):
    pass


def _parse(where: str, text: object) -> Any:
    if not isinstance(text, str):
        raise TypeError(f"{where}: expected a str of JSON text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{where}: the text is {len(text)} characters; at most {MAX_TEXT}")

    def no_constants(name: str) -> None:
        raise _Refused(f"{where}: {name} is not allowed; every number must be finite")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) != len(pairs):
            counts = collections.Counter(k for k, _ in pairs)
            twice = sorted(k for k, n in counts.items() if n > 1)
            raise _Refused(f"{where}: duplicate keys in an object: {_few(twice)}")
        return found

    def whole_number(digits: str) -> int:
        # Where Python does not cap int() itself, very long digit strings would
        # take quadratic time; no float has over 309 integer digits anyway.
        if len(digits) > 400:
            raise _Refused(
                f"{where}: an integer of {len(digits)} digits is too large to be a float"
            )
        return int(digits)

    capped = getattr(sys, "get_int_max_str_digits", lambda: 0)() > 0
    try:
        # Parsed JSON has no cycles; the collector's passes over millions of
        # fresh containers would cost several times the parse itself.
        with _collector.paused():
            return json.loads(
                text,
                parse_constant=no_constants,
                parse_int=None if capped else whole_number,
                object_pairs_hook=no_duplicates,
            )
    except _Refused as refused:
        raise ValueError(str(refused)) from None
    except RecursionError:
        raise ValueError(f"{where}: the text is nested too deeply to be a document") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not valid JSON ({error})") from None
    except ValueError as error:  # int() refused a digit string over Python's limit
        found = re.search(r"has (\d+) digits", str(error))
        digits = found.group(1) if found else f"over {sys.get_int_max_str_digits()}"
        raise ValueError(
            f"{where}: an integer of {digits} digits is too large to be a float"
        ) from None


# -- reading: checks that make nothing big ------------------------------------------------


def _bad(where: str, path: str, expected: str, got: object) -> ValueError:
    return ValueError(f"{where}: expected {path} to be {expected}, got {_brief(got)}")


def _object(where: str, path: str, doc: object, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise _bad(where, path, f"an object with keys {list(keys)}", doc)
    if doc.keys() != set(keys):
        unknown = [k for k in doc if k not in keys]  # in the text's order: no sort of a million
        missing = [k for k in keys if k not in doc]
        raise ValueError(
            f"{where}: {path} must have exactly the keys {list(keys)}"
            + (f"; unknown: {_few(unknown)}" if unknown else "")
            + (f"; missing: {_few(missing)}" if missing else "")
        )
    return doc


def _list(where: str, path: str, doc: object, empty: bool = False) -> list[Any]:
    if not isinstance(doc, list) or not (doc or empty):
        raise _bad(where, path, "a list" if empty else "a non-empty list", doc)
    return doc


def _number(where: str, path: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _bad(where, path, "a number", x)
    try:
        number = float(x)
    except OverflowError:
        raise _bad(where, path, "a finite number", x) from None
    if not math.isfinite(number):
        raise _bad(where, path, "a finite number", x)
    return number


def _numbers(where: str, path: str, xs: list[Any]) -> list[float]:
    """Every item as a finite float; the path of the first bad one is named only on failure."""
    try:
        numbers = [float(x) for x in xs if type(x) is float or type(x) is int]
    except OverflowError:  # an int too large for a float
        numbers = []
    if len(numbers) == len(xs) and all(map(math.isfinite, numbers)):
        return numbers
    for i, x in enumerate(xs):
        _number(where, f"{path}[{i}]", x)
    raise AssertionError("unreachable: some item failed above")  # pragma: no cover


def _maybe_number(where: str, path: str, x: object) -> float | None:
    return None if x is None else _number(where, path, x)


def _integer(where: str, path: str, x: object, minimum: int, maximum: int | None = None) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < minimum:
        raise _bad(where, path, f"an integer >= {minimum}", x)
    if maximum is not None and x > maximum:
        raise _bad(where, path, f"an integer between {minimum} and {maximum}", x)
    return x


def _version(where: str, top: dict[str, Any]) -> None:
    version = top["format_version"]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise _bad(where, "format_version", str(FORMAT_VERSION), version)


def _top(where: str, text: object, key: str) -> dict[str, Any]:
    top = _object(where, "the document", _parse(where, text), ("format_version", "kind", key))
    _version(where, top)
    return top
