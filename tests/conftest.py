"""Shared test fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_figure_left_open() -> Iterator[None]:
    """Fail any test that leaves a pyplot figure open (figures must not touch pyplot state)."""
    yield
    # No pyplot imported means no pyplot figure can be open; importing it here would
    # load matplotlib into tests that check the package runs without it.
    if "matplotlib.pyplot" not in sys.modules:
        return
    from matplotlib import pyplot

    open_figures = pyplot.get_fignums()
    if open_figures:
        pyplot.close("all")
        pytest.fail(f"test left pyplot figures open: {open_figures}")
