"""Each step of the day (facility_impact.model.steps and .choice) against values
worked out by hand.

Arrays are tiny: one or two facilities, services, resources, strikes and one
ensemble point (the last axis), so every expected number can be checked on
paper; the comments and docstrings show the working.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from facility_impact.curves import CURVE_CODES
from facility_impact.model import choice, steps

LINEAR, EXPONENTIAL, NONE = (CURVE_CODES[n] for n in ("linear", "exponential", "none"))


def days(*values: float) -> np.ndarray:
    """Days [d] shaped ``(T, 1, 1)``, as the kernel holds them."""
    return np.array(values, dtype=float)[:, None, None]


def column(*values: float) -> np.ndarray:
    """One value per facility (or strike, or fate), one ensemble point: ``(n, 1)``."""
    return np.array(values, dtype=float)[:, None]


def curve(code: int, time_days: float = 0.0) -> tuple[np.ndarray, ...]:
    return (column(code), column(time_days), column(0.0), column(0.0))


# ------------------------------------------------------------------ population


def test_population_leaves_and_a_share_comes_back():
    """Half leave along a linear 2-day curve from day 1; 40 % of them come back along
    a linear 4-day curve from day 3: π = 1 - 0.5 g_L (1 - 0.4 g_R)."""
    present = steps.population_share(
        days(0, 1, 2, 3, 5, 7),
        column(0.5),
        column(1.0),
        curve(LINEAR, 2.0),
        column(0.4),
        column(3.0),
        curve(LINEAR, 4.0),
    )
    g_leave = np.array([0, 0, 0.5, 1, 1, 1])
    g_back = np.array([0, 0, 0, 0, 0.5, 1])
    expected = 1 - 0.5 * g_leave * (1 - 0.4 * g_back)
    np.testing.assert_allclose(present[:, 0, 0], expected, rtol=1e-15)
    assert present[-1, 0, 0] == pytest.approx(0.7)  # 20 % of the people stay away


def test_open_day_clock_counts_open_days_before_each_day():
    is_open = np.array([1, 1, 0, 0, 1, 1], dtype=bool)[:, None, None]
    clock = steps.open_day_clock(is_open, start=np.array([[7.0]]))
    np.testing.assert_array_equal(clock[:, 0, 0], [7, 8, 9, 9, 9, 10])


def test_open_days_close_the_target_for_the_closure_only():
    opened = steps.open_days(
        days(0, 1, 2, 3),
        column(0.0, 0.0),
        column(math.inf, 2.0),
        strike_day=column(1.0),
        strike_end=column(2.0),
        is_target=np.array([[[True], [False]]]),
    )
    np.testing.assert_array_equal(opened.is_open[:, :, 0], [[1, 1], [0, 1], [1, 0], [1, 0]])


# ------------------------------------------------------------------ strikes


def test_staff_fates_come_first_then_the_damage_takes_its_share_of_what_is_left():
    """Staff available 0.6; the strike kills 0.1 and injures 0.2 of the baseline staff,
    and its damage fraction 0.5 hits staff and beds. Staff left after the fates:
    0.6 - 0.3 = 0.3, so L_staff = 0.3 · 0.5 = 0.15; beds (0.8) lose 0.4."""
    staff_resource = column(1.0, 0.0)  # resources: staff, beds
    loss = steps.strike_loss(
        available_before=np.array([[[0.6], [0.8]]]),
        is_target=np.array([[True]]),
        damage=column(0.5, 0.5),
        staff_share=column(0.1, 0.2, 0.0, 0.0),
        staff_resource=staff_resource,
    )
    np.testing.assert_allclose(loss.staff_loss[:, 0], [0.1, 0.2, 0, 0])
    np.testing.assert_allclose(loss.resource_loss[0, :, 0], [0.15, 0.4])


def test_a_strike_cannot_take_more_staff_than_are_there():
    """0.3 of the staff are there; the fates ask 0.2 + 0.4: scaled by 0.3/0.6 = 1/2."""
    loss = steps.strike_loss(
        np.array([[[0.3]]]),
        np.array([[True]]),
        column(0.0),
        column(0.0, 0.0, 0.2, 0.4),
        column(1.0),
    )
    np.testing.assert_allclose(loss.staff_loss[:, 0], [0, 0, 0.1, 0.2])
    np.testing.assert_allclose(loss.resource_loss, 0.0)


def test_each_strikes_loss_recovers_on_its_own_clock_and_the_rest_is_lost_for_good():
    """Two strikes on one resource, linear 10 d, 60 % recoverable, no delay:
    L1 = 0.5 (6 open days ago), L2 = 0.2 (just now).
    lost = 0.5 (1 - 0.6 · 0.6) + 0.2 (1 - 0) = 0.32 + 0.2."""
    lost = steps.resource_lost(
        losses=np.array([[[[0.5]]], [[[0.2]]]]),  # (K, F, R, n)
        clock_since=np.array([[[6.0]], [[0.0]]]),  # (K, F, n)
        delay_days=np.array([[[0.0]]]),
        recoverable=np.array([[[0.6]]]),
        recovery_curve=(
            np.array([[[LINEAR]]]),
            np.array([[[10.0]]]),
            np.zeros((1, 1, 1)),
            np.zeros((1, 1, 1)),
        ),
    )
    assert lost[0, 0, 0] == pytest.approx(0.52, rel=1e-14)


@pytest.mark.parametrize(
    ("fate", "days_since", "expected"),
    [
        # killed: never back; recruitment refills 0.8 (1 - e^-1) of the posts after 90 d
        (0, 90.0, 0.1 * (1 - 0.8 * (1 - math.exp(-1)))),
        # injured: 0.9 back along a linear 30-day curve: after 15 d, 0.45 back
        (1, 15.0, 0.1 * (1 - 0.45) * (1 - 0.8 * (1 - math.exp(-15 / 90)))),
        # abducted: 0.3 come back along an exponential of 90 d
        (2, 90.0, 0.1 * (1 - 0.3 * (1 - math.exp(-1))) * (1 - 0.8 * (1 - math.exp(-1)))),
        # fled: none back before the strike day
        (3, -1.0, 0.1),
    ],
)
def test_staff_come_back_as_their_fate_allows_and_recruitment_fills_the_rest(
    fate, days_since, expected
):
    shares = np.zeros((1, 4, 1))
    shares[0, fate, 0] = 0.1
    missing = steps.staff_lost(
        staff_losses=shares,
        since_strike=column(days_since),
        is_target=np.array([[[True]]]),
        return_share=column(0.0, 0.9, 0.3, 0.5),
        return_curve=(
            column(NONE, LINEAR, EXPONENTIAL, EXPONENTIAL),
            column(0.0, 30.0, 90.0, 120.0),
            column(0, 0, 0, 0),
            column(0, 0, 0, 0),
        ),
        recruitment_share=np.array([0.8]),
        recruitment_curve=(
            np.array([EXPONENTIAL]),
            np.array([90.0]),
            np.zeros(1),
            np.zeros(1),
        ),
    )
    assert missing[0, 0] == pytest.approx(expected, rel=1e-14)


# ------------------------------------------------------------------ capacity


def test_capacity_is_the_lesser_of_the_dependency_limit_and_what_the_resources_support():
    """C0 = 6/day. Beds at 0.5 with weight 1: C0 · 0.5 = 3. Beds support 0.2 a bed-day,
    30 beds: K = 6 → K · 0.5 = 3; staff (54, 0.2 a day each, K = 10.8) at 0.25: 2.7.
    The scarcest gives 2.7."""
    capacity = steps.capacity(
        baseline=np.array([[[6.0]]]),
        is_open=np.array([[[True]]]),
        available=np.array([[[0.5], [0.25]]]),  # beds, staff
        weight=np.array([[[[1.0]], [[0.0]]]]),  # (F, R, S, ·): beds only as a dependency
        resource_capacity=np.array([[[[6.0]], [[10.8]]]]),
    )
    assert capacity[0, 0, 0] == pytest.approx(2.7, rel=1e-14)


def test_a_resource_without_throughput_does_not_limit_and_closed_means_zero():
    weight = np.array([[[[0.5]]]])
    unlimited = np.array([[[[np.inf]]]])
    open_capacity = steps.capacity(
        np.array([[[10.0]]]), np.array([[[True]]]), np.array([[[0.0]]]), weight, unlimited
    )
    assert open_capacity[0, 0, 0] == pytest.approx(5.0)  # 10 · (1 - 0.5 · 1)
    closed = steps.capacity(
        np.array([[[10.0]]]), np.array([[[False]]]), np.array([[[1.0]]]), weight, unlimited
    )
    assert closed[0, 0, 0] == 0.0


def test_the_relocated_site_works_with_its_own_stock_and_the_staff_that_are_left():
    at_site = steps.site_availability(
        available=np.array([[[0.0], [0.7]]]),  # beds destroyed, 70 % of staff left
        share=np.array([[[0.5], [0.0]]]),  # the site has half the beds
        carried=np.array([[[0.0], [1.0]]]),  # staff move with the hospital
    )
    np.testing.assert_allclose(at_site[0, :, 0], [0.5, 0.7])


# ------------------------------------------------------------------ demand


def test_casualties_arrive_on_the_strike_day_in_their_service():
    load = np.zeros((2, 1, 2, 1))  # (K, F, S, ·)
    load[0, 0, 1, 0] = 12.0
    load[1, 0, 0, 0] = 5.0
    today = steps.casualties(np.array([[True], [False]]), load)
    np.testing.assert_allclose(today[0, :, 0], [0.0, 12.0])


def test_displaced_people_take_their_needs_to_the_catchment_they_settle_in():
    """a has lost 40 % of its people, 3/4 of whom settled near b: b gets
    0.3 · a's usual demand (10 and 2 a day)."""
    hosted = steps.hosted_demand(
        left_share=np.array([[[0.4]], [[0.0]]]),
        destination=np.array([[[0.0], [0.75]], [[0.0], [0.0]]]),
        baseline_demand=np.array([[[10.0], [2.0]], [[7.0], [1.0]]]),
    )
    np.testing.assert_allclose(hosted[:, :, 0], [[0.0, 0.0], [3.0, 0.6]])


