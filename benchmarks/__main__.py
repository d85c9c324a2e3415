"""``python -m benchmarks``: run the benchmark suite (see benchmarks/run.py).

Run it from the repository root (or the unpacked source distribution), the
folder that holds ``benchmarks/``, with the dev extra installed. The
benchmarks are not part of the installed package, so from anywhere else
``benchmarks`` cannot be imported: this says so and names the fix instead of
showing a traceback.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

try:
    from benchmarks.run import main
except ModuleNotFoundError as error:
    if error.name == "benchmarks":
        fix = f'cd "{ROOT}" && {Path(sys.executable).name} -m benchmarks'
        reason = "cannot import the benchmarks package from here"
    elif error.name in ("micrograd", "micrograd.engine", "micrograd.nn"):
        fix = f'{Path(sys.executable).name} -m pip install -e ".[dev]"'
        reason = "it compares against micrograd 0.1.0, which is not installed"
    else:
        raise
    sys.exit(
        f"python -m benchmarks: {reason}.\n"
        "It runs from the repository root (the folder holding benchmarks/) with the dev "
        f"extra installed:\n    {fix}"
    )

sys.exit(main())
