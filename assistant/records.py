"""Records that cross modules: what a document is, a stored chunk, a retrieved passage, the
filters a question runs under, and the Answer with its citations (the Answer JSON contract).

Plain dataclasses; this module imports nothing of the package."""
from __future__ import annotations

import datetime
import re

from bisect import bisect_right
from dataclasses import asdict, dataclass, field


def pages_label(page: int | None, end_page: int | None = None) -> str:
    """Where a quote stands: "p. 17", "pp. 17–18" when it runs onto a later page, "" without a page."""
    if not page:
        return ""
    return f"pp. {page}–{end_page}" if end_page and end_page > page else f"p. {page}"


@dataclass
class DocumentMeta:
    file: str
    title: str
    publisher: str = ""
    year: str = ""
    type: str = ""
    jurisdiction: str = ""
    licence: str = ""
    origin: str = ""
    symbol: str = ""  # official symbol or number: "A/RES/73/27", "ETS No. 185" (optional column)
    date: str = ""  # ISO date of adoption or signature (optional column)
    # Where each field's value came from: "catalog", "text", "pdf metadata" or "file name"
    # (ingest/metadata.py); empty for a document built before metadata was read from documents.
    provenance: dict = field(default_factory=dict)
    # Words of its names that no other document's names or text hold ("Pial", "law4u", "10301"), found
    # when an index is built (text/names.py) and stored with it: a question using one names this
    # document. Not part of the catalog row (as_dict).
    known_by: tuple[str, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict:
        values = asdict(self)
        values.pop("known_by")
        return values

    @property
    def citation_name(self) -> str:
        """How the document is named in a reference: a UN symbol ("A/RES/73/27"), else the short
        name a treaty's title gives in brackets ("Budapest Convention"), else its title."""
        if "/" in self.symbol:
            return self.symbol
        bracket = re.search(r"\(([^)]*)\)\s*$", self.title)
        alias = bracket.group(1).split(",")[0].strip() if bracket and self.type == "treaty" else ""
        return alias if alias and alias != self.symbol else self.title

    @property
    def date_text(self) -> str:
        """ "5 December 2018" from the catalog's ISO date, else the year."""
        try:
            d = datetime.date.fromisoformat(self.date)
        except ValueError:
            return self.year
        return f"{d.day} {d.strftime('%B')} {d.year}"

    def reference(self, unit: str, page: int | None, end_page: int | None = None) -> str:
        """A reference line to paste: "A/RES/73/27, op. para 1.6 (5 December 2018)",
        "Budapest Convention, Art. 16(1) (23 November 2001)", "National Cyber Strategy ..., p. 9 (2018)",
        "..., pp. 17–18 (2003)" for a quote running onto the next page."""
        where = ", ".join(x for x in (self.citation_name, unit, pages_label(page, end_page)) if x)
        return f"{where} ({self.date_text})" if self.date_text else where

    @property
    def year_number(self) -> int | None:
        return int(self.year) if self.year.isdigit() else None


@dataclass
class StoredChunk:
    id: int
    file: str
    page: int | None
    section: str
    start: int
    end: int
    text: str
    embed_hash: str


@dataclass(frozen=True)
class UnitRun:
    """Offsets [start, end) of a page's text standing in one cited unit ("Art. 16(1)"), found at ingest."""

    file: str
    page: int | None
    start: int
    end: int
    label: str


@dataclass
class Filters:
    types: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    files: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: "dict | Filters | None") -> "Filters | None":
        if data is None or isinstance(data, Filters):
            return data
        known = {"type": "types", "types": "types", "jurisdiction": "jurisdictions",
                 "jurisdictions": "jurisdictions", "year_min": "year_min", "year_max": "year_max",
                 "file": "files", "files": "files"}
        values: dict = {}
        for key, value in data.items():
            if key not in known:
                raise ValueError(f"unknown filter {key!r}; use one of {sorted(set(known))}")
            if value in (None, "", []):
                continue
            name = known[key]
            if name in ("types", "jurisdictions", "files"):
                values[name] = [value] if isinstance(value, str) else list(value)
            else:
                values[name] = int(value)
        return cls(**values)

    def is_empty(self) -> bool:
        return not (self.types or self.jurisdictions or self.files or self.year_min is not None
                    or self.year_max is not None)

    def accepts(self, meta: DocumentMeta) -> bool:
        if self.types and meta.type.lower() not in {t.lower() for t in self.types}:
            return False
        if self.jurisdictions and meta.jurisdiction.lower() not in {j.lower() for j in self.jurisdictions}:
            return False
        if self.files and meta.file not in self.files:
            return False
        if self.year_min is not None or self.year_max is not None:
            year = meta.year_number
            if year is None:
                return False
            if self.year_min is not None and year < self.year_min:
                return False
            if self.year_max is not None and year > self.year_max:
                return False
        return True


