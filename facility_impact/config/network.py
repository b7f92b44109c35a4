"""Where patients may go: ``[[alternative]]``, ``[network]`` and the checks that diversion
has the travel parameters and distances it needs."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from facility_impact.config.keys import KEYS
from facility_impact.config.reading import (
    TRAVEL_UNITS,
    fail,
    key_name,
    number_of,
    one_of,
    read,
    read_map,
    require,
    table,
    tables,
)
from facility_impact.config.spec import Key
from facility_impact.config.types import Alternative, Facility, Network, Service
from facility_impact.config.variation import high, low
from facility_impact.errors import ConfigError, echo

ALTERNATIVE = "alternative[]"


def read_alternatives(
    raw: Any, facilities: dict[str, Facility], services: list[str], horizon: int
) -> tuple[Alternative, ...]:
    """Every ``[[alternative]]`` table; names unique and distinct from the facilities'."""
    alternatives = tuple(
        _read_alternative(index, alternative, facilities, services, horizon)
        for index, alternative in enumerate(tables(raw, "alternative", "[[alternative]]"))
    )
    seen: set[str] = set()
    for index, alternative in enumerate(alternatives):
        if alternative.name in seen or alternative.name in facilities:
            raise fail(f"alternative[{index}].name", alternative.name, "must be a unique name")
        seen.add(alternative.name)
    return alternatives


def _read_alternative(
    index: int, raw: Any, facilities: dict[str, Facility], services: list[str], horizon: int
) -> Alternative:
    path = f"alternative[{index}]"
    alternative = table(raw, path, ALTERNATIVE)
    name = read(alternative, f"{ALTERNATIVE}.name", path)
    distances = _distances(alternative, path, list(facilities))
    spare = read_map(
        read(alternative, f"{ALTERNATIVE}.spare_capacity_per_month", path),
        f"{ALTERNATIVE}.spare_capacity_per_month",
        f"{path}.spare_capacity_per_month",
        services,
        "service",
    )
    if "capacity_per_month" in alternative:
        capacity = read_map(
            alternative["capacity_per_month"],
            f"{ALTERNATIVE}.capacity_per_month",
            f"{path}.capacity_per_month",
            services,
            "service",
        )
    else:
        # The same values, not a re-read: an uncertain spare capacity and its
        # default capacity must be one draw, not two independent ones.
        capacity = dict(spare)
    for service, volume in spare.items():
        if capacity.get(service) is volume:
            continue  # the default: the same value, draw by draw
        if low(capacity.get(service, 0.0)) < high(volume):
            raise fail(
                f"{path}.capacity_per_month.{service}",
                capacity.get(service, 0.0),
                f"must be >= spare_capacity_per_month.{service} ({volume:g})",
            )
    opens_day = read(alternative, f"{ALTERNATIVE}.opens_day", path, horizon=horizon)
    label = read(alternative, f"{ALTERNATIVE}.label", path, fallback=name)
    return Alternative(name, label, distances, spare, capacity, opens_day)


def _distances(
    alternative: Mapping[str, Any], path: str, facilities: list[str]
) -> dict[str, float]:
    """``distance_km`` [km] or ``travel_minutes`` [min]: one number for every facility,
    or a table naming each."""
    name = one_of(alternative, path, ("distance_km", "travel_minutes"))
    key = KEYS[f"{ALTERNATIVE}.{name}"]
    raw = require(alternative, key.path, path)
    where = f"{path}.{name}"
    if not isinstance(raw, Mapping):
        return dict.fromkeys(facilities, number_of(key, raw, where))
    distances = {
        key_name(facility, where, facilities, "facility"): number_of(key, km, f"{where}.{facility}")
        for facility, km in raw.items()
    }
    missing = [facility for facility in facilities if facility not in distances]
    if missing:
        raise ConfigError(f"{where}.{missing[0]}: missing; give a distance from every facility")
    return distances


