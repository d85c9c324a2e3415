"""Pausing Python's cyclic garbage collector while a whole graph is built or walked.

Why pause it: edges point only from a node to its inputs, so a graph of Values
holds no reference cycles, and reference counting frees every node the moment
the last handle to it goes. The cyclic collector has nothing to find in such a
graph, yet each time its allocation counters pass its thresholds it walks
every young object, and while a graph of tens of thousands of nodes is being
built those walks cost about as much as the arithmetic itself. So the
functions that build or walk a whole graph at once (``nn.forward``, the
losses, ``backward``, a training step) run inside :func:`paused`. Single ops
are never paused, and a pause inside another of the same thread costs next to
nothing.

How it pauses without getting in the program's way:

- It never calls ``gc.disable()`` or ``gc.enable()``. CPython starts no
  automatic collection while the first threshold is 0, so a pause sets the
  thresholds to ``(0, t1, t2)`` and, when the last pause ends, puts the saved
  ones back, but only if they are still the ones it set. A ``gc.disable()``
  made by the program, before or during a pause, is therefore never undone,
  and thresholds the program sets during a pause are the ones in force
  afterwards. (Setting exactly ``(0, t1, t2)`` with the same t1 and t2 cannot
  be told apart from the pause; ``gc.disable()`` says the same thing clearly.)
- Nothing is counted. Each pause is a small object in a table, and the state
  of the collector is worked out again from the table every time a thread's
  outermost pause begins or ends. A Ctrl-C is a ``KeyboardInterrupt`` that can
  land between any two bytecodes, including in the middle of that
  bookkeeping; whatever it cut short is put right by the rollback around it
  or, at the latest, when the pause object is freed, which the interpreter
  does while it leaves the ``with`` statement (the object is held only by the
  call that ends it, not by any frame a traceback could keep).
- Threads: pauses in several threads can overlap without a break, and must
  not hold the collector off meanwhile. So when a thread's outermost pause
  ends while other threads' pauses go on, that thread makes the collection
  CPython would have started by now, judged by its counters against the saved
  thresholds: the youngest generation, the middle one when its threshold is
  passed too, and a full collection in its place only once the heap has grown
  by a quarter since the last one (CPython's own rule for the oldest
  generation, measured with ``sys.getallocatedblocks()``, since the exact
  counts are not exposed). Any stretch without collections lies inside one
  pause, so the collector is never held off for longer than one graph's work;
  and nothing is collected while the program has called ``gc.disable()``.
  When the last pause ends, one small object is made, so that CPython starts
  the collection it is owed then, as part of the work that made it owed. A
  forked child keeps only the pauses of the thread that forked.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import threading
import weakref
from collections.abc import Callable

__all__ = ["paused"]

Thresholds = tuple[int, int, int]

# All of the state below is read and replaced only while holding _lock. The
# lock is re-entrant because a pause freed in the middle of the bookkeeping
# (a collection frees things) runs _freed on the same thread.
_lock = threading.RLock()
Entry = tuple["weakref.ref[_Pause]", int]  # calls _freed if freed while listed; id()
# The pauses in force, by thread, innermost last. Never changed in place, so
# a pass that is interrupted or nested inside another reads a whole table.
_live: dict[int, tuple[Entry, ...]] = {}
_saved: Thresholds | None = None  # the program's thresholds while a pause is in force
_heap_after_full: int | None = None  # allocated blocks at the last full collection made here
_passes = 0  # bookkeeping passes made, to notice one made inside another
_ITS_OWN = -1  # "the last pause has ended: let CPython collect as it would"


def paused() -> _Pause:
    """Return a context manager that pauses automatic collection in its block.

    >>> import gc
    >>> before = gc.get_threshold()
    >>> with paused():
    ...     gc.get_threshold()[0]
    0
    >>> gc.get_threshold() == before
    True
    """
    return _Pause()


class _Pause:
    """One pause: in force from ``__enter__`` until its end runs or it is freed."""

    __slots__ = ("__weakref__",)

    def __enter__(self) -> None:
        if _live.get(threading.get_ident()):
            return  # inside this thread's own pause, which already holds the collector
        try:
            _update(begin=self)
        except BaseException:  # an interrupt after the pause may have been listed
            _update(end=id(self))
            raise

    @property
    def __exit__(self) -> Callable[..., None]:
        # The with statement holds what this returns, and nothing else holds
        # the pause, until the block is left: if the call is cut short before
        # its first line, dropping it frees the pause and _freed ends it.
        end = _End(_end, id(self))
        end.pause = self
        return end


class _End(functools.partial[None]):
    """``_end`` bound to one pause's id, keeping the pause alive; called from C."""

    pause: _Pause


