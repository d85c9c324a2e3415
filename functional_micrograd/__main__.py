"""``python -m functional_micrograd``: micrograd's two-moons demo in the terminal.

The same run as ``examples/moons_demo.py``, without the picture (so it needs
nothing beyond the library): 100 moons points, an MLP(2, [16, 16, 1]) and 100
steps of max-margin loss with micrograd's learning-rate schedule. It prints
the version, the model and the data, a progress line per step and the final
loss and accuracy.

    python -m functional_micrograd              # the demo, 100 steps
    python -m functional_micrograd --steps 20   # a shorter run
    python -m functional_micrograd --help
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import functional_micrograd as fm
from functional_micrograd._checks import show

__all__ = ["main", "parse_args"]

PROG = "python -m functional_micrograd"
INPUTS, LAYERS = 2, (16, 16, 1)  # micrograd's demo model: MLP(2, [16, 16, 1])
LIMIT = 1_000_000  # most steps and points: more would run for days


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line; a bad argument prints the usage and exits with status 2.

    Args:
        argv: the arguments after the program name; None reads ``sys.argv``.

    Returns:
        The settings: ``steps``, ``samples``, ``noise`` and ``seed``.

    >>> args = parse_args(["--steps", "5"])
    >>> args.steps, args.samples, args.noise, args.seed
    (5, 100, 0.1, 1337)
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            f"functional_micrograd {fm.__version__}: train micrograd's demo model, "
            f"MLP({INPUTS}, {list(LAYERS)}), on two moons, the functional way, printing a "
            "progress line per step and the final accuracy. examples/moons_demo.py in the "
            "source distribution runs the same and also draws a picture."
        ),
    )
    parser.add_argument(
        "--steps", type=int, default=100, help=f"training steps, 1 to {LIMIT:,} (default 100)"
    )
    parser.add_argument(
        "--samples", type=int, default=100, help=f"points, 2 to {LIMIT:,} (default 100)"
    )
    parser.add_argument("--noise", type=float, default=0.1, help="noise of the moons (default 0.1)")
    parser.add_argument(
        "--seed", type=int, default=1337, help="seed of data and model (default 1337)"
    )
    parser.add_argument(
        "--version", action="version", version=f"functional_micrograd {fm.__version__}"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.steps <= LIMIT:
        parser.error(f"--steps must be an int from 1 to {LIMIT}, got {show(args.steps)}")
    if not 2 <= args.samples <= LIMIT:
        parser.error(f"--samples must be an int from 2 to {LIMIT}, got {show(args.samples)}")
    if not 0.0 <= args.noise < 10.0:
        parser.error(f"--noise must be a number in [0, 10), got {args.noise}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo: print the version, train with a line per step, print the result.

    Args:
        argv: the arguments after the program name; None reads ``sys.argv``.

    Returns:
        The exit status, 0 (bad arguments exit with 2 before anything runs).

    >>> main(["--steps", "2", "--samples", "10"])  # doctest: +ELLIPSIS
    functional_micrograd ...
    model: MLP(2, [16, 16, 1]), relu hidden layers, a linear output, 337 parameters
    data: 10 points of two moons, noise 0.1, seed 1337
    step 0 loss ..., accuracy ...%
    step 1 loss ..., accuracy ...%
    final loss ..., accuracy ...% after 2 steps in ... s
    0
    """
    args = parse_args(argv)
    print(f"functional_micrograd {fm.__version__}")
    data = fm.datasets.moons(args.samples, noise=args.noise, seed=args.seed)
    model = fm.nn.mlp(INPUTS, list(LAYERS), seed=args.seed)
    count = fm.nn.parameter_count(model)
    print(
        f"model: MLP({INPUTS}, {list(LAYERS)}), relu hidden layers, a linear output, "
        f"{count} parameters"
    )
    print(f"data: {args.samples} points of two moons, noise {args.noise}, seed {args.seed}")

    started = time.perf_counter()
    states = fm.training.iterate(model, data, steps=args.steps)
    state = next(states)  # the initial state: no steps done yet
    for state in states:
        row = state.history[-1]
        print(f"step {row.step} loss {row.loss:.4f}, accuracy {row.accuracy * 100:.1f}%")
    seconds = time.perf_counter() - started
    last = state.history[-1]
    print(
        f"final loss {last.loss:.4f}, accuracy {last.accuracy * 100:.1f}% "
        f"after {state.step} steps in {seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
