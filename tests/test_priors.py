"""The priors of attacks as recorded: the table, strikes that take from it, what
overrides it, the people's response parameters, and what the report says of them."""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import tomllib
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from helpers import minimal_config, service, strike

import facility_impact as fi
from facility_impact.config.assumptions import PRIOR, parameters
from facility_impact.config.default_values import ATTACK_TYPES, FACILITY_DAMAGE
from facility_impact.config.priors import (
    PRIORS_FILE,
    central,
    load_priors,
    parse_priors,
    scale_distribution,
)
from facility_impact.config.recorded import prior_values
from facility_impact.config.variation import Distribution, Uncertain
from facility_impact.errors import ConfigError
from facility_impact.model.parameters import build_parameters

REFERENCE = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"
RAW = tomllib.loads(files("facility_impact").joinpath(PRIORS_FILE).read_text("utf-8"))


def _entries(node: object, path: str = "") -> list[tuple[str, dict]]:
    """Every entry (a table with ``value``) of the raw priors table."""
    if not isinstance(node, dict):
        return []
    if "value" in node:
        return [(path, node)]
    return [found for key, value in node.items() for found in _entries(value, f"{path}.{key}")]


def _recorded(attack_type: str, level: str, **keys: object) -> dict:
    """A clinic with a building, beds and staff, struck once as recorded on day 2."""
    config = minimal_config(
        services={
            "outpatient": service(600.0, {"staff": 1.0, "building": 1.0}),
            "emergency": service(300.0, {"staff": 1.0, "beds": 0.5}),
        },
        strikes=[{"day": 2, "attack_type": attack_type, "facility_damage": level, **keys}],
    )
    config["facility"]["clinic"]["resources"]["beds"] = 10.0
    return config


# --------------------------------------------------------------------------- the table


def test_the_table_loads_and_every_entry_has_a_source_or_an_assumption():
    priors = load_priors()
    assert set(priors.types) == set(ATTACK_TYPES)
    assert set(priors.states) == set(FACILITY_DAMAGE)
    entries = _entries(RAW)
    assert len(entries) > 40
    for path, entry in entries:
        source = entry.get("source", "")
        assert isinstance(source, str), path
        # ASSUMPTION with its reason, or what it rests on: a study (its year, or its
        # key in the bibliography after an @), the record itself, the seed report,
        # Hazus or the project's literature files.
        cited = re.search(r"\b(19|20)\d\d\b|@\w|record|seed|Hazus|observed_effects", source)
        assert source.startswith("ASSUMPTION") or cited, f"{path}: {source}"
        if source.startswith("ASSUMPTION"):
            assert len(source) > len("ASSUMPTION: ") + 20, f"{path}: give the reasoning"
        assert isinstance(entry.get("calibrated", False), bool), path
    # The choices that are not numbers carry their reasons too.
    assert RAW["service_class"]["default_source"].startswith("ASSUMPTION")
    assert RAW["response"]["fade"]["curve_source"].startswith("ASSUMPTION")
    for name in ATTACK_TYPES:
        assert len(priors.types[name].description) > 20, name


def test_the_calibrated_entries_are_the_response_hyperparameters():
    calibrated = sorted(path for path, entry in _entries(RAW) if entry.get("calibrated"))
    assert calibrated == [
        ".response.fade.time_days",
        ".response.nearby_share",
        ".response.share.emergency",
        ".response.share.inpatient",
        ".response.share.maternity",
        ".response.share.routine",
    ]


def test_the_shipped_response_is_calibrated_from_burbach_et_al_s_relative_risks():
    priors = load_priors()
    # The shipped table is the calibration's (docs/validation.md): each fitted entry
    # says so and keeps its prior, one minus the relative risk the day after (births:
    # the second day), citing the study by its key.
    assert priors.status == "calibrated"
    for share, mean in (("routine", 0.51), ("emergency", 0.38), ("maternity", 0.23)):
        source = priors.shares[share].source
        assert source.startswith("Fitted by facility-impact calibrate"), share
        assert f"mean {mean:g}" in source.split(" | before the fit: ")[1], share
        assert "@burbach2024" in source, share
    # Emergencies are avoided least, routine care most.
    assert priors.shares["emergency"].central() < priors.shares["routine"].central()
    assert priors.fade.family == "linear"


