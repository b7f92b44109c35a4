"""One block of ensemble points over a run of days: what the day loop works with.

:class:`Block` prepares what does not depend on yesterday (population, open
days, strike days, the diversion geometry) for all days at once; its
:meth:`~Block.window` computes availability, capacity and demand for a window
of days without a strike inside, and :meth:`~Block.day` serves one day. Both
call the steps of :mod:`facility_impact.model.steps` in the order of
``docs/model.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from facility_impact.model import steps
from facility_impact.model.inputs import KernelInputs

Array = npt.NDArray[Any]

WINDOW_DAYS = 16
"""Days whose availability, capacity and demand are computed in one step (within a
window no strike happens). Longer windows cost more memory per block of points."""


@dataclass(frozen=True)
class Window:
    """Days ``[first, stop)`` of a block (indices from its first day), computed at once."""

    first: int
    stop: int
    anchor: Array
    """Availability just after the latest strike, ``(F, R, n)`` [1]."""
    recovery_start: Array
    """Day recovery starts after it, ``(F, R, n)`` [d]."""
    recovering: bool
    """Some facility recovers from a strike."""
    outputs: dict[str, Array]
    """The outputs that do not depend on yesterday, ``(W, <structure>, ·)`` each;
    :meth:`Block.day` writes the others day by day."""

    @property
    def days(self) -> slice:
        return slice(self.first, self.stop)

    @property
    def last(self) -> Array:
        """Availability on the window's last day, ``(F, R, n)`` [1]."""
        last: Array = self.outputs["available"][-1]
        return last


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
        self.n_points = n_points
        self.start_day, self.n_days, self.dtype = start_day, stop_day - start_day, dtype
        self.days = np.arange(start_day, stop_day, dtype=float)[:, None, None]  # (T, 1, 1)
        population = self.cast(
            steps.population(
                self.days,
                p.population_baseline,
                p.displacement_share,
                p.displacement_start_day,
                p.displacement_curve,
                p.displacement_time_days,
                p.displacement_mean_days,
                p.displacement_sd_days,
            )
        )
        self.population = population
        self.population_ratio = self.cast(population / p.population_baseline)
        self.is_target = p.strike_target > 0  # (K, F, ·)
        self.strike_end = p.strike_day + p.strike_closure_days  # (K, ·)
        self.open = steps.open_days(
            self.days,
            p.facility_opens_day,
            p.facility_closes_day,
            p.strike_day,
            self.strike_end,
            self.is_target,
        )
        self.open_fraction = self.cast(self.open.is_open)
        self.opened_fraction = self.cast(self.open.opened)
        self.closing = bool(self.open.closed_for_good.any())
        self._prepare_strikes(stop_day)
        self._prepare_diversion()
        self.baseline_demand = self.cast(p.baseline_demand)
        self.multiplier = self.cast(p.demand_multiplier)
        self.attrition, self.deferrable = (
            self.cast(p.backlog_attrition),
            self.cast(p.deferrable_share),
        )
        self.capacity0 = self.cast(p.baseline_capacity)
        self.weight = self.cast(p.dependency_weight)  # (F, R, S, ·)
        self.recoverable = self.cast(p.recoverable_share)
        self.restoration = steps.Restoration(
            p.recovery_curve, p.recovery_time_days, p.recovery_mean_days, p.recovery_sd_days
        )

    def cast(self, array: Array) -> Array:
        """``array`` in the block's work type."""
        return np.asarray(array, dtype=self.dtype)

    def _prepare_strikes(self, stop_day: int) -> None:
        """Strikes happen on few days: the day loop handles only those."""
        p = self.p
        day_of_strike, strikes_anyone = np.broadcast_arrays(
            p.strike_day, self.is_target.any(axis=1)
        )
        struck_days = day_of_strike[strikes_anyone]
        self.strike_days = {
            int(day)
            for day in np.unique(struck_days)
            if day == int(day) and self.start_day <= day < stop_day
        }
        self.damage_on = p.strike_target[:, :, None, :] * p.strike_damage[:, None, :, :]
        self.casualty_load = (
            p.strike_casualties[:, None, None, :] * p.strike_target[:, :, None, :]
        ) * p.strike_casualty_service[:, None, :, :]  # (K, F, S, ·)
        after_start = (day - self.start_day for day in self.strike_days if day > self.start_day)
        self.window_ends = sorted({self.n_days, *after_start})

    def _prepare_diversion(self) -> None:
        """Destinations ``D``: the modelled facilities, then the alternatives. The
        shares change only when a facility or an alternative opens or closes, so
        they are recomputed on those days only."""
        p = self.p
        n_facilities = p.baseline_capacity.shape[0]
        self.alternative_open = self.days >= p.alternative_opens_day  # (T, J, ·)
        # A sender never heads for itself, so a lone facility's own opening and
        # closing leave its shares as they are.
        changes = np.any(self.alternative_open[1:] != self.alternative_open[:-1], axis=(1, 2))
        if n_facilities > 1:
            is_open = self.open.is_open
            changes |= np.any(is_open[1:] != is_open[:-1], axis=(1, 2))
        self.share_days = {0, *(np.flatnonzero(changes) + 1).tolist()}
        self.distance = np.concatenate(
            steps.broadcast_last(p.network_distance_km, p.alternative_distance_km), axis=1
        )  # (F, D, ·)
        n_destinations = self.distance.shape[1]
        self.elsewhere = np.ones((n_facilities, 1, n_destinations))
        self.elsewhere[np.arange(n_facilities), 0, np.arange(n_facilities)] = 0.0
        n_points = self.n_points
        # Spare capacity of every destination, (D, S, n): the modelled facilities'
        # is refreshed each day, the alternatives' when their opening changes.
        self.spare = np.empty((n_destinations, p.baseline_capacity.shape[1], n_points), self.dtype)
        self.buffers = steps.DiversionBuffers(
            heading=np.empty(
                (n_destinations, *p.baseline_capacity.shape[:2], n_points), self.dtype
            ),
            arriving=np.empty_like(self.spare),
            absorbed=np.empty_like(self.spare),
        )
        self.shares = np.empty(0)

    def window(
        self, i: int, anchor: Array, recovery_start: Array, available: Array, recovering: bool
    ) -> Window:
        """Days from ``i`` to the next strike (at most :data:`WINDOW_DAYS`): a strike on
        day ``i`` first, then availability, capacity and demand of every day."""
        t = self.start_day + i
        hit_today = None
        if t in self.strike_days:
            struck = steps.strike(
                t,
                available,
                anchor,
                recovery_start,
                self.p.strike_day,
                self.strike_end,
                self.is_target,
                self.damage_on,
                self.dtype,
            )
            anchor, recovery_start, hit_today = struck
            recovering = True
        stop = min(i + WINDOW_DAYS, next(end for end in self.window_ends if end > i))
        days = slice(i, stop)
        if recovering:
            window_available = steps.availability(
                self.days[days][..., None],
                anchor,
                recovery_start,
                self.p.recovery_delay_days,
                self.recoverable,
                self.restoration,
                self.dtype,
            )
        else:
            window_available = np.broadcast_to(anchor, (stop - i, *anchor.shape))
        outputs = self._window_outputs(days, window_available, hit_today)
        return Window(i, stop, anchor, recovery_start, recovering, outputs)

    def _window_outputs(
        self, days: slice, available: Array, hit_today: Array | None
    ) -> dict[str, Array]:
        """Capacity and demand of the days of a window, beside availability,
        population and open days."""
        capacity = steps.capacity(
            self.capacity0, self.open_fraction[days][:, :, None, :], available, self.weight
        )
        shift = self.start_day
        demand = steps.demand(
            self.baseline_demand,
            self.population_ratio[days][:, :, None, :],
            self.multiplier[shift + days.start : shift + days.stop],
            self.opened_fraction[days][:, :, None, :],
            None
            if hit_today is None
            else steps.casualties(hit_today, self.casualty_load, self.dtype),
            capacity.shape[-1],
        )
        return {
            "available": available,
            "capacity": capacity,
            "demand": demand,
            "population": self.population[days],
            "is_open": self.open_fraction[days],
        }

    def day(self, i: int, window: Window, backlog: Array, out: dict[str, Array]) -> Array:
        """Day ``i``: local service, diversion and the backlog, written into ``out``
        (today's slices of the outputs the window does not hold); returns the
        backlog [patient]."""
        capacity = window.outputs["capacity"][i - window.first]
        demand = window.outputs["demand"][i - window.first]
        if self.closing:
            gone = self.open.closed_for_good[i][:, None, :]
            attrition, deferrable = steps.closed_for_good_today(
                gone, self.attrition, self.deferrable, self.dtype
            )
        else:
            attrition, deferrable = self.attrition, self.deferrable
        local = steps.local_service(
            capacity,
            demand,
            backlog,
            attrition,
            deferrable,
            abandoned_out=out["abandoned"],
            served_out=out["served"],
        )
        if i in self.share_days:
            self._update_shares(i)
        self.buffers.served_elsewhere, self.buffers.unmet = out["served_elsewhere"], out["unmet"]
        diverted = steps.diversion(
            self.shares, local.seeking, capacity, local.served, self.spare, self.buffers
        )
        backlog = steps.backlog(
            local.backlog_kept, local.served_backlog, local.waiting, out["backlog"]
        )
        n_facilities = capacity.shape[0]
        out["arrivals"][...] = diverted.arriving[:n_facilities]
        out["received"][...] = diverted.absorbed[:n_facilities]
        out["received_by_alternative"][...] = diverted.absorbed[n_facilities:]
        return backlog

    def _update_shares(self, i: int) -> None:
        """Diversion shares and the alternatives' spare capacity from day ``i`` on."""
        p = self.p
        shares, spare = steps.destination_shares(
            p.baseline_capacity * self.open_fraction[i][:, None, :],
            self.alternative_open[i][:, None, :],
            p.alternative_capacity,
            p.alternative_spare_capacity,
            p.willingness_to_travel,
            p.distance_decay_km,
            self.distance,
            self.elsewhere,
        )
        self.shares = self.cast(shares)
        self.spare[p.baseline_capacity.shape[0] :] = self.cast(spare)
