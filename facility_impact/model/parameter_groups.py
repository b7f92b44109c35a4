"""The parameters of facilities and their services, recovery, alternatives and outcomes.

Each function turns one part of a checked configuration into DataArrays in the
model's base units (patients a day, days, km, fractions); see
:func:`facility_impact.model.parameters.build_parameters`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.config import DAYS_PER_MONTH, DAYS_PER_YEAR, Service
from facility_impact.model.layout import Layout, where


def facility_values(layout: Layout) -> dict[str, xr.DataArray]:
    """Population, life span, travel between facilities and resource counts."""
    config, facilities, names = layout.config, layout.facilities, layout.facility_names

    def network_distance(origin: str, destination: str) -> float:
        # Without [network] nobody can travel between modelled facilities (checked).
        if config.network is None:
            return 0.0 if origin == destination else math.inf
        return config.network.distance(origin, destination)

    closes = [math.inf if f.closes_day is None else f.closes_day for f in facilities]
    return {
        "population_baseline": layout.stack([f.population for f in facilities], "facility"),
        "facility_opens_day": layout.stack([f.opens_day for f in facilities], "facility"),
        "facility_closes_day": layout.stack(closes, "facility"),
        "network_distance_km": layout.stack(
            [[network_distance(o, d) for d in names] for o in names],
            "facility",
            "destination_facility",
        ),
        "baseline_quantity": quantities(layout),
    }


def quantities(layout: Layout) -> xr.DataArray:
    """Each facility's baseline quantity ``Q_r`` of each resource (0 where it has none)."""
    resources = layout.config.resource_names
    return layout.stack(
        [[f.resources.get(r, 0.0) for r in resources] for f in layout.facilities],
        "facility",
        "resource",
    )


def capacity_and_demand(layout: Layout) -> dict[str, xr.DataArray]:
    """``resource_capacity``, ``baseline_capacity`` and ``baseline_demand`` [patient d-1].

    ``K_rs = Q_r θ_rs`` where the service gives a throughput ``θ_rs`` for resource
    ``r``, ``inf`` elsewhere. ``C0_s`` is ``volume_per_month / DPM`` where the
    service gives a volume, else ``min_r K_rs``; 0 where it is not offered.
    ``D0_s = P0 u_s / 365.25`` where the service gives a utilisation ``u_s``,
    else ``C0_s × demand_ratio``.
    """
    services, resources = layout.config.service_names, layout.config.resource_names
    lines: list[dict[str, Service]] = [f.services for f in layout.facilities]

    def per_service(value_of: Callable[[Service], Any], missing: float) -> xr.DataArray:
        cells = [[value_of(own[s]) if s in own else missing for s in services] for own in lines]
        return layout.stack(cells, "facility", "service")

    def throughput_of(own: dict[str, Service], resource: str, service: str) -> float:
        return own[service].throughput_per_day.get(resource, 0.0) if service in own else 0.0

    throughput = layout.stack(
        [[[throughput_of(own, r, s) for s in services] for r in resources] for own in lines],
        "facility",
        "resource",
        "service",
    )
    limits = layout.mask(
        [
            [[s in own and r in own[s].throughput_per_day for s in services] for r in resources]
            for own in lines
        ],
        "facility",
        "resource",
        "service",
    )
    resource_capacity = where(limits, quantities(layout) * throughput, np.inf)
    volume_given = layout.mask(
        [[s in own and own[s].volume_given for s in services] for own in lines],
        "facility",
        "service",
    )
    volume = per_service(lambda line: line.volume_per_month if line.volume_given else 0.0, 0.0)
    offered = layout.mask([[s in own for s in services] for own in lines], "facility", "service")
    # No resource anywhere: every service gives a volume (checked).
    limit = resource_capacity.min("resource") if resources else xr.DataArray(np.inf)
    baseline_capacity = where(offered, where(volume_given, volume / DAYS_PER_MONTH, limit), 0.0)
    from_people = layout.mask(
        [
            [s in own and own[s].utilisation_per_person_year is not None for s in services]
            for own in lines
        ],
        "facility",
        "service",
    )
    utilisation = per_service(
        lambda line: (
            0.0 if line.utilisation_per_person_year is None else line.utilisation_per_person_year
        ),
        0.0,
    )
    population = layout.stack([f.population for f in layout.facilities], "facility")
    baseline_demand = where(
        from_people,
        population * utilisation / DAYS_PER_YEAR,
        baseline_capacity * per_service(lambda line: line.demand_ratio, 1.0),
    )
    return {
        "resource_capacity": resource_capacity,
        "baseline_capacity": baseline_capacity,
        "baseline_demand": baseline_demand,
    }


