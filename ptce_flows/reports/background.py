"""Compute something in a forked child process while this process goes on (the second core).

    handle = background(fn, *args)     # fn(*args) starts in a child process
    ...                                # meanwhile: the simulation, other files
    value = handle.result()            # fn's return value (or its exception, raised here)

    handle = background(fn, *args, follow_up=True)   # the child keeps waiting after fn(*args)
    ...
    handle.send(fn2, *args2)           # then computes fn2(fn(*args), args, *args2): args2 pickled
                                       # to it, args its own copies (not sent again)
    first, second = handle.result()    # (second is None if nothing was sent)

``ptce-flows run`` uses it for what depends only on the loaded scenario (the text of
scenario.resolved.yaml, the assumptions of results.xlsx: computed while the simulation runs)
and then, in the same child, for results.xlsx (built from the simulation's results, sent to
it, while this process writes the CSV and JSON files: the child has imported XlsxWriter and
laid out the assumptions while the simulation ran). See ``reports.run_output``.

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

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, follow_up: bool = False) -> None:
        self._call = (fn, args, kwargs)
        self._follow_up = follow_up
        self._request: tuple | None = None   # (fn2, args2) of send()
        self._inbox = -1                      # the pipe send() writes to (follow_up children)
        self._pid = self._fd = -1
        self._done = False
        self._value: Any = None
        self._finalizer: weakref.finalize | None = None
        self.forked = False   #: whether a child process was started for it
        if fork_allowed():
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        inbox_read, inbox_write = os.pipe() if self._follow_up else (-1, -1)
        owner = os.getpid()
        try:
            pid = os.fork()
        except OSError:   # no more processes, no memory: compute inline
            for fd in (read, write, inbox_read, inbox_write):
                if fd >= 0:
                    os.close(fd)
            return
        if pid == 0:   # the child: never returns
            os.close(read)
            if inbox_write >= 0:
                os.close(inbox_write)
            _child(write, owner, *self._call, inbox=inbox_read)
        os.close(write)
        if inbox_read >= 0:
            os.close(inbox_read)
        self._pid, self._fd, self._inbox, self.forked = pid, read, inbox_write, True
        self._finalizer = weakref.finalize(self, _stop, pid, read, owner, inbox_write)

    def send(self, fn2: Callable[..., Any], *args2: Any) -> None:
        """Ask for ``fn2(fn(*args), args, *args2)`` as well (a handle made with
        ``follow_up=True``, once): ``args2`` are pickled to the child, which computes it after
        ``fn(*args)`` with its own ``args`` (the objects it was forked with, not sent again);
        ``result()`` then gives both values. Without a child, or if it cannot take the request,
        ``result()`` computes both here."""
        if not self._follow_up or self._request is not None or self._done:
            raise RuntimeError("send() needs a handle made with follow_up=True, once, before result()")
        self._request = (fn2, args2)
        if self._inbox < 0:
            return
        try:
            payload = pickle.dumps(self._request, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:   # an argument that does not pickle: the child is told there is nothing
            payload = None
        self._post(payload)

    def _post(self, payload: bytes | None) -> None:
        """Write ``payload`` (None: no request) to the child's inbox, length first, and close it."""
        fd, self._inbox = self._inbox, -1
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, _stop, self._pid, self._fd, os.getpid(), -1)
        data = len(payload or b"").to_bytes(8, "little") + (payload or b"")
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view):]
        except OSError:   # the child is gone (EPIPE): result() computes it all here
            pass
        finally:
            try:
                os.close(fd)
            except OSError:
                pass

    def result(self) -> Any:
        """``fn(*args)``: from the child (waiting for it if needed), or computed here if there
        is no child or it failed. Raises what ``fn`` raises. With ``follow_up``, the pair
        ``(fn(*args), fn2(fn(*args), args, *args2))`` (None for the second without ``send()``)."""
        if self._done:
            return self._value
        if self._inbox >= 0:   # nothing was sent: the child answers with the first value only
            self._post(None)
        value, ok = None, False
        if self._finalizer is not None and self._finalizer.alive:
            value, ok = _receive(self._fd)   # interrupted: the finalizer kills the child
            self._finalizer.detach()
            os.close(self._fd)
            try:
                os.waitpid(self._pid, 0)   # it has sent everything: it is ending
            except ChildProcessError:   # reaped by someone else
                pass
        if ok and self._follow_up:   # (first, second, whether a request reached the child)
            first, second, answered = value
            ok = answered or self._request is None   # else: the request did not pickle
            value = (first, second if answered else None)
        if not ok:
            value = self._inline()
        self._done, self._value = True, value
        self._call, self._request = (None, (), {}), None
        return value

    def _inline(self) -> Any:
        fn, args, kwargs = self._call
        first = fn(*args, **kwargs)
        if not self._follow_up:
            return first
        if self._request is None:
            return first, None
        fn2, args2 = self._request
        return first, fn2(first, args, *args2)

    def cancel(self) -> None:
        """Stop the child (if any) without waiting for its value (``result()`` then computes
        it here)."""
        if self._finalizer is not None:
            self._finalizer()
        self._inbox = -1   # closed by the finalizer


def background(fn: Callable[..., Any], *args: Any, follow_up: bool = False, **kwargs: Any) -> Background:
    """Start ``fn(*args, **kwargs)`` in a forked child process; ``.result()`` gives its value.

    ``fn`` must be a pure computation whose value pickles (see the module docstring); where
    forking is not safe it runs inline, when ``result()`` is called. ``follow_up``: the child
    then waits for one more computation on that value (``send()``).
    """
    return Background(fn, args, kwargs, follow_up)



def _child(write: int, parent: int, fn, args, kwargs, inbox: int = -1) -> None:
    """In the child: compute, send ``(True, value)`` or ``(False, None)``, ``os._exit``. With
    an ``inbox`` (follow_up): then read one request (length, then pickled ``(fn2, args2)``;
    length 0: none) and send ``(True, (value, fn2(value, args, *args2), True))`` (``(value, None,
    False)`` without one)."""
    global _IN_CHILD
    code = 1
    try:
        _IN_CHILD = True
        gc.disable()   # no collection of the parent's garbage here (its finalizers are the parent's)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with_parent(parent)
        try:
            value = fn(*args, **kwargs)
            if inbox >= 0:
                request = _read_request(inbox)
                value = ((value, None, False) if request is None
                         else (value, request[0](value, args, *request[1]), True))
            payload = pickle.dumps((True, value), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:   # the parent computes it again and raises it there
            payload = pickle.dumps((False, None))
        view = memoryview(payload)
        while view:
            view = view[os.write(write, view):]
        code = 0
    finally:
        os._exit(code)


def _read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the parent closed the inbox early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_request(fd: int) -> tuple | None:
    """The parent's request (``(fn2, args2)``), or None if it sent none."""
    size = int.from_bytes(_read_exactly(fd, 8), "little")
    return pickle.loads(_read_exactly(fd, size)) if size else None


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


def _stop(pid: int, fd: int, owner: int, inbox: int = -1) -> None:
    """Close the pipes, kill the child if it still runs, and reap it (in the process that
    forked it only: a later child of ours holds a copy of this handle)."""
    if os.getpid() != owner:
        return
    for each in (fd, inbox):
        if each < 0:
            continue
        try:
            os.close(each)
        except OSError:
            pass
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
