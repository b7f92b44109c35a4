"""Which uncertain inputs drive forgone care: rank correlation and Sobol indices,
each with its confidence interval.

The inputs are the configuration's random streams (one per distribution, or
one per shared ``stream`` name); the output is forgone care (unmet +
abandoned) per facility and service over a window after the first strike, for
every scenario and sweep point.

* ``spearman`` (default): Spearman rank correlation between each input's Latin
  hypercube quantiles and the output, over the ensemble's draws. The rank of
  an input's quantile is the rank of its value (the quantile function is
  increasing), so the ensemble needs nothing else. Works on a results file.
* ``sobol``: first-order and total Sobol indices (Saltelli et al. 2010,
  *Comput. Phys. Commun.* 181:259, through :func:`scipy.stats.sobol_indices`),
  from ``n (d + 2)`` model evaluations for ``d`` inputs and a base sample ``n``
  (a power of two).

Every index comes with its 95 % confidence interval (``<index>_low``,
``<index>_high``; :mod:`facility_impact.run.intervals`); an interval wider than
the tolerance is a warning that says how many draws would narrow it, logged and
kept in the ``interval_warnings`` attribute. An output that does not vary has
NaN indices.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr
from scipy import stats
from scipy.stats import qmc

from facility_impact.config import Config
from facility_impact.config.variation import Uncertain, stream_quantiles
from facility_impact.errors import ConfigError
from facility_impact.model.parameters import build_parameters
from facility_impact.results.summary import summarize
from facility_impact.run import cf, intervals
from facility_impact.run.workflow import simulate, simulate_parameters
from facility_impact.version import __version__

METHODS = ("spearman", "sobol")

MEASURES = {"spearman": ("rank_correlation",), "sobol": ("total_order", "first_order")}
"""The indices of each method, the one to rank by first."""

LONG_NAMES = {
    "rank_correlation": "Spearman rank correlation with forgone care",
    "first_order": "first-order Sobol index of forgone care",
    "total_order": "total Sobol index of forgone care",
}

logger = logging.getLogger(__name__)


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


def _with_interval(
    dataset: xr.Dataset, name: str, low: xr.DataArray, high: xr.DataArray, level: float
) -> xr.Dataset:
    """``dataset`` with the interval of its index ``name`` beside it."""
    for bound, values in (("low", low), ("high", high)):
        dataset[f"{name}_{bound}"] = values.assign_attrs(
            units="1",
            long_name=f"{bound} end of the {level:.0%} confidence interval of the "
            + LONG_NAMES[name],
        )
    return dataset


def rank_correlation(
    results: xr.Dataset,
    period_days: float | None = None,
    level: float = intervals.CONFIDENCE_LEVEL,
) -> xr.Dataset:
    """Spearman rank correlation of each uncertain input with forgone care, from results.

    Returns ``rank_correlation`` [1] (input, *scenario/sweep dims*, facility,
    service), its ``level`` confidence interval (``rank_correlation_low``,
    ``_high``) and ``includes_zero``: whether the interval holds 0, a
    correlation that cannot be told from none. NaN where forgone care does not
    vary across draws.
    """
    if "input_quantile" not in results:
        raise ConfigError(
            "results: no uncertain inputs (no distribution in the configuration), nothing to rank"
        )
    output = _output(results, period_days)
    moving: xr.DataArray = xr.apply_ufunc(
        intervals.varies, output, input_core_dims=[["draw"]], kwargs={"axis": -1}
    )
    ranked_output = _ranks(output)
    ranked_input = _ranks(results["input_quantile"])
    centred_output = ranked_output - ranked_output.mean("draw")
    centred_input = ranked_input - ranked_input.mean("draw")
    covariance = (centred_output * centred_input).mean("draw")
    variances = (centred_output**2).mean("draw") * (centred_input**2).mean("draw")
    spread: xr.DataArray = xr.apply_ufunc(np.sqrt, variances)
    rho = (covariance / spread.where(spread > 0)).where(moving)
    rho = rho.assign_attrs(
        units="1",
        long_name=LONG_NAMES["rank_correlation"],
        description=(
            "rank correlation over the Latin hypercube draws between the input and "
            "forgone care (unmet + abandoned) in the window after the first strike"
        ),
    )
    draws = results.sizes["draw"]
    low, high = intervals.rank_correlation_interval(rho.values, draws, level)
    dataset = xr.Dataset({"rank_correlation": rho})
    dataset = _with_interval(
        dataset, "rank_correlation", rho.copy(data=low), rho.copy(data=high), level
    )
    dataset["includes_zero"] = rho.copy(data=intervals.includes_zero(low, high)).assign_attrs(
        units="1",
        long_name="the confidence interval of the rank correlation includes 0",
        description="a correlation that cannot be told from none over these draws",
    )
    return _finish(
        dataset,
        results,
        method="spearman",
        period=float(output["period"]),
        evaluations=draws,
        level=level,
    )


def _sobol_base(config: Config) -> int:
    """The base sample of :func:`sobol`: ``config.draws`` rounded up to a power of two."""
    return intervals.next_power_of_two(config.draws)


def sobol_draws(config: Config) -> int:
    """The draws :func:`sobol` simulates: the base sample for each input and two more
    (in two simulations, the larger of ``inputs`` base samples; the memory
    estimate counts all of them, which leaves room for the outputs kept)."""
    return _sobol_base(config) * (len(uncertain_streams(config)) + 2)


def sobol_sample(inputs: int, base: int, seed: int) -> np.ndarray:
    """The quantiles the model is evaluated at (inputs × base (inputs + 2)): the
    matrices ``A`` and ``B`` side by side, then each page ``AB_i`` (``A`` with its
    row ``i`` from ``B``). ``A`` and ``B`` are the two halves of one scrambled
    Sobol' sequence of ``2 inputs`` dimensions (Saltelli et al. 2010, section 5),
    drawn as :func:`scipy.stats.sobol_indices` draws them."""
    halves = qmc.Sobol(d=2 * inputs, rng=np.random.default_rng(seed), bits=64).random(base)
    a, b = halves.T.reshape(2, inputs, base)
    pages = np.repeat(a[None], inputs, axis=0)
    for i in range(inputs):
        pages[i, i] = b[i]
    return np.concatenate([a, b, *pages], axis=1)


def _sobol_estimates(
    outputs: np.ndarray, inputs: int, base: int, seed: int, level: float
) -> dict[str, np.ndarray]:
    """The indices (outputs × inputs) and their intervals from the model's values at
    :func:`sobol_sample` (outputs × base (inputs + 2)); NaN where an output does not vary."""
    f_a, f_b = outputs[:, :base], outputs[:, base : 2 * base]
    f_ab = outputs[:, 2 * base :].reshape(outputs.shape[0], inputs, base).transpose(1, 0, 2)
    moving = intervals.varies(np.concatenate([f_a, f_b], axis=1))
    shape = (outputs.shape[0], inputs)
    found = {name: np.full(shape, np.nan) for name in _sobol_names()}
    if not moving.any():
        return found
    first, total = intervals.saltelli_indices(f_a[moving], f_b[moving], f_ab[:, moving])
    low, high = intervals.sobol_intervals(
        f_a[moving],
        f_b[moving],
        f_ab[:, moving],
        rng=np.random.default_rng([seed, 1]),
        level=level,
    )
    for name, values in (
        ("first_order", first),
        ("total_order", total),
        ("first_order_low", low[0]),
        ("first_order_high", high[0]),
        ("total_order_low", low[1]),
        ("total_order_high", high[1]),
    ):
        found[name][moving] = values
    return found


def _sobol_names() -> list[str]:
    return [f"{m}{s}" for m in ("first_order", "total_order") for s in ("", "_low", "_high")]


def sobol(
    config: Config, period_days: float | None = None, level: float = intervals.CONFIDENCE_LEVEL
) -> xr.Dataset:
    """First-order and total Sobol indices of forgone care for every uncertain input,
    with their ``level`` bootstrap confidence intervals.

    The base sample is ``config.draws`` rounded up to a power of two; inputs
    are the random streams' uniform quantiles, mapped through each key's
    distribution exactly as in a Monte Carlo run.
    """
    streams = uncertain_streams(config)
    if not streams:
        raise ConfigError(f"{config.name}: no distribution in the configuration; nothing to rank")
    base = _sobol_base(config)
    # The labels of the flattened outputs and the parameters' input coordinates,
    # kept from the evaluation.
    template: list[xr.DataArray] = []
    inputs: list[xr.Dataset] = []

    def model(quantiles: np.ndarray) -> np.ndarray:
        params = build_parameters(
            config, quantiles={stream: quantiles[i] for i, stream in enumerate(streams)}
        )
        output = _output(simulate_parameters(params), period_days)
        stacked = output.stack(point=[d for d in output.dims if d != "draw"])
        template.append(stacked.isel(draw=0, drop=True))
        inputs.append(params[["input_quantile"]])
        return stacked.transpose("point", "draw").values

    if len(streams) == 1:
        # One input explains all the variance there is: S1 = ST = 1 exactly where
        # the output varies, whatever the sample (scipy's estimator needs two inputs).
        outputs = model(stream_quantiles(streams[0], base, config.seed)[None, :])
        one = np.where(intervals.varies(outputs), 1.0, np.nan)[:, None]
        found = dict.fromkeys(_sobol_names(), one)
    else:
        sample = sobol_sample(len(streams), base, config.seed)
        # A and B, then the pages AB: two simulations, the larger of d n draws, as
        # scipy's own evaluation runs them (one of (d + 2) n would take more memory).
        halves = (sample[:, : 2 * base], sample[:, 2 * base :])
        outputs = np.concatenate([model(half) for half in halves], axis=1)
        found = _sobol_estimates(outputs, len(streams), base, config.seed, level)
    point = template[0]

    def labelled(values: np.ndarray) -> xr.DataArray:
        array = xr.DataArray(
            values,
            dims=("point", "input"),
            coords={"point": point["point"], "input": streams},
        )
        return array.unstack("point")

    dataset = xr.Dataset()
    for name in ("first_order", "total_order"):
        dataset[name] = labelled(found[name]).assign_attrs(units="1", long_name=LONG_NAMES[name])
        low, high = labelled(found[f"{name}_low"]), labelled(found[f"{name}_high"])
        dataset = _with_interval(dataset, name, low, high, level)
    return _finish(
        dataset,
        inputs[0],
        method="sobol",
        period=float(point["period"]),
        evaluations=base * (len(streams) + 2),
        level=level,
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
    level: float,
) -> xr.Dataset:
    # Which configuration keys use each random stream, as build_parameters named them.
    dataset = dataset.assign_coords(input_keys=labelled_inputs["input_keys"])
    dataset["input"].attrs = {"long_name": "uncertain input (random stream)"}
    dataset.attrs = {
        "method": method,
        "output": f"forgone care (unmet + abandoned) in the {period:g} days after the first strike",
        "period_days": period,
        "model_evaluations": evaluations,
        "confidence_level": level,
    }
    return dataset


def _where(array: xr.DataArray, index: tuple[int, ...]) -> str:
    """The input and the output of one index, as the table prints them."""
    point = array[dict(zip(array.dims, index, strict=True))]
    labels = {str(dim): point[dim].item() for dim in array.dims}
    place = f"{labels.pop('input')} at {labels.pop('facility')} / {labels.pop('service')}"
    others = ", ".join(
        f"{dim} = {value:g}" if isinstance(value, float) else f"{dim} = {value}"
        for dim, value in labels.items()
    )
    return f"{place} ({others})" if others else place


def _draws_advice(indices: xr.Dataset, width: float, tolerance: float) -> str:
    """The ``--draws`` that would bring an interval ``width`` wide to ``tolerance``."""
    evaluations = int(indices.attrs["model_evaluations"])
    if indices.attrs["method"] == "spearman":
        draws = intervals.draws_to_narrow(width, evaluations, tolerance)
        return f"about --draws {draws:,} would narrow it to {tolerance:g}"
    runs_per_draw = indices.sizes["input"] + 2
    base = evaluations // runs_per_draw
    needed = intervals.next_power_of_two(intervals.draws_to_narrow(width, base, tolerance))
    return (
        f"about --draws {needed:,} ({needed * runs_per_draw:,} model runs) "
        f"would narrow it to {tolerance:g}"
    )


def interval_warnings(indices: xr.Dataset, tolerance: float) -> list[str]:
    """One line per index of ``indices`` whose confidence intervals are wider than
    ``tolerance``: how many, the widest and where, and the draws that would narrow it."""
    lines = []
    level = float(indices.attrs.get("confidence_level", intervals.CONFIDENCE_LEVEL))
    for name in MEASURES[str(indices.attrs["method"])]:
        low, high = indices[f"{name}_low"], indices[f"{name}_high"]
        count, wide, widest, index = intervals.too_wide(low.values, high.values, tolerance)
        if not wide or index is None:
            continue
        lines.append(
            f"{wide:,} of {count:,} {level:.0%} confidence intervals of the "
            f"{LONG_NAMES[name]} are wider than the tolerance {tolerance:g}; the widest "
            f"({widest:.2f}) is for {_where(low, index)}. Intervals narrow as "
            f"1/sqrt(draws): {_draws_advice(indices, widest, tolerance)}"
        )
    return lines


def sensitivity(
    config: Config,
    *,
    method: str = "spearman",
    period_days: float | None = None,
    tolerance: float = intervals.DEFAULT_TOLERANCE,
) -> xr.Dataset:
    """Which uncertain inputs drive forgone care, per facility and service.

    ``method`` is ``"spearman"`` (rank correlation on the Latin hypercube
    ensemble of ``config.draws`` draws) or ``"sobol"`` (see :func:`sobol`).
    ``period_days`` picks the window after the first strike (default: to the
    horizon). Each index has its 95 % confidence interval; intervals wider than
    ``tolerance`` are logged as warnings (and kept in the ``interval_warnings``
    attribute, one per line). Raises ``ConfigError`` when nothing in the
    configuration is uncertain.
    """
    if method not in METHODS:
        raise ConfigError(f"--method = {method!r}: must be one of {', '.join(METHODS)}")
    if not tolerance > 0:
        raise ConfigError(f"--tolerance = {tolerance!r}: must be a width above 0")
    if not uncertain_streams(config):
        raise ConfigError(f"{config.name}: no distribution in the configuration; nothing to rank")
    if method == "sobol":
        dataset = sobol(config, period_days)
    else:
        dataset = rank_correlation(simulate(config), period_days)
    dataset.attrs["seed"] = config.seed
    warnings = interval_warnings(dataset, tolerance)
    dataset.attrs["tolerance"] = tolerance
    dataset.attrs["interval_warnings"] = "\n".join(warnings)
    for line in warnings:
        logger.warning(line)
    return _described(dataset, config)


def _described(dataset: xr.Dataset, config: Config) -> xr.Dataset:
    """``dataset`` with a title and the other global attributes of CF."""
    attrs = {"title": f"{config.title or config.name}: sensitivity of forgone care"}
    attrs["configuration_name"] = config.name
    history = f"facility_impact {__version__}: sensitivity of {config.name}"
    dataset.attrs = cf.global_attributes({**attrs, **dataset.attrs}, history=history)
    return dataset
