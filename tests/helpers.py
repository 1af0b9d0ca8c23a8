"""Plain helpers shared by the test modules (fixtures live in conftest.py, which uses these).

Test modules import from here, never from one another nor from conftest.py."""
from __future__ import annotations

import csv
import re
import shutil
from functools import lru_cache
from pathlib import Path

from assistant.config import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
SMALL_FILES = ["UN_Charter_1945_en.md", "Paris_Call_for_Trust_and_Security_in_Cyberspace_2018.md",
               "001_29d5e90f39836b32.txt", "US_DoD_Cyber_Strategy_Summary_2018.pdf"]


def copy_corpus(dest: Path, files: list[str]) -> Path:
    """Copy some files of the shipped corpus, with their catalog rows, to a folder of their own."""
    dest.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader(open(CORPUS / "catalog.csv", newline="", encoding="utf-8")))
    for name in files:
        shutil.copy(CORPUS / name, dest / name)
    with open(dest / "catalog.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["file"] in files)
    return dest


@lru_cache(maxsize=None)
def printed_pages(file: str) -> dict[int | None, str]:
    """The document's pages as a reader finds them: PDF pages, or text split at its form feeds."""
    from assistant.ingest.loading import CorpusFile, DocumentMeta, load_document

    pages = load_document(CorpusFile(CORPUS / file, DocumentMeta(file, file), "")).pages
    if pages[0].number is None and "\f" in pages[0].text:
        return {n: " ".join(t.split()) for n, t in enumerate(pages[0].text.split("\f"), start=1)}
    return {p.number: " ".join(p.text.split()) for p in pages}


def check_citations(answer, pages: bool = False):
    """Every [n] marker resolves to a citation and every citation's quote stands verbatim in a
    retrieved passage (and, with pages=True, on the cited page of the shipped document)."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    numbers = {c.n for c in answer.citations}
    assert markers == numbers, (answer.answer, numbers)
    texts = [p.text for p in answer.retrieved]
    for c in answer.citations:
        assert any(c.quote in t for t in texts), f"quote not verbatim in a retrieved chunk: {c.quote!r}"
        assert c.file and c.title
        if pages:
            document = printed_pages(c.file)
            assert c.page in document, (c.file, c.page)
            # A sentence running over a page break is cited by the page it opens on.
            following = document.get(c.page + 1, "") if c.page is not None else ""
            needle, spread = " ".join(c.quote.split()), f"{document[c.page]} {following}"
            assert needle in document[c.page] or 0 <= spread.find(needle) < len(document[c.page]), \
                f"{c.file} p. {c.page} lacks {c.quote!r}"
