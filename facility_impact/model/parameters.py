"""From a checked :class:`~facility_impact.config.loading.Config` to the parameter Dataset.

Every model input becomes one variable of an ``xarray.Dataset`` that carries
only the dims it varies along (``facility``, ``destination_facility``,
``service``, ``resource``, ``strike``, ``alternative``, ``time``). Any further
dim on a parameter (a sweep, ``draw``, ``scenario``) is broadcast by the
simulation, which loops over days alone. Volumes are converted here to daily
rates, the model's base unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from facility_impact.config import BASE_SCENARIO, Config
from facility_impact.config.default_values import STAFF_FATES
from facility_impact.config.sweeps import sweep_dims
from facility_impact.config.variation import Sweep, Uncertain, Varying, stream_quantiles
from facility_impact.errors import ConfigError
from facility_impact.model.destinations import destination_variables
from facility_impact.model.inputs import KERNEL_INPUTS
from facility_impact.model.layout import Layout, Realise
from facility_impact.model.parameter_events import (
    displacement_values,
    relocation_values,
    staff_return_values,
    strike_values,
)
from facility_impact.model.parameter_groups import (
    alternative_values,
    demand_multiplier,
    facility_values,
    outcome_values,
    recovery_values,
    service_values,
)
from facility_impact.model.parameter_response import response_values
from facility_impact.variables import VARIABLES

CARRIED = tuple(
    name
    for name in (
        "baseline_quantity",
        "alternative_capacity",
        "outcome_rate",
        "outcome_service",
        "input_quantile",
        "network_distance_km",
        "alternative_distance_km",
    )
    if name not in KERNEL_INPUTS
)
"""Parameters the builder makes beside the kernel's inputs (:data:`KERNEL_INPUTS`):
resource counts for the standards, the full distances (the kernel reads the
tables of candidate destinations derived from them; the maps read them), the
alternatives' baseline capacity for the maps (destination choice uses their
spare capacity; carried here once the kernel no longer reads it), outcome rates
applied to the results afterwards, and the quantiles of the uncertain inputs for
sensitivity analysis (only when some input is uncertain). None enters the daily
flows."""

BUILT = (*KERNEL_INPUTS, *CARRIED)
"""Every variable the parameter builder can make."""

ABSENT_VALUE = {
    "population_baseline": 1.0,
    "relocation_opens_day": np.inf,
    "relocation_carried": 1.0,
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

Quantiles = dict[str, npt.NDArray[np.float64]]


def build_parameters(config: Config, *, quantiles: Quantiles | None = None) -> xr.Dataset:
    """The parameter Dataset of ``config``: one variable per model input, in base units.

    Units: patients per day for volumes, days for times, km for distances,
    fractions (``"1"``) for shares and weights. A swept number adds its sweep
    dim to the variables it feeds; a distribution adds ``draw``; named
    scenarios stack on ``scenario`` (first ``"base"``, the configuration as
    written). A variable carries only the dims it varies along, and the
    attributes of its entry in the variable registry.

    ``quantiles`` maps random-stream names to uniform quantiles, one per draw;
    by default each stream gets :func:`~facility_impact.config.variation.stream_quantiles`
    from the configuration's seed (Latin hypercube). The variable
    ``input_quantile`` (input, draw) records the quantiles of every stream used,
    for sensitivity analysis.
    """
    variants = [(BASE_SCENARIO, config), *((s.name, s.config) for s in config.scenarios)]
    realiser = _Realiser(config, sweep_dims([variant for _, variant in variants]), quantiles)
    datasets = [_build_one(variant, realiser) for _, variant in variants]
    if len(datasets) == 1:
        params = datasets[0]
    else:
        params = _stack_scenarios(datasets, [name for name, _ in variants])
    # After the scenarios are stacked: one table for all of them.
    params = params.assign(destination_variables(params))
    for name in params.data_vars:
        params[name].attrs = VARIABLES[str(name)].attrs
    params = realiser.record_quantiles(params)
    if "draw" in params.dims:
        params = params.assign_coords(draw=np.arange(params.sizes["draw"]))
        params["draw"].attrs = VARIABLES["draw"].attrs
    # The kernel stores its results in this type (run.precision).
    params.attrs["results_dtype"] = config.results_dtype
    _check_finite(params)
    return params


MUST_BE_FINITE = ("baseline_capacity", "baseline_demand")
"""Volumes that a product of large inputs can push past the largest float."""


def _check_finite(params: xr.Dataset) -> None:
    """An input too large to compute with is bad input, named, not an ``inf`` later."""
    for name in MUST_BE_FINITE:
        variable = params[name]
        bad = ~np.isfinite(variable.values)
        if bad.any():
            first = dict(zip(variable.dims, np.argwhere(bad)[0], strict=True))
            facility = str(params["facility"].values[first["facility"]])
            service = str(params["service"].values[first["service"]])
            raise ConfigError(
                f"facility.{facility}.services.{service}: its {VARIABLES[name].long_name} "
                "overflowed: an input is too large to compute with (population, volume, "
                "throughput or utilisation); nothing was written"
            )


@dataclass
class _Realiser:
    """Values of swept and uncertain numbers, and which keys drew from which stream."""

    config: Config
    sweep_dim_of: dict[str, tuple[str, Any]]
    quantiles: Quantiles | None
    used: Quantiles = field(default_factory=dict)
    stream_keys: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.quantiles is not None:
            self.used = dict(self.quantiles)

    @property
    def draws(self) -> int:
        if self.quantiles is None:
            return self.config.draws
        return len(next(iter(self.quantiles.values()), []))

    def __call__(self, value: Varying) -> xr.DataArray:
        if isinstance(value, Sweep):
            dim, coordinate = self.sweep_dim_of[value.path]
            return xr.DataArray(
                np.array(value.values, dtype=float), dims=dim, coords={dim: coordinate}
            )
        assert isinstance(value, Uncertain)
        if value.stream not in self.used:
            if self.quantiles is not None:
                raise ConfigError(f"{value.path}: no quantiles given for stream {value.stream!r}")
            self.used[value.stream] = stream_quantiles(value.stream, self.draws, self.config.seed)
        keys = self.stream_keys.setdefault(value.stream, [])
        if value.path not in keys:
            keys.append(value.path)
        return xr.DataArray(value.values_at(self.used[value.stream]), dims="draw")

    def record_quantiles(self, params: xr.Dataset) -> xr.Dataset:
        """``params`` with ``input_quantile`` and the ``input`` coordinates, if any
        stream was drawn from."""
        if not self.stream_keys:
            return params
        streams = sorted(self.stream_keys)
        params["input_quantile"] = xr.DataArray(
            np.stack([self.used[stream] for stream in streams]),
            dims=("input", "draw"),
            attrs=VARIABLES["input_quantile"].attrs,
        )
        return params.assign_coords(
            input=streams,
            input_keys=("input", [", ".join(self.stream_keys[stream]) for stream in streams]),
        )


def _stack_scenarios(datasets: list[xr.Dataset], names: list[str]) -> xr.Dataset:
    """The scenarios' parameters along ``scenario``; only what a scenario changes varies."""
    params = xr.concat(
        datasets,
        dim=xr.DataArray(np.array(names), dims="scenario"),
        join="outer",
        fill_value={name: ABSENT_VALUE.get(name, 0.0) for name in BUILT},
        data_vars="all",
        coords="minimal",
    )
    for name, variable in params.data_vars.items():
        first = variable.isel(scenario=0, drop=True)
        if all(variable.isel(scenario=i, drop=True).equals(first) for i in range(1, len(names))):
            params[name] = first
    if not any("scenario" in variable.dims for variable in params.data_vars.values()):
        # Scenarios identical to the base still get results of their own.
        params["population_baseline"] = params["population_baseline"].expand_dims(
            scenario=params["scenario"].values
        )
    return params


