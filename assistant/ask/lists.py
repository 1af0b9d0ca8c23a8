"""Lists in answers: a list the question asks for, read whole from the passages.

A document announces a list ("three primary cyber missions", "around five pillars:") and sets
its items out ("First, ...", "(1) ...", bullets); a quote of the announcement alone answers
nothing, so the items are read with it."""
from __future__ import annotations

import re

from ..config import AnswerSettings
from ..records import Retrieved
from ..text.sentences import holds_web_address, sentence_spans, usable_sentence
from ..text.tokens import content_terms
from ..text.units import enclosing_unit
from ..text.vocabulary import (BARE_MARKER, INLINE_ITEM, LIST_ITEM, LISTED_INLINE, counted_terms, heading_at,
                               item_openings, number_value, section_units, titled_heading, unit_line, unit_of_stem)


def text_of(r: Retrieved) -> str:
    """The passage shown and quoted (the chunk itself when no wider passage was made)."""
    return r.text or r.chunk.text


def fold(text: str) -> str:
    return " ".join(text.split())


def position(pick: tuple[Retrieved, int, int]) -> tuple[int, int]:
    """Where a (passage, start, end) pick starts in its document, in reading order: (page, page offset)."""
    return pick[0].chunk.page or 0, pick[0].start + pick[1]


def headed_list(wanted: set[tuple[int | None, str]], results: list[Retrieved]) -> list[tuple[Retrieved, int, int]]:
    """The list a question asks for when its items are numbered sections of one document ("the
    four pillars" -> "PILLAR I: PROTECT THE AMERICAN PEOPLE, ...", "PILLAR II: PROMOTE AMERICAN
    PROSPERITY", ...): each unit's heading as the passages show it, in unit order, as (passage,
    start, end); [] unless one document's passages head every unit from 1 to the count asked
    (with no count asked: from 1 to the last unit any of its passages is filed under, two at least)."""
    for n, stem in sorted(wanted, key=lambda w: (w[0] or 0, w[1])):
        kind = unit_of_stem().get(stem)
        for file in dict.fromkeys(r.chunk.file for r in results) if kind else ():
            shown = [r for r in results if r.chunk.file == file]
            found: dict[int, tuple[tuple[bool, int], tuple[Retrieved, int, int]]] = {}
            for r in shown:
                text = text_of(r)
                for line in unit_line(kind).finditer(text):
                    number = number_value(line.group(1))
                    for title in dict.fromkeys([r.section_at(line.start()), r.section_at(line.end()), r.chunk.section]):
                        if (kind, number) not in section_units(title):
                            continue
                        span = heading_at(text, title, line.start())
                        if span:
                            # A heading with its title on the number's line first, then the best passage's.
                            key = (not titled_heading(text[span[0]:span[1]]), r.rank)
                            if number not in found or key < found[number][0]:
                                found[number] = (key, (r, *span))
            last = n or max([m for r in shown for kind_, m in section_units(r.chunk.section) if kind_ == kind]
                            + list(found), default=0)
            if last >= 2 and all(m in found for m in range(1, last + 1)):
                return [found[m][1] for m in range(1, last + 1)]
    return []


def announced_headings(wanted: set[tuple[int | None, str]], lead: tuple[Retrieved, int, int] | None,
                       results: list[Retrieved],
                       settings: AnswerSettings = AnswerSettings()) -> list[tuple[Retrieved, int, int]]:
    """The list a question asks for by its count ("What two basic changes ...?"), when the best
    sentence announces that many things in its own words ("we will make two fundamental shifts in
    how ...") and the passages show the sections that follow it ("REBALANCE THE RESPONSIBILITY TO
    DEFEND CYBERSPACE", "REALIGN INCENTIVES ..."; retrieval adds them): the announcement and the
    headings of the first that many sections after it, as (passage, start, end); [] otherwise."""
    counts = {n for n, _ in wanted if n}
    if not counts or lead is None:
        return []
    r, a, b = lead
    announced = {n for n, _ in counted_terms([text_of(r)[a:b]])[0]} & counts
    # An announcement that sets its items out itself ("three parts: the Core, the Tiers, and the
    # Profiles") is the list: the sections after it are the document's next topics.
    if not announced or ":" in text_of(r)[a:b]:
        return []
    n = max(announced)
    after = position((r, b, b))  # the announcement's end
    headings = sorted((h for x in results if x.chunk.file == r.chunk.file for h in _section_headings(x)
                       if position(h) > after), key=position)
    firsts: dict[str, tuple[Retrieved, int, int]] = {}
    for h in headings:
        firsts.setdefault(fold(text_of(h[0])[h[1]:h[2]]), h)
    items, titles = list(firsts.values())[:n], list(firsts)[:n]
    # Items of one list: headings of one style, the first on the announcement's page or the next.
    if len(items) < n or any(len(t.split()) > settings.heading_item_words for t in titles) \
            or len({t.isupper() for t in titles}) > 1 or position(items[0])[0] > after[0] + 1:
        return []
    return [lead] + items


