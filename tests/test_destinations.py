"""Each sender's table of candidate destinations (model/destinations.py) and the
destination choice on it (choice.choose_sparse) against the full matrix.

With ``negligible = 0`` a table holds every destination the full model can send
anyone to, and the choice on it must give the full matrix's numbers exactly; the
default threshold drops destinations whose distance factor is below 1e-9, which
must change a large network's results by less than the bound of docs/model.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parameter_edits import apply_new_terms, new_terms
from test_loop_model import network_configs, parameters_of

from facility_impact import load_config
from facility_impact.model import choice, destinations, kernel, steps
from facility_impact.model.block import Block, Served, _broadcast_last
from facility_impact.model.destinations import NEGLIGIBLE_FACTOR, destination_tables
from facility_impact.model.kernel import kernel_inputs, run_model
from facility_impact.model.parameters import build_parameters

DISTANCE = st.one_of(st.floats(0.0, 120.0), st.just(math.inf))
REACH = st.one_of(st.floats(1.0, 100.0), st.just(math.inf))
DECAY = st.one_of(st.floats(0.5, 80.0), st.just(math.inf))
VOLUME = st.one_of(st.just(0.0), st.floats(0.0, 50.0))


@st.composite
def networks(draw: Any) -> dict[str, np.ndarray]:
    """Senders F, destinations J = F + alternatives, services S, points n."""
    n_facilities = draw(st.integers(1, 6))
    n_destinations = n_facilities + draw(st.integers(0, 3))
    n_services, n_points = draw(st.integers(1, 3)), draw(st.integers(1, 3))

    def array(strategy: Any, *shape: int) -> np.ndarray:
        count = math.prod(shape)
        values = draw(st.lists(strategy, min_size=count, max_size=count))
        return np.array(values, dtype=float).reshape(shape)

    distance = array(DISTANCE, n_facilities, n_destinations, 1)
    distance[np.arange(n_facilities), np.arange(n_facilities)] = 0.0
    return {
        "distance": distance,
        "reach": array(REACH, n_facilities, n_services, 1),
        "decay": array(DECAY, n_facilities, n_services, 1),
        "willingness": array(st.floats(0.0, 1.0), n_facilities, n_services, 1),
        "seeking": array(VOLUME, n_facilities, n_services, n_points),
        "spare": array(VOLUME, n_destinations, n_services, n_points),
    }


def full_choice(net: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """The full matrix's choice, as the maps and the kernel before the tables ran it."""
    n_facilities, n_destinations = net["distance"].shape[:2]
    is_self = np.zeros((n_destinations, n_facilities, 1, 1), dtype=bool)
    is_self[np.arange(n_facilities), np.arange(n_facilities)] = True
    factor = choice.distance_factor(
        np.transpose(net["distance"], (1, 0, 2))[:, :, None, :], net["decay"], net["reach"], is_self
    )
    chosen = choice.choose(net["seeking"], net["willingness"], factor, net["spare"])
    return chosen.arrivals, chosen.received, chosen.served_elsewhere


