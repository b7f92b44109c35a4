"""Figures that compare: forgone care across scenarios, across two sweep dims, and
the uncertain inputs that drive it.

Totals over services or facilities are summed draw by draw (the per-run summary,
``summarize(results, quantiles=None)``) before their percentiles are taken: a
percentile of a sum is not the sum of the percentiles. matplotlib is imported inside
the functions, as in :mod:`facility_impact.present.canvas`.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.canvas import facility_label, framed, panel_title, wrapped
from facility_impact.present.headline import ALL_SERVICES_LABEL, longest_period
from facility_impact.present.labels import axis_label, dim_labels, input_label
from facility_impact.present.style import (
    BAR_EDGE,
    GREY,
    MIN_FONT_PT,
    OKABE_ITO,
    POSITIVE_NEGATIVE,
    SEQUENTIAL_COLOURMAP,
    apply_style,
    narrow,
    panel_columns,
    points,
    width_in,
)
from facility_impact.present.summary_axes import (
    WHISKER_LABEL,
    caption_text,
    draws_note,
    error_bars,
    median_range,
    offered_mask,
    over_draws,
    select_first,
    thousands,
)
from facility_impact.results.accounting import all_facilities
from facility_impact.variables import sweep_dims

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TOP_DRIVERS = 6
"""Inputs shown per panel of the sensitivity figure, the largest |rank correlation| first."""

CONTOUR_MIN_VALUES = 8
"""Contours are drawn on a sweep heatmap only when both swept dims have at least this
many values: on a coarser grid the contours, interpolated between few points, bend
and break where the data do not; the cells carry their numbers instead."""


def scenario_figure(per_run: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care per scenario [patient] over the longest window that fits the run:
    first as patient contacts of all kinds (every service and facility), then each
    service, summed over facilities (at column width the first panel only, as the
    caption says).

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
    data, notes = select_first(per_run, keep=("scenario",), results=results)
    forgone = data["forgone_care"].sel(period=period)
    forgone = forgone.where(offered_mask(data))
    by_service = over_draws(forgone.sum("facility", min_count=1))
    # The total of the headline sentence: an outpatient visit and an operation are one
    # patient contact each.
    total = over_draws(data[all_facilities("forgone_care")].sel(period=period))
    services = [
        s for s in data["service"].values if bool(by_service.sel(service=s).notnull().any())
    ]
    order = np.argsort(median_range(total)[0].values, kind="stable")
    scenarios = data["scenario"].values[order]
    labels = data["scenario_label"].values[order] if "scenario_label" in data.coords else scenarios
    panels = [
        (ALL_SERVICES_LABEL, total),
        *((str(s), by_service.sel(service=s)) for s in services),
    ]
    if narrow() and len(panels) > 1:
        # A column holds the total; the services are in the page-width figure.
        panels = panels[:1]
        notes.append("at column width, the total only (per service: the page-width figure)")
    columns = panel_columns(2)
    rows = math.ceil(len(panels) / columns)
    caption = caption_text(
        results, [f"forgone care in the first {period:g} days", *notes, draws_note(per_run)]
    )
    wrap = 26 if narrow() else 28
    names = [textwrap.fill(str(label), wrap, break_on_hyphens=False) for label in labels]
    with apply_style():
        # Each scenario's row holds its name, wrapped to two or three lines.
        lines = max(name.count("\n") + 1 for name in names)
        row = max(0.24, lines * points("small") * 1.3 / 72 + 0.06)
        frame = framed(rows * (0.45 + row * len(scenarios)), caption)
        axes = frame.body.subplots(rows, columns, sharey=True, squeeze=False).ravel()
        handles: dict[str, Any] = {}
        positions = np.arange(len(scenarios), dtype=float)
        for axis, (title, values) in zip(axes, panels, strict=False):
            _scenario_bars(axis, values, scenarios, order, handles)
            panel_title(axis, title, width_in() / columns / 2)
        axes[0].set_yticks(positions, names)
        axes[0].invert_yaxis()  # least forgone care on top
        for axis in axes[len(panels) :]:
            axis.remove()
        frame.body.supxlabel(axis_label(data["forgone_care"]), fontsize=points("text"))
        return frame.finish(
            handles, f"Forgone care by scenario in the first {period:g} days, least on top"
        )


def _scenario_bars(
    axis: Axes,
    values: xr.DataArray,
    scenarios: np.ndarray,
    order: np.ndarray,
    handles: dict[str, Any],
) -> None:
    """One panel of the scenario figure: a bar per scenario (the base case, first in
    the results, hatched), whiskers over draws, few ticks."""
    # Imported here: matplotlib is optional for the package.
    from matplotlib.ticker import MaxNLocator

    positions = np.arange(len(scenarios), dtype=float)
    middle, low, high = (v.sel(scenario=scenarios).values for v in median_range(values))
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
    whiskers = error_bars(axis, positions, middle, low, high, horizontal=True)
    if whiskers is not None:
        handles.setdefault(WHISKER_LABEL, whiskers)
    # Few ticks: five-digit labels at half a page width run into each other.
    axis.xaxis.set_major_locator(MaxNLocator(4))
    axis.xaxis.set_major_formatter(thousands)
    axis.set_xlim(left=0)
    axis.grid(axis="x", visible=True)
    axis.grid(axis="y", visible=False)


def sweep_figure(per_run: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care [patient] over the longest window that fits the run, across the
    first two sweep dims: one heatmap per service.

    Values are medians over draws of forgone care summed over facilities (from
    ``per_run`` = ``summarize(results, quantiles=None)``). The swept values are evenly
    spaced cells, each with its number; only where both dims have
    :data:`CONTOUR_MIN_VALUES` values or more is the grid drawn to scale with
    labelled contours. Other sweep dims and the scenario are taken at their first
    value (said in the caption). Raises ValueError with fewer than two sweep dims of
    at least two values each.
    """
    dims = [d for d in sweep_dims(per_run["forgone_care"]) if per_run.sizes[d] >= 2]
    if len(dims) < 2:
        raise ValueError("fewer than two sweep dims with two or more values: no heatmap")
    x_dim, y_dim = dims[:2]
    period = longest_period(per_run)
    if period is None:
        raise ValueError("no window fits the run: nothing to draw")
    data, notes = select_first(per_run, keep=(x_dim, y_dim), results=results)
    forgone = data["forgone_care"].sel(period=period).where(offered_mask(data))
    values = forgone.sum("facility", min_count=1)
    if "draw" in values.dims:
        values = values.median("draw")
    values = values.transpose("service", y_dim, x_dim)
    services = [s for s in values["service"].values if bool(values.sel(service=s).notnull().any())]
    columns = panel_columns(1 if len(services) == 1 else 2)
    rows = math.ceil(len(services) / columns)
    statistic = "median over draws of " if "draw" in per_run.dims else ""
    caption = caption_text(
        results,
        [f"colour and numbers: {statistic}forgone care in the first {period:g} days", *notes],
    )
    names = dim_labels(results, [x_dim, y_dim])
    fine = min(data.sizes[x_dim], data.sizes[y_dim]) >= CONTOUR_MIN_VALUES
    with apply_style():
        frame = framed((1.6 if narrow() else 2.5) * rows, caption)
        axes = frame.body.subplots(rows, columns, squeeze=False).ravel()
        for axis, service in zip(axes, services, strict=False):
            grid = values.sel(service=service).values
            x, y = data[x_dim].values.astype(float), data[y_dim].values.astype(float)
            if fine:
                mesh = _contoured(axis, x, y, grid)
            else:
                # Each cell about the panel's width (less its labels and colour
                # bar) over the number of columns [pt]; its number fits it.
                cell_pt = (width_in() / columns - 1.4) / x.size * 72
                mesh = _cells(axis, x, y, grid, cell_pt)
            # The colour bar's unit is the title's: patients, in every panel.
            colour_bar = frame.body.colorbar(mesh, ax=axis, pad=0.02, fraction=0.06)
            colour_bar.ax.tick_params(labelsize=points("tiny"))
            colour_bar.ax.yaxis.set_major_formatter(thousands)
            panel_title(axis, str(service), width_in() / columns)
            axis.set_xlabel(wrapped(names[x_dim], points("text"), width_in() / columns * 0.8))
            axis.set_ylabel(wrapped(names[y_dim], points("text"), 1.8 if narrow() else 1.4))
            axis.grid(visible=False)
        for axis in axes[len(services) :]:
            axis.remove()
        title = (
            f"Forgone care (patients) in the first {period:g} days by {names[x_dim]} "
            f"and {names[y_dim]}"
        )
        return frame.finish({}, title)


