"""The pause of Python's cyclic collector (``functional_micrograd._collector``).

- Interrupts: thousands of timed KeyboardInterrupts (what Ctrl-C raises) land
  at random bytecodes of training, forward and backward passes in a fresh
  process; after each one the collector is as it was, even while the
  interrupt is still being handled or is kept afterwards.
- Threads: while several threads train without a break, another thread's
  reference cycles are still collected, so its garbage stays bounded, and a
  ``gc.disable()`` made meanwhile is respected.
- The program's own settings: ``gc.disable()``, ``gc.enable()`` and
  ``gc.set_threshold()`` made before or inside nested pauses, some of which
  raise, are in force afterwards; inside a pause nothing is collected.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functional_micrograd import _collector

ROOT = Path(__file__).resolve().parent.parent
Thresholds = tuple[int, int, int]


@contextmanager
def collector_as(enabled: bool, thresholds: Thresholds) -> Iterator[None]:
    """Run with the collector switched and set as given; put the test's own back after."""
    was = gc.isenabled(), gc.get_threshold()
    (gc.enable if enabled else gc.disable)()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*was[1])
        (gc.enable if was[0] else gc.disable)()


def collector_state() -> tuple[bool, Thresholds]:
    return gc.isenabled(), gc.get_threshold()


@contextmanager
def counting_collections() -> Iterator[list[int]]:
    """Count the collections of each generation made in the block."""
    done = [0, 0, 0]
    started = [0, 0, 0]  # a collection already running when the block began is not counted

    def count(phase: str, info: dict[str, Any]) -> None:
        generation = info["generation"]
        if phase == "start":
            started[generation] += 1
        elif started[generation] > done[generation]:
            done[generation] += 1

    gc.callbacks.append(count)
    try:
        yield done
    finally:
        gc.callbacks.remove(count)


# -- interrupts ------------------------------------------------------------------------

INTERRUPTS = r"""
import gc, json, random, signal, sys
import functional_micrograd as fm
from functional_micrograd import _collector

# SIGALRM gets the handler Python gives SIGINT: each timer is a Ctrl-C.
signal.signal(signal.SIGALRM, signal.default_int_handler)
model = fm.nn.mlp(2, [3, 1], seed=0)
data = fm.datasets.moons(4, noise=0.1, seed=0)
loss = fm.losses.max_margin(model, data.xs, data.ys).total_loss
rng = random.Random(2024)


def train():
    fm.train(model, data, steps=5000)


def backward():
    for _ in range(50_000):
        fm.backward(loss)


def forward():
    for _ in range(50_000):
        fm.nn.forward(model, (0.5, -0.5))


WORK = (train, backward, forward)
report = {}
for enabled, thresholds in [(True, (700, 10, 10)), (False, (700, 10, 10)), (True, (300, 7, 9))]:
    (gc.enable if enabled else gc.disable)()
    gc.set_threshold(*thresholds)
    state = (enabled, thresholds)
    caught, wrong, kept = 0, [], None
    for i in range(int(sys.argv[1])):
        delay = rng.random() * rng.choice((2e-5, 2e-4, 2e-3))
        try:
            signal.setitimer(signal.ITIMER_REAL, delay)
            WORK[i % 3]()
        except KeyboardInterrupt as error:
            caught += 1
            if (gc.isenabled(), gc.get_threshold()) != state:
                wrong.append(f"{i} while handled: {gc.isenabled()} {gc.get_threshold()}")
            kept = error  # as an interactive session keeps the last one
        if (gc.isenabled(), gc.get_threshold()) != state:
            wrong.append(f"{i} after: {gc.isenabled()} {gc.get_threshold()}")
        if wrong:
            break
    with _collector.paused():
        pass
    final = (gc.isenabled(), gc.get_threshold()) == state
    report[repr(state)] = {"caught": caught, "wrong": wrong, "final": final}
print(json.dumps(report))
"""

INTERRUPTS_PER_STATE = 1000


def test_collector_restored_after_thousands_of_timed_interrupts() -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTS, str(INTERRUPTS_PER_STATE)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    report = json.loads(done.stdout)
    assert len(report) == 3
    for state, seen in report.items():
        assert seen["wrong"] == [], state
        assert seen["caught"] == INTERRUPTS_PER_STATE, state  # none was swallowed
        assert seen["final"], state
    assert "Exception ignored" not in done.stderr, done.stderr[-2000:]  # none swallowed


