"""Outputs that appear together or not at all (:mod:`facility_impact.run.staging`).

Every move of a commit is made to fail in turn (the k-th call of the one
function that renames): the targets must end exactly as they began, with no
hidden temporary or moved-aside name left, and the error must name a target,
never a temporary. Then the leftovers of killed runs: which hidden names are
removed, and which are not.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest

from facility_impact.run import io, staging

OUTPUTS = ("results.nc", "results-summary.csv", "results.zarr")
"""Two files and a store folder, as a run (NetCDF and table, or Zarr and table) writes."""


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` (hidden ones too): a file's bytes, None for a folder."""
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def _write_all(folder: Path, text: str) -> None:
    """Stage and commit the three outputs, each holding ``text``."""
    with staging.staged() as stage:
        stage.file(folder / OUTPUTS[0]).write_text(text)
        stage.file(folder / OUTPUTS[1]).write_text(text)
        store = stage.folder(folder / OUTPUTS[2])
        (store / "chunk").write_text(text)


def _fail_move_at(monkeypatch: pytest.MonkeyPatch, position: int) -> list[tuple[Path, Path]]:
    """Make the ``position``-th move (1-based) fail; the others (the undoing too) work."""
    calls: list[tuple[Path, Path]] = []
    real = staging._move

    def move(source: Path, destination: Path) -> None:
        calls.append((source, destination))
        if len(calls) == position:
            raise OSError(errno.EIO, "simulated failure", str(source), None, str(destination))
        real(source, destination)

    monkeypatch.setattr(staging, "_move", move)
    return calls


def _moves_of_a_commit(folder: Path) -> int:
    """How many moves committing the three outputs into ``folder`` makes."""
    return sum(2 if (folder / name).exists() else 1 for name in OUTPUTS)


@pytest.mark.parametrize("earlier", [False, True], ids=["new", "replacing"])
def test_every_failing_move_leaves_the_targets_as_they_were(tmp_path, monkeypatch, earlier):
    if earlier:
        _write_all(tmp_path, "earlier")
    before = _snapshot(tmp_path)
    moves = _moves_of_a_commit(tmp_path)
    assert moves == (6 if earlier else 3)
    for position in range(1, moves + 1):
        calls = _fail_move_at(monkeypatch, position)
        with pytest.raises(OSError) as error:
            _write_all(tmp_path, "new")
        assert len(calls) >= position
        assert _snapshot(tmp_path) == before, f"move {position} of {moves}"
        named = Path(error.value.filename)
        assert named.parent == tmp_path and named.name in OUTPUTS, error.value
        assert error.value.filename2 is None and "simulated failure" in str(error.value)
        monkeypatch.undo()
    # And with no failure, every output is the new one.
    _write_all(tmp_path, "new")
    assert sorted(os.listdir(tmp_path)) == sorted(OUTPUTS)
    assert (tmp_path / OUTPUTS[1]).read_text() == "new"
    assert (tmp_path / OUTPUTS[2] / "chunk").read_text() == "new"


def test_a_failure_while_writing_moves_nothing(tmp_path):
    _write_all(tmp_path, "earlier")
    before = _snapshot(tmp_path)
    with pytest.raises(RuntimeError), staging.staged() as stage:
        stage.file(tmp_path / OUTPUTS[0]).write_text("new")
        raise RuntimeError("interrupted")
    assert _snapshot(tmp_path) == before


def test_a_target_of_the_other_kind_is_never_replaced(tmp_path):
    (tmp_path / "results.nc").mkdir()
    (tmp_path / "results.zarr").write_text("a file")
    with pytest.raises(IsADirectoryError) as error, staging.staged() as stage:
        stage.file(tmp_path / "results.nc")
    assert error.value.filename == str(tmp_path / "results.nc")
    with pytest.raises(NotADirectoryError), staging.staged() as stage:
        stage.folder(tmp_path / "results.zarr")
    assert sorted(os.listdir(tmp_path)) == ["results.nc", "results.zarr"]


