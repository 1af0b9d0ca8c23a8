"""Web chat (Gradio) over the Python API: cited answers, sources panel, filters, feedback, export.

The page and the /source route are served by one FastAPI app on 127.0.0.1 by default.
/source serves only documents the index holds, resolved inside the corpus folders.
"""
from __future__ import annotations

import atexit
import hashlib
import html
import ipaddress
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Callable
from urllib.parse import quote

from fastapi import Request  # module level: FastAPI resolves the route's string annotations here

from ..config import PROJECT_ROOT, Settings, web_auth, web_uploads
from ..records import pages_label
from ..storage.records_store import open_records

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .. import Assistant

EXAMPLES = [
    "What does the Budapest Convention say about preserving data?",
    "What are the pillars of the US National Cybersecurity Strategy 2023?",
    "What is cyber diplomacy?",
    "What does the Paris Call ask stakeholders to do?",
]
EVALS_DIR = PROJECT_ROOT / "evals"
# Files offered for download (a table as CSV, a conversation, an evaluation run) are written to one
# folder per process and removed after this long: Gradio serves its own copy of each, and a server
# running for weeks must not leave a folder in /tmp for every click.
DOWNLOAD_MAX_AGE_SECONDS = 3600
_FOLDERS: dict[str, Path] = {}  # a cache: prefix -> this process's temporary folder


def process_folder(prefix: str) -> Path:
    """A temporary folder for this process, the same on every call with `prefix`, removed when the
    process exits (and, in `serve`, when it is stopped by SIGTERM)."""
    if prefix not in _FOLDERS:
        _FOLDERS[prefix] = Path(tempfile.mkdtemp(prefix=prefix))
    return _FOLDERS[prefix]


@atexit.register
def remove_process_folders() -> None:
    for root in _FOLDERS.values():
        shutil.rmtree(root, ignore_errors=True)
    _FOLDERS.clear()


def _exit_on_signal(signum: int, frame) -> None:
    """Remove this process's folders, then end as the signal would have ended it (an exit through
    SystemExit would wait for the worker threads)."""
    remove_process_folders()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def new_download(name: str, now: float | None = None) -> Path:
    """A fresh path for a file offered for download, in a folder of its own under this process's
    downloads folder (so that its name can be the one the user sees); folders older than
    DOWNLOAD_MAX_AGE_SECONDS are removed first."""
    root = process_folder("cda-downloads-")
    now = time.time() if now is None else now
    for old in root.iterdir():
        try:
            if now - old.stat().st_mtime > DOWNLOAD_MAX_AGE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:  # another request removed it first
            pass
    folder = root / uuid.uuid4().hex
    folder.mkdir()
    return folder / name


MAX_UPLOAD_BYTES = 2_000_000


def shipped_question_sets() -> list[str]:
    return sorted(p.name for p in EVALS_DIR.glob("*.jsonl")) if EVALS_DIR.is_dir() else []


def validate_upload(uploaded) -> Path:
    """Uploads are bounded in size and type, and must parse as a question set."""
    from ..devtools.evaluation import load_questions

    path = Path(uploaded if isinstance(uploaded, str) else uploaded.name)
    if path.suffix.lower() != ".jsonl":
        raise ValueError(f"{path.name}: upload a .jsonl question set")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ValueError(f"{path.name}: {path.stat().st_size} bytes is over the {MAX_UPLOAD_BYTES} byte limit")
    load_questions(path)  # raises ValueError naming the line and field
    return path


def evaluate_to_zip(assistant, settings: Settings, questions_path: Path, progress=None):
    """Run a question set; return (metrics Markdown, zip download update, report HTML)."""
    import gradio as gr

    from ..devtools.evaluation import METRIC_ORDER, load_questions, run_eval, save_run

    questions = load_questions(questions_path)
    out = new_download("run")
    if progress is not None:
        progress(0, desc=f"evaluating {len(questions)} questions")
    rows, metrics = run_eval(assistant, questions, k=settings.retrieval.k)
    save_run(out, rows, metrics, {"k": settings.retrieval.k, "backend": assistant.backend,
                                  "questions": questions_path.name}, settings)
    archive = shutil.make_archive(str(out), "zip", out)
    table = "| metric | value |\n|---|---|\n" + "\n".join(
        f"| {k} | {metrics.get(k) if metrics.get(k) is not None else '–'} |" for k in METRIC_ORDER)
    report_md = (out / "report.md").read_text(encoding="utf-8")
    worst = report_md[report_md.find("## Worst questions"):] if "## Worst questions" in report_md else ""
    report_html = "<pre style='white-space:pre-wrap'>" + html.escape(worst[:20000]) + "</pre>"
    return (f"**{questions_path.name}**: {len(questions)} questions\n\n{table}",
            gr.update(value=archive, visible=True), report_html)


def ensure_index(settings: Settings) -> None:
    """Build the index first when none exists, or rebuild it when an earlier version of the
    software chunked it otherwise (an upgrade): progress on the console. A damaged index or one
    built with another model is not rebuilt behind the operator's back: its error is shown."""
    from ..storage import IndexMismatch, IndexMissing, IndexProblem, open_generation

    index_dir = Path(settings.index_dir)
    try:
        # Without a model to compare, only the format and the chunk settings are checked.
        open_generation(index_dir, chunking=settings.chunk.as_dict(), verify=False)
        return
    except IndexMismatch:
        why = f"The index in {index_dir} was built by an earlier version: rebuilding it"
    except IndexMissing:
        why = f"No index in {index_dir} yet: building it"
    except IndexProblem:  # damaged: opening it reports the problem and the fix
        return
    from ..ingest import build_index

    print(f"{why} from {', '.join(map(str, settings.corpus_dirs))} (a few minutes)...", file=sys.stderr, flush=True)
    report = build_index(settings, progress=True)
    print(f"Index built: {report.chunks} chunks in {report.seconds:.0f} s; "
          f"{len(report.failed)} file(s) failed.", file=sys.stderr, flush=True)


