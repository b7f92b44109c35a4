"""Stacking configured numbers into DataArrays along the parameter Dataset's dims.

A configured number is fixed, or :class:`~facility_impact.config.variation.Varying`
(a sweep or a distribution). :func:`stack` puts nested lists of them into one
DataArray, whose varying cells add their sweep dim or ``draw`` as leading dims.
:class:`Layout` knows one scenario's entries along each structural dim; the
parameter builders (:mod:`facility_impact.model.parameter_groups` and
:mod:`facility_impact.model.parameter_events`) stack their numbers through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.config import Config, Facility
from facility_impact.config.variation import Varying

Realise = Callable[[Varying], xr.DataArray]
"""Turns a swept or uncertain configured number into its values along its dim."""


def stack(
    values: Any, dims: tuple[str, ...], shape: tuple[int, ...], realise: Realise
) -> xr.DataArray:
    """A DataArray from nested lists of configured numbers.

    Fixed numbers fill a plain array; each :class:`Varying` cell is replaced
    by its realised values along its sweep dim or ``draw``, which become
    leading dims of the result.
    """
    cells = np.array(values, dtype=object).reshape(shape)
    nominal = cells.astype(float)
    varying = [(index, cell) for index, cell in np.ndenumerate(cells) if isinstance(cell, Varying)]
    if not varying:
        return xr.DataArray(nominal, dims=dims)
    realised = xr.broadcast(*(realise(cell) for _, cell in varying))
    extra_dims = realised[0].dims
    out = np.array(np.broadcast_to(nominal, realised[0].shape + shape))
    for (index, _), array in zip(varying, realised, strict=True):
        out[(Ellipsis, *index)] = array.transpose(*extra_dims).values
    coords = {dim: realised[0].coords[dim] for dim in extra_dims if dim in realised[0].coords}
    return xr.DataArray(out, dims=(*extra_dims, *dims), coords=coords)


def where(
    condition: xr.DataArray, when_true: xr.DataArray | float, otherwise: xr.DataArray | float
) -> xr.DataArray:
    """``xarray.where`` with types: ``when_true`` where ``condition`` holds, else ``otherwise``."""
    # xarray's where carries no type annotations.
    chosen: xr.DataArray = xr.where(condition, when_true, otherwise)  # type: ignore[no-untyped-call]
    return chosen


@dataclass(frozen=True)
class Layout:
    """One scenario's entries along each structural dim, and how to stack numbers on them."""

    config: Config
    realise: Realise

    @property
    def facilities(self) -> list[Facility]:
        return list(self.config.facilities.values())

    @property
    def facility_names(self) -> list[str]:
        return [f.name for f in self.facilities]

    def size(self, dim: str) -> int:
        config = self.config
        return {
            "facility": len(config.facilities),
            "destination_facility": len(config.facilities),
            "service": len(config.service_names),
            "resource": len(config.resource_names),
            "strike": len(config.strikes),
            "alternative": len(config.alternatives),
            "outcome": len(config.outcomes),
            "fate": len(config.staff_return),
        }[dim]

    def stack(self, values: Any, *dims: str) -> xr.DataArray:
        """``values`` (nested lists, one level per dim; a single number for none) on ``dims``."""
        return stack(values, dims, tuple(self.size(d) for d in dims), self.realise)

    def mask(self, values: Any, *dims: str) -> xr.DataArray:
        """Nested lists of booleans on ``dims``: which cells something holds for (no
        ensemble dims)."""
        shape = tuple(self.size(d) for d in dims)
        return xr.DataArray(np.array(values, dtype=bool).reshape(shape), dims=dims)

    def number(self, value: float) -> float | xr.DataArray:
        return self.realise(value) if isinstance(value, Varying) else float(value)
