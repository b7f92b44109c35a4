"""Properties of the kernel's accounting on random small models (issue 13, "Done when").

On models of one to three facilities, one to three services, one or two
strikes and 60 to 120 days, with random values of every newer term
(``model_strategies``), in float64:

* the identity counterfactual_served + added_demand = served + served_elsewhere
  + forgone + displaced + waiting_change holds per facility, service and day;
* a strike with no damage, no staff taken, no closure, no casualties and
  nobody staying away changes no result;
* a destination with no spare capacity, or beyond reach, changes total forgone
  care by less than 0.1 %;
* adding capacity never raises total forgone care, and more damage never
  raises served care nor lowers forgone care.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from helpers import DAYS_PER_MONTH
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from model_strategies import built, models, number, parameters, run
from parameter_edits import apply_new_terms, set_cell

# Every test drawn by hypothesis runs the kernel 40 to 80 times (5 to 15 s): marked slow.
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

IDENTITY_TERMS = (
    "counterfactual_served",
    "added_demand",
    "served",
    "served_elsewhere",
    "forgone",
    "displaced",
    "waiting_change",
)


def patients(outputs: dict[str, np.ndarray]) -> float:
    """A scale of the model's flows [patient d-1]: the largest daily demand of either world."""
    return max(1.0, float(outputs["demand"].max()), float(outputs["counterfactual_demand"].max()))


# ------------------------------------------------------------------ the identity


@pytest.mark.slow
@SETTINGS
@given(models())
def test_identity_per_facility_service_and_day(model):
    """counterfactual_served + added_demand = served + served_elsewhere + forgone
    + displaced + waiting_change, to 1e-9 of the largest flow of that facility,
    service and day (the identity's terms and the demand, backlog, unmet and
    abandoned care they are made of: a term that is a difference of two large
    flows carries their rounding)."""
    outputs = run(parameters(model))
    left = outputs["counterfactual_served"] + outputs["added_demand"]
    right = sum(outputs[name] for name in IDENTITY_TERMS[2:])
    backlog = outputs["backlog"]
    yesterday = np.concatenate([np.zeros_like(backlog[:1]), backlog[:-1]])
    flows = [outputs[name] for name in (*IDENTITY_TERMS, "demand", "counterfactual_demand")]
    flows += [backlog, yesterday, outputs["unmet"], outputs["abandoned"]]
    largest = np.max(np.abs(np.stack(flows)), axis=0)
    assert np.all(np.abs(left - right) <= 1e-9 * largest), np.max(
        np.abs(left - right) - 1e-9 * largest
    )


@pytest.mark.slow
@SETTINGS
@given(models())
def test_identity_over_the_horizon(model):
    """The same identity summed over all days, to 1e-9 of the counterfactual demand."""
    outputs = run(parameters(model))
    left = (outputs["counterfactual_served"] + outputs["added_demand"]).sum(axis=0)
    right = sum(outputs[name].sum(axis=0) for name in IDENTITY_TERMS[2:])
    scale = outputs["counterfactual_demand"].sum(axis=0) + outputs["demand"].sum(axis=0)
    assert np.all(np.abs(left - right) <= 1e-9 * np.maximum(scale, 1.0))


# ------------------------------------------------------------------ a strike that does nothing


@st.composite
def idle_strikes(draw):
    """A model and one of its strikes, stripped of damage, staff fates, closure, casualties
    and the people's response."""
    config, terms = draw(models())
    k = draw(st.integers(0, len(config["strike"]) - 1))
    strike = config["strike"][k]
    strike["damage"] = {r: 0.0 for r in strike["damage"]}
    strike["closure_days"] = 0
    strike.pop("casualties", None)
    terms["shares"][k] = [0.0] * 4
    terms["response"][k] = None
    return (config, terms), k


@pytest.mark.slow
@SETTINGS
@given(idle_strikes())
def test_a_strike_that_does_nothing_changes_nothing(model_and_strike):
    """Every result with the idle strike equals the result without it (target 0)."""
    model, k = model_and_strike
    params = parameters(model)
    with_strike = run(params)
    without = params.copy(deep=True)
    set_cell(without, "strike_target", 0.0, strike=k)
    without_strike = run(without)
    scale = patients(with_strike)
    for name, values in with_strike.items():
        floor = 1e-12 * (1.0 if name in ("available", "is_open") else scale)
        if name == "population":
            floor = 1e-12 * float(np.max(values, initial=1.0))
        np.testing.assert_allclose(
            values, without_strike[name], rtol=1e-12, atol=floor, err_msg=name
        )


