"""A network of modelled facilities against hand-computed cases (docs/model.md,
"A network of facilities").

Each expected value is worked out by hand from the diversion rule: the share of a
sender's seekers heading to destination j is ``α · exp(-d/λ) · A_j / Σ_i A_i`` over
the open destinations other than the sender, and a receiving facility serves the
arrivals from all senders pro rata up to its spare capacity after its own patients.
Values are written as multiples of the daily baseline volume ``c0``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import (
    DAYS_PER_MONTH,
    alternative,
    facility,
    minimal_config,
    network_config,
    service,
    strike,
)

import facility_impact
from facility_impact import simulate, summarize
from facility_impact.model.parameters import build_parameters
from facility_impact.present.tables import format_summary
from facility_impact.run.workflow import simulate_parameters

VOLUME = 600.0
C0 = VOLUME / DAYS_PER_MONTH  # baseline daily volume of every test facility
CLOSED_DAYS = 10


def travel(willingness=0.9, decay_km=10.0):
    return {"willingness_to_travel": willingness, "distance_decay_km": decay_km}


def outpatient(demand_ratio=0.6, **keys):
    """An outpatient service of 600 a month that needs staff and building; travel keys given."""
    return {"outpatient": service(VOLUME, demand_ratio=demand_ratio, **(travel() | keys))}


def series(results, name, facility_name, service_name="outpatient"):
    return results[name].sel(facility=facility_name, service=service_name).values


def closed(facility_name, day=0, days=CLOSED_DAYS, **keys):
    """A strike that closes ``facility_name`` for ``days`` days without damage."""
    return strike(day, {}, closure_days=days, facility=facility_name, **keys)


def pair_config(distance_km=0.0, *, willingness=0.9, horizon_days=20, **receiver_keys):
    """Two identical facilities a and b (demand 0.6 c0, so 0.4 c0 spare); a is closed 10 days."""
    return network_config(
        {
            "a": facility(outpatient(**travel(willingness))),
            "b": facility(outpatient(**travel(willingness)), **receiver_keys),
        },
        [[0, distance_km], [distance_km, 0]],
        strikes=[closed("a")],
        horizon_days=horizon_days,
    )


# ------------------------------------------------------------------ the issue's case


@pytest.mark.parametrize(
    ("distance_km", "arrivals", "received"),
    [
        # a's seekers 0.6 c0; b is its only open destination: 0.6 · 0.9 · e^(-5/10)
        # = 0.3275 c0 arrive, below b's spare 0.4 c0, so all are served.
        (5.0, 0.6 * 0.9 * math.exp(-0.5), 0.6 * 0.9 * math.exp(-0.5)),
        # At distance 0: 0.54 c0 arrive, b serves 0.4 c0 (its spare), 0.14 c0 overflow.
        (0.0, 0.6 * 0.9, 0.4),
    ],
    ids=["below_spare", "above_spare"],
)
def test_struck_facility_diverts_to_its_identical_neighbour(distance_km, arrivals, received):
    results = simulate(pair_config(distance_km))
    closure = slice(0, CLOSED_DAYS)
    after = slice(CLOSED_DAYS, None)
    np.testing.assert_allclose(series(results, "arrivals", "b")[closure], arrivals * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "received", "b")[closure], received * C0, rtol=1e-13)
    np.testing.assert_allclose(
        series(results, "served_elsewhere", "a")[closure], received * C0, rtol=1e-13
    )
    np.testing.assert_allclose(
        series(results, "unmet", "a")[closure], (0.6 - received) * C0, rtol=1e-13
    )
    # b still serves all of its own patients, and together they fill at most its capacity.
    np.testing.assert_allclose(series(results, "served", "b"), 0.6 * C0, rtol=1e-14)
    # a sends, it does not receive; nothing moves once a has reopened.
    np.testing.assert_array_equal(series(results, "arrivals", "a"), 0.0)
    np.testing.assert_array_equal(series(results, "received", "a"), 0.0)
    np.testing.assert_array_equal(series(results, "arrivals", "b")[after], 0.0)
    np.testing.assert_array_equal(series(results, "served_elsewhere", "a")[after], 0.0)


def test_receiver_serves_its_own_patients_first():
    """A surge at b (demand c0 on days 3-5) leaves no spare: a's patients get nothing then."""
    config = pair_config(0.0)
    config["facility"]["b"]["services"]["outpatient"]["demand_multipliers"] = [
        {"start_day": 3, "end_day": 6, "factor": 1 / 0.6}
    ]
    results = simulate(config)
    received = series(results, "received", "b")
    np.testing.assert_allclose(series(results, "served", "b")[3:6], C0, rtol=1e-13)
    np.testing.assert_allclose(received[3:6], 0.0, atol=1e-12 * C0)
    np.testing.assert_allclose(received[[0, 1, 2, 6, 7, 8, 9]], 0.4 * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "unmet", "a")[3:6], 0.6 * C0, rtol=1e-13)


