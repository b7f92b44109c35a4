"""The summaries of results in memory, the per-draw indicators and the daily bands
computed at the same time on two threads.

The two are independent (:func:`~facility_impact.results.summary.summarize` and
:func:`~facility_impact.results.saved.daily_bands` each read the daily results
and write nothing the other reads), and numpy releases the interpreter lock in
the large sums, comparisons and sorts both are made of, so on two cores they
take about the time of the longer one (measured for 20,000 draws of the
uncertain reference: 2.3 s and 1.2 s one after the other, 2.2 s together;
``benchmarks/ratios.py``). Each is computed exactly as it would be alone, so
the numbers do not depend on the threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import xarray as xr

from facility_impact.results.saved import daily_bands
from facility_impact.results.summary import summarize
from facility_impact.run.budget import local_cores


def per_draw_and_bands(
    results: xr.Dataset, bands: bool
) -> tuple[xr.Dataset, dict[str, xr.DataArray] | None]:
    """``summarize(results, quantiles=None)`` and, when ``bands`` is true,
    :func:`~facility_impact.results.saved.daily_bands` of ``results`` (else None):
    on two threads when the machine has two cores or more."""
    if not bands:
        return summarize(results, quantiles=None), None
    if local_cores() < 2:
        return summarize(results, quantiles=None), daily_bands(results)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="facility-impact-summary") as pool:
        banded = pool.submit(daily_bands, results)
        per_draw = summarize(results, quantiles=None)
        return per_draw, banded.result()
