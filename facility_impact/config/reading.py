"""Checking one raw value against its :class:`~facility_impact.config.spec.Key`.

Every check raises a :class:`~facility_impact.errors.ConfigError` with one line
``<key path> = <value>: <what is allowed>`` (or ``<key path>: missing; ...``,
``<key path>: unknown key; ...``). The section readers call :func:`read` with
a key of :data:`~facility_impact.config.keys.KEYS`; its type, range and
default come from there.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from facility_impact.config.keys import KEYS
from facility_impact.config.spec import ABSENT, COMPUTED, REQUIRED, Key
from facility_impact.config.variation import Sweep, Uncertain, is_variation, parse_variation
from facility_impact.errors import ConfigError, echo, show_number


def show_value(value: Any) -> str:
    """A raw configuration value as TOML writes it (strings quoted), in full: for the
    stored text of a run and for tables. Messages use
    :func:`~facility_impact.errors.echo`."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {show_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) >= 10**4000:
        return show_number(value)  # Python writes no integer of more than 4,300 digits
    return str(value)


def fail(path: str, value: Any, allowed: str) -> ConfigError:
    """The one-line error ``<path> = <value>: <allowed>``."""
    return ConfigError(f"{path} = {echo(value)}: {allowed}")


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def keys_of(pattern: str) -> tuple[str, ...]:
    """The keys a table of this path pattern allows, in the schema's order."""
    return tuple(key.name for key in KEYS.values() if key.parent == pattern)


def table(value: Any, path: str, pattern: str | None = None) -> Mapping[str, Any]:
    """A table; with ``pattern``, one whose keys the schema allows there."""
    if not isinstance(value, Mapping):
        raise fail(path, value, "must be a table")
    if pattern is not None:
        allowed = keys_of(pattern)
        for key in value:
            if key not in allowed:
                raise ConfigError(
                    f"{child(path, key)}: unknown key; allowed here: {', '.join(allowed)}"
                )
    return value


def tables(value: Any, path: str, what: str = "") -> list[Any]:
    """A list of tables (``what``: ``[[strike]]``); each entry is checked by its reader."""
    if not isinstance(value, list):
        raise fail(
            path, value, f"must be a list of {what} tables" if what else "must be a list of tables"
        )
    return value


def read(
    raw: Mapping[str, Any],
    pattern: str,
    path: str,
    *,
    fallback: Any = None,
    horizon: int | None = None,
    known: Sequence[str] = (),
    what: str = "",
) -> Any:
    """The value of key ``pattern`` in table ``raw`` (at ``path``), checked.

    A key left out takes the schema's default; a ``COMPUTED`` default is
    ``fallback``; an ``ABSENT`` one is ``None``. ``horizon`` [d] bounds keys
    tied to the horizon; ``known`` and ``what`` are the names a ``name`` key
    may take and what they are.
    """
    key = KEYS[pattern]
    where = child(path, key.name)
    if key.name in raw or key.default is REQUIRED:
        value = require(raw, pattern, path)
    elif key.default is ABSENT:
        return None
    elif key.default is COMPUTED:
        value = fallback
    else:
        value = key.default
    return check(key, value, where, horizon=horizon, known=known, what=what)


def require(raw: Mapping[str, Any], pattern: str, path: str) -> Any:
    """The raw value of key ``pattern`` in table ``raw`` (at ``path``), which must be given."""
    key = KEYS[pattern]
    if key.name not in raw:
        raise ConfigError(f"{child(path, key.name)}: missing; required{key.required_note}")
    return raw[key.name]


def check(
    key: Key,
    value: Any,
    where: str,
    *,
    horizon: int | None = None,
    known: Sequence[str] = (),
    what: str = "",
) -> Any:
    """One value of ``key`` at ``where``, checked by its kind; see :func:`read`."""
    if key.kind == "number":
        return number_of(key, value, where, horizon)
    if key.kind in ("string", "name"):
        if not isinstance(value, str):
            raise fail(where, value, "must be a string")
        if key.kind == "name":
            return name_in(value, where, known, what)
        return value
    if key.kind == "boolean":
        if not isinstance(value, bool):
            raise fail(where, value, "must be true or false")
        return value
    if key.kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise fail(where, value, "must be a date written as YYYY-MM-DD, unquoted")
        return value
    if key.kind == "choice":
        if value not in key.choices:
            raise fail(where, value, f"must be one of {', '.join(key.choices)}")
        return value
    if key.kind in ("table", "map"):
        return table(value, where, key.path if key.kind == "table" else None)
    return value  # lists, matrices and settings: their readers check each entry


