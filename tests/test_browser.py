"""The real web app in real headless Chromium: ask, see cited sources, open a citation,
filter, give feedback, export. Screenshots land in screenshots/."""
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.devtools.loadtest import wait_until_served as served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (see README)")]
SHOTS = PROJECT_ROOT / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env, *args):
    port = free_port()
    log = open(Path(env["CDA_FEEDBACK_LOG"]).with_suffix(".log"), "w")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=PROJECT_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}"


def wait_until_served(proc, url):
    try:
        served(proc, url, timeout=120)
    except RuntimeError:
        proc.kill()
        raise


@pytest.fixture(scope="module")
def server(shipped_index, tmp_path_factory):
    feedback = tmp_path_factory.mktemp("fb") / "feedback.jsonl"
    env = dict(os.environ, CDA_INDEX=str(shipped_index), CDA_FEEDBACK_LOG=str(feedback))
    proc, url = start_app(env)
    wait_until_served(proc, url)
    yield url, feedback
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def open_chat(browser, url, width=1400, height=1000):
    """A new page on the chat, once its question box is there."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60000)
    return page


def ask(page, question):
    page.fill("#question textarea", question)
    page.click("#ask")


def test_ask_see_citations_open_source_filter_feedback_export(server, browser):
    url, feedback = server
    SHOTS.mkdir(exist_ok=True)
    page = open_chat(browser, url)
    page.screenshot(path=str(SHOTS / "01-start.png"))

    ask(page, "What does the Budapest Convention say about expedited preservation of stored computer data?")
    page.wait_for_selector("#sources .cda-source", timeout=60000)
    page.wait_for_function("document.querySelector('#chat').innerText.includes('[1]')", timeout=60000)
    sources = page.inner_text("#sources")
    assert "Convention on Cybercrime" in sources and "[1]" in sources
    page.screenshot(path=str(SHOTS / "02-answer.png"))

    # A PDF citation link carries #page=N; a text one opens the document with the passage marked.
    ask(page, "How does the US National Cybersecurity Strategy 2023 propose to disrupt and dismantle threat actors?")
    page.wait_for_function("document.querySelector('#sources').innerText.includes('National Cybersecurity Strategy')",
                           timeout=60000)
    hrefs = page.eval_on_selector_all("#sources a", "els => els.map(e => e.getAttribute('href'))")
    pdf_links = [h for h in hrefs if ".pdf#page=" in h]
    assert pdf_links, hrefs
    resp = page.request.get(url + pdf_links[0].split("#")[0])
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    # The citation's own link opens the cited page as an image with the quote highlighted on it.
    page_views = [h for h in hrefs if h.startswith("/page/") and "?q=" in h]
    assert page_views, hrefs
    viewer = browser.new_page()
    viewer.goto(url + page_views[0])
    viewer.wait_for_function("document.getElementById('page').complete && document.getElementById('page').naturalWidth > 500",
                             timeout=30000)
    assert "open the whole PDF at this page" in viewer.inner_text("body")
    viewer.screenshot(path=str(SHOTS / "03b-pdf-page.png"), full_page=True)
    assert page.request.get(url + "/page/UN_Charter_1945_en.md/1.png").status == 404  # not a PDF
    assert page.request.get(url + "/page/US_National_Cybersecurity_Strategy_2023.pdf/999.png").status == 404
    text_page = browser.new_page()
    text_page.goto(url + "/source/UN_Charter_1945_en.md?q=maintain%20international%20peace%20and%20security")
    assert text_page.inner_text("mark").lower().startswith("maintain international peace")
    text_page.screenshot(path=str(SHOTS / "03-source-viewer.png"))
    # A long quote is marked whole in the rendered Markdown, headings shown as headings.
    long_quote = ("Where a Party gives effect to paragraph 1 above by means of an order to a person to preserve "
                  "specified stored computer data in the person's possession or control, the Party shall adopt "
                  "such legislative and other measures as may be necessary to oblige that person to preserve and "
                  "maintain the integrity of that computer data for a period of time as long as necessary, up to a "
                  "maximum of ninety days, to enable the competent authorities to seek its disclosure.")
    text_page.goto(url + "/source/Budapest_Convention_on_Cybercrime_ETS185_en.md?q=" + urllib.parse.quote(long_quote))
    marked = " ".join(" ".join(text_page.eval_on_selector_all("mark", "els => els.map(e => e.innerText)")).split())
    assert marked == long_quote and "###" not in text_page.inner_text("body")
    assert text_page.locator("h3", has_text="Article 16").count() == 1
    assert page.request.get(url + "/source/..%2F..%2Fetc%2Fpasswd").status == 404
    assert page.request.get(url + "/source/pyproject.toml").status == 404

    # Filter to the United Kingdom: sources change to UK documents only.
    page.click("#filters")
    page.get_by_label("United Kingdom").check()
    page.click("#new-conversation")
    ask(page, "What does the strategy say about cyber crime?")
    page.wait_for_function("document.querySelector('#sources').innerText.includes('[1]')", timeout=60000)
    titles = page.eval_on_selector_all("#sources .cda-source > div:first-child b", "els => els.map(e => e.innerText)")
    assert titles and all("UK" in t or "National Cyber Security Strategy" in t for t in titles), titles
    page.screenshot(path=str(SHOTS / "04-filtered.png"))

    page.fill("#comment textarea", "wanted the 2016 strategy first")
    page.click("#thumbs-down")
    page.wait_for_function("document.querySelector('#feedback-note').innerText.includes('recorded')", timeout=30000)
    entry = json.loads(feedback.read_text().splitlines()[-1])
    assert entry["rating"] == "down" and entry["comment"] == "wanted the 2016 strategy first"
    assert entry["question"] == "What does the strategy say about cyber crime?" and entry["citations"]

    page.click("#export")
    page.wait_for_selector("#export-file a", timeout=30000)
    href = page.get_attribute("#export-file a", "href")
    body = page.request.get(href if href.startswith("http") else url + href).text()
    assert "**Q:** What does the strategy say about cyber crime?" in body and "[1]" in body
    page.screenshot(path=str(SHOTS / "05-feedback-export.png"))


def test_a_marker_brings_its_source_into_view_with_its_unit_and_reference(server, browser):
    url, _ = server
    SHOTS.mkdir(exist_ok=True)
    page = open_chat(browser, url, 1000, 700)
    ask(page, "What does Article 16 of the Budapest Convention require?")
    page.wait_for_selector("#chat a[href='#cda-src-0-2']", timeout=60000)
    sources = page.inner_text("#sources")
    assert "Art. 16(1)" in sources and "cite as: Budapest Convention, Art. 16(1) (23 November 2001)" in sources
    last = max(int(n) for n in page.eval_on_selector_all(
        "#chat a[href^='#cda-src-']", "els => els.map(e => e.getAttribute('href').split('-').pop())"))
    page.locator("#chat").get_by_role("link", name=f"[{last}]").last.click()
    card = page.locator(f"#sources .cda-source:has(#cda-src-0-{last})")
    card.wait_for(timeout=10000)
    assert "cda-current" in card.get_attribute("class")
    box, height = card.bounding_box(), page.evaluate("window.innerHeight")
    assert box and -2 <= box["y"] < height, (box, height)  # its top brought into view
    assert page.url.startswith(url) and len(browser.contexts[0].pages) <= 3  # no tab was opened for it
    page.screenshot(path=str(SHOTS / "06-marker-to-source.png"))

    # A second answer: the first one's sources stay reachable, folded, from its own markers.
    ask(page, "What does Article 51 of the UN Charter say?")
    page.wait_for_selector("#chat a[href='#cda-src-1-1']", timeout=60000)
    assert page.locator("#sources details.cda-earlier").count() == 1
    assert not page.locator("#sources details.cda-earlier").get_attribute("open")
    page.locator("#chat a[href='#cda-src-0-1']").first.click()
    earlier = page.locator("#sources .cda-source:has(#cda-src-0-1)")
    earlier.wait_for(state="visible", timeout=10000)  # the click unfolds it; on a loaded machine not at once
    assert "Art. 16(1)" in earlier.inner_text()
    assert -2 <= earlier.bounding_box()["y"] < page.evaluate("window.innerHeight")


def test_on_a_phone_the_answer_and_its_sources_fit_the_screen_and_a_marker_reaches_its_source(server, browser):
    url, _ = server
    SHOTS.mkdir(exist_ok=True)
    page = open_chat(browser, url, 390, 844)
    ask(page, "What does operative paragraph 5 of resolution 73/27 decide?")
    page.wait_for_selector("#chat a[href='#cda-src-0-1']", timeout=60000)
    page.screenshot(path=str(SHOTS / "07-phone-answer.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the side
    page.locator("#chat").get_by_role("link", name="[1]").last.click()
    card = page.locator("#sources .cda-source:has(#cda-src-0-1)")
    box = card.bounding_box()
    assert box and -2 <= box["y"] < 844 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    reference = card.locator(".cda-reference").first
    assert "A/RES/73/27, op. para 5" in reference.inner_text()
    ref_box = reference.bounding_box()
    assert ref_box["y"] + ref_box["height"] <= 844 and ref_box["x"] + ref_box["width"] <= 390  # readable at once
    page.screenshot(path=str(SHOTS / "08-phone-source.png"))


def test_abstention_looks_like_an_answer_not_an_error(server, browser):
    url, _ = server
    page = open_chat(browser, url)
    ask(page, "What is the best recipe for chocolate cake?")
    page.wait_for_function("document.querySelector('#chat').innerText.includes('do not answer')", timeout=60000)
    # The sources panel fills in when the streamed answer is complete.
    page.wait_for_function("document.querySelector('#sources').innerText.includes('silent')", timeout=60000)
    assert "Nearest passages" in page.inner_text("#sources")
    page.screenshot(path=str(SHOTS / "06-abstention.png"))


def test_sessions_never_see_each_others_conversations(server, browser):
    url, _ = server
    pages = []
    for question, expect in (("What is cyber diplomacy?", "diplomacy"),
                             ("What are the purposes of the United Nations?", "United Nations")):
        context = browser.new_context()  # a separate user: own cookies and session
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#question textarea", timeout=60000)
        ask(page, question)
        pages.append((page, question, expect))
    for page, question, expect in pages:
        page.wait_for_function("document.querySelector('#sources').innerText.includes('[1]')", timeout=60000)
    (p1, q1, _), (p2, q2, _) = pages
    assert q1 in p1.inner_text("#chat") and q2 not in p1.inner_text("#chat")
    assert q2 in p2.inner_text("#chat") and q1 not in p2.inner_text("#chat")


def test_evaluate_tab_runs_a_shipped_set_and_offers_the_report(server, browser):
    url, _ = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("tab", name="Evaluate").click()
    page.wait_for_selector("#eval-run", timeout=30000)
    page.click("#eval-run")
    page.wait_for_function("document.querySelector('#eval-metrics').innerText.includes('hit@5')", timeout=300000)
    assert "questions" in page.inner_text("#eval-metrics")
    page.wait_for_selector("#eval-download a", timeout=30000)
    href = page.get_attribute("#eval-download a", "href")
    body = page.request.get(href if href.startswith("http") else url + href).body()
    assert body[:2] == b"PK"  # a zip archive
    page.screenshot(path=str(SHOTS / "07-evaluate.png"))


def test_non_loopback_host_needs_auth_and_auth_guards_pages_and_sources(shipped_index, tmp_path):
    env = dict(os.environ, CDA_INDEX=str(shipped_index), CDA_FEEDBACK_LOG=str(tmp_path / "fb.jsonl"))
    env.pop("CDA_AUTH", None)
    refused = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--port", str(free_port())],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "without authentication" in refused.stderr
    proc, url = start_app(env, "--auth", "diplomat:s3cret")
    try:
        wait_until_served(proc, url)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "/source/UN_Charter_1945_en.md", timeout=10)
        assert err.value.code == 401
        req = urllib.request.Request(url + "/source/UN_Charter_1945_en.md")
        import base64

        req.add_header("Authorization", "Basic " + base64.b64encode(b"diplomat:s3cret").decode())
        assert urllib.request.urlopen(req, timeout=10).status == 200
        for path in ("/page/US_National_Cybersecurity_Strategy_2023.pdf/8", "/page/US_National_Cybersecurity_Strategy_2023.pdf/8.png"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(url + path, timeout=10)
            assert err.value.code == 401, path
        # Gradio's own API refuses requests that have not logged in.
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "/config", timeout=10)
        assert err.value.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_compare_control_builds_a_table_with_a_row_per_document_a_page_link_and_a_csv(server, browser):
    url, _ = server
    SHOTS.mkdir(exist_ok=True)
    page = open_chat(browser, url, 1400, 1100)
    page.click("#compare-panel button, #compare-panel .label-wrap")
    picked = ["National Cyber Strategy of the United States of America (2018)", "National Cybersecurity Strategy (2023)",
              "Department of Defense Cyber Strategy - Summary (2018)"]
    for title in picked:
        page.click("#compare-docs input")
        page.keyboard.type(title[:30])
        page.locator("ul[role=listbox] li", has_text=title).first.click()
    page.fill("#compare-topic textarea", "deterrence of malicious cyber activity")
    page.click("#compare")
    table = page.locator("#chat table").last
    table.wait_for(timeout=60000)
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    titles = {rows.nth(i).locator("td").first.inner_text() for i in range(3)}
    assert titles == {t.rsplit(" (", 1)[0] for t in picked}
    page.screenshot(path=str(SHOTS / "compare_table.png"), full_page=True)
    # A citation's page link opens the PDF's cited page with the quote on it.
    link = table.locator("a.cda-page").first
    href = link.get_attribute("href")
    assert href.startswith("/page/") and "?q=" in href
    with page.context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.locator("img#page").count() == 1
    # The CSV download: a header and one line per document.
    csv_link = page.locator("#table-csv a").first
    csv_link.wait_for(timeout=30000)
    with page.expect_download() as download:
        csv_link.click()
    import csv as csv_module
    lines = list(csv_module.reader(open(download.value.path(), encoding="utf-8")))
    assert lines[0][0] == "document" and len(lines) == 4
    assert {line[0] for line in lines[1:]} == {t.rsplit(" (", 1)[0] for t in picked}


@pytest.mark.parametrize("n, question, documents", [
    (1, "How do the US 2018 and 2023 strategies approach deterring adversaries?", 2),
    (2, "Which documents call for securing critical infrastructure against cyber attacks?", 2),
    (3, "How do resolution 73/27 and the Paris Call treat the security of ICT products?", 2)])
def test_a_question_across_documents_typed_in_the_chat_is_answered_by_a_table(server, browser, n, question, documents):
    url, _ = server
    SHOTS.mkdir(exist_ok=True)
    page = open_chat(browser, url, 1400, 1100)
    ask(page, question)
    table = page.locator("#chat table").last
    table.wait_for(timeout=60000)
    rows = table.locator("tbody tr")
    assert rows.count() >= documents
    # Every row cites its quotes, and the sources panel lists them as for any answer.
    page.wait_for_function("document.querySelector('#sources').innerText.includes('[1]')", timeout=60000)
    assert table.locator("a.cda-page").count() >= rows.count()  # each row's quotes open their cited page
    page.locator("#table-csv a").first.wait_for(timeout=30000)  # and the table downloads as CSV
    page.screenshot(path=str(SHOTS / f"compare_asked_{n}.png"), full_page=True)


def test_a_signed_in_user_adds_a_pdf_corrects_its_title_and_asks_a_question_answered_from_it(browser, embedder,
                                                                                             tmp_path):
    """The Documents tab (with --auth): upload a PDF, see the metadata read from it, correct the
    title (written to the catalog), and get an answer from the new document without a restart."""
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index
    from tests.helpers import SMALL_FILES, copy_corpus

    corpus = copy_corpus(tmp_path / "corpus", SMALL_FILES)
    build_index(load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index"), embedder=embedder)
    env = dict(os.environ, CDA_INDEX=str(tmp_path / "index"), CDA_CORPUS=str(corpus),
               CDA_FEEDBACK_LOG=str(tmp_path / "fb.jsonl"))
    SHOTS.mkdir(exist_ok=True)
    proc, url = start_app(env, "--auth", "operator:s3cret")
    # A shipped PDF outside the small corpus, with no catalog row there: its title is read from its
    # PDF metadata. (Not a file outside the repository: CI's clean clone may not have it.)
    pdf = PROJECT_ROOT / "corpus" / "NIST_Cybersecurity_Framework_v1.1_2018.pdf"
    assert pdf.name not in SMALL_FILES
    try:
        wait_until_served(proc, url)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        assert context.request.post(url + "/login", form={"username": "operator", "password": "s3cret"}).ok
        page.goto(url)
        page.get_by_role("tab", name="Documents").click()
        page.set_input_files("#doc-upload input[type=file]", str(pdf))
        page.wait_for_timeout(1000)
        page.click("#doc-add")
        page.wait_for_function("document.querySelector('#doc-status').innerText.includes('is indexed')",
                               timeout=300000)
        status = page.inner_text("#doc-status")
        assert pdf.name in status and "pdf metadata" in status
        title = "#doc-title textarea, #doc-title input"
        assert "critical infrastructure cybersecurity" in page.input_value(title).lower()
        page.fill(title, "NIST Cybersecurity Framework 1.1: Securing the critical infrastructure")
        page.click("#doc-save")
        page.wait_for_function("document.querySelector('#doc-status').innerText.includes('Saved to the catalog')",
                               timeout=300000)
        assert "Securing the critical infrastructure" in (corpus / "catalog.csv").read_text()
        page.screenshot(path=str(SHOTS / "12-documents-tab.png"))

        page.get_by_role("tab", name="Ask").click()
        ask(page, "What are the five Functions of the Framework Core?")
        page.wait_for_selector("#sources .cda-source", timeout=120000)
        page.wait_for_function("document.querySelector('#sources').innerText.includes('Securing the critical "
                               "infrastructure')", timeout=120000)
        page.screenshot(path=str(SHOTS / "13-answer-from-added-document.png"))
        context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_server_keeps_downloads_in_one_folder_and_removes_it_when_stopped(shipped_index, tmp_path):
    from assistant.devtools.loadtest import EXPORT, ask, client

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, CDA_INDEX=str(shipped_index), CDA_FEEDBACK_LOG=str(tmp_path / "feedback.jsonl"),
               TMPDIR=str(tmp))
    proc, url = start_app(env)
    try:
        wait_until_served(proc, url)
        session = client(url)
        for question in ("What is cyber diplomacy?", "What does the Paris Call ask of States?"):
            ask(session, question, 120)
            session.submit(api_name=EXPORT).result(timeout=60)
        folders = list(tmp.glob("cda-downloads-*"))
        assert len(folders) == 1, sorted(p.name for p in tmp.iterdir())
        assert len(list(folders[0].glob("*/conversation.md"))) == 2, list(folders[0].rglob("*"))
        session.close()  # an open session would keep the server's graceful shutdown waiting
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not list(tmp.glob("cda-downloads-*"))  # SIGTERM: a graceful stop that removes it
