"""Tests for the runnable scripts in examples/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_readme_example_prints_micrograd_numbers() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "readme_example.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # micrograd's README: g.data, then dg/da and dg/db
    assert result.stdout.splitlines() == ["24.7041", "138.8338", "645.5773"]
