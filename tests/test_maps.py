"""The map of a network with coordinates, and the per-pair flows it draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facility_impact.config import load_config
from facility_impact.ingest import import_tables
from facility_impact.present.catalogue import CATALOGUE
from facility_impact.present.maps import (
    LABEL_LINE_PT,
    MAP_HEIGHT_PT,
    _nice_length,
    has_places,
    label_rises_pt,
    map_figure,
    pair_flows,
)
from facility_impact.run.workflow import simulate

REPO = Path(__file__).resolve().parents[1]
HEADER = (
    "id,name,type,latitude,longitude,population,beds,staff,theatres,"
    "outpatient_per_month,emergency_per_month,inpatient_per_month,surgery_per_month,"
    "demand_ratio,functionality"
)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory):
    """Two struck hospitals and two neighbours with spare capacity, 90 days."""
    folder = tmp_path_factory.mktemp("map")
    facilities = folder / "f.csv"
    facilities.write_text(
        "\n".join(
            [
                HEADER,
                "S1,struck one,hospital,35.6,36.6,,,,,,,,,,",
                "S2,struck two,hospital,35.7,36.7,,,,,,,,,,",
                "N1,neighbour,hospital,35.62,36.64,,,,,,,,,0.6,",
                "N2,other neighbour,primary_health_centre,35.75,36.6,,,,,,,,,0.5,",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    attacks = folder / "a.csv"
    attacks.write_text(
        "date,facility_id,attack_type,facility_damage\n"
        "2020-01-01,S1,violence_with_heavy_weapons,destroyed\n"
        "2020-01-10,S2,setting_fire,damaged\n",
        encoding="utf-8",
    )
    out = import_tables(facilities, folder / "net.toml", attacks=attacks)
    return simulate(load_config(out, horizon_days=90))


def test_pair_flows_are_the_kernels_split(network) -> None:
    flows = pair_flows(network)
    order = ("facility", "service", "time")
    # The shares rebuilt from the stored configuration give the kernel's arrivals ...
    np.testing.assert_allclose(
        flows["implied_arrivals"].transpose(*order).values,
        network["arrivals"].transpose(*order).values,
        rtol=1e-12,
        atol=1e-12,
    )
    # ... every receiver's served arrivals come from some sender ...
    into = flows["flow"].sum("facility").rename(destination_facility="facility")
    np.testing.assert_allclose(
        into.transpose(*order).values, network["received"].transpose(*order).values, atol=1e-9
    )
    # ... and, without alternatives, everything served elsewhere went to a modelled facility.
    out_of = flows["flow"].sum("destination_facility")
    np.testing.assert_allclose(
        out_of.transpose(*order).values,
        network["served_elsewhere"].transpose(*order).values,
        atol=1e-9,
    )
    total = flows["flow"].sum(("time", "service"))
    assert float(total.sel(facility="S1", destination_facility="N1")) > 0
    assert float(total.sel(facility="N1", destination_facility="S1")) == 0


def test_map_figure_draws_places_and_needs_coordinates(network) -> None:
    assert has_places(network)
    figure = map_figure(network)
    assert figure is not None
    (ax, _colourbar) = figure.axes
    assert ax.get_xlabel() == "longitude (degrees east)"
    assert ax.get_ylabel() == "latitude (degrees north)"
    texts = [t.get_text() for t in ax.texts]
    assert "struck one\nstruck 2020-01-01" in texts
    assert "struck two\nstruck 2020-01-10" in texts
    assert any(t.endswith(" km") for t in texts)
    # Equal-area-like aspect: a degree of longitude drawn cos(latitude) as long.
    assert ax.get_aspect() == pytest.approx(
        1 / np.cos(np.radians(np.mean([35.6, 35.7, 35.62, 35.75])))
    )
    with pytest.raises(ValueError, match="no facility coordinates"):
        map_figure(network.drop_vars(["latitude", "longitude"]))


def test_scale_bar_lengths_are_round() -> None:
    assert _nice_length(100) == 20
    assert _nice_length(9) == 2
    assert _nice_length(41) == 10
    assert _nice_length(4.5) == 1


def test_a_configuration_without_places_has_no_coordinates() -> None:
    config = load_config(REPO / "configs" / "maarat_al_numan.toml", horizon_days=5)
    assert "latitude" not in simulate(config).coords


def test_the_map_is_a_catalogue_entry_that_needs_coordinates(network) -> None:
    entry = {entry.name: entry for entry in CATALOGUE}["map"]
    assert entry.draw is map_figure and entry.needs == ("results",)
    assert entry.skip(network) is None
    unplaced = network.drop_vars(["latitude", "longitude"])
    assert entry.skip(unplaced) == "the results carry no facility coordinates (latitude/longitude)"
    assert network["latitude"].attrs == {
        "units": "degrees_north",
        "long_name": "latitude",
        "standard_name": "latitude",
    }
    assert network["longitude"].attrs["units"] == "degrees_east"
    assert network["longitude"].attrs["standard_name"] == "longitude"


def test_labels_of_nearby_facilities_are_stacked_and_far_ones_left_alone() -> None:
    # Map 1 degree tall: MAP_HEIGHT_PT points per degree of latitude.
    limits = (0.0, 3.0, 0.0, 1.0)
    lon = np.array([1.0, 1.1, 2.9, 1.0])
    lat = np.array([0.50, 0.51, 0.51, 0.90])
    lines = [2, 1, 1, 1]
    rises = label_rises_pt(lon, lat, lines, limits, np.array([True, True, True, True]))
    # The southernmost label (two lines) stays; the one 0.01 degree north and 0.1
    # degree east starts inside it, so it rises to the first label's top.
    first_top = 2 * LABEL_LINE_PT
    assert rises[0] == 0
    assert rises[1] == pytest.approx(first_top - 0.01 * MAP_HEIGHT_PT)
    # Far east (more than a third of the map's width away): not moved.
    assert rises[2] == 0
    # Far north, well above both labels: not moved.
    assert rises[3] == 0


def test_a_facility_without_a_place_does_not_push_labels() -> None:
    limits = (0.0, 1.0, 0.0, 1.0)
    lon, lat = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    rises = label_rises_pt(lon, lat, [1, 1], limits, np.array([False, True]))
    assert list(rises) == [0, 0]
