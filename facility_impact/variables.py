"""The variable registry, read from ``data/variables.toml``.

One table names every quantity of the model: the parameters the builder makes,
the results the kernel computes, the coordinates results and summaries carry,
and the summary indicators, each with its dims, units, long name, description
and display fields. Everything else derives from it: the attributes written
into data, the kernel's output layout (:mod:`facility_impact.model.outputs`),
the names a sweep dim may not take, and which dims are ensemble dims.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType
from typing import Any, Literal

import xarray as xr

Kind = Literal["parameter", "result", "coordinate", "summary"]
KINDS: tuple[Kind, ...] = ("parameter", "result", "coordinate", "summary")
ATTRIBUTE_FIELDS = ("units", "long_name", "description")
"""Fields of an entry that may be written into data as attributes, in this order."""


@dataclass(frozen=True)
class Variable:
    """One entry of the registry (fields: see the head of ``data/variables.toml``)."""

    name: str
    kind: Kind
    dims: tuple[str, ...]
    long_name: str
    description: str
    units: str | None = None
    standard_name: str | None = None
    label: str | None = None
    csv_header: str | None = None
    attributes: tuple[str, ...] = ()
    in_results: str | None = None
    dimension: str | None = None
    dated_long_name: str | None = None

    @property
    def attrs(self) -> dict[str, str]:
        """The attributes data of this variable carry, wherever it appears."""
        values = {"units": self.units, "long_name": self.long_name, "description": self.description}
        return {key: value for key in self.attributes if (value := values[key]) is not None}

    @property
    def header(self) -> str:
        """Its column name in CSV files."""
        return self.csv_header or self.name


def _default_attributes(kind: str) -> tuple[str, ...]:
    return ATTRIBUTE_FIELDS if kind == "result" else ("units", "long_name")


def _entry(name: str, entry: dict[str, Any]) -> Variable:
    kind = entry["kind"]
    if kind not in KINDS:
        raise ValueError(f"variables.toml [{name}]: kind {kind!r} is not one of {KINDS}")
    attributes = tuple(entry.get("attributes", _default_attributes(kind)))
    unknown = set(attributes) - set(ATTRIBUTE_FIELDS)
    if unknown:
        raise ValueError(f"variables.toml [{name}]: unknown attributes {sorted(unknown)}")
    fields = {key: value for key, value in entry.items() if key not in ("dims", "attributes")}
    return Variable(name=name, dims=tuple(entry["dims"]), attributes=attributes, **fields)


def _load() -> dict[str, Variable]:
    text = files("facility_impact").joinpath("data/variables.toml").read_text(encoding="utf-8")
    return {name: _entry(name, entry) for name, entry in tomllib.loads(text).items()}


VARIABLES: Mapping[str, Variable] = MappingProxyType(_load())
"""Every entry of the registry by name, in the file's order."""


def of_kind(kind: Kind) -> Mapping[str, Variable]:
    """The entries of one kind, in the registry's order."""
    return MappingProxyType({name: v for name, v in VARIABLES.items() if v.kind == kind})


OUTPUT_VARIABLES = of_kind("result")
"""The kernel's results: the day-by-day variables of the result Dataset."""

PARAMETERS = of_kind("parameter")
"""The parameter Dataset's variables (:func:`facility_impact.model.parameters.build_parameters`)."""


def _dims_of_role(role: str) -> tuple[str, ...]:
    return tuple(name for name, v in VARIABLES.items() if v.dimension == role)


STRUCTURAL_DIMS = _dims_of_role("structural")
"""Dims that describe the system; any other dim on a parameter is an ensemble dim."""

SUMMARY_DIMS = _dims_of_role("summary")
"""Dims that summaries add: windows after the first strike, recovery thresholds,
standards' indicators and moments, quantiles over draws."""

RESULT_NAMES = tuple(
    name
    for name, v in VARIABLES.items()
    if (v.kind != "parameter" and v.dimension != "structural") or v.in_results
)
"""Names results and summaries carry besides the structural dims."""

RESERVED_DIMS = frozenset(VARIABLES)
"""Names a sweep dim cannot take: the model's dims, variables and coordinates."""

SCENARIO_DIM = "scenario"
DRAW_DIM = "draw"


def ensemble_dims(data: xr.Dataset | xr.DataArray) -> tuple[str, ...]:
    """The ensemble dims of parameters, results or a summary, in the kernel's order.

    Every dim that is neither structural (:data:`STRUCTURAL_DIMS`) nor a summary
    dim (:data:`SUMMARY_DIMS`) is an ensemble dim: ``scenario`` first, then the
    sweep dims in order of first appearance over the variables, ``draw`` last
    (so that one draw's days of one scenario lie together in memory). This is
    the one place that decides it.
    """
    arrays = data.data_vars.values() if isinstance(data, xr.Dataset) else [data]
    found: list[str] = []
    for array in arrays:
        found.extend(
            str(d)
            for d in array.dims
            if d not in STRUCTURAL_DIMS and d not in SUMMARY_DIMS and d not in found
        )
    return tuple(sorted(found, key=lambda d: (d != SCENARIO_DIM, d == DRAW_DIM)))


def sweep_dims(data: xr.Dataset | xr.DataArray) -> tuple[str, ...]:
    """The sweep dims of ``data``: ensemble dims other than ``scenario`` and ``draw``."""
    return tuple(d for d in ensemble_dims(data) if d not in (SCENARIO_DIM, DRAW_DIM))
