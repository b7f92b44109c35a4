"""How much memory a run needs, estimated from its configuration before anything is drawn.

A run's memory is mostly the kernel's daily outputs: ensemble points ×
days × the structural cells of every result variable (the registry's
``result`` entries, :data:`~facility_impact.model.outputs.KERNEL_LAYOUT`) ×
the size of one value (float32 for an ensemble, float64 for a single run,
``run.precision``). Around them come the parameters, the kernel's state
(both worlds: the actual one and the no-strike counterfactual, each with its
backlog), the arrays each block of points prepares for its days, the
summary's intermediates and the compressed NetCDF image
(:func:`facility_impact.run.io.netcdf_image`). :func:`run_shape` counts all
of these from the configuration alone, so a run that cannot fit is refused
in well under a second, before a number is drawn.

Calibration (2 cores, 23 GiB; ``tracemalloc`` peaks per phase of an in-memory
run and ``/usr/bin/time -v`` for the whole process, 2026-12-02): above the
outputs, the summary's peak took 0.26–0.33 of the outputs for runs of 365 days
or more and 0.42 for 50,000 draws × 30 days (its per-run indicators count per
point, not per day); writing took the image (0.044–0.12 of the outputs) and
0.10–0.15 more; the interpreter with the package loaded holds about 0.16 GB.
The factors below cover these with a margin (:data:`SUMMARY_SHARE`,
:data:`IMAGE_SHARE`); ``benchmarks/memory_estimate.py`` compares the estimate
with measured peaks again.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from facility_impact.config import Config
from facility_impact.config.default_values import STAFF_FATES
from facility_impact.config.sweeps import sweep_dims
from facility_impact.config.types import union
from facility_impact.config.variation import Uncertain
from facility_impact.errors import ConfigError
from facility_impact.results.standards import MOMENTS
from facility_impact.results.summary import PERIODS_DAYS, RECOVERY_THRESHOLDS
from facility_impact.run.chunked import DEFAULT_BLOCK_BYTES
from facility_impact.run.scale import DEFAULT_CHUNK_DRAWS, SUMMARY_BYTES
from facility_impact.run.sizes import show_bytes
from facility_impact.variables import OUTPUT_VARIABLES, of_kind

PROCESS_BYTES = 250 * 10**6
"""One Python process with numpy, xarray and the package loaded [B] (measured
0.16 GB; dask and zarr in a worker add some)."""

SUMMARY_SHARE = 0.45
"""The summary's intermediates, as a share of the outputs (measured 0.26–0.42)."""

IMAGE_SHARE = 0.25
"""The compressed NetCDF image and the writer's buffers, as a share of the
outputs (measured 0.15–0.27 together)."""

REDUCTION_COPIES = 4
"""Copies of one indicator's per-run rows the reduction over draws holds at once
(the rows, the sorted copy of ``quantile``, masks)."""

FLOAT = 8
"""Bytes of a float64: parameters, the kernel's state and the summaries."""

_STANDARD_INDICATORS = 8
"""At most this many minimum-standards indicators (the ``indicator`` dim)."""


@dataclass(frozen=True)
class RunShape:
    """The sizes of a run that set its memory, counted from the configuration."""

    scenarios: int
    sweep_points: int
    draws: int
    """Monte Carlo draws; 0 when no input is a distribution."""
    days: int
    output_bytes_per_point_day: int
    """The kernel's outputs for one ensemble point and one day, all variables [B]."""
    parameter_bytes: int
    """Parameters per ensemble point (an upper bound) [B]."""
    state_bytes: int
    """The kernel's state per ensemble point (both worlds, and a block's copy) [B]."""
    summary_bytes: int
    """Per-run summary indicators per ensemble point [B]."""
    prepared_bytes_per_point_day: int
    """What a block prepares for each of its points and days (population, open
    days, alternatives open) [B]."""
    facility_services: int

    @property
    def points(self) -> int:
        """Ensemble points: scenarios × sweep points × draws."""
        return self.scenarios * self.sweep_points * max(self.draws, 1)

    @property
    def output_bytes(self) -> int:
        """All daily outputs of the run [B]."""
        return self.points * self.days * self.output_bytes_per_point_day

    def with_draws(self, draws: int) -> RunShape:
        return replace(self, draws=draws)

    def with_days(self, days: int) -> RunShape:
        return replace(self, days=days)


