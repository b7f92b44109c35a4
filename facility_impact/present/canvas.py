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
import math
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.present.style import PNG_DPI, apply_style
from facility_impact.run.io import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

# Layout positions are figure fractions; 1e-9 of a 6.3 in figure is far below a pixel.
_LAYOUT_DECIMALS = 9

_SVG_CLIP_ID = re.compile(rb'(?<=id=")p[0-9a-f]{10}(?=")|(?<=url\(#)p[0-9a-f]{10}(?=\))')


def label_from_attrs(da: xr.DataArray, extra: str = "") -> str:
    """An axis label "long_name[extra] [units]" from ``da.attrs``.

    Units "1" are not shown: in CF they mark a count or a share, and the long
    name says which (``forgone care (patients)``, ``share of …``); without units
    only the name is shown. Without a ``long_name`` the variable's name stands in.
    """
    name = da.attrs.get("long_name") or da.attrs.get("standard_name") or da.name or ""
    units = str(da.attrs.get("units", "")).strip()
    if units == "1":
        units = ""
    label = f"{name}{extra}"
    return f"{label} [{units}]" if units else label


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


def figure_stem(results: xr.Dataset) -> str:
    """The first part of every file name of ``results``: its configuration name."""
    return str(results.attrs.get("configuration_name", "")).strip() or "results"


def stacked_strips(figure: Figure, heights: Sequence[float]) -> list[SubFigure]:
    """Subfigures of ``figure`` stacked top to bottom, of relative ``heights``.

    Legends and captions get strips of their own: constrained layout makes no room
    for a figure-level legend or text once the figure holds subfigures.
    """
    strips = figure.subfigures(len(heights), 1, height_ratios=heights, hspace=0)
    return list(strips) if isinstance(strips, np.ndarray) else [strips]


def draw_legend(
    strip: SubFigure | None,
    handles: dict[str, Any],
    rows: int = 1,
    handlelength: float = 2.0,
) -> None:
    """The figure's legend, centred in its own ``strip`` in ``rows`` rows (none without handles).

    ``handlelength`` [font sizes]: longer where dashed line styles must show.
    """
    if strip is None or not handles:
        return
    strip.legend(
        list(handles.values()),
        list(handles.keys()),
        loc="center",
        ncols=math.ceil(len(handles) / rows),
        handlelength=handlelength,
        columnspacing=1.4,
    )


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