def resolve_source(settings: Settings, documents: dict, name: str) -> Path | None:
    """The corpus file for a document name, or None: only indexed documents, only inside
    a corpus folder after resolving symlinks, never a path given by the client."""
    if name not in documents or "/" in name or "\\" in name or name.startswith("."):
        return None
    for corpus in settings.corpus_dirs:
        root = Path(corpus).resolve()
        for candidate in (Path(corpus) / name, *Path(corpus).rglob(name)):
            try:
                real = candidate.resolve(strict=True)
            except (FileNotFoundError, RuntimeError):
                continue
            if real.is_file() and real.is_relative_to(root) and candidate.name == name:
                return real
    return None


def source_link(file: str, page: int | None, chunk_text: str = "", quote_text: str = "") -> str:
    if file.lower().endswith(".pdf"):
        if page and quote_text:  # the cited page, the quote highlighted on it
            return f"/page/{quote(file)}/{page}?q={quote(' '.join(quote_text.split())[:4000])}"
        return f"/source/{quote(file)}" + (f"#page={page}" if page else "")
    q = quote(" ".join(quote_text.split())[:4000])  # the whole quote, to be marked whole
    return f"/source/{quote(file)}?q={q}"


_MD_HEADING_LINE = re.compile(r"^[ \t]*#{1,6}[ \t]*(.*?)[ \t#]*$", re.M)


def _mark_headings(passage: str) -> str:
    """Markdown heading lines as \x01heading\x02: they survive escaping and whitespace folding (an
    excerpt is folded to one line) and are never in a quote; _highlight shows them as headings."""
    return _MD_HEADING_LINE.sub(lambda m: f"\x01{m.group(1)}\x02" if m.group(1) else "", passage)


def _highlight(passage: str, sentences: list[str]) -> str:
    """The passage as one paragraph with the quoted sentences marked; Markdown headings inside
    it are shown as headings on their own line, not as '###' run into the text."""
    esc = html.escape(" ".join(_mark_headings(passage).split()))
    for sentence in sentences:
        target = html.escape(" ".join(sentence.split()))
        if target and target in esc:
            esc = esc.replace(target, f"<mark>{target}</mark>", 1)
    return esc.replace("\x01", "<br><b>").replace("\x02", "</b><br>").removeprefix("<br>")


def _around_quotes(passage: str, quotes: list[str], margin: int = 160) -> str | None:
    """The part of a passage holding its quotes, with up to `margin` characters either side (cut
    at word boundaries), or None when it is the whole passage or a quote is not found in it."""
    folded = " ".join(passage.split())
    spans = []
    for q in quotes:
        at = folded.find(" ".join(q.split()))
        if at < 0:
            return None
        spans.append((at, at + len(" ".join(q.split()))))
    start, end = max(0, min(a for a, _ in spans) - margin), min(len(folded), max(b for _, b in spans) + margin)
    if start == 0 and end == len(folded):
        return None
    start = folded.rfind(" ", 0, start) + 1 if start else 0
    end = folded.find(" ", end) if end < len(folded) and folded.find(" ", end) > 0 else len(folded)
    return ("… " if start else "") + folded[start:end] + (" …" if end < len(folded) else "")


def _quoted_passage(passage: str, quotes: list[str]) -> str:
    """The quotes marked in their surroundings, the whole passage folded below them."""
    passage = _mark_headings(passage)  # before the excerpt folds its lines together
    excerpt = _around_quotes(passage, quotes) if quotes else None
    if excerpt is None:
        return f"<blockquote>{_highlight(passage, quotes)}</blockquote>"
    return (f"<blockquote>{_highlight(excerpt, quotes)}</blockquote>"
            f"<details class='cda-passage'><summary>whole passage</summary>"
            f"<blockquote>{_highlight(passage, quotes)}</blockquote></details>")


def linked_markers(text: str, turn: int = 0) -> str:
    """Each [n] of the answer of turn `turn` as a link that brings its source card into view (_MARKER_JS)."""
    return re.sub(r"\[(\d+)\]", lambda m: f"<a href='#cda-src-{turn}-{m.group(1)}' class='cda-marker'>[{m.group(1)}]</a>",
                  text)


def answer_message(answer: dict, turn: int) -> str:
    """What the chat shows for an answer: a position table (its [n] linked to the source cards, each
    followed by a link opening the document at the cited page), else the answer with linked markers."""
    if answer.get("table"):
        from ..ask.comparison import table_markdown

        by_n = {c["n"]: c for c in answer["citations"]}

        def where(n: int) -> str:
            c = by_n.get(n)
            if not c:
                return ""
            label = pages_label(c.get("page"), c.get("end_page")) or "open"
            return f" <a href='{html.escape(source_link(c['file'], c.get('page'), '', c['quote']))}' " \
                   f"target='_blank' rel='noopener' class='cda-page'>{label}</a>"

        return linked_markers(table_markdown(answer["table"], where=where), turn)
    return answer["answer"] if answer["abstained"] else linked_markers(answer["answer"], turn)


