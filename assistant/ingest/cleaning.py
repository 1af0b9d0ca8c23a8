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

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import bundled_model_path
from ..text.vocabulary import BULLET, LETTER_LABEL

_WORD = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?|\d+")
# A word broken at a line end: "conse-\nquences", "discus -\nsion".
_LINE_END_BREAK = re.compile(r"\b([A-Za-z]+)( ?)-[ \t]*\n([ \t]*)([a-z]+)([^\s]*)[ \t]?")
# The words of a line, for words split by a space: "critica l", "go od", "elaborati on".
_SPLIT_WORD_TOKEN = re.compile(r"[A-Za-z]+|\d+")
_BULLET_LINE_START = re.compile(rf"[ \t]*{BULLET}[ \t]*")
_YEAR_PARTS = re.compile(r"(?:19|20)\d\d")
# A function word a conversion ran into the word before or after it: "determinedto", "andto" (the
# Charter's preamble), "ofcontact", "thebox". Only these: "therein", "insecure", "forbidding", "within"
# are words; so are "thereto", "hereof", "whereof" (the 22,000-word lexicon lacks them).
_GLUED_AFTER = ("to", "of", "and")
_GLUED_BEFORE = ("of", "the", "and")
_ADVERB_HEADS = ("there", "here", "where")
_LOWER_WORD = re.compile(r"(?<![\w’'-])[a-z]{5,}(?![\w’'-])")
# A hyphen set off by a stray space: "Open -ended", "non -intervention".
_SPACED_HYPHEN = re.compile(r"\b([A-Za-z]+) -([a-z]+)\b")
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
_NOTE_REFERENCE = re.compile(r"(?<=[a-z][.,;:”\"’)])\d{1,3}(?:, ?\d{1,3})*(?=\s|$)", re.MULTILINE)
# A note reference run into the word it follows: "Critical infrastructure4 is", "online1 –", "chain12.”";
# not a token of a web address or a code ("title3-vol1", "/pdf", "ipv6": the letters are no word).
_NOTE_AFTER_WORD = re.compile(r"(?<![\w/.@\-])([a-z]{3,})(\d{1,3})(?=[\s.,;:)”’\"]|$)", re.MULTILINE)
# A sentence or clause run into the next with no space: "these aims.Accordingly", "all peoples,Have";
# not a web address or a file name ("www.Example", "report.Pdf": the letters are no words).
_MARK_BEFORE_WORD = re.compile(r"(?<![\w/.@\-])([a-z]{2,})([.,;:])([A-Z][a-z]{2,})\b")
# A list label run into its item at a line start: the UN Charter's "a.to ensure", "b.promoting".
_LABEL_LINE = re.compile(rf"^[ \t]*{LETTER_LABEL}", re.MULTILINE)
_GLUED_LABEL = re.compile(rf"({_LABEL_LINE.pattern})(?=([a-z]{{2,}})\b)", re.MULTILINE)
_NOTE_START = re.compile(r"^\s*(\d{1,3})(?:(?=[A-Z“\"])|\s+(?=[A-Z“\"]))")
_SOURCE_MARK = re.compile(r"https?://|www\.\w|\(\d{4}\)|\bIbid\b|\bop\. cit|,\s+at\s+\d|\bpp?\.\s*\d"
                          r"|\b(?:accessed|retrieved|available at)\b"
                          r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                          r"December)\s+\d{1,2},\s+\d{4}", re.IGNORECASE)
NOTE_MAX_LINES = 4
# Reference lists: a heading that opens one (letter-spaced "b i b li o g r a P h y" read closed up),
# and the marks of a page of references.
_REFERENCES_HEADING = re.compile(r"^\s*(?:appendix\s+\w+\s*:?\s*)?(?:references|bibliography|endnotes|notes|"
                                 r"sources|works\s*cited)\s*$", re.IGNORECASE)
