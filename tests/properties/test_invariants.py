"""Invariants of the model on random valid configurations (docs/model.md, "One day").

The strategy draws one-facility configurations with 1-3 services, 1-3
resources, 0-3 strikes, every recovery family, 0-2 alternatives, displacement
and demand multipliers, then checks what must hold for any input: conservation
per facility and across the network, bounds on every flow, and monotonicity in
damage.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import assert_patients_conserved, curves, fraction

from facility_impact import simulate

pytestmark = pytest.mark.slow

HORIZON_MAX = 120
DAYS_PER_MONTH = 365.25 / 12
SERVICE_POOL = ("outpatient", "emergency", "surgery")
RESOURCE_POOL = ("staff", "building", "beds")

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def configs(draw, *, deferrable=True):
    """A random valid one-facility mapping configuration."""
    horizon = draw(st.integers(1, HORIZON_MAX))
    resources = draw(st.lists(st.sampled_from(RESOURCE_POOL), min_size=1, max_size=3, unique=True))
    service_names = draw(
        st.lists(st.sampled_from(SERVICE_POOL), min_size=1, max_size=3, unique=True)
    )
    services = {}
    for name in service_names:
        needs = {r: draw(fraction) for r in resources if draw(st.booleans())}
        table = {
            "volume_per_month": draw(st.floats(0.0, 3000.0)),
            "needs": needs,
            "demand_ratio": draw(st.floats(0.0, 2.0)),
            "deferrable_share": draw(fraction) if deferrable else 0.0,
            "backlog_attrition_per_day": draw(fraction),
            "willingness_to_travel": draw(fraction),
            "distance_decay_km": draw(st.one_of(st.floats(0.5, 100.0), st.just(math.inf))),
        }
        periods = []
        for _ in range(draw(st.integers(0, 2))):
            start = draw(st.integers(0, horizon - 1))
            period = {"start_day": start, "factor": draw(st.floats(0.0, 3.0))}
            if draw(st.booleans()):
                period["end_day"] = draw(st.integers(start + 1, horizon + 10))
            periods.append(period)
        if periods:
            table["demand_multipliers"] = periods
        services[name] = table
    facility = {
        "population": draw(st.floats(1.0, 1e6)),
        "resources": {r: draw(st.floats(0.0, 100.0)) for r in resources},
        "services": services,
    }
    if draw(st.booleans()):
        displacement = draw(curves(allow_none=True))
        displacement["share"] = draw(fraction)
        displacement["start_day"] = draw(st.integers(0, horizon))
        facility["displacement"] = displacement

    strikes = []
    for _ in range(draw(st.integers(0, 3))):
        strike = {
            "day": draw(st.integers(0, horizon - 1)),
            "closure_days": draw(st.floats(0.0, 60.0)),
            # Every resource gets a damage entry (possibly 0) so that the
            # monotonicity test can raise each one.
            "damage": {r: draw(fraction) for r in resources},
        }
        if draw(st.booleans()):
            strike["casualties"] = draw(st.floats(0.0, 50.0))
            strike["casualty_service"] = draw(st.sampled_from(service_names))
        strikes.append(strike)

    recovery = {}
    for r in resources:
        if draw(st.booleans()):
            table = draw(curves())
            table["recoverable_share"] = draw(fraction)
            recovery[r] = table

    alternatives = []
    for index in range(draw(st.integers(0, 2))):
        offered = draw(st.lists(st.sampled_from(service_names), max_size=3, unique=True))
        spare = {s: draw(st.floats(0.0, 2000.0)) for s in offered}
        table = {
            "name": f"alternative_{index}",
            "distance_km": draw(st.one_of(st.floats(0.0, 60.0), st.just(math.inf))),
            "spare_capacity_per_month": spare,
            "opens_day": draw(st.integers(0, horizon)),
        }
        if draw(st.booleans()):
            table["capacity_per_month"] = {
                s: v + draw(st.floats(0.0, 2000.0)) for s, v in spare.items()
            }
        alternatives.append(table)

    config = {
        "run": {"horizon_days": horizon},
        "facility": {"clinic": facility},
        "strike": strikes,
        "recovery": recovery,
        "alternative": alternatives,
    }
    return config


def spare_per_day(config, service, day):
    """Σ over open alternatives of their spare capacity for ``service`` [patient d-1]."""
    return sum(
        alt["spare_capacity_per_month"].get(service, 0.0) / DAYS_PER_MONTH
        for alt in config["alternative"]
        if day >= alt.get("opens_day", 0)
    )


# ------------------------------------------------------------------ conservation


@SETTINGS
@given(configs())
def test_conservation_per_facility_and_service(config):
    results = simulate(config)
    assert_patients_conserved(results, atol=1e-9 * max(1.0, float(results["demand"].sum())))


@SETTINGS
@given(configs())
def test_network_conservation_every_day(config):
    results = simulate(config)
    received = results["received_by_alternative"].sum("alternative")
    elsewhere = results["served_elsewhere"].sum("facility")
    scale = max(1.0, float(results["demand"].max()))
    np.testing.assert_allclose(received.values, elsewhere.values, rtol=0, atol=1e-12 * scale)


# ------------------------------------------------------------------ bounds


@SETTINGS
@given(configs())
def test_flows_stay_within_their_bounds(config):
    results = simulate(config)
    scale = max(1.0, float(results["demand"].max()), float(results["baseline_capacity"].max()))
    tiny = 1e-12 * scale
    capacity = results["capacity"]
    served = results["served"]
    assert float((served - capacity).max()) <= tiny
    assert float(served.min()) >= -tiny
    assert float(results["unmet"].min()) >= -tiny
    assert float(results["abandoned"].min()) >= 0.0
    assert float(results["backlog"].min()) >= -tiny
    assert float(results["served_elsewhere"].min()) >= 0.0
    assert float(results["demand"].min()) >= 0.0
    available = results["available"]
    assert float(available.min()) >= 0.0
    assert float(available.max()) <= 1.0 + 1e-15
    assert float((capacity - results["baseline_capacity"]).max()) <= tiny
    assert float(capacity.min()) >= 0.0
    population = results["population"]
    assert float(population.min()) >= 0.0
    assert float((population - config["facility"]["clinic"]["population"]).max()) <= 1e-9

    received = results["received_by_alternative"]
    for alt in config["alternative"]:
        for service in results["service"].values:
            got = received.sel(alternative=alt["name"], service=service).values
            limit = alt["spare_capacity_per_month"].get(str(service), 0.0) / DAYS_PER_MONTH
            assert np.all(got <= limit * (1 + 1e-12) + 1e-300)
            assert np.all(got[: alt.get("opens_day", 0)] == 0.0)
    for service in results["service"].values:
        elsewhere = results["served_elsewhere"].sel(service=service).sum("facility").values
        limit = np.array([spare_per_day(config, str(service), t) for t in range(elsewhere.size)])
        assert np.all(elsewhere <= limit * (1 + 1e-12) + tiny)


# ------------------------------------------------------------------ monotonicity in damage


@st.composite
def config_pairs(draw, *, deferrable=True):
    """A configuration and the same one with every damage fraction raised (or kept)."""
    config = draw(configs(deferrable=deferrable))
    worse = copy.deepcopy(config)
    for strike in worse["strike"]:
        for resource, damage in strike["damage"].items():
            strike["damage"][resource] = damage + draw(fraction) * (1.0 - damage)
    return config, worse


def _totals(results):
    capacity = results["capacity"]
    not_served_locally = (results["demand"] - results["served"]).sum("time")
    forgone = (results["unmet"] + results["abandoned"]).sum("time")
    return capacity, not_served_locally, forgone


@SETTINGS
@given(config_pairs())
def test_more_damage_never_adds_capacity_or_local_care(pair):
    config, worse = pair
    results = simulate(config)
    capacity, not_served, _ = _totals(results)
    capacity_worse, not_served_worse, _ = _totals(simulate(worse))
    scale = max(1.0, float(capacity.max()), float(results["demand"].sum()))
    # Daily capacity: availability is non-decreasing in a^k = a(t_k - 1)(1 - δ).
    assert float((capacity_worse - capacity).max()) <= 1e-12 * scale
    # Σ demand - Σ served locally: demand does not depend on damage.
    assert float((not_served - not_served_worse).max()) <= 1e-9 * scale


@SETTINGS
@given(config_pairs(deferrable=False))
def test_more_damage_never_lowers_forgone_care_when_nothing_waits(pair):
    """With φ = 0 forgone care is unmet demand only, non-decreasing in unserved demand.

    ``unmet = seeking - Σ_j min(seeking · share_j, spare_j)`` grows with ``seeking``
    because ``Σ_j share_j <= α <= 1`` (one facility, so its patients are the only
    arrivals).
    """
    config, worse = pair
    results = simulate(config)
    _, _, forgone = _totals(results)
    _, _, forgone_worse = _totals(simulate(worse))
    scale = max(1.0, float(results["demand"].sum()))
    assert float((forgone - forgone_worse).max()) <= 1e-9 * scale
    np.testing.assert_array_equal(results["backlog"].values, 0.0)
    np.testing.assert_array_equal(results["abandoned"].values, 0.0)