# ------------------------------------------------------------------ local service


def test_local_service_serves_new_patients_then_the_backlog():
    """C = 10, D = 6, 8 waiting, 1/4 give up: 2 leave, 4 of the 6 still waiting served."""
    local = steps.local_service(*(np.array([[[x]]]) for x in (10.0, 6.0, 1.0, 8.0, 0.25, 0.5)))
    assert (local.served.item(), local.abandoned.item()) == (10.0, 2.0)
    assert (local.backlog.item(), local.seeking.item()) == (2.0, 0.0)


def test_only_those_who_can_reach_the_site_come_the_rest_seek_care_elsewhere():
    """D = 10, reach 0.6: 6 come, C = 4 serves 4; of the 2 not served half wait,
    1 seeks care elsewhere, with the 4 who did not come."""
    local = steps.local_service(*(np.array([[[x]]]) for x in (4.0, 10.0, 0.6, 0.0, 0.1, 0.5)))
    assert local.served.item() == pytest.approx(4.0)
    assert local.backlog.item() == pytest.approx(1.0)
    assert local.seeking.item() == pytest.approx(5.0)


def test_nobody_waits_for_a_facility_closed_for_good():
    attrition, deferrable = steps.closed_for_good_today(
        np.array([[[True]], [[False]]]), np.array([[[0.1]]]), np.array([[[0.5]]])
    )
    np.testing.assert_array_equal(attrition[:, 0, 0], [1.0, 0.1])
    np.testing.assert_array_equal(deferrable[:, 0, 0], [0.0, 0.5])


