"""The numbers of the four reference configurations do not change by any amount
unless a change means them to (then ``python tests/update_fingerprints.py``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

FINGERPRINTS = Path(__file__).resolve().parents[1] / "baseline" / "fingerprints.json"


def _script():
    path = Path(__file__).resolve().parents[1] / "update_fingerprints.py"
    spec = importlib.util.spec_from_file_location("update_fingerprints", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()
EXPECTED = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))


def test_every_reference_configuration_has_fingerprints() -> None:
    assert sorted(EXPECTED) == sorted(SCRIPT.REFERENCE_CONFIGS)


@pytest.mark.parametrize("stem", SCRIPT.REFERENCE_CONFIGS)
def test_results_and_summary_are_bit_identical(stem: str) -> None:
    found = SCRIPT.fingerprints(stem)
    for part in ("results", "summary"):
        assert sorted(found[part]) == sorted(EXPECTED[stem][part]), f"{stem} {part}: variables"
        changed = [
            name for name, digest in found[part].items() if digest != EXPECTED[stem][part][name]
        ]
        assert not changed, f"{stem} {part}: values changed in {changed}"


def test_digest_sees_a_change_in_the_last_bit() -> None:
    import numpy as np
    import xarray as xr

    values = xr.DataArray(np.array([1.0, 2.0]), dims="time")
    nudged = values.copy(data=np.array([1.0, np.nextafter(2.0, 3.0)]))
    assert SCRIPT.variable_digest(values) != SCRIPT.variable_digest(nudged)
    assert SCRIPT.variable_digest(values) != SCRIPT.variable_digest(values.astype("float32"))