def _structure_sizes(config: Config) -> dict[str, int]:
    """The length of every structural dim, over the base case and all scenarios."""
    variants = config.variants
    facilities = union(v.facilities for v in variants)
    streams = {v.stream for c in variants for v in c.variations() if isinstance(v, Uncertain)}
    return {
        "facility": len(facilities),
        "destination_facility": len(facilities),
        "service": len(union(v.service_names for v in variants)),
        "resource": len(union(v.resource_names for v in variants)),
        "strike": max(len(v.strikes) for v in variants),
        "alternative": len(union([a.name for a in v.alternatives] for v in variants)),
        "outcome": len(union([o.name for o in v.outcomes] for v in variants)),
        "fate": len(STAFF_FATES),
        "input": len(streams),
        "period": len(PERIODS_DAYS) + 1,
        "threshold": len(RECOVERY_THRESHOLDS),
        "moment": len(MOMENTS),
        "indicator": _STANDARD_INDICATORS,
        "time": 1,
    }


def _cells(dims: tuple[str, ...], sizes: dict[str, int]) -> int:
    return math.prod(sizes.get(dim, 1) for dim in dims)


def _parameter_bytes(config: Config, sizes: dict[str, int]) -> int:
    """An upper bound of the parameters per ensemble point [B].

    A varying key (a sweep, a distribution, a scenario's setting) makes its
    parameter vary along the ensemble: keys of the same name (one per service, per resource)
    share one parameter, of at most a facility's services or resources, the
    strikes' resources, the alternatives' services or the facility pairs. The
    kernel keeps a flattened copy of each; a varying demand period varies every
    day; each random stream records its quantiles.
    """
    paths = {v.path for c in config.variants for v in c.variations()}
    # A scenario's settings vary their parameters along the scenarios, and the
    # population is always laid out along them.
    settings = {path for s in config.scenarios for path, _ in s.settings}
    names = {path.rsplit(".", 1)[-1] for path in paths | settings}
    names |= {"population"} if config.scenarios else set()
    f = sizes["facility"]
    widest = max(
        f * sizes["service"],
        f * sizes["resource"],
        sizes["strike"] * sizes["resource"],
        sizes["alternative"] * sizes["service"],
        f * f,
    )
    parameters = 2 * FLOAT * len(names) * widest + FLOAT * sizes["input"]
    if any("demand_multipliers" in path for path in paths):
        parameters += 2 * FLOAT * config.horizon_days * f * sizes["service"]
    return parameters


def run_shape(config: Config) -> RunShape:
    """Count what sets the memory of a run of ``config`` (nothing is drawn or built)."""
    sizes = _structure_sizes(config)
    itemsize = np.dtype(config.results_dtype).itemsize
    outputs = sum(_cells(v.dims, sizes) for v in OUTPUT_VARIABLES.values()) * itemsize
    f, k = sizes["facility"], sizes["strike"]
    per_day = f * sizes["service"]
    # ModelState, twice (the run's state and a block's working copy): losses per
    # strike, facility and resource; staff per strike and fate; clocks; the
    # backlog of both worlds.
    state = 2 * FLOAT * (k * f * sizes["resource"] + k * sizes["fate"] + k * f + f + 2 * per_day)
    summary = FLOAT * sum(
        _cells(v.dims, sizes) for v in of_kind("summary").values() if "quantile" not in v.dims
    )
    sweeps = dict(sweep_dims(config.variants).values())  # dim → its coordinate
    return RunShape(
        scenarios=len(config.variants),
        sweep_points=math.prod(len(coordinate) for coordinate in sweeps.values()),
        draws=config.draws,
        days=config.horizon_days,
        output_bytes_per_point_day=outputs,
        parameter_bytes=_parameter_bytes(config, sizes),
        state_bytes=state,
        summary_bytes=summary,
        prepared_bytes_per_point_day=FLOAT * (5 * f + k * f + sizes["alternative"]),
        facility_services=per_day,
    )


def in_memory_bytes(shape: RunShape) -> int:
    """Peak memory of a run simulated in memory and written to NetCDF [B]."""
    outputs = shape.output_bytes
    # All blocks of points are prepared before the first day is simulated.
    prepared = shape.points * shape.days * shape.prepared_bytes_per_point_day
    # Then the summary, then the NetCDF image: one after the other.
    work = max(prepared, max(SUMMARY_SHARE, IMAGE_SHARE) * outputs)
    per_point = shape.parameter_bytes + shape.state_bytes + shape.summary_bytes
    return int(PROCESS_BYTES + outputs + work + shape.points * per_point)


@dataclass(frozen=True)
class ChunkPlan:
    """How a chunked run is cut, and the memory that takes."""

    chunk_draws: int
    chunk_days: int
    workers: int
    """Worker processes on this machine (0: the workers are on a remote cluster)."""
    bytes: int
    """Peak memory on this machine, the run and its local workers together [B]."""


