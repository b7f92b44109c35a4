"""The steps of a simulated day, as small pure functions over numpy arrays.

The day loop (:mod:`facility_impact.model.block`) calls them in this order:
today's strikes, availability of the resources, capacity, demand, local
service, the choice of other destinations (:mod:`facility_impact.model.choice`),
the backlog left for tomorrow and the accounting against the no-strike world.
Population and open days do not depend on yesterday and are computed for all
days at once. The equations are those of ``docs/model.md``; arrays broadcast,
with the ensemble points on the last axis (``·``: the points, or 1 when a
value is the same for all of them).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from facility_impact.curves import recovery_fraction

Array = npt.NDArray[Any]


def population_share(
    days: Array,
    share: Array,
    start_day: Array,
    curve: tuple[Array, Array, Array, Array],
    return_share: Array,
    return_start_day: Array,
    return_curve: tuple[Array, Array, Array, Array],
) -> Array:
    """Share of the catchment's baseline population present, ``π(t)`` [1].

    ``π = 1 - s · g_L(t - t_L) · (1 - ρ · g_R(t - t_R))``: a share ``s`` leaves
    along the displacement curve ``g_L`` from ``t_L``, and a share ``ρ`` of those
    who left come back along ``g_R`` from ``t_R``. ``days`` [d] shaped
    ``(T, 1, 1)``; the others ``(F, ·)``; each curve is (family code, T, μ, σ).
    Returns ``(T, F, ·)``.
    """
    left = share * recovery_fraction(days - start_day, *curve)
    back = return_share * recovery_fraction(days - return_start_day, *return_curve)
    return np.asarray(1.0 - left * (1.0 - back))


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
    pairs: tuple[Array, Array] | None = None,
) -> OpenDays:
    """Open days of every facility.

    ``days`` [d] ``(T, 1, 1)``; ``opens_day``, ``closes_day`` [d] ``(F, ·)``;
    ``strike_day`` and ``strike_end`` (strike day plus closure) [d] ``(K, ·)``;
    ``is_target`` ``(K, F, ·)``: the strike hits the facility. A strike closes its
    target on days ``[strike_day, strike_end)``. ``pairs``, the (strike, facility)
    pairs that can be hit, looks at those alone (the same days, at a cost in
    strikes rather than strikes × facilities).
    """
    opened = days >= opens_day
    closed_for_good = days >= closes_day
    if pairs is None:
        strike_window = (days[:, None] >= strike_day[None, :, None]) & (
            days[:, None] < strike_end[None, :, None]
        )  # (T, K, 1, ·)
        struck_closed = (strike_window & is_target[None]).any(axis=1)
    else:
        strike, facility = pairs
        window = (days >= strike_day[strike]) & (days < strike_end[strike])  # (T, P, ·)
        hit = np.swapaxes(window & is_target[strike, facility], 0, 1)  # (P, T, ·)
        by_facility = np.zeros((is_target.shape[1], *hit.shape[1:]), dtype=bool)
        np.logical_or.at(by_facility, facility, hit)
        struck_closed = np.swapaxes(by_facility, 0, 1)
    return OpenDays(opened, closed_for_good, opened & ~closed_for_good & ~struck_closed)


def open_day_clock(is_open: Array, start: Array) -> Array:
    """Open days before each day, ``c(t)`` [d], ``(T, F, ·)``.

    ``c(t) = c(t0) + Σ_{t0 ≤ u < t} open(u)`` for the days ``t0 … t0 + T - 1``
    of ``is_open`` ``(T, F, ·)``; ``start`` ``(F, ·)`` is ``c(t0)``. A strike's
    damage recovers along this clock: repair and restocking need access to the
    site, so a closure pauses them.
    """
    counted = np.cumsum(is_open, axis=0, dtype=float)
    return np.asarray(start + counted - is_open)


class StrikeLoss(NamedTuple):
    """What one strike took from its target, from its day on."""

    resource_loss: Array
    """``L_kr`` ``(F, R, ·)`` [1]: share of each resource's baseline destroyed."""
    staff_loss: Array
    """``S_kφ`` ``(Φ, ·)`` [1]: share of the baseline staff lost to each fate."""


