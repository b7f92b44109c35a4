"""Small random models for the property tests of the accounting and of strikes that remember.

A model is drawn as plain data, so that hypothesis prints a failing example whole
and shrinks it: a mapping configuration of one to three facilities (one to three
services each, from a pool of three; resources from a pool of three, staff
always among them), one or two strikes, zero to two alternatives and a horizon
of 60 to 120 days; and the values of the newer terms (staff fates and their
returns, recruitment, resource limits, reach, returns of displaced people,
their destinations, relocated sites) that :func:`parameter_edits.apply_new_terms`
sets on the parameter Dataset. :func:`parameters` builds it. Floats are never
subnormal: a share of 1e-310 describes nothing real.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import xarray as xr
from hypothesis import strategies as st
from parameter_edits import apply_new_terms, new_terms

from facility_impact import load_config
from facility_impact.model.kernel import run_model
from facility_impact.model.parameters import build_parameters

SERVICE_POOL = ("outpatient", "emergency", "surgery")
RESOURCE_POOL = ("staff", "building", "beds")


def number(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_subnormal=False)


fraction = number(0.0, 1.0)
distances = st.one_of(number(0.0, 30.0), number(0.0, 30.0), st.just(math.inf))


@st.composite
def curves(draw) -> dict[str, Any]:
    """A recovery or displacement curve table of a configuration."""
    family = draw(st.sampled_from(["none", "step", "linear", "exponential", "normal"]))
    table: dict[str, Any] = {"curve": family}
    if family in ("step", "linear"):
        table["time_days"] = draw(number(0.0, 60.0))
    elif family == "exponential":
        table["time_days"] = draw(number(0.5, 60.0))
    elif family == "normal":
        table["mean_days"] = draw(number(0.0, 60.0))
        table["sd_days"] = draw(number(0.0, 20.0))
    if draw(st.booleans()):
        table["delay_days"] = draw(number(0.0, 10.0))
    return table


@st.composite
def facilities(draw, horizon: int) -> dict[str, Any]:
    others = draw(st.lists(st.sampled_from(RESOURCE_POOL[1:]), max_size=2, unique=True))
    resources = ["staff", *others]
    names = draw(st.lists(st.sampled_from(SERVICE_POOL), min_size=1, max_size=3, unique=True))
    if "outpatient" not in names and draw(st.booleans()):
        names.append("outpatient")  # mostly a service in common, so patients can move
    services = {}
    for name in names:
        services[name] = {
            "volume_per_month": draw(number(0.0, 2000.0)),
            "needs": {r: draw(fraction) for r in resources if draw(st.booleans())},
            "demand_ratio": draw(number(0.0, 2.0)),
            "deferrable_share": draw(fraction),
            "backlog_attrition_per_day": draw(fraction),
            "willingness_to_travel": draw(fraction),
            "distance_decay_km": draw(st.one_of(number(0.5, 80.0), st.just(math.inf))),
        }
    table: dict[str, Any] = {
        "population": draw(number(1.0, 1e5)),
        "resources": {r: draw(number(1.0, 50.0)) for r in resources},
        "services": services,
    }
    if draw(st.integers(0, 3)) == 0:
        table["opens_day"] = draw(st.integers(0, horizon // 2))
    if draw(st.integers(0, 3)) == 0:
        table["closes_day"] = table.get("opens_day", 0) + draw(st.integers(1, horizon))
    if draw(st.booleans()):
        table["displacement"] = {
            **draw(curves()),
            "share": draw(fraction),
            "start_day": draw(st.integers(0, horizon)),
        }
    return table


@st.composite
def strikes_on(draw, network: dict[str, Any], horizon: int, count: int) -> list[dict[str, Any]]:
    strikes = []
    for _ in range(count):
        target = draw(st.sampled_from(sorted(network)))
        struck = network[target]
        table = {
            "facility": target,
            "day": draw(st.integers(0, horizon - 1)),
            # Every resource gets a damage entry (maybe 0) so that a test can raise it.
            "damage": {r: draw(fraction) for r in struck["resources"]},
            "closure_days": draw(st.one_of(st.just(0), st.integers(0, 30))),
        }
        if draw(st.booleans()):
            table["casualties"] = draw(number(0.0, 30.0))
            table["casualty_service"] = draw(st.sampled_from(sorted(struck["services"])))
        strikes.append(table)
    return strikes


@st.composite
def configs(
    draw, *, strikes: tuple[int, int] = (1, 2), alternatives: tuple[int, int] = (0, 2)
) -> dict[str, Any]:
    """A random mapping configuration (see the module's docstring)."""
    horizon = draw(st.integers(60, 120))
    names = [f"site_{i}" for i in range(draw(st.sampled_from((1, 2, 3))))]
    network = {name: draw(facilities(horizon)) for name in names}
    matrix = [[0.0 for _ in names] for _ in names]
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            matrix[i][j] = matrix[j][i] = draw(distances)
    used = sorted({r for f in network.values() for r in f["resources"]})
    recovery = {
        r: {**draw(curves()), "recoverable_share": draw(fraction)}
        for r in used
        if draw(st.booleans())
    }
    all_services = sorted({s for f in network.values() for s in f["services"]})
    others = []
    for index in range(draw(st.integers(*alternatives))):
        offered = draw(st.lists(st.sampled_from(all_services), max_size=3, unique=True))
        others.append(
            {
                "name": f"alternative_{index}",
                "distance_km": {name: draw(distances) for name in names},
                "spare_capacity_per_month": {s: draw(number(0.0, 1000.0)) for s in offered},
                "opens_day": draw(st.integers(0, horizon)),
            }
        )
    config: dict[str, Any] = {
        "run": {"horizon_days": horizon},
        "facility": network,
        "strike": draw(strikes_on(network, horizon, draw(st.integers(*strikes)))),
        "recovery": recovery,
        "alternative": others,
    }
    if len(names) > 1:
        config["network"] = {"facilities": names, "distance_km": matrix}
    return config


_BUILT: dict[str, xr.Dataset] = {}


def built(config: dict[str, Any]) -> xr.Dataset:
    """The parameter Dataset of ``config`` (the last few are kept: a model is built twice)."""
    key = json.dumps(config, sort_keys=True)
    if key not in _BUILT:
        if len(_BUILT) > 8:
            _BUILT.clear()
        _BUILT[key] = build_parameters(load_config(config))
    return _BUILT[key].copy(deep=True)


@st.composite
def models(draw, **sizes: tuple[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A configuration and the values of the newer terms for it; ``sizes`` as :func:`configs`."""
    config = draw(configs(**sizes))
    return config, draw(new_terms(built(config), subnormal=False))


def parameters(model: tuple[dict[str, Any], dict[str, Any]]) -> xr.Dataset:
    config, terms = model
    return apply_new_terms(built(config), terms)


def run(params: xr.Dataset) -> dict[str, np.ndarray]:
    """The kernel's outputs in float64, ``(time, facility, service)`` for the flows."""
    return {k: np.asarray(v, dtype=float) for k, v in run_model(params, dtype=np.float64).items()}
