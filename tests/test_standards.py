"""Indicators against humanitarian minimum standards, on hand-computed cases.

Every expected value is worked out from the configuration numbers (staff,
population, monthly volumes, damage), never copied from a model run. A monthly
volume V is V / 30.4375 patients a day, i.e. V · 12 patients a year.
"""

from __future__ import annotations

import copy
import math
import tomllib
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import POPULATION, alternative, minimal_config, service, strike

from facility_impact import ConfigError, load_config, simulate
from facility_impact.results.standards import load_standards, standards_indicators

REFERENCE = Path(__file__).parents[1] / "configs" / "maarat_al_numan.toml"
BEDS = "inpatient_beds_per_10000"
CONSULTATIONS = "consultations_per_person_per_year"
WORKERS = "staff_per_10000"
"""A staff density defined here to test the arithmetic of a resource standard on the
minimal clinic (which has staff and no beds). It is not a published standard and the
data file has none: no verified health-workforce threshold fits what the model counts
(docs/standards.md)."""
STAFF = 10.0  # helpers.RESOURCES["staff"]


def with_staff(threshold=8.0, comparison=">="):
    """The shipped standards plus the test-only staff density."""
    standards = copy.deepcopy(load_standards())
    staff = copy.deepcopy(standards[BEDS])
    staff.update(
        long_name="staff per 10,000 people (test only)",
        units="worker per 10000 person",
        resources=["staff"],
        threshold=threshold,
        comparison=comparison,
        source="none: a threshold made up for the tests",
        source_label="test",
        threshold_verified=False,
    )
    return {**standards, WORKERS: staff}


def value(indicators, indicator, moment, facility="clinic", **where):
    return float(
        indicators["standard_value"]
        .sel(indicator=indicator, moment=moment, facility=facility, **where)
        .values
    )


