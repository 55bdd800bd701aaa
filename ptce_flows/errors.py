"""One exception hierarchy for the whole package.

``PtceFlowsError`` is the root. Input problems (a bad scenario file, a road graph that does
not connect what must be connected, a bad command-line value) derive from ``InputError`` and
make the CLI exit with code 2. ``SimulationError`` means the model itself broke an invariant
(for example mass balance): that is a bug, reported cleanly with exit code 1.

A ``ScenarioError`` carries every ``Problem`` found in a file, so that a user sees them all
at once, each formatted as ``FILE:LINE: key.path: what is wrong (what is allowed)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0 controls but newline, DEL, C1 controls, and the Unicode marks that reorder or hide text
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_CONTROL_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, keep_newlines: bool = True) -> str:
    """``text`` safe for a terminal: control characters shown escaped (``\\x1b``), never sent raw.

    Text read from a file (a scenario name, a bad value echoed in a message) can hold escape
    sequences that retitle, clear or rewrite the user's terminal. Everything the CLI prints
    goes through here. Newlines are kept unless ``keep_newlines`` is false.
    """
    pattern = _CONTROL if keep_newlines else _CONTROL_ALL
    return pattern.sub(_escape, str(text))


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
        """The one-line message, with any control character escaped (see :func:`printable`)."""
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        if self.allowed:
            text += f" ({self.allowed})"
        return printable(text, keep_newlines=False)


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


class OutputError(InputError):
    """The results cannot be written where asked (full disk, read-only or forbidden folder, a
    link in the way): the user's environment, not a bug; exit code 2, nothing half-written."""


class SimulationError(PtceFlowsError):
    """The model broke one of its invariants (mass balance, negative stock): a bug."""

    exit_code = 1
