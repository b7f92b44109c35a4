"""The model's counterpart of an observed effect, from a result Dataset (docs/validation.md).

Pure numpy and xarray. The studies counted the consultations at a facility, so the
model's number is a relative risk of service use at the studied facility: its
``served`` over the no-strike world's served care there (``counterfactual_served``;
nobody travels at a study site, so that is the care served there), summed over the
days of the measure's windows on which the facility was open (``is_open``: a
facility closed by the attack files no report). A percent change is 100 (RR - 1).

* pooled windows (``days``, ``month``, ``next_month``): RR = Σ served / Σ
  counterfactual served over every open day of every window;
* a product (``cumulative``): RR = Π served / counterfactual served over the open
  days of the window, the cumulative relative risk of a distributed-lag model.

A draw in which the facility was closed on every day of the windows has no value
(NaN) and is left out of the median and interval, as a study has no report for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from facility_impact.config.observed import Comparison
from facility_impact.results.summary import QUANTILES

MODEL_INTERVAL = (QUANTILES[0], QUANTILES[-1])
"""The model's interval: the 5th and 95th percentiles over draws (a 90 % interval)."""


def daily_series(
    results: xr.Dataset, facility: str, service: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Served, the no-strike world's served and whether it was open, at ``facility`` for
    ``service``, each ``(draw, time)`` (one draw for a single run) in float64."""
    served = results["served"].sel(facility=facility, service=service)
    counterfactual = results["counterfactual_served"].sel(facility=facility, service=service)
    is_open = results["is_open"].sel(facility=facility)
    arrays = []
    for array in (served, counterfactual, is_open):
        if "draw" not in array.dims:
            array = array.expand_dims("draw")
        extra = [d for d in array.dims if d not in ("draw", "time")]
        if extra:
            raise ValueError(f"a study site varies only along draw, not {extra}")
        arrays.append(np.asarray(array.transpose("draw", "time").values, dtype=float))
    return arrays[0], arrays[1], arrays[2] > 0


def relative_risk(
    served: np.ndarray,
    counterfactual: np.ndarray,
    is_open: np.ndarray,
    windows: Sequence[tuple[int, int]],
    product: bool = False,
) -> np.ndarray:
    """The model's relative risk per draw (``(draw, time)`` arrays in, ``(draw,)`` out)
    over ``windows`` (day ranges ``[start, stop)``), pooled or as a ``product`` of daily
    ratios; NaN where the facility was closed throughout."""
    days = served.shape[1]
    if any(start < 0 or stop > days or start >= stop for start, stop in windows):
        raise ValueError(f"windows {list(windows)} do not fit {days} days")
    if product:
        (start, stop), *rest = windows
        if rest:
            raise ValueError("a product of daily ratios takes one window")
        s, c, o = served[:, start:stop], counterfactual[:, start:stop], is_open[:, start:stop]
        counted = o & (c > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(counted, np.log(s / np.where(counted, c, 1.0)), 0.0)
        return np.where(counted.any(axis=1), np.exp(logs.sum(axis=1)), np.nan)
    numerator = np.zeros(served.shape[0])
    denominator = np.zeros(served.shape[0])
    for start, stop in windows:
        o = is_open[:, start:stop]
        numerator += np.where(o, served[:, start:stop], 0.0).sum(axis=1)
        denominator += np.where(o, counterfactual[:, start:stop], 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def model_values(results: xr.Dataset, comparison: Comparison, facility: str) -> np.ndarray:
    """The model's counterpart of ``comparison`` per draw, at ``facility`` of ``results``."""
    served, counterfactual, is_open = daily_series(results, facility, comparison.service)
    return relative_risk(served, counterfactual, is_open, comparison.windows(), comparison.product)


def summarise(values: np.ndarray) -> tuple[float, float, float, int]:
    """Median, 5th and 95th percentiles over the draws with a value, and their number."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.nan, np.nan, np.nan, 0
    low, median, high = np.quantile(finite, (MODEL_INTERVAL[0], 0.5, MODEL_INTERVAL[1]))
    return float(median), float(low), float(high), int(finite.size)


def overlaps(low: float, high: float, other_low: float, other_high: float) -> bool:
    """Whether two intervals share a point (False when either is missing)."""
    if not all(np.isfinite((low, high, other_low, other_high))):
        return False
    return bool(max(low, other_low) <= min(high, other_high))


def log_residual(comparison: Comparison, model: float) -> float:
    """(ln model − ln observed) / the observed log standard error: the calibration's
    weighted residual (inf where the model's RR is 0 or missing)."""
    observed = comparison.observed_rr[0]
    if not np.isfinite(model) or model <= 0:
        return np.inf
    return float((np.log(model) - np.log(observed)) / comparison.log_se)


def validation_table(
    comparisons: Sequence[Comparison], values: Mapping[str, np.ndarray]
) -> xr.Dataset:
    """One row per comparison (dim ``effect``): the observed estimate and interval, the
    model's median and 90 % interval over draws and whether the two intervals overlap,
    with the draws behind each model number (``model_draws``, effect × draw)."""
    rows = []
    for comparison in comparisons:
        estimate, low, high = comparison.observed_rr
        median, model_low, model_high, used = summarise(values[comparison.id])
        rows.append((estimate, low, high, median, model_low, model_high, used))
    numbers = np.array(rows, dtype=float).reshape(len(comparisons), 7)
    width = max((values[c.id].size for c in comparisons), default=0)
    draws = np.full((len(comparisons), width), np.nan)
    for index, comparison in enumerate(comparisons):
        draws[index, : values[comparison.id].size] = values[comparison.id]
    effect = [c.id for c in comparisons]

    def column(index: int, long_name: str, units: str = "1") -> xr.DataArray:
        return xr.DataArray(
            numbers[:, index], dims="effect", attrs={"long_name": long_name, "units": units}
        )

    table = xr.Dataset(
        {
            "observed": column(0, "observed relative risk of service use"),
            "observed_low": column(1, "observed, lower end of the 95 % interval"),
            "observed_high": column(2, "observed, upper end of the 95 % interval"),
            "model": column(3, "model, median over draws"),
            "model_low": column(4, "model, 5th percentile over draws"),
            "model_high": column(5, "model, 95th percentile over draws"),
            "draws_used": column(6, "draws with the facility open in the window", "count"),
            "model_draws": xr.DataArray(draws, dims=("effect", "draw")),
        },
        coords={
            "effect": effect,
            "study": ("effect", [c.observed.citation for c in comparisons]),
            "service": ("effect", [c.service for c in comparisons]),
            "measure": ("effect", [_measure_label(c) for c in comparisons]),
            "scope": ("effect", [c.site.scope for c in comparisons]),
            "fit": ("effect", [c.fit for c in comparisons]),
        },
    )
    table["overlap"] = xr.DataArray(
        [overlaps(*numbers[i, 4:6], *numbers[i, 1:3]) for i in range(len(comparisons))],
        dims="effect",
        attrs={"long_name": "the model's 90 % interval meets the observed 95 % interval"},
    )
    return table


def _measure_label(comparison: Comparison) -> str:
    """The window in words, for tables: ``day 1``, ``month``, ``lags 0-30``…"""
    if comparison.measure == "days":
        last = comparison.start + comparison.length - 1
        days = str(comparison.start) if last == comparison.start else f"{comparison.start}-{last}"
        return f"day {days}"
    if comparison.measure == "cumulative":
        return "lags 0-30 (product)"
    events = comparison.site.event_days
    month = "month" if comparison.measure == "month" else "next month"
    return month if events is None else f"{month}, {len(events)} attacks"
