"""Strikes that remember (issue 13): what a later strike may and may not do to availability.

On random small models (``model_strategies``) one more strike hits one facility
on or after the day of every other strike on it (and after them in strike
order). Compared with the same parameters without it (its target set to 0):

* it never raises availability, on any day: unrecoverable losses add up and no
  later strike restores them (so neither is the availability at the horizon
  raised);
* while its closure lasts, availability of every resource that recovers on the
  facility's clock of open days does not move: the recovery under way pauses
  (staff who return, and recruits, come on calendar days and are left out when
  the facility has lost staff by fate);
* on its day it takes its damage fraction of what is available then,
  L = d x a(t_k) without it; of that loss the share ρ g(-δ) that its recovery
  curve restores on day 0 of its clock is back at once (curves with g(0) > 0:
  the normal family, or a time of 0), so a(t_k) = a⁻ - L (1 - ρ g(-δ)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_strategies import fraction, models, parameters, run
from parameter_edits import set_cell

from facility_impact.curves import recovery_fraction

CURVE_KEYS = ("curve", "time_days", "mean_days", "sd_days")

pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def later_strikes(draw, *, staff_taken: bool = True, closed: bool = False):
    """A model with one more strike, last on its facility: (model, its index)."""
    config, terms = draw(models())
    horizon = config["run"]["horizon_days"]
    target = draw(st.sampled_from(sorted(config["facility"])))
    days = [k["day"] for k in config["strike"] if k["facility"] == target]
    day = draw(st.integers(max(days, default=0), horizon - 1))
    resources = config["facility"][target]["resources"]
    strike: dict[str, Any] = {
        "facility": target,
        "day": day,
        "damage": {r: draw(fraction) for r in resources},
        "closure_days": draw(st.integers(1, 30) if closed else st.integers(0, 30)),
    }
    config = {**config, "strike": [*config["strike"], strike]}
    shares = [draw(fraction) * 0.5 if draw(st.booleans()) else 0.0 for _ in range(4)]
    terms = {**terms, "shares": [*terms["shares"], shares if staff_taken else [0.0] * 4]}
    return (config, terms), len(config["strike"]) - 1


def with_and_without(model: tuple[dict[str, Any], dict[str, Any]], k: int):
    """Availability ``(time, facility, resource)`` with strike ``k`` and without it, and
    the parameters."""
    params = parameters(model)
    without = params.copy(deep=True)
    set_cell(without, "strike_target", 0.0, strike=k)
    return run(params)["available"], run(without)["available"], params


@SETTINGS
@given(later_strikes())
def test_a_later_strike_never_raises_availability(case):
    model, k = case
    with_it, without, _ = with_and_without(model, k)
    assert np.all(with_it <= without + 1e-12), np.max(with_it - without)
    # Unrecoverable losses add up: the availability left at the horizon is no higher.
    assert np.all(with_it[-1] <= without[-1] + 1e-12)


@SETTINGS
@given(later_strikes(closed=True))
def test_a_later_closure_pauses_the_recovery_under_way(case):
    model, k = case
    config, terms = model
    with_it, _, params = with_and_without(model, k)
    strike = config["strike"][k]
    f = list(params["facility"].values).index(strike["facility"])
    on_target = [i for i, s in enumerate(config["strike"]) if s["facility"] == strike["facility"]]
    fates = any(any(terms["shares"][i]) for i in on_target)
    clock_only = [
        r for r, name in enumerate(params["resource"].values) if not (fates and name == "staff")
    ]
    first = strike["day"]
    last = min(first + strike["closure_days"], params.sizes["time"] - 1)
    during = with_it[first : last + 1, f][:, clock_only]
    np.testing.assert_allclose(during, np.broadcast_to(during[0], during.shape), rtol=0, atol=1e-12)


@SETTINGS
@given(later_strikes(staff_taken=False))
def test_damage_acts_on_what_is_available_at_the_time(case):
    model, k = case
    config, _ = model
    with_it, without, params = with_and_without(model, k)
    strike = config["strike"][k]
    f = list(params["facility"].values).index(strike["facility"])
    day = strike["day"]
    damage = np.array([strike["damage"].get(str(r), 0.0) for r in params["resource"].values])
    at = {"facility": strike["facility"]}
    recovery = [params[f"recovery_{key}"].sel(at).values for key in CURVE_KEYS]
    back_at_once = params["recoverable_share"].sel(at).values * recovery_fraction(
        -params["recovery_delay_days"].sel(at).values, *recovery
    )
    loss = damage * without[day, f]
    np.testing.assert_allclose(
        with_it[day, f], without[day, f] - loss * (1.0 - back_at_once), rtol=1e-12, atol=1e-12
    )
