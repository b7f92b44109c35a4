"""The report: every figure that applies for every configuration, the figures that
do not apply skipped with a note, and an HTML page whose numbers are summarize's.

Figures are checked by their text and artists, the HTML by parsing it with the
standard library; a real browser renders it where Chromium is installed.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from accounts import accounted
from helpers import minimal_config, service, strike

import facility_impact as fi
from facility_impact.cli import main
from facility_impact.config.bibliography import bibliography
from facility_impact.present.catalogue import draw_figures
from facility_impact.present.comparison_figures import scenario_figure, sweep_figure
from facility_impact.present.headline import cell, count
from facility_impact.present.report import write_report
from facility_impact.present.summary_figures import forgone_figure, standards_figure
from facility_impact.results.accounting import ACCOUNTS, all_services
from facility_impact.results.summary import QUANTILES
from facility_impact.run.io import write_netcdf

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))
REFERENCE = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"
OPTIONS = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan_options.toml"
ALL_FIGURES = {"capacity", "forgone", "scenarios", "sweep", "sensitivity", "standards", "load"}
NOTE_HEADINGS = {
    "scenarios": "Scenario comparison",
    "sweep": "Sweep heatmap",
    "sensitivity": "What drives forgone care",
    "standards": "Humanitarian minimum standards",
    "load": "Load on receiving facilities",
}

# Two sweeps (closure and recovery time) on a small clinic, no draws: the heatmap case.
SWEEP_CONFIG: dict[str, Any] = {
    "title": "swept clinic",
    "run": {"horizon_days": 120, "seed": 5},
    "facility": {
        "clinic": {
            "population": 5000,
            "resources": {"staff": 10, "building": 1},
            "services": {
                "outpatient": {"volume_per_month": 300, "needs": {"staff": 1.0, "building": 1.0}},
                "emergency": {"volume_per_month": 100, "needs": {"building": 1.0}},
            },
        }
    },
    "strike": [{"day": 0, "closure_days": [7, 30, 60], "damage": {"building": 1.0}}],
    "recovery": {"building": {"curve": "linear", "time_days": [20, 40, 80]}},
}


@pytest.fixture(scope="module")
def reference() -> xr.Dataset:
    return fi.simulate(REFERENCE)


@pytest.fixture(scope="module")
def options() -> xr.Dataset:
    return fi.simulate(fi.load_config(OPTIONS, draws=20))


@pytest.fixture(scope="module")
def swept() -> xr.Dataset:
    return fi.simulate(fi.load_config(SWEEP_CONFIG))


def _open_pyplot_figures() -> list[int]:
    from matplotlib import pyplot

    return pyplot.get_fignums()


# --------------------------------------------------------------------------- figures


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=[path.stem for path in CONFIGS])
def test_figures_for_every_configuration(config: Path) -> None:
    results = fi.simulate(fi.load_config(config, draws=12))
    figures = draw_figures(results)
    drawn = {item.name for item in figures.drawn}
    assert {"capacity", "forgone", "standards"} <= drawn
    # Every figure is either drawn or said not to be, never both.
    for name, heading in NOTE_HEADINGS.items():
        noted = any(note.startswith(heading) for note in figures.notes)
        assert (name in drawn) != noted, name
    assert ("scenarios" in drawn) == (results.sizes.get("scenario", 0) >= 2)
    assert ("sensitivity" in drawn) == ("input_quantile" in results)
    for item in figures.drawn:
        assert item.figure.get_suptitle(), item.name
        # Drawing lays the figure out: fails on a layout the engine cannot solve.
        item.figure.canvas.draw()
    assert _open_pyplot_figures() == []


@pytest.mark.slow
def test_options_configuration_draws_the_ensemble_figures(options: xr.Dataset) -> None:
    figures = draw_figures(options)
    assert [item.name for item in figures.drawn] == [
        "capacity",
        "forgone",
        "scenarios",
        "sensitivity",
        "standards",
    ]
    assert figures.notes == [
        "Sweep heatmap: not drawn — the results have fewer than two sweep dims",
        "Load on receiving facilities: not drawn — no modelled facility received patients "
        "from another",
        "Map of the network: not drawn — the results carry no facility coordinates "
        "(latitude/longitude)",
    ]


def test_results_without_draws_or_sweeps_skip_with_a_note(reference: xr.Dataset) -> None:
    figures = draw_figures(reference)
    assert [item.name for item in figures.drawn] == ["capacity", "forgone", "standards"]
    notes = "\n".join(figures.notes)
    assert "no draws in the results" in notes
    assert "Scenario comparison: not drawn — the results have no scenarios" in notes
    assert "Sweep heatmap: not drawn — the results have fewer than two sweep dims" in notes
    assert "What drives forgone care: not drawn — no uncertain inputs" in notes
    assert "Load on receiving facilities: not drawn" in notes


@pytest.mark.slow
def test_capacity_band_spans_the_draws(options: xr.Dataset) -> None:
    from facility_impact.present.figures import capacity_figure

    figure = capacity_figure(options)
    outpatient = next(axis for axis in figure.axes if axis.get_title(loc="left") == "outpatient")
    band = outpatient.collections[0]  # the capacity band, drawn first
    top = band.get_paths()[0].vertices[:, 1].max()
    capacity = options["capacity"].isel(scenario=0).sel(service="outpatient")
    expected = float(capacity.quantile(QUANTILES[-1], dim="draw").max())
    assert top == pytest.approx(expected, rel=1e-9)
    legend = [t.get_text() for sub in figure.subfigs for lg in sub.legends for t in lg.get_texts()]
    assert "capacity, 5th–95th percentile" in legend


@pytest.mark.slow
def test_forgone_figure_bars_are_the_summary_numbers(options: xr.Dataset) -> None:
    summary = fi.summarize(options)
    figure = forgone_figure(summary, options)
    forgone_axis = figure.axes[0]
    heights = [patch.get_height() for patch in forgone_axis.patches]
    # Bars go period by period (30, 90, 365 days), one per service.
    expected = (
        summary["forgone_care"]
        .isel(scenario=0, facility=0)
        .sel(quantile=0.5, period=[30, 90, 365])
        .transpose("period", "service")
        .values.ravel()
    )
    np.testing.assert_allclose(heights, expected, rtol=1e-12)
    assert "first scenario (no support)" in _caption(figure)


@pytest.mark.slow
def test_bar_figures_are_labelled_in_words_from_the_registry(options: xr.Dataset) -> None:
    summary = fi.summarize(options)
    renamed = summary.copy()
    renamed["forgone_care"] = summary["forgone_care"].copy()
    renamed["forgone_care"].attrs.update(long_name="care not received", units="person")
    figure = forgone_figure(renamed, options)
    # One scale for the panels of a facility, in patients; each panel titled in words.
    assert [sub.get_supylabel() for sub in figure.subfigs[1].subfigs] == ["patients"]
    assert figure.axes[0].get_title(loc="left") == "forgone care"
    assert figure.axes[0].get_ylim() == figure.axes[1].get_ylim()
    per_run = fi.summarize(options, quantiles=None)
    per_run["forgone_care"].attrs.update(long_name="care not received", units="1")
    assert scenario_figure(per_run, options).subfigs[1].get_supxlabel() == (
        "forgone care (patients)"
    )
    assert summary["forgone_care"].attrs["long_name"] == "forgone care (patients)"


def test_scenario_figure_is_sorted_with_least_forgone_care_on_top(options: xr.Dataset) -> None:
    per_run = fi.summarize(options, quantiles=None)
    figure = scenario_figure(per_run, options)
    total_axis = figure.axes[0]
    assert total_axis.get_title(loc="left").replace("\n", " ") == "patient contacts of all kinds"
    widths = [patch.get_width() for patch in total_axis.patches]
    assert widths == sorted(widths)
    totals = per_run["forgone_care"].sel(period=365).sum(["facility", "service"]).median("draw")
    np.testing.assert_allclose(widths, np.sort(totals.values), rtol=1e-12)
    labels = [label.get_text().replace("\n", " ") for label in total_axis.get_yticklabels()]
    best = str(totals["scenario_label"].values[int(np.argmin(totals.values))])
    assert labels[0] == best


@pytest.mark.slow
def test_sweep_heatmap_on_a_coarse_grid_has_cells_with_their_numbers(swept: xr.Dataset) -> None:
    figure = sweep_figure(fi.summarize(swept, quantiles=None), swept)
    panels = [axis for axis in figure.axes if axis.get_title(loc="left")]
    assert [axis.get_title(loc="left") for axis in panels] == ["outpatient", "emergency"]
    expected = fi.summarize(swept)["forgone_care"].sel(period=120)
    expected = expected.sum("facility").transpose("service", "time_days", "closure_days")
    for axis, name in zip(panels, ("outpatient", "emergency"), strict=True):
        # The swept keys in words, and their values as evenly spaced cells.
        assert axis.get_xlabel() == "days of closure"
        assert axis.get_ylabel().replace("\n", " ") == "days to restore building"
        assert [t.get_text() for t in axis.get_xticklabels()] == ["7", "30", "60"]
        # No contours on a 3 x 3 grid; each cell carries its number.
        assert not [c for c in axis.collections if type(c).__name__ == "QuadContourSet"]
        values = expected.sel(service=name).values
        assert [t.get_text() for t in axis.texts] == [f"{v:,.0f}" for v in values.ravel()]
        mesh = axis.collections[0]
        np.testing.assert_allclose(np.asarray(mesh.get_array()).ravel(), values.ravel())
    title = figure.get_suptitle().replace("\n", " ")
    assert title == (
        "Forgone care (patients) in the first 120 days by days of closure and days to "
        "restore building"
    )


@pytest.mark.slow
def test_sweep_heatmap_on_a_fine_grid_has_labelled_contours() -> None:
    fine = {
        **SWEEP_CONFIG,
        "strike": [{"day": 0, "closure_days": list(range(5, 85, 10)), "damage": {"building": 1.0}}],
        "recovery": {"building": {"curve": "linear", "time_days": list(range(10, 90, 10))}},
    }
    results = fi.simulate(fi.load_config(fine))
    figure = sweep_figure(fi.summarize(results, quantiles=None), results)
    panels = [axis for axis in figure.axes if axis.get_title(loc="left")]
    for axis in panels:
        assert axis.texts, "contour labels"
        assert axis.get_xlabel() == "days of closure"


@pytest.mark.slow
def test_sweep_figure_needs_two_sweep_dims(reference: xr.Dataset, swept: xr.Dataset) -> None:
    with pytest.raises(ValueError, match="fewer than two sweep dims"):
        sweep_figure(fi.summarize(reference), reference)
    one = swept.isel(time_days=0)
    with pytest.raises(ValueError, match="fewer than two sweep dims"):
        sweep_figure(fi.summarize(one), one)
    assert "sweep" in {item.name for item in draw_figures(swept).drawn}


def test_standards_figure_marks_each_threshold(reference: xr.Dataset) -> None:
    summary = fi.summarize(reference)
    figure = standards_figure(summary, reference)
    assert len(figure.axes) == summary.sizes["indicator"]
    for axis, indicator in zip(figure.axes, summary["indicator"].values, strict=True):
        threshold = float(summary["standard_threshold"].sel(indicator=indicator))
        dashed = [line for line in axis.lines if line.get_linestyle() == "--"]
        assert [float(line.get_ydata()[0]) for line in dashed] == [threshold]
        heights = [patch.get_height() for patch in axis.patches]
        expected = summary["standard_value"].sel(indicator=indicator).isel(facility=0)
        np.testing.assert_allclose(heights, expected.values, rtol=1e-12)


# --------------------------------------------------------------------------- HTML


class _Page(HTMLParser):
    """Collects what the tests check: images, links, scripts, tables and their cells."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self.tables: list[dict[str, str]] = []
        self.cells: list[tuple[dict[str, str], str, str]] = []  # table, variable, text
        self.pre: list[str] = []
        self._cell: str | None = None
        self._text: list[str] = []
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attributes.get("src", ""))
        for key in ("src", "href"):
            value = attributes.get(key, "")
            # data: URIs and links within the page (#ref-...) load nothing.
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)
        if tag == "table":
            self.tables.append(attributes)
        if tag == "td" and "data-variable" in attributes:
            self._cell = attributes["data-variable"]
            self._text = []
        if tag == "pre":
            self._in_pre = True
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append((self.tables[-1], self._cell, " ".join("".join(self._text).split())))
            self._cell = None
        if tag == "pre":
            self.pre.append("".join(self._text))
            self._in_pre = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data if not data.startswith("(") else " " + data)
        elif self._in_pre:
            self._text.append(data)