def _cells(axis: Axes, x: np.ndarray, y: np.ndarray, grid: np.ndarray, cell_pt: float) -> Any:
    """Evenly spaced cells, one per pair of swept values, each with its number in type
    that fits a cell about ``cell_pt`` wide (never below the smallest type)."""
    texts = [thousands(value) for value in grid[np.isfinite(grid)]]
    longest = max((len(text) for text in texts), default=1)
    size = min(points("tiny"), max(MIN_FONT_PT, cell_pt / (0.65 * longest)))
    mesh = axis.pcolormesh(grid, cmap=SEQUENTIAL_COLOURMAP, edgecolors="white", linewidth=0.8)
    axis.set_xticks(np.arange(x.size) + 0.5, [f"{v:g}" for v in x])
    axis.set_yticks(np.arange(y.size) + 0.5, [f"{v:g}" for v in y])
    axis.tick_params(length=0)
    for spine in axis.spines.values():
        spine.set_visible(False)
    for (row, column), value in np.ndenumerate(grid):
        if not np.isfinite(value):
            continue
        # Light text on the dark end of the colour map, dark on the light end.
        dark = bool(np.asarray(mesh.norm(value)) < 0.5)
        axis.text(
            column + 0.5,
            row + 0.5,
            thousands(value),
            ha="center",
            va="center",
            fontsize=size,
            color="white" if dark else "black",
        )
    return mesh


