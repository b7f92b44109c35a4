"""Plain-language labels for what figures and tables show: every variable, every dim
and every configuration key a sweep or a distribution may vary.

* A variable's label is its registry entry (``data/variables.toml``): ``long_name``
  for what it is and ``label`` for its units in words, "capacity (patients per day)".
  The data's own ``units`` attribute (a UDUNITS string such as ``patient d-1``) is
  for software and never shown.
* A configuration key's label comes from the schema table
  :data:`facility_impact.config.keys.KEYS`: the first clause of its ``doc`` with
  its formula symbols taken out, and its ``unit`` in words; :data:`KEY_LABELS`
  replaces that for the keys whose doc is too long or too technical for an axis
  ("days of closure", "mean days to restore building").
* A sweep dim is labelled by the keys it sweeps, read from the configuration the
  results store; where the data hold no configuration, by the key whose name the
  dim carries, else by its name in words.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import xarray as xr

from facility_impact.config import Config, load_config
from facility_impact.config.keys import KEYS
from facility_impact.config.settings import key_path_parts
from facility_impact.config.spec import Key, split_path
from facility_impact.config.sweeps import sweep_dims
from facility_impact.errors import ConfigError
from facility_impact.variables import VARIABLES

UNIT_WORDS: Mapping[str, str] = {
    "d": "days",
    "km": "km",
    "min": "minutes",
    "fraction": "share, 0 to 1",
    "persons": "people",
    "patients": "patients",
    "patients/month": "patients per month",
    "patient d⁻¹ unit⁻¹": "patients per day per unit",
    "patient person⁻¹ year⁻¹": "visits per person per year",
    "d⁻¹": "share per day",
    "count": "count",
    "degrees_north": "degrees north",
    "degrees_east": "degrees east",
    "–": "",
}
"""The units of the schema table (:attr:`Key.unit`) in words."""

_CURVES: Mapping[str, tuple[str, str]] = {
    "recovery.<resource>": ("to restore {resource}", "before restoring {resource}"),
    "facility.<name>.recovery.<resource>": ("to restore {resource}", "before restoring {resource}"),
    "facility.<name>.displacement": ("for people to leave", "before people leave"),
    "facility.<name>.displacement.return": (
        "for the displaced to return",
        "before the displaced return",
    ),
    "strike[].avoidance_fade": ("for avoidance to fade", "before avoidance fades"),
    "staff_return.<fate>": ("for {fate} staff to return", "before {fate} staff return"),
    "recruitment": ("to refill posts", "before posts are refilled"),
}
"""Each curve table: what its days are the days *of* (after "days"), and what its
delay comes before."""

_CURVE_KEYS: Mapping[str, str] = {
    "time_days": "days {what}",
    "mean_days": "mean days {what}",
    "sd_days": "spread of the days {what}",
    "delay_days": "days of delay {before}",
}

KEY_LABELS: Mapping[str, str] = {
    "facility.<name>.population": "catchment population",
    "facility.<name>.resources.<resource>": "{resource}",
    "facility.<name>.recovery.<resource>.recoverable_share": "share of lost {resource} restored",
    "recovery.<resource>.recoverable_share": "share of lost {resource} restored",
    "facility.<name>.services.<service>.volume_per_month": "{service}: capacity per month",
    "facility.<name>.services.<service>.throughput_per_day.<resource>": (
        "{service}: patients per day per unit of {resource}"
    ),
    "facility.<name>.services.<service>.utilisation_per_person_year": (
        "{service}: visits per person per year"
    ),
    "facility.<name>.services.<service>.needs.<resource>": "{service}: need for {resource}",
    "facility.<name>.services.<service>.demand_ratio": "{service}: demand over capacity",
    "facility.<name>.services.<service>.deferrable_share": "{service}: share that waits",
    "facility.<name>.services.<service>.backlog_attrition_per_day": (
        "{service}: share of waiting patients giving up per day"
    ),
    "facility.<name>.services.<service>.willingness_to_travel": (
        "{service}: share who travel elsewhere"
    ),
    "facility.<name>.services.<service>.distance_decay_km": "{service}: distance-decay scale",
    "facility.<name>.services.<service>.distance_decay_minutes": (
        "{service}: travel-time decay scale"
    ),
    "facility.<name>.services.<service>.reach_km": "{service}: farthest distance travelled",
    "facility.<name>.services.<service>.reach_minutes": "{service}: longest travel time",
    "facility.<name>.services.<service>.demand_multipliers[].factor": "{service}: demand factor",
    "facility.<name>.displacement.share": "share of people displaced",
    "facility.<name>.displacement.return_share": "share of the displaced who return",
    "facility.<name>.displacement.destinations.<facility>": "share of the displaced settling",
    "facility.<name>.relocation.distance_km": "distance to the relocated site",
    "facility.<name>.relocation.resources.<resource>": "{resource} at the relocated site",
    "facility.<name>.relocation.travel_minutes": "travel time to the relocated site",
    "strike[].day": "day of the strike",
    "strike[].closure_days": "days of closure",
    "strike[].damage.<resource>": "damage to {resource}",
    "strike[].staff_killed": "staff killed",
    "strike[].staff_injured": "staff injured",
    "strike[].staff_abducted": "staff abducted or missing",
    "strike[].staff_fled": "staff who fled",
    "strike[].casualties": "casualties of the strike",
    "strike[].avoidance.<service>": "{service}: share staying away after the strike",
    "strike[].avoidance_nearby_share": "share also staying away from nearby facilities",
    "strike[].avoidance_radius_km": "distance over which people stay away",
    "staff_return.<fate>.return_share": "share of {fate} staff who return",
    "recruitment.share": "share of empty posts refilled",
    "alternative[].distance_km": "distance to the alternative",
    "alternative[].travel_minutes": "travel time to the alternative",
    "alternative[].spare_capacity_per_month.<service>": "{service}: spare capacity elsewhere",
    "alternative[].capacity_per_month.<service>": "{service}: capacity elsewhere",
    "alternative[].opens_day": "day the alternative opens",
    "network.distance_km": "distances between facilities",
    "network.travel_minutes": "travel times between facilities",
    "outcome.<name>.per_forgone_patient": "outcome per forgone patient",
}
"""Labels of the keys whose doc does not make a short one, by their schema pattern;
``{resource}``, ``{service}``, ``{fate}`` stand for the names in the key's path."""

