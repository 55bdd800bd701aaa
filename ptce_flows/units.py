"""The one time base and the constants shared by every layer.

1 simulation time unit = 1 day. Hours are converted with ``HOURS_PER_DAY``. The calendar is a
365-day year (no leap days): day-of-year runs 1..365 and months have their usual lengths.
"""

from __future__ import annotations

import numpy as np

HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365
KG_PER_T = 1000.0
T_PER_KT = 1000.0

#: Hours in one full-time-equivalent year in France: 1,607 h (35 h x 52 weeks minus public
#: holidays and 5 weeks of leave, plus the solidarity day). Code du travail, art. L3121-41;
#: Légifrance, 2016, https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000033020517
FTE_HOURS_PER_YEAR = 1607.0

#: Mean Earth radius used for great-circle distances (IUGG mean radius, km).
EARTH_RADIUS_KM = 6371.0088

MONTH_LENGTHS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
#: month index (0..11) of each day-of-year 1..365, stored at index doy-1
MONTH_OF_DOY = np.repeat(np.arange(12), MONTH_LENGTHS)


def day_of_year(time_d: np.ndarray | int, start_day_of_year: int = 1) -> np.ndarray | int:
    """Day of year (1..365) of simulation day ``time_d`` (0-based) for a run starting on
    ``start_day_of_year``."""
    return (np.asarray(time_d) + start_day_of_year - 1) % DAYS_PER_YEAR + 1


def annualise(total: float, horizon_days: float) -> float:
    """Scale a total over ``horizon_days`` to a per-year figure."""
    return total * DAYS_PER_YEAR / horizon_days
