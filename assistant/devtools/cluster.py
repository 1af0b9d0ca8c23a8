"""A replicated set-up on one machine, for tests, benchmarks and trying it out: a PostgreSQL
server, N `cda serve` replicas over one index, and nginx in front (deploy/nginx.conf).

    python -m assistant.devtools.cluster nginx-config --listen 8080 --replica 127.0.0.1:7861 \\
        --replica 127.0.0.1:7862 > cda.conf      # deploy/nginx.conf for these replicas
    python -m assistant.devtools.cluster up --replicas 2   # PostgreSQL + replicas + nginx, until Ctrl-C

Each server runs from Debian's packages (postgresql, nginx) in a temporary directory of its own,
on free loopback ports, and is stopped on exit.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import PROJECT_ROOT
from .loadtest import free_port, start_server, stop_server, wait_until_served

NGINX_CONF = PROJECT_ROOT / "deploy" / "nginx.conf"


class ServiceMissing(RuntimeError):
    """A server program is not installed; the message names the package."""


def nginx_config(listen: str, replicas: list[str], template: Path = NGINX_CONF) -> str:
    """deploy/nginx.conf with its listen address and replica list replaced."""
    text = template.read_text(encoding="utf-8")
    servers = "\n".join(f"        server {r} max_fails=1 fail_timeout=10s;" for r in replicas)
    text, n = re.subn(r"(# @@REPLICAS@@\n).*?(\n\s*# @@END REPLICAS@@)", lambda m: m.group(1) + servers + m.group(2),
                      text, flags=re.S)
    listen = listen if ":" in listen else f"127.0.0.1:{listen}"
    text, m = re.subn(r"listen [^;]+;(\s*# @@LISTEN@@)", lambda x: f"listen {listen};" + x.group(1), text)
    if n != 1 or m != 1:
        raise ValueError(f"{template}: the replica and listen markers were not found")
    return text


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--"] + cmd if os.geteuid() == 0 else cmd


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name) else [])
    if not found:
        raise ServiceMissing(f"{name} not found: apt-get install postgresql")
    return found[-1]


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster on a free loopback port (trust authentication, loopback only),
    in a new directory of /tmp (the `postgres` user, which runs it when we are root, must reach it)."""
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cda-pg-")))
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/cda"

    def start(self) -> "PostgresServer":
        data = self.work / "pgdata"
        self.work.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
        init = subprocess.run(_as_postgres_user([_postgres_bin("initdb"), "-D", str(data), "--auth=trust",
                                                 "-U", "postgres", "--no-sync", "-E", "UTF8"]),
                              capture_output=True, text=True)
        if init.returncode:
            raise RuntimeError(f"initdb failed in {data}: {init.stderr.strip()[-500:]}")
        self.port = free_port()
        log = open(self.work / "postgres.log", "w")
        self.proc = subprocess.Popen(_as_postgres_user([
            _postgres_bin("postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.work),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on"]), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            ready = subprocess.run([_postgres_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                   capture_output=True)
            if ready.returncode == 0:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited: see {self.work / 'postgres.log'}")
            time.sleep(0.3)
        else:
            raise RuntimeError("PostgreSQL did not start within 60 s")
        subprocess.run([_postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "cda"],
                       check=True, capture_output=True)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            # pg_ctl, not a signal to our child: as root the child is runuser, which does not pass
            # signals on, and a test run would leave its servers behind.
            stop_server(self.proc, lambda: subprocess.run(_as_postgres_user([
                _postgres_bin("pg_ctl"), "stop", "-D", str(self.work / "pgdata"), "-m", "fast", "-w"]),
                capture_output=True, timeout=60), timeout=30)


@dataclass
class NginxProxy:
    work: Path
    replicas: list[str]
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "NginxProxy":
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise ServiceMissing("nginx not found: apt-get install nginx")
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.work / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # workers run as nobody and write request bodies there
            for p in [self.work / "tmp", *(self.work / "tmp").iterdir()]:
                os.chmod(p, 0o777)
        self.port = free_port()
        conf = self.work / "nginx.conf"
        conf.write_text(nginx_config(str(self.port), self.replicas), encoding="utf-8")
        log = open(self.work / "nginx.log", "w")
        self.proc = subprocess.Popen([nginx, "-p", str(self.work), "-c", str(conf), "-g", "daemon off;"],
                                     stdout=log, stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.proc is not None:  # SIGQUIT: graceful, in-flight requests finish
            stop_server(self.proc, lambda: self.proc.send_signal(signal.SIGQUIT))


@dataclass
class Cluster:
    """PostgreSQL (optional), `replicas` web apps over `index_dir`, nginx in front."""
    index_dir: Path
    replicas: int = 2
    database: bool = True
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cda-cluster-")))
    postgres: PostgresServer | None = None
    servers: list = field(default_factory=list)  # (process, url) per replica
    proxy: NginxProxy | None = None

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def database_url(self) -> str:
        return self.postgres.url if self.postgres else ""

    def start(self) -> "Cluster":
        env = {}
        if self.database:
            self.postgres = PostgresServer().start()
            env["CDA_DATABASE_URL"] = self.postgres.url
            subprocess.run([sys.executable, "-m", "assistant.app.cli", "db", "upgrade"], cwd=PROJECT_ROOT,
                           env=dict(os.environ, **env), check=True, capture_output=True)
        for i in range(self.replicas):
            self.servers.append(start_server(self.index_dir, self.work / f"replica-{i}.log",
                                             self.work / f"feedback-{i}.jsonl", extra_env=env))
        for proc, url in self.servers:
            wait_until_served(proc, url)
            # The first /healthz opens the index and loads the model (seconds on a busy machine):
            # each replica is warm before the proxy sends it users.
            _get(url + "/healthz", timeout=180)
        self.proxy = NginxProxy(self.work / "nginx", [url.removeprefix("http://") for _, url in self.servers]).start()
        wait_until_served(self.proxy.proc, self.proxy.url + "/healthz", timeout=60)
        return self

    def kill_replica(self, i: int) -> None:
        """SIGKILL: the replica dies with whatever it was doing."""
        proc, _ = self.servers[i]
        proc.kill()
        proc.wait()

    def stop(self) -> None:
        if self.proxy:
            self.proxy.stop()
        for proc, _ in self.servers:
            stop_server(proc)
        if self.postgres:
            self.postgres.stop()
            shutil.rmtree(self.postgres.work, ignore_errors=True)  # a throwaway database

    def __enter__(self) -> "Cluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _ray_cli() -> str:
    """The `ray` command of this environment (installed beside this Python by the ray extra)."""
    return shutil.which("ray") or str(Path(sys.executable).parent / "ray")


@dataclass
class RayCluster:
    """A local Ray cluster of separate processes: a head that schedules nothing (0 CPUs) and
    `workers` worker nodes of one CPU each, so every task runs on a worker node."""
    workers: int = 2
    address: str = ""

    def start(self) -> "RayCluster":
        ray = _ray_cli()
        if not Path(ray).exists():
            raise ServiceMissing("ray not found: pip install -e '.[ray]'")
        env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        subprocess.run([ray, "start", "--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=false",
                        "--disable-usage-stats"], env=env, check=True, capture_output=True, timeout=180)
        for _ in range(self.workers):
            subprocess.run([ray, "start", f"--address={self.address}", "--num-cpus=1"], env=env, check=True,
                           capture_output=True, timeout=180)
        return self

    def stop(self) -> None:
        """Disconnects this process and stops the Ray processes of this machine."""
        try:
            import ray as ray_module

            if ray_module.is_initialized():
                ray_module.shutdown()
        except ImportError:
            pass
        subprocess.run([_ray_cli(), "stop", "--force"], env=dict(os.environ, RAY_USAGE_STATS_ENABLED="0"),
                       capture_output=True, timeout=180)


def bench_ray_build(settings, repeats: int = 3, workers: int = 2, log=print) -> dict:
    """Chunks/s of a full build of the corpus: in this process, and on a local Ray cluster of
    `workers` one-CPU worker nodes, alternated (medians and their ratio)."""
    from ..ingest.indexing import build_index
    from ..storage.embedding import Embedder

    embedder = Embedder(settings.model_path, settings.embed_batch_size)
    local, on_ray = [], []
    cluster = RayCluster(workers).start()
    try:
        for r in range(repeats):
            for label, address, out in (("local", None, local), ("ray", cluster.address, on_ray)):
                work = Path(tempfile.mkdtemp(prefix="cda-bench-build-"))
                report = build_index(replace(settings, index_dir=work / "index"), embedder=embedder,
                                     ray_address=address)
                out.append(round(report.chunks / report.seconds, 1))
                shutil.rmtree(work, ignore_errors=True)
            log(f"repeat {r + 1}: local build {local[-1]} chunks/s, Ray ({workers} workers) {on_ray[-1]} chunks/s")
    finally:
        cluster.stop()
    median = statistics.median
    return {"build_local_chunks_per_s": median(local), "build_ray_chunks_per_s": median(on_ray),
            "build_ray_over_local": round(median(on_ray) / median(local), 2), "ray_workers": workers,
            "build_runs": {"local": local, "ray": on_ray}}


def _write_rate(records, writes: int, threads: int = 4) -> float:
    """Feedback entries written per second by `threads` writers (each write as the app does it)."""
    import threading

    def write(t: int):
        for i in range(t, writes, threads):
            records.add_feedback({"id": f"bench-{uuid.uuid4().hex}", "rating": "up", "question": f"q{i}",
                                  "answer": "a", "citations": []})

    started = time.perf_counter()
    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return writes / (time.perf_counter() - started)


def bench(index_dir: Path, users: int = 10, seconds: float = 20, repeats: int = 3, log=print) -> dict:
    """Answers per second of one replica asked directly and of two behind nginx, alternated in the
    same run (medians and their ratio), feedback writes per second to PostgreSQL and to the local
    log, and a full build locally and on Ray. On a 2-core machine the two replicas (and the two
    Ray workers) share the cores that one process would use."""
    from ..storage.records_store import LocalRecords, PostgresRecords
    from .loadtest import load_question_pool, run

    pool = load_question_pool(PROJECT_ROOT / "evals" / "gold.jsonl")
    one, two = [], []
    with Cluster(index_dir, replicas=2) as cluster:
        for r in range(repeats):
            direct = run(cluster.servers[0][1], users, seconds, pool, log=lambda m: None)
            proxied = run(cluster.url, users, seconds, pool, proxied=True, log=lambda m: None)
            one.append(direct["throughput_per_s"])
            two.append(proxied["throughput_per_s"])
            log(f"repeat {r + 1}: one replica {one[-1]} answers/s, two behind nginx {two[-1]} answers/s "
                f"(p95 {direct['latency_s']['p95']} s / {proxied['latency_s']['p95']} s; "
                f"errors {direct['errors']} / {proxied['errors']})")
        db_rate = [_write_rate(PostgresRecords(cluster.database_url), 400) for _ in range(repeats)]
        local_rate = [_write_rate(LocalRecords(cluster.work / "bench-feedback.jsonl"), 400) for _ in range(repeats)]
    from ..config import load_settings

    build = bench_ray_build(load_settings(index_dir=index_dir), repeats=repeats, log=log)
    median = statistics.median
    return build | {"users": users, "seconds": seconds, "repeats": repeats, "cores": os.cpu_count(),
            "one_replica_answers_per_s": median(one), "two_replicas_nginx_answers_per_s": median(two),
            "two_over_one": round(median(two) / median(one), 2) if median(one) else None,
            "postgres_feedback_writes_per_s": round(median(db_rate), 1),
            "local_log_feedback_writes_per_s": round(median(local_rate), 1),
            "runs": {"one": one, "two": two, "postgres": db_rate, "local": local_rate}}


def _get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.devtools.cluster", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conf = sub.add_parser("nginx-config", help="print deploy/nginx.conf for these replicas")
    conf.add_argument("--listen", default="127.0.0.1:8080")
    conf.add_argument("--replica", action="append", required=True, help="HOST:PORT of a `cda serve` (repeat)")
    up = sub.add_parser("up", help="PostgreSQL, replicas and nginx on this machine until Ctrl-C")
    up.add_argument("--replicas", type=int, default=2)
    up.add_argument("--index", default=str(PROJECT_ROOT / "index"))
    up.add_argument("--no-database", action="store_true", help="replicas keep feedback in local files")
    args = parser.parse_args(argv)
    if args.command == "nginx-config":
        sys.stdout.write(nginx_config(args.listen, args.replica))
        return 0
    with Cluster(Path(args.index), args.replicas, database=not args.no_database) as cluster:
        print(f"proxy: {cluster.url}  replicas: {[u for _, u in cluster.servers]}  "
              f"database: {cluster.database_url or 'local files'}  (work: {cluster.work})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