def _main_process_bytes(shape: RunShape) -> int:
    """The chunked run's own process: all parameters, the reduction over draws of
    one indicator's per-run rows; a run without draws is summarised there whole."""
    points = shape.points * shape.parameter_bytes
    if shape.draws == 0:
        return int(PROCESS_BYTES + points + (1 + SUMMARY_SHARE) * shape.output_bytes)
    rows = shape.points * shape.facility_services * (len(PERIODS_DAYS) + 1) * FLOAT
    return PROCESS_BYTES + points + REDUCTION_COPIES * rows


def chunk_plan(
    shape: RunShape, chunk_draws: int, chunk_days: int | None, workers: int
) -> ChunkPlan:
    """The memory of a chunked run of ``shape`` on ``workers`` local processes.

    A block is one scenario × all sweep points × ``chunk_draws`` draws × a run of
    days (``chunk_days``, or as many as fit
    :data:`~facility_impact.run.chunked.DEFAULT_BLOCK_BYTES`, as the run plans
    them); a worker holds one block, or in the summary pass one store chunk of
    draws with all their days (at most a block's draws, within
    :data:`~facility_impact.run.scale.SUMMARY_BYTES` unless one draw is more).
    A run that keeps summaries (``--save summary``,
    :mod:`~facility_impact.run.summary_store`) holds instead one part of at most
    :data:`~facility_impact.run.summary_store.PART_BYTES` and its summary per
    worker, and the first part and its bands in its own process: this estimate
    covers it with less margin (20,000 draws of the uncertain reference: 1.62 GB
    estimated, 1.33 GB peak, against 1.06 GB keeping every day;
    ``benchmarks/memory_estimate.py``).
    """
    draws = max(shape.draws, 1)
    chunk_draws = min(chunk_draws, draws)
    block_points = shape.sweep_points * chunk_draws
    per_point_day = shape.output_bytes_per_point_day
    if chunk_days is None:
        chunk_days = DEFAULT_BLOCK_BYTES // max(block_points * per_point_day, 1)
    chunk_days = min(max(chunk_days, 1), shape.days)
    block = block_points * chunk_days * per_point_day
    prepared = block_points * chunk_days * shape.prepared_bytes_per_point_day
    per_point = shape.parameter_bytes + shape.state_bytes
    simulating = (1 + IMAGE_SHARE) * block + prepared + block_points * per_point
    # A store chunk's draws: at most a block's, as many as fit SUMMARY_BYTES, at least one.
    one_draw = shape.scenarios * shape.sweep_points * shape.days * per_point_day
    read = max(one_draw, min(SUMMARY_BYTES, chunk_draws * one_draw))
    summarising = (1 + SUMMARY_SHARE) * read if shape.draws else 0
    worker = PROCESS_BYTES + max(simulating, summarising)
    total = _main_process_bytes(shape) + workers * worker
    return ChunkPlan(chunk_draws, chunk_days, workers, int(total))


def local_cores() -> int:
    """Worker processes of a chunked run's local pool: one per core."""
    return os.cpu_count() or 1


def available_memory() -> int | None:
    """Memory this process may still take [B]: ``MemAvailable`` of ``/proc/meminfo``
    (Linux), less if a cgroup (a container) sets a lower limit; else the free
    physical pages (``os.sysconf``); ``None`` when the system does not say."""
    available = _meminfo_available()
    limit = _cgroup_room()
    if available is not None and limit is not None:
        return min(available, limit)
    if available is not None or limit is not None:
        return available if available is not None else limit
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room() -> int | None:
    """What a cgroup v2 memory limit leaves (``memory.max`` − ``memory.current``)."""
    folder = Path("/sys/fs/cgroup")
    try:
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((folder / "memory.current").read_text()), 0)
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- fitting a run


@dataclass(frozen=True)
class Limit:
    """The memory a run may take, and where that number comes from."""

    bytes: int
    source: str
    """For messages: ``"--max-memory = 4 GB"`` or ``"the 23.5 GB of memory available"``."""


def memory_limit(max_memory: int | None = None) -> Limit | None:
    """The lower of ``max_memory`` (``--max-memory``) and what the machine has
    (:func:`available_memory`); ``None`` when neither is known."""
    available = available_memory()
    if max_memory is not None and (available is None or max_memory <= available):
        return Limit(max_memory, f"--max-memory = {show_bytes(max_memory)}")
    if available is None:
        return None
    return Limit(available, f"the {show_bytes(available)} of memory available")


