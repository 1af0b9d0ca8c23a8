"""Retrieval: question -> ranked chunks, dense (FAISS) and lexical (BM25) fused by
reciprocal rank, filtered by catalog metadata, then diversified across documents."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
import re
from functools import cached_property, lru_cache

import numpy as np

from .config import RetrievalSettings
from .embedding import Embedder
from .loading import DocumentMeta
from .store import Generation, StoredChunk, bm25_postings, content_terms, content_terms_many, stopwords


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

    @property
    def page(self) -> int | None:
        """1-based page of the chunk: the PDF page, or for form-fed text the page it starts on."""
        return self.page_at(self.chunk.start - self.start)

    def page_at(self, offset: int) -> int | None:
        """Page holding `offset` (relative to `text`)."""
        if self.chunk.page is not None or not self.page_breaks:
            return self.chunk.page
        return bisect_right(self.page_breaks, self.start + offset) + 1


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


_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split())}
_ORDINALS = "zeroth first second third fourth fifth sixth seventh eighth ninth tenth".split()
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_UNITS = ("article", "pillar", "section", "chapter", "principle", "objective", "tier", "norm", "recommendation")
_REFERENCE = re.compile(r"\b(" + "|".join(_UNITS) + r"|art\.)"
                        r"\s+(\d{1,3}|[ivxlc]{1,6}|" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def _number(token: str) -> int | None:
    t = token.lower()
    if t.isdigit():
        return int(t)
    if t in _NUMBER_WORDS:
        return _NUMBER_WORDS[t]
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
        n = _number(token)
        if n is not None and n > 0:
            refs.add(("article" if kind.lower() == "art." else kind.lower(), n))
    return refs


def section_units(section: str) -> set[tuple[str, int]]:
    """The numbered unit a section heading opens with: "Article 35 – 24/7 Network" -> ("article", 35)."""
    match = _REFERENCE.match(section.strip())
    return structural_references(match.group(0)) if match else set()


COUNT_WORDS = {w: n for w, n in _NUMBER_WORDS.items() if 2 <= n <= 12}
_COUNT = re.compile(r"\b(" + "|".join(COUNT_WORDS) + r"|[2-9]|1[0-2])\s+((?:[A-Za-z][\w’'-]*[\s,—–-]+){0,4}[A-Za-z][\w’'-]*)",
                    re.IGNORECASE)


@lru_cache(maxsize=1)
def _count_stems() -> dict[int, str]:
    """Count -> its stemmed word as the BM25 index holds it (5 -> "five", 12 -> "twelv")."""
    return {n: content_terms(w)[0] for w, n in COUNT_WORDS.items()}


@lru_cache(maxsize=1)
def _unit_of_stem() -> dict[str, str]:
    """Stemmed unit names ("pillar", "principl") -> the unit ("principle")."""
    return {content_terms(unit)[0]: unit for unit in _UNITS}


def _noun_phrase(words: str, joined_by_and: bool) -> str:
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
    runs = [(t, COUNT_WORDS[number.lower()], _noun_phrase(words, True)) for t, text in enumerate(texts)
            for number, words in _COUNT.findall(text) if not number.isdigit()]
    out: list[set[tuple[int, str]]] = [set() for _ in texts]
    for (t, n, _), terms in zip(runs, content_terms_many([phrase for _, _, phrase in runs])):
        out[t].update((n, term) for term in terms)
    return out


@lru_cache(maxsize=256)
def _item_opening(m: int, stem: str) -> re.Pattern:
    ordinal = _ORDINALS[m]
    return re.compile(rf"(?:^|[.:;]\s+)(?:{ordinal})(?:ly)?,|\b{ordinal}\s+(?:\w+\s+)?{re.escape(stem)}",
                      re.IGNORECASE | re.MULTILINE)


def item_openings(n: int, stem: str, first: int = 1) -> list[re.Pattern]:
    """Where the items `first` to n of an announced list of `stem`s open, one pattern each:
    "Second, ..." or "Secondly," at a sentence start, or "For its second mission, ...". Ordinals
    go up to "tenth": items of a longer list past the tenth are not looked for."""
    return [_item_opening(m, stem) for m in range(first, min(n, len(_ORDINALS) - 1) + 1)]


def counted_request(question: str) -> set[tuple[int, str]]:
    """What a question asks to have listed: "What are the five pillars of ..." -> {(5, "pillar")},
    the last topic word of the phrase after the count ("three primary cyber missions" -> "mission")."""
    out = set()
    for number, words in _COUNT.findall(question):
        terms = content_terms(_noun_phrase(words, False))
        if terms:
            out.add((int(number) if number.isdigit() else COUNT_WORDS[number.lower()], terms[-1]))
    return out


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def _names(file: str, meta: DocumentMeta) -> list[set[str]]:
    """Topic words of the names a document goes by: its title, the title's words before a colon
    ("Cyberspace Policy Review: ..."), an alias in brackets ("Convention on Cybercrime (Budapest
    Convention, ETS No. 185)") and its file name ("Paris_Call_WG4_...")."""
    names = [meta.title, meta.title.split(":")[0], *_aliases(meta.title)]
    names.append(re.sub(r"[_\W]+", " ", file.rsplit(".", 1)[0]))  # last: see named_documents
    return [set(content_terms(_YEAR.sub(" ", n))) or {""} for n in names]


