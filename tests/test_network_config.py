"""Configuration of a network: the distance matrix, life spans, per-facility recovery.

Each bad case goes through ``load_config`` (a ConfigError naming the key path, the
value and what is allowed) and through the command line (exit 2, one line, nothing
written). The cases edit a small valid two-facility network written as TOML.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import facility_impact
from facility_impact.cli import main
from facility_impact.present.describe import describe_config

VALID = """\
[run]
horizon_days = 60

[network]
facilities = ["north", "south", "east"]
distance_km = [
  [0, 12, 30],
  [12, 0, inf],
  [30, inf, 0],
]

[facility.north]
population = 10000
resources = { staff = 10, building = 1 }
[facility.north.services.outpatient]
volume_per_month = 600
needs = { staff = 1.0 }
willingness_to_travel = 0.5
distance_decay_km = 5.0

[facility.south]
population = 8000
resources = { staff = 8, building = 1 }
opens_day = 10
closes_day = 40
[facility.south.services.outpatient]
volume_per_month = 400
needs = { staff = 1.0, building = 0.5 }
willingness_to_travel = 0.5
distance_decay_km = 5.0
[facility.south.recovery.building]
curve = "linear"
time_days = 20

[facility.east]
population = 5000
resources = { staff = 4 }
[facility.east.services.outpatient]
volume_per_month = 300
needs = { staff = 1.0 }
willingness_to_travel = 0.5
distance_decay_km = 5.0

[[strike]]
facility = "north"
day = 3
damage = { building = 1.0 }
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _edited(*edits: tuple[str, str]) -> str:
    text = VALID
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_the_valid_network_loads_and_is_described(tmp_path):
    config = facility_impact.load_config(_write(tmp_path, VALID))
    assert config.network is not None
    assert config.network.facilities == ("north", "south", "east")
    assert config.network.distance("north", "east") == 30
    assert config.network.distance("south", "east") == math.inf
    assert config.facilities["south"].opens_day == 10
    assert config.facilities["south"].closes_day == 40
    assert config.facilities["north"].closes_day is None
    assert config.recovery_for("building", "south").curve.time_days == 20
    assert config.recovery_for("building", "north").curve.family == "none"
    text = describe_config(config)
    assert "north: south 12, east 30" in text
    assert "opens day 10; closed for good from day 40" in text
    assert "recovery of building here: linear over 20 d" in text


