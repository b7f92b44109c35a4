"""Figures of the headline numbers per facility: forgone care, the care of displaced
people and care received elsewhere by service, and the humanitarian minimum standards.

Each bar is a number of the summary tables (:mod:`facility_impact.present.headline`);
the caption names the configuration, the seed and what was selected from dims the
figure does not show. matplotlib is imported inside the functions, as in
:mod:`facility_impact.present.canvas`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.canvas import (
    block_title,
    facility_label,
    framed,
    panel_title,
    wrapped,
)
from facility_impact.present.headline import SHOWN_PERIODS_DAYS
from facility_impact.present.labels import quantity, unit_words
from facility_impact.present.style import (
    OKABE_ITO,
    PERIOD_HATCHES,
    PERIOD_SHADES,
    apply_style,
    narrow,
    panel_columns,
    points,
    width_in,
)
from facility_impact.present.summary_axes import (
    WHISKER_LABEL,
    bar_group,
    caption_text,
    draws_note,
    error_bars,
    median_range,
    offered_mask,
    select_first,
    struck_facilities,
    thousands,
)
from facility_impact.results.standards import load_standards

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def forgone_figure(summary: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care, the care of displaced people (where anyone left) and care served
    elsewhere per service [patient], cumulative at 30, 90 and 365 days after the
    first strike (those that fit the run).

    One row of panels per facility that lost care (stacked at column width); the
    panels of a facility share their scale, and a bar too short to see carries its
    number. Bars are the median over draws and whiskers the 5th–95th percentile
    (the numbers of the summary table). No bar adds services together. Raises
    ValueError when no shown window fits the run.
    """
    periods = [p for p in SHOWN_PERIODS_DAYS if _period_has_values(summary, p)]
    if not periods:
        raise ValueError("no window of 30, 90 or 365 days fits the run: nothing to draw")
    data, notes = select_first(summary, results=results)
    facilities = struck_facilities(data)
    displaced = bool((data["displaced_total"].sel(facility=facilities) > 0).any())
    variables = (
        ("forgone_care", "displaced_total", "served_elsewhere_total")
        if displaced
        else ("forgone_care", "served_elsewhere_total")
    )
    if not displaced:
        notes.append("nobody left the area: no care of displaced people")
    columns = panel_columns(len(variables))
    rows = len(variables) // columns
    caption = caption_text(results, [*notes, draws_note(summary), _SMALL_BARS_NOTE])
    handles: dict[str, Any] = {}
    with apply_style():
        frame = framed(((1.75 if narrow() else 2.4) * rows + 0.3) * len(facilities), caption)
        blocks = frame.body.subfigures(len(facilities), 1, squeeze=False)[:, 0]
        for block, facility in zip(blocks, facilities, strict=True):
            at_facility = data.sel(facility=facility)
            offered = offered_mask(at_facility)
            services = [s for s in at_facility["service"].values if bool(offered.sel(service=s))]
            axes = block.subplots(rows, columns, sharey=True, squeeze=False).ravel()
            tops = []
            for axis, name in zip(axes, variables, strict=True):
                tops.append(_period_bars(axis, at_facility[name], services, periods, handles))
                panel_title(axis, quantity(at_facility[name]), width_in() / columns)
            _label_short_bars(axes, tops)
            block.supylabel(unit_words("forgone_care"), fontsize=points("text"))
            if len(facilities) > 1 or displaced:
                block_title(block, facility_label(data, facility))
        subject = "Care forgone" + (", displaced" if displaced else "") + " and received elsewhere"
        if len(facilities) == 1 and not displaced:
            subject += f" — {facility_label(data, facilities[0])}"
        # The whisker entry last, after the windows it belongs to.
        whisker = handles.pop(WHISKER_LABEL, None)
        if whisker is not None:
            handles[WHISKER_LABEL] = whisker
        return frame.finish(handles, subject)


_SMALL_BARS_NOTE = "numbers on bars too short to see"
_SHORT_BAR = 0.04
"""A bar lower than this share of its panel's height carries its number."""