def fold_words(text: str) -> str:
    """Lower-case words joined by single spaces, punctuation dropped: phrases compare as words."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _aliases(title: str) -> list[str]:
    """Short names a catalogue title gives in brackets: "Convention on Cybercrime (Budapest
    Convention, ETS No. 185)" -> ["Budapest Convention"]."""
    return [alias.split(",")[0] for alias in re.findall(r"\(([^)]*)\)", title)]


def aliased_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """Files whose catalogue title gives a short name in brackets that the question uses:
    "Convention on Cybercrime (Budapest Convention, ETS No. 185)" for "Article 16 of the
    Budapest Convention"."""
    folded = fold_words(query)
    out = []
    for file, meta in documents.items():
        for name in map(fold_words, _aliases(meta.title)):
            if len(name.split()) >= 2 and re.search(rf"\b{re.escape(name)}\b", folded):
                out.append(file)
                break
    return out


def titled_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """Files whose title, or its part before a colon, the question quotes word for word, when
    that title has three topic words or more and is part of no other document's title: "the
    DiploFoundation study on improving the practice of cyber diplomacy"; not "what is cyber
    diplomacy", which begins two titles."""
    asked = f" {fold_words(query)} "
    titles = {file: fold_words(meta.title) for file, meta in documents.items()}
    out = []
    for file, meta in documents.items():
        for name in {fold_words(meta.title.split(":")[0]), titles[file]}:
            # The cheap phrase test first: this runs for every question, twice.
            if f" {name} " in asked and len(content_terms(name)) >= 3 \
                    and not any(name in t for f, t in titles.items() if f != file):
                out.append(file)
                break
    return out


def named_documents(query: str, documents: dict[str, DocumentMeta], min_overlap: float = 0.5) -> list[str]:
    """Files the question names: by title word for word (`titled_documents`), or by year and
    title, e.g. "the 2015 Cyber Strategy" or "the UK National Cyber Security Strategy
    2016-2021": for each year in the question, the document of
    that year whose names' words best cover the question, if they cover at least `min_overlap`
    of one name's words; every document of that year whose title the question gives in full
    ("Paris Call Working Groups 3 and 4"), when there are several. Comparisons name two or more
    documents this way."""
    years = set(_YEAR.findall(query))
    titled = titled_documents(query, documents)
    if not years:
        return titled
    asked = set(content_terms(query))
    named: list[str] = []
    for year in sorted(years):
        scored, complete = [], []
        for file, meta in documents.items():
            if str(meta.year_number) != year:
                continue
            names = _names(file, meta)
            cover = max(len(t & asked) / len(t) for t in names)
            # Equal cover (two 2021 Paris Call reports): the one more of whose name words are asked.
            scored.append(((cover, len(set().union(*names) & asked)), file))
            if any(t <= asked for t in names[:-1]):  # a title the question gives in full
                complete.append(file)
        scored.sort(reverse=True)
        if len(complete) > 1:
            named += sorted(complete)
        elif scored and scored[0][0][0] >= min_overlap:
            named.append(scored[0][1])
    return named + [file for file in titled if file not in named]


def topic_query(query: str, files: list[str], documents: dict[str, DocumentMeta]) -> str:
    """The question without the words that name the given documents (title words, years):
    within those documents every passage carries their title, so the rest says what is asked
    ("How do the 2018 National Cyber Strategy and the 2023 National Cybersecurity Strategy
    differ in how they propose to impose consequences..." -> "How do the and the differ in how
    they propose to impose consequences...")."""
    naming = set().union(*(t for f in files for t in _names(f, documents[f])))
    words = re.findall(r"\S+", _YEAR.sub(" ", query))
    return " ".join(w for w, terms in zip(words, content_terms_many(words)) if not set(terms) & naming)


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


