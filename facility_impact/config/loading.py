"""Reading and checking a scenario configuration (TOML) into a :class:`Config`.

Everything a user can get wrong is caught here, at the entry point, and raised as
one :class:`~facility_impact.errors.ConfigError` whose message names the key
path, the value and what is allowed. Later layers can trust a ``Config``.
The keys, their units, defaults and ranges are documented in
``docs/configuration.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from facility_impact.config.settings import apply_settings, key_path_parts
from facility_impact.config.sweeps import sweep_dims
from facility_impact.config.variation import (
    Uncertain,
    Varying,
    high,
    is_variation,
    low,
    parse_variation,
)
from facility_impact.curves import CURVE_CODES, CURVE_FAMILIES
from facility_impact.errors import ConfigError

DAYS_PER_MONTH = 365.25 / 12
"""Mean days in a month [d month-1]: a monthly volume V is a daily rate V / 30.4375 (MODEL.md)."""

DEFAULT_HORIZON_DAYS = 365
"""One year of daily steps: MODEL.md's default horizon."""


@dataclass(frozen=True)
class Curve:
    """A recovery (or displacement) curve: family and its time parameters, all in days."""

    family: str
    time_days: float = 0.0
    mean_days: float = 0.0
    sd_days: float = 0.0
    delay_days: float = 0.0

    @property
    def code(self) -> int:
        return CURVE_CODES[self.family]

    def describe(self) -> str:
        delay = f" after {self.delay_days:g} d delay" if self.delay_days else ""
        if self.family == "none":
            return "curve none (stays where it is)"
        if self.family == "normal":
            return f"normal (mean {self.mean_days:g} d, sd {self.sd_days:g} d){delay}"
        return f"{self.family} over {self.time_days:g} d{delay}"


@dataclass(frozen=True)
class Recovery:
    """How a resource comes back after damage: a curve and the share that can come back."""

    curve: Curve
    recoverable_share: float = 1.0


# ASSUMPTION: a resource without a [recovery.<resource>] table never comes back;
# nothing is assumed repaired that the configuration does not say is.
NO_RECOVERY = Recovery(Curve("none"), 1.0)


@dataclass(frozen=True)
class DemandPeriod:
    """Demand multiplied by ``factor`` on days ``start_day <= t < end_day``."""

    start_day: int
    end_day: int
    factor: float


@dataclass(frozen=True)
class Service:
    """A service line of a facility; volumes per month, shares as fractions.

    Defaults and where they come from (docs/configuration.md):
    ``demand_ratio = 1``: the facility met its demand before the strike (MODEL.md).
    ``deferrable_share = 0`` and ``backlog_attrition_per_day = 0``: ASSUMPTION,
    nothing waits unless the configuration says so. ``willingness_to_travel = 0``
    and ``distance_decay_km = inf`` apply only where no alternative offers the
    service; elsewhere the configuration must give both.
    """

    name: str
    volume_per_month: float
    needs: dict[str, float]
    demand_ratio: float = 1.0
    deferrable_share: float = 0.0
    backlog_attrition_per_day: float = 0.0
    willingness_to_travel: float = 0.0
    distance_decay_km: float = math.inf
    demand_multipliers: tuple[DemandPeriod, ...] = ()
    # issue 15: ``distance_decay_km`` holds the scale in the configuration's travel
    # unit: minutes when the file gave ``distance_decay_minutes`` (docs/data_import.md).
    decay_unit: str = "km"


@dataclass(frozen=True)
class Displacement:
    """The catchment population falls by ``share`` of ``P0`` along ``curve`` from ``start_day``."""

    share: float
    curve: Curve
    start_day: int = 0


@dataclass(frozen=True)
class Facility:
    """A modelled facility: its own catchment, resources, services and life span.

    ``opens_day`` [d]: first day it exists (default 0; on or after the horizon:
    not within the run). ``closes_day`` [d]: first day it is closed for good
    (``None``: never). ``recovery`` overrides the top-level recovery tables for
    this facility's resources.
    """

    name: str
    label: str
    population: float
    resources: dict[str, float]
    services: dict[str, Service]
    displacement: Displacement | None = None
    opens_day: int = 0
    closes_day: int | None = None
    recovery: dict[str, Recovery] = field(default_factory=dict)
    # issue 15: where the facility stands [degrees_north, degrees_east] and the
    # id and type of the table it was imported from (docs/data_import.md).
    latitude: float | None = None
    longitude: float | None = None
    source_id: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Strike:
    facility: str
    day: int
    closure_days: float
    damage: dict[str, float]
    casualties: float = 0.0
    casualty_service: str = "emergency"
    label: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Alternative:
    """A facility outside the model whose own demand is not simulated.

    ``spare_capacity_per_month`` bounds what it can absorb; ``capacity_per_month``
    (its baseline capacity, default the spare capacity) weighs how many patients
    head there (MODEL.md, diversion rule ``A_{s,j}``).
    """

    name: str
    label: str
    distance_km: dict[str, float]
    spare_capacity_per_month: dict[str, float]
    capacity_per_month: dict[str, float]
    opens_day: int = 0


@dataclass(frozen=True)
class Outcome:
    """An *indicative* health outcome: forgone patients of ``service`` times a rate.

    ``per_forgone_patient`` [1] is usually a distribution; ``source`` is the
    published reference it comes from, which the configuration must give.
    """

    name: str
    label: str
    service: str
    per_forgone_patient: float
    source: str


