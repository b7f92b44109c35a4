"""What the kernel reads: each parameter it needs and the layout it needs it in.

The kernel declares its inputs here, once, as fields of :class:`KernelInputs`
with their structural dims in the kernel's own axis order; :data:`KERNEL_INPUTS`
lists them for the parameter builder, which makes exactly these (plus the
variables it carries along for the results, ``parameters.CARRIED``). Units and
meaning of each are in the variable registry (``data/variables.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, get_type_hints

import numpy.typing as npt

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class KernelInputs:
    """Parameters in the kernel's layout: structure first, ensemble points last (``N`` or 1).

    Each field is annotated with its structural dims, in the kernel's axis order.
    ``destination_index`` is int64 (``-1``: padding), every other field float;
    both destination tables are derived from the distances, reach and decay
    (:mod:`facility_impact.model.destinations`).
    """

    dependency_weight: Annotated[Array, "facility", "resource", "service"]
    baseline_capacity: Annotated[Array, "facility", "service"]
    baseline_demand: Annotated[Array, "facility", "service"]
    resource_capacity: Annotated[Array, "facility", "resource", "service"]
    deferrable_share: Annotated[Array, "facility", "service"]
    backlog_attrition: Annotated[Array, "facility", "service"]
    demand_multiplier: Annotated[Array, "time", "facility", "service"]
    strike_day: Annotated[Array, "strike"]
    strike_closure_days: Annotated[Array, "strike"]
    strike_target: Annotated[Array, "strike", "facility"]
    strike_damage: Annotated[Array, "strike", "resource"]
    strike_casualties: Annotated[Array, "strike"]
    strike_casualty_service: Annotated[Array, "strike", "service"]
    strike_staff_share: Annotated[Array, "strike", "fate"]
    response_share: Annotated[Array, "strike", "facility", "service"]
    response_curve: Annotated[Array, "strike"]
    response_time_days: Annotated[Array, "strike"]
    response_mean_days: Annotated[Array, "strike"]
    response_sd_days: Annotated[Array, "strike"]
    staff_resource: Annotated[Array, "resource"]
    staff_return_share: Annotated[Array, "fate"]
    staff_return_curve: Annotated[Array, "fate"]
    staff_return_time_days: Annotated[Array, "fate"]
    staff_return_mean_days: Annotated[Array, "fate"]
    staff_return_sd_days: Annotated[Array, "fate"]
    recruitment_share: Annotated[Array, ()]
    recruitment_curve: Annotated[Array, ()]
    recruitment_time_days: Annotated[Array, ()]
    recruitment_mean_days: Annotated[Array, ()]
    recruitment_sd_days: Annotated[Array, ()]
    recovery_curve: Annotated[Array, "facility", "resource"]
    recovery_time_days: Annotated[Array, "facility", "resource"]
    recovery_mean_days: Annotated[Array, "facility", "resource"]
    recovery_sd_days: Annotated[Array, "facility", "resource"]
    recovery_delay_days: Annotated[Array, "facility", "resource"]
    recoverable_share: Annotated[Array, "facility", "resource"]
    population_baseline: Annotated[Array, "facility"]
    displacement_share: Annotated[Array, "facility"]
    displacement_start_day: Annotated[Array, "facility"]
    displacement_curve: Annotated[Array, "facility"]
    displacement_time_days: Annotated[Array, "facility"]
    displacement_mean_days: Annotated[Array, "facility"]
    displacement_sd_days: Annotated[Array, "facility"]
    return_share: Annotated[Array, "facility"]
    return_start_day: Annotated[Array, "facility"]
    return_curve: Annotated[Array, "facility"]
    return_time_days: Annotated[Array, "facility"]
    return_mean_days: Annotated[Array, "facility"]
    return_sd_days: Annotated[Array, "facility"]
    displacement_destination: Annotated[Array, "facility", "destination_facility"]
    relocation_opens_day: Annotated[Array, "facility"]
    relocation_distance_km: Annotated[Array, "facility"]
    relocation_share: Annotated[Array, "facility", "resource"]
    relocation_carried: Annotated[Array, "facility", "resource"]
    facility_opens_day: Annotated[Array, "facility"]
    facility_closes_day: Annotated[Array, "facility"]
    destination_index: Annotated[Array, "facility", "destination_slot"]
    destination_distance_km: Annotated[Array, "facility", "destination_slot"]
    alternative_spare_capacity: Annotated[Array, "alternative", "service"]
    alternative_capacity: Annotated[Array, "alternative", "service"]
    alternative_opens_day: Annotated[Array, "alternative"]
    willingness_to_travel: Annotated[Array, "facility", "service"]
    distance_decay_km: Annotated[Array, "facility", "service"]
    reach_km: Annotated[Array, "facility", "service"]

    def block(self, points: slice) -> KernelInputs:
        """The inputs of the ensemble points ``points`` (arrays of length 1 stay broadcast)."""
        cut = {
            name: value[..., points] if value.shape[-1] > 1 else value
            for name, value in vars(self).items()
        }
        return KernelInputs(**cut)


KERNEL_INPUTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # A scalar parameter is annotated with an empty tuple: no structural dims.
        name: tuple(dim for dim in hint.__metadata__ if isinstance(dim, str))
        for name, hint in get_type_hints(KernelInputs, include_extras=True).items()
    }
)
"""Every parameter the kernel reads → its structural dims in the kernel's axis order."""