def data_file():
    """The standards data file read directly, not through the module under test."""
    text = files("facility_impact").joinpath("data/standards.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def outpatient_only(volume=600.0, **keys):
    return {"outpatient": service(volume, {"staff": 1.0, "building": 1.0}, **keys)}


# ------------------------------------------------------------------ the data file


def test_every_standard_has_a_source_and_a_numeric_threshold():
    standards = data_file()
    assert set(standards) == {BEDS, CONSULTATIONS}
    for name, entry in standards.items():
        assert isinstance(entry["source"], str) and entry["source"].strip(), name
        assert isinstance(entry["edition"], str) and entry["edition"].strip(), name
        threshold = entry["threshold"]
        assert isinstance(threshold, int | float) and not isinstance(threshold, bool), name
        assert math.isfinite(threshold), name
        assert entry["comparison"] in (">=", ">", "<=", "<"), name
        assert entry["units"].strip() and entry["long_name"].strip(), name
        assert bool(entry.get("resources")) != bool(entry.get("services")), name
    assert load_standards() == standards


def test_every_shipped_threshold_is_verified_with_its_standard_page_and_wording():
    """Issue 14 item 6: each standard is verified with its standard and page, or removed.

    Each row says what the check against Sphere 2018 found; a row that is not
    Sphere's own (none could be verified so far: seeds/literature/sphere_check.md)
    must not present itself as Sphere's.
    """
    for name, entry in data_file().items():
        assert entry["threshold_verified"] is True, name
        for key in ("standard", "page", "wording", "source_label", "sphere_2018"):
            assert isinstance(entry[key], str) and entry[key].strip(), (name, key)
        assert "not found" not in entry["page"].lower(), name
        from_sphere = "sphere" in entry["source"].lower()
        assert entry["sphere_2018"].startswith("Verified" if from_sphere else "Not verified"), name
        assert from_sphere == ("sphere" in entry["source_label"].lower()), name
        # The threshold is the number the source's own wording gives.
        assert f"{entry['threshold']:g}" in entry["wording"], name


def test_the_unhcr_thresholds_as_worded():
    """UNHCR: more than 10 beds for every 10,000 people; 1 to 4 new consultations a year."""
    standards = data_file()
    beds, consultations = standards[BEDS], standards[CONSULTATIONS]
    assert (beds["comparison"], beds["threshold"], beds["per_people"]) == (">", 10.0, 10000)
    assert beds["wording"].startswith("More than 10 ")
    assert (consultations["comparison"], consultations["threshold"]) == (">=", 1.0)
    assert "1 - 4 new consultations per person" in consultations["wording"]
    for entry in (beds, consultations):
        assert entry["source_label"] == "UNHCR Emergency Handbook"
        assert entry["page"].split()[-1].startswith("https://emergency.unhcr.org/")
        assert entry["page"].split()[-1] in entry["source"]


def test_thresholds_and_sources_in_the_output_come_from_the_data_file():
    standards = data_file()
    indicators = standards_indicators(simulate(minimal_config()))
    for name, entry in standards.items():
        assert float(indicators["standard_threshold"].sel(indicator=name)) == entry["threshold"]
        assert str(indicators["standard_source"].sel(indicator=name).values) == entry["source"]
        label = indicators["standard_source_label"].sel(indicator=name).values
        assert str(label) == entry["source_label"]
        assert bool(indicators["threshold_verified"].sel(indicator=name))
        assert str(indicators["indicator_units"].sel(indicator=name).values) == entry["units"]
        assert entry["source"] in indicators["standard_threshold"].attrs["source"]


def test_every_variable_has_units_and_long_name():
    indicators = standards_indicators(simulate(minimal_config()))
    for name in indicators.data_vars:
        assert indicators[name].attrs.get("units"), name
        assert indicators[name].attrs.get("long_name"), name
    assert list(indicators["moment"].values) == ["before", "worst", "at_horizon"]
    assert indicators["standard_value"].dims == ("indicator", "facility", "moment")


@pytest.mark.parametrize(
    ("key", "bad"),
    [("threshold", "high"), ("threshold", True), ("source", ""), ("comparison", "=>")],
)
def test_an_unusable_standard_is_refused(key, bad):
    standards = with_staff()
    standards[WORKERS][key] = bad
    with pytest.raises(ConfigError, match=f"standards.{WORKERS}.{key}"):
        standards_indicators(simulate(minimal_config()), standards)


# ------------------------------------------------------------------ resources per 10,000


def test_health_workers_before_and_at_worst():
    """10 staff for 10,000 people = 10 per 10,000; a strike removing half leaves 5."""
    results = simulate(minimal_config(strikes=[strike(5, {"staff": 0.5})]))
    indicators = standards_indicators(results, with_staff())
    assert value(indicators, WORKERS, "before") == pytest.approx(STAFF / POPULATION * 10_000)
    assert value(indicators, WORKERS, "before") == pytest.approx(10.0)
    assert value(indicators, WORKERS, "worst") == pytest.approx(5.0)
    assert value(indicators, WORKERS, "at_horizon") == pytest.approx(5.0)


def test_before_is_the_baseline_even_when_the_first_strike_is_on_day_zero():
    """On day 0 the strike has already acted; 'before' is the pre-strike baseline."""
    results = simulate(minimal_config(strikes=[strike(0, {"staff": 0.5})]))
    indicators = standards_indicators(results, with_staff())
    assert value(indicators, WORKERS, "before") == pytest.approx(10.0)
    assert value(indicators, WORKERS, "worst") == pytest.approx(5.0)


def test_recovery_shows_at_the_horizon_and_worst_depends_on_the_comparison():
    """Half the staff lost on day 5, back linearly over 20 days: 5 at worst, 10 at the end.

    Under a '<=' standard the least favourable day is the highest value (10).
    """
    config = minimal_config(
        strikes=[strike(5, {"staff": 0.5})],
        recovery={"staff": {"curve": "linear", "time_days": 20, "recoverable_share": 1.0}},
    )
    results = simulate(config)
    standards = with_staff()
    ceiling = copy.deepcopy(standards[WORKERS])
    ceiling.update(comparison="<=", threshold=6.0)
    standards = {WORKERS: standards[WORKERS], "workers_ceiling": ceiling}
    indicators = standards_indicators(results, standards)
    assert value(indicators, WORKERS, "worst") == pytest.approx(5.0)
    assert value(indicators, WORKERS, "at_horizon") == pytest.approx(10.0)
    assert value(indicators, "workers_ceiling", "worst") == pytest.approx(10.0)
    meets = indicators["meets_standard"].sel(indicator="workers_ceiling", facility="clinic")
    assert list(meets.values) == [False, False, False]  # 10 > 6 before, at worst and at the end


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(8.0, [True, False, False]), (5.0, [True, True, True]), (10.5, [False, False, False])],
)
def test_meets_standard_compares_each_moment_with_the_threshold(threshold, expected):
    """10 per 10,000 before, 5 afterwards; 'at least' includes the threshold itself."""
    results = simulate(minimal_config(strikes=[strike(5, {"staff": 0.5})]))
    indicators = standards_indicators(results, with_staff(threshold))
    meets = indicators["meets_standard"].sel(indicator=WORKERS, facility="clinic")
    assert meets.dtype == bool
    assert list(meets.values) == expected