def _section_headings(r: Retrieved) -> list[tuple[Retrieved, int, int]]:
    """The headings of the sections whose beginning a passage shows, as the document lines them."""
    if not r.sections_of:
        return []
    text, out, before = text_of(r), [], r.section_at(0)
    for line in re.finditer(r"(?m)^[ \t]*\S", text):
        title = r.section_at(line.start())
        if title and title != before:
            span = heading_at(text, title, line.start())
            if span:
                out.append((r, *span))
        before = title
    return out


def announced_list(wanted: set[tuple[int | None, str]], results: list[Retrieved],
                   settings: AnswerSettings = AnswerSettings(),
                   pointed: list[str] = ()) -> list[tuple[Retrieved, int, int]]:
    """The list a question asks for ("the three primary cyber missions"), when a passage
    announces it ("The Defense Department has three primary cyber missions.") and the passages
    of that document go on with its items ("First, ...", "For its second mission, ...",
    "Third, ..."): the announcing sentence and the sentence opening each item found, as
    (passage, start, end) in reading order; [] unless two items or more are found. An
    announcement that carries its items (": (1) Defend ..., (2) Disrupt ...", or a list after
    ":" that `with_list` reads whole) is returned alone; so is a lead-in announcing "the following"
    list of that noun, without a count, in the documents the question points to if it points to any."""
    if not wanted:
        return []
    sentences = [(r, a, b) for r in results for a, b in sentence_spans(text_of(r), 0, len(text_of(r)))]
    quotes = [text_of(r)[a:b] for r, a, b in sentences]

    counted = counted_terms(quotes)
    for (r, a, b), keys in zip(sentences, counted):  # best passage first
        for n, stem in sorted(k for k in keys if k in wanted or (None, k[1]) in wanted):
            text = text_of(r)
            if with_list(text, a, b, settings) > b or len(INLINE_ITEM.findall(text, a, b)) >= 2 \
                    or LISTED_INLINE.search(text, a, b):
                # The announcement carries its items itself ("around five pillars: (1) Defend ...",
                # "five national priorities including:\nI. ..."), whatever sentences follow it.
                return [(r, a, b)]
            after = sorted(((x, q) for x, q in zip(sentences, quotes)
                            if x[0].chunk.file == r.chunk.file and position(x) > position((r, a, b))),
                           key=lambda xq: position(xq[0]))
            items, last = [], position((r, a, b))
            for opening in item_openings(n, stem):
                for x, quote in after:
                    match = opening.search(quote)
                    if position(x) > last and match and len(quote[:match.start()].split()) <= settings.item_opening_words \
                            and usable_sentence(fold(quote), quote):
                        items.append(x)
                        last = position(x)
                        break
            if len(items) >= 2:
                # The announcement closest before the first item: a heading ("Three Primary
                # Missions in Cyberspace") may announce the list too, sentences before it does.
                closest = max((x for x, k in zip(sentences, counted) if (n, stem) in k
                               and x[0].chunk.file == r.chunk.file and position(x) < position(items[0])),
                              key=position)
                return [closest] + items
    # Uncounted: "Welcomes the following set of international rules, norms and principles ...:" for
    # "Which norms ...?", read whole by `with_list`.
    for (r, a, b), quote in zip(sentences, quotes):
        if pointed and r.chunk.file not in pointed:
            continue
        following = _FOLLOWING.search(quote)
        nouns = set(content_terms(following.group(1))) if following and quote.rstrip().endswith(":") else set()
        if nouns & {stem for _, stem in wanted} and with_list(text_of(r), a, b, settings) > b:
            return [(r, a, b)]
    return []


# "the following" and the words that name what follows (the list's noun within a dozen words).
_FOLLOWING = re.compile(r"\bthe following((?:\W+\w+){1,12})", re.IGNORECASE)


