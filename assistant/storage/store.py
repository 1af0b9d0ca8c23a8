"""Store: one index generation on disk = FAISS index + SQLite docstore + vectors + BM25 + manifest.

Nothing is pickled: FAISS's own binary format, SQLite, .npy with allow_pickle=False,
bm25s's numpy/JSON files and a JSON manifest. Generations are written to a fresh folder
and published by atomically replacing the CURRENT pointer file, so a crash or kill -9
mid-write leaves the previous generation in place and loadable.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ..digest import file_sha256
from ..records import DocumentMeta, StoredChunk, UnitRun
from ..text.names import document_names, known_by
from ..text.tokens import bm25_tokenize

FORMAT_VERSION = 4  # 2: page texts stored for passage windows; 3: document symbol and date;
# 4: the numbered unit of every span of every page (ingest/structure.py)
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
DOCSTORE = "chunks.sqlite"
VECTORS = "vectors.npy"
FAISS_FILE = "faiss.index"
BM25_DIR = "bm25"


class IndexProblem(Exception):
    """Base for index problems; the message says what is wrong and what to do."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    pass


REBUILD_HINT = "rebuild it with `cda index build --full`"


@dataclass
class Manifest:
    embedding_model: str
    dimension: int
    chunking: dict
    index_type: str
    documents: dict  # file -> {"sha256", "chunks", "pages", "title", "notices"}
    chunk_count: int
    files: dict = field(default_factory=dict)  # generation file -> sha256 (tamper check)
    format_version: int = FORMAT_VERSION
    created: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Approximate index above the exact threshold (figures: docs/scaling.md, `cda bench --scale`).
# IVF with about sqrt(n) lists (a power of two), trained on a sample; each query scans 1/16 of
# the lists. Codes are float16 while the index fits in FP16_BUDGET_BYTES (recall@10 ~0.99 at
# 1M realistic vectors, ~740 MiB); 8-bit scalar codes above that (half the memory, recall@10
# ~0.97 at 1M, limited by quantisation ties rather than by the lists probed).
FP16_BUDGET_BYTES = 768 * 2**20
TRAIN_POINTS_PER_LIST = 64


def ivf_lists(n: int) -> int:
    return int(min(65536, max(64, 2 ** round(np.log2(max(1.0, np.sqrt(n)))))))