@dataclass(frozen=True)
class Scenario:
    """A named variant of the configuration: its overrides, already applied and checked."""

    name: str
    label: str
    description: str
    settings: tuple[tuple[str, Any], ...]
    config: Config


BASE_SCENARIO = "base"
"""The name of the configuration as written, first on the ``scenario`` dim."""

DEFAULT_DRAWS = 200
"""Draws when a configuration has distributions but no ``run.draws``. ASSUMPTION:
a quick look, not a publication figure. On ``configs/maarat_al_numan_options.toml``
200 Latin hypercube draws put the 5th, 50th and 95th percentiles of forgone
care within 3.3 % of those of 2,000 draws (docs/uncertainty.md)."""


@dataclass(frozen=True)
class Network:
    """Distances [km] between modelled facilities, rows and columns in ``facilities`` order.

    ``distance_km[i][j]`` is the distance from ``facilities[i]`` to
    ``facilities[j]``; ``inf`` means out of reach. The diagonal is 0.
    """

    facilities: tuple[str, ...]
    distance_km: tuple[tuple[float, ...], ...]
    symmetric: bool = True
    # issue 15: "minutes" when the matrix is [network] travel_minutes.
    unit: str = "km"

    def distance(self, origin: str, destination: str) -> float:
        """Distance [km] from ``origin`` to ``destination``; ``inf`` if either is not listed."""
        if origin not in self.facilities or destination not in self.facilities:
            return 0.0 if origin == destination else math.inf
        return self.distance_km[self.facilities.index(origin)][self.facilities.index(destination)]


@dataclass(frozen=True)
class Config:
    """A checked configuration. Build it with :func:`load_config`."""

    name: str
    title: str
    horizon_days: int
    start_date: dt.date | None
    seed: int
    facilities: dict[str, Facility]
    strikes: tuple[Strike, ...]
    recovery: dict[str, Recovery]
    alternatives: tuple[Alternative, ...]
    text: str = field(repr=False)
    text_format: str = "toml"
    network: Network | None = None
    draws_requested: int | None = None
    base_label: str = "base case (as configured)"
    precision: str = "auto"
    outcomes: tuple[Outcome, ...] = ()
    scenarios: tuple[Scenario, ...] = ()

    def variations(self) -> list[Varying]:
        """Every sweep and distribution of this configuration (not of its scenarios)."""
        found: list[Varying] = []

        def walk(node: Any) -> None:
            if isinstance(node, Varying):
                found.append(node)
            elif isinstance(node, Config | Facility | Service | Strike | Recovery | Curve):
                for name in node.__dataclass_fields__:
                    if name not in ("scenarios", "text"):
                        walk(getattr(node, name))
            elif isinstance(node, Alternative | Displacement | DemandPeriod | Outcome | Network):
                for name in node.__dataclass_fields__:
                    walk(getattr(node, name))
            elif isinstance(node, Mapping):
                for value in node.values():
                    walk(value)
            elif isinstance(node, tuple | list):
                for value in node:
                    walk(value)

        walk(self)
        return found

    @property
    def variants(self) -> list[Config]:
        """This configuration (the base case) and each scenario's, in file order."""
        return [self, *(scenario.config for scenario in self.scenarios)]

    @property
    def draws(self) -> int:
        """Monte Carlo draws: 0 when no input of any scenario is a distribution."""
        uncertain = any(isinstance(v, Uncertain) for c in self.variants for v in c.variations())
        if not uncertain:
            return 0
        return DEFAULT_DRAWS if self.draws_requested is None else self.draws_requested

    @property
    def results_dtype(self) -> str:
        """``"float32"`` or ``"float64"``: the type of the daily results.

        ``run.precision = "auto"`` (the default) stores an ensemble's results as
        float32 and a single run's as float64. float32 keeps 7 significant
        digits of a daily flow, far finer than any draw-to-draw spread, and
        halves memory, disk and the kernel's time (``docs/performance.md``);
        a single run is small, and keeps the digits that hand calculations
        check.
        """
        if self.precision != "auto":
            return self.precision
        return "float32" if self.draws else "float64"

    @property
    def resource_names(self) -> list[str]:
        return _union(f.resources for f in self.facilities.values())

    @property
    def service_names(self) -> list[str]:
        return _union(f.services for f in self.facilities.values())

    def recovery_for(self, resource: str, facility: str | None = None) -> Recovery:
        """How ``resource`` recovers at ``facility``: its own table, else the top-level one."""
        if facility is not None and resource in self.facilities[facility].recovery:
            return self.facilities[facility].recovery[resource]
        return self.recovery.get(resource, NO_RECOVERY)


def _union(groups) -> list[str]:
    names: list[str] = []
    for group in groups:
        names.extend(name for name in group if name not in names)
    return names


# --------------------------------------------------------------------------- checks


def _fail(path: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{path} = {_show(value)}: {allowed}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, value, "must be a table")
    return value


