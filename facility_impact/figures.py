"""Figures drawn from the result Dataset alone, so any figure can be rebuilt from its NetCDF.

matplotlib is imported inside the functions: the model core, and ``import
facility_impact``, must work without it. Figures are plain
:class:`matplotlib.figure.Figure` objects, never pyplot ones, so nothing stays
registered in pyplot's global list of open figures.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.io import atomic_path
from facility_impact.style import FULL_WIDTH_IN, PNG_DPI, SERIES, apply_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase

CORE_DIMS = ("facility", "service", "time")
"""The dims a figure panel is drawn over; any other dim is reduced first."""

_FIGURE_VARIABLES = ("capacity", "demand", "baseline_capacity", "is_open")
_PANEL_HEIGHT_IN = 1.75
_AXIS_LABEL_HEIGHT_IN = 0.35
_TITLE_HEIGHT_IN = 0.3
_LEGEND_HEIGHT_IN = 0.3
_CAPTION_HEIGHT_IN = 0.25
_STRIKE_LABEL_CHARACTERS = 32


def label_from_attrs(da: xr.DataArray, extra: str = "") -> str:
    """An axis label "long_name[extra] [units]" from ``da.attrs``.

    Units "1" (a fraction) are shown as "fraction"; without units only the name
    is shown. Without a ``long_name`` the variable's name stands in.
    """
    name = da.attrs.get("long_name") or da.attrs.get("standard_name") or da.name or ""
    units = str(da.attrs.get("units", "")).strip()
    if units == "1":
        units = "fraction"
    label = f"{name}{extra}"
    return f"{label} [{units}]" if units else label


def representative(results: xr.Dataset) -> tuple[xr.Dataset, str]:
    """One realisation to draw: the median over ``draw``, the first element of any other extra dim.

    Returns the reduced Dataset and a note for the caption ("" if nothing was reduced).
    Ensemble figures will replace this with bands; until then the caption says what is shown.
    """
    # Dropping the other variables (rather than selecting these) keeps the strike coordinates.
    data = results.drop_vars([name for name in results.data_vars if name not in _FIGURE_VARIABLES])
    extra_dims = [dim for dim in results["capacity"].dims if dim not in CORE_DIMS]
    notes = []
    if "draw" in extra_dims:
        notes.append(f"median of {data.sizes['draw']} draws")
        data = data.median("draw", keep_attrs=True)
    for dim in extra_dims:
        if dim == "draw":
            continue
        first = data[dim].values[0] if dim in data.coords else 0
        notes.append(f"first {dim} ({first})")
        data = data.isel({dim: 0})
    return data, "; ".join(notes)


def capacity_figure(results: xr.Dataset) -> Figure:
    """Capacity and demand of each service over time [patient d-1], one panel per service.

    Baseline capacity is dotted, closure periods (``is_open`` = 0) are shaded, and
    strikes are vertical lines. The x axis is the date, or days since t = 0 [d].
    """
    from matplotlib.figure import Figure

    data, note = representative(results)
    facilities = list(data["facility"].values)
    services = list(data["service"].values)
    columns = 1 if len(services) == 1 else 2
    rows = math.ceil(len(services) / columns)
    facility_height = rows * _PANEL_HEIGHT_IN + _AXIS_LABEL_HEIGHT_IN
    if len(facilities) > 1:
        facility_height += _AXIS_LABEL_HEIGHT_IN  # each facility's own title
    heights = [_LEGEND_HEIGHT_IN, *([facility_height] * len(facilities)), _CAPTION_HEIGHT_IN]

    with apply_style():
        figure = Figure(
            figsize=(FULL_WIDTH_IN, sum(heights) + _TITLE_HEIGHT_IN), layout="constrained"
        )
        # Legend and caption get their own strips: constrained layout makes no room
        # for a figure-level legend or text once the figure holds subfigures.
        strips = figure.subfigures(len(heights), 1, height_ratios=heights, hspace=0)
        legend_strip, caption_strip = strips[0], strips[-1]
        handles: dict[str, Any] = {}
        for subfigure, facility in zip(strips[1:-1], facilities, strict=True):
            _draw_facility(subfigure, data, facility, rows, columns, handles)
            if len(facilities) > 1:
                subfigure.suptitle(_facility_label(data, facility), fontsize="medium")

        strike_count = len(_strikes_of(data, None))
        subject = "Capacity and demand"
        if strike_count:
            subject += " after the strike" + ("s" if strike_count > 1 else "")
        if len(facilities) == 1:
            subject += f" — {_facility_label(data, facilities[0])}"
        figure.suptitle(subject)
        legend_strip.legend(
            list(handles.values()),
            list(handles.keys()),
            loc="center",
            ncols=len(handles),
            handlelength=2.6,
            columnspacing=1.4,
        )
        caption_strip.text(
            0.01,
            0.5,
            _caption(results, note),
            ha="left",
            va="center",
            fontsize=7,
            color="#505050",
        )
    return figure


def save_figure(figure: Figure, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``<stem>.png`` (200 dpi) and ``<stem>.svg`` into ``out_dir``, each atomically.

    Output is byte-reproducible: no dates or software versions in the metadata,
    SVG element ids come from a fixed salt, and clip-path ids are renumbered.
    """
    formats: dict[str, dict[str, Any]] = {
        "png": {"dpi": PNG_DPI, "metadata": {"Software": None}},
        "svg": {"metadata": {"Date": None, "Creator": None}},
    }
    paths = []
    with apply_style():
        for extension, options in formats.items():
            target = Path(out_dir) / f"{stem}.{extension}"
            with atomic_path(target) as temporary:
                # The temporary name ends in ".part", so the format cannot be guessed from it.
                if extension == "svg":
                    buffer = io.BytesIO()
                    figure.savefig(buffer, format=extension, **options)
                    temporary.write_bytes(_renumber_clip_paths(buffer.getvalue()))
                else:
                    figure.savefig(temporary, format=extension, **options)
            paths.append(target)
    return paths