_WEB_SOURCE = re.compile(r"https?://|<?www\.\w|\baccessed\b|\bretrieved\b|\bIbid\b", re.IGNORECASE)
_QUOTED = re.compile(r"[“\"][^”\"]{8,}[”\"]")
REFERENCE_MIN_LINES = 8
REFERENCE_SHARE = 0.25
# ... or when it is a numbered list (at least this many entries) of which this share cite sources.
REFERENCE_MIN_ENTRIES = 5
REFERENCE_ENTRY_SHARE = 0.6
_ENTRY_NUMBER = re.compile(r"^\s*\d{1,3}\.\s+\S")
# A footnote rule: the notes of the page follow it, up to this many lines.
_NOTE_RULE = re.compile(r"^\s*_{5,}\s*$")
NOTE_AREA_MAX_LINES = 12
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
    line_breaks = line_break_splits(texts)
    running = set() if markdown else _running_blocks(texts, _running_lines(texts))
    headers = _header_texts(texts, running)
    hyphen_forms = _HyphenForms.of(texts, hyphenated)
    out = []
    in_references = False  # the sheet before ended inside a reference list
    for text in texts:
        sheets = []
        for sheet in text.split("\f"):  # form feeds end the pages of converted text
            sheet, n = _SOFT_HYPHEN.subn("", sheet)
            report.counts["soft hyphen joined"] += n
            sheet = _join_line_end_breaks(sheet, vocabulary, hyphenated, report)
            # Before lines are dropped: a word broken across lines is whole when the page is read
            # ("h\nttps://..." a URL-only line, "I\nnternational" not a roman page number "I").
            sheet = _join_split_words(sheet, vocabulary, line_breaks, hyphenated, report)
            # Before lines are dropped: a lone "C" (or "I", "V") is also a roman page number.
            sheet = _restore_drop_capital(sheet, vocabulary, report)
            sheet = _drop_lines(sheet, running, markdown, report, headers)
            # A sentence broken over blank lines ("Create: After curating,\n\n\ncollaborating and ..."):
            # a line ending in a comma and blank lines before one going on in lower case.
            sheet, n = _BROKEN_AT_COMMA.subn(", ", sheet)
            report.counts["sentence broken over blank lines joined"] += n
            # After footnotes are out, so that a page of prose with many notes is not taken for references.
            sheet, in_references = _without_references(sheet, in_references, report)
            sheet, n = _NOTE_REFERENCE.subn("", sheet)
            report.counts["note reference"] += n
            sheet = _split_glued_marks(sheet, vocabulary, report)
            sheet = _split_joined_words(sheet, vocabulary, report)
            sheet = _restore_lost_hyphens(sheet, vocabulary, hyphenated, hyphen_forms, report)
            sheets.append(sheet)
        out.append("\f".join(sheets))
    return out, report


_BROKEN_AT_COMMA = re.compile(r",[ \t]*\n(?:[ \t]*\n)+[ \t]*(?=[a-z])")
_DROP_CAPITAL = re.compile(r"\n[ \t]*([A-Z])[ \t]*(?=(?:\n[ \t]*\d{1,4}[ \t]*)?\s*$)")
_OPENING_FRAGMENT = re.compile(r"^\s*([a-z]+)")


def _restore_drop_capital(sheet: str, vocabulary: Counter, report: CleaningReport) -> str:
    """A page opening with a drop capital, which the PDF's text order puts on a line of its own at
    the page's end, before its number ("... PILLAR I\nP\n6", and "rotecting the American people" at
    its start): the letter back on its word, when together they make a word the document or the
    English lexicon knows."""
    letter = _DROP_CAPITAL.search(sheet)
    fragment = _OPENING_FRAGMENT.match(sheet)
    if not letter or not fragment:
        return sheet
    word = (letter.group(1) + fragment.group(1)).lower()
    if vocabulary.get(word, 0) < 2 and word not in english_words():
        return sheet
    report.counts["drop capital restored"] += 1
    return sheet[:fragment.start(1)] + letter.group(1) + sheet[fragment.start(1):letter.start()] + sheet[letter.end():]


def _without_references(sheet: str, continuing: bool, report: CleaningReport) -> tuple[str, bool]:
    """A page of a reference list, or the part of a page after a "References" heading, taken out.
    A page is one when a quarter of its lines cite web sources ("accessed", URLs), or when the
    list began on an earlier page and a quarter of its lines still cite sources of any kind.
    Returns the page and whether a reference list runs on past it."""
    lines = sheet.split("\n")
    filled = [ln for ln in lines if ln.strip()]
    if not filled:
        return sheet, continuing
    web = sum(bool(_WEB_SOURCE.search(ln)) for ln in filled) / len(filled)
    cited = sum(bool(_SOURCE_MARK.search(ln) or _QUOTED.search(ln)) for ln in filled) / len(filled)
    enough = len(filled) >= REFERENCE_MIN_LINES
    if enough and (web >= REFERENCE_SHARE or (continuing and cited >= REFERENCE_SHARE) or _numbered_sources(filled)):
        report.counts["reference page"] += 1
        return "", True
    for i, line in enumerate(lines):
        if _REFERENCES_HEADING.match(" ".join(re.sub(r"(?<=\S) (?=\S)", "", line).split())):
            # A heading, not a wrapped line ending in "References": what follows cites sources.
            following = " ".join([" ".join(ln.split()) for ln in lines[i + 1:] if ln.strip()][:6])
            marks = _SOURCE_MARK.findall(following) + _QUOTED.findall(following) + _WEB_SOURCE.findall(following)
            if len(marks) >= 2:
                report.counts["reference list"] += 1
                return "\n".join(lines[:i]), True
            if enough and cited >= REFERENCE_SHARE:  # the heading set in a margin, after the page's entries
                report.counts["reference page"] += 1
                return "", True
    return sheet, False