# ------------------------------------------------------------------ accounting


def test_care_lost_is_measured_against_the_no_strike_world():
    """π = 0.8. Without strikes 2 a day went unmet (a shortage) and 10 were served;
    with them 7 are lost. Forgone: 7 - 0.8 · 2 = 5.4; displaced: 0.2 · 10 = 2;
    waiting change: 3 - 0.8 · 1 = 2.2."""
    care = steps.accounting(
        present=np.array([[[0.8]]]),
        lost=np.array([[[7.0]]]),
        lost_counterfactual=np.array([[[2.0]]]),
        received_counterfactual=np.array([[[10.0]]]),
        backlog_change=np.array([[[3.0]]]),
        backlog_change_counterfactual=np.array([[[1.0]]]),
    )
    assert care.forgone.item() == pytest.approx(5.4)
    assert care.displaced.item() == pytest.approx(2.0)
    assert care.waiting_change.item() == pytest.approx(2.2)


# ------------------------------------------------------------------ destination choice


def test_distance_factor_decays_and_stops_at_reach_and_at_the_sender():
    factor = choice.distance_factor(
        distance_km=np.array([[[[0.0]]], [[[5.0]]], [[[30.0]]], [[[np.inf]]]]),  # (J, F, 1, ·)
        decay_km=np.array([[[10.0]]]),
        reach_km=np.array([[[20.0]]]),
        is_self=np.array([[[[True]]], [[[False]]], [[[False]]], [[[False]]]]),
    )
    np.testing.assert_allclose(factor[:, 0, 0, 0], [0.0, math.exp(-0.5), 0.0, 0.0])