@pytest.mark.parametrize(
    ("comparison", "threshold", "expected"),
    [
        (">", 10.0, [False, False, False]),
        (">=", 10.0, [True, False, False]),
        (">", 5.0, [True, False, False]),
        ("<", 5.0, [False, False, False]),
        ("<=", 5.0, [False, True, True]),
    ],
)
def test_more_than_and_fewer_than_exclude_the_threshold(comparison, threshold, expected):
    """10 per 10,000 before, 5 afterwards. "More than 10" is not met by 10 itself.

    The worst day of a "more than" standard is its lowest value, of a "fewer than"
    standard its highest: here 5 either way, since the value stays at 5 after the strike.
    """
    results = simulate(minimal_config(strikes=[strike(5, {"staff": 0.5})]))
    indicators = standards_indicators(results, with_staff(threshold, comparison))
    meets = indicators["meets_standard"].sel(indicator=WORKERS, facility="clinic")
    assert list(meets.values) == expected
    assert value(indicators, WORKERS, "worst") == pytest.approx(5.0)


def test_the_printed_table_names_whose_standard_each_threshold_is():
    from facility_impact import summarize
    from facility_impact.present.tables import format_summary

    config = minimal_config(
        services=outpatient_only(600.0, deferrable_share=0.0), strikes=[strike(5, {"staff": 0.5})]
    )
    text = format_summary(summarize(simulate(config)))
    lines = text.splitlines()
    row = next(line for line in lines if "consultations per person per year" in line)
    assert row.rstrip().endswith("≥ 1")
    assert "  standards: UNHCR Emergency Handbook" in lines
    assert "unverified" not in text


def test_a_missing_resource_gives_nan_not_an_error():
    """The minimal clinic has staff and a building but no beds."""
    indicators = standards_indicators(simulate(minimal_config()), with_staff())
    beds = indicators["standard_value"].sel(indicator=BEDS)
    assert bool(beds.isnull().all())
    assert not bool(indicators["meets_standard"].sel(indicator=BEDS).any())
    assert not bool(indicators["standard_value"].sel(indicator=WORKERS).isnull().any())


def test_beds_count_only_usable_beds():
    config = minimal_config(
        resources={"staff": 10.0, "building": 1.0, "beds": 30.0},
        services={"inpatient": service(100.0, {"beds": 1.0})},
        strikes=[strike(3, {"beds": 0.4})],
    )
    indicators = standards_indicators(simulate(config))
    assert value(indicators, BEDS, "before") == pytest.approx(30.0 / POPULATION * 10_000)
    assert value(indicators, BEDS, "worst") == pytest.approx(30.0 * 0.6 / POPULATION * 10_000)


# ------------------------------------------------------------------ consultations


def test_consultations_per_person_per_year_from_a_known_volume():
    """600 a month for 10,000 people = 7,200 a year = 0.72 per person; half the staff, half."""
    config = minimal_config(
        services=outpatient_only(600.0, deferrable_share=0.0),
        strikes=[strike(5, {"staff": 0.5})],
    )
    indicators = standards_indicators(simulate(config))
    assert value(indicators, CONSULTATIONS, "before") == pytest.approx(600.0 * 12 / POPULATION)
    assert value(indicators, CONSULTATIONS, "worst") == pytest.approx(0.36)
    assert value(indicators, CONSULTATIONS, "at_horizon") == pytest.approx(0.36)


