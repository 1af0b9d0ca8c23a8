"""Cyber Diplomacy Assistant: cited answers over cyber diplomacy documents, offline.

The package reads like its data flow: `ingest` (load, chunk, index) -> `storage` (embedding model,
index generations on disk) -> `ask` (query analysis, retrieval, answering) -> `app` (CLI, web
chat). `text` is the shared tokeniser and vocabulary, `records` the dataclasses that cross
modules, `devtools` the evaluation, benchmark and load tools built on the public API."""
from .ask.api import Assistant, open
from .records import Answer, Citation, Filters, Passage

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Passage", "open"]
__version__ = "0.1.0"
