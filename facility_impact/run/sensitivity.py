"""Which uncertain inputs drive forgone care: rank correlation and Sobol indices.

The inputs are the configuration's random streams (one per distribution, or
one per shared ``stream`` name); the output is forgone care (unmet +
abandoned) per facility and service over a window after the first strike, for
every scenario and sweep point.

* ``spearman`` (default): Spearman rank correlation between each input's Latin
  hypercube quantiles and the output, over the ensemble's draws. The rank of
  an input's quantile is the rank of its value (the quantile function is
  increasing), so the ensemble needs nothing else. Works on a results file.
* ``sobol``: first-order and total Sobol indices
  (:func:`scipy.stats.sobol_indices`, Saltelli et al. 2010, *Comput. Phys.
  Commun.* 181:259), from ``n (d + 2)`` model evaluations for ``d`` inputs and a
  base sample ``n`` (a power of two).
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr
from scipy import stats

from facility_impact.config import Config
from facility_impact.config.variation import Uncertain, stream_quantiles
from facility_impact.errors import ConfigError
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import summarize
from facility_impact.run import cf
from facility_impact.run.workflow import simulate, simulate_parameters
from facility_impact.version import __version__

METHODS = ("spearman", "sobol")


def uncertain_streams(config: Config) -> list[str]:
    """The random streams (uncertain inputs) of a configuration and its scenarios, sorted."""
    return sorted(
        {v.stream for c in config.variants for v in c.variations() if isinstance(v, Uncertain)}
    )


def _output(results: xr.Dataset, period_days: float | None) -> xr.DataArray:
    """Forgone care per draw over the window of ``period_days`` (default: to the horizon)."""
    forgone = summarize(results, quantiles=None)["forgone_care"]
    others = [d for d in forgone.dims if d != "period"]
    complete = forgone["period"].values[forgone.notnull().any(others).values]
    if period_days is None:
        period_days = float(complete.max())
    if period_days not in complete:
        raise ConfigError(
            f"--period = {period_days:g}: must be one of the windows that fit the run: "
            + ", ".join(f"{p:g}" for p in complete)
        )
    return forgone.sel(period=period_days)


def rank_correlation(results: xr.Dataset, period_days: float | None = None) -> xr.Dataset:
    """Spearman rank correlation of each uncertain input with forgone care, from results.

    Returns ``rank_correlation`` [1] (input, *scenario/sweep dims*, facility,
    service); NaN where forgone care does not vary across draws.
    """
    if "input_quantile" not in results:
        raise ConfigError(
            "results: no uncertain inputs (no distribution in the configuration), nothing to rank"
        )
    output = _output(results, period_days)
    ranked_output = _ranks(output)
    ranked_input = _ranks(results["input_quantile"])
    centred_output = ranked_output - ranked_output.mean("draw")
    centred_input = ranked_input - ranked_input.mean("draw")
    covariance = (centred_output * centred_input).mean("draw")
    variances = (centred_output**2).mean("draw") * (centred_input**2).mean("draw")
    spread: xr.DataArray = xr.apply_ufunc(np.sqrt, variances)
    rho = (covariance / spread.where(spread > 0)).assign_attrs(
        units="1",
        long_name="Spearman rank correlation with forgone care",
        description=(
            "rank correlation over the Latin hypercube draws between the input and "
            "forgone care (unmet + abandoned) in the window after the first strike"
        ),
    )
    return _finish(
        xr.Dataset({"rank_correlation": rho}),
        results,
        method="spearman",
        period=float(output["period"]),
        evaluations=results.sizes["draw"],
    )


def _sobol_base(config: Config) -> int:
    """The base sample of :func:`sobol`: ``config.draws`` rounded up to a power of two."""
    return 1 << max(int(np.ceil(np.log2(max(config.draws, 2)))), 1)


def sobol_draws(config: Config) -> int:
    """The most draws one simulation of :func:`sobol` runs: the base sample for each
    input and two more (the model is evaluated on all of them, maybe at once)."""
    return _sobol_base(config) * (len(uncertain_streams(config)) + 2)


def sobol(config: Config, period_days: float | None = None) -> xr.Dataset:
    """First-order and total Sobol indices of forgone care for every uncertain input.

    The base sample is ``config.draws`` rounded up to a power of two; inputs
    are the random streams' uniform quantiles, mapped through each key's
    distribution exactly as in a Monte Carlo run.
    """
    streams = uncertain_streams(config)
    if not streams:
        raise ConfigError(f"{config.name}: no distribution in the configuration; nothing to rank")
    base = _sobol_base(config)
    # The labels of the flattened outputs and the parameters' input coordinates,
    # kept from the first evaluation.
    template: list[xr.DataArray] = []
    inputs: list[xr.Dataset] = []

    def model(quantiles: np.ndarray) -> np.ndarray:
        params = build_parameters(
            config, quantiles={stream: quantiles[i] for i, stream in enumerate(streams)}
        )
        output = _output(simulate_parameters(params), period_days)
        stacked = output.stack(point=[d for d in output.dims if d != "draw"])
        if not template:
            template.append(stacked.isel(draw=0, drop=True))
            inputs.append(params[["input_quantile"]])
        return stacked.transpose("point", "draw").values

    if len(streams) == 1:
        # One input explains all the variance there is: S1 = ST = 1 where the
        # output varies (scipy's estimator does not take a single input).
        quantiles = stream_quantiles(streams[0], base, config.seed)[None, :]
        outputs = model(quantiles)
        varies = np.nanstd(outputs, axis=1, keepdims=True) > 0
        first_order = total_order = np.where(varies, 1.0, np.nan)
    else:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            # An output that never varies (a service nobody lacks) has no variance
            # to decompose: its indices are NaN, which is the honest answer.
            warnings.simplefilter("ignore", RuntimeWarning)
            indices = stats.sobol_indices(
                func=model,
                n=base,
                dists=[stats.uniform() for _ in streams],
                rng=np.random.default_rng(config.seed),
            )
        first_order, total_order = indices.first_order, indices.total_order
    point = template[0]
    # scipy drops the output axis when there is one output.
    shape = (point.sizes["point"], len(streams))
    first_order, total_order = np.reshape(first_order, shape), np.reshape(total_order, shape)

    def labelled(values: np.ndarray, long_name: str) -> xr.DataArray:
        array = xr.DataArray(
            values,
            dims=("point", "input"),
            coords={"point": point["point"], "input": streams},
        )
        return array.unstack("point").assign_attrs(units="1", long_name=long_name)

    dataset = xr.Dataset(
        {
            "first_order": labelled(first_order, "first-order Sobol index of forgone care"),
            "total_order": labelled(total_order, "total Sobol index of forgone care"),
        }
    )
    return _finish(
        dataset,
        inputs[0],
        method="sobol",
        period=float(point["period"]),
        evaluations=base * (len(streams) + 2),
    )


def _ranks(values: xr.DataArray) -> xr.DataArray:
    ranks: xr.DataArray = xr.apply_ufunc(
        stats.rankdata,
        values,
        input_core_dims=[["draw"]],
        output_core_dims=[["draw"]],
        kwargs={"axis": -1},
    )
    return ranks


def _finish(
    dataset: xr.Dataset,
    labelled_inputs: xr.Dataset,
    *,
    method: str,
    period: float,
    evaluations: int,
) -> xr.Dataset:
    # Which configuration keys use each random stream, as build_parameters named them.
    dataset = dataset.assign_coords(input_keys=labelled_inputs["input_keys"])
    dataset["input"].attrs = {"long_name": "uncertain input (random stream)"}
    dataset.attrs = {
        "method": method,
        "output": f"forgone care (unmet + abandoned) in the {period:g} days after the first strike",
        "period_days": period,
        "model_evaluations": evaluations,
    }
    return dataset


def sensitivity(
    config: Config, *, method: str = "spearman", period_days: float | None = None
) -> xr.Dataset:
    """Which uncertain inputs drive forgone care, per facility and service.

    ``method`` is ``"spearman"`` (rank correlation on the Latin hypercube
    ensemble of ``config.draws`` draws) or ``"sobol"`` (see :func:`sobol`).
    ``period_days`` picks the window after the first strike (default: to the
    horizon). Raises ``ConfigError`` when nothing in the configuration is uncertain.
    """
    if method not in METHODS:
        raise ConfigError(f"--method = {method!r}: must be one of {', '.join(METHODS)}")
    if not uncertain_streams(config):
        raise ConfigError(f"{config.name}: no distribution in the configuration; nothing to rank")
    if method == "sobol":
        dataset = sobol(config, period_days)
    else:
        dataset = rank_correlation(simulate(config), period_days)
        dataset.attrs["seed"] = config.seed
    return _described(dataset, config)


def _described(dataset: xr.Dataset, config: Config) -> xr.Dataset:
    """``dataset`` with a title and the other global attributes of CF."""
    attrs = {"title": f"{config.title or config.name}: sensitivity of forgone care"}
    attrs["configuration_name"] = config.name
    history = f"facility_impact {__version__}: sensitivity of {config.name}"
    dataset.attrs = cf.global_attributes({**attrs, **dataset.attrs}, history=history)
    return dataset
