"""Read a YAML scenario safely and remember where every key stands.

Only ``yaml.SafeLoader`` is used. The file size, the number of nodes visited (which bounds
alias expansion, the "billion laughs") and the nesting depth are capped before any Python
object is built, so a hostile file is refused quickly and in little memory. Duplicate keys are
an error (PyYAML silently keeps the last one). The result is the plain data plus a map from key
path (a tuple of str/int) to its 1-based line, used to point every message at a line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import yaml

from ptce_flows.errors import Problem, ScenarioError

#: Largest scenario file accepted, in bytes. Real scenarios are a few hundred kB at most.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Most YAML nodes visited while walking the document (aliases are walked every time they are
#: used, so this bounds the expanded size).
MAX_NODES = 2_000_000
#: Deepest nesting accepted.
MAX_DEPTH = 64

Path = tuple


@dataclass
class YamlDocument:
    """Parsed YAML with the line of every key path."""

    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    text: str = ""

    def line_of(self, path: Path) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        return line_of(self.lines, path)


def line_of(lines: dict[Path, int], path: Path) -> int | None:
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


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (libyaml's when PyYAML was built with it: same nodes and line marks,
    several times faster on large files); a subclass so that nothing here touches the global one."""


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse ``text`` into data and a path-to-line map, or raise ``ScenarioError``."""
    try:
        loader = _Loader(text)
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
        lines, problems = _walk(node, file)
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


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> ScenarioError:
    """A control character (PyYAML's reader refuses them before parsing)."""
    line = text[: exc.position].count("\n") + 1
    return ScenarioError(Problem(file, line, "", f"not valid YAML: control character "
                                 f"#x{exc.character:04x} is not allowed",
                                 "plain text only; remove the character"))


def _key_of(node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        # resolve like the constructor would, so that "1" and 1 stay distinct
        if node.tag == "tag:yaml.org,2002:int":
            try:
                return int(node.value.replace("_", ""), 0)
            except ValueError:
                return node.value
        return node.value
    return f"<{node.id}>"


def _walk(root: yaml.Node, file: str) -> tuple[dict[Path, int], list[Problem]]:
    lines: dict[Path, int] = {(): root.start_mark.line + 1}
    problems: list[Problem] = []
    visited = 0
    stack: list[tuple[yaml.Node, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            raise ScenarioError(
                Problem(
                    file,
                    None,
                    "",
                    f"the document expands to more than {MAX_NODES:,} nodes "
                    "(aliases expanding without bound?)",
                    "scenario files must not use alias bombs",
                )
            )
        if len(path) > MAX_DEPTH:
            raise ScenarioError(
                Problem(file, node.start_mark.line + 1, _dotted(path), "nesting is too deep",
                        f"at most {MAX_DEPTH} levels")
            )
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    # "<<: *anchor" merges keys: walk the merged mapping at the same path
                    stack.append((value_node, path))
                    continue
                key = _key_of(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    problems.append(
                        Problem(
                            file,
                            line,
                            _dotted(path + (key,)),
                            f"duplicate key (first defined on line {seen[key]})",
                            "each key once per mapping",
                        )
                    )
                    continue
                seen[key] = line
                lines[path + (key,)] = line
                stack.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[path + (index,)] = item.start_mark.line + 1
                stack.append((item, path + (index,)))
    return lines, problems


def _dotted(path: Path) -> str:
    return ".".join(str(part) for part in path)


def dotted(path: Path) -> str:
    """Format a key path as ``sites.platform.capacity_t_per_day`` (list items as numbers)."""
    return _dotted(path)
