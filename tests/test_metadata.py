"""Metadata read from the documents (ingest.metadata, text.places) and documents named that the
index does not hold (ask.query.absent_documents): the catalog wins where it speaks; every value
keeps where it came from; a question naming an absent document is told so first."""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.records import DocumentMeta
from tests.helpers import CORPUS

ADDENDA = Path(__file__).parent / "data"  # documents added as an operator would (tests/data/README.md)

RESOLUTION_HEAD = """United Nations

A/RES/81/402

General Assembly

Distr.: General
20 December 2026

Eighty-first session
Agenda item 93

Resolution adopted by the General Assembly on 14 December 2026
[on the report of the First Committee (A/81/455)]

81/402. Strengthening the resilience of undersea data cables
The General Assembly,
Recalling its resolution 73/27 of 5 December 2018,
"""


def test_a_resolution_title_page_gives_its_symbol_adoption_date_type_publisher_and_place():
    from assistant.ingest.metadata import read_metadata

    found = read_metadata(RESOLUTION_HEAD, "cables.txt")
    values = {k: v.value for k, v in found.items()}
    assert values["symbol"] == "A/RES/81/402"  # its own symbol, not the committee report's (A/81/455)
    assert values["date"] == "2026-12-14" and values["year"] == "2026"  # adoption, not distribution
    assert values["type"] == "resolution"
    assert values["publisher"] == "United Nations General Assembly" and values["jurisdiction"] == "UN"
    assert values["title"] == ("General Assembly resolution 81/402: Strengthening the resilience of undersea "
                               "data cables")
    assert {v.source for v in found.values()} == {"text"}


def test_a_strategy_title_page_gives_title_year_publisher_and_place_by_its_adjective():
    from assistant.ingest.metadata import read_metadata

    head = ("NEW ZEALAND’S\nCYBER SECURITY STRATEGY\n\nA secure digital future\n\n"
            "© Crown copyright, New Zealand Government 2019\n\nForeword\nThe internet connects us.")
    found = read_metadata(head, "NZ_Cyber_Security_Strategy_2019.txt")
    assert found["title"].value == "New Zealand’s Cyber Security Strategy"
    assert found["type"].value == "strategy"
    assert found["jurisdiction"].value == "New Zealand"
    assert found["year"].value == "2019"


def test_a_treaty_is_dated_by_its_closing_line_and_numbered_by_its_file_name():
    from assistant.ingest.metadata import read_metadata

    found = read_metadata("Convention on the Protection of Widgets\n\nPreamble\nThe member States of the "
                          "Council of Europe ...", "Widget_Convention_ETS250_en.md",
                          tail="Done at Strasbourg, this 28th day of January 2030, in English and French.")
    assert found["date"].value == "2030-01-28"
    assert (found["symbol"].value, found["symbol"].source) == ("ETS No. 250", "file name")
    assert found["type"].value == "treaty" and found["publisher"].value == "Council of Europe"
    assert found["jurisdiction"].value == "international"


def test_the_catalog_wins_where_it_speaks_and_each_value_keeps_its_provenance():
    from assistant.ingest.metadata import Found, complete

    catalog = DocumentMeta(file="x.txt", title="Catalogue title", year="unknown", jurisdiction="")
    found = {"title": Found("Title page title", "text"), "year": Found("2016", "text"),
             "jurisdiction": Found("Australia", "text"), "symbol": Found("ETS No. 9", "file name")}
    meta = complete(catalog, found)
    assert meta.title == "Catalogue title" and meta.year == "2016" and meta.jurisdiction == "Australia"
    assert meta.provenance == {"title": "catalog", "year": "text", "jurisdiction": "text", "symbol": "file name"}


def test_places_are_named_by_name_initials_possessive_and_adjective():
    from assistant.text.places import places_named

    assert places_named("What are the themes of Australia's 2016 strategy?") == ["Australia"]
    assert places_named("Compare the British and French positions") == ["United Kingdom", "France"]
    assert places_named("How does the US deter attacks?") == ["United States"]
    assert places_named("Tell us about deterrence") == []  # "us" in lower case is a pronoun
    assert places_named("the South African and the German texts") == ["South Africa", "Germany"]


