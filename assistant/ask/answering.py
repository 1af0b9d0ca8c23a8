"""Answering: ranked chunks -> a short answer whose every sentence is cited.

The default answerer is extractive: it quotes the source sentences that best answer the
question, verbatim, each followed by its marker [n]. It abstains when the retrieved
evidence is weak. The generative answerer lives in generation.py and shares the records.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..config import AnswerSettings
from ..records import Answer, Citation, Passage, Retrieved
from ..storage.store import bm25_postings
from ..text.sentences import (ADOPTION_LINE, DATELINE, LEADING_HEADINGS, SPACED_HEADER, clause_windows,
                              defines, holds_web_address, list_item_spans, says_when_made, sentence_spans, strip_span,
                              usable_sentence)
from ..text.quantities import dates, quantities
from ..text.tokens import content_terms, content_terms_many, fold_words
from ..text.units import enclosing_unit, unit_keys
from ..text.vocabulary import LIST_ITEM, SUB_ITEM_LABEL, count_stems, section_units
from .lists import announced_headings, announced_list, fold, headed_list, merge_adjacent, text_of, with_list
from .query import QueryAnalysis, analyse, years_made

ABSTAIN_TEXT = "The indexed documents do not answer this question."
# Said when the question asks a figure of a kind no passage found states.
_NOT_STATED = {"count": "No passage found states how many.", "money": "No passage found states the sum.",
               "date": "No passage found states the date."}
# A lettered or roman sub-item going on in lower case ("a) the authority seeking the preservation;",
# "(ii) to ensure ..."): the rest of the sentence its lead-in begins; quoted with the lead, not alone.
_SUB_ITEM = re.compile(rf"\s*{SUB_ITEM_LABEL}\s+[a-z]")


def shown(quote: str) -> str:
    """A quote as the answer shows it: on one line, with "…" where it starts or stops inside a
    sentence (a clause of a long one, the tail of one broken at a page end)."""
    text = fold(quote)
    if text[:1].islower() and not LIST_ITEM.match(text):
        text = "…" + text
    return text + "…" if text.endswith(",") else text


def passages_of(results: list[Retrieved]) -> list[Passage]:
    return [Passage(r.rank, r.chunk.file, r.meta.title, r.page, r.chunk.section, text_of(r),
                    round(r.similarity, 4), r.meta.publisher, r.meta.year, r.meta.type, r.meta.jurisdiction,
                    r.meta.symbol)
            for r in results]


def citation_for(n: int, result: Retrieved, quote: str) -> Citation:
    text = text_of(result)
    at = text.find(quote)
    section = result.section_at(at) if at >= 0 and result.sections_of else result.chunk.section
    page = result.page_at(at) if at >= 0 else result.page
    # A quote running onto the next page (a sentence joined across a page break) is cited by both.
    end_page = result.page_at(at + len(quote) - 1) if at >= 0 else None
    end_page = end_page if page and end_page and end_page > page else None
    # A quote running over two units is cited by their range ("pp. 10–11") or the unit holding both.
    unit = enclosing_unit(result.unit_at(at), result.unit_at(at + len(quote) - 1)) if at >= 0 else ""
    return Citation(n, result.chunk.file, result.meta.title, page, section, quote,
                    result.meta.publisher, result.meta.year, result.meta.symbol, unit,
                    result.meta.reference(unit, page, end_page), end_page)


def abstention(question: str, results: list[Retrieved], standalone: str, backend: str,
               missing: str = "") -> Answer:
    """The documents do not answer: say so, say what is missing when known, and point to the
    closest passages."""
    # Three passages of one page and section read as one place.
    pointers = "; ".join(list(dict.fromkeys(
        f"{r.meta.title}{f', p. {r.page}' if r.page else ''}{f' ({r.chunk.section})' if r.chunk.section else ''}"
        for r in results))[:3])
    text = ABSTAIN_TEXT + (f" {missing}" if missing else "") \
        + (f" The closest passages are in: {pointers}." if pointers else "")
    return Answer(question, text, True, [], passages_of(results), standalone, backend)


def unanswerable_because(query: QueryAnalysis) -> str:
    """Why the indexed documents cannot answer, when the question itself tells: it is not in
    English (the documents are), or it names by symbol documents the index does not hold."""
    if query.language != "en":
        return (f"They are in English, and this question seems to be in another language ({query.language}): "
                "please ask it in English.")
    if query.missing_symbols and not query.by_symbol:
        symbols = ", ".join(sorted(query.missing_symbols))
        return f"No indexed document has the symbol {symbols}."
    return ""


def absent_document_answer(question: str, query: QueryAnalysis, results: list[Retrieved], standalone: str,
                           backend: str, most: int = 2) -> Answer:
    """A question about documents the index does not hold: that fact first ("The Tallinn Manual
    2.0 is not among the indexed documents."), then, marked as such and cited, where the indexed
    documents mention them (a sentence holding a word of the name); never other text as the answer."""
    names = [name if re.match(r"^\S+['’]s\b", name) else f"the {name}" for name, _ in query.absent]
    lead = " and ".join(names)
    text = f"{lead[:1].upper()}{lead[1:]} {'is' if len(names) == 1 else 'are'} not among the indexed documents."
    terms = set().union(*(words for _, words in query.absent))
    # What the question asks of the text, besides its name: the mention saying most of it is quoted, one
    # a passage ("What did the Radio Act of 1912 require of ships?" -> the sentence on ships' radios).
    asked = set(query.topic_terms) - set(content_terms(" ".join(name for name, _ in query.absent)))
    found = []
    for r in results:
        body = text_of(r)
        said_here = []
        for a, b in sentence_spans(body, 0, len(body)):
            sentence = body[a:b]
            words = set(content_terms(sentence))
            said = terms & words or any("/" in t and re.search(rf"\b{re.escape(t)}\b", sentence) for t in terms)
            if said and usable_sentence(sentence, sentence):
                said_here.append((len(asked & words), -a, r, sentence))
        if said_here:
            found.append(max(said_here, key=lambda m: m[:2]))
    best = sorted(found, key=lambda m: -m[0])[:most]  # stable: passages of equal weight keep their rank
    mentions = [citation_for(n, r, sentence) for n, (_, _, r, sentence) in enumerate(best, start=1)]
    if mentions:
        text += " Where the indexed documents mention it: " + " ".join(f"{shown(c.quote)} [{c.n}]" for c in mentions)
    else:
        text += " No indexed document mentions it."
    return Answer(question, text, True, mentions, passages_of(results), standalone, backend)


def identifiers_absent(wanted: set[str], results: list[Retrieved]) -> bool:
    """True when the question names identifiers with digits (years, rule or article numbers,
    "NIS2") and not one of them appears in any retrieved passage, title, file name or
    heading: the documents then speak of something else ("Rule 92 of the Tallinn Manual",
    "ransomware attacks in 2024"). One match is enough, so comparisons across documents
    are not refused for a document that was not retrieved."""
    if not wanted:
        return False
    seen: set[str] = set()
    for r in results:
        names = f"{r.meta.title} {r.meta.year} {Path(r.chunk.file).stem.replace('_', ' ')} {r.chunk.section}"
        seen.update(content_terms(f"{names} {text_of(r)}"))
    return not (wanted & seen)


def title_line_end(text: str, start: int, end: int, title: str) -> int:
    """Where a sentence's prose begins when its first line is the document's own title, or part of it
    (every word of it a word of the title, three at least): a title page's line, not something the
    document says ("Improving the practice of cyber diplomacy:" "Training, tools ... – Phase I" over
    "[Update] Phase II of this study was completed ..."). `start` when there is none, `end` when the
    whole sentence is title words."""
    title_words = _title_words(title)

    def of_title(a: int, b: int) -> bool:
        words = set(content_terms(text[a:b]))
        return len(words) >= 3 and words <= title_words

    line_end = text.find("\n", start, end)
    if line_end < 0 or not text[line_end:end].strip():
        return end if of_title(start, end) else start
    return strip_span(text, line_end + 1, end)[0] if of_title(start, line_end) else start


@lru_cache(maxsize=1024)
def _title_words(title: str) -> frozenset[str]:
    """A title's words, read once: every sentence of a passage is checked against them."""
    return frozenset(content_terms(title))


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


def _in_paragraph(unit: str, paragraphs: set[tuple[int, int]]) -> bool:
    """Whether a sentence's unit ("Art. 16(2)", "Art. 17(1)(a)") is a paragraph the question names."""
    return any(unit == f"Art. {a}({p})" or unit.startswith(f"Art. {a}({p})(") for a, p in paragraphs)


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


@dataclass(eq=False)
class Candidate:
    """A quotable sentence of a retrieved passage and how well it answers."""

    score: float
    result: Retrieved
    start: int  # offsets in the passage text
    quote: str
    terms: set[str]  # its stemmed topic words

    @property
    def file(self) -> str:
        return self.result.chunk.file

    @property
    def end(self) -> int:
        return self.start + len(self.quote)

    @property
    def reading_order(self) -> tuple[int, int]:
        return self.result.rank, self.start


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, settings: AnswerSettings, weights: TermWeights, documents: dict | None = None,
                 mentions: CorpusMentions | None = None, embedder=None):
        self.settings = settings
        self.weights = weights
        self.documents = documents or {}  # file -> DocumentMeta, to know which ones a question names
        self.mentions = mentions  # what the corpus mentions anywhere, to know what it never does
        self.embedder = embedder  # the bundled model, for the similarity of sentence and question

    @cached_property
    def _years_held(self) -> set[str]:
        """The years the indexed documents were made in (catalogue year, date of adoption)."""
        return years_made(self.documents)

    def reranked(self, ranked: list[Candidate], text: str, head: int, weight: float) -> list[Candidate]:
        """Candidates (best first) re-scored with the model's similarity of sentence and text:
        the best `head` get (1 - weight) * score + weight * best score * cosine, the rest
        (1 - weight) * score, so the scale stays the best score's and the order below the head
        is kept. Words shared with the question miss a paraphrase; the model does not."""
        if not ranked or not weight or self.embedder is None or head <= 0:
            return ranked
        top = ranked[0].score if ranked[0].score > 0 else 1.0
        sims = self.embedder.embed([c.quote for c in ranked[:head]]) @ self.embedder.embed_query(text)
        out = [replace(c, score=(1 - weight) * c.score + weight * top * float(sim))
               for c, sim in zip(ranked, sims)]
        out += [replace(c, score=(1 - weight) * c.score) for c in ranked[head:]]
        return sorted(out, key=lambda c: -c.score)

    def should_abstain(self, query: QueryAnalysis, results: list[Retrieved]) -> bool:
        if not results or unanswerable_because(query):
            return True
        if max(r.similarity for r in results) < self.settings.abstain_below and not self._asked_of_named(query, results):
            return True
        # A year an indexed document was made in names that document ("the 2023 US strategy"), though
        # the passages retrieved may be of another document the question asks about: only other
        # identifiers ask for something the documents may lack.
        if query.identifiers - self._years_held and identifiers_absent(query.identifiers, results):
            return True
        if self.mentions is None:
            return False
        # An instrument or a version no document mentions ("the EU Cyber Resilience Act",
        # "Framework 2.0" when the corpus holds version 1.1), or a place in a series no document
        # mentions where one mentions another ("the second annual progress report" beside the first):
        # whatever is retrieved speaks of something else, however close its words.
        return any(name not in self.mentions for name in query.instruments) or any(
            not any(form in self.mentions for form in forms) for forms in query.versions) or any(
            name not in self.mentions and any(other in self.mentions for other in others)
            for name, others in query.editions)

    @staticmethod
    def _asked_of_named(query: QueryAnalysis, results: list[Retrieved]) -> bool:
        """The question names or describes a document ("the 2018 resolution that …") and a passage of
        it holds the paragraph asked for, or a topic word of the question: its text may be little like
        the question ("What does norm 1.3 of A/RES/73/27 say about proxies?") and still answer it."""
        named = query.spoken_of
        for r in results:
            if r.chunk.file in named and (r.asked_units or query.topic_terms & set(content_terms(text_of(r)))):
                return True
        return False

    def answer(self, question: str, results: list[Retrieved], standalone: str | None = None,
               query: QueryAnalysis | None = None) -> Answer:
        standalone = standalone or question
        query = query or analyse(standalone, self.documents)
        if query.absent:
            return absent_document_answer(question, query, results, standalone, self.name)
        if self.should_abstain(query, results):
            return abstention(question, results, standalone, self.name, unanswerable_because(query))
        picked, further = self.select(query, results)
        if not picked:
            missing = _NOT_STATED.get(query.asked_measure, "")
            return abstention(question, results, standalone, self.name, missing)
        picked = self._with_list(query, results, picked)
        picked = [(r, a, with_list(text_of(r), a, b, self.settings)) for r, a, b in picked]
        # A lead-in read on over what follows it may turn out a source cited ("France Diplomacy, “Cybersecurity:"
        # + "Paris Call ...” <https://...>"): no quote holds a web address, as no quotable sentence does.
        # (Not `reference_entry` whole: a resolution's "Welcomes the following set ..., adopted by the General
        # Assembly on 5 December 2016:" with its items has a date and a quoted title, and is no source.)
        picked = [(r, a, b) for r, a, b in picked if not holds_web_address(text_of(r)[a:b])]
        if not picked:
            return abstention(question, results, standalone, self.name)
        citations, parts = [], []
        for n, (result, quote) in enumerate(merge_adjacent(picked), start=1):
            citations.append(citation_for(n, result, quote))
            parts.append(f"{shown(quote)} [{n}]")
        quoted = {c.quote for c in citations}
        more = [citation_for(len(citations) + i, r, text_of(r)[a:b])
                for i, (r, a, b) in enumerate((p for p in further if text_of(p[0])[p[1]:p[2]] not in quoted), start=1)]
        return Answer(question, " ".join(parts), False, citations, passages_of(results), standalone, self.name,
                      further=more)

    def _with_list(self, query: QueryAnalysis, results: list[Retrieved],
                   picked: list[tuple[Retrieved, int, int]]) -> list[tuple[Retrieved, int, int]]:
        """The picks with the list the question asks for, when the passages hold it, leading."""
        def outside(items: list[tuple[Retrieved, int, int]]) -> list[tuple[Retrieved, int, int]]:
            return [p for p in picked if not any(p[0] is q[0] and p[1] < q[2] and q[1] < p[2] for q in items)]

        def terms(p: tuple[Retrieved, int, int]) -> set[str]:
            return set(content_terms(text_of(p[0])[p[1]:p[2]]))

        headed = headed_list(query.asked_items, results)
        if headed:
            # The list is the document's own headings, one quote each; a sentence follows only for what
            # else the question asks ("..., and are they maturity levels?"): topic words no heading holds.
            other = query.topic_terms - set().union(*map(terms, headed)) - set(count_stems().values())
            best = max(outside(headed), key=lambda p: len(other & terms(p)), default=None)
            return headed + ([best] if best and other & terms(best) else [])
        # The list asked for may take one sentence more than usual (2-5 sentences in all).
        listed = announced_list(query.requested, results, self.settings,
                                query.pointed)[:self.settings.max_sentences + 1] \
            or announced_headings(query.asked_items, picked[0] if picked else None, results, self.settings)
        if listed:
            # The list asked for leads, read whole; the best other sentences follow while room is left,
            # in sentences and in words (the list itself may take more than the budget: it is one answer).
            words = sum(len(text_of(r)[a:with_list(text_of(r), a, b, self.settings)].split()) for r, a, b in listed)
            out = list(listed)
            for r, a, b in outside(listed)[:max(0, self.settings.max_sentences - len(listed))]:
                words += len(text_of(r)[a:b].split())
                if words > self.settings.max_answer_words:
                    break
                out.append((r, a, b))
            return out
        return picked

    def select_sentences(self, query: QueryAnalysis, results: list[Retrieved]) -> list[tuple[Retrieved, int, int]]:
        """Best 2–4 sentences, as (passage, start, end) in reading order: question-term overlap
        (IDF-weighted) plus the passage's own relevance; later picks favour documents not yet
        quoted and skip near-repeats."""
        return self.select(query, results)[0]

    def select(self, query: QueryAnalysis,
               results: list[Retrieved]) -> tuple[list[tuple[Retrieved, int, int]], list[tuple[Retrieved, int, int]]]:
        """The sentences quoted (reading order) and the good ones left out to keep the answer
        short (best first), each as (passage, start, end)."""
        s = self.settings
        # A question naming a provision ("Article 16", "paragraph 4", "Objective 2.4") is answered by the
        # document's structure (its opening sentence says what it requires); the model judges the rest.
        named_provision = bool(query.units or query.paragraphs or query.headings or query.numbered)
        ranked = self.reranked(sorted(self.candidates(query, results), key=lambda c: -c.score),
                               query.topic or query.text, s.rerank_sentences,
                               0.0 if named_provision else s.sentence_similarity_weight)
        ranked = self.whole_units(ranked, query)
        chosen, passed_over, left_out = self._pick(ranked)
        if query.asks_quantity:
            chosen = self._with_quantity(chosen, ranked, query)
        named = query.named_or_aliased
        if len(named) >= 2:
            chosen = self._each_side(chosen, passed_over, named)
        # The passage holding the best pick leads; each passage's quotes keep their reading order.
        lead = {}
        for c in chosen:
            lead[id(c.result)] = max(lead.get(id(c.result), c.score), c.score)
        chosen.sort(key=lambda c: (-lead[id(c.result)], c.result.rank, c.start))
        further = [c for c in left_out if c not in chosen][:self.settings.max_further_quotes]
        return [(c.result, c.start, c.end) for c in chosen], [(c.result, c.start, c.end) for c in further]

    def _quotable_spans(self, query: QueryAnalysis, results: list[Retrieved]) -> list[tuple[Retrieved, int, int]]:
        """(passage, start, end) of every usable sentence of the passages worth quoting."""
        named, units, s = query.spoken_of, query.units, self.settings
        made_asked = query.asks_when_or_where_made  # read once: a regex over the question
        spans = []
        for r in results:
            # A weak passage is not quoted, unless it is from a document or a provision the question
            # names or describes: the text of "Article 16 of the Budapest Convention" is little like the question.
            if r.similarity < self.settings.sentence_min_similarity and r.chunk.file not in named \
                    and not r.asked_units and not (units and units & section_units(r.chunk.section)):
                continue
            text = text_of(r)
            sentences = sentence_spans(text, 0, len(text))
            # In a passage whose text is numbered (a resolution's paragraphs, a treaty's articles), what
            # stands outside every unit is front matter: a header, the adoption line, a distribution code.
            # Not where numbered lines are a small part of it: a slide's "1. Internet Society Learning"
            # below a page of prose numbers nothing else on it.
            numbered = mostly_numbered(r, text, sentences)
            for a, b in sentences:
                adopted = ADOPTION_LINE.match(text, a, b) if made_asked else None
                if adopted:  # front matter, but what the question asks
                    spans.append((r, a, adopted.end()))
                    continue
                if numbered and not r.unit_at(a):
                    continue
                header = SPACED_HEADER.match(text, a, b)  # "2 D O D C Y B E R …" page header
                a = header.end() if header else a
                heading = LEADING_HEADINGS.match(text, a, b)  # "SECURE GLOBAL SUPPLY CHAINS" over it
                a = heading.end() if heading and heading.end() < b else a
                a = title_line_end(text, a, b, r.meta.title)  # the document's title on a line of its own
                # A numbered paragraph asked for is quoted whole, however long its one sentence, and
                # no further: "(a) ...; (b) ..." read as one sentence is quoted to the end of (a).
                asked = [u for u in r.asked_units if u[0] <= a < u[1]]
                b = min([b] + [strip_span(text, a, u[1])[1] for u in asked])
                longest = s.asked_unit_max_words if asked else s.max_words
                if _SUB_ITEM.match(text, a, b) and not asked:
                    continue  # "a) the authority seeking the preservation;": a fragment of its lead's sentence
                folded = fold(text[a:b])
                if usable_sentence(folded, text[a:b], longest):
                    spans.append((r, a, b))
                elif made_asked and DATELINE.fullmatch(folded.strip()):
                    spans.append((r, a, b))  # "Paris, 12th of November, 2018": when and where it was made
                elif asked and (cell := _cell_statement(text, a, b)):
                    spans.append((r, a, cell))  # the entry asked for, laid out as a table row
                elif len(text[a:b].split()) > longest and _usable_long(text, a, b):
                    # Too long to quote whole: its list items, or else its clauses, are quoted instead;
                    # not its lettered items going on in lower case, fragments of the lead-in's sentence.
                    for x, y in list_item_spans(text, a, b) or [(a, b)]:
                        if _SUB_ITEM.match(text, x, y) and not asked:
                            continue
                        if len(text[x:y].split()) <= longest:
                            spans += [(r, x, y)] if len(text[x:y].split()) >= s.clause_min_words else []
                            continue
                        spans += [(r, x2, y2) for x2, y2 in clause_windows(text, x, y, s.clause_window_words)
                                  if len(text[x2:y2].split()) >= s.clause_min_words]
        return spans

    def candidates(self, query: QueryAnalysis, results: list[Retrieved]) -> list[Candidate]:
        """Every quotable sentence, scored."""
        spans = self._quotable_spans(query, results)
        quotes = [text_of(r)[a:b] for r, a, b in spans]
        sections = [r.section_at(a) if r.sections_of else r.chunk.section for r, a, _ in spans]
        unique_sections = list(dict.fromkeys(sections))
        term_lists = content_terms_many(quotes + unique_sections)
        section_terms = dict(zip(unique_sections, map(set, term_lists[len(quotes):])))
        top_sim = max(r.similarity for r in results)
        q_terms = set(query.terms)
        q_weight = sum(self.weights(t) for t in q_terms) or 1.0
        # Within a document the question names, the words naming it say nothing about a sentence
        # (its title, cover and imprint hold them all): only the rest of the question counts there.
        topic_terms = set(content_terms(query.topic)) if query.topic else q_terms
        topic_weight = sum(self.weights(t) for t in topic_terms) or 1.0
        leads = _LeadSentences()
        out = []
        for (r, a, b), quote, section, terms in zip(spans, quotes, sections, map(set, term_lists)):
            lead = leads.is_lead(r, a, section)
            # The heading a sentence stands under counts as part of what it says
            # ("Article 35 – 24/7 Network" for "Each Party shall designate a point of contact…").
            asked, weight = (topic_terms, topic_weight) if r.chunk.file in query.pointed else (q_terms, q_weight)
            overlap = sum(self.weights(t) for t in asked & (terms | section_terms[section])) / weight
            score = self._score(query, r, a, b, quote, section, overlap, lead, top_sim)
            out.append(Candidate(score, r, a, quote, terms))
        if query.headings:
            # The numbered heading the question names holds the answer when the passages hold it:
            # what stands under other headings is quoted only if nothing under it is good enough.
            under = [self._under_named(query, c.result, section, c.result.unit_at(c.start))
                     for c, section in zip(out, sections)]
            if any(under):
                for c, inside in zip(out, under):
                    c.score -= 0.0 if inside else self.settings.named_elsewhere_penalty
        return out

    def _score(self, query: QueryAnalysis, r: Retrieved, a: int, b: int, quote: str, section: str,
               overlap: float, lead: bool, top_sim: float) -> float:
        """Overlap, relevance, closeness, and the bonuses for what the question names."""
        s = self.settings
        relevance = r.similarity / top_sim if top_sim > 0 else 0.0
        # Sentences of the matched chunk itself beat those of the widened context.
        hit_start, hit_end = r.chunk.start - r.start, r.chunk.end - r.start
        distance = 0 if (b > hit_start and a < hit_end) else min(abs(a - hit_end), abs(hit_start - b))
        closeness = 1.0 / (1.0 + distance / s.closeness_scale_chars)
        score = s.overlap_weight * overlap + s.relevance_weight * relevance + s.closeness_weight * closeness \
            + (s.lead_bonus if lead else 0.0) - s.length_penalty * len(quote.split()) / 100
        unit = r.unit_at(a) if query.paragraphs or query.headings else ""
        if query.paragraphs and _in_paragraph(unit, query.paragraphs):
            score += s.named_paragraph_bonus  # the very paragraph the question names ("Article 2(4)")
        named = query.named_or_aliased
        if self._under_named(query, r, section, unit):
            score += s.named_unit_bonus
            if lead:
                score += s.named_unit_lead_bonus  # its opening sentence says what it requires
        inside = [u for u in r.asked_units if u[0] <= a < u[1]]
        if inside:
            score += s.named_paragraph_bonus  # in the numbered paragraph the question names ("paragraph 4")
            if any(len(text_of(r)[u[0]:a].split()) <= 1 for u in inside):
                score += s.named_unit_lead_bonus  # its opening words, after the number
        if s.made_bonus and query.asks_when_or_where_made and says_when_made(quote):
            score += s.made_bonus  # the document's own word on when it was made, asked for
        if s.definition_bonus and query.defined_term and defines(quote, query.defined_term):
            score += s.definition_bonus  # the definition of the term asked about
        # The question asks about the documents it names, or else those it describes by date, year, type
        # and place (dev 0.654 -> 0.692 all evidence in the answer, dev2 0.367 -> 0.40; gold and held-out equal).
        pointed = named or set(query.pointed)
        if pointed and r.chunk.file not in pointed:
            score -= s.named_elsewhere_penalty
        return score

    @staticmethod
    def _under_named(query: QueryAnalysis, r: Retrieved, section: str, unit: str) -> bool:
        """Under the provision or numbered heading the question names ("Article 2", "Strategic
        Objective 2.4"), of the document it names, if it names one."""
        named = query.named_or_aliased
        under = bool(query.units and query.units & section_units(section)) \
            or bool(query.headings and query.headings & unit_keys(unit))
        return under and (not named or r.chunk.file in named)

    def _pick(self, ranked: list[Candidate]) -> tuple[list[Candidate], list[Candidate], list[Candidate]]:
        """Greedy picks from the best down: a document not yet quoted gets a bonus; stop when the
        next is far below the first; skip near-repeats; leave out what would make the answer too
        long, and after that take only what reads on from a pick or lies in the first pick's unit
        (`stop_when_full`). Returns the picks, the candidates never looked at (best first) and those
        left out for length."""
        s = self.settings
        candidates = list(ranked)
        chosen: list[Candidate] = []
        docs: set[str] = set()
        total_words = 0
        left_out: list[Candidate] = []
        # The numbered unit of the first pick: a question about one long paragraph (a resolution's
        # operative paragraph, quoted by its clauses) is often answered by two of its clauses.
        lead_unit: tuple = ()
        full = False

        def same_unit(c: Candidate) -> bool:
            return bool(lead_unit) and c.result is lead_unit[0] and c.result.unit_at(c.start) == lead_unit[1]

        while candidates and len(chosen) < s.max_sentences:
            def adjusted(c: Candidate) -> float:
                return c.score + (s.new_document_bonus if chosen and c.file not in docs else 0.0) \
                    + (s.lead_unit_bonus if same_unit(c) else 0.0)
            best = max(candidates, key=adjusted)
            candidates.remove(best)
            if chosen and adjusted(best) < s.stop_below_share * chosen[0].score and len(chosen) >= s.min_sentences:
                break
            if chosen and adjusted(best) < s.floor_share * chosen[0].score:
                break
            if self._repeats(best, chosen):
                continue
            if full and not (_reads_on(best, chosen) or same_unit(best)):
                continue
            words = len(best.quote.split())
            if chosen and total_words + words > s.max_answer_words \
                    and adjusted(best) < s.strong_pick_share * chosen[0].score:
                left_out.append(best)
                full = s.stop_when_full
                continue
            chosen.append(best)
            docs.add(best.file)
            total_words += words
            if len(chosen) == 1 and best.result.unit_at(best.start):
                lead_unit = (best.result, best.result.unit_at(best.start))
        return chosen, candidates, left_out

    def _with_quantity(self, chosen: list[Candidate], ranked: list[Candidate],
                       query: QueryAnalysis) -> list[Candidate]:
        """For a question asking how many, how much, how long or by what date: the picks, if one states a
        quantity (of what is counted, or of time; a sum, asked for money; a date, year or time limit, asked
        for a date) the question does not give itself; else with the best sentence above the floor that
        states one, in place of a pick that can give way once the answer is full. Else, when the question asks a count, a sum or a date first of all
        (`asked_measure`), none: the documents do not say, and the answer abstains rather than quote
        sentences without the figure."""
        of, measure = query.counted_things or None, query.asked_measure
        if measure == "money":
            of = None  # a sum is what is asked, whatever words stand by it

        def states(c: Candidate) -> bool:
            if measure == "date":
                return bool(dates(c.quote, query.text))
            return bool(quantities(c.quote, query.text, of, measure))

        if not chosen or any(map(states, chosen)):
            return chosen
        floor = self.settings.floor_share * chosen[0].score
        stated = next((c for c in ranked if c.score >= floor and c not in chosen and not self._repeats(c, chosen)
                       and states(c)), None)
        if stated is None:
            return [] if measure else chosen
        if len(chosen) >= self.settings.max_sentences:
            spare = self._spare(chosen) or min(chosen, key=lambda c: c.score)
            chosen = [c for c in chosen if c is not spare]
        return chosen + [stated]

    @staticmethod
    def _spare(chosen: list[Candidate], named: set[str] | None = None) -> Candidate | None:
        """The pick to give way when another must come in: the weakest of a document quoted more than
        once (or of one the question does not name, when `named`); None when there is none."""
        counts: dict[str, int] = {}
        for c in chosen:
            counts[c.file] = counts.get(c.file, 0) + 1
        spare = [c for c in chosen if counts[c.file] > 1 or named is not None and c.file not in named]
        return min(spare, key=lambda c: c.score) if spare else None

    def _repeats(self, candidate: Candidate, chosen: list[Candidate]) -> bool:
        return any(_jaccard(candidate.terms, c.terms) > self.settings.repeat_overlap for c in chosen)

    def whole_units(self, ranked: list[Candidate], query: QueryAnalysis) -> list[Candidate]:
        """Candidates (best first) each widened to the short numbered unit holding it (`whole_unit`),
        scored as their best sentence; a unit is offered once. Not for a question naming a paragraph
        or a coded entry ("op. para 2(a)", "ID.AM"), quoted by the rules for units asked (under an
        article or a heading named, its paragraphs are widened as anywhere)."""
        if not self.settings.unit_max_words or query.numbered or query.paragraphs:
            return ranked
        out, seen, sentences = [], set(), {}
        for c in ranked:
            text = text_of(c.result)
            if id(c.result) not in sentences:
                sentences[id(c.result)] = sentence_spans(text, 0, len(text))
            a, b = whole_unit(c.result, c.start, c.end, self.settings.unit_max_words, sentences[id(c.result)])
            key = (id(c.result), a, b)
            if key in seen:
                continue
            seen.add(key)
            if (a, b) != (c.start, c.end):
                quote = text[a:b]
                c = replace(c, start=a, quote=quote, terms=set(content_terms(quote)))
            out.append(c)
        return out

    def _each_side(self, chosen: list[Candidate], others: list[Candidate], named: set[str]) -> list[Candidate]:
        """A question comparing documents it names is answered from each of them: a named document
        with a usable sentence in the passages but none chosen gets its best one, in place of the
        weakest pick of a document quoted more than once (or of one the question does not name)."""
        chosen = list(chosen)
        for file in sorted(named - {c.file for c in chosen}):
            own = [c for c in others if c.file == file and not self._repeats(c, chosen)]
            if not own:
                continue
            if len(chosen) >= self.settings.max_sentences:
                spare = self._spare(chosen, named)
                if spare is None:
                    continue
                chosen.remove(spare)
            chosen.append(max(own, key=lambda c: c.score))
        return chosen