def table_choice(net: dict[str, np.ndarray], negligible: float) -> tuple[np.ndarray, ...]:
    tables = destination_tables(net["distance"], net["reach"], net["decay"], negligible)
    index = tables.destination_index.T
    factor = choice.distance_factor(
        np.transpose(tables.destination_distance_km, (1, 0, 2))[:, :, None, :],
        net["decay"],
        net["reach"],
        np.zeros((*index.shape, 1, 1), dtype=bool),
    )
    chosen = choice.choose_sparse(
        net["seeking"], net["willingness"], choice.Candidates(index, factor), net["spare"]
    )
    return chosen.arrivals, chosen.received, chosen.served_elsewhere


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_the_choice_on_the_tables_is_the_full_matrix_choice_exactly(net):
    for full, sparse in zip(full_choice(net), table_choice(net, 0.0), strict=True):
        np.testing.assert_array_equal(sparse, np.broadcast_to(full, sparse.shape))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_a_table_holds_every_destination_in_reach_and_drops_only_negligible_ones(net):
    distance, reach, decay = net["distance"][:, :, 0], net["reach"][..., 0], net["decay"][..., 0]
    everything = destination_tables(net["distance"], net["reach"], net["decay"], 0.0)
    default = destination_tables(net["distance"], net["reach"], net["decay"])
    for f in range(distance.shape[0]):
        in_reach = {
            j
            for j in range(distance.shape[1])
            if j != f and math.isfinite(distance[f, j]) and (distance[f, j] <= reach[f]).any()
        }
        row = everything.destination_index[f]
        assert set(row[row >= 0]) == in_reach
        assert list(row[row >= 0]) == sorted(in_reach)  # the order of the J axis
        assert (row[len(in_reach) :] == -1).all()
        kept = set(default.destination_index[f][default.destination_index[f] >= 0])
        assert kept <= in_reach
        for j in in_reach - kept:  # dropped: out of reach or negligible for every service
            with np.errstate(divide="ignore"):
                factor = np.exp(-distance[f, j] / decay[f])
            assert ((distance[f, j] > reach[f]) | (factor < NEGLIGIBLE_FACTOR)).all()
        slots = everything.destination_index[f] >= 0
        np.testing.assert_array_equal(
            everything.destination_distance_km[f, slots, 0],
            distance[f, everything.destination_index[f][slots]],
        )
        assert np.isinf(everything.destination_distance_km[f, ~slots]).all()


