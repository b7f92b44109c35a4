"""Files: results to NetCDF, tables to CSV. Every write goes to a temporary name
in the target folder and is moved into place only when complete, so a failed
run never leaves a half-written or overwritten output behind."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import xarray as xr

from facility_impact.errors import ConfigError

NETCDF_ENGINE = "h5netcdf"


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        # mkstemp makes the file private; give it the permissions a plain write would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary_path, 0o666 & ~umask)
        os.replace(temporary_path, target)
    finally:
        temporary_path.unlink(missing_ok=True)


def save_netcdf(results: xr.Dataset, path: str | Path) -> None:
    """Write ``results`` to NetCDF-4 at ``path`` (not atomic: see :func:`write_netcdf`)."""
    encoding = {
        name: {"zlib": True, "complevel": 4}
        for name, variable in results.data_vars.items()
        if variable.dtype.kind == "f"
    }
    results.to_netcdf(path, mode="w", engine=NETCDF_ENGINE, encoding=encoding)


@contextlib.contextmanager
def atomic_paths(*targets: str | Path) -> Iterator[list[Path]]:
    """Temporary paths for several outputs that appear together or not at all.

    All are moved into place only after the block finished for every one of
    them; a failure while writing any leaves every target as it was.
    """
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(atomic_path(target)) for target in targets]


def write_netcdf(results: xr.Dataset, target: str | Path) -> Path:
    """Write ``results`` to NetCDF-4 at ``target`` atomically, compressed."""
    with atomic_path(target) as temporary:
        save_netcdf(results, temporary)
    return Path(target)


def read_netcdf(source: str | Path) -> xr.Dataset:
    """Read a results file fully into memory; a missing or unreadable file is a ConfigError."""
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"{path}: results file not found")
    try:
        with xr.open_dataset(path, engine=NETCDF_ENGINE) as dataset:
            return dataset.load()
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable NetCDF results file ({error})") from None


def save_csv(header: Sequence[str], rows: Sequence[Sequence[object]], path: str | Path) -> None:
    """Write a table as CSV at ``path`` (not atomic: see :func:`write_csv`)."""
    with Path(path).open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)


def write_csv(header: Sequence[str], rows: Sequence[Sequence[object]], target: str | Path) -> Path:
    """Write a table as CSV at ``target`` atomically."""
    with atomic_path(target) as temporary:
        save_csv(header, rows, temporary)
    return Path(target)
