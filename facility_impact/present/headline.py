"""The headline numbers of a summary, once: per scenario or sweep point, facility and
service, each number with its range over draws; where the care went (the accounts of
:mod:`facility_impact.results.accounting`) per service and as patient contacts of all
kinds; and one sentence of the patient contacts lost, rounded by :func:`about`.

:func:`headline` reads them from a summary of
:func:`facility_impact.results.summary.summarize`; the terminal table
(:func:`facility_impact.present.tables.format_summary`) and the report's HTML tables
(:mod:`facility_impact.present.report`) both render this one structure, with the
number formats of this module, so the two can never disagree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import xarray as xr

from facility_impact.results.accounting import all_facilities, all_services
from facility_impact.results.summary import QUANTILES, RECOVERY_THRESHOLDS
from facility_impact.variables import SCENARIO_DIM, ensemble_dims

SHOWN_PERIODS_DAYS = (30, 90, 365)
"""Windows after the first strike [d] of the headline tables and the forgone-care figure."""

FIRST_YEAR_DAYS = 365.0
"""The window of the accounts and the headline sentence when the run holds it [d]."""


@dataclass(frozen=True)
class Account:
    """One column of the table of where the care went."""

    name: str
    """The summary variable (per service; ``<name>_all_services`` over services)."""
    short: str
    """Its heading in the terminal."""
    heading: str
    """Its heading in the report."""


ACCOUNT_COLUMNS = (
    Account("demand_total", "demand", "demand"),
    Account("counterfactual_total", "no strike", "care without the strikes"),
    Account("added_demand_total", "added", "added by the strikes"),
    Account("served_total", "served", "served here"),
    Account("served_elsewhere_total", "elsewhere", "served elsewhere"),
    Account("forgone_care", "forgone", "forgone"),
    Account("displaced_total", "displaced", "displaced: care of people who left"),
    Account("waiting_change_total", "waiting", "extra still waiting at the end"),
)
"""The columns of the accounts, in the order of the tables and the summary CSV."""

ALL_SERVICES_LABEL = "patient contacts of all kinds"
"""The line of the accounts summed over services: an outpatient visit and an operation
count one contact each, and nothing else is added over services."""

IDENTITY_TEXT = (
    "The columns add up in each line: the care people would have received without "
    "the strikes, plus the demand the strikes added (casualties, people arriving from "
    "elsewhere), equals care served here, plus care served elsewhere, plus care forgone "
    "(lost: not received anywhere), plus the care of people who left the area "
    "(displaced, counted apart), plus the extra patients still waiting at the end. "
    "Demand is what was sought at the facility. The last line adds the services up "
    "as patient contacts of all kinds: an outpatient visit and an operation count one each."
)
"""The identity under every table of the accounts, in plain words."""

DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "care without the strikes",
        "the care the people of the catchment would have received, at the facility or "
        "elsewhere, had there been no strike: the same run and the same random draws "
        "without the strikes and with nobody leaving. Every other number is counted "
        "against it, so a shortage that existed before the strike is not counted as lost.",
    ),
    (
        "forgone care",
        "care that the people still living in the catchment would have received without "
        "the strikes and did not receive anywhere: care lost.",
    ),
    (
        "served elsewhere",
        "care that the facility's patients received at another facility or provider "
        "instead: not lost, but it took them a journey and took the other facility's room.",
    ),
    (
        "extra still waiting",
        "patients on a waiting list at the end of the window beyond those who would have "
        "been waiting without the strikes; their care is neither given nor lost yet.",
    ),
    (
        "displaced",
        "the care that the people who left the area would have received at home. It is "
        "not counted as lost, because they may have found care where they went; it is "
        "shown beside forgone care so that an emptied town never looks like an improvement.",
    ),
    (
        "person-days without access",
        "for one service, the people of the catchment times the share of that service's "
        "demand that was served neither here nor elsewhere, added up day by day: 1,000 "
        "people without care for 10 days are 10,000 person-days. Over all services a "
        "person who lacks several counts once a day: the most people lacking any one "
        "service, never the sum over services.",
    ),
    (
        "patient contacts of all kinds",
        "the services added up: an outpatient visit, an admission and an operation count "
        "one contact each. No other number adds services together.",
    ),
)
"""The terms of the headline numbers in plain words, for the report's box "How to read
this report" (docs/report.md, "Where the care went, in plain words")."""

