"""The plain-loop model of ``benchmarks/loop_model.py`` against the vectorised kernel.

The two implementations share no code: ``run_model`` broadcasts numpy arrays
over every dim but time, ``run_one`` walks days, facilities, services,
resources, strikes, staff fates and destinations with Python floats, in the
world with the strikes and in the world without them. Every output of both
must agree to a relative 1e-9 on the two reference configurations (one
facility; a region of six), on small configurations that each exercise one
part of the model (capacity from resources with a shortage before the strike,
staff fates with returns and recruitment, displaced people who settle in
another catchment and come back, a relocated site that carries the backlog
and the surviving staff, destinations out of reach, strikes that remember),
on ensembles with extra dims, and on random networks of one to three
facilities with random values of every newer term. Parameters that a
configuration cannot set are set on the parameter Dataset (``parameter_edits``).
A change of behaviour on either side shows up as a disagreement; the
hand-worked cases at the end tie the loop itself to docs/model.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import (
    DAYS_PER_MONTH,
    alternative,
    facility,
    minimal_config,
    network_config,
    service,
    strike,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from implementations import loop_model
from parameter_edits import (
    apply_new_terms,
    curve,
    new_terms,
    set_cell,
    set_parameter,
    set_relocation,
    set_response,
    set_return,
    set_staff_fates,
)

from facility_impact import load_config
from facility_impact.curves import CURVE_CODES
from facility_impact.model.inputs import KERNEL_INPUTS
from facility_impact.model.kernel import run_model
from facility_impact.model.parameters import build_parameters
from facility_impact.variables import PARAMETERS, ensemble_dims

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_CONFIG = ROOT / "configs" / "maarat_al_numan.toml"
REGION_CONFIG = ROOT / "configs" / "idlib_region.toml"


RELATIVE_TOLERANCE = 1e-9
# Differences of nearly equal flows (unmet = seeking - served elsewhere) can
# leave rounding residue of ~1e-16 where the exact value is 0; an absolute
# floor of 1e-12 of the variable's scale absorbs it without hiding real errors.
ABSOLUTE_FLOOR = 1e-12


def _scale(outputs: dict[str, np.ndarray], name: str) -> float:
    """The size of a typical value of output ``name``, in its own unit."""
    if name in ("available", "is_open"):
        return 1.0
    if name == "population":
        return float(np.max(np.abs(outputs["population"])))
    sizes = ("demand", "counterfactual_demand", "capacity", "backlog")
    patients = [outputs[n] for n in sizes if outputs[n].size]
    return max((float(np.max(np.abs(a))) for a in patients), default=1.0)


def assert_implementations_agree(params: xr.Dataset) -> None:
    """``run_one`` at every ensemble point equals that point of ``run_model``."""
    vectorised = run_model(params, dtype=np.float64)  # the loop computes in float64
    assert set(vectorised) == set(loop_model.OUTPUTS)
    dims = ensemble_dims(params)
    for point in loop_model.ensemble_points(params):
        looped = loop_model.run_one(loop_model.draw_parameters(params, **point))
        assert set(looped) == set(loop_model.OUTPUTS)
        position = tuple(point[d] for d in dims)
        for name in loop_model.OUTPUTS:
            expected = vectorised[name][(slice(None), *position)]
            actual = np.asarray(looped[name], dtype=float)
            if expected.size == 0:
                # Nested empty lists lose their trailing dims: [[], []] is (2, 0).
                assert actual.size == 0, name
                continue
            assert actual.shape == expected.shape, name
            assert np.all(np.isfinite(actual)), name
            assert np.all(np.isfinite(expected)), name
            np.testing.assert_allclose(
                actual,
                expected,
                rtol=RELATIVE_TOLERANCE,
                atol=ABSOLUTE_FLOOR * _scale(vectorised, name),
                err_msg=f"{name} at {point or 'the single point'}",
            )


def parameters_of(config) -> xr.Dataset:
    return build_parameters(load_config(config))


def total(params: xr.Dataset, name: str) -> float:
    """The sum of output ``name`` of ``run_model`` over everything: a check that a
    configuration exercises what it is meant to (arrivals, overflow, ...)."""
    return float(np.sum(run_model(params)[name]))


# ------------------------------------------------------------------ the loop's own constants


def test_curve_codes_are_those_of_the_package():
    assert {
        "none": loop_model.CURVE_NONE,
        "step": loop_model.CURVE_STEP,
        "linear": loop_model.CURVE_LINEAR,
        "exponential": loop_model.CURVE_EXPONENTIAL,
        "normal": loop_model.CURVE_NORMAL,
    } == CURVE_CODES


def test_model_inputs_are_parameters_and_leave_out_only_non_model_variables():
    """A new kernel input would be missing from MODEL_INPUTS: this names it."""
    assert set(loop_model.MODEL_INPUTS) <= set(PARAMETERS)
    left_out = set(PARAMETERS) - set(loop_model.MODEL_INPUTS)
    # Resource counts describe the facility (standards), outcomes are applied to
    # the results afterwards, input quantiles serve sensitivity analysis: none
    # enters the daily flows. Destinations attract by the spare capacity they
    # have today, so an alternative's total capacity takes no part either.
    not_flows = {"baseline_quantity", "outcome_rate", "outcome_service", "input_quantile"}
    # The loop reads the full distances; the kernel reads the tables of candidate
    # destinations derived from them (model/destinations.py).
    tables = {"destination_index", "destination_distance_km"}
    distances = {"network_distance_km", "alternative_distance_km"}
    assert left_out == not_flows | {"alternative_capacity"} | tables
    assert set(loop_model.MODEL_INPUTS) <= set(KERNEL_INPUTS) | distances
    # The kernel may still declare alternative_capacity; it must read nothing else.
    assert set(KERNEL_INPUTS) - set(loop_model.MODEL_INPUTS) <= {"alternative_capacity"} | tables


# ------------------------------------------------------------------ reference configuration


def test_reference_configuration():
    assert_implementations_agree(parameters_of(REFERENCE_CONFIG))


@pytest.mark.slow
def test_reference_region():
    """Six facilities on four scenarios: diversion between modelled facilities,
    a field hospital, per-facility recovery."""
    params = parameters_of(REGION_CONFIG)
    assert params.sizes["facility"] > 1 and "scenario" in params.dims
    assert total(params, "received") > 0
    assert_implementations_agree(params)


# ------------------------------------------------------------------ one feature at a time


def repeated_strikes_with_partial_damage():
    """Two strikes on day 2 (damages multiply), one on day 20, one with no damage on day 31."""
    return minimal_config(
        services={
            "outpatient": service(
                900.0,
                {"staff": 1.0, "building": 0.6},
                deferrable_share=0.2,
                backlog_attrition_per_day=0.1,
            )
        },
        strikes=[
            strike(2, {"building": 0.5, "staff": 0.2}, closure_days=5),
            strike(2, {"building": 0.3}, closure_days=8),
            strike(20, {"building": 0.6, "staff": 0.4}, closure_days=3),
            strike(31, {}),
        ],
        recovery={
            "building": {"curve": "linear", "time_days": 25, "recoverable_share": 0.7},
            "staff": {
                "curve": "exponential",
                "time_days": 12,
                "recoverable_share": 0.9,
                "delay_days": 4,
            },
        },
        horizon_days=70,
    )


def deferrable_care_with_attrition():
    """Care that waits and gives up, demand above baseline, normal and step recovery."""
    return minimal_config(
        services={
            "outpatient": service(
                1200.0,
                {"staff": 1.0, "building": 0.5},
                deferrable_share=0.6,
                backlog_attrition_per_day=0.05,
                demand_ratio=1.2,
            ),
            "surgery": service(150.0, deferrable_share=1.0),
        },
        strikes=[strike(5, {"building": 0.9, "staff": 0.3}, closure_days=10)],
        recovery={
            "building": {"curve": "normal", "mean_days": 20, "sd_days": 5},
            "staff": {"curve": "step", "time_days": 15, "recoverable_share": 0.5},
        },
        horizon_days=80,
    )


def alternatives_out_of_reach_and_opening_late():
    """One alternative at infinite distance, a field hospital opening on day 12, one full."""
    travel = {"willingness_to_travel": 0.9, "distance_decay_km": 15.0}
    return minimal_config(
        services={
            "outpatient": service(600.0, {"building": 1.0}, deferrable_share=0.3, **travel),
            "emergency": service(400.0, willingness_to_travel=0.7, distance_decay_km=40.0),
        },
        strikes=[strike(0, {"building": 1.0}, closure_days=20)],
        recovery={"building": {"curve": "linear", "time_days": 30}},
        alternatives=[
            alternative("beyond_the_front", math.inf, {"outpatient": 5e3, "emergency": 5e3}),
            alternative(
                "field_hospital",
                5.0,
                {"outpatient": 200.0, "emergency": 100.0},
                opens_day=12,
                capacity_per_month={"outpatient": 600.0, "emergency": 100.0},
            ),
            # Open from day 0: until the field hospital opens it draws all the
            # outpatients who travel. It has no room for emergencies (spare 0)
            # but still attracts them by its capacity.
            alternative(
                "district_hospital",
                20.0,
                {"outpatient": 100.0, "emergency": 0.0},
                capacity_per_month={"outpatient": 300.0, "emergency": 300.0},
            ),
        ],
        horizon_days=50,
    )


def displacement_with_delay():
    return minimal_config(
        services={"outpatient": service(600.0, {"staff": 0.7}, deferrable_share=0.4)},
        strikes=[strike(1, {"staff": 0.5}, closure_days=2)],
        displacement={
            "share": 0.35,
            "curve": "normal",
            "mean_days": 20,
            "sd_days": 6,
            "start_day": 3,
            "delay_days": 2,
        },
        horizon_days=60,
    )


def overlapping_demand_multipliers():
    periods = [
        {"start_day": 5, "end_day": 25, "factor": 1.8},
        {"start_day": 15, "factor": 0.5},
    ]
    return minimal_config(
        services={
            "outpatient": service(
                600.0,
                deferrable_share=0.5,
                backlog_attrition_per_day=0.02,
                demand_multipliers=periods,
            )
        },
        strikes=[strike(8, {"staff": 0.4}, closure_days=4)],
        recovery={"staff": {"curve": "linear", "time_days": 20}},
        horizon_days=40,
    )


def casualties_on_two_services():
    return minimal_config(
        services={
            "outpatient": service(600.0, deferrable_share=0.5),
            "emergency": service(300.0, {"staff": 1.0, "building": 0.5}),
        },
        strikes=[
            strike(3, {"building": 0.4}, casualties=40),
            strike(3, {}, casualties=10, casualty_service="outpatient"),
            strike(9, {"staff": 0.2}, casualties=25, closure_days=2),
        ],
        recovery={"building": {"curve": "exponential", "time_days": 6}},
        horizon_days=20,
    )


def two_facilities_sharing_alternatives():
    """Two struck facilities whose patients compete for the same small spare capacity."""
    config = minimal_config(
        services={
            "outpatient": service(
                900.0, deferrable_share=0.2, willingness_to_travel=0.8, distance_decay_km=10.0
            ),
            "emergency": service(300.0, willingness_to_travel=0.9, distance_decay_km=50.0),
        },
        strikes=[
            strike(0, {"building": 1.0}, closure_days=10, facility="clinic", casualties=15),
            strike(4, {"beds": 0.7, "staff": 0.3}, closure_days=3, facility="hospital"),
            strike(12, {"staff": 0.5}, facility="clinic"),
        ],
        recovery={
            "building": {"curve": "linear", "time_days": 40, "recoverable_share": 0.8},
            "beds": {"curve": "step", "time_days": 20},
            "staff": {"curve": "normal", "mean_days": 10, "sd_days": 3},
        },
        alternatives=[
            alternative(
                "regional_hospital",
                {"clinic": 6.0, "hospital": 30.0},
                {"outpatient": 150.0, "emergency": 60.0, "surgery": 10.0},
            ),
            alternative(
                "mobile_clinic", {"clinic": 2.0, "hospital": math.inf}, {"outpatient": 90.0}
            ),
        ],
        horizon_days=45,
    )
    config["facility"]["hospital"] = {
        "population": 60_000.0,
        "resources": {"beds": 40.0, "staff": 80.0},
        "services": {
            "emergency": service(
                800.0,
                {"staff": 1.0, "beds": 0.3},
                willingness_to_travel=0.6,
                distance_decay_km=45.0,
            ),
            "surgery": service(
                120.0,
                {"staff": 1.0, "beds": 0.8},
                deferrable_share=0.4,
                backlog_attrition_per_day=0.03,
                willingness_to_travel=0.5,
                distance_decay_km=45.0,
            ),
        },
        "displacement": {"share": 0.2, "curve": "exponential", "time_days": 15, "start_day": 4},
    }
    # Both offer emergency: the clinic's emergencies may also go to the hospital.
    config["network"] = {"facilities": ["clinic", "hospital"], "distance_km": [[0, 12], [12, 0]]}
    return config


@pytest.mark.slow
@pytest.mark.parametrize(
    "make_config",
    [
        repeated_strikes_with_partial_damage,
        deferrable_care_with_attrition,
        alternatives_out_of_reach_and_opening_late,
        displacement_with_delay,
        overlapping_demand_multipliers,
        casualties_on_two_services,
        two_facilities_sharing_alternatives,
    ],
)
def test_small_configuration(make_config):
    assert_implementations_agree(parameters_of(make_config()))


# ------------------------------------------------------------------ networks of facilities

OUTPATIENT_TRAVEL = {"willingness_to_travel": 0.8, "distance_decay_km": 10.0}
HOSPITAL_TRAVEL = {"willingness_to_travel": 0.7, "distance_decay_km": 45.0}


def two_facilities_diverting_to_each_other_with_overflow():
    """a is closed 8 days and damaged (back to full by day 18), b is struck on day 20.

    a's seekers crowd b (its spare is smaller than what arrives: overflow), then
    b's seekers go to a; an alternative opening on day 3 takes a share of both.
    Waiting, attrition and casualties on the side.
    """
    a = facility(
        {
            "outpatient": service(
                900.0,
                {"staff": 1.0, "building": 0.7},
                demand_ratio=0.7,
                deferrable_share=0.3,
                backlog_attrition_per_day=0.05,
                **OUTPATIENT_TRAVEL,
            ),
            "emergency": service(400.0, demand_ratio=0.8, **HOSPITAL_TRAVEL),
        }
    )
    b = facility(
        {
            "outpatient": service(600.0, {"staff": 1.0}, demand_ratio=0.6, **OUTPATIENT_TRAVEL),
            "emergency": service(300.0, {"staff": 0.8}, demand_ratio=0.5, **HOSPITAL_TRAVEL),
            "surgery": service(100.0, deferrable_share=0.5, backlog_attrition_per_day=0.02),
        },
        population=25_000.0,
    )
    return network_config(
        {"a": a, "b": b},
        [[0, 4], [4, 0]],
        strikes=[
            strike(0, {"building": 0.6}, facility="a", closure_days=8, casualties=30),
            strike(20, {"staff": 0.5}, facility="b", closure_days=2, casualties=12),
        ],
        recovery={
            "building": {"curve": "linear", "time_days": 10},
            "staff": {"curve": "exponential", "time_days": 6, "recoverable_share": 0.9},
        },
        alternatives=[
            alternative(
                "x",
                {"a": 6.0, "b": 20.0},
                {"outpatient": 60.0, "emergency": 30.0},
                opens_day=3,
                capacity_per_month={"outpatient": 600.0, "emergency": 300.0},
            )
        ],
        horizon_days=30,
    )


def field_hospital_opening_late():
    """a is closed 15 days; a field hospital (no patients of its own) opens on day 8,
    after a strike damaged it on day 3 (its casualties find nobody there), and
    closes for good on day 25. b, farther away, takes what the others cannot."""
    a = facility(
        {
            "outpatient": service(900.0, deferrable_share=0.4, **OUTPATIENT_TRAVEL),
            "emergency": service(300.0, **HOSPITAL_TRAVEL),
        }
    )
    b = facility(
        {
            "outpatient": service(600.0, demand_ratio=0.5, **OUTPATIENT_TRAVEL),
            "emergency": service(300.0, demand_ratio=0.7, **HOSPITAL_TRAVEL),
        }
    )
    field = facility(
        {
            "outpatient": service(450.0, demand_ratio=0.0, **OUTPATIENT_TRAVEL),
            "emergency": service(200.0, {"staff": 1.0}, demand_ratio=0.0, **HOSPITAL_TRAVEL),
        },
        opens_day=8,
        closes_day=25,
    )
    return network_config(
        {"a": a, "b": b, "field": field},
        [[0, 15, 2], [15, 0, 14], [2, 14, 0]],
        strikes=[
            strike(0, {"building": 1.0}, facility="a", closure_days=15),
            strike(3, {"staff": 0.4}, facility="field", casualties=10),
        ],
        recovery={"staff": {"curve": "linear", "time_days": 12}},
        horizon_days=30,
    )


def facility_closing_for_good_with_backlog():
    """b's patients wait while a strike closes it (days 2-9); it closes for good on
    day 7, inside that closure: its queue gives up and its patients go to a or the
    alternative from then on. a, struck on day 14, finds b closed for good."""
    waiting = {"deferrable_share": 0.6, "backlog_attrition_per_day": 0.05}
    a = facility(
        {
            "outpatient": service(600.0, demand_ratio=0.6, **OUTPATIENT_TRAVEL),
            "surgery": service(120.0, demand_ratio=0.5, **waiting, **HOSPITAL_TRAVEL),
        }
    )
    b = facility(
        {
            "outpatient": service(600.0, **waiting, **OUTPATIENT_TRAVEL),
            "surgery": service(90.0, **waiting, **HOSPITAL_TRAVEL),
        },
        closes_day=7,
    )
    return network_config(
        {"a": a, "b": b},
        [[0, 3], [3, 0]],
        strikes=[
            strike(2, {"building": 0.5}, facility="b", closure_days=8),
            strike(14, {"staff": 0.3}, facility="a", closure_days=3),
        ],
        alternatives=[alternative("x", 9.0, {"outpatient": 100.0, "surgery": 20.0})],
        horizon_days=25,
    )


def per_facility_recovery():
    """Three facilities recover by different rules: a by the top-level tables, b
    with its own building table (normal, delayed) and struck twice, c with its own
    staff table (step, half recoverable)."""
    services = {
        "outpatient": service(600.0, {"staff": 1.0, "building": 0.5}, demand_ratio=0.8),
        "emergency": service(300.0, {"staff": 0.7, "building": 1.0}, demand_ratio=0.6),
    }
    for table, travel in zip(services.values(), (OUTPATIENT_TRAVEL, HOSPITAL_TRAVEL), strict=True):
        table.update(travel)
    b_recovery = {
        "building": {
            "curve": "normal",
            "mean_days": 8,
            "sd_days": 3,
            "delay_days": 2,
            "recoverable_share": 0.8,
        }
    }
    c_recovery = {"staff": {"curve": "step", "time_days": 6, "recoverable_share": 0.5}}
    return network_config(
        {
            "a": facility(services),
            "b": facility(services, recovery=b_recovery),
            "c": facility(services, recovery=c_recovery),
        },
        [[0, 5, 9], [5, 0, 7], [9, 7, 0]],
        strikes=[
            strike(1, {"building": 0.9, "staff": 0.3}, facility="a", closure_days=2),
            strike(2, {"building": 0.7}, facility="b"),
            strike(9, {"building": 0.5, "staff": 0.2}, facility="b", closure_days=1),
            strike(4, {"staff": 0.8, "building": 0.2}, facility="c", closure_days=3),
        ],
        recovery={
            "building": {"curve": "linear", "time_days": 15},
            "staff": {"curve": "exponential", "time_days": 5, "delay_days": 1},
        },
        horizon_days=35,
    )


def test_two_facilities_diverting_to_each_other_with_overflow():
    params = parameters_of(two_facilities_diverting_to_each_other_with_overflow())
    received = run_model(params)["received"]  # (time, facility, service)
    assert np.all(received.sum(axis=(0, 2)) > 0)  # each receives from the other
    assert total(params, "arrivals") - total(params, "received") > 1.0  # overflow
    assert total(params, "received_by_alternative") > 0
    assert_implementations_agree(params)


def test_field_hospital_opening_late():
    params = parameters_of(field_hospital_opening_late())
    outputs = run_model(params)
    arrivals = outputs["arrivals"][:, 2]  # at the field hospital
    assert np.all(arrivals[:8] == 0) and np.all(arrivals[8:15].sum(axis=-1) > 0)
    assert np.all(outputs["demand"][:, 2] == 0)  # not even the casualties of day 3
    assert np.all(outputs["available"][3:8, 2].min(axis=-1) < 1)  # but the strike damaged it
    assert_implementations_agree(params)


def test_facility_closing_for_good_with_backlog():
    params = parameters_of(facility_closing_for_good_with_backlog())
    outputs = run_model(params)
    queue = outputs["backlog"][6, 1]  # b's patients waiting the day before it closes
    assert np.all(queue > 0)
    np.testing.assert_allclose(outputs["abandoned"][7, 1], queue, rtol=1e-14)  # all give up
    assert np.all(outputs["backlog"][7:, 1] == 0)
    assert_implementations_agree(params)


def test_per_facility_recovery():
    params = parameters_of(per_facility_recovery())
    curves_by_facility = params["recovery_curve"].values
    assert len({tuple(row) for row in curves_by_facility}) == 3  # each its own rules
    assert_implementations_agree(params)


# ------------------------------------------------------------------ the newer terms, one at a time

CLINIC = {"facility": "clinic"}


def capacity_from_resources_with_a_shortage() -> xr.Dataset:
    """Capacity set by staff and beds, demand above it before any strike.

    Outpatients: 10 staff x 2 consultations a staff-day = 20 a day, demand 23 a
    day (a shortage of 3 a day before the strike); inpatients: 20 beds x 0.2
    admissions a bed-day = 4 a day, and 12 staff x 1.5 for them (no limit: 18),
    demand 3.5. The beds are struck twice; the second strike takes its share of
    what the first left.
    """
    config = minimal_config(
        services={
            "outpatient": service(
                600.0,
                {"staff": 1.0, "building": 1.0},
                deferrable_share=0.3,
                backlog_attrition_per_day=0.1,
            ),
            "inpatient": service(
                120.0, {"beds": 1.0, "staff": 0.5, "building": 0.8}, deferrable_share=0.5
            ),
        },
        resources={"staff": 10.0, "building": 1.0, "beds": 20.0},
        strikes=[
            strike(5, {"building": 0.4, "beds": 0.5, "staff": 0.2}, closure_days=3),
            strike(30, {"beds": 0.3}),
        ],
        recovery={
            "building": {"curve": "linear", "time_days": 20},
            "beds": {"curve": "linear", "time_days": 30, "recoverable_share": 0.6},
            "staff": {"curve": "exponential", "time_days": 10},
        },
        horizon_days=60,
    )
    params = parameters_of(config)
    set_cell(params, "resource_capacity", 20.0, resource="staff", service="outpatient")
    set_cell(params, "resource_capacity", 4.0, resource="beds", service="inpatient")
    set_cell(params, "resource_capacity", 18.0, resource="staff", service="inpatient")
    set_parameter(params, "baseline_capacity", [[20.0, 4.0]])
    set_parameter(params, "baseline_demand", [[23.0, 3.5]])
    return params


def test_capacity_from_resources_with_a_shortage():
    params = capacity_from_resources_with_a_shortage()
    assert list(params["service"].values) == ["outpatient", "inpatient"]
    outputs = run_model(params, dtype=np.float64)
    np.testing.assert_allclose(outputs["capacity"][0, 0], [20.0, 4.0], rtol=1e-12)
    assert outputs["unmet"][0, 0, 0] > 0  # the shortage before the strike ...
    np.testing.assert_allclose(outputs["forgone"][:5], 0.0, atol=1e-12)  # ... is not forgone
    assert_implementations_agree(params)


def staff_fates_returns_and_recruitment() -> xr.Dataset:
    """Four strikes of :func:`repeated_strikes_with_partial_damage` take staff by fate.

    The second strike of day 2 asks for 90 % of the staff when less than half
    is left: every fate is scaled down alike. Injured staff come back after two
    weeks, a third of the abducted over months, half of those who fled over two
    months; 60 % of the posts not refilled by returns are filled by recruits
    over 45 days from each strike. The strike of day 31 takes nobody.
    """
    params = parameters_of(repeated_strikes_with_partial_damage())
    set_staff_fates(
        params,
        [[0.1, 0.2, 0.05, 0.1], [0.3, 0.2, 0.2, 0.2], [0.05, 0.1, 0.0, 0.1], [0.0] * 4],
        returns={
            "injured": (0.9, curve("step", time_days=14)),
            "abducted": (0.3, curve("normal", mean_days=40, sd_days=10)),
            "fled": (0.5, curve("linear", time_days=60)),
        },
        recruitment=(0.6, curve("linear", time_days=45)),
    )
    return params


def test_staff_fates_returns_and_recruitment():
    params = staff_fates_returns_and_recruitment()
    staff = run_model(params, dtype=np.float64)["available"][:, 0, 0]
    assert params["resource"].values[0] == "staff"
    assert staff[2] < 0.05  # hardly anybody left after the two strikes of day 2
    assert staff[-1] > staff[3]  # returns and recruits
    assert_implementations_agree(params)


def displaced_people_settling_elsewhere_and_coming_back() -> xr.Dataset:
    """Two facilities 12 km apart; 40 % of a's people leave from day 2, 70 % of them to
    b's catchment, and half of them come back from day 25; 10 % of b's leave from day
    10, half of them to a's, and none come back."""
    travel = {"willingness_to_travel": 0.8, "distance_decay_km": 20.0}
    config = network_config(
        {
            "a": facility(
                {"outpatient": service(600.0, deferrable_share=0.3, **travel)},
                displacement={"share": 0.4, "curve": "exponential", "time_days": 5, "start_day": 2},
            ),
            "b": facility(
                {
                    "outpatient": service(450.0, **travel),
                    "surgery": service(60.0, {"building": 1.0}, **travel),
                },
                displacement={"share": 0.1, "curve": "linear", "time_days": 10, "start_day": 10},
            ),
        },
        [[0, 12], [12, 0]],
        strikes=[
            strike(
                1,
                {"building": 0.7},
                facility="a",
                closure_days=4,
                casualties=20,
                casualty_service="outpatient",
            )
        ],
        recovery={"building": {"curve": "linear", "time_days": 20}},
        horizon_days=60,
    )
    params = parameters_of(config)
    set_return(params, "a", 0.5, 25.0, curve("linear", time_days=20))
    set_parameter(params, "displacement_destination", [[0.0, 0.7], [0.5, 0.0]])
    return params


