"""Summary Dataset → flat table (CSV) and a readable text table (terminal)."""

from __future__ import annotations

import itertools
import math

import xarray as xr

from facility_impact.config import Config

_COLUMN_DIMS = ("period", "threshold")


def _column_suffix(dim: str, value: float) -> str:
    if dim == "period":
        return f"{value:g}d"
    return f"{round(value * 100)}pct"


def summary_table(summary: xr.Dataset) -> tuple[list[str], list[list[object]]]:
    """One row per facility × service (× any ensemble coordinate), one column per indicator.

    Indicators with a ``period`` or ``threshold`` dim become one column per value,
    e.g. ``forgone_care_30d`` or ``days_to_capacity_50pct``. Missing values
    (a window longer than the run, capacity not back within the horizon) are
    left empty.
    """
    row_dims = [d for d in summary.dims if d not in _COLUMN_DIMS]
    # facility and service first, whatever order the Dataset holds them in.
    row_dims.sort(key=lambda d: {"facility": 0, "service": 1}.get(d, 2))
    columns: list[tuple[str, str, dict[str, float]]] = []
    for name, variable in summary.data_vars.items():
        column_dims = [d for d in _COLUMN_DIMS if d in variable.dims]
        for values in itertools.product(*(summary[d].values for d in column_dims)):
            selection = dict(zip(column_dims, values, strict=True))
            suffix = "_".join(_column_suffix(d, float(v)) for d, v in selection.items())
            columns.append((f"{name}_{suffix}" if suffix else name, name, selection))
    header = [*row_dims, *(title for title, _, _ in columns)]
    rows = []
    for index in itertools.product(*(summary[d].values for d in row_dims)):
        where = dict(zip(row_dims, index, strict=True))
        row: list[object] = [str(v) for v in index]
        for _, name, selection in columns:
            variable = summary[name]
            point = {d: v for d, v in {**where, **selection}.items() if d in variable.dims}
            value = float(variable.sel(point).values)
            row.append("" if math.isnan(value) else round(value, 4))
        rows.append(row)
    return header, rows


