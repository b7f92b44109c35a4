"""Validation against the observed effects: the decisions table, the model's counterpart
of an effect (by hand), the study sites, ``validate`` end to end and the command line's
bad options (docs/validation.md). The calibration's tests: tests/test_calibration.py."""

from __future__ import annotations

import csv
import math
import tomllib
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from helpers import minimal_config, service, strike

import facility_impact as fi
from facility_impact import commands
from facility_impact.cli import main
from facility_impact.config import load_config
from facility_impact.config.observed import (
    FIRST_ATTACK_DAY,
    MONTH_DAYS,
    VALIDATION_FILE,
    load_plan,
    parse_plan,
    read_observed,
)
from facility_impact.config.places import response_distance_km
from facility_impact.config.priors import load_priors
from facility_impact.config.study_sites import NEIGHBOUR, sites_config
from facility_impact.errors import ConfigError
from facility_impact.present.validation import format_validation
from facility_impact.results.validation import relative_risk
from facility_impact.run.validation import model_draws

REPO = Path(__file__).resolve().parents[1]
OBSERVED = REPO / "seeds" / "literature" / "observed_effects.toml"
RAW_PLAN = tomllib.loads(files("facility_impact").joinpath(VALIDATION_FILE).read_text("utf-8"))


@pytest.fixture(scope="module")
def plan():
    return load_plan(read_observed(OBSERVED))


# --------------------------------------------------------------------------- the decisions


def test_every_observed_row_has_a_decision_with_a_reason(plan):
    observed = read_observed(OBSERVED)
    assert [d.id for d in plan.decisions] == [row.id for row in observed]
    assert all(d.why.strip() for d in plan.decisions)
    used = {c.id for c in plan.comparisons}
    assert used == {d.id for d in plan.decisions if d.used}
    # At least five effects from at least two independent studies are compared.
    assert len(used) >= 5
    assert len({c.observed.study for c in plan.comparisons}) >= 2


def test_a_row_without_a_decision_or_a_decision_without_a_row_is_refused():
    observed = read_observed(OBSERVED)
    raw = {**RAW_PLAN, "effect": dict(RAW_PLAN["effect"])}
    del raw["effect"]["verma2018_nw_pakistan_polio_campaign"]
    with pytest.raises(ConfigError, match="no decision for verma2018"):
        parse_plan(raw, observed, "x")
    with pytest.raises(ConfigError, match="no row for burbach2024_nw_syria_outpatient_day1"):
        parse_plan(RAW_PLAN, [r for r in observed if not r.id.endswith("outpatient_day1")], "x")


def test_the_default_hold_out_is_a_whole_study_and_names_resolve(plan):
    assert plan.holdout == tuple(c.id for c in plan.comparisons if c.observed.study == "druetz2020")
    assert plan.select(["burbach2024_nw_syria_trauma_day1", "amberg2025"])[0].endswith(
        "trauma_day1"
    )
    with pytest.raises(ConfigError, match="--holdout = 'nobody2030'"):
        plan.select(["nobody2030"])


def test_observed_estimates_become_relative_risks(plan):
    by_id = {c.id: c for c in plan.comparisons}
    # A percent change p is RR 1 + p/100 (Druetz: deliveries -3.8 %, -6.3 to -1.3).
    estimate, low, high = by_id["druetz2020_burkina_deliveries_next_month"].observed_rr
    assert (estimate, low, high) == pytest.approx((0.962, 0.937, 0.987))
    # The log standard error is the 95 % interval's width on the log scale / 3.92.
    outpatient = by_id["burbach2024_nw_syria_outpatient_day1"]
    assert outpatient.log_se == pytest.approx((math.log(0.57) - math.log(0.43)) / 3.919928)


def test_windows_of_each_measure(plan):
    by_id = {c.id: c for c in plan.comparisons}
    first = FIRST_ATTACK_DAY
    assert by_id["burbach2024_nw_syria_outpatient_day1"].windows() == [(first + 1, first + 2)]
    assert by_id["burbach2024_nw_syria_births_day2"].windows() == [(first + 2, first + 3)]
    month = by_id["ekzayez2021_nw_syria_outpatient_month"].windows()
    # The attack on each day u of the month: u days before it, 30 - u from it.
    assert len(month) == MONTH_DAYS
    assert month[0] == (first, first + MONTH_DAYS) and month[-1] == (0, MONTH_DAYS)
    assert by_id["druetz2020_burkina_deliveries_next_month"].windows()[0] == (
        first + MONTH_DAYS,
        first + 2 * MONTH_DAYS,
    )
    assert by_id["ekzayez2021_nw_syria_outpatient_cum30d"].windows() == [(first, first + 31)]
    assert by_id["druetz2020_burkina_antenatal_multiple_attacks"].windows() == [(0, MONTH_DAYS)]


