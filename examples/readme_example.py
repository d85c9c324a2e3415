"""micrograd's README example, the functional way.

The same expression as micrograd's README; the gradients come back from
``fm.backward`` as a table instead of being written onto the Values.

Run: python3 examples/readme_example.py
"""

import argparse
import sys

import functional_micrograd as fm


def main(argv: list[str] | None = None) -> int:
    # No options: parsing still gives --help and a usage error for anything else.
    argparse.ArgumentParser(
        description="Run micrograd's README expression and print g, dg/da and dg/db."
    ).parse_args(argv)
    a = fm.Value(-4.0, label="a")
    b = fm.Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    print(f"{g.data:.4f}")  # 24.7041, the outcome of this forward pass

    grads = fm.backward(g)
    print(f"{grads[a]:.4f}")  # 138.8338, dg/da
    print(f"{grads[b]:.4f}")  # 645.5773, dg/db
    return 0


if __name__ == "__main__":
    sys.exit(main())
