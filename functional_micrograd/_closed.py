"""A Value's record protocol, answered so that a node never changes.

A pyrsistent PClass offers ways to make changed copies (``set``, ``evolver``)
and to build an instance from a mapping (``create``). A node of a graph must
not change: its data, op, inputs and local derivatives are fixed when it is
made, and its id is what equality means. :class:`Closed` gives
:class:`~functional_micrograd.value.Value` the answers, kept here so that
value.py reads as the graph's nodes and their ops.

>>> from functional_micrograd.value import Value
>>> Value(2.0).set(label="w")
Value(data=2.0, label='w')
>>> Value(2.0).set(data=3.0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
TypeError: Value.set: only 'label' can change, got ['data']; ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, cast

from functional_micrograd import _checks, _nodes

if TYPE_CHECKING:
    from functional_micrograd.value import Value

__all__ = ["Closed"]


class Closed:
    """PClass's protocol for Values: only the label can change, and only in a copy."""

    __slots__ = ()

    def set(self: Value, *args: Any, **changes: Any) -> Value:  # type: ignore[misc]
        """Return this node with a new label; nothing else about a node can change.

        >>> from functional_micrograd.value import Value
        >>> (Value(2.0) * 3).set(label="e")
        Value(data=6.0, op='*', label='e')
        """
        if args:
            if len(args) != 2:
                raise TypeError(f"Value.set: expected (name, value), got {args!r}")
            changes[args[0]] = args[1]
        unknown = sorted(set(changes) - {"label"})
        if unknown:
            raise TypeError(
                f"Value.set: only 'label' can change, got {unknown}; data, op, id, "
                "inputs and local_grads are fixed when a node is made: build a new Value"
            )
        label = _checks.label("Value.set", changes.get("label", self.label))
        return _nodes.node(
            self.data, self.op, self.inputs, self.local_grads, label, self.id, type(self)
        )

    def evolver(self) -> NoReturn:
        """Values have no evolver: use ``set(label=...)`` or build a new Value."""
        raise TypeError("Value.evolver: a Value cannot be evolved; use set(label=...) or ops")

    @classmethod
    def create(cls, kwargs: Any, _factory_fields: Any = None, ignore_extra: bool = False) -> Value:
        """Make a leaf from a mapping with ``data`` and optionally ``label``.

        >>> from functional_micrograd.value import Value
        >>> Value.create({"data": 1.5, "label": "w"})
        Value(data=1.5, label='w')
        """
        if isinstance(kwargs, Closed):  # a Value already
            return cast("Value", kwargs)
        if not isinstance(kwargs, dict) or "data" not in kwargs:
            raise TypeError(f"Value.create: expected a dict with 'data', got {kwargs!r}")
        extra = sorted(set(kwargs) - {"data", "label"})
        if extra and not ignore_extra:
            raise TypeError(f"Value.create: a leaf takes only 'data' and 'label', got {extra}")
        return cast("type[Value]", cls)(kwargs["data"], kwargs.get("label"))

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(
            f"Value is immutable: cannot set {name!r}; operations return new Values"
        )

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Value is immutable: cannot delete {name!r}")

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: Any) -> Any:
        return self
