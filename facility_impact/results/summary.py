"""Headline indicators from a result Dataset (docs/model.md, "Summaries").

Pure xarray: every function takes the result Dataset (as ``simulate`` returns
it or as read back from its NetCDF file) and returns labelled arrays with
``units`` and ``long_name``. Windows are counted from the first strike
(``t0``): "at 30 days" means days ``t0 … t0 + 29``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import xarray as xr

from facility_impact.config import DAYS_PER_MONTH
from facility_impact.results.accounting import ACCOUNTS, accounts, require_counterfactual
from facility_impact.results.day_sums import sum_over_days
from facility_impact.results.saved import stored_per_run
from facility_impact.results.standards import standards_indicators
from facility_impact.results.timeline import first_strike_day
from facility_impact.variables import VARIABLES

PERIODS_DAYS = (30, 90, 180, 365)
"""Cumulative windows after the first strike [d] (docs/model.md, "Summaries"); the
horizon is added."""

RECOVERY_THRESHOLDS = (0.5, 0.9)
"""Shares of baseline capacity whose return is timed (docs/model.md, "Summaries")."""

QUANTILES = (0.05, 0.5, 0.95)
"""Percentiles over draws reported by :func:`summarize` (the issue's 5th, 50th, 95th)."""

QUANTILE_METHOD = {"days_to_capacity": "inverted_cdf"}
"""Quantile method per indicator; numpy's default (``linear``) elsewhere. Days
to capacity can be ``inf`` (not back within the horizon), which interpolation
cannot handle, and is a count of days, so its quantiles are observed values."""

_where = cast(Callable[..., xr.DataArray], xr.where)
"""``xarray.where``, typed: xarray leaves it unannotated."""

# Capacity within this relative distance of a threshold counts as reaching it,
# so float rounding in the recovery curves does not move a recovery day.
_RELATIVE_TOLERANCE = 1e-9


def _windows(
    results: xr.Dataset, t0: xr.DataArray, latest_t0: float | None = None
) -> tuple[xr.DataArray, xr.DataArray]:
    """Masks of the days inside each window, and whether each window fits the horizon.

    ``latest_t0`` [d]: the latest first-strike day of the whole ensemble when
    ``results`` hold only some of its draws (so every part gets the same windows).
    """
    horizon = results.sizes["time"]
    if latest_t0 is None:
        latest_t0 = int(t0.max()) if t0.size else 0
    remaining = horizon - int(latest_t0)
    periods = sorted({*PERIODS_DAYS, remaining})
    period = xr.DataArray(
        np.array(periods, dtype=float),
        dims="period",
        attrs={"units": "d", "long_name": "days after the first strike"},
    )
    period = period.assign_coords(period=period)
    day = results["day"]
    inside = (day >= t0) & (day < t0 + period)
    complete = t0 + period <= horizon
    return inside, complete


def _masked_sum(flow: xr.DataArray, days: xr.DataArray) -> xr.DataArray:
    """``Σ_t flow(t) · days(t)`` over ``time`` in float64; ``days`` is a boolean mask.

    A contraction (``xarray.dot``) rather than ``flow.where(days, 0).sum()``: the
    latter materialises ``flow`` once per period of the mask, which for 20,000
    draws × 365 days was most of the summary's time and memory. Daily outputs
    may be float32; the days add up in float64.
    """
    days = days.astype("float64")
    extra = [dim for dim in days.dims if dim != "time"]
    if len(extra) > 1 or (extra and extra[0] in flow.dims):
        # The mask varies along an ensemble dim (the first strike's day does).
        contracted: xr.DataArray = xr.dot(flow, days, dim="time")
        return contracted
    # The usual case, a mask over days (and periods) alone: one matrix product
    # over days, in float64 (4× faster than the contraction above, measured on
    # 20,000 draws).
    summed: xr.DataArray = xr.apply_ufunc(
        sum_over_days,
        flow,
        days.transpose("time", *extra),
        input_core_dims=[["time"], ["time", *extra]],
        output_core_dims=[extra],
        dask="allowed",
    )
    return summed


def _zero_unless(values: xr.DataArray, keep: xr.DataArray) -> xr.DataArray:
    """``values.where(keep, 0.0)``, without the pass over ``values`` when ``keep`` holds
    everywhere on dims ``values`` has (the same numbers: nothing is replaced)."""
    if set(keep.dims) <= set(values.dims) and bool(keep.all()):
        return values
    return values.where(keep, 0.0)


def _total(flow: xr.DataArray, inside: xr.DataArray, complete: xr.DataArray) -> xr.DataArray:
    return _masked_sum(flow, inside).where(complete)


def _opened(results: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Days on which each facility exists (from its ``opens_day``), and whether it ever does.

    Results without an ``opens_day`` coordinate are read as facilities open from day 0.
    """
    if "opens_day" not in results.coords:
        return xr.ones_like(results["day"], dtype=bool), xr.DataArray(True)
    opens_day = results["opens_day"]
    return results["day"] >= opens_day, opens_day < results.sizes["time"]


def days_to_capacity(results: xr.Dataset, threshold: float) -> xr.DataArray:
    """Days from the first strike until capacity is back to ``threshold`` × baseline for good.

    The recovery day is the day after the last day below the threshold, so a
    second strike that knocks capacity down again counts. 0 when capacity never
    fell below the threshold; ``inf`` when it is still below on the last day
    (not back within the horizon: later than any day simulated, and so ordered
    correctly in quantiles); NaN for a service the facility does not offer.
    Days before a facility opens are not a loss of capacity; a facility that
    does not open within the run has NaN.
    """
    t0 = first_strike_day(results)
    baseline = results["baseline_capacity"]
    opened, ever_opens = _opened(results)
    ratio = results["capacity"] / baseline.where(baseline > 0)
    below = (ratio < threshold * (1 - _RELATIVE_TOLERANCE)) & opened
    last_below = _last_day(results["day"], below)  # NaN when never below
    horizon = results.sizes["time"]
    days = _where(last_below.isnull(), 0.0, last_below + 1 - t0)
    days = _where(last_below == horizon - 1, np.inf, days)
    return days.where(baseline > 0).where(ever_opens)


def _last_day(day: xr.DataArray, flags: xr.DataArray) -> xr.DataArray:
    """``day.where(flags).max("time")``: the last day flagged, NaN where none is, as
    float64; found by index rather than through a float copy of ``day`` as large as
    ``flags`` (the days increase along ``time``)."""
    if not isinstance(flags.data, np.ndarray):  # dask: block by block as it is
        return day.where(flags).max("time")
    axis = flags.get_axis_num("time")
    values = flags.values
    last = values.shape[axis] - 1 - np.argmax(np.flip(values, axis), axis=axis)
    found = np.where(values.any(axis=axis), day.values.astype(float)[last], np.nan)
    last_day = flags.any("time").copy(data=found).rename(day.name)
    last_day.attrs = dict(day.attrs)
    return last_day


def summarize(results: xr.Dataset, *, quantiles: Sequence[float] | None = QUANTILES) -> xr.Dataset:
    """Headline indicators per facility and service (and every scenario and sweep point).

    Where the results have draws, each indicator is computed per draw and then
    reduced to ``quantiles`` over draws (dim ``quantile``; see
    :data:`QUANTILE_METHOD`), and ``not_recovered_share`` gives the share of
    draws in which capacity is not back within the horizon. ``quantiles=None``
    keeps the draws (for sensitivity analysis).

    Variables (windows counted from the first strike, see module docstring):

    * ``baseline_volume_per_month`` [patient month-1]
    * the care accounts of :mod:`facility_impact.results.accounting` [patient] per
      ``period`` (30, 90, 180, 365 d and the horizon; NaN for a window longer than
      what was simulated): ``demand_total``, ``counterfactual_total`` (care without
      the strikes), ``added_demand_total``, ``served_total``, ``served_elsewhere_total``,
      ``forgone_care`` (care forgone because of the strikes), ``displaced_total`` and
      ``waiting_change_total`` (extra patients still waiting at the window's end), so
      that counterfactual + added = served + elsewhere + forgone + displaced + waiting;
      each also as ``<name>_all_services`` per facility (patient contacts of all
      kinds), and forgone and displaced care as ``<name>_all_facilities``
    * ``forgone_share`` [1]: forgone care over the care without the strikes, per period
    * ``capacity_loss_days`` [d]: Σ (1 - C/C0), days of baseline capacity lost, per period
    * ``coverage`` [1]: (served + served elsewhere) / demand from the first strike to the horizon
    * ``person_days_without_access`` [person d]: Σ P(t) · (1 - coverage(t)) over the same
      days, per service; ``person_days_without_access_all_services`` counts each person
      once (day by day the most people lacking any one service, never a sum)
    * ``days_to_capacity`` [d] per ``threshold`` (0.5, 0.9); inf: not back within the horizon
    * ``backlog_at_horizon`` [patient]: still waiting on the last day
    * ``indicative_outcome`` [1] per ``outcome`` and period, where the configuration
      gives outcome rates: forgone care × the rate (labelled indicative)
    * the humanitarian-standards indicators of :mod:`facility_impact.results.standards`

    With other modelled facilities to receive diverted patients (results holding
    ``arrivals``), the load on each receiving facility, per period:

    * ``days_at_full_capacity`` [d]: days with arrivals (more than a billionth of
      the baseline daily volume) on which its own patients served plus the
      arrivals it served filled its capacity
    * ``arrivals_total``, ``received_total`` [patient]: patients of other facilities
      arriving, and served
    * ``overflow_total`` [patient]: arrivals it could not serve (arrivals - received),
      unmet care of the senders

    Days before a facility opens are not a loss of capacity; a facility that does
    not open within the run has NaN capacity indicators. Results written by an older
    version, without the no-strike world, raise ConfigError (re-run them).

    A file written by ``run --save summary`` holds the per-draw summaries
    (:mod:`facility_impact.results.saved`): they are read, not computed again.
    """
    stored = stored_per_run(results)
    summary = per_run(results) if stored is None else stored
    return reduced(summary, quantiles)


def reduced(summary: xr.Dataset, quantiles: Sequence[float] | None = QUANTILES) -> xr.Dataset:
    """:func:`summarize` from the per-draw summary ``summary`` (:func:`per_run`): computed
    if lazy, then reduced to ``quantiles`` over draws (kept with ``quantiles=None``)."""
    if is_lazy(summary):
        # Chunked (dask-backed) results: the daily data stream through block by
        # block; what comes back per run is small (no time dim).
        (summary,) = compute_datasets(summary)
    if quantiles is None or "draw" not in summary.dims:
        return summary
    return over_draws(summary, quantiles)


def is_lazy(dataset: xr.Dataset) -> bool:
    """Whether any variable of ``dataset`` is a dask array (not yet computed)."""
    return any(hasattr(variable.data, "dask") for variable in dataset.variables.values())


def compute_datasets(
    *datasets: xr.Dataset, others: Sequence[object] = (), **options: Any
) -> tuple[Any, ...]:
    """Compute the dask-backed ``datasets`` and any ``others`` (dask collections) in one pass.

    Returns the computed datasets, then the computed ``others``. ``options`` go
    to ``dask.compute`` (e.g. ``scheduler``). One pass means shared work, such
    as the simulation of a block of days, is done once.

    The datasets' variables are handed to dask as plain arrays: dask 2026.8's
    graph optimisation drops tasks when it is given a whole Dataset built on
    the chunked simulation's graph ("Missing dependency ... transpose"), while
    the same arrays compute correctly on their own.
    """
    # Imported here: dask is optional, and only chunked (dask-backed) results need it.
    import dask.base

    compute: Callable[..., tuple[Any, ...]] = dask.base.compute
    lazy = [
        [name for name, variable in dataset.variables.items() if hasattr(variable.data, "dask")]
        for dataset in datasets
    ]
    arrays = [
        [dataset.variables[name].data for name in names]
        for dataset, names in zip(datasets, lazy, strict=True)
    ]
    computed_arrays, *computed_others = compute(arrays, *others, **options)
    results: list[xr.Dataset] = []
    for dataset, names, values in zip(datasets, lazy, computed_arrays, strict=True):
        result = dataset.copy(deep=False)
        for name, value in zip(names, values, strict=True):
            result.variables[name].data = value
        results.append(result)
    return (*results, *computed_others)


def over_draws(
    summary: xr.Dataset,
    quantiles: Sequence[float] = QUANTILES,
    *,
    with_recovery_share: bool = True,
) -> xr.Dataset:
    """Reduce every indicator with a ``draw`` dim to its ``quantiles`` over draws.

    ``with_recovery_share=False`` skips ``not_recovered_share`` (for a summary
    reduced one indicator at a time, which may lack ``days_to_capacity``).
    """
    reduced = {}
    for name, variable in summary.data_vars.items():
        if "draw" not in variable.dims:
            reduced[name] = variable
            continue
        if variable.dtype == bool:
            reduced[name] = variable.mean("draw").assign_attrs(
                units="1", long_name=f"share of draws: {variable.attrs.get('long_name', name)}"
            )
            continue
        # Any: xarray types the method as a Literal of numpy's method names.
        method: Any = QUANTILE_METHOD.get(str(name), "linear")
        # skipna=False: a NaN (a window longer than the run, a service not
        # offered) stays NaN rather than being a percentile of fewer draws.
        reduced[name] = variable.quantile(
            list(quantiles), dim="draw", method=method, keep_attrs=True, skipna=False
        )
    if with_recovery_share:
        days = summary["days_to_capacity"]
        reduced["not_recovered_share"] = (
            cast(xr.DataArray, np.isinf(days)).mean("draw").where(days.notnull().any("draw"))
        ).assign_attrs(
            units="1",
            long_name="share of draws in which capacity is not back within the horizon",
        )
    result = xr.Dataset(reduced, attrs={**summary.attrs, "draws": summary.sizes["draw"]})
    if "quantile" in result.coords:
        result["quantile"].attrs = {"units": "1", "long_name": "quantile over draws"}
    return result


def per_run(results: xr.Dataset, *, latest_t0: float | None = None) -> xr.Dataset:
    """:func:`summarize` before any reduction over draws (and, for chunked
    results, still lazy: compute it together with a write of the results so
    that the blocks are simulated once for both).

    ``latest_t0`` [d]: for results that hold only some draws of an ensemble, the
    latest first-strike day over all of them (see :func:`first_strike_day`), so
    that every part is summarised over the same windows.
    """
    require_counterfactual(results)
    t0 = first_strike_day(results)
    inside, complete = _windows(results, t0, latest_t0)
    summary = xr.Dataset(
        {
            **_care_indicators(results, t0, inside, complete),
            "days_to_capacity": xr.concat(
                [days_to_capacity(results, threshold) for threshold in RECOVERY_THRESHOLDS],
                dim=xr.DataArray(
                    list(RECOVERY_THRESHOLDS),
                    dims="threshold",
                    attrs={"units": "1", "long_name": "share of baseline capacity"},
                ),
            ).assign_attrs(
                units="d",
                long_name="days until capacity is back",
                description="from the first strike; inf: not back within the horizon",
            ),
            "backlog_at_horizon": results["backlog"]
            .isel(time=-1, drop=True)
            .assign_attrs(VARIABLES["backlog_at_horizon"].attrs),
        }
    )
    if "arrivals" in results:
        summary = summary.assign(_overload(results, inside, complete))
    if "outcome_rate" in results:
        summary["indicative_outcome"] = _indicative_outcomes(results, summary["forgone_care"])
    summary = summary.merge(
        standards_indicators(results),
        compat="no_conflicts",
        join="outer",
        combine_attrs="override",
    )
    summary = summary.drop_vars(
        [name for name in ("time", "day") if name in summary.coords], errors="ignore"
    )
    summary.attrs = {
        "title": results.attrs.get("title", ""),
        "first_strike_day": float(t0.min()),
        "horizon_days": results.sizes["time"],
        "strikes": results.sizes.get("strike", 0),
        "source": results.attrs.get("source", ""),
    }
    return summary


def _care_indicators(
    results: xr.Dataset, t0: xr.DataArray, inside: xr.DataArray, complete: xr.DataArray
) -> dict[str, xr.DataArray]:
    """Baseline, the care accounts of each window, capacity lost and access after the
    first strike (see :func:`summarize`), in the summary's order."""
    after_strike = results["day"] >= t0
    baseline = results["baseline_capacity"]
    offered = baseline > 0
    care = accounts(results, lambda flow: _total(flow, inside, complete))
    forgone, counterfactual = care["forgone_care"], care["counterfactual_total"]
    opened, ever_opens = _opened(results)
    capacity_loss = _total(
        _zero_unless(1.0 - results["capacity"] / baseline.where(offered), opened), inside, complete
    ).where(ever_opens)
    demand_after = _masked_sum(results["demand"], after_strike)
    received_after = _masked_sum(results["served"] + results["served_elsewhere"], after_strike)
    per_service = {name: care[name] for name in ACCOUNTS}
    totals = {name: values for name, values in care.items() if name not in ACCOUNTS}
    without_access, once = _without_access(results, after_strike, offered)
    return {
        "baseline_volume_per_month": (baseline * DAYS_PER_MONTH).assign_attrs(
            VARIABLES["baseline_volume_per_month"].attrs
        ),
        **per_service,
        "forgone_share": (forgone / counterfactual.where(counterfactual > 0)).assign_attrs(
            units="1", long_name="share of the care without the strikes that was forgone"
        ),
        "capacity_loss_days": capacity_loss.where(offered).assign_attrs(
            units="d", long_name="days of baseline capacity lost"
        ),
        "coverage": (received_after / demand_after.where(demand_after > 0)).assign_attrs(
            units="1", long_name="coverage after the first strike"
        ),
        "person_days_without_access": without_access,
        **totals,
        "person_days_without_access_all_services": once,
    }


def _without_access(
    results: xr.Dataset, after_strike: xr.DataArray, offered: xr.DataArray
) -> tuple[xr.DataArray, xr.DataArray]:
    """Person-days without access after the first strike: per service, and over all
    services with each person counted once.

    On a day, the people without a service are the population times the share of its
    demand not served here or elsewhere. A person who lacks several services is one
    person: the all-services count takes, day by day, the most people lacking any one
    service (the fewest who lack at least one, were the same people to lack every
    service), never the sum over services.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        received = results["served"] + results["served_elsewhere"]
        coverage = (received / results["demand"]).where(results["demand"] > 0, 1.0)
    lacking = results["population"] * (1.0 - coverage.clip(0.0, 1.0))
    per_service = _masked_sum(lacking, after_strike).where(offered)
    once = _masked_sum(_zero_unless(lacking, offered).max("service"), after_strike)
    return (
        per_service.assign_attrs(VARIABLES["person_days_without_access"].attrs),
        once.where(offered.any("service")).assign_attrs(
            VARIABLES["person_days_without_access_all_services"].attrs
        ),
    )


def _indicative_outcomes(results: xr.Dataset, forgone: xr.DataArray) -> xr.DataArray:
    """Forgone patients of each outcome's service × its rate: *indicative* only.

    The rate and its cited source come from the configuration (``[outcome.*]``);
    the result keeps the source in its attributes so no figure shows the
    number without it.
    """
    rate = results["outcome_rate"]
    counted = (forgone * results["outcome_service"]).sum("service", min_count=1)
    sources = list(results["outcome_source"].values) if "outcome_source" in results.coords else []
    return (counted * rate).assign_attrs(
        units="1",
        long_name="indicative health outcome (forgone patients × outcome rate)",
        description="indicative: an order of magnitude from a published rate, not a prediction",
        sources="; ".join(str(source) for source in sources),
    )


def at_full_capacity(results: xr.Dataset) -> xr.DataArray:
    """Days on which a facility ran at full capacity with arrivals from other facilities.

    True where arrivals exceed a billionth of the baseline daily volume and own
    patients served plus arrivals served reach the capacity (within a relative
    1e-9). Distance decay never reaches exactly 0, so negligible arrivals do not
    make a day count; the tolerance keeps float rounding from hiding a full day.
    Needs ``arrivals``, ``received``, ``served``, ``capacity`` and ``baseline_capacity``.
    """
    arrived = results["arrivals"] > _RELATIVE_TOLERANCE * results["baseline_capacity"]
    load = results["served"] + results["received"]
    return arrived & (load >= results["capacity"] * (1 - _RELATIVE_TOLERANCE))


def _overload(
    results: xr.Dataset, inside: xr.DataArray, complete: xr.DataArray
) -> dict[str, xr.DataArray]:
    """Load on receiving facilities per period (see :func:`summarize`)."""
    arrivals, received = results["arrivals"], results["received"]
    full = at_full_capacity(results)
    return {
        "days_at_full_capacity": _total(full.astype(float), inside, complete).assign_attrs(
            units="d",
            long_name="days at full capacity with arrivals",
            description="days with arrivals from other facilities on which own patients "
            "served plus arrivals served filled the capacity",
        ),
        "arrivals_total": _total(arrivals, inside, complete).assign_attrs(
            VARIABLES["arrivals_total"].attrs
        ),
        "received_total": _total(received, inside, complete).assign_attrs(
            VARIABLES["received_total"].attrs
        ),
        "overflow_total": _total(arrivals - received, inside, complete).assign_attrs(
            units="1",
            long_name=VARIABLES["overflow_total"].long_name,
            description="arrivals beyond the spare capacity: unmet care of the senders",
        ),
    }
