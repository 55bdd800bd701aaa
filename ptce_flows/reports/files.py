"""Write result files atomically.

A results folder is assembled in a temporary sibling folder and moved into place only when
every file is complete: an interrupted or failed run leaves the previous results untouched,
and a rerun never mixes old and new files.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import yaml


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(name: str) -> int | None:
    try:
        return int(name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return None


def recover(target: str | Path) -> None:
    """Clean up after a run that was killed while writing ``target``.

    A leftover ``.NAME.tmp-PID-*`` folder of a dead process is deleted (it was never complete).
    A leftover ``.NAME.old-PID-*`` folder holds the previous complete results: it is put back
    if ``target`` is missing, deleted otherwise.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        for kind in ("tmp", "old"):
            prefix = f".{target.name}.{kind}-"
            if not entry.name.startswith(prefix):
                continue
            pid = _owner_pid(entry.name)
            if pid is None or _pid_alive(pid):
                continue
            if kind == "old" and not target.exists():
                os.replace(entry, target)
            else:
                shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary folder that replaces ``target`` when the block succeeds.

    The temporary folder is a hidden sibling (same file system, so the final move is a
    rename). If the block raises, or the process is interrupted, ``target`` is untouched and
    the temporary folder is removed; if the process is killed outright, the next call cleans
    up (see ``recover``).
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = parent / f".{target.name}.tmp-{tag}"
    tmp.mkdir()
    try:
        yield tmp
        if target.exists():
            old = parent / f".{target.name}.old-{tag}"
            os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def write_yaml(path: Path, data, header: str = "") -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + text, encoding="utf-8")


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    """Write ``rows`` as CSV; floats in shortest round-trip form."""
    columns = columns or (list(rows[0]) if rows else [])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c, "")) for c in columns])
    path.write_text(buf.getvalue(), encoding="utf-8")


def _cell(value) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)
