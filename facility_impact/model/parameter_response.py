"""The parameters of the people's response to strikes: who stays away, where, and how
long (docs/model.md, "People's response").

See :func:`facility_impact.model.parameters.build_parameters`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from facility_impact.config.places import response_distance_km
from facility_impact.model.layout import Layout, where


def response_values(layout: Layout) -> dict[str, xr.DataArray]:
    """``response_share`` (strike, facility, service) and each strike's fade curve.

    The struck facility takes the strike's ``avoidance`` of each service; every other
    modelled facility no farther than ``avoidance_radius_km`` (and at a known
    distance) takes ``avoidance_nearby_share`` of it; the rest 0. A disabled strike
    hits nobody and has no response.
    """
    config = layout.config
    strikes, services, names = config.strikes, config.service_names, layout.facility_names
    share = layout.stack(
        [[k.avoidance.get(s, 0.0) for s in services] for k in strikes], "strike", "service"
    )
    distance = layout.stack(
        [[response_distance_km(config, k.facility, f) for f in names] for k in strikes],
        "strike",
        "facility",
    )
    radius = layout.stack([k.avoidance_radius_km for k in strikes], "strike")
    nearby = layout.stack([k.avoidance_nearby_share for k in strikes], "strike")
    target = layout.mask(
        [[k.enabled and k.facility == f for f in names] for k in strikes], "strike", "facility"
    )
    enabled = layout.mask([k.enabled for k in strikes], "strike")
    near = enabled & ~target & (distance <= radius) & xr.DataArray(np.isfinite(distance))
    weight = where(target, 1.0, where(near, nearby, 0.0))
    fades = [k.avoidance_fade for k in strikes]
    return {
        "response_share": (weight * share).transpose(..., "strike", "facility", "service"),
        "response_curve": layout.stack([fade.code for fade in fades], "strike"),
        "response_time_days": layout.stack([fade.time_days for fade in fades], "strike"),
        "response_mean_days": layout.stack([fade.mean_days for fade in fades], "strike"),
        "response_sd_days": layout.stack([fade.sd_days for fade in fades], "strike"),
    }
