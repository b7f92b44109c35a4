"""Recovery curve families ``g(τ)``: the share of lost capacity restored τ days in.

Every family is non-decreasing in τ, lies in ``[0, 1]`` and is 0 for τ < 0
(``docs/model.md``, "Availability of resources"). The functions accept Python
scalars or numpy arrays and broadcast their arguments; they return numpy arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

Array = npt.NDArray[Any]


def step(tau_days: npt.ArrayLike, time_days: npt.ArrayLike) -> Array:
    """All capacity back at once, ``time_days`` [d] after recovery starts.

    ``g(τ) = 1`` for ``τ >= T``, else 0.
    """
    tau = np.asarray(tau_days, dtype=float)
    return np.where(tau >= time_days, 1.0, 0.0) * (tau >= 0)


def linear(tau_days: npt.ArrayLike, time_days: npt.ArrayLike) -> Array:
    """Capacity comes back at a constant rate over ``time_days`` [d]: ``min(1, τ/T)``.

    ``T = 0`` means immediate recovery (from ``τ = 0``: still 0 for τ < 0).
    """
    tau_raw = np.asarray(tau_days, dtype=float)
    tau = np.clip(tau_raw, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fraction = np.where(np.asarray(time_days) > 0, tau / time_days, 1.0)
    return np.where(tau_raw >= 0, np.minimum(fraction, 1.0), 0.0)


def exponential(tau_days: npt.ArrayLike, time_days: npt.ArrayLike) -> Array:
    """Recovery that slows as it nears completion: ``1 - exp(-τ/T)``, ``T`` [d] the time constant.

    After ``T`` days 63 % of the lost capacity is back; after ``3T``, 95 %.
    """
    tau_raw = np.asarray(tau_days, dtype=float)
    tau = np.clip(tau_raw, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fraction = np.where(np.asarray(time_days) > 0, -np.expm1(-tau / time_days), 1.0)
    return np.where(tau_raw >= 0, fraction, 0.0)


def normal(tau_days: npt.ArrayLike, mean_days: npt.ArrayLike, sd_days: npt.ArrayLike) -> Array:
    """Restoration curve of disaster loss models: ``Φ((τ - μ)/σ)`` for ``τ >= 0``.

    ``μ`` [d] is the day by which half the lost capacity is back, ``σ`` [d] its
    spread. Form and reference values from the Hazus-MH 5.1 earthquake technical
    manual (FEMA), restoration functions for medical facilities.
    """
    tau = np.asarray(tau_days, dtype=float)
    sd = np.asarray(sd_days, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = np.where(sd > 0, (tau - mean_days) / sd, np.where(tau >= mean_days, np.inf, -np.inf))
    return np.where(tau >= 0, ndtr(z), 0.0)


@dataclass(frozen=True)
class CurveFamily:
    """One recovery curve family: its code, the time parameters it takes, its formula.

    ``code`` lets one integer array hold a different family per resource (or
    per draw), so the simulation evaluates every family in one broadcast call.
    ``evaluate(tau, time_days, mean_days, sd_days)`` ignores the parameters the
    family does not take.
    """

    name: str
    code: int
    parameters: tuple[str, ...]
    formula: str
    evaluate: Callable[..., np.ndarray]


def _none(
    tau_days: npt.ArrayLike,
    time_days: npt.ArrayLike,
    mean_days: npt.ArrayLike,
    sd_days: npt.ArrayLike,
) -> Array:
    return np.zeros(np.broadcast_shapes(np.shape(tau_days), np.shape(time_days)))


CURVE_FAMILIES: MappingProxyType[str, CurveFamily] = MappingProxyType(
    {
        family.name: family
        for family in (
            CurveFamily("none", 0, (), "g = 0", _none),
            CurveFamily(
                "step", 1, ("time_days",), "g = 1 from τ = T", lambda t, T, m, s: step(t, T)
            ),
            CurveFamily(
                "linear", 2, ("time_days",), "g = min(1, τ/T)", lambda t, T, m, s: linear(t, T)
            ),
            CurveFamily(
                "exponential",
                3,
                ("time_days",),
                "g = 1 - exp(-τ/T)",
                lambda t, T, m, s: exponential(t, T),
            ),
            CurveFamily(
                "normal",
                4,
                ("mean_days", "sd_days"),
                "g = Φ((τ - μ)/σ)",
                lambda t, T, m, s: normal(t, m, s),
            ),
        )
    }
)
"""Every recovery curve family by name: the one table that configuration checks,
the kernel and the documentation read."""

CURVE_CODES: MappingProxyType[str, int] = MappingProxyType(
    {name: family.code for name, family in CURVE_FAMILIES.items()}
)
"""Family name → integer code, as the parameter Dataset stores it."""


def recovery_fraction(
    tau_days: npt.ArrayLike,
    curve_code: npt.ArrayLike,
    time_days: npt.ArrayLike,
    mean_days: npt.ArrayLike,
    sd_days: npt.ArrayLike,
) -> Array:
    """``g(τ)`` for a family chosen by integer ``curve_code`` (see :data:`CURVE_CODES`).

    Parameters
    ----------
    tau_days : days since recovery started [d]; negative before it starts.
    curve_code : family code, broadcastable against ``tau_days``.
    time_days : ``T`` [d] of the step, linear and exponential families.
    mean_days, sd_days : ``μ`` and ``σ`` [d] of the normal family.
    """
    code = np.asarray(curve_code)
    shape = np.broadcast_shapes(
        np.shape(tau_days), code.shape, np.shape(time_days), np.shape(mean_days), np.shape(sd_days)
    )
    result = np.zeros(shape)
    for family in CURVE_FAMILIES.values():
        # Only evaluate the families that are present: most runs use two or three.
        if family.parameters and np.any(code == family.code):
            values = family.evaluate(tau_days, time_days, mean_days, sd_days)
            result = np.where(code == family.code, values, result)
    return result
