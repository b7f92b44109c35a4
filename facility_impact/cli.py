"""The ``facility-impact`` command line: wires configuration, simulation, files and figures.

Bad input of any kind prints one line to stderr and exits with status 2; a run
that fails for another reason (a dask cluster that lost its workers) exits with
status 1. Either way no output file is created or overwritten.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from facility_impact.errors import ConfigError

EXIT_BAD_INPUT = 2
EXIT_RUN_FAILED = 1

DEFAULT_CHUNK_DRAWS = 50_000
"""Draws per chunk of a chunked run when ``--chunk-draws`` is not given."""


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r}: must be at least {minimum}")
        return value

    return parse


def _output_folder(text: str) -> Path:
    """``--out``: a folder that exists or can be made; a file in the way is bad input."""
    folder = Path(text)
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                raise ConfigError(
                    f"--out = {json.dumps(text)}: {part} is a file; "
                    "must be a folder (existing or new)"
                )
            break
    return folder


def _load(args: argparse.Namespace):
    """The configuration with the command line's overrides (--horizon, --seed, --draws, --set)."""
    from facility_impact.config import load_config, parse_setting

    return load_config(
        args.config,
        horizon_days=getattr(args, "horizon", None),
        seed=getattr(args, "seed", None),
        draws=getattr(args, "draws", None),
        settings=[parse_setting(text) for text in getattr(args, "set", None) or ()],
    )


def _note_unused_draws(args: argparse.Namespace, config) -> None:
    if getattr(args, "draws", None) and config.draws == 0:
        print(
            "facility-impact: note: --draws has no effect: no input of the configuration "
            "is a distribution",
            file=sys.stderr,
        )


def _command_run(args: argparse.Namespace) -> int:
    from facility_impact.present.tables import format_summary
    from facility_impact.results.summary import summarize
    from facility_impact.run.workflow import simulate

    chunked = _chunked_options(args)
    config = _load(args)
    _note_unused_draws(args, config)
    out = _output_folder(args.out)
    if chunked is not None:
        return _run_chunked(args, config, out, chunked)
    from facility_impact.run.progress import day_progress

    with day_progress() as advance:
        results = simulate(config, progress=advance)
    summary = summarize(results)
    netcdf, table = out / f"{config.name}.nc", out / f"{config.name}-summary.csv"
    _write_together(results, netcdf, summary, table)
    print(format_summary(summary))
    print(f"\nwrote {netcdf} and {table}")
    return 0


def _chunked_options(args: argparse.Namespace) -> dict[str, int] | None:
    """The chunks of a chunked run, or ``None`` for the in-memory path.

    --format zarr asks for the chunked path; --chunk-draws, --chunk-days,
    --workers and --scheduler tune it and need it. Bad combinations are bad input.
    """
    if args.workers is not None and args.scheduler is not None:
        raise ConfigError(
            f"--workers = {args.workers} and --scheduler = {json.dumps(args.scheduler)}: "
            "give one (--workers starts a local cluster, --scheduler uses an existing one)"
        )
    asked = [
        option
        for option, given in (
            ("--chunk-draws", args.chunk_draws is not None),
            ("--chunk-days", args.chunk_days is not None),
            ("--workers", args.workers is not None),
            ("--scheduler", args.scheduler is not None),
        )
        if given
    ]
    if asked and args.format != "zarr":
        raise ConfigError(
            f"{asked[0]} needs --format zarr: chunked runs stream their blocks into a "
            f"Zarr store; --format = {json.dumps(args.format)} is written in memory"
        )
    wanted = args.format == "zarr"
    if not wanted:
        return None
    from facility_impact.run.chunked import MissingDaskError, require_dask

    try:
        require_dask()
    except MissingDaskError as error:
        raise ConfigError(str(error)) from None
    chunks = {"draw": args.chunk_draws or DEFAULT_CHUNK_DRAWS, "scenario": 1}
    if args.chunk_days is not None:
        chunks["time"] = args.chunk_days
    return chunks


