"""Sentences: where sentences begin and end, and which ones are quotable.

A quotable sentence is prose: not a footnote or reference entry, a web address, a caption, a
heading, a running header or a menu of links. Imports nothing of the package but the vocabulary."""
from __future__ import annotations

import re

from .vocabulary import LIST_ITEM, LIST_MARKER, SUB_ITEM_LABEL

# A sentence ends at an end mark before a capital, at a blank line, or where a clause paragraph
# begins: a line ending in a comma or semicolon (a note number may follow) and the next opening
# with a capitalised participle ("Recalling ...,\nNoting ...,\nDeeply concerned ...") or a
# paragraph number ("1. Decides") — the preambles of resolutions, declarations and treaties set
# out one clause per paragraph, all one grammatical sentence.
CLAUSE_PARTICIPLE = r"[A-Z][a-z]+ing\b|[A-Z][a-z]+ly [a-z]+ed\b"
CLAUSE_OPENING = rf"{CLAUSE_PARTICIPLE}|\d{{1,2}}\.\s+[A-Z]"
# Not after an abbreviation that stands before a name or a number ("the U.S. Government", "Prof.
# Kurbalija", "ETS No. 185").
_ABBREVIATED = "".join(rf"(?<!\b{re.escape(a)})" for a in ("U.S.", "Prof.", "Dr.", "Mr.", "Mrs.", "Ms.", "No.", "Nos.",
                                                            "vs.", "cf.", "Rev."))
# A blank line or a page break before words going on in lower case ("in November, 2014, likely in
# retaliation for the\n\n\f\nplanned release of a satirical film") is inside a sentence, not between two,
# unless an end mark stands before it ("... for the Nation.\n\n\ftable of contents");
# a roman page number or item number is not such a word ("xii T H E N A T I O N A L ...", "ii. ...").
_GOES_ON = r"(?![ \t\f\n]*(?![ivx]+\b)(?:[a-z]{2}|a\s))"
# Nor after a framework entry's code ("RS.MI-3: Newly identified vulnerabilities are mitigated", "Asset
# Management (ID.AM): The data, personnel ..."): the code labels the sentence after it. A framework's
# table sets each coded entry on new lines, followed by lines of the standards it draws on ("CIS CSC 4",
# "COBIT 5 APO12.06", "ISO/IEC 27001:2013 A.12.6.1", "NIST SP 800-53 Rev. 4 CM-8, PM-5"): the entry is a
# sentence of its own, its references are not part of it.
_ENTRY_CODE = r"[A-Z]{2}\.[A-Z]{2}-\d{1,2}:\s"  # "RS.MI-3: " opening an entry
_CODED_ENTRY = re.compile(_ENTRY_CODE)
# Look-behinds take fixed widths only: the entry code spelt out for one digit and for two.
_CODE_LABEL = r"(?<!\b[A-Z]{2}\.[A-Z]{2}-\d:)(?<!\b[A-Z]{2}\.[A-Z]{2}-\d\d:)(?<!\([A-Z]{2}\.[A-Z]{2}\):)"
_TABLE_LINE = (rf"\s*\n(?=[ \t]*(?:{_ENTRY_CODE}|(?:\d\.\s+)?(?:[A-Z]{{2,5}}(?:/[A-Z]{{2,4}})?\s+(?:[A-Z]{{2,3}}\s+)?\d"
               r"|[A-Z]{1,5}\d{2}\.\d{2}\b|[A-Z]\.\d+\.\d)(?![^\n]*[a-z]{4})))")
SENTENCE_END = re.compile(r"(?<=[.!?;:])" + _ABBREVIATED + _CODE_LABEL + r"[\"'’”)\]]*\s+(?=[\"'‘“(\[]?[A-Z0-9•›])"
                          r"|(?<=[.!?])[\"'’”)\]]*[ \t]*\n\s*\n|\n\s*\n" + _GOES_ON + r"|\s*\n(?=[ \t]*#{1,6}[ \t]*\w)"
                          rf"|(?<=[,;])(?:[ \t]+\d{{1,2}})?[ \t]*\n(?={CLAUSE_OPENING})|" + _TABLE_LINE)