def read_network(raw: Any, facilities: dict[str, Facility]) -> Network:
    """``[network]``: the facilities in matrix order and the matrix between them, distances
    [km] (``distance_km``) or travel times [min] (``travel_minutes``)."""
    network = table(raw, "network", "network")
    names = _network_names(read(network, "network.facilities", "network"), list(facilities))
    symmetric = read(network, "network.symmetric", "network")
    matrix = one_of(network, "network", ("distance_km", "travel_minutes"))
    rows_raw = require(network, f"network.{matrix}", "network")
    rows = _matrix(rows_raw, len(names), matrix)
    for i, name in enumerate(names):
        if rows[i][i] != 0:
            raise fail(
                f"network.{matrix}[{i}][{i}]",
                rows_raw[i][i],
                f"must be 0, the distance from {name} to itself",
            )
    if symmetric:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if rows[i][j] != rows[j][i]:
                    raise fail(
                        f"network.{matrix}[{i}][{j}]",
                        rows_raw[i][j],
                        f"must equal network.{matrix}[{j}][{i}] ({echo(rows_raw[j][i])}), "
                        f"{names[i]} to {names[j]} and back, because network.symmetric = true",
                    )
    return Network(tuple(names), rows, symmetric, TRAVEL_UNITS[matrix])


def _network_names(raw: Any, facilities: list[str]) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise fail("network.facilities", raw, "must be a list of facility names")
    names: list[str] = []
    for index, name_raw in enumerate(raw):
        where = f"network.facilities[{index}]"
        if not isinstance(name_raw, str):
            raise fail(where, name_raw, "must be a string")
        if name_raw not in facilities:
            known = ", ".join(facilities) or "(none)"
            raise fail(where, name_raw, f"unknown facility; known: {known}")
        if name_raw in names:
            raise fail(where, name_raw, "is listed twice; list each once")
        names.append(name_raw)
    return names


def _matrix(raw: Any, size: int, matrix: str) -> tuple[tuple[float, ...], ...]:
    """``network.<matrix>``: ``size`` rows of ``size`` distances [km] or times [min] each."""
    if not isinstance(raw, list) or len(raw) != size:
        count = f"{len(raw)} rows" if isinstance(raw, list) else "not a list of rows"
        raise ConfigError(
            f"network.{matrix}: {count}; must be a list of {size} rows, "
            f"one per facility in network.facilities"
        )
    key = KEYS[f"network.{matrix}"]
    unit = TRAVEL_UNITS[matrix]
    rows = []
    for i, row in enumerate(raw):
        path = f"network.{matrix}[{i}]"
        if not isinstance(row, list) or len(row) != size:
            raise fail(path, row, f"must hold {size} distances [{unit}], one per facility in order")
        rows.append(tuple(_distance(key, km, path, j) for j, km in enumerate(row)))
    return tuple(rows)


def _distance(key: Key, value: Any, path: str, j: int) -> float:
    """One cell of the matrix: a plain number in range is taken as it is (a matrix
    holds facilities² of them); anything else goes through :func:`number_of`."""
    kind = type(value)
    top = math.inf if key.maximum is None else key.maximum
    if (kind is float or kind is int) and (0 <= value <= top or value == math.inf):
        return float(value)
    return number_of(key, value, f"{path}[{j}]")


def travel_unit(network: Network | None) -> str:
    """``"minutes"`` if ``[network]`` gives ``travel_minutes``, else ``"km"``."""
    return "km" if network is None else network.unit


def settle_decay_defaults(
    facilities: dict[str, Facility], network: Network | None
) -> dict[str, Facility]:
    """``facilities`` with the distance-decay scale of every service that gave none settled.

    In km it is the cited default (``default_values.DECAY_SOURCE``); those are
    distances, so a configuration in minutes has none (``inf``), and
    :func:`check_travel` asks for ``distance_decay_minutes`` where it matters.
    """
    unit = travel_unit(network)

    def settle(service: Service) -> Service:
        if service.decay_unit != "default":
            return service
        if unit == "km":
            return replace(service, decay_unit="km")
        return replace(service, decay_unit=unit, distance_decay_km=math.inf)

    return {
        name: replace(facility, services={s: settle(v) for s, v in facility.services.items()})
        for name, facility in facilities.items()
    }


