"""The simulation kernel: parameter Dataset in, daily flows out. Pure: no I/O.

MODEL.md fixes the equations; ``docs/model.md`` records how they are
implemented. One Python loop runs over days; every other dim (facility,
service, resource, strike, alternative and any ensemble dim such as ``draw``)
is broadcast by numpy.

Array layout inside the loop: ``(*ensemble, facility, service)`` for service
flows, ``(*ensemble, facility, resource)`` for availability. Diversion runs
along one *destination* axis ``D``: the modelled facilities first, then the
external alternatives. Results are stored time-first so each day writes one
contiguous block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from facility_impact.curves import recovery_fraction
from facility_impact.parameters import STRUCTURAL_DIMS

FLOW_VARIABLES = (
    "capacity",
    "demand",
    "served",
    "served_elsewhere",
    "unmet",
    "abandoned",
    "backlog",
    "arrivals",
    "received",
)


def ensemble_dims(params: xr.Dataset) -> tuple[str, ...]:
    """Dims of ``params`` beyond the structural ones: ``scenario`` first, then
    sweep dims in order of first appearance, ``draw`` last (so one draw's days
    of one scenario lie together in memory)."""
    dims: list[str] = []
    for variable in params.data_vars.values():
        dims.extend(d for d in variable.dims if d not in STRUCTURAL_DIMS and d not in dims)
    return tuple(sorted(dims, key=lambda d: (d != "scenario", d == "draw")))


def _aligned(variable: xr.DataArray, order: tuple[str, ...]) -> np.ndarray:
    """``variable`` as a numpy array with axes in ``order``; absent dims get length 1."""
    missing = [d for d in order if d not in variable.dims]
    expanded = variable.expand_dims(missing) if missing else variable
    return np.asarray(expanded.transpose(*order).values, dtype=float)


def _join_destinations(modelled: np.ndarray, external: np.ndarray) -> np.ndarray:
    """Concatenate along the last (destination) axis after broadcasting the leading axes."""
    lead = np.broadcast_shapes(modelled.shape[:-1], external.shape[:-1])
    return np.concatenate(
        [
            np.broadcast_to(modelled, (*lead, modelled.shape[-1])),
            np.broadcast_to(external, (*lead, external.shape[-1])),
        ],
        axis=-1,
    )


def diversion_shares(
    willingness: np.ndarray,
    decay_km: np.ndarray,
    distance_km: np.ndarray,
    attraction: np.ndarray,
) -> np.ndarray:
    """Share of patients seeking care elsewhere who head to each destination.

    ``α_s · exp(-d_j / λ_s) · A_{s,j} / Σ_i A_{s,i}`` (MODEL.md, step 3).

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
    return willingness * decay * weight


@dataclass(frozen=True)
class ModelState:
    """What one day hands to the next, so a run can be split into blocks of days.

    Shapes ``(*E, F, R)`` for the availability terms, ``(*E, F, S)`` for ``backlog``.
    """

    anchor: np.ndarray
    """Availability just after the latest strike on each facility and resource [1]."""
    recovery_start: np.ndarray
    """Day recovery started after that strike (its day plus closure; inf: never struck) [d]."""
    available: np.ndarray
    """Availability at the end of the previous day [1]."""
    backlog: np.ndarray
    """Patients waiting at the end of the previous day [patient]."""


def run_model(params: xr.Dataset) -> dict[str, np.ndarray]:
    """Simulate all days; return time-first numpy arrays keyed by output variable.

    Shapes: flows ``(T, *E, F, S)`` (``received`` and ``arrivals`` included),
    ``available`` ``(T, *E, F, R)``, ``population`` and ``open`` ``(T, *E, F)``,
    ``received_by_alternative`` ``(T, *E, J, S)``, where ``E`` are
    :func:`ensemble_dims`. All flows are in patients per day, except ``backlog``
    (patients waiting at the end of the day).
    """
    return run_days(params)[0]


