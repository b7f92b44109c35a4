"""The facility impact model as a plain Python loop: one draw at a time, scalar floats.

    .venv/bin/python benchmarks/loop_model.py [--repeat N] [--config PATH]

A yardstick for the vectorised kernel (``facility_impact.model.kernel.run_model``)
and a second, independent statement of the model's equations (docs/model.md):
capacity from resources and from a relocated site, demand from people (with
hosted displaced people and their return, less those who stay away after an
attack: the people's response), strikes that remember (each strike's
damage recovers on its own clock of open days; staff lost by fate come back,
or are replaced, on calendar days), destination choice of the Huff type with a
reach and one retry for the overflow, and the no-strike counterfactual world
against which care is forgone or displaced. It deliberately shares no code with
the kernel: every quantity is a Python float, and the loops over days,
facilities, services, resources, strikes, staff fates and destinations (the
other modelled facilities, then the external alternatives) are written out.
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
from typing import Any, NamedTuple

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

WORLD_OUTPUTS = (
    "capacity",
    "demand",
    "served",
    "served_elsewhere",
    "unmet",
    "abandoned",
    "backlog",
    "arrivals",
    "received",
    "not_sought",
)
"""Flows of one world shaped ``[time][facility][service]`` (patients per day; backlog: patients)."""

ACCOUNTS = (
    "counterfactual_demand",
    "counterfactual_served",
    "forgone",
    "displaced",
    "waiting_change",
    "added_demand",
)
"""The world with the strikes against the world without, ``[time][facility][service]``."""

SERVICE_OUTPUTS = (*WORLD_OUTPUTS, *ACCOUNTS)
"""Outputs shaped ``[time][facility][service]``."""

OUTPUTS = (*SERVICE_OUTPUTS, "available", "population", "is_open", "received_by_alternative")
"""Every output of :func:`run_one`: the same names as ``run_model`` returns."""

MODEL_INPUTS = (
    "population_baseline",
    "facility_opens_day",
    "facility_closes_day",
    "network_distance_km",
    "baseline_capacity",
    "baseline_demand",
    "resource_capacity",
    "dependency_weight",
    "deferrable_share",
    "backlog_attrition",
    "willingness_to_travel",
    "distance_decay_km",
    "reach_km",
    "demand_multiplier",
    "displacement_share",
    "displacement_curve",
    "displacement_time_days",
    "displacement_mean_days",
    "displacement_sd_days",
    "displacement_start_day",
    "displacement_destination",
    "return_share",
    "return_start_day",
    "return_curve",
    "return_time_days",
    "return_mean_days",
    "return_sd_days",
    "strike_day",
    "strike_closure_days",
    "strike_damage",
    "strike_casualties",
    "strike_target",
    "strike_casualty_service",
    "strike_staff_share",
    "response_share",
    "response_curve",
    "response_time_days",
    "response_mean_days",
    "response_sd_days",
    "staff_resource",
    "staff_return_share",
    "staff_return_curve",
    "staff_return_time_days",
    "staff_return_mean_days",
    "staff_return_sd_days",
    "recruitment_share",
    "recruitment_curve",
    "recruitment_time_days",
    "recruitment_mean_days",
    "recruitment_sd_days",
    "recovery_curve",
    "recovery_time_days",
    "recovery_mean_days",
    "recovery_sd_days",
    "recovery_delay_days",
    "recoverable_share",
    "relocation_opens_day",
    "relocation_distance_km",
    "relocation_share",
    "relocation_carried",
    "alternative_distance_km",
    "alternative_spare_capacity",
    "alternative_opens_day",
)
"""The parameters :func:`run_one` reads; their dims come from the variable registry.

The parameter Dataset holds more (``baseline_quantity``, ``outcome_rate``,
``outcome_service``, ``input_quantile``): they describe the system or the
ensemble but take no part in the daily flows. ``alternative_capacity`` is not
read either: destinations attract by the spare capacity they have today."""


# ------------------------------------------------------------------ parameters


def draw_parameters(params: xr.Dataset, **index: int) -> dict[str, Any]:
    """One point of the parameter ensemble as plain nested Python lists.

    ``index`` picks one position along every ensemble dim (``draw=3``,
    ``closure_days=0``, …) as :meth:`xarray.Dataset.isel` does. Each variable
    of :data:`MODEL_INPUTS` comes back with all the structural dims that
    the variable registry lists for it, in that order, so a parameter stored
    without a dim it does not vary along is repeated over it; a parameter
    without dims comes back as a float. Units are those of the Dataset.
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


