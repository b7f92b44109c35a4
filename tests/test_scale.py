"""Chunked runs from the command line: Zarr, local and existing clusters, faults, progress.

The cluster tests start a small dask.distributed ``LocalCluster`` (two
single-threaded worker processes), as CI can. Every result is compared bit for
bit with the in-memory simulation of the same configuration and seed.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import facility_impact
from facility_impact import load_config, simulate, summarize
from facility_impact.cli import main
from facility_impact.results.summary import is_lazy
from facility_impact.run import chunked, progress, scale
from facility_impact.run.io import atomic_directory

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
UNCERTAIN = REPO / "configs" / "maarat_al_numan_uncertain.toml"
STEM = UNCERTAIN.stem
SMALL = ["--draws", "12", "--horizon", "60"]
ERROR_PREFIX = "facility-impact: error: "


def _files(folder: Path) -> list[str]:
    """Everything in ``folder``, hidden temporary names included; [] if absent."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _in_memory(draws: int, horizon: int) -> xr.Dataset:
    return simulate(load_config(UNCERTAIN, draws=draws, horizon_days=horizon))


def _assert_same_values(store: Path, expected: xr.Dataset) -> None:
    """The Zarr store holds exactly the in-memory results (values, coords, attrs)."""
    with xr.open_zarr(store) as opened:
        got = opened.load()
    xr.testing.assert_identical(got, expected)
    for name in expected.data_vars:
        np.testing.assert_array_equal(got[name].values, expected[name].values, err_msg=name)


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# ------------------------------------------------------------------ local scheduler


def test_zarr_run_equals_in_memory_run(tmp_path, capsys):
    out = tmp_path / "results"
    args = ["run", str(UNCERTAIN), *SMALL, "--out", str(out)]
    assert (
        main(
            [
                *args,
                "--format",
                "zarr",
                "--save",
                "daily",
                "--chunk-draws",
                "5",
                "--chunk-days",
                "25",
            ]
        )
        == 0
    )
    chunked_printed = capsys.readouterr().out
    assert _files(out) == [f"{STEM}-summary.csv", f"{STEM}.zarr"]
    expected = _in_memory(12, 60)
    _assert_same_values(out / f"{STEM}.zarr", expected)
    # The per-run indicators behind the quantiles are kept in the store.
    with xr.open_zarr(out / f"{STEM}.zarr", group="per_run") as rows:
        per_run = summarize(expected, quantiles=None)
        xr.testing.assert_allclose(rows[list(per_run.data_vars)].load(), per_run, rtol=1e-12)

    reference = tmp_path / "reference"
    assert main(["run", str(UNCERTAIN), *SMALL, "--out", str(reference)]) == 0
    in_memory_printed = capsys.readouterr().out
    # The summary table: same numbers to the printed precision.
    csv_chunked = (out / f"{STEM}-summary.csv").read_text()
    assert csv_chunked == (reference / f"{STEM}-summary.csv").read_text()
    assert chunked_printed.split("\nwrote")[0] == in_memory_printed.split("\nwrote")[0]


_REAL_BLOCK = chunked._run_and_consume


def _failing_block(params, start_day, stop_day, state, consume, where):
    """A block task whose days from day 30 on "fail", as a worker running out of memory."""
    if start_day >= 30:
        raise MemoryError("simulated failure")
    return _REAL_BLOCK(params, start_day, stop_day, state, consume, where)


def test_python_api_simulates_into_a_store(tmp_path):
    config = load_config(UNCERTAIN, draws=6, horizon_days=30)
    stored = facility_impact.simulate_to_zarr(config, tmp_path / "run.zarr", {"draw": 4})
    assert is_lazy(stored)
    assert stored["served"].chunksizes["draw"][0] <= 4
    expected = simulate(config)
    xr.testing.assert_identical(stored.load(), expected)
    assert _files(tmp_path) == ["run.zarr"]
    # The summary of a store, read back chunk by chunk, is the in-memory one.
    xr.testing.assert_allclose(
        scale.summarize_store(tmp_path / "run.zarr"), summarize(expected), rtol=1e-12
    )