def run_days(
    params: xr.Dataset,
    start_day: int = 0,
    stop_day: int | None = None,
    state: ModelState | None = None,
) -> tuple[dict[str, np.ndarray], ModelState]:
    """Simulate days ``start_day`` to ``stop_day - 1`` from ``state``.

    ``state`` is what the run of the preceding days returned (``None`` only
    when ``start_day`` is 0). Returns the outputs of these days, shaped as by
    :func:`run_model` with ``stop_day - start_day`` days, and the state after
    the last one. Running ``[0, a)`` then ``[a, T)`` gives the same numbers,
    bit for bit, as running ``[0, T)`` at once.
    """
    ens = ensemble_dims(params)
    stop_day = params.sizes["time"] if stop_day is None else stop_day
    if not 0 <= start_day <= stop_day <= params.sizes["time"]:
        raise ValueError(f"days [{start_day}, {stop_day}) outside [0, {params.sizes['time']})")
    if state is None and start_day > 0:
        raise ValueError("a run that does not start on day 0 needs the state of the day before")
    horizon = stop_day - start_day

    def get(name: str, *structure: str) -> np.ndarray:
        return _aligned(params[name], (*ens, *structure))

    # Facility-service-resource views used each day.
    weight = get("dependency_weight", "facility", "service", "resource")
    capacity0 = get("baseline_capacity", "facility", "service")
    demand0 = capacity0 * get("demand_ratio", "facility", "service")
    deferrable = get("deferrable_share", "facility", "service")
    attrition = get("backlog_attrition", "facility", "service")
    # Ensemble dims precede the time axis of time-varying parameters.
    multiplier = np.moveaxis(get("demand_multiplier", "facility", "service", "time"), -1, 0)

    # Strikes: (K, *E, F, R) damage on each facility; (K, *E, F) target mask.
    strike_day = get("strike_day", "strike")
    strike_day = np.moveaxis(strike_day, -1, 0)[..., None]  # (K, *E, 1)
    closure = np.moveaxis(get("strike_closure_days", "strike"), -1, 0)[..., None]
    target = np.moveaxis(get("strike_target", "strike", "facility"), -2, 0)  # (K, *E, F)
    damage = np.moveaxis(get("strike_damage", "strike", "resource"), -2, 0)  # (K, *E, R)
    is_target = target > 0
    damage_on = target[..., :, None] * damage[..., None, :]  # (K, *E, F, R)
    casualties = np.moveaxis(get("strike_casualties", "strike"), -1, 0)[..., None, None]
    casualty_service = np.moveaxis(get("strike_casualty_service", "strike", "service"), -2, 0)
    casualty_load = casualties * target[..., :, None] * casualty_service[..., None, :]

    # Recovery per facility and resource, (*E, F, R).
    recovery = {
        key: get(name, "facility", "resource")
        for key, name in (
            ("curve_code", "recovery_curve"),
            ("time_days", "recovery_time_days"),
            ("mean_days", "recovery_mean_days"),
            ("sd_days", "recovery_sd_days"),
        )
    }
    recovery_delay = get("recovery_delay_days", "facility", "resource")
    recoverable = get("recoverable_share", "facility", "resource")

    # Population: P(t) = P0 · (1 - share · g(t - start)); broadcast over time at once.
    days = np.arange(start_day, stop_day, dtype=float).reshape((horizon,) + (1,) * (len(ens) + 1))
    population0 = get("population_baseline", "facility")
    displaced = get("displacement_share", "facility") * recovery_fraction(
        days - get("displacement_start_day", "facility"),
        get("displacement_curve", "facility"),
        get("displacement_time_days", "facility"),
        get("displacement_mean_days", "facility"),
        get("displacement_sd_days", "facility"),
    )
    population = population0 * (1.0 - displaced)  # (T, *E, F)
    population_ratio = (population / population0)[..., None]

    # Life span and closure, (T, *E, F). A facility exists from opens_day; from
    # closes_day it is closed for good. open(t) = 0 also while any strike's
    # closure window covers t.
    opened = days >= get("facility_opens_day", "facility")
    closed_for_good = days >= get("facility_closes_day", "facility")
    day_axis = days[..., None]  # (T, 1, *E, 1) against (K, *E, 1)
    struck_closed = (is_target & (day_axis >= strike_day) & (day_axis < strike_day + closure)).any(
        axis=1
    )
    is_open = (opened & ~closed_for_good & ~struck_closed).astype(float)

    # Destinations: every modelled facility, then every alternative (axis D).
    # A sender never heads for itself.
    n_facilities, n_services = params.sizes["facility"], params.sizes["service"]
    distance = _join_destinations(
        get("network_distance_km", "facility", "destination_facility"),
        get("alternative_distance_km", "facility", "alternative"),
    )[..., :, None, :]  # (*E, F, 1, D)
    elsewhere = np.ones((n_facilities, 1, n_facilities + params.sizes["alternative"]))
    elsewhere[np.arange(n_facilities), 0, np.arange(n_facilities)] = 0.0
    alternative_spare = np.swapaxes(
        get("alternative_spare_capacity", "alternative", "service"), -1, -2
    )  # (*E, S, J)
    alternative_attraction = np.swapaxes(
        get("alternative_capacity", "alternative", "service"), -1, -2
    )
    alternative_opens = get("alternative_opens_day", "alternative")[..., None, :]  # (*E, 1, J)
    willingness = get("willingness_to_travel", "facility", "service")[..., None]
    decay_km = get("distance_decay_km", "facility", "service")[..., None]

    ensemble_shape = tuple(params.sizes[d] for d in ens)
    flow_shape = (*ensemble_shape, n_facilities, n_services)
    available_shape = (*ensemble_shape, n_facilities, params.sizes["resource"])
    outputs = {name: np.empty((horizon, *flow_shape)) for name in FLOW_VARIABLES}
    outputs["available"] = np.empty((horizon, *available_shape))
    outputs["received_by_alternative"] = np.empty(
        (horizon, *ensemble_shape, params.sizes["alternative"], n_services)
    )

    # Destination views filled each day: modelled facilities, then alternatives.
    n_destinations = elsewhere.shape[-1]
    attraction = np.zeros((*ensemble_shape, n_services, n_destinations))
    spare = np.zeros_like(attraction)

    if state is None:
        anchor = np.ones(available_shape)  # a^k: availability just after the latest strike
        recovery_start = np.full(available_shape, np.inf)  # t_k + c_k of the latest strike
        available_previous = np.ones(available_shape)
        backlog = np.zeros(flow_shape)
    else:
        anchor, recovery_start = state.anchor, state.recovery_start
        available_previous, backlog = state.available, state.backlog

    for i, t in enumerate(range(start_day, stop_day)):
        # Availability (MODEL.md): a strike on day t multiplies what was left
        # yesterday; recovery then runs from the end of its closure.
        hit_today = strike_day == t  # (K, *E, 1)
        hit_target = hit_today & is_target  # (K, *E, F)
        hit_facility = hit_target.any(axis=0)[..., None]  # (*E, F, 1)
        survival = np.prod(1.0 - np.where(hit_today[..., None], damage_on, 0.0), axis=0)
        restart = np.max(
            np.where(hit_target, strike_day + closure, -np.inf),
            axis=0,
            initial=-np.inf,
        )[..., None]
        anchor = np.where(hit_facility, available_previous * survival, anchor)
        recovery_start = np.where(hit_facility, restart, recovery_start)
        restored = recovery_fraction(
            t - recovery_start - recovery_delay,
            recovery["curve_code"],
            recovery["time_days"],
            recovery["mean_days"],
            recovery["sd_days"],
        )
        available = anchor + recoverable * (1.0 - anchor) * restored
        outputs["available"][i] = available
        available_previous = available

        # Capacity: the scarcest needed resource limits each service.
        limit = np.min(1.0 - weight * (1.0 - available[..., :, None, :]), axis=-1, initial=1.0)
        open_today = is_open[i][..., None]  # (*E, F, 1)
        capacity = capacity0 * open_today * limit

        # Before it opens a facility has no patients of its own.
        demand = (
            demand0 * population_ratio[i] * multiplier[t]
            + np.sum(np.where(hit_today[..., None], casualty_load, 0.0), axis=0)
        ) * opened[i][..., None]
        # Nobody waits for a facility closed for good: its waiting patients give
        # up on the closing day and new ones seek care elsewhere or go unmet.
        gone = closed_for_good[i][..., None]
        attrition_today = np.where(gone, 1.0, attrition)
        deferrable_today = np.where(gone, 0.0, deferrable)

        # Local service: new patients first, then the backlog after attrition.
        served_new = np.minimum(capacity, demand)
        abandoned = attrition_today * backlog
        backlog_kept = backlog - abandoned
        served_backlog = np.minimum(capacity - served_new, backlog_kept)
        served = served_new + served_backlog
        unserved_new = demand - served_new
        waiting = deferrable_today * unserved_new
        seeking = unserved_new - waiting

        # Diversion, one hop. Patients head for open destinations only, weighted
        # by baseline capacity; each destination serves what arrives from all
        # senders pro rata, up to its spare capacity after its own patients.
        alternative_open = t >= alternative_opens
        attraction[..., :n_facilities] = np.swapaxes(capacity0 * open_today, -1, -2)
        attraction[..., n_facilities:] = np.where(alternative_open, alternative_attraction, 0.0)
        shares = diversion_shares(
            willingness, decay_km, distance, attraction[..., None, :, :] * elsewhere
        )
        heading = seeking[..., None] * shares  # (*E, F, S, D)
        arriving = heading.sum(axis=-3)  # (*E, S, D)
        spare[..., :n_facilities] = np.swapaxes(np.maximum(capacity - served, 0.0), -1, -2)
        spare[..., n_facilities:] = np.where(alternative_open, alternative_spare, 0.0)
        absorbed = np.minimum(arriving, spare)
        with np.errstate(divide="ignore", invalid="ignore"):
            absorbed_share = np.where(arriving > 0, absorbed / arriving, 0.0)
        served_elsewhere = np.sum(heading * absorbed_share[..., None, :, :], axis=-1)

        backlog = backlog_kept - served_backlog + waiting
        outputs["capacity"][i] = capacity
        outputs["demand"][i] = demand
        outputs["served"][i] = served
        outputs["served_elsewhere"][i] = served_elsewhere
        outputs["unmet"][i] = seeking - served_elsewhere
        outputs["abandoned"][i] = abandoned
        outputs["backlog"][i] = backlog
        outputs["arrivals"][i] = np.swapaxes(arriving[..., :n_facilities], -1, -2)
        outputs["received"][i] = np.swapaxes(absorbed[..., :n_facilities], -1, -2)
        outputs["received_by_alternative"][i] = np.swapaxes(absorbed[..., n_facilities:], -1, -2)

    outputs["population"] = np.broadcast_to(population, (horizon, *flow_shape[:-1])).copy()
    outputs["open"] = np.broadcast_to(is_open, (horizon, *flow_shape[:-1])).copy()
    return outputs, ModelState(anchor, recovery_start, available_previous, backlog)