# ------------------------------------------------------------------ curves and distances


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


def _curve(p: dict[str, Any], prefix: str, tau_days: float, *index: int) -> float:
    """``g(τ)`` of the curve whose parameters are ``{prefix}_curve``, ``{prefix}_time_days``, …
    at ``index`` (none for a scalar curve such as recruitment)."""

    def value(suffix: str) -> float:
        cell = p[f"{prefix}_{suffix}"]
        for i in index:
            cell = cell[i]
        return float(cell)

    return restored_share(
        tau_days, value("curve"), value("time_days"), value("mean_days"), value("sd_days")
    )


def travel_decay(distance_km: float, decay_km: float) -> float:
    """``exp(-d/λ)`` [1]; 0 for a destination at infinite distance.

    ``λ = inf`` (no decay) gives 1 at any finite distance.
    """
    if math.isinf(distance_km):
        return 0.0
    if distance_km == 0.0:
        return 1.0
    return math.exp(-distance_km / decay_km)


def zeros(rows: range, columns: range) -> list[list[float]]:
    """A ``[row][column]`` table of 0.0."""
    return [[0.0 for _ in columns] for _ in rows]


# ------------------------------------------------------------------ one draw


def run_one(parameters: dict[str, Any]) -> dict[str, list]:
    """Simulate one draw given as plain lists (see :func:`draw_parameters`).

    Returns nested lists indexed by day first: ``[time][facility][service]``
    for :data:`SERVICE_OUTPUTS` (patients per day; ``backlog`` in patients
    waiting at the end of the day), ``available`` ``[time][facility][resource]``
    (fraction), ``population`` ``[time][facility]`` (persons), ``is_open``
    ``[time][facility]`` (1 or 0) and ``received_by_alternative``
    ``[time][alternative][service]`` (patients per day).

    The world with the strikes is simulated, then the world without them (no
    strike hits anybody, nobody is displaced, no site is relocated), and the
    two are compared day by day (:func:`_accounts`).
    """
    actual = _world(parameters)
    counterfactual = _world(_without_strikes(parameters))
    out = {name: actual[name] for name in OUTPUTS if name in actual}
    out.update(_accounts(actual, counterfactual))
    return out


def _without_strikes(p: dict[str, Any]) -> dict[str, Any]:
    """The same draw in the world without the strikes: no target, nobody staying away,
    no displacement, no relocated site; every other parameter unchanged."""
    facilities = range(len(p["population_baseline"]))
    counterfactual = dict(p)
    counterfactual["strike_target"] = [[0.0 for _ in facilities] for _ in p["strike_target"]]
    counterfactual["response_share"] = [
        [[0.0 for _ in row] for row in strike] for strike in p["response_share"]
    ]
    counterfactual["displacement_share"] = [0.0 for _ in facilities]
    counterfactual["relocation_opens_day"] = [math.inf for _ in facilities]
    return counterfactual


class _Struck(NamedTuple):
    """One strike as its target remembers it."""

    day: float
    """The strike's day t_k [d]."""
    clock: int
    """The target's open days before the strike day, c_f(t_k) [d]."""
    damaged: list[float]
    """L_kr: the share of each resource the damage took [1]."""
    staff_lost: list[float]
    """S_kφ: the share of the staff lost, by fate [1]."""


