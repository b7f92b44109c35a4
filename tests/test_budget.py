"""The memory estimate of a run (:mod:`facility_impact.run.budget`), checked against
what the run really allocates, and how a run is fitted to a limit."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from facility_impact import load_config, simulate
from facility_impact.config import parse_setting
from facility_impact.model.kernel import run_days
from facility_impact.model.outputs import KERNEL_LAYOUT
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import summarize
from facility_impact.run import budget, io
from facility_impact.run.sizes import parse_bytes, show_bytes
from facility_impact.variables import ensemble_dims

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {
    "reference": (REPO / "configs" / "maarat_al_numan.toml", None),
    "uncertain": (REPO / "configs" / "maarat_al_numan_uncertain.toml", 5),
    "options": (REPO / "configs" / "maarat_al_numan_options.toml", 3),
    "sweep": (REPO / "configs" / "maarat_al_numan_sweep.toml", None),
    "region": (REPO / "configs" / "idlib_region.toml", None),
}


def _config(name: str, days: int = 60):
    path, draws = CONFIGS[name]
    return load_config(path, draws=draws, horizon_days=days)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_outputs_are_counted_exactly_from_the_registry(name):
    config = _config(name)
    shape = budget.run_shape(config)
    results = simulate(config)
    outputs = sum(results[variable].nbytes for variable, _ in KERNEL_LAYOUT.values())
    assert shape.output_bytes == outputs
    points = int(np.prod([results.sizes[d] for d in ensemble_dims(results)]))
    assert shape.points == points
    assert shape.days == results.sizes["time"]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_parameters_and_the_state_of_both_worlds_are_bounded(name):
    config = _config(name)
    shape = budget.run_shape(config)
    params = build_parameters(config)
    ensemble = ensemble_dims(params)
    varying = sum(v.nbytes for v in params.data_vars.values() if set(v.dims) & set(ensemble))
    assert varying / shape.points <= shape.parameter_bytes
    _, state = run_days(params)
    kept = sum(array.nbytes for array in state.arrays())
    # The run's state and a block's working copy of it.
    assert 2 * kept / shape.points <= shape.state_bytes


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "draws", "days", "settings"),
    [
        ("uncertain", 1000, 365, []),
        ("uncertain", 8000, 30, []),
        ("options", 150, 365, []),
        ("region", None, 365, []),
        ("sweep", None, 365, ["strike.0.closure_days=[7,14,30,60,90,120,150,180]"]),
    ],
)
def test_the_estimate_covers_the_measured_peak(name, draws, days, settings):
    """``tracemalloc`` sees numpy's allocations: simulate, summarise and make the
    NetCDF image as ``run`` does; the estimate (less the interpreter) must cover it."""
    path, _ = CONFIGS[name]
    config = load_config(
        path, draws=draws, horizon_days=days, settings=[parse_setting(s) for s in settings]
    )
    estimate = budget.in_memory_bytes(budget.run_shape(config)) - budget.PROCESS_BYTES
    tracemalloc.start()
    try:
        results = simulate(config)
        summarize(results)
        io.netcdf_image(results)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= estimate
    assert estimate <= 2 * peak + 50 * 10**6, "the estimate is far above the peak"


def test_a_chunked_run_fits_by_taking_fewer_draws_per_chunk():
    shape = budget.run_shape(load_config(CONFIGS["uncertain"][0], draws=200_000))
    default = budget.chunk_plan(shape, 50_000, None, 2)
    smaller = budget.chunk_plan(shape, 25_000, None, 2)
    assert smaller.bytes < default.bytes
    limit = budget.Limit((default.bytes + smaller.bytes) // 2, "--max-memory = test")
    assert budget.plan_chunked(shape, limit, 2, None, None) == smaller
    with pytest.raises(budget.ConfigError, match="--chunk-draws 25000 fits"):
        budget.plan_chunked(shape, limit, 2, 50_000, None)
    roomy = budget.Limit(default.bytes, "--max-memory = test")
    assert budget.plan_chunked(shape, roomy, 2, None, None) == default
    assert budget.plan_chunked(shape, None, 2, None, None) == default


def test_a_run_without_draws_is_summarised_whole_even_in_chunks():
    shape = budget.run_shape(_config("sweep", 3650))
    assert shape.draws == 0
    chunked = budget.chunk_plan(shape, 50_000, None, 0).bytes
    assert chunked >= shape.output_bytes


def test_the_limit_is_the_lower_of_the_option_and_the_machine(monkeypatch):
    monkeypatch.setattr(budget, "available_memory", lambda: 8 * 10**9)
    assert budget.memory_limit(None) == budget.Limit(8 * 10**9, "the 8 GB of memory available")
    assert budget.memory_limit(4 * 10**9) == budget.Limit(4 * 10**9, "--max-memory = 4 GB")
    assert budget.memory_limit(16 * 10**9).bytes == 8 * 10**9
    monkeypatch.setattr(budget, "available_memory", lambda: None)
    assert budget.memory_limit(None) is None
    assert budget.memory_limit(10**9) == budget.Limit(10**9, "--max-memory = 1 GB")


def test_the_machine_says_how_much_memory_is_available():
    available = budget.available_memory()
    assert available is None or available > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4GB", 4 * 10**9),
        ("4 gb", 4 * 10**9),
        ("512MiB", 512 * 2**20),
        ("1.5G", 1_500_000_000),
        ("2e9", 2_000_000_000),
        ("300", 300),
        ("1TiB", 2**40),
    ],
)
def test_amounts_of_memory_are_read(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "4 GBs", "-1GB", "0", "0.5", "GB", "inf"])
def test_bad_amounts_of_memory_are_refused(text):
    with pytest.raises(ValueError, match="must be"):
        parse_bytes(text)


def test_amounts_of_memory_are_shown_short():
    assert show_bytes(999) == "999 B"
    assert show_bytes(1_234_567) == "1.23 MB"
    assert show_bytes(1.6e12) == "1.6 TB"


def test_estimating_draws_nothing(monkeypatch):
    def drawn(*args, **kwargs):
        raise AssertionError("drew")

    monkeypatch.setattr("facility_impact.model.parameters.stream_quantiles", drawn)
    shape = budget.run_shape(load_config(CONFIGS["uncertain"][0], draws=10_000_000))
    assert shape.points == 10_000_000
    assert budget.in_memory_bytes(shape) > 10**12
