"""Metadata read from the documents themselves: title, symbol, date, year, type, publisher and
jurisdiction, from the PDF's metadata, the title page and first lines, adoption and publication
lines, and the file name.

The catalog wins where it speaks; a field it leaves empty (or a file it does not list) is filled
from what the document says, and every value keeps where it came from ("catalog", "text",
"pdf metadata", "file name"), shown by the build report, `cda index status` and
`cda index catalog` (suggested rows for an operator to review)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..records import DocumentMeta
from ..text.places import places_named

FIELDS = ("title", "publisher", "year", "type", "jurisdiction", "symbol", "date")
HEAD_CHARS = 4000  # how much of the start of a document is read for its title page

_MONTHS = "january february march april may june july august september october november december".split()
_MONTH = "(" + "|".join(_MONTHS) + ")"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),\s+(\d{{4}})\b", re.I)
_MONTH_YEAR_LINE = re.compile(rf"^\s*{_MONTH}\s+((?:19|20)\d\d)\s*$", re.I | re.M)
# Lines that say when a text was adopted, signed or issued: their date is the document's date.
_DATED_LINE = re.compile(r"(?:adopted|done at|signed|issued|published|approved)[^\n]{0,80}", re.I)
# A treaty's own date closes it: "Done at Strasbourg, this 28th day of January 2003".
_DONE_AT = re.compile(r"\bDone at [A-Z][\w ]{1,30},[^\n]{0,60}")
_UN_SYMBOL = re.compile(r"\bA/(?:RES/)?(\d{1,3})/(\d{1,4})(?:/Rev\.\d+)?\b")
_RESOLUTION_NUMBER = re.compile(r"^\s*(\d{1,3}/\d{1,4})\.\s+(\S[^\n]*(?:\n(?!\s*The General Assembly)[^\n]+){0,3})", re.M)
_TREATY_NUMBER = re.compile(r"\b(?:European\s+Treaty\s+Series|C?ETS)\s*(?:No\.?|n°|-)?\s*(\d{1,3})\b", re.I)
_FILE_TREATY = re.compile(r"(?:^|[_\W])C?ETS[_-]?(\d{1,3})(?:[_\W]|$)", re.I)
_FILE_UN = re.compile(r"A-RES-(\d{1,3})-(\d{1,4})", re.I)
_YEAR = re.compile(r"\b(19[4-9]\d|20\d\d)\b")
_COPYRIGHT = re.compile(r"(?:©|\(c\)|copyright)\s*(?:the\s+)?([A-Z][\w’'&.\- ]{2,60}?)[ ,]+((?:19|20)\d\d)\b", re.I)

# Document types in the catalog's own words, recognised by the words of a title (first match wins).
TYPE_WORDS = (
    ("resolution", r"\bresolution\b"),
    ("treaty", r"\b(?:convention|protocol|charter|treaty|agreement)\b"),
    ("law", r"\b(?:u\.?s\.?c\.?|act|code|law|statute|directive|regulation)\b"),
    ("strategy", r"\bstrateg(?:y|ies)\b"),
    ("framework", r"\bframework\b"),
    ("study", r"\b(?:report|review|study|working group|index|paper|assessment)\b"),
    ("norms", r"\b(?:call|declaration|principles|norms|pledge)\b"),
    ("slides", r"\bslides\b"),
    ("article", r"\barticle\b"),
)
# Issuing bodies a title page names, and how the catalog calls them.
PUBLISHERS = (
    (r"Resolution adopted by the General Assembly|\bGeneral Assembly\b", "United Nations General Assembly"),
    (r"\bSecurity Council\b", "United Nations Security Council"),
    (r"\bCouncil of Europe\b", "Council of Europe"),
    (r"\bThe White House\b|\bTHE WHITE HOUSE\b", "The White House"),
    (r"\bDepartment of Defense\b|\bDEPARTMENT OF DEFENSE\b", "US Department of Defense"),
    (r"\bNational Institute of Standards and Technology\b", "US National Institute of Standards and Technology"),
    (r"\bHM Government\b", "HM Government"),
    (r"\bCabinet Office\b", "UK Cabinet Office"),
    (r"\bCommonwealth of Australia\b|\bAustralian Government\b", "Australian Government"),
    (r"\bGovernment of Canada\b", "Government of Canada"),
    (r"\bEuropean Commission\b", "European Commission"),
    (r"\bU\.S\.C\.|\bUnited States Code\b", "United States Congress"),
    (r"\bParis Call\b", "Paris Call for Trust and Security in Cyberspace"),
)
# Publishers whose documents belong to no one State.
INTERNATIONAL = {"Council of Europe": "international", "Paris Call for Trust and Security in Cyberspace": "international",
                 "United Nations General Assembly": "UN", "United Nations Security Council": "UN"}


@dataclass
class Found:
    value: str
    source: str  # "catalog", "text", "pdf metadata", "file name"


def _iso(day: str, month: str, year: str) -> str:
    return f"{year}-{_MONTHS.index(month.lower()) + 1:02d}-{int(day):02d}"


def _first_date(text: str) -> str:
    m = _DAY_MONTH_YEAR.search(text)
    if m:
        return _iso(m.group(1), m.group(2), m.group(3))
    m = _MONTH_DAY_YEAR.search(text)
    return _iso(m.group(2), m.group(1), m.group(3)) if m else ""


def read_date(head: str, tail: str = "") -> str:
    """The ISO date a title page gives for adoption, signature or publication ("Resolution adopted
    by the General Assembly on 12 December 2019", "Done at Budapest, the 23rd day of November
    2001" at the end of a treaty); "" when it gives none."""
    for m in _DONE_AT.finditer(tail):
        date = _first_date(m.group(0))
        if date:
            return date
    for m in _DATED_LINE.finditer(head):
        date = _first_date(head[m.start():m.end() + 40])
        if date:
            return date
    return ""


def read_symbol(head: str, file_name: str) -> Found | None:
    """A UN symbol ("A/RES/74/247"; a resolution's own, not the report it was adopted on) or a
    treaty series number ("ETS No. 185") from the title page, else from the file name."""
    symbols = [m for m in _UN_SYMBOL.finditer(head)]
    own = [m for m in symbols if "/RES/" in m.group(0)] or symbols[:1]
    if own:
        return Found(own[0].group(0), "text")
    m = _TREATY_NUMBER.search(head)
    if m:
        return Found(f"ETS No. {m.group(1)}", "text")
    m = _FILE_UN.search(file_name)
    if m:
        return Found(f"A/RES/{m.group(1)}/{m.group(2)}", "file name")
    m = _FILE_TREATY.search(Path(file_name).stem)
    return Found(f"ETS No. {m.group(1)}", "file name") if m else None


def _title_case(text: str) -> str:
    """ "AUSTRALIA’S CYBER SECURITY STRATEGY" -> "Australia’s Cyber Security Strategy"."""
    if text.upper() != text:
        return text
    small = {"a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "by", "with", "at"}
    words = text.lower().split()
    return " ".join(w if i and w in small else w[:1].upper() + w[1:] for i, w in enumerate(words))


_NOT_TITLE = re.compile(r"^(?:contents|table of contents|this page (?:is )?(?:left )?intentionally blank|executive summary"
                        r"|foreword|preface|distr\.|chapter\b|=== page)", re.I)


def _unspaced(line: str) -> str:
    """ "T H E  N A T I O N A L" -> "THE NATIONAL" (letter-spaced display type)."""
    return re.sub(r"\b(\w) (?=\w\b)", r"\1", line) if re.fullmatch(r"(?:\w\s)+\w", line) else line


def _title_candidates(head: str) -> list[str]:
    """Blocks of the first lines (and each block's first line), without page numbers, dates and
    front-matter words: what a title page's title could be."""
    out = []
    for block in re.split(r"\n\s*\n", head[:2500])[:20]:
        lines = [_unspaced(ln.strip(" #*\t")) for ln in block.splitlines()]
        lines = [ln for ln in lines if ln and not re.fullmatch(r"[\divxlc.\s]+", ln, re.I)
                 and not _MONTH_YEAR_LINE.match(ln) and not _NOT_TITLE.match(ln) and ln.lower() not in _MONTHS]
        for cand in (" ".join(lines), *lines[:1]):
            words = cand.split()
            if 2 <= len(words) <= 25 and not cand.endswith((".", ",", ";")) and cand[:1].isupper() and cand not in out:
                out.append(cand)
    return out


def read_title(head: str, file_name: str = "") -> str:
    """A title from the first lines: a UN resolution's "74/247. Countering the use of ..." line;
    else the block of the title page that best covers the file name's words (a file name is a
    title condensed: "Australia_Cyber_Security_Strategy_2016.txt" -> "AUSTRALIA'S CYBER SECURITY
    STRATEGY"), at least half of them; else, for a file name of no words, the first title-like line."""
    m = _RESOLUTION_NUMBER.search(head)
    if m:
        subject = "" if m.group(2).startswith("The General Assembly") else " ".join(m.group(2).split())
        return f"General Assembly resolution {m.group(1)}" + (f": {subject}" if subject else "")
    named = _file_words(file_name)
    candidates = _title_candidates(head)
    if not named:
        return _title_case(candidates[0]) if candidates else ""
    scored = [(_covers(c, named), -len(c), c) for c in candidates]
    best = max(scored, default=None)
    return _title_case(best[2]) if best and best[0] >= 0.5 else ""


def _file_words(file_name: str) -> set[str]:
    """The topic words of a file name ("Australia_Cyber_Security_Strategy_2016.txt")."""
    from ..text.tokens import content_terms

    return {t for t in content_terms(re.sub(r"[_\W\d]+", " ", Path(file_name).stem)) if len(t) > 2}


def _covers(title: str, named: set[str]) -> float:
    """How much of a file name's words (`_file_words`) a title holds (1.0 for a name of no words)."""
    from ..text.tokens import content_terms

    return len(named & set(content_terms(title))) / len(named) if named else 1.0


def read_type(title: str, head: str) -> str:
    if re.search(r"Resolution adopted by the General Assembly", head):
        return "resolution"
    for kind, pattern in TYPE_WORDS:
        if re.search(pattern, title, re.I):
            return kind
    return ""


def read_publisher(head: str) -> str:
    for pattern, name in PUBLISHERS:
        if re.search(pattern, head):
            return name
    m = _COPYRIGHT.search(head)
    return " ".join(m.group(1).split()) if m else ""


def read_metadata(head: str, file_name: str, pdf_title: str = "", raw_head: str = "", tail: str = "") -> dict[str, Found]:
    """Every field the document itself gives, with where it was read: `head` is the start of its
    cleaned text, `raw_head` the same before cleaning (running headers such as a UN symbol kept),
    `tail` its end (where a treaty says where and when it was done)."""
    found: dict[str, Found] = {}
    title = read_title(head, file_name)
    head = f"{head}\n{raw_head}"
    usable_pdf_title = len(pdf_title) > 3 and not pdf_title.lower().endswith((".doc", ".docx", ".indd", ".pdf"))
    named = _file_words(file_name)
    if usable_pdf_title and (not title or _covers(pdf_title, named) >= _covers(title, named)):
        # The title the PDF declares, when it names the file at least as well as its first lines do.
        found["title"] = Found(pdf_title, "pdf metadata")
    elif title:
        found["title"] = Found(title, "text")
    symbol = read_symbol(head, file_name)
    if symbol:
        found["symbol"] = symbol
    date = read_date(head, tail)
    if date:
        found["date"] = Found(date, "text")
        found["year"] = Found(date[:4], "text")
    else:
        month_year = _MONTH_YEAR_LINE.search(head)
        copyright_year = _COPYRIGHT.search(head)
        if month_year:
            found["year"] = Found(month_year.group(2), "text")
        elif copyright_year:
            found["year"] = Found(copyright_year.group(2), "text")
        elif file_year := _YEAR.search(Path(file_name).stem.replace("_", " ")):
            found["year"] = Found(file_year.group(1), "file name")
    named_title = (found.get("title") or Found(Path(file_name).stem.replace("_", " "), "file name")).value
    kind = read_type(named_title, head) or read_type(Path(file_name).stem.replace("_", " "), "")
    if kind:
        found["type"] = Found(kind, "text")
    publisher = read_publisher(head)
    if publisher:
        found["publisher"] = Found(publisher, "text")
    places = places_named(f"{named_title}\n{publisher}") or places_named(head[:1500])
    if publisher in INTERNATIONAL:
        found["jurisdiction"] = Found(INTERNATIONAL[publisher], "text")
    elif places:
        found["jurisdiction"] = Found(places[0], "text")
    return found


def complete(meta: DocumentMeta, found: dict[str, Found]) -> DocumentMeta:
    """The catalog's metadata with its empty fields filled from the document, and where each
    value came from in `provenance` ("unknown" in the catalog counts as empty)."""
    values = meta.as_dict()
    provenance = {}
    for name in FIELDS:
        given = (values.get(name) or "").strip()
        if given and given.lower() != "unknown":
            provenance[name] = "catalog"
        elif name in found:
            values[name] = found[name].value
            provenance[name] = found[name].source
    values["provenance"] = provenance
    return DocumentMeta(**values)
