"""Plain-text tables for the terminal."""

from __future__ import annotations

HEADLINE = [
    ("generated_t", "Generated", "t"),
    ("collected_t", "Collected", "t"),
    ("diverted_t", "Diverted (entered treatment)", "t"),
    ("disposed_t", "Disposed (not diverted)", "t"),
    ("diversion_rate", "Diversion rate", "%"),
    ("produced_t", "Products made", "t"),
    ("delivered_t", "Delivered to farms/outlets", "t"),
    ("unmet_demand_t", "Demand not met", "t"),
    ("stock_end_t", "Stock at end of horizon", "t"),
    ("trips", "Truck trips", ""),
    ("vehicle_km", "Vehicle-km", "km"),
    ("tonne_km", "Tonne-km", "t.km"),
    ("co2_t", "Transport CO2", "t CO2e"),
    ("jobs_fte", "Jobs", "FTE"),
    ("insertion_fte", "  of which insertion", "FTE"),
    ("mass_balance_error_t", "Mass balance error", "t"),
]


def fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{100 * value:.1f} %"
    if unit == "t" and abs(value) < 1e-3 and value != 0:
        return f"{value:.1e}"
    if abs(value) >= 100 or unit in ("", "km", "t.km"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def headline_table(summary: dict) -> str:
    """The headline figures, with 95 % intervals when there are replications."""
    kpis = summary["kpis"]
    unc = summary.get("uncertainty", {})
    rows = []
    for key, label, unit in HEADLINE:
        value = fmt(kpis[key], unit)
        ci = ""
        if key in unc and key != "mass_balance_error_t":
            low, high = unc[key]["ci95"]
            ci = f"[{fmt(low, unit)} .. {fmt(high, unit)}]"
        rows.append((label, value, "" if unit == "%" else unit, ci))
    title = summary["scenario"] + (f" [{summary['variant']}]" if summary.get("variant") else "")
    warm = f" after {summary['warmup_days']} days of warm-up" if summary.get("warmup_days") else ""
    head = (f"{title}: {summary['horizon_days']} days{warm}, seed {summary['seed']}, "
            f"{summary['replications']} replication(s)")
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    lines = [head]
    if unc:
        lines.append(f"{'':{w0}}  {'mean':>{w1}}  {'':{w2}}  95 % confidence interval")
    for label, value, unit, ci in rows:
        lines.append(f"{label:<{w0}}  {value:>{w1}}  {unit:<{w2}}  {ci}".rstrip())
    return "\n".join(lines)


def disruption_table(cost: dict) -> str:
    """What the declared disruptions cost, against the same run without them."""
    rows = [
        ("not_diverted_t", "Sent to disposal instead of treatment", "t"),
        ("extra_tonne_km", "Extra tonne-km", "t.km"),
        ("extra_vehicle_km", "Extra vehicle-km", "km"),
        ("extra_co2_t", "Extra transport CO2", "t CO2e"),
        ("extra_unmet_demand_t", "Extra demand not met", "t"),
    ]
    lines = ["", "Disruptions, against the same run without them (same seeds):"]
    for key, label, unit in rows:
        lines.append(f"  {label:<40} {fmt(cost[key]['mean'], unit):>12} {unit}")
    rec = cost.get("recovery_days")
    if rec is not None:
        if rec["mean"] is None:
            text = "not recovered within the horizon"
        else:
            text = f"{rec['mean']:.1f} days after day {rec['after_day']}"
            if rec["replications_recovered"] < rec["replications"]:
                text += f" ({rec['replications_recovered']}/{rec['replications']} replications recovered)"
        lines.append(f"  {'Backlog at sources recovered':<40} {text}")
    if cost.get("breakdowns", {}).get("mean"):
        lines.append(f"  {'Truck breakdowns':<40} {cost['breakdowns']['mean']:>12.1f}")
    return "\n".join(lines)
