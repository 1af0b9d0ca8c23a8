"""Ask: a question -> its analysis (query) -> ranked passages (retrieval) -> a cited answer
(answering, lists; generation with an LLM), with follow-ups made standalone (conversation)."""
from .generation import make_chat_model

__all__ = ["make_chat_model"]
