"""The map of a network with coordinates: where the facilities stand, which were
struck, where their patients went, and how hard the receivers were pushed.

No tiles and no internet: longitude and latitude axes, the facilities, the flows
and a scale bar, drawn with matplotlib alone (imported inside the functions, as
in :mod:`facility_impact.present.figures`).

Flows between facilities. The results hold, per facility, what it sent
(``served_elsewhere``), what arrived (``arrivals``) and what it served of the
arrivals (``received``), but not who sent whom. :func:`pair_flows` replays the
kernel's destination choice (:func:`facility_impact.model.choice.choose`) on
the stored days: the patients seeking care elsewhere (``unmet +
served_elsewhere``), each destination's spare capacity (``capacity - served``,
or an alternative's), and the travel parameters of the configuration stored in
the results (its ``--set`` and ``--horizon`` overrides included). For a single
run this is the kernel's own split, exactly: the arrivals it implies are the
results' ``arrivals`` (tested). With draws it replays the mean over draws with
the median parameters: an apportionment, said so in the caption.
"""

from __future__ import annotations

import json
import math
import tomllib
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from facility_impact.config import BASE_SCENARIO
from facility_impact.errors import ConfigError
from facility_impact.model.choice import choose, distance_factor
from facility_impact.model.parameters import build_parameters
from facility_impact.present.canvas import figure_title, wrapped
from facility_impact.present.labels import axis_label, stored_config
from facility_impact.present.style import (
    FULL_WIDTH_IN,
    OKABE_ITO,
    SEQUENTIAL_COLOURMAP,
    apply_style,
    points,
    width_in,
)
from facility_impact.results.saved import has_bands
from facility_impact.results.summary import at_full_capacity
from facility_impact.variables import ensemble_dims

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_KM_PER_DEGREE = 2 * math.pi * 6371.0088 / 360
"""Length of one degree of latitude [km] on the mean-radius sphere."""
_MAX_LINE_PT = 6.0
_MAX_MARKER_PT2 = 500.0
_SHOWN_FLOW_SHARE = 0.005
"""Flows below this share of the largest are not drawn (they are in the results)."""
_FLOW_VARIABLES = ("unmet", "served_elsewhere", "received", "arrivals", "capacity", "served")


def has_places(results: xr.Dataset) -> bool:
    """Whether the results carry facility coordinates (``latitude``/``longitude``)."""
    return "latitude" in results.coords and bool(np.isfinite(results["latitude"].values).any())


def _one_run(data: Any) -> Any:
    """The base scenario (or first element) of every ensemble dim, the mean over ``draw``."""
    if "quantile" in data.dims:  # daily bands of a --save summary file: their median
        data = data.sel(quantile=0.5, drop=True)
    for dim in ensemble_dims(data):
        if dim == "draw":
            data = data.mean("draw")
        elif dim == "scenario" and BASE_SCENARIO in data[dim].values:
            data = data.sel({dim: BASE_SCENARIO})
        else:
            data = data.isel({dim: 0})
    return data


def results_values(data: xr.Dataset, name: str, dims: tuple[str, ...]) -> np.ndarray:
    """``data[name]`` as a numpy array with axes ``dims``."""
    return np.asarray(data[name].transpose(*dims).values, dtype=float)


