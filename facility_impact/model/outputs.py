"""From the kernel's arrays to the labelled result Dataset, by the variable registry.

The kernel's outputs are the registry's ``result`` entries, each laid out along
its registry dims; :func:`label_results` adds the parameters and coordinates
the results carry, and every attribute comes from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.variables import OUTPUT_VARIABLES, PARAMETERS, VARIABLES, ensemble_dims

KERNEL_LAYOUT: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        name: (name, tuple(d for d in variable.dims if d != "time"))
        for name, variable in OUTPUT_VARIABLES.items()
    }
)
"""Kernel output name → (result variable, structural dims after the ensemble dims).
The two names are the same; the chunked writer (``run/scale.py``) reads both."""

CARRIED_VARIABLES = tuple(name for name, p in PARAMETERS.items() if p.in_results == "variable")
"""Parameters the results carry as variables, so that summaries, standards and
sensitivity analysis need only the result file."""

_RESULT_COORDINATE_DIMS = frozenset(
    ("facility", "service", "resource", "alternative", "time", "outcome", "input")
)
"""Structural dims along which the parameters' coordinates pass into the results
(not ``strike`` or ``destination_facility``: strikes get their own coordinates)."""


def _carried(params: xr.Dataset, results_dtype: np.dtype[Any]) -> dict[str, xr.DataArray]:
    """The parameters the results carry; those a configuration lacks are left out."""
    carried = {}
    for name in CARRIED_VARIABLES:
        if name == "baseline_capacity":
            # In the results' own type, so that an undamaged day's capacity equals it exactly.
            carried[name] = params[name].astype(results_dtype)
        elif name == "baseline_quantity" or (name in params and params[name].size):
            carried[name] = params[name]
    return carried


def _strike_coordinates(params: xr.Dataset) -> dict[str, Any]:
    """``strike_day``, ``strike_closure_days`` and ``strike_facility``.

    A strike that a scenario switches off (or lacks) hits nobody: its day is
    NaN there, so it marks no figure and does not start the summary windows.
    """
    target = params["strike_target"]
    hits = target.max("facility") > 0 if target.sizes["facility"] else target.sum("facility") > 0
    struck = target.argmax("facility") if target.sizes["strike"] else target.sum("facility")
    names = np.where(hits.values, params["facility"].values[struck.values.astype(int)], "")
    return {
        "strike_day": params["strike_day"].where(hits),
        "strike_closure_days": params["strike_closure_days"],
        "strike_facility": (struck.dims, names.astype(str)),
    }


def time_attributes(dated: bool) -> dict[str, str]:
    """The attributes of ``time`` in memory: the registry's for day numbers; for
    calendar dates only the long name (the file's encoder writes the units)."""
    variable = VARIABLES["time"]
    return {"long_name": str(variable.dated_long_name)} if dated else variable.attrs


def _attach_attributes(result: xr.Dataset) -> None:
    """Every variable and coordinate the registry knows gets the registry's attributes."""
    for name in result.variables:
        variable = VARIABLES.get(str(name))
        if variable is None:
            continue
        if name == "time":
            result[name].attrs = time_attributes(np.issubdtype(result["time"].dtype, np.datetime64))
        else:
            result[name].attrs = variable.attrs


def label_results(params: xr.Dataset, outputs: Mapping[str, xr.DataArray]) -> xr.Dataset:
    """The result Dataset from the kernel's outputs, each dims ``(*ensemble, *structure, time)``.

    Shared by the in-memory and the chunked path, so both give the same names,
    coordinates, attributes and dtypes.
    """
    ens = ensemble_dims(params)
    data_vars = {name: outputs[kernel_name] for kernel_name, (name, _) in KERNEL_LAYOUT.items()}
    data_vars.update(_carried(params, outputs["capacity"].dtype))
    coords = {
        name: params.coords[name]
        for name in params.coords
        if params.coords[name].size
        and set(params.coords[name].dims) <= {*ens, *_RESULT_COORDINATE_DIMS}
    }
    result = xr.Dataset(data_vars, coords=coords)
    result = result.assign_coords(_strike_coordinates(params))
    result = result.assign_coords(
        opens_day=params["facility_opens_day"], closes_day=params["facility_closes_day"]
    )
    _attach_attributes(result)
    return result