def _numbered_sources(filled: list[str]) -> bool:
    """Whether a page is a numbered list of sources ("8. Cybersecurity Tech Accord and The Economist" /
    "Intelligence Unit, “Securing a Shifting Landscape: ...” (2021) <https://..."): most of its lines are
    in numbered entries, and most entries cite (a web address, a quoted title, a date). Counted by
    entry, not by line: an entry wraps over three to five lines, only one of which holds the address."""
    starts = [i for i, line in enumerate(filled) if _ENTRY_NUMBER.match(line)]
    if len(starts) < REFERENCE_MIN_ENTRIES or len(filled) - starts[0] < 0.5 * len(filled):
        return False
    entries = [" ".join(filled[a:b]) for a, b in zip(starts, starts[1:] + [len(filled)])]
    citing = sum(bool(_SOURCE_MARK.search(e) or _QUOTED.search(e) or _WEB_SOURCE.search(e)) for e in entries)
    return citing >= REFERENCE_ENTRY_SHARE * len(entries)


def _key(line: str) -> str:
    """Running headers differ only by the page number (arabic or roman, before or after the title),
    which may stand on the line or not. A letter-spaced header ("xii T H E N A T I O N A L S T R A T
    E G Y ...") is keyed by its letters run together, as the one title it is."""
    line = re.sub(r"\s[ivxlc]{1,6}\s*$", " ", line.rstrip() + " ", flags=re.IGNORECASE)
    line = re.sub(r"^\s*[ivxlc]{1,6}\s(?=(?:\S\S?\s){4})", " ", line, flags=re.IGNORECASE)
    words = re.sub(r"\d+", " ", line).split()
    if len(words) >= 8 and sum(len(w) == 1 for w in words) >= 0.8 * len(words):
        return "".join(words).casefold()
    return " ".join(words).casefold()


def _running_lines(texts: list[str]) -> set[str]:
    """Keys of short lines repeated across pages: running headers and footers."""
    sheets = [s for t in texts for s in t.split("\f")]
    per_sheet = Counter(k for s in sheets for k in {_key(ln) for ln in s.splitlines() if ln.strip()})
    total = Counter(_key(ln) for s in sheets for ln in s.splitlines() if ln.strip())
    counts = per_sheet if len(sheets) >= 4 else total
    needed = max(RUNNING_MIN_REPEATS, int(0.3 * len(sheets))) if len(sheets) >= 4 else RUNNING_MIN_REPEATS
    running = {k for k, n in counts.items()
               if n >= needed and len(k.split()) <= RUNNING_MAX_WORDS and re.search(r"[a-z]{3}", k)
               and not k.rstrip().endswith((".", ",", ";", ":")) and not k.startswith(("#", "|", "-", "*", "•"))}
    # A word set in spaced capitals ("E X E C U T I V E", "S U M M A R Y") repeated in a document is a
    # section's running head, however few of its pages the section fills; it is no heading of the text.
    spaced = Counter(_key(ln) for s in sheets for ln in s.splitlines() if _LETTER_SPACED.match(ln))
    return running | {k for k, n in spaced.items() if n >= RUNNING_MIN_REPEATS}


_LETTER_SPACED = re.compile(r"^\s*(?:[A-Z]\s+){3,}[A-Z]\s*$")


