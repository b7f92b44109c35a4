"""Writing an imported network as an ordinary, commented TOML configuration.

Every value is followed by a comment saying where it came from: a table cell
("facilities row 3, column beds") or a default ("DEFAULT for hospital: …", with its
source or ASSUMPTION). A recorded attack's damage, closure and restoration are not
written: they come from the priors of attacks as recorded when the file is loaded.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from facility_impact.ingest.attacks import StrikeRecord
from facility_impact.ingest.defaults import Defaults, Noted
from facility_impact.ingest.facilities import FacilityRecord


def toml_value(value: Any) -> str:
    """``value`` written as TOML: numbers, strings, dates, lists and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _line(key: str, item: Noted) -> str:
    note = item.note.replace("\n", " ")
    return f"{key} = {toml_value(item.value)}  # {note}"


def header_lines(sources: Sequence[str], unused: Sequence[str], version: str) -> list[str]:
    """The comment block at the top: what was imported and how to read the comments."""
    lines = [
        f"# Written by facility-impact import ({version}). Edit it like any configuration;",
        "# the keys are described in docs/configuration.md, the import in docs/data_import.md.",
        f"# Imported from: {', '.join(sources)}",
        "# Each value says where it came from: a table cell (rows count from 1, the CSV",
        "# header and GeoJSON geometry not counted; latitude/longitude of a GeoJSON point",
        "# are its geometry), or DEFAULT (facility_impact/data/facility_types.toml, with",
        "# its source or ASSUMPTION). Each strike is an attack as recorded: its damage,",
        "# closure, restoration and the people's response come from the priors of",
        "# facility_impact/data/attack_priors.toml (docs/model.md, Attacks as recorded).",
    ]
    if unused:
        lines.append(f"# Columns not used: {', '.join(unused)}")
    return lines


def run_lines(title: str, start: Noted | None, horizon: Noted) -> list[str]:
    """``title`` and the ``[run]`` table."""
    lines = [f"title = {toml_value(title)}", "", "[run]", _line("horizon_days", horizon)]
    if start is not None:
        lines.append(_line("start_date", start))
    return lines


def network_lines(
    facilities: Sequence[FacilityRecord], matrix: list[list[float]], key: str, note: str
) -> list[str]:
    """The ``[network]`` table: the facilities in order and the distance or time matrix."""
    names = [f.name for f in facilities]
    symmetric = all(
        matrix[i][j] == matrix[j][i] for i in range(len(names)) for j in range(len(names))
    )
    lines = ["", f"# {note}", "[network]", f"facilities = {toml_value(names)}"]
    if not symmetric:
        lines.append("symmetric = false  # the travel-time table differs by direction")
    lines.append(f"{key} = [")
    lines.extend(
        f"  {toml_value(row)},  # from {name}" for name, row in zip(names, matrix, strict=True)
    )
    lines.append("]")
    return lines


def facility_lines(
    facility: FacilityRecord, defaults: Defaults, decay_key: str, horizon: int
) -> list[str]:
    """One ``[facility.<name>]`` table with its resources and services."""
    path = f"facility.{facility.name}"
    lines = [
        "",
        f"[{path}]",
        _line("id", facility.identifier),
        _line("type", facility.kind),
        _line("label", facility.label),
        _line("latitude", facility.latitude),
        _line("longitude", facility.longitude),
        _line("population", facility.population),
    ]
    if facility.functionality.value == "not_functioning":
        basis = defaults.functionality["not_functioning"]["basis"]
        lines.append(_line("opens_day", Noted(horizon, f"{facility.functionality.note}: {basis}")))
    resources = {r: q for r, q in facility.resources.items() if q.value > 0}
    lines += ["", f"[{path}.resources]"]
    lines += [_line(resource, quantity) for resource, quantity in resources.items()]
    lines.append(
        _line(
            "building", Noted(defaults.building["value"], f"DEFAULT: {defaults.building['basis']}")
        )
    )
    for service, volume in facility.volumes.items():
        lines += ["", f"[{path}.services.{service}]", _line("volume_per_month", volume)]
        lines.append(_line("demand_ratio", facility.demand_ratio))
        needs = defaults.service_value(service, "needs")
        kept = {r: w for r, w in needs.value.items() if r in resources or r == "building"}
        lines.append(_line("needs", Noted(kept, needs.note)))
        for key in ("deferrable_share", "backlog_attrition_per_day", "willingness_to_travel"):
            lines.append(_line(key, defaults.service_value(service, key)))
        lines.append(_line(decay_key, defaults.service_value(service, decay_key)))
    return lines


def strike_lines(strike: StrikeRecord) -> list[str]:
    """One ``[[strike]]`` table: the attack as recorded."""
    lines = [
        "",
        "[[strike]]",
        _line("facility", strike.facility),
        _line("date", strike.date),
        f"label = {toml_value(strike.label)}",
    ]
    if strike.source:
        lines.append(f"# source of the record: {strike.source}")
    lines += [
        _line("attack_type", strike.attack_type),
        _line("facility_damage", strike.facility_damage),
    ]
    lines.append(_line("casualties", strike.casualties))
    lines += [_line(fate, count) for fate, count in strike.staff_lost.items()]
    return lines