def test_displaced_people_settling_elsewhere_and_coming_back():
    params = displaced_people_settling_elsewhere_and_coming_back()
    outputs = run_model(params, dtype=np.float64)
    assert outputs["added_demand"][:, 1].sum() > 0  # b hosts a's people ...
    assert outputs["added_demand"][20:, 0, 0].sum() > 0  # ... and a hosts b's
    population = outputs["population"][:, 0]
    assert population[-1] > population[25]  # a's people come back
    assert outputs["displaced"][:, 0].sum() > 0
    assert_implementations_agree(params)


def relocated_site_carrying_backlog_and_staff() -> xr.Dataset:
    """a is destroyed on day 3 and stays closed; its relocated site, 5 km from the
    catchment, opens on day 10 with half the building and 30 % of the beds and takes
    the staff a still has (a third killed or fled, some coming back) and its queue.
    The site is also a destination for b's patients when b is struck on day 30."""
    travel = {"willingness_to_travel": 0.7, "distance_decay_km": 15.0}
    resources = {"staff": 40.0, "building": 1.0, "beds": 30.0}
    a = facility(
        {
            "outpatient": service(
                900.0,
                demand_ratio=0.4,
                deferrable_share=0.5,
                backlog_attrition_per_day=0.02,
                **travel,
            ),
            "surgery": service(
                150.0, {"beds": 1.0, "staff": 1.0, "building": 1.0}, deferrable_share=0.8, **travel
            ),
        },
        resources=resources,
    )
    b = facility(
        {"outpatient": service(600.0, **travel), "surgery": service(90.0, **travel)},
        resources=resources,
    )
    config = network_config(
        {"a": a, "b": b},
        [[0, 10], [10, 0]],
        strikes=[
            strike(3, {"building": 1.0, "beds": 0.8, "staff": 0.2}, facility="a", closure_days=200),
            strike(30, {"building": 0.6}, facility="b", closure_days=5),
        ],
        recovery={"building": {"curve": "linear", "time_days": 30}},
        horizon_days=50,
    )
    params = parameters_of(config)
    set_staff_fates(
        params,
        [[0.1, 0.0, 0.0, 0.2], [0.0] * 4],
        returns={"fled": (0.5, curve("linear", time_days=30))},
        recruitment=(0.3, curve("linear", time_days=40)),
    )
    set_relocation(params, "a", 10.0, 5.0, {"building": 0.5, "beds": 0.3})
    set_cell(params, "resource_capacity", 6.0, facility="a", resource="beds", service="surgery")
    return params


