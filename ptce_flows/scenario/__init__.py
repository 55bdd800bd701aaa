"""Scenario layer: read YAML safely, apply variants and overrides, validate into frozen Specs."""

from ptce_flows.scenario.loader import (
    LoadedScenario,
    load_dict,
    load_scenario,
    load_with_variants,
    parse_override,
    resolved_dict,
)
from ptce_flows.scenario.schema import ScenarioSpec

__all__ = [
    "LoadedScenario",
    "ScenarioSpec",
    "load_scenario",
    "load_dict",
    "load_with_variants",
    "parse_override",
    "resolved_dict",
]
