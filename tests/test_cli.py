"""The ``facility-impact`` command line: files written, numbers in them, bad input refused.

The end-to-end run goes through a real interpreter (``python -m facility_impact.cli``);
the many small cases call :func:`facility_impact.cli.main` in-process, which runs the
same code path without paying for an interpreter start each time.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import ENSEMBLE_TOML

import facility_impact
from facility_impact.cli import build_parser, main
from facility_impact.results.accounting import ACCOUNTS, all_facilities, all_services
from facility_impact.results.summary_table import ALL_SERVICES
from facility_impact.run.io import atomic_path, read_netcdf

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "configs" / "maarat_al_numan.toml"
REGION = REPO / "configs" / "idlib_region.toml"
STEM = REFERENCE.stem
FACILITY = "maarat_al_numan"
SERVICES = ("outpatient", "emergency", "inpatient", "surgery")
# Monthly volumes of the reference configuration [patient month-1]: the seed's (¶15),
# inpatient 30 beds x 0.2 a day x 30.4375 d.
MONTHLY_VOLUME = {"outpatient": 1500, "emergency": 1100, "inpatient": 182.625, "surgery": 140}
DAYS_PER_MONTH = 30.4375
ERROR_PREFIX = "facility-impact: error: "


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facility_impact.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _files(folder: Path) -> list[str]:
    """Names of everything in ``folder`` (hidden ``.part`` files included); [] if absent."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _open(path: Path) -> xr.Dataset:
    return read_netcdf(path)


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """``python -m facility_impact.cli run <reference> --out results`` in a fresh folder."""
    cwd = tmp_path_factory.mktemp("run")
    completed = _cli("run", str(REFERENCE), "--out", "results", cwd=cwd)
    return completed, cwd / "results"


@pytest.fixture(scope="module")
def reference_results(reference_run):
    _, out = reference_run
    return _open(out / f"{STEM}.nc")


@pytest.mark.slow
def test_run_subprocess_succeeds_and_writes_exactly_two_files(reference_run):
    completed, out = reference_run
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert _files(out) == [f"{STEM}-summary.csv", f"{STEM}.nc"]
    assert f"wrote {Path('results') / f'{STEM}.nc'}" in completed.stdout


@pytest.mark.slow
def test_netcdf_records_its_inputs(reference_results):
    attrs = reference_results.attrs
    assert attrs["configuration_name"] == STEM
    assert attrs["configuration"] == REFERENCE.read_text(encoding="utf-8")
    assert int(attrs["seed"]) == 20160215
    assert int(attrs["horizon_days"]) == 365
    assert reference_results.sizes["time"] == 365
    for name, variable in reference_results.data_vars.items():
        assert variable.attrs.get("units"), f"{name} has no units"


@pytest.mark.slow
def test_netcdf_conserves_patients(reference_results):
    """Σ demand = Σ (served + served elsewhere + unmet + abandoned) + backlog on the last day."""
    r = reference_results
    demand = r["demand"].sum("time")
    accounted = (r["served"] + r["served_elsewhere"] + r["unmet"] + r["abandoned"]).sum("time")
    accounted = accounted + r["backlog"].isel(time=-1)
    assert float(demand.min()) > 0
    np.testing.assert_allclose(accounted.values, demand.values, rtol=1e-9, atol=1e-9)


@pytest.mark.slow
def test_netcdf_baseline_capacity_is_monthly_volume(reference_results):
    """Capacity from resources: to the 9 digits the reference writes its throughputs with."""
    baseline = reference_results["baseline_capacity"].sel(facility=FACILITY)
    for service, volume in MONTHLY_VOLUME.items():
        assert float(baseline.sel(service=service)) * DAYS_PER_MONTH == pytest.approx(
            volume, rel=1e-8
        ), service


def _value(rows: list[dict[str, str]], indicator: str, service: str, **where: str) -> float:
    """The one value of the tidy summary table for ``indicator`` of ``service``."""
    (row,) = [
        r
        for r in rows
        if r["indicator"] == indicator
        and r["service"] == service
        and all(r[k] == v for k, v in where.items())
    ]
    return float(row["value"])


