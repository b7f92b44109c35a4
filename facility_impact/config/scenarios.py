"""``[scenario.<name>]``: named variants, each the whole configuration with its overrides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from facility_impact.config.reading import fail, read, require, table
from facility_impact.config.settings import apply_settings, key_path_parts
from facility_impact.config.types import BASE_SCENARIO, Config, Scenario
from facility_impact.errors import ConfigError

SCENARIO = "scenario.<name>"

Parse = Callable[[Mapping[str, Any]], Config]
"""Checks one whole configuration mapping (the file, or a scenario's variant of it)."""


def read_scenarios(whole: Mapping[str, Any], parse: Parse) -> tuple[Scenario, ...]:
    """Every scenario of ``whole`` (the raw file), each variant checked by ``parse``."""
    scenarios_raw = table(whole.get("scenario", {}), "scenario")
    return tuple(_read_scenario(name, scenarios_raw, whole, parse) for name in scenarios_raw)


def _settings(
    name: str, scenarios_raw: Mapping[str, Any], chain: tuple[str, ...] = ()
) -> tuple[tuple[str, Any], ...]:
    """A scenario's overrides, after those of the scenario it is ``based_on``."""
    path = f"scenario.{name}"
    scenario = table(scenarios_raw[name], path, SCENARIO)
    settings = tuple(table(require(scenario, f"{SCENARIO}.set", path), f"{path}.set").items())
    if "based_on" not in scenario:
        return settings
    parent = read(
        scenario, f"{SCENARIO}.based_on", path, known=list(scenarios_raw), what="scenario"
    )
    if parent in (*chain, name):
        raise fail(f"{path}.based_on", parent, "scenarios cannot be based on each other in a loop")
    return _settings(parent, scenarios_raw, (*chain, name)) + settings


def _read_scenario(
    name: str, scenarios_raw: Mapping[str, Any], whole: Mapping[str, Any], parse: Parse
) -> Scenario:
    path = f"scenario.{name}"
    if name == BASE_SCENARIO:
        raise ConfigError(f"{path}: the name {BASE_SCENARIO!r} is the configuration as written")
    if not name.isidentifier():
        raise ConfigError(f"{path}: a scenario name must be letters, digits and _")
    scenario = table(scenarios_raw[name], path)
    settings = _settings(name, scenarios_raw)
    for key, _ in settings:
        if key_path_parts(key, f"{path}.set")[0] in ("run", "scenario"):
            raise ConfigError(
                f'{path}.set."{key}": a scenario cannot change run settings or other scenarios'
            )
    variant = apply_settings(
        {k: v for k, v in whole.items() if k != "scenario"}, settings, f"{path}.set."
    )
    try:
        config = parse(variant)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    return Scenario(
        name=name,
        label=read(scenario, f"{SCENARIO}.label", path, fallback=name),
        description=read(scenario, f"{SCENARIO}.description", path),
        settings=settings,
        config=config,
    )
