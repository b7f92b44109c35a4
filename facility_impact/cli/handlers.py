"""What each command of the ``facility-impact`` command line does with its parsed
arguments: load, call the workflow (:mod:`facility_impact.commands`) and print.
Tables, ``wrote`` lines and ``--json`` go to stdout; notes and warnings to the
``facility_impact`` logger (docs/cli.md)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from facility_impact import commands
from facility_impact.config import Config, load_config, parse_setting
from facility_impact.config.baseline import baseline_lines, baseline_warnings
from facility_impact.config.schema import check_files, json_schema_text, write_json_schema
from facility_impact.present.describe import describe_config
from facility_impact.present.sensitivity_table import format_sensitivity
from facility_impact.present.tables import format_summary
from facility_impact.present.validation import format_calibration, format_validation
from facility_impact.run.scale import RunFailed

EXIT_BAD_INPUT = 2
EXIT_RUN_FAILED = 1

PROGRAM = "facility-impact"

logger = logging.getLogger("facility_impact.cli")

Handler = Callable[[argparse.Namespace], int]
"""What a subcommand runs: its parsed arguments → exit status."""


def _load(args: argparse.Namespace) -> Config:
    """The configuration with the command line's overrides (--horizon, --seed, --draws, --set)."""
    return load_config(
        args.config,
        horizon_days=getattr(args, "horizon", None),
        seed=getattr(args, "seed", None),
        draws=getattr(args, "draws", None),
        settings=[parse_setting(text) for text in getattr(args, "set", None) or ()],
    )


def _note_unused_draws(args: argparse.Namespace, config: Config) -> None:
    if getattr(args, "draws", None) and config.draws == 0:
        logger.info("--draws has no effect: no input of the configuration is a distribution")


def _print_table(table: str, outcome: commands.RunOutcome) -> None:
    print(table)
    print(f"\nwrote {outcome.data_path} and {outcome.table_path}")
    for path in outcome.other_paths:
        print(f"wrote {path}")


def _command_run(args: argparse.Namespace) -> int:
    chunks = commands.chunk_options(
        args.format, args.chunk_draws, args.chunk_days, args.workers, args.scheduler
    )
    config = _load(args)
    _note_unused_draws(args, config)
    try:
        outcome = commands.run_to_files(
            config,
            args.out,
            output_format=args.format,
            chunks=chunks,
            workers=args.workers,
            scheduler=args.scheduler,
            max_memory=args.max_memory,
            report=args.report,
            plots=args.plots,
            width=args.width,
            save=args.save,
        )
    except RunFailed as error:
        print(f"{PROGRAM}: error: {error}; nothing was written", file=sys.stderr)
        return EXIT_RUN_FAILED
    if args.json:
        print(json.dumps(commands.run_document(outcome, config.name), indent=2, allow_nan=False))
        for path in outcome.paths:
            logger.info("wrote %s", path)
    else:
        _print_table(format_summary(outcome.table), outcome)
    return 0


def _command_check(args: argparse.Namespace) -> int:
    config = _load(args)
    print(describe_config(config))
    print("\n".join(baseline_lines(config)))
    for warning in baseline_warnings(config):
        logger.warning("%s", warning)
    print("configuration is valid")
    return 0


def _command_schema(args: argparse.Namespace) -> int:
    """The JSON Schema of a configuration (printed, or written to --out); or check CONFIGs."""
    if args.configs:
        for line in check_files(args.configs):
            print(line)
    elif args.out is not None:
        write_json_schema(Path(args.out))
        print(f"wrote {args.out}")
    else:
        print(json_schema_text(), end="")
    return 0


def _command_sensitivity(args: argparse.Namespace) -> int:
    config = _load(args)
    outcome = commands.sensitivity_to_files(
        config,
        args.out,
        method=args.method,
        period_days=args.period,
        max_memory=args.max_memory,
        tolerance=args.tolerance,
    )
    _print_table(format_sensitivity(outcome.table), outcome)
    return 0


def _print_figures(outcome: Any) -> None:
    for note in getattr(outcome, "notes", ()):
        logger.info("%s", note)
    for path in outcome.paths:
        print(f"wrote {path}")


def _command_plot(args: argparse.Namespace) -> int:
    _print_figures(commands.figures_from_file(args.results, args.out, width=args.width))
    return 0


def _command_report(args: argparse.Namespace) -> int:
    _print_figures(commands.figures_from_file(args.results, args.out, html=True, width=args.width))
    return 0


def _command_import(args: argparse.Namespace) -> int:
    out = commands.import_to_config(
        args.facilities,
        args.out,
        attacks=args.attacks,
        start=args.start,
        travel_minutes=args.travel_minutes,
    )
    print(f"wrote {out}")
    return 0


def _command_evidence(args: argparse.Namespace) -> int:
    """``validate`` or ``calibrate``: reports, not gates (0 whether the model matches or not)."""
    options = {k: getattr(args, k) for k in ("draws", "seed", "observed", "priors")}
    outcome: Any
    if args.command == "validate":
        outcome = commands.validate_to_files(args.out, **options)
        print(format_validation(outcome.table, outcome.plan.decisions) + "\n")
    else:
        outcome = commands.calibrate_to_files(args.out, holdout=args.holdout, **options)
        print(format_calibration(outcome.calibration, outcome.before, outcome.after) + "\n")
    _print_figures(outcome)
    return 0
