"""Running a chunked simulation into files: which dask scheduler, two passes, nothing partial.

A thin layer between the command line (or a notebook) and
:mod:`facility_impact.run.chunked`:

* the scheduler: a pool of local worker processes (the default), a local
  dask.distributed cluster, or an existing cluster at an address;
* two passes: each block task simulates its days and writes them into the Zarr
  store, handing on only the model state; then the per-run indicators of the
  summary are read back from the store a store chunk's draws at a time (they
  need all days of a run) and reduced over draws. The daily data are never
  all in memory;
* nothing partial: the store and the summary table are written to temporary
  names beside their targets and moved into place together at the end; a
  failure (a worker lost for good, an interrupt) leaves the targets as they were.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Hashable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import xarray as xr

from facility_impact.config import Config, load_config
from facility_impact.errors import ConfigError
from facility_impact.model.outputs import KERNEL_LAYOUT
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import over_draws, per_run
from facility_impact.results.summary_table import tidy_table
from facility_impact.results.timeline import first_strike_day
from facility_impact.run import cf, io, progress
from facility_impact.run.chunked import BlockFailed, consumed_blocks, describe_part, failing_part
from facility_impact.run.settling import settle
from facility_impact.run.workflow import simulate_parameters, with_configuration
from facility_impact.variables import ensemble_dims

DEFAULT_CHUNK_DRAWS = 50_000
"""Draws per chunk of a chunked run when none are given."""

CONNECT_TIMEOUT_SECONDS = 20
"""How long to wait for an existing dask scheduler to answer [s]."""

# Without a cluster, dask's process scheduler runs the tasks in a pool of worker
# processes, one per core: the kernel holds the GIL between its many small numpy
# operations, so threads would use little more than one core; the tasks return
# only small states and nothing else, so little crosses between processes.

SUMMARY_BYTES = 96 * 2**20
"""Daily outputs [B] one task of the summary pass reads at once (all days of some
draws); its in-memory summary needs a few times that."""


class RunFailed(RuntimeError):
    """The run could not finish (a worker lost more often than dask retries, the
    scheduler gone, a block that failed on a worker); no output was written."""


def result_path(folder: Path, name: str, output_format: str) -> Path:
    """Where the results of configuration ``name`` go in ``folder``."""
    return folder / (f"{name}.zarr" if output_format == "zarr" else f"{name}.nc")


def run_chunks(draws: int | None = None, days: int | None = None) -> dict[str, int]:
    """The chunks of a chunked run: ``draws`` per chunk (default
    :data:`DEFAULT_CHUNK_DRAWS`), scenarios one by one, and ``days`` [d] per block
    (default: as many as fit :data:`facility_impact.run.chunked.DEFAULT_BLOCK_BYTES`)."""
    chunks = {"draw": DEFAULT_CHUNK_DRAWS if draws is None else draws, "scenario": 1}
    if days is not None:
        chunks["time"] = days
    return chunks


@contextlib.contextmanager
def dask_client(workers: int | None = None, address: str | None = None) -> Iterator[Any]:
    """A dask.distributed client, or ``None`` for dask's local process pool.

    ``address``: connect to the scheduler of an existing cluster (its workers
    must see the output folder: a shared file system). ``workers``: start a
    local cluster of that many single-threaded worker processes for the run,
    and stop it after. Neither: no cluster.
    """
    if address is None and workers is None:
        yield None
        return
    try:
        # Optional (the 'scale' extra), and slow to import: only runs on a cluster need it.
        import distributed
    except ImportError:
        raise ConfigError(
            "--workers and --scheduler need dask.distributed: pip install 'facility-impact[scale]'"
        ) from None
    cluster_api: Any = distributed  # untyped: the checker cannot follow its calls
    if address is not None:
        try:
            client = cluster_api.Client(
                address, timeout=CONNECT_TIMEOUT_SECONDS, set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as error:
            raise ConfigError(
                f"--scheduler = {address!r}: no dask scheduler answers there ({error})"
            ) from None
        with client:
            yield client
        return
    # One thread per process: the kernel is numpy-bound and holds the GIL
    # between array operations, so processes scale better than threads.
    with (
        cluster_api.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never clash with a running dashboard
            silence_logs=logging.ERROR,
        ) as cluster,
        cluster_api.Client(cluster, set_as_default=False) as client,
    ):
        yield client


def _lost_work(error: BaseException) -> bool:
    """Whether ``error`` is dask.distributed giving up on lost workers or the scheduler."""
    try:
        # Optional (the 'scale' extra): without it no cluster ran, so nothing was lost.
        from distributed import KilledWorker
        from distributed.comm.core import CommClosedError
    except ImportError:
        return False
    return isinstance(error, KilledWorker | CommClosedError)


class ZarrBlockWriter:
    """Writes one block of kernel outputs into its region of a Zarr store.

    Picklable (it holds a path and names), so dask.distributed workers can run
    it; each block's region is a whole set of the store's chunks (the store is
    chunked as the blocks are), so blocks never write the same chunk, and a
    block simulated again after a lost worker writes the same bytes again.
    """

    def __init__(self, path: str | Path, layout: Mapping[str, tuple[str, tuple[str, ...]]]) -> None:
        self.path = str(path)
        self.layout = dict(layout)
        """Kernel output name → (result variable, its dims)."""

    def __call__(self, outputs: Mapping[str, np.ndarray], where: Mapping[str, slice]) -> None:
        # Optional (the 'scale' extra): only chunked runs write Zarr stores.
        import zarr

        group = zarr.open_group(self.path, mode="r+", use_consolidated=False)
        for kernel_name, (name, dims) in self.layout.items():
            region = tuple(where.get(dim, slice(None)) for dim in dims)
            array: Any = group[name]
            array[region] = np.moveaxis(outputs[kernel_name], 0, -1)

    def __dask_tokenize__(self) -> tuple[str, str, list[str]]:
        return (type(self).__name__, self.path, sorted(self.layout))


@contextlib.contextmanager
def local_pool() -> Iterator[Any]:
    """A pool of worker processes, one per core, for dask's local ``processes``
    scheduler; shared by the passes of a run so the workers start once."""
    # spawn, as dask does: forking a process that holds threads is unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as pool:
        yield pool


def _dask() -> Any:
    """The dask package, typed ``Any``: the checker cannot follow its untyped calls."""
    # Optional (the 'scale' extra): only chunked runs compute with dask.
    import dask
    import dask.multiprocessing

    return dask


def compute_locally(pool: Any, *collections: Any) -> tuple[Any, ...]:
    # chunksize=1: dask would otherwise send ready tasks to one worker process
    # in batches of six, which runs the first blocks of several chains one
    # after another instead of side by side. optimize_graph=False: the process
    # scheduler would fuse each chain of blocks into one task, which hides the
    # blocks from the progress line. (dask.compute does not pass either on.)
    if pool is None:
        with local_pool() as own:
            return compute_locally(own, *collections)
    dask = _dask()
    scheduler = partial(dask.multiprocessing.get, pool=pool, chunksize=1, optimize_graph=False)
    try:
        return tuple(dask.compute(*collections, scheduler=scheduler))
    except BlockFailed as error:
        raise RunFailed(str(error)) from error


def fill_zarr_store(
    config: Config,
    path: Path,
    chunks: Mapping[str, int],
    client: Any = None,
    progress_stream: TextIO | None = None,
    pool: Any = None,
) -> None:
    """Simulate ``config`` block by block into a new Zarr store at ``path`` (not atomic).

    The store is laid out (names, coordinates, attributes, chunks) from the
    lazy result Dataset of :func:`facility_impact.run.workflow.simulate`, so it
    reads back as the same Dataset; then each block is simulated and written
    by one task (:func:`facility_impact.run.chunked.consumed_blocks`).
    """
    params = build_parameters(config)
    lazy = with_configuration(simulate_parameters(params, chunks), config)
    plan = {dim: lazy.chunksizes[dim] for dim in (*ensemble_dims(params), "time")}
    # layout and in-memory variables; blocks come next
    io.zarr_store(lazy, path, _store_encoding(lazy, plan))
    layout = {
        kernel: (name, tuple(str(dim) for dim in lazy[name].dims))
        for kernel, (name, _) in KERNEL_LAYOUT.items()
    }
    job = consumed_blocks(params, ZarrBlockWriter(path, layout), plan)
    if client is None:
        with progress.local_progress(progress.block_count(job), progress_stream):
            compute_locally(pool, job)
    else:
        compute_on(client, job, progress_stream=progress_stream, with_progress=True)


def compute_on(
    client: Any,
    *collections: Any,
    progress_stream: TextIO | None = None,
    with_progress: bool = False,
) -> tuple[Any, ...]:
    """Compute ``collections`` on a dask.distributed cluster, ``with_progress`` drawn
    by dask's bar on ``progress_stream`` (:func:`~facility_impact.run.progress.cluster_progress`);
    lost workers that dask gave up on, and a block that failed, become :class:`RunFailed`."""
    futures = client.compute(list(collections))
    try:
        if with_progress:
            progress.cluster_progress(client, futures, progress_stream)
        return tuple(client.gather(futures))
    except BlockFailed as error:
        settle(client)
        raise RunFailed(str(error)) from error
    except Exception as error:
        settle(client)
        if _lost_work(error):
            raise RunFailed(
                f"the dask cluster lost workers and gave up ({type(error).__name__}: {error})"
            ) from error
        raise


def _store_encoding(
    lazy: xr.Dataset, plan: Mapping[str, tuple[int, ...]]
) -> dict[Hashable, dict[str, Any]]:
    """The Zarr chunks of the lazy variables of ``lazy``, simulated in blocks of ``plan``.

    Store chunks: a block's days, and along draw a divisor of the block's draws
    small enough that the summary pass can read all days of one store chunk's
    draws at once (:data:`SUMMARY_BYTES`). Each block writes whole store chunks
    of its own.
    """
    per_draw = bytes_per_draw(lazy)
    draws = _store_draws(max(plan["draw"]), per_draw) if "draw" in plan else None
    encoding: dict[Hashable, dict[str, Any]] = {}
    for name, variable in lazy.data_vars.items():
        if hasattr(variable.data, "dask"):
            sizes = [max(c) for c in variable.chunks or ()]
            if draws is not None:
                sizes[variable.dims.index("draw")] = draws
            encoding[name] = {"chunks": tuple(sizes)}
    return encoding


def bytes_per_draw(results: xr.Dataset) -> int:
    """Bytes of the daily outputs of one draw, all scenarios, sweep points and days [B]."""
    lazy = [v for v in results.data_vars.values() if hasattr(v.data, "dask")]
    draws = results.sizes.get("draw", 1)
    return max(1, sum(v.nbytes for v in lazy) // draws)


def _store_draws(block_draws: int, per_draw: int, budget: int = SUMMARY_BYTES) -> int:
    """Draws per store chunk: the largest divisor of ``block_draws`` whose draws
    fit ``budget`` [B] with all their days (at least 1)."""
    parts = max(1, -(-block_draws * per_draw // budget))
    while block_draws % parts:
        parts += 1
    return block_draws // parts


ORDER_ATTRIBUTE = "indicators"
"""Attribute of the per-run group: its indicators in the summary's order (a store lists
its arrays by name)."""

PER_RUN_GROUP = "per_run"
"""Group of the results store that holds the per-run indicators (before the
quantiles over draws): what ``summarize(results, quantiles=None)`` gives."""


def _per_run_part(path: str, draws: slice | None, latest_t0: float) -> xr.Dataset:
    """Per-run indicators of some draws of the store at ``path``, in memory."""
    with xr.open_zarr(path, chunks=None) as stored, np.errstate(over="raise"):
        part = stored if draws is None else stored.isel(draw=draws)
        return per_run(part.load(), latest_t0=latest_t0)


def _write_per_run_part(path: str, draws: slice, latest_t0: float) -> None:
    """Summarise some draws and write their rows into the store's per-run group."""
    with failing_part(f"the summary of {describe_part({'draw': draws})}"):
        piece = _per_run_part(path, draws, latest_t0)
        elsewhere = [name for name, v in piece.variables.items() if "draw" not in v.dims]
        piece.drop_vars(elsewhere).to_zarr(
            path, group=PER_RUN_GROUP, region={"draw": draws}, zarr_format=io.ZARR_FORMAT
        )