def test_failed_run_leaves_nothing_and_keeps_the_old_output(tmp_path, monkeypatch, capsys):
    out = tmp_path / "results"
    args = [
        "run",
        str(UNCERTAIN),
        *SMALL,
        "--out",
        str(out),
        "--format",
        "zarr",
        "--save",
        "daily",
        "--save",
        "daily",
    ]
    assert main([*args, "--chunk-draws", "6"]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # In the worker processes too (the graph names this module's function).
    monkeypatch.setattr(chunked, "_run_and_consume", _failing_block)
    capsys.readouterr()
    assert main([*args, "--chunk-draws", "3", "--chunk-days", "10"]) == 2
    assert capsys.readouterr().err == (
        f"{ERROR_PREFIX}out of memory; nothing was written "
        "(--max-memory, or --format zarr with a smaller --chunk-draws, makes it fit)\n"
    )
    # The earlier store and table are untouched, and no temporary name is left.
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert _files(out) == [f"{STEM}-summary.csv", f"{STEM}.zarr"]


def test_atomic_directory_replaces_only_when_complete(tmp_path):
    target = tmp_path / "store.zarr"
    with atomic_directory(target) as part:
        (part / "a").write_text("first")
    assert (target / "a").read_text() == "first"
    with pytest.raises(RuntimeError), atomic_directory(target) as part:
        (part / "b").write_text("second")
        raise RuntimeError("interrupted")
    assert _files(target) == ["a"]
    assert _files(tmp_path) == ["store.zarr"]
    with atomic_directory(target) as part:
        (part / "c").write_text("third")
    assert _files(target) == ["c"]
    assert _files(tmp_path) == ["store.zarr"]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--chunk-draws", "0"], ["--chunk-draws", "'0'", "at least 1"]),
        (["--chunk-days", "x"], ["--chunk-days", "'x'", "whole number"]),
        (["--format", "parquet"], ["--format", "'parquet'", "netcdf", "zarr"]),
        (["--workers", "0"], ["--workers", "'0'", "at least 1"]),
        (
            ["--workers", "2", "--format", "zarr", "--save", "daily", "--scheduler", "tcp://x:1"],
            ["give one"],
        ),
        (["--workers", "2"], ["--workers needs --format zarr", '"netcdf"']),
        (["--chunk-draws", "5"], ["--chunk-draws needs --format zarr"]),
        (["--chunk-days", "5"], ["--chunk-days needs --format zarr"]),
        (["--scheduler", "tcp://127.0.0.1:9"], ["--scheduler needs --format zarr"]),
    ],
)
def test_bad_scale_options_are_one_line_and_status_2(tmp_path, capsys, options, words):
    out = tmp_path / "results"
    try:
        status = main(["run", str(UNCERTAIN), *SMALL, "--out", str(out), *options])
    except SystemExit as exit_:  # argparse refuses option values itself
        status = exit_.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    for word in words:
        assert word in err
    assert not out.exists()


