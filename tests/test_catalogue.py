"""The table of figures: each entry's function takes exactly the data it says it needs,
and when a figure applies is decided from the results alone."""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from facility_impact.present.catalogue import CATALOGUE, FigureData


def _results(**sizes: int) -> xr.Dataset:
    """A results skeleton: capacity over the given ensemble dims and one facility,
    service and day."""
    dims = (*sizes, "facility", "service", "time")
    shape = (*sizes.values(), 1, 1, 1)
    return xr.Dataset({"capacity": (dims, np.zeros(shape))}, attrs={"configuration_name": "clinic"})


def test_the_order_of_the_figures() -> None:
    assert [entry.name for entry in CATALOGUE] == [
        "capacity",
        "forgone",
        "scenarios",
        "sweep",
        "sensitivity",
        "standards",
        "load",
        "map",
    ]


@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.name for entry in CATALOGUE])
def test_needs_are_the_arguments_of_the_drawing_function(entry) -> None:
    assert tuple(inspect.signature(entry.draw).parameters) == entry.needs
    # Each is the results or one of the data FigureData computes on first use.
    for name in entry.needs:
        computed = inspect.getattr_static(FigureData, name, None)
        assert name == "results" or isinstance(computed, functools.cached_property), name


def test_file_stems() -> None:
    entry = CATALOGUE[0]
    assert entry.stem(_results()) == "clinic-capacity"
    assert entry.stem(_results().assign_attrs(configuration_name=" ")) == "results-capacity"


def test_captions_say_what_is_shown_of_the_draws() -> None:
    capacity = CATALOGUE[0]
    assert capacity.caption(draws=True) == (
        "Daily capacity and demand per service (median over draws and 5th–95th percentile "
        "band, strikes marked, closures shaded)."
    )
    assert capacity.caption(draws=False) == (
        "Daily capacity and demand per service (strikes marked, closures shaded)."
    )
    assert CATALOGUE[1].caption(draws=False).startswith("Cumulative patients at 30, 90, 365 days")


def _skip(name: str, results: xr.Dataset) -> str | None:
    return next(entry for entry in CATALOGUE if entry.name == name).skip(results)


def test_when_the_scenario_and_sweep_figures_apply() -> None:
    assert _skip("scenarios", _results()) == "the results have no scenarios"
    assert _skip("scenarios", _results(scenario=1)) == "the results have no scenarios"
    assert _skip("scenarios", _results(scenario=2)) is None
    two_sweeps = _results(closure_days=2, time_days=3, draw=4)
    assert _skip("sweep", two_sweeps) is None
    assert _skip("sweep", _results(closure_days=2, time_days=1)) == (
        "the results have fewer than two sweep dims"
    )
    # Scenarios and draws are not sweeps.
    assert _skip("sweep", _results(scenario=2, draw=3)) is not None


def test_when_the_sensitivity_figure_applies() -> None:
    results = _results(draw=3)
    assert _skip("sensitivity", results) == "no uncertain inputs (no distribution, no draws)"
    assert _skip("sensitivity", results.assign(input_quantile=("draw", [0.1, 0.5, 0.9]))) is None


# --------------------------------------------------------------------------- plain words, 8 cm

REFERENCE_CONFIGS = (
    "maarat_al_numan",
    "idlib_region",
    "maarat_al_numan_options",
    "maarat_al_numan_sweep",
)
RAW_KEYS = re.compile(
    r"closure_days|rebuild_mean_days|mean_days|willingness_to_travel|distance_decay|"
    r"strike\[\d\]|recovery\.\w|_total\b|patient contacts of all kinds \["
)


def _texts(figure) -> list[str]:
    from matplotlib.text import Text

    from facility_impact.present.style import apply_style

    with apply_style():
        figure.draw_without_rendering()  # lays out and makes the tick labels
    return [
        text.get_text() for text in figure.findobj(Text) if text.get_text() and text.get_visible()
    ]


@pytest.fixture(scope="module", params=REFERENCE_CONFIGS)
def reference_results(request) -> xr.Dataset:
    import facility_impact as fi

    path = Path(__file__).resolve().parents[1] / "configs" / f"{request.param}.toml"
    draws = 12 if "options" in request.param else None
    return fi.simulate(fi.load_config(path, draws=draws))


@pytest.mark.slow
@pytest.mark.parametrize("width", ["page", "column"])
def test_figures_speak_plain_words_at_both_widths(reference_results, width) -> None:
    """No figure of a reference configuration shows a unit string written for software
    or a configuration key; at column width each is 8 cm wide, with no text under
    6 pt and no data line under 0.5 pt, so that it reads pasted into a brief."""
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    from facility_impact.present.catalogue import draw_figures
    from facility_impact.present.labels import machine_units
    from facility_impact.present.style import MIN_FONT_PT, MIN_LINE_PT, WIDTHS_IN

    figures = draw_figures(reference_results, width=width)
    assert figures.drawn
    for item in figures.drawn:
        texts = _texts(item.figure)
        assert machine_units(texts) == [], item.name
        raw = [text for text in texts if RAW_KEYS.search(text)]
        assert raw == [], item.name
        assert item.figure.get_figwidth() == pytest.approx(WIDTHS_IN[width]), item.name
        sizes = [text.get_fontsize() for text in item.figure.findobj(Text) if text.get_text()]
        assert min(sizes) >= MIN_FONT_PT, item.name
        widths = [
            line.get_linewidth()
            for line in item.figure.findobj(Line2D)
            if line.get_visible() and len(line.get_xdata()) > 2
        ]
        assert not widths or min(widths) >= MIN_LINE_PT, item.name
        # Nothing is cut off: all that is drawn lies within the figure's width.
        left, right = _drawn_extent(item.figure)
        assert left >= -0.01 and right <= WIDTHS_IN[width] + 0.01, (item.name, left, right)


def _drawn_extent(figure) -> tuple[float, float]:
    """The left and right edges [in] of all that ``figure`` draws, its texts included."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from facility_impact.present.style import apply_style

    with apply_style():
        renderer = FigureCanvasAgg(figure).get_renderer()
        figure.draw(renderer)
        box = figure.get_tightbbox(renderer)
    return float(box.x0), float(box.x1)
