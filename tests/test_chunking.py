"""Chunking: structure first, then sentences, then tokens; never beyond the model window."""
import socket

from collections import Counter

import pytest

from assistant.ingest.chunking import Chunker, count_tokens, tiktoken_encoding
from assistant.config import ChunkSettings, load_settings
from assistant.ingest.loading import load_document, scan_corpus


# Tests over every document of the shipped corpus, loaded and chunked (~7 s): slow (see conftest.py).
SLOW_FIXTURES = {"corpus_chunks"}


@pytest.fixture(scope="module")
def corpus_chunks(embedder):
    chunker = Chunker(ChunkSettings(), embedder.count_wordpieces)
    files, _ = scan_corpus(load_settings().corpus_dirs)
    docs = [load_document(f) for f in files]
    return docs, {d.meta.file: chunker.chunk(d) for d in docs}


def test_tiktoken_works_without_network(monkeypatch):
    tiktoken_encoding.cache_clear()

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert count_tokens("Expedited preservation of stored computer data") > 3


def test_no_chunk_exceeds_the_model_window_over_the_whole_corpus(corpus_chunks, embedder):
    _, chunks = corpus_chunks
    assert sum(len(c) for c in chunks.values()) > 1000
    worst = max((embedder.count_wordpieces(c.embed_text), c.file) for cs in chunks.values() for c in cs)
    assert worst[0] <= 256, worst


def test_offsets_point_into_the_page_text(corpus_chunks):
    docs, chunks = corpus_chunks
    for doc in docs:
        pages = {p.number: p.text for p in doc.pages}
        for c in chunks[doc.meta.file]:
            assert pages[c.page][c.start:c.end] == c.text
            assert c.text.strip()


def test_every_document_yields_chunks_carrying_their_catalog_metadata(corpus_chunks):
    docs, chunks = corpus_chunks
    for doc in docs:
        assert chunks[doc.meta.file], doc.meta.file
        assert all(c.meta.title == doc.meta.title for c in chunks[doc.meta.file])


def test_a_frameworks_coded_table_is_sectioned_by_its_functions_not_its_reference_lines(corpus_chunks):
    _, chunks = corpus_chunks
    core = [c for c in chunks["NIST_Cybersecurity_Framework_v1.1_2018.pdf"] if "ID.AM-2:" in c.text]
    assert core and all(c.section.startswith("IDENTIFY") for c in core)


def test_treaty_articles_become_sections(corpus_chunks):
    _, chunks = corpus_chunks
    sections = {c.section for c in chunks["Budapest_Convention_on_Cybercrime_ETS185_en.md"]}
    assert "Article 16 – Expedited preservation of stored computer data" in sections
    assert "Article 35 – 24/7 Network" in sections


def test_strategy_pillars_become_sections_in_pdfs(corpus_chunks):
    _, chunks = corpus_chunks
    sections = {c.section for c in chunks["US_National_Cybersecurity_Strategy_2023.pdf"]}
    assert "PILLAR TWO | DISRUPT AND DISMANTLE THREAT ACTORS" in sections
    # Running headers repeated on every page are not mistaken for headings.
    assert not any(s.startswith("N ATIONAL C YBERSECURITY") and s[-1].isdigit() for s in sections)


@pytest.mark.parametrize("line, next_line", [
    ("Principle 4 of the Paris Call targets the protection of intellectual property", "and trade secrets."),
    ("Title III to provide coverage for the technological advances developed in the", "area of communications"),
    ("Section 3.4 Buying Decisions highlights use of the Framework in understanding", "risk associated with"),
    ("THIS PAGE LEFT INTENTIONALLY BLANK", ""),
    ("I. INTRODUCTION ..................................................... 1", ""),
    ("Q1 Q2 Q3 Q4 Q1 Q2 Q3 Q4", "Deliver the programme"),
    ("12 November 2018 for Trust and Security in", "Cyberspace” (France Diplomacy)"),
    ("07 Aug, 2015", "Emerging Leaders for the Digital World"),  # the date of a news item
    # Numbered paragraphs whose first line wraps before a capitalised word: a clause, or a line
    # ending in a word after which only a title-cased title wraps.
    ("1.8. States should respond to appropriate requests for assistance by another",
     "State whose critical infrastructure is subject to malicious ICT acts."),
    ("5.6.2. We must ensure that the", "Government offering, both in response"),
    ("2. The impact of cybercrime on the", "UK and its interests is significantly"),
    # The standards a framework's table entry draws on, in capitals: references, not titles.
    ("CIS CSC 13, 14", "COBIT 5 APO03.03, APO03.04"),
    ("COBIT 5 BAI09.01, BAI09.02", "ISA 62443-2-1:2009 4.2.3.4"),
    ("APO10.03, APO10.04, APO10.05", "ISO/IEC 27001:2013 A.15.1.1"),
])
def test_sentence_boilerplate_and_contents_lines_are_not_headings(line, next_line):
    from assistant.ingest.chunking import _plain_heading

    assert _plain_heading(line, next_line) is None


@pytest.mark.parametrize("line, next_line, heading", [
    ("Article 35", "24/7 Network", "Article 35 – 24/7 Network"),
    ("Pillar I: Protect the American People", "We will secure", "Pillar I: Protect the American People"),
    ("STRATEGIC GOAL II: DEFEND THE DOD INFORMATION", "NETWORK", "STRATEGIC GOAL II: DEFEND THE DOD INFORMATION"),
    ("C O N C L U S I O N", "The Strategy", "CONCLUSION"),  # letter-spaced display type
    ("Pillar I:  Protect the American People, the Homeland,", "and the American Way of Life",
     "Pillar I: Protect the American People, the Homeland,"),  # a title wrapped over two lines
    ("2. Changing threats", "The threats we face", "2. Changing threats"),
    ("4. Reserve the Right to Respond in an", "Appropriate Manner", "4. Reserve the Right to Respond in an"),
    ("1. DHS will Work with State and Local", "Governments", "1. DHS will Work with State and Local"),
])
def test_titles_are_headings(line, next_line, heading):
    from assistant.ingest.chunking import _plain_heading

    assert _plain_heading(line, next_line) == heading


