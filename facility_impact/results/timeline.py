"""When the strikes begin: the day summary windows count from."""

from __future__ import annotations

import xarray as xr


def first_strike_day(results: xr.Dataset) -> xr.DataArray:
    """``t0`` [d]: the day of the first strike anywhere (0 when there is none).

    Strikes switched off in a scenario have a NaN day and do not count; ``t0``
    varies along any scenario, sweep or draw dim the strike days vary along.
    """
    if results.sizes.get("strike", 0) == 0:
        return xr.DataArray(0.0)
    return results["strike_day"].min("strike").fillna(0.0)
