"""Reading TOML text a user wrote, with errors that say what to change.

``tomllib`` reports a key given twice by the position where it noticed
(``Cannot overwrite a value (at line 22, column 15)``, often "at end of
document"), not by the key, and not where the key was first given. A
configuration is long, and keys repeat under different tables, so
:func:`parse_toml` finds both: it scans the text up to the error, noting the
full key path and the line of every header, key and inline-table key, and
names the key with both lines (``facility.north.population is given twice, on
line 21 and on line 22``). Numbers of more than 4,300 digits, which Python
refuses to read, and nesting too deep to read are errors of one line too.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from facility_impact.errors import ConfigError

_REDEFINED = (
    "Cannot overwrite a value",
    "Cannot declare",
    "Cannot mutate immutable namespace",
    "Cannot redefine namespace",
    "Duplicate inline table key",
)
"""The beginnings of ``tomllib``'s messages about a key or table given twice."""

_POSITION = re.compile(r"\(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$")
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_LONG_NUMBER = re.compile(r"[0-9_]{4300,}")

Path = tuple[str | int, ...]
"""A key's full path: table and key names, and the index of each array entry."""


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """``text`` parsed; a :class:`ConfigError` of one line naming ``where`` (the file)
    and what is wrong, the key and both of its lines for a key given twice."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {explain(text, str(error))}") from None
    except RecursionError:
        raise ConfigError(
            f"{where}: not valid TOML: arrays or inline tables nested too deeply to read"
        ) from None
    except ValueError:
        # Python reads no integer of more than 4,300 digits (sys.int_info).
        found = _LONG_NUMBER.search(text)
        line = f"line {_line_of(text, found.start())}: " if found else ""
        raise ConfigError(
            f"{where}: not valid TOML: {line}a number of more than 4,300 digits"
        ) from None


def explain(text: str, message: str) -> str:
    """``tomllib``'s message, or for a key given twice, which key and on which lines."""
    if not message.startswith(_REDEFINED):
        return message
    position = _POSITION.search(message)
    if position is None:
        return message
    offset = len(text)
    if position["line"] is not None:
        offset = _offset_of(text, int(position["line"]), int(position["column"]))
    try:
        found = _twice(text, offset)
    except (IndexError, ValueError, RecursionError, tomllib.TOMLDecodeError):
        found = None  # the scan is a help: when it fails, tomllib's words remain
    if found is None:
        return message
    name, first, second = found
    if first == second:
        return f"{name} is given twice on line {first}"
    return f"{name} is given twice, on line {first} and on line {second}"


def _offset_of(text: str, line: int, column: int) -> int:
    """The offset of a line and column as ``tomllib`` counts them (lines end at ``\n``)."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _twice(text: str, offset: int) -> tuple[str, int, int] | None:
    """The key given again in the statement that ends before ``offset`` (where
    ``tomllib`` stopped), and the lines of its first and its second definition."""
    scanner = _Scanner(text)
    scanner.scan(until=offset)
    defined = [one for one in scanner.defined if one.offset < offset]
    if not defined:
        return None
    again = defined[-1]
    earlier = defined[:-1]
    # The same path; a value that the second one goes inside (``a = 1`` then
    # ``a.b = 2``); a table the second one would replace (``[a.b]`` then ``b = 1`` in ``[a]``).
    for same, named in (
        ([one for one in earlier if one.path == again.path], again),
        ([one for one in earlier if one.value and _within(again.path, one.path)], None),
        ([one for one in earlier if _within(one.path, again.path)], again),
    ):
        if same:
            first = same[0]
            key = named or first
            return _name(key.path), _line_of(text, first.offset), _line_of(text, again.offset)
    return None


def _within(path: Path, outer: Path) -> bool:
    """Whether ``path`` lies inside ``outer`` (and is not ``outer`` itself)."""
    return len(path) > len(outer) and path[: len(outer)] == outer


def _name(path: Path) -> str:
    """``strike[1].day``, ``facility."a b".population``: a path as messages write keys."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            text += f".{shown}" if text else shown
    return text


@dataclass(frozen=True)
class _Defined:
    """A header, key or inline-table key: its full path, where its key starts, and
    whether it sets a value (rather than opening a table)."""

    path: Path
    offset: int
    value: bool


