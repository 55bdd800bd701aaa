"""One pass over a plain YAML document: its data and the line of every key path together.

A plain document is a mapping of mappings, lists and scalars of the core schema (text,
numbers, booleans, null), with scalar keys, no key given twice and no ``<<:`` merge: every
scenario written by hand or by a generator. For it, :func:`plain_document` gives exactly what
:mod:`ptce_flows.scenario.yamlio`'s general path gives (the expansion guard and the walk that
records the key lines and checks the limits, then PyYAML's constructor), in one walk instead
of three:

- the same objects: a node reached through several aliases is made once and shared, as
  PyYAML does; numbers and booleans are made by the loader's own constructors;
- the same line map, built in the same order (the assumptions sheet keeps the first of equal
  key paths on a line);
- the same limits: the nesting depth, and the expansion counted as the guard counts it (every
  node with each alias written out, less the distinct nodes), checked as the walk goes, so that
  an alias bomb or loop is given up after a bounded amount of work.

Anything else (an explicit tag, a merge, a duplicate or NaN key, a number of too many digits, a
limit exceeded) returns None: the general path then reads the document and reports what is
wrong with its usual message.
"""

from __future__ import annotations

import yaml

from ptce_flows.scenario.yamlcore import BOOL_TAG, FLOAT_TAG, INT_TAG, NULL_TAG, CoreLoader

STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"

_MAPPING, _SEQUENCE, _SCALAR = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode


class NotPlain(Exception):
    """The document needs the general path."""


class _Builder:
    """The objects of a document's nodes, each made once, and the entries of its containers."""

    def __init__(self, root: yaml.Node, loader: CoreLoader) -> None:
        self.constructors = {INT_TAG: loader.construct_core_int, FLOAT_TAG: loader.construct_yaml_float,
                             BOOL_TAG: loader.construct_yaml_bool}
        #: tag -> {text: value}: each distinct number made once (a large scenario repeats a few)
        self.known_values: dict[str, dict[str, object]] = {tag: {} for tag in self.constructors}
        #: node -> its object (scalars too, shared when aliased, and counted as distinct nodes)
        self.made: dict[yaml.Node, object] = {root: {}}
        #: container node -> (nodes it counts per occurrence, [((key or index,), line, container child)])
        self.entries: dict[yaml.Node, tuple[int, list]] = {}

    def scalar(self, node: yaml.Node) -> object:
        """The value of a scalar node met for the first time."""
        if type(node) is not _SCALAR:
            raise NotPlain  # a mapping or list as a key: refused by the constructor
        tag = node.tag
        if tag == STR_TAG:
            value = node.value
        elif tag == NULL_TAG:
            value = None
        elif tag in self.constructors:
            known = self.known_values[tag]
            text = node.value
            if text in known:
                value = known[text]
            else:
                try:
                    value = known[text] = self.constructors[tag](node)
                except (yaml.YAMLError, ValueError, KeyError):
                    raise NotPlain from None  # too many digits: the walk reports it
        else:
            raise NotPlain  # an explicit tag (!!binary, !!timestamp, !custom...) or a merge key
        self.made[node] = value
        return value

    def item(self, node: yaml.Node) -> tuple[object, yaml.Node | None]:
        """The object of a value or list item met for the first time, and the node if it is a
        container (filled when the walk reaches it)."""
        kind = type(node)
        if kind is _SCALAR:
            if node.tag == STR_TAG:
                self.made[node] = value = node.value
                return value, None
            return self.scalar(node), None
        if kind is _MAPPING and node.tag == MAP_TAG:
            self.made[node] = obj = {}
        elif kind is _SEQUENCE and node.tag == SEQ_TAG:
            self.made[node] = obj = []
        else:
            raise NotPlain  # !!omap, !!set, !!pairs, a custom tag
        return obj, node

    def fill_mapping(self, node: yaml.MappingNode) -> tuple[int, list]:
        """Fill the dict of ``node``; its size per occurrence (itself, its keys, its scalar
        values) and its entries."""
        made, obj, out = self.made, self.made[node], []
        size = 1
        for key_node, value_node in node.value:
            if key_node in made:
                if type(key_node) is not _SCALAR:
                    raise NotPlain
                key = made[key_node]
            elif type(key_node) is _SCALAR and key_node.tag == STR_TAG:
                made[key_node] = key = key_node.value
            else:
                key = self.scalar(key_node)
            if key in obj or key != key:
                raise NotPlain  # a duplicate (the walk reports it), or a NaN key (never one)
            if value_node in made:
                obj[key] = made[value_node]
                child = None if type(value_node) is _SCALAR else value_node
            else:
                obj[key], child = self.item(value_node)
            size += 2 if child is None else 1
            out.append(((key,), key_node.start_mark.line + 1, child))
        self.entries[node] = known = (size, out)
        return known

    def fill_sequence(self, node: yaml.SequenceNode) -> tuple[int, list]:
        """Fill the list of ``node``; its size per occurrence (itself, its scalar items) and its
        entries."""
        made, obj, out = self.made, self.made[node], []
        size = 1
        for index, sub in enumerate(node.value):
            if sub in made:
                value = made[sub]
                child = None if type(sub) is _SCALAR else sub
            else:
                value, child = self.item(sub)
            obj.append(value)
            if child is None:
                size += 1
            out.append(((index,), sub.start_mark.line + 1, child))
        self.entries[node] = known = (size, out)
        return known


def plain_document(root: yaml.Node, loader: CoreLoader, max_depth: int, max_nodes: int,
                   max_alias_nodes: int) -> tuple[dict, dict[tuple, int]] | None:
    """The data and the key lines (key path -> 1-based line) of ``root``, or None if it is not
    a plain document within the limits (``yamlio.MAX_DEPTH``, ``MAX_NODES``, ``MAX_ALIAS_NODES``)."""
    if type(root) is not _MAPPING or root.tag != MAP_TAG:
        return None
    builder = _Builder(root, loader)
    entries, made = builder.entries, builder.made
    lines: dict[tuple, int] = {(): root.start_mark.line + 1}
    count = 0
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())]
    push = stack.append
    try:
        while stack:
            node, path = stack.pop()
            known = entries.get(node)
            if known is None:
                known = builder.fill_mapping(node) if type(node) is _MAPPING else builder.fill_sequence(node)
            size, out = known
            count += size
            if out and len(path) >= max_depth or count > max_nodes or count - len(made) > max_alias_nodes:
                raise NotPlain
            for key, line, child in out:
                sub = path + key
                lines[sub] = line
                if child is not None:
                    push((child, sub))
    except NotPlain:
        return None
    return made[root], lines
