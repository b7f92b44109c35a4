"""One block of ensemble points over a run of days: what the day loop works with.

:class:`Block` prepares what does not depend on yesterday (population, open
days, the strikes' loads, the geometry of destination choice) for all days at
once; :meth:`Block.day` simulates one day in two worlds side by side: the one
with the strikes, and the no-strike counterfactual (same draws, no strike, no
displacement, no relocation) that care lost is measured against. Both call
the steps of :mod:`facility_impact.model.steps` and
:mod:`facility_impact.model.choice` in the order of ``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from facility_impact.model import choice, steps
from facility_impact.model.inputs import KernelInputs

Array = npt.NDArray[Any]


@dataclass
class DayState:
    """What one day hands to the next, ensemble points on the last axis ``n``."""

    resource_losses: Array
    """``L_k`` ``(K, F, R, n)`` [1]: share of each resource each strike destroyed."""
    staff_losses: Array
    """``S_kφ`` ``(K, Φ, n)`` [1]: share of the target's staff each strike took, by fate."""
    clock_at_strike: Array
    """Open days of the target before each strike's day, ``(K, F, n)`` [d]."""
    clock: Array
    """Open days of each facility before today, ``(F, n)`` [d]."""
    backlog: Array
    """Patients waiting at the end of yesterday, ``(F, S, n)`` [patient]."""
    backlog_counterfactual: Array
    """The same in the no-strike world, ``(F, S, n)`` [patient]."""


@dataclass(frozen=True)
class Served:
    """One world's day: local service and destination choice, each ``(F, S, n)``."""

    local: steps.LocalService
    choice: choice.Diversion

    @property
    def unmet(self) -> Array:
        return np.asarray(self.local.seeking - self.choice.served_elsewhere)

    @property
    def lost(self) -> Array:
        """Unmet and abandoned care [patient d-1]."""
        return np.asarray(self.unmet + self.local.abandoned)

    @property
    def received(self) -> Array:
        """Care received here or elsewhere [patient d-1]."""
        return np.asarray(self.local.served + self.choice.served_elsewhere)


def _curve(code: Array, time: Array, mean: Array, sd: Array) -> tuple[Array, Array, Array, Array]:
    return (code, time, mean, sd)


