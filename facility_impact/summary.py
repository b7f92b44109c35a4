"""Headline indicators from a result Dataset (MODEL.md, "Summaries and indicators").

Pure xarray: every function takes the result Dataset (as ``simulate`` returns
it or as read back from its NetCDF file) and returns labelled arrays with
``units`` and ``long_name``. Windows are counted from the first strike
(``t0``): "at 30 days" means days ``t0 … t0 + 29``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from facility_impact.config import DAYS_PER_MONTH

PERIODS_DAYS = (30, 90, 180, 365)
"""Cumulative windows after the first strike [d] (MODEL.md); the horizon is added."""

RECOVERY_THRESHOLDS = (0.5, 0.9)
"""Shares of baseline capacity whose return is timed (MODEL.md)."""

# Capacity within this relative distance of a threshold counts as reaching it,
# so float rounding in the recovery curves does not move a recovery day.
_RELATIVE_TOLERANCE = 1e-9


def first_strike_day(results: xr.Dataset) -> xr.DataArray:
    """``t0`` [d]: the day of the first strike anywhere (0 when there is none)."""
    if results.sizes.get("strike", 0) == 0:
        return xr.DataArray(0.0)
    return results["strike_day"].min("strike")


def _windows(results: xr.Dataset, t0: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Masks of the days inside each window, and whether each window fits the horizon."""
    horizon = results.sizes["time"]
    remaining = horizon - int(t0.max()) if t0.size else horizon
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


def _total(flow: xr.DataArray, inside: xr.DataArray, complete: xr.DataArray) -> xr.DataArray:
    return flow.where(inside, 0.0).sum("time").where(complete)


def _opened(results: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Days on which each facility exists (from its ``opens_day``), and whether it ever does.

    Results without an ``opens_day`` coordinate are read as facilities open from day 0.
    """
    if "opens_day" not in results.coords:
        return xr.ones_like(results["day"], dtype=bool), xr.DataArray(True)
    opens_day = results["opens_day"]
    return results["day"] >= opens_day, opens_day < results.sizes["time"]


def days_to_capacity(results: xr.DataArray | xr.Dataset, threshold: float) -> xr.DataArray:
    """Days from the first strike until capacity is back to ``threshold`` × baseline for good.

    The recovery day is the day after the last day below the threshold, so a
    second strike that knocks capacity down again counts. 0 when capacity never
    fell below the threshold; NaN when it is still below on the last day
    (not back within the horizon); NaN for a service the facility does not offer.
    Days before a facility opens are not a loss of capacity; a facility that
    does not open within the run has NaN.
    """
    t0 = first_strike_day(results)
    baseline = results["baseline_capacity"]
    opened, ever_opens = _opened(results)
    ratio = results["capacity"] / baseline.where(baseline > 0)
    below = (ratio < threshold * (1 - _RELATIVE_TOLERANCE)) & opened
    last_below = results["day"].where(below).max("time")  # NaN when never below
    horizon = results.sizes["time"]
    days = xr.where(last_below.isnull(), 0.0, last_below + 1 - t0)
    days = days.where(last_below != horizon - 1).where(baseline > 0).where(ever_opens)
    return days


def summarize(results: xr.Dataset) -> xr.Dataset:
    """Headline indicators per facility and service.

    Variables (windows counted from the first strike, see module docstring):

    * ``baseline_volume_per_month`` [patient month-1]
    * ``demand_total``, ``forgone_care`` (unmet + abandoned), ``served_elsewhere_total``
      [patient] per ``period`` (30, 90, 180, 365 d and the horizon; NaN for a
      window longer than what was simulated)
    * ``forgone_share`` [1]: forgone care over demand, per period
    * ``capacity_loss_days`` [d]: Σ (1 - C/C0), days of baseline capacity lost, per period
    * ``coverage`` [1]: (served + served elsewhere) / demand from the first strike to the horizon
    * ``person_days_without_access`` [person d]: Σ P(t) · (1 - coverage(t)) over the same days
    * ``days_to_capacity`` [d] per ``threshold`` (0.5, 0.9); NaN: not back within the horizon
    * ``backlog_at_horizon`` [patient]: still waiting on the last day

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
    not open within the run has NaN capacity indicators.
    """
    t0 = first_strike_day(results)
    inside, complete = _windows(results, t0)
    after_strike = results["day"] >= t0
    baseline = results["baseline_capacity"]
    offered = baseline > 0
    forgone_daily = results["unmet"] + results["abandoned"]
    care_received = results["served"] + results["served_elsewhere"]

    demand_total = _total(results["demand"], inside, complete)
    forgone = _total(forgone_daily, inside, complete)
    opened, ever_opens = _opened(results)
    capacity_loss = _total(
        (1.0 - results["capacity"] / baseline.where(offered)).where(opened, 0.0), inside, complete
    ).where(ever_opens)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily_coverage = (care_received / results["demand"]).where(results["demand"] > 0, 1.0)
    daily_coverage = daily_coverage.clip(0.0, 1.0)
    demand_after = results["demand"].where(after_strike, 0.0).sum("time")
    received_after = care_received.where(after_strike, 0.0).sum("time")

    summary = xr.Dataset(
        {
            "baseline_volume_per_month": (baseline * DAYS_PER_MONTH).assign_attrs(
                units="patient month-1", long_name="baseline volume"
            ),
            "demand_total": demand_total.assign_attrs(
                units="patient", long_name="demand after the first strike"
            ),
            "forgone_care": forgone.assign_attrs(
                units="patient", long_name="forgone care (unmet + abandoned)"
            ),
            "served_elsewhere_total": _total(
                results["served_elsewhere"], inside, complete
            ).assign_attrs(units="patient", long_name="served elsewhere"),
            "forgone_share": (forgone / demand_total.where(demand_total > 0)).assign_attrs(
                units="1", long_name="share of demand forgone"
            ),
            "capacity_loss_days": capacity_loss.where(offered).assign_attrs(
                units="d", long_name="days of baseline capacity lost"
            ),
            "coverage": (received_after / demand_after.where(demand_after > 0)).assign_attrs(
                units="1", long_name="coverage after the first strike"
            ),
            "person_days_without_access": (
                (results["population"] * (1.0 - daily_coverage)).where(after_strike, 0.0)
            )
            .sum("time")
            .where(offered)
            .assign_attrs(units="person d", long_name="person-days without access"),
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
                description="from the first strike; NaN: not back within the horizon",
            ),
            "backlog_at_horizon": results["backlog"]
            .isel(time=-1, drop=True)
            .assign_attrs(units="patient", long_name="patients still waiting at the horizon"),
        }
    )
    if "arrivals" in results:
        summary = summary.assign(_overload(results, inside, complete))
    summary = summary.drop_vars(
        [name for name in ("time", "day") if name in summary.coords], errors="ignore"
    )
    summary.attrs = {
        "title": results.attrs.get("title", ""),
        "first_strike_day": float(t0.min()) if t0.size else 0.0,
        "horizon_days": results.sizes["time"],
        "source": results.attrs.get("source", ""),
    }
    return summary


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
            units="patient", long_name="arrivals from other facilities"
        ),
        "received_total": _total(received, inside, complete).assign_attrs(
            units="patient", long_name="patients received from other facilities"
        ),
        "overflow_total": _total(arrivals - received, inside, complete).assign_attrs(
            units="patient",
            long_name="arrivals not served (overflow)",
            description="arrivals beyond the spare capacity: unmet care of the senders",
        ),
    }