def _coordinates(config: Config) -> dict[str, Any]:
    horizon = config.horizon_days
    names = [f.name for f in config.facilities.values()]
    coords: dict[str, Any] = {
        "facility": names,
        "destination_facility": names,
        "service": config.service_names,
        "resource": config.resource_names,
        "strike": np.arange(len(config.strikes)),
        "alternative": [a.name for a in config.alternatives],
        "outcome": [o.name for o in config.outcomes],
        "fate": list(STAFF_FATES),
        "day": ("time", np.arange(horizon)),
    }
    if config.start_date is not None:
        coords["time"] = pd.date_range(config.start_date, periods=horizon, freq="D")
    else:
        coords["time"] = np.arange(horizon)
    return coords


def _build_one(config: Config, realise: Realise) -> xr.Dataset:
    """The parameter Dataset of one scenario (see :func:`build_parameters`)."""
    layout = Layout(config, realise)
    # Demand periods first: input_keys lists the keys that draw from a random
    # stream in the order they first do.
    multiplier = demand_multiplier(layout)
    values = {
        **facility_values(layout),
        **service_values(layout, multiplier),
        **displacement_values(layout),
        **strike_values(layout),
        **response_values(layout),
        **recovery_values(layout),
        **alternative_values(layout),
        **staff_return_values(layout),
        **relocation_values(layout),
        **outcome_values(layout),
    }
    return xr.Dataset(values, coords=_coordinates(config))
