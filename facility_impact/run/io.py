"""Files: results to NetCDF or Zarr, tables to CSV. Every write goes to a
temporary name in the target folder and is moved into place only when complete,
so a failed run never leaves a half-written or overwritten output behind."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import tempfile
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import xarray as xr

from facility_impact.errors import ConfigError
from facility_impact.results.summary_table import summary_table

NETCDF_ENGINE: Final = "h5netcdf"

ZARR_FORMAT = 2
"""Zarr format version written. Version 3 has no stable encoding yet for the
fixed-width strings of the label coordinates (zarr-python warns that such
stores may become unreadable); version 2 is read by every Zarr library."""


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
        _default_permissions(temporary_path, 0o666)
        os.replace(temporary_path, target)
    finally:
        temporary_path.unlink(missing_ok=True)


def _default_permissions(path: Path, mode: int) -> None:
    """Give ``path`` the permissions a plain write would (``mode`` less the umask):
    mkstemp and mkdtemp make private ones."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; put it at ``target`` on success.

    For outputs that are folders (a Zarr store). On any exception the temporary
    folder is removed and ``target`` is untouched. A ``target`` that exists is
    replaced only once the new folder is complete.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        yield temporary
        _default_permissions(temporary, 0o777)
        if target.exists() or target.is_symlink():
            # A folder cannot be renamed onto a non-empty one: move the old one
            # aside first, then remove it once the new one is in place.
            aside = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            )
            old = aside / target.name
            os.replace(target, old)
            os.replace(temporary, target)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def save_netcdf(results: xr.Dataset, path: str | Path) -> None:
    """Write ``results`` to NetCDF-4 at ``path`` (not atomic: see :func:`write_netcdf`)."""
    # Level 1 with the byte shuffle: for 20,000 draws of the reference hospital,
    # 5.0 s and 100 MiB against 8.5 s and 104 MiB at level 4 without it
    # (the days of a flow change slowly, so shuffled bytes compress well).
    encoding = {
        name: {"zlib": True, "complevel": 1, "shuffle": True}
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


def write_with_table(
    dataset: xr.Dataset, netcdf: str | Path, tabulated: xr.Dataset, table: str | Path
) -> None:
    """``dataset`` as NetCDF at ``netcdf`` and ``tabulated`` as a CSV table at
    ``table`` (:func:`~facility_impact.results.summary_table.summary_table`):
    both files appear, or neither does and any earlier ones stay as they were."""
    header, rows = summary_table(tabulated)
    with atomic_paths(netcdf, table) as (netcdf_part, table_part):
        save_netcdf(dataset, netcdf_part)
        save_csv(header, rows, table_part)


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
    """Write a table as CSV at ``path`` (not atomic: write into :func:`atomic_path`)."""
    with Path(path).open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)


def zarr_store(
    results: xr.Dataset,
    path: str | Path,
    encoding: Mapping[Hashable, Mapping[str, Any]] | None = None,
) -> None:
    """Lay out a Zarr store for ``results`` at ``path``: every name, coordinate,
    attribute and in-memory variable, and empty arrays chunked as the dask-backed
    variables, to be filled block by block (``scale.fill_zarr_store``).

    Not atomic on its own: write into :func:`atomic_directory`. Float arrays are
    compressed with Zarr's default codec. ``encoding``: per variable, e.g. the
    store's ``chunks`` when they differ from the dask chunks.
    """
    # compute=False: the dask variables' chunks are written by the block tasks,
    # so the delayed write xarray returns is dropped.
    results.to_zarr(
        path,
        mode="w",
        compute=False,
        zarr_format=ZARR_FORMAT,
        consolidated=True,
        encoding=encoding or {},
    )
