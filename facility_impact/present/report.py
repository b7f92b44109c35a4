"""The report of a results file: every figure that applies, and one self-contained
HTML page with the headline numbers, the figures, the assumptions and the
configuration (docs/report.md).

Everything is read from the result Dataset alone (as written by ``run``): the
headline numbers are :func:`facility_impact.results.summary.summarize` of it, formatted as
the printed tables format them; the assumptions come from the configuration text
in its attributes. The HTML needs no network and no script: images are
``data:`` URIs, the style sheet is inline.
"""

from __future__ import annotations

import base64
import html
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from facility_impact.config.assumptions import ASSUMPTION, Parameter, parameters
from facility_impact.errors import ConfigError
from facility_impact.present.figures import (
    _stem,
    capacity_figure,
    has_load,
    load_figure,
    render_figure,
)
from facility_impact.present.maps import map_figure
from facility_impact.present.summary_figures import (
    SHOWN_PERIODS_DAYS,
    forgone_figure,
    longest_period,
    scenario_figure,
    sensitivity_figure,
    standards_figure,
    sweep_dims,
    sweep_figure,
)
from facility_impact.present.tables import _cell, _count, _days
from facility_impact.results.summary import QUANTILES, RECOVERY_THRESHOLDS, summarize
from facility_impact.run.io import atomic_paths

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REQUIRED_VARIABLES = ("capacity", "demand", "served", "unmet", "abandoned", "baseline_capacity")
"""Variables without which a file is not a facility_impact results file."""


@dataclass(frozen=True)
class DrawnFigure:
    """One figure of the report: ``name`` is the file suffix (``<stem>-<name>.png``)."""

    name: str
    heading: str
    description: str
    figure: Figure


@dataclass(frozen=True)
class Figures:
    """The figures that apply to a results file, and a note for each one that does not."""

    drawn: list[DrawnFigure]
    notes: list[str]


def check_results(results: xr.Dataset, where: str = "results") -> None:
    """Raise ConfigError unless ``results`` looks like a facility_impact results file."""
    missing = [name for name in REQUIRED_VARIABLES if name not in results]
    if missing or "time" not in results.dims:
        raise ConfigError(
            f"{where}: not a facility_impact results file "
            f"(missing {', '.join(missing) or 'the time dim'}); write one with facility-impact run"
        )


def draw_figures(results: xr.Dataset, summary: xr.Dataset | None = None) -> Figures:
    """Every figure that applies to ``results``; a note for each that does not.

    ``summary`` is ``summarize(results)`` when the caller has it already.
    """
    check_results(results)
    summary = summarize(results) if summary is None else summary
    draws = "draw" in results["capacity"].dims
    per_run = summarize(results, quantiles=None) if draws else summary
    drawn: list[DrawnFigure] = []
    notes: list[str] = []

    def attempt(name: str, heading: str, description: str, make: Callable[[], Figure]) -> None:
        try:
            drawn.append(DrawnFigure(name, heading, description, make()))
        except ValueError as reason:
            notes.append(f"{heading}: not drawn — {reason}")

    band = "median over draws and 5th–95th percentile band, " if draws else ""
    attempt(
        "capacity",
        "Capacity and demand over time",
        f"Daily capacity and demand per service ({band}strikes marked, closures shaded).",
        lambda: capacity_figure(results),
    )
    if not draws:
        notes.append(
            "no draws in the results: figures show single values, without bands or whiskers"
        )
    periods = ", ".join(f"{p}" for p in SHOWN_PERIODS_DAYS)
    attempt(
        "forgone",
        "Forgone care and care received elsewhere, by service",
        f"Cumulative patients at {periods} days after the first strike "
        "(the headline table's numbers).",
        lambda: forgone_figure(summary, results),
    )
    if results.sizes.get("scenario", 0) >= 2:
        attempt(
            "scenarios",
            "Scenario comparison",
            "Forgone care per scenario over the longest window that fits the run, sorted.",
            lambda: scenario_figure(per_run, results),
        )
    else:
        notes.append("Scenario comparison: not drawn — the results have no scenarios")
    if len([d for d in sweep_dims(results["capacity"]) if results.sizes[d] >= 2]) >= 2:
        attempt(
            "sweep",
            "Sweep heatmap",
            "Forgone care across the first two sweep dims, per service, with contours.",
            lambda: sweep_figure(per_run, results),
        )
    else:
        notes.append("Sweep heatmap: not drawn — the results have fewer than two sweep dims")
    if "input_quantile" in results:
        from facility_impact.run.sensitivity import rank_correlation

        def sensitivity() -> Figure:
            try:
                indices = rank_correlation(results, longest_period(per_run))
            except ConfigError as error:
                raise ValueError(str(error)) from None
            return sensitivity_figure(indices, results)

        attempt(
            "sensitivity",
            "What drives forgone care",
            "Spearman rank correlation of each uncertain input with forgone care over the draws.",
            sensitivity,
        )
    else:
        notes.append(
            "What drives forgone care: not drawn — no uncertain inputs (no distribution, no draws)"
        )
    attempt(
        "standards",
        "Humanitarian minimum standards",
        "Beds and health workers per 10,000 people and consultations per person per year, "
        "before the strike, on the worst day and at the horizon, against their thresholds.",
        lambda: standards_figure(summary, results),
    )
    if has_load(results):
        attempt(
            "load",
            "Load on receiving facilities",
            "Capacity, own demand and arrivals from other facilities over time.",
            lambda: load_figure(results),
        )
    else:
        notes.append(
            "Load on receiving facilities: not drawn — no modelled facility received patients "
            "from another"
        )
    # issue 15: the map, when the results carry coordinates.
    placed = map_figure(results, summary)
    if placed is not None:
        drawn.append(
            DrawnFigure(
                "map",
                "Map of the network",
                "Facilities at their places (marker area: baseline volume; colour: share of "
                "days at full capacity), strikes outlined with their dates, diverted patients "
                "as arrows whose width is the patients moved.",
                placed,
            )
        )
    return Figures(drawn, notes)


