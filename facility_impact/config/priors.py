"""The priors of attacks as recorded: ``data/attack_priors.toml``, read and checked.

A strike that gives ``attack_type`` and ``facility_damage`` takes from this table
the damage of each resource, the closure, the restoration of the struck
facility's resources and how people stay away (docs/model.md, "Attacks as
recorded"). Every number of the table is an :class:`Entry`: a fixed value or a
distribution, with its source (or ``ASSUMPTION:`` and the reasoning) and whether
the calibration fits it. The table is package data so that an installed package
finds it wherever it runs; ``seeds/attack_priors.md`` points to it.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from facility_impact.config.default_values import ATTACK_TYPES, FACILITY_DAMAGE
from facility_impact.config.keys import KEYS
from facility_impact.config.toml_text import parse_toml
from facility_impact.config.variation import Distribution, Uncertain, parse_variation
from facility_impact.curves import CURVE_FAMILIES
from facility_impact.errors import ConfigError, read_input_text, show_number

PRIORS_FILE = "data/attack_priors.toml"
"""Where the table is, inside the package."""

SERVICE_CLASSES = ("emergency", "maternity", "inpatient", "routine")
"""How services differ in people's response, each with its share in ``[response.share]``."""

DAMAGE_KEYS = ("building", "equipment", "closure_days")
"""What a damage state (and an attack type's own entry for one) gives."""

CURVE_TIME_KEYS = ("time_days", "mean_days", "sd_days")


@dataclass(frozen=True)
class Entry:
    """One number of the table: ``value`` fixed or a distribution, its ``source`` and
    whether the calibration fits it. ``name`` says where it is in the table."""

    name: str
    value: float | Distribution
    source: str
    calibrated: bool = False

    def scaled(self, factor: float) -> float | Distribution:
        """The value times ``factor`` (> 0: the same family, stretched; 0: nothing)."""
        if isinstance(self.value, float):
            return self.value * factor
        if factor == 0:
            return 0.0
        return self.value if factor == 1 else scale_distribution(self.value, factor)

    def central(self, factor: float = 1.0) -> float:
        """What a single run takes: the fixed value, else the distribution's centre."""
        value = self.scaled(factor)
        return value if isinstance(value, float) else central(value)

    def describe(self, factor: float = 1.0) -> str:
        value = self.scaled(factor)
        return f"{value:g}" if isinstance(value, float) else value.describe()

    def realise(self, path: str, stream: str, draw: bool, factor: float = 1.0) -> float:
        """The value a strike takes: a distribution drawn from ``stream`` (``path`` names
        the key) when the run draws, else its central value."""
        value = self.scaled(factor)
        if isinstance(value, float):
            return value
        if not draw:
            return central(value)
        return Uncertain(value, path, stream, integer=False)


@dataclass(frozen=True)
class CurveEntry:
    """A curve of the table (a restoration, the response's fade): its family and the
    entries of the time parameters that family takes; ``share`` the recoverable share."""

    family: str
    family_source: str
    times: Mapping[str, Entry]
    share: Entry | None = None


@dataclass(frozen=True)
class AttackType:
    """One SSA attack type: what it is, other spellings, the factor on the response
    shares, and its own damage entries per level where they differ from the state's."""

    name: str
    description: str
    aliases: tuple[str, ...]
    response_scale: Entry
    levels: Mapping[str, Mapping[str, Entry]]


@dataclass(frozen=True)
class Priors:
    """The checked table (see ``data/attack_priors.toml`` for its layout)."""

    status: str
    building_resources: tuple[str, ...]
    staff_resources: tuple[str, ...]
    service_classes: Mapping[str, tuple[str, ...]]
    default_class: str
    default_class_source: str
    states: Mapping[str, Mapping[str, Entry]]
    restoration: Mapping[str, CurveEntry]
    descriptions: Mapping[str, str]
    types: Mapping[str, AttackType]
    shares: Mapping[str, Entry]
    nearby_share: Entry
    radius_km: Entry
    fade: CurveEntry

    def resource_class(self, resource: str) -> str | None:
        """``building``, ``equipment``, or ``None`` for staff (lost by fate, not damaged)."""
        if resource in self.staff_resources:
            return None
        return "building" if resource in self.building_resources else "equipment"

    def service_class(self, service: str) -> str:
        for name, services in self.service_classes.items():
            if service in services:
                return name
        return self.default_class

    def damage(self, attack_type: str, level: str, key: str) -> Entry:
        """``building``, ``equipment`` or ``closure_days`` of an attack type at a level:
        the type's own entry, else the damage state's."""
        own = self.types[attack_type].levels.get(level, {})
        return own[key] if key in own else self.states[level][key]


def scale_distribution(distribution: Distribution, factor: float) -> Distribution:
    """The distribution of ``factor`` × a draw (``factor`` > 0): every family here is
    stretched by scaling its location and scale parameters and its bounds."""
    parameters = dict(distribution.parameters)
    if distribution.family == "beta":
        parameters.setdefault("low", 0.0)
        parameters.setdefault("high", 1.0)
    for key in ("low", "mode", "high", "mean", "sd", "median"):
        if key in parameters:
            parameters[key] *= factor
    low, high = distribution.bounds
    return Distribution(
        distribution.family, tuple(parameters.items()), (low * factor, high * factor)
    )