@pytest.mark.slow
def test_csv_has_a_row_per_service_indicator_and_period(reference_run, reference_results):
    _, out = reference_run
    header, rows = _read_csv(out / f"{STEM}-summary.csv")
    assert header[:3] == ["facility", "service", "indicator"]
    # The standards' thresholds belong to no facility: their facility is empty.
    assert {row["facility"] for row in rows} == {FACILITY, ""}
    assert {r["indicator"] for r in rows if not r["facility"]} == {"standard_threshold"}
    assert {row["service"] for row in rows} == {*SERVICES, ALL_SERVICES, ""}
    summary = facility_impact.summarize(reference_results)
    totals = {all_services(name) for name in ACCOUNTS} | {all_facilities(name) for name in ACCOUNTS}
    indicators = {row["indicator"] for row in rows}
    for name in summary.data_vars:
        # A total over services is its account's row on the service "all services".
        assert (name in totals) != (name in indicators), name
    for indicator, period in (
        ("forgone_care", "30.0"),
        ("forgone_care", "90.0"),
        ("forgone_care", "365.0"),
        ("displaced_total", "365.0"),
        ("counterfactual_total", "365.0"),
        ("served_elsewhere_total", "30.0"),
    ):
        for service in (*SERVICES, ALL_SERVICES):
            _value(rows, indicator, service, period_days=period)
    for threshold in ("0.5", "0.9"):
        _value(rows, "days_to_capacity", SERVICES[0], threshold=threshold)
    assert {r["service"] for r in rows if r["indicator"].endswith("_all_services")} == {""}


@pytest.mark.slow
def test_csv_forgone_care_equals_first_30_days_from_netcdf(reference_run, reference_results):
    _, out = reference_run
    _, rows = _read_csv(out / f"{STEM}-summary.csv")
    r = reference_results
    assert r["strike_day"].values.tolist() == [0.0]  # so the window is days 0 … 29
    first_month = r.sel(facility=FACILITY).isel(time=slice(0, 30))
    forgone = first_month["forgone"].sum("time")
    elsewhere = first_month["served_elsewhere"].sum("time")
    for service in SERVICES:
        expected = float(forgone.sel(service=service))
        assert expected > 1.0  # the strike closes every service for 30 days
        got = _value(rows, "forgone_care", service, period_days="30.0")
        assert got == pytest.approx(expected, rel=1e-12), service
        assert _value(rows, "served_elsewhere_total", service, period_days="30.0") == (
            pytest.approx(float(elsewhere.sel(service=service)), rel=1e-12)
        ), service
    total = _value(rows, "forgone_care", ALL_SERVICES, period_days="30.0")
    assert total == pytest.approx(float(forgone.sum()), rel=1e-12)


@pytest.mark.slow
def test_printed_table_shows_each_service_with_its_forgone_care(reference_run):
    completed, out = reference_run
    _, rows = _read_csv(out / f"{STEM}-summary.csv")
    lines = completed.stdout.splitlines()
    for service in SERVICES:
        # Service rows start at the margin; indented lines (standards) are not rows.
        matching = [line for line in lines if line.startswith(f"{service} ")]
        # Where the care went in the first year, then forgone care by window.
        assert len(matching) == 2, service
        year = _value(rows, "forgone_care", service, period_days="365.0")
        month = _value(rows, "forgone_care", service, period_days="30.0")
        assert f"{year:,.0f}" in matching[0].split()
        assert f"{month:,.0f}" in matching[1].split()
    (total,) = [line for line in lines if line.startswith("patient contacts of all kinds ")]
    year = _value(rows, "forgone_care", ALL_SERVICES, period_days="365.0")
    assert f"{year:,.0f}" in total.split()
    assert any(line.startswith("In the first year after the strike, about ") for line in lines)


@pytest.mark.slow
def test_run_horizon_override_gives_that_time_axis(tmp_path, capsys):
    assert main(["run", str(REFERENCE), "--out", str(tmp_path), "--horizon", "90"]) == 0
    results = _open(tmp_path / f"{STEM}.nc")
    assert results.sizes["time"] == 90
    assert int(results.attrs["horizon_days"]) == 90
    assert results["day"].values.tolist() == list(range(90))
    assert "overridden: run.horizon_days = 90" in results.attrs["configuration"]
    assert "surgery" in capsys.readouterr().out


@pytest.mark.slow
def test_run_seed_override_is_stored(tmp_path, capsys):
    assert main(["run", str(REFERENCE), "--out", str(tmp_path), "--seed", "7"]) == 0
    results = _open(tmp_path / f"{STEM}.nc")
    assert int(results.attrs["seed"]) == 7
    assert "overridden: run.seed = 7" in results.attrs["configuration"]
    capsys.readouterr()


