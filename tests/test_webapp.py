"""Start-up index check; sources panel HTML: passages with their quotes marked, headings shown as headings, every
citation on the card of the passage that holds its quote (the browser tests drive the real app)."""
from dataclasses import replace

import pytest

from assistant.storage.store import current_generation_path, read_manifest
from assistant.app.webapp import _highlight, _text_page, ensure_index, linked_markers, sources_html, sources_panel

PASSAGE = ("which shall then determine whether the information should be provided.\n"
           "### Section 2\n#### Specific provisions\n"
           "Article 29 – Expedited preservation of stored computer data\n"
           "1. A Party may request another Party to order the expeditious preservation of data.\f"
           "2. A request for preservation shall specify the authority seeking the preservation.")


def test_quoted_sentences_are_marked_and_markdown_headings_are_not_shown_as_hashes():
    shown = _highlight(PASSAGE, ["A Party may request another Party to order the expeditious preservation of data."])
    assert "<mark>A Party may request another Party to order the expeditious preservation of data.</mark>" in shown
    assert "#" not in shown
    assert "<b>Section 2</b>" in shown and "<b>Specific provisions</b>" in shown


def test_passage_text_is_escaped():
    assert "<script>" not in _highlight("<script>alert(1)</script> text", [])


def test_a_citation_goes_on_the_card_of_the_passage_holding_its_quote_even_across_a_page_break():
    quote = "A request for preservation shall specify the authority seeking the preservation."
    other = {"rank": 1, "file": "doc.txt", "title": "Doc", "page": 3, "section": "", "text": "Unrelated text.",
             "score": 0.7}
    holding = {"rank": 2, "file": "doc.txt", "title": "Doc", "page": 4, "section": "Article 29", "text": PASSAGE,
               "score": 0.6}
    answer = {"abstained": False, "retrieved": [other, holding],
              "citations": [{"n": 1, "file": "doc.txt", "title": "Doc", "page": 5, "section": "Article 29",
                             "quote": quote}]}
    html = sources_html(answer)
    assert html.count("class='cda-source'") == 1
    assert f"<mark>{quote}</mark>" in html and "page 4" in html


def test_a_source_card_shows_the_quote_in_its_surroundings_and_folds_the_whole_passage():
    quote = "Each Party shall keep a register of contact points."
    passage = ("Opening words of a long passage. " * 20) + quote + (" Closing words of the passage." * 20)
    answer = {"abstained": False, "retrieved": [{"rank": 1, "file": "d.txt", "title": "D", "page": None,
                                                 "section": "", "text": passage, "score": 0.5}],
              "citations": [{"n": 1, "file": "d.txt", "title": "D", "page": None, "section": "", "quote": quote}]}
    card = sources_html(answer)
    shown, folded = card.split("<details class='cda-passage'>")
    assert f"<mark>{quote}</mark>" in shown and shown.count("Opening words") < 8 and "… " in shown
    assert folded.count("Opening words") == 20 and f"<mark>{quote}</mark>" in folded


def test_earlier_answers_keep_their_sources_folded_and_markers_point_into_their_own_turn():
    def turn(question, quote):
        passage = {"rank": 1, "file": "d.txt", "title": "D", "page": None, "section": "", "text": quote, "score": 0.5}
        return {"question": question, "abstained": False, "retrieved": [passage],
                "citations": [{"n": 1, "file": "d.txt", "title": "D", "page": None, "section": "", "quote": quote,
                               "unit": "Art. 2", "reference": "D, Art. 2"}]}
    panel = sources_panel([turn("first?", "The first quote."), turn("second?", "The second quote.")])
    assert panel.index("id=cda-src-1-1") < panel.index("<details class='cda-earlier'>") < panel.index("id=cda-src-0-1")
    assert "first?" in panel and "cite as: <code>D, Art. 2</code>" in panel
    assert linked_markers("Quoted. [1] [2]", 3) == ("Quoted. <a href='#cda-src-3-1' class='cda-marker'>[1]</a> "
                                                    "<a href='#cda-src-3-2' class='cda-marker'>[2]</a>")


