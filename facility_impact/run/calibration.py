"""Fitting the priors' calibrated hyperparameters to the observed effects
(``facility-impact calibrate``; docs/validation.md, "How the priors were obtained").

What is fitted: the central value of every entry of the priors table marked
``calibrated = true`` (the mean of a normal, the median of a lognormal, a fixed
number), its spread held at the prior's while fitting. The objective is weighted
least squares on log relative risks: for every compared effect the fit may use
(``fit``, and not held out), ``(ln model − ln observed) / se``, with ``se`` the
observed 95 % interval's width on the log scale / 3.92, and the model's number the
median over a fixed set of Latin hypercube draws
(:func:`facility_impact.run.validation.model_draws`) with the hyperparameters at the
trial values (fixed, not drawn): the median is then the model at those values over
what varies from one attack to the next (damage, closure, restoration, radius), and
the fit does not depend on the spreads the table gives them. Every evaluation uses
the same seed, so the draws' quantiles are the same and a change of a
hyperparameter moves every draw smoothly (common random numbers): the objective is
continuous and piecewise smooth, and ``scipy.optimize.least_squares`` (bounded,
trust region reflective, finite-difference Jacobian, on the logs of the values)
fits it. Entries named in the plan's ``prior_term`` add one residual each: what is
known of them from outside the compared effects.

A hyperparameter that no fitted effect responds to (its probe moves no residual) is
not identified: it keeps its prior. The approximate covariance of the others is
``(JᵀJ)⁻¹`` from the Jacobian at the fit, scaled by the reduced χ² when that is above
1 (the data disagree more than their intervals say). The fitted entry's spread is
then the fit's: a normal's ``sd`` becomes the standard error, a lognormal's
``dispersion`` the standard error over the median (the delta method on the log
scale).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import optimize

from facility_impact.config.bibliography import bibliography
from facility_impact.config.observed import Comparison, Observed, Plan, PriorTerm
from facility_impact.config.priors import Entry, Priors
from facility_impact.config.variation import Distribution
from facility_impact.errors import ConfigError
from facility_impact.results.validation import log_residual, summarise
from facility_impact.run.validation import DEFAULT_SEED, model_draws

DEFAULT_DRAWS = 100
"""Draws per evaluation of the objective: enough for a stable median (the day-after
effects use the third of the draws in which the facility reopened), few enough that a
fit takes about a minute on two cores."""

CENTRES = {"normal": "mean", "lognormal": "median"}
"""The parameter a fit moves, per family of a calibrated entry."""

PROBE = 0.1
"""Relative change of a hyperparameter that tells whether any fitted effect responds."""

FLOOR = 1e-6
"""Smallest model RR the log is taken of (a facility closed for the whole window)."""


@dataclass(frozen=True)
class Fitted:
    """One calibrated hyperparameter: its prior centre, the fitted value and its
    approximate standard error (NaN when not identified, and then ``value`` is the prior's)."""

    name: str
    prior: float
    value: float
    se: float
    identified: bool
    lognormal: bool = False
    """Whether the entry is written as a lognormal (else a normal or a number)."""
    bounds: tuple[float, float] = (-math.inf, math.inf)
    """The entry's range."""

    @property
    def interval(self) -> tuple[float, float]:
        """Approximate 95 % interval of the distribution written for the entry, inside the
        entry's range: value · exp(± 1.96 se / value) for a lognormal, value ± 1.96 se
        otherwise."""
        low, high = self.bounds
        if self.lognormal:
            factor = math.exp(1.959964 * self.se / self.value)
            return max(low, self.value / factor), min(high, self.value * factor)
        return max(low, self.value - 1.959964 * self.se), min(high, self.value + 1.959964 * self.se)


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` found."""

    parameters: tuple[Fitted, ...]
    priors: Priors
    fitted: tuple[str, ...]
    """Ids of the effects fitted."""
    held_out: tuple[str, ...]
    residuals_before: Mapping[str, float]
    residuals_after: Mapping[str, float]
    """Weighted log residual of every compared effect, fitted or not, at the prior and
    at the fit."""
    chi2_before: float
    """The objective, Σ residual² over the fitted effects and the prior terms, at the
    prior's centres."""
    chi2: float
    """The same at the fit."""
    chi2_terms: float
    """Of ``chi2``, the prior terms' part."""
    dof: int
    evaluations: int
    seconds: float
    message: str


def centre(entry: Entry) -> float:
    """The value a fit moves: a fixed number, a normal's mean, a lognormal's median."""
    if isinstance(entry.value, float):
        return entry.value
    family = entry.value.family
    if family not in CENTRES:
        raise ConfigError(
            f"{entry.name}: calibrated = true needs a fixed number, a normal or a lognormal "
            f"to fit; it is a {family} distribution"
        )
    return dict(entry.value.parameters)[CENTRES[family]]


def with_centre(entry: Entry, value: float, se: float | None = None, source: str = "") -> Entry:
    """``entry`` centred on ``value`` (and with the spread ``se`` when given: a normal's
    sd, a lognormal's dispersion se / value); bounds kept."""
    source = source or entry.source
    if isinstance(entry.value, float):
        return replace(entry, value=float(value), source=source)
    distribution = entry.value
    parameters = dict(distribution.parameters)
    parameters[CENTRES[distribution.family]] = float(value)
    if se is not None and math.isfinite(se) and se > 0:
        if distribution.family == "normal":
            parameters["sd"] = float(se)
        else:
            parameters["dispersion"] = float(se / value)
    moved = Distribution(distribution.family, tuple(parameters.items()), distribution.bounds)
    return replace(entry, value=moved, source=source)


def calibrated_entries(priors: Priors) -> dict[str, Entry]:
    """Every entry of the table marked ``calibrated = true``, by name: the response's
    (the only part of the table the calibration can put back, :func:`replace_entries`)."""
    response = [*priors.shares.values(), priors.nearby_share, priors.radius_km]
    response += list(priors.fade.times.values())
    others = [*(e for group in priors.states.values() for e in group.values())]
    others += [e for t in priors.types.values() for lv in t.levels.values() for e in lv.values()]
    others += [t.response_scale for t in priors.types.values()]
    for curve in priors.restoration.values():
        others += [*curve.times.values(), *([curve.share] if curve.share else [])]
    wrong = [entry.name for entry in others if entry.calibrated]
    if wrong:
        raise ConfigError(f"{wrong[0]}: calibrate fits the response's entries only")
    return {entry.name: entry for entry in response if entry.calibrated}


def replace_entries(priors: Priors, entries: Mapping[str, Entry], status: str) -> Priors:
    """``priors`` with the response's entries of the same names replaced."""
    shares = {key: entries.get(e.name, e) for key, e in priors.shares.items()}
    times = {key: entries.get(e.name, e) for key, e in priors.fade.times.items()}
    return replace(
        priors,
        status=status,
        shares=shares,
        nearby_share=entries.get(priors.nearby_share.name, priors.nearby_share),
        radius_km=entries.get(priors.radius_km.name, priors.radius_km),
        fade=replace(priors.fade, times=times),
    )


def _family(entry: Entry) -> str:
    return "fixed" if isinstance(entry.value, float) else entry.value.family


def _range(entry: Entry) -> tuple[float, float]:
    return (0.0, math.inf) if isinstance(entry.value, float) else entry.value.bounds


def _bounds(entry: Entry) -> tuple[float, float]:
    """Where a fit may move the centre: a hundredth to ten times the prior's, inside the
    entry's range."""
    value = centre(entry)
    low, high = _range(entry)
    return max(low, value / 100), min(high, value * 10)


def calibrate(
    comparisons: Sequence[Comparison],
    holdout: Sequence[str],
    priors: Priors,
    *,
    prior_terms: Mapping[str, PriorTerm] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> Calibration:
    """Fit the calibrated entries of ``priors`` to ``comparisons`` (those with ``fit``,
    less the effect ids in ``holdout``), the entries named in ``prior_terms`` held by
    one more residual each; see the module's docstring."""
    prior_terms = prior_terms or {}
    started = time.perf_counter()
    entries = calibrated_entries(priors)
    fitted = [c for c in comparisons if c.fit and c.id not in holdout]
    if not fitted:
        raise ConfigError("--holdout: nothing is left to fit; hold out fewer effects")
    names = list(entries)
    unknown = [name for name in prior_terms if name not in entries]
    if unknown:
        raise ConfigError(f"prior_term {unknown[0]!r}: not a calibrated entry of the priors")
    prior_values = np.array([centre(entries[name]) for name in names])
    counter = [0]

    def residuals(of: Sequence[Comparison], values: Mapping[str, float]) -> dict[str, float]:
        counter[0] += 1
        # Each hyperparameter at one value: the median over draws is then the model at
        # these values, over what varies from one attack to the next (damage, closure).
        fixed = {n: replace(entries[n], value=float(v)) for n, v in values.items()}
        trial = replace_entries(priors, fixed, priors.status)
        found = model_draws(of, draws=draws, seed=seed, priors=trial)
        return {c.id: log_residual(c, max(summarise(found[c.id])[0], FLOOR)) for c in of}

    before = residuals(comparisons, dict(zip(names, prior_values, strict=True)))
    free = _identified(names, prior_values, entries, fitted, residuals, before)
    x0 = np.log([centre(entries[name]) for name in free])
    lows, highs = np.log([_bounds(entries[name]) for name in free]).T

    def objective(x: np.ndarray) -> np.ndarray:
        values = dict(zip(names, prior_values, strict=True)) | dict(
            zip(free, np.exp(x), strict=True)
        )
        found = residuals(fitted, values)
        terms = [term.residual(values[name]) for name, term in prior_terms.items()]
        return np.array([*(found[c.id] for c in fitted), *terms])

    result = optimize.least_squares(
        objective, x0, bounds=(lows, highs), diff_step=1e-3, xtol=1e-6, ftol=1e-6
    )
    chi2 = float(np.sum(result.fun**2))
    dof = len(fitted) + len(prior_terms) - len(free)
    parameters = _fitted(entries, free, result, dof)
    after = residuals(comparisons, {one.name: one.value for one in parameters})
    return Calibration(
        parameters=parameters,
        priors=priors,
        fitted=tuple(c.id for c in fitted),
        held_out=tuple(c.id for c in comparisons if c.id in holdout),
        residuals_before=before,
        residuals_after=after,
        chi2_before=float(sum(before[c.id] ** 2 for c in fitted))
        + sum(term.residual(centre(entries[n])) ** 2 for n, term in prior_terms.items()),
        chi2=chi2,
        chi2_terms=float(np.sum(result.fun[len(fitted) :] ** 2)),
        dof=dof,
        evaluations=counter[0],
        seconds=time.perf_counter() - started,
        message=str(result.message),
    )


def _fitted(
    entries: Mapping[str, Entry], free: Sequence[str], result: Any, dof: int
) -> tuple[Fitted, ...]:
    """Every calibrated entry at its fitted value (the prior's where not ``free``), with
    its standard error: from the Jacobian at the fit, scaled by the reduced χ² when
    that is above 1."""
    chi2 = float(np.sum(result.fun**2))
    scale = max(1.0, chi2 / dof) if dof > 0 else 1.0
    # The fit runs on log values: se(θ) = θ se(ln θ), the delta method.
    values = dict(zip(free, np.exp(result.x), strict=True))
    errors = np.exp(result.x) * _standard_errors(result.jac) * math.sqrt(scale)
    spread = dict(zip(free, errors, strict=True))
    return tuple(
        Fitted(
            name,
            centre(entry),
            float(values.get(name, centre(entry))),
            float(spread.get(name, math.nan)),
            name in free,
            _family(entry) == "lognormal",
            _range(entry),
        )
        for name, entry in entries.items()
    )


def _identified(
    names: Sequence[str],
    values: np.ndarray,
    entries: Mapping[str, Entry],
    fitted: Sequence[Comparison],
    residuals: Callable[[Sequence[Comparison], Mapping[str, float]], dict[str, float]],
    before: Mapping[str, float],
) -> list[str]:
    """The hyperparameters that move some fitted residual when changed by :data:`PROBE`."""
    free = []
    base = dict(zip(names, values, strict=True))
    for name in names:
        low, high = _bounds(entries[name])
        moved = min(high, base[name] * (1 + PROBE))
        if moved == base[name]:
            moved = max(low, base[name] * (1 - PROBE))
        probe = residuals(fitted, base | {name: moved})
        if any(abs(probe[c.id] - before[c.id]) > 1e-9 for c in fitted):
            free.append(name)
    if not free:
        raise ConfigError("no calibrated hyperparameter changes any fitted effect: nothing to fit")
    return free


def _standard_errors(jacobian: np.ndarray) -> np.ndarray:
    """Square roots of the diagonal of (JᵀJ)⁻¹ (pseudo-inverse: inf where singular)."""
    information = jacobian.T @ jacobian
    covariance = np.linalg.pinv(information)
    diagonal = np.diag(covariance).copy()
    singular = np.linalg.matrix_rank(information) < information.shape[0]
    if singular:
        diagonal[np.isclose(np.abs(jacobian).sum(axis=0), 0.0)] = np.inf
    return np.sqrt(np.maximum(diagonal, 0.0))


def fitted_priors(calibration: Calibration, source: Callable[[Fitted], str]) -> Priors:
    """The priors table with every identified hyperparameter at its fitted value and
    spread, its source the text ``source`` gives it; status ``calibrated``."""
    entries = calibrated_entries(calibration.priors)
    replaced = {
        one.name: with_centre(entries[one.name], one.value, one.se, source(one))
        for one in calibration.parameters
        if one.identified
    }
    return replace_entries(calibration.priors, replaced, "calibrated")


FITTED = "Fitted by facility-impact calibrate"
"""How a fitted entry's source begins."""

BEFORE = " | before the fit: "
"""What separates, in a fitted entry's source, the fit from what the entry was."""


def _cited(observed: Observed) -> str:
    """How a prior's source cites the study of an effect: ``@key`` where the effect's id
    begins with a bibliography key (``burbach2024_…``), else "Author et al. year"."""
    key = observed.id.split("_", 1)[0]
    return f"@{key}" if key in bibliography() else observed.citation.split(",")[0]


def fitted_source(calibration: Calibration, plan: Plan, draws: int) -> Callable[[Fitted], str]:
    """The source of a fitted entry: how it was fitted, to what, and what it was (an
    earlier fit's source keeps only what it was before that fit)."""
    fitted = [c for c in plan.comparisons if c.id in calibration.fitted]
    studies = ", ".join(sorted({_cited(c.observed) for c in fitted}))
    held = ", ".join(calibration.held_out) or "none"
    entries = calibrated_entries(calibration.priors)

    def source(one: Fitted) -> str:
        prior = entries[one.name]
        earlier = prior.source.split(BEFORE, 1)[-1] if prior.source.startswith(FITTED) else ""
        low, high = one.interval
        return (
            f"{FITTED} (docs/validation.md) to {len(fitted)} observed effects of {studies} "
            f"(seeds/literature/observed_effects.toml; held out: {held}): weighted least "
            f"squares on log relative risks, median of {draws} draws. Fitted {one.value:.4g}, "
            f"approximate standard error {one.se:.3g} (95 %: {low:.3g} to {high:.3g}), the "
            f"spread written here{BEFORE}{prior.describe()}: {earlier or prior.source}"
        )

    return source
