"""Fixed constants of the model (not settable by a scenario; user defaults live in
``scenario/defaults.py``)."""

from __future__ import annotations

#: Tonnes below which a quantity counts as zero in comparisons (numerical slack of float sums).
EPS = 1e-9

#: Days between clearances of a partial load of process residues (rejects) to disposal; full
#: loads leave as soon as they are ready. Estimate: weekly skip or container swap.
RESIDUE_CLEARANCE_DAYS = 7

#: Smallest mass tolerance of the balance checks, in tonnes (see ``metrics.balance``).
MASS_TOLERANCE_T = 1e-6

#: Most loads one place may send in one day. Beyond it a run would take days and gigabytes
#: (and the count of loads would soon overflow an integer): the run stops with a
#: ``SimulationError`` instead. Estimate: a million truckloads a day from one source or site
#: is no real territory (the scenario schema bounds payloads and rates well below this).
MAX_LOADS_PER_DAY = 1_000_000

#: Days between two delivery plans of a product when no window opens or closes (planned
#: deliveries, ``sim.allocation``). Estimate: a weekly delivery schedule, revised when a
#: spreading window opens or closes.
PLAN_EVERY_DAYS = 7
