"""The out-of-core path: the kernel's outputs as dask arrays, simulated block by block.

A block is one chunk of scenarios × one chunk of draws × one run of days. The
days of one (scenario chunk, draw chunk) form a chain of tasks: each block
starts from the :class:`~facility_impact.model.kernel.ModelState` the block before it
left, so no task ever holds more than one block of days, and the chain gives
the same numbers, bit for bit, as one run over all days
(:func:`~facility_impact.model.kernel.run_days`). Parameters are drawn in full before
any of this (the caller's parameter Dataset), and every block gets an exact
slice of them, so the chunking cannot change a number.

One kernel task feeds every output variable of its block: the variables'
chunks are cheap tasks that pick one array from the kernel task's result, so
computing all variables together (``Dataset.compute``, ``dask.compute``, a
write) simulates each block once.

Pure: builds a task graph, runs nothing, reads and writes no file.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.model.kernel import ModelState, results_dtype, run_days
from facility_impact.variables import ensemble_dims

CHUNKED_DIMS = ("scenario", "draw", "time")
"""Dims the results can be chunked along; sweep and structural dims stay whole."""

DEFAULT_BLOCK_BYTES = 256 * 2**20
"""Outputs of one block [B] when the run of days per block is not given.

A block's outputs live in memory while it is written, one block per running
task; 256 MiB keeps a run on a 2-core machine well under 3 GiB, while making
blocks long enough (13 days of 50,000 draws of the reference hospital in
float64) that the kernel's per-call set-up and the store's chunk count stay small."""

Consumer = Callable[[dict[str, np.ndarray], dict[str, slice]], None]
"""Takes one block's outputs and the slices of the results it covers
(see :func:`consumed_blocks`)."""

BLOCK_TASK_PREFIX = "facility-impact-block"
"""Name prefix of the kernel tasks in the graph (one per block); used to count progress."""


_PLURALS = {"scenario": "scenarios", "draw": "draws", "time": "days"}
_SINGULARS = {"scenario": "scenario", "draw": "draw", "time": "day"}


class MissingDaskError(ImportError):
    """dask is not installed: the out-of-core path needs the ``scale`` extra."""


class BlockFailed(RuntimeError):
    """A task of a chunked run failed on a worker for a reason of its own (not a
    lost worker, an overflow, a file or the memory); the message names the block."""


def describe_part(where: Mapping[str, slice]) -> str:
    """The part of a run a task covers, as a person reads it: "scenario 1, draws
    0–49,999, days 0–12" (positions along each dim, both ends included)."""
    parts = []
    for dim, part in where.items():
        start, stop = int(part.start or 0), int(part.stop)
        if stop - start == 1:
            parts.append(f"{_SINGULARS.get(dim, dim)} {start:,}")
        else:
            parts.append(f"{_PLURALS.get(dim, dim)} {start:,}–{stop - 1:,}")
    return ", ".join(parts)


@contextlib.contextmanager
def failing_part(what: str) -> Iterator[None]:
    """While active, an error other than an overflow, a file's or the memory's (which
    the command reports in its own words) becomes :class:`BlockFailed` naming ``what``."""
    try:
        yield
    except (FloatingPointError, OSError, MemoryError):
        raise
    except Exception as error:
        text = " ".join(str(error).split())
        raise BlockFailed(f"{what} failed: {type(error).__name__}: {text}") from error


def require_dask() -> None:
    try:
        # dask is optional (the ``scale`` extra): this only checks it is installed.
        import dask.array  # noqa: F401
    except ImportError:
        raise MissingDaskError(
            "the chunked (out-of-core) path needs dask: "
            "pip install 'facility-impact[scale]' (dask[array], distributed, zarr)"
        ) from None


def _chunk_sizes(total: int, size: int) -> tuple[int, ...]:
    """Chunks of ``size`` along a dim of ``total``, the last one shorter if need be."""
    if total == 0:
        return (0,)
    full, rest = divmod(total, size)
    return (size,) * full + ((rest,) if rest else ())


def _bounds(sizes: tuple[int, ...]) -> list[tuple[int, int]]:
    """``[start, stop)`` of each chunk."""
    stops = np.cumsum(sizes).tolist()
    return [(stop - size, stop) for size, stop in zip(sizes, stops, strict=True)]


