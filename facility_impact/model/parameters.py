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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from facility_impact.config import BASE_SCENARIO, DAYS_PER_MONTH, Config
from facility_impact.config.sweeps import sweep_dims
from facility_impact.config.variation import Sweep, Uncertain, Varying, stream_quantiles
from facility_impact.errors import ConfigError
from facility_impact.model.inputs import KERNEL_INPUTS
from facility_impact.variables import VARIABLES

CARRIED = ("baseline_quantity", "outcome_rate", "outcome_service", "input_quantile")
"""Parameters the builder makes beside the kernel's inputs (:data:`KERNEL_INPUTS`):
resource counts for the standards, outcome rates applied to the results
afterwards, and the quantiles of the uncertain inputs for sensitivity analysis
(only when some input is uncertain). None enters the daily flows."""

BUILT = (*KERNEL_INPUTS, *CARRIED)
"""Every variable the parameter builder can make."""

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

Quantiles = dict[str, npt.NDArray[np.float64]]

Realise = Callable[[Varying], xr.DataArray]
"""Turns a swept or uncertain configured number into its values along its dim."""


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
    for name in params.data_vars:
        params[name].attrs = VARIABLES[str(name)].attrs
    params = realiser.record_quantiles(params)
    if "draw" in params.dims:
        params = params.assign_coords(draw=np.arange(params.sizes["draw"]))
        params["draw"].attrs = VARIABLES["draw"].attrs
    # The kernel stores its results in this type (run.precision).
    params.attrs["results_dtype"] = config.results_dtype
    return params


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


def _stack(
    values: Any, dims: tuple[str, ...], shape: tuple[int, ...], realise: Realise
) -> xr.DataArray:
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


@dataclass(frozen=True)
class _Layout:
    """One scenario's entries along each structural dim, and how to stack numbers on them."""

    config: Config
    realise: Realise

    @property
    def facilities(self) -> list[Any]:
        return list(self.config.facilities.values())

    @property
    def facility_names(self) -> list[str]:
        return [f.name for f in self.facilities]

    def size(self, dim: str) -> int:
        config = self.config
        return {
            "facility": len(config.facilities),
            "destination_facility": len(config.facilities),
            "service": len(config.service_names),
            "resource": len(config.resource_names),
            "strike": len(config.strikes),
            "alternative": len(config.alternatives),
            "outcome": len(config.outcomes),
        }[dim]

    def stack(self, values: Any, *dims: str) -> xr.DataArray:
        return _stack(values, dims, tuple(self.size(d) for d in dims), self.realise)

    def number(self, value: float) -> float | xr.DataArray:
        return self.realise(value) if isinstance(value, Varying) else float(value)


def _facility_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """Population, life span, travel between facilities and resource counts."""
    config, facilities, names = layout.config, layout.facilities, layout.facility_names

    def network_distance(origin: str, destination: str) -> float:
        # Without [network] nobody can travel between modelled facilities (checked).
        if config.network is None:
            return 0.0 if origin == destination else math.inf
        return config.network.distance(origin, destination)

    closes = [math.inf if f.closes_day is None else f.closes_day for f in facilities]
    return {
        "population_baseline": layout.stack([f.population for f in facilities], "facility"),
        "facility_opens_day": layout.stack([f.opens_day for f in facilities], "facility"),
        "facility_closes_day": layout.stack(closes, "facility"),
        "network_distance_km": layout.stack(
            [[network_distance(o, d) for d in names] for o in names],
            "facility",
            "destination_facility",
        ),
        "baseline_quantity": layout.stack(
            [[f.resources.get(r, 0.0) for r in config.resource_names] for f in facilities],
            "facility",
            "resource",
        ),
    }


