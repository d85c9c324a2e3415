"""Shared test set-up.

The suite runs on all cores (pytest-xdist: ``-n auto --dist loadgroup`` in
pyproject.toml's addopts). Tests that share a module-scoped fixture (a trained
demo, the running doc blocks, the built sdist) go to one worker as a group, so
that each such fixture is made once rather than once per worker.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests of a module that share a module-scoped fixture onto one worker."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        if any(defs and defs[-1].scope == "module" for defs in definitions.values()):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