@pytest.fixture(scope="module")
def options_report(options: xr.Dataset, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("report")
    from matplotlib import pyplot  # noqa: F401  (so that an open pyplot figure would count)

    paths, notes = write_report(options, out)
    page = _Page()
    page.feed(paths[-1].read_text(encoding="utf-8"))
    page.close()
    return paths, notes, page


@pytest.mark.slow
def test_report_writes_figures_and_html_together(options_report, options: xr.Dataset) -> None:
    paths, notes, _ = options_report
    names = sorted(path.name for path in paths)
    stem = options.attrs["configuration_name"]
    assert paths[-1].name == f"{stem}-report.html"
    for figure in ("capacity", "forgone", "scenarios", "sensitivity", "standards"):
        assert f"{stem}-{figure}.png" in names and f"{stem}-{figure}.svg" in names
    assert sorted(path.name for path in paths[0].parent.iterdir()) == names
    assert _open_pyplot_figures() == []
    assert len(notes) == 3  # no sweep heatmap, no load, no map


@pytest.mark.slow
def test_report_html_is_self_contained(options_report) -> None:
    paths, _, page = options_report
    assert page.external == []
    assert "script" not in page.tags and "link" not in page.tags
    text = paths[-1].read_text(encoding="utf-8")
    # Addresses appear as the text of references, never as something to load or follow.
    assert not re.search(r"""(src|href)=["']?https?://""", text)
    assert len(page.images) == 5
    for source in page.images:
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix)
        assert base64.b64decode(source[len(prefix) :]).startswith(b"\x89PNG")
    # The images are the PNG files written beside the page.
    written = paths[0].parent / paths[0].name.replace(".svg", ".png")
    encoded = base64.b64encode(written.read_bytes()).decode("ascii")
    assert any(source.endswith(encoded) for source in page.images)


