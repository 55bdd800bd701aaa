"""Write result files atomically, and never touch a file ptce-flows did not write.

A results folder is assembled in a temporary sibling folder and moved into place only when
every file is complete: an interrupted or failed run leaves the previous results untouched,
and a rerun never mixes old and new files.

Which folders may be written (see docs/reliability.md, "Files and injection"):

- a missing or empty folder, or a results folder of ours (its ``manifest.json`` says
  ``"package": "ptce-flows"``) is rebuilt in a temporary sibling and swapped in. Files of
  ours that the command replaces or makes stale are dropped; every other entry (your notes, a
  sub-folder, a link) is carried over unchanged (hard-linked, a link copied as a link, never
  followed);
- any other folder with something in it is refused (exit 2) unless ``--force``: then only
  ptce-flows's own file names are written into it, one by one (each file complete, moved into
  place by ``rename``), and nothing else there is deleted or changed;
- the current folder (``--out .``), a folder that holds it, and a mount point are never
  swapped: they are written in place the same way.

A link planted in a results folder is never followed to write or delete: where ptce-flows
writes a file or folder of its own, a link of that name is replaced by the real thing (the
link itself, never its target). Text cells of CSV tables are neutralised against formula
injection (``write_csv``).
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import errno
import io
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ptce_flows.errors import OutputError, UsageError

MANIFEST = "manifest.json"
PACKAGE = "ptce-flows"
MAX_MANIFEST_BYTES = 1 << 20
LANGS = ("en", "fr")
RUN_FILES = ("summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml", "scenario.yaml",
             "results.xlsx", MANIFEST, "map_layers.json")
COMPARISON_FILES = ("comparison.csv", "benefits.csv", "ranking.csv", "replications.csv", "abatement.csv",
                    "comparison.json", "results.xlsx", MANIFEST)
#: the figures a report may write (kept equal to ``plotting.figures.FIGURES`` by a test: this
#: module must not import matplotlib)
REPORT_FIGURES = ("kpis", "map", "sankey", "timeseries", "jobs", "transport", "climate", "costs")
#: what ``optimise`` writes (with figures/layouts.png and .svg)
OPTIMISE_FILES = ("layouts.json", "layouts.csv", "variants.yaml", MANIFEST)
COMPARISON_FIGURES = ("comparison", "benefits", "sweep", "layouts")
SENSITIVITY_FILES = ("sensitivity.csv", "sensitivity.json")
#: a sensitivity run's figures: figures/tornado_<kpi>.png and .svg
_TORNADO = re.compile(r"tornado_[a-z0-9_]{1,60}")
FIGURE_FORMATS = ("png", "svg")
STAGING = ".ptce-flows.tmp-"

#: set by ``forcing()`` (the CLI's ``--force``): write into a folder that is not ours
_FORCE: contextvars.ContextVar[bool] = contextvars.ContextVar("ptce_flows_force", default=False)


def is_report_file(rel: str, langs=LANGS, formats=("png", "svg", "pdf", "html")) -> bool:
    """``rel`` (a path relative to a results folder, with ``/``) is a report file of ours."""
    parts = rel.split("/")
    if len(parts) == 1:
        return any(rel == f"report.{lang}.{fmt}" for lang in langs for fmt in ("pdf", "html") if fmt in formats)
    if len(parts) == 3 and parts[0] == "figures" and parts[1] in langs:
        stem, _, fmt = parts[2].partition(".")
        return stem in REPORT_FIGURES and fmt in FIGURE_FORMATS and fmt in formats
    return False


def is_ours(rel: str) -> bool:
    """``rel`` is a file name that some ptce-flows command writes in a results folder."""
    if (rel in RUN_FILES or rel in COMPARISON_FILES or rel in OPTIMISE_FILES or rel in SENSITIVITY_FILES
            or is_report_file(rel)):
        return True
    parts = rel.split("/")
    if len(parts) == 2 and parts[0] == "figures":
        stem, _, fmt = parts[1].partition(".")
        return (stem in COMPARISON_FIGURES or bool(_TORNADO.fullmatch(stem))) and fmt in FIGURE_FORMATS
    return False


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest.json if it is a regular file of ours, else None (never blocks)."""
    path = Path(folder) / MANIFEST
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MANIFEST_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("package") == PACKAGE else None


