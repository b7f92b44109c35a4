"""The checked configuration: frozen dataclasses that later layers can trust.

Built only by :func:`facility_impact.config.loading.load_config`; every default
they hold was filled in from the schema (:mod:`facility_impact.config.keys`)
when the configuration was read.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from facility_impact.config.keys import DEFAULT_DRAWS, default_of
from facility_impact.config.variation import Uncertain, Varying
from facility_impact.curves import CURVE_CODES

DAYS_PER_YEAR = 365.25
"""Mean days in a year [d year-1]: a yearly rate per person u is u / 365.25 a day."""

DAYS_PER_MONTH = DAYS_PER_YEAR / 12
"""Mean days in a month [d month-1]: a monthly volume V is a daily rate V / 30.4375
(docs/model.md)."""

BASE_SCENARIO = "base"
"""The name of the configuration as written, first on the ``scenario`` dim."""


@dataclass(frozen=True)
class Curve:
    """A recovery (or displacement) curve: family and its time parameters [d]; a
    parameter the family does not take is 0."""

    family: str
    time_days: float
    mean_days: float
    sd_days: float
    delay_days: float

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
    recoverable_share: float


NO_RECOVERY = Recovery(
    Curve("none", 0.0, 0.0, 0.0, default_of("recovery.<resource>.delay_days")),
    default_of("recovery.<resource>.recoverable_share"),
)
"""How a resource without a recovery table comes back: never (the schema's key ``recovery``)."""


@dataclass(frozen=True)
class DemandPeriod:
    """Demand multiplied by ``factor`` on days ``start_day <= t < end_day``."""

    start_day: int
    end_day: int
    factor: float


@dataclass(frozen=True)
class Service:
    """A service line of a facility; volumes per month, shares as fractions.

    The defaults of the keys and their sources are in the schema
    (:mod:`facility_impact.config.keys`).
    """

    name: str
    # The given volume; when the service gives ``throughput_per_day`` instead, the
    # monthly capacity its resources allow at their nominal values (for display:
    # the parameter builder computes it from the resources draw by draw).
    volume_per_month: float
    needs: dict[str, float]
    demand_ratio: float
    deferrable_share: float
    backlog_attrition_per_day: float
    willingness_to_travel: float
    distance_decay_km: float
    demand_multipliers: tuple[DemandPeriod, ...]
    # ``distance_decay_km`` and ``reach_km`` hold the scale in the configuration's
    # travel unit: "minutes" when the file gave ``distance_decay_minutes``
    # (docs/data_import.md); "default" when it gave neither and the cited default
    # in km was taken (a configuration in minutes has none: see loading).
    decay_unit: str = "km"
    volume_given: bool = True
    # Patients a day one unit of each resource supports [patient d-1 unit-1].
    throughput_per_day: dict[str, float] = field(default_factory=dict)
    # Baseline demand per person per year [patient person-1 year-1]; None: the
    # demand is demand_ratio x capacity.
    utilisation_per_person_year: float | None = None
    reach_km: float = math.inf
    reach_unit: str | None = None  # None: not given


@dataclass(frozen=True)
class Displacement:
    """The catchment population falls by ``share`` of ``P0`` along ``curve`` from ``start_day``.

    ``return_share`` of the displaced come back along ``return_curve`` from
    ``return_start_day`` [d] (``None``: the day the displacement starts), the
    curve's own delay added. ``destinations`` maps the
    modelled facilities where displaced people settle to the share of them that
    does (at most 1 in total); the rest leave the modelled area.
    """

    share: float
    curve: Curve
    start_day: int
    return_share: float = 0.0
    return_curve: Curve | None = None
    return_start_day: float | None = None
    destinations: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Relocation:
    """A relocated site or field hospital of a facility, working from ``opens_day`` [d].

    ``distance_km`` [km, or minutes in a configuration in minutes] from the
    catchment to the site. ``resources``: the site's own quantity of each
    resource it lists; the others move with the facility.
    """

    opens_day: int
    distance_km: float
    resources: dict[str, float]
    unit: str = "km"


@dataclass(frozen=True)
class StaffReturn:
    """How staff lost to one fate come back (``share`` of them, along ``curve`` in
    calendar days from the strike day); also recruitment to the posts left empty."""

    share: float
    curve: Curve


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
    displacement: Displacement | None
    opens_day: int
    closes_day: int | None
    recovery: dict[str, Recovery]
    relocation: Relocation | None = None
    # Where it stands [degrees_north, degrees_east], for maps, and the id and
    # type of the table it was imported from (docs/data_import.md).
    latitude: float | None = None
    longitude: float | None = None
    source_id: str = ""
    kind: str = ""


NO_FADE = Curve("none", 0.0, 0.0, 0.0, 0.0)
"""The fade of a strike without a response: ``g = 0`` (its shares are 0 anyway)."""


@dataclass(frozen=True)
class PriorNote:
    """A value a configuration took from the priors of attacks as recorded.

    ``key``: where it would be written (``strike.0.damage.building``,
    ``facility.<name>.recovery.building.mean_days``); ``value``: what the run takes
    (the central value, or the distribution it draws); ``prior``: the table's
    distribution (times the attack type's factor); ``source`` and ``calibrated``:
    the entry's; ``strike``: the strike it came with.
    """

    key: str
    value: float | str
    prior: str
    source: str
    calibrated: bool
    strike: int


@dataclass(frozen=True)
class Strike:
    """A strike on ``facility`` on ``day``. ``staff_lost`` [persons] holds the staff
    killed, injured, abducted or missing, and fled (every fate, 0 if not given).

    A strike as recorded gives ``attack_type`` (a WHO SSA type) and
    ``facility_damage``; what it leaves out comes from the priors, noted in
    ``priors``. The response: ``avoidance`` [1] per service (0 for a service left
    out), the share of it at the other facilities within ``avoidance_radius_km``
    [km], and how it fades, ``avoidance_fade`` (calendar days from the strike day).
    """

    facility: str
    day: int
    closure_days: float
    damage: dict[str, float]
    casualties: float
    casualty_service: str
    label: str
    enabled: bool
    staff_lost: dict[str, float] = field(default_factory=dict)
    attack_type: str | None = None
    facility_damage: str | None = None
    avoidance: dict[str, float] = field(default_factory=dict)
    avoidance_nearby_share: float = 0.0
    avoidance_radius_km: float = 0.0
    avoidance_fade: Curve = NO_FADE
    priors: tuple[PriorNote, ...] = ()


@dataclass(frozen=True)
class Alternative:
    """A facility outside the model whose own demand is not simulated.

    ``spare_capacity_per_month`` bounds what it can absorb; ``capacity_per_month``
    (its baseline capacity, default the spare capacity) weighs how many patients
    head there (docs/model.md, "External alternatives").
    """

    name: str
    label: str
    distance_km: dict[str, float]
    spare_capacity_per_month: dict[str, float]
    capacity_per_month: dict[str, float]
    opens_day: int


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


@dataclass(frozen=True)
class Network:
    """Distances [km] between modelled facilities, rows and columns in ``facilities`` order.

    ``distance_km[i][j]`` is the distance from ``facilities[i]`` to
    ``facilities[j]``; ``inf`` means out of reach. The diagonal is 0.
    """

    facilities: tuple[str, ...]
    distance_km: tuple[tuple[float, ...], ...]
    symmetric: bool
    # "minutes" when the matrix is ``[network] travel_minutes``: the kernel's
    # decay exp(-d/λ) is the same in any unit, so the matrix keeps this field.
    unit: str = "km"

    def distance(self, origin: str, destination: str) -> float:
        """Distance [km] from ``origin`` to ``destination``; ``inf`` if either is not listed."""
        position = self.positions
        if origin not in position or destination not in position:
            return 0.0 if origin == destination else math.inf
        return self.distance_km[position[origin]][position[destination]]

    @property
    def positions(self) -> dict[str, int]:
        """Each listed facility's row (and column) of the matrix, found once."""
        cached: dict[str, int] | None = self.__dict__.get("_positions")
        if cached is None:
            cached = {name: i for i, name in enumerate(self.facilities)}
            # A frozen dataclass: the cache is set past its __setattr__.
            object.__setattr__(self, "_positions", cached)
        return cached


@dataclass(frozen=True, kw_only=True)
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
    text_format: str
    network: Network | None
    draws_requested: int | None
    base_label: str
    precision: str
    outcomes: tuple[Outcome, ...]
    # Every fate's return (configured or default) and recruitment.
    staff_return: dict[str, StaffReturn]
    recruitment: StaffReturn
    scenarios: tuple[Scenario, ...] = ()
    # The restorations that recorded strikes took from the priors (the facilities'
    # recovery tables hold them).
    recovery_priors: tuple[PriorNote, ...] = ()

    def variations(self) -> list[Varying]:
        """Every sweep and distribution of this configuration (not of its scenarios).

        Found once per configuration: the walk visits every number, and the
        parameter builder asks for the draws once per uncertain number.
        """
        cached: list[Varying] | None = self.__dict__.get("_variations")
        if cached is None:
            cached = self._find_variations()
            # A frozen dataclass: the cache is set past its __setattr__.
            object.__setattr__(self, "_variations", cached)
        return list(cached)

    def _find_variations(self) -> list[Varying]:
        found: list[Varying] = []

        def walk(node: Any) -> None:
            if isinstance(node, Varying):
                found.append(node)
            elif isinstance(node, float | int | str | bool):
                return
            elif isinstance(node, Network):
                # The matrix holds facilities² numbers: one pass, no recursion.
                found.extend(v for row in node.distance_km for v in row if isinstance(v, Varying))
            elif isinstance(
                node,
                Config | Facility | Service | Strike | Recovery | Curve | Relocation | StaffReturn,
            ):
                for name in node.__dataclass_fields__:
                    if name not in ("scenarios", "text"):
                        walk(getattr(node, name))
            elif isinstance(node, Alternative | Displacement | DemandPeriod | Outcome):
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
        return list(self._names("_resource_names", "resources"))

    @property
    def service_names(self) -> list[str]:
        return list(self._names("_service_names", "services"))

    def _names(self, cache: str, attribute: str) -> list[str]:
        """Every facility's ``attribute`` names in order of appearance, found once (the
        builder asks for them once per facility)."""
        names: list[str] | None = self.__dict__.get(cache)
        if names is None:
            names = union(getattr(f, attribute) for f in self.facilities.values())
            # A frozen dataclass: the cache is set past its __setattr__.
            object.__setattr__(self, cache, names)
        return names

    def recovery_for(self, resource: str, facility: str | None = None) -> Recovery:
        """How ``resource`` recovers at ``facility``: its own table, else the top-level one."""
        if facility is not None and resource in self.facilities[facility].recovery:
            return self.facilities[facility].recovery[resource]
        return self.recovery.get(resource, NO_RECOVERY)


def union(groups: Iterable[Iterable[str]]) -> list[str]:
    names: dict[str, None] = {}
    for group in groups:
        names.update(dict.fromkeys(group))
    return list(names)
