"""What users and trainers write: feedback, exported conversations, evaluation runs.

Local files by default (the feedback log JSONL beside the app; exports and runs where they are
written). With CDA_DATABASE_URL set, PostgreSQL instead, shared by every serving replica, so
nothing a user writes lives on one replica's disk. `cda db upgrade` brings its schema up to date.

Every entry carries an `id`, unique in the store: a write repeated after a lost reply (a replica
killed between the commit and the answer, a proxy retrying the request elsewhere) is kept once.
"""
from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Protocol

# The schema, one step per version; `cda db upgrade` applies those not yet recorded, each in its
# own transaction, so an interrupted upgrade resumes where it stopped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE feedback (
        id TEXT PRIMARY KEY,
        created TIMESTAMPTZ NOT NULL DEFAULT now(),
        rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
        question TEXT NOT NULL,
        entry JSONB NOT NULL
    );
    CREATE TABLE conversation_exports (
        id TEXT PRIMARY KEY,
        created TIMESTAMPTZ NOT NULL DEFAULT now(),
        markdown TEXT NOT NULL
    );
    CREATE TABLE eval_runs (
        id TEXT PRIMARY KEY,
        created TIMESTAMPTZ NOT NULL DEFAULT now(),
        questions TEXT NOT NULL,
        metrics JSONB NOT NULL,
        settings JSONB NOT NULL,
        rows JSONB NOT NULL
    );
    """,
]


class DatabaseError(RuntimeError):
    """The shared database cannot be used; the message says what to do."""


class RecordStore(Protocol):
    def add_feedback(self, entry: dict) -> str: ...
    def feedback(self) -> list[dict]: ...
    def add_export(self, markdown: str, export_id: str | None = None) -> str: ...
    def add_eval_run(self, questions: str, metrics: dict, settings: dict, rows: list[dict],
                     run_id: str | None = None) -> str: ...


def _with_id(entry: dict) -> dict:
    return entry if entry.get("id") else {**entry, "id": uuid.uuid4().hex}


class LocalRecords:
    """Feedback appended to a JSONL log (one line per entry, an entry seen before is not appended
    again); exports and evaluation runs stay the files their callers write."""

    def __init__(self, feedback_log: Path):
        self.feedback_log = Path(feedback_log)
        self._lock = threading.Lock()
        self._ids: set[str] = set()  # ids in the log when it had _size bytes (re-read if it grew elsewhere)
        self._size = -1

    def _known_ids(self) -> set[str]:
        size = self.feedback_log.stat().st_size if self.feedback_log.exists() else 0
        if size != self._size:
            self._ids = {e["id"] for e in self.feedback()}
            self._size = size
        return self._ids

    def add_feedback(self, entry: dict) -> str:
        entry = _with_id(entry)
        with self._lock:
            if entry["id"] in self._known_ids():
                return entry["id"]
            self.feedback_log.parent.mkdir(parents=True, exist_ok=True)
            with open(self.feedback_log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._ids.add(entry["id"])
            self._size = self.feedback_log.stat().st_size
        return entry["id"]

    def feedback(self) -> list[dict]:
        return list(read_feedback_log(self.feedback_log))

    def add_export(self, markdown: str, export_id: str | None = None) -> str:
        return export_id or uuid.uuid4().hex  # the user's download is the export; nothing more is kept

    def add_eval_run(self, questions: str, metrics: dict, settings: dict, rows: list[dict],
                     run_id: str | None = None) -> str:
        return run_id or uuid.uuid4().hex  # written to the run directory by the caller


def read_feedback_log(path: Path):
    """Entries of a feedback log; a line that is not JSON is reported (file and line) and skipped."""
    import sys

    if not Path(path).exists():
        return
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            print(f"{path}:{number}: skipped, not valid JSON", file=sys.stderr)
            continue
        yield entry if entry.get("id") else {**entry, "id": f"line-{number}"}


class PostgresRecords:
    """The same records in PostgreSQL (psycopg 3), one short connection per write: a replica holds
    no connection state that its death could leave half-used."""

    def __init__(self, url: str):
        try:
            import psycopg  # noqa: F401 - imported here so the error names the missing install
        except ImportError as exc:
            raise DatabaseError("CDA_DATABASE_URL is set but psycopg is not installed: "
                                "pip install -e '.[cluster]'") from exc
        self.url = url

    def _connect(self):
        import psycopg

        try:
            return psycopg.connect(self.url, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise DatabaseError(f"cannot reach the database at CDA_DATABASE_URL ({_redacted(self.url)}): "
                                f"{str(exc).strip()}") from exc

    @staticmethod
    def _version(conn) -> int:
        """The schema version recorded in the database; 0 before the first upgrade."""
        if conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        return conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]

    def schema_version(self) -> int:
        with self._connect() as conn:
            return self._version(conn)

    def upgrade(self) -> tuple[int, int]:
        """Applies the migrations not yet recorded; returns (version before, version after). Two
        replicas upgrading at once serialise on an advisory lock."""
        with self._connect() as conn:
            conn.execute("SELECT pg_advisory_lock(824311)")
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                conn.commit()
                before = self._version(conn)
                for version, sql in enumerate(MIGRATIONS, start=1):
                    if version <= before:
                        continue
                    with conn.transaction():
                        conn.execute(sql)
                        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
            finally:
                conn.execute("SELECT pg_advisory_unlock(824311)")
                conn.commit()
        return before, len(MIGRATIONS)

    def _check_schema(self, conn) -> None:
        version = self._version(conn)
        if version < len(MIGRATIONS):
            raise DatabaseError(f"the database schema is at version {version}, this software needs "
                                f"{len(MIGRATIONS)}: run `cda db upgrade`")

    def add_feedback(self, entry: dict) -> str:
        from psycopg.types.json import Jsonb

        entry = _with_id(entry)
        with self._connect() as conn:
            self._check_schema(conn)
            conn.execute("INSERT INTO feedback (id, rating, question, entry) VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (id) DO NOTHING",
                         (entry["id"], entry.get("rating", ""), entry.get("question", ""), Jsonb(entry)))
        return entry["id"]

    def feedback(self) -> list[dict]:
        with self._connect() as conn:
            self._check_schema(conn)
            return [row[0] for row in conn.execute("SELECT entry FROM feedback ORDER BY created, id")]

    def add_export(self, markdown: str, export_id: str | None = None) -> str:
        export_id = export_id or uuid.uuid4().hex
        with self._connect() as conn:
            self._check_schema(conn)
            conn.execute("INSERT INTO conversation_exports (id, markdown) VALUES (%s, %s) "
                         "ON CONFLICT (id) DO NOTHING", (export_id, markdown))
        return export_id

    def add_eval_run(self, questions: str, metrics: dict, settings: dict, rows: list[dict],
                     run_id: str | None = None) -> str:
        from psycopg.types.json import Jsonb

        run_id = run_id or uuid.uuid4().hex
        with self._connect() as conn:
            self._check_schema(conn)
            conn.execute("INSERT INTO eval_runs (id, questions, metrics, settings, rows) "
                         "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                         (run_id, questions, Jsonb(metrics), Jsonb(settings), Jsonb(rows)))
        return run_id

    def count(self, table: str) -> int:
        if table not in {"feedback", "conversation_exports", "eval_runs"}:
            raise ValueError(f"no such table: {table}")
        with self._connect() as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - checked name


def _redacted(url: str) -> str:
    """The URL without its password, for error messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def open_records(database_url: str, feedback_log: Path) -> RecordStore:
    """PostgreSQL when a database URL is configured, else the local files."""
    return PostgresRecords(database_url) if database_url else LocalRecords(feedback_log)