def _known_keys(table: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> None:
    for key in table:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise ConfigError(f"{where}: unknown key; allowed here: {', '.join(allowed)}")


def _require(table: Mapping[str, Any], key: str, path: str, why: str = "") -> Any:
    if key not in table:
        raise ConfigError(f"{path}.{key}: missing; required{why}")
    return table[key]


def _number(
    value: Any,
    path: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
    allow_inf: bool = False,
    vary: bool = True,
) -> float:
    """One configured number, checked against its range; or, where ``vary``, a
    sweep (a list) or a distribution (a table with ``dist``), returned as a
    :class:`~facility_impact.config.variation.Varying` whose every value is checked."""
    if vary and is_variation(value):

        def check(number: Any, where: str) -> float:
            return _number(
                number,
                where,
                minimum=minimum,
                maximum=maximum,
                integer=integer,
                allow_inf=allow_inf,
                vary=False,
            )

        return parse_variation(
            value, path, check, minimum=minimum, maximum=maximum, integer=integer
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a whole number" if integer else "a number"
        raise _fail(path, value, f"must be {kind}{_range_text(minimum, maximum)}")
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise _fail(path, value, f"must be a finite number{_range_text(minimum, maximum)}")
    if integer and not float(value).is_integer():
        raise _fail(path, value, f"must be a whole number{_range_text(minimum, maximum)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if minimum == 0 and maximum == 1:
            raise _fail(path, value, "must be a fraction between 0 and 1")
        raise _fail(path, value, f"must be{_range_text(minimum, maximum)}")
    return int(value) if integer else float(value)


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" between {minimum:g} and {maximum:g}"
    if minimum is not None:
        return " >= 0 (not negative)" if minimum == 0 else f" >= {minimum:g}"
    if maximum is not None:
        return f" <= {maximum:g}"
    return ""


def _fraction(value: Any, path: str) -> float:
    return _number(value, path, minimum=0, maximum=1)


def _count(value: Any, path: str) -> float:
    return _number(value, path, minimum=0)


def _positive(value: Any, path: str) -> float:
    """A scale that divides: strictly positive, ``inf`` allowed (no decay)."""
    number = _number(value, path, minimum=0, allow_inf=True)
    if number == 0:
        raise _fail(path, value, "must be > 0 (inf for no distance decay)")
    return number


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, value, "must be true or false")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, value, "must be a string")
    return value


def _key_name(key: str, path: str, known: list[str], what: str) -> str:
    """A table key that must name something defined elsewhere (a resource, a service, ...)."""
    if key not in known:
        raise ConfigError(
            f"{path}.{key}: unknown {what} {json.dumps(key)}; known: {', '.join(known) or '(none)'}"
        )
    return key


def _name(value: Any, path: str, known: list[str], what: str) -> str:
    name = _string(value, path)
    if name not in known:
        raise _fail(path, name, f"unknown {what}; known: {', '.join(known) or '(none)'}")
    return name


def _curve(table: Mapping[str, Any], path: str, extra_keys: tuple[str, ...]) -> Curve:
    curve_keys = ("curve", "time_days", "mean_days", "sd_days", "delay_days")
    _known_keys(table, path, curve_keys + extra_keys)
    family = _string(_require(table, "curve", path), f"{path}.curve")
    if family not in CURVE_FAMILIES:
        raise _fail(f"{path}.curve", family, f"must be one of {', '.join(CURVE_FAMILIES)}")
    needed = CURVE_FAMILIES[family].parameters
    for key in ("time_days", "mean_days", "sd_days"):
        if key in table and key not in needed:
            raise ConfigError(
                f"{path}.{key}: not used by curve {json.dumps(family)}; "
                f"it takes {', '.join(needed) or 'no time parameter'}"
            )
    values = {
        key: _count(_require(table, key, path, f" by curve {json.dumps(family)}"), f"{path}.{key}")
        for key in needed
    }
    # A continuous distribution truncated at 0 is > 0 almost surely.
    if (
        family == "exponential"
        and not isinstance(values["time_days"], Uncertain)
        and low(values["time_days"]) == 0
    ):
        raise _fail(f"{path}.time_days", 0, "must be > 0 for an exponential curve")
    delay = _count(table.get("delay_days", 0), f"{path}.delay_days")
    return Curve(family, delay_days=delay, **values)


# --------------------------------------------------------------------------- sections

_TOP_KEYS = (
    "title",
    "run",
    "facility",
    "strike",
    "recovery",
    "alternative",
    "network",
    "outcome",
    "scenario",
)
_RUN_KEYS = ("horizon_days", "start_date", "seed", "draws", "base_label", "precision")

PRECISIONS = ("auto", "float32", "float64")
"""Values of ``run.precision``: the floating-point type of the results (see
:attr:`Config.results_dtype`)."""
_SCENARIO_KEYS = ("label", "description", "based_on", "set")
_OUTCOME_KEYS = ("label", "service", "per_forgone_patient", "source")
MAX_DRAWS = 10_000_000
_FACILITY_KEYS = (
    "label",
    "population",
    "resources",
    "services",
    "displacement",
    "opens_day",
    "closes_day",
    "recovery",
    "latitude",
    "longitude",
    "id",
    "type",
)
_NETWORK_KEYS = ("facilities", "distance_km", "travel_minutes", "symmetric")
_SERVICE_KEYS = (
    "volume_per_month",
    "needs",
    "demand_ratio",
    "deferrable_share",
    "backlog_attrition_per_day",
    "willingness_to_travel",
    "distance_decay_km",
    "distance_decay_minutes",
    "demand_multipliers",
)
_STRIKE_KEYS = (
    "facility",
    "day",
    "date",
    "closure_days",
    "damage",
    "casualties",
    "casualty_service",
    "label",
    "enabled",
)
_ALTERNATIVE_KEYS = (
    "name",
    "label",
    "distance_km",
    "travel_minutes",
    "spare_capacity_per_month",
    "capacity_per_month",
    "opens_day",
)


def _read_run(
    raw: Mapping[str, Any],
) -> tuple[int, dt.date | None, int, int | None, Any, str]:
    run = _table(raw.get("run", {}), "run")
    _known_keys(run, "run", _RUN_KEYS)
    horizon = _number(
        run.get("horizon_days", DEFAULT_HORIZON_DAYS),
        "run.horizon_days",
        minimum=1,
        maximum=100 * 365,
        integer=True,
        vary=False,
    )
    start = run.get("start_date")
    if start is not None and (not isinstance(start, dt.date) or isinstance(start, dt.datetime)):
        raise _fail("run.start_date", start, "must be a date written as YYYY-MM-DD, unquoted")
    seed = _number(
        run.get("seed", 0), "run.seed", minimum=0, maximum=2**63 - 1, integer=True, vary=False
    )
    draws = None
    if "draws" in run:
        draws = int(
            _number(
                run["draws"], "run.draws", minimum=1, maximum=MAX_DRAWS, integer=True, vary=False
            )
        )
    precision = run.get("precision", "auto")
    if precision not in PRECISIONS:
        raise _fail("run.precision", precision, f"must be one of {', '.join(PRECISIONS)}")
    return int(horizon), start, int(seed), draws, run.get("base_label"), precision


def _read_service(raw: Any, path: str, resources: dict[str, float], horizon: int) -> Service:
    table = _table(raw, path)
    _known_keys(table, path, _SERVICE_KEYS)
    volume = _count(_require(table, "volume_per_month", path), f"{path}.volume_per_month")
    needs_raw = _table(_require(table, "needs", path, " (use {} if none)"), f"{path}.needs")
    needs = {
        _key_name(resource, f"{path}.needs", list(resources), "resource"): _fraction(
            weight, f"{path}.needs.{resource}"
        )
        for resource, weight in needs_raw.items()
    }
    periods = []
    multipliers = table.get("demand_multipliers", [])
    if not isinstance(multipliers, list):
        raise _fail(f"{path}.demand_multipliers", multipliers, "must be a list of tables")
    for index, period_raw in enumerate(multipliers):
        period_path = f"{path}.demand_multipliers[{index}]"
        period = _table(period_raw, period_path)
        _known_keys(period, period_path, ("start_day", "end_day", "factor"))
        start = _number(
            _require(period, "start_day", period_path),
            f"{period_path}.start_day",
            minimum=0,
            maximum=horizon - 1,
            integer=True,
        )
        # end_day is exclusive and defaults to the horizon; a period that runs
        # past the horizon is cut there (a shorter --horizon stays valid).
        end = _number(
            period.get("end_day", horizon), f"{period_path}.end_day", minimum=0, integer=True
        )
        if low(end) <= high(start):
            raise _fail(f"{period_path}.end_day", end, f"must be > start_day ({start:g})")
        factor = _count(_require(period, "factor", period_path), f"{period_path}.factor")
        periods.append(DemandPeriod(start, end, factor))
    decay_key = _travel_key(table, path, ("distance_decay_km", "distance_decay_minutes"))
    return Service(
        name=path.rsplit(".", 1)[-1],
        volume_per_month=volume,
        needs=needs,
        demand_ratio=_count(table.get("demand_ratio", 1.0), f"{path}.demand_ratio"),
        deferrable_share=_fraction(table.get("deferrable_share", 0.0), f"{path}.deferrable_share"),
        backlog_attrition_per_day=_fraction(
            table.get("backlog_attrition_per_day", 0.0), f"{path}.backlog_attrition_per_day"
        ),
        willingness_to_travel=_fraction(
            table.get("willingness_to_travel", 0.0), f"{path}.willingness_to_travel"
        ),
        distance_decay_km=_positive(table.get(decay_key, math.inf), f"{path}.{decay_key}"),
        demand_multipliers=tuple(periods),
        decay_unit=_TRAVEL_UNITS[decay_key],
    )


def _read_facility(name: str, raw: Any, horizon: int) -> Facility:
    path = f"facility.{name}"
    table = _table(raw, path)
    _known_keys(table, path, _FACILITY_KEYS)
    population = _number(
        _require(table, "population", path), f"{path}.population", minimum=1, allow_inf=False
    )
    resources_raw = _table(_require(table, "resources", path), f"{path}.resources")
    resources = {
        resource: _count(quantity, f"{path}.resources.{resource}")
        for resource, quantity in resources_raw.items()
    }
    services_raw = _table(_require(table, "services", path), f"{path}.services")
    if not services_raw:
        raise _fail(f"{path}.services", {}, "must hold at least one service table")
    services = {
        service: _read_service(service_raw, f"{path}.services.{service}", resources, horizon)
        for service, service_raw in services_raw.items()
    }
    displacement = None
    if "displacement" in table:
        displacement_path = f"{path}.displacement"
        displacement_raw = _table(table["displacement"], displacement_path)
        curve = _curve(displacement_raw, displacement_path, ("share", "start_day"))
        displacement = Displacement(
            share=_fraction(
                _require(displacement_raw, "share", displacement_path), f"{displacement_path}.share"
            ),
            curve=curve,
            start_day=_number(
                displacement_raw.get("start_day", 0),
                f"{displacement_path}.start_day",
                minimum=0,
                integer=True,
            ),
        )
    label = _string(table.get("label", name), f"{path}.label")
    # A day on or after the horizon means "not within this run", so a shorter
    # --horizon keeps a configuration valid.
    opens_day = _number(table.get("opens_day", 0), f"{path}.opens_day", minimum=0, integer=True)
    closes_day = None
    if "closes_day" in table:
        closes_day = _number(table["closes_day"], f"{path}.closes_day", minimum=0, integer=True)
        if low(closes_day) <= high(opens_day):
            raise _fail(f"{path}.closes_day", closes_day, f"must be > opens_day ({opens_day:g})")
    recovery = _read_recovery(
        table.get("recovery", {}), f"{path}.recovery", list(resources), f"resource of {name}"
    )
    return Facility(
        name,
        label,
        population,
        resources,
        services,
        displacement,
        opens_day=opens_day,
        closes_day=closes_day,
        recovery=recovery,
        **_read_place(table, path),
    )


def _read_recovery(raw: Any, path: str, resources: list[str], what: str) -> dict[str, Recovery]:
    """``[recovery.<resource>]`` tables (top level, or per facility under ``path``)."""
    recovery = {}
    for resource, table in _table(raw, path).items():
        _key_name(resource, path, resources, what)
        table_path = f"{path}.{resource}"
        table = _table(table, table_path)
        recovery[resource] = Recovery(
            curve=_curve(table, table_path, ("recoverable_share",)),
            recoverable_share=_fraction(
                table.get("recoverable_share", 1.0), f"{table_path}.recoverable_share"
            ),
        )
    return recovery


def _strike_day(table: Mapping[str, Any], path: str, start: dt.date | None, horizon: int) -> int:
    if ("day" in table) == ("date" in table):
        raise ConfigError(f"{path}: give exactly one of day (days from t = 0) or date (YYYY-MM-DD)")
    if "date" in table:
        date = table["date"]
        if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
            raise _fail(f"{path}.date", date, "must be a date written as YYYY-MM-DD, unquoted")
        if start is None:
            raise _fail(f"{path}.date", date, "needs run.start_date to place it; or give day")
        day = (date - start).days
        if day < 0:
            raise _fail(f"{path}.date", date, f"must not be before run.start_date ({start})")
        key = "date"
        shown = date
    else:
        day = _number(table["day"], f"{path}.day", minimum=0, integer=True)
        key = "day"
        shown = day
    if high(day) >= horizon:
        raise _fail(
            f"{path}.{key}", shown, f"falls after the horizon; must be before day {horizon}"
        )
    return day


def _read_strike(
    index: int, raw: Any, facilities: dict[str, Facility], start: dt.date | None, horizon: int
) -> Strike:
    path = f"strike[{index}]"
    table = _table(raw, path)
    _known_keys(table, path, _STRIKE_KEYS)
    if "facility" in table:
        facility = _name(table["facility"], f"{path}.facility", list(facilities), "facility")
    elif len(facilities) == 1:
        facility = next(iter(facilities))
    else:
        raise ConfigError(f"{path}.facility: missing; required when there are several facilities")
    resources = facilities[facility].resources
    damage_raw = _table(_require(table, "damage", path), f"{path}.damage")
    damage = {
        _key_name(
            resource, f"{path}.damage", list(resources), f"resource of {facility}"
        ): _fraction(fraction, f"{path}.damage.{resource}")
        for resource, fraction in damage_raw.items()
    }
    casualties = _count(table.get("casualties", 0), f"{path}.casualties")
    casualty_service = _string(
        table.get("casualty_service", "emergency"), f"{path}.casualty_service"
    )
    services = list(facilities[facility].services)
    if (high(casualties) > 0 or "casualty_service" in table) and casualty_service not in services:
        raise _fail(
            f"{path}.casualty_service",
            casualty_service,
            f"unknown service of {facility}; known: {', '.join(services)}",
        )
    return Strike(
        facility=facility,
        day=_strike_day(table, path, start, horizon),
        closure_days=_count(table.get("closure_days", 0), f"{path}.closure_days"),
        damage=damage,
        casualties=casualties,
        casualty_service=casualty_service,
        label=_string(table.get("label", ""), f"{path}.label"),
        enabled=_boolean(table.get("enabled", True), f"{path}.enabled"),
    )


def _per_service(raw: Any, path: str, services: list[str]) -> dict[str, float]:
    table = _table(raw, path)
    return {
        _key_name(service, path, services, "service"): _count(volume, f"{path}.{service}")
        for service, volume in table.items()
    }


def _read_alternative(
    index: int, raw: Any, facilities: dict[str, Facility], services: list[str], horizon: int
) -> Alternative:
    path = f"alternative[{index}]"
    table = _table(raw, path)
    _known_keys(table, path, _ALTERNATIVE_KEYS)
    name = _string(_require(table, "name", path), f"{path}.name")
    key = _travel_key(table, path, ("distance_km", "travel_minutes"))
    distance_raw = _require(table, key, path)
    if isinstance(distance_raw, Mapping):
        distances = {
            _key_name(facility, f"{path}.{key}", list(facilities), "facility"): _number(
                km, f"{path}.{key}.{facility}", minimum=0, allow_inf=True
            )
            for facility, km in distance_raw.items()
        }
        missing = [facility for facility in facilities if facility not in distances]
        if missing:
            raise ConfigError(
                f"{path}.{key}.{missing[0]}: missing; give a distance from every facility"
            )
    else:
        km = _number(distance_raw, f"{path}.{key}", minimum=0, allow_inf=True)
        distances = dict.fromkeys(facilities, km)
    spare = _per_service(
        _require(table, "spare_capacity_per_month", path),
        f"{path}.spare_capacity_per_month",
        services,
    )
    if "capacity_per_month" in table:
        capacity = _per_service(table["capacity_per_month"], f"{path}.capacity_per_month", services)
    else:
        # The same values, not a re-read: an uncertain spare capacity and its
        # default capacity must be one draw, not two independent ones.
        capacity = dict(spare)
    for service, volume in spare.items():
        if capacity.get(service) is volume:
            continue  # the default: the same value, draw by draw
        if low(capacity.get(service, 0.0)) < high(volume):
            raise _fail(
                f"{path}.capacity_per_month.{service}",
                capacity.get(service, 0.0),
                f"must be >= spare_capacity_per_month.{service} ({volume:g})",
            )
    opens_day = _number(
        table.get("opens_day", 0), f"{path}.opens_day", minimum=0, maximum=horizon, integer=True
    )
    label = _string(table.get("label", name), f"{path}.label")
    return Alternative(name, label, distances, spare, capacity, opens_day)


def _read_network(raw: Any, facilities: dict[str, Facility]) -> Network:
    """``[network]``: the facilities in matrix order and the distance matrix [km] between them."""
    table = _table(raw, "network")
    _known_keys(table, "network", _NETWORK_KEYS)
    names_raw = _require(table, "facilities", "network")
    if not isinstance(names_raw, list) or not names_raw:
        raise _fail("network.facilities", names_raw, "must be a list of facility names")
    names: list[str] = []
    for index, name_raw in enumerate(names_raw):
        name = _name(name_raw, f"network.facilities[{index}]", list(facilities), "facility")
        if name in names:
            raise _fail(f"network.facilities[{index}]", name, "is listed twice; list each once")
        names.append(name)
    symmetric = table.get("symmetric", True)
    if not isinstance(symmetric, bool):
        raise _fail("network.symmetric", symmetric, "must be true or false")

    size = len(names)
    key = _travel_key(table, "network", ("distance_km", "travel_minutes"))
    unit = _TRAVEL_UNITS[key]
    rows_raw = _require(table, key, "network")
    if not isinstance(rows_raw, list) or len(rows_raw) != size:
        count = f"{len(rows_raw)} rows" if isinstance(rows_raw, list) else "not a list of rows"
        raise ConfigError(
            f"network.{key}: {count}; must be a list of {size} rows, "
            f"one per facility in network.facilities"
        )
    rows: list[tuple[float, ...]] = []
    for i, row_raw in enumerate(rows_raw):
        path = f"network.{key}[{i}]"
        if not isinstance(row_raw, list) or len(row_raw) != size:
            raise _fail(
                path, row_raw, f"must hold {size} distances [{unit}], one per facility in order"
            )
        rows.append(
            tuple(
                _number(km, f"{path}[{j}]", minimum=0, allow_inf=True)
                for j, km in enumerate(row_raw)
            )
        )
    for i, name in enumerate(names):
        if rows[i][i] != 0:
            raise _fail(
                f"network.{key}[{i}][{i}]",
                rows_raw[i][i],
                f"must be 0, the distance from {name} to itself",
            )
    if symmetric:
        for i in range(size):
            for j in range(i + 1, size):
                if rows[i][j] != rows[j][i]:
                    raise _fail(
                        f"network.{key}[{i}][{j}]",
                        rows_raw[i][j],
                        f"must equal network.{key}[{j}][{i}] ({_show(rows_raw[j][i])}), "
                        f"{names[i]} to {names[j]} and back, because network.symmetric = true",
                    )
    return Network(tuple(names), tuple(rows), symmetric, unit)


def parse_config(raw: Mapping[str, Any], *, name: str, text: str, text_format: str) -> Config:
    """Check a parsed TOML mapping and build a :class:`Config`; raise ``ConfigError``.

    Each ``[scenario.<name>]`` is the whole configuration with its ``set``
    overrides applied, checked like the file itself.
    """
    _known_keys(raw, "", _TOP_KEYS)
    scenarios_raw = _table(raw.get("scenario", {}), "scenario")
    base = _parse_one({k: v for k, v in raw.items() if k != "scenario"}, name, text, text_format)
    scenarios = tuple(
        _read_scenario(scenario, scenarios_raw, raw, base) for scenario in scenarios_raw
    )
    config = replace(base, scenarios=scenarios)
    # Sweep names and zipped sweeps span the scenarios; checked here so that
    # `check` refuses what `run` would.
    sweep_dims(config.variants)
    return config


def _scenario_settings(
    name: str, scenarios_raw: Mapping[str, Any], chain: tuple[str, ...] = ()
) -> tuple[tuple[str, Any], ...]:
    """A scenario's overrides, after those of the scenario it is ``based_on``."""
    path = f"scenario.{name}"
    table = _table(scenarios_raw[name], path)
    _known_keys(table, path, _SCENARIO_KEYS)
    settings = tuple(_table(_require(table, "set", path), f"{path}.set").items())
    if "based_on" not in table:
        return settings
    parent = _name(table["based_on"], f"{path}.based_on", list(scenarios_raw), "scenario")
    if parent in (*chain, name):
        raise _fail(f"{path}.based_on", parent, "scenarios cannot be based on each other in a loop")
    return _scenario_settings(parent, scenarios_raw, (*chain, name)) + settings


def _read_scenario(
    name: str, scenarios_raw: Mapping[str, Any], whole: Mapping[str, Any], base: Config
) -> Scenario:
    path = f"scenario.{name}"
    if name == BASE_SCENARIO:
        raise ConfigError(f"{path}: the name {BASE_SCENARIO!r} is the configuration as written")
    if not name.isidentifier():
        raise ConfigError(f"{path}: a scenario name must be letters, digits and _")
    table = _table(scenarios_raw[name], path)
    settings = _scenario_settings(name, scenarios_raw)
    for key, _ in settings:
        if key_path_parts(key, f"{path}.set")[0] in ("run", "scenario"):
            raise ConfigError(
                f'{path}.set."{key}": a scenario cannot change run settings or other scenarios'
            )
    variant = apply_settings(
        {k: v for k, v in whole.items() if k != "scenario"}, settings, f"{path}.set."
    )
    try:
        config = _parse_one(variant, base.name, base.text, base.text_format)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    return Scenario(
        name=name,
        label=_string(table.get("label", name), f"{path}.label"),
        description=_string(table.get("description", ""), f"{path}.description"),
        settings=settings,
        config=config,
    )


def _read_outcomes(raw: Mapping[str, Any], services: list[str]) -> tuple[Outcome, ...]:
    outcomes = []
    for name, table in _table(raw.get("outcome", {}), "outcome").items():
        path = f"outcome.{name}"
        table = _table(table, path)
        _known_keys(table, path, _OUTCOME_KEYS)
        source = _string(
            _require(table, "source", path, ": an indicative outcome needs its published source"),
            f"{path}.source",
        )
        if not source.strip():
            raise _fail(f"{path}.source", source, "must cite the published source of the rate")
        outcomes.append(
            Outcome(
                name=name,
                label=_string(table.get("label", name), f"{path}.label"),
                service=_name(
                    _require(table, "service", path), f"{path}.service", services, "service"
                ),
                per_forgone_patient=_fraction(
                    _require(table, "per_forgone_patient", path), f"{path}.per_forgone_patient"
                ),
                source=source,
            )
        )
    return tuple(outcomes)


def _parse_one(raw: Mapping[str, Any], name: str, text: str, text_format: str) -> Config:
    horizon, start, seed, draws, base_label, precision = _read_run(raw)
    title = _string(raw.get("title", name), "title")
    facilities_raw = _table(_require(raw, "facility", "(top level)"), "facility")
    if not facilities_raw:
        raise _fail("facility", {}, "must hold at least one [facility.<name>] table")
    facilities = {
        facility: _read_facility(facility, facility_raw, horizon)
        for facility, facility_raw in facilities_raw.items()
    }
    strikes_raw = raw.get("strike", [])
    if not isinstance(strikes_raw, list):
        raise _fail("strike", strikes_raw, "must be a list of [[strike]] tables")
    strikes = tuple(
        _read_strike(index, strike, facilities, start, horizon)
        for index, strike in enumerate(strikes_raw)
    )
    resource_names = _union(f.resources for f in facilities.values())
    service_names = _union(f.services for f in facilities.values())
    recovery = _read_recovery(raw.get("recovery", {}), "recovery", resource_names, "resource")
    alternatives_raw = raw.get("alternative", [])
    if not isinstance(alternatives_raw, list):
        raise _fail("alternative", alternatives_raw, "must be a list of [[alternative]] tables")
    alternatives = tuple(
        _read_alternative(index, alternative, facilities, service_names, horizon)
        for index, alternative in enumerate(alternatives_raw)
    )
    seen_names: set[str] = set()
    for index, alternative in enumerate(alternatives):
        if alternative.name in seen_names or alternative.name in facilities:
            raise _fail(f"alternative[{index}].name", alternative.name, "must be a unique name")
        seen_names.add(alternative.name)
    network = _read_network(raw["network"], facilities) if "network" in raw else None
    _check_travel(facilities_raw, facilities, alternatives)
    _check_network_covers_travel(network, facilities)
    _check_travel_unit(network, facilities, alternatives_raw)
    return Config(
        name=name,
        title=title,
        horizon_days=horizon,
        start_date=start,
        seed=seed,
        facilities=facilities,
        strikes=strikes,
        recovery=recovery,
        alternatives=alternatives,
        text=text,
        text_format=text_format,
        draws_requested=draws,
        base_label=_string(base_label or Config.base_label, "run.base_label"),
        precision=precision,
        outcomes=_read_outcomes(raw, service_names),
        network=network,
    )


def _check_travel(
    facilities_raw: Mapping[str, Any],
    facilities: dict[str, Facility],
    alternatives: tuple[Alternative, ...],
) -> None:
    """Diversion needs both travel parameters wherever another facility offers the service.

    The other facility is an alternative, or a modelled facility other than the
    sender. Defaults exist only for services nobody can divert to: a silent
    assumption about willingness to travel would drive the result.
    """
    # Patients head wherever the attraction weight (capacity) is positive,
    # even to a facility with no spare capacity for them.
    destinations = [
        (f"alternative {json.dumps(a.name)} offers", a.name, a.capacity_per_month)
        for a in alternatives
    ] + [
        (
            f"facility {json.dumps(f.name)} also offers",
            f.name,
            {s: line.volume_per_month for s, line in f.services.items()},
        )
        for f in facilities.values()
    ]
    for reason, destination, attraction_of in destinations:
        for service, attraction in attraction_of.items():
            for sender in facilities.values():
                if (
                    high(attraction) == 0
                    or sender.name == destination
                    or service not in sender.services
                ):
                    continue
                given = facilities_raw[sender.name]["services"][service]
                for key in ("willingness_to_travel", "distance_decay_km"):
                    if key not in given and not (
                        key == "distance_decay_km" and "distance_decay_minutes" in given
                    ):
                        raise ConfigError(
                            f"facility.{sender.name}.services.{service}.{key}: missing; "
                            f"required because {reason} {service}"
                        )


def _check_network_covers_travel(network: Network | None, facilities: dict[str, Facility]) -> None:
    """Every pair of modelled facilities between which patients may travel needs a distance."""
    listed = network.facilities if network is not None else ()
    for sender in facilities.values():
        for service, line in sender.services.items():
            if high(line.willingness_to_travel) == 0:
                continue
            for receiver in facilities.values():
                offered = receiver.services.get(service)
                if receiver is sender or offered is None or high(offered.volume_per_month) == 0:
                    continue
                why = (
                    f"patients of {sender.name} may travel to {receiver.name} for {service} "
                    f"(willingness_to_travel > 0)"
                )
                if network is None:
                    raise ConfigError(
                        f"network: missing; required because {why}; give [network] with "
                        f"facilities and distance_km"
                    )
                for name in (sender.name, receiver.name):
                    if name not in listed:
                        raise _fail("network.facilities", list(listed), f"must list {name}: {why}")


# ------------------------------------------------------------ issue 15: places, travel time

_TRAVEL_UNITS = {
    "distance_km": "km",
    "distance_decay_km": "km",
    "travel_minutes": "minutes",
    "distance_decay_minutes": "minutes",
}
"""The unit of each travel key. The kernel's decay ``exp(-d / λ)`` is the same in
any unit, so minutes feed the same parameters as km; one configuration uses one unit."""


def _travel_key(table: Mapping[str, Any], path: str, keys: tuple[str, str]) -> str:
    """Which of two keys (km, minutes) the table gives; the km one when it gives neither."""
    if keys[0] in table and keys[1] in table:
        raise ConfigError(f"{path}: give {keys[0]} or {keys[1]}, not both")
    return keys[1] if keys[1] in table else keys[0]


def _read_place(table: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A facility's ``latitude``/``longitude`` [degrees] (both or neither), ``id`` and ``type``."""
    place: dict[str, Any] = {}
    given = [key for key in ("latitude", "longitude") if key in table]
    if len(given) == 1:
        other = "longitude" if given[0] == "latitude" else "latitude"
        raise ConfigError(f"{path}.{other}: missing; required because {given[0]} is given")
    for key, limit in (("latitude", 90), ("longitude", 180)):
        if key in table:
            place[key] = _number(
                table[key], f"{path}.{key}", minimum=-limit, maximum=limit, vary=False
            )
    if "id" in table:
        place["source_id"] = _string(table["id"], f"{path}.id")
    if "type" in table:
        place["kind"] = _string(table["type"], f"{path}.type")
    return place


def _check_travel_unit(
    network: Network | None, facilities: dict[str, Facility], alternatives_raw: list[Any]
) -> None:
    """Distances and decay scales share one unit: minutes if ``[network]`` gives
    ``travel_minutes``, km otherwise."""
    unit = "km" if network is None else network.unit
    why = "[network] gives travel_minutes" if unit == "minutes" else "[network] gives km"
    for facility in facilities.values():
        for service in facility.services.values():
            if service.decay_unit != unit:
                raise ConfigError(
                    f"facility.{facility.name}.services.{service.name}.distance_decay_"
                    f"{service.decay_unit}: travel is in {unit} in this configuration "
                    f"({why}); give distance_decay_{unit}"
                )
    wrong, right = ("distance_km", "travel_minutes")[:: 1 if unit == "minutes" else -1]
    for index, alternative in enumerate(alternatives_raw):
        if wrong in alternative:
            raise ConfigError(
                f"alternative[{index}].{wrong}: travel is in {unit} in this configuration "
                f"({why}); give {right}"
            )


def load_config(
    source: str | Path | Mapping[str, Any],
    *,
    horizon_days: int | None = None,
    seed: int | None = None,
    draws: int | None = None,
    settings: Sequence[tuple[str, Any]] = (),
) -> Config:
    """Read and check a configuration from a TOML file path or an already-parsed mapping.

    ``horizon_days``, ``seed`` and ``draws`` override ``[run]`` (as the command
    line's ``--horizon``, ``--seed`` and ``--draws`` do); ``settings`` are
    ``(key path, value)`` overrides (``--set``). All are checked like the file.
    Raises :class:`ConfigError` with a one-line message for any bad input.
    """
    if isinstance(source, Mapping):
        raw = dict(source)
        name = "configuration"
        text = ""
        text_format = "json"
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: configuration file not found") from None
        except IsADirectoryError:
            raise ConfigError(f"{path}: is a folder, not a configuration file") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not a UTF-8 text file") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        name = path.stem
        text_format = "toml"
    overrides = list(settings)
    for key, value in (("horizon_days", horizon_days), ("seed", seed), ("draws", draws)):
        if value is not None:
            overrides.append((f"run.{key}", value))
    if overrides:
        _table(raw.get("run", {}), "run")
        raw = apply_settings(raw, overrides, "--set " if settings else "")
        # The stored text must reproduce the run, so it records the overrides too.
        text += "".join(f"\n# overridden: {key} = {_show(value)}" for key, value in overrides)
    if text_format == "json":
        text = json.dumps(raw, default=str, indent=1)
    return parse_config(raw, name=name, text=text, text_format=text_format)