def test_emergency_consultations_count_and_admissions_do_not():
    services = {
        "outpatient": service(600.0),
        "emergency": service(300.0),
        "inpatient": service(100.0, {"staff": 1.0}),
    }
    indicators = standards_indicators(simulate(minimal_config(services=services)))
    expected = (600.0 + 300.0) * 12 / POPULATION
    for moment in ("before", "worst", "at_horizon"):
        assert value(indicators, CONSULTATIONS, moment) == pytest.approx(expected)


def test_consultations_count_care_received_elsewhere():
    """Closed 5 days; half the patients try the post 2 km away, decay scale 4 km:
    0.5 · exp(-2/4) of the daily volume is served elsewhere on a closed day."""
    services = outpatient_only(
        600.0, deferrable_share=0.0, willingness_to_travel=0.5, distance_decay_km=4.0
    )
    config = minimal_config(
        services=services,
        strikes=[strike(10, closure_days=5)],
        alternatives=[alternative("post", 2.0, {"outpatient": 10_000.0})],
    )
    indicators = standards_indicators(simulate(config))
    share_elsewhere = 0.5 * math.exp(-2.0 / 4.0)
    expected = 600.0 * 12 / POPULATION * share_elsewhere
    assert value(indicators, CONSULTATIONS, "worst") == pytest.approx(expected)
    assert value(indicators, CONSULTATIONS, "at_horizon") == pytest.approx(0.72)


def test_worst_counts_only_days_from_the_first_strike_on():
    """Demand at a quarter on days 0-9 (before the strike) must not be the 'worst'."""
    services = outpatient_only(
        600.0,
        deferrable_share=0.0,
        demand_multipliers=[{"start_day": 0, "end_day": 10, "factor": 0.25}],
    )
    config = minimal_config(services=services, strikes=[strike(20, {"staff": 0.2})])
    indicators = standards_indicators(simulate(config))
    assert value(indicators, CONSULTATIONS, "before") == pytest.approx(0.72)
    assert value(indicators, CONSULTATIONS, "worst") == pytest.approx(0.72 * 0.8)


def test_a_missing_service_gives_nan():
    services = {"inpatient": service(100.0, {"staff": 1.0})}
    indicators = standards_indicators(simulate(minimal_config(services=services)))
    assert bool(indicators["standard_value"].sel(indicator=CONSULTATIONS).isnull().all())


# ------------------------------------------------------------------ shapes and purity


def test_extra_ensemble_dims_are_kept():
    half = simulate(minimal_config(strikes=[strike(5, {"staff": 0.5})]))
    quarter = simulate(minimal_config(strikes=[strike(5, {"staff": 0.25})]))
    both = xr.concat([half, quarter], dim=xr.DataArray(["half", "quarter"], dims="scenario"))
    indicators = standards_indicators(both, with_staff())
    assert indicators["standard_value"].dims == ("indicator", "facility", "moment", "scenario")
    assert indicators["meets_standard"].dims == indicators["standard_value"].dims
    assert value(indicators, WORKERS, "worst", scenario="half") == pytest.approx(5.0)
    assert value(indicators, WORKERS, "worst", scenario="quarter") == pytest.approx(7.5)
    for label, alone in (("half", half), ("quarter", quarter)):
        xr.testing.assert_allclose(
            indicators["standard_value"].sel(scenario=label, drop=True),
            standards_indicators(alone, with_staff())["standard_value"],
        )


def test_each_ensemble_member_uses_its_own_first_strike_day():
    """Half the people leave linearly over days 0-20: P(t) = 10,000 · (1 - 0.5 · t/20).

    A strike on day 10 is preceded by day 9 (7,750 people); on day 0, by day 0.
    """
    from facility_impact.model.parameters import build_parameters
    from facility_impact.run.workflow import simulate_parameters

    config = load_config(
        minimal_config(
            strikes=[strike(5, {"staff": 0.5})],
            displacement={"share": 0.5, "start_day": 0, "curve": "linear", "time_days": 20},
        )
    )
    params = build_parameters(config)
    strike_days = xr.DataArray([0.0, 10.0], dims="strike_at")
    params = params.assign(
        strike_day=(params["strike_day"] * 0 + strike_days).assign_attrs(params["strike_day"].attrs)
    )
    indicators = standards_indicators(simulate_parameters(params), with_staff())

    def people(day):
        return POPULATION * (1 - 0.5 * min(1.0, day / 20))

    for index, day in enumerate((0, 10)):
        before = value(indicators, WORKERS, "before", strike_at=index)
        worst = value(indicators, WORKERS, "worst", strike_at=index)
        assert before == pytest.approx(STAFF / people(max(day - 1, 0)) * 10_000)
        # Fewer people later only raise the density, so the worst day is the strike day.
        assert worst == pytest.approx(STAFF * 0.5 / people(day) * 10_000)


