"""Indicators against humanitarian minimum standards (docs/model.md, "Summaries").

The indicators, their thresholds and the published source of each threshold are
read from ``data/standards.toml``; this module holds only the arithmetic.

* An indicator that counts **resources** (beds, staff) is a density:
  ``Σ_r Q_r · a_r(t) / P(t) · per_people`` [resource per ``per_people`` person].
* An indicator that counts **services** is a utilisation rate:
  ``Σ_s (served + served_elsewhere)(t) · 365.25 / P(t) · per_people`` [person-1 yr-1],
  the care the catchment population actually received, locally or elsewhere.

Each is reported at three moments (dim ``moment``):

* ``before``: the pre-strike baseline, ``Q_r / P`` and ``C0_s · 365.25 / P``,
  with ``P`` the population on the day before the first strike (day 0 when the
  first strike is on day 0);
* ``worst``: the least favourable daily value from the first strike on (the
  minimum for an "at least" or "more than" standard, ``>=`` or ``>``);
* ``at_horizon``: the value on the last simulated day.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from importlib.resources import files
from typing import Any, cast

import numpy as np
import xarray as xr

from facility_impact.errors import ConfigError
from facility_impact.results.timeline import first_strike_day

DAYS_PER_YEAR = 365.25
"""Mean days in a year [d yr-1], as for months (docs/model.md, "Time": a month is 365.25 / 12 d)."""

MOMENTS = ("before", "worst", "at_horizon")
"""When each indicator is reported (the ``moment`` dim)."""

_where = cast(Callable[..., xr.DataArray], xr.where)
"""``xarray.where``, typed: xarray leaves it unannotated."""

_COMPARISONS = (">=", ">", "<=", "<")
"""How a value is compared with its threshold; ``>`` and ``<`` for a standard worded
"more than" or "fewer than", which a value equal to the threshold does not meet."""

_FLOORS = (">=", ">")
"""The comparisons of a minimum: the standard guards against low values."""
_REQUIRED_TEXT = ("long_name", "units", "source", "edition", "note")


def _check_standard(name: str, entry: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the key when a standard's table cannot be used."""
    for key in _REQUIRED_TEXT:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"standards.{name}.{key}: missing; required, a non-empty text")
    threshold = entry.get("threshold")
    # bool is an int in Python; a true/false threshold is a typo, not a number.
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ConfigError(f"standards.{name}.threshold = {threshold!r}: must be a number")
    if not math.isfinite(threshold):
        raise ConfigError(f"standards.{name}.threshold = {threshold!r}: must be finite")
    if entry.get("comparison") not in _COMPARISONS:
        raise ConfigError(
            f"standards.{name}.comparison = {entry.get('comparison')!r}: "
            f"must be one of {', '.join(_COMPARISONS)}"
        )
    per_people = entry.get("per_people")
    if isinstance(per_people, bool) or not isinstance(per_people, int | float) or per_people <= 0:
        raise ConfigError(f"standards.{name}.per_people = {per_people!r}: must be a number > 0")
    counted = [key for key in ("resources", "services") if entry.get(key)]
    if len(counted) != 1:
        raise ConfigError(
            f"standards.{name}: give exactly one of resources and services (a non-empty list)"
        )
    items = entry[counted[0]]
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"standards.{name}.{counted[0]} = {items!r}: must be a list of names")


def load_standards() -> dict[str, dict[str, Any]]:
    """The standards of ``data/standards.toml``: indicator name → its table (checked).

    Raises ConfigError when a table lacks a source, a numeric threshold, a
    known comparison, or what it counts.
    """
    text = files("facility_impact").joinpath("data/standards.toml").read_text(encoding="utf-8")
    standards = tomllib.loads(text)
    for name, entry in standards.items():
        _check_standard(name, entry)
    return standards


def _moment_values(
    daily: xr.DataArray,
    baseline: xr.DataArray,
    results: xr.Dataset,
    comparison: str,
) -> xr.DataArray:
    """``daily`` (…, time) and ``baseline`` (…) → values on the ``moment`` dim."""
    t0 = first_strike_day(results)
    after_first_strike = results["day"] >= t0
    from_strike_on = daily.where(after_first_strike)
    # "Worst" is the side of the threshold the standard guards against.
    worst = from_strike_on.min("time") if comparison in _FLOORS else from_strike_on.max("time")
    at_horizon = daily.isel(time=-1, drop=True)
    values = xr.concat([baseline, worst, at_horizon], dim="moment", coords="minimal")
    return values.drop_vars([n for n in ("time", "day") if n in values.coords])