BAD = [
    pytest.param(
        _edited(("  [12, 0, inf],", "  [13, 0, inf],")),
        "network.distance_km[0][1] = 12: must equal network.distance_km[1][0] (13), "
        "north to south and back, because network.symmetric = true",
        id="asymmetric",
    ),
    pytest.param(
        _edited(("  [30, inf, 0],", "  [30, inf, 2],")),
        "network.distance_km[2][2] = 2: must be 0, the distance from east to itself",
        id="non_zero_diagonal",
    ),
    pytest.param(
        _edited(("  [30, inf, 0],\n", "")),
        "network.distance_km: 2 rows; must be a list of 3 rows, one per facility in "
        "network.facilities",
        id="missing_row",
    ),
    pytest.param(
        _edited(("  [12, 0, inf],", "  [12, 0],")),
        "network.distance_km[1] = [12, 0]: must hold 3 distances [km], one per facility in order",
        id="short_row",
    ),
    pytest.param(
        _edited(
            ('facilities = ["north", "south", "east"]', 'facilities = ["north", "west", "east"]')
        ),
        'network.facilities[1] = "west": unknown facility; known: north, south, east',
        id="unknown_facility",
    ),
    pytest.param(
        _edited(
            ('facilities = ["north", "south", "east"]', 'facilities = ["north", "north", "east"]')
        ),
        'network.facilities[1] = "north": is listed twice; list each once',
        id="listed_twice",
    ),
    pytest.param(
        _edited(("  [0, 12, 30],", "  [0, 12, -30],"), ("  [30, inf, 0],", "  [-30, inf, 0],")),
        "network.distance_km[0][2] = -30: must be >= 0 (not negative)",
        id="negative_distance",
    ),
    pytest.param(
        _edited(
            ('facilities = ["north", "south", "east"]', 'facilities = ["north", "south"]'),
            ("  [0, 12, 30],", "  [0, 12],"),
            ("  [12, 0, inf],", "  [12, 0],"),
            ("  [30, inf, 0],\n", ""),
        ),
        'network.facilities = ["north", "south"]: must list east: patients of north may '
        "travel to east for outpatient (willingness_to_travel > 0)",
        id="facility_not_listed",
    ),
    pytest.param(
        _edited(("[network]\n", '[network]\nsymmetric = "yes"\n')),
        'network.symmetric = "yes": must be true or false',
        id="symmetric_not_boolean",
    ),
    pytest.param(
        _edited(("closes_day = 40", "closes_day = 10")),
        "facility.south.closes_day = 10: must be > opens_day (10)",
        id="closes_before_it_opens",
    ),
    pytest.param(
        _edited(("opens_day = 10", "opens_day = -1")),
        "facility.south.opens_day = -1: must be >= 0 (not negative)",
        id="negative_opens_day",
    ),
    pytest.param(
        _edited(("[facility.south.recovery.building]", "[facility.south.recovery.theatres]")),
        'facility.south.recovery.theatres: unknown resource of south "theatres"; '
        "known: staff, building",
        id="recovery_of_unknown_resource",
    ),
    pytest.param(
        _edited(("[network]\n", "[network_removed]\n")),
        "network_removed: unknown key",
        id="misspelt_table",
    ),
    pytest.param(
        _edited(
            (
                "willingness_to_travel = 0.5\ndistance_decay_km = 5.0\n\n[facility.south]",
                "distance_decay_km = 5.0\n\n[facility.south]",
            ),
        ),
        "facility.north.services.outpatient.willingness_to_travel: missing; required because "
        'facility "south" also offers outpatient',
        id="travel_keys_for_a_modelled_destination",
    ),
]


def _without_network(text: str) -> str:
    start = text.index("[network]")
    return text[:start] + text[text.index("[facility.north]") :]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_network_is_one_line_naming_key_value_and_what_is_allowed(
    text, message, tmp_path, capsys
):
    path = _write(tmp_path, text)
    with pytest.raises(facility_impact.ConfigError) as error:
        facility_impact.load_config(path)
    assert str(error.value).startswith(message)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"facility-impact: error: {error.value}\n"
    assert not out.exists()


def test_several_facilities_that_share_patients_need_a_network(tmp_path):
    with pytest.raises(facility_impact.ConfigError) as error:
        facility_impact.load_config(_write(tmp_path, _without_network(VALID)))
    assert str(error.value) == (
        "network: missing; required because patients of north may travel to south for "
        "outpatient (willingness_to_travel > 0); give [network] with facilities and distance_km"
    )


def test_no_network_is_needed_when_nobody_travels(tmp_path):
    text = _without_network(VALID).replace(
        "willingness_to_travel = 0.5", "willingness_to_travel = 0.0"
    )
    config = facility_impact.load_config(_write(tmp_path, text))
    assert config.network is None


def test_a_one_way_matrix_is_accepted_when_declared(tmp_path):
    text = _edited(
        ("  [12, 0, inf],", "  [15, 0, inf],"), ("[network]\n", "[network]\nsymmetric = false\n")
    )
    config = facility_impact.load_config(_write(tmp_path, text))
    assert config.network.distance("north", "south") == 12
    assert config.network.distance("south", "north") == 15
    assert "network distances [km] (from row to column)" in describe_config(config)


def test_a_day_beyond_a_shorter_horizon_means_not_within_the_run(tmp_path):
    config = facility_impact.load_config(_write(tmp_path, VALID), horizon_days=8)
    assert config.facilities["south"].opens_day == 10
    assert "does not open within the run" in describe_config(config)