# -- threads ---------------------------------------------------------------------------


THREADS = r"""
import collections, gc, json, os, sys, threading, time
import functional_micrograd as fm


class Cycle:
    # A reference cycle with a payload; counts how many are alive.
    alive = 0

    def __init__(self):
        self.me = self
        self.payload = bytearray(256)
        Cycle.alive += 1

    def __del__(self):
        Cycle.alive -= 1


done = [0, 0, 0]
started = [0, 0, 0]


def count(phase, info):
    generation = info["generation"]
    if phase == "start":
        started[generation] += 1
    elif started[generation] > done[generation]:  # not one running before counting began
        done[generation] += 1


stop = threading.Event()
steps = [0, 0, 0]


def train(k):
    model = fm.nn.mlp(2, [4, 1], seed=k)
    data = fm.datasets.moons(8, noise=0.1, seed=k)
    while not stop.is_set():
        fm.train(model, data, steps=3)
        steps[k] += 3


def make(how_many):
    # Cycles that become garbage; each is kept a while, so some reach the
    # older generations. Returns the most unreferenced ones alive at once.
    kept = collections.deque(maxlen=1000)
    before = Cycle.alive
    most = 0
    for made in range(0, how_many, 100):
        for _ in range(100):
            kept.append(Cycle())
        most = max(most, Cycle.alive - before - len(kept))
    return most


gc.enable()
gc.set_threshold(700, 10, 10)
trainers = [threading.Thread(target=train, args=(k,)) for k in range(3)]
for trainer in trainers:
    trainer.start()
time.sleep(0.1)
gc.callbacks.append(count)
report = {"most_garbage": make(int(sys.argv[1])), "collections": list(done)}
report["steps"] = list(steps)
children = []
for _ in range(10):  # the trainers' pauses do not go on in a child process
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write, json.dumps([gc.isenabled(), gc.get_threshold()]).encode())
        os._exit(0)
    os.close(write)
    children.append(json.loads(os.read(read, 100)))
    os.close(read)
    os.waitpid(child, 0)
report["children"] = children
if sys.argv[2:] == ["then disable"]:
    gc.disable()
    at_disable = list(started)
    make(20_000)
    busy = list(steps)
    time.sleep(0.3)
    report["trained_while_disabled"] = steps != busy
    report["collections_while_disabled"] = [a - b for a, b in zip(started, at_disable)]
stop.set()
for trainer in trainers:
    trainer.join()
report["after"] = [gc.isenabled(), gc.get_threshold()]
print(json.dumps(report))
"""

CYCLES = 150_000


