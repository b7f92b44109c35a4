"""Summary Dataset → the headline numbers as a JSON document (``run --json``).

Per scenario and sweep point, per facility and service: where the care went in
each window after the first strike (the accounts of
:mod:`facility_impact.results.accounting`, forgone care among them), the
forgone share, and the days until capacity is back; each number as its
median and 5th-95th percentiles over draws, or as one value without draws.
The schema is documented in ``docs/json.md``; :data:`SCHEMA` names its
version, raised whenever a field changes meaning or goes away.

A number JSON cannot hold (an infinite or missing value) is ``null``: for days
to capacity, capacity not back within the horizon; a window longer than the
run is left out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.results.accounting import (
    ACCOUNTS,
    ALL_FACILITIES,
    all_facilities,
    all_services,
)
from facility_impact.variables import SCENARIO_DIM, ensemble_dims

SCHEMA = "facility_impact.run/1"
"""Name and version of the document's layout."""

WINDOW_INDICATORS = (*ACCOUNTS, "forgone_share")
"""The indicators of each window of a service, in the document's order."""

Statistics = dict[str, float | None]


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def statistic_names(summary: xr.Dataset) -> list[str]:
    """The names of the statistics of each number: ``median``, ``p05``, ``p95`` (in
    the order of the summary's quantiles) over draws, or ``value`` without draws."""
    if "quantile" not in summary.dims:
        return ["value"]
    return [_quantile_name(q) for q in summary["quantile"].values]


def _quantile_name(quantile: float) -> str:
    return "median" if math.isclose(quantile, 0.5) else f"p{round(float(quantile) * 100):02d}"


def _statistics(values: xr.DataArray) -> Statistics:
    """One number's statistics: per quantile over draws, or its value."""
    if "quantile" not in values.dims:
        return {"value": _number(values)}
    return {
        _quantile_name(float(q)): _number(values.sel(quantile=q)) for q in values["quantile"].values
    }


def windows(summary: xr.Dataset) -> list[float]:
    """The windows after the first strike [d] that fit the run."""
    forgone = summary["forgone_care"]
    others = [d for d in forgone.dims if d != "period"]
    fits = forgone.notnull().any(others).values
    return [float(p) for p in forgone["period"].values[fits]]


def _days(value: float) -> float | int:
    """A number of days as JSON shows it best: 30, not 30.0."""
    return int(value) if float(value).is_integer() else float(value)


def _window_entries(one: xr.Dataset, names: list[str], periods: list[float]) -> list[dict]:
    entries = []
    for period in periods:
        entry: dict[str, Any] = {"days": _days(period)}
        for name in names:
            entry[name.removesuffix("_all_services").removesuffix("_all_facilities")] = _statistics(
                one[name].sel(period=period)
            )
        entries.append(entry)
    return entries


def _service(one: xr.Dataset, periods: list[float]) -> dict[str, Any]:
    """The entry of one facility and service."""
    names = [name for name in WINDOW_INDICATORS if name in one]
    entry: dict[str, Any] = {
        "service": str(one["service"].item()),
        "baseline_volume_per_month": _number(one["baseline_volume_per_month"]),
        "windows": _window_entries(one, names, periods),
    }
    if "days_to_capacity" in one:
        recovery = []
        for threshold in one["threshold"].values:
            item: dict[str, Any] = {"share_of_capacity": float(threshold)}
            item.update(_statistics(one["days_to_capacity"].sel(threshold=threshold)))
            if "not_recovered_share" in one:
                shares = one["not_recovered_share"].sel(threshold=threshold)
                item["not_recovered_share"] = _number(shares)
            recovery.append(item)
        entry["days_to_capacity"] = recovery
    return entry


def _facility(one: xr.Dataset, periods: list[float]) -> dict[str, Any]:
    """The entry of one facility: its services and its totals over services."""
    facility = str(one["facility"].item())
    label = str(one["facility_label"].item()) if "facility_label" in one.coords else facility
    totals = [all_services(name) for name in ACCOUNTS if all_services(name) in one]
    return {
        "facility": facility,
        "label": label,
        "services": [_service(one.sel(service=s), periods) for s in one["service"].values],
        "all_services": {"windows": _window_entries(one, totals, periods)},
    }


def _point(summary: xr.Dataset, selection: dict[Hashable, Any]) -> dict[str, Any]:
    """The entry of one scenario and sweep point."""
    one = summary.sel(selection)
    periods = windows(summary)
    where: dict[str, Any] = {}
    for dim, value in selection.items():
        where[str(dim)] = value.item() if isinstance(value, np.generic) else value
        if dim == SCENARIO_DIM and "scenario_label" in summary.coords:
            where["scenario_label"] = str(summary["scenario_label"].sel(scenario=value).item())
    totals = [all_facilities(name) for name in ALL_FACILITIES if all_facilities(name) in one]
    return {
        "where": where,
        "facilities": [_facility(one.sel(facility=f), periods) for f in one["facility"].values],
        "all_facilities": {"windows": _window_entries(one, totals, periods)},
    }


def headline_document(summary: xr.Dataset, configuration: str) -> dict[str, Any]:
    """The headline numbers of ``summary`` (of the configuration named
    ``configuration``) as a JSON-ready mapping (docs/json.md)."""
    dims = ensemble_dims(summary)
    points = [
        _point(summary, dict(zip(dims, combination, strict=True)))
        for combination in itertools.product(*(summary[d].values for d in dims))
    ]
    attrs = summary.attrs
    return {
        "schema": SCHEMA,
        "source": str(attrs.get("source", "")),
        "configuration": configuration,
        "title": str(attrs.get("title", "")),
        "horizon_days": int(attrs.get("horizon_days", 0)),
        "first_strike_day": _number(attrs.get("first_strike_day", math.nan)),
        "draws": int(attrs.get("draws", 0)),
        "statistics": statistic_names(summary),
        "units": {
            "accounts": "patient contacts of the service (of all kinds in all_services "
            "and all_facilities)",
            "forgone_share": "1",
            "baseline_volume_per_month": "patient contacts a month",
            "days_to_capacity": "d",
        },
        "windows_days": [_days(p) for p in windows(summary)],
        "points": points,
    }
