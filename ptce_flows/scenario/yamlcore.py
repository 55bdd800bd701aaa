"""The YAML loader used for scenarios: safe, and with the YAML 1.2 core schema for scalars.

PyYAML resolves plain scalars with the YAML 1.1 rules, which misread ordinary text and
numbers: ``1:10`` is the sexagesimal number 70, ``010`` is octal 8, ``no``/``yes``/``on``/
``off`` are booleans (a material named ``no`` becomes ``False``), ``2024-05-01`` is a date.
Scenarios use the YAML 1.2 core schema instead (https://yaml.org/spec/1.2.2/#1023-core-schema):

- ``null``, ``Null``, ``NULL``, ``~`` and nothing at all are null;
- ``true``/``false`` (also ``True``, ``TRUE``, ...) are the only booleans;
- integers are decimal (``010`` is ten), ``0o17`` octal, ``0x1F`` hexadecimal;
- floats are ``1.5``, ``1e9``, ``.5``, ``.inf``, ``-.inf``, ``.nan``;
- everything else is text: ``1:10``, ``no``, ``yes``, ``2024-05-01``.

One extension is kept from YAML 1.1 because scenario files use it for readability: ``_``
between digits (``1_000``) is ignored in numbers. Integers longer than ``MAX_INT_DIGITS``
digits are refused (Python refuses to convert more than 4,300 digits, and no scenario number
needs more than 19).
"""

from __future__ import annotations

import re

import yaml

#: Most digits in an integer; a 64-bit seed has 19.
MAX_INT_DIGITS = 30

INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"

