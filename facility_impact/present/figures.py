"""Figures over time drawn from the result Dataset alone, so any figure can be
rebuilt from its NetCDF: capacity and demand, and the load on receiving facilities.

matplotlib is imported inside the functions, as in :mod:`facility_impact.present.canvas`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.canvas import (
    caption,
    draw_legend,
    facility_label,
    label_from_attrs,
    snapped_constrained_layout,
    stacked_strips,
)
from facility_impact.present.style import FULL_WIDTH_IN, SERIES, apply_style
from facility_impact.present.time_axis import date_axis, position, spans, strikes_of
from facility_impact.results.summary import QUANTILES, at_full_capacity
from facility_impact.variables import DRAW_DIM, ensemble_dims

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure


SeriesDrawer = Callable[["Axes", xr.Dataset, xr.DataArray, dict[str, Any]], list[float]]
"""Draws a figure's own series on one panel; returns their peaks [patient d-1]."""

_FIGURE_VARIABLES = (
    "capacity",
    "demand",
    "baseline_capacity",
    "is_open",
    "served",
    "arrivals",
    "received",
)
LOAD_SHARE = 0.01
"""A service is drawn in the load figure when arrivals from other facilities over the
run reach this share of its baseline volume over the run [1]; smaller loads are in
the summary table only."""
# Capacity within this relative distance of baseline counts as unchanged (float rounding).
_RELATIVE_TOLERANCE = 1e-9
_PANEL_HEIGHT_IN = 1.75
_AXIS_LABEL_HEIGHT_IN = 0.35
_TITLE_HEIGHT_IN = 0.3
_LEGEND_HEIGHT_IN = 0.3
_CAPTION_HEIGHT_IN = 0.25
_CAPTION_LINE_HEIGHT_IN = 0.15


def representative(results: xr.Dataset) -> tuple[xr.Dataset, str]:
    """One realisation to draw: the median over ``draw``, the first element of any other extra dim.

    Returns the reduced Dataset and a note for the caption ("" if nothing was reduced).
    :func:`capacity_figure` adds the band over draws (:func:`draw_bands`) to the median.
    """
    # Dropping the other variables (rather than selecting these) keeps the strike coordinates.
    data = results.drop_vars([name for name in results.data_vars if name not in _FIGURE_VARIABLES])
    extra_dims = ensemble_dims(results["capacity"])
    notes = []
    if DRAW_DIM in extra_dims:
        notes.append(f"median of {data.sizes['draw']} draws")
        data = data.median("draw", keep_attrs=True)
    for dim in extra_dims:
        if dim == DRAW_DIM:
            continue
        first = data[dim].values[0] if dim in data.coords else 0
        notes.append(f"first {dim} ({first})")
        data = data.isel({dim: 0})
    return data, "; ".join(notes)


def draw_bands(results: xr.Dataset, names: tuple[str, ...] = ("capacity", "demand")) -> xr.Dataset:
    """The 5th and 95th percentiles over ``draw`` of each variable in ``names``
    (``<name>_low``, ``<name>_high``, same units), at the first element of every
    other extra dim, as :func:`representative` selects. Empty without draws.

    The percentiles are :data:`facility_impact.results.summary.QUANTILES`, the range the
    summary tables print, so the band and the tabled ranges mean the same thing.
    """
    if "draw" not in results["capacity"].dims:
        return xr.Dataset()
    others = {dim: 0 for dim in ensemble_dims(results["capacity"]) if dim != DRAW_DIM}
    low, high = QUANTILES[0], QUANTILES[-1]
    bands = {}
    for name in names:
        if "draw" not in results[name].dims:
            continue  # the same in every draw: no band
        variable = results[name].isel({d: 0 for d in others if d in results[name].dims})
        spread = variable.quantile([low, high], dim="draw", keep_attrs=True)
        for suffix, q in (("low", low), ("high", high)):
            bands[f"{name}_{suffix}"] = spread.sel(quantile=q, drop=True).drop_vars(
                [d for d in others if d in spread.coords]
            )
    return xr.Dataset(bands)


