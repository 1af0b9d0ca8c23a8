"""Adding one document to a running corpus (the web app's upload): the file is copied into the
first corpus folder and indexed by the same incremental build as `cda index build`; its metadata,
as read or corrected, is written to that folder's catalog.csv.

A file that fails to index is taken back out of the corpus and its reason returned; the published
index is never touched by a failed or interrupted build (builds publish atomically)."""
from __future__ import annotations

import csv
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..records import DocumentMeta
from .indexing import BuildReport, build_index
from .loading import CATALOG_FIELDS, CATALOG_NAME, SUPPORTED_SUFFIXES

MAX_DOCUMENT_BYTES = 50_000_000


class AddError(Exception):
    """An upload that cannot be added; the message says why."""


@dataclass
class Added:
    file: str
    report: BuildReport
    meta: DocumentMeta | None  # None when the file failed to index

    @property
    def error(self) -> str:
        return next((f["error"] for f in self.report.failed if f["file"] == self.file), "")


def safe_name(name: str) -> str:
    """A corpus file name from an uploaded one: no folders, no hidden files, plain characters."""
    base = Path(name).name
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._") or "document"
    return f"{stem}{suffix.lower()}"


def add_document(settings: Settings, uploaded: Path, name: str | None = None) -> Added:
    """Copy an uploaded file into the corpus and index it incrementally; raises AddError for a file
    of the wrong type or size, returns the build's reason for one that cannot be indexed."""
    uploaded = Path(uploaded)
    file = safe_name(name or uploaded.name)
    if Path(file).suffix not in SUPPORTED_SUFFIXES:
        raise AddError(f"{file}: only {', '.join(SUPPORTED_SUFFIXES)} files can be added")
    size = uploaded.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise AddError(f"{file}: {size} bytes is over the {MAX_DOCUMENT_BYTES} byte limit")
    corpus = Path(settings.corpus_dirs[0])
    target = corpus / file
    replaced = target.exists()
    backup = target.with_name(f".{file}.previous") if replaced else None
    if backup:
        shutil.copy2(target, backup)
    tmp = target.with_name(f".{file}.uploading")
    shutil.copyfile(uploaded, tmp)
    os.replace(tmp, target)
    try:
        report = build_index(settings)
    except BaseException:
        _restore(target, backup)
        raise
    added = Added(file, report, None)
    if added.error:
        _restore(target, backup)  # the index kept its last good version (or never had one)
        return added
    if backup:
        backup.unlink()
    from ..storage.store import open_generation

    added.meta = open_generation(Path(settings.index_dir), verify=False).documents.get(file)
    return added


def _restore(target: Path, backup: Path | None) -> None:
    if backup is not None:
        os.replace(backup, target)
    else:
        target.unlink(missing_ok=True)


def write_catalog_row(corpus_dir: Path, file: str, values: dict[str, str]) -> None:
    """Add or update the catalog row of `file` with the given fields (others kept), atomically; the
    catalog gains the optional columns it lacks."""
    path = Path(corpus_dir) / CATALOG_NAME
    rows, fields = [], ["file", *CATALOG_FIELDS]
    if path.exists():
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or []) or fields
            rows = list(reader)
    fields += [f for f in ("file", *CATALOG_FIELDS) if f not in fields]
    clean = {k: " ".join(str(v).split()) for k, v in values.items() if k in CATALOG_FIELDS}
    for row in rows:
        if row.get("file") == file:
            row.update(clean)
            break
    else:
        rows.append({"file": file} | clean)
    tmp = path.with_name(f".{CATALOG_NAME}.{os.getpid()}")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def correct_metadata(settings: Settings, file: str, values: dict[str, str]) -> Added:
    """Write corrected metadata to the catalog and rebuild: the document is re-indexed with it."""
    write_catalog_row(Path(settings.corpus_dirs[0]), file, values)
    report = build_index(settings)
    from ..storage.store import open_generation

    return Added(file, report, open_generation(Path(settings.index_dir), verify=False).documents.get(file))
