"""The schema: every configuration key, its type, unit, default, range and meaning.

This table is the one place a key and its default are written. The reading
code (:mod:`facility_impact.config.reading` and the section readers) takes
the allowed keys, types, ranges and defaults from it; ``facility-impact
schema`` turns it into a JSON Schema; ``docs/configuration.md``'s key tables
are generated from it (``python -m facility_impact.config.docs``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from facility_impact.config import key_helpers as _limits
from facility_impact.config.default_values import (
    ATTACK_TYPES,
    DECAY_SOURCE,
    FACILITY_DAMAGE,
    HOSPITAL_DECAY_KM,
    OUTPATIENT_DECAY_KM,
    RECRUITMENT_DEFAULTS,
    RECRUITMENT_SOURCE,
    STAFF_FATES,
    STAFF_RETURN_DEFAULTS,
    STAFF_RETURN_SOURCE,
    curves_text,
)
from facility_impact.config.key_helpers import NOTHING_UNLESS_GIVEN as _NOTHING_UNLESS_GIVEN
from facility_impact.config.key_helpers import curve_keys as _curve_keys
from facility_impact.config.key_helpers import day as _day
from facility_impact.config.key_helpers import fraction as _fraction
from facility_impact.config.key_helpers import label as _label
from facility_impact.config.key_helpers import number as _number
from facility_impact.config.key_helpers import recovery_keys as _recovery_keys
from facility_impact.config.spec import ABSENT, COMPUTED, REQUIRED, Key

DEFAULT_DRAWS = 200
"""Draws when a configuration has distributions but no ``run.draws``: see that key's source."""

MAX_DRAWS = 10_000_000
"""Most draws a run may ask for: beyond it a single run does not fit in memory."""

PRECISIONS = ("auto", "float32", "float64")
"""Values of ``run.precision``: the floating-point type of the results."""

BASE_LABEL = "base case (as configured)"
"""The label of the configuration as written when ``run.base_label`` is left out."""

_FATE_RULE = "with the other fates, ≤ the struck facility's `staff`, which it must have"


# The rows below are laid out as a table, one key per call with its arguments in
# column order (path, kind, doc, unit, default, default_doc, source); a formatter
# would put each argument on its own line and triple the table's length.
# fmt: off
_TOP = (
    Key("title", "string", "title of the scenario, carried into the results and figures", "text",
        COMPUTED, "file name without `.toml`"),
    Key("run", "table", "run settings, see [`[run]`](#run)", "table", ABSENT, "all defaults"),
    Key("facility", "map", "the modelled facilities, one `[facility.<name>]` table each", "table",
        rule="at least one facility"),
    Key("strike", "list", "strikes, one `[[strike]]` table each", "list", ABSENT, "no strike"),
    Key("recovery", "map", "recovery of each resource, one `[recovery.<resource>]` table each",
        "table", ABSENT, "a resource without a table never comes back (curve `none`)",
        "ASSUMPTION: nothing is repaired that the configuration does not say is"),
    Key("staff_return", "map", "how staff lost to a strike come back, one "
        "`[staff_return.<fate>]` table per fate", "table", ABSENT,
        "each fate's default, see [`[staff_return.<fate>]`](#staff_returnfate)"),
    Key("recruitment", "table", "recruitment to the posts of staff lost to a strike, see "
        "[`[recruitment]`](#recruitment)", "table", ABSENT, "its defaults"),
    Key("alternative", "list", "facilities outside the model that can take patients, one "
        "`[[alternative]]` table each", "list", ABSENT, "no diversion outside the model"),
    Key("network", "table", "distances between the modelled facilities, see "
        "[`[network]`](#network)", "table", ABSENT,
        "none; **required** when patients may travel between modelled facilities"),
    Key("outcome", "map", "indicative health outcomes, one `[outcome.<name>]` table each",
        "table", ABSENT),
    Key("scenario", "map", "named variants of the file, one `[scenario.<name>]` table each",
        "table", ABSENT, rule="`<name>` letters, digits, `_`, not `base`"),
)

