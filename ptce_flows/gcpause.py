"""Pausing Python's cyclic garbage collector around work that allocates a great many objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; switch it back on afterwards unless the caller
    had switched it off (also usable as a decorator).

    Parsing a 1,000-source scenario (nodes, marks, key paths, the data) or running a replication
    (events, jobs, shipment rows) allocates hundreds of thousands of objects that reference
    counting frees; the collector, run every 700 allocations, rescans them and now and then
    everything alive, for nothing: more than half of a large parse, about 15 % of a one-year
    run. The few cycles there are (a run's processes and their environment) live until the end
    of the block anyway and are collected afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
