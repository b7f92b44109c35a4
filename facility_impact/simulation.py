"""``simulate``: configuration → parameter Dataset → kernel → labelled result Dataset."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.config import Config, load_config
from facility_impact.model import ensemble_dims, run_model
from facility_impact.parameters import build_parameters
from facility_impact.variables import OUTPUT_VARIABLES

# Kernel array name → (output variable, structural dims after the ensemble dims).
_KERNEL_LAYOUT = {
    "available": ("available", ("facility", "resource")),
    "capacity": ("capacity", ("facility", "service")),
    "demand": ("demand", ("facility", "service")),
    "served": ("served", ("facility", "service")),
    "served_elsewhere": ("served_elsewhere", ("facility", "service")),
    "unmet": ("unmet", ("facility", "service")),
    "abandoned": ("abandoned", ("facility", "service")),
    "backlog": ("backlog", ("facility", "service")),
    "arrivals": ("arrivals", ("facility", "service")),
    "received": ("received", ("facility", "service")),
    "population": ("population", ("facility",)),
    "open": ("is_open", ("facility",)),
    "received_by_alternative": ("received_by_alternative", ("alternative", "service")),
}


def simulate_parameters(params: xr.Dataset) -> xr.Dataset:
    """Run the model on a parameter Dataset; return the result Dataset with metadata.

    Every output carries ``units`` and ``long_name`` from the variable registry
    (``data/variables.toml``). Ensemble dims of the parameters (sweeps,
    ``draw``, ``scenario``) come first, then the structural dims, then ``time``.
    """
    ens = ensemble_dims(params)
    arrays = run_model(params)
    data_vars = {}
    for kernel_name, (name, structure) in _KERNEL_LAYOUT.items():
        values = arrays[kernel_name]
        variable = xr.DataArray(values, dims=("time", *ens, *structure))
        data_vars[name] = variable.transpose(*ens, *structure, "time")
    data_vars["baseline_capacity"] = params["baseline_capacity"]
    data_vars["baseline_quantity"] = params["baseline_quantity"]
    coords = {
        name: params.coords[name]
        for name in params.coords
        if set(params.coords[name].dims)
        <= {*ens, "facility", "service", "resource", "alternative", "time"}
    }
    result = xr.Dataset(data_vars, coords=coords)
    for name, spec in OUTPUT_VARIABLES.items():
        result[name].attrs = spec.attrs
    result["day"].attrs = {"units": "d", "long_name": "days since t = 0"}
    if np.issubdtype(result["time"].dtype, np.datetime64):
        result["time"].attrs = {"long_name": "date"}
    else:
        result["time"].attrs = {"units": "d", "long_name": "days since t = 0"}
    strike_facility = params["strike_target"].argmax("facility")
    result = result.assign_coords(
        strike_day=params["strike_day"],
        strike_closure_days=params["strike_closure_days"],
        strike_facility=("strike", params["facility"].values[strike_facility.values]),
    )
    result["strike_day"].attrs = {"units": "d", "long_name": "day of strike"}
    result["strike_closure_days"].attrs = {"units": "d", "long_name": "closure after strike"}
    result["strike_facility"].attrs = {"long_name": "facility struck"}
    result = result.assign_coords(
        opens_day=params["facility_opens_day"], closes_day=params["facility_closes_day"]
    )
    result["opens_day"].attrs = {"units": "d", "long_name": "first day the facility exists"}
    result["closes_day"].attrs = {
        "units": "d",
        "long_name": "first day the facility is closed for good (inf: never)",
    }
    return result


def simulate(config: Config | str | Path | Mapping[str, Any]) -> xr.Dataset:
    """Simulate a configuration (a :class:`Config`, a TOML path or a mapping).

    Returns the result Dataset of MODEL.md's data contract. Its attributes hold
    the configuration text, the seed and the package version, so the file alone
    says what produced it.
    """
    from facility_impact import __version__

    if not isinstance(config, Config):
        config = load_config(config)
    result = simulate_parameters(build_parameters(config))
    result.attrs = {
        "title": config.title,
        "configuration_name": config.name,
        "configuration": config.text,
        "configuration_format": config.text_format,
        "seed": config.seed,
        "horizon_days": config.horizon_days,
        "start_date": "" if config.start_date is None else config.start_date.isoformat(),
        "facility_impact_version": __version__,
        "Conventions": "CF-1.8",
        "source": f"facility_impact {__version__}",
    }
    result = result.assign_coords(
        facility_label=("facility", [f.label for f in config.facilities.values()]),
        alternative_label=("alternative", [a.label for a in config.alternatives]),
    )
    result["facility_label"].attrs = {"long_name": "facility"}
    result["alternative_label"].attrs = {"long_name": "alternative"}
    if config.strikes:
        result = result.assign_coords(
            strike_label=("strike", [strike.label for strike in config.strikes])
        )
    return result
