"""The one vocabulary of document structure: numbered units, counts, ordinals and list markers.

Documents number their units ("Article 35", "Pillar IV", "Strategic Objective 2.4") and announce
their lists ("five national priorities", "First, ...", "(1) ..."); questions name the same
things. Headings are recognised with HEADING_UNIT_WORDS; REFERABLE_UNITS are the units a
question may name by number. Imports nothing of the package but the tokeniser."""
from __future__ import annotations

import re
from functools import lru_cache

from .tokens import content_terms, content_terms_many, stopwords

# Unit words a heading may open with, and the numbers that follow them ("Article 35", "PILLAR I",
# "Function One", "Part A").
HEADING_UNIT_WORDS = (r"Article|Section|Chapter|Pillar|Objective|Strategic Objective|Principle|Priority|Part|"
               r"Annex|Appendix|Title|Goal|Line of Effort|Initiative|Recommendation|Step|Function|Tier")
HEADING_NUMBER = r"(?:\d{1,3}(?:\.\d{1,2})*|[IVXLC]{1,6}|One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|[A-Z])"

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split())}
ORDINALS = "zeroth first second third fourth fifth sixth seventh eighth ninth tenth".split()
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
REFERABLE_UNITS = ("article", "pillar", "section", "chapter", "principle", "objective", "tier", "norm", "recommendation")
# Words a document numbers its own parts with ("Section 1.2", "Table 2.1"): what follows them is a
# part's number, never a version of a text.
PART_WORDS = frozenset(w.lower() for w in HEADING_UNIT_WORDS.split("|") if " " not in w) | set(REFERABLE_UNITS) | {
    "paragraph", "subsection", "figure", "table", "box", "rule"}
# A unit's number as questions and headings write it: "35", "IV", "two" (read with IGNORECASE).
_UNIT_NUMBER = r"(\d{1,3}|[ivxlc]{1,6}|" + "|".join(NUMBER_WORDS) + r")"
_REFERENCE = re.compile(r"\b(" + "|".join(REFERABLE_UNITS) + r"|art\.)\s+" + _UNIT_NUMBER + r"\b", re.IGNORECASE)


def number_value(token: str) -> int | None:
    t = token.lower()
    if t.isdigit():
        return int(t)
    if t in NUMBER_WORDS:
        return NUMBER_WORDS[t]
    total, prev = 0, 0
    for ch in reversed(t):
        v = _ROMAN.get(ch)
        if v is None:
            return None
        total, prev = (total - v, prev) if v < prev else (total + v, v)
    return total


def structural_references(text: str) -> set[tuple[str, int]]:
    """Numbered units a text names: "Article 2(4)" -> ("article", 2); "Pillar IV", "PILLAR TWO"
    -> ("pillar", 4), ("pillar", 2). Diplomats look treaty provisions up by these numbers."""
    refs = set()
    for kind, token in _REFERENCE.findall(text):
        n = number_value(token)
        if n is not None and n > 0:
            refs.add(("article" if kind.lower() == "art." else kind.lower(), n))
    return refs


def section_units(section: str) -> set[tuple[str, int]]:
    """The numbered unit a section heading opens with: "Article 35 – 24/7 Network" -> ("article", 35)."""
    match = _REFERENCE.match(section.strip())
    return structural_references(match.group(0)) if match else set()


_JOINER = {"–", "—", "-", "|"}


def heading_span(text: str, title: str, at: int = 0) -> tuple[int, int] | None:
    """Where a section's heading stands in `text` at a line start from `at` on, as the document
    lines it: the title found at ingest ("PILLAR I: PROTECT THE AMERICAN PEOPLE, THE HOMELAND, – AND
    THE AMERICAN WAY OF LIFE", its lines joined by " – ") matched across the line breaks it was
    joined over. (start, end), or None when the text does not hold it whole."""
    words = [w for w in title.split() if w not in _JOINER]
    if not words:
        return None
    pattern = _heading_pattern(tuple(words))
    match = pattern.search(text, at)
    return match.span(1) if match else None


def heading_at(text: str, title: str, at: int = 0) -> tuple[int, int] | None:
    """The section's heading (see heading_span) when it begins at `at`, past white space only."""
    span = heading_span(text, title, at)
    return span if span and not text[at:span[0]].strip() else None


@lru_cache(maxsize=512)
def _heading_pattern(words: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"^[ \t]*(" + r"\s*(?:[–—|-]\s*)?".join(map(re.escape, words)) + r")(?=\s|$)", re.MULTILINE)


@lru_cache(maxsize=32)
def unit_line(kind: str) -> re.Pattern:
    """A line opening with a numbered unit of `kind` ("PILLAR TWO |", "Tier 3:"); group 1 is the number."""
    return re.compile(rf"^[ \t]*{re.escape(kind)}s?\s+{_UNIT_NUMBER}\b", re.IGNORECASE | re.MULTILINE)


def titled_heading(heading: str) -> bool:
    """Whether a numbered heading carries its title on the number's line ("PILLAR II: PROMOTE
    AMERICAN PROSPERITY"), not on lines of its own below ("PILLAR IV\nAdvance American")."""
    first = heading.split("\n")[0].strip()
    match = _REFERENCE.match(first)
    return bool(match and re.search(r"[A-Za-z]{2}", first[match.end():]))


