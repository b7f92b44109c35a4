"""The workflow layer (:mod:`facility_impact.commands`): what ``run``,
``sensitivity``, ``plot`` and ``report`` do, called as functions.

The case: the minimal clinic (600 outpatient visits a month) closed for 10 days
by a strike on day 0, over 60 days, with no recovery to wait for. Forgone care
in the first 30 days is the 10 closed days' demand, 10 × 600 / 30.4375 =
197.1253 visits.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import xarray as xr
from helpers import DAYS_PER_MONTH, dist, minimal_config, strike, with_draws

import facility_impact
from facility_impact import commands
from facility_impact.errors import ConfigError
from facility_impact.run.io import read_netcdf
from facility_impact.run.scale import run_chunks

CLOSED_10_DAYS = minimal_config(strikes=[strike(0, closure_days=10)], horizon_days=60)
FORGONE_30_DAYS = 10 * 600 / DAYS_PER_MONTH
NAME = "configuration"
"""The name of a configuration given as a mapping."""


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_package_offers_the_commands_functions():
    assert facility_impact.run_to_files is commands.run_to_files
    assert facility_impact.sensitivity_to_files is commands.sensitivity_to_files
    assert facility_impact.figures_from_file is commands.figures_from_file


def test_run_chunks_default_and_given():
    assert run_chunks() == {"draw": 50_000, "scenario": 1}
    assert run_chunks(7, 10) == {"draw": 7, "scenario": 1, "time": 10}


def test_output_folder_may_be_new_and_is_not_made_before_writing(tmp_path):
    target = tmp_path / "a" / "b"
    assert commands.output_folder(str(target)) == target
    assert not (tmp_path / "a").exists()


def test_output_folder_with_a_file_in_the_way_is_bad_input(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        commands.output_folder(blocker / "sub")
    assert str(error.value) == (
        f'--out = "{blocker / "sub"}": {blocker} is a file; must be a folder (existing or new)'
    )


def test_run_to_files_writes_the_results_and_their_summary(tmp_path):
    config = facility_impact.load_config(CLOSED_10_DAYS)
    out = tmp_path / "out"
    outcome = commands.run_to_files(config, out)
    assert (outcome.data_path, outcome.table_path) == (
        out / f"{NAME}.nc",
        out / f"{NAME}-summary.csv",
    )
    assert _files(out) == [f"{NAME}-summary.csv", f"{NAME}.nc"]
    forgone = outcome.table["forgone_care"].sel(facility="clinic", service="outpatient")
    assert float(forgone.sel(period=30)) == pytest.approx(FORGONE_30_DAYS, rel=1e-12)
    with outcome.table_path.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    row, total = (
        r for r in rows if r["indicator"] == "forgone_care" and r["period_days"] == "30.0"
    )
    assert float(row["value"]) == pytest.approx(FORGONE_30_DAYS, rel=1e-12)
    assert (row["units"], row["unit_label"], row["statistic"]) == ("1", "patients", "value")
    assert total["unit_label"] == "patient contacts of all kinds"
    # One service: its patient contacts of all kinds are its own patients.
    assert total["service"] == "all services (patient contacts of all kinds)"
    assert total["value"] == row["value"]
    xr.testing.assert_equal(read_netcdf(outcome.data_path), facility_impact.simulate(config))


def test_run_to_files_refuses_chunk_options_in_memory_and_unknown_formats(tmp_path):
    config = facility_impact.load_config(CLOSED_10_DAYS)
    with pytest.raises(ConfigError, match='output_format = "zarr"'):
        commands.run_to_files(config, tmp_path, chunks={"time": 10})
    with pytest.raises(ConfigError, match='output_format = "zarr"'):
        commands.run_to_files(config, tmp_path, workers=2)
    with pytest.raises(ConfigError) as error:
        commands.run_to_files(config, tmp_path, output_format="parquet")
    assert str(error.value) == '--format = "parquet": must be one of netcdf, zarr'
    assert _files(tmp_path) == []


def test_sensitivity_to_files_writes_the_indices(tmp_path):
    # Closure U(0, 60) days on day 0 of a 60-day run, the only uncertain input.
    uncertain = minimal_config(
        strikes=[strike(0, closure_days=dist("uniform", low=0, high=60))], seed=17
    )
    config = facility_impact.load_config(with_draws(uncertain, 20))
    outcome = commands.sensitivity_to_files(config, tmp_path)
    assert _files(tmp_path) == [f"{NAME}-sensitivity.csv", f"{NAME}-sensitivity.nc"]
    xr.testing.assert_identical(outcome.table, facility_impact.sensitivity(config))
    xr.testing.assert_identical(read_netcdf(outcome.data_path), outcome.table)
    # One input, and forgone care is ``daily × closed days``: the ranks agree exactly.
    rho = outcome.table["rank_correlation"].sel(facility="clinic", service="outpatient")
    assert float(rho.squeeze()) == pytest.approx(1.0, abs=1e-12)


def test_figures_from_file_reads_the_results_before_checking_the_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match="results file not found"):
        commands.figures_from_file(tmp_path / "absent.nc", blocker)
    assert _files(tmp_path) == ["file"]


@pytest.mark.slow
def test_figures_from_file_draws_into_the_results_folder_by_default(tmp_path):
    pytest.importorskip("matplotlib")
    config = facility_impact.load_config(CLOSED_10_DAYS)
    outcome = commands.run_to_files(config, tmp_path / "results")
    drawn = commands.figures_from_file(outcome.data_path)
    assert drawn.paths and all(path.parent == tmp_path / "results" for path in drawn.paths)
    assert {path.suffix for path in drawn.paths} == {".png", ".svg"}
    assert all(path.name.startswith(f"{NAME}-") and path.is_file() for path in drawn.paths)
    # No scenarios in the configuration: the scenario figure does not apply.
    assert any(note.startswith("Scenario comparison: not drawn") for note in drawn.notes)
