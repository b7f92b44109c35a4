"""Where the care went: the accounts of each window after the first strike.

Every patient contact the catchment would have had without the strikes, and every
one the strikes added, ends in exactly one place (docs/model.md, the identity):

    care without the strikes + demand the strikes added
        = served here + served elsewhere + forgone + displaced + extra still waiting

The kernel writes each term per facility, service and day; here they are summed
over each window, per service. A total across services adds an outpatient visit to
an operation, so it is only ever given as *patient contacts of all kinds*: one
total per facility (``<account>_all_services``) and, for the headline sentence,
forgone and displaced care over every facility (``<account>_all_facilities``).
Sums over services and facilities are taken run by run, before any percentile
over draws: a percentile of a sum is not the sum of the percentiles.
"""

from __future__ import annotations

from collections.abc import Callable

import xarray as xr

from facility_impact.errors import ConfigError
from facility_impact.variables import VARIABLES

ACCOUNTS = {
    "demand_total": "demand",
    "counterfactual_total": "counterfactual_served",
    "added_demand_total": "added_demand",
    "served_total": "served",
    "served_elsewhere_total": "served_elsewhere",
    "forgone_care": "forgone",
    "displaced_total": "displaced",
    "waiting_change_total": "waiting_change",
}
"""Each per-service account of a window [patient] → the daily result it sums
[patient d-1], in the order of the tables and the summary CSV."""

SOURCES = ("counterfactual_total", "added_demand_total")
"""The accounts on the left of the identity: where the care comes from."""

DESTINATIONS = (
    "served_total",
    "served_elsewhere_total",
    "forgone_care",
    "displaced_total",
    "waiting_change_total",
)
"""The accounts on the right of the identity: where it ends."""

ALL_FACILITIES = ("forgone_care", "displaced_total")
"""Accounts also summed over every facility (the headline sentence)."""

COUNTERFACTUAL_RESULTS = (
    "counterfactual_demand",
    "counterfactual_served",
    "forgone",
    "displaced",
    "waiting_change",
    "added_demand",
)
"""Results every results file of this version holds: the no-strike world and the accounts."""


def all_services(name: str) -> str:
    """The name of the all-services total (patient contacts of all kinds) of an account."""
    return f"{name}_all_services"


def all_facilities(name: str) -> str:
    """The name of the total over all services and facilities of an account."""
    return f"{name}_all_facilities"


def missing_results(results: xr.Dataset) -> list[str]:
    """The results of :data:`COUNTERFACTUAL_RESULTS` that ``results`` lack."""
    return [name for name in COUNTERFACTUAL_RESULTS if name not in results]


def require_counterfactual(results: xr.Dataset, where: str | None = None) -> None:
    """Raise ConfigError when ``results`` were written by a version without the
    no-strike world: their care cannot be accounted for, only re-run."""
    missing = missing_results(results)
    if missing:
        source = where or results.encoding.get("source") or "the results"
        raise ConfigError(
            f"results file {source} was written by an older version of facility_impact "
            f"(it lacks {', '.join(missing)}): re-run its configuration with facility-impact run"
        )


def accounts(
    results: xr.Dataset, total: Callable[[xr.DataArray], xr.DataArray]
) -> dict[str, xr.DataArray]:
    """The accounts of every window [patient]: per facility and service (:data:`ACCOUNTS`),
    then per facility over all services, then over every facility (:data:`ALL_FACILITIES`).

    ``total`` sums a daily flow over each window after the first strike (NaN for a
    window longer than the run). Services a facility does not offer add nothing.
    """
    per_service = {
        name: total(results[daily]).assign_attrs(_attrs(name)) for name, daily in ACCOUNTS.items()
    }
    contacts = {
        all_services(name): values.sum("service", skipna=False).assign_attrs(
            _attrs(all_services(name))
        )
        for name, values in per_service.items()
    }
    everywhere = {
        all_facilities(name): contacts[all_services(name)]
        .sum("facility", skipna=False)
        .assign_attrs(_attrs(all_facilities(name)))
        for name in ALL_FACILITIES
    }
    return {**per_service, **contacts, **everywhere}


def _attrs(name: str) -> dict[str, str]:
    """A summary's attributes, from its entry in the registry."""
    return dict(VARIABLES[name].attrs)
