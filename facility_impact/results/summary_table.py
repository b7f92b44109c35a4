"""Summary Dataset → flat table: the rows and columns of the summary CSV."""

from __future__ import annotations

import itertools
import math

import xarray as xr

COLUMN_DIMS = ("period", "threshold", "indicator", "moment", "outcome", "quantile")
"""Dims that become column suffixes of a CSV; every other dim indexes rows."""


def _column_suffix(dim: str, value: object) -> str:
    if dim == "period":
        return f"{float(value):g}d"
    if dim == "threshold":
        return f"{round(float(value) * 100)}pct"
    if dim == "quantile":
        return f"p{round(float(value) * 100):02d}"
    return str(value)


def summary_table(summary: xr.Dataset) -> tuple[list[str], list[list[object]]]:
    """One row per facility × service (× any scenario, sweep or input coordinate),
    one column per indicator.

    Indicators with a ``period``, ``threshold``, ``quantile`` (over draws) or
    other column dim become one column per value, e.g. ``forgone_care_30d`` or
    ``forgone_care_30d_p95`` or ``days_to_capacity_50pct_p50``. Missing values
    (a window longer than the run, a service not offered) are left empty; capacity
    not back within the horizon is ``inf``.
    """
    row_dims = [d for d in summary.dims if d not in COLUMN_DIMS]
    # facility and service first, whatever order the Dataset holds them in.
    row_dims.sort(key=lambda d: {"facility": 0, "service": 1}.get(d, 2))
    columns: list[tuple[str, str, dict[str, object]]] = []
    for name, variable in summary.data_vars.items():
        column_dims = [d for d in COLUMN_DIMS if d in variable.dims]
        for values in itertools.product(*(summary[d].values for d in column_dims)):
            selection = dict(zip(column_dims, values, strict=True))
            suffix = "_".join(_column_suffix(d, v) for d, v in selection.items())
            columns.append((f"{name}_{suffix}" if suffix else name, name, selection))
    header = [*row_dims, *(title for title, _, _ in columns)]
    rows = []
    for index in itertools.product(*(summary[d].values for d in row_dims)):
        where = dict(zip(row_dims, index, strict=True))
        row: list[object] = [str(v) for v in index]
        for _, name, selection in columns:
            variable = summary[name]
            point = {d: v for d, v in {**where, **selection}.items() if d in variable.dims}
            value = float(variable.sel(point).values)
            row.append("" if math.isnan(value) else round(value, 4))
        rows.append(row)
    return header, rows
