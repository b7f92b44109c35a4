"""The facility impact model as a plain Python loop: one draw at a time, scalar floats.

    .venv/bin/python benchmarks/loop_model.py [--repeat N] [--config PATH]

A yardstick for the vectorised kernel (``facility_impact.model.kernel.run_model``)
and a second, independent statement of the equations of docs/model.md as
implemented per ``docs/model.md``. It deliberately shares no code with the
kernel: every quantity is a Python float, and the loops over days,
facilities, services, resources, strikes and destinations (the other
modelled facilities and the external alternatives) are written out.
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

from facility_impact import load_config
from facility_impact.model.parameters import build_parameters
from facility_impact.variables import PARAMETERS, ensemble_dims

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
    "arrivals",
    "received",
)
"""Outputs shaped ``[time][facility][service]``, in patients per day (backlog: patients)."""

OUTPUTS = (*SERVICE_OUTPUTS, "available", "population", "is_open", "received_by_alternative")
"""Every output of :func:`run_one`: the same names as ``run_model`` returns."""

MODEL_INPUTS = (
    "population_baseline",
    "facility_opens_day",
    "facility_closes_day",
    "network_distance_km",
    "baseline_capacity",
    "demand_ratio",
    "dependency_weight",
    "deferrable_share",
    "backlog_attrition",
    "willingness_to_travel",
    "distance_decay_km",
    "demand_multiplier",
    "displacement_share",
    "displacement_curve",
    "displacement_time_days",
    "displacement_mean_days",
    "displacement_sd_days",
    "displacement_start_day",
    "strike_day",
    "strike_closure_days",
    "strike_damage",
    "strike_casualties",
    "strike_target",
    "strike_casualty_service",
    "recovery_curve",
    "recovery_time_days",
    "recovery_mean_days",
    "recovery_sd_days",
    "recovery_delay_days",
    "recoverable_share",
    "alternative_distance_km",
    "alternative_spare_capacity",
    "alternative_capacity",
    "alternative_opens_day",
)
"""The parameters :func:`run_one` reads; their dims come from the variable registry.

