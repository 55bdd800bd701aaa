"""The assumptions of a scenario with their sources, read from the comments of its file.

Scenario files document every figure in comments (``# source: INSEE 2021``, ``# estimate:
...``), on the key's line or on the lines just above it. YAML parsers drop comments, so this
module reads them from the text: the loader's ``parse_yaml`` gives the line of every key path,
and a small scanner finds the comment of each line (a ``#`` outside quotes that starts the line
or follows a space). The value shown is the text written after the key, as the author wrote it.

Rules:
- the comment block at the top of the file is the file's notes, not a key's comment;
- a comment on a key's line, plus the block of comment lines right above it (no blank line
  between), belong to that key; several keys on one line (a flow mapping) share one entry,
  the outermost key;
- comment lines under an end-of-line comment and aligned with it continue that comment;
- within a key's comment (or the file's notes), the part from a line starting with ``fr:`` on
  is the French text of what comes before it (:func:`split_french`); a French report shows it
  instead of the English, and where there is none, :func:`localized_comment` says in French
  which references are cited and that the comment is in English in the file.

When the original text is not available, :func:`parameter_rows` lists the main parameters of
the resolved scenario without sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import re

from ptce_flows.errors import ScenarioError
from ptce_flows.i18n import label_text, tr
from ptce_flows.scenario.yamlio import dotted, parse_yaml

MAX_VALUE_CHARS = 70


@dataclass(frozen=True)
class Assumption:
    path: str        # dotted key path: sites.balma.population
    value: str       # as written in the file (or from the resolved scenario)
    comment: str     # the source or reasoning; "" when none
    line: int | None = None
    comment_fr: str = ""   # the author's French text of the comment (``# fr: ...``); "" when none


@dataclass(frozen=True)
class Reference:
    id: str
    publisher: str
    title: str = ""
    year: int | None = None
    url: str = ""
    note: str = ""      # English (or the only text)
    note_fr: str = ""   # from ``note: {en: ..., fr: ...}``
    publisher_fr: str = ""   # from ``publisher: {en: ..., fr: ...}``


FRENCH_MARK = re.compile(r"^fr\s*:\s*", re.I)


def split_french(parts: list[str]) -> tuple[list[str], list[str]]:
    """``(english, french)`` parts of a comment: French from the first part that starts with
    ``fr:`` (the mark dropped) to the end."""
    for i, part in enumerate(parts):
        if FRENCH_MARK.match(part):
            return parts[:i], [FRENCH_MARK.sub("", parts[i], count=1)] + parts[i + 1:]
    return parts, []


def split_comment(line: str) -> tuple[str, str | None, int]:
    """``(code, comment, column)`` of one YAML line; comment None when there is none.

    A ``#`` starts a comment when it is outside quotes and at the start of the line or after
    whitespace (YAML's rule, so ``url: http://x#y`` keeps its fragment).
    """
    quote = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote == "'":
            if ch == "'" and line[i + 1:i + 2] == "'":
                i += 2
                continue
            if ch == "'":
                quote = None
        elif quote == '"':
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                quote = None
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), line[i + 1:].strip(), i
        i += 1
    return line.rstrip(), None, -1


_RULE_CHARS = set("-=*#~_+. ")


def _clean(comment: str) -> str:
    """A comment without decoration: rules (``-----``) and framing dashes are dropped."""
    text = comment.strip()
    if not text or set(text) <= _RULE_CHARS:
        return ""
    return text.strip("-=*~_ ").strip()


def _value_text(code: str) -> str:
    """What follows the key (or the ``-`` of a list item) on a line of code."""
    text = code.strip()
    if text.startswith("- "):
        text = text[2:].strip()
    elif ":" in text and not text.startswith(("[", "{")):
        key, _sep, rest = text.partition(": ") if ": " in text else text.partition(":")
        text = rest.strip()
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def extract_assumptions(text: str, file: str = "scenario.yaml",
                        lines_of: dict | None = None) -> tuple[list[str], list[Assumption]]:
    """``(notes, assumptions)`` of a scenario text: the top-of-file comment lines, and every
    key that carries a comment, in file order.

    Raises:
        ScenarioError: the text is not valid YAML (it was valid when the run was made, so this
            only happens with a foreign file).
    """
    key_lines = lines_of if lines_of is not None else parse_yaml(text, file).lines  # path -> line
    lines = text.splitlines()
    parsed = [split_comment(raw) for raw in lines]
    # top-of-file notes
    notes: list[str] = []
    first_code = len(lines)
    for i, (code, comment, _col) in enumerate(parsed):
        if code.strip():
            first_code = i
            break
        if comment is not None and _clean(comment):
            notes.append(_clean(comment))
    # block scalars: lines inside them are not comments
    in_block: set[int] = set()
    for i, (code, _comment, _col) in enumerate(parsed):
        stripped = code.rstrip()
        if stripped.endswith(("|", ">", "|-", ">-", "|+", ">+")) and ":" in stripped:
            indent = len(code) - len(code.lstrip())
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
                in_block.add(j)
                j += 1
    # continuation lines of end-of-line comments
    continued: dict[int, int] = {}   # continuation line -> line of the inline comment it extends
    for i, (code, comment, col) in enumerate(parsed):
        if comment is None or not code.strip() or i in in_block:
            continue
        j = i + 1
        while j < len(lines) and j not in in_block:
            c2, m2, col2 = parsed[j]
            if c2.strip() or m2 is None or col2 != col:
                break
            continued[j] = i
            j += 1
    # the outermost key path of each line
    by_line: dict[int, tuple] = {}
    for path, line in key_lines.items():
        if not path or line - 1 < first_code:
            continue
        known = by_line.get(line)
        if known is None or len(path) < len(known):
            by_line[line] = path
    items = []
    for line in sorted(by_line):
        i = line - 1
        code, inline, _col = parsed[i]
        parts: list[str] = []
        j = i - 1
        above: list[str] = []
        while j >= first_code and j not in in_block:
            c2, m2, _c = parsed[j]
            if c2.strip() or m2 is None or j in continued:
                break
            above.insert(0, m2)
            j -= 1
        parts += [a for a in above if a]
        if inline:
            parts.append(inline)
        k = i + 1
        while k in continued and continued[k] == i:
            parts.append(parsed[k][1])
            k += 1
        english, french = split_french([c for c in (_clean(p) for p in parts) if c])
        comment, comment_fr = " ".join(english), " ".join(c for c in french if c)
        if comment or comment_fr:
            items.append(Assumption(dotted(by_line[line]), _value_text(code), comment, line, comment_fr))
    return notes, items


def references(scenario: dict) -> list[Reference]:
    """The ``references`` section of a (resolved) scenario."""
    out = []
    for rid, ref in (scenario.get("references") or {}).items():
        if isinstance(ref, dict):
            note_en, note_fr = _en_fr(ref.get("note"))
            publisher, publisher_fr = _en_fr(ref.get("publisher"))
            out.append(Reference(rid, publisher, str(ref.get("title") or ""), ref.get("year"),
                                 str(ref.get("url") or ""), note_en, note_fr, publisher_fr))
    return out


def _en_fr(text) -> tuple[str, str]:
    """``(english or only text, french)`` of a text or ``{en: ..., fr: ...}``."""
    if isinstance(text, dict):
        return str(text.get("en") or label_text(text, "en")), str(text.get("fr") or "")
    return str(text or ""), ""


def localized_reference(ref: Reference, lang: str) -> Reference:
    """The reference with its publisher and note in ``lang``: in French, the French text, else
    (for the note) a French word that it is in English in the scenario file; the title is a
    proper name, kept as published."""
    if lang != "fr":
        return ref
    note = ref.note_fr or (tr("report.note_in_english", lang) if ref.note else "")
    return Reference(ref.id, ref.publisher_fr or ref.publisher, ref.title, ref.year, ref.url, note,
                     ref.note_fr, ref.publisher_fr)


_CITED = re.compile(r"\[([A-Za-z0-9_.-]+)\]")
_ESTIMATE = re.compile(r"\bestimat\w*", re.I)


def localized_comment(item: Assumption, lang: str, refs: dict[str, Reference]) -> str:
    """The comment of an assumption in ``lang``. In French: the author's French text, else the
    references it cites (publisher, year), "estimation" when it is one, and a note that the
    comment is in English in the scenario file (never the English prose)."""
    if lang != "fr":
        return item.comment or item.comment_fr
    if item.comment_fr or not item.comment:
        return item.comment_fr
    parts = []
    if _ESTIMATE.search(item.comment):
        parts.append(tr("report.estimate", lang))
    cited = list(dict.fromkeys(m for m in _CITED.findall(item.comment) if m in refs))
    for rid in cited:
        ref = localized_reference(refs[rid], lang)
        parts.append(f"[{rid}] {ref.publisher}" + (f" ({ref.year})" if ref.year else ""))
    if _is_prose(item.comment):
        parts.append(tr("report.comment_in_english_line", lang, line=item.line) if item.line else
                     tr("report.comment_in_english", lang))
    return " ; ".join(parts)


def _is_prose(comment: str) -> bool:
    """Whether a comment says more than reference ids, "estimate" and names or years in
    capitals (``INSEE 2021 [insee_communes]`` is not prose)."""
    rest = _ESTIMATE.sub(" ", _CITED.sub(" ", comment))
    words = re.findall(r"[^\W\d_][\w'-]*", rest)
    return any(not w.isupper() and w.lower() not in ("estimate", "estimated") for w in words)


def localized_notes(notes: list[str], lang: str) -> list[str]:
    """The file's notes in ``lang``: in French, the part after a ``fr:`` line, else a French
    word that the notes are in English in the file."""
    english, french = split_french(notes)
    if lang != "fr":
        return english or french
    if french:
        return [n for n in french if n]
    return [tr("report.notes_in_english", lang)] if english else []


def _compact(value) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_compact(v)}" for k, v in value.items() if v is not None)
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: keys of the resolved scenario worth listing when the file's comments are not available
_PARAMETERS = {
    "processes": ("outputs", "residence_days", "jobs"),
    "source": ("population", "supply"),
    "treatment": ("process", "capacity_t_per_day", "capacity_t_per_year", "storage_t"),
    "farm": ("demand",),
    "outlet": ("demand",),
    "disposal": ("accepts",),
    "fleets": ("vehicles", "payload_t", "speed_kmh", "co2_kg_per_km", "crew", "insertion_share"),
}


def parameter_rows(scenario: dict) -> list[Assumption]:
    """The main parameters of a resolved scenario, without sources (the fallback)."""
    rows = []
    for pid, proc in (scenario.get("processes") or {}).items():
        for key in _PARAMETERS["processes"]:
            if proc.get(key) is not None:
                rows.append(Assumption(f"processes.{pid}.{key}", _value_text(": " + _compact(proc[key])), ""))
    for sid, site in (scenario.get("sites") or {}).items():
        for key in _PARAMETERS.get(site.get("kind"), ()):
            if site.get(key) is not None:
                rows.append(Assumption(f"sites.{sid}.{key}", _value_text(": " + _compact(site[key])), ""))
    for fid, fleet in (scenario.get("fleets") or {}).items():
        for key in _PARAMETERS["fleets"]:
            if fleet.get(key) is not None:
                rows.append(Assumption(f"fleets.{fid}.{key}", _value_text(": " + _compact(fleet[key])), ""))
    return rows


def assumptions_of(source_text: str | None, scenario: dict,
                   lines_of: dict | None = None) -> tuple[bool, list[str], list[Assumption]]:
    """``(from_comments, notes, rows)``: the commented keys of the original file when its text
    is known and parses, else the main parameters of the resolved scenario."""
    if source_text and "#" not in source_text:
        return True, [], []   # no comment at all: nothing to read (and no parse of a large file)
    if source_text:
        try:
            notes, items = extract_assumptions(source_text, lines_of=lines_of)
            return True, notes, items
        except ScenarioError:
            pass
    return False, [], parameter_rows(scenario)
