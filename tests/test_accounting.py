"""The care accounts of the summary: hand-computed sums, the identity, totals across
services only as patient contacts, person-days that count a person once, and the
summary CSV's rows of totals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from accounts import POPULATION, accounted, tiny_results
from helpers import minimal_config, service, strike

from facility_impact import summarize
from facility_impact.cli import main
from facility_impact.errors import ConfigError
from facility_impact.present.catalogue import check_results
from facility_impact.results.accounting import (
    ACCOUNTS,
    ALL_FACILITIES,
    COUNTERFACTUAL_RESULTS,
    DESTINATIONS,
    SOURCES,
    all_facilities,
    all_services,
)
from facility_impact.results.summary_table import ALL_SERVICES, summary_table
from facility_impact.run.io import write_netcdf

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
WINDOW = 5.0
"""The tiny results' only window that fits: days 1 … 5 after the strike on day 1."""

# Summed by hand over days 1 … 5 of the tables in tests/accounts.py.
BY_HAND = {
    "outpatient": {
        "demand_total": 39.0,
        "counterfactual_total": 50.0,
        "added_demand_total": 4.0,
        "served_total": 21.0,
        "served_elsewhere_total": 4.0,
        "forgone_care": 13.0,
        "displaced_total": 15.0,
        "waiting_change_total": 1.0,
    },
    "surgery": {
        "demand_total": 12.5,
        "counterfactual_total": 10.0,
        "added_demand_total": 2.0,
        "served_total": 4.0,
        "served_elsewhere_total": 1.0,
        "forgone_care": 4.0,
        "displaced_total": 3.0,
        "waiting_change_total": 0.0,
    },
}


def _identity_gap(summary: xr.Dataset, name_of=lambda name: name) -> xr.DataArray:
    """(sources - destinations) / sources of the identity, for each cell."""
    sources = sum(summary[name_of(name)] for name in SOURCES)
    destinations = sum(summary[name_of(name)] for name in DESTINATIONS)
    return abs(sources - destinations) / abs(sources).where(abs(sources) > 0, 1.0)


@pytest.fixture(scope="module")
def tiny() -> xr.Dataset:
    return summarize(tiny_results())


@pytest.mark.parametrize("service_name", ["outpatient", "surgery"])
def test_accounts_are_the_daily_results_summed_by_hand(tiny, service_name):
    for name, expected in BY_HAND[service_name].items():
        cell = tiny[name].sel(facility="clinic", service=service_name)
        assert float(cell.sel(period=WINDOW)) == pytest.approx(expected, abs=1e-12), name
        # Windows longer than the six days simulated have no value.
        assert bool(cell.drop_sel(period=WINDOW).isnull().all()), name


def test_the_accounts_add_up_in_the_summary(tiny):
    for expected in BY_HAND.values():
        assert sum(expected[n] for n in SOURCES) == sum(expected[n] for n in DESTINATIONS)
    gap = _identity_gap(tiny.sel(period=WINDOW))
    assert float(gap.max()) < 1e-9
    gap = _identity_gap(tiny.sel(period=WINDOW), all_services)
    assert float(gap.max()) < 1e-9


def test_all_services_line_is_the_sum_of_the_service_lines(tiny):
    for name in ACCOUNTS:
        expected = sum(BY_HAND[s][name] for s in BY_HAND)
        total = tiny[all_services(name)].sel(facility="clinic", period=WINDOW)
        assert float(total) == pytest.approx(expected, abs=1e-12), name
        assert "patient contacts of all kinds" in tiny[all_services(name)].attrs["long_name"]
    for name in ALL_FACILITIES:
        total = tiny[all_facilities(name)].sel(period=WINDOW)
        assert float(total) == float(tiny[all_services(name)].sel(facility="clinic", period=WINDOW))


def test_forgone_share_is_forgone_over_the_care_without_the_strikes(tiny):
    share = tiny["forgone_share"].sel(facility="clinic", period=WINDOW)
    assert share.sel(service="outpatient").item() == pytest.approx(13.0 / 50.0)
    assert share.sel(service="surgery").item() == pytest.approx(4.0 / 10.0)
    assert "without the strikes" in tiny["forgone_share"].attrs["long_name"]


def test_person_days_count_each_person_once(tiny):
    """Per service, people without it; over all services, day by day the most people
    without any one service (both services lack the same 800 people on day 1)."""
    per_service = tiny["person_days_without_access"].sel(facility="clinic")
    # Outpatient: 1000·0.8 + 1000·0.4 + 0 + 0 + 500·(1 - 6/9) on days 1 … 5.
    assert per_service.sel(service="outpatient").item() == pytest.approx(1366.0 + 2 / 3)
    # Surgery: 1000·0.8 + 1000·1 + 500·(1/3) + 500·(1/3) + 0.
    assert per_service.sel(service="surgery").item() == pytest.approx(2133.0 + 1 / 3)
    once = tiny["person_days_without_access_all_services"].sel(facility="clinic").item()
    assert once == pytest.approx(800.0 + 1000.0 + 3 * 500.0 / 3)
    assert once < float(per_service.sum())


def test_two_services_closed_on_the_same_day_count_a_person_once():
    results = tiny_results()
    for name in ("served", "served_elsewhere"):
        results[name].loc[{"time": 1}] = 0.0
    summary = summarize(results)
    # Nobody is served on day 1: all 1000 people lack both services that day.
    per_service = summary["person_days_without_access"].sel(facility="clinic")
    once = summary["person_days_without_access_all_services"].sel(facility="clinic")
    on_other_days = 1000.0 + 500.0  # day 2 (surgery) and days 3 … 5 as before
    assert float(once) == pytest.approx(POPULATION + on_other_days)
    assert float(per_service.sum()) > float(once) + POPULATION - 1e-9


