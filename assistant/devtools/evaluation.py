"""Evaluation: a question set -> per-question results, metrics, a report with plots,
run comparison, and draft cases from thumbs-down feedback.

Question set (JSONL): {"id", "question", "answer", "sources", "evidence", "answerable", "kind"?}.
Evidence matches case-insensitively with whitespace runs folded to one space.
"""
from __future__ import annotations

import functools
import html
import json
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..text.tokens import content_terms

HIT_CURVE_K = (1, 3, 5, 10)


def norm(text: str) -> str:
    return " ".join(text.split()).lower()


@dataclass
class Question:
    id: str
    question: str
    answer: str = ""
    sources: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    answerable: bool = True
    kind: str = ""


def load_questions(path: Path) -> list[Question]:
    questions, seen = [], set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        for key in ("id", "question"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise ValueError(f"{path}:{number}: field {key!r} is missing or empty")
        if data["id"] in seen:
            raise ValueError(f"{path}:{number}: duplicate id {data['id']!r}")
        seen.add(data["id"])
        for key in ("sources", "evidence"):
            if not isinstance(data.get(key, []), list):
                raise ValueError(f"{path}:{number}: field {key!r} must be a list")
        questions.append(Question(data["id"], data["question"], data.get("answer") or "",
                                  list(data.get("sources") or []), list(data.get("evidence") or []),
                                  bool(data.get("answerable", True)), data.get("kind") or ""))
    if not questions:
        raise ValueError(f"{path}: no questions")
    return questions


def retrieval_scores(q: Question, retrieved: list[dict]) -> dict:
    """hit@k curve, evidence recall at k, reciprocal rank and nDCG@10 of one ranked list."""
    files = [r["file"] for r in retrieved]
    gold = set(q.sources)
    out: dict = {}
    for k in HIT_CURVE_K:
        out[f"hit@{k}"] = float(any(f in gold for f in files[:k]))
    first = next((i for i, f in enumerate(files, start=1) if f in gold), None)
    out["rr"] = 1.0 / first if first else 0.0
    gains = [1.0 if f in gold else 0.0 for f in files[:10]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(10, max(1, len(gold)) * 10, 10)))
    out["ndcg@10"] = dcg / ideal if ideal else 0.0
    text5 = norm(" ".join(r["text"] for r in retrieved[:5]))
    found = [norm(e) in text5 for e in q.evidence]
    out["evidence_recall@5"] = sum(found) / len(found) if found else 1.0
    out["all_evidence@5"] = float(all(found))
    return out


def support(sentence: str, quote: str) -> float:
    """Share of the sentence's topic words that its quote contains."""
    s = set(content_terms(sentence))
    return len(s & set(content_terms(quote))) / len(s) if s else 1.0


def cited_claims(answer: dict) -> list[tuple[str, list[int]]]:
    """(claim, its citation numbers) of an answer. A table's claims are its rows' quotes, each with
    its own number: the text flattens the table, so parsing it would lay the lead and a row's
    document label on the row's first quote."""
    table = answer.get("table")
    if table:
        return [(quote, [n]) for row in table["rows"] for quote, n in zip(row["quotes"], row["citations"])]
    return [(sentence, [int(n) for n in re.findall(r"\d+", markers)])
            for sentence, markers in re.findall(r"([^\[\]]+?)((?:\s*\[\d+\])+)", answer["answer"])]


