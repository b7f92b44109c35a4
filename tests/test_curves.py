"""Recovery curve families against hand-computed values (docs/model.md,
"Availability of resources")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facility_impact.curves import (
    CURVE_CODES,
    exponential,
    linear,
    normal,
    recovery_fraction,
    step,
)

# Φ(1) and 1 - e^-1 written out, so the tests do not lean on the functions they test.
PHI_OF_ONE = 0.8413447460685429
ONE_MINUS_INV_E = 0.6321205588285577


def test_reference_constants_are_what_they_claim():
    assert math.isclose(PHI_OF_ONE, 0.5 * (1 + math.erf(1 / math.sqrt(2))), rel_tol=1e-15)
    assert math.isclose(ONE_MINUS_INV_E, 1 - math.exp(-1), rel_tol=1e-15)


# ------------------------------------------------------------------ one family at a time


@pytest.mark.parametrize(
    ("tau", "expected"),
    [(-1, 0.0), (0, 0.0), (4, 0.0), (4.999, 0.0), (5, 1.0), (6, 1.0), (1000, 1.0)],
)
def test_step(tau, expected):
    assert float(step(tau, 5)) == expected


@pytest.mark.parametrize(
    ("tau", "expected"),
    [(-10, 0.0), (0, 0.0), (15, 0.25), (30, 0.5), (45, 0.75), (60, 1.0), (90, 1.0)],
)
def test_linear(tau, expected):
    assert float(linear(tau, 60)) == pytest.approx(expected, rel=1e-15, abs=0)


@pytest.mark.parametrize(
    ("tau", "expected"),
    [
        (-3, 0.0),
        (0, 0.0),
        (10, ONE_MINUS_INV_E),
        (20, 1 - math.exp(-2)),
        (30, 1 - math.exp(-3)),
        (5, 1 - math.exp(-0.5)),
    ],
)
def test_exponential(tau, expected):
    assert float(exponential(tau, 10)) == pytest.approx(expected, rel=1e-14, abs=1e-300)


@pytest.mark.parametrize(
    ("tau", "expected"),
    [(-1, 0.0), (180, 0.5), (200, PHI_OF_ONE), (160, 1 - PHI_OF_ONE), (1000, 1.0)],
)
def test_normal(tau, expected):
    assert float(normal(tau, 180, 20)) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_normal_is_zero_before_recovery_starts_even_with_a_negative_mean():
    # Φ((τ - μ)/σ) would be above 0.5 at τ = -1 for μ = -10; g(τ < 0) = 0 wins.
    assert float(normal(-1, -10, 5)) == 0.0
    assert float(normal(0, -10, 5)) == pytest.approx(0.5 * (1 + math.erf(2 / math.sqrt(2))))


def test_normal_with_zero_spread_is_a_step_at_the_mean():
    assert float(normal(9.5, 10, 0)) == 0.0
    assert float(normal(10, 10, 0)) == 1.0
    assert float(normal(11, 10, 0)) == 1.0


def test_step_with_zero_time_is_immediate_from_day_zero():
    assert float(step(-1, 0)) == 0.0
    assert float(step(0, 0)) == 1.0


def test_linear_with_zero_time_is_immediate_from_day_zero_only():
    """T = 0 means immediate recovery, still not before recovery starts: g(τ < 0) = 0."""
    assert float(linear(0, 0)) == 1.0
    assert float(linear(3, 0)) == 1.0
    assert float(linear(-1, 0)) == 0.0
    assert float(linear(-np.inf, 0)) == 0.0


def test_exponential_with_zero_time_is_not_positive_before_recovery_starts():
    # The configuration refuses T = 0 for this family; the function must still
    # keep g(τ < 0) = 0.
    assert float(exponential(-1, 0)) == 0.0


FAMILIES = [
    lambda tau: step(tau, 5),
    lambda tau: linear(tau, 60),
    lambda tau: exponential(tau, 10),
    lambda tau: normal(tau, 180, 20),
    lambda tau: normal(tau, 0, 20),
]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_is_zero_for_negative_tau(family):
    tau = np.array([-np.inf, -1000.0, -30.0, -1.0, -1e-9])
    np.testing.assert_array_equal(family(tau), np.zeros(tau.shape))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_is_non_decreasing_and_within_zero_and_one(family):
    tau = np.linspace(-50, 500, 1101)
    g = family(tau)
    assert np.all(g >= 0) and np.all(g <= 1)
    assert np.all(np.diff(g) >= 0)


# ------------------------------------------------------------------ scalars and arrays


def test_scalar_input_gives_a_zero_dimensional_numpy_value():
    values = (step(5, 5), linear(30, 60), exponential(10, 10), normal(180, 180, 20))
    for value, expected in zip(values, (1.0, 0.5, ONE_MINUS_INV_E, 0.5), strict=True):
        assert isinstance(value, np.ndarray | np.floating)
        assert np.ndim(value) == 0
        assert float(value) == pytest.approx(expected, rel=1e-14)


def test_array_input_keeps_its_shape():
    tau = np.array([[0.0, 30.0], [60.0, 90.0]])
    np.testing.assert_allclose(linear(tau, 60), [[0.0, 0.5], [1.0, 1.0]], rtol=0, atol=0)
    np.testing.assert_allclose(step(tau, 30), [[0.0, 1.0], [1.0, 1.0]], rtol=0, atol=0)
    np.testing.assert_allclose(
        exponential(tau, 30), [[0.0, ONE_MINUS_INV_E], [1 - math.exp(-2), 1 - math.exp(-3)]]
    )
    np.testing.assert_allclose(
        normal(tau, 30, 30), [[1 - PHI_OF_ONE, 0.5], [PHI_OF_ONE, 0.5 * math.erfc(-2 / 2**0.5)]]
    )


def test_parameters_broadcast_against_tau():
    tau = np.array([[10.0], [20.0]])  # (2, 1)
    times = np.array([10.0, 20.0, 40.0])  # (3,)
    expected = np.array([[1.0, 0.5, 0.25], [1.0, 1.0, 0.5]])
    np.testing.assert_allclose(linear(tau, times), expected, rtol=1e-15)


# ------------------------------------------------------------------ family codes


def test_curve_codes_name_every_family_once():
    assert set(CURVE_CODES) == {"none", "step", "linear", "exponential", "normal"}
    assert len(set(CURVE_CODES.values())) == len(CURVE_CODES)


def test_none_is_always_zero():
    tau = np.array([-5.0, 0.0, 10.0, 1e6])
    g = recovery_fraction(tau, CURVE_CODES["none"], 10.0, 180.0, 20.0)
    np.testing.assert_array_equal(g, np.zeros(4))


def test_recovery_fraction_picks_the_family_of_each_element():
    names = ["none", "step", "linear", "exponential", "normal"]
    codes = np.array([CURVE_CODES[name] for name in names])
    tau = 10.0
    time_days = np.array([5.0, 5.0, 40.0, 10.0, 0.0])
    mean_days = np.array([0.0, 0.0, 0.0, 0.0, 10.0])
    sd_days = np.array([0.0, 0.0, 0.0, 0.0, 4.0])
    g = recovery_fraction(tau, codes, time_days, mean_days, sd_days)
    np.testing.assert_allclose(g, [0.0, 1.0, 0.25, ONE_MINUS_INV_E, 0.5], rtol=1e-14)


def test_recovery_fraction_broadcasts_codes_against_days():
    codes = np.array([CURVE_CODES["step"], CURVE_CODES["linear"]])  # one per resource
    tau = np.array([[-1.0], [0.0], [5.0], [20.0]])  # days along the first axis
    g = recovery_fraction(tau, codes, np.array([5.0, 20.0]), 0.0, 0.0)
    expected = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.25], [1.0, 1.0]])
    np.testing.assert_allclose(g, expected, rtol=1e-15)


@pytest.mark.parametrize("name", ["step", "linear", "exponential", "normal"])
def test_recovery_fraction_matches_the_family_function(name):
    tau = np.linspace(-10, 100, 111)
    time_days, mean_days, sd_days = 25.0, 40.0, 8.0
    direct = {
        "step": lambda: step(tau, time_days),
        "linear": lambda: linear(tau, time_days),
        "exponential": lambda: exponential(tau, time_days),
        "normal": lambda: normal(tau, mean_days, sd_days),
    }[name]()
    g = recovery_fraction(tau, CURVE_CODES[name], time_days, mean_days, sd_days)
    np.testing.assert_array_equal(g, direct)
