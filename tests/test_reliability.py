"""docs/reliability.md quotes the numbers of cases the tests try as the tests compute them.

Each count below is read from the test that tries the cases (its table, its
constant or its parametrize list), so that the page cannot drift from the
suite: change a test's cases and this fails until the page says the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_collector
import test_datasets
import test_parameters
import test_pickling
import test_training

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"


def _parametrized(test: object) -> int:
    """How many cases a test's (single) parametrize mark lists."""
    (mark,) = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
    return len(mark.args[1])


def quoted_counts() -> dict[str, str]:
    """What the page must say, by the promise it is about."""
    sweep = test_parameters.sweep_counts()
    schedules = len(test_training.SCHEDULE_FAILURES)
    refused = _parametrized(test_datasets.test_dataset_metadata_refuses_anything_but_plain_data)
    return {
        "interrupts": f"3 states x {test_collector.INTERRUPTS_PER_STATE:,} interrupts",
        "cycles": f"{test_collector.CYCLES:,} reference cycles",
        "parameters": (
            f"{sweep['parameters']} numeric parameters of {sweep['functions']} public "
            f"functions, {sweep['fixed cases']:,} fixed cases"
        ),
        "metadata": f"{refused} values that are not plain data",
        "pickling": f"a chain of {test_pickling.CHAIN:,} negations",
        "schedules": f"{schedules} failing schedules x 2 (eager, jit) x 2 (train, iterate)",
    }


@pytest.mark.parametrize("promise", list(quoted_counts()))
def test_reliability_page_quotes_each_count_as_the_tests_compute_it(promise: str) -> None:
    quoted = quoted_counts()[promise]
    assert quoted in PAGE.read_text(encoding="utf-8"), f"docs/reliability.md should say {quoted!r}"
