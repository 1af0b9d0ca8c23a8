"""Hostile documents and build faults, through real `cda` processes.

1. A corpus of hostile files next to two good ones, built with the real `cda index build --json`:
   every hostile file is either indexed correctly or listed in `failed` by name with a reason,
   the good files are indexed and answerable, and the exit status is 2 (documented in cli.py
   and the README: the index was built but some files failed).
2. `kill -9` of a real build at precise points of its life (the embedding phase seen on its
   progress bar, the unpublished generation folder being written, fully written, renamed):
   the index left behind is always a complete, verified generation (the previous one, or the
   new one when the kill came after the atomic publish) and it answers.
3. Flipped bytes in the docstore and in the FAISS header: `cda ask` exits 1 with a message
   naming the file and the rebuild command, quickly, never hanging or crashing inside FAISS.
"""
from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import random
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, load_settings
from assistant.ingest.indexing import build_index
from assistant.storage.store import IndexCorrupt, open_generation

from .helpers import CORPUS, SMALL_FILES, check_citations, copy_corpus

# Real `cda` processes building, killed with SIGKILL, and a real web app: the slow tier throughout.
pytestmark = pytest.mark.slow

GOOD = ["UN_Charter_1945_en.md", "Paris_Call_for_Trust_and_Security_in_Cyberspace_2018.md"]
REAL_PDF = CORPUS / "US_DoD_Cyber_Strategy_Summary_2018.pdf"
MARKER = ("The Zephyrine Accord obliges its signatories to report ransomware incidents against hospitals "
          "within forty-eight hours.")
DEEP_TEXT = "Deeply nested text about confidence-building measures between states in cyberspace."


