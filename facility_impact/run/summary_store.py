"""A chunked run that keeps what ``--save summary`` keeps: ``run --format zarr --save summary``.

The daily values of a large ensemble are what makes it large (about 117 kB a
draw for the reference hospital in float32, 117 GB for a million draws), and
most users read summaries. This path never writes them:

* the draws are simulated in parts of at most :data:`PART_BYTES` of daily
  outputs, each part by one task on the local pool or the cluster, all days of
  its draws at once (the per-draw summaries need a draw's every day);
* each task summarises its part (:func:`~facility_impact.results.summary.per_run`,
  with the windows of the whole ensemble) and writes its rows into the store's
  ``per_run`` group, exactly as the summary pass of a store of daily results
  does; the summary table is reduced from that group one indicator at a time;
* the daily quantile bands and the share of draws closed
  (:func:`~facility_impact.results.saved.daily_bands`) are those of the **first
  part's draws** (attribute ``band_draws``): a band over all draws would need
  every draw's day at once. For a run of one part they are over all its draws,
  as in memory.

Every part is simulated from an exact slice of the parameters drawn for the
whole ensemble, and the kernel computes each draw by the same operations
whatever is simulated beside it, so each draw's summaries are those of the
in-memory run, bit for bit, whatever the parts or the workers.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import xarray as xr

from facility_impact.config import Config
from facility_impact.model.parameters import build_parameters
from facility_impact.results.saved import SAVED_ATTRIBUTE, daily_bands
from facility_impact.results.summary import per_run
from facility_impact.results.summary_table import tidy_table
from facility_impact.results.timeline import first_strike_day
from facility_impact.run import cf, io, progress
from facility_impact.run.chunked import BLOCK_TASK_PREFIX, describe_part, failing_part
from facility_impact.run.scale import (
    ORDER_ATTRIBUTE,
    PER_RUN_GROUP,
    bytes_per_draw,
    compute_locally,
    compute_on,
    fill_zarr_store,
    local_pool,
    per_run_layout,
    reduce_per_run,
    write_per_run,
)
from facility_impact.run.workflow import simulate_parameters, with_configuration

PART_BYTES = 256 * 2**20
"""Daily outputs [B] of one part of a summary run: one part per running task is in
memory at a time, with its summary's work (a few times less). 256 MiB is about
2,200 draws of the reference hospital in float32; two workers and the main
process stay near 1.5 GiB for a million draws (``benchmarks/million.py``)."""

BAND_DRAWS_ATTRIBUTE = "band_draws"
"""Global attribute of a summary store: the draws the daily bands are taken over."""


def part_draws(lazy: xr.Dataset, chunk_draws: int, budget: int | None = None) -> int:
    """Draws per part: at most ``chunk_draws``, and few enough that their daily
    outputs (all scenarios, sweep points and days) fit ``budget`` [B] (default
    :data:`PART_BYTES`; at least 1 draw)."""
    budget = PART_BYTES if budget is None else budget
    return max(1, min(chunk_draws, budget // bytes_per_draw(lazy)))


def _labels(lazy: xr.Dataset) -> xr.Dataset:
    """What :func:`~facility_impact.run.workflow.with_configuration` gave the results
    of the whole run and does not vary with the draws: its coordinates and
    attributes, which a part's results take over (a configuration does not go
    to the workers: it does not pickle, and reading it again per part costs)."""
    fixed = {name: coord for name, coord in lazy.coords.items() if "draw" not in coord.dims}
    return xr.Dataset(coords=fixed, attrs=lazy.attrs)


def _simulated_part(
    params: xr.Dataset, labels: xr.Dataset, latest_t0: float
) -> tuple[xr.Dataset, xr.Dataset]:
    """The daily results of the draws of ``params``, labelled as the whole run's
    (``labels``: :func:`_labels`), and their per-draw summaries."""
    results = simulate_parameters(params)
    missing = {name: coord for name, coord in labels.coords.items() if name not in results.coords}
    results = results.assign_coords(missing)
    results.attrs = dict(labels.attrs)
    with np.errstate(over="raise"):
        return results, per_run(results, latest_t0=latest_t0)


def _write_rows(piece: xr.Dataset, path: str, draws: slice) -> None:
    """``piece``'s per-draw rows into the store's per-run group at ``draws``."""
    elsewhere = [name for name, v in piece.variables.items() if "draw" not in v.dims]
    piece.drop_vars(elsewhere).to_zarr(
        path, group=PER_RUN_GROUP, region={"draw": draws}, zarr_format=io.ZARR_FORMAT
    )


def _summarised_part(
    params: xr.Dataset, labels: xr.Dataset, latest_t0: float, path: str, draws: slice
) -> None:
    """One task: simulate ``params`` (the draws ``draws`` of the run), write their rows."""
    with failing_part(f"the summary of {describe_part({'draw': draws})}"):
        _, piece = _simulated_part(params, labels, latest_t0)
        _write_rows(piece, path, draws)


def _root(lazy: xr.Dataset, bands: dict[str, xr.DataArray], band_draws: int) -> xr.Dataset:
    """The store's root: everything of ``lazy`` not simulated (coordinates, baseline,
    each draw's inputs) and the daily ``bands`` in place of the daily draws."""
    daily = [name for name, variable in lazy.data_vars.items() if hasattr(variable.data, "dask")]
    root = lazy.drop_vars(daily)
    for name, band in bands.items():
        root[name] = band
    root["quantile"].attrs = {"units": "1", "long_name": "quantile over draws"}
    root.attrs = {
        **root.attrs,
        SAVED_ATTRIBUTE: "summary",
        BAND_DRAWS_ATTRIBUTE: band_draws,
    }
    return root