_RUN = (
    Key("run.horizon_days", "number", "number of simulated days `H` (days `0 … H-1`)", "d",
        365, minimum=1, maximum=_limits.MAX_DAYS, integer=True),
    Key("run.start_date", "date", "calendar date of day 0. When set, results get a date `time` "
        "axis and strikes may be given by `date`", "date", ABSENT, "time is day numbers"),
    Key("run.seed", "number", "random seed of the Latin hypercube draws, recorded in the "
        "results' attributes", default=0, minimum=0, maximum=2**63 - 1, integer=True),
    Key("run.draws", "number", "Monte Carlo draws of the distributions, and of the priors of "
        "strikes given by `attack_type`. Ignored when neither exists; with 1 (or left out and "
        "no key a distribution) each prior takes its central value", default=ABSENT,
        default_doc=f"{DEFAULT_DRAWS} when some key is a distribution",
        source="ASSUMPTION: a quick look, not a publication figure. On "
        f"`configs/maarat_al_numan_options.toml` {DEFAULT_DRAWS} Latin hypercube draws put the "
        "5th, 50th and 95th percentiles of forgone care within 3.5 % of those of 2,000 draws, "
        "and within 7.3 % with other seeds (docs/uncertainty.md)", minimum=1, maximum=MAX_DRAWS,
        integer=True),
    Key("run.base_label", "string", "label of the configuration as written on the `scenario` "
        "dim (an empty label also gives the default)", "text", BASE_LABEL),
    Key("run.precision", "choice", "floating-point type of the daily results: `auto` stores an "
        "ensemble (any distribution) as float32 and a single run as float64. See "
        "docs/performance.md", default="auto", choices=PRECISIONS),
)

_FACILITY = (
    Key("facility.<name>", "table", "a modelled facility; `<name>` is its key in results and "
        "in `strike.facility`", "table"),
    _label("facility.<name>.label", "`<name>`"),
    _number("facility.<name>.population", "catchment population `P0` before the strikes. "
            "Demand scales with `P(t)/P0`", "persons", minimum=1, maximum=_limits.MAX_POPULATION),
    Key("facility.<name>.resources", "map", "baseline quantity `Q_r` of each resource, as "
        "`{ beds = 30, staff = 54 }`. The resource names defined here are the only ones that "
        "`needs`, `damage` and `recovery` accept. Capacity depends on the *fraction* "
        "available, not on the counts", "table", rule="may be `{}`"),
    _number("facility.<name>.resources.<resource>", "baseline quantity of the resource",
            "count", maximum=_limits.MAX_COUNT),
    Key("facility.<name>.services", "map", "service lines, one sub-table each", "table",
        rule="at least one service"),
    Key("facility.<name>.displacement", "table", "population loss over time", "table", ABSENT,
        "population stays `P0`"),
    _day("facility.<name>.opens_day", "first day the facility exists. Before it, it has no "
         "capacity, no patients of its own, and nobody heads for it (a field hospital, a "
         "relocated site)", default=0, source="ASSUMPTION: it exists from the first day",
         rule="on or after `horizon_days`: does not open within the run"),
    _day("facility.<name>.closes_day", "first day the facility is closed for good: capacity 0, "
         "its patients seek care elsewhere or go unmet, and its waiting patients give up that "
         "day", default=ABSENT, default_doc="never closes",
         rule="> `opens_day`; on or after `horizon_days`: not within the run"),
    Key("facility.<name>.recovery", "map", "this facility's own recovery tables, with the keys "
        "of [`[recovery.<resource>]`](#recoveryresource). Each replaces the top-level table of "
        "that resource for this facility", "table", ABSENT, "the top-level tables apply",
        rule="resources of this facility"),
    Key("facility.<name>.recovery.<resource>", "table", "how the resource recovers here",
        "table"),
    *_recovery_keys("facility.<name>.recovery.<resource>"),
    Key("facility.<name>.latitude", "number", "where the facility stands, for maps; carried "
        "into the results as a coordinate on `facility`", "degrees_north", ABSENT,
        "no place", minimum=-90, maximum=90, rule="give both `latitude` and `longitude` or "
        "neither"),
    Key("facility.<name>.longitude", "number", "where the facility stands, for maps",
        "degrees_east", ABSENT, "no place", minimum=-180, maximum=180,
        rule="give both `latitude` and `longitude` or neither"),
    Key("facility.<name>.id", "string", "the facility's id in the table it was imported from "
        "(docs/data_import.md)", "text", ""),
    Key("facility.<name>.type", "string", "the facility's type in the table it was imported "
        "from (docs/data_import.md)", "text", ""),
)