def test_relocated_site_carrying_backlog_and_staff():
    params = relocated_site_carrying_backlog_and_staff()
    outputs = run_model(params, dtype=np.float64)
    a = 0
    assert np.all(outputs["is_open"][3:, a] == 0)
    assert np.all(outputs["capacity"][10:, a] > 0)  # the site works
    assert np.all(outputs["capacity"][3:10, a] == 0)
    assert outputs["backlog"][9, a].min() > 0  # a queue to take over
    assert outputs["backlog"][29, a, 0] < outputs["backlog"][9, a, 0]  # the site works it off
    assert outputs["received"][30:35, a, 0].sum() > 0  # b's patients at a's site
    assert_implementations_agree(params)


def test_destinations_out_of_reach():
    """Reach cuts the alternative of the diverting pair for outpatients (6 and 20 km
    away, reach 5 km) and b for a's emergencies (4 km, reach 3 km)."""
    params = parameters_of(two_facilities_diverting_to_each_other_with_overflow())
    set_parameter(params, "reach_km", [[5.0, 3.0, math.inf], [5.0, 15.0, math.inf]])
    assert list(params["service"].values) == ["outpatient", "emergency", "surgery"]
    outputs = run_model(params, dtype=np.float64)
    assert outputs["received_by_alternative"][:, 0, 0].sum() == 0
    assert outputs["received"][:, 1, 1].sum() == 0
    assert outputs["received"][:, 1, 0].sum() > 0
    assert_implementations_agree(params)


