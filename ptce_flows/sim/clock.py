"""The SimPy environment of a replication, counting the events it processes.

SimPy keeps no count of processed events; reading it from its private attributes (the id
counter minus the queue) breaks with any SimPy release. ``Clock`` counts them through the
public extension point instead: ``step()`` processes one event.
"""

from __future__ import annotations

import simpy
from simpy.core import BoundClass

_process_one = simpy.Environment.step


class Clock(simpy.Environment):
    """A ``simpy.Environment`` that counts the events it processes (``events``)."""

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        self.events = 0
        # SimPy binds ``timeout``, ``event``, ``process``... to the instance for speed, but only
        # those defined on the instance's own class: bind the base class's too, or every
        # ``env.timeout`` goes through a descriptor (about 5 % of a run)
        for name, attr in vars(simpy.Environment).items():
            if isinstance(attr, BoundClass):
                setattr(self, name, getattr(self, name))

    def step(self) -> None:
        # counted before processing, as ``run(until=...)`` stops inside the step of its
        # ``until`` event: that event is processed too
        self.events += 1
        _process_one(self)  # not ``super().step()``: no super object per event

    def discard_queued(self) -> None:
        """Drop the events still scheduled (after a run: they hold the components alive)."""
        self._queue.clear()
