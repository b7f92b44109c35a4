"""What ``run --save summary`` keeps of results with draws (docs/outputs.md).

A run with draws writes, by default, not every daily value of every draw but:

* the per-draw summaries (``summarize(results, quantiles=None)``), from which
  the summary table, the report's numbers and the sensitivity figure are taken;
* the daily quantile bands: each daily variable with a ``quantile`` dim (the
  5th, 50th and 95th percentiles over draws, :data:`BAND_QUANTILES`) in place
  of its ``draw`` dim, from which the figures draw their lines and bands;
* ``closed_share``, the share of draws closed each day (the figures shade it);
* everything without both ``draw`` and ``time`` as it is (coordinates, the
  baseline, the inputs' quantiles of each draw).

:func:`saved_summary` builds that Dataset; :func:`stored_per_run` gives back
the per-draw summaries of such a file (``None`` for a file of daily results),
which :func:`facility_impact.results.summary.summarize` reads in place of
computing them. Results without draws are small and are written whole.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from facility_impact.variables import DRAW_DIM

SAVED_ATTRIBUTE = "saved"
"""Global attribute of a ``--save summary`` file (value ``summary``); a file of daily
results has none, and is byte for byte what it was before ``--save`` existed."""

SAVE_CHOICES = ("summary", "daily")
"""What ``run --save`` may write: the per-draw summaries and daily bands, or every draw's days."""

SUMMARY_VARIABLES_ATTRIBUTE = "summary_variables"
"""Global attribute of a summary file: the names of its per-draw summaries, space-separated."""

SUMMARY_ATTRIBUTE_PREFIX = "summary_"
"""The summary's own attributes (first strike day, strikes) are stored with this prefix."""

BAND_QUANTILES = (0.05, 0.5, 0.95)
"""Quantiles over draws kept of each daily variable (the summary's, see QUANTILES)."""

CLOSED_SHARE = "closed_share"
"""The share of draws in which a facility is closed, day by day [1]."""

UNITS_NOTE = "units_note"
"""Where a stored summary keeps units given in words (see :func:`_stored_units`)."""

_OWN_ATTRIBUTES = ("first_strike_day", "strikes")
"""Attributes of a per-run summary that the results' own do not give back."""


def has_bands(results: xr.Dataset) -> bool:
    """Whether ``results`` hold daily quantile bands rather than every draw's days."""
    return "quantile" in results["capacity"].dims


def draw_count(results: xr.Dataset) -> int:
    """Draws behind ``results`` (0 without draws), with daily draws or bands."""
    if DRAW_DIM in results["capacity"].dims or has_bands(results):
        return int(results.sizes.get(DRAW_DIM, 0))
    return 0


def median_day(data: xr.Dataset) -> xr.Dataset:
    """The median band of every banded variable of ``data`` (no ``quantile`` dim left)."""
    if "quantile" not in data.dims:
        return data
    return data.sel(quantile=0.5, drop=True)


def daily_quantiles(variable: xr.DataArray, quantiles: Sequence[float]) -> xr.DataArray:
    """``variable``'s ``quantiles`` over ``draw`` (numpy's ``linear`` method, as
    ``DataArray.quantile``, which computes in float64: so float32 days give that
    result rounded to float32), dim ``quantile`` first, the other dims in their order.

    One sort over draws (the kernel keeps a day's draws together in memory, and
    numpy sorts float32 rows with SIMD): for 20,000 draws × 365 days × 4 services,
    0.1 s, where ``numpy.partition`` around the six order statistics took 2.3 s and
    ``numpy.quantile`` more. A variable with a NaN goes through
    ``DataArray.quantile`` (NaN stays NaN).
    """
    values = variable.values
    axis = variable.dims.index(DRAW_DIM)
    count = values.shape[axis]
    others = [d for d in variable.dims if d != DRAW_DIM]
    coordinate = {"quantile": list(quantiles)}
    if np.isnan(values).any() or count == 0:
        kept = variable.quantile(list(quantiles), dim=DRAW_DIM, skipna=False, keep_attrs=True)
        return kept.transpose("quantile", *others)
    positions = [q * (count - 1) for q in quantiles]
    below = [int(np.floor(p)) for p in positions]
    above = [min(b + 1, count - 1) for b in below]
    ordered = np.sort(np.moveaxis(values, axis, -1), axis=-1)
    bands = []
    for position, low, high in zip(positions, below, above, strict=True):
        lower, upper = ordered[..., low].astype(float), ordered[..., high].astype(float)
        bands.append(_lerp(lower, upper, position - low))
    stacked = np.stack(bands).astype(values.dtype, copy=False)
    coords = {name: coord for name, coord in variable.coords.items() if DRAW_DIM not in coord.dims}
    return xr.DataArray(
        stacked, dims=("quantile", *others), coords={**coords, **coordinate}, attrs=variable.attrs
    )