def strikes_before_opening_and_after_closing_for_good() -> xr.Dataset:
    """Recovery clocks stop while a facility is not open: the field hospital is struck
    before it opens, and a strike after b closes for good finds nothing to run on."""
    config = field_hospital_opening_late()
    config["facility"]["b"]["closes_day"] = 20
    config["strike"].append(strike(22, {"staff": 0.5}, facility="b", closure_days=2))
    config["recovery"]["building"] = {
        "curve": "normal",
        "mean_days": 6,
        "sd_days": 2,
        "recoverable_share": 0.7,
    }
    params = parameters_of(config)
    set_staff_fates(
        params,
        [[0.0, 0.3, 0.0, 0.0], [0.1, 0.0, 0.0, 0.0], [0.0, 0.0, 0.2, 0.0]],
        returns={"injured": (1.0, curve("exponential", time_days=7))},
    )
    return params


def test_people_staying_away_near_attacks():
    """The diverting pair, with people staying away after each strike: at a after the
    first (0.51 of outpatients, 0.38 of emergencies, fading linearly over 37 days)
    and less at b nearby (0.23 of that); at b after the second (a normal fade) and
    at a nearby. Demand falls where people stay away, and so do the seekers who
    crowd the other facility."""
    params = parameters_of(two_facilities_diverting_to_each_other_with_overflow())
    assert list(params["service"].values) == ["outpatient", "emergency", "surgery"]
    at_a = [0.51, 0.38, 0.0]
    nearby = [0.23 * share for share in at_a]
    set_response(
        params,
        [
            ([at_a, nearby], curve("linear", time_days=37)),
            ([nearby, [0.6, 0.3, 0.2]], curve("normal", mean_days=5, sd_days=2)),
        ],
    )
    outputs = run_model(params, dtype=np.float64)
    assert outputs["not_sought"][:, 0].sum() > 0 and outputs["not_sought"][:, 1].sum() > 0
    assert_implementations_agree(params)


