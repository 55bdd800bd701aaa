"""Variants and overrides: named changes applied to the raw scenario before validation.

A variant (``variants.NAME`` in the file) may ``extends`` another, ``set`` dotted key paths to
new values (``sites.platform.capacity_t_per_day: 40``, or a whole new site under
``sites.new_platform``) and ``remove`` key paths (``sites.platform``; roads touching a removed
site go with it). Command-line overrides (``--param path=value``) use the same ``set`` logic.
Line numbers follow the values: an error in a value set by a variant points at that variant.
"""

from __future__ import annotations

import copy
from typing import Any

from ptce_flows.errors import Problem, ScenarioError
from ptce_flows.scenario.yamlio import YamlDocument


def split_path(dotted_path: str) -> tuple:
    """``"roads.0.2"`` -> ``("roads", 0, 2)``; digits address list items."""
    parts = []
    for part in dotted_path.split("."):
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def variant_chain(raw: dict, name: str, file: str, doc: YamlDocument) -> list[str]:
    """Names from the root ancestor down to ``name``; cycles and unknown names are errors."""
    variants = raw.get("variants") if isinstance(raw, dict) else None
    if not isinstance(variants, dict) or name not in variants:
        known = ", ".join(variants) if isinstance(variants, dict) and variants else "none defined"
        raise ScenarioError(Problem(file, doc.line_of(("variants",)), "variants",
                                    f"no variant named '{name}'", f"variants: {known}"))
    chain: list[str] = []
    current: Any = name
    while current is not None:
        if current in chain:
            loop = " -> ".join(chain[chain.index(current):] + [current])
            raise ScenarioError(Problem(file, doc.line_of(("variants", current, "extends")),
                                        f"variants.{current}.extends",
                                        f"variants extend each other in a cycle: {loop}",
                                        "a variant may extend another, without loops"))
        if current not in variants or not isinstance(variants[current], dict):
            raise ScenarioError(Problem(file, doc.line_of(("variants", chain[-1], "extends")),
                                        f"variants.{chain[-1]}.extends", f"no variant named '{current}'",
                                        f"variants: {', '.join(variants)}"))
        chain.append(current)
        current = variants[current].get("extends")
    return list(reversed(chain))


def apply_changes(
    data: dict,
    lines: dict,
    sets: dict[str, Any],
    removes: list[str],
    file: str,
    origin: tuple,
    origin_line: int | None,
    doc_lines: dict | None = None,
) -> list[Problem]:
    """Apply ``removes`` then ``sets`` to ``data`` in place, updating ``lines``.

    ``origin`` is the key path of the variant (or () for command-line overrides): problems and
    the lines of the new values point there.
    """
    problems: list[Problem] = []
    doc_lines = doc_lines or {}
    for i, dotted_path in enumerate(removes):
        path = split_path(str(dotted_path))
        line = doc_lines.get(origin + ("remove", i), origin_line)
        if not _delete(data, path):
            problems.append(Problem(file, line, ".".join(map(str, origin + ("remove",))),
                                    f"nothing to remove at '{dotted_path}'", "give an existing key path"))
            continue
        if len(path) == 2 and path[0] == "sites" and isinstance(data.get("roads"), list):
            data["roads"] = [r for r in data["roads"]
                             if not (isinstance(r, list) and path[1] in r[:2])]
    for dotted_path, value in sets.items():
        path = split_path(str(dotted_path))
        key_line = doc_lines.get(origin + ("set", dotted_path), origin_line)
        error = _assign(data, path, copy.deepcopy(value))
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
