"""The data files a scenario names besides its tables of sites: ``network.distances``,
``network.graphml`` and ``map.background``.

Each path is relative to the scenario file. At load time each must be a regular file within
the size limit of :mod:`ptce_flows.scenario.tables`; its sha256 goes into the
``LoadedScenario`` (and so into the cache key of a run: editing the distances file changes the
results it reuses). The files are read where they are used: the distances and the road graph
by ``network.files`` when the world is built, the map layers when the results are written.
"""

from __future__ import annotations

import hashlib

from ptce_flows.errors import Problem, ScenarioError
from ptce_flows.scenario.schema import ScenarioSpec
from ptce_flows.scenario.tables import read_bytes, resolve


def named_files(spec: ScenarioSpec) -> list[tuple[str, tuple, str]]:
    """(role, key path, name as written) of every data file ``spec`` names."""
    out = []
    if spec.network.distances:
        out.append(("network.distances", ("network", "distances"), spec.network.distances))
    if spec.network.graphml:
        out.append(("network.graphml", ("network", "graphml"), spec.network.graphml))
    for i, name in enumerate(spec.map.background):
        out.append((f"map.background.{i}", ("map", "background", i), name))
    return out


def data_files(spec: ScenarioSpec, file: str, at, cache: dict) -> tuple[tuple, list[Problem]]:
    """((role, name, resolved path, sha256), ...) and the problems of the files that cannot be
    read; ``at(path, message, allowed)`` locates a problem in the scenario. Hashes are kept in
    ``cache`` (one per parsed document), so a file is read once for all the variants."""
    hashes = cache.setdefault("file_hashes", {})
    out, problems = [], []
    for role, path, name in named_files(spec):
        resolved = resolve(file, name)
        if resolved not in hashes:
            try:
                hashes[resolved] = hashlib.sha256(read_bytes(resolved, name)).hexdigest()
            except ScenarioError as exc:
                hashes[resolved] = exc
        found = hashes[resolved]
        if isinstance(found, ScenarioError):
            problems += [at(path, f"'{name}': {p.message}", p.allowed) for p in found.problems]
            continue
        out.append((role, name, resolved, found))
    return tuple(out), problems
