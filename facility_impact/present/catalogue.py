"""The table of figures: each figure's name, the function that draws it, the data
it needs, when it applies and the file it is written to.

``plot``, the HTML report and ``make figures`` all draw through
:func:`draw_figures`, in the order of :data:`CATALOGUE`. A figure's ``needs`` are
the arguments of its drawing function, by name:

* ``results``: the result Dataset itself;
* ``summary``: ``summarize(results)``, with quantiles over draws;
* ``per_run``: ``summarize(results, quantiles=None)``, one value per draw, for totals
  whose percentiles must be taken after summing (the summary itself without draws);
* ``indices``: the rank correlations of the uncertain inputs with forgone care over
  the longest window that fits the run (:func:`facility_impact.run.sensitivity.rank_correlation`).

Each is computed once, and only when a figure that applies needs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from facility_impact.errors import ConfigError
from facility_impact.present.canvas import figure_stem, save_figure
from facility_impact.present.comparison_figures import (
    scenario_figure,
    sensitivity_figure,
    sweep_figure,
)
from facility_impact.present.figures import capacity_figure, has_load, load_figure
from facility_impact.present.headline import SHOWN_PERIODS_DAYS, longest_period
from facility_impact.present.maps import NO_PLACES, has_places, map_figure
from facility_impact.present.style import WIDTHS_IN, figure_width
from facility_impact.present.summary_figures import forgone_figure, standards_figure
from facility_impact.results.accounting import require_counterfactual
from facility_impact.results.saved import draw_count
from facility_impact.results.summary import summarize
from facility_impact.run.sensitivity import rank_correlation
from facility_impact.variables import SCENARIO_DIM, sweep_dims

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REQUIRED_VARIABLES = ("capacity", "demand", "served", "unmet", "abandoned", "baseline_capacity")
"""Variables without which a file is not a facility_impact results file."""

NO_DRAWS_NOTE = "no draws in the results: figures show single values, without bands or whiskers"


@dataclass(frozen=True)
class FigureEntry:
    """One row of the table of figures."""

    name: str
    """The file suffix: ``<config>-<name>.png`` and ``.svg``."""
    heading: str
    description: str
    """The report's caption; ``{band}`` stands for what the figure shows of the draws."""
    draw: Callable[..., Figure]
    needs: tuple[str, ...]
    """The arguments of ``draw``, by name (see the module docstring)."""
    skip: Callable[[xr.Dataset], str | None]
    """Why the figure does not apply to the results, or None when it does."""

    def caption(self, draws: bool) -> str:
        """The report's caption of this figure for results with or without ``draws``."""
        band = "median over draws and 5th–95th percentile band, " if draws else ""
        return self.description.format(band=band)

    def stem(self, results: xr.Dataset, width: str = "page") -> str:
        """The file name of the figure of ``results`` at ``width``, without extension."""
        return f"{figure_stem(results)}-{figure_name(self.name, width)}"


def figure_name(name: str, width: str) -> str:
    """A figure's name in its file names: ``name`` at page width, ``name-column`` at
    column width, so that both widths can share a folder."""
    return name if width == "page" else f"{name}-{width}"


def check_width(width: str) -> None:
    """ConfigError unless ``width`` is a figure width (see
    :data:`facility_impact.present.style.WIDTHS_IN`)."""
    if width not in WIDTHS_IN:
        raise ConfigError(
            f"--width = {width}: must be one of {', '.join(WIDTHS_IN)} "
            "(16 cm for an A4 page, 8 cm for a column or a brief)"
        )


def _always(_results: xr.Dataset) -> str | None:
    return None


def _unless_scenarios(results: xr.Dataset) -> str | None:
    if results.sizes.get(SCENARIO_DIM, 0) >= 2:
        return None
    return "the results have no scenarios"


def _unless_two_sweeps(results: xr.Dataset) -> str | None:
    swept = [d for d in sweep_dims(results["capacity"]) if results.sizes[d] >= 2]
    return None if len(swept) >= 2 else "the results have fewer than two sweep dims"


def _unless_uncertain(results: xr.Dataset) -> str | None:
    if "input_quantile" in results:
        return None
    return "no uncertain inputs (no distribution, no draws)"


def _unless_load(results: xr.Dataset) -> str | None:
    return None if has_load(results) else "no modelled facility received patients from another"


def _unless_places(results: xr.Dataset) -> str | None:
    return None if has_places(results) else NO_PLACES