@pytest.fixture(scope="module")
def threads_report() -> dict[str, Any]:
    """Three threads train while this one makes cycles, then calls ``gc.disable()``."""
    done = subprocess.run(
        [sys.executable, "-c", THREADS, str(CYCLES), "then disable"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_threads_training_do_not_hold_the_collector_off(threads_report: dict[str, Any]) -> None:
    report = threads_report
    assert min(report["steps"]) > 0
    assert sum(report["collections"]) > 0, report
    # Far fewer unreferenced cycles were alive at once than were made (with
    # the collector held off, all of them would be): it kept collecting
    # although the trainers' pauses overlapped all the time. How many
    # collections that takes depends on how the threads are scheduled (6 to
    # more than 10 in runs here, fewer on a busy machine), so the garbage is the measure.
    assert report["most_garbage"] < CYCLES // 2, report


def test_a_process_forked_while_threads_train_starts_unpaused(
    threads_report: dict[str, Any],
) -> None:
    assert threads_report["children"] == [[True, [700, 10, 10]]] * 10


def test_threads_training_respect_a_gc_disable_made_meanwhile(
    threads_report: dict[str, Any],
) -> None:
    report = threads_report
    assert report["trained_while_disabled"]
    assert report["collections_while_disabled"] == [0, 0, 0], report
    assert report["after"] == [False, [700, 10, 10]]


# -- the program's own settings, nested pauses, errors ------------------------------------

# A program is a list of steps; ("pause", program) runs the program in a pause.
# Thresholds are drawn so that none looks like a paused form of another:
# (0, 3, 3) is the only one with a 0, and no other ends in 3, 3.
THRESHOLDS: list[Thresholds] = [(700, 10, 10), (500, 5, 5), (1, 1, 1), (2000, 20, 30), (0, 3, 3)]
leaf_steps = st.one_of(
    st.just(("disable",)),
    st.just(("enable",)),
    st.sampled_from(THRESHOLDS).map(lambda t: ("thresholds", t)),
    st.just(("allocate",)),
    st.just(("raise",)),
)
inside = st.recursive(
    st.lists(leaf_steps, max_size=4),
    lambda inner: st.lists(leaf_steps | inner.map(lambda p: ("pause", p)), max_size=4),
    max_leaves=14,
)
programs = st.lists(inside.map(lambda p: ("pause", p)), min_size=1, max_size=3)


class Escape(Exception):
    """Raised by a "raise" step; leaves the innermost pause."""


@dataclass
class Expected:
    """What the collector should be: the program's settings, and whether paused."""

    enabled: bool
    thresholds: Thresholds
    depth: int = 0
    set_inside: bool = False  # the program set thresholds inside the current pauses


def run(program: list[Any], expected: Expected) -> None:
    for step in program:
        kind = step[0]
        if kind == "disable":
            gc.disable()
            expected.enabled = False
        elif kind == "enable":
            gc.enable()
            expected.enabled = True
        elif kind == "thresholds":
            gc.set_threshold(*step[1])
            expected.thresholds = step[1]
            expected.set_inside = expected.depth > 0
        elif kind == "allocate":
            with counting_collections() as collections_made:
                junk: list[list[int]] = [[] for _ in range(3000)]
            del junk
            paused = expected.depth > 0 and not expected.set_inside
            collecting = expected.enabled and expected.thresholds[0] > 0 and not paused
            assert (sum(collections_made) > 0) is collecting
        elif kind == "raise":
            raise Escape
        else:
            try:
                with _collector.paused():
                    expected.depth += 1
                    check(expected)
                    run(step[1], expected)
            except Escape:
                pass
            finally:
                expected.depth -= 1
                if expected.depth == 0:
                    expected.set_inside = False
        check(expected)


def check(expected: Expected) -> None:
    assert gc.isenabled() is expected.enabled
    if expected.depth == 0 or expected.set_inside:
        assert gc.get_threshold() == expected.thresholds
    else:
        assert gc.get_threshold() == (0, *expected.thresholds[1:])


@settings(max_examples=100, deadline=None)
@given(programs, st.booleans(), st.sampled_from(THRESHOLDS))
def test_program_settings_made_in_and_around_pauses_are_kept(
    program: list[Any], enabled: bool, thresholds: Thresholds
) -> None:
    with collector_as(enabled, thresholds):
        expected = Expected(enabled, thresholds)
        run(program, expected)
        check(expected)
        assert _collector._live == {}


def test_gc_disable_inside_a_pause_stays() -> None:
    with collector_as(True, (700, 10, 10)):
        with _collector.paused():
            gc.disable()
        assert collector_state() == (False, (700, 10, 10))
        with _collector.paused():
            gc.set_threshold(900, 9, 9)
            gc.enable()
        assert collector_state() == (True, (900, 9, 9))


# -- which collection a thread owes ---------------------------------------------------------

BLOCKS = 1_000_000  # the heap at the last full collection in these cases


@pytest.mark.parametrize(
    ("count", "blocks", "owed"),
    [
        ((700, 0, 0), BLOCKS, None),  # the young threshold is not passed yet
        ((701, 0, 0), BLOCKS, 0),
        ((70_000, 10, 50), 2 * BLOCKS, 0),  # the middle threshold is not passed: young only
        ((701, 11, 0), BLOCKS, 1),  # it is: a middle one
        ((701, 11, 50), BLOCKS * 5 // 4, 1),  # the heap grew by exactly a quarter
        ((701, 11, 0), BLOCKS * 5 // 4 + 1, 2),  # by more than a quarter: a full one
    ],
)
def test_owed_collection_follows_the_thresholds(
    monkeypatch: pytest.MonkeyPatch, count: Thresholds, blocks: int, owed: int | None
) -> None:
    monkeypatch.setattr(_collector, "_heap_after_full", BLOCKS)
    monkeypatch.setattr(sys, "getallocatedblocks", lambda: blocks)
    with collector_as(True, (700, 10, 10)):
        assert _collector._owed((700, 10, 10), count) == owed
        gc.disable()
        assert _collector._owed((700, 10, 10), count) is None
        assert _collector._owed((0, 10, 10), count) is None
