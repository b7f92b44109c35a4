"""The headline-table model on a summary built by hand: numbers, ranges, the sentence
of patient contacts lost and the table of where the care went."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from accounts import accounted

from facility_impact import summarize
from facility_impact.present.headline import (
    ACCOUNT_COLUMNS,
    ALL_SERVICES_LABEL,
    Spread,
    about,
    about_text,
    accounts_period,
    cell,
    count,
    days,
    headline,
    longest_period,
    tagged,
    window_words,
)
from facility_impact.present.report import _headline_tables
from facility_impact.present.tables import format_summary, selection_heading
from facility_impact.results.accounting import ACCOUNTS, all_facilities, all_services

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
    summary = xr.Dataset(
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
    return _with_accounts(summary)


def _with_accounts(summary: xr.Dataset) -> xr.Dataset:
    """The accounts of the hand-built summary: 100 served here in each window that fits,
    care of displaced people in the second scenario only, nothing added or waiting; the
    totals over services and facilities are the offered service's numbers."""
    forgone, elsewhere = summary["forgone_care"], summary["served_elsewhere_total"]
    served = xr.full_like(forgone, 100.0).where(elsewhere.notnull())
    zero = xr.zeros_like(forgone).where(elsewhere.notnull())
    displaced = zero.copy()
    relief = {"scenario": "relief", "facility": "hospital", "service": "outpatient"}
    displaced.loc[{**relief, "period": 90.0}] = [300.0, 412.3, 555.0]
    summary = summary.assign(
        demand_total=served + elsewhere + forgone,
        counterfactual_total=served + elsewhere + forgone + displaced,
        added_demand_total=zero,
        served_total=served,
        displaced_total=displaced,
        waiting_change_total=zero,
        person_days_without_access_all_services=summary["person_days_without_access"].sel(
            service="outpatient", drop=True
        ),
    )
    for name in ACCOUNTS:
        total = summary[name].sel(service="outpatient", drop=True)
        summary[all_services(name)] = total
        summary[all_facilities(name)] = total.sel(facility="hospital", drop=True)
    return summary


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
    assert row.accounts["served_elsewhere_total"] == Spread(0.0, 0.0, 0.0)
    assert row.accounts["forgone_care"] == Spread(2500.0, 2000.0, 3100.0)
    assert table.contacts["forgone_care"] == row.accounts["forgone_care"]
    assert row.days_to_capacity[0.9] == Spread(math.inf, math.inf, math.inf)
    assert numbers.days(row.days_to_capacity[0.9].middle) == ">90"


def test_terminal_and_html_render_the_same_cells() -> None:
    summary = _summary()
    text = format_summary(summary)
    assert "hospital (scenario: no support)" in text
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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, 0.0),
        (0.4, 0.0),  # never finer than a whole patient
        (7.4, 7.0),
        (29.5, 30.0),
        (45.0, 45.0),
        (997.0, 1000.0),
        (1234.0, 1230.0),  # starts with 1: three figures
        (2996.0, 3000.0),
        (3049.0, 3000.0),  # starts with 3: two figures
        (3050.0, 3100.0),  # halves away from zero
        (10454.0, 10500.0),
        (17184.0, 17200.0),
        (987654.0, 990000.0),
        (-2345.0, -2350.0),
    ],
)
def test_about_rounds_to_two_or_three_significant_figures(value, expected) -> None:
    assert about(value) == expected


def test_about_moves_no_number_of_thirty_or_more_by_more_than_1_7_percent() -> None:
    values = np.geomspace(30.0, 3e7, 4001)
    moved = np.array([abs(about(v) - v) / v for v in values])
    assert moved.max() <= 0.05 / 3 + 1e-12
    assert about_text(12345.0) == "12,300"
    assert about_text(math.nan) == "-"
    assert math.isinf(about(math.inf))


def test_sentence_per_scenario_with_the_range_over_draws() -> None:
    base, relief = headline(_summary()).groups
    assert base.sentence == (
        "In the first 90 days after the strike, about 2,500 patient contacts of all kinds "
        "(5–95 %: 2,000–3,100) were lost: care that people would have received without the "
        "strike and did not receive anywhere."
    )
    # The range rounds to one number: none is shown; displaced care follows.
    assert relief.sentence == (
        "In the first 90 days after the strike, about 20 patient contacts of all kinds were "
        "lost: care that people would have received without the strike and did not receive "
        "anywhere; the care of about 410 more (5–95 %: 300–560) went with the people who left "
        "the area."
    )
    assert tagged("no support", base.sentence).startswith("No support: in the first 90 days")
    assert (base.label(), relief.label()) == ("no support", "field clinic")


def test_sentence_without_draws_has_no_range_and_says_first_strike_for_several() -> None:
    summary = _summary().sel(quantile=0.5, drop=True)
    summary.attrs["strikes"] = 2
    (base, _) = headline(summary).groups
    assert "5–95" not in base.sentence
    assert base.sentence.startswith(
        "In the first 90 days after the first strike, about 2,500 patient contacts of all kinds "
        "were lost: care that people would have received without the strikes"
    )
    assert window_words(365.0, 1) == "the first year after the strike"
    assert window_words(365.0, 0) == "the first year of the run"


