"""``facility-impact import``: a facility table (and attack records, and travel times)
in, one checked and commented configuration out, written atomically."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from facility_impact.config import parse_config
from facility_impact.config.keys import default_of
from facility_impact.errors import ConfigError
from facility_impact.ingest.attacks import (
    ATTACK_COLUMNS,
    StrikeRecord,
    first_date,
    read_attacks,
)
from facility_impact.ingest.defaults import Noted, load_defaults
from facility_impact.ingest.facilities import FACILITY_COLUMNS, read_facilities
from facility_impact.ingest.tables import bad_cell, read_table
from facility_impact.ingest.travel import WINDING_FACTOR, read_travel_minutes, road_km
from facility_impact.ingest.writing import (
    facility_lines,
    header_lines,
    network_lines,
    run_lines,
    strike_lines,
)
from facility_impact.run.io import atomic_path
from facility_impact.version import __version__

DEFAULT_HORIZON_DAYS: int = default_of("run.horizon_days")
"""The schema's default ``run.horizon_days`` [d]."""

HORIZON_AFTER_LAST_ATTACK_DAYS = 180
"""When the last attack falls late, the run lasts this long after it [d] (at least
the default horizon of 365 d): recovery needs to be seen, not cut off."""


def parse_start(text: str | None) -> dt.date | None:
    """``--start`` as a date; a bad one is a one-line error."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--start = {text!r}: not a date YYYY-MM-DD") from None


def import_text(
    facilities: str | Path,
    *,
    attacks: str | Path | None = None,
    start: dt.date | None = None,
    travel_minutes: str | Path | None = None,
) -> str:
    """The configuration imported from the tables, as commented TOML text.

    Raises :class:`ConfigError` (one line: file, row, column, value) on any bad cell.
    """
    defaults = load_defaults()
    facility_table = read_table(facilities)
    records = read_facilities(facility_table, defaults)
    attack_table = read_table(attacks) if attacks is not None else None
    strikes = read_attacks(attack_table, records, defaults) if attack_table else []
    start_noted = _start(start, strikes)
    for strike in strikes:
        if start is not None and strike.date.value < start:
            raise bad_cell(
                attacks or "",
                strike.row,
                "date",
                strike.date.value.isoformat(),
                f"before --start {start.isoformat()}",
            )
    horizon = _horizon(start_noted, strikes)
    if travel_minutes is not None:
        ids = [r.identifier.value for r in records]
        matrix = read_travel_minutes(str(travel_minutes), ids)
        network = network_lines(
            records,
            matrix,
            "travel_minutes",
            f"travel times [min] from {Path(travel_minutes).name}",
        )
        decay_key = "distance_decay_minutes"
    else:
        matrix = road_km([r.place for r in records])
        note = (
            f"great-circle distance x road-winding factor {WINDING_FACTOR:g} [km] "
            "(ASSUMPTION with its source: docs/data_import.md)"
        )
        network = network_lines(records, matrix, "distance_km", note)
        decay_key = "distance_decay_km"
    unused = [c for c in facility_table.columns if c not in FACILITY_COLUMNS]
    if attack_table is not None:
        unused += [f"attacks:{c}" for c in attack_table.columns if c not in ATTACK_COLUMNS]
    sources = [str(facilities)] + [str(p) for p in (attacks, travel_minutes) if p is not None]
    lines = header_lines(sources, unused, __version__)
    lines += run_lines(f"Imported network: {Path(facilities).stem}", start_noted, horizon)
    lines += network
    for record in records:
        lines += facility_lines(record, defaults, decay_key, horizon.value)
    for strike in strikes:
        lines += strike_lines(strike)
    return "\n".join(lines) + "\n"


def _start(start: dt.date | None, strikes: list[StrikeRecord]) -> Noted | None:
    if start is not None:
        return Noted(start, "--start")
    earliest = first_date(strikes)
    if earliest is None:
        return None
    return Noted(earliest, "DEFAULT: the earliest attack date (give --start to change it)")


def _horizon(start: Noted | None, strikes: list[StrikeRecord]) -> Noted:
    """``run.horizon_days``: the default, longer when the last attack falls late."""
    if start is None or not strikes:
        return Noted(DEFAULT_HORIZON_DAYS, "DEFAULT: one year")
    last = max((s.date.value - start.value).days for s in strikes)
    if last + HORIZON_AFTER_LAST_ATTACK_DAYS <= DEFAULT_HORIZON_DAYS:
        return Noted(DEFAULT_HORIZON_DAYS, "DEFAULT: one year")
    return Noted(
        last + HORIZON_AFTER_LAST_ATTACK_DAYS,
        f"DEFAULT: {HORIZON_AFTER_LAST_ATTACK_DAYS} days after the last attack",
    )


def import_tables(
    facilities: str | Path,
    out: str | Path,
    *,
    attacks: str | Path | None = None,
    start: dt.date | None = None,
    travel_minutes: str | Path | None = None,
) -> Path:
    """Import the tables and write the configuration to ``out``, atomically, only if it checks.

    Nothing is written when any table has a bad cell: the error is raised first.
    """
    out = Path(out)
    text = import_text(facilities, attacks=attacks, start=start, travel_minutes=travel_minutes)
    try:
        parse_config(tomllib.loads(text), name=out.stem, text=text, text_format="toml")
    except ConfigError as error:
        raise ConfigError(f"{out}: the imported configuration does not check: {error}") from None
    with atomic_path(out) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return out
