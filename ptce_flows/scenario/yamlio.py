"""Read a YAML scenario safely and remember where every key stands.

Only a ``yaml.SafeLoader`` subclass is used, with YAML 1.2 core scalars (see
:mod:`ptce_flows.scenario.yamlcore`). The file size, the size of the document once aliases are
expanded (the "billion laughs", computed once per node so in memory linear in the file) and the
nesting depth are capped before the document is expanded, so a hostile file is refused
quickly and in little memory. Duplicate keys are an error (PyYAML silently keeps the last
one), and so is a key given both explicitly and through a ``<<:`` merge. The result is the plain data plus a map from key
path (a tuple of str/int) to its 1-based line, used to point every message at a line.

A plain document (mappings, lists and core scalars, nothing that needs PyYAML's general
constructor) is read in one pass that builds the data and the key lines together, counting
the expansion as it goes (each node is built once, so memory stays linear in the file) and
giving up for the general path as soon as anything is off (:mod:`ptce_flows.scenario.yamlplain`);
the general path checks the whole node tree (:func:`_check_expansion`, :func:`_walk`) before
PyYAML builds the data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import yaml

from ptce_flows.errors import Problem, ScenarioError
from ptce_flows.gcpause import cyclic_gc_paused
from ptce_flows.scenario.yamlcore import (
    INT_TAG,
    MAX_INT_DIGITS,
    MERGE_TAG,
    CoreLoader,
    int_digits,
    scalar_value,
)
from ptce_flows.scenario.yamlplain import plain_document

#: Largest scenario file accepted, in bytes. Real scenarios are a few hundred kB at most.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Most YAML nodes in the document with every alias expanded.
MAX_NODES = 2_000_000
#: Most nodes that aliases may add to what is written (real files reuse a few small blocks).
MAX_ALIAS_NODES = 100_000
#: Deepest nesting accepted.
MAX_DEPTH = 64

#: A key path: mapping keys and list indices from the top of the document.
KeyPath = tuple


@dataclass
class YamlDocument:
    """Parsed YAML with the line of every key path."""

    data: object
    lines: dict[KeyPath, int] = field(default_factory=dict)
    text: str = ""
    #: what is computed once per document (the validated variants, their chains)
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        return line_of(self.lines, path)


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """Line of ``path`` in ``lines``, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), None)


