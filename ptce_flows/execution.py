"""Execute many independent runs in parallel: local processes or a Dask cluster, one interface.

A *task* is one replication of one scenario: the scenario's key (the hash of its resolved
form, see ``ptce_flows.cache``), a replication index and its seed. ``execute`` runs a list of
tasks through a ``Backend`` and returns their records; every backend exposes a standard
``concurrent.futures.Executor``:

- ``inline`` (``jobs=1``): runs each task in this process, one at a time;
- ``processes`` (``jobs=N``): a ``ProcessPoolExecutor``; the compiled worlds are handed to
  the workers once, by the pool initializer, and each task sends only (key, seed);
- ``dask`` (``scheduler="tcp://HOST:PORT"``): ``distributed.Client.get_executor()`` on an
  existing cluster; each world is scattered once to the workers. Dask is imported only here,
  only when asked for (``pip install 'ptce-flows[cluster]'``).

Robustness: at most one task per worker slot is in flight locally (two per slot on Dask), so
an interruption loses at most the runs in progress. Each record is stored in the cache as soon
as it arrives, in this process, whatever the backend: rerunning the same command recomputes
nothing already done. A task that raises is recorded as a ``Failure`` (label, replication,
seed, error) and the others go on; failures are never cached, so a rerun retries them. On
Ctrl-C, pending tasks are cancelled and local workers stopped (they ignore SIGINT themselves,
so the parent decides).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from ptce_flows.cache import RunCache
from ptce_flows.errors import UsageError

#: a task function: (world, seed) -> JSON-ready record; must be a picklable module-level function
TaskFn = Callable[[Any, np.random.SeedSequence], dict]

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s]+$")


# --------------------------------------------------------------------------- tasks and outcomes

@dataclass(frozen=True)
class Task:
    """One replication of one scenario."""

    key: str                    # resolved-scenario hash
    label: str                  # layout name, for messages
    replication: int
    seed: np.random.SeedSequence

    @property
    def ident(self) -> tuple[str, int]:
        return self.key, self.replication


@dataclass(frozen=True)
class Failure:
    """A run that raised: where (layout, replication, seed) and what."""

    label: str
    replication: int
    seed: int
    error: str

    def format(self) -> str:
        return (f"{self.label}: replication {self.replication} (seed {self.seed}, "
                f"replication seed SeedSequence({self.seed}).spawn(n)[{self.replication}]) failed: "
                f"{self.error}")


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress displays."""

    total: int
    done: int          # finished (computed or reused), failures excluded
    reused: int        # taken from the cache
    running: int
    failed: int
    elapsed_s: float
    eta_s: float | None


@dataclass
class Execution:
    """What ``execute`` returns."""

    results: dict[tuple[str, int], dict]
    failures: list[Failure]
    computed: int
    reused: int
    wall_time_s: float
    backend: str
    slots: int
    by_label_computed: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- local backends

def process_pool(jobs: int, initializer=None, initargs: tuple = (),
                 ignore_sigint: bool = False) -> cf.ProcessPoolExecutor:
    """A process pool (fork where available: workers inherit the worlds without pickling)."""
    methods = mp.get_all_start_methods()
    context = mp.get_context("fork" if "fork" in methods else "spawn")
    if ignore_sigint:
        initargs = (initializer, initargs)
        initializer = _quiet_init
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                  initializer=initializer, initargs=initargs)


def _quiet_init(initializer, initargs) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker must not inherit the CLI's handler
    if initializer is not None:
        initializer(*initargs)


_WORLDS: dict[str, Any] = {}


def _set_worlds(worlds: dict[str, Any]) -> None:
    _WORLDS.clear()
    _WORLDS.update(worlds)


def _call_local(fn: TaskFn, key: str, seed: np.random.SeedSequence) -> dict:
    return fn(_WORLDS[key], seed)