def test_arrivals_from_several_senders_are_served_pro_rata():
    """a (0 km from b) and c (10 km from b) are both closed; b has 0.4 c0 spare.

    a sends 0.6 · 0.9 = 0.54 c0 and c sends 0.6 · 0.9 · e^-1 = 0.1987 c0 to b (c and a
    are closed, so b is each one's only open destination); b serves 0.4 c0 of the
    0.7387 c0 arriving, each sender getting the same fraction of what it sent.
    """
    config = network_config(
        {"a": facility(outpatient()), "b": facility(outpatient()), "c": facility(outpatient())},
        [[0, 0, 10], [0, 0, 10], [10, 10, 0]],
        strikes=[closed("a"), closed("c")],
        horizon_days=12,
    )
    results = simulate(config)
    from_a, from_c = 0.54, 0.54 * math.exp(-1.0)
    fraction = 0.4 / (from_a + from_c)
    days = slice(0, CLOSED_DAYS)
    np.testing.assert_allclose(
        series(results, "arrivals", "b")[days], (from_a + from_c) * C0, rtol=1e-13
    )
    np.testing.assert_allclose(series(results, "received", "b")[days], 0.4 * C0, rtol=1e-13)
    np.testing.assert_allclose(
        series(results, "served_elsewhere", "a")[days], from_a * fraction * C0, rtol=1e-13
    )
    np.testing.assert_allclose(
        series(results, "served_elsewhere", "c")[days], from_c * fraction * C0, rtol=1e-13
    )
    # A closed facility attracts nobody: a and c send nothing to each other.
    for name in ("a", "c"):
        np.testing.assert_array_equal(series(results, "arrivals", name), 0.0)


def test_facility_out_of_reach_receives_nobody():
    results = simulate(pair_config(math.inf))
    np.testing.assert_array_equal(series(results, "arrivals", "b"), 0.0)
    np.testing.assert_array_equal(series(results, "received", "b"), 0.0)
    np.testing.assert_array_equal(series(results, "served_elsewhere", "a"), 0.0)
    np.testing.assert_allclose(series(results, "unmet", "a")[:CLOSED_DAYS], 0.6 * C0, rtol=1e-14)


def test_nobody_travels_without_willingness():
    results = simulate(pair_config(0.0, willingness=0.0))
    for name in ("arrivals", "received", "served_elsewhere"):
        np.testing.assert_array_equal(results[name].values, 0.0)
    np.testing.assert_allclose(series(results, "unmet", "a")[:CLOSED_DAYS], 0.6 * C0, rtol=1e-14)


