"""Records users and trainers write (feedback, exports, evaluation runs): local files by default,
a real PostgreSQL server (Debian's package, started for these tests) when CDA_DATABASE_URL is set."""
import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

from assistant.config import PROJECT_ROOT
from assistant.devtools.cluster import PostgresServer, nginx_config
from assistant.storage.records_store import DatabaseError, LocalRecords, PostgresRecords, open_records


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()
    shutil.rmtree(server.work, ignore_errors=True)


def _entry(i: int, rating: str = "down") -> dict:
    return {"id": f"entry-{i}", "rating": rating, "question": f"Question {i}?", "answer": "An answer. [1]",
            "abstained": False, "comment": "", "citations": [{"n": 1, "file": "UN_Charter_1945_en.md"}]}


def _cda(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.app.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_local_feedback_log_keeps_an_entry_once_and_reports_bad_lines(tmp_path, capsys):
    log = tmp_path / "feedback" / "feedback.jsonl"
    records = LocalRecords(log)
    records.add_feedback(_entry(1))
    records.add_feedback(_entry(1))  # the same click again (a retried request)
    records.add_feedback({k: v for k, v in _entry(2).items() if k != "id"})  # given an id
    with open(log, "a") as fh:
        fh.write("{not json\n")
    entries = records.feedback()
    assert [e["question"] for e in entries] == ["Question 1?", "Question 2?"]
    assert entries[1]["id"] and entries[1]["id"] != "entry-1"
    assert f"{log}:3: skipped" in capsys.readouterr().err


def test_without_a_database_url_records_stay_in_local_files(tmp_path):
    assert isinstance(open_records("", tmp_path / "fb.jsonl"), LocalRecords)


def test_postgres_refuses_work_until_the_schema_is_upgraded(postgres):
    db = PostgresRecords(postgres.url)
    with pytest.raises(DatabaseError, match="cda db upgrade"):
        db.add_feedback(_entry(0))
    assert db.upgrade() == (0, 1)
    assert db.upgrade() == (1, 1)  # idempotent
    assert db.schema_version() == 1


def test_postgres_keeps_each_feedback_entry_once_under_concurrent_writers(postgres):
    db = PostgresRecords(postgres.url)
    db.upgrade()
    before = db.count("feedback")
    # 8 writers, each writing 10 entries and then repeating them (replies lost, requests retried).
    def write(w: int):
        for rep in range(2):
            for i in range(10):
                db.add_feedback(_entry(1000 + w * 10 + i, "up" if i % 2 else "down"))
    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.count("feedback") - before == 80
    stored = {e["id"]: e for e in db.feedback()}
    assert stored["entry-1003"]["citations"][0]["file"] == "UN_Charter_1945_en.md"


def test_a_writer_killed_mid_write_loses_no_acknowledged_entry(postgres):
    """A replica SIGKILLed while writing: every write it acknowledged is stored, whole; at most the
    one in flight is missing (never half-written)."""
    PostgresRecords(postgres.url).upgrade()
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "from assistant.storage.records_store import PostgresRecords\n"
        "db = PostgresRecords(sys.argv[1])\n"
        "for i in range(100000):\n"
        "    db.add_feedback({'id': f'killed-{i}', 'rating': 'down', 'question': f'Q{i}?', 'citations': []})\n"
        "    print(i, flush=True)\n"), postgres.url], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    acked = []
    for line in writer.stdout:
        acked.append(int(line))
        if len(acked) >= 150:
            writer.kill()
            break
    writer.wait()
    acked += [int(line) for line in writer.stdout.read().split()]
    stored = {e["id"]: e for e in PostgresRecords(postgres.url).feedback() if e["id"].startswith("killed-")}
    assert {f"killed-{i}" for i in acked} <= set(stored)
    assert len(stored) - len(acked) <= 1
    assert all(e["question"] == f"Q{e['id'].split('-')[1]}?" for e in stored.values())


def test_postgres_stores_exports_and_evaluation_runs(postgres):
    db = PostgresRecords(postgres.url)
    db.upgrade()
    db.add_export("**Q:** What is the 24/7 network?\n", export_id="x1")
    db.add_export("**Q:** What is the 24/7 network?\n", export_id="x1")
    run = db.add_eval_run("evals/gold.jsonl", {"hit@5": 0.97}, {"k": 5}, [{"id": "q1", "scores": {"rr": 1.0}}])
    assert db.count("conversation_exports") == 1 and db.count("eval_runs") == 1 and run


def test_cda_eval_stores_its_run_in_the_database(postgres, small_settings, embedder, tmp_path):
    from assistant.ingest.indexing import build_index

    build_index(small_settings, embedder=embedder)
    questions = tmp_path / "two.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in [
        {"id": "t1", "question": "Which principles bind the members of the organisation under its charter?",
         "answer": "", "sources": ["UN_Charter_1945_en.md"], "evidence": [], "answerable": True},
        {"id": "t2", "question": "What is the recipe for a lemon tart?", "answer": "", "sources": [],
         "evidence": [], "answerable": False}]))
    db = PostgresRecords(postgres.url)
    db.upgrade()
    before = db.count("eval_runs")
    env = dict(os.environ, CDA_DATABASE_URL=postgres.url, CDA_INDEX=str(small_settings.index_dir),
               CDA_CORPUS=str(small_settings.corpus_dirs[0]))
    run = _cda("eval", str(questions), "--out", str(tmp_path / "run"), env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert db.count("eval_runs") == before + 1 and (tmp_path / "run" / "metrics.json").exists()


def test_unreachable_database_is_named_without_its_password():
    db = PostgresRecords("postgresql://cda:s3cret@127.0.0.1:1/cda")
    with pytest.raises(DatabaseError) as err:
        db.feedback()
    assert "127.0.0.1:1" in str(err.value) and "s3cret" not in str(err.value)


def test_cli_upgrades_the_schema_and_drafts_cases_from_database_feedback(postgres, tmp_path):
    env = dict(os.environ, CDA_DATABASE_URL=postgres.url)
    up = _cda("db", "upgrade", env=env)
    assert up.returncode == 0 and "version" in up.stdout, up.stderr
    PostgresRecords(postgres.url).add_feedback(_entry(7, "down") | {"comment": "wrong article"})
    out = _cda("eval", "from-feedback", "--out", str(tmp_path), env=env)
    assert out.returncode == 0, out.stderr
    cases = [json.loads(line) for line in (tmp_path / "draft_cases.jsonl").read_text().splitlines()]
    assert {"question": "Question 7?", "comment": "wrong article"}.items() <= next(
        c for c in cases if c["id"] == "feedback-entry-7").items()
    bad = _cda("db", "status", env=dict(os.environ, CDA_DATABASE_URL="postgresql://x:pw@127.0.0.1:1/cda"))
    assert bad.returncode == 1 and "cannot reach the database" in bad.stderr and "pw@" not in bad.stderr


def test_nginx_config_lists_the_replicas_and_nginx_accepts_it(tmp_path):
    text = nginx_config("9090", ["127.0.0.1:7001", "10.0.0.2:7860"])
    assert "listen 127.0.0.1:9090;" in text
    assert "server 127.0.0.1:7001 max_fails=1" in text and "server 10.0.0.2:7860 max_fails=1" in text
    assert "server 127.0.0.1:7861" not in text and "hash $cda_affinity consistent" in text
    (tmp_path / "nginx.conf").write_text(text)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True)
    check = subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-t", "-p", str(tmp_path), "-c",
                            str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