def number_of(key: Key, value: Any, where: str, horizon: int | None = None) -> float:
    """A number of ``key``: its range (``horizon`` for keys tied to it), and where the
    schema allows, a sweep or a distribution whose every value is in range."""
    maximum = key.maximum
    if key.below_horizon is not None and horizon is not None:
        maximum = horizon + key.below_horizon
    allowed = key.distribution if isinstance(value, Mapping) and "dist" in value else key.sweep
    result = number(
        value,
        where,
        minimum=key.minimum,
        maximum=maximum,
        integer=key.integer,
        allow_inf=key.inf,
        vary=allowed,
    )
    if key.positive:
        # A distribution's bound may be 0: its draws are > 0 almost surely.
        text = "must be > 0"
        if key.inf:
            text += (
                " (inf for no limit)"
                if key.name.startswith("reach")
                else " (inf for no distance decay)"
            )
        if isinstance(result, Sweep):
            raw = value["values"] if isinstance(value, Mapping) else value
            for index, one in enumerate(result.values):
                if one == 0:
                    raise fail(f"{where}[{index}]", raw[index], text)
        elif not isinstance(result, Uncertain) and result == 0:
            raise fail(where, value, text)
    return result


def number(
    value: Any,
    path: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
    allow_inf: bool = False,
    vary: bool = True,
) -> float:
    """One configured number, checked against its range; or, where ``vary``, a
    sweep (a list) or a distribution (a table with ``dist``), returned as a
    :class:`~facility_impact.config.variation.Varying` whose every value is checked."""
    if vary and is_variation(value):

        def check_one(one: Any, where: str) -> float:
            return number(
                one,
                where,
                minimum=minimum,
                maximum=maximum,
                integer=integer,
                allow_inf=allow_inf,
                vary=False,
            )

        return parse_variation(
            value, path, check_one, minimum=minimum, maximum=maximum, integer=integer
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a whole number" if integer else "a number"
        raise fail(path, value, f"must be {kind}{range_text(minimum, maximum)}")
    # An integer needs no finiteness check, and may be too large for a float.
    if isinstance(value, float) and (math.isnan(value) or (math.isinf(value) and not allow_inf)):
        raise fail(path, value, f"must be a finite number{range_text(minimum, maximum)}")
    if integer and isinstance(value, float) and not value.is_integer():
        raise fail(path, value, f"must be a whole number{range_text(minimum, maximum)}")
    whole = " a whole number" if integer else ""
    if minimum is not None and value < minimum:
        if maximum == 1 and minimum == 0:
            raise fail(path, value, "must be a fraction between 0 and 1")
        # A negative number where none is allowed: its sign is what is wrong.
        shown = None if minimum == 0 else maximum
        raise fail(path, value, f"must be{whole if shown else ''}{range_text(minimum, shown)}")
    # inf, where the key allows it, stands for "none" (no limit, out of reach).
    if maximum is not None and value > maximum and not (allow_inf and value == math.inf):
        if maximum == 1 and minimum == 0:
            raise fail(path, value, "must be a fraction between 0 and 1")
        raise fail(path, value, f"must be{whole}{range_text(minimum, maximum)}")
    return int(value) if integer else float(value)


def range_text(minimum: float | None, maximum: float | None) -> str:
    """`` between 0 and 1``, `` >= 0 (not negative)``...: a range as messages state it."""
    if minimum is not None and maximum is not None:
        return f" between {show_number(minimum)} and {show_number(maximum)}"
    if minimum is not None:
        return " >= 0 (not negative)" if minimum == 0 else f" >= {show_number(minimum)}"
    if maximum is not None:
        return f" <= {show_number(maximum)}"
    return ""


def name_in(name: str, path: str, known: Sequence[str], what: str) -> str:
    """A string value that must name something defined elsewhere (a facility, a scenario)."""
    if name not in known:
        raise fail(path, name, f"unknown {what}; known: {', '.join(known) or '(none)'}")
    return name


def key_name(key: str, path: str, known: Sequence[str], what: str) -> str:
    """A table key that must name something defined elsewhere (a resource, a service, ...)."""
    if key not in known:
        raise ConfigError(
            f"{path}.{key}: unknown {what} {json.dumps(key)}; known: {', '.join(known) or '(none)'}"
        )
    return key


def read_map(
    value: Any, pattern: str, path: str, known: Sequence[str] | None, what: str = ""
) -> dict[str, Any]:
    """A table from names to values of the one ``<...>`` key under ``pattern``;
    ``known`` (unless ``None``) lists the names it may use."""
    entry = next(key for key in KEYS.values() if key.parent == pattern)
    result = {}
    for name, one in table(value, path).items():
        if known is not None:
            key_name(name, path, known, what)
        result[name] = check(entry, one, f"{path}.{name}")
    return result


TRAVEL_UNITS = {
    "distance_km": "km",
    "distance_decay_km": "km",
    "travel_minutes": "minutes",
    "distance_decay_minutes": "minutes",
    "reach_km": "km",
    "reach_minutes": "minutes",
}
"""The unit of each travel key. The kernel's decay ``exp(-d / λ)`` is the same in
any unit, so minutes feed the same parameters as km; one configuration uses one unit."""


def one_of(raw: Mapping[str, Any], path: str, keys: tuple[str, str]) -> str:
    """Which of two exclusive keys (km, minutes) table ``raw`` gives; the first when neither."""
    if keys[0] in raw and keys[1] in raw:
        raise ConfigError(f"{path}: give {keys[0]} or {keys[1]}, not both")
    return keys[1] if keys[1] in raw else keys[0]