def plane(facilities: int, decays: tuple[float, ...], reach: float, seed: int = 7) -> dict:
    """Facilities scattered on a plane at one per 100 km², every tenth struck on
    day 0, neighbours with spare capacity (demand below capacity)."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0.0, math.sqrt(facilities * 100.0), size=(facilities, 2))
    km = np.round(np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1)), 1)
    names = [f"f{i}" for i in range(facilities)]
    services = {
        f"s{i}": {
            "volume_per_month": 300.0,
            "demand_ratio": 0.8,
            "needs": {"staff": 1.0},
            "willingness_to_travel": 0.7,
            "distance_decay_km": decay,
            "reach_km": reach,
        }
        for i, decay in enumerate(decays)
    }
    return {
        "run": {"horizon_days": 40, "seed": 1},
        "facility": {
            n: {"population": 20_000.0, "resources": {"staff": 20.0}, "services": services}
            for n in names
        },
        "strike": [
            {"facility": n, "day": 0, "closure_days": 30, "damage": {"staff": 0.5}}
            for n in names[::10]
        ],
        "recovery": {"staff": {"curve": "linear", "time_days": 60}},
        "network": {"facilities": names, "distance_km": km.tolist()},
    }, km


def test_a_generated_300_facility_network_loads_and_builds_its_tables():
    raw, km = plane(300, (2.4, 45.7), 40.0)
    config = load_config(raw)
    assert list(config.facilities) == [f"f{i}" for i in range(300)]
    assert config.service_names == ["s0", "s1"]
    assert config.network is not None
    for origin, destination in ((0, 299), (150, 3), (42, 42)):
        expected = km[origin, destination]
        assert config.network.distance(f"f{origin}", f"f{destination}") == expected
    assert len(config.strikes) == 30
    params = build_parameters(config)
    index = params["destination_index"].values
    assert index.dtype == np.int64
    assert params["destination_index"].attrs["units"] == "1"
    for f in (0, 17, 299):
        near = [j for j in range(300) if j != f and km[f, j] <= 40.0]
        assert list(index[f][index[f] >= 0]) == near
    assert index.shape[1] == max(int(((km <= 40.0).sum(axis=1) - 1).max()), 1)
    derived = kernel_inputs(params)
    np.testing.assert_array_equal(derived.destination_index[:, :, 0], index)
    np.testing.assert_array_equal(
        derived.destination_distance_km[..., 0], params["destination_distance_km"].values
    )


def test_a_large_network_moves_by_less_than_the_documented_bound(monkeypatch):
    """Without reach, the outpatient decay of 2.4 km makes the 1e-9 threshold drop
    destinations beyond 50 km. Near destinations keep room here, so the bound of
    docs/model.md ("Destination choice") is tiny: every flow of every day stays
    within 1e-7 of the largest (measured: 2e-9)."""
    raw, _ = plane(120, (2.4,), math.inf)
    params = build_parameters(load_config(raw))
    truncated = run_model(params)
    width = params.sizes["destination_slot"]
    monkeypatch.setattr(destinations, "NEGLIGIBLE_FACTOR", 0.0)
    assert kernel_inputs(params).destination_index.shape[1] > width  # something was dropped
    full = run_model(params)
    for name in ("served_elsewhere", "unmet", "arrivals", "received", "forgone"):
        scale = float(np.max(np.abs(full[name])))
        assert scale > 0, name
        np.testing.assert_allclose(truncated[name], full[name], rtol=0, atol=1e-7 * scale)


@pytest.mark.parametrize("negligible", [0.0, NEGLIGIBLE_FACTOR])
def test_the_kernel_runs_on_the_tables_of_an_edited_dataset(negligible, monkeypatch):
    """A Dataset whose distances are edited after building (a sweep, a test) runs on
    tables derived afresh: moving everyone out of reach stops all diversion."""
    monkeypatch.setattr(destinations, "NEGLIGIBLE_FACTOR", negligible)
    raw, _ = plane(30, (20.0,), 40.0)
    params = build_parameters(load_config(raw))
    assert float(run_model(params)["served_elsewhere"].sum()) > 0
    params["network_distance_km"] = params["network_distance_km"] * 0 + math.inf
    assert float(run_model(params)["served_elsewhere"].sum()) == 0


class FullMatrixBlock(Block):
    """The day loop with the full sender × destination matrix, as before the tables:
    each table's factors scattered into a ``(J, F, S, ·)`` matrix of zeros (with the
    threshold at 0 no destination the full matrix could use is left out)."""

    built = 0

    def _prepare_choice(self, days: np.ndarray) -> None:
        FullMatrixBlock.built += 1
        super()._prepare_choice(days)
        index, factor = self.candidates
        n_destinations = index.shape[1] + self.p.alternative_opens_day.shape[0]
        self.full_factor = np.zeros((n_destinations, *factor.shape[1:]))
        slots, senders = np.nonzero(index >= 0)
        self.full_factor[index[slots, senders], senders] = factor[slots, senders]

    def serve(self, capacity, demand, reach, backlog, waiting_rules, alternative_spare):
        local = steps.local_service(capacity, demand, reach, backlog, *waiting_rules)
        spare = np.concatenate(
            _broadcast_last(np.maximum(capacity - local.served, 0.0), alternative_spare), axis=0
        )
        chosen = choice.choose(local.seeking, self.p.willingness_to_travel, self.full_factor, spare)
        return Served(local, chosen)


@pytest.mark.slow
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # used through monkeypatch.context() alone
    ],
)
@given(network_configs(), st.data())
def test_the_kernel_on_the_tables_is_the_full_matrix_kernel_exactly(monkeypatch, config, data):
    """Random networks with every newer term: the same numbers, bit for bit."""
    params = parameters_of(config)
    params = apply_new_terms(params, data.draw(new_terms(params), label="new terms"))
    with monkeypatch.context() as patch:
        patch.setattr(destinations, "NEGLIGIBLE_FACTOR", 0.0)
        on_tables = run_model(params)
        patch.setattr(kernel, "Block", FullMatrixBlock)
        before = FullMatrixBlock.built
        on_matrix = run_model(params)
        assert FullMatrixBlock.built > before
    for name, values in on_matrix.items():
        np.testing.assert_array_equal(on_tables[name], values, err_msg=name)