def test_a_vanishing_share_of_staff_taken():
    """A strike takes a share of staff of 1e-310 (a subnormal number): the scale
    min(1, a / Σ shares) is 1, and nothing may overflow on the way to it."""
    params = parameters_of(repeated_strikes_with_partial_damage())
    set_staff_fates(params, [[1e-310, 0, 0, 0], [0.0] * 4, [0, 0, 0, 5e-324], [0.0] * 4])
    assert_implementations_agree(params)


def test_strikes_before_opening_and_after_closing_for_good():
    assert_implementations_agree(strikes_before_opening_and_after_closing_for_good())


# ------------------------------------------------------------------ ensembles


def ensemble_parameters() -> xr.Dataset:
    """Three draws of damage times two closure lengths; every other parameter fixed."""
    params = parameters_of(repeated_strikes_with_partial_damage())
    damage = params["strike_damage"]
    params["strike_damage"] = xr.concat([damage, 0.5 * damage, damage**0.5], dim="draw")
    closure = params["strike_closure_days"]
    params["strike_closure_days"] = xr.concat([closure, closure + 6.0], dim="closure_sweep")
    return params


def test_every_point_of_an_ensemble():
    params = ensemble_parameters()
    assert set(ensemble_dims(params)) == {"draw", "closure_sweep"}
    assert len(loop_model.ensemble_points(params)) == 6
    assert_implementations_agree(params)