def table_file(answer: dict):
    """A CSV download of the answer's table, or a hidden file component when it has none."""
    import gradio as gr

    from ..ask.comparison import table_csv

    if not answer.get("table"):
        return gr.update(visible=False, value=None)
    path = new_download("comparison.csv")
    path.write_text(table_csv(answer["table"], answer["citations"]), encoding="utf-8")
    return gr.update(value=str(path), visible=True)


def sources_panel(turns: list[dict]) -> str:
    """The last answer's sources, and below them, folded, those of every earlier answer (newest first),
    so a marker of an earlier answer still reaches its source."""
    if not turns:
        return sources_html({})
    earlier = [f"<details class='cda-earlier'><summary>Sources of an earlier answer: "
               f"{html.escape(t.get('question', ''))}</summary>{sources_html(t, i)}</details>"
               for i, t in reversed(list(enumerate(turns[:-1])))]
    return sources_html(turns[-1], len(turns) - 1) + "".join(earlier)


def sources_html(answer: dict, turn: int = 0) -> str:
    if not answer:
        return "<div class='cda-sources'><p>Sources of the answer appear here.</p></div>"
    parts = ["<div class='cda-sources'>"]
    for warning in answer.get("warnings", []):
        if "unavailable" in warning:
            parts.append(f"<p class='cda-warning'><b>Note:</b> {html.escape(warning)}</p>")
    # One card per passage, listing every citation quoted from it: [n], passage, quotes, section.
    cards: list[tuple[list[int], dict, list[str], str]] = []
    references = {c["n"]: c for c in answer.get("citations") or []}
    if answer["abstained"]:
        parts.append("<p><b>The documents are silent on this question.</b> Nearest passages:</p>")
        cards = [([p["rank"]], p, [], p.get("section", "")) for p in answer["retrieved"][:3]]
    else:
        by_key = {(p["file"], p["page"], p["section"]): p for p in answer["retrieved"]}
        for c in answer["citations"]:
            # The passage the quote stands in (on the cited page first: a passage of form-fed text
            # may run over a page break, so its quote can sit on the page after the passage's).
            holding = [p for p in answer["retrieved"] if p["file"] == c["file"]
                       and " ".join(c["quote"].split()) in " ".join(p["text"].split())]
            passage = next((p for p in sorted(holding, key=lambda p: p["page"] != c["page"])),
                           by_key.get((c["file"], c["page"], c["section"])))
            card = next((card for card in cards if passage is not None and card[1] is passage), None)
            if card:
                card[0].append(c["n"])
                card[2].append(c["quote"])
            else:
                cards.append(([c["n"]], passage or {"text": c["quote"], "score": 0.0, **c}, [c["quote"]],
                              c["section"]))
    for ns, p, quotes, section in cards:
        meta = ", ".join(x for x in (p.get("publisher", ""), str(p.get("year", "") or "")) if x and x != "unknown")
        where = ", ".join(x for x in (f"page {p['page']}" if p.get("page") else "", section) if x)
        link = source_link(p["file"], p.get("page"), p.get("text", ""), (quotes or [p.get("text", "")[:200]])[0])
        markers = " ".join(f"[{n}]" for n in ns)
        pdf_link = (f" · <a href='{html.escape(source_link(p['file'], p.get('page')))}' target='_blank' "
                    f"rel='noopener'>PDF</a>") if p["file"].lower().endswith(".pdf") and "/page/" in link else ""
        cite = "".join(f"<div class='cda-reference'>[{n}] {html.escape(references[n]['unit'] + ' · ') if references[n].get('unit') else ''}"
                       f"cite as: <code>{html.escape(references[n].get('reference', ''))}</code></div>"
                       for n in ns if n in references and references[n].get("reference") and not answer["abstained"])
        parts.append(
            f"<div class='cda-source' data-n='{ns[0]}'>"
            f"<div>{''.join(f'<span id=cda-src-{turn}-{n}></span>' for n in ns)}<b>{markers} {html.escape(p.get('title') or p['file'])}</b>"
            f"{' — ' + html.escape(meta) if meta else ''}</div>"
            f"<div class='cda-where'>{html.escape(where)} · relevance {p.get('score', 0):.2f} · "
            f"<a href='{html.escape(link)}' target='_blank' rel='noopener'>open {html.escape(p['file'])}"
            f"{' at page ' + str(p['page']) if p.get('page') else ''}</a>{pdf_link}</div>{cite}"
            f"{_quoted_passage(p.get('text', ''), quotes)}</div>")
    parts.append(_further_html(answer.get("further") or []))
    parts.append("</div>")
    return "\n".join(parts)


def _further_html(further: list[dict]) -> str:
    """Quotes that also answer, left out of the short answer: one click away, folded."""
    if not further:
        return ""
    items = []
    for c in further:
        where = ", ".join(x for x in (c.get("title") or c["file"], pages_label(c.get("page"), c.get("end_page")),
                                      c.get("section", "")) if x)
        link = source_link(c["file"], c.get("page"), c["quote"], c["quote"])
        items.append(f"<li>“{html.escape(' '.join(c['quote'].split()))}” [{c['n']}] — "
                     f"<a href='{html.escape(link)}' target='_blank' rel='noopener'>{html.escape(where)}</a></li>")
    return (f"<details class='cda-further'><summary>More from the sources ({len(further)})</summary>"
            f"<ul>{''.join(items)}</ul></details>")


