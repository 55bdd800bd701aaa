"""docs/scenario-format.md documents every key of the schema, and its defaults table agrees
with ptce_flows/scenario/defaults.py."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from ptce_flows.scenario import schema
from ptce_flows.scenario.defaults import DEFAULTS

DOC = (Path(__file__).resolve().parent.parent / "docs" / "scenario-format.md").read_text()


def _models():
    return [obj for obj in vars(schema).values()
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj not in (BaseModel, schema.Spec)]


def test_every_key_is_documented():
    missing = []
    for model in _models():
        for name in model.model_fields:
            if f"`{name}`" not in DOC and f"{name}`" not in DOC and f".{name}" not in DOC:
                missing.append(f"{model.__name__}.{name}")
    assert not missing, f"document these keys in docs/scenario-format.md: {missing}"


def test_every_kind_is_documented():
    for kind in ("source", "treatment", "farm", "outlet", "disposal", "outage", "fleet_unavailable", "breakdowns"):
        assert f"`{kind}`" in DOC or f"kind: {kind}" in DOC, kind


def test_defaults_table_matches_code():
    table = DOC[DOC.index("## Defaults and their basis"):]
    for key, default in DEFAULTS.items():
        row = re.search(r"^\| `" + re.escape(key) + r"` \| ([^|]+) \|", table, re.M)
        assert row, f"{key} missing from the defaults table"
        shown = row.group(1).strip()
        value = default.value
        if isinstance(value, bool):
            assert shown == str(value).lower(), key
        elif isinstance(value, int | float):
            assert float(shown) == float(value), f"{key}: doc says {shown}, code says {value}"
        elif value is None:
            assert shown in ("none", "same as loaded"), key
        else:
            assert shown == str(value), f"{key}: doc says {shown}, code says {value}"


def test_schema_defaults_come_from_defaults_module():
    # every literal default in a Spec that is documented as a default must equal DEFAULTS
    fleet = schema.FleetSpec.model_fields
    assert fleet["loading_h"].default == DEFAULTS["fleets.*.loading_h"].value
    assert fleet["shift_h"].default == DEFAULTS["fleets.*.shift_h"].value
    assert schema.NetworkSpec.model_fields["circuity"].default == DEFAULTS["network.circuity"].value
    assert typing.get_args(schema.NetworkSpec.model_fields["fallback"].annotation)
