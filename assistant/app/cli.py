"""`cda` command: a thin shell over the Python API. Exit statuses: 0 ok; 1 error (message on
stderr); 2 index built but some files failed (listed in the report); 3 another build is running."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config import load_settings


def _settings(args) -> "object":
    overrides = {}
    if getattr(args, "corpus", None):
        overrides["corpus_dirs"] = tuple(Path(p) for p in args.corpus)
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    return load_settings(**overrides)


def cmd_index_build(args) -> int:
    from ..ingest import BuildLocked, EXIT_LOCKED, build_index

    settings = _settings(args)
    try:
        report = build_index(settings, full=args.full, progress=sys.stderr.isatty() and not args.json,
                             ray_address=args.ray)
    except BuildLocked as exc:
        print(f"cda: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    if args.json:
        data = report.as_dict()
        print(json.dumps({k: data[k] for k in ("added", "changed", "removed", "unchanged", "failed", "chunks",
                                               "seconds")} | {"embedded": data["embedded"],
                                                               "notices": data["notices"],
                                                               "metadata": data["metadata"]}))
    else:
        print(f"index: {settings.index_dir}")
        print(f"added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
              f"unchanged {report.unchanged}, failed {len(report.failed)}; {report.chunks} chunks "
              f"({report.embedded} embedded) in {report.seconds:.1f} s")
        for f in report.failed:
            print(f"  FAILED {f['file']}: {f['error']}")
        for notice in report.notices:
            print(f"  note: {notice}")
        for file, read in report.metadata.items():
            print(f"  read from {file}: " + "; ".join(f"{k} {v['value']!r} ({v['from']})" for k, v in read.items()))
        if report.metadata:
            print("  (`cda index catalog --out rows.csv` writes these as catalog rows to review)")
    return report.exit_status


def cmd_index_catalog(args) -> int:
    import csv

    from ..ingest.indexing import suggested_catalog_rows
    from ..ingest.loading import CATALOG_FIELDS

    rows = suggested_catalog_rows(_settings(args))
    out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
    writer = csv.DictWriter(out, fieldnames=["file", *CATALOG_FIELDS])
    writer.writeheader()
    writer.writerows(rows)
    if args.out:
        out.close()
        print(f"{len(rows)} suggested row(s) written to {args.out}: review them, then add them to the corpus's "
              "catalog.csv", file=sys.stderr)
    return 0


def cmd_index_status(args) -> int:
    from ..ingest import index_status

    status = index_status(_settings(args))
    if args.json:
        print(json.dumps(status))
    else:
        for key, value in status.items():
            print(f"{key}: {value}")
        if not (status["added_since"] or status["changed_since"] or status["removed_since"]):
            print("the index is up to date with the corpus")
        else:
            print("the corpus changed since the build: run `cda index build`")
    return 0


def _filters(args) -> dict | None:
    filters = {"types": args.type, "jurisdictions": args.jurisdiction, "year_min": args.year_min,
               "year_max": args.year_max, "files": args.file}
    return {k: v for k, v in filters.items() if v} or None


def cmd_ask(args) -> int:
    from .. import Assistant
    from ..records import pages_label

    assistant = Assistant(_settings(args))
    answer = assistant.ask(args.question, k=args.k, filters=_filters(args))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.answer)
    if answer.citations:
        print()
        for c in answer.citations:
            where = ", ".join(x for x in (c.unit, pages_label(c.page, c.end_page), c.section) if x)
            print(f"[{c.n}] {c.title} ({c.file}{', ' + where if where else ''})\n    cite as: {c.reference}")
    return 0


def cmd_eval(args) -> int:
    from ..devtools.evaluation import main as eval_main

    return eval_main(args)


def cmd_db(args) -> int:
    from ..storage.records_store import MIGRATIONS, PostgresRecords

    settings = load_settings()
    if not settings.database_url:
        print(f"CDA_DATABASE_URL is not set: feedback is kept in {settings.feedback_log}, exports and "
              f"evaluation runs in the files written; nothing to upgrade.")
        return 0
    db = PostgresRecords(settings.database_url)
    if args.db_command == "status":
        print(f"database schema: version {db.schema_version()}; this software needs {len(MIGRATIONS)}")
        return 0
    before, after = db.upgrade()
    print(f"database schema: version {before} -> {after}" if before != after
          else f"database schema up to date (version {after})")
    return 0


def cmd_serve(args) -> int:
    from .webapp import serve

    return serve(_settings(args), host=args.host, port=args.port, auth=args.auth,
                 allow_unauthenticated=args.no_auth)


def cmd_train(args) -> int:
    from ..devtools.training import MODEL_DIR, TRAINING_SET, TrainSettings, run

    settings = TrainSettings(epochs=args.epochs, seed=args.seed, fold=args.fold or "", judge_epochs=args.judge_epochs,
                             learning_rate=args.learning_rate, batch_size=args.batch_size)
    card = run(Path(args.out) if args.out else MODEL_DIR, Path(args.questions) if args.questions else TRAINING_SET,
               settings, index_dir=Path(args.index) if args.index else None, limit=args.limit)
    print(json.dumps({k: card[k] for k in ("questions", "examples", "examples_by_kind", "data_hash", "training",
                                         "judge_training")}))
    return 0


def cmd_bench(args) -> int:
    from ..devtools.bench import main as bench_main

    return bench_main(args)


_RAW = argparse.RawDescriptionHelpFormatter

EPILOG_MAIN = """\
examples:
  cda ask "What does the Budapest Convention say about preserving data?"
  cda ask --json "What is the 24/7 network?"
  cda serve                                   # web chat on http://127.0.0.1:7860
  cda index build                             # after adding documents to corpus/
  cda eval evals/gold.jsonl --out runs/gold   # score a question set

