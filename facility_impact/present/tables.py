"""Summary Dataset → a readable text table (terminal).

A configuration is described by :mod:`facility_impact.present.describe`, sensitivity
indices by :mod:`facility_impact.present.sensitivity_table`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Hashable, Sequence
from typing import Any

import xarray as xr

from facility_impact.present.headline import (
    ACCOUNT_COLUMNS,
    ALL_SERVICES_LABEL,
    IDENTITY_TEXT,
    MEDIANS_TEXT,
    SHOWN_PERIODS_DAYS,
    FacilityTable,
    Headline,
    cell,
    count,
    headline,
    tagged,
)
from facility_impact.results.summary import RECOVERY_THRESHOLDS
from facility_impact.variables import SCENARIO_DIM


def selection_heading(selection: dict[Hashable, Any], scenario_label: str | None) -> str:
    """A scenario or sweep point as the terminal says it: "scenario = x (label)",
    "closure_days = 30"."""
    parts = []
    for dim, value in selection.items():
        label = f" ({scenario_label})" if dim == SCENARIO_DIM and scenario_label is not None else ""
        parts.append(
            f"{dim} = {value:g}" if isinstance(value, float) else f"{dim} = {value}{label}"
        )
    return ", ".join(parts)


def format_summary(summary: xr.Dataset, periods: tuple[int, ...] = SHOWN_PERIODS_DAYS) -> str:
    """The headline numbers as plain text: per scenario or sweep point, one sentence
    of the patient contacts lost, then per facility where the care went in the first
    year after the first strike (or the longest window of the run: demand, care
    without the strikes, added, served here and elsewhere, forgone, displaced, extra
    still waiting [patients]) per service and as patient contacts of all kinds, then
    baseline, forgone care at ``periods`` days and days to 50 % and 90 % of baseline
    capacity. With draws, each cell is the median and, in brackets, the 5th–95th
    percentile range. A facility that does not open within the run gets one line.
    With diversion among modelled facilities, a last table lists each receiving
    facility's arrivals, received, overflow [patients] and days at full capacity."""
    numbers = headline(summary, periods)
    lines = [numbers.title]
    if numbers.with_ranges:
        lines.append(f"{numbers.draws} draws: median (5th–95th percentile) over draws")
    for group in numbers.groups:
        subset = summary.sel(group.selection)
        tag = selection_heading(group.selection, group.scenario_label)
        if group.sentence:
            lines += ["", *textwrap.wrap(tagged(group.label(), group.sentence), _WRAP)]
        for table in group.facilities:
            title = f"{table.facility}" + (f" ({tag})" if tag else "")
            if not table.opens_within_run:
                lines += ["", f"{title}: does not open within the run"]
                continue
            lines += ["", title, *_account_lines(numbers, table), ""]
            lines += _service_lines(numbers, table)
            one = subset.sel(facility=table.facility)
            lines += _standards_lines(one)
            lines += _outcome_lines(one, numbers.periods)
        if "arrivals_total" in subset:
            lines += _overload_lines(subset, numbers.horizon_left)
    lines.append("")
    notes = [IDENTITY_TEXT, *([MEDIANS_TEXT] if numbers.with_ranges else [])]
    notes.append(
        "Days are counted from the first strike; '-' = window longer than the run; "
        "'>N' = not back within the horizon (N days after the first strike)."
    )
    lines += textwrap.wrap(" ".join(notes), _WRAP)
    return "\n".join(lines)


_WRAP = 100
"""Characters per line of the sentences and notes."""


def _account_lines(numbers: Headline, table: FacilityTable) -> list[str]:
    """Where the care went, per offered service and as patient contacts of all kinds."""
    if numbers.window is None:
        return []
    width = 22 if numbers.with_ranges else 11
    label = max(14, len(ALL_SERVICES_LABEL) + 1)
    heads = "".join(f"{column.short:>{width}}" for column in ACCOUNT_COLUMNS)
    lines = [
        f"where the care went in {numbers.window_text()} "
        "(patients; no strike: care without the strikes)",
        f"{'service':<{label}}{heads}",
    ]
    for row in table.rows:
        cells = "".join(
            f"{row.accounts[column.name].text(count):>{width}}" for column in ACCOUNT_COLUMNS
        )
        lines.append(f"{row.service!s:<{label}}{cells}")
    cells = "".join(
        f"{table.contacts[column.name].text(count):>{width}}" for column in ACCOUNT_COLUMNS
    )
    lines.append(f"{ALL_SERVICES_LABEL:<{label}}{cells}")
    return lines