def _population_before(results: xr.Dataset) -> xr.DataArray:
    """P [person] on the day before the first strike, day 0 when that strike is on day 0."""
    t0 = first_strike_day(results)
    before_day = np.maximum(t0 - 1, 0)
    # Matched on the day number, not the position, so results cut in time still work;
    # an ensemble of strike days picks each member's own day. NaN if that day is not there.
    on_that_day = results["population"].where(results["day"] == before_day)
    return on_that_day.max("time")


def _present(names: list[str], available: xr.DataArray) -> list[str]:
    known = {str(value) for value in available.values}
    return [name for name in names if name in known]


def _indicator(
    results: xr.Dataset, entry: Mapping[str, Any], skeleton: xr.DataArray
) -> xr.DataArray:
    """One indicator on (…, facility, moment); all NaN when nothing it counts is in the results."""
    population = results["population"]
    # A catchment that has left entirely has no per-person value, not an infinite one.
    population = population.where(population > 0)
    population_before = _population_before(results)
    population_before = population_before.where(population_before > 0)
    scale = float(entry["per_people"])
    if entry.get("resources"):
        counted = _present(list(entry["resources"]), results["resource"])
        if not counted:
            return xr.full_like(skeleton, np.nan)
        quantity = results["baseline_quantity"].sel(resource=counted)
        usable = (quantity * results["available"].sel(resource=counted)).sum("resource")
        daily = usable / population * scale
        baseline = quantity.sum("resource") / population_before * scale
    else:
        counted = _present(list(entry["services"]), results["service"])
        if not counted:
            return xr.full_like(skeleton, np.nan)
        received = (results["served"] + results["served_elsewhere"]).sel(service=counted)
        daily = received.sum("service") * DAYS_PER_YEAR / population * scale
        baseline_volume = results["baseline_capacity"].sel(service=counted).sum("service")
        baseline = baseline_volume * DAYS_PER_YEAR / population_before * scale
    values = _moment_values(daily, baseline, results, entry["comparison"])
    return values.broadcast_like(skeleton)


def standards_indicators(
    results: xr.Dataset, standards: Mapping[str, Mapping[str, Any]] | None = None
) -> xr.Dataset:
    """Each facility against humanitarian minimum standards, before, at worst and at the horizon.

    ``standards`` defaults to :func:`load_standards`; a mapping of the same
    shape replaces it. Returns a Dataset with dims ``indicator``, ``facility``,
    ``moment`` and any ensemble dims of ``results``:

    * ``standard_value`` (indicator, facility, moment, …): the indicator's value;
      its units differ by indicator and are in the coordinate ``indicator_units``
      (beds [bed per 10000 person], consultations [person-1 yr-1]).
      NaN when nothing the indicator counts is in the results, or when the
      catchment population is 0.
    * ``standard_threshold`` (indicator): the published minimum, with its
      source, edition and verification status in the attributes and coordinates.
    * ``meets_standard`` (indicator, facility, moment, …) [bool]: value compared
      with the threshold as the standard says; False where the value is NaN.

    Coordinates on ``indicator``: ``indicator_long_name``, ``indicator_units``,
    ``standard_comparison``, ``standard_source``, ``standard_source_label`` (a
    short name of the source, such as "UNHCR Emergency Handbook"; empty when the
    table gives none), ``standard_edition``, ``threshold_verified``.
    """
    if standards is None:
        standards = load_standards()
    for name, entry in standards.items():
        _check_standard(name, entry)
    names = list(standards)
    values = _indicator_values(results, standards, names)
    threshold = xr.DataArray(
        [float(standards[name]["threshold"]) for name in names],
        dims="indicator",
        coords={"indicator": names},
    )
    comparison = xr.DataArray(
        [standards[name]["comparison"] for name in names],
        dims="indicator",
        coords={"indicator": names},
    )
    meets = _meets(values, threshold, comparison)

    def per_indicator(key: str, default: object = "") -> list[Any]:
        return [standards[name].get(key, default) for name in names]

    sources = "; ".join(f"{name}: {standards[name]['source']}" for name in names)
    editions = "; ".join(f"{name}: {standards[name]['edition']}" for name in names)
    units_note = "differs by indicator; see coordinate indicator_units"
    indicators = xr.Dataset(
        {
            "standard_value": values.assign_attrs(
                units=units_note,
                long_name="value of the humanitarian-standard indicator",
                description=(
                    "before: pre-strike baseline; worst: least favourable day from the "
                    "first strike on; at_horizon: last simulated day"
                ),
            ),
            "standard_threshold": threshold.assign_attrs(
                units=units_note,
                long_name="threshold of the standard",
                source=sources,
                edition=editions,
            ),
            "meets_standard": meets.transpose(*values.dims).assign_attrs(
                units="1",
                long_name="indicator meets the minimum standard",
                description="False where the value could not be computed",
            ),
        }
    )
    indicators = _describe_indicators(indicators, per_indicator)
    indicators.attrs = {
        "title": results.attrs.get("title", ""),
        "first_strike_day": float(first_strike_day(results).min()),
        "horizon_days": results.sizes["time"],
        "source": results.attrs.get("source", ""),
    }
    return indicators