def _drop_lines(text: str, running: set[str], markdown: bool, report: CleaningReport,
                headers: frozenset[str] = frozenset()) -> str:
    """Without page numbers, document codes, URL-only lines, running headers and footnotes; a
    sentence broken by what was taken out (a page end) reads on as one paragraph. `headers`: the
    running headers set over several lines, as text (`_header_texts`)."""
    lines = text.split("\n")
    kept: list[str | None] = []  # None: a line taken out
    header = ""  # the running header's words read so far, while its lines are being taken out
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip():
            key = _key(line)
            # A header wrapped otherwise on this page ("... in the context" / "of international security"
            # under "... in the context of" / "international security" elsewhere): its lines go on
            # with the words of the header they follow.
            going_on = f"{header} {key}" if header else ""
            if going_on and any(f" {going_on} " in h for h in headers):
                header = going_on
            else:
                header = key if key in running else ""
        if _NOTE_RULE.match(line):
            n = _note_area_length(lines, i, running)
            report.counts["footnote area"] += 1
            report.notes.extend(" ".join(ln.split()) for ln in lines[i + 1:i + n] if ln.strip())
            kept.extend([None] * n)
            i += n
            continue
        if line.strip() and not markdown and _NUMBER_LINE.match(line):
            report.counts["page number or code"] += 1
        elif _URL_LINE.match(line):
            report.counts["web address line"] += 1
        elif line.strip() and header:
            report.counts["running header"] += 1
        elif (n := _note_length(lines, i)):
            report.counts["footnote"] += 1
            report.notes.append(" ".join(" ".join(lines[i:i + n]).split()))
            kept.extend([None] * n)
            i += n
            continue
        else:
            kept.append(line)
            i += 1
            continue
        kept.append(None)
        i += 1
    return "\n".join(_mend_breaks(kept))


def _running_blocks(texts: list[str], running: set[str]) -> set[str]:
    """The running lines with the lines that follow them in at least two places: a header set over
    several lines ("Programme of action to advance ... in the" / "use of information and
    communications technologies in the context of" / "international security")."""
    lines = [_key(ln) for t in texts for ln in t.splitlines() if ln.strip()]
    seen = Counter(lines)
    keys = set(running)
    for _ in range(3):  # a header of up to four lines
        after = Counter((key, nxt) for key, nxt in zip(lines, lines[1:]) if key in keys and nxt not in keys)
        # Following the header nearly every time it stands: not a line that happens to follow it twice.
        more = {nxt for (key, nxt), n in after.items() if n >= max(2, 0.6 * seen[key]) and re.search(r"[a-z]{3}", nxt)
                and len(nxt.split()) <= RUNNING_MAX_WORDS and not nxt.rstrip().endswith((".", ";", ":", ","))}
        if not more:
            break
        keys |= more
    return keys


def _header_texts(texts: list[str], running: set[str]) -> frozenset[str]:
    """The running headers set over two lines or more, each as the keys of its lines joined (with a
    space at either end, to find a run of whole words in it)."""
    out = set()
    for text in texts:
        block: list[str] = []
        for line in [*text.splitlines(), ""]:
            if line.strip() and _key(line) in running:
                block.append(_key(line))
                continue
            if line.strip() or not block:  # blank lines inside a header do not end it
                if len(block) >= 2:
                    out.add(f" {' '.join(block)} ")
                block = []
    return frozenset(out)


def _note_area_length(lines: list[str], i: int, running: set[str]) -> int:
    """Lines from a footnote rule ("__________") to the end of the page's notes: up to the next
    running header, or up to the first blank line when no header follows soon."""
    end = min(len(lines), i + NOTE_AREA_MAX_LINES)
    for j in range(i + 1, end):
        if lines[j].strip() and _key(lines[j]) in running:
            return j - i
    for j in range(i + 1, end):
        if not lines[j].strip():
            return j - i
    return 1


