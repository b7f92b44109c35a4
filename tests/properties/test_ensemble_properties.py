"""Invariants of ensembles: for every draw and sweep point, on random small configurations.

Each configuration has one strike whose closure or building damage is a random
distribution (any family) sampled in a few draws, and whose staff damage is
swept over increasing values. Every draw of every sweep point must conserve
patients and keep flows within their bounds; and because all sweep points share
the draws (common random numbers), each draw's capacity can only fall, and
its forgone care only grow, along the damage sweep.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import assert_patients_conserved

from facility_impact import simulate

pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SWEEP_DIM = "staff"  # the sweep of strike[0].damage.staff is named after its key
SERVICE_POOL = ("outpatient", "emergency")


@st.composite
def distributions(draw, *, fraction: bool):
    """A valid distribution table for a fraction (damage) or a count of days (closure)."""
    family = draw(st.sampled_from(["uniform", "triangular", "pert", "normal", "lognormal", "beta"]))
    top = 1.0 if fraction else 40.0
    if family in ("uniform", "triangular", "pert"):
        low = draw(st.floats(0.0, 0.5 * top))
        high = draw(st.floats(low + 0.05 * top, top))
        table = {"dist": family, "low": low, "high": high}
        if family != "uniform":
            table["mode"] = draw(st.floats(low, high))
        return table
    if family == "normal":
        return {
            "dist": "normal",
            "mean": draw(st.floats(0.0, top)),
            "sd": draw(st.floats(0.05 * top, 0.5 * top)),
        }
    if family == "lognormal":
        return {
            "dist": "lognormal",
            "median": draw(st.floats(0.05 * top, 0.9 * top)),
            "dispersion": draw(st.floats(0.1, 1.0)),
        }
    table = {"dist": "beta", "alpha": draw(st.floats(0.5, 5.0)), "beta": draw(st.floats(0.5, 5.0))}
    if not fraction:
        table["low"] = draw(st.floats(0.0, 10.0))
        table["high"] = table["low"] + draw(st.floats(1.0, 30.0))
    return table


@st.composite
def ensemble_configs(draw):
    """A one-facility configuration with draws, a damage sweep and maybe waiting patients."""
    horizon = draw(st.integers(30, 60))
    waits = draw(st.booleans())
    names = draw(st.lists(st.sampled_from(SERVICE_POOL), min_size=1, max_size=2, unique=True))
    services = {}
    for name in names:
        services[name] = {
            "volume_per_month": draw(st.floats(10.0, 3000.0)),
            "needs": {"staff": draw(st.floats(0.0, 1.0)), "building": draw(st.floats(0.0, 1.0))},
            "demand_ratio": draw(st.floats(0.5, 1.5)),
            "deferrable_share": draw(st.floats(0.0, 1.0)) if waits else 0.0,
            "backlog_attrition_per_day": draw(st.floats(0.0, 0.2)),
            "willingness_to_travel": draw(st.floats(0.0, 1.0)),
            "distance_decay_km": draw(st.floats(1.0, 100.0)),
        }
    uncertain = draw(st.sampled_from(["closure_days", "building"]))
    closure = draw(distributions(fraction=False)) if uncertain == "closure_days" else 7.0
    building = draw(distributions(fraction=True)) if uncertain == "building" else 0.5
    staff_damage = sorted(draw(st.sets(st.floats(0.0, 1.0), min_size=2, max_size=3)))
    config = {
        "run": {"horizon_days": horizon, "draws": draw(st.integers(2, 5))},
        "facility": {
            "clinic": {
                "population": draw(st.floats(100.0, 1e5)),
                "resources": {"staff": draw(st.floats(1.0, 50.0)), "building": 1.0},
                "services": services,
            }
        },
        "strike": [
            {
                "day": draw(st.integers(0, horizon // 2)),
                "closure_days": closure,
                "damage": {"building": building, "staff": staff_damage},
            }
        ],
        "recovery": {
            "building": {"curve": "linear", "time_days": draw(st.floats(1.0, 60.0))},
            "staff": {"curve": "exponential", "time_days": draw(st.floats(1.0, 60.0))},
        },
    }
    if draw(st.booleans()):
        config["alternative"] = [
            {
                "name": "district",
                "distance_km": draw(st.floats(0.0, 50.0)),
                "spare_capacity_per_month": {n: draw(st.floats(0.0, 500.0)) for n in names},
            }
        ]
    return config


@SETTINGS
@given(ensemble_configs())
def test_every_draw_and_sweep_point_conserves_stays_in_bounds_and_is_monotone(config):
    results = simulate(config)
    draws = config["run"]["draws"]
    staff_damage = config["strike"][0]["damage"]["staff"]
    assert results.sizes["draw"] == draws
    assert results[SWEEP_DIM].values.tolist() == staff_damage
    scale = max(1.0, float(results["demand"].max()), float(results["baseline_capacity"].max()))
    # Ensembles are stored as float32 (run.precision "auto"): a few roundings of
    # a float32 value may separate two quantities that are equal by the equations.
    assert results["capacity"].dtype == np.float32
    tiny = 8 * float(np.finfo(np.float32).eps) * scale

    # Conservation per facility and service, for every draw and sweep point.
    assert_patients_conserved(results, atol=tiny * results.sizes["time"])

    # Bounds.
    assert float((results["served"] - results["capacity"]).max()) <= tiny
    assert float((results["capacity"] - results["baseline_capacity"]).max()) <= tiny
    for name in (
        "served",
        "served_elsewhere",
        "unmet",
        "abandoned",
        "backlog",
        "demand",
        "capacity",
        "available",
    ):
        assert float(results[name].min()) >= -tiny, name

    # Monotone along the damage sweep, draw by draw (all sweep points share the draws).
    capacity = results["capacity"].transpose(SWEEP_DIM, ...).values
    assert np.all(np.diff(capacity, axis=0) <= tiny)
    not_served_locally = (
        (results["demand"] - results["served"]).sum("time").transpose(SWEEP_DIM, ...).values
    )
    assert np.all(np.diff(not_served_locally, axis=0) >= -tiny * results.sizes["time"])
    if all(s["deferrable_share"] == 0 for s in config["facility"]["clinic"]["services"].values()):
        forgone = (
            (results["unmet"] + results["abandoned"]).sum("time").transpose(SWEEP_DIM, ...).values
        )
        assert np.all(np.diff(forgone, axis=0) >= -tiny * results.sizes["time"])