def test_a_table_without_a_source_or_with_a_wrong_key_is_refused():
    raw = copy.deepcopy(RAW)
    del raw["damage_state"]["damaged"]["building"]["source"]
    with pytest.raises(ConfigError, match=r"damage_state\.damaged\.building\.source"):
        parse_priors(raw, "test.toml")
    raw = copy.deepcopy(RAW)
    raw["attack_type"]["assault"]["none"] = {"closure": {"value": 1.0, "source": "x"}}
    with pytest.raises(ConfigError, match=r"attack_type\.assault\.none\.closure: unknown"):
        parse_priors(raw, "test.toml")
    raw = copy.deepcopy(RAW)
    raw["response"]["share"]["routine"]["value"] = 1.5
    with pytest.raises(ConfigError, match="must be a number between 0 and 1"):
        parse_priors(raw, "test.toml")
    raw = copy.deepcopy(RAW)
    del raw["attack_type"]["sexual_assault"]
    with pytest.raises(ConfigError, match=r"attack_type\.sexual_assault: missing"):
        parse_priors(raw, "test.toml")


@pytest.mark.parametrize(
    "distribution",
    [
        Distribution("triangular", (("low", 0.1), ("mode", 0.3), ("high", 0.5)), (0.1, 0.5)),
        Distribution("pert", (("low", 1.0), ("mode", 2.0), ("high", 6.0)), (1.0, 6.0)),
        Distribution("uniform", (("low", 2.0), ("high", 4.0)), (2.0, 4.0)),
        Distribution("normal", (("mean", 0.5), ("sd", 0.1)), (0.0, 1.0)),
        Distribution("lognormal", (("median", 30.0), ("dispersion", 0.7)), (0.0, math.inf)),
        Distribution("beta", (("alpha", 2.0), ("beta", 5.0)), (0.0, 1.0)),
    ],
    ids=lambda d: d.family,
)
def test_a_scaled_prior_is_the_prior_times_the_factor_quantile_by_quantile(distribution):
    quantiles = np.linspace(0.01, 0.99, 17)
    scaled = scale_distribution(distribution, 0.6)
    assert scaled.ppf(quantiles) == pytest.approx(0.6 * distribution.ppf(quantiles))
    assert central(scaled) == pytest.approx(0.6 * central(distribution))


# --------------------------------------------------------------------------- strikes


@pytest.mark.parametrize("level", FACILITY_DAMAGE)
@pytest.mark.parametrize("attack_type", ATTACK_TYPES)
def test_each_attack_type_and_damage_level_builds_its_parameters(attack_type, level):
    config = fi.load_config(_recorded(attack_type, level))
    (recorded,) = config.strikes
    priors = load_priors()
    for resource, kind in (("building", "building"), ("beds", "equipment")):
        expected = priors.damage(attack_type, level, kind).central()
        assert recorded.damage[resource] == pytest.approx(expected)
    assert "staff" not in recorded.damage  # staff are lost by fate, not damaged
    assert recorded.closure_days == priors.damage(attack_type, level, "closure_days").central()
    factor = priors.types[attack_type].response_scale.central()
    assert recorded.avoidance["outpatient"] == pytest.approx(
        factor * priors.shares["routine"].central()
    )
    assert recorded.avoidance["emergency"] == pytest.approx(
        factor * priors.shares["emergency"].central()
    )
    params = build_parameters(config)
    share = params["response_share"].sel(strike=0, facility="clinic")
    assert share.sel(service="outpatient") == pytest.approx(recorded.avoidance["outpatient"])
    assert int(params["response_curve"].sel(strike=0)) == 2  # linear
    recovery = config.recovery_for("building", "clinic")
    assert recovery.curve.family == "normal"
    assert recovery.curve.mean_days == priors.restoration[level].times["mean_days"].central()


