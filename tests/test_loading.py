"""Loading: real files in, pages of text out; bad files raise LoadError naming the file."""
import pytest

from assistant.digest import file_sha256
from assistant.ingest.loading import CorpusFile, DocumentMeta, LoadError, load_document, scan_corpus

from .helpers import CORPUS


def load(path):
    return load_document(CorpusFile(path, DocumentMeta(file=path.name, title=""), file_sha256(path)))


def test_pdf_pages_are_numbered_from_one():
    doc = load(CORPUS / "US_DoD_Cyber_Strategy_Summary_2018.pdf")
    assert [p.number for p in doc.pages] == list(range(1, len(doc.pages) + 1))
    assert "cyberspace" in doc.pages[2].text.lower()


def test_encrypted_pdf_with_empty_password_opens():
    doc = load(CORPUS / "US_National_Cybersecurity_Strategy_2023.pdf")
    assert any("PILLAR ONE" in p.text for p in doc.pages)


def test_pages_without_text_layer_are_reported():
    doc = load(CORPUS / "US_National_Cyber_Strategy_2018.pdf")
    assert any("without a text layer" in n for n in doc.notices)


def test_catalog_metadata_reaches_documents_and_uncatalogued_files_get_a_title(tmp_path):
    (tmp_path / "catalog.csv").write_text("file,title,publisher,year,type,jurisdiction,licence,origin\n"
                                          "a.md,Listed,Pub,2020,study,international,CC,here\n")
    (tmp_path / "a.md").write_text("# A\n\ntext")
    (tmp_path / "My_Uncatalogued_Note.txt").write_text("Some text about norms.")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    files, notices = scan_corpus([tmp_path])
    by_name = {f.meta.file: f for f in files}
    assert by_name["a.md"].meta.publisher == "Pub" and by_name["a.md"].meta.year == "2020"
    assert load_document(by_name["My_Uncatalogued_Note.txt"]).meta.title == "My Uncatalogued Note"
    assert any("picture.png" in n and "unsupported" in n for n in notices)


def test_markdown_and_html(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><head><style>.x{}</style><script>alert('x')</script></head>"
                    "<body><h2>Article 5</h2><p>Visible <b>text</b>.</p></body></html>")
    text = load(page).pages[0].text
    assert "## Article 5" in text and "Visible" in text and "alert" not in text and ".x{}" not in text


def test_latin1_text_falls_back_without_crashing(tmp_path):
    f = tmp_path / "l.txt"
    f.write_bytes("Coopération numérique et sécurité".encode("latin-1"))
    assert "Coopération" in load(f).pages[0].text


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"", "empty"),
    ("junk.txt", bytes(range(256)) * 40, "binary"),
    ("fake.pdf", b"this is not a pdf at all", "not a PDF"),
    ("truncated.pdf", (CORPUS / "US_DoD_Cyber_Strategy_Summary_2018.pdf").read_bytes()[:3000], "PDF"),
])
def test_bad_files_raise_load_error_naming_the_file(tmp_path, name, data, reason):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(LoadError) as err:
        load(f)
    assert name in str(err.value) and reason.lower() in str(err.value).lower()


def test_password_protected_pdf_is_refused(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(CORPUS / "US_DoD_Cyber_Strategy_Summary_2018.pdf"))
    writer.encrypt(user_password="secret", algorithm="AES-128")
    f = tmp_path / "locked.pdf"
    with open(f, "wb") as fh:
        writer.write(fh)
    with pytest.raises(LoadError, match="password"):
        load(f)
