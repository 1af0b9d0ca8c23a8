"""Query analysis: one reading of the question, computed once and handed to retrieval and answering.

What documents the question names (by year and title, a quoted title, a short name), which
numbered units and paragraphs, which list it asks for, which formal instruments and versions it
names, and its identifiers. Retrieval and answering read this record; neither parses the
question itself."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from ..records import DocumentMeta
from ..text.language import question_language
from ..text.names import name_words
from ..text.places import place_forms, places_named
from ..text.quantities import TIME_UNITS
from ..text.units import heading_units_named, is_coded, units_asked
from ..text.tokens import content_terms, content_terms_many, fold_words, stopwords
from ..text.vocabulary import COUNT_PATTERN, COUNT_WORDS, NUMBER_WORDS, PART_WORDS, noun_phrase, structural_references


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def _names(file: str, meta: DocumentMeta) -> list[set[str]]:
    """Topic words of the names a document goes by: its title, the title's words before a colon
    ("Cyberspace Policy Review: ..."), an alias in brackets ("Convention on Cybercrime (Budapest
    Convention, ETS No. 185)") and its file name ("Paris_Call_WG4_...")."""
    names = [meta.title, meta.title.split(":")[0], *_aliases(meta.title)]
    names.append(re.sub(r"[_\W]+", " ", file.rsplit(".", 1)[0]))  # last: see named_documents
    return [set(content_terms(_YEAR.sub(" ", n))) or {""} for n in names]


def _aliases(title: str) -> list[str]:
    """Short names a catalogue title gives in brackets: "Convention on Cybercrime (Budapest
    Convention, ETS No. 185)" -> ["Budapest Convention"]. A name is capitalised: "(final report)"
    describes the document, it does not name it ("hand in its final report" names nothing)."""
    return [name for alias in re.findall(r"\(([^)]*)\)", title) if (name := alias.split(",")[0].strip())[:1].isupper()]


_HEADED = re.compile(r"(?:The\s+)?([A-Z][a-z]+)\s+(?:of|on|for|to)\s+(?:the\s+)?((?:[A-Z][\w-]*\s*){1,3})(?:$|[,:(])")


def short_names(title: str) -> list[str]:
    """The names a title headed by its kind of document is known by, made from the title itself:
    "Charter of the United Nations" -> ["United Nations Charter", "UN Charter"], "Convention on
    Cybercrime (Budapest Convention, ETS No. 185)" -> ["Cybercrime Convention", "Convention on
    Cybercrime"]. Only for a short, capitalised rest of the title:
    "Framework for Improving Critical Infrastructure Cybersecurity" gives none."""
    m = _HEADED.match(title.strip())
    if not m or m.group(1).lower() not in DOCUMENT_KINDS:
        return []
    kind, rest = m.group(1), m.group(2).split()
    names = [f"{' '.join(rest)} {kind}"]
    if "(" in title:  # "Convention on Cybercrime (Budapest Convention, ...)": the title without its bracket
        names.append(title.split("(")[0].strip())
    if len(rest) >= 2:
        names.append(f"{''.join(w[0] for w in rest)} {kind}")  # "UN Charter"
    return names


# "the Convention" alone, not "the Convention against Cybercrime" or "the Convention of Belém do Pará".
_NOT_A_TITLE = r"(?![ -][A-Z]|\s+(?:of|on|for|to|against|in)\s+(?:the\s+)?[A-Z])"


def _head_kind(title: str) -> str:
    """The kind of document a title opens with ("Charter" of "Charter of the United Nations",
    "Protocol" of "Additional Protocol to the Convention ..."), or ""."""
    for word in re.findall(r"[A-Za-z]+", title)[:3]:
        if word.lower() in DOCUMENT_KINDS:
            return word
    return ""


def aliased_documents(query: str, documents: dict[str, DocumentMeta], made: bool = True) -> list[str]:
    """Files known by a short name the question uses: one the catalogue title gives in brackets
    ("Convention on Cybercrime (Budapest Convention, ETS No. 185)" for "Article 16 of the Budapest
    Convention"), one the title makes (`short_names`: "the UN Charter"), or the kind of document
    the title opens with, capitalised after "the", when no other indexed title opens with it ("the
    Charter", "the Convention"). `made=False`: the bracketed short names only."""
    folded = fold_words(query)
    head_of = {file: _head_kind(meta.title) for file, meta in documents.items()} if made else {}
    heads = Counter(head_of.values())
    out = []
    for file, meta in documents.items():
        head = head_of.get(file, "")
        if head and heads[head] == 1 and re.search(rf"\bthe {head}\b{_NOT_A_TITLE}", query):
            out.append(file)
            continue
        for name in map(fold_words, _aliases(meta.title) + (short_names(meta.title) if made else [])):
            if len(name.split()) >= 2 and re.search(rf"\b{re.escape(name)}\b", folded):
                out.append(file)
                break
    return out


_ABOUT = {"about", "regarding", "concerning", "toward", "towards", "on"}


def spoken_of_as_topic(question: str, meta: DocumentMeta) -> bool:
    """Whether the question names a document by its short name as what it asks about ("What do the
    2003 strategy and the 2009 review each say about the Council of Europe Convention on
    Cybercrime?"), not as a document it asks of ("How do the UN Charter and the Convention ...?")."""
    for name in _aliases(meta.title) + short_names(meta.title):
        match = re.search(r"\b" + r"\s+".join(map(re.escape, name.split())) + r"\b", question, re.IGNORECASE)
        if not match:
            continue
        before = re.findall(r"[\w’'-]+", question[:match.start()])
        # Back over the rest of a longer name ("the Council of Europe Convention on Cybercrime").
        while before and (before[-1][:1].isupper() or before[-1] in ("of", "for")):
            before.pop()
        while before and before[-1].lower() in ("the", "its", "their"):
            before.pop()
        if before and before[-1].lower() in _ABOUT:
            return True
    return False


def known_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """Files named by a word only they are known by (`DocumentMeta.known_by`: "Pial's article", "the
    law4u answer", "22 U.S.C. 10302")."""
    asked = name_words(query)
    return [file for file, meta in documents.items() if asked & set(meta.known_by)]


def coded_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """Files named by a code their file name or title alone carries ("the WG3 study")."""
    asked = _codes(query)
    return [file for file, codes in _codes_by_document(documents).items() if codes & asked] if asked else []


# A code of letters then digits ("WG3", "NIS2"): a document whose file name or title alone carries one
# is named by it ("the WG3 study" for Paris_Call_WG3_Multistakeholder_participation_at_the_UN_2021.pdf).
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2,}\d+)(?![A-Za-z0-9])")


def _codes(text: str) -> set[str]:
    """The codes a text gives, written as codes ("WG3") or spelled out: the initials of the capitalised
    words before a number ("Working Group 3", "Paris Call Working Groups 3 and 4" -> "wg3", "wg4", ...)."""
    codes = {c.lower() for c in _CODE.findall(text.replace("_", " "))}
    for m in _SPELLED_CODE.finditer(text):
        initials = "".join(w[0] for w in m.group(1).split()).lower()
        for number in re.findall(r"\d+", m.group(2)):
            codes.update(initials[i:] + number for i in range(len(initials)))
    return codes


_SPELLED_CODE = re.compile(r"\b((?:[A-Z][a-z]+\s+){1,4})(\d{1,3}(?:\s*(?:,|and|&)\s*\d{1,3})*)\b")


def _codes_by_document(documents: dict[str, DocumentMeta]) -> dict[str, set[str]]:
    """The codes of each document's names that no other document's names carry."""
    codes = {file: _codes(f"{file.rsplit('.', 1)[0]} {meta.title}") for file, meta in documents.items()}
    seen = Counter(c for found in codes.values() for c in found)
    return {file: {c for c in found if seen[c] == 1} for file, found in codes.items()}


