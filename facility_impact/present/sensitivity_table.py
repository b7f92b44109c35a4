"""Sensitivity indices → the ranking the terminal shows: per facility and service
(and scenario or sweep point), the inputs that drive forgone care most, each
index with its confidence interval, and a mark on those whose interval holds 0.
Lines fit 100 columns."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Hashable
from typing import Any

import numpy as np
import xarray as xr

from facility_impact.present.tables import selection_heading
from facility_impact.variables import SCENARIO_DIM, ensemble_dims

WIDTH = 100
"""Characters per line at most."""

NAME_WIDTH = 36
"""Characters of an input's name beside its numbers; a longer name gets its own line."""

SHORT_NAMES = {"total_order": "total", "first_order": "first"}

ZERO_MARK = "≈0"
"""After an index whose interval holds 0: it cannot be told from no effect."""


def _ranked_by(indices: xr.Dataset) -> list[str]:
    """The indices shown, the one that ranks the inputs first."""
    if "rank_correlation" in indices:
        return ["rank_correlation"]
    return ["total_order", "first_order"]


def _legend(indices: xr.Dataset) -> list[str]:
    level = float(indices.attrs.get("confidence_level", 0.95))
    text = (
        f"{level:.0%} confidence intervals in brackets; {ZERO_MARK}: the interval includes 0, "
        "an effect that cannot be told from none with these draws."
    )
    if indices.attrs["method"] == "sobol":
        text += (
            " total: total Sobol index (the input with all its interactions); first: "
            "first-order index (the input alone). Small negative indices are sampling error."
        )
    return textwrap.wrap(text, WIDTH)


def _number(entry: xr.Dataset, name: str) -> str:
    value, low, high = (float(entry[f"{name}{part}"]) for part in ("", "_low", "_high"))
    if np.isnan(value):
        return f"{SHORT_NAMES.get(name, '')} no index".strip()
    mark = f" {ZERO_MARK}" if low <= 0 <= high else ""
    text = f"{value:+.2f} [{low:+.2f}, {high:+.2f}]{mark}"
    return f"{SHORT_NAMES[name]} {text}" if name in SHORT_NAMES else text


def _input_lines(entry: xr.Dataset, names: list[str]) -> list[str]:
    numbers = "  ".join(_number(entry, name) for name in names)
    label = str(entry["input"].item())
    if len(label) <= NAME_WIDTH:
        return [f"  {label:<{NAME_WIDTH}} {numbers}"]
    return [f"  {label}", f"  {'':<{NAME_WIDTH}} {numbers}"]


def format_sensitivity(indices: xr.Dataset, top: int = 5) -> str:
    """The ``top`` inputs per facility and service (and scenario or sweep point),
    ranked by the size of their index, each with its interval; outputs that do
    not vary over the draws are named, without indices."""
    names = _ranked_by(indices)
    measure = names[0]
    lines = [
        f"What drives {indices.attrs.get('output', 'the output')} ({indices.attrs['method']}):",
        *_legend(indices),
    ]
    still: list[str] = []
    extra_dims = ensemble_dims(indices[measure])
    for combination in itertools.product(*(indices[d].values for d in extra_dims)):
        selection: dict[Hashable, Any] = dict(zip(extra_dims, combination, strict=True))
        subset = indices.sel(selection)
        label = None
        if SCENARIO_DIM in selection and "scenario_label" in indices.coords:
            label = str(indices["scenario_label"].sel(scenario=selection[SCENARIO_DIM]).item())
        tag = selection_heading(selection, label)
        for facility in subset["facility"].values:
            for service in subset["service"].values:
                heading = f"{facility} / {service}" + (f" ({tag})" if tag else "")
                values = subset[measure].sel(facility=facility, service=service)
                if bool(values.isnull().all()):
                    still.append(heading)
                    continue
                order = np.argsort(-np.abs(np.nan_to_num(values.values)))[:top]
                lines += ["", *textwrap.wrap(heading, WIDTH, subsequent_indent="    ")]
                for position in order:
                    entry = subset.isel(input=int(position)).sel(facility=facility, service=service)
                    lines += _input_lines(entry, names)
    if still:
        text = "Forgone care does not vary over the draws, so no input drives it (no index): "
        lines += ["", *textwrap.wrap(text + "; ".join(still), WIDTH)]
    return "\n".join(lines)