def export_markdown(turns: list[dict]) -> str:
    lines = ["# Cyber Diplomacy Assistant — conversation", ""]
    for t in turns:
        if t.get("table"):
            from ..ask.comparison import table_markdown

            lines += [f"**Q:** {t['question']}", "", "**A:**", "", table_markdown(t["table"]), ""]
        else:
            lines += [f"**Q:** {t['question']}", "", f"**A:** {t['answer']}", ""]
        for c in t["citations"]:
            where = ", ".join(x for x in (c.get("unit", ""), pages_label(c["page"], c.get("end_page")), c["section"]) if x)
            lines.append(f"- [{c['n']}] {c['title']} (`{c['file']}`{', ' + where if where else ''}): "
                         f"“{' '.join(c['quote'].split())}”" + (f" — cite as: {c['reference']}" if c.get("reference") else ""))
        if t.get("further"):
            lines += ["", "  More from the sources:"]
            lines += [f"  - [{c['n']}] {c['title']}: “{' '.join(c['quote'].split())}”" for c in t["further"]]
        lines.append("")
    return "\n".join(lines)


def feedback_id(session: str, turn: int, rating: str, comment: str) -> str:
    """The same click in the same session is one entry, however often it reaches a replica."""
    return hashlib.sha256(f"{session}\x00{turn}\x00{rating}\x00{comment}".encode()).hexdigest()[:32]


_START, _END = "\ue000", "\ue001"  # private-use characters: never in a document, kept by the renderer


def _text_page(name: str, text: str, q: str, markdown: bool = False) -> str:
    """A text document as a readable page, the quote `q` marked whole (across lines, paragraphs and
    list items) and scrolled to; Markdown is rendered (raw HTML in a document is shown as text)."""
    needle = " ".join(q.split())
    if needle:
        # Match the quote across any whitespace/line breaks of the source text.
        pattern = r"\s+".join(re.escape(w) for w in needle.split())
        text = re.sub(f"({pattern})", f"{_START}\\1{_END}", text, count=1)
    if markdown:
        from markdown_it import MarkdownIt

        # "###TITLE 3" as the converted treaties write it is a heading too.
        body = MarkdownIt("commonmark", {"html": False}).render(re.sub(r"(?m)^(#{1,6})(?=[^#\s])", r"\1 ", text))
        style = "body{font-family:serif;max-width:50em;margin:2em auto;line-height:1.45}"
    else:
        body = html.escape(text)
        style = "body{font-family:serif;max-width:50em;margin:2em auto;white-space:pre-wrap}"
    # A quote running over several blocks is marked in each of them.
    body = re.sub(f"{_START}(.*?){_END}", lambda m: "<mark id='hit'>" + re.sub(
        r"(<[^>]+>)", r"</mark>\1<mark>", m.group(1)) + "</mark>", body, count=1, flags=re.DOTALL)
    body = re.sub(r"<mark>(\s*)</mark>", r"\1", body)
    return (f"<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{html.escape(name)}</title><style>{style}mark{{background:#ffe066}}</style>"
            f"<h3>{html.escape(name)}</h3>{body}"
            "<script>var m=document.getElementById('hit');if(m)m.scrollIntoView({block:'center'});</script>")


def create_app(settings: Settings, auth: tuple[str, str] | None = None) -> FastAPI:
    """The FastAPI app: the /source route plus the Gradio page (Ask and Evaluate tabs) at /."""
    import gradio as gr
    from fastapi import FastAPI

    get_assistant = _assistant_getter(settings)
    app = FastAPI()
    _add_source_route(app, settings, auth, get_assistant)

    @app.get("/healthz")
    def healthz():
        """For a proxy's or an orchestrator's health check: the index generation this replica serves
        (opening it if a rebuild published a new one). No authentication: it reveals nothing."""
        return {"status": "ok", "generation": get_assistant().generation.path.name}

    uploads = auth is not None or web_uploads()
    demo = _build_page(settings, get_assistant, _Facets.of(get_assistant), uploads)
    demo.queue(default_concurrency_limit=4, max_size=64)
    # Uploads are refused above their limit before they reach the disk (HTTP 413): question sets
    # only, or documents too when signed-in users may add them.
    from ..ingest.adding import MAX_DOCUMENT_BYTES

    app = gr.mount_gradio_app(app, demo, path="/", auth=auth, css=_CSS, head=_MARKER_JS, footer_links=[],
                              max_file_size=MAX_DOCUMENT_BYTES if uploads else MAX_UPLOAD_BYTES)
    return app


# A click on a marker [n] in the chat scrolls its source card into view and marks it, in the page
# itself (the chat renders links to open elsewhere, and the card lives in another component).
_MARKER_JS = """<script>
document.addEventListener('click', function (e) {
  const a = e.target.closest && e.target.closest('a[href^="#cda-src-"]');
  if (!a) return;
  e.preventDefault(); e.stopPropagation();
  const anchor = document.getElementById(a.getAttribute('href').slice(1));
  if (!anchor) return;
  for (let d = anchor.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
  const card = anchor.closest('.cda-source') || anchor;
  card.scrollIntoView({behavior: 'instant', block: 'start'});
  document.querySelectorAll('.cda-source.cda-current').forEach(c => c.classList.remove('cda-current'));
  card.classList.add('cda-current');
}, true);
</script>"""