def titled_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """Files whose title, or its part before a colon, the question quotes word for word, when
    that title has three topic words or more and is part of no other document's title: "the
    DiploFoundation study on improving the practice of cyber diplomacy"; not "what is cyber
    diplomacy", which begins two titles."""
    asked = f" {fold_words(query)} "
    titles = {file: fold_words(meta.title) for file, meta in documents.items()}
    out = []
    for file, meta in documents.items():
        for name in {fold_words(meta.title.split(":")[0]), titles[file]}:
            # The cheap phrase test first: this runs for every question, twice.
            if f" {name} " in asked and len(content_terms(name)) >= 3 \
                    and not any(name in t for f, t in titles.items() if f != file):
                out.append(file)
                break
    return out


_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)+")


def headed_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """Files the question names by the head of their title, a run of capitalised words the title
    opens with and that ends where the title's name does (before a lowercase word, a bracket or a
    colon): "the Paris Call" for "Paris Call for Trust and Security in Cyberspace", not for "Paris
    Call Working Group 3: ...", whose name goes on; when exactly one title is headed so."""
    out = []
    for run in _CAPITALISED_RUN.findall(query):
        words = run.split()
        while words and words[0].lower() in stopwords():
            words.pop(0)
        if len(words) < 2 or len(content_terms(" ".join(words))) < 2:
            continue
        head = " ".join(words).lower()
        headed = [f for f, m in documents.items() if re.match(rf"(?i:{re.escape(head)})(?:$|\s+[a-z]|\s*[(:,])", m.title)]
        if len(headed) == 1 and headed[0] not in out:
            out.append(headed[0])
    return out


def typed_years(query: str, documents: dict[str, DocumentMeta], named: list[str] = ()) -> list[str]:
    """Files named by catalogue metadata alone: two or more years and a document type ("the US 2018
    and 2023 strategies", "the 2013 and 2015 resolutions"), within a jurisdiction the question
    names by name or initials; every document of those years, that type and place. A year whose
    document the question already names by title ("the 2018 National Cyber Strategy and the 2023
    strategy") is not read again as "every 2018 strategy"."""
    years = set(_YEAR.findall(query))
    if len(years) < 2:
        return []
    named_years = {documents[f].year for f in named}
    years -= named_years
    asked = set(content_terms(query))
    types = {d.type for d in documents.values() if d.type and set(content_terms(d.type)) & asked}
    places = jurisdictions_said(query, documents)
    files = [f for f, d in documents.items() if d.year in years and d.type in types
             and (not places or document_places(d) & places)]
    return files if len({documents[f].year for f in files} | named_years) >= 2 else []


# "the two UK strategies", "the two Paris Call working group reports", "both 2018 resolutions": a number
# of documents, what they share, and the plural naming them.
_COUNTED_DOCUMENTS = re.compile(r"\b(?:the\s+(two|three|four)|both(?:\s+the)?)\s+((?:[\w.’'-]+\s+){0,5}?)"
                                r"((?-i:[a-z]+s))\b", re.IGNORECASE)
_ANY_KIND = {"documents", "texts", "reports", "instruments", "sources", "papers", "publications"}


def counted_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """Files a question counts out by what they share: "the two UK strategies" (a place and a type),
    "the two 2018 resolutions" (a year and a type), "the two Council of Europe texts" (a publisher),
    "the two Paris Call working group reports" (words of their titles). Only when exactly that many
    documents fit: "the three strategies" with five strategies indexed names none."""
    for m in _COUNTED_DOCUMENTS.finditer(query):
        wanted = NUMBER_WORDS.get((m.group(1) or "two").lower())
        said, kind = m.group(2), m.group(3).lower()
        kind_terms = set(content_terms(kind))
        types = {d.type for d in documents.values() if d.type and kind_terms & set(content_terms(d.type))}
        if not types and kind not in _ANY_KIND:
            continue  # "the two phases", "the two countries": not documents
        years = set(_YEAR.findall(said))
        places = jurisdictions_said(said, documents)
        publishers = publishers_said(said, documents)
        # What else they share must be words of their names: "Paris Call working group".
        rest = {t for w in said.split() if not jurisdictions_said(w, documents) and not _YEAR.search(w)
                for t in content_terms(w)} - {t for p in publishers for t in content_terms(p)}
        fitting = [f for f, d in documents.items()
                   if (not types or d.type in types) and (not years or d.year in years)
                   and (not places or document_places(d) & places) and (not publishers or d.publisher in publishers)
                   and rest <= set(content_terms(f"{d.title} {d.publisher} {d.type}"))]
        if len(fitting) == wanted and (years or places or publishers or rest):
            return fitting
    return []


_MONTHS = ("january february march april may june july august september october november december").split()
_DATE = re.compile(r"\b(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})\b"
                   r"|\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE)


def dates_said(text: str) -> set[str]:
    """ISO dates a text writes in words: "5 December 2018", "December 5, 2018" -> "2018-12-05"."""
    out = set()
    for m in _DATE.finditer(text):
        day, month, year = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(4), m.group(6))
        out.add(f"{year}-{_MONTHS.index(month.lower()) + 1:02d}-{int(day):02d}")
    return out


def years_made(documents: dict[str, DocumentMeta]) -> set[str]:
    """The years the documents were made in (catalogue year, year of the date of adoption)."""
    return {y for d in documents.values() for y in (d.year, d.date[:4]) if y}


def described_documents(query: str, documents: dict[str, DocumentMeta], most: int = 3) -> list[str]:
    """Documents a question describes by catalogue metadata without naming them: a year or a date
    of adoption, narrowed by a document type and a jurisdiction when it says them ("the 2013
    resolution", "the text adopted on 5 December 2018", "Australia's 2016 strategy"). Every facet it
    says must match (any of several years); a description that fits more than `most` documents
    distinguishes nothing ("the 2018 documents"). A publisher none of the dated documents has is
    another document's ("the US 2023 strategy and the Council of Europe Convention"): it narrows
    nothing."""
    return description(query, documents, most)[0]


# A year said of a word that means nothing but a document: "the 2015 text", "the December 2020 text".
_YEAR_TEXT = re.compile(r"\b(?:1[89]|20)\d\d\s+(?:texts?|documents?)\b", re.IGNORECASE)


def description(query: str, documents: dict[str, DocumentMeta], most: int = 3) -> tuple[list[str], bool]:
    """The documents described (described_documents), and whether a year alone describes them: no
    date of adoption, type, place or publisher said. A year alone is as often an event's ("the 2015
    Ukraine power grid attack", "losses rose in 2015") as a document's ("the 2015 text")."""
    said = dates_said(query)
    dates = {d for d in said if any(m.date == d for m in documents.values())}
    years = set(_YEAR.findall(query)) & years_made(documents)
    if not dates and not years:
        return ([] if said or _YEAR.search(query) else typed_and_placed(query, documents, most)), False
    asked = set(content_terms(query))
    dated = {f: d for f, d in documents.items() if (d.date in dates if dates else (d.year in years or d.date[:4] in years))}
    places = jurisdictions_said(query, documents)
    publishers = publishers_said(query, documents)
    if not any(d.publisher in publishers for d in dated.values()):
        publishers = set()
    fitting = {f: d for f, d in dated.items() if (not places or document_places(d) & places)
               and (not publishers or d.publisher in publishers)}
    # A type word must fit too ("the 2015 article" is no 2015 strategy), unless the question names the
    # publisher: then a type word none of its documents has is a topic word ("which norms did the
    # General Assembly adopt in 2018?", the Paris Call being of type "norms"). Each year is read apart:
    # "the 2003 strategy and the 2009 review" is the strategy of 2003 (not the 2003 treaty) and the one
    # document of 2009, whose type ("study") the question does not say.
    typed = fitting if publishers else documents
    types = {d.type for d in typed.values() if d.type and set(content_terms(d.type)) & asked}
    def when(d: DocumentMeta) -> str:  # the date or year of the question's that the document fits
        return d.date if dates else d.year if d.year in years else d.date[:4]

    files = []
    for key in sorted({when(d) for d in fitting.values()}):
        of_year = [f for f, d in fitting.items() if when(d) == key]
        if not publishers and not any(documents[f].type in types for f in of_year) and any(
                documents[f].type in types for f in fitting):
            # The type said is another year's: this year's documents fit by their year alone.
            files += of_year
        else:
            files += [f for f in of_year if not types or documents[f].type in types]
    by_year_alone = not dates and not places and not publishers and not types and not _YEAR_TEXT.search(query)
    return (files if len(files) <= most else []), by_year_alone


