"""Loading: corpus files (+ catalog.csv) -> documents made of pages of text.

Each loader returns pages with 1-based page numbers (PDF) or a single page with
number None (text formats). Anything wrong with a file raises LoadError with a
reason a human can act on; the indexer records it and carries on.
"""
from __future__ import annotations

import csv
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..digest import file_sha256
from ..records import DocumentMeta
from .cleaning import clean_pages
from .metadata import HEAD_CHARS, Found, complete, read_metadata

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".markdown", ".html", ".htm")
CATALOG_NAME = "catalog.csv"
# symbol and date are optional: an official symbol ("A/RES/73/27", "ETS No. 185") makes a document
# nameable by it; both are shown on citations.
CATALOG_FIELDS = ("title", "publisher", "year", "type", "jurisdiction", "licence", "origin", "symbol", "date")
# Text encodings tried in order; latin-1 decodes any byte string, so decoding never fails.
TEXT_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


class LoadError(Exception):
    """A document that cannot be indexed; the message says why."""


@dataclass
class Page:
    number: int | None  # 1-based for PDFs, None for non-paged files
    text: str


@dataclass
class LoadedDocument:
    path: Path
    meta: DocumentMeta
    pages: list[Page]
    markdown: bool = False  # '#' headings mark sections
    notices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # footnote bodies taken out of the text


@dataclass
class CorpusFile:
    path: Path
    meta: DocumentMeta
    sha256: str


def read_catalog(corpus_dir: Path) -> dict[str, dict]:
    """file name -> catalog row; a missing catalog is an empty one."""
    path = corpus_dir / CATALOG_NAME
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "file" not in reader.fieldnames:
            raise LoadError(f"{path}: catalog has no 'file' column")
        return {row["file"].strip(): row for row in reader if row.get("file")}


def title_from_file_name(name: str) -> str:
    return re.sub(r"[_\s]+", " ", Path(name).stem).strip()


def scan_corpus(corpus_dirs: tuple[Path, ...] | list[Path]) -> tuple[list[CorpusFile], list[str]]:
    """Every supported file in the corpus folders with its catalog metadata, plus notices
    for skipped files. File names must be unique across folders (they identify documents)."""
    found: dict[str, CorpusFile] = {}
    notices: list[str] = []
    for corpus_dir in corpus_dirs:
        corpus_dir = Path(corpus_dir)
        if not corpus_dir.is_dir():
            raise LoadError(f"corpus folder {corpus_dir} does not exist")
        catalog = read_catalog(corpus_dir)
        for path in sorted(corpus_dir.rglob("*")):
            if not path.is_file() or path.name == CATALOG_NAME or path.name.startswith("."):
                continue
            if path.is_symlink() and not path.resolve().is_relative_to(corpus_dir.resolve()):
                # The source viewer never serves a file outside the corpus, so it is not indexed either.
                notices.append(f"skipped {path.name}: a symbolic link to a file outside the corpus folder")
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                notices.append(f"skipped {path.name}: unsupported file type {path.suffix or '(none)'}")
                continue
            if path.name in found:
                notices.append(f"skipped {path}: another file named {path.name} is already in the corpus")
                continue
            row = catalog.get(path.name, {})
            meta = DocumentMeta(
                file=path.name,
                title=(row.get("title") or "").strip(),
                **{k: (row.get(k) or "").strip() for k in CATALOG_FIELDS if k != "title"},
            )
            found[path.name] = CorpusFile(path=path, meta=meta, sha256=file_sha256(path))
    return list(found.values()), notices


def decode_text(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with a byte order mark ("Unicode" text from Windows): NUL bytes are normal there.
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise LoadError(f"{name}: broken UTF-16 text") from None
    if not data.strip():
        raise LoadError(f"{name}: empty document (no text)")
    sample = data[:65536]
    # Text files do not contain NUL bytes and few control characters; binary junk does.
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) * 0.05:
        raise LoadError(f"{name}: binary data, not text")
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _load_text(path: Path) -> list[Page]:
    return [Page(None, decode_text(path.read_bytes(), path.name))]


# A note reference set as a superscript: a number or a run of them ("34", "12, 13"), or a mark ("*").
_NOTE_MARK = re.compile(r"\s*(?:\d{1,3}(?:\s*[,–-]\s*\d{1,3})*|[*†‡])\s*")


def _page_text(page) -> str:
    """A PDF page's text without its note references: a superscript "34" after "these dialogues." read as
    text makes "these dialogues. 34 113 non-state organizations registered" (34,113?). A reference is a
    number set smaller than the text before it on its line (at most 0.8 of its size) and raised above
    its baseline; a note's own number at the page foot starts its line and is kept. pypdf hands each piece
    of text to the visitor as it writes it, so the pieces joined are the page's text."""
    seen: list[str] = []  # every piece, to check that they make the page's text
    kept: list[str] = []
    before: tuple[float, float] | None = None  # size and baseline of the last piece with text

    def visit(text: str, cm, tm, font, size: float) -> None:
        nonlocal before
        seen.append(text)
        scale = abs(size) * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        baseline = tm[5] * cm[3] + cm[5]
        if before and text.strip() and _NOTE_MARK.fullmatch(text):
            last_size, last_baseline = before
            if 0 < scale <= 0.8 * last_size and last_baseline + 0.12 * last_size < baseline < last_baseline + last_size:
                kept.append(text[:len(text) - len(text.lstrip())])
                return
        kept.append(text)
        if text.strip():
            before = (scale, baseline)

    text = page.extract_text(visitor_text=visit) or ""
    # Should a pypdf version write text it does not show the visitor, the page's text stands as written.
    return "".join(kept) if "".join(seen) == text else text


