"""Attack records: one row per attack, matched to a facility and written as a strike
as recorded.

The record's ``attack_type`` (a WHO SSA type, or one of the spellings the priors
list as its aliases) and ``facility_damage`` become the strike's own keys; its
damage, closure, restoration and the people's response then come from the priors
of attacks as recorded (``data/attack_priors.toml``) when the configuration is
loaded. Staff lost by fate and casualties come from the record's own counts.
Several attacks on one facility are repeated strikes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from facility_impact.config.default_values import ATTACK_TYPES, FACILITY_DAMAGE
from facility_impact.config.places import haversine_km
from facility_impact.config.priors import load_priors
from facility_impact.errors import ConfigError
from facility_impact.ingest.defaults import Defaults, Noted
from facility_impact.ingest.facilities import FacilityRecord
from facility_impact.ingest.tables import Row, Table, bad_cell, date, key_number, number

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

_COUNTS = {
    "staff_killed": "strike[].staff_killed",
    "staff_injured": "strike[].staff_injured",
    "staff_abducted": "strike[].staff_abducted",
    "patients_killed": "strike[].casualties",
    "patients_injured": "strike[].casualties",
}
"""The count columns and the key whose range bounds each (injured become casualties)."""

DAMAGE_SPELLINGS = {
    "none": ("no damage", "not damaged", "undamaged", "intact"),
    "damaged": ("damage", "partially damaged", "partly damaged", "partially destroyed"),
    "destroyed": ("totally destroyed", "completely destroyed", "fully destroyed"),
}
"""Other spellings of a ``facility_damage`` cell (case, spaces, ``_``, ``-`` and ``/``
aside). ASSUMPTION: a facility partially destroyed is damaged, not destroyed."""


@dataclass(frozen=True)
class StrikeRecord:
    """One attack as a strike of the configuration, each value noted."""

    row: int
    facility: Noted
    date: Noted
    label: str
    source: str
    attack_type: Noted
    facility_damage: Noted
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
    attack_type = _spelled(table, row, "attack_type", _attack_spellings())
    damage_class = _spelled(table, row, "facility_damage", _damage_spellings())
    facility, matched = _match(table, row, facilities)
    counts = {
        column: key_number(table, row, column, key, integer=True) or 0
        for column, key in _COUNTS.items()
    }
    staff = facility.resources.get("staff")
    injured = counts["patients_injured"] + counts["staff_injured"]
    if "emergency" in facility.volumes:
        casualties = Noted(
            injured,
            f"{_cell(row, 'patients_injured')} + staff_injured = {injured}: "
            f"{defaults.casualties_basis}",
        )
    else:
        casualties = Noted(
            0, f"{injured} injured not counted: the facility has no emergency service"
        )
    damage_note = _cell(row, "facility_damage")
    if not row.get("facility_damage"):
        damage_note += " (empty: no damage recorded, ASSUMPTION)"
    damage_class = damage_class or "none"
    return StrikeRecord(
        row=row.number,
        facility=Noted(facility.name, matched),
        date=Noted(when, _cell(row, "date")),
        label=f"{when.isoformat()}: {attack_type.replace('_', ' ')}, {damage_class}",
        source=row.get("source"),
        attack_type=Noted(attack_type, _cell(row, "attack_type")),
        facility_damage=Noted(damage_class, damage_note),
        casualties=casualties,
        staff_lost=_staff_lost(row, counts, 0.0 if staff is None else staff.value),
    )


def _words(text: str) -> str:
    """A cell or a name compared without case, ``_``, ``-``, ``/`` or spacing."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _attack_spellings() -> dict[str, str]:
    """Every accepted spelling of an attack type (its name and the priors' aliases)."""
    priors = load_priors()
    found = {}
    for name in ATTACK_TYPES:
        for spelling in (name, *priors.types[name].aliases):
            found[_words(spelling)] = name
    return found


def _damage_spellings() -> dict[str, str]:
    found = {_words(level): level for level in FACILITY_DAMAGE}
    for level, spellings in DAMAGE_SPELLINGS.items():
        found.update({_words(spelling): level for spelling in spellings})
    return found


def _spelled(table: Table, row: Row, column: str, spellings: dict[str, str]) -> str:
    """The cell as the name it spells ("" when empty; ``attack_type`` must be given)."""
    text = row.get(column)
    if not text:
        if column == "attack_type":
            raise bad_cell(table.path, row.number, column, "", "empty; give the attack type")
        return ""
    if _words(text) not in spellings:
        allowed = ATTACK_TYPES if column == "attack_type" else FACILITY_DAMAGE
        raise bad_cell(
            table.path,
            row.number,
            column,
            text,
            f"unknown; allowed: {', '.join(allowed)} (or a spelling of docs/data_import.md)",
        )
    return spellings[_words(text)]


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
