"""The steps of a simulated day, as small pure functions over numpy arrays.

The day loop (:mod:`facility_impact.model.kernel`) calls them in this order:
a strike's damage, recovery of availability, capacity, demand, local service,
diversion to other destinations, the backlog left for tomorrow. Population and
open days do not depend on yesterday and are computed for all days at once.
The equations are those of ``docs/model.md``; arrays broadcast, with the
ensemble points on the last axis.

Functions that take ``out`` arrays write their results into them, as numpy's
own functions do, so that the day loop computes straight into its outputs;
given no ``out`` they allocate. The arithmetic is written in the order the
kernel's numbers were fixed in: reordering it changes the last bits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from facility_impact.curves import CURVE_FAMILIES, recovery_fraction

Array = npt.NDArray[Any]


def population(
    days: Array,
    baseline: Array,
    share: Array,
    start_day: Array,
    curve: Array,
    time_days: Array,
    mean_days: Array,
    sd_days: Array,
) -> Array:
    """Catchment population ``P(t) = P0 · (1 - share · g(t - start))`` [person].

    ``days`` [d] shaped ``(T, 1, 1)``; ``baseline`` ``P0`` [person], ``share`` [1]
    and the displacement curve (``start_day`` [d], family ``curve``, its times
    [d]) shaped ``(F, ·)``. Returns ``(T, F, ·)``.
    """
    displaced = share * recovery_fraction(days - start_day, curve, time_days, mean_days, sd_days)
    return np.asarray(baseline * (1.0 - displaced))


class OpenDays(NamedTuple):
    """Which facilities are open on which days, each ``(T, F, ·)`` of booleans."""

    opened: Array
    """The facility exists: from its opening day on."""
    closed_for_good: Array
    """From its closing day on."""
    is_open: Array
    """It exists, has not closed for good, and no strike's closure covers the day."""


def open_days(
    days: Array,
    opens_day: Array,
    closes_day: Array,
    strike_day: Array,
    strike_end: Array,
    is_target: Array,
) -> OpenDays:
    """Open days of every facility.

    ``days`` [d] ``(T, 1, 1)``; ``opens_day``, ``closes_day`` [d] ``(F, ·)``;
    ``strike_day`` and ``strike_end`` (strike day plus closure) [d] ``(K, ·)``;
    ``is_target`` ``(K, F, ·)``: the strike hits the facility. A strike closes its
    target on days ``[strike_day, strike_end)``.
    """
    opened = days >= opens_day
    closed_for_good = days >= closes_day
    strike_window = (days[:, None] >= strike_day[None, :, None]) & (
        days[:, None] < strike_end[None, :, None]
    )  # (T, K, 1, ·)
    struck_closed = (strike_window & is_target[None]).any(axis=1)
    return OpenDays(opened, closed_for_good, opened & ~closed_for_good & ~struck_closed)


class Struck(NamedTuple):
    """Availability terms after the strikes of one day."""

    anchor: Array
    """Availability just after the latest strike, ``(F, R, ·)`` [1]."""
    recovery_start: Array
    """Day recovery starts after that strike, ``(F, R, ·)`` [d]."""
    hit_today: Array
    """Which strikes happen today, ``(K, ·)``."""


def strike(
    day: int,
    available: Array,
    anchor: Array,
    recovery_start: Array,
    strike_day: Array,
    strike_end: Array,
    is_target: Array,
    damage_on: Array,
    dtype: np.dtype[Any],
) -> Struck:
    """Availability after today's strikes: each multiplies what was left yesterday.

    ``available`` [1] ``(F, R, ·)`` is yesterday's availability; ``damage_on`` [1]
    ``(K, F, R, ·)`` the share of each resource a strike destroys at each
    facility. On a struck facility the anchor becomes ``available · Π(1 - damage)``
    and recovery restarts at the end of the latest closure [d]; elsewhere both
    stay as they were.
    """
    hit_today = strike_day == day  # (K, ·)
    hit_target = hit_today[:, None, :] & is_target  # (K, F, ·)
    hit_facility = hit_target.any(axis=0)[:, None, :]  # (F, 1, ·)
    survival = np.prod(1.0 - np.where(hit_today[:, None, None, :], damage_on, 0.0), axis=0)
    restart = np.max(
        np.where(hit_target, strike_end[:, None, :], -np.inf), axis=0, initial=-np.inf
    )[:, None, :]
    return Struck(
        np.where(hit_facility, available * np.asarray(survival, dtype=dtype), anchor),
        np.where(hit_facility, restart, recovery_start),
        hit_today,
    )


