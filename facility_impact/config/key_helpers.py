"""Shorthands for the rows of the schema table :data:`facility_impact.config.keys.KEYS`.

Each returns one :class:`~facility_impact.config.spec.Key` (or the keys of a
curve table) with the options most keys of its kind share, so that the table
reads one key per row.
"""

from __future__ import annotations

from typing import Any

from facility_impact.config.spec import ABSENT, COMPUTED, Key
from facility_impact.curves import CURVE_FAMILIES

NOTHING_UNLESS_GIVEN = "ASSUMPTION: nothing of the kind happens unless the configuration says so"

# Upper bounds. Every count, rate, time and distance has one: far beyond any real
# facility or strike, so that a number this large is a typing error (a unit slip, a
# stray exponent), and low enough that nothing computed from numbers within them
# overflows, not even in float32 (about 3.4e38): the largest demand a day is
# MAX_POPULATION × MAX_UTILISATION / 365.25 × MAX_FACTOR ≈ 2.7e12 patients, over
# MAX_DAYS days ≈ 1e17, and its square ≈ 1e34.
MAX_POPULATION = 10**9
"""Most people in a facility's catchment [persons]."""
MAX_COUNT = 10**6
"""Most of a resource at one facility (beds, staff, theatres), and most staff lost
to one fate or casualties of one strike [count]."""
MAX_VOLUME = 10**8
"""Most patients a month of one service at one facility, or spare at an alternative."""
MAX_THROUGHPUT = 10**4
"""Most patients a day that one unit of a resource supports [patient d⁻¹ unit⁻¹]."""
MAX_UTILISATION = 10**3
"""Most patients per person of the catchment per year [patient person⁻¹ year⁻¹]."""
MAX_FACTOR = 10**3
"""Most a ratio of demands may be (demand to capacity, a demand multiplier) [1]."""
MAX_DAYS = 36_525
"""Most days of a day number, a duration and the horizon: 100 years of 365.25 d."""
MAX_KM = 40_000
"""Longest distance [km]: about the Earth's circumference at the equator (40,075 km)."""
MAX_MINUTES = 10**6
"""Longest travel time [min]: about 694 days."""


def number(path: str, doc: str, unit: str, *, maximum: float, **options: Any) -> Key:
    """A number that may also be a sweep or a distribution; not negative unless told;
    ``maximum`` is its sane upper bound (one of the ``MAX_*`` above, or 1)."""
    options.setdefault("minimum", 0)
    return Key(path, "number", doc, unit, maximum=maximum, sweep=True, distribution=True, **options)


def fraction(path: str, doc: str, unit: str = "fraction", **options: Any) -> Key:
    return number(path, doc, unit, maximum=1, **options)


def day(path: str, doc: str, **options: Any) -> Key:
    """A day number (whole days from day 0), at most :data:`MAX_DAYS`."""
    return number(path, doc, "d", maximum=MAX_DAYS, integer=True, **options)


def label(path: str, default_doc: str) -> Key:
    return Key(
        path, "string", "readable name for tables and figures", "text", COMPUTED, default_doc
    )


def curve_keys(
    prefix: str,
    delay_doc: str | None,
    *,
    curve_default: object = None,
    curve_doc: str = "",
    source: str = "",
) -> tuple[Key, ...]:
    """The keys of a curve (recovery, displacement, return), in the order messages list them.

    ``delay_doc`` ``None``: the curve takes no ``delay_days`` (it runs from a fixed
    day). A ``curve_default`` (a family, or ``COMPUTED`` with ``curve_doc`` saying
    what it is, and its ``source``) makes ``curve`` optional: left out, the default
    curve applies with its time values, and the time keys given replace them.
    """
    time_default: object = ABSENT
    time_default_doc = "required by the families that take it, rejected by the others"
    options: dict[str, Any] = {}
    if curve_default is not None:
        time_default = COMPUTED
        time_default_doc = (
            "the default curve's when `curve` is left out; else required by the families "
            "that take it, rejected by the others"
        )
        options = {"default": curve_default, "default_doc": curve_doc, "source": source}
    keys = [
        Key(f"{prefix}.curve", "choice", "curve family", choices=tuple(CURVE_FAMILIES), **options),
        number(
            f"{prefix}.time_days",
            "time `T` of the step, linear and exponential families",
            "d",
            default=time_default,
            default_doc=time_default_doc,
            maximum=MAX_DAYS,
            rule="`exponential` needs `T` > 0; see [Curves](#curves)",
        ),
        number(
            f"{prefix}.mean_days",
            "day `μ` by which the normal curve is half-way",
            "d",
            default=time_default,
            default_doc=time_default_doc,
            maximum=MAX_DAYS,
            rule="see [Curves](#curves)",
        ),
        number(
            f"{prefix}.sd_days",
            "spread `σ` of the normal curve",
            "d",
            default=time_default,
            default_doc=time_default_doc,
            maximum=MAX_DAYS,
            rule="see [Curves](#curves)",
        ),
    ]
    if delay_doc is not None:
        keys.append(
            number(
                f"{prefix}.delay_days",
                delay_doc,
                "d",
                default=0.0,
                source="ASSUMPTION: the curve starts at once unless a delay is configured",
                maximum=MAX_DAYS,
            )
        )
    return tuple(keys)


def recovery_keys(prefix: str) -> tuple[Key, ...]:
    return (
        *curve_keys(
            prefix,
            "wait between the end of the closure and the start of recovery, "
            "such as inspection or financing",
        ),
        fraction(
            f"{prefix}.recoverable_share",
            "share `ρ_r` of the lost quantity that can come back, for example when a "
            "destroyed building is not rebuilt in full",
            default=1.0,
            source="ASSUMPTION: all of it",
        ),
    )
