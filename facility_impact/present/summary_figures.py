"""Figures of the headline indicators: forgone care by service, scenarios, sweeps,
sensitivity and humanitarian standards.

Each figure reads the summary of :func:`facility_impact.results.summary.summarize` (or the
per-draw summary, ``summarize(results, quantiles=None)``, where a total over
services or facilities needs its own percentiles), so every bar is a number of the
summary tables. The caption names the configuration, the seed and what was
selected from dims the figure does not show. matplotlib is imported inside the
functions and figures are plain :class:`matplotlib.figure.Figure` objects, as in
:mod:`facility_impact.present.figures`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.figures import (
    _caption,
    _facility_label,
    _snapped_constrained_layout,
    draw_legend,
    label_from_attrs,
)
from facility_impact.present.style import (
    BAR_EDGE,
    FULL_WIDTH_IN,
    GREY,
    OKABE_ITO,
    PERIOD_HATCHES,
    PERIOD_SHADES,
    POSITIVE_NEGATIVE,
    SEQUENTIAL_COLOURMAP,
    apply_style,
)
from facility_impact.results.summary import QUANTILES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

NOT_ENSEMBLE_DIMS = (
    "facility",
    "service",
    "period",
    "threshold",
    "indicator",
    "moment",
    "outcome",
    "quantile",
    "draw",
    "input",
    "resource",
    "time",
    "alternative",
    "strike",
)
"""Dims of results and summaries that are not scenarios or sweeps."""

SHOWN_PERIODS_DAYS = (30, 90, 365)
"""Windows after the first strike shown in the forgone-care figure [d]."""

TOP_DRIVERS = 6
"""Inputs shown per panel of the sensitivity figure, the largest |rank correlation| first."""

_CAPTION_WRAP = 125  # characters per caption line at 7 pt across a full page width
_CAPTION_LINE_IN = 0.14
_WHISKER_LABEL = "5th–95th percentile over draws"
_LEGEND_ROW_IN = 0.28
_TITLE_IN = 0.35


# --------------------------------------------------------------------------- selection


def sweep_dims(data: xr.Dataset | xr.DataArray) -> list[str]:
    """The sweep dims of results or a summary: dims that are neither model dims nor
    ``scenario`` nor ``draw``, in their order."""
    return [str(d) for d in data.dims if d not in NOT_ENSEMBLE_DIMS and d != "scenario"]


def select_first(data: xr.Dataset, keep: Sequence[str] = ()) -> tuple[xr.Dataset, list[str]]:
    """``data`` at the first element of every scenario and sweep dim not in ``keep``,
    and a note per dim reduced ("first scenario (no support)")."""
    notes = []
    for dim in [d for d in data.dims if d not in NOT_ENSEMBLE_DIMS and d not in keep]:
        value = data[dim].values[0] if dim in data.coords else 0
        label = str(value)
        if dim == "scenario" and "scenario_label" in data.coords:
            label = str(data["scenario_label"].values[0])
        elif isinstance(value, float | np.floating):
            label = f"{value:g}"
        notes.append(f"first {dim} ({label})")
        data = data.isel({dim: 0})
    return data, notes


def _spread(values: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """(median, 5th, 95th percentile) of summary values; all three equal without draws."""
    if "quantile" in values.dims:
        low, middle, high = (values.sel(quantile=q, drop=True) for q in QUANTILES)
        return middle, low, high
    return values, values, values


def _over_draws(values: xr.DataArray) -> xr.DataArray:
    """Per-draw values to the summary's quantiles over draws (unchanged without draws)."""
    if "draw" not in values.dims:
        return values
    return values.quantile(list(QUANTILES), dim="draw", keep_attrs=True)


def longest_period(summary: xr.Dataset) -> float | None:
    """The longest window after the first strike with values (fits the run), or None."""
    forgone = summary["forgone_care"]
    others = [d for d in forgone.dims if d != "period"]
    complete = forgone["period"].values[forgone.notnull().any(others).values]
    return float(complete.max()) if complete.size else None


def _draws_note(data: xr.Dataset) -> str:
    if "quantile" in data.dims or "draw" in data.dims:
        draws = data.attrs.get("draws") or (data.sizes.get("draw") or "")
        return f"bars: median over {draws} draws; whiskers: 5th–95th percentile"
    return ""


