"""The speed targets of docs/performance.md as ratios, measured in one process.

    .venv/bin/python benchmarks/ratios.py [--draws N] [--repeat N] [--skip-network]

On ``configs/maarat_al_numan_uncertain.toml`` with ``--draws`` draws (20,000 by
default) × its 365 days, float32 results, it prints the median of ``--repeat``
runs of:

* the memory floor: allocate the kernel's result arrays (same shapes and dtype)
  and write each once;
* the kernel (``run_model``) and ``facility_impact.simulate``, each ÷ the floor;
* the whole command, ``facility-impact run CONFIG --draws N`` in a fresh
  process (simulate, summarise, write), ÷ the floor of filling the daily
  results once and writing them uncompressed to disk (``fsync``);

and, unless ``--skip-network``, the cost of networks on a plane
(``scaling.py --network``): 300 facilities ÷ 30 (20 draws), and 1,000
facilities × 100 draws × 365 days in seconds. With ``PYTHONPATH`` set to
another checkout it measures that checkout's package the same way. A
measurement, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import facility_impact as fi
from facility_impact.model import kernel
from facility_impact.model.parameters import build_parameters

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "configs" / "maarat_al_numan_uncertain.toml"


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median wall seconds of ``repeat`` calls of ``function``."""
    seconds = []
    for _ in range(repeat):
        begin = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - begin)
    return statistics.median(seconds)


def memory_floor(shapes: list[tuple[int, ...]], dtype: np.dtype) -> None:
    """Allocate every result array and write it once."""
    for shape in shapes:
        np.empty(shape, dtype).fill(1.0)


def write_floor(total_bytes: int, folder: Path) -> float:
    """Seconds to fill ``total_bytes`` of float32 once and write them to disk."""
    begin = time.perf_counter()
    values = np.empty(total_bytes // 4, dtype=np.float32)
    values.fill(1.5)
    with tempfile.NamedTemporaryFile(dir=folder) as stream:
        stream.write(memoryview(values))
        stream.flush()
        os.fsync(stream.fileno())
    return time.perf_counter() - begin


def whole_command(draws: int, folder: Path) -> float:
    """Seconds of ``facility-impact run`` in a fresh process."""
    command = [sys.executable, "-m", "facility_impact", "run", str(CONFIG), "-q"]
    command += ["--draws", str(draws), "--out", str(folder)]
    begin = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - begin


def network_ratios() -> None:
    sys.path.insert(0, str(HERE))
    from scaling import measure_plane  # the plane of scaling.py --network

    totals = {}
    for facilities, draws in ((30, 20), (300, 20), (1000, 100)):
        totals[facilities] = sum(wall for wall, _ in measure_plane(facilities, draws, 365))
        print(f"network, {facilities:,} facilities × {draws} draws: {totals[facilities]:.1f} s")
    print(f"network, 300 ÷ 30 facilities:    {totals[300] / totals[30]:5.1f}×  (target ≤ 12×)")
    print(f"network, 1,000 × 100 × 365 days:  {totals[1000]:5.1f} s  (target ≤ 60 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000, metavar="N")
    parser.add_argument("--repeat", type=int, default=3, metavar="N")
    parser.add_argument("--skip-network", action="store_true")
    args = parser.parse_args()
    print(f"facility_impact from {Path(fi.__file__).parent}")
    config = fi.load_config(CONFIG, draws=args.draws)
    params = build_parameters(config)
    dtype = kernel.results_dtype(params)
    outputs = kernel.run_model(params)  # also warms the process's memory
    shapes = [array.shape for array in outputs.values()]
    size = sum(int(np.prod(shape)) for shape in shapes) * dtype.itemsize
    del outputs
    print(f"{CONFIG.name}: {args.draws:,} draws × 365 days, {dtype}, {size / 2**30:.2f} GiB")
    floor = timed(lambda: memory_floor(shapes, dtype), args.repeat)
    model = timed(lambda: kernel.run_model(params), args.repeat)
    simulate = timed(lambda: fi.simulate(config), args.repeat)
    print(f"memory floor (allocate + write once): {floor:7.2f} s")
    print(
        f"kernel (run_model):        {model:7.2f} s  {model / floor:5.1f}× the floor (target ≤ 3×)"
    )
    print(f"facility_impact.simulate:  {simulate:7.2f} s  {simulate / floor:5.1f}× the floor")
    with tempfile.TemporaryDirectory() as folder:
        written = statistics.median(write_floor(size, Path(folder)) for _ in range(args.repeat))
        command = statistics.median(
            whole_command(args.draws, Path(folder)) for _ in range(max(1, args.repeat - 1))
        )
    print(f"fill + write the daily results once: {written:7.2f} s")
    print(
        f"whole command (facility-impact run): {command:7.2f} s  "
        f"{command / written:5.1f}× that floor (target ≤ 3×)"
    )
    if not args.skip_network:
        network_ratios()


if __name__ == "__main__":
    main()
