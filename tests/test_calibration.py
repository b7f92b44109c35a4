"""Calibration of the priors' hyperparameters (docs/validation.md): the fit recovers
hyperparameters from a synthetic observed table that the model itself generated, the
fitted entries and the table written back, and the command end to end."""

from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from facility_impact.cli import main
from facility_impact.config.observed import load_plan, read_observed
from facility_impact.config.prior_writing import package_priors_text, rewrite_priors, toml_value
from facility_impact.config.priors import load_priors, parse_priors
from facility_impact.config.variation import Distribution
from facility_impact.errors import ConfigError
from facility_impact.results.validation import summarise
from facility_impact.run.calibration import (
    calibrate,
    calibrated_entries,
    centre,
    replace_entries,
    with_centre,
)
from facility_impact.run.validation import model_draws

REPO = Path(__file__).resolve().parents[1]
OBSERVED = REPO / "seeds" / "literature" / "observed_effects.toml"

TRUE = {
    "response.share.routine": 0.45,
    "response.share.emergency": 0.30,
    "response.share.maternity": 0.20,
    "response.nearby_share": 0.40,
    "response.fade.time_days": 25.0,
}
"""The hyperparameters of the synthetic observed table: all unlike the priors' own."""

LOG_SE = 0.05
"""The synthetic effects' standard error on the log scale."""


# --------------------------------------------------------------------------- entries


def test_the_calibrated_entries_are_the_responses():
    entries = calibrated_entries(load_priors())
    assert set(entries) == {
        "response.share.routine",
        "response.share.emergency",
        "response.share.maternity",
        "response.share.inpatient",
        "response.nearby_share",
        "response.fade.time_days",
    }
    priors = load_priors()
    assert centre(entries["response.share.routine"]) == priors.shares["routine"].central()
    assert centre(entries["response.fade.time_days"]) == priors.fade.times["time_days"].central()


def test_a_calibrated_damage_entry_is_refused():
    priors = load_priors()
    closure = replace(priors.states["damaged"]["closure_days"], calibrated=True)
    states = {**priors.states, "damaged": {**priors.states["damaged"], "closure_days": closure}}
    with pytest.raises(ConfigError, match=r"damage_state\.damaged\.closure_days: calibrate fits"):
        calibrated_entries(replace(priors, states=states))


def test_a_fitted_entry_takes_the_fit_as_its_spread():
    entries = calibrated_entries(load_priors())
    share = with_centre(entries["response.share.routine"], 0.4, se=0.05)
    assert isinstance(share.value, Distribution)
    assert dict(share.value.parameters) == {"mean": 0.4, "sd": 0.05}
    assert share.value.bounds == (0, 1)
    fade = with_centre(entries["response.fade.time_days"], 20.0, se=5.0)
    assert isinstance(fade.value, Distribution)
    # A lognormal's dispersion is the standard error over the median (the delta method).
    assert dict(fade.value.parameters) == {"median": 20.0, "dispersion": 0.25}


# --------------------------------------------------------------------------- the table written


def test_a_rewritten_table_changes_only_its_fitted_entries():
    priors = load_priors()
    entries = calibrated_entries(priors)
    routine = with_centre(entries["response.share.routine"], 0.42, se=0.07, source="fitted here")
    text, rewritten = rewrite_priors(package_priors_text(), {routine.name: routine}, "calibrated")
    assert rewritten.status == "calibrated"
    assert rewritten.shares["routine"].value == routine.value
    assert rewritten.shares["routine"].source == "fitted here"
    assert rewritten.shares["routine"].calibrated
    assert rewritten.shares["emergency"] == priors.shares["emergency"]
    assert rewritten.states == priors.states
    changed = [
        (old, new)
        for old, new in zip(package_priors_text().splitlines(), text.splitlines(), strict=True)
        if old != new
    ]
    # The entry's value and source, and the status if it was not "calibrated" already.
    assert {new.split(" = ")[0] for _, new in changed} in (
        {"value", "source"},
        {"value", "source", "status"},
    )
    assert len(changed) <= 3


def test_an_inline_entry_is_rewritten_in_place():
    # The nearby share written inline under [response] instead of as its own table.
    lines = package_priors_text().splitlines()
    start, end = lines.index("[response.nearby_share]"), lines.index("[response.radius_km]")
    lines[start:end] = [
        "[response]",
        'nearby_share = { value = { dist = "lognormal", median = 0.23, dispersion = 0.45 }, '
        'source = "inline", calibrated = true }',
        "",
    ]
    inline = "\n".join(lines) + "\n"
    entries = calibrated_entries(parse_priors(tomllib.loads(inline), "inline"))
    fitted = with_centre(entries["response.nearby_share"], 0.3, se=0.06, source="fitted")
    text, rewritten = rewrite_priors(inline, {fitted.name: fitted}, "calibrated")
    assert rewritten.nearby_share.value == fitted.value
    assert rewritten.nearby_share.source == "fitted"
    assert f"nearby_share = {{ value = {toml_value(fitted.value)}, " in text