_SERVICE = "facility.<name>.services.<service>"
_SERVICES = (
    Key(_SERVICE, "table", "a service line of the facility", "table"),
    _number(f"{_SERVICE}.volume_per_month", "baseline capacity `C_s^0` as a monthly volume. "
            "When given, it is the capacity, whatever the resources", "patients/month",
            maximum=_limits.MAX_VOLUME, default=COMPUTED, default_doc="what the resources "
            "allow: `min_r Q_r × θ_{s,r}` over the resources of `throughput_per_day`",
            rule="give `volume_per_month` or `throughput_per_day`, or both (`check` warns "
            "when they differ by more than a factor 1.5)"),
    Key(f"{_SERVICE}.throughput_per_day", "map", "patients a day that one unit of each "
        "resource supports, `θ_{s,r}`, as `{ beds = 0.2, staff = 0.9 }` (beds: occupancy / "
        "mean length of stay). The resource then limits the service to `K_{s,r} = Q_r × "
        "θ_{s,r}` times its available fraction; a resource left out sets no such limit",
        "table", ABSENT, "capacity is `volume_per_month`",
        rule="resources of this facility; at least one"),
    _number(f"{_SERVICE}.throughput_per_day.<resource>", "patients a day per unit of the "
            "resource", "patient d⁻¹ unit⁻¹", maximum=_limits.MAX_THROUGHPUT),
    _number(f"{_SERVICE}.utilisation_per_person_year", "baseline demand per person of the "
            "catchment per year, `u_s`, so `D_s^0 = P0 × u_s / 365.25` a day",
            "patient person⁻¹ year⁻¹", maximum=_limits.MAX_UTILISATION, default=ABSENT,
            default_doc="demand is `demand_ratio` × capacity", rule="not with `demand_ratio`"),
    Key(f"{_SERVICE}.needs", "map", "dependency weight `w_{s,r}` on each resource: 1 = cannot "
        "run without it, 0 = does not need it. A resource left out has weight 0", "table",
        rule="resources of this facility", required_note=" (use {} if none)"),
    _fraction(f"{_SERVICE}.needs.<resource>", "dependency weight on the resource"),
    _number(f"{_SERVICE}.demand_ratio", "baseline demand divided by baseline capacity, so "
            "`D_s^0 = ratio × C_s^0`; only without `utilisation_per_person_year`", "–",
            maximum=_limits.MAX_FACTOR, default=1.0, source="ASSUMPTION: the facility met all "
            "of its demand before the strike", rule="not with `utilisation_per_person_year`"),
    _fraction(f"{_SERVICE}.deferrable_share", "share `φ_s` of unserved new demand that waits "
              "in a backlog. The rest seeks care elsewhere", default=0.0,
              source="ASSUMPTION: nobody waits"),
    _fraction(f"{_SERVICE}.backlog_attrition_per_day", "share `κ_s` of the waiting backlog "
              "that gives up each day. The mean wait before giving up is about 1/κ days",
              "d⁻¹", default=0.0, source="ASSUMPTION: waiting patients never give up "
              "(matters only if `deferrable_share` > 0)"),
    _fraction(f"{_SERVICE}.willingness_to_travel", "share `α_s` of patients seeking care "
              "elsewhere who try another facility (a modelled one or an alternative)",
              default=0.0, default_doc="no diversion; used only where no other facility "
              "offers the service, otherwise **required** (see [What is "
              "checked](#what-is-checked))", source="ASSUMPTION: nobody travels where "
              "nobody could receive them"),
    _number(f"{_SERVICE}.distance_decay_km", "distance-decay scale `λ_s`. The share reaching "
            "a facility `d` km away falls as `exp(-d/λ)`", "km", maximum=_limits.MAX_KM,
            default=COMPUTED,
            default_doc=f"{HOSPITAL_DECAY_KM:g} km for every service but `outpatient`, "
            f"{OUTPATIENT_DECAY_KM:g} km for `outpatient`", source=DECAY_SOURCE,
            positive=True, inf=True),
    _number(f"{_SERVICE}.distance_decay_minutes", "distance-decay scale `λ_s` on travel time. "
            "The share reaching a facility `t` minutes away falls as `exp(-t/λ)`. Instead of "
            "`distance_decay_km` where `[network]` gives `travel_minutes`", "min",
            maximum=_limits.MAX_MINUTES, default=float("inf"), default_doc="no decay; used "
            "only where no other facility offers the service, otherwise **required** (the "
            "cited defaults are distances)",
            source="ASSUMPTION: irrelevant where nobody can divert", positive=True, inf=True),
    _number(f"{_SERVICE}.reach_km", "farthest distance a patient of this service goes to "
            "another facility: one farther away is never chosen", "km", maximum=_limits.MAX_KM,
            default=float("inf"),
            default_doc="no limit but the distance decay", source="ASSUMPTION: the decay alone "
            "says how few go far", positive=True, inf=True),
    _number(f"{_SERVICE}.reach_minutes", "as `reach_km`, in minutes of travel, where "
            "`[network]` gives `travel_minutes`", "min", maximum=_limits.MAX_MINUTES,
            default=float("inf"), default_doc="no limit", source="ASSUMPTION: as `reach_km`",
            positive=True, inf=True),
    Key(f"{_SERVICE}.demand_multipliers", "list", "periods with demand multiplied by a factor",
        "list", ABSENT, "factor 1 throughout"),
    _day(f"{_SERVICE}.demand_multipliers[].start_day", "first day of the period",
         below_horizon=-1),
    _day(f"{_SERVICE}.demand_multipliers[].end_day", "first day after the period; a period "
         "running past the horizon is cut there", default=COMPUTED,
         default_doc="`horizon_days`", rule="> `start_day`"),
    _number(f"{_SERVICE}.demand_multipliers[].factor", "demand multiplier `m_s(t)`", "–",
            maximum=_limits.MAX_FACTOR),
)

