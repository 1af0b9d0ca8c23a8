"""Index builds on a real local Ray cluster (`ray start --head` and two worker nodes, separate
processes; not local mode): the same index as a local build, and a worker killed mid-build."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.devtools.cluster import RayCluster
from assistant.ingest.indexing import build_index
from assistant.storage.store import open_generation

ray = pytest.importorskip("ray", reason="the ray extra (pip install -e '.[ray]'; the test extra has it)")
SLOW_FIXTURES = {"ray_cluster"}  # a cluster of three processes, builds of the whole corpus


@pytest.fixture(scope="module")
def ray_cluster():
    cluster = RayCluster(workers=2)
    try:
        yield cluster.start().address
    finally:
        cluster.stop()


def _same_index(a: Path, b: Path) -> None:
    ga, gb = open_generation(a), open_generation(b)
    assert [(c.id, c.file, c.page, c.section, c.start, c.end, c.text, c.embed_hash) for c in ga.chunks] == \
        [(c.id, c.file, c.page, c.section, c.start, c.end, c.text, c.embed_hash) for c in gb.chunks]
    assert np.allclose(ga.vectors, gb.vectors, atol=1e-5)
    ma, mb = ga.manifest, gb.manifest
    assert (ma.documents, ma.chunking, ma.index_type, ma.chunk_count, ma.embedding_model, ma.dimension) == \
        (mb.documents, mb.chunking, mb.index_type, mb.chunk_count, mb.embedding_model, mb.dimension)


def test_a_ray_build_publishes_the_index_a_local_build_would(ray_cluster, shipped_index, tmp_path, embedder):
    report = build_index(load_settings(index_dir=tmp_path / "index"), embedder=embedder, ray_address=ray_cluster)
    assert not report.failed and report.embedded > 0
    _same_index(shipped_index, tmp_path / "index")
    assert len({n["NodeID"] for n in ray.nodes() if n["Alive"]}) == 3  # head and two workers


def _task_workers() -> list[int]:
    """Ray worker processes running one of the build's tasks (their title is ray::FUNCTION)."""
    out = subprocess.run(["pgrep", "-f", r"^ray::_ray_(embed|load)"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_a_worker_killed_mid_build_is_retried_and_the_build_completes(ray_cluster, shipped_index, tmp_path,
                                                                      embedder):
    result: dict = {}
    build = threading.Thread(target=lambda: result.update(report=build_index(
        load_settings(index_dir=tmp_path / "index"), embedder=embedder, ray_address=ray_cluster)))
    build.start()
    killed = None
    deadline = time.time() + 300
    while killed is None and build.is_alive() and time.time() < deadline:
        busy = _task_workers()
        if busy:
            time.sleep(1.0)  # well inside its task
            try:
                os.kill(busy[0], signal.SIGKILL)
                killed = busy[0]
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    build.join(timeout=900)
    assert killed is not None, "no task worker was seen running"
    assert not build.is_alive() and not result["report"].failed
    _same_index(shipped_index, tmp_path / "index")
