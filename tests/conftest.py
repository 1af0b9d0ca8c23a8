"""Shared fixtures: real corpus files, the real model, real FAISS indexes built in temp folders,
the real llama.cpp server; and the marking of the slow tier.

Plain helpers (CORPUS, copy_corpus, check_citations, ...) live in tests/helpers.py."""
from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.storage.embedding import Embedder

from .helpers import SMALL_FILES, copy_corpus

# A test that uses one of these fixtures, directly or through other fixtures, is marked `slow`
# at collection, so a new test on a full build or a real server joins the slow tier by itself.
# A test module can add fixtures of its own to the list with a module-level SLOW_FIXTURES set.
SLOW_FIXTURES = {
    "shipped_index",  # builds a full index of the shipped corpus (minutes on two cores)
    "llm_server",  # starts the real llama.cpp server
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        slow = SLOW_FIXTURES | set(getattr(getattr(item, "module", None), "SLOW_FIXTURES", ()))
        if slow & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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


def _has_llama() -> bool:
    from assistant.ask.generation import bundled_gguf_path

    return importlib.util.find_spec("llama_cpp") is not None and bool(bundled_gguf_path())


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server running the bundled SmolLM2-135M; its /v1 URL."""
    from assistant.ask.generation import bundled_gguf_path

    if not _has_llama():
        pytest.skip("optional extra not installed: pip install -e '.[gguf]'")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path_factory.mktemp("llm") / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", bundled_gguf_path(),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
                             "--model_alias", "smollm2"], stdout=subprocess.DEVNULL,
                            stderr=open(log_path, "w"))  # a file, not a pipe: the server logs a lot
    url = f"http://127.0.0.1:{port}/v1"
    # A loaded CI machine can take minutes to import the server and map the model: wait for it,
    # and fail here with the server's log rather than let every test meet a refused connection.
    deadline = time.time() + 480
    while True:
        try:
            urllib.request.urlopen(url + "/models", timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"llama.cpp server not up at {url}: " + log_path.read_text()[-3000:])
            time.sleep(0.5)
    # The server answers /models before it has run the model once: a build whose CPU code this machine
    # cannot run (AMX instructions the kernel does not allow) dies on the first completion, and every test
    # would then meet a refused connection. Run one here and fail with the cause.
    request = urllib.request.Request(url + "/chat/completions", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"model": "smollm2", "max_tokens": 2,
                                                      "messages": [{"role": "user", "content": "Hi"}]}).encode())
    try:
        urllib.request.urlopen(request, timeout=120)
    except OSError as e:
        proc.kill()
        raise RuntimeError(f"llama.cpp server at {url} failed its first completion ({e}; exit code {proc.poll()}); "
                           "if it crashed, rebuild llama-cpp-python for this CPU: CMAKE_ARGS=-DGGML_NATIVE=OFF "
                           "pip install --no-cache-dir --force-reinstall 'llama-cpp-python[server]'. Server log: "
                           + log_path.read_text()[-2000:]) from e
    yield url
    proc.terminate()
    proc.wait(timeout=20)