def _label_short_bars(axes: Sequence[Axes], tops: Sequence[list[tuple[float, float]]]) -> None:
    """Write the number on each bar too short to see at the panels' shared scale,
    above its whisker; ``tops`` are each panel's (bar, top of its whisker)."""
    top = max(axis.get_ylim()[1] for axis in axes)
    for axis, bars in zip(axes, tops, strict=True):
        axis.set_ylim(0, top * 1.08)
        for patch, (height, whisker) in zip(axis.patches, bars, strict=True):
            if not np.isfinite(height) or height >= _SHORT_BAR * top:
                continue
            bar: Any = patch  # a Rectangle: the stubs type axis.patches as Patch
            axis.annotate(
                f"{height:,.0f}",  # whole patients, as the tables give them
                xy=(bar.get_x() + bar.get_width() / 2, max(height, whisker)),
                xytext=(0, 1.5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=90,
                fontsize=points("tiny"),
            )


def _period_has_values(summary: xr.Dataset, period: float) -> bool:
    periods = summary["period"].values
    return bool(period in periods and summary["forgone_care"].sel(period=period).notnull().any())


def _period_bars(
    axis: Axes,
    values: xr.DataArray,
    services: list[Hashable],
    periods: Sequence[float],
    handles: dict[str, Any],
) -> list[tuple[float, float]]:
    """Bars of each window side by side per service; returns each bar's height and
    the top of its whisker, in the order the bars are drawn."""
    centres = np.arange(len(services), dtype=float)
    tops: list[tuple[float, float]] = []
    for index, period in enumerate(periods):
        middle, low, high = (
            v.sel(service=services, period=period).values for v in median_range(values)
        )
        tops += [(float(m), float(h)) for m, h in zip(middle, high, strict=True)]
        positions, bars = bar_group(
            axis,
            centres,
            index,
            len(periods),
            middle,
            PERIOD_SHADES[index % len(PERIOD_SHADES)],
            PERIOD_HATCHES[index % len(PERIOD_HATCHES)],
        )
        handles.setdefault(f"first {period:g} days", bars)
        whiskers = error_bars(axis, positions, middle, low, high)
        if whiskers is not None:
            handles.setdefault(WHISKER_LABEL, whiskers)
    # Slanted: four service names side by side do not fit a third of a page width.
    axis.set_xticks(centres, [str(s) for s in services], rotation=20, ha="right")
    axis.tick_params(axis="x", labelsize=points("small"))
    axis.yaxis.set_major_formatter(thousands)
    axis.set_ylim(bottom=0)
    return tops


def standards_figure(summary: xr.Dataset, results: xr.Dataset) -> Figure:
    """Each facility that lost care against humanitarian minimum standards (one panel
    per indicator of ``data/standards.toml``: inpatient beds per 10,000 people,
    consultations per person per year; units per indicator), before the strike, at
    the worst day and at the horizon, with the threshold as a dashed line labelled
    with its source.

    Raises ValueError when the summary has no standards indicators with values.
    """
    if "standard_value" not in summary:
        raise ValueError("no humanitarian-standard indicators in the summary")
    data, notes = select_first(summary, results=results)
    values = data["standard_value"]
    indicators = [
        i for i in values["indicator"].values if bool(values.sel(indicator=i).notnull().any())
    ]
    if not indicators:
        raise ValueError("no humanitarian-standard indicator could be computed")
    facilities = struck_facilities(data)
    moments = [str(m) for m in values["moment"].values]
    moment_names = {"before": "before\nstrike", "worst": "worst\nday", "at_horizon": "at\nhorizon"}
    caption = caption_text(results, [*notes, draws_note(summary)])
    columns = panel_columns(len(indicators))
    rows = math.ceil(len(indicators) / columns)
    height = 1.8 if narrow() else 2.5
    with apply_style():
        frame = framed(height * rows, caption)
        axes = frame.body.subplots(rows, columns, squeeze=False).ravel()
        handles: dict[str, Any] = {}
        centres = np.arange(len(moments), dtype=float)
        for axis, indicator in zip(axes, indicators, strict=True):
            peak = _standard_bars(axis, data, indicator, facilities, moments, handles)
            _threshold_line(axis, data, indicator, peak, handles)
            axis.set_xticks(centres, [moment_names.get(m, m) for m in moments])
            name = str(data["indicator_long_name"].sel(indicator=indicator).item())
            panel_title(axis, name, width_in() / columns)
            # The title names the indicator; its units differ from panel to panel.
            axis.set_ylabel(wrapped(indicator_units(data, indicator), points("text"), height - 0.8))
        subject = "Humanitarian minimum standards"
        if len(facilities) == 1:
            subject += f" — {facility_label(data, facilities[0])}"
        return frame.finish(handles, subject)


_COMPARISON_WORDS = {">=": "≥", "<=": "≤"}


def indicator_units(data: xr.Dataset, indicator: Hashable) -> str:
    """The units of a standard's indicator in words: its ``unit_label`` in
    ``data/standards.toml`` ("beds per 10,000 people"), else its long name."""
    entry = load_standards().get(str(indicator), {})
    label = entry.get("unit_label")
    if isinstance(label, str) and label.strip():
        return label
    return str(data["indicator_long_name"].sel(indicator=indicator).item())


_FACILITY_COLOURS = tuple(OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "orange"))
_FACILITY_HATCHES = ("", "///", "...", "xx")