def test_newer_terms_along_ensemble_dims():
    """Staff fates drawn, recruitment and the relocated site's opening day swept,
    resource limits and reach varying by draw (2 x 2 x 2 points)."""
    params = staff_fates_returns_and_recruitment()
    shares = params["strike_staff_share"]
    params["strike_staff_share"] = xr.concat([shares, 0.5 * shares], dim="draw")
    params["recruitment_share"] = xr.DataArray([0.0, 0.9], dims="recruitment_sweep")
    set_relocation(params, "clinic", 4.0, 3.0, {"building": 0.6})
    params["relocation_opens_day"] = params["relocation_opens_day"] + xr.DataArray(
        [0.0, 20.0], dims="relocation_sweep"
    )
    set_parameter(params, "distance_decay_km", [[6.0]])
    set_cell(params, "resource_capacity", 15.0, resource="staff", service="outpatient")
    params["resource_capacity"] = params["resource_capacity"] * xr.DataArray(
        [1.0, 2.0], dims="draw"
    )
    assert set(ensemble_dims(params)) == {"draw", "recruitment_sweep", "relocation_sweep"}
    assert len(loop_model.ensemble_points(params)) == 8
    assert_implementations_agree(params)


def test_draw_parameters_needs_a_position_on_every_ensemble_dim():
    with pytest.raises(ValueError, match="closure_sweep"):
        loop_model.draw_parameters(ensemble_parameters(), draw=0)


