"""Numbers that take several values: sweeps and probability distributions.

A configured number may be fixed, a list (a *sweep*: one new dim) or a
distribution table (sampled along ``draw`` by Latin hypercube). Both kinds are
:class:`Varying` values: a ``float`` subclass that stands for its nominal value
wherever one number is needed (range checks, printing), and that
:func:`facility_impact.model.parameters.build_parameters` expands into a DataArray.

Random numbers come from *named streams*. Each uncertain input draws its
uniforms from its own stream, named after its key path unless the
configuration names a shared one; a stream's uniforms depend only on the seed,
the stream name and the number of draws. So a scenario that leaves an input
alone sees exactly the same draws of it (common random numbers), and adding an
input does not change the draws of the others.
"""

from __future__ import annotations

import functools
import hashlib
import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from facility_impact.errors import ConfigError, echo, show_number

DISTRIBUTION_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # family: (required keys, optional keys), besides dist and stream
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "pert": (("low", "mode", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("median", "dispersion"), ("low", "high")),
    "beta": (("alpha", "beta"), ("low", "high")),
}
"""The distribution families a configuration may use and their keys.

``pert`` is the beta-PERT form (shape 4, as in Vose 2008, *Risk Analysis*,
ch. 9); ``lognormal`` takes the median and the dispersion (the sd of the
natural log), as FEMA P-58 states its fragility and delay distributions;
``beta`` is scaled to ``[low, high]`` (default ``[0, 1]``).
"""


@functools.lru_cache(maxsize=4096)
def _frozen(family: str, parameters: tuple[tuple[str, float], ...]) -> Any:
    """The scipy distribution of ``family`` with ``parameters``, before truncation."""
    p = dict(parameters)
    if family == "uniform":
        return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
    if family == "triangular":
        width = p["high"] - p["low"]
        return stats.triang(c=(p["mode"] - p["low"]) / width, loc=p["low"], scale=width)
    if family == "pert":
        width = p["high"] - p["low"]
        a = 1 + 4 * (p["mode"] - p["low"]) / width
        b = 1 + 4 * (p["high"] - p["mode"]) / width
        return stats.beta(a, b, loc=p["low"], scale=width)
    if family == "normal":
        return stats.norm(loc=p["mean"], scale=p["sd"])
    if family == "lognormal":
        return stats.lognorm(s=p["dispersion"], scale=p["median"])
    low, high = p.get("low", 0.0), p.get("high", 1.0)
    return stats.beta(p["alpha"], p["beta"], loc=low, scale=high - low)


@functools.lru_cache(maxsize=4096)
def _median(distribution: Distribution) -> float:
    return float(distribution.ppf(0.5))


@dataclass(frozen=True)
class Distribution:
    """A (possibly truncated) continuous distribution of one configured number.

    ``bounds`` is the support after truncation. Truncation applies to the
    unbounded families where the key's allowed range or the table's own
    ``low``/``high`` cut them.
    """

    family: str
    parameters: tuple[tuple[str, float], ...]
    bounds: tuple[float, float]

    @property
    def frozen(self) -> Any:
        """The scipy distribution before truncation (made once per family and parameters:
        a network repeats the same distribution for every facility)."""
        return _frozen(self.family, self.parameters)

    def ppf(self, quantile: np.ndarray | float) -> np.ndarray:
        """Values at the given quantiles of the truncated distribution."""
        base = self.frozen
        low, high = self.bounds
        floor = base.cdf(low) if math.isfinite(low) else 0.0
        ceiling = base.cdf(high) if math.isfinite(high) else 1.0
        values: np.ndarray = base.ppf(floor + np.asarray(quantile, dtype=float) * (ceiling - floor))
        # ppf at the edge of a truncation can land a rounding error outside it.
        clipped: np.ndarray = np.clip(values, low, high)
        return clipped

    @property
    def median(self) -> float:
        return _median(self)

    def describe(self) -> str:
        unbounded = self.family in ("normal", "lognormal")
        shown = ", ".join(
            f"{k} {v:g}" for k, v in self.parameters if not (unbounded and k in ("low", "high"))
        )
        truncated = ""
        if unbounded:
            low, high = self.bounds
            # Only a truncation that cuts off some probability is shown: a lognormal is
            # positive anyway, and the upper bound of a key (1e+09 people, 36,525 days)
            # lies, for most distributions, beyond the last number a float can tell from 1.
            base = self.frozen
            cut_low = math.isfinite(low) and base.cdf(low) > 0
            cut_high = math.isfinite(high) and base.cdf(high) < 1
            if cut_low or cut_high:
                truncated = f", truncated to [{low:g}, {high:g}]"
        return f"{self.family}({shown}{truncated})"


QUANTILE_EDGE = 1e-12
"""The lowest quantile drawn (and 1 minus the highest): a quantile of exactly 0 or 1
(possible in a Sobol' sequence) would give an infinite value for an unbounded
distribution."""