def test_an_error_about_a_temporary_names_its_target(tmp_path):
    with pytest.raises(OSError) as error, staging.staged() as stage:
        temporary = stage.file(tmp_path / "table.csv")
        raise OSError(errno.ENOSPC, "No space left\non device", str(temporary))
    assert error.value.errno == errno.ENOSPC
    assert error.value.filename == str(tmp_path / "table.csv")
    assert error.value.strerror == "No space left on device"
    # An error from a write to an open file names no file: it names the folder.
    with pytest.raises(OSError) as error, staging.staged() as stage:
        stage.file(tmp_path / "table.csv")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert error.value.filename == str(tmp_path)
    assert os.listdir(tmp_path) == []


def test_a_write_that_fills_the_disk_names_the_output(tmp_path, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io.os, "posix_fallocate", full, raising=False)
    with pytest.raises(OSError) as error:
        io.write_netcdf(_tiny_dataset(), tmp_path / "results.nc")
    assert error.value.filename == str(tmp_path / "results.nc")
    assert os.listdir(tmp_path) == []


def test_a_disk_without_room_is_refused_before_writing(tmp_path, monkeypatch):
    real = io.shutil.disk_usage
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: real(path)._replace(free=10))
    with pytest.raises(OSError) as error:
        io.write_netcdf(_tiny_dataset(), tmp_path / "results.nc")
    assert error.value.errno == errno.ENOSPC
    assert error.value.filename == str(tmp_path / "results.nc")
    assert "10 B are free" in error.value.strerror
    assert os.listdir(tmp_path) == []


def _tiny_dataset():
    import xarray as xr

    return xr.Dataset({"served": ("time", [1.0, 2.0, 3.0])})


# --------------------------------------------------------------------------- leftovers


def _old(path: Path, age: float = 3600) -> Path:
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def _dead_pid() -> int:
    """A process id no process has now (one above the system's largest)."""
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    except OSError:
        return 2**22 + 1


def test_leftovers_are_the_stale_temporaries_of_the_outputs_only(tmp_path):
    dead = _dead_pid()
    stale_file = tmp_path / f".results.nc.{dead}.abcd_123.part"
    stale_file.write_bytes(b"half a file")
    _old(stale_file)
    older_style = tmp_path / ".results-summary.csv.x7y8z9ab.part"  # no process id
    older_style.write_text("")
    _old(older_style)
    stale_store = tmp_path / f".results.zarr.{dead}.k2j3h4g5.part"
    (stale_store / "served").mkdir(parents=True)
    _old(stale_store)
    kept = {
        "fresh": tmp_path / f".results.nc.{dead}.fresh000.part",  # newer than the process
        "running": tmp_path / f".results.nc.{os.getpid()}.mine0000.part",
        "other output": tmp_path / f".other.nc.{dead}.abcd0000.part",
        "not ours": tmp_path / ".results.nc.notes",
        "the output": tmp_path / "results.nc",
    }
    for path in kept.values():
        if not path.exists():
            path.write_text("")
    _old(kept["running"])
    _old(kept["other output"])
    _old(kept["not ours"])
    names = ["results.nc", "results-summary.csv", "results.zarr"]
    removed = staging.remove_leftovers(tmp_path, names)
    assert removed == sorted([older_style, stale_file, stale_store])
    for what, path in kept.items():
        assert path.exists(), what
    assert staging.remove_leftovers(tmp_path, names) == []


def test_an_earlier_output_moved_aside_is_kept_while_its_target_is_gone(tmp_path):
    aside = tmp_path / f".results.nc.{_dead_pid()}.q1w2e3r4.old"
    (aside / "results.nc").parent.mkdir()
    (aside / "results.nc").write_text("the earlier results")
    _old(aside)
    assert staging.leftovers(tmp_path, ["results.nc"]) == []
    (tmp_path / "results.nc").write_text("the new results")
    assert staging.leftovers(tmp_path, ["results.nc"]) == [aside]


def test_temporaries_carry_the_process_id(tmp_path):
    with staging.staged() as stage:
        temporary = stage.file(tmp_path / "x.csv")
        assert temporary.name.startswith(f".x.csv.{os.getpid()}.")
        assert temporary.name.endswith(".part")
    assert staging.PROCESS_START <= time.time()