def _lerp(lower: np.ndarray, upper: np.ndarray, fraction: float) -> np.ndarray:
    """numpy's interpolation between neighbouring order statistics (``numpy.quantile``)."""
    difference = upper - lower
    if fraction >= 0.5:
        return upper - difference * (1 - fraction)
    return lower + difference * fraction


def _daily_draws(results: xr.Dataset) -> list[str]:
    return [
        str(name)
        for name, variable in results.data_vars.items()
        if DRAW_DIM in variable.dims and "time" in variable.dims
    ]


def daily_bands(results: xr.Dataset) -> dict[str, xr.DataArray]:
    """The daily quantile bands of every variable of ``results`` with draws and days
    (:data:`BAND_QUANTILES`), and :data:`CLOSED_SHARE` where there is ``is_open``;
    empty for results without draws. Independent of the per-draw summaries, so the
    two can be computed at the same time."""
    daily = _daily_draws(results)
    bands = {name: daily_quantiles(results[name], BAND_QUANTILES) for name in daily}
    if "is_open" in daily:
        bands[CLOSED_SHARE] = (
            (results["is_open"] < 0.5)
            .mean(DRAW_DIM)
            .assign_attrs(units="1", long_name="share of draws in which the facility is closed")
        )
    return bands


def saved_summary(
    results: xr.Dataset,
    per_run: xr.Dataset,
    bands: dict[str, xr.DataArray] | None = None,
) -> xr.Dataset:
    """What ``run --save summary`` writes of ``results`` with draws (module docstring);
    ``per_run`` is ``summarize(results, quantiles=None)`` and ``bands``
    :func:`daily_bands` of ``results`` (computed here when not given). Results
    without draws are returned whole (their daily values are what the bands would be)."""
    daily = _daily_draws(results)
    if not daily:
        return results
    kept = results.drop_vars(daily)
    for name, band in (daily_bands(results) if bands is None else bands).items():
        kept[name] = band
    kept["quantile"].attrs = {"units": "1", "long_name": "quantile over draws"}
    summaries = per_run.drop_vars([n for n in per_run.coords if n in results.coords])
    kept = kept.merge(_stored_units(summaries), compat="override", combine_attrs="override")
    own = {
        f"{SUMMARY_ATTRIBUTE_PREFIX}{key}": per_run.attrs[key]
        for key in _OWN_ATTRIBUTES
        if key in per_run.attrs
    }
    return kept.assign_attrs(
        {
            **own,
            SAVED_ATTRIBUTE: "summary",
            SUMMARY_VARIABLES_ATTRIBUTE: " ".join(map(str, per_run.data_vars)),
        }
    )


def _stored_units(summary: xr.Dataset) -> xr.Dataset:
    """``summary`` as CF asks: units given in words (the standards' values, whose units
    differ by indicator) kept as ``units_note``, and a flag without units (true or
    false) given units 1, noted ``units_note = "none"``. :func:`_given_units` undoes it."""
    stored = summary.copy(deep=False)
    for variable in stored.variables.values():
        units = variable.attrs.get("units")
        if isinstance(units, str) and " " in units:
            variable.attrs = {
                (UNITS_NOTE if k == "units" else k): v for k, v in variable.attrs.items()
            }
        elif units is None and variable.dtype == bool:
            variable.attrs = {**variable.attrs, "units": "1", UNITS_NOTE: "none"}
    return stored


def _given_units(summary: xr.Dataset) -> xr.Dataset:
    """Inverse of :func:`_stored_units`."""
    given = summary.copy(deep=False)
    for variable in given.variables.values():
        note = variable.attrs.get(UNITS_NOTE)
        if note == "none":
            variable.attrs = {
                k: v for k, v in variable.attrs.items() if k not in ("units", UNITS_NOTE)
            }
        elif note is not None:
            variable.attrs = {
                ("units" if k == UNITS_NOTE else k): v for k, v in variable.attrs.items()
            }
    return given


def stored_per_run(results: xr.Dataset) -> xr.Dataset | None:
    """The per-draw summaries stored in a ``--save summary`` file (as
    ``summarize(results, quantiles=None)`` gave them), or ``None`` for daily results."""
    if results.attrs.get(SAVED_ATTRIBUTE) != "summary":
        return None
    names = str(results.attrs.get(SUMMARY_VARIABLES_ATTRIBUTE, "")).split()
    summary = results[names]
    summary = summary.drop_vars(
        [name for name, coord in summary.coords.items() if "time" in coord.dims or name == "day"]
    )
    summary = _given_units(summary)
    own = {key: results.attrs[f"{SUMMARY_ATTRIBUTE_PREFIX}{key}"] for key in _OWN_ATTRIBUTES}
    summary.attrs = {
        "title": results.attrs.get("title", ""),
        "first_strike_day": float(own["first_strike_day"]),
        "horizon_days": results.sizes["time"],
        "strikes": int(own["strikes"]),
        "source": results.attrs.get("source", ""),
    }
    return summary
