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