MACHINE_UNITS = re.compile(
    r"\b(?:patient|person|bed|worker)s? (?:d|month|yr|year)-1\b"
    r"|\b(?:d|yr|year|month|person)-1\b"
    r"|per 10000 person|degrees_(?:north|east)|\[1\]|\bd-1\b"
)
"""Unit strings written for software (UDUNITS), which no figure or table shows."""


# --------------------------------------------------------------------------- variables


def unit_words(name: Hashable) -> str:
    """The units of registry variable ``name`` in words ("patients per day"); "" for a
    name without units or not in the registry."""
    variable = VARIABLES.get(str(name))
    return (variable.label or "") if variable is not None and variable.units else ""


def quantity(data: xr.DataArray | str) -> str:
    """What a variable is, in words: its registry ``long_name``, else its own
    ``long_name`` attribute, else its name. A registry long name that ends with its
    units in words, as CF files need ("capacity (patients per day)"), loses them here:
    labels add the units where they fit (:func:`axis_label`)."""
    name = data if isinstance(data, str) else str(data.name)
    variable = VARIABLES.get(name)
    if variable is not None:
        units = f" ({variable.label})" if variable.label else ""
        long_name = variable.long_name
        return long_name[: -len(units)] if units and long_name.endswith(units) else long_name
    if isinstance(data, xr.DataArray):
        return str(data.attrs.get("long_name") or name)
    return name


def with_units(text: str, units: str) -> str:
    """``text`` followed by ``units`` in brackets, unless the text already says them."""
    if not units or units in text or (units == "days" and re.search(r"\bdays?\b", text)):
        return text
    if units.startswith("share"):
        has_share = re.search(r"\b(share|fraction)\b", text)
        return f"{text} ({'0 to 1' if has_share else units})"
    return f"{text} ({units})"


