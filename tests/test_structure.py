"""Document structure at ingest: every span of every page gets the unit it is cited by."""
from assistant.ingest.structure import unit_runs
from assistant.records import DocumentMeta, StoredChunk

TREATY = """The States signatory hereto,
Considering that co-operation is needed;
### Article 1
####Definitions
For the purposes of this Convention:
1. "computer system" means any device;
2. "computer data" means any representation of facts.
### Article 2
####Illegal access
Each Party shall adopt such measures as may be necessary.
"""

FRAMEWORK_PAGES = {
    1: "Data Security (PR.DS):\nInformation is managed.\nPR.DS-1: Data-at-rest is",
    2: "protected\nCIS CSC 13\nPR.DS-2: Data-in-transit is protected\n\n\nNotes below the table.",
}


def chunked(file: str, text: str, page, headings: list[str], first_id: int = 0) -> list[StoredChunk]:
    """One chunk per heading's stretch of text (a heading's chunk starts at the heading)."""
    starts = [text.index(h) if h else 0 for h in headings] + [len(text)]
    return [StoredChunk(first_id + n, file, page, heading.strip("# "), a, b, text[a:b], "")
            for n, (heading, a, b) in enumerate(zip(headings, starts, starts[1:]))]


def label_of(runs, text: str, phrase: str, page=None) -> str:
    at = text.index(phrase)
    return next((r.label for r in runs if r.page == page and r.start <= at < r.end), "")


def test_a_treatys_articles_paragraphs_and_preamble_are_recorded_for_every_span():
    chunks = chunked("t.md", TREATY, None, ["", "### Article 1", "### Article 2"])
    runs = unit_runs(chunks, {"t.md": DocumentMeta("t.md", "T", type="treaty")}, {("t.md", None): TREATY})
    assert label_of(runs, TREATY, "Considering that") == "Preamble"
    assert label_of(runs, TREATY, '"computer data"') == "Art. 1(2)"
    assert label_of(runs, TREATY, "Each Party shall") == "Art. 2"
    # Runs do not overlap and follow the text.
    assert all(a.end <= b.start for a, b in zip(runs, runs[1:]))


def test_a_coded_entry_broken_by_a_page_end_keeps_its_code_on_the_next_page():
    chunks = [StoredChunk(p - 1, "f.pdf", p, "", 0, len(t), t, "") for p, t in FRAMEWORK_PAGES.items()]
    pages = {("f.pdf", p): t for p, t in FRAMEWORK_PAGES.items()}
    runs = unit_runs(chunks, {"f.pdf": DocumentMeta("f.pdf", "F", type="framework")}, pages)
    assert label_of(runs, FRAMEWORK_PAGES[1], "Information is managed", 1) == "PR.DS"
    assert label_of(runs, FRAMEWORK_PAGES[2], "protected", 2) == "PR.DS-1"
    assert label_of(runs, FRAMEWORK_PAGES[2], "Data-in-transit", 2) == "PR.DS-2"
    assert label_of(runs, FRAMEWORK_PAGES[2], "Notes below", 2) == ""
