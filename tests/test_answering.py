"""Answers: cited, verbatim, abstaining when the documents are silent; follow-ups; CLI contract."""
import json
import re
import subprocess
import sys
from functools import lru_cache

import pytest

from assistant.config import PROJECT_ROOT
from assistant.ask.conversation import condense_question
from assistant.devtools.evaluation import load_questions
from assistant.ingest.loading import CorpusFile, DocumentMeta, load_document

GOLD = load_questions(PROJECT_ROOT / "evals" / "gold.jsonl")


@lru_cache(maxsize=None)
def printed_pages(file: str) -> dict[int | None, str]:
    """The document's pages as a reader finds them: PDF pages, or text split at its form feeds."""
    pages = load_document(CorpusFile(PROJECT_ROOT / "corpus" / file, DocumentMeta(file, file), "")).pages
    if pages[0].number is None and "\f" in pages[0].text:
        return {n: " ".join(t.split()) for n, t in enumerate(pages[0].text.split("\f"), start=1)}
    return {p.number: " ".join(p.text.split()) for p in pages}


def check_citations(answer, pages: bool = False):
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    numbers = {c.n for c in answer.citations}
    assert markers == numbers, (answer.answer, numbers)
    texts = [p.text for p in answer.retrieved]
    for c in answer.citations:
        assert any(c.quote in t for t in texts), f"quote not verbatim in a retrieved chunk: {c.quote!r}"
        assert c.file and c.title
        if pages:
            document = printed_pages(c.file)
            assert c.page in document, (c.file, c.page)
            assert " ".join(c.quote.split()) in document[c.page], f"{c.file} p. {c.page} lacks {c.quote!r}"


def test_every_marker_resolves_and_every_quote_is_verbatim_on_its_cited_page_across_the_gold_set(
        shipped_assistant):
    answered = 0
    for q in GOLD:
        answer = shipped_assistant.ask(q.question)
        check_citations(answer, pages=True)
        answered += not answer.abstained
    assert answered >= len([q for q in GOLD if q.answerable]) * 0.8


def test_answerable_question_gets_a_cited_answer_of_two_to_five_sentences(shipped_assistant):
    answer = shipped_assistant.ask("What does the Budapest Convention say about expedited preservation of stored computer data?")
    assert not answer.abstained
    assert 2 <= len(answer.citations) <= 5
    assert any(c.file == "Budapest_Convention_on_Cybercrime_ETS185_en.md" for c in answer.citations)


@pytest.mark.parametrize("question", [
    "What is the best recipe for chocolate cake?",
    "Who won the football World Cup in 1998?",
])
def test_off_topic_questions_abstain(shipped_assistant, question):
    answer = shipped_assistant.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.answer.startswith("The indexed documents do not answer this question")
    assert answer.retrieved  # the nearest passages are still offered as pointers


@pytest.mark.parametrize("question", [
    "What does Rule 92 of the Tallinn Manual 2.0 define as a cyber attack?",
    "How many ransomware attacks were reported worldwide in 2024?",
])
def test_near_topic_question_naming_an_identifier_the_documents_lack_abstains(shipped_assistant, question):
    assert shipped_assistant.ask(question).abstained


def test_identifier_found_in_a_title_or_heading_does_not_abstain(shipped_assistant):
    answer = shipped_assistant.ask("What does Article 35 of the Budapest Convention establish?")
    assert not answer.abstained
    answer = shipped_assistant.ask("What does the Paris Call WG4 report recommend?")
    assert not answer.abstained


def test_instrument_names_are_read_off_questions():
    from assistant.ask.query import instrument_names

    assert instrument_names("Under the Budapest Convention, what must Parties ensure?") == ["Budapest Convention"]
    assert instrument_names("What does the EU Artificial Intelligence Act require?") == ["Artificial Intelligence Act"]
    assert instrument_names("Which Convention applies?") == []  # a question word is not a name
    assert instrument_names("What does the 2023 strategy say about software liability?") == []


