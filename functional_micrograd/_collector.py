"""Pausing Python's cyclic garbage collector while a whole graph is built or walked.

Edges point only from a node to its inputs, so a graph of Values holds no
reference cycles, and reference counting frees every node the moment the last
handle to it goes. Python's cyclic collector has nothing to find in such a
graph, yet each time its allocation counters trip it walks every live node,
and while a graph of tens of thousands of nodes is being built those walks
cost about as much as the arithmetic itself.

So the functions that build or walk a whole graph at once (``nn.forward``,
the losses, ``backward``, a training step) run inside :func:`paused`. It turns
the collector off and, when the last pause ends, turns it back on only if it
was on when the first began, even if the work raised. The count makes nested
and concurrent pauses (several threads) safe. Single ops are never paused.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["paused"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Run the body with the cyclic collector off; restore it afterwards.

    >>> import gc
    >>> before = gc.isenabled()
    >>> with paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled() == before
    True
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
