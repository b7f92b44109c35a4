"""Strikes as recorded, and the people's response.

A ``[[strike]]`` that gives ``attack_type`` (and ``facility_damage``) takes from
the priors (:mod:`facility_impact.config.priors`) every value it does not give
itself: the damage fraction of each resource but staff, ``closure_days``, the
response (``avoidance`` per service, ``avoidance_nearby_share``,
``avoidance_radius_km``, ``avoidance_fade``), and for the struck facility's
resources without a configured recovery table, the restoration of its worst
recorded damage. Each value taken is noted (:class:`~facility_impact.config.types.PriorNote`)
so that the report can say where it came from.

A run with draws (``draw``) takes the priors' distributions, drawn by Latin
hypercube like any configured distribution; a single run takes their central
values. A strike without ``attack_type`` has exactly what its keys say, and no
response unless it gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from facility_impact.config.curve_tables import TIME_KEYS, read_curve
from facility_impact.config.default_values import FACILITY_DAMAGE
from facility_impact.config.keys import KEYS
from facility_impact.config.priors import CurveEntry, Entry, Priors, load_priors
from facility_impact.config.reading import fail, number_of, read, read_map, table
from facility_impact.config.types import (
    NO_FADE,
    Config,
    Curve,
    Facility,
    PriorNote,
    Recovery,
    Strike,
)
from facility_impact.config.variation import high
from facility_impact.curves import CURVE_FAMILIES
from facility_impact.errors import ConfigError

STRIKE = "strike[]"
FADE = "strike[].avoidance_fade"

Take = Callable[[str, Entry, str], float]
"""Takes one value from an entry of the priors: (key under the strike, entry, stream)."""


@dataclass(frozen=True)
class Recorded:
    """What a strike's damage, closure and response come to, and what the priors gave."""

    attack_type: str | None
    facility_damage: str | None
    damage: dict[str, float]
    closure_days: float
    avoidance: dict[str, float]
    nearby_share: float
    radius_km: float
    fade: Curve
    notes: tuple[PriorNote, ...]


def read_recorded(
    raw: Mapping[str, Any],
    path: str,
    index: int,
    facility: Facility,
    services: list[str],
    draw: bool,
    priors: Priors | None = None,
) -> Recorded:
    """The damage, closure and response keys of strike ``index`` (at ``path``) on
    ``facility``, filled in from the priors (``priors``, default the package's table)
    where it gives ``attack_type``."""
    attack_type = read(raw, f"{STRIKE}.attack_type", path)
    if attack_type is None:
        return _as_written(raw, path, facility, services)
    level = read(raw, f"{STRIKE}.facility_damage", path, fallback="none")
    priors = load_priors() if priors is None else priors
    notes: list[PriorNote] = []

    def take(key: str, entry: Entry, stream: str, factor: float = 1.0, also: str = "") -> float:
        value = entry.realise(f"strike[{index}].{key} (prior)", stream, draw, factor)
        prior = entry.describe(factor)
        notes.append(
            PriorNote(
                f"strike.{index}.{key}", value, prior, entry.source + also, entry.calibrated, index
            )
        )
        return value

    damage = _damage(raw, path, facility)
    for resource in facility.resources:
        kind = priors.resource_class(resource)
        if kind is not None and resource not in damage:
            entry = priors.damage(attack_type, level, kind)
            damage[resource] = take(f"damage.{resource}", entry, f"strike[{index}].damage (prior)")
    closure = _given(raw, "closure_days", path)
    if closure is None:
        entry = priors.damage(attack_type, level, "closure_days")
        closure = take("closure_days", entry, f"strike[{index}].closure_days (prior)")
    avoidance = _avoidance(raw, path, services)
    scale = priors.types[attack_type].response_scale
    factor = scale.central()
    also = "" if factor == 1 else f"; × {factor:g} for {attack_type}: {scale.source}"
    for service in services:
        if service not in avoidance:
            kind = priors.service_class(service)
            named = "" if kind != priors.default_class else _unnamed(priors, service)
            stream = f"prior.response.share.{kind}"
            entry = priors.shares[kind]
            avoidance[service] = take(f"avoidance.{service}", entry, stream, factor, also + named)
    nearby = _given(raw, "avoidance_nearby_share", path)
    if nearby is None:
        nearby = take("avoidance_nearby_share", priors.nearby_share, "prior.response.nearby_share")
    radius = _given(raw, "avoidance_radius_km", path)
    if radius is None:
        radius = take("avoidance_radius_km", priors.radius_km, "prior.response.radius_km")
    fade = _fade(raw, path, priors.fade, take, notes, index)
    return Recorded(
        attack_type, level, damage, closure, avoidance, nearby, radius, fade, tuple(notes)
    )


def _as_written(
    raw: Mapping[str, Any], path: str, facility: Facility, services: list[str]
) -> Recorded:
    """A strike without ``attack_type``: its own keys, no response unless it says so."""
    if "facility_damage" in raw:
        raise fail(
            f"{path}.facility_damage",
            raw["facility_damage"],
            "needs attack_type: it describes an attack as recorded",
        )
    if "damage" not in raw:
        raise ConfigError(
            f"{path}.damage: missing; required without attack_type (may be {{}}), "
            "or give attack_type and facility_damage to take it from the priors"
        )
    avoidance = _avoidance(raw, path, services)
    if any(high(share) > 0 for share in avoidance.values()) and "avoidance_fade" not in raw:
        raise ConfigError(
            f"{path}.avoidance_fade: missing; required with avoidance when the strike "
            'has no attack_type (for example { curve = "linear", time_days = 37 })'
        )
    fade = NO_FADE
    if "avoidance_fade" in raw:
        fade = _fade(raw, path, None, None, [], 0)
    closure = _given(raw, "closure_days", path)
    nearby = _given(raw, "avoidance_nearby_share", path)
    radius = _given(raw, "avoidance_radius_km", path)
    return Recorded(
        attack_type=None,
        facility_damage=None,
        damage=_damage(raw, path, facility),
        closure_days=0.0 if closure is None else closure,
        avoidance=avoidance,
        nearby_share=0.0 if nearby is None else nearby,
        radius_km=0.0 if radius is None else radius,
        fade=fade,
        notes=(),
    )


