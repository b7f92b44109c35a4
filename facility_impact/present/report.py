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
from pathlib import Path

import xarray as xr

from facility_impact.config.assumptions import ASSUMPTION, CITED, PRIOR, Parameter, parameters
from facility_impact.config.bibliography import CITATION, bibliography
from facility_impact.errors import ConfigError
from facility_impact.present.canvas import figure_stem, render_figure
from facility_impact.present.catalogue import Figures, check_results, draw_figures
from facility_impact.present.headline import (
    ACCOUNT_COLUMNS,
    ALL_SERVICES_LABEL,
    DEFINITIONS,
    IDENTITY_TEXT,
    MEDIANS_TEXT,
    FacilityTable,
    Headline,
    HeadlineGroup,
    ServiceRow,
    count,
    headline,
    tagged,
)
from facility_impact.results.accounting import all_services
from facility_impact.results.saved import draw_count
from facility_impact.results.summary import QUANTILES, RECOVERY_THRESHOLDS, summarize
from facility_impact.run.io import atomic_paths

__all__ = ["check_results", "report_html", "write_figures", "write_report"]


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


def write_figures(
    results: xr.Dataset, out_dir: str | Path, width: str = "page"
) -> tuple[list[Path], list[str]]:
    """Draw every figure that applies at ``width`` and write them as PNG and SVG;
    returns the paths and the notes on figures not drawn."""
    figures = draw_figures(results, width=width)
    return write_files(figure_files(figures, figure_stem(results)), out_dir), figures.notes