def test_the_window_is_the_first_year_or_the_longest_that_fits() -> None:
    summary = _summary()
    assert accounts_period(summary) == 90.0
    longer = summary.assign_coords(period=[30.0, 90.0, 365.0])
    filled = longer["forgone_care"].fillna(1.0)
    assert accounts_period(longer.assign(forgone_care=filled)) == 365.0


def test_terminal_table_shows_where_the_care_went_and_adds_up() -> None:
    text = format_summary(_summary())
    assert "No support: in the first 90 days after the strike, about 2,500" in text
    assert "The columns add up in each line" in text
    assert "medians add up only approximately" in text
    lines = format_summary(_summary().sel(quantile=0.5, drop=True)).splitlines()
    assert max(len(line) for line in lines) <= 100
    # The accounts' headings, in their order, over one or two lines ("no" above
    # "strike"); columns that do not fit 100 columns go on in a block below.
    start = next(i for i, line in enumerate(lines) if line.startswith("where the care went"))
    end = next(i for i, line in enumerate(lines) if line.startswith("no strike: care without"))
    region = [
        line
        for line in lines[start + 1 : end]
        if not line.startswith(("hospital", ALL_SERVICES_LABEL, "outpatient"))
    ]
    words = [c.short for c in ACCOUNT_COLUMNS]
    assert sorted(w for line in region for w in line.split() if w != "service") == sorted(
        w for short in words for w in short.split()
    )
    bottom = [w for line in region if line.startswith("service") for w in line.split()[1:]]
    assert bottom == [short.split()[-1] for short in words]
    totals = [line for line in lines if line.startswith(ALL_SERVICES_LABEL)]
    blocks = len(totals) // 2  # one line per block, two scenarios
    joined = [" ".join(totals[i * blocks : (i + 1) * blocks]) for i in range(2)]
    for line, outpatient in zip(
        joined, ["2,600 2,600 0 100 0 2,500 0 0", "120 532 0 100 0 20 412 0"], strict=True
    ):
        numbers = line.replace(ALL_SERVICES_LABEL, " ").split()
        assert " ".join(numbers) == outpatient  # the one offered service
        _demand, without, added, *ends = (float(n.replace(",", "")) for n in numbers)
        assert without + added == sum(ends)
    assert "The columns add up in each line" in "\n".join(lines)
    assert "medians" not in "\n".join(lines)


def test_html_accounts_table_has_a_line_of_patient_contacts() -> None:
    html = "\n".join(_headline_tables(_summary()))
    assert '<p class="sentence">No support: in the first 90 days after the strike' in html
    assert '<table class="accounts" data-facility="hospital" data-scenario="base">' in html
    assert (
        '<td class="number" data-variable="forgone_care_all_services@90">2,500<br>'
        '<span class="range">(2,000–3,100)</span></td>'
    ) in html
    assert '<tr class="all-services"><th>patient contacts of all kinds</th>' in html
    assert "care without the strikes + added by the strikes = served here" in html
    assert 'data-variable="person_days_without_access_all_services">40</td>' in html


def test_sentence_numbers_are_the_summary_quantiles_of_a_run_with_draws() -> None:
    options = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan_options.toml"
    summary = summarize(accounted(options, draws=12))
    numbers = headline(summary)
    assert numbers.window == 365.0 and len(numbers.groups) == summary.sizes["scenario"]
    for group in numbers.groups:
        lost = summary["forgone_care_all_facilities"].sel(group.selection).sel(period=365.0)
        middle, low, high = (about_text(float(lost.sel(quantile=q))) for q in (0.5, 0.05, 0.95))
        assert low != high
        assert group.sentence.startswith(
            f"In the first year after the first strike, about {middle} patient contacts of all "
            f"kinds (5–95 %: {low}–{high}) were lost"
        ), group.sentence


REFERENCE_CONFIGS = (
    "maarat_al_numan",
    "idlib_region",
    "maarat_al_numan_options",
    "maarat_al_numan_sweep",
)


@pytest.mark.slow
@pytest.mark.parametrize("name", REFERENCE_CONFIGS)
def test_terminal_tables_fit_100_columns(name: str) -> None:
    """What `run` prints fits a terminal of 100 columns for each reference
    configuration, ranges over draws included; no column runs into the next."""
    from facility_impact import load_config, simulate

    path = Path(__file__).resolve().parents[1] / "configs" / f"{name}.toml"
    config = load_config(path, draws=12) if "options" in name else load_config(path)
    text = format_summary(summarize(simulate(config)))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    # Cells stay apart: a number is never glued to the one before it ("0" and
    # "13,924" as "013,924", or "1,234" and "5,678" as "1,2345,678").
    assert not re.search(r"(?<![\d.,])0\d|,\d{4}", text)
    assert "patient contacts of all kinds" in text