def test_run_draws_times_every_point():
    elapsed = loop_model.run_draws(ensemble_parameters())
    assert elapsed > 0.0


def test_network_parameters_swept_along_ensemble_dims():
    """Distances, an opening day, a closing day and one facility's recovery time
    swept on three dims of their own (2 x 2 x 2 points)."""
    params = parameters_of(field_hospital_opening_late())
    scale = xr.DataArray([1.0, 3.0], dims="distance_sweep")
    opens = xr.DataArray([8.0, 0.0], dims="opening")
    at_field = params["facility"] == "field"
    params["network_distance_km"] = params["network_distance_km"] * scale
    params["facility_opens_day"] = xr.where(at_field, opens, params["facility_opens_day"])
    params["facility_closes_day"] = xr.where(at_field, opens + 12.0, params["facility_closes_day"])
    params["recovery_time_days"] = params["recovery_time_days"] * xr.where(
        at_field, xr.DataArray([1.0, 0.25], dims="field_recovery"), 1.0
    )
    assert set(ensemble_dims(params)) == {"distance_sweep", "opening", "field_recovery"}
    assert len(loop_model.ensemble_points(params)) == 8
    assert_implementations_agree(params)


def test_draws_of_a_configuration_with_outcomes():
    """``input_quantile`` (input, draw) and ``outcome_rate`` (outcome, draw) are not
    model inputs: draw_parameters leaves them out."""
    config = two_facilities_diverting_to_each_other_with_overflow()
    config["run"].update(draws=3, seed=5)
    config["strike"][0]["closure_days"] = {"dist": "uniform", "low": 2, "high": 12}
    config["facility"]["b"]["services"]["emergency"]["willingness_to_travel"] = {
        "dist": "triangular",
        "low": 0.3,
        "mode": 0.6,
        "high": 0.9,
    }
    config["outcome"] = {
        "deaths": {
            "service": "emergency",
            "per_forgone_patient": {"dist": "uniform", "low": 0.01, "high": 0.03},
            "source": "illustrative rate for this test only",
        }
    }
    params = parameters_of(config)
    assert params["input_quantile"].dims == ("input", "draw")
    assert "draw" in params["outcome_rate"].dims
    assert set(loop_model.draw_parameters(params, draw=0)) == set(loop_model.MODEL_INPUTS)
    assert_implementations_agree(params)


# ------------------------------------------------------------------ random networks

RESOURCE_POOL = ("staff", "building", "beds")
SERVICE_POOL = ("outpatient", "emergency", "surgery")
fraction = st.floats(0.0, 1.0)
# Mostly within reach: a pair out of reach exercises less of the network.
distances = st.one_of(st.floats(0.0, 30.0), st.floats(0.0, 30.0), st.just(math.inf))


@st.composite
def curves(draw) -> dict:
    family = draw(st.sampled_from(["none", "step", "linear", "exponential", "normal"]))
    table: dict = {"curve": family}
    if family in ("step", "linear"):
        table["time_days"] = draw(st.floats(0.0, 60.0))
    elif family == "exponential":
        table["time_days"] = draw(st.floats(0.5, 60.0))
    elif family == "normal":
        table["mean_days"] = draw(st.floats(0.0, 60.0))
        table["sd_days"] = draw(st.floats(0.0, 20.0))
    if draw(st.booleans()):
        table["delay_days"] = draw(st.floats(0.0, 10.0))
    return table


@st.composite
def facilities(draw, horizon: int) -> dict:
    """One facility: services, resources, life span, maybe displacement and its own recovery."""
    resources = draw(st.lists(st.sampled_from(RESOURCE_POOL), min_size=1, max_size=3, unique=True))
    names = draw(st.lists(st.sampled_from(SERVICE_POOL), min_size=1, max_size=3, unique=True))
    if "outpatient" not in names and draw(st.integers(0, 3)) > 0:
        names.append("outpatient")  # mostly a service in common, so patients can move
    services = {}
    for name in names:
        table = service(
            draw(st.floats(0.0, 2000.0)),
            {r: draw(fraction) for r in resources if draw(st.booleans())},
            demand_ratio=draw(st.floats(0.0, 2.0)),
            deferrable_share=draw(fraction),
            backlog_attrition_per_day=draw(fraction),
            willingness_to_travel=draw(fraction),
            distance_decay_km=draw(st.one_of(st.floats(0.5, 80.0), st.just(math.inf))),
        )
        if draw(st.booleans()):
            start = draw(st.integers(0, horizon - 1))
            table["demand_multipliers"] = [
                {"start_day": start, "end_day": start + 5, "factor": draw(st.floats(0.0, 3.0))}
            ]
        services[name] = table
    facility = {
        "population": draw(st.floats(1.0, 1e5)),
        "resources": {r: draw(st.floats(0.0, 50.0)) for r in resources},
        "services": services,
    }
    if draw(st.booleans()):
        facility["opens_day"] = draw(st.integers(0, horizon + 3))
    if draw(st.booleans()):
        facility["closes_day"] = facility.get("opens_day", 0) + draw(st.integers(1, horizon))
    if draw(st.booleans()):
        facility["displacement"] = {
            **draw(curves()),
            "share": draw(fraction),
            "start_day": draw(st.integers(0, horizon)),
        }
    if draw(st.booleans()):
        own = draw(st.sampled_from(resources))
        facility["recovery"] = {own: {**draw(curves()), "recoverable_share": draw(fraction)}}
    return facility


