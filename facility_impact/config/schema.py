"""The schema of a configuration as text: JSON Schema for editors and tools, and the
words the documentation's key tables use.

Both are read off :data:`facility_impact.config.keys.KEYS`, so they cannot say
anything the reading code does not check. A JSON Schema cannot see across keys
(that ``needs`` names a resource of the facility, that a strike falls before
the horizon): those checks are ``load_config``'s alone.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from facility_impact.config.keys import KEYS
from facility_impact.config.loading import load_config
from facility_impact.config.spec import ABSENT, COMPUTED, REQUIRED, Key
from facility_impact.config.variation import DISTRIBUTION_KEYS
from facility_impact.curves import CURVE_FAMILIES

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def children(pattern: str) -> list[Key]:
    """The keys of a table of path pattern ``pattern``, in the schema's order."""
    return [key for key in KEYS.values() if key.parent == pattern]


def entry_of(key: Key) -> Key | None:
    """The one ``<...>`` key under a ``map`` key: what each of its values is."""
    found = children(key.path)
    return found[0] if key.kind == "map" and found else None


def default_text(key: Key) -> str:
    """The default as the docs state it: a value, **required**, or what is computed."""
    if key.default is REQUIRED:
        text = "**required**" + key.required_note
    elif key.default in (ABSENT, COMPUTED):
        text = key.default_doc or "none"
    else:
        text = show_default(key.default)
        if key.default_doc:
            text += f": {key.default_doc}"
    return f"{text}. {key.source}" if key.source else text


