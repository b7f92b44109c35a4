"""What every figure shares: labels and captions from the results' attributes, the
legend strip, a layout that gives the same file in every process, and rendering to
reproducible PNG and SVG bytes.

matplotlib is imported inside the functions: ``import facility_impact`` must work
without it. Figures are plain :class:`matplotlib.figure.Figure` objects, never
pyplot ones, so nothing stays registered in pyplot's global list of open figures.
"""

from __future__ import annotations

import functools
import io
import re
import textwrap
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.style import (
    LEGEND_HANDLE_EM,
    PNG_DPI,
    apply_style,
    legend_columns,
    points,
    width_in,
    wrap_width,
)
from facility_impact.run.io import atomic_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.gridspec import GridSpec

# Layout positions are figure fractions; 1e-9 of a 6.3 in figure is far below a pixel.
_LAYOUT_DECIMALS = 9

_SVG_CLIP_ID = re.compile(rb'(?<=id=")p[0-9a-f]{10}(?=")|(?<=url\(#)p[0-9a-f]{10}(?=\))')


def facility_label(data: xr.Dataset, facility: Hashable) -> str:
    """The facility's ``facility_label`` coordinate, or its name where that is blank."""
    if "facility_label" in data.coords:
        label = str(data["facility_label"].sel(facility=facility).values).strip()
        if label:
            return label
    return str(facility)


def caption(results: xr.Dataset, note: str) -> str:
    """The caption line: configuration, seed, package version and what is shown."""
    attrs = results.attrs
    parts = [
        f"configuration: {attrs.get('configuration_name', 'unknown')}",
        f"seed {attrs.get('seed', 'unknown')}",
        f"facility_impact {attrs.get('facility_impact_version', 'unknown')}",
    ]
    if note:
        parts.append(f"shown: {note}")
    return " · ".join(parts)


def caption_lines(
    results: xr.Dataset, notes: Sequence[str], width: float | None = None
) -> list[str]:
    """The caption of a figure as lines that fit its width: the provenance line
    (:func:`caption`), then each of ``notes`` (empty ones left out), wrapped."""
    size = wrap_width(points("tiny"), width)
    lines = textwrap.wrap(caption(results, ""), size, break_on_hyphens=False)
    for note in notes:
        if note:
            lines += textwrap.wrap(note, size, break_on_hyphens=False)
    return lines


def wrapped(text: str, font_pt: float, width: float | None = None) -> str:
    """``text`` wrapped so that each line of ``font_pt`` type fits ``width`` [in]
    (the figure's width by default); lines it already breaks stay broken."""
    size = wrap_width(font_pt, width)
    return "\n".join(
        "\n".join(textwrap.wrap(line, size, break_long_words=False, break_on_hyphens=False) or [""])
        for line in text.split("\n")
    )


def figure_title(figure: Figure, text: str) -> float:
    """Set the figure's title, wrapped to its width; returns the height it takes [in]."""
    title = wrapped(text, points("title") * 1.1)  # bold type is about a tenth wider
    figure.suptitle(title, fontsize=points("title"))
    return 0.1 + (title.count("\n") + 1) * points("title") * 1.35 / 72


def block_title(block: SubFigure, text: str) -> None:
    """The title of a block of panels (a facility), wrapped to the figure's width."""
    block.suptitle(wrapped(text, points("heading") * 1.1), fontsize=points("heading"))


def panel_title(axis: Axes, text: str, width: float) -> None:
    """A panel's title on its left, wrapped to the width of a panel ``width`` [in] wide
    less the room its axis labels take (the title starts where the axes start)."""
    room = max(width - 0.75, 1.2)
    axis.set_title(wrapped(text, points("heading") * 1.1, room), loc="left")


def figure_stem(results: xr.Dataset) -> str:
    """The first part of every file name of ``results``: its configuration name."""
    return str(results.attrs.get("configuration_name", "")).strip() or "results"