_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_INT = re.compile(rf"^(?:[-+]?{_DIGITS}|0o[0-7]+(?:_[0-7]+)*|0x[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)$")
_FLOAT = re.compile(
    rf"^(?:[-+]?(?:\.[0-9]+|{_DIGITS}(?:\.(?:[0-9]+(?:_[0-9]+)*)?)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_MERGE = re.compile(r"^(?:<<)$")


def int_digits(text: str) -> int:
    """Number of digits in an integer scalar as written (signs, prefixes and ``_`` aside)."""
    body = text.lstrip("+-")
    if body[:2] in ("0o", "0x"):
        body = body[2:]
    return len(body.replace("_", ""))


def parse_int(text: str) -> int:
    """The value of an integer scalar of the core schema (``010`` -> 10, ``0o10`` -> 8).

    Raises:
        ValueError: more than ``MAX_INT_DIGITS`` digits, or not an integer.
    """
    if int_digits(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {int_digits(text):,} digits (at most {MAX_INT_DIGITS})")
    value = text.replace("_", "")
    sign = -1 if value.startswith("-") else 1
    value = value.lstrip("+-")
    if value.startswith("0o"):
        return sign * int(value[2:], 8)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    return sign * int(value, 10)


def scalar_value(node: yaml.ScalarNode) -> object:
    """The Python value the loader makes of a scalar node (used for mapping keys)."""
    tag, text = node.tag, node.value
    try:
        if tag == INT_TAG:
            return parse_int(text)
        if tag == FLOAT_TAG:
            return float(text.replace("_", "")) if not text.lstrip("+-").startswith(".") else float(
                text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    except ValueError:
        return text
    if tag == BOOL_TAG:
        return text.lower() == "true"
    if tag == NULL_TAG:
        return None
    return text


class CoreLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (libyaml's when PyYAML was built with it: same nodes and line marks,
    several times faster on large files) with the YAML 1.2 core schema for plain scalars; a
    subclass so that nothing here touches PyYAML's global loaders."""

    yaml_implicit_resolvers: dict = {}

    def construct_core_int(self, node: yaml.ScalarNode) -> int:
        try:
            return parse_int(self.construct_scalar(node))
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(None, None, str(exc), node.start_mark) from None


for _tag, _regexp, _first in (
    (BOOL_TAG, _BOOL, list("tTfF")),
    (NULL_TAG, _NULL, ["~", "n", "N", ""]),
    (INT_TAG, _INT, list("-+0123456789")),
    (FLOAT_TAG, _FLOAT, list("-+0123456789.")),
    (MERGE_TAG, _MERGE, ["<"]),
):
    CoreLoader.add_implicit_resolver(_tag, _regexp, _first)
CoreLoader.add_constructor(INT_TAG, CoreLoader.construct_core_int)


class CoreDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting every text that YAML 1.1 *or* the core schema would read
    as something else (``no``, ``1:10``, ``0o10``, ``1e9``), so that what it writes reads back
    the same with either loader."""


class CoreCDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """:class:`CoreDumper` with libyaml's emitter when PyYAML was built with it, and plain data
    (dicts, lists, text, numbers, booleans, null) turned into nodes by :func:`_node` rather than
    PyYAML's general representer: the same nodes, so the same text, several times faster on a
    large scenario. Anything else (other types, a container that appears twice, which PyYAML
    writes as an alias) goes through PyYAML's representer."""

    def represent(self, data: object) -> None:
        try:
            node = _node(data, set())
        except _NotPlain:
            super().represent(data)
            return
        self.serialize(node)

    def resolve(self, kind, value, implicit):
        """The resolver's answer, kept per distinct scalar (a large scenario repeats few texts)."""
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, tuple(implicit))
        got = self._resolved.get(key)
        if got is None:
            got = self._resolved[key] = super().resolve(kind, value, implicit)
        return got

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._resolved: dict = {}


class _NotPlain(Exception):
    pass


_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", INT_TAG, FLOAT_TAG
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def _float_text(value: float) -> str:
    """As ``SafeRepresenter.represent_float`` writes a float."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _node(data: object, seen: set[int]) -> yaml.Node:
    """The node ``SafeRepresenter`` makes of ``data`` (block style, keys in their order),
    for plain data only (else ``_NotPlain``)."""
    kind = type(data)
    if kind is str:
        return yaml.ScalarNode(_STR, data)
    if kind is dict or kind is list:
        if id(data) in seen:
            raise _NotPlain  # PyYAML writes an anchor and an alias
        seen.add(id(data))
        if kind is dict:
            items = [(_node(k, seen), _node(v, seen)) for k, v in data.items()]
            return yaml.MappingNode(_MAP, items, flow_style=False)
        return yaml.SequenceNode(_SEQ, [_node(v, seen) for v in data], flow_style=False)
    if kind is bool:
        return yaml.ScalarNode(BOOL_TAG, "true" if data else "false")
    if kind is int:
        return yaml.ScalarNode(_INT, str(data))
    if kind is float:
        return yaml.ScalarNode(_FLOAT, _float_text(data))
    if data is None:
        return yaml.ScalarNode(NULL_TAG, "null")
    raise _NotPlain


for _first, _resolvers in CoreLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        CoreDumper.add_implicit_resolver(_tag, _regexp, [_first])
        CoreCDumper.add_implicit_resolver(_tag, _regexp, [_first])


def dump(data: object, **options) -> str:
    """``data`` as YAML text (block style, keys in their order) that ``CoreLoader`` reads back
    as the same data; ``options`` as for ``yaml.dump`` (``allow_unicode``, ``width``).

    A mapping of plain data is written by :func:`_emit` (the text libyaml's emitter writes,
    without building nodes or events); anything it does not cover goes through
    :class:`CoreCDumper`, the reference it is tested against."""
    if type(data) is dict and data and set(options) <= {"allow_unicode", "width"}:
        width = options.get("width")
        if width is None or type(width) is int:
            try:
                return _emit(data, bool(options.get("allow_unicode")), width)
            except _NotPlain:
                pass
    return yaml.dump(data, Dumper=CoreCDumper, sort_keys=False, **options)


# --- Plain data written directly ----------------------------------------------------------
#
# What libyaml's emitter (src/emitter.c) writes for the events PyYAML's serializer makes of a
# node tree built by ``_node``, restricted to what a scenario holds: block mappings and
# sequences (``{}`` and ``[]`` when empty), and single-line scalars of printable characters,
# written plain or single-quoted, long ones folded at a space past the line width. Anything
# else (line breaks, characters that need double quotes, a key longer than a simple key, a
# tag) raises ``_NotPlain`` and the whole document goes through libyaml.

_BEST_INDENT = 2
#: characters written as they are (libyaml's IS_PRINTABLE but not IS_BREAK: no tab, no U+2028 or
#: U+2029; a character beyond U+FFFF is not "printable" for libyaml: double-quoted)
_PRINTABLE_UNICODE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
_PRINTABLE_ASCII = re.compile("[\x20-\x7e]*")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_resolve = yaml.resolver.BaseResolver.resolve   # PyYAML's resolver, on CoreCDumper's table


def _block_plain_allowed(text: str) -> bool:
    """libyaml's ``yaml_emitter_analyze_scalar`` (``block_plain_allowed``) for a non-empty
    single-line text of printable characters."""
    if text[0] == " " or text[-1] == " " or text.startswith(("---", "...")):
        return False
    first = text[0]
    followed = len(text) == 1 or text[1] == " "
    if first in _FIRST_INDICATORS or (first in "?:-" and followed):
        return False
    if ":" in text[1:]:
        n = len(text)
        for i in range(1, n):
            if text[i] == ":" and (i + 1 == n or text[i + 1] == " "):
                return False
    return " #" not in text


class _Scalars:
    """The scalar tokens of one document: each distinct (tag, text) analysed once."""

    def __init__(self, unicode: bool, width: int | None) -> None:
        self.printable = _PRINTABLE_UNICODE if unicode else _PRINTABLE_ASCII
        if width is None or 0 <= width <= 2 * _BEST_INDENT:
            width = 80
        self.width = width if width >= 0 else 2**31 - 1
        self.tokens: dict[tuple[str, str], tuple[str, bool, bool]] = {}

    def token(self, data: object) -> tuple[str, str, bool, bool]:
        """(text, token, quoted, simple): the scalar's text, as written with no folding,
        whether single-quoted, and whether it may be a simple key."""
        kind = type(data)
        if kind is str:
            tag, text = _STR, data
        elif kind is float:
            tag, text = _FLOAT, _float_text(data)
        elif kind is bool:
            tag, text = BOOL_TAG, "true" if data else "false"
        elif kind is int:
            tag, text = _INT, str(data)
        elif data is None:
            tag, text = NULL_TAG, "null"
        else:
            raise _NotPlain
        got = self.tokens.get((tag, text))
        if got is None:
            got = self.tokens[(tag, text)] = self._analyse(tag, text)
        return (text, *got)

    def _analyse(self, tag: str, text: str) -> tuple[str, bool, bool]:
        if not self.printable.fullmatch(text):
            raise _NotPlain   # line breaks, tabs, other special characters: double-quoted
        plain_implicit = _resolve(CoreCDumper, yaml.ScalarNode, text, (True, False)) == tag
        if not plain_implicit and tag != _STR:
            raise _NotPlain   # written with a tag
        quoted = not (plain_implicit and text and _block_plain_allowed(text))
        token = "'" + text.replace("'", "''") + "'" if quoted else text
        return token, quoted, len(text.encode("utf-8")) <= 128

    def value(self, data: object, column: int, indent: int) -> str:
        """The scalar written as a block value after a ``:`` or ``-`` ending at ``column``
        (a space, then the token, folded at a single space past the width onto lines
        indented by ``indent``)."""
        text, token, quoted, _simple = self.token(data)
        column += 1
        if column + len(token) <= self.width + 1 or " " not in text:
            return " " + token
        return " " + self._folded(text, quoted, column, indent)

    def _folded(self, text: str, quoted: bool, column: int, indent: int) -> str:
        """``yaml_emitter_write_plain_scalar`` / ``..._single_quoted_scalar`` with breaks
        allowed, for a single-line text of printable characters starting at ``column``."""
        out = []
        if quoted:
            out.append("'")
            column += 1
        last = len(text) - 1
        spaces = False
        for i, ch in enumerate(text):
            if ch == " ":
                if (not spaces and column > self.width and (i == last or text[i + 1] != " ")
                        and (not quoted or 0 < i < last)):
                    out.append("\n" + " " * indent)
                    column = indent
                else:
                    out.append(" ")
                    column += 1
                spaces = True
            else:
                if quoted and ch == "'":
                    out.append("'")
                    column += 1
                out.append(ch)
                column += 1
                spaces = False
        if quoted:
            out.append("'")
        return "".join(out)


def _emit(data: dict, unicode: bool, width: int | None) -> str:
    """``data`` (a non-empty mapping of plain data) as libyaml writes it (see above)."""
    scalars = _Scalars(unicode, width)
    out: list[str] = []
    seen: set[int] = set()
    _emit_mapping(data, 0, "", out, scalars, seen)
    out.append("\n")
    return "".join(out)


def _enter(data: object, seen: set[int]) -> None:
    if id(data) in seen:
        raise _NotPlain   # a container met twice: PyYAML writes an anchor and an alias
    seen.add(id(data))


def _emit_mapping(data: dict, indent: int, first: str, out: list[str], scalars: _Scalars, seen: set[int]) -> None:
    """A non-empty block mapping at ``indent``; ``first``: what comes before its first key."""
    _enter(data, seen)
    newline = "\n" + " " * indent
    lead = first
    for key, value in data.items():
        _text, token, _quoted, simple = scalars.token(key)
        if not simple:
            raise _NotPlain   # a long key: written as a complex key (``? ``)
        out.append(lead)
        out.append(token)
        out.append(":")
        lead = newline
        kind = type(value)
        if kind is dict:
            if value:
                _emit_mapping(value, indent + _BEST_INDENT, newline + " " * _BEST_INDENT, out, scalars, seen)
            else:
                _emit_empty(value, out, seen)
        elif kind is list:
            if value:
                _emit_sequence(value, indent, newline, out, scalars, seen)   # indentless
            else:
                _emit_empty(value, out, seen)
        else:
            out.append(scalars.value(value, indent + len(token) + 1, indent + _BEST_INDENT))


def _emit_empty(value: dict | list, out: list[str], seen: set[int]) -> None:
    """An empty mapping or sequence, in flow style after its key or dash."""
    _enter(value, seen)
    out.append(" {}" if type(value) is dict else " []")


def _emit_sequence(data: list, indent: int, first: str, out: list[str], scalars: _Scalars, seen: set[int]) -> None:
    """A non-empty block sequence whose ``-`` stand at ``indent``."""
    _enter(data, seen)
    newline = "\n" + " " * indent
    lead = first
    inner = indent + _BEST_INDENT
    for value in data:
        out.append(lead)
        out.append("-")
        lead = newline
        kind = type(value)
        if kind is dict:
            if value:
                _emit_mapping(value, inner, " ", out, scalars, seen)
            else:
                _emit_empty(value, out, seen)
        elif kind is list:
            if value:
                _emit_sequence(value, inner, " ", out, scalars, seen)
            else:
                _emit_empty(value, out, seen)
        else:
            out.append(scalars.value(value, indent + 1, inner))
