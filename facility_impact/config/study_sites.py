"""The configuration of a study site: a facility like the ones a study measured, struck as
the study's typical attack was recorded (``data/validation.toml``, docs/validation.md).

A template, not a description of any real facility. Its numbers do not change the
comparisons: every service's capacity is a monthly volume equal to its demand
(``demand_ratio`` 1), so every flow scales with the volume and the ratios the
validation reads do not depend on it; and the studied facility is either struck
without damage (its capacity stays whole) or not struck at all (the nearby scope),
so the dependency weights matter only to the attacked neighbour, whose numbers are
never read. Nobody travels (``willingness_to_travel`` 0): the studies counted the
consultations at the facility, and the no-strike world's served care there is then
exactly the ``counterfactual_served`` of the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from facility_impact.config.observed import HORIZON_DAYS, Site

NEIGHBOUR = "_neighbour"
"""Suffix of the facility attacked near a studied one (scope ``nearby``); the studied
facility is named after its site."""

NEIGHBOUR_KM = 1.0
"""How far the attacked neighbour stands from the studied facility [km]: inside the
response radius in all but about 1 draw in 16,000 (docs/validation.md)."""

SITE_SPACING_DEGREES = 10.0
"""Sites stand this far apart along the equator (1,112 km): all sites are simulated in
one configuration, and no radius drawn reaches from one to another (1,112 km is 7.8
dispersions above the radius's median of 10 km)."""

KM_PER_DEGREE = 111.195
"""Length of one degree of latitude [km] on the sphere of mean radius 6371.0088 km
(``config/places.py``): 2π × 6371.0088 / 360."""

VOLUME_PER_MONTH = 1000.0
"""Every service's volume [patients/month]: any volume gives the same ratios."""

RESOURCES = {
    "hospital": {"staff": 50.0, "beds": 30.0, "building": 1.0},
    "primary_care": {"staff": 15.0, "beds": 4.0, "building": 1.0},
}
"""ASSUMPTION: a small general hospital and a primary health care centre with a few
delivery beds; the counts only name the resources the damage priors act on."""

NEEDS = {
    "outpatient": {"staff": 1.0, "building": 0.5},
    "antenatal": {"staff": 1.0, "building": 0.5},
    "emergency": {"staff": 1.0, "building": 0.5, "beds": 0.2},
    "maternity": {"staff": 1.0, "beds": 1.0, "building": 0.8},
    "surgery": {"staff": 1.0, "beds": 0.5, "building": 0.8},
}
"""ASSUMPTION: dependency weights as the reference hospital's (configs/maarat_al_numan.toml)
for outpatient and emergency care; deliveries and operations need beds and most of the
building, as its admissions do. They matter only where the attack damages a facility."""


def sites_config(sites: Sequence[Site], *, draws: int, seed: int) -> dict[str, Any]:
    """One configuration holding every site of ``sites``: each studied facility (named
    after its site) and, for the scope ``nearby``, its attacked neighbour, with the
    site's attacks as recorded; ``draws`` Latin hypercube draws of the priors from
    ``seed``, in float64 (the calibration differentiates the results)."""
    facilities: dict[str, Any] = {}
    strikes = []
    for index, site in enumerate(sites):
        longitude = index * SITE_SPACING_DEGREES
        facilities[site.name] = _facility(site, 0.0, longitude)
        target = site.name
        if site.scope == "nearby":
            target = site.name + NEIGHBOUR
            facilities[target] = _facility(site, NEIGHBOUR_KM / KM_PER_DEGREE, longitude)
        strikes += [
            {
                "facility": target,
                "day": day,
                "attack_type": site.attack_type,
                "facility_damage": site.facility_damage,
                "label": f"typical attack of {site.name}",
            }
            for day in site.attack_days
        ]
    return {
        "title": "validation sites: " + ", ".join(site.name for site in sites),
        "run": {"horizon_days": HORIZON_DAYS, "seed": seed, "draws": draws, "precision": "float64"},
        "facility": facilities,
        "strike": strikes,
    }


def _facility(site: Site, latitude: float, longitude: float) -> dict[str, Any]:
    services = {
        name: {
            "volume_per_month": VOLUME_PER_MONTH,
            "needs": {
                resource: weight
                for resource, weight in NEEDS.get(name, NEEDS["outpatient"]).items()
                if resource in RESOURCES[site.kind]
            },
            "willingness_to_travel": 0.0,
            "distance_decay_km": 1.0,
        }
        for name in site.services
    }
    return {
        "label": f"{site.kind.replace('_', ' ')} like those of {site.name}",
        "population": 10000.0,
        "latitude": latitude,
        "longitude": longitude,
        "resources": dict(RESOURCES[site.kind]),
        "services": services,
    }