class Block:
    """The ensemble points of ``inputs`` over days ``[start_day, stop_day)``."""

    def __init__(
        self,
        inputs: KernelInputs,
        n_points: int,
        start_day: int,
        stop_day: int,
        dtype: np.dtype[Any],
    ) -> None:
        self.p = p = inputs
        self.n_points, self.dtype = n_points, dtype
        self.start_day, self.n_days = start_day, stop_day - start_day
        days = np.arange(start_day, stop_day, dtype=float)[:, None, None]  # (T, 1, 1)
        self.present = steps.population_share(
            days,
            p.displacement_share,
            p.displacement_start_day,
            _curve(
                p.displacement_curve,
                p.displacement_time_days,
                p.displacement_mean_days,
                p.displacement_sd_days,
            ),
            p.return_share,
            p.return_start_day,
            _curve(p.return_curve, p.return_time_days, p.return_mean_days, p.return_sd_days),
        )  # (T, F, ·)
        self.population = p.population_baseline * self.present
        self.is_target = p.strike_target > 0  # (K, F, ·)
        # The (strike, facility) pairs a strike can hit, in strike order: only
        # these carry losses, closures and casualties.
        strike, facility = np.nonzero(self.is_target.any(axis=-1))
        self.strike_pairs: tuple[Array, Array] = (strike, facility)
        self.open = steps.open_days(
            days,
            p.facility_opens_day,
            p.facility_closes_day,
            p.strike_day,
            p.strike_day + p.strike_closure_days,
            self.is_target,
            self.strike_pairs,
        )
        self.open_without_strikes = self.open.opened & ~self.open.closed_for_good
        self.on_site = self.open_without_strikes & (days >= p.relocation_opens_day)
        self.relocating = bool(self.on_site.any())
        self.closing = bool(self.open.closed_for_good.any())
        self.displacing = bool(np.any(p.displacement_share > 0))
        self.hosting = self.displacing and bool(np.any(p.displacement_destination > 0))
        self._prepare_strikes(stop_day)
        self._prepare_choice(days)
        self.full_capacity = np.minimum(
            p.baseline_capacity, np.min(p.resource_capacity, axis=1, initial=np.inf)
        )  # (F, S, ·): capacity with every resource there
        with np.errstate(divide="ignore"):
            self.site_reach = np.exp(
                -p.relocation_distance_km[:, None, :] / p.distance_decay_km
            )  # (F, S, ·)

    def _prepare_strikes(self, stop_day: int) -> None:
        """Strikes happen on few days: the day loop handles only those."""
        p = self.p
        day_of_strike, strikes_anyone = np.broadcast_arrays(
            p.strike_day, self.is_target.any(axis=1)
        )
        self.strike_days = {
            int(day)
            for day in np.unique(day_of_strike[strikes_anyone])
            if day == int(day) and self.start_day <= day < stop_day
        }
        self.casualty_load = (
            p.strike_casualties[:, None, None, :] * p.strike_target[:, :, None, :]
        ) * p.strike_casualty_service[:, None, :, :]  # (K, F, S, ·)
        self.recovery_curve = _curve(
            p.recovery_curve, p.recovery_time_days, p.recovery_mean_days, p.recovery_sd_days
        )
        self.staff_return_curve = _curve(
            p.staff_return_curve,
            p.staff_return_time_days,
            p.staff_return_mean_days,
            p.staff_return_sd_days,
        )
        self.response_curve = _curve(
            p.response_curve,
            p.response_time_days,
            p.response_mean_days,
            p.response_sd_days,
        )
        self.responding = bool(np.any(p.response_share > 0))
        self.recruitment_curve = _curve(
            p.recruitment_curve,
            p.recruitment_time_days,
            p.recruitment_mean_days,
            p.recruitment_sd_days,
        )

    def _prepare_choice(self, days: Array) -> None:
        """Each sender's candidate destinations ``K`` (slots of ``destination_index``:
        the modelled facilities, then the alternatives) and their distance factors."""
        p = self.p
        index = p.destination_index[:, :, 0].T  # (K, F)
        self.candidates = choice.Candidates(
            index,
            choice.distance_factor(
                np.transpose(p.destination_distance_km, (1, 0, 2))[:, :, None, :],
                p.distance_decay_km,
                p.reach_km,
                np.zeros((*index.shape, 1, 1), dtype=bool),  # a table never lists the sender
            ),
        )  # factor (K, F, S, ·)
        self.alternative_open = days >= p.alternative_opens_day  # (T, J_alt, ·)

    def availability(self, t: int, state: DayState) -> Array:
        """Availability ``a`` [1] ``(F, R, n)`` on day ``t`` before its strikes."""
        p = self.p
        strike, facility = self.strike_pairs
        lost = steps.resource_lost_at(
            state.resource_losses[strike, facility],
            state.clock[facility] - state.clock_at_strike[strike, facility],
            facility,
            state.clock.shape[0],
            p.recovery_delay_days,
            p.recoverable_share,
            self.recovery_curve,
        )
        staff = steps.staff_lost(
            state.staff_losses,
            t - p.strike_day,
            self.is_target,
            p.staff_return_share,
            self.staff_return_curve,
            p.recruitment_share,
            self.recruitment_curve,
            self.strike_pairs,
        )  # (F, n)
        return np.asarray(1.0 - lost - staff[:, None, :] * p.staff_resource)

    def strike(self, t: int, state: DayState) -> Array:
        """Today's strikes, in strike order, each acting on what the ones before left;
        returns which strikes hit today ``(K, n)``."""
        p = self.p
        hit_today = np.broadcast_to(p.strike_day == t, (p.strike_day.shape[0], self.n_points))
        for k in np.flatnonzero(hit_today.any(axis=1)):
            target = self.is_target[k] & hit_today[k]  # (F, n)
            if not target.any():
                continue
            loss = steps.strike_loss(
                self.availability(t, state),
                target,
                p.strike_damage[k],
                p.strike_staff_share[k],
                p.staff_resource,
            )
            struck = target.any(axis=0)  # (n,)
            state.resource_losses[k] = np.where(
                struck, loss.resource_loss, state.resource_losses[k]
            )
            state.staff_losses[k] = np.where(struck, loss.staff_loss, state.staff_losses[k])
            state.clock_at_strike[k] = np.where(target, state.clock, state.clock_at_strike[k])
        return hit_today

    def serve(
        self,
        capacity: Array,
        demand: Array,
        reach: Array | float,
        backlog: Array,
        waiting_rules: tuple[Array, Array],
        alternative_spare: Array,
    ) -> Served:
        """Local service, then destination choice for those who seek care elsewhere."""
        local = steps.local_service(capacity, demand, reach, backlog, *waiting_rules)
        spare = np.concatenate(
            _broadcast_last(np.maximum(capacity - local.served, 0.0), alternative_spare), axis=0
        )
        chosen = choice.choose_sparse(
            local.seeking, self.p.willingness_to_travel, self.candidates, spare
        )
        return Served(local, chosen)

    def capacity(self, i: int, available: Array) -> tuple[Array, Array | float]:
        """Capacity [patient d-1] ``(F, S, n)`` on day ``i``, and the share of new
        patients who reach the facility [1]: where a relocated site does better
        than what is left of the facility, the site serves, and only those who
        can travel to it come (``exp(-d / λ)``)."""
        p = self.p
        capacity = steps.capacity(
            p.baseline_capacity,
            self.open.is_open[i][:, None, :],
            available,
            p.dependency_weight,
            p.resource_capacity,
        )
        if not self.relocating:
            return capacity, 1.0
        at_site = steps.site_availability(available, p.relocation_share, p.relocation_carried)
        site_capacity = steps.capacity(
            p.baseline_capacity,
            self.on_site[i][:, None, :],
            at_site,
            p.dependency_weight,
            p.resource_capacity,
        )
        # The site serves only once it works, and where it can do more; rounding can
        # leave a wholly lost facility a hair below 0, which must not count as less.
        serving = self.on_site[i][:, None, :] & (site_capacity > capacity)
        reach = np.where(serving, self.site_reach, 1.0)
        return np.maximum(capacity, site_capacity), reach

    def demand(self, i: int, hit_today: Array | None) -> tuple[Array, Array, Array, Array]:
        """New patients [patient d-1] ``(F, S, ·)`` on day ``i``: the facility's usual
        demand without the strikes (``D0 · m``, once the facility exists); the demand
        of the day (the people still there and those who settled here, less those who
        stay away after an attack, plus the strikes' casualties); what the strikes
        added (casualties and the settled); and the care not sought."""
        p, t = self.p, self.start_day + i
        opened = self.open.opened[i][:, None, :]
        usual = np.where(opened, p.baseline_demand * p.demand_multiplier[t], 0.0)
        own = usual * self.present[i][:, None, :]
        hosted = np.zeros(usual.shape)
        if self.hosting:
            hosted = np.where(
                opened,
                steps.hosted_demand(
                    1.0 - self.present[i][:, None, :],
                    p.displacement_destination,
                    p.baseline_demand * p.demand_multiplier[t],
                ),
                0.0,
            )
        not_sought = np.zeros(usual.shape)
        if self.responding:
            away = steps.avoidance(p.response_share, t - p.strike_day, self.response_curve)
            not_sought = (own + hosted) * away
        casualties = np.zeros(usual.shape)
        if hit_today is not None:
            casualties = np.where(
                opened, steps.casualties(hit_today, self.casualty_load, self.strike_pairs), 0.0
            )
        demand = (own + hosted - not_sought) + casualties
        return usual, demand, hosted + casualties, not_sought

    def day(self, i: int, state: DayState, out: dict[str, Array]) -> None:
        """Day ``i`` of the block in both worlds: writes today's slice of every output
        into ``out`` and moves ``state`` on to tomorrow."""
        p, t = self.p, self.start_day + i
        hit_today = self.strike(t, state) if t in self.strike_days else None
        struck = state.resource_losses.any() or state.staff_losses.any()
        available = (
            self.availability(t, state) if struck else np.ones(state.resource_losses.shape[1:])
        )
        capacity, reach = self.capacity(i, available)
        usual, demand, added, not_sought = self.demand(i, hit_today)
        present = self.present[i][:, None, :]  # (F, 1, ·)
        rules = (p.backlog_attrition, p.deferrable_share)
        if self.closing:
            rules = steps.closed_for_good_today(self.open.closed_for_good[i][:, None, :], *rules)
        alternative_spare = np.where(
            self.alternative_open[i][:, None, :], p.alternative_spare_capacity, 0.0
        )
        actual = self.serve(capacity, demand, reach, state.backlog, rules, alternative_spare)
        counterfactual = self.serve(
            np.where(self.open_without_strikes[i][:, None, :], self.full_capacity, 0.0),
            usual,
            1.0,
            state.backlog_counterfactual,
            rules,
            alternative_spare,
        )
        care = steps.accounting(
            present,
            actual.lost + not_sought,
            counterfactual.lost,
            counterfactual.received,
            actual.local.backlog - state.backlog,
            counterfactual.local.backlog - state.backlog_counterfactual,
        )
        n_facilities = capacity.shape[0]
        today = {
            "available": available,
            "capacity": capacity,
            "demand": demand,
            "served": actual.local.served,
            "served_elsewhere": actual.choice.served_elsewhere,
            "unmet": actual.unmet,
            "abandoned": actual.local.abandoned,
            "backlog": actual.local.backlog,
            "arrivals": actual.choice.arrivals[:n_facilities],
            "received": actual.choice.received[:n_facilities],
            "received_by_alternative": actual.choice.received[n_facilities:],
            "population": self.population[i],
            "is_open": self.open.is_open[i],
            "counterfactual_demand": usual,
            "counterfactual_served": counterfactual.received,
            "forgone": care.forgone,
            "displaced": care.displaced,
            "waiting_change": care.waiting_change,
            "added_demand": added,
            "not_sought": not_sought,
        }
        for name, values in today.items():
            out[name][...] = values
        # Into the state's own arrays: a fresh array a day costs its page faults.
        np.copyto(state.backlog, actual.local.backlog)
        np.copyto(state.backlog_counterfactual, counterfactual.local.backlog)
        state.clock = state.clock + self.open.is_open[i]


def _broadcast_last(*arrays: Array) -> list[Array]:
    """Broadcast the last (ensemble) axis of each array to the longest, keeping the others."""
    length = max(array.shape[-1] for array in arrays)
    return [np.broadcast_to(a, (*a.shape[:-1], length)) for a in arrays]