def capacity_figure(results: xr.Dataset) -> Figure:
    """Capacity and demand of each service over time [patient d-1], one panel per service.

    With draws, each line is the median over draws and a shaded band spans the
    5th to 95th percentile (:func:`draw_bands`). Baseline capacity is dotted,
    closure periods (``is_open`` = 0 in the median draw) are shaded, and strikes
    are vertical lines. The x axis is the date, or days since t = 0 [d]. In a
    network, only facilities whose capacity departs from baseline are drawn (the
    caption names the others), each with the services it offers.
    """
    data, note = representative(results)
    bands = draw_bands(results)
    if bands.data_vars:
        data = data.assign(bands.drop_vars([c for c in bands.coords if c in data.coords]))
        low, high = QUANTILES[0], QUANTILES[-1]
        note = note.replace(
            "median of", f"median and {low * 100:.0f}th–{high * 100:.0f}th percentile band of", 1
        )
    panels, not_drawn = _capacity_panels(data)
    strike_count = len(strikes_of(data, None))
    subject = "Capacity and demand"
    if strike_count:
        subject += " after the strike" + ("s" if strike_count > 1 else "")
    capacity, demand = data["capacity"], data["demand"]
    extra = ""
    if demand.attrs.get("units") == capacity.attrs.get("units"):
        extra = f" and {demand.attrs.get('long_name', 'demand')}"
    return _panel_figure(
        data,
        panels,
        _draw_capacity_series,
        subject=subject,
        y_label=label_from_attrs(capacity, extra=extra),
        caption=caption(results, ""),
        # What is shown on its own line: with draws and scenarios it fills a line.
        second_caption="\n".join(
            text for text in (f"shown: {note}" if note else "", not_drawn) if text
        ),
        legend_rows=2 if bands.data_vars else 1,
    )


def load_figure(results: xr.Dataset) -> Figure:
    """Load on each receiving facility over time [patient d-1]: capacity, its own demand,
    and the arrivals from other facilities stacked on that demand.

    One row of panels per receiving facility, one panel per service whose arrivals
    over the run reach :data:`LOAD_SHARE` of its baseline volume. Where the top of
    the band rises above capacity, arrivals overflowed; days on which the facility
    ran at full capacity with arrivals are marked along the bottom.
    """
    data, note = representative(results)
    panels = _load_panels(data)
    if not panels:
        raise ValueError("no facility received patients from other facilities: nothing to draw")
    capacity, demand = data["capacity"], data["demand"]
    extra = ""
    if demand.attrs.get("units") == capacity.attrs.get("units"):
        extra = f" and {demand.attrs.get('long_name', 'demand')}"
    # Units on a second line: a facility with one row of panels is too short for
    # the label on one line. The legend says that the band is the arrivals.
    y_label = label_from_attrs(capacity, extra=extra).replace(" [", "\n[", 1)
    return _panel_figure(
        data,
        panels,
        _draw_load_series,
        subject="Load on receiving facilities",
        y_label=y_label,
        caption=caption(results, note),
        second_caption="",
        legend_rows=2,  # seven series do not fit one row at full page width
    )


def has_load(results: xr.Dataset) -> bool:
    """Whether :func:`load_figure` has something to draw (results of a network run)."""
    if "arrivals" not in results:
        return False
    return bool(_load_panels(representative(results)[0]))


def _capacity_panels(data: xr.Dataset) -> tuple[dict[Hashable, list[Hashable]], str]:
    """Facilities to draw, each with its offered services, and a note on the others."""
    offered = data["baseline_capacity"] > 0
    if not bool(offered.any()):
        offered = xr.ones_like(offered)  # nothing offered anywhere: draw every panel
    changed = (
        (data["capacity"] < data["baseline_capacity"] * (1 - _RELATIVE_TOLERANCE))
        .any("time")
        .where(offered, False)
        .any("service")
    )
    if "is_open" in data:
        ever_open = (data["is_open"] > 0.5).any("time")
    else:
        ever_open = xr.ones_like(changed)
    facilities = [f for f in data["facility"].values if bool(offered.sel(facility=f).any())]
    never_open = [f for f in facilities if not bool(ever_open.sel(facility=f))]
    drawn = [f for f in facilities if f not in never_open and bool(changed.sel(facility=f))]
    # Nothing lost anywhere: draw every facility, so the figure still shows them.
    drawn = drawn or [f for f in facilities if f not in never_open] or facilities
    at_baseline = [f for f in facilities if f not in drawn and f not in never_open]
    notes = []
    if at_baseline:
        notes.append(f"{', '.join(map(str, at_baseline))} (capacity at baseline)")
    if never_open:
        notes.append(f"{', '.join(map(str, never_open))} (not open)")
    note = f"not drawn: {'; '.join(notes)}" if notes else ""
    services = list(data["service"].values)
    return {
        f: [s for s in services if bool(offered.sel(facility=f, service=s))] for f in drawn
    }, note


