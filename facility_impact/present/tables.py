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
    HeadlineGroup,
    cell,
    count,
    headline,
    tagged,
)
from facility_impact.present.labels import dim_labels
from facility_impact.results.summary import RECOVERY_THRESHOLDS
from facility_impact.variables import SCENARIO_DIM, ensemble_dims

WIDTH = 100
"""Characters per line of every table, sentence and note the terminal prints."""

Column = tuple[tuple[str, ...], list[str]]
"""A column of a table: its heading (one or more lines) and its cells."""


def selection_heading(
    selection: dict[Hashable, Any],
    scenario_label: str | None,
    labels: dict[Hashable, str] | None = None,
) -> str:
    """A scenario or sweep point as the terminal says it: "scenario = x (label)",
    "closure_days = 30"; with ``labels``, each dim by its label ("days of closure =
    30") and a scenario by its label alone ("scenario: no support")."""
    parts = []
    for dim, value in selection.items():
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        if labels is not None:
            if dim == SCENARIO_DIM:
                parts.append(f"scenario: {scenario_label or shown}")
            else:
                parts.append(f"{labels.get(dim, dim)} = {shown}")
            continue
        label = f" ({scenario_label})" if dim == SCENARIO_DIM and scenario_label is not None else ""
        parts.append(f"{dim} = {shown}{label}")
    return ", ".join(parts)


def block_table(
    heads: tuple[str, ...],
    labels: Sequence[tuple[str, ...]],
    columns: Sequence[Column],
    width: int = WIDTH,
    indent: str = "",
) -> list[str]:
    """A table of ``labels`` (one tuple of label columns a row) and ``columns``, right
    aligned, each column as wide as its widest cell or heading line. Columns that do
    not fit ``width`` go on to a next block under the same labels, after a blank line."""
    # Cells are right-aligned with two spaces at least before them, so the last label
    # column needs no padding of its own.
    label_widths = [
        max([len(head), *(len(row[index]) for row in labels)])
        + (2 if index < len(heads) - 1 else 0)
        for index, head in enumerate(heads)
    ]
    left = len(indent) + sum(label_widths)
    blocks = _blocks(list(columns), width - left)
    lines: list[str] = []
    head_lines = max((len(head) for head, _ in columns), default=1)
    for number, block in enumerate(blocks):
        if number:
            lines.append("")
        for line in range(head_lines):
            first = line == head_lines - 1
            text = indent + "".join(
                f"{(head if first else ''):<{size}}"
                for head, size in zip(heads, label_widths, strict=True)
            )
            for head, cells in block:
                shift = head_lines - len(head)
                word = head[line - shift] if line >= shift else ""
                text += f"{word:>{_column_width((head, cells))}}"
            lines.append(text.rstrip())
        for index, row in enumerate(labels):
            text = indent + "".join(
                f"{label:<{size}}" for label, size in zip(row, label_widths, strict=True)
            )
            text += "".join(
                f"{cells[index]:>{_column_width((head, cells))}}" for head, cells in block
            )
            lines.append(text.rstrip())
    return lines


