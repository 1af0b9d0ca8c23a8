"""Comparison: a question across several documents -> a position table, one row per document.

Each document's passages are retrieved within that document (one cannot crowd out another), its
best sentences on the topic are quoted with their citations, and a document whose best passage
is below the relevance floor is marked "not addressed", its closest passage given as a pointer.
The table stays extractive: the lead sentence says what the rows show, never what differs."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from itertools import zip_longest

from ..config import ComparisonSettings
from ..records import Answer, ComparisonTable, DocumentMeta, Filters, Retrieved, TableRow
from ..text.tokens import content_terms
from .answering import ExtractiveAnswerer, citation_for, passages_of, shown
from .lists import text_of, with_list
from .query import QueryAnalysis, analyse, document_places, jurisdictions_said, spoken_of_as_topic, topic_query

# Words a question uses for "documents" in general ("which documents", "across the texts"); the
# catalog's own types ("strategies", "resolutions", "treaties") name a kind of document. Not "which
# countries", "which states", "which instruments": over the training questions, 62 asking those of one
# document ("Which countries does the article name ...?") against none asking across documents.
_GENERIC = {"documents", "texts", "sources", "papers"}
# The plural noun is a word in lower case after its first letter: "Across the US strategies" is not across "US".
_SURVEY = re.compile(r"\b(?:which|what)\s+(?:of\s+the\s+|other\s+)?((?:[\w.-]+\s+){0,3}?)((?-i:[A-Za-z][a-z]*s))\b"
                     r"|\b(?:across|among|between)\s+(?:the\s+|all\s+)?((?:[\w.-]+\s+){0,2}?)((?-i:[A-Za-z][a-z]*s))\b"
                     r"|\bdo(?:es)?\s+any\s+(?:of\s+the\s+|other\s+)?((?:[\w.-]+\s+){0,2}?)((?-i:[A-Za-z][a-z]*s))\b"
                     r"|\bwho\s+else()()\b", re.IGNORECASE)


@dataclass
class Scope:
    """The documents a question is asked across, and how: "compare" (the documents it names or a
    filter selects) or "survey" (which of a set of documents address a topic)."""

    kind: str
    files: list[str]
    topic: str = ""  # a survey's question without the words naming the documents it asks across


def surveyed(question: str, documents: dict[str, DocumentMeta]) -> list[str] | None:
    """The documents a survey question asks across, or None when it is no survey: "Which
    documents ..." (all), "Which US strategies ..." (the catalog's strategies of the United
    States: a type named in the plural, a jurisdiction by name or initials)."""
    found = _survey(question, documents)
    return found[0] if found else None


def _survey(question: str, documents: dict[str, DocumentMeta]) -> tuple[list[str], str] | None:
    """(the documents a survey asks across, the question without the words naming them)."""
    for m in _SURVEY.finditer(question):
        before, noun = next(((m.group(g), m.group(g + 1)) for g in (1, 3, 5, 7) if m.group(g + 1) is not None))
        noun_terms = set(content_terms(noun))
        types = {d.type for d in documents.values() if d.type and noun_terms & set(content_terms(d.type))}
        if not types and noun.lower() not in _GENERIC and m.group(8) is None:
            continue
        places = jurisdictions_said(before, documents)
        files = [f for f, d in documents.items() if (not types or d.type in types)
                 and (not places or document_places(d) & places)]
        return files, " ".join(f"{question[:m.start()]} {question[m.end():]}".split()).strip(" ,;:")
    return None


_SIDE_BY_SIDE = re.compile(r"\b(?:compar\w*|differ\w*|both|each|versus|vs\.?|between)\b", re.IGNORECASE)
_AUXILIARY = re.compile(r"\b(do|does|did|is|are|was|were|has|have)\b", re.IGNORECASE)


def sets_side_by_side(question: str) -> bool:
    """Whether a question asks of several things at once: a word of comparison ("compared with",
    "differ", "each", "both"), or its first auxiliary in the plural ("How do A and B treat ...?",
    not "What does A say about B?")."""
    first = _AUXILIARY.search(question)
    plural = bool(first and first.group(1).lower() in ("do", "are", "were", "have"))
    return plural or bool(_SIDE_BY_SIDE.search(question))


def comparison_scope(query: QueryAnalysis, documents: dict[str, DocumentMeta],
                     filters: Filters | None = None) -> Scope | None:
    """How the question is asked across documents, if it is: two or more documents named (by
    title and year, title head or symbol), a filter selecting several documents, or a survey."""
    allowed = [f for f, d in documents.items() if filters is None or filters.accepts(d)]
    # Not the short names in brackets ("the Budapest Convention"): a question comparing strategies
    # names that way the instrument they treat, their topic, more often than a document compared.
    named = [f for f in dict.fromkeys(query.by_symbol + query.named) if f in allowed]
    if len(named) >= 2:
        return Scope("compare", named)
    # ... unless the question sets them side by side: "How do the Budapest Convention and its
    # Additional Protocol address ...?", "the UN Charter compared with the Convention on Cybercrime".
    spoken = [f for f in dict.fromkeys(named + query.aliased)
              if f in allowed and (f in named or not spoken_of_as_topic(query.text, documents[f]))]
    if len(spoken) >= 2 and sets_side_by_side(query.text):
        return Scope("compare", spoken)
    # ... or describes them side by side, each by its own year ("How do the 2003 strategy and the 2009
    # review treat ...?"; not the two documents of 2022 that "Russia's 2022 invasion" happens to fit).
    described = [f for f in query.described if f in allowed]
    if not spoken and len({documents[f].year for f in described}) >= 2 and sets_side_by_side(query.text):
        return Scope("compare", described)
    if filters is not None and len(filters.files) >= 2:
        return Scope("compare", [f for f in filters.files if f in documents])
    across = _survey(query.text, documents)
    if across is not None and not named:
        files = [f for f in across[0] if f in allowed]
        if len(files) >= 2:
            return Scope("survey", files, across[1])
    return None


class Comparer:
    """Builds the position table from per-document retrieval and the extractive sentence scorer."""

    def __init__(self, retriever, answerer: ExtractiveAnswerer, settings: ComparisonSettings):
        self.retriever = retriever
        self.answerer = answerer
        self.settings = settings

    def compare(self, question: str, query: QueryAnalysis, scope: Scope, standalone: str = "",
                topic: str = "") -> Answer:
        s = self.settings
        # Within one document every passage carries its title: the words naming documents say nothing.
        topic = topic or scope.topic or query.topic or query.text
        per_document = self.retriever.search_within(topic, scope.files, s.passages_per_document)
        if scope.kind == "survey":  # the full search for the documents most likely shown
            ranked = sorted(per_document, key=lambda f: -max((r.similarity for r in per_document[f]), default=0.0))
            chosen = ranked[:s.max_rows + s.max_rows // 2]
        else:
            chosen = list(per_document)
        # A survey asks each document its question without the words naming the set surveyed.
        asked = analyse(scope.topic, self.retriever.documents) if scope.topic else query
        compared = scope.files if scope.kind == "compare" else []
        own = {file: self._about(asked, file, compared) for file in per_document}
        # What the whole question finds among the compared documents (read with every name it gives,
        # so no document is searched for another's title words) gives each one passages too.
        overall = self.retriever.search(query, s.passages_per_document * len(chosen)) if scope.kind == "compare" else []
        for file in chosen:
            # Within each document, what the question asked of it finds and what the whole question
            # finds, taken in turn: the whole question's hits on a document's foreword or summary no
            # longer crowd out the passage its own question finds. Training comparisons holding all their
            # evidence 127 -> 133 of 427; compare_dev rows holding theirs 0.46 -> 0.48 (compare_unseen
            # equal); gold a row more, held-out a row fewer and one table question's evidence out of the
            # top 5. The whole question's passages first instead: compare_dev 0.46, gold top 5 0.80;
            # four passages a row: compare_dev 0.41. A passage both find is taken as the whole question
            # ranked it (it leads the sources list below).
            whole = {r.chunk.id: r for r in overall if r.chunk.file == file}
            own_hits = [whole.get(r.chunk.id, r)
                        for r in self.retriever.search(own[file], s.passages_per_document, Filters(files=[file]))]
            per_document[file] = _in_turn(own_hits, list(whole.values()))[:s.passages_per_document]
        topic_query = analyse(topic, self.retriever.documents)
        # Which documents address it is judged on the answerer's scores (and, for a survey's doubtful
        # documents, the model's similarity of their best sentence); the model re-ranks only the rows
        # shown (a survey reads 28 documents and shows 8: 9 s -> 2.4 s on a loaded machine).
        found = [self._evidence(file, results, topic_query, own[file]) for file, results in per_document.items()]
        best = max((f.similarity for f in found), default=0.0)
        for f in found:
            f.addressed = f.weighed(s) and (scope.kind == "compare" or f.similarity >= s.survey_share * best
                                            or f.overlap >= s.overlap_floor)
        if scope.kind == "survey":
            self._addressed_by_sentence(found, topic)
        addressing = sum(f.addressed for f in found)
        if scope.kind == "survey":  # the documents that address it, most relevant first
            found = sorted((f for f in found if f.addressed), key=lambda f: -f.similarity)[:s.max_rows]
        for f in found:
            if f.addressed:
                query_of = own[f.file]
                f.quotes = self._quotes(self.answerer.reranked(
                    f.ranked, query_of.topic or topic_query.text, s.rerank_sentences, s.sentence_similarity_weight))
        citations: list = []
        rows = [self._row(f, citations) for f in found]
        # Passages in rank order: those the whole question found, then the rest across the rows, each
        # document's best first.
        whole = {id(r) for r in overall}
        led = sorted((r for f in found for r in f.results if id(r) in whole), key=lambda r: r.rank)
        retrieved = led + [f.results[i] for i in range(s.passages_per_document) for f in found
                           if i < len(f.results) and id(f.results[i]) not in whole]
        silent = len(scope.files) - addressing
        table = ComparisonTable(scope.kind, topic, _lead(scope.kind, rows, len(scope.files), silent),
                                rows, silent, len(scope.files))
        text = " ".join([table.lead] + [_row_text(row) for row in rows])
        return Answer(question, text, not any(r.addressed for r in rows), citations, passages_of(retrieved),
                      standalone or question, self.answerer.name, table=table)

    def _addressed_by_sentence(self, found: list["_Evidence"], topic: str) -> None:
        """A surveyed document whose passages fall below the survey's share of the best one still
        addresses the topic when its best sentence says it: a passage's similarity to a short topic
        is diluted by the rest of the passage ("States should encourage responsible reporting of ICT
        vulnerabilities" in a page of other norms); the model's similarity of that sentence is not."""
        s = self.settings
        doubtful = [f for f in found if not f.addressed and f.weighed(s)]
        if not doubtful or self.answerer.embedder is None or not s.survey_sentence_floor:
            return
        sims = self.answerer.embedder.embed([f.quotes[0].quote for f in doubtful]) \
            @ self.answerer.embedder.embed_query(topic)
        for f, sim in zip(doubtful, sims):
            f.addressed = float(sim) >= s.survey_sentence_floor

    def _about(self, query: QueryAnalysis, file: str, compared: list[str]) -> QueryAnalysis:
        """The question as asked of one document: the name words of the documents compared say
        nothing within it ("How do the Convention and its Protocol address freedom of expression?"
        asks each about freedom of expression), those of others do ("How do the 2003 and 2018
        strategies treat the Budapest Convention?" still asks, of each strategy, about the Convention)."""
        topic = topic_query(query.text, list(dict.fromkeys([file, *compared])), self.retriever.documents)
        return replace(query, named=[file], aliased=[], by_symbol=[], topic=topic, topic_terms=set(content_terms(topic)))

    def _evidence(self, file: str, results: list[Retrieved], topic_query: QueryAnalysis,
                  query: QueryAnalysis) -> _Evidence:
        """A document's best sentences on the topic, scored as the question about that one document."""
        ranked = self._ranked(query, results) if results else []
        quotes = self._quotes(ranked)
        terms = query.topic_terms or set(topic_query.terms)  # what is asked of this document
        weight = sum(self.answerer.weights(t) for t in terms) or 1.0
        overlap = max((sum(self.answerer.weights(t) for t in terms & c.terms) / weight for c in quotes), default=0.0)
        return _Evidence(file, results, quotes, max((r.similarity for r in results), default=0.0), overlap,
                         ranked=ranked)

    def _quotes(self, ranked: list) -> list:
        """A row's quotes: its best candidates, none overlapping or repeating another."""
        quotes: list = []
        for c in ranked:
            if len(quotes) >= self.settings.quotes_per_row:
                break
            if not any(_overlaps(c, q) for q in quotes) and not self.answerer._repeats(c, quotes):
                quotes.append(c)
        return quotes

    def _ranked(self, query: QueryAnalysis, results: list[Retrieved]) -> list:
        """The document's candidate sentences, best first by the answerer's score (a shown row's best
        few are then re-ranked with the model's similarity of sentence and topic)."""
        ranked = sorted(self.answerer.candidates(query, results), key=lambda c: -c.score)
        # Where the document is numbered, a row quotes its numbered units, not unnumbered front matter.
        ranked = [c for c in ranked if c.result.unit_at(c.start)] or ranked
        return self.answerer.whole_units(ranked, query)

    def _row(self, found: "_Evidence", citations: list) -> TableRow:
        meta = self.retriever.documents[found.file]
        row = TableRow(found.file, meta.title, meta.year, meta.jurisdiction, meta.citation_name, found.addressed,
                       round(found.similarity, 4))
        if not found.results:
            return row
        if not found.addressed:
            top = found.quotes[0] if found.quotes else None
            row.pointer = citation_for(0, top.result, top.quote) if top else citation_for(
                0, found.results[0], text_of(found.results[0])[:200])
            return row
        spans: list[tuple] = []
        for c in sorted(found.quotes, key=lambda c: c.reading_order):
            # A lead-in ("... along four lines of effort:") is quoted with what it introduces, as in answers;
            # an item of that list quoted as well is then quoted once.
            if any(r is c.result and a <= c.start and c.end <= b for r, a, b in spans):
                continue
            text = text_of(c.result)
            end = with_list(text, c.start, c.end, self.answerer.settings)
            spans.append((c.result, c.start, end))
            quote = text[c.start:end]
            citation = citation_for(len(citations) + 1, c.result, quote)
            citations.append(citation)
            row.citations.append(citation.n)
            row.quotes.append(quote)
        return row


@dataclass
class _Evidence:
    """What one document offers on the topic: its passages, best sentences and how relevant they are."""

    file: str
    results: list[Retrieved]
    quotes: list
    similarity: float  # its best passage's cosine similarity to the topic
    overlap: float  # the share of the topic's words (IDF-weighted) its best sentence holds
    addressed: bool = False
    ranked: list = field(default_factory=list)  # its candidate sentences, best first

    def weighed(self, s: ComparisonSettings) -> bool:
        """Above the relevance floors, with quotes: a document that may address the topic."""
        return (self.similarity >= s.relevance_floor or self.overlap >= s.overlap_floor) and bool(self.quotes)


def _in_turn(first: list, second: list) -> list:
    """Items of two lists taken in turn, each once."""
    out: list = []
    for r in (r for pair in zip_longest(first, second) for r in pair):
        if r is not None and all(r is not o for o in out):
            out.append(r)
    return out


def _overlaps(a, b) -> bool:
    return a.result is b.result and a.start < b.end and b.start < a.end


def _name(row: TableRow) -> str:
    year = f" ({row.year})" if row.year and row.year != "unknown" and row.year not in row.title else ""
    return f"{row.title}{year}"


def _lead(kind: str, rows: list[TableRow], documents: int, silent: int) -> str:
    """What the rows show, and nothing the quotes do not."""
    if kind == "survey":
        shown_rows = sum(r.addressed for r in rows)
        if not shown_rows:
            return f"None of the {documents} documents searched has a passage on this above the relevance floor."
        more = documents - silent - shown_rows
        return (f"{documents - silent} of the {documents} documents searched address this"
                f"{f'; the {shown_rows} most relevant are shown' if more else ''}, each in its own words"
                f"{f'; {silent} do not' if silent else ''}.")
    quiet = [r for r in rows if not r.addressed]
    return (f"What each of the {len(rows)} documents says on this, quoted from it"
            + (f"; {len(quiet)} of them {'has' if len(quiet) == 1 else 'have'} no passage on it above "
               "the relevance floor." if quiet else "."))


def _row_text(row: TableRow) -> str:
    if not row.addressed:
        where = f" (closest passage: p. {row.pointer.page})" if row.pointer and row.pointer.page else ""
        return f"{_name(row)}: not addressed in this document{where}."
    return f"{_name(row)}: " + " ".join(f"{shown(q)} [{n}]" for q, n in zip(row.quotes, row.citations))


def table_markdown(table: dict, link=lambda n: f"[{n}]", where=lambda n: "") -> str:
    """The table (as in the Answer JSON) as Markdown; `link` renders a citation number, `where`
    what follows it (a link to the cited page, in the chat)."""
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = [cell(table["lead"]), "", "| Document | Year | Jurisdiction | What it says |", "|---|---|---|---|"]
    for row in table["rows"]:
        if row["addressed"]:
            said = " ".join(f"“{cell(shown(q))}” {link(n)}{where(n)}" for q, n in zip(row["quotes"], row["citations"]))
        else:
            pointer = row.get("pointer") or {}
            said = "*not addressed in this document*" + (
                f" (closest passage: p. {pointer['page']}{', ' + cell(pointer['section']) if pointer.get('section') else ''})"
                if pointer.get("page") else "")
        lines.append(f"| {cell(row['title'])} | {cell(row['year'] or '')} | {cell(row['jurisdiction'] or '')} | {said} |")
    return "\n".join(lines)


def table_csv(table: dict, citations: list[dict]) -> str:
    """The table as CSV: one line per document, its quotes and their references."""
    by_n = {c["n"]: c for c in citations}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["document", "file", "year", "jurisdiction", "addressed", "relevance", "quotes", "citations"])
    for row in table["rows"]:
        refs = [by_n[n].get("reference", "") for n in row["citations"] if n in by_n]
        writer.writerow([row["title"], row["file"], row["year"], row["jurisdiction"],
                         "yes" if row["addressed"] else "no", row["relevance"],
                         " | ".join(" ".join(q.split()) for q in row["quotes"]),
                         " | ".join(f"[{n}] {r}" for n, r in zip(row["citations"], refs))])
    return out.getvalue()
