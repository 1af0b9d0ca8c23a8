"""Citations name the smallest numbered unit holding the quote ("Art. 16(1)", "op. para 1.6",
"pp. 3", "Pillar Two › Strategic Objective 2.4") and a reference line to paste; checked on
synthetic text and, for every answer to the evaluation sets, against the document's own text."""
from __future__ import annotations

import re
from functools import lru_cache

import pytest

from assistant.config import PROJECT_ROOT, load_settings
from assistant.ingest.loading import load_document, scan_corpus
from assistant.devtools.evaluation import load_questions
from assistant.records import DocumentMeta
from assistant.text.units import heading_trails, heading_unit, numbered_units, preamble_number, unit_label

from .helpers import printed_pages

SETS = [q for name in ("gold", "heldout", "unseen") for q in load_questions(PROJECT_ROOT / "evals" / f"{name}.jsonl")]
# Documents whose text is numbered through: every quote of them lies in a unit (front matter aside).
NUMBERED_TYPES = ("treaty", "resolution")

RESOLUTION = """Resolution adopted by the General Assembly on 1 May 2030
The Assembly of the Parties
The General Assembly,
Recalling its earlier decisions on shared networks,
Noting with concern that attacks on pumping stations have grown,
Deeply concerned that such attacks could interrupt the water supply,
1. Welcomes the following norms:
1.1 States should cooperate.
1.2 States should not harm pumping stations.
2. Calls upon Member States:
(a) To be guided by the report;
(b) To report each year;
"""


def _label_at(text: str, needle: str, resolution: bool = True) -> str:
    at = text.index(needle)
    inside = [u for u in numbered_units(text) if u.start <= at < u.end]
    path = max(inside, key=lambda u: (len(u.path), u.start)).path if inside else ()
    return unit_label((), path, preamble_number(text, at), resolution)


def test_a_resolution_cites_preambular_paragraphs_by_count_and_operative_ones_by_number():
    assert _label_at(RESOLUTION, "Recalling its earlier") == "pp. 1"
    assert _label_at(RESOLUTION, "attacks could interrupt") == "pp. 3"
    assert _label_at(RESOLUTION, "States should not harm") == "op. para 1.2"
    assert _label_at(RESOLUTION, "To report each year") == "op. para 2(b)"
    assert _label_at(RESOLUTION, "Resolution adopted by") == ""  # front matter is no unit


def test_headings_give_the_unit_trail_and_a_treaty_article_its_paragraphs():
    assert heading_unit("Article 35 – 24/7 Network") == ("article", "Art. 35")
    assert heading_unit("PILLAR TWO | DISRUPT AND DISMANTLE THREAT ACTORS") == ("pillar", "Pillar Two")
    assert heading_unit("§ 10302. International cyberspace strategy – (b) Elements") == ("section", "§ 10302(b)")
    assert heading_unit("2.1 Framework Core") == ("section", "§ 2.1")
    assert heading_unit("INTRODUCTION") is None
    trails = heading_trails(["INTRODUCTION", "PILLAR ONE | A", "STRATEGIC OBJECTIVE 1.5: B", "MORE ON B",
                             "PILLAR TWO | C", "STRATEGIC OBJECTIVE 2.4: D"])
    assert trails[0] == () and trails[3] == ("Pillar One", "Strategic Objective 1.5")
    assert unit_label(trails[5], (), None, False) == "Pillar Two › Strategic Objective 2.4"
    # A pillar opens its page: text a PDF puts before the heading on that page is the pillar's,
    # while an objective's heading mid-page leaves the text above it where it was.
    paged = heading_trails(["PILLAR ONE | A", "MORE", "MORE", "PILLAR TWO | C", "STRATEGIC OBJECTIVE 2.1: D"],
                           [10, 10, 11, 11, 11])
    assert paged[1] == ("Pillar One",) and paged[2] == ("Pillar Two",) and paged[3] == ("Pillar Two",)
    assert paged[4] == ("Pillar Two", "Strategic Objective 2.1")
    assert unit_label(("Title 2", "Art. 17"), ("1", "a"), None, False) == "Art. 17(1)(a)"
    # A paragraph's first line read as a heading is no unit: it ends in a word no title ends in,
    # or it stands at the depth of the paragraphs around it ("4.42 ..." over "4.43").
    assert heading_unit("4.17 The Government ICT Strategy sets out how") is None
    assert unit_label(("Objective 4", "§ 4.42"), ("4", "43"), None, False) == "Objective 4, para 4.43"
    assert unit_label(("§ 2.1",), ("1",), None, False) == "§ 2.1, para 1"


