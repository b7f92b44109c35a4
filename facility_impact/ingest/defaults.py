"""The defaults of ``data/facility_types.toml``: per facility type and per service line,
and what a recorded attack's injured become; and the ``Noted`` value that carries
where each number of an imported configuration came from."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

SERVICE_COLUMNS = {
    "outpatient": "outpatient_per_month",
    "emergency": "emergency_per_month",
    "inpatient": "inpatient_per_month",
    "surgery": "surgery_per_month",
}
"""Each service line and the facility-table column of its monthly volume [patient month-1]."""

RESOURCE_COLUMNS = ("beds", "staff", "theatres")
"""Facility-table columns that are resource counts."""

FUNCTIONALITY = ("fully", "partially", "not_functioning")
"""HeRAMS functionality values of the ``functionality`` column."""


@dataclass(frozen=True)
class Noted:
    """A value of the imported configuration and where it came from (a table cell, a default)."""

    value: Any
    note: str


@dataclass(frozen=True)
class Defaults:
    """The parsed ``data/facility_types.toml``."""

    types: dict[str, dict[str, Any]]
    services: dict[str, dict[str, Any]]
    building: dict[str, Any]
    demand_ratio: dict[str, Any]
    functionality: dict[str, dict[str, Any]]
    casualties_basis: str

    def type_value(self, kind: str, column: str) -> Noted:
        """The default of ``column`` for facility type ``kind``, noted as a default."""
        entry = self.types[kind][column]
        return Noted(entry["value"], f"DEFAULT for {kind}: {entry['basis']}")

    def service_value(self, service: str, key: str) -> Noted:
        """The default of a service key (``needs``, ``willingness_to_travel``, ...)."""
        entry = self.services[service][key]
        return Noted(entry["value"], f"DEFAULT for {service}: {entry['basis']}")


@functools.cache
def load_defaults() -> Defaults:
    """Read ``data/facility_types.toml`` once."""
    text = files("facility_impact").joinpath("data/facility_types.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return Defaults(
        types=raw["type"],
        services=raw["service"],
        building=raw["building"],
        demand_ratio=raw["demand_ratio"],
        functionality=raw["functionality"],
        casualties_basis=raw["casualties"]["basis"],
    )
