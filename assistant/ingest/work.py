"""Where a build's heavy work runs: loading and chunking documents, embedding chunk texts.

`LocalWork` does it in this process (the default). `RayWork` (`cda index build --ray ADDRESS`,
the optional `ray` extra) sends it as Ray tasks to a cluster's workers: one task per document to
load and chunk, one per slice of texts to embed, each worker process loading the model once. Ray
retries a task whose worker died. Everything else (what to reuse, numbering, the FAISS index,
BM25, the docstore, the atomic publish) stays in the building process, so a Ray build publishes
the same index a local build would. Workers must see the corpus files at the same paths and run
this package with the same model (on one machine, or a shared volume and the same install).
"""
from __future__ import annotations

import sys
from functools import lru_cache
from typing import Protocol

import numpy as np

from ..config import ChunkSettings
from ..storage.embedding import Embedder
from .chunking import Chunk, Chunker
from .loading import CorpusFile, LoadedDocument, LoadError, load_document

# What loading one file gave: the document and its chunks, or the error that stopped it.
Loaded = tuple[LoadedDocument, list[Chunk]] | Exception


def load_and_chunk(item: CorpusFile, chunker: Chunker) -> tuple[LoadedDocument, list[Chunk]]:
    """The loaded document and its chunks; LoadError when it has nothing to index."""
    doc = load_document(item)
    chunks = chunker.chunk(doc)
    if not chunks:
        raise LoadError(f"{item.meta.file}: no indexable text")
    return doc, chunks


def _loaded(item: CorpusFile, chunker: Chunker) -> Loaded:
    try:
        return load_and_chunk(item, chunker)
    except LoadError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - a loader bug must not cost the other documents
        return RuntimeError(f"{item.meta.file}: unexpected {type(exc).__name__}: {exc}")


class Work(Protocol):
    def load_many(self, items: list[CorpusFile], progress=None) -> list[Loaded]: ...
    def embed_many(self, slices: list[list[str]], progress=None) -> list[np.ndarray]: ...


class LocalWork:
    def __init__(self, embedder: Embedder, chunk_settings: ChunkSettings):
        self.embedder = embedder
        self.chunker = Chunker(chunk_settings, embedder.count_wordpieces)

    def load_many(self, items: list[CorpusFile], progress=None) -> list[Loaded]:
        out = []
        for item in items:
            out.append(_loaded(item, self.chunker))
            if progress is not None:
                progress(1)
        return out

    def embed_many(self, slices: list[list[str]], progress=None) -> list[np.ndarray]:
        out = []
        for texts in slices:
            out.append(self.embedder.embed(texts))
            if progress is not None:
                progress(len(texts))
        return out


@lru_cache(maxsize=2)
def _worker_embedder(model_path: str, batch_size: int, backend: str) -> Embedder:
    """One model per Ray worker process, loaded by its first task."""
    return Embedder(model_path, batch_size, backend=backend)


def _ray_load(item: CorpusFile, chunk_settings: ChunkSettings, model_path: str, batch_size: int,
              backend: str) -> Loaded:
    embedder = _worker_embedder(model_path, batch_size, backend)
    return _loaded(item, Chunker(chunk_settings, embedder.count_wordpieces))


def _ray_embed(texts: list[str], model_path: str, batch_size: int, backend: str, model_id: str) -> np.ndarray:
    embedder = _worker_embedder(model_path, batch_size, backend)
    if embedder.model_id != model_id:  # vectors of another model would poison the index
        raise RuntimeError(f"the Ray worker embeds with {embedder.model_id}, the build with {model_id}")
    return embedder.embed(texts)


class RayWork:
    """The same work as Ray tasks on the cluster at `address` ("auto", "HOST:6379", "ray://…")."""

    def __init__(self, address: str, embedder: Embedder, chunk_settings: ChunkSettings, retries: int = 3):
        try:
            import ray
        except ImportError as exc:
            raise ValueError("--ray needs the ray extra: pip install -e '.[ray]'") from exc
        self.ray = ray
        if not ray.is_initialized():
            # The driver logs to stderr only; nothing of the cluster's output is mixed into --json.
            ray.init(address=address, log_to_driver=False, logging_level="ERROR",
                     configure_logging=False)
        options = dict(num_cpus=1, max_retries=retries, retry_exceptions=False)
        self._load = ray.remote(**options)(_ray_load)
        self._embed = ray.remote(**options)(_ray_embed)
        self.args = (embedder.path, embedder.batch_size, embedder.requested_backend)
        self.model_id = embedder.model_id
        self.chunk_settings = chunk_settings

    def _gather(self, refs: list, sizes: list[int], progress) -> list:
        """Results in submission order, progress as each task ends."""
        ray = self.ray
        pending = {ref: i for i, ref in enumerate(refs)}
        results: list = [None] * len(refs)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                i = pending.pop(ref)
                results[i] = ray.get(ref)
                if progress is not None:
                    progress(sizes[i])
        return results

    def load_many(self, items: list[CorpusFile], progress=None) -> list[Loaded]:
        refs = [self._load.remote(item, self.chunk_settings, *self.args) for item in items]
        return self._gather(refs, [1] * len(refs), progress)

    def embed_many(self, slices: list[list[str]], progress=None) -> list[np.ndarray]:
        refs = [self._embed.remote(texts, *self.args, self.model_id) for texts in slices]
        return self._gather(refs, [len(t) for t in slices], progress)


def make_work(ray_address: str | None, embedder: Embedder, chunk_settings: ChunkSettings) -> Work:
    if ray_address:
        print(f"building on the Ray cluster at {ray_address}", file=sys.stderr, flush=True)
        return RayWork(ray_address, embedder, chunk_settings)
    return LocalWork(embedder, chunk_settings)
