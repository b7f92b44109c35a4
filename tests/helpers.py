"""Small hand-checkable configurations for the model tests.

``minimal_config()`` is one facility, ``"clinic"``, with 10,000 people, 10 staff
and 1 building, and one outpatient service that needs both fully. Every part can
be replaced by a keyword argument; the result is a plain mapping that
``facility_impact.simulate`` and ``load_config`` accept, so a test can also edit
it in place before simulating.
"""

from __future__ import annotations

import copy
from typing import Any

DAYS_PER_MONTH = 365.25 / 12
"""Mean days in a month (MODEL.md): a monthly volume V is V / 30.4375 per day."""

POPULATION = 10_000.0
RESOURCES = {"staff": 10.0, "building": 1.0}


def service(volume_per_month: float = 600.0, needs: dict[str, float] | None = None, **keys: Any):
    """One service table; ``needs`` defaults to ``{staff = 1, building = 1}``."""
    table: dict[str, Any] = {
        "volume_per_month": volume_per_month,
        "needs": {"staff": 1.0, "building": 1.0} if needs is None else dict(needs),
    }
    table.update(keys)
    return table


def strike(day: int = 0, damage: dict[str, float] | None = None, **keys: Any):
    """One strike table on the clinic; no damage and no closure unless given."""
    table: dict[str, Any] = {"day": day, "damage": {} if damage is None else dict(damage)}
    table.update(keys)
    return table


def alternative(name: str, distance_km: float, spare: dict[str, float], **keys: Any):
    """One alternative facility with ``spare_capacity_per_month = spare``."""
    table: dict[str, Any] = {
        "name": name,
        "distance_km": distance_km,
        "spare_capacity_per_month": dict(spare),
    }
    table.update(keys)
    return table


def minimal_config(
    *,
    services: dict[str, dict[str, Any]] | None = None,
    strikes: list[dict[str, Any]] | None = None,
    recovery: dict[str, dict[str, Any]] | None = None,
    alternatives: list[dict[str, Any]] | None = None,
    displacement: dict[str, Any] | None = None,
    horizon_days: int = 60,
    start_date: Any = None,
    seed: int | None = None,
    population: float = POPULATION,
    resources: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A one-facility mapping configuration.

    Defaults: facility ``clinic`` (population 10,000; staff 10, building 1), one
    service ``outpatient`` of 600 a month needing staff and building with weight 1,
    no strike, no recovery table (so no recovery), no alternative, 60 days.
    """
    facility: dict[str, Any] = {
        "population": population,
        "resources": dict(RESOURCES if resources is None else resources),
        "services": {"outpatient": service()} if services is None else copy.deepcopy(services),
    }
    if displacement is not None:
        facility["displacement"] = dict(displacement)
    run: dict[str, Any] = {"horizon_days": horizon_days}
    if start_date is not None:
        run["start_date"] = start_date
    if seed is not None:
        run["seed"] = seed
    config: dict[str, Any] = {"run": run, "facility": {"clinic": facility}}
    if strikes:
        config["strike"] = copy.deepcopy(strikes)
    if recovery:
        config["recovery"] = copy.deepcopy(recovery)
    if alternatives:
        config["alternative"] = copy.deepcopy(alternatives)
    return config


def facility(services: dict[str, dict[str, Any]] | None = None, **keys: Any) -> dict[str, Any]:
    """One facility table like the minimal clinic: 10,000 people, staff 10, building 1,
    outpatient 600 a month unless ``services`` says otherwise."""
    table: dict[str, Any] = {
        "population": POPULATION,
        "resources": dict(RESOURCES),
        "services": {"outpatient": service()} if services is None else copy.deepcopy(services),
    }
    table.update(keys)
    return table


def network_config(
    facilities: dict[str, dict[str, Any]],
    distance_km: list[list[float]],
    *,
    strikes: list[dict[str, Any]] | None = None,
    recovery: dict[str, dict[str, Any]] | None = None,
    alternatives: list[dict[str, Any]] | None = None,
    horizon_days: int = 30,
    **network_keys: Any,
) -> dict[str, Any]:
    """A mapping configuration of several facilities; ``distance_km`` rows and columns
    follow the order of ``facilities``. Strikes must name their facility."""
    config: dict[str, Any] = {
        "run": {"horizon_days": horizon_days},
        "facility": copy.deepcopy(facilities),
        "network": {
            "facilities": list(facilities),
            "distance_km": copy.deepcopy(distance_km),
            **network_keys,
        },
    }
    if strikes:
        config["strike"] = copy.deepcopy(strikes)
    if recovery:
        config["recovery"] = copy.deepcopy(recovery)
    if alternatives:
        config["alternative"] = copy.deepcopy(alternatives)
    return config