def with_list(text: str, start: int, end: int, settings: AnswerSettings = AnswerSettings()) -> int:
    """End of a quote that introduces a list ("The Strategy rests on five pillars:"), extended
    over what it introduces: a lead-in quoted alone answers nothing. That is the sentence after
    it, and the ones after that while they start with a bullet or a number or follow an item
    ending in ";" ("...; and"); the list ends at an item ending in "." (in a bulleted list, at
    the first sentence that neither starts an item nor goes on with one on its line) or at
    `settings.list_max_chars`, and before a sentence citing a web address (a note set in among the
    items), which no quote holds."""
    following = sentence_spans(text, end, min(len(text), end + settings.list_max_chars))
    quote = text[start:end].rstrip()
    # "The strategy required under subsection (a) shall include" + "(1) a review of ...": a
    # lead-in with no end mark at all, followed by a numbered item, introduces it as ":" does.
    # (Not a resolution's preambular paragraph, which ends in "," before operative paragraph "1.".)
    unended = not quote.endswith((".", ",", ";", "!", "?", ")", "\"", "”", "’")) and bool(following) \
        and bool(LIST_ITEM.match(text, following[0][0]))
    if not (quote.endswith((":", "—")) or unended):
        return end
    new_end, last, bulleted, first_depth = end, "", False, 0
    previous_end = end
    for a, b in following:
        item = text[a:b]
        previous = text[start:new_end].rstrip()
        # The sentence right after the lead-in is what it introduces; later ones come as items,
        # or as what an item's short label introduces ("- Curate:" "Listening is the first step."),
        # or, in a bulleted list, as the rest of an item on its line ("It is done by curating.").
        label = last.rstrip().endswith(":") and len(last.split()) <= settings.item_label_words
        same_item = bulleted and "\n" not in text[new_end:a]
        # A marker the sentence splitter cut off on its own ("1." before "Strengthen ...;").
        marker = bool(BARE_MARKER.fullmatch(item))
        # After an item ending in ";", what follows goes on with the list unless a blank line
        # (a new paragraph) comes first.
        follows = previous.endswith((";", "; and", "; or")) and "\n\n" not in text[new_end:a]
        if new_end > end and not (LIST_ITEM.match(item) or follows
                                  or label or same_item or marker or BARE_MARKER.fullmatch(last)):
            break
        # A source cited between items (a page's note set in among them: "... can be found at
        # http://www.pcis.org.") is no item, and no quote may hold it: the list is read up to it.
        if holds_web_address(item):
            if BARE_MARKER.fullmatch(last) and new_end > end:
                new_end = previous_end  # the item's number goes with the item
            break
        if b - start > settings.list_max_chars:
            if (label or BARE_MARKER.fullmatch(last)) and new_end > end:
                # Cut after an item's label ("* Critique:") or its bare marker ("1.2."): the label
                # goes, its text does not fit.
                new_end = previous_end
            break
        depth = _decimal_depth(item)
        if depth and first_depth and depth < first_depth:
            break  # "2." after items "1.1.", "1.2.": the next paragraph, not the list's next item
        first_depth = first_depth or depth
        if new_end == end:  # items on lines of their own, each opening with a marker
            bulleted = bool(LIST_ITEM.match(item) or marker) and "\n" in text[end:a]
        previous_end, new_end, last = new_end, b, item
        if item.rstrip().endswith(".") and not (bulleted or marker):
            break
    return new_end


def _decimal_depth(item: str) -> int:
    """How many numbers the decimal marker opening an item has ("1.2." 2, "2." 1); 0 for none."""
    marker = _DECIMAL_MARKER.match(item)
    return marker.group(1).count(".") + 1 if marker else 0


_DECIMAL_MARKER = re.compile(r"\s*(\d{1,2}(?:\.\d{1,2}){0,2})\.(?:\s|$)")


def merge_adjacent(picked: list[tuple[Retrieved, int, int]]) -> list[tuple[Retrieved, str]]:
    """(passage, start, end) picks in reading order -> (passage, quote), with picks that follow
    each other in the same passage joined into one quote: a list introduced by "shall specify:"
    reads as one cited sentence, not as fragments each with its own marker."""
    merged: list[list] = []
    for r, a, b in picked:
        text = text_of(r)
        last = merged[-1] if merged else None
        # Picks one after the other are joined when they stand in one unit or in siblings ("Art. 16(1)"
        # and "(2)"), not across unrelated units (op. para 1(b) and op. para 2): the quote must be citable.
        if last and last[0] is r and (a <= last[2] or not text[last[2]:a].strip() and (
                bool(enclosing_unit(r.unit_at(last[1]), r.unit_at(max(a, b - 1))))
                or not (r.unit_at(last[1]) or r.unit_at(a)))):
            last[2] = max(last[2], b)
        else:
            merged.append([r, a, b])
    return [(r, text_of(r)[a:b]) for r, a, b in merged]
