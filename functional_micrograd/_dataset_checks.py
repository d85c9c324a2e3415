"""The checks a Dataset's fields pass at the boundary, each with one clear error.

:class:`~functional_micrograd.datasets.Dataset` runs every field through
these whichever way it is made, and :func:`~functional_micrograd.datasets.from_lists`
and the generators use the same ones, so a row, a label or a piece of
metadata is refused in one wording everywhere.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from pyrsistent import PMap, PVector, pmap, pvector

from functional_micrograd import _checks

Row = tuple[float, ...]
"""One input: a tuple of floats (an (x, y) pair for the plane)."""

_MAX_DEPTH = 50  # how deeply metadata may nest; deeper is almost surely a cycle


def _finite_float(x: object) -> float | None:
    """``x`` as a finite float, or None if it is not a finite int or float."""
    if not _checks.is_number(x):
        return None
    try:
        number = float(x)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _row(row: object) -> Row | None:
    """``row`` as a tuple of finite floats, or None if it is not one."""
    if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or not row:
        return None
    numbers_ = tuple(map(_finite_float, row))
    return None if any(v is None for v in numbers_) else numbers_  # type: ignore[return-value]


def _check_xs(where: str, xs: object) -> tuple[Row, ...]:
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(
            f"{where}: expected xs to be a sequence of rows of numbers, got {_checks.describe(xs)}"
        )
    out: list[Row] = []
    for i, row in enumerate(xs):
        checked = _row(row)
        width = len(out[0]) if out else None
        if checked is None or (width is not None and len(checked) != width):
            what = "a non-empty row of finite numbers"
            if width is not None:
                what = f"a row of {width} finite number{'s' if width > 1 else ''}, like xs[0]"
            raise ValueError(f"{where}: expected xs[{i}] to be {what}, got {_checks.show(row)}")
        out.append(checked)
    return tuple(out)


def _check_labels(where: str, task: str, ys: object) -> tuple[Any, ...]:
    """The labels, checked for the task: -1.0/1.0 floats, ints >= 0, or finite floats."""
    expected = {
        "binary": "-1.0 or 1.0",
        "multiclass": "a class index (an int >= 0)",
        "regression": "a finite number",
    }[task]
    if isinstance(ys, (str, bytes)) or not isinstance(ys, Sequence):
        raise TypeError(
            f"{where}: expected ys to be a sequence of labels ({expected}), "
            f"got {_checks.describe(ys)}"
        )
    out: list[Any] = []
    for i, label in enumerate(ys):
        checked = _label(task, label)
        if checked is None:
            hint = ""
            if task == "binary" and _label("multiclass", label) is not None:
                hint = "; for class indices 0..K-1 give task='multiclass'"
            raise ValueError(
                f"{where}: expected ys[{i}] to be {expected} for a {task} dataset, "
                f"got {_checks.describe(label)}{hint}"
            )
        out.append(checked)
    return tuple(out)


def _label(task: str, label: object) -> Any:
    """One label in its normal form for the task, or None if it does not fit."""
    if task == "multiclass":
        if isinstance(label, bool) or not isinstance(label, numbers.Integral) or label < 0:
            return None
        return int(label)
    value = _finite_float(label)
    if task == "binary" and value not in (-1.0, 1.0):
        return None
    return value


def _check_num_classes(task: str, given: object, ys: tuple[Any, ...]) -> int:
    if task == "multiclass":
        seen = max(ys, default=-1) + 1
        if given is None:
            return max(seen, 2)
        k = _checks.integer("Dataset", "num_classes", given, minimum=2)
        if seen > k:
            raise ValueError(
                f"Dataset: expected every label to be below num_classes={k}, "
                f"got the label {seen - 1}"
            )
        return k
    fixed = 2 if task == "binary" else 0
    if given is not None and (
        isinstance(given, bool) or not isinstance(given, int) or given != fixed
    ):
        raise ValueError(
            f"Dataset: expected num_classes to be {fixed} for a {task} dataset, "
            f"got {_checks.describe(given)}"
        )
    return fixed


def _check_metadata(metadata: object) -> PMap[str, Any]:
    if not isinstance(metadata, Mapping):
        raise TypeError(
            f"Dataset: expected metadata to be a mapping, got {_checks.describe(metadata)}"
        )
    if not isinstance(metadata.get("name"), str):
        raise ValueError(
            f"Dataset: expected metadata to have a str 'name', got {_checks.show(dict(metadata))}"
        )
    if not all(isinstance(k, str) for k in metadata):
        raise ValueError(
            f"Dataset: expected metadata keys to be strs, got {_checks.show(list(metadata))}"
        )
    frozen: PMap[str, Any] = _plain("metadata", metadata, 0)
    return frozen


def _plain(path: str, x: object, depth: int) -> Any:
    """``x`` as frozen plain data: scalars as they are, mappings as PMaps, sequences frozen.

    Tuples stay tuples and other sequences (lists, deques, ...) become
    PVectors, so nothing the caller keeps a handle on can change the Dataset
    afterwards; anything that is not plain data is a TypeError naming its type.
    """
    if depth > _MAX_DEPTH:
        raise ValueError(f"Dataset: expected {path} to nest at most {_MAX_DEPTH} levels deep")
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, str):
        return str(x)
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, Mapping):
        items = {}
        for key, value in x.items():
            plain_key = _plain(f"{path} key {_checks.show(key)}", key, depth + 1)
            if isinstance(plain_key, (PMap, PVector, tuple)):
                raise TypeError(f"Dataset: expected the keys of {path} to be strs or numbers")
            items[plain_key] = _plain(f"{path}[{key!r}]", value, depth + 1)
        return pmap(items)
    if isinstance(x, Sequence) and not isinstance(x, (bytes, bytearray, memoryview)):
        frozen = [_plain(f"{path}[{i}]", v, depth + 1) for i, v in enumerate(x)]
        return tuple(frozen) if isinstance(x, tuple) else pvector(frozen)
    raise TypeError(
        f"Dataset: expected {path} to be plain data (a str, number, bool, None, or a mapping "
        f"or sequence of them), got {_checks.describe(x)}"
    )