def _service_values(layout: _Layout, multiplier: xr.DataArray) -> dict[str, xr.DataArray]:
    """Each facility's services: volume, demand, dependencies, waiting and travel."""
    services, resources = layout.config.service_names, layout.config.resource_names
    service_of = {f.name: f.services for f in layout.facilities}
    names = layout.facility_names

    def service_value(attribute: str, missing: float = 0.0) -> xr.DataArray:
        return layout.stack(
            [[getattr(service_of[f].get(s), attribute, missing) for s in services] for f in names],
            "facility",
            "service",
        )

    def need(facility: str, service: str, resource: str) -> float:
        offered = service_of[facility]
        return offered[service].needs.get(resource, 0.0) if service in offered else 0.0

    baseline_capacity = service_value("volume_per_month") / DAYS_PER_MONTH
    n_facilities, n_resources, n_services = (
        layout.size("facility"),
        layout.size("resource"),
        layout.size("service"),
    )
    return {
        "baseline_capacity": baseline_capacity,
        "baseline_demand": baseline_capacity * service_value("demand_ratio", 1.0),
        "resource_capacity": xr.DataArray(
            np.full((n_facilities, n_resources, n_services), np.inf),
            dims=("facility", "resource", "service"),
        ),
        "reach_km": layout.stack(
            [[math.inf for _ in services] for _ in names], "facility", "service"
        ),
        "dependency_weight": layout.stack(
            [[[need(f, s, r) for r in resources] for s in services] for f in names],
            "facility",
            "service",
            "resource",
        ),
        "deferrable_share": service_value("deferrable_share"),
        "backlog_attrition": service_value("backlog_attrition_per_day"),
        "willingness_to_travel": service_value("willingness_to_travel"),
        "distance_decay_km": service_value("distance_decay_km", np.inf),
        "demand_multiplier": multiplier,
    }


def _demand_multiplier(layout: _Layout) -> xr.DataArray:
    """The product of every demand period's factor on the days it covers, else 1."""
    facilities, services = layout.facilities, layout.config.service_names
    horizon = layout.config.horizon_days
    day = xr.DataArray(np.arange(horizon), dims="time")
    multiplier = xr.DataArray(
        np.ones((len(facilities), len(services), horizon)), dims=("facility", "service", "time")
    )
    for i, facility in enumerate(facilities):
        for j, service in enumerate(services):
            for period in getattr(facility.services.get(service), "demand_multipliers", ()):
                cell = np.zeros((len(facilities), len(services)), dtype=bool)
                cell[i, j] = True
                inside = (day >= layout.number(period.start_day)) & (
                    day < layout.number(period.end_day)
                )
                applies = inside & xr.DataArray(cell, dims=("facility", "service"))
                factor = layout.number(period.factor)
                # xarray's where carries no type annotations.
                multiplier = multiplier * xr.where(applies, factor, 1.0)  # type: ignore[no-untyped-call]
    return multiplier


def _displacement_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """The displacement curve of each facility's catchment (none: share 0)."""

    def displacement(attribute: str) -> xr.DataArray:
        values = []
        for facility in layout.facilities:
            move = facility.displacement
            if move is None:
                values.append(0.0)
            elif attribute in ("share", "start_day"):
                values.append(getattr(move, attribute))
            elif attribute == "code":
                values.append(move.curve.code)
            else:
                values.append(getattr(move.curve, attribute))
        return layout.stack(values, "facility")

    return {
        "displacement_share": displacement("share"),
        "displacement_curve": displacement("code"),
        "displacement_time_days": displacement("time_days"),
        "displacement_mean_days": displacement("mean_days"),
        "displacement_sd_days": displacement("sd_days"),
        "displacement_start_day": displacement("start_day") + displacement("delay_days"),
    }


def _strike_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """Each strike's day, closure, damage, casualties and target."""
    strikes, stack = layout.config.strikes, layout.stack
    resources, services = layout.config.resource_names, layout.config.service_names
    return {
        "strike_day": stack([k.day for k in strikes], "strike"),
        "strike_closure_days": stack([k.closure_days for k in strikes], "strike"),
        "strike_damage": stack(
            [[k.damage.get(r, 0.0) for r in resources] for k in strikes], "strike", "resource"
        ),
        "strike_casualties": stack([k.casualties for k in strikes], "strike"),
        # A disabled strike (a scenario's "what if it had not happened") hits nobody.
        "strike_target": stack(
            [
                [float(k.enabled and k.facility == f) for f in layout.facility_names]
                for k in strikes
            ],
            "strike",
            "facility",
        ),
        "strike_casualty_service": stack(
            [[float(k.casualty_service == s) for s in services] for k in strikes],
            "strike",
            "service",
        ),
    }


def _recovery_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """How each resource of each facility recovers."""
    config = layout.config

    def recovery_value(value_of: Callable[[Any], float]) -> xr.DataArray:
        return layout.stack(
            [
                [value_of(config.recovery_for(r, f)) for r in config.resource_names]
                for f in layout.facility_names
            ],
            "facility",
            "resource",
        )

    return {
        "recovery_curve": recovery_value(lambda rec: rec.curve.code),
        "recovery_time_days": recovery_value(lambda rec: rec.curve.time_days),
        "recovery_mean_days": recovery_value(lambda rec: rec.curve.mean_days),
        "recovery_sd_days": recovery_value(lambda rec: rec.curve.sd_days),
        "recovery_delay_days": recovery_value(lambda rec: rec.curve.delay_days),
        "recoverable_share": recovery_value(lambda rec: rec.recoverable_share),
    }