# ------------------------------------------------------------------ reach


@st.composite
def unreachable_destinations(draw):
    """A model, and an alternative that either has no spare capacity (within reach)
    or has plenty but lies beyond every facility's reach."""
    config, terms = draw(models())
    names = sorted(config["facility"])
    services = sorted({s for f in config["facility"].values() for s in f["services"]})
    # Finite reach everywhere, so that a destination can lie beyond it.
    terms["reach_km"] = [[draw(number(0.0, 40.0)) for _ in services] for _ in names]
    beyond = draw(st.booleans())
    if beyond:
        distance = {
            name: max(terms["reach_km"][i]) + draw(number(0.001, 100.0))
            for i, name in enumerate(names)
        }
        spare = {s: draw(number(1.0, 5000.0)) for s in services}
    else:
        distance = {name: draw(number(0.0, 40.0)) for name in names}
        spare = {s: 0.0 for s in services}
    extra = {
        "name": "unreachable",
        "distance_km": distance,
        "spare_capacity_per_month": spare,
        "opens_day": draw(st.integers(0, 10)),
    }
    return (config, terms), extra


def total_forgone(params) -> float:
    return float(run(params)["forgone"].sum())


@pytest.mark.slow
@SETTINGS
@given(unreachable_destinations())
def test_a_destination_nobody_can_use_changes_forgone_care_by_less_than_a_thousandth(case):
    (config, terms), extra = case
    without = total_forgone(apply_new_terms(built(config), terms))
    config = {**config, "alternative": [*config["alternative"], extra]}
    with_it = total_forgone(apply_new_terms(built(config), terms))
    floor = 1e-9 * patients(run(apply_new_terms(built(config), terms)))
    assert abs(with_it - without) <= 1e-3 * abs(without) + floor


# ------------------------------------------------------------------ monotonicity
#
# Three properties the issue asks for do not hold under the model's rules, and
# each has its counterexample below (a minimal one, worked by hand, run first as
# an explicit example): forgone care is measured against the world without the
# strikes, and that world changes too.
#
# * More baseline capacity at a struck facility raises forgone care: the care
#   the strike took is the capacity it took. One clinic with capacity 10 and
#   demand 20, closed one day: forgone 20 - 10 = 10; with capacity 20, 20 - 0 = 20.
# * More room at an alternative raises forgone care when people left a catchment
#   that lacked capacity before the strikes: those still there lack nothing, the
#   world without the strikes would have lacked room for its overflow, and its
#   unmet care, scaled by the share still there, is subtracted. Clinic capacity
#   10, demand 12, a quarter of the people gone (demand 9, all served), the
#   overflow of 2 travelling to an alternative 0 km away: forgone
#   -0.75 x 2 = -1.5 a day with no room there, -0.75 x 1 = -0.75 with room 1.
# * More damage from an earlier strike can raise later availability: a later
#   strike takes its share of what is standing, and each loss recovers on its
#   own clock. A building (needed with weight 1 for demand 3 against capacity
#   10) rebuilt linearly over 30 days, destroyed on day 25: after a first
#   strike on day 0 with damage 0.5 instead of 0, the second takes 0.917 instead
#   of 1 and the first's loss is back by day 30; served care over 60 days rises
#   from 165.0 to 168.7 and forgone care falls from 15.0 to 11.3.
#
# What does hold is tested beside each: capacity never raises the care lost in
# the world with the strikes (unmet + abandoned), and more damage on facilities
# struck once never raises served care nor lowers forgone care.


def with_more(params, name: str, index: tuple[int, int], extra: float):
    """A copy of ``params`` with ``extra`` added to one cell of ``params[name]``."""
    more = params.copy(deep=True)
    values = more[name].copy(deep=True)
    values[index] = values[index] + extra
    more[name] = values
    return more


def lost(outputs, name: str) -> float:
    """Total ``forgone`` care, or (``"unmet + abandoned"``) the care lost in the world
    with the strikes, over every facility, service and day."""
    if name == "forgone":
        return float(outputs["forgone"].sum())
    return float((outputs["unmet"] + outputs["abandoned"]).sum())


