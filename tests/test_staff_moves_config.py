"""Staff by fate, their return and recruitment, relocated sites, and displacement both ways:
the keys, their checks and the parameters they become (hand-computed)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from helpers import facility, minimal_config, network_config, service, strike

from facility_impact.config import load_config
from facility_impact.config.default_values import STAFF_FATES
from facility_impact.curves import CURVE_CODES
from facility_impact.errors import ConfigError
from facility_impact.model.parameters import build_parameters

EXPONENTIAL, NORMAL, NONE = (CURVE_CODES[name] for name in ("exponential", "normal", "none"))


def _travelling(**keys) -> dict:
    """A clinic of a network: as the minimal one, its patients willing to travel."""
    return facility({"outpatient": service(willingness_to_travel=0.5)}, **keys)


UNIFORM_5_12 = {"dist": "uniform", "low": 5, "high": 12}


def _error(config: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    message = str(caught.value)
    assert "\n" not in message
    return message


# ----------------------------------------------------------------------------- staff


def test_staff_share_is_each_fate_over_the_target_staff():
    config = minimal_config(
        strikes=[
            strike(0, staff_killed=1, staff_injured=2, staff_abducted=3, staff_fled=4),
            strike(5, staff_fled=2.5),
        ]
    )
    params = build_parameters(load_config(config))
    share = params["strike_staff_share"]
    assert share.dims == ("strike", "fate")
    assert list(share["fate"].values) == ["killed", "injured", "abducted", "fled"]
    # 10 staff: 1, 2, 3, 4 of them; then 2.5 fled.
    np.testing.assert_allclose(share.values, [[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.0, 0.25]])
    np.testing.assert_array_equal(params["staff_resource"].values, [1.0, 0.0])  # staff, building


def test_staff_share_takes_the_struck_facility_of_a_network():
    config = network_config(
        {"a": _travelling(), "b": _travelling(resources={"staff": 40.0, "building": 1.0})},
        [[0, 10], [10, 0]],
        strikes=[strike(0, facility="b", staff_killed=4), strike(0, facility="a")],
    )
    params = build_parameters(load_config(config))
    np.testing.assert_allclose(params["strike_staff_share"].values, [[0.1, 0, 0, 0], [0, 0, 0, 0]])


def test_staff_counts_may_be_distributions_within_the_staff():
    config = minimal_config(
        strikes=[strike(0, staff_fled={"dist": "uniform", "low": 2, "high": 6})]
    )
    config["run"]["draws"] = 10
    share = build_parameters(load_config(config))["strike_staff_share"].sel(fate="fled")
    assert share.sizes["draw"] == 10
    assert 0.2 <= float(share.min()) and float(share.max()) <= 0.6


def test_staff_return_and_recruitment_defaults():
    params = build_parameters(load_config(minimal_config()))
    by_fate = {name: params[f"staff_return_{name}"].values for name in ("share", "curve")}
    np.testing.assert_allclose(by_fate["share"], [0.0, 0.9, 0.3, 0.5])
    np.testing.assert_array_equal(by_fate["curve"], [NONE, NORMAL, EXPONENTIAL, EXPONENTIAL])
    np.testing.assert_allclose(params["staff_return_mean_days"].values, [0, 30, 0, 0])
    np.testing.assert_allclose(params["staff_return_sd_days"].values, [0, 10, 0, 0])
    np.testing.assert_allclose(params["staff_return_time_days"].values, [0, 0, 90, 120])
    assert float(params["recruitment_share"]) == 0.8
    assert float(params["recruitment_curve"]) == EXPONENTIAL
    assert float(params["recruitment_time_days"]) == 90


def test_a_staff_return_table_without_curve_keeps_the_default_curve():
    config = minimal_config()
    config["staff_return"] = {
        "abducted": {"return_share": 0.1},
        "fled": {"time_days": 200},
        "injured": {"curve": "step", "time_days": 14, "return_share": 1.0},
    }
    config["recruitment"] = {"share": 0.5, "curve": "linear", "time_days": 30}
    params = build_parameters(load_config(config))
    np.testing.assert_allclose(params["staff_return_share"].values, [0.0, 1.0, 0.1, 0.5])
    np.testing.assert_array_equal(
        params["staff_return_curve"].values,
        [NONE, CURVE_CODES["step"], EXPONENTIAL, EXPONENTIAL],
    )
    np.testing.assert_allclose(params["staff_return_time_days"].values, [0, 14, 90, 200])
    np.testing.assert_allclose(params["staff_return_mean_days"].values, [0, 0, 0, 0])
    assert float(params["recruitment_share"]) == 0.5
    assert float(params["recruitment_curve"]) == CURVE_CODES["linear"]
    assert float(params["recruitment_time_days"]) == 30


def test_recruitment_may_be_uncertain():
    config = minimal_config()
    config["recruitment"] = {"share": {"dist": "uniform", "low": 0.5, "high": 1.0}}
    config["run"]["draws"] = 6
    share = build_parameters(load_config(config))["recruitment_share"]
    assert share.dims == ("draw",)
    assert 0.5 <= float(share.min()) and float(share.max()) <= 1.0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["strike"][0].update(staff_killed=6, staff_fled=5),
            "strike[0].staff_fled = 5: the staff fates add up to 11; must be at most the 10 "
            "staff of clinic",
        ),
        (
            lambda c: c["strike"][0].update(staff_injured=UNIFORM_5_12),
            'strike[0].staff_injured = {dist = "uniform", low = 5, high = 12}: the staff fates '
            "add up to 12; must be at most the 10 staff of clinic",
        ),
        (
            lambda c: c["strike"][0].update(staff_abducted=-1),
            "strike[0].staff_abducted = -1: must be >= 0 (not negative)",
        ),
        (
            lambda c: (
                c["facility"]["clinic"].update(resources={"nurses": 10.0, "building": 1.0}),
                c["facility"]["clinic"]["services"]["outpatient"].update(needs={}),
                c["strike"][0].update(staff_killed=1),
            ),
            "strike[0].staff_killed = 1: needs a staff count: facility clinic has no resource "
            "named staff",
        ),
        (
            lambda c: c.update(staff_return={"missing": {"return_share": 0.2}}),
            'staff_return.missing: unknown fate "missing"; known: killed, injured, abducted, fled',
        ),
        (
            lambda c: c.update(staff_return={"fled": {"return_share": 1.5}}),
            "staff_return.fled.return_share = 1.5: must be a fraction between 0 and 1",
        ),
        (
            lambda c: c.update(staff_return={"injured": {"time_days": 20}}),
            'staff_return.injured.time_days: not used by curve "normal"; it takes mean_days, '
            "sd_days",
        ),
        (
            lambda c: c.update(staff_return={"injured": {"delay_days": 20}}),
            "staff_return.injured.delay_days: unknown key; allowed here: curve, time_days, "
            "mean_days, sd_days, return_share",
        ),
        (
            lambda c: c.update(recruitment={"curve": "exponential"}),
            'recruitment.time_days: missing; required by curve "exponential"',
        ),
    ],
    ids=[
        "fates_above_staff",
        "uncertain_fates_above_staff",
        "negative_fate",
        "no_staff_resource",
        "unknown_fate",
        "return_share_above_one",
        "time_key_of_another_curve",
        "no_delay_from_the_strike_day",
        "curve_without_its_time",
    ],
)
def test_bad_staff_keys_are_one_line_naming_key_value_and_what_is_allowed(edit, message):
    config = minimal_config(strikes=[strike(0)])
    edit(config)
    assert _error(config) == message


# ----------------------------------------------------------------------------- relocation


def _relocating(**relocation) -> dict:
    config = minimal_config(resources={"staff": 10.0, "beds": 20.0, "theatres": 0.0})
    config["facility"]["clinic"]["services"]["outpatient"]["needs"] = {"staff": 1.0}
    config["facility"]["clinic"]["relocation"] = relocation
    return config


def test_relocation_shares_are_the_site_over_the_facility():
    config = _relocating(opens_day=14, distance_km=2, resources={"beds": 5, "theatres": 1})
    params = build_parameters(load_config(config)).sel(facility="clinic")
    assert float(params["relocation_opens_day"]) == 14
    assert float(params["relocation_distance_km"]) == 2
    share = params["relocation_share"]
    # beds 5 of 20; theatres 1 where the facility has none: all it needs; staff not listed.
    assert share.sel(resource="beds") == 0.25
    assert share.sel(resource="theatres") == 1.0
    assert share.sel(resource="staff") == 0.0
    carried = params["relocation_carried"]
    assert carried.sel(resource="staff") == 1.0
    assert carried.sel(resource="beds") == carried.sel(resource="theatres") == 0.0


def test_a_site_without_a_resource_the_facility_lacks_has_none_of_it():
    config = _relocating(opens_day=0, distance_km=0, resources={"theatres": 0})
    share = build_parameters(load_config(config))["relocation_share"].sel(facility="clinic")
    assert share.sel(resource="theatres") == 0.0


def test_no_relocation_never_opens_and_carries_everything():
    params = build_parameters(load_config(minimal_config())).sel(facility="clinic")
    assert math.isinf(float(params["relocation_opens_day"]))
    assert (params["relocation_carried"] == 1.0).all()
    assert (params["relocation_share"] == 0.0).all()


def test_relocation_may_come_from_a_scenario():
    config = minimal_config()
    config["scenario"] = {
        "moved": {"set": {"facility.clinic.relocation": {"opens_day": 7, "distance_km": 3}}}
    }
    params = build_parameters(load_config(config))
    opens = params["relocation_opens_day"].sel(facility="clinic")
    assert math.isinf(float(opens.sel(scenario="base")))
    assert float(opens.sel(scenario="moved")) == 7


@pytest.mark.parametrize(
    ("relocation", "message"),
    [
        (
            {"opens_day": 14, "distance_km": 2, "resources": {"tents": 3}},
            'facility.clinic.relocation.resources.tents: unknown resource of clinic "tents"; '
            "known: staff, beds, theatres",
        ),
        (
            {"opens_day": 14},
            "facility.clinic.relocation.distance_km: missing; give the distance from the "
            "catchment to the site (or travel_minutes)",
        ),
        ({"distance_km": 2}, "facility.clinic.relocation.opens_day: missing; required"),
        (
            {"opens_day": 14, "distance_km": -2},
            "facility.clinic.relocation.distance_km = -2: must be >= 0 (not negative)",
        ),
        (
            {"opens_day": 14, "distance_km": 2, "resources": {"beds": -1}},
            "facility.clinic.relocation.resources.beds = -1: must be >= 0 (not negative)",
        ),
        (
            {"opens_day": 14, "distance_km": 2, "travel_minutes": 5},
            "facility.clinic.relocation: give distance_km or travel_minutes, not both",
        ),
        (
            {"opens_day": 14, "distance_km": 2, "staff": 4},
            "facility.clinic.relocation.staff: unknown key; allowed here: opens_day, "
            "distance_km, travel_minutes, resources",
        ),
    ],
    ids=[
        "unknown_resource",
        "no_distance",
        "no_opening_day",
        "negative_distance",
        "negative_quantity",
        "km_and_minutes",
        "misplaced_resource",
    ],
)
def test_bad_relocation_is_one_line_naming_key_value_and_what_is_allowed(relocation, message):
    assert _error(_relocating(**relocation)) == message


# ----------------------------------------------------------------------------- displacement


def _region(displacement: dict) -> dict:
    """Three clinics 10 km apart; north's people leave as ``displacement`` says."""
    facilities = {name: _travelling() for name in ("north", "south", "east")}
    facilities["north"]["displacement"] = displacement
    return network_config(facilities, [[0, 10, 10], [10, 0, 10], [10, 10, 0]])