def test_an_instrument_no_document_mentions_is_not_answered(shipped_assistant):
    mentions = shipped_assistant.extractive.mentions
    assert "Budapest Convention" in mentions and "UN Charter" in mentions  # a file name counts
    assert "Convention on Cybercrime" in mentions and "Artificial Intelligence Act" not in mentions
    # Close in words to the strategies' passages on critical infrastructure, yet about a law
    # none of the documents mentions.
    answer = shipped_assistant.ask("What security obligations does the EU Artificial Intelligence Act place on "
                                   "providers of high-risk AI systems used in critical infrastructure?")
    assert answer.abstained
    assert not shipped_assistant.ask("What does the Budapest Convention say about the 24/7 Network?").abstained


def test_a_version_no_document_mentions_is_not_answered(shipped_assistant):
    from assistant.ask.query import versions_named

    assert versions_named("What does the Tallinn Manual 3.0 say?") == [
        ("Manual 3.0", "Manual version 3.0", "version 3.0")]
    assert versions_named("What happened in 2018?") == []
    assert shipped_assistant.ask("What does the Tallinn Manual 3.0 say about sovereignty in cyberspace?").abstained
    # The shipped framework is version 1.1.
    assert not shipped_assistant.ask("What does the NIST Cybersecurity Framework Version 1.1 say about "
                                     "Framework Profiles?").abstained


def test_follow_up_borrows_the_topic_of_the_previous_question():
    history = [("What does the US 2023 strategy say about ransomware?", "…")]
    rewritten = condense_question("And what does the UK strategy say?", history)
    assert "UK" in rewritten and "ransomware" in rewritten
    assert condense_question("What is the 24/7 network?", history) == "What is the 24/7 network?"


def test_follow_up_through_the_api_uses_history(shipped_assistant):
    history = [{"role": "user", "content": "What does the Budapest Convention say about the 24/7 network?"},
               {"role": "assistant", "content": "…"}]
    answer = shipped_assistant.ask("And the Additional Protocol?", history=history)
    assert answer.standalone_question != "And the Additional Protocol?"
    assert "24/7" in answer.standalone_question


def test_cli_ask_json_follows_the_answer_contract(shipped_index):
    out = subprocess.run([sys.executable, "-m", "assistant.app.cli", "ask", "--json", "--index", str(shipped_index),
                          "What are the purposes of the United Nations?"], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"question", "answer", "abstained", "citations", "retrieved"} <= set(data)
    assert {"n", "file", "title", "page", "section", "quote"} <= set(data["citations"][0])
    assert {"rank", "file", "title", "page", "section", "text", "score"} <= set(data["retrieved"][0])
    assert any(c["file"] == "UN_Charter_1945_en.md" for c in data["citations"])


def test_headings_and_spaced_page_headers_are_not_quoted_as_sentences():
    from assistant.text.sentences import SPACED_HEADER as _SPACED_HEADER, usable_sentence as _usable_sentence

    assert not _usable_sentence("The Department of Defense Cyber Strategy Summary Report")
    assert _usable_sentence("The Department shall defend forward to disrupt malicious cyber activity.")
    text = "2 \nD O D   C Y B E R   S T R A T E G Y \nThe 2018 Strategy supersedes the 2015 one."
    assert text[_SPACED_HEADER.match(text).end():].startswith("The 2018 Strategy")


def test_lists_menus_and_banners_are_not_quoted_as_sentences():
    from assistant.text.sentences import usable_sentence as _usable_sentence

    def usable(raw: str) -> bool:
        return _usable_sentence(" ".join(raw.split()), raw)

    menu = ("Notes on the future of international conflict resolution\n10 Aug, 2019\nTwiplomacy Study 2015\n"
            "13 Aug, 2015\nImproving the practice of cyber diplomacy:")
    banner = "13800 to prior-\nitize the transition of agencies to shared services \nProtect the American People, \nthe Homeland"
    assert not usable(menu) and not usable(banner)
    # Prose wrapped over several short lines is still a sentence.
    assert usable("The Government must therefore set\nthe pace in meeting the country's national\n"
                  "cyber security needs, and it will\nlead by example.")


