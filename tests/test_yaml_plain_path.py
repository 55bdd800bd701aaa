"""The one-pass reading of plain YAML documents (``yamlplain.plain_document``) gives exactly what
the general path (``_walk`` for the checks and the key lines, then PyYAML's constructor) gives:
the same data (values, types, key order, objects shared through aliases), the same key lines in
the same order, the same problems. The general path is forced by disabling the plain one.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from ptce_flows.errors import ScenarioError
from ptce_flows.scenario import yamlio
from ptce_flows.scenario.yamlcore import CoreLoader


def _general(text: str, file: str = "f.yaml"):
    """``parse_yaml`` through the general path only."""
    plain = yamlio.plain_document
    yamlio.plain_document = lambda *args: None
    try:
        return _outcome(text, file)
    finally:
        yamlio.plain_document = plain


def _outcome(text: str, file: str = "f.yaml"):
    try:
        return yamlio.parse_yaml(text, file), None
    except ScenarioError as exc:
        return None, exc.problems


def _took_plain_path(text: str) -> bool:
    loader = CoreLoader(text)
    try:
        node = loader.get_single_node()
        return node is not None and yamlio.plain_document(
            node, loader, yamlio.MAX_DEPTH, yamlio.MAX_NODES, yamlio.MAX_ALIAS_NODES) is not None
    finally:
        loader.dispose()


def _same_data(a, b, seen_a: dict, seen_b: dict) -> bool:
    """Equal values of equal types, keys in the same order, containers shared alike."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        if id(a) in seen_a or id(b) in seen_b:
            return seen_a.get(id(a)) == seen_b.get(id(b))
        seen_a[id(a)] = seen_b[id(b)] = len(seen_a)
        if isinstance(a, dict):
            return (list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
                    and all(_same_data(a[k], b[k], seen_a, seen_b) for k in a))
        return len(a) == len(b) and all(_same_data(x, y, seen_a, seen_b) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b and repr(a) == repr(b)


def _assert_same(text: str) -> None:
    (doc_general, problems_general), (doc, problems) = _general(text), _outcome(text)
    assert problems == problems_general
    if doc_general is None:
        assert doc is None
        return
    assert repr(list(doc.lines.items())) == repr(list(doc_general.lines.items()))
    assert _same_data(doc.data, doc_general.data, {}, {})


SHIPPED = sorted([*ROOT.glob("scenarios/**/*.yaml"), *ROOT.glob("tests/data/**/*.yaml")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_shipped_files_read_alike(path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 (refused before parsing)")
    _assert_same(text)


def test_the_large_territory_takes_the_plain_path_and_reads_alike():
    from ptce_flows.bench.territory import territory_yaml

    text = territory_yaml(60, seed=3)
    assert "*id001" in text  # shared blocks written as aliases
    assert _took_plain_path(text)
    _assert_same(text)


CASES = {
    "aliases of a block, a list and a scalar": "a: &v {x: 1, y: [1, 2]}\nb: *v\nc: &s 5\nd: [*s, *s, *v]\n",
    "alias as a key": "a: &k name\nb: {*k : 1}\n",
    "core schema scalars": "a: [010, 0o17, 0x1F, 1_000, 1.5e3, .inf, -.inf, .nan, true, False, ~, '', no, 1:10]\n",
    "numeric and boolean keys": "m: {1: a, 1.5: b, true: c, null: d, 0x10: e}\n",
    "empty containers": "a: {}\nb: []\nc:\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "duplicate key through equal numbers": "m: {1: a, 1.0: b}\n",
    "merge": "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n",
    "merge of a list of mappings": "a: &a {x: 1}\nb: &b {y: 2}\nm: {<<: [*a, *b], z: 3}\n",
    "merge clashing with a mapping": "a: &a {x: {p: 1}}\nm: {<<: *a, x: {q: 2}}\n",
    "explicit tags": "a: !!str 5\nb: !!float 1\nc: !!binary aGVsbG8=\n",
    "unknown tag": "a: !custom x\n",
    "ordered map tag": "a: !!omap [{x: 1}]\n",
    "set tag": "a: !!set {x, y}\n",
    "mapping as a key": "? {a: 1}\n: 2\n",
    "list as a key": "? [a]\n: 2\n",
    "NaN keys": "m: {.nan: 1, .NaN: 2}\n",
    "too many digits": "a: " + "1" * 31 + "\n",
    "too many digits in a key": "m: {" + "1" * 31 + ": a}\n",
    "alias loop": "a: &x [1, *x]\n",
    "alias loop in a mapping": "a: &x {b: {c: *x}}\n",
    "top-level list": "- 1\n- 2\n",
    "top-level scalar": "5\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=list(CASES))
def test_edge_cases_read_alike(text):
    _assert_same(text)


@pytest.mark.parametrize("depth", [63, 64, 65])
def test_nesting_limit_alike(depth):
    _assert_same("a: " + "[" * depth + "1" + "]" * depth + "\n")
    _assert_same("a: " + "[" * depth + "]" * depth + "\n")
    _assert_same("a: " + "{k: " * depth + "1" + "}" * depth + "\n")


@pytest.mark.parametrize("aliases", [yamlio.MAX_ALIAS_NODES, yamlio.MAX_ALIAS_NODES + 1])
def test_alias_budget_alike(aliases):
    _assert_same("a: &x 1\nb: [" + ", ".join(["*x"] * aliases) + "]\n")


@pytest.mark.parametrize("width,levels", [(10, 4), (10, 5), (2, 20), (2, 22)])
def test_alias_bombs_alike(width, levels):
    lines = ["l0: &l0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    _assert_same("\n".join(lines) + "\n")


def _random_data(rnd: random.Random, depth: int, pool: list):
    if pool and rnd.random() < 0.2:
        return rnd.choice(pool)  # written once with an anchor, then as aliases
    if depth > 4 or rnd.random() < 0.4:
        return rnd.choice([1, 0, -5, 1.5, 1e20, float("inf"), "abc", "no", "1:10", True, None, "", 10**25])
    if rnd.random() < 0.5:
        value = [_random_data(rnd, depth + 1, pool) for _ in range(rnd.randint(0, 4))]
    else:
        value = {rnd.choice(["a", "b", "c", "d", 1, 2.5, True, None]): _random_data(rnd, depth + 1, pool)
                 for _ in range(rnd.randint(0, 4))}
    if rnd.random() < 0.3:
        pool.append(value)
    return value


def test_random_documents_with_aliases_read_alike():
    rnd = random.Random(20261202)
    for _ in range(300):
        data = {f"k{i}": _random_data(rnd, 0, []) for i in range(rnd.randint(1, 5))}
        text = yaml.dump(data, sort_keys=False, default_flow_style=rnd.random() < 0.2)
        assert _took_plain_path(text)
        _assert_same(text)
