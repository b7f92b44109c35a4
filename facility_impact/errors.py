"""The one exception type that bad input raises, reading an input file with it, and
how its messages show what the user gave: numbers in short form (:func:`show_number`),
values cut short (:func:`echo`), always on one line (:func:`one_line`)."""

import itertools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SHORT_DIGITS = 6
"""Significant digits of a number shown in short scientific form."""


class ConfigError(ValueError):
    """A configuration (or an input file) that the model cannot run.

    The message is one line naming the offending key path, the value found and
    what is allowed, e.g. ``strike[0].damage.beds = 1.5: must be a fraction
    between 0 and 1``. The command line prints it and exits with status 2. A
    line break or other control character in it (a key or a value that holds
    one) is shown escaped, so the message stays one line whatever it quotes.
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(str(message)))


def one_line(text: str) -> str:
    """``text`` with every control character (line breaks, tabs, escapes) written as a
    Python escape: ``"a\\nb"``, so that it prints as one line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def show_number(value: float) -> str:
    """A number as a message shows it: as written while that is short, else in short
    scientific form.

    Numbers from 0.0001 to below a million are written in full (``0.45``, ``-3``,
    ``1500.0``); larger and smaller ones in scientific form when that loses no
    digit (``1e+09``, ``4e+07``), else in full up to 15 digits (``1234567``), and
    beyond that with 6 significant digits (``1e+300`` for ``day = 1e300``, never
    its 301 digits). ``nan``, ``inf`` and ``-inf`` as TOML writes them.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value == 0 or 1e-4 <= abs(value) < 1e6:
        return str(value) if isinstance(value, int) else repr(value)
    short = _scientific(value)
    exact = None
    if isinstance(value, int) and abs(value) < 10**15:
        exact = str(value)
    elif isinstance(value, float) and "e" not in repr(value):
        exact = repr(value)
    if exact is None or float(short) == value:
        return short
    return exact


def _scientific(value: float) -> str:
    """``value`` with :data:`SHORT_DIGITS` significant digits, ``1e+300``; also an
    integer too large for a float (``10**400``: ``1e+400``), without writing its digits."""
    try:
        return f"{float(value):.{SHORT_DIGITS}g}"
    except OverflowError:
        pass
    number = abs(int(value))
    exponent = int(number.bit_length() * math.log10(2))
    while 10 ** (exponent + 1) <= number:
        exponent += 1
    while 10**exponent > number:
        exponent -= 1
    # The leading digits, one more than shown, rounded half up to the digits shown.
    leading = (number // 10 ** (exponent - SHORT_DIGITS) + 5) // 10
    if leading == 10**SHORT_DIGITS:
        leading, exponent = leading // 10, exponent + 1
    mantissa = f"{leading / 10 ** (SHORT_DIGITS - 1):.{SHORT_DIGITS}g}"
    return f"{'-' if value < 0 else ''}{mantissa}e+{exponent}"


ECHO_ITEMS = 8
"""Entries of a list or table that a message shows; the rest are counted."""
ECHO_CHARACTERS = 60
"""Characters of a string that a message shows."""


def echo(value: Any, depth: int = 0) -> str:
    """A raw configuration value as a message shows it: as TOML writes it, numbers in
    short form (:func:`~facility_impact.errors.show_number`: ``1e+300``, not 301
    digits), long strings, lists and tables cut short."""
    if isinstance(value, str):
        cut = value if len(value) <= ECHO_CHARACTERS else value[: ECHO_CHARACTERS - 1] + "…"
        return json.dumps(cut, ensure_ascii=False)
    if isinstance(value, bool | int | float):
        return show_number(value)
    if isinstance(value, Mapping | list) and depth > 2:
        return "{…}" if isinstance(value, Mapping) else "[…]"
    if isinstance(value, Mapping):
        pairs = itertools.islice(value.items(), ECHO_ITEMS)
        shown = [f"{echo_key(k)} = {echo(v, depth + 1)}" for k, v in pairs]
        return "{" + _and_more(shown, len(value)) + "}"
    if isinstance(value, list):
        shown = [echo(v, depth + 1) for v in value[:ECHO_ITEMS]]
        return "[" + _and_more(shown, len(value)) + "]"
    return str(value)


def _and_more(shown: list[str], count: int) -> str:
    return ", ".join(shown if count <= len(shown) else [*shown, f"… {count} in all"])


def echo_key(key: Any) -> str:
    """A table's key as a message shows it: bare when it may be written so in TOML,
    else quoted."""
    text = str(key)
    if text and all(char.isascii() and (char.isalnum() or char in "_-") for char in text):
        return text
    return echo(text)


def read_input_text(path: Path, what: str, encoding: str = "utf-8") -> str:
    """The text of an input file the user named; a missing file, a folder or a file
    that is not text is a one-line :class:`ConfigError` naming ``what`` it should be
    (e.g. ``"configuration file"``, ``"table"``)."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a {what}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