def _world(p: dict[str, Any]) -> dict[str, list]:
    """One world, day by day: every output of :data:`WORLD_OUTPUTS` plus
    ``available``, ``population``, ``is_open``, ``received_by_alternative``,
    the population share ``share`` ``[time][facility]`` and ``added_demand``."""
    facilities = range(len(p["population_baseline"]))
    strikes = range(len(p["strike_day"]))
    hits = [[k for k in strikes if p["strike_target"][k][f] > 0] for f in facilities]
    clocks = [0 for _ in facilities]  # open days before today
    struck: list[list[_Struck]] = [[] for _ in facilities]
    backlog = zeros(facilities, range(len(p["baseline_capacity"][0])))
    kept = (*WORLD_OUTPUTS, "available", "population", "is_open", "received_by_alternative")
    out: dict[str, list] = {name: [] for name in (*kept, "share", "added_demand")}
    for t in range(len(p["demand_multiplier"][0][0])):
        share = [_population_share(p, f, t) for f in facilities]
        today = [_facility_day(p, f, t, hits[f], clocks[f], struck[f], share) for f in facilities]
        local = _serve_locally(p, t, today, backlog)
        diverted = _divert(p, t, local)
        for name in (
            "capacity",
            "demand",
            "not_sought",
            "available",
            "population",
            "is_open",
            "added_demand",
        ):
            out[name].append([day[name] for day in today])
        out["share"].append(share)
        out["served"].append(local["served"])
        out["abandoned"].append(local["abandoned"])
        out["backlog"].append([list(row) for row in backlog])
        for name in ("served_elsewhere", "unmet", "arrivals", "received"):
            out[name].append(diverted[name])
        out["received_by_alternative"].append(diverted["received_by_alternative"])
        for f in facilities:
            clocks[f] += int(today[f]["is_open"])
    return out


def _population_share(p: dict[str, Any], f: int, t: int) -> float:
    """π_f(t) = 1 - s g_L(t - t_L) (1 - ρ_ret g_R(t - t_R)) [1]."""
    left = _curve(p, "displacement", t - p["displacement_start_day"][f], f)
    back = _curve(p, "return", t - p["return_start_day"][f], f)
    return 1.0 - p["displacement_share"][f] * left * (1.0 - p["return_share"][f] * back)


# ------------------------------------------------------------------ strikes and availability


def _availability(
    p: dict[str, Any], f: int, t: int, clock: int, struck: list[_Struck]
) -> list[float]:
    """a_r(t) of facility ``f``, its open-day clock at ``clock``, after the strikes ``struck``.

    Each strike's damage recovers on its own clock of open days; staff lost by
    fate return, or are replaced by recruits, on calendar days from the strike.
    """
    available = []
    for r in range(len(p["recovery_curve"][f])):
        level = 1.0
        for strike in struck:
            restored = _curve(
                p, "recovery", clock - strike.clock - p["recovery_delay_days"][f][r], f, r
            )
            level -= strike.damaged[r] * (1.0 - p["recoverable_share"][f][r] * restored)
            if p["staff_resource"][r] > 0:
                since = t - strike.day
                recruited = p["recruitment_share"] * _curve(p, "recruitment", since)
                for fate, lost in enumerate(strike.staff_lost):
                    back = p["staff_return_share"][fate] * _curve(p, "staff_return", since, fate)
                    level -= lost * (1.0 - back) * (1.0 - recruited)
        available.append(level)
    return available


def _strike(p: dict[str, Any], f: int, t: int, k: int, clock: int, struck: list[_Struck]) -> None:
    """Strike ``k`` hits facility ``f`` on day ``t``: staff fates first, then the
    damage fraction of what is left of each resource; appended to ``struck``."""
    before = _availability(p, f, t, clock, struck)
    shares = p["strike_staff_share"][k]
    staff_rows = [r for r in range(len(before)) if p["staff_resource"][r] > 0]
    staff_before = before[staff_rows[0]] if staff_rows else 0.0
    asked = sum(shares)
    # No more staff can be lost than there are: every fate scaled down alike.
    scale = min(1.0, staff_before / asked) if asked > 0 else 0.0
    staff_lost = [share * scale for share in shares]
    damaged = []
    for r, level in enumerate(before):
        left = level - (sum(staff_lost) if p["staff_resource"][r] > 0 else 0.0)
        damaged.append(left * p["strike_damage"][k][r])
    struck.append(_Struck(day=float(t), clock=clock, damaged=damaged, staff_lost=staff_lost))


# ------------------------------------------------------------------ one facility's day