def test_the_results_are_not_modified():
    results = simulate(minimal_config(strikes=[strike(5, {"staff": 0.5})]))
    before = results.copy(deep=True)
    standards_indicators(results)
    xr.testing.assert_identical(results, before)


def test_an_empty_catchment_has_no_per_person_value():
    """Everyone gone from day 10: per-person values are NaN there, not infinite."""
    config = minimal_config(
        displacement={"share": 1.0, "start_day": 10, "curve": "step", "time_days": 0}
    )
    indicators = standards_indicators(simulate(config), with_staff())
    assert value(indicators, WORKERS, "before") == pytest.approx(10.0)
    assert math.isnan(value(indicators, WORKERS, "at_horizon"))


# ------------------------------------------------------------------ the reference configuration


def test_reference_configuration_before_and_at_worst():
    """30 beds for 40,000 people = 7.5 per 10,000 before; all beds destroyed at worst."""
    config = tomllib.loads(REFERENCE.read_text(encoding="utf-8"))
    (name, facility), *_ = config["facility"].items()
    population = facility["population"]
    resources = facility["resources"]
    strike = config["strike"][0]
    # Recorded as destroyed: the damage of each resource comes from the priors.
    damage = load_config(REFERENCE).strikes[0].damage
    services = facility["services"]
    indicators = standards_indicators(simulate(REFERENCE), with_staff())

    beds_before = resources["beds"] / population * 10_000
    assert beds_before == pytest.approx(7.5)
    assert value(indicators, BEDS, "before", facility=name) == pytest.approx(beds_before)
    assert value(indicators, BEDS, "worst", facility=name) == pytest.approx(
        resources["beds"] * (1 - damage["beds"]) / population * 10_000
    )
    assert value(indicators, WORKERS, "before", facility=name) == pytest.approx(
        resources["staff"] / population * 10_000
    )
    # The staff the strike takes are counted by fate (8 missing); none come back
    # on the strike day.
    assert value(indicators, WORKERS, "worst", facility=name) == pytest.approx(
        (resources["staff"] - strike["staff_abducted"]) / population * 10_000
    )
    # Capacity equals demand before the strike: consultations a person a year are
    # the outpatient and emergency utilisation rates.
    yearly = (
        services["outpatient"]["utilisation_per_person_year"]
        + services["emergency"]["utilisation_per_person_year"]
    )
    assert value(indicators, CONSULTATIONS, "before", facility=name) == pytest.approx(
        yearly, rel=1e-6
    )
    assert np.all(indicators["standard_value"].sel(facility=name).notnull())


@pytest.mark.slow
def test_printed_standards_columns_line_up_with_ranges_from_draws():
    """With draws a cell reads "median (p5–p95)"; the columns widen so cells never run together."""
    from facility_impact import summarize
    from facility_impact.present.tables import format_summary

    config = load_config(
        Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan_uncertain.toml", draws=40
    )
    lines = format_summary(summarize(simulate(config))).splitlines()
    start = next(i for i, line in enumerate(lines) if "against minimum standards" in line)
    count = len(load_standards())
    header, rows = lines[start], lines[start + 1 : start + 1 + count]
    ends = [header.index(head) + len(head) for head in ("before", "worst", "at horizon")]
    assert any("–" in row for row in rows)  # ranges are shown
    for row in rows:
        cells = row[: ends[-1]]
        for end in ends:
            assert cells[end - 1] in "0123456789)", row  # each column ends where its head does
            assert end == len(cells) or cells[end] == " ", row
        # The standard in the last column (a star would mark an unverified threshold).
        assert row[ends[-1] :].lstrip().startswith(("> ", "≥ ")), row
        assert not row.rstrip().endswith("*"), row
    # Whose standards they are, under the table.
    assert lines[start + 1 + count].strip() == "standards: UNHCR Emergency Handbook"
