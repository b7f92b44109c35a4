"""The facility table: one row per facility, empty cells filled from its type's defaults.

A facility's name in the configuration and in the results is its ``id``, made a
valid name by :func:`facility_name`; the ``id`` as written is kept beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from facility_impact.errors import ConfigError
from facility_impact.ingest.defaults import (
    FUNCTIONALITY,
    RESOURCE_COLUMNS,
    SERVICE_COLUMNS,
    Defaults,
    Noted,
)
from facility_impact.ingest.tables import (
    Row,
    Table,
    bad_cell,
    choice,
    key_number,
    number,
    require_columns,
)

FACILITY_COLUMNS = (
    "id",
    "name",
    "type",
    "latitude",
    "longitude",
    "population",
    *RESOURCE_COLUMNS,
    *SERVICE_COLUMNS.values(),
    "demand_ratio",
    "functionality",
)
"""The columns a facility table may have; others are listed in the configuration's
header as not used."""

REQUIRED_COLUMNS = ("id", "type", "latitude", "longitude")
"""Columns every facility table must have, each cell filled."""

_FACILITY = "facility.<name>"
_SERVICE = f"{_FACILITY}.services.<service>"
"""Key patterns of the configuration whose ranges bound the table's numbers."""


@dataclass(frozen=True)
class FacilityRecord:
    """One facility of the table, each value noted with its cell or its default."""

    name: str
    identifier: Noted
    kind: Noted
    label: Noted
    latitude: Noted
    longitude: Noted
    population: Noted
    functionality: Noted
    demand_ratio: Noted
    resources: dict[str, Noted]
    volumes: dict[str, Noted]

    @property
    def place(self) -> tuple[float, float]:
        """(latitude, longitude) [degrees]."""
        return (self.latitude.value, self.longitude.value)


def facility_name(identifier: str) -> str:
    """A valid facility name for an id: letters, digits and ``_``.

    Every run of other characters becomes one ``_`` (``SYR-IDL 001`` →
    ``SYR_IDL_001``); a name that would start with a digit or be empty gets
    ``f_`` in front, since key paths such as ``strike.0`` read digits as list
    indexes.
    """
    name = re.sub(r"[^A-Za-z0-9_]+", "_", identifier).strip("_")
    return name if name and not name[0].isdigit() else f"f_{name}"


def read_facilities(table: Table, defaults: Defaults) -> list[FacilityRecord]:
    """Every row of the facility table as a :class:`FacilityRecord`; raise on a bad cell."""
    if not table.rows:
        raise ConfigError(f"{table.path}: no facility rows")
    require_columns(table, REQUIRED_COLUMNS)
    records: list[FacilityRecord] = []
    # By name: ids that differ only in punctuation would be one facility.
    seen: dict[str, int] = {}
    for row in table:
        record = _read_row(table, row, defaults)
        if record.name in seen:
            raise bad_cell(
                table.path,
                row.number,
                "id",
                record.identifier.value,
                f"duplicate id: row {seen[record.name]} has it too (as name {record.name})",
            )
        seen[record.name] = row.number
        records.append(record)
    return records


def _cell(row: Row, column: str) -> str:
    return f"facilities row {row.number}, column {column}"


def _read_row(table: Table, row: Row, defaults: Defaults) -> FacilityRecord:
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            raise bad_cell(table.path, row.number, column, "", "empty; every facility needs it")
    identifier = row.get("id")
    kind = choice(table, row, "type", tuple(defaults.types), "")
    functionality = choice(table, row, "functionality", FUNCTIONALITY, "fully")
    latitude = number(table, row, "latitude", minimum=-90, maximum=90)
    longitude = number(table, row, "longitude", minimum=-180, maximum=180)

    def value(column: str, pattern: str) -> Noted:
        given = key_number(table, row, column, pattern)
        if given is not None:
            return Noted(given, _cell(row, column))
        return defaults.type_value(kind, column)

    resources = {
        column: value(column, f"{_FACILITY}.resources.<resource>") for column in RESOURCE_COLUMNS
    }
    volumes = {}
    for service, column in SERVICE_COLUMNS.items():
        volume = value(column, f"{_SERVICE}.volume_per_month")
        if functionality == "partially" and volume.note.startswith("DEFAULT"):
            factor = defaults.functionality["partially"]["volume_factor"]
            volume = Noted(
                round(volume.value * factor, 1),
                f"{volume.note}; x {factor:g}, partially functioning "
                f"({defaults.functionality['partially']['basis']})",
            )
        if volume.value > 0:
            volumes[service] = volume
    if not volumes:
        raise bad_cell(
            table.path,
            row.number,
            "outpatient_per_month",
            row.get("outpatient_per_month"),
            "the facility offers no service: give a volume > 0 for at least one",
        )
    name_given = row.get("name")
    ratio = key_number(table, row, "demand_ratio", f"{_SERVICE}.demand_ratio")
    demand_ratio = (
        Noted(ratio, _cell(row, "demand_ratio"))
        if ratio is not None
        else Noted(defaults.demand_ratio["value"], f"DEFAULT: {defaults.demand_ratio['basis']}")
    )
    return FacilityRecord(
        name=facility_name(identifier),
        identifier=Noted(identifier, _cell(row, "id")),
        kind=Noted(kind, _cell(row, "type")),
        label=Noted(name_given, _cell(row, "name"))
        if name_given
        else Noted(identifier, f"{_cell(row, 'id')} (no name given)"),
        latitude=Noted(latitude, _cell(row, "latitude")),
        longitude=Noted(longitude, _cell(row, "longitude")),
        population=value("population", f"{_FACILITY}.population"),
        functionality=Noted(
            functionality,
            _cell(row, "functionality") if row.get("functionality") else "DEFAULT: fully",
        ),
        demand_ratio=demand_ratio,
        resources=resources,
        volumes=volumes,
    )
