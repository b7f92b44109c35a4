"""Progress bars for long runs, on stderr: days simulated (in memory) or blocks
simulated (chunked), drawn by tqdm; on a dask.distributed cluster, dask's own
console progress bar (:func:`distributed.progress`).

A bar is drawn only when its stream is a terminal, so logs and pipes stay
clean, and only while the ``facility_impact`` logger shows notes: the command
line's ``-q`` (which sets that logger to warnings) turns the bars off with the
notes. A logger left at its default level (as in a notebook that configured no
logging) shows them. :class:`StderrHandler` writes the command line's log
lines without breaking a bar.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Hashable, Iterator
from typing import Any, ClassVar, TextIO

import xarray as xr
from tqdm import tqdm

from facility_impact.run.chunked import BLOCK_TASK_PREFIX

REFRESH_SECONDS = 0.5
"""Shortest time between two redraws of a bar [s]."""

_PACKAGE_LOGGER = "facility_impact"


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal (a closed or odd stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def shows_progress(stream: TextIO) -> bool:
    """Whether a bar goes to ``stream``: a terminal, and the package's logger shows
    notes (or was left at its default level)."""
    logger = logging.getLogger(_PACKAGE_LOGGER)
    wanted = logger.level == logging.NOTSET or logger.isEnabledFor(logging.INFO)
    return wanted and is_terminal(stream)


def progress_bar(total: int, stream: TextIO, unit: str) -> tqdm[Any]:
    """A bar counting ``total`` ``unit`` simulated, on ``stream``."""
    return tqdm(
        total=total,
        file=stream,
        desc="simulated",
        unit=f" {unit}",
        mininterval=REFRESH_SECONDS,
        dynamic_ncols=True,
    )


@contextlib.contextmanager
def day_progress(stream: TextIO | None = None) -> Iterator[Callable[[int, int], None] | None]:
    """While active, a ``progress(done, total)`` callback for an in-memory run's days.

    Pass it to :func:`facility_impact.simulate`; it draws a bar of the days
    simulated on ``stream`` (stderr by default). Yields ``None`` when no bar is
    shown (:func:`shows_progress`).
    """
    stream = sys.stderr if stream is None else stream
    if not shows_progress(stream):
        yield None
        return
    bars: list[tqdm[Any]] = []

    def advance(done: int, total: int) -> None:
        if not bars:
            bars.append(progress_bar(total, stream, "days"))
        bars[0].update(done - bars[0].n)

    try:
        yield advance
    finally:
        for bar in bars:
            bar.close()


def _is_block_key(key: object) -> bool:
    name = key[0] if isinstance(key, tuple) else key
    return str(name).startswith(BLOCK_TASK_PREFIX)


@contextlib.contextmanager
def local_progress(total: int, stream: TextIO | None = None) -> Iterator[tqdm[Any] | None]:
    """While active, count the kernel tasks (blocks) dask's local schedulers finish,
    through a dask callback.

    Yields the bar, or ``None`` (and does nothing) when no bar is shown
    (:func:`shows_progress`) or there is nothing to count.
    """
    stream = sys.stderr if stream is None else stream
    if total <= 0 or not shows_progress(stream):
        yield None
        return
    # Optional (the 'scale' extra): only chunked runs have dask tasks to count.
    from dask import callbacks

    bar = progress_bar(total, stream, "blocks")

    def finished(
        key: object, result: object, dsk: object, state: object, worker_id: object
    ) -> None:
        if _is_block_key(key):
            bar.update(1)

    # Any: the checker cannot follow dask's untyped callback class.
    callback_class: Any = callbacks.Callback
    with callback_class(posttask=finished):
        try:
            yield bar
        finally:
            bar.close()


def cluster_progress(client: Any, futures: list[Any], stream: TextIO | None = None) -> None:
    """Draw dask.distributed's console progress bar of ``futures`` on ``stream``
    (stderr by default) until they are done; nothing when no bar is shown
    (:func:`shows_progress`). A failed task ends the bar; the caller's
    ``client.gather`` then raises its error."""
    stream = sys.stderr if stream is None else stream
    if not futures or not shows_progress(stream):
        return
    # Optional (the 'scale' extra): only cluster runs have a cluster to follow.
    import distributed

    cluster_api: Any = distributed  # untyped: the checker cannot follow its calls
    # The console bar draws on stdout, which carries the tables and --json.
    with contextlib.redirect_stdout(stream):
        cluster_api.progress(futures, scheduler=client.scheduler.address, multi=False)


def _graphs(collection: Any) -> list[Any]:
    """The task graphs behind a dask collection or a Dataset's dask variables."""
    if isinstance(collection, xr.Dataset):
        return [
            variable.data.__dask_graph__()
            for variable in collection.variables.values()
            if hasattr(variable.data, "dask")
        ]
    return [collection.__dask_graph__()]


def block_count(collection: Any) -> int:
    """Kernel tasks (blocks of days) behind ``collection``; 0 for in-memory data."""
    keys: set[Hashable] = set()
    for graph in _graphs(collection):
        keys.update(key for key in graph if isinstance(key, tuple) and _is_block_key(key))
    return len(keys)


class StderrHandler(logging.Handler):
    """Log records as ``facility-impact: <kind>: <message>`` lines on stderr, the
    kind being ``note`` (info), ``warning``, ``error`` or ``debug``; written
    through tqdm so that a bar being drawn is not broken by the line. Looks up
    ``sys.stderr`` at each record, so a redirected stderr gets it."""

    KINDS: ClassVar[dict[int, str]] = {
        logging.DEBUG: "debug",
        logging.INFO: "note",
        logging.WARNING: "warning",
    }

    def __init__(self, program: str) -> None:
        super().__init__()
        self.program = program

    def emit(self, record: logging.LogRecord) -> None:
        try:
            kind = self.KINDS.get(record.levelno, "error")
            tqdm.write(f"{self.program}: {kind}: {record.getMessage()}", file=sys.stderr)
        except Exception:
            self.handleError(record)


LOG_LEVELS = {-2: logging.ERROR, -1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}
"""``-v`` count less ``-q`` count → what the ``facility_impact`` logger shows: errors
only (``-qq``), warnings (``-q``), notes (default), notes and details (``-v``)."""


@contextlib.contextmanager
def log_to_stderr(program: str, verbosity: int) -> Iterator[None]:
    """While active, the ``facility_impact`` logger writes to stderr
    (:class:`StderrHandler`) at the level of ``verbosity``: ``-v`` count less ``-q``
    count (:data:`LOG_LEVELS`). Its level and handlers are restored after."""
    package = logging.getLogger(_PACKAGE_LOGGER)
    level = LOG_LEVELS[max(min(verbosity, max(LOG_LEVELS)), min(LOG_LEVELS))]
    handler = StderrHandler(program)
    previous = package.level
    package.addHandler(handler)
    package.setLevel(level)
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.setLevel(previous)
