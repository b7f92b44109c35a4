"""Scenario ensembles: sweeps, distributions, named scenarios, ``--set`` and their summaries.

Every expected value is worked out here from the inputs (a formula, a scipy
distribution or ``numpy.quantile`` on the same draws), never copied from a
model run. Runs are short (30-60 days) and draws few, except the marginal
tests, which build parameters only.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import (
    DAYS_PER_MONTH,
    ENSEMBLE_TOML,
    FLOW_VARIABLES,
    alternative,
    dist,
    edited,
    minimal_config,
    service,
    strike,
    with_draws,
)
from scipy import stats

import facility_impact
from facility_impact import ConfigError, load_config, simulate, summarize
from facility_impact.cli import main
from facility_impact.config import parse_setting
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import QUANTILE_METHOD, QUANTILES
from facility_impact.results.summary_table import summary_table
from facility_impact.run.io import read_netcdf, write_netcdf

CLINIC = "clinic"

# Summaries over draws of a run shorter than a year have windows that are NaN in
# every draw; reducing them warns (reported as a bug, see
# test_summarize_over_draws_emits_no_warning). Tests about values ignore that warning.
IGNORE_ALL_NAN = pytest.mark.filterwarnings("ignore:All-NaN slice encountered:RuntimeWarning")


def daily(volume_per_month: float) -> float:
    return volume_per_month / DAYS_PER_MONTH


def rich_config(horizon_days: int = 45) -> dict:
    """A configuration that exercises every flow: two services, recovery, an
    alternative, displacement, a backlog with attrition."""
    return minimal_config(
        services={
            "outpatient": service(
                600.0,
                {"staff": 1.0, "building": 0.5},
                deferrable_share=0.4,
                backlog_attrition_per_day=0.05,
                willingness_to_travel=0.5,
                distance_decay_km=20.0,
            ),
            "emergency": service(
                300.0, {"staff": 1.0}, willingness_to_travel=0.8, distance_decay_km=40.0
            ),
        },
        strikes=[strike(2, {"building": 0.8, "staff": 0.3}, closure_days=7)],
        recovery={
            "building": {"curve": "linear", "time_days": 20},
            "staff": {"curve": "exponential", "time_days": 10},
        },
        alternatives=[alternative("district", 15.0, {"outpatient": 100.0, "emergency": 50.0})],
        displacement={"share": 0.2, "curve": "linear", "time_days": 10},
        horizon_days=horizon_days,
    )


def assert_same_flows(got: xr.Dataset, expected: xr.Dataset) -> None:
    """Every day-by-day result variable equal, value for value."""
    for name in FLOW_VARIABLES:
        a, b = got[name], expected[name].transpose(*got[name].dims)
        np.testing.assert_array_equal(a.values, b.values, err_msg=name)


# =========================================================================== sweeps


def test_grid_of_two_sweeps_equals_separate_runs_at_every_point():
    closures, times = [5.0, 20.0], [10.0, 40.0]
    config = edited(
        rich_config(),
        {"strike.0.closure_days": closures, "recovery.building.time_days": times},
    )
    results = simulate(config)
    assert results.sizes["closure_days"] == 2 and results.sizes["time_days"] == 2
    for closure in closures:
        for time in times:
            single = simulate(
                edited(
                    rich_config(),
                    {"strike.0.closure_days": closure, "recovery.building.time_days": time},
                )
            )
            point = results.sel(closure_days=closure, time_days=time)
            assert_same_flows(point, single)
    # The grid is not degenerate: each swept key changes the result.
    unmet = results["unmet"].sum(("facility", "service", "time"))
    assert float(unmet.sel(closure_days=20.0, time_days=10.0)) > float(
        unmet.sel(closure_days=5.0, time_days=10.0)
    )
    assert float(unmet.sel(closure_days=5.0, time_days=40.0)) > float(
        unmet.sel(closure_days=5.0, time_days=10.0)
    )


def test_sweep_dims_and_coords_are_named_after_the_keys():
    config = edited(
        rich_config(),
        {
            "strike.0.closure_days": [5, 20, 30],
            "facility.clinic.services.outpatient.backlog_attrition_per_day": [0.0, 0.1],
        },
    )
    results = simulate(config)
    assert results["closure_days"].values.tolist() == [5.0, 20.0, 30.0]
    assert results["backlog_attrition_per_day"].values.tolist() == [0.0, 0.1]
    assert set(results["served"].dims) == {
        "closure_days",
        "backlog_attrition_per_day",
        "facility",
        "service",
        "time",
    }
    assert results["served"].dims[-3:] == ("facility", "service", "time")
    # The swept closure is also the strike_closure_days coordinate of each point.
    assert results["strike_closure_days"].sel(strike=0).values.tolist() == [5.0, 20.0, 30.0]


OUTPATIENT = "facility.clinic.services.outpatient"
SWEEPABLE = {
    # key path: two values. Several keys end in the name of a model variable
    # (deferrable_share, demand_ratio, population, ...): the sweep must still work.
    f"{OUTPATIENT}.volume_per_month": [300.0, 900.0],
    f"{OUTPATIENT}.deferrable_share": [0.0, 0.5],
    f"{OUTPATIENT}.demand_ratio": [1.0, 1.5],
    f"{OUTPATIENT}.willingness_to_travel": [0.1, 0.9],
    f"{OUTPATIENT}.distance_decay_km": [5.0, 50.0],
    f"{OUTPATIENT}.needs.building": [0.2, 0.9],
    "facility.clinic.population": [5000.0, 20000.0],
    "facility.clinic.resources.staff": [5.0, 20.0],
    "facility.clinic.displacement.share": [0.1, 0.6],
    "recovery.building.recoverable_share": [0.3, 1.0],
    "recovery.staff.time_days": [3.0, 30.0],
    "strike.0.damage.staff": [0.1, 0.9],
    "strike.0.casualties": [0.0, 40.0],
    "alternative.0.spare_capacity_per_month.outpatient": [50.0, 300.0],
    "alternative.0.opens_day": [0, 10],
}


@pytest.mark.slow
@pytest.mark.parametrize("key", list(SWEEPABLE), ids=lambda key: key.rsplit(".", 2)[-1])
def test_every_numeric_key_can_be_swept_like_separate_runs(key):
    values = SWEEPABLE[key]
    config = rich_config(horizon_days=30)
    config["strike"][0]["casualty_service"] = "emergency"
    results = simulate(edited(config, {key: values}))
    plain = simulate(config)
    new_dims = [d for d in results["served"].dims if d not in plain["served"].dims]
    assert len(new_dims) == 1, results["served"].dims
    dim = new_dims[0]
    assert results[dim].values.tolist() == values
    for value in values:
        assert_same_flows(results.sel({dim: value}), simulate(edited(config, {key: value})))


def test_sweep_with_a_named_dim():
    config = edited(
        rich_config(), {"strike.0.closure_days": {"values": [5, 20], "dim": "closure_scenario"}}
    )
    results = simulate(config)
    assert "closure_days" not in results.dims
    assert results["closure_scenario"].values.tolist() == [5.0, 20.0]


def test_zipped_sweeps_share_one_dim_and_pair_their_values():
    closures, damages = [5.0, 20.0, 30.0], [0.2, 0.5, 0.9]
    config = edited(
        rich_config(),
        {
            "strike.0.closure_days": {"values": closures, "dim": "severity"},
            "strike.0.damage.building": {"values": damages, "dim": "severity"},
        },
    )
    results = simulate(config)
    assert results.sizes["severity"] == 3
    assert "closure_days" not in results.dims and "building" not in results.dims
    for index, (closure, damage) in enumerate(zip(closures, damages, strict=True)):
        single = simulate(
            edited(
                rich_config(),
                {"strike.0.closure_days": closure, "strike.0.damage.building": damage},
            )
        )
        assert_same_flows(results.isel(severity=index), single)


def test_zipped_sweeps_with_equal_values_keep_them_as_the_coordinate():
    config = edited(
        rich_config(),
        {
            "strike.0.closure_days": {"values": [5, 10], "dim": "days"},
            "recovery.building.time_days": {"values": [5, 10], "dim": "days"},
        },
    )
    assert simulate(config)["days"].values.tolist() == [5.0, 10.0]


def test_zipped_sweeps_of_different_lengths_are_refused():
    config = edited(
        rich_config(),
        {
            "strike.0.closure_days": {"values": [5, 10], "dim": "severity"},
            "strike.0.damage.building": {"values": [0.1, 0.2, 0.3], "dim": "severity"},
        },
    )
    with pytest.raises(ConfigError, match=r"severity.*same number of values"):
        simulate(config)


def test_clashing_sweep_names_are_lengthened_with_parent_keys():
    config = edited(
        rich_config(),
        {
            "recovery.building.curve": "normal",
            "recovery.building.mean_days": [10, 20],
            "recovery.building.sd_days": 3,
            "recovery.staff.curve": "normal",
            "recovery.staff.mean_days": [5, 6, 7],
            "recovery.staff.sd_days": 3,
        },
    )
    del config["recovery"]["building"]["time_days"]
    del config["recovery"]["staff"]["time_days"]
    results = simulate(config)
    assert results["building_mean_days"].values.tolist() == [10.0, 20.0]
    assert results["staff_mean_days"].values.tolist() == [5.0, 6.0, 7.0]
    assert "mean_days" not in results.dims


def test_clashing_strike_sweeps_get_distinct_longer_names():
    config = edited(
        rich_config(),
        {
            "strike.0.closure_days": [5, 10],
            "strike.1": {"day": 20, "damage": {"staff": 0.2}, "closure_days": [1, 2, 3]},
        },
    )
    results = simulate(config)
    swept = [d for d in results.dims if "closure_days" in str(d)]
    assert len(swept) == 2 and "closure_days" not in swept
    by_size = {results.sizes[d]: d for d in swept}
    assert results[by_size[2]].values.tolist() == [5.0, 10.0]
    assert results[by_size[3]].values.tolist() == [1.0, 2.0, 3.0]
    closure = results["strike_closure_days"]
    assert closure.sel(strike=0).isel({by_size[3]: 0}).values.tolist() == [5.0, 10.0]
    assert closure.sel(strike=1).isel({by_size[2]: 0}).values.tolist() == [1.0, 2.0, 3.0]


def test_sweep_on_a_model_dim_name_is_renamed():
    """``strike.0.day``'s last part is the model's ``day`` coordinate."""
    results = simulate(edited(rich_config(), {"strike.0.day": [0, 5]}))
    swept = [d for d in results.dims if str(d).endswith("day") and d != "day"]
    assert len(swept) == 1
    assert results[swept[0]].values.tolist() == [0.0, 5.0]
    assert results["strike_day"].sel(strike=0).values.tolist() == [0.0, 5.0]


def test_sweep_and_draws_together_equal_single_runs_with_the_same_draws():
    """A sweep point sees the same draws as a run with that value fixed."""
    base = with_draws(
        edited(rich_config(), {"strike.0.damage.building": dist("uniform", low=0.2, high=0.9)}),
        draws=5,
        seed=3,
    )
    results = simulate(edited(base, {"strike.0.closure_days": [5, 20]}))
    assert results.sizes["draw"] == 5
    for closure in (5, 20):
        single = simulate(edited(base, {"strike.0.closure_days": closure}))
        assert_same_flows(results.sel(closure_days=float(closure)), single)


# =========================================================================== draws


def _truncated(frozen, low: float, high: float):
    """The cdf of ``frozen`` truncated to [low, high]."""
    floor = frozen.cdf(low) if math.isfinite(low) else 0.0
    ceiling = frozen.cdf(high) if math.isfinite(high) else 1.0
    return lambda x: np.clip((frozen.cdf(x) - floor) / (ceiling - floor), 0.0, 1.0)


def _truncnorm(mean: float, sd: float, low: float, high: float):
    return stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)


CLOSURE = ("strike.0.closure_days", "strike_closure_days", {"strike": 0})
DEFERRABLE = (
    "facility.clinic.services.outpatient.deferrable_share",
    "deferrable_share",
    {"facility": CLINIC, "service": "outpatient"},
)
# Recovery parameters are per facility and resource (a network may differ by facility).
RECOVERY_TIME = (
    "recovery.building.time_days",
    "recovery_time_days",
    {"facility": CLINIC, "resource": "building"},
)
DAMAGE = ("strike.0.damage.building", "strike_damage", {"strike": 0, "resource": "building"})


@dataclass(frozen=True)
class Marginal:
    id: str
    key: tuple[str, str, dict]  # key path, parameter variable, its selection
    table: dict
    cdf: object  # the expected cdf (scipy)
    bounds: tuple[float, float]  # the support the values must stay inside


MARGINALS = [
    Marginal(
        "uniform", CLOSURE, dist("uniform", low=5, high=45), stats.uniform(5, 40).cdf, (5, 45)
    ),
    Marginal(
        "triangular",
        CLOSURE,
        dist("triangular", low=0, mode=10, high=60),
        stats.triang(10 / 60, loc=0, scale=60).cdf,
        (0, 60),
    ),
    Marginal(
        "pert",
        RECOVERY_TIME,
        dist("pert", low=10, mode=30, high=100),
        stats.beta(1 + 4 * 20 / 90, 1 + 4 * 70 / 90, loc=10, scale=90).cdf,
        (10, 100),
    ),
    Marginal(
        "normal_on_fraction_truncated_to_0_1",
        DEFERRABLE,
        dist("normal", mean=0.8, sd=0.3),
        _truncnorm(0.8, 0.3, 0.0, 1.0).cdf,
        (0, 1),
    ),
    Marginal(
        "normal_on_count_truncated_at_0",
        CLOSURE,
        dist("normal", mean=5, sd=10),
        _truncnorm(5, 10, 0.0, math.inf).cdf,
        (0, math.inf),
    ),
    Marginal(
        "normal_with_low_and_high",
        CLOSURE,
        dist("normal", mean=20, sd=15, low=5, high=50),
        _truncnorm(20, 15, 5, 50).cdf,
        (5, 50),
    ),
    Marginal(
        "normal_on_fraction_with_own_low",
        DEFERRABLE,
        dist("normal", mean=0.5, sd=0.5, low=0.2),
        _truncnorm(0.5, 0.5, 0.2, 1.0).cdf,
        (0.2, 1),
    ),
    Marginal(
        "lognormal",
        RECOVERY_TIME,
        dist("lognormal", median=40, dispersion=0.6),
        stats.lognorm(0.6, scale=40).cdf,
        (0, math.inf),
    ),
    Marginal(
        "lognormal_with_high",
        RECOVERY_TIME,
        dist("lognormal", median=40, dispersion=0.6, high=60),
        _truncated(stats.lognorm(0.6, scale=40), 0.0, 60.0),
        (0, 60),
    ),
    Marginal(
        "lognormal_on_fraction_truncated_at_1",
        DAMAGE,
        dist("lognormal", median=0.3, dispersion=1.0),
        _truncated(stats.lognorm(1.0, scale=0.3), 0.0, 1.0),
        (0, 1),
    ),
    Marginal(
        "beta_on_fraction", DAMAGE, dist("beta", alpha=2, beta=5), stats.beta(2, 5).cdf, (0, 1)
    ),
    Marginal(
        "beta_scaled",
        CLOSURE,
        dist("beta", alpha=2, beta=3, low=10, high=50),
        stats.beta(2, 3, loc=10, scale=40).cdf,
        (10, 50),
    ),
]

MARGINAL_DRAWS = 2000


def _sample(key: tuple[str, str, dict], table: dict, draws: int = MARGINAL_DRAWS, **run):
    path, variable, selection = key
    config = with_draws(edited(rich_config(), {path: table}), draws, run.get("seed"))
    params = build_parameters(load_config(config))
    return params[variable].sel(selection).values, params


@pytest.mark.parametrize("case", MARGINALS, ids=lambda case: case.id)
def test_each_family_has_the_requested_marginal(case):
    values, _ = _sample(case.key, case.table)
    assert values.shape == (MARGINAL_DRAWS,)
    low, high = case.bounds
    assert values.min() >= low and values.max() <= high
    result = stats.kstest(values, case.cdf)
    assert result.pvalue > 0.05, result
    # A Latin hypercube puts one draw in each 1/N of probability, so the
    # empirical cdf is never further than 1/N from the true one.
    assert result.statistic <= 1.0 / MARGINAL_DRAWS + 1e-6, result


def test_truncation_is_not_clipping():
    """A normal on a fraction key is truncated to [0, 1]: no mass piles up at 1."""
    case = next(c for c in MARGINALS if c.id == "normal_on_fraction_truncated_to_0_1")
    values, _ = _sample(case.key, case.table)
    # Clipping would put P(X > 1) = 25 % of the draws at exactly 1.
    assert np.count_nonzero(values >= 1.0 - 1e-9) <= 1
    assert stats.kstest(values, stats.norm(0.8, 0.3).cdf).pvalue < 1e-6


def test_latin_hypercube_puts_one_draw_in_each_stratum_of_every_stream():
    draws = 37
    config = with_draws(
        edited(
            rich_config(),
            {
                "strike.0.closure_days": dist("uniform", low=0, high=30),
                "strike.0.damage.building": dist("beta", alpha=2, beta=2),
                "facility.clinic.services.outpatient.deferrable_share": dist(
                    "normal", mean=0.4, sd=0.2
                ),
                "recovery.building.time_days": dist("lognormal", median=20, dispersion=0.5),
                "strike.0.day": dist("uniform", low=0, high=10),
            },
        ),
        draws,
    )
    params = build_parameters(load_config(config))
    quantiles = params["input_quantile"]
    assert quantiles.dims == ("input", "draw")
    assert quantiles.sizes["input"] == 5
    for stream in quantiles["input"].values:
        q = quantiles.sel(input=stream).values
        assert np.all((q > 0) & (q < 1))
        strata = np.sort(np.floor(q * draws).astype(int))
        np.testing.assert_array_equal(strata, np.arange(draws), err_msg=str(stream))
    # The draws of different streams are not in the same order (independent permutations).
    orders = {tuple(np.argsort(quantiles.sel(input=s).values)) for s in quantiles["input"].values}
    assert len(orders) == 5
    # Each value is its key's quantile function at the stream's quantile.
    q = quantiles.sel(input="strike[0].closure_days").values
    np.testing.assert_allclose(
        params["strike_closure_days"].sel(strike=0).values, 30 * q, rtol=1e-12
    )


def test_whole_day_keys_come_out_as_whole_days():
    config = with_draws(
        edited(
            rich_config(horizon_days=40),
            {
                "strike.0.day": dist("uniform", low=0, high=20),
                "alternative.0.opens_day": dist("triangular", low=0, mode=5, high=30),
                "facility.clinic.displacement.start_day": dist("normal", mean=10, sd=5, high=30),
            },
        ),
        50,
    )
    params = build_parameters(load_config(config))
    q = params["input_quantile"]
    checks = {
        "strike[0].day": (params["strike_day"].sel(strike=0), stats.uniform(0, 20), (0, 20)),
        "alternative[0].opens_day": (
            params["alternative_opens_day"].sel(alternative="district"),
            stats.triang(5 / 30, loc=0, scale=30),
            (0, 30),
        ),
        "facility.clinic.displacement.start_day": (
            params["displacement_start_day"].sel(facility=CLINIC),
            _truncnorm(10, 5, 0, 30),
            (0, 30),
        ),
    }
    for stream, (values, expected, (low, high)) in checks.items():
        values = values.values
        assert values.shape == (50,), stream
        np.testing.assert_array_equal(values, np.round(values), err_msg=stream)
        assert values.min() >= low and values.max() <= high, stream
        assert len(np.unique(values)) > 5, stream
        np.testing.assert_array_equal(
            values, np.round(expected.ppf(q.sel(input=stream).values)), err_msg=stream
        )
    # Simulated too: the strike lands on a whole day in every draw.
    results = simulate(config)
    np.testing.assert_array_equal(
        results["strike_day"].values, np.round(results["strike_day"].values)
    )


def test_default_stream_is_the_key_path_and_a_named_stream_is_shared():
    config = with_draws(
        edited(
            rich_config(),
            {
                "strike.0.closure_days": dist("uniform", low=0, high=30, stream="severity"),
                "strike.0.damage.building": dist("uniform", low=0.1, high=0.9, stream="severity"),
                "recovery.building.time_days": dist("uniform", low=5, high=50),
            },
        ),
        20,
    )
    params = build_parameters(load_config(config))
    assert params["input"].values.tolist() == ["recovery.building.time_days", "severity"]
    assert params["input_keys"].values.tolist() == [
        "recovery.building.time_days",
        "strike[0].closure_days, strike[0].damage.building",
    ]
    q = params["input_quantile"].sel(input="severity").values
    np.testing.assert_allclose(params["strike_closure_days"].sel(strike=0), 30 * q, rtol=1e-12)
    np.testing.assert_allclose(
        params["strike_damage"].sel(strike=0, resource="building"), 0.1 + 0.8 * q, rtol=1e-12
    )


def test_uncertain_spare_capacity_is_also_the_default_capacity_draw_by_draw():
    """Without ``capacity_per_month`` an alternative's capacity is its spare capacity:
    one draw, not two (config.py, ``_read_alternative``)."""
    config = with_draws(
        edited(
            rich_config(),
            {
                "alternative.0.spare_capacity_per_month.outpatient": dist(
                    "uniform", low=50, high=300
                )
            },
        ),
        10,
    )
    params = build_parameters(load_config(config))
    where = {"alternative": "district", "service": "outpatient"}
    spare = params["alternative_spare_capacity"].sel(where).values
    q = params["input_quantile"].sel(input="alternative[0].spare_capacity_per_month.outpatient")
    np.testing.assert_allclose(spare * DAYS_PER_MONTH, 50 + 250 * q.values, rtol=1e-12)
    np.testing.assert_array_equal(params["alternative_capacity"].sel(where).values, spare)


def test_draw_count_from_run_draws_the_api_and_the_default():
    uncertain = edited(rich_config(), {"strike.0.closure_days": dist("uniform", low=0, high=9)})
    assert load_config(with_draws(uncertain, 7)).draws == 7
    assert load_config(with_draws(uncertain, 7), draws=3).draws == 3
    default = load_config(uncertain)
    assert default.draws == 200
    assert build_parameters(default).sizes["draw"] == 200
    results = simulate(load_config(uncertain, draws=4))
    assert results.sizes["draw"] == 4
    assert results["draw"].values.tolist() == [0, 1, 2, 3]
    assert int(results.attrs["draws"]) == 4


def test_a_configuration_without_distributions_has_no_draws():
    config = load_config(with_draws(rich_config(), 50))
    assert config.draws == 0
    results = simulate(config)
    assert "draw" not in results.dims
    assert "input_quantile" not in results


# =========================================================================== reproducibility


def _uncertain_config(seed: int = 5) -> dict:
    return with_draws(
        edited(
            rich_config(),
            {
                "strike.0.closure_days": dist("uniform", low=0, high=30),
                "strike.0.damage.building": dist("triangular", low=0.2, mode=0.5, high=1.0),
                "facility.clinic.services.outpatient.deferrable_share": dist(
                    "normal", mean=0.3, sd=0.2
                ),
            },
        ),
        draws=6,
        seed=seed,
    )


@pytest.mark.slow
def test_same_configuration_and_seed_write_identical_netcdf(tmp_path):
    first = write_netcdf(simulate(_uncertain_config()), tmp_path / "first.nc")
    second = write_netcdf(simulate(_uncertain_config()), tmp_path / "second.nc")
    a, b = read_netcdf(first), read_netcdf(second)
    xr.testing.assert_identical(a, b)
    for name in a.data_vars:
        assert a[name].values.tobytes() == b[name].values.tobytes(), name


def test_a_different_seed_changes_the_draws():
    a = simulate(_uncertain_config(seed=5))
    b = simulate(_uncertain_config(seed=6))
    qa, qb = a["input_quantile"].values, b["input_quantile"].values
    assert not np.any(qa == qb)
    assert not np.array_equal(a["unmet"].values, b["unmet"].values)
    assert int(a.attrs["seed"]) == 5 and int(b.attrs["seed"]) == 6


SCENARIOS = {
    "longer": {
        "label": "Longer closure",
        "description": "closure up to two months",
        "set": {"strike.0.closure_days": dist("uniform", low=0, high=60)},
    },
    "spared": {"label": "No strike", "set": {"strike.0.enabled": False}},
    "second": {
        "label": "A second strike",
        "set": {"strike.1": {"day": 20, "damage": {"staff": 0.5}, "closure_days": 3}},
    },
}


def _with_scenarios(config: dict, names: list[str]) -> dict:
    config = dict(config)
    config["scenario"] = {name: SCENARIOS[name] for name in names}
    return config


@pytest.mark.slow
def test_reordering_scenarios_only_reorders_the_scenario_dim():
    first = simulate(_with_scenarios(_uncertain_config(), ["longer", "spared", "second"]))
    second = simulate(_with_scenarios(_uncertain_config(), ["second", "longer", "spared"]))
    assert first["scenario"].values.tolist() == ["base", "longer", "spared", "second"]
    assert second["scenario"].values.tolist() == ["base", "second", "longer", "spared"]
    for name in first["scenario"].values:
        assert_same_flows(first.sel(scenario=name), second.sel(scenario=name))
    xr.testing.assert_identical(first["input_quantile"], second["input_quantile"])


@pytest.mark.slow
def test_scenarios_stack_like_separate_runs():
    """Each scenario equals the configuration with its settings written in."""
    config = _uncertain_config()
    results = simulate(_with_scenarios(config, ["longer", "spared", "second"]))
    assert_same_flows(results.sel(scenario="base"), simulate(config))
    for name in ("longer", "spared", "second"):
        alone = simulate(edited(config, SCENARIOS[name]["set"]))
        got = results.sel(scenario=name)
        if name != "second":
            # Only the "second" scenario has a strike 1; elsewhere it hits nobody.
            got = got.isel(strike=slice(0, 1))
        assert_same_flows(got, alone)
    assert results["scenario_label"].values.tolist() == [
        "base case (as configured)",
        "Longer closure",
        "No strike",
        "A second strike",
    ]


def test_a_switched_off_strike_loses_nothing():
    results = simulate(_with_scenarios(_uncertain_config(), ["spared"]))
    spared = results.sel(scenario="spared")
    np.testing.assert_array_equal(spared["unmet"].values, 0.0)
    np.testing.assert_array_equal(spared["abandoned"].values, 0.0)
    np.testing.assert_array_equal((spared["capacity"] - spared["baseline_capacity"]).values, 0.0)
    assert np.isnan(float(spared["strike_day"].sel(strike=0)))
    assert float(results.sel(scenario="base")["unmet"].sum()) > 0


def test_a_scenario_that_changes_nothing_is_identical_to_the_base():
    """Common random numbers: same draws, same results, scenario by scenario."""
    config = _uncertain_config()
    config["scenario"] = {"same": {"set": {"strike.0.damage.building": 0.5}}}
    config["strike"][0]["damage"]["building"] = 0.5
    params = build_parameters(load_config(config))
    for name in params.data_vars:
        if "scenario" in params[name].dims:
            xr.testing.assert_identical(
                params[name].sel(scenario="base", drop=True),
                params[name].sel(scenario="same", drop=True),
            )
    results = simulate(config)
    assert results["scenario"].values.tolist() == ["base", "same"]
    assert_same_flows(results.sel(scenario="same"), results.sel(scenario="base"))


def test_a_scenario_changing_one_key_leaves_the_other_streams_alone():
    config = _uncertain_config()
    base_only = build_parameters(load_config(config))
    params = build_parameters(load_config(_with_scenarios(config, ["longer"])))
    xr.testing.assert_identical(params["input_quantile"], base_only["input_quantile"])
    for name in ("strike_damage", "deferrable_share"):
        assert "scenario" not in params[name].dims, name
        xr.testing.assert_identical(params[name], base_only[name])
    # The changed key keeps its stream: the same quantiles through the new distribution.
    closure = params["strike_closure_days"].sel(strike=0)
    np.testing.assert_allclose(
        closure.sel(scenario="longer"), 2 * closure.sel(scenario="base"), rtol=1e-12
    )
    np.testing.assert_array_equal(
        closure.sel(scenario="base").values,
        base_only["strike_closure_days"].sel(strike=0).values,
    )


def test_adding_an_uncertain_key_keeps_the_existing_draws():
    one = with_draws(
        edited(rich_config(), {"strike.0.closure_days": dist("uniform", low=0, high=30)}),
        draws=12,
        seed=9,
    )
    more = edited(
        one,
        {
            "strike.0.damage.building": dist("uniform", low=0.1, high=0.9),
            "recovery.building.time_days": dist("lognormal", median=20, dispersion=0.5),
        },
    )
    a, b = build_parameters(load_config(one)), build_parameters(load_config(more))
    assert b.sizes["input"] == 3
    stream = "strike[0].closure_days"
    np.testing.assert_array_equal(
        a["input_quantile"].sel(input=stream).values, b["input_quantile"].sel(input=stream).values
    )
    np.testing.assert_array_equal(a["strike_closure_days"].values, b["strike_closure_days"].values)


def test_a_scenario_may_add_a_sweep_the_base_lacks():
    config = rich_config()
    config["scenario"] = {"swept": {"set": {"strike.0.closure_days": [3, 30]}}}
    results = simulate(config)
    base = results.sel(scenario="base")
    np.testing.assert_array_equal(
        base["unmet"].sel(closure_days=3.0).values, base["unmet"].sel(closure_days=30.0).values
    )
    assert_same_flows(
        results.sel(scenario="swept", closure_days=30.0),
        simulate(edited(rich_config(), {"strike.0.closure_days": 30})),
    )


# =========================================================================== summaries


def _closure_config(closure, horizon_days: int = 60) -> dict:
    """600 a month needing the building; the strike closes the clinic for ``closure``
    days and destroys half the building, which never comes back."""
    return minimal_config(
        services={"outpatient": service(600.0, {"building": 1.0})},
        strikes=[strike(0, {"building": 0.5}, closure_days=closure)],
        horizon_days=horizon_days,
    )


def test_swept_closure_summary_by_hand():
    summary = summarize(simulate(_closure_config([10, 20])))
    d = daily(600.0)
    one = summary.sel(facility=CLINIC, service="outpatient")
    assert one["closure_days"].values.tolist() == [10.0, 20.0]
    for c in (10.0, 20.0):
        point = one.sel(closure_days=c)
        # Closed c days (nothing served), then half capacity until the horizon.
        lost_30, lost_60 = c + 0.5 * (30 - c), c + 0.5 * (60 - c)
        forgone = point["forgone_care"]
        assert float(forgone.sel(period=30.0)) == pytest.approx(d * lost_30, rel=1e-12)
        assert float(forgone.sel(period=60.0)) == pytest.approx(d * lost_60, rel=1e-12)
        assert np.isnan(float(forgone.sel(period=90.0)))
        assert float(point["demand_total"].sel(period=30.0)) == pytest.approx(30 * d, rel=1e-12)
        assert float(point["forgone_share"].sel(period=30.0)) == pytest.approx(
            lost_30 / 30, rel=1e-12
        )
        assert float(point["capacity_loss_days"].sel(period=60.0)) == pytest.approx(
            lost_60, rel=1e-12
        )
        assert float(point["coverage"]) == pytest.approx((60 - lost_60) / 60, rel=1e-12)
        assert float(point["person_days_without_access"]) == pytest.approx(
            10_000 * lost_60, rel=1e-12
        )
        assert float(point["days_to_capacity"].sel(threshold=0.5)) == c
        assert float(point["days_to_capacity"].sel(threshold=0.9)) == math.inf
        assert float(point["served_elsewhere_total"].sel(period=60.0)) == 0.0
        assert float(point["backlog_at_horizon"]) == 0.0
        assert float(point["baseline_volume_per_month"]) == pytest.approx(600.0, rel=1e-12)


def _uncertain_closure_results(draws: int = 40):
    config = _closure_config(dist("uniform", low=0, high=90))
    # float64 results, so the hand values hold to 1e-12 (float32: test_precision.py).
    config["run"].update(draws=draws, precision="float64")
    return simulate(config)


@pytest.mark.slow
@IGNORE_ALL_NAN
def test_quantiles_over_draws_equal_numpy_quantiles_of_hand_values():
    results = _uncertain_closure_results()
    d = daily(600.0)
    closure = results["strike_closure_days"].sel(strike=0).values
    closed = np.ceil(closure)  # days t = 0, 1, ... with t < closure
    # By hand, per draw.
    k30, k60 = np.minimum(closed, 30), np.minimum(closed, 60)
    forgone_30 = d * (k30 + 0.5 * (30 - k30))
    forgone_60 = d * (k60 + 0.5 * (60 - k60))
    back_half = np.where(closed >= 60, np.inf, closed)
    assert 0.1 < np.isinf(back_half).mean() < 0.5  # both kinds of draw occur

    per_draw = summarize(results, quantiles=None).sel(facility=CLINIC, service="outpatient")
    assert per_draw.sizes["draw"] == 40
    np.testing.assert_allclose(per_draw["forgone_care"].sel(period=30.0), forgone_30, rtol=1e-12)
    np.testing.assert_allclose(per_draw["forgone_care"].sel(period=60.0), forgone_60, rtol=1e-12)
    np.testing.assert_array_equal(per_draw["days_to_capacity"].sel(threshold=0.5), back_half)

    summary = summarize(results).sel(facility=CLINIC, service="outpatient")
    assert summary["quantile"].values.tolist() == list(QUANTILES) == [0.05, 0.5, 0.95]
    assert QUANTILE_METHOD["days_to_capacity"] == "inverted_cdf"
    np.testing.assert_allclose(
        summary["forgone_care"].sel(period=30.0), np.quantile(forgone_30, QUANTILES), rtol=1e-12
    )
    np.testing.assert_allclose(
        summary["forgone_care"].sel(period=60.0), np.quantile(forgone_60, QUANTILES), rtol=1e-12
    )
    expected_days = np.quantile(back_half, QUANTILES, method="inverted_cdf")
    assert np.isinf(expected_days[-1]) and np.isfinite(expected_days[0])
    np.testing.assert_array_equal(
        summary["days_to_capacity"].sel(threshold=0.5).values, expected_days
    )
    assert float(summary["not_recovered_share"].sel(threshold=0.5)) == pytest.approx(
        np.isinf(back_half).mean(), rel=1e-12
    )
    assert float(summary["not_recovered_share"].sel(threshold=0.9)) == 1.0
    # Windows longer than the run stay NaN.
    assert np.all(np.isnan(summary["forgone_care"].sel(period=90.0).values))


@pytest.mark.slow
@IGNORE_ALL_NAN
def test_summarize_with_chosen_quantiles():
    results = _uncertain_closure_results(draws=10)
    summary = summarize(results, quantiles=(0.25, 0.75))
    per_draw = summarize(results, quantiles=None)["forgone_care"]
    assert summary["quantile"].values.tolist() == [0.25, 0.75]
    np.testing.assert_allclose(
        summary["forgone_care"].sel(period=30.0).transpose("quantile", ...).values,
        np.quantile(per_draw.sel(period=30.0).values, [0.25, 0.75], axis=0),
        rtol=1e-12,
    )


@pytest.mark.slow
@IGNORE_ALL_NAN
def test_summary_over_draws_has_no_draw_dim_and_one_row_per_service():
    """After reduction over draws nothing may keep the draw dim: the CSV has one
    row per facility and service (and the facility's row of patient contacts of all
    kinds), the printed table one block per facility."""
    summary = summarize(_uncertain_closure_results(draws=6))
    kept = [name for name, v in summary.variables.items() if "draw" in v.dims]
    assert kept == [], f"still along draw: {kept}"
    header, rows = summary_table(summary)
    assert "draw" not in header
    assert [row[1] for row in rows] == [
        "outpatient",
        "all services (patient contacts of all kinds)",
    ]


def test_summarize_over_draws_emits_no_warning():
    results = _uncertain_closure_results(draws=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summarize(results)


@pytest.mark.slow
def test_cli_run_with_draws_writes_nothing_to_stderr(tmp_path, capsys):
    config = tmp_path / "ens.toml"
    config.write_text(
        ENSEMBLE_TOML.replace(
            "closure_days = 10", 'closure_days = { dist = "uniform", low = 0, high = 30 }'
        ),
        encoding="utf-8",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(["run", str(config), "--out", str(tmp_path / "out"), "--draws", "4"])
    assert status == 0
    assert capsys.readouterr().err == ""
    # A warning would reach the user's terminal as well.
    assert [str(w.message) for w in caught] == []


# =========================================================================== indicative outcomes


def _with_outcome(config: dict, **table) -> dict:
    config = dict(config)
    outcome = {"service": "outpatient", "per_forgone_patient": 0.002, "source": "Doe et al. 2020"}
    outcome.update(table)
    config["outcome"] = {"deaths": {k: v for k, v in outcome.items() if v is not None}}
    return config


def test_indicative_outcome_is_forgone_care_times_the_rate():
    config = _with_outcome(_closure_config([10, 20]))
    config["facility"]["clinic"]["services"]["emergency"] = service(300.0, {"building": 1.0})
    summary = summarize(simulate(config)).sel(facility=CLINIC)
    outcome = summary["indicative_outcome"].sel(outcome="deaths")
    d = daily(600.0)  # the outcome counts outpatients only
    for c in (10.0, 20.0):
        for period, lost in ((30.0, c + 0.5 * (30 - c)), (60.0, c + 0.5 * (60 - c))):
            assert float(outcome.sel(closure_days=c, period=period)) == pytest.approx(
                d * lost * 0.002, rel=1e-12
            )


@pytest.mark.slow
@IGNORE_ALL_NAN
def test_uncertain_outcome_rate_multiplies_forgone_care_draw_by_draw():
    config = with_draws(
        _with_outcome(
            _closure_config(10), per_forgone_patient=dist("uniform", low=0.001, high=0.003)
        ),
        draws=20,
    )
    config["run"]["precision"] = "float64"  # hand values to 1e-12
    results = simulate(config)
    q = results["input_quantile"].sel(input="outcome.deaths.per_forgone_patient").values
    rate = 0.001 + 0.002 * q
    forgone_30 = daily(600.0) * (10 + 0.5 * 20)
    per_draw = summarize(results, quantiles=None)["indicative_outcome"].sel(
        outcome="deaths", facility=CLINIC, period=30.0
    )
    np.testing.assert_allclose(per_draw.values, forgone_30 * rate, rtol=1e-12)
    summary = summarize(results)["indicative_outcome"].sel(
        outcome="deaths", facility=CLINIC, period=30.0
    )
    np.testing.assert_allclose(summary.values, np.quantile(forgone_30 * rate, QUANTILES))


@pytest.mark.parametrize("source", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_outcome_without_a_source_is_refused(source):
    config = _with_outcome(_closure_config(10), source=source)
    with pytest.raises(ConfigError, match=r"^outcome\.deaths\.source"):
        load_config(config)


def test_outcome_labels_say_indicative_and_keep_the_source():
    config = _with_outcome(_closure_config(10), label="Excess deaths")
    results = simulate(config)
    assert results["outcome_label"].values.tolist() == ["Excess deaths (indicative)"]
    assert results["outcome_source"].values.tolist() == ["Doe et al. 2020"]
    header, _ = summary_table(summarize(results))
    assert "indicative_outcome_30d_deaths" in header


def test_summary_keeps_the_indicative_label_source_and_units():
    """The summary's indicative outcome carries its warning and its source, and every
    indicator its units and long name (summary module docstring)."""
    summary = summarize(simulate(_with_outcome(_closure_config(10))))
    outcome = summary["indicative_outcome"]
    assert "indicative" in outcome.attrs.get("long_name", "")
    assert "indicative" in outcome.attrs.get("description", "")
    assert "Doe et al. 2020" in outcome.attrs.get("sources", "")
    missing = [name for name, v in summary.data_vars.items() if "units" not in v.attrs]
    assert missing == [], f"no units: {missing}"


# =========================================================================== --set


@pytest.fixture
def ensemble_file(tmp_path):
    path = tmp_path / "ens.toml"
    path.write_text(ENSEMBLE_TOML, encoding="utf-8")
    return path


def _run(config: Path, out: Path, *options: str) -> xr.Dataset:
    assert main(["run", str(config), "--out", str(out), *options]) == 0
    return read_netcdf(out / f"{config.stem}.nc")


@pytest.mark.slow
def test_set_overrides_a_value_end_to_end(ensemble_file, tmp_path, capsys):
    overridden = _run(ensemble_file, tmp_path / "set", "--set", "strike.0.closure_days=45")
    capsys.readouterr()
    as_written = simulate(load_config(ensemble_file))
    by_hand = tmp_path / "by_hand.toml"
    by_hand.write_text(
        ENSEMBLE_TOML.replace("closure_days = 10", "closure_days = 45"), encoding="utf-8"
    )
    assert float(overridden["unmet"].sum()) > float(as_written["unmet"].sum())
    assert_same_flows(overridden, simulate(load_config(by_hand)))
    assert float(overridden["strike_closure_days"].sel(strike=0)) == 45.0
    stored = overridden.attrs["configuration"]
    assert "overridden" in stored and "strike.0.closure_days = 45" in stored
    assert "overridden" not in as_written.attrs["configuration"]


@pytest.mark.slow
def test_set_a_sweep_adds_its_dim(ensemble_file, tmp_path, capsys):
    results = _run(ensemble_file, tmp_path / "out", "--set", "strike.0.closure_days=[7,30]")
    assert "days of closure = 7" in capsys.readouterr().out
    assert results["closure_days"].values.tolist() == [7.0, 30.0]
    assert results["unmet"].dims[0] == "closure_days"
    assert "overridden: strike.0.closure_days = [7, 30]" in results.attrs["configuration"]
    single = simulate(load_config(ensemble_file, settings=[("strike.0.closure_days", 30)]))
    assert_same_flows(results.sel(closure_days=30.0), single)


@pytest.mark.slow
@IGNORE_ALL_NAN
def test_set_a_distribution_with_draws(ensemble_file, tmp_path, capsys):
    results = _run(
        ensemble_file,
        tmp_path / "out",
        "--set",
        'strike.0.closure_days={dist="uniform",low=5,high=30}',
        "--set",
        "facility.clinic.services.outpatient.deferrable_share=0.5",
        "--draws",
        "6",
    )
    capsys.readouterr()
    assert results.sizes["draw"] == 6
    assert results["input"].values.tolist() == ["strike[0].closure_days"]
    closure = results["strike_closure_days"].sel(strike=0).values
    assert closure.min() >= 5 and closure.max() <= 30
    stored = results.attrs["configuration"]
    assert "deferrable_share = 0.5" in stored and "run.draws = 6" in stored


@pytest.mark.slow
def test_set_appends_a_strike_and_switches_one_off(ensemble_file, tmp_path, capsys):
    appended = _run(ensemble_file, tmp_path / "a", "--set", "strike.1={day=20, damage={staff=0.5}}")
    capsys.readouterr()
    assert appended.sizes["strike"] == 2
    assert appended["strike_day"].values.tolist() == [0.0, 20.0]
    off = simulate(load_config(ensemble_file, settings=[parse_setting("strike.0.enabled=false")]))
    np.testing.assert_array_equal(off["unmet"].values, 0.0)


# =========================================================================== bad input (CLI)


@dataclass(frozen=True)
class BadCase:
    id: str
    edits: tuple[tuple[str, str], ...] = ()  # (old, new) replacements in ENSEMBLE_TOML
    append: str = ""  # text added at the end of the file
    options: tuple[str, ...] = ()
    expected: tuple[str, ...] = field(default=())  # key path, value and what is allowed


CLOSURE_LINE = "closure_days = 10"
DEFERRABLE_LINE = "deferrable_share = 0.2"
SCENARIO = '\n[scenario.x]\nset = { "strike.0.closure_days" = 5 }\n'

BAD_CASES = [
    BadCase(
        "unknown_family",
        ((CLOSURE_LINE, 'closure_days = { dist = "gamma", low = 1, high = 2 }'),),
        expected=(
            "strike[0].closure_days.dist",
            "gamma",
            "unknown distribution",
            "uniform, triangular, pert, normal, lognormal, beta",
        ),
    ),
    BadCase(
        "low_above_high",
        ((CLOSURE_LINE, 'closure_days = { dist = "uniform", low = 20, high = 5 }'),),
        expected=("strike[0].closure_days.high = 5", "greater than low (20)"),
    ),
    BadCase(
        "triangular_mode_outside",
        ((CLOSURE_LINE, 'closure_days = { dist = "triangular", low = 5, mode = 40, high = 20 }'),),
        expected=("strike[0].closure_days.mode = 40", "between low (5) and high (20)"),
    ),
    BadCase(
        "uniform_on_fraction_above_one",
        ((DEFERRABLE_LINE, 'deferrable_share = { dist = "uniform", low = 0.1, high = 1.5 }'),),
        expected=(
            "facility.clinic.services.outpatient.deferrable_share.high = 1.5",
            "between 0 and 1",
        ),
    ),
    BadCase(
        "sweep_with_negative_count",
        ((CLOSURE_LINE, "closure_days = [10, -5]"),),
        expected=("strike[0].closure_days[1] = -5", "not negative"),
    ),
    BadCase(
        "empty_sweep",
        ((CLOSURE_LINE, "closure_days = []"),),
        expected=("strike[0].closure_days = []", "non-empty list"),
    ),
    BadCase(
        "sweep_on_horizon",
        (("horizon_days = 40", "horizon_days = [30, 60]"),),
        expected=("run.horizon_days = [30, 60]", "whole number between 1 and"),
    ),
    BadCase(
        "sweep_on_seed",
        (("seed = 11", "seed = [1, 2]"),),
        expected=("run.seed = [1, 2]", "whole number"),
    ),
    BadCase(
        "distribution_on_seed",
        (("seed = 11", 'seed = { dist = "uniform", low = 1, high = 2 }'),),
        expected=("run.seed = {", "whole number"),
    ),
    BadCase(
        "unknown_scenario_key",
        append=SCENARIO + 'colour = "red"\n',
        expected=("scenario.x.colour", "unknown key", "allowed here: label, description"),
    ),
    BadCase(
        "scenario_named_base",
        append=SCENARIO.replace("scenario.x", "scenario.base"),
        expected=("scenario.base", "'base'"),
    ),
    BadCase(
        "scenario_sets_horizon",
        append='\n[scenario.x]\nset = { "run.horizon_days" = 90 }\n',
        expected=('scenario.x.set."run.horizon_days"', "cannot change run settings"),
    ),
    BadCase(
        "scenario_sets_an_unknown_key",
        append='\n[scenario.x]\nset = { "strike.0.colour" = 1 }\n',
        expected=("scenario.x", "strike[0].colour", "unknown key", "allowed here"),
    ),
    BadCase(
        "scenario_sets_a_bad_value",
        append='\n[scenario.x]\nset = { "strike.0.closure_days" = -3 }\n',
        expected=("scenario.x", "strike[0].closure_days = -3", "not negative"),
    ),
    BadCase(
        "scenario_without_set",
        append='\n[scenario.x]\nlabel = "nothing"\n',
        expected=("scenario.x.set", "missing"),
    ),
    BadCase(
        "scenario_sweeps_differently",
        edits=((CLOSURE_LINE, "closure_days = [5, 10]"),),
        append='\n[scenario.x]\nset = { "strike.0.closure_days" = [5, 20] }\n',
        expected=("strike[0].closure_days", "[5.0, 10.0]", "[5.0, 20.0]", "same in every"),
    ),
    BadCase(
        "set_without_equals",
        options=("--set", "strike.0.closure_days"),
        expected=("--set strike.0.closure_days", "expected KEY=VALUE"),
    ),
    BadCase(
        "set_index_past_the_end",
        options=("--set", "strike.5.day=3"),
        expected=("--set strike.5", "strike holds 1 entries", "0..0", "1 to add"),
    ),
    BadCase(
        "set_unknown_key",
        options=("--set", "strike.0.colour=red"),
        expected=("strike[0].colour", "unknown key", "allowed here"),
    ),
    BadCase(
        "set_unknown_top_level_key",
        options=("--set", "colour=red"),
        expected=("colour", "unknown key", "allowed here"),
    ),
    BadCase(
        "set_a_bad_value",
        options=("--set", "strike.0.closure_days=-3"),
        expected=("strike[0].closure_days = -3", "not negative"),
    ),
    BadCase(
        "set_a_sweep_on_horizon",
        options=("--set", "run.horizon_days=[30,60]"),
        expected=("run.horizon_days = [30, 60]", "whole number"),
    ),
    BadCase(
        "set_into_a_value",
        options=("--set", "strike.0.closure_days.low=3"),
        expected=("strike.0.closure_days.low", "is a value, not a table"),
    ),
    BadCase(
        "outcome_without_source",
        append='\n[outcome.deaths]\nservice = "outpatient"\nper_forgone_patient = 0.01\n',
        expected=("outcome.deaths.source", "missing", "published source"),
    ),
    BadCase(
        "outcome_rate_above_one",
        append=(
            '\n[outcome.deaths]\nservice = "outpatient"\nper_forgone_patient = 2\n'
            'source = "Doe 2020"\n'
        ),
        expected=("outcome.deaths.per_forgone_patient = 2", "between 0 and 1"),
    ),
    BadCase(
        "draws_zero_option",
        options=("--draws", "0"),
        expected=("--draws", "'0'", "at least 1"),
    ),
    BadCase(
        "draws_zero_in_file",
        (("seed = 11", "seed = 11\ndraws = 0"),),
        expected=("run.draws = 0", "between 1 and"),
    ),
    BadCase(
        "reserved_dim_name",
        ((CLOSURE_LINE, 'closure_days = { values = [5, 10], dim = "draw" }'),),
        expected=("strike[0].closure_days.dim = 'draw'", "choose another"),
    ),
    BadCase(
        "zipped_sweeps_of_different_lengths",
        (
            (CLOSURE_LINE, 'closure_days = { values = [5, 10], dim = "case" }'),
            (
                "damage = { building = 0.5 }",
                'damage = { building = { values = [0.1, 0.2, 0.3], dim = "case" } }',
            ),
        ),
        expected=("strike[0].damage.building", "'case'", "same number of values"),
    ),
    BadCase(
        "repeated_sweep_value",
        ((CLOSURE_LINE, "closure_days = [5, 5]"),),
        expected=("strike[0].closure_days = [5, 5]", "distinct"),
    ),
    BadCase(
        "distribution_missing_a_key",
        ((CLOSURE_LINE, 'closure_days = { dist = "uniform", low = 1 }'),),
        expected=("strike[0].closure_days.high: missing", "uniform"),
    ),
    BadCase(
        "distribution_with_a_foreign_key",
        ((CLOSURE_LINE, 'closure_days = { dist = "uniform", low = 1, high = 2, mode = 1 }'),),
        expected=("strike[0].closure_days.mode: unknown key", "allowed: dist, stream, low, high"),
    ),
    BadCase(
        "negative_sd",
        ((CLOSURE_LINE, 'closure_days = { dist = "normal", mean = 5, sd = -1 }'),),
        expected=("strike[0].closure_days.sd = -1", "> 0"),
    ),
    BadCase(
        "whole_day_sweep_with_a_fraction",
        (("day = 0", "day = [0, 2.5]"),),
        expected=("strike[0].day[1] = 2.5", "whole number"),
    ),
    BadCase(
        "whole_day_distribution_with_a_fractional_bound",
        (("day = 0", 'day = { dist = "uniform", low = 0.5, high = 10 }'),),
        expected=("strike[0].day.low = 0.5", "whole number"),
    ),
    BadCase(
        "unbounded_strike_day",
        (("day = 0", 'day = { dist = "normal", mean = 5, sd = 2 }'),),
        expected=("strike[0].day", "before day 40"),
    ),
]


def _write_bad_case(case: BadCase, folder: Path) -> Path:
    text = ENSEMBLE_TOML
    for old, new in case.edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / "ens.toml"
    path.write_text(text + case.append, encoding="utf-8")
    return path


def _status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_info:  # argparse refuses a bad option value
        return int(exit_info.code)


BAD_RUNS = [
    pytest.param(command, case, id=f"{command}-{case.id}")
    for command in ("run", "check")
    for case in BAD_CASES
    if not (command == "check" and "--draws" in case.options)  # check takes no --draws
]


@pytest.mark.parametrize(("command", "case"), BAD_RUNS)
def test_bad_ensemble_input_exits_2_with_one_line_and_no_output(
    command, case, tmp_path, monkeypatch, capsys
):
    config = _write_bad_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = [command, config.name, *case.options]
    if command == "run":
        argv += ["--out", "out"]
    status = _status(argv)
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("facility-impact") and "error: " in lines[0]
    for part in case.expected:
        assert part in lines[0], f"{part!r} missing from {lines[0]!r}"
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [Path("ens.toml")]


def test_bad_case_is_bad_only_for_the_edit(tmp_path, capsys):
    """The unedited file is valid, so each bad case fails for its own edit."""
    config = _write_bad_case(BadCase("none"), tmp_path)
    assert main(["check", str(config)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("configuration is valid")
    assert isinstance(load_config(config), facility_impact.Config)
