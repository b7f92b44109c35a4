"""Summary Dataset → flat tables: the tidy table of the summary CSV
(:func:`tidy_table`, one row per facility, service, indicator, period and
statistic) and the wide one (:func:`summary_table`, one column per indicator and
period), which the Python API keeps."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.results.accounting import ACCOUNTS, all_facilities, all_services
from facility_impact.results.standards import load_standards
from facility_impact.variables import VARIABLES

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


# --------------------------------------------------------------------------- the tidy table

TIDY_COLUMNS = {
    "facility": "facility",
    "service": "service",
    "scenario": "scenario",
    "indicator": "indicator",
    "period": "period_days",
    "threshold": "threshold",
    "outcome": "outcome",
    "standard": "standard",
    "moment": "moment",
    "statistic": "statistic",
    "value": "value",
    "not_reached": "not_reached",
    "units": "units",
    "unit_label": "unit_label",
}
"""The columns of the tidy table, by the dim (or field) each holds; a summary's
standards dim ``indicator`` is the column ``standard``, since ``indicator`` names
the summary variable. Other dims (sweep keys, ``draw``, ``input``) get a column of
their own name after ``scenario``."""

ALWAYS = ("facility", "service", "indicator", "statistic", "value", "not_reached", "units")
"""Columns of every tidy table; the others appear when some row has a value there."""

_DIM_COLUMN = {"indicator": "standard", "period": "period_days"}


def _statistic(quantile: float | None) -> str:
    """``median``, ``p05``, ``p95``…; ``value`` for a number that is no quantile over draws."""
    if quantile is None:
        return "value"
    return "median" if quantile == 0.5 else f"p{round(quantile * 100):02d}"


def _shown_as(summary: xr.Dataset) -> dict[Hashable, tuple[str, dict[str, str]]]:
    """Each variable → (indicator it is a row of, fixed cells): a total over services is
    its account on the service :data:`ALL_SERVICES`, a total over facilities on
    :data:`ALL_FACILITIES` too."""
    shown: dict[Hashable, tuple[str, dict[str, str]]] = {}
    totals = _totals(summary)
    for account, total in totals[ALL_SERVICES].items():
        shown[total] = (account, {"service": ALL_SERVICES})
    for account, total in totals[ALL_FACILITIES].items():
        shown[total] = (account, {"facility": ALL_FACILITIES, "service": ALL_SERVICES})
    return shown


def _left_out(summary: xr.Dataset) -> set[Hashable]:
    """Totals over facilities with one facility: its own rows of all services hold them."""
    if summary.sizes.get("facility", 0) > 1:
        return set()
    return set(_totals(summary)[ALL_FACILITIES].values())


def _units(summary: xr.Dataset, name: Hashable, indicator: str, where: dict[str, Any]) -> str:
    """A cell's UDUNITS string: an indicator's own where units differ by indicator
    (``indicator_units``), else the variable's attribute or the registry's."""
    standard = where.get("indicator")
    if standard is not None and "indicator_units" in summary.coords and name != "meets_standard":
        return str(summary["indicator_units"].sel(indicator=standard).item())
    entry = VARIABLES.get(str(name)) or VARIABLES.get(indicator)
    return str(summary[name].attrs.get("units") or (entry.units if entry else "") or "")


def _unit_label(name: Hashable, indicator: str, where: dict[str, Any]) -> str:
    standard = where.get("indicator")
    if standard is not None and name != "meets_standard":
        return str(load_standards().get(str(standard), {}).get("unit_label", ""))
    entry = VARIABLES.get(str(name)) or VARIABLES.get(indicator)
    return (entry.label or "") if entry else ""


def _cell(value: Any) -> object:
    """A coordinate value as its cell: names as text, numbers as numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _number(value: float) -> tuple[object, bool]:
    """(value cell, not reached): empty for NaN; empty and flagged for infinity."""
    if math.isinf(value):
        return "", True
    return ("" if math.isnan(value) else value), False


INTERVAL_ENDS = {"_low": "ci95_low", "_high": "ci95_high"}
"""Suffixes of the variables holding the ends of another's 95 % confidence interval
(the sensitivity indices' ``rank_correlation_low`` …) and their statistic."""


def _interval_end(summary: xr.Dataset, name: Hashable) -> tuple[str, str] | None:
    """(indicator, statistic) of a variable that holds an end of another variable's
    95 % interval; ``None`` for any other."""
    for suffix, statistic in INTERVAL_ENDS.items():
        base = str(name).removesuffix(suffix)
        if base != str(name) and base in summary.data_vars:
            return base, statistic
    return None


def tidy_rows(summary: xr.Dataset) -> list[dict[str, object]]:
    """One row per facility, service, indicator, period (or other dim) and statistic
    of ``summary``, each a mapping of column (:data:`TIDY_COLUMNS`) → cell. The
    totals over every facility are left out where there is one facility (they are
    its row of all services)."""
    shown = _shown_as(summary)
    left_out = _left_out(summary)
    rows: list[dict[str, object]] = []
    for name, variable in summary.data_vars.items():
        if name in left_out:
            continue
        indicator, fixed = shown.get(name, (str(name), {}))
        interval = _interval_end(summary, name)
        if interval is not None:
            indicator, end = interval
        labels = [variable[d].values for d in variable.dims]
        values = variable.values.astype(float)
        for index in np.ndindex(variable.shape):
            where: dict[str, Any] = {
                str(d): _cell(labels[i][j])
                for i, (d, j) in enumerate(zip(variable.dims, index, strict=True))
            }
            quantile = where.pop("quantile", None)
            value, not_reached = _number(float(values[index]))
            row: dict[str, object] = {_DIM_COLUMN.get(d, d): v for d, v in where.items()}
            row.update(fixed)
            row.update(
                indicator=indicator,
                statistic=end
                if interval is not None
                else _statistic(None if quantile is None else float(quantile)),
                value=value,
                not_reached="true" if not_reached else "false",
                units=_units(summary, name, indicator, where),
                unit_label=_unit_label(name, indicator, where),
            )
            rows.append(row)
    return rows


def tidy_table(summary: xr.Dataset) -> tuple[list[str], list[list[object]]]:
    """The tidy summary table (docs/outputs.md): its header and rows.

    Columns :data:`TIDY_COLUMNS` in that order, those not in :data:`ALWAYS` only
    when some row has a value there, and after ``scenario`` one column per other
    dim (a sweep key, ``draw``, ``input``). Numbers are written in full (Python's
    shortest repr, which reads back to the same float); a missing number (a window
    longer than the run, a service not offered) is an empty cell, and capacity not
    back within the horizon is an empty cell with ``not_reached`` true.
    """
    rows = tidy_rows(summary)
    fixed = list(TIDY_COLUMNS.values())
    others = sorted({column for row in rows for column in row} - set(fixed))
    at = fixed.index("scenario") + 1
    order = [*fixed[:at], *others, *fixed[at:]]
    used = {column for row in rows for column, cell in row.items() if cell != ""}
    header = [c for c in order if c in ALWAYS or c in used]
    return header, [[row.get(column, "") for column in header] for row in rows]
