"""Terminal output: plain-text tables and the progress bar of runs."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

from ptce_flows.i18n import fmt_number, fmt_pct, tr, unit_label

if TYPE_CHECKING:
    from ptce_flows.experiment.execution import Progress

HEADLINE = [
    ("generated_t", "Generated", "t"),
    ("residual_t", "  of which residual (to disposal)", "t"),
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


def fmt(value: float, unit: str, lang: str = "en") -> str:
    """A figure of the terminal tables (French: ``12 345,6``, ``83,0 %``)."""
    if unit == "%":
        return fmt_pct(value, lang, 1) if lang == "fr" else f"{100 * value:.1f} %"
    if unit == "t" and abs(value) < 1e-3 and value != 0:
        text = f"{value:.1e}"
        return text.replace(".", ",") if lang == "fr" else text
    decimals = 0 if abs(value) >= 100 or unit in ("", "km", "t.km") else 2
    return fmt_number(value, lang, decimals) if lang == "fr" else f"{value:,.{decimals}f}"


def headline_table(summary: dict, lang: str = "en", title: str | None = None) -> str:
    """The headline figures, with 95 % intervals when there are replications; labels,
    units and numbers in ``lang``; ``title`` (default: the scenario's name and variant)."""
    kpis = summary["kpis"]
    unc = summary.get("uncertainty", {})
    rows = []
    for key, label, unit in HEADLINE:
        value = fmt(kpis[key], unit, lang)
        ci = ""
        if key in unc and key != "mass_balance_error_t":
            low, high = unc[key]["ci95"]
            ci = f"[{fmt(low, unit, lang)} .. {fmt(high, unit, lang)}]"
        if lang != "en":
            label = ("  " if label.startswith(" ") else "") + tr(f"kpi.{key}", lang)
        rows.append((label, value, "" if unit == "%" else unit_label(unit, lang) if lang != "en" else unit, ci))
    if title is None:
        title = summary["scenario"] + (f" [{summary['variant']}]" if summary.get("variant") else "")
    warm = tr("console.warm", lang, n=summary["warmup_days"]) if summary.get("warmup_days") else ""
    head = tr("console.head", lang, title=title, days=summary["horizon_days"], warm=warm, seed=summary["seed"],
              n=summary["replications"])
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    lines = [head]
    if unc:
        lines.append(f"{'':{w0}}  {tr('console.mean', lang):>{w1}}  {'':{w2}}  {tr('table.ci', lang)}")
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


class ProgressBar:
    """A one-line progress display on a stream (stderr): runs done, running, failed, ETA.

    On a terminal the line is redrawn in place (at most 10 times a second). When the stream
    is not a terminal (a log, a pipe, CI) nothing is printed, unless ``log=True``: then a line
    is printed at most every ``log_every_s`` seconds and at the end.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 28, log_every_s: float = 10.0,
                 label: str = "runs", log: bool = False):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.silent = not (self.tty or log)
        self.width = width
        self.label = label
        self.log_every_s = log_every_s
        self.last_draw = -1e9
        self.last: Progress | None = None
        self.drawn = False

    def __call__(self, p: Progress) -> None:
        self.last = p
        if self.silent:
            return
        now = time.perf_counter()
        finished = p.done + p.failed >= p.total
        interval = 0.1 if self.tty else self.log_every_s
        if not finished and now - self.last_draw < interval:
            return
        self.last_draw = now
        self._draw(p)

    def line(self, p: Progress) -> str:
        frac = (p.done + p.failed) / p.total if p.total else 1.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        parts = [f"[{bar}] {p.done + p.failed}/{p.total} {self.label}"]
        if p.reused:
            parts.append(f"{p.reused} reused")
        parts.append(f"{p.running} running")
        parts.append(f"{p.failed} failed")
        if p.done + p.failed >= p.total:
            parts.append(f"{_clock(p.elapsed_s)} elapsed")
        else:
            parts.append(f"ETA {_clock(p.eta_s) if p.eta_s is not None else '--:--'}")
        return " | ".join(parts)

    def _draw(self, p: Progress) -> None:
        text = self.line(p)
        if self.tty:
            self.stream.write("\r" + text + "\x1b[K")
            self.drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line (after a final redraw) so that later output starts on a new one."""
        if self.last is not None and self.tty and not self.silent:
            self._draw(self.last)
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


class StepProgress:
    """``[####....] 3/8 figures: sankey`` on a terminal (redrawn in place), for steps that are
    not runs (the figures of a report); nothing when the stream is not a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, width: int = 28):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total, self.label, self.width = max(total, 1), label, width
        self.started = time.perf_counter()
        self.drawn = False

    def __call__(self, done: int, what: str = "") -> None:
        if not self.tty:
            return
        filled = int(round(min(done, self.total) / self.total * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        text = f"[{bar}] {done}/{self.total} {self.label}"
        text += f" | {what}" if what else ""
        text += f" | {_clock(time.perf_counter() - self.started)} elapsed"
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