def ivf_nprobe(nlist: int) -> int:
    return int(min(nlist, max(16, nlist // 16)))


def choose_index_type(n: int, exact_max: int, dim: int = 384) -> str:
    """Exact inner-product search up to `exact_max` chunks; above, IVF with scalar
    quantization: float16 codes within FP16_BUDGET_BYTES, 8-bit codes beyond."""
    if n <= exact_max:
        return "Flat"
    nlist = ivf_lists(n)
    codes = "SQfp16" if n * (2 * dim + 8) + nlist * dim * 4 <= FP16_BUDGET_BYTES else "SQ8"
    return f"IVF{nlist},{codes}"


def build_faiss(vectors: np.ndarray, index_type: str):
    import faiss

    faiss.omp_set_num_threads(max(1, os.cpu_count() or 1))  # training and adding use every core
    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
    index = faiss.index_factory(dim, index_type, faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        nlist = faiss.extract_index_ivf(index).nlist
        rng = np.random.default_rng(0)
        size = min(len(vectors), TRAIN_POINTS_PER_LIST * nlist)
        rows = np.sort(rng.choice(len(vectors), size=size, replace=False))  # sorted: sequential reads
        index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
    if len(vectors):
        for start in range(0, len(vectors), 100_000):
            index.add(np.ascontiguousarray(vectors[start:start + 100_000], dtype=np.float32))
    set_search_params(index, index_type)
    return index


def set_search_params(index, index_type: str) -> None:
    """Ready an index for the assistant's searches: one query at a time, on one thread (OpenMP
    threads only add synchronisation to a single-query search: exact search over 200k vectors
    took 140 ms with 2 threads and 36 ms with 1 on a busy 2-core machine), IVF lists to probe."""
    import faiss

    faiss.omp_set_num_threads(1)
    if index_type.startswith("IVF"):
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = ivf_nprobe(ivf.nlist)


def bm25_postings(bm25, term: str) -> np.ndarray:
    """Ids of the chunks whose BM25 text holds the stemmed `term` (empty when unknown)."""
    tid = bm25.vocab_dict.get(term) if bm25 is not None else None
    if tid is None:
        return np.zeros(0, dtype=np.int64)
    indptr = bm25.scores["indptr"]
    return np.asarray(bm25.scores["indices"][indptr[tid]:indptr[tid + 1]])


def write_generation(index_dir: Path, manifest: Manifest, chunks: list[StoredChunk],
                     documents: dict[str, DocumentMeta], vectors: np.ndarray, bm25_texts: list[str],
                     pages: dict[tuple[str, int | None], str], units: list[UnitRun] = ()) -> Path:
    """Write a complete generation, then publish it. Returns the generation folder."""
    import bm25s
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    gen = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".tmp-{gen.name}"
    tmp.mkdir()
    _write_docstore(tmp / DOCSTORE, chunks, documents, pages, units)
    np.save(tmp / VECTORS, vectors.astype(np.float32), allow_pickle=False)
    faiss.write_index(build_faiss(vectors, manifest.index_type), str(tmp / FAISS_FILE))
    if bm25_texts:
        retriever = bm25s.BM25()
        retriever.index(bm25_tokenize(bm25_texts), show_progress=False)
        retriever.save(str(tmp / BM25_DIR), show_progress=False)
    manifest.files = {str(p.relative_to(tmp)): file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
    (tmp / MANIFEST).write_text(manifest.to_json())
    for p in tmp.rglob("*"):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
    os.rename(tmp, gen)
    _fsync_dir(index_dir)
    try:
        previous = (index_dir / CURRENT).read_text().strip()
    except OSError:
        previous = ""
    pointer = index_dir / f".{CURRENT}.tmp-{os.getpid()}"
    pointer.write_text(gen.name + "\n")
    with open(pointer, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(pointer, index_dir / CURRENT)  # the atomic publish
    _fsync_dir(index_dir)
    # The generation just replaced stays one build longer: a serving replica may be answering from
    # it (it moves to the new one at its next question); older ones go.
    _remove_stale(index_dir, keep={gen.name, previous})
    return gen


def _remove_stale(index_dir: Path, keep: set[str]) -> None:
    for p in index_dir.iterdir():
        if p.is_dir() and p.name not in keep and (p.name.startswith("gen-") or p.name.startswith(".tmp-gen-")):
            shutil.rmtree(p, ignore_errors=True)


def _write_docstore(path: Path, chunks: list[StoredChunk], documents: dict[str, DocumentMeta],
                    pages: dict[tuple[str, int | None], str], units: list[UnitRun] = ()) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE units (file TEXT NOT NULL, page INTEGER, start INTEGER, end_ INTEGER, label TEXT)")
        con.execute("CREATE INDEX units_by_page ON units (file, page)")
        con.executemany("INSERT INTO units VALUES (?,?,?,?,?)", [(u.file, u.page, u.start, u.end, u.label) for u in units])
        con.execute("CREATE TABLE pages (file TEXT NOT NULL, page INTEGER, text TEXT)")
        con.executemany("INSERT INTO pages VALUES (?,?,?)", [(f, p, t) for (f, p), t in pages.items()])
        con.execute("CREATE TABLE documents (file TEXT PRIMARY KEY, title TEXT, publisher TEXT, year TEXT, "
                    "type TEXT, jurisdiction TEXT, licence TEXT, origin TEXT, symbol TEXT, date TEXT, provenance TEXT, "
                    "known_by TEXT)")
        con.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, file TEXT NOT NULL, page INTEGER, "
                    "section TEXT, start INTEGER, end_ INTEGER, text TEXT, embed_hash TEXT)")
        # The words each document alone goes by depend on every document's text: read once here, at
        # build time, not by every replica opening the generation.
        words = _known_by(documents, chunks)
        con.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        [(m.file, m.title, m.publisher, m.year, m.type, m.jurisdiction, m.licence, m.origin,
                          m.symbol, m.date, json.dumps(m.provenance), json.dumps(words.get(m.file, [])))
                         for m in documents.values()])
        con.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
                        [(c.id, c.file, c.page, c.section, c.start, c.end, c.text, c.embed_hash) for c in chunks])
    con.close()


def _known_by(documents: dict[str, DocumentMeta], chunks: list[StoredChunk]) -> dict[str, list[str]]:
    """Per file, the words of its names no other document's names or text hold (text/names.py)."""
    texts: dict[str, list[str]] = {f: [] for f in documents}
    for c in chunks:
        texts.setdefault(c.file, []).append(c.text)
    words = known_by({f: document_names(f, m.title, m.publisher) for f, m in documents.items()},
                     {f: " ".join(t) for f, t in texts.items()})
    return {f: list(w) for f, w in words.items()}


class Generation:
    """A published, verified index generation, opened read-only."""

    def __init__(self, path: Path, manifest: Manifest):
        self.path = path
        self.manifest = manifest

    @cached_property
    def chunks(self) -> list[StoredChunk]:
        rows = self._read("SELECT id, file, page, section, start, end_, text, embed_hash FROM chunks ORDER BY id")
        return [StoredChunk(*row) for row in rows]

    @cached_property
    def chunk_ids_by_file(self) -> dict[str, np.ndarray]:
        """file -> the ids of its chunks, ascending (built once, on first use)."""
        by_file: dict[str, list[int]] = {}
        for c in self.chunks:
            by_file.setdefault(c.file, []).append(c.id)
        return {f: np.array(ids, dtype=np.int64) for f, ids in by_file.items()}

    @cached_property
    def documents(self) -> dict[str, DocumentMeta]:
        rows = self._read("SELECT * FROM documents")
        # A generation written before provenance was kept has ten columns, before the words documents
        # are known by were, eleven: those are read from its chunks now.
        documents = {row[0]: DocumentMeta(*row[:10], provenance=json.loads(row[10]) if len(row) > 10 and row[10] else {})
                     for row in rows}
        stored = bool(rows) and len(rows[0]) > 11
        words = {row[0]: json.loads(row[11]) for row in rows} if stored else _known_by(documents, self.chunks)
        return {f: replace(m, known_by=tuple(words.get(f, ()))) for f, m in documents.items()}

    def unit_runs(self, file: str, page: int | None) -> list[UnitRun]:
        """The page's runs of text by numbered unit, in order, as found at ingest."""
        rows = self._read("SELECT start, end_, label FROM units WHERE file = ? AND page IS ? ORDER BY start",
                          (file, page))
        return [UnitRun(file, page, *row) for row in rows]

    def page_text(self, file: str, page: int | None) -> str:
        """Full text of one page (or of a non-paged document), read on demand."""
        rows = self._read("SELECT text FROM pages WHERE file = ? AND page IS ?", (file, page))
        return rows[0][0] if rows else ""

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one query on this generation's docstore, opened read-only."""
        con = sqlite3.connect(f"file:{self.path / DOCSTORE}?mode=ro", uri=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    @cached_property
    def vectors(self) -> np.ndarray:
        return np.load(self.path / VECTORS, mmap_mode="r", allow_pickle=False)

    @cached_property
    def faiss_index(self):
        import faiss

        try:
            index = faiss.read_index(str(self.path / FAISS_FILE))
        except RuntimeError as exc:
            raise IndexCorrupt(f"FAISS index {self.path / FAISS_FILE} cannot be read ({exc}); {REBUILD_HINT}")
        if index.ntotal != self.manifest.chunk_count or index.d != self.manifest.dimension:
            raise IndexCorrupt(f"FAISS index {self.path / FAISS_FILE} holds {index.ntotal} vectors of "
                               f"dimension {index.d}, the manifest says {self.manifest.chunk_count} of "
                               f"{self.manifest.dimension}; {REBUILD_HINT}")
        set_search_params(index, self.manifest.index_type)
        return index

    @cached_property
    def bm25(self):
        import bm25s

        if not (self.path / BM25_DIR).exists():
            return None
        return bm25s.BM25.load(str(self.path / BM25_DIR), mmap=False, show_progress=False)


def current_generation_path(index_dir: Path) -> Path:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        raise IndexMissing(f"no index in {index_dir}: build one with `cda index build`")
    name = pointer.read_text().strip()
    gen = index_dir / name
    if not name or "/" in name or not gen.is_dir():
        raise IndexCorrupt(f"index pointer {pointer} names a missing generation {name!r}; {REBUILD_HINT}")
    return gen


def read_manifest(gen: Path) -> Manifest:
    try:
        return Manifest.from_json((gen / MANIFEST).read_text())
    except FileNotFoundError:
        raise IndexCorrupt(f"index manifest {gen / MANIFEST} is missing; {REBUILD_HINT}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
        raise IndexCorrupt(f"index manifest {gen / MANIFEST} is unreadable ({exc}); {REBUILD_HINT}") from None


def open_generation(index_dir: Path, embedding_model: str | None = None, chunking: dict | None = None,
                    verify: bool = True) -> Generation:
    """Open the published generation, refusing one built with another model or other
    chunk settings, and (with verify) one whose files do not match their recorded hashes."""
    index_dir = Path(index_dir)
    gen = current_generation_path(index_dir)
    manifest = read_manifest(gen)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(f"index in {index_dir} has format {manifest.format_version}, this version reads "
                            f"{FORMAT_VERSION}; {REBUILD_HINT}")
    if embedding_model is not None and manifest.embedding_model != embedding_model:
        raise IndexMismatch(f"index in {index_dir} was built with embedding model {manifest.embedding_model}, "
                            f"but the configured model is {embedding_model}; {REBUILD_HINT} "
                            "or point CDA_MODEL at the model it was built with")
    if chunking is not None and manifest.chunking != chunking:
        raise IndexMismatch(f"index in {index_dir} was built with chunk settings {manifest.chunking}, "
                            f"the configured ones are {chunking}; {REBUILD_HINT}")
    if verify:
        for name, digest in manifest.files.items():
            path = gen / name
            if not path.exists():
                raise IndexCorrupt(f"index file {path} is missing; {REBUILD_HINT}")
            if file_sha256(path) != digest:
                raise IndexCorrupt(f"index file {path} does not match its recorded checksum "
                                   f"(tampered or damaged); {REBUILD_HINT}")
    return Generation(gen, manifest)
