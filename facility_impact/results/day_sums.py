"""Sums of daily results over the days of each window, in float64, day after day
(see :func:`day_by_day`): the summary's sums over time (:mod:`facility_impact.results.summary`)."""

from __future__ import annotations

import numpy as np

GEMV_COLUMNS = 1024
"""Columns cast to float64 at a time for a one-window sum (measured: 0.09 s for
20,000 draws × 4 services × 365 days, against 0.13–0.26 s for the whole matrix)."""


def sum_over_days(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` (..., T) times ``mask`` (T[, P]) summed over T, in float64: (...[, P]).

    The kernel stores days outermost: taken in memory order, the values are one
    (T, rest) matrix, whose days are added one after the other for the windows
    of a (T, P) mask (:func:`day_by_day`).
    """
    if not isinstance(values, np.ndarray):  # dask: its own matmul, block by block
        return values.astype("float64") @ mask
    by_day = np.moveaxis(values, -1, 0)
    others = list(range(1, by_day.ndim))
    in_memory = sorted(others, key=lambda axis: -by_day.strides[axis])
    stored = by_day.transpose(0, *in_memory)
    matrix = stored.reshape(stored.shape[0], -1)
    if mask.ndim == 1:
        # One window: numpy takes the product as a matrix-vector one (BLAS gemv),
        # whose order of addition is its own; kept, so that the numbers stay, but
        # cast to float64 a slice of columns at a time (the same numbers: each
        # column's sum is its own), not the whole matrix at once.
        row = mask.reshape(1, -1)
        summed = np.concatenate(
            [
                row @ matrix[:, start : start + GEMV_COLUMNS].astype("float64")
                for start in range(0, max(matrix.shape[1], 1), GEMV_COLUMNS)
            ],
            axis=1,
        )
    else:
        summed = day_by_day(mask, matrix)  # (P, rest in memory order)
    summed = summed.reshape(-1, *stored.shape[1:])
    # Back to the axis order of ``values``, the periods (if any) last.
    restored = summed.transpose(0, *(in_memory.index(axis) + 1 for axis in others))
    return np.moveaxis(restored, 0, -1) if mask.ndim > 1 else restored[0]


def day_by_day(mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``mask.T @ matrix`` in float64 for a (T, P) mask of 0 and 1 and a (T, N) matrix,
    day after day: each window's sum starts at 0 and adds its days in order.

    The same numbers, bit for bit, as the matrix product in float64 that it
    replaces (OpenBLAS adds the K terms of each product in order, and 0 × x adds
    nothing but where x is not finite: such a day outside a window is added as
    0 × x too), without casting the whole matrix to float64: for 20,000 draws ×
    365 days, 0.1 s where the cast and product took 1.5 s. Any other mask is
    multiplied out.
    """
    if not np.isin(mask, (0.0, 1.0)).all():
        return np.asarray(mask.T @ matrix.astype("float64"))
    finite = np.isfinite(matrix).all(axis=tuple(range(1, matrix.ndim)))
    summed = np.zeros((mask.shape[1], *matrix.shape[1:]))
    ends = _common_start(mask)
    if ends is not None and finite.all():
        # Windows from one first day (the summary's, after the first strike): one
        # running sum, taken as each window ends.
        first = int(np.argmax(mask.any(axis=1)))
        running = np.zeros(matrix.shape[1:])
        for current in range(first, int(ends.max(initial=first))):
            np.add(running, matrix[current], out=running)
            summed[ends == current + 1] = running
        return summed
    for window, days in zip(summed, mask.T, strict=True):
        for day in np.flatnonzero((days == 1) | ~finite):
            if days[day] == 1:
                np.add(window, matrix[day], out=window)
            else:
                with np.errstate(invalid="ignore"):  # 0 × inf is NaN, as in the product
                    np.add(window, 0.0 * matrix[day].astype("float64"), out=window)
    return summed


def _common_start(mask: np.ndarray) -> np.ndarray | None:
    """The end (exclusive) of each column of ``mask`` when every column is one run
    of days from the same first day (an empty column ends at 0); else None."""
    days = np.arange(mask.shape[0])
    on = mask == 1
    if not on.any():
        return None
    first = int(np.argmax(on.any(axis=1)))
    ends = on.sum(axis=0) + first
    expected = (days[:, None] >= first) & (days[:, None] < ends[None, :])
    ends = np.where(on.any(axis=0), ends, 0)
    expected &= on.any(axis=0)[None, :]
    return ends if np.array_equal(expected, on) else None