def _blocks(columns: list[Column], room: int) -> list[list[Column]]:
    """``columns`` in as few blocks as fit ``room`` characters each, the columns shared
    out evenly (8 columns in three blocks: 3, 3 and 2, not 4, 3 and 1)."""
    for number in range(1, len(columns) + 1):
        size = -(-len(columns) // number)
        blocks = [columns[start : start + size] for start in range(0, len(columns), size)]
        if all(sum(_column_width(column) for column in block) <= room for block in blocks):
            return blocks
    return [[column] for column in columns]  # a column wider than the room: alone


def _column_width(column: Column) -> int:
    head, cells = column
    return max([*(len(word) for word in head), *(len(cell) for cell in cells)]) + 2


def format_summary(
    summary: xr.Dataset,
    periods: tuple[int, ...] = SHOWN_PERIODS_DAYS,
    labels: dict[Hashable, str] | None = None,
) -> str:
    """The headline numbers as plain text that fits :data:`WIDTH` characters a line:
    per scenario or sweep point, one sentence of the patient contacts lost, then per
    facility where the care went in the first year after the first strike (or the
    longest window of the run: demand, care without the strikes, added, served here
    and elsewhere, forgone, displaced, extra still waiting [patients]) per service and
    as patient contacts of all kinds, then baseline, forgone care at ``periods`` days
    and days to 50 % and 90 % of baseline capacity. With draws, each cell is the
    median and, in brackets, the 5th–95th percentile range; columns that do not fit
    go on in a second block. A facility that does not open within the run gets one
    line. With diversion among modelled facilities, a last table lists each receiving
    facility's arrivals, received, overflow [patients] and days at full capacity.
    ``labels`` name the sweep dims (:func:`facility_impact.present.labels.dim_labels`);
    by default they are labelled from the schema's keys."""
    numbers = headline(summary, periods)
    if labels is None:
        labels = dim_labels(summary, [d for d in ensemble_dims(summary) if d != SCENARIO_DIM])
    lines = [*textwrap.wrap(numbers.title, WIDTH)]
    if numbers.with_ranges:
        lines.append(f"{numbers.draws} draws: median (5th–95th percentile) over draws")
    for group in numbers.groups:
        subset = summary.sel(group.selection)
        tag = selection_heading(group.selection, group.scenario_label, labels)
        if group.sentence:
            sentence = tagged(_group_label(group, labels), group.sentence)
            lines += ["", *textwrap.wrap(sentence, WIDTH)]
        for table in group.facilities:
            title = f"{table.facility}" + (f" ({tag})" if tag else "")
            if not table.opens_within_run:
                lines += ["", *textwrap.wrap(f"{title}: does not open within the run", WIDTH)]
                continue
            lines += ["", *textwrap.wrap(title, WIDTH), *_account_lines(numbers, table), ""]
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
    lines += textwrap.wrap(" ".join(notes), WIDTH)
    return "\n".join(lines)


def _group_label(group: HeadlineGroup, labels: dict[Hashable, str]) -> str:
    """A scenario by its label, a sweep point by its dims' labels."""
    parts = []
    for dim, value in group.selection.items():
        if dim == SCENARIO_DIM and group.scenario_label is not None:
            parts.append(group.scenario_label)
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(f"{labels.get(dim, dim)} = {shown}")
    return ", ".join(parts)


def _account_lines(numbers: Headline, table: FacilityTable) -> list[str]:
    """Where the care went, per offered service and as patient contacts of all kinds."""
    if numbers.window is None:
        return []
    rows = [*table.rows]
    columns: list[Column] = [
        (
            tuple(column.short.split(" ", 1)),  # "no strike" on two lines
            [row.accounts[column.name].text(count) for row in rows]
            + [table.contacts[column.name].text(count)],
        )
        for column in ACCOUNT_COLUMNS
    ]
    labels = [(str(row.service),) for row in rows] + [(ALL_SERVICES_LABEL,)]
    title = f"where the care went in {numbers.window_text()} (patients)"
    key = (
        "no strike: care without the strikes; added: demand the strikes added; elsewhere: "
        "served elsewhere; waiting: extra patients still waiting at the end"
    )
    return [
        *textwrap.wrap(title, WIDTH),
        *block_table(("service",), labels, columns),
        *textwrap.wrap(key, WIDTH),
    ]


def _service_lines(numbers: Headline, table: FacilityTable) -> list[str]:
    """Baseline, forgone care by window and days to capacity, a line per offered service."""
    rows = table.rows
    columns: list[Column] = [
        (("baseline", "/month"), [count(row.baseline_per_month) for row in rows])
    ]
    columns += [
        (("forgone", f"{p:g} d"), [row.forgone_care[p].text(count) for row in rows])
        for p in numbers.periods
    ]
    columns += [
        (
            ("days to", f"{t * 100:.0f} %"),
            [row.days_to_capacity[t].text(numbers.days) for row in rows],
        )
        for t in RECOVERY_THRESHOLDS
    ]
    title = (
        "baseline volume and forgone care (patients), days until capacity is back to "
        + " and ".join(f"{t * 100:.0f} %" for t in RECOVERY_THRESHOLDS)
        + " of baseline"
    )
    labels = [(str(row.service),) for row in rows]
    return [*textwrap.wrap(title, WIDTH), *block_table(("service",), labels, columns)]


def _standards_lines(one: xr.Dataset) -> list[str]:
    """Humanitarian-standards indicators of one facility: before, worst, at the horizon,
    and the standard (a star where its threshold is not checked against its source)."""
    if "standard_value" not in one:
        return []
    moments = ("before", "worst", "at_horizon")
    names, cells, standards = [], [], []
    sources: list[str] = []
    unverified = False
    for indicator in one["indicator"].values:
        values = one["standard_value"].sel(indicator=indicator)
        if bool(values.isnull().all()):
            continue
        names.append((str(one["indicator_long_name"].sel(indicator=indicator).item()),))
        cells.append([cell(values.sel(moment=m), lambda v: f"{v:,.1f}") for m in moments])
        comparison = str(one["standard_comparison"].sel(indicator=indicator).item())
        threshold = float(one["standard_threshold"].sel(indicator=indicator))
        verified = bool(one["threshold_verified"].sel(indicator=indicator))
        unverified |= not verified
        shown = {">=": "≥", "<=": "≤"}.get(comparison, comparison)
        standards.append(f"{shown} {threshold:g}" + ("" if verified else "*"))
        source = _standard_source(one, indicator)
        if source and source not in sources:
            sources.append(source)
    if not names:
        return []
    heads = (("before",), ("worst",), ("at horizon",))
    columns: list[Column] = [
        (head, [row[index] for row in cells]) for index, head in enumerate(heads)
    ]
    columns.append((("standard",), standards))
    lines = block_table(("against minimum standards",), names, columns, indent="  ")
    if sources:
        lines.append(f"  standards: {'; '.join(sources)}")
    if unverified:
        lines.append("  * threshold not checked against the published text")
    return lines


def _standard_source(one: xr.Dataset, indicator: object) -> str:
    """Whose standard the threshold is ("UNHCR Emergency Handbook"), or ""."""
    if "standard_source_label" not in one.coords:
        return ""
    return str(one["standard_source_label"].sel(indicator=indicator).item())


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
        text = f"{label}: {cells} (source: {source})"
        lines += textwrap.wrap(text, WIDTH, initial_indent="  ", subsequent_indent="    ")
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
    names = ("arrivals_total", "received_total", "overflow_total", "days_at_full_capacity")
    labels: list[tuple[str, ...]] = []
    cells: dict[str, list[str]] = {name: [] for name in names}
    for facility in whole["facility"].values:
        for service in whole["service"].values:
            line = whole.sel(facility=facility, service=service)
            if not float(line["arrivals_total"].max()) >= 0.5:
                continue
            labels.append((str(facility), str(service)))
            for name in names:
                cells[name].append(cell(line[name], count))
    if not labels:
        return []
    heads = (("arrivals",), ("received",), ("overflow",), ("days full",))
    columns: list[Column] = [(head, cells[name]) for head, name in zip(heads, names, strict=True)]
    return [
        "",
        f"Patients from other facilities, first {window:g} days after the first strike",
        *block_table(("receiving facility", "service"), labels, columns),
    ]


__all__ = ["block_table", "format_summary", "selection_heading"]
