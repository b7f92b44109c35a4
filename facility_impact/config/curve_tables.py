"""Reading curve tables: recovery (``[recovery.<resource>]`` and a facility's own),
displacement and its return, staff returns and recruitment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from facility_impact.config.keys import KEYS
from facility_impact.config.reading import child, fail, key_name, number_of, read, table
from facility_impact.config.types import Curve, Recovery
from facility_impact.config.variation import Uncertain, low
from facility_impact.curves import CURVE_FAMILIES
from facility_impact.errors import ConfigError

TIME_KEYS = ("time_days", "mean_days", "sd_days")


def read_recovery(
    raw: Any, pattern: str, path: str, resources: list[str], what: str
) -> dict[str, Recovery]:
    """``[recovery.<resource>]`` tables (top level, or per facility under ``path``);
    ``pattern`` is the schema's pattern of one table."""
    recovery = {}
    for resource, table_raw in table(raw, path).items():
        key_name(resource, path, resources, what)
        table_path = f"{path}.{resource}"
        one = table(table_raw, table_path)
        recovery[resource] = Recovery(
            curve=read_curve(one, pattern, table_path),
            recoverable_share=read(one, f"{pattern}.recoverable_share", table_path),
        )
    return recovery


def read_curve(raw: Mapping[str, Any], pattern: str, path: str) -> Curve:
    """The curve keys of a recovery or displacement table (``pattern``) at ``path``."""
    table(raw, path, pattern)
    family = read(raw, f"{pattern}.curve", path)
    needed = CURVE_FAMILIES[family].parameters
    for key in TIME_KEYS:
        if key in raw and key not in needed:
            raise ConfigError(
                f"{path}.{key}: not used by curve {json.dumps(family)}; "
                f"it takes {', '.join(needed) or 'no time parameter'}"
            )
    values = dict.fromkeys(TIME_KEYS, 0.0)
    for key in needed:
        if key not in raw:
            raise ConfigError(f"{path}.{key}: missing; required by curve {json.dumps(family)}")
        values[key] = number_of(KEYS[f"{pattern}.{key}"], raw[key], child(path, key))
    # A continuous distribution truncated at 0 is > 0 almost surely.
    time_days = values["time_days"]
    if family == "exponential" and not isinstance(time_days, Uncertain) and low(time_days) == 0:
        raise fail(f"{path}.time_days", 0, "must be > 0 for an exponential curve")
    # Curves that run from a fixed day (staff returns, recruitment) take no delay.
    delay = read(raw, f"{pattern}.delay_days", path) if f"{pattern}.delay_days" in KEYS else 0.0
    return Curve(family, delay_days=delay, **values)
