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

Each writes its outputs together or not at all (:mod:`facility_impact.run.io`).
Bad input of any kind (a configuration, a folder, a results file) raises
:class:`~facility_impact.errors.ConfigError`, whose one-line message names the
command-line option concerned; a chunked run whose cluster gave up raises
:class:`~facility_impact.run.scale.RunFailed`.

This layer sits above ``present`` (figures and the report), ``ingest`` and ``run``; only
``cli`` and the package's ``__init__`` import it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import xarray as xr

from facility_impact.config import Config
from facility_impact.errors import ConfigError
from facility_impact.ingest import import_tables, parse_start
from facility_impact.present.report import check_results, write_figures, write_report
from facility_impact.results.summary import summarize
from facility_impact.run import chunked, io, progress, scale
from facility_impact.run.sensitivity import sensitivity
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


def run_to_files(
    config: Config,
    out_dir: str | Path,
    *,
    output_format: str = "netcdf",
    chunks: Mapping[str, int] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress_stream: TextIO | None = None,
) -> RunOutcome:
    """Simulate ``config``; write ``<name>.nc`` (or ``.zarr``) and ``<name>-summary.csv``.

    ``output_format="netcdf"`` simulates in memory; ``"zarr"`` simulates in
    chunks with dask (``chunks`` as for :func:`facility_impact.simulate`,
    default :func:`~facility_impact.run.scale.run_chunks`) on a local pool of
    processes, a local cluster of ``workers`` processes, or the existing
    cluster at ``scheduler``. Both give the same numbers, bit for bit. A
    progress line goes to ``progress_stream`` (stderr by default) when it is a
    terminal.
    """
    if output_format not in OUTPUT_FORMATS:
        raise ConfigError(
            f"--format = {json.dumps(output_format)}: must be one of {', '.join(OUTPUT_FORMATS)}"
        )
    out = output_folder(out_dir)
    target = scale.result_path(out, config.name, output_format)
    table_path = out / f"{config.name}-summary.csv"
    if output_format == "zarr":
        require_chunked()
        plan = scale.run_chunks() if chunks is None else chunks
        with scale.dask_client(workers=workers, address=scheduler) as client:
            summary = scale.write_chunked(config, target, table_path, plan, client, progress_stream)
        return RunOutcome(summary, target, table_path)
    if chunks is not None or workers is not None or scheduler is not None:
        raise ConfigError(
            'chunks, workers and scheduler need the chunked path: output_format = "zarr"'
        )
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
) -> RunOutcome:
    """Rank the uncertain inputs of ``config`` (:func:`facility_impact.sensitivity`);
    write ``<name>-sensitivity.nc`` and ``<name>-sensitivity.csv``."""
    out = output_folder(out_dir)
    indices = sensitivity(config, method=method, period_days=period_days)
    netcdf = out / f"{config.name}-sensitivity.nc"
    table_path = out / f"{config.name}-sensitivity.csv"
    io.write_with_table(indices, netcdf, indices, table_path)
    return RunOutcome(indices, netcdf, table_path)


def read_results(path: str | Path) -> xr.Dataset:
    """The results file at ``path``, read into memory and checked to be one of ours."""
    results = io.read_netcdf(path)
    check_results(results, str(path))
    return results


def figures_from_file(
    results_path: str | Path, out_dir: str | Path | None = None, *, html: bool = False
) -> FiguresOutcome:
    """Draw every figure that applies to the results file at ``results_path``
    into ``out_dir`` (default: the results file's folder) as PNG and SVG, and
    with ``html`` the report ``<name>-report.html``; all files appear together."""
    results = read_results(results_path)
    out = output_folder(Path(results_path).parent if out_dir is None else out_dir)
    paths, notes = write_report(results, out) if html else write_figures(results, out)
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