def _end(pause_id: int, *exc_info: object) -> None:
    mine = _live.get(threading.get_ident())
    if not (mine and mine[-1][1] == pause_id) and not _listed(pause_id):
        return  # a pause nested in another of its thread's was never listed
    try:
        owed = _update(end=pause_id)
    except BaseException:  # an interrupt in the middle: finish, then let it through
        _update(end=pause_id)
        raise
    if owed is not None:
        _collect(owed)


def _listed(pause_id: int) -> bool:
    return any(entry[1] == pause_id for entries in _live.values() for entry in entries)


def _freed(ref: weakref.ref[_Pause]) -> None:
    # Runs only for a pause freed while still listed: its end was cut short.
    if any(entry[0] is ref for entries in _live.values() for entry in entries):
        _update()


def _update(begin: _Pause | None = None, end: int | None = None) -> int | None:
    """List a pause beginning or drop one ending, then set the collector to match.

    Returns the generation this thread should collect now, or None.
    """
    global _live, _passes
    me = threading.get_ident()
    with _lock:
        mine = _live.get(me, ())
        if begin is not None:
            _live = {**_live, me: (*mine, (weakref.ref(begin, _freed), id(begin)))}
            if mine:  # nested in this thread's own pause: nothing changes
                return None
        if end is not None:
            _live = _without(_live, me, end)
            if _live.get(me):  # this thread's outer pause goes on: nothing changes
                return None
        while True:
            _passes += 1
            mark = _passes
            owed = _settle(me, ending=end is not None)
            if _passes == mark:  # no pass ran inside this one, so nothing is stale
                return owed


def _without(
    live: dict[int, tuple[Entry, ...]], thread: int, pause_id: int
) -> dict[int, tuple[Entry, ...]]:
    """The table without one pause (looked for in ``thread`` first, then anywhere)."""
    mine = live.get(thread, ())
    if mine and mine[-1][1] == pause_id:  # the usual case: the innermost ends
        if len(mine) > 1:
            return {**live, thread: mine[:-1]}
        kept = dict(live)
        del kept[thread]
        return kept
    kept = {}
    for t, entries in live.items():
        rest = tuple(entry for entry in entries if entry[1] != pause_id)
        if rest:
            kept[t] = rest
    return kept


def _alive(live: dict[int, tuple[Entry, ...]]) -> dict[int, tuple[Entry, ...]]:
    """The table without pauses already freed (left by a cut-short ``_freed``)."""
    for entries in live.values():
        for ref, _ in entries:
            if ref() is None:
                kept = {}
                for t, listed in live.items():
                    rest = tuple(entry for entry in listed if entry[0]() is not None)
                    if rest:
                        kept[t] = rest
                return kept
    return live


def _settle(me: int, ending: bool) -> int | None:
    global _live, _saved
    live = _live = _alive(_live)
    now = gc.get_threshold()
    saved = _saved
    if saved is not None and now != (0, saved[1], saved[2]):
        saved = None  # the thresholds were set during the pause: those stand
    if not live:
        if saved is not None:
            gc.set_threshold(*saved)
        _saved = None
        return _ITS_OWN if ending else None
    if saved is None:
        _saved = saved = now  # before pausing, so a cut here is seen next time
        if now[0]:
            gc.set_threshold(0, now[1], now[2])
    if ending and me not in live:
        return _owed(saved, gc.get_count())
    return None


def _owed(saved: Thresholds, count: Thresholds) -> int | None:
    """The generation to collect now that CPython would have collected, or None.

    ``count`` is ``gc.get_count()``; ``saved`` the thresholds the pause put aside.
    """
    global _heap_after_full
    if not gc.isenabled() or not saved[0] or count[0] <= saved[0]:
        return None
    if count[1] <= saved[1]:
        return 0
    blocks = sys.getallocatedblocks()  # a middle one is owed; a full one instead?
    if _heap_after_full is None:
        _heap_after_full = blocks
    elif 4 * blocks > 5 * _heap_after_full:
        return 2
    return 1


def _collect(generation: int) -> None:
    global _heap_after_full
    if generation == _ITS_OWN:
        # The thresholds are back: making one tracked object gives CPython the
        # chance to start, by its own rules, the collection it has been owed,
        # as part of the work that made it owed rather than in what comes next.
        _Pause()
        return
    if not gc.isenabled():  # switched off since the decision
        return
    gc.collect(generation)
    if generation == 2:
        _heap_after_full = sys.getallocatedblocks()


def _after_fork_in_child() -> None:
    # Only the thread that forked lives on in the child: the other threads'
    # pauses will never end there, and the lock may have been held by one.
    global _lock, _live
    _lock = threading.RLock()
    me = threading.get_ident()
    _live = {me: _live[me]} if me in _live else {}
    _update()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
