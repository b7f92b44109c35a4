"""Summary Dataset → a readable text table (terminal); a configuration described."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.config import Alternative, Config, Facility, Network, Strike, show_value
from facility_impact.config.variation import Uncertain, high
from facility_impact.present.headline import (
    ACCOUNT_COLUMNS,
    ALL_SERVICES_LABEL,
    IDENTITY_TEXT,
    MEDIANS_TEXT,
    SHOWN_PERIODS_DAYS,
    FacilityTable,
    Headline,
    cell,
    count,
    headline,
    tagged,
)
from facility_impact.results.summary import RECOVERY_THRESHOLDS
from facility_impact.variables import SCENARIO_DIM, ensemble_dims


def selection_heading(selection: dict[Hashable, Any], scenario_label: str | None) -> str:
    """A scenario or sweep point as the terminal says it: "scenario = x (label)",
    "closure_days = 30"."""
    parts = []
    for dim, value in selection.items():
        label = f" ({scenario_label})" if dim == SCENARIO_DIM and scenario_label is not None else ""
        parts.append(
            f"{dim} = {value:g}" if isinstance(value, float) else f"{dim} = {value}{label}"
        )
    return ", ".join(parts)


def format_summary(summary: xr.Dataset, periods: tuple[int, ...] = SHOWN_PERIODS_DAYS) -> str:
    """The headline numbers as plain text: per scenario or sweep point, one sentence
    of the patient contacts lost, then per facility where the care went in the first
    year after the first strike (or the longest window of the run: demand, care
    without the strikes, added, served here and elsewhere, forgone, displaced, extra
    still waiting [patients]) per service and as patient contacts of all kinds, then
    baseline, forgone care at ``periods`` days and days to 50 % and 90 % of baseline
    capacity. With draws, each cell is the median and, in brackets, the 5th–95th
    percentile range. A facility that does not open within the run gets one line.
    With diversion among modelled facilities, a last table lists each receiving
    facility's arrivals, received, overflow [patients] and days at full capacity."""
    numbers = headline(summary, periods)
    lines = [numbers.title]
    if numbers.with_ranges:
        lines.append(f"{numbers.draws} draws: median (5th–95th percentile) over draws")
    for group in numbers.groups:
        subset = summary.sel(group.selection)
        tag = selection_heading(group.selection, group.scenario_label)
        if group.sentence:
            lines += ["", *textwrap.wrap(tagged(group.label(), group.sentence), _WRAP)]
        for table in group.facilities:
            title = f"{table.facility}" + (f" ({tag})" if tag else "")
            if not table.opens_within_run:
                lines += ["", f"{title}: does not open within the run"]
                continue
            lines += ["", title, *_account_lines(numbers, table), ""]
            lines += _service_lines(numbers, table)
            one = subset.sel(facility=table.facility)
            lines += _standards_lines(one)
            lines += _outcome_lines(one, numbers.periods)
        if "arrivals_total" in subset:
            lines += _overload_lines(subset, numbers.horizon_left)
    lines.append("")
    notes = [IDENTITY_TEXT, *([MEDIANS_TEXT] if numbers.with_ranges else [])]
    notes.append(
        "Days are counted from the first strike; '-' = window longer than the run; "
        "'>N' = not back within the horizon (N days after the first strike)."
    )
    lines += textwrap.wrap(" ".join(notes), _WRAP)
    return "\n".join(lines)


_WRAP = 100
"""Characters per line of the sentences and notes."""


def _account_lines(numbers: Headline, table: FacilityTable) -> list[str]:
    """Where the care went, per offered service and as patient contacts of all kinds."""
    if numbers.window is None:
        return []
    width = 22 if numbers.with_ranges else 11
    label = max(14, len(ALL_SERVICES_LABEL) + 1)
    heads = "".join(f"{column.short:>{width}}" for column in ACCOUNT_COLUMNS)
    lines = [
        f"where the care went in {numbers.window_text()} "
        "(patients; no strike: care without the strikes)",
        f"{'service':<{label}}{heads}",
    ]
    for row in table.rows:
        cells = "".join(
            f"{row.accounts[column.name].text(count):>{width}}" for column in ACCOUNT_COLUMNS
        )
        lines.append(f"{row.service!s:<{label}}{cells}")
    cells = "".join(
        f"{table.contacts[column.name].text(count):>{width}}" for column in ACCOUNT_COLUMNS
    )
    lines.append(f"{ALL_SERVICES_LABEL:<{label}}{cells}")
    return lines