@dataclass
class _Scanner:
    """Walks TOML text statement by statement, noting every definition.

    The text before the error ``tomllib`` found is valid TOML, so the scanner only
    needs to find where keys, strings, arrays and inline tables begin and end.
    """

    text: str
    pos: int = 0
    table: Path = ()
    defined: list[_Defined] = field(default_factory=list)
    arrays: dict[Path, int] = field(default_factory=dict)

    def scan(self, until: int) -> None:
        """Note the definitions of the statements that start before ``until``. A
        statement that cannot be read ends the scan (after noting its key)."""
        try:
            while self._statement(until):
                pass
        except (IndexError, ValueError):
            return

    def _statement(self, until: int) -> bool:
        self._blank(newlines=True)
        if self.pos >= len(self.text) or self.pos > until:
            return False
        start = self.pos
        if self.text.startswith("[[", start):
            self.pos += 2
            parts = self._key()
            parent = (*self._resolve(parts[:-1]), parts[-1])
            self.arrays[parent] = self.arrays.get(parent, -1) + 1
            self.table = (*parent, self.arrays[parent])
            self.defined.append(_Defined(self.table, start, value=False))
            self._expect("]]")
        elif self.text.startswith("[", start):
            self.pos += 1
            parts = self._key()
            # The table itself, not an entry of it, even when it is an array's name.
            self.table = (*self._resolve(parts[:-1]), parts[-1])
            self.defined.append(_Defined(self.table, start, value=False))
            self._expect("]")
        else:
            path = (*self.table, *self._key())
            self.defined.append(_Defined(path, start, value=True))
            self._expect("=")
            self._value(path)
        return True

    def _resolve(self, parts: list[str]) -> Path:
        """A header's key as a full path: into the last entry of each array of tables."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self.arrays:
                path = (*path, self.arrays[path])
        return path

    def _blank(self, newlines: bool = False) -> None:
        """Skip spaces and tabs, comments, and (``newlines``) line breaks."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def _expect(self, token: str) -> None:
        self._blank()
        if not self.text.startswith(token, self.pos):
            raise ValueError(f"expected {token!r} at {self.pos}")
        self.pos += len(token)
        self._blank()

    def _key(self) -> list[str]:
        """A dotted key's parts, unquoted."""
        parts = []
        while True:
            self._blank()
            start = self.pos
            if self.text[start] in "\"'":
                self._string()
                parts.append(tomllib.loads(f"k = {self.text[start : self.pos]}")["k"])
            else:
                bare = _BARE.match(self.text, start)
                if bare is None:
                    raise ValueError(f"no key at {start}")
                self.pos = bare.end()
                parts.append(bare.group())
            self._blank()
            if not self.text.startswith(".", self.pos):
                return parts
            self.pos += 1

    def _string(self) -> None:
        """Skip a string of any of TOML's four kinds."""
        quote = self.text[self.pos]
        if self.text.startswith(quote * 3, self.pos):
            end = self._closing(quote * 3, self.pos + 3)
            # Up to two more quotes before the closing three belong to the string.
            extra = 0
            while extra < 2 and self.text.startswith(quote, end + 3 + extra):
                extra += 1
            self.pos = end + 3 + extra
        else:
            self.pos = self._closing(quote, self.pos + 1) + 1

    def _closing(self, delimiter: str, pos: int) -> int:
        """Where ``delimiter`` closes a string opened before ``pos`` (basic strings
        escape with a backslash, literal strings do not)."""
        while not self.text.startswith(delimiter, pos):
            if delimiter[0] == '"' and self.text[pos] == "\\":
                pos += 1
            pos += 1
            if pos >= len(self.text):
                raise ValueError("unterminated string")
        return pos

    def _value(self, path: Path) -> None:
        """Skip a value, noting the keys of its inline tables."""
        char = self.text[self.pos]
        if char in "\"'":
            self._string()
        elif char == "[":
            self.pos += 1
            index = 0
            while True:
                self._blank(newlines=True)
                if self.text[self.pos] == "]":
                    self.pos += 1
                    return
                self._value((*path, index))
                index += 1
                self._blank(newlines=True)
                if self.text[self.pos] == ",":
                    self.pos += 1
        elif char == "{":
            self.pos += 1
            while True:
                self._blank()
                if self.text[self.pos] == "}":
                    self.pos += 1
                    return
                start = self.pos
                inner = (*path, *self._key())
                self.defined.append(_Defined(inner, start, value=True))
                self._expect("=")
                self._value(inner)
                self._blank()
                if self.text[self.pos] == ",":
                    self.pos += 1
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}#\r\n":
                self.pos += 1
