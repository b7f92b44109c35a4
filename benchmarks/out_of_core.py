"""Out-of-core run: a million draws streamed to Zarr, against the in-memory run per core.

Runs the command line as a child process, as a user would, and samples the
resident memory of its whole process tree (the run and any dask worker
processes) every 0.2 s. Prints, for the chunked run: wall and CPU time, peak
resident memory, the store's size on disk, draw-days per second and per core;
the same for an in-memory run of a draw count that fits in memory; and the
ratio of the two per-core throughputs.

    .venv/bin/python benchmarks/out_of_core.py                     # 1,000,000 draws
    .venv/bin/python benchmarks/out_of_core.py --draws 100000      # a quicker look
    .venv/bin/python benchmarks/out_of_core.py --workers 2         # a local cluster
    .venv/bin/python benchmarks/out_of_core.py --keep               # keep the store
    .venv/bin/python benchmarks/out_of_core.py --save summary       # bands, per-draw summaries

The store is deleted after measuring unless --keep is given (a million draws
take tens of GB). Check the free disk first: ``df -h``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import xarray as xr

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "maarat_al_numan_uncertain.toml"
HORIZON_DAYS = 365


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of ``process`` and all its descendants [B]."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # a worker that just ended
            pass
    return total


def _tree_cpu(process: psutil.Process, seen: dict[int, float]) -> None:
    """Record the CPU seconds of each member of the tree (kept after it ends)."""
    for member in [process, *process.children(recursive=True)]:
        try:
            times = member.cpu_times()
            seen[member.pid] = times.user + times.system
        except psutil.Error:
            pass


def measure(command: list[str]) -> dict[str, float]:
    """Run ``command``; return wall [s], CPU [s] and peak tree RSS [B]."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    process = psutil.Process(child.pid)
    peak, cpu = 0, {}
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(process))
            _tree_cpu(process, cpu)
        except psutil.Error:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {child.returncode}")
    return {"wall_s": wall, "cpu_s": sum(cpu.values()), "peak_rss_b": peak}


def folder_size(path: Path) -> int:
    """Bytes on disk under ``path``."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--chunk-draws", type=int, default=50_000)
    parser.add_argument("--chunk-days", type=int, default=None)
    parser.add_argument(
        "--workers", type=int, default=None, help="local cluster (default: threads)"
    )
    parser.add_argument(
        "--memory-draws",
        type=int,
        default=20_000,
        help="draws of the in-memory run compared with [20,000]",
    )
    parser.add_argument(
        "--save",
        choices=("summary", "daily"),
        default="daily",
        help="what the store keeps (run --save) [daily]",
    )
    parser.add_argument("--skip-memory", action="store_true", help="skip the in-memory run")
    parser.add_argument("--out", type=Path, default=None, help="folder for the store [a temp dir]")
    parser.add_argument("--keep", action="store_true", help="keep the store")
    args = parser.parse_args()

    cores = os.cpu_count() or 1
    exe = [sys.executable, "-m", "facility_impact", "run", str(CONFIG)]
    out = Path(tempfile.mkdtemp(prefix="out_of_core-", dir=args.out or REPO))
    print(f"machine: {cores} cores; config {CONFIG.relative_to(REPO)}; {HORIZON_DAYS} days")
    print(f"free disk at {out}: {shutil.disk_usage(out).free / 2**30:.1f} GiB")
    try:
        chunked = [*exe, "--draws", str(args.draws), "--chunk-draws", str(args.chunk_draws)]
        chunked += ["--format", "zarr", "--save", args.save, "--out", str(out)]
        if args.chunk_days:
            chunked += ["--chunk-days", str(args.chunk_days)]
        if args.workers:
            chunked += ["--workers", str(args.workers)]
        print("chunked:   " + " ".join(chunked[2:]))
        run = measure(chunked)
        store = out / f"{CONFIG.stem}.zarr"
        size = folder_size(store)
        workers = args.workers or cores
        rate = args.draws * HORIZON_DAYS / run["wall_s"]
        per_core = rate / workers
        with xr.open_zarr(store) as opened:  # what the outputs take in memory, in their dtype
            raw = opened.nbytes
        print(
            f"  wall {run['wall_s']:.1f} s, cpu {run['cpu_s']:.1f} s, "
            f"peak RSS {run['peak_rss_b'] / 2**30:.2f} GiB (process tree)"
        )
        print(
            f"  store {size / 2**30:.2f} GiB on disk ({raw / 2**30:.1f} GiB in memory: "
            f"{raw / max(size, 1):.1f}x smaller)"
        )
        print(f"  {rate:,.0f} draw-days/s, {per_core:,.0f} per core ({workers} cores)")
        if not args.keep:
            shutil.rmtree(store, ignore_errors=True)
        if args.skip_memory:
            return
        in_memory = [*exe, "--draws", str(args.memory_draws), "--out", str(out / "memory")]
        print("in memory: " + " ".join(in_memory[2:]))
        run_memory = measure(in_memory)
        # The in-memory kernel runs numpy on one core.
        memory_rate = args.memory_draws * HORIZON_DAYS / run_memory["wall_s"]
        print(
            f"  wall {run_memory['wall_s']:.1f} s, cpu {run_memory['cpu_s']:.1f} s, "
            f"peak RSS {run_memory['peak_rss_b'] / 2**30:.2f} GiB"
        )
        print(f"  {memory_rate:,.0f} draw-days/s on 1 core")
        print(f"per-core throughput, in memory / chunked: {memory_rate / per_core:.2f}x")
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
