"""Attack records: one row per attack, matched to a facility and mapped to a strike.

The mapping of ``attack_type`` × ``facility_damage`` to damage and closure is
PROVISIONAL (``data/facility_types.toml``, ``[attack]``) until attacks as recorded
are modelled; staff lost by fate and casualties come from the record's own counts.
Several attacks on one facility are repeated strikes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from facility_impact.config.places import haversine_km
from facility_impact.errors import ConfigError
from facility_impact.ingest.defaults import FACILITY_DAMAGE, Defaults, Noted
from facility_impact.ingest.facilities import FacilityRecord
from facility_impact.ingest.tables import Row, Table, bad_cell, choice, date, number

ATTACK_COLUMNS = (
    "date",
    "facility_id",
    "latitude",
    "longitude",
    "attack_type",
    "facility_damage",
    "staff_killed",
    "staff_injured",
    "staff_abducted",
    "patients_killed",
    "patients_injured",
    "source",
)
"""The columns an attack table may have."""

MATCH_TOLERANCE_KM = 1.0
"""An attack given by coordinates is on the nearest facility within this great-circle
distance [km]; farther than that from every facility, it is an error. ASSUMPTION:
recorded positions are those of the facility, to a few hundred metres."""

_COUNTS = ("staff_killed", "staff_injured", "staff_abducted", "patients_killed", "patients_injured")


@dataclass(frozen=True)
class StrikeRecord:
    """One attack as a strike of the configuration, each value noted."""

    row: int
    facility: Noted
    date: Noted
    label: str
    source: str
    closure_days: Noted
    damage: dict[str, Noted]
    casualties: Noted
    staff_lost: dict[str, Noted]
    """``staff_killed``, ``staff_injured``, ``staff_abducted`` [persons], those given."""


def _cell(row: Row, column: str) -> str:
    return f"attacks row {row.number}, column {column}"


def read_attacks(
    table: Table, facilities: list[FacilityRecord], defaults: Defaults
) -> list[StrikeRecord]:
    """Every row of the attack table as a strike on a facility; raise on a bad cell."""
    for column in ("date", "attack_type"):
        if column not in table.columns and table.rows:
            raise ConfigError(f"{table.path}: column {column} missing")
    return [_read_row(table, row, facilities, defaults) for row in table]


def _match(table: Table, row: Row, facilities: list[FacilityRecord]) -> tuple[FacilityRecord, str]:
    """The facility attacked: by ``facility_id``, else the nearest within the tolerance."""
    identifier = row.get("facility_id")
    if identifier:
        for facility in facilities:
            if facility.identifier.value == identifier:
                return facility, _cell(row, "facility_id")
        known = ", ".join(f.identifier.value for f in facilities[:5])
        more = ", …" if len(facilities) > 5 else ""
        raise bad_cell(
            table.path, row.number, "facility_id", identifier, f"unknown; known: {known}{more}"
        )
    latitude = number(table, row, "latitude", minimum=-90, maximum=90)
    longitude = number(table, row, "longitude", minimum=-180, maximum=180)
    if latitude is None or longitude is None:
        column = "latitude" if latitude is None else "longitude"
        raise bad_cell(
            table.path, row.number, column, "", "empty; give facility_id or latitude and longitude"
        )
    distance, nearest = min(
        (haversine_km(latitude, longitude, *f.place), index) for index, f in enumerate(facilities)
    )
    facility = facilities[nearest]
    if distance > MATCH_TOLERANCE_KM:
        raise bad_cell(
            table.path,
            row.number,
            "latitude",
            row.get("latitude"),
            f"no facility within {MATCH_TOLERANCE_KM:g} km of ({latitude:g}, {longitude:g}); "
            f"nearest: {facility.identifier.value} at {distance:.1f} km",
        )
    where = f"attacks row {row.number}, columns latitude and longitude: nearest facility, "
    return facility, where + f"{distance * 1000:.0f} m away"


def _read_row(
    table: Table, row: Row, facilities: list[FacilityRecord], defaults: Defaults
) -> StrikeRecord:
    when = date(table, row, "date")
    if when is None:
        raise bad_cell(table.path, row.number, "date", "", "empty; every attack needs its date")
    attack_type = choice(table, row, "attack_type", defaults.attack_types, "")
    if not attack_type:
        raise bad_cell(table.path, row.number, "attack_type", "", "empty; give the attack type")
    damage_class = choice(table, row, "facility_damage", FACILITY_DAMAGE, "none")
    facility, matched = _match(table, row, facilities)
    counts = {
        column: number(table, row, column, minimum=0, integer=True) or 0 for column in _COUNTS
    }
    mapping = defaults.attack
    damage_basis = mapping["damage"][damage_class]["basis"]
    damage_note = "damage" if row.get("facility_damage") else "damage (empty: none)"
    damage = {
        resource: Noted(
            mapping["damage"][damage_class][resource],
            f"PROVISIONAL: {_cell(row, 'facility_damage')} = {damage_class}: {damage_basis}",
        )
        for resource in ("building", "beds", "theatres")
        if resource == "building" or facility.resources[resource].value > 0
    }
    staff = facility.resources.get("staff")
    injured = counts["patients_injured"] + counts["staff_injured"]
    if "emergency" in facility.volumes:
        casualties = Noted(
            injured,
            f"{_cell(row, 'patients_injured')} + staff_injured = {injured}: "
            f"{mapping['casualties_basis']}",
        )
    else:
        casualties = Noted(
            0, f"{injured} injured not counted: the facility has no emergency service"
        )
    closure = mapping["type"][attack_type][damage_class]
    return StrikeRecord(
        row=row.number,
        facility=Noted(facility.name, matched),
        date=Noted(when, _cell(row, "date")),
        label=f"{when.isoformat()}: {attack_type.replace('_', ' ')}, {damage_class}",
        source=row.get("source"),
        closure_days=Noted(
            closure,
            f"PROVISIONAL: {_cell(row, 'attack_type')} = {attack_type}, {damage_note} = "
            f"{damage_class} (data/facility_types.toml [attack.type])",
        ),
        damage=damage,
        casualties=casualties,
        staff_lost=_staff_lost(row, counts, 0.0 if staff is None else staff.value),
    )


def _staff_lost(row: Row, counts: dict[str, float], staff: float) -> dict[str, Noted]:
    """The record's staff killed, abducted and injured, as the strike's staff fates;
    together at most the facility's ``staff`` (killed first, then abducted, then injured)."""
    lost = {}
    left = staff
    for fate in ("staff_killed", "staff_abducted", "staff_injured"):
        count = min(counts[fate], left)
        left -= count
        if count:
            note = _cell(row, fate)
            if count < counts[fate]:
                note += f" ({counts[fate]}), cut to the {staff:g} staff of the facility"
            lost[fate] = Noted(count, note)
    return lost


def first_date(strikes: list[StrikeRecord]) -> dt.date | None:
    """The earliest attack date, or ``None`` without attacks."""
    return min((s.date.value for s in strikes), default=None)