_CLAUSE_PARAGRAPH = re.compile(rf"(?:{CLAUSE_PARTICIPLE}).*,$", re.DOTALL)

_CLOSERS = "\"'’”)]"


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for m in SENTENCE_END.finditer(text, start, end):
        # The quotation mark or bracket closing after the end mark closes the sentence: "The aim is to
        # “prevent ... the Internet.”" keeps its ”, or the quote opens a quotation it never closes.
        cut = m.start()
        if cut > pos and text[cut - 1] in ".!?;:":
            while cut < m.end() and text[cut] in _CLOSERS:
                cut += 1
        if text[pos:cut].strip():
            spans.append((pos, cut))
        pos = m.end()
    if text[pos:end].strip():
        spans.append((pos, end))
    return _joined_back(text, [_without_next_number(text, *strip_span(text, s, e)) for s, e in spans])


# What a split at a colon or a blank line cuts off from the sentence it belongs to is joined back:
# - a lettered or roman item set off from its lead-in by a blank line ("A Party may, without the
#   authorisation of another Party:\n\na) access publicly available ...; or\n\nb) access or receive ...")
#   goes on with the sentence the lead-in begins, as where no blank line stands between ("... on an
#   expedited basis where: a) there are grounds ..."): the treaties' Markdown sets items apart so. Only
#   after a lead that does not end the sentence (a colon, semicolon, comma, "and", "or");
# - a run-in heading, a short phrase opening a line and closed by a colon with the sentence going on
#   on the same line ("Expand crowd-sourced vulnerability identification:  The Department will
#   continue ..."), labels that sentence, as a framework entry's code does.
_SUB_ITEM_START = re.compile(rf"{SUB_ITEM_LABEL}[ \t]*[a-z]")
_LEADS_ON = re.compile(r"(?:[:;,]|\b(?:and|or))$")
_RUN_IN_WORDS = 12


