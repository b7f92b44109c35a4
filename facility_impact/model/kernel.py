"""The simulation kernel: parameter Dataset in, daily flows out. Pure: no I/O.

MODEL.md fixes the equations; ``docs/model.md`` records how they are
implemented. One Python loop runs over days; every other dim (facility,
service, resource, strike, alternative and any ensemble dim such as ``draw``)
is broadcast by numpy.

Array layout inside the loop: structure first, ensemble points last, all
ensemble dims flattened into one axis ``N`` and simulated in blocks of
:data:`POINTS_PER_BLOCK` points: ``(facility, service, n)`` for service flows,
``(facility, resource, n)`` for availability. Diversion runs along one
*destination* axis ``D`` (leading): the modelled facilities first, then the
external alternatives. Results are stored ``(time, <structure>, N)``, so each
day of a block writes contiguous rows; :func:`run_model` returns them as
``(time, *ensemble, <structure>)`` views. Speed and the choices behind this
layout: ``docs/performance.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import xarray as xr

from facility_impact import curves
from facility_impact.curves import CURVE_CODES, recovery_fraction
from facility_impact.variables import ensemble_dims

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


DEFAULT_DTYPE = np.float64
"""Precision of the kernel's work arrays and outputs when neither the caller nor the
parameters (``results_dtype``, from ``run.precision``) say otherwise."""

_WRITTEN_PER_WINDOW = ("capacity", "demand", "available", "population", "open")
_WRITTEN_DAILY = tuple(
    name for name in (*FLOW_VARIABLES, "received_by_alternative") if name not in _WRITTEN_PER_WINDOW
)
"""Outputs the day loop writes one day at a time (the others, a window of days at once)."""

WINDOW_DAYS = 16
"""Days whose availability, capacity and demand are computed in one step (within a
window no strike happens). Longer windows cost more memory per block of points."""

POINTS_PER_BLOCK = 8192
"""Ensemble points simulated together. A day's work arrays for this many points
(8192 × facilities × services values, 32 KiB a service in float32) stay in a
core's cache, so each day's arithmetic runs from cache and only the outputs
travel to memory; fewer, larger blocks cost less Python per point (measured:
``benchmarks/memory_floor.py --block-points``)."""


@dataclass(frozen=True)
class ModelState:
    """What one day hands to the next, so a run can be split into blocks of days.

    The arrays are the kernel's own layout, ensemble points flattened into the
    last axis ``N``: ``(F, R, N)`` for the availability terms, ``(F, S, N)``
    for ``backlog``. Pass the state back to :func:`run_days` unchanged.
    """

    anchor: np.ndarray
    """Availability just after the latest strike on each facility and resource [1]."""
    recovery_start: np.ndarray
    """Day recovery started after that strike (its day plus closure; inf: never struck) [d]."""
    available: np.ndarray
    """Availability at the end of the previous day [1]."""
    backlog: np.ndarray
    """Patients waiting at the end of the previous day [patient]."""


def run_model(
    params: xr.Dataset,
    *,
    dtype: npt.DTypeLike | None = None,
    points_per_block: int = POINTS_PER_BLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Simulate all days; return time-first numpy arrays keyed by output variable.

    Shapes: flows ``(T, *E, F, S)`` (``received`` and ``arrivals`` included),
    ``available`` ``(T, *E, F, R)``, ``population`` and ``open`` ``(T, *E, F)``,
    ``received_by_alternative`` ``(T, *E, J, S)``, where ``E`` are
    :func:`ensemble_dims`. All flows are in patients per day, except ``backlog``
    (patients waiting at the end of the day). The arrays are views of storage
    laid out ``(T, <structure>, *E)``: one day of one structural cell holds every
    ensemble point together. ``dtype`` is float64 or float32.
    """
    return run_days(params, dtype=dtype, points_per_block=points_per_block, progress=progress)[0]


