"""`cda bench`: speed, memory and scale figures, with the plain LangChain pipeline measured
in the same run for ratios. Figures are medians over repeated runs (the machine is shared;
medians and ratios measured side by side are what to compare, not single runs).

What is measured (all on the shipped corpus unless said otherwise):
  embed_only_chunks_per_s  the bare model over every chunk's embedding text (no loading,
                           chunking or writing), interleaved run by run with the full build
  build_chunks_per_s       `build_index(full=True)` into a fresh temp index folder
  noop_rebuild_s           an incremental build when nothing changed
  ask_p50_ms / ask_p95_ms  warm `Assistant.ask` (default extractive answerer) over the gold questions
  compare_4_documents_p50_ms / _p95_ms  warm `Assistant.compare` of four strategies on five topics
  cold_start_s             a new Python process: import, open the index, first answer
  peak_rss_mb              ru_maxrss of the serving process (cold start) and of the build
  scale                    for each N: realistic vectors derived from the real chunk vectors,
                           indexed through the product's own `choose_index_type` / `build_faiss`,
                           searched one query at a time; recall@10 against exact search
  langchain                the LangChain tutorial pipeline (assistant/devtools/baseline.py): build
                           throughput, `similarity_search` latency, cold start, and for each N
                           its exact FAISS index (IndexFlatL2, what LangChain's FAISS builds)
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..config import PROJECT_ROOT, Settings, load_settings

GOLD = PROJECT_ROOT / "evals" / "gold.jsonl"
HELDOUT = PROJECT_ROOT / "evals" / "heldout.jsonl"
DEFAULT_SCALES = (100_000,)
SYNTHETIC_QUERIES = 200
RECALL_K = 10
# Heavy runs (embedding the whole corpus) take one to four minutes each on 2 cores: at most
# MAX_HEAVY_REPEATS rounds, and a further round only while the rounds so far took less than
# HEAVY_BUDGET_S (so `cda bench --scale 1000000` stays within 20 minutes on a busy machine).
MAX_HEAVY_REPEATS = 3
HEAVY_BUDGET_S = 300.0
# LangChain's query embedding runs in torch: slow under load, so fewer passes of it.
MAX_LANGCHAIN_REPEATS = 3

TARGETS = {
    "build_vs_embed_only": (">=", 0.80),
    "ask_p95_vs_langchain_search_p95": ("<=", 1.5),
    "cold_start_s": ("<=", 5.0),
    "scale_1m_search_p95_ms": ("<=", 50.0),
    "scale_1m_recall_at_10": (">=", 0.95),
    "scale_1m_memory_mb": ("<=", 1024.0),
}


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _pct(values, p: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), p)) if len(values) else float("nan")


def _median(values) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# A child's ru_maxrss starts from its parent's (kept across fork and exec on Linux), so child
# processes report VmHWM, the peak of their own address space.
_PEAK_RSS = """
def _peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def _questions() -> list[str]:
    out = []
    for path in (GOLD, HELDOUT):
        if path.exists():
            out += [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return out


def gold_questions() -> list[str]:
    return [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line.strip()]


# --------------------------------------------------------------------------- realistic vectors

class VectorModel:
    """Generates unit vectors that look like the real chunk embeddings: a point on the segment
    between a real chunk vector and one of its 10 nearest real neighbours (t in [0, 0.5)), plus
    Gaussian noise shaped by the real vectors' covariance (so it lies in the directions text
    embeddings actually vary in, unlike isotropic noise), renormalised."""

    def __init__(self, real: np.ndarray, noise: float = 0.5, neighbours: int = 10, seed: int = 0):
        rng = np.random.default_rng(seed)
        real = np.asarray(real, dtype=np.float32)
        if len(real) > 20_000:
            real = real[np.sort(rng.choice(len(real), 20_000, replace=False))]
        self.real = np.ascontiguousarray(real)
        k = min(neighbours, len(real) - 1)
        self.nn = np.empty((len(real), max(k, 1)), dtype=np.int64)
        for a in range(0, len(real), 2048):
            sims = self.real[a:a + 2048] @ self.real.T
            sims[np.arange(len(sims)), np.arange(a, a + len(sims))] = -np.inf
            self.nn[a:a + 2048] = np.argpartition(-sims, k, axis=1)[:, :max(k, 1)] if k else a
        centred = self.real - self.real.mean(axis=0)
        w, v = np.linalg.eigh(np.cov(centred.T))
        self.shape = np.ascontiguousarray((v * np.sqrt(np.clip(w, 0, None))).T.astype(np.float32))
        self.noise = noise

    def sample(self, n: int, seed: int, block: int = 100_000) -> np.ndarray:
        rng = np.random.default_rng(seed)
        dim = self.real.shape[1]
        out = np.empty((n, dim), dtype=np.float32)
        for a in range(0, n, block):
            m = min(block, n - a)
            i = rng.integers(0, len(self.real), m)
            j = self.nn[i, rng.integers(0, self.nn.shape[1], m)]
            t = rng.uniform(0.0, 0.5, m).astype(np.float32)[:, None]
            v = (1 - t) * self.real[i] + t * self.real[j]
            v += self.noise * (rng.standard_normal((m, dim), dtype=np.float32) @ self.shape)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            out[a:a + m] = v
        return out


def exact_topk(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    for a in range(0, len(vectors), 100_000):
        flat.add(np.ascontiguousarray(vectors[a:a + 100_000]))
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(max(1, os.cpu_count() or 1))
    try:
        _, ids = flat.search(np.ascontiguousarray(queries), k)  # batched (BLAS), exact
    finally:
        faiss.omp_set_num_threads(threads)
    return ids


def _search_latencies(index, queries: np.ndarray, k: int, repeats: int) -> tuple[list[float], list[float], np.ndarray]:
    """One query at a time (as the assistant searches); per-pass p50/p95 in ms, and the last ids."""
    p50s, p95s = [], []
    ids = np.empty((len(queries), k), dtype=np.int64)
    for _ in range(max(1, repeats)):
        lat = []
        for qi in range(len(queries)):
            t = time.perf_counter()
            _, found = index.search(queries[qi:qi + 1], k)
            lat.append((time.perf_counter() - t) * 1000)
            ids[qi] = found[0]
        p50s.append(_pct(lat, 50))
        p95s.append(_pct(lat, 95))
    return p50s, p95s, ids


def _index_bytes(index) -> int:
    import faiss

    with tempfile.NamedTemporaryFile(suffix=".faiss") as fh:
        faiss.write_index(index, fh.name)
        return os.path.getsize(fh.name)


def scale_point(model: VectorModel, n: int, question_vectors: np.ndarray, exact_max: int, repeats: int = 3,
                k: int = RECALL_K, flat_queries: int = 50, quiet: bool = True) -> dict:
    """Index n realistic vectors the way the product does and measure search speed, recall
    against exact search, memory and build time; plus LangChain's exact IndexFlatL2 search."""
    import faiss

    from ..storage import build_faiss, choose_index_type

    started = time.perf_counter()
    vectors = model.sample(n, seed=1000 + n)
    queries = np.ascontiguousarray(np.vstack([question_vectors, model.sample(SYNTHETIC_QUERIES, seed=7)]),
                                   dtype=np.float32)
    truth = exact_topk(vectors, queries, k)
    index_type = choose_index_type(n, exact_max, vectors.shape[1])
    t = time.perf_counter()
    index = build_faiss(vectors, index_type)
    build_s = time.perf_counter() - t
    memory_mb = _index_bytes(index) / 2**20
    p50s, p95s, found = _search_latencies(index, queries, k, repeats)
    recall = float(np.mean([len(set(f.tolist()) & set(g.tolist())) / k for f, g in zip(found, truth)]))
    nq = len(question_vectors)
    recall_questions = float(np.mean([len(set(f.tolist()) & set(g.tolist())) / k
                                      for f, g in zip(found[:nq], truth[:nq])])) if nq else float("nan")
    nprobe = faiss.extract_index_ivf(index).nprobe if index_type.startswith("IVF") else None
    del index
    # LangChain's FAISS vector store is an exact IndexFlatL2 of float32 vectors (searched here
    # with the same single-thread setting as the assistant's index).
    flat = faiss.IndexFlatL2(vectors.shape[1])
    for a in range(0, n, 100_000):
        flat.add(np.ascontiguousarray(vectors[a:a + 100_000]))
    flat_mb = flat.ntotal * flat.d * 4 / 2**20
    fp50, fp95, _ = _search_latencies(flat, queries[:flat_queries], k, 1)
    del flat, vectors
    point = {
        "chunks": n, "index_type": index_type, "nprobe": nprobe,
        "search_p50_ms": round(_median(p50s), 3), "search_p95_ms": round(_median(p95s), 3),
        "recall_at_10": round(recall, 4), "recall_at_10_questions": round(recall_questions, 4),
        "memory_mb": round(memory_mb, 1), "build_s": round(build_s, 2), "queries": len(queries),
        "langchain_flat_search_p50_ms": round(fp50[0], 2), "langchain_flat_search_p95_ms": round(fp95[0], 2),
        "langchain_flat_memory_mb": round(flat_mb, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    _log(f"scale {n}: {point}", quiet)
    return point


# --------------------------------------------------------------------------- corpus figures

def _chunk_texts(index_dir: Path) -> list[str]:
    from ..ingest import embedding_text
    from ..storage import open_generation

    gen = open_generation(index_dir, verify=False)
    docs = gen.documents
    return [embedding_text(docs[c.file].title if c.file in docs else "", c.section, c.text) for c in gen.chunks]


def build_and_embed(settings: Settings, embedder, workdir: Path, heavy: int, repeats: int, quiet: bool) -> dict:
    """Full builds into fresh folders interleaved with bare-model runs over the same chunk texts
    (so both see the same load on a shared machine), then no-op rebuilds."""
    from ..ingest import build_index

    builds, embeds, pairs = [], [], []
    embedder.embed(["load the model before timing"])
    report = None
    texts: list[str] = []
    index_dir = workdir / "index-0"
    heavy_started = time.perf_counter()
    for r in range(heavy):
        index_dir = workdir / f"index-{r}"
        t = time.perf_counter()
        report = build_index(load_settings(corpus_dirs=settings.corpus_dirs, index_dir=index_dir,
                                           model_path=settings.model_path, embed_batch_size=settings.embed_batch_size),
                             full=True, embedder=embedder)
        build_s = time.perf_counter() - t
        builds.append(report.chunks / build_s)
        if not texts:
            texts = _chunk_texts(index_dir)
        t = time.perf_counter()
        embedder.embed(texts)
        embed_s = time.perf_counter() - t
        embeds.append(len(texts) / embed_s)
        pairs.append(builds[-1] / embeds[-1])
        _log(f"build {r + 1}/{heavy}: {report.chunks} chunks in {build_s:.1f}s ({builds[-1]:.1f}/s); "
             f"bare model {len(texts)} texts in {embed_s:.1f}s ({embeds[-1]:.1f}/s)", quiet)
        if r == heavy - 1 or time.perf_counter() - heavy_started > HEAVY_BUDGET_S:
            break  # keep this index for the figures below
        import shutil

        shutil.rmtree(index_dir, ignore_errors=True)
    build_rss = _rss_mb()
    noop = []
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        again = build_index(load_settings(corpus_dirs=settings.corpus_dirs, index_dir=index_dir,
                                          model_path=settings.model_path), embedder=embedder)
        noop.append(time.perf_counter() - t)
        if again.embedded:
            raise RuntimeError(f"a no-op rebuild embedded {again.embedded} chunks")
    _log(f"no-op rebuild: median {_median(noop):.2f}s", quiet)
    return {
        "index_dir": index_dir, "texts": texts,
        "documents": len(report.added), "chunks": report.chunks,
        "embedded_distinct": report.embedded, "failed": len(report.failed),
        "chars_per_chunk": round(sum(map(len, texts)) / max(1, len(texts)), 1),
        "embed_only_chunks_per_s": _median(embeds), "build_chunks_per_s": _median(builds),
        "build_vs_embed_only_paired": _median(pairs), "noop_rebuild_s": _median(noop),
        "build_runs": len(builds), "build_peak_rss_mb": build_rss,
    }


_COLD_ASSISTANT = _PEAK_RSS + r"""
import json, sys, time
t0 = time.perf_counter()
import assistant
a = assistant.open(sys.argv[1])
t1 = time.perf_counter()
answer = a.ask(sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "first_answer_s": t2 - t1, "abstained": answer.abstained,
                  "backend": a.embedder.backend, "rss_mb": _peak_mb()}), flush=True)
"""

_COLD_LANGCHAIN = _PEAK_RSS + r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from langchain_community.vectorstores import FAISS
from langchain_huggingface import HuggingFaceEmbeddings
folder, model, question = sys.argv[1:4]
emb = HuggingFaceEmbeddings(model_name=model, model_kwargs={"device": "cpu", "local_files_only": True})
data = json.load(open(folder + "/docs.json"))
vectors = np.load(folder + "/vectors.npy", allow_pickle=False)
store = FAISS.from_embeddings(list(zip(data["texts"], vectors.tolist())), emb, metadatas=data["metadatas"])
t1 = time.perf_counter()
store.similarity_search(question, k=5)
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "first_answer_s": t2 - t1, "rss_mb": _peak_mb()}), flush=True)
"""


def cold_start(script: str, argv: list[str]) -> dict:
    """Wall time from spawning a new Python process to its first answer."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", script, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(PROJECT_ROOT))
    line = proc.stdout.readline()
    wall = time.perf_counter() - t
    _, err = proc.communicate()
    if proc.returncode != 0 or not line.strip():
        raise RuntimeError(f"cold-start process failed: {err.strip()[-2000:]}")
    data = json.loads(line)
    data["wall_s"] = wall
    return data