# --------------------------------------------------------------------------- the counterpart


def _avoidance_run(**extra):
    """An undamaged clinic whose patients stay away: half of them the day of the strike,
    fading linearly to none over 10 days (a strike as written, not recorded)."""
    config = minimal_config(
        services={"outpatient": service(600.0)},
        strikes=[
            strike(
                day=5,
                avoidance={"outpatient": 0.5},
                avoidance_fade={"curve": "linear", "time_days": 10},
                **extra,
            )
        ],
    )
    config["run"]["horizon_days"] = 40
    return fi.simulate(config)


def _series(results):
    served = results["served"].sel(facility="clinic", service="outpatient").values[None, :]
    counterfactual = results["counterfactual_served"].sel(facility="clinic", service="outpatient")
    is_open = results["is_open"].sel(facility="clinic").values[None, :] > 0
    return served, counterfactual.values[None, :], is_open


def test_relative_risk_of_a_fading_avoidance_by_hand():
    served, counterfactual, is_open = _series(_avoidance_run())
    # Day l = 0 ... 9 after the strike: a share 0.5 (1 - l/10) stays away, so the RR
    # over the ten days is (10 - 0.5 × (10 - 0.1 × 45)) / 10 = (10 - 2.75) / 10.
    assert relative_risk(served, counterfactual, is_open, [(5, 15)])[0] == pytest.approx(0.725)
    # Day after the strike alone: 1 - 0.5 × 0.9.
    assert relative_risk(served, counterfactual, is_open, [(6, 7)])[0] == pytest.approx(0.55)
    # The cumulative RR multiplies the daily ratios 0.5, 0.55, ..., 0.95.
    product = 0.5 * 0.55 * 0.6 * 0.65 * 0.7 * 0.75 * 0.8 * 0.85 * 0.9 * 0.95
    found = relative_risk(served, counterfactual, is_open, [(5, 15)], product=True)
    assert found[0] == pytest.approx(product)
    # Before the strike and once it has faded, nothing changes.
    assert relative_risk(served, counterfactual, is_open, [(0, 5), (15, 40)])[0] == pytest.approx(1)
    # Two windows pool their sums: days 5-14 and 15-24, (7.25 + 10) / 20.
    pooled = relative_risk(served, counterfactual, is_open, [(5, 15), (15, 25)])
    assert pooled[0] == pytest.approx(0.8625)


def test_a_closed_day_files_no_report():
    served, counterfactual, is_open = _series(_avoidance_run(closure_days=2))
    # Closed on days 5 and 6: the window counts days 7-14 only, each 1 - 0.5 (1 - l/10)
    # for l = 2 ... 9: (8 - 0.5 × (8 - 0.1 × 44)) / 8.
    expected = (8 - 0.5 * (8 - 4.4)) / 8
    assert relative_risk(served, counterfactual, is_open, [(5, 15)])[0] == pytest.approx(expected)
    assert np.isnan(relative_risk(served, counterfactual, is_open, [(5, 7)])[0])
    assert np.isnan(relative_risk(served, counterfactual, is_open, [(5, 7)], product=True)[0])


def test_windows_outside_the_run_are_refused():
    served = counterfactual = np.ones((1, 10))
    with pytest.raises(ValueError, match="do not fit"):
        relative_risk(served, counterfactual, served > 0, [(5, 11)])
    with pytest.raises(ValueError, match="one window"):
        relative_risk(served, counterfactual, served > 0, [(0, 2), (3, 4)], product=True)


# --------------------------------------------------------------------------- the study sites


def test_sites_stand_apart_and_each_neighbour_within_a_kilometre(plan):
    sites = list({c.site.name: c.site for c in plan.comparisons}.values())
    config = load_config(sites_config(sites, draws=1, seed=1))
    for site in sites:
        if site.scope == "nearby":
            distance = response_distance_km(config, site.name + NEIGHBOUR, site.name)
            assert distance == pytest.approx(1.0, abs=1e-3)
        for other in sites:
            if other is not site:
                assert response_distance_km(config, site.name, other.name) > 1000
    # Nobody travels: the no-strike world's served care is served at the facility.
    assert all(
        one.willingness_to_travel == 0
        for facility in config.facilities.values()
        for one in facility.services.values()
    )