class Varying(float):
    """A configured number that takes several values.

    As a float it is its nominal value (first sweep value, distribution median)
    so range checks and messages keep working; ``low`` and ``high`` bound every
    value it can take.
    """

    path: str
    integer: bool

    @property
    def low(self) -> float:
        raise NotImplementedError

    @property
    def high(self) -> float:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def __format__(self, spec: str) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return self.describe()

    __str__ = __repr__


class Sweep(Varying):
    """A list of values: one new dim, named ``dim`` (by default after the key)."""

    values: tuple[float, ...]
    dim: str | None

    def __new__(cls, values: Sequence[float], path: str, dim: str | None, integer: bool) -> Sweep:
        sweep = super().__new__(cls, values[0])
        sweep.values = tuple(values)
        sweep.path = path
        sweep.dim = dim
        sweep.integer = integer
        return sweep

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def describe(self) -> str:
        return "sweep [" + ", ".join(f"{v:g}" for v in self.values) + "]"


class Uncertain(Varying):
    """A distribution, sampled along ``draw`` from the random stream ``stream``."""

    distribution: Distribution
    stream: str

    def __new__(
        cls, distribution: Distribution, path: str, stream: str, integer: bool
    ) -> Uncertain:
        nominal = distribution.median
        uncertain = super().__new__(cls, round(nominal) if integer else nominal)
        uncertain.distribution = distribution
        uncertain.path = path
        uncertain.stream = stream
        uncertain.integer = integer
        return uncertain

    @property
    def low(self) -> float:
        return self.distribution.bounds[0]

    @property
    def high(self) -> float:
        return self.distribution.bounds[1]

    def values_at(self, quantile: np.ndarray) -> np.ndarray:
        """Values at uniform quantiles ``quantile``, rounded where the key counts whole days."""
        values = self.distribution.ppf(np.clip(quantile, QUANTILE_EDGE, 1 - QUANTILE_EDGE))
        return np.round(values) if self.integer else values

    def describe(self) -> str:
        rounded = ", rounded to whole days" if self.integer else ""
        return self.distribution.describe() + rounded


def low(value: float) -> float:
    """The smallest value a configured number can take."""
    return value.low if isinstance(value, Varying) else value


def high(value: float) -> float:
    """The largest value a configured number can take."""
    return value.high if isinstance(value, Varying) else value


def is_variation(value: Any) -> bool:
    """Whether a raw configuration value asks for a sweep or a distribution."""
    return isinstance(value, list) or (
        isinstance(value, Mapping) and ("dist" in value or "values" in value)
    )


def parse_variation(
    value: Any,
    path: str,
    check: Any,
    *,
    minimum: float | None,
    maximum: float | None,
    integer: bool,
) -> Varying:
    """A sweep or a distribution from its raw configuration value.

    ``check(number, where)`` validates one fixed number of this key (range,
    whole number) and returns it; it checks every sweep value and the bounds of
    a bounded distribution. Raises ``ConfigError`` naming the key.
    """
    if isinstance(value, list) or "values" in value:
        table = value if isinstance(value, Mapping) else {"values": value}
        unknown = [key for key in table if key not in ("values", "dim")]
        if unknown:
            raise ConfigError(f"{path}.{unknown[0]}: unknown key; allowed here: values, dim")
        values = table["values"]
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"{path} = {echo(values)}: a sweep must be a non-empty list of numbers"
            )
        checked = [check(v, f"{path}[{i}]") for i, v in enumerate(values)]
        if len(set(checked)) != len(checked):
            raise ConfigError(f"{path} = {echo(values)}: sweep values must be distinct")
        dim = table.get("dim")
        if dim is not None and (not isinstance(dim, str) or not dim.isidentifier()):
            raise ConfigError(f"{path}.dim = {echo(dim)}: must be a name (letters, digits, _)")
        return Sweep(checked, path, dim, integer)
    return Uncertain(
        _distribution(value, path, check, minimum, maximum),
        path,
        _stream_name(value, path),
        integer,
    )


def _stream_name(table: Mapping[str, Any], path: str) -> str:
    stream = table.get("stream", path)
    if not isinstance(stream, str) or not stream:
        raise ConfigError(f"{path}.stream = {echo(stream)}: must be a non-empty name")
    return stream