def test_patients_split_between_a_modelled_facility_and_an_alternative():
    """Destinations b (spare 0.4 c0) and alternative x (capacity 2 c0, spare 0.1 c0), both 0 km.

    a's 0.6 c0 seekers: 0.9 of them travel (α · max e, e = 1 at 0 km), 0.54 c0, and
    choose by spare capacity: 0.4 : 0.1, so 0.432 c0 head to b (it serves its 0.4
    spare) and 0.108 to x (it serves its 0.1). The 0.04 turned away find no room
    left on their second try. A destination's size does not attract: its room does.
    """
    config = pair_config(0.0)
    config["alternative"] = [
        alternative(
            "x",
            0.0,
            {"outpatient": 0.1 * VOLUME},
            capacity_per_month={"outpatient": 2 * VOLUME},
        )
    ]
    results = simulate(config)
    days = slice(0, CLOSED_DAYS)
    heading_b, heading_x = 0.54 * 0.8, 0.54 * 0.2
    np.testing.assert_allclose(series(results, "arrivals", "b")[days], heading_b * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "received", "b")[days], 0.4 * C0, rtol=1e-13)
    by_x = results["received_by_alternative"].sel(alternative="x", service="outpatient").values
    np.testing.assert_allclose(by_x[days], 0.1 * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "served_elsewhere", "a")[days], 0.5 * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "unmet", "a")[days], 0.1 * C0, rtol=1e-12)
    assert heading_x > 0.1


# ------------------------------------------------------------------ equivalences


def test_network_of_one_facility_equals_the_single_facility_run(tmp_path):
    reference = Path(__file__).parents[1] / "configs" / "maarat_al_numan.toml"
    text = reference.read_text(encoding="utf-8")
    text += '\n[network]\nfacilities = ["maarat_al_numan"]\ndistance_km = [[0]]\n'
    networked = tmp_path / "network_of_one.toml"
    networked.write_text(text, encoding="utf-8")
    in_network = facility_impact.simulate(networked)
    single = facility_impact.simulate(reference)
    assert float(single["served_elsewhere"].sum()) > 0  # the alternatives are used
    for name in single.data_vars:
        np.testing.assert_array_equal(in_network[name].values, single[name].values, err_msg=name)
    np.testing.assert_array_equal(in_network["received"].values, 0.0)


def test_unconnected_facilities_equal_their_separate_runs():
    """Two facilities with no service in common (nothing can move between them), each
    struck differently and recovering by its own rules, give their single runs."""
    clinic = facility({"outpatient": service(VOLUME, {"staff": 1.0}, deferrable_share=0.5)})
    surgery = facility(
        {"surgery": service(90.0, {"building": 1.0, "staff": 0.5}, backlog_attrition_per_day=0.1)},
        recovery={"building": {"curve": "linear", "time_days": 15}},
    )
    strikes = [
        strike(2, {"staff": 0.5}, facility="clinic", closure_days=3),
        strike(4, {"building": 0.8, "staff": 0.2}, facility="surgical"),
    ]
    recovery = {"staff": {"curve": "exponential", "time_days": 10, "recoverable_share": 0.8}}
    together = simulate(
        network_config(
            {"clinic": clinic, "surgical": surgery},
            [[0, 3], [3, 0]],
            strikes=strikes,
            recovery=recovery,
        )
    )
    for name, table, hits in (
        ("clinic", clinic, strikes[:1]),
        ("surgical", surgery, strikes[1:]),
    ):
        alone = simulate(
            {
                "run": {"horizon_days": 30},
                "facility": {name: table},
                "strike": hits,
                "recovery": recovery,
            }
        )
        for variable in ("available", "capacity", "demand", "served", "unmet", "backlog"):
            mine = together[variable].sel(facility=name)
            if "service" in mine.dims:
                mine = mine.sel(service=alone["service"].values)
            np.testing.assert_array_equal(
                mine.values, alone[variable].sel(facility=name).values, err_msg=variable
            )


# ------------------------------------------------------------------ life span


