"""Files: results to NetCDF or Zarr, tables to CSV. Every write goes to a
temporary name in the target folder and is moved into place only when complete,
together with the other outputs of the same command
(:mod:`facility_impact.run.staging`), so a failed run never leaves a
half-written or overwritten output behind, and a full disk is an error naming
the output, never a crash."""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import shutil
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import h5py
import numpy as np
import xarray as xr

from facility_impact.errors import ConfigError
from facility_impact.results.summary_table import tidy_table
from facility_impact.run import cf
from facility_impact.run.sizes import show_bytes
from facility_impact.run.staging import staged

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
    with staged() as staging:
        yield staging.file(target)


@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; put it at ``target`` on success.

    For outputs that are folders (a Zarr store). On any exception the temporary
    folder is removed and ``target`` is untouched. A ``target`` that exists is
    replaced only once the new folder is complete.
    """
    with staged() as staging:
        yield staging.folder(target)


def netcdf_image(results: xr.Dataset) -> memoryview:
    """The bytes of ``results`` as a compressed CF-1.10 NetCDF-4 file, made in memory.

    The layout (labels as characters, ``time`` with a reference date, the global
    attributes) is :func:`facility_impact.run.cf.to_netcdf_layout`'s; the text
    attributes are then rewritten as characters (:func:`_character_attributes`),
    so that the file keeps to the classic data model (``nccopy -k classic``).

    The HDF5 library behind h5netcdf (the one NetCDF-4 writer here: netCDF4 is
    not a dependency, and scipy writes NetCDF-3 only) does not survive a disk
    that fills while it writes: it prints "Exception ignored" tracebacks while
    closing and the interpreter then dies of a segmentation fault (measured: 3
    of 3 runs on a full 5 MB tmpfs). So HDF5 writes into memory, where a full
    disk cannot reach it, and the file is then written with plain Python I/O
    (:func:`write_image`), whose errors are ordinary exceptions. The image costs
    its compressed size in memory (1/18 of the outputs for 10,000 draws of the
    uncertain reference hospital), which the memory estimate counts.
    """
    laid, encoding = cf.to_netcdf_layout(results)
    image: memoryview = laid.to_netcdf(None, engine=NETCDF_ENGINE, encoding=encoding)
    return _character_attributes(image)


def _character_attributes(image: memoryview) -> memoryview:
    """``image`` with every variable-length string attribute (h5netcdf's way of
    writing text, NC_STRING) rewritten as fixed-length UTF-8 text (NC_CHAR), which
    classic NetCDF and every CF tool read."""
    buffer = io.BytesIO(image)
    with h5py.File(buffer, "r+") as file:
        _characters(file.attrs)
        file.visititems(lambda _, item: _characters(item.attrs))
    return buffer.getbuffer()


def _characters(attrs: Any) -> None:
    for name in list(attrs):
        kind = h5py.check_string_dtype(attrs.get_id(name).dtype)
        value = attrs[name]
        if kind is None or kind.length is not None or not isinstance(value, str):
            continue
        text = value.encode("utf-8")
        attrs.create(name, np.array(text, dtype=h5py.string_dtype("utf-8", max(1, len(text)))))


def write_image(image: memoryview | bytes, path: Path, target: str | Path | None = None) -> None:
    """Write ``image`` to ``path`` (a staged temporary of ``target``, the name errors give).

    A folder without room for it is an ``OSError`` (``ENOSPC``) before anything
    is written; the space is reserved before writing where the file system
    allows, so a disk that fills meanwhile fails the reservation, not the
    write. Either way the error is an exception, never a crash.
    """
    name = str(path if target is None else target)
    size = len(image)
    free = shutil.disk_usage(path.parent).free
    if size > free:
        raise OSError(
            errno.ENOSPC,
            f"No space left on device (the file needs {show_bytes(size)}, "
            f"{show_bytes(free)} are free)",
            name,
        )
    with naming(name), path.open("wb") as stream:
        _reserve(stream.fileno(), size)
        stream.write(image)


@contextlib.contextmanager
def naming(name: str) -> Iterator[None]:
    """Errors of writes to an open file (or a store) name no file: give them ``name``."""
    try:
        yield
    except OSError as error:
        if error.filename is not None:
            raise
        raise OSError(error.errno, error.strerror or str(error), name) from None


def _reserve(descriptor: int, size: int) -> None:
    """Allocate ``size`` bytes of disk for the open file ``descriptor``, if the
    system can; a full disk is an ``OSError``, a file system that cannot reserve is
    no error (the write that follows then finds out)."""
    allocate = getattr(os, "posix_fallocate", None)
    if allocate is None or size == 0:
        return
    try:
        allocate(descriptor, 0, size)
    except OSError as error:
        if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise


def save_netcdf(results: xr.Dataset, path: str | Path) -> None:
    """Write ``results`` to NetCDF-4 at ``path`` (not atomic: see :func:`write_netcdf`)."""
    write_image(netcdf_image(results), Path(path))


@contextlib.contextmanager
def atomic_paths(*targets: str | Path) -> Iterator[list[Path]]:
    """Temporary paths for several outputs that appear together or not at all.

    All are moved into place only after the block finished for every one of
    them; a failure while writing any, or while moving any into place, leaves
    every target as it was (:mod:`facility_impact.run.staging`).
    """
    with staged() as staging:
        yield [staging.file(target) for target in targets]


def write_netcdf(results: xr.Dataset, target: str | Path) -> Path:
    """Write ``results`` to NetCDF-4 at ``target`` atomically, compressed."""
    image = netcdf_image(results)
    with atomic_path(target) as temporary:
        write_image(image, temporary, target)
    return Path(target)


def check_finite(summary: xr.Dataset) -> None:
    """An infinite number where a summary has only finite ones (all but days to
    capacity, ``inf`` when not back within the horizon) is bad input: an input
    too large to compute with (Python's own floats overflow to ``inf`` silently).
    Never an ``inf`` in a table."""
    for name, variable in summary.data_vars.items():
        if name == "days_to_capacity" or variable.dtype.kind != "f":
            continue
        if np.isinf(variable.values).any():
            raise ConfigError(
                f"numbers overflowed while computing the results (the summary's {name} "
                "is infinite): an input of the configuration is too large to compute "
                "with; nothing was written"
            )


def write_with_table(
    dataset: xr.Dataset,
    netcdf: str | Path,
    tabulated: xr.Dataset,
    table: str | Path,
    others: Mapping[Path, bytes] | None = None,
) -> None:
    """``dataset`` as NetCDF at ``netcdf`` and ``tabulated`` as a CSV table at
    ``table`` (:func:`~facility_impact.results.summary_table.tidy_table`), and
    each of ``others`` (target → content: figures, a report): all files appear,
    or none does and any earlier ones stay as they were. A table with an
    infinite number is refused (:func:`check_finite`)."""
    check_finite(tabulated)
    header, rows = tidy_table(tabulated)
    image = netcdf_image(dataset)
    others = others or {}
    with atomic_paths(netcdf, table, *others) as (netcdf_part, table_part, *other_parts):
        write_image(image, netcdf_part, netcdf)
        save_csv(header, rows, table_part)
        for part, (target, content) in zip(other_parts, others.items(), strict=True):
            write_image(content, part, target)


def read_netcdf(source: str | Path) -> xr.Dataset:
    """Read a results file fully into memory, labelled by names as in memory
    (:func:`facility_impact.run.cf.from_netcdf_layout`); a missing or unreadable
    file is a ConfigError."""
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"{path}: results file not found")
    try:
        with xr.open_dataset(path, engine=NETCDF_ENGINE, decode_times=False) as dataset:
            return cf.from_netcdf_layout(dataset.load())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable NetCDF results file ({error})") from None


def save_csv(header: Sequence[str], rows: Sequence[Sequence[object]], path: str | Path) -> None:
    """Write a table as CSV at ``path`` (not atomic: write into :func:`atomic_path`)."""
    with naming(str(path)), Path(path).open("w", newline="", encoding="utf-8") as stream:
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
    compressed with Zarr's default codec; text (names, labels) is stored as
    fixed-length UTF-8 bytes (:func:`facility_impact.run.cf.to_zarr_layout`).
    ``encoding``: per variable, e.g. the store's ``chunks`` when they differ from
    the dask chunks.
    """
    # compute=False: the dask variables' chunks are written by the block tasks,
    # so the delayed write xarray returns is dropped.
    text = cf.to_zarr_layout(results)
    results.to_zarr(
        path,
        mode="w",
        compute=False,
        zarr_format=ZARR_FORMAT,
        consolidated=True,
        encoding={**text, **(encoding or {})},
    )