def test_the_attacked_facility_takes_the_recorded_attack_and_the_studied_one_only_the_response(
    plan,
):
    values = model_draws(plan.comparisons, draws=1, seed=7)
    by_id = {c.id: c for c in plan.comparisons}
    priors = load_priors()
    routine, maternity = (priors.shares[k].central() for k in ("routine", "maternity"))
    nearby, fade = priors.nearby_share.central(), priors.fade.times["time_days"].central()
    # One run takes the priors' central values: heavy weapons, no damage, closed for the
    # attack day only; the response share fades linearly (time `fade`).
    day1 = values["burbach2024_nw_syria_outpatient_day1"][0]
    assert day1 == pytest.approx(1 - routine * (1 - 1 / fade))
    day2 = values["burbach2024_nw_syria_births_day2"][0]
    assert day2 == pytest.approx(1 - maternity * (1 - 2 / fade))
    # Nearby, the share `nearby` of it; the cumulative RR multiplies 31 daily ratios.
    daily = [1 - nearby * routine * max(0.0, 1 - lag / fade) for lag in range(31)]
    assert values["ekzayez2021_nw_syria_outpatient_cum30d"][0] == pytest.approx(math.prod(daily))
    # The month of the attack, pooled over its 30 days: (u + sum of 30 - u ratios) / 30.
    month = sum(u + sum(daily[: 30 - u]) for u in range(30)) / 900
    assert values["ekzayez2021_nw_syria_outpatient_month"][0] == pytest.approx(month)
    assert by_id["ekzayez2021_nw_syria_outpatient_month"].site.scope == "nearby"


# --------------------------------------------------------------------------- validate


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    out = tmp_path_factory.mktemp("validation")
    return out, commands.validate_to_files(out, draws=12)


def test_validate_writes_its_table_and_figure(validated, plan):
    out, outcome = validated
    assert sorted(p.name for p in out.iterdir()) == [
        "validation.csv",
        "validation.png",
        "validation.svg",
    ]
    with (out / "validation.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["effect"] for row in rows] == [c.id for c in plan.comparisons]
    assert {row["overlap"] for row in rows} <= {"yes", "no"}
    first = rows[0]
    assert float(first["observed"]) == pytest.approx(0.49)
    assert float(first["model_p05"]) <= float(first["model_median"]) <= float(first["model_p95"])
    assert outcome.table.attrs["draws"] == 12


def test_validate_prints_a_row_per_effect_and_the_rows_left_out(validated, plan):
    _, outcome = validated
    text = format_validation(outcome.table, plan.decisions)
    for comparison in plan.comparisons:
        assert comparison.id in text
    assert "intervals overlap" in text
    assert "Not compared (12" in text


def test_validate_is_reproducible(plan):
    first = model_draws(plan.comparisons[:3], draws=8, seed=3)
    second = model_draws(plan.comparisons[:3], draws=8, seed=3)
    for key, value in first.items():
        np.testing.assert_array_equal(value, second[key])


def test_validate_exits_0_on_the_command_line(tmp_path, capsys):
    assert main(["validate", "--out", str(tmp_path), "--draws", "6", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "burbach2024_nw_syria_outpatient_day1" in out
    assert (tmp_path / "validation.png").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "--draws", "0"], "--draws: '0': must be at least 1"),
        (["validate", "--seed", "x"], "--seed: 'x': must be a whole number"),
        (["calibrate", "--holdout"], "--holdout: expected at least one argument"),
        (["calibrate", "--holdout", "nobody2030"], "--holdout = 'nobody2030': no compared"),
        (["validate", "--observed", "missing.toml"], "missing.toml: observed effects table not"),
        (["calibrate", "--priors", "missing.toml"], "missing.toml: priors table not found"),
        (["validate", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
    ids=["draws", "seed", "holdout-empty", "holdout-unknown", "observed", "priors", "option"],
)
def test_bad_options_exit_2_with_one_line_and_write_nothing(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    try:
        status = main([*args, "--out", str(out)])
    except SystemExit as stop:  # argparse's own checks
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_an_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    assert main(["validate", "--out", str(tmp_path / "taken"), "--draws", "2"]) == 2
    assert "is a file" in capsys.readouterr().err
