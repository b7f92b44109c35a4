"""What the commands do, apart from reading their arguments: one path for the
command line and the Python API.

* :func:`run_to_files`: configuration → results (in memory, or in chunks with
  dask) → summary → the results file and the summary table;
* :func:`sensitivity_to_files`: configuration → sensitivity indices → their
  NetCDF file and table;
* :func:`figures_from_file`: a results file → every figure that applies, and
  with ``html=True`` the self-contained report (``plot`` and ``report``);
* :func:`import_to_config`: a facility table and attack records → a commented
  configuration file (``import``, :mod:`facility_impact.ingest`).

Each writes its outputs together or not at all (:mod:`facility_impact.run.staging`).
Bad input of any kind (a configuration, a folder, a results file) raises
:class:`~facility_impact.errors.ConfigError`, whose one-line message names the
command-line option concerned, and so do a simulation estimated to need more
memory than there is (before anything is drawn: :mod:`facility_impact.run.budget`)
and numbers that overflow; an output that cannot be written (a full disk)
raises ``OSError`` naming it; a chunked run whose cluster gave up raises
:class:`~facility_impact.run.scale.RunFailed`. What each promise is, and the
test that holds it: ``docs/reliability.md``.

This layer sits above ``present`` (figures and the report), ``ingest`` and ``run``; only
``cli`` and the package's ``__init__`` import it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import xarray as xr

from facility_impact.config import Config
from facility_impact.errors import ConfigError
from facility_impact.ingest import import_tables, parse_start
from facility_impact.present.catalogue import check_width
from facility_impact.present.report import check_results, write_figures, write_report
from facility_impact.results.summary import summarize
from facility_impact.run import budget, chunked, io, progress, scale, staging
from facility_impact.run.sensitivity import sensitivity, sobol_draws
from facility_impact.run.sizes import show_bytes
from facility_impact.run.workflow import simulate

OUTPUT_FORMATS = ("netcdf", "zarr")
"""Results files :func:`run_to_files` writes: a NetCDF file (simulated in
memory) or a Zarr store (simulated in chunks)."""


@dataclass(frozen=True)
class RunOutcome:
    """What a run wrote: its headline table, and where the two files are."""

    table: xr.Dataset
    """The summary of a run, or the indices of a sensitivity analysis."""
    data_path: Path
    """The results (NetCDF file or Zarr store), or the indices' NetCDF file."""
    table_path: Path
    """``table`` as CSV."""


@dataclass(frozen=True)
class FiguresOutcome:
    """What :func:`figures_from_file` wrote, and which figures it left out."""

    paths: list[Path]
    """Every file written: PNG and SVG per figure, then the report if asked for."""
    notes: list[str]
    """One line per figure that does not apply to the results, saying why."""


def output_folder(folder: str | Path) -> Path:
    """``folder`` as the place for outputs: one that exists or can be made.

    A file in the way (``folder`` itself or one of its parents) is bad input,
    found before anything is simulated or drawn.
    """
    path = Path(folder)
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise ConfigError(
                    f"--out = {json.dumps(str(folder))}: {part} is a file; "
                    "must be a folder (existing or new)"
                )
            break
    return path


def require_chunked() -> None:
    """Check that the chunked path can run: dask is the optional ``scale`` extra."""
    try:
        chunked.require_dask()
    except chunked.MissingDaskError as error:
        raise ConfigError(str(error)) from None


Notes = Callable[[str], None]
"""Takes one line to show the user (a leftover removed, chunks chosen to fit)."""


def _ignore(_: str) -> None:
    pass


@contextlib.contextmanager
def no_overflow() -> Iterator[None]:
    """Numerical overflow while simulating or summarising is bad input: an
    input too large to compute with. Never an ``inf`` written to a file."""
    try:
        with np.errstate(over="raise"):
            yield
    except FloatingPointError as error:
        raise ConfigError(
            f"numbers overflowed while computing the results ({error}): an input of the "
            "configuration is too large to compute with; nothing was written"
        ) from None


def remove_leftovers(folder: Path, targets: Sequence[Path], notes: Notes) -> list[Path]:
    """Remove what interrupted runs left of ``targets`` in ``folder`` (hidden
    ``.part`` names older than this process), telling ``notes`` of each."""
    removed = staging.remove_leftovers(folder, [target.name for target in targets])
    for path in removed:
        notes(f"removed {path}, left behind by an interrupted run")
    return removed


def _local_workers(workers: int | None, scheduler: str | None) -> int:
    """Worker processes a chunked run starts on this machine."""
    if scheduler is not None:
        return 0
    return workers if workers is not None else budget.local_cores()


def _fit_chunks(
    config: Config,
    chunks: Mapping[str, int] | None,
    local_workers: int,
    max_memory: int | None,
    notes: Notes,
) -> Mapping[str, int]:
    """The chunks of a chunked run: those given if they fit the memory, else
    the default ones or fewer draws per chunk (told to ``notes``)."""
    shape = budget.run_shape(config)
    limit = budget.memory_limit(max_memory)
    given = chunks or {}
    plan = budget.plan_chunked(shape, limit, local_workers, given.get("draw"), given.get("time"))
    if chunks is not None:
        return chunks
    if shape.draws and plan.chunk_draws < min(scale.DEFAULT_CHUNK_DRAWS, shape.draws):
        assert limit is not None  # only a limit makes the plan smaller than the default
        size = show_bytes(plan.bytes)
        notes(f"chunks of {plan.chunk_draws} draws (about {size}) to fit {limit.source}")
    return scale.run_chunks(plan.chunk_draws)


