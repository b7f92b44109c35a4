"""The table of figures: each entry's function takes exactly the data it says it needs,
and when a figure applies is decided from the results alone."""

from __future__ import annotations

import functools
import inspect

import numpy as np
import pytest
import xarray as xr

from facility_impact.present.catalogue import CATALOGUE, FigureData


def _results(**sizes: int) -> xr.Dataset:
    """A results skeleton: capacity over the given ensemble dims and one facility,
    service and day."""
    dims = (*sizes, "facility", "service", "time")
    shape = (*sizes.values(), 1, 1, 1)
    return xr.Dataset({"capacity": (dims, np.zeros(shape))}, attrs={"configuration_name": "clinic"})


def test_the_order_of_the_figures() -> None:
    assert [entry.name for entry in CATALOGUE] == [
        "capacity",
        "forgone",
        "scenarios",
        "sweep",
        "sensitivity",
        "standards",
        "load",
        "map",
    ]


@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.name for entry in CATALOGUE])
def test_needs_are_the_arguments_of_the_drawing_function(entry) -> None:
    assert tuple(inspect.signature(entry.draw).parameters) == entry.needs
    # Each is the results or one of the data FigureData computes on first use.
    for name in entry.needs:
        computed = inspect.getattr_static(FigureData, name, None)
        assert name == "results" or isinstance(computed, functools.cached_property), name


def test_file_stems() -> None:
    entry = CATALOGUE[0]
    assert entry.stem(_results()) == "clinic-capacity"
    assert entry.stem(_results().assign_attrs(configuration_name=" ")) == "results-capacity"


def test_captions_say_what_is_shown_of_the_draws() -> None:
    capacity = CATALOGUE[0]
    assert capacity.caption(draws=True) == (
        "Daily capacity and demand per service (median over draws and 5th–95th percentile "
        "band, strikes marked, closures shaded)."
    )
    assert capacity.caption(draws=False) == (
        "Daily capacity and demand per service (strikes marked, closures shaded)."
    )
    assert CATALOGUE[1].caption(draws=False).startswith("Cumulative patients at 30, 90, 365 days")


def _skip(name: str, results: xr.Dataset) -> str | None:
    return next(entry for entry in CATALOGUE if entry.name == name).skip(results)


def test_when_the_scenario_and_sweep_figures_apply() -> None:
    assert _skip("scenarios", _results()) == "the results have no scenarios"
    assert _skip("scenarios", _results(scenario=1)) == "the results have no scenarios"
    assert _skip("scenarios", _results(scenario=2)) is None
    two_sweeps = _results(closure_days=2, time_days=3, draw=4)
    assert _skip("sweep", two_sweeps) is None
    assert _skip("sweep", _results(closure_days=2, time_days=1)) == (
        "the results have fewer than two sweep dims"
    )
    # Scenarios and draws are not sweeps.
    assert _skip("sweep", _results(scenario=2, draw=3)) is not None


def test_when_the_sensitivity_figure_applies() -> None:
    results = _results(draw=3)
    assert _skip("sensitivity", results) == "no uncertain inputs (no distribution, no draws)"
    assert _skip("sensitivity", results.assign(input_quantile=("draw", [0.1, 0.5, 0.9]))) is None