def show_default(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{'true' if value else 'false'}`"
    if isinstance(value, str):
        return f"`{json.dumps(value)}`" if not value else f"`{value}`"
    if isinstance(value, float) and math.isinf(value):
        return "`inf`"
    return f"{value:g}" if isinstance(value, float) else str(value)


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _bound(value: float) -> str:
    """A bound as the docs write it: ``10⁶`` for a power of ten from 10⁴ up, whole
    numbers with thousands separators (``36,525``), others as they are (``0.5``)."""
    if value >= 10_000 and float(value).is_integer():
        exponent = len(str(int(value))) - 1
        if int(value) == 10**exponent:
            return "10" + str(exponent).translate(_SUPERSCRIPTS)
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def allowed_text(key: Key) -> str:
    """What values the key takes, as the docs state it (the schema's ``rule`` last)."""
    parts: list[str] = []
    if key.kind == "number" or key.kind == "matrix":
        parts.append(_number_text(key))
    elif key.kind == "choice":
        parts.append(", ".join(f"`{choice}`" for choice in key.choices))
    else:
        parts.append(_KIND_TEXT[key.kind])
    entry = entry_of(key)
    if entry is not None and entry.kind == "number":
        parts.append("each " + _number_text(entry))
    if key.rule:
        parts.append(key.rule)
    return "; ".join(parts)


_KIND_TEXT = {
    "string": "string",
    "name": "name",
    "boolean": "`true` or `false`",
    "date": "unquoted TOML date (YYYY-MM-DD)",
    "table": "table",
    "map": "table of names",
    "list": "list of tables",
    "names": "list of names",
    "settings": "table of key paths",
}


def _number_text(key: Key) -> str:
    words = ["whole number"] if key.integer else []
    if key.fraction:
        words.append("0–1")
    elif key.positive and key.maximum is not None:
        words.append(f"> 0 and ≤ {_bound(key.maximum)}")
    elif key.minimum is not None and key.maximum is not None:
        words.append(f"{_bound(key.minimum)}–{_bound(key.maximum)}")
    elif key.positive:
        words.append("> 0")
    elif key.minimum is not None:
        words.append(f"≥ {_bound(key.minimum)}")
    if key.below_horizon == -1:
        words.append("< `horizon_days`")
    elif key.below_horizon == 0:
        words.append("≤ `horizon_days`")
    text = ", ".join(words) or "number"
    if key.inf:
        text += "; `inf` allowed"
    if key.by_name:
        text += "; one number or a table `{ <facility> = … }`"
    return text


def varies_text(key: Key) -> str:
    """Whether a sweep (a list) or a distribution may stand for the number."""
    kinds = (("sweep", key.sweep), ("distribution", key.distribution))
    return ", ".join(word for word, allowed in kinds if allowed) or "—"


# --------------------------------------------------------------------------- JSON Schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a configuration file, as TOML reads it.

    Dates are strings of format ``date`` (as a TOML file converted to JSON
    holds them); a number's unit, default and its source are in its
    ``description``; sweeps and distributions are alternatives of the number.
    """
    schema = {
        "$schema": DIALECT,
        "$id": "urn:facility-impact:configuration",
        "title": "facility_impact scenario configuration",
        "description": "A scenario: facilities, strikes, recovery and where patients may go. "
        "Checked in full by `facility-impact check`; this schema cannot see across keys.",
        **_table(""),
        "$defs": {"sweep_table": _sweep_table(), "distribution": _distribution()},
    }
    return schema


def _describe(key: Key) -> dict[str, Any]:
    unit = f" [{key.unit}]" if key.unit not in ("–", "text", "name", "table", "list") else ""
    node: dict[str, Any] = {
        "description": f"{key.doc}{unit}. Default: {default_text(key)}. Allowed: "
        f"{allowed_text(key)}."
    }
    plain = key.default not in (REQUIRED, ABSENT, COMPUTED)
    if plain and not (isinstance(key.default, float) and math.isinf(key.default)):
        node["default"] = key.default
    return node


def _node(key: Key) -> dict[str, Any]:
    node = _describe(key)
    if key.kind == "number":
        node.update(_number(key))
    elif key.kind in ("string", "name"):
        node["type"] = "string"
    elif key.kind == "boolean":
        node["type"] = "boolean"
    elif key.kind == "date":
        node.update(type="string", format="date")
    elif key.kind == "choice":
        node["enum"] = list(key.choices)
    elif key.kind == "table":
        node.update(_table(key.path))
    elif key.kind == "map":
        entry = entry_of(key)
        node.update(type="object", additionalProperties=_node(entry) if entry else True)
    elif key.kind == "list":
        node.update(type="array", items=_table(f"{key.path}[]"))
    elif key.kind == "names":
        node.update(type="array", items={"type": "string"}, minItems=1, uniqueItems=True)
    elif key.kind == "matrix":
        node.update(type="array", items={"type": "array", "items": _number(key)})
    else:
        node["type"] = "object"
    return node


def _table(pattern: str) -> dict[str, Any]:
    keys = children(pattern)
    node: dict[str, Any] = {
        "type": "object",
        "properties": {key.name: _node(key) for key in keys},
        "additionalProperties": False,
    }
    required = [key.name for key in keys if key.required]
    if required:
        node["required"] = required
    if any(key.name == "curve" for key in keys):
        node["allOf"] = _curve_rules()
    return node


def _curve_rules() -> list[dict[str, Any]]:
    """Each curve family requires its time keys and refuses the others."""
    every = sorted({name for family in CURVE_FAMILIES.values() for name in family.parameters})
    return [
        {
            "if": {"properties": {"curve": {"const": name}}, "required": ["curve"]},
            "then": {
                "required": list(family.parameters),
                "properties": {key: False for key in every if key not in family.parameters},
            },
        }
        for name, family in CURVE_FAMILIES.items()
    ]


def _number(key: Key) -> dict[str, Any]:
    fixed: dict[str, Any] = {"type": "integer" if key.integer else "number"}
    if key.minimum is not None:
        fixed["exclusiveMinimum" if key.positive else "minimum"] = key.minimum
    if key.maximum is not None:
        fixed["maximum"] = key.maximum
    options = [fixed]
    if key.sweep:
        options += [
            {"type": "array", "items": fixed, "minItems": 1},
            {"$ref": "#/$defs/sweep_table"},
        ]
    if key.distribution:
        options.append({"$ref": "#/$defs/distribution"})
    if key.by_name:
        options.append({"type": "object", "additionalProperties": {"anyOf": list(options)}})
    return fixed if len(options) == 1 else {"anyOf": options}


def _sweep_table() -> dict[str, Any]:
    return {
        "description": "A sweep with a chosen dim name: values along a new dim of the results.",
        "type": "object",
        "properties": {
            "values": {"type": "array", "items": {"type": "number"}, "minItems": 1},
            "dim": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        },
        "required": ["values"],
        "additionalProperties": False,
    }


def _distribution() -> dict[str, Any]:
    """A ``{ dist = ... }`` table: one alternative per family with its own keys."""
    families = []
    for family, (required, optional) in DISTRIBUTION_KEYS.items():
        numbers = {key: {"type": "number"} for key in (*required, *optional)}
        families.append(
            {
                "type": "object",
                "properties": {"dist": {"const": family}, "stream": {"type": "string"}, **numbers},
                "required": ["dist", *required],
                "additionalProperties": False,
            }
        )
    return {
        "description": "A distribution sampled along the draw dim (docs/uncertainty.md).",
        "oneOf": families,
    }


def json_schema_text() -> str:
    """:func:`json_schema` as indented JSON text, ending in a newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def check_files(paths: Sequence[str | Path]) -> Iterator[str]:
    """Load and check each configuration in turn, a line for each. Raises the
    ``ConfigError`` of the first bad one, so nothing is said about the files after it."""
    for path in paths:
        config = load_config(path)
        counts = (
            _counted(len(config.facilities), "facility", "facilities"),
            _counted(len(config.strikes), "strike", "strikes"),
            _counted(len(config.scenarios), "scenario", "scenarios"),
        )
        yield f"{path}: valid ({', '.join(counts)})"


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def write_json_schema(path: Path) -> None:
    """Write :func:`json_schema` to ``path`` atomically: the whole file appears, or none."""
    text = json_schema_text()
    handle, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