_CSS = (".cda-source{border-left:3px solid #4a7ab5;padding:.3em .6em;margin:.5em 0}"
        ".cda-where{font-size:.85em;color:#555}.cda-reference{font-size:.85em;margin:.15em 0}"
        ".cda-source blockquote{margin:.3em 0;font-size:.9em}"
        ".cda-source mark{background:#ffe066}.cda-source.cda-current{background:#eef4fb}")


def _assistant_getter(settings: Settings) -> Callable[[], Assistant]:
    """A function giving the Assistant of the index generation now published, made once per generation."""
    from .. import Assistant

    state: dict = {}
    state_lock = threading.Lock()
    pointer = Path(settings.index_dir) / "CURRENT"

    def get_assistant() -> Assistant:
        # Follow the index: a rebuild publishes a new generation and deletes the one in use,
        # whose docstore later questions would fail to open ("unable to open database file").
        try:
            current = pointer.read_text().strip()
        except OSError:
            current = ""
        with state_lock:
            a = state.get("assistant")
            if a is None or (current and a.generation.path.name != current):
                a = Assistant(settings)
                a.warm_up()
                state["assistant"] = a
            return a

    return get_assistant


def _add_source_route(app: FastAPI, settings: Settings, auth: tuple[str, str] | None,
                      get_assistant: Callable[[], Assistant]) -> None:
    """GET /source/{name}: an indexed document, PDFs as they are, text as a page with the quote marked."""
    from fastapi import HTTPException
    from fastapi.responses import FileResponse, HTMLResponse

    from ..ingest import decode_text, html_to_markdown_text

    @app.get("/page/{name}/{number}.png")
    def page_image(name: str, number: int, request: Request, q: str = ""):
        """A PDF page as an image with the quote `q` highlighted."""
        from fastapi.responses import Response

        from .pdfpage import PageOutOfRange, render_page

        if auth is not None:
            _check_basic_auth(request, auth)
        path = resolve_source(settings, get_assistant().documents, name)
        if path is None or path.suffix.lower() != ".pdf":
            raise HTTPException(status_code=404, detail="no such PDF in the corpus")
        try:
            return Response(render_page(path, number, q[:4000]), media_type="image/png")
        except PageOutOfRange as exc:
            raise HTTPException(status_code=404, detail=str(exc))

    @app.get("/page/{name}/{number}")
    def page_view(name: str, number: int, request: Request, q: str = ""):
        """The cited page of a PDF, the quote highlighted on it, with the whole PDF a click away."""
        if auth is not None:
            _check_basic_auth(request, auth)
        if resolve_source(settings, get_assistant().documents, name) is None:
            raise HTTPException(status_code=404, detail="no such document in the corpus")
        image = f"/page/{quote(name)}/{number}.png?q={quote(q[:4000])}"
        return HTMLResponse(
            f"<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{html.escape(name)}, page {number}</title>"
            "<style>body{font-family:sans-serif;margin:1em auto;max-width:940px}img{width:100%;"
            "border:1px solid #ccc}</style>"
            f"<p><b>{html.escape(name)}</b>, page {number} · <a href='/source/{quote(name)}#page={number}'>"
            f"open the whole PDF at this page</a></p><img id='page' alt='page {number}' src='{html.escape(image)}'>")

    @app.get("/source/{name}")
    def source(name: str, request: Request, q: str = ""):
        if auth is not None:
            _check_basic_auth(request, auth)
        path = resolve_source(settings, get_assistant().documents, name)
        if path is None:
            raise HTTPException(status_code=404, detail="no such document in the corpus")
        if path.suffix.lower() == ".pdf":
            return FileResponse(path, media_type="application/pdf",
                                headers={"Content-Disposition": f"inline; filename=\"{path.name}\""})
        # The text as indexed (cleaned at ingest), so that a quote is found in it word for word.
        text = get_assistant().generation.page_text(path.name, None)
        if not text:
            text = decode_text(path.read_bytes(), path.name)
            if path.suffix.lower() in (".html", ".htm"):
                text = html_to_markdown_text(text)
        return HTMLResponse(_text_page(name, text, q[:4000], markdown=path.suffix.lower() in (".md", ".markdown")))


@dataclass
class _Facets:
    """The filter choices the index offers, or why the assistant could not start."""
    types: list[str]
    jurisdictions: list[str]
    y_min: int
    y_max: int
    startup_error: str = ""
    documents: list[tuple[str, str]] = field(default_factory=list)  # (label, file) for the Compare control

    @classmethod
    def of(cls, get_assistant: Callable[[], Assistant]) -> _Facets:
        try:
            docs = get_assistant().documents
            types = sorted({d.type for d in docs.values() if d.type})
            jurisdictions = sorted({d.jurisdiction for d in docs.values() if d.jurisdiction})
            years = [d.year_number for d in docs.values() if d.year_number]
            documents = sorted(((f"{d.title}{f' ({d.year})' if d.year_number else ''}", f) for f, d in docs.items()))
            startup_error = ""
        except Exception as exc:  # shown in the page, not as a stack trace
            types, jurisdictions, years, documents, startup_error = [], [], [], [], str(exc)
        y_min, y_max = (min(years), max(years)) if years else (1900, 2100)
        return cls(types, jurisdictions, y_min, y_max, startup_error, documents)


