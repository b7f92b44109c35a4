"""The chunked (dask-backed) simulation: the same numbers, bit for bit, whatever the chunks.

Compares ``simulate(config, chunks=...)`` with the in-memory ``simulate(config)``
on every variable, coordinate and attribute; checks that one kernel task feeds
all variables of its block, that the block length follows the memory budget,
that dtypes follow the kernel, and that summaries of chunked results match.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from facility_impact import load_config, simulate, summarize
from facility_impact.config import parse_setting
from facility_impact.model.kernel import run_days
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import is_lazy
from facility_impact.run import chunked, progress

REPO = Path(__file__).resolve().parents[1]
OPTIONS = REPO / "configs" / "maarat_al_numan_options.toml"
REGION = REPO / "configs" / "idlib_region.toml"
UNCERTAIN = REPO / "configs" / "maarat_al_numan_uncertain.toml"
DRAW_AND_STRUCTURE = {"draw", "facility", "service", "time"}


@pytest.fixture(scope="module")
def options():
    """Five scenarios × 9 draws × 60 days: small, but every ensemble dim is there."""
    config = load_config(OPTIONS, draws=9, horizon_days=60)
    return config, simulate(config)


@pytest.mark.slow
@pytest.mark.parametrize(
    "chunks",
    [
        {"draw": 4, "time": 30},  # uneven draw chunks, even day blocks
        {"draw": 5, "scenario": 2, "time": 7},  # uneven everywhere
        {"draw": 1, "scenario": 5, "time": 60},  # one draw, all days
        {"draw": 9},  # days from the memory budget
    ],
)
def test_chunked_equals_in_memory_bit_for_bit(options, chunks):
    config, in_memory = options
    lazy = simulate(config, chunks=chunks)
    assert is_lazy(lazy)
    assert lazy["served"].chunks is not None
    if "draw" in chunks:
        assert max(lazy.chunksizes["draw"]) == chunks["draw"]
    if "time" in chunks:
        assert max(lazy.chunksizes["time"]) == chunks["time"]
    xr.testing.assert_identical(lazy.compute(), in_memory)


@pytest.mark.slow
def test_network_of_facilities_chunked_equals_in_memory():
    """The regional network (several facilities sending patients to each other)."""
    config = load_config(REGION, horizon_days=60)
    expected = simulate(config)
    xr.testing.assert_identical(simulate(config, chunks={"time": 9}).compute(), expected)


def test_sweeps_stay_whole_and_match():
    setting = parse_setting("strike.0.damage.staff=[0.1,0.5]")
    config = load_config(UNCERTAIN, draws=6, horizon_days=40, settings=[setting])
    expected = simulate(config)
    sweeps = [d for d in expected["served"].dims if d not in DRAW_AND_STRUCTURE]
    assert len(sweeps) == 1 and expected.sizes[sweeps[0]] == 2
    lazy = simulate(config, chunks={"draw": 4, "time": 11})
    assert lazy.chunksizes[sweeps[0]] == (2,)
    xr.testing.assert_identical(lazy.compute(), expected)


@pytest.mark.slow
def test_one_kernel_task_per_block_feeds_every_variable(options, monkeypatch):
    config, _ = options
    calls = []

    def counting(params, start_day=0, stop_day=None, state=None):
        calls.append((start_day, stop_day))
        return run_days(params, start_day, stop_day, state)

    monkeypatch.setattr(chunked, "run_days", counting)
    lazy = simulate(config, chunks={"draw": 5, "time": 20})
    calls.clear()  # the dtype probe at graph building
    lazy.compute(scheduler="sync")
    blocks = progress.block_count(lazy)
    # 5 scenarios (unchunked: one chunk) × 2 draw chunks × 3 day blocks.
    assert blocks == 1 * 2 * 3
    assert len(calls) == blocks
    assert sorted(set(calls)) == [(0, 20), (20, 40), (40, 60)]


def test_days_per_block_follow_the_memory_budget():
    config = load_config(UNCERTAIN, draws=40, horizon_days=100)
    params = build_parameters(config)
    per_point_day = 54 * 8  # the reference hospital's outputs per draw-day, float64 [B]
    plan = chunked.plan_chunks(params, per_point_day, {"draw": 10}, block_bytes=10 * 54 * 8 * 7)
    assert plan["draw"] == (10, 10, 10, 10)
    assert plan["time"] == (7,) * 14 + (2,)
    # A budget smaller than one day still runs a day per block.
    assert chunked.plan_chunks(params, per_point_day, {}, block_bytes=1)["time"] == (1,) * 100
    # A large budget takes all days at once; a given time chunk wins over the budget.
    assert chunked.plan_chunks(params, per_point_day, {})["time"] == (100,)
    assert chunked.plan_chunks(params, per_point_day, {"time": 30})["time"] == (30, 30, 30, 10)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        ({"facility": 1}, "cannot chunk along facility"),
        ({"draw": 0}, "at least 1"),
        ({"time": 2.5}, "whole number"),
        ({"draw": True}, "whole number"),
    ],
)
def test_bad_chunks_are_refused(options, chunks, message):
    config, _ = options
    with pytest.raises(ValueError, match=message):
        simulate(config, chunks=chunks)


@pytest.mark.slow
def test_dtypes_follow_the_kernel(options, monkeypatch):
    """A float32 kernel gives float32 chunked outputs (nothing assumes float64)."""
    config, in_memory = options

    def single_precision(params, start_day=0, stop_day=None, state=None):
        outputs, state = run_days(params, start_day, stop_day, state)
        return {name: values.astype(np.float32) for name, values in outputs.items()}, state

    monkeypatch.setattr(chunked, "run_days", single_precision)
    lazy = simulate(config, chunks={"draw": 5, "time": 45})  # blocks of 45 and 15 days
    assert lazy["served"].dtype == np.float32
    assert lazy["available"].dtype == np.float32
    computed = lazy.compute()
    np.testing.assert_array_equal(computed["served"], in_memory["served"].astype(np.float32))


@pytest.mark.slow
def test_summaries_add_float32_days_in_float64(options):
    """Daily outputs in float32 (as the fast kernel may give) are summed in float64."""
    _, in_memory = options
    flows = [name for name, v in in_memory.data_vars.items() if "time" in v.dims]
    single = in_memory.assign({name: in_memory[name].astype(np.float32) for name in flows})
    expected = summarize(in_memory)
    got = summarize(single)
    for name in ("demand_total", "forgone_care", "person_days_without_access", "coverage"):
        assert got[name].dtype == np.float64, name
        # float32 inputs carry ~6e-8 relative rounding; a float32 sum of 60 days
        # would add up to ~1e-5 on top.
        xr.testing.assert_allclose(got[name], expected[name], rtol=2e-6)


@pytest.mark.slow
def test_summary_of_chunked_results_matches_in_memory(options):
    config, in_memory = options
    lazy = simulate(config, chunks={"draw": 4, "time": 40})
    got = summarize(lazy)
    assert not is_lazy(got)
    # Sums over days add block by block: equal to rounding, not bit for bit.
    xr.testing.assert_allclose(got, summarize(in_memory), rtol=1e-12, atol=1e-9)
    assert got.attrs == summarize(in_memory).attrs
