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
import logging
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import dist, edited, minimal_config, service, strike, with_draws
from scipy import stats

from facility_impact import ConfigError, load_config, simulate, summarize
from facility_impact.cli import main
from facility_impact.model.parameters import build_parameters
from facility_impact.present.sensitivity_table import format_sensitivity
from facility_impact.run import intervals
from facility_impact.run.io import read_netcdf
from facility_impact.run.sensitivity import (
    rank_correlation,
    sensitivity,
    sobol_sample,
    uncertain_streams,
)

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
        # One input explains all the variance: exactly 1, and so is its interval.
        for part in ("", "_low", "_high"):
            np.testing.assert_array_equal(indices[f"{name}{part}"].sel(input=CLOSURE).values, 1.0)


@pytest.mark.slow
def test_sobol_base_sample_is_the_draws_rounded_up_to_a_power_of_two():
    indices = sensitivity(load_config(two_services(dominated_config(draws=20))), method="sobol")
    assert indices.attrs["model_evaluations"] == 32 * (2 + 2)


# --------------------------------------------------------------------------- intervals


def test_sobol_estimator_and_sample_are_scipys():
    """The sample and the estimator :func:`sobol` uses give scipy's own indices."""

    def model(x):
        return np.stack([3 * x[0] + x[1] ** 2, x[0] * x[1]])

    expected = stats.sobol_indices(
        func=model, n=256, dists=[stats.uniform(), stats.uniform()], rng=np.random.default_rng(5)
    )
    values = model(sobol_sample(2, 256, 5))
    f_a, f_b, f_ab = values[:, :256], values[:, 256:512], values[:, 512:].reshape(2, 2, 256)
    first, total = intervals.saltelli_indices(f_a, f_b, f_ab.transpose(1, 0, 2))
    np.testing.assert_allclose(first, expected.first_order, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(total, expected.total_order, rtol=1e-12, atol=1e-14)


def test_sobol_intervals_of_a_linear_function_hold_the_analytic_indices():
    """Y = a X1 + b X2, X uniform and independent: S_i = ST_i = a_i^2 / (a^2 + b^2)."""
    a, b, base = 2.0, 1.0, 512
    x = sobol_sample(2, base, 11)
    y = (a * x[0] + b * x[1])[None, :]
    f_a, f_b = y[:, :base], y[:, base : 2 * base]
    f_ab = y[:, 2 * base :].reshape(1, 2, base).transpose(1, 0, 2)
    first, total = intervals.saltelli_indices(f_a, f_b, f_ab)
    low, high = intervals.sobol_intervals(f_a, f_b, f_ab, np.random.default_rng(3))
    analytic = np.array([a**2, b**2]) / (a**2 + b**2)
    for which, estimate in enumerate((first[0], total[0])):
        np.testing.assert_allclose(estimate, analytic, atol=0.03)
        assert (low[which, 0] <= analytic).all() and (analytic <= high[which, 0]).all()
        assert (high[which, 0] - low[which, 0] < 0.2).all()


# Forgone care of the product case: daily volume x demand ratio r x closed days k, with
# k = ceil(U(0, 60)) uniform on 1..60 and r ~ U(0.2, 1) (r <= 1: never a shortage).
RATIO = (0.2, 1.0)


def product_config(draws: int, seed: int = 17) -> dict:
    config = edited(dominated_config(draws), {DEMAND: dist("uniform", low=RATIO[0], high=RATIO[1])})
    config["run"]["seed"] = seed
    return config


def product_indices() -> dict[str, dict[str, float]]:
    """Sobol indices of Y = r k for independent r and k, by hand:
    Var Y = E[r^2] E[k^2] - E[r]^2 E[k]^2; S_k = E[r]^2 Var k / Var Y,
    S_r = E[k]^2 Var r / Var Y, ST_k = E[r^2] Var k / Var Y, ST_r = E[k^2] Var r / Var Y."""
    mean_r, var_r = sum(RATIO) / 2, (RATIO[1] - RATIO[0]) ** 2 / 12
    mean_k, var_k = 30.5, (60**2 - 1) / 12
    square_r, square_k = var_r + mean_r**2, var_k + mean_k**2
    var_y = square_r * square_k - mean_r**2 * mean_k**2
    return {
        "first_order": {CLOSURE: mean_r**2 * var_k / var_y, DEMAND: mean_k**2 * var_r / var_y},
        "total_order": {CLOSURE: square_r * var_k / var_y, DEMAND: square_k * var_r / var_y},
    }


def test_forgone_care_of_the_product_case_is_ratio_times_closed_days():
    config = load_config(product_config(draws=50))
    results = simulate(config)
    params = build_parameters(config)
    forgone = summarize(results, quantiles=None)["forgone_care"].sel({**WHERE, "period": 60.0})
    closed = np.ceil(params["strike_closure_days"].sel(strike=0).values)
    ratio = (params["baseline_demand"] / params["baseline_capacity"]).sel(WHERE).values
    daily = float(params["baseline_capacity"].sel(WHERE))
    np.testing.assert_allclose(forgone.values, daily * ratio * closed, rtol=1e-6)


def test_sobol_through_the_model_holds_the_analytic_indices():
    """The product case through the whole model: each estimate within 0.03 of its
    value by hand, which lies within its 95 % interval."""
    indices = sensitivity(load_config(product_config(draws=1024)), method="sobol").sel(WHERE)
    for name, by_input in product_indices().items():
        for stream, analytic in by_input.items():
            at = {"input": stream}
            estimate = float(indices[name].sel(at))
            low, high = (float(indices[f"{name}_{end}"].sel(at)) for end in ("low", "high"))
            assert estimate == pytest.approx(analytic, abs=0.03), (name, stream)
            assert low <= analytic <= high, (name, stream, low, high)
            assert high - low < 0.2
    assert indices.attrs["confidence_level"] == 0.95


def test_rank_correlation_intervals_cover_the_true_value_about_95_times_in_100():
    """Bivariate normal with Pearson r: Spearman's rho_s = (6 / pi) arcsin(r / 2)."""
    r, n, repeats = 0.6, 100, 400
    rho_s = 6 / np.pi * np.arcsin(r / 2)
    generator = np.random.default_rng(2024)
    covered = 0
    for _ in range(repeats):
        x, y = generator.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n).T
        low, high = intervals.rank_correlation_interval(
            np.array(stats.spearmanr(x, y).statistic), n
        )
        covered += bool(low <= rho_s <= high)
    assert 0.92 <= covered / repeats <= 0.98


