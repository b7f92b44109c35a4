"""Defaults that differ by fate or by service, each with its source or ASSUMPTION.

The schema table (:data:`facility_impact.config.keys.KEYS`) shows them in its
rows; the readers fill them in. They are written here, once, because one key
(``staff_return.<fate>.return_share``, ``distance_decay_km``) takes a different
default in different tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

HOSPITAL_DECAY_KM = 45.7
"""Default distance-decay scale [km] of every service but outpatient care: see DECAY_SOURCE."""

OUTPATIENT_DECAY_KM = 2.4
"""Default distance-decay scale [km] of the service named ``outpatient``: see DECAY_SOURCE."""

DECAY_SOURCE = (
    "Hospital services: Moïsi et al. 2011, Bull World Health Organ 89(2):102-111, children's "
    "hospital admissions in rural Kenya fell 28 % per half-hour by vehicle, a scale of "
    "30/-ln(0.72) = 91 min, 45.7 km at an ASSUMED 30 km/h. Outpatient: Feikin et al. 2009, "
    "Trop Med Int Health 14(1):54-61, paediatric clinic visits in rural western Kenya fell 34 % "
    "per km, 1/-ln(0.66) = 2.4 km. Both were measured for children, in peace time: for adults "
    "in a conflict zone give the key, best as a wide distribution"
)


def default_decay_km(service: str) -> float:
    """The cited distance-decay scale [km] of a service that gives none (DECAY_SOURCE)."""
    return OUTPATIENT_DECAY_KM if service == "outpatient" else HOSPITAL_DECAY_KM


STAFF_FATES = ("killed", "injured", "abducted", "fled")
"""What became of the staff a strike took, in the order of the ``fate`` coordinate."""

ATTACK_TYPES = (
    "violence_with_heavy_weapons",
    "violence_with_individual_weapons",
    "setting_fire",
    "armed_search",
    "militarization",
    "removal_of_assets",
    "obstruction",
    "psychological_violence",
    "assault",
    "abduction_arrest_detention",
    "sexual_assault",
)
"""The WHO SSA attack types a strike may give as ``attack_type``, each described (with
its priors) in ``data/attack_priors.toml``."""

FACILITY_DAMAGE = ("none", "damaged", "destroyed")
"""What an attack record says of the facility, ``facility_damage``, from least to worst."""

STAFF_RETURN_DEFAULTS: MappingProxyType[str, MappingProxyType[str, Any]] = MappingProxyType(
    {
        fate: MappingProxyType(values)
        for fate, values in {
            "killed": {"return_share": 0.0, "curve": "none"},
            "injured": {"return_share": 0.9, "curve": "normal", "mean_days": 30.0, "sd_days": 10.0},
            "abducted": {"return_share": 0.3, "curve": "exponential", "time_days": 90.0},
            "fled": {"return_share": 0.5, "curve": "exponential", "time_days": 120.0},
        }.items()
    }
)
"""The ``[staff_return.<fate>]`` table each fate has when the configuration gives none;
the reasons are STAFF_RETURN_SOURCE."""

STAFF_RETURN_SOURCE = (
    "ASSUMPTION, no source gives these for staff of a struck hospital: the dead never come "
    "back; nine in ten of the injured are back at work when their wounds have healed, half "
    "within a month; most abducted or missing health workers are not released alive (the "
    "reference report presumes its missing dead, seed strike.missing_presumed_dead, ¶3), and "
    "releases take months; half of those who fled come back as security allows, over months, "
    "the others settle elsewhere"
)

RECRUITMENT_DEFAULTS: MappingProxyType[str, Any] = MappingProxyType(
    {"share": 0.8, "curve": "exponential", "time_days": 90.0}
)
"""The ``[recruitment]`` table when the configuration gives none; see RECRUITMENT_SOURCE."""

RECRUITMENT_SOURCE = (
    "ASSUMPTION: recruiting a replacement and bringing them in takes about three months "
    "(63 % of the posts refilled after 90 days, 95 % after 270); one post in five stays empty "
    "where health workers are scarce"
)


def curves_text(defaults: Mapping[str, Mapping[str, Any]]) -> str:
    """The default curves, by fate (or one unnamed), as the docs state them."""
    parts = []
    for name, values in defaults.items():
        family = values["curve"]
        times = ", ".join(
            f"{key.removesuffix('_days')} {values[key]:g} d"
            for key in ("time_days", "mean_days", "sd_days")
            if key in values
        )
        text = f"`{family}`" + (f" ({times})" if times else "")
        parts.append(f"{name} {text}" if name else text)
    return "; ".join(parts)