_DISPLACEMENT = "facility.<name>.displacement"
_DISPLACEMENTS = (
    *_curve_keys(_DISPLACEMENT, "extra wait before the displacement starts; it is added to "
                 "`start_day`"),
    _fraction(f"{_DISPLACEMENT}.share", "share of `P0` that is eventually displaced"),
    _day(f"{_DISPLACEMENT}.start_day", "day the displacement starts. It is not tied to any "
         "strike", default=0, source="ASSUMPTION: from the first day"),
    _fraction(f"{_DISPLACEMENT}.return_share", "share `ρ_ret` of the displaced who eventually "
              "come back, along the curve of [`return`](#facilitynamedisplacementreturn)",
              default=0.0, source=_NOTHING_UNLESS_GIVEN, rule="> 0 needs the `return` table"),
    Key(f"{_DISPLACEMENT}.return", "table", "when and how the displaced come back",
        "table", ABSENT, "nobody comes back"),
    Key(f"{_DISPLACEMENT}.destination", "name", "the modelled facility in whose catchment all "
        "the displaced settle: their demand arrives there", "name", ABSENT,
        "they leave the modelled area; their care is reported as `displaced`",
        rule="another facility; not with `destinations`"),
    Key(f"{_DISPLACEMENT}.destinations", "map", "share of the displaced who settle in each "
        "modelled facility's catchment, as `{ north = 0.6 }`; the rest leave the modelled area",
        "table", ABSENT, "as `destination`", rule="other facilities; shares ≤ 1 in total"),
    _fraction(f"{_DISPLACEMENT}.destinations.<facility>", "share settling there"),
)