def _facility_day(
    p: dict[str, Any],
    f: int,
    t: int,
    hits: list[int],
    clock: int,
    struck: list[_Struck],
    share: list[float],
) -> dict[str, Any]:
    """Facility ``f`` on day ``t``: the day's strikes, availability, open or not,
    population, and each service's capacity, reach and demand."""
    strike_day, closure_days = p["strike_day"], p["strike_closure_days"]
    opened = t >= p["facility_opens_day"][f]
    gone = t >= p["facility_closes_day"][f]
    shut = any(strike_day[k] <= t < strike_day[k] + closure_days[k] for k in hits)
    is_open = opened and not gone and not shut
    strikes_today = [k for k in hits if strike_day[k] == t]  # in strike order
    for k in strikes_today:
        _strike(p, f, t, k, clock, struck)
    available = _availability(p, f, t, clock, struck)
    on_site = opened and not gone and t >= p["relocation_opens_day"][f]
    at_site = [
        available[r] if p["relocation_carried"][f][r] > 0 else p["relocation_share"][f][r]
        for r in range(len(available))
    ]
    capacity, reach, demand, added, not_sought = [], [], [], [], []
    for s in range(len(p["baseline_capacity"][f])):
        here = _capacity(p, f, s, available) if is_open else 0.0
        there = _capacity(p, f, s, at_site) if on_site else 0.0
        capacity.append(max(here, there))
        # The relocated site serves when it can do more: then its distance
        # keeps some of the catchment from reaching it.
        decay = travel_decay(p["relocation_distance_km"][f], p["distance_decay_km"][f][s])
        # Only a site that is there serves: availability rounded a hair below 0 (a
        # strike that took everything) would otherwise make a capacity of -1e-16
        # "smaller" than the 0 of a site not yet open.
        reach.append(decay if on_site and there > here else 1.0)
        casualties = sum(
            p["strike_casualties"][k] * p["strike_casualty_service"][k][s] for k in strikes_today
        )
        hosted = _hosted(p, f, s, t, share)
        people = p["baseline_demand"][f][s] * share[f] * p["demand_multiplier"][f][s][t] + hosted
        away = _avoidance(p, f, s, t)
        demand.append(people * (1.0 - away) + casualties if opened else 0.0)
        not_sought.append(people * away if opened else 0.0)
        added.append(casualties + hosted if opened else 0.0)
    return {
        "available": available,
        "is_open": 1.0 if is_open else 0.0,
        "population": p["population_baseline"][f] * share[f],
        "capacity": capacity,
        "reach": reach,
        "demand": demand,
        "not_sought": not_sought,
        "added_demand": added,
    }


def _capacity(p: dict[str, Any], f: int, s: int, available: list[float]) -> float:
    """min(C0 (1 - max_r w_sr (1 - a_r)), min_r K_rs a_r) [patient d-1]; K = inf sets no limit."""
    worst = 0.0
    for r, level in enumerate(available):
        worst = max(worst, p["dependency_weight"][f][s][r] * (1.0 - level))
    capacity = p["baseline_capacity"][f][s] * (1.0 - worst)
    for r, level in enumerate(available):
        limit = p["resource_capacity"][f][r][s]
        if not math.isinf(limit):
            capacity = min(capacity, limit * level)
    return capacity


def _avoidance(p: dict[str, Any], f: int, s: int, t: int) -> float:
    """avoid_fs(t) = 1 - Π_k (1 - r⁰_kfs (1 - g_k(t - t_k))) over the strikes of day t_k <= t:
    the share of the people's demand that stays away after attacks."""
    staying = 1.0
    for k, day in enumerate(p["strike_day"]):
        if day <= t:  # never for a strike without a day (NaN)
            faded = _curve(p, "response", t - day, k)
            staying *= 1.0 - p["response_share"][k][f][s] * (1.0 - faded)
    return 1.0 - staying


def _hosted(p: dict[str, Any], d: int, s: int, t: int, share: list[float]) -> float:
    """H_ds: the demand of displaced people who settled in facility ``d``'s catchment."""
    hosted = 0.0
    for f in range(len(share)):
        moved = p["displacement_destination"][f][d]
        if moved > 0:
            need = p["baseline_demand"][f][s] * p["demand_multiplier"][f][s][t]
            hosted += moved * (1.0 - share[f]) * need
    return hosted


# ------------------------------------------------------------------ local service