@contextlib.contextmanager
def forcing(force: bool = True) -> Iterator[None]:
    """Within the block, folders that are not ours may be written (``--force``)."""
    token = _FORCE.set(bool(force))
    try:
        yield
    finally:
        _FORCE.reset(token)


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
    if ``target`` is missing, deleted otherwise. A leftover staging folder of an in-place
    write (``TARGET/.ptce-flows.tmp-PID-*``) is deleted.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        return
    places = [(parent, f".{target.name}.tmp-", "tmp"), (parent, f".{target.name}.old-", "old"),
              (target, STAGING, "tmp")]
    for folder, prefix, kind in places:
        if folder.is_symlink() or not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if not entry.name.startswith(prefix) or entry.is_symlink():
                continue
            pid = _owner_pid(entry.name)
            if pid is None or _pid_alive(pid):
                continue
            if kind == "old" and not os.path.lexists(target):
                os.replace(entry, target)
            else:
                shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def _swap_dir(target: Path) -> Iterator[Path]:
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = parent / f".{target.name}.tmp-{tag}"
    tmp.mkdir()
    try:
        yield tmp
        if os.path.lexists(target):
            old = parent / f".{target.name}.old-{tag}"
            os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old, target)
                raise
            if old.is_symlink():
                old.unlink()
            else:
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _carry_over(src: Path, dst: Path, drop: Callable[[str], bool], rel: str = "") -> None:
    """Hard-link into ``dst`` every entry of ``src`` that the command did not write or drop.

    Links are copied as links (never followed); where ``dst`` already has an entry of that
    name (written by the command), the old entry is left behind, unless both are real
    folders (then their contents are merged the same way).
    """
    with os.scandir(src) as entries:
        for entry in entries:
            name = f"{rel}{entry.name}"
            if not rel and entry.name.startswith(STAGING):
                continue
            out = dst / entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if os.path.lexists(out):
                if is_dir and out.is_dir() and not out.is_symlink():
                    _carry_over(Path(entry.path), out, drop, name + "/")
                continue
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), out)
            elif is_dir:
                out.mkdir()
                shutil.copystat(entry.path, out, follow_symlinks=False)
                _carry_over(Path(entry.path), out, drop, name + "/")
                if not any(True for _ in os.scandir(out)) and any(True for _ in os.scandir(entry.path)):
                    out.rmdir()  # every file in it was dropped: the folder goes with them
            elif not drop(name):
                _link(entry, out)


def _link(entry: os.DirEntry, out: Path) -> None:
    try:
        os.link(entry.path, out, follow_symlinks=False)
    except OSError:
        if not entry.is_file(follow_symlinks=False):
            raise
        shutil.copy2(entry.path, out, follow_symlinks=False)


def _real_dir(root: Path, rel_parts: tuple[str, ...]) -> Path:
    """``root/rel_parts`` as a real folder inside ``root`` (created if missing), never through a link."""
    here = root
    for part in rel_parts:
        here = here / part
        if here.is_symlink() or (os.path.lexists(here) and not here.is_dir()):
            raise OutputError(f"{here}: is a link or a file where ptce-flows writes a folder: "
                              "not written through it (remove it or choose another folder)")
        if not here.exists():
            here.mkdir()
    return here


@contextlib.contextmanager
def _write_in_place(target: Path, drop: Callable[[str], bool] | None) -> Iterator[Path]:
    """Stage the files inside ``target`` and move each into place; delete nothing but ``drop``."""
    target.mkdir(parents=True, exist_ok=True)
    recover(target)
    stage = target / f"{STAGING}{os.getpid()}-{secrets.token_hex(4)}"
    stage.mkdir()
    try:
        yield stage
        if drop is not None:
            _drop_in_place(target, drop)
        for dirpath, _dirs, files in os.walk(stage):
            rel = Path(dirpath).relative_to(stage)
            folder = _real_dir(target, rel.parts)
            for name in sorted(files):
                if (folder / name).is_dir() and not (folder / name).is_symlink():
                    raise OutputError(f"{folder / name}: is a folder where ptce-flows writes a file")
                os.replace(Path(dirpath) / name, folder / name)  # a link there is replaced, not followed
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _drop_in_place(target: Path, drop: Callable[[str], bool], rel: str = "") -> None:
    with os.scandir(target) as entries:
        for entry in entries:
            name = f"{rel}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                if not (not rel and entry.name.startswith(STAGING)):
                    _drop_in_place(Path(entry.path), drop, name + "/")
            elif drop(name):
                os.unlink(entry.path)  # a link is removed itself, never its target


