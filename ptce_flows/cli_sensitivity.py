"""``ptce-flows sensitivity``: parse its options, run the plan, write the files, print.

    ptce-flows sensitivity FILE [--variant V] [--kpi K ...] [--param PATH=LOW:HIGH ...]
        [--replications R] [--jobs N | --scheduler ADDR] [--out DIR] [--seed S] [--quiet]
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

from ptce_flows.cli_options import (
    MAX_PARAM_CHARS,
    jobs_option,
    positive,
    replications_option,
    seed_option,
)
from ptce_flows.errors import UsageError, printable

_PARAM = re.compile(r"^\s*([^=\s]+)\s*=\s*([^:]*):([^:]*)$")
#: the flag behind each ``PlanError.option``
_FLAGS = {"kpi": "--kpi", "param": "--param"}


def add_parser(sub, force_option) -> None:
    p = sub.add_parser("sensitivity", help="one-at-a-time sensitivity of the climate and cost factors "
                                           "(and any --param), tornado figures and a CSV")
    p.add_argument("file", metavar="SCENARIO.yaml")
    p.add_argument("--variant", metavar="NAME", help="analyse this variant of the scenario")
    p.add_argument("--kpi", nargs="+", metavar="KPI",
                   help="KPIs to draw (default: ghg_net_t_co2e cost_net_eur diverted_t jobs_fte)")
    p.add_argument("--param", action="append", default=[], metavar="PATH=LOW:HIGH",
                   help="another input to vary, e.g. sites.platform.capacity_t_per_day=30:60 (repeatable)")
    p.add_argument("--replications", type=replications_option, default=2, metavar="N",
                   help="replications of every run, the same seeds everywhere (default 2)")
    p.add_argument("--seed", type=seed_option, help="random seed (default: the scenario's seed)")
    p.add_argument("--days", type=positive("--days"), metavar="N", help="horizon in days (overrides the file)")
    p.add_argument("--jobs", type=jobs_option, metavar="N", help="local worker processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster")
    p.add_argument("--cache", metavar="DIR", help="keep finished runs in DIR and reuse them (default: none)")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<file stem>-sensitivity/)")
    force_option(p)
    p.add_argument("--lang", choices=("en", "fr"), default="en", help="language of the figures (default en)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary, only errors")


def parse_range(text: str) -> tuple[str, float, float]:
    """``PATH=LOW:HIGH`` -> (path, low, high); ``UsageError`` (exit 2) when it is not one."""
    if len(text) > MAX_PARAM_CHARS:
        raise UsageError(f"--param: {len(text):,} characters, more than {MAX_PARAM_CHARS:,}")
    match = _PARAM.match(text)
    if not match:
        raise UsageError(f"--param: expected PATH=LOW:HIGH (e.g. costs.discount_rate=0.02:0.08), "
                         f"found '{printable(text[:80], keep_newlines=False)}'")
    path, low_s, high_s = match.groups()
    try:
        low, high = float(low_s), float(high_s)
    except ValueError:
        raise UsageError(f"--param {path[:60]}: LOW and HIGH must be numbers, found "
                         f"'{printable(low_s.strip()[:30])}:{printable(high_s.strip()[:30])}'") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise UsageError(f"--param {path[:60]}: LOW and HIGH must be finite numbers")
    if low > high:
        raise UsageError(f"--param {path[:60]}: LOW ({low:g}) is above HIGH ({high:g}); give LOW:HIGH")
    # whole numbers stay whole (counts such as vehicles must be integers in the scenario)
    return path, int(low) if low.is_integer() and "." not in low_s else low, \
        int(high) if high.is_integer() and "." not in high_s else high


def run(args, check_backend, check_out, emit) -> int:
    from ptce_flows.experiment.plans import PlanError
    from ptce_flows.experiment.sensitivity import DEFAULT_KPIS, plan_sensitivity, run_sensitivity
    from ptce_flows.reports.console import ProgressBar
    from ptce_flows.reports.files import forcing
    from ptce_flows.reports.sensitivity_output import console_summary, write_sensitivity

    check_backend(args)
    params = [parse_range(p) for p in args.param]
    overrides = {"horizon_days": args.days} if args.days is not None else {}
    try:
        plan = plan_sensitivity(args.file, args.variant, params, args.kpi or DEFAULT_KPIS, args.seed,
                                args.replications, overrides)
    except PlanError as exc:
        raise UsageError(f"{_FLAGS.get(exc.option, exc.option)}: {exc}") from None
    stem = Path(args.file).stem + (f"-{args.variant}" if args.variant else "")
    out = Path(args.out) if args.out else Path("results") / f"{stem}-sensitivity"
    check_out(out, args.force)
    bar = ProgressBar() if not args.quiet and sys.stderr.isatty() else None
    try:
        sens = run_sensitivity(plan, jobs=args.jobs or 1, scheduler=args.scheduler,
                               cache_dir=Path(args.cache) if args.cache else None, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    for failure in sens.execution.failures:
        emit(f"failed: {failure.format()}", file=sys.stderr)
    if sens.execution.failures:
        emit(f"error: {len(sens.execution.failures)} runs failed (listed above); nothing written", file=sys.stderr)
        return 1
    with forcing(args.force):
        write_sensitivity(sens, out, ["ptce-flows", *sys.argv[1:]], lang=args.lang)
    if not args.quiet:
        emit(console_summary(sens))
        ex = sens.execution
        emit(f"\nResults in {out}/ ({ex.computed} runs computed, {ex.reused} reused; {ex.wall_time_s:.2f} s)")
    return 0
