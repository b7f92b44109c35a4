"""What a run with draws costs after the simulation: the summary, the results file
under other encodings, and the floor of filling and writing the daily results once.

    .venv/bin/python benchmarks/writing.py summary     # summarize on 20,000 draws, best of 3
    .venv/bin/python benchmarks/writing.py encodings   # the results file: size and time
    .venv/bin/python benchmarks/writing.py floor       # fill + write the days, uncompressed

``summary``: simulates ``configs/maarat_al_numan_uncertain.toml`` with 20,000
draws and times ``summarize`` three times. ``encodings``: writes the file of
daily draws (``run --save daily``) and the ``--save summary`` file in memory
(as ``run`` does) under zlib levels 0, 1 and 4, with and without the byte
shuffle, and with other HDF5 chunk shapes; prints a Markdown table of seconds
and MiB. ``floor``: allocates as many float32 bytes as the daily results of
20,000 draws, fills them once, writes them to a file under ``--dir`` and
flushes it to disk (``fsync``), then deletes it: no run writes its results
faster than that.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import facility_impact
from facility_impact.results.saved import saved_summary
from facility_impact.results.summary import summarize
from facility_impact.run import cf

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "maarat_al_numan_uncertain.toml"
DRAWS = 20_000


def _results(draws: int = DRAWS) -> xr.Dataset:
    return facility_impact.simulate(facility_impact.load_config(CONFIG, draws=draws))


def time_summary() -> None:
    results = _results()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        summarize(results)
        times.append(time.perf_counter() - started)
    shown = ", ".join(f"{t:.2f}" for t in times)
    print(f"summarize, {DRAWS:,} draws: best {min(times):.2f} s ({shown})")


def _image(dataset: xr.Dataset, change: Callable[[xr.DataArray], dict[str, Any]]) -> tuple:
    laid, encoding = cf.to_netcdf_layout(dataset)
    for name, options in encoding.items():
        if options.get("zlib"):
            options.update(change(laid[name]))
            if options.get("complevel") == 0:
                for key in ("zlib", "complevel", "shuffle"):
                    options.pop(key, None)
    started = time.perf_counter()
    image = laid.to_netcdf(None, engine="h5netcdf", encoding=encoding)
    return time.perf_counter() - started, len(image)


def _chunks(variable: xr.DataArray, limits: dict[str, int]) -> dict[str, Any]:
    sizes = tuple(min(limits.get(str(d), n), n) for d, n in variable.sizes.items())
    return {"chunksizes": sizes}


def time_encodings() -> None:
    results = _results()
    summary = saved_summary(results, summarize(results, quantiles=None))
    rows: list[tuple[str, xr.Dataset, str, Callable[[xr.DataArray], dict[str, Any]]]] = [
        ("daily", results, "zlib 1 + shuffle, h5netcdf's chunks (the writer's)", lambda v: {}),
        ("daily", results, "zlib 0 (uncompressed, contiguous)", lambda v: {"complevel": 0}),
        ("daily", results, "zlib 1, no shuffle", lambda v: {"shuffle": False}),
        ("daily", results, "zlib 4 + shuffle", lambda v: {"complevel": 4}),
        (
            "daily",
            results,
            "zlib 1 + shuffle, chunks of 1,000 draws × all days",
            lambda v: _chunks(v, {"draw": 1000}),
        ),
        (
            "daily",
            results,
            "zlib 1 + shuffle, chunks of all draws × 1 day",
            lambda v: _chunks(v, {"time": 1}),
        ),
        ("summary", summary, "zlib 1 + shuffle (the writer's)", lambda v: {}),
        ("summary", summary, "zlib 0", lambda v: {"complevel": 0}),
        ("summary", summary, "zlib 4 + shuffle", lambda v: {"complevel": 4}),
    ]
    print("| file | encoding | s | MiB |\n| --- | --- | --- | --- |")
    for kind, dataset, label, change in rows:
        seconds, size = _image(dataset, change)
        print(f"| {kind} | {label} | {seconds:.1f} | {size / 2**20:.1f} |", flush=True)


def time_floor(folder: Path) -> None:
    sample = _results(200)
    daily = [v for v in sample.data_vars.values() if {"draw", "time"} <= set(v.dims)]
    total = sum(v.nbytes for v in daily) // 200 * DRAWS
    started = time.perf_counter()
    values = np.empty(total // 4, dtype=np.float32)
    values.fill(1.5)
    filled = time.perf_counter() - started
    with tempfile.NamedTemporaryFile(dir=folder) as stream:
        stream.write(memoryview(values))
        stream.flush()
        os.fsync(stream.fileno())
        written = time.perf_counter() - started
    print(
        f"{total / 2**30:.2f} GiB of daily results: "
        f"fill {filled:.2f} s, fill + write {written:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("summary", "encodings", "floor"))
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    if args.what == "summary":
        time_summary()
    elif args.what == "encodings":
        time_encodings()
    else:
        time_floor(args.dir)


if __name__ == "__main__":
    main()