def test_facility_that_opens_later_has_no_patients_and_attracts_nobody_before():
    """Field hospital f (no patients of its own, baseline c0) opens on day 4, 0 km from a.

    Until day 4 b is a's only open destination: 0.54 c0 head there (b serves its 0.4
    spare). From day 4 the 0.54 split by spare capacity, 0.4 c0 : c0, so 2/7 to b
    and 5/7 to the field hospital, and both serve all who come.
    """
    config = network_config(
        {
            "a": facility(outpatient()),
            "b": facility(outpatient()),
            "field": facility(outpatient(demand_ratio=0.0), opens_day=4),
        },
        [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
        strikes=[closed("a")],
        horizon_days=12,
    )
    results = simulate(config)
    field_arrivals = series(results, "arrivals", "field")
    np.testing.assert_array_equal(field_arrivals[:4], 0.0)
    to_b, to_field = 0.54 * 2 / 7, 0.54 * 5 / 7
    np.testing.assert_allclose(field_arrivals[4:CLOSED_DAYS], to_field * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "arrivals", "b")[:4], 0.54 * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "arrivals", "b")[4:10], to_b * C0, rtol=1e-13)
    np.testing.assert_allclose(series(results, "received", "b")[:4], 0.4 * C0, rtol=1e-13)
    np.testing.assert_allclose(
        series(results, "received", "field")[4:10], to_field * C0, rtol=1e-13
    )
    np.testing.assert_allclose(
        series(results, "unmet", "a")[:CLOSED_DAYS],
        C0 * np.array([0.2] * 4 + [0.06] * 6),
        rtol=1e-12,
    )
    capacity = series(results, "capacity", "field")
    np.testing.assert_array_equal(capacity[:4], 0.0)
    np.testing.assert_allclose(capacity[4:], C0, rtol=1e-15)
    np.testing.assert_array_equal(results["is_open"].sel(facility="field").values[:4], 0.0)
    np.testing.assert_array_equal(results["is_open"].sel(facility="field").values[4:], 1.0)


def test_facility_has_no_demand_of_its_own_before_it_opens():
    config = network_config(
        {"a": facility(outpatient(demand_ratio=1.0), opens_day=6)}, [[0]], horizon_days=10
    )
    demand = series(simulate(config), "demand", "a")
    np.testing.assert_array_equal(demand[:6], 0.0)
    np.testing.assert_allclose(demand[6:], C0, rtol=1e-15)


def test_facility_closed_for_good_diverts_its_patients_and_drops_its_queue():
    """b closes for good on day 5. Half of its unserved patients would wait (φ = 0.5).

    Before: a strike closes b on days 2-4, so its backlog grows by 0.5 · 0.6 = 0.3 c0 a
    day (κ = 0) to 0.9 c0 by day 4, while 0.3 c0 a day seek care elsewhere. On day 5
    the 0.9 c0 waiting give up (abandoned), and from then on nobody waits: all 0.6 c0
    seek care elsewhere; 0.54 c0 reach a, which has 0.4 c0 spare.
    """
    config = network_config(
        {
            "a": facility(outpatient()),
            "b": facility(outpatient(deferrable_share=0.5), closes_day=5),
        },
        [[0, 0], [0, 0]],
        strikes=[closed("b", day=2, days=3)],
        horizon_days=10,
    )
    results = simulate(config)
    np.testing.assert_allclose(
        series(results, "capacity", "b"), C0 * np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    )
    np.testing.assert_allclose(series(results, "demand", "b"), 0.6 * C0, rtol=1e-15)
    np.testing.assert_allclose(
        series(results, "backlog", "b"),
        C0 * np.array([0, 0, 0.3, 0.6, 0.9, 0, 0, 0, 0, 0]),
        rtol=1e-13,
        atol=1e-15,
    )
    np.testing.assert_allclose(
        series(results, "abandoned", "b"), C0 * np.array([0] * 5 + [0.9] + [0] * 4), rtol=1e-13
    )
    np.testing.assert_allclose(
        series(results, "arrivals", "a"),
        C0 * np.array([0, 0, 0.27, 0.27, 0.27, 0.54, 0.54, 0.54, 0.54, 0.54]),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        series(results, "received", "a"),
        C0 * np.array([0, 0, 0.27, 0.27, 0.27, 0.4, 0.4, 0.4, 0.4, 0.4]),
        rtol=1e-13,
    )
    np.testing.assert_array_equal(results["is_open"].sel(facility="b").values[5:], 0.0)
    # Nobody heads for b once it has closed, even when a is struck then.
    config["strike"].append(closed("a", day=6, days=2))
    later = simulate(config)
    np.testing.assert_array_equal(series(later, "arrivals", "b"), 0.0)


