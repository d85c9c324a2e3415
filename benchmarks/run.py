"""Same-run comparisons of functional_micrograd against karpathy's micrograd 0.1.0.

Run from the repository root:

    python -m benchmarks            # the full suite (a few minutes)
    python -m benchmarks --quick    # smaller and fewer runs (under a minute)
    python -m benchmarks --json out/bench.json

Every timing alternates the two libraries in one process and keeps the best
of several runs; ratios are ours / micrograd, so below 1.0 means faster (for the yin-yang rows,
ours / a plain-Python reference of EurekaLabs' engine written in
benchmarks/yinyang.py, since micrograd 0.1.0 has no tanh, exp or log).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from importlib.metadata import version

import micrograd.engine as mg

import functional_micrograd as fm
from benchmarks import workloads as w
from benchmarks import yinyang as yy
from functional_micrograd import compiled


@dataclass
class Row:
    """One line of the table: a measurement for each library and their ratio."""

    name: str
    unit: str
    ours: float | None
    theirs: float | None
    note: str = ""
    ratio: float | None = field(init=False)

    def __post_init__(self) -> None:
        valid = self.ours is not None and self.theirs not in (None, 0.0)
        self.ratio = self.ours / self.theirs if valid else None  # type: ignore[operator]


@dataclass
class Settings:
    quick: bool
    samples: int
    yinyang_steps: int
    steps_per_run: int
    runs: int
    chain_ops: int
    big_chain_ops: int
    small_chain_ops: int


def settings(quick: bool) -> Settings:
    if quick:
        return Settings(True, 30, 3, 2, 2, 20_000, 100_000, 10_000)
    return Settings(False, 100, 100, 3, 5, 100_000, 1_000_000, 10_000)


# -- timing ----------------------------------------------------------------------------


@contextmanager
def collector(enabled: bool) -> Iterator[None]:
    """Run with Python's cyclic collector on (as shipped) or off; restore it after."""
    was_enabled = gc.isenabled()
    gc.collect()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()
        gc.collect()


def best_of(
    runs: int, pair: tuple[Callable[[], float], Callable[[], float]]
) -> tuple[float, float]:
    """Best (smallest) result of each of two measurements, alternating which goes first."""
    best = [float("inf"), float("inf")]
    for r in range(runs):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i in order:
            best[i] = min(best[i], pair[i]())
    return best[0], best[1]


def per_step(
    steps: int, gc_on: bool, setup: Callable[[], Any], step: Callable[[Any, int], Any]
) -> float:
    """Seconds per step for ``steps`` consecutive steps from a fresh start."""
    state = setup()
    with collector(gc_on):
        start = time.perf_counter()
        for k in range(steps):
            state = step(state, k)
        elapsed = time.perf_counter() - start
    del state
    return elapsed / steps


# -- the measurements ---------------------------------------------------------------------


def training_step(s: Settings) -> list[Row]:
    data, ours_model, theirs_model = w.demo_setup(s.samples)
    ours_step = w.ours_step_function(ours_model, data)

    def ours(gc_on: bool) -> float:
        return per_step(
            s.steps_per_run, gc_on, lambda: fm.training.initial_state(ours_model), ours_step
        )

    def theirs(gc_on: bool) -> float:
        def setup() -> Any:
            w.copy_weights(ours_model, theirs_model)
            return theirs_model

        def step(model: Any, k: int) -> Any:
            w.theirs_step(model, data, k)
            return model

        return per_step(s.steps_per_run, gc_on, setup, step)

    compiled_step = w.ours_step_function(ours_model, data, jit=True)
    compile_seconds = w.compile_seconds(ours_model, data)
    compiled_step(fm.training.initial_state(ours_model), 0)  # compiles, outside the timing

    def ours_compiled(gc_on: bool) -> float:
        return per_step(
            s.steps_per_run, gc_on, lambda: fm.training.initial_state(ours_model), compiled_step
        )

    rows = []
    for gc_on, label in ((True, "collector as shipped"), (False, "collector off in both")):
        a, b = best_of(s.runs, (lambda on=gc_on: ours(on), lambda on=gc_on: theirs(on)))
        rows.append(Row(f"training step ({label})", "s", a, b))
    for gc_on, label in ((True, "collector as shipped"), (False, "collector off in both")):
        a, b = best_of(s.runs, (lambda on=gc_on: ours_compiled(on), lambda on=gc_on: theirs(on)))
        rows.append(Row(f"training step, jit=True ({label})", "s", a, b))
    rows.append(
        Row("  trace + compile of the step's kernel, once", "s", compile_seconds, None, "ours only")
    )
    return rows