def run_to_files(
    config: Config,
    out_dir: str | Path,
    *,
    output_format: str = "netcdf",
    chunks: Mapping[str, int] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress_stream: TextIO | None = None,
    max_memory: int | None = None,
    notes: Notes = _ignore,
) -> RunOutcome:
    """Simulate ``config``; write ``<name>.nc`` (or ``.zarr``) and ``<name>-summary.csv``.

    ``output_format="netcdf"`` simulates in memory; ``"zarr"`` simulates in
    chunks with dask (``chunks`` as for :func:`facility_impact.simulate`,
    default :func:`~facility_impact.run.scale.run_chunks`, or fewer draws per
    chunk when those would not fit the memory) on a local pool of processes, a
    local cluster of ``workers`` processes, or the existing cluster at
    ``scheduler``. Both give the same numbers, bit for bit. A progress line goes
    to ``progress_stream`` (stderr by default) when it is a terminal.

    Before anything is drawn, the memory the run needs is estimated
    (:mod:`facility_impact.run.budget`) against what the machine has and
    ``max_memory`` [B]: a run that cannot fit is refused with a ConfigError
    naming the options that make it fit. Leftovers of interrupted runs of the
    same outputs are removed first, each told to ``notes``.
    """
    if output_format not in OUTPUT_FORMATS:
        raise ConfigError(
            f"--format = {json.dumps(output_format)}: must be one of {', '.join(OUTPUT_FORMATS)}"
        )
    out = output_folder(out_dir)
    target = scale.result_path(out, config.name, output_format)
    table_path = out / f"{config.name}-summary.csv"
    staging.check_target(target, folder=output_format == "zarr")
    staging.check_target(table_path)
    local_workers = _local_workers(workers, scheduler)
    if output_format == "zarr":
        require_chunked()
        plan = _fit_chunks(config, chunks, local_workers, max_memory, notes)
        remove_leftovers(out, (target, table_path), notes)
        with no_overflow(), scale.dask_client(workers=workers, address=scheduler) as client:
            summary = scale.write_chunked(config, target, table_path, plan, client, progress_stream)
        return RunOutcome(summary, target, table_path)
    if chunks is not None or workers is not None or scheduler is not None:
        raise ConfigError(
            'chunks, workers and scheduler need the chunked path: output_format = "zarr"'
        )
    budget.check_in_memory(budget.run_shape(config), budget.memory_limit(max_memory), local_workers)
    remove_leftovers(out, (target, table_path), notes)
    with no_overflow():
        with progress.day_progress(progress_stream) as advance:
            results = simulate(config, progress=advance)
        summary = summarize(results)
    io.write_with_table(results, target, summary, table_path)
    return RunOutcome(summary, target, table_path)


def sensitivity_to_files(
    config: Config,
    out_dir: str | Path,
    *,
    method: str = "spearman",
    period_days: float | None = None,
    max_memory: int | None = None,
    notes: Notes = _ignore,
) -> RunOutcome:
    """Rank the uncertain inputs of ``config`` (:func:`facility_impact.sensitivity`);
    write ``<name>-sensitivity.nc`` and ``<name>-sensitivity.csv``. Refused before
    anything is drawn when its simulation cannot fit the memory (as
    :func:`run_to_files`)."""
    out = output_folder(out_dir)
    netcdf = out / f"{config.name}-sensitivity.nc"
    table_path = out / f"{config.name}-sensitivity.csv"
    staging.check_target(netcdf)
    staging.check_target(table_path)
    shape = budget.run_shape(config)
    if method == "sobol":
        shape = shape.with_draws(sobol_draws(config))
    budget.check_in_memory(shape, budget.memory_limit(max_memory), _local_workers(None, None))
    remove_leftovers(out, (netcdf, table_path), notes)
    with no_overflow():
        indices = sensitivity(config, method=method, period_days=period_days)
    io.write_with_table(indices, netcdf, indices, table_path)
    return RunOutcome(indices, netcdf, table_path)


def read_results(path: str | Path) -> xr.Dataset:
    """The results file at ``path``, read into memory and checked to be one of ours."""
    results = io.read_netcdf(path)
    check_results(results, str(path))
    return results


def figures_from_file(
    results_path: str | Path,
    out_dir: str | Path | None = None,
    *,
    html: bool = False,
    width: str = "page",
) -> FiguresOutcome:
    """Draw every figure that applies to the results file at ``results_path``
    into ``out_dir`` (default: the results file's folder) as PNG and SVG, at
    ``width`` ("page", 16 cm, or "column", 8 cm: ``<name>-column.png``), and with
    ``html`` the report ``<name>-report.html``; all files appear together."""
    check_width(width)
    results = read_results(results_path)
    out = output_folder(Path(results_path).parent if out_dir is None else out_dir)
    if html:
        paths, notes = write_report(results, out, width)
    else:
        paths, notes = write_figures(results, out, width)
    return FiguresOutcome(paths, notes)


def import_to_config(
    facilities: str | Path,
    out: str | Path,
    *,
    attacks: str | Path | None = None,
    start: str | None = None,
    travel_minutes: str | Path | None = None,
) -> Path:
    """Write the configuration imported from the facility table (and the attack records
    and travel-time matrix, when given) to ``out``; ``start`` is ``--start`` as written."""
    return import_tables(
        facilities,
        out,
        attacks=attacks,
        start=parse_start(start),
        travel_minutes=travel_minutes,
    )