def axis_label(data: xr.DataArray | str, extra: str = "") -> str:
    """A variable's label for an axis or a column: "capacity and demand (patients per
    day)" for ``axis_label(capacity, " and demand")``. A date axis is "date"."""
    name = data if isinstance(data, str) else str(data.name)
    if isinstance(data, xr.DataArray) and data.dtype.kind == "M":
        variable = VARIABLES.get(name)
        return (variable.dated_long_name if variable else None) or "date"
    units = unit_words(name)
    if not units and isinstance(data, xr.DataArray) and name not in VARIABLES:
        units = _fallback_units(str(data.attrs.get("units", "")))
    return with_units(f"{quantity(data)}{extra}", units)


def _fallback_units(units: str) -> str:
    """Units of a variable outside the registry: a fraction is "0 to 1"; a UDUNITS
    string is not shown."""
    if units == "1":
        return "share, 0 to 1"
    return "" if not units or MACHINE_UNITS.search(units) or re.search(r"\d", units) else units


# --------------------------------------------------------------------------- configuration keys


def match_key(path: str) -> tuple[Key, dict[str, str]] | None:
    """The schema entry of a concrete key path (``strike.0.closure_days``,
    ``strike[0].closure_days`` or a pattern) and the names its ``<...>`` parts and list
    indices take; None for a path the schema does not have."""
    try:
        parts = key_path_parts(path)
    except ConfigError:
        return None
    for key in KEYS.values():
        bound = _bind(split_path(key.path), parts)
        if bound is not None:
            return key, bound
    return None


def _bind(pattern: list[str], parts: list[str]) -> dict[str, str] | None:
    """Names of the ``<...>`` parts (and list indices, as ``[list name]``) of ``parts``
    under ``pattern``; None where they do not match."""
    bound: dict[str, str] = {}
    position = 0
    for piece in pattern:
        if position >= len(parts):
            return None
        if piece.endswith("[]"):
            name = piece[:-2]
            if parts[position] not in (name, piece):
                return None
            following = parts[position + 1] if position + 1 < len(parts) else ""
            if following.isdigit():
                bound[name] = following
                position += 1
        elif piece.startswith("<") and piece.endswith(">"):
            bound[piece[1:-1]] = parts[position]
        elif piece != parts[position]:
            return None
        position += 1
    return bound if position == len(parts) else None


def key_template(key: Key, units: bool = True) -> str:
    """A key's label with ``{resource}``-like fields for the names in its path; with
    ``units``, its units in words where the label does not say them."""
    parent, _, name = key.path.rpartition(".")
    if key.path in KEY_LABELS:
        text = KEY_LABELS[key.path]
    elif parent in _CURVES and name in _CURVE_KEYS:
        what, before = _CURVES[parent]
        text = _CURVE_KEYS[name].format(what=what, before=before)
    else:
        text = _first_clause(key.doc)
    return with_units(text, UNIT_WORDS.get(key.unit, "")) if units else text


