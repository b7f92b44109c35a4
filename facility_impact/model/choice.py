"""Where patients who seek care elsewhere go: a Huff-type choice with reach.

A patient turned away (or not reaching a facility) who decides to travel picks
a destination with probability proportional to its spare capacity discounted
by distance, ``spare_j · exp(-d_j / λ)`` (the gravity form of Huff, D. L. 1963,
Land Economics 39(1):81-90, with an exponential distance decay); destinations
beyond reach, without spare capacity or the sender itself take no one. The
share who travel at all, ``α · max_j exp(-d_j / λ)`` over destinations with
spare capacity, depends on the nearest usable one: a far or full destination
neither dilutes it nor attracts anyone. Those who find their choice full try
once more among the destinations with room left; the rest go unmet
(``docs/model.md``, "Destination choice").

Axes: destinations ``J`` first (the modelled facilities, then the
alternatives), then senders ``F``, services ``S`` and the ensemble points.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


def distance_factor(distance_km: Array, decay_km: Array, reach_km: Array, is_self: Array) -> Array:
    """``e_jf = exp(-d_fj / λ_fs)`` where ``d_fj ≤ reach_fs`` and ``j ≠ f``, else 0 [1].

    ``distance_km`` ``(J, F, 1, ·)`` [km] (``inf``: no way there); ``decay_km``
    ``λ`` and ``reach_km`` ``(F, S, ·)`` [km] (``inf``: no decay, no limit);
    ``is_self`` ``(J, F, 1, 1)``. Returns ``(J, F, S, ·)``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        decay = np.where(np.isinf(distance_km), 0.0, np.exp(-distance_km / decay_km))
    reachable = (distance_km <= reach_km) & ~is_self
    return np.asarray(np.where(reachable, decay, 0.0))


class Choice(NamedTuple):
    """Where one day's travellers went."""

    arrivals: Array
    """Patients arriving at each destination, both tries counted, ``(J, S, ·)`` [patient d-1]."""
    received: Array
    """Of those, the patients each destination served, ``(J, S, ·)`` [patient d-1]."""
    served_elsewhere: Array
    """Each sender's patients served at some destination, ``(F, S, ·)`` [patient d-1]."""
    received_from: Array
    """Each sender's patients each destination served, ``(J, F, S, ·)`` [patient d-1]."""


def _one_try(travelling: Array, spare: Array, factor: Array) -> tuple[Array, Array, Array]:
    """Travellers ``(F, S, ·)`` choose among destinations with ``spare`` ``(J, S, ·)``
    by ``spare · factor``; each destination serves its arrivals pro rata up to its
    spare capacity. Returns arrivals and received ``(J, S, ·)`` and what each
    destination served of each sender's travellers ``(J, F, S, ·)``."""
    attraction = spare[:, None] * factor  # (J, F, S, ·)
    total = attraction.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        heading = np.where(total > 0, travelling * attraction / total, 0.0)
    arrivals = heading.sum(axis=1)
    received = np.minimum(arrivals, spare)
    with np.errstate(invalid="ignore", divide="ignore"):
        taken = np.where(arrivals > 0, received / arrivals, 0.0)
    return arrivals, received, heading * taken[:, None]


def choose(seeking: Array, willingness: Array, factor: Array, spare: Array) -> Choice:
    """One day's diversion of ``seeking`` patients ``(F, S, ·)`` [patient d-1].

    ``willingness`` ``α`` [1] ``(F, S, ·)``; ``factor`` ``e`` [1] ``(J, F, S, ·)``
    from :func:`distance_factor`; ``spare`` [patient d-1] ``(J, S, ·)``: what each
    destination can take today beyond its own patients.
    """
    usable = np.where(spare[:, None] > 0, factor, 0.0)
    travelling = willingness * np.max(usable, axis=0, initial=0.0) * seeking
    arrivals, received, received_from = _one_try(travelling, spare, factor)
    overflow = travelling - received_from.sum(axis=0)
    arrivals_2, received_2, received_from_2 = _one_try(overflow, spare - received, factor)
    both = received_from + received_from_2
    return Choice(arrivals + arrivals_2, received + received_2, both.sum(axis=0), both)
