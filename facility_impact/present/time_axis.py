"""The time axis of the time-series figures: dates or days, spans of days, strikes,
closures and the days a facility ran at full capacity.

matplotlib is imported inside the functions, as in :mod:`facility_impact.present.canvas`.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.style import SERIES, narrow, points
from facility_impact.results.summary import QUANTILES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

STRIKE_LABEL_CHARACTERS = 32
"""Longest strike label drawn in full; longer ones end in an ellipsis."""

CLOSED_IN_MOST = 0.5
"""A day is shaded closed when at least this share of the draws has the facility
closed on it: the median draw's closure."""

CLOSED_IN_SOME = 1 - QUANTILES[-1]
"""A day is hatched when the facility is closed in at least this share of the draws
(but fewer than half): up to the 95th percentile of the closures' ends."""

CLOSED_IN_ALL = QUANTILES[-1]
"""A day is shaded darker when the facility is closed in at least this share of the
draws: up to the 5th percentile of the closures' ends."""


def date_axis(axis: Axes) -> None:
    """Concise date ticks, with the year on the first tick."""
    # Imported here: matplotlib is optional for the package.
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=4 if narrow() else 7)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(_first_tick_year_formatter()(locator))


@functools.cache
def _first_tick_year_formatter() -> type:
    """ConciseDateFormatter that also gives the year on the first visible tick.

    With month ticks across a new year, ConciseDateFormatter shows the year only at
    January and drops its offset, so the months before January have no year at all.
    """
    # Imported here: matplotlib is optional for the package.
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


def spans(mask: np.ndarray, time: xr.DataArray) -> list[tuple[Any, Any]]:
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


def strikes_of(data: xr.Dataset, facility: Hashable | None) -> list[tuple[Any, str]]:
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
        if len(text) > STRIKE_LABEL_CHARACTERS:
            text = text[: STRIKE_LABEL_CHARACTERS - 1].rstrip() + "…"
        rows.append((_x_of_day(data, float(day)), text))
    return rows


def position(time: xr.DataArray, x: Any) -> float:
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


def closed_share(is_open: xr.DataArray) -> xr.DataArray:
    """The share of draws in which the facility is closed, day by day [1]."""
    return (is_open < 0.5).mean("draw")


def shade_closures(
    axis: Axes, at_facility: xr.Dataset, time: xr.DataArray, handles: dict[str, Any]
) -> None:
    """Shade the days the facility is closed. With draws (``closed_share``), the range
    of the closures' ends: darker grey where 95 % of the draws or more are closed (to
    the 5th percentile of the ends), grey where half to 95 % are (to the median),
    hatched where 5 % to half are (to the 95th percentile). Without draws, grey
    where it is closed."""
    if "closed_share" in at_facility:
        share = at_facility["closed_share"].values
        low, high = f"{CLOSED_IN_SOME * 100:.0f}", f"{CLOSED_IN_ALL * 100:.0f}"
        levels = (
            (share >= CLOSED_IN_ALL - 1e-12, "closure_all", f"closed in {high}–100 % of draws"),
            (
                (share >= CLOSED_IN_MOST) & (share < CLOSED_IN_ALL - 1e-12),
                "closure",
                f"closed in 50–{high} % of draws",
            ),
            (
                (share >= CLOSED_IN_SOME - 1e-12) & (share < CLOSED_IN_MOST),
                "closure_range",
                f"closed in {low}–50 % of draws",
            ),
        )
        for mask, style, label in levels:
            for start, end in spans(mask, time):
                patch = axis.axvspan(start, end, zorder=0, **SERIES[style])
                handles.setdefault(label, patch)
    elif "is_open" in at_facility:
        for start, end in spans(at_facility["is_open"].values < 0.5, time):
            patch = axis.axvspan(start, end, zorder=0, **SERIES["closure"])
            handles.setdefault("facility closed", patch)


def full_capacity_strip(
    strip: Axes, full: np.ndarray | None, time: xr.DataArray, handles: dict[str, Any]
) -> None:
    """The strip under a panel that marks the days at full capacity with arrivals:
    an axis of its own, with no values, so the marks cannot be read as data."""
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.grid(visible=False)
    strip.spines["left"].set_visible(False)
    strip.set_ylabel("full", rotation=0, ha="right", va="center", fontsize=points("tiny"))
    if full is None:
        return
    for start, end in spans(full, time):
        patch = strip.axvspan(start, end, ymin=0.15, ymax=0.85, **SERIES["full_capacity"])
        handles.setdefault("at full capacity with arrivals", patch)


def label_strikes(
    axis: Axes,
    strikes: list[tuple[Any, str]],
    time: xr.DataArray,
    handles: dict[str, Any],
    *,
    labelled: bool,
) -> None:
    """A vertical line at each strike; with ``labelled``, its label beside it (late
    strikes are labelled on the left so that the text stays inside)."""
    for number, (x, label) in enumerate(strikes):
        line = axis.axvline(x, **SERIES["strike"])
        handles.setdefault("strike", line)
        if not labelled:
            continue
        left = position(time, x) > 0.6
        axis.annotate(
            label,
            xy=(x, 0.97 - 0.11 * number),
            xycoords=("data", "axes fraction"),
            xytext=(-3 if left else 3, 0),
            textcoords="offset points",
            ha="right" if left else "left",
            va="top",
            fontsize=points("tiny"),
            bbox={
                "boxstyle": "square,pad=0.15",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.85,
            },
        )
