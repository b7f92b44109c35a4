"""Reading what moves: a facility's displaced population (leaving, settling
elsewhere, coming back) and its relocated site or field hospital."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facility_impact.config.curve_tables import read_curve
from facility_impact.config.reading import (
    TRAVEL_UNITS,
    fail,
    one_of,
    read,
    read_map,
    table,
)
from facility_impact.config.types import Curve, Displacement, Relocation
from facility_impact.config.variation import high
from facility_impact.errors import ConfigError

DISPLACEMENT = "facility.<name>.displacement"
RETURN = f"{DISPLACEMENT}.return"
RELOCATION = "facility.<name>.relocation"
_ANOTHER = "must be another facility: the displaced leave this one"


def read_displacement(raw: Any, path: str, facility: str, facilities: list[str]) -> Displacement:
    """``[facility.<name>.displacement]`` at ``path``: who leaves, where to, who comes back.

    ``facility`` is the facility's name and ``facilities`` every facility's, which
    the destinations may name.
    """
    displacement = table(raw, path)
    curve = read_curve(displacement, DISPLACEMENT, path)
    return_share = read(displacement, f"{DISPLACEMENT}.return_share", path)
    return_curve, return_start_day = _read_return(displacement, path, return_share)
    return Displacement(
        share=read(displacement, f"{DISPLACEMENT}.share", path),
        curve=curve,
        start_day=read(displacement, f"{DISPLACEMENT}.start_day", path),
        return_share=return_share,
        return_curve=return_curve,
        return_start_day=return_start_day,
        destinations=_read_destinations(displacement, path, facility, facilities),
    )


def _read_return(
    displacement: Mapping[str, Any], path: str, return_share: float
) -> tuple[Curve | None, float | None]:
    """The return curve and its ``start_day`` [d] (``None``: when the displacement starts)."""
    if "return" not in displacement:
        if high(return_share) > 0:
            raise ConfigError(
                f"{path}.return: missing; required because return_share = {return_share:g}: "
                "give the curve of the return"
            )
        return None, None
    where = f"{path}.return"
    raw = table(displacement["return"], where, RETURN)
    start = read(raw, f"{RETURN}.start_day", where) if "start_day" in raw else None
    return read_curve(raw, RETURN, where), start


def _read_destinations(
    displacement: Mapping[str, Any], path: str, facility: str, facilities: list[str]
) -> dict[str, float]:
    """Share of the displaced settling in each other facility's catchment (≤ 1 in all)."""
    if "destination" in displacement and "destinations" in displacement:
        raise ConfigError(f"{path}: give destination or destinations, not both")
    others = [name for name in facilities if name != facility]
    if "destination" in displacement:
        name = displacement["destination"]
        if name == facility:
            raise fail(f"{path}.destination", name, _ANOTHER)
        read(displacement, f"{DISPLACEMENT}.destination", path, known=others, what="facility")
        return {name: 1.0}
    if "destinations" not in displacement:
        return {}
    where = f"{path}.destinations"
    if facility in table(displacement["destinations"], where):
        raise ConfigError(f"{where}.{facility}: {_ANOTHER}")
    shares = read_map(
        displacement["destinations"],
        f"{DISPLACEMENT}.destinations",
        where,
        others,
        "facility",
    )
    total = sum(high(share) for share in shares.values())
    if total > 1:
        raise fail(
            where,
            displacement["destinations"],
            f"the shares add up to {total:g}; they must add up to at most 1",
        )
    return shares


def read_relocation(raw: Any, path: str, facility: str, resources: list[str]) -> Relocation:
    """``[facility.<name>.relocation]`` at ``path``; ``resources`` are the facility's."""
    relocation = table(raw, path, RELOCATION)
    key = one_of(relocation, path, ("distance_km", "travel_minutes"))
    distance = read(relocation, f"{RELOCATION}.{key}", path)
    if distance is None:
        raise ConfigError(
            f"{path}.distance_km: missing; give the distance from the catchment to the site "
            "(or travel_minutes)"
        )
    site = read_map(
        relocation.get("resources", {}),
        f"{RELOCATION}.resources",
        f"{path}.resources",
        resources,
        f"resource of {facility}",
    )
    return Relocation(
        opens_day=read(relocation, f"{RELOCATION}.opens_day", path),
        distance_km=distance,
        resources=site,
        unit=TRAVEL_UNITS[key],
    )
