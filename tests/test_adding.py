"""Adding one document to a running corpus (ingest.adding): the same incremental build as
`cda index build`, corrections written to the catalog, a failing file taken back out."""
import csv

import pytest

from assistant.ingest.adding import AddError, add_document, correct_metadata, safe_name, write_catalog_row
from tests.helpers import CORPUS


def test_uploaded_names_become_plain_corpus_file_names():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("My Report (final).PDF") == "My_Report_final.pdf"
    assert safe_name(".hidden.md") == "hidden.md"


def test_a_catalog_row_is_added_or_updated_and_other_rows_and_columns_are_kept(tmp_path):
    (tmp_path / "catalog.csv").write_text("file,title,publisher,year,type,jurisdiction,licence,origin\n"
                                          "a.txt,Alpha,Pub,2001,study,international,CC0,here\n")
    write_catalog_row(tmp_path, "b.pdf", {"title": "Beta  report", "symbol": "A/RES/1/1", "unknown": "x"})
    write_catalog_row(tmp_path, "a.txt", {"title": "Alpha, corrected"})
    rows = {r["file"]: r for r in csv.DictReader(open(tmp_path / "catalog.csv", newline=""))}
    assert rows["a.txt"]["title"] == "Alpha, corrected" and rows["a.txt"]["licence"] == "CC0"
    assert rows["b.pdf"]["title"] == "Beta report" and rows["b.pdf"]["symbol"] == "A/RES/1/1"
    assert "unknown" not in rows["b.pdf"]


@pytest.mark.slow
def test_an_added_file_is_indexed_its_metadata_corrected_and_a_broken_one_taken_back_out(tmp_path, embedder):
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index
    import assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "UN_Charter_1945_en.md").write_bytes((CORPUS / "UN_Charter_1945_en.md").read_bytes())
    settings = load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index")
    build_index(settings, embedder=embedder)

    upload = tmp_path / "upload" / "UNGA_Res_73-266.txt"
    upload.parent.mkdir()
    upload.write_bytes((CORPUS / "UNGA_Res_73-266_2018_A-RES-73-266.txt").read_bytes())
    added = add_document(settings, upload)
    assert added.meta is not None and added.report.added == ["UNGA_Res_73-266.txt"]
    assert (added.meta.symbol, added.meta.provenance["symbol"]) == ("A/RES/73/266", "text")
    corrected = correct_metadata(settings, added.file, {"title": "Resolution on responsible State behaviour"})
    assert corrected.meta.title == "Resolution on responsible State behaviour"
    assert corrected.meta.provenance["title"] == "catalog" and corrected.report.changed == [added.file]
    answer = assistant.open(settings.index_dir).ask("What did resolution 73/266 request of the Secretary-General?")
    assert answer.citations and answer.citations[0].title == "Resolution on responsible State behaviour"

    broken = tmp_path / "upload" / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    failed = add_document(settings, broken)
    assert failed.meta is None and "broken.pdf" in failed.error and not (corpus / "broken.pdf").exists()
    with pytest.raises(AddError, match="only"):
        add_document(settings, tmp_path / "upload" / "UNGA_Res_73-266.txt", "notes.exe")
