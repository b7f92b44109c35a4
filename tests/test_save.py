"""What a run writes (``run --save summary|daily``, docs/outputs.md) and the summary's
sums over days (results/day_sums.py): the same numbers as before, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import ENSEMBLE_TOML, dist, minimal_config, strike, with_draws

import facility_impact
from facility_impact import commands
from facility_impact.cli import main
from facility_impact.results.day_sums import day_by_day, sum_over_days
from facility_impact.results.saved import (
    BAND_QUANTILES,
    daily_bands,
    daily_quantiles,
    has_bands,
    saved_summary,
    stored_per_run,
)
from facility_impact.results.summary import _last_day, summarize
from facility_impact.run import io, summarising, summary_store

UNCERTAIN_TOML = ENSEMBLE_TOML.replace(
    "closure_days = 10", 'closure_days = { dist = "uniform", low = 0, high = 30 }'
).replace("seed = 11", "seed = 11\ndraws = 25")


def _uncertain(draws: int = 30):
    config = minimal_config(
        strikes=[strike(3, closure_days=dist("uniform", low=0, high=40), damage={"staff": 0.4})],
        seed=17,
    )
    return facility_impact.load_config(with_draws(config, draws))


# --- sums over windows, day by day ------------------------------------------


def _windows(days: int, first: int, lengths: list[int]) -> np.ndarray:
    mask = np.zeros((days, len(lengths)))
    for column, length in enumerate(lengths):
        mask[first : first + length, column] = 1.0
    return mask


def test_windows_from_one_day_add_their_days_by_hand():
    matrix = np.array([[1.0], [2.0], [4.0], [8.0]], dtype=np.float32)
    summed = day_by_day(_windows(4, 1, [2, 3, 0]), matrix)
    assert summed.dtype == np.float64
    assert summed[:, 0].tolist() == [6.0, 14.0, 0.0]


def test_windows_that_do_not_share_a_first_day_add_their_own_days():
    matrix = np.array([[1.0], [2.0], [4.0], [8.0]])
    mask = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    assert day_by_day(mask, matrix)[:, 0].tolist() == [5.0, 6.0]


def test_a_day_that_is_not_finite_outside_a_window_makes_it_nan_as_the_product_does():
    matrix = np.array([[np.nan, 1.0], [2.0, 2.0], [4.0, np.inf], [8.0, 1.0]])
    mask = _windows(4, 1, [1, 2])
    summed = day_by_day(mask, matrix)
    with np.errstate(invalid="ignore"):
        expected = mask.T @ matrix
    np.testing.assert_array_equal(summed, expected)  # NaN where the product has NaN


@pytest.mark.parametrize("first", [0, 7])
@pytest.mark.parametrize("columns", [1, 3, 500])
def test_window_sums_equal_the_float64_matrix_product_bit_for_bit(first, columns):
    rng = np.random.default_rng(first + columns)
    days = 365
    matrix = (rng.random((days, columns)) * 1e3).astype(np.float32)
    mask = _windows(days, first, [30, 90, 180, days - first, days - first])
    expected = mask.T @ matrix.astype(np.float64)
    np.testing.assert_array_equal(day_by_day(mask, matrix), expected)


def test_sum_over_days_keeps_the_axes_of_its_values():
    rng = np.random.default_rng(3)
    values = rng.random((6, 2, 3)).astype(np.float32).transpose(1, 2, 0)  # days stored first
    mask = _windows(6, 2, [2, 4])
    summed = sum_over_days(values, mask)
    assert summed.shape == (2, 3, 2)
    np.testing.assert_array_equal(summed, np.einsum("abt,tp->abp", values.astype(float), mask))


def test_the_last_day_flagged_is_found_by_index_as_where_and_max_find_it():
    day = xr.DataArray(np.arange(5) + 10, dims="time", name="day", attrs={"units": "d"})
    flags = xr.DataArray(
        np.array([[0, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool).T,
        dims=("time", "draw"),
    )
    last = _last_day(day, flags)
    np.testing.assert_array_equal(last.values, [13.0, np.nan, 14.0])
    xr.testing.assert_identical(last, day.where(flags).max("time"))


# --- daily bands ------------------------------------------------------------


@pytest.mark.parametrize("draws", [1, 2, 7, 40])
def test_daily_quantiles_are_those_of_xarray_in_the_days_precision(draws):
    rng = np.random.default_rng(draws)
    values = xr.DataArray(
        rng.random((draws, 3, 5)).astype(np.float32), dims=("draw", "service", "time")
    )
    values[:, 0, 0] = 2.0  # the same in every draw
    banded = daily_quantiles(values, BAND_QUANTILES)
    expected = values.quantile(list(BAND_QUANTILES), dim="draw").transpose("quantile", ...)
    assert banded.dims == ("quantile", "service", "time")
    assert banded.dtype == np.float32
    np.testing.assert_allclose(banded.values, expected.values, rtol=2e-7)
    assert (banded.sel(quantile=0.5)[0, 0] == 2.0).item()


def test_daily_quantiles_keep_nan():
    values = xr.DataArray(np.array([[1.0, np.nan], [2.0, 3.0]]), dims=("draw", "time"))
    banded = daily_quantiles(values, BAND_QUANTILES)
    assert np.isnan(banded.sel(quantile=0.5).values[1])
    assert banded.sel(quantile=0.5).values[0] == 1.5


# --- the summary file -------------------------------------------------------


@pytest.fixture(scope="module")
def uncertain_results() -> xr.Dataset:
    return facility_impact.simulate(_uncertain())


def test_a_summary_file_gives_back_the_summary_of_the_daily_results(uncertain_results, tmp_path):
    per_draw = summarize(uncertain_results, quantiles=None)
    path = io.write_netcdf(saved_summary(uncertain_results, per_draw), tmp_path / "s.nc")
    stored = commands.read_results(path)
    assert has_bands(stored)
    assert "time" in stored["capacity"].dims and "draw" not in stored["capacity"].dims
    xr.testing.assert_identical(summarize(stored), summarize(uncertain_results))
    xr.testing.assert_identical(summarize(stored, quantiles=None), per_draw)
    banded = stored["served"].sel(quantile=0.95)
    expected = uncertain_results["served"].quantile(0.95, dim="draw")
    np.testing.assert_allclose(banded.values, expected.transpose(*banded.dims).values, rtol=2e-7)
    closed = (uncertain_results["is_open"] < 0.5).mean("draw")
    np.testing.assert_array_equal(stored["closed_share"].values, closed.values)


def test_summaries_and_bands_on_two_threads_are_those_computed_one_after_the_other(
    uncertain_results, monkeypatch
):
    monkeypatch.setattr(summarising, "local_cores", lambda: 2)
    per_draw, bands = summarising.per_draw_and_bands(uncertain_results, bands=True)
    xr.testing.assert_identical(per_draw, summarize(uncertain_results, quantiles=None))
    assert bands is not None
    alone = daily_bands(uncertain_results)
    assert sorted(bands) == sorted(alone) and "closed_share" in bands
    for name, band in alone.items():
        xr.testing.assert_identical(bands[name], band)
    xr.testing.assert_identical(
        saved_summary(uncertain_results, per_draw, bands),
        saved_summary(uncertain_results, per_draw),
    )
    assert summarising.per_draw_and_bands(uncertain_results, bands=False)[1] is None


def test_a_file_of_daily_results_holds_no_stored_summary(uncertain_results):
    assert stored_per_run(uncertain_results) is None


def test_a_run_without_draws_writes_its_daily_results_either_way(tmp_path):
    config = facility_impact.load_config(minimal_config(strikes=[strike(3, closure_days=5)]))
    results = facility_impact.simulate(config)
    assert saved_summary(results, summarize(results, quantiles=None)) is results
    written = {
        save: commands.run_to_files(config, tmp_path / save, save=save).data_path.read_bytes()
        for save in ("summary", "daily")
    }
    assert written["summary"] == written["daily"] == bytes(io.netcdf_image(results))


def test_save_daily_writes_every_draw_as_before_and_summary_no_daily_draws(tmp_path):
    config = _uncertain(draws=60)
    daily = commands.run_to_files(config, tmp_path / "daily", save="daily").data_path
    assert daily.read_bytes() == bytes(io.netcdf_image(facility_impact.simulate(config)))
    summary = commands.run_to_files(config, tmp_path / "summary").data_path
    stored = commands.read_results(summary)
    both = [n for n, v in stored.data_vars.items() if {"draw", "time"} <= set(v.dims)]
    assert both == []
    csv = [path.with_name(f"{path.stem}-summary.csv").read_bytes() for path in (daily, summary)]
    assert csv[0] == csv[1]


def test_a_bad_save_is_refused_before_anything_is_simulated(tmp_path):
    with pytest.raises(facility_impact.ConfigError, match="--save"):
        commands.run_to_files(_uncertain(), tmp_path, save="everything")
    assert not tmp_path.joinpath("clinic.nc").exists()


@pytest.mark.slow
@pytest.mark.parametrize("save", ["summary", "daily"])
def test_run_then_report_and_plot_on_the_command_line(save, tmp_path, capsys):
    config = tmp_path / "uncertain.toml"
    config.write_text(UNCERTAIN_TOML, encoding="utf-8")
    out = tmp_path / save
    assert main(["run", str(config), "--out", str(out), "--save", save, "-q"]) == 0
    results = out / "uncertain.nc"
    stored = commands.read_results(results)
    assert has_bands(stored) == (save == "summary")
    assert main(["report", str(results), "--out", str(out / "report"), "-q"]) == 0
    assert main(["plot", str(results), "--out", str(out / "plots"), "-q"]) == 0
    assert list((out / "report").glob("*-report.html"))
    drawn = sorted(path.name for path in (out / "plots").glob("*.png"))
    assert "uncertain-capacity.png" in drawn and "uncertain-sensitivity.png" in drawn
    capsys.readouterr()


@pytest.mark.slow
def test_the_report_of_a_summary_file_has_the_numbers_of_the_daily_one(tmp_path):
    config = _uncertain(draws=40)
    pages = {}
    for save in ("summary", "daily"):
        path = commands.run_to_files(config, tmp_path / save, save=save).data_path
        commands.figures_from_file(path, tmp_path / f"{save}-report", html=True)
        page = next(Path(tmp_path / f"{save}-report").glob("*-report.html"))
        text = page.read_text(encoding="utf-8")
        pages[save] = text[text.index("<table") : text.index("</table>")]
    assert pages["summary"] == pages["daily"]


def test_the_command_line_refuses_a_bad_save(tmp_path, capsys):
    config = tmp_path / "uncertain.toml"
    config.write_text(UNCERTAIN_TOML, encoding="utf-8")
    with pytest.raises(SystemExit) as raised:
        main(["run", str(config), "--out", str(tmp_path), "--save", "all"])
    assert raised.value.code == 2
    assert "--save" in capsys.readouterr().err


def test_a_run_keeps_summaries_by_default_in_either_format():
    assert commands.check_save(None, "zarr") == "summary"
    assert commands.check_save(None, "netcdf") == "summary"
    with pytest.raises(facility_impact.ConfigError, match='--save = "weekly": must be one of'):
        commands.check_save("weekly", "zarr")


def _stored_rows(store: Path) -> xr.Dataset:
    with xr.open_zarr(store, group="per_run") as rows:
        return rows.load()


@pytest.mark.parametrize("part_bytes", [None, 1])
def test_a_summary_store_holds_each_draws_summaries_of_the_in_memory_run(
    tmp_path, monkeypatch, part_bytes
):
    """In parts of 12 draws (all at once) or of one draw each (``PART_BYTES`` of 1 B):
    the same per-draw rows, bit for bit, and the same summary table; the bands are
    those of the first part's draws."""
    if part_bytes is not None:
        monkeypatch.setattr(summary_store, "PART_BYTES", part_bytes)
    config = _uncertain(12)
    outcome = commands.run_to_files(config, tmp_path / "zarr", output_format="zarr")
    assert outcome.data_path.suffix == ".zarr"
    results = facility_impact.simulate(config)
    per_draw = summarize(results, quantiles=None)
    rows = _stored_rows(outcome.data_path)
    for name, values in per_draw.data_vars.items():
        np.testing.assert_array_equal(rows[name].transpose(*values.dims).values, values.values)
    in_memory = commands.run_to_files(config, tmp_path / "nc")
    assert outcome.table_path.read_bytes() == in_memory.table_path.read_bytes()
    with xr.open_zarr(outcome.data_path) as stored:
        stored = stored.load()
    band_draws = 12 if part_bytes is None else 1
    assert stored.attrs["saved"] == "summary" and stored.attrs["band_draws"] == band_draws
    assert "draw" not in stored["served"].dims and stored.sizes["draw"] == 12
    expected = daily_bands(results.isel(draw=slice(0, band_draws)))
    for name in ("served", "capacity", "forgone", "closed_share"):
        band = stored[name].transpose(*expected[name].dims)
        np.testing.assert_array_equal(band.values, expected[name].values)


