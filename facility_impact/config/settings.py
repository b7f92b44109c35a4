"""Key paths and ``--set`` overrides (``strike.0.closure_days=45``) on a raw configuration."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from facility_impact.errors import ConfigError


def key_path_parts(path: str, origin: str = "") -> list[str]:
    """``strike.0.closure_days`` or ``strike[0].closure_days`` → its parts."""
    parts = re.sub(r"\[(\d+)\]", r".\1", path).split(".")
    if not path or any(part == "" for part in parts):
        raise ConfigError(f"{origin}{path}: not a key path; write e.g. strike.0.closure_days")
    return parts


def apply_settings(
    raw: Mapping[str, Any], settings: Sequence[tuple[str, Any]], origin: str = ""
) -> dict[str, Any]:
    """A copy of ``raw`` with each ``(key path, value)`` set; ``raw`` is not changed.

    A path names tables by key and lists by index (``strike.0.closure_days``);
    the index one past the end appends a new entry (``strike.1 = {...}`` adds a
    strike). ``origin`` prefixes messages (``--set `` or ``scenario.x.set.``).
    The result is checked by :func:`parse_config` like any configuration.
    """
    updated = copy.deepcopy(dict(raw))
    for path, value in settings:
        parts = key_path_parts(path, origin)
        node: Any = updated
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            where = f"{origin}{'.'.join(parts[: depth + 1])}"
            if isinstance(node, list):
                if (
                    not (part.isascii() and part.isdigit() and len(part) < 10)
                    or int(part) > len(node)
                    or (int(part) == len(node) and not last)
                ):
                    raise ConfigError(
                        f"{where}: {parts[depth - 1]} holds {len(node)} entries; use an index "
                        f"0..{len(node) - 1}, or {len(node)} to add a whole new entry"
                    )
                index = int(part)
                if last and index == len(node):
                    node.append(value)
                elif last:
                    node[index] = value
                else:
                    node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, {})
            else:
                raise ConfigError(f"{where}: {'.'.join(parts[:depth])} is a value, not a table")
    return updated


def parse_setting(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from the command line: the value is read as TOML, else as text.

    ``closure_days=45`` gives 45, ``closure_days=[7,30]`` a sweep,
    ``mean_days={dist="triangular",low=90,mode=180,high=360}`` a distribution,
    ``label=Field hospital`` the string.
    """
    key, equals, value = text.partition("=")
    key = key.strip()
    if not equals or not key:
        raise ConfigError(f"--set {text}: expected KEY=VALUE, e.g. strike.0.closure_days=45")
    try:
        return key, tomllib.loads(f"value = {value.strip()}")["value"]
    except (ValueError, RecursionError):
        # Not a TOML value (tomllib's errors are ValueErrors, as is a number of more
        # than 4,300 digits): the text itself, which the key's check then judges.
        return key, value.strip()