def _given(raw: Mapping[str, Any], key: str, path: str) -> float | None:
    """A number key of the strike, checked, or ``None`` when it is left out."""
    return read(raw, f"{STRIKE}.{key}", path) if key in raw else None


def _damage(raw: Mapping[str, Any], path: str, facility: Facility) -> dict[str, float]:
    if "damage" not in raw:
        return {}
    return read_map(
        raw["damage"],
        f"{STRIKE}.damage",
        f"{path}.damage",
        list(facility.resources),
        f"resource of {facility.name}",
    )


def _avoidance(raw: Mapping[str, Any], path: str, services: list[str]) -> dict[str, float]:
    if "avoidance" not in raw:
        return {}
    return read_map(
        raw["avoidance"], f"{STRIKE}.avoidance", f"{path}.avoidance", services, "service"
    )


def _unnamed(priors: Priors, service: str) -> str:
    return f"; {service} is taken as {priors.default_class} care: {priors.default_class_source}"


def _fade(
    raw: Mapping[str, Any],
    path: str,
    prior: CurveEntry | None,
    take: Take | None,
    notes: list[PriorNote],
    index: int,
) -> Curve:
    """``avoidance_fade``: as given (a family is required without a prior), or the
    prior's family with the time keys given replacing its values."""
    where = f"{path}.avoidance_fade"
    given = table(raw.get("avoidance_fade", {}), where, FADE)
    if prior is None or take is None or "curve" in given:
        if "curve" not in given:
            raise ConfigError(f"{where}.curve: missing; required without attack_type")
        return read_curve(given, FADE, where)
    needed = CURVE_FAMILIES[prior.family].parameters
    for key in TIME_KEYS:
        if key in given and key not in needed:
            raise ConfigError(
                f"{where}.{key}: not used by the prior's curve {prior.family!r}; "
                f"it takes {', '.join(needed)} (or give curve)"
            )
    values: dict[str, float] = dict.fromkeys(TIME_KEYS, 0.0)
    for key in needed:
        if key in given:
            values[key] = number_of(KEYS[f"{FADE}.{key}"], given[key], f"{where}.{key}")
        else:
            values[key] = take(
                f"avoidance_fade.{key}", prior.times[key], f"prior.response.fade.{key}"
            )
    notes.append(
        PriorNote(
            f"strike.{index}.avoidance_fade.curve",
            prior.family,
            prior.family,
            prior.family_source,
            False,
            index,
        )
    )
    return Curve(prior.family, delay_days=0.0, **values)


def prior_recovery(
    facilities: dict[str, Facility],
    strikes: tuple[Strike, ...],
    configured: Mapping[str, Recovery],
    draw: bool,
    priors: Priors | None = None,
) -> tuple[dict[str, Facility], tuple[PriorNote, ...]]:
    """The facilities, each struck by recorded strikes given the restoration of its worst
    recorded damage for every resource (but staff) that no recovery table covers
    (``priors``: the table, default the package's)."""
    priors = load_priors() if priors is None else priors
    result = dict(facilities)
    notes: list[PriorNote] = []
    for name, facility in facilities.items():
        recorded = [
            (index, strike)
            for index, strike in enumerate(strikes)
            if strike.facility == name and strike.enabled and strike.facility_damage is not None
        ]
        if not recorded:
            continue
        index, worst = max(
            recorded, key=lambda item: FACILITY_DAMAGE.index(item[1].facility_damage or "none")
        )
        state = priors.restoration[worst.facility_damage or "none"]
        own = dict(facility.recovery)
        for resource in facility.resources:
            if priors.resource_class(resource) is None or resource in own or resource in configured:
                continue
            key = f"facility.{name}.recovery.{resource}"
            own[resource] = _restoration(
                state, key, f"facility.{name}.restoration (prior)", draw, notes, index
            )
        result[name] = replace(facility, recovery=own)
    return result, tuple(notes)


def _restoration(
    state: CurveEntry, key: str, stream: str, draw: bool, notes: list[PriorNote], index: int
) -> Recovery:
    """One resource's recovery from a damage state's restoration, every value noted."""

    def take(name: str, entry: Entry) -> float:
        value = entry.realise(f"{key}.{name} (prior)", stream, draw)
        notes.append(
            PriorNote(
                f"{key}.{name}", value, entry.describe(), entry.source, entry.calibrated, index
            )
        )
        return value

    notes.append(
        PriorNote(f"{key}.curve", state.family, state.family, state.family_source, False, index)
    )
    values: dict[str, float] = dict.fromkeys(TIME_KEYS, 0.0)
    for name, entry in state.times.items():
        values[name] = take(name, entry)
    assert state.share is not None
    share = take("recoverable_share", state.share)
    return Recovery(Curve(state.family, delay_days=0.0, **values), share)


def prior_values(config: Config) -> dict[int, list[PriorNote]]:
    """Per strike (by its index), every value the configuration took from the priors,
    the restoration of its facility's resources included, in the order they were taken."""
    found: dict[int, list[PriorNote]] = {}
    for index, strike in enumerate(config.strikes):
        notes = [*strike.priors, *(n for n in config.recovery_priors if n.strike == index)]
        if notes:
            found[index] = notes
    return found