def strike_loss(
    available_before: Array,
    is_target: Array,
    damage: Array,
    staff_share: Array,
    staff_resource: Array,
) -> StrikeLoss:
    """The losses of a strike hitting now, given what is available just before.

    ``available_before`` ``a⁻`` [1] ``(F, R, ·)``; ``is_target`` ``(F, ·)``;
    ``damage`` ``d_r`` [1] ``(R, ·)``; ``staff_share`` ``σ_φ`` [1] ``(Φ, ·)``,
    staff of each fate over the target's staff count; ``staff_resource`` ``(R, ·)``
    flags the resource that counts staff. People are lost first, as many as are
    there (``S_φ = σ_φ · min(1, a⁻_staff / Σσ)``); the damage fraction then takes
    its share of what is left: ``L_r = (a⁻_r - [r is staff] ΣS) · d_r``. Both act
    on what is available at the time, so a strike never takes what an earlier
    one already took.
    """
    target = is_target[:, None, :]  # (F, 1, ·)
    # Rounding can leave wholly lost staff a hair below 0: nobody is there then.
    staff_before = np.maximum(
        np.sum(np.where(target, available_before, 0.0) * staff_resource, axis=(0, 1)), 0.0
    )
    wanted = staff_share.sum(axis=0)  # (·)
    # Divide only where more is asked than is there: a vanishing share asked of
    # plenty must not overflow.
    short = wanted > staff_before
    scale = np.divide(
        staff_before, wanted, out=np.ones(np.broadcast(staff_before, wanted).shape), where=short
    )
    staff_loss = staff_share * np.where(wanted > 0, scale, 0.0)  # (Φ, ·)
    people = staff_resource * staff_loss.sum(axis=0)  # (R, ·)
    resource_loss = np.where(target, (available_before - people) * damage, 0.0)
    return StrikeLoss(np.asarray(resource_loss), np.asarray(staff_loss))


def resource_lost(
    losses: Array,
    clock_since: Array,
    delay_days: Array,
    recoverable: Array,
    recovery_curve: tuple[Array, Array, Array, Array],
) -> Array:
    """Share of each resource still lost to the strikes' damage, ``(F, R, ·)`` [1].

    ``Σ_k L_k · (1 - ρ · g(τ_k - δ))``: each strike's damaged share ``L_k``
    ``(K, F, R, ·)`` recovers on its own clock ``τ_k`` [d] ``(K, F, ·)`` (open days
    since the strike), after the delay ``δ`` [d], up to the recoverable share
    ``ρ`` [1]; the rest is lost for good and adds up strike after strike.
    ``recovery_curve`` (code, T, μ, σ) and ``δ``, ``ρ`` are ``(F, R, ·)``.
    """
    tau = clock_since[:, :, None, :] - delay_days
    restored = recovery_fraction(tau, *recovery_curve)
    return np.asarray(np.sum(losses * (1.0 - recoverable * restored), axis=0))


def resource_lost_at(
    losses: Array,
    clock_since: Array,
    facility: Array,
    n_facilities: int,
    delay_days: Array,
    recoverable: Array,
    recovery_curve: tuple[Array, Array, Array, Array],
) -> Array:
    """:func:`resource_lost` on the (strike, target) pairs alone, ``(F, R, n)`` [1].

    ``losses`` ``(P, R, n)`` and ``clock_since`` ``(P, n)`` of each pair, in strike
    order; ``facility`` ``(P,)`` its target; the rest ``(F, R, ·)`` as there. A
    strike takes nothing from a facility it does not hit, so the other terms of
    the sum are 0: adding the pairs' terms strike after strike gives the same
    numbers at a cost in strikes, not strikes × facilities.
    """
    tau = clock_since[:, None, :] - delay_days[facility]
    restored = recovery_fraction(tau, *(part[facility] for part in recovery_curve))
    terms = losses * (1.0 - recoverable[facility] * restored)
    lost = np.zeros((n_facilities, *terms.shape[1:]))
    np.add.at(lost, facility, terms)
    return lost


