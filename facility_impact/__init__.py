"""facility_impact: care lost when a health facility is struck, for whom, for how long.

Public API::

    config = load_config("configs/maarat_al_numan.toml")
    results = simulate(config)          # xarray.Dataset, MODEL.md's data contract
    table = summarize(results)          # xarray.Dataset of headline indicators
    drivers = sensitivity(config)       # which uncertain inputs drive forgone care

    lazy = simulate(config, chunks={"draw": 10_000})      # dask-backed, same numbers
    stored = simulate_to_zarr(config, "run.zarr")         # out of core, read back lazily
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("facility-impact")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

from facility_impact.config import Config, load_config
from facility_impact.errors import ConfigError
from facility_impact.sensitivity import sensitivity
from facility_impact.simulation import simulate, simulate_parameters
from facility_impact.summary import summarize


def simulate_to_zarr(*args, **kwargs):
    """Simulate out of core into a Zarr store; see :func:`facility_impact.scale.simulate_to_zarr`.

    Imported on first use: dask and zarr are the optional ``scale`` extra.
    """
    from facility_impact.scale import simulate_to_zarr as run

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
