"""From a checked :class:`~facility_impact.config.Config` to the parameter Dataset.

Every model input becomes one variable of an ``xarray.Dataset`` that carries
only the dims it varies along (``facility``, ``destination_facility``,
``service``, ``resource``, ``strike``, ``alternative``, ``time``). Any further
dim on a parameter (a sweep, ``draw``, ``scenario``) is broadcast by the
simulation, which loops over days alone. Volumes are converted here to daily
rates, the model's base unit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import xarray as xr

from facility_impact.config import DAYS_PER_MONTH, Config

STRUCTURAL_DIMS = (
    "facility",
    "destination_facility",
    "service",
    "resource",
    "strike",
    "alternative",
    "time",
)
"""Dims that describe the system; any other dim on a parameter is an ensemble dim."""

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
}


def build_parameters(config: Config) -> xr.Dataset:
    """The parameter Dataset of ``config``: one variable per model input, in base units.

    Units: patients per day for volumes, days for times, km for distances,
    fractions (``"1"``) for shares and weights.
    """
    facilities = list(config.facilities.values())
    facility_names = [f.name for f in facilities]
    services = config.service_names
    resources = config.resource_names
    strikes = config.strikes
    alternatives = config.alternatives
    horizon = config.horizon_days

    def grid(value_of, *axes):
        return np.array([[value_of(a, b) for b in axes[1]] for a in axes[0]], dtype=float)

    service_of = {f.name: f.services for f in facilities}

    def service_value(attribute, missing=0.0):
        def value(facility, service):
            line = service_of[facility].get(service)
            return missing if line is None else getattr(line, attribute)

        return grid(value, facility_names, services)

    dependency = np.array(
        [
            [
                [
                    service_of[f][s].needs.get(r, 0.0) if s in service_of[f] else 0.0
                    for r in resources
                ]
                for s in services
            ]
            for f in facility_names
        ],
        dtype=float,
    )
    multiplier = np.ones((len(facilities), len(services), horizon))
    for i, facility in enumerate(facilities):
        for j, service in enumerate(services):
            for period in getattr(facility.services.get(service), "demand_multipliers", ()):
                multiplier[i, j, period.start_day : period.end_day] *= period.factor

    def displacement(attribute, default=0.0):
        values = []
        for facility in facilities:
            move = facility.displacement
            if move is None:
                values.append(default)
            elif attribute in ("share", "start_day"):
                values.append(getattr(move, attribute))
            elif attribute == "code":
                values.append(move.curve.code)
            else:
                values.append(getattr(move.curve, attribute))
        return np.array(values, dtype=float)

    def recovery_value(value_of):
        return grid(lambda f, r: value_of(config.recovery_for(r, f)), facility_names, resources)

    def network_distance(origin, destination):
        # Without [network] nobody can travel between modelled facilities (checked).
        if config.network is None:
            return 0.0 if origin == destination else math.inf
        return config.network.distance(origin, destination)

    values = {
        "population_baseline": np.array([f.population for f in facilities], dtype=float),
        "facility_opens_day": np.array([f.opens_day for f in facilities], dtype=float),
        "facility_closes_day": np.array(
            [math.inf if f.closes_day is None else f.closes_day for f in facilities], dtype=float
        ),
        "network_distance_km": grid(network_distance, facility_names, facility_names),
        "baseline_quantity": grid(
            lambda f, r: config.facilities[f].resources.get(r, 0.0), facility_names, resources
        ),
        "baseline_capacity": service_value("volume_per_month") / DAYS_PER_MONTH,
        "demand_ratio": service_value("demand_ratio", 1.0),
        "dependency_weight": dependency,
        "deferrable_share": service_value("deferrable_share"),
        "backlog_attrition": service_value("backlog_attrition_per_day"),
        "willingness_to_travel": service_value("willingness_to_travel"),
        "distance_decay_km": service_value("distance_decay_km", np.inf),
        "demand_multiplier": multiplier,
        "displacement_share": displacement("share"),
        "displacement_curve": displacement("code"),
        "displacement_time_days": displacement("time_days"),
        "displacement_mean_days": displacement("mean_days"),
        "displacement_sd_days": displacement("sd_days"),
        "displacement_start_day": displacement("start_day") + displacement("delay_days"),
        "strike_day": np.array([k.day for k in strikes], dtype=float),
        "strike_closure_days": np.array([k.closure_days for k in strikes], dtype=float),
        "strike_damage": np.array(
            [[k.damage.get(r, 0.0) for r in resources] for k in strikes], dtype=float
        ).reshape(len(strikes), len(resources)),
        "strike_casualties": np.array([k.casualties for k in strikes], dtype=float),
        "strike_target": np.array(
            [[float(k.facility == f) for f in facility_names] for k in strikes], dtype=float
        ).reshape(len(strikes), len(facilities)),
        "strike_casualty_service": np.array(
            [[float(k.casualty_service == s) for s in services] for k in strikes], dtype=float
        ).reshape(len(strikes), len(services)),
        "recovery_curve": recovery_value(lambda rec: rec.curve.code),
        "recovery_time_days": recovery_value(lambda rec: rec.curve.time_days),
        "recovery_mean_days": recovery_value(lambda rec: rec.curve.mean_days),
        "recovery_sd_days": recovery_value(lambda rec: rec.curve.sd_days),
        "recovery_delay_days": recovery_value(lambda rec: rec.curve.delay_days),
        "recoverable_share": recovery_value(lambda rec: rec.recoverable_share),
        "alternative_distance_km": np.array(
            [[a.distance_km[f] for a in alternatives] for f in facility_names], dtype=float
        ).reshape(len(facilities), len(alternatives)),
        "alternative_spare_capacity": np.array(
            [[a.spare_capacity_per_month.get(s, 0.0) for s in services] for a in alternatives],
            dtype=float,
        ).reshape(len(alternatives), len(services))
        / DAYS_PER_MONTH,
        "alternative_capacity": np.array(
            [[a.capacity_per_month.get(s, 0.0) for s in services] for a in alternatives],
            dtype=float,
        ).reshape(len(alternatives), len(services))
        / DAYS_PER_MONTH,
        "alternative_opens_day": np.array([a.opens_day for a in alternatives], dtype=float),
    }
    data_vars = {
        name: xr.DataArray(values[name], dims=dims, attrs={"units": units, "long_name": long_name})
        for name, (dims, units, long_name) in PARAMETER_METADATA.items()
    }
    coords = {
        "facility": facility_names,
        "destination_facility": facility_names,
        "service": services,
        "resource": resources,
        "strike": np.arange(len(strikes)),
        "alternative": [a.name for a in alternatives],
        "day": ("time", np.arange(horizon)),
    }
    if config.start_date is not None:
        coords["time"] = pd.date_range(config.start_date, periods=horizon, freq="D")
    else:
        coords["time"] = np.arange(horizon)
    return xr.Dataset(data_vars, coords=coords)