# ------------------------------------------------------------------ strikes and recovery


def test_a_strike_on_a_recovering_facility_compounds_and_leaves_the_other_alone():
    """b is hit on day 0 (staff 0.5) and again on day 10 (staff 0.4, closed 5 days) while
    it recovers linearly over 20 days; a is hit once on day 3 (staff 0.2).

    Each strike's loss recovers on its own clock of open days: on day 10 b has
    0.5 + 0.5 · 10/20 = 0.75, the second strike takes 0.4 of that (0.3), and the
    closure (days 10-14) pauses both recoveries, which resume on day 15.
    """
    config = network_config(
        {"a": facility(outpatient()), "b": facility(outpatient())},
        [[0, 8], [8, 0]],
        strikes=[
            strike(0, {"staff": 0.5}, facility="b"),
            strike(3, {"staff": 0.2}, facility="a"),
            strike(10, {"staff": 0.4}, facility="b", closure_days=5),
        ],
        recovery={"staff": {"curve": "linear", "time_days": 20}},
        horizon_days=50,
    )
    results = simulate(config)
    open_days_before = [t if t <= 10 else max(10, t - 5) for t in range(50)]
    expected_b = [
        1 - 0.5 * (1 - min(1, c / 20)) - (0.3 * (1 - min(1, (c - 10) / 20)) if t >= 10 else 0)
        for t, c in zip(range(50), open_days_before, strict=True)
    ]
    expected_a = [1.0 if t < 3 else 0.8 + 0.2 * min(1, (t - 3) / 20) for t in range(50)]
    staff = results["available"].sel(resource="staff")
    np.testing.assert_allclose(staff.sel(facility="b").values, expected_b, rtol=1e-13)
    np.testing.assert_allclose(staff.sel(facility="a").values, expected_a, rtol=1e-13)
    np.testing.assert_array_equal(
        results["is_open"].sel(facility="b").values, [0 if 10 <= t < 15 else 1 for t in range(50)]
    )


def test_per_facility_recovery_overrides_the_top_level_table():
    """Both lose their building on day 0; a recovers by the top-level table (linear 20 d),
    b by its own (linear 10 d, half recoverable)."""
    config = network_config(
        {
            "a": facility(outpatient()),
            "b": facility(
                outpatient(),
                recovery={
                    "building": {"curve": "linear", "time_days": 10, "recoverable_share": 0.5}
                },
            ),
        },
        [[0, 5], [5, 0]],
        strikes=[
            strike(0, {"building": 1.0}, facility="a"),
            strike(0, {"building": 1.0}, facility="b"),
        ],
        recovery={"building": {"curve": "linear", "time_days": 20}},
        horizon_days=30,
    )
    building = simulate(config)["available"].sel(resource="building")
    days = np.arange(30)
    np.testing.assert_allclose(
        building.sel(facility="a").values, np.minimum(1, days / 20), rtol=1e-14
    )
    np.testing.assert_allclose(
        building.sel(facility="b").values, 0.5 * np.minimum(1, days / 10), rtol=1e-14
    )
    params = build_parameters(facility_impact.load_config(config))
    assert params["recovery_time_days"].dims == ("facility", "resource")
    assert float(params["recovery_time_days"].sel(facility="b", resource="building")) == 10
    # staff has no table anywhere: it does not recover (curve "none").
    assert float(params["recovery_curve"].sel(facility="b", resource="staff")) == 0


