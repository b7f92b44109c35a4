"""The workflow of ``run``, ``sensitivity``, ``plot``, ``report`` and ``import``: one
path for the command line and the Python API (see :mod:`facility_impact.commands`)."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import xarray as xr

from facility_impact.config import Config
from facility_impact.errors import ConfigError
from facility_impact.ingest import import_tables, parse_start
from facility_impact.present.canvas import figure_stem
from facility_impact.present.catalogue import check_width, draw_figures
from facility_impact.present.report import (
    check_results,
    figure_files,
    report_html,
    write_figures,
    write_report,
)
from facility_impact.results.headline_json import headline_document
from facility_impact.results.saved import SAVE_CHOICES, saved_summary
from facility_impact.results.summary import reduced
from facility_impact.run import budget, chunked, io, progress, scale, staging, summary_store
from facility_impact.run.intervals import DEFAULT_TOLERANCE
from facility_impact.run.sensitivity import sensitivity, sobol_draws
from facility_impact.run.sizes import show_bytes
from facility_impact.run.summarising import per_draw_and_bands
from facility_impact.run.workflow import simulate

logger = logging.getLogger(__name__)

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
    other_paths: tuple[Path, ...] = ()
    """What was written with them: the figures (PNG, SVG) and the report."""

    @property
    def paths(self) -> list[Path]:
        """Every file (or store) written, the results first."""
        return [self.data_path, self.table_path, *self.other_paths]


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


def remove_leftovers(folder: Path, targets: Sequence[Path]) -> list[Path]:
    """Remove what interrupted runs left of ``targets`` in ``folder`` (hidden
    ``.part`` names older than this process), noting each in the log."""
    removed = staging.remove_leftovers(folder, [target.name for target in targets])
    for path in removed:
        logger.info("removed %s, left behind by an interrupted run", path)
    return removed


def chunk_options(
    output_format: str,
    chunk_draws: int | None,
    chunk_days: int | None,
    workers: int | None,
    scheduler: str | None,
) -> dict[str, int] | None:
    """The chunks of a chunked run from the command line's options, or ``None`` for
    the in-memory path or the default chunks.

    --format zarr asks for the chunked path; --chunk-draws, --chunk-days,
    --workers and --scheduler tune it and need it. Bad combinations are bad input.
    """
    if workers is not None and scheduler is not None:
        raise ConfigError(
            f"--workers = {workers} and --scheduler = {json.dumps(scheduler)}: "
            "give one (--workers starts a local cluster, --scheduler uses an existing one)"
        )
    given = {
        "--chunk-draws": chunk_draws,
        "--chunk-days": chunk_days,
        "--workers": workers,
        "--scheduler": scheduler,
    }
    asked = [option for option, value in given.items() if value is not None]
    if asked and output_format != "zarr":
        raise ConfigError(
            f"{asked[0]} needs --format zarr: chunked runs stream their blocks into a "
            f"Zarr store; --format = {json.dumps(output_format)} is written in memory"
        )
    if output_format != "zarr":
        return None
    require_chunked()
    if chunk_draws is None and chunk_days is None:
        return None  # the default chunks, or fewer draws per chunk to fit the memory
    return scale.run_chunks(chunk_draws, chunk_days)


def check_save(save: str | None, output_format: str) -> str:
    """What the results keep: ``save``, or by default ``summary`` in a NetCDF file and
    ``daily`` in a Zarr store (whose summary pass reads the draws' days back, and
    which holds the per-draw summaries in its ``per_run`` group as well). Anything
    else, or ``summary`` asked of a store, is bad input."""
    if save is None:
        return "summary"
    if save not in SAVE_CHOICES:
        raise ConfigError(
            f"--save = {json.dumps(save)}: must be one of {', '.join(SAVE_CHOICES)} "
            "(summary: per-draw summaries and daily bands over draws; daily: every draw's days)"
        )
    return save


def run_document(outcome: RunOutcome, configuration: str) -> dict[str, Any]:
    """The headline numbers of a run as a JSON-ready mapping (``run --json``;
    :func:`~facility_impact.results.headline_json.headline_document`), with the
    files it wrote under ``files``."""
    document = headline_document(outcome.table, configuration)
    document["files"] = [str(path) for path in outcome.paths]
    return document


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
) -> Mapping[str, int]:
    """The chunks of a chunked run: those given if they fit the memory, else
    the default ones or fewer draws per chunk (noted in the log)."""
    shape = budget.run_shape(config)
    limit = budget.memory_limit(max_memory)
    given = chunks or {}
    plan = budget.plan_chunked(shape, limit, local_workers, given.get("draw"), given.get("time"))
    if chunks is not None:
        return chunks
    if shape.draws and plan.chunk_draws < min(scale.DEFAULT_CHUNK_DRAWS, shape.draws):
        assert limit is not None  # only a limit makes the plan smaller than the default
        size = show_bytes(plan.bytes)
        logger.info("chunks of %s draws (about %s) to fit %s", plan.chunk_draws, size, limit.source)
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
    report: bool = False,
    plots: bool = False,
    width: str = "page",
    save: str | None = None,
) -> RunOutcome:
    """Simulate ``config``; write ``<name>.nc`` (or ``.zarr``) and ``<name>-summary.csv``,
    and with ``report`` the HTML report ``<name>-report.html``, with ``plots`` every
    figure that applies as PNG and SVG (as ``report`` and ``plot`` would from the
    results file, at ``width``: "page" or "column"), all into ``out_dir`` and all
    together or none.

    ``output_format="netcdf"`` simulates in memory; ``"zarr"`` simulates in
    chunks with dask (``chunks`` as for :func:`facility_impact.simulate`,
    default :func:`~facility_impact.run.scale.run_chunks`, or fewer draws per
    chunk when those would not fit the memory) on a local pool of processes, a
    local cluster of ``workers`` processes, or the existing cluster at
    ``scheduler``. Both give the same numbers, bit for bit. A progress bar goes
    to ``progress_stream`` (stderr by default) when it is a terminal
    (:func:`~facility_impact.run.progress.shows_progress`).

    Before anything is drawn, the memory the run needs is estimated
    (:mod:`facility_impact.run.budget`) against what the machine has and
    ``max_memory`` [B]: a run that cannot fit is refused with a ConfigError
    naming the options that make it fit. Leftovers of interrupted runs of the
    same outputs are removed first; notes go to the ``facility_impact`` logger.

    ``save``: what the results file keeps of a run with draws: ``"summary"`` (the
    per-draw summaries and the daily quantile bands over draws,
    :mod:`facility_impact.results.saved`; the default for NetCDF) or ``"daily"``
    (every draw's days; the default, and the only choice, for Zarr). A run
    without draws writes its daily results either way.
    """
    if output_format not in OUTPUT_FORMATS:
        raise ConfigError(
            f"--format = {json.dumps(output_format)}: must be one of {', '.join(OUTPUT_FORMATS)}"
        )
    save = check_save(save, output_format)
    if (report or plots) and output_format != "netcdf":
        asked = "--report" if report else "--plots"
        raise ConfigError(
            f"{asked} needs --format netcdf: the report and the figures are drawn from "
            f"results in memory; --format = {json.dumps(output_format)} streams them to a store"
        )
    check_width(width)
    out = output_folder(out_dir)
    target = scale.result_path(out, config.name, output_format)
    table_path = out / f"{config.name}-summary.csv"
    staging.check_target(target, folder=output_format == "zarr")
    staging.check_target(table_path)
    local_workers = _local_workers(workers, scheduler)
    if output_format == "zarr":
        require_chunked()
        plan = _fit_chunks(config, chunks, local_workers, max_memory)
        remove_leftovers(out, (target, table_path))
        summary = _run_chunked(
            config, (target, table_path), plan, save, (workers, scheduler), progress_stream
        )
        return RunOutcome(summary, target, table_path)
    if chunks is not None or workers is not None or scheduler is not None:
        raise ConfigError(
            'chunks, workers and scheduler need the chunked path: output_format = "zarr"'
        )
    budget.check_in_memory(budget.run_shape(config), budget.memory_limit(max_memory), local_workers)
    remove_leftovers(out, (target, table_path))
    return _run_in_memory(config, target, table_path, progress_stream, (report, plots, width), save)


def _run_chunked(
    config: Config,
    targets: tuple[Path, Path],
    plan: Mapping[str, int],
    save: str,
    cluster: tuple[int | None, str | None],
    progress_stream: TextIO | None,
) -> xr.Dataset:
    """:func:`run_to_files` in chunks into the store and the table of ``targets``:
    every draw's days (``save`` "daily") or the bands and per-draw summaries alone
    (:mod:`~facility_impact.run.summary_store`), on the ``cluster`` asked (workers,
    scheduler). Returns the summary."""
    workers, scheduler = cluster
    target, table_path = targets
    with no_overflow(), scale.dask_client(workers=workers, address=scheduler) as client:
        if save == "daily":
            return scale.write_chunked(config, target, table_path, plan, client, progress_stream)
        draws = plan.get("draw", scale.DEFAULT_CHUNK_DRAWS)
        return summary_store.write_summary_store(
            config, target, table_path, draws, client, progress_stream
        )


def _run_in_memory(
    config: Config,
    target: Path,
    table_path: Path,
    progress_stream: TextIO | None,
    shown: tuple[bool, bool, str],
    save: str,
) -> RunOutcome:
    """:func:`run_to_files` in memory: simulate, summarise, write what ``save`` asks
    and the figures and report ``shown`` asks (report, plots, width)."""
    out = target.parent
    started = time.perf_counter()
    with no_overflow():
        with progress.day_progress(progress_stream) as advance:
            results = simulate(config, progress=advance)
        logger.debug("simulated in %.1f s", time.perf_counter() - started)
        per_draw, bands = per_draw_and_bands(results, bands=save == "summary")
        summary = reduced(per_draw)
        logger.debug("summarised in %.1f s", time.perf_counter() - started)
    others = {out / name: content for name, content in _shown(results, summary, *shown)}
    remove_leftovers(out, tuple(others))
    written = saved_summary(results, per_draw, bands) if save == "summary" else results
    io.write_with_table(written, target, summary, table_path, others)
    logger.debug("run and files done in %.1f s", time.perf_counter() - started)
    return RunOutcome(summary, target, table_path, tuple(others))


def _shown(
    results: xr.Dataset, summary: xr.Dataset, report: bool, plots: bool, width: str
) -> list[tuple[str, bytes]]:
    """The files of the figures (with ``plots``) and of the report (with ``report``),
    as ``plot`` and ``report`` write them: name and content. Notes on figures not
    drawn go to the log."""
    if not (report or plots):
        return []
    figures = draw_figures(results, summary, width)
    for note in figures.notes:
        logger.info(note)
    stem = figure_stem(results)
    images = figure_files(figures, stem)
    files = list(images.items()) if plots else []
    if report:
        page = report_html(results, summary, figures, images, stem)
        files.append((f"{stem}-report.html", page.encode("utf-8")))
    return files


def sensitivity_to_files(
    config: Config,
    out_dir: str | Path,
    *,
    method: str = "spearman",
    period_days: float | None = None,
    max_memory: int | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> RunOutcome:
    """Rank the uncertain inputs of ``config`` (:func:`facility_impact.sensitivity`,
    with the confidence intervals and the warnings of intervals wider than
    ``tolerance``); write ``<name>-sensitivity.nc`` and ``<name>-sensitivity.csv``.
    Refused before anything is drawn when its simulation cannot fit the memory
    (as :func:`run_to_files`)."""
    out = output_folder(out_dir)
    netcdf = out / f"{config.name}-sensitivity.nc"
    table_path = out / f"{config.name}-sensitivity.csv"
    staging.check_target(netcdf)
    staging.check_target(table_path)
    shape = budget.run_shape(config)
    if method == "sobol":
        shape = shape.with_draws(sobol_draws(config))
    budget.check_in_memory(shape, budget.memory_limit(max_memory), _local_workers(None, None))
    remove_leftovers(out, (netcdf, table_path))
    with no_overflow():
        indices = sensitivity(config, method=method, period_days=period_days, tolerance=tolerance)
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
