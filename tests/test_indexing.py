"""Indexing and store: incremental builds, atomic publish, refusal of foreign or damaged indexes."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import ChunkSettings, PROJECT_ROOT
from assistant.ingest.indexing import BuildLocked, build_index, build_lock
from assistant.storage.store import IndexCorrupt, IndexMismatch, IndexMissing, open_generation

from .helpers import CORPUS


def test_build_then_noop_then_add_then_remove(small_settings, embedder):
    first = build_index(small_settings, embedder=embedder)
    assert sorted(first.added) == sorted(p.name for p in small_settings.corpus_dirs[0].iterdir()
                                         if p.name != "catalog.csv")
    assert not first.failed and first.chunks > 20

    again = build_index(small_settings, embedder=embedder)
    assert (again.added, again.changed, again.removed, again.embedded) == ([], [], [], 0)
    assert again.unchanged == len(first.added) and again.seconds < 10

    corpus = small_settings.corpus_dirs[0]
    shutil.copy(CORPUS / "US_Code_22_USC_Ch110_Information_Security_and_Cyber_Diplomacy.md", corpus)
    added = build_index(small_settings, embedder=embedder)
    new_chunks = open_generation(small_settings.index_dir).manifest.documents[added.added[0]]["chunks"]
    assert added.added == ["US_Code_22_USC_Ch110_Information_Security_and_Cyber_Diplomacy.md"]
    assert added.embedded == new_chunks  # only the new document went through the model

    (corpus / "UN_Charter_1945_en.md").unlink()
    removed = build_index(small_settings, embedder=embedder)
    assert removed.removed == ["UN_Charter_1945_en.md"] and removed.embedded == 0
    gen = open_generation(small_settings.index_dir)
    assert not any(c.file == "UN_Charter_1945_en.md" for c in gen.chunks)
    assert gen.faiss_index.ntotal == len(gen.chunks) == removed.chunks
    # After four publishes, the current generation and the one it replaced (a serving replica may
    # still be answering from it) are kept; older ones are gone.
    kept = {p.name for p in Path(small_settings.index_dir).iterdir() if p.name.startswith("gen-")}
    assert len(kept) == 2 and gen.path.name in kept


def test_changed_document_is_reembedded_and_broken_one_keeps_last_good_version(small_settings, embedder):
    build_index(small_settings, embedder=embedder)
    corpus = small_settings.corpus_dirs[0]
    with open(corpus / "001_29d5e90f39836b32.txt", "a") as fh:
        fh.write("\nA new closing paragraph about confidence-building measures between states.\n")
    changed = build_index(small_settings, embedder=embedder)
    assert changed.changed == ["001_29d5e90f39836b32.txt"]
    assert 0 < changed.embedded <= 3  # unchanged chunks of the document reuse their vectors

    (corpus / "US_DoD_Cyber_Strategy_Summary_2018.pdf").write_bytes(b"%PDF-1.4 broken")
    broken = build_index(small_settings, embedder=embedder)
    assert [f["file"] for f in broken.failed] == ["US_DoD_Cyber_Strategy_Summary_2018.pdf"]
    assert broken.exit_status != 0
    gen = open_generation(small_settings.index_dir)
    assert any(c.file == "US_DoD_Cyber_Strategy_Summary_2018.pdf" for c in gen.chunks)


def test_a_changed_catalog_row_reaches_the_index_though_the_file_is_the_same(small_settings, embedder):
    """A title or symbol corrected in catalog.csv is what the next incremental build publishes."""
    from assistant.ingest.indexing import index_status

    build_index(small_settings, embedder=embedder)
    catalog = small_settings.corpus_dirs[0] / "catalog.csv"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        "UN_Charter_1945_en.md,Charter of the United Nations,", "UN_Charter_1945_en.md,Charter of the UN (1945),"),
        encoding="utf-8")
    assert index_status(small_settings)["changed_since"] == ["UN_Charter_1945_en.md"]
    changed = build_index(small_settings, embedder=embedder)
    assert changed.changed == ["UN_Charter_1945_en.md"] and changed.embedded > 0  # the title is embedded
    assert open_generation(small_settings.index_dir).documents["UN_Charter_1945_en.md"].title == "Charter of the UN (1945)"
    assert build_index(small_settings, embedder=embedder).unchanged == 4


def test_no_pickle_is_written(small_settings, embedder):
    build_index(small_settings, embedder=embedder)
    for path in Path(small_settings.index_dir).rglob("*"):
        if path.is_file():
            assert path.suffix not in (".pkl", ".pickle")
            head = path.read_bytes()[:2]
            assert not (head[:1] == b"\x80" and head[1:2] in bytes(range(2, 6))), f"{path} looks pickled"


def test_index_built_with_other_settings_is_refused(small_settings, embedder):
    build_index(small_settings, embedder=embedder)
    with pytest.raises(IndexMismatch, match="chunk settings"):
        open_generation(small_settings.index_dir, embedder.model_id, ChunkSettings(target_tokens=99).as_dict())
    with pytest.raises(IndexMismatch, match="embedding model .* other-model"):
        open_generation(small_settings.index_dir, "other-model@123", ChunkSettings().as_dict())


def test_tampered_or_missing_files_are_named(small_settings, embedder):
    build_index(small_settings, embedder=embedder)
    gen = open_generation(small_settings.index_dir)
    data = bytearray((gen.path / "faiss.index").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (gen.path / "faiss.index").write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="faiss.index.*checksum.*rebuild"):
        open_generation(small_settings.index_dir)
    (gen.path / "chunks.sqlite").unlink()
    with pytest.raises(IndexCorrupt, match="chunks.sqlite.*missing"):
        open_generation(small_settings.index_dir)
    with pytest.raises(IndexMissing, match="cda index build"):
        open_generation(small_settings.index_dir.parent / "nowhere")


def test_second_build_at_once_is_refused(small_settings):
    with build_lock(small_settings.index_dir):
        with pytest.raises(BuildLocked, match="another build"):
            with build_lock(small_settings.index_dir):
                pass


def _cda(*args, env=None, **kw):
    return subprocess.Popen([sys.executable, "-m", "assistant.app.cli", *args], env=env, cwd=PROJECT_ROOT, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [1.0, 6.0])
def test_kill_9_mid_build_leaves_previous_index_usable(small_settings, embedder, delay):
    build_index(small_settings, embedder=embedder)
    before = open_generation(small_settings.index_dir).manifest.chunk_count
    corpus = small_settings.corpus_dirs[0]
    # Enough new text that the build is still embedding at the later kill on idle cores (with two
    # short documents it once finished within 6 s, and the kill hit nothing).
    added = ("UK_Cyber_Security_Strategy_2011.txt", "Budapest_Convention_on_Cybercrime_ETS185_en.md",
             "US_National_Strategy_to_Secure_Cyberspace_2003.txt", "US_Cyberspace_Policy_Review_2009.txt")
    for name in added:
        shutil.copy(CORPUS / name, corpus)
    env = dict(os.environ, CDA_CORPUS=str(corpus), CDA_INDEX=str(small_settings.index_dir))
    proc = _cda("index", "build", "--full", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    assert proc.poll() is None, "the build ended before the kill: give it more to do"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    gen = open_generation(small_settings.index_dir)  # verifies every file's checksum
    assert gen.manifest.chunk_count == before
    import assistant

    answer = assistant.open(small_settings.index_dir).ask("What are the purposes of the United Nations?")
    assert answer.retrieved
    # The next build completes and cleans up the abandoned work.
    report = build_index(small_settings, embedder=embedder)
    assert sorted(report.added) == sorted(added)
    assert not [p for p in Path(small_settings.index_dir).iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.slow  # a real `cda index build` process: loads the model and builds
def test_cli_build_json_report_and_exit_status(small_settings):
    (small_settings.corpus_dirs[0] / "junk.txt").write_bytes(bytes(range(256)) * 10)
    env = dict(os.environ, CDA_CORPUS=str(small_settings.corpus_dirs[0]), CDA_INDEX=str(small_settings.index_dir))
    proc = _cda("index", "build", "--json", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    report = json.loads(out.strip().splitlines()[-1])
    assert {"added", "changed", "removed", "unchanged", "failed", "chunks", "seconds"} <= set(report)
    assert report["failed"] == [{"file": "junk.txt", "error": "junk.txt: binary data, not text"}]
    assert len(report["added"]) == 4