def answer_scores(q: Question, answer: dict) -> dict:
    out: dict = {"abstained": answer["abstained"]}
    texts = {norm(r["text"]) for r in answer["retrieved"]}
    cites = {c["n"]: c for c in answer["citations"]}
    supported, total = 0, 0
    for sentence, numbers in cited_claims(answer):
        for n in numbers:
            total += 1
            c = cites.get(n)
            if c and any(norm(c["quote"]) in t for t in texts) and support(sentence, c["quote"]) >= 0.6:
                supported += 1
    out["citation_precision"] = supported / total if total else None
    shown = norm(answer["answer"] + " " + " ".join(c["quote"] for c in answer["citations"]))
    out["evidence_coverage"] = (sum(norm(e) in shown for e in q.evidence) / len(q.evidence)
                                if q.evidence and not answer["abstained"] else (0.0 if q.evidence else None))
    # The answer text itself holds every evidence string (what a reader sees first).
    out["answer_all_evidence"] = (float(all(norm(e) in norm(answer["answer"]) for e in q.evidence))
                                  if q.evidence and not answer["abstained"] else (0.0 if q.evidence else None))
    out["correct_abstention"] = answer["abstained"] == (not q.answerable)
    return out


def document_text(generation, file: str) -> str:
    """A document's whole indexed text, folded (page texts in page order)."""
    pages = sorted({c.page for c in generation.chunks if c.file == file}, key=lambda p: p or 0)
    return norm(" ".join(generation.page_text(file, p) or "" for p in pages))


def table_scores(q: Question, answer: dict, text_of) -> dict:
    """A question across documents: whether every source document has a row marked as addressing
    it whose quotes hold all of that document's evidence (`table_rows_hold_evidence`), the share of
    source documents whose row does (`table_row_share`: progress a question's all-or-nothing figure
    hides), and how many source documents a row calls silent though their evidence is in the corpus
    (`table_false_silence`)."""
    rows = {r["file"]: r for r in (answer.get("table") or {}).get("rows", [])}
    held, silent = [], 0
    for source in q.sources:
        evidence = [norm(e) for e in q.evidence if norm(e) in text_of(source)]
        row = rows.get(source)
        if row is not None and not row["addressed"]:
            silent += 1
        quotes = norm(" ".join(row["quotes"])) if row else ""
        held.append(row is not None and row["addressed"] and all(e in quotes for e in evidence))
    return {"table_rows_hold_evidence": float(all(held)), "table_row_share": sum(held) / len(held) if held else 0.0,
            "table_false_silence": float(silent)}


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else 0.0


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.fmean(values), 4) if values else None


def answer_metrics(rows: list[dict]) -> dict:
    """What the answers score, over rows of {"answerable", "abstained", "answer", "scores"
    (answer_scores)}: the part of `aggregate` that needs no retrieval scores (`cda eval sweep`)."""
    answerable = [r for r in rows if r["answerable"]]
    words = [len(r["answer"].split()) for r in rows if not r["abstained"]]
    return {"citation_precision": _mean(r["scores"]["citation_precision"] for r in answerable),
            "answer_all_evidence": _mean(r["scores"].get("answer_all_evidence") for r in answerable),
            "answer_words_median": float(np.median(words)) if words else None,
            "abstention_accuracy": _mean(float(r["abstained"]) for r in rows if not r["answerable"]),
            "false_abstention_rate": _mean(float(r["abstained"]) for r in answerable)}