def _distribution(
    table: Mapping[str, Any],
    path: str,
    check: Any,
    minimum: float | None,
    maximum: float | None,
) -> Distribution:
    family = table["dist"]
    if family not in DISTRIBUTION_KEYS:
        raise ConfigError(
            f"{path}.dist = {echo(family)}: unknown distribution; "
            f"allowed: {', '.join(DISTRIBUTION_KEYS)}"
        )
    required, optional = DISTRIBUTION_KEYS[family]
    allowed = ("dist", "stream", *required, *optional)
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"{path}.{key}: unknown key for a {family} distribution; "
                f"allowed: {', '.join(allowed)}"
            )
    # As written (an integer stays one), so that messages echo what the user wrote.
    numbers: dict[str, float] = {}
    for key in (*required, *optional):
        if key not in table:
            if key in required:
                raise ConfigError(f"{path}.{key}: missing; required by a {family} distribution")
            continue
        number = table[key]
        # An integer may be too large for a float (10**400): not finite either.
        finite = isinstance(number, int | float) and abs(number) <= sys.float_info.max
        if isinstance(number, bool) or not finite or math.isnan(number):
            raise ConfigError(f"{path}.{key} = {echo(number)}: must be a finite number")
        numbers[key] = number
    _check_shape(family, numbers, path)
    key_low = -math.inf if minimum is None else minimum
    key_high = math.inf if maximum is None else maximum
    if family in ("uniform", "triangular", "pert") or (family == "beta"):
        support = (numbers.get("low", 0.0), numbers.get("high", 1.0))
        for key, bound in zip(("low", "high"), support, strict=True):
            # The key's own range check, with its message, applies to the bounds.
            check(bound, f"{path}.{key}")
        bounds = support
    else:
        bounds = (
            max(key_low, numbers.get("low", -math.inf)),
            min(key_high, numbers.get("high", math.inf)),
        )
        for key in ("low", "high"):
            if key in numbers:
                check(numbers[key], f"{path}.{key}")
        if family == "lognormal":
            bounds = (max(bounds[0], 0.0), bounds[1])
        if bounds[0] >= bounds[1]:
            raise ConfigError(
                f"{path}: truncation to [{show_number(bounds[0])}, {show_number(bounds[1])}] "
                "leaves nothing"
            )
    kept = tuple((key, float(numbers[key])) for key in (*required, *optional) if key in numbers)
    distribution = Distribution(family, kept, (float(bounds[0]), float(bounds[1])))
    floor, ceiling = _computed(distribution, path)
    if ceiling - floor < 1e-6:
        raise ConfigError(
            f"{path}: the {family} distribution has almost no probability inside the allowed "
            f"range [{show_number(bounds[0])}, {show_number(bounds[1])}]"
        )
    return distribution


def _computed(distribution: Distribution, path: str) -> tuple[float, float]:
    """The probability below and up to the distribution's bounds, once every value the
    run can draw (the quantiles from :data:`QUANTILE_EDGE` to 1 - it) is known to be
    finite: extreme parameters (an sd of 5e-324, a beta's alpha of 1e308) overflow
    in scipy, and are refused here, naming the key, rather than in the middle of a run."""
    floor, ceiling, finite = _limits(distribution)
    if not finite:
        shown = ", ".join(f"{key} {show_number(value)}" for key, value in distribution.parameters)
        raise ConfigError(
            f"{path}: {distribution.family}({shown}) cannot be computed: its numbers are too "
            "large or too small for one another"
        )
    return floor, ceiling


@functools.lru_cache(maxsize=4096)
def _limits(distribution: Distribution) -> tuple[float, float, bool]:
    """The probability below and up to the bounds, and whether every value is finite."""
    low, high = distribution.bounds
    base = distribution.frozen
    floor = ceiling = math.nan
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            floor = float(base.cdf(low)) if math.isfinite(low) else 0.0
            ceiling = float(base.cdf(high)) if math.isfinite(high) else 1.0
            reach = distribution.ppf(np.array([QUANTILE_EDGE, 0.5, 1 - QUANTILE_EDGE]))
            finite = bool(np.all(np.isfinite(reach)))
    except (ArithmeticError, ValueError, RuntimeWarning):
        finite = False
    return floor, ceiling, finite


def _check_shape(family: str, numbers: dict[str, float], path: str) -> None:
    if family in ("uniform", "triangular", "pert") and numbers["low"] >= numbers["high"]:
        raise ConfigError(
            f"{path}.high = {show_number(numbers['high'])}: must be greater than low "
            f"({show_number(numbers['low'])})"
        )
    if (
        family in ("triangular", "pert")
        and not numbers["low"] <= numbers["mode"] <= numbers["high"]
    ):
        raise ConfigError(
            f"{path}.mode = {show_number(numbers['mode'])}: must lie between low "
            f"({show_number(numbers['low'])}) and high ({show_number(numbers['high'])})"
        )
    for key in ("sd", "dispersion", "median", "alpha", "beta"):
        if key in numbers and numbers[key] <= 0:
            raise ConfigError(f"{path}.{key} = {show_number(numbers[key])}: must be > 0")
    if family == "beta" and numbers.get("low", 0.0) >= numbers.get("high", 1.0):
        raise ConfigError(f"{path}.high: must be greater than low")


def stream_quantiles(stream: str, draws: int, seed: int) -> np.ndarray:
    """Latin hypercube uniforms of one named stream: ``draws`` values in (0, 1).

    One stratum per draw, in random order (``scipy.stats.qmc.LatinHypercube``
    in one dimension). The generator is seeded by the run's seed and a hash of
    the stream's name, so the result depends on nothing else. Independent
    per-stream permutations are exactly a Latin hypercube over all streams
    (McKay, Beckman & Conover 1979, *Technometrics* 21:239).
    """
    digest = hashlib.sha256(stream.encode("utf-8")).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    generator = np.random.default_rng(np.random.SeedSequence([seed, *words]))
    uniforms: np.ndarray = qmc.LatinHypercube(d=1, rng=generator).random(draws)
    return uniforms[:, 0]