def _service_lines(numbers: Headline, table: FacilityTable) -> list[str]:
    """The header and one line per offered service of one facility's table."""
    shown = numbers.periods
    width = 22 if numbers.with_ranges else 10
    period_heads = "".join(f"{f'{p} d':>{width}}" for p in shown)
    threshold_heads = "".join(f"{f'{t * 100:.0f} %':>{width}}" for t in RECOVERY_THRESHOLDS)
    lines = [
        f"{'service':<14}{'baseline':>10}  "
        f"{'forgone care (patients)':^{width * len(shown)}}  "
        f"{'days to capacity':^{len(RECOVERY_THRESHOLDS) * width}}",
        f"{'':<14}{'/month':>10}  {period_heads}  {threshold_heads}",
    ]
    for row in table.rows:
        cells = [f"{row.service!s:<14}", f"{count(row.baseline_per_month):>10}  "]
        cells += [f"{row.forgone_care[p].text(count):>{width}}" for p in shown]
        cells.append("  ")
        cells += [
            f"{row.days_to_capacity[t].text(numbers.days):>{width}}" for t in RECOVERY_THRESHOLDS
        ]
        lines.append("".join(cells))
    return lines


def _standards_lines(one: xr.Dataset) -> list[str]:
    """Humanitarian-standards indicators of one facility: before, worst, at the horizon."""
    if "standard_value" not in one:
        return []
    moments = ("before", "worst", "at_horizon")
    rows = []
    for indicator in one["indicator"].values:
        values = one["standard_value"].sel(indicator=indicator)
        if bool(values.isnull().all()):
            continue
        cells = [cell(values.sel(moment=moment), lambda v: f"{v:,.1f}") for moment in moments]
        rows.append((indicator, cells))
    # With draws a cell is "median (p5–p95)": the columns widen to fit it.
    width = max([12, *(len(cell) + 2 for _, cells in rows for cell in cells)])
    heads = "".join(f"{head:>{width}}" for head in ("before", "worst", "at horizon"))
    lines = [f"  {'against minimum standards':<34}{heads}   standard"]
    for indicator, cells in rows:
        comparison = str(one["standard_comparison"].sel(indicator=indicator).item())
        threshold = float(one["standard_threshold"].sel(indicator=indicator))
        verified = bool(one["threshold_verified"].sel(indicator=indicator))
        name = str(one["indicator_long_name"].sel(indicator=indicator).item())
        lines.append(
            f"  {name:<34}{''.join(f'{cell:>{width}}' for cell in cells)}   "
            f"{comparison} {threshold:g}" + ("" if verified else " (threshold unverified)")
        )
    return lines


def _outcome_lines(one: xr.Dataset, periods: Sequence[float]) -> list[str]:
    """Indicative outcomes, always with the word "indicative" and their source."""
    if "indicative_outcome" not in one:
        return []
    lines = []
    for outcome in one["outcome"].values:
        values = one["indicative_outcome"].sel(outcome=outcome)
        label = str(one["outcome_label"].sel(outcome=outcome).item())
        cells = ", ".join(
            f"{cell(values.sel(period=p), lambda v: f'{v:,.1f}')} at {p} d" for p in periods
        )
        source = str(one["outcome_source"].sel(outcome=outcome).item())
        lines.append(f"  {label}: {cells} (source: {source})")
    return lines