def availability(
    days: Array,
    anchor: Array,
    recovery_start: Array,
    delay_days: Array,
    recoverable: Array,
    restoration: Callable[[Array], Array],
    dtype: np.dtype[Any],
) -> Array:
    """Availability of each resource on ``days`` [d] ``(W, 1, 1, 1)``: ``(W, F, R, ·)`` [1].

    ``a(t) = anchor + recoverable · (1 - anchor) · g(t - start - delay)``: what the
    latest strike left, plus the recoverable share of the rest as the recovery
    curve ``restoration`` (``g`` of τ [d]) brings it back.
    """
    tau = days - recovery_start - delay_days  # (W, F, R, ·)
    return np.asarray(
        anchor + recoverable * (1.0 - anchor) * np.asarray(restoration(tau), dtype=dtype)
    )


def capacity(baseline: Array, open_fraction: Array, available: Array, weight: Array) -> Array:
    """Patients each service can serve [patient d-1], ``(W, F, S, ·)``.

    ``baseline`` [patient d-1] ``(F, S, ·)``; ``open_fraction`` [1] ``(W, F, 1, ·)``;
    ``available`` [1] ``(W, F, R, ·)``; ``weight`` [1] ``(F, R, S, ·)``, how much
    each service depends on each resource. The scarcest needed resource limits a
    service: ``min_r (1 - w (1 - a_r)) = 1 - max_r (w (1 - a_r))``.
    """
    loss = 1.0 - available
    limit = 1.0 - np.max(weight * loss[:, :, :, None, :], axis=2, initial=0.0)
    return np.asarray(baseline * open_fraction * limit)


def casualties(hit_today: Array, casualty_load: Array, dtype: np.dtype[Any]) -> Array:
    """Casualties today's strikes add to demand [patient d-1], ``(F, S, ·)``.

    ``hit_today`` ``(K, ·)``; ``casualty_load`` [patient] ``(K, F, S, ·)``: each
    strike's casualties at its target, in the service that receives them.
    """
    today = np.where(hit_today[:, None, None, :], casualty_load, 0.0)
    return np.asarray(np.sum(today, axis=0), dtype=dtype)


def demand(
    baseline: Array,
    population_ratio: Array,
    multiplier: Array,
    opened_fraction: Array,
    first_day_casualties: Array | None = None,
    points: int = 1,
) -> Array:
    """New patients seeking each service [patient d-1], ``(W, F, S, ·)``.

    ``baseline`` [patient d-1] ``(F, S, ·)`` scaled by the population ratio [1]
    ``(W, F, 1, ·)`` and the demand multiplier [1] ``(W, F, S, ·)``; plus
    ``first_day_casualties`` [patient d-1] ``(F, S, ·)`` on the first day, if any
    (then the result spans ``points`` ensemble points); none before the facility
    opens (``opened_fraction`` [1] ``(W, F, 1, ·)``).
    """
    window = baseline * population_ratio * multiplier
    if first_day_casualties is not None:
        window = np.broadcast_to(window, (*window.shape[:-1], points)).copy()
        window[0] += first_day_casualties
    return np.asarray(window * opened_fraction)


def closed_for_good_today(
    gone: Array, attrition: Array, deferrable: Array, dtype: np.dtype[Any]
) -> tuple[Array, Array]:
    """Backlog attrition [d-1] and deferrable share [1] on a day, ``(F, S, ·)``.

    Nobody waits for a facility closed for good (``gone``, ``(F, 1, ·)``): its
    waiting patients all give up and new ones seek care elsewhere or go unmet.
    """
    return (
        np.where(gone, 1.0, attrition).astype(dtype),
        np.where(gone, 0.0, deferrable).astype(dtype),
    )


class LocalService(NamedTuple):
    """What a facility does with its own patients on one day, each ``(F, S, ·)``."""

    served: Array
    """New and waiting patients served [patient d-1]."""
    abandoned: Array
    """Waiting patients who gave up [patient d-1]."""
    backlog_kept: Array
    """Yesterday's waiting patients who still wait [patient]."""
    served_backlog: Array
    """Waiting patients served [patient d-1]."""
    waiting: Array
    """New patients not served who wait [patient d-1]."""
    seeking: Array
    """New patients not served who seek care elsewhere [patient d-1]."""


