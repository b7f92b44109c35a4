"""How sure the sensitivity indices are: confidence intervals, and the draws that
would narrow them.

* Rank correlations: Fisher's z transform with the variance Fieller, Hartley and
  Pearson found for Spearman's coefficient, ``1.06 / (n - 3)`` (Fieller, E. C.,
  Hartley, H. O. & Pearson, E. S. 1957, "Tests for rank correlation
  coefficients. I", *Biometrika* 44:470-481). It assumes independent draws;
  the Latin hypercube draws of a run spread each input more evenly than
  independent ones, which narrows, not widens, the spread of the estimate, so
  the interval errs on the wide side.
* Sobol indices: the bootstrap of the Saltelli et al. (2010) estimators over
  the base sample (BCa intervals, :func:`scipy.stats.bootstrap`), resampling the
  rows of ``A``, ``B`` and ``AB`` together, as ``scipy.stats.sobol_indices``
  does in its own ``bootstrap`` method, but with a seeded generator so that a
  run is reproducible.

Both intervals narrow as ``1 / sqrt(n)`` with the number of draws ``n``: an
interval ``w`` wide becomes about ``tolerance`` wide with ``n (w / tolerance)^2``
draws (:func:`draws_to_narrow`).

An output that does not vary over the draws has no variance to apportion: its
indices and their intervals are NaN, never 0 (:func:`varies`).

Pure: arrays in, arrays out; no files, no printing.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

CONFIDENCE_LEVEL = 0.95
"""Confidence level of every interval of the sensitivity indices."""

DEFAULT_TOLERANCE = 0.1
"""Widest interval [1] an index may have before ``sensitivity`` warns: an index
known to within about ±0.05."""

BOOTSTRAP_RESAMPLES = 999
"""Resamples of the Sobol bootstrap (scipy's default)."""

SPEARMAN_VARIANCE = 1.06
"""Variance of Fisher's z of Spearman's coefficient, times ``n - 3``
(Fieller, Hartley & Pearson 1957)."""

RELATIVE_SPREAD = 1e-9
"""An output whose range over the draws is at most this share of its largest
magnitude does not vary: what is left is rounding, not a response to the inputs."""


def varies(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Whether each output of ``values`` changes along ``axis`` (the draws) by more
    than rounding (:data:`RELATIVE_SPREAD`)."""
    spread = np.ptp(values, axis=axis)
    scale = np.max(np.abs(values), axis=axis)
    result: np.ndarray = spread > RELATIVE_SPREAD * scale
    return result


def _normal_quantile(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def rank_correlation_interval(
    rho: np.ndarray, draws: int, level: float = CONFIDENCE_LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """The ``level`` confidence interval (low, high) of Spearman coefficients ``rho``
    over ``draws`` draws; NaN where ``rho`` is NaN or there are fewer than 4 draws."""
    rho = np.asarray(rho, dtype=float)
    if draws < 4:
        nan = np.full_like(rho, np.nan)
        return nan, nan.copy()
    half = _normal_quantile(level) * math.sqrt(SPEARMAN_VARIANCE / (draws - 3))
    with np.errstate(divide="ignore"):
        z = np.arctanh(np.clip(rho, -1.0, 1.0))
    return np.tanh(z - half), np.tanh(z + half)


def saltelli_indices(
    f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total Sobol indices (outputs × inputs) from the model's
    values on ``A`` and ``B`` (outputs × base sample) and on the pages ``AB``
    (inputs × outputs × base sample): the estimators of Saltelli et al. (2010),
    Table 2 (b) and (f), on outputs centred by their mean, as
    :func:`scipy.stats.sobol_indices` computes them (which needs a base sample
    that is a power of two, and so cannot serve the bootstrap's jackknife).
    NaN for an output without variance."""
    mean = np.mean([f_a, f_b], axis=(0, -1))[:, None]
    f_a, f_b, f_ab = f_a - mean, f_b - mean, f_ab - mean
    variance = np.var([f_a, f_b], axis=(0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_b * (f_ab - f_a), axis=-1) / variance
        total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / variance
    return first.T, total.T


def sobol_intervals(
    f_a: np.ndarray,
    f_b: np.ndarray,
    f_ab: np.ndarray,
    rng: np.random.Generator,
    level: float = CONFIDENCE_LEVEL,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap intervals of the indices of :func:`saltelli_indices`: ``low`` and
    ``high``, each (2: first-order and total, outputs, inputs). BCa where it has
    an answer, the percentile interval where it has none. Pass only outputs that
    :func:`varies`."""
    base = f_a.shape[1]

    def statistic(rows: np.ndarray) -> np.ndarray:
        first, total = saltelli_indices(f_a[:, rows], f_b[:, rows], f_ab[..., rows])
        return np.stack([first, total])

    with warnings.catch_warnings():
        # A resample that happens to hold no variance of an output gives scipy's 0
        # with a warning; the interval is taken over all resamples.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            (np.arange(base),),
            statistic,
            n_resamples=resamples,
            confidence_level=level,
            method="BCa",
            rng=rng,
        )
    low, high = (
        np.asarray(result.confidence_interval.low),
        np.asarray(result.confidence_interval.high),
    )
    # BCa has no answer where the bootstrap distribution does not spread (an input
    # an output does not depend on: an index of exactly 0 in every resample); the
    # percentiles of that distribution are the interval there.
    alpha = (1 - level) / 2
    spread = np.quantile(result.bootstrap_distribution, [alpha, 1 - alpha], axis=-1)
    return np.where(np.isnan(low), spread[0], low), np.where(np.isnan(high), spread[1], high)


def draws_to_narrow(width: float, draws: int, tolerance: float) -> int:
    """Draws that would bring an interval of ``width`` over ``draws`` draws to about
    ``tolerance``: intervals narrow as ``1 / sqrt(draws)``."""
    return max(draws, math.ceil(draws * (width / tolerance) ** 2))


def next_power_of_two(n: int) -> int:
    """The smallest power of two of at least ``n`` (and at least 2)."""
    return 1 << max(math.ceil(math.log2(max(n, 2))), 1)


def too_wide(
    low: np.ndarray, high: np.ndarray, tolerance: float
) -> tuple[int, int, float, tuple[int, ...] | None]:
    """How many finite intervals there are, how many are wider than ``tolerance``,
    the widest width, and where it is (``None`` when no interval is finite)."""
    width = np.asarray(high) - np.asarray(low)
    finite = np.isfinite(width)
    if not finite.any():
        return 0, 0, math.nan, None
    widest = np.unravel_index(int(np.nanargmax(np.where(finite, width, -np.inf))), width.shape)
    index = tuple(int(i) for i in widest)
    return int(finite.sum()), int((width[finite] > tolerance).sum()), float(width[index]), index


def includes_zero(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Whether each interval holds 0 (an index that cannot be told from none);
    False where the interval is NaN."""
    result: np.ndarray = (np.asarray(low) <= 0) & (np.asarray(high) >= 0)
    return result
