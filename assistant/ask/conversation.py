"""Conversation: a follow-up question -> a standalone query, using the history.

Without an LLM the rewrite is rule-based: a follow-up that names a new document or
jurisdiction but no topic of its own ("and what does the UK strategy say?") borrows the
topic of the previous question; one that refers back with a pronoun ("what does it
require?") borrows the previous question's subject.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..records import DocumentMeta
from ..text.tokens import content_terms, content_terms_many

_FOLLOW_UP_START = re.compile(r"^\s*(and|but|also|what about|how about|and what about|same for|what of)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|there|the same)\b", re.I)
_TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|in relation to|with respect to)\s+(.+?)[?.!]*$", re.I)
# Words naming a kind of source, or asking what it says, rather than a topic. The names of the
# indexed documents themselves (jurisdictions, publishers, years, short names) come from the
# catalog: `source_words`.
_SOURCE_KINDS = ("strategy convention charter treaty protocol law code act framework resolution report "
                 "study review policy document call group working version say said differ one")


def source_words(documents: dict[str, DocumentMeta]) -> frozenset[str]:
    """Stemmed words that name sources: the kinds above and, for every catalogued document, its
    jurisdiction, year, short names in brackets, the acronyms in its title, publisher and file
    name ("UK", "DoD", "NIST") and its file name's first word ("Paris", "Budapest")."""
    names = [_SOURCE_KINDS]
    for file, meta in documents.items():
        words = re.sub(r"[_\W]+", " ", Path(file).stem).split()
        acronyms = re.findall(r"\b[A-Z][A-Za-z]*[A-Z]\w*\b", f"{meta.title} {meta.publisher} {' '.join(words)}")
        names += [meta.jurisdiction, meta.year, *re.findall(r"\(([^),]*)", meta.title), *acronyms, *words[:1]]
    return frozenset(t for terms in content_terms_many(names) for t in terms)


def normalise_history(history) -> list[tuple[str, str]]:
    """Accepts [(user, assistant), ...] or [{"role", "content"}, ...]; returns (user, assistant) pairs."""
    pairs: list[tuple[str, str]] = []
    if not history:
        return pairs
    pending_user = None
    for turn in history:
        if isinstance(turn, dict):
            role, content = turn.get("role"), turn.get("content") or ""
            if not isinstance(content, str):
                content = str(content)
            if role == "user":
                if pending_user is not None:
                    pairs.append((pending_user, ""))
                pending_user = content
            elif role == "assistant":
                pairs.append((pending_user or "", content))
                pending_user = None
        else:
            user, assistant = (list(turn) + ["", ""])[:2]
            pairs.append((user or "", assistant or ""))
    if pending_user is not None:
        pairs.append((pending_user, ""))
    return pairs


def condense_question(question: str, history, sources: frozenset[str] = frozenset()) -> str:
    """The question made standalone; `sources` are the words naming documents (`source_words`)."""
    sources = sources or source_words({})
    pairs = normalise_history(history)
    previous = next((u for u, _ in reversed(pairs) if u.strip()), "")
    if not previous:
        return question
    own_topic = [t for t in content_terms(question) if t not in sources]
    follow_up = bool(_FOLLOW_UP_START.match(question)) or len(question.split()) <= 4
    refers_back = bool(_PRONOUN.search(question))
    if own_topic and not refers_back and not (follow_up and len(own_topic) <= 1):
        return question
    if not follow_up and not refers_back and own_topic:
        return question
    topic_match = _TOPIC.search(previous)
    topic = topic_match.group(1).strip() if topic_match else " ".join(
        w for w in re.findall(r"[\w'-]+", previous) if w.lower() in _topic_words(previous, sources))
    if not topic:
        return question
    base = _FOLLOW_UP_START.sub("", question).strip().rstrip("?.! ")
    if not base:
        return previous
    if own_topic and refers_back:
        return f"{base} ({topic})?"
    return f"{base} about {topic}?"


def _topic_words(text: str, sources: frozenset[str]) -> set[str]:
    stems = set(t for t in content_terms(text) if t not in sources)
    return {w.lower() for w in re.findall(r"[\w'-]+", text) if content_terms(w) and content_terms(w)[0] in stems}