exit status: 0 ok; 1 error (message on stderr); 2 index built but some files
failed; 3 another build of the same index is running.
Run `cda COMMAND --help` for each command; contracts: docs/contracts.md."""

EPILOG_INDEX = """\
examples:
  cda index build             # incremental: only added or changed documents
  cda index build --full      # re-read and re-chunk every document
  cda index status            # what the index holds; has the corpus changed?"""

EPILOG_BUILD = """\
examples:
  cda index build
  cda index build --full
  cda index build --json >>logs/index-build.jsonl
  cda index build --corpus corpus --corpus /data/more-docs --index /srv/cda/index
  cda index build --ray 10.0.0.5:6379     # on a Ray cluster (workers see the same corpus paths)

exit status: 0 every file indexed; 2 the index was built but some files
failed (listed with their reasons; an incremental build keeps the version
indexed before); 3 another build of the same index holds index/.build.lock
(nothing done); 1 any other error."""

EPILOG_STATUS = """\
examples:
  cda index status
  cda index status --json
  cda index status --index /srv/cda/index --corpus /srv/cda/corpus

Reads the manifest only (it does not verify the index files)."""

EPILOG_ASK = """\
examples:
  cda ask "What does the Budapest Convention say about preserving data?"
  cda ask --json "What is the 24/7 network?"
  cda ask --type treaty "What does Article 2(4) of the UN Charter prohibit?"
  cda ask --jurisdiction "United States" --year-min 2015 "How does the US deter cyber attacks?"
  cda ask --file UN_Charter_1945_en.md "What does Article 51 say?"
  cda ask --k 8 --json "What do the UN resolutions say about confidence-building measures?"

Filters combine (AND); repeated --type, --jurisdiction or --file values are
alternatives (OR). Types and jurisdictions match case-insensitively."""

EPILOG_EVAL = """\
examples:
  cda eval evals/gold.jsonl --out runs/gold
  cda eval evals/gold.jsonl --out runs/gold --baseline
  cda eval evals/unseen.jsonl --out runs/unseen --baseline ensemble
  cda eval evals/gold.jsonl --out runs/check --thresholds evals/thresholds.json
  cda eval evals/unseen.jsonl --out runs/unseen
  cda eval compare runs/before runs/after
  cda eval sweep evals/gold.jsonl evals/heldout.jsonl --set max_sentences=3,4 --out runs/sweep
  cda eval from-feedback feedback/feedback.jsonl --out runs/fb

A scored run writes results.jsonl, metrics.json, report.md and report.html
to --out (required). Exit status 1 when --thresholds is given and a metric
is out of bounds. A sweep answers each set once per combination of the
answer settings given (--set NAME=V1,V2, repeatable), retrieval held fixed."""

