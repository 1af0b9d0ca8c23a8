"""Cleaning: the page texts of a loaded document without PDF debris, before anything is chunked.

Text converted from a paged layout carries what a reader never reads as prose: words broken at a
line end ("conse-" / "quences"), words split by a stray space ("critica l"), page numbers, running
headers, document codes ("18-21207 (E)", "*1821207*"), web addresses on lines of their own, and
footnote bodies ("5Sheetal Kumar, ... https://..."). Everything downstream (chunks, passages,
quotes, citations, the document viewer) reads the cleaned text, so quotes stay verbatim.

Decisions use the document's own words: a broken word is joined when the joined word occurs in
the document, a hyphen is kept when the hyphenated word occurs there or both halves are words.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_WORD = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?")
# A word broken at a line end: "conse-\nquences", "discus -\nsion".
_LINE_END_BREAK = re.compile(r"\b([A-Za-z]+)( ?)-[ \t]*\n([ \t]*)([a-z]+)([^\s]*)[ \t]?")
# The words of a line, for words split by a space: "critica l", "go od", "elaborati on".
_SPLIT_WORD_TOKEN = re.compile(r"[A-Za-z]+")
# Prefixes that keep their hyphen ("non-binding", "multi-stakeholder", "self-assessment").
HYPHEN_PREFIXES = frozenset("non multi self cross co anti semi counter well e pre post inter sub".split())
# A line holding only a page number or a document code: "14", "- 3 -", "Page 3 of 40", "ii",
# "18-21207 (E)", "*1821207*", "131218".
_NUMBER_LINE = re.compile(r"^\s*(?:[-–—*]?\s*\d[\d\s\-–/]*(?:\s*\([A-Z]\))?\s*[-–—*]?|page\s+\d+(?:\s+of\s+\d+)?"
                          r"|[ivxlc]{1,5})\s*$", re.IGNORECASE)
_URL_LINE = re.compile(r"^\s*<?(?:https?://|www\.)\S*>?\s*$")
# A footnote body: a note number run into its first word ("5Sheetal Kumar") or followed by a
# source ("6 TechAmerica, Response to ..., at 6.").
# A soft hyphen left where a word was broken ("his\u00ad tory"): the word is whole.
_SOFT_HYPHEN = re.compile(r"(?<=[A-Za-z])\u00ad\s*(?=[a-z])")
# A note reference run onto the end of a sentence: "mechanisms.8,9 The" -> "mechanisms. The".
_NOTE_REFERENCE = re.compile(r"(?<=[a-z][.,;:”\"’)])\d{1,3}(?:,\d{1,3})*(?=\s|$)", re.MULTILINE)
_NOTE_START = re.compile(r"^\s*(\d{1,3})(?:(?=[A-Z“\"])|\s+(?=[A-Z“\"]))")
_SOURCE_MARK = re.compile(r"https?://|www\.\w|\(\d{4}\)|\bIbid\b|\bop\. cit|,\s+at\s+\d|\bpp?\.\s*\d"
                          r"|\b(?:accessed|retrieved|available at)\b"
                          r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                          r"December)\s+\d{1,2},\s+\d{4}", re.IGNORECASE)
NOTE_MAX_LINES = 4
# A running header or footer: a short line repeated on many pages (or, in text with no page
# breaks, at least this often).
RUNNING_MIN_REPEATS = 3
RUNNING_MAX_WORDS = 12


@dataclass
class CleaningReport:
    """What was taken out or mended, per kind (for the build report and the debris test)."""

    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # footnote bodies, kept as metadata


def clean_pages(texts: list[str], markdown: bool = False) -> tuple[list[str], CleaningReport]:
    """The page texts cleaned (same number of pages, page breaks kept), and what was done."""
    report = CleaningReport()
    vocabulary = Counter(w.lower() for text in texts for w in _WORD.findall(text))
    hyphenated = Counter(m.lower() for text in texts for m in re.findall(r"\b[A-Za-z]+-[A-Za-z]+\b", text))
    running = set() if markdown else _running_lines(texts)
    out = []
    for text in texts:
        sheets = []
        for sheet in text.split("\f"):  # form feeds end the pages of converted text
            sheet, n = _SOFT_HYPHEN.subn("", sheet)
            report.counts["soft hyphen joined"] += n
            sheet = _join_line_end_breaks(sheet, vocabulary, hyphenated, report)
            sheet = _drop_lines(sheet, running, markdown, report)
            sheet, n = _NOTE_REFERENCE.subn("", sheet)
            report.counts["note reference"] += n
            sheet = _join_split_words(sheet, vocabulary, report)
            sheets.append(sheet)
        out.append("\f".join(sheets))
    return out, report


def _key(line: str) -> str:
    """Running headers differ only by the page number (arabic or roman), which may stand on the
    line or not."""
    line = re.sub(r"\s[ivxlc]{1,6}\s*$", " ", line.rstrip() + " ", flags=re.IGNORECASE)
    return " ".join(re.sub(r"\d+", " ", line).split()).casefold()


def _running_lines(texts: list[str]) -> set[str]:
    """Keys of short lines repeated across pages: running headers and footers."""
    sheets = [s for t in texts for s in t.split("\f")]
    per_sheet = Counter(k for s in sheets for k in {_key(ln) for ln in s.splitlines() if ln.strip()})
    total = Counter(_key(ln) for s in sheets for ln in s.splitlines() if ln.strip())
    counts = per_sheet if len(sheets) >= 4 else total
    needed = max(RUNNING_MIN_REPEATS, int(0.3 * len(sheets))) if len(sheets) >= 4 else RUNNING_MIN_REPEATS
    return {k for k, n in counts.items()
            if n >= needed and len(k.split()) <= RUNNING_MAX_WORDS and re.search(r"[a-z]{3}", k)
            and not k.rstrip().endswith((".", ",", ";", ":")) and not k.startswith(("#", "|", "-", "*", "•"))}


def _drop_lines(text: str, running: set[str], markdown: bool, report: CleaningReport) -> str:
    """Without page numbers, document codes, URL-only lines, running headers and footnotes."""
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() and not markdown and _NUMBER_LINE.match(line):
            report.counts["page number or code"] += 1
        elif _URL_LINE.match(line):
            report.counts["web address line"] += 1
        elif line.strip() and _key(line) in running:
            report.counts["running header"] += 1
        elif (n := _note_length(lines, i)):
            report.counts["footnote"] += 1
            report.notes.append(" ".join(" ".join(lines[i:i + n]).split()))
            i += n
            continue
        else:
            kept.append(line)
        i += 1
    return "\n".join(kept)


def _note_length(lines: list[str], i: int) -> int:
    """How many lines a footnote starting at line i takes (0: no footnote starts there): it goes
    on while a line is broken off (no end mark) and the next goes on in lower case or is the rest
    of a web address."""
    start = _NOTE_START.match(lines[i])
    if not start:
        return 0
    n = 1
    while n < NOTE_MAX_LINES and i + n < len(lines):
        previous, line = lines[i + n - 1].rstrip(), lines[i + n].strip()
        if not line or previous.endswith((".", ";", ")")) or not (line[:1].islower() or " " not in line):
            break
        n += 1
    body = " ".join(lines[i:i + n])
    # A note number run into a capital ("5Sheetal") needs a source mark as much as a spaced one:
    # "2 Changing threats" is a heading, "3Mark Bryan F. Manantan, “Defining ...” (2021)" a note.
    return n if _SOURCE_MARK.search(body) else 0


def _join_line_end_breaks(text: str, vocabulary: Counter, hyphenated: Counter, report: CleaningReport) -> str:
    def mend(m: re.Match) -> str:
        first, second = m.group(1), m.group(4)
        joined, compound = (first + second).lower(), f"{first}-{second}".lower()
        # The rest of the broken word's line moves up with it; a line left empty goes.
        rest = "" if m.string[m.end():m.end() + 1] in ("\n", "") else f"\n{m.group(3)}"
        if hyphenated[compound] or (not vocabulary[joined] and (
                first.lower() in HYPHEN_PREFIXES or (vocabulary[first.lower()] > 1 and vocabulary[second] > 1))):
            report.counts["hyphen kept at a line end"] += 1
            return f"{first}-{second}{m.group(5)}{rest}"
        report.counts["broken word joined"] += 1
        return f"{first}{second}{m.group(5)}{rest}"

    return _LINE_END_BREAK.sub(mend, text)


def _join_split_words(text: str, vocabulary: Counter, report: CleaningReport) -> str:
    """ "critica l" -> "critical": two words one space apart, one of them seen nowhere else in the
    document, whose join is a word of the document."""
    words = list(_SPLIT_WORD_TOKEN.finditer(text))
    pairs = Counter((a.group().lower(), b.group()) for a, b in zip(words, words[1:])
                    if b.start() == a.end() + 1 and text[a.end()] == " " and b.group()[:1].islower())
    out, at, skip = [], 0, False
    for a, b in zip(words, words[1:]):
        if skip:
            skip = False
            continue
        if b.start() != a.end() + 1 or text[a.end()] != " " or not b.group()[:1].islower():
            continue
        first, second = a.group(), b.group()
        joined = (first + second).lower()
        seen_split = pairs[(first.lower(), second)]
        stray = [w for w in (first.lower(), second) if vocabulary[w] <= seen_split]
        if vocabulary[joined] and stray:
            report.counts["split word joined"] += 1
            out.append(text[at:a.end()])
            at = b.start()
            skip = True  # the second word is used: it cannot start the next pair
    out.append(text[at:])
    return "".join(out)
