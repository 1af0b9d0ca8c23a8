"""Retrieval: question -> ranked chunks, dense (FAISS) and lexical (BM25) fused by
reciprocal rank, filtered by catalog metadata, then diversified across documents."""
from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import numpy as np

from ..config import RetrievalSettings
from ..records import Filters, Retrieved
from ..storage.embedding import Embedder
from ..storage.store import Generation, bm25_postings
from ..text.sentences import says_when_made, sentence_spans
from ..text.tokens import content_terms
from ..text.units import is_coded
from ..text.vocabulary import (count_stems, counted_terms, heading_at, heading_span, item_openings, section_units,
                               titled_heading, unit_of_stem)
from .passages import PassageWindows
from .query import QueryAnalysis, analyse


def rrf_fuse(rankings: list[list[int]], weights: list[float], k: int) -> dict[int, float]:
    """Reciprocal rank fusion: sum of weight / (k + rank) over the rankings an item is in."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def diversify(candidates: list[tuple[int, float, str]], k: int, max_per_document: int,
              margin: float) -> list[int]:
    """Pick k of (id, score, document) sorted by score, allowing at most `max_per_document`
    chunks of one document while another document's candidate scores within `margin`
    (a ratio) of the one being skipped. A single relevant document may still fill the list."""
    chosen: list[int] = []
    per_doc: dict[str, int] = {}
    skipped: list[int] = []
    for i, (item, score, doc) in enumerate(candidates):
        if len(chosen) >= k:
            break
        if per_doc.get(doc, 0) >= max_per_document:
            # A rival is a relevant candidate of a document that still has room in the list.
            rivals = any(d != doc and s >= margin * score and per_doc.get(d, 0) < max_per_document
                         for it, s, d in candidates[i + 1:])
            if rivals:
                skipped.append(item)
                continue
        chosen.append(item)
        per_doc[doc] = per_doc.get(doc, 0) + 1
    for item in skipped:  # fill up when the rivals ran out
        if len(chosen) >= k:
            break
        chosen.append(item)
    return chosen


def follow_announcement(fused: dict[int, float], enumerations: dict[int, list[int]]) -> dict[int, float]:
    """The items of the best-ranked announced list ("three primary missions. First, ...",
    "Second, ...") ranked right after its announcement: a list is read whole."""
    lead = max((a for a in enumerations if a in fused), key=lambda a: fused[a], default=None)
    if lead is None:
        return fused
    fused = dict(fused)
    for r, j in enumerate(enumerations[lead], start=1):
        fused[j] = max(fused.get(j, 0.0), fused[lead] * (1 - 0.001 * r))
    return fused


class Retriever:
    def __init__(self, generation: Generation, embedder: Embedder, settings: RetrievalSettings):
        self.gen = generation
        self.embedder = embedder
        self.settings = settings
        self.chunks = generation.chunks
        self.documents = generation.documents
        self._doc_of_chunk = [self.documents.get(c.file) for c in self.chunks]
        self.passages = PassageWindows(generation, settings)
        # Chunks on pages with almost no text: a cover page or a lone page number matches a
        # document's title words but can answer nothing.
        spans: dict[tuple[str, int | None], list[int]] = {}
        for c in self.chunks:
            span = spans.setdefault((c.file, c.page), [c.start, c.end])
            span[0], span[1] = min(span[0], c.start), max(span[1], c.end)
        self._thin = {c.id for c in self.chunks
                      if spans[(c.file, c.page)][1] - spans[(c.file, c.page)][0] < settings.min_passage_chars}
        # Chunks where a document says when it was made (its adoption line, "DONE at ...", dateline).
        self._made: dict[str, list[int]] = {}
        for c in self.chunks:
            if says_when_made(c.text):
                self._made.setdefault(c.file, []).append(c.id)
        # Chunks by the numbered unit their section heading opens with ("Article 35 – ...").
        self._by_reference: dict[tuple[str, int], list[int]] = {}
        for c in self.chunks:
            for ref in section_units(c.section):
                self._by_reference.setdefault(ref, []).append(c.id)

    def allowed_ids(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return self._chunk_ids([f for f, meta in self.documents.items() if filters.accepts(meta)])

    @property
    def _ids_by_file(self) -> dict[str, np.ndarray]:
        return self.gen.chunk_ids_by_file

    def _chunk_ids(self, files, allowed: np.ndarray | None = None) -> np.ndarray:
        """The ids of the chunks of `files`, ascending, within `allowed` when given."""
        parts = [self._ids_by_file[f] for f in files if f in self._ids_by_file]
        ids = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        return ids if allowed is None else np.intersect1d(ids, allowed)

    def dense(self, query_vector: np.ndarray, n: int, allowed: np.ndarray | None) -> list[int]:
        import faiss

        if self.gen.faiss_index.ntotal == 0:
            return []
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
            if self.gen.manifest.index_type.startswith("IVF"):
                params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed),
                                                   nprobe=faiss.extract_index_ivf(self.gen.faiss_index).nprobe)
        _, ids = self.gen.faiss_index.search(query_vector.reshape(1, -1), n, params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def lexical(self, terms: list[str], n: int, allowed: np.ndarray | None) -> tuple[list[int], np.ndarray]:
        bm25 = self.gen.bm25
        if bm25 is None:
            return [], np.zeros(len(self.chunks))
        known = [t for t in terms if t in bm25.vocab_dict]
        if not known:
            return [], np.zeros(len(self.chunks))
        scores = bm25.get_scores(known)
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[allowed] = True
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:n]
        return [int(i) for i in top if scores[i] > 0], scores

    def referenced(self, query: QueryAnalysis, query_vector: np.ndarray, allowed: np.ndarray | None) -> list[int]:
        """Chunks under the numbered units the question names, most similar first."""
        ids = sorted({i for ref in query.units for i in self._by_reference.get(ref, ())})
        # "Article 16 of the Budapest Convention": not the Charter's or the Protocol's Article 16.
        aliased = query.aliased if ids else []
        if aliased:
            ids = [i for i in ids if self.chunks[i].file in aliased]
        # "operative paragraph 4 of resolution 68/243": the chunks over that paragraph of the named
        # document; a coded entry ("ID.AM-1"), named by its code alone, in the documents named or in any.
        coded = any(is_coded(path) for path in query.numbered)
        for file in set(query.named) | (set(query.named_or_aliased or self._ids_by_file) if coded else set()):
            ids += self.passages.chunks_in_units(self._chunk_ids([file]), query.numbered_in(file))
        # "Strategic Objective 2.4 of the 2023 strategy", "Tier 3": chunks under that numbered heading.
        if query.headings:
            for file in query.named_or_aliased or self._ids_by_file:
                ids += self.passages.chunks_under(file, query.headings)
        return self._most_similar(ids, query_vector, allowed)

    def _most_similar(self, ids, query_vector: np.ndarray, allowed: np.ndarray | None) -> list[int]:
        """The allowed ones of `ids`, most similar to the question first, at most `dense_candidates`."""
        ids = sorted(ids)
        if allowed is not None:
            ids = sorted(set(ids) & set(allowed.tolist()))
        if not ids:
            return []
        sims = np.asarray(self.gen.vectors[ids]) @ query_vector
        return [ids[j] for j in np.argsort(-sims)[: self.settings.dense_candidates]]

    def listing(self, query: QueryAnalysis, query_vector: np.ndarray,
                allowed: np.ndarray | None) -> tuple[list[int], dict[int, list[int]]]:
        """Chunks announcing the list a question asks for ("the five national priorities" ->
        "articulates five national priorities including: ..."), the chunks with its items where
        they follow as "Second, ..." and, for a list of numbered units ("the four pillars"), the
        opening chunk of each unit; most similar first. Also: announcing chunk -> item chunks."""
        wanted = query.counted
        if not wanted:
            return [], {}
        # Read only the chunks holding both the count word and the noun (BM25 postings).
        candidates = sorted({int(i) for n, stem in wanted
                             for i in np.intersect1d(bm25_postings(self.gen.bm25, count_stems().get(n, "")),
                                                     bm25_postings(self.gen.bm25, stem))})
        found = counted_terms([self.chunks[i].text for i in candidates])
        ids = {i for i, keys in zip(candidates, found) if keys & wanted}
        # "... has three primary cyber missions. First, ..." : the items that follow ("Second,
        # DoD must ...", "Third, ...") are in the chunks after the announcement.
        enumerations: dict[int, list[int]] = {}
        for i, keys in zip(candidates, found):
            for n, stem in keys & wanted:
                items = self._enumerated(i, n, stem)
                if items:
                    ids.update(items)
                    enumerations[i] = items
        # "the four pillars": where documents number their pillars, the opening chunk of each.
        for n, stem in wanted:
            kind = unit_of_stem().get(stem)
            for number in range(1, n + 1) if kind else ():
                firsts: dict[str, int] = {}
                for i in self._by_reference.get((kind, number), ()):
                    firsts[self.chunks[i].file] = min(i, firsts.get(self.chunks[i].file, i))
                ids.update(firsts.values())
        if allowed is not None:
            permitted = set(allowed.tolist())
            enumerations = {i: [j for j in items if j in permitted] for i, items in enumerations.items()}
        return self._most_similar(ids, query_vector, allowed), enumerations

    def _enumerated(self, i: int, n: int, stem: str) -> list[int]:
        """Chunks after chunk i, in its document and within `enumeration_chunks`, that open the
        items "Second" to the n-th of a list of `stem`s announced in chunk i ("Second, ...",
        "For its second mission, ...")."""
        patterns = item_openings(n, stem, first=2)
        file, out = self.chunks[i].file, []
        for j in range(i + 1, min(len(self.chunks), i + 1 + self.settings.enumeration_chunks)):
            if self.chunks[j].file != file:
                break
            if any(p.search(self.chunks[j].text) for p in patterns):
                out.append(j)
        return out

    def search(self, query: str | QueryAnalysis, k: int | None = None,
               filters: Filters | dict | None = None) -> list[Retrieved]:
        """The k best passages for a question (or its analysis, when the caller made one)."""
        s = self.settings
        k = k or s.k
        if isinstance(query, str):
            query = analyse(query, self.documents)
        filters = Filters.from_dict(filters)
        allowed = self.allowed_ids(filters)
        qv = self.embedder.embed_query(query.text)
        terms = query.terms
        listed, enumerations = self.listing(query, qv, allowed)
        fused, lexical_scores = self._fused(qv, terms, k, allowed, self.referenced(query, qv, allowed), listed)
        named = query.named if s.represent_named_documents else []
        # Documents named, or else known by a short name ("under the Charter", "the Budapest Convention"),
        # or else described by date, year, type, place.
        spoken = named or query.short_named
        pointed = spoken or query.described
        if pointed and s.topic_weight:
            for i, v in self._topic_ranking(query, pointed, k, allowed).items():
                fused[i] = fused.get(i, 0.0) + s.topic_weight * v
        boost = s.named_boost if spoken else s.described_boost  # describing a document names it less surely
        if pointed and boost:
            files = set(pointed)
            fused = {i: v * (1 + boost) if self.chunks[i].file in files else v for i, v in fused.items()}
        fused = follow_announcement(fused, enumerations)
        ranked = self._substantive(sorted(fused.items(), key=lambda x: -x[1]))
        picked = diversify([(i, score, self.chunks[i].file) for i, score in ranked], k,
                           s.max_per_document, s.diversity_margin)
        if len(named) >= 2:
            picked = self._represent(picked, named, qv, terms, k, allowed, fused)
        if s.passage_per_ask and query.asks:
            picked = self._each_ask(picked, query.asks, pointed, k, allowed, fused)
        if s.made_statements and pointed and query.asks_when_or_where_made:
            picked = self._made_statements(picked, pointed, k, allowed, fused)
        windows = self.passages.windows(picked + [i for i, _ in ranked if i not in picked], k)
        headings = self.unit_headings(query, [self.chunks[w[0]].file for w in windows], allowed) \
            or self.announced_sections(query, windows, allowed)
        if headings:  # after the k passages, the ones where the units asked for are headed
            windows = self.passages.windows([w[0] for w in windows] + headings, k + len(headings))
            fused.update((i, 0.0) for i in headings if i not in fused)
        return self._retrieved(windows, qv, fused, lexical_scores, query)

    def corroborated(self, query: QueryAnalysis, filters: Filters | dict | None = None) -> QueryAnalysis:
        """The question's reading, without the documents a year alone describes when its own search
        (without the description) finds none of them among the first passages: "the 2015 text" finds
        resolution 70/237 by itself; "the 2015 Ukraine power grid attack" is no document of 2015."""
        if not query.described_by_year:
            return query
        plain = replace(query, described=[], described_by_year=False, topic="")
        found = {r.chunk.file for r in self.search(plain, self.settings.description_check_passages, filters)}
        return query if found & set(query.described) else plain

    def unit_headings(self, query: QueryAnalysis, shown: list[str], allowed: np.ndarray | None = None) -> list[int]:
        """A list asked for whose items are numbered units ("the four pillars", "What are the
        Tiers?"): in the first document shown whose sections number such units from 1 to the
        count asked (or to the last it has, when no count is asked), the chunk where each unit's
        heading stands, in unit order; [] when no shown document numbers them so."""
        permitted = None if allowed is None else set(allowed.tolist())
        for n, stem in sorted(query.asked_items, key=lambda r: (r[0] or 0, r[1])):
            kind = unit_of_stem().get(stem)
            for file in dict.fromkeys(shown) if kind else ():
                heads = []
                for number in range(1, self.settings.max_listed_units + 2):
                    head = self._heading_chunk(file, kind, number, permitted)
                    if head is None:
                        break
                    heads.append(head)
                if (len(heads) == n if n else 2 <= len(heads) <= self.settings.max_listed_units):
                    return heads
        return []

    def announced_sections(self, query: QueryAnalysis, windows: list[tuple[int, int, int, str]],
                           allowed: np.ndarray | None = None) -> list[int]:
        """A counted list asked for ("What two basic changes ...?") that a passage shown announces
        in its own words ("we will make two fundamental shifts in how ...") and whose document sets
        out as the sections that follow ("REBALANCE ...", "REALIGN ..."): the first chunk of each of
        those sections, when they are that many headings of one style; [] otherwise."""
        counts = {n for n, _ in query.asked_items if n}
        if not counts:
            return []
        permitted = None if allowed is None else set(allowed.tolist())
        for i, a, b, text in windows:
            spans = sentence_spans(text, 0, len(text))
            for (_, end), keys in zip(spans, counted_terms([text[x:y] for x, y in spans])):
                for n in {m for m, _ in keys} & counts:
                    heads = self._sections_after(self.chunks[i].file, self.chunks[i].page, a + end, n, permitted)
                    if heads:
                        return heads
        return []

    def _sections_after(self, file: str, page: int | None, offset: int, n: int,
                        permitted: set[int] | None) -> list[int]:
        """The first chunks of the n sections that begin after `offset` of `page`, when each begins with
        its heading, all in capitals or none, within `enumeration_chunks`."""
        heads, titles, before = [], [], None
        for j in self._ids_by_file.get(file, ()):
            c = self.chunks[int(j)]
            if ((c.page or 0), c.start) < ((page or 0), offset):
                before = c.section
                continue
            if len(heads) == n or int(j) - (heads[0] if heads else int(j)) > self.settings.enumeration_chunks:
                break
            if c.section != before:
                if not heading_at(c.text, c.section) or (permitted is not None and int(j) not in permitted):
                    return []
                heads.append(int(j))
                titles.append(c.section)
            before = c.section
        return heads if len(heads) == n and len({t.isupper() for t in titles}) == 1 else []

    def _heading_chunk(self, file: str, kind: str, number: int, permitted: set[int] | None) -> int | None:
        """The first chunk of `file` under unit `number` whose text holds its section's heading,
        preferring one that carries the title on the number's line (a running header "PILLAR IV:
        ADVANCE AMERICAN INFLUENCE" over a title page's "PILLAR IV" set above its title)."""
        found = []
        for i in self._by_reference.get((kind, number), ()):
            c = self.chunks[i]
            span = heading_span(c.text, c.section) if c.file == file and (permitted is None or i in permitted) else None
            if span:
                if titled_heading(c.text[span[0]:span[1]]):
                    return i
                found.append(i)
        return found[0] if found else None

    def _retrieved(self, windows: list[tuple[int, int, int, str]], qv: np.ndarray, fused: dict[int, float],
                   lexical_scores: np.ndarray, query: QueryAnalysis | None = None) -> list[Retrieved]:
        """The passages (chunk id, start, end, text) as ranked records."""
        ids = [w[0] for w in windows]
        sims = np.asarray(self.gen.vectors[sorted(ids)]) @ qv if ids else np.zeros(0)
        sim_of = dict(zip(sorted(ids), sims.tolist()))
        return [Retrieved(self.chunks[i], self._doc_of_chunk[i], fused[i], float(sim_of[i]),
                          float(lexical_scores[i]) if len(lexical_scores) else 0.0, rank, text, a, b,
                          self.passages.section_finder(i),
                          self.passages.page_breaks(self.chunks[i].file, self.chunks[i].page),
                          self.passages.asked_units(i, a, b, query.numbered_in(self.chunks[i].file)) if query else [],
                          self.passages.unit_finder(i))
                for rank, (i, a, b, text) in enumerate(windows, start=1)]

    def search_within(self, topic: str, files: list[str], k: int) -> dict[str, list[Retrieved]]:
        """The k best passages of each document for a topic, each document ranked on its own
        (dense and lexical fused within it), so one document cannot crowd out another. The
        question is embedded and scored lexically once for all of them."""
        s = self.settings
        qv = self.embedder.embed_query(topic)
        terms = content_terms(topic)
        scores = self.lexical(terms, 1, None)[1]
        out: dict[str, list[Retrieved]] = {}
        for file in files:
            ids = self._chunk_ids([file])
            if len(ids) == 0:
                out[file] = []
                continue
            sims = np.asarray(self.gen.vectors[ids]) @ qv
            dense = [int(ids[j]) for j in np.argsort(-sims)[:s.dense_candidates]]
            own = scores[ids] if len(scores) else np.zeros(len(ids))
            lexical = [int(ids[j]) for j in np.argsort(-own)[:s.lexical_candidates] if own[j] > 0]
            fused = rrf_fuse([dense, lexical], [s.dense_weight, s.lexical_weight], s.rrf_k)
            ranked = self._substantive(sorted(fused.items(), key=lambda x: -x[1]))
            windows = self.passages.windows([i for i, _ in ranked], k)
            out[file] = self._retrieved(windows, qv, fused, scores)
        return out

    def _fused(self, qv: np.ndarray, terms: list[str], k: int, allowed: np.ndarray | None,
               referenced: list[int] = (), listing: list[int] = ()) -> tuple[dict[int, float], np.ndarray]:
        s = self.settings
        dense_ids = self.dense(qv, max(s.dense_candidates, k), allowed)
        lexical_ids, lexical_scores = self.lexical(terms, max(s.lexical_candidates, k), allowed)
        fused = rrf_fuse([dense_ids, lexical_ids, list(referenced), list(listing)],
                         [s.dense_weight, s.lexical_weight, s.reference_weight, s.listing_weight], s.rrf_k)
        return fused, lexical_scores

    def _topic_ranking(self, query: QueryAnalysis, named: list[str], k: int,
                       allowed: np.ndarray | None) -> dict[int, float]:
        """Fused ranking of the named documents' chunks for the question without their names."""
        topic = query.topic
        terms = content_terms(topic)
        if not terms:
            return {}
        ids = self._chunk_ids(named, allowed)
        if len(ids) == 0:
            return {}
        return self._fused(self.embedder.embed_query(topic), terms, k, ids)[0]

    def _best_within(self, qv: np.ndarray, terms: list[str], k: int,
                     allowed: np.ndarray | None) -> tuple[int, float] | None:
        """The best substantive chunk (and its fused score) of a search within `allowed`; None when
        nothing matches."""
        own, _ = self._fused(qv, terms, k, allowed)
        ranked = self._substantive(sorted(own.items(), key=lambda x: -x[1]))
        return ranked[0] if ranked else None

    def _represent(self, picked: list[int], named: list[str], qv: np.ndarray, terms: list[str], k: int,
                   allowed: np.ndarray | None, fused: dict[int, float]) -> list[int]:
        """A question comparing documents it names gets passages from each of them: a named
        document missing from the top k takes the place of the lowest-ranked passage from a
        document that has more than one."""
        picked = list(picked)
        for file in named:
            if any(self.chunks[i].file == file for i in picked):
                continue
            ids = self._chunk_ids([file], allowed)
            if len(ids) == 0:
                continue
            found = self._best_within(qv, terms, k, ids)
            if found is None:
                continue
            best = found[0]
            fused.setdefault(best, found[1])
            counts: dict[str, int] = {}
            for i in picked:
                counts[self.chunks[i].file] = counts.get(self.chunks[i].file, 0) + 1
            crowded = [j for j, i in enumerate(picked) if counts[self.chunks[i].file] > 1]
            if len(picked) >= k and crowded:
                picked.pop(crowded[-1])
            picked.append(best)
        return picked

    def _each_ask(self, picked: list[int], asks: list[str], pointed: list[str], k: int,
                  allowed: np.ndarray | None, fused: dict[int, float]) -> list[int]:
        """A compound question gets the best passage for each of its asks, searched by the ask alone in
        the documents the question is about (those it points at, else all it may be answered from):
        "..., and what assistance must its points of contact provide?" is answered in another article
        than the first ask. A passage brought in takes the place of the lowest-ranked one no ask brought."""
        picked = list(picked)
        ids = self._chunk_ids(pointed, allowed) if pointed else allowed
        if ids is not None and len(ids) == 0:
            return picked
        brought: list[int] = []
        for ask in asks:
            terms = content_terms(ask)
            if len(terms) < 2:
                continue
            found = self._best_within(self.embedder.embed_query(ask), terms, k, ids)
            if found is None:
                continue
            best = found[0]
            if best in picked[:k]:
                brought.append(best)
                continue
            fused.setdefault(best, found[1])
            others = [j for j, i in enumerate(picked[:k]) if i not in brought]
            if len(picked) >= k and others:
                picked.pop(others[-1])
            picked.insert(min(len(picked), k - 1), best)
            brought.append(best)
        return picked

    def _made_statements(self, picked: list[int], pointed: list[str], k: int, allowed: np.ndarray | None,
                         fused: dict[int, float]) -> list[int]:
        """A question asking when or where a document it points at was made gets the passage where the
        document says so ("Resolution adopted by the General Assembly on 5 December 2018", a treaty's
        closing "DONE at Budapest, this 23rd day of November 2001"), in place of the lowest-ranked one."""
        picked = list(picked)
        for file in pointed:
            made = [i for i in self._made.get(file, []) if allowed is None or i in allowed]
            if not made or any(i in picked[:k] for i in made):
                continue
            best = max(made, key=lambda i: fused.get(i, 0.0))
            fused.setdefault(best, 0.0)
            if len(picked) >= k:
                picked.pop(k - 1)
            picked.insert(min(len(picked), k - 1), best)
        return picked

    def _substantive(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The ranking without thin pages, unless nothing else is left (a short document)."""
        return [x for x in ranked if x[0] not in self._thin] or ranked
