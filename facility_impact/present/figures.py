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
    block_title,
    caption_lines,
    draw_caption,
    facility_label,
    finish_strips,
    panel_title,
    snapped_constrained_layout,
    stacked_grid,
    wrapped,
)
from facility_impact.present.labels import axis_label, dim_labels, quantity
from facility_impact.present.style import (
    SERIES,
    apply_style,
    narrow,
    points,
    width_in,
)
from facility_impact.present.time_axis import (
    closed_share,
    date_axis,
    full_capacity_strip,
    label_strikes,
    shade_closures,
    strikes_of,
)
from facility_impact.results.saved import CLOSED_SHARE, draw_count, has_bands, median_day
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
_STRIP_SHARE = 0.16
"""Height of the strip of days at full capacity under a panel of the load figure,
as a share of the panel's height."""


def representative(results: xr.Dataset) -> tuple[xr.Dataset, str]:
    """One realisation to draw: the median over ``draw``, the first element of any other extra dim.

    Returns the reduced Dataset and a note for the caption ("" if nothing was reduced).
    :func:`capacity_figure` adds the band over draws (:func:`draw_bands`) to the median.
    """
    # Dropping the other variables (rather than selecting these) keeps the strike coordinates.
    kept = (*_FIGURE_VARIABLES, CLOSED_SHARE)
    data = results.drop_vars([name for name in results.data_vars if name not in kept])
    extra_dims = ensemble_dims(results["capacity"])
    notes = []
    if has_bands(results):
        # A --save summary file: the stored median band (and share of draws closed).
        notes.append(f"median of {draw_count(results)} draws")
        data = median_day(data)
    elif DRAW_DIM in extra_dims:
        notes.append(f"median of {data.sizes['draw']} draws")
        if "is_open" in data and DRAW_DIM in data["is_open"].dims:
            # Closures differ by draw: the share of draws closed on each day.
            data["closed_share"] = closed_share(data["is_open"])
        data = data.median("draw", keep_attrs=True)
    names = dim_labels(results, [d for d in extra_dims if d != DRAW_DIM])
    for dim in extra_dims:
        if dim == DRAW_DIM:
            continue
        first = data[dim].values[0] if dim in data.coords else 0
        if dim == "scenario" and "scenario_label" in data.coords:
            first = data["scenario_label"].values[0]
        elif isinstance(first, float | np.floating):
            first = f"{first:g}"
        notes.append(f"first {names[dim]} ({first})")
        data = data.isel({dim: 0})
    return data, "; ".join(notes)


def draw_bands(results: xr.Dataset, names: tuple[str, ...] = ("capacity", "demand")) -> xr.Dataset:
    """The 5th and 95th percentiles over ``draw`` of each variable in ``names``
    (``<name>_low``, ``<name>_high``, same units), at the first element of every
    other extra dim, as :func:`representative` selects. Empty without draws.

    The percentiles are :data:`facility_impact.results.summary.QUANTILES`, the range the
    summary tables print, so the band and the tabled ranges mean the same thing.
    """
    banded = has_bands(results)
    if "draw" not in results["capacity"].dims and not banded:
        return xr.Dataset()
    others = {dim: 0 for dim in ensemble_dims(results["capacity"]) if dim != DRAW_DIM}
    low, high = QUANTILES[0], QUANTILES[-1]
    bands = {}
    for name in names:
        spread_dim = "quantile" if banded else "draw"
        if spread_dim not in results[name].dims:
            continue  # the same in every draw: no band
        variable = results[name].isel({d: 0 for d in others if d in results[name].dims})
        if banded:  # a --save summary file keeps these percentiles of every day
            spread = variable.sel(quantile=[low, high])
        else:
            spread = variable.quantile([low, high], dim="draw", keep_attrs=True)
        for suffix, q in (("low", low), ("high", high)):
            bands[f"{name}_{suffix}"] = spread.sel(quantile=q, drop=True).drop_vars(
                [d for d in others if d in spread.coords]
            )
    return xr.Dataset(bands)