_RETURN = f"{_DISPLACEMENT}.return"
_RETURNS = (
    *_curve_keys(_RETURN, "extra wait before the return starts; it is added to `start_day`"),
    _day(f"{_RETURN}.start_day", "day the return starts", default=COMPUTED,
         default_doc="the day the displacement starts (its `start_day` + `delay_days`)"),
)

_RELOCATION = "facility.<name>.relocation"
_RELOCATIONS = (
    Key(_RELOCATION, "table", "a relocated site or field hospital that takes over the "
        "facility's work from `opens_day`: its waiting patients and the staff it still has",
        "table", ABSENT, "none"),
    _day(f"{_RELOCATION}.opens_day", "first day the site works",
         rule="on or after `horizon_days`: not within the run"),
    _number(f"{_RELOCATION}.distance_km", "distance from the catchment to the site; only "
            "`exp(-d/λ_s)` of the facility's new patients reach it", "km", maximum=_limits.MAX_KM,
            default=ABSENT,
            default_doc="exactly one of `distance_km`/`travel_minutes` is **required**"),
    _number(f"{_RELOCATION}.travel_minutes", "travel time from the catchment to the site, as "
            "`distance_km`, where `[network]` gives `travel_minutes`", "min",
            maximum=_limits.MAX_MINUTES, default=ABSENT,
            default_doc="exactly one of `distance_km`/`travel_minutes` is **required**"),
    Key(f"{_RELOCATION}.resources", "map", "the site's own quantity of each resource it has, "
        "as `{ beds = 10, theatres = 1, building = 1 }`. A resource left out moves with the "
        "facility at its current availability (staff)", "table", ABSENT,
        "every resource moves with the facility", rule="resources of this facility"),
    _number(f"{_RELOCATION}.resources.<resource>", "the site's quantity of the resource",
            "count", maximum=_limits.MAX_COUNT),
)