def check_travel(
    facilities_raw: Mapping[str, Any],
    facilities: dict[str, Facility],
    alternatives: tuple[Alternative, ...],
    unit: str,
) -> None:
    """Diversion needs a willingness to travel wherever another facility offers the service,
    and in a configuration in minutes (``unit``) a distance-decay scale too.

    The other facility is an alternative with spare capacity, or a modelled
    facility other than the sender. The default willingness exists only for
    services nobody can divert to: a silent assumption about it would drive the
    result. The default decay scales are cited distances (``distance_decay_km``).
    """
    needed = ["willingness_to_travel"]
    if unit == "minutes":
        needed.append("distance_decay_minutes")
    # Per service, the senders that lack a needed key, in facility order, with the
    # first key each lacks: a destination then needs only its first such sender
    # other than itself (linear in facilities, not quadratic).
    lacking: dict[str, list[tuple[str, str]]] = {}
    for sender in facilities.values():
        for service in sender.services:
            given = facilities_raw[sender.name]["services"][service]
            missing = next((key for key in needed if key not in given), None)
            if missing is not None:
                lacking.setdefault(service, []).append((sender.name, missing))
    destinations = [
        (f"alternative {json.dumps(a.name)} offers", a.name, a.spare_capacity_per_month)
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
            if high(attraction) == 0:
                continue
            for name, key in lacking.get(service, [])[:2]:
                if name != destination:
                    raise ConfigError(
                        f"facility.{name}.services.{service}.{key}: missing; "
                        f"required because {reason} {service}"
                    )


def check_network_covers_travel(network: Network | None, facilities: dict[str, Facility]) -> None:
    """Every pair of modelled facilities between which patients may travel needs a distance."""
    listed = set(network.facilities) if network is not None else set()
    # Per service, the facilities that offer it, and those of them the network
    # lacks, in order: each sender then looks at most at the first two of each.
    offering: dict[str, list[str]] = {}
    for offerer in facilities.values():
        for service, offered in offerer.services.items():
            if high(offered.volume_per_month) != 0:
                offering.setdefault(service, []).append(offerer.name)
    unlisted = {s: [name for name in names if name not in listed] for s, names in offering.items()}
    for sender in facilities.values():
        for service, line in sender.services.items():
            if high(line.willingness_to_travel) == 0:
                continue
            receiver = _first_other(offering.get(service, []), sender.name)
            if receiver is None:
                continue
            why = (
                f"patients of {sender.name} may travel to {receiver} for {service} "
                f"(willingness_to_travel > 0)"
            )
            if network is None:
                raise ConfigError(
                    f"network: missing; required because {why}; give [network] with "
                    f"facilities and distance_km"
                )
            if sender.name not in listed:
                raise fail(
                    "network.facilities",
                    list(network.facilities),
                    f"must list {sender.name}: {why}",
                )
            absent = _first_other(unlisted[service], sender.name)
            if absent is not None:
                why = why.replace(f" to {receiver} for ", f" to {absent} for ", 1)
                raise fail(
                    "network.facilities", list(network.facilities), f"must list {absent}: {why}"
                )


def _first_other(names: list[str], name: str) -> str | None:
    """The first of ``names`` that is not ``name``."""
    return next((other for other in names[:2] if other != name), None)


def check_travel_unit(
    network: Network | None, facilities: dict[str, Facility], alternatives_raw: list[Any]
) -> None:
    """Distances and decay scales share one unit: minutes if ``[network]`` gives
    ``travel_minutes``, km otherwise."""
    unit = travel_unit(network)
    why = "[network] gives travel_minutes" if unit == "minutes" else "[network] gives km"
    for facility in facilities.values():
        for service in facility.services.values():
            path = f"facility.{facility.name}.services.{service.name}"
            for key, given in (
                ("distance_decay", service.decay_unit),
                ("reach", service.reach_unit),
            ):
                if given is not None and given != unit:
                    raise ConfigError(
                        f"{path}.{key}_{given}: travel is in {unit} in this configuration "
                        f"({why}); give {key}_{unit}"
                    )
        relocation = facility.relocation
        if relocation is not None and relocation.unit != unit:
            wrong, right = ("distance_km", "travel_minutes")[:: 1 if unit == "minutes" else -1]
            raise ConfigError(
                f"facility.{facility.name}.relocation.{wrong}: travel is in {unit} in this "
                f"configuration ({why}); give {right}"
            )
    wrong, right = ("distance_km", "travel_minutes")[:: 1 if unit == "minutes" else -1]
    for index, alternative in enumerate(alternatives_raw):
        if wrong in alternative:
            raise ConfigError(
                f"alternative[{index}].{wrong}: travel is in {unit} in this configuration "
                f"({why}); give {right}"
            )
