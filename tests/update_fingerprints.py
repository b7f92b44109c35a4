"""Write the fingerprints of the reference configurations' results.

    python tests/update_fingerprints.py

Simulates and summarises every reference configuration (the four that
``make figures`` draws) and writes ``tests/baseline/fingerprints.json``: for every
variable and coordinate of the results and of the summary, a SHA-256 of its
dtype, shape and bytes. ``tests/regression/test_fingerprints.py`` recomputes them,
so a refactoring that changes any number by any amount fails. Re-run it only when
a change to the model's numbers is intended, and say old -> new and why in the
commit and the closing note.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import xarray as xr

REPO = Path(__file__).resolve().parents[1]
FINGERPRINTS = REPO / "tests" / "baseline" / "fingerprints.json"
REFERENCE_CONFIGS = (
    "maarat_al_numan",
    "idlib_region",
    "maarat_al_numan_options",
    "maarat_al_numan_sweep",
)


def variable_digest(variable: xr.DataArray) -> str:
    """SHA-256 (first 16 hex digits) of a variable's dtype, shape and values.

    Dims are put in alphabetical order first, so a change of dim order alone
    does not count as a change of numbers; a change of dtype does.
    """
    values = np.ascontiguousarray(variable.transpose(*sorted(variable.dims)).values)
    digest = hashlib.sha256()
    digest.update(str(values.dtype).encode())
    digest.update(str(values.shape).encode())
    if values.dtype.kind in "OU":
        digest.update(repr(values.tolist()).encode())
    else:
        digest.update(values.tobytes())
    return digest.hexdigest()[:16]


def dataset_digests(dataset: xr.Dataset) -> dict[str, str]:
    return {
        str(name): variable_digest(dataset[name]) for name in sorted(map(str, dataset.variables))
    }


def fingerprints(stem: str) -> dict[str, dict[str, str]]:
    """Digests of the results and of the summary of ``configs/<stem>.toml``."""
    from facility_impact import simulate, summarize

    results = simulate(REPO / "configs" / f"{stem}.toml")
    return {"results": dataset_digests(results), "summary": dataset_digests(summarize(results))}


def main() -> None:
    table = {stem: fingerprints(stem) for stem in REFERENCE_CONFIGS}
    FINGERPRINTS.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FINGERPRINTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