_PRIORS = "the prior of `attack_type` × `facility_damage` (facility_impact/data/attack_priors.toml)"
_RESPONSE = "the prior of the response to `attack_type` (facility_impact/data/attack_priors.toml)"
_RECORDED = "only with `attack_type`"
_STRIKES = (
    Key("strike[].facility", "name", "the facility struck", "name", COMPUTED,
        "the only facility; **required** when there are several",
        rule="a `[facility.<name>]` key"),
    _day("strike[].day", "day of the strike `t_k`", default=ABSENT,
         default_doc="exactly one of `day`/`date` is **required**", rule="< `horizon_days`"),
    Key("strike[].date", "date", "date of the strike, placed relative to `run.start_date`",
        "date", ABSENT, "exactly one of `day`/`date` is **required**",
        rule="not before `run.start_date`, before the end of the horizon"),
    Key("strike[].attack_type", "choice", "the attack as recorded: its WHO SSA type (see "
        "[Attacks as recorded](#attacks-as-recorded)). What the strike does not say itself "
        "(damage, `closure_days`, the restoration of the facility's resources, the people's "
        "response) then comes from the priors", default=ABSENT,
        default_doc="none: the strike is what its own keys say", choices=ATTACK_TYPES),
    Key("strike[].facility_damage", "choice", "what the record says of the facility",
        default=COMPUTED, default_doc="`none`",
        source="ASSUMPTION: a record that says nothing of damage reports none (as `facility-"
        "impact import` reads an empty cell)", choices=FACILITY_DAMAGE, rule=_RECORDED),
    _number("strike[].closure_days", "days the facility is closed (capacity 0), starting on the "
            "strike day. Recovery starts when the closure ends", "d", maximum=_limits.MAX_DAYS,
            default=COMPUTED,
            default_doc=f"with `attack_type`, {_PRIORS}; without, 0",
            source="ASSUMPTION without `attack_type`: it keeps working at its damaged capacity"),
    Key("strike[].damage", "map", "damage fraction `δ_{k,r}` of each resource. It applies to "
        "what is available just before the strike (for `staff`, after the staff fates below). "
        "A resource left out is not damaged, unless the strike gives `attack_type`", "table",
        COMPUTED, f"**required** without `attack_type`; with it, for each resource left out "
        f"but `staff` (lost by its fates), {_PRIORS}",
        rule="resources of the struck facility; may be `{}`"),
    _fraction("strike[].damage.<resource>", "damage fraction of the resource"),
    _number("strike[].staff_killed", "staff killed; only recruitment replaces them",
            "persons", maximum=_limits.MAX_COUNT, default=0.0, source=_NOTHING_UNLESS_GIVEN,
            rule=_FATE_RULE),
    _number("strike[].staff_injured", "staff injured; most come back once healed", "persons",
            maximum=_limits.MAX_COUNT, default=0.0, source=_NOTHING_UNLESS_GIVEN, rule=_FATE_RULE),
    _number("strike[].staff_abducted", "staff abducted or missing; a share comes back",
            "persons", maximum=_limits.MAX_COUNT, default=0.0, source=_NOTHING_UNLESS_GIVEN,
            rule=_FATE_RULE),
    _number("strike[].staff_fled", "staff who fled; a share comes back over months",
            "persons", maximum=_limits.MAX_COUNT, default=0.0, source=_NOTHING_UNLESS_GIVEN,
            rule=_FATE_RULE),
    _number("strike[].casualties", "patients added to the demand of `casualty_service` on the "
            "strike day", "patients", maximum=_limits.MAX_COUNT, default=0.0,
            source=_NOTHING_UNLESS_GIVEN),
    Key("strike[].casualty_service", "string", "service that receives the casualties", "name",
        "emergency", rule="a service of the struck facility (checked whenever given, or when "
        "`casualties` > 0)"),
    Key("strike[].avoidance", "map", "people's response: the share of each service's demand at "
        "the struck facility that stays away right after the strike, as `{ outpatient = 0.5, "
        "emergency = 0.1 }`. It fades along `avoidance_fade`; avoided care is forgone care "
        "(`not_sought`)", "table", COMPUTED, f"with `attack_type`, for each service left out, "
        f"{_RESPONSE}; without, 0: no response", rule="services of any facility"),
    _fraction("strike[].avoidance.<service>", "share of the service's demand that stays away"),
    _fraction("strike[].avoidance_nearby_share", "share of the struck facility's `avoidance` "
              "that also stays away from every other modelled facility within "
              "`avoidance_radius_km`", default=COMPUTED,
              default_doc=f"with `attack_type`, {_RESPONSE}; without, 0",
              source="ASSUMPTION without `attack_type`: no response elsewhere unless said"),
    _number("strike[].avoidance_radius_km", "how far from the struck facility the nearby "
            "response reaches: the straight-line distance between facilities that give "
            "`latitude` and `longitude`, else the `[network]` `distance_km`", "km",
            maximum=_limits.MAX_KM, default=COMPUTED,
            default_doc=f"with `attack_type`, {_RESPONSE}; without, 0",
            source="ASSUMPTION without `attack_type`: no response elsewhere unless said",
            inf=True),
    Key("strike[].avoidance_fade", "table", "how the response fades: the share that stays "
        "away on day `t` is `avoidance × (1 − g(t − t_k))`, in calendar days from the strike "
        "day. Without `curve`, the prior's family, with the time keys given replacing its "
        "values", "table", COMPUTED, f"with `attack_type`, {_RESPONSE}; **required** without it "
        "when some `avoidance` is above 0"),
    *_curve_keys("strike[].avoidance_fade", None, curve_default=COMPUTED,
                 curve_doc="with `attack_type`, the prior's family; **required** without it"),
    Key("strike[].label", "string", "short description for tables and figures", "text", ""),
    Key("strike[].enabled", "boolean", "`false` switches the strike off (it hits nobody): for a "
        "scenario \"had it not happened\"", default=True),
)

