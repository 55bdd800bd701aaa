"""Read a results folder (written by ``ptce-flows run``) back into a ResultSet.

Everything is checked before any figure is drawn: a missing folder, a missing file, a file
that does not parse or lacks a column is a ``UsageError`` (exit code 2) that names the file
and says what is wrong, and nothing is written.

The original scenario text (whose comments hold the sources of the figures) is looked for in
this order: ``scenario.yaml`` in the folder, then the ``scenario_file`` of manifest.json as
given and relative to the folder's parents. A candidate is used only if its SHA-256 matches
the manifest's ``scenario_sha256``: a file edited since the run would attach the wrong sources.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import yaml

from ptce_flows.errors import UsageError
from ptce_flows.metrics.kpis import FLOW_COLUMNS
from ptce_flows.results.resultset import ResultSet, Series

REQUIRED = ("summary.json", "flows.csv", "timeseries.csv", "scenario.resolved.yaml")
FLOW_KEYS = ("origin", "destination", "material", "fleet")
SERIES_COLUMNS = ("time_d", "site", "material", "quantity", "value", "low", "high")
SOURCE_NAME = "scenario.yaml"


def _fail(folder: Path, message: str) -> UsageError:
    return UsageError(f"{folder}: {message}")


def check_folder(folder: str | Path) -> Path:
    """The folder as a Path if it looks like a results folder, else a UsageError."""
    folder = Path(folder)
    hint = "give the folder written by `ptce-flows run SCENARIO.yaml --out DIR`"
    if not folder.exists():
        raise _fail(folder, f"no such results folder ({hint})")
    if not folder.is_dir():
        raise _fail(folder, f"not a folder ({hint})")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise _fail(folder, f"not a results folder: missing {', '.join(missing)} ({hint})")
    return folder


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path.parent, f"cannot read {path.name}: {exc}") from None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise _fail(path.parent, f"{path.name}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise _fail(path.parent, f"{path.name}: expected a JSON object")
    return data


def _read_csv(path: Path, needed: tuple[str, ...], numbers: tuple[str, ...]) -> list[dict]:
    reader = csv.DictReader(_read_text(path).splitlines())
    columns = reader.fieldnames or []
    lacking = [c for c in needed if c not in columns]
    if lacking:
        raise _fail(path.parent, f"{path.name}: missing column(s) {', '.join(lacking)} "
                                 f"(found: {', '.join(columns) or 'nothing'})")
    rows = []
    for line, row in enumerate(reader, start=2):
        try:
            for c in numbers:
                row[c] = float(row[c])
        except (TypeError, ValueError):
            raise _fail(path.parent, f"{path.name}:{line}: column '{c}' is not a number "
                                     f"(found '{row.get(c)}')") from None
        rows.append(row)
    return rows


def _check_summary(folder: Path, summary: dict) -> None:
    for key in ("kpis", "by_fleet", "jobs"):
        if not isinstance(summary.get(key), dict):
            raise _fail(folder, f"summary.json: missing or malformed '{key}' section")


def _check_scenario(folder: Path, scenario) -> dict:
    if not isinstance(scenario, dict) or not isinstance(scenario.get("sites"), dict) or not scenario["sites"]:
        raise _fail(folder, "scenario.resolved.yaml: expected a scenario with a 'sites' mapping")
    for sid, site in scenario["sites"].items():
        ok = isinstance(site, dict) and site.get("kind") and isinstance(site.get("location"), list | tuple) \
            and len(site["location"]) == 2
        if not ok:
            raise _fail(folder, f"scenario.resolved.yaml: sites.{sid}: needs 'kind' and 'location' [lat, lon]")
    return scenario


def find_source_text(folder: Path, manifest: dict) -> str | None:
    """The original scenario text, if a copy whose hash matches the manifest can be found."""
    want = manifest.get("scenario_sha256")
    candidates = [folder / SOURCE_NAME]
    given = manifest.get("scenario_file")
    if given:
        path = Path(given)
        candidates.append(path)
        if not path.is_absolute():
            candidates += [parent / path for parent in folder.resolve().parents]
    for path in candidates:
        try:
            if not path.is_file() or path.stat().st_size > 10 * 1024 * 1024:
                continue
            raw = path.read_bytes()
        except OSError:
            continue
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        # the loader hashes the decoded text (LoadedScenario.sha256)
        if want and hashlib.sha256(text.encode("utf-8")).hexdigest() != want:
            continue
        if not want and path != folder / SOURCE_NAME:
            continue
        return text
    return None


def load_results(folder: str | Path, source_text: str | None = None) -> ResultSet:
    """Read and check the results folder ``folder``.

    Args:
        folder: the folder written by ``ptce-flows run``.
        source_text: the original scenario text when the caller has it (``run --report``);
            otherwise it is looked for (see the module docstring).

    Raises:
        UsageError: the folder is missing, incomplete or a file in it is malformed.
    """
    folder = check_folder(folder)
    summary = _read_json(folder / "summary.json")
    _check_summary(folder, summary)
    flows = _read_csv(folder / "flows.csv", FLOW_KEYS + FLOW_COLUMNS, FLOW_COLUMNS)
    series_rows = _read_csv(folder / "timeseries.csv", SERIES_COLUMNS, ("time_d", "value", "low", "high"))
    try:
        scenario = yaml.safe_load(_read_text(folder / "scenario.resolved.yaml"))
    except yaml.YAMLError as exc:
        raise _fail(folder, f"scenario.resolved.yaml: not valid YAML ({exc})") from None
    scenario = _check_scenario(folder, scenario)
    manifest = _read_json(folder / "manifest.json") if (folder / "manifest.json").is_file() else {}
    if source_text is None:
        source_text = find_source_text(folder, manifest)
    return ResultSet(summary=summary, flows=flows, series=Series.from_rows(series_rows),
                     scenario=scenario, manifest=manifest, source_text=source_text)