def local_service(
    capacity: Array,
    demand: Array,
    backlog: Array,
    attrition: Array,
    deferrable: Array,
    *,
    abandoned_out: Array | None = None,
    served_out: Array | None = None,
) -> LocalService:
    """Serve new patients first, then the backlog after attrition.

    ``capacity`` and ``demand`` [patient d-1], ``backlog`` [patient] (yesterday's),
    ``attrition`` [d-1], ``deferrable`` [1]: all ``(F, S, ·)``. Of the new
    patients not served, the deferrable share waits and the rest seek care
    elsewhere.
    """
    served_new = np.minimum(capacity, demand)
    abandoned = np.multiply(attrition, backlog, out=abandoned_out)
    backlog_kept = backlog - abandoned
    served_backlog = np.minimum(capacity - served_new, backlog_kept)
    served = np.add(served_new, served_backlog, out=served_out)
    unserved_new = demand - served_new
    waiting = deferrable * unserved_new
    seeking = unserved_new - waiting
    return LocalService(served, abandoned, backlog_kept, served_backlog, waiting, seeking)


def diversion_shares(
    willingness: Array,
    decay_km: Array,
    distance_km: Array,
    attraction: Array,
) -> Array:
    """Share of patients seeking care elsewhere who head to each destination [1].

    ``α_s · exp(-d_j / λ_s) · A_{s,j} / Σ_i A_{s,i}`` (``docs/model.md``, diversion).

    Parameters
    ----------
    willingness : α [1], shape ``(..., F, S, 1)``.
    decay_km : λ [km], shape ``(..., F, S, 1)``; ``inf`` means no decay.
    distance_km : d [km], shape ``(..., F, 1, D)``; ``inf`` means out of reach.
    attraction : A [patient d-1], shape ``(..., 1, S, D)`` or ``(..., F, S, D)``:
        baseline capacity of the open destinations, 0 where a sender may not go
        (itself, a closed facility).

    Returns the shares, shape ``(..., F, S, D)``; they sum to at most α over ``D``.
    """
    total = attraction.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(total > 0, attraction / total, 0.0)
        decay = np.where(np.isinf(distance_km), 0.0, np.exp(-distance_km / decay_km))
    return np.asarray(willingness * decay * weight)


def broadcast_last(*arrays: Array) -> list[Array]:
    """Broadcast the last (ensemble) axis of each array to the longest, keeping the others."""
    length = max(array.shape[-1] for array in arrays)
    return [np.broadcast_to(a, (*a.shape[:-1], length)) for a in arrays]


def destination_shares(
    open_capacity: Array,
    alternative_open: Array,
    alternative_capacity: Array,
    alternative_spare: Array,
    willingness: Array,
    decay_km: Array,
    distance_km: Array,
    elsewhere: Array,
) -> tuple[Array, Array]:
    """Diversion shares ``(D, F, S, ·)`` [1] and the alternatives' spare capacity
    ``(J, S, ·)`` [patient d-1] on one day.

    ``open_capacity`` [patient d-1] ``(F, S, ·)``: the modelled facilities'
    baseline capacity where open, else 0. ``alternative_open`` ``(J, 1, ·)``;
    ``alternative_capacity`` and ``alternative_spare`` [patient d-1] ``(J, S, ·)``;
    ``willingness`` [1] and ``decay_km`` [km] ``(F, S, ·)``; ``distance_km`` [km]
    ``(F, D, ·)``; ``elsewhere`` ``(F, 1, D)``: 0 where a sender is the destination.
    Destinations ``D``: the modelled facilities, then the alternatives.
    """
    attraction = np.concatenate(
        broadcast_last(open_capacity, np.where(alternative_open, alternative_capacity, 0.0)),
        axis=0,
    )  # (D, S, ·)
    shares = diversion_shares(
        np.transpose(willingness, (2, 0, 1))[..., None],
        np.transpose(decay_km, (2, 0, 1))[..., None],
        np.transpose(distance_km, (2, 0, 1))[:, :, None, :],
        np.transpose(attraction, (2, 1, 0))[:, None, :, :] * elsewhere,
    )  # (·, F, S, D)
    spare = np.where(alternative_open, alternative_spare, 0.0)
    return np.ascontiguousarray(np.transpose(shares, (3, 1, 2, 0))), spare


class Diverted(NamedTuple):
    """Where the patients seeking care elsewhere went on one day."""

    arriving: Array
    """Patients arriving at each destination, ``(D, S, ·)`` [patient d-1]."""
    absorbed: Array
    """Of those, the patients the destination served, ``(D, S, ·)`` [patient d-1]."""
    served_elsewhere: Array
    """Each sender's patients served at any destination, ``(F, S, ·)`` [patient d-1]."""
    unmet: Array
    """Each sender's patients served nowhere, ``(F, S, ·)`` [patient d-1]."""