def test_a_question_naming_one_document_is_answered_from_it(shipped_assistant):
    answer = shipped_assistant.ask("What are the four pillars of the 2018 US National Cyber Strategy?")
    assert not answer.abstained
    files = [c.file for c in answer.citations]
    assert files.count("US_National_Cyber_Strategy_2018.pdf") > len(files) / 2, files


def test_named_paragraphs_are_parsed():
    from assistant.ask.query import named_paragraphs

    assert named_paragraphs("What does Article 2(4) of the UN Charter prohibit?") == {(2, 4)}
    assert named_paragraphs("and paragraph 7 of Article 2?") == {(2, 7)}
    assert named_paragraphs("What does Article 2 say?") == set()


@pytest.mark.parametrize("paragraph", [3, 4, 7])
def test_the_paragraph_a_question_names_is_quoted(shipped_assistant, paragraph):
    answer = shipped_assistant.ask(f"What does Article 2({paragraph}) of the UN Charter say?")
    # The paragraph may be joined to the one before it when both are quoted.
    assert any(re.search(rf"(^|\s){paragraph}\.\s?[A-Z]", c.quote) and c.section == "Article 2"
               for c in answer.citations), \
        [c.quote[:40] for c in answer.citations]


def test_consecutive_sentences_of_one_passage_become_one_quote(shipped_assistant):
    from assistant.ask.lists import merge_adjacent

    r = shipped_assistant.retriever.search("Budapest Convention expedited preservation of stored computer data")[0]
    text = r.text
    first_end = text.index(". ") + 1
    second_start = first_end + 1
    second_end = text.index(". ", second_start) + 1
    far = text.rindex(". ") + 2
    merged = merge_adjacent([(r, 0, first_end), (r, second_start, second_end), (r, far, len(text))])
    assert [q for _, q in merged] == [text[0:second_end], text[far:]]


def test_the_first_sentence_under_a_heading_outranks_a_like_sentence_further_on():
    """Two sentences alike in every other respect: the one opening the provision is quoted first."""
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.config import AnswerSettings
    from assistant.records import Retrieved
    from assistant.storage.store import StoredChunk

    before = "### Article 6\n\nThe Parties shall cooperate widely.\n\n"
    body = ("### Article 7\n\nEach Party shall keep a register of contact points for urgent requests. "
            "Each Party shall keep a register of contact points for routine requests.\n")
    text = before + body
    # The hit is the second sentence: closeness alone would quote it first.
    second = text.index("Each Party shall keep a register of contact points for routine")
    chunk = StoredChunk(0, "t.md", None, "Article 7", second, len(text), text[second:], "h")
    result = Retrieved(chunk, DocumentMeta("t.md", "T"), 1.0, 0.8, 0.0, 1, text, 0, len(text),
                       lambda offset: "Article 6" if offset < len(before) else "Article 7")
    answerer = ExtractiveAnswerer(AnswerSettings(max_sentences=1, min_sentences=1), TermWeights(None, 10))
    from assistant.ask.query import analyse

    query = analyse("What register of contact points must each Party keep?", {})
    (picked, a, b), = answerer.select_sentences(query, [result])
    assert text[a:b].endswith("urgent requests.")


