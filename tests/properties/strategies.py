"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

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