class InlineExecutor(cf.Executor):
    """Runs each call when submitted, in this process; returns finished futures."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # a failed run, reported by the caller
            future.set_exception(exc)
        return future


class Backend:
    """An executor plus the way to call a task on it. Use as a context manager."""

    name = "inline"
    slots = 1
    in_flight = 1

    def __init__(self, fn: TaskFn, worlds: dict[str, Any]):
        self.fn = fn
        self.worlds = worlds
        self.executor: cf.Executor = InlineExecutor()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> None:
        self.close(abort=exc[0] is not None)

    def submit(self, task: Task) -> cf.Future:
        return self.executor.submit(self.fn, self.worlds[task.key], task.seed)

    def close(self, abort: bool = False) -> None:
        self.executor.shutdown(wait=not abort, cancel_futures=abort)


class ProcessBackend(Backend):
    """``jobs`` local worker processes."""

    def __init__(self, fn: TaskFn, worlds: dict[str, Any], jobs: int):
        super().__init__(fn, worlds)
        self.slots = self.in_flight = jobs
        self.name = f"{jobs} local processes"
        self.executor = process_pool(jobs, _set_worlds, (worlds,), ignore_sigint=True)

    def submit(self, task: Task) -> cf.Future:
        return self.executor.submit(_call_local, self.fn, task.key, task.seed)

    def close(self, abort: bool = False) -> None:
        if abort:
            processes = list((getattr(self.executor, "_processes", None) or {}).values())
            self.executor.shutdown(wait=False, cancel_futures=True)
            for process in processes:  # running tasks would finish first otherwise
                if process.is_alive():
                    process.terminate()
            for process in processes:
                process.join(timeout=5)
        else:
            self.executor.shutdown(wait=True)


# --------------------------------------------------------------------------- Dask backend

def check_scheduler(address: str):
    """The ``distributed`` module, once ``address`` looks like a scheduler address.

    Raises:
        UsageError: Dask is not installed, or the address is not ``PROTOCOL://HOST:PORT``.
    """
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask distributed, which is not installed: "
            "pip install 'ptce-flows[cluster]' (or run locally with --jobs N)") from None
    if not _ADDRESS.match(address):
        raise UsageError(f"--scheduler: '{address}' is not a scheduler address "
                         "(expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786)")
    return distributed


class DaskBackend(Backend):
    """An existing Dask distributed cluster, reached through its scheduler address."""

    def __init__(self, fn: TaskFn, worlds: dict[str, Any], address: str, timeout_s: float = 10.0):
        super().__init__(fn, worlds)
        distributed = check_scheduler(address)
        try:
            self.client = distributed.Client(address, timeout=f"{timeout_s}s",
                                             set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"--scheduler: cannot reach a Dask scheduler at {address} "
                             f"({type(exc).__name__}: {exc})") from None
        try:
            threads = sum(self.client.nthreads().values())
            if threads == 0:
                self.client.wait_for_workers(1, timeout=timeout_s)
                threads = sum(self.client.nthreads().values())
        except (OSError, TimeoutError) as exc:
            self.client.close()
            raise UsageError(f"--scheduler: the cluster at {address} has no worker "
                             f"({type(exc).__name__}: {exc})") from None
        self.slots = max(1, threads)
        self.in_flight = 2 * self.slots
        self.name = f"Dask at {address} ({self.slots} worker threads)"
        self.executor = self.client.get_executor(pure=False)
        self.remote = {key: self.client.scatter(world, broadcast=True, hash=False)
                       for key, world in worlds.items()}

    def submit(self, task: Task) -> cf.Future:
        return self.executor.submit(self.fn, self.remote[task.key], task.seed)

    def close(self, abort: bool = False) -> None:
        try:
            self.executor.shutdown(wait=not abort)
            self.client.cancel(list(self.remote.values()))
        finally:
            self.client.close()


def open_backend(fn: TaskFn, worlds: dict[str, Any], jobs: int = 1,
                 scheduler: str | None = None, tasks: int | None = None) -> Backend:
    """The backend for ``--jobs``/``--scheduler``: Dask when an address is given, else local."""
    if scheduler:
        return DaskBackend(fn, worlds, scheduler)
    jobs = max(1, min(jobs, os.cpu_count() or 1, tasks if tasks else jobs))
    if jobs == 1:
        return Backend(fn, worlds)
    return ProcessBackend(fn, worlds, jobs)


# --------------------------------------------------------------------------- the loop

def execute(
    tasks: Iterable[Task],
    fn: TaskFn,
    worlds: Mapping[str, Callable[[], Any]],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: RunCache | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_result: Callable[[Task, dict], None] | None = None,
) -> Execution:
    """Run ``tasks`` (reusing cached records) and return every record and failure.

    Args:
        tasks: tasks to run; tasks with the same (key, replication) are computed once.
        fn: the task function, called as ``fn(world, seed)``.
        worlds: scenario key -> a callable that builds its world; called only for keys that
            still have something to compute, before anything runs (so input errors come first).
        jobs, scheduler: the backend (see ``open_backend``).
        cache: where finished records are read from and stored.
        progress: called with a ``Progress`` after every change.
        on_result: called after each computed record is stored (tests use it to interrupt).
    """
    started = time.perf_counter()
    if scheduler:
        check_scheduler(scheduler)  # even when everything is cached: a typo should not pass
    tasks = list(tasks)
    unique: dict[tuple[str, int], Task] = {}
    labels: dict[tuple[str, int], list[str]] = {}
    for task in tasks:
        unique.setdefault(task.ident, task)
        labels.setdefault(task.ident, [])
        if task.label not in labels[task.ident]:
            labels[task.ident].append(task.label)
    results: dict[tuple[str, int], dict] = {}
    todo: list[Task] = []
    for ident, task in unique.items():
        record = cache.get(task.key, task.seed) if cache is not None else None
        if record is not None:
            results[ident] = record
        else:
            todo.append(task)
    reused = len(results)
    failures: list[Failure] = []
    state = {"computed": 0, "running": 0}
    by_label: dict[str, int] = {}

    def report() -> None:
        if progress is None:
            return
        elapsed = time.perf_counter() - started
        computed = state["computed"]
        left = len(todo) - computed - len(failures)
        eta = elapsed / computed * left if computed else None
        progress(Progress(len(unique), len(results), reused, state["running"], len(failures),
                          elapsed, eta))

    report()
    if not todo:
        return Execution(results, failures, 0, reused, time.perf_counter() - started, "none (all cached)", 0)
    needed = {task.key for task in todo}
    built = {key: worlds[key]() for key in sorted(needed)}
    with open_backend(fn, built, jobs, scheduler, tasks=len(todo)) as backend:
        queue = list(reversed(todo))
        pending: dict[cf.Future, Task] = {}
        while queue or pending:
            while queue and len(pending) < backend.in_flight:
                task = queue.pop()
                try:
                    pending[backend.submit(task)] = task
                except Exception as exc:  # e.g. a broken pool after a worker was killed
                    failures.append(Failure(" = ".join(labels[task.ident]), task.replication,
                                            int(task.seed.entropy), f"{type(exc).__name__}: {exc}"))
                state["running"] = min(len(pending), backend.slots)
            report()
            done, _ = cf.wait(list(pending), timeout=1.0, return_when=cf.FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                error = _error_of(future)
                if error is not None:
                    failures.append(Failure(" = ".join(labels[task.ident]), task.replication,
                                            int(task.seed.entropy), error))
                    continue
                record = future.result()
                if cache is not None:
                    cache.put(task.key, task.seed, record)
                results[task.ident] = record
                state["computed"] += 1
                for label in labels[task.ident]:
                    by_label[label] = by_label.get(label, 0) + 1
                if on_result is not None:
                    on_result(task, record)
            state["running"] = min(len(pending), backend.slots)
            report()
        name, slots = backend.name, backend.slots
    failures.sort(key=lambda f: (f.label, f.replication))
    return Execution(results, failures, state["computed"], reused,
                     time.perf_counter() - started, name, slots, by_label)


def _error_of(future: cf.Future) -> str | None:
    if future.cancelled():
        return "cancelled"
    exc = future.exception()
    if exc is None:
        return None
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


# --------------------------------------------------------------------------- progress bar

class ProgressBar:
    """A one-line progress display on a stream (stderr): runs done, running, failed, ETA.

    On a terminal the line is redrawn in place (at most 10 times a second); otherwise (logs,
    CI) a line is printed at most every ``log_every_s`` seconds and at the end.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 28, log_every_s: float = 10.0,
                 label: str = "runs"):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self.label = label
        self.log_every_s = log_every_s
        self.last_draw = -1e9
        self.last: Progress | None = None
        self.drawn = False

    def __call__(self, p: Progress) -> None:
        self.last = p
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
        if self.last is not None and self.tty:
            self._draw(self.last)
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