def test_a_quoted_lead_in_carries_its_list():
    from assistant.ask.lists import with_list

    text = ("Intro sentence here. This strategy explains how my Administration will:\n"
            "• Defend the homeland by protecting networks; \n• Promote American prosperity; and\n"
            "• Expand American influence abroad.\nTHE WHITE HOUSE\nWASHINGTON\n")
    a = text.index("This strategy")
    b = text.index("\n", a)
    end = with_list(text, a, b)
    assert text[a:end].endswith("Expand American influence abroad.")
    inline = "It rests on five pillars: (1) Defend, (2) Disrupt, and (3) Shape markets. Each effort needs partners."
    assert inline[:with_list(inline, 0, inline.index(":") + 1)].endswith("(3) Shape markets.")
    # An item's short label introduces its explanation; a long sentence ending in ":" does not chain.
    labelled = "Diplomats need five skills: - Curate: Listening is the first step. Next topic starts here."
    assert labelled[:with_list(labelled, 0, labelled.index(":") + 1)].endswith("Listening is the first step.")
    menu = ("See also: Emerging Leaders for a Digital World in the Pacific (2011): Virtual Diplomacy in the "
            "Digital Age since then: Data Diplomacy.")
    assert menu[:with_list(menu, 0, menu.index(":") + 1)].endswith("(2011):")
    # What a colon introduces in prose is its next sentence; a sentence introducing nothing stays.
    prose = "The review found three gaps: Federal roles were unclear. Budgets were short."
    assert prose[:with_list(prose, 0, prose.index(":") + 1)].endswith("roles were unclear.")
    assert with_list("Plain sentence. Next one.", 0, 15) == 15
    # A statute's lead-in has no colon: "shall include" and then its numbered items.
    statute = ("The strategy required under subsection (a) shall include\n\n(1) a review of actions "
               "undertaken;\n\n(2) a plan of action.\n\nNot later than 90 days after, the Secretary shall brief.")
    lead = statute.index("include") + len("include")
    assert statute[:with_list(statute, 0, lead)].endswith("(2) a plan of action.")
    assert with_list("The strategy shall include a plan. Next one.", 0, 19) == 19  # no item follows
    # Bulleted items of more than one sentence: the list goes on to its last item, not to the
    # first full stop (the seed text's "5 Core e-Competences").
    bullets = ("Diplomats need five skills:\n- * Curate: Listening is the first step. It is done by curating.\n"
               "- * Collaborate: You start collaborating. You share resources.\n\nThe theory of time follows.")
    assert bullets[:with_list(bullets, 0, bullets.index(":") + 1)].endswith("You share resources.")
    # Numbers the sentence splitter cuts off as sentences of their own ("1." then "Strengthen ...;").
    numbered = ("It identifies six major actions to strengthen security:\n1. Strengthen counterintelligence "
                "efforts;\n2. Improve capabilities for attribution\nand response;\n\nThe next part begins here.")
    assert numbered[:with_list(numbered, 0, numbered.index(":") + 1)].endswith("attribution\nand response;")


def test_reference_list_entries_and_sentence_tails_are_not_quoted_as_sentences():
    from assistant.text.sentences import usable_sentence as _usable_sentence

    # Endnotes of the 2009 review that an answer once quoted as findings.
    assert not _usable_sentence("Also recommended by “NSTAC Response to the Sixty Day Cyber Study Group,” "
                                "March 12, 2009, at 18, 21.")
    assert not _usable_sentence("7 Business Software Alliance, National Security & Homeland Security Councils "
                                "Review of National Cyber Security Policy, March 19, 2009, at Q3.")
    # The tail of a sentence broken at a line end is not a sentence; a lettered treaty item is.
    assert not _usable_sentence("underpin all our cyber security objectives and keep the public safe online")
    assert _usable_sentence("b) reserve the right not to apply, in whole or in part, paragraph 1 of this article.")
    # A list of dated links run together, with a date on a line of its own.
    menu = "Training, tools, and other resources – Final study\n01 Dec, 2021\nEmerging Leaders for a Digital World (2011):"
    assert not _usable_sentence(" ".join(menu.split()), menu)
    # A dated sentence of the text itself is still a sentence.
    assert _usable_sentence("On March 12, 2009, the President ordered a review of all federal cyber programs.")
    assert _usable_sentence("The Paris Call was launched by the French President in Paris on November 12, 2018.")
    # Notes quoted as answers to "Is the world organisation allowed to meddle in internal affairs?"
    # and the 2009 review's first near-term action: a web address, a date run into the word
    # before it (PDF text), the dated tail of a source.
    assert not _usable_sentence("A Critical Look” (Transnational InstituteSeptember 10, 2019) "
                                "<https://www.tni.org/en/publication/ multistakeholderism-a-critical-look> 4.")
    assert not _usable_sentence("More on the programme of work can be found at www.example.org/cyber-programme today.")
    assert not _usable_sentence("No, Thanks., Cato Institute, March 13, 2009.")
    assert not _usable_sentence("Cyber Security Strategy of the United Kingdom, Cabinet Office (2009).")
    assert not _usable_sentence("Alger C, “The Emerging Roles of NGOs in the UN System: From Article 71 to a "
                                "People’s Millennium Assembly” (2002) 8 Global Governance:")
    # A caption in sentence case, a few words with no end mark.
    assert not _usable_sentence("Government ICT strategic implementation plan 2011")


