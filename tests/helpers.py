"""Small hand-checkable configurations for the model tests.

``minimal_config()`` is one facility, ``"clinic"``, with 10,000 people, 10 staff
and 1 building, and one outpatient service that needs both fully. Every part can
be replaced by a keyword argument; the result is a plain mapping that
``facility_impact.simulate`` and ``load_config`` accept, so a test can also edit
it in place before simulating.
"""

from __future__ import annotations

import copy
from pathlib import Path
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


# --------------------------------------------------------------------------- ensembles

FLOW_VARIABLES = (
    "available",
    "capacity",
    "demand",
    "served",
    "served_elsewhere",
    "unmet",
    "abandoned",
    "backlog",
    "population",
    "is_open",
    "received_by_alternative",
)
"""The result variables the model computes day by day (MODEL.md's data contract)."""


def dist(family: str, **keys: Any) -> dict[str, Any]:
    """A distribution table, e.g. ``dist("uniform", low=0, high=60)``."""
    return {"dist": family, **keys}


def edited(config: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of a mapping configuration with each dotted key path set (as ``--set`` does)."""
    from facility_impact.config import apply_settings

    return apply_settings(config, list(settings.items()))


def with_draws(config: dict[str, Any], draws: int, seed: int | None = None) -> dict[str, Any]:
    """A copy of ``config`` with ``run.draws`` (and ``run.seed``) set."""
    config = copy.deepcopy(config)
    config.setdefault("run", {})["draws"] = draws
    if seed is not None:
        config["run"]["seed"] = seed
    return config


ENSEMBLE_TOML = """\
title = "ensemble test clinic"

[run]
horizon_days = 40
seed = 11

[facility.clinic]
population = 10000
resources = { staff = 10, building = 1 }

[facility.clinic.services.outpatient]
volume_per_month = 600
needs = { staff = 1.0, building = 1.0 }
deferrable_share = 0.2

[[strike]]
day = 0
closure_days = 10
damage = { building = 0.5 }

[recovery.building]
curve = "linear"
time_days = 20
"""
"""A small TOML configuration for command-line tests of sweeps, draws and scenarios.

Each literal ``closure_days = 10``, ``deferrable_share = 0.2``, ``horizon_days = 40``,
``seed = 11`` and ``damage = { building = 0.5 }`` occurs exactly once, so a test can
replace it."""


REFERENCE_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"


def edited_reference(*edits: tuple[str, str]) -> str:
    """The reference configuration's text with each ``(old, new)`` replaced; each old
    text must occur exactly once."""
    text = REFERENCE_CONFIG.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text