def test_rank_correlation_interval_is_fisher_z_with_the_spearman_variance():
    low, high = intervals.rank_correlation_interval(np.array([0.0, 0.5, np.nan]), 103)
    half = stats.norm.ppf(0.975) * np.sqrt(1.06 / 100)
    np.testing.assert_allclose(low[:2], np.tanh(np.arctanh([0.0, 0.5]) - half))
    np.testing.assert_allclose(high[:2], np.tanh(np.arctanh([0.0, 0.5]) + half))
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_a_correlation_that_is_noise_is_marked():
    """The demand ratio barely moves forgone care: its interval includes 0, the
    closure's does not; the table marks the one and not the other."""
    indices = sensitivity(load_config(dominated_config(draws=100)), tolerance=1.0)
    marks = indices["includes_zero"].sel(WHERE)
    assert bool(marks.sel(input=DEMAND)) and not bool(marks.sel(input=CLOSURE))
    table = format_sensitivity(indices).splitlines()
    closure_line = next(line for line in table if line.startswith(f"  {CLOSURE} "))
    demand_at = table.index(f"  {DEMAND}")  # a long name: its numbers on the next line
    assert "≈0" not in closure_line and table[demand_at + 1].rstrip().endswith("≈0")


def _no_variance_config(draws: int) -> dict:
    """Closed for 40-60 days: in the first 30 days the emergency service (fixed demand)
    loses the same care in every draw; outpatient varies with its demand ratio."""
    config = edited(
        two_services(dominated_config(draws)),
        {"strike.0.closure_days": dist("uniform", low=40, high=60)},
    )
    return config


@pytest.mark.parametrize("method", ["spearman", "sobol"])
def test_an_output_without_variance_has_nan_indices_not_zero(method, caplog):
    indices = sensitivity(load_config(_no_variance_config(draws=32)), method=method, period_days=30)
    still = indices.sel(facility="clinic", service="emergency")
    moving = indices.sel(WHERE)
    for name in [n for n in indices.data_vars if n != "includes_zero"]:
        assert bool(still[name].isnull().all()), name
        assert bool(moving[name].sel(input=DEMAND).notnull()), name
    assert "emergency" in format_sensitivity(indices).split("no index")[-1]