def test_check_describes_the_configuration_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(REFERENCE)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    text = captured.out
    assert f"facility {FACILITY}" in text
    for service in SERVICES:
        assert f"service {service}:" in text
    assert "strike 0 (four missiles within minutes)" in text
    for alternative in ("district_hospital", "health_centre"):
        assert f"alternative {alternative}" in text
    assert text.rstrip().endswith("configuration is valid")
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ("run", "check", "plot", "report")),
        (["run"], ("CONFIG", "--out", "--horizon", "--seed")),
        (["check"], ("CONFIG",)),
        (["plot"], ("RESULTS.nc", "--out")),
        (["report"], ("RESULTS.nc", "--out", "report.html")),
    ],
    ids=["top", "run", "check", "plot", "report"],
)
def test_help_works_for_every_subcommand(args, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: facility-impact")
    for word in expected:
        assert word in out


def test_console_script_is_the_cli_modules_entry_point():
    with (REPO / "pyproject.toml").open("rb") as stream:
        scripts = tomllib.load(stream)["project"]["scripts"]
    assert scripts == {"facility-impact": "facility_impact.cli:console_main"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "status", "stdout_end", "stderr"),
    [
        (["check", str(REFERENCE)], 0, "configuration is valid\n", ""),
        (
            ["run", "absent.toml", "--out", "out"],
            2,
            "",
            f"{ERROR_PREFIX}absent.toml: configuration file not found\n",
        ),
    ],
    ids=["check", "bad-input"],
)
def test_python_dash_m_package_works_as_the_command(args, status, stdout_end, stderr, tmp_path):
    """``python -m facility_impact`` gives the output and status of ``python -m
    facility_impact.cli``, whose ``console_main`` the console script runs."""
    package = subprocess.run(
        [sys.executable, "-m", "facility_impact", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert package.returncode == status
    assert package.stdout.endswith(stdout_end) and package.stderr == stderr
    module = _cli(*args, cwd=tmp_path)
    assert (package.returncode, package.stdout, package.stderr) == (
        module.returncode,
        module.stdout,
        module.stderr,
    )
    assert _files(tmp_path) == []


@pytest.mark.slow
def test_plot_writes_png_and_svg(reference_run, tmp_path, capsys):
    pytest.importorskip("facility_impact.present.figures")
    _, out = reference_run
    figures = tmp_path / "figures"
    assert main(["plot", str(out / f"{STEM}.nc"), "--out", str(figures)]) == 0
    assert capsys.readouterr().out.count("wrote ") >= 2
    for suffix in (".png", ".svg"):
        path = figures / f"{STEM}-capacity{suffix}"
        assert path.is_file() and path.stat().st_size > 0


@pytest.mark.slow
def test_plot_draws_the_load_figure_only_for_a_network(reference_run, tmp_path, capsys):
    pytest.importorskip("facility_impact.present.figures")
    _, out = reference_run
    figures = tmp_path / "figures"
    assert main(["plot", str(out / f"{STEM}.nc"), "--out", str(figures)]) == 0
    written = _files(figures)
    assert f"{STEM}-capacity.png" in written
    assert not [name for name in written if "-load." in name]
    assert "Load on receiving facilities: not drawn" in capsys.readouterr().err
    assert main(["run", str(REGION), "--out", str(tmp_path / "region")]) == 0
    printed = capsys.readouterr().out
    assert "Patients from other facilities, first 365 days after the first strike" in printed
    # In the base case (both strikes) the field hospital never opens.
    assert any(
        line.startswith("field_hospital (scenario: base case")
        and line.endswith(": does not open within the run")
        for line in printed.splitlines()
    )
    assert main(["plot", str(tmp_path / "region" / "idlib_region.nc"), "--out", str(figures)]) == 0
    assert "wrote " + str(figures / "idlib_region-load.png") in capsys.readouterr().out
    assert (figures / "idlib_region-load.svg").is_file()


def test_plot_missing_results_is_one_line_error(tmp_path, capsys):
    pytest.importorskip("facility_impact.present.figures")
    missing = tmp_path / "absent.nc"
    assert main(["plot", str(missing), "--out", str(tmp_path / "figures")]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and str(missing) in captured.err
    assert _files(tmp_path) == []


# --------------------------------------------------------------------------- bad input


def _edit(*replacements: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """Edits to the reference configuration, applied by :func:`_case_text`."""
    return replacements


def _case_text(case: BadCase) -> str:
    """The case's configuration with each ``old`` replaced by ``new``; ``old`` must occur
    exactly once, so a change to the reference file fails the case loudly."""
    text = case.config.read_text(encoding="utf-8")
    for old, new in case.edits or ():
        assert text.count(old) == 1, f"{old!r} should occur once in {REFERENCE.name}"
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class BadCase:
    id: str
    edits: tuple[tuple[str, str], ...] | None  # None: the configuration file does not exist
    expected: tuple[str, ...]  # key path, value and what is allowed
    horizon: int | None = None
    options: tuple[str, ...] = field(default=())
    config: Path = REFERENCE  # the file the edits apply to


OUTPATIENT = "facility.maarat_al_numan.services.outpatient"
BAD_CASES = [
    BadCase(
        "malformed_toml",
        _edit(("horizon_days = 365", "horizon_days = = 365")),
        ("scenario.toml: not valid TOML", "(at line "),
    ),
    BadCase(
        "unknown_top_level_key",
        _edit(("title = ", 'colour = "red"\ntitle = ')),
        ("colour: unknown key", "allowed here: title, run, facility"),
    ),
    BadCase(
        "unknown_service_key",
        _edit(
            (
                "utilisation_per_person_year = 0.45\n",
                "utilisation_per_person_year = 0.45\nvolume_per_week = 350\n",
            )
        ),
        (f"{OUTPATIENT}.volume_per_week: unknown key", "volume_per_month", "throughput_per_day"),
    ),
    BadCase(
        "unknown_facility_in_strike",
        _edit(('facility = "maarat_al_numan"', 'facility = "azaz"')),
        ('strike[0].facility = "azaz"', "unknown facility", "known: maarat_al_numan"),
    ),
    BadCase(
        "unknown_service_in_spare_capacity",
        _edit(("{ outpatient = 400, emergency = 50 }", "{ outpatient = 400, dentistry = 50 }")),
        ("alternative[1].spare_capacity_per_month.dentistry", '"dentistry"', "unknown service"),
    ),
    BadCase(
        "unknown_resource_in_needs",
        _edit(("needs = { staff = 1.0, building = 0.5 }", "needs = { staff = 1.0, cars = 0.5 }")),
        (f"{OUTPATIENT}.needs.cars", '"cars"', "unknown resource", "known: beds, staff"),
    ),
    BadCase(
        "unknown_resource_in_damage",
        _edit(("facility_damage = ", "damage = { nurses = 1.0 }\nfacility_damage = ")),
        ("strike[0].damage.nurses", '"nurses"', "unknown resource"),
    ),
    BadCase(
        "negative_count",
        _edit(("beds = 30,", "beds = -3,")),
        ("facility.maarat_al_numan.resources.beds = -3", "not negative"),
    ),
    BadCase(
        "negative_throughput",
        _edit(("{ theatres = 2.29979467 }", "{ theatres = -2.3 }")),
        (
            "facility.maarat_al_numan.services.surgery.throughput_per_day.theatres = -2.3",
            "not negative",
        ),
    ),
    BadCase(
        "unknown_resource_in_throughput",
        _edit(("{ beds = 0.2 }", "{ cots = 0.2 }")),
        (
            "facility.maarat_al_numan.services.inpatient.throughput_per_day.cots",
            '"cots"',
            "unknown resource",
            "known: beds, staff, theatres, building",
        ),
    ),
    BadCase(
        "utilisation_and_demand_ratio",
        _edit(
            (
                "utilisation_per_person_year = 0.45\n",
                "utilisation_per_person_year = 0.45\ndemand_ratio = 1.2\n",
            )
        ),
        (f"{OUTPATIENT}: give utilisation_per_person_year or demand_ratio, not both",),
    ),
    BadCase(
        "staff_fates_above_the_staff",
        _edit(("staff_abducted = 8\n", "staff_abducted = 50\nstaff_fled = 10\n")),
        ("strike[0].staff_fled = 10", "add up to 60", "at most the 54 staff of maarat_al_numan"),
    ),
    BadCase(
        "negative_staff_fate",
        _edit(("staff_abducted = 8\n", "staff_abducted = -8\n")),
        ("strike[0].staff_abducted = -8", "not negative"),
    ),
    BadCase(
        "unknown_staff_fate",
        _edit(("[staff_return.abducted]\nreturn_share", "[staff_return.kidnapped]\nreturn_share")),
        (
            'staff_return.kidnapped: unknown fate "kidnapped"',
            "known: killed, injured, abducted, fled",
        ),
    ),
    BadCase(
        "deferrable_share_above_one",
        _edit(("deferrable_share = 0.5", "deferrable_share = 1.5")),
        (f"{OUTPATIENT}.deferrable_share = 1.5", "between 0 and 1"),
    ),
    BadCase(
        "damage_above_one",
        _edit(("facility_damage = ", "damage = { beds = 1.2 }\nfacility_damage = ")),
        ("strike[0].damage.beds = 1.2", "between 0 and 1"),
    ),
    BadCase(
        "strike_after_horizon",
        _edit(("\nday = 0\n", "\nday = 400\n")),
        ("strike[0].day = 400", "before day 365"),
    ),
    BadCase(
        "strike_after_overridden_horizon",
        _edit(("\nday = 0\n", "\nday = 200\n")),
        ("strike[0].day = 200", "before day 90"),
        horizon=90,
        options=("--horizon", "90"),
    ),
    BadCase("missing_file", None, ("scenario.toml", "not found")),
    BadCase(
        "string_for_number",
        _edit(("population = 40000", 'population = "many"')),
        ('facility.maarat_al_numan.population = "many"', "must be a number"),
    ),
    BadCase(
        "unknown_recovery_curve",
        _edit(
            (
                "\n[staff_return.abducted]\n",
                '\n[recovery.building]\ncurve = "sigmoid"\n\n[staff_return.abducted]\n',
            )
        ),
        ('recovery.building.curve = "sigmoid"', "must be one of", "normal"),
    ),
    BadCase(
        "strike_date_without_start_date",
        _edit(("start_date = 2016-02-15\n", ""), ("\nday = 0\n", "\ndate = 2016-03-01\n")),
        ("strike[0].date = 2016-03-01", "run.start_date"),
    ),
    BadCase(
        "missing_required_key",
        _edit(("throughput_per_day = { beds = 0.2 }\n", "")),
        (
            "facility.maarat_al_numan.services.inpatient.volume_per_month: missing",
            "required unless throughput_per_day is given",
        ),
    ),
    BadCase(
        "asymmetric_network",
        _edit(("  [   25,      0,     30,", "  [   26,      0,     30,")),
        (
            "network.distance_km[0][1] = 25",
            "must equal network.distance_km[1][0] (26)",
            "maarat_al_numan to district_hospital and back",
            "network.symmetric = true",
        ),
        config=REGION,
    ),
    BadCase(
        "network_diagonal_not_zero",
        _edit(("  [  150,    130,    155,     0,", "  [  150,    130,    155,     3,")),
        ("network.distance_km[3][3] = 3", "must be 0", "azaz to itself"),
        config=REGION,
    ),
    BadCase(
        "network_row_too_short",
        _edit(("  [    5,     27,     10,   150,     140,     0],", "  [    5,     27,     10],")),
        ("network.distance_km[5] = [5, 27, 10]", "must hold 6 distances [km]"),
        config=REGION,
    ),
    BadCase(
        "network_unknown_facility",
        _edit(('  "health_centre",\n', '  "health_center",\n')),
        ('network.facilities[2] = "health_center"', "unknown facility", "known: "),
        config=REGION,
    ),
    BadCase(
        "network_negative_distance",
        _edit(("  [    0,     25,      8,", "  [    0,    -25,      8,")),
        ("network.distance_km[0][1] = -25", "not negative"),
        config=REGION,
    ),
    BadCase(
        "closes_before_it_opens",
        _edit(("opens_day = 365\n", "opens_day = 14\ncloses_day = 7\n")),
        ("facility.field_hospital.closes_day = 7", "must be > opens_day (14)"),
        config=REGION,
    ),
]
BY_ID = {case.id: case for case in BAD_CASES}


def _write_case(case: BadCase, folder: Path) -> Path:
    path = folder / "scenario.toml"
    if case.edits is not None:
        path.write_text(_case_text(case), encoding="utf-8")
    return path


def _assert_one_line_error(stderr: str, case: BadCase) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert stderr.endswith("\n")
    line = lines[0]
    assert line.startswith(ERROR_PREFIX)
    for part in case.expected:
        assert part in line, f"{part!r} missing from {line!r}"
    return line


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda case: case.id)
def test_bad_input_exits_2_with_one_line_and_no_output(case, tmp_path, capsys):
    config = _write_case(case, tmp_path)
    out = tmp_path / "out"
    status = main(["run", str(config), "--out", str(out), *case.options])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    _assert_one_line_error(captured.err, case)
    assert _files(out) == []


def test_malformed_toml_error_names_the_line(tmp_path, capsys):
    case = BY_ID["malformed_toml"]
    line = _case_text(case).splitlines().index("horizon_days = = 365") + 1
    assert main(["check", str(_write_case(case, tmp_path))]) == 2
    assert f"(at line {line}, column " in capsys.readouterr().err


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda case: case.id)
def test_api_raises_config_error_with_the_cli_message(case, tmp_path, capsys):
    config = _write_case(case, tmp_path)
    with pytest.raises(facility_impact.ConfigError) as error:
        facility_impact.load_config(config, horizon_days=case.horizon)
    assert main(["run", str(config), "--out", str(tmp_path / "out"), *case.options]) == 2
    assert capsys.readouterr().err == f"{ERROR_PREFIX}{error.value}\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    "case_id",
    [
        "malformed_toml",
        "damage_above_one",
        "missing_file",
        "string_for_number",
        "asymmetric_network",
    ],
)
def test_bad_input_through_a_real_interpreter(case_id, tmp_path):
    case = BY_ID[case_id]
    config = _write_case(case, tmp_path)
    completed = _cli("run", config.name, "--out", "out", cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout == ""
    _assert_one_line_error(completed.stderr, case)
    assert _files(tmp_path / "out") == []


@pytest.mark.slow
def test_failed_run_leaves_earlier_outputs_untouched(tmp_path, capsys):
    config = tmp_path / f"{STEM}.toml"
    config.write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out)]) == 0
    written = {name: (out / name).read_bytes() for name in _files(out)}
    stamps = {name: (out / name).stat().st_mtime_ns for name in written}
    assert sorted(written) == [f"{STEM}-summary.csv", f"{STEM}.nc"]
    capsys.readouterr()

    config.write_text(_case_text(BY_ID["damage_above_one"]), encoding="utf-8")
    assert main(["run", str(config), "--out", str(out)]) == 2
    assert "strike[0].damage.beds = 1.2" in capsys.readouterr().err
    assert _files(out) == sorted(written)
    for name, content in written.items():
        assert (out / name).read_bytes() == content
        assert (out / name).stat().st_mtime_ns == stamps[name]


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    blocker = tmp_path / "results"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["run", str(REFERENCE), "--out", str(blocker)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "--out" in captured.err and str(blocker) in captured.err
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_invalid_option_value_exits_2_without_output(tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(REFERENCE), "--out", str(out), "--horizon", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "--horizon" in err and "'0'" in err and "at least 1" in err
    assert _files(out) == []


@pytest.mark.slow
def test_results_and_summary_appear_together_or_not_at_all(tmp_path, monkeypatch):
    import facility_impact.cli as cli

    def failing_csv(*args, **kwargs):
        raise OSError(28, "No space left on device", "summary.csv")

    monkeypatch.setattr("facility_impact.run.io.save_csv", failing_csv)
    out = tmp_path / "out"
    assert cli.main(["run", str(REFERENCE), "--out", str(out)]) == 2
    assert _files(out) == []


# --------------------------------------------------------------------------- atomic writes


def test_atomic_path_failure_leaves_no_target_and_no_part_file(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_path(target) as temporary:
            assert temporary.parent == tmp_path and temporary != target
            temporary.write_text("half a table", encoding="utf-8")
            raise RuntimeError("disk full")
    assert _files(tmp_path) == []


def test_atomic_path_failure_keeps_the_previous_target(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("new", encoding="utf-8")
            raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "previous"
    assert _files(tmp_path) == ["table.csv"]


def test_atomic_path_success_gives_normal_permissions(tmp_path):
    target = tmp_path / "nested" / "table.csv"
    previous = os.umask(0o022)
    try:
        with atomic_path(target) as temporary:
            temporary.write_text("a,b\n1,2\n", encoding="utf-8")
            assert not target.exists()
    finally:
        os.umask(previous)
    assert target.read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert _files(target.parent) == ["table.csv"]


# --------------------------------------------------------------------------- conventions


def _command_names() -> list[str]:
    parser = build_parser()
    (subcommands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(subcommands.choices)


@pytest.mark.parametrize("command", _command_names())
def test_every_command_takes_quiet_and_verbose(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("-q, --quiet", "-v, --verbose"):
        assert flag in out, (command, flag)


def test_quiet_and_verbose_set_what_the_log_shows(capsys):
    """check of a configuration short of capacity warns: -q keeps the warning (it is
    not a note), -qq drops it; the logger is as it was after each command."""
    package = logging.getLogger("facility_impact")
    shortage = ["--set", "facility.maarat_al_numan.population=120000"]
    expected = []
    for flags, shown in (([], True), (["-q"], True), (["-qq"], False), (["-v"], True)):
        assert main(["check", str(REFERENCE), *shortage, *flags]) == 0
        err = capsys.readouterr().err.splitlines()
        assert bool(err) == shown, flags
        assert all(line.startswith("facility-impact: warning: ") for line in err), err
        expected = expected or err
        assert err in ([], expected)
        assert package.level == logging.NOTSET and package.handlers == [
            h for h in package.handlers if isinstance(h, logging.NullHandler)
        ]


@pytest.mark.slow
def test_verbose_adds_details_and_quiet_removes_notes(tmp_path, capsys):
    config = tmp_path / "clinic.toml"
    config.write_text(ENSEMBLE_TOML, encoding="utf-8")
    args = ["run", str(config), "--out", str(tmp_path / "out"), "--draws", "3"]
    assert main([*args, "-v"]) == 0
    err = capsys.readouterr().err.splitlines()
    note = "--draws has no effect: no input of the configuration is a distribution"
    assert f"facility-impact: note: {note}" in err
    assert any(line.startswith("facility-impact: debug: simulated in ") for line in err)
    assert main([*args, "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_report_and_plots_need_the_in_memory_path(tmp_path, capsys):
    for option in ("--report", "--plots"):
        args = ["run", str(REFERENCE), "--out", str(tmp_path / "out"), option]
        assert main([*args, "--format", "zarr"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith(f"{ERROR_PREFIX}{option} needs --format netcdf")
        assert _files(tmp_path / "out") == []


def test_run_plots_at_column_width_and_a_bad_width_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["run", str(REFERENCE), "--out", str(out), "--horizon", "60", "-q"]
    assert main([*args, "--plots", "--width", "margin"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--width = margin: must be one of page, column" in err
    assert _files(out) == []
    assert main([*args, "--plots", "--width", "column"]) == 0
    capsys.readouterr()
    figures = [name for name in _files(out) if name.endswith(".png")]
    assert figures
    assert all(name.endswith("-column.png") for name in figures), figures


# --------------------------------------------------------------------------- run --json


def _json_keys(node: object) -> set[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in _json_keys(value)}
    if isinstance(node, list):
        return {k for value in node for k in _json_keys(value)}
    return set()


ONE_COMMAND = ("--report", "--plots", "-q", "--json", "--out", "out")


@pytest.fixture(scope="module")
def one_command_run(tmp_path_factory):
    """The issue's command: results, report and figures in one go, quiet, as JSON."""
    cwd = tmp_path_factory.mktemp("one")
    completed = subprocess.run(
        [sys.executable, "-m", "facility_impact", "run", str(REFERENCE), *ONE_COMMAND],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return completed, cwd


@pytest.mark.slow
def test_run_with_report_plots_quiet_json_in_one_command(one_command_run):
    completed, cwd = one_command_run
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    document = json.loads(completed.stdout)
    written = [Path(name) for name in document["files"]]
    assert sorted(p.name for p in written) == _files(cwd / "out")
    names = {p.name for p in written}
    assert {f"{STEM}.nc", f"{STEM}-summary.csv", f"{STEM}-report.html"} <= names
    for figure in ("capacity", "forgone", "standards"):
        assert {f"{STEM}-{figure}.png", f"{STEM}-{figure}.svg"} <= names
    for path in written:
        assert (cwd / path).stat().st_size > 0


@pytest.mark.slow
def test_run_json_holds_the_summary_numbers(one_command_run):
    completed, cwd = one_command_run
    document = json.loads(completed.stdout)
    summary = facility_impact.summarize(_open(cwd / "out" / f"{STEM}.nc"))
    assert document["schema"] == "facility_impact.run/1"
    assert document["configuration"] == STEM
    assert document["draws"] == 0 and document["statistics"] == ["value"]
    assert document["windows_days"] == [30, 90, 180, 365]
    (point,) = document["points"]
    assert point["where"] == {}
    (facility,) = point["facilities"]
    assert facility["facility"] == FACILITY
    assert [s["service"] for s in facility["services"]] == list(SERVICES)
    for entry in facility["services"]:
        one = summary.sel(facility=FACILITY, service=entry["service"])
        for window in entry["windows"]:
            for name in (*ACCOUNTS, "forgone_share"):
                expected = float(one[name].sel(period=window["days"]))
                assert window[name] == {"value": pytest.approx(expected, rel=1e-12)}, name
        for recovery in entry["days_to_capacity"]:
            days = float(one["days_to_capacity"].sel(threshold=recovery["share_of_capacity"]))
            assert recovery["value"] == (days if np.isfinite(days) else None)
    totals = facility["all_services"]["windows"][-1]
    expected = float(summary[all_services("forgone_care")].sel(facility=FACILITY, period=365))
    assert totals["forgone_care"]["value"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.slow
def test_run_report_and_plots_write_what_report_and_plot_write(one_command_run, tmp_path, capsys):
    _, cwd = one_command_run
    assert main(["report", str(cwd / "out" / f"{STEM}.nc"), "--out", str(tmp_path), "-q"]) == 0
    capsys.readouterr()
    for name in _files(tmp_path):
        assert (tmp_path / name).read_bytes() == (cwd / "out" / name).read_bytes(), name


@pytest.mark.slow
def test_run_json_with_draws_and_scenarios(tmp_path, capsys):
    config = tmp_path / "clinic.toml"
    text = ENSEMBLE_TOML.replace(
        "closure_days = 10", 'closure_days = { dist = "uniform", low = 5, high = 15 }'
    )
    text += (
        '\n[scenario.fast]\nlabel = "fast repair"\nset = { "recovery.building.time_days" = 5 }\n'
    )
    config.write_text(text, encoding="utf-8")
    assert main(["run", str(config), "--out", str(tmp_path), "--draws", "20", "--json", "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    document = json.loads(captured.out)
    assert document["draws"] == 20
    assert document["statistics"] == ["p05", "median", "p95"]
    assert [p["where"] for p in document["points"]] == [
        {"scenario": "base", "scenario_label": "base case (as configured)"},
        {"scenario": "fast", "scenario_label": "fast repair"},
    ]
    summary = facility_impact.summarize(_open(tmp_path / "clinic.nc"))
    window = document["points"][1]["facilities"][0]["services"][0]["windows"][0]
    forgone = summary["forgone_care"].sel(
        scenario="fast", facility="clinic", service="outpatient", period=window["days"]
    )
    assert window["forgone_care"] == {
        name: pytest.approx(float(forgone.sel(quantile=q)), rel=1e-12)
        for name, q in (("p05", 0.05), ("median", 0.5), ("p95", 0.95))
    }


@pytest.mark.slow
def test_every_json_key_is_documented(one_command_run):
    completed, _ = one_command_run
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for key in _json_keys(json.loads(completed.stdout)):
        assert f"`{key}`" in text, key


@pytest.mark.slow
def test_results_report_and_figures_appear_together_or_not_at_all(tmp_path, monkeypatch, capsys):
    """A disk that fills while the report is written: no results, no summary, no figure."""
    import facility_impact.run.io as io_module

    write_image = io_module.write_image

    def full_at_the_report(image, path, target=None):
        if str(target).endswith("-report.html"):
            raise OSError(28, "No space left on device", str(target))
        write_image(image, path, target)

    monkeypatch.setattr(io_module, "write_image", full_at_the_report)
    out = tmp_path / "out"
    args = [
        "run",
        str(REFERENCE),
        "--out",
        str(out),
        "--report",
        "--plots",
        "--horizon",
        "60",
        "-q",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"{ERROR_PREFIX}cannot write {out / f'{STEM}-report.html'}: No space left on device\n"
    )
    assert _files(out) == []
