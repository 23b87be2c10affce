"""The model's SimPy environment: SimPy's own, with its two busiest paths written tight.

A replication is some 15,000 SimPy events, most of them a candidate's or a post's
``yield env.timeout(dt)``; SimPy's per-event machinery (creating the timeout, scheduling
it, popping it and calling its callbacks) is a large share of the run. :class:`Clock`
keeps SimPy's semantics exactly — the same heap entries ``(time, priority, event id,
event)``, in the same order, the same clock sums — and only removes the layers of calls
around them:

* :meth:`Clock.timeout` builds a :class:`simpy.Timeout` without calling its
  ``__init__`` and ``Environment.schedule`` (the two frames it costs in SimPy);
* :meth:`Clock.run_to` is ``Environment.run(until=at)``, with ``Environment.step``
  inlined in its loop.

Everything else (processes, interrupts, plain events) is SimPy's. ``tests/test_recorder.py``
checks that a replication's event log is byte for byte the one SimPy's own loop gives.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT
from simpy.events import Event, Timeout

__all__ = ["Clock"]

_new = object.__new__


class Clock(simpy.Environment):
    """:class:`simpy.Environment` with a tight ``timeout`` and ``run(until=...)`` (see the module)."""

    def timeout(self, delay: float, value: Any = None) -> Timeout:  # type: ignore[override]
        """A :class:`simpy.Timeout` of ``delay``, scheduled as ``Environment.timeout`` schedules it."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event: Timeout = _new(Timeout)
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), event))
        return event

    def run_to(self, at: float) -> None:
        """Process events until the clock reaches ``at``: ``Environment.run(until=at)``, inlined.

        As in SimPy, a stop event is scheduled at ``at`` with urgent priority (before the
        ordinary events of that instant), and the events before it are processed in heap
        order; a failed event that nobody defused raises, as ``Environment.step`` does. (SimPy
        leaves its spent stop event in the heap; here it is simply gone.)
        """
        now = self._now
        if at <= now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = Event(self)
        stop._ok = True
        stop._value = None
        queue = self._queue
        heappush(queue, (now + (at - now), URGENT, next(self._eid), stop))
        pop = heappop
        while True:
            self._now, _, _, event = pop(queue)
            if event is stop:
                stop.callbacks = None  # type: ignore[assignment]  # SimPy marks a processed event so
                return
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
