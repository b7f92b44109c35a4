"""Time the vectorised kernel on Monte Carlo ensembles of 1,000 to 100,000 draws × 365 days.

    .venv/bin/python benchmarks/ensemble_speed.py [--quick] [--draws N ...] [--repeat N]
        [--chunk-draws N] [--loop-draws N] [--profile] [--config PATH] [--as-written]

Makes the reference configuration uncertain (the overrides in :data:`UNCERTAIN`,
applied through ``load_config(..., settings=..., draws=N)``) and, for each
ensemble size, times ``build_parameters`` and the kernel ``run_model``
separately. The kernel runs on chunks of at most ``--chunk-draws`` draws
(``params.isel(draw=slice(...))``); each chunk's outputs are dropped as soon
as they are made, because 100,000 draws of every output (~12 GB) would not
fit beside everything else in memory. The labelled ``simulate_parameters``
is timed in one piece on the smallest ensemble (at most ``--chunk-draws``
draws, 1,000 by default), and the plain per-draw Python loop
``loop_model.run_one`` on ``--loop-draws`` draws of it, as the yardstick.

Prints the Python, numpy, xarray and scipy versions, the machine and its CPU
count, which inputs are uncertain, then per ensemble size: seconds to build
the parameters, kernel wall and CPU seconds (median of ``--repeat`` runs),
draw-days per second (draws × 365 / kernel wall seconds), seconds per
draw-year, the speed-up over the loop (in wall and in CPU time) and the
peak resident memory so far; then the ``simulate_parameters`` and loop
figures. ``--profile`` adds the ten functions with the most own time in one
chunk of the kernel (``cProfile``; numpy arithmetic written inline counts as
``run_model``'s own time).

A measurement, not a test: nothing here asserts a speed. The figures vary
with the machine and with whatever else runs on it; the distributions are
there to make a realistic ensemble to time, not an assessment.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import platform
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path

import loop_model
import numpy as np
import scipy
import xarray as xr

import facility_impact as fi
from facility_impact.config import Config
from facility_impact.config.variation import Uncertain
from facility_impact.model.kernel import run_model
from facility_impact.model.parameters import build_parameters
from facility_impact.run.workflow import simulate_parameters
from facility_impact.variables import ensemble_dims

REFERENCE = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"
FACILITY = "facility.maarat_al_numan.services"


def _triangular(low: float, mode: float, high: float, **extra: str) -> dict:
    return {"dist": "triangular", "low": low, "mode": mode, "high": high, **extra}


def _travel(low: float, high: float) -> dict:
    # One stream for all services: a draw in which people travel less does so
    # for every service.
    return {"dist": "uniform", "low": low, "high": high, "stream": "willingness_to_travel"}


UNCERTAIN: tuple[tuple[str, dict], ...] = (
    ("strike.0.closure_days", _triangular(7, 30, 90)),
    # Beds and theatres come back with the building: one shared draw.
    ("recovery.building.mean_days", _triangular(90, 180, 360, stream="rebuild")),
    ("recovery.beds.mean_days", _triangular(90, 180, 360, stream="rebuild")),
    ("recovery.theatres.mean_days", _triangular(90, 180, 360, stream="rebuild")),
    ("recovery.staff.time_days", {"dist": "pert", "low": 30, "mode": 60, "high": 180}),
    (f"{FACILITY}.outpatient.willingness_to_travel", _travel(0.3, 0.7)),
    (f"{FACILITY}.emergency.willingness_to_travel", _travel(0.6, 0.95)),
    (f"{FACILITY}.inpatient.willingness_to_travel", _travel(0.5, 0.9)),
    (f"{FACILITY}.surgery.willingness_to_travel", _travel(0.4, 0.8)),
)
"""``(key path, distribution)`` overrides that make the reference configuration
an ensemble. Ranges around the configured values, for timing only."""

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)


def load_ensemble(path: str, draws: int, as_written: bool) -> Config:
    """The configuration at ``path`` with ``draws`` draws and the :data:`UNCERTAIN` overrides."""
    return fi.load_config(path, draws=draws, settings=() if as_written else UNCERTAIN)


def ensemble_points(params: xr.Dataset) -> int:
    """Points of the ensemble: the product of every ensemble dim (just ``draw`` here)."""
    return math.prod(params.sizes[d] for d in ensemble_dims(params))


def run_kernel_in_chunks(params: xr.Dataset, chunk_draws: int) -> tuple[list[float], float, int]:
    """Run ``run_model`` on successive chunks of draws, keeping no outputs.

    Returns each chunk's wall seconds (selecting the chunk included), the CPU
    seconds of this process over all chunks, and the bytes of the largest
    chunk's outputs.
    """
    draws = params.sizes["draw"]
    seconds = []
    largest = 0
    cpu_begin = time.process_time()
    for start in range(0, draws, chunk_draws):
        begin = time.perf_counter()
        chunk = params.isel(draw=slice(start, start + chunk_draws))
        outputs = run_model(chunk)
        seconds.append(time.perf_counter() - begin)
        largest = max(largest, sum(array.nbytes for array in outputs.values()))
        del outputs, chunk  # this chunk's outputs are never held beside the next one's
    return seconds, time.process_time() - cpu_begin, largest


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far [GiB] (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 2**20 if sys.platform != "darwin" else kib / 2**30


def cpu_description() -> str:
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    count = f"{os.cpu_count()} CPUs" + (f" ({usable} usable by this process)" if usable else "")
    return f"{platform.machine()}, {name}, {count}"


def print_header(path: str, config: Config, params: xr.Dataset, as_written: bool) -> None:
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"xarray {xr.__version__}, scipy {scipy.__version__}, facility_impact {fi.__version__}"
    )
    print(f"machine: {cpu_description()}, {platform.system()} {platform.release()}")
    sizes = ", ".join(
        f"{d} {params.sizes[d]}" for d in ("facility", "service", "resource", "alternative")
    )
    print(f"configuration: {path}; {params.sizes['time']} days; {sizes}")
    how = "as written in the configuration" if as_written else "overridden by this script"
    print(f"uncertain inputs ({how}; Latin hypercube, seed {config.seed}):")
    uncertain = [v for v in config.variations() if isinstance(v, Uncertain)]
    if not uncertain:
        raise SystemExit("no input is a distribution: nothing to draw (drop --as-written)")
    width = max(len(value.path) for value in uncertain)
    for value in uncertain:
        print(f"  {value.path:<{width}}  {value.describe()}  [stream {value.stream}]")
    others = [v for v in config.variations() if not isinstance(v, Uncertain)]
    if others:
        print(f"  (also {len(others)} sweep(s); each draw-day below counts every sweep point)")


def time_loop(params: xr.Dataset, loop_draws: int, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds per draw of ``loop_model.run_one`` on the first draws.

    As ``loop_model.run_draws`` does, the draws are converted to plain lists
    first, so only the simulation is timed.
    """
    subset = params.isel(draw=slice(0, loop_draws))
    draws = [
        loop_model.draw_parameters(subset, **point) for point in loop_model.ensemble_points(subset)
    ]
    wall, cpu = [], []
    for _ in range(repeat):
        wall_begin, cpu_begin = time.perf_counter(), time.process_time()
        for parameters in draws:
            loop_model.run_one(parameters)
        wall.append(time.perf_counter() - wall_begin)
        cpu.append(time.process_time() - cpu_begin)
    return statistics.median(wall) / len(draws), statistics.median(cpu) / len(draws)


