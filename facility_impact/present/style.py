"""One figure style for every facility_impact figure, in two widths.

Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
distinguishable with the common colour-vision deficiencies. Each series also has
its own line style, so a figure printed in greyscale stays readable.

Every figure comes in two widths (:data:`WIDTHS_IN`): ``page``, the text block of
an A4 page (16 cm), and ``column``, 8 cm, for a brief or a two-column document.
A figure is drawn at the width it is printed at, never scaled: at ``column`` width
the type is 6 to 8 pt, lines at least 0.5 pt, and panels stack in fewer columns,
so that the figure pasted into a document at 8 cm reads as it was drawn.
:func:`figure_width` sets the width for the figures drawn inside it.

Nothing here touches matplotlib's global state: :func:`apply_style` returns a
context manager.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The eight Okabe–Ito colours, as hex strings."""

GREY = "#7F7F7F"
CLOSURE_GREY = "#E6E6E6"

# A4 is 210 mm wide; with 25 mm margins the text block is 160 mm = 6.3 in.
FULL_WIDTH_IN = 6.3
"""Figure width for a full A4 page text block [in]."""

COLUMN_WIDTH_IN = 8 / 2.54
"""Figure width for a column or a brief: 8 cm [in]."""

WIDTHS_IN: dict[str, float] = {"page": FULL_WIDTH_IN, "column": COLUMN_WIDTH_IN}
"""The widths a figure is drawn at, by name [in]."""

FONT_POINTS: dict[str, dict[str, float]] = {
    "page": {"title": 11, "heading": 9, "text": 9, "small": 8, "tiny": 7},
    "column": {"title": 8, "heading": 7, "text": 7, "small": 6.5, "tiny": 6},
}
"""Type sizes [pt] at each width: the figure title, panel titles, axis labels,
ticks and legends, captions and labels on the data."""

MIN_FONT_PT = 6.0
"""No text of a figure is smaller [pt], at either width."""

MIN_LINE_PT = 0.5
"""No line that carries data is thinner [pt]."""

_WIDTH: ContextVar[str] = ContextVar("facility_impact_figure_width", default="page")


@contextmanager
def figure_width(width: str) -> Iterator[None]:
    """Draw the figures made inside at ``width`` (``"page"`` or ``"column"``);
    ValueError for another name."""
    if width not in WIDTHS_IN:
        raise ValueError(f"width {width!r}: must be one of {', '.join(WIDTHS_IN)}")
    token = _WIDTH.set(width)
    try:
        yield
    finally:
        _WIDTH.reset(token)


def current_width() -> str:
    """The width name the figures are being drawn at."""
    return _WIDTH.get()


def width_in() -> float:
    """The width of the figures being drawn [in]."""
    return WIDTHS_IN[current_width()]


def narrow() -> bool:
    """Whether the figures are drawn at column width."""
    return current_width() == "column"


def points(kind: str) -> float:
    """The type size [pt] of ``kind`` (see :data:`FONT_POINTS`) at the current width."""
    return FONT_POINTS[current_width()][kind]


def panel_columns(wanted: int) -> int:
    """Columns of panels: ``wanted`` at page width, one at column width."""
    return 1 if narrow() else wanted


LEGEND_HANDLE_EM = 2.6
"""Length of a legend's line or patch samples [font sizes]."""


def legend_columns(labels: Sequence[str]) -> int:
    """Columns of a legend of ``labels``: as many as fit the figure's width, each
    column as wide as its widest entry (matplotlib fills the columns top to bottom)."""
    if not labels:
        return 1
    em = points("small") / 72  # [in]
    for columns in range(len(labels), 1, -1):
        rows = math.ceil(len(labels) / columns)
        if math.ceil(len(labels) / rows) < columns:
            continue  # the same rows with fewer columns
        chunks = [labels[start : start + rows] for start in range(0, len(labels), rows)]
        # Each entry: its sample, the gap after it, its text (about 0.56 em a
        # character) and the space between columns.
        width = sum(
            (LEGEND_HANDLE_EM + 0.8 + 1.4 + 0.56 * max(_longest_line(label) for label in chunk))
            * em
            for chunk in chunks
        )
        if width <= width_in() - 0.2:
            return columns
    return 1


def _longest_line(text: str) -> int:
    return max(len(line) for line in text.split("\n"))


def wrap_width(font_pt: float, width: float | None = None) -> int:
    """About how many characters of ``font_pt`` type fit across ``width`` [in]
    (the figure's width by default), for wrapping titles and captions."""
    inches = width_in() if width is None else width
    # DejaVu Sans averages about 0.55 em per character; keep a margin.
    return max(16, int(inches * 72 / (0.58 * font_pt)))