def test_a_summary_store_of_a_run_without_draws_holds_its_days(tmp_path):
    config = facility_impact.load_config(minimal_config(strikes=[strike(3, closure_days=5)]))
    outcome = commands.run_to_files(config, tmp_path, output_format="zarr")
    with xr.open_zarr(outcome.data_path) as stored:
        expected = facility_impact.simulate(config)
        served = stored["served"].transpose(*expected["served"].dims).values
        np.testing.assert_array_equal(served, expected["served"].values)


@pytest.mark.slow
def test_a_summary_file_of_a_network_with_draws_draws_its_load_figure(tmp_path):
    import tomllib

    repo = Path(__file__).resolve().parents[1]
    with (repo / "configs" / "idlib_region.toml").open("rb") as stream:
        config = tomllib.load(stream)
    config["strike"][0]["closure_days"] = {"dist": "uniform", "low": 5, "high": 60}
    config["run"]["draws"] = 4
    config.pop("scenario", None)
    outcome = commands.run_to_files(facility_impact.load_config(config), tmp_path)
    stored = commands.read_results(outcome.data_path)
    xr.testing.assert_identical(summarize(stored), outcome.table)
    drawn = commands.figures_from_file(outcome.data_path, tmp_path / "figures")
    assert any(p.name.endswith("-load.png") for p in drawn.paths)
