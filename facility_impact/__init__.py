"""facility_impact: care lost when a health facility is struck, for whom, for how long.

Public API::

    config = load_config("configs/maarat_al_numan.toml")
    results = simulate(config)          # xarray.Dataset, see docs/model.md (Outputs)
    table = summarize(results)          # xarray.Dataset of headline indicators
    drivers = sensitivity(config)       # which uncertain inputs drive forgone care

    lazy = simulate(config, chunks={"draw": 10_000})      # dask-backed, same numbers
    stored = simulate_to_zarr(config, "run.zarr")         # out of core, read back lazily

What the command line does, as functions (the same code path)::

    outcome = run_to_files(config, "results")             # facility-impact run
    outcome = sensitivity_to_files(config, "results")     # facility-impact sensitivity
    drawn = figures_from_file("results/x.nc", html=True)  # facility-impact plot / report

dask and zarr, which ``chunks`` and ``simulate_to_zarr`` need, are the optional
``scale`` extra; they are imported only when used.

Notes and warnings (a leftover removed, sensitivity intervals wider than their
tolerance) go to the ``facility_impact`` logger, which prints nothing until the
program configures logging (``logging.basicConfig(level=logging.INFO)``).
"""

import logging

from facility_impact.commands import figures_from_file, run_to_files, sensitivity_to_files
from facility_impact.config import Config, load_config
from facility_impact.errors import ConfigError
from facility_impact.results.summary import summarize
from facility_impact.run.scale import simulate_to_zarr
from facility_impact.run.sensitivity import sensitivity
from facility_impact.run.workflow import simulate, simulate_parameters
from facility_impact.version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Config",
    "ConfigError",
    "__version__",
    "figures_from_file",
    "load_config",
    "run_to_files",
    "sensitivity",
    "sensitivity_to_files",
    "simulate",
    "simulate_parameters",
    "simulate_to_zarr",
    "summarize",
]