def per_run_layout(piece: xr.Dataset, draw: xr.DataArray, step: int) -> xr.Dataset:
    """An empty per-run Dataset for all draws, shaped and labelled like ``piece``
    (the per-run indicators of the first draws), chunked ``step`` draws at a time."""
    # Optional (the 'scale' extra): only chunked runs write per-run groups.
    import dask.array as da

    def empty(variable: xr.DataArray) -> xr.DataArray:
        shape = tuple(draw.size if d == "draw" else variable.sizes[d] for d in variable.dims)
        chunks = tuple(step if d == "draw" else variable.sizes[d] for d in variable.dims)
        data = da.zeros(shape, dtype=variable.dtype, chunks=chunks)
        return xr.DataArray(data, dims=variable.dims, attrs=variable.attrs)

    layout = piece.drop_vars([n for n, v in piece.variables.items() if "draw" in v.dims])
    layout = layout.assign_coords(draw=draw)
    for name, variable in piece.variables.items():
        if "draw" in variable.dims and name != "draw":
            if name in piece.coords:
                layout = layout.assign_coords({name: empty(piece[name])})
            else:
                layout[name] = empty(piece[name])
    return layout


def summarize_store(path: Path, client: Any = None, pool: Any = None) -> xr.Dataset:
    """The summary of the results in the Zarr store at ``path``: the per-run
    indicators (:func:`write_per_run`) reduced to quantiles over draws
    (:func:`reduce_per_run`)."""
    summary = write_per_run(path, client, pool)
    return summary if summary is not None else reduce_per_run(path)


