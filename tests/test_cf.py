"""The files the project writes keep to CF 1.10 (docs/outputs.md).

* A focused check of the CF rules the files rely on, on the results of the
  reference and region configurations and on a sensitivity file: every unit
  parses under UDUNITS-2 (cf_units, which ships the UDUNITS-2 library), no
  string-typed variable and no text coordinate variable, coordinate variables
  strictly monotonic, every attribute text (characters) or a number, the global
  attributes, a CF time axis.
* The CF checker (cfchecker 4.1, with local standard-name, area-type and region
  tables, no network) finds no ERROR: skipped where it or the UDUNITS-2 C
  library it loads (Debian: libudunits2-0) is not installed.
* ``nccopy -k classic`` copies each file (skipped without nccopy: Debian netcdf-bin).
* A Zarr store holds no ``<U`` array and opens in xarray with names.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
from helpers import dist, minimal_config, strike, with_draws

import facility_impact
from facility_impact import commands
from facility_impact.run import cf
from facility_impact.run.io import read_netcdf
from facility_impact.variables import VARIABLES

REPO = Path(__file__).resolve().parent.parent
CONFIGS = ("maarat_al_numan", "idlib_region")
GLOBAL = ("title", "institution", "source", "history", "references", "comment", "Conventions")

STANDARD_NAMES = {"time": "s", "latitude": "degree_north", "longitude": "degree_east"}
"""The CF standard names the files use, with their canonical units (CF Standard
Name Table): the local table the checker reads. A new standard_name in the
registry fails :func:`test_the_local_standard_name_table_has_every_name_used`."""

UNITS_GRAMMAR = re.compile(
    r"(1|1e-4|d|d-1|km|degrees_north|degrees_east|\((30\.4375|365\.25) d\)-1"
    r"|days since \d{4}-\d{2}-\d{2}( 00:00:00)?)"
)
"""The UDUNITS-2 expressions the files use: what the check accepts when cf_units
is not installed (it is a test dependency; this keeps the check without it)."""


def _parses(units: str) -> bool:
    try:
        import cf_units
    except ImportError:
        return UNITS_GRAMMAR.fullmatch(units) is not None
    try:
        cf_units.Unit(units)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """The NetCDF files of the reference and region runs, of a sensitivity analysis and
    of a run with draws (``--save summary``)."""
    out = tmp_path_factory.mktemp("cf")
    files = {}
    for stem in CONFIGS:
        config = facility_impact.load_config(REPO / "configs" / f"{stem}.toml")
        files[stem] = commands.run_to_files(config, out).data_path
    uncertain = minimal_config(
        strikes=[strike(0, closure_days=dist("uniform", low=0, high=60))], seed=17
    )
    config = facility_impact.load_config(with_draws(uncertain, 20))
    files["sensitivity"] = commands.sensitivity_to_files(config, out).data_path
    # A run with draws, as run writes it by default: per-draw summaries and daily bands.
    # (With alternatives: a run without any has an empty dim, which HDF5 stores as an
    # unlimited one, whether the file keeps the draws' days or their bands.)
    path = REPO / "configs" / "maarat_al_numan_uncertain.toml"
    uncertain_run = facility_impact.load_config(path, draws=20)
    files["summary"] = commands.run_to_files(uncertain_run, out).data_path
    return files


def _attributes(path: Path) -> list[tuple[str, str, object, h5py.Datatype]]:
    """(object, attribute, value, HDF5 type) of every attribute of the file."""
    found = []
    with h5py.File(path, "r") as file:
        items = [("/", file)]
        file.visititems(lambda name, item: items.append((name, item)))
        for where, item in items:
            for name in item.attrs:
                if name in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_Netcdf4Dimid"):
                    continue  # HDF5 dimension scales: netCDF-4's own bookkeeping
                found.append((where, name, item.attrs[name], item.attrs.get_id(name).dtype))
    return found


def test_every_registry_unit_parses_under_udunits():
    for name, variable in VARIABLES.items():
        if variable.units is not None:
            assert _parses(variable.units), f"{name}: units {variable.units!r}"


def test_the_standards_units_parse_under_udunits():
    from facility_impact.results.standards import load_standards

    for name, entry in load_standards().items():
        assert _parses(entry["units"]), f"standards.{name}.units = {entry['units']!r}"


def test_the_unit_check_refuses_what_udunits_cannot_parse():
    for units in ("patient d-1", "person", "bed per 10000 person", "person-1 yr-1"):
        assert not _parses(units)
        assert UNITS_GRAMMAR.fullmatch(units) is None


def test_the_local_standard_name_table_has_every_name_used():
    used = {v.standard_name for v in VARIABLES.values() if v.standard_name}
    assert used <= set(STANDARD_NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("stem", [*CONFIGS, "sensitivity", "summary"])
def test_the_file_keeps_to_the_cf_rules_it_relies_on(written, stem):
    path = written[stem]
    with xr.open_dataset(path, engine="h5netcdf", decode_cf=False) as raw:
        assert raw.attrs["Conventions"] == "CF-1.10"
        for key in GLOBAL:
            assert isinstance(raw.attrs.get(key), str) and raw.attrs[key], key
        for name, variable in raw.variables.items():
            assert variable.dtype.kind in "fiSb", f"{name}: {variable.dtype}"
            assert variable.dtype != np.int64, f"{name}: 64-bit integers are not classic"
            if variable.dtype.kind == "S":
                assert variable.dtype.itemsize == 1 and variable.dims[-1].endswith("_strlen"), name
            if variable.dims == (name,):  # a coordinate variable: numeric, monotonic
                assert variable.dtype.kind in "fi", f"{name} is a coordinate of text"
                assert (np.diff(variable.values) > 0).all(), f"{name} not increasing"
            assert variable.attrs.get("long_name") or variable.attrs.get("standard_name"), name
            if "units" in variable.attrs:
                assert _parses(variable.attrs["units"]), f"{name}: {variable.attrs['units']!r}"
            for listed in str(variable.attrs.get("coordinates", "")).split():
                assert listed in raw.variables, f"{name} names {listed}"
        if "time" in raw.variables:
            time = raw["time"].attrs
            assert time["standard_name"] == "time" and time["axis"] == "T"
            assert time["calendar"] == cf.CALENDAR
            assert re.fullmatch(r"days since \d{4}-\d{2}-\d{2}", time["units"])
    for where, name, value, kind in _attributes(path):
        string = h5py.check_string_dtype(kind)
        if string is not None:
            assert string.length is not None, f"{where}:{name} is a variable-length string"
        else:
            assert np.asarray(value).dtype.kind in "fi", f"{where}:{name} = {value!r}"
            assert np.asarray(value).dtype != np.int64, f"{where}:{name} is a 64-bit integer"


@pytest.mark.slow
def test_time_is_dated_by_the_start_date_and_reads_back_as_dates(written):
    with xr.open_dataset(written["maarat_al_numan"], engine="h5netcdf", decode_times=False) as raw:
        assert raw["time"].attrs["units"] == "days since 2016-02-15"
        assert raw["time"].values[0] == 0
    results = read_netcdf(written["maarat_al_numan"])
    assert results["time"].values[0] == np.datetime64("2016-02-15")
    assert list(results["facility"].values) == ["maarat_al_numan"]


def test_an_undated_run_counts_days_from_the_conventional_epoch(tmp_path):
    config = facility_impact.load_config(minimal_config(strikes=[strike(0)], horizon_days=20))
    outcome = commands.run_to_files(config, tmp_path)
    with xr.open_dataset(outcome.data_path, engine="h5netcdf", decode_times=False) as raw:
        assert raw["time"].attrs["units"] == f"days since {cf.UNDATED_EPOCH}"
        assert raw["time"].attrs["comment"] == cf.UNDATED_COMMENT
        assert list(raw["time"].values) == list(range(20))
    with xr.open_dataset(outcome.data_path, engine="h5netcdf") as plain:  # any CF reader
        assert str(plain["time"].values[0])[:10] == "1970-01-01"
        assert list(plain["facility_name"].values) == list(config.facilities)
    xr.testing.assert_identical(read_netcdf(outcome.data_path), facility_impact.simulate(config))


def test_a_string_dim_is_an_index_and_labels_and_reads_back_as_names():
    dataset = xr.Dataset(
        {"x": (("place", "when"), np.ones((2, 3)))},
        coords={"place": ["Maʿarrat", "b"], "when": [0.5, 1.5, 2.5]},
    )
    laid, encoding = cf.to_netcdf_layout(dataset)
    assert list(laid["place"].values) == [0, 1]
    assert list(laid["place_name"].values) == ["Maʿarrat", "b"]
    assert encoding["place_name"] == {"dtype": "S1", "char_dim_name": "place_name_strlen"}
    assert laid.attrs["Conventions"] == cf.CONVENTIONS
    back = cf.from_netcdf_layout(laid.drop_vars([]))
    xr.testing.assert_identical(back.drop_attrs(), dataset)


def _cf_checker():
    try:
        from cfchecker import cfchecks
    except (ImportError, OSError, AttributeError) as error:  # cfunits loads libudunits2
        pytest.skip(f"cfchecker cannot run here ({type(error).__name__}: {error})")
    return cfchecks


def _tables(folder: Path) -> dict[str, str]:
    """Local standard-name, area-type and region tables for the checker (no network)."""
    entries = "".join(
        f'<entry id="{name}"><canonical_units>{units}</canonical_units></entry>'
        for name, units in STANDARD_NAMES.items()
    )
    texts = {
        "cfStandardNamesXML": "<standard_name_table><version_number>local</version_number>"
        f"<last_modified>local</last_modified>{entries}</standard_name_table>",
        "cfAreaTypesXML": "<area_type_table><version_number>local</version_number>"
        "<date>local</date></area_type_table>",
        "cfRegionNamesXML": "<standard_region_list><version_number>local</version_number>"
        "<date>local</date></standard_region_list>",
    }
    paths = {}
    for key, text in texts.items():
        path = folder / f"{key}.xml"
        path.write_text(f'<?xml version="1.0"?>\n{text}\n', encoding="utf-8")
        paths[key] = str(path)
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("stem", [*CONFIGS, "sensitivity", "summary"])
def test_the_cf_checker_finds_no_error(written, stem, tmp_path, monkeypatch):
    cfchecks = _cf_checker()
    # cfchecker 4.1 (the latest release) knows CF versions up to 1.8: CF-1.10 is
    # added to its list, so that it applies all its rules (those of 1.8, which
    # 1.10 keeps) instead of refusing the Conventions attribute.
    cf_1_10 = cfchecks.CFVersion((1, 10))
    monkeypatch.setattr(cfchecks, "cfVersions", [*cfchecks.cfVersions, cf_1_10])
    checker = cfchecks.CFChecker(version=cf_1_10, silent=True, **_tables(tmp_path))
    results = checker.checker(str(written[stem]))
    problems = [
        f"{category} {where}: {message}"
        for where, found in [("global", results["global"]), *results["variables"].items()]
        for category in ("FATAL", "ERROR", "WARN")
        for message in found.get(category, [])
    ]
    # No warning either (a sweep's dim, whose key has units, still lacks them).
    assert problems == []
    assert checker.get_total_counts()["ERROR"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("stem", [*CONFIGS, "sensitivity", "summary"])
def test_nccopy_converts_the_file_to_classic_netcdf(written, stem, tmp_path):
    if shutil.which("nccopy") is None:
        pytest.skip("nccopy is not installed (Debian: netcdf-bin)")
    target = tmp_path / f"{stem}-classic.nc"
    done = subprocess.run(
        ["nccopy", "-k", "classic", str(written[stem]), str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with xr.open_dataset(target, engine="scipy", decode_times=False) as classic:
        assert classic.attrs["Conventions"] == "CF-1.10"


@pytest.mark.slow
def test_a_zarr_store_holds_no_unicode_arrays_and_opens_with_names(tmp_path):
    zarr = pytest.importorskip("zarr")
    uncertain = minimal_config(
        strikes=[strike(0, closure_days=dist("uniform", low=0, high=60))], seed=17
    )
    config = facility_impact.load_config(with_draws(uncertain, 8))
    outcome = commands.run_to_files(config, tmp_path, output_format="zarr", chunks={"draw": 4})
    root = zarr.open_group(str(outcome.data_path), mode="r")
    groups = [root, root["per_run"]]
    kinds = {f"{g.path}/{n}": g[n].dtype.kind for g in groups for n in g.array_keys()}
    assert "U" not in kinds.values() and "O" not in kinds.values(), kinds
    assert kinds["/facility"] == "S"
    with xr.open_zarr(outcome.data_path) as stored:
        assert list(stored["facility"].values) == list(config.facilities)
