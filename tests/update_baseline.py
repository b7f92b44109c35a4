"""Write the golden headline numbers of the reference configuration.

    python tests/update_baseline.py

Simulates configs/maarat_al_numan.toml and writes tests/baseline/maarat_al_numan.json,
which tests/test_reference.py compares the current results with. Re-run it only when
a change to the model or to the reference configuration is intended, and say why in
the commit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import xarray as xr

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "maarat_al_numan.toml"
BASELINE = REPO / "tests" / "baseline" / "maarat_al_numan.json"

PERIODS = (30, 90, 365)
THRESHOLDS = (0.5, 0.9)
NOTE = (
    "Golden headline numbers of configs/maarat_al_numan.toml, written by "
    "`python tests/update_baseline.py` (simulate, then summarize); do not edit by hand. "
    "null means NaN (not back within the horizon, or a window longer than the run)."
)


def _number(value: xr.DataArray) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def headline(summary: xr.Dataset) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{facility: {service: {indicator: value}}}`` from a summary Dataset."""
    table: dict[str, dict[str, dict[str, float | None]]] = {}
    for facility in summary["facility"].values:
        for service in summary["service"].values:
            line = summary.sel(facility=facility, service=service)
            values: dict[str, float | None] = {}
            for period in PERIODS:
                for name in ("forgone_care", "served_elsewhere_total"):
                    values[f"{name}_{period}d"] = _number(line[name].sel(period=period))
            for threshold in THRESHOLDS:
                values[f"days_to_capacity_{round(threshold * 100)}pct"] = _number(
                    line["days_to_capacity"].sel(threshold=threshold)
                )
            values["coverage"] = _number(line["coverage"])
            table.setdefault(str(facility), {})[str(service)] = values
    return table


def current() -> dict[str, dict[str, dict[str, float | None]]]:
    """Headline numbers of the reference configuration as the code computes them now."""
    from facility_impact import simulate, summarize

    return headline(summarize(simulate(CONFIG)))


def main() -> None:
    from facility_impact.run.io import atomic_path
    from facility_impact.version import __version__

    document = {
        "note": NOTE,
        "configuration": CONFIG.relative_to(REPO).as_posix(),
        "facility_impact_version": __version__,
        "indicators": current(),
    }
    with atomic_path(BASELINE) as temporary:
        temporary.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {BASELINE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