def _documents() -> dict[str, DocumentMeta]:
    return {
        "a.txt": DocumentMeta("a.txt", "National Cyber Strategy of Freedonia", year="2019", type="strategy",
                              jurisdiction="Freedonia"),
        "b.md": DocumentMeta("b.md", "Convention on Widget Crime (Widget Convention, ETS No. 250)", year="2030",
                             type="treaty", jurisdiction="international", publisher="Council of Europe"),
    }


def test_names_of_documents_the_index_does_not_hold_are_found_and_present_ones_are_not():
    from assistant.ask.query import absent_documents

    docs = _documents()
    absent = dict(absent_documents("What does the Gadget Manual 2.0 say about sovereignty?", docs))
    assert absent == {"Gadget Manual 2.0": {"gadget"}}
    assert absent_documents("What does the Widget Convention say about preservation?", docs) == []
    assert absent_documents("What does Freedonia's 2019 National Cyber Strategy say about skills?", docs) == []
    # Every word known, but no document of that year goes by them.
    assert [n for n, _ in absent_documents("What does the National Cyber Strategy 2024 say?", docs)] \
        == ["National Cyber Strategy 2024"]
    # An acronym before a kind of document names one; a description does not.
    assert [n for n, _ in absent_documents("What did the 2021 XYZ report recommend?", docs)] == ["2021 XYZ report"]
    # A numbered member of a series the index holds other members of: "Group 7" when it holds Group 3.
    series = docs | {"c.pdf": DocumentMeta("c.pdf", "Gadget Forum Working Group 3 report", year="2021", type="study")}
    assert [n for n, _ in absent_documents("What does the Gadget Forum Working Group 7 report say?", series)] \
        == ["Gadget Forum Working Group 7 report"]
    assert absent_documents("What does the Gadget Forum Working Group 3 report say?", series) == []
    assert absent_documents("What did the government's 2019 plan say?", docs) == []
    assert absent_documents("What is in the final report?", docs) == []


def test_a_document_cited_by_a_named_one_is_not_reported_absent():
    from assistant.ask.query import analyse

    docs = _documents()
    assert analyse("What does the Widget Convention say about the Gadget Manual?", docs).absent == []
    assert [n for n, _ in analyse("What does the Gadget Manual say about widgets?", docs).absent] == ["Gadget Manual"]


RESOLUTIONS = ["UNGA_Res_73-266_2018_A-RES-73-266.txt", "UNGA_Res_75-240_2020_A-RES-75-240.txt",
               "UNGA_Res_68-243_2013_A-RES-68-243.txt"]


