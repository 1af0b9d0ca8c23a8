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


def _pdf_with(content: bytes, path) -> None:
    """A one-page PDF drawing `content` (a content stream) in Helvetica as /F1."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)
    with open(path, "wb") as fh:
        writer.write(fh)


def test_a_pdf_loses_its_superscript_note_references_and_keeps_the_notes_own_numbers(tmp_path):
    # "... these dialogues.³⁴ 113 organizations ..." read as text said "dialogues. 34 113 organizations".
    _pdf_with(b"BT /F1 11 Tf 72 700 Td (Held in the history of these dialogues.) Tj ET "
              b"BT /F1 6.4 Tf 290 703.7 Td (34) Tj ET "
              b"BT /F1 11 Tf 300 700 Td ( 113 organizations registered.) Tj ET "
              b"BT /F1 11 Tf 72 680 Td (In 2019 there were 25 members.) Tj ET "
              b"BT /F1 6.4 Tf 72 100 Td (34) Tj ET BT /F1 9 Tf 80 98 Td (Resolution 73/27 set up the group.) Tj ET",
              tmp_path / "notes.pdf")
    from pypdf import PdfReader

    assert "dialogues. 34 113" in " ".join(PdfReader(tmp_path / "notes.pdf").pages[0].extract_text().split())
    text = " ".join(load(tmp_path / "notes.pdf").pages[0].text.split())
    assert "dialogues. 113 organizations registered." in text
    assert "25 members" in text  # a number in the line, set at the text's size, stays
    assert "34Resolution 73/27 set up the group." in text  # the note's own number opens its line: kept
    # The same on a shipped report, where 69 such references stood in its text.
    report = load(CORPUS / "Paris_Call_WG3_Multistakeholder_participation_at_the_UN_2021.pdf")
    page = " ".join(report.pages[12].text.split())
    assert "these dialogues. 113 non-state organizations" in page and "34 113" not in page


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
