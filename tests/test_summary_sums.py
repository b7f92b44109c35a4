"""Sums over days in the summary: any memory layout, with and without periods, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from facility_impact.results.day_sums import sum_over_days as _sum_over_days


@pytest.mark.parametrize(
    ("stored_shape", "to_time_last"),
    [
        ((5, 3, 2, 7), (0, 1, 2, 3)),  # days last in memory
        ((7, 2, 3, 5), (3, 2, 1, 0)),  # days first, the kernel's own layout
        ((7, 3, 2, 5), (3, 1, 2, 0)),
    ],
)
@pytest.mark.parametrize("periods", [None, 4])
def test_sum_over_days_equals_the_masked_sum(stored_shape, to_time_last, periods):
    rng = np.random.default_rng(7)
    stored = rng.random(stored_shape).astype(np.float32)
    values = stored.transpose(to_time_last)
    days = values.shape[-1]
    mask = rng.random((days,) if periods is None else (days, periods)) > 0.5
    expected = np.einsum(
        "...t,t->..." if periods is None else "...t,tp->...p",
        values.astype(np.float64),
        mask.astype(np.float64),
    )
    summed = _sum_over_days(values, mask.astype(np.float64))
    assert summed.dtype == np.float64
    assert summed.shape == expected.shape
    np.testing.assert_allclose(summed, expected, rtol=1e-12)
