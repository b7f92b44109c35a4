"""The configuration schema: one table of keys, the JSON Schema made from it, the
``schema`` command and the generated key tables of docs/configuration.md."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import jsonschema
import pytest

from facility_impact import ConfigError, load_config
from facility_impact.cli import main
from facility_impact.config import docs
from facility_impact.config.keys import KEYS, default_of
from facility_impact.config.reading import keys_of
from facility_impact.config.schema import (
    allowed_text,
    default_text,
    json_schema,
    varies_text,
    write_json_schema,
)
from facility_impact.config.spec import ABSENT, COMPUTED, REQUIRED

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))
REFERENCE = ROOT / "configs" / "maarat_al_numan.toml"
ERROR_PREFIX = "facility-impact: error: "


def _as_json(path: Path) -> dict:
    """A TOML file as a JSON document holds it: dates as ISO strings."""
    return json.loads(json.dumps(tomllib.loads(path.read_text(encoding="utf-8")), default=str))


def _validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _reference_with(old: str, new: str) -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --------------------------------------------------------------------------- the table


def test_each_table_allows_the_keys_the_readers_know_in_message_order():
    assert keys_of("") == (
        "title",
        "run",
        "facility",
        "strike",
        "recovery",
        "staff_return",
        "recruitment",
        "alternative",
        "network",
        "outcome",
        "scenario",
    )
    assert keys_of("strike[]") == (
        "facility",
        "day",
        "date",
        "attack_type",
        "facility_damage",
        "closure_days",
        "damage",
        "staff_killed",
        "staff_injured",
        "staff_abducted",
        "staff_fled",
        "casualties",
        "casualty_service",
        "avoidance",
        "avoidance_nearby_share",
        "avoidance_radius_km",
        "avoidance_fade",
        "label",
        "enabled",
    )
    assert keys_of("strike[].avoidance_fade") == ("curve", "time_days", "mean_days", "sd_days")
    assert keys_of("facility.<name>.displacement") == (
        "curve",
        "time_days",
        "mean_days",
        "sd_days",
        "delay_days",
        "share",
        "start_day",
        "return_share",
        "return",
        "destination",
        "destinations",
    )
    assert keys_of("facility.<name>.relocation") == (
        "opens_day",
        "distance_km",
        "travel_minutes",
        "resources",
    )
    assert keys_of("staff_return.<fate>") == (
        "curve",
        "time_days",
        "mean_days",
        "sd_days",
        "return_share",
    )
    assert keys_of("scenario.<name>") == ("label", "description", "based_on", "set")


def test_every_defaulted_quantity_says_where_its_default_comes_from():
    for key in KEYS.values():
        if key.kind == "number" and key.default not in (REQUIRED, ABSENT, COMPUTED):
            if key.path.startswith("run."):
                continue  # run settings are choices of the run, not of the world
            assert key.source, f"{key.path}: default {key.default!r} without a source"


def test_keys_with_a_parent_sit_under_a_table_map_or_list():
    for key in KEYS.values():
        parent = key.parent
        if not parent:
            continue
        owner = KEYS.get(parent.removesuffix("[]"))
        assert owner is not None, key.path
        assert owner.kind in ("table", "map", "list"), key.path


def test_defaults_of_a_checked_configuration_come_from_the_table():
    config = load_config(
        {
            "facility": {
                "clinic": {
                    "population": 1000,
                    "resources": {"staff": 3},
                    "services": {"outpatient": {"volume_per_month": 300, "needs": {}}},
                }
            },
            "strike": [{"day": 2, "damage": {"staff": 0.5}}],
        }
    )
    service = config.facilities["clinic"].services["outpatient"]
    assert (
        service.demand_ratio == 1.0 == default_of("facility.<name>.services.<service>.demand_ratio")
    )
    assert service.deferrable_share == 0.0
    # The cited default for outpatient care (Feikin et al. 2009), whoever could divert.
    assert service.distance_decay_km == 2.4
    assert math.isinf(service.reach_km)
    assert service.utilisation_per_person_year is None
    assert config.horizon_days == 365
    assert config.base_label == "base case (as configured)"
    strike = config.strikes[0]
    assert (strike.facility, strike.closure_days, strike.casualty_service) == (
        "clinic",
        0.0,
        "emergency",
    )
    assert config.recovery_for("staff").recoverable_share == 1.0
    assert config.recovery_for("staff").curve.family == "none"


def test_default_of_refuses_a_key_without_a_value():
    with pytest.raises(KeyError, match="REQUIRED"):
        default_of("facility.<name>.population")


def test_the_words_of_the_docs_by_hand():
    assert allowed_text(KEYS["run.horizon_days"]) == "whole number, 1–36,525"
    assert allowed_text(KEYS["facility.<name>.population"]) == "1–10⁹"
    assert allowed_text(KEYS["strike[].damage"]) == (
        "table of names; each 0–1; resources of the struck facility; may be `{}`"
    )
    assert allowed_text(KEYS["facility.<name>.services.<service>.distance_decay_km"]) == (
        "> 0 and ≤ 40,000; `inf` allowed"
    )
    assert allowed_text(KEYS["alternative[].opens_day"]) == (
        "whole number, 0–36,525, ≤ `horizon_days`; `horizon_days` = never within the run"
    )
    assert default_text(KEYS["facility.<name>.services.<service>.deferrable_share"]) == (
        "0. ASSUMPTION: nobody waits"
    )
    assert default_text(KEYS["strike[].label"]) == '`""`'
    assert default_text(KEYS["run.precision"]) == "`auto`"
    assert default_text(KEYS["outcome.<name>.service"]) == "**required**"
    assert varies_text(KEYS["strike[].closure_days"]) == "sweep, distribution"
    assert varies_text(KEYS["run.seed"]) == "—"


# --------------------------------------------------------------------------- reading


def test_a_sweep_of_a_scale_refuses_zero_at_its_own_index():
    path = "facility.clinic.services.outpatient.distance_decay_km"
    raw = {
        "facility": {
            "clinic": {
                "population": 1000,
                "resources": {},
                "services": {
                    "outpatient": {"volume_per_month": 1, "needs": {}, "distance_decay_km": [5, 0]}
                },
            }
        }
    }
    with pytest.raises(ConfigError) as error:
        load_config(raw)
    assert str(error.value) == f"{path}[1] = 0: must be > 0 (inf for no distance decay)"
    services = raw["facility"]["clinic"]["services"]
    services["outpatient"]["distance_decay_km"] = 0
    with pytest.raises(ConfigError) as error:
        load_config(raw)
    assert str(error.value) == f"{path} = 0: must be > 0 (inf for no distance decay)"


# --------------------------------------------------------------------------- JSON Schema


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_every_reference_configuration_validates_against_the_json_schema(path):
    _validator().validate(_as_json(path))


def test_json_schema_refuses_a_misspelt_key_and_a_fraction_above_one():
    validator = _validator()
    raw = _as_json(REFERENCE)
    raw["strike"][0]["closure_dayz"] = 5
    with pytest.raises(jsonschema.ValidationError, match="closure_dayz"):
        validator.validate(raw)
    raw = _as_json(REFERENCE)
    raw["facility"]["maarat_al_numan"]["services"]["outpatient"]["deferrable_share"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(raw)


def test_json_schema_takes_sweeps_and_distributions_only_where_the_table_allows():
    validator = _validator()
    raw = _as_json(REFERENCE)
    strike = raw["strike"][0]
    strike["closure_days"] = [7, 30]
    validator.validate(raw)
    strike["closure_days"] = {"values": [7, 30], "dim": "closure"}
    validator.validate(raw)
    strike["closure_days"] = {"dist": "triangular", "low": 7, "mode": 30, "high": 90}
    validator.validate(raw)
    strike["closure_days"] = {"dist": "triangular", "low": 7, "high": 90}  # mode missing
    assert not validator.is_valid(raw)
    raw = _as_json(REFERENCE)
    raw["run"]["seed"] = [1, 2]
    assert not validator.is_valid(raw)


def test_json_schema_knows_which_time_keys_each_curve_takes():
    validator = _validator()
    raw = _as_json(REFERENCE)
    raw["recovery"] = {"building": {"curve": "normal", "mean_days": 60, "sd_days": 20}}
    validator.validate(raw)
    raw["recovery"]["building"]["time_days"] = 30
    assert not validator.is_valid(raw)
    raw["recovery"]["building"] = {"curve": "linear"}
    assert not validator.is_valid(raw)


def test_json_schema_states_units_defaults_and_ranges():
    service = json_schema()["properties"]["facility"]["additionalProperties"]["properties"][
        "services"
    ]["additionalProperties"]["properties"]
    deferrable = service["deferrable_share"]
    assert deferrable["default"] == 0.0
    assert "ASSUMPTION: nobody waits" in deferrable["description"]
    assert deferrable["anyOf"][0] == {"type": "number", "minimum": 0, "maximum": 1}
    assert "[patients/month]" in service["volume_per_month"]["description"]


# --------------------------------------------------------------------------- command line


def test_schema_command_prints_the_json_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()


def test_schema_command_writes_the_schema_atomically(tmp_path, capsys):
    out = tmp_path / "configuration.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json_schema()
    assert capsys.readouterr().out == f"wrote {out}\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == [out.name]


def test_write_json_schema_leaves_nothing_when_it_cannot_write(tmp_path, monkeypatch):
    out = tmp_path / "schema.json"

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("facility_impact.config.schema.os.replace", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_json_schema(out)
    assert list(tmp_path.iterdir()) == []


def test_schema_command_checks_each_file_with_one_line(capsys):
    assert main(["schema", *map(str, CONFIGS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CONFIGS)
    assert lines[0] == f"{CONFIGS[0]}: valid (6 facilities, 2 strikes, 3 scenarios)"
    assert all(": valid (" in line for line in lines)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "staff_abducted = ",
            "staff_abductd = ",
            "strike[0].staff_abductd: unknown key; allowed here: facility, day, date, "
            "attack_type, facility_damage, closure_days, damage, staff_killed, staff_injured, "
            "staff_abducted, staff_fled, casualties, casualty_service, avoidance, "
            "avoidance_nearby_share, avoidance_radius_km, avoidance_fade, label, enabled",
        ),
        (
            "resources = { beds = 30,",
            "resources = { bedz = 30,",
            'facility.maarat_al_numan.services.emergency.needs.beds: unknown resource "beds"; '
            "known: bedz, staff, theatres, building",
        ),
        (
            "deferrable_share = 0.5",
            "deferrable_share = 1.5",
            "facility.maarat_al_numan.services.outpatient.deferrable_share = 1.5: "
            "must be a fraction between 0 and 1",
        ),
    ],
    ids=["staff_abductd", "bedz", "fraction_above_one"],
)
def test_schema_command_refuses_a_bad_file_with_one_line(old, new, message, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(_reference_with(old, new), encoding="utf-8")
    assert main(["schema", str(REFERENCE), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"{REFERENCE}: valid (1 facility, 1 strike, 0 scenarios)\n"
    assert captured.err == f"{ERROR_PREFIX}{message}\n"


# --------------------------------------------------------------------------- docs


def test_configuration_doc_key_tables_match_the_schema():
    text = docs.DOC.read_text(encoding="utf-8")
    assert docs.render(text) == text, "run python -m facility_impact.config.docs"
    assert text.count("<!-- BEGIN GENERATED keys ") == 17
    assert text.count("<!-- BEGIN GENERATED priors ") == 3


def test_docs_generator_rewrites_only_its_regions(tmp_path):
    page = tmp_path / "page.md"
    stale = (
        "Intro stays.\n<!-- BEGIN GENERATED keys network -->\nold table\n"
        "<!-- END GENERATED keys network -->\nOutro stays.\n"
    )
    page.write_text(stale, encoding="utf-8")
    assert docs.main([str(page), "--check"]) == 1
    assert docs.main([str(page)]) == 0
    written = page.read_text(encoding="utf-8")
    assert written.startswith("Intro stays.\n<!-- BEGIN GENERATED keys network -->\n| key |")
    assert written.endswith("<!-- END GENERATED keys network -->\nOutro stays.\n")
    assert "| `symmetric` |" in written and "old table" not in written
    assert docs.main([str(page), "--check"]) == 0


def test_docs_generator_refuses_a_region_without_keys():
    with pytest.raises(ValueError, match="no keys"):
        docs.render("<!-- BEGIN GENERATED keys nowhere -->\n<!-- END GENERATED keys nowhere -->")