def figure_files(figures: Figures, stem: str) -> dict[str, bytes]:
    """File name → content of every drawn figure as PNG and SVG (``<stem>-<name>.<ext>``)."""
    files = {}
    for item in figures.drawn:
        for extension, content in render_figure(item.figure).items():
            files[f"{stem}-{item.name}.{extension}"] = content
    return files


def write_files(files: dict[str, bytes], out_dir: str | Path) -> list[Path]:
    """Write every file into ``out_dir``: all appear together or none does."""
    targets = [Path(out_dir) / name for name in files]
    with atomic_paths(*targets) as temporaries:
        for temporary, content in zip(temporaries, files.values(), strict=True):
            temporary.write_bytes(content)
    return targets


def write_figures(results: xr.Dataset, out_dir: str | Path) -> tuple[list[Path], list[str]]:
    """Draw every figure that applies and write them as PNG and SVG; returns the paths
    and the notes on figures not drawn."""
    figures = draw_figures(results)
    return write_files(figure_files(figures, _stem(results)), out_dir), figures.notes


def write_report(results: xr.Dataset, out_dir: str | Path) -> tuple[list[Path], list[str]]:
    """Write the figures (PNG, SVG) and ``<stem>-report.html`` into ``out_dir``, all
    together; returns the paths (the HTML last) and the notes on figures not drawn."""
    summary = summarize(results)
    figures = draw_figures(results, summary)
    stem = _stem(results)
    files = figure_files(figures, stem)
    page = report_html(results, summary, figures, files, stem)
    files[f"{stem}-report.html"] = page.encode("utf-8")
    return write_files(files, out_dir), figures.notes


# --------------------------------------------------------------------------- HTML

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 64rem; margin: 2rem auto;
       padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem;
     margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
