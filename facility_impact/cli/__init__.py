"""The ``facility-impact`` command line: reads the arguments, calls the workflow
(:mod:`facility_impact.commands`, which the Python API shares) and prints.

Tables, ``wrote`` lines and ``--json`` go to stdout. Notes, warnings and
progress bars go to stderr through the ``facility_impact`` logger, which every
command sets from ``-q`` / ``-v`` (docs/cli.md).

Bad input of any kind prints one line to stderr and exits with status 2, and
so do a run too large for the memory (refused before it starts), a full disk
and numbers that overflow; a run that fails for another reason (a dask cluster
that lost its workers, a block that failed on a worker) exits with status 1.
Either way no output file is created or overwritten (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from facility_impact.cli.handlers import EXIT_BAD_INPUT, EXIT_RUN_FAILED, PROGRAM, Handler
from facility_impact.cli.parser import build_parser
from facility_impact.errors import ConfigError
from facility_impact.run.progress import log_to_stderr

__all__ = ["EXIT_BAD_INPUT", "EXIT_RUN_FAILED", "PROGRAM", "build_parser", "console_main", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 2 bad input, 1 run failed)."""
    args = build_parser().parse_args(argv)
    with log_to_stderr(PROGRAM, args.verbose - args.quiet):
        return _handle(args)


def _handle(args: argparse.Namespace) -> int:
    """Run the command of ``args``; errors as one line on stderr and their status."""
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        # The estimate (run/budget.py) should refuse such a run before it starts.
        print(
            f"{PROGRAM}: error: out of memory; nothing was written "
            "(--max-memory, or --format zarr with a smaller --chunk-draws, makes it fit)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except OSError as error:
        # An output folder that cannot be written (or a full disk) is an error, not a crash.
        print(f"{PROGRAM}: error: {_cannot_write(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _cannot_write(error: OSError) -> str:
    """One line naming the output (the writers name the target, never a temporary)."""
    where = f" {os.fsdecode(error.filename)}" if error.filename else ""
    reason = " ".join(str(error.strerror or error).split())
    return f"cannot write{where}: {reason}"


def console_main() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())
