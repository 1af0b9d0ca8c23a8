"""Ingest: corpus files -> documents (loading) -> chunks (chunking) -> a published index (indexing)."""
from .chunking import embedding_text
from .indexing import EXIT_LOCKED, BuildLocked, build_index, index_status
from .loading import LoadError, decode_text, html_to_markdown_text, load_document, scan_corpus

__all__ = ["EXIT_LOCKED", "BuildLocked", "LoadError", "build_index", "decode_text", "embedding_text",
           "html_to_markdown_text", "index_status", "load_document", "scan_corpus"]
