"""A replicated deployment, for real: PostgreSQL and nginx from Debian's packages, `cda serve`
replicas as separate processes, simulated users over HTTP through the proxy (gradio_client)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from assistant.config import PROJECT_ROOT
from assistant.devtools.cluster import Cluster
from assistant.devtools.loadtest import format_summary, load_question_pool, run
from assistant.storage.records_store import PostgresRecords

pytestmark = pytest.mark.slow  # servers, a minute of traffic each
POOL = load_question_pool(PROJECT_ROOT / "evals" / "gold.jsonl")
USERS = int(os.environ.get("CDA_CLUSTER_USERS", "20"))
SECONDS = float(os.environ.get("CDA_CLUSTER_SECONDS", "60"))


def _generation(url: str) -> str:
    with urllib.request.urlopen(url + "/healthz", timeout=30) as r:
        return json.loads(r.read())["generation"]


def test_users_keep_their_conversations_when_a_replica_is_killed(shipped_index):
    with Cluster(shipped_index, replicas=2) as cluster:
        db = PostgresRecords(cluster.database_url)
        summary = run(cluster.url, USERS, SECONDS, POOL, timeout=120, records=db, proxied=True,
                      events=[(SECONDS / 2, lambda: cluster.kill_replica(0))])
        print(format_summary(summary))
        assert cluster.servers[0][0].poll() is not None  # it was killed mid-run
        # No question failed but those in flight on the killed replica, each asked again once.
        assert summary["errors"] == 0, summary["error_samples"]
        assert summary["cross_talk"] == 0, summary["cross_talk_samples"]
        assert 1 <= summary["retried"] <= USERS, summary["retried_samples"]
        assert summary["correct"] == summary["answered"] and min(summary["per_user_requests"]) >= 2
        # Each session holds only its user's latest turns; each user's feedback is in PostgreSQL once.
        assert summary["sessions_ok"] == USERS
        assert summary["feedback_entries_checked"] == USERS == db.count("feedback")
        assert db.count("conversation_exports") == USERS  # each session's export, kept in the database too


def test_replicas_follow_a_rebuild_without_restarting_or_dropping_questions(small_settings, embedder):
    from assistant.ingest.indexing import build_index

    build_index(small_settings, embedder=embedder)
    with Cluster(small_settings.index_dir, replicas=2, database=False) as cluster:
        before = {_generation(url) for _, url in cluster.servers}
        env = dict(os.environ, CDA_CORPUS=str(small_settings.corpus_dirs[0]), CDA_INDEX=str(small_settings.index_dir))
        builds = []

        def rebuild():  # a full rebuild publishes a new generation of the same content
            builds.append(subprocess.run([sys.executable, "-m", "assistant.app.cli", "index", "build", "--full"],
                                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600))

        summary = run(cluster.url, 4, 40, POOL, timeout=120, proxied=True, events=[(3, rebuild)])
        print(format_summary(summary))
        assert builds and builds[0].returncode == 0, builds and builds[0].stderr[-2000:]
        after = {_generation(url) for _, url in cluster.servers}
        assert len(before) == len(after) == 1 and before != after  # both moved to the new generation
        assert (small_settings.index_dir / "CURRENT").read_text().strip() in after
        assert summary["errors"] == 0 and summary["retried"] == 0, summary["error_samples"]
        assert summary["cross_talk"] == 0 and summary["answered"] >= 8
