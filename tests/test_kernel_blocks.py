"""The kernel split into blocks of days: the chunked and distributed paths rely on it."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from facility_impact.config import load_config
from facility_impact.model.kernel import run_days, run_model
from facility_impact.model.parameters import build_parameters

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture(scope="module", params=["maarat_al_numan_options", "idlib_region"])
def params(request):
    """Parameters of a scenario set with draws (single facility) and of a network."""
    return build_parameters(load_config(CONFIGS / f"{request.param}.toml", draws=6))


@pytest.mark.slow
@pytest.mark.parametrize("cuts", [(1,), (30, 31, 200), (44, 45, 46)])
def test_blocks_of_days_equal_one_run_bit_for_bit(params, cuts):
    """Days cut anywhere (a strike day, around the second strike, single days) change
    no number: the state carried across a cut holds all the run remembers."""
    whole = run_model(params)
    bounds = [0, *cuts, params.sizes["time"]]
    state = None
    pieces: dict[str, list[np.ndarray]] = {name: [] for name in whole}
    for start, stop in itertools.pairwise(bounds):
        outputs, state = run_days(params, start, stop, state)
        for name, values in outputs.items():
            assert values.shape[0] == stop - start
            pieces[name].append(values)
    for name, values in whole.items():
        np.testing.assert_array_equal(np.concatenate(pieces[name]), values, err_msg=name)


def test_a_block_after_day_zero_needs_the_state(params):
    with pytest.raises(ValueError, match="needs the state"):
        run_days(params, 10, 20)
    with pytest.raises(ValueError, match="outside"):
        run_days(params, 0, params.sizes["time"] + 1)


@pytest.mark.slow
@pytest.mark.parametrize("points_per_block", [1, 7])
def test_any_block_of_points_gives_the_same_numbers(params, points_per_block):
    """Each ensemble point is computed by the same operations whatever is simulated beside it."""
    whole = run_model(params)
    blocked = run_model(params, points_per_block=points_per_block)
    for name, values in whole.items():
        np.testing.assert_array_equal(blocked[name], values, err_msg=name)