def _joined_back(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for a, b in spans:
        if joined and not text[joined[-1][1]:a].strip() and (
                _SUB_ITEM_START.match(text, a) and _LEADS_ON.search(text, joined[-1][0], joined[-1][1])
                or _run_in_heading(text, *joined[-1], a)):
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return joined


def _run_in_heading(text: str, a: int, b: int, next_start: int) -> bool:
    """Whether the span a..b ends in a run-in heading: a line of at most _RUN_IN_WORDS words, not in
    capitals, from its start to a colon, the sentence after it going on on the same line with a capital."""
    if text[b - 1] != ":" or "\n" in text[b:next_start] or not text[next_start].isupper():
        return False
    line_start = text.rfind("\n", 0, b) + 1
    if line_start < a and text[line_start:a].strip():
        return False  # the span begins inside a line: no heading opens it
    heading = text[max(line_start, a):b]
    # In capitals it is a heading of its own ("BUILD A CYBER DETERRENCE INITIATIVE: The imposition ..."),
    # left out of the quote as a heading line above a sentence is.
    return len(heading.split()) <= _RUN_IN_WORDS and any(c.islower() for c in heading)


# The number of the next paragraph or item, on its own line after a paragraph's last clause
# ("...civil society organizations,\n1.", "Securing Governments' Cyberspace; and\nV.", "in this
# field;\n(c)"), or after an item with no end mark ("(OSCE)\n62.", "in-person meetings\n6."), is not
# part of the sentence the split gives; a number the words before it refer to ("set forth in Article\n55.",
# "paragraphs 1 and\n2.") is.
_NEXT_NUMBER = re.compile(r"\s*\n[ \t]*\(?(?:[0-9]{1,3}(?:\.[0-9]{1,3})*|[IVX]{1,4}|[a-z])[.)]$")
_REFERRING = frozenset("article articles paragraph paragraphs para section sections chapter chapters table figure "
                       "annex rule rules version page pages pp p no and or to through at of".split())


def _without_next_number(text: str, start: int, end: int) -> tuple[int, int]:
    m = _NEXT_NUMBER.search(text, start, end)
    if not m or m.start() <= start:
        return start, end
    before = text[start:m.start()].rstrip()
    word = re.search(r"([A-Za-z]+)\W*$", before)
    if before.endswith((",", ";", ":", ".", "; and", "; or")) or word and word.group(1).lower() not in _REFERRING:
        return start, m.start()
    return start, end


_CLAUSE_BREAK = re.compile(r"[,;:]\s+")
_ITEM_START = re.compile(rf"\n(?=[ \t]*{LIST_MARKER}\s)")


def list_item_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence that sets out a list ("... the following: - Strengthen ...; - Support ...;"), cut
    into its lead-in and its items, each a line opening with a list marker; [] when it has fewer
    than two items. An item is what the document states, whole: better quoted than a window of
    clauses that starts inside one item and runs into the next."""
    cuts = [m.end() for m in _ITEM_START.finditer(text, start, end)]
    if len(cuts) < 2:
        return []
    bounds = [start] + cuts + [end]
    return [strip_span(text, a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def clause_windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Spans of a sentence too long to quote whole (a resolution's operative paragraph runs to 200
    words): from each clause start (after a comma, semicolon or colon), as many whole clauses as
    fit in `max_words`, at least one."""
    starts = [start] + [m.end() for m in _CLAUSE_BREAK.finditer(text, start, end)]
    ends = [m.start() + 1 for m in _CLAUSE_BREAK.finditer(text, start, end)] + [end]
    words = [len(text[a:b].split()) for a, b in zip(starts, ends)]
    spans = []
    for i, a in enumerate(starts):
        j, total = i, words[i]
        while j + 1 < len(ends) and total + words[j + 1] <= max_words:
            j += 1
            total += words[j]
        spans.append(strip_span(text, a, ends[j]))
    return list(dict.fromkeys(spans))


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end



# A letter-spaced page header ("2 D O D C Y B E R …") in front of a sentence.
SPACED_HEADER = re.compile(r"\s*(?:\d+\s+)?(?:[A-Z]\s+){4,}(?=[A-Z][a-z])")
# Heading lines in capitals run into the sentence below them ("SECURE GLOBAL SUPPLY CHAINS\nComplex
# and globally interconnected supply chains ..."): not part of what is quoted.
# (Periods too: "PREVENT ABUSE OF \nU.S.-BASED INFRASTRUCTURE".) A line is all such characters with
# a capital among them, checked by lookahead so that each line is read once: written as
# "[...]*[A-Z][...]*" it backtracks exponentially over a table's runs of codes ("COBIT 5 DSS05.04").
# A section marker may stand before one ("› CULTIVATE TALENT"), and a sentence ends before it.
_HEADING_CHARS = r"[A-Z0-9 .,&'’\-–—:|/()]"
LEADING_HEADINGS = re.compile(rf"\s*(?:(?:›[ \t]*)?(?={_HEADING_CHARS}*[A-Z])[A-Z0-9]{_HEADING_CHARS}*\n)+(?=\s*[A-Z][a-z])")
TOC = re.compile(r"\.{5,}|…{3,}")


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# A reference-list entry or footnote: a dated source with a quoted title or a pinpoint
# ("“NSTAC Response to the Sixty Day Cyber Study Group,” March 12, 2009, at 18, 21."), or a
# footnote number followed by an author ("7 Business Software Alliance, ..., March 19, 2009").
# No word boundary before the month: text from PDFs runs words together ("InstituteSeptember 10, 2019").
_DATED = re.compile(rf"{_MONTH}\s+\d{{1,2}},\s+\d{{4}}|\b\d{{1,2}}\s+{_MONTH}\s+\d{{4}}")
# A web address: a source, not a statement ("<https://www.tni.org/en/publication/...>").
_WEB_ADDRESS = re.compile(r"https?://|\bwww\.\w")
# The tail of a note's source: a few words ending in a date ("No, Thanks., Cato Institute, March 13, 2009.").
_DATED_TAIL = re.compile(rf"(?:,\s*(?:{_MONTH}\s+\d{{1,2}},\s+|\d{{1,2}}\s+{_MONTH}\s+)\d{{4}}|\(\d{{4}}\))\W*$")
SOURCE_TAIL_MAX_WORDS = 12
_SOURCE_MARKS = re.compile(r"[“”\"]|,\s+at\s+[\dQ]|\bpp?\.\s*\d|https?://|\bIbid\b|\bet al\.|^\d{1,3}\s+[A-Z]")


# "Emerging Leaders for the Digital World 25 Aug, 2011 Data Diplomacy: Mapping the Field 19 Apr, 2006"
# is a list of dated links run together, not a sentence: a sentence holds two dates at most.
_ANY_DATE = re.compile(r"\b\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}\b|\b[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4}\b")


# An author-date reference: a quoted title and a year in brackets ("Alger C, “The Emerging Roles
# of NGOs in the UN System” (2002) 8 Global Governance").
_QUOTED_TITLE_YEAR = re.compile(r"[“\"][^”\"]{3,}[”\"],?\s*\((?:1[89]|20)\d\d\)")


# A publication's imprint: "ISBN 978-1-925238-61-7 Australia's Cyber Security Strategy (Hardcopy)".
_IMPRINT = re.compile(r"\bIS[BS]N(?:-1[03])?:?\s*[\dX][\d\- X]{7,}")


# A bibliography entry: "Schmitt, Tallinn Manual on ..., New York, Cambridge University Press, 2013." —
# a publisher, journal or volume, then the year closing the entry.
_BIBLIOGRAPHIC = re.compile(r"\b(?:Press|Publishing|Publishers|Verlag|Journal|Vol\.|No\.|eds?\.)[^.]{0,60}?\b(?:1[89]|20)\d\d\)?\.?\s*$")


def holds_web_address(text: str) -> bool:
    return bool(_WEB_ADDRESS.search(text))


# A note citing the source of the one before it, or a UN document's records: "Ibid., Sixty-ninth
# Session, Supplement No. 53 (A/69/53), chap.", "See Official Records of the General Assembly, ...".
_NOTE_SOURCE = re.compile(r"(?:Ibid\b|(?:See\s+(?:also\s+)?)?Official\s+Records\s+of\s+the\b)")


def reference_entry(text: str) -> bool:
    return bool(_DATED.search(text) and _SOURCE_MARKS.search(text)) or len(_ANY_DATE.findall(text)) >= 3 \
        or bool(_NOTE_SOURCE.match(text.lstrip())) \
        or (text.count(",") >= 2 and bool(_BIBLIOGRAPHIC.search(text))) \
        or bool(_IMPRINT.search(text)) \
        or bool(_QUOTED_TITLE_YEAR.search(text)) \
        or holds_web_address(text) \
        or (len(text.split()) <= SOURCE_TAIL_MAX_WORDS and bool(_DATED_TAIL.search(text)))


CAPTION_MAX_WORDS = 10

# A dateline: where, or at which meeting, and when a text was made, on its own line(s) ("Paris, 12th of
# November, 2018"; a resolution's "45th plenary meeting / 5 December 2018"). The text's own word on
# when and where it was made: quotable for a question asking that, though short and without an end
# mark (`ExtractiveAnswerer._quotable_spans`).
_DAY_MONTH_YEAR = (rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:day\s+)?(?:of\s+)?{_MONTH},?\s+\d{{4}}"
                   rf"|{_MONTH}\s+\d{{1,2}},\s+\d{{4}})")