def _pdf_bytes(build) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_hostile_corpus(dest: Path, outside: Path) -> dict[str, tuple[str, str]]:
    """Write the hostile corpus; returns file -> (expected outcome, reason pattern).
    Outcomes: "failed" (listed with a reason matching the pattern), "indexed", "skipped"
    (not a document: a notice says why)."""
    from pypdf import PdfReader

    copy_corpus(dest, GOOD)
    page = PdfReader(REAL_PDF).pages[2]  # a page with a text layer (3.4k characters)
    data = REAL_PDF.read_bytes()
    files: dict[str, bytes] = {
        "truncated.pdf": data[: len(data) // 2],
        "locked.pdf": _pdf_bytes(lambda w: (w.add_page(page), w.encrypt(user_password="s3cret",
                                                                          owner_password="owner",
                                                                          algorithm="AES-256"))),
        "not_a_pdf.pdf": b"PK\x03\x04" + random.Random(1).randbytes(4000),  # a zip named .pdf
        "html_named.pdf": b"<html><body>Not a PDF at all</body></html>",
        "empty.pdf": b"",
        "junk.txt": random.Random(2).randbytes(200_000),
        "empty.txt": b"",
        "whitespace.md": b" \n\t\n   \r\n",
        "scanned.pdf": _pdf_bytes(lambda w: w.add_blank_page(612, 792)),
        "half_scanned.pdf": _pdf_bytes(lambda w: (w.add_page(page), w.add_blank_page(612, 792))),
        "latin1.txt": ("Coopération numérique entre États: la Convention de Budapest règle l'accès "
                       "transfrontière aux données. Übereinkommen über Computerkriminalität, "
                       "Größe und Maßnahmen.\n").encode("latin-1") * 20,
        "utf16.txt": ("Cyber diplomacy notes in UTF-16 with a byte order mark: états, Übereinkommen, "
                      "confidence-building measures.\n" * 20).encode("utf-16"),
        "long_line.txt": _long_line(5_000_000),
        "deep.html": ("<div>" * 5000 + f"<p>{DEEP_TEXT}</p>" + "</div>" * 5000).encode(),
        "unclosed.html": ("<html><body>" + "<span><b><i>" * 2000 + DEEP_TEXT).encode(),
        "name with spaces & ünïcödé.md": "# Ünïcödé notes\n\nA file name with spaces and accents is indexed "
                                         "like any other document about cyber norms.\n".encode(),
        "slides.pptx": b"PK\x03\x04 unsupported type",
    }
    for name, content in files.items():
        (dest / name).write_bytes(content)
    secret = outside / "secret.md"
    secret.write_text("# Secret\n\nThis file lives outside the corpus and must never be indexed or served.\n")
    (dest / "link_out.md").symlink_to(secret)
    return {
        "truncated.pdf": ("failed", r"unreadable PDF"),
        "locked.pdf": ("failed", r"password-protected"),
        "not_a_pdf.pdf": ("failed", r"not a PDF"),
        "html_named.pdf": ("failed", r"not a PDF"),
        "empty.pdf": ("failed", r"empty"),
        "junk.txt": ("failed", r"binary data"),
        "empty.txt": ("failed", r"empty"),
        "whitespace.md": ("failed", r"empty"),
        "scanned.pdf": ("failed", r"no text layer"),
        "half_scanned.pdf": ("indexed", r"without a text layer: \[2\]"),
        "latin1.txt": ("indexed", ""),
        "utf16.txt": ("indexed", ""),
        "long_line.txt": ("indexed", ""),
        "deep.html": ("indexed", ""),
        "unclosed.html": ("indexed", ""),
        "name with spaces & ünïcödé.md": ("indexed", ""),
        "slides.pptx": ("skipped", r"unsupported file type"),
        "link_out.md": ("skipped", r"outside the corpus"),
        **{g: ("indexed", "") for g in GOOD},
    }


def _long_line(size: int) -> bytes:
    """A 5 MB file on one line: repeated prose with one unique sentence in the middle."""
    filler = "Member states reaffirm that international law applies to the conduct of states in cyberspace. "
    half = filler * (size // len(filler) // 2)
    return (half + MARKER + " " + half).encode()[:size].rstrip()


def _cda(*args, env=None, **kw):
    return subprocess.Popen([sys.executable, "-m", "assistant.app.cli", *args], env=env, cwd=PROJECT_ROOT, **kw)


def _env(corpus: Path, index: Path) -> dict:
    return dict(os.environ, CDA_CORPUS=str(corpus), CDA_INDEX=str(index))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile corpus built once by a real `cda index build --json` process."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "outside").mkdir()
    expected = make_hostile_corpus(root / "corpus", root / "outside")
    env = _env(root / "corpus", root / "index")
    proc = _cda("index", "build", "--json", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=600)
    report = json.loads(out.strip().splitlines()[-1])
    return {"root": root, "env": env, "expected": expected, "report": report, "status": proc.returncode,
            "stderr": err}


def test_each_hostile_file_is_indexed_or_failed_by_name_with_a_reason(hostile):
    import re

    report, expected = hostile["report"], hostile["expected"]
    assert hostile["status"] == 2, hostile["stderr"][-2000:]  # 2: built, some files failed
    assert "Traceback" not in hostile["stderr"]
    failed = {f["file"]: f["error"] for f in report["failed"]}
    for name, (outcome, reason) in expected.items():
        if outcome == "failed":
            assert name in failed, (name, report)
            assert failed[name].startswith(name + ":") and re.search(reason, failed[name]), failed[name]
        elif outcome == "indexed":
            assert name in report["added"], (name, failed.get(name))
            if reason:
                assert any(name in n and re.search(reason, n) for n in report["notices"]), report["notices"]
        else:  # skipped: not a document, and the report says so
            assert name not in report["added"] and name not in failed
            assert any(name in n and re.search(reason, n) for n in report["notices"]), report["notices"]
    assert set(failed) == {n for n, (o, _) in expected.items() if o == "failed"}
    # Every failure is a reasoned LoadError, not a loader bug caught by the indexer's last resort.
    assert not [f for f in report["failed"] if ": unexpected " in f["error"]], report["failed"]


def test_indexed_hostile_files_hold_their_real_text(hostile):
    index = hostile["root"] / "index"
    gen = open_generation(index)  # verified: every file matches its checksum
    by_file: dict[str, list] = {}
    for c in gen.chunks:
        by_file.setdefault(c.file, []).append(c)
    assert set(by_file) == {n for n, (o, _) in hostile["expected"].items() if o == "indexed"}
    text = {f: " ".join(c.text for c in cs) for f, cs in by_file.items()}
    assert "Coopération numérique entre États" in text["latin1.txt"] and "Maßnahmen" in text["latin1.txt"]
    assert "Übereinkommen" in text["utf16.txt"] and "\x00" not in text["utf16.txt"]
    assert DEEP_TEXT in text["deep.html"] and "<div>" not in text["deep.html"]
    assert DEEP_TEXT in text["unclosed.html"]
    assert {c.page for c in by_file["half_scanned.pdf"]} == {1}
    assert MARKER in text["long_line.txt"]
    # 5 MB of one line is chunked within the model window: the distinct texts are few and small.
    long_chunks = by_file["long_line.txt"]
    assert len(long_chunks) > 1000 and max(len(c.text) for c in long_chunks) < 2000
    assert gen.faiss_index.ntotal == len(gen.chunks) == gen.manifest.chunk_count
    assert "secret" not in " ".join(c.text.lower() for c in gen.chunks if c.file == "link_out.md")
    assert not any("never be indexed" in c.text for c in gen.chunks)


def test_good_files_of_a_hostile_corpus_are_answerable(hostile):
    from assistant.ask.api import Assistant

    a = Assistant(load_settings(index_dir=hostile["root"] / "index", corpus_dirs=(hostile["root"] / "corpus",)))
    un = a.ask("What are the purposes of the United Nations?")
    assert not un.abstained and un.citations[0].file == "UN_Charter_1945_en.md"
    check_citations(un)
    paris = a.ask("Which harm to the internet's public core does the Paris Call want prevented?")
    assert not paris.abstained and paris.citations[0].file == GOOD[1]
    check_citations(paris)
    needle = a.ask("Within how many hours must Zephyrine Accord signatories report ransomware incidents?")
    assert needle.retrieved[0].file == "long_line.txt" and "forty-eight hours" in needle.retrieved[0].text


def test_rebuild_of_a_hostile_corpus_retries_failures_and_reembeds_nothing(hostile):
    proc = _cda("index", "build", "--json", env=hostile["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
    out, err = proc.communicate(timeout=600)
    again = json.loads(out.strip().splitlines()[-1])
    assert proc.returncode == 2, err[-2000:]
    assert {f["file"] for f in again["failed"]} == {f["file"] for f in hostile["report"]["failed"]}
    assert again["added"] == again["changed"] == again["removed"] == [] and again["embedded"] == 0
    assert again["unchanged"] == len(hostile["report"]["added"])


# ----------------------------------------------------------------------------- kill -9 at precise points

def _new_dirs(index: Path, prefix: str, before: set[str]) -> list[Path]:
    try:
        return [p for p in index.iterdir() if p.name.startswith(prefix) and p.name not in before]
    except FileNotFoundError:
        return []


def _reached(point: str, index: Path, before: set[str], tty_text: str) -> bool:
    if point == "embedding":
        return "embedding chunks" in tty_text
    tmp = _new_dirs(index, ".tmp-gen-", before)
    if point == "writing":  # the unpublished generation folder exists: docstore being written
        return bool(tmp)
    if point == "written":  # everything written (manifest last), fsync and rename still to come
        return any((t / "manifest.json").exists() for t in tmp)
    if point == "renamed":  # the generation folder is renamed; CURRENT is replaced right after
        return bool(_new_dirs(index, "gen-", before))
    raise ValueError(point)


@pytest.fixture(scope="module")
def small_built(tmp_path_factory, embedder):
    """The small corpus of conftest indexed once; tests get their own copy (fresh_small)."""
    root = tmp_path_factory.mktemp("small")
    settings = load_settings(corpus_dirs=(copy_corpus(root / "corpus", SMALL_FILES),), index_dir=root / "index")
    build_index(settings, embedder=embedder)
    return root


@pytest.fixture
def fresh_small(small_built, tmp_path):
    shutil.copytree(small_built / "corpus", tmp_path / "corpus")
    shutil.copytree(small_built / "index", tmp_path / "index")
    return load_settings(corpus_dirs=(tmp_path / "corpus",), index_dir=tmp_path / "index")


@pytest.mark.parametrize("point", ["embedding", "writing", "written", "renamed"])
def test_kill_9_at_each_build_phase_leaves_a_complete_index(fresh_small, embedder, point):
    """The build's stderr is a pseudo-terminal so its progress bars show which phase it is in;
    the index folder shows the write and publish phases. The kill lands as soon as the point
    is seen (polled every 2 ms)."""
    import assistant

    small_settings = fresh_small
    index = Path(small_settings.index_dir)
    old = open_generation(index)
    before_names = {p.name for p in index.iterdir()}
    corpus = small_settings.corpus_dirs[0]
    shutil.copy(CORPUS / "Budapest_Convention_Additional_Protocol_ETS189_en.md", corpus)

    master, slave = pty.openpty()
    # A terminal of 120 columns: on a 0-column pty tqdm draws nothing.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = _cda("index", "build", "--full", env=_env(corpus, index), stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen, killed_at = "", None
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            if select.select([master], [], [], 0.002)[0]:
                try:
                    seen = (seen + os.read(master, 65536).decode(errors="replace"))[-4000:]
                except OSError:
                    pass
            if _reached(point, index, before_names, seen):
                proc.send_signal(signal.SIGKILL)
                killed_at = point
                break
            if proc.poll() is not None and not _reached(point, index, before_names, seen):
                break
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        os.close(master)
    assert killed_at == point, f"the build ended before reaching {point!r} (exit {proc.returncode})"
    assert proc.returncode == -signal.SIGKILL or point == "renamed"

    gen = open_generation(index)  # verifies every file of whatever CURRENT names
    published = gen.path != old.path
    if _new_dirs(index, ".tmp-gen-", before_names) or point in ("embedding", "writing", "written"):
        assert not published, "an unfinished generation was published"
    if published:  # killed after the atomic publish: the new generation is complete
        assert "Budapest_Convention_Additional_Protocol_ETS189_en.md" in gen.manifest.documents
        assert gen.faiss_index.ntotal == gen.manifest.chunk_count > old.manifest.chunk_count
    else:
        assert gen.manifest.chunk_count == old.manifest.chunk_count
    print(f"kill -9 at {point}: {'new generation published' if published else 'previous generation kept'}")
    answer = assistant.open(index).ask("What are the purposes of the United Nations?")
    assert answer.citations and answer.citations[0].file == "UN_Charter_1945_en.md"

    # The lock died with the process; the next build completes and clears the abandoned work.
    report = build_index(small_settings, embedder=embedder)
    assert report.added == ([] if published else ["Budapest_Convention_Additional_Protocol_ETS189_en.md"])
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]
    final = open_generation(index)
    assert "Budapest_Convention_Additional_Protocol_ETS189_en.md" in final.manifest.documents


# ----------------------------------------------------------------------------- damaged index

def _flip(path: Path, offset: int, mask: int = 0xFF) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def _cda_ask(settings, timeout=120):
    env = _env(settings.corpus_dirs[0], settings.index_dir)
    # A memory cap: were the damaged FAISS header ever parsed, it would ask for a huge allocation.
    proc = subprocess.Popen(["bash", "-c", 'ulimit -v 6000000; exec "$@"', "cda", sys.executable, "-m",
                             "assistant.app.cli", "ask", "What are the purposes of the United Nations?"],
                            env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.time()
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err, time.time() - started


@pytest.mark.parametrize("target,where,cli", [("chunks.sqlite", "middle", True), ("chunks.sqlite", "header", False),
                                              ("faiss.index", "header", True), ("vectors.npy", "header", True),
                                              ("bm25/params.index.json", "middle", False)])
def test_flipped_bytes_are_named_with_a_rebuild_hint(fresh_small, target, where, cli):
    gen = open_generation(fresh_small.index_dir)
    path = gen.path / target
    # faiss.index byte 40 is the size of the stored codes: parsed, it makes FAISS try to
    # allocate about 2^56 bytes (hangs or std::bad_alloc) - the checksum must stop it first.
    offset = {"middle": path.stat().st_size // 2, "header": 40 if target == "faiss.index" else 20}[where]
    _flip(path, offset)
    name = target.split("/")[-1]
    with pytest.raises(IndexCorrupt, match=f"{name}.*checksum.*rebuild"):
        open_generation(fresh_small.index_dir)
    if cli:
        status, out, err, seconds = _cda_ask(fresh_small)
        assert status == 1, (out, err)
        assert name in err and "cda index build" in err and "Traceback" not in err
        assert seconds < 60


@pytest.mark.parametrize("mask", [
    0x01,  # ASCII stays ASCII: JSON syntax, key names, values and checksums damaged
    0xFF,  # a non-UTF-8 byte
])
def test_manifest_flips_are_refused_by_name_or_harmless(fresh_small, mask):
    """Any byte of the manifest flipped: refused with a problem naming the manifest or the
    rebuild, or (a flip in a value nothing reads back) still a complete, consistent index."""
    from assistant.storage.store import IndexProblem

    gen = open_generation(fresh_small.index_dir)
    manifest = gen.path / "manifest.json"
    original = manifest.read_bytes()
    outcomes = {"refused": 0, "harmless": 0}
    for offset in sorted(random.Random(3).sample(range(len(original)), 60)):
        data = bytearray(original)
        data[offset] ^= mask
        manifest.write_bytes(bytes(data))
        try:
            g = open_generation(fresh_small.index_dir)
            assert g.faiss_index.ntotal == g.manifest.chunk_count == len(g.chunks)
            outcomes["harmless"] += 1
        except IndexProblem as exc:
            assert "manifest" in str(exc) or "rebuild" in str(exc), exc
            outcomes["refused"] += 1
    manifest.write_bytes(original)
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == 60


def test_build_recovers_from_a_garbled_manifest(fresh_small):
    """The remedy every message suggests must work whatever the damage: a non-UTF-8 byte in
    the manifest makes `cda ask` exit 1 (no traceback) and `cda index build` replace the index."""
    gen = open_generation(fresh_small.index_dir)
    _flip(gen.path / "manifest.json", 30)
    status, out, err, _ = _cda_ask(fresh_small)
    assert status == 1 and "Traceback" not in err, err
    env = _env(fresh_small.corpus_dirs[0], fresh_small.index_dir)
    proc = _cda("index", "build", "--json", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert any("previous index not reused" in n for n in report["notices"]), report["notices"]
    assert len(report["added"]) == 4 and not report["failed"]
    assert open_generation(fresh_small.index_dir).manifest.chunk_count == report["chunks"]


# ----------------------------------------------------------------------------- rebuild while the app serves

def test_rebuild_while_the_web_app_serves_keeps_it_answering(fresh_small, tmp_path):
    """The nightly rebuild publishes a new generation and deletes the one the running app
    opened: the app must keep answering (pages it never read included) and serve the new index."""
    from assistant.devtools.loadtest import client, start_server, stop_server, wait_until_served

    corpus = fresh_small.corpus_dirs[0]
    proc, url = start_server(fresh_small.index_dir, tmp_path / "server.log", tmp_path / "fb.jsonl",
                             corpus_dirs=[corpus])
    try:
        wait_until_served(proc, url)
        c = client(url)

        def ask(question):
            chat, sources, _ = c.predict(question, [], api_name="/respond")
            return " ".join(p.get("text", "") for p in chat[-1]["content"]), sources

        first, _ = ask("What are the purposes of the United Nations?")
        assert "[1]" in first
        shutil.copy(CORPUS / "Budapest_Convention_Additional_Protocol_ETS189_en.md", corpus)
        build = _cda("index", "build", "--json", env=_env(corpus, fresh_small.index_dir),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = build.communicate(timeout=600)
        assert build.returncode == 0, err[-2000:]
        old = [p for p in Path(fresh_small.index_dir).iterdir() if p.name.startswith("gen-")]
        assert len(old) == 2  # the new one, and the one the app had opened, kept for one build
        for question in ("Which harm to the internet's public core does the Paris Call want prevented?",
                         "Which operations does the 2018 DoD strategy mean to halt by defending forward?",
                         "What does the UN Charter say about the General Assembly?"):
            answer, _ = ask(question)
            assert "could not answer" not in answer and "[1]" in answer, (question, answer)
        answer, sources = ask("Which acts of a racist and xenophobic nature does the Additional Protocol "
                              "ask Parties to criminalise?")
        assert "Budapest_Convention_Additional_Protocol_ETS189_en.md" in sources, answer
    finally:
        stop_server(proc)
