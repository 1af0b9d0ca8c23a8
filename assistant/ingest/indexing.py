"""Indexing: corpus folders -> a new published index generation, incrementally.

Unchanged documents (same SHA-256) keep their chunks and vectors; added and changed
documents are loaded, chunked and embedded, reusing any stored vector whose exact
embedding text is already known; removed documents drop out. A document that fails to
load is reported and never stops the build (a previously indexed version is kept).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .chunking import Chunk, embedding_text
from ..config import Settings
from ..storage.embedding import Embedder
from ..records import DocumentMeta, StoredChunk
from .structure import unit_runs
from .loading import CorpusFile, LoadedDocument, LoadError, scan_corpus
from .work import Loaded, Work, make_work
from ..storage.store import (Generation, IndexProblem, IndexMissing, Manifest, choose_index_type,
                    open_generation, write_generation)

EXIT_OK = 0
EXIT_SOME_FAILED = 2  # the index was built, but some files could not be indexed
EXIT_LOCKED = 3


class BuildLocked(Exception):
    pass


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[dict] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    embedded: int = 0  # distinct chunk texts sent through the model in this build
    notices: list[str] = field(default_factory=list)
    # Metadata read from the documents (not given by the catalog), per added or changed file:
    # {"year": {"value": "2016", "from": "text"}, ...}
    metadata: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def exit_status(self) -> int:
        return EXIT_SOME_FAILED if self.failed else EXIT_OK


def embed_hash(text: str, model_id: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


@contextmanager
def build_lock(index_dir: Path):
    """One build at a time per index folder; a second one is refused, never interleaved."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / ".build.lock"
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise BuildLocked(f"another build of {index_dir} is running ({holder}); try again when it ends") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}")
    fh.flush()
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="doc" if "doc" in desc else "chunk", disable=not enabled,
                file=sys.stderr, leave=False, dynamic_ncols=True)


def build_index(settings: Settings, full: bool = False, progress: bool = False,
                embedder: Embedder | None = None, ray_address: str | None = None) -> BuildReport:
    """Index the corpus folders into a new published generation, reusing what the last one holds.
    With `ray_address`, documents are loaded, chunked and embedded on that Ray cluster (work.py)."""
    started = time.perf_counter()
    report = BuildReport()
    embedder = embedder or Embedder(settings.model_path, settings.embed_batch_size)
    index_dir = Path(settings.index_dir)
    chunking = settings.chunk.as_dict()
    with build_lock(index_dir):
        work = make_work(ray_address, embedder, settings.chunk)
        base = _open_baseline(index_dir, embedder, chunking, full, report)
        files, report.notices[len(report.notices):] = scan_corpus(settings.corpus_dirs)
        corpus = _load_corpus(files, base, work, report, progress)
        report.removed = sorted(set(base.documents) - corpus.seen)
        rows = _assemble(corpus, base, embedder)
        to_embed = [i for i, src in enumerate(rows.vectors_from) if src is None]
        dim = base.previous.manifest.dimension if base.same_model else embedder.dimension
        vectors = _reused_vectors(rows.vectors_from, base.previous, dim)
        report.embedded = _embed_missing(vectors, rows.texts, to_embed, work, settings.embed_batch_size,
                                         progress)
        nothing_changed = (base.previous is not None and base.reuse_documents and not report.added
                           and not report.changed and not report.removed and not to_embed)
        if not nothing_changed:
            _publish(index_dir, settings, embedder.model_id, dim, chunking, corpus, rows, vectors)
        report.chunks = len(rows.stored)
        report.seconds = round(time.perf_counter() - started, 2)
        return report


@dataclass
class _Baseline:
    """The published generation a build starts from, and how much of it the build may reuse."""
    previous: Generation | None = None
    same_model: bool = False  # its vectors come from this embedder's model: reusable by hash
    reuse_documents: bool = False  # same model and chunking, not a full build: unchanged files kept
    documents: dict[str, dict] = field(default_factory=dict)  # its manifest entry per file
    chunks_by_file: dict[str, list[StoredChunk]] = field(default_factory=dict)
    vector_cache: dict[str, int] = field(default_factory=dict)  # embed hash -> row in previous vectors


def _open_baseline(index_dir: Path, embedder: Embedder, chunking: dict, full: bool,
                   report: BuildReport) -> _Baseline:
    """The current generation, if it opens; an unusable one is noted and the build starts afresh."""
    previous = None
    try:
        previous = open_generation(index_dir)
    except IndexMissing:
        pass
    except (IndexProblem, ValueError) as exc:  # ValueError: e.g. a non-UTF-8 byte in the manifest
        report.notices.append(f"previous index not reused: {exc}")
    if previous is None:
        return _Baseline()
    same_model = previous.manifest.embedding_model == embedder.model_id
    base = _Baseline(previous, same_model, same_model and not full and previous.manifest.chunking == chunking,
                     previous.manifest.documents)
    for c in previous.chunks:
        base.chunks_by_file.setdefault(c.file, []).append(c)
        if same_model:
            base.vector_cache.setdefault(c.embed_hash, c.id)
    return base


