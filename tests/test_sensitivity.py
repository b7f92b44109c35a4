"""Sensitivity: which uncertain inputs drive forgone care (Spearman and Sobol).

The test case has one input that obviously dominates: the clinic is closed
for ``closure_days ~ U(0, 60)`` days of a 60-day run, while demand is
``demand_ratio ~ U(0.99, 1.00)`` times the volume. Nobody waits and there is no
alternative, so forgone care over the run is ``daily × r × k`` with ``k`` the
closed days (never a shortage: r ≤ 1): the closure moves it by up to 60 days of
care, the demand ratio by less than one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import dist, edited, minimal_config, service, strike, with_draws
from scipy import stats

from facility_impact import ConfigError, load_config, simulate, summarize
from facility_impact.cli import main
from facility_impact.model.parameters import build_parameters
from facility_impact.run.io import read_netcdf
from facility_impact.run.sensitivity import rank_correlation, sensitivity, uncertain_streams

CLOSURE = "strike[0].closure_days"
DEMAND = "facility.clinic.services.outpatient.demand_ratio"
WHERE = {"facility": "clinic", "service": "outpatient"}


def dominated_config(draws: int = 100) -> dict:
    config = minimal_config(
        services={
            "outpatient": service(
                600.0, {"building": 1.0}, demand_ratio=dist("uniform", low=0.99, high=1.0)
            )
        },
        strikes=[strike(0, closure_days=dist("uniform", low=0, high=60))],
        horizon_days=60,
        seed=17,
    )
    return with_draws(config, draws)


def two_services(config: dict) -> dict:
    """``config`` with a second service (300 a month, fixed demand) closed with the first."""
    return edited(config, {"facility.clinic.services.emergency": service(300.0, {"building": 1.0})})


# The dominated case as a file, with the second service.
DOMINATED_TOML = """\
title = "one input dominates"

[run]
horizon_days = 60
seed = 17
draws = 40

[facility.clinic]
population = 10000
resources = { staff = 10, building = 1 }

[facility.clinic.services.outpatient]
volume_per_month = 600
needs = { building = 1.0 }
demand_ratio = { dist = "uniform", low = 0.99, high = 1.0 }

[facility.clinic.services.emergency]
volume_per_month = 300
needs = { building = 1.0 }

