"""Set the parameters of the model's newer terms on a parameter Dataset directly.

Staff fates, returns of displaced people, relocated sites, resource limits,
baseline demand, reach and the people's response are set here on the Dataset that
``build_parameters`` made, by their registry names, so that the tests of the
model's equations do not depend on how a configuration spells them. Every edit
replaces the variable with a fresh array: the builder may let several
variables share one array, and an edit in place would change them all.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr
from hypothesis import strategies as st

from facility_impact.curves import CURVE_CODES
from facility_impact.variables import PARAMETERS

FATES = ("killed", "injured", "abducted", "fled")
"""The staff fates in the order of the ``fate`` coordinate."""


def set_parameter(params: xr.Dataset, name: str, values: Any) -> None:
    """``params[name]`` = ``values`` laid out on the registry's dims of ``name``."""
    dims = PARAMETERS[name].dims
    array = np.array(values, dtype=float)
    shape = tuple(params.sizes[d] for d in dims)
    if array.size == 0:
        array = array.reshape(shape)  # nested empty lists lose their trailing dims
    elif array.ndim != len(dims):
        array = np.broadcast_to(array, shape).copy()
    params[name] = xr.DataArray(array, dims=dims, attrs=params[name].attrs)


def set_cell(params: xr.Dataset, name: str, value: float, **labels: Any) -> None:
    """One cell (or every cell the ``labels`` leave free) of ``params[name]`` = ``value``."""
    variable = params[name].copy(deep=True)
    variable.loc[labels] = value
    params[name] = variable


def curve(family: str, **times: float) -> dict[str, float]:
    """A curve's code and times: ``curve("linear", time_days=30)``."""
    table = {"curve": float(CURVE_CODES[family]), "time_days": 0.0, "mean_days": 0.0}
    table["sd_days"] = 0.0
    table.update({key: float(value) for key, value in times.items()})
    return table


def set_curves(params: xr.Dataset, prefix: str, tables: dict[str, float] | list) -> None:
    """``{prefix}_curve``, ``_time_days``, ``_mean_days``, ``_sd_days`` from one table of
    :func:`curve` (a scalar curve) or a list of them (one per entry of its dim)."""
    for key in ("curve", "time_days", "mean_days", "sd_days"):
        if isinstance(tables, dict):
            set_parameter(params, f"{prefix}_{key}", tables[key])
        else:
            set_parameter(params, f"{prefix}_{key}", [table[key] for table in tables])


def set_staff_fates(
    params: xr.Dataset,
    shares: list[list[float]],
    returns: dict[str, tuple[float, dict[str, float]]] | None = None,
    recruitment: tuple[float, dict[str, float]] | None = None,
) -> None:
    """Staff lost per strike and fate (``shares[k]`` in :data:`FATES` order, a share of the
    target's staff), each fate's returning share and curve, and recruitment."""
    assert tuple(params["fate"].values) == FATES
    set_parameter(params, "strike_staff_share", shares)
    returns = returns or {}
    never = (0.0, curve("none"))
    set_parameter(params, "staff_return_share", [returns.get(f, never)[0] for f in FATES])
    set_curves(params, "staff_return", [returns.get(f, never)[1] for f in FATES])
    share, table = recruitment or never
    set_parameter(params, "recruitment_share", share)
    set_curves(params, "recruitment", table)


def set_response(
    params: xr.Dataset, responses: list[tuple[list[list[float]], dict[str, float]] | None]
) -> None:
    """The people's response to each strike: ``responses[k]`` is ``None`` (nobody stays
    away) or the shares staying away ``[facility][service]`` and the curve they fade along."""
    sizes = params.sizes
    shares = np.zeros((sizes["strike"], sizes["facility"], sizes["service"]))
    tables = []
    for k in range(sizes["strike"]):
        response = responses[k] if k < len(responses) else None
        if response is not None:
            shares[k] = response[0]
        tables.append(curve("none") if response is None else response[1])
    set_parameter(params, "response_share", shares)
    set_curves(params, "response", tables)


def set_return(
    params: xr.Dataset, facility: str, share: float, start_day: float, table: dict[str, float]
) -> None:
    """The displaced people of ``facility`` come back: ``share`` of them along ``table``."""
    set_cell(params, "return_share", share, facility=facility)
    set_cell(params, "return_start_day", start_day, facility=facility)
    for key in ("curve", "time_days", "mean_days", "sd_days"):
        set_cell(params, f"return_{key}", table[key], facility=facility)


def set_relocation(
    params: xr.Dataset,
    facility: str,
    opens_day: float,
    distance_km: float,
    shares: dict[str, float],
) -> None:
    """A relocated site of ``facility`` from ``opens_day``, ``distance_km`` from its
    catchment, with its own ``shares`` of some resources; the others move with it."""
    set_cell(params, "relocation_opens_day", opens_day, facility=facility)
    set_cell(params, "relocation_distance_km", distance_km, facility=facility)
    for resource in params["resource"].values:
        listed = str(resource) in shares
        set_cell(
            params,
            "relocation_carried",
            0.0 if listed else 1.0,
            facility=facility,
            resource=resource,
        )
        set_cell(
            params,
            "relocation_share",
            shares.get(str(resource), 0.0),
            facility=facility,
            resource=resource,
        )