def _load_panels(data: xr.Dataset) -> dict[Hashable, list[Hashable]]:
    """Receiving facilities and their services with material arrivals (see LOAD_SHARE)."""
    arrived = data["arrivals"].sum("time")
    material = (arrived > 0) & (
        arrived >= LOAD_SHARE * data["baseline_capacity"] * data.sizes["time"]
    )
    panels = {}
    for facility in data["facility"].values:
        services = [
            s for s in data["service"].values if bool(material.sel(facility=facility, service=s))
        ]
        if services:
            panels[facility] = services
    return panels


def _panel_figure(
    data: xr.Dataset,
    panels: dict[Hashable, list[Hashable]],
    draw_series: SeriesDrawer,
    *,
    subject: str,
    y_label: str,
    caption: str,
    second_caption: str,
    legend_rows: int,
) -> Figure:
    """A figure with one block of panels per facility (``panels``: facility -> services),
    a legend strip of ``legend_rows`` rows on top and the caption below."""
    # Imported here: matplotlib is optional for the package.
    from matplotlib.figure import Figure

    facilities = list(panels)
    columns = 1 if max(len(services) for services in panels.values()) == 1 else 2
    facility_heights = []
    for facility in facilities:
        rows = math.ceil(len(panels[facility]) / columns)
        height = rows * _PANEL_HEIGHT_IN + _AXIS_LABEL_HEIGHT_IN
        if len(facilities) > 1:
            height += _AXIS_LABEL_HEIGHT_IN  # each facility's own title
        facility_heights.append(height)
    extra_lines = second_caption.count("\n") + 1 if second_caption else 0
    caption_height = _CAPTION_HEIGHT_IN + _CAPTION_LINE_HEIGHT_IN * extra_lines
    heights = [_LEGEND_HEIGHT_IN * legend_rows, *facility_heights, caption_height]

    with apply_style():
        figure = Figure(
            figsize=(FULL_WIDTH_IN, sum(heights) + _TITLE_HEIGHT_IN),
            layout=snapped_constrained_layout()(),
        )
        strips = stacked_strips(figure, heights)
        legend_strip, caption_strip = strips[0], strips[-1]
        handles: dict[str, Any] = {}
        for subfigure, facility in zip(strips[1:-1], facilities, strict=True):
            _draw_facility(
                subfigure, data, facility, panels[facility], columns, handles, draw_series
            )
            subfigure.supylabel(y_label, fontsize="medium")
            subfigure.supxlabel(label_from_attrs(data["time"]), fontsize="medium")
            if len(facilities) > 1:
                subfigure.suptitle(facility_label(data, facility), fontsize="medium")

        if len(facilities) == 1:
            subject += f" — {facility_label(data, facilities[0])}"
        figure.suptitle(subject)
        draw_legend(legend_strip, handles, rows=legend_rows, handlelength=2.6)
        caption_strip.text(
            0.01,
            0.5,
            caption + (f"\n{second_caption}" if second_caption else ""),
            ha="left",
            va="center",
            fontsize=7,
            color="#505050",
        )
    return figure