def results_dtype(params: xr.Dataset) -> np.dtype:
    """The type of the kernel's outputs for ``params``: their ``results_dtype``
    attribute (``run.precision``), else :data:`DEFAULT_DTYPE`. Every output has it."""
    return np.dtype(params.attrs.get("results_dtype", DEFAULT_DTYPE))


def _flatten(array: np.ndarray, n_structure: int, ensemble_shape: tuple[int, ...]) -> np.ndarray:
    """``(*structure, *ensemble)`` → ``(*structure, N)``, or ``(*structure, 1)`` when the
    array does not vary over the ensemble (then it is broadcast, never copied)."""
    structure = array.shape[:n_structure]
    if all(size == 1 for size in array.shape[n_structure:]):
        return array.reshape(*structure, 1)
    full = np.broadcast_to(array, (*structure, *ensemble_shape))
    return full.reshape(*structure, math.prod(ensemble_shape))


def run_days(
    params: xr.Dataset,
    start_day: int = 0,
    stop_day: int | None = None,
    state: ModelState | None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    points_per_block: int = POINTS_PER_BLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], ModelState]:
    """Simulate days ``start_day`` to ``stop_day - 1`` from ``state``.

    ``state`` is what the run of the preceding days returned (``None`` only
    when ``start_day`` is 0). Returns the outputs of these days, shaped as by
    :func:`run_model` with ``stop_day - start_day`` days, and the state after
    the last one. Running ``[0, a)`` then ``[a, T)`` gives the same numbers,
    bit for bit, as running ``[0, T)`` at once, and so does any
    ``points_per_block``: every ensemble point is computed by the same
    operations whatever else is simulated beside it. ``progress(done, total)``,
    if given, is called after each day with the days simulated so far.
    """
    ens = ensemble_dims(params)
    stop_day = params.sizes["time"] if stop_day is None else stop_day
    if not 0 <= start_day <= stop_day <= params.sizes["time"]:
        raise ValueError(f"days [{start_day}, {stop_day}) outside [0, {params.sizes['time']})")
    if state is None and start_day > 0:
        raise ValueError("a run that does not start on day 0 needs the state of the day before")
    dtype = results_dtype(params) if dtype is None else np.dtype(dtype)
    ensemble_shape = tuple(params.sizes[d] for d in ens)
    n_points = math.prod(ensemble_shape)
    n_days = stop_day - start_day
    n_facilities, n_services = params.sizes["facility"], params.sizes["service"]
    n_resources, n_alternatives = params.sizes["resource"], params.sizes["alternative"]

    def get(name: str, *structure: str) -> np.ndarray:
        aligned = _aligned(params[name], (*structure, *ens))
        return _flatten(aligned, len(structure), ensemble_shape)

    inputs = _KernelInputs(
        weight=get("dependency_weight", "facility", "resource", "service"),
        capacity0=get("baseline_capacity", "facility", "service"),
        demand_ratio=get("demand_ratio", "facility", "service"),
        deferrable=get("deferrable_share", "facility", "service"),
        attrition=get("backlog_attrition", "facility", "service"),
        multiplier=get("demand_multiplier", "time", "facility", "service"),
        strike_day=get("strike_day", "strike"),
        closure=get("strike_closure_days", "strike"),
        target=get("strike_target", "strike", "facility"),
        damage=get("strike_damage", "strike", "resource"),
        casualties=get("strike_casualties", "strike"),
        casualty_service=get("strike_casualty_service", "strike", "service"),
        curve_code=get("recovery_curve", "facility", "resource"),
        time_days=get("recovery_time_days", "facility", "resource"),
        mean_days=get("recovery_mean_days", "facility", "resource"),
        sd_days=get("recovery_sd_days", "facility", "resource"),
        delay=get("recovery_delay_days", "facility", "resource"),
        recoverable=get("recoverable_share", "facility", "resource"),
        population0=get("population_baseline", "facility"),
        displacement=tuple(
            get(name, "facility")
            for name in (
                "displacement_share",
                "displacement_start_day",
                "displacement_curve",
                "displacement_time_days",
                "displacement_mean_days",
                "displacement_sd_days",
            )
        ),
        opens_day=get("facility_opens_day", "facility"),
        closes_day=get("facility_closes_day", "facility"),
        network_distance=get("network_distance_km", "facility", "destination_facility"),
        alternative_distance=get("alternative_distance_km", "facility", "alternative"),
        alternative_spare=get("alternative_spare_capacity", "alternative", "service"),
        alternative_capacity=get("alternative_capacity", "alternative", "service"),
        alternative_opens=get("alternative_opens_day", "alternative"),
        willingness=get("willingness_to_travel", "facility", "service"),
        decay_km=get("distance_decay_km", "facility", "service"),
    )

    flow = (n_days, n_facilities, n_services, n_points)
    shapes = dict.fromkeys(FLOW_VARIABLES, flow)
    shapes["available"] = (n_days, n_facilities, n_resources, n_points)
    shapes["population"] = shapes["open"] = (n_days, n_facilities, n_points)
    shapes["received_by_alternative"] = (n_days, n_alternatives, n_services, n_points)
    storage = {name: _touched(shape, dtype) for name, shape in shapes.items()}
    if state is None:
        state = ModelState(
            anchor=np.ones((n_facilities, n_resources, n_points), dtype),
            recovery_start=np.full((n_facilities, n_resources, n_points), np.inf),
            available=np.ones((n_facilities, n_resources, n_points), dtype),
            backlog=np.zeros((n_facilities, n_services, n_points), dtype),
        )
    blocks = []
    for first in range(0, n_points, max(1, points_per_block)):
        points = slice(first, min(first + points_per_block, n_points))
        block_state = ModelState(*(array[..., points] for array in _state_arrays(state)))
        blocks.append(_run_block(inputs, points, start_day, stop_day, block_state, storage, dtype))
    # Day by day across the blocks, so that the outputs fill memory in order:
    # freshly allocated pages written block by block cost several times more.
    for done in range(1, n_days + 1):
        _advance(blocks)
        if progress is not None:
            progress(done, n_days)
    pieces = [_finish(block) for block in blocks]
    final = ModelState(
        *(np.concatenate(parts, axis=-1) for parts in zip(*map(_state_arrays, pieces), strict=True))
    )

    def labelled(array: np.ndarray) -> np.ndarray:
        # (T, *structure, N) storage seen as (T, *E, *structure), without a copy.
        n_structure = array.ndim - 2
        unflat = array.reshape(*array.shape[:-1], *ensemble_shape)
        return np.moveaxis(
            unflat,
            list(range(1, 1 + n_structure)),
            list(range(unflat.ndim - n_structure, unflat.ndim)),
        )

    outputs = {name: labelled(array) for name, array in storage.items()}
    return outputs, final


