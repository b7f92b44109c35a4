"""Observed effects of attacks on service use, and how each is compared with the model.

Two tables: the published estimates (``seeds/literature/observed_effects.toml``: a
study's effect, its interval and provenance), read by :func:`read_observed`; and the
package's ``data/validation.toml``, the decisions that turn an estimate into a model
run and a model number (used or not and why, the study site, the model's service,
the measure, whether the calibration may fit it), read by :func:`load_plan`. The
windows of each measure are computed here (:meth:`Comparison.windows`), so that
``results/validation.py`` only sums what it is told to (docs/validation.md).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from facility_impact.config.default_values import ATTACK_TYPES, FACILITY_DAMAGE
from facility_impact.errors import ConfigError, read_input_text

VALIDATION_FILE = "data/validation.toml"
"""The decisions of every observed effect, inside the package."""

MONTH_DAYS = 30
"""A month of the studies' monthly counts [d] (the observed table takes months as 30 days)."""

FIRST_ATTACK_DAY = MONTH_DAYS - 1
"""Day of the (one) attack of a site without ``event_days``: a month that holds it can
start up to 29 days before it, on day 0."""

HORIZON_DAYS = FIRST_ATTACK_DAY + 2 * MONTH_DAYS + 1
"""Days simulated at every site: the latest window, the month after the attack's month,
ends on day 29 + 60."""

CUMULATIVE_LAGS = 31
"""Lags 0-30 of a distributed-lag model's cumulative relative risk."""

RATIO_KINDS = ("relative_risk", "incidence_rate_ratio", "percent_change")
"""Effect kinds that are (or convert to) a ratio of service use, RR."""

MEASURES = ("days", "month", "next_month", "cumulative")
SCOPES = ("attacked", "nearby")
SITE_KINDS = ("hospital", "primary_care")


@dataclass(frozen=True)
class Observed:
    """One published estimate (a row of the observed table)."""

    id: str
    citation: str
    service: str
    window_days: float | None
    kind: str
    effect: float
    ci_low: float | None
    ci_high: float | None

    @property
    def study(self) -> str:
        """The study's key: the id up to its first ``_`` (``burbach2024``)."""
        return self.id.split("_", 1)[0]

    def ratio(self, value: float | None) -> float:
        """``value`` as a relative risk (a percent change p is 1 + p / 100); NaN if absent."""
        if value is None:
            return math.nan
        return 1 + value / 100 if self.kind == "percent_change" else value


@dataclass(frozen=True)
class Site:
    """A simulated setting: the studied facility, the exposure's scope, the attack."""

    name: str
    kind: str
    services: tuple[str, ...]
    scope: str
    attack_type: str
    facility_damage: str
    event_days: tuple[int, ...] | None
    why: str

    @property
    def attack_days(self) -> tuple[int, ...]:
        return self.event_days or (FIRST_ATTACK_DAY,)


@dataclass(frozen=True)
class Comparison:
    """An observed effect with the model run and measure it is compared with."""

    observed: Observed
    site: Site
    service: str
    measure: str
    start: int
    length: int
    fit: bool
    why: str

    @property
    def id(self) -> str:
        return self.observed.id

    @property
    def observed_rr(self) -> tuple[float, float, float]:
        """The estimate and its 95 % interval as relative risks."""
        o = self.observed
        return o.ratio(o.effect), o.ratio(o.ci_low), o.ratio(o.ci_high)

    @property
    def log_se(self) -> float:
        """Standard error of the log relative risk, from the 95 % interval's width."""
        _, low, high = self.observed_rr
        return (math.log(high) - math.log(low)) / (2 * 1.959964)

    @property
    def product(self) -> bool:
        """Whether the measure multiplies daily RRs (``cumulative``) rather than pooling sums."""
        return self.measure == "cumulative"

    def windows(self) -> list[tuple[int, int]]:
        """The day ranges ``[start, stop)`` of the site's run the measure sums over,
        pooled (one sum of served and one of the no-strike world's served over all of
        them) or, for ``cumulative``, the one range whose daily ratios multiply."""
        first = self.site.attack_days[0]
        if self.measure == "days":
            return [(first + self.start, first + self.start + self.length)]
        if self.measure == "cumulative":
            return [(first, first + CUMULATIVE_LAGS)]
        shift = MONTH_DAYS if self.measure == "next_month" else 0
        if self.site.event_days is not None:
            return [(shift, shift + MONTH_DAYS)]
        return [(first - u + shift, first - u + shift + MONTH_DAYS) for u in range(MONTH_DAYS)]


@dataclass(frozen=True)
class Decision:
    """Whether a row of the observed table is compared with the model, and why."""

    id: str
    used: bool
    why: str