def _mode(target: Path, force: bool) -> tuple[str, bool]:
    """("swap" or "in place", whether the folder is ours); refuse a folder that is not ours."""
    if not os.path.lexists(target):
        return "swap", True
    if not target.is_dir():
        what = "a broken link" if target.is_symlink() else "not a folder"
        raise UsageError(f"'{target}' is {what}: give a folder for the results")
    ours = read_manifest(target) is not None
    empty = not ours and not any(True for _ in os.scandir(target))
    if not (ours or empty or force):
        raise UsageError(
            f"'{target}' already holds files and is not a ptce-flows results folder (no "
            f"manifest.json written by ptce-flows): nothing written, to keep your files. Choose a new or "
            f"empty folder, or add --force to write only ptce-flows's own files into it (every other "
            f"file is left as it is)")
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        cwd = Path("/")
    in_place = (not (ours or empty)) or cwd == target or target in cwd.parents or os.path.ismount(target)
    return ("in place" if in_place else "swap"), (ours or empty)


def _target(target: str | Path) -> Path:
    target = Path(os.path.abspath(target))
    if target.is_symlink() and target.is_dir():
        target = target.resolve()  # the folder the user named, wherever it lives
    return target


def check_output(target: str | Path, force: bool | None = None) -> None:
    """Raise ``UsageError`` now if ``target`` may not be written (before a long run)."""
    target = _target(target)
    try:
        _mode(target, _FORCE.get() if force is None else force)
    except OSError as exc:
        raise OutputError(_describe(exc, target)) from None


def _describe(exc: OSError, target: Path) -> str:
    reason = {
        errno.ENOSPC: "the disk is full (free some space, or choose another folder with --out)",
        errno.EDQUOT: "the disk quota is exceeded (free some space, or choose another folder with --out)",
        errno.EROFS: "the file system is read-only (choose another folder with --out)",
        errno.EACCES: "permission denied (choose a folder you can write to with --out)",
        errno.EPERM: "operation not permitted (choose a folder you can write to with --out)",
    }.get(exc.errno, f"{exc.strerror or exc} (choose another folder with --out)")
    where = f" ({exc.filename})" if exc.filename else ""
    return f"cannot write the results into '{target}': {reason}{where}; the folder was left as it was"


@contextlib.contextmanager
def atomic_dir(target: str | Path, drop: Callable[[str], bool] | None = None,
               force: bool | None = None) -> Iterator[Path]:
    """Yield a fresh temporary folder whose files are put into ``target`` when the block succeeds.

    Args:
        target: the results folder.
        drop: which existing files (relative paths with ``/``) the command makes stale; they
            are left out of the new folder. Default: every file of ours (:func:`is_ours`).
        force: write into a folder that is not ours (default: as set by :func:`forcing`).

    See the module docstring for what happens to files already in ``target``. If the block
    raises, or the process is interrupted, ``target`` is untouched; if it is killed outright,
    the next call cleans up (see :func:`recover`). A failure of the file system (full disk,
    read-only folder) is an :class:`OutputError` (exit code 2).
    """
    target = _target(target)
    drop = is_ours if drop is None else drop
    force = _FORCE.get() if force is None else force
    try:
        mode, ours = _mode(target, force)
        if mode == "swap":
            with _swap_dir(target) as tmp:
                yield tmp
                if target.is_dir():
                    _carry_over(target, tmp, drop)
        else:
            with _write_in_place(target, drop if ours else None) as stage:
                yield stage
    except OSError as exc:
        raise OutputError(_describe(exc, target)) from None


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def write_yaml(path: Path, data, header: str = "") -> None:
    """``data`` as YAML after ``header`` (:func:`yaml_text`), into ``path``."""
    path.write_text(yaml_text(data, header), encoding="utf-8")