def test_a_reference_line_names_a_resolution_by_symbol_and_a_treaty_by_its_short_name():
    resolution = DocumentMeta("r.txt", "General Assembly resolution 73/27: Developments", type="resolution",
                              year="2018", symbol="A/RES/73/27", date="2018-12-05")
    assert resolution.reference("op. para 1.6", None) == "A/RES/73/27, op. para 1.6 (5 December 2018)"
    treaty = DocumentMeta("t.md", "Convention on Cybercrime (Budapest Convention, ETS No. 185)", type="treaty",
                          year="2001", symbol="ETS No. 185", date="2001-11-23")
    assert treaty.reference("Art. 16(1)", None) == "Budapest Convention, Art. 16(1) (23 November 2001)"
    strategy = DocumentMeta("s.pdf", "National Cybersecurity Strategy", type="strategy", year="2023")
    assert strategy.reference("Pillar Two", 12) == "National Cybersecurity Strategy, Pillar Two, p. 12 (2023)"


def test_a_quote_running_onto_the_next_page_is_cited_by_both_pages():
    from assistant.ask.answering import citation_for
    from assistant.records import Retrieved, StoredChunk

    # Form-fed text: the sentence opens at the foot of page 2 and ends at the top of page 3.
    text = "Closing words of page one.\fOpening of page two. The Parties shall keep\fthe data for sixty days."
    chunk = StoredChunk(0, "s.txt", None, "", 0, len(text), text, "h")
    meta = DocumentMeta("s.txt", "National Strategy", type="strategy", year="2003")
    result = Retrieved(chunk, meta, 1.0, 0.8, 0.0, 1, text, 0, len(text),
                       page_breaks=tuple(i for i, ch in enumerate(text) if ch == "\f"))
    across = citation_for(1, result, "The Parties shall keep\fthe data for sixty days.")
    assert (across.page, across.end_page) == (2, 3)
    assert across.reference == "National Strategy, pp. 2–3 (2003)"
    within = citation_for(2, result, "Opening of page two.")
    assert (within.page, within.end_page, within.reference) == (2, None, "National Strategy, p. 2 (2003)")


# ---------------------------------------------------------------- every answer of the evaluation sets

def _document_text(file: str) -> str:
    return "\n".join(printed_pages(file).values())


@lru_cache(maxsize=None)
def _lines_of(file: str) -> str:
    """The document's cleaned text with its line breaks (preambular paragraphs open lines)."""
    doc = load_document(next(f for f in scan_corpus(load_settings().corpus_dirs)[0] if f.meta.file == file))
    return "\n".join(p.text for p in doc.pages)


def _holds(file: str, unit: str, quote: str) -> bool:
    """Whether the document's own text puts `quote` inside `unit`, read from its headings and
    paragraph numbers independently of the code that labelled it."""
    text = _document_text(file)
    needle = " ".join(quote.split())
    # A sentence may recur ("The powers and procedures referred to in this article ..."): any place will do.
    return any(_holds_at(file, text, at, unit, quote) for at in (m.start() for m in re.finditer(re.escape(needle), text)))


def _holds_at(file: str, text: str, at: int, unit: str, quote: str) -> bool:
    before = text[:at + 8]  # with the quote's opening: its own number ("4.All Members") counts
    unit = unit.split("–")[0]  # a range ("pp. 10–11"): the quote opens in its first unit
    article = re.match(r"Art\. (\d+)((?:\(\w+\))*)$", unit)
    if article:
        headings = list(re.finditer(r"(?:^|\s)#*\s*Article\s+(\d+)\b(?! of)(?=\s*[–#A-Z\d\n]|\s*$)", text[:at]))
        if not headings or headings[-1].group(1) != article.group(1):
            return False
        paragraph = re.findall(r"\((\d+)\)", article.group(2))
        if paragraph:
            marks = re.findall(r"(?:^|\s)(\d{1,2})\.\s*(?=[A-Za-z(])", before[headings[-1].end():])
            return bool(marks) and marks[-1] == paragraph[0]
        return True
    operative = re.match(r"op\. para ([\d.]+)", unit)
    if operative:
        numbers = re.findall(r"(?:^|\s)(\d{1,2}(?:\.\d{1,2})?)\.?\s+(?=[A-Z])", before)
        wanted = operative.group(1)
        return any(n == wanted or wanted.startswith(n + ".") for n in numbers[-3:])
    preamble = re.match(r"pp\. (\d+)$", unit)
    if preamble:
        lines = _lines_of(file)
        at, start = lines.find(quote[:40]), lines.find("The General Assembly,")  # preambles do not repeat
        opened = [m for m in re.finditer(r"(?m)^(?:[A-Z][a-z]+ing|[A-Z][a-z]+ly [a-z]+ed)\b", lines)
                  if start < m.start() <= at]
        return start >= 0 and len(opened) == int(preamble.group(1))
    if unit == "Preamble":  # a treaty's: before its first article
        return not re.search(r"(?m)^#*\s*Article\s+1\b", text[:at])
    coded = re.fullmatch(r"([A-Z]{2,4}\.[A-Z]{2,4})(?:-\d+)?", unit)
    if coded:  # the last coded entry opened before the quote, or by its opening words, is this one
        opened = re.findall(r"\(([A-Z]{2,4}\.[A-Z]{2,4})\)\s*:|([A-Z]{2,4}\.[A-Z]{2,4}-\d+)\s*:",
                            text[:at + min(40, len(quote))])
        return bool(opened) and unit in opened[-1] and (unit == opened[-1][1] or not opened[-1][1])
    pillar = re.match(r"Pillar (\w+)", unit)
    if pillar:
        return True  # checked by page in _pillar_holds
    return True  # other headings of strategies and frameworks: checked by the trail test above


