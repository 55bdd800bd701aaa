"""Command-line front end: parse, call the experiment and report layers, print, exit.

Exit codes: 0 success; 2 bad input (every problem printed as FILE:LINE: key.path: message);
1 an internal error (a bug: please report it); 130 interrupted. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from ptce_flows import __version__
from ptce_flows.cli_options import (
    detail_option,
    jobs_option,
    parse_param,
    parse_sweep_param,
    positive,
    replications_option,
    seed_option,
    strict_option,
)
from ptce_flows.errors import InputError, PtceFlowsError, ScenarioError, UsageError, printable
from ptce_flows.i18n import fmt_number, tr


def _print(*parts, file=None) -> None:
    """``print`` with control characters escaped: text from a file never drives the terminal."""
    print(*(printable(p) for p in parts), file=file)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit code 2 with a one-line hint
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {printable(message, keep_newlines=False)}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ptce-flows", description=(
        "Simulate territorial material loops (sources -> treatment -> farms and outlets) "
        "from a YAML scenario."))
    parser.add_argument("--version", action="version", version=f"ptce-flows {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check scenario files (and all their variants)")
    p.add_argument("files", nargs="+", metavar="SCENARIO.yaml")
    strict_option(p)

    p = sub.add_parser("run", help="simulate a scenario and write its results")
    p.add_argument("file", metavar="SCENARIO.yaml")
    p.add_argument("--out", metavar="DIR", help="results folder (default results/<file stem>/)")
    _force_option(p)
    p.add_argument("--seed", type=seed_option, help="random seed (default: the scenario's seed)")
    p.add_argument("--replications", type=replications_option, default=1, metavar="N",
                   help="independent replications (default 1)")
    p.add_argument("--jobs", type=jobs_option, metavar="N",
                   help="worker processes for replications (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the replications on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 "
                        "(only one you control: see docs/compare.md)")
    p.add_argument("--cache", metavar="DIR",
                   help="keep finished replications in DIR and reuse them when the same run is asked "
                        "again (default: no cache)")
    p.add_argument("--days", type=positive("--days"), metavar="N", help="horizon in days (overrides the file)")
    p.add_argument("--variant", metavar="NAME", help="run a variant defined in the scenario")
    p.add_argument("--param", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value, e.g. sites.platform.capacity_t_per_day=40 (repeatable)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    strict_option(p)
    detail_option(p)
    p.add_argument("--report", action="store_true",
                   help="also write the figures and the PDF/HTML report into the results folder")
    p.add_argument("--lang", choices=("en", "fr"),
                   help="language of results.xlsx, the summary printed and the report (default en)")

    p = sub.add_parser("report", help="figures and PDF/HTML report of a results folder (English or French)")
    p.add_argument("results", metavar="RESULTS_DIR",
                   help="a folder written by `ptce-flows run`, or by `compare`/`sweep` (the comparison's report)")
    p.add_argument("--lang", choices=("en", "fr"), default="en", help="language (default en)")
    p.add_argument("--formats", nargs="+", metavar="FORMAT", default=None,
                   help="any of png svg pdf html (default: all)")
    p.add_argument("--dpi", type=positive("--dpi"), default=300, metavar="N",
                   help="resolution of the PNG figures (default 300)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _force_option(p)

    p = sub.add_parser("compare", help="compare layouts (variants, files) against a baseline, with 95 %% intervals")
    p.add_argument("files", nargs="+", metavar="SCENARIO.yaml")
    p.add_argument("--variants", default="all", metavar="all|NAME,...",
                   help="layouts to compare: all (default) or names (base = the scenario without variant; "
                        "with several files: STEM and STEM:VARIANT)")
    p.add_argument("--param", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value in every layout (repeatable)")
    _comparison_options(p, "compare")

    p = sub.add_parser("sweep", help="run a grid over one or more parameters and compare the points")
    p.add_argument("file", metavar="SCENARIO.yaml")
    p.add_argument("--param", action="append", default=[], required=True, metavar="PATH=START:STOP:STEP",
                   help="a swept parameter: PATH=START:STOP:STEP (STOP included) or PATH=a,b,c (repeatable: "
                        "the grid is every combination)")
    p.add_argument("--variant", metavar="NAME", help="sweep on top of this variant of the scenario")
    _comparison_options(p, "sweep")

    from ptce_flows.cli_optimise import add_parser as optimise_parser

    optimise_parser(sub)

    from ptce_flows.cli_sensitivity import add_parser as sensitivity_parser

    sensitivity_parser(sub, _force_option)

    from ptce_flows.bench.runner import add_arguments as bench_arguments  # stdlib only: cheap

    p = sub.add_parser("bench", help="measure speed and memory on generated territories (docs/performance.md)")
    bench_arguments(p)
    return parser


def _warnings(loaded_scenarios) -> list[str]:
    """The warnings of the scenarios, each once (a base layout's warning holds in its variants)."""
    return list(dict.fromkeys(w.format() for loaded in loaded_scenarios for w in loaded.warnings))


def _strict_refusal(warnings: list[str]) -> int:
    """With --strict: print the warnings as errors; exit code 2."""
    for warning in warnings:
        _print(f"error: {warning}", file=sys.stderr)
    _print(f"error: {len(warnings)} warning(s) are errors with --strict; nothing was run", file=sys.stderr)
    return 2


def _force_option(p) -> None:
    p.add_argument("--force", action="store_true",
                   help="write into a folder that is not a ptce-flows results folder: only ptce-flows's own "
                        "file names are written, every other file is left as it is")


def _check_out(out: Path, force: bool) -> None:
    """Refuse a results folder that may not be written, before any long computation."""
    from ptce_flows.reports.files import check_output

    check_output(out, force)


def _comparison_options(p, kind: str) -> None:
    p.add_argument("--baseline", metavar="NAME",
                   help="the layout the others are compared with (default: the first; "
                        + ("a grid point, or 'base' for the scenario without the sweep's changes)"
                           if kind == "sweep" else "e.g. a status-quo variant)"))
    p.add_argument("--replications", type=replications_option, default=1, metavar="N",
                   help="replications per layout, the same seeds for every layout (default 1)")
    p.add_argument("--seed", type=seed_option, help="random seed (default: the (first) scenario's seed)")
    p.add_argument("--days", type=positive("--days"), metavar="N", help="horizon in days (overrides the files)")
    p.add_argument("--jobs", type=jobs_option, metavar="N", help="local worker processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (pip install 'ptce-flows[cluster]')")
    p.add_argument("--out", metavar="DIR", help=f"results folder (default results/<file stem>-{kind}/)")
    _force_option(p)
    p.add_argument("--cache", metavar="DIR",
                   help="where finished runs are kept for resuming (default: .<DIR name>.runs beside --out)")
    p.add_argument("--rank-by", default="diverted_t", metavar="KPI",
                   help="KPI to rank the layouts on (default diverted_t; e.g. tonne_km, co2_t, jobs_fte)")
    p.add_argument("--lang", choices=("en", "fr"), default="en", help="language of the figures (default en)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no tables, only errors")
    strict_option(p)


#: the flag behind each ``PlanError.option``
_PLAN_FLAGS = {"baseline": "--baseline", "variants": "--variants", "rank_by": "--rank-by", "grid": "--param"}


def _plan(make, *args):
    """Call a plan builder; name the flag of what it refuses."""
    from ptce_flows.experiment.plans import PlanError

    try:
        return make(*args)
    except PlanError as exc:
        raise UsageError(f"{_PLAN_FLAGS.get(exc.option, exc.option)}: {exc}") from None


def cmd_validate(args) -> int:
    from ptce_flows.network.files import snap_summary
    from ptce_flows.network.layers import map_layers
    from ptce_flows.scenario import load_with_variants
    from ptce_flows.sim.world import build_world

    failed = 0
    for file in args.files:
        try:
            scenarios = load_with_variants(file)
            networks = [build_world(loaded).network for loaded in scenarios]
            map_layers(scenarios[0], None)  # the background files read as the run will
        except ScenarioError as exc:
            if args.debug:
                raise
            failed += 1
            for problem in exc.problems:
                _print(problem.format(), file=sys.stderr)
            continue
        base = scenarios[0]
        spec = base.spec
        kinds: dict[str, int] = {}
        for site in spec.sites.values():
            kinds[site.kind] = kinds.get(site.kind, 0) + 1
        detail = ", ".join(f"{n} {k}" for k, n in kinds.items())
        # the scenarios' warnings and the network's (a site snapped far from the road graph)
        warnings = list(dict.fromkeys([*_warnings(scenarios), *(n.format() for net in networks for n in net.notes)]))
        if args.strict and warnings:
            failed += 1
            for warning in warnings:
                _print(f"error: {warning}", file=sys.stderr)
            continue
        _print(f"OK {file}: '{spec.name}', {len(spec.sites)} sites ({detail}), {len(spec.fleets)} fleets, "
              f"{spec.horizon_days} days, {len(scenarios) - 1} variant(s)")
        if snap_summary(networks[0]):
            _print(snap_summary(networks[0]))
        for warning in warnings:
            _print(f"warning: {warning}", file=sys.stderr)
    return 2 if failed else 0


def cmd_run(args) -> int:
    from ptce_flows.experiment import run_scenario
    from ptce_flows.experiment.faults import cost_of_disruptions
    from ptce_flows.metrics.aggregate import summary_dict
    from ptce_flows.reports.console import (
        ProgressBar,
        StepProgress,
        disruption_table,
        headline_table,
    )
    from ptce_flows.reports.run_output import default_out_dir, prepare_run_files, write_run
    from ptce_flows.scenario import load_scenario

    _check_backend(args)
    overrides = dict(parse_param(p) for p in args.param)
    if args.days is not None:
        overrides["horizon_days"] = args.days
    # the whole file must be valid, every variant included
    loaded = load_scenario(args.file, variant=args.variant, overrides=overrides or None, check_variants=True)
    if args.strict and loaded.warnings:
        return _strict_refusal(_warnings([loaded]))
    if not args.quiet:
        for warning in _warnings([loaded]):
            _print(f"warning: {warning}", file=sys.stderr)
    out = Path(args.out) if args.out else default_out_dir(loaded.stem, loaded.variant)
    _check_out(out, args.force)
    # what the files take from the scenario alone: on the other core while the simulation runs
    prepared = prepare_run_files(loaded, args.lang or "en")
    cache = Path(args.cache) if args.cache else None
    started = time.perf_counter()
    bar = None if args.quiet or args.replications == 1 else ProgressBar(label="replications")
    try:
        result = run_scenario(loaded, seed=args.seed, replications=args.replications, jobs=args.jobs or 1,
                              scheduler=args.scheduler, cache_dir=cache, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet and result.world.network is not None:
        for warning in result.world.network.notes:
            _print(f"warning: {warning.format()}", file=sys.stderr)
    disruption = cost_of_disruptions(result, scheduler=args.scheduler, cache_dir=cache)
    from ptce_flows.reports.files import forcing

    with forcing(args.force):
        write_run(result, out, ["ptce-flows", *sys.argv[1:]], disruption=disruption, lang=args.lang or "en",
                  detail=args.detail, prepared=prepared)
    if not args.quiet:
        summary = summary_dict(loaded.spec.name, result.world, result.seed, result.runs, loaded.variant,
                               spec=loaded.spec)
        lang = args.lang or "en"
        _print(headline_table(summary, lang, _run_title(loaded, lang)))
        if disruption is not None:
            _print(disruption_table(disruption))
        _print("\n" + tr("console.results", lang, out=out, s=fmt_number(time.perf_counter() - started, lang, 2)))
    if args.report:
        from ptce_flows.reports.report import write_report

        bar = None if args.quiet else StepProgress(10, "figures")
        try:
            written = write_report(out, args.lang or "en", source_text=loaded.text, force=args.force, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        if not args.quiet:
            _print(_report_line(out, written, args.lang or "en"))
    return 0


def _run_title(loaded, lang: str) -> str:
    from ptce_flows.i18n import label_text

    title = label_text(loaded.spec.label, lang, loaded.spec.name)
    return f"{title} [{loaded.variant}]" if loaded.variant else title


def _report_line(out: Path, written: list[Path], lang: str = "en") -> str:
    docs = [p.name for p in written if p.parent == out and p.name.startswith("report.")]
    figures = sorted({f"{p.parent}/" for p in written if p.parent.parent.name == "figures"})
    return (f"{tr('cli.report', lang)}{': ' if lang == 'en' else ' : '}"
            + "; ".join([f"{out}/{d}" for d in docs] + [tr("cli.figures_in", lang, folder=f) for f in figures]))


def cmd_report(args) -> int:
    from ptce_flows.reports.compare_report import is_comparison, write_comparison_report
    from ptce_flows.reports.console import StepProgress
    from ptce_flows.reports.report import write_report

    started = time.perf_counter()
    out = Path(args.results)
    bar = None if args.quiet else StepProgress(10, "figures")
    try:
        if is_comparison(out):
            written = write_comparison_report(out, args.lang, force=args.force, progress=bar)
        else:
            written = write_report(out, args.lang, args.formats, dpi=args.dpi, force=args.force, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        seconds = fmt_number(time.perf_counter() - started, args.lang, 1)
        _print(f"{_report_line(out, written, args.lang)} ({seconds} s)")
    return 0


def _fixed_overrides(params: list[str], days: int | None) -> dict:
    overrides = dict(parse_param(p) for p in params)
    if days is not None:
        overrides["horizon_days"] = days
    return overrides


def cmd_compare(args) -> int:
    from ptce_flows.experiment.plans import plan_compare

    _check_backend(args)
    plan = _plan(plan_compare, args.files, args.variants, args.baseline, args.seed, args.replications,
                 args.rank_by, _fixed_overrides(args.param, args.days))
    return _run_comparison(args, plan)


def cmd_sweep(args) -> int:
    from ptce_flows.experiment.plans import plan_sweep

    _check_backend(args)
    grid = [parse_sweep_param(p) for p in args.param]
    plan = _plan(plan_sweep, args.file, grid, args.baseline, args.seed, args.replications, args.rank_by,
                 args.variant, _fixed_overrides([], args.days))
    return _run_comparison(args, plan)


def _check_backend(args) -> None:
    from ptce_flows.experiment.execution import parse_scheduler

    if args.scheduler and args.jobs:
        raise UsageError("give either --jobs (local processes) or --scheduler (a Dask cluster), not both")
    if args.scheduler is not None:
        try:
            parse_scheduler(args.scheduler)
        except UsageError as exc:
            raise UsageError(f"--scheduler: {exc}") from None


def _run_comparison(args, plan) -> int:
    from ptce_flows.experiment.plans import default_cache_dir, default_out_dir, run_plan
    from ptce_flows.reports.compare_output import console_summary, write_comparison
    from ptce_flows.reports.console import ProgressBar

    out = Path(args.out) if args.out else default_out_dir(plan)
    layout_warnings = _warnings(lay.loaded for lay in plan.layouts)
    if args.strict and layout_warnings:
        return _strict_refusal(layout_warnings)
    _check_out(out, args.force)
    # absolute: with --out . the cache goes beside the folder, not into it
    cache = Path(args.cache) if args.cache else default_cache_dir(Path(os.path.abspath(out)))
    if not args.quiet:
        for note in plan.notes:
            _print(note, file=sys.stderr)
        for warning in layout_warnings:
            _print(f"warning: {warning}", file=sys.stderr)
    bar = None if args.quiet else ProgressBar()
    try:
        try:
            comp = run_plan(plan, jobs=args.jobs or 1, scheduler=args.scheduler, cache_dir=cache, progress=bar)
        finally:
            if bar is not None:
                bar.close()
    except KeyboardInterrupt:
        _print(f"interrupted: previous results left as they were; finished runs are kept in {cache}/, "
              "rerun the same command to resume", file=sys.stderr)
        return 130
    for failure in comp.failures:
        _print(f"failed: {failure.format()}", file=sys.stderr)
    if comp.failures:  # a partial comparison never replaces complete previous results
        _print(f"error: {len(comp.failures)} of {plan.runs} runs failed (listed above); nothing written, "
               f"previous results in {out}/ left as they were; the {len(comp.execution.results)} "
               f"finished runs are kept in {cache}/: rerun the same command to retry the failed ones",
               file=sys.stderr)
        return 1
    from ptce_flows.reports.files import forcing

    with forcing(args.force):
        write_comparison(comp, out, ["ptce-flows", *sys.argv[1:]], cache, lang=args.lang)
    if not args.quiet:
        _print(console_summary(comp, args.lang))
        ex = comp.execution
        _print("\n" + tr("console.runs", args.lang, out=out, n=plan.runs, computed=ex.computed, reused=ex.reused,
                         s=fmt_number(ex.wall_time_s, args.lang, 2)))
    return 0


def cmd_optimise(args) -> int:
    from ptce_flows.cli_optimise import cmd_optimise as run

    return run(args, _check_backend, _check_out)


def cmd_sensitivity(args) -> int:
    from ptce_flows.cli_sensitivity import run

    return run(args, _check_backend, _check_out, _print)


def cmd_bench(args) -> int:
    from ptce_flows.bench.runner import run

    return run(args)


COMMANDS = {"validate": cmd_validate, "run": cmd_run, "compare": cmd_compare, "sweep": cmd_sweep,
            "report": cmd_report, "bench": cmd_bench,
            "optimise": cmd_optimise, "sensitivity": cmd_sensitivity}


def _terminate(signum, frame):  # SIGTERM ends a run like Ctrl-C: results folders stay intact
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    try:  # the handler is installed inside the try: a SIGTERM right after it still ends cleanly
        try:
            previous = signal.getsignal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, _terminate)
        except ValueError:  # not in the main thread (embedded use): leave SIGTERM alone
            previous = None
        return COMMANDS[args.command](args)
    except InputError as exc:
        if args.debug:
            raise
        problems = getattr(exc, "problems", None)
        if problems:
            for problem in problems:
                _print(problem.format(), file=sys.stderr)
        else:
            _print(f"error: {exc}", file=sys.stderr)
        return 2
    except PtceFlowsError as exc:
        if args.debug:
            raise
        _print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        _print("interrupted: previous results left as they were", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly
        if args.debug:
            raise
        _print(f"internal error (a bug in ptce-flows, please report it): {type(exc).__name__}: {exc}\n"
              "rerun with --debug for the traceback", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def entry() -> int:
    """The console script: ``main`` with the last word on a signal that lands outside its own
    try (while Python returns from it or restores the SIGTERM handler): exit 130, no traceback."""
    try:
        code = main()
    except KeyboardInterrupt:
        return 130
    from ptce_flows.cli_exit import leave

    return leave(code)


if __name__ == "__main__":
    sys.exit(entry())