def _count(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def _days(value: float, horizon_left: float) -> str:
    return f"not by {horizon_left:g}" if math.isnan(value) else f"{value:,.0f}"


def format_summary(summary: xr.Dataset, periods: tuple[int, ...] = (30, 90, 365)) -> str:
    """A plain-text table per facility: baseline, forgone care and served elsewhere
    [patients] at ``periods`` days after the first strike, and days to 50 % and 90 %
    of baseline capacity. A facility that does not open within the run gets one line.
    With diversion among modelled facilities, a last table lists each receiving
    facility's arrivals, received, overflow [patients] and days at full capacity."""
    shown = [p for p in periods if p in summary["period"].values]
    extra_dims = [d for d in summary.dims if d not in ("facility", "service", *_COLUMN_DIMS)]
    horizon_left = summary.attrs.get("horizon_days", 0) - summary.attrs.get("first_strike_day", 0)
    lines = [str(summary.attrs.get("title", ""))]
    period_heads = "".join(f"{p:>8} d" for p in shown)
    header = (
        f"{'service':<14}{'baseline':>10}  "
        f"{'forgone care (patients)':^{10 * len(shown)}}  "
        f"{'served elsewhere (patients)':^{10 * len(shown)}}  {'days to capacity':>24}"
    )
    subheader = f"{'':<14}{'/month':>10}  {period_heads}  {period_heads}  {'50 %':>12}{'90 %':>12}"
    horizon = summary.attrs.get("horizon_days", 0)
    for combination in itertools.product(*(summary[d].values for d in extra_dims)):
        subset = summary.sel(dict(zip(extra_dims, combination, strict=True)))
        tag = ", ".join(f"{d} = {v}" for d, v in zip(extra_dims, combination, strict=True))
        for facility in subset["facility"].values:
            one = subset.sel(facility=facility)
            title = f"{facility}" + (f" ({tag})" if tag else "")
            if "opens_day" in one.coords and float(one["opens_day"]) >= horizon:
                lines += ["", f"{title}: does not open within the run"]
                continue
            lines += ["", title, header, subheader]
            for service in one["service"].values:
                line = one.sel(service=service)
                if not line["baseline_volume_per_month"] > 0:
                    continue
                cells = [
                    f"{service:<14}",
                    f"{_count(float(line['baseline_volume_per_month'])):>10}  ",
                ]
                cells += [f"{_count(float(line['forgone_care'].sel(period=p))):>10}" for p in shown]
                cells.append("  ")
                cells += [
                    f"{_count(float(line['served_elsewhere_total'].sel(period=p))):>10}"
                    for p in shown
                ]
                cells.append("  ")
                cells += [
                    f"{_days(float(line['days_to_capacity'].sel(threshold=x)), horizon_left):>12}"
                    for x in (0.5, 0.9)
                ]
                lines.append("".join(cells))
        if "arrivals_total" in subset:
            lines += _overload_lines(subset, horizon_left)
    lines.append("")
    lines.append(
        "Days are counted from the first strike; forgone care = unmet + abandoned; "
        "'-' = window longer than the run; 'not by N' = not back within the horizon."
    )
    return "\n".join(lines)


def _overload_lines(summary: xr.Dataset, horizon_left: float) -> list[str]:
    """Receiving facilities over the longest window that fits the run: what arrived
    from other modelled facilities, what they served, the overflow and the days they
    ran full.

    Only rows where at least half a patient arrived (shown as 1 or more) are listed.
    """
    # The longest window that fits the run (windows start at the first strike).
    window = max(p for p in summary["period"].values if p <= horizon_left)
    whole = summary.sel(period=window)
    rows = []
    for facility in whole["facility"].values:
        for service in whole["service"].values:
            line = whole.sel(facility=facility, service=service)
            if not float(line["arrivals_total"]) >= 0.5:
                continue
            rows.append(
                f"{facility!s:<22}{service!s:<14}"
                + "".join(
                    f"{_count(float(line[name])):>10}"
                    for name in ("arrivals_total", "received_total", "overflow_total")
                )
                + f"{_count(float(line['days_at_full_capacity'])):>16}"
            )
    if not rows:
        return []
    return [
        "",
        f"Patients from other facilities, first {window:g} days after the first strike",
        f"{'receiving facility':<22}{'service':<14}{'arrivals':>10}{'received':>10}"
        f"{'overflow':>10}{'days full':>16}",
        *rows,
    ]


def describe_config(config: Config) -> str:
    """What a configuration describes, in a few lines (``facility-impact check``)."""
    lines = [f"{config.title} ({config.name})"]
    start = f", from {config.start_date}" if config.start_date else ""
    lines.append(f"horizon {config.horizon_days} d{start}, seed {config.seed}")
    for facility in config.facilities.values():
        resources = ", ".join(f"{name} {count:g}" for name, count in facility.resources.items())
        life = ""
        if facility.opens_day >= config.horizon_days:
            life = "; does not open within the run"
        elif facility.opens_day:
            life = f"; opens day {facility.opens_day}"
        if facility.closes_day is not None:
            life += f"; closed for good from day {facility.closes_day}"
        lines.append(
            f"facility {facility.name} ({facility.label}): population {facility.population:,.0f}; "
            f"resources: {resources}{life}"
        )
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
    for index, strike in enumerate(config.strikes):
        damage = ", ".join(f"{r} {d:.0%}" for r, d in strike.damage.items()) or "none"
        label = f" ({strike.label})" if strike.label else ""
        lines.append(
            f"strike {index}{label}: {strike.facility} on day {strike.day}, closed "
            f"{strike.closure_days:g} d, damage {damage}, casualties {strike.casualties:g}"
        )
    for resource in config.resource_names:
        recovery = config.recovery_for(resource)
        lines.append(
            f"recovery of {resource}: {recovery.curve.describe()}, "
            f"recoverable {recovery.recoverable_share:.0%}"
            + ("" if resource in config.recovery else " (default: none configured)")
        )
    if config.network is not None:
        network = config.network
        kind = "symmetric" if network.symmetric else "from row to column"
        lines.append(f"network distances [km] ({kind}):")
        for origin in network.facilities:
            distances = ", ".join(
                f"{destination} {network.distance(origin, destination):g}"
                for destination in network.facilities
                if destination != origin
            )
            lines.append(f"  {origin}: {distances or 'no other facility'}")
    for alternative in config.alternatives:
        spare = ", ".join(f"{s} {v:g}" for s, v in alternative.spare_capacity_per_month.items())
        distances = sorted(set(alternative.distance_km.values()))
        km = "/".join(f"{d:g}" for d in distances)
        opens = f", opens day {alternative.opens_day}" if alternative.opens_day else ""
        lines.append(
            f"alternative {alternative.name} ({alternative.label}): {km} km, "
            f"spare per month: {spare}{opens}"
        )
    return "\n".join(lines)


__all__ = ["describe_config", "format_summary", "summary_table"]
