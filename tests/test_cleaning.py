"""Cleaning at ingest: PDF debris kept out of quotable text, on synthetic text and on the whole corpus."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from assistant.ingest.cleaning import clean_pages
from assistant.ingest.loading import load_document, scan_corpus
from assistant.config import load_settings


def clean(text: str, markdown: bool = False) -> str:
    return clean_pages([text], markdown)[0][0]


def test_a_sentence_broken_at_a_comma_over_blank_lines_is_joined():
    text = "- * Create: After curating,\n\n\n\ncollaborating and communicating, you are at ease.\n\nNext part."
    assert clean(text) == "- * Create: After curating, collaborating and communicating, you are at ease.\n\nNext part."
    # A paragraph that ends, or a heading over lower-case text, is not joined.
    assert clean("It ends here.\n\nand this is a new line.") == "It ends here.\n\nand this is a new line."


def test_a_word_broken_at_a_line_end_is_joined_when_the_document_uses_it_whole():
    text = "The conse-\nquences were grave. Such consequences recur.\n"
    assert clean(text).startswith("The consequences\nwere grave.")


def test_a_spaced_break_at_a_line_end_is_joined():
    assert "addressed\nto" in clean("The study is ad -\ndressed to policy makers. It was addressed well.\n")


def test_a_real_hyphen_at_a_line_end_is_kept():
    # The hyphenated word occurs elsewhere in the document.
    assert "non-binding\nnorms" in clean("Voluntary non-\nbinding norms. Other non-binding rules.\n")
    # Both halves are words of the document.
    text = "A performance-\nbased rule. Performance matters, and based on this we act.\n"
    assert "performance-based\nrule" in clean(text)


def test_a_word_split_by_a_stray_space_is_joined_only_when_the_document_has_it_whole():
    assert clean("A critica l role. Critical infrastructure.") == "A critical role. Critical infrastructure."
    # "in to" stays: both halves are words of the text, though "into" is one too.
    assert clean("They went in to vote. They came into the room; in the end, to vote.") \
        == "They went in to vote. They came into the room; in the end, to vote."


def test_a_word_broken_at_a_line_end_without_a_hyphen_is_joined_into_a_word_of_the_document():
    text = "• Go\nvernments looking to work together.\nOther governments agree. We go\nforward in\nto the room."
    assert clean(text) == "• Governments looking to work together.\nOther governments agree. We go\nforward in\nto the room."


def test_a_line_break_split_repeated_on_several_pages_is_joined_though_each_page_has_it_once():
    # A layout that breaks each bullet's first word breaks it on every page: the stray part is counted
    # over the whole document, not one page.
    pages = ["• Re\nlatedly, the norms apply.", "• Re\nlatedly, the rules bind.", "Relatedly, all agree."]
    assert clean_pages(pages)[0][:2] == ["• Relatedly, the norms apply.", "• Relatedly, the rules bind."]
    # A bullet with the first letters of its item alone on a line: joined though both parts stand elsewhere.
    text = "• Th\ne European Centre helps, e.g. on the 9th day.\n• An\nother item.\nAn other view."
    assert clean(text) == "• The European Centre helps, e.g. on the 9th day.\n• Another item.\nAn other view."
    # Two words one space apart are weighed within their page: "broad" that always follows "a" is a word.
    pages = ["It takes a broad view.", "Work abroad matters.", "Again a broad range."]
    assert clean_pages(pages)[0] == pages


def test_a_word_broken_after_its_first_letter_is_joined_before_lines_are_dropped():
    # "I" alone on a line reads as a roman page number, "h" + "ttps://..." as prose: read whole first,
    # the word stays ("International") and the web address goes as every URL-only line does.
    text = ("The Context of\nI\nnternational Security report. International law applies.\n"
            "• See the report:\nh\nttps://example.org/report.pdf\nThe text goes on. Https is a scheme.")
    assert clean(text) == ("The Context of\nInternational Security report. International law applies.\n"
                           "• See the report:\nThe text goes on. Https is a scheme.")


def test_a_drop_capital_set_at_the_page_end_goes_back_on_the_word_it_opens():
    # The PDF's text order puts a page's large first letter on a line of its own at the page's end.
    page = "rotecting the people is our first duty.\nMore text follows here.\nPILLAR I\nP"
    assert clean(page) == "Protecting the people is our first duty.\nMore text follows here.\nPILLAR I"
    # Before its page number, and a letter that is also a roman number ("C"): restored, not dropped.
    assert clean("hallenges grow. Challenges persist.\nPILLAR III\nC\n20").startswith("Challenges grow.")
    # A page ending in a lone capital is left alone when no word is made: a list's label, a page going on.
    assert clean("xq more text.\nAnnex\nB") == "xq more text.\nAnnex\nB"
    assert clean("Text starts upper.\nAnnex\nB") == "Text starts upper.\nAnnex\nB"


def test_note_numbers_run_into_words_go_and_codes_and_web_addresses_keep_theirs():
    text = ("Critical infrastructure4 is defined by law. Two billion people are online1 – a third. "
            "The supply chain12.” Privacy officers.28, 29\n"
            "See https://example.gov/CFR-2014-title3-vol1/pdf and IPv6 with ipv6 and mp3 files.")
    assert clean(text) == ("Critical infrastructure is defined by law. Two billion people are online – a third. "
                           "The supply chain.” Privacy officers.\n"
                           "See https://example.gov/CFR-2014-title3-vol1/pdf and IPv6 with ipv6 and mp3 files.")


def test_a_list_label_run_into_its_item_is_set_off_where_the_page_has_lettered_items():
    text = "The Members shall act:\n\na.to ensure their advancement;\n\nb.promoting cooperation.\n"
    assert clean(text) == "The Members shall act:\n\na. to ensure their advancement;\n\nb. promoting cooperation.\n"
    # One line alone is no list, and a single letter after the mark ("e.g.") is no item.
    assert clean("Read e.g.the note here.\n") == "Read e.g.the note here.\n"
    assert clean("x.files are kept.\n") == "x.files are kept.\n"


def test_a_split_word_the_document_never_writes_whole_is_joined_when_english_has_it():
    # "good" is nowhere else in the text; "od" is no word: the model's English lexicon decides.
    assert clean("ICTs for the common go od of humankind.") == "ICTs for the common good of humankind."
    assert clean("It may affe ct the result.") == "It may affect the result."
    # Both halves are English words: two words, though each occurs once and "abroad" is a word too.
    assert clean("It takes a broad view over time.") == "It takes a broad view over time."


def test_a_function_word_run_into_a_word_is_split_off_and_words_that_look_joined_are_kept():
    text = ("We the peoples determinedto save them, andto reaffirm faith, as determined and agreed to. "
            "Points ofcontact and a contact of note. Rules annexed thereto apply, therein and hereof too; "
            "insecure systems, the box.")
    assert clean(text) == ("We the peoples determined to save them, and to reaffirm faith, as determined and agreed "
                           "to. Points of contact and a contact of note. Rules annexed thereto apply, therein and "
                           "hereof too; insecure systems, the box.")
    # A part the document never writes on its own is no ground for a split.
    assert clean("A securityto word.") == "A securityto word."


def test_a_year_split_by_a_space_and_a_hyphen_set_off_by_one_are_mended_from_the_document():
    text = "in 202 1 the Open -ended group; the open-ended group met in 2021. Paragraph 2 1 and 21 stay."
    assert clean(text) == "in 2021 the Open-ended group; the open-ended group met in 2021. Paragraph 2 1 and 21 stay."


def test_a_sentence_broken_by_a_footnote_area_at_a_page_end_reads_on():
    pages = "\n".join(["A/RES/1/1\nDevelopments in the field\nThe Assembly decides that the group on\n"
                       "__________________\n2\n\nA/68/98.\n3/4\n\nA/RES/1/1\nDevelopments in the field\n"
                       "security shall meet in Geneva.\n"] + ["A/RES/1/1\nDevelopments in the field\nMore text.\n"] * 2)
    cleaned, report = clean_pages([pages])
    assert "The Assembly decides that the group on\nsecurity shall meet in Geneva." in cleaned[0]
    assert "A/68/98." in report.notes


def test_page_numbers_codes_web_address_lines_and_footnotes_are_taken_out():
    text = ("Prose that stays here.\n14\n18-21207 (E)\n*1821207*\nhttps://www.example.org/a\n"
            "5Sheetal Kumar, “Unpacking the Framework” https://www.gp-digital.org/wp-\ncontent/x.pdf\n"
            "More prose that stays.\n")
    cleaned, report = clean_pages([text])
    assert cleaned[0] == "Prose that stays here.\nMore prose that stays.\n"
    assert report.notes and report.notes[0].startswith("5Sheetal Kumar")


def test_a_numbered_heading_is_not_taken_for_a_footnote():
    text = "2 Changing threats\nThe threat grows.\n"
    assert clean(text) == text


def test_running_headers_repeated_on_many_pages_are_taken_out_with_their_page_numbers():
    pages = [f"Developments in the field of information {n}\nParagraph {n} of the text goes on here.\n"
             for n in range(1, 6)]
    cleaned, _ = clean_pages(pages)
    assert all("Developments in the field" not in p and "goes on here" in p for p in cleaned)


def test_letter_spaced_running_headers_are_taken_out_with_roman_page_numbers_on_either_side():
    title = "T H E N A T I O N A L S T R A T E G Y T O S E C U R E C Y B E R S P A C E"
    numerals = ["vii", "viii", "ix", "x", "xi"]
    pages = [(f"{n} {title}" if i % 2 else f"{title} {n}") + f"\nParagraph {i} of the text goes on here.\n"
             for i, n in enumerate(numerals)]
    cleaned, _ = clean_pages(pages)
    assert all("T H E" not in p and "goes on here" in p for p in cleaned)


def test_a_section_running_head_in_spaced_capitals_goes_though_the_section_fills_few_pages():
    """"E X E C U T I V E" / "S U M M A R Y" heads the three pages of a 40-page report's summary: taken
    out, so that a list broken by it reads on; a spaced word standing once (a cover's) stays."""
    pages = [f"Page {n} of the report says something here.\n" for n in range(40)]
    for n in range(3):
        pages[n] = f"E X E C U T I V E\n\nS U M M A R Y\n\n{n + 1}. Item {n + 1} of the actions goes here;\n"
    pages[10] = "F O R W A R D\nThe foreword begins here.\n"
    cleaned, _ = clean_pages(pages)
    assert not any("E X E C" in p or "S U M M" in p for p in cleaned)
    assert all(f"{n + 1}. Item" in cleaned[n] for n in range(3)) and "F O R W A R D" in cleaned[10]


def test_a_running_header_over_several_lines_goes_however_one_page_wraps_it():
    """A resolution's title runs over the top of its pages in three lines, wrapped otherwise on one
    page: that page's lines go as well, where they go on with the header's words; a line of the text
    that happens to hold some of them stays."""
    header = "Programme of action to advance responsible State behaviour in the\n" \
             "use of information and communications technologies in the context of\ninternational security\n"
    rewrapped = "Programme of action to advance responsible State behaviour in the\n" \
                "use of information and communications technologies in the context\nof international security\n"
    pages = [f"{header}\nParagraph {n} of the text goes on here,\n" for n in range(4)]
    pages[2] = f"{rewrapped}\nParagraph 2 goes on here,\ninternational security matters here.\n"
    cleaned, _ = clean_pages(pages)
    assert not any("communications technologies" in p or "of international security" in p for p in cleaned)
    assert "Paragraph 2 goes on here,\ninternational security matters here." in cleaned[2]

def test_a_sentence_run_into_the_next_without_a_space_is_set_apart():
    assert clean("to accomplish these aims.Accordingly, our peoples,Have resolved.") == \
        "to accomplish these aims. Accordingly, our peoples, Have resolved."
    # A web address or a mail address keeps its dots.
    assert clean("See www.diplomatie.Gouv.Fr or info@cyber.Policy here.") == \
        "See www.diplomatie.Gouv.Fr or info@cyber.Policy here."


def test_a_page_of_numbered_sources_goes_though_few_of_its_lines_hold_an_address():
    """Each entry wraps over four lines, one of which holds its web address: counted by line, the page
    cites too little to be a reference list; counted by entry, it is one. A numbered list of actions
    stays."""
    topics = ["Norms", "Treaties", "Capacity", "Attribution", "Deterrence", "Resilience", "Crime"]
    entries = [f"{n}. Author {n}, “A Study of Cyber {t} in\nthe Field of {t} and Security,\nPart {n} on {t}”"
               f"\n(Institute of {t} Studies, 2021)\n<https://example.org/study-{n}>" for n, t in enumerate(topics, 1)]
    actions = [f"{n}. The Government will strengthen the resilience of\nsector {n} and report on it each year." for n in
               range(1, 8)]
    cleaned, _ = clean_pages(["\n".join(entries), "\n".join(actions)])
    assert "Cyber" not in cleaned[0] and "sector 7" in cleaned[1]


def test_soft_hyphens_and_note_references_are_mended():
    assert clean("long his\u00ad tory and mechanisms.8,9 The end.") == "long history and mechanisms. The end."


def test_pages_of_references_are_taken_out_and_prose_citing_years_is_kept():
    references = "\n".join(f"{n}. Author {n}, “A Title About Cyber Norms {n}” (2019) <https://example.org/{n}>"
                           for n in range(1, 12))
    prose = "\n".join(f"The GGE 2015 Report and the OAS Call to action (2018) shaped principle {n}." for n in range(12))
    cleaned, report = clean_pages([prose, references, "Text after the list goes on here.\n" * 9])
    assert cleaned[0] == prose and cleaned[1] == "" and "goes on" in cleaned[2]
    assert report.counts["reference page"] == 1


def test_a_references_heading_ends_the_quotable_text_of_its_page():
    page = ("Our conclusion is plain.\nReferences\n1. Alger C, “The Emerging Roles of NGOs” (2002) 8 Global "
            "Governance\n2. Breene K, “Who Are the Cyberwar Superpowers?” (2016) <https://www.weforum.org/x>\n")
    assert clean(page) == "Our conclusion is plain."


def test_markdown_tables_and_numbers_are_left_alone():
    text = "| Article | 5 |\n|---|---|\n| 14 | x |\n14\n"
    assert clean(text, markdown=True) == text


def test_a_compound_that_lost_its_hyphen_gets_it_back_when_the_document_writes_it_hyphenated():
    text = ("The Secretary-General reported on confidence-building. The SecretaryGeneral asked for "
            "confidencebuilding measures. Wellbeing matters; well-being, wellbeing.")
    assert clean(text) == ("The Secretary-General reported on confidence-building. The Secretary-General asked for "
                           "confidence-building measures. Wellbeing matters; well-being, wellbeing.")



def test_a_compound_spaced_where_the_document_hyphenates_it_far_more_often_gets_its_hyphen():
    pages = ["The open-ended group met; the open-ended group and the Open-ended group agreed.",
             "The Open ended Working Group reported. In the long term, a long-term plan and a long-term aim.",
             "In the long term we act."]
    cleaned = clean_pages(pages)[0]
    assert "The Open-ended Working Group reported." in cleaned[1]
    assert "In the long term," in cleaned[1] and cleaned[2] == pages[2]  # spaced too often to be a lost hyphen


# ---------------------------------------------------------------- the whole corpus

_DEBRIS = {
    # a word broken at a line end whose joined form the document uses
    "broken word": re.compile(r"\b([A-Za-z]+) ?-[ \t]*\n[ \t]*([a-z]+)"),
    "URL-only line": re.compile(r"(?m)^\s*<?(?:https?://|www\.)\S*>?\s*$"),
    "page number line": re.compile(r"(?m)^\s*(?:page\s+)?\d{1,3}\s*$", re.IGNORECASE),
    "document code": re.compile(r"\b\d{2}-\d{5}\s*\(E\)|\*\d{7}\*"),
    "footnote body": re.compile(r"(?m)^\s*\d{1,3}[A-Z][a-z]+[^\n]*https?://"),
    "lost hyphen": None,  # counted apart: a compound written joined where the document hyphenates it
}


def corpus_debris() -> tuple[dict[str, list[str]], int]:
    found: dict[str, list[str]] = {k: [] for k in _DEBRIS}
    lines = 0
    files, _ = scan_corpus(load_settings().corpus_dirs)
    for item in files:
        doc = load_document(item)
        text = "\n".join(p.text for p in doc.pages)
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
        joined = Counter(w.lower() for w in re.findall(r"\b[A-Za-z]{6,}\b", text))
        for compound, n in Counter(c.lower() for c in re.findall(r"\b[A-Za-z]+-[A-Za-z]+\b", text)).items():
            if 0 < joined[compound.replace("-", "")] < n:  # "SecretaryGeneral" beside "Secretary-General"
                found["lost hyphen"].append(f"{item.meta.file}: {compound.replace('-', '')!r}")
        lines += text.count("\n")
        for kind, pattern in _DEBRIS.items():
            for m in pattern.finditer(text) if pattern else ():
                if kind == "broken word" and (m.group(1) + m.group(2)).lower() not in words:
                    continue
                found[kind].append(f"{item.meta.file}: {m.group(0)!r}")
    return found, lines


@pytest.mark.slow  # loads every document of the shipped corpus (~7 s)
def test_the_corpus_holds_almost_no_debris_after_cleaning():
    found, lines = corpus_debris()
    # Bounds: a handful each across ~40,000 lines (table cells, a broken word whose halves are
    # both words); counted before cleaning: 500+ broken words, 700+ page numbers, 16 codes.
    bounds = {"broken word": 20, "URL-only line": 0, "page number line": 25, "document code": 0, "footnote body": 3,
              "lost hyphen": 0}
    for kind, hits in found.items():
        assert len(hits) <= bounds[kind], (kind, len(hits), hits[:10])
