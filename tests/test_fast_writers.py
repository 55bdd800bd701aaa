"""The bulk writers write exactly what the row-by-row writers wrote (issue 15, item 9).

``write_csv_columns`` against ``csv.writer`` row by row (``files.csv_text``), on hand-picked
and generated cells: text that needs the formula guard or quoting, whole and fractional
floats, -0.0, nan, inf, large and tiny numbers, ints and booleans. ``yamlcore.dump`` (libyaml's
emitter, nodes built directly) against PyYAML's pure-Python dumper with the same quoting
rules, and read back identically by the scenario loader (YAML 1.2 core schema).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptce_flows.reports.files import Coded, csv_text, write_csv, write_csv_columns
from ptce_flows.scenario import load_scenario
from ptce_flows.scenario.loader import resolved_dict
from ptce_flows.scenario.yamlcore import CoreDumper, dump
from ptce_flows.scenario.yamlio import parse_yaml

TRICKY_TEXT = ["", "a", "=1+2", "+33 6", "-", "+", "-3.5", "@SUM(A1)", "\tx", "\rx", "a,b", 'say "hi"',
               "two\nlines", "x\ry", " lead", "'=quoted", "ville d'Été", "1e9", "no", "0o10", "1:10", "~"]
TRICKY_FLOAT = [0.0, -0.0, 1.0, -2.0, 0.5, 1 / 3, 1e15, -1e15, 999999999999999.0, 1e16, 1e17, 1e-7, 5e-05,
                123456.123456, math.inf, -math.inf, math.nan, 2.0 ** 53, 1e300]


def _read(path) -> str:
    return path.read_bytes().decode("utf-8")   # no newline translation: a cell may hold "\r"


def test_hand_picked_cells(tmp_path):
    n = max(len(TRICKY_TEXT), len(TRICKY_FLOAT))
    rows = [{"text": TRICKY_TEXT[i % len(TRICKY_TEXT)], "x": TRICKY_FLOAT[i % len(TRICKY_FLOAT)], "i": i - 3,
             "flag": bool(i % 2), "none": None} for i in range(n)]
    columns = ["text", "x", "i", "flag", "none", "missing"]
    write_csv(tmp_path / "a.csv", rows, columns)
    assert _read(tmp_path / "a.csv") == csv_text(rows, columns)
    assert "'=1+2" in _read(tmp_path / "a.csv") and '"a,b"' in _read(tmp_path / "a.csv")
    # the same table given as columns: numpy arrays, coded text, a constant
    codes = np.arange(n) % len(TRICKY_TEXT)
    cells = {"text": Coded(codes, TRICKY_TEXT), "x": np.array([r["x"] for r in rows]), "i": np.arange(n) - 3,
             "flag": [r["flag"] for r in rows], "none": "None", "missing": ""}
    write_csv_columns(tmp_path / "b.csv", columns, cells)
    assert _read(tmp_path / "b.csv") == csv_text(rows, columns).replace(",,\n", ",None,\n")


def test_adjacent_coded_columns_and_shared_lists(tmp_path):
    heads = [("site=1", "source", "a,b"), ("x", "farm", "")]
    codes = np.array([0, 1, 1, 0])
    values = [0.1, 2.0, -0.0, 1e-9]
    cells = {name: Coded(codes, [h[k] for h in heads]) for k, name in enumerate(("s", "k", "m"))}
    cells.update({"v": values, "lo": values, "hi": values, "d": np.array([0, 1, 2, 3])})
    columns = ["d", "s", "k", "m", "v", "lo", "hi"]
    rows = [{"d": d, "s": heads[c][0], "k": heads[c][1], "m": heads[c][2], "v": v, "lo": v, "hi": v}
            for d, (c, v) in enumerate(zip(codes.tolist(), values, strict=True))]
    write_csv_columns(tmp_path / "t.csv", columns, cells)
    assert _read(tmp_path / "t.csv") == csv_text(rows, columns)


def test_empty_table(tmp_path):
    write_csv(tmp_path / "e.csv", [], ["a", "b"])
    assert _read(tmp_path / "e.csv") == "a,b\n" == csv_text([], ["a", "b"])


cell = st.one_of(st.text(max_size=8), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**18, 10**18),
                 st.booleans(), st.sampled_from(TRICKY_TEXT), st.sampled_from(TRICKY_FLOAT))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(cell, cell, st.floats(allow_nan=True, allow_infinity=True)), max_size=12))
def test_generated_cells(tmp_path, table):
    rows = [{"a": a, "b": b, "f": f} for a, b, f in table]
    write_csv(tmp_path / "g.csv", rows, ["a", "b", "f"])
    assert _read(tmp_path / "g.csv") == csv_text(rows, ["a", "b", "f"])


# --- YAML ---------------------------------------------------------------------------------

def _python_dump(data) -> str:
    return yaml.dump(data, Dumper=CoreDumper, sort_keys=False, allow_unicode=True, width=100)


@pytest.mark.parametrize("name", ["minimal_loop", "organic_vallee", "cluster_jura"])
def test_resolved_yaml_same_text_and_reads_back(name):
    from conftest import SCENARIOS

    data = resolved_dict(load_scenario(SCENARIOS / f"{name}.yaml"))
    text = dump(data, allow_unicode=True, width=100)
    assert text == _python_dump(data)
    assert text == yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)  # as before
    assert parse_yaml(text, "resolved.yaml").data == data


def test_generated_territory_same_text_and_reads_back():
    from ptce_flows.bench.territory import territory
    from ptce_flows.scenario import load_dict

    data = resolved_dict(load_dict(territory(30, n_treatment=2, n_farms=5, n_trucks=4)))
    text = dump(data, allow_unicode=True, width=100)
    assert text == _python_dump(data)
    assert parse_yaml(text, "resolved.yaml").data == data


def test_text_that_yaml_would_misread_is_quoted():
    """Labels such as ``1e9``, ``0o10``, ``no`` or ``1:10`` stay text for the 1.2 loader (the
    YAML 1.1 dumper used before wrote ``1e9`` and ``0o10`` plain: the loader read numbers)."""
    data = {"labels": ["1e9", "0o10", "0x1F", "no", "yes", "on", "1:10", "010", "~", "null", "true", ".inf",
                       "2024-05-01", "1_000", "", " x", "é", "a: b", "- c", "#d"],
            "numbers": [1e17, -0.0, math.inf, -math.inf, 5e-05, 10, True, None]}
    text = dump(data, allow_unicode=True, width=100)
    back = parse_yaml(text, "x.yaml").data
    assert back["labels"] == data["labels"]
    assert back["numbers"][:2] == [1e17, -0.0] and math.copysign(1, back["numbers"][1]) == -1
    assert back["numbers"][2:] == data["numbers"][2:]
    assert text == _python_dump(data)


def test_shared_objects_fall_back_to_the_representer():
    shared = {"a": 1}
    data = {"x": shared, "y": shared, "t": (1, 2)}
    assert dump(data) == yaml.dump(data, Dumper=CoreDumper, sort_keys=False)


yaml_leaf = st.one_of(st.text(max_size=12), st.floats(allow_nan=False), st.integers(-10**12, 10**12),
                      st.booleans(), st.none(), st.sampled_from(TRICKY_TEXT))
yaml_data = st.recursive(yaml_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=4)), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), yaml_data, max_size=5))
def test_generated_data_reads_back(data):
    text = dump(data, allow_unicode=True, width=100)
    assert parse_yaml(text, "x.yaml").data == data