def announced(text: str, question: str):
    from assistant.ask.lists import announced_list, with_list
    from assistant.records import Retrieved
    from assistant.storage.store import StoredChunk

    chunk = StoredChunk(0, "s.txt", None, "", 0, len(text), text, "h")
    result = Retrieved(chunk, DocumentMeta("s.txt", "S"), 1.0, 0.8, 0.0, 1, text, 0, len(text))
    from assistant.ask.query import requested_list

    return [text[a:with_list(text, a, b)]
            for _, a, b in announced_list(requested_list(question), [result])]  # as answered


def test_a_list_the_question_asks_for_is_quoted_item_by_item():
    text = ("Three Primary Missions in Cyberspace\nThe President has set principles. The Department has three "
            "primary cyber missions. First, it must defend its own networks and data. It trains for this. "
            "For its second mission, it must be prepared to defend the country against attacks. "
            "Third, if directed, it must support military operations. The rest of the chapter follows.")
    quotes = announced(text, "What are the three primary cyber missions of the Department?")
    assert [q.split(",")[0].split(" ")[0] for q in quotes] == ["The", "First", "For", "Third"]
    assert quotes[0] == "The Department has three primary cyber missions."  # not the heading above it
    # No list asked for, or no items that follow the announcement: nothing is added.
    assert announced(text, "What must the Department defend?") == []
    assert announced("The Department has three primary cyber missions. Its missions matter a great deal.",
                     "What are the three primary cyber missions?") == []
    # An announcement carrying its items leads alone, ahead of better-scored prose.
    inline = ("We will engage partners widely. This strategy rests on five pillars: (1) Defend, (2) Disrupt, "
              "(3) Shape markets, (4) Invest, and (5) Forge partnerships. Each pillar has objectives.")
    assert announced(inline, "What are the five pillars of the strategy?") == [
        "This strategy rests on five pillars: (1) Defend, (2) Disrupt, (3) Shape markets, (4) Invest, and "
        "(5) Forge partnerships."]
    # A list asked for without a count, announced with its items run on by commas.
    glossary = ("Function: One of the main components of the Framework. The five functions are Identify, "
                "Protect, Detect, Respond, and Recover. Framework Core: A set of activities.")
    assert announced(glossary, "What are the Functions of the NIST Cybersecurity Framework?") == [
        "The five functions are Identify, Protect, Detect, Respond, and Recover."]
    assert announced(glossary, "What is a Function?") == []
    # A list longer than the ordinals known ("eleven goals") is read as far as they go, not a crash.
    first, second = "First, it protects the networks of every agency.", "Second, it deters attackers from acting."
    assert announced(f"The plan has eleven goals. {first} {second}", "What are the eleven goals?") == [
        "The plan has eleven goals.", first, second]
    # "its second mission" inside a sentence does not open an item.
    assert announced("The Department has two missions. First, it defends its networks and data. Budgets for "
                     "the work on its second mission rose sharply last year.", "What are the two missions?") == []