@pytest.mark.slow
@pytest.mark.parametrize("attack_type", ATTACK_TYPES)
def test_each_attack_type_runs(attack_type):
    for level in FACILITY_DAMAGE:
        results = fi.simulate(_recorded(attack_type, level))
        assert np.isfinite(results["served"].values).all()


def test_a_run_with_draws_draws_the_priors_and_a_single_run_takes_their_centres():
    single = fi.load_config(_recorded("setting_fire", "damaged"))
    assert single.draws == 0
    one_draw = fi.load_config(_recorded("setting_fire", "damaged"), draws=1)
    assert one_draw.draws == 0  # nothing is drawn: each prior at its central value
    assert one_draw.strikes == single.strikes
    ensemble = fi.load_config(_recorded("setting_fire", "damaged"), draws=20)
    assert ensemble.draws == 20
    (recorded,) = ensemble.strikes
    assert isinstance(recorded.damage["building"], Uncertain)
    # One strike's damage shares one stream; the response is one stream for every strike.
    assert recorded.damage["building"].stream == recorded.damage["beds"].stream
    assert recorded.avoidance["outpatient"].stream == "prior.response.share.routine"
    params = build_parameters(ensemble)
    share = params["response_share"].sel(strike=0, facility="clinic", service="outpatient")
    assert share.sizes["draw"] == 20
    # The fire's factor times the routine share's range (its mean ± 4 sd, inside [0, 1]).
    routine = dict(load_priors().shares["routine"].value.parameters)
    low = 0.6 * max(0.0, routine["mean"] - 4 * routine["sd"])
    high = 0.6 * min(1.0, routine["mean"] + 4 * routine["sd"])
    assert float(share.min()) > low and float(share.max()) < high
    assert float(share.std()) > 0
    # A configuration with its own distribution draws the priors too.
    raw = _recorded("setting_fire", "damaged")
    raw["facility"]["clinic"]["population"] = {"dist": "uniform", "low": 9000, "high": 11000}
    assert isinstance(fi.load_config(raw).strikes[0].closure_days, Uncertain)


def test_explicit_values_override_the_priors_entry_by_entry():
    config = fi.load_config(
        _recorded(
            "violence_with_heavy_weapons",
            "destroyed",
            damage={"building": 0.4},
            closure_days=7,
            avoidance={"emergency": 0.05},
            avoidance_nearby_share=0.5,
            avoidance_radius_km=3,
            avoidance_fade={"time_days": 10},
        )
    )
    (recorded,) = config.strikes
    assert recorded.damage == {"building": 0.4, "beds": 1.0}  # beds from the prior
    assert recorded.closure_days == 7
    routine = load_priors().shares["routine"].central()
    assert recorded.avoidance == {"emergency": 0.05, "outpatient": pytest.approx(routine)}
    assert (recorded.avoidance_nearby_share, recorded.avoidance_radius_km) == (0.5, 3)
    # The prior's family (linear), with the time given.
    assert (recorded.avoidance_fade.family, recorded.avoidance_fade.time_days) == ("linear", 10)
    keys = {note.key for note in recorded.priors}
    assert "strike.0.closure_days" not in keys and "strike.0.damage.beds" in keys
    assert "strike.0.avoidance.emergency" not in keys


def test_a_configured_recovery_table_wins_over_the_priors_restoration():
    raw = _recorded("violence_with_heavy_weapons", "destroyed")
    raw["recovery"] = {"building": {"curve": "linear", "time_days": 30}}
    config = fi.load_config(raw)
    assert config.recovery_for("building", "clinic").curve.family == "linear"
    assert config.recovery_for("beds", "clinic").curve.mean_days == 180  # from the prior
    assert config.recovery_for("staff", "clinic").curve.family == "none"
    assert not any(".recovery.building." in note.key for note in config.recovery_priors)