def _overload_lines(summary: xr.Dataset, horizon_left: float) -> list[str]:
    """Receiving facilities over the longest window that fits the run: what arrived
    from other modelled facilities, what they served, the overflow and the days they
    ran full.

    Only rows where at least half a patient arrived (shown as 1 or more) are listed.
    """
    # The longest window that fits the run (windows start at the first strike).
    window = max(p for p in summary["period"].values if p <= horizon_left)
    whole = summary.sel(period=window)
    width = 22 if "quantile" in summary.dims else 10
    rows = []
    for facility in whole["facility"].values:
        for service in whole["service"].values:
            line = whole.sel(facility=facility, service=service)
            if not float(line["arrivals_total"].max()) >= 0.5:
                continue
            rows.append(
                f"{facility!s:<22}{service!s:<14}"
                + "".join(
                    f"{cell(line[name], count):>{width}}"
                    for name in ("arrivals_total", "received_total", "overflow_total")
                )
                + f"{cell(line['days_at_full_capacity'], count):>{width + 6}}"
            )
    if not rows:
        return []
    return [
        "",
        f"Patients from other facilities, first {window:g} days after the first strike",
        f"{'receiving facility':<22}{'service':<14}{'arrivals':>{width}}{'received':>{width}}"
        f"{'overflow':>{width}}{'days full':>{width + 6}}",
        *rows,
    ]


def format_sensitivity(indices: xr.Dataset, top: int = 5) -> str:
    """The ``top`` inputs per facility and service (and scenario or sweep point),
    ranked by the size of their index."""
    measure = "rank_correlation" if "rank_correlation" in indices else "total_order"
    names = [measure] + (["first_order"] if measure == "total_order" else [])
    lines = [
        f"What drives {indices.attrs.get('output', 'the output')} ({indices.attrs['method']}):"
    ]
    extra_dims = ensemble_dims(indices[measure])
    for combination in itertools.product(*(indices[d].values for d in extra_dims)):
        selection: dict[Hashable, Any] = dict(zip(extra_dims, combination, strict=True))
        subset = indices.sel(selection)
        label = None
        if SCENARIO_DIM in selection and "scenario_label" in indices.coords:
            label = str(indices["scenario_label"].sel(scenario=selection[SCENARIO_DIM]).item())
        tag = selection_heading(selection, label)
        for facility in subset["facility"].values:
            for service in subset["service"].values:
                values = subset[measure].sel(facility=facility, service=service)
                if bool(values.isnull().all()):
                    continue
                order = np.argsort(-np.abs(np.nan_to_num(values.values)))[:top]
                lines.append("")
                lines.append(f"{facility} / {service}" + (f" ({tag})" if tag else ""))
                for position in order:
                    entry = subset.isel(input=int(position)).sel(facility=facility, service=service)
                    numbers = "  ".join(f"{n} {float(entry[n]):+.2f}" for n in names)
                    lines.append(f"  {entry['input'].item()!s:<44} {numbers}")
    return "\n".join(lines)


def describe_config(config: Config) -> str:
    """What a configuration describes, in a few lines (``facility-impact check``)."""
    lines = [f"{config.title} ({config.name})"]
    start = f", from {config.start_date}" if config.start_date else ""
    draws = f", {config.draws} Latin hypercube draws" if config.draws else ""
    lines.append(f"horizon {config.horizon_days} d{start}, seed {config.seed}{draws}")
    for value in config.variations():
        stream = ""
        if isinstance(value, Uncertain) and value.stream != value.path:
            stream = f" [random stream {value.stream}]"
        lines.append(f"varies: {value.path} = {value.describe()}{stream}")
    for facility in config.facilities.values():
        lines += _facility_lines(facility, config.horizon_days)
    for index, strike in enumerate(config.strikes):
        damage = ", ".join(f"{r} {d:.0%}" for r, d in strike.damage.items()) or "none"
        label = f" ({strike.label})" if strike.label else ""
        lines.append(
            f"strike {index}{label}: {strike.facility} on day {strike.day}, closed "
            f"{strike.closure_days:g} d, damage {damage}, casualties {strike.casualties:g}"
        )
        lines += _recorded_lines(strike)
    for resource in config.resource_names:
        holders = [f for f in config.facilities.values() if resource in f.resources]
        if holders and all(resource in f.recovery for f in holders):
            continue  # every facility with it has its own table (shown with the facility)
        recovery = config.recovery_for(resource)
        lines.append(
            f"recovery of {resource}: {recovery.curve.describe()}, "
            f"recoverable {recovery.recoverable_share:.0%}"
            + ("" if resource in config.recovery else " (default: none configured)")
        )
    for outcome in config.outcomes:
        lines.append(
            f"indicative outcome {outcome.name} ({outcome.label}): {outcome.per_forgone_patient:g} "
            f"per forgone {outcome.service} patient; source: {outcome.source}"
        )
    if config.network is not None:
        lines += _network_lines(config.network)
    lines += [_alternative_line(alternative) for alternative in config.alternatives]
    for scenario in config.scenarios:
        lines.append(f"scenario {scenario.name} ({scenario.label}):")
        for key, value in scenario.settings:
            lines.append(f"  set {key} = {show_value(value)}")
    return "\n".join(lines)


