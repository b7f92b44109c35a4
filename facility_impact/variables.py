"""The registry of output variables, read from ``data/variables.toml``.

One source for names, dims, units and long names: the simulation attaches the
metadata from it and the tests check results against it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files

import xarray as xr


@dataclass(frozen=True)
class OutputVariable:
    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    description: str

    @property
    def attrs(self) -> dict[str, str]:
        return {"units": self.units, "long_name": self.long_name, "description": self.description}


def _load() -> dict[str, OutputVariable]:
    table = tomllib.loads(files("facility_impact").joinpath("data/variables.toml").read_text())
    return {
        name: OutputVariable(
            name, tuple(entry["dims"]), entry["units"], entry["long_name"], entry["description"]
        )
        for name, entry in table.items()
    }


OUTPUT_VARIABLES: dict[str, OutputVariable] = _load()

STRUCTURAL_DIMS = (
    "facility",
    "destination_facility",
    "service",
    "resource",
    "strike",
    "alternative",
    "time",
    "outcome",
    "input",
)
"""Dims that describe the system; any other dim on a parameter is an ensemble dim."""

RESULT_NAMES = (
    # coordinates of results and summaries
    "draw",
    "scenario",
    "day",
    "period",
    "threshold",
    "quantile",
    "indicator",
    "moment",
    "strike_day",
    "strike_closure_days",
    "strike_facility",
    "strike_label",
    "facility_label",
    "alternative_label",
    "scenario_label",
    "input_keys",
    "input_quantile",
    "outcome_label",
    "outcome_source",
    "opens_day",
    "closes_day",
    # summary indicators
    "baseline_volume_per_month",
    "demand_total",
    "forgone_care",
    "served_elsewhere_total",
    "forgone_share",
    "capacity_loss_days",
    "coverage",
    "person_days_without_access",
    "days_to_capacity",
    "backlog_at_horizon",
    "not_recovered_share",
    "indicative_outcome",
    "standard_value",
    "standard_threshold",
    "meets_standard",
    "days_at_full_capacity",
    "arrivals_total",
    "received_total",
    "overflow_total",
)
# name: (dims, units, long_name)
PARAMETER_METADATA: dict[str, tuple[tuple[str, ...], str, str]] = {
    "population_baseline": (("facility",), "person", "catchment population before the strikes"),
    "facility_opens_day": (("facility",), "d", "first day the facility exists"),
    "facility_closes_day": (
        ("facility",),
        "d",
        "first day the facility is closed for good (inf: never)",
    ),
    "network_distance_km": (
        ("facility", "destination_facility"),
        "km",
        "distance from facility to destination facility (inf: out of reach)",
    ),
    "baseline_quantity": (("facility", "resource"), "1", "baseline quantity of resource"),
    "baseline_capacity": (
        ("facility", "service"),
        "patient d-1",
        "baseline capacity (daily volume served before the strikes)",
    ),
    "demand_ratio": (("facility", "service"), "1", "baseline demand over baseline volume"),
    "dependency_weight": (
        ("facility", "service", "resource"),
        "1",
        "dependency of service on resource",
    ),
    "deferrable_share": (("facility", "service"), "1", "share of unserved demand that waits"),
    "backlog_attrition": (
        ("facility", "service"),
        "d-1",
        "daily share of waiting patients who give up",
    ),
    "willingness_to_travel": (
        ("facility", "service"),
        "1",
        "share of displaced patients willing to travel to an alternative",
    ),
    "distance_decay_km": (("facility", "service"), "km", "distance-decay scale of travel"),
    "demand_multiplier": (("facility", "service", "time"), "1", "demand multiplier"),
    "displacement_share": (("facility",), "1", "share of the population displaced"),
    "displacement_curve": (("facility",), "1", "displacement curve family code"),
    "displacement_time_days": (("facility",), "d", "displacement curve time"),
    "displacement_mean_days": (("facility",), "d", "displacement curve mean (normal family)"),
    "displacement_sd_days": (("facility",), "d", "displacement curve sd (normal family)"),
    "displacement_start_day": (("facility",), "d", "day displacement starts"),
    "strike_day": (("strike",), "d", "day of strike"),
    "strike_closure_days": (("strike",), "d", "closure after strike"),
    "strike_damage": (("strike", "resource"), "1", "damage fraction of resource"),
    "strike_casualties": (("strike",), "patient", "casualties added to demand on the strike day"),
    "strike_target": (("strike", "facility"), "1", "1 where the strike hits the facility"),
    "strike_casualty_service": (
        ("strike", "service"),
        "1",
        "1 for the service that receives the strike's casualties",
    ),
    "recovery_curve": (("facility", "resource"), "1", "recovery curve family code"),
    "recovery_time_days": (("facility", "resource"), "d", "recovery curve time"),
    "recovery_mean_days": (("facility", "resource"), "d", "recovery curve mean (normal family)"),
    "recovery_sd_days": (("facility", "resource"), "d", "recovery curve sd (normal family)"),
    "recovery_delay_days": (("facility", "resource"), "d", "delay before recovery starts"),
    "recoverable_share": (
        ("facility", "resource"),
        "1",
        "share of lost resource that can come back",
    ),
    "alternative_distance_km": (
        ("facility", "alternative"),
        "km",
        "distance from facility to alternative",
    ),
    "alternative_spare_capacity": (
        ("alternative", "service"),
        "patient d-1",
        "spare capacity of alternative",
    ),
    "alternative_capacity": (
        ("alternative", "service"),
        "patient d-1",
        "baseline capacity of alternative (attraction weight)",
    ),
    "alternative_opens_day": (("alternative",), "d", "day the alternative opens"),
    "outcome_rate": (
        ("outcome",),
        "1",
        "indicative outcome per forgone patient",
    ),
    "outcome_service": (("outcome", "service"), "1", "1 for the service an outcome counts"),
}


RESERVED_DIMS = frozenset((*STRUCTURAL_DIMS, *PARAMETER_METADATA, *OUTPUT_VARIABLES, *RESULT_NAMES))
"""Names a sweep dim cannot take: the model's dims, variables and coordinates."""

SUMMARY_DIMS = ("period", "threshold", "indicator", "moment", "quantile")
"""Dims that summaries add: windows after the first strike, recovery thresholds,
standards' indicators and moments, quantiles over draws."""

SCENARIO_DIM = "scenario"
DRAW_DIM = "draw"


def ensemble_dims(data: xr.Dataset | xr.DataArray) -> tuple[str, ...]:
    """The ensemble dims of parameters, results or a summary, in the kernel's order.

    Every dim that is neither structural (:data:`STRUCTURAL_DIMS`) nor a summary
    dim (:data:`SUMMARY_DIMS`) is an ensemble dim: ``scenario`` first, then the
    sweep dims in order of first appearance over the variables, ``draw`` last
    (so that one draw's days of one scenario lie together in memory). This is
    the one place that decides it.
    """
    arrays = data.data_vars.values() if isinstance(data, xr.Dataset) else [data]
    found: list[str] = []
    for array in arrays:
        found.extend(
            str(d)
            for d in array.dims
            if d not in STRUCTURAL_DIMS and d not in SUMMARY_DIMS and d not in found
        )
    return tuple(sorted(found, key=lambda d: (d != SCENARIO_DIM, d == DRAW_DIM)))


def sweep_dims(data: xr.Dataset | xr.DataArray) -> tuple[str, ...]:
    """The sweep dims of ``data``: ensemble dims other than ``scenario`` and ``draw``."""
    return tuple(d for d in ensemble_dims(data) if d not in (SCENARIO_DIM, DRAW_DIM))