EPILOG_SERVE = """\
examples:
  cda serve                                  # http://127.0.0.1:7860
  cda serve --port 8080
  cda serve --host 0.0.0.0 --auth alice:s3cret
  CDA_AUTH=alice:s3cret cda serve --host 0.0.0.0

Builds the index first when there is none (a few minutes). A host other
than loopback needs --auth USER:PASSWORD (or $CDA_AUTH) unless --no-auth."""

EPILOG_BENCH = """\
examples:
  cda bench
  cda bench --json --scale 100000 --scale 1000000 --repeats 3

Takes about 10-15 minutes with --scale 1000000; progress on stderr, and with
--json the JSON object is the last line of stdout (docs/scaling.md)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cda", description="Cyber Diplomacy Assistant: cited answers over "
                                     "cyber diplomacy documents, offline.", epilog=EPILOG_MAIN, formatter_class=_RAW)
    sub = parser.add_subparsers(dest="command", required=True)

    def add_index_arg(p, corpus=False):
        p.add_argument("--index", help="index folder (default: the project's index/, or $CDA_INDEX)")
        if corpus:
            p.add_argument("--corpus", action="append",
                           help="corpus folder, repeatable (default: the project's corpus/, or $CDA_CORPUS)")

    index = sub.add_parser("index", help="build or inspect the index", description="Build or inspect the index.",
                           epilog=EPILOG_INDEX, formatter_class=_RAW).add_subparsers(dest="index_command",
                                                                                     required=True)
    build = index.add_parser("build", help="build or update the index (incremental by default)",
                             description="Build or update the index of the corpus folders (incremental by default).",
                             epilog=EPILOG_BUILD, formatter_class=_RAW)
    add_index_arg(build, corpus=True)
    build.add_argument("--full", action="store_true", help="re-read and re-chunk every document")
    build.add_argument("--json", action="store_true", help="print the build report as JSON")
    build.add_argument("--ray", metavar="ADDRESS",
                       help="load, chunk and embed on a Ray cluster (\"auto\", HOST:6379 or ray://HOST:10001; "
                            "needs pip install -e '.[ray]'); publishes the same index a local build would")
    build.set_defaults(func=cmd_index_build)
    catalog = index.add_parser("catalog", help="suggested catalog rows for documents whose metadata was read "
                               "from the documents", description="Write a catalog.csv row for every indexed document "
                               "whose metadata (title, symbol, date, year, type, publisher, jurisdiction) was read from "
                               "the document itself rather than given by the catalog, for an operator to review.")
    add_index_arg(catalog)
    catalog.add_argument("--out", help="write the rows to this CSV file (default: standard output)")
    catalog.set_defaults(func=cmd_index_catalog)
    status = index.add_parser("status", help="what the index holds; whether the corpus changed since",
                              description="What the index holds, and which corpus files were added, changed "
                              "or removed since it was built.", epilog=EPILOG_STATUS, formatter_class=_RAW)
    add_index_arg(status, corpus=True)
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(func=cmd_index_status)

    ask = sub.add_parser("ask", help="answer one question with citations",
                         description="Answer one question from the indexed documents, with citations.",
                         epilog=EPILOG_ASK, formatter_class=_RAW)
    ask.add_argument("question", help="the question (quote it)")
    add_index_arg(ask)
    ask.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--type", action="append", help="filter: document type (repeatable)")
    ask.add_argument("--jurisdiction", action="append", help="filter: jurisdiction (repeatable)")
    ask.add_argument("--year-min", type=int, help="filter: documents of this year or later")
    ask.add_argument("--year-max", type=int, help="filter: documents of this year or earlier")
    ask.add_argument("--file", action="append", help="filter: document file name (repeatable)")
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="score retrieval and answers on a question set",
                        description="Score retrieval and answers on a question set (JSONL), compare two "
                        "runs, or turn thumbs-down feedback into draft cases.", epilog=EPILOG_EVAL,
                        formatter_class=_RAW)
    ev.add_argument("args", nargs="+", help="QUESTIONS.jsonl | compare RUN_A RUN_B | from-feedback LOG.jsonl | "
                                             "sweep QUESTIONS.jsonl [...] --set NAME=V1,V2")
    add_index_arg(ev)
    ev.add_argument("--k", type=int, default=5, help="passages per question (default 5)")
    ev.add_argument("--out", help="output folder for results, metrics and report")
    ev.add_argument("--thresholds", help="fail (exit 1) when a metric falls below these (JSON file)")
    ev.add_argument("--baseline", nargs="?", const="tutorial", choices=["tutorial", "ensemble"], default=None,
                    help="also run a LangChain baseline: 'tutorial' (the default: 1000-character splits, FAISS) "
                         "or 'ensemble' (BM25 + FAISS EnsembleRetriever, 800/120 splits, title prefixed)")
    ev.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2", dest="sweep",
                    help="sweep: an answer setting and the values to try (repeatable)")
    ev.add_argument("--judge", action="store_true",
                    help="also score faithfulness with the configured LLM (CDA_LLM) as judge")
    ev.set_defaults(func=cmd_eval)

    db = sub.add_parser("db", help="the shared database (CDA_DATABASE_URL): schema upgrade and status",
                        description="Bring the PostgreSQL schema for feedback, exported conversations and "
                        "evaluation runs up to date (run once per release, before starting replicas).",
                        epilog="Examples:\n  CDA_DATABASE_URL=postgresql://cda@db:5432/cda cda db upgrade\n"
                        "  cda db status", formatter_class=_RAW).add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply the schema migrations not yet applied").set_defaults(func=cmd_db)
    db.add_parser("status", help="the schema version").set_defaults(func=cmd_db)

    serve = sub.add_parser("serve", help="run the web chat",
                           description="Run the web chat (the same as `python app.py`).", epilog=EPILOG_SERVE,
                           formatter_class=_RAW)
    add_index_arg(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument("--auth", help="USER:PASSWORD required to log in (or $CDA_AUTH)")
    serve.add_argument("--no-auth", action="store_true",
                       help="allow a non-loopback host without authentication (not recommended)")
    serve.set_defaults(func=cmd_serve)

    train = sub.add_parser("train", help="fine-tune the embedding model on the training questions",
                           description="Fine-tune the bundled embedding model on training/questions.jsonl (question "
                           "-> evidence sentence and question -> passage, hard negatives mined from an index built "
                           "with the base model), then as the judge of the answerer's own candidates (mined from an index built with the "
                           "first stage's model), and write it with its model card. Seeded: the same data and "
                           "settings give the same weights.")
    train.add_argument("--out", help="model folder to write (default: models/cda-minilm-cyber, the shipped model)")
    train.add_argument("--questions", help="training questions (default: training/questions.jsonl)")
    train.add_argument("--index", help="index to mine hard negatives from (default: one built with the base model)")
    train.add_argument("--fold", help="K/N: train on the questions of every document but the K-th of N groups "
                       "(cross-validation by document)")
    train.add_argument("--epochs", type=int, default=1)
    train.add_argument("--judge-epochs", type=int, default=0,
                       help="epochs of the second stage, on the answerer's own candidates (0: first stage only)")
    train.add_argument("--seed", type=int, default=13)
    train.add_argument("--learning-rate", type=float, default=2e-5)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--limit", type=int, help="only the first N questions (a quick check)")
    train.set_defaults(func=cmd_train)
    bench = sub.add_parser("bench", help="speed, memory and scale figures",
                           description="Speed, memory and scale figures, against the LangChain tutorial "
                           "pipeline measured in the same run.", epilog=EPILOG_BENCH, formatter_class=_RAW)
    bench.add_argument("--json", action="store_true", help="print the results as one JSON object")
    bench.add_argument("--scale", type=int, action="append", default=[],
                       help="search scale point in chunks, repeatable (default 100000)")
    bench.add_argument("--repeats", type=int, default=5, help="repeats per measurement (default 5)")
    bench.add_argument("--cluster", action="store_true",
                       help="instead: answers/s of one replica and of two behind nginx, and PostgreSQL "
                            "feedback writes/s (starts PostgreSQL, replicas and nginx; at most 3 repeats)")
    bench.add_argument("--users", type=int, default=10, help="--cluster: simulated users (default 10)")
    bench.add_argument("--seconds", type=float, default=20, help="--cluster: seconds per load (default 20)")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..ingest import LoadError
    from ..storage import IndexProblem
    from ..storage.records_store import DatabaseError

    try:
        return args.func(args)
    except (IndexProblem, LoadError, DatabaseError, ValueError, FileNotFoundError) as exc:
        print(f"cda: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