def _contoured(axis: Axes, x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> Any:
    """The grid to scale with labelled contours (fine grids only, see
    :data:`CONTOUR_MIN_VALUES`)."""
    # Imported here: matplotlib is optional for the package.
    from matplotlib import patheffects

    mesh = axis.pcolormesh(x, y, grid, shading="nearest", cmap=SEQUENTIAL_COLOURMAP)
    finite = grid[np.isfinite(grid)]
    if finite.size and finite.max() > finite.min():
        # White lines and black labels, each outlined in the other colour, read on
        # both ends of the colour map.
        contours = axis.contour(x, y, grid, levels=5, colors="white", linewidths=0.9)
        contours.set(path_effects=[patheffects.withStroke(linewidth=1.8, foreground="black")])
        labels = axis.clabel(
            contours, fmt=thousands, fontsize=points("tiny"), inline=True, colors="black"
        )
        for label in labels:
            label.set_path_effects([patheffects.withStroke(linewidth=2, foreground="white")])
    return mesh


def sensitivity_figure(indices: xr.Dataset, results: xr.Dataset) -> Figure:
    """The inputs that drive forgone care, per facility and service: Spearman rank
    correlation [1] of each uncertain input with forgone care, the
    :data:`TOP_DRIVERS` largest in absolute value, largest on top.

    ``indices`` is :func:`facility_impact.run.sensitivity.rank_correlation` of
    ``results``. The first scenario and sweep point are drawn (said in the
    caption). Raises ValueError when no correlation could be computed.
    """
    data, notes = select_first(indices, results=results)
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
    period = indices.attrs.get("period_days")
    window = f" in the first {float(period):g} days after the first strike" if period else ""
    caption = caption_text(
        results,
        [
            f"output: forgone care{window}",
            f"{indices.attrs.get('model_evaluations', '')} draws",
            *notes,
        ],
    )
    columns = panel_columns(2 if len(panels) > 1 else 1)
    rows = math.ceil(len(panels) / columns)
    keys = indices["input_keys"] if "input_keys" in indices.coords else None
    ranked = {
        panel: _top_inputs(rho.sel(facility=panel[0], service=panel[1]), keys) for panel in panels
    }
    # Each bar's row holds its input's name, wrapped to two or three lines.
    lines = max(name.count("\n") + 1 for _, names in ranked.values() for name in names)
    row = max(0.2, lines * points("tiny") * 1.3 / 72 + 0.05)
    with apply_style():
        frame = framed(rows * (0.45 + row * TOP_DRIVERS), caption)
        axes = frame.body.subplots(rows, columns, sharex=True, squeeze=False).ravel()
        handles: dict[str, Any] = {}
        for axis, (facility, service) in zip(axes, panels, strict=False):
            order, names = ranked[(facility, service)]
            shown = rho.sel(facility=facility, service=service).values[order]
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
            axis.set_yticks(positions, names, fontsize=points("tiny"))
            axis.invert_yaxis()
            axis.axvline(0, color=GREY, linewidth=0.8)
            axis.set_xlim(-1, 1)
            axis.grid(axis="x", visible=True)
            axis.grid(axis="y", visible=False)
            title = f"{facility_label(data, facility)}: {service}" if several else str(service)
            panel_title(axis, title, width_in() / columns)
        for axis in axes[len(panels) :]:
            axis.remove()
        frame.body.supxlabel(
            "Spearman rank correlation with forgone care (−1 to 1)", fontsize=points("text")
        )
        return frame.finish(
            handles, "What drives forgone care: rank correlation of each uncertain input"
        )


def _top_inputs(values: xr.DataArray, keys: xr.DataArray | None) -> tuple[list[int], list[str]]:
    """The :data:`TOP_DRIVERS` inputs of largest |rank correlation| in ``values``
    (positions on ``input``), and their names in words, wrapped for the axis."""
    ranked = np.argsort(-np.abs(np.nan_to_num(values.values)), kind="stable")
    order = [int(i) for i in ranked[:TOP_DRIVERS] if np.isfinite(values.values[i])]
    names = [
        input_label(str(values["input"].values[i]), str(keys.values[i]) if keys is not None else "")
        for i in order
    ]
    wrap = 26 if narrow() else 38
    return order, [textwrap.fill(name, wrap, break_long_words=False) for name in names]