def typed_and_placed(query: str, documents: dict[str, DocumentMeta], most: int = 3, gap: int = 2) -> list[str]:
    """Documents a question without a year describes by catalogue type and by place or publisher, the
    type word following the place or publisher closely ("the ISOC Netherlands slides", "US cyber
    diplomacy law", "the UN's founding treaty", "the Council of Europe cybercrime treaty"): those of
    that type that belong to that place or publisher, when at most `most` fit and at most `gap` words
    stand between (a possessive's "s" not counted). Apart, the words describe something else ("the
    framework India and the United States signed", "investing through the Bipartisan Infrastructure Law
    to give every American ..."); "international" is no place a question says of one document
    ("international peace")."""
    asked = set(content_terms(query))
    types = {d.type for d in documents.values() if d.type and set(content_terms(d.type)) & asked}
    if not types:
        return []
    places = jurisdictions_said(query, documents) - {"international"}
    publishers = publishers_said(query, documents)
    folded = f" {fold_words(query)} ".replace(" s ", " ")  # "the UN's founding treaty"

    def close_before_type(meta: DocumentMeta) -> bool:
        forms = {form for p in document_places(meta) & places for form in (*place_forms(p), jurisdiction_initials(p))}
        if meta.publisher in publishers:
            forms |= {fold_words(meta.publisher), *(a.lower() for a in initials(meta.publisher))}
        said = "|".join(re.escape(f) for f in sorted(forms - {""}, key=len, reverse=True))
        kind = re.escape(fold_words(meta.type))
        return bool(said) and re.search(rf" (?:{said})(?: \S+){{0,{gap}}} {kind}s? ", folded) is not None

    fitting = [f for f, d in documents.items() if d.type in types and close_before_type(d)]
    if not fitting and not places and not publishers:
        fitting = titled_and_typed(folded, documents, types, gap, most)
    return fitting if len(fitting) <= most else []


def titled_and_typed(folded: str, documents: dict[str, DocumentMeta], types: set[str], gap: int,
                     most: int) -> list[str]:
    """Documents of a type said whose title holds every word said between "the" (or "this", "that")
    and the type word, at most `gap` + 1 of them ("the Budapest treaty"; "the programme of action
    resolution"; "the cyber diplomacy articles"; not "the international cybersecurity frameworks",
    "international" being no word of NIST's title). Said in the singular, it is the one whose title
    those words say most of ("the cybercrime treaty": the Convention on Cybercrime, not the Protocol
    to it). `folded` is the question's folded words, spaced at both ends. None when more than `most`
    fit: "the cyber strategy" fits five."""
    share: dict[str, tuple[float, bool]] = {}  # file -> (share of its title said, said in the plural)
    for f, meta in documents.items():
        if meta.type not in types:
            continue
        kind = fold_words(meta.type)
        plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
        title = set(fold_words(meta.title).split())
        said_before = rf" (?:the|this|that) ((?:\S+ ){{1,{gap + 1}}})({re.escape(kind)}|{re.escape(plural)}) "
        for run, said_kind in re.findall(said_before, folded):
            if set(run.split()) <= title and content_terms(run):
                share[f] = (len(set(content_terms(run))) / len(set(content_terms(meta.title))), said_kind == plural)
    if len(share) > most:
        return []
    if share and not any(many for _, many in share.values()):
        best = max(said for said, _ in share.values())
        return [f for f, (said, _) in share.items() if said == best]
    return list(share)


def publishers_said(text: str, documents: dict[str, DocumentMeta]) -> set[str]:
    """The publishers of indexed documents a text names: every word of the name ("Council of
    Europe", "DiploFoundation", written as the catalogue writes it when it is one word), at least
    two words and half of the name without its leading place ("the General Assembly" for "United
    Nations General Assembly", "the Department of Defense" for "US Department of Defense"; "the
    United States" is not "United States Congress"), or its initials ("NIST", `initials`)."""
    in_order = content_terms(text)
    asked = set(in_order)
    places = sorted({form for d in documents.values() for form in place_forms(d.jurisdiction)}, key=len, reverse=True)
    said = set()
    for name in {d.publisher for d in documents.values() if d.publisher and d.publisher.lower() != "unknown"}:
        name_terms = content_terms(name)
        terms = set(name_terms)
        if not terms:
            continue
        # The body without the place it belongs to: "United States" is no way of saying "United States
        # Congress", nor "US" of "US Department of Defense".
        place = next((p for p in places if fold_words(name).startswith(f"{p} ")), "")
        body = content_terms(name[len(place):]) if place else name_terms
        shared = set(body) & asked
        if len(terms) == 1:
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
                said.add(name)
        elif terms <= asked or (len(shared) >= 2 and 2 * len(shared) >= len(set(body)) and _run_said(body, in_order)):
            said.add(name)
        elif any(re.search(rf"(?<!\w){re.escape(a)}(?!\w)", text) for a in initials(name)):
            said.add(name)
    return said


def _run_said(name: list[str], said: list[str]) -> bool:
    """Whether two consecutive words of a name stand together, in its order, among the words said:
    "the General Assembly" says "United Nations General Assembly"; "technology standards" or
    "national human rights institutions" do not say "National Institute of Standards and Technology"."""
    pairs = set(zip(said, said[1:]))
    return any(pair in pairs for pair in zip(name, name[1:]))


def initials(name: str) -> set[str]:
    """The acronyms a body is known by, made from its name: "US National Institute of Standards and
    Technology" -> {"NIST"}, "US Department of Defense" -> {"DoD"}, "Council of Europe" -> {"CoE"};
    without a leading place ("US"), of three letters or more ("UN" is too common a word to be sure)."""
    words = re.findall(r"[A-Za-z]+", name)
    if words and words[0].isupper() and len(words) > 2:
        words = words[1:]  # "US", "UK": where the body is, not its name
    capitals = "".join(w[0] for w in words if w[0].isupper())
    with_small = "".join(w[0] if w[0].isupper() else w[0].lower() for w in words if w.lower() not in ("and", "the"))
    return {a for a in (capitals, with_small) if len(a) >= 3 and sum(c.isupper() for c in a) >= 2}


def published_documents(query: str, documents: dict[str, DocumentMeta]) -> list[str]:
    """The document a question names by its publisher, when that publisher has published only it
    ("according to DiploFoundation")."""
    said = publishers_said(query, documents)
    # "United Nations" is part of "United Nations General Assembly": it names neither publisher surely.
    words = {p: set(content_terms(p)) for p in {d.publisher for d in documents.values() if d.publisher}}
    part_of_another = {p for p in said if any(q != p and words[p] <= words[q] for q in words)}
    by = {p: [f for f, d in documents.items() if d.publisher == p] for p in said - part_of_another}
    return [files[0] for files in by.values() if len(files) == 1]


def undescribed(query: str, files: list[str], documents: dict[str, DocumentMeta]) -> str:
    """The question without the words describing the given documents (their dates, years, type and
    jurisdiction): "In the resolution adopted on 23 December 2015, when was the group to be
    established?" -> "In the adopted on when was the group to be established?". Every passage of
    those documents shares them; a resolution's adoption line holds them all."""
    describing = set()
    for f in files:
        d = documents[f]
        places = document_places(d)
        describing.update(content_terms(" ".join([d.type, d.publisher, *(f for p in places for f in place_forms(p))])))
        describing.update(jurisdiction_initials(p) for p in places)
    return _without_terms(_YEAR.sub(" ", _DATE.sub(" ", query)), describing)


def jurisdiction_initials(name: str) -> str:
    """ "United States" -> "us", "United Kingdom" -> "uk"; "" for a one-word name."""
    words = [w for w in re.findall(r"[A-Za-z]+", name) if w[0].isupper()]
    return "".join(w[0] for w in words).lower() if len(words) >= 2 else ""