def describe(shape: RunShape) -> str:
    """The size of a run in words: ``"5 scenarios × 20,000 draws × 365 days"``."""
    parts = []
    if shape.scenarios > 1:
        parts.append(f"{shape.scenarios:,} scenarios")
    if shape.sweep_points > 1:
        parts.append(f"{shape.sweep_points:,} sweep points")
    if shape.draws:
        parts.append(f"{shape.draws:,} draws")
    parts.append(f"{shape.days:,} days")
    return " × ".join(parts)


def fit_chunks(
    shape: RunShape, limit: int, workers: int, chunk_draws: int = DEFAULT_CHUNK_DRAWS
) -> ChunkPlan | None:
    """The largest draws per chunk, at most ``chunk_draws`` and halving from it, whose
    chunked run fits ``limit`` [B] (blocks of days as the run plans them); ``None``
    if none does."""
    draws = chunk_draws
    while True:
        plan = chunk_plan(shape, draws, None, workers)
        if plan.bytes <= limit:
            return plan
        if draws == 1 or shape.draws == 0:
            return None
        draws = max(draws // 2, 1)


def _largest(fits: Callable[[int], bool], high: int) -> int:
    """The largest ``n`` in ``[1, high]`` with ``fits(n)`` (false above some n); 0 if none."""
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _what_fits(shape: RunShape, limit: int, workers: int) -> str:
    """The largest ensemble (draws) or horizon (days) that some path can run."""

    def runs(candidate: RunShape) -> bool:
        return in_memory_bytes(candidate) <= limit or (
            fit_chunks(candidate, limit, workers) is not None
        )

    options = []
    if shape.draws > 1:
        draws = _largest(lambda n: runs(shape.with_draws(n)), shape.draws - 1)
        if draws:
            options.append(f"at most about {draws:,} draws (--draws)")
    days = _largest(lambda n: runs(shape.with_days(n)), shape.days - 1)
    if days:
        options.append(f"at most about {days:,} days (--horizon)")
    if not options:
        return "not even one draw of one day fits: the configuration itself is too large"
    return " or ".join(options) + " fit"


def check_in_memory(shape: RunShape, limit: Limit | None, workers: int) -> None:
    """Refuse (``ConfigError``, one line) a run simulated in memory that cannot fit
    ``limit``, naming the estimate and the options that make it fit."""
    need = in_memory_bytes(shape)
    if limit is None or need <= limit.bytes:
        return
    head = (
        f"{describe(shape)} need about {show_bytes(need)} of memory simulated in one "
        f"piece, more than {limit.source}"
    )
    plan = fit_chunks(shape, limit.bytes, workers)
    if plan is not None:
        raise ConfigError(
            f"{head}; --format zarr streams it in chunks to a Zarr store (about "
            f"{show_bytes(plan.bytes)} with --chunk-draws {plan.chunk_draws})"
        )
    raise ConfigError(
        f"{head}, even in chunks (--format zarr); {_what_fits(shape, limit.bytes, workers)}"
    )


def plan_chunked(
    shape: RunShape,
    limit: Limit | None,
    workers: int,
    chunk_draws: int | None,
    chunk_days: int | None,
) -> ChunkPlan:
    """The chunks of a chunked run that fit ``limit``: the ones given, else the
    default draws per chunk or fewer. Chunks given that do not fit, or a run that
    fits no chunks, are refused (``ConfigError``, one line with the estimate)."""
    given = chunk_draws is not None or chunk_days is not None
    draws = DEFAULT_CHUNK_DRAWS if chunk_draws is None else chunk_draws
    plan = chunk_plan(shape, draws, chunk_days, workers)
    if limit is None or plan.bytes <= limit.bytes:
        return plan
    fitted = fit_chunks(shape, limit.bytes, workers, draws)
    if fitted is not None and not given:
        return fitted
    head = (
        f"{describe(shape)} in chunks of {plan.chunk_draws:,} draws × {plan.chunk_days:,} days "
        f"on {plan.workers} worker processes need about {show_bytes(plan.bytes)} of memory, "
        f"more than {limit.source}"
    )
    if fitted is not None:
        raise ConfigError(
            f"{head}; --chunk-draws {fitted.chunk_draws} fits (about {show_bytes(fitted.bytes)})"
        )
    if workers > 1:
        fewer = fit_chunks(shape, limit.bytes, 1, draws)
        if fewer is not None:
            raise ConfigError(
                f"{head}; --workers 1 --chunk-draws {fewer.chunk_draws} fits (about "
                f"{show_bytes(fewer.bytes)})"
            )
    raise ConfigError(f"{head}; {_what_fits(shape, limit.bytes, workers)}")