@pytest.mark.slow
def test_report_tables_and_configuration(options_report, options: xr.Dataset) -> None:
    _, _, page = options_report
    classes = [table.get("class") for table in page.tables]
    assert classes.count("headline") == options.sizes["scenario"]
    assert classes.count("accounts") == options.sizes["scenario"]
    assert classes.count("assumptions") == 1
    assert page.pre == [options.attrs["configuration"]]


@pytest.mark.slow
def test_report_headline_numbers_equal_summarize(options_report, options: xr.Dataset) -> None:
    _, _, page = options_report
    summary = fi.summarize(options)
    totals = {all_services(name) for name in ACCOUNTS}
    checked = 0
    for table, variable, text in page.cells:
        point = summary.sel(scenario=table["data-scenario"], facility=table["data-facility"])
        name, _, where = variable.partition("@")
        if name not in ACCOUNTS and name not in totals:
            continue
        values = point[name]
        if "service" in values.dims:
            values = values.sel(service=_row_service(page, table, variable, text, point))
        values = values.sel(period=float(where))
        assert text == cell(values, count)
        # And the numbers read back are summarize's, to the rounding shown.
        numbers = [float(n.replace(",", "")) for n in re.findall(r"[\d,]+(?:\.\d+)?", text)]
        middle = float(values.sel(quantile=0.5))
        assert numbers[0] == pytest.approx(middle, abs=0.5)
        if len(numbers) == 3:
            assert numbers[1] == pytest.approx(float(values.sel(quantile=0.05)), abs=0.5)
            assert numbers[2] == pytest.approx(float(values.sel(quantile=0.95)), abs=0.5)
        checked += 1
    services = options.sizes["service"]
    # Per service: the eight accounts over the first year and forgone care at 30, 90 and
    # 365 days; the eight accounts as patient contacts of all kinds.
    assert checked == options.sizes["scenario"] * (services * (len(ACCOUNTS) + 3) + len(ACCOUNTS))


