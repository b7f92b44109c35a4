"""Hypothesis strategies and checks shared by the property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

fraction = st.floats(0.0, 1.0)
days = st.floats(0.0, 150.0)


@st.composite
def curves(draw, *, allow_none=True):
    families = ["step", "linear", "exponential", "normal"] + (["none"] if allow_none else [])
    family = draw(st.sampled_from(families))
    table: dict = {"curve": family}
    if family in ("step", "linear"):
        table["time_days"] = draw(days)
    elif family == "exponential":
        table["time_days"] = draw(st.floats(0.5, 150.0))
    elif family == "normal":
        table["mean_days"] = draw(days)
        table["sd_days"] = draw(st.floats(0.0, 40.0))
    if draw(st.booleans()):
        table["delay_days"] = draw(st.floats(0.0, 30.0))
    return table


def assert_patients_conserved(results, atol: float) -> None:
    """Per facility and service (and every ensemble point): the demand of the run equals
    served + served elsewhere + unmet + abandoned + the backlog left on the last day."""
    flows = results[["demand", "served", "served_elsewhere", "unmet", "abandoned", "backlog"]]
    flows = flows.astype("float64")
    demand = flows["demand"].sum("time")
    accounted = (
        flows["served"] + flows["served_elsewhere"] + flows["unmet"] + flows["abandoned"]
    ).sum("time") + flows["backlog"].isel(time=-1)
    # Each day's split rounds a few times, by at most the results' machine epsilon
    # relative to that day's patients: float32 ensembles (run.precision "auto")
    # conserve to ~1e-7 of the patients handled, float64 runs to ~1e-16.
    epsilon = float(np.finfo(results["demand"].dtype).eps)
    rounding = 8 * epsilon * (flows["demand"] + flows["backlog"]).sum("time").values
    np.testing.assert_array_less(np.abs(accounted.values - demand.values), atol + rounding)
