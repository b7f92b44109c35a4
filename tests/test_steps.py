"""Each step of the day (facility_impact.model.steps) against values worked out by hand.

Arrays are tiny: one or two facilities, services, resources, strikes and one
ensemble point (the last axis), so every expected number can be checked on
paper; the comments show the working.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from facility_impact.curves import CURVE_CODES, linear
from facility_impact.model import steps

FLOAT = np.dtype(np.float64)


def days(*values: float) -> np.ndarray:
    """Days [d] shaped ``(T, 1, 1)``, as the kernel holds them."""
    return np.array(values, dtype=float)[:, None, None]


def column(*values: float) -> np.ndarray:
    """One value per facility, one ensemble point: ``(F, 1)``."""
    return np.array(values, dtype=float)[:, None]


def test_population_falls_along_the_displacement_curve():
    # P0 = 1000, half displaced along a linear curve of 2 d starting on day 1:
    # g(t - 1) = 0, 0, 0.5, 1 on days 0..3, so P = 1000 (1 - 0.5 g).
    population = steps.population(
        days(0, 1, 2, 3),
        baseline=column(1000.0),
        share=column(0.5),
        start_day=column(1.0),
        curve=column(CURVE_CODES["linear"]),
        time_days=column(2.0),
        mean_days=column(0.0),
        sd_days=column(0.0),
    )
    assert population.shape == (4, 1, 1)
    np.testing.assert_array_equal(population[:, 0, 0], [1000.0, 1000.0, 750.0, 500.0])


def test_open_days_from_opening_to_closing_less_the_strike_closure():
    # Opens on day 1, closes for good on day 5; a strike on day 2 closes it for
    # 2 days (days 2 and 3).
    open_days = steps.open_days(
        days(0, 1, 2, 3, 4, 5),
        opens_day=column(1.0),
        closes_day=column(5.0),
        strike_day=column(2.0),
        strike_end=column(4.0),
        is_target=np.ones((1, 1, 1), dtype=bool),
    )
    assert open_days.opened[:, 0, 0].tolist() == [False, True, True, True, True, True]
    assert open_days.closed_for_good[:, 0, 0].tolist() == [False] * 5 + [True]
    assert open_days.is_open[:, 0, 0].tolist() == [False, True, False, False, True, False]


def test_a_strike_the_facility_is_not_the_target_of_leaves_it_open():
    open_days = steps.open_days(
        days(0, 1, 2),
        opens_day=column(0.0, 0.0),
        closes_day=column(math.inf, math.inf),
        strike_day=column(1.0),
        strike_end=column(3.0),
        is_target=np.array([[True], [False]])[None],  # strike 0 hits facility 0 only
    )
    assert open_days.is_open[:, :, 0].tolist() == [[True, True], [False, True], [False, True]]


def _strike(day: int) -> steps.Struck:
    # One facility, two resources with 80 % and 100 % left; a strike on day 3
    # destroys half of the first and a quarter of the second; its closure ends on day 10.
    available = np.array([[[0.8], [1.0]]])  # (F, R, n)
    return steps.strike(
        day,
        available=available,
        anchor=available.copy(),
        recovery_start=np.full((1, 2, 1), np.inf),
        strike_day=column(3.0),
        strike_end=column(10.0),
        is_target=np.ones((1, 1, 1), dtype=bool),
        damage_on=np.array([[[0.5], [0.25]]])[None],  # (K, F, R, n)
        dtype=FLOAT,
    )


def test_a_strike_multiplies_what_was_left_and_restarts_recovery_after_the_closure():
    struck = _strike(3)
    # 0.8 × (1 - 0.5) = 0.4 and 1.0 × (1 - 0.25) = 0.75.
    np.testing.assert_array_equal(struck.anchor[0, :, 0], [0.4, 0.75])
    np.testing.assert_array_equal(struck.recovery_start[0, :, 0], [10.0, 10.0])
    assert struck.hit_today.tolist() == [[True]]


def test_no_strike_today_changes_nothing():
    struck = _strike(4)
    np.testing.assert_array_equal(struck.anchor[0, :, 0], [0.8, 1.0])
    assert np.isinf(struck.recovery_start).all()


def test_availability_recovers_the_recoverable_share_along_the_curve():
    # Anchor 0.4, recovery from day 10 after a 2-day delay, half of the lost 0.6
    # recoverable, linear over 4 d: on days 12..16 g = 0, 1/4, 1/2, 3/4, 1,
    # so a = 0.4 + 0.5 × 0.6 × g.
    available = steps.availability(
        days(12, 13, 14, 15, 16)[..., None],
        anchor=np.array([[[0.4]]]),
        recovery_start=np.array([[[10.0]]]),
        delay_days=np.array([[[2.0]]]),
        recoverable=np.array([[[0.5]]]),
        restoration=lambda tau: linear(tau, 4.0),
        dtype=FLOAT,
    )
    assert available.shape == (5, 1, 1, 1)
    np.testing.assert_allclose(available[:, 0, 0, 0], [0.4, 0.475, 0.55, 0.625, 0.7], rtol=1e-15)


def test_capacity_is_limited_by_the_scarcest_needed_resource():
    # 10 patients a day; building at 50 % (fully needed), staff at 80 % (half
    # needed): losses w (1 - a) are 0.5 and 0.1, so 10 × (1 - 0.5) = 5 when open.
    capacity = steps.capacity(
        baseline=np.array([[[10.0]]]),  # (F, S, n)
        open_fraction=np.array([[[[1.0]]], [[[0.0]]]]),  # (W, F, 1, n): open, then closed
        available=np.array([[[[0.5], [0.8]]]] * 2),  # (W, F, R, n)
        weight=np.array([[[[1.0]], [[0.5]]]]),  # (F, R, S, n)
    )
    np.testing.assert_array_equal(capacity[:, 0, 0, 0], [5.0, 0.0])


def test_capacity_ignores_a_resource_the_service_does_not_need():
    capacity = steps.capacity(
        baseline=np.array([[[10.0]]]),
        open_fraction=np.ones((1, 1, 1, 1)),
        available=np.array([[[[0.0]]]]),  # the only resource is gone ...
        weight=np.zeros((1, 1, 1, 1)),  # ... but not needed
    )
    assert capacity[0, 0, 0, 0] == 10.0


def test_demand_scales_with_population_and_multiplier_and_adds_casualties_on_day_one():
    # 10 patients a day at full population; 90 % of the people left and demand
    # doubled: 10 × 0.9 × 2 = 18 a day; 4 casualties on the first day: 22.
    casualties = steps.casualties(
        hit_today=np.array([[True]]),
        casualty_load=np.array([[[[4.0]]]]),  # (K, F, S, n)
        dtype=FLOAT,
    )
    demand = steps.demand(
        baseline=np.array([[[10.0]]]),
        population_ratio=np.full((2, 1, 1, 1), 0.9),
        multiplier=np.full((2, 1, 1, 1), 2.0),
        opened_fraction=np.ones((2, 1, 1, 1)),
        first_day_casualties=casualties,
        points=1,
    )
    np.testing.assert_allclose(demand[:, 0, 0, 0], [22.0, 18.0], rtol=1e-15)


def test_no_demand_before_the_facility_opens_and_no_casualties_without_a_strike():
    demand = steps.demand(
        baseline=np.array([[[10.0]]]),
        population_ratio=np.ones((2, 1, 1, 1)),
        multiplier=np.ones((2, 1, 1, 1)),
        opened_fraction=np.array([0.0, 1.0])[:, None, None, None],
    )
    np.testing.assert_array_equal(demand[:, 0, 0, 0], [0.0, 10.0])
    casualties = steps.casualties(np.array([[False]]), np.array([[[[4.0]]]]), FLOAT)
    assert casualties.tolist() == [[[0.0]]]


def test_nobody_waits_for_a_facility_closed_for_good():
    attrition, deferrable = steps.closed_for_good_today(
        gone=np.array([[[True]], [[False]]]),  # (F, 1, n)
        attrition=np.array([[[0.1]], [[0.1]]]),
        deferrable=np.array([[[0.5]], [[0.5]]]),
        dtype=FLOAT,
    )
    assert attrition.ravel().tolist() == [1.0, 0.1]
    assert deferrable.ravel().tolist() == [0.0, 0.5]


def test_local_service_serves_new_patients_then_the_backlog():
    # Capacity 10, 8 new patients, 6 waiting of whom half give up (3): all 8 new
    # and 2 of the 3 still waiting are served.
    local = steps.local_service(
        capacity=np.array([10.0]),
        demand=np.array([8.0]),
        backlog=np.array([6.0]),
        attrition=np.array([0.5]),
        deferrable=np.array([0.25]),
    )
    assert local.abandoned.tolist() == [3.0]
    assert local.backlog_kept.tolist() == [3.0]
    assert local.served_backlog.tolist() == [2.0]
    assert local.served.tolist() == [10.0]
    assert local.waiting.tolist() == [0.0] and local.seeking.tolist() == [0.0]
    # Tonight: 3 - 2 + 0 wait.
    assert steps.backlog(local.backlog_kept, local.served_backlog, local.waiting).tolist() == [1.0]


def test_local_service_when_new_patients_exceed_capacity():
    # Capacity 5, 9 new patients, 4 waiting of whom a quarter give up (1): 5 new
    # served, none of the 3 still waiting; of the 4 new unserved half wait (2)
    # and half seek care elsewhere (2). Tonight 3 + 2 = 5 wait.
    abandoned, served = np.empty(1), np.empty(1)
    local = steps.local_service(
        capacity=np.array([5.0]),
        demand=np.array([9.0]),
        backlog=np.array([4.0]),
        attrition=np.array([0.25]),
        deferrable=np.array([0.5]),
        abandoned_out=abandoned,
        served_out=served,
    )
    assert local.abandoned is abandoned and local.served is served
    assert (abandoned.tolist(), served.tolist()) == ([1.0], [5.0])
    assert local.served_backlog.tolist() == [0.0]
    assert (local.waiting.tolist(), local.seeking.tolist()) == ([2.0], [2.0])
    tonight = np.empty(1)
    steps.backlog(local.backlog_kept, local.served_backlog, local.waiting, out=tonight)
    assert tonight.tolist() == [5.0]


def test_diversion_shares_weigh_attraction_and_distance():
    # α = 0.5, λ = 10 km; destinations 0 km and 10 km away with capacities 30 and
    # 10: weights 3/4 and 1/4, decay 1 and e^-1.
    shares = steps.diversion_shares(
        willingness=np.array([[0.5]]),
        decay_km=np.array([[10.0]]),
        distance_km=np.array([[0.0, 10.0]]),
        attraction=np.array([[30.0, 10.0]]),
    )
    np.testing.assert_allclose(shares, [[0.375, 0.125 * math.exp(-1.0)]], rtol=1e-15)


def test_destination_shares_skip_the_sender_and_closed_alternatives():
    # One facility (10 a day) and one alternative 3 km away (capacity 20, spare 5);
    # 40 % willing to travel, no distance decay. The sender never heads for itself,
    # so all 40 % head for the alternative while it is open, none once it is closed.
    def shares_when(alternative_open: bool) -> tuple[np.ndarray, np.ndarray]:
        return steps.destination_shares(
            open_capacity=np.array([[[10.0]]]),  # (F, S, n)
            alternative_open=np.array([[[alternative_open]]]),  # (J, 1, n)
            alternative_capacity=np.array([[[20.0]]]),
            alternative_spare=np.array([[[5.0]]]),
            willingness=np.array([[[0.4]]]),
            decay_km=np.array([[[math.inf]]]),
            distance_km=np.array([[[0.0], [3.0]]]),  # (F, D, n)
            elsewhere=np.array([[[0.0, 1.0]]]),  # (F, 1, D)
        )

    shares, spare = shares_when(True)
    assert shares.shape == (2, 1, 1, 1)  # (D, F, S, n)
    np.testing.assert_allclose(shares.ravel(), [0.0, 0.4], rtol=1e-15)
    assert spare.ravel().tolist() == [5.0]
    shares, spare = shares_when(False)
    assert shares.ravel().tolist() == [0.0, 0.0] and spare.ravel().tolist() == [0.0]


def test_diversion_serves_arrivals_pro_rata_up_to_spare_capacity():
    # Facilities A and B send everyone seeking care (4 and 2 patients) to C, whose
    # capacity 10 leaves 3 spare after serving 7: C takes half of each sender's.
    shares = np.zeros((3, 3, 1, 1))  # (D, F, S, n)
    shares[2, 0] = shares[2, 1] = 1.0
    spare = np.empty((3, 1, 1))
    diverted = steps.diversion(
        shares,
        seeking=np.array([[[4.0]], [[2.0]], [[0.0]]]),
        capacity=np.array([[[10.0]], [[10.0]], [[10.0]]]),
        served=np.array([[[10.0]], [[10.0]], [[7.0]]]),
        spare=spare,
    )
    assert spare.ravel().tolist() == [0.0, 0.0, 3.0]
    assert diverted.arriving.ravel().tolist() == [0.0, 0.0, 6.0]
    assert diverted.absorbed.ravel().tolist() == [0.0, 0.0, 3.0]
    assert diverted.served_elsewhere.ravel().tolist() == [2.0, 1.0, 0.0]
    assert diverted.unmet.ravel().tolist() == [2.0, 1.0, 0.0]


def test_diversion_writes_into_the_buffers_it_is_given():
    buffers = steps.DiversionBuffers(
        heading=np.empty((1, 1, 1, 1)),
        arriving=np.empty((1, 1, 1)),
        absorbed=np.empty((1, 1, 1)),
        served_elsewhere=np.empty((1, 1, 1)),
        unmet=np.empty((1, 1, 1)),
    )
    diverted = steps.diversion(
        np.zeros((1, 1, 1, 1)),
        seeking=np.array([[[3.0]]]),
        capacity=np.array([[[1.0]]]),
        served=np.array([[[1.0]]]),
        spare=np.empty((1, 1, 1)),
        buffers=buffers,
    )
    assert diverted.unmet is buffers.unmet and diverted.arriving is buffers.arriving
    assert buffers.unmet.ravel().tolist() == [3.0]  # nobody may travel: all unmet


@pytest.mark.parametrize("per_point", [False, True])
def test_restoration_evaluates_each_family_on_its_own_cells(per_point: bool):
    # One facility, four resources: no recovery, a step of 2 d, linear over 4 d,
    # normal with μ = 2 d and σ = 0 (a step at μ). τ = -1, 1, 2 d.
    code = np.array([[0, CURVE_CODES["step"], CURVE_CODES["linear"], CURVE_CODES["normal"]]])
    time_days = np.array([[0.0, 2.0, 4.0, 0.0]])[..., None]
    mean_days = np.array([[0.0, 0.0, 0.0, 2.0]])[..., None]
    sd_days = np.zeros((1, 4, 1))
    codes = code[..., None].astype(float)
    if per_point:  # a family per ensemble point: the general path
        codes = np.repeat(codes, 2, axis=-1)
    restoration = steps.Restoration(codes, time_days, mean_days, sd_days)
    tau = np.array([-1.0, 1.0, 2.0])[:, None, None, None] * np.ones((1, 1, 4, codes.shape[-1]))
    restored = restoration(tau)[..., 0]  # (τ, F, R)
    expected = [
        [0.0, 0.0, 0.0, 0.0],  # before recovery starts
        [0.0, 0.0, 0.25, 0.0],
        [0.0, 1.0, 0.5, 1.0],
    ]
    np.testing.assert_array_equal(restored[:, 0, :], expected)


def test_broadcast_last_matches_the_longest_ensemble_axis():
    a, b = steps.broadcast_last(np.zeros((2, 1)), np.zeros((3, 4)))
    assert a.shape == (2, 4) and b.shape == (3, 4)
