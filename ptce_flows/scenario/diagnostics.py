"""Turn pydantic validation errors into user-facing ``Problem`` lines.

Each error gets the file line of its key, a dotted key path as it appears in the YAML (the
internal discriminator tags pydantic inserts are removed), a sentence saying what was found, and
what is allowed: the accepted keys with a did-you-mean for an unknown key, the accepted values
for a choice, the bound for a number.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ptce_flows.errors import Problem
from ptce_flows.scenario.yamlio import YamlDocument, dotted

SITE_KINDS = ("source", "treatment", "farm", "outlet", "disposal", "transfer")
DISRUPTION_KINDS = ("outage", "fleet_unavailable", "breakdowns")

_TYPE_WORDS = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "a text string",
    "dict": "a mapping (key: value)",
    "list": "a list",
    "tuple": "a list",
    "model": "a mapping (key: value)",
}


def problems_from_validation(
    exc: ValidationError, doc: YamlDocument, file: str, root: type[BaseModel], data: Any
) -> list[Problem]:
    """One ``Problem`` per pydantic error, located in the YAML file."""
    problems = []
    seen = set()
    for err in exc.errors(include_url=False):
        path = _data_path(err["loc"], data)
        problem = _problem(err, path, doc, file, root, data)
        key = (problem.line, problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            problems.append(problem)
    return problems


def _data_path(loc: tuple, data: Any) -> tuple:
    """Map a pydantic ``loc`` to the key path in the YAML data (drop union tags, '[key]')."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(part, str) and part == "[key]":
            continue
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and node.get("kind") == part:
            continue  # discriminator tag inserted by pydantic
        elif isinstance(part, str) and _is_type_tag(part):
            continue  # a union member pydantic names in the location ("constrained-str")
        else:
            path.append(part)
            node = None
    return tuple(path)


_TYPE_TAGS = {"str", "int", "float", "bool", "none", "constrained-str", "constrained-int",
              "constrained-float", "list", "dict", "tuple", "nullable"}


def _is_type_tag(part: str) -> bool:
    return part in _TYPE_TAGS or "[" in part or part.startswith("function-")


def _problem(err: dict, path: tuple, doc, file: str, root, data) -> Problem:
    kind = err["type"]
    found = err.get("input")
    ctx = err.get("ctx") or {}
    line = doc.line_of(path)
    where = dotted(path)
    if kind == "missing":
        return Problem(file, doc.line_of(path[:-1]), where, "missing required key",
                       f"add '{path[-1]}'; see docs/scenario-format.md")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(root, path[:-1], data)
        key = str(path[-1])
        guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        message = f"unknown key '{key}'" + (f"; did you mean '{guess[0]}'?" if guess else "")
        return Problem(file, line, where, message, "allowed: " + ", ".join(allowed) if allowed else "")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ctx.get("expected_tags") or ", ".join(
            f"'{k}'" for k in (DISRUPTION_KINDS if "disruptions" in path else SITE_KINDS))
        if kind == "union_tag_not_found":
            return Problem(file, line, where, "missing 'kind'", f"kind is one of {tags}")
        tag = str(ctx.get("tag"))
        close = difflib.get_close_matches(
            tag, DISRUPTION_KINDS if "disruptions" in path else SITE_KINDS, n=1, cutoff=0.6)
        guess = f"; did you mean '{close[0]}'?" if close else ""
        return Problem(file, doc.line_of(path + ("kind",)), dotted(path + ("kind",)),
                       f"unknown kind '{tag}'{guess}", f"kind is one of {tags}")
    if kind == "literal_error":
        guess = ""
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        if isinstance(found, str):
            close = difflib.get_close_matches(found, options, n=1, cutoff=0.6)
            guess = f"; did you mean '{close[0]}'?" if close else ""
        return Problem(file, line, where, f"'{found}' is not a valid choice{guess}", f"one of {expected}")
    if kind == "string_pattern_mismatch":
        return Problem(file, line, where, f"'{found}' is not a valid id",
                       "ids start with a letter and use letters, digits, '_' and '-'")
    if kind == "finite_number":
        return Problem(file, line, where, f"must be a finite number, found {found!r}",
                       "no .nan or .inf")
    bounds = {
        "greater_than": ("must be greater than", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be less than", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        limit = ctx.get(key)
        return Problem(file, line, where, f"{words} {_num(limit)}, found {_num(found)}",
                       _bound_hint(kind, limit))
    if kind in ("too_short", "too_long"):
        size = ctx.get("actual_length")
        if kind == "too_short":
            want = ctx.get("min_length")
            return Problem(file, line, where, f"has {size} item(s), needs at least {want}",
                           "an empty list or mapping is not allowed here" if want == 1 else "")
        return Problem(file, line, where, f"has {size} items, at most {ctx.get('max_length')} allowed")
    if kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
        message = message.removeprefix("Value error, ")
        return Problem(file, line, where, message)
    for suffix in ("_type", "_parsing", "_from_float", "_fraction"):
        if kind.endswith(suffix):
            base = kind[: -len(suffix)]
            want = _TYPE_WORDS.get(base, base)
            return Problem(file, line, where, f"expected {want}, found {_show(found)}")
    if kind == "int_from_float":
        return Problem(file, line, where, f"expected a whole number, found {_show(found)}")
    return Problem(file, line, where, err["msg"] + (f", found {_show(found)}" if found is not None else ""))


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _bound_hint(kind: str, limit: Any) -> str:
    if kind == "greater_than" and limit == 0:
        return "a positive number"
    if kind == "greater_than_equal" and limit == 0:
        return "zero or a positive number"
    return ""


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


# --- resolving the model at a path, to list the keys allowed there -------------------------

def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _model_at(root: type[BaseModel], path: tuple, data: Any) -> Any:
    tp: Any = root
    node = data
    for part in path:
        tp = _pick_union(_unwrap(tp), node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        else:
            origin = typing.get_origin(tp)
            args = typing.get_args(tp)
            if origin is dict:
                tp = args[1]
            elif origin is list:
                tp = args[0]
            elif origin is tuple and isinstance(part, int) and part < len(args):
                tp = args[part]
            else:
                return None
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        )
    return _pick_union(_unwrap(tp), node)


def _pick_union(tp: Any, node: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        kind = node.get("kind") if isinstance(node, dict) else None
        for member in typing.get_args(tp):
            member = _unwrap(member)
            if isinstance(member, type) and issubclass(member, BaseModel) and "kind" in member.model_fields:
                if kind in typing.get_args(_unwrap(member.model_fields["kind"].annotation)):
                    return member
    return tp


def _allowed_keys(root: type[BaseModel], path: tuple, data: Any) -> list[str]:
    model = _model_at(root, path, data)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []
