"""What each service's baseline capacity and demand come to, and from what, before any strike.

``facility-impact check`` prints :func:`baseline_lines` and warns with
:func:`baseline_warnings`. The numbers are those of the configuration at its
nominal values (a distribution's median, a sweep's first value), in patients a
month; the parameter builder computes the same from every draw
(``docs/configuration.md``, capacity and demand).
"""

from __future__ import annotations

from dataclasses import dataclass

from facility_impact.config.types import DAYS_PER_MONTH, Config, Facility, Service

VOLUME_FACTOR = 1.5
"""``check`` warns when a given ``volume_per_month`` is more than this factor above, or
below, what the service's resources allow (``min_r Q_r θ_r``)."""

SHORTAGE_TOLERANCE = 1e-6
"""Relative excess of demand over capacity that ``check`` lets pass without a warning:
the rounding of numbers written to a few digits, not a shortage."""


@dataclass(frozen=True)
class ServiceBaseline:
    """One service's baseline at nominal values [patients a month] and how each came about.

    ``resource_limit`` is ``min_r Q_r θ_r`` [patients a month] over the resources
    of ``throughput_per_day`` (``None`` without it) and ``limited_by`` how it
    comes about (``"staff 54 × 0.913 a day"``). ``capacity_from`` and
    ``demand_from`` say in words where capacity and demand come from.
    """

    facility: str
    service: str
    capacity: float
    capacity_from: str
    resource_limit: float | None
    limited_by: str
    volume_given: bool
    demand: float
    demand_from: str


def service_baseline(facility: Facility, line: Service) -> ServiceBaseline:
    """The baseline of service ``line`` of ``facility``."""
    limit, limited_by = None, ""
    if line.throughput_per_day:
        limits = {
            resource: float(facility.resources[resource]) * float(per_unit) * DAYS_PER_MONTH
            for resource, per_unit in line.throughput_per_day.items()
        }
        resource = min(limits, key=lambda name: limits[name])
        limit = limits[resource]
        per_unit = float(line.throughput_per_day[resource])
        limited_by = (
            f"{resource} {float(facility.resources[resource]):g} × {per_unit:.4g} a day"
            + (" (the scarcest)" if len(limits) > 1 else "")
        )
    if line.volume_given:
        capacity = float(line.volume_per_month)
        capacity_from = "volume_per_month as given"
    else:
        capacity = float(limit) if limit is not None else 0.0
        capacity_from = f"{limited_by} × {DAYS_PER_MONTH:g} d"
    if line.utilisation_per_person_year is not None:
        utilisation = float(line.utilisation_per_person_year)
        demand = float(facility.population) * utilisation / 12
        demand_from = f"{float(facility.population):,.0f} people × {utilisation:.4g} a year / 12"
    else:
        ratio = float(line.demand_ratio)
        demand = capacity * ratio
        demand_from = f"capacity × demand_ratio {ratio:g}"
    return ServiceBaseline(
        facility=facility.name,
        service=line.name,
        capacity=capacity,
        capacity_from=capacity_from,
        resource_limit=limit,
        limited_by=limited_by,
        volume_given=line.volume_given,
        demand=demand,
        demand_from=demand_from,
    )


def service_baselines(config: Config) -> list[ServiceBaseline]:
    """Every service of every facility, in file order."""
    return [
        service_baseline(facility, line)
        for facility in config.facilities.values()
        for line in facility.services.values()
    ]


def baseline_lines(config: Config) -> list[str]:
    """Each service's capacity and demand before any strike and where they come from."""
    nominal = " at nominal values" if config.variations() else ""
    lines = [f"before any strike (patients a month{nominal}):"]
    for one in service_baselines(config):
        allowed = ""
        if one.volume_given and one.resource_limit is not None:
            allowed = f"; its resources allow {one.resource_limit:,.0f}: {one.limited_by}"
        lines.append(
            f"  {one.facility} {one.service}: capacity {one.capacity:,.0f} "
            f"({one.capacity_from}{allowed}); demand {one.demand:,.0f} ({one.demand_from})"
        )
    return lines


def baseline_warnings(config: Config) -> list[str]:
    """One line per doubtful baseline, in every scenario: a given volume far from what the
    resources allow, and demand above capacity before any strike."""
    variants = [("", config), *((f"scenario.{s.name}: ", s.config) for s in config.scenarios)]
    return [
        prefix + text
        for prefix, variant in variants
        for one in service_baselines(variant)
        for text in _warnings_of(one)
    ]


def _warnings_of(one: ServiceBaseline) -> list[str]:
    path = f"facility.{one.facility}.services.{one.service}"
    found = []
    limit = one.resource_limit
    if one.volume_given and limit is not None:
        ratio = one.capacity / limit if limit > 0 else float("inf")
        if not 1 / VOLUME_FACTOR <= ratio <= VOLUME_FACTOR:
            found.append(
                f"{path}.volume_per_month = {one.capacity:g}: {ratio:.2g} times what its "
                f"resources allow ({limit:,.0f} a month: {one.limited_by}); check "
                "volume_per_month or throughput_per_day"
            )
    if one.demand > one.capacity * (1 + SHORTAGE_TOLERANCE):
        found.append(
            f"{path}: baseline demand {one.demand:,.0f} a month exceeds its capacity "
            f"{one.capacity:,.0f} a month before any strike (a shortage of "
            f"{one.demand - one.capacity:,.0f} a month)"
        )
    return found