def _touched(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A new array whose memory has been written once, front to back.

    The kernel fills its outputs a day of a block of points at a time; on
    fresh pages every such write pays the operating system's first-touch
    page fault, which costs several times the write itself on this kind of
    machine (measured in ``benchmarks/memory_floor.py``). One sequential pass
    first costs what writing the result once costs: the floor.
    """
    array = np.empty(shape, dtype)
    array.fill(0)
    return array


def _state_arrays(state: ModelState) -> tuple[np.ndarray, ...]:
    return (state.anchor, state.recovery_start, state.available, state.backlog)


@dataclass(frozen=True)
class _KernelInputs:
    """Parameters in the kernel's layout: structure first, ensemble points last (``N`` or 1)."""

    weight: np.ndarray  # (F, R, S, ·)
    capacity0: np.ndarray  # (F, S, ·)
    demand_ratio: np.ndarray
    deferrable: np.ndarray
    attrition: np.ndarray
    multiplier: np.ndarray  # (T, F, S, ·)
    strike_day: np.ndarray  # (K, ·)
    closure: np.ndarray  # (K, ·)
    target: np.ndarray  # (K, F, ·)
    damage: np.ndarray  # (K, R, ·)
    casualties: np.ndarray  # (K, ·)
    casualty_service: np.ndarray  # (K, S, ·)
    curve_code: np.ndarray  # (F, R, ·)
    time_days: np.ndarray
    mean_days: np.ndarray
    sd_days: np.ndarray
    delay: np.ndarray
    recoverable: np.ndarray
    population0: np.ndarray  # (F, ·)
    displacement: tuple[np.ndarray, ...]  # share, start, curve, time, mean, sd; each (F, ·)
    opens_day: np.ndarray  # (F, ·)
    closes_day: np.ndarray
    network_distance: np.ndarray  # (F, F, ·)
    alternative_distance: np.ndarray  # (F, J, ·)
    alternative_spare: np.ndarray  # (J, S, ·)
    alternative_capacity: np.ndarray  # (J, S, ·)
    alternative_opens: np.ndarray  # (J, ·)
    willingness: np.ndarray  # (F, S, ·)
    decay_km: np.ndarray  # (F, S, ·)

    def block(self, points: slice) -> _KernelInputs:
        """The inputs of the ensemble points ``points`` (arrays of length 1 stay broadcast)."""

        def cut(array):
            if isinstance(array, tuple):
                return tuple(cut(a) for a in array)
            return array[..., points] if array.shape[-1] > 1 else array

        return _KernelInputs(**{name: cut(value) for name, value in vars(self).items()})


def _advance(blocks: list[Iterator[None]]) -> None:
    """Run one day of every block."""
    for block in blocks:
        next(block)


def _finish(block: Iterator[None]) -> ModelState:
    """The state a block's generator returns after its last day."""
    try:
        next(block)
    except StopIteration as done:
        return done.value
    raise RuntimeError("a block of the kernel ran past its last day")


def _run_block(
    inputs: _KernelInputs,
    points: slice,
    start_day: int,
    stop_day: int,
    state: ModelState,
    storage: dict[str, np.ndarray],
    dtype: np.dtype,
) -> Generator[None, None, ModelState]:
    """Simulate the ensemble points ``points`` over days ``[start_day, stop_day)``.

    A generator that simulates one day per step, writing into
    ``storage[name][i, ..., points]``; it returns the state after the last
    day. What does not depend on yesterday (population, open days, the
    diversion shares) is prepared for all days at once; each step holds the
    recursion: availability after strikes, then capacity, service, the
    backlog and what other destinations absorb.
    """
    p = inputs.block(points)
    n_days = stop_day - start_day
    n_facilities = p.capacity0.shape[0]
    days = np.arange(start_day, stop_day, dtype=float)[:, None, None]  # (T, 1, 1)

    def cast(array: np.ndarray) -> np.ndarray:
        return np.asarray(array, dtype=dtype)

    # Population P(t) = P0 · (1 - share · g(t - start)), (T, F, ·).
    share, start, curve, time_days, mean_days, sd_days = p.displacement
    displaced = share * recovery_fraction(days - start, curve, time_days, mean_days, sd_days)
    population = cast(p.population0 * (1.0 - displaced))
    population_ratio = cast(population / p.population0)

    # Open days, (T, F, ·): a facility exists from opens_day; from closes_day it
    # is closed for good; it is also closed while a strike's closure covers t.
    opened = days >= p.opens_day
    closed_for_good = days >= p.closes_day
    is_target = p.target > 0  # (K, F, ·)
    strike_end = p.strike_day + p.closure  # (K, ·)
    strike_window = (days[:, None] >= p.strike_day[None, :, None]) & (
        days[:, None] < strike_end[None, :, None]
    )  # (T, K, 1, ·)
    struck_closed = (strike_window & is_target[None]).any(axis=1)
    is_open = opened & ~closed_for_good & ~struck_closed  # (T, F, ·)
    open_fraction = cast(is_open)

    # Strikes happen on few days: the day loop handles only those.
    day_of_strike, strikes_anyone = np.broadcast_arrays(p.strike_day, is_target.any(axis=1))
    struck_days = day_of_strike[strikes_anyone]
    strike_days = {
        int(day)
        for day in np.unique(struck_days)
        if day == int(day) and start_day <= day < stop_day
    }
    damage_on = p.target[:, :, None, :] * p.damage[:, None, :, :]  # (K, F, R, ·)
    casualty_load = (p.casualties[:, None, None, :] * p.target[:, :, None, :]) * p.casualty_service[
        :, None, :, :
    ]  # (K, F, S, ·)

    # Demand, (T, F, S, ·): the catchment's own patients, plus casualties on strike
    # days; none before the facility opens.
    demand0 = cast(p.capacity0 * p.demand_ratio)
    multiplier = cast(p.multiplier)
    opened_fraction = cast(opened)

    # Nobody waits for a facility closed for good: its waiting patients give up
    # on the closing day and new ones seek care elsewhere or go unmet.
    closing = bool(closed_for_good.any())
    attrition, deferrable = cast(p.attrition), cast(p.deferrable)

    # Diversion along destinations D: the modelled facilities, then the
    # alternatives. The shares change only when a facility or an alternative
    # opens or closes, so they are recomputed on those days only.
    alternative_open = days >= p.alternative_opens  # (T, J, ·)
    # A sender never heads for itself, so a lone facility's own opening and
    # closing leave its shares as they are.
    changes = np.any(alternative_open[1:] != alternative_open[:-1], axis=(1, 2))
    if n_facilities > 1:
        changes |= np.any(is_open[1:] != is_open[:-1], axis=(1, 2))
    share_days = {0, *(np.flatnonzero(changes) + 1).tolist()}
    distance = np.concatenate(
        _broadcast_last(p.network_distance, p.alternative_distance), axis=1
    )  # (F, D, ·)
    n_destinations = distance.shape[1]
    elsewhere = np.ones((n_facilities, 1, n_destinations))
    elsewhere[np.arange(n_facilities), 0, np.arange(n_facilities)] = 0.0

    def shares_on(day: int) -> tuple[np.ndarray, np.ndarray]:
        """Diversion shares ``(D, F, S, ·)`` and the alternatives' spare ``(J, S, ·)``."""
        open_alternative = alternative_open[day][:, None, :]  # (J, 1, ·)
        attraction = np.concatenate(
            _broadcast_last(
                p.capacity0 * open_fraction[day][:, None, :],
                np.where(open_alternative, p.alternative_capacity, 0.0),
            ),
            axis=0,
        )  # (D, S, ·)
        shares = diversion_shares(
            np.transpose(p.willingness, (2, 0, 1))[..., None],
            np.transpose(p.decay_km, (2, 0, 1))[..., None],
            np.transpose(distance, (2, 0, 1))[:, :, None, :],
            np.transpose(attraction, (2, 1, 0))[:, None, :, :] * elsewhere,
        )  # (·, F, S, D)
        spare = np.where(open_alternative, p.alternative_spare, 0.0)
        return cast(np.ascontiguousarray(np.transpose(shares, (3, 1, 2, 0)))), cast(spare)

    capacity0 = cast(p.capacity0)
    weight = cast(p.weight)  # (F, R, S, ·)
    recoverable = cast(p.recoverable)
    restoration = _Restoration(p.curve_code, p.time_days, p.mean_days, p.sd_days)
    anchor, recovery_start = state.anchor.copy(), state.recovery_start.copy()
    available, backlog = state.available.copy(), state.backlog.copy()
    recovering = bool(np.isfinite(recovery_start).any())
    shares = None
    # Spare capacity of every destination, (D, S, n): the modelled facilities'
    # is refreshed each day, the alternatives' when their opening changes.
    spare = np.empty((n_destinations, capacity0.shape[1], points.stop - points.start), dtype)
    heading_buffer = np.empty((n_destinations, *capacity0.shape[:2], spare.shape[-1]), dtype)
    arriving_buffer = np.empty_like(spare)
    absorbed_buffer = np.empty_like(spare)
    # Windows of days end before each strike: inside one, availability, capacity
    # and demand do not depend on yesterday, so they are computed for the whole
    # window at once and the day loop keeps only what does.
    window_ends = sorted({n_days, *(day - start_day for day in strike_days if day > start_day)})
    window_first = window_stop = 0

    for i in range(n_days):
        t = start_day + i
        if i == window_stop:
            if t in strike_days:
                # Availability (MODEL.md): a strike on day t multiplies what was
                # left yesterday; recovery then runs from the end of its closure.
                hit_today = p.strike_day == t  # (K, ·)
                hit_target = hit_today[:, None, :] & is_target  # (K, F, ·)
                hit_facility = hit_target.any(axis=0)[:, None, :]  # (F, 1, ·)
                survival = np.prod(
                    1.0 - np.where(hit_today[:, None, None, :], damage_on, 0.0), axis=0
                )
                restart = np.max(
                    np.where(hit_target, strike_end[:, None, :], -np.inf), axis=0, initial=-np.inf
                )[:, None, :]
                anchor = np.where(hit_facility, available * cast(survival), anchor)
                recovery_start = np.where(hit_facility, restart, recovery_start)
                recovering = True
            window_first = i
            window_stop = min(i + WINDOW_DAYS, next(end for end in window_ends if end > i))
            window = slice(window_first, window_stop)
            if recovering:
                tau = days[window][..., None] - recovery_start - p.delay  # (W, F, R, n)
                window_available = anchor + recoverable * (1.0 - anchor) * cast(restoration(tau))
            else:
                window_available = np.broadcast_to(anchor, (window_stop - i, *anchor.shape))
            available = window_available[-1]

            # Capacity: the scarcest needed resource limits each service,
            # min_r (1 - w (1 - a_r)) = 1 - max_r (w (1 - a_r)).
            loss = 1.0 - window_available  # (W, F, R, n)
            limit = 1.0 - np.max(weight * loss[:, :, :, None, :], axis=2, initial=0.0)
            window_capacity = capacity0 * open_fraction[window][:, :, None, :] * limit
            # Demand: the catchment's own patients, plus casualties on a strike
            # day; none before the facility opens.
            window_demand = (
                demand0
                * population_ratio[window][:, :, None, :]
                * multiplier[start_day + window_first : start_day + window_stop]
            )
            if t in strike_days:
                window_demand = np.broadcast_to(
                    window_demand, (*window_demand.shape[:-1], window_capacity.shape[-1])
                ).copy()
                window_demand[0] += cast(
                    np.sum(np.where(hit_today[:, None, None, :], casualty_load, 0.0), axis=0)
                )
            window_demand = window_demand * opened_fraction[window][:, :, None, :]
            storage["available"][window, ..., points] = window_available
            storage["capacity"][window, ..., points] = window_capacity
            storage["demand"][window, ..., points] = window_demand
            storage["population"][window, ..., points] = population[window]
            storage["open"][window, ..., points] = open_fraction[window]

        capacity = window_capacity[i - window_first]
        demand_today = window_demand[i - window_first]
        if closing:
            gone = closed_for_good[i][:, None, :]
            attrition_today = np.where(gone, 1.0, attrition).astype(dtype)
            deferrable_today = np.where(gone, 0.0, deferrable).astype(dtype)
        else:
            attrition_today, deferrable_today = attrition, deferrable

        # Today's slices of the outputs: results are computed straight into them.
        out = {name: storage[name][i, ..., points] for name in _WRITTEN_DAILY}

        # Local service: new patients first, then the backlog after attrition.
        served_new = np.minimum(capacity, demand_today)
        abandoned = np.multiply(attrition_today, backlog, out=out["abandoned"])
        backlog_kept = backlog - abandoned
        served_backlog = np.minimum(capacity - served_new, backlog_kept)
        served = np.add(served_new, served_backlog, out=out["served"])
        unserved_new = demand_today - served_new
        waiting = deferrable_today * unserved_new
        seeking = unserved_new - waiting

        # Diversion, one hop: each destination serves what arrives from all
        # senders pro rata, up to its spare capacity after its own patients.
        if i in share_days:
            shares, spare[n_facilities:] = shares_on(i)
        heading = np.multiply(shares, seeking, out=heading_buffer)  # (D, F, S, n)
        arriving = np.sum(heading, axis=1, out=arriving_buffer)  # (D, S, n)
        np.subtract(capacity, served, out=spare[:n_facilities])
        np.maximum(spare[:n_facilities], 0.0, out=spare[:n_facilities])
        absorbed = np.minimum(arriving, spare, out=absorbed_buffer)
        absorbed_share = np.divide(
            absorbed, arriving, out=np.zeros_like(absorbed), where=arriving > 0
        )
        served_elsewhere = np.sum(
            np.multiply(heading, absorbed_share[:, None], out=heading),
            axis=0,
            out=out["served_elsewhere"],
        )
        np.subtract(seeking, served_elsewhere, out=out["unmet"])
        backlog = np.add(backlog_kept - served_backlog, waiting, out=out["backlog"])
        out["arrivals"][...] = arriving[:n_facilities]
        out["received"][...] = absorbed[:n_facilities]
        out["received_by_alternative"][...] = absorbed[n_facilities:]
        yield

    return ModelState(anchor, recovery_start, available.copy(), backlog.copy())


def _broadcast_last(*arrays: np.ndarray) -> list[np.ndarray]:
    """Broadcast the last (ensemble) axis of each array to the longest, keeping the others."""
    length = max(array.shape[-1] for array in arrays)
    return [np.broadcast_to(a, (*a.shape[:-1], length)) for a in arrays]


_FAMILY_FUNCTIONS = MappingProxyType(
    {
        CURVE_CODES["step"]: lambda tau, time, mean, sd: curves.step(tau, time),
        CURVE_CODES["linear"]: lambda tau, time, mean, sd: curves.linear(tau, time),
        CURVE_CODES["exponential"]: lambda tau, time, mean, sd: curves.exponential(tau, time),
        CURVE_CODES["normal"]: lambda tau, time, mean, sd: curves.normal(tau, mean, sd),
    }
)
"""Each recovery curve family's function, by family code, with one signature."""


class _Restoration:
    """``g(τ)`` of every facility and resource, evaluated family by family.

    Same values as :func:`facility_impact.curves.recovery_fraction`. When the
    family of each (facility, resource) is the same for every ensemble point
    (the usual case: distributions vary the times, not the family), each
    family's function runs on its own cells only, which is what the day loop
    can afford to do every day.
    """

    def __init__(
        self, code: np.ndarray, time_days: np.ndarray, mean_days: np.ndarray, sd_days: np.ndarray
    ) -> None:
        self._arguments = (code, time_days, mean_days, sd_days)
        self._groups = None
        if code.shape[-1] == 1:
            self._groups = []
            for family, evaluate in _FAMILY_FUNCTIONS.items():
                cells = np.nonzero(code[..., 0] == family)
                if cells[0].size:
                    self._groups.append(
                        (cells, evaluate, time_days[cells], mean_days[cells], sd_days[cells])
                    )

    def __call__(self, tau_days: np.ndarray) -> np.ndarray:
        """``g`` at ``tau_days`` [d], shape ``(..., F, R, n)``."""
        if self._groups is None:
            return recovery_fraction(tau_days, *self._arguments)
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
