"""Load a scenario file into a validated, frozen ``ScenarioSpec``.

Steps: read the file (bounded, UTF-8), parse YAML safely with line numbers, apply the chosen
variant and any command-line overrides, validate with pydantic, then check references. Every
problem found at a step is reported together; the next step runs only on clean input.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ptce_flows.errors import Problem, ScenarioError
from ptce_flows.gcpause import cyclic_gc_paused
from ptce_flows.scenario.budget import check_budget
from ptce_flows.scenario.checks import check_references
from ptce_flows.scenario.diagnostics import problems_from_validation
from ptce_flows.scenario.include import expand_includes, relocate
from ptce_flows.scenario.inputs import data_files
from ptce_flows.scenario.layout import built_layout, candidate_ids, design
from ptce_flows.scenario.plausibility import plausibility_warnings
from ptce_flows.scenario.schema import Id, ScenarioSpec, VariantSpec
from ptce_flows.scenario.variants import (
    MAX_VARIANTS,
    Changes,
    apply_changes,
    chain_problem,
    resolve_chains,
)
from ptce_flows.scenario.yamlcore import dump
from ptce_flows.scenario.yamlio import (
    YamlDocument,
    dotted,
    line_of,
    parse_value,
    parse_yaml,
    read_text,
)


class _VariantsOnly(BaseModel):
    """Just the ``variants`` section, validated before a variant is applied."""

    model_config = ConfigDict(extra="ignore")
    variants: dict[Id, VariantSpec] = Field(default_factory=dict)


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with what is needed to locate later problems in its file."""

    file: str
    spec: ScenarioSpec
    sha256: str
    variant: str | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    lines: dict = field(default_factory=dict, repr=False, compare=False)
    warnings: tuple[Problem, ...] = ()
    text: str = field(default="", repr=False, compare=False)
    #: where the keys of sites read from tables came from (``scenario.include``)
    origins: dict = field(default_factory=dict, repr=False, compare=False)
    #: data files the scenario reads: (role such as ``network.graphml``, path as written,
    #: resolved path, sha256), tables of sites included
    inputs: tuple[tuple[str, str, str, str], ...] = ()
    #: candidate treatment sites (``candidate: true``), left out of ``spec`` (the base layout)
    candidates: tuple[str, ...] = ()
    #: the scenario with every candidate built (``scenario.layout.design``), None without candidates
    design: ScenarioSpec | None = field(default=None, repr=False, compare=False)

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    @property
    def label(self) -> str:
        """``name`` or ``name [variant]``."""
        return self.spec.name if self.variant is None else f"{self.spec.name} [{self.variant}]"

    def line_of(self, path: tuple) -> int | None:
        return line_of(self.lines, path) if path else None

    def problem(self, path: tuple, message: str, allowed: str = "") -> Problem:
        """A ``Problem`` located at ``path`` in this scenario's file (or at the row and column
        of the table the key came from)."""
        return relocate(Problem(self.file, self.line_of(path), dotted(path), message, allowed),
                        self.origins, self.lines, self.file)

    def input_path(self, role: str) -> str | None:
        """The resolved path of the data file of ``role`` (``network.distances``), or None."""
        return next((resolved for r, _name, resolved, _h in self.inputs if r == role), None)


def parse_override(text: str) -> tuple[str, Any]:
    """``"sites.platform.capacity_t_per_day=40"`` -> (path, 40); the value is read as YAML,
    with the rules and limits of a scenario file.

    Raises:
        ScenarioError: no ``=``, or a value breaking a limit (nesting, digits, aliases).
    """
    if "=" not in text:
        raise ScenarioError(Problem("--param", None, text, "expected PATH=VALUE",
                                    "e.g. sites.platform.capacity_t_per_day=40"))
    path, value = text.split("=", 1)
    path = path.strip()
    if not value.strip():
        return path, None
    try:
        return path, parse_value(value, "--param")
    except ScenarioError as exc:
        raise ScenarioError([Problem(p.file, None, ".".join(x for x in (path, p.path) if x), p.message,
                                     p.allowed) for p in exc.problems]) from None