def _serve_locally(
    p: dict[str, Any], t: int, today: list[dict[str, Any]], backlog: list[list[float]]
) -> dict[str, list]:
    """Local service: new patients who reach the facility first, then yesterday's
    ``backlog`` after attrition (updated in place to tonight's). Returns served,
    abandoned, the patients seeking care elsewhere and the capacity left spare."""
    facilities = range(len(today))
    services = range(len(backlog[0]) if backlog else 0)
    served = zeros(facilities, services)
    abandoned = zeros(facilities, services)
    seeking = zeros(facilities, services)
    spare = zeros(facilities, services)
    for f in facilities:
        # Nobody waits for a facility closed for good: on its closing day the
        # queue gives up, and from then on nobody joins one.
        gone = t >= p["facility_closes_day"][f]
        for s in services:
            attrition = 1.0 if gone else p["backlog_attrition"][f][s]
            deferrable = 0.0 if gone else p["deferrable_share"][f][s]
            capacity, need = today[f]["capacity"][s], today[f]["demand"][s]
            reaching = need * today[f]["reach"][s]
            abandoned[f][s] = attrition * backlog[f][s]
            kept = backlog[f][s] - abandoned[f][s]
            new_served = min(capacity, reaching)
            backlog_served = min(capacity - new_served, kept)
            served[f][s] = new_served + backlog_served
            spare[f][s] = max(0.0, capacity - served[f][s])
            unserved = reaching - new_served
            waits = deferrable * unserved
            seeking[f][s] = unserved - waits + need * (1.0 - today[f]["reach"][s])
            backlog[f][s] = kept - backlog_served + waits
    return {"served": served, "abandoned": abandoned, "seeking": seeking, "spare": spare}


# ------------------------------------------------------------------ destination choice


def _divert(p: dict[str, Any], t: int, local: dict[str, list]) -> dict[str, list]:
    """Destination choice, service by service (see :func:`_divert_service`)."""
    facilities = range(len(local["seeking"]))
    services = range(len(p["baseline_capacity"][0]))
    alternatives = range(len(p["alternative_opens_day"]))
    out = {
        name: zeros(facilities, services)
        for name in ("arrivals", "received", "served_elsewhere", "unmet")
    }
    out["received_by_alternative"] = zeros(alternatives, services)
    for s in services:
        _divert_service(p, t, s, local, out)
    return out


def _divert_service(
    p: dict[str, Any], t: int, s: int, local: dict[str, list], out: dict[str, list]
) -> None:
    """Destination choice of service ``s``, written into ``out``.

    Destinations: the modelled facilities (their capacity left after their own
    patients), then the alternatives (their spare capacity from their opening
    day). Sender ``f`` sees destination ``j`` with weight ``e_fj = exp(-d/λ)``
    if ``j`` is not ``f`` and within reach, else 0. A share ``α max_j e_fj``
    (over destinations with room) of its seekers travel, split in proportion
    to ``spare_j e_fj``; each destination takes what arrives pro rata up to
    its room. What it turns away tries once more, split by the room left.
    """
    senders = range(len(local["seeking"]))
    alternatives = range(len(p["alternative_opens_day"]))
    n_facilities = len(senders)
    room = [local["spare"][g][s] for g in senders] + [
        p["alternative_spare_capacity"][j][s] if t >= p["alternative_opens_day"][j] else 0.0
        for j in alternatives
    ]
    weight = [_weights(p, f, s) for f in senders]
    heading = []
    for f in senders:
        pull = [room[j] * weight[f][j] for j in range(len(room))]
        reachable = [weight[f][j] for j in range(len(room)) if room[j] > 0]
        travelling = local["seeking"][f][s] * p["willingness_to_travel"][f][s]
        heading.append(_split(travelling * max(reachable, default=0.0), pull))
    first_arrivals, first_taken, first_served = _absorb(heading, room)
    room_left = [room[j] - first_taken[j] for j in range(len(room))]
    retry = []
    for f in senders:
        overflow = sum(heading[f]) - first_served[f]
        retry.append(_split(overflow, [room_left[j] * weight[f][j] for j in range(len(room))]))
    second_arrivals, second_taken, second_served = _absorb(retry, room_left)
    for f in senders:
        elsewhere = first_served[f] + second_served[f]
        out["served_elsewhere"][f][s] = elsewhere
        out["unmet"][f][s] = local["seeking"][f][s] - elsewhere
    for j in range(len(room)):
        arrivals = first_arrivals[j] + second_arrivals[j]
        taken = first_taken[j] + second_taken[j]
        if j < n_facilities:
            out["arrivals"][j][s] = arrivals
            out["received"][j][s] = taken
        else:
            out["received_by_alternative"][j - n_facilities][s] = taken