LEAVING = {"share": 0.4, "curve": "linear", "time_days": 10, "start_day": 5, "delay_days": 2}


def test_displaced_settle_where_destinations_say():
    params = build_parameters(load_config(_region({**LEAVING, "destinations": {"south": 0.6}})))
    destination = params["displacement_destination"]
    assert destination.dims == ("facility", "destination_facility")
    np.testing.assert_allclose(destination.values, [[0, 0.6, 0], [0, 0, 0], [0, 0, 0]])
    one = build_parameters(load_config(_region({**LEAVING, "destination": "east"})))
    np.testing.assert_allclose(
        one["displacement_destination"].sel(facility="north").values, [0, 0, 1]
    )


def test_return_starts_with_the_displacement_unless_told():
    back = {"curve": "exponential", "time_days": 60, "delay_days": 30}
    params = build_parameters(
        load_config(_region({**LEAVING, "return_share": 0.5, "return": back}))
    ).sel(facility="north")
    assert float(params["displacement_start_day"]) == 7  # start_day 5 + delay 2
    assert float(params["return_share"]) == 0.5
    assert float(params["return_curve"]) == EXPONENTIAL
    assert float(params["return_time_days"]) == 60
    assert float(params["return_start_day"]) == 7 + 30
    told = {**back, "start_day": 100}
    params = build_parameters(
        load_config(_region({**LEAVING, "return_share": 0.5, "return": told}))
    ).sel(facility="north")
    assert float(params["return_start_day"]) == 130