def stacked_strips(figure: Figure, heights: Sequence[float]) -> list[SubFigure]:
    """Subfigures of ``figure`` stacked top to bottom, of relative ``heights``.

    Legends and captions get strips of their own: constrained layout makes no room
    for a figure-level legend or text once the figure holds subfigures.
    """
    return stacked_grid(figure, heights)[0]


def stacked_grid(figure: Figure, heights: Sequence[float]) -> tuple[list[SubFigure], GridSpec]:
    """:func:`stacked_strips` and the grid that holds them, whose height ratios may be
    set again once what the strips hold is known (``grid.set_height_ratios``)."""
    grid = figure.add_gridspec(len(heights), 1, height_ratios=list(heights), hspace=0)
    return [figure.add_subfigure(grid[index]) for index in range(len(heights))], grid


def draw_legend(strip: SubFigure | None, handles: dict[str, Any]) -> None:
    """The figure's legend, centred in its own ``strip``, in as many columns as fit
    the figure's width (:func:`~facility_impact.present.style.legend_columns`);
    none without handles."""
    if strip is None or not handles:
        return
    labels = legend_labels(handles)
    strip.legend(
        list(handles.values()),
        labels,
        loc="center",
        ncols=legend_columns(labels),
        handlelength=LEGEND_HANDLE_EM,
        columnspacing=1.4,
        fontsize=points("small"),
    )


def legend_labels(handles: dict[str, Any]) -> list[str]:
    """The legend's entries, each wrapped to fit the figure's width beside its sample."""
    room = width_in() - (LEGEND_HANDLE_EM + 1.5) * points("small") / 72 - 0.2
    return [wrapped(label, points("small"), room) for label in handles]


def legend_height(labels: Sequence[str]) -> float:
    """The height [in] of a legend strip of ``labels`` (see :func:`draw_legend`): its
    rows, each as tall as its tallest entry (matplotlib fills the columns first)."""
    if not labels:
        return 0.02
    rows = -(-len(labels) // legend_columns(labels))
    lines = sum(max(label.count("\n") + 1 for label in labels[row::rows]) for row in range(rows))
    return 0.1 + lines * points("small") * 1.75 / 72


@dataclass
class Frame:
    """A figure of three strips, top to bottom: legend, body, caption. The legend's
    height and the title are set by :meth:`finish`, once the handles are known."""

    figure: Figure
    legend: SubFigure
    body: SubFigure
    grid: GridSpec
    heights: list[float]

    def finish(self, handles: dict[str, Any], title: str) -> Figure:
        """Draw the legend of ``handles`` and the wrapped ``title``; size the figure."""
        return finish_strips(self.figure, self.legend, self.grid, self.heights, handles, title)


def finish_strips(
    figure: Figure,
    legend: SubFigure,
    grid: GridSpec,
    heights: list[float],
    handles: dict[str, Any],
    title: str,
) -> Figure:
    """Finish a figure of stacked strips (:func:`stacked_grid`), the ``legend`` strip on
    top: the wrapped ``title``, the legend strip as tall as the legend of ``handles``
    needs (``heights[0]`` is set), the figure sized to the strips, the legend drawn."""
    title_height = figure_title(figure, title)
    heights[0] = legend_height(legend_labels(handles))
    grid.set_height_ratios(heights)
    figure.set_size_inches(width_in(), sum(heights) + title_height)
    draw_legend(legend, handles)
    return figure


def draw_caption(strip: SubFigure, lines: Sequence[str]) -> None:
    """The caption's ``lines`` in its own ``strip``, small and grey, left-aligned."""
    strip.text(
        0.01,
        0.5,
        "\n".join(lines),
        ha="left",
        va="center",
        fontsize=points("tiny"),
        color="#505050",
    )


def framed(body_height: float, caption: Sequence[str]) -> Frame:
    """A :class:`Frame` at the current width: a body of ``body_height`` [in] and the
    ``caption`` lines. Call inside :func:`~facility_impact.present.style.apply_style`."""
    # Imported here: matplotlib is optional for the package.
    from matplotlib.figure import Figure

    caption_height = 0.1 + points("tiny") * 1.45 / 72 * len(caption)
    heights = [0.3, body_height, caption_height]
    figure = Figure(figsize=(width_in(), sum(heights)), layout=snapped_constrained_layout()())
    strips, grid = stacked_grid(figure, heights)
    draw_caption(strips[-1], caption)
    return Frame(figure, strips[0], strips[1], grid, heights)


def render_figure(figure: Figure) -> dict[str, bytes]:
    """The figure as PNG (200 dpi) and SVG file contents: ``{"png": ..., "svg": ...}``.

    Output is byte-reproducible: no dates or software versions in the metadata,
    SVG element ids come from a fixed salt, clip-path ids are renumbered, and the
    figures of this package round their layout (see :func:`snapped_constrained_layout`).
    """
    formats: dict[str, dict[str, Any]] = {
        "png": {"dpi": PNG_DPI, "metadata": {"Software": None}},
        "svg": {"metadata": {"Date": None, "Creator": None}},
    }
    rendered = {}
    with apply_style():
        for extension, options in formats.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format=extension, **options)
            content = buffer.getvalue()
            rendered[extension] = _renumber_clip_paths(content) if extension == "svg" else content
    return rendered