def capacity_figure(results: xr.Dataset) -> Figure:
    """Capacity and demand of each service over time [patient d-1], one panel per service.

    With draws, each line is the median over draws and a shaded band spans the
    5th to 95th percentile (:func:`draw_bands`). Baseline capacity is a wide pale
    band under the lines. Days closed in at least half of the draws are shaded;
    with draws, days closed in fewer (but at least 5 %) are hatched, so the shading
    shows how long closures last across the draws. Strikes are vertical lines.
    The x axis is the date, or days since t = 0 [d]. In a network, only facilities
    whose capacity departs from baseline are drawn (the caption names the others),
    each with the services it offers.
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
    return _panel_figure(
        data,
        panels,
        _draw_capacity_series,
        subject=subject,
        y_label=axis_label(data["capacity"], " and demand"),
        notes=[f"shown: {note}" if note else "", not_drawn],
        results=results,
    )


def load_figure(results: xr.Dataset) -> Figure:
    """Load on each receiving facility over time [patient d-1]: capacity, its own demand,
    and the arrivals from other facilities stacked on that demand.

    One row of panels per receiving facility, one panel per service whose arrivals
    over the run reach :data:`LOAD_SHARE` of its baseline volume. Where the top of
    the band rises above capacity, arrivals overflowed; the days on which the
    facility ran at full capacity with arrivals are marked in a strip of their own
    under each panel, apart from the data.
    """
    data, note = representative(results)
    panels = _load_panels(data)
    if not panels:
        raise ValueError("no facility received patients from other facilities: nothing to draw")
    return _panel_figure(
        data,
        panels,
        _draw_load_series,
        subject="Load on receiving facilities",
        y_label=axis_label(data["capacity"], " and demand"),
        notes=[f"shown: {note}" if note else ""],
        results=results,
        full_days=True,
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
    notes: list[str],
    results: xr.Dataset,
    full_days: bool = False,
) -> Figure:
    """A figure with one block of panels per facility (``panels``: facility -> services),
    the legend on top and the caption below; with ``full_days``, a strip of days at
    full capacity under each panel. Two columns of panels at either width: a time
    axis reads at half the column."""
    # Imported here: matplotlib is optional for the package.
    from matplotlib.figure import Figure

    facilities = list(panels)
    columns = 1 if max(len(s) for s in panels.values()) == 1 else 2
    panel_height = (1.15 if narrow() else 1.6) * (1 + (_STRIP_SHARE if full_days else 0))
    label_height = 0.42 if narrow() else 0.38
    facility_heights = []
    for facility in facilities:
        rows = math.ceil(len(panels[facility]) / columns)
        height = rows * panel_height + label_height
        if len(facilities) > 1:
            height += label_height  # each facility's own title
        facility_heights.append(height)
    with apply_style():
        lines = caption_lines(results, notes)
        figure = Figure(layout=snapped_constrained_layout()())
        handles: dict[str, Any] = {}
        heights = [0.3, *facility_heights, 0.1 + 0.13 * len(lines)]
        strips, grid = stacked_grid(figure, heights)
        for subfigure, facility in zip(strips[1:-1], facilities, strict=True):
            _draw_facility(
                subfigure,
                data,
                facility,
                panels[facility],
                (columns, full_days),
                handles,
                draw_series,
            )
            rows = math.ceil(len(panels[facility]) / columns)
            subfigure.supylabel(
                wrapped(y_label, points("text"), rows * panel_height), fontsize=points("text")
            )
            subfigure.supxlabel(axis_label(data["time"]), fontsize=points("text"))
            if len(facilities) > 1:
                block_title(subfigure, facility_label(data, facility))
        if len(facilities) == 1:
            subject += f" — {facility_label(data, facilities[0])}"
        draw_caption(strips[-1], lines)
        return finish_strips(figure, strips[0], grid, heights, handles, subject)


def _draw_facility(
    subfigure: SubFigure,
    data: xr.Dataset,
    facility: Hashable,
    services: list[Hashable],
    layout: tuple[int, bool],
    handles: dict[str, Any],
    draw_series: SeriesDrawer,
) -> None:
    """Panels of one facility: ``draw_series`` draws the figure's own series; baseline
    capacity, closures and strikes on this facility are drawn the same in every
    figure. ``layout`` is (columns, whether each panel has a strip of full days)."""
    columns, with_strips = layout
    rows = math.ceil(len(services) / columns)
    axes, strips = _panel_axes(subfigure, rows, columns, with_strips)
    at_facility = data.sel(facility=facility)
    time = data["time"]
    is_date = np.issubdtype(time.dtype, np.datetime64)
    strikes = strikes_of(data, facility)
    for index, (axis, service) in enumerate(zip(axes, services, strict=False)):
        at_service = at_facility.sel(service=service)
        peaks = draw_series(axis, at_service, time, handles)
        if "baseline_capacity" in at_service:
            baseline = at_service["baseline_capacity"]
            peaks.append(float(baseline))
            line = axis.axhline(float(baseline), zorder=1.2, **SERIES["baseline"])
            handles.setdefault(quantity(baseline), line)
        shade_closures(axis, at_facility, time, handles)
        if with_strips:
            full = at_full_capacity(at_service).values if "received" in at_service else None
            full_capacity_strip(strips[index], full, time, handles)
        label_strikes(axis, strikes, time, handles, labelled=index == 0)
        panel_title(axis, str(service), width_in() / columns)
        top = _top(peaks)
        # A little room below zero and left of t = 0, so that zero capacity and a
        # strike on the first day are not hidden by the axis spines.
        axis.set_ylim(bottom=-0.03 * top, top=top)
        axis.margins(x=0.015)
        bottom_axis = strips[index] if with_strips else axis
        if is_date:
            date_axis(bottom_axis)
    # An odd number of services leaves one empty cell; the panel above it keeps its dates.
    for index in range(len(services), len(axes)):
        axes[index].remove()
        if with_strips:
            strips[index].remove()
        above = strips[index - columns] if with_strips else axes[index - columns]
        above.xaxis.set_tick_params(labelbottom=True)


def _panel_axes(
    subfigure: SubFigure, rows: int, columns: int, with_strips: bool
) -> tuple[list[Axes], list[Axes]]:
    """The panels of one facility, row by row; with strips, each panel's strip below it
    (sharing its time axis)."""
    if not with_strips:
        return list(subfigure.subplots(rows, columns, sharex=True, squeeze=False).ravel()), []
    grid = subfigure.add_gridspec(
        2 * rows, columns, height_ratios=[1.0, _STRIP_SHARE] * rows, hspace=0.0
    )
    axes: list[Axes] = []
    strips: list[Axes] = []
    for row in range(rows):
        for column in range(columns):
            axis = subfigure.add_subplot(grid[2 * row, column], sharex=axes[0] if axes else None)
            strip = subfigure.add_subplot(grid[2 * row + 1, column], sharex=axis)
            # The strip below carries the dates: no tick marks between panel and strip.
            axis.xaxis.set_tick_params(labelbottom=False, bottom=False)
            axes.append(axis)
            strips.append(strip)
    return axes, strips


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
                handles.setdefault(f"{quantity(name)}, 5th–95th percentile", band)
            peaks.append(float(np.max(high)))
        (line,) = axis.plot(time.values, at_service[name].values, zorder=2.5, **SERIES[name])
        handles.setdefault(quantity(name), line)
        peaks.append(float(at_service[name].max()))
    return peaks


def _draw_load_series(
    axis: Axes, at_service: xr.Dataset, time: xr.DataArray, handles: dict[str, Any]
) -> list[float]:
    """Capacity, own demand and the arrivals stacked on it."""
    capacity, demand, arrivals = (
        at_service["capacity"],
        at_service["demand"],
        at_service["arrivals"],
    )
    load = demand.values + arrivals.values
    band = axis.fill_between(time.values, demand.values, load, **SERIES["arrivals"])
    (line,) = axis.plot(time.values, capacity.values, zorder=2.5, **SERIES["capacity"])
    handles.setdefault(quantity("capacity"), line)
    (line,) = axis.plot(time.values, demand.values, zorder=2.5, **SERIES["demand"])
    handles.setdefault(quantity("demand"), line)
    handles.setdefault(quantity("arrivals"), band)
    return [float(capacity.max()), float(np.max(load))]


def _top(peaks: list[float]) -> float:
    # Headroom above the highest series so strike labels do not sit on the data.
    peak = max([value for value in peaks if np.isfinite(value)] or [1.0])
    return 1.3 * peak if peak > 0 else 1.0