def test_a_contents_page_without_the_word_names_no_section(corpus_chunks):
    """The 2018 strategy lists its pillars and their parts on pages 7-8, with page numbers and no
    'Contents' title: the introduction after it is not under 'Pillar IV'."""
    _, chunks = corpus_chunks
    intro = [c for c in chunks["US_National_Cyber_Strategy_2018.pdf"] if "How Did We Get Here" in c.text
             and c.page > 8]
    assert intro and all("PILLAR" not in c.section.upper() for c in intro), [(c.page, c.section) for c in intro]


def test_no_running_text_line_heads_a_large_share_of_a_document(corpus_chunks):
    """A sentence or a contents line taken for a heading would name the section of every chunk
    after it until the next heading: no section may hold more than a third of a long document."""
    _, chunks = corpus_chunks
    for file, items in chunks.items():
        if len(items) < 100:
            continue
        top, n = Counter(c.section for c in items).most_common(1)[0]
        assert n <= len(items) / 3 or not top, (file, top, n, len(items))


@pytest.mark.parametrize("text, section", [
    ("PREFACE\n\nPREFACE\n\nThe Government sets out its plan for the years ahead.", "PREFACE"),
    ("STRATEGIC GOAL II: DEFEND THE DOD INFORMATION\nNETWORK\n\nThe Department will act.",
     "STRATEGIC GOAL II: DEFEND THE DOD INFORMATION NETWORK"),
    ("THE DEPARTMENT OF DEFENSE\nCYBER STRATEGY\n\nApril 2015 brings a new approach.", ""),  # the cover
    # A pillar page as pypdf reads it: the title above the bare unit line, then a drop cap.
    ("work begun under the Executive Order to prior-\nitize shared services\nProtect the American People,\n"
     "the Homeland, and the\nAmerican Way of Life\nPILLAR I\nP\n\nThe Government will secure federal networks.",
     "PILLAR I – Protect the American People, the Homeland, and the American Way of Life"),
])
def test_headings_over_two_lines_join_once_and_a_cover_title_is_no_section(text, section):
    from assistant.ingest.loading import DocumentMeta, LoadedDocument, Page

    doc = LoadedDocument(path=None, meta=DocumentMeta(file="x.txt", title="The Department of Defense Cyber Strategy"),
                         pages=[Page(None, text)])
    chunks = Chunker(ChunkSettings()).chunk(doc)
    assert [c.section for c in chunks if "Government" in c.text or "Department will" in c.text
            or "April" in c.text] == [section]


def _sections_of(text: str) -> list[str]:
    from assistant.ingest.chunking import structural_blocks
    from assistant.ingest.loading import DocumentMeta, LoadedDocument, Page

    doc = LoadedDocument(path=None, meta=DocumentMeta(file="x.txt", title="Water"), pages=[Page(None, text)])
    return list(dict.fromkeys(b.section for _, b in structural_blocks(doc)))


_PER_LINE = """Answer by the water board
Water diplomacy is the use of diplomatic tools to settle questions of shared rivers between states.
Key Aspects of Water Diplomacy
Shared River Commissions
States set up joint commissions to manage the rivers they share and to settle their disputes.
Data Exchange
Riparian states exchange data on flows, floods and pollution through agreed channels of their own.
Common Challenges in Water Diplomacy
Lack of Trust
Upstream works create suspicion downstream, making progress on agreements slow and difficult.
Related resources
Rivers of the world
04 Aug, 2011
Water and peace
15 Aug, 2013
"""


def test_in_text_with_a_paragraph_per_line_short_lines_head_sections_under_the_heading_over_them():
    """A web page's text keeps each paragraph on one line: a short line of its own is a heading, a
    heading directly over another heads the ones that follow it, and a title over a date is an
    entry of a listing, not a heading."""
    assert _sections_of(_PER_LINE) == [
        "Answer by the water board",
        "Key Aspects of Water Diplomacy – Shared River Commissions",
        "Key Aspects of Water Diplomacy – Data Exchange",
        "Common Challenges in Water Diplomacy – Lack of Trust",
        "Related resources"]


def test_wrapped_text_keeps_its_short_lines_as_text():
    """Text wrapped at a fixed width goes on in lower case on the next line: a short line there is
    the end of a paragraph, not a heading."""
    wrapped = "\n".join(["The states that share a river meet each year to agree on its use and to",
                         "settle the disputes that arise between them over water.",
                         "Shared River Commissions",
                         "are set up by treaty and meet in the capitals of the states in turn,"] * 4)
    assert _sections_of(wrapped) == [""]


def test_long_passages_split_with_overlap(embedder):
    from assistant.ingest.loading import DocumentMeta, LoadedDocument, Page

    sentences = [f"Sentence number {i} explains a distinct obligation of the parties in detail." for i in range(60)]
    doc = LoadedDocument(path=None, meta=DocumentMeta(file="x.txt", title="X"), pages=[Page(None, " ".join(sentences))])
    chunks = Chunker(ChunkSettings(target_tokens=80, overlap_tokens=20), embedder.count_wordpieces).chunk(doc)
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 80 for c in chunks)
    assert any(chunks[i].end > chunks[i + 1].start for i in range(len(chunks) - 1)), "no overlap"
