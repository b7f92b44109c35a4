"""The parser of the ``facility-impact`` command line: one function per command adds
its subparser, options and handler (:mod:`facility_impact.cli.handlers`);
:func:`build_parser` gives every command ``-q`` and ``-v``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

from facility_impact import commands
from facility_impact.cli.handlers import (
    EXIT_BAD_INPUT,
    PROGRAM,
    _command_check,
    _command_evidence,
    _command_import,
    _command_plot,
    _command_report,
    _command_run,
    _command_schema,
    _command_sensitivity,
)
from facility_impact.config.observed import OBSERVED_TABLE
from facility_impact.results.saved import SAVE_CHOICES
from facility_impact.run import calibration, validation
from facility_impact.run.intervals import CONFIDENCE_LEVEL, DEFAULT_TOLERANCE
from facility_impact.run.scale import DEFAULT_CHUNK_DRAWS
from facility_impact.run.sizes import parse_bytes
from facility_impact.version import __version__

# argparse's own (private) name for what add_subparsers returns; it has no public one.
Subcommands = argparse._SubParsersAction


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


_WIDTH_HELP = (
    "figure width: page (16 cm, an A4 text block) or column (8 cm, for a brief; files "
    "<config>-<figure>-column.png) [page]"
)


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
    """The command line: one subparser per command, each added by its own function."""
    parser = _Parser(
        prog=PROGRAM,
        description="How much health care is lost when a health facility is struck, "
        "for whom, for how long, and what would shorten it.",
    )
    parser.add_argument("--version", action="version", version=f"facility_impact {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run_parser(subcommands)
    _add_check_parser(subcommands)
    _add_schema_parser(subcommands)
    _add_sensitivity_parser(subcommands)
    _add_plot_parser(subcommands)
    _add_report_parser(subcommands)
    _add_import_parser(subcommands)
    _add_evidence_parsers(subcommands)
    for command in subcommands.choices.values():
        _add_verbosity_options(command)
    return parser


def _add_verbosity_options(command: argparse.ArgumentParser) -> None:
    """-q and -v, which every command takes (added to each by :func:`build_parser`)."""
    group = command.add_argument_group("what goes to stderr besides errors")
    for flags, text in (
        (("-q", "--quiet"), "no notes, no progress bar; -qq: no warnings either (never errors)"),
        (("-v", "--verbose"), "details too (timings, what each step did)"),
    ):
        group.add_argument(*flags, action="count", default=0, help=text)


def _add_run_parser(subcommands: Subcommands[_Parser]) -> None:
    run = subcommands.add_parser(
        "run",
        help="simulate a configuration; write results (NetCDF) and a summary (CSV)",
        description="Simulate CONFIG and write DIR/<config>.nc and DIR/<config>-summary.csv; "
        "print the headline numbers.",
    )
    run.add_argument("config", metavar="CONFIG", help="scenario configuration (TOML)")
    run.add_argument("--out", default="results", metavar="DIR", help="output folder [results]")
    for flag, text in (
        ("--report", "also write the HTML report DIR/<config>-report.html (as `report` does)"),
        ("--plots", "also draw every figure that applies as DIR/<config>-<figure>.png and .svg"),
        (
            "--json",
            "print the headline numbers and the files written as JSON on stdout, "
            "instead of the tables (schema: docs/cli.md)",
        ),
    ):
        run.add_argument(flag, action="store_true", help=text)
    run.add_argument("--width", default="page", metavar="WIDTH", help=_WIDTH_HELP)
    run.add_argument(
        "--save",
        choices=SAVE_CHOICES,
        help="what the results file keeps of a run with draws: the per-draw summaries and "
        "the daily 5th, 50th and 95th percentiles over draws (summary, default), or every "
        "draw's daily values (daily, large; the only choice with --format zarr); a run "
        "without draws keeps its daily values",
    )
    _add_ensemble_options(run)
    _add_run_options(run)
    _add_scale_options(run)
    run.set_defaults(handler=_command_run)


def _memory(text: str) -> int:
    """An argparse type: an amount of memory (``4GB``, ``512MiB``)."""
    try:
        return parse_bytes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_run_options(command: argparse.ArgumentParser) -> None:
    """Options of every command that simulates: its memory."""
    command.add_argument(
        "--max-memory",
        type=_memory,
        metavar="SIZE",
        help="memory the run may take, e.g. 4GB or 512MiB [what the machine has available]; "
        "a run estimated to need more is refused before it starts (or, with --format zarr, "
        "cut into smaller chunks)",
    )


def _add_scale_options(run: argparse.ArgumentParser) -> None:
    scale = run.add_argument_group(
        "large ensembles (chunked, out of core; needs the 'scale' extra)",
        "--format zarr runs the simulation in chunks with dask, streaming the results "
        "into a Zarr store: the same numbers, bit for bit, as the in-memory run. The "
        "other options tune it and need it.",
    )
    scale.add_argument(
        "--format",
        choices=commands.OUTPUT_FORMATS,
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


def _add_check_parser(subcommands: Subcommands[_Parser]) -> None:
    check = subcommands.add_parser(
        "check",
        help="validate a configuration and describe it",
        description="Check CONFIG without simulating; print what it describes.",
    )
    check.add_argument("config", metavar="CONFIG", help="scenario configuration (TOML)")
    _add_set_option(check)
    check.set_defaults(handler=_command_check)


def _add_schema_parser(subcommands: Subcommands[_Parser]) -> None:
    schema = subcommands.add_parser(
        "schema",
        help="print the JSON Schema of a configuration, or check configurations against it",
        description="Without CONFIG: print the JSON Schema (draft 2020-12) of a configuration "
        "file, for editors and other tools. With CONFIG files: check each as `check` does and "
        "print one line per file.",
    )
    schema.add_argument("configs", nargs="*", metavar="CONFIG", help="configurations to check")
    schema.add_argument("--out", metavar="FILE", help="write the schema to FILE instead")
    schema.set_defaults(handler=_command_schema)


def _add_sensitivity_parser(subcommands: Subcommands[_Parser]) -> None:
    sensitivity = subcommands.add_parser(
        "sensitivity",
        help="rank the uncertain inputs that drive forgone care",
        description="Which distributions of CONFIG drive forgone care per facility and "
        "service: Spearman rank correlation over the Latin hypercube draws, or Sobol "
        f"indices (first order and total), each with its {CONFIDENCE_LEVEL:.0%} confidence "
        "interval. Writes DIR/<config>-sensitivity.nc and .csv; warns when intervals are "
        "wider than --tolerance and says how many draws would narrow them.",
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
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        metavar="WIDTH",
        help=f"widest {CONFIDENCE_LEVEL:.0%}% confidence interval of an index before a warning "
        f"[{DEFAULT_TOLERANCE:g}: an index known to about ±{DEFAULT_TOLERANCE / 2:g}]",
    )
    sensitivity.add_argument(
        "--out", default="results", metavar="DIR", help="output folder [results]"
    )
    _add_ensemble_options(sensitivity)
    _add_run_options(sensitivity)
    sensitivity.set_defaults(handler=_command_sensitivity)


def _add_plot_parser(subcommands: Subcommands[_Parser]) -> None:
    _add_figures_parser(
        subcommands,
        "plot",
        help="draw every figure that applies from a results file (PNG and SVG)",
        description="Draw from RESULTS.nc alone every report figure that applies (capacity, "
        "forgone care, scenarios, sweep heatmap, sensitivity, standards, network load) as "
        "DIR/<config>-<figure>.png and .svg; note on stderr each figure that does not apply.",
        out=("figures", "output folder [figures]"),
    ).set_defaults(handler=_command_plot)


def _add_report_parser(subcommands: Subcommands[_Parser]) -> None:
    _add_figures_parser(
        subcommands,
        "report",
        help="write the figures and a self-contained HTML report from a results file",
        description="Draw every figure that applies from RESULTS.nc alone and write "
        "DIR/<config>-report.html: headline numbers, figures (embedded), assumptions with "
        "their sources, and the configuration. Opens offline in any browser.",
        out=(None, "output folder [the folder of RESULTS.nc]"),
    ).set_defaults(handler=_command_report)


def _add_figures_parser(
    subcommands: Subcommands[_Parser],
    name: str,
    *,
    help: str,
    description: str,
    out: tuple[str | None, str],
) -> argparse.ArgumentParser:
    """A command that draws from a results file: RESULTS.nc, --out (``out``: default
    and help) and --width."""
    command = subcommands.add_parser(name, help=help, description=description)
    command.add_argument("results", metavar="RESULTS.nc", help="results file written by run")
    command.add_argument("--out", default=out[0], metavar="DIR", help=out[1])
    command.add_argument("--width", default="page", metavar="WIDTH", help=_WIDTH_HELP)
    return command


def _add_import_parser(subcommands: Subcommands[_Parser]) -> None:
    command = subcommands.add_parser(
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


def _add_evidence_parsers(subcommands: Subcommands[_Parser]) -> None:
    """``validate`` and ``calibrate``: the model against the observed effects."""
    validate = subcommands.add_parser(
        "validate",
        help="compare the model with the observed effects of attacks on service use",
        description="Run the typical attack of each usable observed effect at a facility "
        "like the studied ones; print observed and modelled relative risks side by side; "
        "write DIR/validation.csv and .png. A report, not a gate: exits 0 either way.",
    )
    calibrate = subcommands.add_parser(
        "calibrate",
        help="fit the priors' calibrated hyperparameters to the observed effects",
        description="Fit the priors' calibrated entries to the observed effects, some held out; "
        "write DIR/attack_priors-calibrated.toml and diagnostics (docs/validation.md).",
    )
    calibrate.add_argument(
        "--holdout",
        nargs="+",
        metavar="ID",
        help="effect ids or studies kept out of the fit [those of data/validation.toml]",
    )
    defaults = (validation.DEFAULT_DRAWS, calibration.DEFAULT_DRAWS)
    for command, draws in zip((validate, calibrate), defaults, strict=True):
        for flag, metavar, kind, text in (
            ("--out", "DIR", str, "output folder [results]"),
            ("--draws", "N", _whole_number(1), f"draws of the priors [{draws}]"),
            ("--seed", "N", _whole_number(0), f"random seed [{validation.DEFAULT_SEED}]"),
            ("--observed", "FILE", str, f"observed effects [{OBSERVED_TABLE}]"),
            ("--priors", "FILE", str, "priors table [the package's attack_priors.toml]"),
        ):
            command.add_argument(flag, metavar=metavar, type=kind, help=text)
        command.set_defaults(
            out="results", draws=draws, seed=validation.DEFAULT_SEED, handler=_command_evidence
        )