def test_an_entry_that_is_not_there_cannot_be_rewritten():
    entries = calibrated_entries(load_priors())
    moved = replace(entries["response.share.routine"], name="response.share.nobody")
    with pytest.raises(ConfigError, match=r"response\.share\.nobody not found"):
        rewrite_priors(package_priors_text(), {moved.name: moved}, "calibrated")


# --------------------------------------------------------------------------- the fit


def _synthetic(draws: int, seed: int):
    """Every fitted comparison, its observed value replaced by the model's median with
    the hyperparameters at TRUE, each with a 95 % interval of ± 1.96 LOG_SE (log scale)."""
    plan = load_plan(read_observed(OBSERVED))
    priors = load_priors()
    entries = calibrated_entries(priors)
    truth = replace_entries(
        priors, {n: replace(entries[n], value=v) for n, v in TRUE.items()}, "synthetic"
    )
    comparisons = [c for c in plan.comparisons if c.fit]
    values = model_draws(comparisons, draws=draws, seed=seed, priors=truth)
    synthetic = []
    for comparison in comparisons:
        median = summarise(values[comparison.id])[0]
        observed = replace(
            comparison.observed,
            kind="relative_risk",
            effect=median,
            ci_low=median * math.exp(-1.959964 * LOG_SE),
            ci_high=median * math.exp(1.959964 * LOG_SE),
        )
        synthetic.append(replace(comparison, observed=observed))
    return synthetic, plan.holdout


@pytest.mark.slow
def test_calibrate_recovers_the_hyperparameters_of_a_synthetic_table():
    draws, seed = 24, 11
    comparisons, holdout = _synthetic(draws, seed)
    calibration = calibrate(comparisons, holdout, load_priors(), draws=draws, seed=seed)
    found = {one.name: one for one in calibration.parameters}
    for name, value in TRUE.items():
        one = found[name]
        assert one.identified
        assert math.isfinite(one.se) and one.se > 0
        # Within the stated uncertainty (two standard errors), and in fact much closer:
        # the synthetic table is the model's own, without noise.
        assert abs(one.value - value) <= 2 * one.se, (name, one)
        assert one.value == pytest.approx(value, rel=0.02), name
    # No effect measures admissions: the inpatient share keeps its prior.
    inpatient = found["response.share.inpatient"]
    assert not inpatient.identified
    assert inpatient.value == load_priors().shares["inpatient"].central()
    # The held-out study is predicted as well as the fitted ones.
    assert calibration.held_out == holdout
    assert all(abs(calibration.residuals_after[e]) < 0.5 for e in holdout)
    assert calibration.chi2 < 0.5
    assert calibration.chi2_before > 100 * calibration.chi2


@pytest.mark.slow
def test_calibrate_on_the_command_line_writes_a_fitted_table(tmp_path, capsys):
    status = main(["calibrate", "--out", str(tmp_path), "--draws", "12", "--holdout", "amberg2025"])
    assert status == 0
    out = capsys.readouterr().out
    assert "Held out (predicted with the fitted priors):" in out
    assert "amberg2025_burkina_anc4_25km" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "attack_priors-calibrated.toml",
        "calibration-effects.csv",
        "calibration-parameters.csv",
    ]
    fitted = parse_priors(
        tomllib.loads((tmp_path / "attack_priors-calibrated.toml").read_text("utf-8")), "fitted"
    )
    assert fitted.status == "calibrated"
    assert fitted.shares["routine"].source.startswith("Fitted by facility-impact calibrate")
    assert "held out: amberg2025_burkina_outpatient_u5_25km" in fitted.shares["routine"].source
    # The inpatient share, which no effect measures, is left as it was.
    assert fitted.shares["inpatient"] == load_priors().shares["inpatient"]
    with (tmp_path / "calibration-effects.csv").open(encoding="utf-8") as stream:
        roles = {row["effect"]: row["role"] for row in csv.DictReader(stream)}
    assert roles["amberg2025_burkina_anc4_25km"] == "held out"
    assert roles["ekzayez2021_nw_syria_deliveries_month"] == "not fitted"
    assert roles["burbach2024_nw_syria_outpatient_day1"] == "fitted"
    # The fitted table can be validated in turn.
    assert (
        main(
            [
                "validate",
                "--out",
                str(tmp_path / "v"),
                "--draws",
                "4",
                "--priors",
                str(tmp_path / "attack_priors-calibrated.toml"),
            ]
        )
        == 0
    )
