"""Load: concurrent users on the real web app over HTTP (CI-sized; the full run is
`python -m assistant.devtools.loadtest --users 20 --seconds 60`, figures in the README)."""
from __future__ import annotations

import os

import pytest

from assistant.config import PROJECT_ROOT
from assistant.storage.records_store import LocalRecords
from assistant.devtools.loadtest import (UserResult, _user_loop, format_summary, load_question_pool, references_for, run,
                                start_server, stop_server, wait_until_served)

USERS = int(os.environ.get("CDA_LOAD_USERS", "5"))
SECONDS = float(os.environ.get("CDA_LOAD_SECONDS", "15"))
POOL = load_question_pool(PROJECT_ROOT / "evals" / "gold.jsonl")
pytestmark = pytest.mark.slow  # a real server over the shipped index, minutes of traffic


@pytest.fixture(scope="module")
def load_app(shipped_index, tmp_path_factory):
    work = tmp_path_factory.mktemp("load")
    proc, url = start_server(shipped_index, work / "server.log", work / "feedback.jsonl")
    try:
        wait_until_served(proc, url)
        yield url, work / "feedback.jsonl"
    finally:
        stop_server(proc)


def test_concurrent_users_get_their_own_answers_without_errors(load_app):
    url, feedback = load_app
    summary = run(url, USERS, SECONDS, POOL, timeout=120, records=LocalRecords(feedback))
    print(format_summary(summary))
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["cross_talk"] == 0, summary["cross_talk_samples"]
    assert all(n >= 2 for n in summary["per_user_requests"]), summary["per_user_requests"]
    assert summary["correct"] == summary["answered"]
    assert summary["sessions_ok"] == USERS and summary["feedback_entries_checked"] == USERS
    assert summary["wall_seconds"] < SECONDS + 130  # bounded: it stops by itself
    assert summary["latency_s"]["p95"] < 30


def test_cross_talk_check_catches_a_swapped_answer(load_app):
    """The checker itself: with two references swapped, every answer counts as cross-talk."""
    url, _ = load_app
    refs = references_for(url, POOL, needed=2, timeout=120)
    (q1, r1), (q2, r2) = list(refs.items())[:2]
    swapped = {q1: r2, q2: r1}
    result = UserResult(0, [q1, q2])
    import time

    _user_loop(url, swapped, {r.answer: q for q, r in swapped.items()}, time.time() + 3, 120, 0.0, result)
    assert result.latencies and not result.asked
    assert len(result.cross_talk) == len(result.latencies)
    assert all("got the answer to" in c for c in result.cross_talk)
