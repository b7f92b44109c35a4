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

from facility_impact.present.style import FULL_WIDTH_IN, PNG_DPI, SERIES, apply_style
from facility_impact.results.summary import QUANTILES, at_full_capacity
from facility_impact.run.io import atomic_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, FigureBase, SubFigure

CORE_DIMS = ("facility", "service", "time")
"""The dims a figure panel is drawn over; any other dim is reduced first."""

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
    :func:`capacity_figure` adds the band over draws (:func:`draw_bands`) to the median.
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


def draw_bands(results: xr.Dataset, names: tuple[str, ...] = ("capacity", "demand")) -> xr.Dataset:
    """The 5th and 95th percentiles over ``draw`` of each variable in ``names``
    (``<name>_low``, ``<name>_high``, same units), at the first element of every
    other extra dim, as :func:`representative` selects. Empty without draws.

    The percentiles are :data:`facility_impact.results.summary.QUANTILES`, the range the
    summary tables print, so the band and the tabled ranges mean the same thing.
    """
    if "draw" not in results["capacity"].dims:
        return xr.Dataset()
    others = {dim: 0 for dim in results["capacity"].dims if dim not in (*CORE_DIMS, "draw")}
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
    strike_count = len(_strikes_of(data, None))
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
        caption=_caption(results, ""),
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
        caption=_caption(results, note),
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
    draw_series: Any,
    *,
    subject: str,
    y_label: str,
    caption: str,
    second_caption: str,
    legend_rows: int,
) -> Figure:
    """A figure with one block of panels per facility (``panels``: facility -> services),
    a legend strip of ``legend_rows`` rows on top and the caption below."""
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
            layout=_snapped_constrained_layout()(),
        )
        # Legend and caption get their own strips: constrained layout makes no room
        # for a figure-level legend or text once the figure holds subfigures.
        strips = figure.subfigures(len(heights), 1, height_ratios=heights, hspace=0)
        legend_strip, caption_strip = strips[0], strips[-1]
        handles: dict[str, Any] = {}
        for subfigure, facility in zip(strips[1:-1], facilities, strict=True):
            _draw_facility(
                subfigure, data, facility, panels[facility], columns, handles, draw_series
            )
            subfigure.supylabel(y_label, fontsize="medium")
            subfigure.supxlabel(label_from_attrs(data["time"]), fontsize="medium")
            if len(facilities) > 1:
                subfigure.suptitle(_facility_label(data, facility), fontsize="medium")

        if len(facilities) == 1:
            subject += f" — {_facility_label(data, facilities[0])}"
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


def render_figure(figure: Figure) -> dict[str, bytes]:
    """The figure as PNG (200 dpi) and SVG file contents: ``{"png": ..., "svg": ...}``.

    Output is byte-reproducible: no dates or software versions in the metadata,
    SVG element ids come from a fixed salt, clip-path ids are renumbered, and the
    figures of this package round their layout (see ``_snapped_constrained_layout``).
    """
    formats: dict[str, dict[str, Any]] = {
        "png": {"dpi": PNG_DPI, "metadata": {"Software": None}},
        "svg": {"metadata": {"Date": None, "Creator": None}},
    }
    rendered = {}
    with apply_style():
        for extension, options in formats.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format=extension, **options)
            content = buffer.getvalue()
            rendered[extension] = _renumber_clip_paths(content) if extension == "svg" else content
    return rendered


def draw_legend(
    strip: SubFigure | None,
    handles: dict[str, Any],
    rows: int = 1,
    handlelength: float = 2.0,
) -> None:
    """The figure's legend, centred in its own ``strip`` in ``rows`` rows (none without handles).

    ``handlelength`` [font sizes]: longer where dashed line styles must show.
    """
    if strip is None or not handles:
        return
    strip.legend(
        list(handles.values()),
        list(handles.keys()),
        loc="center",
        ncols=math.ceil(len(handles) / rows),
        handlelength=handlelength,
        columnspacing=1.4,
    )


