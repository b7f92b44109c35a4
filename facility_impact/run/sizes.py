"""Amounts of memory and disk as people write them: ``4GB``, ``512 MiB``, ``2.5e9``."""

from __future__ import annotations

import math
import re

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
    "t": 10**12,
    "tb": 10**12,
    "tib": 2**40,
}

_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*")


def parse_bytes(text: str) -> int:
    """``text`` as a number of bytes: a number with an optional unit (B, kB, MB, GB,
    TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; case ignored).
    Anything else, or less than one byte, is a ValueError."""
    match = _SIZE.fullmatch(text)
    if match is None or match[2].lower() not in _UNITS:
        raise ValueError(f"{text!r}: must be an amount of memory such as 4GB, 512MiB or 2e9")
    value = float(match[1]) * _UNITS[match[2].lower()]
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"{text!r}: must be at least 1 byte")
    return int(value)


def show_bytes(count: float) -> str:
    """A number of bytes for a message, three significant digits: ``"1.25 GB"``."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count:.0f} B"