DATELINE = re.compile(rf"(?:\d{{1,3}}(?:st|nd|rd|th)\s+plenary\s+meeting"
                      rf"|[A-Z][A-Za-z'’.-]+(?:\s+[A-Z][A-Za-z'’.-]+){{0,2}}),?"
                      rf"\s+(?:this\s+|the\s+)?{_DAY_MONTH_YEAR}\.?")

# A text's own statement of when it was made, at its head: a resolution's "Resolution adopted by the
# General Assembly on 5 December 2018" (no end mark, outside every numbered paragraph).
ADOPTION_LINE = re.compile(rf"(?:[A-Z][a-z]+\s+)?adopted\s+by\s+(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){{0,4}}"
                           rf"\s+on\s+{_DAY_MONTH_YEAR}")
_DONE_AT = re.compile(r"\bDONE\s+at\b|\bDone\s+at\s+[A-Z]")


def says_when_made(text: str) -> bool:
    """Whether a text says when (or where) it was made: an adoption line, a treaty's closing "DONE at
    Budapest, this 23rd day of November 2001", a dateline on a line of its own ("Paris, 12th of
    November, 2018"; not a letter's "Nojeim,\nMarch 20, 2009" run over two lines)."""
    return bool(ADOPTION_LINE.search(text) or _DONE_AT.search(text)) \
        or any(DATELINE.fullmatch(line.strip(" \t#*")) for line in text.splitlines())


