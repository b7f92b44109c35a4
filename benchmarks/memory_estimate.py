"""The memory estimate of a run against its measured peak.

For each case, prints the estimate of :mod:`facility_impact.run.budget` (what
``facility-impact run`` compares with the memory available before drawing
anything) and the peak resident memory of the same run, measured by running
the command line as a child process and sampling the resident memory of its
whole process tree (the run and any worker processes) every 0.1 s, as
``out_of_core.py`` does. The ratio should stay above 1: an estimate below the
peak lets a run start that the machine cannot hold.

    .venv/bin/python benchmarks/memory_estimate.py            # the cases below
    .venv/bin/python benchmarks/memory_estimate.py --quick    # the two smallest
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from out_of_core import tree_rss

from facility_impact import load_config
from facility_impact.run import budget

REPO = Path(__file__).resolve().parents[1]
UNCERTAIN = REPO / "configs" / "maarat_al_numan_uncertain.toml"
REGION = REPO / "configs" / "idlib_region.toml"

CASES = [
    # (configuration, draws, days, extra options)
    (UNCERTAIN, 1_000, 365, []),
    (UNCERTAIN, 4_000, 365, []),
    (UNCERTAIN, 10_000, 365, []),
    (UNCERTAIN, 50_000, 30, []),
    (REGION, None, 3650, []),
    (UNCERTAIN, 20_000, 365, ["--format", "zarr", "--save", "daily"]),
    (UNCERTAIN, 20_000, 365, ["--format", "zarr"]),
]


def peak_rss(command: list[str]) -> tuple[float, int]:
    """Run ``command``; its wall time [s] and the peak RSS of its process tree [B]."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    process = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(process))
        except psutil.Error:
            pass
        time.sleep(0.1)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {child.returncode}")
    return time.perf_counter() - started, peak


def estimate(config_path: Path, draws: int | None, days: int, options: list[str]) -> int:
    shape = budget.run_shape(load_config(config_path, draws=draws, horizon_days=days))
    if "zarr" in options:
        return budget.chunk_plan(
            shape, budget.DEFAULT_CHUNK_DRAWS, None, budget.local_cores()
        ).bytes
    return budget.in_memory_bytes(shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest cases only")
    args = parser.parse_args()
    cases = CASES[:2] if args.quick else CASES
    print(f"{'case':48s} {'estimate':>10s} {'peak RSS':>10s} {'ratio':>6s} {'wall':>7s}")
    for config_path, draws, days, options in cases:
        with tempfile.TemporaryDirectory() as out:
            command = [sys.executable, "-m", "facility_impact", "run", str(config_path)]
            command += ["--horizon", str(days), "--out", out, "-q", *options]
            if draws is not None:
                command += ["--draws", str(draws)]
            wall, peak = peak_rss(command)
        guess = estimate(config_path, draws, days, options)
        label = f"{config_path.stem} {draws or 0:,} draws × {days:,} d {' '.join(options)}"
        print(
            f"{label:48s} {guess / 1e9:8.2f}GB {peak / 1e9:8.2f}GB {guess / peak:6.2f} {wall:6.1f}s"
        )


if __name__ == "__main__":
    main()
