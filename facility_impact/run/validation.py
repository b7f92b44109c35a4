"""Running the study sites and comparing the model with the observed effects
(``facility-impact validate``; docs/validation.md).

The sites of the comparisons (``data/validation.toml``) are simulated together, in
one configuration (:func:`facility_impact.config.study_sites.sites_config`) with its
Latin hypercube draws of the priors; every comparison reads its own facility,
service and measure from those results (:mod:`facility_impact.results.validation`).
The people's response, whose random streams are named after the priors' entries and
not after a strike, takes the same draws at every site; and every run of the same
seed and draw count takes the same quantiles: the common random numbers the
calibration needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from facility_impact.config import load_config
from facility_impact.config.observed import Comparison, Site
from facility_impact.config.priors import Priors
from facility_impact.config.study_sites import sites_config
from facility_impact.results.validation import model_values, validation_table
from facility_impact.run.workflow import simulate

DEFAULT_DRAWS = 200
"""Draws of ``validate``: the medians and 90 % intervals of the reference ensembles
settle within a few per cent by 200 draws (docs/uncertainty.md)."""

DEFAULT_SEED = 20240915
"""Seed of the validation and calibration runs (the date Burbach et al. 2024 appeared
in BMJ Global Health's issue 9(9); any fixed seed would do)."""


def site_results(
    sites: Sequence[Site], *, draws: int, seed: int, priors: Priors | None
) -> xr.Dataset:
    """The results of the study sites, simulated together in one configuration
    (``priors``: the table their attacks take their values from, default the package's)."""
    config = load_config(sites_config(sites, draws=draws, seed=seed), priors=priors)
    return simulate(config)


def model_draws(
    comparisons: Sequence[Comparison],
    *,
    draws: int,
    seed: int,
    priors: Priors | None = None,
) -> dict[str, np.ndarray]:
    """The model's counterpart of each comparison, per draw, by effect id (every site
    of the comparisons in one run)."""
    sites = list({c.site.name: c.site for c in comparisons}.values())
    results = site_results(sites, draws=draws, seed=seed, priors=priors)
    return {c.id: model_values(results, c, c.site.name) for c in comparisons}


def validate(
    comparisons: Sequence[Comparison],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    priors: Priors | None = None,
) -> xr.Dataset:
    """The validation table (:func:`facility_impact.results.validation.validation_table`)
    of ``comparisons``, with the run's draws, seed and priors status as attributes."""
    values = model_draws(comparisons, draws=draws, seed=seed, priors=priors)
    table = validation_table(comparisons, values)
    table.attrs.update(
        draws=draws,
        seed=seed,
        priors=priors.status if priors is not None else "package",
    )
    return table
