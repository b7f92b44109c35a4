"""Reading ``[staff_return.<fate>]`` and ``[recruitment]``: how staff lost to a strike
come back, and how their posts are refilled.

Each table has a default (:mod:`facility_impact.config.default_values`). A table
that leaves out ``curve`` keeps the default curve, and the time keys it gives
replace the default's; a table that gives ``curve`` gives the whole curve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facility_impact.config.curve_tables import TIME_KEYS, read_curve
from facility_impact.config.default_values import (
    RECRUITMENT_DEFAULTS,
    STAFF_FATES,
    STAFF_RETURN_DEFAULTS,
)
from facility_impact.config.reading import key_name, read, table
from facility_impact.config.types import StaffReturn

STAFF_RETURN = "staff_return.<fate>"
RECRUITMENT = "recruitment"


def read_staff_return(raw: Any) -> dict[str, StaffReturn]:
    """Every fate's return: its ``[staff_return.<fate>]`` table over the fate's default."""
    given = table(raw, "staff_return")
    for fate in given:
        key_name(fate, "staff_return", STAFF_FATES, "fate")
    return {
        fate: _read_return(
            given.get(fate, {}),
            STAFF_RETURN,
            f"staff_return.{fate}",
            STAFF_RETURN_DEFAULTS[fate],
            "return_share",
        )
        for fate in STAFF_FATES
    }


def read_recruitment(raw: Any) -> StaffReturn:
    """``[recruitment]`` over its default."""
    return _read_return(raw, RECRUITMENT, RECRUITMENT, RECRUITMENT_DEFAULTS, "share")


def _read_return(
    raw: Any, pattern: str, path: str, defaults: Mapping[str, Any], share_key: str
) -> StaffReturn:
    given = table(raw, path, pattern)
    curve_raw = dict(given)
    if "curve" not in given:
        default_curve = {
            key: value for key, value in defaults.items() if key in ("curve", *TIME_KEYS)
        }
        curve_raw = {**default_curve, **given}
    share = read(given, f"{pattern}.{share_key}", path, fallback=defaults[share_key])
    return StaffReturn(share=share, curve=read_curve(curve_raw, pattern, path))
