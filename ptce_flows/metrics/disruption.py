"""What a disruption costs: paired differences between a disrupted run and the same run
without disruptions (same seeds, so the difference is the disruption, not noise)."""

from __future__ import annotations

import numpy as np

from ptce_flows.metrics.kpis import ReplicationSummary
from ptce_flows.metrics.stats import mean_ci

#: a backlog counts as recovered when the stock at sources is back within this many tonnes
#: (or this share) of the undisrupted run's
RECOVERY_ABS_T = 1.0
RECOVERY_REL = 0.01

COST_KPIS = {
    "not_diverted_t": ("disposed_t", +1),
    "lost_diversion_t": ("diverted_t", -1),
    "extra_tonne_km": ("tonne_km", +1),
    "extra_vehicle_km": ("vehicle_km", +1),
    "extra_co2_t": ("co2_t", +1),
    "extra_unmet_demand_t": ("unmet_demand_t", +1),
}


def source_stock(run: ReplicationSummary) -> np.ndarray:
    """Total stock waiting at sources at the end of each day."""
    cols = [j for j, q in enumerate(run.series.quantity) if q == "source_stock"]
    return run.levels[:, cols].sum(axis=1) if cols else np.zeros(run.levels.shape[0])


def recovery_days(disrupted: ReplicationSummary, base: ReplicationSummary, end_day: int) -> float | None:
    """Days after ``end_day`` until the source backlog is back to the undisrupted level
    (0 if it never built up); None if it does not recover within the horizon."""
    a, b = source_stock(disrupted), source_stock(base)
    if end_day >= len(a):
        return None
    ok = np.abs(a - b) <= np.maximum(RECOVERY_ABS_T, RECOVERY_REL * np.abs(b))
    after = np.flatnonzero(ok[end_day:])
    return float(after[0]) if len(after) else None


def disruption_cost(disrupted: list[ReplicationSummary], base: list[ReplicationSummary],
                    end_day: int | None) -> dict:
    """Mean and 95 % interval of each cost over paired replications."""
    out: dict[str, dict] = {}
    for name, (kpi, sign) in COST_KPIS.items():
        diffs = [sign * (d.kpis[kpi] - b.kpis[kpi]) for d, b in zip(disrupted, base, strict=True)]
        mean, std, low, high = mean_ci(diffs)
        out[name] = {"mean": mean, "std": std, "ci95": [low, high]}
    if end_day is not None:
        days = [recovery_days(d, b, end_day) for d, b in zip(disrupted, base, strict=True)]
        recovered = [x for x in days if x is not None]
        mean, std, low, high = mean_ci(recovered) if recovered else (None, None, None, None)
        out["recovery_days"] = {"mean": mean, "std": std, "ci95": [low, high],
                                "replications_recovered": len(recovered), "replications": len(days),
                                "after_day": end_day}
    out["breakdowns"] = {"mean": float(np.mean([d.extra.get("breakdowns", 0.0) for d in disrupted]))}
    return out
