"""What the figures of the summary share: the scenario or sweep point drawn, medians
and percentile ranges, the frame of legend, body and caption, whiskers and bars.

Each figure reads the summary of :func:`facility_impact.results.summary.summarize` (or
the per-draw summary, ``summarize(results, quantiles=None)``, where a total over
services or facilities needs its own percentiles), so every bar is a number of the
summary tables. matplotlib is imported inside the functions, as in
:mod:`facility_impact.present.canvas`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.canvas import caption_lines
from facility_impact.present.headline import longest_period
from facility_impact.present.labels import dim_labels
from facility_impact.present.style import BAR_EDGE
from facility_impact.results.summary import QUANTILES
from facility_impact.variables import DRAW_DIM, ensemble_dims

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WHISKER_LABEL = "5th–95th percentile over draws"
"""Legend entry of the whiskers of every bar figure."""


def select_first(
    data: xr.Dataset, keep: Sequence[str] = (), results: xr.Dataset | None = None
) -> tuple[xr.Dataset, list[str]]:
    """``data`` at the first element of every scenario and sweep dim not in ``keep``,
    and a note per dim reduced ("first scenario (no support)", "first days of closure
    (7)"); ``results`` name the sweep dims by their keys."""
    dims = [d for d in ensemble_dims(data) if d != DRAW_DIM and d not in keep]
    names = dim_labels(results if results is not None else data, dims)
    notes = []
    for dim in dims:
        value = data[dim].values[0] if dim in data.coords else 0
        label = str(value)
        if dim == "scenario" and "scenario_label" in data.coords:
            label = str(data["scenario_label"].values[0])
        elif isinstance(value, float | np.floating):
            label = f"{value:g}"
        notes.append(f"first {names[dim]} ({label})")
        data = data.isel({dim: 0})
    return data, notes


def median_range(values: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """(median, 5th, 95th percentile) of summary values; all three equal without draws."""
    if "quantile" in values.dims:
        low, middle, high = (values.sel(quantile=q, drop=True) for q in QUANTILES)
        return middle, low, high
    return values, values, values


def over_draws(values: xr.DataArray) -> xr.DataArray:
    """Per-draw values to the summary's quantiles over draws (unchanged without draws)."""
    if "draw" not in values.dims:
        return values
    return values.quantile(list(QUANTILES), dim="draw", keep_attrs=True)


def draws_note(data: xr.Dataset) -> str:
    if "quantile" in data.dims or "draw" in data.dims:
        draws = data.attrs.get("draws") or (data.sizes.get("draw") or "")
        return f"bars: median over {draws} draws; whiskers: 5th–95th percentile"
    return ""


def caption_text(results: xr.Dataset, notes: Sequence[str]) -> list[str]:
    """The caption's lines: provenance, then what is shown, wrapped to the figure's width."""
    note = "; ".join(n for n in notes if n)
    return caption_lines(results, [f"shown: {note}" if note else ""])


def offered_mask(summary: xr.Dataset) -> xr.DataArray:
    return summary["baseline_volume_per_month"] > 0


def struck_facilities(summary: xr.Dataset) -> list[Hashable]:
    """Facilities that lost care (median forgone care > 0 in the longest window);
    all facilities offering something when none did."""
    period = longest_period(summary)
    offered = offered_mask(summary).any("service")
    facilities = [f for f in summary["facility"].values if bool(offered.sel(facility=f))]
    if period is None:
        return facilities
    middle, _, _ = median_range(summary["forgone_care"].sel(period=period))
    lost = (middle > 0).any([d for d in middle.dims if d != "facility"])
    return [f for f in facilities if bool(lost.sel(facility=f))] or facilities


def error_bars(
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
    options: dict[str, Any] = {
        "fmt": "none",
        "ecolor": BAR_EDGE,
        "elinewidth": 0.9,
        "capsize": 2.0,
        "capthick": 0.9,
    }
    if horizontal:
        return axis.errorbar(middle, positions, xerr=spread, **options)
    return axis.errorbar(positions, middle, yerr=spread, **options)


def thousands(value: float, _position: Any = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:,.1f}"


def bar_group(
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