def _reads_on(c: Candidate, chosen: list[Candidate]) -> bool:
    """Whether a candidate goes on where a pick ends (or ends where one starts), in the same passage."""
    text = text_of(c.result)
    return any(p.result is c.result and (not text[p.end:c.start].strip() if p.end <= c.start
                                         else not text[c.end:p.start].strip() if c.end <= p.start else False)
               for p in chosen)


class _LeadSentences:
    """Which sentence opens a section: the first sentence of a section whose heading stands in the
    passage (or before it: a passage may open on "### Article 16" though its first chunk is
    already filed under it)."""

    def __init__(self):
        self.continued: dict[int, str | None] = {}  # passage -> the section it starts within, headed elsewhere
        self.seen: set[tuple[int, str]] = set()

    def is_lead(self, r: Retrieved, a: int, section: str) -> bool:
        if id(r) not in self.continued:
            first = r.section_at(0) if r.sections_of else r.chunk.section
            at_heading = r.sections_of is not None and r.start > 0 and r.section_at(-1) != first
            self.continued[id(r)] = None if at_heading else first
        first_here = (id(r), section) not in self.seen
        self.seen.add((id(r), section))
        return first_here and (section != self.continued[id(r)] or (
            bool(section) and f" {fold_words(section.split(' – ')[0])} " in f" {fold_words(text_of(r)[:a])} "))


