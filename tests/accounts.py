"""Result Datasets that hold the care accounts, for the tests of summaries, tables and
the report.

* :func:`tiny_results`: one clinic, two services, six days, one strike on day 1, every
  daily number written by hand (the tables below) so that a test can check its sums
  by hand. Both worlds conserve patients day by day, so the accounts obey the identity
  ``counterfactual_served + added_demand = served + served_elsewhere + forgone +
  displaced + waiting_change``.
* :func:`accounted`: a configuration simulated, with the accounts the kernel computes
  beside it in the no-strike world.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from facility_impact import load_config
from facility_impact.model.parameters import build_parameters
from facility_impact.results.accounting import missing_results
from facility_impact.run.workflow import simulate_parameters, with_configuration

POPULATION = 1000.0
SHARE_STAYING = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
"""pi(t): half the people leave on day 3."""

# Per day 0..5; the strike is on day 1. Demand = served + elsewhere + unmet +
# abandoned + change in backlog.
OUTPATIENT = {
    "served": [10, 0, 4, 5, 6, 6],
    "served_elsewhere": [0, 2, 2, 0, 0, 0],
    "unmet": [0, 6, 3, 1, 0, 2],
    "abandoned": [0, 0, 1, 0, 0, 0],
    "backlog": [0, 2, 2, 1, 0, 1],
    "capacity": [10, 0, 6, 6, 6, 6],
}
SURGERY = {
    "served": [2, 0, 0, 1, 1, 2],
    "served_elsewhere": [0, 1, 0, 0, 0, 0],
    "unmet": [1, 4, 1, 0.5, 1.5, 0.5],
    "abandoned": [0, 0, 0, 0, 0, 0],
    "backlog": [0, 0, 2, 2, 1, 0],
    "capacity": [2, 0, 1, 1, 1, 2],
}
NO_STRIKE = {
    # (served here or elsewhere, unmet + abandoned) per day in the no-strike world,
    # whose backlog does not change: surgery had a shortage before any strike.
    "outpatient": (10.0, 0.0),
    "surgery": (2.0, 1.0),
}
BASELINE = {"outpatient": 10.0, "surgery": 2.0}


def _daily(values: Mapping[str, list[float]], name: str) -> np.ndarray:
    return np.asarray(values[name], dtype=float)


def tiny_results() -> xr.Dataset:
    """The hand-built results (see the module docstring), dims (facility, service, time)."""
    share = np.asarray(SHARE_STAYING)
    flows: dict[str, list[np.ndarray]] = {}
    for service, table in (("outpatient", OUTPATIENT), ("surgery", SURGERY)):
        backlog = _daily(table, "backlog")
        change = np.diff(backlog, prepend=0.0)
        lost = _daily(table, "unmet") + _daily(table, "abandoned")
        demand = _daily(table, "served") + _daily(table, "served_elsewhere") + lost + change
        received_cf, lost_cf = NO_STRIKE[service]
        demand_cf = np.full(6, received_cf + lost_cf)
        computed = {
            **{name: _daily(table, name) for name in table},
            "demand": demand,
            "counterfactual_demand": demand_cf,
            "counterfactual_served": np.full(6, received_cf),
            "forgone": lost - share * lost_cf,
            "displaced": (1 - share) * received_cf,
            "waiting_change": change,
            "added_demand": demand - share * demand_cf,
        }
        for name, values in computed.items():
            flows.setdefault(name, []).append(values)
    dims = ("facility", "service", "time")
    data: dict[str, Any] = {name: (dims, np.stack(rows)[None]) for name, rows in flows.items()}
    data["population"] = (("facility", "time"), [POPULATION * share])
    data["baseline_capacity"] = (("facility", "service"), [[BASELINE["outpatient"], 2.0]])
    data["available"] = (("facility", "resource", "time"), np.ones((1, 1, 6)))
    data["baseline_quantity"] = (("facility", "resource"), [[10.0]])
    data["strike_day"] = (("strike",), [1.0])
    return xr.Dataset(
        data,
        coords={
            "facility": ["clinic"],
            "service": ["outpatient", "surgery"],
            "resource": ["staff"],
            "time": np.arange(6),
            "day": ("time", np.arange(6)),
            "strike": [0],
        },
        attrs={"title": "tiny clinic"},
    )


def accounted(config: Any, **overrides: Any) -> xr.Dataset:
    """``config`` (a path or mapping, ``load_config``'s overrides) simulated, with the accounts."""
    loaded = load_config(config, **overrides)
    results = with_configuration(simulate_parameters(build_parameters(loaded)), loaded)
    assert not missing_results(results), "the kernel writes the accounts"
    return results
