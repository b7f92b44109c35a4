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
:func:`choose` works on the full ``(J, F)`` matrix (the maps replay it);
:func:`choose_sparse`, which the kernel runs, on each sender's ``K`` candidate
destinations (:mod:`facility_impact.model.destinations`), ``(K, F)``, and only
for the senders who have someone seeking care: the same numbers, summed in the
same order, at a cost of ``O(K · F)`` instead of ``O(J · F)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import sparse

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


class Diversion(NamedTuple):
    """Where one day's travellers went, by destination and by sender."""

    arrivals: Array
    """Patients arriving at each destination, both tries counted, ``(J, S, ·)``."""
    received: Array
    """Of those, the patients each destination served, ``(J, S, ·)``."""
    served_elsewhere: Array
    """Each sender's patients served at some destination, ``(F, S, ·)``."""


class Candidates(NamedTuple):
    """The senders' candidate destinations in the kernel's layout, slots first."""

    destination_index: Array
    """``(K, F)`` int64: each slot's position on the destination axis; -1: padding."""
    factor: Array
    """``(K, F, S, ·)`` [1]: the distance factor :func:`distance_factor` of each slot."""


def _gather(values: Array, index: Array) -> Array:
    """``values`` ``(J, S, n)`` at ``index`` ``(K, F)`` → ``(K, F, S, n)``, 0 in the padding."""
    padded = np.concatenate([values, np.zeros((1, *values.shape[1:]))], axis=0)
    return np.take(padded, index, axis=0)  # -1 takes the appended row of zeros


def _collect(index: Array, n_destinations: int) -> Any:
    """The sparse ``(J, K · F)`` matrix of ones that adds each slot's flow ``(K, F, ·)``
    into its destination, senders in ascending order within a destination: the order
    in which the full matrix's sum over senders adds them."""
    slots, senders = np.nonzero(index >= 0)
    destinations = index[slots, senders]
    order = np.lexsort((senders, destinations))
    columns = (slots * index.shape[1] + senders)[order]
    starts = np.searchsorted(destinations[order], np.arange(n_destinations + 1))
    ones = np.ones(columns.size)
    return sparse.csr_matrix((ones, columns, starts), shape=(n_destinations, index.size))


def _with_room(index: Array, factor: Array, spare: Array) -> tuple[Array, Array]:
    """The slots ``(K, F)`` whose destination has room today, moved up in their order:
    a destination without room attracts no one in either try (its terms are exact
    zeros), so leaving it out changes no sum. The table narrows to the sender with
    the most destinations with room."""
    room = np.asarray(np.asarray(spare > 0).reshape(spare.shape[0], -1).any(axis=1))
    keep = (index >= 0) & room[index]
    width = int(keep.sum(axis=0).max(initial=0))
    if width == index.shape[0]:
        return index, factor
    order = np.argsort(~keep, axis=0, kind="stable")[:width]  # kept slots first, in order
    kept = np.take_along_axis(keep, order, axis=0)
    index = np.where(kept, np.take_along_axis(index, order, axis=0), -1)
    factor = np.take_along_axis(factor, order[:, :, None, None], axis=0)
    return index, factor


def _one_try_sparse(
    travelling: Array, spare: Array, spare_at: Array, factor: Array, index: Array, collect: Any
) -> tuple[Array, Array, Array]:
    """:func:`_one_try` on candidate slots: ``factor`` ``(K, F, S, ·)``, ``index``
    ``(K, F)``, ``spare_at`` the ``spare`` ``(J, S, n)`` of each slot; returns arrivals
    and received ``(J, S, n)`` and what each slot's destination served of each
    sender's travellers ``(K, F, S, n)``."""
    heading = spare_at * factor  # the attraction, turned into the heading in place
    total = heading.sum(axis=0)
    # (travelling · attraction) / total, as in _one_try; where the total is 0 every
    # attraction is 0, and so is the product.
    np.multiply(travelling, heading, out=heading)
    np.divide(heading, total, out=heading, where=total > 0)
    flat = heading.reshape(index.size, -1)
    arrivals = np.asarray(collect @ flat).reshape(spare.shape)
    received = np.minimum(arrivals, spare)
    with np.errstate(invalid="ignore", divide="ignore"):
        taken = np.where(arrivals > 0, received / arrivals, 0.0)
    heading *= _gather(taken, index)
    return arrivals, received, heading


def choose_sparse(
    seeking: Array, willingness: Array, candidates: Candidates, spare: Array
) -> Diversion:
    """:func:`choose` on each sender's candidate destinations.

    ``seeking`` and ``willingness`` ``(F, S, ·)``; ``spare`` ``(J, S, n)``. Senders
    with nobody seeking care send no one; the others go through the steps of
    :func:`choose` on their slots, so every sum runs over the same numbers in the
    same order as over the full matrix (destinations ascending, then senders).
    """
    n_senders = seeking.shape[0]
    shape = np.broadcast_shapes(seeking.shape, spare.shape[1:])
    served_elsewhere = np.zeros(shape)
    arrivals = np.zeros(spare.shape)
    received = np.zeros(spare.shape)
    active = np.flatnonzero(
        (np.broadcast_to(seeking, shape) != 0).reshape(n_senders, -1).any(axis=1)
    )
    if active.size == 0:  # nobody seeks care elsewhere
        return Diversion(arrivals, received, served_elsewhere)
    index, factor = _with_room(
        candidates.destination_index[:, active], candidates.factor[:, active], spare
    )
    if index.shape[0] == 0:  # no destination with room: nobody travels
        return Diversion(arrivals, received, served_elsewhere)
    seeking_a = np.broadcast_to(seeking, shape)[active]
    willing = np.broadcast_to(willingness, (n_senders, *willingness.shape[1:]))[active]
    collect = _collect(index, spare.shape[0])
    spare_at = _gather(spare, index)
    usable = np.where(spare_at > 0, factor, 0.0)
    travelling = willing * np.max(usable, axis=0, initial=0.0) * seeking_a
    arrivals, received, received_from = _one_try_sparse(
        travelling, spare, spare_at, factor, index, collect
    )
    overflow = travelling - received_from.sum(axis=0)
    left = spare - received
    arrivals_2, received_2, received_from_2 = _one_try_sparse(
        overflow, left, _gather(left, index), factor, index, collect
    )
    received_from += received_from_2
    served_elsewhere[active] = received_from.sum(axis=0)
    return Diversion(arrivals + arrivals_2, received + received_2, served_elsewhere)
