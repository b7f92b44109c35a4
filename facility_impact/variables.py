"""The registry of output variables, read from ``data/variables.toml``.

One source for names, dims, units and long names: the simulation attaches the
metadata from it and the tests check results against it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files


@dataclass(frozen=True)
class OutputVariable:
    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    description: str

    @property
    def attrs(self) -> dict[str, str]:
        return {"units": self.units, "long_name": self.long_name, "description": self.description}


def _load() -> dict[str, OutputVariable]:
    table = tomllib.loads(files("facility_impact").joinpath("data/variables.toml").read_text())
    return {
        name: OutputVariable(
            name, tuple(entry["dims"]), entry["units"], entry["long_name"], entry["description"]
        )
        for name, entry in table.items()
    }


OUTPUT_VARIABLES: dict[str, OutputVariable] = _load()