def test_an_older_results_file_is_refused_with_a_clear_message():
    old = tiny_results().drop_vars(["forgone", "displaced"])
    with pytest.raises(
        ConfigError, match=r"written by an older version.*forgone, displaced.*re-run"
    ):
        summarize(old)
    with pytest.raises(
        ConfigError, match=r"^results file old\.nc was written by an older version.*re-run"
    ):
        check_results(old.assign(capacity=old["served"], abandoned=old["unmet"]), "old.nc")
    assert set(COUNTERFACTUAL_RESULTS) >= {"forgone", "displaced", "waiting_change"}


@pytest.mark.parametrize(
    ("config", "overrides"),
    [
        ("maarat_al_numan.toml", {}),
        ("idlib_region.toml", {}),
        # Ensembles are stored in float32 unless asked: float32 days add up to 1e-7 only.
        (
            "maarat_al_numan_options.toml",
            {"draws": 12, "settings": [("run.precision", "float64")]},
        ),
    ],
)
def test_identity_and_totals_on_real_results(config, overrides):
    """Results of real configurations: every per-service account, its all-services
    total and the total over facilities add up, run by run, to 1e-9 relative."""
    per_run = summarize(accounted(CONFIGS / config, **overrides), quantiles=None)
    assert float(_identity_gap(per_run).max()) < 1e-9
    assert float(_identity_gap(per_run, all_services).max()) < 1e-9
    for name in ACCOUNTS:
        summed = per_run[name].sum("service", skipna=False)
        np.testing.assert_allclose(per_run[all_services(name)], summed, rtol=1e-12)
    for name in ALL_FACILITIES:
        summed = per_run[all_services(name)].sum("facility", skipna=False)
        np.testing.assert_allclose(per_run[all_facilities(name)], summed, rtol=1e-12)


def test_totals_over_draws_are_percentiles_of_the_sums():
    """With draws, the all-services line is the percentile of each draw's total, not
    a sum of percentiles."""
    results = accounted(
        minimal_config(
            services={"outpatient": service(600.0), "surgery": service(90.0)},
            strikes=[strike(day=2, closure_days={"dist": "uniform", "low": 5, "high": 40})],
            horizon_days=60,
        ),
        draws=16,
    )
    per_run = summarize(results, quantiles=None)
    summary = summarize(results)
    summed = per_run["forgone_care"].sum("service", skipna=False)
    total = summed.quantile([0.05, 0.5, 0.95], dim="draw", skipna=False)
    np.testing.assert_allclose(
        summary["forgone_care_all_services"].transpose(*total.dims), total, rtol=1e-12
    )


def _csv(summary: xr.Dataset) -> list[dict[str, object]]:
    header, rows = summary_table(summary)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_csv_rows_add_up(tiny):
    rows = _csv(tiny)
    assert [row["service"] for row in rows] == ["outpatient", "surgery", ALL_SERVICES]
    column = f"{{}}_{WINDOW:g}d"
    for row in rows:
        left = sum(float(row[column.format(n)]) for n in SOURCES)
        right = sum(float(row[column.format(n)]) for n in DESTINATIONS)
        assert left == pytest.approx(right, abs=1e-9), row["service"]
    for name in ACCOUNTS:
        services = sum(float(row[column.format(name)]) for row in rows[:2])
        assert float(rows[2][column.format(name)]) == pytest.approx(services, abs=1e-9), name
    # Nothing else is added over services: the row of totals leaves them empty.
    for name in ("forgone_share", "capacity_loss_days", "coverage", "person_days_without_access"):
        columns = [
            key
            for key in rows[2]
            if (key == name or key.startswith(f"{name}_")) and not key.endswith("_all_services")
        ]
        assert columns and all(rows[2][key] == "" for key in columns), name
    once = tiny["person_days_without_access_all_services"].item()
    assert {row["person_days_without_access_all_services"] for row in rows} == {round(once, 4)}


def test_csv_of_a_network_has_a_row_over_all_facilities():
    summary = summarize(accounted(CONFIGS / "idlib_region.toml"))
    rows = _csv(summary)
    last = [row for row in rows if row["facility"] == "all facilities"]
    assert [row["service"] for row in last] == [ALL_SERVICES] * summary.sizes["scenario"]
    for row in last:
        scenario = row["scenario"]
        expected = summary["forgone_care"].sel(scenario=scenario, period=365).sum()
        assert float(row["forgone_care_365d"]) == pytest.approx(float(expected), abs=1e-4)
        assert row["served_total_365d"] == ""  # only forgone and displaced care go over facilities
        facility_rows = [
            r
            for r in rows
            if r["service"] == ALL_SERVICES
            and r["scenario"] == scenario
            and r["facility"] != "all facilities"
        ]
        assert float(row["forgone_care_365d"]) == pytest.approx(
            sum(float(r["forgone_care_365d"]) for r in facility_rows), abs=1e-3
        )


def test_report_of_an_older_results_file_is_one_line_and_writes_nothing(tmp_path, capsys):
    results = tiny_results().drop_vars(["counterfactual_served", "waiting_change"])
    results = results.assign(capacity=results["served"])
    path = tmp_path / "old.nc"
    write_netcdf(results, path)
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (
        f"facility-impact: error: results file {path} was written by an older version of "
        "facility_impact (it lacks counterfactual_served, waiting_change): re-run its "
        "configuration with facility-impact run"
    )
    assert not (tmp_path / "out").exists()
