"""What ``facility-impact`` promises when things go wrong (docs/reliability.md).

A full disk, a run too large for the memory, an output whose move into place
fails, leftovers of a killed run, numbers that overflow: each ends with exit
status 2, one line on stderr naming what the user gave (an output path, never
a hidden temporary; an option), and no file at any output's name, the
earlier outputs untouched.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from facility_impact import load_config
from facility_impact.cli import main
from facility_impact.config import reading
from facility_impact.run import budget, io, staging
from facility_impact.run.sizes import show_bytes

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "configs" / "maarat_al_numan.toml"
UNCERTAIN = REPO / "configs" / "maarat_al_numan_uncertain.toml"
ERROR = "facility-impact: error: "
SHORT = ["--horizon", "30"]


def _files(folder: Path) -> list[str]:
    """Everything in ``folder``, hidden names included; [] if absent."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _one_line(err: str) -> str:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith(ERROR), err
    assert ".part" not in lines[0] and ".old" not in lines[0], err
    return lines[0]


def _no_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail at once if a run starts drawing its parameters (the refusal must come first)."""

    def drawn(*args, **kwargs):
        raise AssertionError("the run drew its parameters before checking its memory")

    monkeypatch.setattr("facility_impact.run.workflow.build_parameters", drawn)
    monkeypatch.setattr("facility_impact.run.scale.build_parameters", drawn)


# --------------------------------------------------------------------------- full disks


def test_netcdf_on_a_disk_without_room_is_one_line_naming_the_output(tmp_path, capsys, monkeypatch):
    real = shutil.disk_usage
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: real(path)._replace(free=4096))
    out = tmp_path / "out"
    assert main(["run", str(REFERENCE), *SHORT, "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"cannot write {out / 'maarat_al_numan.nc'}: No space left on device" in line
    assert "4.1 kB are free" in line
    assert _files(out) == []


def test_a_disk_that_fills_while_writing_is_one_line_naming_the_output(
    tmp_path, capsys, monkeypatch
):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.os, "posix_fallocate", full, raising=False)
    out = tmp_path / "out"
    assert main(["run", str(REFERENCE), *SHORT, "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == f"{ERROR}cannot write {out / 'maarat_al_numan.nc'}: No space left on device"
    assert _files(out) == []


def test_a_table_that_fills_the_disk_is_named(tmp_path, capsys, monkeypatch):
    """A write to an open file fails without a file name; the table's path is given."""

    class FullWriter:
        def __init__(self, stream):
            pass

        def writerow(self, row):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.csv, "writer", FullWriter)
    out = tmp_path / "out"
    assert main(["run", str(REFERENCE), *SHORT, "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == (
        f"{ERROR}cannot write {out / 'maarat_al_numan-summary.csv'}: No space left on device"
    )
    assert _files(out) == []


def _small_filesystem_works() -> bool:
    """Whether this machine lets an unprivileged user mount a tmpfs in its own namespace."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _small_filesystem_works(), reason="no private tmpfs mounts here")
@pytest.mark.parametrize("output_format", ["netcdf", "zarr"])
def test_a_real_full_disk_is_an_error_not_a_crash(tmp_path, output_format):
    """The uncertain hospital's 2,000 draws with every draw's days (``--save daily``:
    a 12 MB NetCDF file) into a 5 MB tmpfs, mounted in a private mount namespace:
    once a segmentation fault (exit 139) after "Exception ignored" tracebacks from HDF5."""
    mount = tmp_path / "small"
    mount.mkdir()
    run = (
        f"mount -t tmpfs -o size=5m tmpfs {mount} && "
        f"{sys.executable} -m facility_impact run {UNCERTAIN} --draws 2000 "
        f"--format {output_format} --save daily --out {mount}/out; status=$?; "
        f"ls -A {mount}/out >&2; exit $status"
    )
    completed = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", run],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert completed.returncode == 2, completed.stderr
    line, *listing = completed.stderr.splitlines()
    assert listing == [], "something was left in the output folder"
    _one_line(line + "\n")
    suffix = ".zarr" if output_format == "zarr" else ".nc"
    assert f"cannot write {mount}/out/{UNCERTAIN.stem}{suffix}: No space left on device" in line


# --------------------------------------------------------------------------- all or nothing


def test_a_results_name_taken_by_a_folder_is_refused_before_simulating(
    tmp_path, capsys, monkeypatch
):
    """Once the summary table moved into place although the results could not."""
    _no_drawing(monkeypatch)
    out = tmp_path / "out"
    (out / "maarat_al_numan.nc").mkdir(parents=True)
    assert main(["run", str(REFERENCE), *SHORT, "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == f"{ERROR}cannot write {out / 'maarat_al_numan.nc'}: is a folder, not a file"
    assert _files(out) == ["maarat_al_numan.nc"]
    assert _files(out / "maarat_al_numan.nc") == []


@pytest.mark.parametrize("failing", [1, 2, 3, 4])
def test_the_results_and_their_table_move_in_together_or_not_at_all(
    tmp_path, capsys, monkeypatch, failing
):
    """Earlier outputs are there: each commit moves each aside, then the new one in
    (four moves). Whichever fails, both earlier files are as they were."""
    out = tmp_path / "out"
    assert main(["run", str(REFERENCE), *SHORT, "--out", str(out)]) == 0
    capsys.readouterr()
    before = {name: (out / name).read_bytes() for name in _files(out)}
    calls = []
    real = staging._move

    def move(source, destination):
        calls.append(source)
        if len(calls) == failing:
            raise OSError(
                errno.EXDEV, "Invalid cross-device link", str(source), None, str(destination)
            )
        real(source, destination)

    monkeypatch.setattr(staging, "_move", move)
    assert main(["run", str(REFERENCE), "--horizon", "40", "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"{ERROR}cannot write {out / 'maarat_al_numan'}")
    assert {name: (out / name).read_bytes() for name in _files(out)} == before


# --------------------------------------------------------------------------- leftovers


def _stale(path: Path) -> Path:
    stamp = time.time() - 3600
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize("quiet", [False, True])
def test_a_run_removes_the_leftovers_of_killed_runs_and_says_so(
    tmp_path, capsys, monkeypatch, quiet
):
    out = tmp_path / "out"
    out.mkdir()
    dead = 2**22 + 7  # above any Linux pid_max: no such process
    killed = out / f".maarat_al_numan.nc.{dead}.ab12cd34.part"
    killed.write_bytes(b"\x89HDF half a file")
    empty = out / ".maarat_al_numan-summary.csv.k9j8h7g6.part"  # an older version's name
    empty.write_text("")
    unrelated = out / ".maarat_al_numan.nc.notes"
    unrelated.write_text("mine")
    for path in (killed, empty, unrelated):
        _stale(path)
    args = ["run", str(REFERENCE), *SHORT, "--out", str(out), *(["-q"] if quiet else [])]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert _files(out) == sorted(
        [".maarat_al_numan.nc.notes", "maarat_al_numan-summary.csv", "maarat_al_numan.nc"]
    )
    if quiet:
        assert err == ""
    else:
        assert err.splitlines() == [
            f"facility-impact: note: removed {path}, left behind by an interrupted run"
            for path in sorted([killed, empty])
        ]


# --------------------------------------------------------------------------- memory


@pytest.mark.parametrize(
    "options",
    [
        ["--draws", "10000000"],
        ["--draws", "20000", "--horizon", "36500"],
    ],
    ids=["ten-million-draws", "a-century-of-days"],
)
def test_a_run_too_large_for_memory_is_refused_in_a_second(tmp_path, capsys, monkeypatch, options):
    _no_drawing(monkeypatch)
    out = tmp_path / "out"
    started = time.perf_counter()
    assert main(["run", str(UNCERTAIN), *options, "--out", str(out)]) == 2
    assert time.perf_counter() - started < 1.0
    line = _one_line(capsys.readouterr().err)
    assert " of memory simulated in one piece, more than the " in line
    assert "--format zarr" in line and "--chunk-draws" in line
    assert _files(out) == []


def test_max_memory_limits_a_run(tmp_path, capsys, monkeypatch):
    _no_drawing(monkeypatch)
    out = tmp_path / "out"
    args = ["run", str(UNCERTAIN), "--draws", "2000", "--out", str(out), "--max-memory", "300MB"]
    assert main(args) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"{ERROR}2,000 draws × 365 days need about ")
    assert "more than --max-memory = 300 MB" in line
    assert _files(out) == []


def test_chunks_given_that_do_not_fit_name_the_chunks_that_do(tmp_path, capsys, monkeypatch):
    _no_drawing(monkeypatch)
    shape = budget.run_shape(load_config(UNCERTAIN, draws=200_000))
    given = budget.chunk_plan(shape, 200_000, None, 1).bytes
    half = budget.chunk_plan(shape, 100_000, None, 1).bytes
    limit = (given + half) // 2
    out = tmp_path / "out"
    args = ["run", str(UNCERTAIN), "--draws", "200000", "--out", str(out), "--format", "zarr"]
    args += ["--chunk-draws", "200000", "--workers", "1", "--max-memory", str(limit)]
    assert main(args) == 2
    line = _one_line(capsys.readouterr().err)
    assert "in chunks of 200,000 draws × " in line
    assert f"need about {show_bytes(given)} of memory, more than --max-memory = " in line
    assert line.endswith(f"; --chunk-draws 100000 fits (about {show_bytes(half)})")
    assert _files(out) == []


def test_a_run_no_path_can_hold_names_the_largest_that_fits(tmp_path, capsys, monkeypatch):
    _no_drawing(monkeypatch)
    args = ["run", str(UNCERTAIN), "--draws", "10000000", "--out", str(tmp_path / "out")]
    assert main([*args, "--format", "zarr", "--max-memory", "3GB"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "more than --max-memory = 3 GB" in line
    assert "draws (--draws) fit" in line


def test_bad_max_memory_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(REFERENCE), "--out", str(tmp_path), "--max-memory", "lots"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-memory" in err and "4GB" in err


def test_sensitivity_too_large_for_memory_is_refused(tmp_path, capsys, monkeypatch):
    _no_drawing(monkeypatch)
    monkeypatch.setattr("facility_impact.run.sensitivity.build_parameters", _raise_drawn)
    args = ["sensitivity", str(UNCERTAIN), "--method", "sobol", "--draws", "100000"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "draws × 365 days need about" in line
    assert _files(tmp_path / "out") == []


def _raise_drawn(*args, **kwargs):
    raise AssertionError("the sensitivity analysis drew its parameters first")


# --------------------------------------------------------------------------- overflow

UTILISATION = "facility.<name>.services.<service>.utilisation_per_person_year"


def _without_bound(monkeypatch: pytest.MonkeyPatch, pattern: str) -> None:
    """Lift the upper bound of one key. The bounds keep numbers this large out of a
    run (test_bounds.py); the overflow guard stays behind them, and these tests reach it."""
    keys = dict(reading.KEYS)
    keys[pattern] = dataclasses.replace(keys[pattern], maximum=None)
    monkeypatch.setattr(reading, "KEYS", keys)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            "utilisation_per_person_year = 0.45\n",
            "utilisation_per_person_year = 1e308\n",
            UTILISATION,
        ),
        ("population = 40000", "population = 1e308", "facility.<name>.population"),
    ],
    ids=["volume", "population"],
)
def test_overflow_is_an_error_not_an_inf_in_a_file(tmp_path, capsys, monkeypatch, old, new, key):
    _without_bound(monkeypatch, key)
    text = REFERENCE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    config = tmp_path / "huge.toml"
    config.write_text(text.replace(old, new), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(config), *SHORT, "--out", str(out)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "overflowed" in line and "too large" in line and "nothing was written" in line
    assert _files(out) == []


def _overflowing_ensemble(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The uncertain hospital with a utilisation whose daily volume overflows float32
    (its upper bound lifted to reach it)."""
    _without_bound(monkeypatch, UTILISATION)
    text = UNCERTAIN.read_text(encoding="utf-8")
    config = tmp_path / "huge.toml"
    config.write_text(
        text.replace("utilisation_per_person_year = 0.45\n", "utilisation_per_person_year = 1e40\n")
    )
    return config


def test_overflow_of_an_ensemble_is_an_error(tmp_path, capsys, monkeypatch):
    """float32 results: a daily volume beyond float32's range overflows in the kernel."""
    config = _overflowing_ensemble(tmp_path, monkeypatch)
    out = tmp_path / "out"
    assert main(["run", str(config), "--draws", "10", *SHORT, "--out", str(out)]) == 2
    assert "overflow" in _one_line(capsys.readouterr().err)
    assert _files(out) == []


@pytest.mark.slow
def test_overflow_in_a_chunked_run_is_an_error(tmp_path, capsys, monkeypatch):
    """The kernel runs in worker processes there: they raise on overflow too."""
    config = _overflowing_ensemble(tmp_path, monkeypatch)
    out = tmp_path / "out"
    args = ["run", str(config), "--draws", "10", *SHORT, "--out", str(out), "--format", "zarr"]
    assert main(args) == 2
    assert "overflow" in _one_line(capsys.readouterr().err)
    assert _files(out) == []


@pytest.mark.slow
def test_a_chunked_run_takes_fewer_draws_per_chunk_to_fit(tmp_path, capsys):
    """Without --chunk-draws, a chunked run whose default chunks do not fit the
    limit runs in smaller ones, and says so."""
    shape = budget.run_shape(load_config(UNCERTAIN, draws=40, horizon_days=30))
    workers = budget.local_cores()
    default = budget.chunk_plan(shape, budget.DEFAULT_CHUNK_DRAWS, None, workers)
    fitted = budget.fit_chunks(shape, default.bytes - 1, workers)
    assert fitted is not None and fitted.chunk_draws < 40
    out = tmp_path / "out"
    args = ["run", str(UNCERTAIN), "--draws", "40", *SHORT, "--out", str(out)]
    assert (
        main([*args, "--format", "zarr", "--save", "daily", "--max-memory", str(default.bytes - 1)])
        == 0
    )
    captured = capsys.readouterr()
    assert captured.err == (
        f"facility-impact: note: chunks of {fitted.chunk_draws} draws (about "
        f"{show_bytes(fitted.bytes)}) to fit --max-memory = {show_bytes(default.bytes - 1)}\n"
    )
    import xarray as xr

    with xr.open_zarr(out / f"{UNCERTAIN.stem}.zarr") as stored:
        assert max(stored["served"].chunksizes["draw"]) <= fitted.chunk_draws
