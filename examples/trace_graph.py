"""micrograd's graph-tracing notebook as a script: one neuron, drawn with its gradients.

Builds a neuron with two inputs, ``o = tanh(x1*w1 + x2*w2 + b)``, labelling
every node as micrograd's lecture does, and differentiates ``o``. The
gradients come back from ``fm.backward`` as a table; ``fm.graph`` turns the
graph and that table into rows (printed here) and into Graphviz DOT text,
written to ``<out>/trace_graph.dot``. When Graphviz's ``dot`` program is on
the PATH the script also renders ``<out>/trace_graph.svg``.

Run: python3 examples/trace_graph.py [--out out/]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import functional_micrograd as fm


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Differentiate one tanh neuron and draw its graph with data and gradients."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out"),
        help="folder for the DOT and SVG files (default out/)",
    )
    args = parser.parse_args(argv)
    existing = next((p for p in (args.out, *args.out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        parser.error(f"--out must be a folder, but {existing} is a file")
    return args


def neuron() -> fm.Value:
    """The lecture's neuron; its bias is chosen so that n is about 0.8814 and o about 0.7071."""
    x1 = fm.Value(2.0, label="x1")
    x2 = fm.Value(0.0, label="x2")
    w1 = fm.Value(-3.0, label="w1")
    w2 = fm.Value(1.0, label="w2")
    b = fm.Value(6.8813735870195432, label="b")
    # A Value never changes: set(label=...) returns the same node (same id) under a name.
    x1w1 = (x1 * w1).set(label="x1*w1")
    x2w2 = (x2 * w2).set(label="x2*w2")
    x1w1x2w2 = (x1w1 + x2w2).set(label="x1*w1 + x2*w2")
    n = (x1w1x2w2 + b).set(label="n")
    return n.tanh().set(label="o")


def render_svg(dot_file: Path, svg_file: Path) -> str | None:
    """Run Graphviz on the DOT file; the error text if it failed, else None."""
    result = subprocess.run(
        ["dot", "-Tsvg", str(dot_file), "-o", str(svg_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if result.returncode == 0 else result.stderr.strip() or f"exit {result.returncode}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    o = neuron()
    g = fm.backward(o)

    print(f"{'label':<14} {'op':<5} {'data':>8} {'grad':>8}")
    for row in fm.graph.nodes(o, g):
        print(f"{row['label'] or '':<14} {row['op']:<5} {row['data']:>8.4f} {row['grad']:>8.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    dot_file = args.out / "trace_graph.dot"
    dot_file.write_text(fm.graph.to_dot(o, g), encoding="utf-8")
    print(f"graph written to {dot_file}")

    if shutil.which("dot") is None:
        print(
            "For the picture, install Graphviz (Debian/Ubuntu: apt-get install graphviz; "
            f"macOS: brew install graphviz), then run: dot -Tsvg {dot_file} -o "
            f"{args.out / 'trace_graph.svg'}"
        )
        return 0
    svg_file = args.out / "trace_graph.svg"
    error = render_svg(dot_file, svg_file)
    if error is not None:
        print(f"dot could not render {dot_file}: {error}", file=sys.stderr)
        return 1
    print(f"picture written to {svg_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
