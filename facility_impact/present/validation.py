"""The validation and the calibration as people read them: the terminal tables, the CSV
files and the figure (docs/validation.md).

The table and the figure read the validation table
(:func:`facility_impact.results.validation.validation_table`); the calibration's
tables read a :class:`facility_impact.run.calibration.Calibration`. matplotlib is
imported inside the figure function, as in :mod:`facility_impact.present.canvas`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.config.observed import Decision
from facility_impact.present.canvas import framed, wrapped
from facility_impact.present.style import BAR_EDGE, GREY, OKABE_ITO, apply_style, points
from facility_impact.run.calibration import Calibration
from facility_impact.version import __version__

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLUMNS = (
    "effect",
    "study",
    "service",
    "window",
    "observed",
    "observed_low",
    "observed_high",
    "model_median",
    "model_p05",
    "model_p95",
    "draws_used",
    "overlap",
    "fitted",
)
"""Columns of ``validation.csv``: relative risks of service use (1 = no change)."""


def _range(middle: float, low: float, high: float) -> str:
    if not np.isfinite(middle):
        return "no draw open"
    return f"{middle:.3f} ({low:.3f}-{high:.3f})"


def format_validation(table: xr.Dataset, decisions: Sequence[Decision] = ()) -> str:
    """The validation table as printed: per compared effect the observed relative risk
    with its 95 % interval, the model's median with its 90 % interval, and whether they
    overlap; then how many overlap and which observed rows were not compared."""
    width = max(len(str(e)) for e in table["effect"].values)
    head = f"{'effect':<{width}}  {'service':<10}  {'window':<19}  {'observed (95 % CI)':<22}"
    lines = [head + "  model median (90 %)     overlap"]
    for effect in table["effect"].values:
        row = table.sel(effect=effect)
        observed = _range(*(float(row[k]) for k in ("observed", "observed_low", "observed_high")))
        model = _range(*(float(row[k]) for k in ("model", "model_low", "model_high")))
        mark = "" if bool(row["fit"]) else " *"
        lines.append(
            f"{effect!s:<{width}}  {row['service'].item()!s:<10}  {row['measure'].item()!s:<19}  "
            f"{observed:<22}  {model:<23}  {'yes' if bool(row['overlap']) else 'no'}{mark}"
        )
    overlapping = int(table["overlap"].sum())
    lines += [
        "",
        f"{overlapping} of {table.sizes['effect']} intervals overlap. Relative risk of service "
        "use at the facility in the window (1 = no change); * compared, never fitted.",
        f"Model: {table.attrs.get('draws', '?')} draws, seed {table.attrs.get('seed', '?')}, "
        f"priors: {table.attrs.get('priors', '?')}.",
    ]
    unused = [d.id for d in decisions if not d.used]
    if unused:
        lines.append(
            f"Not compared ({len(unused)}; reasons in docs/validation.md): " + ", ".join(unused)
        )
    return "\n".join(lines)


def validation_csv(table: xr.Dataset) -> bytes:
    """``validation.csv``: one row per compared effect (:data:`COLUMNS`)."""
    rows = []
    for effect in table["effect"].values:
        row = table.sel(effect=effect)
        numbers = [
            _number(float(row[k]))
            for k in ("observed", "observed_low", "observed_high", "model", "model_low")
        ]
        rows.append(
            [
                str(effect),
                row["study"].item(),
                row["service"].item(),
                row["measure"].item(),
                *numbers,
                _number(float(row["model_high"])),
                int(row["draws_used"]),
                "yes" if bool(row["overlap"]) else "no",
                "yes" if bool(row["fit"]) else "no",
            ]
        )
    return _csv(COLUMNS, rows)


def _number(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.6g}"


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def row_label(table: xr.Dataset, effect: str) -> str:
    """A row of the figure in words: study, service, window."""
    row = table.sel(effect=effect)
    study = str(row["study"].item()).split(",")[0]
    note = "" if bool(row["fit"]) else " (not fitted)"
    return f"{study}: {row['service'].item()}, {row['measure'].item()}{note}"


GROUPS = (
    ("attack on the facility: the days after it", lambda scope, measure: scope == "attacked"),
    ("violence nearby: the month", lambda scope, measure: measure != "lags 0-30 (product)"),
    ("violence nearby: lags 0-30 (cumulative)", lambda scope, measure: True),
)
"""Panels of the validation figure, each with its own axis: the first group a row fits."""


def _groups(table: xr.Dataset) -> list[tuple[str, list[str]]]:
    found: dict[str, list[str]] = {}
    for effect in table["effect"].values:
        row = table.sel(effect=effect)
        scope, measure = str(row["scope"].item()), str(row["measure"].item())
        title = next(name for name, rule in GROUPS if rule(scope, measure))
        found.setdefault(title, []).append(str(effect))
    return [(name, found[name]) for name, _ in GROUPS if name in found]


def validation_figure(table: xr.Dataset, title: str = "") -> Figure:
    """One row per compared effect: the observed estimate with its 95 % interval and,
    just below it, the model's median with its 90 % interval over draws, on a log axis
    of the relative risk of service use (1 = no change); one panel per kind of
    exposure and window, each with its own axis."""
    groups = _groups(table)
    note = (
        f"Model: {table.attrs.get('draws', '?')} Latin hypercube draws of the priors "
        f"({table.attrs.get('priors', '?')}), seed {table.attrs.get('seed', '?')}, "
        f"facility_impact {__version__}. Observed: seeds/literature/observed_effects.toml. "
        "A model row with no marker had no draw with the facility open in the window."
    )
    heights = [len(effects) + 1.2 for _, effects in groups]
    with apply_style():
        caption = wrapped(note, points("tiny")).split("\n")
        frame = framed(0.27 * sum(heights) + 0.3, caption)
        axes = frame.body.subplots(len(groups), 1, height_ratios=heights, squeeze=False)[:, 0]
        handles: dict[str, Any] = {}
        for axis, (name, effects) in zip(axes, groups, strict=True):
            _draw_group(axis, table.sel(effect=effects), handles)
            axis.set_title(name, loc="left")
        axes[-1].set_xlabel("relative risk of service use (1 = no change; log scale)")
        return frame.finish(handles, title or "Service use after attacks: observed and modelled")


def _draw_group(axis: Any, table: xr.Dataset, handles: dict[str, Any]) -> None:
    # Imported here: matplotlib is optional for the package.
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    effects = [str(e) for e in table["effect"].values]
    positions = np.arange(len(effects), dtype=float)
    series = (
        ("observed (95 % interval)", "observed", -0.17, OKABE_ITO["black"], "o"),
        ("model (median, 5-95 % of draws)", "model", 0.17, OKABE_ITO["vermillion"], "s"),
    )
    for label, key, offset, colour, marker in series:
        middle = table[key].values.astype(float)
        low, high = table[f"{key}_low"].values, table[f"{key}_high"].values
        handles[label] = axis.errorbar(
            middle,
            positions + offset,
            xerr=np.clip(np.nan_to_num(np.vstack([middle - low, high - middle])), 0, None),
            fmt=marker,
            color=colour,
            ecolor=colour,
            markersize=4,
            elinewidth=1.4,
            capsize=2.5,
        )
    axis.axvline(1.0, color=GREY, linestyle=":", linewidth=1.0)
    axis.set_xscale("log")
    axis.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.xaxis.set_minor_formatter(NullFormatter())
    axis.set_yticks(positions, [row_label(table, e) for e in effects], fontsize=7)
    axis.set_ylim(len(effects) - 0.5, -0.5)
    axis.grid(axis="x", visible=True, which="both")
    axis.grid(axis="y", visible=False)
    axis.spines["left"].set_color(BAR_EDGE)


def calibration_parameters_csv(calibration: Calibration) -> bytes:
    """``calibration-parameters.csv``: each calibrated hyperparameter, prior and fitted."""
    rows = []
    for one in calibration.parameters:
        low, high = one.interval
        rows.append(
            [
                one.name,
                _number(one.prior),
                _number(one.value),
                _number(one.se),
                _number(low),
                _number(high),
                "yes" if one.identified else "no",
            ]
        )
    header = ("entry", "prior", "fitted", "se", "low_95", "high_95", "identified")
    return _csv(header, rows)


def calibration_effects_csv(
    calibration: Calibration, before: xr.Dataset, after: xr.Dataset
) -> bytes:
    """``calibration-effects.csv``: each compared effect, its role in the fit, the model
    at the prior and at the fit, and the weighted log residuals."""
    rows = []
    for effect in before["effect"].values:
        rows.append(
            [
                str(effect),
                _role(calibration, str(effect)),
                _number(float(before["observed"].sel(effect=effect))),
                _number(float(before["model"].sel(effect=effect))),
                _number(float(after["model"].sel(effect=effect))),
                _number(float(after["model_low"].sel(effect=effect))),
                _number(float(after["model_high"].sel(effect=effect))),
                _number(calibration.residuals_before[str(effect)]),
                _number(calibration.residuals_after[str(effect)]),
            ]
        )
    header = (
        "effect",
        "role",
        "observed",
        "model_prior",
        "model_fitted",
        "model_fitted_p05",
        "model_fitted_p95",
        "residual_prior",
        "residual_fitted",
    )
    return _csv(header, rows)


def _role(calibration: Calibration, effect: str) -> str:
    if effect in calibration.fitted:
        return "fitted"
    return "held out" if effect in calibration.held_out else "not fitted"


def format_calibration(calibration: Calibration, before: xr.Dataset, after: xr.Dataset) -> str:
    """What the calibration found: the hyperparameters, the fit and the held-out effects,
    then the validation tables before and after the fit."""
    lines = [f"{'entry':<26}  {'prior':>8}  {'fitted':>8}  {'se':>7}  approx. 95 % interval"]
    for one in calibration.parameters:
        if not one.identified:
            lines.append(f"{one.name:<26}  {one.prior:>8.4g}  {'kept':>8}  not identified")
            continue
        low, high = one.interval
        lines.append(
            f"{one.name:<26}  {one.prior:>8.4g}  {one.value:>8.4g}  {one.se:>7.3g}  "
            f"{low:.4g} to {high:.4g}"
        )
    lines += [
        "",
        f"Fit: {len(calibration.fitted)} effects; chi-square {calibration.chi2_before:.1f} at "
        f"the prior, {calibration.chi2:.1f} fitted (prior terms {calibration.chi2_terms:.1f}), "
        f"{calibration.dof} degrees of freedom; "
        f"{calibration.evaluations} runs, {calibration.seconds:.0f} s ({calibration.message}).",
    ]
    if calibration.held_out:
        lines.append("Held out (predicted with the fitted priors):")
        for effect in calibration.held_out:
            row = after.sel(effect=effect)
            observed = _range(
                *(float(row[k]) for k in ("observed", "observed_low", "observed_high"))
            )
            model = _range(*(float(row[k]) for k in ("model", "model_low", "model_high")))
            residual = calibration.residuals_after[effect]
            lines.append(
                f"  {effect}: observed {observed}, predicted {model}, "
                f"residual {residual:+.2f} se, overlap {'yes' if bool(row['overlap']) else 'no'}"
            )
    lines += ["", "Before the fit:", format_validation(before), "", "After the fit:"]
    return "\n".join([*lines, format_validation(after)])
