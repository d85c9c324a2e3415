"""The benchmark suite runs (quick mode) and reports every row; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_quick_run_reports_every_row(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "training step (collector as shipped)" in done.stdout
    assert "training step (collector off in both)" in done.stdout

    report = json.loads(out.read_text())
    rows = {row["name"].strip(): row for row in report["rows"]}
    for name in (
        "training step (collector as shipped)",
        "training step (collector off in both)",
        "forward (collector off)",
        "backward (collector off)",
        "update (collector off)",
        "memory per graph node (training step)",
        "op nodes in the training step's graph",
    ):
        row = rows[name]
        assert row["ours"] > 0 and row["theirs"] > 0, row
        assert row["ratio"] == row["ours"] / row["theirs"]

    # The two graphs do the same work: one op node per scalar op in both.
    counts = rows["op nodes in the training step's graph"]
    assert abs(counts["ours"] - counts["theirs"]) <= 0.05 * counts["theirs"]
    assert any("RecursionError" in row["note"] for row in report["rows"])
    assert report["settings"]["quick"] is True


def test_benchmarks_reject_bad_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--no-such-option"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "usage:" in done.stderr