def pair_flows(results: xr.Dataset) -> xr.Dataset:
    """Patients of each facility served by each other modelled facility [patient d-1].

    Returns ``flow`` (facility → ``destination_facility``, service, time) and
    ``implied_arrivals`` (facility, service, time), the arrivals the rebuilt shares
    give, which equal the results' ``arrivals`` for a single run. Raises
    ``ValueError`` when the stored configuration cannot be read back.
    """
    try:
        params = _one_run(build_parameters(stored_config(results)))
    except (ConfigError, tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the stored configuration cannot be read back: {error}") from None
    data = _one_run(results[[n for n in _FLOW_VARIABLES if n in results]])
    facilities = data["facility"].values
    params = params.sel(facility=facilities, destination_facility=facilities)
    n = len(facilities)
    # The kernel's choice, replayed on the stored days (time on the last axis):
    # what each destination could take is what it had left after its own patients.
    days = np.arange(data.sizes["time"])
    opens = params["alternative_opens_day"].values
    by_day = ("facility", "service", "time")
    spare = np.concatenate(
        [
            np.maximum(
                results_values(data, "capacity", by_day) - results_values(data, "served", by_day),
                0.0,
            ),
            params["alternative_spare_capacity"].values[:, :, None]
            * (days >= opens[:, None])[:, None],
        ]
    )  # (J, S, T)
    distance = np.concatenate(
        [params["network_distance_km"].values, params["alternative_distance_km"].values], axis=1
    )  # (F, J)
    is_self = np.zeros((distance.shape[1], n, 1, 1), dtype=bool)
    is_self[np.arange(n), np.arange(n)] = True
    factor = distance_factor(
        distance.T[:, :, None, None],
        params["distance_decay_km"].values[:, :, None],
        params["reach_km"].values[:, :, None],
        is_self,
    )  # (J, F, S, 1)
    seeking = (data["unmet"] + data["served_elsewhere"]).transpose(*by_day).values
    chosen = choose(seeking, params["willingness_to_travel"].values[:, :, None], factor, spare)
    flow = np.transpose(chosen.received_from[:n], (3, 1, 2, 0))  # (T, F, S, F)
    arriving = np.transpose(chosen.arrivals[:n], (2, 1, 0))  # (T, S, F)
    dims = ("time", "facility", "service", "destination_facility")
    return xr.Dataset(
        {
            "flow": (dims, flow),
            "implied_arrivals": (("time", "service", "facility"), arriving),
        },
        coords={
            "facility": facilities,
            "destination_facility": facilities,
            "service": data["service"].values,
            "time": data["time"].values,
        },
    )


def _load_share(results: xr.Dataset) -> np.ndarray:
    """Per facility, the share of days on which some service ran at full capacity with
    arrivals [1] (mean over draws; base scenario)."""
    needed = ("arrivals", "received", "served", "capacity", "baseline_capacity")
    full = at_full_capacity(results[list(needed)]).any("service").astype(float).mean("time")
    return np.asarray(_one_run(full).values, dtype=float)


def _strike_dates(results: xr.Dataset) -> dict[str, str]:
    """Facility name → the dates (or days) of the strikes on it, as one label."""
    if not results.sizes.get("strike", 0):
        return {}
    days = _one_run(results["strike_day"]).values
    struck = _one_run(results["strike_facility"]).values
    time = results["time"].values
    marks: dict[str, list[str]] = {}
    for day, facility in zip(np.atleast_1d(days), np.atleast_1d(struck), strict=True):
        if not facility or not np.isfinite(day):
            continue
        when = time[int(day)]
        text = (
            str(np.datetime_as_string(when, "D"))
            if isinstance(when, np.datetime64)
            else f"day {int(day)}"
        )
        marks.setdefault(str(facility), []).append(text)
    return {name: ", ".join(sorted(set(dates))) for name, dates in marks.items()}


def _nice_length(span_km: float) -> float:
    """A round scale-bar length [km] near a quarter of ``span_km``."""
    target = max(span_km / 4, 1e-3)
    power = 10.0 ** math.floor(math.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def _scale_bar(ax: Axes, latitude: float) -> None:
    """A bar of a round number of km in the lower left, at the map's mean latitude."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_per_degree = _KM_PER_DEGREE * math.cos(math.radians(latitude))
    length = _nice_length((x1 - x0) * km_per_degree)
    left, height = x0 + 0.05 * (x1 - x0), y0 + 0.06 * (y1 - y0)
    ax.plot([left, left + length / km_per_degree], [height] * 2, color="black", lw=2.5)
    ax.text(left, height + 0.02 * (y1 - y0), f"{length:g} km", fontsize=points("tiny"))


NO_PLACES = "the results carry no facility coordinates (latitude/longitude)"
"""Why the map is not drawn for results without coordinates."""


def map_figure(results: xr.Dataset) -> Figure:
    """The network on a map; ValueError when the results carry no coordinates.

    Facilities at their longitude and latitude, the marker area in proportion to
    the baseline volume (patient contacts of all kinds [patient d-1]) and its colour the share of
    days at full capacity with arrivals [1]; struck facilities outlined in
    vermillion with the dates of their strikes; diverted patients as arrows from
    sender to receiver, width in proportion to the patients served over the run
    (:func:`pair_flows`). The axes are in degrees with the x axis stretched by
    1/cos(mean latitude), so that a km is as long east-west as north-south, and a
    scale bar in km.
    """
    # matplotlib is optional for the model core: imported only to draw.
    from matplotlib.figure import Figure

    if not has_places(results):
        raise ValueError(NO_PLACES)
    with apply_style():
        return _draw_map(Figure, results)


def _draw_map(figure_class: type[Figure], results: xr.Dataset) -> Figure:
    """The body of :func:`map_figure`, inside the package's figure style."""
    located = np.isfinite(results["latitude"].values)
    names = [str(f) for f in results["facility"].values]
    lat = results["latitude"].values.astype(float)
    lon = results["longitude"].values.astype(float)
    volume = _one_run(results["baseline_capacity"]).sum("service").values
    load = _load_share(results)
    figure = figure_class(figsize=(width_in(), width_in() * 0.95), layout="constrained")
    ax = figure.add_subplot()
    mean_lat = float(np.mean(lat[located]))
    cos_lat = max(math.cos(math.radians(mean_lat)), 0.01)
    ax.set_aspect(1 / cos_lat)
    caption = _draw_flows(ax, results, names, lat, lon, located)
    sizes = _MAX_MARKER_PT2 * volume / max(float(volume.max()), 1e-12) + 15
    markers = ax.scatter(
        lon[located],
        lat[located],
        s=sizes[located],
        c=load[located],
        cmap=SEQUENTIAL_COLOURMAP,
        vmin=0,
        vmax=1,
        edgecolors="black",
        linewidths=0.6,
        zorder=3,
    )
    _colour_bar(figure, ax, markers)
    struck = _strike_dates(results)
    labels = results["facility_label"].values if "facility_label" in results.coords else names
    texts = [""] * len(names)
    for i, name in enumerate(names):
        if not located[i]:
            continue
        text = str(labels[i])
        if name in struck:
            ax.scatter(
                lon[i],
                lat[i],
                s=sizes[i] + 120,
                facecolors="none",
                edgecolors=OKABE_ITO["vermillion"],
                linewidths=2,
                zorder=4,
            )
            text += f"\nstruck {struck[name]}"
        texts[i] = text
    limits = _pad(ax, lon[located], lat[located], cos_lat)
    rises = label_rises_pt(
        lon,
        lat,
        [t.count("\n") + 1 for t in texts],
        limits,
        located,
        height_pt=MAP_HEIGHT_PT * width_in() / FULL_WIDTH_IN,
    )
    for k in np.flatnonzero(located):
        ax.annotate(
            texts[k],
            (lon[k], lat[k]),
            xytext=(6, 6 + rises[k]),
            textcoords="offset points",
            fontsize=points("tiny"),
            zorder=5,
            # A raised label keeps a thin leader line to its facility.
            arrowprops=None if rises[k] == 0 else {"arrowstyle": "-", "lw": 0.4, "color": "0.4"},
        )
    _scale_bar(ax, mean_lat)
    ax.set_xlabel(axis_label("longitude"))
    ax.set_ylabel(axis_label("latitude"))
    figure_title(figure, f"{results.attrs.get('title', '')}: facilities and diverted patients")
    ax.annotate(
        wrapped(caption, points("tiny"), width_in() * 0.9),
        xy=(0, -0.12),
        xycoords="axes fraction",
        va="top",
        fontsize=points("tiny"),
        annotation_clip=False,
    )
    return figure


def _colour_bar(figure: Figure, ax: Axes, markers: Any) -> None:
    """The colour bar of the share of days at full capacity: beside the map at page
    width, under it at column width."""
    bar = figure.colorbar(
        markers, ax=ax, shrink=0.7, location="bottom" if width_in() < FULL_WIDTH_IN else "right"
    )
    bar.set_label("share of days at full capacity (0 to 1)", fontsize=points("tiny"))
    bar.ax.tick_params(labelsize=points("tiny"))


def _pad(
    ax: Axes, lon: np.ndarray, lat: np.ndarray, cos_lat: float
) -> tuple[float, float, float, float]:
    """Limits around the facilities with a margin, widened to a roughly square map
    in km (at least ~2 km across for a lone facility); returns (west, east, south, north)."""
    half_lat = max(0.6 * float(np.ptp(lat)), 0.6 * float(np.ptp(lon)) * cos_lat, 0.01)
    half_lon = half_lat / cos_lat
    middle_lat, middle_lon = float(lat.min() + lat.max()) / 2, float(lon.min() + lon.max()) / 2
    ax.set_ylim(middle_lat - half_lat, middle_lat + half_lat)
    ax.set_xlim(middle_lon - half_lon, middle_lon + half_lon)
    return (
        middle_lon - half_lon,
        middle_lon + half_lon,
        middle_lat - half_lat,
        middle_lat + half_lat,
    )


LABEL_LINE_PT = 8.5
"""Height of one line of a facility label [pt] (6.5 pt type with its leading)."""

MAP_HEIGHT_PT = 0.85 * FULL_WIDTH_IN * 72 * 0.8
"""About how tall the map's axes are at page width [pt]: the figure's height less
title, caption and margins. Only used to keep labels apart, so an estimate is enough."""


def label_rises_pt(
    lon: np.ndarray,
    lat: np.ndarray,
    lines: list[int],
    limits: tuple[float, float, float, float],
    located: np.ndarray,
    height_pt: float = MAP_HEIGHT_PT,
) -> np.ndarray:
    """How far [pt] to raise each facility's label so that labels do not overlap
    (on a map about ``height_pt`` tall).

    Labels sit up and to the right of their facility. Going from the southernmost
    facility north, a label whose text would start within a third of the map's
    width of an earlier one, and below that label's top, is raised just above it
    (and drawn with a leader line). 0 for a label that needs no move.
    """
    west, east, south, north = limits
    points_per_degree = height_pt / max(north - south, 1e-12)
    rises = np.zeros(len(lat))
    placed: list[tuple[float, float]] = []  # (longitude, top of label [pt])
    for i in sorted(np.flatnonzero(located), key=lambda k: (lat[k], lon[k])):
        bottom = (lat[i] - south) * points_per_degree
        for other_lon, other_top in placed:
            near = abs(lon[i] - other_lon) < (east - west) / 3
            if near and bottom + rises[i] < other_top:
                rises[i] = other_top - bottom
        placed.append((float(lon[i]), bottom + rises[i] + lines[i] * LABEL_LINE_PT))
    return rises


def _draw_flows(
    ax: Axes,
    results: xr.Dataset,
    names: list[str],
    lat: np.ndarray,
    lon: np.ndarray,
    located: np.ndarray,
) -> str:
    """Arrows of the patients moved over the run; returns the caption saying how."""
    try:
        flows = pair_flows(results)
    except ValueError as reason:
        return f"Diverted patients not drawn: {reason}"
    total = flows["flow"].sum(("time", "service")).values  # (F, F)
    largest = float(total.max()) if total.size else 0.0
    if largest <= 0:
        return "No patients were served by another modelled facility."
    for i, j in zip(*np.nonzero(total >= _SHOWN_FLOW_SHARE * largest), strict=True):
        if not (located[i] and located[j]):
            continue
        width = max(_MAX_LINE_PT * total[i, j] / largest, 0.4)
        ax.annotate(
            "",
            xy=(lon[j], lat[j]),
            xytext=(lon[i], lat[i]),
            zorder=2,
            arrowprops={
                "arrowstyle": "-|>",
                "lw": width,
                "color": OKABE_ITO["sky_blue"],
                "alpha": 0.8,
                "shrinkA": 6,
                "shrinkB": 6,
            },
        )
    if has_bands(results):
        how = "the median day of the draws, split by the median parameters' shares"
    elif "draw" in results.dims:
        how = "the mean over draws, split by the median parameters' shares"
    else:
        how = "one run"
    return (
        f"Arrows: patients served by another modelled facility over the run, patient contacts "
        f"of all kinds, width in proportion (largest {largest:,.0f}); {how}. Marker area: "
        "baseline volume, patient contacts of all kinds."
    )