def test_the_worst_recorded_damage_sets_the_restoration():
    raw = _recorded("violence_with_heavy_weapons", "damaged")
    raw["strike"].append({"day": 20, "attack_type": "assault", "facility_damage": "destroyed"})
    raw["strike"].append({"day": 30, "attack_type": "assault", "facility_damage": "none"})
    config = fi.load_config(raw)
    assert config.recovery_for("building", "clinic").curve.mean_days == 180
    assert {note.strike for note in config.recovery_priors} == {1}
    # A disabled strike records nothing.
    raw["strike"][1]["enabled"] = False
    assert fi.load_config(raw).recovery_for("building", "clinic").curve.mean_days == 45


def test_a_strike_as_written_has_no_response_unless_it_says_so():
    config = fi.load_config(minimal_config(strikes=[strike(2, {"building": 0.5})]))
    (written,) = config.strikes
    assert written.attack_type is None and written.avoidance == {} and written.priors == ()
    params = build_parameters(config)
    assert float(abs(params["response_share"]).sum()) == 0.0
    assert int(params["response_curve"].sel(strike=0)) == 0
    assert config.recovery_for("building", "clinic").curve.family == "none"
    said = minimal_config(
        strikes=[
            strike(
                2,
                {"building": 0.5},
                avoidance={"outpatient": 0.3},
                avoidance_fade={"curve": "exponential", "time_days": 20},
            )
        ]
    )
    params = build_parameters(fi.load_config(said))
    share = params["response_share"].sel(strike=0, facility="clinic", service="outpatient")
    assert float(share) == 0.3
    assert float(params["response_time_days"].sel(strike=0)) == 20


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"facility_damage": "destroyed"}, 'strike[0].facility_damage = "destroyed": needs'),
        ({"avoidance": {"outpatient": 0.3}}, "strike[0].avoidance_fade: missing"),
        ({"attack_type": "bombing"}, 'strike[0].attack_type = "bombing": must be one of'),
    ],
)
def test_a_strike_that_says_too_little_or_something_unknown_is_refused(keys, message):
    raw = minimal_config(strikes=[strike(2, {"building": 0.5}, **keys)])
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        fi.load_config(raw)
    with pytest.raises(ConfigError, match=r"strike\[0\]\.damage: missing; required without"):
        fi.load_config(minimal_config(strikes=[{"day": 2}]))


# --------------------------------------------------------------------------- response


def _network(*, coordinates: bool) -> dict:
    """Three clinics on a line, 4 km and 12 km from the struck one."""
    raw = minimal_config(
        strikes=[
            {
                "day": 1,
                "facility": "a",
                "damage": {},
                "avoidance": {"outpatient": 0.6},
                "avoidance_nearby_share": 0.25,
                "avoidance_radius_km": 10,
                "avoidance_fade": {"curve": "linear", "time_days": 30},
            }
        ]
    )
    clinic = raw["facility"].pop("clinic")
    # Nobody travels between the clinics: the response alone is tested.
    clinic["services"]["outpatient"].update(willingness_to_travel=0.0, distance_decay_km=2.4)
    for name in ("a", "b", "c"):
        raw["facility"][name] = copy.deepcopy(clinic)
    raw["network"] = {
        "facilities": ["a", "b", "c"],
        "distance_km": [[0, 4, 12], [4, 0, 8], [12, 8, 0]],
    }
    if coordinates:
        # On the equator, 0.01 degree of longitude is 1.11195 km: b 5.6 km, c 8.9 km away.
        for name, longitude in (("a", 0.0), ("b", 0.05), ("c", 0.08)):
            raw["facility"][name].update(latitude=0.0, longitude=longitude)
    return raw


def test_response_share_by_hand_on_a_network_of_three():
    params = build_parameters(fi.load_config(_network(coordinates=False)))
    share = params["response_share"].sel(strike=0, service="outpatient")
    # a: its own 0.6; b, 4 km: 0.25 x 0.6; c, 12 km: beyond the 10 km radius.
    assert share.sel(facility="a") == pytest.approx(0.6)
    assert share.sel(facility="b") == pytest.approx(0.15)
    assert share.sel(facility="c") == 0.0
    assert params["response_share"].dims == ("strike", "facility", "service")
    assert float(params["response_time_days"].sel(strike=0)) == 30


