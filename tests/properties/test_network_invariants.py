"""Invariants of random networks of facilities (docs/model.md, "One day" and
"A network of facilities").

The strategy draws 1-4 modelled facilities, each with its own services, resources,
opening and closing days and sometimes its own recovery tables, a random distance
matrix (symmetric or one-way, some pairs out of reach), 0-4 strikes on any facility
on any day and 0-2 external alternatives. What must hold for any such input:
conservation per facility and across the network each day, and the bounds of the
single-facility model extended to receiving facilities.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import assert_patients_conserved, curves, fraction

from facility_impact import simulate

pytestmark = pytest.mark.slow

HORIZON_MAX = 80
DAYS_PER_MONTH = 365.25 / 12
SERVICE_POOL = ("outpatient", "emergency", "surgery")
RESOURCE_POOL = ("staff", "building", "beds")

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

distances = st.one_of(st.floats(0.0, 60.0), st.just(math.inf))


@st.composite
def networks(draw):
    """A random valid mapping configuration of 1-4 facilities in one network."""
    horizon = draw(st.integers(1, HORIZON_MAX))
    names = [f"facility_{i}" for i in range(draw(st.integers(1, 4)))]
    facilities = {}
    for name in names:
        resources = draw(
            st.lists(st.sampled_from(RESOURCE_POOL), min_size=1, max_size=3, unique=True)
        )
        services = {}
        for service in draw(
            st.lists(st.sampled_from(SERVICE_POOL), min_size=1, max_size=3, unique=True)
        ):
            services[service] = {
                "volume_per_month": draw(st.floats(0.0, 3000.0)),
                "needs": {r: draw(fraction) for r in resources if draw(st.booleans())},
                "demand_ratio": draw(st.floats(0.0, 2.0)),
                "deferrable_share": draw(fraction),
                "backlog_attrition_per_day": draw(fraction),
                "willingness_to_travel": draw(fraction),
                "distance_decay_km": draw(st.one_of(st.floats(0.5, 100.0), st.just(math.inf))),
            }
        table = {
            "population": draw(st.floats(1.0, 1e6)),
            "resources": {r: draw(st.floats(0.0, 100.0)) for r in resources},
            "services": services,
            "opens_day": draw(st.integers(0, horizon + 5)),
        }
        if draw(st.booleans()):
            table["closes_day"] = table["opens_day"] + draw(st.integers(1, horizon))
        if draw(st.booleans()):
            resource = draw(st.sampled_from(resources))
            own = draw(curves())
            own["recoverable_share"] = draw(fraction)
            table["recovery"] = {resource: own}
        facilities[name] = table

    symmetric = draw(st.booleans())
    size = len(names)
    matrix = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(size):
            if i < j or (i > j and not symmetric):
                matrix[i][j] = draw(distances)
            elif i > j:
                matrix[i][j] = matrix[j][i]

    strikes = []
    for _ in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(names))
        strike = {
            "facility": target,
            "day": draw(st.integers(0, horizon - 1)),
            "closure_days": draw(st.floats(0.0, 40.0)),
            "damage": {r: draw(fraction) for r in facilities[target]["resources"]},
        }
        offered = list(facilities[target]["services"])
        if draw(st.booleans()):
            strike["casualties"] = draw(st.floats(0.0, 50.0))
            strike["casualty_service"] = draw(st.sampled_from(offered))
        strikes.append(strike)

    every_resource = sorted({r for table in facilities.values() for r in table["resources"]})
    recovery = {}
    for resource in every_resource:
        if draw(st.booleans()):
            table = draw(curves())
            table["recoverable_share"] = draw(fraction)
            recovery[resource] = table

    every_service = sorted({s for table in facilities.values() for s in table["services"]})
    alternatives = []
    for index in range(draw(st.integers(0, 2))):
        offered = draw(st.lists(st.sampled_from(every_service), max_size=3, unique=True))
        alternatives.append(
            {
                "name": f"alternative_{index}",
                "distance_km": {name: draw(distances) for name in names},
                "spare_capacity_per_month": {s: draw(st.floats(0.0, 2000.0)) for s in offered},
                "opens_day": draw(st.integers(0, horizon)),
            }
        )

    return {
        "run": {"horizon_days": horizon},
        "facility": facilities,
        "network": {"facilities": names, "distance_km": matrix, "symmetric": symmetric},
        "strike": strikes,
        "recovery": recovery,
        "alternative": alternatives,
    }


def _scale(results):
    return max(1.0, float(results["demand"].max()), float(results["baseline_capacity"].max()))


@SETTINGS
@given(networks())
def test_conservation_per_facility_and_service(config):
    results = simulate(config)
    assert_patients_conserved(results, atol=1e-9 * max(1.0, float(results["demand"].sum())))


@SETTINGS
@given(networks())
def test_received_across_the_network_equals_served_elsewhere_each_day_and_service(config):
    results = simulate(config)
    received = results["received"].sum("facility") + results["received_by_alternative"].sum(
        "alternative"
    )
    elsewhere = results["served_elsewhere"].sum("facility")
    np.testing.assert_allclose(
        received.values, elsewhere.values, rtol=0, atol=1e-12 * _scale(results)
    )


@SETTINGS
@given(networks())
def test_flows_stay_within_their_bounds(config):
    results = simulate(config)
    tiny = 1e-12 * _scale(results)
    capacity, served = results["capacity"], results["served"]
    arrivals, received = results["arrivals"], results["received"]
    # A receiving facility serves its own patients and arrivals within its capacity.
    assert float((served + received - capacity).max()) <= tiny
    assert float(received.min()) >= 0.0
    assert float((received - arrivals).max()) <= tiny
    assert float(arrivals.min()) >= 0.0
    assert float(served.min()) >= -tiny
    assert float(results["unmet"].min()) >= -tiny
    assert float(results["backlog"].min()) >= -tiny
    assert float(results["abandoned"].min()) >= 0.0
    assert float(results["served_elsewhere"].min()) >= 0.0
    assert float(capacity.min()) >= 0.0
    assert float((capacity - results["baseline_capacity"]).max()) <= tiny
    available = results["available"]
    assert float(available.min()) >= 0.0
    assert float(available.max()) <= 1.0 + 1e-15

    day = results["day"]
    is_open = results["is_open"] > 0.5
    # Closed, not yet open or closed for good: no capacity, nobody arrives.
    assert float(capacity.where(~is_open, 0.0).max()) == 0.0
    assert float(arrivals.where(~is_open, 0.0).max()) == 0.0
    for name, table in config["facility"].items():
        at = {"facility": name}
        before = day < table["opens_day"]
        assert float(results["demand"].sel(at).where(before, 0.0).max()) == 0.0
        if "closes_day" in table:
            gone = day >= table["closes_day"]
            assert float(results["backlog"].sel(at).where(gone, 0.0).max()) == 0.0
            assert float(capacity.sel(at).where(gone, 0.0).max()) == 0.0

    by_alternative = results["received_by_alternative"]
    for alt in config["alternative"]:
        for service in results["service"].values:
            got = by_alternative.sel(alternative=alt["name"], service=service).values
            limit = alt["spare_capacity_per_month"].get(str(service), 0.0) / DAYS_PER_MONTH
            assert np.all(got <= limit * (1 + 1e-12) + 1e-300)
            assert np.all(got[: alt["opens_day"]] == 0.0)