def _meets(values: xr.DataArray, threshold: xr.DataArray, comparison: xr.DataArray) -> xr.DataArray:
    """``values <comparison> threshold``, each indicator with its own comparison.

    NaN compares False either way, so a value that could not be computed never "meets".
    """
    return _where(
        comparison == ">=",
        values >= threshold,
        _where(
            comparison == ">",
            values > threshold,
            _where(comparison == "<=", values <= threshold, values < threshold),
        ),
    )


def _indicator_values(
    results: xr.Dataset, standards: Mapping[str, Mapping[str, Any]], names: list[str]
) -> xr.DataArray:
    """Every indicator's values on (indicator, facility, moment, …)."""
    population = results["population"]
    structure = population.isel(time=0, drop=True)
    skeleton = xr.full_like(structure, np.nan, dtype=float).expand_dims(
        moment=list(MOMENTS), axis=-1
    )
    skeleton = skeleton.drop_vars([n for n in ("time", "day") if n in skeleton.coords])
    values = xr.concat(
        [_indicator(results, standards[name], skeleton) for name in names],
        dim=xr.DataArray(names, dims="indicator"),
        coords="minimal",
    )
    values = values.assign_coords(moment=list(MOMENTS))
    return values.transpose("indicator", "facility", "moment", ...)


def _describe_indicators(
    indicators: xr.Dataset, per_indicator: Callable[[str, object], list[Any]]
) -> xr.Dataset:
    """The coordinates on ``indicator`` (what each is, its source) and their attributes."""
    indicators = indicators.assign_coords(
        indicator_long_name=("indicator", per_indicator("long_name", "")),
        indicator_units=("indicator", per_indicator("units", "")),
        standard_comparison=("indicator", per_indicator("comparison", "")),
        standard_source=("indicator", per_indicator("source", "")),
        standard_source_label=("indicator", per_indicator("source_label", "")),
        standard_edition=("indicator", per_indicator("edition", "")),
        threshold_verified=(
            "indicator",
            [bool(v) for v in per_indicator("threshold_verified", False)],
        ),
    )
    indicators["indicator"].attrs = {"long_name": "humanitarian minimum-standard indicator"}
    indicators["moment"].attrs = {
        "long_name": "moment of the indicator",
        "description": "before: pre-strike baseline; worst: least favourable day from the "
        "first strike on; at_horizon: last simulated day",
    }
    indicators["indicator_long_name"].attrs = {"long_name": "indicator"}
    indicators["indicator_units"].attrs = {"long_name": "units of the indicator"}
    indicators["standard_comparison"].attrs = {
        "long_name": "the standard is met when value <comparison> threshold"
    }
    indicators["standard_source"].attrs = {"long_name": "published source of the threshold"}
    indicators["standard_source_label"].attrs = {"long_name": "short name of the source"}
    indicators["standard_edition"].attrs = {"long_name": "edition of the source"}
    indicators["threshold_verified"].attrs = {
        "long_name": "threshold checked against the published text"
    }
    return indicators