def save_figure(figure: Figure, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``<stem>.png`` (200 dpi) and ``<stem>.svg`` into ``out_dir``, each atomically
    (see :func:`render_figure`)."""
    paths = []
    for extension, content in render_figure(figure).items():
        target = Path(out_dir) / f"{stem}.{extension}"
        with atomic_path(target) as temporary:
            temporary.write_bytes(content)
        paths.append(target)
    return paths


# Layout positions are figure fractions; 1e-9 of a 6.3 in figure is far below a pixel.
_LAYOUT_DECIMALS = 9


@functools.cache
def _snapped_constrained_layout() -> type:
    """Constrained layout whose positions are rounded to :data:`_LAYOUT_DECIMALS`.

    The layout solver (kiwisolver) orders its variables by memory address, so the
    same figure laid out in two processes can differ in the last bit of a
    position, and that can move an antialiased edge by one PNG pixel value.
    Rounding every position the layout sets makes the files byte-reproducible.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.transforms import Bbox

    def snap_points(points: Any) -> Any:
        return np.round(np.asarray(points, dtype=float), _LAYOUT_DECIMALS)

    def snap(figure: FigureBase) -> None:
        for subfigure in figure.subfigs:
            subfigure.bbox_relative.set_points(snap_points(subfigure.bbox_relative.get_points()))
            snap(subfigure)
        # Rounding is idempotent, so axes listed by a figure and its subfigure alike
        # may be snapped twice. Figure texts include suptitle and the sup-labels.
        for axis in figure.get_axes():
            if axis.get_in_layout():
                box = axis.get_position(original=True)
                axis.set_position(Bbox(snap_points(box.get_points())), which="both")
                axis.set_in_layout(True)  # set_position takes it out of the layout
        for text in figure.texts:
            text.set_position(tuple(snap_points(text.get_position())))

    class SnappedConstrainedLayoutEngine(ConstrainedLayoutEngine):
        def execute(self, fig: Any) -> Any:
            info = super().execute(fig)
            snap(fig)
            return info

    return SnappedConstrainedLayoutEngine


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
    return save_figure(capacity_figure(results), out_dir, f"{_stem(results)}-capacity")


def write_load_figure(results: xr.Dataset, out_dir: str | Path) -> list[Path]:
    """Draw :func:`load_figure` and save it as ``<configuration_name>-load`` PNG and SVG."""
    return save_figure(load_figure(results), out_dir, f"{_stem(results)}-load")


def _stem(results: xr.Dataset) -> str:
    return str(results.attrs.get("configuration_name", "")).strip() or "results"


def _draw_facility(
    subfigure: FigureBase,
    data: xr.Dataset,
    facility: Hashable,
    services: list[Hashable],
    columns: int,
    handles: dict[str, Any],
    draw_series: Any,
) -> None:
    """Panels of one facility: ``draw_series`` draws the figure's own series; baseline
    capacity, closures and strikes on this facility are drawn the same in every figure."""
    rows = math.ceil(len(services) / columns)
    axes = subfigure.subplots(rows, columns, sharex=True, squeeze=False).ravel()
    at_facility = data.sel(facility=facility)
    time = data["time"]
    is_date = np.issubdtype(time.dtype, np.datetime64)
    closures = _spans(at_facility["is_open"].values < 0.5, time) if "is_open" in at_facility else []
    strikes = _strikes_of(data, facility)

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
        top = _top(peaks)
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
    for start, end in _spans(at_full_capacity(at_service).values, time):
        patch = axis.axvspan(start, end, ymin=0, ymax=0.05, **SERIES["full_capacity"])
        handles.setdefault("at full capacity with arrivals", patch)
    return [float(capacity.max()), float(np.max(load))]


def _top(peaks: list[float]) -> float:
    # Headroom above the highest series so strike labels do not sit on the data.
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


def _spans(mask: np.ndarray, time: xr.DataArray) -> list[tuple[Any, Any]]:
    """(start, end) of each run of days where ``mask`` holds; a day covers [t, t + 1 day)."""
    flags = np.asarray(mask, dtype=np.int8)
    edges = np.diff(np.concatenate([[0], flags, [0]]))
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