The parameter Dataset holds more (``baseline_quantity``, ``outcome_rate``,
``outcome_service``, ``input_quantile``): they describe the system or the
ensemble but take no part in the daily flows."""


# ------------------------------------------------------------------ parameters


def draw_parameters(params: xr.Dataset, **index: int) -> dict[str, Any]:
    """One point of the parameter ensemble as plain nested Python lists.

    ``index`` picks one position along every ensemble dim (``draw=3``,
    ``closure_days=0``, …) as :meth:`xarray.Dataset.isel` does. Each variable
    of :data:`MODEL_INPUTS` comes back with all the structural dims that
    the variable registry lists for it, in that order, so a parameter stored
    without a dim it does not vary along is repeated over it. Units are those
    of the Dataset.
    """
    point = params.isel(index) if index else params
    left_over = sorted(ensemble_dims(point))
    if left_over:
        raise ValueError(f"give a position along every ensemble dim; missing: {left_over}")
    lists: dict[str, Any] = {}
    for name in MODEL_INPUTS:
        dims = PARAMETERS[name].dims
        variable = point[name]
        absent = {d: point.sizes[d] for d in dims if d not in variable.dims}
        if absent:
            variable = variable.expand_dims(absent)
        lists[name] = variable.transpose(*dims).values.astype(float).tolist()
    return lists


def ensemble_points(params: xr.Dataset) -> list[dict[str, int]]:
    """Every combination of positions along the ensemble dims (one empty dict if none)."""
    dims = list(ensemble_dims(params))
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


def travel_decay(distance_km: float, decay_km: float) -> float:
    """``exp(-d/λ)`` [1]; 0 for a destination out of reach (``d = inf``).

    ``λ = inf`` (no decay) gives 1 at any finite distance.
    """
    if math.isinf(distance_km):
        return 0.0
    return math.exp(-distance_km / decay_km)


def run_one(parameters: dict[str, Any]) -> dict[str, list]:
    """Simulate one draw given as plain lists (see :func:`draw_parameters`).

    Returns nested lists indexed by day first: ``[time][facility][service]``
    for the flows of :data:`SERVICE_OUTPUTS` (patients per day; ``backlog`` in
    patients waiting at the end of the day; ``arrivals`` and ``received`` are
    what other facilities' patients brought to and got served at this one),
    ``available`` ``[time][facility][resource]`` (fraction), ``population``
    ``[time][facility]`` (persons), ``is_open`` ``[time][facility]`` (1 or 0) and
    ``received_by_alternative`` ``[time][alternative][service]`` (patients
    per day). Needs at least one facility and one service.

    Each day: every facility serves its own new patients, then its own
    backlog; the patients who seek care elsewhere head for the other open
    modelled facilities and the open alternatives (one destination list per
    sender: itself excluded); every destination serves what arrives from all
    senders pro rata, up to the capacity its own patients left spare. One hop.
    """
    p = parameters
    facilities = range(len(p["population_baseline"]))
    services = range(len(p["baseline_capacity"][0]))
    resources = range(len(p["recovery_curve"][0]))
    strikes = range(len(p["strike_day"]))
    hits = [[k for k in strikes if p["strike_target"][k][f] > 0] for f in facilities]
    # State carried from one day to the next, per facility.
    state = {
        "anchor": ones(facilities, resources),  # availability just after the latest strike
        # Day recovery starts (t_k + c_k of the latest strike); never, before any strike.
        "recovery_start": [math.inf for _ in facilities],
        "available": ones(facilities, resources),  # yesterday's
        "backlog": zeros(facilities, services),  # patients waiting at the end of the day
    }
    out: dict[str, list] = {name: [] for name in OUTPUTS}
    for t in range(len(p["demand_multiplier"][0][0])):
        today = [_facility_day(p, f, t, hits[f], state) for f in facilities]
        capacity = [day["capacity"] for day in today]
        demand = [day["demand"] for day in today]
        local = _serve_locally(p, t, capacity, demand, state["backlog"])
        diverted = _divert(p, t, [day["is_open"] for day in today], local)
        for name in ("capacity", "demand", "available", "population", "is_open"):
            out[name].append([day[name] for day in today])
        for name in ("served", "abandoned"):
            out[name].append(local[name])
        out["backlog"].append([list(row) for row in state["backlog"]])
        for name in ("served_elsewhere", "unmet", "arrivals", "received"):
            out[name].append(diverted[name])
        out["received_by_alternative"].append(diverted["received_by_alternative"])
        state["available"] = [day["available"] for day in today]
    return out


def _facility_day(
    p: dict[str, Any], f: int, t: int, hits: list[int], state: dict[str, Any]
) -> dict[str, Any]:
    """Facility ``f`` on day ``t``: availability after the day's strikes,
    open or not, population, and each service's capacity and demand."""
    resources = range(len(p["recovery_curve"][0]))
    services = range(len(p["baseline_capacity"][0]))
    strike_day, closure_days = p["strike_day"], p["strike_closure_days"]
    anchor = state["anchor"]
    # Availability: the strikes of the day multiply what was left yesterday;
    # the recovery clock restarts after the latest closure. A strike before
    # the facility opens damages it all the same.
    strikes_today = [k for k in hits if strike_day[k] == t]
    if strikes_today:
        for r in resources:
            surviving = 1.0
            for k in strikes_today:
                surviving *= 1.0 - p["strike_damage"][k][r]
            anchor[f][r] = state["available"][f][r] * surviving
        state["recovery_start"][f] = max(strike_day[k] + closure_days[k] for k in strikes_today)
    availability = []
    for r in resources:
        restored = restored_share(
            t - state["recovery_start"][f] - p["recovery_delay_days"][f][r],
            p["recovery_curve"][f][r],
            p["recovery_time_days"][f][r],
            p["recovery_mean_days"][f][r],
            p["recovery_sd_days"][f][r],
        )
        lost = 1.0 - anchor[f][r]
        availability.append(anchor[f][r] + p["recoverable_share"][f][r] * lost * restored)

    # Open once it exists, until it closes for good, and outside the closure
    # window of every strike on it.
    exists = t >= p["facility_opens_day"][f]
    gone = t >= p["facility_closes_day"][f]
    struck_closed = any(strike_day[k] <= t < strike_day[k] + closure_days[k] for k in hits)
    is_open = 1.0 if exists and not gone and not struck_closed else 0.0

    displaced = p["displacement_share"][f] * restored_share(
        t - p["displacement_start_day"][f],
        p["displacement_curve"][f],
        p["displacement_time_days"][f],
        p["displacement_mean_days"][f],
        p["displacement_sd_days"][f],
    )
    population = p["population_baseline"][f] * (1.0 - displaced)
    population_ratio = population / p["population_baseline"][f]

    capacity, demand = [], []
    for s in services:
        baseline = p["baseline_capacity"][f][s]
        # The scarcest resource the service depends on sets its capacity.
        limit = 1.0
        for r in resources:
            limit = min(limit, 1.0 - p["dependency_weight"][f][s][r] * (1.0 - availability[r]))
        capacity.append(baseline * is_open * limit)
        # Before it opens a facility has no patients of its own, not even a
        # strike's casualties; after it closes for good its population still
        # needs care.
        need = 0.0
        if exists:
            need = (
                baseline
                * p["demand_ratio"][f][s]
                * population_ratio
                * p["demand_multiplier"][f][s][t]
            )
            for k in strikes_today:
                if p["strike_casualty_service"][k][s] > 0:
                    need += p["strike_casualties"][k]
        demand.append(need)
    return {
        "available": availability,
        "is_open": is_open,
        "population": population,
        "capacity": capacity,
        "demand": demand,
    }


def _serve_locally(
    p: dict[str, Any], t: int, capacity: list, demand: list, backlog: list
) -> dict[str, list]:
    """Local service: new patients first, then yesterday's ``backlog`` after
    attrition (updated in place to tonight's). Returns served, abandoned, the
    patients seeking care elsewhere and the capacity left spare."""
    facilities = range(len(capacity))
    services = range(len(capacity[0]))
    served = zeros(facilities, services)
    abandoned = zeros(facilities, services)
    seeking = zeros(facilities, services)
    spare = zeros(facilities, services)  # capacity left after the facility's own patients
    for f in facilities:
        # Nobody waits for a facility closed for good: on its closing day the
        # queue gives up, and from then on nobody joins one.
        gone = t >= p["facility_closes_day"][f]
        for s in services:
            attrition = 1.0 if gone else p["backlog_attrition"][f][s]
            deferrable = 0.0 if gone else p["deferrable_share"][f][s]
            abandoned[f][s] = attrition * backlog[f][s]
            still_waiting = backlog[f][s] - abandoned[f][s]
            new_served = min(capacity[f][s], demand[f][s])
            backlog_served = min(capacity[f][s] - new_served, still_waiting)
            served[f][s] = new_served + backlog_served
            spare[f][s] = max(0.0, capacity[f][s] - served[f][s])
            not_served = demand[f][s] - new_served
            # Deferrable care waits at home (never diverts); the rest looks
            # for another facility today.
            waits = deferrable * not_served
            seeking[f][s] = not_served - waits
            backlog[f][s] = still_waiting - backlog_served + waits
    return {"served": served, "abandoned": abandoned, "seeking": seeking, "spare": spare}


def _divert(p: dict[str, Any], t: int, open_today: list, local: dict[str, list]) -> dict[str, list]:
    """Diversion, one hop, service by service (see :func:`_divert_service`)."""
    facilities = range(len(open_today))
    services = range(len(p["baseline_capacity"][0]))
    alternatives = range(len(p["alternative_opens_day"]))
    out = {
        name: zeros(facilities, services)
        for name in ("arrivals", "received", "served_elsewhere", "unmet")
    }
    out["received_by_alternative"] = zeros(alternatives, services)
    for s in services:
        _divert_service(p, t, s, open_today, local, out)
    return out


def _divert_service(
    p: dict[str, Any],
    t: int,
    s: int,
    open_today: list,
    local: dict[str, list],
    out: dict[str, list],
) -> None:
    """Diversion of service ``s``, written into ``out``.

    A destination attracts in proportion to its baseline capacity while it is
    open (a modelled facility: opened, not closed by a strike, not closed for
    good; an alternative: from its opening day); distance decays the flow. A
    sender is not its own destination. Each destination serves the arrivals
    from all senders pro rata, up to its spare capacity; every sender gets the
    same fraction.
    """
    facilities = range(len(open_today))
    alternatives = range(len(p["alternative_opens_day"]))
    seeking, spare, baseline = local["seeking"], local["spare"], p["baseline_capacity"]
    is_open_alternative = [t >= p["alternative_opens_day"][j] for j in alternatives]
    facility_attraction = [baseline[g][s] if open_today[g] > 0 else 0.0 for g in facilities]
    alternative_attraction = [
        p["alternative_capacity"][j][s] if is_open_alternative[j] else 0.0 for j in alternatives
    ]
    # heading_to_*[f][destination]: sender f's patients heading there.
    heading_to_facility = zeros(facilities, facilities)
    heading_to_alternative = zeros(facilities, alternatives)
    for f in facilities:
        total = sum(facility_attraction[g] for g in facilities if g != f)
        total += sum(alternative_attraction)
        if total <= 0 or seeking[f][s] == 0:
            continue  # nowhere open to go, or nobody going
        travelling = seeking[f][s] * p["willingness_to_travel"][f][s]
        decay_km = p["distance_decay_km"][f][s]
        for g in facilities:
            if g == f or facility_attraction[g] <= 0:
                continue
            decay = travel_decay(p["network_distance_km"][f][g], decay_km)
            heading_to_facility[f][g] = travelling * decay * (facility_attraction[g] / total)
        for j in alternatives:
            if alternative_attraction[j] <= 0:
                continue
            decay = travel_decay(p["alternative_distance_km"][f][j], decay_km)
            heading_to_alternative[f][j] = travelling * decay * (alternative_attraction[j] / total)

    facility_fraction = [0.0 for _ in facilities]
    for g in facilities:
        arriving = sum(heading_to_facility[f][g] for f in facilities)
        absorbed = min(arriving, spare[g][s])
        out["arrivals"][g][s] = arriving
        out["received"][g][s] = absorbed
        if arriving > 0:
            facility_fraction[g] = absorbed / arriving
    alternative_fraction = [0.0 for _ in alternatives]
    for j in alternatives:
        arriving = sum(heading_to_alternative[f][j] for f in facilities)
        room = p["alternative_spare_capacity"][j][s] if is_open_alternative[j] else 0.0
        absorbed = min(arriving, room)
        out["received_by_alternative"][j][s] = absorbed
        if arriving > 0:
            alternative_fraction[j] = absorbed / arriving
    for f in facilities:
        elsewhere = 0.0
        for g in facilities:
            elsewhere += heading_to_facility[f][g] * facility_fraction[g]
        for j in alternatives:
            elsewhere += heading_to_alternative[f][j] * alternative_fraction[j]
        out["served_elsewhere"][f][s] = elsewhere
        out["unmet"][f][s] = seeking[f][s] - elsewhere


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