def yin_yang(s: Settings) -> list[Row]:
    """examples/yinyang.py's training (with validation each step) against a plain-Python reference.

    The reference is EurekaLabs' style of engine (closures writing .grad,
    a recursive topological sort), written in benchmarks/yinyang.py; both
    train the same split from the same weights. One run each per setting
    (a full run is 100 steps): the whole run is the measurement.
    """
    model, parts = yy.setup()
    losses: dict[str, list[float]] = {}

    def timed_run(who: str, gc_on: bool) -> float:
        with collector(gc_on):
            start = time.perf_counter()
            if who == "ref":
                losses[who] = yy.reference_run(model, parts, s.yinyang_steps)
            else:
                compiled._kernels.clear()  # a compiled run pays for its compile, as a user's does
                losses[who] = yy.ours_run(model, parts, s.yinyang_steps, jit=who == "jit")
            return time.perf_counter() - start

    rows = []
    cases = [(True, "collector as shipped", "ours"), (False, "collector off in both", "ours")]
    cases += [(True, "jit=True, collector as shipped", "jit"), (False, "jit=True, off", "jit")]
    for gc_on, label, who in cases:
        a, b = best_of(
            1, (lambda on=gc_on, w=who: timed_run(w, on), lambda on=gc_on: timed_run("ref", on))
        )
        agree = all(
            abs(x - y) <= 1e-9 * max(1.0, abs(y)) for x, y in zip(losses[who], losses["ref"])
        )
        note = (
            f"{s.yinyang_steps} steps, vs a plain-Python EurekaLabs-style engine; "
            f"final train loss {losses[who][-1]:.4f} (reference {losses['ref'][-1]:.4f}), "
            f"same losses every step: {'yes' if agree else 'no'}"
        )
        rows.append(Row(f"yin-yang example run ({label})", "s", a, b, note))
    return rows


def step_phases(s: Settings) -> list[Row]:
    """Forward, backward and update of one step, each timed alone."""
    data, ours_model, theirs_model = w.demo_setup(s.samples)
    rows = []
    for gc_on, label in ((True, "as shipped"), (False, "off")):
        best = phase_times(s.runs, gc_on, data, ours_model, theirs_model)
        for phase in ("forward", "backward", "update"):
            name = f"  {phase} (collector {label})"
            rows.append(Row(name, "s", best[("ours", phase)], best[("theirs", phase)]))
    return rows


def phase_times(
    runs: int, gc_on: bool, data: Any, ours_model: Any, theirs_model: Any
) -> dict[tuple[str, str], float]:
    best: dict[tuple[str, str], float] = {}

    def record(who: str, t0: float, t1: float, t2: float, t3: float) -> float:
        for phase, t in (("forward", t1 - t0), ("backward", t2 - t1), ("update", t3 - t2)):
            best[(who, phase)] = min(best.get((who, phase), float("inf")), t)
        return t3 - t0

    def ours() -> float:
        with collector(gc_on):
            t0 = time.perf_counter()
            result = w.ours_forward(ours_model, data)
            t1 = time.perf_counter()
            gradients = w.ours_backward(result)
            t2 = time.perf_counter()
            w.ours_update(ours_model, gradients, 0)
            t3 = time.perf_counter()
            del result, gradients
        return record("ours", t0, t1, t2, t3)

    def theirs() -> float:
        w.copy_weights(ours_model, theirs_model)
        with collector(gc_on):
            t0 = time.perf_counter()
            total, _ = w.theirs_forward(theirs_model, data)
            t1 = time.perf_counter()
            w.theirs_backward(theirs_model, total)
            t2 = time.perf_counter()
            w.theirs_update(theirs_model, 0)
            t3 = time.perf_counter()
            del total
        return record("theirs", t0, t1, t2, t3)

    best_of(runs, (ours, theirs))
    return best


def timed(gc_on: bool, build: Callable[[], Any], differentiate: Callable[[Any], Any]) -> float:
    """Seconds to build an expression and differentiate it (ours also frees it)."""
    with collector(gc_on):
        start = time.perf_counter()
        differentiate(build())
        return time.perf_counter() - start


def expressions(s: Settings) -> list[Row]:
    rows = []
    n = s.chain_ops
    for gc_on, label in ((True, "as shipped"), (False, "off")):

        def ours_balanced(on: bool = gc_on) -> float:
            return timed(on, lambda: w.balanced(fm.Value, n), w.ours_differentiate)

        def theirs_balanced(on: bool = gc_on) -> float:
            return timed(on, lambda: w.balanced(mg.Value, n), w.theirs_differentiate)

        def ours_chain(on: bool = gc_on) -> float:
            return timed(on, lambda: w.chain(fm.Value, n), w.ours_differentiate)

        def theirs_chain(on: bool = gc_on) -> float:
            # A chain is as deep as it is long: micrograd's recursive walk needs room.
            spent: list[float] = []

            def work() -> None:
                spent.append(timed(on, lambda: w.chain(mg.Value, n), w.theirs_differentiate))

            w.with_deep_recursion(3 * n, work)
            return spent[0]

        a, b = best_of(s.runs, (ours_balanced, theirs_balanced))
        name = f"{n:,}-op balanced expression, build + backward (collector {label})"
        rows.append(Row(name, "s", a, b))
        a, b = best_of(s.runs, (ours_chain, theirs_chain))
        name = f"{n:,}-op chain, build + backward (collector {label})"
        rows.append(Row(name, "s", a, b, "micrograd with its recursion limit raised"))

    rows.append(
        Row(f"{n:,}-op chain, default recursion limit", "", None, None, theirs_at_default(n))
    )
    rows.extend(scaling(s))
    return rows