def save_figure(figure: Figure, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``<stem>.png`` (200 dpi) and ``<stem>.svg`` into ``out_dir``, each atomically
    (see :func:`render_figure`)."""
    paths = []
    for extension, content in render_figure(figure).items():
        target = Path(out_dir) / f"{stem}.{extension}"
        with atomic_path(target) as temporary:
            temporary.write_bytes(content)
        paths.append(target)
    return paths


def _snap_points(points: Any) -> Any:
    return np.round(np.asarray(points, dtype=float), _LAYOUT_DECIMALS)


def _snap(figure: Figure | SubFigure) -> None:
    """Round the positions of every subfigure, axes and figure text of ``figure``."""
    # Imported here: matplotlib is optional for the package (see the module docstring).
    from matplotlib.transforms import Bbox

    for subfigure in figure.subfigs:
        subfigure.bbox_relative.set_points(_snap_points(subfigure.bbox_relative.get_points()))
        _snap(subfigure)
    # Rounding is idempotent, so axes listed by a figure and its subfigure alike
    # may be snapped twice. Figure texts include suptitle and the sup-labels.
    for axis in figure.get_axes():
        if axis.get_in_layout():
            box = axis.get_position(original=True)
            axis.set_position(Bbox(_snap_points(box.get_points())), which="both")
            axis.set_in_layout(True)  # set_position takes it out of the layout
    for text in figure.texts:
        text.set_position(tuple(_snap_points(text.get_position())))


@functools.cache
def snapped_constrained_layout() -> type:
    """Constrained layout whose positions are rounded to 9 decimals of the figure size.

    The layout solver (kiwisolver) orders its variables by memory address, so the
    same figure laid out in two processes can differ in the last bit of a
    position, and that can move an antialiased edge by one PNG pixel value.
    Rounding every position the layout sets makes the files byte-reproducible.
    """
    # Imported here: matplotlib is optional for the package (see the module docstring).
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    class SnappedConstrainedLayoutEngine(ConstrainedLayoutEngine):
        def execute(self, fig: Any) -> Any:
            info = super().execute(fig)
            _snap(fig)
            return info

    return SnappedConstrainedLayoutEngine


def _renumber_clip_paths(svg: bytes) -> bytes:
    """Replace matplotlib's clip-path ids by their order of first appearance.

    The ids hash the clip rectangle at full float precision, and constrained
    layout's solver (kiwisolver) differs in the last bit from one layout to the
    next, so the same figure drawn twice would get different ids.
    """
    numbers: dict[bytes, bytes] = {}

    def renumber(match: re.Match[bytes]) -> bytes:
        return numbers.setdefault(match.group(0), b"clip%d" % (len(numbers) + 1))

    return _SVG_CLIP_ID.sub(renumber, svg)