def _build_page(settings: Settings, get_assistant: Callable[[], Assistant], facets: _Facets, uploads: bool = False):
    """The Gradio page: heading, the Ask tab and its handlers, the Evaluate tab and its handler, and
    (signed-in users, or CDA_UPLOADS=1) the Documents tab."""
    import gradio as gr

    # No telemetry: Gradio's version check and usage analytics would call out on every start.
    with gr.Blocks(title="Cyber Diplomacy Assistant", analytics_enabled=False) as demo:
        gr.Markdown("## Cyber Diplomacy Assistant\nAnswers quoted from the indexed cyber diplomacy documents, "
                    "every sentence cited. When the documents are silent, it says so.")
        if facets.startup_error:
            gr.Markdown(f"**The assistant is not ready:** {html.escape(facets.startup_error)}")
        turns = gr.State([])
        with gr.Tab("Ask", id="ask-tab"):
            ask = _ask_tab(facets)
        _wire_questions(ask, turns, settings, get_assistant, facets)
        _wire_conversation_buttons(ask, turns, settings, get_assistant)
        with gr.Tab("Evaluate", id="evaluate-tab"):
            evaluate = _evaluate_tab()
        _wire_evaluation(evaluate, settings, get_assistant)
        if uploads:
            with gr.Tab("Documents", id="documents-tab"):
                documents = _documents_tab()
            _wire_documents(documents, settings)
    return demo


_META_FIELDS = ("title", "publisher", "year", "type", "jurisdiction", "symbol", "date")


def _documents_tab() -> SimpleNamespace:
    """The Documents tab: add a file to the corpus, see the metadata read from it, correct it."""
    import gradio as gr

    ui = SimpleNamespace()
    gr.Markdown("Add a document (PDF, txt, md, html) to the corpus: it is indexed at once, as by "
                "`cda index build`, and answerable at the next question. Check the metadata read from it "
                "and correct it: the correction is written to the catalog.")
    ui.upload = gr.File(label="Document", file_types=[".pdf", ".txt", ".md", ".markdown", ".html", ".htm"],
                        elem_id="doc-upload")
    ui.add = gr.Button("Add to the index", variant="primary", elem_id="doc-add")
    ui.status = gr.Markdown(elem_id="doc-status")
    ui.file = gr.State("")
    with gr.Group():
        ui.fields = [gr.Textbox(label=name.capitalize(), elem_id=f"doc-{name}", interactive=True)
                     for name in _META_FIELDS]
    ui.save = gr.Button("Save metadata", elem_id="doc-save")
    return ui


def _metadata_status(added) -> str:
    """What the build did with the file, and where each metadata value came from."""
    if added.meta is None:
        return f"**{html.escape(added.file)} could not be indexed:** {html.escape(added.error)}"
    lines = [f"**{html.escape(added.file)}** is indexed ({added.report.chunks} chunks in the index; "
             f"built in {added.report.seconds:.1f} s). Metadata and where it was read:", ""]
    for name in _META_FIELDS:
        value = getattr(added.meta, name)
        source = added.meta.provenance.get(name, "not found")
        lines.append(f"- {name}: {html.escape(value) or '—'} ({source})")
    return "\n".join(lines)


def _wire_documents(documents: SimpleNamespace, settings: Settings) -> None:
    """Add and correct: one build at a time (the chat keeps answering from the published index)."""
    import gradio as gr

    from ..ingest import BuildLocked
    from ..ingest.adding import AddError, add_document, correct_metadata

    def values_of(added) -> list:
        return [getattr(added.meta, name) if added.meta else "" for name in _META_FIELDS]

    def add(uploaded):
        if not uploaded:
            return ["**Choose a file first.**", ""] + [""] * len(_META_FIELDS)
        path = Path(uploaded if isinstance(uploaded, str) else uploaded.name)
        # Gradio keeps the uploaded file's own name as the last part of its temporary path.
        try:
            added = add_document(settings, path, path.name)
        except (AddError, BuildLocked) as exc:
            return [f"**Cannot add this file:** {html.escape(str(exc))}", ""] + [""] * len(_META_FIELDS)
        return [_metadata_status(added), added.file if added.meta else ""] + values_of(added)

    def save(file, *values):
        if not file:
            return ["**Add a document first.**"] + list(values)
        try:
            added = correct_metadata(settings, file, dict(zip(_META_FIELDS, values)))
        except BuildLocked as exc:
            return [f"**Not saved:** {html.escape(str(exc))}"] + list(values)
        return ["Saved to the catalog. " + _metadata_status(added)] + values_of(added)

    documents.add.click(add, [documents.upload], [documents.status, documents.file, *documents.fields],
                        concurrency_limit=1)
    documents.save.click(save, [documents.file, *documents.fields], [documents.status, *documents.fields],
                         concurrency_limit=1)


