"""The plain LangChain tutorial pipeline, kept as the yardstick DESIGN.md names:
1000-character recursive splits (200 overlap), all-MiniLM-L6-v2, FAISS, top-k similarity.
Its vectors are cached by content hash in a .npy file (no pickle) so reruns are quick."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..config import Settings
from ..ingest import LoadError, load_document, scan_corpus


class LangChainBaseline:
    def __init__(self, settings: Settings, cache_dir: Path | None = None):
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.embeddings = HuggingFaceEmbeddings(model_name=settings.model_path,
                                                model_kwargs={"device": "cpu", "local_files_only": True})
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        docs = []
        files, _ = scan_corpus(settings.corpus_dirs)
        for item in files:
            try:
                loaded = load_document(item)
            except LoadError:
                continue
            for page in loaded.pages:
                docs.append(Document(page_content=page.text, metadata={"source": item.meta.file, "page": page.number}))
        self.chunks = splitter.split_documents(docs)
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