def service_values(layout: Layout, multiplier: xr.DataArray) -> dict[str, xr.DataArray]:
    """Each facility's services: capacity, demand, dependencies, waiting and travel."""
    services, resources = layout.config.service_names, layout.config.resource_names
    service_of = {f.name: f.services for f in layout.facilities}
    names = layout.facility_names

    def service_value(attribute: str, missing: float = 0.0) -> xr.DataArray:
        return layout.stack(
            [[getattr(service_of[f].get(s), attribute, missing) for s in services] for f in names],
            "facility",
            "service",
        )

    def need(facility: str, service: str, resource: str) -> float:
        offered = service_of[facility]
        return offered[service].needs.get(resource, 0.0) if service in offered else 0.0

    return {
        **capacity_and_demand(layout),
        "reach_km": service_value("reach_km", math.inf),
        "dependency_weight": layout.stack(
            [[[need(f, s, r) for r in resources] for s in services] for f in names],
            "facility",
            "service",
            "resource",
        ),
        "deferrable_share": service_value("deferrable_share"),
        "backlog_attrition": service_value("backlog_attrition_per_day"),
        "willingness_to_travel": service_value("willingness_to_travel"),
        "distance_decay_km": service_value("distance_decay_km", np.inf),
        "demand_multiplier": multiplier,
    }


def demand_multiplier(layout: Layout) -> xr.DataArray:
    """The product of every demand period's factor on the days it covers, else 1."""
    facilities, services = layout.facilities, layout.config.service_names
    horizon = layout.config.horizon_days
    day = xr.DataArray(np.arange(horizon), dims="time")
    multiplier = xr.DataArray(
        np.ones((len(facilities), len(services), horizon)), dims=("facility", "service", "time")
    )
    for i, facility in enumerate(facilities):
        for j, service in enumerate(services):
            for period in getattr(facility.services.get(service), "demand_multipliers", ()):
                cell = np.zeros((len(facilities), len(services)), dtype=bool)
                cell[i, j] = True
                inside = (day >= layout.number(period.start_day)) & (
                    day < layout.number(period.end_day)
                )
                applies = inside & xr.DataArray(cell, dims=("facility", "service"))
                factor = layout.number(period.factor)
                multiplier = multiplier * where(applies, factor, 1.0)
    return multiplier


def recovery_values(layout: Layout) -> dict[str, xr.DataArray]:
    """How each resource of each facility recovers."""
    config = layout.config

    def recovery_value(value_of: Callable[[Any], float]) -> xr.DataArray:
        return layout.stack(
            [
                [value_of(config.recovery_for(r, f)) for r in config.resource_names]
                for f in layout.facility_names
            ],
            "facility",
            "resource",
        )

    return {
        "recovery_curve": recovery_value(lambda rec: rec.curve.code),
        "recovery_time_days": recovery_value(lambda rec: rec.curve.time_days),
        "recovery_mean_days": recovery_value(lambda rec: rec.curve.mean_days),
        "recovery_sd_days": recovery_value(lambda rec: rec.curve.sd_days),
        "recovery_delay_days": recovery_value(lambda rec: rec.curve.delay_days),
        "recoverable_share": recovery_value(lambda rec: rec.recoverable_share),
    }


def alternative_values(layout: Layout) -> dict[str, xr.DataArray]:
    """The alternatives' distances, capacities and opening days.

    ``alternative_capacity`` (``capacity_per_month``) is not read by the
    destination choice, which uses the spare capacity; the maps draw it.
    """
    alternatives, services = layout.config.alternatives, layout.config.service_names

    def per_day(attribute: str) -> xr.DataArray:
        per_month = [[getattr(a, attribute).get(s, 0.0) for s in services] for a in alternatives]
        return layout.stack(per_month, "alternative", "service") / DAYS_PER_MONTH

    return {
        "alternative_distance_km": layout.stack(
            [[a.distance_km[f] for a in alternatives] for f in layout.facility_names],
            "facility",
            "alternative",
        ),
        "alternative_spare_capacity": per_day("spare_capacity_per_month"),
        "alternative_capacity": per_day("capacity_per_month"),
        "alternative_opens_day": layout.stack([a.opens_day for a in alternatives], "alternative"),
    }


def outcome_values(layout: Layout) -> dict[str, xr.DataArray]:
    """The indicative outcomes' rates and the service each counts."""
    outcomes, services = layout.config.outcomes, layout.config.service_names
    return {
        "outcome_rate": layout.stack([o.per_forgone_patient for o in outcomes], "outcome"),
        "outcome_service": layout.stack(
            [[float(o.service == s) for s in services] for o in outcomes], "outcome", "service"
        ),
    }