# ------------------------------------------------------------------ conservation


def test_received_everywhere_equals_served_elsewhere_every_day_and_service():
    both = {
        "outpatient": service(VOLUME, demand_ratio=0.7, deferrable_share=0.3, **travel()),
        "emergency": service(300.0, demand_ratio=0.5, **travel(0.8, 30.0)),
    }
    config = network_config(
        {"a": facility(both), "b": facility(both), "c": facility(both, opens_day=3)},
        [[0, 4, 9], [4, 0, 2], [9, 2, 0]],
        strikes=[
            strike(0, {"building": 1.0}, facility="a", casualties=20),
            closed("b", day=5, days=4),
        ],
        alternatives=[alternative("x", 6.0, {"emergency": 40.0}, opens_day=2)],
        horizon_days=15,
    )
    results = simulate(config)
    received = results["received"].sum("facility") + results["received_by_alternative"].sum(
        "alternative"
    )
    elsewhere = results["served_elsewhere"].sum("facility")
    assert float(results["received"].sum()) > 0
    assert float(results["received_by_alternative"].sum()) > 0
    np.testing.assert_allclose(received.values, elsewhere.values, rtol=1e-13, atol=1e-13)


# ------------------------------------------------------------------ ensemble dims


def test_an_extra_dim_on_a_network_parameter_broadcasts_like_separate_runs():
    config = facility_impact.load_config(pair_config(0.0))
    params = build_parameters(config)
    distances = xr.DataArray([0.0, 5.0, math.inf], dims="distance_sweep")
    swept_distance = xr.where(
        params["facility"] != params["destination_facility"], distances, 0.0
    ).assign_attrs(params["network_distance_km"].attrs)
    opens = xr.DataArray([0.0, 6.0], dims="opening").assign_coords(opening=["now", "day 6"])
    swept_opens = params["facility_opens_day"] + xr.where(params["facility"] == "b", opens, 0.0)
    swept = params.assign(
        network_distance_km=swept_distance,
        facility_opens_day=swept_opens.assign_attrs(params["facility_opens_day"].attrs),
    )
    results = simulate_parameters(swept)
    dims = results["received"].dims
    assert set(dims[:2]) == {"distance_sweep", "opening"}
    assert dims[2:] == ("facility", "service", "time")
    for i, km in enumerate(distances.values):
        for j, opens_day in enumerate(opens.values):
            single = params.assign(
                network_distance_km=xr.where(
                    params["facility"] != params["destination_facility"], km, 0.0
                ),
                facility_opens_day=params["facility_opens_day"]
                + xr.where(params["facility"] == "b", opens_day, 0.0),
            )
            alone = simulate_parameters(single)
            for name in ("arrivals", "received", "served_elsewhere", "unmet", "demand"):
                np.testing.assert_array_equal(
                    results[name].isel(distance_sweep=i, opening=j).values,
                    alone[name].values,
                    err_msg=f"{name} at {km} km, b opening {opens_day}",
                )
    # The sweep matters: at 5 km fewer arrive than at 0 km, at inf nobody.
    arrivals = results["arrivals"].isel(opening=0).sel(facility="b").sum(("service", "time"))
    assert float(arrivals[0]) > float(arrivals[1]) > float(arrivals[2]) == 0.0


# ------------------------------------------------------------------ overload summary