def _mend_breaks(kept: list[str | None]) -> list[str]:
    """The kept lines; where lines were taken out between a line that ends mid-sentence and the
    next text, the blank lines between them go too (the sentence went on over a page end)."""
    out: list[str] = []
    i = 0
    while i < len(kept):
        if kept[i] is not None:
            out.append(kept[i])
            i += 1
            continue
        j = i
        while j < len(kept) and (kept[j] is None or not kept[j].strip()):
            j += 1
        while out and not out[-1].strip():
            out.pop()
        if not out or j >= len(kept) or out[-1].rstrip().endswith((".", "!", "?", ":", ";")):
            out.extend(ln for ln in kept[i:j] if ln is not None)  # keep the paragraph break
        i = j
    return out


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


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole lower-case words of the bundled embedding model's vocabulary (about 22,000): an English
    lexicon that ships with the project, for a word a document happens to write only once."""
    # The bundled base model's: the served model may be a fine-tuned copy saved without vocab.txt, and
    # the cleaned text must not depend on which model serves.
    path = Path(bundled_model_path()) / "vocab.txt"
    try:
        lines = path.read_text(encoding="utf-8").split()
    except OSError:
        return frozenset()  # another model, or none: the document's own words decide alone
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def _split_pairs(text: str) -> list[tuple[re.Match, re.Match, bool]]:
    """Neighbouring tokens that may be one word split in two, each with whether a line break (not a
    space) parts them: one space apart, and the second goes on the first (a lower-case word, or the
    end of a year: "202 1"; other numbers side by side are too often two numbers). Or one line break
    apart, a word broken with no hyphen ("• Go\nvernments"): words only, joined only into a word of
    the document."""
    words = list(_SPLIT_WORD_TOKEN.finditer(text))
    out = []
    for a, b in zip(words, words[1:]):
        if b.start() != a.end() + 1:
            continue
        broken = text[a.end()] == "\n"
        if broken:
            split = b.group()[:1].islower() and a.group()[:1].isalpha()
        else:
            split = text[a.end()] == " " and (
                b.group()[:1].islower() and a.group()[:1].isalpha()
                or a.group().isdigit() and b.group().isdigit() and bool(_YEAR_PARTS.fullmatch(a.group() + b.group()))
                and len(a.group()) >= 2)
        if split:
            out.append((a, b, broken))
    return out


def line_break_splits(texts: list[str]) -> Counter:
    """How often the document breaks each pair of tokens across a line, over all its pages: a part
    seen only in such breaks is no word of its own ("• Re\nlatedly", six times in one report, once a
    page). Pairs one space apart are counted within a page: "a broad" written twice in a document
    whose "broad" always follows "a" is no split of "abroad"."""
    return Counter((a.group().lower(), b.group()) for text in texts for a, b, broken in _split_pairs(text) if broken)


def _join_split_words(text: str, vocabulary: Counter, line_breaks: Counter, hyphenated: Counter,
                      report: CleaningReport) -> str:
    """ "critica l" -> "critical": two words one space apart, one of them seen nowhere else in the
    document, whose join is a word of the document; or, when the document never writes the word whole
    ("the common go od of"), a word of the English lexicon, if the stray part is no word of it."""
    lexicon = english_words()
    pairs = _split_pairs(text)
    spaced_here = Counter((a.group().lower(), b.group()) for a, b, broken in pairs if not broken)
    out, at, used = [], 0, None
    for a, b, broken in pairs:
        if a is used:  # the second word of a join cannot start the next one
            continue
        first, second = a.group(), b.group()
        joined = (first + second).lower()
        seen_split = (line_breaks if broken else spaced_here)[(first.lower(), second)]
        stray = [w for w in (first.lower(), second) if vocabulary[w] <= seen_split]
        # A bullet and the first letters of its item alone on a line ("• Th\ne European Centre"): the
        # layout broke the item's first word, though "th" and "e" each stand elsewhere in the text.
        broken_bullet = broken and len(first) <= 3 and bool(_BULLET_LINE_START.fullmatch(
            text, text.rfind("\n", 0, a.start()) + 1, a.start())) and (vocabulary[joined] or joined in lexicon)
        if broken_bullet or stray and (vocabulary[joined] or not broken and joined in lexicon and second.islower()
                                       and any(w not in lexicon for w in stray)):
            report.counts["split word joined"] += 1
            out.append(text[at:a.end()])
            at = b.start()
            used = b
    out.append(text[at:])
    return _SPACED_HYPHEN.sub(lambda m: _mend_spaced_hyphen(m, hyphenated, report), "".join(out))


def _split_glued_marks(text: str, vocabulary: Counter, report: CleaningReport) -> str:
    """A note number run into the word before it ("infrastructure4 is" -> "infrastructure is"), taken
    out as a note reference after a full stop is; a sentence run into the next ("aims.Accordingly"), set
    apart; a list label run into its item ("a.to ensure" ->
    "a. to ensure", on a page with other lettered items), set off so the item reads as one. Both only
    where the letters are a word: of the English lexicon, or one the document writes often."""
    lexicon = english_words()

    def word(w: str) -> bool:
        return w in lexicon or vocabulary[w] >= 3

    def note(m: re.Match) -> str:
        if not word(m.group(1)):
            return m.group()
        report.counts["note reference"] += 1
        return m.group(1)

    def label(m: re.Match) -> str:
        if not word(m.group(2)):
            return m.group()
        report.counts["list label set off"] += 1
        return m.group(1) + " "

    def mark(m: re.Match) -> str:
        if not (word(m.group(1)) and word(m.group(3).lower())):
            return m.group()
        report.counts["space after a mark put back"] += 1
        return f"{m.group(1)}{m.group(2)} {m.group(3)}"

    text = _NOTE_AFTER_WORD.sub(note, text)
    text = _MARK_BEFORE_WORD.sub(mark, text)
    return _GLUED_LABEL.sub(label, text) if len(_LABEL_LINE.findall(text)) >= 2 else text


def _split_joined_words(text: str, vocabulary: Counter, report: CleaningReport) -> str:
    """ "determinedto" -> "determined to": a lower-case word of no English (no word of the lexicon) that is
    a word the document writes on its own and a function word run together (`_GLUED_AFTER`,
    `_GLUED_BEFORE`), as a conversion that lost a space or a line break writes it."""
    lexicon = english_words()
    if not lexicon:
        return text  # no lexicon to tell a word from a join: the text is left as it is

    def part(word: str) -> bool:
        return word in lexicon and vocabulary[word] > 0

    def split(m: re.Match) -> str:
        word = m.group()
        if word in lexicon or word.startswith(_ADVERB_HEADS):
            return word
        for glue in _GLUED_AFTER:
            head = word[:-len(glue)]
            if word.endswith(glue) and len(head) >= 3 and part(head) and vocabulary[glue]:
                report.counts["joined words split"] += 1
                return f"{head} {glue}"
        for glue in _GLUED_BEFORE:
            rest = word[len(glue):]
            if word.startswith(glue) and len(rest) >= 3 and part(rest) and vocabulary[glue]:
                report.counts["joined words split"] += 1
                return f"{glue} {rest}"
        return word

    return _LOWER_WORD.sub(split, text)


# A compound spaced where the document hyphenates it this many times as often is a hyphen lost.
SPACED_COMPOUND_RATIO = 3


def _restore_lost_hyphens(text: str, vocabulary: Counter, hyphenated: Counter, forms: _HyphenForms,
                          report: CleaningReport) -> str:
    """ "SecretaryGeneral" -> "Secretary-General", "confidencebuilding" -> "confidence-building":
    a compound that lost its hyphen in conversion, where the document writes it hyphenated at
    least as often as joined."""
    def mend(m: re.Match) -> str:
        word = m.group()
        compound = forms.unhyphenated.get(word.lower())
        if not compound or hyphenated[compound] < vocabulary[word.lower()]:
            return word
        report.counts["lost hyphen restored"] += 1
        cut = compound.index("-")
        return f"{word[:cut]}-{word[cut:]}"

    def mend_pair(m: re.Match) -> str:
        compound = f"{m.group(1)}-{m.group(2)}".lower()
        if not hyphenated[compound] or hyphenated[compound] < SPACED_COMPOUND_RATIO * forms.spaced[compound]:
            return m.group()
        report.counts["lost hyphen restored"] += 1
        return f"{m.group(1)}-{m.group(2)}"

    if not forms.unhyphenated:
        return text
    text = re.sub(r"\b[A-Za-z]{6,}\b", mend, text)
    # "Open ended Working Group" beside many "open-ended": a hyphen read as a space.
    return forms.pairs.sub(mend_pair, text)


@dataclass
class _HyphenForms:
    """A document's hyphenated compounds as they may appear without their hyphen: joined
    ("secretarygeneral" -> "secretary-general"), or spaced (the pattern, and how often each is)."""
    unhyphenated: dict[str, str]
    pairs: re.Pattern
    spaced: Counter

    @classmethod
    def of(cls, texts: list[str], hyphenated: Counter) -> _HyphenForms:
        firsts = sorted({re.escape(c.split("-")[0]) for c in hyphenated}) or ["(?!)"]
        pairs = re.compile(r"\b(" + "|".join(firsts) + r") ([a-z]+)\b", re.IGNORECASE)
        spaced = Counter(f"{a}-{b}".lower() for text in texts for a, b in pairs.findall(text))
        return cls({c.replace("-", ""): c for c in hyphenated}, pairs, spaced)


def _mend_spaced_hyphen(m: re.Match, hyphenated: Counter, report: CleaningReport) -> str:
    compound = f"{m.group(1)}-{m.group(2)}"
    if hyphenated[compound.lower()]:
        report.counts["spaced hyphen closed"] += 1
        return compound
    return m.group(0)