@st.composite
def network_configs(draw) -> dict:
    """One to three facilities in one network (distances symmetric or one-way, some
    out of reach), up to four strikes on any of them, up to two alternatives."""
    horizon = draw(st.integers(1, 40))
    # Two facilities first (what a failure shrinks to): one alone has no network.
    names = [f"site_{i}" for i in range(draw(st.sampled_from((2, 3, 1))))]
    network = {name: draw(facilities(horizon)) for name in names}
    symmetric = draw(st.booleans())
    matrix = [[0.0 for _ in names] for _ in names]
    for i in range(len(names)):
        for j in range(len(names)):
            if i < j or (i > j and not symmetric):
                matrix[i][j] = draw(distances)
            elif i > j:
                matrix[i][j] = matrix[j][i]
    strikes = []
    for _ in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(names))
        struck = network[target]
        table = strike(
            draw(st.integers(0, horizon - 1)),
            {r: draw(fraction) for r in struck["resources"] if draw(st.booleans())},
            facility=target,
            # Damaged but open (no closure) still attracts at baseline capacity.
            closure_days=draw(st.one_of(st.just(0.0), st.floats(0.0, 20.0))),
        )
        if draw(st.booleans()):
            table["casualties"] = draw(st.floats(0.0, 30.0))
            table["casualty_service"] = draw(st.sampled_from(sorted(struck["services"])))
        strikes.append(table)
    all_resources = sorted({r for f in network.values() for r in f["resources"]})
    recovery = {
        r: {**draw(curves()), "recoverable_share": draw(fraction)}
        for r in all_resources
        if draw(st.booleans())
    }
    all_services = sorted({s for f in network.values() for s in f["services"]})
    alternatives = []
    for index in range(draw(st.integers(0, 2))):
        offered = draw(st.lists(st.sampled_from(all_services), max_size=3, unique=True))
        spare = {s: draw(st.floats(0.0, 1000.0)) for s in offered}
        distance = {name: draw(distances) for name in names}
        table = alternative(
            f"alternative_{index}", distance, spare, opens_day=draw(st.integers(0, horizon))
        )
        if draw(st.booleans()):
            table["capacity_per_month"] = {
                s: v + draw(st.floats(0.0, 1000.0)) for s, v in spare.items()
            }
        alternatives.append(table)
    return {
        "run": {"horizon_days": horizon},
        "facility": network,
        "network": {"facilities": names, "distance_km": matrix, "symmetric": symmetric},
        "strike": strikes,
        "recovery": recovery,
        "alternative": alternatives,
    }


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(network_configs(), st.data())
def test_random_networks(config, data):
    """Random networks, with random values of every newer term set on the Dataset."""
    params = parameters_of(config)
    terms = data.draw(new_terms(params), label="new terms")
    assert_implementations_agree(apply_new_terms(params, terms))


# ------------------------------------------------------------------ the loop against docs/model.md


def test_loop_loses_sixty_and_a_half_days_after_total_destruction():
    """Closed 30 days, then linear recovery over 60: 30 + Σ_{τ=0}^{59} (1 - τ/60) = 60.5 days.

    The hand-worked case of docs/model.md, on the loop model alone.
    """
    volume = 600.0
    config = minimal_config(
        services={"outpatient": service(volume, {"building": 1.0})},
        strikes=[strike(0, {"building": 1.0}, closure_days=30)],
        recovery={"building": {"curve": "linear", "time_days": 60}},
        horizon_days=120,
    )
    results = loop_model.run_one(loop_model.draw_parameters(parameters_of(config)))
    demand = sum(day[0][0] for day in results["demand"])
    served = sum(day[0][0] for day in results["served"])
    unmet = sum(day[0][0] for day in results["unmet"])
    assert demand - served == pytest.approx(60.5 * volume / DAYS_PER_MONTH, rel=1e-12)
    assert unmet == pytest.approx(demand - served, rel=1e-12)
    assert [day[0] for day in results["is_open"]] == [0.0] * 30 + [1.0] * 90


def test_loop_serves_own_patients_first_then_arrivals_up_to_spare():
    """docs/model.md, "A network of facilities", by hand on the loop model alone.

    a and b, 0 km apart, each with demand 0.6 of its baseline daily volume c0; a is
    closed 10 days. a's 0.6 c0 seekers, 0.9 of them willing: 0.54 c0 head for b,
    its only open destination. b serves its own 0.6 c0 first, then 0.4 c0 of the
    arrivals (its spare); the 0.14 c0 overflow and the 0.06 c0 who do not travel
    are a's unmet care.
    """
    travel = {"willingness_to_travel": 0.9, "distance_decay_km": 10.0}
    config = network_config(
        {
            "a": facility({"outpatient": service(600.0, demand_ratio=0.6, **travel)}),
            "b": facility({"outpatient": service(600.0, demand_ratio=0.6, **travel)}),
        },
        [[0, 0], [0, 0]],
        strikes=[strike(0, {}, closure_days=10, facility="a")],
        horizon_days=12,
    )
    results = loop_model.run_one(loop_model.draw_parameters(parameters_of(config)))
    c0 = 600.0 / DAYS_PER_MONTH
    a, b = 0, 1

    def day(name, t, f):
        return results[name][t][f][0]

    for t in range(10):
        assert day("arrivals", t, b) == pytest.approx(0.54 * c0, rel=1e-12)
        assert day("received", t, b) == pytest.approx(0.4 * c0, rel=1e-12)
        assert day("served", t, b) == pytest.approx(0.6 * c0, rel=1e-12)
        assert day("served_elsewhere", t, a) == pytest.approx(0.4 * c0, rel=1e-12)
        assert day("unmet", t, a) == pytest.approx(0.2 * c0, rel=1e-12)
        assert day("arrivals", t, a) == 0.0  # a is closed: it attracts nobody
    for t in (10, 11):
        assert day("arrivals", t, b) == 0.0
        assert day("served", t, a) == pytest.approx(0.6 * c0, rel=1e-12)
