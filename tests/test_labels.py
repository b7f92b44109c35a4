"""Plain labels: every variable of the registry and every key a sweep or a distribution
may vary has one in words, without the unit strings written for software; what the
figures and tables print uses them."""

from __future__ import annotations

import re

import pytest
import xarray as xr

import facility_impact as fi
from facility_impact.config.keys import KEYS
from facility_impact.present.labels import (
    MACHINE_UNITS,
    axis_label,
    dim_label,
    dim_labels,
    input_label,
    key_label,
    key_template,
    keys_label,
    machine_units,
)
from facility_impact.variables import VARIABLES

SWEEPABLE = [key for key in KEYS.values() if key.sweep or key.distribution]
NAMES = {"name": "north", "resource": "beds", "service": "outpatient", "fate": "abducted"}


def _concrete(pattern: str) -> str:
    """A key path of ``pattern`` with names for its ``<...>`` parts and index 0."""
    path = pattern.replace("[]", ".0")
    for part, name in NAMES.items():
        path = path.replace(f"<{part}>", name)
    return path.replace("<facility>", "south")


def test_every_variable_with_units_has_a_plain_label() -> None:
    missing = [name for name, v in VARIABLES.items() if v.units and not v.label]
    assert missing == []
    for name, variable in VARIABLES.items():
        if not variable.units:
            continue
        label = axis_label(name)
        assert not machine_units([label, variable.label, variable.long_name]), name
        assert "_" not in label, name


@pytest.mark.parametrize("key", SWEEPABLE, ids=[key.path for key in SWEEPABLE])
def test_every_sweepable_key_has_a_plain_label(key) -> None:
    label = key_label(_concrete(key.path))
    assert label, key.path
    assert not re.search(r"[`_{}<>\[\]]", label), label
    assert not MACHINE_UNITS.search(label), label
    assert len(label) <= 70, label
    # The template names what it varies: the resource, service or fate of the path.
    template = key_template(key)
    for part, name in NAMES.items():
        if f"{{{part}}}" in template:
            assert name in label, label


def test_labels_of_the_keys_people_sweep() -> None:
    assert key_label("strike.0.closure_days") == "days of closure"
    assert key_label("strike[1].closure_days") == "days of closure (strike 2)"
    assert key_label("recovery.building.mean_days") == "mean days to restore building"
    assert keys_label(
        ["recovery.building.mean_days", "recovery.beds.mean_days", "recovery.theatres.mean_days"]
    ) == ("mean days to restore building, beds, theatres")
    assert key_label("facility.a.services.emergency.willingness_to_travel") == (
        "emergency: share who travel elsewhere (0 to 1)"
    )
    assert key_label("facility.a.services.emergency.distance_decay_km") == (
        "emergency: distance-decay scale (km)"
    )
    assert key_label("facility.a.population") == "catchment population (people)"
    # Derived from the schema's doc where no short label is written.
    assert key_label("facility.a.opens_day") == "first day the facility exists"
    # An input of the sensitivity analysis: its keys, without units.
    assert input_label(
        "hospital_decay_km",
        "facility.a.services.inpatient.distance_decay_km, "
        "facility.a.services.surgery.distance_decay_km",
    ) == ("inpatient, surgery: distance-decay scale")
    assert input_label("my_stream") == "my stream"


def test_a_sweep_dim_is_labelled_by_the_keys_it_sweeps() -> None:
    results = fi.simulate(
        fi.load_config(
            {
                "run": {"horizon_days": 20},
                "facility": {
                    "clinic": {
                        "population": 100,
                        "resources": {"building": 1},
                        "services": {
                            "outpatient": {"volume_per_month": 30, "needs": {"building": 1.0}}
                        },
                    }
                },
                "strike": [{"day": 2, "closure_days": [3, 6], "damage": {"building": 1.0}}],
                "recovery": {
                    "building": {
                        "curve": "linear",
                        "time_days": {"values": [5, 10], "dim": "rebuild"},
                    }
                },
            }
        )
    )
    assert dim_label(results, "closure_days") == "days of closure"
    assert dim_label(results, "rebuild") == "days to restore building"
    # Without the configuration (a summary): by the key the dim is named after, else in words.
    assert dim_labels(xr.Dataset(), ["closure_days", "rebuild_mean_days"]) == {
        "closure_days": "days of closure",
        "rebuild_mean_days": "rebuild mean days",
    }
    assert dim_label(results, "scenario") == "scenario"


def test_machine_units_are_recognised() -> None:
    machine = ["patient d-1", "person-1 yr-1", "bed per 10000 person", "[1]", "degrees_east"]
    assert machine_units(machine) == machine
    plain = ["patients per day", "beds per 10,000 people", "share (0 to 1)", "days", "km"]
    assert machine_units(plain) == []
