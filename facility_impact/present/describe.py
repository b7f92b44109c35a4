"""A configuration described in a few lines of text (``facility-impact check``)."""

from __future__ import annotations

from facility_impact.config import Alternative, Config, Facility, Network, show_value
from facility_impact.config.variation import Uncertain


def describe_config(config: Config) -> str:
    """What a configuration describes, in a few lines (``facility-impact check``)."""
    lines = [f"{config.title} ({config.name})"]
    start = f", from {config.start_date}" if config.start_date else ""
    draws = f", {config.draws} Latin hypercube draws" if config.draws else ""
    lines.append(f"horizon {config.horizon_days} d{start}, seed {config.seed}{draws}")
    for value in config.variations():
        stream = ""
        if isinstance(value, Uncertain) and value.stream != value.path:
            stream = f" [random stream {value.stream}]"
        lines.append(f"varies: {value.path} = {value.describe()}{stream}")
    for facility in config.facilities.values():
        lines += _facility_lines(facility, config.horizon_days)
    for index, strike in enumerate(config.strikes):
        damage = ", ".join(f"{r} {d:.0%}" for r, d in strike.damage.items()) or "none"
        label = f" ({strike.label})" if strike.label else ""
        lines.append(
            f"strike {index}{label}: {strike.facility} on day {strike.day}, closed "
            f"{strike.closure_days:g} d, damage {damage}, casualties {strike.casualties:g}"
        )
    for resource in config.resource_names:
        recovery = config.recovery_for(resource)
        lines.append(
            f"recovery of {resource}: {recovery.curve.describe()}, "
            f"recoverable {recovery.recoverable_share:.0%}"
            + ("" if resource in config.recovery else " (default: none configured)")
        )
    for outcome in config.outcomes:
        lines.append(
            f"indicative outcome {outcome.name} ({outcome.label}): {outcome.per_forgone_patient:g} "
            f"per forgone {outcome.service} patient; source: {outcome.source}"
        )
    if config.network is not None:
        lines += _network_lines(config.network)
    lines += [_alternative_line(alternative) for alternative in config.alternatives]
    for scenario in config.scenarios:
        lines.append(f"scenario {scenario.name} ({scenario.label}):")
        for key, value in scenario.settings:
            lines.append(f"  set {key} = {show_value(value)}")
    return "\n".join(lines)


def _facility_lines(facility: Facility, horizon_days: int) -> list[str]:
    """A facility: population, resources, when it is open, services, displacement and
    its own recovery curves."""
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
    for service in facility.services.values():
        needs = ", ".join(f"{r} {w:g}" for r, w in service.needs.items()) or "nothing"
        lines.append(
            f"  service {service.name}: {service.volume_per_month:,.0f}/month, "
            f"needs {needs}; deferrable {service.deferrable_share:.0%}"
        )
    if facility.displacement:
        move = facility.displacement
        lines.append(
            f"  displacement: {move.share:.0%} of the population from day {move.start_day}, "
            f"{move.curve.describe()}"
        )
    for resource, recovery in facility.recovery.items():
        lines.append(
            f"  recovery of {resource} here: {recovery.curve.describe()}, "
            f"recoverable {recovery.recoverable_share:.0%}"
        )
    return lines


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
