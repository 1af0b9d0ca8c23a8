"""The words a document is known by that no other document holds: an author's name ("Pial"), a
publisher's ("law4u"), a code or a section number of its title or file name ("10301", "U.S.C").

Catalog titles are written by hand and questions rarely give them whole; a question that uses one
of these words can mean only that document. A word qualifies when it is written as a name in the
document's title, publisher or file name (with a capital letter or a digit), is in no other
document's names, and no other document's text uses it: "ICTs" in the title of resolution 76/19
is in every resolution's text, "Resilient" in the 2009 review's title in most documents."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

# A name as written: letters and digits, with dots or an ampersand inside ("U.S.C", "ISOC.NL", "law4u").
_NAME_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.&]*[A-Za-z0-9]")
_YEAR_OR_SHORT_NUMBER = re.compile(r"(?:1[89]|20)\d\d|\d{1,3}")


def name_words(text: str) -> set[str]:
    """The words of a text, lower-cased, as names are written ("22 U.S.C. 10301" -> {"22", "u.s.c", "10301"})."""
    return {w.lower() for w in _NAME_WORD.findall(text.replace("’s", " ").replace("'s", " "))}


def known_by(names: dict[str, str], texts: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """file -> the words only that document is known by, given each document's names (title,
    publisher, file name, as one string) and its text."""
    written = {f: {w.lower() for w in _NAME_WORD.findall(n.replace("_", " ")) + _in_ranges(n)
                   if (any(c.isupper() or c.isdigit() for c in w) and len(w) >= 3
                       and not _YEAR_OR_SHORT_NUMBER.fullmatch(w))}
               for f, n in names.items()}
    owners = Counter(w for words in written.values() for w in words)
    candidates = {w for w, n in owners.items() if n == 1}
    # Read each text once (linear in the corpus): which documents' texts use each candidate word.
    users: dict[str, set[str]] = {w: set() for w in candidates}
    for f, text in texts.items():
        for w in name_words(text) & candidates:
            users[w].add(f)
    return {f: tuple(sorted(w for w in words if w in candidates and users[w] <= {f}))
            for f, words in written.items()}


def _in_ranges(text: str) -> list[str]:
    """The numbers inside a range a name gives ("secs. 10301-10303" -> 10301, 10302, 10303)."""
    out = []
    for a, b in _RANGE.findall(text):
        if len(a) == len(b) and 0 < int(b) - int(a) <= RANGE_MAX:
            out += [str(n) for n in range(int(a), int(b) + 1)]
    return out


_RANGE = re.compile(r"(?<![\d.])(\d{3,})\s*[-–]\s*(\d{3,})(?![\d.])")
RANGE_MAX = 20


def document_names(file: str, title: str, publisher: str) -> str:
    """The names a document goes by, as one string for `known_by`."""
    return f"{title} {publisher} {Path(file).stem}"