def scaling(s: Settings) -> list[Row]:
    """Our chain at a large and a small size, and our time per node at each.

    micrograd has no number in these rows (at the large size it stops with a
    RecursionError), so they show ours alone; the note compares our two sizes.
    """
    big, small = s.big_chain_ops, s.small_chain_ops
    theirs = theirs_at_default(big)
    rows = []
    for gc_on, label in ((True, "as shipped"), (False, "off")):
        big_time = min(
            timed(gc_on, lambda: w.chain(fm.Value, big), w.ours_differentiate) for _ in range(2)
        )
        small_time = min(
            timed(gc_on, lambda: w.chain(fm.Value, small), w.ours_differentiate)
            for _ in range(s.runs * 3)
        )
        big_per_node, small_per_node = big_time / big * 1e9, small_time / small * 1e9
        growth = f"{big_per_node / small_per_node:.2f} x the time per node at {small:,} ops"
        collector = f"(collector {label})"
        rows += [
            Row(f"{big:,}-op chain, build + backward {collector}", "s", big_time, None, theirs),
            Row(f"  time per node at {big:,} ops {collector}", "ns", big_per_node, None, growth),
            Row(f"  time per node at {small:,} ops {collector}", "ns", small_per_node, None),
        ]
    return rows


def theirs_at_default(n: int) -> str:
    """What micrograd does with an n-op chain at Python's default recursion limit."""
    out = w.chain(mg.Value, n)
    try:
        out.backward()
    except RecursionError:
        return "micrograd: RecursionError"
    return "micrograd: differentiates"


def memory(s: Settings) -> list[Row]:
    """Bytes allocated per graph node while building the training step's graph."""
    data, ours_model, theirs_model = w.demo_setup(s.samples)

    def traced(build: Callable[[], Any]) -> tuple[int, Any]:
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            graph = build()
            used = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        return used, graph

    ours_bytes, result = traced(lambda: w.ours_forward(ours_model, data))
    ours_nodes = len(fm.topological_order(result.total_loss))
    ours_ops = w.ours_op_nodes(result.total_loss)
    theirs_bytes, (total, _) = traced(lambda: w.theirs_forward(theirs_model, data))
    theirs_all = w.theirs_nodes(total)
    theirs_nodes, theirs_ops = len(theirs_all), sum(1 for node in theirs_all if node._op)
    del result, total, theirs_all
    gc.collect()
    return [
        Row(
            "memory per graph node (training step)",
            "bytes",
            ours_bytes / ours_nodes,
            theirs_bytes / theirs_nodes,
        ),
        Row("op nodes in the training step's graph", "nodes", ours_ops, theirs_ops),
    ]


# -- output ----------------------------------------------------------------------------------


def fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    if unit == "s":
        return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"
    if unit in ("bytes", "ns"):
        return f"{x:.0f} {unit}"
    if unit == "nodes":
        return f"{x:,.0f}"
    return ""


def table(rows: list[Row]) -> str:
    lines = [
        f"{'benchmark':<58} {'ours':>11} {'micrograd':>11} {'ratio':>7}  note",
        "-" * 100,
    ]
    for r in rows:
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "-"
        ours, theirs = fmt(r.ours, r.unit), fmt(r.theirs, r.unit)
        lines.append(f"{r.name:<58} {ours:>11} {theirs:>11} {ratio:>7}  {r.note}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": platform.system(),
        "cpus": os.cpu_count(),
        "pyrsistent": version("pyrsistent"),
        "micrograd": version("micrograd"),
        "functional_micrograd": fm.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.splitlines()[0],
        epilog=(
            "Run it from the repository root (the folder holding benchmarks/) with the dev "
            'extra installed: python -m pip install -e ".[dev]". Ratios are ours / micrograd '
            "(below 1.0 means faster); a row with no micrograd number shows ours alone."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    s = settings(args.quick)
    kind = "quick" if s.quick else "full"
    print(f"{kind} run; {s.samples} points; best of {s.runs} runs; {machine()}")
    rows: list[Row] = []
    for part in (training_step, step_phases, yin_yang, expressions, memory):
        rows.extend(part(s))
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"settings": vars(s), "machine": machine(), "rows": [vars(r) for r in rows]},
                indent=2,
            )
        )
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