[[strike]]
day = 0
closure_days = { dist = "uniform", low = 0, high = 60 }
damage = {}
"""


# --------------------------------------------------------------------------- Spearman


def test_spearman_recovers_the_dominant_input():
    indices = sensitivity(load_config(dominated_config()))
    assert indices.attrs["method"] == "spearman"
    rho = indices["rank_correlation"].sel(WHERE)
    assert sorted(rho["input"].values.tolist()) == sorted([CLOSURE, DEMAND])
    assert float(rho.sel(input=CLOSURE)) > 0.95
    assert abs(float(rho.sel(input=DEMAND))) < 0.2
    assert indices.attrs["model_evaluations"] == 100
    assert indices.attrs["period_days"] == 60.0


def test_rank_correlation_equals_scipy_spearman_on_the_same_draws():
    results = simulate(dominated_config(draws=30))
    indices = rank_correlation(results)
    forgone = summarize(results, quantiles=None)["forgone_care"].sel({**WHERE, "period": 60.0})
    for stream in (CLOSURE, DEMAND):
        quantiles = results["input_quantile"].sel(input=stream).values
        expected = stats.spearmanr(quantiles, forgone.values).statistic
        assert float(indices["rank_correlation"].sel({**WHERE, "input": stream})) == pytest.approx(
            expected, rel=1e-10, abs=1e-12
        )


def test_rank_correlation_per_scenario():
    """With the closure fixed in a scenario, demand alone moves forgone care there."""
    config = dominated_config(draws=30)
    config["scenario"] = {"fixed": {"set": {"strike.0.closure_days": 20}}}
    rho = sensitivity(load_config(config))["rank_correlation"].sel(WHERE)
    assert float(rho.sel(scenario="base", input=CLOSURE)) > 0.95
    assert float(rho.sel(scenario="fixed", input=DEMAND)) == pytest.approx(1.0, abs=1e-12)
    assert abs(float(rho.sel(scenario="fixed", input=CLOSURE))) < 0.5


@pytest.mark.slow
def test_rank_correlation_for_a_chosen_window():
    """In the first 30 days a closure longer than 30 days counts as 30: by hand,
    forgone care is ``daily × r × min(k, 30)``."""
    config = load_config(dominated_config(draws=30))
    results = simulate(config)
    params = build_parameters(config)
    closed = np.minimum(np.ceil(params["strike_closure_days"].sel(strike=0).values), 30)
    # demand_ratio is folded into baseline_demand = capacity x ratio.
    ratio = (params["baseline_demand"] / params["baseline_capacity"]).sel(WHERE).values
    by_hand = closed * ratio
    indices = rank_correlation(results, period_days=30)
    assert indices.attrs["period_days"] == 30.0
    assert "30 days" in indices.attrs["output"]
    for stream in (CLOSURE, DEMAND):
        quantiles = results["input_quantile"].sel(input=stream).values
        expected = stats.spearmanr(quantiles, by_hand).statistic
        assert float(indices["rank_correlation"].sel({**WHERE, "input": stream})) == pytest.approx(
            expected, rel=1e-10
        )
    at_horizon = rank_correlation(results)["rank_correlation"].sel({**WHERE, "input": CLOSURE})
    assert float(indices["rank_correlation"].sel({**WHERE, "input": CLOSURE})) < float(at_horizon)
    with pytest.raises(ConfigError, match=r"--period = 45: must be one of .*30.*60"):
        rank_correlation(results, period_days=45)


def test_shared_stream_is_one_input():
    config = edited(
        dominated_config(draws=20),
        {
            "strike.0.closure_days": dist("uniform", low=0, high=60, stream="severity"),
            "strike.0.damage.building": dist("uniform", low=0, high=1, stream="severity"),
        },
    )
    indices = sensitivity(load_config(config))
    assert indices["input"].values.tolist() == [DEMAND, "severity"]
    assert indices["input_keys"].sel(input="severity").item() == (
        "strike[0].closure_days, strike[0].damage.building"
    )


# --------------------------------------------------------------------------- Sobol


def _check_sobol_ranking(indices, services=("outpatient",)):
    for name in services:
        where = {"facility": "clinic", "service": name}
        first = indices["first_order"].sel(where)
        total = indices["total_order"].sel(where)
        assert float(first.sel(input=CLOSURE)) > 0.8, name
        assert float(total.sel(input=CLOSURE)) > 0.8, name
        assert abs(float(first.sel(input=DEMAND))) < 0.1, name
        assert abs(float(total.sel(input=DEMAND))) < 0.1, name


@pytest.mark.slow
def test_sobol_recovers_the_dominant_input():
    """The issue's case as it stands: one facility, one service, two inputs."""
    # A base sample of 32 (a power of two): 32 (2 + 2) = 128 model evaluations.
    indices = sensitivity(load_config(dominated_config(draws=32)), method="sobol")
    assert indices.attrs["method"] == "sobol"
    assert indices.attrs["model_evaluations"] == 32 * (2 + 2)
    _check_sobol_ranking(indices)


@pytest.mark.slow
def test_sobol_recovers_the_dominant_input_for_each_service():
    indices = sensitivity(load_config(two_services(dominated_config(draws=32))), method="sobol")
    assert indices.attrs["model_evaluations"] == 32 * (2 + 2)
    _check_sobol_ranking(indices, services=("outpatient", "emergency"))


def test_sobol_with_a_single_uncertain_input():
    config = two_services(
        edited(dominated_config(draws=16), {"facility.clinic.services.outpatient.demand_ratio": 1})
    )
    indices = sensitivity(load_config(config), method="sobol")
    assert indices["input"].values.tolist() == [CLOSURE]
    for name in ("first_order", "total_order"):
        np.testing.assert_allclose(indices[name].sel(input=CLOSURE).values, 1.0, atol=0.1)


@pytest.mark.slow
def test_sobol_base_sample_is_the_draws_rounded_up_to_a_power_of_two():
    indices = sensitivity(load_config(two_services(dominated_config(draws=20))), method="sobol")
    assert indices.attrs["model_evaluations"] == 32 * (2 + 2)


# --------------------------------------------------------------------------- refusals