def _draw_facility(
    subfigure: SubFigure,
    data: xr.Dataset,
    facility: Hashable,
    services: list[Hashable],
    columns: int,
    handles: dict[str, Any],
    draw_series: SeriesDrawer,
) -> None:
    """Panels of one facility: ``draw_series`` draws the figure's own series; baseline
    capacity, closures and strikes on this facility are drawn the same in every figure."""
    rows = math.ceil(len(services) / columns)
    axes = subfigure.subplots(rows, columns, sharex=True, squeeze=False).ravel()
    at_facility = data.sel(facility=facility)
    time = data["time"]
    is_date = np.issubdtype(time.dtype, np.datetime64)
    closures = spans(at_facility["is_open"].values < 0.5, time) if "is_open" in at_facility else []
    strikes = strikes_of(data, facility)

    for index, (axis, service) in enumerate(zip(axes, services, strict=False)):
        at_service = at_facility.sel(service=service)
        peaks = draw_series(axis, at_service, time, handles)
        if "baseline_capacity" in at_service:
            baseline = at_service["baseline_capacity"]
            peaks.append(float(baseline))
            line = axis.axhline(float(baseline), zorder=1.5, **SERIES["baseline"])
            handles.setdefault(baseline.attrs.get("long_name", "baseline capacity"), line)
        for start, end in closures:
            patch = axis.axvspan(start, end, zorder=0, **SERIES["closure"])
            handles.setdefault("facility closed", patch)
        for number, (x, label) in enumerate(strikes):
            line = axis.axvline(x, **SERIES["strike"])
            handles.setdefault("strike", line)
            if index == 0:
                # One label per facility is enough; every panel shares the x axis.
                # Late strikes are labelled on the left so the text stays inside.
                left = position(time, x) > 0.6
                axis.annotate(
                    label,
                    xy=(x, 0.97 - 0.11 * number),
                    xycoords=("data", "axes fraction"),
                    xytext=(-3 if left else 3, 0),
                    textcoords="offset points",
                    ha="right" if left else "left",
                    va="top",
                    fontsize=7.5,
                    bbox={
                        "boxstyle": "square,pad=0.15",
                        "facecolor": "white",
                        "edgecolor": "none",
                        "alpha": 0.85,
                    },
                )
        axis.set_title(str(service), loc="left")
        top = _top(peaks)
        # A little room below zero and left of t = 0, so that zero capacity and a
        # strike on the first day are not hidden by the axis spines.
        axis.set_ylim(bottom=-0.03 * top, top=top)
        axis.margins(x=0.015)
        if is_date:
            date_axis(axis)

    # An odd number of services leaves one empty cell; the panel above it keeps its dates.
    for index in range(len(services), len(axes)):
        axes[index].remove()
        axes[index - columns].xaxis.set_tick_params(labelbottom=True)


def _draw_capacity_series(
    axis: Axes, at_service: xr.Dataset, time: xr.DataArray, handles: dict[str, Any]
) -> list[float]:
    """Capacity and demand lines, with their bands over draws where given; returns
    their peaks [patient d-1]."""
    peaks = []
    for name in ("capacity", "demand"):
        if f"{name}_low" in at_service:
            low, high = at_service[f"{name}_low"].values, at_service[f"{name}_high"].values
            # A band of zero width (the draws agree) would only add a legend entry.
            if np.any(high - low > _RELATIVE_TOLERANCE * max(float(np.max(high)), 1.0)):
                band = axis.fill_between(time.values, low, high, **SERIES[f"{name}_band"])
                handles.setdefault(
                    f"{at_service[name].attrs.get('long_name', name)}, 5th–95th percentile", band
                )
            peaks.append(float(np.max(high)))
        (line,) = axis.plot(time.values, at_service[name].values, **SERIES[name])
        handles.setdefault(at_service[name].attrs.get("long_name", name), line)
        peaks.append(float(at_service[name].max()))
    return peaks


def _draw_load_series(
    axis: Axes, at_service: xr.Dataset, time: xr.DataArray, handles: dict[str, Any]
) -> list[float]:
    """Capacity, own demand, arrivals stacked on it, and days at full capacity."""
    capacity, demand, arrivals = (
        at_service["capacity"],
        at_service["demand"],
        at_service["arrivals"],
    )
    (line,) = axis.plot(time.values, capacity.values, **SERIES["capacity"])
    handles.setdefault(capacity.attrs.get("long_name", "capacity"), line)
    (line,) = axis.plot(time.values, demand.values, **SERIES["demand"])
    handles.setdefault(demand.attrs.get("long_name", "demand"), line)
    load = demand.values + arrivals.values
    band = axis.fill_between(time.values, demand.values, load, **SERIES["arrivals"])
    handles.setdefault(arrivals.attrs.get("long_name", "arrivals"), band)
    for start, end in spans(at_full_capacity(at_service).values, time):
        patch = axis.axvspan(start, end, ymin=0, ymax=0.05, **SERIES["full_capacity"])
        handles.setdefault("at full capacity with arrivals", patch)
    return [float(capacity.max()), float(np.max(load))]


def _top(peaks: list[float]) -> float:
    # Headroom above the highest series so strike labels do not sit on the data.
    peak = max([value for value in peaks if np.isfinite(value)] or [1.0])
    return 1.3 * peak if peak > 0 else 1.0