COUNT_WORDS = {w: n for w, n in NUMBER_WORDS.items() if 2 <= n <= 12}
_COUNTED = r"\s+((?:[A-Za-z][\w’'-]*[\s,—–-]+){0,4}[A-Za-z][\w’'-]*)"
COUNT_PATTERN = re.compile(r"\b(" + "|".join(COUNT_WORDS) + r"|[2-9]|1[0-2])" + _COUNTED, re.IGNORECASE)
# In a document, a count is a word: digits number articles and pages, and matched first they would
# swallow the count after them ("Section 6 highlights seven recommendations").
COUNT_WORD_PATTERN = re.compile(r"\b(" + "|".join(COUNT_WORDS) + r")" + _COUNTED, re.IGNORECASE)


@lru_cache(maxsize=1)
def count_stems() -> dict[int, str]:
    """Count -> its stemmed word as the BM25 index holds it (5 -> "five", 12 -> "twelv")."""
    return {n: content_terms(w)[0] for w, n in COUNT_WORDS.items()}


@lru_cache(maxsize=1)
def unit_of_stem() -> dict[str, str]:
    """Stemmed unit names ("pillar", "principl") -> the unit ("principle")."""
    return {content_terms(unit)[0]: unit for unit in REFERABLE_UNITS}


def noun_phrase(words: str, joined_by_and: bool) -> str:
    """The words after a count up to the first function word ("priorities did the ..." ->
    "priorities"); in a text "five concurrent and continuous Functions" keeps its "and"."""
    kept = []
    for word in re.split(r"[\s,—–]+", words.strip()):
        if word.lower() in stopwords():
            if joined_by_and and word.lower() == "and":
                continue
            break
        kept.append(word)
    return " ".join(kept)


def counted_terms(texts: list[str]) -> list[set[tuple[int, str]]]:
    """Per text, (count, stemmed word) for the words just after a count word: "articulates five
    national priorities" -> (5, "nation"), (5, "prioriti"). Documents announce their lists this
    way; digits in a text are mostly numbers of articles or pages, not counts."""
    runs = [(t, COUNT_WORDS[number.lower()], noun_phrase(words, True)) for t, text in enumerate(texts)
            for number, words in COUNT_WORD_PATTERN.findall(text)]
    out: list[set[tuple[int, str]]] = [set() for _ in texts]
    for (t, n, _), terms in zip(runs, content_terms_many([phrase for _, _, phrase in runs])):
        out[t].update((n, term) for term in terms)
    return out


@lru_cache(maxsize=256)
def item_opening(m: int, stem: str) -> re.Pattern:
    ordinal = ORDINALS[m]
    return re.compile(rf"(?:^|[.:;]\s+)(?:{ordinal})(?:ly)?,|\b{ordinal}\s+(?:\w+\s+)?{re.escape(stem)}",
                      re.IGNORECASE | re.MULTILINE)


def item_openings(n: int, stem: str, first: int = 1) -> list[re.Pattern]:
    """Where the items `first` to n of an announced list of `stem`s open, one pattern each:
    "Second, ..." or "Secondly," at a sentence start, or "For its second mission, ...". Ordinals
    go up to "tenth": items of a longer list past the tenth are not looked for."""
    return [item_opening(m, stem) for m in range(first, min(n, len(ORDINALS) - 1) + 1)]


# A bullet glyph, as converters write one: the list marker below, and the cleaning's test for a bullet
# alone at a line start ("• Th\ne European Centre").
BULLET = r"[•▪●◦‣·*–-]"
# A lettered item's label: "b)", "(c)", "a." (also the cleaning's test for one run into its item, "a.to").
LETTER_LABEL = r"\(?[a-z][.)]"
# A lower-case lettered or roman item's label, "a)", "(b)", "c.", "(ii)": an item going on with the sentence
# its lead-in begins (sentences joins it back, the answerer never quotes it alone).
SUB_ITEM_LABEL = r"\(?(?:[a-z]|[ivx]{1,4})[.)]"
# A list item's marker: "•", "(1)", "2.", "1.1." (a resolution's norms), "b)", "(iv)", "IV." (a
# strategy's "I. A National Cyberspace Security Response System;").
LIST_MARKER = (r"(?:" + BULLET + r"|\(?\d{1,2}(?:\.\d{1,2}){0,2}[.)]|" + LETTER_LABEL
               + r"|\(?[ivx]{1,4}\)|\(?[IVX]{1,4}[.)])")
LIST_ITEM = re.compile(rf"\s*{LIST_MARKER}\s")
BARE_MARKER = re.compile(rf"\s*{LIST_MARKER}\s*")  # a marker the sentence splitter left on its own

INLINE_ITEM = re.compile(r"\(\d{1,2}\)\s")
# "The five functions are Identify, Protect, Detect, Respond, and Recover": a count, its noun, a
# verb of listing and the items run on with commas.
LISTED_INLINE = re.compile(r"\b(?:" + "|".join(COUNT_WORDS) + r")\s+(?:[\w’'-]+\s+){0,3}?[\w’'-]+\s+"
                            r"(?:are|were|include|includes|including|comprise|comprises)\s*:?\s+[^.;]*,[^.;]*,",
                            re.IGNORECASE)