def _ask_tab(facets: _Facets) -> SimpleNamespace:
    """The Ask tab's components: chat and question box, filters, feedback, export; sources beside."""
    import gradio as gr

    ui = SimpleNamespace()
    with gr.Row():
        with gr.Column(scale=3):
            ui.chatbot = gr.Chatbot(label="Conversation", height=460, elem_id="chat", feedback_options=None)
            with gr.Row():
                ui.box = gr.Textbox(placeholder="Ask about treaties, strategies, norms…", show_label=False,
                                    scale=5, elem_id="question")
                ui.send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            gr.Examples(EXAMPLES, inputs=[ui.box], label="Examples")
            with gr.Accordion("Filters", open=False, elem_id="filters"):
                ui.f_types = gr.CheckboxGroup(facets.types, label="Document type", elem_id="f-type")
                ui.f_juris = gr.CheckboxGroup(facets.jurisdictions, label="Jurisdiction", elem_id="f-jurisdiction")
                with gr.Row():
                    ui.f_ymin = gr.Number(value=facets.y_min, label="Year from", precision=0, elem_id="f-ymin")
                    ui.f_ymax = gr.Number(value=facets.y_max, label="Year to", precision=0, elem_id="f-ymax")
            with gr.Accordion("Compare documents", open=False, elem_id="compare-panel"):
                ui.c_docs = gr.Dropdown(facets.documents, multiselect=True, max_choices=6,
                                        label="Documents (2 to 6)", elem_id="compare-docs")
                with gr.Row():
                    ui.c_topic = gr.Textbox(placeholder="Topic, e.g. supply chain security", show_label=False,
                                            scale=4, elem_id="compare-topic")
                    ui.compare = gr.Button("Compare", scale=1, elem_id="compare")
                ui.compare_note = gr.Markdown("", elem_id="compare-note")
            ui.table_file = gr.File(label="Table as CSV", visible=False, elem_id="table-csv")
            with gr.Row():
                ui.up = gr.Button("Helpful", elem_id="thumbs-up", size="sm")
                ui.down = gr.Button("Not helpful", elem_id="thumbs-down", size="sm")
                ui.comment = gr.Textbox(placeholder="Optional comment on the last answer", show_label=False,
                                        scale=3, elem_id="comment")
            ui.feedback_note = gr.Markdown("", elem_id="feedback-note")
            with gr.Row():
                ui.new = gr.Button("New conversation", elem_id="new-conversation", size="sm")
                ui.export = gr.Button("Export as Markdown", elem_id="export", size="sm")
            ui.export_file = gr.File(label="Conversation export", visible=False, elem_id="export-file")
        with gr.Column(scale=2):
            gr.Markdown("### Sources")
            ui.sources = gr.HTML(sources_html({}), elem_id="sources")
    return ui


def _wire_questions(ask: SimpleNamespace, turns, settings: Settings, get_assistant: Callable[[], Assistant],
                    facets: _Facets) -> None:
    """Ask button and Enter: stream the answer into the chat, then show its sources."""
    import gradio as gr

    y_min, y_max = facets.y_min, facets.y_max

    # The handler's name is its API endpoint (/respond).
    def respond(message, chat, turn_list, types_v, juris_v, ymin_v, ymax_v):
        message = (message or "").strip()
        if not message:
            yield chat, turn_list, gr.update(), ""
            return
        filters = {"types": types_v or None, "jurisdictions": juris_v or None,
                   "year_min": int(ymin_v) if ymin_v and int(ymin_v) > y_min else None,
                   "year_max": int(ymax_v) if ymax_v and int(ymax_v) < y_max else None}
        history = [{"role": m["role"], "content": _plain(m["content"])} for m in chat]
        chat = chat + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        try:
            stream = get_assistant().stream(message, k=settings.retrieval.k, filters=filters, history=history)
            for part in stream:
                if isinstance(part, str):
                    chat[-1]["content"] += part
                    yield chat, turn_list, gr.update(), ""
                else:
                    answer = part.to_dict()
                    turn_list = turn_list + [answer | {"filters": filters, "time": time.time()}]
                    chat[-1]["content"] = answer_message(answer, len(turn_list) - 1)
                    yield chat, turn_list, sources_panel(turn_list), ""
        except Exception as exc:  # a helpful message, never a stack trace
            chat[-1]["content"] = f"Sorry, I could not answer: {exc}"
            yield chat, turn_list, gr.update(), ""

    inputs = [ask.box, ask.chatbot, turns, ask.f_types, ask.f_juris, ask.f_ymin, ask.f_ymax]
    outputs = [ask.chatbot, turns, ask.sources, ask.box]
    # A named handler: its API endpoint is /show_table_file.
    def show_table_file(turn_list):
        return table_file(turn_list[-1] if turn_list else {})

    ask.send.click(respond, inputs, outputs, concurrency_limit=4).then(show_table_file, [turns], [ask.table_file])
    ask.box.submit(respond, inputs, outputs, concurrency_limit=4).then(show_table_file, [turns], [ask.table_file])

    # The handler's name is its API endpoint (/compare_documents).
    def compare_documents(files, topic, chat, turn_list):
        chat = list(chat)
        try:
            answer = get_assistant().compare(list(files or []), topic or "").to_dict()
        except ValueError as exc:
            return chat, turn_list, gr.update(), gr.update(), f"**Cannot compare:** {html.escape(str(exc))}"
        titles = "; ".join(get_assistant().documents[f].title for f in files)
        turn_list = turn_list + [answer | {"filters": {"files": list(files)}, "time": time.time()}]
        chat += [{"role": "user", "content": f"Compare on “{topic.strip()}”: {titles}"},
                 {"role": "assistant", "content": answer_message(answer, len(turn_list) - 1)}]
        return chat, turn_list, sources_panel(turn_list), table_file(answer), ""

    ask.compare.click(compare_documents, [ask.c_docs, ask.c_topic, ask.chatbot, turns],
                      [ask.chatbot, turns, ask.sources, ask.table_file, ask.compare_note], concurrency_limit=4)