def check_chunks(chunks: Mapping[str, int]) -> dict[str, int]:
    """``chunks`` as a plain dict; a dim other than scenario, draw or time, or a
    size that is not a whole number of at least 1, is a ValueError."""
    unknown = sorted(set(chunks) - set(CHUNKED_DIMS))
    if unknown:
        raise ValueError(
            f"chunks: cannot chunk along {', '.join(unknown)}; only along {', '.join(CHUNKED_DIMS)}"
        )
    checked = {}
    for dim, size in chunks.items():
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(f"chunks[{dim!r}] = {size!r}: must be a whole number of at least 1")
        checked[dim] = int(size)
    return checked


def plan_chunks(
    params: xr.Dataset,
    bytes_per_point_day: int,
    chunks: Mapping[str, int],
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> dict[str, tuple[int, ...]]:
    """Chunk sizes along each ensemble dim and ``time``.

    ``bytes_per_point_day`` [B] is what the kernel outputs for one ensemble point
    and one day (all variables). ``scenario`` and ``draw`` take the sizes in
    ``chunks`` (whole when absent); sweep dims stay whole. Without a ``time``
    entry, a block runs as many days as keep its outputs within ``block_bytes``
    (at least one day).
    """
    chunks = check_chunks(chunks)
    plan: dict[str, tuple[int, ...]] = {}
    points = 1
    for dim in ensemble_dims(params):
        total = params.sizes[dim]
        size = min(chunks.get(dim, total), total) if dim in chunks else total
        plan[dim] = _chunk_sizes(total, max(size, 1))
        points *= max(plan[dim])
    horizon = params.sizes["time"]
    if "time" in chunks:
        days = chunks["time"]
    else:
        days = block_bytes // max(points * bytes_per_point_day, 1)
    plan["time"] = _chunk_sizes(horizon, int(min(max(days, 1), max(horizon, 1))))
    return plan


def _state_of(block: tuple[dict[str, np.ndarray], ModelState]) -> ModelState:
    # Its own task, so the next block (maybe on another worker) receives the
    # small state and not this block's outputs.
    return block[1]


def _output_of(block: tuple[dict[str, np.ndarray], ModelState], name: str) -> np.ndarray:
    # Kernel arrays are time-first; results put time last (a view, not a copy).
    return np.moveaxis(block[0][name], 0, -1)


def block_plan(
    params: xr.Dataset,
    structures: Mapping[str, tuple[str, ...]],
    chunks: Mapping[str, int],
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> tuple[dict[str, tuple[int, ...]], dict[str, np.dtype]]:
    """The chunk plan (:func:`plan_chunks`) and the dtype of each kernel output
    (:func:`~facility_impact.model.kernel.results_dtype`: float64 or float32)."""
    dtypes = dict.fromkeys(structures, results_dtype(params))
    per_point_day = sum(
        int(np.prod([params.sizes[d] for d in structure], dtype=np.int64)) * dtypes[name].itemsize
        for name, structure in structures.items()
    )
    return plan_chunks(params, per_point_day, chunks, block_bytes), dtypes


def lazy_outputs(
    params: xr.Dataset,
    structures: Mapping[str, tuple[str, ...]],
    chunks: Mapping[str, int],
    block_bytes: int = DEFAULT_BLOCK_BYTES,
) -> dict[str, xr.DataArray]:
    """The kernel's outputs as dask-backed DataArrays, dims ``(*ensemble, *structure, time)``.

    ``structures`` maps each kernel output name to its structural dims (as
    :func:`~facility_impact.model.kernel.run_days` lays them out after the ensemble
    dims). ``chunks``: sizes along ``scenario``, ``draw`` and ``time`` [d]; see
    :func:`plan_chunks`. Dtypes follow what the kernel returns.
    """
    require_dask()
    # dask is optional (the ``scale`` extra): only the out-of-core path needs it.
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    ens = ensemble_dims(params)
    plan, dtypes = block_plan(params, structures, chunks, block_bytes)

    token = tokenize(params, plan)
    block_name = f"{BLOCK_TASK_PREFIX}-{token}"
    state_name = f"facility-impact-state-{token}"
    params_name = f"facility-impact-parameters-{token}"
    split = [dim for dim in ens if dim in ("scenario", "draw")]
    time_bounds = _bounds(plan["time"])

    kernel_graph: dict[Any, Any] = {}
    for combination in itertools.product(*(enumerate(_bounds(plan[dim])) for dim in split)):
        index = tuple(i for i, _ in combination)
        selection = {
            dim: slice(*bounds) for dim, (_, bounds) in zip(split, combination, strict=True)
        }
        kernel_graph[(params_name, *index)] = params.isel(selection)
        previous = None
        for t, (start, stop) in enumerate(time_bounds):
            key = (block_name, *index, t)
            kernel_graph[key] = (run_days, (params_name, *index), start, stop, previous)
            kernel_graph[(state_name, *index, t)] = (_state_of, key)
            previous = (state_name, *index, t)

    def chunk_index(
        block_index: tuple[int, ...], structure: tuple[str, ...], t: int
    ) -> tuple[int, ...]:
        by_dim = dict(zip(split, block_index, strict=True))
        return (*(by_dim.get(dim, 0) for dim in ens), *(0 for _ in structure), t)

    outputs: dict[str, xr.DataArray] = {}
    for name, structure in structures.items():
        array_name = f"facility-impact-{name}-{token}"
        layer: dict[Any, Any] = {
            (array_name, *chunk_index(key[1:-1], structure, key[-1])): (_output_of, key, name)
            for key in kernel_graph
            if key[0] == block_name
        }
        graph = HighLevelGraph(
            {block_name: kernel_graph, array_name: layer},
            {block_name: set(), array_name: {block_name}},
        )
        array_chunks = (
            *(plan[dim] for dim in ens),
            *((params.sizes[dim],) for dim in structure),
            plan["time"],
        )
        # dask's constructors carry no type annotations.
        array = da.Array(graph, array_name, chunks=array_chunks, dtype=dtypes[name])
        outputs[name] = xr.DataArray(array, dims=(*ens, *structure, "time"))
    return outputs


def _run_and_consume(
    params: xr.Dataset,
    start_day: int,
    stop_day: int,
    state: ModelState | None,
    consume: Consumer,
    where: dict[str, slice],
) -> ModelState:
    block = {**where, "time": slice(start_day, stop_day)}
    # Overflow is an error, in a worker process as in the run's own
    # (facility_impact.commands.no_overflow): never an inf in a store.
    with failing_part(f"the block of {describe_part(block)}"), np.errstate(over="raise"):
        outputs, state = run_days(params, start_day, stop_day, state)
        consume(outputs, block)
    return state


def _finished(*states: ModelState) -> int:
    return len(states)


def consumed_blocks(
    params: xr.Dataset,
    consume: Consumer,
    plan: Mapping[str, tuple[int, ...]],
) -> Any:
    """A dask Delayed that simulates every block and hands its outputs to ``consume``.

    ``consume(outputs, where)`` gets the kernel's time-first outputs of one block
    and ``where``: the slices of the ensemble dims and of ``time`` the block
    covers. Each task of a chain simulates its block, consumes it and passes on
    only the small :class:`~facility_impact.model.kernel.ModelState`, so at most one
    block per running task is in memory, whatever order dask runs them in
    (unlike a graph in which the outputs are separate tasks: dask's ordering
    then runs a whole chain of days before its outputs are used). ``consume``
    must be picklable for a dask.distributed cluster and safe to rerun (a lost
    worker's blocks are simulated again). ``plan``: see :func:`plan_chunks`.
    """
    require_dask()
    # dask is optional (the ``scale`` extra): only the out-of-core path needs it.
    from dask.base import tokenize
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    ens = ensemble_dims(params)
    token = tokenize(params, dict(plan), consume)
    block_name = f"{BLOCK_TASK_PREFIX}-{token}"
    params_name = f"facility-impact-parameters-{token}"
    final = f"facility-impact-finished-{token}"
    split = [dim for dim in ens if dim in ("scenario", "draw")]
    graph: dict[Any, Any] = {}
    last = []
    for combination in itertools.product(*(enumerate(_bounds(plan[dim])) for dim in split)):
        index = tuple(i for i, _ in combination)
        where = {dim: slice(*bounds) for dim, (_, bounds) in zip(split, combination, strict=True)}
        graph[(params_name, *index)] = params.isel(where)
        previous = None
        for t, (start, stop) in enumerate(_bounds(plan["time"])):
            key = (block_name, *index, t)
            graph[key] = (
                _run_and_consume,
                (params_name, *index),
                start,
                stop,
                previous,
                consume,
                where,
            )
            previous = key
        last.append(previous)
    graph[final] = (_finished, *last)
    layers = HighLevelGraph.from_collections(final, graph, dependencies=())
    # dask's constructors carry no type annotations.
    return Delayed(final, layers)