def usable_sentence(text: str, raw: str = "", max_words: int = 90) -> bool:
    words = text.split()
    if not 6 <= len(words) <= max_words or TOC.search(text):
        return False
    if reference_entry(text):
        return False
    # A date on a line of its own ("01 Dec, 2021") dates an entry of a list of links or news.
    if any(_ANY_DATE.fullmatch(line.strip()) for line in raw.splitlines()):
        return False
    # Starting in lower case without a list marker ("b) reserve the right ..."), it is the tail of
    # a sentence broken at a line or page end: "underpin all our cyber security objectives".
    if text[:1].islower() and not LIST_ITEM.match(text):
        return False
    letters = sum(c.isalpha() for c in text)
    if letters < 0.6 * len(text.replace(" ", "")):
        return False
    if text.startswith("#") or text.isupper() or text.endswith("?"):
        return False
    # A closing bracket ends a sentence, not a short caption: "… licence (CC BY 4.0)", "… (Hardcopy)".
    ends = text.rstrip().endswith((".", ";", ":", "!", "\"", "”", "’")) \
        or text.rstrip().endswith(")") and len(words) >= CAPTION_MAX_WORDS \
        or bool(_CLAUSE_PARAGRAPH.match(text.rstrip())) \
        or bool(_CODED_ENTRY.match(text))  # "Noting ... security," of a preamble; "ID.AM-2: Software ... inventoried"
    # Lines run together with no end mark are a list, a menu or a banner, not a sentence
    # ("Notes on the future … 10 Aug, 2019 Twiplomacy Study 2015 13 Aug, 2015 …").
    if not ends and raw.count("\n") >= 2:
        return False
    # Wrapped prose goes on in lower case on the next line; a run of lines that each start a
    # new item (capital or digit) is a list or menu, even when its last item ends in ":".
    lines = [line.lstrip() for line in raw.splitlines() if line.strip()]
    if len(lines) >= 4 and sum(line[:1].isupper() or line[:1].isdigit() for line in lines[1:]) \
            >= 0.8 * (len(lines) - 1):
        return False
    # A caption or heading in sentence case ("Government ICT strategic implementation plan 2011"):
    # a few words with no end mark.
    if not ends and len(words) < CAPTION_MAX_WORDS:
        return False
    # A heading or running title ("The Department of Defense Cyber Strategy"): title case, no end mark.
    capitalised = [w[0].isupper() for w in words if w[:1].isalpha() and len(w) > 3]
    if not ends and capitalised \
            and sum(capitalised) >= 0.8 * len(capitalised):
        return False
    return True


_DEFINING_WORDS = ("means", "is", "are", "refers", "denotes", "shall", "describes")


def defines(quote: str, term: str) -> bool:
    """Whether a sentence states what `term` (lower case) means: it opens with the term as a glossary
    entry or a definition does ("Cybersecurity The process of ...", "cyber diplomacy: the use of ...",
    "Cyber diplomacy, the conduct of diplomacy ...", "Cyberspace is ..."), or says "“term” means ..."."""
    if not term:
        return False
    text = " ".join(quote.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'").split())
    opening = text.lstrip(" \u2022\u25aa\u25cf*-\t\"'")
    if opening.lower().startswith(term):
        rest = opening[len(term):].lstrip("\"'")
        if rest[:1].isalnum() or rest[:1] == "-" and rest[1:2].isalnum():
            return False  # a longer word or a compound: "Cyberspace", "Cyber-attacks" for "cyber"
        if rest[:1] in (":", ",", "(", "\u2013", "\u2014", "-") or not rest:
            return True
        following = rest.split()[:1]
        if following and (following[0].lower() in _DEFINING_WORDS or following[0][:1].isupper()):
            return True
    return bool(re.search(rf"[\"']?{re.escape(term)}[\"']?\s+(?:means|is defined as|refers to|shall mean)\b",
                          text.lower()))
