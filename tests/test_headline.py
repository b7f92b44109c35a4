"""The headline-table model on a summary built by hand: numbers, ranges and text."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from facility_impact.present.headline import (
    Spread,
    cell,
    count,
    days,
    headline,
    longest_period,
)
from facility_impact.present.report import _headline_tables
from facility_impact.present.tables import format_summary, selection_heading

QUANTILES = [0.05, 0.5, 0.95]


def _summary() -> xr.Dataset:
    """Two scenarios, one facility, two services (the second not offered); windows of
    30 and 90 days fit the run, 365 does not; 10 days to the first strike of 100."""
    scenario, service, period = ["base", "relief"], ["outpatient", "surgery"], [30.0, 90.0, 365.0]
    # forgone care: (quantile, scenario, facility, service, period)
    forgone = np.full((3, 2, 1, 2, 3), np.nan)
    forgone[:, 0, 0, 0, :2] = [[900.0, 2000.0], [1234.4, 2500.0], [1500.6, 3100.0]]
    forgone[:, 1, 0, 0, :2] = [[10.0, 20.0], [10.2, 20.0], [10.4, 20.0]]
    elsewhere = np.zeros_like(forgone)
    elsewhere[..., 2] = np.nan
    capacity_days = np.full((3, 2, 1, 2, 2), np.nan)
    capacity_days[:, :, 0, 0, :] = [[[5.0, np.inf]] * 2, [[6.0, np.inf]] * 2, [[7.0, np.inf]] * 2]
    dims = ("quantile", "scenario", "facility", "service")
    return xr.Dataset(
        {
            "baseline_volume_per_month": (
                ("facility", "service"),
                [[1500.0, 0.0]],
            ),
            "forgone_care": ((*dims, "period"), forgone),
            "served_elsewhere_total": ((*dims, "period"), elsewhere),
            "person_days_without_access": (dims, np.full((3, 2, 1, 2), 40.0)),
            "days_to_capacity": ((*dims, "threshold"), capacity_days),
        },
        coords={
            "quantile": QUANTILES,
            "scenario": scenario,
            "scenario_label": ("scenario", ["no support", "field clinic"]),
            "facility": ["hospital"],
            "facility_label": ("facility", ["District hospital"]),
            "service": service,
            "period": period,
            "threshold": [0.5, 0.9],
        },
        attrs={"title": "hand-built", "draws": 40, "horizon_days": 100, "first_strike_day": 10},
    )


def test_number_formats() -> None:
    assert count(1234.5) == "1,234"  # rounds half to even, as format does
    assert count(math.nan) == "-"
    assert days(math.inf, 90) == ">90"
    assert days(12.0, 90) == "12"
    assert days(math.nan, 90) == "-"


def test_spread_text_shows_a_range_only_where_it_reads_as_two_numbers() -> None:
    assert Spread(1234.4, 1000.0, 1500.6).text(count) == "1,234 (1,000–1,501)"
    assert Spread(10.2, 10.0, 10.4).text(count) == "10"
    assert Spread(math.nan, math.nan, math.nan).text(count) == "-"


def test_cell_with_and_without_quantiles() -> None:
    values = xr.DataArray([900.0, 1234.4, 1500.6], dims="quantile", coords={"quantile": QUANTILES})
    assert cell(values, count) == "1,234 (900–1,501)"
    assert cell(values.sel(quantile=0.5), count) == "1,234"


def test_headline_reads_every_number_once() -> None:
    summary = _summary()
    assert longest_period(summary) == 90.0
    numbers = headline(summary)
    assert numbers.periods == (30, 90, 365)
    assert numbers.longest == 90.0
    assert numbers.horizon_left == 90
    assert numbers.with_ranges and numbers.draws == 40
    assert [g.selection for g in numbers.groups] == [{"scenario": "base"}, {"scenario": "relief"}]
    assert [g.scenario_label for g in numbers.groups] == ["no support", "field clinic"]
    (table,) = numbers.groups[0].facilities
    assert (table.facility, table.label, table.opens_within_run) == (
        "hospital",
        "District hospital",
        True,
    )
    (row,) = table.rows  # surgery is not offered
    assert row.service == "outpatient" and row.baseline_per_month == 1500.0
    assert row.forgone_care[30] == Spread(1234.4, 900.0, 1500.6)
    assert math.isnan(row.forgone_care[365].middle)
    assert set(row.served_elsewhere) == {30, 90, 365}
    assert row.days_to_capacity[0.9] == Spread(math.inf, math.inf, math.inf)
    assert numbers.days(row.days_to_capacity[0.9].middle) == ">90"


def test_terminal_and_html_render_the_same_cells() -> None:
    summary = _summary()
    text = format_summary(summary)
    assert "hospital (scenario = base (no support))" in text
    assert "1,234 (900–1,501)" in text
    html = "\n".join(_headline_tables(summary))
    assert "<h3>District hospital — no support</h3>" in html
    assert (
        '<td class="number" data-variable="forgone_care@30">1,234<br>'
        '<span class="range">(900–1,501)</span></td>'
    ) in html
    assert '<td class="number" data-variable="days_to_capacity@0.9">&gt;90</td>' in html


@pytest.mark.parametrize(
    ("selection", "label", "expected"),
    [
        ({"scenario": "base"}, "no support", "scenario = base (no support)"),
        ({"scenario": "base"}, None, "scenario = base"),
        ({"closure_days": np.float64(30.0), "draws": 2}, None, "closure_days = 30, draws = 2"),
    ],
)
def test_selection_heading(selection, label, expected) -> None:
    assert selection_heading(selection, label) == expected
