"""The layout of the files the project writes: CF-1.10 NetCDF, and Zarr without ``<U`` arrays.

In memory, results, summaries and sensitivity indices are labelled by names
(``facility = "maarat_al_numan"``). In a NetCDF file (:func:`to_netcdf_layout`,
read back by :func:`from_netcdf_layout`):

* a string-valued dim (``facility``, ``service``, ``resource``, ``alternative``,
  ``scenario``, ``outcome``, ``input``, a string-valued sweep key) becomes what
  CF 1.10 has for a string-valued axis: an integer index coordinate variable
  ``facility = 0, 1, …`` and a label variable ``facility_name(facility,
  facility_name_strlen)`` of characters (CF §6.1), named in each data
  variable's ``coordinates`` attribute. A CF coordinate variable is numeric and
  strictly monotonic; variable-length strings are neither classic NetCDF nor
  allowed for it;
* every other text variable (``facility_label``, ``strike_facility``, …) is a
  fixed-length character array, UTF-8 (``_Encoding``);
* ``time`` carries ``standard_name``, ``axis``, ``calendar`` and a reference
  date: ``days since <run.start_date>``; without a start date, ``days since
  1970-01-01`` by convention (the Unix epoch: every CF reader decodes it, where
  a year-1 epoch fails in xarray without cftime), said in its ``comment``;
* integers are 32-bit where they fit, and every attribute is text or a number,
  so that ``nccopy -k classic`` can copy the file;
* the global attributes of CF (:func:`global_attributes`).

A Zarr store (:func:`to_zarr_layout`) keeps names as dims, stored as fixed-length
UTF-8 bytes (``|S<n>``), which xarray reads back as strings by itself.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Final

import numpy as np
import xarray as xr

from facility_impact.model.outputs import time_attributes
from facility_impact.variables import VARIABLES
from facility_impact.version import __version__

CONVENTIONS: Final = "CF-1.10"

LABEL_SUFFIX: Final = "_name"
"""A string-valued dim ``d`` is stored as an integer index ``d`` and labels ``d_name``."""

UNDATED_EPOCH: Final = "1970-01-01"
"""The reference date of ``time`` for a configuration without ``run.start_date``."""

CALENDAR: Final = "proleptic_gregorian"

UNDATED_COMMENT: Final = (
    "The configuration gives no run.start_date: the value is the number of the "
    f"simulated day from day 0, and the reference date {UNDATED_EPOCH} is a "
    "convention that stands for no real date (read the values as day numbers)."
)

_INT32 = np.iinfo(np.int32)

DEFAULT_COMMENT: Final = (
    "Simulated, not observed. Quantities in units of 1 or d-1 count what their "
    "long_name says (patients, people, patient contacts of all kinds); the "
    "configuration that produced the file is in the attribute configuration."
)

REFERENCES: Final = (
    "facility_impact documentation: docs/model.md (equations and variables) and "
    "docs/outputs.md (the layout of its files)"
)


def global_attributes(attrs: Mapping[str, Any], history: str | None = None) -> dict[str, Any]:
    """``attrs`` with the global attributes of CF 1.10 that it lacks: ``title``,
    ``institution``, ``source``, ``history``, ``references``, ``comment`` and
    ``Conventions`` (always ``CF-1.10``).

    ``history`` defaults to the program and version. It carries no time of day,
    so that the same configuration and seed give the same bytes (the file's
    modification time says when it was written).
    """
    name = attrs.get("configuration_name")
    defaults = {
        "title": f"facility_impact results of {name}" if name else "facility_impact output",
        "institution": "not stated (the configuration names none)",
        "source": f"facility_impact {__version__}",
        "history": history or f"facility_impact {__version__}",
        "references": REFERENCES,
        "comment": DEFAULT_COMMENT,
    }
    filled = {**attrs, **{k: v for k, v in defaults.items() if not attrs.get(k)}}
    filled["Conventions"] = CONVENTIONS
    return filled


def _is_text(variable: xr.Variable) -> bool:
    if variable.dtype.kind == "U":
        return True
    if variable.dtype.kind != "O":
        return False
    return all(isinstance(value, str) for value in variable.values.ravel())


def _described(key: Hashable, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``attrs`` with a ``long_name`` (the registry's for ``key``, else ``key``) where
    it has neither that nor a ``standard_name``: CF asks one of them of every variable."""
    if "long_name" in attrs or "standard_name" in attrs:
        return dict(attrs)
    entry = VARIABLES.get(str(key))
    return {**attrs, "long_name": entry.long_name if entry else str(key)}


