"""Embedding: the ONNX Runtime backend gives the bundled model's own vectors, and its cache
never serves a damaged or altered model file."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.storage.embedding import Embedder

TEXTS = ["Each Party shall designate a point of contact available on a twenty-four hour, seven-day-a-week basis.",
         "All Members shall refrain in their international relations from the threat or use of force.",
         "cyber", "Pillar IV: Advance American Influence " * 40]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    """A fresh cache folder: the first Embedder exports the model into it."""
    folder = tmp_path_factory.mktemp("cda-cache")
    old = os.environ.get("CDA_CACHE")
    os.environ["CDA_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("CDA_CACHE", None)
    else:
        os.environ["CDA_CACHE"] = old


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return Embedder(load_settings().model_path, backend="torch").embed(TEXTS)


def exported_file(cache: Path, name: str = "model.onnx") -> Path:
    """The exported file; float32 and int8 vectors live in folders of their own model ids."""
    int8 = "int8" in name
    files = [f for f in cache.glob(f"onnx/*/{name}") if f.parent.name.endswith("_int8") == int8]
    assert len(files) == 1, files
    return files[0]


@pytest.mark.slow  # exports the model to ONNX
def test_onnx_backend_reproduces_the_torch_vectors(onnx_cache, torch_vectors):
    embedder = Embedder(load_settings().model_path, backend="onnx")
    vectors = embedder.embed(TEXTS)
    assert embedder.backend == "onnx" and embedder.backend_notice == ""
    assert vectors.dtype == np.float32 and vectors.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float((vectors * torch_vectors).sum(axis=1).min()) >= 0.9999
    # A query embeds exactly as the same text in a batch (order and padding do not matter).
    assert np.allclose(embedder.embed_query(TEXTS[2]), vectors[2], atol=1e-5)
    # Exported with the probe vectors it was checked against; nothing pickled.
    model = exported_file(onnx_cache)
    assert json.loads(model.with_name("probes.json").read_text())["vectors"]
    assert not list(onnx_cache.rglob("*.pkl")) and not list(onnx_cache.rglob("*.pickle"))


@pytest.mark.slow  # exports the model again, six times
@pytest.mark.parametrize("backend,name,probes", [("onnx", "model.onnx", "probes.json"),
                                                 ("onnx-int8", "model-int8.onnx", "probes-int8.json")])
@pytest.mark.parametrize("damage", ["truncated", "probes altered", "probes missing"])
def test_a_damaged_cached_model_is_exported_again_never_used(onnx_cache, torch_vectors, damage, backend, name,
                                                             probes):
    path = load_settings().model_path
    expected = Embedder(path, backend=backend).embed(TEXTS)  # also makes sure it is cached
    model = exported_file(onnx_cache, name)
    stored = model.with_name(probes)
    if damage == "truncated":
        model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    elif damage == "probes altered":  # the file no longer gives the vectors it was checked for
        data = json.loads(stored.read_text())
        data["vectors"] = (-np.asarray(data["vectors"])).tolist()
        stored.write_text(json.dumps(data))
    else:
        stored.unlink()
    embedder = Embedder(path, backend=backend)
    vectors = embedder.embed(TEXTS)
    assert embedder.backend == backend
    assert "failed its check" in embedder.backend_notice
    assert float((vectors * expected).sum(axis=1).min()) >= 0.9999
    if backend == "onnx":
        assert float((vectors * torch_vectors).sum(axis=1).min()) >= 0.9999
    # The cache is whole again: the next start uses it without a notice.
    again = Embedder(path, backend=backend)
    again.embed(TEXTS[:1])
    assert again.backend_notice == ""


def test_int8_vectors_are_never_mixed_with_float32_ones():
    path = load_settings().model_path
    assert Embedder(path, backend="onnx-int8").model_id == Embedder(path, backend="onnx").model_id + "+int8"
    assert Embedder(path, backend="torch").model_id == Embedder(path, backend="onnx").model_id


def test_an_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="'tensorflow' is not one of"):
        Embedder(load_settings().model_path, backend="tensorflow")


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    from assistant.storage.embedding import ModelNotFound

    with pytest.raises(ModelNotFound, match=str(tmp_path)):
        Embedder(str(tmp_path))


def test_a_question_asked_again_reuses_its_vector_which_no_caller_can_change(embedder):
    first = embedder.embed_query("What does Article 16 require?")
    assert embedder.embed_query("What does Article 16 require?") is first
    assert np.allclose(first, embedder.embed(["What does Article 16 require?"])[0], atol=1e-6)
    with pytest.raises(ValueError):
        first[0] = 0.0
    embedder.clear_query_cache()
    assert embedder.embed_query("What does Article 16 require?") is not first
