"""Reading the user's tables: CSV, or GeoJSON points whose properties are the columns.

Both formats give the same :class:`Table`: rows numbered from 1 (the CSV header
is not counted; the first GeoJSON feature is row 1), each cell a string as
written. GeoJSON points give ``latitude`` and ``longitude`` from their
geometry, so a facility table reads the same either way. Every bad cell is a
:class:`~facility_impact.errors.ConfigError` of one line naming the file, the
row, the column and the value (:func:`bad_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facility_impact.config.keys import KEYS
from facility_impact.errors import ConfigError, echo, read_input_text, show_number


@dataclass(frozen=True)
class Row:
    """One record of a table: its number (from 1) and its cells by column name."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """The cell's text, stripped; "" when the cell is empty or the column absent."""
        return self.cells.get(column, "").strip()


@dataclass(frozen=True)
class Table:
    """A table read from ``path``: its columns in file order and its rows."""

    path: Path
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)


def bad_cell(path: Path | str, row: int, column: str, value: Any, why: str) -> ConfigError:
    """The one-line error for a bad cell: file, row, column, value and what is wrong."""
    return ConfigError(f"{path}: row {row}, column {column} = {echo(value)}: {why}")


def read_table(path: str | Path) -> Table:
    """A CSV file, or a GeoJSON FeatureCollection of points (suffix ``.geojson``/``.json``)."""
    path = Path(path)
    # utf-8-sig: spreadsheet programs often start a CSV with a byte-order mark.
    text = read_input_text(path, "table", encoding="utf-8-sig")
    if path.suffix.lower() in (".geojson", ".json"):
        return _geojson_table(path, text)
    return _csv_table(path, text)


def _csv_table(path: Path, text: str) -> Table:
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header or not any(name.strip() for name in header):
        raise ConfigError(f"{path}: no header row; the first line must name the columns")
    columns = tuple(name.strip() for name in header)
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise ConfigError(f"{path}: column {repeated[0]} appears twice in the header")
    rows = []
    for number, cells in enumerate((r for r in reader if any(c.strip() for c in r)), start=1):
        if len(cells) > len(columns):
            raise bad_cell(
                path,
                number,
                f"#{len(columns) + 1}",
                cells[len(columns)],
                "a cell beyond the header",
            )
        rows.append(Row(number, dict(zip(columns, cells, strict=False))))
    return Table(path, columns, tuple(rows))


def _geojson_table(path: Path, text: str) -> Table:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ConfigError(f"{path}: not a GeoJSON FeatureCollection")
    columns: list[str] = []
    rows = []
    for number, feature in enumerate(document.get("features") or [], start=1):
        properties = dict(feature.get("properties") or {})
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "Point":
            raise bad_cell(path, number, "geometry", geometry.get("type"), "must be a Point")
        coordinates = geometry.get("coordinates") or []
        if len(coordinates) < 2:
            raise bad_cell(path, number, "geometry", coordinates, "needs [longitude, latitude]")
        # GeoJSON (RFC 7946) orders a position longitude first.
        properties["longitude"], properties["latitude"] = coordinates[0], coordinates[1]
        cells = {str(k): _cell_text(v) for k, v in properties.items()}
        columns.extend(name for name in cells if name not in columns)
        rows.append(Row(number, cells))
    return Table(path, tuple(columns), tuple(rows))


def _cell_text(value: Any) -> str:
    """A GeoJSON property as the text a CSV cell would hold: null is empty, 30.0 is "30.0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return repr(value)
    return str(value)


def require_columns(table: Table, columns: tuple[str, ...]) -> None:
    """Every column in ``columns`` is in the table's header (or its GeoJSON properties)."""
    missing = [name for name in columns if name not in table.columns]
    if missing and table.rows:
        raise ConfigError(
            f"{table.path}: column {missing[0]} missing; the table needs {', '.join(columns)}"
        )


def number(
    table: Table,
    row: Row,
    column: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> float | None:
    """The cell as a number within ``[minimum, maximum]``; ``None`` for an empty cell."""
    text = row.get(column)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    # A number too large for a float ("1e999", 400 digits) is out of range, not "inf".
    if math.isinf(value) and text.lstrip("+-").lower() not in ("inf", "infinity"):
        value = math.copysign(sys.float_info.max, value)
    if not math.isfinite(value):
        kind = "a whole number" if integer else "a number"
        raise bad_cell(table.path, row.number, column, text, f"not {kind}")
    if integer and not value.is_integer():
        raise bad_cell(table.path, row.number, column, text, "must be a whole number")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        limits = " and ".join(
            part
            for part in (
                f">= {show_number(minimum)}" if minimum is not None else "",
                f"<= {show_number(maximum)}" if maximum is not None else "",
            )
            if part
        )
        raise bad_cell(table.path, row.number, column, text, f"out of range: must be {limits}")
    return int(value) if integer else value


def key_number(
    table: Table, row: Row, column: str, pattern: str, *, integer: bool = False
) -> float | None:
    """The cell as a value of the configuration key ``pattern``, within that key's range
    (its minimum and its upper bound, facility_impact/config/keys.py); ``None`` if empty."""
    key = KEYS[pattern]
    return number(table, row, column, minimum=key.minimum, maximum=key.maximum, integer=integer)


def date(table: Table, row: Row, column: str) -> dt.date | None:
    """The cell as an ISO date (YYYY-MM-DD; a time after it is ignored); ``None`` if empty."""
    text = row.get(column)
    if not text:
        return None
    try:
        # SSA and Insecurity Insight exports may add a time: the day is what counts.
        if len(text) > 10 and text[10] not in "T ":
            raise ValueError(text)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise bad_cell(table.path, row.number, column, text, "not a date YYYY-MM-DD") from None


def choice(table: Table, row: Row, column: str, allowed: tuple[str, ...], default: str) -> str:
    """The cell as one of ``allowed`` (case and spaces ignored); ``default`` if empty."""
    text = row.get(column)
    if not text:
        return default
    value = text.lower().replace(" ", "_").replace("-", "_")
    if value not in allowed:
        raise bad_cell(
            table.path, row.number, column, text, f"unknown; allowed: {', '.join(allowed)}"
        )
    return value