def _plain(key: Hashable, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`_described`: without the ``long_name`` it added where the
    registry gives ``key`` none in memory."""
    entry = VARIABLES.get(str(key))
    added = entry.long_name if entry else str(key)
    keeps = entry is not None and "long_name" in entry.attributes
    if not keeps and attrs.get("long_name") == added:
        return {k: v for k, v in attrs.items() if k != "long_name"}
    return dict(attrs)


INDEX_DIMS: Final = ("strike", "draw")
"""Numbered dims: in a file their coordinate gets units 1, as every index does."""


def _indexed(dataset: xr.Dataset) -> xr.Dataset:
    """Every string-valued dim as an integer index plus a label variable."""
    for dim in list(dataset.dims):
        if dim not in dataset.coords or not _is_text(dataset[dim].variable):
            continue
        label = f"{dim}{LABEL_SUFFIX}"
        if label in dataset.variables:
            raise ValueError(f"cannot store dim {dim!r}: a variable {label!r} exists")
        names = dataset[dim]
        dataset = dataset.assign_coords(
            {
                dim: (dim, np.arange(names.size), {"long_name": f"index of {dim}", "units": "1"}),
                label: (dim, names.values.astype(str), _described(dim, names.attrs)),
            }
        )
    return dataset


def _detached(dataset: xr.Dataset) -> list[Hashable]:
    """Coordinates that no data variable has all the dims of: netCDF can only name
    a coordinate in a variable's ``coordinates`` attribute (xarray would otherwise
    write a global one, which is no CF attribute); they are stored as variables."""
    return [
        name
        for name, coordinate in dataset.coords.items()
        if name not in dataset.dims
        and not any(
            set(coordinate.dims) <= set(variable.dims) for variable in dataset.data_vars.values()
        )
    ]


def _time(dataset: xr.Dataset) -> xr.Dataset:
    """``time`` as a CF time coordinate: reference date, calendar, axis."""
    if "time" not in dataset.coords:
        return dataset
    time = dataset["time"]
    cf = {"standard_name": "time", "axis": "T"}
    if np.issubdtype(time.dtype, np.datetime64):
        start = dataset.attrs.get("start_date") or str(time.values[0].astype("datetime64[D]"))
        dataset = dataset.assign_coords(time=time.variable.copy())
        dataset["time"].attrs = {**time.attrs, **cf}
        dataset["time"].encoding = {
            "units": f"days since {start}",
            "calendar": CALENDAR,
            "dtype": "int32",
        }
        return dataset
    attrs = {
        **{k: v for k, v in time.attrs.items() if k != "units"},
        **cf,
        "units": f"days since {UNDATED_EPOCH}",
        "calendar": CALENDAR,
        "comment": UNDATED_COMMENT,
    }
    return dataset.assign_coords(time=("time", time.values, attrs))


def _classic_attribute(value: Any) -> Any:
    """An attribute classic NetCDF can hold: integers in 32 bits where they fit."""
    if isinstance(value, bool | np.bool_):
        return np.int8(value)
    if isinstance(value, int | np.integer) and _INT32.min <= value <= _INT32.max:
        return np.int32(value)
    return value


def to_netcdf_layout(dataset: xr.Dataset) -> tuple[xr.Dataset, dict[Hashable, dict[str, Any]]]:
    """``dataset`` laid out for a CF-1.10 NetCDF file, and the encoding of its variables.

    The text of attributes is written as characters by :mod:`facility_impact.run.io`
    (h5netcdf writes it as variable-length strings, which classic NetCDF lacks).
    """
    laid = dataset.copy()
    laid.attrs = {k: _classic_attribute(v) for k, v in global_attributes(dataset.attrs).items()}
    laid = _time(_indexed(laid))
    for dim in INDEX_DIMS:
        if dim in laid.coords and "units" not in laid[dim].attrs:
            laid[dim].attrs = {**laid[dim].attrs, "units": "1"}
    laid = laid.reset_coords(_detached(laid))
    encoding: dict[Hashable, dict[str, Any]] = {}
    for name, variable in laid.variables.items():
        described = _described(name, variable.attrs)
        variable.attrs = {k: _classic_attribute(v) for k, v in described.items()}
        if _is_text(variable):
            encoding[name] = {"dtype": "S1", "char_dim_name": f"{name}_strlen"}
        elif variable.dtype.kind == "i" and _fits_int32(variable.values):
            encoding[name] = {"dtype": "int32"}
        elif variable.dtype.kind == "f" and name in laid.data_vars:
            # Level 1 with the byte shuffle: for 20,000 draws of the reference
            # hospital, 5.0 s and 100 MiB against 8.5 s and 104 MiB at level 4
            # without it (the days of a flow change slowly: shuffled bytes compress well).
            encoding[name] = {"zlib": True, "complevel": 1, "shuffle": True}
    if "time" in laid.coords:
        encoding["time"] = {**encoding.get("time", {}), **laid["time"].encoding}
    return laid, encoding


def _fits_int32(values: np.ndarray) -> bool:
    return values.size == 0 or bool(_INT32.min <= values.min() and values.max() <= _INT32.max)


def _registry_coordinate(name: Hashable) -> bool:
    entry = VARIABLES.get(str(name))
    return entry is not None and (entry.kind == "coordinate" or entry.in_results == "coordinate")


def _dated(dataset: xr.Dataset) -> xr.Dataset:
    """``time`` of a file back to dates (with a start date) or day numbers (without)."""
    time = dataset["time"]
    units = str(time.attrs.get("units", ""))
    start = dataset.attrs.get("start_date")
    if " since " not in units:
        return dataset
    days = time.values.astype(np.int64)
    if start:
        epoch = np.datetime64(units.split(" since ", 1)[1].strip().split(" ")[0], "s")
        values: np.ndarray = epoch + days * np.timedelta64(86400, "s")
    else:
        values = days
    return dataset.assign_coords(time=("time", values, time_attributes(bool(start))))


def from_netcdf_layout(dataset: xr.Dataset) -> xr.Dataset:
    """Inverse of :func:`to_netcdf_layout` for a file opened with ``decode_times=False``:
    names back as dims, ``time`` as dates or day numbers, integers as 64-bit. Files
    written before this layout (string dims, dated ``time``) read the same."""
    dataset = dataset.set_coords([n for n in dataset.data_vars if _registry_coordinate(n)])
    for dim in list(dataset.dims):
        label = f"{dim}{LABEL_SUFFIX}"
        if dim in dataset.coords and label in dataset.variables:
            names = dataset[label]
            if names.dims == (dim,) and dataset[dim].dtype.kind == "i":
                plain = _plain(dim, names.attrs)
                dataset = dataset.drop_vars(label).assign_coords(
                    {dim: (dim, names.values.astype(object), plain)}
                )
    for name, variable in dataset.variables.items():
        variable.attrs = _plain(name, variable.attrs)
        if name in INDEX_DIMS and variable.attrs.get("units") == "1":
            variable.attrs = {k: v for k, v in variable.attrs.items() if k != "units"}
    if "time" in dataset.coords:
        dataset = _dated(dataset)
    narrow = [name for name, v in dataset.variables.items() if v.dtype == np.int32]
    coordinates = {n: dataset[n].variable.astype(np.int64) for n in narrow if n in dataset.coords}
    variables = {n: dataset[n].variable.astype(np.int64) for n in narrow if n not in coordinates}
    return dataset.assign_coords(coordinates).assign(variables)


def to_zarr_layout(dataset: xr.Dataset) -> dict[Hashable, dict[str, Any]]:
    """The encoding that stores every text variable of ``dataset`` as fixed-length
    UTF-8 bytes in Zarr (never ``<U``, which other Zarr readers cannot take)."""
    return {name: {"dtype": "S1"} for name, v in dataset.variables.items() if _is_text(v)}