def yaml_text(data, header: str = "") -> str:
    """``data`` as YAML after ``header``: what the 1.2 loader and 1.1 readers read the same (``yamlcore.dump``)."""
    from ptce_flows.scenario.yamlcore import dump  # the scenario package: only when writing YAML
    return header + dump(data, allow_unicode=True, width=100)


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    """Write ``rows`` as CSV; floats in shortest round-trip form, text cells made formula-safe.

    Every table of the package is written here (``tests/test_output_safety.py`` checks that no
    other module uses ``csv.writer``).
    """
    columns = columns or (list(rows[0]) if rows else [])
    if len(columns) > 1:  # csv.writer quotes an empty cell alone on its row: not a case there
        write_csv_columns(path, columns, {c: [row.get(c, "") for row in rows] for c in columns})
    else:
        path.write_text(csv_text(rows, columns), encoding="utf-8")


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """The table written row by row with ``csv.writer``: what :func:`write_csv` and
    :func:`write_csv_columns` write, byte for byte (the reference for their tests)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(str(c)) for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c, "")) for c in columns])
    return buf.getvalue()


@dataclass(frozen=True)
class Coded:
    """A column of few distinct values: ``labels[codes[i]]`` on row ``i``."""

    codes: np.ndarray
    labels: list


def write_csv_columns(path: Path, columns: list[str], cells: dict[str, object]) -> None:
    """Write a table given column by column, byte for byte as :func:`write_csv` writes the
    same rows, several times faster on large tables.

    ``cells[name]`` is a list or numpy array (one entry per row), a :class:`Coded` column, or
    a ``str`` repeated on every row. Numbers are formatted as by :func:`write_csv`; text cells
    are made formula-safe and quoted as ``csv.writer`` would, once per distinct value.
    """
    n = max((len(v.codes) if isinstance(v, Coded) else len(v) for v in cells.values() if not isinstance(v, str)),
            default=0)
    texts: list[list[str]] = []
    done: dict[int, list[str]] = {}   # a column object given twice is formatted once
    i = 0
    while i < len(columns):
        value = cells.get(columns[i], "")
        if isinstance(value, Coded):  # adjacent columns coded alike: joined per label, picked per row
            group = [value]
            while i + len(group) < len(columns) and getattr(cells.get(columns[i + len(group)]), "codes", None) \
                    is value.codes:
                group.append(cells[columns[i + len(group)]])
            joined = [",".join(_quoted(_cell(c.labels[k])) for c in group) for k in range(len(value.labels))]
            texts.append(np.array(joined, dtype=object)[value.codes].tolist() if joined else [""] * n)
            i += len(group)
            continue
        if isinstance(value, str):
            texts.append([_quoted(_cell(value))] * n)
        else:
            texts.append(done[id(value)] if id(value) in done else done.setdefault(id(value), _column_texts(value)))
        i += 1
    lines = [",".join(_quoted(safe_cell(str(c))) for c in columns)]
    lines += map(",".join, zip(*texts, strict=True))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _column_texts(values) -> list[str]:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return list(map(str, values.tolist()))
    if isinstance(values, np.ndarray) and values.dtype.kind == "f" or all(type(v) is float for v in values):
        # whole numbers below 1e15 as integers, the others by repr (as ``_cell``)
        values = np.asarray(values, dtype=float)
        whole = np.isfinite(values) & (values == np.trunc(values)) & (np.abs(values) < 1e15)
        out = np.empty(len(values), dtype=object)
        out[whole] = list(map(str, values[whole].astype(np.int64).tolist()))
        out[~whole] = list(map(repr, values[~whole].tolist()))
        return out.tolist()
    cache: dict = {}
    return [cache[(type(v), v)] if (type(v), v) in cache else cache.setdefault((type(v), v), _quoted(_cell(v)))
            for v in (values.tolist() if isinstance(values, np.ndarray) else values)]


def _quoted(text: str) -> str:
    """``text`` as ``csv.writer`` (set up as in :func:`csv_text`) writes one cell of a row of
    several cells: written by that writer itself, so the quoting rules are its own."""
    if not any(c in text for c in ',"\r\n'):
        return text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([text, ""])
    return buf.getvalue()[:-2]


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _formula(text: str) -> bool:
    body = text.lstrip("'")
    return (body.startswith(_FORMULA_START) and not _NUMBER.fullmatch(body)
            and body not in ("-", "+"))   # a lone sign (the unit of a ratio) runs nothing


def safe_cell(text: str) -> str:
    """``text`` as a spreadsheet cannot run it: a cell starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'`` (OWASP, "CSV injection"), unless it is a plain number
    such as ``-3.5`` (a spreadsheet reads it as a number anyway) or a lone sign. Leading quotes
    are looked through, so that :func:`plain_cell` gives back the text exactly."""
    return "'" + text if _formula(text) else text


def plain_cell(text: str) -> str:
    """The text that :func:`safe_cell` made formula-safe (for reading our own tables back)."""
    return text[1:] if text.startswith("'") and _formula(text[1:]) else text


def _cell(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return safe_cell(str(value))
