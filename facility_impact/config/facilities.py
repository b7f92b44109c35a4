"""Reading ``[facility.<name>]``: its resources, services and demand periods, and (through
:mod:`~facility_impact.config.moves` and :mod:`~facility_impact.config.curve_tables`) its
displacement, relocation and recovery tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facility_impact.config.curve_tables import read_recovery
from facility_impact.config.default_values import default_decay_km
from facility_impact.config.moves import read_displacement, read_relocation
from facility_impact.config.reading import (
    TRAVEL_UNITS,
    fail,
    one_of,
    read,
    read_map,
    table,
    tables,
)
from facility_impact.config.types import DAYS_PER_MONTH, DemandPeriod, Facility, Service
from facility_impact.config.variation import high, low
from facility_impact.errors import ConfigError

FACILITY = "facility.<name>"
SERVICE = f"{FACILITY}.services.<service>"
PERIOD = f"{SERVICE}.demand_multipliers[]"


def read_facility(name: str, raw: Any, horizon: int, facilities: list[str]) -> Facility:
    """One ``[facility.<name>]`` table; ``facilities`` names every facility of the file."""
    path = f"facility.{name}"
    facility = table(raw, path, FACILITY)
    population = read(facility, f"{FACILITY}.population", path)
    resources = read_map(
        read(facility, f"{FACILITY}.resources", path),
        f"{FACILITY}.resources",
        f"{path}.resources",
        None,
    )
    services_raw = table(read(facility, f"{FACILITY}.services", path), f"{path}.services")
    if not services_raw:
        raise fail(f"{path}.services", {}, "must hold at least one service table")
    services = {
        service: read_service(service_raw, f"{path}.services.{service}", resources, horizon)
        for service, service_raw in services_raw.items()
    }
    displacement = None
    if "displacement" in facility:
        displacement = read_displacement(
            facility["displacement"], f"{path}.displacement", name, facilities
        )
    relocation = None
    if "relocation" in facility:
        relocation = read_relocation(
            facility["relocation"], f"{path}.relocation", name, list(resources)
        )
    label = read(facility, f"{FACILITY}.label", path, fallback=name)
    # A day on or after the horizon means "not within this run", so a shorter
    # --horizon keeps a configuration valid.
    opens_day = read(facility, f"{FACILITY}.opens_day", path)
    closes_day = read(facility, f"{FACILITY}.closes_day", path)
    if closes_day is not None and low(closes_day) <= high(opens_day):
        raise fail(f"{path}.closes_day", closes_day, f"must be > opens_day ({opens_day:g})")
    recovery = read_recovery(
        facility.get("recovery", {}),
        f"{FACILITY}.recovery.<resource>",
        f"{path}.recovery",
        list(resources),
        f"resource of {name}",
    )
    return Facility(
        name=name,
        label=label,
        population=population,
        resources=resources,
        services=services,
        displacement=displacement,
        opens_day=opens_day,
        closes_day=closes_day,
        recovery=recovery,
        relocation=relocation,
        **_read_place(facility, path),
    )


def _read_place(facility: Mapping[str, Any], path: str) -> dict[str, Any]:
    """``latitude``/``longitude`` [degrees] (both or neither), ``id`` and ``type``."""
    given = [key for key in ("latitude", "longitude") if key in facility]
    if len(given) == 1:
        other = "longitude" if given[0] == "latitude" else "latitude"
        raise ConfigError(f"{path}.{other}: missing; required because {given[0]} is given")
    return {
        "latitude": read(facility, f"{FACILITY}.latitude", path),
        "longitude": read(facility, f"{FACILITY}.longitude", path),
        "source_id": read(facility, f"{FACILITY}.id", path),
        "kind": read(facility, f"{FACILITY}.type", path),
    }


def read_service(raw: Any, path: str, resources: dict[str, float], horizon: int) -> Service:
    """One ``[facility.<name>.services.<service>]`` table."""
    service = table(raw, path, SERVICE)
    name = path.rsplit(".", 1)[-1]
    needs = read_map(
        read(service, f"{SERVICE}.needs", path),
        f"{SERVICE}.needs",
        f"{path}.needs",
        list(resources),
        "resource",
    )
    periods = tuple(
        _read_period(period, f"{path}.demand_multipliers[{index}]", horizon)
        for index, period in enumerate(
            tables(service.get("demand_multipliers", []), f"{path}.demand_multipliers")
        )
    )
    one_of(service, path, ("utilisation_per_person_year", "demand_ratio"))
    reach_key = one_of(service, path, ("reach_km", "reach_minutes"))
    return Service(
        name=name,
        needs=needs,
        demand_ratio=read(service, f"{SERVICE}.demand_ratio", path),
        utilisation_per_person_year=read(service, f"{SERVICE}.utilisation_per_person_year", path),
        deferrable_share=read(service, f"{SERVICE}.deferrable_share", path),
        backlog_attrition_per_day=read(service, f"{SERVICE}.backlog_attrition_per_day", path),
        willingness_to_travel=read(service, f"{SERVICE}.willingness_to_travel", path),
        demand_multipliers=periods,
        reach_km=read(service, f"{SERVICE}.{reach_key}", path),
        reach_unit=TRAVEL_UNITS[reach_key] if reach_key in service else None,
        **_read_capacity(service, path, resources),
        **_read_decay(service, path, name),
    )


def _read_capacity(
    service: Mapping[str, Any], path: str, resources: dict[str, float]
) -> dict[str, Any]:
    """``volume_per_month`` and ``throughput_per_day``: at least one; without a volume, the
    monthly capacity the resources allow at their nominal values stands for it."""
    if "volume_per_month" not in service and "throughput_per_day" not in service:
        raise ConfigError(
            f"{path}.volume_per_month: missing; required unless throughput_per_day is given "
            "(patients a day per unit of a resource, as { staff = 0.9 })"
        )
    throughput = read_map(
        service.get("throughput_per_day", {}),
        f"{SERVICE}.throughput_per_day",
        f"{path}.throughput_per_day",
        list(resources),
        "resource",
    )
    if "throughput_per_day" in service and not throughput:
        raise fail(
            f"{path}.throughput_per_day",
            {},
            "must name at least one resource of the facility, as { staff = 0.9 }",
        )
    if "volume_per_month" in service:
        volume = read(service, f"{SERVICE}.volume_per_month", path)
    else:
        volume = DAYS_PER_MONTH * min(
            float(resources[resource]) * float(per_unit)
            for resource, per_unit in throughput.items()
        )
    return {
        "volume_per_month": volume,
        "volume_given": "volume_per_month" in service,
        "throughput_per_day": throughput,
    }


def _read_decay(service: Mapping[str, Any], path: str, name: str) -> dict[str, Any]:
    """The distance-decay scale [km or minutes] and its unit; without one, the cited
    default in km (unit ``"default"``, settled once the file's travel unit is known)."""
    if "distance_decay_km" not in service and "distance_decay_minutes" not in service:
        return {"distance_decay_km": default_decay_km(name), "decay_unit": "default"}
    key = one_of(service, path, ("distance_decay_km", "distance_decay_minutes"))
    return {
        "distance_decay_km": read(service, f"{SERVICE}.{key}", path),
        "decay_unit": TRAVEL_UNITS[key],
    }


def _read_period(raw: Any, path: str, horizon: int) -> DemandPeriod:
    period = table(raw, path, PERIOD)
    start = read(period, f"{PERIOD}.start_day", path, horizon=horizon)
    # end_day is exclusive and defaults to the horizon; a period that runs
    # past the horizon is cut there (a shorter --horizon stays valid).
    end = read(period, f"{PERIOD}.end_day", path, fallback=horizon)
    if low(end) <= high(start):
        raise fail(f"{path}.end_day", end, f"must be > start_day ({start:g})")
    return DemandPeriod(start, end, read(period, f"{PERIOD}.factor", path))