@pytest.mark.slow
def test_documents_added_without_catalog_rows_are_named_by_symbol_date_and_place(tmp_path, embedder):
    """Resolutions copied with no catalog row, or a row without symbol, date and jurisdiction, and
    the Australian strategy with no row at all: their metadata is read from the text, shown with its
    provenance, and questions naming them by symbol, date or place are answered from them."""
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index, index_status, suggested_catalog_rows
    import assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in RESOLUTIONS:
        shutil.copy(CORPUS / name, corpus / name)
    shutil.copy(ADDENDA / "Australia_Cyber_Security_Strategy_2016.txt", corpus)
    shutil.copy(CORPUS / "UK_Cyber_Security_Strategy_2011.txt", corpus)
    with open(corpus / "catalog.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "title", "publisher", "year", "type", "jurisdiction", "licence", "origin"])
        # A partial row: no symbol, no date, no jurisdiction (the columns are optional).
        writer.writerow([RESOLUTIONS[1], "General Assembly resolution 75/240: Developments in the field of "
                         "information and telecommunications", "United Nations General Assembly", "2020",
                         "resolution", "", "", ""])
    settings = load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index")
    report = build_index(settings, embedder=embedder)
    assert not report.failed
    read = report.metadata
    assert read[RESOLUTIONS[0]]["symbol"] == {"value": "A/RES/73/266", "from": "text"}
    assert read[RESOLUTIONS[0]]["date"] == {"value": "2018-12-22", "from": "text"}
    assert read[RESOLUTIONS[1]]["symbol"]["value"] == "A/RES/75/240" and "title" not in read[RESOLUTIONS[1]]
    assert read["Australia_Cyber_Security_Strategy_2016.txt"]["jurisdiction"]["value"] == "Australia"
    status = index_status(settings)
    assert status["metadata_read"][RESOLUTIONS[2]]["date"]["value"] == "2013-12-27"
    rows = {r["file"]: r for r in suggested_catalog_rows(settings)}
    assert rows[RESOLUTIONS[1]]["title"].startswith("General Assembly resolution 75/240")  # the catalog's own
    assert rows[RESOLUTIONS[0]]["symbol"] == "A/RES/73/266"

    helper = assistant.open(settings.index_dir)
    asked = {
        "Which group did resolution 73/266 ask the Secretary-General to set up?": RESOLUTIONS[0],
        "What did A/RES/75/240 decide to convene?": RESOLUTIONS[1],
        "In the General Assembly text adopted on 27 December 2013, what was the Secretary-General asked to do?":
            RESOLUTIONS[2],
        "What are the five themes of Australia's 2016 Cyber Security Strategy?":
            "Australia_Cyber_Security_Strategy_2016.txt",
        "How did the Australian strategy of 2016 plan to grow cyber security skills?":
            "Australia_Cyber_Security_Strategy_2016.txt",
    }
    for question, file in asked.items():
        answer = helper.ask(question)
        assert not answer.abstained, (question, answer.answer)
        assert answer.citations[0].file == file, (question, [c.file for c in answer.citations])

    out = subprocess.run([sys.executable, "-m", "assistant.app.cli", "index", "catalog", "--index",
                          str(settings.index_dir)], capture_output=True, text=True, check=True)
    assert "A/RES/73/266" in out.stdout and out.stdout.startswith("file,title,publisher,year,type")


@pytest.mark.slow
def test_a_question_about_an_absent_document_says_so_first_then_where_it_is_mentioned(shipped_assistant):
    answer = shipped_assistant.ask("Which rules on due diligence does the Tallinn Manual 2.0 give?")
    assert answer.answer.startswith("The Tallinn Manual 2.0 is not among the indexed documents.")
    assert answer.abstained
    for c in answer.citations:  # each mention cited, verbatim, and no bibliography entry
        assert "tallinn" in c.quote.lower() and "University Press" not in c.quote
    answer = shipped_assistant.ask("Which duties does the Gadget Pledge of 2019 place on providers?")
    assert "not among the indexed documents" in answer.answer.split(".")[0] + "."
    # A document present is answered.
    answer = shipped_assistant.ask("What does the Paris Call say about election processes?")
    assert not answer.abstained and "not among" not in answer.answer


@pytest.mark.slow
def test_the_opened_index_knows_documents_by_the_names_their_own_text_and_title_give(shipped_assistant):
    """Read off the documents when the index is built, not the catalog: the author of an article, the
    sections of the US Code chapter; stored with the generation, so opening it reads no chunk text;
    and a question using such a name is answered from that document."""
    from assistant.storage.store import Generation, _known_by
    opened = Generation(shipped_assistant.generation.path, shipped_assistant.generation.manifest)
    documents = opened.documents
    assert "chunks" not in vars(opened)  # the cached chunk list was never read
    assert {f: list(m.known_by) for f, m in documents.items()} == _known_by(documents, opened.chunks)
    by_word = {w: f for f, m in documents.items() for w in m.known_by}
    assert documents[by_word["pial"]].title.endswith("(Md. Tawhidur Rahman Pial)")
    assert by_word["10302"].startswith("US_Code_22_USC")
    answer = shipped_assistant.ask("Which bilateral cyber dialogues does Pial describe?")
    assert not answer.abstained and {c.file for c in answer.citations} == {by_word["pial"]}