def _uncovered(start: int, end: int, shown: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The longest part of [start, end) outside every span in `shown`."""
    gaps, at = [], start
    for a, b in sorted(shown):
        if b <= at or a >= end:
            continue
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if at < end:
        gaps.append((at, end))
    return max(gaps, key=lambda g: g[1] - g[0]) if gaps else None


class Retriever:
    def __init__(self, generation: Generation, embedder: Embedder, settings: RetrievalSettings):
        self.gen = generation
        self.embedder = embedder
        self.settings = settings
        self.chunks = generation.chunks
        self.documents = generation.documents
        self._doc_of_chunk = [self.documents.get(c.file) for c in self.chunks]
        self._page_text = lru_cache(maxsize=512)(generation.page_text)
        self._page_breaks = lru_cache(maxsize=512)(self._find_page_breaks)
        # Chunks on pages with almost no text: a cover page or a lone page number matches a
        # document's title words but can answer nothing.
        spans: dict[tuple[str, int | None], list[int]] = {}
        for c in self.chunks:
            span = spans.setdefault((c.file, c.page), [c.start, c.end])
            span[0], span[1] = min(span[0], c.start), max(span[1], c.end)
        self._thin = {c.id for c in self.chunks
                      if spans[(c.file, c.page)][1] - spans[(c.file, c.page)][0] < settings.min_passage_chars}
        # Chunks by the numbered unit their section heading opens with ("Article 35 – ...").
        self._by_reference: dict[tuple[str, int], list[int]] = {}
        for c in self.chunks:
            for ref in section_units(c.section):
                self._by_reference.setdefault(ref, []).append(c.id)

    def allowed_ids(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return self._chunk_ids([f for f, meta in self.documents.items() if filters.accepts(meta)])

    @cached_property
    def _ids_by_file(self) -> dict[str, np.ndarray]:
        by_file: dict[str, list[int]] = {}
        for c in self.chunks:
            by_file.setdefault(c.file, []).append(c.id)
        return {f: np.array(ids, dtype=np.int64) for f, ids in by_file.items()}

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

    def referenced(self, query: str, query_vector: np.ndarray, allowed: np.ndarray | None) -> list[int]:
        """Chunks under the numbered units the question names, most similar first."""
        ids = sorted({i for ref in structural_references(query) for i in self._by_reference.get(ref, ())})
        # "Article 16 of the Budapest Convention": not the Charter's or the Protocol's Article 16.
        aliased = aliased_documents(query, self.documents) if ids else []
        if aliased:
            ids = [i for i in ids if self.chunks[i].file in aliased]
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

    def listing(self, query: str, query_vector: np.ndarray,
                allowed: np.ndarray | None) -> tuple[list[int], dict[int, list[int]]]:
        """Chunks announcing the list a question asks for ("the five national priorities" ->
        "articulates five national priorities including: ..."), the chunks with its items where
        they follow as "Second, ..." and, for a list of numbered units ("the four pillars"), the
        opening chunk of each unit; most similar first. Also: announcing chunk -> item chunks."""
        wanted = counted_request(query)
        if not wanted:
            return [], {}
        # Read only the chunks holding both the count word and the noun (BM25 postings).
        candidates = sorted({int(i) for n, stem in wanted
                             for i in np.intersect1d(bm25_postings(self.gen.bm25, _count_stems().get(n, "")),
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
            kind = _unit_of_stem().get(stem)
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

    def search(self, query: str, k: int | None = None, filters: Filters | dict | None = None) -> list[Retrieved]:
        s = self.settings
        k = k or s.k
        filters = Filters.from_dict(filters)
        allowed = self.allowed_ids(filters)
        qv = self.embedder.embed_query(query)
        terms = content_terms(query)
        listed, enumerations = self.listing(query, qv, allowed)
        fused, lexical_scores = self._fused(qv, terms, k, allowed, self.referenced(query, qv, allowed), listed)
        named = named_documents(query, self.documents) if s.represent_named_documents else []
        if named and s.topic_weight:
            for i, v in self._topic_ranking(query, named, k, allowed).items():
                fused[i] = fused.get(i, 0.0) + s.topic_weight * v
        if named and s.named_boost:
            fused = {i: v * (1 + s.named_boost) if self.chunks[i].file in named else v for i, v in fused.items()}
        fused = follow_announcement(fused, enumerations)
        ranked = self._substantive(sorted(fused.items(), key=lambda x: -x[1]))
        picked = diversify([(i, score, self.chunks[i].file) for i, score in ranked], k,
                           s.max_per_document, s.diversity_margin)
        if len(named) >= 2:
            picked = self._represent(picked, named, qv, terms, k, allowed, fused)
        windows = self._windows(picked + [i for i, _ in ranked if i not in picked], k)
        ids = [w[0] for w in windows]
        sims = np.asarray(self.gen.vectors[sorted(ids)]) @ qv if ids else np.zeros(0)
        sim_of = dict(zip(sorted(ids), sims.tolist()))
        return [Retrieved(self.chunks[i], self._doc_of_chunk[i], fused[i], float(sim_of[i]),
                          float(lexical_scores[i]) if len(lexical_scores) else 0.0, rank, text, a, b,
                          self._section_finder(i), self._page_breaks(self.chunks[i].file, self.chunks[i].page))
                for rank, (i, a, b, text) in enumerate(windows, start=1)]

    def _find_page_breaks(self, file: str, page: int | None) -> tuple[int, ...]:
        if page is not None:
            return ()
        text = self._page_text(file, None) or ""
        return tuple(m.start() for m in re.finditer("\f", text.rstrip("\f")))

    def _fused(self, qv: np.ndarray, terms: list[str], k: int, allowed: np.ndarray | None,
               referenced: list[int] = (), listing: list[int] = ()) -> tuple[dict[int, float], np.ndarray]:
        s = self.settings
        dense_ids = self.dense(qv, max(s.dense_candidates, k), allowed)
        lexical_ids, lexical_scores = self.lexical(terms, max(s.lexical_candidates, k), allowed)
        fused = rrf_fuse([dense_ids, lexical_ids, list(referenced), list(listing)],
                         [s.dense_weight, s.lexical_weight, s.reference_weight, s.listing_weight], s.rrf_k)
        return fused, lexical_scores

    def _topic_ranking(self, query: str, named: list[str], k: int, allowed: np.ndarray | None) -> dict[int, float]:
        """Fused ranking of the named documents' chunks for the question without their names."""
        topic = topic_query(query, named, self.documents)
        terms = content_terms(topic)
        if not terms:
            return {}
        ids = self._chunk_ids(named, allowed)
        if len(ids) == 0:
            return {}
        return self._fused(self.embedder.embed_query(topic), terms, k, ids)[0]

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
            own, _ = self._fused(qv, terms, k, ids)
            if not own:
                continue
            best = self._substantive(sorted(own.items(), key=lambda x: -x[1]))[0][0]
            fused.setdefault(best, own[best])
            counts: dict[str, int] = {}
            for i in picked:
                counts[self.chunks[i].file] = counts.get(self.chunks[i].file, 0) + 1
            crowded = [j for j, i in enumerate(picked) if counts[self.chunks[i].file] > 1]
            if len(picked) >= k and crowded:
                picked.pop(crowded[-1])
            picked.append(best)
        return picked

    def _substantive(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The ranking without thin pages, unless nothing else is left (a short document)."""
        return [x for x in ranked if x[0] not in self._thin] or ranked

    def _section_finder(self, i: int):
        c = self.chunks[i]

        def find(offset: int) -> str:
            for j in range(max(0, i - 40), min(len(self.chunks), i + 40)):
                n = self.chunks[j]
                if n.file == c.file and n.page == c.page and n.start <= offset < n.end:
                    return n.section
            return c.section

        return find

    def window(self, i: int, taken: list[tuple[int, int]] = (), seed: tuple[int, int] | None = None) -> tuple[int, int]:
        """The chunk (or the `seed` part of it) widened alternately forwards and backwards over
        neighbouring chunks of the same page, while the span stays within `window_chars`:
        evidence often sits in the sentences just around a hit (measured on the gold set:
        crossing section boundaries found more evidence than stopping at them)."""
        chunks, c = self.chunks, self.chunks[i]
        start, end = seed or (c.start, c.end)
        lo, hi = i, i
        growing = {1: True, -1: True}
        while any(growing.values()):
            for step in (1, -1):
                if not growing[step]:
                    continue
                j = hi + 1 if step == 1 else lo - 1
                n = chunks[j] if 0 <= j < len(chunks) else None
                if n is None or n.file != c.file or n.page != c.page \
                        or any(a < n.end and n.start < b for a, b in taken):
                    growing[step] = False
                    continue
                a, b = min(start, n.start), max(end, n.end)
                if b - a > self.settings.window_chars:
                    growing[step] = False
                    continue
                start, end = a, b
                lo, hi = min(lo, j), max(hi, j)
        return start, end

    def _windows(self, candidates: list[int], k: int) -> list[tuple[int, int, int, str]]:
        """First k candidates not inside a window already chosen, each widened without repeating
        text already chosen: (id, start, end, text)."""
        out: list[tuple[int, int, int, str]] = []
        for i in candidates:
            c = self.chunks[i]
            shown = [(a, b) for j, a, b, _ in out
                     if self.chunks[j].file == c.file and self.chunks[j].page == c.page]
            # Chunks overlap, so an earlier window may cover only the start or the end of this
            # one: the rest is still shown when it is more than an overlap tail (a sentence in
            # it would otherwise be in no passage).
            seed = _uncovered(c.start, c.end, shown)
            if seed is None or (seed != (c.start, c.end)
                                and seed[1] - seed[0] < self.settings.min_uncovered_chars):
                continue
            # A window stops short of text an earlier passage already shows.
            a, b = self.window(i, shown, seed)
            page = self._page_text(c.file, c.page)
            text = page[a:b] if page else c.text
            out.append((i, a, b, text))
            if len(out) >= k:
                break
        return out
