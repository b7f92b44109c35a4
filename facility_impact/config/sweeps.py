"""Sweeps: the dim each swept key path takes, checked across scenarios."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from facility_impact.config.settings import key_path_parts
from facility_impact.config.variation import Sweep, Varying
from facility_impact.errors import ConfigError
from facility_impact.variables import RESERVED_DIMS


class Variant(Protocol):
    """What :func:`sweep_dims` needs of a configuration: its varying values."""

    def variations(self) -> Iterable[Varying]: ...


def sweep_dims(configs: Sequence[Variant]) -> dict[str, tuple[str, np.ndarray]]:
    """Sweep dim name and coordinate for every swept key path of every scenario.

    A sweep is named by its ``dim`` if it gives one, else by its key's last
    part, lengthened with the parent keys (``building_mean_days``) where two
    swept keys or a model dim would share the name. Keys that name the same
    ``dim`` are zipped along it and must have the same number of values.
    """
    sweeps: dict[str, Sweep] = {}
    for config in configs:
        for value in config.variations():
            if not isinstance(value, Sweep):
                continue
            seen = sweeps.setdefault(value.path, value)
            if seen.values != value.values:
                raise ConfigError(
                    f"{value.path}: swept over {list(seen.values)} in one scenario and "
                    f"{list(value.values)} in another; a sweep must be the same in every scenario"
                )
    named = {path: sweep.dim for path, sweep in sweeps.items() if sweep.dim is not None}
    for path, dim in named.items():
        if dim in RESERVED_DIMS:
            raise ConfigError(f"{path}.dim = {dim!r}: the model uses that name; choose another")
    automatic = [path for path in sweeps if path not in named]
    for path in automatic:
        parts = key_path_parts(path)
        for length in range(1, len(parts) + 1):
            candidate = "_".join(parts[-length:])
            clashes = any(
                other != path and "_".join(key_path_parts(other)[-length:]) == candidate
                for other in automatic
            )
            usable = candidate.isidentifier() and candidate not in RESERVED_DIMS
            if usable and candidate not in named.values() and not clashes:
                named[path] = candidate
                break
        else:
            named[path] = "_".join(parts)
    result: dict[str, tuple[str, np.ndarray]] = {}
    for dim in dict.fromkeys(named.values()):
        members = [path for path, name in named.items() if name == dim]
        lengths = {len(sweeps[path].values) for path in members}
        if len(lengths) > 1:
            raise ConfigError(
                f"{members[1]}: zipped with {members[0]} along dim {dim!r}, "
                f"so it needs the same number of values"
            )
        value_lists = {sweeps[path].values for path in members}
        coordinate = (
            np.array(next(iter(value_lists)), dtype=float)
            if len(value_lists) == 1
            else np.arange(lengths.pop())
        )
        for path in members:
            result[path] = (dim, coordinate)
    return result
