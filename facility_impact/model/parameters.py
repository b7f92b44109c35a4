"""From a checked :class:`~facility_impact.config.loading.Config` to the parameter Dataset.

Every model input becomes one variable of an ``xarray.Dataset`` that carries
only the dims it varies along (``facility``, ``destination_facility``,
``service``, ``resource``, ``strike``, ``alternative``, ``time``). Any further
dim on a parameter (a sweep, ``draw``, ``scenario``) is broadcast by the
simulation, which loops over days alone. Volumes are converted here to daily
rates, the model's base unit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from facility_impact.config.loading import BASE_SCENARIO, DAYS_PER_MONTH, Config
from facility_impact.config.sweeps import sweep_dims
from facility_impact.config.variation import Sweep, Uncertain, Varying, stream_quantiles
from facility_impact.errors import ConfigError
from facility_impact.variables import PARAMETER_METADATA

ABSENT_VALUE = {
    "population_baseline": 1.0,
    "distance_decay_km": np.inf,
    "demand_multiplier": 1.0,
    "alternative_distance_km": np.inf,
    "network_distance_km": np.inf,
    "facility_closes_day": np.inf,
    "strike_day": np.nan,
    "strike_closure_days": 0.0,
}
"""Value of a parameter for an entry that a scenario lacks (a strike, an
alternative, a facility another scenario adds): it takes part in nothing.
Every other parameter is 0 there."""


def build_parameters(
    config: Config, *, quantiles: dict[str, np.ndarray] | None = None
) -> xr.Dataset:
    """The parameter Dataset of ``config``: one variable per model input, in base units.

    Units: patients per day for volumes, days for times, km for distances,
    fractions (``"1"``) for shares and weights. A swept number adds its sweep
    dim to the variables it feeds; a distribution adds ``draw``; named
    scenarios stack on ``scenario`` (first ``"base"``, the configuration as
    written). A variable carries only the dims it varies along.

    ``quantiles`` maps random-stream names to uniform quantiles, one per draw;
    by default each stream gets :func:`~facility_impact.config.variation.stream_quantiles`
    from the configuration's seed (Latin hypercube). The variable
    ``input_quantile`` (input, draw) records the quantiles of every stream used,
    for sensitivity analysis.
    """
    variants = [(BASE_SCENARIO, config), *((s.name, s.config) for s in config.scenarios)]
    sweep_dim_of = sweep_dims([variant for _, variant in variants])
    draws = config.draws if quantiles is None else len(next(iter(quantiles.values()), []))
    used: dict[str, np.ndarray] = {} if quantiles is None else dict(quantiles)
    stream_keys: dict[str, list[str]] = {}

    def realise(value: Varying) -> xr.DataArray:
        if isinstance(value, Sweep):
            dim, coordinate = sweep_dim_of[value.path]
            return xr.DataArray(
                np.array(value.values, dtype=float), dims=dim, coords={dim: coordinate}
            )
        assert isinstance(value, Uncertain)
        if value.stream not in used:
            if quantiles is not None:
                raise ConfigError(f"{value.path}: no quantiles given for stream {value.stream!r}")
            used[value.stream] = stream_quantiles(value.stream, draws, config.seed)
        keys = stream_keys.setdefault(value.stream, [])
        if value.path not in keys:
            keys.append(value.path)
        return xr.DataArray(value.values_at(used[value.stream]), dims="draw")

    datasets = [_build_one(variant, realise) for _, variant in variants]
    if len(datasets) == 1:
        params = datasets[0]
    else:
        params = xr.concat(
            datasets,
            dim=xr.DataArray(np.array([name for name, _ in variants]), dims="scenario"),
            join="outer",
            fill_value={name: ABSENT_VALUE.get(name, 0.0) for name in PARAMETER_METADATA},
            data_vars="all",
            coords="minimal",
        )
        # Only what a scenario changes varies along ``scenario``.
        for name, variable in params.data_vars.items():
            first = variable.isel(scenario=0, drop=True)
            if all(
                variable.isel(scenario=i, drop=True).equals(first) for i in range(1, len(variants))
            ):
                params[name] = first
        if not any("scenario" in variable.dims for variable in params.data_vars.values()):
            # Scenarios identical to the base still get results of their own.
            params["population_baseline"] = params["population_baseline"].expand_dims(
                scenario=params["scenario"].values
            )
    for name, (_, units, long_name) in PARAMETER_METADATA.items():
        params[name].attrs = {"units": units, "long_name": long_name}
    if stream_keys:
        streams = sorted(stream_keys)
        params["input_quantile"] = xr.DataArray(
            np.stack([used[stream] for stream in streams]),
            dims=("input", "draw"),
            attrs={
                "units": "1",
                "long_name": "quantile of each uncertain input (Latin hypercube)",
            },
        )
        params = params.assign_coords(
            input=streams,
            input_keys=("input", [", ".join(stream_keys[stream]) for stream in streams]),
        )
    if "draw" in params.dims:
        params = params.assign_coords(draw=np.arange(params.sizes["draw"]))
        params["draw"].attrs = {"long_name": "Monte Carlo draw"}
    # The kernel stores its results in this type (run.precision).
    params.attrs["results_dtype"] = config.results_dtype
    return params


def _stack(values: Any, dims: tuple[str, ...], shape: tuple[int, ...], realise) -> xr.DataArray:
    """A DataArray from nested lists of configured numbers.

    Fixed numbers fill a plain array; each :class:`Varying` cell is replaced
    by its realised values along its sweep dim or ``draw``, which become
    leading dims of the result.
    """
    cells = np.array(values, dtype=object).reshape(shape)
    nominal = cells.astype(float)
    varying = [(index, cell) for index, cell in np.ndenumerate(cells) if isinstance(cell, Varying)]
    if not varying:
        return xr.DataArray(nominal, dims=dims)
    realised = xr.broadcast(*(realise(cell) for _, cell in varying))
    extra_dims = realised[0].dims
    out = np.array(np.broadcast_to(nominal, realised[0].shape + shape))
    for (index, _), array in zip(varying, realised, strict=True):
        out[(Ellipsis, *index)] = array.transpose(*extra_dims).values
    coords = {dim: realised[0].coords[dim] for dim in extra_dims if dim in realised[0].coords}
    return xr.DataArray(out, dims=(*extra_dims, *dims), coords=coords)


def _build_one(config: Config, realise) -> xr.Dataset:
    """The parameter Dataset of one scenario (see :func:`build_parameters`)."""
    facilities = list(config.facilities.values())
    facility_names = [f.name for f in facilities]
    services = config.service_names
    resources = config.resource_names
    strikes = config.strikes
    alternatives = config.alternatives
    outcomes = config.outcomes
    horizon = config.horizon_days
    sizes = {
        "facility": len(facilities),
        "destination_facility": len(facilities),
        "service": len(services),
        "resource": len(resources),
        "strike": len(strikes),
        "alternative": len(alternatives),
        "outcome": len(outcomes),
    }

    def stack(values: Any, *dims: str) -> xr.DataArray:
        return _stack(values, dims, tuple(sizes[d] for d in dims), realise)

    def number(value: float) -> float | xr.DataArray:
        return realise(value) if isinstance(value, Varying) else float(value)

    service_of = {f.name: f.services for f in facilities}

    def service_value(attribute: str, missing: float = 0.0) -> xr.DataArray:
        return stack(
            [
                [getattr(service_of[f].get(s), attribute, missing) for s in services]
                for f in facility_names
            ],
            "facility",
            "service",
        )

    day = xr.DataArray(np.arange(horizon), dims="time")
    multiplier = xr.DataArray(
        np.ones((len(facilities), len(services), horizon)), dims=("facility", "service", "time")
    )
    for i, facility in enumerate(facilities):
        for j, service in enumerate(services):
            for period in getattr(facility.services.get(service), "demand_multipliers", ()):
                cell = np.zeros((len(facilities), len(services)), dtype=bool)
                cell[i, j] = True
                inside = (day >= number(period.start_day)) & (day < number(period.end_day))
                applies = inside & xr.DataArray(cell, dims=("facility", "service"))
                multiplier = multiplier * xr.where(applies, number(period.factor), 1.0)

    def displacement(attribute: str) -> xr.DataArray:
        values = []
        for facility in facilities:
            move = facility.displacement
            if move is None:
                values.append(0.0)
            elif attribute in ("share", "start_day"):
                values.append(getattr(move, attribute))
            elif attribute == "code":
                values.append(move.curve.code)
            else:
                values.append(getattr(move.curve, attribute))
        return stack(values, "facility")

    def recovery_value(value_of) -> xr.DataArray:
        return stack(
            [[value_of(config.recovery_for(r, f)) for r in resources] for f in facility_names],
            "facility",
            "resource",
        )

    def network_distance(origin: str, destination: str) -> float:
        # Without [network] nobody can travel between modelled facilities (checked).
        if config.network is None:
            return 0.0 if origin == destination else math.inf
        return config.network.distance(origin, destination)

    def alternative_volume(attribute: str) -> xr.DataArray:
        per_month = [[getattr(a, attribute).get(s, 0.0) for s in services] for a in alternatives]
        return stack(per_month, "alternative", "service") / DAYS_PER_MONTH

    values = {
        "population_baseline": stack([f.population for f in facilities], "facility"),
        "facility_opens_day": stack([f.opens_day for f in facilities], "facility"),
        "facility_closes_day": stack(
            [math.inf if f.closes_day is None else f.closes_day for f in facilities], "facility"
        ),
        "network_distance_km": stack(
            [[network_distance(o, d) for d in facility_names] for o in facility_names],
            "facility",
            "destination_facility",
        ),
        "baseline_quantity": stack(
            [[f.resources.get(r, 0.0) for r in resources] for f in facilities],
            "facility",
            "resource",
        ),
        "baseline_capacity": service_value("volume_per_month") / DAYS_PER_MONTH,
        "demand_ratio": service_value("demand_ratio", 1.0),
        "dependency_weight": stack(
            [
                [
                    [
                        service_of[f][s].needs.get(r, 0.0) if s in service_of[f] else 0.0
                        for r in resources
                    ]
                    for s in services
                ]
                for f in facility_names
            ],
            "facility",
            "service",
            "resource",
        ),
        "deferrable_share": service_value("deferrable_share"),
        "backlog_attrition": service_value("backlog_attrition_per_day"),
        "willingness_to_travel": service_value("willingness_to_travel"),
        "distance_decay_km": service_value("distance_decay_km", np.inf),
        "demand_multiplier": multiplier,
        "displacement_share": displacement("share"),
        "displacement_curve": displacement("code"),
        "displacement_time_days": displacement("time_days"),
        "displacement_mean_days": displacement("mean_days"),
        "displacement_sd_days": displacement("sd_days"),
        "displacement_start_day": displacement("start_day") + displacement("delay_days"),
        "strike_day": stack([k.day for k in strikes], "strike"),
        "strike_closure_days": stack([k.closure_days for k in strikes], "strike"),
        "strike_damage": stack(
            [[k.damage.get(r, 0.0) for r in resources] for k in strikes], "strike", "resource"
        ),
        "strike_casualties": stack([k.casualties for k in strikes], "strike"),
        # A disabled strike (a scenario's "what if it had not happened") hits nobody.
        "strike_target": stack(
            [[float(k.enabled and k.facility == f) for f in facility_names] for k in strikes],
            "strike",
            "facility",
        ),
        "strike_casualty_service": stack(
            [[float(k.casualty_service == s) for s in services] for k in strikes],
            "strike",
            "service",
        ),
        "recovery_curve": recovery_value(lambda rec: rec.curve.code),
        "recovery_time_days": recovery_value(lambda rec: rec.curve.time_days),
        "recovery_mean_days": recovery_value(lambda rec: rec.curve.mean_days),
        "recovery_sd_days": recovery_value(lambda rec: rec.curve.sd_days),
        "recovery_delay_days": recovery_value(lambda rec: rec.curve.delay_days),
        "recoverable_share": recovery_value(lambda rec: rec.recoverable_share),
        "alternative_distance_km": stack(
            [[a.distance_km[f] for a in alternatives] for f in facility_names],
            "facility",
            "alternative",
        ),
        "alternative_spare_capacity": alternative_volume("spare_capacity_per_month"),
        "alternative_capacity": alternative_volume("capacity_per_month"),
        "alternative_opens_day": stack([a.opens_day for a in alternatives], "alternative"),
        "outcome_rate": stack([o.per_forgone_patient for o in outcomes], "outcome"),
        "outcome_service": stack(
            [[float(o.service == s) for s in services] for o in outcomes], "outcome", "service"
        ),
    }
    coords = {
        "facility": facility_names,
        "destination_facility": facility_names,
        "service": services,
        "resource": resources,
        "strike": np.arange(len(strikes)),
        "alternative": [a.name for a in alternatives],
        "outcome": [o.name for o in outcomes],
        "day": ("time", np.arange(horizon)),
    }
    if config.start_date is not None:
        coords["time"] = pd.date_range(config.start_date, periods=horizon, freq="D")
    else:
        coords["time"] = np.arange(horizon)
    return xr.Dataset(values, coords=coords)
