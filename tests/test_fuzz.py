"""Fuzzing (hypothesis): loaders and the chunker on arbitrary input, and mutation fuzzing of the
PDF loader starting from real corpus PDFs.

Properties: nothing but LoadError escapes a loader, whatever the bytes; every chunk's offsets
point at its own text in the page (page.text[start:end] == chunk.text); no chunk exceeds the
embedding model's window (counted with the model's own tokenizer); no text is lost between
chunks. Every test is bounded (max_examples, deadline) so the whole file stays under a minute.
"""
from __future__ import annotations

import io
import re
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from assistant.ingest.chunking import Chunker
from assistant.config import ChunkSettings
from assistant.ingest.loading import (CorpusFile, DocumentMeta, LoadedDocument, LoadError, Page, decode_text,
                               load_document)

from .helpers import CORPUS

pytestmark = pytest.mark.slow  # hundreds of hypothesis examples per test

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                database=None)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory(prefix="cda-fuzz-") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def chunker(embedder):
    return Chunker(ChunkSettings(), embedder.count_wordpieces)


def load_bytes(folder: Path, name: str, data: bytes) -> LoadedDocument:
    path = folder / name
    path.write_bytes(data)
    return load_document(CorpusFile(path, DocumentMeta(file=name, title=""), ""))


def check_chunks(doc: LoadedDocument, chunks, chunker: Chunker) -> None:
    """The chunk invariants every document must satisfy."""
    limit = chunker.settings.max_model_tokens
    pages = {p.number: p.text for p in doc.pages}
    covered = {n: bytearray(len(t)) for n, t in pages.items()}
    for c in chunks:
        text = pages[c.page]
        assert 0 <= c.start < c.end <= len(text), (c.start, c.end, len(text))
        assert text[c.start:c.end] == c.text
        assert c.text.strip() == c.text and c.text
        assert chunker.wordpieces(c.embed_text) <= limit, (chunker.wordpieces(c.embed_text), c.section[:80])
        covered[c.page][c.start:c.end] = b"\x01" * (c.end - c.start)
    for n, text in pages.items():  # nothing but whitespace falls between chunks
        lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[n][i]]
        assert not lost, f"page {n}: characters {lost[:10]} are in no chunk: {text[lost[0]:lost[0] + 40]!r}"


# ---------------------------------------------------------------- arbitrary bytes into every loader

@FUZZ
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".txt", ".md", ".html", ".pdf"]))
def test_loaders_raise_nothing_but_load_error_on_arbitrary_bytes(scratch, chunker, data, suffix):
    for payload in (data, b"%PDF-1.7\n" + data):  # the second passes the PDF header check
        try:
            doc = load_bytes(scratch, f"fuzz{suffix}", payload)
        except LoadError as exc:
            assert f"fuzz{suffix}" in str(exc)  # the reason names the file
            continue
        assert doc.pages and any(p.text.strip() for p in doc.pages)
        check_chunks(doc, chunker.chunk(doc), chunker)


@FUZZ
@given(text=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=2000))
def test_clean_text_decodes_back_to_itself(text):
    text = text.lstrip("\ufeff")
    if not text.strip():
        return
    assert decode_text(text.encode("utf-8"), "t.txt") == text
    assert decode_text(b"\xff\xfe" + text.encode("utf-16-le"), "t.txt") == text  # UTF-16 with a BOM


@FUZZ
@given(text=st.text(st.characters(codec="latin-1", exclude_categories=("Cc",)), min_size=1, max_size=500))
def test_latin1_bytes_never_fail_and_keep_their_letters(text):
    if not text.strip():
        return
    decoded = decode_text(text.encode("latin-1"), "l.txt")
    assert len(decoded) == len(text.lstrip("\ufeff"))


# ---------------------------------------------------------------- chunker on document-shaped text

_WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
_FRAGMENT = st.one_of(
    st.sampled_from([
        "# Title", "## Article 35 – 24/7 Network", "Article 16", "Expedited preservation of data",
        "PILLAR TWO | DISRUPT AND DISMANTLE", "1. Introduction", "1.1 The internet and digital technologies are",
        "(a) the parties shall", "(iv) any other", "• a bullet", "- a dash item", "Each Party shall adopt measures.",
        "States should not conduct or knowingly support ICT activity.", "...........", "", " ", "\t", "\r\n",
        "\u2028", "\x0c", "\x85", "Ω≈ç√∫", "國際網絡安全合作與信任建設措施", "🔐🌐", "a\u0301\u0301\u0301",
        "https://example.org/a/very/long/url?with=query&and=more", "x" * 300, "9" * 200, "!" * 400,
        "中" * 400, "# " + "!" * 200, "# " + "漢" * 200, "ARTICLE " + "I" * 6 + " " + "W" * 100,
    ]),
    _WORD,
)
_LINE = st.lists(_FRAGMENT, min_size=0, max_size=12).map(" ".join)
_PAGE = st.lists(_LINE, min_size=0, max_size=60).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
@given(pages=st.lists(_PAGE, min_size=1, max_size=4), markdown=st.booleans(), paged=st.booleans(),
       title=st.one_of(st.just(""), _LINE, st.just("漢" * 150)))
def test_chunks_are_valid_spans_within_the_model_window(chunker, pages, markdown, paged, title):
    if not paged:
        pages = pages[:1]
    doc = LoadedDocument(path=None, meta=DocumentMeta(file="f.md", title=title[:300]),
                         pages=[Page(i + 1 if paged else None, t) for i, t in enumerate(pages)], markdown=markdown)
    check_chunks(doc, chunker.chunk(doc), chunker)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(text=st.text(min_size=0, max_size=20000))
