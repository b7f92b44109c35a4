"""The two implementations of the model, so that a test can hold both to the same numbers.

``run_model`` (the vectorised kernel) and ``run_one`` of ``benchmarks/loop_model.py``
(the plain loop, which shares no code with the kernel). :data:`IMPLEMENTATIONS`
runs either on a parameter Dataset of one ensemble point and returns every
output as a float64 numpy array, time first: ``(time, facility, service)`` for
the flows, ``(time, facility, resource)`` for ``available``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import xarray as xr

from facility_impact.model.kernel import run_model
from facility_impact.variables import ensemble_dims

ROOT = Path(__file__).resolve().parents[1]


def _load_loop_model() -> ModuleType:
    """Import ``benchmarks/loop_model.py`` by path: ``benchmarks`` is not a package."""
    if "loop_model" in sys.modules:
        return sys.modules["loop_model"]
    spec = importlib.util.spec_from_file_location(
        "loop_model", ROOT / "benchmarks" / "loop_model.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["loop_model"] = module
    spec.loader.exec_module(module)
    return module


loop_model = _load_loop_model()

Outputs = dict[str, np.ndarray]


def kernel_outputs(params: xr.Dataset) -> Outputs:
    """``run_model`` in float64 on a single point."""
    assert not ensemble_dims(params), "one ensemble point only"
    return {
        name: np.asarray(a, dtype=float) for name, a in run_model(params, dtype=np.float64).items()
    }


def loop_outputs(params: xr.Dataset) -> Outputs:
    """``loop_model.run_one`` on a single point."""
    assert not ensemble_dims(params), "one ensemble point only"
    results = loop_model.run_one(loop_model.draw_parameters(params))
    sizes = params.sizes
    shapes = {"available": ("facility", "resource"), "population": ("facility",)}
    shapes |= {"is_open": ("facility",), "received_by_alternative": ("alternative", "service")}
    out = {}
    for name, values in results.items():
        dims = shapes.get(name, ("facility", "service"))
        # Nested empty lists lose their trailing dims: reshape to the full shape.
        out[name] = np.asarray(values, dtype=float).reshape(
            sizes["time"], *(sizes[d] for d in dims)
        )
    return out


IMPLEMENTATIONS: dict[str, Callable[[xr.Dataset], Outputs]] = {
    "kernel": kernel_outputs,
    "loop": loop_outputs,
}
"""Each implementation by name: parametrize a test over these to hold both to it."""
