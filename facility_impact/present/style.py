"""One figure style for every facility_impact figure.

Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
distinguishable with the common colour-vision deficiencies. Each series also has
its own line style, so a figure printed in greyscale stays readable. Sizes are in
points and inches, chosen for a printed A4 report. Nothing here touches
matplotlib's global state: :func:`apply_style` returns a context manager.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
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

# Keyword arguments for each series. Capacity is the darkest colour of the
# palette and solid; demand is dashed in a colour that greys to a lighter tone;
# the baseline is a thin grey dotted line, so all three differ without colour.
SERIES: dict[str, dict[str, Any]] = {
    "capacity": {"color": OKABE_ITO["blue"], "linestyle": "-", "linewidth": 1.6},
    "demand": {"color": OKABE_ITO["orange"], "linestyle": "--", "linewidth": 1.3},
    "baseline": {"color": GREY, "linestyle": ":", "linewidth": 1.2},
    "strike": {"color": OKABE_ITO["black"], "linestyle": "-.", "linewidth": 0.9},
    "closure": {"color": CLOSURE_GREY, "alpha": 1.0, "linewidth": 0},
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
    """The rcParams of the shared style (font sizes in points, sizes in inches)."""
    return {
        "figure.figsize": (FULL_WIDTH_IN, 4.6),
        "figure.dpi": 100,
        "figure.facecolor": "white",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.titlesize": 9,
        "axes.titleweight": "bold",
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 8,
        "legend.frameon": False,
        "figure.titlesize": 11,
        "figure.titleweight": "bold",
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
