"""run.precision: ensembles are stored as float32, single runs as float64, on request either."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from helpers import ENSEMBLE_TOML, dist

from facility_impact import load_config, simulate, summarize
from facility_impact.errors import ConfigError


def _ensemble(precision: str | None = None, draws: int = 16):
    """The test clinic with an uncertain closure (5–30 days) and ``draws`` draws."""
    config = tomllib.loads(ENSEMBLE_TOML)
    config["strike"][0]["closure_days"] = dist("uniform", low=5, high=30)
    config["run"]["draws"] = draws
    if precision is not None:
        config["run"]["precision"] = precision
    return load_config(config)


def test_auto_stores_an_ensemble_as_float32_and_a_single_run_as_float64():
    assert _ensemble().results_dtype == "float32"
    assert simulate(_ensemble())["served"].dtype == np.float32
    single = load_config(tomllib.loads(ENSEMBLE_TOML))
    assert single.draws == 0 and single.results_dtype == "float64"
    assert _ensemble("float64").results_dtype == "float64"
    assert simulate(_ensemble("float64"))["served"].dtype == np.float64


def test_an_unknown_precision_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"run\.precision.*float16.*auto, float32, float64"):
        _ensemble("float16")


def test_float32_results_are_float64_results_rounded():
    """Every daily output agrees with the float64 run to a few float32 roundings of its scale."""
    single, double = simulate(_ensemble("float32")), simulate(_ensemble("float64"))
    checked = 0
    for name, variable in double.data_vars.items():
        if "time" not in variable.dims or variable.dtype.kind != "f" or not variable.size:
            continue
        scale = max(1.0, float(np.abs(variable).max()))
        difference = np.abs(single[name].astype("float64") - variable)
        assert float(difference.max()) <= 64 * np.finfo(np.float32).eps * scale, name
        checked += 1
    assert checked >= 10


def test_summaries_of_float32_results_match_float64_to_a_millionth():
    single = summarize(simulate(_ensemble("float32")))
    double = summarize(simulate(_ensemble("float64")))
    for name in ("forgone_care", "served_elsewhere_total", "coverage"):
        if name not in double:
            continue
        finite = np.isfinite(double[name].values)
        np.testing.assert_allclose(
            single[name].values[finite], double[name].values[finite], rtol=1e-6, atol=1e-6
        )
    assert np.array_equal(
        np.isfinite(single["days_to_capacity"].values),
        np.isfinite(double["days_to_capacity"].values),
    )
