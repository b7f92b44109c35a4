"""Running chunked results to files: which dask scheduler, one pass, nothing partial.

A thin layer between the command line and :mod:`facility_impact.chunked`:

* the scheduler: dask's local threads (the default), a local dask.distributed
  cluster of worker processes, or an existing cluster at an address;
* one pass: the results store (Zarr or NetCDF) and the per-run indicators of
  the summary are computed in one ``dask.compute``, so each block of days is
  simulated once and the daily data are never all in memory;
* nothing partial: the store and the summary table are written to temporary
  names beside their targets and moved into place together at the end; a
  failure (a worker lost for good, an interrupt) leaves the targets as they were.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import xarray as xr

from facility_impact.errors import ConfigError

FORMATS = ("netcdf", "zarr")
"""Output formats of the results; NetCDF is one file, Zarr a folder of chunks."""

CONNECT_TIMEOUT_SECONDS = 20
"""How long to wait for an existing dask scheduler to answer [s]."""


class RunFailed(RuntimeError):
    """The run could not finish (a worker lost more often than dask retries, the
    scheduler gone); no output was written."""


def result_path(folder: Path, name: str, output_format: str) -> Path:
    """Where the results of configuration ``name`` go in ``folder``."""
    return folder / (f"{name}.zarr" if output_format == "zarr" else f"{name}.nc")


@contextlib.contextmanager
def dask_client(workers: int | None = None, address: str | None = None) -> Iterator[Any]:
    """A dask.distributed client, or ``None`` for dask's local threads.

    ``address``: connect to the scheduler of an existing cluster (its workers
    must see the output folder: a shared file system). ``workers``: start a
    local cluster of that many single-threaded worker processes for the run,
    and stop it after. Neither: no cluster.
    """
    if address is None and workers is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            "--workers and --scheduler need dask.distributed: pip install 'facility-impact[scale]'"
        ) from None
    if address is not None:
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_SECONDS, set_as_default=False)
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
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never clash with a running dashboard
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def _lost_work(error: BaseException) -> bool:
    """Whether ``error`` is dask.distributed giving up on lost workers or the scheduler."""
    try:
        from distributed import KilledWorker
        from distributed.comm.core import CommClosedError
    except ImportError:
        return False
    return isinstance(error, KilledWorker | CommClosedError)


def write_chunked(
    results: xr.Dataset,
    target: Path,
    table: Path,
    output_format: str,
    client: Any = None,
    progress_stream: TextIO | None = None,
) -> xr.Dataset:
    """Write chunked ``results`` to ``target`` and their summary to the CSV ``table``.

    Returns the summary (quantiles over draws where there are draws). Both
    files appear together when complete, or neither does: a failure raises
    (:class:`RunFailed` for lost workers) and leaves the targets untouched.
    ``progress_stream``: where a progress line is drawn when it is a terminal
    (stderr by default).
    """
    from facility_impact import io, progress
    from facility_impact.chunked import block_count
    from facility_impact.summary import compute_datasets, over_draws, per_run
    from facility_impact.tables import summary_table

    if output_format not in FORMATS:
        raise ValueError(f"output_format = {output_format!r}: must be one of {FORMATS}")
    lazy_summary = per_run(results)
    blocks = block_count(results)
    store = io.atomic_directory(target) if output_format == "zarr" else io.atomic_path(target)
    with store as part, io.atomic_path(table) as table_part:
        if output_format == "zarr":
            write = io.zarr_store(results, part)
        else:
            write = io.save_netcdf(results, part, compute=False)
        try:
            if client is None:
                with progress.local_progress(blocks, progress_stream):
                    summary, _ = compute_datasets(lazy_summary, others=[write], scheduler="threads")
            else:
                names = progress.block_group_names(results)
                with progress.cluster_progress(client, names, blocks, progress_stream):
                    summary, _ = compute_datasets(
                        lazy_summary, others=[write], scheduler=client.get
                    )
        except Exception as error:
            if _lost_work(error):
                raise RunFailed(
                    f"the dask cluster lost workers and gave up ({type(error).__name__}: "
                    f"{error}); nothing was written to {target}"
                ) from error
            raise
        if "draw" in summary.dims:
            summary = over_draws(summary)
        header, rows = summary_table(summary)
        io.save_csv(header, rows, table_part)
    return summary
