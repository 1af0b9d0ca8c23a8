"""Answering: ranked chunks -> a short answer whose every sentence is cited.

The default answerer is extractive: it quotes the source sentences that best answer the
question, verbatim, each followed by its marker [n]. It abstains when the retrieved
evidence is weak. The generative answerer lives in generation.py and shares the records.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from dataclasses import asdict, dataclass, field

import numpy as np

from .chunking import sentence_spans
from .config import AnswerSettings
from .retrieval import (COUNT_WORDS, Retrieved, aliased_documents, counted_request, counted_terms, fold_words,
                        item_openings, named_documents, section_units, structural_references)
from .store import bm25_postings, content_terms, content_terms_many, stopwords

ABSTAIN_TEXT = "The indexed documents do not answer this question."


@dataclass
class Citation:
    n: int
    file: str
    title: str
    page: int | None
    section: str
    quote: str
    publisher: str = ""
    year: str = ""


@dataclass
class Passage:
    rank: int
    file: str
    title: str
    page: int | None
    section: str
    text: str
    score: float
    publisher: str = ""
    year: str = ""
    type: str = ""
    jurisdiction: str = ""


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Passage] = field(default_factory=list)
    standalone_question: str = ""
    backend: str = "extractive"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def passages_of(results: list[Retrieved]) -> list[Passage]:
    return [Passage(r.rank, r.chunk.file, r.meta.title, r.page, r.chunk.section, text_of(r),
                    round(r.similarity, 4), r.meta.publisher, r.meta.year, r.meta.type, r.meta.jurisdiction)
            for r in results]


def citation_for(n: int, result: Retrieved, quote: str) -> Citation:
    text = text_of(result)
    at = text.find(quote)
    section = result.section_at(at) if at >= 0 and result.sections_of else result.chunk.section
    page = result.page_at(at) if at >= 0 else result.page
    return Citation(n, result.chunk.file, result.meta.title, page, section, quote,
                    result.meta.publisher, result.meta.year)


def text_of(r: Retrieved) -> str:
    """The passage shown and quoted (the chunk itself when no wider passage was made)."""
    return r.text or r.chunk.text


def fold(text: str) -> str:
    return " ".join(text.split())


def abstention(question: str, results: list[Retrieved], standalone: str, backend: str) -> Answer:
    pointers = "; ".join(
        f"{r.meta.title}{f', p. {r.page}' if r.page else ''}{f' ({r.chunk.section})' if r.chunk.section else ''}"
        for r in results[:3])
    text = ABSTAIN_TEXT + (f" The closest passages are in: {pointers}." if pointers else "")
    return Answer(question, text, True, [], passages_of(results), standalone, backend)


_IDENTIFIER = re.compile(r"\d")


def identifiers_absent(question: str, results: list[Retrieved]) -> bool:
    """True when the question names identifiers with digits (years, rule or article numbers,
    "NIS2") and not one of them appears in any retrieved passage, title, file name or
    heading: the documents then speak of something else ("Rule 92 of the Tallinn Manual",
    "ransomware attacks in 2024"). One match is enough, so comparisons across documents
    are not refused for a document that was not retrieved."""
    wanted = {t for t in content_terms(question) if _IDENTIFIER.search(t)}
    if not wanted:
        return False
    seen: set[str] = set()
    for r in results:
        names = f"{r.meta.title} {r.meta.year} {Path(r.chunk.file).stem.replace('_', ' ')} {r.chunk.section}"
        seen.update(content_terms(f"{names} {text_of(r)}"))
    return not (wanted & seen)


# Formal instruments, named in questions as "the EU Cyber Resilience Act", "the Second Additional
# Protocol". Strategies, frameworks and reports are left out: their names are paraphrased too often.
_INSTRUMENT = re.compile(r"\b((?:[A-Z][\w’'-]*\s+){1,5}(?:Act|Directive|Regulation|Law|Manual|Convention|Protocol|"
                         r"Treaty|Charter|Agreement|Declaration|Resolution|Code))\b")


def instrument_names(question: str) -> list[str]:
    """Names of formal instruments a question asks about: the last three words of each run of
    capitalised words ending in "Act", "Convention", "Protocol" and the like, without a
    capitalised question word in front ("Under the Budapest Convention" -> "Budapest Convention")."""
    names = []
    for run in _INSTRUMENT.findall(question):
        words = run.split()
        while words and words[0].lower() in stopwords():
            words.pop(0)
        if len(words) >= 2:
            names.append(" ".join(words[-3:]))
    return names


_VERSIONED = re.compile(r"\b([A-Z][\w-]+)\s+(?:[Vv]ersion\s+|[Vv])?(\d{1,2}\.\d{1,2})\b")


def versions_named(question: str) -> list[tuple[str, ...]]:
    """Versioned names a question uses, each as the ways a document would write it:
    "NIST Cybersecurity Framework 2.0" -> ("Framework 2.0", "Framework version 2.0", "Version 2.0")."""
    return [(f"{word} {number}", f"{word} version {number}", f"version {number}")
            for word, number in _VERSIONED.findall(question)]


class CorpusMentions:
    """Whether the indexed documents mention a phrase anywhere: the BM25 postings of its rarest
    word give the chunks to read, so a check costs a few chunk reads, not a corpus scan."""

    def __init__(self, bm25, chunks: list, documents: dict):
        self.bm25 = bm25
        self.chunks = chunks
        self.names = fold_words(" ".join(f"{m.title} {Path(f).stem.replace('_', ' ')}" for f, m in documents.items()))

    def __contains__(self, phrase: str) -> bool:
        target = fold_words(phrase)
        if not target or target in self.names:
            return True
        if self.bm25 is None:
            return True  # nothing to look in: never the ground for an abstention
        postings = [bm25_postings(self.bm25, t) for t in content_terms(phrase)]
        if not postings:
            return True
        rarest = min(postings, key=len)
        return any(target in fold_words(f"{self.chunks[d].section} {self.chunks[d].text}") for d in rarest)


_SPACED_HEADER = re.compile(r"\s*(?:\d+\s+)?(?:[A-Z]\s+){4,}(?=[A-Z][a-z])")
# A list item's marker: "•", "(1)", "2.", "b)", "(iv)".
_MARKER = r"(?:[•▪●◦\-*–]|\(?\d{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}\))"
_LIST_ITEM = re.compile(rf"\s*{_MARKER}\s")
_BARE_MARKER = re.compile(rf"\s*{_MARKER}\s*")  # a marker the sentence splitter left on its own
_TOC = re.compile(r"\.{5,}|…{3,}")


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# A reference-list entry or footnote: a dated source with a quoted title or a pinpoint
# ("“NSTAC Response to the Sixty Day Cyber Study Group,” March 12, 2009, at 18, 21."), or a
# footnote number followed by an author ("7 Business Software Alliance, ..., March 19, 2009").
# No word boundary before the month: text from PDFs runs words together ("InstituteSeptember 10, 2019").
_DATED = re.compile(rf"{_MONTH}\s+\d{{1,2}},\s+\d{{4}}|\b\d{{1,2}}\s+{_MONTH}\s+\d{{4}}")
# A web address: a source, not a statement ("<https://www.tni.org/en/publication/...>").
_WEB_ADDRESS = re.compile(r"https?://|\bwww\.\w")
# The tail of a note's source: a few words ending in a date ("No, Thanks., Cato Institute, March 13, 2009.").
_DATED_TAIL = re.compile(rf"(?:,\s*(?:{_MONTH}\s+\d{{1,2}},\s+|\d{{1,2}}\s+{_MONTH}\s+)\d{{4}}|\(\d{{4}}\))\W*$")
SOURCE_TAIL_MAX_WORDS = 12
_SOURCE_MARKS = re.compile(r"[“”\"]|,\s+at\s+[\dQ]|\bpp?\.\s*\d|https?://|\bIbid\b|\bet al\.|^\d{1,3}\s+[A-Z]")


# "Emerging Leaders for the Digital World 25 Aug, 2011 Data Diplomacy: Mapping the Field 19 Apr, 2006"
# is a list of dated links run together, not a sentence: a sentence holds two dates at most.
_ANY_DATE = re.compile(r"\b\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}\b|\b[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4}\b")


# An author-date reference: a quoted title and a year in brackets ("Alger C, “The Emerging Roles
# of NGOs in the UN System” (2002) 8 Global Governance").
_QUOTED_TITLE_YEAR = re.compile(r"[“\"][^”\"]{3,}[”\"],?\s*\((?:1[89]|20)\d\d\)")


def _reference_entry(text: str) -> bool:
    return bool(_DATED.search(text) and _SOURCE_MARKS.search(text)) or len(_ANY_DATE.findall(text)) >= 3 \
        or bool(_QUOTED_TITLE_YEAR.search(text)) \
        or bool(_WEB_ADDRESS.search(text)) \
        or (len(text.split()) <= SOURCE_TAIL_MAX_WORDS and bool(_DATED_TAIL.search(text)))


CAPTION_MAX_WORDS = 10


def _usable_sentence(text: str, raw: str = "") -> bool:
    words = text.split()
    if not 6 <= len(words) <= 90 or _TOC.search(text):
        return False
    if _reference_entry(text):
        return False
    # A date on a line of its own ("01 Dec, 2021") dates an entry of a list of links or news.
    if any(_ANY_DATE.fullmatch(line.strip()) for line in raw.splitlines()):
        return False
    # Starting in lower case without a list marker ("b) reserve the right ..."), it is the tail of
    # a sentence broken at a line or page end: "underpin all our cyber security objectives".
    if text[:1].islower() and not _LIST_ITEM.match(text):
        return False
    letters = sum(c.isalpha() for c in text)
    if letters < 0.6 * len(text.replace(" ", "")):
        return False
    if text.startswith("#") or text.isupper() or text.endswith("?"):
        return False
    ends = text.rstrip().endswith((".", ";", ":", "!", ")", "\"", "”", "’"))
    # Lines run together with no end mark are a list, a menu or a banner, not a sentence
    # ("Notes on the future … 10 Aug, 2019 Twiplomacy Study 2015 13 Aug, 2015 …").
    if not ends and raw.count("\n") >= 2:
        return False
    # Wrapped prose goes on in lower case on the next line; a run of lines that each start a
    # new item (capital or digit) is a list or menu, even when its last item ends in ":".
    lines = [line.lstrip() for line in raw.splitlines() if line.strip()]
    if len(lines) >= 4 and sum(line[:1].isupper() or line[:1].isdigit() for line in lines[1:]) \
            >= 0.8 * (len(lines) - 1):
        return False
    # A caption or heading in sentence case ("Government ICT strategic implementation plan 2011"):
    # a few words with no end mark.
    if not ends and len(words) < CAPTION_MAX_WORDS:
        return False
    # A heading or running title ("The Department of Defense Cyber Strategy"): title case, no end mark.
    capitalised = [w[0].isupper() for w in words if w[:1].isalpha() and len(w) > 3]
    if not ends and capitalised \
            and sum(capitalised) >= 0.8 * len(capitalised):
        return False
    return True


_PARAGRAPH = re.compile(r"\barticle\s+(\d{1,3})\s*\((\d{1,2})\)|\bparagraph\s+(\d{1,2})\s+of\s+article\s+(\d{1,3})",
                        re.IGNORECASE)


def named_paragraphs(question: str) -> set[tuple[int, int]]:
    """(article, paragraph) pairs a question names: "Article 2(4)", "paragraph 4 of Article 2"."""
    out = set()
    for a1, p1, p2, a2 in _PARAGRAPH.findall(question):
        out.add((int(a1), int(p1)) if a1 else (int(a2), int(p2)))
    return out


def _in_paragraph(section: str, sentence: str, paragraphs: set[tuple[int, int]]) -> bool:
    head = re.match(r"\s*article\s+(\d{1,3})\b", section, re.IGNORECASE)
    number = re.match(r"\s*\(?(\d{1,2})[.)]", sentence)
    return bool(head and number and (int(head.group(1)), int(number.group(1))) in paragraphs)


class TermWeights:
    """Inverse document frequency of stemmed terms, read off the BM25 index."""

    def __init__(self, bm25, n_docs: int):
        self.idf: dict[str, float] = {}
        if bm25 is not None:
            indptr = np.asarray(bm25.scores["indptr"])
            df = np.diff(indptr)
            for term, tid in bm25.vocab_dict.items():
                if tid < len(df):
                    self.idf[term] = math.log(1 + (n_docs - df[tid] + 0.5) / (df[tid] + 0.5))
        self.default = math.log(1 + n_docs) if n_docs else 1.0

    def __call__(self, term: str) -> float:
        return self.idf.get(term, self.default)


NAMED_ELSEWHERE_PENALTY = 0.2  # gold evidence coverage 0.314 -> 0.331, flat from 0.1 to 0.3; held-out unchanged
# The first sentence under a heading states what the provision or section is about (a topic
# sentence): gold evidence coverage 0.331 -> 0.355 (0.339-0.355 from 0.03 to 0.07, lower from
# 0.1), held-out 0.447 -> 0.467.
LEAD_BONUS = 0.05
# A sentence under the provision the question names ("Article 2" -> "Article 2 – Illegal access"):
# held-out evidence coverage 0.507 -> 0.547, gold 0.437 -> 0.445 (equal from 0.2 to 0.4).
NAMED_UNIT_BONUS = 0.2
# The opening sentence of the provision named says what it requires: "Article 16 of the Budapest
# Convention" is answered with paragraph 1, not paragraph 3 that the hit chunk holds (evidence
# coverage on gold and held-out equal at 0 and 0.1).
NAMED_UNIT_LEAD_BONUS = 0.1


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, settings: AnswerSettings, weights: TermWeights, documents: dict | None = None,
                 mentions: CorpusMentions | None = None):
        self.settings = settings
        self.weights = weights
        self.documents = documents or {}  # file -> DocumentMeta, to know which ones a question names
        self.mentions = mentions  # what the corpus mentions anywhere, to know what it never does

    def should_abstain(self, question: str, results: list[Retrieved]) -> bool:
        if not results:
            return True
        if max(r.similarity for r in results) < self.settings.abstain_below:
            return True
        if identifiers_absent(question, results):
            return True
        if self.mentions is None:
            return False
        # An instrument or a version no document mentions ("the EU Cyber Resilience Act",
        # "Framework 2.0" when the corpus holds version 1.1): whatever is retrieved speaks of
        # something else, however close its words.
        return any(name not in self.mentions for name in instrument_names(question)) or any(
            not any(form in self.mentions for form in forms) for forms in versions_named(question))

    def answer(self, question: str, results: list[Retrieved], standalone: str | None = None) -> Answer:
        standalone = standalone or question
        if self.should_abstain(standalone, results):
            return abstention(question, results, standalone, self.name)
        picked = self.select_sentences(standalone, results)
        if not picked:
            return abstention(question, results, standalone, self.name)
        # The list asked for may take one sentence more than usual (2-5 sentences in all).
        listed = announced_list(standalone, results)[:self.settings.max_sentences + 1]
        if listed:
            # The list asked for leads, read whole; the best other sentences follow while room is left.
            rest = [p for p in picked if not any(p[0] is q[0] and p[1] < q[2] and q[1] < p[2] for q in listed)]
            picked = listed + rest[:max(0, self.settings.max_sentences - len(listed))]
        picked = [(r, a, with_list(text_of(r), a, b)) for r, a, b in picked]
        citations, parts = [], []
        for n, (result, quote) in enumerate(merge_adjacent(picked), start=1):
            citations.append(citation_for(n, result, quote))
            parts.append(f"{fold(quote)} [{n}]")
        return Answer(question, " ".join(parts), False, citations, passages_of(results), standalone, self.name)

    def select_sentences(self, question: str, results: list[Retrieved]) -> list[tuple[Retrieved, int, int]]:
        """Best 2–4 sentences, as (passage, start, end) in reading order: question-term overlap (IDF-weighted) plus the passage's own
        relevance; later picks favour documents not yet quoted and skip near-repeats."""
        s = self.settings
        q_terms = set(content_terms(question))
        q_weight = sum(self.weights(t) for t in q_terms) or 1.0
        top_sim = max(r.similarity for r in results)
        # The documents the question names, by title and year or by a short name ("the Budapest
        # Convention"), and the numbered units it names ("Article 16").
        named = set(named_documents(question, self.documents)) | set(aliased_documents(question, self.documents))
        units = structural_references(question)
        spans = []  # (result, start, end) of every usable sentence, tokenised in one batch below
        for r in results:
            # A weak passage is not quoted, unless it is from a document or a provision the question
            # names: the text of "Article 16 of the Budapest Convention" is little like the question.
            if r.similarity < s.sentence_min_similarity and r.chunk.file not in named \
                    and not (units and units & section_units(r.chunk.section)):
                continue
            text = text_of(r)
            for a, b in sentence_spans(text, 0, len(text)):
                header = _SPACED_HEADER.match(text, a, b)  # "2 D O D C Y B E R …" page header
                a = header.end() if header else a
                if _usable_sentence(fold(text[a:b]), text[a:b]):
                    spans.append((r, a, b))
        quotes = [text_of(r)[a:b] for r, a, b in spans]
        sections = [r.section_at(a) if r.sections_of else r.chunk.section for r, a, _ in spans]
        unique_sections = list(dict.fromkeys(sections))
        term_lists = content_terms_many(quotes + unique_sections)
        section_terms = dict(zip(unique_sections, map(set, term_lists[len(quotes):])))
        paragraphs = named_paragraphs(question)
        candidates = []  # (score, rank, position, result, quote, terms)
        continued: dict[int, str | None] = {}  # passage -> the section it starts within, headed elsewhere
        seen: set[tuple[int, str]] = set()
        for (r, a, b), quote, section, terms in zip(spans, quotes, sections, map(set, term_lists)):
            if id(r) not in continued:
                first = r.section_at(0) if r.sections_of else r.chunk.section
                at_heading = r.sections_of is not None and r.start > 0 and r.section_at(-1) != first
                continued[id(r)] = None if at_heading else first
            # The first sentence of a section whose heading stands in the passage (before it: a
            # passage may open on "### Article 16" though its first chunk is already filed under it).
            first_here = (id(r), section) not in seen
            lead = first_here and (section != continued[id(r)] or (
                bool(section) and f" {fold_words(section.split(' – ')[0])} " in f" {fold_words(text_of(r)[:a])} "))
            seen.add((id(r), section))
            relevance = r.similarity / top_sim if top_sim > 0 else 0.0
            # The heading a sentence stands under counts as part of what it says
            # ("Article 35 – 24/7 Network" for "Each Party shall designate a point of contact…").
            context = terms | section_terms[section]
            overlap = sum(self.weights(t) for t in q_terms & context) / q_weight
            # Sentences of the matched chunk itself beat those of the widened context.
            hit_start, hit_end = r.chunk.start - r.start, r.chunk.end - r.start
            distance = 0 if (b > hit_start and a < hit_end) else min(abs(a - hit_end), abs(hit_start - b))
            closeness = 1.0 / (1.0 + distance / 400)
            score = 0.5 * overlap + 0.3 * relevance + 0.2 * closeness + (LEAD_BONUS if lead else 0.0)
            if paragraphs and _in_paragraph(section, quote, paragraphs):
                score += 0.5  # the very paragraph the question names ("Article 2(4)")
            if units and units & section_units(section):
                score += NAMED_UNIT_BONUS  # under the provision the question names ("Article 2")
                if lead:
                    score += NAMED_UNIT_LEAD_BONUS  # its opening sentence says what it requires
            if named and r.chunk.file not in named:
                score -= NAMED_ELSEWHERE_PENALTY  # the question asks about documents it names
            candidates.append((score, r.rank, a, r, quote, terms))
        candidates.sort(key=lambda c: -c[0])
        chosen: list = []
        docs: set[str] = set()
        while candidates and len(chosen) < s.max_sentences:
            def adjusted(c):
                return c[0] + (0.08 if chosen and c[3].chunk.file not in docs else 0.0)
            best = max(candidates, key=adjusted)
            candidates.remove(best)
            if chosen and adjusted(best) < 0.6 * chosen[0][0] and len(chosen) >= s.min_sentences:
                break
            if chosen and adjusted(best) < 0.45 * chosen[0][0]:
                break
            if any(_jaccard(best[5], c[5]) > 0.6 for c in chosen):
                continue
            chosen.append(best)
            docs.add(best[3].chunk.file)
        if len(named) >= 2:
            chosen = _each_side(chosen, candidates, named, s.max_sentences)
        chosen.sort(key=lambda c: (c[1], c[2]))
        return [(c[3], c[2], c[2] + len(c[4])) for c in chosen]


def _each_side(chosen: list, candidates: list, named: set[str], max_sentences: int) -> list:
    """A question comparing documents it names is answered from each of them: a named document
    with a usable sentence in the passages but none chosen gets its best one, in place of the
    weakest pick of a document quoted more than once (or of one the question does not name)."""
    chosen = list(chosen)
    for file in sorted(named - {c[3].chunk.file for c in chosen}):
        own = [c for c in candidates if c[3].chunk.file == file
               and not any(_jaccard(c[5], d[5]) > 0.6 for d in chosen)]
        if not own:
            continue
        if len(chosen) >= max_sentences:
            counts: dict[str, int] = {}
            for c in chosen:
                counts[c[3].chunk.file] = counts.get(c[3].chunk.file, 0) + 1
            spare = [c for c in chosen if counts[c[3].chunk.file] > 1 or c[3].chunk.file not in named]
            if not spare:
                continue
            chosen.remove(min(spare, key=lambda c: c[0]))
        chosen.append(max(own, key=lambda c: c[0]))
    return chosen


LIST_MAX_CHARS = 800
# An item opens its sentence: "For its second mission, DoD must ..." but not "Budgets for the
# work on its second mission rose".
ITEM_OPENING_WORDS = 2


_INLINE_ITEM = re.compile(r"\(\d{1,2}\)\s")
# "The five functions are Identify, Protect, Detect, Respond, and Recover": a count, its noun, a
# verb of listing and the items run on with commas.
_LISTED_INLINE = re.compile(r"\b(?:" + "|".join(COUNT_WORDS) + r")\s+(?:[\w’'-]+\s+){0,3}?[\w’'-]+\s+"
                            r"(?:are|were|include|includes|including|comprise|comprises)\s*:?\s+[^.;]*,[^.;]*,",
                            re.IGNORECASE)
# "What are the Functions of the NIST Cybersecurity Framework?" asks for a list without a count.
_LIST_QUESTION = re.compile(r"^\s*(?:what|which)\s+(?:are|were)\s+(?:the\s+)?(.+?)"
                            r"(?:\s+(?:of|in|under|that|does|did|do|for|set)\b|\s*[?,]|$)", re.IGNORECASE)


def requested_list(question: str) -> set[tuple[int | None, str]]:
    """(count, stemmed noun) of the list a question asks for: "the five pillars" -> (5, "pillar");
    "What are the Functions of ...?" -> (None, "function"), any count."""
    wanted: set[tuple[int | None, str]] = set(counted_request(question))
    if wanted:
        return wanted
    asked = _LIST_QUESTION.match(question)
    words = asked.group(1).split() if asked else []
    if not words or not words[-1].lower().endswith("s"):  # a plural noun asks for a list
        return set()
    terms = content_terms(words[-1])
    return {(None, terms[-1])} if terms else set()


def announced_list(question: str, results: list[Retrieved]) -> list[tuple[Retrieved, int, int]]:
    """The list a question asks for ("the three primary cyber missions"), when a passage
    announces it ("The Defense Department has three primary cyber missions.") and the passages
    of that document go on with its items ("First, ...", "For its second mission, ...",
    "Third, ..."): the announcing sentence and the sentence opening each item found, as
    (passage, start, end) in reading order; [] unless two items or more are found. An
    announcement that carries its items (": (1) Defend ..., (2) Disrupt ...", or a list after
    ":" that `with_list` reads whole) is returned alone."""
    wanted = requested_list(question)
    if not wanted:
        return []
    sentences = [(r, a, b) for r in results for a, b in sentence_spans(text_of(r), 0, len(text_of(r)))]
    quotes = [text_of(r)[a:b] for r, a, b in sentences]

    def position(x: tuple[Retrieved, int, int]) -> tuple[int, int]:
        return (x[0].chunk.page or 0, x[0].start + x[1])

    counted = counted_terms(quotes)
    for (r, a, b), keys in zip(sentences, counted):  # best passage first
        for n, stem in sorted(k for k in keys if k in wanted or (None, k[1]) in wanted):
            after = sorted(((x, q) for x, q in zip(sentences, quotes)
                            if x[0].chunk.file == r.chunk.file and position(x) > position((r, a, b))),
                           key=lambda xq: position(xq[0]))
            items, last = [], position((r, a, b))
            for opening in item_openings(n, stem):
                for x, quote in after:
                    match = opening.search(quote)
                    if position(x) > last and match and len(quote[:match.start()].split()) <= ITEM_OPENING_WORDS \
                            and _usable_sentence(fold(quote), quote):
                        items.append(x)
                        last = position(x)
                        break
            text = text_of(r)
            if not items and (with_list(text, a, b) > b or len(_INLINE_ITEM.findall(text, a, b)) >= 2
                              or _LISTED_INLINE.search(text, a, b)):
                # The announcement carries its items itself ("around five pillars: (1) Defend ...").
                return [(r, a, b)]
            if len(items) >= 2:
                # The announcement closest before the first item: a heading ("Three Primary
                # Missions in Cyberspace") may announce the list too, sentences before it does.
                closest = max((x for x, k in zip(sentences, counted) if (n, stem) in k
                               and x[0].chunk.file == r.chunk.file and position(x) < position(items[0])),
                              key=position)
                return [closest] + items
    return []


def with_list(text: str, start: int, end: int) -> int:
    """End of a quote that introduces a list ("The Strategy rests on five pillars:"), extended
    over what it introduces: a lead-in quoted alone answers nothing. That is the sentence after
    it, and the ones after that while they start with a bullet or a number or follow an item
    ending in ";" ("...; and"); the list ends at an item ending in "." (in a bulleted list, at
    the first sentence that neither starts an item nor goes on with one on its line) or at
    `LIST_MAX_CHARS`."""
    following = sentence_spans(text, end, min(len(text), end + LIST_MAX_CHARS))
    quote = text[start:end].rstrip()
    # "The strategy required under subsection (a) shall include" + "(1) a review of ...": a
    # lead-in with no end mark at all, followed by a numbered item, introduces it as ":" does.
    unended = not quote.endswith((".", ";", "!", "?", ")", "\"", "”", "’")) and bool(following) \
        and bool(_LIST_ITEM.match(text, following[0][0]))
    if not (quote.endswith((":", "—")) or unended):
        return end
    new_end, last, bulleted = end, "", False
    for a, b in following:
        item = text[a:b]
        previous = text[start:new_end].rstrip()
        # The sentence right after the lead-in is what it introduces; later ones come as items,
        # or as what an item's short label introduces ("- Curate:" "Listening is the first step."),
        # or, in a bulleted list, as the rest of an item on its line ("It is done by curating.").
        label = last.rstrip().endswith(":") and len(last.split()) <= 6
        same_item = bulleted and "\n" not in text[new_end:a]
        # A marker the sentence splitter cut off on its own ("1." before "Strengthen ...;").
        marker = bool(_BARE_MARKER.fullmatch(item))
        # After an item ending in ";", what follows goes on with the list unless a blank line
        # (a new paragraph) comes first.
        follows = previous.endswith((";", "; and", "; or")) and "\n\n" not in text[new_end:a]
        if new_end > end and not (_LIST_ITEM.match(item) or follows
                                  or label or same_item or marker or _BARE_MARKER.fullmatch(last)):
            break
        if b - start > LIST_MAX_CHARS:
            break
        if new_end == end:  # items on lines of their own, each opening with a marker
            bulleted = bool(_LIST_ITEM.match(item) or marker) and "\n" in text[end:a]
        new_end, last = b, item
        if item.rstrip().endswith(".") and not (bulleted or marker):
            break
    return new_end


def merge_adjacent(picked: list[tuple[Retrieved, int, int]]) -> list[tuple[Retrieved, str]]:
    """(passage, start, end) picks in reading order -> (passage, quote), with picks that follow
    each other in the same passage joined into one quote: a list introduced by "shall specify:"
    reads as one cited sentence, not as fragments each with its own marker."""
    merged: list[list] = []
    for r, a, b in picked:
        text = text_of(r)
        last = merged[-1] if merged else None
        if last and last[0] is r and (a <= last[2] or not text[last[2]:a].strip()):
            last[2] = max(last[2], b)
        else:
            merged.append([r, a, b])
    return [(r, text_of(r)[a:b]) for r, a, b in merged]


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0