def read_text(file: str) -> str:
    """Read ``file`` as UTF-8 text, refusing directories, huge and undecodable files."""
    def fail(message: str, line: int | None = None, allowed: str = "") -> ScenarioError:
        return ScenarioError(Problem(file, line, "", message, allowed))

    if not os.path.exists(file):
        raise fail("no such file")
    if os.path.isdir(file):
        raise fail("is a directory, not a scenario file", allowed="give a .yaml file")
    try:
        size = os.path.getsize(file)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise fail(
            f"file is {size / 1e6:.1f} MB, larger than the {MAX_FILE_BYTES / 1e6:.0f} MB limit",
            allowed="scenario files are small text files",
        )
    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(
            f"not valid UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            line,
            "save the file as UTF-8",
        ) from None


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse ``text`` into data and a path-to-line map, or raise ``ScenarioError``."""
    with cyclic_gc_paused():
        return _parse_yaml(text, file)


def _parse_yaml(text: str, file: str) -> YamlDocument:
    try:
        loader = CoreLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(exc, text, file) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            what = exc.problem or exc.context or "invalid YAML"
            if "\\t" in what or "'\\t'" in what or "tab" in what:
                what += " (YAML forbids tabs for indentation; use spaces)"
            raise ScenarioError(Problem(file, line, "", f"not valid YAML: {what}")) from None
        except yaml.reader.ReaderError as exc:
            raise _reader_problem(exc, text, file) from None
        except yaml.YAMLError as exc:
            raise ScenarioError(Problem(file, None, "", f"not valid YAML: {exc}")) from None
        if node is None:
            raise ScenarioError(
                Problem(file, 1, "", "the file is empty", "a scenario is a YAML mapping")
            )
        plain = plain_document(node, loader, MAX_DEPTH, MAX_NODES, MAX_ALIAS_NODES)
        if plain is not None:
            data, lines = plain
        else:
            lines, problems = _walk(node, file, text)
            if problems:
                raise ScenarioError(problems)
            try:
                data = loader.construct_document(node)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                raise ScenarioError(
                    Problem(file, mark.line + 1 if mark else None, "", f"not valid YAML: {exc}")
                ) from None
    finally:
        loader.dispose()
    return YamlDocument(data=data, lines=lines, text=text)


def parse_value(text: str, where: str) -> object:
    """A value given on the command line, read as YAML with the rules and limits of a file.

    Text that is not valid YAML stays text (``--param name=a: b`` sets the text ``a: b``).

    Raises:
        ScenarioError: the value breaks a limit (nesting, alias expansion, digits); each
            problem's file is ``where``.
    """
    loader = CoreLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError:
            return text
        if node is None:
            return None
        lines, problems = _walk(node, where, text)
        if problems:
            raise ScenarioError(problems)
        try:
            return loader.construct_document(node)
        except yaml.YAMLError:
            return text
    finally:
        loader.dispose()


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> ScenarioError:
    """A control character (PyYAML's reader refuses them before parsing)."""
    line = text[: exc.position].count("\n") + 1
    return ScenarioError(Problem(file, line, "", f"not valid YAML: control character "
                                 f"#x{exc.character:04x} is not allowed",
                                 "plain text only; remove the character"))


def _key_of(node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return scalar_value(node)  # as the constructor makes it: "1" and 1 stay distinct
    return f"<{node.id}>"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _too_big(file: str, message: str) -> ScenarioError:
    return ScenarioError(Problem(file, None, "", message, "scenario files must not use alias bombs"))


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a document whose aliases expand it beyond the budgets, or refer to themselves.

    Each node is visited once and its expanded size (every alias copied out) computed from its
    children's, so the cost is linear in the file, whatever the expansion.
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = total = 1 + sum(size[id(child)] for child in _children(node))
            if total > MAX_NODES:
                raise _too_big(file, f"the document expands to more than {MAX_NODES:,} nodes "
                                     "(aliases expanding without bound?)")
            continue
        if key in size:
            continue
        if key in on_path:
            raise ScenarioError(Problem(file, node.start_mark.line + 1, "",
                                        "an alias refers to the node that contains it",
                                        "anchors and aliases must not form a loop"))
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    added = size[id(root)] - len(size)
    if added > MAX_ALIAS_NODES:
        raise _too_big(file, f"the document expands to more than {MAX_ALIAS_NODES:,} nodes beyond "
                             f"those written ({added:,} added by aliases)")


def _merged(value: yaml.Node) -> list[yaml.MappingNode]:
    """The mappings a ``<<:`` value merges, nested merges included."""
    out: list[yaml.MappingNode] = []
    todo = [value]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.SequenceNode):
            todo.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            out.append(node)
            todo.extend(v for k, v in node.value if k.tag == MERGE_TAG)
    return out


def _mapping(node: yaml.MappingNode, path: KeyPath, file: str, lines: dict, problems: list,
             stack: list) -> None:
    """Record the lines of a mapping's keys; refuse keys given twice, also through ``<<:``."""
    seen: dict[object, int] = {}
    scalar: dict[object, bool] = {}
    merges: list[tuple[int, yaml.Node]] = []
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == MERGE_TAG:
            merges.append((line, value_node))
            continue
        key = _key_of(key_node)
        if key in seen:
            problems.append(Problem(file, line, _dotted(path + (key,)),
                                    f"duplicate key (first defined on line {seen[key]})",
                                    "each key once per mapping"))
            continue
        seen[key], scalar[key] = line, isinstance(value_node, yaml.ScalarNode)
        lines[path + (key,)] = line
        stack.append((value_node, path + (key,)))
    for merge_line, value_node in merges:
        for merged in _merged(value_node):
            for key_node, child in merged.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = _key_of(key_node)
                if key in seen:
                    if not (scalar[key] and isinstance(child, yaml.ScalarNode)):
                        problems.append(Problem(
                            file, merge_line, _dotted(path + (key,)),
                            f"defined twice: by the '<<:' merge on line {merge_line} and on line "
                            f"{seen[key]}", "a merge may add keys, or have a single value replaced; "
                            "a mapping or list is written once"))
                    continue  # a single value given explicitly replaces the merged one (YAML)
                seen[key], scalar[key] = merge_line, isinstance(child, yaml.ScalarNode)
                lines[path + (key,)] = key_node.start_mark.line + 1
                stack.append((child, path + (key,)))


def _walk(root: yaml.Node, file: str, text: str) -> tuple[dict[KeyPath, int], list[Problem]]:
    if "*" in text:  # without an alias (``*name``) every node is used once
        _check_expansion(root, file)
    lines: dict[KeyPath, int] = {(): root.start_mark.line + 1}
    problems: list[Problem] = []
    stack: list[tuple[yaml.Node, KeyPath]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise ScenarioError(
                Problem(file, node.start_mark.line + 1, _dotted(path), "nesting is too deep",
                        f"at most {MAX_DEPTH} levels")
            )
        if isinstance(node, yaml.MappingNode):
            _mapping(node, path, file, lines, problems, stack)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[path + (index,)] = item.start_mark.line + 1
                stack.append((item, path + (index,)))
        elif node.tag == INT_TAG and int_digits(node.value) > MAX_INT_DIGITS:
            problems.append(Problem(file, node.start_mark.line + 1, _dotted(path),
                                    f"a number of {int_digits(node.value):,} digits",
                                    f"at most {MAX_INT_DIGITS} digits"))
    return lines, problems

def _dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path)


def dotted(path: KeyPath) -> str:
    """Format a key path as ``sites.platform.capacity_t_per_day`` (list items as numbers)."""
    return _dotted(path)
