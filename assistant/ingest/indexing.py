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

from .chunking import Chunk, Chunker, embedding_text
from ..config import Settings
from ..storage.embedding import Embedder
from ..records import DocumentMeta, StoredChunk
from .loading import LoadError, load_document, scan_corpus
from ..storage.store import (IndexProblem, IndexMissing, Manifest, choose_index_type,
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
                embedder: Embedder | None = None) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    embedder = embedder or Embedder(settings.model_path, settings.embed_batch_size)
    index_dir = Path(settings.index_dir)
    chunking = settings.chunk.as_dict()
    with build_lock(index_dir):
        previous = None
        try:
            previous = open_generation(index_dir)
        except IndexMissing:
            pass
        except (IndexProblem, ValueError) as exc:  # ValueError: e.g. a non-UTF-8 byte in the manifest
            report.notices.append(f"previous index not reused: {exc}")
        same_model = previous is not None and previous.manifest.embedding_model == embedder.model_id
        reuse_documents = same_model and not full and previous.manifest.chunking == chunking
        files, report.notices[len(report.notices):] = scan_corpus(settings.corpus_dirs)
        prev_docs = previous.manifest.documents if previous else {}
        prev_chunks_by_file: dict[str, list[StoredChunk]] = {}
        vector_cache: dict[str, int] = {}  # embed hash -> row in previous vectors
        if previous is not None:
            for c in previous.chunks:
                prev_chunks_by_file.setdefault(c.file, []).append(c)
                if same_model:
                    vector_cache.setdefault(c.embed_hash, c.id)

        chunker = Chunker(settings.chunk, embedder.count_wordpieces)
        pages: dict[tuple[str, int | None], str] = {}
        kept: list[tuple[str, list[StoredChunk]]] = []  # (file, chunks with previous ids)
        fresh: list[tuple[str, list[Chunk]]] = []
        documents: dict[str, DocumentMeta] = {}
        doc_entries: dict[str, dict] = {}
        seen = set()
        bar = _progress(len(files), "loading documents", progress)
        for item in files:
            name = item.meta.file
            seen.add(name)
            prior = prev_docs.get(name)
            if reuse_documents and prior and prior["sha256"] == item.sha256 and name in previous.documents:
                kept.append((name, prev_chunks_by_file.get(name, [])))
                documents[name] = previous.documents[name]
                doc_entries[name] = prior
                report.unchanged += 1
                bar.update(1)
                continue
            try:
                doc = load_document(item)
                chunks = chunker.chunk(doc)
                if not chunks:
                    raise LoadError(f"{name}: no indexable text")
            except LoadError as exc:
                report.failed.append({"file": name, "error": str(exc)})
                if prior and previous is not None and name in previous.documents and reuse_documents:
                    # Keep the last good version rather than losing the document.
                    kept.append((name, prev_chunks_by_file.get(name, [])))
                    documents[name] = previous.documents[name]
                    doc_entries[name] = prior
                    report.notices.append(f"{name}: previous version kept in the index")
                bar.update(1)
                continue
            except Exception as exc:  # a loader bug must not cost the other documents
                report.failed.append({"file": name, "error": f"{name}: unexpected {type(exc).__name__}: {exc}"})
                bar.update(1)
                continue
            report.notices.extend(doc.notices)
            pages.update({(name, p.number): p.text for p in doc.pages})
            (report.changed if prior else report.added).append(name)
            fresh.append((name, chunks))
            documents[name] = doc.meta
            doc_entries[name] = {"sha256": item.sha256, "chunks": len(chunks), "title": doc.meta.title,
                                 "pages": len(doc.pages) if doc.pages[0].number else None,
                                 "notices": doc.notices}
            bar.update(1)
        bar.close()
        report.removed = sorted(set(prev_docs) - seen)

        # Assemble the new generation: kept chunks first, then fresh ones, ids renumbered.
        stored: list[StoredChunk] = []
        texts: list[str] = []
        vectors_from: list[int | None] = []  # previous row, or None when it must be embedded
        for name, chunks in kept:
            meta = documents[name]
            for number in sorted({c.page for c in chunks}, key=lambda p: (p is None, p or 0)):
                pages[(name, number)] = previous.page_text(name, number)
            for c in chunks:
                stored.append(StoredChunk(len(stored), c.file, c.page, c.section, c.start, c.end, c.text,
                                          c.embed_hash))
                texts.append(embedding_text(meta.title, c.section, c.text))
                vectors_from.append(c.id)
        for name, chunks in fresh:
            for c in chunks:
                text = c.embed_text
                h = embed_hash(text, embedder.model_id)
                stored.append(StoredChunk(len(stored), c.file, c.page, c.section, c.start, c.end, c.text, h))
                texts.append(text)
                vectors_from.append(vector_cache.get(h))

        to_embed = [i for i, src in enumerate(vectors_from) if src is None]
        dim = previous.manifest.dimension if same_model else embedder.dimension
        vectors = np.zeros((len(stored), dim), dtype=np.float32)
        reuse_rows = [i for i, src in enumerate(vectors_from) if src is not None]
        if reuse_rows:
            vectors[reuse_rows] = previous.vectors[[vectors_from[i] for i in reuse_rows]]
        # Identical embedding texts (boilerplate repeated across pages, a file that repeats itself)
        # go through the model once; the copies take the same vector.
        first_row: dict[str, int] = {}
        for i in to_embed:
            first_row.setdefault(texts[i], i)
        if first_row:
            # Sort by length so each batch pads little, then embed in slices for the progress bar.
            order = sorted(first_row.values(), key=lambda i: len(texts[i]))
            bar = _progress(len(order), "embedding chunks", progress)
            step = max(settings.embed_batch_size * 8, 256)
            for s in range(0, len(order), step):
                rows = order[s:s + step]
                vectors[rows] = embedder.embed([texts[i] for i in rows])
                bar.update(len(rows))
            bar.close()
            copies = [i for i in to_embed if first_row[texts[i]] != i]
            if copies:
                vectors[copies] = vectors[[first_row[texts[i]] for i in copies]]
        report.embedded = len(first_row)

        nothing_changed = (previous is not None and reuse_documents and not report.added and not report.changed
                           and not report.removed and not to_embed)
        if not nothing_changed:
            manifest = Manifest(
                embedding_model=embedder.model_id, dimension=dim, chunking=chunking,
                index_type=choose_index_type(len(stored), settings.exact_search_max_chunks),
                documents=doc_entries, chunk_count=len(stored))
            write_generation(index_dir, manifest, stored, documents, vectors, texts, pages)
        report.chunks = len(stored)
        report.seconds = round(time.perf_counter() - started, 2)
        return report


def index_status(settings: Settings) -> dict:
    """What the index holds and whether the corpus changed since it was built."""
    gen = open_generation(Path(settings.index_dir), verify=False)
    files, _ = scan_corpus(settings.corpus_dirs)
    docs = gen.manifest.documents
    current = {f.meta.file: f.sha256 for f in files}
    return {
        "index": str(gen.path),
        "built": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(gen.manifest.created)),
        "embedding_model": gen.manifest.embedding_model,
        "index_type": gen.manifest.index_type,
        "documents": len(docs),
        "chunks": gen.manifest.chunk_count,
        "added_since": sorted(set(current) - set(docs)),
        "changed_since": sorted(f for f in current if f in docs and docs[f]["sha256"] != current[f]),
        "removed_since": sorted(set(docs) - set(current)),
    }
