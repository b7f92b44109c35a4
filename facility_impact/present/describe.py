"""A configuration described in a few lines of text (``facility-impact check``).

What each service's capacity and demand come to before any strike is printed
beside this by :func:`facility_impact.config.baseline.baseline_lines`; this
module says what the configuration holds: facilities, strikes (with the staff
each takes), recovery, how lost staff come back, relocation, displacement,
the network, alternatives and scenarios.
"""

from __future__ import annotations

import math

from facility_impact.config import (
    Alternative,
    Config,
    Curve,
    Displacement,
    Facility,
    Network,
    Relocation,
    Service,
    StaffReturn,
    Strike,
    show_value,
)
from facility_impact.config.default_values import STAFF_FATES
from facility_impact.config.staffing import read_recruitment, read_staff_return
from facility_impact.config.variation import Uncertain, Varying, high

_FATE_LABELS = {
    "killed": "killed",
    "injured": "injured",
    "abducted": "abducted or missing",
    "fled": "fled",
}
"""How the staff fates read in a sentence."""

_UNITS = {"km": "km", "minutes": "min", "default": "km"}
"""A configured travel unit as the text writes it."""


def describe_config(config: Config) -> str:
    """What a configuration describes, in a few lines (``facility-impact check``).

    Each scenario's overrides are listed as written, then the lines of the
    description that they change (a facility's own lines under its first line).
    """
    lines = [f"{config.title} ({config.name})"]
    start = f", from {config.start_date}" if config.start_date else ""
    draws = f", {config.draws} Latin hypercube draws" if config.draws else ""
    lines.append(f"horizon {config.horizon_days} d{start}, seed {config.seed}{draws}")
    for value in config.variations():
        stream = ""
        if isinstance(value, Uncertain) and value.stream != value.path:
            stream = f" [random stream {value.stream}]"
        lines.append(f"varies: {value.path} = {value.describe()}{stream}")
    body = _body_lines(config)
    lines += body
    for scenario in config.scenarios:
        lines.append(f"scenario {scenario.name} ({scenario.label}):")
        for key, value in scenario.settings:
            lines.append(f"  set {key} = {show_value(value)}")
        changed = _changed_lines(_body_lines(scenario.config), body)
        if changed:
            lines.append("  which gives:")
            lines += [f"    {line}" for line in changed]
    return "\n".join(lines)


def _body_lines(config: Config) -> list[str]:
    """Everything but the title, the run and the varying inputs: facilities,
    strikes, recovery, staff returns, outcomes, network and alternatives."""
    lines = []
    for facility in config.facilities.values():
        lines += _facility_lines(facility, config.horizon_days)
    for index, strike in enumerate(config.strikes):
        lines += [_strike_line(index, strike), *_recorded_lines(strike)]
    for resource in config.resource_names:
        holders = [f for f in config.facilities.values() if resource in f.resources]
        if holders and all(resource in f.recovery for f in holders):
            continue  # every facility with it has its own table (shown with the facility)
        recovery = config.recovery_for(resource)
        lines.append(
            f"recovery of {resource}: {recovery.curve.describe()}, "
            f"recoverable {recovery.recoverable_share:.0%}"
            + ("" if resource in config.recovery else " (default: none configured)")
        )
    lines += _staff_return_lines(config)
    for outcome in config.outcomes:
        lines.append(
            f"indicative outcome {outcome.name} ({outcome.label}): {outcome.per_forgone_patient:g} "
            f"per forgone {outcome.service} patient; source: {outcome.source}"
        )
    if config.network is not None:
        lines += _network_lines(config.network)
    lines += [_alternative_line(alternative) for alternative in config.alternatives]
    return lines


def _changed_lines(lines: list[str], base: list[str]) -> list[str]:
    """The ``lines`` not in ``base``; an indented one comes under the unindented
    line it belongs to (its facility, its heading), which is shown once."""
    known = set(base)
    changed: list[str] = []
    heading = None
    for line in lines:
        if not line.startswith(" "):
            heading = line
        if line in known:
            continue
        if line.startswith(" ") and heading is not None and heading not in changed:
            changed.append(heading)
        changed.append(line)
    return changed


