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
    .venv/bin/python benchmarks/scaling.py --network # facilities on a plane (below)

``--network`` times a synthetic network instead: facilities scattered on a
plane at one per 100 km² (so the plane grows with their number), 4 services
with distance-decay scales of 2.4 to 45.7 km and a reach of 40 km, every tenth
facility struck on day 0, an alternative hospital at the centre; 20 draws ×
365 days. It prints, for 30 and 300 facilities and then for 1,000 facilities ×
100 draws, the time of ``load_config``, of ``build_parameters`` and of the
kernel, and the ratio of the 300- to the 30-facility cost (load, build and
kernel together).
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from typing import Any

import numpy as np

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


def _service(index: int, decay_km: float, reach_km: float | None = None) -> dict[str, Any]:
    """Service ``index`` of every facility: volumes a little apart, half of them needing
    the whole building, willingness to travel uncertain."""
    table: dict[str, Any] = {
        "volume_per_month": 300.0 + 10 * index,
        "needs": {"staff": 1.0, "building": 0.5 + 0.5 * (index % 2)},
        "deferrable_share": 0.3,
        "backlog_attrition_per_day": 0.03,
        "willingness_to_travel": {"dist": "uniform", "low": 0.3, "high": 0.8},
        "distance_decay_km": decay_km,
    }
    if reach_km is not None:
        table["reach_km"] = reach_km
    return table


def _facilities_with_strikes(
    names: list[str],
    services: dict[str, Any],
    struck: list[str],
    alternative_km: float | dict[str, float],
    draws: int,
    days: int,
) -> dict[str, Any]:
    """Facilities ``names`` with the same ``services``, the ``struck`` ones destroyed on
    day 0 (uncertain closure and rebuild), and one district hospital with room."""
    return {
        "run": {"horizon_days": days, "draws": draws, "seed": 1},
        "facility": {
            name: {
                "population": 40_000.0,
                "resources": {"staff": 50.0, "building": 1.0},
                "services": services,
            }
            for name in names
        },
        "strike": [
            {
                "facility": name,
                "day": 0,
                "closure_days": {"dist": "triangular", "low": 7, "mode": 30, "high": 90},
                "damage": {"building": 1.0, "staff": 0.2},
            }
            for name in struck
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
                "distance_km": alternative_km,
                "spare_capacity_per_month": {name: 50.0 for name in services},
            }
        ],
    }


def configuration(draws: int, days: int, services: int, facilities: int) -> dict[str, Any]:
    """A mapping configuration of the given size (see the module docstring)."""
    service_tables = {f"service_{i}": _service(i, 20.0) for i in range(services)}
    names = [f"facility_{i}" for i in range(facilities)]
    config = _facilities_with_strikes(names, service_tables, names[:1], 25.0, draws, days)
    if facilities > 1:
        config["network"] = {
            "facilities": names,
            "distance_km": [[0.0 if i == j else 10.0 for j in names] for i in names],
        }
    return config


PLANE_DECAY_KM = (2.4, 10.0, 20.0, 45.7)
"""Distance-decay scales of the plane's four services [km]: the outpatient (Feikin
et al. 2009) and hospital (Moïsi et al. 2011) defaults and two between."""
PLANE_REACH_KM = 40.0
"""Farthest a patient of the plane's services travels [km] (a benchmark choice)."""


def plane_configuration(facilities: int, draws: int, days: int) -> dict[str, Any]:
    """Facilities scattered on a plane (see the module docstring), distances the
    straight line rounded to 0.1 km, given as the ``[network]`` matrix."""
    rng = np.random.default_rng(20240915)
    side = math.sqrt(facilities * 100.0)
    points = rng.uniform(0.0, side, size=(facilities, 2))
    km = np.round(np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1)), 1)
    names = [f"f{i}" for i in range(facilities)]
    services = {
        f"service_{i}": _service(i, decay, PLANE_REACH_KM) for i, decay in enumerate(PLANE_DECAY_KM)
    }
    centre = np.hypot(*(points - side / 2).T)
    to_centre = {n: round(float(d), 1) for n, d in zip(names, centre, strict=True)}
    config = _facilities_with_strikes(names, services, names[::10], to_centre, draws, days)
    config["network"] = {"facilities": names, "distance_km": km.tolist()}
    return config


def measure_plane(facilities: int, draws: int, days: int) -> list[tuple[float, float]]:
    """Wall and CPU seconds to load, to build the parameters of and to run the plane."""
    raw = plane_configuration(facilities, draws, days)
    clocks = [(time.perf_counter(), time.process_time())]
    config = load_config(raw)
    clocks.append((time.perf_counter(), time.process_time()))
    params = build_parameters(config)
    clocks.append((time.perf_counter(), time.process_time()))
    run_model(params)
    clocks.append((time.perf_counter(), time.process_time()))
    return [
        (after[0] - before[0], after[1] - before[1]) for before, after in itertools.pairwise(clocks)
    ]


def network_main() -> None:
    print("wall (cpu) seconds")
    print(f"{'facilities':>10} {'draws':>6} {'load':>13} {'build':>13} {'kernel':>15}")
    totals = {}
    for facilities, draws in ((30, 20), (300, 20), (1000, 100)):
        parts = measure_plane(facilities, draws, 365)
        totals[facilities] = (sum(p[0] for p in parts), sum(p[1] for p in parts))
        shown = " ".join(f"{wall:>7.2f} ({cpu:.2f})" for wall, cpu in parts)
        print(f"{facilities:>10} {draws:>6} {shown}", flush=True)
        if facilities == 300:
            wall, cpu = (totals[300][i] / totals[30][i] for i in (0, 1))
            print(f"300 / 30 facilities (20 draws): ×{wall:.1f} wall, ×{cpu:.1f} cpu", flush=True)
    wall, cpu = totals[1000]
    print(f"1,000 facilities × 100 draws × 365 days: {wall:.1f} s wall, {cpu:.1f} s cpu")


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
    parser.add_argument("--network", action="store_true", help="facilities on a plane")
    args = parser.parse_args()
    if args.network:
        network_main()
        return
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
