"""Storage: the embedding model (embedding) and index generations on disk (store)."""
from .embedding import Embedder
from .store import (IndexCorrupt, IndexMismatch, IndexMissing, IndexProblem, build_faiss, choose_index_type,
                    open_generation)

__all__ = ["Embedder", "IndexCorrupt", "IndexMismatch", "IndexMissing", "IndexProblem", "build_faiss",
           "choose_index_type", "open_generation"]
