"""How the cost of a run grows with draws, days, services and facilities.

Builds a synthetic configuration (facilities in a network 10 km apart, each
with the same services; a strike on the first; uncertain closure, rebuild time
and willingness to travel) and times, for three or more sizes of each factor
with the others at their base value:

* ``kernel``: the in-memory kernel, ``model.run_model`` on built parameters;
* ``summary``: ``summarize`` of the labelled result Dataset.

Prints a table and, per factor, the observed order: the slope of log(time)
against log(size) between the smallest and the largest size (1 = linear).

    .venv/bin/python benchmarks/scaling.py           # base: 1,000 draws, 365 d, 4 services
    .venv/bin/python benchmarks/scaling.py --quick   # smaller sizes, for a first look
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from facility_impact.config import load_config
from facility_impact.model.kernel import run_model
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import summarize
from facility_impact.run.workflow import simulate_parameters

BASE = {"draws": 1000, "days": 365, "services": 4, "facilities": 1}
SIZES = {
    "draws": (500, 2000, 8000),
    "days": (90, 365, 1460),
    "services": (2, 8, 32),
    "facilities": (1, 3, 9),
}
QUICK_BASE = {"draws": 200, "days": 120, "services": 4, "facilities": 1}
QUICK_SIZES = {
    "draws": (100, 400, 1600),
    "days": (60, 120, 480),
    "services": (2, 4, 16),
    "facilities": (1, 2, 4),
}


def configuration(draws: int, days: int, services: int, facilities: int) -> dict[str, Any]:
    """A mapping configuration of the given size (see the module docstring)."""
    service_tables = {
        f"service_{i}": {
            "volume_per_month": 300.0 + 10 * i,
            "needs": {"staff": 1.0, "building": 0.5 + 0.5 * (i % 2)},
            "deferrable_share": 0.3,
            "backlog_attrition_per_day": 0.03,
            "willingness_to_travel": {"dist": "uniform", "low": 0.3, "high": 0.8},
            "distance_decay_km": 20.0,
        }
        for i in range(services)
    }
    names = [f"facility_{i}" for i in range(facilities)]
    config: dict[str, Any] = {
        "run": {"horizon_days": days, "draws": draws, "seed": 1},
        "facility": {
            name: {
                "population": 40_000.0,
                "resources": {"staff": 50.0, "building": 1.0},
                "services": service_tables,
            }
            for name in names
        },
        "strike": [
            {
                "facility": names[0],
                "day": 0,
                "closure_days": {"dist": "triangular", "low": 7, "mode": 30, "high": 90},
                "damage": {"building": 1.0, "staff": 0.2},
            }
        ],
        "recovery": {
            "building": {
                "curve": "linear",
                "time_days": {"dist": "uniform", "low": 90, "high": 360},
            },
            "staff": {"curve": "exponential", "time_days": 60},
        },
        "alternative": [
            {
                "name": "district_hospital",
                "distance_km": 25.0,
                "spare_capacity_per_month": {name: 50.0 for name in service_tables},
            }
        ],
    }
    if facilities > 1:
        config["network"] = {
            "facilities": names,
            "distance_km": [[0.0 if i == j else 10.0 for j in names] for i in names],
        }
    return config


def measure(sizes: dict[str, int]) -> tuple[float, float]:
    """Seconds for the kernel and for the summary of one run of ``sizes``."""
    params = build_parameters(load_config(configuration(**sizes)))
    started = time.perf_counter()
    run_model(params)
    kernel = time.perf_counter() - started
    results = simulate_parameters(params)
    started = time.perf_counter()
    summarize(results)
    return kernel, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    base, sizes = (QUICK_BASE, QUICK_SIZES) if args.quick else (BASE, SIZES)
    print(f"base: {base}")
    print(f"{'factor':<11} {'size':>6} {'kernel s':>9} {'summary s':>10}")
    for factor, values in sizes.items():
        timings = []
        for value in values:
            kernel, summary = measure({**base, factor: value})
            timings.append((value, kernel, summary))
            print(f"{factor:<11} {value:>6} {kernel:>9.2f} {summary:>10.2f}", flush=True)
        (small, k0, s0), (large, k1, s1) = timings[0], timings[-1]
        span = math.log(large / small)
        print(
            f"{'':<11} observed order: kernel {math.log(k1 / k0) / span:.2f}, "
            f"summary {math.log(s1 / s0) / span:.2f}"
        )


if __name__ == "__main__":
    main()
