"""Python API: `assistant.open(index_dir).ask(question, k, filters, history) -> Answer`."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Iterator

from ..config import Settings, load_settings
from ..records import Answer, Filters
from ..storage.embedding import Embedder
from ..storage.store import open_generation
from .answering import CorpusMentions, ExtractiveAnswerer, TermWeights
from .comparison import Comparer, Scope, comparison_scope
from .conversation import condense_question, source_words
from .query import QueryAnalysis, analyse
from .retrieval import Retriever


class Assistant:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.embedder = Embedder(settings.model_path, settings.embed_batch_size)
        # Refuses an index built with another model or other chunk settings.
        self.generation = open_generation(settings.index_dir, self.embedder.model_id, settings.chunk.as_dict())
        self.retriever = Retriever(self.generation, self.embedder, settings.retrieval)
        self.extractive = ExtractiveAnswerer(settings.answer, TermWeights(self.generation.bm25,
                                                                          len(self.generation.chunks)),
                                             self.generation.documents,
                                             CorpusMentions(self.generation.bm25, self.generation.chunks,
                                                            self.generation.documents),
                                             self.embedder)
        self.comparer = Comparer(self.retriever, self.extractive, settings.comparison)

    @cached_property
    def generator(self):
        """The configured LLM answerer, or None for the extractive default."""
        if not self.settings.llm:
            return None
        from .generation import make_generator

        return make_generator(self.settings, self.settings.answer, fallback=self.extractive)

    @cached_property
    def source_words(self) -> frozenset[str]:
        """Words naming the indexed documents, which a follow-up uses to switch documents."""
        return source_words(self.generation.documents)

    @property
    def backend(self) -> str:
        return self.settings.llm or "extractive"

    def warm_up(self) -> None:
        self.retriever.search("cyber diplomacy", k=1)

    def retrieve(self, question: str, k: int | None = None, filters=None, history=None):
        """(standalone question, ranked passages) for a question in a conversation."""
        standalone, _, results = self.prepare(question, k, filters, history)
        return standalone, results

    def prepare(self, question: str, k: int | None = None, filters=None, history=None):
        """(standalone question, its QueryAnalysis, ranked passages): the follow-up made standalone,
        read once, and retrieved for; what `ask` answers from (and what the devtools judge)."""
        standalone, query = self.read(question, history, filters)
        return standalone, query, self.retriever.search(query, k or self.settings.retrieval.k, filters)

    def read(self, question: str, history=None, filters=None) -> tuple[str, QueryAnalysis]:
        """The follow-up made standalone, and read once (QueryAnalysis); a year alone describes a
        document only if the question's own passages include it (Retriever.corroborated)."""
        question = (question or "").strip()
        if not question:
            raise ValueError("question is empty")
        standalone = condense_question(question, history, self.source_words)
        return standalone, self.retriever.corroborated(analyse(standalone, self.generation.documents), filters)

    def table_scope(self, query: QueryAnalysis, filters=None) -> Scope | None:
        """The documents the question is asked across, when a table answers it."""
        return comparison_scope(query, self.generation.documents, Filters.from_dict(filters))

    def compare(self, files: list[str], topic: str) -> Answer:
        """A position table of 2-6 indexed documents on a topic (the chat's Compare control)."""
        unknown = [f for f in files if f not in self.generation.documents]
        if unknown:
            raise ValueError(f"not in the index: {', '.join(unknown)}")
        if not 2 <= len(set(files)) <= 6:
            raise ValueError(f"compare 2 to 6 documents, not {len(set(files))}")
        topic = (topic or "").strip()
        if not topic:
            raise ValueError("topic is empty")
        query = analyse(topic, self.generation.documents)
        return self.comparer.compare(topic, query, Scope("compare", list(dict.fromkeys(files))), topic=topic)

    def ask(self, question: str, k: int = 5, filters: dict | Filters | None = None, history=None) -> Answer:
        standalone, query = self.read(question, history, filters)
        question = question.strip()
        scope = self.table_scope(query, filters)
        if scope is not None:
            return self.comparer.compare(question, query, scope, standalone)
        results = self.retriever.search(query, k or self.settings.retrieval.k, filters)
        if self.generator is not None:
            return self.generator.answer(question, results, standalone, query)
        return self.extractive.answer(question, results, standalone, query)

    def stream(self, question: str, k: int = 5, filters=None, history=None) -> Iterator[str | Answer]:
        """Yields text deltas, then the final Answer (the extractive answer arrives sentence by sentence)."""
        standalone, query = self.read(question, history, filters)
        question = question.strip()
        scope = self.table_scope(query, filters)
        if scope is not None:  # a table arrives whole
            yield self.comparer.compare(question, query, scope, standalone)
            return
        results = self.retriever.search(query, k or self.settings.retrieval.k, filters)
        if self.generator is not None:
            yield from self.generator.stream(question, results, standalone, query)
            return
        answer = self.extractive.answer(question, results, standalone, query)
        words = answer.answer.split(" ")
        for i in range(0, len(words), 6):
            yield " ".join(words[i:i + 6]) + (" " if i + 6 < len(words) else "")
        yield answer

    @property
    def documents(self):
        return self.generation.documents


def open(index_dir: str | Path | None = None, **overrides) -> Assistant:  # noqa: A001 - public contract name
    """Open an index for questions. Raises store.IndexMissing / IndexMismatch / IndexCorrupt
    with a message saying what to do."""
    if index_dir is not None:
        overrides["index_dir"] = Path(index_dir)
    return Assistant(load_settings(**overrides))
