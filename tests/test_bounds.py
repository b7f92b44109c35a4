"""Upper bounds: every count, rate, time and distance of a configuration has one.

The bounds are the ``maximum`` of the rows of the schema table (KEYS,
facility_impact/config/keys.py, from the ``MAX_*`` of key_helpers.py). A number
above its bound, a sweep value above it, a distribution reaching beyond it, a
number of the priors table or a cell of an imported table: each is refused with
one line naming the key (or cell), the value in short form and the allowed range,
status 2 and nothing written. Numbers within the bounds compute without overflow.
"""

from __future__ import annotations

import copy
import csv
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import edited_reference

from facility_impact.cli import main
from facility_impact.config.keys import KEYS
from facility_impact.config.priors import PRIORS_FILE, parse_priors
from facility_impact.config.schema import json_schema
from facility_impact.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "configs" / "maarat_al_numan.toml"
ERROR = "facility-impact: error: "
OUTPATIENT = "facility.maarat_al_numan.services.outpatient"


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n") and lines[0].startswith(ERROR), err
    return lines[0]


def test_every_count_rate_time_and_distance_has_an_upper_bound():
    for key in KEYS.values():
        if key.kind in ("number", "matrix"):
            assert key.maximum is not None and math.isfinite(key.maximum), key.path
    assert KEYS["facility.<name>.population"].maximum == 10**9
    assert KEYS["facility.<name>.resources.<resource>"].maximum == 10**6
    assert KEYS["facility.<name>.services.<service>.volume_per_month"].maximum == 10**8
    assert KEYS["strike[].closure_days"].maximum == 36_525
    assert KEYS["network.distance_km"].maximum == 40_000


def test_the_json_schema_states_the_bounds():
    facility = json_schema()["properties"]["facility"]["additionalProperties"]
    population = facility["properties"]["population"]["anyOf"][0]
    assert population == {"type": "number", "minimum": 1, "maximum": 10**9}


# --------------------------------------------------------------------------- one line each

