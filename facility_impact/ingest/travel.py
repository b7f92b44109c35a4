"""Travel between facilities: great-circle distance times a road-winding factor, or a
travel-time matrix the user gives (minutes between facility ids)."""

from __future__ import annotations

from collections.abc import Sequence

from facility_impact.config.places import haversine_km
from facility_impact.errors import ConfigError
from facility_impact.ingest.tables import bad_cell, key_number, read_table

WINDING_FACTOR = 1.4
"""Road distance over great-circle distance [1]. ASSUMPTION with a source: Boscoe,
Henry and Zdeb 2012 (Prof Geogr 64(2), "A nationwide comparison of driving distance
versus straight-line distance to hospitals") compare the two for US hospitals; the
ratio of about 1.4 is recalled from that paper, not checked against its text. It
matches configs/idlib_region.toml, where 110 km in a straight line are 150 km by
road (1.36). Roads around front lines wind more: give a travel-time matrix then."""


def road_km(points: Sequence[tuple[float, float]]) -> list[list[float]]:
    """Road distances [km] between ``(latitude, longitude)`` points: haversine times
    :data:`WINDING_FACTOR`, rounded to 0.1 km (finer is beyond the factor's precision)."""
    return [
        [round(WINDING_FACTOR * haversine_km(*a, *b), 1) if a != b else 0.0 for b in points]
        for a in points
    ]


def read_travel_minutes(path: str, ids: Sequence[str]) -> list[list[float]]:
    """A travel-time matrix [min] from a CSV: header ``id,<id>,<id>,…``, one row per id.

    Rows and columns may come in any order; they are returned in the order of
    ``ids``, which they must cover exactly. Empty cells are refused (write a
    large number for "out of reach"); the diagonal must be 0.
    """
    table = read_table(path)
    if not table.columns:
        raise ConfigError(f"{path}: empty travel-time table")
    key = table.columns[0]
    destinations = table.columns[1:]
    for column in destinations:
        if column not in ids:
            raise ConfigError(f"{path}: column {column} is not a facility id of the table")
    by_origin = {}
    for row in table:
        origin = row.get(key)
        if origin not in ids:
            raise bad_cell(path, row.number, key, origin, "not a facility id of the table")
        if origin in by_origin:
            raise bad_cell(path, row.number, key, origin, "duplicate id: each id has one row")
        minutes = {}
        for column in destinations:
            value = key_number(table, row, column, "network.travel_minutes")
            if value is None:
                raise bad_cell(path, row.number, column, "", "empty; give the minutes")
            if column == origin and value != 0:
                raise bad_cell(path, row.number, column, row.get(column), "must be 0 (itself)")
            minutes[column] = value
        by_origin[origin] = (row.number, minutes)
    for identifier in ids:
        if identifier not in by_origin:
            raise ConfigError(f"{path}: no row for facility id {identifier}")
        if identifier not in destinations:
            raise ConfigError(f"{path}: no column for facility id {identifier}")
    return [[by_origin[a][1][b] for b in ids] for a in ids]