def _wire_conversation_buttons(ask: SimpleNamespace, turns, settings: Settings,
                               get_assistant: Callable[[], Assistant]) -> None:
    """Helpful / Not helpful (appended to the feedback log), New conversation, Export as Markdown."""
    import gradio as gr

    records = open_records(settings.database_url, settings.feedback_log)

    def give_feedback(rating, text, turn_list, request: gr.Request | None = None):
        if not turn_list:
            return "Ask a question first.", text
        last = turn_list[-1]
        session = getattr(request, "session_hash", None) or uuid.uuid4().hex
        records.add_feedback({
            "id": feedback_id(session, len(turn_list), rating, text or ""),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "rating": rating, "comment": text or "",
            "question": last["question"], "answer": last["answer"], "abstained": last["abstained"],
            "citations": last["citations"],
            "settings": {"k": settings.retrieval.k, "backend": get_assistant().backend,
                         "filters": last.get("filters"), "abstain_below": settings.answer.abstain_below}})
        return f"Thanks — feedback ({'helpful' if rating == 'up' else 'not helpful'}) recorded.", ""

    def helpful(text, turn_list, request: gr.Request):
        return give_feedback("up", text, turn_list, request)

    def not_helpful(text, turn_list, request: gr.Request):
        return give_feedback("down", text, turn_list, request)

    # This module's annotations are strings (postponed) and gradio is imported here, not at module
    # level, so Gradio could not resolve "gr.Request", took `request` for a third input and warned at
    # every start; the real class lets it pass the request (and the session) in.
    for handler in (helpful, not_helpful):
        handler.__annotations__["request"] = gr.Request
    ask.up.click(helpful, [ask.comment, turns], [ask.feedback_note, ask.comment])
    ask.down.click(not_helpful, [ask.comment, turns], [ask.feedback_note, ask.comment])
    ask.new.click(lambda: ([], [], sources_html({}), ""), None, [ask.chatbot, turns, ask.sources, ask.feedback_note])

    def do_export(turn_list):
        if not turn_list:
            return gr.update(visible=False)
        path = new_download("conversation.md")
        markdown = export_markdown(turn_list)
        path.write_text(markdown, encoding="utf-8")
        records.add_export(markdown)  # with a shared database, kept where trainers can read it
        return gr.update(value=str(path), visible=True)

    ask.export.click(do_export, [turns], [ask.export_file])


def _evaluate_tab() -> SimpleNamespace:
    """The Evaluate tab's components: question set choice or upload, run button, results."""
    import gradio as gr

    ui = SimpleNamespace()
    gr.Markdown("Score retrieval and answers on a question set (JSONL, one "
                "`{id, question, answer, sources, evidence, answerable, kind}` per line).")
    with gr.Row():
        ui.shipped = gr.Dropdown(shipped_question_sets(), label="Shipped question set", elem_id="eval-set",
                                 value=(shipped_question_sets() or [None])[0])
        ui.upload = gr.File(label=f"…or upload one (.jsonl, at most {MAX_UPLOAD_BYTES // 1000} kB)",
                            file_types=[".jsonl"], elem_id="eval-upload")
    ui.run = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
    ui.metrics = gr.Markdown(elem_id="eval-metrics")
    ui.download = gr.File(label="Report (zip: results, metrics, Markdown/HTML report, plots)",
                          visible=False, elem_id="eval-download")
    ui.report = gr.HTML(elem_id="eval-report")
    return ui


def _wire_evaluation(evaluate: SimpleNamespace, settings: Settings, get_assistant: Callable[[], Assistant]) -> None:
    """Run evaluation: score the chosen or uploaded question set, one run at a time."""
    import gradio as gr

    # The handler's name is its API endpoint (/run_evaluation).
    def run_evaluation(choice, uploaded, progress=gr.Progress()):
        try:
            path = validate_upload(uploaded) if uploaded else (EVALS_DIR / choice if choice else None)
            if path is None:
                raise ValueError("choose a shipped question set or upload one")
            return evaluate_to_zip(get_assistant(), settings, path, progress)
        except ValueError as exc:
            return f"**Cannot run this evaluation:** {html.escape(str(exc))}", gr.update(visible=False), ""

    evaluate.run.click(run_evaluation, [evaluate.shipped, evaluate.upload],
                       [evaluate.metrics, evaluate.download, evaluate.report], concurrency_limit=1)


def _plain(content) -> str:
    if isinstance(content, str):
        return re.sub(r"<[^>]+>", "", content)  # the markers' links
    if isinstance(content, list):
        return " ".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return str(content)


def _check_basic_auth(request, auth: tuple[str, str]) -> None:
    import base64

    from fastapi import HTTPException

    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
            if secrets.compare_digest(user, auth[0]) and secrets.compare_digest(pw, auth[1]):
                return
        except Exception:
            pass
    raise HTTPException(status_code=401, detail="authentication required",
                        headers={"WWW-Authenticate": "Basic realm=cda"})


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          allow_unauthenticated: bool = False) -> int:
    import uvicorn

    auth = auth or web_auth() or None
    credentials = None
    if auth:
        user, sep, pw = auth.partition(":")
        if not sep or not user or not pw:
            print("cda: --auth must be USER:PASSWORD", file=sys.stderr)
            return 1
        credentials = (user, pw)
    if not is_loopback(host) and credentials is None and not allow_unauthenticated:
        print(f"cda: refusing to listen on {host} without authentication; pass --auth USER:PASSWORD "
              "(or set CDA_AUTH), or --no-auth to override", file=sys.stderr)
        return 1
    ensure_index(settings)
    app = create_app(settings, credentials)
    print(f"Serving the Cyber Diplomacy Assistant on http://{host}:{port}", file=sys.stderr, flush=True)
    # uvicorn shuts down gracefully on SIGTERM, then raises it again: with Python's default handler
    # the process would end there without its exit handlers, and the downloads folder would stay.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