def fill_summary_store(
    config: Config,
    path: str,
    chunk_draws: int,
    client: Any = None,
    progress_stream: TextIO | None = None,
    pool: Any = None,
) -> bool:
    """Simulate ``config`` part by part into a new Zarr store at ``path`` holding the
    daily bands and the per-draw summaries (module docstring); not atomic. A run
    without draws is written as its daily results, as in memory, and gives False
    (its per-run indicators are still to be computed); else True."""
    params = build_parameters(config)
    lazy = with_configuration(simulate_parameters(params, {"time": params.sizes["time"]}), config)
    if "draw" not in lazy.dims:
        whole = {"time": params.sizes["time"]}
        fill_zarr_store(config, Path(path), whole, client, progress_stream, pool)
        return False
    t0 = first_strike_day(lazy)
    latest_t0 = float(t0.max()) if t0.size else 0.0
    step = part_draws(lazy, chunk_draws)
    total = lazy.sizes["draw"]
    parts = [slice(start, min(start + step, total)) for start in range(0, total, step)]
    labels = _labels(lazy)
    first_results, first = _simulated_part(params.isel(draw=parts[0]), labels, latest_t0)
    io.zarr_store(_root(lazy, daily_bands(first_results), parts[0].stop), path)
    del first_results
    layout = per_run_layout(first, lazy["draw"], step)
    layout.attrs["first_strike_day"] = float(t0.min())
    layout.attrs[ORDER_ATTRIBUTE] = list(first.data_vars)
    layout.to_zarr(
        path,
        group=PER_RUN_GROUP,
        mode="w",
        compute=False,
        zarr_format=io.ZARR_FORMAT,
        encoding=cf.to_zarr_layout(layout),
    )
    _write_rows(first, path, parts[0])
    # Each task gets its own slice of the parameters, not the whole ensemble's.
    task = _dask_delayed()(_summarised_part)
    # Named as the kernel's blocks are, so that the progress bar counts them.
    tasks = [
        task(
            params.isel(draw=part),
            labels,
            latest_t0,
            path,
            part,
            dask_key_name=f"{BLOCK_TASK_PREFIX}-part-{part.start}",
        )
        for part in parts[1:]
    ]
    if client is None:
        with progress.local_progress(len(tasks), progress_stream):
            compute_locally(pool, *tasks)
    else:
        compute_on(client, *tasks, progress_stream=progress_stream, with_progress=True)
    return True


def _dask_delayed() -> Any:
    # Optional (the 'scale' extra): only chunked runs compute with dask.
    import dask

    return dask.delayed


def write_summary_store(
    config: Config,
    target: Path,
    table: Path,
    chunk_draws: int,
    client: Any = None,
    progress_stream: TextIO | None = None,
) -> xr.Dataset:
    """``run --format zarr --save summary``: the store at ``target`` (module docstring)
    and the summary table at ``table``, together or neither. Returns the summary."""
    with io.staged() as staging:
        part, table_part = staging.folder(target), staging.file(table)
        pool_or_none = local_pool() if client is None else contextlib.nullcontext()
        with io.naming(str(target)), pool_or_none as pool:
            summarised = fill_summary_store(
                config, str(part), chunk_draws, client, progress_stream, pool
            )
            summary = None if summarised else write_per_run(part, client, pool)
        if summary is None:
            summary = reduce_per_run(part)
        io.check_finite(summary)
        header, rows = tidy_table(summary)
        io.save_csv(header, rows, table_part)
    return summary