@dataclass
class _Corpus:
    """What the new generation holds, document by document, before its chunks are numbered."""
    kept: list[tuple[str, list[StoredChunk]]] = field(default_factory=list)  # (file, chunks with previous ids)
    fresh: list[tuple[str, list[Chunk]]] = field(default_factory=list)
    documents: dict[str, DocumentMeta] = field(default_factory=dict)
    doc_entries: dict[str, dict] = field(default_factory=dict)
    pages: dict[tuple[str, int | None], str] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def keep(self, name: str, base: _Baseline) -> None:
        """Carry the previous generation's version of a document over unchanged."""
        self.kept.append((name, base.chunks_by_file.get(name, [])))
        self.documents[name] = base.previous.documents[name]
        self.doc_entries[name] = base.documents[name]

    def add(self, item: CorpusFile, doc: LoadedDocument, chunks: list[Chunk]) -> None:
        """Take a freshly loaded and chunked document."""
        name = item.meta.file
        self.pages.update({(name, p.number): p.text for p in doc.pages})
        self.fresh.append((name, chunks))
        self.documents[name] = doc.meta
        self.doc_entries[name] = {"sha256": item.sha256, "catalog": catalog_digest(item.meta),
                                  "chunks": len(chunks), "title": doc.meta.title,
                                  "pages": len(doc.pages) if doc.pages[0].number else None,
                                  "notices": doc.notices}


def catalog_digest(meta: DocumentMeta) -> str:
    """What the catalog says of a file: a changed row (a title, a symbol) rebuilds the document
    even when its bytes are the same."""
    row = {k: v for k, v in meta.as_dict().items() if k != "provenance"}
    return hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest()[:16]


def _unchanged(prior: dict, item: CorpusFile) -> bool:
    return prior["sha256"] == item.sha256 and prior.get("catalog") == catalog_digest(item.meta)


def _load_corpus(files: list[CorpusFile], base: _Baseline, work: Work, report: BuildReport,
                 progress: bool) -> _Corpus:
    """Every corpus file kept from the previous generation or loaded and chunked anew."""
    corpus = _Corpus()
    to_load = [item for item in files if not _keepable(item, base)]
    bar = _progress(len(files), "loading documents", progress)
    bar.update(len(files) - len(to_load))
    loaded = dict(zip((item.meta.file for item in to_load), work.load_many(to_load, bar.update)))
    bar.close()
    for item in files:  # in corpus order, whichever finished first
        _add_file(item, base, corpus, report, loaded.get(item.meta.file))
    return corpus


def _keepable(item: CorpusFile, base: _Baseline) -> bool:
    prior = base.documents.get(item.meta.file)
    return bool(base.reuse_documents and prior and _unchanged(prior, item) and item.meta.file in base.previous.documents)


def _add_file(item: CorpusFile, base: _Baseline, corpus: _Corpus, report: BuildReport, loaded: Loaded | None) -> None:
    """One file into the corpus: kept when unchanged, else as loaded; a failure is reported, never raised."""
    name = item.meta.file
    corpus.seen.add(name)
    prior = base.documents.get(name)
    previous = base.previous
    if loaded is None:  # unchanged
        corpus.keep(name, base)
        report.unchanged += 1
        return
    if isinstance(loaded, Exception):
        report.failed.append({"file": name, "error": str(loaded)})
        if isinstance(loaded, LoadError) and prior and previous is not None and name in previous.documents \
                and base.reuse_documents:
            # Keep the last good version rather than losing the document.
            corpus.keep(name, base)
            report.notices.append(f"{name}: previous version kept in the index")
        return
    doc, chunks = loaded
    report.notices.extend(doc.notices)
    (report.changed if prior else report.added).append(name)
    read = metadata_read(doc.meta)
    if read:
        report.metadata[name] = read
    corpus.add(item, doc, chunks)


def metadata_read(meta: DocumentMeta) -> dict[str, dict]:
    """The fields of a document's metadata that the catalog did not give, with where they were read."""
    values = meta.as_dict()
    return {k: {"value": values[k], "from": source} for k, source in meta.provenance.items() if source != "catalog"}


@dataclass
class _Rows:
    """The new generation's chunks in id order, with their embedding texts and vector sources."""
    stored: list[StoredChunk] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    vectors_from: list[int | None] = field(default_factory=list)  # previous row, or None when it must be embedded