def aggregate(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    m: dict = {"questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable)}
    for key in [f"hit@{k}" for k in HIT_CURVE_K] + ["rr", "ndcg@10", "evidence_recall@5", "all_evidence@5"]:
        m["mrr" if key == "rr" else key] = _mean(r["scores"][key] for r in answerable)
    m.update(answer_metrics(rows))
    m["evidence_coverage"] = _mean(r["scores"]["evidence_coverage"] for r in answerable)
    m["table_rows_hold_evidence"] = _mean(r["scores"].get("table_rows_hold_evidence") for r in answerable)
    m["table_row_share"] = _mean(r["scores"].get("table_row_share") for r in answerable)
    m["table_false_silence"] = _mean(r["scores"].get("table_false_silence") for r in answerable)
    m["answer_similarity"] = _mean(r["scores"].get("answer_similarity") for r in answerable)
    m["faithfulness"] = _mean(r["scores"].get("faithfulness") for r in rows)  # None without --judge
    lat = [r["latency_ms"] for r in rows]
    m["latency_p50_ms"] = round(percentile(lat, 50), 1)
    m["latency_p95_ms"] = round(percentile(lat, 95), 1)
    return m


def run_eval(assistant, questions: list[Question], k: int = 5, baseline=None, progress: bool = False,
             judge=None) -> tuple[list[dict], dict]:
    """`judge`: an optional LangChain chat model scoring faithfulness (assistant/devtools/judging.py)."""
    rows = []
    text_of = functools.lru_cache(maxsize=None)(lambda file: document_text(assistant.generation, file))
    assistant.warm_up()
    for i, q in enumerate(questions, start=1):
        t0 = time.perf_counter()
        answer = assistant.ask(q.question, k=k).to_dict()
        latency = (time.perf_counter() - t0) * 1000
        ranked = assistant.retriever.search(answer["standalone_question"] or q.question, k=max(k, 10))
        ranked_dicts = [{"file": r.chunk.file, "text": r.chunk.text} for r in ranked]
        scores = retrieval_scores(q, answer["retrieved"] and [{"file": p["file"], "text": p["text"]} for p in answer["retrieved"]] or [])
        for key, value in retrieval_scores(q, ranked_dicts).items():
            if key in ("hit@10", "ndcg@10"):
                scores[key] = value
        scores.update(answer_scores(q, answer))
        if q.kind in ("comparison", "survey"):
            scores.update(table_scores(q, answer, text_of))
        row = {"id": q.id, "kind": q.kind, "answerable": q.answerable, "latency_ms": round(latency, 1),
               **answer, "scores": scores}
        if judge is not None:
            from .judging import judge_answer

            judgement = judge_answer(judge, answer)
            scores["faithfulness"] = judgement.faithfulness
            row["judged_claims"] = [{"claim": c, "supported": v} for c, v in zip(judgement.claims, judgement.verdicts)]
        if baseline is not None:
            b = baseline.search(q.question, k=max(k, 10))
            row["baseline_scores"] = retrieval_scores(q, b)
        rows.append(row)
        if progress:
            print(f"\r{i}/{len(questions)}", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    _answer_similarity(assistant, questions, rows)
    metrics = aggregate(rows)
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    metrics["per_kind"] = {kind: aggregate([r for r in rows if r["kind"] == kind]) for kind in kinds}
    if baseline is not None:
        b_rows = [{**r, "scores": r["baseline_scores"]} for r in rows if r["answerable"]]
        metrics["baseline"] = {key: _mean(r["scores"][key] for r in b_rows)
                               for key in ["hit@1", "hit@5", "hit@10", "rr", "ndcg@10", "evidence_recall@5",
                                           "all_evidence@5"]}
        metrics["baseline"]["mrr"] = metrics["baseline"].pop("rr")
    return rows, metrics


def _answer_similarity(assistant, questions: list[Question], rows: list[dict]) -> None:
    pairs = [(i, q.answer, rows[i]["answer"]) for i, q in enumerate(questions)
             if q.answerable and q.answer and not rows[i]["abstained"]]
    if not pairs:
        return
    ref = assistant.embedder.embed([p[1] for p in pairs])
    got = assistant.embedder.embed([p[2] for p in pairs])
    for (i, _, _), a, b in zip(pairs, ref, got):
        rows[i]["scores"]["answer_similarity"] = round(float(a @ b), 4)


def question_ok(row: dict) -> bool:
    if not row["answerable"]:
        return row["abstained"]
    return not row["abstained"] and row["scores"]["hit@5"] == 1.0 and row["scores"]["all_evidence@5"] == 1.0


# ---------------------------------------------------------------- reports

METRIC_ORDER = ["hit@1", "hit@5", "hit@10", "evidence_recall@5", "all_evidence@5", "mrr", "ndcg@10",
                "citation_precision", "evidence_coverage", "answer_all_evidence", "table_rows_hold_evidence",
                "table_row_share", "table_false_silence", "answer_words_median",
                "abstention_accuracy", "false_abstention_rate",
                "answer_similarity", "faithfulness", "latency_p50_ms", "latency_p95_ms"]


def write_run(out: Path, rows: list[dict], metrics: dict, settings_note: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics | {"settings": settings_note}, indent=1))
    plots = write_plots(out, rows, metrics)
    md = markdown_report(rows, metrics, plots)
    (out / "report.md").write_text(md)
    (out / "report.html").write_text(html_report(md))


def save_run(out: Path, rows: list[dict], metrics: dict, run_settings: dict, settings) -> str | None:
    """Writes the run folder and, with a shared database configured, stores the run there too
    (trainers on other machines see it); returns its id there, or None."""
    write_run(out, rows, metrics, run_settings)
    if not settings.database_url:
        return None
    from ..storage.records_store import open_records

    return open_records(settings.database_url, settings.feedback_log).add_eval_run(
        str(run_settings.get("questions", "")), metrics, run_settings, rows)


def write_plots(out: Path, rows: list[dict], metrics: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(HIT_CURVE_K, [metrics.get(f"hit@{k}") or 0 for k in HIT_CURVE_K], marker="o", label="assistant")
    if "baseline" in metrics:
        ax.plot(HIT_CURVE_K, [metrics["baseline"].get(f"hit@{k}", None) or np.nan for k in HIT_CURVE_K],
                marker="s", label="LangChain baseline")
    ax.set(xlabel="k", ylabel="source hit@k", ylim=(0, 1.05), title="Gold document in the top k")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "hit_at_k.png", dpi=110)
    names.append("hit_at_k.png")
    plt.close(fig)
    per_kind = metrics.get("per_kind", {})
    if per_kind:
        fig, ax = plt.subplots(figsize=(7, 3.4))
        kinds = list(per_kind)
        ok = [statistics.fmean(question_ok(r) for r in rows if r["kind"] == kd) for kd in kinds]
        ax.bar(range(len(kinds)), ok, color="#4a7ab5")
        ax.set_xticks(range(len(kinds)), kinds, rotation=25, ha="right", fontsize=8)
        ax.set(ylabel="share of questions passed", ylim=(0, 1.05), title="Passed questions per kind")
        fig.tight_layout()
        fig.savefig(out / "per_kind.png", dpi=110)
        names.append("per_kind.png")
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist([r["latency_ms"] for r in rows], bins=20, color="#6a9f58")
    ax.set(xlabel="latency (ms)", ylabel="questions", title="Answer latency")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    names.append("latency.png")
    plt.close(fig)
    return names


def _fmt(v) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def markdown_report(rows: list[dict], metrics: dict, plots: list[str]) -> str:
    lines = ["# Evaluation report", "", f"{metrics['questions']} questions ({metrics['answerable']} answerable, "
             f"{metrics['unanswerable']} unanswerable).", "", "| metric | assistant |"
             + (" LangChain baseline |" if "baseline" in metrics else ""),
             "|---|---|" + ("---|" if "baseline" in metrics else "")]
    for key in METRIC_ORDER:
        row = f"| {key} | {_fmt(metrics.get(key))} |"
        if "baseline" in metrics:
            row += f" {_fmt(metrics['baseline'].get(key))} |"
        lines.append(row)
    if metrics.get("per_kind"):
        cols = ["hit@5", "all_evidence@5", "mrr", "abstention_accuracy", "false_abstention_rate", "latency_p50_ms"]
        lines += ["", "## Per kind", "", "| kind | n | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
        for kind, m in metrics["per_kind"].items():
            lines.append(f"| {kind} | {m['questions']} | " + " | ".join(_fmt(m.get(c)) for c in cols) + " |")
    lines += [""] + [f"![{p}]({p})" for p in plots]
    failed = [r for r in rows if not question_ok(r)]
    failed.sort(key=lambda r: (r["scores"].get("rr", 0), r["scores"].get("evidence_recall@5", 0)))
    lines += ["", f"## Worst questions ({len(failed)} failed)", ""]
    for r in failed[:15]:
        why = ("abstained on an answerable question" if r["answerable"] and r["abstained"] else
               "answered an unanswerable question" if not r["answerable"] else
               "gold document not retrieved" if r["scores"]["hit@5"] == 0 else "evidence missing from the top 5")
        lines += [f"### {r['id']} ({r['kind'] or 'untagged'}): {r['question']}", "", f"*Why it failed:* {why}.", "",
                  f"*Answer:* {r['answer'][:500]}", "", "*Retrieved:*", ""]
        for p in r["retrieved"]:
            lines.append(f"{p['rank']}. `{p['file']}` p.{p['page']} {p['section'][:60]} (score {p['score']:.3f}): "
                         f"{' '.join(p['text'].split())[:160]}…")
        lines.append("")
    return "\n".join(lines) + "\n"


def html_report(markdown_text: str) -> str:
    """A self-contained HTML rendering of the Markdown report (tables, headings, images)."""
    out, in_table, in_list = [], False, False
    for line in markdown_text.splitlines():
        esc = html.escape(line)
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
                out.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line[:3].rstrip(".").isdigit() and ". " in line[:4]:
            if not in_list:
                out.append("<ol>")
                in_list = True
            out.append(f"<li>{esc.split('. ', 1)[1]}</li>")
            continue
        if in_list:
            out.append("</ol>")
            in_list = False
        if line.startswith("!["):
            src = line[line.index("(") + 1:line.rindex(")")]
            out.append(f'<img src="{html.escape(src)}" alt="{html.escape(src)}">')
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            out.append(f"<p>{esc}</p>")
    if in_table:
        out.append("</table>")
    style = ("body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.25em .6em}img{max-width:48%;margin:.3em}")
    return f"<!doctype html><meta charset=utf-8><title>Evaluation report</title><style>{style}</style>\n" + \
        "\n".join(out)


# ---------------------------------------------------------------- compare, feedback


def compare_runs(run_a: Path, run_b: Path) -> str:
    def load(run):
        metrics = json.loads((Path(run) / "metrics.json").read_text())
        rows = {json.loads(l)["id"]: json.loads(l) for l in (Path(run) / "results.jsonl").read_text().splitlines() if l}
        return metrics, rows

    (ma, ra), (mb, rb) = load(run_a), load(run_b)
    lines = [f"# {run_a} → {run_b}", "", "| metric | A | B | Δ |", "|---|---|---|---|"]
    for key in METRIC_ORDER:
        a, b = ma.get(key), mb.get(key)
        delta = f"{b - a:+.3f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "–"
        lines.append(f"| {key} | {_fmt(a)} | {_fmt(b)} | {delta} |")
    fixed = [i for i in ra if i in rb and not question_ok(ra[i]) and question_ok(rb[i])]
    broken = [i for i in ra if i in rb and question_ok(ra[i]) and not question_ok(rb[i])]
    lines += ["", f"Fixed ({len(fixed)}): " + (", ".join(fixed) or "none"),
              f"Broken ({len(broken)}): " + (", ".join(broken) or "none")]
    for label, ids in (("fixed", fixed), ("broken", broken)):
        for i in ids:
            lines.append(f"- {label} {i}: {rb[i]['question']}")
    return "\n".join(lines) + "\n"


def cases_from_feedback(entries) -> list[dict]:
    """Thumbs-down feedback entries (from the local log or the shared database) as draft cases."""
    cases = []
    for entry in entries:
        if entry.get("rating") != "down":
            continue
        cited = sorted({c.get("file") for c in entry.get("citations", []) if c.get("file")})
        cases.append({"id": f"feedback-{entry['id']}", "question": entry.get("question", ""), "answer": "",
                      "sources": cited, "evidence": [], "answerable": not entry.get("abstained", False),
                      "kind": "feedback", "comment": entry.get("comment", ""),
                      "given_answer": entry.get("answer", ""),
                      "todo": "trainer: write the reference answer, fix sources, add evidence strings, "
                              "set answerable"})
    return cases


def main(args) -> int:
    from .. import Assistant
    from ..config import load_settings
    from ..storage.records_store import open_records, read_feedback_log

    words = args.args
    if words[0] == "compare":
        if len(words) != 3:
            raise ValueError("usage: cda eval compare RUN_A RUN_B")
        text = compare_runs(Path(words[1]), Path(words[2]))
        print(text)
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            (Path(args.out) / "compare.md").write_text(text)
        return 0
    if words[0] == "from-feedback":
        if len(words) not in (1, 2):
            raise ValueError("usage: cda eval from-feedback [LOG.jsonl] [--out DIR]")
        if len(words) == 2:  # a log named on the command line
            if not Path(words[1]).exists():
                raise FileNotFoundError(f"no feedback log at {words[1]}")
            entries = list(read_feedback_log(Path(words[1])))
        else:  # wherever the app keeps it: the shared database, or the local log
            settings = load_settings()
            entries = open_records(settings.database_url, settings.feedback_log).feedback()
        cases = cases_from_feedback(entries)
        text = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            (Path(args.out) / "draft_cases.jsonl").write_text(text)
            print(f"{len(cases)} draft case(s) written to {Path(args.out) / 'draft_cases.jsonl'}")
        else:
            sys.stdout.write(text)
        return 0
    settings = load_settings(**({"index_dir": Path(args.index)} if args.index else {}))
    if words[0] == "sweep":
        from .sweep import main as sweep_main

        if len(words) < 2:
            raise ValueError("usage: cda eval sweep QUESTIONS.jsonl [...] --set NAME=V1,V2 [--out DIR]")
        return sweep_main(Assistant(settings), words[1:], args.sweep, args.k, args.out)
    if len(words) != 1:
        raise ValueError("usage: cda eval QUESTIONS.jsonl --out DIR")
    if not args.out:
        raise ValueError("--out DIR is required")
    judge = None
    if getattr(args, "judge", False):
        if not settings.llm:
            raise ValueError("--judge needs an LLM: set CDA_LLM=openai (with CDA_LLM_BASE_URL) or CDA_LLM=gguf")
        from ..ask import make_chat_model

        judge = make_chat_model(settings)
    assistant = Assistant(settings)
    questions = load_questions(Path(words[0]))
    baseline = None
    if args.baseline:
        from .baseline import make_baseline

        baseline = make_baseline(args.baseline, settings)
    rows, metrics = run_eval(assistant, questions, k=args.k, baseline=baseline, progress=sys.stderr.isatty(),
                             judge=judge)
    run_settings = {"k": args.k, "backend": assistant.backend, "abstain_below": settings.answer.abstain_below,
                    "questions": str(words[0])}
    run_id = save_run(Path(args.out), rows, metrics, run_settings, settings)
    if run_id:
        print(f"run stored in the database as {run_id}", file=sys.stderr)
    print(json.dumps({k: metrics.get(k) for k in METRIC_ORDER} | (
        {"baseline": metrics["baseline"]} if "baseline" in metrics else {})))
    print(f"report: {Path(args.out) / 'report.md'}", file=sys.stderr)
    if args.thresholds:
        failures = check_thresholds(metrics, json.loads(Path(args.thresholds).read_text()))
        for f in failures:
            print(f"eval gate: {f}", file=sys.stderr)
        return 1 if failures else 0
    return 0


def check_thresholds(metrics: dict, thresholds: dict) -> list[str]:
    """thresholds: {"min": {metric: value}, "max": {metric: value}} -> violated ones."""
    failures = []
    for key, floor in thresholds.get("min", {}).items():
        if metrics.get(key) is None or metrics[key] < floor:
            failures.append(f"{key} = {metrics.get(key)} is below the threshold {floor}")
    for key, ceiling in thresholds.get("max", {}).items():
        if metrics.get(key) is None or metrics[key] > ceiling:
            failures.append(f"{key} = {metrics.get(key)} is above the threshold {ceiling}")
    return failures
