"""Capacity from resources and demand from people: the keys, the parameters they become,
and what ``facility-impact check`` says of them (hand-computed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import DAYS_PER_MONTH, minimal_config, service

from facility_impact.cli import main
from facility_impact.config import load_config
from facility_impact.config.baseline import baseline_lines, baseline_warnings, service_baselines
from facility_impact.errors import ConfigError
from facility_impact.model.parameters import build_parameters

REFERENCE = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"
HOSPITAL = "maarat_al_numan"
LARGER = (
    ("facility.maarat_al_numan.resources.beds", 80),
    ("facility.maarat_al_numan.resources.staff", 150),
    ("facility.maarat_al_numan.resources.theatres", 3),
    ("facility.maarat_al_numan.population", 120_000),
)
"""The reference with 80 beds, 150 staff, 3 theatres and 120,000 people (issue 13)."""


def _clinic(**keys) -> dict:
    """The minimal clinic (10,000 people; staff 10, building 1) with one service's keys."""
    table = {"needs": {"staff": 1.0}, **keys}
    return minimal_config(services={"outpatient": table})


def _at(params, name: str, **where):
    return float(params[name].sel(**where))


# ----------------------------------------------------------------------------- capacity


def test_capacity_is_the_scarcest_resource_times_its_throughput():
    config = minimal_config(
        resources={"staff": 10.0, "beds": 20.0, "building": 1.0},
        services={
            "inpatient": {"throughput_per_day": {"beds": 0.2, "staff": 0.5}, "needs": {}},
            "outpatient": service(600.0),
        },
    )
    params = build_parameters(load_config(config))
    where = {"facility": "clinic", "service": "inpatient"}
    # beds 20 x 0.2 = 4 a day, staff 10 x 0.5 = 5 a day: the beds limit.
    assert _at(params, "resource_capacity", resource="beds", **where) == pytest.approx(4.0)
    assert _at(params, "resource_capacity", resource="staff", **where) == pytest.approx(5.0)
    assert math.isinf(_at(params, "resource_capacity", resource="building", **where))
    assert _at(params, "baseline_capacity", **where) == pytest.approx(4.0)
    # Without utilisation, demand is capacity x demand_ratio (default 1).
    assert _at(params, "baseline_demand", **where) == pytest.approx(4.0)
    # A service that gives only a volume: capacity = volume / 30.4375, no resource limit.
    outpatient = {"facility": "clinic", "service": "outpatient"}
    assert _at(params, "baseline_capacity", **outpatient) == pytest.approx(600 / DAYS_PER_MONTH)
    assert np.isinf(params["resource_capacity"].sel(outpatient).values).all()


def test_a_given_volume_sets_the_capacity_and_the_resources_still_limit_it():
    params = build_parameters(
        load_config(_clinic(volume_per_month=900, throughput_per_day={"staff": 2.0}))
    )
    where = {"facility": "clinic", "service": "outpatient"}
    assert _at(params, "baseline_capacity", **where) == pytest.approx(900 / DAYS_PER_MONTH)
    assert _at(params, "resource_capacity", resource="staff", **where) == pytest.approx(20.0)


def test_demand_is_population_times_utilisation():
    params = build_parameters(
        load_config(_clinic(throughput_per_day={"staff": 3.0}, utilisation_per_person_year=0.73))
    )
    where = {"facility": "clinic", "service": "outpatient"}
    # 10,000 people x 0.73 a year / 365.25 = 19.987 a day; capacity 10 x 3 = 30 a day.
    assert _at(params, "baseline_demand", **where) == pytest.approx(10_000 * 0.73 / 365.25)
    assert _at(params, "baseline_capacity", **where) == pytest.approx(30.0)


def test_throughput_and_utilisation_may_be_swept_and_uncertain():
    config = _clinic(
        throughput_per_day={"staff": [1.0, 2.0]},
        utilisation_per_person_year={"dist": "uniform", "low": 0.2, "high": 0.4},
    )
    config["run"]["draws"] = 8
    params = build_parameters(load_config(config))
    capacity = params["baseline_capacity"].sel(facility="clinic", service="outpatient")
    assert capacity.dims == ("staff",)
    np.testing.assert_allclose(capacity.values, [10.0, 20.0])
    demand = params["baseline_demand"].sel(facility="clinic", service="outpatient")
    assert demand.sizes["draw"] == 8
    assert float(demand.min()) >= 10_000 * 0.2 / 365.25
    assert float(demand.max()) <= 10_000 * 0.4 / 365.25


