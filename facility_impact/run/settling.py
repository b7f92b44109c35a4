"""What a failed cluster run waits for: the blocks still running on other workers.

When one block fails, dask cannot stop the blocks already running elsewhere; they
go on to the end and write into the store. The store may be removed only after
they end (docs/reliability.md, "All outputs of a command, or none").
"""

from __future__ import annotations

import time
from typing import Any

SETTLE_TIMEOUT_S = 60.0
"""How long a failed cluster run waits for the blocks still running to end [s]."""


def settle(client: Any, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    """Wait until the cluster runs no task, or ``timeout_s`` [s] have passed.

    When one block fails, blocks already running on other workers go on to the
    end (dask cannot stop a running task) and write into the store; removing
    the store before they finish would let them write it again."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _busy(client):
        time.sleep(0.05)


def _busy(client: Any) -> bool:
    """Whether some worker still executes a task. The scheduler forgets a task that
    nobody wants any more (the run failed) while its worker may still be running it,
    so the workers themselves are asked."""
    try:
        return any(client.run(_executing).values())
    except Exception:  # a worker that cannot be asked (lost, closing) runs nothing of ours
        return any(client.processing().values())


def _executing(dask_worker: Any) -> int:
    """Tasks the worker is running now (run on each worker by ``client.run``)."""
    return len(dask_worker.state.executing)