def test_the_three_missions_answer_quotes_each_mission(shipped_assistant):
    answer = shipped_assistant.ask("What are the three primary cyber missions of the Department of Defense "
                                   "in its 2015 Cyber Strategy?")
    check_citations(answer, pages=True)
    quoted = " ".join(" ".join(c.quote.split()) for c in answer.citations)
    for item in ("First, DoD must defend its own networks", "For its second mission, DoD must be prepared",
                 "Third, if directed by the President"):
        assert item in quoted, answer.answer


def test_sentences_under_the_named_provision_are_quoted(shipped_assistant):
    # Without the preference the extradition clauses of Article 24 were quoted for "Article 2".
    answer = shipped_assistant.ask("What conduct does Article 2 of the Budapest Convention require states to "
                                   "criminalise, and what extra conditions may a Party attach?")
    assert not answer.abstained
    first = answer.citations[0]
    assert (first.file, first.section) == ("Budapest_Convention_on_Cybercrime_ETS185_en.md", "Article 2 – Illegal access")
    assert "offence be committed by infringing security measures" in first.quote


def test_a_comparison_is_answered_from_each_document_it_names(shipped_assistant):
    # The 2003 strategy's passages are less similar to the question than the answer floor; they
    # were left unquoted and the answer spoke of the 2018 strategy only.
    answer = shipped_assistant.ask("How have the US national strategies of 2003 and 2018 positioned the "
                                   "Budapest Convention?")
    check_citations(answer)
    cited = {c.file for c in answer.citations}
    assert {"US_National_Strategy_to_Secure_Cyberspace_2003.txt", "US_National_Cyber_Strategy_2018.pdf"} <= cited


def test_each_named_document_takes_the_place_of_a_repeated_one():
    from types import SimpleNamespace

    from assistant.ask.answering import _each_side

    def pick(file, score, words):
        return (score, 1, 0, SimpleNamespace(chunk=SimpleNamespace(file=file)), "q", set(words.split()))

    chosen = [pick("a", 0.9, "one two"), pick("a", 0.8, "three four"), pick("c", 0.7, "five six")]
    candidates = [pick("b", 0.3, "seven eight"), pick("b", 0.5, "nine ten"), pick("a", 0.6, "x y")]
    out = _each_side(chosen, candidates, {"a", "b"}, max_sentences=3)
    # The weakest pick of a document quoted twice or not named goes; b's best sentence comes in.
    assert sorted((c[3].chunk.file, c[0]) for c in out) == [("a", 0.8), ("a", 0.9), ("b", 0.5)]
    # Room left: nothing is dropped.
    assert len(_each_side(chosen[:1], candidates, {"a", "b"}, max_sentences=3)) == 2


def test_a_named_article_is_answered_from_its_opening_paragraph(shipped_assistant):
    # The passage holding Article 16 is less similar to the question than the quoting floor (0.30),
    # and the UN Charter has an Article 16 too: the answer once quoted the Charter's.
    answer = shipped_assistant.ask("What does Article 16 of the Budapest Convention require?")
    check_citations(answer)
    first = answer.citations[0]
    assert (first.file, first.section) == ("Budapest_Convention_on_Cybercrime_ETS185_en.md",
                                           "Article 16 – Expedited preservation of stored computer data")
    assert "expeditious preservation of specified computer data" in first.quote
    assert all(c.file != "UN_Charter_1945_en.md" for c in answer.citations)


def test_the_list_a_question_asks_for_is_read_off_it():
    from assistant.ask.query import requested_list

    assert requested_list("What are the five pillars of the 2023 strategy?") == {(5, "pillar")}
    assert requested_list("What are the Functions of the NIST Cybersecurity Framework?") == {(None, "function")}
    assert requested_list("What are the NIST Framework Implementation Tiers, and are they maturity levels?") \
        == {(None, "tier")}
    assert requested_list("What is cyber diplomacy?") == set()
    assert requested_list("What was the first near-term action of the review?") == set()