def test_no_return_and_no_destination_without_the_keys():
    params = build_parameters(load_config(_region(dict(LEAVING)))).sel(facility="north")
    assert float(params["return_share"]) == 0.0
    assert float(params["return_curve"]) == NONE
    assert (params["displacement_destination"] == 0).all()


def test_return_share_and_start_may_vary():
    back = {"curve": "normal", "mean_days": 90, "sd_days": 10, "start_day": [50, 80]}
    config = _region({**LEAVING, "return_share": [0.2, 0.6], "return": back})
    params = build_parameters(load_config(config)).sel(facility="north")
    assert params["return_share"].dims == ("displacement_return_share",)  # a registry name
    np.testing.assert_allclose(params["return_share"].values, [0.2, 0.6])
    np.testing.assert_allclose(params["return_start_day"].values, [50, 80])


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {"destination": "west"},
            'facility.north.displacement.destination = "west": unknown facility; known: '
            "south, east",
        ),
        (
            {"destination": "north"},
            'facility.north.displacement.destination = "north": must be another facility: '
            "the displaced leave this one",
        ),
        (
            {"destinations": {"south": 0.7, "east": 0.5}},
            "facility.north.displacement.destinations = {south = 0.7, east = 0.5}: the shares "
            "add up to 1.2; they must add up to at most 1",
        ),
        (
            {"destinations": {"west": 0.5}},
            'facility.north.displacement.destinations.west: unknown facility "west"; known: '
            "south, east",
        ),
        (
            {"destinations": {"north": 0.5}},
            "facility.north.displacement.destinations.north: must be another facility: the "
            "displaced leave this one",
        ),
        (
            {"destinations": {"south": 1.5}},
            "facility.north.displacement.destinations.south = 1.5: must be a fraction between "
            "0 and 1",
        ),
        (
            {"destination": "south", "destinations": {"east": 0.5}},
            "facility.north.displacement: give destination or destinations, not both",
        ),
        (
            {"return_share": 0.5},
            "facility.north.displacement.return: missing; required because return_share = 0.5: "
            "give the curve of the return",
        ),
        (
            {"return_share": 1.2, "return": {"curve": "step", "time_days": 5}},
            "facility.north.displacement.return_share = 1.2: must be a fraction between 0 and 1",
        ),
        (
            {"return_share": 0.5, "return": {"curve": "step"}},
            'facility.north.displacement.return.time_days: missing; required by curve "step"',
        ),
        (
            {"return_share": 0.5, "return": {"curve": "step", "time_days": 5, "share": 1}},
            "facility.north.displacement.return.share: unknown key; allowed here: curve, "
            "time_days, mean_days, sd_days, delay_days, start_day",
        ),
    ],
    ids=[
        "unknown_destination",
        "own_destination",
        "shares_above_one",
        "unknown_destination_in_shares",
        "own_destination_in_shares",
        "share_above_one",
        "destination_and_destinations",
        "return_without_curve",
        "return_share_above_one",
        "return_curve_without_time",
        "share_in_return_table",
    ],
)
def test_bad_displacement_is_one_line_naming_key_value_and_what_is_allowed(keys, message):
    assert _error(_region({**copy.deepcopy(LEAVING), **keys})) == message


def test_fates_are_the_registry_coordinate():
    params = build_parameters(load_config(minimal_config()))
    assert tuple(params["fate"].values) == STAFF_FATES
