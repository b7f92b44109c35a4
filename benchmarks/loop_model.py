"""The facility impact model as a plain Python loop: one draw at a time, scalar floats.

    .venv/bin/python benchmarks/loop_model.py [--repeat N] [--config PATH]

A yardstick for the vectorised kernel (``facility_impact.model.run_model``)
and a second, independent statement of the equations of MODEL.md as
implemented per ``docs/model.md``. It deliberately shares no code with the
kernel: every quantity is a Python float, and the loops over days,
facilities, services, resources, strikes and alternatives are written out.
``tests/test_loop_model.py`` checks that both give the same numbers.

Units throughout: patients per day for flows, patients for the backlog,
persons for the population, days for times, km for distances, fractions
(``1``) for shares, weights and availability.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time
from pathlib import Path
from typing import Any

import xarray as xr

from facility_impact.parameters import PARAMETER_METADATA, STRUCTURAL_DIMS

REFERENCE_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"

# Recovery curve family codes as the parameter Dataset stores them
# (``facility_impact.curves.CURVE_CODES``; the test checks they agree).
CURVE_NONE = 0
CURVE_STEP = 1
CURVE_LINEAR = 2
CURVE_EXPONENTIAL = 3
CURVE_NORMAL = 4

SERVICE_OUTPUTS = (
    "capacity",
    "demand",
    "served",
    "served_elsewhere",
    "unmet",
    "abandoned",
    "backlog",
)
"""Outputs shaped ``[time][facility][service]``, in patients per day (backlog: patients)."""

OUTPUTS = (*SERVICE_OUTPUTS, "available", "population", "open", "received_by_alternative")
"""Every output of :func:`run_one`: the same names as ``run_model`` returns."""


# ------------------------------------------------------------------ parameters


def draw_parameters(params: xr.Dataset, **index: int) -> dict[str, Any]:
    """One point of the parameter ensemble as plain nested Python lists.

    ``index`` picks one position along every ensemble dim (``draw=3``,
    ``closure_days=0``, …) as :meth:`xarray.Dataset.isel` does. Each variable
    comes back with all the structural dims that ``PARAMETER_METADATA`` lists
    for it, in that order, so a parameter stored without a dim it does not
    vary along is repeated over it. Units are those of the Dataset.
    """
    point = params.isel(index) if index else params
    left_over = sorted({d for d in point.dims if d not in STRUCTURAL_DIMS})
    if left_over:
        raise ValueError(f"give a position along every ensemble dim; missing: {left_over}")
    lists: dict[str, Any] = {}
    for name, (dims, _units, _long_name) in PARAMETER_METADATA.items():
        variable = point[name]
        absent = {d: point.sizes[d] for d in dims if d not in variable.dims}
        if absent:
            variable = variable.expand_dims(absent)
        lists[name] = variable.transpose(*dims).values.astype(float).tolist()
    return lists


def ensemble_points(params: xr.Dataset) -> list[dict[str, int]]:
    """Every combination of positions along the ensemble dims (one empty dict if none)."""
    dims = [d for d in params.dims if d not in STRUCTURAL_DIMS]
    ranges = [range(params.sizes[d]) for d in dims]
    return [dict(zip(dims, position, strict=True)) for position in itertools.product(*ranges)]


# ------------------------------------------------------------------ recovery curves


def restored_share(
    tau_days: float, curve_code: float, time_days: float, mean_days: float, sd_days: float
) -> float:
    """``g(τ)`` [1]: the share of the lost part restored ``tau_days`` [d] after recovery starts.

    ``time_days`` [d] is ``T`` of the step, linear and exponential families;
    ``mean_days`` and ``sd_days`` [d] are ``μ`` and ``σ`` of the normal family.
    Every family is 0 before recovery starts (τ < 0). A time, or ``σ``, of 0
    means everything comes back at once.
    """
    if tau_days < 0:
        return 0.0
    code = int(curve_code)
    if code == CURVE_NONE:
        return 0.0
    if code == CURVE_STEP:
        return 1.0 if tau_days >= time_days else 0.0
    if code == CURVE_LINEAR:
        return min(1.0, tau_days / time_days) if time_days > 0 else 1.0
    if code == CURVE_EXPONENTIAL:
        # expm1 keeps the first days of a slow recovery accurate.
        return -math.expm1(-tau_days / time_days) if time_days > 0 else 1.0
    if code == CURVE_NORMAL:
        if sd_days <= 0:
            return 1.0 if tau_days >= mean_days else 0.0
        # Φ(z) through erfc rather than 1 + erf(z/√2): far below the mean
        # (Φ ~ 1e-19 on a Hazus curve's first day) 1 + erf would cancel to 0.
        z = (tau_days - mean_days) / sd_days
        return 0.5 * math.erfc(-z / math.sqrt(2.0))
    raise ValueError(f"unknown recovery curve code {curve_code!r}")


# ------------------------------------------------------------------ one draw


def zeros(rows: range, columns: range) -> list[list[float]]:
    """A ``[row][column]`` table of 0.0."""
    return [[0.0 for _ in columns] for _ in rows]


def ones(rows: range, columns: range) -> list[list[float]]:
    """A ``[row][column]`` table of 1.0."""
    return [[1.0 for _ in columns] for _ in rows]


def run_one(parameters: dict[str, Any]) -> dict[str, list]:
    """Simulate one draw given as plain lists (see :func:`draw_parameters`).

    Returns nested lists indexed by day first: ``[time][facility][service]``
    for the flows of :data:`SERVICE_OUTPUTS` (patients per day; ``backlog`` in
    patients waiting at the end of the day), ``available``
    ``[time][facility][resource]`` (fraction), ``population``
    ``[time][facility]`` (persons), ``open`` ``[time][facility]`` (1 or 0) and
    ``received_by_alternative`` ``[time][alternative][service]`` (patients
    per day). Needs at least one facility and one service.
    """
    p = parameters
    facilities = range(len(p["population_baseline"]))
    services = range(len(p["baseline_capacity"][0]))
    resources = range(len(p["recovery_curve"]))
    strikes = range(len(p["strike_day"]))
    alternatives = range(len(p["alternative_opens_day"]))
    horizon = len(p["demand_multiplier"][0][0])

    strike_day = p["strike_day"]
    closure_days = p["strike_closure_days"]
    hits = [[k for k in strikes if p["strike_target"][k][f] > 0] for f in facilities]

    # State carried from one day to the next, per facility.
    anchor = ones(facilities, resources)  # a^k: availability just after the latest strike
    # Day recovery starts (t_k + c_k of the latest strike); never, before any strike.
    recovery_start = [math.inf for _ in facilities]
    available_yesterday = ones(facilities, resources)
    backlog = zeros(facilities, services)  # patients waiting at the end of the day

    out: dict[str, list] = {name: [] for name in OUTPUTS}

    for t in range(horizon):
        available_today = []
        population_today = []
        open_today = []
        capacity = []
        demand = []
        for f in facilities:
            # Availability: the strikes of the day multiply what was left
            # yesterday; the recovery clock restarts after the latest closure.
            strikes_today = [k for k in hits[f] if strike_day[k] == t]
            if strikes_today:
                for r in resources:
                    surviving = 1.0
                    for k in strikes_today:
                        surviving *= 1.0 - p["strike_damage"][k][r]
                    anchor[f][r] = available_yesterday[f][r] * surviving
                recovery_start[f] = max(strike_day[k] + closure_days[k] for k in strikes_today)
            availability = []
            for r in resources:
                restored = restored_share(
                    t - recovery_start[f] - p["recovery_delay_days"][r],
                    p["recovery_curve"][r],
                    p["recovery_time_days"][r],
                    p["recovery_mean_days"][r],
                    p["recovery_sd_days"][r],
                )
                lost = 1.0 - anchor[f][r]
                availability.append(anchor[f][r] + p["recoverable_share"][r] * lost * restored)
            available_today.append(availability)

            # Closed while any strike's closure window covers the day.
            is_closed = any(strike_day[k] <= t < strike_day[k] + closure_days[k] for k in hits[f])
            is_open = 0.0 if is_closed else 1.0
            open_today.append(is_open)

            displaced = p["displacement_share"][f] * restored_share(
                t - p["displacement_start_day"][f],
                p["displacement_curve"][f],
                p["displacement_time_days"][f],
                p["displacement_mean_days"][f],
                p["displacement_sd_days"][f],
            )
            population = p["population_baseline"][f] * (1.0 - displaced)
            population_today.append(population)
            population_ratio = population / p["population_baseline"][f]

            capacity_f = []
            demand_f = []
            for s in services:
                # The scarcest resource the service depends on sets its capacity.
                limit = 1.0
                for r in resources:
                    weight = p["dependency_weight"][f][s][r]
                    limit = min(limit, 1.0 - weight * (1.0 - availability[r]))
                baseline = p["baseline_capacity"][f][s]
                capacity_f.append(baseline * is_open * limit)

                need = (
                    baseline
                    * p["demand_ratio"][f][s]
                    * population_ratio
                    * p["demand_multiplier"][f][s][t]
                )
                for k in strikes_today:
                    if p["strike_casualty_service"][k][s] > 0:
                        need += p["strike_casualties"][k]
                demand_f.append(need)
            capacity.append(capacity_f)
            demand.append(demand_f)

        # Local service: new patients first, then yesterday's backlog after attrition.
        served = zeros(facilities, services)
        abandoned = zeros(facilities, services)
        seeking = zeros(facilities, services)
        for f in facilities:
            for s in services:
                abandoned[f][s] = p["backlog_attrition"][f][s] * backlog[f][s]
                still_waiting = backlog[f][s] - abandoned[f][s]
                new_served = min(capacity[f][s], demand[f][s])
                backlog_served = min(capacity[f][s] - new_served, still_waiting)
                served[f][s] = new_served + backlog_served
                not_served = demand[f][s] - new_served
                # Deferrable care waits at home (never diverts); the rest
                # looks for another facility today.
                waits = p["deferrable_share"][f][s] * not_served
                seeking[f][s] = not_served - waits
                backlog[f][s] = still_waiting - backlog_served + waits

        # Diversion, one hop. An alternative attracts in proportion to its
        # capacity among those open today; distance decays the flow.
        is_open_alternative = [t >= p["alternative_opens_day"][j] for j in alternatives]
        heading = [zeros(services, alternatives) for _ in facilities]  # [f][s][j]
        received = []  # [j][s]
        for s in services:
            attraction = [
                p["alternative_capacity"][j][s] if is_open_alternative[j] else 0.0
                for j in alternatives
            ]
            total_attraction = sum(attraction)
            if total_attraction <= 0:
                continue  # no alternative for this service open today
            for f in facilities:
                for j in alternatives:
                    distance = p["alternative_distance_km"][f][j]
                    if math.isinf(distance):
                        continue  # out of reach: nobody arrives
                    decay = math.exp(-distance / p["distance_decay_km"][f][s])
                    share = (
                        p["willingness_to_travel"][f][s] * decay * attraction[j] / total_attraction
                    )
                    heading[f][s][j] = seeking[f][s] * share
        # Each alternative serves all arrivals pro rata, up to its spare capacity.
        absorbed_fraction = zeros(alternatives, services)
        for j in alternatives:
            received_j = []
            for s in services:
                arriving = sum(heading[f][s][j] for f in facilities)
                spare = p["alternative_spare_capacity"][j][s] if is_open_alternative[j] else 0.0
                absorbed = min(arriving, spare)
                received_j.append(absorbed)
                if arriving > 0:
                    absorbed_fraction[j][s] = absorbed / arriving
            received.append(received_j)

        served_elsewhere = []
        unmet = []
        for f in facilities:
            elsewhere_f = []
            unmet_f = []
            for s in services:
                elsewhere = sum(heading[f][s][j] * absorbed_fraction[j][s] for j in alternatives)
                elsewhere_f.append(elsewhere)
                unmet_f.append(seeking[f][s] - elsewhere)
            served_elsewhere.append(elsewhere_f)
            unmet.append(unmet_f)

        out["capacity"].append(capacity)
        out["demand"].append(demand)
        out["served"].append(served)
        out["served_elsewhere"].append(served_elsewhere)
        out["unmet"].append(unmet)
        out["abandoned"].append(abandoned)
        out["backlog"].append([list(row) for row in backlog])
        out["available"].append(available_today)
        out["population"].append(population_today)
        out["open"].append(open_today)
        out["received_by_alternative"].append(received)
        available_yesterday = available_today
    return out


# ------------------------------------------------------------------ timing


def run_draws(params: xr.Dataset) -> float:
    """Run :func:`run_one` at every point of the ensemble; return the elapsed seconds.

    The parameters of all points are converted to lists first, so the time is
    the simulation alone, as for the vectorised kernel.
    """
    draws = [draw_parameters(params, **point) for point in ensemble_points(params)]
    start = time.perf_counter()
    for parameters in draws:
        run_one(parameters)
    return time.perf_counter() - start


def main() -> None:
    """Print the median wall time of one draw of ``--config`` over ``--repeat`` runs."""
    from facility_impact import load_config
    from facility_impact.parameters import build_parameters

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--config", default=str(REFERENCE_CONFIG))
    args = parser.parse_args()
    params = build_parameters(load_config(args.config))
    times = [run_draws(params) for _ in range(args.repeat)]
    points = len(ensemble_points(params))
    per_draw = statistics.median(times) / points
    horizon = params.sizes["time"]
    cells = params.sizes["facility"] * params.sizes["service"] * horizon
    print(f"configuration: {args.config} ({points} draw(s) of {horizon} days), {args.repeat} runs")
    print(f"  run_one median {per_draw * 1000:8.1f} ms per draw")
    print(f"  run_one median {per_draw * 365 / horizon * 1000:8.1f} ms per draw-year")
    print(f"  loop speed     {cells / per_draw:,.0f} facility-service-days per second")


if __name__ == "__main__":
    main()