def assert_not_raised(params, more, name: str) -> None:
    before, after = run(params), run(more)
    slack = 1e-9 * max(abs(lost(before, name)), patients(before))
    assert lost(after, name) <= lost(before, name) + slack, (lost(before, name), lost(after, name))


NO_NEW_TERMS = {
    "returns": {},
    "recruitment": None,
    "return": {},
    "relocation": {},
}


def one_clinic(
    capacity: float, demand: float, *, strikes: list[dict[str, Any]], **keys: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model of one clinic (staff and building, outpatients only) for the counterexamples."""
    table = {
        "volume_per_month": capacity * DAYS_PER_MONTH,
        "needs": keys.pop("needs", {}),
        "demand_ratio": demand / capacity,
        "deferrable_share": 0.0,
        "backlog_attrition_per_day": 0.0,
        "willingness_to_travel": keys.pop("willingness_to_travel", 0.0),
        "distance_decay_km": math.inf,
    }
    clinic = {"population": 1e4, "resources": {"staff": 10.0, "building": 1.0}}
    clinic["services"] = {"outpatient": table}
    clinic.update(keys.pop("facility", {}))
    config = {
        "run": {"horizon_days": 60},
        "facility": {"site_0": clinic},
        "strike": strikes,
        "recovery": keys.pop("recovery", {}),
        "alternative": keys.pop("alternative", []),
    }
    terms = {
        **NO_NEW_TERMS,
        "shares": [[0.0] * 4 for _ in strikes],
        "resource_capacity": [[[math.inf], [math.inf]]],
        "reach_km": [[math.inf]],
    }
    return config, terms


def idle(day: int, **keys: Any) -> dict[str, Any]:
    return {"facility": "site_0", "day": day, "damage": {"staff": 0.0, "building": 0.0}, **keys}


CAPACITY_AT_A_STRUCK_FACILITY = (
    one_clinic(10.0, 20.0, strikes=[idle(0, closure_days=1)]),
    ("baseline_capacity", (0, 0), 10.0),
)
ROOM_FOR_A_CROWDED_CATCHMENT_THAT_LEFT = (
    one_clinic(
        10.0,
        12.0,
        strikes=[idle(0)],
        willingness_to_travel=1.0,
        facility={"displacement": {"curve": "step", "time_days": 0, "share": 0.25, "start_day": 0}},
        alternative=[
            {
                "name": "alternative_0",
                "distance_km": {"site_0": 0.0},
                "spare_capacity_per_month": {"outpatient": 0.0},
                "opens_day": 0,
            }
        ],
    ),
    ("alternative_spare_capacity", (0, 0), 1.0),
)


@st.composite
def more_capacity(draw, where: str = "either"):
    """A model, and where to add capacity and how much: ``(variable, cell, extra)``, the
    variable an alternative's spare capacity or a modelled facility's baseline capacity."""
    at_alternative = where == "alternative" or (where == "either" and draw(st.booleans()))
    model = draw(models(alternatives=(1, 2)) if at_alternative else models())
    config = model[0]
    services = sorted({s for f in config["facility"].values() for s in f["services"]})
    s = draw(st.integers(0, len(services) - 1))
    if at_alternative:
        j = draw(st.integers(0, len(config["alternative"]) - 1))
        change = ("alternative_spare_capacity", (j, s), draw(number(0.0, 50.0)))
    else:
        f = draw(st.integers(0, len(config["facility"]) - 1))
        change = ("baseline_capacity", (f, s), draw(number(0.0, 50.0)))
    return model, change


@pytest.mark.xfail(strict=True, reason="a struck facility's capacity is what the strike takes")
@pytest.mark.slow
@SETTINGS
@example(CAPACITY_AT_A_STRUCK_FACILITY)
@given(more_capacity("facility"))
def test_more_baseline_capacity_never_raises_forgone_care(case):
    model, (name, cell, extra) = case
    params = parameters(model)
    assert_not_raised(params, with_more(params, name, cell, extra), "forgone")


@pytest.mark.xfail(
    strict=True, reason="people who left a crowded catchment lack less than the world without"
)
@pytest.mark.slow
@SETTINGS
@example(ROOM_FOR_A_CROWDED_CATCHMENT_THAT_LEFT)
@given(more_capacity("alternative"))
def test_more_room_at_an_alternative_never_raises_forgone_care(case):
    model, (name, cell, extra) = case
    params = parameters(model)
    assert_not_raised(params, with_more(params, name, cell, extra), "forgone")


@pytest.mark.slow
@SETTINGS
@example(CAPACITY_AT_A_STRUCK_FACILITY)
@example(ROOM_FOR_A_CROWDED_CATCHMENT_THAT_LEFT)
@given(more_capacity())
def test_more_capacity_never_raises_care_lost_in_the_world_with_the_strikes(case):
    model, (name, cell, extra) = case
    params = parameters(model)
    assert_not_raised(params, with_more(params, name, cell, extra), "unmet + abandoned")


def _raised(draw, config: dict[str, Any]) -> dict[str, Any]:
    worse = {**config, "strike": [dict(k) for k in config["strike"]]}
    for strike in worse["strike"]:
        strike["damage"] = {
            r: d + draw(st.sampled_from([0.0, 1.0, 0.5]) | number(0.0, 1.0)) * (1.0 - d)
            for r, d in strike["damage"].items()
        }
    return worse


@st.composite
def more_damage(draw, **sizes: tuple[int, int]):
    """A model and the same with every strike's damage fractions raised (or kept)."""
    config, terms = draw(models(**sizes))
    return (config, terms), (_raised(draw, config), terms)


def _heavier_strike_after(first_damage: float) -> tuple[dict[str, Any], dict[str, Any]]:
    return one_clinic(
        10.0,
        3.0,
        needs={"building": 1.0},
        strikes=[
            {**idle(0), "damage": {"staff": 0.0, "building": first_damage}},
            {**idle(25), "damage": {"staff": 0.0, "building": 1.0}},
        ],
        recovery={"building": {"curve": "linear", "time_days": 30}},
    )


DAMAGE_BEFORE_A_HEAVIER_STRIKE = (_heavier_strike_after(0.0), _heavier_strike_after(0.5))


def assert_damage_monotone(pair) -> None:
    less, more = (run(parameters(model)) for model in pair)
    slack = 1e-9 * max(float(less["demand"].sum()), 1.0)
    assert float(more["served"].sum()) <= float(less["served"].sum()) + slack
    assert float(more["forgone"].sum()) >= float(less["forgone"].sum()) - slack


@pytest.mark.xfail(strict=True, reason="a later strike takes its share of what is standing")
@pytest.mark.slow
@SETTINGS
@example(DAMAGE_BEFORE_A_HEAVIER_STRIKE)
@given(more_damage())
def test_more_damage_never_raises_served_care_nor_lowers_forgone_care(pair):
    assert_damage_monotone(pair)


@pytest.mark.slow
@SETTINGS
@given(more_damage(strikes=(1, 1)))
def test_more_damage_on_a_facility_struck_once_never_raises_served_nor_lowers_forgone(pair):
    assert_damage_monotone(pair)


def test_the_counterexamples_are_what_the_comments_say():
    """The numbers quoted above for each counterexample, so that they cannot go stale."""
    model, (name, cell, extra) = CAPACITY_AT_A_STRUCK_FACILITY
    params = parameters(model)
    assert lost(run(params), "forgone") == pytest.approx(10.0, rel=1e-12)
    assert lost(run(with_more(params, name, cell, extra)), "forgone") == pytest.approx(
        20.0, rel=1e-12
    )
    model, (name, cell, extra) = ROOM_FOR_A_CROWDED_CATCHMENT_THAT_LEFT
    params = parameters(model)
    before, after = run(params), run(with_more(params, name, cell, extra))
    np.testing.assert_allclose(before["forgone"][:, 0, 0], -1.5, rtol=1e-9)
    np.testing.assert_allclose(after["forgone"][:, 0, 0], -0.75, rtol=1e-9)
    less, more = (run(parameters(model)) for model in DAMAGE_BEFORE_A_HEAVIER_STRIKE)
    assert float(less["served"].sum()) == pytest.approx(165.0, rel=1e-12)
    assert float(more["served"].sum()) == pytest.approx(168.722222222, rel=1e-9)
    assert float(less["forgone"].sum()) == pytest.approx(15.0, rel=1e-12)
    assert float(more["forgone"].sum()) == pytest.approx(11.277777778, rel=1e-9)