@pytest.mark.parametrize(
    ("distance_km", "full_days", "arrivals", "received"),
    [(0.0, 10, 0.54, 0.4), (5.0, 0, 0.6 * 0.9 * math.exp(-0.5), 0.6 * 0.9 * math.exp(-0.5))],
    ids=["overloaded", "absorbs_all"],
)
def test_overload_summary(distance_km, full_days, arrivals, received):
    """10 closed days at a; windows are counted from the strike (day 0): the 20-day
    horizon window holds them all, the 30-day window is longer than the run (NaN)."""
    summary = summarize(simulate(pair_config(distance_km, horizon_days=20)))
    at_b = summary.sel(facility="b", service="outpatient", period=20.0)
    assert float(at_b["days_at_full_capacity"]) == full_days
    assert float(at_b["arrivals_total"]) == pytest.approx(10 * arrivals * C0, rel=1e-12)
    assert float(at_b["received_total"]) == pytest.approx(10 * received * C0, rel=1e-12)
    assert float(at_b["overflow_total"]) == pytest.approx(
        10 * (arrivals - received) * C0, rel=1e-9, abs=1e-9
    )
    at_a = summary.sel(facility="a", service="outpatient", period=20.0)
    assert float(at_a["days_at_full_capacity"]) == 0  # a never receives
    assert float(at_a["arrivals_total"]) == 0
    assert math.isnan(
        float(summary["days_at_full_capacity"].sel(facility="b", service="outpatient", period=30.0))
    )
    for name in ("days_at_full_capacity", "arrivals_total", "received_total", "overflow_total"):
        assert summary[name].attrs["units"] and summary[name].attrs["long_name"], name


def test_a_facility_that_never_opens_has_no_capacity_indicators():
    config = pair_config(0.0, opens_day=20)  # b opens on the last day + 1: never
    summary = summarize(simulate(config))
    at_b = summary.sel(facility="b", service="outpatient")
    assert bool(at_b["capacity_loss_days"].isnull().all())
    assert bool(at_b["days_to_capacity"].isnull().all())
    assert float(at_b["demand_total"].sel(period=20.0)) == 0
    # a, open throughout, still has them.
    assert (
        float(summary["capacity_loss_days"].sel(facility="a", service="outpatient", period=20.0))
        == 10
    )


def test_days_to_capacity_of_a_late_opening_facility_count_from_its_opening():
    config = pair_config(0.0, opens_day=4)
    summary = summarize(simulate(config))
    at_b = summary.sel(facility="b", service="outpatient")
    # Zero capacity before it existed is not a loss: b is at baseline from day 4 on.
    assert float(at_b["capacity_loss_days"].sel(period=20.0)) == 0
    assert float(at_b["days_to_capacity"].sel(threshold=0.9)) == 0


def test_overload_indicators_are_zero_without_other_modelled_facilities():
    results = simulate(minimal_config(strikes=[strike(0, {"building": 1.0}, closure_days=3)]))
    summary = summarize(results)
    np.testing.assert_array_equal(summary["arrivals_total"].sel(period=60.0).values, 0.0)
    np.testing.assert_array_equal(summary["days_at_full_capacity"].sel(period=60.0).values, 0.0)


def test_run_table_lists_receiving_facilities_and_facilities_that_never_open():
    config = pair_config(0.0, horizon_days=20)
    config["facility"]["field"] = facility(outpatient(demand_ratio=0.0), opens_day=20)
    config["network"] = {
        "facilities": ["a", "b", "field"],
        "distance_km": [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
    }
    text = format_summary(summarize(simulate(config)))
    assert "field: does not open within the run" in text
    block = text.split("Patients from other facilities, first 20 days after the first strike")[1]
    rows = [line.split() for line in block.splitlines() if line.startswith(("a ", "b "))]
    # Over the 10 closed days b receives 0.4 c0 of the 0.54 c0 arriving each day.
    assert rows == [
        [
            "b",
            "outpatient",
            f"{10 * 0.54 * C0:,.0f}",
            f"{10 * 0.4 * C0:,.0f}",
            f"{10 * 0.14 * C0:,.0f}",
            "10",
        ]
    ]


def test_run_table_has_no_receiving_block_without_arrivals():
    text = format_summary(summarize(simulate(pair_config(math.inf))))
    assert "Patients from other facilities" not in text
