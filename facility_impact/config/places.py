"""Where facilities stand: great-circle distances, and how far apart two facilities
are for the people's response to a strike (``avoidance_radius_km``)."""

from __future__ import annotations

import math

from facility_impact.config.types import Config

EARTH_RADIUS_KM = 6371.0088
"""Mean radius of the Earth [km] (IUGG mean radius R1 of the WGS 84 ellipsoid)."""


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [km] between two points given in degrees, on a sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def response_distance_km(config: Config, origin: str, destination: str) -> float:
    """How far [km] facility ``destination`` is from ``origin`` for the response radius.

    The straight line between their ``latitude``/``longitude`` when both give them:
    the studies the radius comes from drew circles around places. Else the
    ``[network]`` ``distance_km`` (roads: at least the straight line, so fewer
    facilities count). Else, or with a network of travel minutes, ``inf``: no
    facility is near another. A facility is 0 km from itself.
    """
    if origin == destination:
        return 0.0
    one, other = config.facilities[origin], config.facilities[destination]
    lat1, lon1, lat2, lon2 = one.latitude, one.longitude, other.latitude, other.longitude
    if lat1 is not None and lon1 is not None and lat2 is not None and lon2 is not None:
        return haversine_km(lat1, lon1, lat2, lon2)
    network = config.network
    if network is not None and network.unit == "km":
        return network.distance(origin, destination)
    return math.inf