def document_places(meta: DocumentMeta) -> frozenset[str]:
    """Where a document belongs: its jurisdiction, and the place its publisher's name names (the
    Charter, of jurisdiction "international", was published by the United Nations: "the UN's
    founding treaty"; the Paris Call by the French Ministry for Europe and Foreign Affairs)."""
    return _places_of(meta.jurisdiction, meta.publisher)


@lru_cache(maxsize=4096)
def _places_of(jurisdiction: str, publisher: str) -> frozenset[str]:
    return frozenset(([jurisdiction] if jurisdiction else []) + places_named(publisher))


def jurisdictions_said(text: str, documents: dict[str, DocumentMeta]) -> set[str]:
    """The places of indexed documents (`document_places`) a text names, by name, initials,
    possessive or adjective ("UK", "Netherlands", "Australia's", "British")."""
    said = f" {fold_words(text)} "
    named = set(places_named(text))
    return {p for d in documents.values() for p in document_places(d)
            if p in named or any(f" {form} " in said for form in (fold_words(p), jurisdiction_initials(p)) if form)}


# Official symbols as questions write them: "A/RES/73/27", "resolution 73/27", "resolutions 73/27
# and 75/240", "A/65/201" (a report), "ETS No. 185". A bare "73/27" names a document only when
# some document has that symbol ("24/7" is no symbol).
_SYMBOL_KEY = re.compile(r"\b(\d{1,3}/\d{1,4})\b")
_SYMBOL_NAMED = re.compile(r"(?:\b[A-Z]{1,3}/(?:RES/|PV\.)?|\bresolutions?\s+)((?:\d{1,3}/\d{1,4}"
                           r"(?:\s*(?:,|and|or)\s*)?)+)", re.IGNORECASE)
_TREATY_NUMBER = re.compile(r"\b(ETS|CETS)\s*(?:No\.?\s*)?(\d{1,3})\b", re.IGNORECASE)


def symbol_keys(text: str) -> set[str]:
    """The keys of the symbols a text writes: "A/RES/73/27" -> {"73/27"}; "ETS No. 185" -> {"ets 185"}."""
    keys = set(_SYMBOL_KEY.findall(text))
    keys.update(f"{kind.lower().lstrip('c')} {number}" for kind, number in _TREATY_NUMBER.findall(text))
    return keys


def symbols_asked(question: str) -> set[str]:
    """Keys of the symbols a question names as symbols (after "resolution", "A/RES/", "A/", "ETS")."""
    keys = {key for run in _SYMBOL_NAMED.findall(question) for key in _SYMBOL_KEY.findall(run)}
    keys.update(k for k in symbol_keys(question) if not k[0].isdigit())
    return keys


def documents_by_symbol(question: str, documents: dict[str, DocumentMeta]) -> tuple[list[str], set[str]]:
    """Files whose catalogue symbol the question writes, and the symbols it names that no
    indexed document has ("resolution 78/16" when the corpus ends at 77/37)."""
    written = symbol_keys(question)
    files, held = [], set()
    for file, meta in documents.items():
        # Its symbol, read from the document when the catalog gives none; a title may carry it too
        # ("General Assembly resolution 74/247: ...").
        keys = symbol_keys(f"{meta.symbol} {meta.title}")
        if keys & written:
            files.append(file)
            held |= keys
    return files, symbols_asked(question) - held


def named_documents(query: str, documents: dict[str, DocumentMeta], min_overlap: float = 0.5) -> list[str]:
    """Files the question names: by title word for word (`titled_documents`), or by year and
    title, e.g. "the 2015 Cyber Strategy" or "the UK National Cyber Security Strategy
    2016-2021": for each year in the question, the document of
    that year whose names' words best cover the question, if they cover at least `min_overlap`
    of one name's words; every document of that year whose title the question gives in full
    ("Paris Call Working Groups 3 and 4"), when there are several. Comparisons name two or more
    documents this way."""
    years = set(_YEAR.findall(query))
    titled = titled_documents(query, documents)
    if not years:
        return titled
    asked = set(content_terms(query))
    dates = dates_said(query)
    named: list[str] = []
    for year in sorted(years):
        scored, complete = [], []
        for file, meta in documents.items():
            if str(meta.year_number) != year:
                continue
            names = _names(file, meta)
            cover = max(len(t & asked) / len(t) for t in names)
            # Equal cover (two 2021 Paris Call reports): the one more of whose name words are asked.
            scored.append(((cover, len(set().union(*names) & asked)), file))
            if any(t <= asked for t in names[:-1]):  # a title the question gives in full
                complete.append(file)
        scored.sort(reverse=True)
        # "the 2015 resolution": the documents of that year whose catalogue type follows the year.
        folded = fold_words(query)
        typed = [f for _, f in scored if documents[f].type
                 and re.search(rf"\b{year}\s+{re.escape(fold_words(documents[f].type))}", folded)]
        # "its 22 December 2018 resolution": the one adopted that day.
        on_date = [f for _, f in scored if documents[f].date and documents[f].date in dates]
        if len(complete) > 1:
            named += sorted(complete)
        elif len(on_date) == 1:
            named += on_date
        elif scored and scored[0][0][0] >= min_overlap and (not typed or scored[0][1] in typed):
            # Title words shared with a question about "the December 2018 resolution" ("cyber", "nations")
            # do not name the 2018 National Cyber Strategy: the type said is another document's.
            named.append(scored[0][1])
        else:
            # "the 2015 resolution": the one document of that year whose catalogue type follows the year;
            # "the 2009 review", "the 2018 summary": the one whose title holds the word that follows it.
            after = re.search(rf"\b{year}\s+([a-z][\w-]{{3,}})", folded)  # a word, not "UN"
            following = set(content_terms(after.group(1))) if after else set()
            titled_so = [f for _, f in scored if following and following <= set(content_terms(documents[f].title))]
            if len(typed) == 1:
                named += typed
            elif not typed and len(titled_so) == 1:
                named += titled_so
    return named + [file for file in titled if file not in named]


def _named_topic(question: str, named: list[str], documents: dict[str, DocumentMeta],
                 by_publisher: frozenset[str]) -> str:
    """The question without the words naming its documents, nor those describing the ones it names by
    their date of adoption ("In the UN resolution adopted on 23 December 2015, ...")."""
    dated = [f for f in named if documents[f].date and documents[f].date in dates_said(question)]
    return topic_query(undescribed(question, dated, documents) if dated else question, named, documents, by_publisher)


def topic_query(query: str, files: list[str], documents: dict[str, DocumentMeta],
                by_publisher: frozenset[str] = frozenset()) -> str:
    """The question without the words that name the given documents (title words, years):
    within those documents every passage carries their title, so the rest says what is asked
    ("How do the 2018 National Cyber Strategy and the 2023 National Cybersecurity Strategy
    differ in how they propose to impose consequences..." -> "How do the and the differ in how
    they propose to impose consequences..."). A document named by its publisher alone is named
    by the publisher's words: its title's words are what is asked ("How should diplomats be
    trained according to DiploFoundation?" of "... cyber diplomacy: Training, tools ...")."""
    naming = set().union(*(t for f in files if f not in by_publisher for t in _names(f, documents[f])))
    naming.update(t for f in by_publisher for t in content_terms(documents[f].publisher))
    return _without_terms(_YEAR.sub(" ", query), naming)


def _without_terms(text: str, terms: set[str]) -> str:
    """The text's words but those whose stemmed terms include one of `terms`."""
    words = re.findall(r"\S+", text)
    return " ".join(w for w, own in zip(words, content_terms_many(words)) if not set(own) & terms)


_NAME_BEFORE = re.compile(r"\b([A-Z][\w’'-]*)\s+$")


