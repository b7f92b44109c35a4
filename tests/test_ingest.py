"""facility-impact import: facility tables and attack records in, a commented configuration out."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from facility_impact.cli import main
from facility_impact.config import load_config
from facility_impact.config.places import EARTH_RADIUS_KM, haversine_km
from facility_impact.errors import ConfigError
from facility_impact.ingest import import_text
from facility_impact.ingest.facilities import facility_name
from facility_impact.ingest.travel import WINDING_FACTOR
from facility_impact.run.workflow import simulate

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
FACILITIES = SEEDS / "idlib_region_facilities.csv"
ATTACKS = SEEDS / "idlib_region_attacks.csv"
HEADER = (
    "id,name,type,latitude,longitude,population,beds,staff,theatres,"
    "outpatient_per_month,emergency_per_month,inpatient_per_month,surgery_per_month,"
    "demand_ratio,functionality"
)
ATTACK_HEADER = "date,facility_id,latitude,longitude,attack_type,facility_damage,staff_killed"


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _imported(text: str) -> dict:
    return tomllib.loads(text)


# ----------------------------------------------------------------------------- distances


def test_haversine_against_hand_computation() -> None:
    # One degree of longitude on the equator is 2 pi R / 360; a quarter turn is pi R / 2.
    one_degree = 2 * math.pi * 6371.0088 / 360
    assert haversine_km(0, 0, 0, 1) == pytest.approx(one_degree, rel=1e-12)
    assert haversine_km(0, 0, 1, 0) == pytest.approx(111.19508, abs=1e-4)
    assert haversine_km(0, 0, 0, 90) == pytest.approx(math.pi * EARTH_RADIUS_KM / 2, rel=1e-12)
    # At 60 degrees north, a degree of longitude along the parallel is half as long;
    # the great circle is a little shorter than the parallel: 2 R asin(cos 60 sin 0.5 deg).
    hand = 2 * EARTH_RADIUS_KM * math.asin(0.5 * math.sin(math.radians(0.5)))
    assert haversine_km(60, 10, 60, 11) == pytest.approx(hand, rel=1e-12)
    assert hand < one_degree / 2


def test_coordinates_give_winding_road_distances(tmp_path: Path) -> None:
    table = _write(
        tmp_path / "f.csv",
        HEADER,
        "A,,hospital,0,0,,,,,,,,,,",
        "B,,hospital,0,1,,,,,,,,,,",
    )
    config = _imported(import_text(table))
    # 111.19508 km x 1.4 = 155.67 -> 155.7 km by road.
    assert WINDING_FACTOR == 1.4
    assert config["network"]["distance_km"] == [[0, 155.7], [155.7, 0]]
    assert config["facility"]["A"]["services"]["emergency"]["distance_decay_km"] == 45.7


def test_travel_time_matrix_gives_minutes_and_minute_decay(tmp_path: Path) -> None:
    table = _write(
        tmp_path / "f.csv", HEADER, "A,,hospital,0,0,,,,,,,,,,", "B,,hospital,0,1,,,,,,,,,,"
    )
    minutes = _write(tmp_path / "m.csv", "id,B,A", "B,0,95", "A,90,0")
    text = import_text(table, travel_minutes=minutes)
    config = _imported(text)
    assert config["network"]["travel_minutes"] == [[0, 90], [95, 0]]
    assert config["network"]["symmetric"] is False
    emergency = config["facility"]["A"]["services"]["emergency"]
    assert emergency["distance_decay_minutes"] == 91
    assert "distance_decay_km" not in emergency
    loaded = load_config(config)
    assert loaded.network.unit == "minutes"
    assert loaded.network.distance("A", "B") == 90
    assert loaded.facilities["A"].services["emergency"].distance_decay_km == 91


def test_travel_units_cannot_be_mixed(tmp_path: Path) -> None:
    table = _write(
        tmp_path / "f.csv", HEADER, "A,,hospital,0,0,,,,,,,,,,", "B,,hospital,0,1,,,,,,,,,,"
    )
    config = _imported(import_text(table))
    config["network"]["travel_minutes"] = config["network"].pop("distance_km")
    with pytest.raises(ConfigError, match=r"^facility\.A\.services\.outpatient\.distance_decay_km"):
        load_config(config)


# ----------------------------------------------------------------------------- defaults


def test_missing_cells_take_the_type_defaults(tmp_path: Path) -> None:
    table = _write(
        tmp_path / "f.csv",
        HEADER,
        "H1,Some hospital,hospital,35,36,,31,,,,,,,,",
        "P1,,primary_health_centre,35.1,36,,,,,,,,,,",
        "M1,,mobile_clinic,35.2,36,,,,,,,,,,partially",
    )
    text = import_text(table)
    config = _imported(text)
    hospital = config["facility"]["H1"]
    assert hospital["population"] == 40000
    assert hospital["resources"] == {"beds": 31, "staff": 54, "theatres": 2, "building": 1}
    assert hospital["services"]["inpatient"]["volume_per_month"] == 183
    assert hospital["services"]["inpatient"]["demand_ratio"] == 1
    centre = config["facility"]["P1"]
    # No beds and no theatre: those resources and the services needing them are left out.
    assert centre["resources"] == {"staff": 15, "building": 1}
    assert sorted(centre["services"]) == ["emergency", "outpatient"]
    assert centre["services"]["emergency"]["needs"] == {"staff": 1, "building": 0.5}
    assert centre["label"] == "P1"
    # Partially functioning: half of the type's default volume (600).
    assert config["facility"]["M1"]["services"]["outpatient"]["volume_per_month"] == 300
    lines = text.splitlines()
    assert "beds = 31  # facilities row 1, column beds" in lines
    assert any(line.startswith("staff = 54  # DEFAULT for hospital: ASSUMPTION") for line in lines)


def test_every_value_says_where_it_came_from() -> None:
    text = import_text(FACILITIES, attacks=ATTACKS)
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[", "title", 'label = "2016', "  ")):
            value_line = line.split("#")[0]
            if value_line.strip().startswith(("facilities =", "distance_km")):
                continue
            assert "  # " in line, line
            note = line.split("  # ", 1)[1]
            assert note.startswith(("facilities row", "attacks row", "DEFAULT", "--start")), line


def test_facility_names_are_valid_ids() -> None:
    assert facility_name("SYR-IDL 001") == "SYR_IDL_001"
    assert facility_name("1023") == "f_1023"
    assert facility_name("--") == "f_"
    assert facility_name("ok_name") == "ok_name"


def test_csv_and_geojson_give_the_same_configuration() -> None:
    from_csv = import_text(FACILITIES, attacks=ATTACKS)
    from_geojson = import_text(SEEDS / "idlib_region_facilities.geojson", attacks=ATTACKS)
    assert _imported(from_csv) == _imported(from_geojson)

    def without_sources(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("# Imported from:")]

    assert without_sources(from_csv) == without_sources(from_geojson)
    assert from_csv != from_geojson  # only the line naming the files differs


# ----------------------------------------------------------------------------- attacks


def test_attacks_become_strikes_matched_by_id_or_coordinates() -> None:
    config = _imported(import_text(FACILITIES, attacks=ATTACKS))
    assert config["run"]["start_date"].isoformat() == "2016-02-15"
    first, second = config["strike"]
    assert first["facility"] == "MSF_MAA_01"
    # The attack as recorded: damage and closure are left to the priors.
    assert (first["attack_type"], first["facility_damage"]) == (
        "violence_with_heavy_weapons",
        "destroyed",
    )
    assert "damage" not in first and "closure_days" not in first
    # 8 staff killed of 54: a staff fate, not a damage fraction.
    assert first["staff_killed"] == 8
    assert "staff_injured" not in first
    assert first["casualties"] == 0
    # Matched by coordinates, 50 m from the Azaz hospital; no theatre there.
    assert second["facility"] == "AZZ_MCH_01"
    assert second["facility_damage"] == "damaged"
    assert second["casualties"] == 30
    # Loaded, the priors give a single run their central values.
    loaded = load_config(config)
    assert loaded.strikes[0].damage == {"beds": 1.0, "theatres": 1.0, "building": 1.0}
    assert loaded.strikes[0].closure_days == 30
    assert loaded.strikes[1].damage == {"beds": 0.3, "building": 0.3}
    assert loaded.strikes[1].closure_days == 14
    assert "recovery" not in config  # the restoration comes from the priors too


def test_staff_counts_become_fates_cut_to_the_staff_of_the_facility(tmp_path: Path) -> None:
    table = _write(tmp_path / "f.csv", HEADER, "A,,hospital,0,0,,,5,,,,,,,")
    attacks = _write(
        tmp_path / "a.csv",
        "date,facility_id,attack_type,staff_killed,staff_injured,staff_abducted",
        "2020-01-01,A,violence_with_heavy_weapons,2,4,4",
    )
    text = import_text(table, attacks=attacks, start=None)
    (strike,) = _imported(text)["strike"]
    # 5 staff: the 2 killed, then 3 of the 4 abducted fill them; no room for the injured.
    assert (strike["staff_killed"], strike["staff_abducted"]) == (2, 3)
    assert "staff_injured" not in strike
    assert "staff" not in load_config(_imported(text)).strikes[0].damage
    assert (
        "staff_abducted = 3  # attacks row 1, column staff_abducted (4), cut to the 5 staff" in text
    )
    loaded = load_config(_imported(text))
    assert loaded.strikes[0].staff_lost == {"killed": 2, "injured": 0, "abducted": 3, "fled": 0}


def test_several_attacks_on_one_facility_are_repeated_strikes(tmp_path: Path) -> None:
    table = _write(tmp_path / "f.csv", HEADER, "A,,hospital,0,0,,,,,,,,,,")
    attacks = _write(
        tmp_path / "a.csv",
        ATTACK_HEADER,
        "2020-01-01,A,,,armed_search,,",
        "2020-03-01,A,,,setting_fire,damaged,",
    )
    config = _imported(import_text(table, attacks=attacks, start=None))
    assert [s["facility"] for s in config["strike"]] == ["A", "A"]
    assert [s["facility_damage"] for s in config["strike"]] == ["none", "damaged"]
    loaded = load_config(config)
    assert [s.day for s in loaded.strikes] == [0, 60]
    # The priors' central closures: the day of an armed search; two weeks when damaged.
    assert [s.closure_days for s in loaded.strikes] == [1, 14]


def test_attack_types_and_damage_may_be_spelled_as_the_records_spell_them(
    tmp_path: Path,
) -> None:
    table = _write(tmp_path / "f.csv", HEADER, "A,,hospital,0,0,,,,,,,,,,")
    attacks = _write(
        tmp_path / "a.csv",
        ATTACK_HEADER,
        "2020-01-01,A,,,Violence with heavy weapons,Partially damaged,",
        "2020-01-02,A,,,Removal of health care personnel or patients,,",
        "2020-01-03,A,,,Psychological violence/threat/intimidation,Destroyed,",
    )
    config = _imported(import_text(table, attacks=attacks, start=None))
    assert [(s["attack_type"], s["facility_damage"]) for s in config["strike"]] == [
        ("violence_with_heavy_weapons", "damaged"),
        ("abduction_arrest_detention", "none"),
        ("psychological_violence", "destroyed"),
    ]


# ----------------------------------------------------------------------------- diversion


def test_a_nearer_facility_receives_more_than_a_farther_one_of_the_same_size(
    tmp_path: Path,
) -> None:
    # S is struck; N lies 0.1 degree away, F 0.3 degree, both the same size with spare capacity.
    table = _write(
        tmp_path / "f.csv",
        HEADER,
        "S,,hospital,0,0,,,,,,,,,,",
        "N,,hospital,0,0.1,,,,,,,,,0.5,",
        "F,,hospital,0,-0.3,,,,,,,,,0.5,",
    )
    attacks = _write(
        tmp_path / "a.csv", ATTACK_HEADER, "2020-01-01,S,,,violence_with_heavy_weapons,destroyed,"
    )
    out = tmp_path / "net.toml"
    assert main(["import", str(table), "--attacks", str(attacks), "--out", str(out)]) == 0
    results = simulate(load_config(out, horizon_days=60))
    received = results["received"].sum(("time", "service"))
    assert float(received.sel(facility="N")) > float(received.sel(facility="F")) > 0
    assert results["latitude"].attrs["standard_name"] == "latitude"
    assert results["longitude"].attrs["units"] == "degrees_east"
    assert list(results["longitude"].values) == [0, 0.1, -0.3]


# ----------------------------------------------------------------------------- bad rows

BAD_ROWS = {
    "unknown facility_id": (
        None,
        "2016-02-15,NOPE,,,assault,,",
        'attacks.csv: row 1, column facility_id = "NOPE": unknown',
    ),
    "coordinate out of range": (
        "A2,,hospital,95,0,,,,,,,,,,",
        None,
        'facilities.csv: row 2, column latitude = "95": out of range',
    ),
    "duplicate id": (
        "A,,hospital,1,1,,,,,,,,,,",
        None,
        'facilities.csv: row 2, column id = "A": duplicate id',
    ),
    "unparseable number": (
        "A2,,hospital,1,1,,thirty,,,,,,,,",
        None,
        'facilities.csv: row 2, column beds = "thirty": not a number',
    ),
    "unparseable date": (
        None,
        "15/02/2016,A,,,assault,,",
        'attacks.csv: row 1, column date = "15/02/2016": not a date',
    ),
    "unknown attack type": (
        None,
        "2016-02-15,A,,,carpet_bombing,,",
        'attacks.csv: row 1, column attack_type = "carpet_bombing": unknown; allowed: violence',
    ),
    "attack far from every facility": (
        None,
        "2016-02-15,,0.05,0,assault,,",
        'attacks.csv: row 1, column latitude = "0.05": no facility within 1 km',
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_exits_2_with_one_line_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facility_row, attack_row, expected = BAD_ROWS[case]
    rows = ["A,,hospital,0,0,,,,,,,,,,"] + ([facility_row] if facility_row else [])
    facilities = _write(tmp_path / "facilities.csv", HEADER, *rows)
    attacks = _write(tmp_path / "attacks.csv", ATTACK_HEADER, *([attack_row] if attack_row else []))
    out = tmp_path / "out" / "config.toml"
    status = main(["import", str(facilities), "--attacks", str(attacks), "--out", str(out)])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1
    assert error.startswith("facility-impact: error: ")
    assert expected in error
    assert str(tmp_path) in error
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_bad_start_date_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.toml"
    assert main(["import", str(FACILITIES), "--start", "Feb 2016", "--out", str(out)]) == 2
    assert "--start = 'Feb 2016': not a date" in capsys.readouterr().err
    assert not out.exists()


def test_an_attack_before_start_names_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.toml"
    args = ["import", str(FACILITIES), "--attacks", str(ATTACKS), "--start", "2016-03-01"]
    assert main([*args, "--out", str(out)]) == 2
    assert 'row 1, column date = "2016-02-15": before --start 2016-03-01' in capsys.readouterr().err
    assert not out.exists()


# ----------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_import_run_plot_report_on_the_example_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "idlib_region_imported.toml"
    assert main(["import", str(FACILITIES), "--attacks", str(ATTACKS), "--out", str(config)]) == 0
    assert main(["run", str(config), "--out", str(tmp_path / "results")]) == 0
    results = tmp_path / "results" / "idlib_region_imported.nc"
    assert main(["plot", str(results), "--out", str(tmp_path / "figures")]) == 0
    assert (tmp_path / "figures" / "idlib_region_imported-map.png").stat().st_size > 10_000
    assert (tmp_path / "figures" / "idlib_region_imported-map.svg").exists()
    assert main(["report", str(results), "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "idlib_region_imported-report.html").read_text("utf-8")
    assert "Map of the network" in page
    assert "idlib_region_imported-map.png" in capsys.readouterr().out