.provenance { color: #505050; font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.4rem 0 1rem; }
th, td { border: 1px solid #d0d0d0; padding: 0.25rem 0.45rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.number { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.number .range { color: #505050; font-size: 0.8rem; }
.wide { overflow-x: auto; }
tr.assumption td.basis { font-weight: bold; color: #8a3b00; }
table.assumptions td:first-child { overflow-wrap: anywhere; width: 30%; }
table.assumptions td.basis { white-space: nowrap; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
figcaption { font-size: 0.9rem; color: #333; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.6rem; font-size: 0.78rem;
      overflow-x: auto; white-space: pre-wrap; }
.note { color: #505050; font-size: 0.9rem; }
"""


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def report_html(
    results: xr.Dataset,
    summary: xr.Dataset,
    figures: Figures,
    files: dict[str, bytes],
    stem: str,
) -> str:
    """The report page as text: headline table, figures (PNG ``data:`` URIs from
    ``files``), notes on figures not drawn, assumptions and configuration."""
    attrs = results.attrs
    title = str(attrs.get("title") or stem)
    draws = results.sizes.get("draw", 0) if "draw" in results["capacity"].dims else 0
    facts = [
        f"configuration: {attrs.get('configuration_name', 'unknown')}",
        f"seed {attrs.get('seed', 'unknown')}",
        f"horizon {results.sizes['time']} days",
        f"{draws} draws" if draws else "no draws",
        f"facility_impact {attrs.get('facility_impact_version', 'unknown')}",
    ]
    if attrs.get("start_date"):
        facts.insert(3, f"day 0 = {attrs['start_date']}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_escape(title)} — facility_impact report</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_escape(title)}</h1>",
        f'<p class="provenance">{_escape(" · ".join(facts))}</p>',
        '<section id="headline">',
        "<h2>Headline numbers</h2>",
        *_headline_tables(summary),
        "</section>",
        '<section id="figures">',
        "<h2>Figures</h2>",
    ]
    for item in figures.drawn:
        name = f"{stem}-{item.name}"
        encoded = base64.b64encode(files[f"{name}.png"]).decode("ascii")
        parts += [
            f'<figure id="figure-{_escape(item.name)}">',
            f'<img src="data:image/png;base64,{encoded}" alt="{_escape(item.heading)}">',
            f"<figcaption><strong>{_escape(item.heading)}.</strong> "
            f"{_escape(item.description)} Files: {_escape(name)}.png, {_escape(name)}.svg."
            "</figcaption>",
            "</figure>",
        ]
    if figures.notes:
        parts += ["<h3>Not drawn</h3>", '<ul class="note">']
        parts += [f"<li>{_escape(note)}</li>" for note in figures.notes]
        parts.append("</ul>")
    parts += ["</section>", *_assumptions_section(results), *_configuration_section(results)]
    parts += [
        '<p class="note">Generated by facility_impact from the results file alone; how each '
        "number and figure is computed: docs/report.md of the facility_impact source.</p>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _headline_tables(summary: xr.Dataset) -> list[str]:
    """One table per scenario and sweep point and facility: per service, baseline,
    forgone care at 30/90/365 days, served elsewhere and person-days without access
    over the run, and days to 50 % and 90 % of baseline capacity."""
    periods = [p for p in SHOWN_PERIODS_DAYS if p in summary["period"].values]
    whole = longest_period(summary)
    horizon_left = summary.attrs.get("horizon_days", 0) - summary.attrs.get("first_strike_day", 0)
    extra_dims = [d for d in summary["forgone_care"].dims if d not in _TABLE_DIMS]
    draws = "quantile" in summary.dims
    lines = [
        '<p class="note">'
        + _escape(
            "Patients, counted from the first strike; forgone care = unmet + abandoned. "
            + (
                f"Each cell: median ({QUANTILES[0] * 100:.0f}th–{QUANTILES[-1] * 100:.0f}th "
                f"percentile) over {summary.attrs.get('draws', '')} draws. "
                if draws
                else ""
            )
            + "'-': window longer than the run; '>N': capacity not back within the horizon "
            "(N days after the first strike)."
        )
        + "</p>"
    ]
    for combination in itertools.product(*(summary[d].values for d in extra_dims)):
        selection = dict(zip(extra_dims, combination, strict=True))
        subset = summary.sel(selection)
        tag = _selection_label(summary, selection)
        for facility in subset["facility"].values:
            one = subset.sel(facility=facility)
            offered = [
                s
                for s in one["service"].values
                if one["baseline_volume_per_month"].sel(service=s) > 0
            ]
            if not offered:
                continue
            label = str(one["facility_label"].item()) if "facility_label" in one.coords else ""
            heading = label or str(facility)
            lines.append(f"<h3>{_escape(heading + (f' — {tag}' if tag else ''))}</h3>")
            attributes = " ".join(
                f'data-{_escape(dim)}="{_escape(value)}"' for dim, value in selection.items()
            )
            lines.append(
                f'<div class="wide"><table class="headline" data-facility="{_escape(facility)}" '
                f"{attributes}>"
            )
            head = ["service", "baseline per month"]
            head += [f"forgone care, first {p} d" for p in periods]
            if whole is not None:
                head += [
                    f"served elsewhere, first {whole:g} d",
                    "person-days without access, first strike to horizon",
                ]
            head += [f"days to {t:.0%} of capacity" for t in RECOVERY_THRESHOLDS]
            lines.append("<tr>" + "".join(f"<th>{_escape(h)}</th>" for h in head) + "</tr>")
            for service in offered:
                row = one.sel(service=service)
                cells = [
                    ("", _escape(service)),
                    ("baseline_volume_per_month", _count(float(row["baseline_volume_per_month"]))),
                ]
                cells += [
                    (f"forgone_care@{p}", _cell(row["forgone_care"].sel(period=p), _count))
                    for p in periods
                ]
                if whole is not None:
                    cells += [
                        (
                            f"served_elsewhere_total@{whole:g}",
                            _cell(row["served_elsewhere_total"].sel(period=whole), _count),
                        ),
                        (
                            "person_days_without_access",
                            _cell(row["person_days_without_access"], _count),
                        ),
                    ]

                def days(value: float) -> str:
                    return _days(value, horizon_left)

                cells += [
                    (
                        f"days_to_capacity@{t:g}",
                        _cell(row["days_to_capacity"].sel(threshold=t), days),
                    )
                    for t in RECOVERY_THRESHOLDS
                ]
                lines.append(
                    "<tr>"
                    + "".join(
                        f'<td class="number" data-variable="{_escape(key)}">{_two_lines(text)}</td>'
                        if key
                        else f"<th>{text}</th>"
                        for key, text in cells
                    )
                    + "</tr>"
                )
            lines.append("</table></div>")
    return lines


def _two_lines(text: str) -> str:
    """A cell "median (low–high)" with the range on its own line, so that nine
    columns of ranges fit the page; the text reads the same once joined."""
    median, bracket, spread = text.partition(" (")
    if not bracket:
        return _escape(text)
    return f'{_escape(median)}<br><span class="range">({_escape(spread)}</span>'


_TABLE_DIMS = ("facility", "service", "period", "quantile", "threshold")


def _selection_label(summary: xr.Dataset, selection: dict[str, object]) -> str:
    parts = []
    for dim, value in selection.items():
        if dim == "scenario" and "scenario_label" in summary.coords:
            parts.append(f"{summary['scenario_label'].sel(scenario=value).item()}")
        elif isinstance(value, float) and math.isfinite(value):
            parts.append(f"{dim} = {value:g}")
        else:
            parts.append(f"{dim} = {value}")
    return ", ".join(parts)


def _assumptions_section(results: xr.Dataset) -> list[str]:
    text = str(results.attrs.get("configuration", ""))
    lines = ['<section id="assumptions">', "<h2>Assumptions and sources</h2>"]
    if not text:
        return [
            *lines,
            '<p class="note">The results file holds no configuration text.</p>',
            "</section>",
        ]
    try:
        rows: list[Parameter] = parameters(
            text, str(results.attrs.get("configuration_format", "toml"))
        )
    except ConfigError as error:
        return [*lines, f'<p class="note">{_escape(error)}</p>', "</section>"]
    counted = sum(row.basis == ASSUMPTION for row in rows)
    lines.append(
        '<p class="note">'
        + _escape(
            f"Every key of the configuration ({len(rows)}), its value or distribution and the "
            f"source its comment gives; {counted} are assumptions (their comment says so, or "
            "there is none). 'setting': a name, label or run setting rather than a quantity."
        )
        + "</p>"
    )
    lines.append('<table class="assumptions">')
    lines.append(
        "<tr><th>parameter</th><th>value or distribution</th><th>source</th><th>basis</th></tr>"
    )
    for row in rows:
        lines.append(
            f'<tr class="{_escape(row.basis)}"><td><code>{_escape(row.key)}</code></td>'
            f"<td>{_escape(row.value)}</td><td>{_escape(row.source)}</td>"
            f'<td class="basis">{_escape(row.basis)}</td></tr>'
        )
    lines += ["</table>", "</section>"]
    return lines


def _configuration_section(results: xr.Dataset) -> list[str]:
    text = str(results.attrs.get("configuration", ""))
    return [
        '<section id="configuration">',
        "<h2>Configuration</h2>",
        '<p class="note">As stored in the results file; it reproduces the run.</p>',
        f"<pre>{_escape(text)}</pre>",
        "</section>",
    ]
