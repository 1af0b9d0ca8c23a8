#!/usr/bin/env python3
"""Validate evaluation question sets (JSONL) against the corpus.

Usage:
    python evals/check_evidence.py [FILE.jsonl ...] [--corpus DIR]

With no files, checks evals/gold.jsonl and evals/heldout.jsonl.

Checks, per file:
  * every line is a JSON object with exactly the fields
    id, question, answer, sources, evidence, answerable, kind (with the right types);
  * ids are unique (within each file and across all files checked);
  * kind is one of the allowed tags, and answerable agrees with the kind;
  * every source file exists in the corpus directory;
  * answerable questions have a reference answer, 1-3 evidence strings
    (comparison, survey: 2+ sources, every source supports at least one evidence string, up to 6),
    and every evidence string occurs in at least one of the question's sources;
  * unanswerable questions have an empty answer, no sources and no evidence.

Evidence matching is case-insensitive with every whitespace run folded to one space.
For PDFs the text is pypdf's per-page extract_text(); an evidence string must lie
within a single page. For .md/.txt files it is the raw UTF-8 text.

Warnings (not failures): evidence outside 4-15 words, questions repeated across files.
Exit status: 0 when every check passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent / "corpus"
DEFAULT_FILES = [HERE / "gold.jsonl", HERE / "heldout.jsonl"]

FIELDS = {
    "id": str,
    "question": str,
    "answer": str,
    "sources": list,
    "evidence": list,
    "answerable": bool,
    "kind": str,
}
ANSWERABLE_KINDS = {"factual", "paraphrase", "seed", "comparison", "survey"}
# Asked across documents: every source supports at least one evidence string (evidence per document).
ACROSS_KINDS = {"comparison", "survey"}
UNANSWERABLE_KINDS = {"unanswerable", "unanswerable_offtopic", "unanswerable_neartopic"}
KINDS = ANSWERABLE_KINDS | UNANSWERABLE_KINDS

_WS = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case and fold every whitespace run to a single space."""
    return _WS.sub(" ", text).strip().lower()


class Corpus:
    """Lazily loads corpus documents as lists of folded text units (pages for PDFs)."""

    def __init__(self, root: Path):
        self.root = root
        self._cache: dict[str, list[str]] = {}

    def exists(self, name: str) -> bool:
        p = self.root / name
        return p.is_file() and p.parent.resolve() == self.root.resolve()

    def units(self, name: str) -> list[str]:
        if name not in self._cache:
            path = self.root / name
            if path.suffix.lower() == ".pdf":
                from pypdf import PdfReader  # imported lazily: only needed for PDFs

                reader = PdfReader(str(path))
                if reader.is_encrypted:
                    reader.decrypt("")
                units = [fold(page.extract_text() or "") for page in reader.pages]
            else:
                units = [fold(path.read_text(encoding="utf-8"))]
            self._cache[name] = units
        return self._cache[name]

    def locate(self, name: str, evidence: str) -> int | None:
        """Return the 1-based unit (page) index holding the evidence, or None."""
        needle = fold(evidence)
        for i, unit in enumerate(self.units(name), start=1):
            if needle in unit:
                return i
        return None


