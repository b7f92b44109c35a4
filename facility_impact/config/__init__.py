"""Configuration: reading TOML or a mapping, checking every key, sweeps and distributions.

The layer below everything else: it knows nothing of the model, only what a
configuration may say and what each key means.
"""

from facility_impact.config.loading import BASE_SCENARIO, DAYS_PER_MONTH, Config, load_config
from facility_impact.config.settings import apply_settings, key_path_parts, parse_setting

__all__ = [
    "BASE_SCENARIO",
    "DAYS_PER_MONTH",
    "Config",
    "apply_settings",
    "key_path_parts",
    "load_config",
    "parse_setting",
]
