"""`cda bench` pieces at a tiny scale, and the index-type choice it measures (fast: no corpus build)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.devtools import bench
from assistant.storage.store import FP16_BUDGET_BYTES, build_faiss, choose_index_type, ivf_lists, ivf_nprobe

from .helpers import CORPUS


@pytest.fixture(scope="module")
def real_vectors(embedder) -> np.ndarray:
    """Real embeddings of real corpus paragraphs (the UN Charter), the seed of the synthetic vectors."""
    text = (CORPUS / "UN_Charter_1945_en.md").read_text(encoding="utf-8")
    paragraphs = [p.strip()[:300] for p in text.split("\n\n") if len(p.strip()) > 80][:80]
    assert len(paragraphs) >= 60
    return embedder.embed(paragraphs)


def test_index_type_is_exact_below_the_threshold_then_ivf_sized_by_memory():
    assert choose_index_type(3_111, 200_000) == "Flat"
    assert choose_index_type(200_000, 200_000) == "Flat"
    assert choose_index_type(1_000_000, 200_000) == "IVF1024,SQfp16"  # ~740 MiB: float16 codes fit
    assert choose_index_type(4_000_000, 200_000) == "IVF2048,SQ8"  # float16 would not fit the budget
    assert 1_000_000 * (2 * 384 + 8) < FP16_BUDGET_BYTES < 1024 * 2**20
    assert ivf_lists(1_000_000) == 1024 and ivf_nprobe(1024) == 64
    assert ivf_nprobe(64) == 16 and ivf_lists(10) == 64


def test_build_faiss_trains_on_a_sample_and_sets_nprobe(real_vectors):
    import faiss

    vectors = bench.VectorModel(real_vectors).sample(5_000, seed=3)
    index = build_faiss(vectors, "IVF64,SQfp16")
    assert index.ntotal == 5_000 and index.is_trained
    assert faiss.extract_index_ivf(index).nprobe == ivf_nprobe(64)


def test_synthetic_vectors_are_unit_length_and_near_but_not_copies_of_real_ones(real_vectors):
    model = bench.VectorModel(real_vectors)
    vectors = model.sample(2_000, seed=1)
    assert vectors.shape == (2_000, real_vectors.shape[1]) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    nearest_real = (vectors @ real_vectors.T).max(axis=1)
    assert 0.8 < float(np.median(nearest_real)) < 0.99  # close to real chunks, not duplicates
    assert np.array_equal(vectors, model.sample(2_000, seed=1))  # reproducible


def test_scale_point_reports_speed_recall_memory_at_a_tiny_scale(real_vectors):
    model = bench.VectorModel(real_vectors)
    questions = real_vectors[:20]
    # exact_max below N so the approximate index the product uses above its threshold is measured.
    point = bench.scale_point(model, 20_000, questions, exact_max=5_000, repeats=1, flat_queries=20)
    for key in ("chunks", "search_p50_ms", "search_p95_ms", "recall_at_10", "memory_mb", "build_s"):
        assert key in point
    assert point["chunks"] == 20_000 and point["index_type"].startswith("IVF")
    assert point["recall_at_10"] >= 0.9
    assert point["memory_mb"] < point["langchain_flat_memory_mb"]
    exact = bench.scale_point(model, 2_000, questions, exact_max=5_000, repeats=1, flat_queries=5)
    assert exact["index_type"] == "Flat" and exact["recall_at_10"] == 1.0


def test_targets_and_table_read_the_figures():
    result = {
        "machine": {"cpus": 2, "load_avg_1m_at_start": 1.0}, "load_avg_1m_at_end": 1.0, "repeats": 3,
        "heavy_repeats": 1, "embedding_backend": "onnx", "seconds": 1.0, "peak_rss_mb": 100.0,
        "chunks": 10, "embed_only_chunks_per_s": 10.0, "build_chunks_per_s": 9.0, "noop_rebuild_s": 0.1,
        "ask_p50_ms": 10.0, "ask_p95_ms": 20.0, "cold_start_s": 6.0, "serve_peak_rss_mb": 200.0,
        "build_peak_rss_mb": 300.0,
        "ratios": {"build_vs_embed_only": 0.9, "ask_p95_vs_langchain_search_p95": 1.6},
        "scale": [{"chunks": 1_000_000, "index_type": "IVF1024,SQfp16", "search_p50_ms": 2.0,
                   "search_p95_ms": 4.0, "recall_at_10": 0.99, "memory_mb": 741.0, "build_s": 30.0,
                   "langchain_flat_search_p95_ms": 190.0, "langchain_flat_memory_mb": 1465.0}],
    }
    result["targets"] = bench.targets(result)
    met = {name: t["met"] for name, t in result["targets"].items()}
    assert met == {"build_vs_embed_only": True, "ask_p95_vs_langchain_search_p95": False, "cold_start_s": False,
                   "scale_1m_search_p95_ms": True, "scale_1m_recall_at_10": True, "scale_1m_memory_mb": True}
    text = bench.table(result)
    assert "MISSED cold_start_s" in text and "IVF1024,SQfp16" in text
    json.dumps(result)  # the --json output is plain JSON


def test_child_process_peak_memory_is_its_own():
    out = bench.cold_start(bench._PEAK_RSS + "import json\nprint(json.dumps({'open_s': 0, 'first_answer_s': 0, "
                           "'rss_mb': _peak_mb()}))", [])
    assert 1 < out["rss_mb"] < 200 and out["wall_s"] > 0