def _langchain_build(settings: Settings, workdir: Path, quiet: bool):
    """The tutorial pipeline from scratch (load, 1000-char splits, embed, FAISS) - timed once:
    it embeds the whole corpus again with LangChain's default batching."""
    from .baseline import LangChainBaseline

    t = time.perf_counter()
    baseline = LangChainBaseline(settings, cache_dir=workdir / "langchain-cache")
    seconds = time.perf_counter() - t
    texts = [c.page_content for c in baseline.chunks]
    folder = workdir / "langchain-store"
    folder.mkdir()
    np.save(folder / "vectors.npy", np.load(next((workdir / "langchain-cache").glob("vectors-*.npy")),
                                            allow_pickle=False), allow_pickle=False)
    (folder / "docs.json").write_text(json.dumps({"texts": texts, "metadatas": [c.metadata for c in baseline.chunks]}))
    _log(f"langchain build: {len(texts)} chunks in {seconds:.1f}s", quiet)
    return baseline, {"chunks": len(texts), "build_s": seconds, "build_chunks_per_s": len(texts) / seconds,
                      "chars_per_chunk": round(sum(map(len, texts)) / max(1, len(texts)), 1),
                      "build_chars_per_s": sum(map(len, texts)) / seconds, "store": folder}


def _same_runtime_store(baseline, embedder):
    """LangChain's FAISS store over the tutorial's chunks, queried through the assistant's own
    embedder (same model, same runtime): the bare vector search with no pipeline around it."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.embeddings import Embeddings

    class SameEmbedder(Embeddings):
        def embed_documents(self, texts):
            return embedder.embed(texts).tolist()

        def embed_query(self, text):
            return embedder.embed_query(text).tolist()

    store = baseline.store
    return FAISS(SameEmbedder(), store.index, store.docstore, store.index_to_docstore_id)


def _pass(fn, questions: list[str]) -> tuple[float, float]:
    lat = []
    for q in questions:
        t = time.perf_counter()
        fn(q)
        lat.append((time.perf_counter() - t) * 1000)
    return _pct(lat, 50), _pct(lat, 95)


def ask_latency(assistant, baseline, questions: list[str], repeats: int, quiet: bool) -> dict:
    """Warm latencies, one question at a time; the runs alternate pass by pass so they share
    whatever else the machine is doing. Measured: the assistant's ask; the tutorial's
    similarity_search as it stands (torch query embedding); the same LangChain FAISS search
    with the assistant's embedder (isolates what the pipeline adds to a bare vector search)."""
    same = _same_runtime_store(baseline, assistant.embedder)
    forget = assistant.embedder.clear_query_cache  # each pass asks as a user's first time
    runs = {"ask": lambda q: (forget(), assistant.ask(q)),
            "langchain": lambda q: baseline.store.similarity_search(q, k=5),
            "langchain_same_runtime": lambda q: (forget(), same.similarity_search(q, k=5))}
    for fn in runs.values():
        fn(questions[0])
    figures = {name: ([], []) for name in runs}
    for r in range(max(1, repeats)):
        for name, fn in runs.items():
            if name == "langchain" and r >= MAX_LANGCHAIN_REPEATS:
                continue
            p50, p95 = _pass(fn, questions)
            figures[name][0].append(p50)
            figures[name][1].append(p95)
        _log(f"latency pass {r + 1}: " + "; ".join(f"{name} p50 {v[0][-1]:.1f} p95 {v[1][-1]:.1f} ms"
                                                   for name, v in figures.items() if len(v[0]) == r + 1), quiet)
    out = {}
    for name, (p50s, p95s) in figures.items():
        out[f"{name}_p50_ms"] = _median(p50s)
        out[f"{name}_p95_ms"] = _median(p95s)
        out[f"{name}_passes"] = len(p50s)
    return out


