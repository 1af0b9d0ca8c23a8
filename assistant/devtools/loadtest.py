"""Load test of the web app: N concurrent users ask questions for S seconds on loopback.

    python -m assistant.devtools.loadtest --users 20 --seconds 60           # starts `cda serve` on a free port
    python -m assistant.devtools.loadtest --url http://127.0.0.1:7860 ...   # or loads a running app

Each user is its own Gradio session (gradio_client over HTTP, the same API the page uses) and
asks its own questions (disjoint sets of answerable questions from --questions) in a closed
loop. Before the load, every question is asked once alone to record its reference answer;
under load each answer must equal the reference of the question its own user asked (any
mismatch that equals another question's reference is counted as cross-talk). At the end each
session exports its conversation (the per-session state must hold exactly that user's
questions) and gives feedback (the feedback log entry must carry that user's last question).
Bounded: the load stops after --seconds, every request has a --timeout, and a started server
is stopped on exit. Prints a summary and, as the last line, one JSON object; exit status 0
when there were no errors and no cross-talk, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import PROJECT_ROOT, load_settings
from ..storage.records_store import LocalRecords

RESPOND = "/respond"
EXPORT = "/do_export"
THUMBS_UP = "/helpful"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index_dir: Path, log_path: Path, feedback_log: Path, corpus_dirs=None,
                 extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`cda serve` in its own process on a free loopback port; returns (process, url)."""
    port = free_port()
    env = dict(os.environ, CDA_INDEX=str(index_dir), CDA_FEEDBACK_LOG=str(feedback_log), **(extra_env or {}))
    env = {k: v for k, v in env.items() if v is not None}  # None in extra_env removes a variable
    if corpus_dirs:
        env["CDA_CORPUS"] = os.pathsep.join(str(p) for p in corpus_dirs)
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "assistant.app.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=PROJECT_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_until_served(proc: subprocess.Popen | None, url: str, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # served (e.g. 401 behind auth)
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the web app exited with status {proc.returncode}")
            time.sleep(0.5)
    raise RuntimeError(f"the web app at {url} did not answer within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen, ask: Callable[[], object] | None = None, timeout: float = 20) -> None:
    """Asks a running server to stop (`ask`, by default SIGTERM), waits, and kills it if it has not."""
    if proc.poll() is None:
        (ask or proc.terminate)()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _text(content) -> str:
    """The text a message shows (the answer's [n] markers are links into the sources panel)."""
    if isinstance(content, list):
        content = " ".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    elif isinstance(content, dict):
        content = content.get("text", "")
    return re.sub(r"<[^>]+>", "", str(content))


def client(url: str, cookie: str = ""):
    """A Gradio session; behind the proxy, with the affinity cookie a browser would carry
    (gradio_client keeps no cookies of its own)."""
    from gradio_client import Client

    from ..app.webapp import process_folder

    return Client(url, verbose=False, analytics_enabled=False, headers={"Cookie": cookie} if cookie else None,
                  download_files=str(process_folder("cda-loadtest-downloads-")))  # one folder for all users


def ask(c, question: str, timeout: float) -> tuple[str, str, str]:
    """One question in a fresh conversation of this session; returns (user text, answer, sources HTML)."""
    chat, sources, _box = c.submit(question, [], api_name=RESPOND).result(timeout=timeout)
    if len(chat) != 2 or chat[0]["role"] != "user" or chat[1]["role"] != "assistant":
        raise AssertionError(f"unexpected conversation shape: {[m.get('role') for m in chat]}")
    return _text(chat[0]["content"]), _text(chat[1]["content"]), sources


def cited_files(sources_html: str) -> list[str]:
    current = sources_html.split("<details class='cda-earlier'>")[0]  # not the earlier answers' sources
    return re.findall(r"open ([^<]+?)(?: at page \d+)?</a>", current)


@dataclass
class Reference:
    answer: str
    files: list[str]


@dataclass
class UserResult:
    user: int
    questions: list[str]  # this user's own questions
    session: object = None  # its gradio_client session
    cookie: str = ""  # the proxy's affinity cookie, when the user goes through one
    asked: list[str] = field(default_factory=list)  # questions answered correctly, in order
    in_session: list[str] = field(default_factory=list)  # ... in its present session
    retried: list[str] = field(default_factory=list)  # requests that failed in flight, asked again
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cross_talk: list[str] = field(default_factory=list)
    session_check: str = ""


def load_question_pool(path: Path) -> list[str]:
    from .evaluation import load_questions

    return list(dict.fromkeys(q.question for q in load_questions(path) if q.answerable))


def references_for(url: str, pool: list[str], needed: int, timeout: float, log=print,
                   cookie: str = "") -> dict[str, Reference]:
    """Each question asked once alone; keeps questions whose answer is unique and not an abstention."""
    c = client(url, cookie)
    refs: dict[str, Reference] = {}
    seen_answers: dict[str, str] = {}
    for q in pool:
        _, answer, sources = ask(c, q, timeout)
        if "do not answer" in answer.lower() or "could not answer" in answer.lower() or not answer.strip():
            continue
        if answer in seen_answers:  # two questions with one answer could not tell cross-talk apart
            refs.pop(seen_answers[answer], None)
            continue
        seen_answers[answer] = q
        refs[q] = Reference(answer, cited_files(sources))
        if len(refs) >= needed:
            break
    log(f"reference answers recorded for {len(refs)} questions")
    return refs


def _user_loop(url: str, refs: dict[str, Reference], by_answer: dict[str, str],
               stop_at: float, timeout: float, think: float, result: UserResult, retry: bool = False) -> None:
    questions = result.questions
    try:
        c = result.session = client(url, result.cookie)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        result.errors.append(f"connect: {type(exc).__name__}: {exc}")
        return
    i = 0
    while time.time() < stop_at:
        q = questions[i % len(questions)]
        i += 1
        started = time.perf_counter()
        try:
            user_text, answer, sources = ask(c, q, timeout)
        except Exception as exc:  # noqa: BLE001 - a failed request is a counted error, or retried once
            if not retry:
                result.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            # As a browser would: a new session (the proxy sends it to a replica that answers), the
            # question asked again. Its conversation starts afresh there.
            result.retried.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            try:
                c = result.session = client(url, result.cookie)
                result.in_session = []
                started = time.perf_counter()
                user_text, answer, sources = ask(c, q, timeout)
            except Exception as exc2:  # noqa: BLE001
                result.errors.append(f"after a retry: {type(exc2).__name__}: {str(exc2)[:200]}")
                continue
        result.latencies.append(time.perf_counter() - started)
        result.in_session.append(q)  # a turn of this session, right or wrong
        ref = refs[q]
        if user_text != q:
            result.cross_talk.append(f"asked {q!r}, the conversation shows {user_text!r}")
        elif answer != ref.answer:
            other = by_answer.get(answer)
            if other is not None:
                result.cross_talk.append(f"asked {q!r}, got the answer to {other!r}")
            else:
                result.errors.append(f"answer to {q!r} differs from its reference: {answer[:120]!r}")
        elif cited_files(sources) != ref.files:
            result.cross_talk.append(f"asked {q!r}, sources panel cites {cited_files(sources)} not {ref.files}")
        else:
            result.asked.append(q)
        if think:
            time.sleep(think)


def _check_session(result: UserResult, timeout: float, proxied: bool = False) -> None:
    """The session's own state (its turns) holds this user's questions and no one else's. Behind
    the proxy, a session whose replica died goes on afresh on another one, with or without a
    failed request: its turns are then the latest of the user's, in order."""
    c = result.session
    if c is None:
        result.session_check = "no session"
        return
    try:
        path = c.submit(api_name=EXPORT).result(timeout=timeout)
        path = path.get("value", path) if isinstance(path, dict) else path
        text = Path(path).read_text(encoding="utf-8")
    except Exception as exc:  # noqa: BLE001
        result.session_check = f"export failed: {type(exc).__name__}: {exc}"
        return
    asked = re.findall(r"^\*\*Q:\*\* (.*)$", text, re.M)
    foreign = sorted(set(asked) - set(result.questions))
    mine = [q for q in asked if q in set(result.in_session)]
    if foreign:
        result.cross_talk.append(f"session export holds other users' questions: {foreign[:3]}")
        result.session_check = "foreign turns"
    elif proxied:
        latest = asked and asked == result.in_session[-len(asked):]
        result.session_check = "ok" if latest else f"export's turns are not the user's latest: {asked[-3:]}"
        if not latest:
            result.errors.append(result.session_check)
    elif len(mine) < len(result.in_session):
        result.session_check = f"export holds {len(mine)} of {len(result.in_session)} turns"
        result.errors.append(result.session_check)
    else:
        result.session_check = "ok"


def _give_feedback(result: UserResult, timeout: float) -> str | None:
    try:
        note, _ = result.session.submit(f"loadtest user {result.user}", api_name=THUMBS_UP).result(timeout=timeout)
        return note
    except Exception as exc:  # noqa: BLE001
        return f"feedback failed: {type(exc).__name__}: {exc}"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def run(url: str, users: int, seconds: float, pool: list[str], timeout: float = 120, think: float = 0.0,
        records=None, log=print, proxied: bool = False, events: list[tuple[float, Callable[[], None]]] = ()) -> dict:
    """`records`: where the app keeps feedback (a RecordStore), to check each user's entry is there
    once. `proxied`: users carry the proxy's affinity cookie and ask a failed question once more
    (counted as retried, not as an error). `events`: (seconds after the start, action) during the
    load, such as killing a replica."""
    refs = references_for(url, pool, needed=max(users * 3, users), timeout=timeout, log=log,
                          cookie=f"cda_replica=references-{uuid.uuid4().hex}" if proxied else "")
    if len(refs) < users:
        raise ValueError(f"only {len(refs)} questions have a distinct, non-abstaining answer; need {users}")
    questions = list(refs)
    per_user = [questions[u::users] for u in range(users)]
    by_answer = {r.answer: q for q, r in refs.items()}
    results = [UserResult(u, per_user[u], cookie=f"cda_replica=loadtest-{u}-{uuid.uuid4().hex}" if proxied else "")
               for u in range(users)]
    feedback_before = {e["id"] for e in records.feedback()} if records is not None else set()
    log(f"{users} users asking for {seconds:.0f} s against {url}")
    started = time.time()
    stop_at = started + seconds
    threads = [threading.Thread(target=_user_loop, daemon=True,
                                args=(url, refs, by_answer, stop_at, timeout, think, results[u], proxied))
               for u in range(users)]
    timers = [threading.Timer(at, action) for at, action in events]
    for t in threads + timers:
        t.start()
    for t in threads:  # bounded: the last request of a user may take at most `timeout` (twice if retried)
        t.join(timeout=max(0.0, stop_at + (2 if proxied else 1) * timeout + 10 - time.time()))
    for t in timers:  # one not yet started is dropped; one running (a rebuild) is waited for
        t.cancel()
        t.join(timeout=timeout)
    wall = time.time() - started
    stuck = [u for u, t in enumerate(threads) if t.is_alive()]
    for u in stuck:
        results[u].errors.append("still waiting for an answer after the deadline")

    # Per-session state, then feedback: all users at once, but one request at a time on a session
    # (as a person clicks), since concurrent jobs on one gradio_client share its event stream and
    # one of them may be cancelled when the other's stream closes.
    notes: dict[int, str | None] = {}

    def check_then_feedback(r: UserResult) -> None:
        _check_session(r, timeout, proxied)
        if r.in_session and r.session is not None:
            notes[r.user] = _give_feedback(r, timeout)

    after = [threading.Thread(target=check_then_feedback, args=(results[u],), daemon=True)
             for u in range(users) if u not in stuck]
    for t in after:
        t.start()
    for t in after:
        t.join(timeout=2 * timeout + 10)
    feedback = _check_feedback(records, feedback_before, results, notes)

    latencies = [x for r in results for x in r.latencies]
    errors = [f"user {r.user}: {e}" for r in results for e in r.errors] + feedback["errors"]
    cross = [f"user {r.user}: {e}" for r in results for e in r.cross_talk] + feedback["cross_talk"]
    summary = {
        "url": url, "users": users, "seconds": seconds, "wall_seconds": round(wall, 1),
        "requests": len(latencies) + sum(len(r.errors) for r in results),
        "answered": len(latencies), "correct": sum(len(r.asked) for r in results),
        "errors": len(errors), "cross_talk": len(cross), "retried": sum(len(r.retried) for r in results),
        "throughput_per_s": round(len(latencies) / wall, 2) if wall else 0.0,
        "latency_s": {"p50": round(percentile(latencies, 50), 3), "p95": round(percentile(latencies, 95), 3),
                      "p99": round(percentile(latencies, 99), 3),
                      "mean": round(statistics.fmean(latencies), 3) if latencies else None,
                      "max": round(max(latencies), 3) if latencies else None},
        "per_user_requests": [len(r.latencies) for r in results],
        "sessions_ok": sum(r.session_check == "ok" for r in results),
        "feedback_entries_checked": feedback["checked"],
        "distinct_questions": len(questions),
        "error_samples": errors[:10], "cross_talk_samples": cross[:10],
        "retried_samples": [f"user {r.user}: {e}" for r in results for e in r.retried][:5],
    }
    return summary


def _check_feedback(records, before: set[str], results: list[UserResult], notes: dict) -> dict:
    """Each user who gave feedback has exactly one new entry, for its own last question."""
    out = {"checked": 0, "errors": [], "cross_talk": []}
    for u, note in notes.items():
        if not note or not note.startswith("Thanks"):
            out["errors"].append(f"user {u}: feedback not recorded ({note})")
    if records is None:
        return out
    per_user: dict[int, int] = {}
    for e in records.feedback():
        m = re.fullmatch(r"loadtest user (\d+)", e.get("comment", ""))
        if e["id"] in before or not m:
            continue
        r = results[int(m.group(1))]
        per_user[r.user] = per_user.get(r.user, 0) + 1
        out["checked"] += 1
        if not r.in_session or e["question"] != r.in_session[-1]:
            out["cross_talk"].append(f"user {r.user}: feedback recorded for {e['question']!r}, "
                                     f"its last question was {(r.in_session or [None])[-1]!r}")
    recorded = {u for u, n in notes.items() if n and n.startswith("Thanks")}
    out["errors"] += [f"user {u}: no feedback entry recorded" for u in sorted(recorded - set(per_user))]
    out["errors"] += [f"user {u}: {n} feedback entries for one click" for u, n in sorted(per_user.items()) if n > 1]
    return out


def format_summary(s: dict) -> str:
    lat = s["latency_s"]
    return "\n".join([
        f"load: {s['users']} users for {s['seconds']:.0f} s (wall {s['wall_seconds']} s) against {s['url']}",
        f"requests {s['requests']}, answered {s['answered']}, correct {s['correct']}, errors {s['errors']}, "
        f"cross-talk {s['cross_talk']}, retried {s['retried']}; {s['throughput_per_s']} answers/s",
        f"latency s: p50 {lat['p50']}, p95 {lat['p95']}, p99 {lat['p99']}, max {lat['max']}",
        f"sessions with exactly their own turns: {s['sessions_ok']}/{s['users']}; "
        f"feedback entries checked: {s['feedback_entries_checked']}",
        *[f"  error: {e}" for e in s["error_samples"]],
        *[f"  cross-talk: {e}" for e in s["cross_talk_samples"]],
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.devtools.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help="load a running app instead of starting one")
    parser.add_argument("--index", help="index for the started app (default: the project's index/, or $CDA_INDEX)")
    parser.add_argument("--questions", default=str(PROJECT_ROOT / "evals" / "gold.jsonl"),
                        help="question set (JSONL); answerable questions are dealt out to the users")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one answer may take")
    parser.add_argument("--think", type=float, default=0.0, help="pause between a user's questions (s)")
    args = parser.parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    pool = load_question_pool(Path(args.questions))
    proc = None
    feedback_log = None
    try:
        if args.url:
            url = args.url.rstrip("/")
        else:
            index = Path(args.index) if args.index else load_settings().index_dir
            work = Path(tempfile.mkdtemp(prefix="cda-loadtest-"))
            feedback_log = work / "feedback.jsonl"
            proc, url = start_server(index, work / "server.log", feedback_log)
            log(f"starting the web app on {url} (log: {work / 'server.log'})")
            wait_until_served(proc, url)
        records = LocalRecords(feedback_log) if feedback_log else None
        summary = run(url, args.users, args.seconds, pool, args.timeout, args.think, records, log)
    finally:
        if proc is not None:
            stop_server(proc)
    print(format_summary(summary))
    print(json.dumps(summary))
    return 0 if summary["errors"] == 0 and summary["cross_talk"] == 0 and summary["answered"] else 1


if __name__ == "__main__":
    sys.exit(main())