def _load_pdf(path: Path, notices: list[str]) -> tuple[list[Page], str]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, DeprecationError, PyPdfError

    with open(path, "rb") as fh:
        head = fh.read(1024)
    if not head.strip():
        raise LoadError(f"{path.name}: empty file")
    if b"%PDF-" not in head:
        raise LoadError(f"{path.name}: not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Many official PDFs are encrypted with an empty user password (permissions only).
            if not reader.decrypt(""):
                raise LoadError(f"{path.name}: PDF is password-protected")
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            pages.append(Page(number, _page_text(page)))
        title = ""
        try:
            title = str((reader.metadata or {}).get("/Title") or "").strip()
        except Exception:  # broken metadata is not worth failing a document for
            pass
    except LoadError:
        raise
    except DependencyError as exc:  # e.g. an AES-encrypted PDF without the `cryptography` package
        raise LoadError(f"{path.name}: PDF needs a missing library ({exc})") from exc
    # PyPdfError, not just PdfReadError: LimitReachedError (reference loops) and ParseError derive
    # from it only; DeprecationError is raised for abbreviated filter names such as /Fl (both found
    # by mutation fuzzing, tests/test_fuzz.py).
    except (PyPdfError, DeprecationError, ValueError, LookupError, TypeError, AttributeError, AssertionError,
            OSError, RecursionError, ArithmeticError, NotImplementedError) as exc:
        raise LoadError(f"{path.name}: unreadable PDF ({type(exc).__name__}: {exc})") from exc
    no_text = [p.number for p in pages if len(p.text.strip()) < 20]
    if len(no_text) == len(pages):
        raise LoadError(f"{path.name}: no text layer on any of its {len(pages)} pages (scanned PDF? OCR it first)")
    if no_text:
        notices.append(f"{path.name}: {len(no_text)} page(s) without a text layer: {no_text}")
    return pages, title


def html_to_markdown_text(html: str) -> str:
    """Visible text of an HTML page, headings turned into '#' lines; scripts and styles dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "svg"]):
        tag.decompose()
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            text = " ".join(heading.get_text(" ").split())
            heading.replace_with(f"\n\n{'#' * level} {text}\n\n")
    text = soup.get_text("\n")
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()


def _load_html(path: Path) -> list[Page]:
    raw = decode_text(path.read_bytes(), path.name)
    try:
        text = html_to_markdown_text(raw)
    except RecursionError as exc:
        raise LoadError(f"{path.name}: HTML nested too deeply to parse") from exc
    return [Page(None, text)]


def load_document(item: CorpusFile) -> LoadedDocument:
    """Load one corpus file; raises LoadError when it cannot be indexed."""
    path = item.path
    suffix = path.suffix.lower()
    notices: list[str] = []
    pdf_title = ""
    if suffix == ".pdf":
        pages, pdf_title = _load_pdf(path, notices)
    elif suffix in (".html", ".htm"):
        pages = _load_html(path)
    elif suffix in (".txt", ".md", ".markdown"):
        pages = _load_text(path)
    else:
        raise LoadError(f"{path.name}: unsupported file type {suffix}")
    if not any(p.text.strip() for p in pages):
        raise LoadError(f"{path.name}: no text")
    markdown = suffix in (".md", ".markdown", ".html", ".htm")
    raw_head = "\n".join(p.text for p in pages[:3])[:HEAD_CHARS]
    # Quotable text only: page numbers, running headers, codes, footnotes and broken words out.
    cleaned, cleaning = clean_pages([p.text for p in pages], markdown)
    pages = [Page(p.number, text) for p, text in zip(pages, cleaned)]
    # The catalog's row, its empty fields read from the document (the cleaned title page for the
    # title; the raw one too for symbols and dates that cleaning takes out as running headers).
    head = "\n".join(p.text for p in pages[:3])[:HEAD_CHARS]
    found = read_metadata(head, path.name, pdf_title, raw_head, tail=pages[-1].text[-3000:])
    if "title" not in found:
        title = derive_title(pages, suffix, "", path.name)
        found["title"] = Found(title, "file name" if title == title_from_file_name(path.name) else "text")
    meta = complete(item.meta, found)
    return LoadedDocument(path=path, meta=meta, pages=pages, markdown=markdown, notices=notices,
                          notes=cleaning.notes)


def derive_title(pages: list[Page], suffix: str, pdf_title: str, name: str) -> str:
    """A title for a file the catalog does not list when its first lines give none: PDF metadata,
    first heading, or file name."""
    if pdf_title and len(pdf_title) > 3 and not pdf_title.lower().endswith((".doc", ".docx", ".indd", ".pdf")):
        return pdf_title
    if suffix in (".md", ".markdown", ".html", ".htm"):
        match = re.search(r"^#{1,3}\s*(\S.{2,150})$", pages[0].text, re.MULTILINE)
        if match:
            return " ".join(match.group(1).split())
    return title_from_file_name(name)