# Keyword arguments for each series. Capacity is the darkest colour of the
# palette and solid; demand is dashed in a colour that greys to a lighter tone.
# Baseline capacity is a wide pale band under both, so that a line lying on the
# baseline (demand before and after the strike, capacity once restored) shows on
# it rather than hiding it: all three differ without colour.
SERIES: dict[str, dict[str, Any]] = {
    "capacity": {"color": OKABE_ITO["blue"], "linestyle": "-", "linewidth": 1.6},
    "demand": {"color": OKABE_ITO["orange"], "linestyle": (0, (4, 2)), "linewidth": 1.4},
    "baseline": {
        "color": "#D9C6E0",  # a pale tint of reddish purple: apart from the blue band
        "linestyle": "-",
        "linewidth": 4.5,
        "solid_capstyle": "butt",
    },
    "strike": {"color": OKABE_ITO["black"], "linestyle": "-.", "linewidth": 0.9},
    "closure": {"color": CLOSURE_GREY, "alpha": 1.0, "linewidth": 0},
    # Days closed in nearly every draw: a darker grey.
    "closure_all": {"color": "#CDCDCD", "alpha": 1.0, "linewidth": 0},
    # Days closed in some draws but not in the median one: hatched, lighter.
    "closure_range": {
        "facecolor": "none",
        "edgecolor": "#B0B0B0",
        "hatch": "////",
        "linewidth": 0,
    },
    # Arrivals from other facilities: a band stacked on demand, with a solid edge
    # so it reads in greyscale too.
    "arrivals": {
        "facecolor": OKABE_ITO["vermillion"],
        "edgecolor": OKABE_ITO["vermillion"],
        "alpha": 0.35,
        "linewidth": 0.8,
    },
    "full_capacity": {"color": OKABE_ITO["reddish_purple"], "alpha": 1.0, "linewidth": 0},
    # 5th-95th percentile bands over draws: light fills of the lines' colours; the
    # demand band is hatched so the two bands stay apart in greyscale.
    "capacity_band": {"facecolor": OKABE_ITO["blue"], "alpha": 0.22, "linewidth": 0},
    "demand_band": {
        "facecolor": "none",
        "edgecolor": OKABE_ITO["orange"],
        "hatch": "////",
        "alpha": 0.6,
        "linewidth": 0,
    },
}

PERIOD_SHADES: tuple[str, ...] = ("#A6D1F0", OKABE_ITO["sky_blue"], OKABE_ITO["blue"])
"""Bars of successive windows (e.g. 30, 90, 365 days): one hue, light to dark, so
their order also reads in greyscale."""

PERIOD_HATCHES: tuple[str, ...] = ("", "..", "")
"""Hatching of the same bars: the middle shade is dotted so that it differs from its
neighbours in greyscale by texture as well as tone."""

BAR_EDGE = "#303030"
"""Edge colour of bars and error bars."""

SEQUENTIAL_COLOURMAP = "cividis"
"""Colour map for heatmaps: designed for colour-vision deficiencies and monotonic
in lightness, so it also reads in greyscale (Nuñez et al. 2018, PLoS ONE 13:e0199239)."""

POSITIVE_NEGATIVE: tuple[str, str] = (OKABE_ITO["vermillion"], OKABE_ITO["blue"])
"""Bars of a quantity that raises (first) or lowers (second) the output, e.g. a rank
correlation with forgone care. The negative bars are also hatched (see figures)."""

# A fixed salt makes the SVG element ids the same from run to run.
SVG_HASH_SALT = "facility_impact"

PNG_DPI = 200


def style_rc() -> dict[str, Any]:
    """The rcParams of the shared style at the current width (type in points, sizes
    in inches)."""
    size = FONT_POINTS[current_width()]
    return {
        "figure.figsize": (width_in(), 4.6),
        "figure.dpi": 100,
        "figure.facecolor": "white",
        "font.family": "DejaVu Sans",
        "font.size": size["text"],
        "axes.titlesize": size["heading"],
        "axes.titleweight": "bold",
        "axes.labelsize": size["text"],
        "xtick.labelsize": size["small"],
        "ytick.labelsize": size["small"],
        "legend.fontsize": size["small"],
        "legend.frameon": False,
        "figure.titlesize": size["title"],
        "figure.titleweight": "bold",
        "axes.linewidth": 0.8,
        "xtick.major.width": 0.8,
        "ytick.major.width": 0.8,
        "xtick.major.size": 3.0,
        "ytick.major.size": 3.0,
        "hatch.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "grid.color": "#D9D9D9",
        "grid.linewidth": 0.6,
        "axes.prop_cycle": _colour_cycle(),
        "lines.solid_capstyle": "butt",
        "savefig.dpi": PNG_DPI,
        "savefig.facecolor": "white",
        "svg.hashsalt": SVG_HASH_SALT,
        "svg.fonttype": "path",
    }


def apply_style() -> AbstractContextManager[None]:
    """A context manager that applies :func:`style_rc` and restores rcParams on exit."""
    # Imported here: matplotlib is optional for the package.
    import matplotlib

    # The stubs key rcParams by a Literal of every name; style_rc's keys are plain str.
    rc: Any = style_rc()
    return matplotlib.rc_context(rc)


def _colour_cycle() -> Any:
    # Imported here: cycler comes with matplotlib, which is optional for the package.
    from cycler import cycler

    order = ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue")
    return cycler(color=[OKABE_ITO[name] for name in order])
