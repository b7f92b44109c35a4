"""The tables of the priors of attacks as recorded that ``docs/configuration.md`` shows,
written from ``data/attack_priors.toml`` (:mod:`facility_impact.config.docs` fills the
regions ``<!-- BEGIN GENERATED priors <name> -->``). Each cell gives the
distribution a run with draws takes; a single run takes its central value (the
mode of a triangular, the median of a lognormal, the mean of a normal). The
sources of every entry are in the data file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from facility_impact.config.default_values import ATTACK_TYPES, FACILITY_DAMAGE
from facility_impact.config.priors import SERVICE_CLASSES, Entry, Priors, load_priors


def _cell(entry: Entry) -> str:
    text = entry.describe()
    return f"{text} (calibrated)" if entry.calibrated else text


def _rows(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = [header, ("---",) * len(header), *rows]
    return "".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n" for row in lines)


def damage_states(priors: Priors) -> str:
    """One row per damage state: damage, closure and restoration."""
    rows = []
    for level in FACILITY_DAMAGE:
        state, restoration = priors.states[level], priors.restoration[level]
        times = ", ".join(f"{k} {_cell(e)}" for k, e in restoration.times.items())
        rows.append(
            (
                f"`{level}`",
                priors.descriptions[level],
                _cell(state["building"]),
                _cell(state["equipment"]),
                _cell(state["closure_days"]),
                f"{restoration.family}: {times}",
            )
        )
    header = (
        "`facility_damage`",
        "record",
        "building",
        "equipment",
        "closure [d]",
        "restoration [d]",
    )
    return _rows(header, rows)


def attack_types(priors: Priors) -> str:
    """One row per SSA attack type: what it is, the response factor, its own entries."""
    rows = []
    for name in ATTACK_TYPES:
        kind = priors.types[name]
        own = "; ".join(
            f"{level}: " + ", ".join(f"{key} {_cell(entry)}" for key, entry in entries.items())
            for level, entries in kind.levels.items()
        )
        rows.append((f"`{name}`", kind.description, kind.response_scale.describe(), own or "—"))
    return _rows(("`attack_type`", "what it is", "response ×", "its own entries"), rows)


def response(priors: Priors) -> str:
    """The response: the share of each service class, the nearby share, radius and fade."""
    rows = []
    for kind in SERVICE_CLASSES:
        named = ", ".join(f"`{s}`" for s in priors.service_classes[kind])
        if kind == priors.default_class:
            named += ", and any service named in no class"
        rows.append((f"share, {kind} care ({named})", _cell(priors.shares[kind])))
    rows.append(("nearby share (of the attacked facility's)", _cell(priors.nearby_share)))
    rows.append(("radius [km]", _cell(priors.radius_km)))
    fade = ", ".join(f"{k} {_cell(e)}" for k, e in priors.fade.times.items())
    rows.append(("fade", f"{priors.fade.family}: {fade}"))
    return _rows(("entry", "prior"), rows)


TABLES: dict[str, Callable[[Priors], str]] = {
    "damage_states": damage_states,
    "attack_types": attack_types,
    "response": response,
}
"""The tables by region name."""


def prior_table(name: str) -> str:
    """The Markdown table of region ``name``; ``KeyError`` for an unknown one."""
    return TABLES[name](load_priors())
