"""Figures of the headline numbers per facility: forgone care, the care of displaced
people and care received elsewhere by service, and the humanitarian minimum standards.

Each bar is a number of the summary tables (:mod:`facility_impact.present.headline`);
the caption names the configuration, the seed and what was selected from dims the
figure does not show. matplotlib is imported inside the functions, as in
:mod:`facility_impact.present.canvas`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.canvas import draw_legend, facility_label, label_from_attrs
from facility_impact.present.headline import SHOWN_PERIODS_DAYS
from facility_impact.present.style import OKABE_ITO, PERIOD_HATCHES, PERIOD_SHADES, apply_style
from facility_impact.present.summary_axes import (
    WHISKER_LABEL,
    bar_group,
    caption_text,
    draws_note,
    error_bars,
    framed,
    median_range,
    offered_mask,
    select_first,
    struck_facilities,
    thousands,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def forgone_figure(summary: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care, the care of displaced people (where anyone left) and care served
    elsewhere per service [patient], cumulative at 30, 90 and 365 days after the
    first strike (those that fit the run).

    One row of panels per facility that lost care; bars are the median over draws
    and whiskers the 5th–95th percentile (the numbers of the summary table). No bar
    adds services together. Raises ValueError when no shown window fits the run.
    """
    periods = [p for p in SHOWN_PERIODS_DAYS if _period_has_values(summary, p)]
    if not periods:
        raise ValueError("no window of 30, 90 or 365 days fits the run: nothing to draw")
    data, notes = select_first(summary)
    facilities = struck_facilities(data)
    displaced = bool((data["displaced_total"].sel(facility=facilities) > 0).any())
    variables = (
        ("forgone_care", "displaced_total", "served_elsewhere_total")
        if displaced
        else ("forgone_care", "served_elsewhere_total")
    )
    if not displaced:
        notes.append("nobody left the area: no care of displaced people")
    caption = caption_text(results, [*notes, draws_note(summary)])
    with apply_style():
        figure, legend, body, _ = framed(2.6 * len(facilities), caption, legend_rows=1)
        rows = body.subfigures(len(facilities), 1, squeeze=False)[:, 0]
        handles: dict[str, Any] = {}
        for row, facility in zip(rows, facilities, strict=True):
            at_facility = data.sel(facility=facility)
            services = [
                s
                for s in at_facility["service"].values
                if bool(offered_mask(at_facility).sel(service=s))
            ]
            axes = row.subplots(1, len(variables), squeeze=False)[0]
            for axis, name in zip(axes, variables, strict=True):
                _period_bars(axis, at_facility[name], services, periods, handles)
                if len(variables) > 2:
                    # Three panels to a page width: steeper, smaller service names.
                    axis.tick_params(axis="x", labelrotation=40, labelsize="small")
                # Units on their own line: the long names do not fit the panel height.
                axis.set_ylabel(label_from_attrs(at_facility[name]).replace(" [", "\n[", 1))
                title = str(at_facility[name].attrs.get("long_name", name))
                axis.set_title(textwrap.fill(title, 26), loc="left")
            if len(facilities) > 1 or displaced:
                row.suptitle(facility_label(data, facility), fontsize="medium")
        subject = "Care forgone" + (", displaced" if displaced else "") + " and received elsewhere"
        if len(facilities) == 1 and not displaced:
            subject += f" — {facility_label(data, facilities[0])}"
        figure.suptitle(subject)
        # The whisker entry last, after the windows it belongs to.
        whisker = handles.pop(WHISKER_LABEL, None)
        if whisker is not None:
            handles[WHISKER_LABEL] = whisker
        draw_legend(legend, handles)
    return figure


def _period_has_values(summary: xr.Dataset, period: float) -> bool:
    periods = summary["period"].values
    return bool(period in periods and summary["forgone_care"].sel(period=period).notnull().any())


def _period_bars(
    axis: Axes,
    values: xr.DataArray,
    services: list[Hashable],
    periods: Sequence[float],
    handles: dict[str, Any],
) -> None:
    centres = np.arange(len(services), dtype=float)
    for index, period in enumerate(periods):
        middle, low, high = (
            v.sel(service=services, period=period).values for v in median_range(values)
        )
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
    # Slanted: four service names side by side do not fit half a page width.
    axis.set_xticks(centres, [str(s) for s in services], rotation=20, ha="right")
    axis.yaxis.set_major_formatter(thousands)
    axis.set_ylim(bottom=0)


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
    data, notes = select_first(summary)
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
    # Facility names are long: with more than two legend entries, two rows.
    entries = (len(facilities) if len(facilities) > 1 else 0) + 1 + ("quantile" in data.dims)
    with apply_style():
        figure, legend, body, _ = framed(2.7, caption, legend_rows=1 if entries <= 2 else 2)
        axes = body.subplots(1, len(indicators), squeeze=False)[0]
        handles: dict[str, Any] = {}
        centres = np.arange(len(moments), dtype=float)
        for axis, indicator in zip(axes, indicators, strict=True):
            peak = _standard_bars(axis, data, indicator, facilities, moments, handles)
            _threshold_line(axis, data, indicator, peak, handles)
            axis.set_xticks(centres, [moment_names.get(m, m) for m in moments])
            name = str(data["indicator_long_name"].sel(indicator=indicator).item())
            units = str(data["indicator_units"].sel(indicator=indicator).item())
            axis.set_title(textwrap.fill(name, 22), loc="left")
            # The title names the indicator; its units differ from panel to panel.
            axis.set_ylabel(units)
        subject = "Humanitarian minimum standards"
        if len(facilities) == 1:
            subject += f" — {facility_label(data, facilities[0])}"
        figure.suptitle(subject)
        draw_legend(legend, handles, rows=1 if entries <= 2 else 2)
    return figure


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
                    fontsize=7,
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
        f"{comparison} {threshold:g}" + (f" ({'; '.join(notes)})" if notes else ""),
        xy=(1.0, threshold),
        xycoords=("axes fraction", "data"),
        xytext=(0, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=7,
    )
    axis.set_ylim(0, 1.25 * max(peak, threshold))