def counted_request(question: str) -> set[tuple[int, str]]:
    """What a question asks to have listed: "What are the five pillars of ..." -> {(5, "pillar")},
    the last topic word of the phrase after the count ("three primary cyber missions" -> "mission")."""
    out = set()
    for m in COUNT_PATTERN.finditer(question):
        number, words = m.groups()
        name = _NAME_BEFORE.search(question, 0, m.start())
        if number.isdigit() and name and name.group(1).lower() not in stopwords():
            continue  # "Working Group 3 study", "Article 5": the number of a name, not a count
        terms = content_terms(noun_phrase(words, False))
        if terms:
            out.add((int(number) if number.isdigit() else COUNT_WORDS[number.lower()], terms[-1]))
    return out


_INSTRUMENT = re.compile(r"\b((?:[A-Z][\w’'-]*\s+){1,5}(?:Act|Directive|Regulation|Law|Manual|Convention|Protocol|"
                         r"Treaty|Charter|Agreement|Declaration|Resolution|Code))\b")


def instrument_names(question: str) -> list[str]:
    """Names of formal instruments a question asks about: the last three words of each run of
    capitalised words ending in "Act", "Convention", "Protocol" and the like, without a
    capitalised question word in front ("Under the Budapest Convention" -> "Budapest Convention")."""
    names = []
    for run in _INSTRUMENT.findall(question):
        words = run.split()
        while words and words[0].lower() in stopwords():
            words.pop(0)
        if len(words) >= 2:
            names.append(" ".join(words[-3:]))
    return names


# Words that make a name a document's name: "the Tallinn Manual", "the Christchurch Call", "the
# 2021 GGE report", "Canada's cyber security strategy".
DOCUMENT_KINDS = frozenset("""manual toolbox pledge call report review strategy convention declaration directive
act treaty framework agreement principles charter protocol resolution guidelines guide code law regulation statute
communique communiqué statement paper handbook plan programme program roadmap doctrine""".split())
# Kinds of document that are verbs too, and the words that open a verb's object.
_VERB_KINDS = frozenset("call review report act plan code guide program programme pledge charter".split())
_DETERMINERS = frozenset("the a an all any its their his her it them this that these those".split())
_NAME_TOKEN = re.compile(r"[A-Z][\w’'.&-]*|\d{4}(?:-\d{2,4})?|\d+\.\d+")
_CONNECTORS = {"of", "on", "for", "the", "and", "to", "in", "against", "de"}


def document_names(question: str) -> list[str]:
    """Title-like names a question uses: a kind of document ("Manual", "Call", "report", "strategy")
    with the capitalised words, acronyms, years and describing words before it and a version or an
    "of ..." after it ("Tallinn Manual 2.0", "2021 GGE report", "OEWG final report", "Canada's
    National Cyber Security Strategy", "Working Group 7 report"); a name has a capitalised word before
    its kind, so "the final report" is none."""
    tokens = [t if re.fullmatch(r"\d+\.\d+", t) else t.rstrip(".") for t in re.findall(r"[\w’'.&-]+", question)]
    leading = stopwords() | _CONNECTORS | {"under", "according", "per", "within", "whether"}
    names = []
    for i, token in enumerate(tokens):
        if token.lower() not in DOCUMENT_KINDS:
            continue
        if i + 2 < len(tokens) and tokens[i + 1] == "to" and tokens[i + 2][:1].islower() and tokens[i + 2] != "the":
            continue  # a verb: "Which exercises does DHS plan to emulate?"
        if token.lower() in _VERB_KINDS and i + 1 < len(tokens) and tokens[i + 1].lower() in _DETERMINERS:
            continue  # a verb with its object: "What does the WG4 compendium call the DNS?"
        if i + 1 < len(tokens) and tokens[i + 1][:1].isupper() and tokens[i + 1].lower() not in DOCUMENT_KINDS \
                and not (i + 2 < len(tokens) and tokens[i + 2][:1].isdigit()):
            continue  # the name of something else goes on: "the Cyber Safety Review Board" (not "Act Article 5")
        start = i
        while start > 0 and i - start < 7 and (_NAME_TOKEN.fullmatch(tokens[start - 1]) or (
                tokens[start - 1].lower() not in leading and tokens[start - 1].lower() not in DOCUMENT_KINDS)):
            start -= 1
        while start < i and (tokens[start].lower() in leading or not _NAME_TOKEN.fullmatch(tokens[start])):
            start += 1  # a name begins with a capitalised word, an acronym or a year
        end = i + 1
        while end < len(tokens) and re.fullmatch(r"\d+\.\d+|\d{4}(?:-\d{2,4})?", tokens[end]):
            end += 1  # a version or a year: "Manual 2.0", "Strategy 2022"
        of_part = end + 1 < len(tokens) and tokens[end].lower() in ("of", "on", "for") and tokens[end + 1][:1].isupper()
        if of_part:
            end += 2
            while end < len(tokens) and _NAME_TOKEN.fullmatch(tokens[end]):
                end += 1
        # A title: a capitalised kind after a name ("the Tallinn Manual", "Canada's National Cyber Security
        # Strategy") or before one ("the Declaration of Helsinki"), or a kind after an acronym ("the 2021
        # GGE report", "the OEWG final report"). "Washington's 2023 plan", "the Pentagon plan" and "the
        # December 2018 resolution" describe documents; they do not name them.
        before = [w for w in tokens[start:i] if w.lower() not in _MONTHS]
        acronym = any(re.fullmatch(r"[A-Z][A-Z0-9]+", w) for w in before[-3:])
        # A numbered member of a named series: "the Paris Call Working Group 7 report".
        numbered = len(before) >= 2 and bool(re.fullmatch(r"\d{1,3}", before[-1])) and before[-2][:1].isupper()
        if token[:1].isupper() and (any(w[:1].isupper() for w in before) or of_part) or acronym or numbered:
            names.append(" ".join(tokens[start:end]))
    return list(dict.fromkeys(names))


def known_words(documents: dict[str, DocumentMeta]) -> set[str]:
    """Stemmed words of everything the index knows its documents by: titles, short names, file
    names, publishers, types, symbols and places (with their adjectives)."""
    texts = []
    for file, meta in documents.items():
        texts.append(" ".join([meta.title, *_aliases(meta.title), *short_names(meta.title), re.sub(r"[_\W]+", " ", file.rsplit(".", 1)[0]),
                               meta.publisher, meta.type, meta.symbol,
                               *(form for place in document_places(meta) for form in place_forms(place))]))
    return set(content_terms(" ".join(texts)))


def unheld_places(question: str, documents: dict[str, DocumentMeta]) -> list[tuple[str, str]]:
    """Documents a question gives to a place no indexed document belongs to (`document_places`),
    however it writes them ("Australia's national cyber security strategy", "the US-China cyber
    agreement"), as (name, the words before its kind); not a kind the question asks to have
    identified ("Which Canadian programme is cited ...?")."""
    held = {p for meta in documents.values() for p in document_places(meta)}
    tokens = re.findall(r"[\w’'.&-]+", question)
    out = []
    for i, token in enumerate(tokens):
        if token.lower() not in DOCUMENT_KINDS:
            continue
        start = i
        while start > 0 and i - start < 6 and tokens[start - 1].lower() not in stopwords() | _CONNECTORS:
            start -= 1
        run = " ".join(tokens[start:i])
        if run and not (start and tokens[start - 1].lower() in ("which", "what")) and set(places_named(run)) - held:
            out.append((f"{run} {token}", run))
    return out


def absent_documents(question: str, documents: dict[str, DocumentMeta]) -> list[tuple[str, set[str]]]:
    """Names of documents the question asks about that the index does not hold, each with the
    words no indexed document is known by ("Tallinn Manual 2.0" -> {"tallinn"}): a name one of
    whose words names no indexed document's title, short name, file, publisher or place."""
    names = document_names(question)
    placed = unheld_places(question, documents)
    if not names and not placed:
        return []  # most questions name no document: the indexed ones' words are not read
    known = known_words(documents)
    # A place's document is absent by the words before its kind that no indexed document is known by.
    out = [(name, unknown) for name, run in placed if name not in names
           if (unknown := {t for t in content_terms(run) if not _is_known(t, known)})]
    for name in names:
        words = [w for w in name.split() if w.lower() not in DOCUMENT_KINDS and not re.fullmatch(r"[\d.-]+", w)]
        terms = set(content_terms(" ".join(words)))
        unknown = {t for t in terms if not _is_known(t, known)}
        numbers = set(_NUMBER.findall(name))
        if unknown and _describes_held(name, unknown, documents):
            unknown = set()  # "the 2018 GGE resolution": a resolution of 2018 said by its topic's acronym
        elif not unknown and numbers and not any(_fits(meta, file, numbers, terms) for file, meta in documents.items()):
            # Every word is known, but no document with that year or number goes by them: "the UK
            # National Cyber Strategy 2022" when the index holds the 2011 and 2016 ones; "Working Group 7".
            unknown = numbers
        if unknown:
            out.append((name, unknown))
    return out