def _pillar_holds(file: str, unit: str, page: int | None) -> bool:
    """A strategy's "Pillar N": the cited page lies from the page whose text first names pillar N
    as a heading up to the page before the next pillar's. A pillar's opening page may carry its
    title only as artwork (the 2018 US strategy names "PILLAR III:" first on the page after), so
    the pillar may begin one page earlier."""
    from assistant.text.vocabulary import number_value

    pages = printed_pages(file)
    named = {p: {number_value(m.group(1)) for m in re.finditer(r"\bPILLAR (\w+)\s*(?:[|:–-])", text)}
             for p, text in pages.items() if p}

    def first_page(n: int) -> int | None:
        # Not a table of contents (a page naming three pillars or more).
        return next((p for p in sorted(named) if n in named[p] and len(named[p]) <= 2), None)
    n = number_value(re.match(r"Pillar (\w+)", unit).group(1))
    start, following = first_page(n), first_page(n + 1)
    return page is not None and start is not None and start - 1 <= page and (following is None or page < following)


@pytest.fixture(scope="module")
def cited(shipped_assistant):
    out = []
    for q in SETS:
        answer = shipped_assistant.ask(q.question)
        if not answer.abstained:
            out += [(q.id, c) for c in answer.citations]
    return out


def test_every_citation_of_a_treaty_or_resolution_names_the_unit_that_holds_its_quote(shipped_assistant, cited):
    documents = shipped_assistant.documents
    numbered = [(qid, c) for qid, c in cited if documents[c.file].type in NUMBERED_TYPES]
    assert len(numbered) >= 80
    front_matter = re.compile(r"Resolution adopted by|Distr\.|^\s*The General Assembly,|Agenda item|^The member States",
                              re.MULTILINE)
    unnamed = [(qid, c.file, c.quote[:60]) for qid, c in numbered if not c.unit and not front_matter.search(c.quote)]
    assert not unnamed, unnamed
    wrong = [(qid, c.file, c.unit, c.quote[:60]) for qid, c in numbered if c.unit and not _holds(c.file, c.unit, c.quote)]
    assert len(wrong) <= len(numbered) // 20, wrong  # at least 19 in 20 hold, checked against the document


def test_every_citation_under_a_strategy_pillar_lies_between_that_pillar_and_the_next(shipped_assistant, cited):
    pillars = [(qid, c) for qid, c in cited if c.unit.startswith("Pillar ")]
    assert len(pillars) >= 15
    wrong = [(qid, c.file, c.unit, c.page) for qid, c in pillars if not _pillar_holds(c.file, c.unit, c.page)]
    assert len(wrong) <= len(pillars) // 20, wrong


def test_every_citation_carries_a_reference_line(cited):
    assert all(c.reference and c.reference.startswith(("A/RES/", c.title[:12], "Budapest", "Charter"))
               for _, c in cited), [c.reference for _, c in cited][:5]


def test_a_question_names_numbered_headings_however_their_numbers_are_written():
    from assistant.text.units import heading_units_named, unit_keys

    assert heading_units_named("What is Strategic Objective 2.4 of the strategy?") == {("objective", "2.4")}
    assert heading_units_named("What do Pillar II and Tier 3 say?") == {("pillar", "2"), ("tier", "3")}
    assert unit_keys("Pillar Two › Strategic Objective 2.4, para 3") == {("pillar", "2"), ("objective", "2.4")}
    assert unit_keys("§ 2.2 › Tier 3") == {("section", "2.2"), ("tier", "3")}


@pytest.mark.parametrize("question, unit", [
    ("What does operative paragraph 5 of resolution 73/27 decide?", "op. para 5"),
    ("What does operative paragraph 2(a) of A/RES/70/237 ask of Member States?", "op. para 2(a)"),
    ("What does Article 16(2) of the Budapest Convention require?", "Art. 16(2)"),
    ("What is Strategic Objective 2.4 of the 2023 National Cybersecurity Strategy?", "Strategic Objective 2.4"),
    ("What is Tier 3 of the NIST Cybersecurity Framework?", "Tier 3"),
    ("What does the ID.AM category of the NIST Cybersecurity Framework cover?", "ID.AM"),
    ("What does subcategory PR.AC-1 require?", "PR.AC-1"),
])
def test_a_question_naming_a_unit_is_answered_from_that_unit(shipped_assistant, question, unit):
    answer = shipped_assistant.ask(question)
    assert not answer.abstained
    # The answer leads with that unit.
    lead = answer.citations[0].unit
    assert lead == unit or lead.endswith(unit) or lead.startswith(unit + "(") or f"› {unit}" in lead, \
        [(c.unit, c.quote[:50]) for c in answer.citations]
    assert all(_holds(c.file, c.unit, c.quote) for c in answer.citations if c.unit == unit)
