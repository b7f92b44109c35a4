"""The assumptions table: each key's value and the source its comment gives (docs/report.md)."""

from __future__ import annotations

import json

import pytest

import facility_impact as fi
from facility_impact.config.assumptions import ASSUMPTION, CITED, OVERRIDE, SETTING, parameters
from facility_impact.errors import ConfigError

TEXT = """\
title = "clinic"  # a name

[run]
horizon_days = 60

[facility.clinic]
population = 1000  # census 2015, table 3
# Staff roster, March 2016.
resources = { staff = 10, building = 1 }

[facility.clinic.services.outpatient]
volume_per_month = 300
# ASSUMPTION: half can wait.
deferrable_share = 0.5

willingness_to_travel = { dist = "triangular", low = 0.2, mode = 0.5, high = 0.8 }  # ASSUMED range
needs = { staff = 1.0, building = 0.5 }

# Hazus-MH 5.1 restoration curve.
[recovery.building]
curve = "normal"
mean_days = [90, 180]
sd_days = 20  # see "note # 2"

[[strike]]
day = 0
damage = { building = 1.0 }  # photographs, 2016

[[strike]]
day = 10
damage = { building = 0.5 }
distances = [
  [0, 1],  # not a table header
  [1, 0],
]
closure_days = 5  # second report, p. 4
"""


def _rows(text: str = TEXT, text_format: str = "toml") -> dict[str, tuple[str, str, str]]:
    return {row.key: (row.value, row.source, row.basis) for row in parameters(text, text_format)}


def test_trailing_comment_is_the_source() -> None:
    rows = _rows()
    assert rows["facility.clinic.population"] == ("1000", "census 2015, table 3", CITED)
    # A quoted '#' is part of the text, not a second comment.
    assert rows["recovery.building.sd_days"][1] == 'see "note # 2"'


def test_comment_block_above_covers_each_entry_of_an_inline_table() -> None:
    rows = _rows()
    for key in ("facility.clinic.resources.staff", "facility.clinic.resources.building"):
        assert rows[key][1:] == ("Staff roster, March 2016.", CITED)


def test_assumption_is_said_or_the_comment_is_missing() -> None:
    rows = _rows()
    assert rows["facility.clinic.services.outpatient.deferrable_share"] == (
        "0.5",
        "ASSUMPTION: half can wait.",
        ASSUMPTION,
    )
    # A blank line cuts a comment block off from the key below it.
    assert rows["facility.clinic.services.outpatient.volume_per_month"] == (
        "300",
        "no source given",
        ASSUMPTION,
    )
    assert rows["facility.clinic.services.outpatient.needs.building"][2] == ASSUMPTION
    value, source, basis = rows["facility.clinic.services.outpatient.willingness_to_travel"]
    assert value == "triangular(low 0.2, mode 0.5, high 0.8)"
    assert (source, basis) == ("ASSUMED range", ASSUMPTION)


def test_table_header_comment_covers_its_keys_and_sweeps_are_described() -> None:
    rows = _rows()
    assert rows["recovery.building.mean_days"] == (
        "sweep over [90, 180]",
        "Hazus-MH 5.1 restoration curve.",
        CITED,
    )


def test_arrays_of_tables_are_indexed_and_multi_line_values_skipped() -> None:
    rows = _rows()
    assert rows["strike.0.damage.building"][1] == "photographs, 2016"
    assert rows["strike.1.damage.building"] == ("0.5", "no source given", ASSUMPTION)
    # The lines "[0, 1]," inside the multi-line list are not table headers, and the
    # key after the list still finds its comment.
    assert rows["strike.1.closure_days"] == ("5", "second report, p. 4", CITED)
    assert rows["strike.1.distances"] == ("[[0, 1], [1, 0]]", "no source given", ASSUMPTION)
    assert not [key for key in rows if key.startswith("0")]


def test_names_and_run_settings_are_settings() -> None:
    rows = _rows()
    assert rows["title"] == ('"clinic"', "a name", CITED)
    assert rows["run.horizon_days"] == ("60", "", SETTING)
    assert rows["recovery.building.curve"][2] == CITED  # under the header's comment


def test_command_line_overrides_are_listed_as_such() -> None:
    text = TEXT + "\n# overridden: strike.1.closure_days = [5, 10]\n"
    rows = _rows(text)
    assert rows["strike.1.closure_days"] == (
        "sweep over [5, 10]",
        "set on the command line (overrides the file)",
        OVERRIDE,
    )


def test_every_key_of_a_real_configuration_is_listed(tmp_path) -> None:
    config = fi.load_config("configs/maarat_al_numan_options.toml", settings=[("strike.0.day", 3)])
    rows = _rows(config.text)
    assert rows["strike.0.day"][2] == OVERRIDE
    assert rows["facility.maarat_al_numan.population"][1].startswith(
        "seed: facility.catchment_population"
    )
    assert rows["recovery.building.delay_days"][0] == (
        "lognormal(median 81, dispersion 0.6, truncated to [0, 365]) [random stream repair_delay]"
    )
    assert rows['scenario.reconstruction_supported.set."recovery.building.mean_days"'][0] == (
        "triangular(low 120, mode 180, high 270) [random stream rebuild_days]"
    )


def test_mapping_configuration_has_no_comments() -> None:
    text = json.dumps({"run": {"horizon_days": 30}, "facility": {"a": {"population": 5}}})
    rows = _rows(text, "json")
    assert rows["facility.a.population"] == ("5", "no source given", ASSUMPTION)


def test_unreadable_text_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="configuration text"):
        parameters("this is = = not toml")