def _caption_text(results: xr.Dataset, notes: Sequence[str]) -> str:
    note = "; ".join(n for n in notes if n)
    return "\n".join(textwrap.wrap(_caption(results, note), _CAPTION_WRAP))


def _offered(summary: xr.Dataset) -> xr.DataArray:
    return summary["baseline_volume_per_month"] > 0


def _struck_facilities(summary: xr.Dataset) -> list[Hashable]:
    """Facilities that lost care (median forgone care > 0 in the longest window);
    all facilities offering something when none did."""
    period = longest_period(summary)
    offered = _offered(summary).any("service")
    facilities = [f for f in summary["facility"].values if bool(offered.sel(facility=f))]
    if period is None:
        return facilities
    middle, _, _ = _spread(summary["forgone_care"].sel(period=period))
    lost = middle.sum("service") > 0
    lost = lost.any([d for d in lost.dims if d != "facility"])
    return [f for f in facilities if bool(lost.sel(facility=f))] or facilities


# --------------------------------------------------------------------------- frame


def _framed(
    height: float, caption: str, legend_rows: int = 0, width: float = FULL_WIDTH_IN
) -> tuple[Figure, SubFigure | None, SubFigure, SubFigure]:
    """A figure with a legend strip (when ``legend_rows``), a body and a caption strip.

    Constrained layout makes no room for figure-level legends or texts, so both
    get their own subfigure, as in :mod:`facility_impact.present.figures`. Call inside
    :func:`apply_style`.
    """
    from matplotlib.figure import Figure

    caption_height = 0.12 + _CAPTION_LINE_IN * (caption.count("\n") + 1)
    heights = [height, caption_height]
    if legend_rows:
        heights.insert(0, _LEGEND_ROW_IN * legend_rows)
    figure = Figure(
        figsize=(width, sum(heights) + _TITLE_IN), layout=_snapped_constrained_layout()()
    )
    strips = figure.subfigures(len(heights), 1, height_ratios=heights, hspace=0)
    legend = strips[0] if legend_rows else None
    body, caption_strip = strips[-2], strips[-1]
    caption_strip.text(
        0.01, 0.5, caption, ha="left", va="center", fontsize=7, color="#505050", wrap=False
    )
    return figure, legend, body, caption_strip


def _error_bars(
    axis: Axes,
    positions: np.ndarray,
    middle: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    horizontal: bool = False,
) -> Any:
    """Whiskers from the 5th to the 95th percentile; nothing where they coincide."""
    spread = np.vstack([middle - low, high - middle])
    if not np.any(np.nan_to_num(spread) > 0):
        return None
    spread = np.clip(np.nan_to_num(spread), 0, None)
    options = {"fmt": "none", "ecolor": BAR_EDGE, "elinewidth": 0.9, "capsize": 2.0}
    if horizontal:
        return axis.errorbar(middle, positions, xerr=spread, **options)
    return axis.errorbar(positions, middle, yerr=spread, **options)


def _thousands(value: float, _position: Any = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:,.1f}"


# --------------------------------------------------------------------------- forgone care