_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")


def _describes_held(name: str, unknown: set[str], documents: dict[str, DocumentMeta]) -> bool:
    """Whether a name whose unknown words are all acronyms written in capitals or months describes held
    documents by their catalogue type and year ("the December 2018 GGE resolution", "the 2020 OEWG
    resolution"): documents are not known by the acronyms of their topics, nor by their month. Over the
    training questions: 10 answerable ones no longer called absent, one near miss no longer refused."""
    said = set(content_terms(" ".join(_ACRONYM.findall(name) + [w for w in name.split() if w.lower() in _MONTHS])))
    if not unknown <= said:
        return False
    kinds = {w.lower().rstrip("s") for w in name.split()}
    years = set(_YEAR.findall(name))
    return any(meta.type in kinds and meta.year in years for meta in documents.values())


def _fits(meta: DocumentMeta, file: str, numbers: set[str], terms: set[str]) -> bool:
    """Whether a document carries all the numbers (a year, a version, a group's number) and is
    known by all the words."""
    own = set(_NUMBER.findall(f"{meta.year} {meta.date[:4]} {meta.title} {meta.symbol} {re.sub(r'[_A-Za-z-]+', ' ', file)}"))
    known = known_words({file: meta})
    return numbers <= own and all(_is_known(t, known) for t in terms)


def _is_known(term: str, known: set[str]) -> bool:
    """A word documents are known by, or the start of a compound one is known by: "the 2023 US cyber
    strategy" of the "National Cybersecurity Strategy"."""
    return term in known or (len(term) >= 5 and any(k.startswith(term) for k in known))


_VERSIONED = re.compile(r"\b([A-Z][\w-]+)\s+(?:[Vv]ersion\s+|[Vv])?(\d{1,2}\.\d{1,2})\b")


def versions_named(question: str) -> list[tuple[str, ...]]:
    """Versioned names a question uses, each as the ways a document would write it:
    "NIST Cybersecurity Framework 2.0" -> ("Framework 2.0", "Framework version 2.0", "Version 2.0")."""
    return [(f"{word} {number}", f"{word} version {number}", f"version {number}")
            for word, number in _VERSIONED.findall(question) if word.lower() not in PART_WORDS]


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
# An ordinal, at most two describing words, a kind of document: "the second annual progress report".
_EDITION = re.compile(rf"\b({'|'.join(_ORDINALS)})\s+((?:(?!(?:of|by|the|and|on|in)\b)[\w-]+\s+){{0,2}}?)"
                      rf"({'|'.join(sorted(DOCUMENT_KINDS))})s?\b", re.IGNORECASE)


