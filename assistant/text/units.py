"""Numbered paragraphs: the units a resolution, a statute or a numbered list is made of.

Documents number their paragraphs at the start of a line ("4. Requests the Secretary-General",
"1.3 States should not knowingly allow their territory ...") and letter their sub-paragraphs
("(a) ..."). Questions name them ("operative paragraph 4", "paragraph 2(a)", "norm 1.3"), so a
unit is found by its number, in any document whose text numbers its paragraphs this way."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .sentences import CLAUSE_PARTICIPLE
from .tokens import stopwords
from .vocabulary import HEADING_NUMBER, HEADING_UNIT_WORDS, ORDINALS, number_value

# "4." or "1.3." or "1.3" (followed by a capital) at the start of a line; "1.The" as a converted
# treaty text writes it.
_NUMBERED = re.compile(r"(?m)^[ \t]*(\d{1,2}(?:\.\d{1,2})*)(?:\.(?=\s|[A-Z][a-z])|(?<=\d\.\d)(?=\s+[A-Z])"
                       r"|(?<=\d\.\d\d)(?=\s+[A-Z]))")
# "(a)" or "a)" at the start of a line.
_LETTERED = re.compile(r"(?m)^[ \t]*\(?([a-z]{1,2}|[ivx]{1,5})\)(?=\s)")
# In a question: "operative paragraph 4", "paragraph 2(a)", "para. 1.6", "norm 1.3", "paragraphs 4 and 5".
_ASKED = re.compile(r"\b(?:(?:operative\s+)?(?:sub-?)?paragraphs?|paras?\.?|norms?)\s+"
                    r"(\d{1,2}(?:\.\d{1,2})*)(?:\s*\(([a-z]{1,2}|[ivx]{1,5})\))?", re.IGNORECASE)

# "the second operative paragraph": paragraph 2 ("the second paragraph" alone may count the preamble's).
_ORDINAL_ASKED = re.compile(rf"\b({'|'.join(ORDINALS[1:])})\s+operative\s+paragraph\b", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    path: tuple[str, ...]  # ("4",), ("1", "3"), ("2", "a")
    start: int  # offsets in the text
    end: int


def numbered_units(text: str) -> list[Unit]:
    """Every numbered paragraph and lettered sub-paragraph of a text, with its span: a unit runs
    to the next unit of its level or above."""
    marks: list[tuple[int, tuple[str, ...]]] = []
    current: tuple[str, ...] = ()
    events = sorted([(m.start(), "n", m.group(1)) for m in _NUMBERED.finditer(text)]
                    + [(m.start(), "l", m.group(1)) for m in _LETTERED.finditer(text)])
    for at, kind, label in events:
        if kind == "n":
            current = tuple(label.split("."))
            marks.append((at, current))
        elif current:
            marks.append((at, current + (label,)))
    units = []
    for i, (at, path) in enumerate(marks):
        end = next((b for b, p in marks[i + 1:] if len(p) <= len(path) or p[:len(path)] != path), len(text))
        units.append(Unit(path, at, end))
    # A numbered paragraph holds its sub-paragraphs: "1" spans "1.1" to "1.13".
    parents = {u.path[:1] for u in units if len(u.path) > 1 and u.path[1].isdigit()}
    for path in parents - {u.path for u in units}:
        inside = [u for u in units if u.path[:1] == path]
        units.append(Unit(path, min(u.start for u in inside), max(u.end for u in inside)))
    return sorted(units, key=lambda u: (u.start, len(u.path)))


# A framework's coded entries: a category opens with its name and code, "Asset Management (ID.AM):",
# a subcategory with its code, "ID.AM-1: Physical devices ..." (the layout of the NIST
# Cybersecurity Framework's core, and of control catalogues that code their entries this way).
_CODE = r"[A-Z]{2,4}\.[A-Z]{2,4}"
_CODED = re.compile(rf"\(({_CODE})\)\s*:|(?m:^)[ \t]*({_CODE})-(\d{{1,3}})\s*:")
_LAYOUT_GAP = re.compile(r"\n[ \t]*\n[ \t]*\n")
_CODE_ASKED = re.compile(rf"\b({_CODE})(?:-(\d{{1,3}}))?\b")


def coded_units(text: str) -> list[Unit]:
    """Every coded category and subcategory of a text: a category runs to the next category, a
    subcategory ("ID.AM", "ID.AM-1") to the next entry."""
    # A category opens at the start of its name's line ("Asset Management (ID.AM):").
    marks = [(text.rfind("\n", 0, m.start()) + 1, (m.group(1),)) if m.group(1)
             else (m.start(), (m.group(2), f"{m.group(2)}-{m.group(3)}")) for m in _CODED.finditer(text)]
    if not marks:
        return []
    # The last entry runs to the page's end, or to a gap of two blank lines after which the page
    # goes on with something else (the notes below a table).
    gap = _LAYOUT_GAP.search(text, marks[-1][0])
    last_end = gap.start() if gap else len(text)
    units = []
    for i, (at, path) in enumerate(marks):
        end = next((b for b, p in marks[i + 1:] if len(p) <= len(path) or p[0] != path[0]), last_end)
        units.append(Unit(path, at, end))
    return units


def continued_unit(previous: list[Unit], previous_end: int, text: str, units: list[Unit]) -> list[Unit]:
    """The coded entries a page continues from the page before: the text above the page's first
    entry belongs to the entries still open at the end of the previous page."""
    first = min((u.start for u in units), default=len(text))
    open_at_end = [u for u in previous if u.end >= previous_end]
    return [Unit(u.path, 0, first) for u in open_at_end if first > 0]


def units_asked(question: str) -> set[tuple[str, ...]]:
    """The numbered paragraphs and coded entries a question names: "operative paragraph 4" ->
    {("4",)}; "paragraph 2(a)" -> {("2", "a")}; "norm 1.3" -> {("1", "3")}; "ID.AM-1" ->
    {("ID.AM", "ID.AM-1")}; "the ID.AM category" -> {("ID.AM",)}."""
    out = set()
    for number, letter in _ASKED.findall(question):
        out.add(tuple(number.split(".")) + ((letter.lower(),) if letter else ()))
    for ordinal in _ORDINAL_ASKED.findall(question):
        out.add((str(ORDINALS.index(ordinal.lower())),))
    for code, number in _CODE_ASKED.findall(question):
        out.add((code, f"{code}-{number}") if number else (code,))
    return out


def is_coded(path: tuple[str, ...]) -> bool:
    return bool(path) and "." in path[0] and not path[0][:1].isdigit()


# ---------------------------------------------------------------- citing a unit

# A heading that opens with a unit and its number: "PILLAR ONE | DEFEND ...", "Article 35 – 24/7
# Network", "STRATEGIC OBJECTIVE 1.1: ...", or a numbered heading "2.1 Framework Core".
_HEADING_UNIT = re.compile(rf"^\s*({HEADING_UNIT_WORDS})\s+({HEADING_NUMBER})\b", re.IGNORECASE)
_NUMBERED_HEADING = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2})+|\d{1,2}\.0)\s+[A-Z]")
# A statute's section and subsection: "§ 10302. International ... strategy – (b) Elements".
_STATUTE_SECTION = re.compile(r"^\s*§\s*(\d+[a-z]?)\.?(?:[^–—]*[–—]\s*\(([a-z0-9]{1,3})\))?")
_ROMAN_NUMBER = re.compile(r"[IVXLC]+", re.IGNORECASE)


def heading_unit(section: str) -> tuple[str, str] | None:
    """(kind, label) of the unit a section heading opens: ("pillar", "Pillar One"),
    ("article", "Art. 35"), ("section", "§ 2.1"); None for a heading with no number."""
    m = _HEADING_UNIT.match(section)
    if m:
        kind, number = " ".join(m.group(1).split()).lower(), m.group(2)
        number = number.upper() if _ROMAN_NUMBER.fullmatch(number) else number.capitalize()
        return kind, ("Art." if kind == "article" else kind.title()) + " " + number
    m = _STATUTE_SECTION.match(section)
    if m:
        return "section", f"§ {m.group(1)}" + (f"({m.group(2)})" if m.group(2) else "")
    m = _NUMBERED_HEADING.match(section)
    # A paragraph's wrapped first line read as a heading ("4.17 The Government ICT Strategy sets
    # out how") ends in a word no title ends in.
    last = re.findall(r"[A-Za-z]+", section)[-1:]
    if m and last and last[0].lower() in stopwords():
        return None
    return ("section", f"§ {m.group(1)}") if m else None


def unit_key(label: str) -> tuple[str, str] | None:
    """A unit label or a phrase naming one, comparable however its number is written:
    "Pillar Two", "PILLAR II", "pillar 2" -> ("pillar", "2"); "Strategic Objective 2.4" ->
    ("strategic objective", "2.4"); "Art. 16" -> ("article", "16")."""
    label = label.strip()
    if label.startswith("§"):
        return "section", label[1:].strip().lower()
    unit = heading_unit(re.sub(r"^Art\.", "Article", label))
    if not unit:
        return None
    # "Strategic Objective 2.4" and "Objective 2.4" are one unit.
    kind, number = unit[0].split()[-1], unit[1].split()[-1]
    value = number_value(number) if not re.fullmatch(r"[\d.()a-z]+", number) else None
    return kind, str(value) if value is not None else number.lower()


def unit_keys(label: str) -> set[tuple[str, str]]:
    """The keys of every unit in a cited unit: "Pillar Two › Strategic Objective 2.4, para 3" ->
    {("pillar", "2"), ("objective", "2.4")}."""
    return {key for part in label.split(",")[0].split(" › ") if (key := unit_key(part)) is not None}


_UNIT_PHRASE = re.compile(rf"\b(?:{HEADING_UNIT_WORDS})\s+{HEADING_NUMBER}\b", re.IGNORECASE)


def heading_units_named(question: str) -> set[tuple[str, str]]:
    """The numbered headings a question names: "Strategic Objective 2.4", "Tier 3", "Pillar Two"."""
    return {key for m in _UNIT_PHRASE.finditer(question) if (key := unit_key(m.group())) is not None}


# Units a document starts on a new page: a PDF's text may put such a heading after the text
# printed below it ("PILLAR IV" last on its first page), so the unit covers its whole first page.
PAGE_OPENING_UNITS = ("pillar", "part", "chapter", "title", "annex", "appendix")


def heading_trails(sections: list[str], pages: list[int | None] | None = None) -> list[tuple[str, ...]]:
    """For each of a document's chunks in reading order, the numbered headings it stands under,
    outermost first: a heading of a kind already in the trail replaces it and what stands under
    it ("Pillar Two" after "Pillar One › Strategic Objective 1.5" -> "Pillar Two")."""
    trail: list[tuple[str, str]] = []
    out: list[tuple[str, ...]] = []
    for i, section in enumerate(sections):
        before = tuple(label for _, label in trail)
        unit = heading_unit(section)
        if unit:
            kinds = [k for k, _ in trail]
            trail = trail[:kinds.index(unit[0])] if unit[0] in kinds else trail
            trail.append(unit)
        now = tuple(label for _, label in trail)
        page = pages[i] if pages else None
        if now != before and unit and unit[0] in PAGE_OPENING_UNITS and page is not None:
            j = i - 1
            while j >= 0 and pages[j] == page and out[j] == before:
                out[j] = now
                j -= 1
        out.append(now)
    return out


_DECIMAL_PARAGRAPH = re.compile(r"(?m)^[ \t]*(\d{1,2})\.\d{1,2}(?:\.\d{1,2})*\.?\s+[A-Z]")


def close_by_part(trails: list[tuple[str, ...]], texts: list[str]) -> list[tuple[str, ...]]:
    """Trails (as heading_trails gives them) without the headings a change of part has closed.
    Where paragraphs are numbered by part ("2.19" is the 19th paragraph of part 2), a heading
    holds the paragraphs of the part it is followed by: once the part number changes, it no
    longer holds what follows (an overview box's "Objective 4" does not hold part 2)."""
    part: dict[tuple[int, str], str | None] = {}
    closed: set[tuple[int, str]] = set()
    out = []
    for trail, text in zip(trails, texts):
        keys = list(enumerate(trail))
        for key in keys:
            if key not in part:
                part[key] = None
                closed.discard(key)
        for key in list(part):
            if key not in keys:
                del part[key]  # replaced: a heading seen again later opens afresh
        for major in _DECIMAL_PARAGRAPH.findall(text):
            for key in keys:
                if part[key] is None:
                    part[key] = major
                elif part[key] != major:
                    closed.add(key)
        out.append(tuple(label for key, label in zip(keys, trail) if key not in closed))
    return out


_ASSEMBLY = re.compile(r"^The General Assembly,\s*$", re.MULTILINE)
_CLAUSE_START = re.compile(rf"(?m)^(?:{CLAUSE_PARTICIPLE})")


def preamble_number(text: str, offset: int) -> int | None:
    """Which preambular paragraph of a resolution `offset` is in (they are not numbered, so they
    are counted: each opens a line with a participle, "Recalling", "Noting", "Deeply concerned"),
    or None outside the preamble."""
    start = _ASSEMBLY.search(text, 0, offset)
    if not start:
        return None
    first_operative = _NUMBERED.search(text, start.end())
    if first_operative and first_operative.start() <= offset:
        return None
    end = first_operative.start() if first_operative else len(text)
    count = sum(1 for m in _CLAUSE_START.finditer(text, start.end(), end) if m.start() <= offset)
    return count or None


def unit_label(trail: tuple[str, ...], paragraph: tuple[str, ...], preamble: int | None,
               resolution: bool) -> str:
    """The smallest numbered unit holding a quote, as it is cited: "Art. 16(1)", "Art. 17(1)(a)",
    "op. para 1.6", "pp. 3", "Pillar Two › Strategic Objective 2.4", "§ 2.1"; "" when the
    document numbers nothing there."""
    if resolution and preamble:
        return f"pp. {preamble}"
    if is_coded(paragraph):
        return paragraph[-1]  # "ID.AM-1": a coded entry is cited by its code alone
    numbers = [x for x in paragraph if x.isdigit()]
    letters = [x for x in paragraph if not x.isdigit()]
    if trail and trail[-1].startswith("Art."):
        # Articles are numbered through a treaty: its titles and chapters add nothing to the citation.
        return trail[-1] + "".join(f"({x})" for x in paragraph)
    if resolution and paragraph:
        return "op. para " + ".".join(numbers) + "".join(f"({x})" for x in letters)
    # A numbered heading at the depth of the paragraph ("§ 4.42" over "para 4.43") is a sibling
    # paragraph read as a heading, not what holds it.
    while trail and numbers and trail[-1].startswith("§ ") \
            and trail[-1][2:].split(".")[:-1] == numbers[:-1] and trail[-1][2:].count(".") + 1 == len(numbers):
        trail = trail[:-1]
    label = " › ".join(trail)
    if paragraph:
        label += (", " if label else "") + "para " + ".".join(numbers) + "".join(f"({x})" for x in letters)
    return label


def parent_unit(label: str) -> str:
    """The unit holding a unit, as cited: "Art. 16(2)" -> "Art. 16"; "op. para 2(a)" -> "op. para 2";
    "op. para 1.6" -> "op. para 1"; "Pillar One › Strategic Objective 1.2" -> "Pillar One";
    "Objective 4, para 2.19" -> "Objective 4"; "ID.AM-1" -> "ID.AM"; "" for a top-level unit."""
    if label.endswith(")") and "(" in label:
        return label[:label.rfind("(")]
    if ", para " in label:
        return label[:label.rfind(", para ")]
    if " › " in label:
        return label[:label.rfind(" › ")]
    if label.startswith("op. para ") and "." in label[len("op. para "):]:
        return label[:label.rfind(".")]
    coded = re.fullmatch(rf"({_CODE})-\d+", label)
    return coded.group(1) if coded else ""


_LAST_NUMBER = re.compile(r"^(.*?)(\d+|\([a-z0-9]+\))$")


def enclosing_unit(first: str, last: str) -> str:
    """How a quote from unit `first` to unit `last` is cited: one unit; a range of siblings
    ("pp. 10" to "pp. 11" -> "pp. 10–11", "Art. 16(1)" to "Art. 16(2)" -> "Art. 16(1)–(2)");
    else the smallest unit holding both ("Art. 16(2)" to "Art. 16" -> "Art. 16"); "" when none does."""
    if first == last:
        return first
    a, b = _LAST_NUMBER.match(first), _LAST_NUMBER.match(last)
    if a and b and a.group(1) == b.group(1):
        return f"{first}–{b.group(2)}"
    chain = []
    while first:
        chain.append(first)
        first = parent_unit(first)
    while last and last not in chain:
        last = parent_unit(last)
    return last