@dataclass
class DiversionBuffers:
    """Work arrays of :func:`diversion`, reused day after day; any may be ``None``."""

    heading: Array | None = None
    arriving: Array | None = None
    absorbed: Array | None = None
    served_elsewhere: Array | None = None
    unmet: Array | None = None


def diversion(
    shares: Array,
    seeking: Array,
    capacity: Array,
    served: Array,
    spare: Array,
    buffers: DiversionBuffers | None = None,
) -> Diverted:
    """One hop of diversion: each destination serves what arrives from all senders
    pro rata, up to its spare capacity after its own patients.

    ``shares`` [1] ``(D, F, S, ·)``; ``seeking``, ``capacity`` and ``served``
    [patient d-1] ``(F, S, ·)``; ``spare`` [patient d-1] ``(D, S, ·)``, whose
    first ``F`` rows (the modelled facilities) this step fills with today's
    ``max(capacity - served, 0)`` and whose other rows hold the alternatives'.
    """
    work = buffers or DiversionBuffers()
    n_facilities = capacity.shape[0]
    heading = np.multiply(shares, seeking, out=work.heading)  # (D, F, S, ·)
    arriving = np.sum(heading, axis=1, out=work.arriving)  # (D, S, ·)
    np.subtract(capacity, served, out=spare[:n_facilities])
    np.maximum(spare[:n_facilities], 0.0, out=spare[:n_facilities])
    absorbed = np.minimum(arriving, spare, out=work.absorbed)
    absorbed_share = np.divide(absorbed, arriving, out=np.zeros_like(absorbed), where=arriving > 0)
    served_elsewhere = np.sum(
        np.multiply(heading, absorbed_share[:, None], out=heading),
        axis=0,
        out=work.served_elsewhere,
    )
    unmet = np.subtract(seeking, served_elsewhere, out=work.unmet)
    return Diverted(arriving, absorbed, served_elsewhere, unmet)


def backlog(kept: Array, served_backlog: Array, waiting: Array, out: Array | None = None) -> Array:
    """Patients waiting at the end of the day [patient], ``(F, S, ·)``: those who
    kept waiting and were not served, plus today's new patients who wait."""
    waiting_tonight: Array = np.add(kept - served_backlog, waiting, out=out)
    return waiting_tonight


class Restoration:
    """``g(τ)`` of every facility and resource, evaluated family by family.

    Same values as :func:`facility_impact.curves.recovery_fraction`. When the
    family of each (facility, resource) is the same for every ensemble point
    (the usual case: distributions vary the times, not the family), each
    family's function runs on its own cells only, which is what the day loop
    can afford to do every day.
    """

    def __init__(self, code: Array, time_days: Array, mean_days: Array, sd_days: Array) -> None:
        self._arguments = (code, time_days, mean_days, sd_days)
        self._groups: list[tuple[tuple[Array, ...], Callable[..., Array], Array, Array, Array]]
        self._groups = []
        self._per_cell = code.shape[-1] == 1
        if self._per_cell:
            for family in CURVE_FAMILIES.values():
                cells = np.nonzero(code[..., 0] == family.code)
                # A family without time parameters ("none") restores nothing: g stays 0.
                if family.parameters and cells[0].size:
                    times = (time_days[cells], mean_days[cells], sd_days[cells])
                    self._groups.append((cells, family.evaluate, *times))

    def __call__(self, tau_days: Array) -> Array:
        """``g`` at ``tau_days`` [d], shape ``(..., F, R, n)``: ``(..., F, R, n)`` [1]."""
        if not self._per_cell:
            return np.asarray(recovery_fraction(tau_days, *self._arguments))
        restored = np.zeros(tau_days.shape)
        for (facilities, resources), evaluate, *times in self._groups:
            cells = (..., facilities, resources, slice(None))
            tau = tau_days[cells]
            # Before recovery starts every family is 0; the normal CDF costs
            # ~20 ns a value, so it runs only where recovery has started.
            started = tau >= 0
            if started.all():
                restored[cells] = evaluate(tau, *times)
            elif started.any():
                values = np.zeros(tau.shape)
                values[started] = evaluate(
                    tau[started], *(np.broadcast_to(x, tau.shape)[started] for x in times)
                )
                restored[cells] = values
        return restored
