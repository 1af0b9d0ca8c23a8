"""Shared fixtures: real corpus files, the real model, real FAISS indexes built in temp folders."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, load_settings
from assistant.storage.embedding import Embedder

CORPUS = PROJECT_ROOT / "corpus"
SMALL_FILES = ["UN_Charter_1945_en.md", "Paris_Call_for_Trust_and_Security_in_Cyberspace_2018.md",
               "001_29d5e90f39836b32.txt", "US_DoD_Cyber_Strategy_Summary_2018.pdf"]


def copy_corpus(dest: Path, files: list[str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader(open(CORPUS / "catalog.csv", newline="", encoding="utf-8")))
    for name in files:
        shutil.copy(CORPUS / name, dest / name)
    with open(dest / "catalog.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["file"] in files)
    return dest


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    settings = load_settings()
    return Embedder(settings.model_path, settings.embed_batch_size)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    return copy_corpus(tmp_path / "corpus", SMALL_FILES)


@pytest.fixture
def small_settings(tmp_path, small_corpus):
    return load_settings(corpus_dirs=(small_corpus,), index_dir=tmp_path / "index")


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory, embedder) -> Path:
    """The whole shipped corpus, indexed once per test session."""
    from assistant.ingest.indexing import build_index

    index_dir = tmp_path_factory.mktemp("shipped") / "index"
    report = build_index(load_settings(index_dir=index_dir), embedder=embedder)
    assert not report.failed, report.failed
    return index_dir


@pytest.fixture(scope="session")
def shipped_assistant(shipped_index):
    import assistant

    return assistant.open(shipped_index)