def _facility_lines(facility: Facility, horizon_days: int) -> list[str]:
    """A facility: population, resources, when it is open, services, relocation,
    displacement and its own recovery curves."""
    resources = ", ".join(f"{name} {amount:g}" for name, amount in facility.resources.items())
    life = ""
    if facility.opens_day >= horizon_days:
        life = "; does not open within the run"
    elif facility.opens_day:
        life = f"; opens day {facility.opens_day}"
    if facility.closes_day is not None:
        life += f"; closed for good from day {facility.closes_day}"
    lines = [
        f"facility {facility.name} ({facility.label}): population {facility.population:,.0f}; "
        f"resources: {resources}{life}"
    ]
    lines += [_service_line(service) for service in facility.services.values()]
    if facility.relocation is not None:
        lines.append(_relocation_line(facility, facility.relocation, horizon_days))
    if facility.displacement:
        lines += _displacement_lines(facility.displacement)
    for resource, recovery in facility.recovery.items():
        lines.append(
            f"  recovery of {resource} here: {recovery.curve.describe()}, "
            f"recoverable {recovery.recoverable_share:.0%}"
        )
    return lines


def _service_line(service: Service) -> str:
    """A service: its monthly volume, needs, deferrable share and reach if limited."""
    needs = ", ".join(f"{r} {w:g}" for r, w in service.needs.items()) or "nothing"
    reach = ""
    if isinstance(service.reach_km, Varying) or not math.isinf(service.reach_km):
        unit = _UNITS.get(service.reach_unit or "km", "km")
        reach = f"; reach {service.reach_km:g} {unit}"
    return (
        f"  service {service.name}: {service.volume_per_month:,.0f}/month, "
        f"needs {needs}; deferrable {service.deferrable_share:.0%}{reach}"
    )


def _relocation_line(facility: Facility, relocation: Relocation, horizon_days: int) -> str:
    """Where and when the relocated site works, what it has of its own and what moves."""
    own = ", ".join(f"{name} {amount:g}" for name, amount in relocation.resources.items())
    carried = [name for name in facility.resources if name not in relocation.resources]
    opens = f"from day {relocation.opens_day:g}"
    if not isinstance(relocation.opens_day, Varying) and relocation.opens_day >= horizon_days:
        opens = "does not open within the run"
    moves = (
        f"{', '.join(carried)} move with the facility (what it has left of them)"
        if carried
        else "nothing moves with the facility"
    )
    return (
        f"  relocation: a site {opens}, {relocation.distance_km:g} "
        f"{_UNITS.get(relocation.unit, relocation.unit)} from the catchment; "
        f"its own: {own or 'nothing'}; {moves}"
    )


def _displacement_lines(move: Displacement) -> list[str]:
    """Who leaves, who comes back, and where the displaced settle."""
    lines = [
        f"  displacement: {move.share:.0%} of the population from day {move.start_day}, "
        f"{move.curve.describe()}"
    ]
    if move.return_curve is None or not high(move.return_share) > 0:
        lines.append("  return of the displaced: none")
    else:
        start = (
            "from the day the displacement starts"
            if move.return_start_day is None
            else f"from day {move.return_start_day:g}"
        )
        lines.append(
            f"  return of the displaced: {move.return_share:.0%} of them {start}, "
            f"{move.return_curve.describe()}"
        )
    rest = "leave the modelled area (their care is counted as displaced)"
    if move.destinations:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in move.destinations.items())
        lines.append(f"  the displaced settle in: {shares}; the rest {rest}")
    else:
        lines.append(f"  the displaced {rest}")
    return lines