def central(distribution: Distribution) -> float:
    """The value the table centres a distribution on: the mode of a triangular or PERT,
    the median of a lognormal, the mean of a normal, the middle of a uniform, the
    median of a beta; kept inside the bounds."""
    parameters = dict(distribution.parameters)
    family = distribution.family
    if family in ("triangular", "pert"):
        value = parameters["mode"]
    elif family == "lognormal":
        value = parameters["median"]
    elif family == "normal":
        value = parameters["mean"]
    elif family == "uniform":
        value = (parameters["low"] + parameters["high"]) / 2
    else:
        value = distribution.median
    low, high = distribution.bounds
    return float(min(max(value, low), high))


@functools.cache
def load_priors() -> Priors:
    """The package's priors table, read and checked once."""
    text = files("facility_impact").joinpath(PRIORS_FILE).read_text("utf-8")
    return parse_priors(tomllib.loads(text), PRIORS_FILE)


def read_priors(path: str | Path) -> Priors:
    """A priors table in a file of the same layout (a fitted one, for example)."""
    text = read_input_text(Path(path), "priors table")
    return parse_priors(parse_toml(text, str(path)), str(path))


def parse_priors(raw: Mapping[str, Any], where: str) -> Priors:
    """Check a parsed priors table; raise ``ConfigError`` naming the entry at fault."""
    table = _Reader(where)
    table.keys(raw, "", ("format", "status", *_SECTIONS))
    if raw.get("format") != 1:
        raise table.error("format", "must be 1")
    status = table.text(raw, "status")
    resources = table.table(raw, "resource_class", ("building", "staff"))
    classes = table.table(raw, "service_class", (*SERVICE_CLASSES, "default", "default_source"))
    default_class = table.text(classes, "default", "service_class")
    if default_class not in SERVICE_CLASSES:
        raise table.error("service_class.default", f"must be one of {', '.join(SERVICE_CLASSES)}")
    states_raw = table.table(raw, "damage_state", FACILITY_DAMAGE, exact=True)
    types_raw = table.table(raw, "attack_type", ATTACK_TYPES, exact=True)
    response = table.table(raw, "response", ("share", "nearby_share", "radius_km", "fade"))
    shares = table.table(response, "share", SERVICE_CLASSES, "response", exact=True)
    return Priors(
        status=status,
        building_resources=table.names(resources, "building", "resource_class"),
        staff_resources=table.names(resources, "staff", "resource_class"),
        service_classes={c: table.names(classes, c, "service_class") for c in SERVICE_CLASSES},
        default_class=default_class,
        default_class_source=table.text(classes, "default_source", "service_class"),
        states={level: table.state(states_raw, level) for level in FACILITY_DAMAGE},
        restoration={
            level: table.curve(states_raw[level], "restoration", f"damage_state.{level}")
            for level in FACILITY_DAMAGE
        },
        descriptions={
            level: table.text(states_raw[level], "description", f"damage_state.{level}")
            for level in FACILITY_DAMAGE
        },
        types={name: table.attack_type(types_raw, name) for name in ATTACK_TYPES},
        shares={c: table.entry(shares, c, "response.share", 0, 1) for c in SERVICE_CLASSES},
        nearby_share=table.entry(response, "nearby_share", "response", 0, 1),
        radius_km=table.entry(response, "radius_km", "response", 0, _MOST_KM),
        fade=table.curve(response, "fade", "response", with_share=False),
    )


_SECTIONS = ("resource_class", "service_class", "damage_state", "attack_type", "response")


def _most(pattern: str) -> float:
    """The upper bound of the key an entry fills in (facility_impact/config/keys.py)."""
    maximum = KEYS[pattern].maximum
    assert maximum is not None, pattern
    return maximum


_MOST_DAYS = _most("strike[].closure_days")  # and of every curve time: all durations
_MOST_KM = _most("strike[].avoidance_radius_km")
_RANGES: dict[str, tuple[float, float]] = {
    "building": (0, 1),
    "equipment": (0, 1),
    "closure_days": (0, _MOST_DAYS),
}