CASES = {
    "population": (("population = 40000", "population = 1e300"),),
    "population_just_above": (("population = 40000", "population = 1000000001"),),
    "beds": (("beds = 30,", "beds = 1e300,"),),
    "throughput": (("{ staff = 0.91261693 }", "{ staff = 20000 }"),),
    "utilisation": (("utilisation_per_person_year = 0.45", "utilisation_per_person_year = 1e300"),),
    "volume": (
        (
            "utilisation_per_person_year = 0.45",
            "utilisation_per_person_year = 0.45\nvolume_per_month = 2e8",
        ),
    ),
    "demand_factor": (
        (
            "utilisation_per_person_year = 0.45",
            "utilisation_per_person_year = 0.45\n"
            "demand_multipliers = [{ start_day = 0, factor = 1e4 }]",
        ),
    ),
    "strike_day": (("\nday = 0\n", "\nday = 1e300\n"),),
    "closure": (("casualties = 0\n", "casualties = 0\nclosure_days = 40000\n"),),
    "casualties": (("casualties = 0\n", "casualties = 2e6\n"),),
    "staff_killed": (("staff_killed = 0\n", "staff_killed = 1e300\n"),),
    "recruitment_time": (("time_days = 60", "time_days = 1e300"),),
    "alternative_distance": (("distance_km = 25", "distance_km = 50000"),),
    "spare_capacity": (("{ outpatient = 400, emergency = 50 }", "{ outpatient = 1e300 }"),),
    "decay": (("distance_decay_km = 2.4", "distance_decay_km = 1e300"),),
    "horizon": (("horizon_days = 365", "horizon_days = 36526"),),
    "sweep_value": (("population = 40000", "population = [40000, 1e300]"),),
    "uniform_high": (
        ("population = 40000", 'population = { dist = "uniform", low = 1, high = 1e300 }'),
    ),
    "normal_beyond": (
        ("population = 40000", 'population = { dist = "normal", mean = 1e300, sd = 1e299 }'),
    ),
}
EXPECTED = {
    "population": "facility.maarat_al_numan.population = 1e+300: must be between 1 and 1e+09",
    "population_just_above": (
        "facility.maarat_al_numan.population = 1000000001: must be between 1 and 1e+09"
    ),
    "beds": "facility.maarat_al_numan.resources.beds = 1e+300: must be between 0 and 1e+06",
    "throughput": (f"{OUTPATIENT}.throughput_per_day.staff = 20000: must be between 0 and 10000"),
    "utilisation": (
        f"{OUTPATIENT}.utilisation_per_person_year = 1e+300: must be between 0 and 1000"
    ),
    "volume": f"{OUTPATIENT}.volume_per_month = 2e+08: must be between 0 and 1e+08",
    "demand_factor": (
        f"{OUTPATIENT}.demand_multipliers[0].factor = 10000.0: must be between 0 and 1000"
    ),
    "strike_day": "strike[0].day = 1e+300: must be a whole number between 0 and 36525",
    "closure": "strike[0].closure_days = 40000: must be between 0 and 36525",
    "casualties": "strike[0].casualties = 2e+06: must be between 0 and 1e+06",
    "staff_killed": "strike[0].staff_killed = 1e+300: must be between 0 and 1e+06",
    "recruitment_time": "recruitment.time_days = 1e+300: must be between 0 and 36525",
    "alternative_distance": "alternative[0].distance_km = 50000: must be between 0 and 40000",
    "spare_capacity": (
        "alternative[1].spare_capacity_per_month.outpatient = 1e+300: must be between 0 and 1e+08"
    ),
    "decay": f"{OUTPATIENT}.distance_decay_km = 1e+300: must be between 0 and 40000",
    "horizon": "run.horizon_days = 36526: must be a whole number between 1 and 36525",
    "sweep_value": "facility.maarat_al_numan.population[1] = 1e+300: must be between 1 and 1e+09",
    "uniform_high": (
        "facility.maarat_al_numan.population.high = 1e+300: must be between 1 and 1e+09"
    ),
    "normal_beyond": (
        "facility.maarat_al_numan.population: the normal distribution has almost no "
        "probability inside the allowed range [1, 1e+09]"
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["check", "run"])
def test_a_number_above_its_bound_is_one_line_naming_key_value_and_range(
    case, command, tmp_path, capsys
):
    config = tmp_path / "bound.toml"
    config.write_text(edited_reference(*CASES[case]), encoding="utf-8")
    out = tmp_path / "out"
    args = [command, str(config)]
    if command == "run":
        # A short run; the horizon case keeps the horizon it gives.
        args += ["--out", str(out), *(["--horizon", "30"] if case != "horizon" else [])]
    assert main(args) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == ERROR + EXPECTED[case]
    assert _files(out) == []


def test_a_number_at_its_bound_is_allowed(tmp_path, capsys):
    config = tmp_path / "bound.toml"
    config.write_text(
        edited_reference(
            ("population = 40000", "population = 1e9"), ("beds = 30,", "beds = 1000000,")
        ),
        encoding="utf-8",
    )
    assert main(["check", str(config)]) == 0


def test_the_bounds_are_low_enough_to_compute_with(tmp_path, capsys):
    """Every bounded number of the reference at its bound at once: the run ends with
    status 0 and finite numbers in both files (no overflow, no inf but days to capacity)."""
    text = edited_reference(
        ("population = 40000", "population = 1e9"),
        (
            "beds = 30, staff = 54, theatres = 2, building = 1",
            "beds = 1e6, staff = 1e6, theatres = 1e6, building = 1e6",
        ),
        ("casualties = 0\n", "casualties = 1e6\n"),
        ("{ outpatient = 400, emergency = 50 }", "{ outpatient = 1e8, emergency = 1e8 }"),
    )
    text = re.sub(
        r"throughput_per_day = \{ (\w+) = [0-9.]+ \}", r"throughput_per_day = { \1 = 1e4 }", text
    )
    text = re.sub(
        r"utilisation_per_person_year = [0-9.]+", "utilisation_per_person_year = 1e3", text
    )
    config = tmp_path / "largest.toml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(config), "--horizon", "30", "--out", str(out)]) == 0
    assert "Warning" not in capsys.readouterr().err
    with xr.open_dataset(out / "largest.nc", engine="h5netcdf") as results:
        for name, variable in results.data_vars.items():
            if variable.dtype.kind == "f":
                assert np.isfinite(variable.values).all(), name
        assert float(results["demand"].max()) > 1e9  # the numbers are as large as promised
    with (out / "largest-summary.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        for column, cell in row.items():
            if cell.lower() in ("inf", "-inf", "nan"):
                assert column.startswith("days_to"), (column, cell)


# --------------------------------------------------------------------------- distributions


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '{ dist = "beta", alpha = 1e308, beta = 5e-324 }',
            "beta(alpha 1e+308, beta 4.94066e-324) cannot be computed",
        ),
        (
            '{ dist = "normal", mean = 0.5, sd = 5e-324 }',
            "normal(mean 0.5, sd 4.94066e-324) cannot be computed",
        ),
        (
            '{ dist = "lognormal", median = 5e-324, dispersion = 1 }',
            "lognormal(median 4.94066e-324, dispersion 1.0) cannot be computed",
        ),
    ],
    ids=["beta", "normal", "lognormal"],
)
def test_a_distribution_that_cannot_be_computed_is_one_line(table, expected, tmp_path, capsys):
    config = tmp_path / "dist.toml"
    config.write_text(
        edited_reference(("deferrable_share = 0.5", f"deferrable_share = {table}")),
        encoding="utf-8",
    )
    assert main(["check", str(config)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"{ERROR}{OUTPATIENT}.deferrable_share: {expected}")


# --------------------------------------------------------------------------- priors, imports


def _priors() -> dict:
    text = (REPO / "facility_impact" / PRIORS_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (("damage_state", "destroyed", "closure_days"), "between 0 and 36525"),
        (("response", "radius_km"), "between 0 and 40000"),
        (("damage_state", "destroyed", "restoration", "mean_days"), "between 0 and 36525"),
    ],
    ids=["closure", "radius", "restoration"],
)
def test_the_priors_table_has_the_bounds_of_the_keys_it_fills(where, expected):
    raw = copy.deepcopy(_priors())
    node = raw
    for part in where:
        node = node[part]
    node["value"] = 1e300
    with pytest.raises(ConfigError, match=f"{'.'.join(where)}.value: must be a number {expected}"):
        parse_priors(raw, "fitted.toml")