def _strike_line(index: int, strike: Strike) -> str:
    """A strike: target, day, closure, damage, casualties and the staff it takes."""
    damage = ", ".join(f"{r} {d:.0%}" for r, d in strike.damage.items()) or "none"
    label = f" ({strike.label})" if strike.label else ""
    lost = ", ".join(
        f"{_FATE_LABELS[fate]} {count:g}"
        for fate, count in strike.staff_lost.items()
        if isinstance(count, Varying) or count > 0
    )
    return (
        f"strike {index}{label}: {strike.facility} on day {strike.day}, closed "
        f"{strike.closure_days:g} d, damage {damage}, casualties {strike.casualties:g}, "
        f"staff lost: {lost or 'none'}"
    )


def _recorded_lines(strike: Strike) -> list[str]:
    """A strike as recorded (what the priors gave it) and its people's response."""
    lines = []
    if strike.attack_type is not None:
        lines.append(
            f"  recorded as {strike.attack_type}, facility {strike.facility_damage}: "
            f"{len(strike.priors)} values from the priors of attacks (listed in the report)"
        )
    shares = [(s, a) for s, a in strike.avoidance.items() if high(a) > 0]
    if shares:
        avoided = ", ".join(f"{service} {share:.0%}" for service, share in shares)
        lines.append(
            f"  people stay away: {avoided}; {strike.avoidance_nearby_share:.0%} of it within "
            f"{strike.avoidance_radius_km:g} km; fading {strike.avoidance_fade.describe()}"
        )
    return lines


def _staff_return_lines(config: Config) -> list[str]:
    """How staff that strikes take come back, per fate, and recruitment to their posts.

    One line when no strike takes staff and every table is its default."""
    defaults = read_staff_return({})
    default_recruitment = read_recruitment({})
    configured = any(
        not _same(config.staff_return[fate], defaults[fate]) for fate in STAFF_FATES
    ) or not _same(config.recruitment, default_recruitment)
    taken = any(
        high(count) > 0 for strike in config.strikes for count in strike.staff_lost.values()
    )
    if not (configured or taken):
        return ["staff return and recruitment: the defaults (no strike takes staff)"]
    lines = ["staff lost to strikes come back (calendar days from the strike day):"]
    for fate in STAFF_FATES:
        back = config.staff_return[fate]
        default = " (default)" if _same(back, defaults[fate]) else ""
        lines.append(
            f"  {_FATE_LABELS[fate]}: return share {back.share:.0%}, "
            f"{_curve_text(back.curve)}{default}"
        )
    recruitment = config.recruitment
    default = " (default)" if _same(recruitment, default_recruitment) else ""
    lines.append(
        f"  recruitment: refills {recruitment.share:.0%} of the posts left empty, "
        f"{_curve_text(recruitment.curve)}{default}"
    )
    return lines


def _same(given: StaffReturn, default: StaffReturn) -> bool:
    """Whether a staff return is its default (a distribution never is)."""
    return repr(given) == repr(default)


def _curve_text(curve: Curve) -> str:
    return "never" if curve.family == "none" else curve.describe()


def _network_lines(network: Network) -> list[str]:
    """The distance from each facility of the network to every other [km]."""
    kind = "symmetric" if network.symmetric else "from row to column"
    lines = [f"network distances [km] ({kind}):"]
    for origin in network.facilities:
        distances = ", ".join(
            f"{destination} {network.distance(origin, destination):g}"
            for destination in network.facilities
            if destination != origin
        )
        lines.append(f"  {origin}: {distances or 'no other facility'}")
    return lines


def _alternative_line(alternative: Alternative) -> str:
    """An alternative provider: its distances [km], spare capacity and opening day."""
    spare = ", ".join(f"{s} {v:g}" for s, v in alternative.spare_capacity_per_month.items())
    km = "/".join(f"{d:g}" for d in sorted(set(alternative.distance_km.values())))
    opens = f", opens day {alternative.opens_day}" if alternative.opens_day else ""
    return (
        f"alternative {alternative.name} ({alternative.label}): {km} km, "
        f"spare per month: {spare}{opens}"
    )


__all__ = ["describe_config"]
