"""The kernel against the memory-traffic floor and against the plain loop, in one process.

    .venv/bin/python benchmarks/memory_floor.py [--draws N] [--repeat N] [--dtype D]
        [--block-points N ...] [--loop-draws N] [--profile]

The reference hospital made uncertain as in ``ensemble_speed.py`` (9 keys, 6
streams), ``--draws`` draws (20,000 by default) × 365 days, simulated by
``run_model`` in one piece. Its yardsticks:

* the floor: the time numpy takes to allocate the same result arrays (same
  shapes, same dtype) and write each of them once (``ndarray.fill``). No
  kernel that returns these arrays can be faster than writing them.
* the loop: ``loop_model.run_one`` per draw, plain Python over days,
  facilities, services, resources and destinations (``--loop-draws`` draws).

A fresh process pays the operating system's first touch of each page of
memory, which on a virtual machine costs several times the writes
themselves and varies from run to run; one untimed kernel run first warms
the process, and floor and kernel are then timed alternately, ``--repeat``
times each, medians reported. ``--block-points`` times the kernel at other
block sizes (``POINTS_PER_BLOCK``); ``--profile`` prints where the kernel's
time goes (cProfile, by own time).

A measurement, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time

import numpy as np
from ensemble_speed import REFERENCE, cpu_description, load_ensemble, peak_rss_gib, time_loop

from facility_impact.model.kernel import POINTS_PER_BLOCK, run_model
from facility_impact.model.parameters import build_parameters


def floor_seconds(shapes: dict[str, tuple[int, ...]], dtype: np.dtype) -> float:
    """Seconds to allocate every result array and write it once."""
    begin = time.perf_counter()
    arrays = []
    for shape in shapes.values():
        array = np.empty(shape, dtype)
        array.fill(1.0)
        arrays.append(array)
    seconds = time.perf_counter() - begin
    del arrays
    return seconds


def kernel_seconds(params, dtype: np.dtype, points_per_block: int) -> tuple[float, int]:
    """Seconds of one ``run_model`` and the bytes of its outputs (dropped at once)."""
    begin = time.perf_counter()
    outputs = run_model(params, dtype=dtype, points_per_block=points_per_block)
    seconds = time.perf_counter() - begin
    size = sum(array.nbytes for array in outputs.values())
    del outputs
    return seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000, metavar="N")
    parser.add_argument("--repeat", type=int, default=5, metavar="N")
    parser.add_argument(
        "--dtype",
        choices=("auto", "float32", "float64"),
        default="auto",
        help="results type; auto follows run.precision (float32 for an ensemble)",
    )
    parser.add_argument("--block-points", type=int, nargs="*", default=[], metavar="N")
    parser.add_argument("--loop-draws", type=int, default=30, metavar="N")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    config = load_ensemble(str(REFERENCE), args.draws, as_written=False)
    params = build_parameters(config)
    dtype = np.dtype(config.results_dtype if args.dtype == "auto" else args.dtype)
    days = params.sizes["time"]
    shapes = {
        name: (days, args.draws, *array.shape[2:])
        for name, array in run_model(params.isel(draw=slice(0, 1)), dtype=dtype).items()
    }
    print(f"machine: {cpu_description()}")
    print(
        f"reference hospital, {args.draws:,} draws × {days} days, {dtype} results, "
        f"{len(shapes)} arrays, block of {POINTS_PER_BLOCK} points"
    )

    kernel_seconds(params, dtype, POINTS_PER_BLOCK)  # warms the process's memory
    floors, kernels = [], []
    for _ in range(args.repeat):
        floors.append(floor_seconds(shapes, dtype))
        seconds, size = kernel_seconds(params, dtype, POINTS_PER_BLOCK)
        kernels.append(seconds)
    floor, kernel = statistics.median(floors), statistics.median(kernels)
    print(
        f"floor  (allocate + write once): {floor:.3f} s median of {args.repeat} "
        f"({min(floors):.3f}–{max(floors):.3f}); {size / 2**30:.2f} GiB, "
        f"{size / floor / 2**30:.1f} GiB/s"
    )
    print(
        f"kernel (run_model):             {kernel:.3f} s median of {args.repeat} "
        f"({min(kernels):.3f}–{max(kernels):.3f}); {kernel / floor:.1f}× the floor"
    )

    loop_seconds, _ = time_loop(params, args.loop_draws, 3)
    per_draw_year = kernel / args.draws * 365 / days
    loop_per_draw_year = loop_seconds * 365 / days
    print(
        f"per draw-year: kernel {per_draw_year * 1e3:.4f} ms, plain loop "
        f"{loop_per_draw_year * 1e3:.2f} ms ({args.loop_draws} draws, median of 3): "
        f"{loop_per_draw_year / per_draw_year:.0f}× faster"
    )
    for points in args.block_points:
        times = [kernel_seconds(params, dtype, points)[0] for _ in range(args.repeat)]
        print(f"block of {points:>6} points: kernel {statistics.median(times):.3f} s")
    print(f"peak RSS: {peak_rss_gib():.2f} GiB")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run_model(params, dtype=dtype)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
        print(text.getvalue())


if __name__ == "__main__":
    main()
