"""facility_impact: care lost when a health facility is struck, for whom, for how long.

Public API::

    config = load_config("configs/maarat_al_numan.toml")
    results = simulate(config)          # xarray.Dataset, MODEL.md's data contract
    table = summarize(results)          # xarray.Dataset of headline indicators
    drivers = sensitivity(config)       # which uncertain inputs drive forgone care
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

__all__ = [
    "Config",
    "ConfigError",
    "__version__",
    "load_config",
    "sensitivity",
    "simulate",
    "simulate_parameters",
    "summarize",
]
