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


# --- YAML written directly (yamlcore._emit) against libyaml's emitter --------------------------

def _libyaml_dump(data, **options) -> str:
    """What ``yamlcore.dump`` wrote before it wrote plain data itself: libyaml's emitter."""
    from ptce_flows.scenario.yamlcore import CoreCDumper

    return yaml.dump(data, Dumper=CoreCDumper, sort_keys=False, **options)


def _scenario_files():
    from conftest import ROOT, SCENARIOS

    return sorted(SCENARIOS.glob("*.yaml")) + sorted((ROOT / "tests" / "data").glob("*.yaml"))


@pytest.mark.parametrize("path", _scenario_files(), ids=lambda p: p.name)
def test_direct_yaml_is_libyaml_text_on_every_scenario(path):
    from ptce_flows.scenario.yamlcore import _emit

    data = resolved_dict(load_scenario(path))
    for options in ({"allow_unicode": True, "width": 100}, {}):
        assert dump(data, **options) == _libyaml_dump(data, **options)
    # the resolved scenarios are written directly (no fallback), in the options write_yaml uses
    assert _emit(data, True, 100) == _libyaml_dump(data, allow_unicode=True, width=100)


def test_direct_yaml_on_a_generated_territory():
    from ptce_flows.bench.territory import territory
    from ptce_flows.scenario import load_dict
    from ptce_flows.scenario.yamlcore import _emit

    data = resolved_dict(load_dict(territory(300, seed=0)))
    data["description"] = "a long description, " * 12 + "folded past the width: 'quoted' # here"
    assert _emit(data, True, 100) == _libyaml_dump(data, allow_unicode=True, width=100)


words = ["a", "bc", "déf", "x:", ":y", "#", " #z", "'q'", "it's", "-", "? ", "1e9", "no", "~", "é" * 7, "a" * 30,
         "", " ", "---", "[x]", "{y}", "&a", "*b", "!c", "|", ">", "%", "@", "`", '"', ",", "0o7", "null", "true"]
#: texts that libyaml writes plain or single-quoted (printable, on one line): written directly
plain_text = st.one_of(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x17F, exclude_categories=("Cc",)),
                                       max_size=12),
                       st.lists(st.sampled_from(words), max_size=40).map(" ".join))
#: any text: line breaks, tabs, control characters, surrogates... (libyaml, through the fallback)
any_text = st.one_of(plain_text, st.sampled_from(TRICKY_TEXT), st.text(max_size=12))


def _tree(text):
    leaf = st.one_of(text, st.floats(), st.integers(-10**20, 10**20), st.booleans(), st.none())
    keys = leaf.filter(lambda k: k == k and len(str(k).encode()) <= 128)   # no NaN key, simple keys
    return st.dictionaries(keys, st.recursive(
        leaf, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=25), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(_tree(plain_text), st.sampled_from([100, 80, 30, 10, 3, 0, -1, None]))
def test_direct_yaml_is_libyaml_text_on_generated_data(data, width):
    """Nested mappings and sequences, empty ones, long texts folded at every width (plain and
    quoted), keys of every kind: written directly, the same text as libyaml."""
    from ptce_flows.scenario.yamlcore import _emit

    assert _emit(data, True, width) == _libyaml_dump(data, allow_unicode=True, width=width)


@settings(max_examples=200, deadline=None)
@given(_tree(any_text), st.sampled_from([100, 20, None]), st.booleans())
def test_dump_is_libyaml_text_on_any_generated_data(data, width, unicode):
    """Directly or through the fallback (breaks, double quotes, ASCII only...), the same text."""
    options = {"allow_unicode": unicode, "width": width}
    assert dump(data, **options) == _libyaml_dump(data, **options)


# --- series rounding ------------------------------------------------------------------------

def _bits(values) -> list[bytes]:
    import struct

    return [struct.pack("<d", v) for v in values]


def test_series_round_is_python_round_bit_for_bit():
    from ptce_flows.metrics.series import DIGITS, _round

    rng = np.random.default_rng(0)
    halves = (rng.integers(0, 10**9, 20000) + 0.5) / 10**DIGITS   # on or next to a half
    values = np.concatenate([
        rng.uniform(-1, 1, 20000) * 10.0 ** rng.integers(-12, 20, 20000), halves,
        np.nextafter(halves, np.inf), np.nextafter(halves, -np.inf), rng.integers(-999, 999, 2000) / 128.0,
        np.array(TRICKY_FLOAT + [1e-300, -1e-300, -5e-7, 5e-7, 2.0**50, 2.0**53 + 2, -1e308, 123456.1234565])])
    got = _round(values)
    assert all(type(v) is float for v in got)
    assert _bits(got) == _bits([round(v, DIGITS) for v in values.tolist()])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(), max_size=50))
def test_series_round_on_generated_floats(values):
    from ptce_flows.metrics.series import DIGITS, _round

    assert _bits(_round(np.array(values, dtype=float))) == _bits([round(v, DIGITS) for v in values])


# --- workbook cells ---------------------------------------------------------------------------

def test_workbook_cells_as_written_one_by_one(tmp_path):
    """``xlsx._write_sheet`` (cells dispatched by type, texts cleaned once) writes the cells
    that ``xlsx._write_cell`` writes one by one."""
    openpyxl = pytest.importorskip("openpyxl")
    from ptce_flows.reports import xlsx

    class Label(str):
        pass

    rows = [[np.float64(1.5), np.int64(-3), True, None, math.nan, math.inf, "=1+1", Label("x"), "bell\x07", 2**40],
            [0.1, 7, False, "", -0.0, "a" * (xlsx.MAX_TEXT + 5), np.bool_(True), "é", 1e300, "extra"],
            [float("-inf"), None, "  lead", 3, 1 / 3, "=1+1", "", None, -2, None]]
    cols = [xlsx.Column(f"c{i}", fmt) for i, fmt in enumerate(["0.0", "int", None, "0.00", "pct", None, "general",
                                                               None, "0.000", "int"])]
    sheet = xlsx.Sheet("S", cols, rows, notes=["title"])
    fast = xlsx.write_workbook(tmp_path / "fast.xlsx", [sheet])

    def one_by_one(ws, sheet, head, number_format, texts):
        for i, col in enumerate(sheet.columns):
            ws.set_column(i, i, col.width or min(60, max(10, len(col.header) + 2)))
        ws.write_string(0, 0, xlsx._text(sheet.notes[0]))
        ws.freeze_panes(2, 0)
        for c, col in enumerate(sheet.columns):
            ws.write_string(1, c, xlsx._text(col.header), head)
        fmts = [number_format(xlsx.FORMATS.get(col.fmt, col.fmt) if col.fmt else None) for col in sheet.columns]
        for r, row in enumerate(sheet.rows, start=2):
            for c, value in enumerate(row[: len(fmts)]):
                xlsx._write_cell(ws, r, c, value, fmts[c])

    original = xlsx._write_sheet
    try:
        xlsx._write_sheet = one_by_one
        slow = xlsx.write_workbook(tmp_path / "slow.xlsx", [sheet])
    finally:
        xlsx._write_sheet = original

    def cells(path):
        ws = openpyxl.load_workbook(path).active
        return [(c.coordinate, c.value, c.data_type, c.number_format) for row in ws.iter_rows() for c in row]

    assert cells(fast) == cells(slow)
    assert any(value == 1.5 for _c, value, _t, _f in cells(fast))