def test_travellers_follow_the_nearest_usable_destination_and_split_by_spare():
    """α = 0.5; destinations at e = 0.8 (spare 2), 0.4 (spare 6), 0.9 (spare 0).
    The full one takes nobody and does not set who travels: τ = 0.5 · 0.8.
    Of 10 seeking, 4 travel, split 1.6 : 2.4 → 4 · 1.6/4 = 1.6 and 2.4: all served."""
    chosen = choice.choose(
        seeking=np.array([[[10.0]]]),
        willingness=np.array([[[0.5]]]),
        factor=np.array([[[[0.8]]], [[[0.4]]], [[[0.9]]]]),
        spare=np.array([[[2.0]], [[6.0]], [[0.0]]]),
    )
    np.testing.assert_allclose(chosen.arrivals[:, 0, 0], [1.6, 2.4, 0.0])
    np.testing.assert_allclose(chosen.received[:, 0, 0], [1.6, 2.4, 0.0])
    assert chosen.served_elsewhere.item() == pytest.approx(4.0)
    np.testing.assert_allclose(chosen.received_from.sum(axis=1), chosen.received)


def test_the_overflow_of_a_full_choice_tries_once_more():
    """Equal factors 1, spares 1 and 9, α = 1, 20 seeking: 20 travel, 2 and 18 head
    there; 1 and 9 served. The 10 turned away find no room: 10 served in all."""
    chosen = choice.choose(
        np.array([[[20.0]]]),
        np.array([[[1.0]]]),
        np.array([[[[1.0]]], [[[1.0]]]]),
        np.array([[[1.0]], [[9.0]]]),
    )
    assert chosen.served_elsewhere.item() == pytest.approx(10.0)
    # Spares 4 and 6 with 5 travelling, factors 1 and 0.5: weights 4 and 3, so
    # 20/7 and 15/7 head there, both within their room: the second try is unused.
    second = choice.choose(
        np.array([[[5.0]]]),
        np.array([[[1.0]]]),
        np.array([[[[1.0]]], [[[0.5]]]]),
        np.array([[[4.0]], [[6.0]]]),
    )
    np.testing.assert_allclose(second.received[:, 0, 0], [20 / 7, 15 / 7])


def test_a_turned_away_traveller_goes_where_room_is_left():
    """Spare 1 (factor 1) and 10 (factor 0.1); 5 travel: weights 1 and 1, 2.5 each.
    The first serves 1; the 1.5 turned away try again: only the second has room."""
    chosen = choice.choose(
        np.array([[[5.0]]]),
        np.array([[[1.0]]]),
        np.array([[[[1.0]]], [[[0.1]]]]),
        np.array([[[1.0]], [[10.0]]]),
    )
    np.testing.assert_allclose(chosen.received[:, 0, 0], [1.0, 4.0])
    np.testing.assert_allclose(chosen.arrivals[:, 0, 0], [2.5, 4.0])


# ------------------------------------------------------------------ people's response


def test_people_stay_away_after_attacks_and_a_second_attack_deepens_it():
    """Strike 1 (10 days ago) drove 0.5 away, fading linearly over 20 days: 0.25 now.
    Strike 2 (today) drives 0.2 away. Together 1 - 0.75 · 0.8 = 0.4; a strike of
    tomorrow adds nothing yet."""
    share = np.array([0.5, 0.2, 0.9])[:, None, None, None]  # (K, F, S, ·)
    linear = (
        np.full((3, 1), float(CURVE_CODES["linear"])),
        np.full((3, 1), 20.0),
        np.zeros((3, 1)),
        np.zeros((3, 1)),
    )
    away = steps.avoidance(share, np.array([[10.0], [0.0], [-1.0]]), linear)
    assert away[0, 0, 0] == pytest.approx(1 - 0.75 * 0.8, rel=1e-14)
    alone = steps.avoidance(share[:1], np.array([[10.0]]), tuple(a[:1] for a in linear))
    assert away[0, 0, 0] >= alone[0, 0, 0]