@cyclic_gc_paused()
def load_scenario(
    file: str | Path,
    variant: str | None = None,
    overrides: dict[str, Any] | None = None,
    check_variants: bool = False,
) -> LoadedScenario:
    """Read, validate and check ``file``; apply ``variant`` and ``overrides`` first.

    With ``check_variants``, the file as written (the base and every variant) must be valid
    too, as ``ptce-flows run`` requires; the file is read and parsed once.

    Raises:
        ScenarioError: listing every problem found.
    """
    file = str(file)
    text = read_text(file)
    doc = expand_includes(parse_yaml(text, file), file)
    if check_variants:
        everything = _load_all(doc, file)
        if variant is None and not overrides:
            return everything[0]
    return load_document(doc, file, variant, overrides)


@cyclic_gc_paused()
def load_document(
    doc: YamlDocument, file: str, variant: str | None = None, overrides: dict[str, Any] | None = None
) -> LoadedScenario:
    raw = doc.data
    if not isinstance(raw, dict):
        raise ScenarioError(Problem(file, doc.line_of(()), "",
                                    f"a scenario is a YAML mapping, found {type(raw).__name__}",
                                    "top-level keys such as name, materials, sites, fleets"))
    _check_variant_count(doc, file)
    problems: list[Problem] = []
    if variant is None:
        # the overrides change the data in place; without them nothing does (validation and
        # the checks only read it), and the parsed data itself is never changed: no copy needed
        data, lines = (copy.deepcopy(raw) if overrides else raw), dict(doc.lines)
    else:
        data, lines, problems = _with_variant(doc, file, variant)
    for path, value in (overrides or {}).items():
        problems += apply_changes(data, lines, Changes({path: value}, file=file))
    origins = doc.cache.get("origins", {})

    def located_problems(found: list[Problem]) -> ScenarioError:
        return ScenarioError([relocate(p, origins, lines, file) for p in found])

    if problems:
        raise located_problems(problems)
    located = YamlDocument(data=data, lines=lines, text=doc.text)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise located_problems(problems_from_validation(exc, located, file, ScenarioSpec, data)) from None
    files, problems = data_files(spec, file, lambda path, m, a="": Problem(file, line_of(lines, path),
                                                                          dotted(path), m, a), doc.cache)
    if problems:
        raise ScenarioError(problems)
    tables = tuple(("include", name, "", sha) for name, sha in doc.cache.get("inputs", ()))
    loaded = LoadedScenario(
        file=file,
        spec=spec,
        sha256=hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
        variant=variant,
        overrides=tuple((overrides or {}).items()),
        lines=lines,
        text=doc.text,
        origins=origins,
        inputs=tables + files,
    )
    problems, warnings = check_references(spec, loaded.problem)
    if problems:
        raise ScenarioError(problems)
    problems = check_budget(spec, loaded.problem)
    if problems:
        raise ScenarioError(problems)
    warnings += plausibility_warnings(spec, loaded.problem)
    extra: dict[str, Any] = {"warnings": tuple(warnings)}
    cands = candidate_ids(spec)
    if cands:  # checked as written; runs as the base layout (scenario.layout)
        extra.update(spec=built_layout(spec), design=design(spec), candidates=tuple(cands))
    return LoadedScenario(**{**loaded.__dict__, **extra})


def _variant_table(doc: YamlDocument, file: str) -> tuple[dict[str, VariantSpec], dict[str, tuple[str, ...]],
                                                         list[Problem]]:
    """The file's variants validated, the chain of each and the problems of the chains;
    computed once per document, however many variants are then loaded."""
    if "variants" not in doc.cache:
        doc.cache["variants"] = _compute_variant_table(doc, file)
    table = doc.cache["variants"]
    if isinstance(table, ScenarioError):
        raise ScenarioError(table.problems)  # a new exception: re-raising one grows its traceback
    return table


def _check_variant_count(doc: YamlDocument, file: str) -> None:
    written = doc.data.get("variants")
    if isinstance(written, dict) and len(written) > MAX_VARIANTS:
        raise ScenarioError(Problem(file, doc.line_of(("variants",)), "variants",
                                    f"{len(written):,} variants, more than {MAX_VARIANTS:,}",
                                    f"at most {MAX_VARIANTS:,} variants in one file; split it"))


