"""Tokens: the English tokeniser every part shares (BM25 terms, question stop-words).

Stemmed with PyStemmer and filtered with bm25s's English stop-words plus the words that carry
no topic in questions; kept identical at index and query time."""
from __future__ import annotations

import re
from functools import lru_cache


QUESTION_WORDS = ("what", "which", "who", "whom", "whose", "when", "where", "why", "how", "does", "do", "did",
                  "say", "says", "said", "tell", "about", "regarding", "concerning", "describe", "explain",
                  "according", "document", "documents", "please", "can", "could", "would", "should", "shall",
                  "may", "might", "must", "will", "also", "there", "their", "them", "they", "its", "it", "this",
                  "that", "these", "those", "is", "are", "was", "were", "be", "been", "being", "has", "have",
                  "had", "an", "a", "the", "of", "in", "on", "for", "to", "and", "or", "by", "with", "as", "at",
                  "from", "into", "than", "then", "so", "such", "any", "all", "some", "each", "other", "not",
                  "no", "nor", "if", "but", "we", "our", "us", "you", "your", "i", "me", "my", "he", "she",
                  "his", "her", "mean", "means", "meant", "define", "defines", "definition", "between")


@lru_cache(maxsize=1)
def _stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return sorted(set(STOPWORDS_EN) | set(QUESTION_WORDS))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Words that are never topic words (lower case)."""
    return frozenset(_stopwords())


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def bm25_tokenize(texts: list[str], return_ids: bool = True):
    import bm25s

    return bm25s.tokenize(texts, stopwords=_stopwords(), stemmer=_stemmer(), show_progress=False,
                          return_ids=return_ids)


def content_terms(text: str) -> list[str]:
    """Stemmed topic words of a text (the BM25 vocabulary's view of it)."""
    return bm25_tokenize([text], return_ids=False)[0]


def content_terms_many(texts: list[str]) -> list[list[str]]:
    return bm25_tokenize(texts, return_ids=False) if texts else []


def fold_words(text: str) -> str:
    """Lower-case words joined by single spaces, punctuation dropped: phrases compare as words."""
    return " ".join(re.findall(r"\w+", text.lower()))
