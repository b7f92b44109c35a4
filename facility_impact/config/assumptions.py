"""Every parameter of a configuration with its value and its source, from the
configuration text stored in a results file (``results.attrs["configuration"]``).

The source of a key is the comment that goes with it in the TOML file, found by
this rule (docs/report.md):

1. the comment at the end of the key's own line;
2. else the comment block directly above the key (comment lines with no blank
   line between them and the key);
3. else the same, trailing or directly above, for the table header (``[a.b]`` or
   ``[[a]]``) the key sits under; where that header has none, for the nearest
   enclosing table's header that has one (``[a]`` for a key of ``[a.b]``).

A comment cites a source by its bibliography key after an ``@`` (``@moisi2011``,
:mod:`facility_impact.config.bibliography`). A key is "cited" when its comment
cites a source the bibliography holds and says nothing is assumed; it is an
assumption when its comment says ASSUMPTION (or ASSUMED, ILLUSTRATIVE), even
beside a citation, when its comment gives a reason but cites nothing, and when it
has no comment at all.
Names, labels and other text, switches, and the run settings (``run.*``: horizon,
seed, draws) are not quantities of the world: unless their comment cites a
source they are "setting", not assumption.
Values changed on the command line (the ``# overridden: KEY = VALUE`` lines that
``load_config`` appends) are listed with their new value and "set on the command
line" as source. Values a strike as recorded took from the priors of attacks
(``attack_type``; :func:`facility_impact.config.recorded.prior_values`) are not in the
text: they follow the strike's own keys, marked "prior" with the source
"prior: <the table's source>". This module reads the configuration; it never
evaluates the model.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from facility_impact.config.bibliography import citations, unresolved
from facility_impact.config.loading import parse_config
from facility_impact.config.reading import show_value
from facility_impact.config.recorded import prior_values
from facility_impact.config.settings import apply_settings, key_path_parts
from facility_impact.config.types import Config, PriorNote
from facility_impact.config.variation import Uncertain, Varying, parse_variation
from facility_impact.errors import ConfigError

_ASSUMPTION = re.compile(r"\bASSUM|\bILLUSTRATIVE", re.IGNORECASE)
_OVERRIDDEN = re.compile(r"^# overridden: (?P<key>[^=]+?) = (?P<value>.*)$")
_HEADER = re.compile(r"^\s*(\[\[?)\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#(?P<comment>.*))?$")
_KEY = re.compile(r'^\s*(?P<key>"[^"]*"|[A-Za-z0-9_\-]+(\s*\.\s*[A-Za-z0-9_\-"]+)*)\s*=')

ASSUMPTION = "assumption"
CITED = "cited"
OVERRIDE = "override"
SETTING = "setting"
PRIOR = "prior"


@dataclass(frozen=True)
class Parameter:
    """One configuration key: ``key`` (dotted path, list entries by index), its
    ``value`` as text (a number, a distribution, a sweep), ``source`` (the comment
    text, or a note when there is none), ``basis``: "cited", "assumption",
    "override", "setting" or "prior" (see the module docstring), and the
    bibliography keys its source cites."""

    key: str
    value: str
    source: str
    basis: str
    citations: tuple[str, ...] = ()


def parameters(text: str, text_format: str = "toml") -> list[Parameter]:
    """Every key of a configuration text with its value and source (module docstring).

    ``text_format`` is ``"toml"`` (a file) or ``"json"`` (a configuration given
    as a mapping, which carries no comments: every key is an assumption).
    Raises ConfigError when the text cannot be read.
    """
    overrides = []
    for line in text.splitlines():
        match = _OVERRIDDEN.match(line.strip())
        if match:
            value = tomllib.loads(f"value = {match['value']}")["value"]
            overrides.append((match["key"].strip(), value))
    try:
        raw = tomllib.loads(text) if text_format == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"configuration text: cannot be read ({error})") from None
    comments = _comments(text) if text_format == "toml" else {}
    # A JSON text holds the mapping after its overrides; a TOML text before them.
    if text_format == "toml" and overrides:
        raw = apply_settings(raw, overrides)
    overridden = [tuple(key_path_parts(key)) for key, _ in overrides]
    rows = []
    for path, value in _leaves(raw):
        if any(path[: len(prefix)] == prefix for prefix in overridden):
            source, basis = "set on the command line (overrides the file)", OVERRIDE
        else:
            source = _comment_for(path, comments)
            basis = _basis(source, path[0] == "run" or isinstance(value, str | bool))
            if not source and basis == ASSUMPTION:
                source = "no source given"
        # A quoted part with dots in it (a key path in a scenario's set) stays quoted.
        key = ".".join(f'"{part}"' if "." in part else part for part in path)
        cited = tuple(citations(source))
        rows.append(Parameter(key, describe_value(path, value), source, basis, cited))
    return _with_priors(rows, raw)


def _basis(comment: str, setting: bool) -> str:
    """How to read a key's comment (module docstring); ``setting``: a name, label,
    switch or run setting."""
    if _ASSUMPTION.search(comment):
        return ASSUMPTION
    if len(unresolved(comment)) < len(citations(comment)):
        return CITED
    return SETTING if setting else ASSUMPTION


def _with_priors(rows: list[Parameter], raw: Mapping[str, Any]) -> list[Parameter]:
    """``rows`` with the values the strikes took from the priors, each after the last
    row of its strike; a scenario's own, where they differ from the base's, at the end."""
    try:
        config = parse_config(_dated(raw), name="configuration", text="", text_format="json")
    except ConfigError:
        return rows  # not a configuration that loads: no priors to list
    base = prior_values(config)
    result = list(rows)
    for strike, notes in sorted(base.items(), reverse=True):
        found = [i for i, row in enumerate(result) if row.key.startswith(f"strike.{strike}.")]
        at = found[-1] + 1 if found else len(result)
        result[at:at] = [prior_parameter(note) for note in notes]
    shown = {(n.key, _shown(n)) for notes in base.values() for n in notes}
    for scenario in config.scenarios:
        result += [
            prior_parameter(note, f"scenario.{scenario.name}: ")
            for note in _all_notes(scenario.config)
            if (note.key, _shown(note)) not in shown
        ]
    return result


def _dated(node: Any, key: str = "") -> Any:
    """A configuration read from JSON text with its dates back (JSON holds them as
    text: ``run.start_date`` and a strike's ``date``)."""
    if isinstance(node, Mapping):
        return {k: _dated(v, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_dated(v) for v in node]
    if key in ("start_date", "date") and isinstance(node, str):
        try:
            return dt.date.fromisoformat(node)
        except ValueError:
            return node
    return node


def _all_notes(config: Config) -> list[PriorNote]:
    return [note for notes in prior_values(config).values() for note in notes]


def prior_parameter(note: PriorNote, prefix: str = "") -> Parameter:
    """A value taken from the priors as a row of the table, marked "prior: <source>"."""
    source = f"prior: {note.source}"
    return Parameter(prefix + note.key, _shown(note), source, PRIOR, tuple(citations(source)))


def _shown(note: PriorNote) -> str:
    """What the run takes: the distribution drawn, or the central value of the prior."""
    value = note.value
    if isinstance(value, str):
        return value
    if isinstance(value, Varying):
        stream = f" [random stream {value.stream}]" if isinstance(value, Uncertain) else ""
        return value.describe() + stream
    shown = f"{value:g}"
    return shown if shown == note.prior else f"{shown} (central value of {note.prior})"


def describe_value(path: tuple[str, ...], value: Any) -> str:
    """A value as text: a distribution by its family and parameters, a sweep by
    its values, anything else as written in TOML."""
    if isinstance(value, Mapping) and "dist" in value:
        try:
            varying = parse_variation(
                value,
                ".".join(path),
                lambda number, where: number,
                minimum=None,
                maximum=None,
                integer=False,
            )
        except ConfigError:
            return show_value(dict(value))
        stream = f" [random stream {value['stream']}]" if "stream" in value else ""
        return varying.describe() + stream
    if isinstance(value, Mapping) and "values" in value:
        dim = f" (dim {value['dim']})" if "dim" in value else ""
        return f"sweep over {show_value(list(value['values']))}{dim}"
    if isinstance(value, list) and value and all(_is_number(v) for v in value):
        return f"sweep over {show_value(value)}"
    return show_value(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(key path, value) of every parameter: tables are walked, lists of tables are
    indexed; a distribution or sweep table, a list of values and a number are leaves."""
    if isinstance(node, Mapping) and not ("dist" in node or "values" in node):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(node, list) and node and all(isinstance(v, Mapping) for v in node):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, str(index)))
    else:
        yield path, node


def _comments(text: str) -> dict[tuple[tuple[str, ...], str], str]:
    """Comment text by (key path, "key" or "table") as found in the TOML lines."""
    found: dict[tuple[tuple[str, ...], str], str] = {}
    table: tuple[str, ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    block: list[str] = []
    depth = 0  # open brackets and braces of a value spanning lines
    for line in text.splitlines():
        stripped = line.strip()
        if depth:
            depth += _bracket_balance(line)
            continue
        if stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            # A rule of dashes separates sections: it is no part of a source.
            if not _OVERRIDDEN.match(stripped) and text.strip("-=") != "":
                block.append(text)
            continue
        if not stripped:
            block = []
            continue
        header = _HEADER.match(stripped)
        if header and not _KEY.match(stripped):
            parts = tuple(_split_key(header["name"]))
            if header.group(1) == "[[":
                index = counts.get(parts, 0)
                counts[parts] = index + 1
                parts = (*parts, str(index))
            else:
                parts = _indexed(parts, counts)
            table = parts
            found[(table, "table")] = _join(block, header["comment"])
            block = []
            continue
        key = _KEY.match(stripped)
        if key:
            path = (*table, *_split_key(key["key"]))
            value = stripped[key.end() :]
            trailing = _trailing_comment(value)
            found[(path, "key")] = _join(block if not trailing else [], trailing)
            depth = _bracket_balance(value.split("#", 1)[0] if trailing else value)
        block = []
    return found


def _indexed(parts: tuple[str, ...], counts: Mapping[tuple[str, ...], int]) -> tuple[str, ...]:
    """A header under an array of tables (``[scenario.x.set]`` is plain, but
    ``[strike.damage]`` after ``[[strike]]`` belongs to the last strike)."""
    for cut in range(len(parts), 0, -1):
        if parts[:cut] in counts:
            return (*parts[:cut], str(counts[parts[:cut]] - 1), *parts[cut:])
    return parts


def _split_key(key: str) -> list[str]:
    """Parts of a dotted TOML key; a quoted part keeps its dots."""
    return [part.strip().strip('"') for part in re.findall(r'"[^"]*"|[^.]+', key) if part.strip()]


def _trailing_comment(value: str) -> str:
    """The comment after a value on the same line ('#' inside quotes is not one)."""
    quoted = False
    for index, character in enumerate(value):
        if character == '"':
            quoted = not quoted
        elif character == "#" and not quoted:
            return value[index + 1 :].strip()
    return ""


def _bracket_balance(text: str) -> int:
    quoted = False
    balance = 0
    for character in text:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in "[{":
            balance += 1
        elif not quoted and character in "]}":
            balance -= 1
        elif not quoted and character == "#":
            break
    return balance


def _join(block: list[str], trailing: str | None) -> str:
    return " ".join([*block, trailing.strip()] if trailing else block).strip()


def _comment_for(path: tuple[str, ...], comments: Mapping[tuple[tuple[str, ...], str], str]) -> str:
    """The comment of the key line that defines ``path`` (or a prefix of it, for a
    value inside an inline table), else of the nearest table header above it that
    has one (``[a.b.c]``, else ``[a.b]``, ...)."""
    for cut in range(len(path), 0, -1):
        comment = comments.get((path[:cut], "key"))
        if comment is not None:
            if comment:
                return comment
            break
    for cut in range(len(path) - 1, 0, -1):
        comment = comments.get((path[:cut], "table"))
        if comment:
            return comment
    return ""