def test_the_reference_comes_to_the_seed_volumes_from_resources_and_people():
    config = load_config(REFERENCE)
    params = build_parameters(config)
    monthly = {
        name: params[name].sel(facility=HOSPITAL) * DAYS_PER_MONTH
        for name in ("baseline_capacity", "baseline_demand")
    }
    seed = {"outpatient": 1500, "emergency": 1100, "inpatient": 182.625, "surgery": 140}
    for service_name, volume in seed.items():
        demand = float(monthly["baseline_demand"].sel(service=service_name))
        capacity = float(monthly["baseline_capacity"].sel(service=service_name))
        assert demand == pytest.approx(volume, rel=1e-12)
        assert capacity == pytest.approx(volume, rel=1e-8)
        assert not config.facilities[HOSPITAL].services[service_name].volume_given


def test_a_larger_hospital_for_more_people_has_more_capacity_and_demand():
    """80 beds, 150 staff, 3 theatres and 120,000 people against 30, 54, 2 and 40,000."""
    reference = build_parameters(load_config(REFERENCE)).sel(facility=HOSPITAL)
    larger = build_parameters(load_config(REFERENCE, settings=LARGER)).sel(facility=HOSPITAL)
    for name in ("baseline_capacity", "baseline_demand"):
        assert (larger[name] > reference[name]).all(), name
    ratio = larger["baseline_capacity"] / reference["baseline_capacity"]
    # Staff-limited services scale with staff, inpatient with beds, surgery with theatres.
    expected = {"outpatient": 150 / 54, "emergency": 150 / 54, "inpatient": 80 / 30, "surgery": 1.5}
    for service_name, factor in expected.items():
        assert float(ratio.sel(service=service_name)) == pytest.approx(factor, rel=1e-12)
    demand_ratio = larger["baseline_demand"] / reference["baseline_demand"]
    np.testing.assert_allclose(demand_ratio.values, 3.0, rtol=1e-12)


# ----------------------------------------------------------------------------- check


def test_check_says_where_capacity_and_demand_come_from():
    lines = baseline_lines(load_config(REFERENCE))
    assert lines[0] == "before any strike (patients a month):"
    assert lines[1] == (
        "  maarat_al_numan outpatient: capacity 1,500 (staff 54 × 0.9126 a day × 30.4375 d); "
        "demand 1,500 (40,000 people × 0.45 a year / 12)"
    )
    assert "inpatient: capacity 183 (beds 30 × 0.2 a day × 30.4375 d)" in lines[3]
    assert baseline_warnings(load_config(REFERENCE)) == []


def test_check_of_the_larger_hospital_says_why_it_does_more(capsys):
    settings = [f"--set={key}={value}" for key, value in LARGER]
    assert main(["check", str(REFERENCE), *settings]) == 0
    out = capsys.readouterr().out
    assert (
        "maarat_al_numan outpatient: capacity 4,167 (staff 150 × 0.9126 a day × 30.4375 d); "
        "demand 4,500 (120,000 people × 0.45 a year / 12)"
    ) in out
    assert "inpatient: capacity 487 (beds 80 × 0.2 a day × 30.4375 d)" in out
    assert "surgery: capacity 210 (theatres 3 × 2.3 a day × 30.4375 d)" in out
    assert out.rstrip().endswith("configuration is valid")


def test_check_warns_of_a_shortage_before_the_strike_and_exits_0(capsys):
    """Three times the people for 2.8 times the staff, 2.7 times the beds and 1.5 times
    the theatres: every service is short before the strike."""
    settings = [f"--set={key}={value}" for key, value in LARGER]
    main(["check", str(REFERENCE), *settings])
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"facility-impact: warning: facility.maarat_al_numan.services.{name}: baseline demand "
        f"{demand} a month exceeds its capacity {capacity} a month before any strike "
        f"(a shortage of {short} a month)"
        for name, demand, capacity, short in (
            ("outpatient", "4,500", "4,167", "333"),
            ("emergency", "3,300", "3,056", "244"),
            ("inpatient", "548", "487", "61"),
            ("surgery", "420", "210", "210"),
        )
    ]


def test_check_warns_when_a_given_volume_is_far_from_what_the_resources_allow(capsys):
    config = load_config(_clinic(volume_per_month=1000, throughput_per_day={"staff": 2.0}))
    # staff 10 x 2 a day x 30.4375 = 608.75 a month; 1,000 is 1.6 times that.
    (warning,) = baseline_warnings(config)
    assert warning == (
        "facility.clinic.services.outpatient.volume_per_month = 1000: 1.6 times what its "
        "resources allow (609 a month: staff 10 × 2 a day); check volume_per_month or "
        "throughput_per_day"
    )
    within = load_config(_clinic(volume_per_month=900, throughput_per_day={"staff": 2.0}))
    assert baseline_warnings(within) == []  # 1.48 times: within the factor 1.5
    below = load_config(_clinic(volume_per_month=400, throughput_per_day={"staff": 2.0}))
    assert "0.66 times what its resources allow" in baseline_warnings(below)[0]