def test_unreachable_scheduler_is_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("facility_impact.run.scale.CONNECT_TIMEOUT_SECONDS", 1)
    out = tmp_path / "results"
    args = [
        "run",
        str(UNCERTAIN),
        *SMALL,
        "--out",
        str(out),
        "--format",
        "zarr",
        "--save",
        "daily",
        "--save",
        "daily",
    ]
    assert main([*args, "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(ERROR_PREFIX) and "tcp://127.0.0.1:9" in err
    assert _files(out) == []


def test_missing_dask_is_one_clear_line(tmp_path, capsys, monkeypatch):
    def no_dask() -> None:
        raise chunked.MissingDaskError("the chunked (out-of-core) path needs dask: pip install")

    monkeypatch.setattr(chunked, "require_dask", no_dask)
    status = main(
        [
            "run",
            str(UNCERTAIN),
            *SMALL,
            "--out",
            str(tmp_path),
            "--format",
            "zarr",
            "--save",
            "daily",
            "--save",
            "daily",
        ]
    )
    assert status == 2
    assert capsys.readouterr().err == (
        ERROR_PREFIX + "the chunked (out-of-core) path needs dask: pip install\n"
    )


# ------------------------------------------------------------------ progress


def test_progress_bar_counts_blocks_on_a_terminal():
    config = load_config(UNCERTAIN, draws=6, horizon_days=30)
    results = simulate(config, chunks={"draw": 3, "time": 10})
    blocks = progress.block_count(results)
    assert blocks == 2 * 3
    stream = FakeTerminal()
    with progress.local_progress(blocks, stream) as bar:
        results.compute(scheduler="sync")
    assert bar is not None and bar.n == blocks
    text = stream.getvalue()
    assert text.startswith("\rsimulated:")
    assert f"{blocks}/{blocks} [" in text.split("\r")[-1]
    assert text.endswith("\n")


def test_progress_of_a_chunked_run_counts_every_block(tmp_path):
    config = load_config(UNCERTAIN, draws=6, horizon_days=30)
    stream = FakeTerminal()
    target, table = tmp_path / "run.zarr", tmp_path / "run.csv"
    scale.write_chunked(config, target, table, {"draw": 3, "time": 10}, progress_stream=stream)
    last = stream.getvalue().split("\r")[-1]
    assert re.match(r"simulated: 100%\|.*\| 6/6 \[", last), last
    assert _files(tmp_path) == ["run.csv", "run.zarr"]


def test_progress_is_off_when_not_a_terminal_or_when_quiet(monkeypatch):
    stream = io.StringIO()
    with progress.local_progress(10, stream) as bar:
        assert bar is None
    assert stream.getvalue() == ""
    # -q sets the package's logger to warnings: no bar on a terminal either.
    monkeypatch.setattr(logging.getLogger("facility_impact"), "level", logging.WARNING)
    terminal = FakeTerminal()
    with progress.local_progress(10, terminal) as bar:
        assert bar is None
    assert terminal.getvalue() == ""


class FailingWriter(scale.ZarrBlockWriter):
    """Fails on the block of days 10-19 of the draws 3-5, as a bug in a worker would."""

    def __call__(self, outputs, where):
        if where["draw"].start == 3 and where["time"].start == 10:
            raise ValueError("an array of the wrong shape\nsecond line")
        super().__call__(outputs, where)


def test_a_block_that_fails_on_a_worker_is_one_line_naming_it(tmp_path, capsys, monkeypatch):
    """An error in a worker that is not a lost worker: status 1, one line that names the
    block (its draws and days), nothing written."""
    monkeypatch.setattr(scale, "ZarrBlockWriter", FailingWriter)
    out = tmp_path / "results"
    args = ["run", str(UNCERTAIN), "--draws", "6", "--horizon", "30", "--out", str(out)]
    status = main(
        [*args, "--format", "zarr", "--save", "daily", "--chunk-draws", "3", "--chunk-days", "10"]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert err == (
        f"{ERROR_PREFIX}the block of draws 3–5, days 10–19 failed: ValueError: "
        "an array of the wrong shape second line; nothing was written\n"
    )
    assert _files(out) == []


def test_parts_of_a_run_are_named_as_people_count_them():
    where = {"scenario": slice(1, 2), "draw": slice(0, 50_000), "time": slice(0, 13)}
    assert chunked.describe_part(where) == "scenario 1, draws 0–49,999, days 0–12"
    assert chunked.describe_part({"draw": slice(7, 8)}) == "draw 7"


# ------------------------------------------------------------------ clusters


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes, as ``--workers 2`` starts; shared by the
    tests below (starting one takes seconds). The fault test, last, kills a worker:
    the cluster's nanny starts a new one."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=50,
        ) as local,
        Client(local, set_as_default=False) as client,
    ):
        yield local, client


def test_existing_cluster_gives_the_in_memory_results(tmp_path, cluster, capsys):
    local, client = cluster
    out = tmp_path / "results"
    args = [
        "run",
        str(UNCERTAIN),
        *SMALL,
        "--out",
        str(out),
        "--format",
        "zarr",
        "--save",
        "daily",
        "--save",
        "daily",
    ]
    assert main([*args, "--chunk-draws", "5", "--scheduler", local.scheduler_address]) == 0
    _assert_same_values(out / f"{STEM}.zarr", _in_memory(12, 60))
    assert "wrote" in capsys.readouterr().out
    # Both workers took part.
    assert len(client.scheduler_info()["workers"]) == 2


def test_a_cluster_run_shows_dasks_progress_bar_on_a_terminal(tmp_path, cluster):
    """On a cluster the bar is dask.distributed's own (distributed.progress), drawn on
    the progress stream, never on stdout (which carries the tables and --json)."""
    _, client = cluster
    config = load_config(UNCERTAIN, draws=6, horizon_days=30)
    stream = FakeTerminal()
    target, table = tmp_path / "run.zarr", tmp_path / "run.csv"
    chunks = {"draw": 3, "time": 10}
    scale.write_chunked(config, target, table, chunks, client, progress_stream=stream)
    assert "| 100% Completed |" in stream.getvalue()
    _assert_same_values(target, _in_memory(6, 30))


def test_a_block_that_fails_on_a_cluster_worker_is_one_line_naming_it(
    tmp_path, cluster, capsys, monkeypatch
):
    local, _ = cluster
    monkeypatch.setattr(scale, "ZarrBlockWriter", FailingWriter)
    out = tmp_path / "results"
    args = ["run", str(UNCERTAIN), "--draws", "6", "--horizon", "30", "--out", str(out)]
    args += ["--format", "zarr", "--save", "daily", "--chunk-draws", "3", "--chunk-days", "10"]
    assert main([*args, "--scheduler", local.scheduler_address]) == 1
    assert capsys.readouterr().err == (
        f"{ERROR_PREFIX}the block of draws 3–5, days 10–19 failed: ValueError: "
        "an array of the wrong shape second line; nothing was written\n"
    )
    assert _files(out) == []


def test_workers_option_starts_a_local_cluster(tmp_path, cluster, monkeypatch):
    """--workers N asks for N single-threaded worker processes (here the shared
    test cluster stands in for the one it would start)."""
    import distributed

    local, _ = cluster
    asked = {}

    class Started:
        def __init__(self, **options):
            asked.update(options)

        def __enter__(self):
            return local

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(distributed, "LocalCluster", Started)
    out = tmp_path / "results"
    args = ["run", str(UNCERTAIN), "--draws", "4", "--horizon", "20", "--out", str(out)]
    assert (
        main([*args, "--format", "zarr", "--save", "daily", "--chunk-draws", "2", "--workers", "2"])
        == 0
    )
    assert asked["n_workers"] == 2
    assert asked["threads_per_worker"] == 1
    assert asked["processes"] is True
    _assert_same_values(out / f"{STEM}.zarr", _in_memory(4, 20))


def _blocks_started(dask_scheduler) -> int:
    return sum(
        count
        for name, group in dask_scheduler.task_groups.items()
        if str(name).startswith(chunked.BLOCK_TASK_PREFIX)
        for state, count in group.states.items()
        if state in ("memory", "released", "forgotten")
    )


def test_killed_worker_gives_the_full_result_or_a_clean_failure(tmp_path, cluster, capsys):
    """Kill one worker process mid-run: dask recomputes what it lost (the result is
    complete and identical) or the run fails with one clear line; never a partial
    store at the output path."""
    local, client = cluster
    out = tmp_path / "results"
    draws, horizon = 300, 100
    args = ["run", str(UNCERTAIN), "--draws", str(draws), "--horizon", str(horizon)]
    args += [
        "--out",
        str(out),
        "--format",
        "zarr",
        "--save",
        "daily",
        "--chunk-draws",
        "100",
        "--chunk-days",
        "10",
    ]
    args += ["--scheduler", local.scheduler_address]
    total = 3 * 10
    status: list[int] = []
    runner = threading.Thread(target=lambda: status.append(main(args)))
    runner.start()
    deadline = time.monotonic() + 60
    done = 0
    while done < 2 and time.monotonic() < deadline and runner.is_alive():
        time.sleep(0.05)
        done = client.run_on_scheduler(_blocks_started)
    assert 0 < done < total, f"the kill must land mid-run ({done}/{total} blocks done)"
    pids = client.run(os.getpid)
    os.kill(next(iter(pids.values())), signal.SIGKILL)
    runner.join(timeout=120)
    assert not runner.is_alive()
    err = capsys.readouterr().err
    if status == [0]:
        _assert_same_values(out / f"{STEM}.zarr", _in_memory(draws, horizon))
    else:
        assert status == [1]
        assert err.startswith(ERROR_PREFIX) and err.count("\n") == 1
        assert "worker" in err
        assert _files(out) == []
    assert not [name for name in _files(out) if name.startswith(".")]
