"""The summary CSV is the tidy table of docs/outputs.md: it loads with
``pandas.read_csv`` into the documented columns and dtypes, and every number in
it is ``summarize()``'s, to the last bit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helpers import dist, minimal_config, strike, with_draws

import facility_impact
from facility_impact import commands
from facility_impact.results.accounting import all_facilities, all_services
from facility_impact.results.summary_table import (
    ALL_FACILITIES,
    ALL_SERVICES,
    ALWAYS,
    TIDY_COLUMNS,
)

REPO = Path(__file__).resolve().parent.parent

TEXT = ("facility", "service", "scenario", "indicator", "outcome", "standard", "moment")
TEXT += ("statistic", "units", "unit_label")
NUMBERS = ("period_days", "threshold", "value")
"""The documented dtypes (docs/outputs.md): text, float64, and not_reached bool."""

COLUMN_DIMS = {"period_days": "period", "standard": "indicator"}
SERVICES = ("outpatient", "emergency", "inpatient", "surgery")
CONTACTS = "patient contacts of all kinds"

UNCERTAIN_CLOSURE = with_draws(
    minimal_config(strikes=[strike(0, closure_days=dist("uniform", low=0, high=90))], seed=5),
    40,
)
"""Closed 0 to 90 days in a 60-day run: in about a third of the draws capacity is not back."""


def _table(config, folder: Path) -> tuple[pd.DataFrame, xr.Dataset, str]:
    loaded = facility_impact.load_config(config)
    outcome = commands.run_to_files(loaded, folder)
    text = outcome.table_path.read_text(encoding="utf-8")
    return pd.read_csv(outcome.table_path), outcome.table, text


def _expected(summary: xr.Dataset, row: pd.Series, extra: list[str]) -> float:
    """The number of ``summary`` that ``row`` of the tidy table stands for."""
    name = row["indicator"]
    if row["facility"] == ALL_FACILITIES:
        name = all_facilities(name)
    elif row["service"] == ALL_SERVICES:
        name = all_services(name)
    variable = summary[name]
    where = {}
    for column in ("facility", "service", "scenario", "outcome", "standard", "moment", *extra):
        dim = COLUMN_DIMS.get(column, column)
        if dim in variable.dims:
            where[dim] = row[column]
    for column in ("period_days", "threshold"):
        dim = COLUMN_DIMS.get(column, column)
        if dim in variable.dims:
            where[dim] = float(row[column])
    if "quantile" in variable.dims:
        statistic = row["statistic"]
        where["quantile"] = 0.5 if statistic == "median" else int(statistic[1:]) / 100
    else:
        assert row["statistic"] == "value"
    return float(variable.sel(where).values)


def _check(frame: pd.DataFrame, summary: xr.Dataset, text: str) -> None:
    documented = list(TIDY_COLUMNS.values())
    extra = [c for c in frame.columns if c not in documented]
    assert set(ALWAYS) <= set(frame.columns)
    assert [c for c in frame.columns if c in documented] == [
        c for c in documented if c in frame.columns
    ]
    for column in frame.columns:
        if column in TEXT:
            assert pd.api.types.is_string_dtype(frame[column]), column
        elif column in NUMBERS:
            assert frame[column].dtype == np.float64, column
    assert frame["not_reached"].dtype == bool
    assert "inf" not in text.lower().replace("infrastructure", "")
    if summary.sizes["facility"] == 1:  # its row of all services holds them
        summary = summary.drop_vars([n for n in summary.data_vars if n.endswith("_all_facilities")])
    assert len(frame) == sum(v.size for v in summary.data_vars.values())
    for _, row in frame.iterrows():
        expected = _expected(summary, row, extra)
        if row["not_reached"]:
            assert math.isinf(expected) and pd.isna(row["value"])
        elif math.isnan(expected):
            assert pd.isna(row["value"])
        else:
            assert row["value"] == expected, row.to_dict()


@pytest.mark.slow
def test_the_reference_table_loads_and_holds_summarize_numbers(tmp_path):
    config = REPO / "configs" / "maarat_al_numan.toml"
    frame, _, text = _table(config, tmp_path)
    summary = facility_impact.summarize(facility_impact.simulate(config))
    _check(frame, summary, text)
    forgone = frame[(frame["indicator"] == "forgone_care") & (frame["period_days"] == 30)]
    assert set(forgone["units"]) == {"1"}
    labels = dict(zip(forgone["service"], forgone["unit_label"], strict=True))
    assert labels == {**dict.fromkeys(SERVICES, "patients"), ALL_SERVICES: CONTACTS}
    assert ALL_FACILITIES not in set(frame["facility"])  # one facility: its own total


def test_capacity_not_back_is_an_empty_cell_flagged_not_reached(tmp_path):
    frame, written, text = _table(UNCERTAIN_CLOSURE, tmp_path)
    config = facility_impact.load_config(UNCERTAIN_CLOSURE)
    summary = facility_impact.summarize(facility_impact.simulate(config))
    xr.testing.assert_identical(written, summary)
    _check(frame, summary, text)
    assert set(frame["statistic"]) == {"median", "p05", "p95", "value"}
    days = frame[frame["indicator"] == "days_to_capacity"]
    assert days["not_reached"].any() and not days["not_reached"].all()
    assert days.loc[days["not_reached"], "value"].isna().all()
    assert set(days["units"]) == {"d"}


@pytest.mark.slow
def test_the_region_table_has_the_rows_over_all_facilities(tmp_path):
    config = REPO / "configs" / "idlib_region.toml"
    frame, _, text = _table(config, tmp_path)
    summary = facility_impact.summarize(facility_impact.simulate(config))
    _check(frame, summary, text)
    everywhere = frame[frame["facility"] == ALL_FACILITIES]
    assert set(everywhere["indicator"]) == {"forgone_care", "displaced_total"}
    assert set(everywhere["service"]) == {ALL_SERVICES}