def editions_named(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """Documents a question names by their place in a series, each with the same name at the series'
    other places: "the second annual progress report" -> ("second annual progress report", ("first
    annual progress report", "third annual progress report", ...)). A corpus that mentions the first
    and never the second does not hold the second (ExtractiveAnswerer.should_abstain)."""
    out = []
    for m in _EDITION.finditer(question):
        rest = m.group(0)[len(m.group(1)):]
        out.append((m.group(0), tuple(f"{o}{rest}" for o in _ORDINALS if o != m.group(1).lower())))
    return out


_PARAGRAPH = re.compile(r"\barticle\s+(\d{1,3})\s*\((\d{1,2})\)|\bparagraph\s+(\d{1,2})\s+of\s+article\s+(\d{1,3})",
                        re.IGNORECASE)


def named_paragraphs(question: str) -> set[tuple[int, int]]:
    """(article, paragraph) pairs a question names: "Article 2(4)", "paragraph 4 of Article 2"."""
    out = set()
    for a1, p1, p2, a2 in _PARAGRAPH.findall(question):
        out.add((int(a1), int(p1)) if a1 else (int(a2), int(p2)))
    return out


# "What are the four pillars of ...", "Which Tiers ...", "Name the five Functions and ...": the
# words naming what the question asks to have listed, before what it is of; a plural noun there
# asks for a list even without a count ("What are the Functions of the NIST Cybersecurity Framework?").
_LIST_QUESTION = re.compile(r"^\s*(?:(?:what|which)(?:\s+(?:are|were))?|name|list|enumerate)\s+(?:the\s+)?(.+?)"
                            r"(?:\s+(?:of|in|under|that|does|did|do|for|set|and|according)\b|\s*[?,]|$)", re.IGNORECASE)


def requested_list(question: str) -> set[tuple[int | None, str]]:
    """(count, stemmed noun) of the list a question asks for: "the five pillars" -> (5, "pillar");
    "What are the Functions of ...?" -> (None, "function"), any count."""
    wanted: set[tuple[int | None, str]] = set(counted_request(question))
    if wanted:
        return wanted
    asked = _LIST_QUESTION.match(question)
    words = asked.group(1).split() if asked else []
    if not words or not words[-1].lower().endswith("s"):  # a plural noun asks for a list
        return set()
    terms = content_terms(words[-1])
    return {(None, terms[-1])} if terms else set()


def items_asked(question: str, requested: set[tuple[int | None, str]]) -> set[tuple[int | None, str]]:
    """The lists of `requested` that the question asks for itself ("What are the four pillars of
    ...?"), not those it only mentions ("How much funding does it request for its four pillars?")."""
    head = _LIST_QUESTION.match(question)
    words = set(content_terms(head.group(1))) if head else set()
    return {(n, stem) for n, stem in requested if stem in words}


_IDENTIFIER = re.compile(r"\d")


@dataclass
class QueryAnalysis:
    """Everything the pipeline reads off one (standalone) question."""

    text: str
    terms: list[str]  # stemmed topic words (the BM25 view)
    named: list[str]  # files named by year and title or by a quoted title
    aliased: list[str]  # files named by the short name their title gives in brackets
    units: set[tuple[str, int]]  # numbered units named: ("article", 16)
    paragraphs: set[tuple[int, int]]  # (article, paragraph) named: "Article 2(4)"
    counted: set[tuple[int, str]]  # a counted list asked for: (5, "pillar")
    requested: set[tuple[int | None, str]]  # a list asked for, counted or not
    instruments: list[str]  # formal instruments named ("Budapest Convention")
    versions: list[tuple[str, ...]]  # versioned names, as documents would write them
    identifiers: set[str] = field(default_factory=set)  # topic words with digits
    by_symbol: list[str] = field(default_factory=list)  # files named by their official symbol
    missing_symbols: set[str] = field(default_factory=set)  # symbols named that no document has
    language: str = "en"  # the language the question is written in
    numbered: set[tuple[str, ...]] = field(default_factory=set)  # paragraphs named: ("4",), ("2", "a")
    topic_terms: set[str] = field(default_factory=set)  # terms of the question without the names of
    # the documents it names (by title, year, symbol or short name): what it asks of them
    topic: str = ""  # the question without the words naming its named documents
    headings: set[tuple[str, str]] = field(default_factory=set)  # numbered headings named: ("objective", "2.4")
    described: list[str] = field(default_factory=list)  # files described by year or date (+ type, place)
    described_by_year: bool = False  # ... by a year alone, the weakest description (Retriever.corroborated)
    # Documents the question names that the index does not hold, with the words no indexed document
    # is known by: [("Tallinn Manual 2.0", {"tallinn"})]
    absent: list[tuple[str, set[str]]] = field(default_factory=list)
    years: set[str] = field(default_factory=set)  # the years the question gives ("2018")
    # Names by place in a series, with the series' other places: [("second review", ("first review", ...))]
    editions: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def asks(self) -> list[str]:
        """The separate asks of a compound question (question_asks); [] for a single one."""
        return question_asks(self.text)

    @property
    def asks_quantity(self) -> bool:
        """The question asks a figure (how many, how much, how long, what budget): a sentence stating
        one answers it."""
        return bool(_HOW_MANY.search(self.text) or self.asked_measure)

    @property
    def asked_measure(self) -> str:
        """The kind of figure the question asks first of all, which only a sentence stating one
        answers: "money" ("How much funding ...?", "What annual budget ...?"), "count" ("How many
        ...?"), "date" ("By what date ...?", "What deadline ...?", "In which year ...?"), else "". Not
        "how much" alone, which may ask a degree ("How much weight does the resolution give to ...?"),
        nor "What must it report, and how many ...?", whose first part the documents may answer.
        (Shares, "What percentage ...?", were measured and left out: of 20 training questions, 3 more
        near misses refused and 3 answerable ones.)"""
        if _MONEY_ASKED.search(self.text):
            return "money"
        if any(m.group(1).lower() == "many" and not m.group(0).lower().startswith("and")
               for m in _HOW_MANY.finditer(self.text)):
            return "count"
        if _DATE_ASKED.search(self.text):
            return "date"
        return ""

    @cached_property
    def defined_term(self) -> str:
        """The term whose definition the question asks ("How does the glossary define cybersecurity?",
        "How is critical national infrastructure defined ...?", "What does 'service provider' mean?"),
        in lower case; "" when it asks none. Read once: every candidate sentence's score asks it."""
        for pattern in _DEFINITION_ASKED:
            m = pattern.search(self.text)
            if m:
                term = re.sub(r"^(?:the\s+)?(?:(?:terms?|concepts?|words?|notion|expression)\s+(?:of\s+)?)?", "",
                              m.group(1).strip(" \"'“”‘’"), flags=re.IGNORECASE).strip(" \"'“”‘’")
                term = _TERM_TAIL.sub("", term)
                if 0 < len(term.split()) <= 6 and term.lower() not in stopwords():
                    return term.lower()
        return ""

    @property
    def asks_when_or_where_made(self) -> bool:
        """Whether the question asks when or where a text was made ("When was it issued?", "At which
        plenary meetings were they adopted?", "When and where was the Protocol done?"): its dateline
        answers that, and not "where did its supporters agree to meet again?"."""
        return bool(_MADE_ASKED.search(self.text))

    @property
    def counted_things(self) -> set[str]:
        """Stemmed words of what the question asks the number of ("How many Member States voted …"
        -> {"member", "state", "vote"}); asked how long, the units of time."""
        time = set(TIME_UNITS) if any(m.group(1).lower() == "long" for m in _HOW_MANY.finditer(self.text)) else set()
        return {t for m in _HOW_MANY.finditer(self.text) if m.group(1).lower() == "many"
                for t in content_terms(_head_noun(noun_phrase(self.text[m.end():], joined_by_and=True)))} | time

    @property
    def asked_items(self) -> set[tuple[int | None, str]]:
        """The lists the question asks for itself, of those it requests (see items_asked)."""
        return items_asked(self.text, self.requested)

    @property
    def named_or_aliased(self) -> set[str]:
        return set(self.named) | set(self.aliased)

    @property
    def short_named(self) -> list[str]:
        """The documents known by the short name the question uses, when it is what the question is
        about: it names no other document and no year. Beside a title or a date a short name is
        more often what the other document cites ("resolution 75/240 recalls the Charter", "the 2023
        US strategy and the Budapest Convention")."""
        return [] if self.named or self.years else self.aliased

    @property
    def spoken_of(self) -> set[str]:
        """The documents the question names, by title, symbol or short name, or else describes: a
        passage of theirs may answer it however unlike the question its words are."""
        return self.named_or_aliased | set(self.pointed)

    @property
    def pointed(self) -> list[str]:
        """The documents the question is about: those it names, or else those it describes (a
        question naming a document describes none)."""
        return self.named or self.described

    def numbered_in(self, file: str) -> set[tuple[str, ...]]:
        """The paragraphs and coded entries asked for that `file` may hold: in a document the question
        names, all of them; elsewhere only coded entries ("ID.AM-1"), named by their code alone."""
        return self.numbered if file in self.named else {p for p in self.numbered if is_coded(p)}


def _topic_terms(question: str, files: list[str], documents: dict[str, DocumentMeta]) -> set[str]:
    files = list(dict.fromkeys(files))
    topic = topic_query(question, files, documents) if files else question
    return set(content_terms(_SYMBOL_KEY.sub(" ", topic)))


_YEAR_RANGE = re.compile(r"\b(?:1[89]|20)\d\d\s*[-–]\s*(?:(?:1[89]|20)\d\d|\d\d)\b")


def without_foreign_ranges(question: str, documents: dict[str, DocumentMeta]) -> str:
    """The question without the year ranges no indexed title carries: "the open-ended working
    group 2021–2025" names a body and its term, not a document of 2021 or 2025; "the National
    Cyber Security Strategy 2016-2021" keeps the range its title gives."""
    def key(text: str) -> str:
        return re.sub(r"\s*[-–]\s*", "-", text)

    carried = {key(m) for d in documents.values() for m in _YEAR_RANGE.findall(f"{d.title} {d.file}".replace("_", " "))}
    return _YEAR_RANGE.sub(lambda m: m.group(0) if key(m.group(0)) in carried else " ", question)


# Where a compound question's next ask begins: "and" before a question word ("..., and what assistance
# must its points of contact provide?", "... who holds an account and how they pay for it?"), or after a
# comma before a verb that opens a question ("..., and is dual criminality required?").
_PREPOSITION = r"(?:(?:in|on|by|for|from|under|with|to|at|of|over|within)\s+)?"
_ASK_BREAK = re.compile(rf"(?:[,;]\s+|\s+)and\s+(?={_PREPOSITION}(?:what|how|which|who|whom|whose|when|where|why)\b)"
                        rf"|[,;]\s+and\s+(?={_PREPOSITION}(?:is|are|was|were|does|do|did|must|can|could|should|may|"
                        r"will|would|has|have)\b)", re.IGNORECASE)


@lru_cache(maxsize=256)
def question_asks(question: str, min_words: int = 3) -> list[str]:
    """The asks of a compound question, each as its own text ("What is the 24/7 Network under the
    Budapest Convention" / "what assistance must its points of contact provide"): each may be answered
    in another part of a document. An ask too short to search by ("When and where ...", "..., and
    why?") is left to the others; [] when fewer than two remain."""
    asks = [a.strip(" ,;:?") for a in _ASK_BREAK.split(question)]
    asks = [a for a in asks if len(a.split()) >= min_words]
    return asks if len(asks) >= 2 else []


# "How many …?", "According to the strategy, how much …?": the question's own question word.
_HOW_MANY = re.compile(r"(?:^|[,;:]\s*|\band\s+(?:for\s+)?)how\s+(many|much|long)\b", re.IGNORECASE)
# How a question asks what a term means; group 1 is the term.
_TERM_END = r"(?=\s+(?:in|under|according|as|within|for)\b|\s*[,?;]|\s*$)"
_DEFINITION_ASKED = [
    re.compile(r"\bhow\s+(?:does|do|did|will)\s+.+?\bdefine\s+(.+?)" + _TERM_END, re.IGNORECASE),
    re.compile(r"\bhow\s+(?:is|are|was|were)\s+(.+?)\s+defined\b", re.IGNORECASE),
    re.compile(r"\bwhat\s+is\s+the\s+definition\s+of\s+(.+?)" + _TERM_END, re.IGNORECASE),
    re.compile(r"\bwhat\s+is\s+meant\s+by\s+(.+?)" + _TERM_END, re.IGNORECASE),
    re.compile(r"\bwhat\s+(?:does|do)\s+(?:the\s+)?(?:terms?\s+|words?\s+)?([\"'“‘].+?[\"'”’])\s+mean\b", re.IGNORECASE),
    re.compile(r"\bwhat\s+(?:is|are)\s+(.+?),?\s+(?:according\s+to|in|as\s+(?:explained|defined)\s+in)\s+[^?]*\bglossary\b",
               re.IGNORECASE),
]
# How a term's definition is asked for, not part of the term: "define cyber diplomacy at its core".
_TERM_TAIL = re.compile(r"\s+(?:at\s+its\s+core|broadly|exactly|precisely|itself|here)$", re.IGNORECASE)
# "When was it issued?", "At which plenary meetings were they adopted?", "When and where was it done?"
_MADE_ASKED = re.compile(r"\b(?:when|where|(?:what|which)\s+(?:exact\s+)?(?:date|day|year|month|city|place|"
                         r"(?:plenary\s+)?meeting)s?)\b[^?.;]{0,100}?"
                         r"\b(?:adopt|issue|sign|launch|publish|conclude|release)(?:e?d)?\b"
                         r"|\b(?:when|where)\b[^?.;]{0,100}?\b(?:done|made)\b", re.IGNORECASE)
# "On what date ...?", "By what year ...?", "What deadline ...?", "By when ...?" (not "When ...?", which may
# ask in what circumstances).
_DATE_ASKED = re.compile(r"(?:^|[,;:]\s*)(?:(?:on|by|in|before|until)\s+)?(?:what|which)\s+(?:exact\s+)?"
                         r"(?:date|deadline|day|year|month)\b|(?:^|[,;:]\s*)by\s+when\b", re.IGNORECASE)
# "How much funding ...?", "What annual budget ...?", "What dollar amount ...?", "How much did it cost?"
_MONEY_ASKED = re.compile(r"(?:^|[,;:]\s*)(?:how\s+much\s+(?:money|funding|financing)\b|how\s+many\s+dollars\b|"
                          r"what\s+(?:(?:annual|yearly|total|overall|dollar)\s+)?(?:budget|dollar|sum)\b|"
                          r"what\s+amount\s+of\s+(?:money|funding)\b|how\s+much\b[^?]*\b(?:cost|worth)\b)",
                          re.IGNORECASE)


def _head_noun(phrase: str) -> str:
    """What "how many" counts, without the verb after it: the words up to the first plural ("states
    took part" -> "states", "red team exercises per year" -> "red team exercises"), else the first word
    ("people took part" -> "people")."""
    words = phrase.split()
    plural = next((i for i, w in enumerate(words) if len(w) > 3 and w.lower().endswith("s")
                   and not w.lower().endswith("ss")), None)
    return " ".join(words[:plural + 1] if plural is not None else words[:1])


_ATTRIBUTED = re.compile(r"\baccording to\s+([^?;]+)", re.IGNORECASE)
# What follows the attribution and asks something more: "according to the glossary, and where did ...".
_FURTHER_CLAUSE = re.compile(r",\s+(?:and|but|while|whereas)\b", re.IGNORECASE)


def attributed_source(question: str, documents: dict[str, DocumentMeta], named: list[str]) -> str | None:
    """The one named document a question attributes what it asks to, when it names others as its topic
    ("Where does the wording of the Paris Call principle come from, according to the WG4 report?",
    "How many original members signed the Charter, according to WG3?"): its only "according to ..."
    opens or closes the question and names that document alone. None for "according to A and B",
    "according to A and according to B", or an attribution followed by a further question."""
    found = list(_ATTRIBUTED.finditer(question))
    if len(found) != 1:
        return None
    clause = found[0].group(1)
    if found[0].start() == 0:
        clause = clause.split(",")[0]  # "According to the glossary, what does the Paris Call ...?"
    elif _FURTHER_CLAUSE.search(clause):
        return None
    if re.search(r"\band\b", clause):
        return None
    sources, _ = _named_in(clause, without_foreign_ranges(clause, documents),
                           documents_by_symbol(clause, documents)[0], documents)
    return sources[0] if len(sources) == 1 and sources[0] in named else None


def _named_in(question: str, dated: str, by_symbol: list[str],
              documents: dict[str, DocumentMeta]) -> tuple[list[str], frozenset[str]]:
    """(the files a question names, in order, those of them named by their publisher alone): by symbol,
    title, heading, code, a word only they are known by, a count, publisher, years and type, or type and
    place beside another. `dated` is the question without foreign year ranges (`without_foreign_ranges`)."""
    named = list(dict.fromkeys(by_symbol + named_documents(dated, documents) + headed_documents(question, documents)
                                 + coded_documents(question, documents) + known_documents(question, documents)
                                 + counted_documents(question, documents)))
    by_publisher = frozenset(f for f in published_documents(question, documents) if f not in named)
    named += sorted(by_publisher)
    named += [f for f in typed_years(dated, documents, named) if f not in named]
    if named and not _YEAR.search(dated):
        # Named beside another document, one document of a type and place said together is named too
        # ("How do US law and the Paris Call treat ...?"); alone, it is described (below), which names it
        # less surely.
        named += [f for f in typed_and_placed(dated, documents, most=1, gap=1) if f not in named]
    return named, by_publisher


def analyse(question: str, documents: dict[str, DocumentMeta]) -> QueryAnalysis:
    """Read the question once."""
    terms = content_terms(question)
    aliased = aliased_documents(question, documents)
    by_symbol, missing = documents_by_symbol(question, documents)
    dated = without_foreign_ranges(question, documents)  # what names or describes a document by its year
    named, by_publisher = _named_in(question, dated, by_symbol, documents)
    source = attributed_source(question, documents, named) if len(named) >= 2 else None
    if source is not None:
        # "..., according to the WG4 report?": asked of that one; the others named are what it asks about.
        named, aliased, by_symbol = [source], [f for f in aliased if f == source], [f for f in by_symbol if f == source]
    # A question that names its document uses a year for something else ("parties to the Budapest
    # Convention as of 2023"): documents are looked for by description only when none is named.
    # Named by symbol or title but not held: "resolution 78/16", "the Tallinn Manual 2.0".
    absent = absent_documents(question, documents)
    # A year inside the name of a document the index does not hold ("the 2021 GGE report") describes
    # none of those it holds.
    unnamed = dated
    for name, _ in absent:
        unnamed = unnamed.replace(name, " ")
    absent_words = set(content_terms(" ".join(w for n, _ in absent for w in n.split() if w.lower() not in DOCUMENT_KINDS)))
    if absent and any(not set().union(*_names(f, documents[f])) & absent_words
                      for f in set(named) | set(aliased_documents(question, documents, made=False))):
        # Asked of an indexed document named apart from the absent one, about a text it cites ("the
        # 2021 GGE report, as the Paris Call WG4 report cites it"): answered from the indexed one. Not
        # of one named by the short name its title makes: "the 2021 GGE report on the UN Charter" asks
        # what the absent report says of the Charter.
        absent = []
    absent = [(f"resolution {key}" if key[0].isdigit() else key.upper(), {key})
              for key in sorted(missing) if not by_symbol] + absent
    described, by_year_alone = ([], False) if named or aliased else description(unnamed, documents)
    return QueryAnalysis(
        text=question, terms=terms, named=named, aliased=aliased,
        units=structural_references(question), paragraphs=named_paragraphs(question),
        counted=counted_request(question), requested=requested_list(question),
        instruments=instrument_names(question), versions=versions_named(question),
        identifiers={t for t in terms if _IDENTIFIER.search(t)}, by_symbol=by_symbol, missing_symbols=missing,
        language=question_language(question), numbered=units_asked(question),
        topic_terms=_topic_terms(question, by_symbol + named + aliased, documents),
        topic=_named_topic(question, named, documents, by_publisher) if named else (
            undescribed(question, described, documents) if described else ""),
        headings=heading_units_named(question),
        described=described,
        described_by_year=by_year_alone and bool(described),
        absent=absent,
        years=set(_YEAR.findall(dated)),
        editions=editions_named(question),
    )
