"""Reading ``[[strike]]`` tables and the indicative ``[outcome.<name>]`` tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from facility_impact.config.default_values import STAFF_FATES
from facility_impact.config.priors import Priors
from facility_impact.config.reading import fail, read, table, tables
from facility_impact.config.recorded import read_recorded
from facility_impact.config.types import Facility, Outcome, Strike, union
from facility_impact.config.variation import high, low
from facility_impact.errors import ConfigError

STRIKE = "strike[]"
OUTCOME = "outcome.<name>"


def read_strikes(
    raw: Any,
    facilities: dict[str, Facility],
    start: dt.date | None,
    horizon: int,
    draw_priors: bool = False,
    priors: Priors | None = None,
) -> tuple[Strike, ...]:
    """Every ``[[strike]]`` table, in file order. ``draw_priors``: whether a strike as
    recorded takes the priors' distributions (a run with draws) or their central values;
    ``priors``: their table (default: the package's)."""
    services = union(f.services for f in facilities.values())
    return tuple(
        _read_strike(index, strike, facilities, (start, horizon), services, draw_priors, priors)
        for index, strike in enumerate(tables(raw, "strike", "[[strike]]"))
    )


def _read_strike(
    index: int,
    raw: Any,
    facilities: dict[str, Facility],
    when: tuple[dt.date | None, int],
    services: list[str],
    draw_priors: bool,
    priors: Priors | None,
) -> Strike:
    path = f"strike[{index}]"
    strike = table(raw, path, STRIKE)
    if "facility" not in strike and len(facilities) != 1:
        raise ConfigError(f"{path}.facility: missing; required when there are several facilities")
    facility = read(
        strike,
        f"{STRIKE}.facility",
        path,
        fallback=next(iter(facilities)),
        known=list(facilities),
        what="facility",
    )
    recorded = read_recorded(
        strike, path, index, facilities[facility], services, draw_priors, priors
    )
    casualties = read(strike, f"{STRIKE}.casualties", path)
    casualty_service = read(strike, f"{STRIKE}.casualty_service", path)
    own = list(facilities[facility].services)
    if (high(casualties) > 0 or "casualty_service" in strike) and casualty_service not in own:
        raise fail(
            f"{path}.casualty_service",
            casualty_service,
            f"unknown service of {facility}; known: {', '.join(own)}",
        )
    return Strike(
        facility=facility,
        day=_strike_day(strike, path, *when),
        closure_days=recorded.closure_days,
        damage=recorded.damage,
        casualties=casualties,
        casualty_service=casualty_service,
        label=read(strike, f"{STRIKE}.label", path),
        enabled=read(strike, f"{STRIKE}.enabled", path),
        staff_lost=_staff_lost(strike, path, facilities[facility]),
        attack_type=recorded.attack_type,
        facility_damage=recorded.facility_damage,
        avoidance=recorded.avoidance,
        avoidance_nearby_share=recorded.nearby_share,
        avoidance_radius_km=recorded.radius_km,
        avoidance_fade=recorded.fade,
        priors=recorded.notes,
    )


def _staff_lost(strike: Mapping[str, Any], path: str, facility: Facility) -> dict[str, float]:
    """Staff killed, injured, abducted or missing, and fled [persons]: every fate, 0 if
    not given; together at most the struck facility's ``staff`` (over their whole ranges)."""
    lost = {fate: read(strike, f"{STRIKE}.staff_{fate}", path) for fate in STAFF_FATES}
    given = [f"staff_{fate}" for fate in STAFF_FATES if f"staff_{fate}" in strike]
    if not given:
        return lost
    if "staff" not in facility.resources:
        raise fail(
            f"{path}.{given[0]}",
            strike[given[0]],
            f"needs a staff count: facility {facility.name} has no resource named staff",
        )
    staff = facility.resources["staff"]
    total = sum(high(count) for count in lost.values())
    if total > low(staff):
        raise fail(
            f"{path}.{given[-1]}",
            strike[given[-1]],
            f"the staff fates add up to {total:g}; must be at most the "
            f"{low(staff):g} staff of {facility.name}",
        )
    return lost


def _strike_day(strike: Mapping[str, Any], path: str, start: dt.date | None, horizon: int) -> int:
    """The strike's day [d from t = 0], from ``day`` or from ``date`` and ``run.start_date``."""
    if ("day" in strike) == ("date" in strike):
        raise ConfigError(f"{path}: give exactly one of day (days from t = 0) or date (YYYY-MM-DD)")
    day: int
    if "date" in strike:
        date = read(strike, f"{STRIKE}.date", path)
        if start is None:
            raise fail(f"{path}.date", date, "needs run.start_date to place it; or give day")
        day = (date - start).days
        if day < 0:
            raise fail(f"{path}.date", date, f"must not be before run.start_date ({start})")
        key, shown = "date", date
    else:
        day = read(strike, f"{STRIKE}.day", path)
        key, shown = "day", day
    if high(day) >= horizon:
        raise fail(f"{path}.{key}", shown, f"falls after the horizon; must be before day {horizon}")
    return day


def read_outcomes(raw: Any, services: list[str]) -> tuple[Outcome, ...]:
    """Every ``[outcome.<name>]`` table: an indicative outcome needs its published source."""
    outcomes = []
    for name, outcome_raw in table(raw, "outcome").items():
        path = f"outcome.{name}"
        outcome = table(outcome_raw, path, OUTCOME)
        source = read(outcome, f"{OUTCOME}.source", path)
        if not source.strip():
            raise fail(f"{path}.source", source, "must cite the published source of the rate")
        outcomes.append(
            Outcome(
                name=name,
                label=read(outcome, f"{OUTCOME}.label", path, fallback=name),
                service=read(outcome, f"{OUTCOME}.service", path, known=services, what="service"),
                per_forgone_patient=read(outcome, f"{OUTCOME}.per_forgone_patient", path),
                source=source,
            )
        )
    return tuple(outcomes)
