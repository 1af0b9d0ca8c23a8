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
        report = build_index(settings, full=args.full, progress=sys.stderr.isatty() and not args.json)
    except BuildLocked as exc:
        print(f"cda: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    if args.json:
        data = report.as_dict()
        print(json.dumps({k: data[k] for k in ("added", "changed", "removed", "unchanged", "failed", "chunks",
                                               "seconds")} | {"embedded": data["embedded"],
                                                               "notices": data["notices"]}))
    else:
        print(f"index: {settings.index_dir}")
        print(f"added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
              f"unchanged {report.unchanged}, failed {len(report.failed)}; {report.chunks} chunks "
              f"({report.embedded} embedded) in {report.seconds:.1f} s")
        for f in report.failed:
            print(f"  FAILED {f['file']}: {f['error']}")
        for notice in report.notices:
            print(f"  note: {notice}")
    return report.exit_status


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

    assistant = Assistant(_settings(args))
    answer = assistant.ask(args.question, k=args.k, filters=_filters(args))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.answer)
    if answer.citations:
        print()
        for c in answer.citations:
            where = ", ".join(x for x in (f"p. {c.page}" if c.page else "", c.section) if x)
            print(f"[{c.n}] {c.title} ({c.file}{', ' + where if where else ''})")
    return 0


def cmd_eval(args) -> int:
    from ..devtools.evaluation import main as eval_main

    return eval_main(args)


def cmd_serve(args) -> int:
    from .webapp import serve

    return serve(_settings(args), host=args.host, port=args.port, auth=args.auth,
                 allow_unauthenticated=args.no_auth)


def cmd_bench(args) -> int:
    from ..devtools.bench import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cda", description="Cyber Diplomacy Assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    def add_index_arg(p, corpus=False):
        p.add_argument("--index", help="index folder (default: the project's index/, or $CDA_INDEX)")
        if corpus:
            p.add_argument("--corpus", action="append",
                           help="corpus folder, repeatable (default: the project's corpus/, or $CDA_CORPUS)")

    index = sub.add_parser("index", help="build or inspect the index").add_subparsers(dest="index_command",
                                                                                      required=True)
    build = index.add_parser("build", help="build or update the index (incremental by default)")
    add_index_arg(build, corpus=True)
    build.add_argument("--full", action="store_true", help="re-read and re-chunk every document")
    build.add_argument("--json", action="store_true", help="print the build report as JSON")
    build.set_defaults(func=cmd_index_build)
    status = index.add_parser("status", help="what the index holds; whether the corpus changed since")
    add_index_arg(status, corpus=True)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_index_status)

    ask = sub.add_parser("ask", help="answer one question with citations")
    ask.add_argument("question")
    add_index_arg(ask)
    ask.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--type", action="append", help="filter: document type (repeatable)")
    ask.add_argument("--jurisdiction", action="append", help="filter: jurisdiction (repeatable)")
    ask.add_argument("--year-min", type=int)
    ask.add_argument("--year-max", type=int)
    ask.add_argument("--file", action="append", help="filter: document file name (repeatable)")
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="score retrieval and answers on a question set")
    ev.add_argument("args", nargs="+", help="QUESTIONS.jsonl | compare RUN_A RUN_B | from-feedback LOG.jsonl")
    add_index_arg(ev)
    ev.add_argument("--k", type=int, default=5)
    ev.add_argument("--out", help="output folder for results, metrics and report")
    ev.add_argument("--thresholds", help="fail (exit 1) when a metric falls below these (JSON file)")
    ev.add_argument("--baseline", action="store_true", help="also run the LangChain tutorial baseline")
    ev.add_argument("--judge", action="store_true",
                    help="also score faithfulness with the configured LLM (CDA_LLM) as judge")
    ev.set_defaults(func=cmd_eval)

    serve = sub.add_parser("serve", help="run the web chat")
    add_index_arg(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--auth", help="USER:PASSWORD required to log in (or $CDA_AUTH)")
    serve.add_argument("--no-auth", action="store_true",
                       help="allow a non-loopback host without authentication (not recommended)")
    serve.set_defaults(func=cmd_serve)

    bench = sub.add_parser("bench", help="speed, memory and scale figures")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--scale", type=int, action="append", default=[])
    bench.add_argument("--repeats", type=int, default=5)
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..storage import IndexProblem

    try:
        return args.func(args)
    except (IndexProblem, ValueError, FileNotFoundError) as exc:
        print(f"cda: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