def mostly_numbered(r: Retrieved, text: str, sentences: list[tuple[int, int]], share: float = 0.25) -> bool:
    """Whether at least `share` of the words of the passage's sentences lie inside numbered units (a
    resolution's first page holds more front matter than paragraphs at times; a page of prose holds
    a numbered line or two)."""
    inside = total = 0
    for a, b in sentences:
        words = len(text[a:b].split())
        total += words
        inside += words if r.unit_at(a) else 0
    return total > 0 and inside >= share * total


def _usable_long(text: str, a: int, b: int) -> bool:
    """Whether a sentence too long to quote whole is prose, to be quoted by its clauses. One that
    runs past the end of the passage (a resolution's paragraph going on over a page break) is
    judged as if it ended there: it has no end mark only because the page ended."""
    raw = text[a:b]
    if not text[b:].strip() and not raw.rstrip().endswith((".", ";", ":")):
        raw = raw.rstrip() + "."
    return usable_sentence(fold(raw), raw, 10 ** 6)


def _within(label: str, unit: str) -> bool:
    """Whether a span labelled `label` lies in the unit `unit`: the unit itself or one of its
    lettered or numbered items ("Art. 35(1)(a)" in "Art. 35(1)")."""
    return label == unit or label.startswith(unit + "(")


def whole_unit(r: Retrieved, a: int, b: int, max_words: int,
               spans: list[tuple[int, int]] | None = None) -> tuple[int, int]:
    """The quote [a, b) widened to the whole numbered unit holding it (a treaty's paragraph with
    its items, a resolution's paragraph, a strategy's numbered paragraph), when the passage shows
    all of it and it has at most `max_words` words: a reader cites, and a question asks about, the
    paragraph, while a sentence of it often leaves out the condition or the items that answer.
    Otherwise [a, b) unchanged. `spans`: the passage's sentences, when the caller has them."""
    unit = r.unit_at(a)
    if not unit or not _within(r.unit_at(max(a, b - 1)), unit):
        return a, b
    text = text_of(r)
    spans = spans if spans is not None else sentence_spans(text, 0, len(text))
    inside = [i for i, (x, y) in enumerate(spans) if x < b and a < y]
    if not inside:
        return a, b
    lo, hi = inside[0], inside[-1]

    def prose(i: int) -> bool:
        """A sentence or list item of the unit: not a heading ("### Article 8", "CHAPTER II"), a
        note or a web address that the page's layout put inside it."""
        piece = text[spans[i][0]:spans[i][1]].strip()
        folded = fold(piece)
        short = 2 <= len(folded.split()) < 6 and folded[-1:] in ".;" and all(
            w.strip(".,;:()").isalpha() for w in folded.split())
        return not piece.startswith("#") and (usable_sentence(folded, piece, 10 ** 6) or short
                                              or bool(LIST_ITEM.match(folded)) and "://" not in piece)
    while lo > 0 and _within(r.unit_at(spans[lo - 1][0]), unit):
        lo -= 1
    while hi + 1 < len(spans) and _within(r.unit_at(spans[hi + 1][0]), unit):
        hi += 1
    runs_on = (lo == 0 and r.start > 0 and _within(r.unit_at(-1), unit)) or \
        (hi == len(spans) - 1 and _within(r.unit_at(len(text)), unit))
    while lo < inside[0] and not prose(lo):  # a heading over the unit, a number on its own line
        lo += 1
    while hi > inside[-1] and not prose(hi):
        hi -= 1
    # A note or a web address the page's layout put inside the unit: the sentence alone.
    if not all(prose(i) for i in range(lo, hi + 1) if i < inside[0] or i > inside[-1]):
        return a, b
    # A sentence may open before the candidate (a heading trimmed off) or run past it, in another unit.
    x = min(a, spans[lo][0]) if _within(r.unit_at(spans[lo][0]), unit) else a
    y = max(b, spans[hi][1]) if _within(r.unit_at(spans[hi][1] - 1), unit) else b
    # Within the candidate's page(s): a quote is verified on the page it cites.
    if runs_on or len(text[x:y].split()) > max_words or "\f" in text[x:a] + text[b:y]:
        return a, b
    return x, y


# In a table row read as text, the entry's statement runs on into the next cell's codes with no end
# mark: "... are inventoried CIS CSC 1 COBIT 5 BAI09.01": the statement ends before the first run
# of capitals followed by a number that comes after a lower-case word.
_NEXT_CELL = re.compile(r"(?<=[a-z,])\s+(?=[A-Z][A-Z/]+(?:\s+[A-Z]{2,})*\s+[A-Z]*\d)")


def _cell_statement(text: str, a: int, b: int) -> int | None:
    """Where the statement of a table-row entry starting at `a` ends, when it is a plain
    statement of at least four words (None otherwise)."""
    cut = _NEXT_CELL.search(text, a, b)
    end = cut.start() if cut else b
    words = text[a:end].split()
    if len(words) < 4 or not text[a:a + 1].isupper() or sum(w.strip(",.;:()").isalpha() for w in words) < 0.8 * len(words):
        return None
    return end


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0
