"""The simulation kernel: parameter Dataset in, daily flows out. Pure: no I/O.

``docs/model.md`` gives the equations and how they are implemented. One
Python loop runs over days, calling the steps of :mod:`facility_impact.model.steps`;
every other dim (facility, service, resource, strike, alternative and any
ensemble dim such as ``draw``) is broadcast by numpy. The kernel reads the
parameters it declares in :data:`~facility_impact.model.inputs.KERNEL_INPUTS`
and writes the variables of :data:`~facility_impact.model.outputs.KERNEL_LAYOUT`.

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
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from facility_impact.model.block import Block, DayState
from facility_impact.model.destinations import destination_tables
from facility_impact.model.inputs import KERNEL_INPUTS, KernelInputs
from facility_impact.model.outputs import KERNEL_LAYOUT
from facility_impact.variables import ensemble_dims

Array = npt.NDArray[Any]

DEFAULT_DTYPE = np.float64
"""Precision of the kernel's work arrays and outputs when neither the caller nor the
parameters (``results_dtype``, from ``run.precision``) say otherwise."""

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
    last axis ``N`` (see :class:`~facility_impact.model.block.DayState` for each
    field's meaning). Pass the state back to :func:`run_days` unchanged.
    """

    resource_losses: Array
    staff_losses: Array
    clock_at_strike: Array
    clock: Array
    backlog: Array
    backlog_counterfactual: Array

    def arrays(self) -> tuple[Array, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


def run_model(
    params: xr.Dataset,
    *,
    dtype: npt.DTypeLike | None = None,
    points_per_block: int = POINTS_PER_BLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Array]:
    """Simulate all days; return time-first numpy arrays keyed by output variable.

    Shapes: flows ``(T, *E, F, S)`` (``received`` and ``arrivals`` included),
    ``available`` ``(T, *E, F, R)``, ``population`` and ``is_open`` ``(T, *E, F)``,
    ``received_by_alternative`` ``(T, *E, J, S)``, where ``E`` are
    :func:`ensemble_dims`. All flows are in patients per day, except ``backlog``
    (patients waiting at the end of the day). The arrays are views of storage
    laid out ``(T, <structure>, *E)``: one day of one structural cell holds every
    ensemble point together. ``dtype`` is float64 or float32.
    """
    return run_days(params, dtype=dtype, points_per_block=points_per_block, progress=progress)[0]


def results_dtype(params: xr.Dataset) -> np.dtype[Any]:
    """The type of the kernel's outputs for ``params``: their ``results_dtype``
    attribute (``run.precision``), else :data:`DEFAULT_DTYPE`. Every output has it."""
    dtype: np.dtype[Any] = np.dtype(params.attrs.get("results_dtype", DEFAULT_DTYPE))
    return dtype


def _aligned(variable: xr.DataArray, order: tuple[str, ...]) -> Array:
    """``variable`` as a numpy array with axes in ``order``; absent dims get length 1."""
    missing = [d for d in order if d not in variable.dims]
    expanded = variable.expand_dims(missing) if missing else variable
    return np.asarray(expanded.transpose(*order).values, dtype=float)


def _flatten(array: Array, n_structure: int, ensemble_shape: tuple[int, ...]) -> Array:
    """``(*structure, *ensemble)`` → ``(*structure, N)``, or ``(*structure, 1)`` when the
    array does not vary over the ensemble (then it is broadcast, never copied)."""
    structure = array.shape[:n_structure]
    if all(size == 1 for size in array.shape[n_structure:]):
        return array.reshape(*structure, 1)
    full = np.broadcast_to(array, (*structure, *ensemble_shape))
    return full.reshape(*structure, math.prod(ensemble_shape))


DERIVED = ("destination_index", "destination_distance_km")
"""Inputs :func:`kernel_inputs` derives afresh from the distances, reach and decay
(:mod:`facility_impact.model.destinations`), so that a Dataset whose distances
were edited after building (a sweep, a test) still runs on tables that match."""


def kernel_inputs(params: xr.Dataset) -> KernelInputs:
    """The parameters the kernel declares, in its layout: structure, then all points."""
    ens = ensemble_dims(params)
    ensemble_shape = tuple(params.sizes[d] for d in ens)

    def laid(name: str, dims: tuple[str, ...]) -> Array:
        return _flatten(_aligned(params[name], (*dims, *ens)), len(dims), ensemble_shape)

    inputs = {name: laid(name, dims) for name, dims in KERNEL_INPUTS.items() if name not in DERIVED}
    network = laid("network_distance_km", ("facility", "destination_facility"))
    alternative = laid("alternative_distance_km", ("facility", "alternative"))
    points = max(network.shape[-1], alternative.shape[-1])
    distance = np.concatenate(
        [np.broadcast_to(a, (*a.shape[:-1], points)) for a in (network, alternative)], axis=1
    )
    tables = destination_tables(distance, inputs["reach_km"], inputs["distance_decay_km"])
    inputs["destination_index"] = tables.destination_index[:, :, None]
    inputs["destination_distance_km"] = tables.destination_distance_km
    return KernelInputs(**inputs)


def _touched(shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
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


def _storage(
    params: xr.Dataset, n_days: int, n_points: int, dtype: np.dtype[Any]
) -> dict[str, Array]:
    """The outputs' storage, ``(days, <structure>, N)`` each (structure from the registry)."""
    return {
        name: _touched((n_days, *(params.sizes[d] for d in structure), n_points), dtype)
        for name, (_, structure) in KERNEL_LAYOUT.items()
    }


def _initial_state(params: xr.Dataset, n_points: int, dtype: np.dtype[Any]) -> ModelState:
    """Before day 0: nothing struck, no day open yet, nobody waiting."""
    n_strikes, n_facilities = params.sizes["strike"], params.sizes["facility"]
    services = (n_facilities, params.sizes["service"], n_points)
    return ModelState(
        resource_losses=np.zeros((n_strikes, n_facilities, params.sizes["resource"], n_points)),
        staff_losses=np.zeros((n_strikes, params.sizes["fate"], n_points)),
        clock_at_strike=np.zeros((n_strikes, n_facilities, n_points)),
        clock=np.zeros((n_facilities, n_points)),
        backlog=np.zeros(services),
        backlog_counterfactual=np.zeros(services),
    )


def run_days(
    params: xr.Dataset,
    start_day: int = 0,
    stop_day: int | None = None,
    state: ModelState | None = None,
    *,
    dtype: npt.DTypeLike | None = None,
    points_per_block: int = POINTS_PER_BLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Array], ModelState]:
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
    stop_day = params.sizes["time"] if stop_day is None else stop_day
    if not 0 <= start_day <= stop_day <= params.sizes["time"]:
        raise ValueError(f"days [{start_day}, {stop_day}) outside [0, {params.sizes['time']})")
    if state is None and start_day > 0:
        raise ValueError("a run that does not start on day 0 needs the state of the day before")
    out_dtype = results_dtype(params) if dtype is None else np.dtype(dtype)
    ensemble_shape = tuple(params.sizes[d] for d in ensemble_dims(params))
    n_points = math.prod(ensemble_shape)
    n_days = stop_day - start_day
    inputs = kernel_inputs(params)
    storage = _storage(params, n_days, n_points, out_dtype)
    state = _initial_state(params, n_points, out_dtype) if state is None else state
    blocks = []
    for first in range(0, n_points, max(1, points_per_block)):
        points = slice(first, min(first + points_per_block, n_points))
        block_state = ModelState(*(array[..., points] for array in state.arrays()))
        block = Block(inputs.block(points), points.stop - first, start_day, stop_day, out_dtype)
        blocks.append(_run_block(block, block_state, storage, points))
    # Day by day across the blocks, so that the outputs fill memory in order:
    # freshly allocated pages written block by block cost several times more.
    for done in range(1, n_days + 1):
        for running in blocks:
            next(running)
        if progress is not None:
            progress(done, n_days)
    pieces = [_finish(running) for running in blocks]
    final = ModelState(
        *(
            np.concatenate(parts, axis=-1)
            for parts in zip(*(p.arrays() for p in pieces), strict=True)
        )
    )
    outputs = {name: _labelled(array, ensemble_shape) for name, array in storage.items()}
    return outputs, final


def _labelled(array: Array, ensemble_shape: tuple[int, ...]) -> Array:
    """``(T, *structure, N)`` storage seen as ``(T, *E, *structure)``, without a copy."""
    n_structure = array.ndim - 2
    unflat = array.reshape(*array.shape[:-1], *ensemble_shape)
    return np.moveaxis(
        unflat,
        list(range(1, 1 + n_structure)),
        list(range(unflat.ndim - n_structure, unflat.ndim)),
    )


def _finish(block: Iterator[None]) -> ModelState:
    """The state a block's generator returns after its last day."""
    try:
        next(block)
    except StopIteration as done:
        state: ModelState = done.value
        return state
    raise RuntimeError("a block of the kernel ran past its last day")


def _run_block(
    block: Block, state: ModelState, storage: dict[str, Array], points: slice
) -> Generator[None, None, ModelState]:
    """Simulate one block of ensemble points, one day per step.

    Writes into ``storage[name][i, ..., points]`` and returns the state after
    the last day.
    """
    day_state = DayState(*(array.copy() for array in state.arrays()))
    for i in range(block.n_days):
        today = {name: storage[name][i, ..., points] for name in storage}
        block.day(i, day_state, today)
        yield
    return ModelState(*(getattr(day_state, f.name) for f in fields(ModelState)))
