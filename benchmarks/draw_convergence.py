"""How many draws are enough: percentiles of forgone care against a large ensemble.

    .venv/bin/python benchmarks/draw_convergence.py [--config FILE] [--draws 200 500]
                                                    [--reference 2000] [--seeds S ...]

For each draw count, prints the largest relative difference (over scenarios,
facilities and services) of the 5th, 50th and 95th percentiles of forgone care
at 365 days from those of the reference draw count, same seed, and where the
largest one is. With ``--seeds``, the measurement is repeated for each seed (the
configuration's own by default): one seed's figure is itself a random number.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import xarray as xr

import facility_impact as fi
from facility_impact.config import load_config

OPTIONS = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan_options.toml"
PERIOD_DAYS = 365.0


def forgone_percentiles(config: str, draws: int, seed: int | None = None) -> xr.DataArray:
    """The 5th, 50th and 95th percentiles of forgone care [patients] over the first
    ``PERIOD_DAYS`` days, per scenario, facility and service."""
    results = fi.simulate(load_config(config, draws=draws, seed=seed))
    return fi.summarize(results)["forgone_care"].sel(period=PERIOD_DAYS)


def largest(relative: xr.DataArray) -> str:
    """The largest relative difference per percentile, and where the largest of all is."""
    per_quantile = ", ".join(
        f"p{round(float(q) * 100):02d} {float(relative.sel(quantile=q).max()):.1%}"
        for q in relative["quantile"].values
    )
    worst = relative.where(relative == relative.max(), drop=True)
    where = ", ".join(f"{dim} {worst[dim].values[0]}" for dim in worst.dims if worst.sizes[dim])
    return f"{per_quantile} (largest at {where})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(OPTIONS))
    parser.add_argument("--draws", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--reference", type=int, default=2000)
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[None], help="default: the configuration's seed"
    )
    args = parser.parse_args()
    print(f"{args.config}: forgone care at {PERIOD_DAYS:g} days")
    for seed in args.seeds:
        label = "the configuration's seed" if seed is None else f"seed {seed}"
        reference = forgone_percentiles(args.config, args.reference, seed)
        for draws in args.draws:
            relative = abs(forgone_percentiles(args.config, draws, seed) - reference) / reference
            print(
                f"{label}: {draws:>5} draws vs {args.reference}: "
                f"largest relative difference {largest(relative)}"
            )


if __name__ == "__main__":
    main()