def _weights(p: dict[str, Any], f: int, s: int) -> list[float]:
    """e_fj for every destination: modelled facilities, then alternatives."""
    decay_km, reach_km = p["distance_decay_km"][f][s], p["reach_km"][f][s]
    distances = list(p["network_distance_km"][f]) + list(p["alternative_distance_km"][f])
    weights = []
    for j, distance in enumerate(distances):
        own = j == f  # a facility is not its own destination
        weights.append(0.0 if own or distance > reach_km else travel_decay(distance, decay_km))
    return weights


def _split(patients: float, pull: list[float]) -> list[float]:
    """``patients`` shared in proportion to ``pull`` (nobody goes if nothing pulls)."""
    total = sum(pull)
    if patients <= 0 or total <= 0:
        return [0.0 for _ in pull]
    return [patients * weight / total for weight in pull]


def _absorb(
    heading: list[list[float]], room: list[float]
) -> tuple[list[float], list[float], list[float]]:
    """Each destination takes what heads for it up to its ``room``, every sender pro rata.

    Returns arrivals and patients taken per destination, and patients served per sender.
    """
    destinations = range(len(room))
    arrivals = [sum(row[j] for row in heading) for j in destinations]
    taken = [min(arrivals[j], room[j]) for j in destinations]
    fraction = [taken[j] / arrivals[j] if arrivals[j] > 0 else 0.0 for j in destinations]
    served = [sum(row[j] * fraction[j] for j in destinations) for row in heading]
    return arrivals, taken, served


# ------------------------------------------------------------------ against the world without


def _accounts(actual: dict[str, list], counterfactual: dict[str, list]) -> dict[str, list]:
    """The world with the strikes against the world without, each day:

    forgone = (unmet + abandoned + not_sought) - π (unmet_cf + abandoned_cf);
    displaced = (1 - π) (served_cf + served_elsewhere_cf);
    waiting_change = ΔB - π ΔB_cf, with the backlog B before day 0 at 0.
    """
    out: dict[str, list] = {name: [] for name in ACCOUNTS}
    days = range(len(actual["demand"]))
    for t in days:
        rows = {name: [] for name in ACCOUNTS}
        for f, share in enumerate(actual["share"][t]):
            for name in ACCOUNTS:
                rows[name].append([])
            for s in range(len(actual["demand"][t][f])):
                cf = {name: counterfactual[name][t][f][s] for name in WORLD_OUTPUTS}
                now = {name: actual[name][t][f][s] for name in WORLD_OUTPUTS}
                before = actual["backlog"][t - 1][f][s] if t else 0.0
                before_cf = counterfactual["backlog"][t - 1][f][s] if t else 0.0
                served_cf = cf["served"] + cf["served_elsewhere"]
                values = {
                    "counterfactual_demand": cf["demand"],
                    "counterfactual_served": served_cf,
                    "forgone": now["unmet"]
                    + now["abandoned"]
                    + now["not_sought"]
                    - share * (cf["unmet"] + cf["abandoned"]),
                    "displaced": (1.0 - share) * served_cf,
                    "waiting_change": (now["backlog"] - before)
                    - share * (cf["backlog"] - before_cf),
                    "added_demand": actual["added_demand"][t][f][s],
                }
                for name in ACCOUNTS:
                    rows[name][f].append(values[name])
        for name in ACCOUNTS:
            out[name].append(rows[name])
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
    print(f"  run_one median {per_draw * 1000:8.1f} ms per draw (both worlds)")
    print(f"  run_one median {per_draw * 365 / horizon * 1000:8.1f} ms per draw-year")
    print(f"  loop speed     {cells / per_draw:,.0f} facility-service-days per second")


if __name__ == "__main__":
    main()