def _first_clause(doc: str) -> str:
    """The first clause of a schema doc, without formula symbols or markup."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", doc)  # links: their text
    text = re.sub(r"`([^`]*)`", _keep_names, text)
    text = re.split(r"\. |; |: |, so | \(|, as ", text, maxsplit=1)[0]
    return re.sub(r"\s+", " ", text).strip(" ,.")


def _keep_names(match: re.Match[str]) -> str:
    """A key name in backticks stays as words; a formula symbol goes."""
    inner = match.group(1)
    return inner.replace("_", " ") if re.fullmatch(r"[a-z][a-z_]{3,}", inner) else ""


def keys_label(paths: Iterable[str], units: bool = True) -> str:
    """One label for the keys ``paths`` that move together (a zipped sweep, a random
    stream): keys of one schema entry share it, their names joined ("mean days to
    restore building, beds, theatres"); different entries are joined by "; ". A key
    of a list entry after the first says which ("days of closure (strike 2)")."""
    groups: dict[str, dict[str, list[str]]] = {}
    unknown: list[str] = []
    for path in paths:
        found = match_key(path)
        if found is None:
            unknown.append(_words(path.rpartition(".")[2] or path))
            continue
        key, bound = found
        fields = groups.setdefault(key.path, {})
        for field, value in bound.items():
            values = fields.setdefault(field, [])
            if value not in values:
                values.append(value)
    labels = []
    for pattern, fields in groups.items():
        filled = {field: ", ".join(names) for field, names in fields.items()}
        key = KEYS[pattern]
        text = key_template(key, units=False).format_map(_Blank(filled))
        entries = [
            f"{field} {', '.join(str(int(i) + 1) for i in fields[field])}"
            for field in _list_names(pattern)
            if field in fields and fields[field] != ["0"]
        ]
        text += f" ({'; '.join(entries)})" if entries else ""
        labels.append(with_units(text, UNIT_WORDS.get(key.unit, "")) if units else text)
    return "; ".join(dict.fromkeys([*labels, *unknown]))


def _list_names(pattern: str) -> list[str]:
    """The lists of tables a schema pattern passes through (``strike`` in
    ``strike[].closure_days``)."""
    return [part[:-2] for part in split_path(pattern) if part.endswith("[]")]


def key_label(path: str, units: bool = True) -> str:
    """The plain label of one configuration key path."""
    return keys_label([path], units)


class _Blank(dict[str, str]):
    """Format fields the path does not give are left out."""

    def __missing__(self, key: str) -> str:
        return ""


def _words(name: str) -> str:
    return name.replace("_", " ").strip()


# --------------------------------------------------------------------------- dims


def stored_config(results: xr.Dataset) -> Config:
    """The configuration the results were simulated from, with its recorded overrides.

    Raises ConfigError (or a TOML/JSON error) when the stored text cannot be read."""
    text = results.attrs.get("configuration", "")
    if results.attrs.get("configuration_format") == "json":
        return load_config(json.loads(text))
    overrides = []
    for line in text.splitlines():
        if line.startswith("# overridden: "):
            key, _, value = line.removeprefix("# overridden: ").partition(" = ")
            overrides.append((key, tomllib.loads(f"v = {value}")["v"]))
    return load_config(tomllib.loads(text), settings=overrides)


def swept_keys(data: xr.Dataset) -> dict[str, list[str]]:
    """Sweep dim → the key paths it sweeps, from the configuration ``data`` stores
    (empty when it stores none that can be read)."""
    if not data.attrs.get("configuration"):
        return {}
    try:
        config = stored_config(data)
    except (ConfigError, tomllib.TOMLDecodeError, json.JSONDecodeError):
        return {}
    variants = [config, *(scenario.config for scenario in config.scenarios)]
    dims: dict[str, list[str]] = {}
    for path, (dim, _) in sweep_dims(variants).items():
        dims.setdefault(dim, []).append(path)
    return dims


def dim_label(data: xr.Dataset | xr.DataArray, dim: Hashable) -> str:
    """A dim in words: a sweep dim by the keys it sweeps ("days of closure"), a dim of
    the registry by its ``long_name``, any other by its name in words."""
    name = str(dim)
    if isinstance(data, xr.Dataset):
        paths = swept_keys(data).get(name)
        if paths:
            return keys_label(paths)
    variable = VARIABLES.get(name)
    if variable is not None:
        return variable.long_name
    by_name = [key for key in KEYS.values() if key.name == name and (key.sweep or key.distribution)]
    if len({key_template(key) for key in by_name}) == 1:
        return key_template(by_name[0]).format_map(_Blank())
    return _words(name)


def dim_labels(data: xr.Dataset, dims: Sequence[Hashable]) -> dict[Hashable, str]:
    """:func:`dim_label` of each of ``dims``, reading the stored configuration once."""
    swept = swept_keys(data)
    labels: dict[Hashable, str] = {}
    for dim in dims:
        paths = swept.get(str(dim))
        labels[dim] = keys_label(paths) if paths else dim_label(xr.Dataset(), dim)
    return labels


def input_label(name: str, keys: str = "") -> str:
    """An uncertain input of the sensitivity analysis in words, without units: the
    keys of its random stream (``input_keys``, comma-separated), else the stream name."""
    paths = [path.strip() for path in keys.split(",") if path.strip()] or [name]
    return (
        keys_label(paths, units=False) if any(match_key(path) for path in paths) else _words(name)
    )


def machine_units(texts: Iterable[Any]) -> list[str]:
    """The texts among ``texts`` that show a unit string written for software."""
    return [str(text) for text in texts if MACHINE_UNITS.search(str(text))]
