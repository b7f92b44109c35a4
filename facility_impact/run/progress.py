"""A progress line for long runs: blocks (chunked) or days (in memory) simulated, on stderr.

Shown only when the stream is a terminal, so logs and pipes stay clean. Works
with dask's local schedulers (through a dask callback) and with a
dask.distributed cluster (by asking the scheduler how many of the run's kernel
tasks are done).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import xarray as xr

from facility_impact.run.chunked import BLOCK_TASK_PREFIX

REFRESH_SECONDS = 0.5
"""Shortest time between two redraws of the line [s]."""


class ProgressLine:
    """Draws ``simulated k/N blocks (p %), elapsed m:ss`` on ``stream``, in place
    (``unit`` names what is counted: blocks of a chunked run, days of one in memory)."""

    def __init__(self, total: int, stream: TextIO, unit: str = "blocks") -> None:
        self.total = total
        self.stream = stream
        self.unit = unit
        self.started = time.monotonic()
        self._drawn_at = -float("inf")
        self._done = 0
        self._lock = threading.Lock()

    def update(self, done: int, *, force: bool = False) -> None:
        """Record ``done`` blocks; redraw at most every :data:`REFRESH_SECONDS`."""
        with self._lock:
            self._done = max(self._done, min(done, self.total))
            now = time.monotonic()
            if not force and now - self._drawn_at < REFRESH_SECONDS:
                return
            self._drawn_at = now
            elapsed = int(now - self.started)
            share = 100 * self._done // max(self.total, 1)
            self.stream.write(
                f"\rsimulated {self._done:,}/{self.total:,} {self.unit} ({share} %), "
                f"elapsed {elapsed // 60}:{elapsed % 60:02d}"
            )
            self.stream.flush()

    def close(self) -> None:
        """Draw the final count and end the line."""
        self.update(self._done, force=True)
        self.stream.write("\n")
        self.stream.flush()


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal (a closed or odd stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def day_progress(stream: TextIO | None = None) -> Iterator[Callable[[int, int], None] | None]:
    """While active, a ``progress(done, total)`` callback for an in-memory run's days.

    Pass it to :func:`facility_impact.simulate`; it draws ``simulated k/N days``
    on ``stream`` (stderr by default). Yields ``None`` when the stream is not a
    terminal, so logs and pipes stay clean.
    """
    stream = sys.stderr if stream is None else stream
    if not is_terminal(stream):
        yield None
        return
    lines: list[ProgressLine] = []

    def advance(done: int, total: int) -> None:
        if not lines:
            lines.append(ProgressLine(total, stream, unit="days"))
        lines[0].update(done)

    try:
        yield advance
    finally:
        if lines:
            lines[0].close()


def _is_block_key(key: object) -> bool:
    name = key[0] if isinstance(key, tuple) else key
    return str(name).startswith(BLOCK_TASK_PREFIX)


@contextmanager
def local_progress(total: int, stream: TextIO | None = None) -> Iterator[ProgressLine | None]:
    """While active, count kernel tasks finished by dask's local schedulers.

    Yields the line, or ``None`` (and does nothing) when ``stream`` (stderr by
    default) is not a terminal or there is nothing to count.
    """
    stream = sys.stderr if stream is None else stream
    if total <= 0 or not is_terminal(stream):
        yield None
        return
    # Optional (the 'scale' extra): only chunked runs have dask tasks to count.
    from dask import callbacks

    line = ProgressLine(total, stream)
    counter = {"done": 0}

    def finished(
        key: object, result: object, dsk: object, state: object, worker_id: object
    ) -> None:
        if _is_block_key(key):
            counter["done"] += 1
            line.update(counter["done"])

    # Any: the checker cannot follow dask's untyped callback class.
    callback_class: Any = callbacks.Callback
    with callback_class(posttask=finished):
        try:
            yield line
        finally:
            line.close()


def _blocks_done(dask_scheduler: Any, names: list[str]) -> int:
    """On the scheduler: kernel tasks of the run that have finished."""
    done = 0
    for name in names:
        group = dask_scheduler.task_groups.get(name)
        if group is None:
            continue
        counts = group.states
        # Tasks leave "memory" for "released" and "forgotten" once used; all
        # three mean the block was simulated.
        done += counts.get("memory", 0) + counts.get("released", 0) + counts.get("forgotten", 0)
    return done


@contextmanager
def cluster_progress(
    client: Any, names: list[str], total: int, stream: TextIO | None = None
) -> Iterator[ProgressLine | None]:
    """While active, poll a dask.distributed scheduler for finished kernel tasks.

    ``names`` are the kernel task group names (see :func:`block_group_names`).
    Off when ``stream`` is not a terminal.
    """
    stream = sys.stderr if stream is None else stream
    if total <= 0 or not is_terminal(stream):
        yield None
        return
    line = ProgressLine(total, stream)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(REFRESH_SECONDS):
            try:
                line.update(client.run_on_scheduler(_blocks_done, names=names))
            except Exception:  # a progress line must never break the run
                return

    thread = threading.Thread(target=poll, name="facility-impact-progress", daemon=True)
    thread.start()
    try:
        yield line
        # The scheduler forgets finished tasks: the last poll may miss some.
        line.update(total, force=True)
    finally:
        stop.set()
        thread.join()
        line.close()


def _graphs(collection: Any) -> list[Any]:
    """The task graphs behind a dask collection or a Dataset's dask variables."""
    if isinstance(collection, xr.Dataset):
        return [
            variable.data.__dask_graph__()
            for variable in collection.variables.values()
            if hasattr(variable.data, "dask")
        ]
    return [collection.__dask_graph__()]


def block_group_names(collection: Any) -> list[str]:
    """Names of the kernel task groups (one per run) behind ``collection``."""
    names: set[str] = set()
    for graph in _graphs(collection):
        names.update(name for name in graph.layers if str(name).startswith(BLOCK_TASK_PREFIX))
        names.update(key[0] for key in graph if isinstance(key, tuple) and _is_block_key(key))
    return sorted(names)


def block_count(collection: Any) -> int:
    """Kernel tasks (blocks of days) behind ``collection``; 0 for in-memory data."""
    keys: set[Hashable] = set()
    for graph in _graphs(collection):
        keys.update(key for key in graph if isinstance(key, tuple) and _is_block_key(key))
    return len(keys)