def test_wide_intervals_warn_with_the_draws_that_would_narrow_them(caplog):
    """Intervals narrow as 1/sqrt(draws): the draws the warning names bring the widest
    interval to about the tolerance."""
    tolerance = 0.2
    with caplog.at_level(logging.WARNING, logger="facility_impact"):
        indices = sensitivity(load_config(dominated_config(draws=60)), tolerance=tolerance)
    (warning,) = indices.attrs["interval_warnings"].splitlines()
    assert [record.getMessage() for record in caplog.records] == [warning]
    assert warning.startswith("1 of 2 95% confidence intervals of the Spearman rank correlation")
    assert f"wider than the tolerance {tolerance:g}" in warning
    draws = int(warning.split("about --draws ")[1].split()[0].replace(",", ""))
    width = indices["rank_correlation_high"] - indices["rank_correlation_low"]
    assert draws == intervals.draws_to_narrow(float(width.max()), 60, tolerance)
    again = sensitivity(load_config(dominated_config(draws=draws)), tolerance=tolerance)
    narrowed = again["rank_correlation_high"] - again["rank_correlation_low"]
    # "About": the estimate moves with the draws, and the width with it.
    assert float(narrowed.max()) == pytest.approx(tolerance, rel=0.1)


def test_sobol_warning_names_a_power_of_two_and_the_model_runs():
    indices = sensitivity(load_config(dominated_config(draws=16)), method="sobol", tolerance=0.05)
    lines = indices.attrs["interval_warnings"].splitlines()
    assert len(lines) == 2  # total, then first-order
    assert "total Sobol index" in lines[0] and "first-order Sobol index" in lines[1]
    for line in lines:
        advice = line.split("about --draws ")[1]
        draws = int(advice.split()[0].replace(",", ""))
        assert draws > 16 and draws & (draws - 1) == 0
        assert f"({draws * 4:,} model runs)" in advice


def test_sobol_intervals_are_reproducible():
    config = load_config(dominated_config(draws=16))
    first = sensitivity(config, method="sobol")
    xr.testing.assert_identical(first, sensitivity(config, method="sobol"))
    assert bool((first["total_order_low"] <= first["total_order_high"]).all())


def test_a_tolerance_must_be_above_zero():
    with pytest.raises(ConfigError, match=r"--tolerance = 0: must be a width above 0"):
        sensitivity(load_config(dominated_config(draws=10)), tolerance=0)


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
    """The inputs in the order the ranking prints them (a long name has a line of its
    own, its numbers on the next line, indented further)."""
    return [
        line.split()[0]
        for line in stdout.splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]


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
    # 40 draws (16 for Sobol) cannot pin the indices to ±0.05: a warning per index.
    warnings = captured.err.splitlines()
    assert warnings and all(w.startswith("facility-impact: warning: ") for w in warnings)
    assert all("would narrow it to 0.1" in w for w in warnings)
    assert sorted(p.name for p in out.iterdir()) == [
        "dominated-sensitivity.csv",
        "dominated-sensitivity.nc",
    ]
    assert f"({method})" in captured.out
    assert _ranked_inputs(captured.out) == [CLOSURE, DEMAND] * 2  # per service
    assert "wrote" in captured.out
    table = captured.out.split("\nwrote ")[0]
    assert max(len(line) for line in table.splitlines()) <= 100
    stored = read_netcdf(out / "dominated-sensitivity.nc")
    assert stored.attrs["method"] == method
    assert stored.attrs["interval_warnings"].splitlines() == [
        w.removeprefix("facility-impact: warning: ") for w in warnings
    ]
    at = {**WHERE, "input": CLOSURE}
    value = float(stored[measure].sel(at))
    low, high = (float(stored[f"{measure}_{end}"].sel(at)) for end in ("low", "high"))
    assert value > 0.8
    assert low <= value <= high
    assert f"{value:+.2f} [{low:+.2f}, {high:+.2f}]" in captured.out
    with (out / "dominated-sensitivity.csv").open(newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if row["indicator"] == measure]
    # The tidy table: one row per statistic (the index, its interval's ends), service
    # and input.
    assert len(rows) == 3 * 2 * 2
    assert {row["statistic"] for row in rows} == {"value", "ci95_low", "ci95_high"}
    assert {row["input"] for row in rows} == {CLOSURE, DEMAND}
    assert {row["units"] for row in rows} == {"1"}
    # A tolerance the intervals meet: no warning; -qq hides warnings in any case.
    assert main([*argv, "--tolerance", "2"]) == 0
    assert capsys.readouterr().err == ""
    assert main([*argv, "-qq"]) == 0
    assert capsys.readouterr().err == ""


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
