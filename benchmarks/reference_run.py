"""Time the reference configuration end to end and print the figures.

    .venv/bin/python benchmarks/reference_run.py [--repeat N]

Prints the median wall time of each stage (configuration, parameters,
simulation, summary) over N runs, and simulated facility-service-days per
second. A measurement, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import facility_impact as fi
from facility_impact.model.parameters import build_parameters
from facility_impact.run.workflow import simulate_parameters

REFERENCE = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--config", default=str(REFERENCE))
    args = parser.parse_args()
    stages: dict[str, list[float]] = {
        "load_config": [],
        "build_parameters": [],
        "simulate": [],
        "summarize": [],
    }
    for _ in range(args.repeat):
        start = time.perf_counter()
        config = fi.load_config(args.config)
        loaded = time.perf_counter()
        params = build_parameters(config)
        built = time.perf_counter()
        results = simulate_parameters(params)
        simulated = time.perf_counter()
        fi.summarize(results)
        summarized = time.perf_counter()
        stages["load_config"].append(loaded - start)
        stages["build_parameters"].append(built - loaded)
        stages["simulate"].append(simulated - built)
        stages["summarize"].append(summarized - simulated)
    cells = results.sizes["facility"] * results.sizes["service"] * results.sizes["time"]
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'unknown cpu'}, "
        f"python {platform.python_version()}, facility_impact {fi.__version__}"
    )
    print(f"configuration: {args.config} ({cells} facility-service-days), {args.repeat} runs")
    for stage, times in stages.items():
        print(f"  {stage:<17} median {statistics.median(times) * 1000:8.1f} ms")
    per_second = cells / statistics.median(stages["simulate"])
    print(f"  simulation speed  {per_second:,.0f} facility-service-days per second")


if __name__ == "__main__":
    main()