def _compute_variant_table(doc: YamlDocument, file: str):
    raw = doc.data
    try:
        variants = _VariantsOnly.model_validate(raw).variants
    except ValidationError as exc:
        return ScenarioError(problems_from_validation(exc, doc, file, _VariantsOnly, raw))
    chains, issues = resolve_chains({name: v.extends for name, v in variants.items()})

    def at(path: tuple, message: str, allowed: str = "") -> Problem:
        return Problem(file, doc.line_of(path), dotted(path), message, allowed)

    problems = [chain_problem(issue, at, list(variants)) for issue in issues]
    own_lines: dict[str, dict] = {name: {} for name in variants}
    base_lines = {}
    for path, line in doc.lines.items():
        if path[:1] != ("variants",):
            base_lines[path] = line
        elif len(path) > 1 and path[1] in own_lines:
            own_lines[path[1]][path] = line
    doc.cache["base_lines"], doc.cache["variant_lines"] = base_lines, own_lines
    return variants, chains, problems


def _with_variant(doc: YamlDocument, file: str, variant: str) -> tuple[dict, dict, list[Problem]]:
    """The raw data and line map with the changes of ``variant`` and its ancestors applied."""
    raw = doc.data
    variants, chains, chain_problems = _variant_table(doc, file)
    if variant not in variants:
        known = ", ".join(list(variants)[:20]) if variants else "none defined"
        raise ScenarioError(Problem(file, doc.line_of(("variants",)), "variants",
                                    f"no variant named '{variant}'", f"variants: {known}"))
    if variant not in chains:
        raise ScenarioError(chain_problems)
    data = {key: copy.deepcopy(value) for key, value in raw.items() if key != "variants"}
    lines = dict(doc.cache["base_lines"])
    problems: list[Problem] = []
    for name in chains[variant]:
        vspec = variants[name]
        origin = ("variants", name)
        problems += apply_changes(data, lines, Changes(vspec.set, vspec.remove, file, origin,
                                                       doc.line_of(origin), doc.cache["variant_lines"][name]))
    return data, lines, problems


@cyclic_gc_paused()
def load_with_variants(file: str | Path) -> list[LoadedScenario]:
    """The base scenario and each of its variants, all validated (used by ``validate``).

    Problems of the base and of every variant are reported together.
    """
    file = str(file)
    return _load_all(expand_includes(parse_yaml(read_text(file), file), file), file)


def _load_all(doc: YamlDocument, file: str) -> list[LoadedScenario]:
    """The base and every variant of ``doc``; their problems together, each once."""
    variants = doc.data.get("variants") if isinstance(doc.data, dict) else None
    names = [None, *(variants if isinstance(variants, dict) else ())]
    loaded, problems = load_each(doc, file, names)
    if problems:
        raise ScenarioError(problems)
    return list(loaded.values())


def load_each(doc: YamlDocument, file: str, names, overrides: dict[str, Any] | None = None
              ) -> tuple[dict[str | None, LoadedScenario], list[Problem]]:
    """Load the base (``None``) and the variants ``names`` of one parsed file.

    Returns what loaded, by name, and every problem of the others once, those of a variant
    tagged ``with variant 'NAME': ...`` unless they are in the ``variants`` section itself.
    This is the one way to load a file's layouts: ``validate``, ``run`` and comparisons use it.
    """
    out: dict[str | None, LoadedScenario] = {}
    problems: dict[Problem, None] = {}
    for name in names:
        try:
            out[name] = load_document(doc, file, name, overrides)
        except ScenarioError as exc:
            for p in exc.problems:
                if p in problems:
                    continue
                if name is not None and not (p.path == "variants" or p.path.startswith("variants.")):
                    p = Problem(p.file, p.line, p.path, f"with variant '{name}': {p.message}", p.allowed)
                problems[p] = None
    return out, list(problems)


def resolved_dict(loaded: LoadedScenario) -> dict:
    """The scenario with every default filled in, as plain data (for scenario.resolved.yaml)."""
    data = loaded.spec.model_dump(mode="json")
    data["variants"] = {}
    if loaded.variant and loaded.text:
        # the variant applied keeps its label and description (reports name it), nothing it changes
        raw = parse_yaml(loaded.text, loaded.file).data
        info = ((raw.get("variants") if isinstance(raw, dict) else None) or {}).get(loaded.variant)
        if isinstance(info, dict):
            data["variants"] = {loaded.variant: {k: info[k] for k in ("label", "description") if info.get(k)}}
    return data


@cyclic_gc_paused()
def load_dict(data: dict, file: str = "<scenario>", variant: str | None = None) -> LoadedScenario:
    """Validate a scenario given as plain data (tests, generators); no line numbers."""
    text = dump(data)
    return load_document(expand_includes(parse_yaml(text, file), file), file, variant)
