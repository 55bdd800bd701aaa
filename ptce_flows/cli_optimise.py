"""``ptce-flows optimise``: its arguments and the command (parse, call, print; no logic)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ptce_flows.cli_options import MAX_REPLICATIONS, jobs_option, positive, seed_option, whole
from ptce_flows.errors import UsageError, printable

_replications = whole("--replications", 0, MAX_REPLICATIONS)


def _budget(text: str) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--budget-eur: expected a number of euros, got '{text}'") from None
    if not math.isfinite(value) or value < 0 or value > 1e12:
        raise argparse.ArgumentTypeError(f"--budget-eur: {text} is out of bounds (0 to 1e12 EUR)")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser("optimise", help="propose where to build treatment sites (exact solver), confirm by simulation")
    p.add_argument("file", metavar="SCENARIO.yaml")
    p.add_argument("--variant", metavar="NAME", help="search on top of this variant of the scenario")
    p.add_argument("--objective", choices=("cost", "tonne_km", "ghg"), default="cost",
                   help="what to minimise: net cost (EUR), tonne-km, or net greenhouse gases (default cost)")
    count = p.add_mutually_exclusive_group()
    count.add_argument("--sites", type=positive("--sites", 100_000), metavar="N",
                       help="exactly N treatment sites open in total (existing ones included)")
    count.add_argument("--max-new", type=whole("--max-new", 0, 10_000), metavar="N",
                       help="build at most N of the candidate sites")
    p.add_argument("--budget-eur", type=_budget, metavar="X", help="total capex of the sites built at most X EUR")
    p.add_argument("--top", type=positive("--top", 100), default=3, metavar="K",
                   help="how many distinct layouts to propose (default 3)")
    p.add_argument("--replications", type=_replications, default=2, metavar="R",
                   help="replications per layout to confirm by simulation; 0: no simulation (default 2)")
    p.add_argument("--days", type=positive("--days"), metavar="N", help="horizon in days (overrides the file)")
    p.add_argument("--seed", type=seed_option, help="random seed (default: the scenario's seed)")
    p.add_argument("--jobs", type=jobs_option, metavar="N", help="local worker processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<file stem>-optimise/)")
    p.add_argument("--force", action="store_true",
                   help="write into a folder that is not a ptce-flows results folder (only our file names)")
    p.add_argument("--cache", metavar="DIR", help="where finished runs are kept (default: .<DIR name>.runs beside --out)")
    p.add_argument("--lang", choices=("en", "fr"), default="en", help="language of the figure (default en)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no table, only errors")


def _print(*parts, file=None) -> None:
    print(*(printable(p) for p in parts), file=file)


def cmd_optimise(args, check_backend, check_out) -> int:
    from ptce_flows.experiment.optimise import Request, confirm, search
    from ptce_flows.experiment.plans import PlanError, default_cache_dir
    from ptce_flows.reports.console import ProgressBar
    from ptce_flows.reports.files import forcing
    from ptce_flows.reports.search_output import write_search

    check_backend(args)
    out = Path(args.out) if args.out else Path("results") / f"{Path(args.file).stem}-optimise"
    check_out(out, args.force)
    started = time.perf_counter()
    request = Request(args.file, args.variant, args.objective, args.sites, args.max_new, args.budget_eur,
                      args.top, args.days)
    try:
        result = search(request)
    except PlanError as exc:
        flag = {"objective": "--objective", "constraints": "--sites/--max-new/--budget-eur"}.get(exc.option)
        raise UsageError(f"{flag}: {exc}" if flag else str(exc)) from None
    cache = Path(args.cache) if args.cache else default_cache_dir(Path(os.path.abspath(out)))
    bar = None if args.quiet or args.replications == 0 else ProgressBar()
    try:
        confirm(result, args.replications, args.seed, jobs=args.jobs or 1, scheduler=args.scheduler,
                cache_dir=cache if args.replications else None, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    for failure in result.failures:
        _print(f"failed: {failure.format()}", file=sys.stderr)
    if result.failures:
        _print(f"error: {len(result.failures)} runs failed; nothing written", file=sys.stderr)
        return 1
    with forcing(args.force):
        write_search(result, out, ["ptce-flows", *sys.argv[1:]], lang=args.lang)
    if not args.quiet:
        _print(_table(result))
        _print(f"\nResults in {out}/ ({time.perf_counter() - started:.2f} s)")
    return 0


def _table(result) -> str:
    """The proposals for the terminal: the candidates each builds (every open site is in
    layouts.json), the solver's optimum, the static model's value of the layout as the scenario
    routes it (what the simulation should find) and the simulated mean with its interval."""
    kpi, unit = result.kpi, result.unit

    def num(x) -> str:
        return "" if x is None else f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"

    lines = [f"Site search: {kpi} ({unit}), {result.replications} replication(s) per layout",
             f"{'rank':>4}  {'candidates built':32s} {'solver':>13} {'gap':>6} {'static model':>13} "
             f"{'simulated mean [95 % CI]':>40}  flag"]

    def row(p, rank):
        sim = p.simulated.get(kpi) if p.simulated else None
        text = "" if not sim or sim["mean"] is None else (
            f"{num(sim['mean'])} [{num(sim['low'])}, {num(sim['high'])}]" if sim["n"] > 1 else num(sim["mean"]))
        gap = "" if p.gap is None else f"{100 * p.gap:.2f}%"
        built = ", ".join(p.opened) if p.opened else "(none)"
        built = built if len(built) <= 32 else built[:31] + "…"
        static = p.static.get(kpi) if p.static else None
        return (f"{rank:>4}  {built:32s} {num(p.objective):>13} {gap:>6} {num(static):>13} "
                f"{text:>40}  {p.flag or ''}")

    lines.append(row(result.base, "base"))
    lines += [row(p, p.rank) for p in result.proposals]
    return "\n".join(lines)