FACILITY_HEADER = (
    "id,name,type,latitude,longitude,population,beds,staff,theatres,outpatient_per_month,"
    "emergency_per_month,inpatient_per_month,surgery_per_month,demand_ratio,functionality"
)
ATTACK_HEADER = "date,facility_id,attack_type,facility_damage,staff_killed,patients_injured"


@pytest.mark.parametrize(
    ("facilities", "attacks", "expected"),
    [
        (
            "A,,hospital,0,0,,1e300,,,,,,,,",
            None,
            'row 1, column beds = "1e300": out of range: must be >= 0 and <= 1e+06',
        ),
        (
            "A,,hospital,0,0,1e10,,,,,,,,,",
            None,
            'row 1, column population = "1e10": out of range: must be >= 1 and <= 1e+09',
        ),
        (
            "A,,hospital,0,0,,,,,2e8,,,,,",
            None,
            'row 1, column outpatient_per_month = "2e8": out of range: must be >= 0 and <= 1e+08',
        ),
        ("A,,hospital,0,0,,," + "9" * 400 + ",,,,,,,", None, 'row 1, column staff = "999999999'),
        (
            "A,,hospital,0,0,,,,,,,,,,",
            "2016-02-15,A,violence_with_heavy_weapons,destroyed,1e300,",
            'row 1, column staff_killed = "1e300": out of range: must be >= 0 and <= 1e+06',
        ),
    ],
    ids=["beds", "population", "volume", "staff_400_digits", "staff_killed"],
)
def test_imported_cells_have_the_bounds_of_their_keys(
    facilities, attacks, expected, tmp_path, capsys
):
    table = tmp_path / "f.csv"
    table.write_text(f"{FACILITY_HEADER}\n{facilities}\n", encoding="utf-8")
    args = ["import", str(table), "--out", str(tmp_path / "imported.toml")]
    if attacks is not None:
        records = tmp_path / "a.csv"
        records.write_text(f"{ATTACK_HEADER}\n{attacks}\n", encoding="utf-8")
        args += ["--attacks", str(records)]
    assert main(args) == 2
    line = _one_line(capsys.readouterr().err)
    assert expected in line and len(line) < 300
    assert not (tmp_path / "imported.toml").exists()
