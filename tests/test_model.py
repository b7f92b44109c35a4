"""The model against hand-computed cases (docs/model.md).

Every expected value is worked out by hand from the equations of docs/model.md, written
here as a formula or as the multiples of a daily volume that the hand
calculation gives; none is copied from a model run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import DAYS_PER_MONTH, alternative, minimal_config, service, strike

import facility_impact
from facility_impact import simulate, summarize
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import days_to_capacity
from facility_impact.run.workflow import simulate_parameters

CLINIC = "clinic"


def flow(results, name, service_name="outpatient"):
    """One facility-service series of the clinic as a numpy array over days."""
    return results[name].sel(facility=CLINIC, service=service_name).values


def daily(volume_per_month):
    return volume_per_month / DAYS_PER_MONTH


# ------------------------------------------------------------------ the issue's case


def total_destruction_config(horizon_days=120, volume=600.0):
    return minimal_config(
        services={"outpatient": service(volume, {"building": 1.0}, deferrable_share=0.0)},
        strikes=[strike(0, {"building": 1.0}, closure_days=30)],
        recovery={"building": {"curve": "linear", "time_days": 60, "recoverable_share": 1.0}},
        horizon_days=horizon_days,
    )


def test_total_destruction_loses_sixty_and_a_half_days_of_care():
    """Closed 30 days, then linear recovery over 60: 30 + Σ_{τ=0}^{59} (1 - τ/60) = 60.5 days."""
    volume = 600.0
    results = simulate(total_destruction_config(volume=volume))
    lost_days = 30 + sum(1 - tau / 60 for tau in range(60))
    assert lost_days == pytest.approx(60.5, rel=1e-15)
    lost = np.sum(flow(results, "demand") - flow(results, "served"))
    assert lost == pytest.approx(60.5 * volume / 30.4375, rel=1e-12)
    # No alternative and nothing deferrable: every lost patient is unmet.
    assert np.sum(flow(results, "unmet")) == pytest.approx(lost, rel=1e-12)
    assert np.all(flow(results, "served_elsewhere") == 0)
    assert np.all(flow(results, "backlog") == 0)


def test_total_destruction_capacity_day_by_day():
    volume = 600.0
    results = simulate(total_destruction_config(volume=volume))
    capacity = flow(results, "capacity")
    c0 = daily(volume)
    expected = np.array([0.0 if t < 30 else c0 * min(1.0, (t - 30) / 60) for t in range(120)])
    np.testing.assert_allclose(capacity, expected, rtol=1e-12, atol=1e-12 * c0)
    np.testing.assert_array_equal(results["is_open"].sel(facility=CLINIC).values[:30], 0.0)
    np.testing.assert_array_equal(results["is_open"].sel(facility=CLINIC).values[30:], 1.0)
    building = results["available"].sel(facility=CLINIC, resource="building").values
    np.testing.assert_allclose(building[:31], 0.0, atol=0)
    assert building[45] == pytest.approx(0.25, rel=1e-15)
    np.testing.assert_allclose(building[90:], 1.0, rtol=1e-15)
    staff = results["available"].sel(facility=CLINIC, resource="staff").values
    np.testing.assert_array_equal(staff, 1.0)


def test_total_destruction_capacity_loss_days_at_the_horizon():
    summary = summarize(simulate(total_destruction_config(horizon_days=120)))
    loss = summary["capacity_loss_days"].sel(facility=CLINIC, service="outpatient")
    assert float(loss.sel(period=120.0)) == pytest.approx(60.5, rel=1e-12)
    assert float(loss.sel(period=30.0)) == pytest.approx(30.0, rel=1e-12)
    # Days 0 … 89: 30 closed days and the whole 60-day ramp.
    assert float(loss.sel(period=90.0)) == pytest.approx(60.5, rel=1e-12)


# ------------------------------------------------------------------ partial damage


@pytest.mark.parametrize(
    ("staff_damage", "limit_before_step", "limit_after_step"),
    [
        # building: a = 0.2 then 0.2 + 0.6·0.8 = 0.68; weight 0.5 → 1 - 0.5·0.8 = 0.6,
        # then 1 - 0.5·0.32 = 0.84. Staff (weight 1, no recovery) caps at 1 - 0.3 = 0.7.
        (0.0, 0.6, 0.84),
        (0.3, 0.6, 0.7),
    ],
)
def test_partial_damage_with_step_and_no_recovery(
    staff_damage, limit_before_step, limit_after_step
):
    volume = 900.0
    config = minimal_config(
        services={"outpatient": service(volume, {"staff": 1.0, "building": 0.5})},
        strikes=[strike(2, {"building": 0.8, "staff": staff_damage})],
        recovery={
            "building": {"curve": "step", "time_days": 10, "recoverable_share": 0.6},
            "staff": {"curve": "none", "recoverable_share": 0.6},
        },
        horizon_days=30,
    )
    results = simulate(config)
    c0 = daily(volume)
    building = results["available"].sel(facility=CLINIC, resource="building").values
    staff = results["available"].sel(facility=CLINIC, resource="staff").values
    np.testing.assert_array_equal(building[:2], 1.0)
    np.testing.assert_allclose(building[2:12], 0.2, rtol=1e-14)
    np.testing.assert_allclose(building[12:], 0.2 + 0.6 * 0.8, rtol=1e-14)
    np.testing.assert_array_equal(staff[:2], 1.0)
    np.testing.assert_allclose(staff[2:], 1.0 - staff_damage, rtol=1e-14)

    capacity = flow(results, "capacity")
    np.testing.assert_allclose(capacity[:2], c0, rtol=1e-14)
    for day in (2, 5, 11):
        assert capacity[day] == pytest.approx(c0 * limit_before_step, rel=1e-12)
    for day in (12, 20, 29):
        assert capacity[day] == pytest.approx(c0 * limit_after_step, rel=1e-12)


def test_capacity_formula_with_weight_half_on_a_chosen_day():
    """C = C0 · (1 - w · (1 - a)) with w = 0.5, δ = 0.7, no recovery: C = 0.65 C0."""
    volume = 450.0
    config = minimal_config(
        services={"outpatient": service(volume, {"building": 0.5})},
        strikes=[strike(0, {"building": 0.7})],
        horizon_days=10,
    )
    capacity = flow(simulate(config), "capacity")
    np.testing.assert_allclose(capacity, daily(volume) * (1 - 0.5 * 0.7), rtol=1e-12)


def test_a_resource_the_service_does_not_need_does_not_limit_it():
    config = minimal_config(
        services={"outpatient": service(300.0, {"staff": 1.0})},
        strikes=[strike(0, {"building": 1.0})],
        horizon_days=5,
    )
    np.testing.assert_allclose(flow(simulate(config), "capacity"), daily(300.0), rtol=1e-14)


# ------------------------------------------------------------------ repeated strikes


def test_second_strike_compounds_on_a_partially_recovered_resource():
    """Each strike's loss recovers on its own clock of open days (docs/model.md).

    First strike: L1 = 0.5. On day 10 a = 0.5 + 0.5 · 10/20 = 0.75 and the second
    strike takes 0.4 of it, L2 = 0.3. Its closure (days 10-14) pauses both
    recoveries: open days before day t are c = t up to day 10, 10 until day 15,
    then t - 5. a(t) = 1 - 0.5 (1 - c/20) - 0.3 (1 - (c - 10)/20).
    """
    volume = 600.0
    config = minimal_config(
        services={"outpatient": service(volume, {"staff": 1.0})},
        strikes=[
            strike(0, {"staff": 0.5}),
            strike(10, {"staff": 0.4}, closure_days=5),
        ],
        recovery={"staff": {"curve": "linear", "time_days": 20, "recoverable_share": 1.0}},
        horizon_days=50,
    )
    results = simulate(config)
    clock = [t if t <= 10 else max(10, t - 5) for t in range(50)]
    expected = [
        1 - 0.5 * (1 - min(1.0, c / 20)) - (0.3 * (1 - min(1.0, (c - 10) / 20)) if t >= 10 else 0)
        for t, c in zip(range(50), clock, strict=True)
    ]
    staff = results["available"].sel(facility=CLINIC, resource="staff").values
    np.testing.assert_allclose(staff, expected, rtol=1e-13)
    assert staff[12] == pytest.approx(0.45, rel=1e-13)
    assert staff[25] == pytest.approx(1 - 0.3 * 0.5, rel=1e-13)

    c0 = daily(volume)
    capacity = flow(results, "capacity")
    is_open = np.array([0.0 if 10 <= t < 15 else 1.0 for t in range(50)])
    np.testing.assert_allclose(capacity, c0 * is_open * np.array(expected), rtol=1e-12)
    np.testing.assert_array_equal(results["is_open"].sel(facility=CLINIC).values, is_open)


def test_two_strikes_on_the_same_day_multiply_their_survival():
    config = minimal_config(
        services={"outpatient": service(300.0, {"staff": 1.0})},
        strikes=[strike(3, {"staff": 0.5}), strike(3, {"staff": 0.2})],
        horizon_days=6,
    )
    staff = simulate(config)["available"].sel(facility=CLINIC, resource="staff").values
    np.testing.assert_allclose(staff, [1, 1, 1, 0.5 * 0.8, 0.4, 0.4], rtol=1e-14)


def test_recovery_delay_postpones_an_immediate_recovery():
    """Linear T = 0 is immediate recovery, but only once the 5-day delay is over."""
    config = minimal_config(
        services={"outpatient": service(300.0, {"building": 1.0})},
        strikes=[strike(2, {"building": 1.0})],
        recovery={"building": {"curve": "linear", "time_days": 0, "delay_days": 5}},
        horizon_days=12,
    )
    building = simulate(config)["available"].sel(facility=CLINIC, resource="building").values
    expected = [1.0, 1.0] + [0.0] * 5 + [1.0] * 5  # struck on day 2, back on day 7
    np.testing.assert_array_equal(building, expected)


# ------------------------------------------------------------------ backlog


def test_backlog_waits_loses_attrition_and_is_served_after_reopening():
    """φ = 0.5, κ = 0.1, demand D = C0/2, closed days 1-3 (no damage)."""
    volume = 600.0
    config = minimal_config(
        services={
            "outpatient": service(
                volume,
                {"building": 1.0},
                demand_ratio=0.5,
                deferrable_share=0.5,
                backlog_attrition_per_day=0.1,
            )
        },
        strikes=[strike(1, {}, closure_days=3)],
        horizon_days=8,
    )
    results = simulate(config)
    d = 0.5 * daily(volume)  # daily demand; capacity when open is 2 d
    # By hand, in multiples of d:
    #   day 1: B = 0.5                       abandoned 0
    #   day 2: B = 0.9·0.5 + 0.5 = 0.95       abandoned 0.1·0.5 = 0.05
    #   day 3: B = 0.9·0.95 + 0.5 = 1.355     abandoned 0.095
    #   day 4: B' = 0.9·1.355 = 1.2195, spare capacity 1 serves 1 of it: B = 0.2195,
    #          served 1 + 1 = 2, abandoned 0.1355
    #   day 5: B' = 0.9·0.2195 = 0.19755, all served: served 1.19755, B = 0,
    #          abandoned 0.02195
    #   day 6, 7: nothing waits.
    backlog = [0, 0.5, 0.95, 1.355, 0.2195, 0, 0, 0]
    abandoned = [0, 0, 0.05, 0.095, 0.1355, 0.02195, 0, 0]
    served = [1, 0, 0, 0, 2, 1.19755, 1, 1]
    unmet = [0, 0.5, 0.5, 0.5, 0, 0, 0, 0]
    np.testing.assert_allclose(flow(results, "backlog"), np.multiply(backlog, d), atol=1e-12)
    np.testing.assert_allclose(flow(results, "abandoned"), np.multiply(abandoned, d), atol=1e-12)
    np.testing.assert_allclose(flow(results, "served"), np.multiply(served, d), atol=1e-12)
    np.testing.assert_allclose(flow(results, "unmet"), np.multiply(unmet, d), atol=1e-12)
    np.testing.assert_array_equal(flow(results, "served_elsewhere"), 0.0)


def test_abandoned_is_attrition_of_yesterdays_backlog():
    config = minimal_config(
        services={
            "outpatient": service(
                300.0, deferrable_share=0.7, backlog_attrition_per_day=0.25, demand_ratio=0.8
            )
        },
        strikes=[strike(0, {"building": 0.6}, closure_days=4)],
        recovery={"building": {"curve": "linear", "time_days": 10}},
        horizon_days=25,
    )
    results = simulate(config)
    backlog = flow(results, "backlog")
    abandoned = flow(results, "abandoned")
    assert abandoned[0] == 0.0
    np.testing.assert_allclose(abandoned[1:], 0.25 * backlog[:-1], rtol=1e-14, atol=0)


# ------------------------------------------------------------------ diversion


def diversion_config(
    alternatives,
    *,
    deferrable=0.25,
    willingness=0.8,
    decay_km=10.0,
    closure_days=10,
    horizon_days=20,
):
    """Outpatient 600 a month, closed from day 0 for ``closure_days``, no damage."""
    return minimal_config(
        services={
            "outpatient": service(
                600.0,
                {"building": 1.0},
                deferrable_share=deferrable,
                willingness_to_travel=willingness,
                distance_decay_km=decay_km,
            )
        },
        strikes=[strike(0, {}, closure_days=closure_days)],
        alternatives=alternatives,
        horizon_days=horizon_days,
    )


@pytest.mark.parametrize("spare_per_month", [10_000.0, 30.0])
def test_one_alternative_serves_arrivals_up_to_its_spare_capacity(spare_per_month):
    results = simulate(
        diversion_config([alternative("hospital", 5.0, {"outpatient": spare_per_month})])
    )
    d = daily(600.0)
    arrivals = (1 - 0.25) * d * 0.8 * math.exp(-5.0 / 10.0)
    expected = min(arrivals, daily(spare_per_month))
    elsewhere = flow(results, "served_elsewhere")
    np.testing.assert_allclose(elsewhere[:10], expected, rtol=1e-13)
    np.testing.assert_array_equal(elsewhere[10:], 0.0)  # open again, capacity C0 = D
    np.testing.assert_allclose(flow(results, "unmet")[:10], 0.75 * d - expected, rtol=1e-13)
    received = results["received_by_alternative"].sel(alternative="hospital", service="outpatient")
    np.testing.assert_allclose(received.values, elsewhere, rtol=1e-14, atol=0)
    np.testing.assert_allclose(flow(results, "backlog")[:10], 0.25 * d * np.arange(1, 11))


def test_two_alternatives_split_by_spare_capacity_and_distance():
    """Huff-type choice: the share who travel is α · exp(-d_nearest/λ); they split
    in proportion to spare · exp(-d/λ)."""
    alternatives = [
        alternative("hospital", 5.0, {"outpatient": 300.0}),
        alternative("centre", 20.0, {"outpatient": 100.0}),
    ]
    results = simulate(diversion_config(alternatives))
    travelling = 0.75 * daily(600.0) * 0.8 * math.exp(-5 / 10)
    weights = 300 * math.exp(-5 / 10), 100 * math.exp(-20 / 10)
    to_hospital = travelling * weights[0] / sum(weights)
    to_centre = travelling * weights[1] / sum(weights)
    assert to_hospital < daily(300.0) and to_centre < daily(100.0)  # spare does not bind
    received = results["received_by_alternative"].sel(service="outpatient")
    np.testing.assert_allclose(received.sel(alternative="hospital").values[:10], to_hospital)
    np.testing.assert_allclose(received.sel(alternative="centre").values[:10], to_centre)
    np.testing.assert_allclose(
        flow(results, "served_elsewhere")[:10], to_hospital + to_centre, rtol=1e-13
    )


def test_a_full_first_choice_sends_its_overflow_to_the_next():
    """The near hospital (2 km) has 50 a month to spare, the centre (10 km) 300.

    Travellers 0.75 · c0 · 0.8 e^-0.2 split 50 e^-0.2 : 300 e^-1; the hospital's
    share exceeds its spare, so it serves its spare and the rest try again, where
    only the centre has room left: every traveller is served.
    """
    alternatives = [
        alternative(
            "hospital", 2.0, {"outpatient": 50.0}, capacity_per_month={"outpatient": 300.0}
        ),
        alternative("centre", 10.0, {"outpatient": 300.0}),
    ]
    results = simulate(diversion_config(alternatives))
    travelling = 0.75 * daily(600.0) * 0.8 * math.exp(-0.2)
    weights = 50 * math.exp(-0.2), 300 * math.exp(-1.0)
    first_choice = travelling * weights[0] / sum(weights)
    assert first_choice > daily(50.0)  # the hospital is full
    received = results["received_by_alternative"].sel(service="outpatient")
    np.testing.assert_allclose(received.sel(alternative="hospital").values[:10], daily(50.0))
    np.testing.assert_allclose(
        received.sel(alternative="centre").values[:10], travelling - daily(50.0), rtol=1e-13
    )
    np.testing.assert_allclose(flow(results, "served_elsewhere")[:10], travelling, rtol=1e-13)


def test_received_by_alternatives_equals_served_elsewhere_every_day():
    alternatives = [
        alternative("hospital", 3.0, {"outpatient": 120.0}),
        alternative("centre", 12.0, {"outpatient": 80.0}, opens_day=4),
    ]
    results = simulate(diversion_config(alternatives, closure_days=15, horizon_days=25))
    received = results["received_by_alternative"].sum("alternative")
    elsewhere = results["served_elsewhere"].sum("facility")
    np.testing.assert_allclose(received.values, elsewhere.values, rtol=1e-13, atol=0)
    assert float(elsewhere.sum()) > 0


def test_alternative_out_of_reach_receives_nobody():
    results = simulate(diversion_config([alternative("far", math.inf, {"outpatient": 1e4})]))
    np.testing.assert_array_equal(flow(results, "served_elsewhere"), 0.0)
    np.testing.assert_array_equal(results["received_by_alternative"].values, 0.0)
    np.testing.assert_allclose(flow(results, "unmet")[:10], 0.75 * daily(600.0), rtol=1e-14)


def test_nobody_travels_without_willingness():
    config = diversion_config([alternative("near", 0.0, {"outpatient": 1e4})], willingness=0.0)
    results = simulate(config)
    np.testing.assert_array_equal(flow(results, "served_elsewhere"), 0.0)
    np.testing.assert_array_equal(results["received_by_alternative"].values, 0.0)


def test_alternative_receives_nobody_before_it_opens():
    config = diversion_config(
        [alternative("field_hospital", 2.0, {"outpatient": 1e4}, opens_day=10)],
        closure_days=20,
        horizon_days=25,
    )
    results = simulate(config)
    received = results["received_by_alternative"].sel(
        alternative="field_hospital", service="outpatient"
    )
    np.testing.assert_array_equal(received.values[:10], 0.0)
    expected = 0.75 * daily(600.0) * 0.8 * math.exp(-2 / 10)
    np.testing.assert_allclose(received.values[10:20], expected, rtol=1e-13)
    np.testing.assert_array_equal(received.values[20:], 0.0)


# ------------------------------------------------------------------ demand


def test_casualties_add_to_demand_on_the_strike_day_only():
    emergency_volume, outpatient_volume = 300.0, 600.0
    config = minimal_config(
        services={
            "outpatient": service(outpatient_volume),
            "emergency": service(emergency_volume),
        },
        strikes=[
            strike(3, {}, casualties=12),
            strike(7, {}, casualties=5, casualty_service="outpatient"),
        ],
        horizon_days=10,
    )
    results = simulate(config)
    emergency = np.full(10, daily(emergency_volume))
    emergency[3] += 12
    outpatient = np.full(10, daily(outpatient_volume))
    outpatient[7] += 5
    np.testing.assert_allclose(flow(results, "demand", "emergency"), emergency, rtol=1e-14)
    np.testing.assert_allclose(flow(results, "demand", "outpatient"), outpatient, rtol=1e-14)


def test_displacement_shrinks_population_and_demand():
    volume = 600.0
    config = minimal_config(
        services={"outpatient": service(volume, demand_ratio=1.2)},
        displacement={"share": 0.4, "curve": "linear", "time_days": 20, "start_day": 5},
        horizon_days=40,
    )
    results = simulate(config)
    population = [10_000 * (1 - 0.4 * min(1.0, max(0.0, (t - 5) / 20))) for t in range(40)]
    np.testing.assert_allclose(
        results["population"].sel(facility=CLINIC).values, population, rtol=1e-14
    )
    assert population[15] == pytest.approx(8000.0)
    demand = 1.2 * daily(volume) * np.array(population) / 10_000
    np.testing.assert_allclose(flow(results, "demand"), demand, rtol=1e-14)


def test_immediate_displacement_starts_on_its_start_day():
    config = minimal_config(
        displacement={"share": 0.5, "curve": "linear", "time_days": 0, "start_day": 10},
        horizon_days=15,
    )
    population = simulate(config)["population"].sel(facility=CLINIC).values
    np.testing.assert_array_equal(population, [10_000.0] * 10 + [5_000.0] * 5)


def test_demand_multiplier_applies_on_its_half_open_period():
    volume = 600.0
    config = minimal_config(
        services={
            "outpatient": service(
                volume,
                demand_multipliers=[
                    {"start_day": 10, "end_day": 20, "factor": 1.5},
                    {"start_day": 25, "factor": 0.5},
                ],
            )
        },
        horizon_days=30,
    )
    factor = np.array([1.5 if 10 <= t < 20 else 0.5 if t >= 25 else 1.0 for t in range(30)])
    demand = flow(simulate(config), "demand")
    np.testing.assert_allclose(demand, daily(volume) * factor, rtol=1e-14)


def test_demand_ratio_scales_demand_but_not_capacity():
    config = minimal_config(services={"outpatient": service(600.0, demand_ratio=1.3)})
    results = simulate(config)
    np.testing.assert_allclose(flow(results, "demand"), 1.3 * daily(600.0), rtol=1e-14)
    np.testing.assert_allclose(flow(results, "capacity"), daily(600.0), rtol=1e-14)
    np.testing.assert_allclose(flow(results, "unmet"), 0.3 * daily(600.0), rtol=1e-12)


# ------------------------------------------------------------------ dates


def test_start_date_gives_a_calendar_time_axis_and_places_dated_strikes():
    config = minimal_config(
        strikes=[{"date": dt.date(2016, 2, 20), "damage": {}, "closure_days": 3}],
        start_date=dt.date(2016, 2, 15),
        horizon_days=20,
    )
    results = simulate(config)
    time = results["time"].values
    assert np.issubdtype(time.dtype, np.datetime64)
    assert time[0] == np.datetime64("2016-02-15")
    assert time[-1] == np.datetime64("2016-03-05")  # 2016 is a leap year: Feb has 29 days
    np.testing.assert_array_equal(np.diff(time), np.timedelta64(1, "D"))
    np.testing.assert_array_equal(results["day"].values, np.arange(20))
    is_open = results["is_open"].sel(facility=CLINIC).values
    np.testing.assert_array_equal(np.flatnonzero(is_open == 0), [5, 6, 7])
    assert float(results["strike_day"].values[0]) == 5


def test_without_start_date_time_counts_days():
    results = simulate(minimal_config(horizon_days=7))
    np.testing.assert_array_equal(results["time"].values, np.arange(7))


# ------------------------------------------------------------------ summaries


def test_forgone_care_at_thirty_days():
    """Strike on day 3, closed 10 days, linear recovery over 40 days; window days 3-32."""
    volume = 600.0
    config = minimal_config(
        services={"outpatient": service(volume, {"building": 1.0})},
        strikes=[strike(3, {"building": 1.0}, closure_days=10)],
        recovery={"building": {"curve": "linear", "time_days": 40}},
        horizon_days=60,
    )
    summary = summarize(simulate(config))
    forgone = summary["forgone_care"].sel(facility=CLINIC, service="outpatient")
    # 10 closed days, then days 13-32 at 1 - τ/40 lost, τ = 0 … 19: 20 - 190/40 = 15.25.
    expected_days = 10 + sum(1 - tau / 40 for tau in range(20))
    assert expected_days == pytest.approx(25.25)
    assert float(forgone.sel(period=30.0)) == pytest.approx(25.25 * daily(volume), rel=1e-12)
    # The horizon leaves 57 days after the strike: the 90-day window is not complete.
    assert 57.0 in summary["period"].values
    assert math.isnan(float(forgone.sel(period=90.0)))
    # Days 3-59: 10 closed days and the full 40-day ramp (Σ (1 - τ/40) = 20.5).
    assert float(forgone.sel(period=57.0)) == pytest.approx(30.5 * daily(volume), rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("strike_day", [0, 7])
def test_days_to_capacity_after_a_linear_recovery(strike_day):
    """Closed 10 days then C/C0 = (t - t0 - 10)/20: 50 % on day 20, 90 % on day 28."""
    config = minimal_config(
        services={"outpatient": service(600.0, {"building": 1.0})},
        strikes=[strike(strike_day, {"building": 1.0}, closure_days=10)],
        recovery={"building": {"curve": "linear", "time_days": 20}},
        horizon_days=60,
    )
    results = simulate(config)
    half = days_to_capacity(results, 0.5).sel(facility=CLINIC, service="outpatient")
    most = days_to_capacity(results, 0.9).sel(facility=CLINIC, service="outpatient")
    assert float(half) == 20
    assert float(most) == 28
    summary = summarize(results)["days_to_capacity"].sel(facility=CLINIC, service="outpatient")
    assert float(summary.sel(threshold=0.5)) == 20
    assert float(summary.sel(threshold=0.9)) == 28


def test_days_to_capacity_is_zero_when_capacity_never_dips():
    config = minimal_config(
        services={"outpatient": service(600.0, {"building": 0.5})},
        strikes=[strike(4, {"building": 0.2})],  # capacity 0.9 C0 at worst
        horizon_days=30,
    )
    results = simulate(config)
    assert float(days_to_capacity(results, 0.5).sel(facility=CLINIC, service="outpatient")) == 0


def test_days_to_capacity_is_inf_when_not_back_within_the_horizon():
    config = minimal_config(
        services={"outpatient": service(600.0, {"building": 1.0})},
        strikes=[strike(0, {"building": 1.0})],
        recovery={"building": {"curve": "linear", "time_days": 100}},
        horizon_days=30,
    )
    results = simulate(config)
    value = days_to_capacity(results, 0.5).sel(facility=CLINIC, service="outpatient")
    # Its own value, later than any day simulated; NaN is kept for "not offered".
    assert math.isinf(float(value)) and float(value) > 0


# ------------------------------------------------------------------ output contract


def registry():
    text = files("facility_impact").joinpath("data/variables.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def test_every_contract_variable_is_present_with_its_dims_and_metadata():
    config = minimal_config(
        services={
            "outpatient": service(600.0, willingness_to_travel=0.5, distance_decay_km=10.0),
        },
        strikes=[strike(0, {"building": 0.5}, closure_days=2)],
        alternatives=[alternative("hospital", 4.0, {"outpatient": 100.0})],
        horizon_days=10,
    )
    results = simulate(config)
    # Results of the kernel, and the parameters every result carries (outcome
    # rates and input quantiles only when a configuration has them).
    table = {
        name: entry
        for name, entry in registry().items()
        if entry["kind"] == "result" or name in ("baseline_capacity", "baseline_quantity")
    }
    assert table, "variables.toml lists no variable"
    for name, entry in table.items():
        assert name in results.data_vars, name
        assert results[name].dims == tuple(entry["dims"]), name
        assert results[name].attrs["units"] == entry["units"], name
        assert results[name].attrs["long_name"] == entry["long_name"], name
    for name, variable in results.data_vars.items():
        assert "units" in variable.attrs and "long_name" in variable.attrs, name


def test_result_attributes_record_the_inputs():
    config = minimal_config(seed=42, horizon_days=5)
    results = simulate(config)
    assert results.attrs["seed"] == 42
    assert results.attrs["facility_impact_version"] == facility_impact.__version__
    recorded = json.loads(results.attrs["configuration"])
    assert recorded["facility"]["clinic"]["population"] == 10_000
    assert recorded["run"]["horizon_days"] == 5


def test_baseline_variables():
    config = minimal_config(
        services={"outpatient": service(600.0), "surgery": service(90.0, {"staff": 1.0})}
    )
    results = simulate(config)
    np.testing.assert_allclose(
        results["baseline_capacity"].sel(facility=CLINIC).values,
        [600 / 30.4375, 90 / 30.4375],
        rtol=1e-15,
    )
    assert list(results["service"].values) == ["outpatient", "surgery"]
    quantity = results["baseline_quantity"].sel(facility=CLINIC)
    assert float(quantity.sel(resource="staff")) == 10
    assert float(quantity.sel(resource="building")) == 1


def test_without_strikes_nothing_is_lost():
    results = simulate(
        minimal_config(services={"outpatient": service(600.0, deferrable_share=0.5)})
    )
    np.testing.assert_allclose(flow(results, "served"), daily(600.0), rtol=1e-14)
    for name in ("unmet", "abandoned", "backlog", "served_elsewhere"):
        np.testing.assert_array_equal(flow(results, name), 0.0)


def test_an_extra_parameter_dim_broadcasts_like_separate_runs():
    """A parameter with a dim beyond the structural ones (a sweep, draws) gives one
    result per coordinate, each equal to the run with that value alone."""
    config = facility_impact.load_config(
        Path(__file__).parents[1] / "configs" / "maarat_al_numan.toml"
    )
    params = build_parameters(config)
    closures = xr.DataArray([7.0, 30.0, 90.0], dims="closure_days")
    swept = params.assign(
        strike_closure_days=(params["strike_closure_days"] * 0 + closures).assign_attrs(
            params["strike_closure_days"].attrs
        )
    )
    results = simulate_parameters(swept)
    assert results["served"].dims == ("closure_days", "facility", "service", "time")
    for index, closure in enumerate(closures.values):
        single = params.assign(strike_closure_days=params["strike_closure_days"] * 0 + closure)
        alone = simulate_parameters(single)
        for name in ("capacity", "served", "served_elsewhere", "unmet", "backlog", "available"):
            np.testing.assert_array_equal(
                results[name].isel(closure_days=index).values, alone[name].values
            )