@dataclass
class Retrieved:
    chunk: StoredChunk
    meta: DocumentMeta
    score: float  # fused (RRF) score
    similarity: float  # cosine similarity of question and chunk
    lexical: float  # BM25 score (0 when not matched lexically)
    rank: int = 0
    text: str = ""  # the passage shown and quoted: the chunk widened to its neighbours
    start: int = 0  # offsets of `text` in the page text
    end: int = 0

    def section_at(self, offset: int) -> str:
        """Section of the chunk holding `offset` (relative to `text`): a quote taken from a
        neighbouring chunk is cited under its own heading, not the hit's."""
        return self.sections_of(self.start + offset)

    sections_of: "callable" = field(default=None, repr=False)
    # Offsets of the form feeds in an unpaged text: text converted from a paged document
    # (pdftotext and the like) ends each page with one, so its pages can still be cited.
    page_breaks: tuple[int, ...] = field(default=(), repr=False)
    # Spans (relative to `text`) of the numbered paragraphs the question names ("paragraph 4").
    asked_units: list[tuple[int, int]] = field(default_factory=list, repr=False)
    # Page offset -> the numbered unit holding it, as cited ("Art. 16(1)"); see unit_at.
    units_of: "callable" = field(default=None, repr=False)

    def unit_at(self, offset: int) -> str:
        """The smallest numbered unit holding `offset` (relative to `text`), "" when none is known."""
        return self.units_of(self.start + offset) if self.units_of else ""

    @property
    def page(self) -> int | None:
        """1-based page of the chunk: the PDF page, or for form-fed text the page it starts on."""
        return self.page_at(self.chunk.start - self.start)

    def page_at(self, offset: int) -> int | None:
        """Page holding `offset` (relative to `text`)."""
        if self.chunk.page is not None or not self.page_breaks:
            return self.chunk.page
        return bisect_right(self.page_breaks, self.start + offset) + 1


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
    symbol: str = ""  # the document's official symbol, when the catalog gives one
    unit: str = ""  # the smallest numbered unit holding the quote: "Art. 16(1)", "op. para 1.6", "pp. 3"
    reference: str = ""  # ready to paste: "A/RES/73/27, op. para 1.6 (5 December 2018)"
    end_page: int | None = None  # the page the quote ends on, when it runs on past `page`


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
    symbol: str = ""


@dataclass
class TableRow:
    """One document's row of a position table: its quoted sentences on the topic and their citation
    numbers, or `addressed` False with its closest passage as `pointer`."""

    file: str
    title: str
    year: str
    jurisdiction: str
    reference: str  # how to cite the document: "A/RES/73/27", "Budapest Convention", a title
    addressed: bool
    relevance: float  # cosine similarity of its best passage to the topic
    citations: list[int] = field(default_factory=list)  # numbers in Answer.citations
    quotes: list[str] = field(default_factory=list)
    pointer: "Citation | None" = None  # not addressed: where its closest passage is


@dataclass
class ComparisonTable:
    kind: str  # "compare" (the documents named or selected) or "survey" (which documents address it)
    topic: str
    lead: str  # one sentence: what the rows show
    rows: list[TableRow] = field(default_factory=list)
    not_addressed: int = 0  # documents in scope with no passage above the relevance floor
    documents: int = 0  # documents in scope


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
    # Further quotes that also answer, left out to keep the answer short (numbered on after citations).
    further: list[Citation] = field(default_factory=list)
    # A question across documents is answered as a position table (the answer text restates it).
    table: ComparisonTable | None = None

    def to_dict(self) -> dict:
        return asdict(self)
