"""Numbered paragraphs: the units a resolution, a statute or a numbered list is made of.

Documents number their paragraphs at the start of a line ("4. Requests the Secretary-General",
"1.3 States should not knowingly allow their territory ...") and letter their sub-paragraphs
("(a) ..."). Questions name them ("operative paragraph 4", "paragraph 2(a)", "norm 1.3"), so a
unit is found by its number, in any document whose text numbers its paragraphs this way."""
from __future__ import annotations

import re
from dataclasses import dataclass

# "4." or "1.3." or "1.3" (followed by a capital) at the start of a line.
_NUMBERED = re.compile(r"(?m)^[ \t]*(\d{1,2}(?:\.\d{1,2})*)(?:\.(?=\s)|(?<=\d\.\d)(?=\s+[A-Z])|(?<=\d\.\d\d)(?=\s+[A-Z]))")
_LETTERED = re.compile(r"(?m)^[ \t]*\(([a-z]{1,2}|[ivx]{1,5})\)(?=\s)")
# In a question: "operative paragraph 4", "paragraph 2(a)", "para. 1.6", "norm 1.3", "paragraphs 4 and 5".
_ASKED = re.compile(r"\b(?:(?:operative\s+)?(?:sub-?)?paragraphs?|paras?\.?|norms?)\s+"
                    r"(\d{1,2}(?:\.\d{1,2})*)(?:\s*\(([a-z]{1,2}|[ivx]{1,5})\))?", re.IGNORECASE)


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


def units_asked(question: str) -> set[tuple[str, ...]]:
    """The numbered paragraphs a question names: "operative paragraph 4" -> {("4",)};
    "paragraph 2(a)" -> {("2", "a")}; "norm 1.3" -> {("1", "3")}."""
    out = set()
    for number, letter in _ASKED.findall(question):
        out.add(tuple(number.split(".")) + ((letter.lower(),) if letter else ()))
    return out