def staff_lost(
    staff_losses: Array,
    since_strike: Array,
    is_target: Array,
    return_share: Array,
    return_curve: tuple[Array, Array, Array, Array],
    recruitment_share: Array,
    recruitment_curve: tuple[Array, Array, Array, Array],
    pairs: tuple[Array, Array] | None = None,
) -> Array:
    """Share of each facility's baseline staff still missing after the strikes'
    fates, ``(F, ·)`` [1].

    ``Σ_k Σ_φ S_kφ (1 - ρ_φ g_φ(t - t_k)) (1 - ρ_rec g_rec(t - t_k))``: staff
    ``S_kφ`` ``(K, Φ, ·)`` lost to fate ``φ`` come back as their fate allows
    (``ρ_φ``, ``g_φ``: ``(Φ, ·)``), and recruitment refills a share of the posts
    still empty, both counted in calendar days ``since_strike`` [d] ``(K, ·)``:
    neither waits for the building. ``is_target`` ``(K, F, ·)``. ``pairs``, the
    (strike, facility) pairs that can be hit in strike order, adds only those
    (the same numbers, at a cost in strikes rather than strikes × facilities).
    """
    since = since_strike[:, None, :]  # (K, 1, ·)
    returned = return_share * recovery_fraction(since, *return_curve)  # (K, Φ, ·)
    recruited = recruitment_share * recovery_fraction(since_strike, *recruitment_curve)
    missing = np.sum(staff_losses * (1.0 - returned), axis=1) * (1.0 - recruited)  # (K, ·)
    if pairs is None:
        return np.asarray(np.sum(np.where(is_target, missing[:, None, :], 0.0), axis=0))
    strike, facility = pairs
    terms = np.where(is_target[strike, facility], missing[strike], 0.0)  # (P, ·)
    shape = np.broadcast_shapes(is_target.shape[1:], (1, missing.shape[-1]))
    lost = np.zeros(shape)
    np.add.at(lost, facility, terms)
    return lost


def capacity(
    baseline: Array,
    is_open: Array,
    available: Array,
    weight: Array,
    resource_capacity: Array,
) -> Array:
    """Patients each service can serve [patient d-1], ``(F, S, ·)``.

    ``min(C0 · (1 - max_r w_r (1 - a_r)), min_r K_r · a_r)`` on open days:
    ``baseline`` ``C0`` [patient d-1] ``(F, S, ·)``; ``is_open`` ``(F, 1, ·)``;
    ``available`` ``a`` [1] ``(F, R, ·)``; ``weight`` ``w`` [1] ``(F, R, S, ·)``, how
    much a service depends on a resource; ``resource_capacity`` ``K``
    [patient d-1] ``(F, R, S, ·)``, what the whole stock of a resource supports
    (``inf``: it does not limit the service). The scarcest needed resource limits.
    """
    short = 1.0 - available[:, :, None, :]
    limit = 1.0 - np.max(weight * short, axis=1, initial=0.0)
    with np.errstate(invalid="ignore"):
        supported = np.where(
            np.isinf(resource_capacity), np.inf, resource_capacity * available[:, :, None, :]
        )
    throughput = np.min(supported, axis=1, initial=np.inf)
    return np.asarray(np.where(is_open, np.minimum(baseline * limit, throughput), 0.0))


def site_availability(available: Array, share: Array, carried: Array) -> Array:
    """Availability the relocated site works with, ``(F, R, ·)`` [1]: what the
    facility has left of a resource it carries (its staff), else the site's own
    stock over the facility's baseline."""
    return np.asarray(np.where(carried > 0, available, share))


def casualties(
    hit_today: Array, casualty_load: Array, pairs: tuple[Array, Array] | None = None
) -> Array:
    """Casualties today's strikes add to demand [patient d-1], ``(F, S, ·)``.

    ``hit_today`` ``(K, ·)``; ``casualty_load`` [patient] ``(K, F, S, ·)``: each
    strike's casualties at its target, in the service that receives them.
    ``pairs``: add only the (strike, facility) pairs that can be hit, strike
    after strike (the other loads are 0).
    """
    if pairs is None:
        return np.asarray(np.sum(np.where(hit_today[:, None, None, :], casualty_load, 0.0), axis=0))
    strike, facility = pairs
    terms = np.where(hit_today[strike][:, None, :], casualty_load[strike, facility], 0.0)
    added = np.zeros((casualty_load.shape[1], *terms.shape[1:]))
    np.add.at(added, facility, terms)
    return added


def hosted_demand(left_share: Array, destination: Array, baseline_demand: Array) -> Array:
    """Demand of displaced people who settled in each catchment [patient d-1], ``(F, S, ·)``.

    ``H_d = Σ_f dest_fd · (1 - π_f) · D0_f · m_f``: ``left_share`` ``1 - π``
    ``(F, 1, ·)``; ``destination`` ``(F, F_d, ·)``; ``baseline_demand`` (times the
    demand multiplier) ``(F, S, ·)``. People take their needs with them.
    """
    moved = left_share * baseline_demand  # (F, S, ·)
    return np.asarray(np.sum(destination[:, :, None, :] * moved[:, None], axis=0))


