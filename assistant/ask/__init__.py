"""Ask: a question -> its analysis (query) -> ranked passages (retrieval) -> a cited answer
(answering, lists; generation with an LLM), with follow-ups made standalone (conversation)."""