def _standard_bars(
    axis: Axes,
    data: xr.Dataset,
    indicator: Hashable,
    facilities: list[Hashable],
    moments: list[str],
    handles: dict[str, Any],
) -> float:
    """One indicator's bars per facility and moment, with whiskers; returns the
    highest bar or whisker (0 at least)."""
    at_indicator = data["standard_value"].sel(indicator=indicator)
    centres = np.arange(len(moments), dtype=float)
    peak = 0.0
    for index, facility in enumerate(facilities):
        middle, low, high = (
            v.sel(facility=facility, moment=moments).values for v in median_range(at_indicator)
        )
        positions, bars = bar_group(
            axis,
            centres,
            index,
            len(facilities),
            middle,
            _FACILITY_COLOURS[index % len(_FACILITY_COLOURS)],
            _FACILITY_HATCHES[index % len(_FACILITY_HATCHES)],
        )
        if len(facilities) > 1:
            handles.setdefault(facility_label(data, facility), bars)
        # A bar of height zero is invisible: say that it is zero, not missing.
        for position, value in zip(positions, middle, strict=True):
            if value == 0:
                axis.annotate(
                    "0",
                    xy=(position, 0),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=points("tiny"),
                )
        whiskers = error_bars(axis, positions, middle, low, high)
        if whiskers is not None:
            handles.setdefault(WHISKER_LABEL, whiskers)
        peak = max(peak, float(np.nanmax(np.append(high, 0.0))))
    return peak


def _threshold_line(
    axis: Axes, data: xr.Dataset, indicator: Hashable, peak: float, handles: dict[str, Any]
) -> None:
    """The indicator's minimum standard as a dashed line, labelled, and room above it."""
    threshold = float(data["standard_threshold"].sel(indicator=indicator))
    verified = bool(data["threshold_verified"].sel(indicator=indicator))
    comparison = str(data["standard_comparison"].sel(indicator=indicator).item())
    label = ""
    if "standard_source_label" in data.coords:
        label = str(data["standard_source_label"].sel(indicator=indicator).item())
    notes = [note for note in (label, "" if verified else "unverified") if note]
    line = axis.axhline(threshold, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
    handles.setdefault("minimum standard (threshold)", line)
    axis.annotate(
        f"{_COMPARISON_WORDS.get(comparison, comparison)} {threshold:g}"
        + (f" ({'; '.join(notes)})" if notes else ""),
        xy=(1.0, threshold),
        xycoords=("axes fraction", "data"),
        xytext=(0, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=points("tiny"),
    )
    axis.set_ylim(0, 1.25 * max(peak, threshold))