def profile_kernel(params: xr.Dataset, draws: int) -> None:
    """Print the ten functions with the most own time in ``run_model`` on ``draws`` draws."""
    chunk = params.isel(draw=slice(0, draws))
    profiler = cProfile.Profile()
    profiler.enable()
    outputs = run_model(chunk)
    profiler.disable()
    del outputs
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(10)
    lines = text.getvalue().strip().splitlines()
    start = next(i for i, line in enumerate(lines) if "function calls" in line)
    print(f"\ncProfile of run_model on {chunk.sizes['draw']:,} draws (top 10 by own time):")
    for line in lines[start:]:
        if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced")):
            print(f"  {line}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--draws", type=int, nargs="+", default=list(SIZES), metavar="N")
    sizes.add_argument("--quick", action="store_true", help="1,000 and 10,000 draws only")
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed runs per ensemble size, median reported (default: 3 for sizes that fit "
        "in one chunk, 1 for larger ones, whose chunks are timed one by one)",
    )
    parser.add_argument("--chunk-draws", type=int, default=10_000, metavar="N")
    parser.add_argument(
        "--loop-draws", type=int, default=30, metavar="N", help="draws the plain loop runs"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one kernel chunk")
    parser.add_argument("--config", default=str(REFERENCE))
    parser.add_argument(
        "--as-written",
        action="store_true",
        help="use the configuration's own distributions instead of the overrides",
    )
    args = parser.parse_args()
    args.draw_counts = sorted(QUICK_SIZES if args.quick else args.draws)
    if min(args.draw_counts) < 1 or args.chunk_draws < 1 or args.loop_draws < 1:
        parser.error("draw counts must be positive")
    return args


def time_ensemble(args: argparse.Namespace, draws: int, loop_speed: float, loop_cpu: float) -> None:
    """Time building the parameters and the kernel on ``draws`` draws; print one row."""
    chunks = math.ceil(draws / args.chunk_draws)
    repeat = args.repeat or (3 if chunks == 1 else 1)
    build_times, kernel_times, cpu_times, chunk_times = [], [], [], []
    output_bytes = 0
    for _ in range(repeat):
        ensemble = load_ensemble(args.config, draws, args.as_written)
        begin = time.perf_counter()
        ensemble_params = build_parameters(ensemble)
        build_times.append(time.perf_counter() - begin)
        seconds, cpu, output_bytes = run_kernel_in_chunks(ensemble_params, args.chunk_draws)
        kernel_times.append(sum(seconds))
        cpu_times.append(cpu)
        chunk_times.extend(seconds)
    horizon = ensemble_params.sizes["time"]
    points = ensemble_points(ensemble_params)
    kernel = statistics.median(kernel_times)
    kernel_cpu = statistics.median(cpu_times)
    speed = points * horizon / kernel
    per_year = kernel / points * 365 / horizon
    print(
        f"{draws:>9,} {chunks:>6} {repeat:>4} {statistics.median(build_times):>14.3f} s "
        f"{kernel:>7.2f} s {kernel_cpu:>7.2f} s {speed:>12,.0f} {per_year:>12.2e} "
        f"{speed / loop_speed:>7.1f}x {loop_cpu * points / kernel_cpu:>6.1f}x "
        f"{peak_rss_gib():>5.2f} GiB"
    )
    if chunks > 1:
        print(
            f"{'':>9} chunk seconds: min {min(chunk_times):.2f}, median "
            f"{statistics.median(chunk_times):.2f}, max {max(chunk_times):.2f}; "
            f"outputs {output_bytes / 2**30:.2f} GiB per chunk, "
            f"{output_bytes * draws / min(draws, args.chunk_draws) / 2**30:.1f} GiB "
            "if all were held"
        )
    if points != draws:
        print(f"{'':>9} ({points:,} ensemble points: draws × sweep points × scenarios)")


def time_simulate(params: xr.Dataset, repeat: int) -> float:
    """Median seconds of the labelled simulation of ``params``, all outputs held."""
    simulate_times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        result = simulate_parameters(params)
        simulate_times.append(time.perf_counter() - begin)
        del result
    return statistics.median(simulate_times)


def main() -> None:
    args = parse_arguments()
    # The smallest ensemble, no larger than a chunk (it is simulated in one
    # piece): the header, the labelled simulation and the loop yardstick.
    smallest = min(*args.draw_counts, args.chunk_draws)
    config = load_ensemble(args.config, smallest, args.as_written)
    params = build_parameters(config)
    horizon = params.sizes["time"]
    print_header(args.config, config, params, args.as_written)

    loop_draws = min(args.loop_draws, smallest)
    loop_repeat = args.repeat or 3
    loop_seconds, loop_cpu = time_loop(params, loop_draws, loop_repeat)
    loop_speed = horizon / loop_seconds

    print(
        f"\nkernel: run_model on chunks of at most {args.chunk_draws:,} draws; each chunk's "
        "outputs are discarded as soon as they are made (never all held at once).\n"
        "kernel: wall seconds (median of runs); cpu: this process's CPU seconds in them "
        "(below the wall time when other work shares the CPUs); vs loop: speed-up over the "
        "plain loop in wall time, and in CPU time (steadier on a busy machine)"
    )
    print(
        f"{'draws':>9} {'chunks':>6} {'runs':>4} {'build_parameters':>16} {'kernel':>9} {'cpu':>9} "
        f"{'draw-days/s':>12} {'s/draw-year':>12} {'vs loop':>8} {'(cpu)':>7} {'peak RSS':>9}"
    )
    for draws in args.draw_counts:
        time_ensemble(args, draws, loop_speed, loop_cpu)

    simulate_repeat = args.repeat or 3
    simulate_seconds = time_simulate(params, simulate_repeat)
    points = ensemble_points(params)
    print(
        f"\nsimulate_parameters (labelled Dataset), {smallest:,} draws in one piece: "
        f"{simulate_seconds:.2f} s (median of {simulate_repeat}), "
        f"{points * horizon / simulate_seconds:,.0f} draw-days/s"
    )
    print(
        f"loop yardstick: loop_model.run_one on {loop_draws} draws of the {smallest:,}-draw "
        f"ensemble (median of {loop_repeat} runs; its cost per draw does not depend on the "
        f"ensemble size): {loop_seconds * 1000:.1f} ms per draw ({loop_cpu * 1000:.1f} ms CPU), "
        f"{loop_speed:,.0f} draw-days/s, {loop_seconds * 365 / horizon:.3f} s per draw-year"
    )
    print(f"peak RSS of the whole run: {peak_rss_gib():.2f} GiB")

    if args.profile:
        profile_draws = min(args.chunk_draws, 10_000)
        profile_config = load_ensemble(args.config, profile_draws, args.as_written)
        profile_kernel(build_parameters(profile_config), profile_draws)


if __name__ == "__main__":
    main()