def test_check_warns_per_scenario():
    config = _clinic(throughput_per_day={"staff": 2.0}, utilisation_per_person_year=0.5)
    config["scenario"] = {
        "crowded": {"set": {"facility.clinic.services.outpatient.utilisation_per_person_year": 1}}
    }
    (warning,) = baseline_warnings(load_config(config))
    assert warning.startswith("scenario.crowded: facility.clinic.services.outpatient: baseline")


@pytest.mark.parametrize("name", ["maarat_al_numan", "idlib_region", "maarat_al_numan_options"])
def test_check_computes_what_the_parameter_builder_does(name):
    """The report's nominal numbers and the parameters agree, service by service."""
    config = load_config(REFERENCE.parent / f"{name}.toml")
    params = build_parameters(config)
    if "draw" in params.dims:
        params = params.isel(draw=0)
    if "scenario" in params.dims:
        params = params.sel(scenario="base")
    for one in service_baselines(config):
        where = {"facility": one.facility, "service": one.service}
        capacity = float(params["baseline_capacity"].sel(where)) * DAYS_PER_MONTH
        demand = float(params["baseline_demand"].sel(where)) * DAYS_PER_MONTH
        assert one.capacity == pytest.approx(capacity, rel=1e-12), where
        assert one.demand == pytest.approx(demand, rel=1e-12), where


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {},
            "facility.clinic.services.outpatient.volume_per_month: missing; required unless "
            "throughput_per_day is given (patients a day per unit of a resource, as "
            "{ staff = 0.9 })",
        ),
        (
            {"throughput_per_day": {}},
            "facility.clinic.services.outpatient.throughput_per_day = {}: must name at least "
            "one resource of the facility, as { staff = 0.9 }",
        ),
        (
            {"throughput_per_day": {"beds": 0.2}},
            'facility.clinic.services.outpatient.throughput_per_day.beds: unknown resource "beds"; '
            "known: staff, building",
        ),
        (
            {"throughput_per_day": {"staff": -1}},
            "facility.clinic.services.outpatient.throughput_per_day.staff = -1: must be >= 0 "
            "(not negative)",
        ),
        (
            {"volume_per_month": 600, "utilisation_per_person_year": -0.5},
            "facility.clinic.services.outpatient.utilisation_per_person_year = -0.5: must be >= 0 "
            "(not negative)",
        ),
        (
            {"volume_per_month": 600, "utilisation_per_person_year": 0.5, "demand_ratio": 1.0},
            "facility.clinic.services.outpatient: give utilisation_per_person_year or "
            "demand_ratio, not both",
        ),
        (
            {"volume_per_month": 600, "reach_km": 0},
            "facility.clinic.services.outpatient.reach_km = 0: must be > 0 (inf for no limit)",
        ),
    ],
    ids=[
        "neither_volume_nor_throughput",
        "empty_throughput",
        "unknown_resource",
        "negative_throughput",
        "negative_utilisation",
        "utilisation_and_ratio",
        "zero_reach",
    ],
)
def test_bad_capacity_or_demand_is_one_line_naming_key_value_and_what_is_allowed(keys, message):
    with pytest.raises(ConfigError) as caught:
        load_config(_clinic(**keys))
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


# ----------------------------------------------------------------------------- travel


def test_distance_decay_defaults_are_the_cited_ones_and_reach_is_unlimited():
    config = minimal_config(
        services={
            "outpatient": service(600.0),
            "surgery": service(100.0),
            "maternity": service(50.0, reach_km=30),
        }
    )
    params = build_parameters(load_config(config))
    decay = params["distance_decay_km"].sel(facility="clinic")
    # Feikin et al. 2009 for outpatient care, Moïsi et al. 2011 for every other service.
    assert decay.sel(service="outpatient") == 2.4
    assert decay.sel(service="surgery") == 45.7
    assert decay.sel(service="maternity") == 45.7
    reach = params["reach_km"].sel(facility="clinic")
    assert math.isinf(reach.sel(service="outpatient"))
    assert reach.sel(service="maternity") == 30


def test_a_configuration_in_minutes_has_no_default_decay():
    facilities = {
        name: {
            "population": 1000,
            "resources": {"staff": 5},
            "services": {"outpatient": {"volume_per_month": 100, "needs": {}, **keys}},
        }
        for name, keys in (
            ("a", {"willingness_to_travel": 0.5}),
            ("b", {"willingness_to_travel": 0.5, "distance_decay_minutes": 30}),
        )
    }
    config = {
        "facility": facilities,
        "network": {"facilities": ["a", "b"], "travel_minutes": [[0, 20], [20, 0]]},
    }
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value) == (
        "facility.a.services.outpatient.distance_decay_minutes: missing; required because "
        'facility "b" also offers outpatient'
    )
    config["facility"]["a"]["services"]["outpatient"]["distance_decay_minutes"] = 25
    config["facility"]["a"]["services"]["outpatient"]["reach_km"] = 10
    with pytest.raises(ConfigError, match=r"^facility\.a\.services\.outpatient\.reach_km: "):
        load_config(config)
