"""The variable registry (data/variables.toml) and what derives from it: the
kernel's declared inputs, the parameter builder, the kernel's outputs and the
attributes of the results."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from helpers import minimal_config

from facility_impact import load_config, simulate
from facility_impact.model.inputs import KERNEL_INPUTS
from facility_impact.model.kernel import run_model
from facility_impact.model.outputs import KERNEL_LAYOUT
from facility_impact.model.parameters import CARRIED, build_parameters
from facility_impact.run.workflow import simulate_parameters
from facility_impact.variables import (
    ATTRIBUTE_FIELDS,
    KINDS,
    OUTPUT_VARIABLES,
    PARAMETERS,
    RESERVED_DIMS,
    STRUCTURAL_DIMS,
    SUMMARY_DIMS,
    VARIABLES,
)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

# The names a sweep dim could not take before the registry held them all
# (structural dims, parameters, outputs and the coordinates and indicators of
# results and summaries): the registry keeps exactly these.
RESERVED_BEFORE = {
    *("facility", "destination_facility", "service", "resource", "strike", "alternative"),
    *("time", "outcome", "input", "draw", "scenario", "day", "period", "threshold"),
    *("quantile", "indicator", "moment", "strike_day", "strike_closure_days"),
    *("strike_facility", "strike_label", "facility_label", "alternative_label"),
    *("scenario_label", "input_keys", "input_quantile", "outcome_label", "outcome_source"),
    *("opens_day", "closes_day", "baseline_volume_per_month", "demand_total", "forgone_care"),
    *("served_elsewhere_total", "forgone_share", "capacity_loss_days", "coverage"),
    *("person_days_without_access", "days_to_capacity", "backlog_at_horizon"),
    *("not_recovered_share", "indicative_outcome", "standard_value", "standard_threshold"),
    *("meets_standard", "days_at_full_capacity", "arrivals_total", "received_total"),
    *("overflow_total", "available", "capacity", "demand", "served", "served_elsewhere"),
    *("unmet", "abandoned", "backlog", "arrivals", "received", "population"),
    *("baseline_capacity", "baseline_quantity", "is_open", "received_by_alternative"),
    *("population_baseline", "facility_opens_day", "facility_closes_day"),
    *("network_distance_km", "demand_ratio", "dependency_weight", "deferrable_share"),
    *("backlog_attrition", "willingness_to_travel", "distance_decay_km", "demand_multiplier"),
    *("displacement_share", "displacement_curve", "displacement_time_days"),
    *("displacement_mean_days", "displacement_sd_days", "displacement_start_day"),
    *("strike_damage", "strike_casualties", "strike_target", "strike_casualty_service"),
    *("recovery_curve", "recovery_time_days", "recovery_mean_days", "recovery_sd_days"),
    *("recovery_delay_days", "recoverable_share", "alternative_distance_km"),
    *("alternative_spare_capacity", "alternative_capacity", "alternative_opens_day"),
    *("outcome_rate", "outcome_service"),
}

# Attributes of the coordinates and carried parameters that used to be written
# inline in the simulation: the registry must give exactly the same.
ATTRIBUTES_BEFORE = {
    "day": {"units": "d", "long_name": "days since t = 0"},
    "time": {"units": "d", "long_name": "days since t = 0"},
    "strike_day": {"units": "d", "long_name": "day of strike"},
    "strike_closure_days": {"units": "d", "long_name": "closure after strike"},
    "strike_facility": {"long_name": "facility struck"},
    "opens_day": {"units": "d", "long_name": "first day the facility exists"},
    "closes_day": {
        "units": "d",
        "long_name": "first day the facility is closed for good (inf: never)",
    },
    "draw": {"long_name": "Monte Carlo draw"},
    "input_quantile": {
        "units": "1",
        "long_name": "quantile of each uncertain input (Latin hypercube)",
    },
    "outcome_rate": {"units": "1", "long_name": "indicative outcome per forgone patient"},
    "outcome_service": {"units": "1", "long_name": "1 for the service an outcome counts"},
    "facility_label": {"long_name": "facility"},
    "alternative_label": {"long_name": "alternative"},
    "scenario_label": {"long_name": "scenario"},
    "scenario": {"long_name": "scenario"},
    "facility": {},
    "service": {},
    "resource": {},
    "strike": {},
    "alternative": {},
    "input": {},
    "input_keys": {},
    "strike_label": {},
}


MIXED_UNITS = {"standard_value", "standard_threshold"}


def test_every_entry_is_complete():
    raw = tomllib.loads(files("facility_impact").joinpath("data/variables.toml").read_text())
    assert list(raw) == list(VARIABLES)
    ensemble = {name for name, v in VARIABLES.items() if v.dimension == "ensemble"}
    assert ensemble == {"scenario", "draw"}
    for name, variable in VARIABLES.items():
        assert variable.kind in KINDS, name
        assert variable.long_name.strip() and variable.description.strip(), name
        assert set(variable.attributes) <= set(ATTRIBUTE_FIELDS), name
        if variable.kind in ("parameter", "result", "summary"):
            # Units differ by indicator: the coordinate indicator_units holds them.
            assert variable.units or name in MIXED_UNITS, name
            assert variable.label, name
        assert set(variable.dims) <= {*STRUCTURAL_DIMS, *SUMMARY_DIMS, *ensemble}, name


ADDED_BY_ISSUE_13 = {
    *("counterfactual_demand", "counterfactual_served", "forgone", "displaced"),
    *("waiting_change", "added_demand", "baseline_demand", "resource_capacity", "reach_km"),
    *("strike_staff_share", "staff_resource", "fate", "recruitment_share", "recruitment_curve"),
    *("staff_return_share", "staff_return_curve", "staff_return_time_days"),
    *("staff_return_mean_days", "staff_return_sd_days", "recruitment_time_days"),
    *("recruitment_mean_days", "recruitment_sd_days", "relocation_opens_day"),
    *("relocation_distance_km", "relocation_share", "relocation_carried", "return_share"),
    *("return_curve", "return_time_days", "return_mean_days", "return_sd_days"),
    *("return_start_day", "displacement_destination"),
    # Summaries: every account per service and as patient contacts of all kinds.
    *("added_demand_total", "added_demand_total_all_services", "counterfactual_total"),
    *("counterfactual_total_all_services", "demand_total_all_services", "displaced_total"),
    *("displaced_total_all_facilities", "displaced_total_all_services"),
    *("forgone_care_all_facilities", "forgone_care_all_services"),
    *("person_days_without_access_all_services", "served_elsewhere_total_all_services"),
    *("served_total", "served_total_all_services", "waiting_change_total"),
    *("waiting_change_total_all_services",),
}
"""Names issue 13 added (accounting against the no-strike world, capacity from
resources, staff fates, relocation, returns); ``demand_ratio`` became part of
``baseline_demand``."""


ADDED_BY_ISSUE_14 = {
    # The people's response to a strike (docs/model.md, "People's response").
    *("not_sought", "response_share", "response_curve", "response_time_days"),
    *("response_mean_days", "response_sd_days"),
}


# Issue 18: each facility's table of candidate destinations.
ADDED_BY_ISSUE_18 = {"destination_index", "destination_distance_km", "destination_slot"}


def test_reserved_names_are_those_of_before():
    # Plus the facility coordinates of a placed network (issue 15): a sweep named
    # latitude would clash with the results' latitude coordinate.
    assert RESERVED_DIMS == (RESERVED_BEFORE - {"demand_ratio"}) | {
        "latitude",
        "longitude",
        *ADDED_BY_ISSUE_13,
        *ADDED_BY_ISSUE_14,
        *ADDED_BY_ISSUE_18,
    }


def test_the_dims_are_classified_as_before():
    assert STRUCTURAL_DIMS == (
        *("facility", "destination_facility", "service", "resource", "strike"),
        *("alternative", "fate", "time", "outcome", "input", "destination_slot"),
    )
    assert SUMMARY_DIMS == ("period", "threshold", "indicator", "moment", "quantile")


def test_the_attributes_of_coordinates_and_carried_parameters_are_those_of_before():
    for name, attrs in ATTRIBUTES_BEFORE.items():
        assert VARIABLES[name].attrs == attrs, name


def test_the_builder_makes_exactly_the_kernel_inputs_and_the_carried_variables():
    assert not set(KERNEL_INPUTS) & set(CARRIED)
    plain = build_parameters(load_config(CONFIGS / "maarat_al_numan.toml"))
    assert set(plain.data_vars) == set(KERNEL_INPUTS) | set(CARRIED) - {"input_quantile"}
    uncertain = build_parameters(load_config(CONFIGS / "maarat_al_numan_uncertain.toml"))
    assert set(uncertain.data_vars) == set(KERNEL_INPUTS) | set(CARRIED)


def test_every_parameter_entry_is_built_and_every_built_variable_is_registered():
    assert set(PARAMETERS) == set(KERNEL_INPUTS) | set(CARRIED)


def test_kernel_inputs_are_declared_along_the_registry_dims():
    for name, dims in KERNEL_INPUTS.items():
        assert sorted(dims) == sorted(PARAMETERS[name].dims), name


def test_parameters_carry_the_registry_attributes():
    params = build_parameters(load_config(CONFIGS / "maarat_al_numan_uncertain.toml"))
    for name, variable in params.data_vars.items():
        assert variable.attrs == VARIABLES[str(name)].attrs, name
        structure = [d for d in variable.dims if d in STRUCTURAL_DIMS]
        assert set(structure) <= set(PARAMETERS[str(name)].dims), name


def test_the_kernel_writes_every_result_of_the_registry():
    assert list(KERNEL_LAYOUT) == list(OUTPUT_VARIABLES)
    for name, (variable, structure) in KERNEL_LAYOUT.items():
        assert variable == name
        assert (*structure, "time") == OUTPUT_VARIABLES[name].dims, name
    params = build_parameters(load_config(minimal_config(horizon_days=3)))
    assert set(run_model(params)) == set(KERNEL_LAYOUT)


@pytest.mark.parametrize("start_date", [None, dt.date(2016, 2, 15)])
def test_results_take_every_attribute_from_the_registry(start_date):
    results = simulate(minimal_config(horizon_days=3, start_date=start_date))
    for name in results.variables:
        if name == "time" and start_date:
            assert results["time"].attrs == {"long_name": "date"}
        elif str(name) in VARIABLES:
            assert results[name].attrs == VARIABLES[str(name)].attrs, name


def test_raw_results_label_the_scenarios():
    params = build_parameters(load_config(CONFIGS / "maarat_al_numan_options.toml"))
    results = simulate_parameters(params.isel(draw=slice(0, 2)))
    assert results["scenario"].attrs == {"long_name": "scenario"}
    assert results["baseline_capacity"].dtype == results["capacity"].dtype
    # A scenario that switches a strike off leaves its day NaN there.
    assert np.isnan(results["strike_day"].values).any()