CATALOGUE: tuple[FigureEntry, ...] = (
    FigureEntry(
        "capacity",
        "Capacity and demand over time",
        "Daily capacity and demand per service ({band}strikes marked, closures shaded).",
        capacity_figure,
        ("results",),
        _always,
    ),
    FigureEntry(
        "forgone",
        "Forgone care, care of displaced people and care received elsewhere, by service",
        f"Cumulative patients at {', '.join(map(str, SHOWN_PERIODS_DAYS))} days after the "
        "first strike (the headline table's numbers); the care of people who left the area "
        "is shown where anyone left.",
        forgone_figure,
        ("summary", "results"),
        _always,
    ),
    FigureEntry(
        "scenarios",
        "Scenario comparison",
        "Forgone care per scenario over the longest window that fits the run, sorted: first "
        "as patient contacts of all kinds (every service and facility), then per service.",
        scenario_figure,
        ("per_run", "results"),
        _unless_scenarios,
    ),
    FigureEntry(
        "sweep",
        "Sweep heatmap",
        "Forgone care across the first two sweep dims, per service, with contours.",
        sweep_figure,
        ("per_run", "results"),
        _unless_two_sweeps,
    ),
    FigureEntry(
        "sensitivity",
        "What drives forgone care",
        "Spearman rank correlation of each uncertain input with forgone care over the draws.",
        sensitivity_figure,
        ("indices", "results"),
        _unless_uncertain,
    ),
    FigureEntry(
        "standards",
        "Humanitarian minimum standards",
        "Inpatient beds per 10,000 people and consultations per person per year, "
        "before the strike, on the worst day and at the horizon, against their thresholds.",
        standards_figure,
        ("summary", "results"),
        _always,
    ),
    FigureEntry(
        "load",
        "Load on receiving facilities",
        "Capacity, own demand and arrivals from other facilities over time.",
        load_figure,
        ("results",),
        _unless_load,
    ),
    FigureEntry(
        "map",
        "Map of the network",
        "Facilities at their places (marker area: baseline volume as patient contacts of all "
        "kinds; colour: share of days at full capacity), strikes outlined with their dates, "
        "diverted patients as arrows whose width is the patient contacts of all kinds moved.",
        map_figure,
        ("results",),
        _unless_places,
    ),
)
"""Every figure, in the order they are drawn, written and shown in the report."""


@dataclass(frozen=True)
class DrawnFigure:
    """One figure of the report: ``name`` is the file suffix (``<stem>-<name>.png``,
    with the width where it is not the page's: :func:`figure_name`)."""

    name: str
    heading: str
    description: str
    figure: Figure


@dataclass(frozen=True)
class Figures:
    """The figures that apply to a results file, and a note for each one that does not."""

    drawn: list[DrawnFigure]
    notes: list[str]


class FigureData:
    """What the figures of one results file may need, each computed on first use."""

    def __init__(self, results: xr.Dataset, summary: xr.Dataset | None = None) -> None:
        self.results = results
        self.draws = draw_count(results) > 0
        if summary is not None:
            self.__dict__["summary"] = summary

    @functools.cached_property
    def summary(self) -> xr.Dataset:
        return summarize(self.results)

    @functools.cached_property
    def per_run(self) -> xr.Dataset:
        return summarize(self.results, quantiles=None) if self.draws else self.summary

    @functools.cached_property
    def indices(self) -> xr.Dataset:
        try:
            return rank_correlation(self.results, longest_period(self.per_run))
        except ConfigError as error:
            # Said as a note on the figure, as every other reason it is not drawn.
            raise ValueError(str(error)) from None

    def arguments(self, entry: FigureEntry) -> list[Any]:
        """The arguments of ``entry.draw``."""
        return [getattr(self, name) for name in entry.needs]


def check_results(results: xr.Dataset, where: str = "results") -> None:
    """Raise ConfigError unless ``results`` looks like a facility_impact results file
    of this version (one with the no-strike world and the care accounts)."""
    missing = [name for name in REQUIRED_VARIABLES if name not in results]
    if missing or "time" not in results.dims:
        raise ConfigError(
            f"{where}: not a facility_impact results file "
            f"(missing {', '.join(missing) or 'the time dim'}); write one with facility-impact run"
        )
    require_counterfactual(results, where)


def draw_figures(
    results: xr.Dataset, summary: xr.Dataset | None = None, width: str = "page"
) -> Figures:
    """Every figure of :data:`CATALOGUE` that applies to ``results``, drawn at
    ``width`` (``"page"``, 16 cm, or ``"column"``, 8 cm); a note for each that does
    not apply, or whose drawing found nothing to draw.

    ``summary`` is ``summarize(results)`` when the caller has it already.
    """
    check_width(width)
    check_results(results)
    data = FigureData(results, summary)
    drawn: list[DrawnFigure] = []
    notes = [] if data.draws else [NO_DRAWS_NOTE]
    for entry in CATALOGUE:
        reason = entry.skip(results)
        if reason is None:
            try:
                with figure_width(width):
                    figure = entry.draw(*data.arguments(entry))
            except ValueError as error:
                reason = str(error)
            else:
                name = figure_name(entry.name, width)
                drawn.append(DrawnFigure(name, entry.heading, entry.caption(data.draws), figure))
                continue
        notes.append(f"{entry.heading}: not drawn — {reason}")
    return Figures(drawn, notes)


def write_figure(
    results: xr.Dataset, name: str, out_dir: str | Path, width: str = "page"
) -> list[Path]:
    """Draw the figure ``name`` of :data:`CATALOGUE` at ``width`` and save it as
    ``<config>-<name>`` PNG and SVG; ValueError when it does not apply."""
    check_width(width)
    entry = {entry.name: entry for entry in CATALOGUE}[name]
    reason = entry.skip(results)
    if reason is not None:
        raise ValueError(reason)
    with figure_width(width):
        figure = entry.draw(*FigureData(results).arguments(entry))
    return save_figure(figure, out_dir, entry.stem(results, width))
