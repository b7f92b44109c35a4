"""Staff by fate and strikes that remember, worked by hand on one clinic.

The clinic serves one service of capacity 10 a day to a demand of 10 a day and
needs only what a case says (weight 1), so its capacity is 10 times the
availability of that resource and every patient it cannot serve is forgone.
Each case holds on the kernel (``run_model``) and on the plain loop alike.

Availability of resource r after strikes k (days t_k, open-day clock c):

    a_r(t) = 1 - Σ_k L_kr (1 - ρ_r g_r(c(t) - c(t_k) - δ_r))
               - [r staff] Σ_k Σ_φ S_kφ (1 - ρ_φ g_φ(t - t_k)) (1 - ρ_rec g_rec(t - t_k))

with S_kφ the staff of fate φ the strike took (scaled down if more than is
left) and L_kr = (a_r before the strike - staff taken) x damage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import DAYS_PER_MONTH, minimal_config, service, strike
from implementations import IMPLEMENTATIONS
from parameter_edits import curve, set_parameter, set_staff_fates

from facility_impact import load_config
from facility_impact.model.parameters import build_parameters

EXACT = {"rtol": 1e-12, "atol": 1e-12}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def model(request):
    """Each implementation in turn: params -> outputs ``(time, facility, service)``."""
    return IMPLEMENTATIONS[request.param]


def clinic(needs: str, horizon: int, strikes: list[dict[str, Any]], **config: Any):
    """Capacity 10 and demand 10 a day, needing only ``needs``; patients stay home."""
    table = service(10.0 * DAYS_PER_MONTH, {needs: 1.0})
    config = minimal_config(
        services={"outpatient": table}, strikes=strikes, horizon_days=horizon, **config
    )
    params = build_parameters(load_config(config))
    set_parameter(params, "baseline_capacity", [[10.0]])
    set_parameter(params, "baseline_demand", [[10.0]])
    set_parameter(params, "willingness_to_travel", [[0.0]])
    return params


def availability(outputs, params, resource: str) -> np.ndarray:
    return outputs["available"][:, 0, list(params["resource"].values).index(resource)]


def assert_capacity_follows(outputs, expected: list[float]) -> None:
    """Capacity 10 a, served 10 a, forgone 10 (1 - a)."""
    expected_array = np.array(expected)
    np.testing.assert_allclose(outputs["capacity"][:, 0, 0], 10 * expected_array, **EXACT)
    np.testing.assert_allclose(outputs["served"][:, 0, 0], 10 * expected_array, **EXACT)
    np.testing.assert_allclose(outputs["forgone"][:, 0, 0], 10 - 10 * expected_array, **EXACT)


# ------------------------------------------------------------------ each staff fate

FATE_CASES = {
    # fate: (share taken, (returning share, curve), recruitment, expected a(t) for t = 0..29)
    "killed, never replaced": (
        [0.2, 0, 0, 0],
        {},
        None,
        [0.8] * 30,
    ),
    "killed, half the posts refilled on day 10": (
        [0.2, 0, 0, 0],
        {},
        (0.5, curve("step", time_days=10)),
        [0.8] * 10 + [0.9] * 20,
    ),
    "injured, all back after a week": (
        [0, 0.3, 0, 0],
        {"injured": (1.0, curve("step", time_days=7))},
        None,
        [0.7] * 7 + [1.0] * 23,
    ),
    "abducted, 40 % come back on day 20": (
        [0, 0, 0.1, 0],
        {"abducted": (0.4, curve("step", time_days=20))},
        None,
        [0.9] * 20 + [0.94] * 10,
    ),
    "fled, half come back over 20 days": (
        [0, 0, 0, 0.2],
        {"fled": (0.5, curve("linear", time_days=20))},
        None,
        [1 - 0.2 * (1 - 0.5 * min(1.0, t / 20)) for t in range(30)],
    ),
}


@pytest.mark.parametrize("case", sorted(FATE_CASES))
def test_each_staff_fate(model, case):
    """A strike on day 0 with no damage and no closure takes a share of the staff.

    Killed: 0.8 for ever unless recruits fill posts (half of them from day 10:
    1 - 0.2 (1 - 0.5) = 0.9). Injured: 0.7 until all are back on day 7.
    Abducted: 0.9, then 1 - 0.1 (1 - 0.4) = 0.94 from day 20. Fled:
    1 - 0.2 (1 - 0.5 t/20): 0.8 on day 0, 0.85 on day 10, 0.9 from day 20.
    """
    shares, returns, recruitment, expected = FATE_CASES[case]
    params = clinic("staff", 30, [strike(0, {})])
    set_staff_fates(params, [shares], returns, recruitment)
    outputs = model(params)
    np.testing.assert_allclose(availability(outputs, params, "staff"), expected, **EXACT)
    assert_capacity_follows(outputs, expected)


def test_staff_come_back_on_calendar_days_while_the_building_waits(model):
    """A strike on day 0 closes the clinic 10 days, injures 30 % of the staff (all back
    on day 7) and damages half of the rest (0.35, rebuilt linearly over 10 open days).

    a = 1 - 0.3 - 0.35 = 0.35 on days 0-6; the injured are back on day 7 although
    the clinic is closed: 0.65 on days 7-10; the damaged share recovers from the
    reopening: 1 - 0.35 (1 - 5/10) = 0.825 on day 15, 1 from day 20.
    """
    params = clinic(
        "staff",
        25,
        [strike(0, {"staff": 0.5}, closure_days=10)],
        recovery={"staff": {"curve": "linear", "time_days": 10}},
    )
    set_staff_fates(params, [[0, 0.3, 0, 0]], {"injured": (1.0, curve("step", time_days=7))})
    outputs = model(params)
    staff = availability(outputs, params, "staff")
    expected = {0: 0.35, 6: 0.35, 7: 0.65, 10: 0.65, 15: 0.825, 20: 1.0, 24: 1.0}
    np.testing.assert_allclose(staff[list(expected)], list(expected.values()), **EXACT)
    np.testing.assert_allclose(outputs["capacity"][:10, 0, 0], 0.0)  # closed
    assert outputs["capacity"][10, 0, 0] == pytest.approx(6.5, rel=1e-12)


def test_a_strike_cannot_take_more_staff_than_is_left(model):
    """Two strikes on day 0: the first damages half the staff; the second kills 40 % and
    drives 40 % away, but only 50 % are left: each fate is scaled by 0.5/0.8, so
    0.25 are killed and 0.25 flee; nobody is left. The fled all come back on day 5:
    0.25 from then on."""
    params = clinic("staff", 8, [strike(0, {"staff": 0.5}), strike(0, {})])
    set_staff_fates(
        params, [[0, 0, 0, 0], [0.4, 0, 0, 0.4]], {"fled": (1.0, curve("step", time_days=5))}
    )
    outputs = model(params)
    expected = [0.0] * 5 + [0.25] * 3
    np.testing.assert_allclose(availability(outputs, params, "staff"), expected, **EXACT)


def test_damage_takes_its_share_of_the_staff_the_fates_left(model):
    """20 % killed and a staff damage fraction of 0.5 in one strike: the damage takes
    half of the 80 % left, 0.4: availability 1 - 0.2 - 0.4 = 0.4."""
    params = clinic("staff", 3, [strike(0, {"staff": 0.5})])
    set_staff_fates(params, [[0.2, 0, 0, 0]])
    outputs = model(params)
    np.testing.assert_allclose(availability(outputs, params, "staff"), [0.4] * 3, **EXACT)


# ------------------------------------------------------------------ strikes that remember

HALF_REBUILT_IN_100_DAYS = {"building": {"curve": "linear", "time_days": 100}}


def test_a_later_strike_without_damage_keeps_the_unrecoverable_loss(model):
    """Issue 13, point 4: half the building can be rebuilt (over 100 days) after a strike
    that destroys it on day 0; a second strike on day 250 with no damage and no
    closure changes nothing: availability stays 0.5 for good. With damage 0.2 it
    takes 0.2 of the 0.5 standing, of which half is rebuilt: 0.5 - 0.1 (1 - 0.5 g),
    0.45 once rebuilt (day 350 on)."""
    recovery = {"building": {**HALF_REBUILT_IN_100_DAYS["building"], "recoverable_share": 0.5}}
    results = {}
    for name, second in {"none": [], "no damage": [{}], "damage": [{"building": 0.2}]}.items():
        strikes = [strike(0, {"building": 1.0})] + [strike(250, d) for d in second]
        params = clinic("building", 400, strikes, recovery=recovery)
        results[name] = availability(model(params), params, "building")
    alone = results["none"]
    np.testing.assert_allclose(results["no damage"], alone, **EXACT)
    assert alone[399] == pytest.approx(0.5, rel=1e-12)
    damaged = results["damage"]
    np.testing.assert_allclose(damaged[:250], alone[:250], **EXACT)
    assert damaged[250] == pytest.approx(0.4, rel=1e-12)
    assert damaged[300] == pytest.approx(0.5 - 0.1 * (1 - 0.5 * 0.5), rel=1e-12)
    np.testing.assert_allclose(damaged[350:], 0.45, **EXACT)


def test_a_later_closure_pauses_the_recovery_under_way(model):
    """The building, destroyed on day 0, comes back linearly over 100 open days; a
    strike on day 50 closes the clinic 10 days without damage. Days 50-60 stay at
    0.5 (the clock stops while closed, and the reopening day has the clock of day
    50); 0.51 on day 61; fully back on day 110 instead of 100."""
    params = clinic(
        "building",
        120,
        [strike(0, {"building": 1.0}), strike(50, {}, closure_days=10)],
        recovery=HALF_REBUILT_IN_100_DAYS,
    )
    building = availability(model(params), params, "building")
    np.testing.assert_allclose(building[:51], np.arange(51) / 100, **EXACT)
    np.testing.assert_allclose(building[50:61], 0.5, **EXACT)
    np.testing.assert_allclose(building[61:111], (np.arange(61, 111) - 10) / 100, **EXACT)
    np.testing.assert_allclose(building[110:], 1.0, **EXACT)


def test_damage_acts_on_what_is_standing(model):
    """Destroyed on day 0 and half rebuilt by day 50, the building loses half of what
    stands to a strike on day 50: L = 0.5 x 0.5 = 0.25, a(50) = 0.25. Each loss
    comes back on its own clock: a(t) = 1 - (1 - t/100) - 0.25 (1 - (t - 50)/100),
    0.875 on day 100, 1 from day 150."""
    params = clinic(
        "building",
        160,
        [strike(0, {"building": 1.0}), strike(50, {"building": 0.5})],
        recovery=HALF_REBUILT_IN_100_DAYS,
    )
    building = availability(model(params), params, "building")
    t = np.arange(50, 151)
    expected = 1 - (1 - np.minimum(t / 100, 1)) - 0.25 * (1 - (t - 50) / 100)
    np.testing.assert_allclose(building[50:151], expected, **EXACT)
    assert building[100] == pytest.approx(0.875, rel=1e-12)
    np.testing.assert_allclose(building[150:], 1.0, **EXACT)