def _assemble(corpus: _Corpus, base: _Baseline, embedder: Embedder) -> _Rows:
    """Assemble the new generation: kept chunks first, then fresh ones, ids renumbered."""
    rows = _Rows()
    for name, chunks in corpus.kept:
        meta = corpus.documents[name]
        for number in sorted({c.page for c in chunks}, key=lambda p: (p is None, p or 0)):
            corpus.pages[(name, number)] = base.previous.page_text(name, number)
        for c in chunks:
            rows.stored.append(StoredChunk(len(rows.stored), c.file, c.page, c.section, c.start, c.end, c.text,
                                           c.embed_hash))
            rows.texts.append(embedding_text(meta.title, c.section, c.text))
            rows.vectors_from.append(c.id)
    for name, chunks in corpus.fresh:
        for c in chunks:
            text = c.embed_text
            h = embed_hash(text, embedder.model_id)
            rows.stored.append(StoredChunk(len(rows.stored), c.file, c.page, c.section, c.start, c.end, c.text, h))
            rows.texts.append(text)
            rows.vectors_from.append(base.vector_cache.get(h))
    return rows


def _reused_vectors(vectors_from: list[int | None], previous: Generation | None, dim: int) -> np.ndarray:
    """A vector matrix for the new rows, filled where the previous generation holds the vector."""
    vectors = np.zeros((len(vectors_from), dim), dtype=np.float32)
    reuse_rows = [i for i, src in enumerate(vectors_from) if src is not None]
    if reuse_rows:
        vectors[reuse_rows] = previous.vectors[[vectors_from[i] for i in reuse_rows]]
    return vectors


def _embed_missing(vectors: np.ndarray, texts: list[str], to_embed: list[int], work: Work,
                   batch_size: int, progress: bool) -> int:
    """Fill the rows to_embed of vectors; returns how many distinct texts went through the model."""
    # Identical embedding texts (boilerplate repeated across pages, a file that repeats itself)
    # go through the model once; the copies take the same vector.
    first_row: dict[str, int] = {}
    for i in to_embed:
        first_row.setdefault(texts[i], i)
    if first_row:
        # Sort by length so each batch pads little, then embed in slices for the progress bar.
        order = sorted(first_row.values(), key=lambda i: len(texts[i]))
        bar = _progress(len(order), "embedding chunks", progress)
        step = max(batch_size * 8, 256)
        slices = [order[s:s + step] for s in range(0, len(order), step)]
        for rows, embedded in zip(slices, work.embed_many([[texts[i] for i in rows] for rows in slices], bar.update)):
            vectors[rows] = embedded
        bar.close()
        copies = [i for i in to_embed if first_row[texts[i]] != i]
        if copies:
            vectors[copies] = vectors[[first_row[texts[i]] for i in copies]]
    return len(first_row)


def _publish(index_dir: Path, settings: Settings, model_id: str, dim: int, chunking: dict, corpus: _Corpus,
             rows: _Rows, vectors: np.ndarray) -> None:
    """Write the new generation and make it the current one."""
    manifest = Manifest(
        embedding_model=model_id, dimension=dim, chunking=chunking,
        index_type=choose_index_type(len(rows.stored), settings.exact_search_max_chunks),
        documents=corpus.doc_entries, chunk_count=len(rows.stored))
    write_generation(index_dir, manifest, rows.stored, corpus.documents, vectors, rows.texts, corpus.pages,
                     unit_runs(rows.stored, corpus.documents, corpus.pages))


def index_status(settings: Settings) -> dict:
    """What the index holds and whether the corpus changed since it was built."""
    gen = open_generation(Path(settings.index_dir), verify=False)
    files, _ = scan_corpus(settings.corpus_dirs)
    docs = gen.manifest.documents
    current = {f.meta.file: f for f in files}
    return {
        "index": str(gen.path),
        "built": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(gen.manifest.created)),
        "embedding_model": gen.manifest.embedding_model,
        "index_type": gen.manifest.index_type,
        "documents": len(docs),
        "chunks": gen.manifest.chunk_count,
        "added_since": sorted(set(current) - set(docs)),
        "changed_since": sorted(f for f in current if f in docs and not _unchanged(docs[f], current[f])),
        "removed_since": sorted(set(docs) - set(current)),
        "metadata_read": {f: read for f, meta in sorted(gen.documents.items()) if (read := metadata_read(meta))},
    }


def suggested_catalog_rows(settings: Settings) -> list[dict]:
    """A catalog row for every indexed document some of whose metadata was read from the document
    rather than given by the catalog: what the index uses, for an operator to review and keep."""
    from .loading import CATALOG_FIELDS

    gen = open_generation(Path(settings.index_dir), verify=False)
    return [{"file": f} | {k: meta.as_dict()[k] for k in CATALOG_FIELDS}
            for f, meta in sorted(gen.documents.items()) if metadata_read(meta)]
