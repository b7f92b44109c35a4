"""facility_impact: care lost when a health facility is struck, for whom, for how long.

Public API::

    config = load_config("configs/maarat_al_numan.toml")
    results = simulate(config)          # xarray.Dataset, MODEL.md's data contract
    table = summarize(results)          # xarray.Dataset of headline indicators
    drivers = sensitivity(config)       # which uncertain inputs drive forgone care

    lazy = simulate(config, chunks={"draw": 10_000})      # dask-backed, same numbers
    stored = simulate_to_zarr(config, "run.zarr")         # out of core, read back lazily
"""

from facility_impact.config.loading import Config, load_config
from facility_impact.errors import ConfigError
from facility_impact.results.summary import summarize
from facility_impact.run.sensitivity import sensitivity
from facility_impact.run.workflow import simulate, simulate_parameters
from facility_impact.version import __version__


def simulate_to_zarr(*args, **kwargs):
    """Simulate out of core into a Zarr store (:func:`facility_impact.run.scale.simulate_to_zarr`).

    Imported on first use: dask and zarr are the optional ``scale`` extra.
    """
    from facility_impact.run.scale import simulate_to_zarr as run

    return run(*args, **kwargs)


__all__ = [
    "Config",
    "ConfigError",
    "__version__",
    "load_config",
    "sensitivity",
    "simulate",
    "simulate_parameters",
    "simulate_to_zarr",
    "summarize",
]