@dataclass(frozen=True)
class _Reader:
    """Reads the parts of one table (``where``: its file), naming what is wrong."""

    where: str

    def error(self, name: str, why: str) -> ConfigError:
        return ConfigError(f"{self.where}: {name}: {why}")

    def keys(self, raw: Any, name: str, allowed: tuple[str, ...], exact: bool = False) -> None:
        if not isinstance(raw, Mapping):
            raise self.error(name or "(top level)", "must be a table")
        for key in raw:
            if key not in allowed:
                raise self.error(_join(name, key), f"unknown; allowed: {', '.join(allowed)}")
        missing = [key for key in allowed if key not in raw]
        if exact and missing:
            raise self.error(_join(name, missing[0]), "missing")

    def table(
        self,
        raw: Mapping[str, Any],
        key: str,
        allowed: tuple[str, ...],
        parent: str = "",
        exact: bool = False,
    ) -> Mapping[str, Any]:
        if key not in raw:
            raise self.error(_join(parent, key), "missing")
        self.keys(raw[key], _join(parent, key), allowed, exact)
        found: Mapping[str, Any] = raw[key]
        return found

    def text(self, raw: Mapping[str, Any], key: str, parent: str = "") -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(_join(parent, key), "must be a non-empty string")
        return value

    def names(self, raw: Mapping[str, Any], key: str, parent: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(_join(parent, key), "must be a list of names")
        return tuple(value)

    def entry(
        self,
        raw: Mapping[str, Any],
        key: str,
        parent: str,
        minimum: float,
        maximum: float,
    ) -> Entry:
        """One entry ``{ value = …, source = "…", calibrated = … }``, its value in range."""
        name = _join(parent, key)
        if key not in raw:
            raise self.error(name, "missing")
        self.keys(raw[key], name, ("value", "source", "calibrated"))
        one = raw[key]
        source = self.text(one, "source", name)
        calibrated = one.get("calibrated", False)
        if not isinstance(calibrated, bool):
            raise self.error(f"{name}.calibrated", "must be true or false")
        if "value" not in one:
            raise self.error(f"{name}.value", "missing")
        return Entry(name, self._value(one["value"], name, minimum, maximum), source, calibrated)

    def _value(self, value: Any, name: str, minimum: float, maximum: float) -> float | Distribution:
        def check(number: Any, where: str) -> float:
            fine = isinstance(number, int | float) and not isinstance(number, bool)
            # nan is neither above nor below a bound: "not within" catches it too.
            if not fine or not minimum <= number <= maximum:
                raise self.error(
                    where,
                    f"must be a number between {show_number(minimum)} and {show_number(maximum)}",
                )
            return float(number)

        if isinstance(value, Mapping) and "dist" in value:
            try:
                parsed = parse_variation(
                    value, f"{name}.value", check, minimum=minimum, maximum=maximum, integer=False
                )
            except ConfigError as error:
                raise ConfigError(f"{self.where}: {error}") from None
            assert isinstance(parsed, Uncertain)
            return parsed.distribution
        return check(value, f"{name}.value")

    def state(self, raw: Mapping[str, Any], level: str) -> dict[str, Entry]:
        name = f"damage_state.{level}"
        self.keys(raw[level], name, ("description", *DAMAGE_KEYS, "restoration"))
        return {key: self.entry(raw[level], key, name, *_RANGES[key]) for key in DAMAGE_KEYS}

    def curve(
        self, raw: Mapping[str, Any], key: str, parent: str, with_share: bool = True
    ) -> CurveEntry:
        """A curve table: ``curve`` (and ``curve_source`` where it is a choice of the
        table), the entries of the family's time parameters, the recoverable share."""
        name = _join(parent, key)
        extra = ("recoverable_share",) if with_share else ("curve_source",)
        curve = self.table(raw, key, ("curve", *CURVE_TIME_KEYS, *extra), parent)
        family = curve.get("curve")
        if not isinstance(family, str) or family not in CURVE_FAMILIES:
            raise self.error(f"{name}.curve", f"must be one of {', '.join(CURVE_FAMILIES)}")
        needed = CURVE_FAMILIES[family].parameters
        for time_key in CURVE_TIME_KEYS:
            if (time_key in curve) != (time_key in needed):
                raise self.error(f"{name}.{time_key}", f"curve {family} takes {', '.join(needed)}")
        times = {k: self.entry(curve, k, name, 0, _MOST_DAYS) for k in needed}
        if with_share:
            share = self.entry(curve, "recoverable_share", name, 0, 1)
            return CurveEntry(family, f"the restoration form of Hazus-MH ({name})", times, share)
        return CurveEntry(family, self.text(curve, "curve_source", name), times)

    def attack_type(self, raw: Mapping[str, Any], name: str) -> AttackType:
        path = f"attack_type.{name}"
        fields = ("description", "aliases", "response_scale", *FACILITY_DAMAGE)
        self.keys(raw[name], path, fields)
        one = raw[name]
        scale = self.entry(one, "response_scale", path, 0, 1)
        if not isinstance(scale.value, float):
            raise self.error(f"{path}.response_scale.value", "must be a number, not a distribution")
        levels = {}
        for level in FACILITY_DAMAGE:
            if level in one:
                self.keys(one[level], f"{path}.{level}", DAMAGE_KEYS)
                levels[level] = {
                    key: self.entry(one[level], key, f"{path}.{level}", *_RANGES[key])
                    for key in one[level]
                }
        return AttackType(
            name=name,
            description=self.text(one, "description", path),
            aliases=self.names(one, "aliases", path),
            response_scale=scale,
            levels=levels,
        )


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key
