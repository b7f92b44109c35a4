"""``facility-impact check``'s description of a configuration: staff taken by strikes and
how they come back, relocated sites, displacement both ways, reach, and what each
scenario changes."""

from __future__ import annotations

from pathlib import Path

from helpers import facility, minimal_config, network_config, service, strike

from facility_impact.cli import main
from facility_impact.config import load_config
from facility_impact.present.describe import describe_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
REFERENCE = CONFIGS / "maarat_al_numan.toml"
OPTIONS = CONFIGS / "maarat_al_numan_options.toml"

HEADING = "staff lost to strikes come back (calendar days from the strike day):"
FIELD_HOSPITAL = (
    "relocation: a site from day 14, 2 km from the catchment; its own: beds 20, "
    "theatres 1, building 1; staff move with the facility (what it has left of them)"
)


def _lines(config: dict) -> list[str]:
    return describe_config(load_config(config)).splitlines()


def test_the_reference_strike_takes_its_missing_staff_and_they_come_back_as_configured():
    lines = describe_config(load_config(REFERENCE)).splitlines()
    strike_line = next(line for line in lines if line.startswith("strike 0 "))
    assert strike_line.endswith("casualties 0, staff lost: abducted or missing 8")
    start = lines.index(HEADING)
    assert lines[start + 1 : start + 6] == [
        "  killed: return share 0%, never (default)",
        "  injured: return share 90%, normal (mean 30 d, sd 10 d) (default)",
        "  abducted or missing: return share 10%, exponential over 90 d",
        "  fled: return share 50%, exponential over 120 d (default)",
        "  recruitment: refills 90% of the posts left empty, exponential over 60 d",
    ]


def test_check_shows_what_the_field_hospital_and_second_strike_scenarios_give(capsys):
    assert main(["check", str(OPTIONS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("scenario field_hospital_day_14 (field hospital after 14 days):")
    given = lines.index("  which gives:", start)
    assert lines[given + 1].startswith("    facility maarat_al_numan (Ma'arat al-Numan hospital):")
    assert lines[given + 2] == f"      {FIELD_HOSPITAL}"
    assert not any(FIELD_HOSPITAL in line for line in lines[:start])  # not in the base case
    second = lines.index("scenario second_strike_day_45 (second strike on day 45):")
    assert lines[second + 3].startswith("    strike 1 (repeated strike (assumed)): ")
    assert lines[second + 3].endswith("staff lost: injured 2, fled 1")
    # Distributions of the staff return and recruitment read as such, never as defaults.
    assert (
        "  abducted or missing: return share uniform(low 0, high 0.3), exponential over 90 d"
        in lines
    )
    assert (
        "  recruitment: refills uniform(low 0.7, high 1) of the posts left empty, "
        "exponential over pert(low 30, mode 60, high 180) d" in lines
    )


def test_no_staff_taken_and_default_returns_take_one_line():
    lines = _lines(minimal_config(strikes=[strike(0, {"building": 0.5})]))
    assert "staff return and recruitment: the defaults (no strike takes staff)" in lines
    assert HEADING not in lines
    assert lines[-1] == "staff return and recruitment: the defaults (no strike takes staff)"


def test_a_configured_return_is_shown_even_when_no_strike_takes_staff():
    config = minimal_config()
    config["staff_return"] = {"fled": {"return_share": 0.2}}
    config["strike"] = [strike(3, staff_killed=0)]
    lines = _lines(config)
    assert lines[lines.index(HEADING) + 4] == "  fled: return share 20%, exponential over 120 d"
    assert any(line.endswith("staff lost: none") for line in lines)


def test_a_staff_count_that_varies_is_shown_even_when_its_median_is_zero():
    config = minimal_config(strikes=[strike(0, staff_fled=[0, 2])])
    (strike_line,) = (line for line in _lines(config) if line.startswith("strike 0"))
    assert strike_line.endswith("staff lost: fled sweep [0, 2]")


def _relocating(**relocation) -> dict:
    config = minimal_config(resources={"staff": 10.0, "beds": 20.0, "building": 1.0})
    config["facility"]["clinic"]["relocation"] = relocation
    return config


def test_a_relocation_says_when_where_what_it_has_and_what_moves():
    lines = _lines(_relocating(opens_day=7, distance_km=3.5, resources={"beds": 5, "building": 1}))
    assert (
        "  relocation: a site from day 7, 3.5 km from the catchment; its own: beds 5, building 1; "
        "staff move with the facility (what it has left of them)"
    ) in lines
    (everything,) = (
        line
        for line in _lines(_relocating(opens_day=90, distance_km=0, resources={"staff": 4}))
        if "relocation" in line
    )
    assert everything == (
        "  relocation: a site does not open within the run, 0 km from the catchment; "
        "its own: staff 4; beds, building move with the facility (what it has left of them)"
    )
    (carried,) = (
        line for line in _lines(_relocating(opens_day=0, distance_km=1)) if "site" in line
    )
    assert "its own: nothing; staff, beds, building move with the facility" in carried


def _region(displacement: dict) -> dict:
    facilities = {
        name: facility({"outpatient": service(willingness_to_travel=0.5)})
        for name in ("north", "south")
    }
    facilities["north"]["displacement"] = displacement
    return network_config(facilities, [[0, 10], [10, 0]])


LEAVING = {"share": 0.4, "curve": "linear", "time_days": 10, "start_day": 5}


def test_displacement_shows_the_return_and_where_the_displaced_settle():
    back = {"curve": "exponential", "time_days": 60, "start_day": 40}
    lines = _lines(
        _region({**LEAVING, "return_share": 0.5, "return": back, "destinations": {"south": 0.6}})
    )
    start = lines.index("  displacement: 40% of the population from day 5, linear over 10 d")
    assert lines[start + 1 : start + 3] == [
        "  return of the displaced: 50% of them from day 40, exponential over 60 d",
        "  the displaced settle in: south 60%; the rest leave the modelled area "
        "(their care is counted as displaced)",
    ]
    lines = _lines(_region({**LEAVING, "return_share": 0.5, "return": back | {"curve": "step"}}))
    assert "  return of the displaced: 50% of them from day 40, step over 60 d" in lines
    assert "  the displaced leave the modelled area (their care is counted as displaced)" in lines
    delayed = {"curve": "linear", "time_days": 30, "delay_days": 10}
    lines = _lines(_region({**LEAVING, "return_share": 0.3, "return": delayed}))
    assert (
        "  return of the displaced: 30% of them from the day the displacement starts, "
        "linear over 30 d after 10 d delay"
    ) in lines
    assert "  return of the displaced: none" in _lines(_region(dict(LEAVING)))


def test_a_service_with_a_reach_says_so_and_one_without_does_not():
    lines = _lines(minimal_config(services={"outpatient": service(reach_km=12)}))
    (line,) = (line for line in lines if line.startswith("  service outpatient"))
    assert line.endswith("; deferrable 0%; reach 12 km")
    (line,) = (line for line in _lines(minimal_config()) if line.startswith("  service"))
    assert "reach" not in line


def test_a_scenario_that_changes_nothing_described_lists_only_its_settings():
    config = minimal_config()
    key = "facility.clinic.services.outpatient.backlog_attrition_per_day"
    config["scenario"] = {"patient": {"set": {key: 0.01}}}
    lines = _lines(config)
    assert lines[-2:] == ["scenario patient (patient):", f"  set {key} = 0.01"]