def forgone_figure(summary: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care and care served elsewhere per service [patient], cumulative at
    30, 90 and 365 days after the first strike (those that fit the run).

    One row of two panels per facility that lost care; bars are the median over
    draws and whiskers the 5th–95th percentile (the numbers of the summary table).
    Raises ValueError when no shown window fits the run.
    """
    periods = [p for p in SHOWN_PERIODS_DAYS if _period_has_values(summary, p)]
    if not periods:
        raise ValueError("no window of 30, 90 or 365 days fits the run: nothing to draw")
    data, notes = select_first(summary)
    facilities = _struck_facilities(data)
    variables = ("forgone_care", "served_elsewhere_total")
    caption = _caption_text(results, [*notes, _draws_note(summary)])
    with apply_style():
        figure, legend, body, _ = _framed(2.6 * len(facilities), caption, legend_rows=1)
        rows = body.subfigures(len(facilities), 1, squeeze=False)[:, 0]
        handles: dict[str, Any] = {}
        for row, facility in zip(rows, facilities, strict=True):
            at_facility = data.sel(facility=facility)
            services = [
                s
                for s in at_facility["service"].values
                if bool(_offered(at_facility).sel(service=s))
            ]
            axes = row.subplots(1, 2, squeeze=False)[0]
            for axis, name in zip(axes, variables, strict=True):
                _period_bars(axis, at_facility[name], services, periods, handles)
                # Units on their own line: the long names do not fit the panel height.
                axis.set_ylabel(label_from_attrs(at_facility[name]).replace(" [", "\n[", 1))
                axis.set_title(str(at_facility[name].attrs.get("long_name", name)), loc="left")
            if len(facilities) > 1:
                row.suptitle(_facility_label(data, facility), fontsize="medium")
        subject = "Care forgone and received elsewhere"
        if len(facilities) == 1:
            subject += f" — {_facility_label(data, facilities[0])}"
        figure.suptitle(subject)
        # The whisker entry last, after the windows it belongs to.
        whisker = handles.pop(_WHISKER_LABEL, None)
        if whisker is not None:
            handles[_WHISKER_LABEL] = whisker
        draw_legend(legend, handles)
    return figure


def _period_has_values(summary: xr.Dataset, period: float) -> bool:
    periods = summary["period"].values
    return bool(period in periods and summary["forgone_care"].sel(period=period).notnull().any())


def _bar_group(
    axis: Axes,
    centres: np.ndarray,
    index: int,
    count: int,
    heights: np.ndarray,
    colour: str,
    hatch: str,
) -> tuple[np.ndarray, Any]:
    """Bar ``index`` of ``count`` side by side around each centre; returns positions and bars."""
    width = 0.8 / count
    positions = centres + (index - (count - 1) / 2) * width
    bars = axis.bar(
        positions,
        heights,
        width=width,
        color=colour,
        hatch=hatch,
        edgecolor=BAR_EDGE,
        linewidth=0.5,
    )
    return positions, bars


def _period_bars(
    axis: Axes,
    values: xr.DataArray,
    services: list[Hashable],
    periods: list[float],
    handles: dict[str, Any],
) -> None:
    centres = np.arange(len(services), dtype=float)
    for index, period in enumerate(periods):
        middle, low, high = (v.sel(service=services, period=period).values for v in _spread(values))
        positions, bars = _bar_group(
            axis,
            centres,
            index,
            len(periods),
            middle,
            PERIOD_SHADES[index % len(PERIOD_SHADES)],
            PERIOD_HATCHES[index % len(PERIOD_HATCHES)],
        )
        handles.setdefault(f"first {period:g} days", bars)
        whiskers = _error_bars(axis, positions, middle, low, high)
        if whiskers is not None:
            handles.setdefault(_WHISKER_LABEL, whiskers)
    # Slanted: four service names side by side do not fit half a page width.
    axis.set_xticks(centres, [str(s) for s in services], rotation=20, ha="right")
    axis.yaxis.set_major_formatter(_thousands)
    axis.set_ylim(bottom=0)


# --------------------------------------------------------------------------- scenarios


def scenario_figure(per_run: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care per scenario [patient] over the longest window that fits the run:
    all services together, then each service, summed over facilities.

    ``per_run`` is ``summarize(results, quantiles=None)``: totals are summed per
    draw before their percentiles are taken. Scenarios are sorted by the median
    total, least forgone care at the top; the base case is hatched. Raises
    ValueError without a ``scenario`` dim of at least two scenarios.
    """
    if per_run.sizes.get("scenario", 0) < 2:
        raise ValueError("fewer than two scenarios: nothing to compare")
    period = longest_period(per_run)
    if period is None:
        raise ValueError("no window fits the run: nothing to compare")
    data, notes = select_first(per_run, keep=("scenario",))
    forgone = data["forgone_care"].sel(period=period)
    forgone = forgone.where(_offered(data))
    by_service = _over_draws(forgone.sum("facility", min_count=1))
    total = _over_draws(forgone.sum(["facility", "service"], min_count=1))
    services = [
        s for s in data["service"].values if bool(by_service.sel(service=s).notnull().any())
    ]
    order = np.argsort(_spread(total)[0].values, kind="stable")
    scenarios = data["scenario"].values[order]
    labels = data["scenario_label"].values[order] if "scenario_label" in data.coords else scenarios
    panels = [("all services", total), *((str(s), by_service.sel(service=s)) for s in services)]
    from matplotlib.ticker import MaxNLocator

    columns = 2
    rows = math.ceil(len(panels) / columns)
    caption = _caption_text(
        results, [f"forgone care in the first {period:g} days", *notes, _draws_note(per_run)]
    )
    with apply_style():
        height = rows * (0.35 + 0.24 * len(scenarios))
        figure, legend, body, _ = _framed(height, caption, legend_rows=1)
        axes = body.subplots(rows, columns, sharey=True, squeeze=False).ravel()
        handles: dict[str, Any] = {}
        positions = np.arange(len(scenarios), dtype=float)
        for axis, (title, values) in zip(axes, panels, strict=False):
            middle, low, high = (v.sel(scenario=scenarios).values for v in _spread(values))
            colours = [OKABE_ITO["orange"] if index == 0 else OKABE_ITO["blue"] for index in order]
            bars = axis.barh(
                positions, middle, height=0.65, color=colours, edgecolor=BAR_EDGE, linewidth=0.5
            )
            for bar, index in zip(bars, order, strict=True):
                if index == 0:
                    bar.set_hatch("///")
                    handles.setdefault("base case", bar)
                else:
                    handles.setdefault("scenario", bar)
            whiskers = _error_bars(axis, positions, middle, low, high, horizontal=True)
            if whiskers is not None:
                handles.setdefault("5th–95th percentile over draws", whiskers)
            axis.set_title(title, loc="left")
            # Few ticks: five-digit labels at half a page width run into each other.
            axis.xaxis.set_major_locator(MaxNLocator(4))
            axis.xaxis.set_major_formatter(_thousands)
            axis.set_xlim(left=0)
            axis.grid(axis="x", visible=True)
            axis.grid(axis="y", visible=False)
        axes[0].set_yticks(positions, [textwrap.fill(str(label), 28) for label in labels])
        axes[0].invert_yaxis()  # least forgone care on top
        for axis in axes[len(panels) :]:
            axis.remove()
        body.supxlabel(label_from_attrs(data["forgone_care"]), fontsize="medium")
        figure.suptitle(f"Forgone care by scenario in the first {period:g} days, least on top")
        draw_legend(legend, handles)
    return figure


# --------------------------------------------------------------------------- sweeps


def sweep_figure(per_run: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care [patient] over the longest window that fits the run, across the
    first two sweep dims: one heatmap per service with labelled contours.

    Values are medians over draws of forgone care summed over facilities (from
    ``per_run`` = ``summarize(results, quantiles=None)``). Other sweep dims and the
    scenario are taken at their first value (said in the caption). Raises
    ValueError with fewer than two sweep dims of at least two values each.
    """
    dims = [d for d in sweep_dims(per_run["forgone_care"]) if per_run.sizes[d] >= 2]
    if len(dims) < 2:
        raise ValueError("fewer than two sweep dims with two or more values: no heatmap")
    x_dim, y_dim = dims[:2]
    period = longest_period(per_run)
    if period is None:
        raise ValueError("no window fits the run: nothing to draw")
    data, notes = select_first(per_run, keep=(x_dim, y_dim))
    forgone = data["forgone_care"].sel(period=period).where(_offered(data))
    values = forgone.sum("facility", min_count=1)
    if "draw" in values.dims:
        values = values.median("draw")
    values = values.transpose("service", y_dim, x_dim)
    services = [s for s in values["service"].values if bool(values.sel(service=s).notnull().any())]
    columns = 1 if len(services) == 1 else 2
    rows = math.ceil(len(services) / columns)
    statistic = "median over draws of " if "draw" in per_run.dims else ""
    caption = _caption_text(
        results,
        [f"colour: {statistic}forgone care in the first {period:g} days", *notes],
    )
    x, y = data[x_dim].values.astype(float), data[y_dim].values.astype(float)
    from matplotlib import patheffects

    with apply_style():
        figure, _, body, _ = _framed(2.4 * rows, caption)
        axes = body.subplots(rows, columns, squeeze=False).ravel()
        for axis, service in zip(axes, services, strict=False):
            grid = values.sel(service=service).values
            mesh = axis.pcolormesh(x, y, grid, shading="nearest", cmap=SEQUENTIAL_COLOURMAP)
            finite = grid[np.isfinite(grid)]
            if finite.size and finite.max() > finite.min():
                # White lines and black labels, each outlined in the other colour, read
                # on both ends of the colour map.
                contours = axis.contour(x, y, grid, levels=5, colors="white", linewidths=0.9)
                contours.set(
                    path_effects=[patheffects.withStroke(linewidth=1.8, foreground="black")]
                )
                labels = axis.clabel(
                    contours, fmt=_thousands, fontsize=7, inline=True, colors="black"
                )
                for label in labels:
                    label.set_path_effects(
                        [patheffects.withStroke(linewidth=2, foreground="white")]
                    )
            colour_bar = body.colorbar(mesh, ax=axis, pad=0.02)
            colour_bar.set_label(label_from_attrs(data["forgone_care"]), fontsize=7)
            colour_bar.ax.tick_params(labelsize=7)
            colour_bar.ax.yaxis.set_major_formatter(_thousands)
            axis.set_title(str(service), loc="left")
            axis.set_xlabel(label_from_attrs(data[x_dim]))
            axis.set_ylabel(label_from_attrs(data[y_dim]))
            axis.set_xticks(x)
            axis.set_yticks(y)
            axis.grid(visible=False)
        for axis in axes[len(services) :]:
            axis.remove()
        figure.suptitle(f"Forgone care in the first {period:g} days\nby {x_dim} and {y_dim}")
    return figure


# --------------------------------------------------------------------------- sensitivity


def sensitivity_figure(indices: xr.Dataset, results: xr.Dataset) -> Figure:
    """The inputs that drive forgone care, per facility and service: Spearman rank
    correlation [1] of each uncertain input with forgone care, the
    :data:`TOP_DRIVERS` largest in absolute value, largest on top.

    ``indices`` is :func:`facility_impact.run.sensitivity.rank_correlation` of
    ``results``. The first scenario and sweep point are drawn (said in the
    caption). Raises ValueError when no correlation could be computed.
    """
    rho = indices["rank_correlation"]
    data, notes = select_first(indices)
    rho = data["rank_correlation"]
    panels = [
        (facility, service)
        for facility in rho["facility"].values
        for service in rho["service"].values
        if bool(rho.sel(facility=facility, service=service).notnull().any())
    ]
    if not panels:
        raise ValueError("no input varies together with forgone care: nothing to rank")
    several = rho.sizes["facility"] > 1
    caption = _caption_text(
        results,
        [
            f"output: {indices.attrs.get('output', 'forgone care')}",
            f"{indices.attrs.get('model_evaluations', '')} draws",
            *notes,
        ],
    )
    columns = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / columns)
    with apply_style():
        figure, legend, body, _ = _framed(rows * (0.45 + 0.2 * TOP_DRIVERS), caption, legend_rows=1)
        axes = body.subplots(rows, columns, sharex=True, squeeze=False).ravel()
        handles: dict[str, Any] = {}
        for axis, (facility, service) in zip(axes, panels, strict=False):
            values = rho.sel(facility=facility, service=service)
            order = np.argsort(-np.abs(np.nan_to_num(values.values)), kind="stable")[:TOP_DRIVERS]
            order = [i for i in order if np.isfinite(values.values[i])]
            shown = values.values[order]
            names = [_input_label(str(values["input"].values[i]), indices) for i in order]
            positions = np.arange(len(order), dtype=float)
            colours = [POSITIVE_NEGATIVE[0] if v >= 0 else POSITIVE_NEGATIVE[1] for v in shown]
            bars = axis.barh(
                positions, shown, height=0.65, color=colours, edgecolor=BAR_EDGE, linewidth=0.5
            )
            for bar, value in zip(bars, shown, strict=True):
                if value < 0:
                    bar.set_hatch("...")
                    handles.setdefault("higher input, less forgone care", bar)
                else:
                    handles.setdefault("higher input, more forgone care", bar)
            wrapped = [
                textwrap.fill(n.replace(".", ". "), 34, break_long_words=False) for n in names
            ]
            axis.set_yticks(positions, [w.replace(". ", ".") for w in wrapped], fontsize=7)
            axis.invert_yaxis()
            axis.axvline(0, color=GREY, linewidth=0.8)
            axis.set_xlim(-1, 1)
            axis.grid(axis="x", visible=True)
            axis.grid(axis="y", visible=False)
            title = f"{_facility_label(data, facility)}: {service}" if several else str(service)
            axis.set_title(title, loc="left")
        for axis in axes[len(panels) :]:
            axis.remove()
        body.supxlabel(label_from_attrs(rho), fontsize="medium")
        figure.suptitle("What drives forgone care: rank correlation of each uncertain input")
        draw_legend(legend, handles)
    return figure


def _input_label(stream: str, indices: xr.Dataset) -> str:
    """A short name of an input (random stream): its key path without the facility
    and ``services`` prefixes, which every panel title already gives."""
    parts = stream.split(".")
    if len(parts) > 2 and parts[0] == "facility":
        parts = parts[2:]
    if parts and parts[0] == "services":
        parts = parts[1:]
    return ".".join(parts)


# --------------------------------------------------------------------------- standards


def standards_figure(summary: xr.Dataset, results: xr.Dataset) -> Figure:
    """Each facility that lost care against humanitarian minimum standards: inpatient
    beds and health workers per 10,000 people, consultations per person per year
    (units per indicator), before the strike, at the worst day and at the horizon,
    with the threshold as a dashed line.

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
    facilities = _struck_facilities(data)
    moments = [str(m) for m in values["moment"].values]
    moment_names = {"before": "before\nstrike", "worst": "worst\nday", "at_horizon": "at\nhorizon"}
    caption = _caption_text(results, [*notes, _draws_note(summary)])
    # Facility names are long: with more than two legend entries, two rows.
    entries = (len(facilities) if len(facilities) > 1 else 0) + 1 + ("quantile" in data.dims)
    with apply_style():
        figure, legend, body, _ = _framed(2.7, caption, legend_rows=1 if entries <= 2 else 2)
        axes = body.subplots(1, len(indicators), squeeze=False)[0]
        handles: dict[str, Any] = {}
        centres = np.arange(len(moments), dtype=float)
        colours = [OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "orange")]
        hatches = ("", "///", "...", "xx")
        for axis, indicator in zip(axes, indicators, strict=True):
            at_indicator = values.sel(indicator=indicator)
            peak = 0.0
            for index, facility in enumerate(facilities):
                middle, low, high = (
                    v.sel(facility=facility, moment=moments).values for v in _spread(at_indicator)
                )
                positions, bars = _bar_group(
                    axis,
                    centres,
                    index,
                    len(facilities),
                    middle,
                    colours[index % len(colours)],
                    hatches[index % len(hatches)],
                )
                if len(facilities) > 1:
                    handles.setdefault(_facility_label(data, facility), bars)
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
                whiskers = _error_bars(axis, positions, middle, low, high)
                if whiskers is not None:
                    handles.setdefault(_WHISKER_LABEL, whiskers)
                peak = max(peak, float(np.nanmax(np.append(high, 0.0))))
            threshold = float(data["standard_threshold"].sel(indicator=indicator))
            verified = bool(data["threshold_verified"].sel(indicator=indicator))
            comparison = str(data["standard_comparison"].sel(indicator=indicator).item())
            line = axis.axhline(threshold, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
            handles.setdefault("minimum standard (threshold)", line)
            axis.annotate(
                f"{comparison} {threshold:g}" + ("" if verified else " (unverified)"),
                xy=(1.0, threshold),
                xycoords=("axes fraction", "data"),
                xytext=(0, 2),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=7,
            )
            axis.set_ylim(0, 1.25 * max(peak, threshold))
            axis.set_xticks(centres, [moment_names.get(m, m) for m in moments])
            name = str(data["indicator_long_name"].sel(indicator=indicator).item())
            units = str(data["indicator_units"].sel(indicator=indicator).item())
            axis.set_title(textwrap.fill(name, 22), loc="left")
            # The title names the indicator; its units differ from panel to panel.
            axis.set_ylabel(units)
        subject = "Humanitarian minimum standards"
        if len(facilities) == 1:
            subject += f" — {_facility_label(data, facilities[0])}"
        figure.suptitle(subject)
        draw_legend(legend, handles, rows=1 if entries <= 2 else 2)
    return figure