def test_configuration_without_distributions_is_refused():
    config = load_config(minimal_config(strikes=[strike(0, closure_days=[5, 10])], horizon_days=30))
    assert uncertain_streams(config) == []
    for method in ("spearman", "sobol"):
        with pytest.raises(ConfigError, match="no distribution"):
            sensitivity(config, method=method)
    with pytest.raises(ConfigError, match="no uncertain inputs"):
        rank_correlation(simulate(config))


def test_unknown_method_is_refused():
    with pytest.raises(ConfigError, match=r"--method = 'kendall': must be one of spearman, sobol"):
        sensitivity(load_config(dominated_config(draws=10)), method="kendall")


# --------------------------------------------------------------------------- command line


@pytest.fixture
def dominated_file(tmp_path) -> Path:
    path = tmp_path / "dominated.toml"
    path.write_text(DOMINATED_TOML, encoding="utf-8")
    return path


def _ranked_inputs(stdout: str) -> list[str]:
    """The inputs in the order the ranking prints them."""
    return [line.split()[0] for line in stdout.splitlines() if line.startswith("  ")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "measure"), [("spearman", "rank_correlation"), ("sobol", "total_order")]
)
def test_cli_writes_the_two_files_and_prints_the_ranking(
    method, measure, dominated_file, tmp_path, capsys
):
    out = tmp_path / "out"
    options = ["--draws", "16"] if method == "sobol" else []
    argv = ["sensitivity", str(dominated_file), "--method", method, "--out", str(out), *options]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "dominated-sensitivity.csv",
        "dominated-sensitivity.nc",
    ]
    assert f"({method})" in captured.out
    assert _ranked_inputs(captured.out) == [CLOSURE, DEMAND] * 2  # per service
    assert "wrote" in captured.out
    stored = read_netcdf(out / "dominated-sensitivity.nc")
    assert stored.attrs["method"] == method
    value = float(stored[measure].sel({**WHERE, "input": CLOSURE}))
    assert value > 0.8
    assert f"{value:+.2f}" in captured.out
    with (out / "dominated-sensitivity.csv").open(newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if row["indicator"] == measure]
    assert len(rows) == 2 * 2  # the tidy table: one row per service and input
    assert {row["input"] for row in rows} == {CLOSURE, DEMAND}
    assert {row["units"] for row in rows} == {"1"}


def test_cli_sensitivity_accepts_set_and_period(dominated_file, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        "sensitivity",
        str(dominated_file),
        "--out",
        str(out),
        "--period",
        "30",
        "--set",
        "strike.0.closure_days=10",
    ]
    assert main(argv) == 0
    capsys.readouterr()
    stored = read_netcdf(out / "dominated-sensitivity.nc")
    assert float(stored.attrs["period_days"]) == 30.0
    # With the closure fixed, only the demand ratio is uncertain.
    assert stored["input"].values.tolist() == [DEMAND]
    assert float(stored["rank_correlation"].sel({**WHERE, "input": DEMAND})) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--period", "45"), ("--period = 45", "must be one of", "30", "60")),
        (
            (
                "--set",
                "strike.0.closure_days=10",
                "--set",
                "facility.clinic.services.outpatient.demand_ratio=1",
            ),
            ("no distribution",),
        ),
        (("--method", "kendall"), ("--method", "kendall", "spearman", "sobol")),
        (("--draws", "0"), ("--draws", "'0'", "at least 1")),
    ],
    ids=["bad_period", "nothing_uncertain", "unknown_method", "zero_draws"],
)
def test_cli_sensitivity_bad_input_exits_2_with_one_line(
    options, expected, dominated_file, tmp_path, capsys
):
    out = tmp_path / "out"
    try:
        status = main(["sensitivity", str(dominated_file), "--out", str(out), *options])
    except SystemExit as exit_info:
        status = exit_info.code
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    for part in expected:
        assert part in lines[0], f"{part!r} missing from {lines[0]!r}"
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.slow
def test_cli_sensitivity_is_reproducible(dominated_file, tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["sensitivity", str(dominated_file), "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    xr.testing.assert_identical(
        read_netcdf(tmp_path / "a" / "dominated-sensitivity.nc"),
        read_netcdf(tmp_path / "b" / "dominated-sensitivity.nc"),
    )
    assert np.isfinite(
        read_netcdf(tmp_path / "a" / "dominated-sensitivity.nc")["rank_correlation"].values
    ).all()
