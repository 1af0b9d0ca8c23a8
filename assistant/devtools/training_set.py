"""The training set: questions written over the shipped documents, kept apart from `evals/`.

One JSON object a line (training/questions.jsonl, or the writers' parts in training/parts/):
    {"id", "question", "sources": [file names], "evidence": [verbatim strings],
     "evidence_files": [the file of each evidence string] (comparisons), "answerable": bool,
     "kind": "fact" | "paraphrase" | "list" | "comparison" | "near-miss"}

`check` proves every evidence string is in the text the index holds for its document (cleaned
at ingest; case and whitespace folded, as evaluation evidence is matched) and reports the mix of
kinds; `near_copies` finds training questions that are near-copies of evaluation questions
(token overlap), which must never be trained on.

    python -m assistant.devtools.training_set check training/parts/*.jsonl
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import config

KINDS = ("fact", "paraphrase", "list", "comparison", "near-miss")
_WS = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing of what a question asks: two questions sharing only these are not copies.
_FUNCTION_WORDS = frozenset("""a an the of to in on for and or by with from as at is are was were be been does do did
what which who whom whose when where why how according under this that these those its it their they there
about into than then says say said document text""".split())


def fold(text: str) -> str:
    return _WS.sub(" ", text).strip().lower()


@dataclass
class TrainingQuestion:
    id: str
    question: str
    sources: list[str]
    evidence: list[str]
    answerable: bool
    kind: str
    evidence_files: list[str] = field(default_factory=list)

    def evidence_in(self) -> list[tuple[str, str]]:
        """(file, evidence) pairs: each string with the document it is quoted from."""
        if self.evidence_files:
            return list(zip(self.evidence_files, self.evidence))
        return [(self.sources[0], e) for e in self.evidence] if self.sources else []


class TrainingSetError(Exception):
    pass


def read_questions(paths: list[Path]) -> list[TrainingQuestion]:
    """Parse the files; a malformed line raises TrainingSetError naming the file, line and field."""
    out: list[TrainingQuestion] = []
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainingSetError(f"{where}: not JSON ({exc})") from None
            for name, kind in (("id", str), ("question", str), ("sources", list), ("evidence", list),
                               ("answerable", bool), ("kind", str)):
                if not isinstance(row.get(name), kind):
                    raise TrainingSetError(f"{where}: field '{name}' missing or not a {kind.__name__}")
            files = row.get("evidence_files") or []
            if files and len(files) != len(row["evidence"]):
                raise TrainingSetError(f"{where}: 'evidence_files' must give one file per evidence string")
            out.append(TrainingQuestion(row["id"], row["question"], row["sources"], row["evidence"],
                                        row["answerable"], row["kind"], files))
    return out


def document_texts(corpus_dirs: list[Path]) -> dict[str, str]:
    """file name -> the folded text the index holds for it (loaded and cleaned as at ingest)."""
    from ..ingest.loading import load_document, scan_corpus

    files, _ = scan_corpus(corpus_dirs)
    return {f.path.name: fold(" ".join(p.text for p in load_document(f).pages)) for f in files}


def problems(questions: list[TrainingQuestion], texts: dict[str, str]) -> list[str]:
    """Everything wrong with the questions, one line each (empty when the set is sound)."""
    out, seen = [], set()
    for q in questions:
        where = f"{q.id}"
        if q.id in seen:
            out.append(f"{where}: duplicate id")
        seen.add(q.id)
        if q.kind not in KINDS:
            out.append(f"{where}: kind '{q.kind}' is not one of {', '.join(KINDS)}")
        if q.answerable == (q.kind == "near-miss"):
            out.append(f"{where}: answerable must be false exactly for near-miss questions")
        if not q.answerable:
            if q.evidence:
                out.append(f"{where}: a near-miss question has no evidence")
            continue
        if not q.sources or not q.evidence:
            out.append(f"{where}: an answerable question needs sources and evidence")
            continue
        for file in q.sources + q.evidence_files:
            if file not in texts:
                out.append(f"{where}: source '{file}' is not a corpus file")
        for file, evidence in q.evidence_in():
            if file in texts and fold(evidence) not in texts[file]:
                out.append(f"{where}: evidence not found verbatim in {file}: {evidence[:80]!r}")
            if len(fold(evidence)) < 12:
                out.append(f"{where}: evidence too short to locate a sentence: {evidence!r}")
        if q.kind == "comparison" and len(set(f for f, _ in q.evidence_in())) < 2:
            out.append(f"{where}: a comparison needs evidence from at least two documents (evidence_files)")
    return out


def question_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _FUNCTION_WORDS}


def overlap(a: str, b: str) -> float:
    """Jaccard overlap of two questions' content words."""
    wa, wb = question_words(a), question_words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


NEAR_COPY = 0.6  # content-word overlap at or above which two questions are the same question


def near_copies(questions: list[TrainingQuestion], evaluation: list[str],
                threshold: float = NEAR_COPY) -> list[tuple[str, str, float]]:
    """(training id, evaluation question, overlap) for every near-copy."""
    out = []
    words = [(e, question_words(e)) for e in evaluation]
    for q in questions:
        mine = question_words(q.question)
        for text, theirs in words:
            if mine and theirs and len(mine & theirs) / len(mine | theirs) >= threshold:
                out.append((q.id, text, len(mine & theirs) / len(mine | theirs)))
    return out


def evaluation_questions(evals_dir: Path | None = None) -> list[str]:
    """Every question of every evaluation set (the sets a model must never be trained on)."""
    evals_dir = evals_dir or config.PROJECT_ROOT / "evals"
    out = []
    for path in sorted(evals_dir.glob("*.jsonl")):
        out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def data_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def mix(questions: list[TrainingQuestion]) -> dict:
    """How many questions of each kind, per document and in all."""
    kinds = {k: sum(q.kind == k for q in questions) for k in KINDS}
    per_doc: dict[str, int] = {}
    for q in questions:
        for f in set(q.sources):
            per_doc[f] = per_doc.get(f, 0) + 1
    return {"questions": len(questions), "kinds": kinds, "per_document": dict(sorted(per_doc.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.devtools.training_set")
    parser.add_argument("command", choices=["check"])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--corpus", type=Path, action="append")
    args = parser.parse_args(argv)
    try:
        questions = read_questions(args.files)
    except TrainingSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    texts = document_texts(args.corpus or [config.PROJECT_ROOT / "corpus"])
    found = problems(questions, texts)
    for line in found:
        print(line)
    print(json.dumps(mix(questions), indent=1))
    print(f"{len(found)} problem(s) in {len(questions)} questions")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
