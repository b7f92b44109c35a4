"""What one configuration key is: the record each row of the schema table fills in.

A :class:`Key` names its place by a *path pattern*: dotted parts, ``<name>``
for a part the user chooses (a facility, a resource) and ``[]`` after a list
whose entries are tables (``strike[].closure_days``). The table itself is
:data:`facility_impact.config.keys.KEYS`; this module only defines its columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "number",  # a number; ``by_name`` also allows a table of numbers keyed by name
    "string",
    "boolean",
    "date",  # a TOML date, unquoted
    "choice",  # one of ``choices``
    "name",  # a string naming something the configuration defines
    "names",  # a list of such names
    "table",  # a table of fixed keys (the keys under its pattern)
    "map",  # a table from chosen names to the one ``<...>`` key under its pattern
    "list",  # a list of tables (the keys under ``<pattern>[]``)
    "matrix",  # a list of rows of numbers
    "settings",  # a table of key paths to values (a scenario's ``set``)
]


class _Marker:
    """A default that is not a value: the key is required, optional without a value,
    or computed from other keys when it is read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


REQUIRED = _Marker("REQUIRED")
"""The key must be given (unless ``required_note`` says when it may be left out)."""
ABSENT = _Marker("ABSENT")
"""Optional, and when left out it has no value (nothing happens)."""
COMPUTED = _Marker("COMPUTED")
"""Optional; when left out its value comes from other keys, as ``default_doc`` says."""


@dataclass(frozen=True)
class Key:
    """One configuration key: where it is, what it holds, its default and its range.

    ``unit`` is the unit as written in the docs (``d``, ``km``, ``fraction``;
    ``–`` for a pure number). ``default`` is a value or one of the markers
    :data:`REQUIRED`, :data:`ABSENT` and :data:`COMPUTED`; ``default_doc``
    describes a default that is not a plain value. ``source`` is where a
    default that drives the result comes from: a citation, or ``ASSUMPTION:``
    and why. ``minimum``/``maximum`` bound a number; ``below_horizon`` makes
    its maximum ``horizon_days + below_horizon`` (``-1``: before the horizon,
    ``0``: at most the horizon). ``positive`` also refuses 0 (a scale that
    divides), ``inf`` allows TOML's infinity. ``sweep`` and ``distribution``
    say whether a list of values or a ``{dist = ...}`` table may replace the
    number. ``rule`` states, for the docs, what else is checked against other
    keys; ``required_note`` is appended to the "missing; required" message.
    """

    path: str
    kind: Kind
    doc: str
    unit: str = "–"
    default: object = REQUIRED
    default_doc: str = ""
    source: str = ""
    minimum: float | None = None
    maximum: float | None = None
    below_horizon: int | None = None
    integer: bool = False
    positive: bool = False
    inf: bool = False
    sweep: bool = False
    distribution: bool = False
    by_name: bool = False
    choices: tuple[str, ...] = ()
    rule: str = ""
    required_note: str = ""

    @property
    def name(self) -> str:
        """The key's own name: the last part of its path."""
        return split_path(self.path)[-1]

    @property
    def parent(self) -> str:
        """The pattern of the table the key sits in (``""`` at the top level)."""
        parts = split_path(self.path)
        return join_path(parts[:-1])

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def fraction(self) -> bool:
        return self.minimum == 0 and self.maximum == 1


def split_path(pattern: str) -> list[str]:
    """``strike[].damage.<resource>`` → ``["strike[]", "damage", "<resource>"]``."""
    return pattern.split(".")


def join_path(parts: list[str]) -> str:
    return ".".join(parts)
