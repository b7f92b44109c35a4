"""Figures: plain labels from the registry, one panel per service, strikes marked,
files reproducible.

Tests check the text and artists of the figure, not pixels.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import facility_impact as fi
from facility_impact.present.canvas import save_figure
from facility_impact.present.catalogue import write_figure
from facility_impact.present.figures import capacity_figure, has_load, load_figure, representative
from facility_impact.present.labels import axis_label
from facility_impact.run.io import read_netcdf, write_netcdf

REFERENCE_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan.toml"

# A small clinic without a start date, so time is in integer days; strike on day 10.
SMALL_CONFIG: dict[str, Any] = {
    "title": "small clinic",
    "run": {"horizon_days": 40, "seed": 7},
    "facility": {
        "clinic": {
            "label": "Small clinic",
            "population": 1000,
            "resources": {"staff": 10, "building": 1},
            "services": {
                "outpatient": {"volume_per_month": 300, "needs": {"staff": 1.0, "building": 0.5}},
                "emergency": {"volume_per_month": 100, "needs": {"staff": 1.0}},
                "surgery": {"volume_per_month": 30, "needs": {"building": 1.0}},
            },
        }
    },
    "strike": [{"facility": "clinic", "day": 10, "closure_days": 5, "damage": {"building": 1.0}}],
    "recovery": {"building": {"curve": "exponential", "time_days": 20}},
}


@pytest.fixture(scope="module")
def reference() -> xr.Dataset:
    return fi.simulate(REFERENCE_CONFIG)


@pytest.fixture(scope="module")
def small() -> xr.Dataset:
    return fi.simulate(fi.load_config(SMALL_CONFIG))


def _panels(figure: Any) -> list[Any]:
    return [axis for axis in figure.axes if axis.lines]


def _y_labels(figure: Any) -> list[str]:
    return [subfigure.get_supylabel() for subfigure in figure.subfigs if subfigure.axes]


def _x_labels(figure: Any) -> list[str]:
    return [subfigure.get_supxlabel() for subfigure in figure.subfigs if subfigure.axes]


def _vertical_lines_at(axis: Any, x: Any) -> list[Any]:
    target = axis.convert_xunits(x)
    found = []
    for line in axis.lines:
        xdata = np.asarray(axis.convert_xunits(line.get_xdata()), dtype=float)
        if xdata.size == 2 and np.allclose(xdata, target):
            found.append(line)
    return found


def _legend_texts(figure: Any) -> list[str]:
    legends = [*figure.legends, *(legend for sub in figure.subfigs for legend in sub.legends)]
    return [text.get_text() for legend in legends for text in legend.get_texts()]


def _caption(figure: Any) -> str:
    texts = [text.get_text() for subfigure in figure.subfigs for text in subfigure.texts]
    (caption,) = [text for text in texts if text.startswith("configuration: ")]
    return caption


def _texts(axis: Any) -> list[str]:
    return [text.get_text() for text in axis.texts]


def test_axis_labels_are_plain_words_never_unit_strings() -> None:
    da = xr.DataArray([1.0], dims="x", name="capacity")
    assert axis_label(da) == "capacity (patients per day)"
    assert axis_label(da, " and demand") == "capacity and demand (patients per day)"
    # The registry, not the data's attributes: a UDUNITS string is never shown.
    assert axis_label(da.assign_attrs(long_name="capacity", units="d-1")) == (
        "capacity (patients per day)"
    )
    assert axis_label("forgone_care") == "forgone care (patients)"
    assert axis_label("time") == "days since t = 0"
    assert axis_label("longitude") == "longitude (degrees east)"
    # A variable outside the registry: its long name, a fraction as "0 to 1", no
    # machine units.
    other = xr.DataArray([1.0], dims="x", name="other")
    assert axis_label(other.assign_attrs(long_name="facility open", units="1")) == (
        "facility open (share, 0 to 1)"
    )
    assert axis_label(other.assign_attrs(long_name="load", units="patient d-1")) == "load"
    assert axis_label(other) == "other"
    dates = xr.DataArray(np.array(["2016-02-15"], dtype="datetime64[ns]"), dims="x", name="time")
    assert axis_label(dates) == "date"


@pytest.mark.slow
def test_axis_labels_come_from_the_registry(reference: xr.Dataset) -> None:
    assert _y_labels(capacity_figure(reference)) == ["capacity and demand (patients per day)"]
    assert _x_labels(capacity_figure(reference)) == ["date"]

    renamed = reference.copy()
    renamed["capacity"] = renamed["capacity"].copy()
    renamed["capacity"].attrs.update(long_name="usable capacity", units="d-1")
    figure = capacity_figure(renamed)
    assert _y_labels(figure) == ["capacity and demand (patients per day)"]
    assert "capacity" in _legend_texts(figure)
    # The copy is changed, the original is not.
    assert reference["capacity"].attrs["long_name"] == "capacity (patients per day)"


def test_one_panel_per_service(reference: xr.Dataset, small: xr.Dataset) -> None:
    for results in (reference, small):
        panels = _panels(capacity_figure(results))
        assert len(panels) == results.sizes["service"] * results.sizes["facility"]
        assert [axis.get_title(loc="left") for axis in panels] == list(results["service"].values)


def test_strikes_are_marked_with_date_time(reference: xr.Dataset) -> None:
    figure = capacity_figure(reference)
    strike_date = np.datetime64("2016-02-15")
    for axis in _panels(figure):
        assert len(_vertical_lines_at(axis, strike_date)) == 1
    assert "four missiles within minutes" in _texts(_panels(figure)[0])
    assert "after the strike" in figure.get_suptitle()


def test_integer_day_time(small: xr.Dataset) -> None:
    assert small["time"].dtype.kind == "i"
    figure = capacity_figure(small)
    assert _x_labels(figure) == ["days since t = 0"]
    panels = _panels(figure)
    for axis in panels:
        assert len(_vertical_lines_at(axis, 10)) == 1
    # No label in the configuration: the strike is numbered.
    assert "strike 1" in _texts(panels[0])
    # Closure from day 10 to day 15 is shaded in every panel.
    for axis in panels:
        spans = [patch.get_x() for patch in axis.patches]
        assert spans == [10]


def test_no_strikes(small: xr.Dataset) -> None:
    quiet = small.isel(strike=slice(0, 0))
    assert quiet.sizes["strike"] == 0
    figure = capacity_figure(quiet)
    assert figure.get_suptitle() == "Capacity and demand — Small clinic"
    for axis in _panels(figure):
        assert not _vertical_lines_at(axis, 10)


def test_caption_gives_provenance(reference: xr.Dataset) -> None:
    caption = _caption(capacity_figure(reference))
    assert (
        caption
        == f"configuration: maarat_al_numan · seed 20160215 · facility_impact {fi.__version__}"
    )


def test_extra_dims_are_reduced_and_said(small: xr.Dataset) -> None:
    scaled = [small["capacity"] * factor for factor in (1.0, 2.0, 3.0)]
    ensemble = small.copy()
    ensemble["capacity"] = xr.concat(scaled, dim="draw").expand_dims(scenario=["base", "relief"])
    ensemble["capacity"].attrs = small["capacity"].attrs
    reduced, note = representative(ensemble)
    assert set(reduced["capacity"].dims) == {"facility", "service", "time"}
    assert reduced["scenario"].item() == "base"
    xr.testing.assert_allclose(reduced["capacity"].drop_vars("scenario"), small["capacity"] * 2.0)
    assert reduced["capacity"].attrs["long_name"] == "capacity (patients per day)"
    assert note == "median of 3 draws; first scenario (base)"
    caption = _caption(capacity_figure(ensemble))
    assert caption.endswith(
        "\nshown: median and 5th–95th percentile band of 3 draws; first scenario (base)"
    )


@pytest.mark.slow
def test_write_figure_capacity_is_atomic_and_reproducible(
    reference: xr.Dataset, tmp_path: Path
) -> None:
    paths = write_figure(reference, "capacity", tmp_path)
    assert paths == [
        tmp_path / "maarat_al_numan-capacity.png",
        tmp_path / "maarat_al_numan-capacity.svg",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in paths)
    assert paths[0].read_bytes().startswith(b"\x89PNG")
    first_svg = paths[1].read_bytes()
    assert first_svg.lstrip().startswith(b"<?xml")
    assert b"<dc:date>" not in first_svg

    write_figure(reference, "capacity", tmp_path)
    assert paths[1].read_bytes() == first_svg
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.slow
def test_save_figure_falls_back_to_results_stem(small: xr.Dataset, tmp_path: Path) -> None:
    unnamed = small.copy()
    unnamed.attrs = {
        key: value for key, value in small.attrs.items() if key != "configuration_name"
    }
    paths = write_figure(unnamed, "capacity", tmp_path / "new folder")
    assert [path.name for path in paths] == ["results-capacity.png", "results-capacity.svg"]
    assert all(path.is_file() for path in paths)
    assert save_figure(capacity_figure(small), tmp_path, "again") == [
        tmp_path / "again.png",
        tmp_path / "again.svg",
    ]


@pytest.mark.slow
def test_figure_rebuilds_from_netcdf(reference: xr.Dataset, tmp_path: Path) -> None:
    stored = read_netcdf(write_netcdf(reference, tmp_path / "results.nc"))
    original, rebuilt = capacity_figure(reference), capacity_figure(stored)
    assert rebuilt.get_suptitle() == original.get_suptitle()
    assert _y_labels(rebuilt) == _y_labels(original)
    assert _x_labels(rebuilt) == _x_labels(original)
    assert _texts(_panels(rebuilt)[0]) == _texts(_panels(original)[0])


@pytest.mark.slow
def test_import_does_not_import_matplotlib() -> None:
    code = "import sys, facility_impact; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- network

_TRAVEL = {"willingness_to_travel": 0.9, "distance_decay_km": 10.0}


def _network_facility(label: str, demand_ratio: float, **keys: Any) -> dict[str, Any]:
    return {
        "label": label,
        "population": 1000,
        "resources": {"staff": 10, "building": 1},
        "services": {
            "outpatient": {
                "volume_per_month": 300,
                "needs": {"staff": 1.0},
                "demand_ratio": demand_ratio,
                **_TRAVEL,
            },
            "emergency": {
                "volume_per_month": 100,
                "needs": {"staff": 1.0},
                "demand_ratio": demand_ratio,
                **_TRAVEL,
            },
        },
        **keys,
    }


# a is closed on days 5-14 and sends its patients to b (near); c is out of reach
# and takes nobody (docs/model.md, "Destination choice"); the field hospital never
# opens. Of a's 0.6 (of the daily volume) seeking care, 0.9 travel: 0.54 reach b,
# which has 0.1 spare: b runs full.
NETWORK_CONFIG: dict[str, Any] = {
    "title": "small network",
    "run": {"horizon_days": 40, "seed": 3},
    "facility": {
        "a": _network_facility("Struck clinic", 0.6),
        "b": _network_facility("Receiving clinic", 0.9),
        "c": _network_facility("Far clinic", 0.6),
        "field": _network_facility("Field hospital", 0.0, opens_day=40),
    },
    "network": {
        "facilities": ["a", "b", "c", "field"],
        "distance_km": [
            [0, 0, "inf", 1],
            [0, 0, "inf", 1],
            ["inf", "inf", 0, "inf"],
            [1, 1, "inf", 0],
        ],
    },
    "strike": [{"facility": "a", "day": 5, "closure_days": 10, "damage": {}}],
}
for _row in NETWORK_CONFIG["network"]["distance_km"]:
    _row[:] = [float(km) for km in _row]


@pytest.fixture(scope="module")
def network() -> xr.Dataset:
    return fi.simulate(fi.load_config(NETWORK_CONFIG))


def _suptitles(figure: Any) -> list[str]:
    return [sub.get_suptitle() for sub in figure.subfigs if sub.axes]


def test_load_figure_draws_each_receiving_facility_with_its_services(network: xr.Dataset) -> None:
    figure = load_figure(network)
    assert figure.get_suptitle() == "Load on receiving facilities — Receiving clinic"
    panels = _panels(figure)
    assert [axis.get_title(loc="left") for axis in panels] == ["outpatient", "emergency"]
    assert [label.replace("\n", " ") for label in _y_labels(figure)] == [
        "capacity and demand (patients per day)"
    ]
    assert _x_labels(figure) == ["days since t = 0"]
    legend = _legend_texts(figure)
    # The axis says the units; the legend names the quantities.
    for entry in ("capacity", "demand", "patients arriving from other facilities"):
        assert entry in legend
    # Full on the 10 closed days: one span from day 5 to day 15, in a strip of its
    # own under each panel (no values on it), not on the panel's data.
    assert "at full capacity with arrivals" in legend
    outpatient = panels[0]
    strips = [axis for axis in figure.axes if axis.get_ylabel() == "full"]
    assert len(strips) == len(panels)
    assert [patch.get_x() for patch in strips[0].patches] == [5]
    assert strips[0].get_yticks().size == 0
    assert not [patch for patch in outpatient.patches if patch.get_height() < 0.1]
    # The band's top edge is demand + arrivals: 0.9 + 0.54 of the daily volume.
    (band,) = outpatient.collections
    top = band.get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(1.44 * 300 / 30.4375, rel=1e-9)
    assert _caption(figure).startswith("configuration: configuration · seed 3")


def test_load_figure_labels_come_from_the_registry(network: xr.Dataset) -> None:
    renamed = network.copy()
    renamed["arrivals"] = renamed["arrivals"].copy()
    renamed["arrivals"].attrs.update(long_name="diverted patients", units="d-1")
    legend = _legend_texts(load_figure(renamed))
    assert "patients arriving from other facilities" in legend
    assert "diverted patients" not in legend


def test_load_figure_needs_a_receiving_facility(reference: xr.Dataset, small: xr.Dataset) -> None:
    assert not has_load(reference)
    assert not has_load(small)
    with pytest.raises(ValueError, match="nothing to draw"):
        load_figure(reference)


def test_has_load_ignores_arrivals_below_the_drawn_share(network: xr.Dataset) -> None:
    assert has_load(network)
    tiny = network.copy()
    tiny["arrivals"] = network["arrivals"] * 1e-6
    assert not has_load(tiny)


def test_capacity_figure_draws_the_facilities_that_lose_capacity(network: xr.Dataset) -> None:
    figure = capacity_figure(network)
    assert figure.get_suptitle() == "Capacity and demand after the strike — Struck clinic"
    assert len(_panels(figure)) == 2
    caption = _caption(figure).splitlines()
    assert caption[1] == "not drawn: b, c (capacity at baseline); field (not open)"


@pytest.mark.slow
def test_write_figure_load_is_reproducible_and_leaves_no_figure_open(
    network: xr.Dataset, tmp_path: Path
) -> None:
    paths = write_figure(network, "load", tmp_path)
    assert [path.name for path in paths] == ["configuration-load.png", "configuration-load.svg"]
    first = [path.read_bytes() for path in paths]
    write_figure(network, "load", tmp_path)
    assert [path.read_bytes() for path in paths] == first
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(p.name for p in paths)


@pytest.mark.slow
def test_load_figure_rebuilds_from_netcdf(network: xr.Dataset, tmp_path: Path) -> None:
    stored = read_netcdf(write_netcdf(network, tmp_path / "network.nc"))
    assert has_load(stored)
    original, rebuilt = load_figure(network), load_figure(stored)
    assert _suptitles(rebuilt) == _suptitles(original)
    assert _legend_texts(rebuilt) == _legend_texts(original)


def test_capacity_figure_draws_a_facility_that_offers_nothing() -> None:
    idle = {
        "run": {"horizon_days": 10},
        "facility": {
            "post": {
                "population": 10,
                "resources": {},
                "services": {"outpatient": {"volume_per_month": 0, "needs": {}}},
            }
        },
    }
    panels = _panels(capacity_figure(fi.simulate(idle)))
    assert [axis.get_title(loc="left") for axis in panels] == ["outpatient"]


def test_layout_positions_are_rounded_so_files_do_not_depend_on_the_process(
    network: xr.Dataset,
) -> None:
    """The layout solver's last bits vary between processes; the layout is rounded."""
    from facility_impact.present.style import apply_style

    figure = load_figure(network)
    with apply_style():
        figure.draw_without_rendering()
    boxes = [axis.get_position().get_points() for axis in figure.get_axes()]
    boxes += [sub.bbox_relative.get_points() for sub in figure.subfigs]
    for points in boxes:
        np.testing.assert_array_equal(points, np.round(points, 9))
    labels = [text.get_position() for sub in figure.subfigs for text in sub.texts]
    assert labels
    for position in labels:
        np.testing.assert_array_equal(position, np.round(position, 9))