def _service_lines(numbers: Headline, table: FacilityTable) -> list[str]:
    """The header and one line per offered service of one facility's table."""
    shown = numbers.periods
    width = 22 if numbers.with_ranges else 10
    period_heads = "".join(f"{f'{p} d':>{width}}" for p in shown)
    threshold_heads = "".join(f"{f'{t * 100:.0f} %':>{width}}" for t in RECOVERY_THRESHOLDS)
    lines = [
        f"{'service':<14}{'baseline':>10}  "
        f"{'forgone care (patients)':^{width * len(shown)}}  "
        f"{'days to capacity':^{len(RECOVERY_THRESHOLDS) * width}}",
        f"{'':<14}{'/month':>10}  {period_heads}  {threshold_heads}",
    ]
    for row in table.rows:
        cells = [f"{row.service!s:<14}", f"{count(row.baseline_per_month):>10}  "]
        cells += [f"{row.forgone_care[p].text(count):>{width}}" for p in shown]
        cells.append("  ")
        cells += [
            f"{row.days_to_capacity[t].text(numbers.days):>{width}}" for t in RECOVERY_THRESHOLDS
        ]
        lines.append("".join(cells))
    return lines


def _standards_lines(one: xr.Dataset) -> list[str]:
    """Humanitarian-standards indicators of one facility: before, worst, at the horizon."""
    if "standard_value" not in one:
        return []
    moments = ("before", "worst", "at_horizon")
    rows = []
    for indicator in one["indicator"].values:
        values = one["standard_value"].sel(indicator=indicator)
        if bool(values.isnull().all()):
            continue
        cells = [cell(values.sel(moment=moment), lambda v: f"{v:,.1f}") for moment in moments]
        rows.append((indicator, cells))
    # With draws a cell is "median (p5–p95)": the columns widen to fit it.
    width = max([12, *(len(cell) + 2 for _, cells in rows for cell in cells)])
    heads = "".join(f"{head:>{width}}" for head in ("before", "worst", "at horizon"))
    lines = [f"  {'against minimum standards':<34}{heads}   standard"]
    for indicator, cells in rows:
        comparison = str(one["standard_comparison"].sel(indicator=indicator).item())
        threshold = float(one["standard_threshold"].sel(indicator=indicator))
        verified = bool(one["threshold_verified"].sel(indicator=indicator))
        name = str(one["indicator_long_name"].sel(indicator=indicator).item())
        lines.append(
            f"  {name:<34}{''.join(f'{cell:>{width}}' for cell in cells)}   "
            f"{comparison} {threshold:g}" + ("" if verified else " (threshold unverified)")
        )
    return lines


def _outcome_lines(one: xr.Dataset, periods: Sequence[float]) -> list[str]:
    """Indicative outcomes, always with the word "indicative" and their source."""
    if "indicative_outcome" not in one:
        return []
    lines = []
    for outcome in one["outcome"].values:
        values = one["indicative_outcome"].sel(outcome=outcome)
        label = str(one["outcome_label"].sel(outcome=outcome).item())
        cells = ", ".join(
            f"{cell(values.sel(period=p), lambda v: f'{v:,.1f}')} at {p} d" for p in periods
        )
        source = str(one["outcome_source"].sel(outcome=outcome).item())
        lines.append(f"  {label}: {cells} (source: {source})")
    return lines


def _overload_lines(summary: xr.Dataset, horizon_left: float) -> list[str]:
    """Receiving facilities over the longest window that fits the run: what arrived
    from other modelled facilities, what they served, the overflow and the days they
    ran full.

    Only rows where at least half a patient arrived (shown as 1 or more) are listed.
    """
    # The longest window that fits the run (windows start at the first strike).
    window = max(p for p in summary["period"].values if p <= horizon_left)
    whole = summary.sel(period=window)
    width = 22 if "quantile" in summary.dims else 10
    rows = []
    for facility in whole["facility"].values:
        for service in whole["service"].values:
            line = whole.sel(facility=facility, service=service)
            if not float(line["arrivals_total"].max()) >= 0.5:
                continue
            rows.append(
                f"{facility!s:<22}{service!s:<14}"
                + "".join(
                    f"{cell(line[name], count):>{width}}"
                    for name in ("arrivals_total", "received_total", "overflow_total")
                )
                + f"{cell(line['days_at_full_capacity'], count):>{width + 6}}"
            )
    if not rows:
        return []
    return [
        "",
        f"Patients from other facilities, first {window:g} days after the first strike",
        f"{'receiving facility':<22}{'service':<14}{'arrivals':>{width}}{'received':>{width}}"
        f"{'overflow':>{width}}{'days full':>{width + 6}}",
        *rows,
    ]


__all__ = ["format_summary", "selection_heading"]