MEDIANS_TEXT = (
    "With draws each number is the median over draws; the columns add up draw by draw, "
    "so the medians add up only approximately."
)
"""What the identity means for the medians of a run with draws."""


def count(value: float) -> str:
    """A number of patients (or days) to the unit, with thousands separators; '-' for NaN."""
    if math.isnan(value):
        return "-"
    text = f"{value:,.0f}"
    return "0" if text == "-0" else text  # a rounding error below zero is no patient


def days(value: float, horizon_left: float) -> str:
    """Days to a capacity threshold: '-' for NaN, '>N' when not back within the
    ``horizon_left`` [d] after the first strike (infinite)."""
    if math.isnan(value):
        return "-"
    return f">{horizon_left:g}" if math.isinf(value) else f"{value:,.0f}"


def about(value: float) -> float:
    """``value`` rounded for a sentence: to two significant figures, three when it
    starts with 1 or 2, and never finer than a whole patient; halves away from zero.
    A number of 30 or more moves by at most 1.7 %; NaN and infinities are unchanged."""
    if not math.isfinite(value) or value == 0:
        return value
    magnitude = math.floor(math.log10(abs(value)))
    figures = 3 if abs(value) / 10.0**magnitude < 3 else 2
    step = 10.0 ** max(magnitude - figures + 1, 0)
    return math.copysign(math.floor(abs(value) / step + 0.5) * step, value)


def about_text(value: float) -> str:
    """:func:`about` as text, with thousands separators: "12,300", "-" for NaN."""
    return "-" if math.isnan(value) else f"{about(value):,.0f}"


def longest_period(summary: xr.Dataset) -> float | None:
    """The longest window after the first strike with values (fits the run), or None."""
    forgone = summary["forgone_care"]
    others = [d for d in forgone.dims if d != "period"]
    complete = forgone["period"].values[forgone.notnull().any(others).values]
    return float(complete.max()) if complete.size else None


def accounts_period(summary: xr.Dataset) -> float | None:
    """The window of the accounts and the sentence [d]: the first year after the first
    strike when the run holds it, else the longest window it holds (None: none)."""
    longest = longest_period(summary)
    if longest is None:
        return None
    return FIRST_YEAR_DAYS if longest >= FIRST_YEAR_DAYS else longest


@dataclass(frozen=True)
class Spread:
    """One headline number: the median over draws and its 5th–95th percentile range
    (all three the same value without draws)."""

    middle: float
    low: float
    high: float

    @classmethod
    def of(cls, values: xr.DataArray) -> Spread:
        """The number of a summary cell, with or without a ``quantile`` dim."""
        if "quantile" not in values.dims:
            value = float(values)
            return cls(value, value, value)
        low, middle, high = (float(values.sel(quantile=q)) for q in QUANTILES)
        return cls(middle, low, high)

    def text(self, show: Callable[[float], str]) -> str:
        """``median (low–high)`` as ``show`` writes numbers; the median alone where the
        range would read as one number."""
        if show(self.low) == show(self.high):
            return show(self.middle)
        return f"{show(self.middle)} ({show(self.low)}–{show(self.high)})"


def cell(values: xr.DataArray, show: Callable[[float], str]) -> str:
    """One summary cell as text: a number, or ``median (5th–95th percentile)`` with draws."""
    return Spread.of(values).text(show)


@dataclass(frozen=True)
class ServiceRow:
    """The headline numbers of one service a facility offers [patient, or d]."""

    service: Hashable
    baseline_per_month: float
    forgone_care: dict[float, Spread]
    """Forgone care by window after the first strike [d] (the shown windows)."""
    person_days_without_access: Spread | None
    days_to_capacity: dict[float, Spread]
    """Days from the first strike to each share of baseline capacity."""
    accounts: dict[str, Spread]
    """Each account of :data:`ACCOUNT_COLUMNS` over the window of the accounts [patient]
    (empty when no window fits the run)."""


