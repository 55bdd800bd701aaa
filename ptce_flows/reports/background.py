"""Compute something in a forked child process while this process goes on (the second core).

    handle = background(fn, *args)     # fn(*args) starts in a child process
    ...                                # meanwhile: the simulation, other files
    value = handle.result()            # fn's return value (or its exception, raised here)

``ptce-flows run`` uses it for what depends only on the loaded scenario (the text of
scenario.resolved.yaml, the assumptions of results.xlsx: computed while the simulation runs)
and for results.xlsx (built while the CSV and JSON files are written). See
``reports.run_output``.

The rules that keep it safe:

- the child computes and sends the value back (pickled, through a pipe); it writes no file,
  prints nothing, and always ends with ``os._exit`` (no ``atexit`` handler, no buffered output
  flushed twice, no ``finally`` of the parent's frames run in the child). Only the parent
  writes results, inside ``files.atomic_dir``: a failure or an interruption anywhere leaves
  the previous results as they were;
- ``fn`` must be a pure computation: if the child fails in any way (an exception, a value that
  does not pickle, a crash), the parent calls ``fn(*args)`` itself, so that an error is raised
  here exactly as without a child (same exception, same traceback for ``--debug``);
- Ctrl-C (SIGINT) or SIGTERM ends the child at once (default handlers in the child); the
  parent's ``KeyboardInterrupt`` unwinds as before, and a handle that is dropped, cancelled or
  left behind by an exception kills its child and reaps it. On Linux the child also dies
  with its parent (``PR_SET_PDEATHSIG``), even if the parent is killed outright;
- no child where forking is not safe: anywhere but Linux (Windows has no ``os.fork``; on
  macOS system libraries do not survive a fork), outside the main thread or with other threads
  running, inside a child of ours, or when ``PTCE_FLOWS_NO_FORK=1``. Then ``fn(*args)`` runs
  when ``result()`` is called: same value, same errors, one core.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

#: set to 1 to compute everything in this process (no fork)
NO_FORK_ENV = "PTCE_FLOWS_NO_FORK"

_IN_CHILD = False   # set in a child: it never forks again


def fork_allowed() -> bool:
    """Whether :func:`background` may fork a child here and now (see the module docstring)."""
    return (hasattr(os, "fork") and sys.platform.startswith("linux") and not _IN_CHILD
            and os.environ.get(NO_FORK_ENV, "") not in ("1", "true", "yes")
            and threading.current_thread() is threading.main_thread() and threading.active_count() == 1)


class Background:
    """A computation started by :func:`background`: ``result()`` gives its value."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        self._call = (fn, args, kwargs)
        self._pid = self._fd = -1
        self._done = False
        self._value: Any = None
        self._finalizer: weakref.finalize | None = None
        self.forked = False   #: whether a child process was started for it
        if fork_allowed():
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        owner = os.getpid()
        try:
            pid = os.fork()
        except OSError:   # no more processes, no memory: compute inline
            os.close(read)
            os.close(write)
            return
        if pid == 0:   # the child: never returns
            os.close(read)
            _child(write, owner, *self._call)
        os.close(write)
        self._pid, self._fd, self.forked = pid, read, True
        self._finalizer = weakref.finalize(self, _stop, pid, read, owner)

    def result(self) -> Any:
        """``fn(*args)``: from the child (waiting for it if needed), or computed here if there
        is no child or it failed. Raises what ``fn`` raises."""
        if self._done:
            return self._value
        value, ok = None, False
        if self._finalizer is not None and self._finalizer.alive:
            value, ok = _receive(self._fd)   # interrupted: the finalizer kills the child
            self._finalizer.detach()
            os.close(self._fd)
            try:
                os.waitpid(self._pid, 0)   # it has sent everything: it is ending
            except ChildProcessError:   # reaped by someone else
                pass
        if not ok:
            fn, args, kwargs = self._call
            value = fn(*args, **kwargs)
        self._done, self._value = True, value
        self._call = (None, (), {})
        return value

    def cancel(self) -> None:
        """Stop the child (if any) without waiting for its value (``result()`` then computes
        it here)."""
        if self._finalizer is not None:
            self._finalizer()


def background(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Background:
    """Start ``fn(*args, **kwargs)`` in a forked child process; ``.result()`` gives its value.

    ``fn`` must be a pure computation whose value pickles (see the module docstring); where
    forking is not safe it runs inline, when ``result()`` is called.
    """
    return Background(fn, args, kwargs)


def _child(write: int, parent: int, fn, args, kwargs) -> None:
    """In the child: compute, send ``(True, value)`` or ``(False, None)``, ``os._exit``."""
    global _IN_CHILD
    code = 1
    try:
        _IN_CHILD = True
        gc.disable()   # no collection of the parent's garbage here (its finalizers are the parent's)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with_parent(parent)
        try:
            payload = pickle.dumps((True, fn(*args, **kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:   # the parent computes it again and raises it there
            payload = pickle.dumps((False, None))
        view = memoryview(payload)
        while view:
            view = view[os.write(write, view):]
        code = 0
    finally:
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel sends SIGKILL to this child when ``parent`` dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):   # no prctl: the child ends when its write fails
        return
    if os.getppid() != parent:   # the parent died before prctl
        os._exit(1)


def _receive(fd: int) -> tuple[Any, bool]:
    """The child's value and whether it has one (False: failed, crashed or killed)."""
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    try:
        ok, value = pickle.loads(b"".join(chunks))
    except Exception:   # cut short: the child died
        return None, False
    return value, bool(ok)


def _stop(pid: int, fd: int, owner: int) -> None:
    """Close the pipe, kill the child if it still runs, and reap it (in the process that
    forked it only: a later child of ours holds a copy of this handle)."""
    if os.getpid() != owner:
        return
    try:
        os.close(fd)
    except OSError:
        pass
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