def _run_chunked(args: argparse.Namespace, config, out: Path, chunks: dict[str, int]) -> int:
    """Simulate in chunks with dask; write the store and the summary together."""
    from facility_impact.present.tables import format_summary
    from facility_impact.run.scale import RunFailed, dask_client, result_path, write_chunked

    target = result_path(out, config.name, args.format)
    table = out / f"{config.name}-summary.csv"
    try:
        with dask_client(workers=args.workers, address=args.scheduler) as client:
            summary = write_chunked(config, target, table, chunks, client)
    except RunFailed as error:
        print(f"facility-impact: error: {error}; nothing was written", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(format_summary(summary))
    print(f"\nwrote {target} and {table}")
    return 0


def _write_together(dataset, netcdf: Path, tabulated, table: Path) -> None:
    """``dataset`` as NetCDF and ``tabulated`` as CSV: both files appear or neither."""
    from facility_impact.results.summary_table import summary_table
    from facility_impact.run.io import atomic_paths, save_csv, save_netcdf

    header, rows = summary_table(tabulated)
    with atomic_paths(netcdf, table) as (netcdf_part, table_part):
        save_netcdf(dataset, netcdf_part)
        save_csv(header, rows, table_part)


def _command_check(args: argparse.Namespace) -> int:
    from facility_impact.present.tables import describe_config

    print(describe_config(_load(args)))
    print("configuration is valid")
    return 0


def _command_sensitivity(args: argparse.Namespace) -> int:
    from facility_impact.present.tables import format_sensitivity
    from facility_impact.run.sensitivity import sensitivity

    config = _load(args)
    out = _output_folder(args.out)
    indices = sensitivity(config, method=args.method, period_days=args.period)
    netcdf = out / f"{config.name}-sensitivity.nc"
    table = out / f"{config.name}-sensitivity.csv"
    _write_together(indices, netcdf, indices, table)
    print(format_sensitivity(indices))
    print(f"\nwrote {netcdf} and {table}")
    return 0


def _read_results(args: argparse.Namespace):
    """The results file named on the command line, checked to be one of ours."""
    from facility_impact.present.report import check_results
    from facility_impact.run.io import read_netcdf

    results = read_netcdf(args.results)
    check_results(results, args.results)
    return results


def _print_written(paths: list[Path], notes: list[str]) -> None:
    for note in notes:
        print(f"facility-impact: note: {note}", file=sys.stderr)
    for path in paths:
        print(f"wrote {path}")


def _command_plot(args: argparse.Namespace) -> int:
    from facility_impact.present.report import write_figures

    results = _read_results(args)
    out = _output_folder(args.out)
    _print_written(*write_figures(results, out))
    return 0


def _command_report(args: argparse.Namespace) -> int:
    from facility_impact.present.report import write_report

    results = _read_results(args)
    out = _output_folder(args.out if args.out is not None else str(Path(args.results).parent))
    _print_written(*write_report(results, out))
    return 0


def _command_import(args: argparse.Namespace) -> int:
    # issue 15: every rule of the import lives in facility_impact.ingest.
    from facility_impact.ingest import import_tables, parse_start

    out = import_tables(
        args.facilities,
        args.out,
        attacks=args.attacks,
        start=parse_start(args.start),
        travel_minutes=args.travel_minutes,
    )
    print(f"wrote {out}")
    return 0


def _add_import_command(commands: argparse._SubParsersAction) -> None:
    """issue 15: ``import FACILITIES [--attacks] [--start] [--travel-minutes] --out``."""
    command = commands.add_parser(
        "import",
        help="write a configuration from a facility table (CSV or GeoJSON) and attack records",
        description="Read FACILITIES (CSV, or GeoJSON points) and optionally attack records "
        "and a travel-time matrix; write CONFIG.toml, every value commented with the row and "
        "column it came from or the default it is (docs/data_import.md).",
    )
    command.add_argument("facilities", metavar="FACILITIES", help="facility table (.csv, .geojson)")
    command.add_argument("--attacks", metavar="ATTACKS", help="attack records (.csv)")
    command.add_argument(
        "--start", metavar="DATE", help="run.start_date [the earliest attack date]"
    )
    command.add_argument(
        "--travel-minutes",
        metavar="CSV",
        help="travel times [min] between facility ids, instead of distances from coordinates",
    )
    command.add_argument("--out", required=True, metavar="CONFIG.toml", help="file to write")
    command.set_defaults(handler=_command_import)


def _add_set_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a configuration key, e.g. strike.0.closure_days=45 or "
        "strike.0.closure_days=[7,30,90] (a sweep); repeatable; checked like the file",
    )


def _add_ensemble_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--horizon", type=_whole_number(1), metavar="DAYS", help="override run.horizon_days [d]"
    )
    command.add_argument("--seed", type=_whole_number(0), metavar="N", help="override run.seed")
    command.add_argument(
        "--draws",
        type=_whole_number(1),
        metavar="N",
        help="Monte Carlo draws of the distributions (override run.draws)",
    )
    _add_set_option(command)