# --------------------------------------------------------------------------- the run

def comparison_latency(assistant, repeats: int) -> dict:
    """p50/p95 of a position table over 4 documents (the first four strategies of the catalog) on a
    few topics, warm; ms."""
    files = [f for f, d in assistant.documents.items() if d.type == "strategy"][:4]
    if len(files) < 4:
        files = list(assistant.documents)[:4]
    topics = ["deterrence of malicious cyber activity", "protecting critical infrastructure", "international cooperation",
              "workforce and skills", "supply chain security"]
    assistant.compare(files, topics[0])
    lat = []
    for _ in range(repeats):
        for topic in topics:
            assistant.embedder.clear_query_cache()
            t = time.perf_counter()
            assistant.compare(files, topic)
            lat.append((time.perf_counter() - t) * 1000)
    return {"compare_4_documents_p50_ms": round(_pct(lat, 50), 2), "compare_4_documents_p95_ms": round(_pct(lat, 95), 2)}


def _check(value, op: str, bound: float) -> dict:
    met = value is not None and not (isinstance(value, float) and np.isnan(value)) and (
        value >= bound if op == ">=" else value <= bound)
    return {"value": None if value is None else round(float(value), 3), "target": f"{op} {bound}", "met": bool(met)}


def run(settings: Settings | None = None, scales=DEFAULT_SCALES, repeats: int = 5, quiet: bool = True,
        corpus: bool = True, langchain: bool = True) -> dict:
    """All figures as one dict. corpus=False skips the corpus build/ask/cold-start figures and
    measures scale on the vectors of the existing index (tests use that at a tiny scale)."""
    import faiss

    from ..storage import Embedder

    started = time.perf_counter()
    settings = settings or load_settings()
    repeats = max(1, int(repeats))
    heavy = max(1, min(repeats, MAX_HEAVY_REPEATS))
    load_before = os.getloadavg()[0]
    embedder = Embedder(settings.model_path, settings.embed_batch_size)
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "load_avg_1m_at_start": round(load_before, 2),
                    "python": sys.version.split()[0]},
        "model": embedder.model_id, "embedding_backend": embedder.backend, "repeats": repeats,
    }
    ratios: dict = {}
    with tempfile.TemporaryDirectory(prefix="cda-bench-") as tmp:
        workdir = Path(tmp)
        if corpus:
            _log(f"full builds and bare-model runs ({heavy} each, interleaved)", quiet)
            built = build_and_embed(settings, embedder, workdir, heavy, repeats, quiet)
            index_dir = built.pop("index_dir")
            texts = built.pop("texts")
            result.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in built.items()})
            result["heavy_repeats"] = built["build_runs"]
            ratios["build_vs_embed_only"] = built["build_chunks_per_s"] / built["embed_only_chunks_per_s"]
            import assistant as api

            helper = api.open(index_dir, corpus_dirs=settings.corpus_dirs, model_path=settings.model_path)
            lc = None
            if langchain:
                baseline, lc = _langchain_build(settings, workdir, quiet)
            questions = gold_questions()
            if langchain:
                lat = ask_latency(helper, baseline, questions, repeats, quiet)
                result.update({"ask_p50_ms": round(lat["ask_p50_ms"], 2), "ask_p95_ms": round(lat["ask_p95_ms"], 2)})
                lc.update(search_p50_ms=lat["langchain_p50_ms"], search_p95_ms=lat["langchain_p95_ms"],
                          search_passes=lat["langchain_passes"],
                          same_runtime_search_p50_ms=lat["langchain_same_runtime_p50_ms"],
                          same_runtime_search_p95_ms=lat["langchain_same_runtime_p95_ms"])
                ratios["ask_p95_vs_langchain_search_p95"] = lat["ask_p95_ms"] / lat["langchain_p95_ms"]
                ratios["ask_p95_vs_same_runtime_search_p95"] = (lat["ask_p95_ms"]
                                                               / lat["langchain_same_runtime_p95_ms"])
                del baseline
            else:
                helper.ask(questions[0])
                lat = []
                for _ in range(repeats):
                    for q in questions:
                        t = time.perf_counter()
                        helper.ask(q)
                        lat.append((time.perf_counter() - t) * 1000)
                result.update({"ask_p50_ms": round(_pct(lat, 50), 2), "ask_p95_ms": round(_pct(lat, 95), 2)})
            result.update(comparison_latency(helper, repeats))
            del helper
            _log("cold starts", quiet)
            colds, lc_colds = [], []
            for r in range(repeats):
                colds.append(cold_start(_COLD_ASSISTANT, [str(index_dir), questions[r % len(questions)]]))
                if lc and r < MAX_LANGCHAIN_REPEATS:
                    lc_colds.append(cold_start(_COLD_LANGCHAIN, [str(lc["store"]), settings.model_path,
                                                                 questions[r % len(questions)]]))
            result["cold_start_s"] = round(_median([c["wall_s"] for c in colds]), 3)
            result["cold_start_parts_s"] = {"import_and_open": round(_median([c["open_s"] for c in colds]), 3),
                                            "first_answer": round(_median([c["first_answer_s"] for c in colds]), 3)}
            result["serve_peak_rss_mb"] = round(max(c["rss_mb"] for c in colds), 1)
            result["embedding_backend"] = colds[0].get("backend")
            if lc:
                lc["cold_start_s"] = _median([c["wall_s"] for c in lc_colds])
                lc["serve_peak_rss_mb"] = max(c["rss_mb"] for c in lc_colds)
                lc.pop("store")
                ratios["build_chunks_per_s_vs_langchain"] = result["build_chunks_per_s"] / lc["build_chunks_per_s"]
                ratios["build_chars_per_s_vs_langchain"] = (
                    result["build_chunks_per_s"] * result["chars_per_chunk"] / lc["build_chars_per_s"])
                ratios["cold_start_vs_langchain"] = result["cold_start_s"] / lc["cold_start_s"]
                ratios["serve_rss_vs_langchain"] = result["serve_peak_rss_mb"] / lc["serve_peak_rss_mb"]
                result["langchain"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in lc.items()}
            from ..storage import open_generation

            real_vectors = np.asarray(open_generation(index_dir, verify=False).vectors)
        else:
            from ..storage import open_generation

            real_vectors = np.asarray(open_generation(settings.index_dir, verify=False).vectors)
        if scales:
            _log(f"scale points {list(scales)}", quiet)
            model = VectorModel(real_vectors)
            question_vectors = embedder.embed(_questions())
            result["scale"] = [scale_point(model, int(n), question_vectors, settings.exact_search_max_chunks,
                                           repeats=min(repeats, 3), quiet=quiet) for n in scales]
            for point in result["scale"]:
                if point["langchain_flat_search_p95_ms"]:
                    point["search_p95_vs_langchain_flat"] = round(
                        point["search_p95_ms"] / point["langchain_flat_search_p95_ms"], 4)
        else:
            result["scale"] = []
    result["ratios"] = {k: round(v, 3) for k, v in ratios.items()}
    result["peak_rss_mb"] = round(_rss_mb(), 1)
    result["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["targets"] = targets(result)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def targets(result: dict) -> dict:
    out = {}
    ratios = result.get("ratios", {})
    for name in ("build_vs_embed_only", "ask_p95_vs_langchain_search_p95"):
        if name in ratios:
            out[name] = _check(ratios[name], *TARGETS[name])
    if "cold_start_s" in result:
        out["cold_start_s"] = _check(result["cold_start_s"], *TARGETS["cold_start_s"])
    for point in result.get("scale", []):
        if point["chunks"] == 1_000_000:
            out["scale_1m_search_p95_ms"] = _check(point["search_p95_ms"], *TARGETS["scale_1m_search_p95_ms"])
            out["scale_1m_recall_at_10"] = _check(point["recall_at_10"], *TARGETS["scale_1m_recall_at_10"])
            out["scale_1m_memory_mb"] = _check(point["memory_mb"], *TARGETS["scale_1m_memory_mb"])
    return out


# --------------------------------------------------------------------------- output

def table(result: dict) -> str:
    lines = [f"cda bench - {result['machine']['cpus']} CPUs, load {result['machine']['load_avg_1m_at_start']} "
             f"-> {result['load_avg_1m_at_end']}, medians of {result['repeats']} runs "
             f"({result.get('heavy_repeats', '-')} for whole-corpus embedding), embedding backend "
             f"{result['embedding_backend']}, {result['seconds']} s", ""]
    lc = result.get("langchain", {})

    def row(name, ours, theirs="", ratio=""):
        lines.append(f"{name:<32}{ours:>14}{theirs:>16}{ratio:>10}")

    if "build_chunks_per_s" in result:
        row("figure", "assistant", "langchain", "ratio")
        row("chunks", str(result["chunks"]), str(lc.get("chunks", "")))
        row("embed only (chunks/s)", f"{result['embed_only_chunks_per_s']:.1f}")
        row("full build (chunks/s)", f"{result['build_chunks_per_s']:.1f}",
            f"{lc['build_chunks_per_s']:.1f}" if lc else "",
            f"{result['ratios'].get('build_chunks_per_s_vs_langchain', '')}")
        row("build / embed only", f"{result['ratios']['build_vs_embed_only']:.2f}")
        row("no-op rebuild (s)", f"{result['noop_rebuild_s']:.2f}")
        row("ask / search p50 (ms)", f"{result['ask_p50_ms']:.1f}", f"{lc['search_p50_ms']:.1f}" if lc else "")
        row("ask / search p95 (ms)", f"{result['ask_p95_ms']:.1f}", f"{lc['search_p95_ms']:.1f}" if lc else "",
            f"{result['ratios'].get('ask_p95_vs_langchain_search_p95', '')}")
        if lc.get("same_runtime_search_p95_ms") is not None:
            row("  search, assistant's embedder", "", f"{lc['same_runtime_search_p95_ms']:.1f}",
                f"{result['ratios'].get('ask_p95_vs_same_runtime_search_p95', '')}")
        row("cold start (s)", f"{result['cold_start_s']:.2f}", f"{lc['cold_start_s']:.2f}" if lc else "",
            f"{result['ratios'].get('cold_start_vs_langchain', '')}")
        row("serving peak RSS (MB)", f"{result['serve_peak_rss_mb']:.0f}",
            f"{lc['serve_peak_rss_mb']:.0f}" if lc else "", f"{result['ratios'].get('serve_rss_vs_langchain', '')}")
        row("build peak RSS (MB)", f"{result['build_peak_rss_mb']:.0f}")
    if result.get("scale"):
        lines += ["", f"{'chunks':>10} {'index':<16}{'p50 ms':>8}{'p95 ms':>8}{'recall@10':>10}{'MB':>8}"
                      f"{'build s':>9}{'LC p95 ms':>11}{'LC MB':>8}"]
        for p in result["scale"]:
            lines.append(f"{p['chunks']:>10} {p['index_type']:<16}{p['search_p50_ms']:>8.2f}{p['search_p95_ms']:>8.2f}"
                         f"{p['recall_at_10']:>10.3f}{p['memory_mb']:>8.0f}{p['build_s']:>9.1f}"
                         f"{p['langchain_flat_search_p95_ms']:>11.1f}{p['langchain_flat_memory_mb']:>8.0f}")
    if result.get("targets"):
        lines += ["", "targets:"]
        for name, t in result["targets"].items():
            lines.append(f"  {'met   ' if t['met'] else 'MISSED'} {name} = {t['value']} (target {t['target']})")
    lines.append(f"\npeak RSS of this benchmark process: {result['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)


def main(args) -> int:
    if getattr(args, "cluster", False):
        from .cluster import bench as cluster_bench

        result = cluster_bench(load_settings().index_dir, users=args.users, seconds=args.seconds,
                               repeats=min(args.repeats, 3), log=lambda m: print(m, file=sys.stderr, flush=True))
        print(json.dumps(result, sort_keys=True) if args.json else "\n".join(
            f"{k}: {v}" for k, v in result.items() if k != "runs"))
        return 0
    scales = tuple(args.scale) if args.scale else DEFAULT_SCALES
    if any(n < 1 for n in scales):
        raise ValueError("--scale takes positive chunk counts")
    # Progress goes to stderr in both modes; with --json the JSON object is stdout's last line.
    result = run(load_settings(), scales=scales, repeats=args.repeats, quiet=False)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(table(result))
    return 0
