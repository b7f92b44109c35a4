"""Summary Dataset → flat table: the rows and columns of the summary CSV."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from typing import Any

import xarray as xr

from facility_impact.results.accounting import ACCOUNTS, all_facilities, all_services

COLUMN_DIMS = ("period", "threshold", "indicator", "moment", "outcome", "quantile")
"""Dims that become column suffixes of a CSV; every other dim indexes rows."""

ALL_SERVICES = "all services (patient contacts of all kinds)"
"""The ``service`` of a facility's row of totals over its services."""

ALL_FACILITIES = "all facilities"
"""The ``facility`` of the row of totals over every facility (with several)."""


def _column_suffix(dim: str, value: Any) -> str:
    if dim == "period":
        return f"{float(value):g}d"
    if dim == "threshold":
        return f"{round(float(value) * 100)}pct"
    if dim == "quantile":
        return f"p{round(float(value) * 100):02d}"
    return str(value)


def _totals(summary: xr.Dataset) -> dict[str, dict[str, str]]:
    """Per total row (:data:`ALL_SERVICES`, :data:`ALL_FACILITIES`): the account shown
    in it → the summary variable that holds its total."""
    return {
        ALL_SERVICES: {
            name: all_services(name) for name in ACCOUNTS if all_services(name) in summary
        },
        ALL_FACILITIES: {
            name: all_facilities(name) for name in ACCOUNTS if all_facilities(name) in summary
        },
    }


def _source(
    summary: xr.Dataset, name: Hashable, where: dict[str, Any], totals: dict[str, dict[str, str]]
) -> xr.DataArray | None:
    """The variable that holds column ``name`` on the row ``where``: the indicator
    itself, or on a row of totals its total (None where it has none)."""
    variable = summary[name]
    if where.get("facility") == ALL_FACILITIES:
        if "service" in variable.dims:
            total = totals[ALL_FACILITIES].get(str(name))
            return None if total is None else summary[total]
        return None if "facility" in variable.dims else variable
    if where.get("service") == ALL_SERVICES and "service" in variable.dims:
        total = totals[ALL_SERVICES].get(str(name))
        return None if total is None else summary[total]
    return variable


def _row_labels(summary: xr.Dataset, dim: str, totals: dict[str, dict[str, str]]) -> list[Any]:
    """The values of a row dim, with the row of totals after a facility's services and
    (with several facilities) the row over all facilities after the last facility."""
    values = list(summary[dim].values)
    if dim == "service" and totals[ALL_SERVICES]:
        values.append(ALL_SERVICES)
    if dim == "facility" and totals[ALL_FACILITIES] and len(values) > 1:
        values.append(ALL_FACILITIES)
    return values


def summary_table(summary: xr.Dataset) -> tuple[list[str], list[list[object]]]:
    """One row per facility × service (× any scenario, sweep or input coordinate),
    one column per indicator.

    Indicators with a ``period``, ``threshold``, ``quantile`` (over draws) or
    other column dim become one column per value, e.g. ``forgone_care_30d`` or
    ``forgone_care_30d_p95`` or ``days_to_capacity_50pct_p50``. Missing values
    (a window longer than the run, a service not offered) are left empty; capacity
    not back within the horizon is ``inf``. An indicator without a ``service`` dim
    (a facility's) is repeated on each of the facility's rows.

    After each facility's services, a row of :data:`ALL_SERVICES` holds the care
    accounts summed over its services (``<account>_all_services``: patient contacts
    of all kinds) and nothing else of the per-service indicators; with several
    facilities, a last row of :data:`ALL_FACILITIES` holds the accounts summed over
    every facility where the summary has them (``<account>_all_facilities``).
    """
    totals = _totals(summary)
    hidden = {total for shown in totals.values() for total in shown.values()}
    row_dims = [str(d) for d in summary.dims if d not in COLUMN_DIMS]
    # facility and service first, whatever order the Dataset holds them in.
    row_dims.sort(key=lambda d: {"facility": 0, "service": 1}.get(d, 2))
    columns: list[tuple[str, Hashable, dict[str, Any]]] = []
    for name, variable in summary.data_vars.items():
        if name in hidden:
            continue
        column_dims = [d for d in COLUMN_DIMS if d in variable.dims]
        for values in itertools.product(*(summary[d].values for d in column_dims)):
            selection = dict(zip(column_dims, values, strict=True))
            suffix = "_".join(_column_suffix(d, v) for d, v in selection.items())
            columns.append((f"{name}_{suffix}" if suffix else str(name), name, selection))
    header = [*row_dims, *(title for title, _, _ in columns)]
    rows: list[list[object]] = []
    for index in itertools.product(*(_row_labels(summary, d, totals) for d in row_dims)):
        where: dict[str, Any] = dict(zip(row_dims, index, strict=True))
        if where.get("facility") == ALL_FACILITIES and where.get("service") != ALL_SERVICES:
            continue
        row: list[object] = [str(v) for v in index]
        for _, name, selection in columns:
            source = _source(summary, name, where, totals)
            if source is None:
                row.append("")
                continue
            point = {d: v for d, v in {**where, **selection}.items() if d in source.dims}
            value = float(source.sel(point).values)
            row.append("" if math.isnan(value) else round(value, 4))
        rows.append(row)
    return header, rows
