"""The one way runs are executed: local processes or a Dask cluster, with the run cache.

Every command that simulates (``run``, ``compare``, ``sweep``, the undisrupted twin of a
disrupted run, and the coming ``optimise`` and ``sensitivity``) builds a list of tasks and
calls ``execute``. A *task* is one replication of one scenario: the scenario's key (the hash
of its resolved form, see ``experiment.cache``), a label for messages, a replication index and
its seed. What a task computes is a ``RecordKind`` (``experiment.records``): the compact
record of a comparison or the whole summary of a run. ``execute`` takes the tasks, the kind,
a builder of each scenario's world, the backend (``jobs`` or ``scheduler``), an optional cache
and a progress callback, and returns every result and every failure. Every backend exposes a
standard ``concurrent.futures.Executor``:

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
import contextlib
import logging
import multiprocessing as mp
import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ptce_flows.errors import UsageError
from ptce_flows.experiment.cache import RunCache
from ptce_flows.experiment.records import RecordKind

#: a task function: (world, seed) -> result; must be a picklable module-level function
TaskFn = Callable[[Any, np.random.SeedSequence], Any]

#: tcp://HOST:PORT (or tls://); HOST a name, an IPv4 address or a bracketed IPv6 address
_ADDRESS = re.compile(r"^(tcp|tls)://([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\]):(\d{1,5})$")


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
    exception: BaseException | None = field(default=None, compare=False, repr=False)

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

    results: dict[tuple[str, int], Any]
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


def _call_local(fn: TaskFn, key: str, seed: np.random.SeedSequence) -> Any:
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

def parse_scheduler(address: str) -> tuple[str, str, int]:
    """``(protocol, host, port)`` of ``tcp://HOST:PORT`` (or ``tls://``), port 1-65535.

    Raises:
        UsageError: anything else, with the expected form.
    """
    match = _ADDRESS.match(address) if len(address) <= 300 else None
    port = int(match.group(3)) if match else 0
    if not match or not 1 <= port <= 65535:
        shown = address if len(address) <= 80 else address[:77] + "..."
        raise UsageError(f"'{shown!s}' is not a scheduler address "
                         "(expected tcp://HOST:PORT with a port from 1 to 65535, e.g. tcp://10.0.0.5:8786)")
    return match.group(1), match.group(2).strip("[]"), port


def check_scheduler(address: str):
    """The ``distributed`` module, once ``address`` looks like a scheduler address.

    Raises:
        UsageError: Dask is not installed, or the address is not ``tcp://HOST:PORT``.
    """
    parse_scheduler(address)
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "running on a Dask cluster needs Dask distributed, which is not installed: "
            "pip install 'ptce-flows[cluster]' (or run locally with --jobs N)") from None
    return distributed


def _reachable(address: str, timeout_s: float) -> None:
    """A plain TCP connection to the scheduler's port, before Dask tries: an unreachable or
    closed port is a clear message, not Dask's retries and tracebacks."""
    _, host, port = parse_scheduler(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise UsageError(f"cannot reach a Dask scheduler at {address} ({exc.strerror or exc}); "
                         "is the scheduler running, and the address right?") from None


@contextlib.contextmanager
def _quiet_dask():
    """Dask's own log lines (connection retries, errors) stay out of the user's terminal."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def connect(address: str, timeout_s: float = 10.0):
    """A ``distributed.Client`` on the scheduler at ``address``, or ``UsageError``.

    The address is checked, the port tried with a plain socket, then Dask connects with a
    timeout. Whatever answers on that port without being a Dask scheduler (a web server, a
    stray service) ends in the same clear message: never a traceback or an allocation of the
    size the peer claims.
    """
    distributed = check_scheduler(address)
    _reachable(address, timeout_s)
    client = distributed.Client.__new__(distributed.Client)
    with _quiet_dask():
        try:
            client.__init__(address, timeout=f"{timeout_s}s", set_as_default=False)
        except MemoryError:
            _dispose(client)
            raise UsageError(f"{address} sent something that is not Dask's protocol (a message "
                             "claiming an impossible size): is this a Dask scheduler?") from None
        except Exception as exc:  # noqa: BLE001 - whatever the peer did, the user gets one message
            _dispose(client)
            raise UsageError(f"no Dask scheduler answered at {address} ({type(exc).__name__}): "
                             "is this a Dask scheduler, and one you control?") from None
    return client


def _dispose(client) -> None:
    """Close a client whose connection failed, so that its ``__del__`` has nothing to report."""
    with contextlib.suppress(Exception):
        client.close(timeout=1)
    with contextlib.suppress(Exception):
        client.status = "closed"


class DaskBackend(Backend):
    """An existing Dask distributed cluster, reached through its scheduler address."""

    def __init__(self, fn: TaskFn, worlds: dict[str, Any], address: str, timeout_s: float = 10.0):
        super().__init__(fn, worlds)
        self.client = connect(address, timeout_s)
        try:
            threads = sum(self.client.nthreads().values())
            if threads == 0:
                self.client.wait_for_workers(1, timeout=timeout_s)
                threads = sum(self.client.nthreads().values())
        except (OSError, TimeoutError) as exc:
            self.client.close()
            raise UsageError(f"the Dask cluster at {address} has no worker "
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
    kind: RecordKind,
    worlds: Mapping[str, Callable[[], Any]],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    cache: RunCache | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_result: Callable[[Task, Any], None] | None = None,
) -> Execution:
    """Run ``tasks`` (reusing cached results) and return every result and failure.

    Args:
        tasks: tasks to run; tasks with the same (key, replication) are computed once.
        kind: what each task computes and how it is stored (``experiment.records``).
        worlds: scenario key -> a callable that builds its world; called only for keys that
            still have something to compute, before anything runs (so input errors come first).
        jobs, scheduler: the backend (see ``open_backend``).
        cache: where finished results are read from (checked) and stored.
        progress: called with a ``Progress`` after every change.
        on_result: called after each computed result is stored (tests use it to interrupt).
    """
    if scheduler:
        check_scheduler(scheduler)  # even when everything is cached: a typo should not pass
    loop = _Loop(list(tasks), kind, cache, progress, on_result)
    loop.report()
    if not loop.todo:
        return loop.outcome("none (all cached)", 0)
    needed = {task.key for task in loop.todo}
    built = {key: worlds[key]() for key in sorted(needed)}
    with open_backend(kind.compute, built, jobs, scheduler, tasks=len(loop.todo)) as backend:
        loop.run(backend)
        name, slots = backend.name, backend.slots
    return loop.outcome(name, slots)


class _Loop:
    """The state of one ``execute``: what is done, running, failed; the submit/collect loop."""

    def __init__(self, tasks: list[Task], kind: RecordKind, cache: RunCache | None,
                 progress: Callable[[Progress], None] | None,
                 on_result: Callable[[Task, Any], None] | None):
        self.started = time.perf_counter()
        self.kind, self.cache, self.progress, self.on_result = kind, cache, progress, on_result
        self.unique: dict[tuple[str, int], Task] = {}
        self.labels: dict[tuple[str, int], list[str]] = {}
        for task in tasks:
            self.unique.setdefault(task.ident, task)
            names = self.labels.setdefault(task.ident, [])
            if task.label not in names:
                names.append(task.label)
        self.results: dict[tuple[str, int], Any] = {}
        self.todo: list[Task] = []
        for ident, task in self.unique.items():
            found = cache.get(task.key, task.seed, kind) if cache is not None else None
            if found is not None:
                self.results[ident] = found
            else:
                self.todo.append(task)
        self.reused = len(self.results)
        self.failures: list[Failure] = []
        self.computed = 0
        self.running = 0
        self.by_label: dict[str, int] = {}

    def report(self) -> None:
        if self.progress is None:
            return
        elapsed = time.perf_counter() - self.started
        left = len(self.todo) - self.computed - len(self.failures)
        eta = elapsed / self.computed * left if self.computed else None
        self.progress(Progress(len(self.unique), len(self.results), self.reused, self.running,
                               len(self.failures), elapsed, eta))

    def fail(self, task: Task, error: str, exc: BaseException | None) -> None:
        self.failures.append(Failure(" = ".join(self.labels[task.ident]), task.replication,
                                     int(task.seed.entropy), error, exc))

    def run(self, backend: Backend) -> None:
        queue = list(reversed(self.todo))
        pending: dict[cf.Future, Task] = {}
        while queue or pending:
            while queue and len(pending) < backend.in_flight:
                task = queue.pop()
                try:
                    pending[backend.submit(task)] = task
                except Exception as exc:  # e.g. a broken pool after a worker was killed
                    self.fail(task, f"{type(exc).__name__}: {exc}", exc)
                self.running = min(len(pending), backend.slots)
            self.report()
            done, _ = cf.wait(list(pending), timeout=1.0, return_when=cf.FIRST_COMPLETED)
            for future in done:
                self.collect(pending.pop(future), future)
            self.running = min(len(pending), backend.slots)
            self.report()

    def collect(self, task: Task, future: cf.Future) -> None:
        error = _error_of(future)
        if error is not None:
            self.fail(task, error, None if future.cancelled() else future.exception())
            return
        result = future.result()
        if self.cache is not None:
            self.cache.put(task.key, task.seed, result, self.kind)
        self.results[task.ident] = result
        self.computed += 1
        for label in self.labels[task.ident]:
            self.by_label[label] = self.by_label.get(label, 0) + 1
        if self.on_result is not None:
            self.on_result(task, result)

    def outcome(self, backend: str, slots: int) -> Execution:
        self.failures.sort(key=lambda f: (f.label, f.replication))
        return Execution(self.results, self.failures, self.computed, self.reused,
                         time.perf_counter() - self.started, backend, slots, self.by_label)


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
