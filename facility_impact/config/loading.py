"""Reading and checking a scenario configuration (TOML or a mapping) into a :class:`Config`.

Everything a user can get wrong is caught here, at the entry point, and raised as
one :class:`~facility_impact.errors.ConfigError` whose message names the key
path, the value and what is allowed. Later layers can trust a ``Config``. The
keys, their units, defaults and ranges are the schema
(:mod:`facility_impact.config.keys`), which ``docs/configuration.md`` shows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from facility_impact.config.curve_tables import read_recovery
from facility_impact.config.facilities import read_facility
from facility_impact.config.keys import BASE_LABEL
from facility_impact.config.network import (
    check_network_covers_travel,
    check_travel,
    check_travel_unit,
    read_alternatives,
    read_network,
    settle_decay_defaults,
    travel_unit,
)
from facility_impact.config.priors import Priors, load_priors
from facility_impact.config.reading import fail, read, require, show_value, table
from facility_impact.config.recorded import prior_recovery
from facility_impact.config.scenarios import read_scenarios
from facility_impact.config.settings import apply_settings
from facility_impact.config.staffing import read_recruitment, read_staff_return
from facility_impact.config.strikes import read_outcomes, read_strikes
from facility_impact.config.sweeps import sweep_dims
from facility_impact.config.toml_text import parse_toml
from facility_impact.config.types import (
    Config,
    union,
)
from facility_impact.errors import read_input_text

__all__ = ["load_config", "parse_config"]


def load_config(
    source: str | Path | Mapping[str, Any],
    *,
    horizon_days: int | None = None,
    seed: int | None = None,
    draws: int | None = None,
    settings: Sequence[tuple[str, Any]] = (),
    priors: Priors | None = None,
) -> Config:
    """Read and check a configuration from a TOML file path or an already-parsed mapping.

    ``horizon_days`` [d], ``seed`` and ``draws`` override ``[run]`` (as the command
    line's ``--horizon``, ``--seed`` and ``--draws`` do); ``settings`` are
    ``(key path, value)`` overrides (``--set``). All are checked like the file.
    ``priors``: the table strikes as recorded take their values from, instead of
    the package's (a fitted table, for validation and calibration; the configuration
    text kept with the results does not name it). Raises :class:`ConfigError` with a
    one-line message for any bad input.
    """
    if isinstance(source, Mapping):
        raw, name, text, text_format = dict(source), "configuration", "", "json"
    else:
        raw, text = _read_toml(Path(source))
        name, text_format = Path(source).stem, "toml"
    overrides = list(settings)
    for key, value in (("horizon_days", horizon_days), ("seed", seed), ("draws", draws)):
        if value is not None:
            overrides.append((f"run.{key}", value))
    if overrides:
        table(raw.get("run", {}), "run")
        raw = apply_settings(raw, overrides, "--set " if settings else "")
        # The stored text must reproduce the run, so it records the overrides too.
        text += "".join(f"\n# overridden: {key} = {show_value(value)}" for key, value in overrides)
    if text_format == "json":
        text = json.dumps(raw, default=str, indent=1)
    return parse_config(raw, name=name, text=text, text_format=text_format, priors=priors)


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed file and its text."""
    text = read_input_text(path, "configuration file")
    return parse_toml(text, str(path)), text


def parse_config(
    raw: Mapping[str, Any],
    *,
    name: str,
    text: str,
    text_format: str,
    priors: Priors | None = None,
) -> Config:
    """Check a parsed TOML mapping and build a :class:`Config`; raise ``ConfigError``.

    Each ``[scenario.<name>]`` is the whole configuration with its ``set``
    overrides applied, checked like the file itself. ``priors``: as for
    :func:`load_config` (default: the package's table).
    """
    table_of_priors = load_priors() if priors is None else priors
    table(raw, "", "")
    table(raw.get("scenario", {}), "scenario")
    draw_priors = draws_priors(raw)

    def parse(variant: Mapping[str, Any]) -> Config:
        return _parse_one(variant, name, text, text_format, draw_priors, table_of_priors)

    base = parse({k: v for k, v in raw.items() if k != "scenario"})
    config = replace(base, scenarios=read_scenarios(raw, parse))
    # Sweep names and zipped sweeps span the scenarios; checked here so that
    # `check` refuses what `run` would.
    sweep_dims(config.variants)
    return config


def draws_priors(raw: Mapping[str, Any]) -> bool:
    """Whether strikes as recorded take the priors' distributions: the run draws more
    than once (``run.draws`` > 1, or left out while some key, in any scenario, is a
    distribution). Otherwise each prior takes its central value."""
    run = raw.get("run", {})
    draws = run.get("draws") if isinstance(run, Mapping) else None
    if isinstance(draws, int | float) and not isinstance(draws, bool):
        return draws > 1
    # Left out: DEFAULT_DRAWS (> 1) draws when some key is a distribution, else none.
    return _has_distribution(raw)


def _has_distribution(node: Any) -> bool:
    if isinstance(node, Mapping):
        return "dist" in node or any(_has_distribution(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_distribution(value) for value in node)
    return False


def _parse_one(
    raw: Mapping[str, Any],
    name: str,
    text: str,
    text_format: str,
    draw_priors: bool,
    priors: Priors,
) -> Config:
    run = table(raw.get("run", {}), "run", "run")
    horizon = read(run, "run.horizon_days", "run")
    start = read(run, "run.start_date", "run")
    seed = read(run, "run.seed", "run")
    draws = read(run, "run.draws", "run")
    precision = read(run, "run.precision", "run")
    title = read(raw, "title", "", fallback=name)
    facilities_raw = table(require(raw, "facility", "(top level)"), "facility")
    if not facilities_raw:
        raise fail("facility", {}, "must hold at least one [facility.<name>] table")
    facilities = {
        facility: read_facility(facility, facility_raw, horizon, list(facilities_raw))
        for facility, facility_raw in facilities_raw.items()
    }
    strikes = read_strikes(raw.get("strike", []), facilities, start, horizon, draw_priors, priors)
    services = union(f.services for f in facilities.values())
    recovery = read_recovery(
        raw.get("recovery", {}),
        "recovery.<resource>",
        "recovery",
        union(f.resources for f in facilities.values()),
        "resource",
    )
    facilities, recovery_priors = prior_recovery(facilities, strikes, recovery, draw_priors, priors)
    alternatives = read_alternatives(raw.get("alternative", []), facilities, services, horizon)
    network = read_network(raw["network"], facilities) if "network" in raw else None
    facilities = settle_decay_defaults(facilities, network)
    check_travel_unit(network, facilities, raw.get("alternative", []))
    check_travel(facilities_raw, facilities, alternatives, travel_unit(network))
    check_network_covers_travel(network, facilities)
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
        base_label=_base_label(run),
        precision=precision,
        outcomes=read_outcomes(raw.get("outcome", {}), services),
        network=network,
        staff_return=read_staff_return(raw.get("staff_return", {})),
        recruitment=read_recruitment(raw.get("recruitment", {})),
        recovery_priors=recovery_priors,
    )


def _base_label(run: Mapping[str, Any]) -> str:
    """``run.base_label``; an empty label is the default one."""
    label = read(run, "run.base_label", "run")
    return label or BASE_LABEL