_RECOVERY = (
    Key("recovery.<resource>", "table", "how a lost resource comes back, in every facility "
        "without its own table", "table", rule="a resource of at least one facility"),
    *_recovery_keys("recovery.<resource>"),
)

_STAFF_RETURN = (
    Key("staff_return.<fate>", "table", "how staff lost to this fate come back, counted in "
        "calendar days from the strike day. Without `curve`, the fate's default curve applies "
        "and the time keys given replace its values", "table", rule="`<fate>` is one of "
        + ", ".join(f"`{fate}`" for fate in STAFF_FATES)),
    *_curve_keys("staff_return.<fate>", None, curve_default=COMPUTED,
                 curve_doc=curves_text(STAFF_RETURN_DEFAULTS), source=STAFF_RETURN_SOURCE),
    _fraction("staff_return.<fate>.return_share", "share `ρ_φ` of the staff of this fate who "
              "come back", default=COMPUTED, default_doc=", ".join(
                  f"{fate} {STAFF_RETURN_DEFAULTS[fate]['return_share']:g}"
                  for fate in STAFF_FATES), source=STAFF_RETURN_SOURCE),
)

_RECRUITMENT = (
    *_curve_keys("recruitment", None, curve_default=RECRUITMENT_DEFAULTS["curve"],
                 curve_doc="with `time_days` 90", source=RECRUITMENT_SOURCE),
    _fraction("recruitment.share", "share `ρ_rec` of the posts that returning staff leave "
              "empty which recruitment refills", default=RECRUITMENT_DEFAULTS["share"],
              source=RECRUITMENT_SOURCE),
)

_ALTERNATIVES = (
    Key("alternative[].name", "string", "identifier in results", "name",
        rule="unique among alternatives and different from every facility name"),
    _label("alternative[].label", "`name`"),
    _number("alternative[].distance_km", "distance from each facility. Give one number for all "
            "facilities, or a table `{ <facility> = km, … }`", "km", maximum=_limits.MAX_KM,
            inf=True, by_name=True, default=ABSENT, default_doc="exactly one of "
            "`distance_km`/`travel_minutes` is **required**",
            rule="`inf` = out of reach. A table must name every facility"),
    _number("alternative[].travel_minutes", "travel time from each facility, as "
            "`distance_km`; use it when `[network]` gives `travel_minutes`", "min",
            maximum=_limits.MAX_MINUTES, inf=True,
            by_name=True, default=ABSENT, default_doc="exactly one of "
            "`distance_km`/`travel_minutes` is **required**",
            rule="`inf` = out of reach. A table must name every facility"),
    Key("alternative[].spare_capacity_per_month", "map", "spare capacity per service: the most "
        "it can absorb. A service left out gets 0", "table", rule="services of any facility"),
    _number("alternative[].spare_capacity_per_month.<service>", "spare capacity",
            "patients/month", maximum=_limits.MAX_VOLUME),
    Key("alternative[].capacity_per_month", "map", "baseline capacity per service. The model's "
        "destination choice uses the spare capacity only; the maps of `facility-impact plot` "
        "draw this one", "table", COMPUTED, "equal to `spare_capacity_per_month`",
        rule="services of any facility"),
    _number("alternative[].capacity_per_month.<service>", "baseline capacity", "patients/month",
            maximum=_limits.MAX_VOLUME, rule="≥ the spare capacity of the service"),
    _day("alternative[].opens_day", "first day on which it attracts and absorbs patients",
         default=0, source="ASSUMPTION: it is open from the first day", below_horizon=0,
         rule="`horizon_days` = never within the run"),
)