# ------------------------------------------------------------------ random newer terms


@st.composite
def curve_tables(draw, subnormal: bool = True) -> dict[str, float]:
    """A random curve as :func:`curve` gives it: every family, times up to 60 days."""
    family = draw(st.sampled_from(sorted(CURVE_CODES)))

    def days(low: float, high: float) -> float:
        return draw(st.floats(low, high, allow_subnormal=None if subnormal else False))

    if family in ("step", "linear"):
        return curve(family, time_days=days(0.0, 60.0))
    if family == "exponential":
        return curve(family, time_days=days(0.5, 60.0))
    if family == "normal":
        return curve(family, mean_days=days(0.0, 60.0), sd_days=days(0.0, 20.0))
    return curve(family)


@st.composite
def new_terms(draw, params: xr.Dataset, subnormal: bool = True) -> dict[str, Any]:
    """Random staff fates, returns and recruitment, resource limits, reach, returns of
    displaced people, their destinations, relocated sites and the people's response
    to each strike for the entries of
    ``params``, as plain data (so that hypothesis prints a failing example whole);
    :func:`apply_new_terms` sets them. ``subnormal``: whether floats may be subnormal."""
    sizes = params.sizes
    horizon = sizes["time"]

    def number(low: float, high: float) -> float:
        return draw(st.floats(low, high, allow_subnormal=None if subnormal else False))

    def curve_table() -> dict[str, float]:
        return draw(curve_tables(subnormal))

    terms: dict[str, Any] = {
        "shares": [
            [number(0.0, 0.6) if draw(st.booleans()) else 0.0 for _ in FATES]
            for _ in range(sizes["strike"])
        ],
        "returns": {
            fate: (number(0.0, 1.0), curve_table()) for fate in FATES if draw(st.booleans())
        },
        "recruitment": (number(0.0, 1.0), curve_table()) if draw(st.booleans()) else None,
    }
    limits = np.full((sizes["facility"], sizes["resource"], sizes["service"]), np.inf)
    for index in np.ndindex(limits.shape):
        if draw(st.integers(0, 3)) == 0:
            limits[index] = number(0.0, 60.0)
    terms["resource_capacity"] = limits.tolist()
    terms["reach_km"] = [
        [math.inf if draw(st.booleans()) else number(0.0, 40.0) for _ in range(sizes["service"])]
        for _ in range(sizes["facility"])
    ]
    resources = [str(r) for r in params["resource"].values]
    names = [str(name) for name in params["facility"].values]
    terms["return"], terms["relocation"] = {}, {}
    for name in names:
        if draw(st.booleans()):
            terms["return"][name] = (number(0.0, 1.0), draw(st.integers(0, horizon)), curve_table())
        if draw(st.integers(0, 2)) == 0:
            listed = {r: number(0.0, 1.0) for r in resources if draw(st.booleans())}
            opens_day = draw(st.integers(0, horizon))
            terms["relocation"][name] = (opens_day, number(0.0, 30.0), listed)
    terms["response"] = [
        (
            [
                [number(0.0, 1.0) if draw(st.booleans()) else 0.0 for _ in range(sizes["service"])]
                for _ in names
            ],
            curve_table(),
        )
        if draw(st.booleans())
        else None
        for _ in range(sizes["strike"])
    ]
    if len(names) > 1:
        moves = np.zeros((len(names), len(names)))
        for i, j in np.ndindex(moves.shape):
            if i != j and draw(st.booleans()):
                moves[i, j] = number(0.0, 1.0)
        rows = moves.sum(axis=1, keepdims=True)
        terms["displacement_destination"] = (moves / np.maximum(rows, 1.0)).tolist()
    return terms


def apply_new_terms(params: xr.Dataset, terms: dict[str, Any]) -> xr.Dataset:
    """A copy of ``params`` with the values of :func:`new_terms`."""
    params = params.copy(deep=True)
    set_staff_fates(params, terms["shares"], terms["returns"], terms["recruitment"])
    set_parameter(params, "resource_capacity", terms["resource_capacity"])
    set_parameter(params, "reach_km", terms["reach_km"])
    for name, (share, start_day, table) in terms["return"].items():
        set_return(params, name, share, start_day, table)
    for name, (opens_day, distance_km, listed) in terms["relocation"].items():
        set_relocation(params, name, opens_day, distance_km, listed)
    if "response" in terms:
        set_response(params, terms["response"])
    if "displacement_destination" in terms:
        set_parameter(params, "displacement_destination", terms["displacement_destination"])
    return params


@st.composite
def random_new_terms(draw, params: xr.Dataset) -> xr.Dataset:
    """A copy of ``params`` with random values of :func:`new_terms`."""
    return apply_new_terms(params, draw(new_terms(params)))