def write_report(
    results: xr.Dataset, out_dir: str | Path, width: str = "page"
) -> tuple[list[Path], list[str]]:
    """Write the figures (PNG, SVG, at ``width``) and ``<stem>-report.html`` into
    ``out_dir``, all together; returns the paths (the HTML last) and the notes on
    figures not drawn."""
    summary = summarize(results)
    figures = draw_figures(results, summary, width)
    stem = figure_stem(results)
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
p.sentence { font-size: 1.05rem; font-weight: bold; }
p.identity { color: #505050; font-size: 0.85rem; margin-top: -0.6rem; }
aside.definitions { border: 1px solid #c8c8c8; background: #f7f9fb; padding: 0.4rem 1rem;
                    margin: 1rem 0; font-size: 0.92rem; }
aside.definitions h2 { font-size: 1.05rem; border: none; margin: 0.4rem 0; }
aside.definitions dt { font-weight: bold; margin-top: 0.35rem; }
aside.definitions dd { margin: 0 0 0 1.2rem; }
ol.references li { margin-bottom: 0.45rem; }
ol.references .check { color: #505050; font-size: 0.85rem; }
span.unresolved { color: #a00000; font-weight: bold; }
tr.all-services th, tr.all-services td { border-top: 2px solid #808080; font-weight: bold; }
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
    draws = draw_count(results)
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
        *_definitions(),
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
    rows = _parameters(results)
    parts += [
        "</section>",
        *_assumptions_section(results, rows),
        *_references_section(rows),
        *_configuration_section(results),
    ]
    parts += [
        '<p class="note">Generated by facility_impact from the results file alone; how each '
        "number and figure is computed: docs/report.md of the facility_impact source.</p>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _headline_tables(summary: xr.Dataset) -> list[str]:
    """Per scenario and sweep point: the sentence of patient contacts lost; per
    facility, where the care went in the window of the accounts (per service and as
    patient contacts of all kinds, with the identity under it), then baseline,
    forgone care at 30/90/365 days, person-days without access over the run and days
    to 50 % and 90 % of baseline capacity."""
    numbers = headline(summary)
    ranges = (
        f"Each cell: median ({QUANTILES[0] * 100:.0f}th–{QUANTILES[-1] * 100:.0f}th "
        f"percentile) over {numbers.draws} draws. {MEDIANS_TEXT} "
    )
    lines = [
        '<p class="note">'
        + _escape(
            "Patients, counted from the first strike. "
            + (ranges if numbers.with_ranges else "")
            + "'-': window longer than the run; '>N': capacity not back within the horizon "
            "(N days after the first strike)."
        )
        + "</p>"
    ]
    for group in numbers.groups:
        tag = group.label()
        if group.sentence:
            lines.append(f'<p class="sentence">{_escape(tagged(tag, group.sentence))}</p>')
        for table in group.facilities:
            if table.rows:
                lines += _accounts_table(numbers, group, table, tag)
                lines += _facility_table(numbers, group, table, tag)
    lines.append(f'<p class="note">{_escape(IDENTITY_TEXT)}</p>')
    return lines


def _table_start(group: HeadlineGroup, table: FacilityTable, kind: str) -> str:
    attributes = " ".join(
        f'data-{_escape(dim)}="{_escape(value)}"' for dim, value in group.selection.items()
    )
    return (
        f'<div class="wide"><table class="{kind}" data-facility="{_escape(table.facility)}" '
        f"{attributes}>"
    )


def _number_row(label: str, cells: list[tuple[str, str]], kind: str = "") -> str:
    """One row of numbers: its label, then (data-variable, text) per cell; an empty
    data-variable is an empty cell."""
    numbers = "".join(
        f'<td class="number" data-variable="{_escape(key)}">{_two_lines(text)}</td>'
        if key
        else "<td></td>"
        for key, text in cells
    )
    css = f' class="{kind}"' if kind else ""
    return f"<tr{css}><th>{_escape(label)}</th>{numbers}</tr>"


def _accounts_table(
    numbers: Headline, group: HeadlineGroup, table: FacilityTable, tag: str
) -> list[str]:
    """Where the care went in the window of the accounts, with the identity under it."""
    if numbers.window is None:
        return []
    heading = table.label or str(table.facility)
    window = f"{numbers.window:g}"
    lines = [
        f"<h3>{_escape(heading + (f' — {tag}' if tag else ''))}</h3>",
        f"<p>Where the care went in {_escape(numbers.window_text())} [patients]</p>",
        _table_start(group, table, "accounts"),
        "<tr><th>service</th>"
        + "".join(f"<th>{_escape(column.heading)}</th>" for column in ACCOUNT_COLUMNS)
        + "</tr>",
    ]
    for row in table.rows:
        cells = [
            (f"{column.name}@{window}", row.accounts[column.name].text(count))
            for column in ACCOUNT_COLUMNS
        ]
        lines.append(_number_row(str(row.service), cells))
    cells = [
        (f"{all_services(column.name)}@{window}", table.contacts[column.name].text(count))
        for column in ACCOUNT_COLUMNS
    ]
    lines.append(_number_row(ALL_SERVICES_LABEL, cells, "all-services"))
    lines += [
        "</table></div>",
        '<p class="identity">care without the strikes + added by the strikes = served here '
        "+ served elsewhere + forgone + displaced + extra still waiting</p>",
    ]
    return lines


def _facility_table(
    numbers: Headline, group: HeadlineGroup, table: FacilityTable, tag: str
) -> list[str]:
    head = ["service", "baseline per month"]
    head += [f"forgone care, first {p} d" for p in numbers.periods]
    if numbers.longest is not None:
        head.append("person-days without access, first strike to horizon")
    head += [f"days to {t:.0%} of capacity" for t in RECOVERY_THRESHOLDS]
    lines = []
    if numbers.window is None:
        heading = table.label or str(table.facility)
        lines.append(f"<h3>{_escape(heading + (f' — {tag}' if tag else ''))}</h3>")
    lines += [
        _table_start(group, table, "headline"),
        "<tr>" + "".join(f"<th>{_escape(h)}</th>" for h in head) + "</tr>",
    ]
    lines += [_number_row(str(row.service), _row_cells(numbers, row)) for row in table.rows]
    once = table.person_days_once
    if numbers.longest is not None and once is not None:
        # Only the person-days go over services: each person once, never a sum.
        blank = [("", "")] * (1 + len(numbers.periods))
        cells = [*blank, ("person_days_without_access_all_services", once.text(count))]
        cells += [("", "")] * len(RECOVERY_THRESHOLDS)
        lines.append(_number_row("any service (each person once)", cells, "all-services"))
    lines.append("</table></div>")
    return lines


def _row_cells(numbers: Headline, row: ServiceRow) -> list[tuple[str, str]]:
    """(data-variable, text) of each number of a service's row."""
    cells = [("baseline_volume_per_month", count(row.baseline_per_month))]
    cells += [(f"forgone_care@{p}", row.forgone_care[p].text(count)) for p in numbers.periods]
    if numbers.longest is not None:
        without_access = row.person_days_without_access
        cells.append(
            ("person_days_without_access", without_access.text(count) if without_access else "")
        )
    cells += [
        (f"days_to_capacity@{t:g}", row.days_to_capacity[t].text(numbers.days))
        for t in RECOVERY_THRESHOLDS
    ]
    return cells


def _two_lines(text: str) -> str:
    """A cell "median (low–high)" with the range on its own line, so that nine
    columns of ranges fit the page; the text reads the same once joined."""
    median, bracket, spread = text.partition(" (")
    if not bracket:
        return _escape(text)
    return f'{_escape(median)}<br><span class="range">({_escape(spread)}</span>'


def _definitions() -> list[str]:
    """The box "How to read this report": the terms of the headline numbers."""
    lines = [
        '<aside class="definitions" id="how-to-read">',
        "<h2>How to read this report</h2>",
        "<p>Every number counts patient contacts against a world without the strikes. "
        "The accounts of each facility obey: care without the strikes + demand the "
        "strikes added = served here + served elsewhere + forgone + displaced + extra "
        "still waiting.</p>",
        "<dl>",
    ]
    for term, text in DEFINITIONS:
        lines += [f"<dt>{_escape(term)}</dt>", f"<dd>{_escape(text)}</dd>"]
    return [*lines, "</dl>", "</aside>"]


def _parameters(results: xr.Dataset) -> list[Parameter] | str:
    """Every key of the stored configuration (:func:`parameters`), or why not."""
    text = str(results.attrs.get("configuration", ""))
    if not text:
        return "The results file holds no configuration text."
    try:
        return parameters(text, str(results.attrs.get("configuration_format", "toml")))
    except ConfigError as error:
        return str(error)


def _assumptions_section(results: xr.Dataset, rows: list[Parameter] | str) -> list[str]:
    lines = ['<section id="assumptions">', "<h2>Assumptions and sources</h2>"]
    if isinstance(rows, str):
        return [*lines, f'<p class="note">{_escape(rows)}</p>', "</section>"]
    counted = sum(row.basis == ASSUMPTION for row in rows)
    cited = sum(row.basis == CITED for row in rows)
    priors = sum(row.basis == PRIOR for row in rows)
    from_priors = (
        f" {priors} more were taken from the priors of attacks as recorded ('prior', with the "
        "source of the prior), for strikes given by their attack type."
        if priors
        else ""
    )
    lines.append(
        '<p class="note">'
        + _escape(
            f"Every key of the configuration ({len(rows) - priors}), its value or distribution "
            f"and the source its comment gives. {cited} are 'cited': the comment cites a "
            f"published source and assumes nothing; {counted} are assumptions: the comment "
            "says so (even beside a citation), gives a reason without a source, or there is "
            "none. 'setting': a name, label or run setting rather than a quantity. Each "
            f"source cited is given in full under References.{from_priors}"
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
            f"<td>{_escape(row.value)}</td><td>{_with_citations(row.source)}</td>"
            f'<td class="basis">{_escape(row.basis)}</td></tr>'
        )
    lines += ["</table>", "</section>"]
    return lines


def _with_citations(text: str) -> str:
    """``text`` as HTML, each ``@key`` a link to its full reference under References
    (the reference also as the link's title); a key the bibliography lacks is marked."""
    known = bibliography()
    parts = []
    position = 0
    for match in CITATION.finditer(text):
        parts.append(_escape(text[position : match.start()]))
        key = match.group(1)
        source = known.get(key)
        if source is None:
            parts.append(
                f'<span class="unresolved">@{_escape(key)} (not in the bibliography)</span>'
            )
        else:
            parts.append(
                f'<a href="#ref-{_escape(key)}" title="{_escape(source.reference())}">'
                f"{_escape(source.short())}</a>"
            )
        position = match.end()
    parts.append(_escape(text[position:]))
    return "".join(parts)


def _references_section(rows: list[Parameter] | str) -> list[str]:
    """Every source the assumptions cite, in full, in order of first citation."""
    if isinstance(rows, str):
        return []
    keys = list(dict.fromkeys(key for row in rows for key in row.citations))
    known = bibliography()
    lines = [
        '<section id="references">',
        "<h2>References</h2>",
        '<p class="note">Each source the table of assumptions cites, in full, from the '
        "bibliography of facility_impact, with what was checked of it. Addresses are "
        "given as text: the page loads nothing from the network.</p>",
        '<ol class="references">',
    ]
    for key in keys:
        source = known.get(key)
        if source is None:
            lines.append(
                f'<li id="ref-{_escape(key)}"><span class="unresolved">@{_escape(key)}: not in '
                "the bibliography</span></li>"
            )
            continue
        lines.append(
            f'<li id="ref-{_escape(key)}"><span class="reference">'
            f"{_escape(source.reference())}</span> "
            f'<span class="check">{_escape(source.check())} [{_escape(key)}]</span></li>'
        )
    return [*lines, "</ol>", "</section>"]


def _configuration_section(results: xr.Dataset) -> list[str]:
    text = str(results.attrs.get("configuration", ""))
    return [
        '<section id="configuration">',
        "<h2>Configuration</h2>",
        '<p class="note">As stored in the results file; it reproduces the run.</p>',
        f"<pre>{_escape(text)}</pre>",
        "</section>",
    ]