def _row_service(page: _Page, table, variable, text, point) -> str:
    """The service of a cell: cells come row by row in the order of the summary's services."""
    same = [cell for cell in page.cells if cell[0] is table and cell[1] == variable]
    index = same.index((table, variable, text))
    offered = [
        s for s in point["service"].values if point["baseline_volume_per_month"].sel(service=s) > 0
    ]
    return str(offered[index])


@pytest.mark.slow
def test_report_lists_every_parameter_with_its_basis(options_report, options: xr.Dataset) -> None:
    paths, _, _ = options_report
    text = paths[-1].read_text(encoding="utf-8")
    section = text.split('<section id="assumptions">')[1].split("</section>")[0]
    assert (
        "<code>strike.0.closure_days</code></td><td>triangular(low 7, mode 30, high 90)</td>"
        in (section)
    )
    # A citation is the source's short form, linked to its full reference below.
    assert (
        '<tr class="cited"><td><code>facility.maarat_al_numan.population</code></td>'
        '<td>40000</td><td><a href="#ref-seed_news_report_2016" title="' in section
    )
    assert (
        '<tr class="assumption"><td><code>facility.maarat_al_numan.services.outpatient.' in section
    )


@pytest.mark.slow
def test_report_stands_alone_with_full_citations_and_definitions(options_report) -> None:
    paths, _, _ = options_report
    text = paths[-1].read_text(encoding="utf-8")
    box = text.split('<aside class="definitions" id="how-to-read">')[1].split("</aside>")[0]
    assert "How to read this report" in box
    for term in (
        "forgone care",
        "served elsewhere",
        "extra still waiting",
        "displaced",
        "person-days without access",
    ):
        assert f"<dt>{term}</dt>" in box, term
    section = text.split('<section id="assumptions">')[1].split("</section>")[0]
    references = text.split('<section id="references">')[1].split("</section>")[0]
    for phrase in ("see above", "see top", "MODEL.md", "not in the bibliography", "@"):
        assert phrase not in section + references, phrase
    cited = set(re.findall(r'href="#ref-(\w+)"', section))
    listed = re.findall(r'<li id="ref-(\w+)">', references)
    assert cited == set(listed) and len(listed) == len(set(listed))
    assert {"moisi2011", "feikin2009", "hazus51_eq_tm", "seed_news_report_2016"} <= cited
    known = bibliography()
    for key in listed:
        entry = references.split(f'<li id="ref-{key}">')[1].split("</li>")[0]
        assert html.escape(known[key].reference()) in entry, key
    moisi = references.split('<li id="ref-moisi2011">')[1].split("</li>")[0]
    for part in (
        "Moïsi JC",
        "(2011)",
        "Bulletin of the World Health Organization 89(2):102–111",
        "doi:10.2471/BLT.10.080796",
    ):
        assert html.escape(part) in moisi, part
    # No key is "cited" whose comment assumes something.
    for row in re.findall(r'<tr class="cited">(.*?)</tr>', section):
        assert not re.search(r"ASSUM|ILLUSTRATIVE", row, re.IGNORECASE), row