def check_file(path: Path, corpus: Corpus, seen_ids: dict[str, str],
               seen_questions: dict[str, str]) -> tuple[list[str], list[str], dict[str, int]]:
    errors: list[str] = []
    warnings: list[str] = []
    counts: dict[str, int] = {}
    ids_here: set[str] = set()

    lines = path.read_text(encoding="utf-8").splitlines()
    for lineno, line in enumerate(lines, start=1):
        where = f"{path.name}:{lineno}"
        if not line.strip():
            errors.append(f"{where}: blank line")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: invalid JSON ({exc})")
            continue
        if not isinstance(rec, dict):
            errors.append(f"{where}: not a JSON object")
            continue

        keys = set(rec)
        if keys != set(FIELDS):
            missing = sorted(set(FIELDS) - keys)
            extra = sorted(keys - set(FIELDS))
            errors.append(f"{where}: fields mismatch (missing={missing}, extra={extra})")
            continue
        bad_types = [k for k, t in FIELDS.items() if not isinstance(rec[k], t)]
        if bad_types:
            errors.append(f"{where}: wrong type for {bad_types}")
            continue
        if not all(isinstance(s, str) for s in rec["sources"]):
            errors.append(f"{where}: sources must be strings")
            continue
        if not all(isinstance(s, str) for s in rec["evidence"]):
            errors.append(f"{where}: evidence must be strings")
            continue

        qid = rec["id"]
        where = f"{path.name}:{lineno} [{qid}]"
        if not qid.strip():
            errors.append(f"{where}: empty id")
        if qid in ids_here:
            errors.append(f"{where}: duplicate id in {path.name}")
        elif qid in seen_ids:
            errors.append(f"{where}: id also used in {seen_ids[qid]}")
        ids_here.add(qid)
        seen_ids.setdefault(qid, path.name)

        if not rec["question"].strip():
            errors.append(f"{where}: empty question")
        qkey = fold(rec["question"])
        if qkey in seen_questions and seen_questions[qkey] != f"{path.name}:{qid}":
            other = seen_questions[qkey]
            (errors if other.startswith(path.name + ":") else warnings).append(
                f"{where}: same question as {other}")
        seen_questions.setdefault(qkey, f"{path.name}:{qid}")

        kind = rec["kind"]
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in KINDS:
            errors.append(f"{where}: unknown kind {kind!r}")
            continue

        sources, evidence = rec["sources"], rec["evidence"]
        if rec["answerable"]:
            if kind not in ANSWERABLE_KINDS:
                errors.append(f"{where}: kind {kind} but answerable=true")
            if not rec["answer"].strip():
                errors.append(f"{where}: answerable question without reference answer")
            if not sources:
                errors.append(f"{where}: answerable question without sources")
            if len(set(sources)) != len(sources):
                errors.append(f"{where}: duplicate sources")
            most = 6 if kind in ACROSS_KINDS else 3  # up to two per compared document
            if not 1 <= len(evidence) <= most:
                errors.append(f"{where}: {len(evidence)} evidence strings (expected 1-{most})")
            if kind in ACROSS_KINDS and len(set(sources)) < 2:
                errors.append(f"{where}: {kind} needs 2+ sources")
            missing_src = [s for s in sources if not corpus.exists(s)]
            for s in missing_src:
                errors.append(f"{where}: source not in corpus: {s}")
            valid_sources = [s for s in sources if s not in missing_src]
            supported: set[str] = set()
            for ev in evidence:
                n_words = len(ev.split())
                if not 4 <= n_words <= 15:
                    warnings.append(f"{where}: evidence has {n_words} words: {ev!r}")
                hits = [s for s in valid_sources if corpus.locate(s, ev) is not None]
                if not hits:
                    errors.append(f"{where}: evidence not found in its sources: {ev!r}")
                supported.update(hits)
            if kind in ACROSS_KINDS:
                for s in valid_sources:
                    if s not in supported:
                        errors.append(f"{where}: no evidence string found in source {s}")
        else:
            if kind not in UNANSWERABLE_KINDS:
                errors.append(f"{where}: kind {kind} but answerable=false")
            if sources or evidence:
                errors.append(f"{where}: unanswerable question must have empty sources/evidence")
            if rec["answer"].strip() and kind != "unanswerable":
                # evals/unseen.jsonl (kind "unanswerable") explains in its reference why nothing answers.
                errors.append(f"{where}: unanswerable question must have empty answer")
    return errors, warnings, counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path, help="JSONL files (default: gold + heldout)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory")
    ap.add_argument("--quiet-warnings", action="store_true", help="do not print warnings")
    args = ap.parse_args(argv)

    files = args.files or DEFAULT_FILES
    corpus = Corpus(args.corpus)
    seen_ids: dict[str, str] = {}
    seen_questions: dict[str, str] = {}
    total_errors = 0
    for path in files:
        if not path.is_file():
            print(f"FAIL {path}: file not found")
            total_errors += 1
            continue
        errors, warnings, counts = check_file(path, corpus, seen_ids, seen_questions)
        n = sum(counts.values())
        n_unans = sum(v for k, v in counts.items() if k in UNANSWERABLE_KINDS)
        status = "OK  " if not errors else "FAIL"
        print(f"{status} {path.name}: {n} questions ({n - n_unans} answerable, {n_unans} unanswerable)")
        for kind in sorted(counts):
            print(f"       {kind:24s} {counts[kind]}")
        for e in errors:
            print(f"  ERROR {e}")
        if not args.quiet_warnings:
            for w in warnings:
                print(f"  warn  {w}")
        total_errors += len(errors)
    print("all checks passed" if total_errors == 0 else f"{total_errors} error(s)")
    return 0 if total_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