class _Parser(argparse.ArgumentParser):
    """Bad options are bad input: one line on stderr and status 2, like a bad file."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="facility-impact",
        description="How much health care is lost when a health facility is struck, "
        "for whom, for how long, and what would shorten it.",
    )
    from facility_impact.version import __version__

    parser.add_argument("--version", action="version", version=f"facility_impact {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="simulate a configuration; write results (NetCDF) and a summary (CSV)",
        description="Simulate CONFIG and write DIR/<config>.nc and DIR/<config>-summary.csv; "
        "print the headline numbers.",
    )
    run.add_argument("config", metavar="CONFIG", help="scenario configuration (TOML)")
    run.add_argument("--out", default="results", metavar="DIR", help="output folder [results]")
    _add_ensemble_options(run)
    scale = run.add_argument_group(
        "large ensembles (chunked, out of core; needs the 'scale' extra)",
        "--format zarr runs the simulation in chunks with dask, streaming the results "
        "into a Zarr store: the same numbers, bit for bit, as the in-memory run. The "
        "other options tune it and need it.",
    )
    scale.add_argument(
        "--format",
        choices=("netcdf", "zarr"),
        default="netcdf",
        help="results: the file DIR/<config>.nc, simulated in memory (netcdf, default), "
        "or the folder DIR/<config>.zarr, simulated in chunks (zarr)",
    )
    scale.add_argument(
        "--chunk-draws",
        type=_whole_number(1),
        metavar="N",
        help=f"draws per chunk [{DEFAULT_CHUNK_DRAWS:,}]; scenarios are chunked one by one",
    )
    scale.add_argument(
        "--chunk-days",
        type=_whole_number(1),
        metavar="DAYS",
        help="days simulated per task [as many as fit in 256 MiB of outputs]",
    )
    scale.add_argument(
        "--workers",
        type=_whole_number(1),
        metavar="N",
        help="start a local dask.distributed cluster of N worker processes for the run",
    )
    scale.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing dask.distributed cluster, e.g. tcp://10.0.0.5:8786 "
        "(its workers must see DIR)",
    )
    run.set_defaults(handler=_command_run)

    check = commands.add_parser(
        "check",
        help="validate a configuration and describe it",
        description="Check CONFIG without simulating; print what it describes.",
    )
    check.add_argument("config", metavar="CONFIG", help="scenario configuration (TOML)")
    _add_set_option(check)
    check.set_defaults(handler=_command_check)

    sensitivity = commands.add_parser(
        "sensitivity",
        help="rank the uncertain inputs that drive forgone care",
        description="Which distributions of CONFIG drive forgone care per facility and "
        "service: Spearman rank correlation over the Latin hypercube draws, or Sobol "
        "indices (first order and total). Writes DIR/<config>-sensitivity.nc and .csv.",
    )
    sensitivity.add_argument("config", metavar="CONFIG", help="scenario configuration (TOML)")
    sensitivity.add_argument(
        "--method",
        choices=("spearman", "sobol"),
        default="spearman",
        help="spearman (default) or sobol; sobol runs N (inputs + 2) draws, "
        "N = --draws rounded up to a power of two",
    )
    sensitivity.add_argument(
        "--period",
        type=_whole_number(1),
        metavar="DAYS",
        help="window after the first strike: 30, 90, 180, 365 or the horizon [horizon]",
    )
    sensitivity.add_argument(
        "--out", default="results", metavar="DIR", help="output folder [results]"
    )
    _add_ensemble_options(sensitivity)
    sensitivity.set_defaults(handler=_command_sensitivity)

    plot = commands.add_parser(
        "plot",
        help="draw every figure that applies from a results file (PNG and SVG)",
        description="Draw from RESULTS.nc alone every report figure that applies (capacity, "
        "forgone care, scenarios, sweep heatmap, sensitivity, standards, network load) as "
        "DIR/<config>-<figure>.png and .svg; note on stderr each figure that does not apply.",
    )
    plot.add_argument("results", metavar="RESULTS.nc", help="results file written by run")
    plot.add_argument("--out", default="figures", metavar="DIR", help="output folder [figures]")
    plot.set_defaults(handler=_command_plot)

    report = commands.add_parser(
        "report",
        help="write the figures and a self-contained HTML report from a results file",
        description="Draw every figure that applies from RESULTS.nc alone and write "
        "DIR/<config>-report.html: headline numbers, figures (embedded), assumptions with "
        "their sources, and the configuration. Opens offline in any browser.",
    )
    report.add_argument("results", metavar="RESULTS.nc", help="results file written by run")
    report.add_argument("--out", metavar="DIR", help="output folder [the folder of RESULTS.nc]")
    report.set_defaults(handler=_command_report)
    _add_import_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"facility-impact: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        # An output folder that cannot be written is a bad --out, not a crash.
        where = f" {error.filename}" if error.filename else ""
        print(f"facility-impact: error: cannot write{where}: {error.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT


def console_main() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