_NETWORK = (
    Key("network.facilities", "names", "the facilities of the matrix, in row and column order",
        "names", rule="`[facility.<name>]` keys, each once. Must include every facility whose "
        "patients may travel to another modelled facility, and that facility"),
    Key("network.distance_km", "matrix", "`distance_km[i][j]` is the distance from "
        "`facilities[i]` to `facilities[j]`", "km", ABSENT, "exactly one of "
        "`distance_km`/`travel_minutes` is **required**", minimum=0, maximum=_limits.MAX_KM,
        inf=True, sweep=True, distribution=True, rule="one row per facility, one number per "
        "facility in each; `inf` = out of reach; the diagonal must be 0"),
    Key("network.travel_minutes", "matrix", "`travel_minutes[i][j]` is the travel time from "
        "`facilities[i]` to `facilities[j]`. With it, every distance and decay scale of the "
        "file is in minutes", "min", ABSENT, "exactly one of `distance_km`/`travel_minutes` "
        "is **required**", minimum=0, maximum=_limits.MAX_MINUTES, inf=True, sweep=True,
        distribution=True, rule="as `distance_km`"),
    Key("network.symmetric", "boolean", "whether `distance_km[i][j]` must equal "
        "`distance_km[j][i]`", default=True,
        source="road distances are the same both ways; `false` for one-way travel conditions"),
)

_OUTCOMES = (
    Key("outcome.<name>", "table", "an indicative health outcome", "table"),
    _label("outcome.<name>.label", "`<name>`"),
    Key("outcome.<name>.service", "name", "the service whose forgone patients count", "name",
        rule="a service of some facility"),
    _fraction("outcome.<name>.per_forgone_patient", "outcome per forgone patient (usually a "
              "distribution)"),
    Key("outcome.<name>.source", "string", "the published source of the rate", "text",
        rule="not empty", required_note=": an indicative outcome needs its published source"),
)

_SCENARIOS = (
    Key("scenario.<name>", "table", "a named variant of the file", "table"),
    _label("scenario.<name>.label", "`<name>`"),
    Key("scenario.<name>.description", "string", "one sentence on what the scenario is", "text",
        ""),
    Key("scenario.<name>.based_on", "name", "another scenario whose `set` applies first", "name",
        ABSENT, rule="a scenario of this file, no loops"),
    Key("scenario.<name>.set", "settings", "overrides, `\"key.path\" = value`: lists by index "
        "(`strike.0.day`); the index one past the end adds an entry (`strike.1 = {...}`)",
        "table", rule="any key except `run.*` and `scenario.*`"),
)
# fmt: on

KEYS: MappingProxyType[str, Key] = MappingProxyType(
    {
        key.path: key
        for key in (
            *_TOP,
            *_RUN,
            *_FACILITY,
            *_SERVICES,
            *_DISPLACEMENTS,
            *_RETURNS,
            *_RELOCATIONS,
            *_STRIKES,
            *_RECOVERY,
            *_STAFF_RETURN,
            *_RECRUITMENT,
            *_ALTERNATIVES,
            *_NETWORK,
            *_OUTCOMES,
            *_SCENARIOS,
        )
    }
)
"""Every configuration key by its path pattern, each table's keys in the order
that messages list them ("allowed here: ...")."""


def default_of(pattern: str) -> Any:
    """The default value of key ``pattern``; an error for a key whose default is not a value."""
    default = KEYS[pattern].default
    if default in (REQUIRED, ABSENT, COMPUTED):
        raise KeyError(f"{pattern} has no default value ({default!r})")
    return default
