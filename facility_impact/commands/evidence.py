"""``validate`` and ``calibrate``: the model against the observed effects of attacks on
service use, and the priors of people's response fitted to them (docs/validation.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from facility_impact.commands.workflow import no_overflow, output_folder
from facility_impact.config.observed import Plan, load_plan, observed_path, read_observed
from facility_impact.config.prior_writing import package_priors_text, rewrite_priors
from facility_impact.config.priors import Priors, load_priors, read_priors
from facility_impact.errors import read_input_text
from facility_impact.present import validation as shown
from facility_impact.present.canvas import render_figure
from facility_impact.present.report import write_files
from facility_impact.run.calibration import DEFAULT_DRAWS as CALIBRATION_DRAWS
from facility_impact.run.calibration import (
    Calibration,
    calibrate,
    calibrated_entries,
    fitted_priors,
    fitted_source,
)
from facility_impact.run.validation import DEFAULT_DRAWS, DEFAULT_SEED, validate


def _plan_and_priors(
    observed: str | Path | None, priors: str | Path | None
) -> tuple[Plan, Priors, str]:
    """The comparisons of the observed table, the priors table and its text."""
    plan = load_plan(read_observed(observed_path(observed)))
    if priors is None:
        return plan, load_priors(), package_priors_text()
    text = read_input_text(Path(priors), "priors table")
    return plan, read_priors(priors), text


def _where(priors: str | Path | None) -> str:
    return "the package's" if priors is None else str(priors)


@dataclass(frozen=True)
class ValidationOutcome:
    """What :func:`validate_to_files` compared and wrote."""

    table: xr.Dataset
    plan: Plan
    paths: list[Path]


def validate_to_files(
    out_dir: str | Path,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    observed: str | Path | None = None,
    priors: str | Path | None = None,
) -> ValidationOutcome:
    """Compare the model with every usable observed effect; write ``validation.csv``
    and ``validation.png`` (and ``.svg``) into ``out_dir``, together. ``priors``: a
    priors table to validate instead of the package's (a fitted one)."""
    out = output_folder(out_dir)
    plan, table_of_priors, _ = _plan_and_priors(observed, priors)
    with no_overflow():
        table = validate(plan.comparisons, draws=draws, seed=seed, priors=table_of_priors)
    table.attrs["priors"] = f"{_where(priors)}, status {table_of_priors.status}"
    files = {"validation.csv": shown.validation_csv(table)}
    files |= {f"validation.{k}": v for k, v in _figure_files(table).items()}
    return ValidationOutcome(table, plan, write_files(files, out))


def _figure_files(table: xr.Dataset) -> dict[str, bytes]:
    return render_figure(shown.validation_figure(table))


@dataclass(frozen=True)
class CalibrationOutcome:
    """What :func:`calibrate_to_files` found and wrote."""

    calibration: Calibration
    before: xr.Dataset
    after: xr.Dataset
    paths: list[Path]


def calibrate_to_files(
    out_dir: str | Path,
    *,
    holdout: Sequence[str] | None = None,
    draws: int = CALIBRATION_DRAWS,
    seed: int = DEFAULT_SEED,
    observed: str | Path | None = None,
    priors: str | Path | None = None,
) -> CalibrationOutcome:
    """Fit the calibrated hyperparameters of the priors (the package's, or ``priors``)
    to the observed effects, keeping ``holdout`` (effect ids or study keys; default the
    plan's) out of the fit; write ``attack_priors-calibrated.toml`` (the table with the
    fitted entries, status ``calibrated``), ``calibration-parameters.csv`` and
    ``calibration-effects.csv`` together. The validation tables before and after are
    computed with the same draws and seed as the fit."""
    out = output_folder(out_dir)
    plan, table_of_priors, text = _plan_and_priors(observed, priors)
    held = plan.holdout if holdout is None else plan.select(holdout)
    with no_overflow():
        calibration = calibrate(
            plan.comparisons,
            held,
            table_of_priors,
            prior_terms=plan.prior_terms,
            draws=draws,
            seed=seed,
        )
        fitted = fitted_priors(calibration, fitted_source(calibration, plan, draws))
        before = validate(plan.comparisons, priors=table_of_priors, draws=draws, seed=seed)
        after = validate(plan.comparisons, priors=fitted, draws=draws, seed=seed)
    before.attrs["priors"] = f"{_where(priors)}, status {table_of_priors.status}"
    after.attrs["priors"] = "fitted: attack_priors-calibrated.toml, status calibrated"
    identified = {one.name for one in calibration.parameters if one.identified}
    entries = {n: e for n, e in calibrated_entries(fitted).items() if n in identified}
    new_text, _ = rewrite_priors(text, entries, "calibrated")
    files = {
        "attack_priors-calibrated.toml": new_text.encode("utf-8"),
        "calibration-parameters.csv": shown.calibration_parameters_csv(calibration),
        "calibration-effects.csv": shown.calibration_effects_csv(calibration, before, after),
    }
    return CalibrationOutcome(calibration, before, after, write_files(files, out))