def _recorded_lines(strike: Strike) -> list[str]:
    """A strike as recorded (what the priors gave it) and its people's response."""
    lines = []
    if strike.attack_type is not None:
        lines.append(
            f"  recorded as {strike.attack_type}, facility {strike.facility_damage}: "
            f"{len(strike.priors)} values from the priors of attacks (listed in the report)"
        )
    shares = [(s, a) for s, a in strike.avoidance.items() if high(a) > 0]
    if shares:
        avoided = ", ".join(f"{service} {share:.0%}" for service, share in shares)
        lines.append(
            f"  people stay away: {avoided}; {strike.avoidance_nearby_share:.0%} of it within "
            f"{strike.avoidance_radius_km:g} km; fading {strike.avoidance_fade.describe()}"
        )
    return lines


def _facility_lines(facility: Facility, horizon_days: int) -> list[str]:
    """A facility: population, resources, when it is open, services, displacement and
    its own recovery curves."""
    resources = ", ".join(f"{name} {amount:g}" for name, amount in facility.resources.items())
    life = ""
    if facility.opens_day >= horizon_days:
        life = "; does not open within the run"
    elif facility.opens_day:
        life = f"; opens day {facility.opens_day}"
    if facility.closes_day is not None:
        life += f"; closed for good from day {facility.closes_day}"
    lines = [
        f"facility {facility.name} ({facility.label}): population {facility.population:,.0f}; "
        f"resources: {resources}{life}"
    ]
    for service in facility.services.values():
        needs = ", ".join(f"{r} {w:g}" for r, w in service.needs.items()) or "nothing"
        lines.append(
            f"  service {service.name}: {service.volume_per_month:,.0f}/month, "
            f"needs {needs}; deferrable {service.deferrable_share:.0%}"
        )
    if facility.displacement:
        move = facility.displacement
        lines.append(
            f"  displacement: {move.share:.0%} of the population from day {move.start_day}, "
            f"{move.curve.describe()}"
        )
    for resource, recovery in facility.recovery.items():
        lines.append(
            f"  recovery of {resource} here: {recovery.curve.describe()}, "
            f"recoverable {recovery.recoverable_share:.0%}"
        )
    return lines


def _network_lines(network: Network) -> list[str]:
    """The distance from each facility of the network to every other [km]."""
    kind = "symmetric" if network.symmetric else "from row to column"
    lines = [f"network distances [km] ({kind}):"]
    for origin in network.facilities:
        distances = ", ".join(
            f"{destination} {network.distance(origin, destination):g}"
            for destination in network.facilities
            if destination != origin
        )
        lines.append(f"  {origin}: {distances or 'no other facility'}")
    return lines


def _alternative_line(alternative: Alternative) -> str:
    """An alternative provider: its distances [km], spare capacity and opening day."""
    spare = ", ".join(f"{s} {v:g}" for s, v in alternative.spare_capacity_per_month.items())
    km = "/".join(f"{d:g}" for d in sorted(set(alternative.distance_km.values())))
    opens = f", opens day {alternative.opens_day}" if alternative.opens_day else ""
    return (
        f"alternative {alternative.name} ({alternative.label}): {km} km, "
        f"spare per month: {spare}{opens}"
    )


__all__ = ["describe_config", "format_summary"]
