"""Command-line options the parser reads itself: whole numbers within bounds, ``--param``
values and sweep grids. Every message names the flag; nothing here runs anything.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any

from ptce_flows.errors import UsageError

#: upper bounds of whole-number options (a typo such as 1000000000 would run for years)
MAX_REPLICATIONS = 10_000
MAX_JOBS = 1_024
MAX_SEED = 2**64 - 1


def whole(name: str, minimum: int, maximum: int | None = None):
    """An argparse type: a whole number from ``minimum`` to ``maximum``, or a clear message."""
    def parse(text: str) -> int:
        shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"
        try:
            if len(text.strip()) > 25:
                raise ValueError
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, found '{shown}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be at least {minimum}, found {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{name} must be at most {maximum:,}, found {value:,}")
        return value
    return parse


def positive(name: str, maximum: int | None = None):
    return whole(name, 1, maximum)


seed_option = whole("--seed", 0, MAX_SEED)
replications_option = positive("--replications", MAX_REPLICATIONS)
jobs_option = positive("--jobs", MAX_JOBS)


# --------------------------------------------------------------------------- --param grids

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*:\s*({_NUMBER})\s*$")

#: the longest --param text read (the value itself is then read with the scenario file's rules
#: and limits: nesting, digits, aliases; see scenario.loader.parse_override)
MAX_PARAM_CHARS = 10_000


def parse_param(text: str) -> tuple[str, Any]:
    """One ``--param PATH=VALUE`` (the value read as YAML, with the limits of a scenario file).

    Raises:
        UsageError: the text is too long.
        ScenarioError: the value breaks a limit of the scenario format (nesting, digits, aliases).
    """
    from ptce_flows.scenario.loader import parse_override

    path = text.split("=", 1)[0].strip()[:60]
    if len(text) > MAX_PARAM_CHARS:
        raise UsageError(f"--param {path}: {len(text):,} characters, more than {MAX_PARAM_CHARS:,}")
    return parse_override(text)


def parse_sweep_param(text: str) -> tuple[str, list[Any]]:
    """``PATH=START:STOP:STEP`` (STOP included) or ``PATH=a,b,c`` (each read as YAML).

    Raises:
        UsageError: the text is not of either form, or the range is empty or too long.
    """
    from ptce_flows.experiment.plans import MAX_POINTS

    if "=" not in text:
        raise UsageError(f"--param: expected PATH=START:STOP:STEP or PATH=a,b,c, found '{text}'")
    path, spec = text.split("=", 1)
    path = path.strip()
    if len(text) > MAX_PARAM_CHARS:
        raise UsageError(f"--param {path[:60]}: {len(text):,} characters, more than {MAX_PARAM_CHARS:,}")
    if not path:
        raise UsageError(f"--param: missing key path before '=' in '{text}'")
    match = _RANGE.match(spec)
    if match:
        values = _range(path, *match.groups())
    else:
        values = [parse_param(f"{path}={item}")[1] for item in _split_top(spec)]
        if not values:
            raise UsageError(f"--param {path}: no value given")
    if len(values) > MAX_POINTS:
        raise UsageError(f"--param {path}: {len(values)} values, more than {MAX_POINTS}")
    return path, values


def _range(path: str, start_s: str, stop_s: str, step_s: str) -> list:
    from ptce_flows.experiment.plans import MAX_POINTS

    as_int = all(re.fullmatch(r"[-+]?\d+", s) for s in (start_s, stop_s, step_s))
    start, stop, step = (int(s) if as_int else float(s) for s in (start_s, stop_s, step_s))
    if step == 0:
        raise UsageError(f"--param {path}: the step of {start_s}:{stop_s}:{step_s} is 0")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count < 1:
        raise UsageError(f"--param {path}: {start_s}:{stop_s}:{step_s} is empty "
                         "(START:STOP:STEP goes from START towards STOP by STEP)")
    if count > MAX_POINTS:
        raise UsageError(f"--param {path}: {start_s}:{stop_s}:{step_s} has {count} values, "
                         f"more than {MAX_POINTS}")
    if as_int:
        return [start + i * step for i in range(count)]
    return [float(round(start + i * step, 10)) for i in range(count)]


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets and braces: ``{cv: 0.1},{cv: 0.3}`` -> two items."""
    items, depth, current = [], 0, []
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def strict_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true",
                   help="treat warnings (implausible values, products nobody takes) as errors: exit 2, nothing run")


def detail_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--detail", action="store_true",
                   help="write every source's daily stock in timeseries.csv (default: summed over the "
                        "sources, each source's last day kept; see docs/outputs.md)")
