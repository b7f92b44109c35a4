"""The parameters of what happens: strikes and the staff they take, how staff come back
and are replaced, relocated sites, and the displacement of people and their return.

Each function turns one part of a checked configuration into DataArrays in the
model's base units (days, km, fractions); see
:func:`facility_impact.model.parameters.build_parameters`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.config import Curve, Displacement, Relocation, StaffReturn
from facility_impact.config.default_values import STAFF_FATES
from facility_impact.model.layout import Layout, where
from facility_impact.model.parameter_groups import quantities

NO_CURVE = Curve("none", 0.0, 0.0, 0.0, 0.0)
"""The curve of something that does not happen (no return table): ``g = 0``."""


def strike_values(layout: Layout) -> dict[str, xr.DataArray]:
    """Each strike's day, closure, damage, casualties, target and staff lost by fate."""
    strikes, stack = layout.config.strikes, layout.stack
    resources, services = layout.config.resource_names, layout.config.service_names
    return {
        "strike_day": stack([k.day for k in strikes], "strike"),
        "strike_closure_days": stack([k.closure_days for k in strikes], "strike"),
        "strike_damage": stack(
            [[k.damage.get(r, 0.0) for r in resources] for k in strikes], "strike", "resource"
        ),
        "strike_casualties": stack([k.casualties for k in strikes], "strike"),
        # A disabled strike (a scenario's "what if it had not happened") hits nobody.
        "strike_target": stack(
            [
                [float(k.enabled and k.facility == f) for f in layout.facility_names]
                for k in strikes
            ],
            "strike",
            "facility",
        ),
        "strike_casualty_service": stack(
            [[float(k.casualty_service == s) for s in services] for k in strikes],
            "strike",
            "service",
        ),
        "strike_staff_share": _staff_share(layout),
    }


def _staff_share(layout: Layout) -> xr.DataArray:
    """Staff of each fate a strike takes over the target's staff count ``Q_staff`` [1].

    A strike on a facility without staff takes none (checked), so its share is 0.
    """
    strikes, facilities = layout.config.strikes, layout.config.facilities
    lost = layout.stack(
        [[k.staff_lost.get(fate, 0.0) for fate in STAFF_FATES] for k in strikes],
        "strike",
        "fate",
    )
    staff = layout.stack(
        [facilities[k.facility].resources.get("staff", 0.0) for k in strikes], "strike"
    )
    return lost / where(staff > 0, staff, 1.0)


def staff_return_values(layout: Layout) -> dict[str, xr.DataArray]:
    """How staff of each fate come back, and recruitment: shares and curves (from the
    strike day, in calendar days)."""
    config = layout.config

    def by_fate(value_of: Callable[[StaffReturn], Any]) -> xr.DataArray:
        return layout.stack([value_of(config.staff_return[fate]) for fate in STAFF_FATES], "fate")

    recruitment = config.recruitment
    return {
        "staff_resource": xr.DataArray(
            np.array([float(r == "staff") for r in config.resource_names]), dims="resource"
        ),
        "staff_return_share": by_fate(lambda back: back.share),
        "staff_return_curve": by_fate(lambda back: back.curve.code),
        "staff_return_time_days": by_fate(lambda back: back.curve.time_days),
        "staff_return_mean_days": by_fate(lambda back: back.curve.mean_days),
        "staff_return_sd_days": by_fate(lambda back: back.curve.sd_days),
        "recruitment_share": layout.stack(recruitment.share),
        "recruitment_curve": layout.stack(recruitment.curve.code),
        "recruitment_time_days": layout.stack(recruitment.curve.time_days),
        "recruitment_mean_days": layout.stack(recruitment.curve.mean_days),
        "recruitment_sd_days": layout.stack(recruitment.curve.sd_days),
    }


def relocation_values(layout: Layout) -> dict[str, xr.DataArray]:
    """Each facility's relocated site: opening day (``inf``: none), distance, and for
    each resource the site's own share of the facility's quantity or whether the
    resource moves with the facility (``relocation_carried``)."""
    resources = layout.config.resource_names
    sites: list[Relocation | None] = [f.relocation for f in layout.facilities]
    listed = layout.mask(
        [[site is not None and r in site.resources for r in resources] for site in sites],
        "facility",
        "resource",
    )
    own = layout.stack(
        [[site.resources.get(r, 0.0) if site else 0.0 for r in resources] for site in sites],
        "facility",
        "resource",
    )
    quantity = quantities(layout)
    # A site with some of a resource the facility lacks has all it needs of it.
    share = where(quantity > 0, own / where(quantity > 0, quantity, 1.0), 1.0 * (own > 0))
    return {
        "relocation_opens_day": layout.stack(
            [np.inf if site is None else site.opens_day for site in sites], "facility"
        ),
        "relocation_distance_km": layout.stack(
            [0.0 if site is None else site.distance_km for site in sites], "facility"
        ),
        "relocation_share": where(listed, share, 0.0),
        "relocation_carried": where(listed, 0.0, 1.0),
    }


def displacement_values(layout: Layout) -> dict[str, xr.DataArray]:
    """Each catchment's displacement (none: share 0), where the displaced settle, and
    their return (none: share 0) from ``return_start_day`` (with its delay)."""
    moves: list[Displacement | None] = [f.displacement for f in layout.facilities]
    names = layout.facility_names

    def value(value_of: Callable[[Displacement], Any], missing: float = 0.0) -> xr.DataArray:
        return layout.stack([missing if d is None else value_of(d) for d in moves], "facility")

    def back(d: Displacement) -> Curve:
        return d.return_curve or NO_CURVE

    start = value(lambda d: d.start_day) + value(lambda d: d.curve.delay_days)
    given = layout.mask(
        [d is not None and d.return_start_day is not None for d in moves], "facility"
    )
    given_start = value(lambda d: 0.0 if d.return_start_day is None else d.return_start_day)
    return_start = where(given, given_start, start)
    return {
        "displacement_share": value(lambda d: d.share),
        "displacement_curve": value(lambda d: d.curve.code),
        "displacement_time_days": value(lambda d: d.curve.time_days),
        "displacement_mean_days": value(lambda d: d.curve.mean_days),
        "displacement_sd_days": value(lambda d: d.curve.sd_days),
        "displacement_start_day": start,
        "displacement_destination": layout.stack(
            [[0.0 if d is None else d.destinations.get(o, 0.0) for o in names] for d in moves],
            "facility",
            "destination_facility",
        ),
        "return_share": value(lambda d: d.return_share),
        "return_start_day": return_start + value(lambda d: back(d).delay_days),
        "return_curve": value(lambda d: back(d).code),
        "return_time_days": value(lambda d: back(d).time_days),
        "return_mean_days": value(lambda d: back(d).mean_days),
        "return_sd_days": value(lambda d: back(d).sd_days),
    }
