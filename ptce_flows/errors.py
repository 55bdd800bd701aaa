"""One exception hierarchy for the whole package.

``PtceFlowsError`` is the root. Input problems (a bad scenario file, a road graph that does
not connect what must be connected, a bad command-line value) derive from ``InputError`` and
make the CLI exit with code 2. ``SimulationError`` means the model itself broke an invariant
(for example mass balance): that is a bug, reported cleanly with exit code 1.

A ``ScenarioError`` carries every ``Problem`` found in a file, so that a user sees them all
at once, each formatted as ``FILE:LINE: key.path: what is wrong (what is allowed)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Attributes:
        file: path of the file as the user gave it.
        line: 1-based line of the offending key or value, or None when unknown.
        path: dotted key path (``sites.platform.capacity_t_per_day``); empty for the whole file.
        message: what is wrong, including what was found.
        allowed: what would be accepted, or empty.
    """

    file: str
    line: int | None
    path: str
    message: str
    allowed: str = ""

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        if self.allowed:
            text += f" ({self.allowed})"
        return text


class PtceFlowsError(Exception):
    """Root of every error raised on purpose by ptce_flows."""

    exit_code = 1


class InputError(PtceFlowsError):
    """The user's input (a file, an option) is wrong; exit code 2."""

    exit_code = 2


class ScenarioError(InputError):
    """A scenario file cannot be read or does not validate.

    Args:
        problems: every problem found, in file order.
    """

    def __init__(self, problems: list[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = sorted(
            problems, key=lambda p: (p.file, p.line if p.line is not None else 10**9, p.path)
        )
        super().__init__("\n".join(p.format() for p in self.problems))


class NetworkError(ScenarioError):
    """The road network cannot carry a flow the scenario needs (unreachable site)."""


class UsageError(InputError):
    """A command-line value is wrong (a bad --param, an unknown variant name)."""


class SimulationError(PtceFlowsError):
    """The model broke one of its invariants (mass balance, negative stock): a bug."""

    exit_code = 1
