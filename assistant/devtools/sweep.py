"""Settings sweeps: how answers change with the extractive answerer's settings, retrieval held fixed.

Every question is read and retrieved once; each combination of the values asked for is then
answered and scored as `cda eval` scores answers (answer holds all evidence, citation precision,
median words, abstention). A sweep of 60 combinations over the four tuning sets takes minutes,
not the hours of one `cda eval` per combination, so a weight is chosen on evidence rather than
on one set at a time. Questions answered by a position table (comparisons) are left out: a table
is chosen per document (`ComparisonSettings`) and scored by `cda eval`.

    cda eval sweep evals/gold.jsonl evals/heldout.jsonl --set max_sentences=3,4 \\
        --set sentence_similarity_weight=0,0.3 --out runs/sweep

Choose on the tuning sets; report `evals/unseen.jsonl` beside them, never choose on it.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ..config import AnswerSettings
from .evaluation import Question, answer_metrics, answer_scores, load_questions


def parse_grid(specs: list[str]) -> dict[str, list]:
    """["max_sentences=3,4", "length_penalty=0,0.05"] -> {"max_sentences": [3, 4], ...}, each value of its
    setting's type; an unknown setting or a value of the wrong type is an error naming it."""
    known = {f.name: f.type for f in fields(AnswerSettings)}
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip()
        if not sep or not values.strip():
            raise ValueError(f"--set {spec!r}: expected NAME=VALUE[,VALUE...]")
        if name not in known:
            raise ValueError(f"--set {spec!r}: {name!r} is not an answer setting (one of: {', '.join(sorted(known))})")
        cast = int if known[name] in (int, "int") else float
        try:
            grid[name] = [cast(v) for v in values.split(",")]
        except ValueError:
            raise ValueError(f"--set {spec!r}: {name!r} takes {cast.__name__} values") from None
    return grid


@dataclass
class SweepPoint:
    """One combination of settings and what it scored on each question set."""
    values: dict
    scores: dict  # set name -> {"answer_all_evidence", "answer_words_median", ...}


def sweep(assistant, question_sets: dict[str, list[Question]], grid: dict[str, list], k: int = 5) -> list[SweepPoint]:
    """The settings as they are first, then every combination of `grid`'s values in turn."""
    answerer = assistant.extractive
    prepared = {}
    for name, questions in question_sets.items():
        prepared[name] = []
        for q in questions:
            standalone, query = assistant.read(q.question)
            if assistant.table_scope(query) is not None:
                continue  # answered by a table
            prepared[name].append((q, standalone, query, assistant.retriever.search(query, k)))
    base = answerer.settings
    combinations = [{}] + [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    points = []
    try:
        for values in combinations:
            answerer.settings = replace(base, **values)
            scores = {}
            for name, items in prepared.items():
                rows = []
                for q, standalone, query, results in items:
                    answer = answerer.answer(q.question, results, standalone, query).to_dict()
                    rows.append({"answerable": q.answerable, **answer, "scores": answer_scores(q, answer)})
                scores[name] = {"questions": len(rows), **answer_metrics(rows)}
            points.append(SweepPoint(values, scores))
    finally:
        answerer.settings = base
    return points


def table(points: list[SweepPoint]) -> str:
    """A Markdown table: one row per combination, "all evidence / median words" per set."""
    names = list(points[0].scores) if points else []
    lines = ["| settings | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for p in points:
        label = ", ".join(f"{k}={v}" for k, v in p.values.items()) or "(as configured)"
        cells = [f"{s['answer_all_evidence']} / {s['answer_words_median']}" for s in p.scores.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(assistant, files: list[str], specs: list[str], k: int, out: str | None) -> int:
    grid = parse_grid(specs)
    if not grid:
        raise ValueError("cda eval sweep: give at least one --set NAME=VALUE[,VALUE...]")
    question_sets = {Path(f).stem: load_questions(Path(f)) for f in files}
    points = sweep(assistant, question_sets, grid, k)
    text = table(points)
    print("answer holds all evidence / median words, answerable questions not answered by a table\n" + text)
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "sweep.json").write_text(json.dumps([{"values": p.values, "scores": p.scores} for p in points],
                                                         indent=1))
        (Path(out) / "sweep.md").write_text(text + "\n")
    return 0
