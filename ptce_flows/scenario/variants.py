"""Variants and overrides: named changes applied to the raw scenario before validation.

A variant (``variants.NAME`` in the file) may ``extends`` another, ``set`` dotted key paths to
new values (``sites.platform.capacity_t_per_day: 40``, or a whole new site under
``sites.new_platform``) and ``remove`` key paths (``sites.platform``; roads touching a removed
site go with it). Command-line overrides (``--param path=value``) use the same ``set`` logic.
Line numbers follow the values: an error in a value set by a variant points at that variant.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ptce_flows.errors import Problem

#: Most variants in one file (each is validated and may be run: a comparison of 1,000 layouts
#: is already far beyond what a planner reads).
MAX_VARIANTS = 1000
#: Longest chain of ``extends`` (a variant of a variant of ...).
MAX_CHAIN = 100
#: Most parts in a key path set or removed by a variant or ``--param``.
MAX_PATH_PARTS = 64


@dataclass(frozen=True)
class ChainIssue:
    """Why a variant has no chain: ``kind`` is ``unknown`` (it extends a missing variant),
    ``cycle`` (``names`` is the loop) or ``deep`` (the chain is longer than ``MAX_CHAIN``)."""

    variant: str
    kind: str
    names: tuple[str, ...]


def resolve_chains(extends: dict[str, Any]) -> tuple[dict[str, tuple[str, ...]], list[ChainIssue]]:
    """The chain of every variant (root ancestor first, the variant last), in linear time.

    ``extends`` maps each variant to the variant it extends (or None). Each chain is built once
    from its parent's; a cycle or a missing parent is reported once, on the variant whose
    ``extends`` closes it, and every variant depending on it gets no chain.
    """
    chains: dict[str, tuple[str, ...]] = {}
    failed: set[str] = set()
    issues: list[ChainIssue] = []
    for start in extends:
        path: list[str] = []
        on_path: set[str] = set()
        current: Any = start
        while current is not None and current not in chains and current not in failed:
            if current in on_path:
                loop = path[path.index(current):] + [current]
                issues.append(ChainIssue(current, "cycle", tuple(loop)))
                break
            if current not in extends:
                issues.append(ChainIssue(path[-1], "unknown", (str(current),)))
                break
            path.append(current)
            on_path.add(current)
            current = extends[current]
        base: tuple[str, ...] | None = chains.get(current, ()) if current not in failed else None
        if path and (current in on_path or (current is not None and current not in extends)):
            base = None
        for name in reversed(path):
            if base is None:
                failed.add(name)
                continue
            base = base + (name,)
            if len(base) > MAX_CHAIN:
                issues.append(ChainIssue(name, "deep", base[-MAX_CHAIN - 1:]))
                failed.add(name)
                base = None
                continue
            chains[name] = base
    return chains, issues


def chain_problem(issue: ChainIssue, at: Callable[..., Problem], known: list[str]) -> Problem:
    """A ``Problem`` for ``issue``; ``at(path, message, allowed)`` locates it."""
    path = ("variants", issue.variant, "extends")
    if issue.kind == "cycle":
        return at(path, "variants extend each other in a cycle: " + " -> ".join(issue.names),
                  "a variant may extend another, without loops")
    if issue.kind == "deep":
        return at(path, f"the chain of 'extends' is longer than {MAX_CHAIN} variants",
                  f"at most {MAX_CHAIN} variants from the first ancestor to the last")
    name = issue.names[0]
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return at(path, f"unknown variant '{name}'" + (f"; did you mean '{guess[0]}'?" if guess else ""),
              f"known variants: {', '.join(known[:20])}" + (", ..." if len(known) > 20 else "")
              if known else "no variants are defined")


def split_path(dotted_path: str) -> tuple:
    """``"roads.0.2"`` -> ``("roads", 0, 2)``; digits address list items."""
    parts = []
    for part in dotted_path.split(".", MAX_PATH_PARTS):
        parts.append(int(part) if part.isascii() and part.isdigit() and len(part) < 10 else part)
    return tuple(parts)


@dataclass(frozen=True)
class Changes:
    """What a variant (or ``--param``) changes, and where it is written.

    ``origin`` is the key path of the variant in the file (``("variants", NAME)``), or () for
    command-line overrides: problems and the lines of the new values point there.
    ``doc_lines`` is the line map of the file the changes were read from (empty for --param).
    """

    sets: dict[str, Any]
    removes: list[str] = field(default_factory=list)
    file: str = ""
    origin: tuple = ()
    origin_line: int | None = None
    doc_lines: dict = field(default_factory=dict)


def apply_changes(data: dict, lines: dict, changes: Changes) -> list[Problem]:
    """Apply ``changes.removes`` then ``changes.sets`` to ``data`` in place, updating ``lines``."""
    problems: list[Problem] = []
    file, origin, origin_line, doc_lines = changes.file, changes.origin, changes.origin_line, changes.doc_lines
    for i, dotted_path in enumerate(changes.removes):
        path = split_path(str(dotted_path))
        line = doc_lines.get(origin + ("remove", i), origin_line)
        if len(path) > MAX_PATH_PARTS or not _delete(data, path):
            problems.append(Problem(file, line, ".".join(map(str, origin + ("remove",))),
                                    f"nothing to remove at '{str(dotted_path)[:200]}'",
                                    "give an existing key path"))
            continue
        if len(path) == 2 and path[0] == "sites" and isinstance(data.get("roads"), list):
            data["roads"] = [r for r in data["roads"]
                             if not (isinstance(r, list) and path[1] in r[:2])]
    for dotted_path, value in changes.sets.items():
        path = split_path(str(dotted_path))
        key_line = doc_lines.get(origin + ("set", dotted_path), origin_line)
        error = (f"a key path of more than {MAX_PATH_PARTS} parts" if len(path) > MAX_PATH_PARTS
                 else _assign(data, path, copy.deepcopy(value)))
        if error:
            problems.append(Problem(file, key_line, ".".join(map(str, origin + ("set", dotted_path))),
                                    error, "a key path such as sites.platform.capacity_t_per_day"))
            continue
        # lines of the new value and everything under it point at the variant
        for key in [k for k in lines if k[: len(path)] == path]:
            del lines[key]
        lines[path] = key_line
        prefix = origin + ("set", dotted_path)
        for sub, sub_line in doc_lines.items():
            if sub[: len(prefix)] == prefix and len(sub) > len(prefix):
                lines[path + sub[len(prefix):]] = sub_line
    return problems


def _delete(data: Any, path: tuple) -> bool:
    node = data
    for part in path[:-1]:
        node = _child(node, part)
        if node is None:
            return False
    last = path[-1]
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        del node[last]
        return True
    return False


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _assign(data: Any, path: tuple, value: Any) -> str:
    node = data
    for depth, part in enumerate(path[:-1]):
        nxt = _child(node, part)
        if nxt is None:
            if isinstance(node, dict) and isinstance(part, str):
                nxt = node[part] = {}
            else:
                where = ".".join(map(str, path[: depth + 1]))
                return f"cannot set '{'.'.join(map(str, path))}': '{where}' does not exist"
        if not isinstance(nxt, dict | list):
            where = ".".join(map(str, path[: depth + 1]))
            return f"cannot set '{'.'.join(map(str, path))}': '{where}' is a value, not a mapping"
        node = nxt
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
        return ""
    if isinstance(node, list) and isinstance(last, int) and 0 <= last <= len(node):
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
        return ""
    return f"cannot set '{'.'.join(map(str, path))}': no such list item"