def _alternative_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """The alternatives' distances, capacities and opening days."""
    alternatives, services = layout.config.alternatives, layout.config.service_names

    def per_day(attribute: str) -> xr.DataArray:
        per_month = [[getattr(a, attribute).get(s, 0.0) for s in services] for a in alternatives]
        return layout.stack(per_month, "alternative", "service") / DAYS_PER_MONTH

    return {
        "alternative_distance_km": layout.stack(
            [[a.distance_km[f] for a in alternatives] for f in layout.facility_names],
            "facility",
            "alternative",
        ),
        "alternative_spare_capacity": per_day("spare_capacity_per_month"),
        "alternative_capacity": per_day("capacity_per_month"),
        "alternative_opens_day": layout.stack([a.opens_day for a in alternatives], "alternative"),
    }


FATES = ("killed", "injured", "abducted", "fled")
"""What became of staff a strike took (coordinate ``fate``)."""


def _staff_fate_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """Staff lost by fate, how each fate returns, and recruitment (none yet)."""
    strikes = layout.config.strikes
    resources = layout.config.resource_names
    zeros_fate = xr.DataArray(np.zeros(len(FATES)), dims="fate")
    return {
        "strike_staff_share": xr.DataArray(
            np.zeros((len(strikes), len(FATES))), dims=("strike", "fate")
        ),
        "staff_resource": xr.DataArray(
            np.array([float(r == "staff") for r in resources]), dims="resource"
        ),
        "staff_return_share": zeros_fate,
        "staff_return_curve": zeros_fate,
        "staff_return_time_days": zeros_fate,
        "staff_return_mean_days": zeros_fate,
        "staff_return_sd_days": zeros_fate,
        "recruitment_share": xr.DataArray(0.0),
        "recruitment_curve": xr.DataArray(0.0),
        "recruitment_time_days": xr.DataArray(0.0),
        "recruitment_mean_days": xr.DataArray(0.0),
        "recruitment_sd_days": xr.DataArray(0.0),
    }


def _relocation_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """Relocated sites (none yet) and returns of displaced people (none yet)."""
    n_facilities, n_resources = layout.size("facility"), layout.size("resource")
    per_facility = xr.DataArray(np.zeros(n_facilities), dims="facility")
    return {
        "relocation_opens_day": xr.DataArray(np.full(n_facilities, np.inf), dims="facility"),
        "relocation_distance_km": per_facility,
        "relocation_share": xr.DataArray(
            np.zeros((n_facilities, n_resources)), dims=("facility", "resource")
        ),
        "relocation_carried": xr.DataArray(
            np.zeros((n_facilities, n_resources)), dims=("facility", "resource")
        ),
        "return_share": per_facility,
        "return_start_day": per_facility,
        "return_curve": per_facility,
        "return_time_days": per_facility,
        "return_mean_days": per_facility,
        "return_sd_days": per_facility,
        "displacement_destination": xr.DataArray(
            np.zeros((n_facilities, n_facilities)), dims=("facility", "destination_facility")
        ),
    }


def _outcome_values(layout: _Layout) -> dict[str, xr.DataArray]:
    """The indicative outcomes' rates and the service each counts."""
    outcomes, services = layout.config.outcomes, layout.config.service_names
    return {
        "outcome_rate": layout.stack([o.per_forgone_patient for o in outcomes], "outcome"),
        "outcome_service": layout.stack(
            [[float(o.service == s) for s in services] for o in outcomes], "outcome", "service"
        ),
    }


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
        "fate": list(FATES),
        "day": ("time", np.arange(horizon)),
    }
    if config.start_date is not None:
        coords["time"] = pd.date_range(config.start_date, periods=horizon, freq="D")
    else:
        coords["time"] = np.arange(horizon)
    return coords


def _build_one(config: Config, realise: Realise) -> xr.Dataset:
    """The parameter Dataset of one scenario (see :func:`build_parameters`)."""
    layout = _Layout(config, realise)
    # Demand periods first: input_keys lists the keys that draw from a random
    # stream in the order they first do.
    multiplier = _demand_multiplier(layout)
    values = {
        **_facility_values(layout),
        **_service_values(layout, multiplier),
        **_displacement_values(layout),
        **_strike_values(layout),
        **_recovery_values(layout),
        **_alternative_values(layout),
        **_staff_fate_values(layout),
        **_relocation_values(layout),
        **_outcome_values(layout),
    }
    return xr.Dataset(values, coords=_coordinates(config))
