"""Configuration: the schema of every key, reading TOML or a mapping, sweeps and distributions.

The layer below everything else: it knows nothing of the model, only what a
configuration may say and what each key means.
"""

from facility_impact.config.loading import load_config, parse_config
from facility_impact.config.reading import show_value
from facility_impact.config.settings import apply_settings, key_path_parts, parse_setting
from facility_impact.config.types import (
    BASE_SCENARIO,
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    Alternative,
    Config,
    Curve,
    DemandPeriod,
    Displacement,
    Facility,
    Network,
    Outcome,
    Recovery,
    Relocation,
    Scenario,
    Service,
    StaffReturn,
    Strike,
)

__all__ = [
    "BASE_SCENARIO",
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "Alternative",
    "Config",
    "Curve",
    "DemandPeriod",
    "Displacement",
    "Facility",
    "Network",
    "Outcome",
    "Recovery",
    "Relocation",
    "Scenario",
    "Service",
    "StaffReturn",
    "Strike",
    "apply_settings",
    "key_path_parts",
    "load_config",
    "parse_config",
    "parse_setting",
    "show_value",
]