def test_response_distances_are_straight_lines_where_facilities_are_placed():
    params = build_parameters(fi.load_config(_network(coordinates=True)))
    share = params["response_share"].sel(strike=0, service="outpatient")
    # c is 12 km by road but 8.9 km in a straight line: inside the radius.
    assert share.sel(facility="c") == pytest.approx(0.15)


def test_a_disabled_strike_and_an_unknown_distance_give_no_response():
    raw = _network(coordinates=False)
    raw["strike"][0]["enabled"] = False
    params = build_parameters(fi.load_config(raw))
    assert float(params["response_share"].sum()) == 0.0
    raw = _network(coordinates=False)
    raw["strike"][0]["avoidance_radius_km"] = math.inf
    raw["network"]["distance_km"] = [[0, 4, math.inf], [4, 0, 8], [math.inf, 8, 0]]
    share = build_parameters(fi.load_config(raw))["response_share"].sel(strike=0)
    assert float(share.sel(facility="c", service="outpatient")) == 0.0
    assert float(share.sel(facility="b", service="outpatient")) == pytest.approx(0.15)


def test_a_recorded_strike_and_its_response_run_through_simulate():
    results = fi.simulate(_recorded("violence_with_heavy_weapons", "damaged"))
    assert np.isfinite(results["forgone"].values).all()


# --------------------------------------------------------------------------- the report


def test_the_reference_lists_what_it_took_from_the_priors_with_their_sources():
    config = fi.load_config(REFERENCE)
    notes = prior_values(config)[0]
    keys = [note.key for note in notes]
    assert "strike.0.closure_days" in keys
    assert "strike.0.damage.building" in keys
    assert "facility.maarat_al_numan.recovery.building.mean_days" in keys
    assert "strike.0.staff_abducted" not in keys  # the seed's fact, written in the file
    rows = {row.key: row for row in parameters(REFERENCE.read_text(encoding="utf-8"))}
    closure = rows["strike.0.closure_days"]
    assert closure.basis == PRIOR
    assert closure.source.startswith("prior: ASSUMPTION: a month")
    assert closure.value == "30 (central value of lognormal(median 30, dispersion 0.7))"
    restoration = rows["facility.maarat_al_numan.recovery.building.mean_days"]
    assert restoration.source.startswith("prior: Median 180 d: Hazus-MH")
    outpatient = rows["strike.0.avoidance.outpatient"]
    assert outpatient.source.startswith("prior: Fitted by facility-impact calibrate")
    assert "burbach2024" in outpatient.citations
    # The prior rows follow the strike's own keys.
    order = list(rows)
    assert order.index("strike.0.casualties") < order.index("strike.0.closure_days")


def test_the_assumptions_table_shows_the_distribution_a_run_with_draws_takes():
    text = REFERENCE.read_text(encoding="utf-8") + "\n# overridden: run.draws = 10\n"
    rows = {row.key: row for row in parameters(text)}
    closure = rows["strike.0.closure_days"]
    assert closure.value == (
        "lognormal(median 30, dispersion 0.7) [random stream strike[0].closure_days (prior)]"
    )


def test_a_configuration_given_as_a_mapping_lists_its_priors_too():
    raw = _recorded("assault", "damaged")
    raw["run"] = {"horizon_days": 60, "start_date": dt.date(2020, 1, 1)}
    raw["strike"][0].pop("day")
    raw["strike"][0]["date"] = dt.date(2020, 1, 5)
    config = fi.load_config(raw)
    rows = {row.key: row for row in parameters(config.text, "json")}
    assert rows["strike.0.closure_days"].basis == PRIOR
    assault = 0.3 * load_priors().shares["routine"].central()  # assault's factor × routine
    assert rows["strike.0.avoidance.outpatient"].value.startswith(f"{assault:g} (central value of")