@dataclass(frozen=True)
class FacilityTable:
    """One facility at one scenario or sweep point: a row per service it offers."""

    facility: Hashable
    label: str
    """The ``facility_label`` coordinate ("" where there is none)."""
    opens_within_run: bool
    rows: tuple[ServiceRow, ...]
    contacts: dict[str, Spread]
    """Each account summed over the services: patient contacts of all kinds [patient]."""
    person_days_once: Spread | None
    """Person-days without access to some service, each person counted once."""


@dataclass(frozen=True)
class HeadlineGroup:
    """The tables of one scenario or sweep point (the whole summary without either)."""

    selection: dict[Hashable, Any]
    """Ensemble dim → value of this point, in the order of the ensemble dims."""
    scenario_label: str | None
    facilities: tuple[FacilityTable, ...]
    sentence: str
    """Patient contacts lost (and displaced) over all facilities, in one plain sentence."""

    def label(self) -> str:
        """The scenario by its label, a sweep point as "dim = value" ("" for neither)."""
        parts = []
        for dim, value in self.selection.items():
            if dim == SCENARIO_DIM and self.scenario_label is not None:
                parts.append(self.scenario_label)
            elif isinstance(value, float) and math.isfinite(value):
                parts.append(f"{dim} = {value:g}")
            else:
                parts.append(f"{dim} = {value}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Headline:
    """The headline numbers of a summary and what the tables need to render them."""

    title: str
    draws: Any
    """The summary's ``draws`` attribute ("" where it has none)."""
    with_ranges: bool
    """Whether numbers have a range over draws (the summary has a ``quantile`` dim)."""
    periods: tuple[float, ...]
    """The shown windows after the first strike that the summary has [d]."""
    longest: float | None
    """The longest window that fits the run [d] (None when none does)."""
    horizon_left: float
    """Days from the first strike to the end of the run [d]."""
    window: float | None
    """The window of the accounts and the sentences [d] (:func:`accounts_period`)."""
    strikes: int
    """How many strikes the run has (the words for the window depend on it)."""
    groups: tuple[HeadlineGroup, ...]

    def window_text(self) -> str:
        """The window of the accounts in words ("the first year after the strike")."""
        return "" if self.window is None else window_words(self.window, self.strikes)

    def days(self, value: float) -> str:
        """Days to a capacity threshold as text (see :func:`days`)."""
        return days(value, self.horizon_left)


def headline(summary: xr.Dataset, periods: Sequence[float] = SHOWN_PERIODS_DAYS) -> Headline:
    """The headline numbers of ``summary`` at the windows of ``periods`` [d] it has."""
    shown = tuple(p for p in periods if p in summary["period"].values)
    longest = longest_period(summary)
    window = accounts_period(summary)
    horizon = summary.attrs.get("horizon_days", 0)
    strikes = int(summary.attrs.get("strikes", 1))
    dims = ensemble_dims(summary)
    groups = []
    for combination in itertools.product(*(summary[d].values for d in dims)):
        selection: dict[Hashable, Any] = dict(zip(dims, combination, strict=True))
        subset = summary.sel(selection)
        label = None
        if SCENARIO_DIM in selection and "scenario_label" in summary.coords:
            scenario = selection[SCENARIO_DIM]
            label = str(summary["scenario_label"].sel(scenario=scenario).item())
        facilities = tuple(
            _facility_table(subset.sel(facility=f), f, shown, window, horizon)
            for f in subset["facility"].values
        )
        sentence = lost_sentence(subset, window, strikes)
        groups.append(HeadlineGroup(selection, label, facilities, sentence))
    return Headline(
        title=str(summary.attrs.get("title", "")),
        draws=summary.attrs.get("draws", ""),
        with_ranges="quantile" in summary.dims,
        periods=shown,
        longest=longest,
        horizon_left=horizon - summary.attrs.get("first_strike_day", 0),
        window=window,
        strikes=strikes,
        groups=tuple(groups),
    )


def _facility_table(
    one: xr.Dataset,
    facility: Hashable,
    periods: tuple[float, ...],
    window: float | None,
    horizon: float,
) -> FacilityTable:
    label = str(one["facility_label"].item()) if "facility_label" in one.coords else ""
    opens = not ("opens_day" in one.coords and float(one["opens_day"].max()) >= horizon)
    rows = tuple(
        _service_row(one.sel(service=service), service, periods, window)
        for service in one["service"].values
        if one["baseline_volume_per_month"].sel(service=service) > 0
    )
    contacts = {}
    if window is not None:
        contacts = {
            column.name: Spread.of(one[all_services(column.name)].sel(period=window))
            for column in ACCOUNT_COLUMNS
        }
    once = one.get("person_days_without_access_all_services")
    return FacilityTable(
        facility, label, opens, rows, contacts, None if once is None else Spread.of(once)
    )


def _service_row(
    line: xr.Dataset,
    service: Hashable,
    periods: tuple[float, ...],
    window: float | None,
) -> ServiceRow:
    without_access = line.get("person_days_without_access")
    accounts = {}
    if window is not None:
        accounts = {
            column.name: Spread.of(line[column.name].sel(period=window))
            for column in ACCOUNT_COLUMNS
        }
    return ServiceRow(
        service=service,
        baseline_per_month=float(line["baseline_volume_per_month"]),
        forgone_care={p: Spread.of(line["forgone_care"].sel(period=p)) for p in periods},
        person_days_without_access=None if without_access is None else Spread.of(without_access),
        days_to_capacity={
            t: Spread.of(line["days_to_capacity"].sel(threshold=t)) for t in RECOVERY_THRESHOLDS
        },
        accounts=accounts,
    )


def window_words(window: float, strikes: int) -> str:
    """ "the first year after the strike", "the first 90 days after the first strike"."""
    when = "the first year" if window == FIRST_YEAR_DAYS else f"the first {window:g} days"
    if strikes == 0:
        return f"{when} of the run"
    return f"{when} after the {'strike' if strikes == 1 else 'first strike'}"


def _range_words(spread: Spread) -> str:
    """ " (5–95 %: a–b)" with draws, when the rounded ends differ; "" otherwise."""
    low, high = about_text(spread.low), about_text(spread.high)
    if low == high:
        return ""
    return f" ({QUANTILES[0] * 100:.0f}–{QUANTILES[-1] * 100:.0f} %: {low}–{high})"


def tagged(tag: str, sentence: str) -> str:
    """A group's sentence after the scenario or sweep point it is about ("" stays "")."""
    if not tag or not sentence:
        return sentence
    return f"{tag[0].upper()}{tag[1:]}: {sentence[0].lower()}{sentence[1:]}"


def lost_sentence(summary: xr.Dataset, window: float | None, strikes: int) -> str:
    """Forgone care over every facility and service in the window, as one plain
    sentence, with the care of people who left beside it; numbers rounded by
    :func:`about`, with the 5–95 % range over draws where there are draws. ``summary``
    is one scenario or sweep point. "" when no window fits the run."""
    if window is None:
        return ""
    lost = Spread.of(summary[all_facilities("forgone_care")].sel(period=window))
    left = Spread.of(summary[all_facilities("displaced_total")].sel(period=window))
    cause = "strike" if strikes == 1 else "strikes"
    text = (
        f"In {window_words(window, strikes)}, about {about_text(lost.middle)} patient contacts of "
        f"all kinds{_range_words(lost)} were lost: care that people would have received "
        f"without the {cause} and did not receive anywhere"
    )
    if about(left.high) > 0:
        text += (
            f"; the care of about {about_text(left.middle)} more{_range_words(left)} went "
            "with the people who left the area"
        )
    return text + "."
