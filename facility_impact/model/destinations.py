"""Where each facility's travelling patients can go: padded tables of candidate destinations.

Destination choice (:mod:`facility_impact.model.choice`) weighs each destination
``j`` of a sender ``f`` by ``exp(-d_fj / λ)`` within reach. Most pairs of a large
network are out of reach, so instead of the full facility × destination matrix
the kernel works on each sender's candidates:

* ``destination_index[f, k]``: the position on the destination axis ``J`` (the
  modelled facilities in order, then the alternatives) of the sender's ``k``-th
  candidate, ascending, ``-1`` where the row is padded;
* ``destination_distance_km[f, k]``: the distance to it, ``inf`` in the padding.

A destination is a candidate of ``f`` unless, for every service and every
ensemble point, it is the sender itself, out of reach (``d > reach``, or
``d = inf``) or so far that ``exp(-d / λ)`` is below :data:`NEGLIGIBLE_FACTOR`
(``d > λ · ln(1 / NEGLIGIBLE_FACTOR)``, about 20.7 decay scales). The first
three take no one in the full model either; the last is the only truncation
(``docs/model.md``, "Destination choice", states its bound). With
``negligible=0`` the tables hold every destination the full model can send
anyone to, and the kernel's results are those of the full matrix bit for bit.
The table is as wide as the sender with the most candidates.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import xarray as xr

Array = npt.NDArray[Any]

NEGLIGIBLE_FACTOR = 1e-9
"""Distance factor ``exp(-d / λ)`` below which a destination is left out of a
sender's table when no service's reach stops it first [1]. At 1e-9 a destination
is dropped beyond 20.7 decay scales (947 km at the 45.7 km hospital default,
50 km at the 2.4 km outpatient one)."""

DISTANCE_INPUTS = ("network_distance_km", "alternative_distance_km")
"""The parameters the tables' distances come from, facilities first."""


class Tables(NamedTuple):
    """Each sender's candidate destinations, in the kernel's layout."""

    destination_index: Array
    """``(F, K)`` int64: positions on the destination axis, ascending; -1: padding."""
    destination_distance_km: Array
    """``(F, K, ·)`` [km]: the distance to each, ``inf`` in the padding."""


def farthest_useful_km(reach_km: Array, decay_km: Array, negligible: float | None = None) -> Array:
    """``(F,)`` [km]: the farthest any service of each sender, at any ensemble
    point, can send anyone: ``max_s min(reach, λ · ln(1 / negligible))``."""
    negligible = NEGLIGIBLE_FACTOR if negligible is None else negligible
    with np.errstate(invalid="ignore", over="ignore"):
        cutoff = math.inf if negligible <= 0 else -math.log(negligible)
        limit = np.minimum(reach_km, decay_km * cutoff)
    flat = limit.reshape(limit.shape[0], math.prod(limit.shape[1:]))
    return np.asarray(flat.max(axis=1, initial=-math.inf))


def destination_tables(
    distance_km: Array,
    reach_km: Array,
    decay_km: Array,
    negligible: float | None = None,
) -> Tables:
    """The candidate tables of senders ``F`` over destinations ``J``.

    ``distance_km`` ``(F, J, ·)`` [km], the modelled facilities first (so that
    ``j = f`` is the sender itself); ``reach_km`` and ``decay_km`` ``(F, S, ·)``
    [km]; ``negligible`` defaults to :data:`NEGLIGIBLE_FACTOR` (0: keep every
    destination within reach). Cost ``O(F · J)`` once, against ``O(F · J)`` a
    day for the full matrix.
    """
    n_senders, n_destinations = distance_km.shape[:2]
    points = math.prod(distance_km.shape[2:])
    nearest = distance_km.reshape(n_senders, n_destinations, points).min(axis=2, initial=math.inf)
    farthest = farthest_useful_km(reach_km, decay_km, negligible)
    candidate = np.isfinite(nearest) & (nearest <= farthest[:, None])
    own = np.arange(min(n_senders, n_destinations))
    candidate[own, own] = False
    width = max(1, int(candidate.sum(axis=1).max(initial=0)))
    index = np.full((n_senders, width), -1, dtype=np.int64)
    rows, columns = np.nonzero(candidate)  # row by row, columns ascending
    slot = np.cumsum(candidate, axis=1)[rows, columns] - 1
    index[rows, slot] = columns
    gathered = np.take_along_axis(distance_km, np.maximum(index, 0)[:, :, None], axis=1)
    distance = np.where(index[:, :, None] < 0, math.inf, gathered)
    return Tables(index, np.asarray(distance, dtype=float))


def _layout(variables: list[tuple[xr.DataArray, str]], ensemble: list[str]) -> list[Array]:
    """Each ``(variable, second dim)`` as numpy ``(facility, second, N)``: the
    ``ensemble`` dims broadcast across the variables and flattened into ``N``."""
    sizes = [max((v.sizes.get(d, 1) for v, _ in variables), default=1) for d in ensemble]
    laid = []
    for variable, second in variables:
        missing = [d for d in ensemble if d not in variable.dims]
        expanded = variable.expand_dims(missing) if missing else variable
        values = np.asarray(expanded.transpose("facility", second, *ensemble).values, dtype=float)
        full = np.broadcast_to(values, (*values.shape[:2], *sizes))
        laid.append(full.reshape(*values.shape[:2], math.prod(sizes)))
    return laid


def destination_variables(
    params: xr.Dataset, negligible: float | None = None
) -> dict[str, xr.DataArray]:
    """``destination_index`` and ``destination_distance_km`` of a parameter Dataset,
    the distances along the ensemble dims the distance inputs have."""
    network, alternative = (params[name] for name in DISTANCE_INPUTS)
    reach, decay = params["reach_km"], params["distance_decay_km"]
    structural = {"facility", "destination_facility", "alternative", "service"}
    along = [str(d) for d in params.dims if d not in structural]
    distance_dims = [d for d in along if d in network.dims or d in alternative.dims]
    travel_dims = [d for d in along if d in reach.dims or d in decay.dims]
    pairs = [(network, "destination_facility"), (alternative, "alternative")]
    distance = np.concatenate(_layout(pairs, distance_dims), axis=1)
    reach_km, decay_km = _layout([(reach, "service"), (decay, "service")], travel_dims)
    tables = destination_tables(distance, reach_km, decay_km, negligible)
    sizes = [params.sizes[d] for d in distance_dims]
    shaped = tables.destination_distance_km.reshape(*tables.destination_index.shape, *sizes)
    slots = ("facility", "destination_slot")
    return {
        "destination_index": xr.DataArray(tables.destination_index, dims=slots),
        "destination_distance_km": xr.DataArray(shaped, dims=(*slots, *distance_dims)),
    }