def test_chunks_of_arbitrary_unicode(chunker, text):
    for markdown in (False, True):
        doc = LoadedDocument(path=None, meta=DocumentMeta(file="u.txt", title="U"), pages=[Page(None, text)],
                             markdown=markdown)
        check_chunks(doc, chunker.chunk(doc), chunker)


# ---------------------------------------------------------------- PDF mutation fuzzing from real PDFs

def _extract(src: Path, pages: list[int], encrypt: bool = False) -> bytes:
    """A small real PDF (a few pages of a corpus PDF: real fonts, content streams, xref)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(src)
    if reader.is_encrypted:
        reader.decrypt("")
    writer = PdfWriter()
    for i in pages:
        writer.add_page(reader.pages[i])
    if encrypt:  # an empty user password, like US_National_Cybersecurity_Strategy_2023.pdf
        writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_KEYWORDS = [b"obj", b"endobj", b"xref", b"trailer", b"startxref", b"stream", b"/Length", b"/Root", b"/Pages",
             b"/Kids", b"/Count", b"/Filter", b"/Encrypt", b"/Font", b"/Contents", b"/Resources", b"Tj", b"TJ"]


@pytest.fixture(scope="module")
def pdf_seeds():
    seeds = [
        _extract(CORPUS / "US_DoD_Cyber_Strategy_Summary_2018.pdf", [2, 3]),
        _extract(CORPUS / "US_National_Cybersecurity_Strategy_2023.pdf", [5], encrypt=True),
        _extract(CORPUS / "NIST_Cybersecurity_Framework_v1.1_2018.pdf", [10]),
        (CORPUS / "US_DoD_Cyber_Strategy_Summary_2018.pdf").read_bytes(),  # the whole file, untouched
    ]
    # Mutations land on PDF syntax (object headers, xref, dictionaries) more often than on stream bytes.
    hot = [sorted({m.start() for kw in _KEYWORDS for m in re.finditer(re.escape(kw), s)}) for s in seeds]
    return seeds, hot


_MUTATION = st.tuples(
    st.sampled_from(["flip", "digit", "delete", "insert", "truncate"]),
    st.booleans(),  # True: near a PDF keyword; False: anywhere
    st.integers(0, 1 << 30),  # position (taken modulo the candidates)
    st.integers(-4, 16),  # offset from the keyword
    st.sampled_from([b"0", b"9999999999", b"-1", b"<<", b">>", b"[", b"]", b"0 0 R", b"4 0 R", b"/Fl", b"(",
                     b"/Length 99999999", b"\x00", b"\xff" * 8, b"endobj", b"stream\n"]),
    st.integers(0, 255),
)


@settings(max_examples=160, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
@given(seed=st.integers(0, 3), mutations=st.lists(_MUTATION, min_size=1, max_size=8))
def test_mutated_real_pdfs_load_or_fail_with_load_error(scratch, chunker, pdf_seeds, seed, mutations):
    seeds, hot = pdf_seeds
    data = bytearray(seeds[seed])
    for op, near, pos, offset, token, byte in mutations:
        if not data:
            break
        at = hot[seed][pos % len(hot[seed])] + offset if near else pos
        at = max(0, min(len(data) - 1, at % len(data) if not near else at))
        if op == "flip":
            data[at] ^= (byte or 1)
        elif op == "digit":
            data[at] = b"0123456789 /<>[]()-"[byte % 19]
        elif op == "delete":
            del data[at:at + 1 + byte % 64]
        elif op == "insert":
            data[at:at] = token
        else:
            del data[at:]
    try:
        doc = load_bytes(scratch, "mutant.pdf", bytes(data))
    except LoadError as exc:
        assert "mutant.pdf" in str(exc)
        return
    assert all(p.number == i for i, p in enumerate(doc.pages, start=1))
    check_chunks(doc, chunker.chunk(doc), chunker)


# ---------------------------------------------------------------- regressions found by the fuzzer

def tiny_pdf(objects: list[bytes]) -> bytes:
    """A minimal PDF with a correct xref table; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_TEXT = b"BT /F1 12 Tf 72 720 Td (Confidence building measures between states in cyberspace.) Tj ET"


def _one_page_pdf(content_object: bytes) -> bytes:
    return tiny_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        content_object,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def test_tiny_pdf_builder_makes_a_readable_pdf(scratch):
    data = _one_page_pdf(b"<< /Length %d >>\nstream\n" % len(_TEXT) + _TEXT + b"\nendstream")
    doc = load_bytes(scratch, "tiny.pdf", data)
    assert "Confidence building measures" in doc.pages[0].text


@pytest.mark.parametrize("name,content_object,reason", [
    # pypdf raises LimitReachedError (a PyPdfError, not a PdfReadError) for an object that refers to itself.
    ("selfref.pdf", b"<< /Length 4 0 R >>\nstream\n" + _TEXT + b"\nendstream", "LimitReachedError"),
    # pypdf 7 raises DeprecationError (not a PyPdfError at all) for the abbreviated filter name /Fl.
    ("fl.pdf", b"<< /Length %d /Filter /Fl >>\nstream\n" % len(zlib.compress(_TEXT)) + zlib.compress(_TEXT)
     + b"\nendstream", "DeprecationError"),
])
def test_pdf_errors_outside_pdfreaderror_become_load_errors(scratch, name, content_object, reason):
    with pytest.raises(LoadError, match=f"{re.escape(name)}: unreadable PDF \\({reason}"):
        load_bytes(scratch, name, _one_page_pdf(content_object))