@dataclass(frozen=True)
class PriorTerm:
    """What is known of a calibrated entry from outside the compared effects: a
    lognormal (``median``, ``dispersion``) or normal (``mean``, ``sd``) belief."""

    centre: float
    spread: float
    lognormal: bool
    why: str

    def residual(self, value: float) -> float:
        """How far ``value`` lies from the belief, in its spread."""
        if self.lognormal:
            return math.log(value / self.centre) / self.spread
        return (value - self.centre) / self.spread


@dataclass(frozen=True)
class Plan:
    """Every comparison, the decision on every observed row, and the default hold-out."""

    comparisons: tuple[Comparison, ...]
    decisions: tuple[Decision, ...]
    holdout: tuple[str, ...]
    holdout_why: str
    prior_terms: Mapping[str, PriorTerm]
    """Calibrated entries of the priors held by one more residual of the fit, by name."""

    def select(self, names: Sequence[str], option: str = "--holdout") -> tuple[str, ...]:
        """The effect ids that ``names`` (effect ids or study keys) name; unknown is bad input."""
        chosen: list[str] = []
        for name in names:
            found = [c.id for c in self.comparisons if name in (c.id, c.observed.study)]
            if not found:
                known = sorted({c.observed.study for c in self.comparisons})
                raise ConfigError(
                    f"{option} = {name!r}: no compared effect has this id or study; "
                    f"studies: {', '.join(known)} (or an effect id, see docs/validation.md)"
                )
            chosen += [one for one in found if one not in chosen]
        return tuple(chosen)


OBSERVED_TABLE = Path("seeds") / "literature" / "observed_effects.toml"
"""The observed effects, in the source tree (a clone; a wheel does not carry ``seeds/``)."""


def observed_path(path: str | Path | None) -> Path:
    """``--observed``, or the source tree's table: beside the package (an editable
    install, as ``make`` makes), else under the working folder."""
    if path is not None:
        return Path(path)
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (root / OBSERVED_TABLE).is_file():
            return root / OBSERVED_TABLE
    raise ConfigError(
        f"--observed: {OBSERVED_TABLE} not found beside the package or here; give the "
        "observed effects table of the source tree (or a table of the same layout)"
    )


def read_observed(path: str | Path) -> tuple[Observed, ...]:
    """The rows of the observed effects table at ``path``, checked."""
    where = str(path)
    try:
        raw = tomllib.loads(read_input_text(Path(path), "observed effects table"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML: {error}") from None
    rows = raw.get("effect")
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"{where}: effect: must hold [[effect]] tables")
    return tuple(_observed(row, f"{where}: effect[{index}]") for index, row in enumerate(rows))


def _observed(row: Any, where: str) -> Observed:
    if not isinstance(row, Mapping):
        raise ConfigError(f"{where}: must be a table")
    for key in ("id", "service", "effect_kind", "effect", "authors", "year", "journal"):
        if key not in row:
            raise ConfigError(f"{where}.{key}: missing")
    first_author = str(row["authors"]).split(",")[0].split(" ")[0]
    return Observed(
        id=str(row["id"]),
        citation=f"{first_author} et al. {row['year']}, {row['journal']}",
        service=str(row["service"]),
        window_days=_number(row, "window_days", where),
        kind=str(row["effect_kind"]),
        effect=_number(row, "effect", where) or 0.0,
        ci_low=_number(row, "ci_low", where),
        ci_high=_number(row, "ci_high", where),
    )


def _number(row: Mapping[str, Any], key: str, where: str) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key} = {value!r}: must be a finite number")
    return float(value)


def load_plan(observed: Sequence[Observed]) -> Plan:
    """The package's decisions (``data/validation.toml``) applied to ``observed``: every
    row must have a decision and every decision a row."""
    text = files("facility_impact").joinpath(VALIDATION_FILE).read_text("utf-8")
    return parse_plan(tomllib.loads(text), observed, VALIDATION_FILE)