def write_per_run(path: Path, client: Any = None, pool: Any = None) -> xr.Dataset | None:
    """Compute the per-run indicators of the store at ``path`` into its ``per_run`` group.

    The per-run indicators need all days of a run: each task reads all days of
    one store chunk's draws (at most :data:`SUMMARY_BYTES`), summarises them in
    memory and writes their rows into the group (:data:`PER_RUN_GROUP`).
    Results without draws are summarised at once and returned instead.
    """
    with xr.open_zarr(path, chunks=None) as stored:
        t0 = first_strike_day(stored)
        latest_t0 = float(t0.max()) if t0.size else 0.0
        if "draw" not in stored.dims:
            summary = _per_run_part(str(path), None, latest_t0)
            summary.attrs["first_strike_day"] = float(t0.min())
            return summary
        step = stored["served"].encoding["chunks"][stored["served"].dims.index("draw")]
        draw = stored["draw"].load()
    total = draw.size
    parts = [slice(start, min(start + step, total)) for start in range(0, total, step)]
    first = _per_run_part(str(path), parts[0], latest_t0)
    layout = per_run_layout(first, draw, step)
    layout.attrs["first_strike_day"] = float(t0.min())
    # A store lists its arrays by name; the summary table keeps this order.
    layout.attrs[ORDER_ATTRIBUTE] = list(first.data_vars)
    layout.to_zarr(
        path,
        group=PER_RUN_GROUP,
        mode="w",
        compute=False,
        zarr_format=io.ZARR_FORMAT,
        encoding=cf.to_zarr_layout(layout),
    )
    write = _dask().delayed(_write_per_run_part)
    tasks = [write(str(path), part, latest_t0) for part in parts]
    if client is None:
        compute_locally(pool, *tasks)
    else:
        compute_on(client, *tasks)
    return None