def avoidance(
    share: Array, since_strike: Array, fade_curve: tuple[Array, Array, Array, Array]
) -> Array:
    """Share of each facility's own demand that stays away after the attacks,
    ``(F, S, ·)`` [1].

    Each strike ``k`` drives away ``share_kfs`` [1] ``(K, F, S, ·)`` of the demand,
    fading along its curve ``g_k`` (code, T, μ, σ: ``(K, ·)``) of the calendar days
    ``since_strike`` [d] ``(K, ·)`` (negative before it: no effect). Strikes combine as
    independent reasons to stay away, ``1 - Π_k (1 - r_k)``: a repeated attack
    deepens the response, and its own fade lengthens it.
    """
    started = since_strike >= 0
    fading = 1.0 - recovery_fraction(since_strike, *fade_curve)
    staying_away = np.where(started, fading, 0.0)[:, None, None, :] * share
    return np.asarray(1.0 - np.prod(1.0 - staying_away, axis=0))


class LocalService(NamedTuple):
    """What a facility does with its own patients on one day, each ``(F, S, ·)``."""

    served: Array
    """New and waiting patients served [patient d-1]."""
    abandoned: Array
    """Waiting patients who gave up [patient d-1]."""
    backlog: Array
    """Patients waiting at the end of the day [patient]."""
    seeking: Array
    """Patients who seek care elsewhere [patient d-1]."""


def local_service(
    capacity: Array,
    demand: Array,
    reach: Array | float,
    backlog: Array,
    attrition: Array,
    deferrable: Array,
) -> LocalService:
    """Serve new patients first, then the backlog after attrition.

    ``capacity`` and ``demand`` [patient d-1], ``backlog`` [patient] (yesterday's),
    ``attrition`` [d-1], ``deferrable`` [1], ``reach`` [1]: all ``(F, S, ·)``. Of
    the new patients, the share ``reach`` comes to the facility (less than 1 when
    it works from a distant relocated site); the rest seek care elsewhere. Of
    those who come and are not served, the deferrable share waits and the rest
    seek care elsewhere.
    """
    coming = demand * reach
    served_new = np.minimum(capacity, coming)
    abandoned = attrition * backlog
    kept = backlog - abandoned
    served_backlog = np.minimum(capacity - served_new, kept)
    unserved = coming - served_new
    waiting = deferrable * unserved
    seeking = (unserved - waiting) + (demand - coming)
    return LocalService(
        np.asarray(served_new + served_backlog),
        np.asarray(abandoned),
        np.asarray((kept - served_backlog) + waiting),
        np.asarray(seeking),
    )


def closed_for_good_today(gone: Array, attrition: Array, deferrable: Array) -> tuple[Array, Array]:
    """Backlog attrition [d-1] and deferrable share [1] on a day, ``(F, S, ·)``.

    Nobody waits for a facility closed for good (``gone``, ``(F, 1, ·)``): its
    waiting patients all give up and new ones seek care elsewhere or go unmet.
    """
    return np.where(gone, 1.0, attrition), np.where(gone, 0.0, deferrable)


class Accounting(NamedTuple):
    """A day's care against the no-strike world, each ``(F, S, ·)`` [patient d-1]."""

    forgone: Array
    displaced: Array
    waiting_change: Array


def accounting(
    present: Array,
    lost: Array,
    lost_counterfactual: Array,
    received_counterfactual: Array,
    backlog_change: Array,
    backlog_change_counterfactual: Array,
) -> Accounting:
    """Forgone, displaced and waiting care on a day (``docs/model.md``, "Care lost").

    ``present`` ``π`` [1] ``(F, 1, ·)``: share of the baseline population still in
    the catchment. ``lost`` = unmet + abandoned, ``received`` = served anywhere,
    ``backlog_change`` = ``B(t) - B(t-1)``; ``_counterfactual``: the same in the
    no-strike world. Forgone care ``L - π L_cf`` is what the people still there
    lost; displaced care ``(1 - π) R_cf`` is what those who left would have
    received here; ``ΔB - π ΔB_cf`` is the change in waiting beyond the
    no-strike world's. With ``D = π D_cf + added``, every patient lands in one
    term: ``R_cf + added = served + served elsewhere + forgone + displaced +
    waiting change``.
    """
    return Accounting(
        np.asarray(lost - present * lost_counterfactual),
        np.asarray((1.0 - present) * received_counterfactual),
        np.asarray(backlog_change - present * backlog_change_counterfactual),
    )
