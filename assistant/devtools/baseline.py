"""LangChain baselines, the yardsticks the assistant is measured against (docs/design.md):

- `tutorial`: the plain tutorial pipeline: 1000-character recursive splits (200 overlap),
  all-MiniLM-L6-v2, FAISS, top-k similarity;
- `ensemble`: the pipeline built in an afternoon: 800/120-character splits with the document title
  prefixed, LangChain's EnsembleRetriever fusing BM25 and FAISS (equal weights).

Both read the same documents (the project's loader) with the same model. Vectors are cached by
content hash in a .npy file (no pickle) so reruns are quick."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..config import Settings
from ..ingest import LoadError, load_document, scan_corpus


def _pages(settings: Settings):
    """LangChain Documents, one per page of every loadable corpus file."""
    from langchain_core.documents import Document

    docs = []
    files, _ = scan_corpus(settings.corpus_dirs)
    for item in files:
        try:
            loaded = load_document(item)
        except LoadError:
            continue
        for page in loaded.pages:
            docs.append(Document(page_content=page.text, metadata={"source": item.meta.file, "page": page.number,
                                                                   "title": loaded.meta.title}))
    return docs


class LangChainBaseline:
    """The tutorial pipeline."""

    chunk_size, chunk_overlap, title_prefix = 1000, 200, False

    def __init__(self, settings: Settings, cache_dir: Path | None = None):
        from langchain_community.vectorstores import FAISS
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.embeddings = HuggingFaceEmbeddings(model_name=settings.model_path,
                                                model_kwargs={"device": "cpu", "local_files_only": True})
        splitter = RecursiveCharacterTextSplitter(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap)
        self.chunks = splitter.split_documents(_pages(settings))
        if self.title_prefix:
            for c in self.chunks:
                c.page_content = f"{c.metadata['title']}\n{c.page_content}"
        texts = [c.page_content for c in self.chunks]
        vectors = self._cached_vectors(texts, cache_dir or Path(settings.index_dir) / ".baseline-cache")
        self.store = FAISS.from_embeddings(list(zip(texts, vectors.tolist())), self.embeddings,
                                           metadatas=[c.metadata for c in self.chunks])

    def _cached_vectors(self, texts: list[str], cache_dir: Path) -> np.ndarray:
        key = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
        path = cache_dir / f"vectors-{key}.npy"
        if path.exists():
            return np.load(path, allow_pickle=False)
        vectors = np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors, allow_pickle=False)
        (cache_dir / "README.json").write_text(json.dumps({"what": "LangChain baseline vectors cache"}))
        return vectors

    def search(self, question: str, k: int = 5) -> list[dict]:
        docs = self.store.similarity_search(question, k=k)
        return [{"rank": i, "file": d.metadata["source"], "page": d.metadata["page"], "text": d.page_content}
                for i, d in enumerate(docs, start=1)]


class EnsembleBaseline(LangChainBaseline):
    """The afternoon pipeline: BM25 and FAISS fused by LangChain's EnsembleRetriever."""

    chunk_size, chunk_overlap, title_prefix = 800, 120, True

    def __init__(self, settings: Settings, cache_dir: Path | None = None, k: int = 10):
        super().__init__(settings, cache_dir)
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever

        bm25 = BM25Retriever.from_documents(self.chunks, k=k)
        dense = self.store.as_retriever(search_kwargs={"k": k})
        self.retriever = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])

    def search(self, question: str, k: int = 5) -> list[dict]:
        docs = self.retriever.invoke(question)[:k]
        return [{"rank": i, "file": d.metadata["source"], "page": d.metadata["page"], "text": d.page_content}
                for i, d in enumerate(docs, start=1)]


def make_baseline(name: str, settings: Settings) -> LangChainBaseline:
    """The baseline `cda eval --baseline NAME` runs beside the assistant."""
    return {"tutorial": LangChainBaseline, "ensemble": EnsembleBaseline}[name](settings)
