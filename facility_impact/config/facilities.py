"""Reading ``[facility.<name>]`` (services, demand periods, displacement) and recovery tables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from facility_impact.config.keys import KEYS
from facility_impact.config.reading import (
    TRAVEL_UNITS,
    child,
    fail,
    key_name,
    number_of,
    one_of,
    read,
    read_map,
    table,
    tables,
)
from facility_impact.config.types import (
    Curve,
    DemandPeriod,
    Displacement,
    Facility,
    Recovery,
    Service,
)
from facility_impact.config.variation import Uncertain, high, low
from facility_impact.curves import CURVE_FAMILIES
from facility_impact.errors import ConfigError

FACILITY = "facility.<name>"
SERVICE = f"{FACILITY}.services.<service>"
PERIOD = f"{SERVICE}.demand_multipliers[]"
DISPLACEMENT = f"{FACILITY}.displacement"
TIME_KEYS = ("time_days", "mean_days", "sd_days")


def read_facility(name: str, raw: Any, horizon: int) -> Facility:
    """One ``[facility.<name>]`` table."""
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
        displacement = _read_displacement(facility["displacement"], f"{path}.displacement")
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
    volume = read(service, f"{SERVICE}.volume_per_month", path)
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
    decay_key = one_of(service, path, ("distance_decay_km", "distance_decay_minutes"))
    return Service(
        name=path.rsplit(".", 1)[-1],
        volume_per_month=volume,
        needs=needs,
        demand_ratio=read(service, f"{SERVICE}.demand_ratio", path),
        deferrable_share=read(service, f"{SERVICE}.deferrable_share", path),
        backlog_attrition_per_day=read(service, f"{SERVICE}.backlog_attrition_per_day", path),
        willingness_to_travel=read(service, f"{SERVICE}.willingness_to_travel", path),
        distance_decay_km=read(service, f"{SERVICE}.{decay_key}", path),
        demand_multipliers=periods,
        decay_unit=TRAVEL_UNITS[decay_key],
    )


def _read_period(raw: Any, path: str, horizon: int) -> DemandPeriod:
    period = table(raw, path, PERIOD)
    start = read(period, f"{PERIOD}.start_day", path, horizon=horizon)
    # end_day is exclusive and defaults to the horizon; a period that runs
    # past the horizon is cut there (a shorter --horizon stays valid).
    end = read(period, f"{PERIOD}.end_day", path, fallback=horizon)
    if low(end) <= high(start):
        raise fail(f"{path}.end_day", end, f"must be > start_day ({start:g})")
    return DemandPeriod(start, end, read(period, f"{PERIOD}.factor", path))


def _read_displacement(raw: Any, path: str) -> Displacement:
    displacement = table(raw, path)
    curve = read_curve(displacement, DISPLACEMENT, path)
    return Displacement(
        share=read(displacement, f"{DISPLACEMENT}.share", path),
        curve=curve,
        start_day=read(displacement, f"{DISPLACEMENT}.start_day", path),
    )


def read_recovery(
    raw: Any, pattern: str, path: str, resources: list[str], what: str
) -> dict[str, Recovery]:
    """``[recovery.<resource>]`` tables (top level, or per facility under ``path``);
    ``pattern`` is the schema's pattern of one table."""
    recovery = {}
    for resource, table_raw in table(raw, path).items():
        key_name(resource, path, resources, what)
        table_path = f"{path}.{resource}"
        one = table(table_raw, table_path)
        recovery[resource] = Recovery(
            curve=read_curve(one, pattern, table_path),
            recoverable_share=read(one, f"{pattern}.recoverable_share", table_path),
        )
    return recovery


def read_curve(raw: Mapping[str, Any], pattern: str, path: str) -> Curve:
    """The curve keys of a recovery or displacement table (``pattern``) at ``path``."""
    table(raw, path, pattern)
    family = read(raw, f"{pattern}.curve", path)
    needed = CURVE_FAMILIES[family].parameters
    for key in TIME_KEYS:
        if key in raw and key not in needed:
            raise ConfigError(
                f"{path}.{key}: not used by curve {json.dumps(family)}; "
                f"it takes {', '.join(needed) or 'no time parameter'}"
            )
    values = dict.fromkeys(TIME_KEYS, 0.0)
    for key in needed:
        if key not in raw:
            raise ConfigError(f"{path}.{key}: missing; required by curve {json.dumps(family)}")
        values[key] = number_of(KEYS[f"{pattern}.{key}"], raw[key], child(path, key))
    # A continuous distribution truncated at 0 is > 0 almost surely.
    time_days = values["time_days"]
    if family == "exponential" and not isinstance(time_days, Uncertain) and low(time_days) == 0:
        raise fail(f"{path}.time_days", 0, "must be > 0 for an exponential curve")
    delay = read(raw, f"{pattern}.delay_days", path)
    return Curve(family, delay_days=delay, **values)
