"""The reference configuration: it reproduces the reported facts, and its headline
numbers do not drift without anyone noticing."""

from __future__ import annotations

import importlib.util
import json
import math
import tomllib
from pathlib import Path

import pytest

import facility_impact

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "maarat_al_numan.toml"
SEED = REPO / "seeds" / "maarat_al_numan_report.toml"
BASELINE = REPO / "tests" / "baseline" / "maarat_al_numan.json"
FACILITY = "maarat_al_numan"
DAYS_PER_MONTH = 30.4375  # 365.25 / 12 [d month-1]
RTOL = 1e-9


def _load_script():
    """tests/update_baseline.py as a module, whatever pytest's import mode."""
    spec = importlib.util.spec_from_file_location(
        "update_baseline", Path(__file__).with_name("update_baseline.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results():
    return facility_impact.simulate(CONFIG)


@pytest.fixture(scope="module")
def seed_facts():
    with SEED.open("rb") as stream:
        return tomllib.load(stream)["facility"][FACILITY]


# --------------------------------------------------------------------------- seed facts


@pytest.mark.parametrize(
    ("resource", "fact"), [("beds", "beds"), ("staff", "staff"), ("theatres", "operating_theatres")]
)
def test_resources_are_the_reported_counts(results, seed_facts, resource, fact):
    reported = seed_facts[fact]["value"]
    simulated = float(results["baseline_quantity"].sel(facility=FACILITY, resource=resource))
    assert simulated == reported


@pytest.mark.parametrize(
    ("service", "fact"),
    [
        ("outpatient", "outpatient_consultations_per_month"),
        ("emergency", "emergency_consultations_per_month"),
        ("surgery", "operations_per_month"),
    ],
)
def test_monthly_volumes_are_the_reported_ones(results, seed_facts, service, fact):
    """Capacity from resources and demand from people both come to the reported volume:
    demand exactly (40,000 x u / 12), capacity to the 9 digits its throughput is written
    with (rounded up, so that it is never below demand)."""
    reported = seed_facts[fact]["value"]
    where = {"facility": FACILITY, "service": service}
    capacity = float(results["baseline_capacity"].sel(where)) * DAYS_PER_MONTH
    demand = float(results["baseline_demand"].sel(where)) * DAYS_PER_MONTH
    assert demand == pytest.approx(reported, rel=1e-12)
    assert capacity == pytest.approx(reported, rel=1e-8)
    assert capacity >= demand


def test_population_at_t0_is_the_reported_catchment(results, seed_facts):
    reported = seed_facts["catchment_population"]["value"]
    population = results["population"].sel(facility=FACILITY).isel(time=0)
    assert float(population) == pytest.approx(reported, rel=1e-12)


# --------------------------------------------------------------------------- regression


def _mismatches(expected, actual, where: str = "") -> list[str]:
    """Differences between two nested dicts of numbers (None = NaN), compared with RTOL."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}{k}: missing now" for k in sorted(expected.keys() - actual.keys())]
        found += [f"{where}{k}: new, not in the baseline" for k in actual.keys() - expected]
        for key in sorted(expected.keys() & actual.keys()):
            found += _mismatches(expected[key], actual[key], f"{where}{key}.")
        return found
    label = where.rstrip(".")
    if expected is None or actual is None:
        same = expected is None and actual is None
    else:
        same = math.isclose(actual, expected, rel_tol=RTOL, abs_tol=0.0)
    return [] if same else [f"{label}: baseline {expected!r}, now {actual!r}"]


def test_mismatch_finder_reports_differences():
    """The comparison itself can fail: a drift, a NaN and a missing key are all caught."""
    golden = {"a": {"x": 1.0, "y": None, "z": 2.0}}
    assert _mismatches(golden, {"a": {"x": 1.0, "y": None, "z": 2.0}}) == []
    assert _mismatches(golden, {"a": {"x": 1.0 + 1e-6, "y": None, "z": 2.0}}) == [
        "a.x: baseline 1.0, now 1.000001"
    ]
    assert len(_mismatches(golden, {"a": {"x": 1.0, "y": 3.0}})) == 2


def test_headline_numbers_match_the_baseline(results):
    if not BASELINE.is_file():
        pytest.fail(f"{BASELINE.name} is missing; run `python tests/update_baseline.py`")
    golden = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert golden["configuration"] == CONFIG.relative_to(REPO).as_posix()
    assert "update_baseline.py" in golden["note"]
    now = _load_script().headline(facility_impact.summarize(results))
    expected = golden["indicators"]
    # The baseline must hold every headline indicator for every service.
    assert sorted(expected[FACILITY]) == ["emergency", "inpatient", "outpatient", "surgery"]
    assert len(expected[FACILITY]["surgery"]) == 9
    problems = _mismatches(expected, now)
    assert not problems, (
        f"headline numbers of {CONFIG.name} differ from {BASELINE.relative_to(REPO)} "
        f"(rtol {RTOL:g}):\n  "
        + "\n  ".join(problems)
        + "\nIf the change is intended, re-run `python tests/update_baseline.py` "
        "and commit the new baseline with the reason."
    )


# --------------------------------------------------------------------------- the region

REGION = REPO / "configs" / "idlib_region.toml"


def test_region_keeps_the_reference_hospital_as_it_is():
    """configs/idlib_region.toml holds the Ma'arat al-Numan hospital of the reference
    configuration unchanged: same facility, same strike, same recovery."""
    reference = facility_impact.load_config(CONFIG)
    region = facility_impact.load_config(REGION)
    assert region.facilities[FACILITY] == reference.facilities[FACILITY]
    (strike,) = reference.strikes
    in_region = [s for s in region.strikes if s.facility == FACILITY]
    assert len(in_region) == 1
    # The region offers services the hospital does not (maternity, paediatrics): its
    # response covers them too; on the hospital's own services it is the same.
    own = reference.facilities[FACILITY].services
    skip = ("label", "avoidance", "priors")
    assert {k: v for k, v in vars(in_region[0]).items() if k not in skip} == {
        k: v for k, v in vars(strike).items() if k not in skip
    }
    assert {s: a for s, a in in_region[0].avoidance.items() if s in own} == strike.avoidance
    for resource in reference.facilities[FACILITY].resources:
        assert region.recovery_for(resource, FACILITY) == reference.recovery_for(resource, FACILITY)


def test_region_azaz_strike_carries_the_reported_injured():
    with SEED.open("rb") as stream:
        azaz = tomllib.load(stream)["context"]["azaz_hospital"]
    region = facility_impact.load_config(REGION)
    (strike,) = [s for s in region.strikes if s.facility == "azaz"]
    assert strike.casualties == azaz["injured"]["value"]
    assert strike.casualty_service == "emergency"
    assert azaz["struck_in_same_wave"]["value"] is True
    # Base case: both strikes in the same week; the field hospital never opens.
    assert max(s.day for s in region.strikes) - min(s.day for s in region.strikes) < 7
    assert region.facilities["field_hospital"].opens_day >= region.horizon_days


def test_region_conserves_patients_across_the_network():
    results = facility_impact.simulate(REGION)
    received = results["received"].sum("facility") + results["received_by_alternative"].sum(
        "alternative"
    )
    elsewhere = results["served_elsewhere"].sum("facility")
    assert float(results["received"].sum()) > 0
    scale = float(results["demand"].max())
    assert float(abs(received - elsewhere).max()) <= 1e-12 * scale


def test_region_scenarios_switch_strikes_and_open_the_field_hospital():
    """The issue's three region cases: both strikes (base), only one, field hospital on day 14."""
    summary = facility_impact.summarize(facility_impact.simulate(REGION))
    forgone = summary["forgone_care"].sel(period=365.0).sum("service")
    assert summary["scenario"].values.tolist() == [
        "base",
        "only_maarat",
        "only_azaz",
        "field_hospital_day_14",
    ]
    # A facility that is not struck loses none of its own patients' care.
    assert float(forgone.sel(scenario="only_maarat", facility="azaz")) == 0
    assert float(forgone.sel(scenario="only_azaz", facility=FACILITY)) == 0
    assert float(forgone.sel(scenario="only_maarat", facility=FACILITY)) > 0
    # The field hospital receives patients only where it opens, and less care is lost.
    received = summary["received_total"].sel(period=365.0, facility="field_hospital").sum("service")
    assert float(received.sel(scenario="base")) == 0
    assert float(received.sel(scenario="field_hospital_day_14")) > 0
    region_forgone = forgone.sum("facility")
    assert float(region_forgone.sel(scenario="field_hospital_day_14")) < float(
        region_forgone.sel(scenario="base")
    )