_SVG_CLIP_ID = re.compile(rb'(?<=id=")p[0-9a-f]{10}(?=")|(?<=url\(#)p[0-9a-f]{10}(?=\))')


def _renumber_clip_paths(svg: bytes) -> bytes:
    """Replace matplotlib's clip-path ids by their order of first appearance.

    The ids hash the clip rectangle at full float precision, and constrained
    layout's solver (kiwisolver) differs in the last bit from one layout to the
    next, so the same figure drawn twice would get different ids.
    """
    numbers: dict[bytes, bytes] = {}

    def renumber(match: re.Match[bytes]) -> bytes:
        return numbers.setdefault(match.group(0), b"clip%d" % (len(numbers) + 1))

    return _SVG_CLIP_ID.sub(renumber, svg)


def write_capacity_figure(results: xr.Dataset, out_dir: str | Path) -> list[Path]:
    """Draw :func:`capacity_figure` and save it as ``<configuration_name>-capacity`` PNG and SVG."""
    name = str(results.attrs.get("configuration_name", "")).strip() or "results"
    return save_figure(capacity_figure(results), out_dir, f"{name}-capacity")


def _draw_facility(
    subfigure: FigureBase,
    data: xr.Dataset,
    facility: Hashable,
    rows: int,
    columns: int,
    handles: dict[str, Any],
) -> None:
    axes = subfigure.subplots(rows, columns, sharex=True, squeeze=False).ravel()
    at_facility = data.sel(facility=facility)
    services = list(data["service"].values)
    time = data["time"]
    is_date = np.issubdtype(time.dtype, np.datetime64)
    closures = _closed_spans(at_facility, time) if "is_open" in at_facility else []
    strikes = _strikes_of(data, facility)

    for index, (axis, service) in enumerate(zip(axes, services, strict=False)):
        at_service = at_facility.sel(service=service)
        for name in ("capacity", "demand"):
            (line,) = axis.plot(time.values, at_service[name].values, **SERIES[name])
            handles.setdefault(at_service[name].attrs.get("long_name", name), line)
        if "baseline_capacity" in at_service:
            baseline = at_service["baseline_capacity"]
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
                left = _position(time, x) > 0.6
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
        top = _top(at_service)
        # A little room below zero and left of t = 0, so that zero capacity and a
        # strike on the first day are not hidden by the axis spines.
        axis.set_ylim(bottom=-0.03 * top, top=top)
        axis.margins(x=0.015)
        if is_date:
            _date_axis(axis)

    # An odd number of services leaves one empty cell; the panel above it keeps its dates.
    for index in range(len(services), len(axes)):
        axes[index].remove()
        axes[index - columns].xaxis.set_tick_params(labelbottom=True)

    capacity, demand = at_facility["capacity"], at_facility["demand"]
    extra = ""
    if demand.attrs.get("units") == capacity.attrs.get("units"):
        extra = f" and {demand.attrs.get('long_name', 'demand')}"
    subfigure.supylabel(label_from_attrs(capacity, extra=extra), fontsize="medium")
    subfigure.supxlabel(label_from_attrs(time), fontsize="medium")


