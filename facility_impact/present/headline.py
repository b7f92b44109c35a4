"""The headline numbers of a summary, once: per scenario or sweep point, facility and
service, each number with its range over draws.

:func:`headline` reads them from a summary of
:func:`facility_impact.results.summary.summarize`; the terminal table
(:func:`facility_impact.present.tables.format_summary`) and the report's HTML tables
(:mod:`facility_impact.present.report`) both render this one structure, with the
number formats of this module, so the two can never disagree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import xarray as xr

from facility_impact.results.summary import QUANTILES, RECOVERY_THRESHOLDS
from facility_impact.variables import SCENARIO_DIM, ensemble_dims

SHOWN_PERIODS_DAYS = (30, 90, 365)
"""Windows after the first strike [d] of the headline tables and the forgone-care figure."""


def count(value: float) -> str:
    """A number of patients (or days) to the unit, with thousands separators; '-' for NaN."""
    return "-" if math.isnan(value) else f"{value:,.0f}"


def days(value: float, horizon_left: float) -> str:
    """Days to a capacity threshold: '-' for NaN, '>N' when not back within the
    ``horizon_left`` [d] after the first strike (infinite)."""
    if math.isnan(value):
        return "-"
    return f">{horizon_left:g}" if math.isinf(value) else f"{value:,.0f}"


def longest_period(summary: xr.Dataset) -> float | None:
    """The longest window after the first strike with values (fits the run), or None."""
    forgone = summary["forgone_care"]
    others = [d for d in forgone.dims if d != "period"]
    complete = forgone["period"].values[forgone.notnull().any(others).values]
    return float(complete.max()) if complete.size else None


@dataclass(frozen=True)
class Spread:
    """One headline number: the median over draws and its 5th–95th percentile range
    (all three the same value without draws)."""

    middle: float
    low: float
    high: float

    @classmethod
    def of(cls, values: xr.DataArray) -> Spread:
        """The number of a summary cell, with or without a ``quantile`` dim."""
        if "quantile" not in values.dims:
            value = float(values)
            return cls(value, value, value)
        low, middle, high = (float(values.sel(quantile=q)) for q in QUANTILES)
        return cls(middle, low, high)

    def text(self, show: Callable[[float], str]) -> str:
        """``median (low–high)`` as ``show`` writes numbers; the median alone where the
        range would read as one number."""
        if show(self.low) == show(self.high):
            return show(self.middle)
        return f"{show(self.middle)} ({show(self.low)}–{show(self.high)})"


def cell(values: xr.DataArray, show: Callable[[float], str]) -> str:
    """One summary cell as text: a number, or ``median (5th–95th percentile)`` with draws."""
    return Spread.of(values).text(show)


@dataclass(frozen=True)
class ServiceRow:
    """The headline numbers of one service a facility offers [patient, or d]."""

    service: Hashable
    baseline_per_month: float
    forgone_care: dict[float, Spread]
    """Forgone care by window after the first strike [d] (the shown windows)."""
    served_elsewhere: dict[float, Spread]
    """Care served elsewhere by window [d] (the shown windows and the longest)."""
    person_days_without_access: Spread | None
    days_to_capacity: dict[float, Spread]
    """Days from the first strike to each share of baseline capacity."""


@dataclass(frozen=True)
class FacilityTable:
    """One facility at one scenario or sweep point: a row per service it offers."""

    facility: Hashable
    label: str
    """The ``facility_label`` coordinate ("" where there is none)."""
    opens_within_run: bool
    rows: tuple[ServiceRow, ...]


@dataclass(frozen=True)
class HeadlineGroup:
    """The tables of one scenario or sweep point (the whole summary without either)."""

    selection: dict[Hashable, Any]
    """Ensemble dim → value of this point, in the order of the ensemble dims."""
    scenario_label: str | None
    facilities: tuple[FacilityTable, ...]


@dataclass(frozen=True)
class Headline:
    """The headline numbers of a summary and what the tables need to render them."""

    title: str
    draws: Any
    """The summary's ``draws`` attribute ("" where it has none)."""
    with_ranges: bool
    """Whether numbers have a range over draws (the summary has a ``quantile`` dim)."""
    periods: tuple[float, ...]
    """The shown windows after the first strike that the summary has [d]."""
    longest: float | None
    """The longest window that fits the run [d] (None when none does)."""
    horizon_left: float
    """Days from the first strike to the end of the run [d]."""
    groups: tuple[HeadlineGroup, ...]

    def days(self, value: float) -> str:
        """Days to a capacity threshold as text (see :func:`days`)."""
        return days(value, self.horizon_left)


def headline(summary: xr.Dataset, periods: Sequence[float] = SHOWN_PERIODS_DAYS) -> Headline:
    """The headline numbers of ``summary`` at the windows of ``periods`` [d] it has."""
    shown = tuple(p for p in periods if p in summary["period"].values)
    longest = longest_period(summary)
    horizon = summary.attrs.get("horizon_days", 0)
    dims = ensemble_dims(summary)
    groups = []
    for combination in itertools.product(*(summary[d].values for d in dims)):
        selection: dict[Hashable, Any] = dict(zip(dims, combination, strict=True))
        subset = summary.sel(selection)
        label = None
        if SCENARIO_DIM in selection and "scenario_label" in summary.coords:
            scenario = selection[SCENARIO_DIM]
            label = str(summary["scenario_label"].sel(scenario=scenario).item())
        facilities = tuple(
            _facility_table(subset.sel(facility=f), f, shown, longest, horizon)
            for f in subset["facility"].values
        )
        groups.append(HeadlineGroup(selection, label, facilities))
    return Headline(
        title=str(summary.attrs.get("title", "")),
        draws=summary.attrs.get("draws", ""),
        with_ranges="quantile" in summary.dims,
        periods=shown,
        longest=longest,
        horizon_left=horizon - summary.attrs.get("first_strike_day", 0),
        groups=tuple(groups),
    )


def _facility_table(
    one: xr.Dataset,
    facility: Hashable,
    periods: tuple[float, ...],
    longest: float | None,
    horizon: float,
) -> FacilityTable:
    label = str(one["facility_label"].item()) if "facility_label" in one.coords else ""
    opens = not ("opens_day" in one.coords and float(one["opens_day"].max()) >= horizon)
    rows = tuple(
        _service_row(one.sel(service=service), service, periods, longest)
        for service in one["service"].values
        if one["baseline_volume_per_month"].sel(service=service) > 0
    )
    return FacilityTable(facility, label, opens, rows)


def _service_row(
    line: xr.Dataset, service: Hashable, periods: tuple[float, ...], longest: float | None
) -> ServiceRow:
    elsewhere = [*periods, *([] if longest is None else [longest])]
    without_access = line.get("person_days_without_access")
    return ServiceRow(
        service=service,
        baseline_per_month=float(line["baseline_volume_per_month"]),
        forgone_care={p: Spread.of(line["forgone_care"].sel(period=p)) for p in periods},
        served_elsewhere={
            p: Spread.of(line["served_elsewhere_total"].sel(period=p)) for p in elsewhere
        },
        person_days_without_access=None if without_access is None else Spread.of(without_access),
        days_to_capacity={
            t: Spread.of(line["days_to_capacity"].sel(threshold=t)) for t in RECOVERY_THRESHOLDS
        },
    )
