"""How many draws are enough: percentiles of forgone care against a large ensemble.

    .venv/bin/python benchmarks/draw_convergence.py [--draws 200 500] [--reference 2000]

For each draw count, prints the largest relative difference (over scenarios,
facilities and services) of the 5th, 50th and 95th percentiles of forgone care
at 365 days from those of the reference draw count, same seed. A measurement,
not a test.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import facility_impact as fi
from facility_impact.config import load_config

OPTIONS = Path(__file__).resolve().parents[1] / "configs" / "maarat_al_numan_options.toml"


def forgone_percentiles(config: str, draws: int):
    results = fi.simulate(load_config(config, draws=draws))
    return fi.summarize(results)["forgone_care"].sel(period=365.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(OPTIONS))
    parser.add_argument("--draws", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--reference", type=int, default=2000)
    args = parser.parse_args()
    reference = forgone_percentiles(args.config, args.reference)
    for draws in args.draws:
        relative = abs(forgone_percentiles(args.config, draws) - reference) / reference
        worst = {
            f"p{round(float(q) * 100):02d}": f"{float(relative.sel(quantile=q).max()):.1%}"
            for q in relative["quantile"].values
        }
        print(f"{draws:>6} draws vs {args.reference}: largest relative difference {worst}")


if __name__ == "__main__":
    main()