def reduce_per_run(path: Path) -> xr.Dataset:
    """Quantiles over draws of the per-run indicators in the store's ``per_run``
    group, one indicator at a time, so a million draws' rows (~1.5 GB) are
    never all in memory."""
    reduced: dict[Hashable, xr.DataArray] = {}
    with xr.open_zarr(path, group=PER_RUN_GROUP, chunks=None) as rows:
        attrs = {**rows.attrs, "draws": rows.sizes["draw"]}
        for name in attrs.pop(ORDER_ATTRIBUTE):
            if "draw" not in rows[name].dims:
                reduced[name] = rows[name].load()
                continue
            one = rows[[name]].load()
            kept = name == "days_to_capacity"  # the share of draws not recovered comes from it
            reduced.update(over_draws(one, with_recovery_share=kept).data_vars)
    # over_draws puts the share of draws not recovered last.
    reduced["not_recovered_share"] = reduced.pop("not_recovered_share")
    result = xr.Dataset(reduced, attrs=attrs)
    result["quantile"].attrs = {"units": "1", "long_name": "quantile over draws"}
    return result


def write_chunked(
    config: Config,
    target: Path,
    table: Path,
    chunks: Mapping[str, int],
    client: Any = None,
    progress_stream: TextIO | None = None,
) -> xr.Dataset:
    """Simulate ``config`` in chunks into the Zarr store ``target``, its summary into ``table``.

    Two passes: the blocks are simulated and written to the store; the per-run
    indicators are then read back from it, chunk by chunk, and reduced over
    draws. Returns the summary. Both outputs appear together when complete, or
    neither does: a failure raises (:class:`RunFailed` for lost workers) and
    leaves the targets untouched.
    """
    with io.staged() as staging:
        part, table_part = staging.folder(target), staging.file(table)
        pool_or_none = local_pool() if client is None else contextlib.nullcontext()
        with io.naming(str(target)), pool_or_none as pool:
            fill_zarr_store(config, part, chunks, client, progress_stream, pool)
            summary = write_per_run(part, client, pool)
        # The worker processes are gone by now: their memory is not added to
        # the reduction's.
        if summary is None:
            summary = reduce_per_run(part)
        io.check_finite(summary)
        header, rows = tidy_table(summary)
        io.save_csv(header, rows, table_part)
    return summary


def simulate_to_zarr(
    config: Config | str | Path | Mapping[str, Any],
    path: str | Path,
    chunks: Mapping[str, int] | None = None,
    *,
    client: Any = None,
    progress_stream: TextIO | None = None,
) -> xr.Dataset:
    """Simulate ``config`` out of core into a Zarr store at ``path``; return it, opened lazily.

    For ensembles larger than memory in a notebook: ``chunks`` as for
    :func:`facility_impact.simulate` (default :func:`run_chunks`);
    ``client``: a ``distributed.Client`` to run on a cluster (its workers must
    see ``path``), else a local pool of processes. The store appears at ``path`` only
    when complete. The returned Dataset is dask-backed, chunked as the store,
    and equal bit for bit to ``simulate(config)``.
    """
    if not isinstance(config, Config):
        config = load_config(config)
    chunks = run_chunks() if chunks is None else dict(chunks)
    with io.atomic_directory(path) as part:
        fill_zarr_store(config, part, chunks, client, progress_stream)
    stored: xr.Dataset = xr.open_zarr(path, chunks={})
    return stored
