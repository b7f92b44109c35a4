"""``simulate``: configuration → parameter Dataset → kernel → labelled result Dataset."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.config import BASE_SCENARIO, Config, load_config
from facility_impact.model.kernel import run_model
from facility_impact.model.outputs import KERNEL_LAYOUT, label_results
from facility_impact.model.parameters import build_parameters
from facility_impact.run import cf
from facility_impact.run.chunked import lazy_outputs
from facility_impact.variables import VARIABLES, ensemble_dims
from facility_impact.version import __version__


def simulate_parameters(
    params: xr.Dataset,
    chunks: Mapping[str, int] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> xr.Dataset:
    """Run the model on a parameter Dataset; return the result Dataset with metadata.

    Every output carries ``units`` and ``long_name`` from the variable registry
    (``data/variables.toml``). Ensemble dims of the parameters (sweeps,
    ``draw``, ``scenario``) come first, then the structural dims, then ``time``.

    ``chunks`` (e.g. ``{"draw": 50_000}``, with ``"scenario"`` and ``"time"``
    [d] also allowed) returns the same Dataset backed by dask arrays, computed
    block by block when asked (:mod:`facility_impact.run.chunked`); ``None`` runs
    the kernel now, in memory, calling ``progress(days done, days)`` after each
    day if given.
    """
    ens = ensemble_dims(params)
    if chunks is None:
        arrays = run_model(params, progress=progress)
        outputs = {
            kernel_name: xr.DataArray(
                arrays[kernel_name], dims=("time", *ens, *structure)
            ).transpose(*ens, *structure, "time")
            for kernel_name, (_, structure) in KERNEL_LAYOUT.items()
        }
    else:
        structures = {
            kernel_name: structure for kernel_name, (_, structure) in KERNEL_LAYOUT.items()
        }
        outputs = lazy_outputs(params, structures, chunks)
    return label_results(params, outputs)


def simulate(
    config: Config | str | Path | Mapping[str, Any],
    chunks: Mapping[str, int] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> xr.Dataset:
    """Simulate a configuration (a :class:`Config`, a TOML path or a mapping).

    Returns the result Dataset described in ``docs/model.md`` (section
    Outputs). Its attributes hold the configuration text, the seed and the
    package version, so the file alone says what produced it.

    ``chunks`` makes the result lazy and out of core: ``{"draw": 50_000}`` (also
    ``"scenario"`` and ``"time"`` [d]) returns the same Dataset backed by dask
    arrays, simulated block by block when computed or written (for example with
    ``to_zarr``). Every parameter is drawn before simulating, so the numbers are
    the same, bit for bit, whatever the chunks. Compute all variables in one call
    (``.compute()``, ``dask.compute`` or a write): each block of days is then
    simulated once for all of them. dask runs a draw chunk's blocks of days
    ahead of their use, so a computation holds about all days of the draw
    chunks in flight: for results larger than memory use
    :func:`facility_impact.run.scale.simulate_to_zarr`, which writes each block as
    it is simulated. ``progress``: see :func:`simulate_parameters`.
    """
    if not isinstance(config, Config):
        config = load_config(config)
    result = simulate_parameters(build_parameters(config), chunks, progress=progress)
    return with_configuration(result, config)


def with_configuration(result: xr.Dataset, config: Config) -> xr.Dataset:
    """``result`` of :func:`simulate_parameters` with what ``config`` says about it:
    the attributes (configuration text, seed, version) and the label coordinates."""
    result.attrs = {
        "title": config.title,
        "configuration_name": config.name,
        "configuration": config.text,
        "configuration_format": config.text_format,
        "seed": config.seed,
        "horizon_days": config.horizon_days,
        "start_date": "" if config.start_date is None else config.start_date.isoformat(),
        "facility_impact_version": __version__,
    }
    result.attrs["draws"] = config.draws
    result.attrs = cf.global_attributes(
        result.attrs, history=f"facility_impact {__version__}: simulated {config.name}"
    )
    facility_labels: dict[str, str] = {}
    alternative_labels: dict[str, str] = {}
    strike_labels: dict[int, str] = {}
    for variant in config.variants:
        for facility in variant.facilities.values():
            facility_labels.setdefault(facility.name, facility.label)
        for alternative in variant.alternatives:
            alternative_labels.setdefault(alternative.name, alternative.label)
        for index, strike in enumerate(variant.strikes):
            if not strike_labels.get(index):
                strike_labels[index] = strike.label
    result = result.assign_coords(
        facility_label=("facility", [facility_labels[f] for f in result["facility"].values]),
        alternative_label=(
            "alternative",
            [alternative_labels[a] for a in result["alternative"].values],
        ),
    )
    result["facility_label"].attrs = {"long_name": "facility"}
    result["alternative_label"].attrs = {"long_name": "alternative"}
    result = _with_places(result, config)
    if result.sizes.get("strike", 0):
        result = result.assign_coords(
            strike_label=("strike", [strike_labels[int(k)] for k in result["strike"].values])
        )
    if config.scenarios:
        labels = {BASE_SCENARIO: config.base_label}
        labels.update({scenario.name: scenario.label for scenario in config.scenarios})
        result = result.assign_coords(
            scenario_label=("scenario", [labels[s] for s in result["scenario"].values])
        )
        result["scenario_label"].attrs = {"long_name": "scenario"}
        result["scenario"].attrs = {"long_name": "scenario"}
    if config.outcomes:
        outcome_of = {o.name: o for v in config.variants for o in v.outcomes}
        names = result["outcome"].values
        result = result.assign_coords(
            outcome_label=("outcome", [f"{outcome_of[n].label} (indicative)" for n in names]),
            outcome_source=("outcome", [outcome_of[n].source for n in names]),
        )
    return result


def _with_places(result: xr.Dataset, config: Config) -> xr.Dataset:
    """``latitude`` [degrees_north] and ``longitude`` [degrees_east] of the facilities as
    CF coordinates on ``facility``, when the configuration places any (NaN for one it
    does not); their attributes come from the variable registry."""
    placed = {
        f.name: f
        for variant in config.variants
        for f in variant.facilities.values()
        if f.latitude is not None
    }
    if not placed:
        return result
    names = [str(name) for name in result["facility"].values]
    for key in ("latitude", "longitude"):
        values = [getattr(placed[n], key) if n in placed else np.nan for n in names]
        result = result.assign_coords({key: ("facility", np.array(values, dtype=float))})
        variable = VARIABLES[key]
        result[key].attrs = {**variable.attrs, "standard_name": str(variable.standard_name)}
    return result
