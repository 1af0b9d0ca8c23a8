"""Text: the tokeniser, the vocabulary of document structure, sentence and note filters.

Imports nothing else of the package: every other part may use it."""
