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

from facility_impact.present.canvas import draw_legend, facility_label, label_from_attrs
from facility_impact.present.headline import ALL_SERVICES_LABEL, longest_period
from facility_impact.present.style import (
    BAR_EDGE,
    GREY,
    OKABE_ITO,
    POSITIVE_NEGATIVE,
    SEQUENTIAL_COLOURMAP,
    apply_style,
)
from facility_impact.present.summary_axes import (
    WHISKER_LABEL,
    caption_text,
    draws_note,
    error_bars,
    framed,
    median_range,
    offered_mask,
    over_draws,
    select_first,
    thousands,
)
from facility_impact.results.accounting import all_facilities
from facility_impact.variables import sweep_dims

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOP_DRIVERS = 6
"""Inputs shown per panel of the sensitivity figure, the largest |rank correlation| first."""


def scenario_figure(per_run: xr.Dataset, results: xr.Dataset) -> Figure:
    """Forgone care per scenario [patient] over the longest window that fits the run:
    first as patient contacts of all kinds (every service and facility), then each
    service, summed over facilities.

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
    # Imported here: matplotlib is optional for the package.
    from matplotlib.ticker import MaxNLocator

    columns = 2
    rows = math.ceil(len(panels) / columns)
    caption = caption_text(
        results, [f"forgone care in the first {period:g} days", *notes, draws_note(per_run)]
    )
    with apply_style():
        height = rows * (0.35 + 0.24 * len(scenarios))
        figure, legend, body, _ = framed(height, caption, legend_rows=1)
        axes = body.subplots(rows, columns, sharey=True, squeeze=False).ravel()
        handles: dict[str, Any] = {}
        positions = np.arange(len(scenarios), dtype=float)
        for axis, (title, values) in zip(axes, panels, strict=False):
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
            axis.set_title(title, loc="left")
            # Few ticks: five-digit labels at half a page width run into each other.
            axis.xaxis.set_major_locator(MaxNLocator(4))
            axis.xaxis.set_major_formatter(thousands)
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
    forgone = data["forgone_care"].sel(period=period).where(offered_mask(data))
    values = forgone.sum("facility", min_count=1)
    if "draw" in values.dims:
        values = values.median("draw")
    values = values.transpose("service", y_dim, x_dim)
    services = [s for s in values["service"].values if bool(values.sel(service=s).notnull().any())]
    columns = 1 if len(services) == 1 else 2
    rows = math.ceil(len(services) / columns)
    statistic = "median over draws of " if "draw" in per_run.dims else ""
    caption = caption_text(
        results,
        [f"colour: {statistic}forgone care in the first {period:g} days", *notes],
    )
    x, y = data[x_dim].values.astype(float), data[y_dim].values.astype(float)
    # Imported here: matplotlib is optional for the package.
    from matplotlib import patheffects

    with apply_style():
        figure, _, body, _ = framed(2.4 * rows, caption)
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
                    contours, fmt=thousands, fontsize=7, inline=True, colors="black"
                )
                for label in labels:
                    label.set_path_effects(
                        [patheffects.withStroke(linewidth=2, foreground="white")]
                    )
            colour_bar = body.colorbar(mesh, ax=axis, pad=0.02)
            colour_bar.set_label(label_from_attrs(data["forgone_care"]), fontsize=7)
            colour_bar.ax.tick_params(labelsize=7)
            colour_bar.ax.yaxis.set_major_formatter(thousands)
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
    caption = caption_text(
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
        figure, legend, body, _ = framed(rows * (0.45 + 0.2 * TOP_DRIVERS), caption, legend_rows=1)
        axes = body.subplots(rows, columns, sharex=True, squeeze=False).ravel()
        handles: dict[str, Any] = {}
        for axis, (facility, service) in zip(axes, panels, strict=False):
            values = rho.sel(facility=facility, service=service)
            ranked = np.argsort(-np.abs(np.nan_to_num(values.values)), kind="stable")
            order = [i for i in ranked[:TOP_DRIVERS] if np.isfinite(values.values[i])]
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
            title = f"{facility_label(data, facility)}: {service}" if several else str(service)
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