# --------------------------------------------------------------------------- command line


@pytest.mark.slow
def test_report_command_writes_beside_the_results(tmp_path: Path, capsys) -> None:
    results = fi.simulate(fi.load_config(SWEEP_CONFIG))
    source = write_netcdf(results, tmp_path / "swept.nc")
    assert main(["report", str(source)]) == 0
    captured = capsys.readouterr()
    assert f"wrote {tmp_path / 'configuration-report.html'}" in captured.out
    assert "facility-impact: note: Scenario comparison: not drawn" in captured.err
    assert (tmp_path / "configuration-sweep.png").is_file()
    assert _open_pyplot_figures() == []


@pytest.mark.parametrize("case", ["missing", "folder", "not ours", "out is a file"])
def test_report_bad_input_is_one_line_and_writes_nothing(
    case: str, tmp_path: Path, reference: xr.Dataset, capsys
) -> None:
    out = tmp_path / "out"
    source = tmp_path / "results.nc"
    if case == "folder":
        source.mkdir()
    elif case == "not ours":
        xr.Dataset({"temperature": ("x", [1.0, 2.0])}).to_netcdf(source, engine="h5netcdf")
    elif case == "out is a file":
        write_netcdf(reference.isel(time=slice(0, 40)), source)
        out.write_text("in the way")
    before = sorted(path.name for path in tmp_path.iterdir())
    assert main(["report", str(source), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert (str(out) if case == "out is a file" else str(source)) in captured.err
    assert sorted(path.name for path in tmp_path.iterdir()) == before


@pytest.mark.slow
def test_plot_at_column_width_writes_8_cm_figures_beside_the_page_ones(
    tmp_path: Path, reference: xr.Dataset, capsys
) -> None:
    from matplotlib.image import imread

    source = write_netcdf(reference.isel(time=slice(0, 60)), tmp_path / "results.nc")
    out = tmp_path / "out"
    assert main(["plot", str(source), "--out", str(out), "--width", "column"]) == 0
    column = out / "maarat_al_numan-capacity-column.png"
    assert column.is_file() and not (out / "maarat_al_numan-capacity.png").exists()
    # 8 cm at 200 dpi.
    assert abs(imread(column).shape[1] - 8 / 2.54 * 200) <= 1
    capsys.readouterr()
    before = sorted(path.name for path in out.iterdir())
    assert main(["plot", str(source), "--out", str(out), "--width", "narrow"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--width = narrow: must be one of page, column" in err
    assert sorted(path.name for path in out.iterdir()) == before


# --------------------------------------------------------------------------- browser


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed")
def test_report_renders_in_a_browser(options_report, tmp_path: Path) -> None:
    paths, _, _ = options_report
    shot = tmp_path / "report.png"
    profile = tmp_path / "profile"
    subprocess.run(
        [
            str(_chromium()),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1200,3000",
            paths[-1].as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (3000, 1200)
    # Rendered: text and figures, not a blank or an error page.
    dark = (pixels[..., :3].mean(axis=2) < 0.5).mean()
    assert dark > 0.01


def _caption(figure: Any) -> str:
    return " ".join(text.get_text() for sub in figure.subfigs for text in sub.texts)


def test_forgone_figure_shows_the_care_of_displaced_people_beside_forgone_care() -> None:
    """Where people left, a panel of their care between forgone care and care served
    elsewhere, its bars the summary's numbers; no bar adds services together."""
    config = minimal_config(
        services={"outpatient": service(600.0), "surgery": service(90.0)},
        strikes=[strike(day=2, closure_days=20)],
        displacement={"share": 0.3, "curve": "linear", "time_days": 20, "start_day": 2},
        horizon_days=100,
    )
    results = accounted(config)
    summary = fi.summarize(results)
    figure = forgone_figure(summary, results)
    titles = [axis.get_title(loc="left").replace("\n", " ") for axis in figure.axes]
    assert titles == ["forgone care", "care of displaced people", "patients served elsewhere"]
    heights = [patch.get_height() for patch in figure.axes[1].patches]
    expected = (
        summary["displaced_total"]
        .isel(facility=0)
        .sel(period=[30, 90])
        .transpose("period", "service")
        .values.ravel()
    )
    assert expected.min() > 0
    np.testing.assert_allclose(heights, expected, rtol=1e-12)
    assert [t.get_text() for t in figure.axes[1].get_xticklabels()] == ["outpatient", "surgery"]
    # Without displacement the panel is left out, and the caption says why.
    quiet = accounted(minimal_config(strikes=[strike(day=2, closure_days=20)], horizon_days=40))
    figure = forgone_figure(fi.summarize(quiet), quiet)
    assert len(figure.axes) == 2
    assert "nobody left the area" in _caption(figure)