def _top(at_service: xr.Dataset) -> float:
    # Headroom above the highest series so strike labels do not sit on the data.
    peaks = [float(at_service[name].max()) for name in ("capacity", "demand")]
    if "baseline_capacity" in at_service:
        peaks.append(float(at_service["baseline_capacity"]))
    peak = max([value for value in peaks if np.isfinite(value)] or [1.0])
    return 1.3 * peak if peak > 0 else 1.0


def _date_axis(axis: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(_first_tick_year_formatter()(locator))


@functools.cache
def _first_tick_year_formatter() -> type:
    """ConciseDateFormatter that also gives the year on the first visible tick.

    With month ticks across a new year, ConciseDateFormatter shows the year only at
    January and drops its offset, so the months before January have no year at all.
    """
    import matplotlib.dates as mdates

    class FirstTickYearFormatter(mdates.ConciseDateFormatter):
        def format_ticks(self, values: Any) -> list[str]:
            labels = list(super().format_ticks(values))
            if not labels or self.get_offset() or self.axis is None:
                return labels
            low = min(self.axis.get_view_interval())
            visible = [index for index, value in enumerate(values) if value >= low - 1e-9]
            if visible:
                first = visible[0]
                year = mdates.num2date(values[first]).strftime("%Y")
                if year not in labels[first]:
                    labels[first] = f"{labels[first]}\n{year}"
            return labels

    return FirstTickYearFormatter


def _time_step(time: xr.DataArray) -> Any:
    if time.size > 1:
        return time.values[1] - time.values[0]
    return np.timedelta64(1, "D") if np.issubdtype(time.dtype, np.datetime64) else 1


def _closed_spans(at_facility: xr.Dataset, time: xr.DataArray) -> list[tuple[Any, Any]]:
    # A closed day covers [t, t + 1 day): a span ends where the next open day starts.
    closed = np.asarray(at_facility["is_open"].values < 0.5, dtype=np.int8)
    edges = np.diff(np.concatenate([[0], closed, [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    values = time.values
    end_value = values[-1] + _time_step(time)
    return [
        (values[start], values[end] if end < values.size else end_value)
        for start, end in zip(starts, ends, strict=True)
    ]


def _strikes_of(data: xr.Dataset, facility: Hashable | None) -> list[tuple[Any, str]]:
    """(x position, label) of each strike on ``facility`` (of all strikes if None)."""
    if "strike_day" not in data.coords or data.sizes.get("strike", 0) == 0:
        return []
    days = np.atleast_1d(data["strike_day"].values)
    targets = (
        np.atleast_1d(data["strike_facility"].values)
        if "strike_facility" in data.coords
        else np.full(days.shape, facility)
    )
    labels = (
        np.atleast_1d(data["strike_label"].values)
        if "strike_label" in data.coords
        else np.full(days.shape, "")
    )
    rows = []
    for number, (day, target, label) in enumerate(zip(days, targets, labels, strict=True)):
        # A NaN day is a strike this scenario does not have (or switches off).
        if np.isnan(day) or (facility is not None and target != facility):
            continue
        text = str(label).strip() or f"strike {number + 1}"
        if len(text) > _STRIKE_LABEL_CHARACTERS:
            text = text[: _STRIKE_LABEL_CHARACTERS - 1].rstrip() + "…"
        rows.append((_x_of_day(data, float(day)), text))
    return rows


def _position(time: xr.DataArray, x: Any) -> float:
    """Where ``x`` lies along the time axis, 0 at the first day, 1 at the last."""
    span = time.values[-1] - time.values[0]
    return float((x - time.values[0]) / span) if time.size > 1 else 0.0


def _x_of_day(data: xr.Dataset, day: float) -> Any:
    time = data["time"]
    first_day = float(data["day"].values[0]) if "day" in data.coords else 0.0
    offset = day - first_day
    if np.issubdtype(time.dtype, np.datetime64):
        return time.values[0] + np.timedelta64(round(offset * 86400), "s")
    return time.values[0] + offset


def _facility_label(data: xr.Dataset, facility: Hashable) -> str:
    if "facility_label" in data.coords:
        label = str(data["facility_label"].sel(facility=facility).values).strip()
        if label:
            return label
    return str(facility)


def _caption(results: xr.Dataset, note: str) -> str:
    attrs = results.attrs
    parts = [
        f"configuration: {attrs.get('configuration_name', 'unknown')}",
        f"seed {attrs.get('seed', 'unknown')}",
        f"facility_impact {attrs.get('facility_impact_version', 'unknown')}",
    ]
    if note:
        parts.append(f"shown: {note}")
    return " · ".join(parts)