def parse_plan(raw: Mapping[str, Any], observed: Sequence[Observed], where: str) -> Plan:
    """Check a parsed decisions table against the observed rows; ``ConfigError`` naming
    the entry at fault."""
    if raw.get("format") != 1:
        raise ConfigError(f"{where}: format: must be 1")
    sites = {name: _site(name, one, where) for name, one in _tables(raw, "site", where).items()}
    entries = _tables(raw, "effect", where)
    by_id = {row.id: row for row in observed}
    missing = [row.id for row in observed if row.id not in entries]
    extra = [name for name in entries if name not in by_id]
    if missing or extra:
        raise ConfigError(
            f"{where}: the decisions and the observed table differ: "
            f"no decision for {', '.join(missing) or 'none'}; "
            f"no row for {', '.join(extra) or 'none'}"
        )
    decisions, comparisons = [], []
    for row in observed:
        entry = entries[row.id]
        used = entry.get("use")
        if not isinstance(used, bool):
            raise ConfigError(f"{where}: effect.{row.id}.use: must be true or false")
        decisions.append(Decision(row.id, used, _text(entry, "why", f"effect.{row.id}", where)))
        if used:
            comparisons.append(_comparison(row, entry, sites, f"{where}: effect.{row.id}"))
    holdout = raw.get("holdout", [])
    if not isinstance(holdout, list) or not all(isinstance(name, str) for name in holdout):
        raise ConfigError(f"{where}: holdout: must be a list of study keys")
    terms = {name: _term(name, one, where) for name, one in raw.get("prior_term", {}).items()}
    why = _text(raw, "holdout_why", "", where)
    plan = Plan(tuple(comparisons), tuple(decisions), (), why, terms)
    return replace(plan, holdout=plan.select(holdout, "holdout"))


def _comparison(
    row: Observed, entry: Mapping[str, Any], sites: Mapping[str, Site], where: str
) -> Comparison:
    site_name = entry.get("site")
    if site_name not in sites:
        raise ConfigError(f"{where}.site = {site_name!r}: must be one of {', '.join(sites)}")
    site = sites[str(site_name)]
    if entry.get("service") not in site.services:
        raise ConfigError(f"{where}.service: must be one of the site's {', '.join(site.services)}")
    measure = entry.get("measure")
    if measure not in MEASURES:
        raise ConfigError(f"{where}.measure = {measure!r}: must be one of {', '.join(MEASURES)}")
    if row.kind not in RATIO_KINDS or row.ci_low is None or row.ci_high is None:
        raise ConfigError(
            f"{where}: a compared effect must be one of {', '.join(RATIO_KINDS)} with an interval"
        )
    start, length = int(entry.get("start", 0)), int(entry.get("length", 1))
    if measure == "days" and (start < 0 or length < 1):
        raise ConfigError(f"{where}: start must be >= 0 and length >= 1")
    fit = entry.get("fit", True)
    if not isinstance(fit, bool):
        raise ConfigError(f"{where}.fit: must be true or false")
    why = _text(entry, "why", "", where)
    return Comparison(row, site, str(entry["service"]), measure, start, length, fit, why)


def _term(name: str, raw: Any, where: str) -> PriorTerm:
    path = f"prior_term.{name}"
    lognormal = "median" in raw
    keys = ("median", "dispersion") if lognormal else ("mean", "sd")
    numbers = [_number(raw, key, f"{where}: {path}") for key in keys]
    if any(number is None or number <= 0 for number in numbers):
        raise ConfigError(f"{where}: {path}: give median and dispersion, or mean and sd, > 0")
    centre, spread = (float(n or 0.0) for n in numbers)
    return PriorTerm(centre, spread, lognormal, _text(raw, "why", path, where))


def _site(name: str, raw: Any, where: str) -> Site:
    path = f"{where}: site.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: must be a table")
    choices = {
        "kind": SITE_KINDS,
        "scope": SCOPES,
        "attack_type": ATTACK_TYPES,
        "facility_damage": FACILITY_DAMAGE,
    }
    for key, allowed in choices.items():
        if raw.get(key) not in allowed:
            raise ConfigError(f"{path}.{key} = {raw.get(key)!r}: must be one of {allowed}")
    services = raw.get("services")
    if (
        not isinstance(services, list)
        or not services
        or not all(isinstance(s, str) for s in services)
    ):
        raise ConfigError(f"{path}.services: must be a list of service names")
    days = raw.get("event_days")
    if days is not None and (
        not isinstance(days, list)
        or not days
        or sorted(days) != days
        or not all(isinstance(d, int) and 0 <= d < MONTH_DAYS for d in days)
    ):
        raise ConfigError(f"{path}.event_days: must be days 0-{MONTH_DAYS - 1}, in order")
    return Site(
        name=name,
        kind=raw["kind"],
        services=tuple(services),
        scope=raw["scope"],
        attack_type=raw["attack_type"],
        facility_damage=raw["facility_damage"],
        event_days=None if days is None else tuple(days),
        why=_text(raw, "why", "", path),
    )


def _tables(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Mapping[str, Any]]:
    found = raw.get(key)
    if not isinstance(found, Mapping) or not all(isinstance(v, Mapping) for v in found.values()):
        raise ConfigError(f"{where}: {key}: must hold [{key}.<name>] tables")
    return found


def _text(raw: Mapping[str, Any], key: str, parent: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        name = f"{parent}.{key}" if parent else key
        raise ConfigError(f"{where}: {name}: must be a non-empty string")
    return value
