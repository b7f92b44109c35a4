"""Writing a priors table back with some entries replaced (the calibration's fitted
table), keeping everything else of the file as it was: its layout, comments and
every other entry, so that a fitted table reads and diffs like the package's.

An entry is written either as its own table (``[response.share.routine]`` with
``value = …`` and ``source = "…"`` lines) or inline (``nearby_share = { value = …,
source = "…", calibrated = true }`` under its parent table); both are rewritten in
place. The result is read back and checked (:func:`facility_impact.config.priors.parse_priors`).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from importlib.resources import files

from facility_impact.config.priors import PRIORS_FILE, Entry, Priors, parse_priors
from facility_impact.config.variation import Distribution
from facility_impact.errors import ConfigError


def package_priors_text() -> str:
    """The text of the package's priors table."""
    return files("facility_impact").joinpath(PRIORS_FILE).read_text("utf-8")


def toml_value(value: float | Distribution) -> str:
    """An entry's value as the table writes it: a number, or an inline distribution."""
    if isinstance(value, float):
        return _number(value)
    parts = [f'dist = "{value.family}"', *(f"{k} = {_number(v)}" for k, v in value.parameters)]
    return "{ " + ", ".join(parts) + " }"


def _number(value: float) -> str:
    """Four significant digits, always with a decimal point or exponent (a TOML float)."""
    text = f"{value:.4g}"
    return text if any(c in text for c in ".en") else f"{text}.0"


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; other characters stay as they are)."""
    return json.dumps(text, ensure_ascii=False)


def rewrite_priors(text: str, entries: Mapping[str, Entry], status: str) -> tuple[str, Priors]:
    """``text`` (a priors table) with the value and source of every entry in ``entries``
    (by name) replaced and ``status`` set; returns the new text and its checked table."""
    lines = text.splitlines()
    for name, entry in entries.items():
        if not _rewrite_section(lines, name, entry) and not _rewrite_inline(lines, name, entry):
            raise ConfigError(f"{PRIORS_FILE}: entry {name} not found to rewrite")
    status_line = re.compile(r'^status = "[^"]*"')
    found = [i for i, line in enumerate(lines) if status_line.match(line)]
    if len(found) != 1:
        raise ConfigError(f"{PRIORS_FILE}: status: expected one line to rewrite")
    lines[found[0]] = status_line.sub(f"status = {json.dumps(status)}", lines[found[0]])
    new = "\n".join(lines) + "\n"
    return new, parse_priors(tomllib.loads(new), "the rewritten priors table")


def _rewrite_section(lines: list[str], name: str, entry: Entry) -> bool:
    """Rewrite the ``value`` and ``source`` lines of the table ``[name]``; False if absent."""
    try:
        start = lines.index(f"[{name}]")
    except ValueError:
        return False
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    done = set()
    for index in range(start + 1, end):
        for key, new in (("value", toml_value(entry.value)), ("source", _string(entry.source))):
            if lines[index].startswith(f"{key} = "):
                lines[index] = f"{key} = {new}"
                done.add(key)
    if done != {"value", "source"}:
        raise ConfigError(f"{PRIORS_FILE}: [{name}] needs one value and one source line")
    return True


def _rewrite_inline(lines: list[str], name: str, entry: Entry) -> bool:
    """Rewrite the inline entry ``key = { … }`` under the table of ``name``'s parent."""
    parent, _, key = name.rpartition(".")
    try:
        start = lines.index(f"[{parent}]")
    except ValueError:
        return False
    for index in range(start + 1, len(lines)):
        if lines[index].startswith("["):
            return False
        if lines[index].startswith(f"{key} = {{"):
            calibrated = ", calibrated = true" if entry.calibrated else ""
            lines[index] = (
                f"{key} = {{ value = {toml_value(entry.value)}, "
                f"source = {_string(entry.source)}{calibrated} }}"
            )
            return True
    return False