def test_a_text_document_opens_as_a_readable_page_with_the_whole_quote_marked():
    import re as _re

    long_quote = " ".join(f"clause {i} of the long provision on preserving stored data," for i in range(12))
    text = (f"###TITLE 2\n\n### Article  16\n\n####Expedited preservation\n\n1.   {long_quote} and\nmore "
            "<script>alert(1)</script> text.\n\n2.   Where a Party gives effect to paragraph 1 above.\n")
    page = _text_page("t.md", text, long_quote + " and more", markdown=True)
    assert "<h3>TITLE 2</h3>" in page and "<h4>Expedited preservation</h4>" in page and "###" not in page
    marked = " ".join("".join(_re.findall(r"<mark[^>]*>(.*?)</mark>", page, _re.DOTALL)).split())
    assert len(long_quote) > 300 and marked == long_quote + " and more"  # whole, not cut at 300 characters
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page  # a document is data
    # A quote over two paragraphs is marked in each, and the page scrolls to it.
    page = _text_page("t.md", text, "paragraph 1 above.", markdown=True)
    assert "<mark id='hit'>paragraph 1 above.</mark>" in page and "scrollIntoView" in page


@pytest.mark.slow  # two full builds of the small corpus
def test_the_app_builds_a_missing_index_and_rebuilds_one_an_earlier_version_chunked(small_settings, embedder):
    ensure_index(small_settings)
    gen = current_generation_path(small_settings.index_dir)
    assert read_manifest(gen).chunking == small_settings.chunk.as_dict()
    ensure_index(small_settings)  # up to date: left alone
    assert current_generation_path(small_settings.index_dir) == gen
    # The same index as read by a newer version whose chunking rules changed.
    newer = replace(small_settings, chunk=replace(small_settings.chunk,
                                                  structure_version=small_settings.chunk.structure_version + 1))
    ensure_index(newer)
    assert current_generation_path(newer.index_dir) != gen
    assert read_manifest(current_generation_path(newer.index_dir)).chunking == newer.chunk.as_dict()


def test_a_pdf_page_is_rendered_with_the_quote_highlighted_on_it():
    import io

    from PIL import Image, ImageChops

    from assistant.app.pdfpage import PageOutOfRange, quote_rectangles, render_page
    from assistant.config import PROJECT_ROOT

    pdf = PROJECT_ROOT / "corpus" / "US_National_Cybersecurity_Strategy_2023.pdf"
    quote = ("This strategy seeks to build and enhance collaboration around five pillars: (1) Defend Critical "
             "Infrastructure, (2) Disrupt and Dismantle Threat Actors, (3) Shape Market Forces to Drive Security "
             "and Resilience, (4) Invest in a Resilient Future, and (5) Forge International Partnerships to "
             "Pursue Shared Goals.")
    marked = Image.open(io.BytesIO(render_page(pdf, 8, quote))).convert("RGB")
    plain = Image.open(io.BytesIO(render_page(pdf, 8))).convert("RGB")
    changed = ImageChops.difference(marked, plain).convert("L").point(lambda v: 255 if v > 20 else 0)
    box = changed.getbbox()
    assert box is not None
    # The marked area spans the quote's five lines across the text column, and nothing else.
    assert box[3] - box[1] > 5 * 15 and box[2] - box[0] > marked.width * 0.6
    assert sum(1 for v in changed.get_flattened_data() if v) < marked.width * marked.height * 0.1
    # A quote not on the page marks nothing; a page the PDF does not have is refused.
    import pypdfium2 as pdfium
    document = pdfium.PdfDocument(str(pdf))
    assert quote_rectangles(document[2].get_textpage(), quote) == []
    document.close()
    with pytest.raises(PageOutOfRange):
        render_page(pdf, 999, quote)


def test_downloads_go_to_one_folder_per_process_and_old_ones_are_removed():
    from assistant.app.webapp import DOWNLOAD_MAX_AGE_SECONDS, new_download

    first = new_download("comparison.csv")
    first.write_text("a,b\n", encoding="utf-8")
    second = new_download("comparison.csv")
    assert first.name == second.name == "comparison.csv"  # the name the user sees
    assert first.parent != second.parent and first.parent.parent == second.parent.parent
    assert first.exists()
    later = new_download("conversation.md", now=first.parent.stat().st_mtime + DOWNLOAD_MAX_AGE_SECONDS + 1)
    assert not first.parent.exists() and later.parent.exists()
