"""Answers: cited, verbatim, abstaining when the documents are silent; follow-ups; CLI contract."""
import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from assistant.config import PROJECT_ROOT
from assistant.ask.conversation import condense_question
from assistant.devtools.evaluation import load_questions
from assistant.ingest.loading import DocumentMeta

from .helpers import check_citations

GOLD = load_questions(PROJECT_ROOT / "evals" / "gold.jsonl")


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
    "Under the Tallinn Manual 2.0's Rule 92, which cyber operations count as an attack?",
    "How many ransomware incidents did victims around the world report during 2024?",
])
def test_near_topic_question_naming_an_identifier_the_documents_lack_abstains(shipped_assistant, question):
    assert shipped_assistant.ask(question).abstained


def test_identifier_found_in_a_title_or_heading_does_not_abstain(shipped_assistant):
    answer = shipped_assistant.ask("What does Article 35 of the Budapest Convention establish?")
    assert not answer.abstained
    answer = shipped_assistant.ask("What does the Paris Call WG4 report recommend?")
    assert not answer.abstained


def test_a_year_a_document_was_made_in_names_it_rather_than_asking_for_a_fact(shipped_assistant):
    # The top passages are the Convention's, which never write 2023: the year names the US strategy.
    answer = shipped_assistant.ask("What does the 2023 US strategy say about the Budapest Convention, and how can "
                                   "states that are not members of the Council of Europe join that Convention?")
    assert not answer.abstained
    assert "2023" not in " ".join(r.text for r in answer.retrieved)
    # A year no indexed document was made in still asks for what the passages must hold.
    assert shipped_assistant.ask("How many ransomware incidents did victims around the world report during "
                                 "2024?").abstained


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
    # A part a document numbers is no version of it.
    assert versions_named("How does Section 1.2 of the Framework define risk?") == []
    assert versions_named("What does Table 2.1 list?") == []
    assert not shipped_assistant.ask("How does Section 1.2 of the NIST Cybersecurity Framework define "
                                     "risk management?").abstained
    assert shipped_assistant.ask("What does the Tallinn Manual 3.0 say about sovereignty in cyberspace?").abstained
    # The shipped framework is version 1.1.
    assert not shipped_assistant.ask("What does the NIST Cybersecurity Framework Version 1.1 say about "
                                     "Framework Profiles?").abstained


def test_a_place_in_a_series_no_document_mentions_is_not_answered(shipped_assistant):
    from assistant.ask.query import editions_named

    (name, others), = editions_named("What did the second annual progress report agree?")
    assert name == "second annual progress report" and "first annual progress report" in others
    assert editions_named("What is the first of the guiding principles?") == []  # no kind after the ordinal
    # Resolution 77/37 mentions the 2021-2025 working group's first annual progress report, no document another.
    asked = "What did the {} annual progress report of the open-ended working group 2021-2025 recommend?"
    assert shipped_assistant.ask(asked.format("third")).abstained
    assert not shipped_assistant.ask(asked.format("first")).abstained
    # Nothing mentions a second First Committee report, nor any other: a name, not a place in a series.
    assert not shipped_assistant.ask("On which First Committee report was resolution 76/19 adopted?").abstained


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


def test_a_question_naming_one_document_is_answered_from_it(shipped_assistant):
    answer = shipped_assistant.ask("How does the 2018 US National Cyber Strategy group its priority actions into "
                                   "four pillars?")
    assert not answer.abstained
    files = [c.file for c in answer.citations]
    assert files.count("US_National_Cyber_Strategy_2018.pdf") > len(files) / 2, files


@pytest.mark.parametrize("paragraph", [3, 4, 7])
def test_the_paragraph_a_question_names_is_quoted(shipped_assistant, paragraph):
    answer = shipped_assistant.ask(f"What is laid down in Article 2({paragraph}) of the UN Charter?")
    # The paragraph may be joined to the one before it when both are quoted.
    assert any(re.search(rf"(^|\s){paragraph}\.\s?[A-Z]", c.quote) and c.section == "Article 2"
               for c in answer.citations), \
        [c.quote[:40] for c in answer.citations]


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


def test_the_three_missions_answer_quotes_each_mission(shipped_assistant):
    answer = shipped_assistant.ask("Which three cyber missions does the 2015 DoD Cyber Strategy give the "
                                   "Department of Defense?")
    check_citations(answer, pages=True)
    quoted = " ".join(" ".join(c.quote.split()) for c in answer.citations)
    for item in ("First, DoD must defend its own networks", "For its second mission, DoD must be prepared",
                 "Third, if directed by the President"):
        assert item in quoted, answer.answer


def test_sentences_under_the_named_provision_are_quoted(shipped_assistant):
    # Without the preference the extradition clauses of Article 24 were quoted for "Article 2".
    answer = shipped_assistant.ask("Which offence does Article 2 of the Budapest Convention define, and which "
                                   "conditions may a Party require for it?")
    assert not answer.abstained
    first = answer.citations[0]
    assert (first.file, first.section) == ("Budapest_Convention_on_Cybercrime_ETS185_en.md", "Article 2 – Illegal access")
    assert "offence be committed by infringing security measures" in first.quote


def test_a_comparison_is_answered_from_each_document_it_names(shipped_assistant):
    # The 2003 strategy's passages are less similar to the question than the answer floor; they
    # were left unquoted and the answer spoke of the 2018 strategy only.
    answer = shipped_assistant.ask("How do the 2003 and the 2018 US national strategies treat the "
                                   "Budapest Convention?")
    check_citations(answer)
    cited = {c.file for c in answer.citations}
    assert {"US_National_Strategy_to_Secure_Cyberspace_2003.txt", "US_National_Cyber_Strategy_2018.pdf"} <= cited


def test_each_named_document_takes_the_place_of_a_repeated_one():
    from types import SimpleNamespace

    from assistant.ask.answering import Candidate, ExtractiveAnswerer, TermWeights
    from assistant.config import AnswerSettings

    def pick(file, score, words):
        return Candidate(score, SimpleNamespace(chunk=SimpleNamespace(file=file)), 0, "q", set(words.split()))

    answerer = ExtractiveAnswerer(AnswerSettings(max_sentences=3), TermWeights(None, 10))
    chosen = [pick("a", 0.9, "one two"), pick("a", 0.8, "three four"), pick("c", 0.7, "five six")]
    candidates = [pick("b", 0.3, "seven eight"), pick("b", 0.5, "nine ten"), pick("a", 0.6, "x y")]
    out = answerer._each_side(chosen, candidates, {"a", "b"})
    # The weakest pick of a document quoted twice or not named goes; b's best sentence comes in.
    assert sorted((c.file, c.score) for c in out) == [("a", 0.8), ("a", 0.9), ("b", 0.5)]
    # Room left: nothing is dropped.
    assert len(answerer._each_side(chosen[:1], candidates, {"a", "b"})) == 2


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


def test_a_paragraph_too_long_to_quote_is_answered_by_its_clause_that_holds_the_answer():
    """A resolution sets an operative paragraph out as one sentence of 100+ words: the clause
    answering the question is quoted, verbatim, with "…" where it stops or starts mid-sentence."""
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings
    from assistant.records import Retrieved
    from assistant.storage.store import StoredChunk

    filler = ", ".join(f"taking into account the views of region {n} on shared networks" for n in range(12))
    text = (f"3. Decides to convene a working group on water security, {filler}, to report on the "
            "protection of pumping stations to the Assembly at its next session, and to meet in the spring;\n")
    assert len(text.split()) > AnswerSettings().max_words
    chunk = StoredChunk(0, "r.txt", None, "", 0, len(text), text, "h")
    result = Retrieved(chunk, DocumentMeta("r.txt", "R"), 1.0, 0.8, 0.0, 1, text, 0, len(text), None)
    answer = ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).answer(
        "When must the working group report on the protection of pumping stations?", [result],
        query=analyse("When must the working group report on the protection of pumping stations?", {}))
    assert not answer.abstained
    assert "pumping stations" in answer.answer and len(answer.answer.split()) <= 60
    assert all(c.quote in text for c in answer.citations)
    assert "to report on the protection of pumping stations" in answer.citations[0].quote
    assert answer.answer.startswith("…")  # the clause starts mid-sentence


def _passage(text: str, labels: list[tuple[int, str]], start: int = 0, before: str = ""):
    """A retrieved passage of `text` whose units are `labels` (offset in the passage, label), the
    page text holding `before` ahead of it."""
    from bisect import bisect_right

    from assistant.records import Retrieved, StoredChunk

    starts = [start + o for o, _ in labels]

    def unit(offset: int) -> str:
        if offset < start:
            return labels[0][1] if before else ""
        j = bisect_right(starts, offset) - 1
        return labels[j][1] if j >= 0 and offset < start + len(text) else ""

    chunk = StoredChunk(0, "t.md", None, "", start, start + len(text), text, "h")
    return Retrieved(chunk, DocumentMeta("t.md", "T"), 1.0, 0.5, 0.0, 1, text, start, start + len(text),
                     units_of=unit)


def test_prose_above_a_lone_numbered_line_is_quotable():
    # A slide: a page of prose, then a numbered line. What stands outside units is front matter only
    # in a passage that is numbered for the most part (a resolution's paragraphs).
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings

    text = ("The pumping station network serves four regions of the country. Its engineers trained abroad "
            "for three years before the network opened. The station design was translated into nine "
            "languages and is used in water schools worldwide.\n\n1. Water Society Learning (org)")
    r = _passage(text, [(text.index("1. Water"), "para 1")])
    question = "Into how many languages was the station design translated?"
    answer = ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).answer(question, [r],
                                                                                query=analyse(question, {}))
    assert not answer.abstained
    assert "translated into nine languages" in answer.answer
    # Mostly numbered, the text outside the units is front matter and is not quoted.
    numbered = ("Distribution: General, for the station schools.\n1. Decides that the pumping station network "
                "shall serve four regions and shall be open to water schools worldwide;\n2. Requests the "
                "engineers to translate the station design into nine languages and to report on it;\n")
    r = _passage(numbered, [(numbered.index("1. Decides"), "para 1"), (numbered.index("2. Requests"), "para 2")])
    question = "Which languages and schools does the station distribution serve?"
    answer = ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).answer(question, [r],
                                                                                query=analyse(question, {}))
    assert "Distribution" not in answer.answer


def test_a_quote_is_widened_to_the_short_numbered_paragraph_holding_it_with_its_items():
    from assistant.ask.answering import whole_unit

    text = ("Each Party shall designate a point of contact available at all times. Such assistance shall "
            "include the following measures: a) the provision of technical advice; b) the preservation of "
            "data. Each Party shall ensure that trained personnel are available.")
    items = text.index("a) the"), text.index("b) the"), text.index("Each Party shall ensure")
    labels = [(0, "Art. 35(1)"), (items[0], "Art. 35(1)(a)"), (items[1], "Art. 35(1)(b)"), (items[2], "Art. 35(2)")]
    r = _passage(text, labels)
    a, b = 0, text.index(" Such")
    x, y = whole_unit(r, a, b, 120)
    assert text[x:y] == text[:items[2]].rstrip()  # paragraph 1 with its items, not paragraph 2
    assert whole_unit(r, a, b, 10) == (a, b)  # longer than allowed: the sentence alone
    # A sentence of a text that numbers nothing stays as it is.
    assert whole_unit(_passage(text, [(0, "")]), a, b, 120) == (a, b)


def test_a_paragraph_that_began_before_the_passage_is_not_widened():
    from assistant.ask.answering import whole_unit

    text = "it shall be preserved for sixty days. Parties shall cooperate."
    r = _passage(text, [(0, "Art. 29(7)")], start=100, before="Any preservation effected ")
    assert whole_unit(r, 0, text.index(" Parties"), 120) == (0, text.index(" Parties"))


def test_a_paragraph_is_not_widened_over_a_page_break():
    from assistant.ask.answering import whole_unit

    text = "Parties shall cooperate widely.\f\nThe Strategy: a running header. They shall report yearly."
    r = _passage(text, [(0, "para 2.19")])
    assert whole_unit(r, 0, text.index("\f"), 120) == (0, text.index("\f"))


def test_picks_side_by_side_are_one_quote_only_within_one_unit_or_its_siblings():
    from assistant.ask.lists import merge_adjacent

    text = "(b) To support cooperative measures; 2. Invites all States to inform. (a) Efforts at home;"
    second, third = text.index("2. Invites"), text.index("(a) Efforts")
    r = _passage(text, [(0, "op. para 1(b)"), (second, "op. para 2"), (third, "op. para 2(a)")])
    spans = [(r, 0, second - 1), (r, second, third - 1), (r, third, len(text))]
    # 1(b) and 2 are two quotes; 2 and its item (a) read as one.
    assert [q for _, q in merge_adjacent(spans)] == [text[:second - 1], text[second:]]


def test_in_a_numbered_passage_the_unnumbered_front_matter_is_not_quoted():
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings

    header = "Resolution adopted by the General Assembly on 7 December 2022 on the report of the Committee.\n"
    body = "Requests the Secretary-General to seek the views of Member States on the programme of action.\n"
    text = header + body
    r = _passage(text, [(0, ""), (len(header), "op. para 3")])
    question = "What did the General Assembly in December 2022 request of the Secretary-General?"
    quoted = [c.quote for c in ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).candidates(
        analyse(question, {}), [r])]
    assert quoted == [body.strip()]
    # In a text that numbers nothing, the same line is a sentence like any other.
    plain = _passage(text, [(0, "")])
    assert len(ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).candidates(analyse(question, {}), [plain])) == 2


def test_a_widened_paragraph_leaves_out_the_heading_over_it():
    from assistant.ask.answering import whole_unit

    text = "### Article 8\n\nThe Organization shall place no restrictions on the eligibility of staff. It shall act fairly."
    start = text.index("The Organization")
    r = _passage(text, [(0, "Art. 8")])
    x, y = whole_unit(r, start, text.index(" It shall"), 120)
    assert text[x:y] == text[start:]


def test_a_clause_of_the_paragraph_quoted_first_is_preferred_to_an_equal_one_elsewhere():
    from assistant.ask.answering import Candidate, ExtractiveAnswerer, TermWeights
    from assistant.config import AnswerSettings

    text = ("5. Requests the Secretary-General, with a group of experts to be established in 2016, to continue "
            "to study threats, and to submit a report at its seventy-second session; "
            "6. Decides to include the item in the agenda.")
    six = text.index("6. Decides")
    r = _passage(text, [(0, "op. para 5"), (six, "op. para 6")])

    def clause(start, end, score):
        return Candidate(score, r, start, text[start:end], set(text[start:end].lower().split()))

    first = clause(0, text.index(", to continue"), 0.9)
    same = clause(text.index("and to submit"), six - 1, 0.60)
    other = clause(six, len(text), 0.62)
    settings = AnswerSettings(max_sentences=2, min_sentences=1, stop_below_share=0.5, floor_share=0.5)
    chosen = ExtractiveAnswerer(settings, TermWeights(None, 10))._pick([first, other, same])[0]
    assert chosen == [first, same]  # the later clause of paragraph 5 outranks paragraph 6's sentence
    no_bonus = replace(settings, lead_unit_bonus=0.0)
    assert ExtractiveAnswerer(no_bonus, TermWeights(None, 10))._pick([first, other, same])[0] == [first, other]


def test_a_long_paragraph_cut_by_the_end_of_its_page_is_still_quoted_by_its_clauses():
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings

    filler = ",\n".join(f"taking into account the views of region {n} on shared networks" for n in range(12))
    text = ("Welcomes the proposal to establish a programme of action on water security,\n"
            f"as a permanent mechanism to discuss threats to pumping stations, {filler},\nand the")
    assert len(text.split()) > AnswerSettings().max_words and not text.rstrip().endswith(".")
    r = _passage(text, [(0, "op. para 1")])
    question = "What kind of mechanism on pumping stations did the proposal establish?"
    quotes = [c.quote for c in ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).candidates(
        analyse(question, {}), [r])]
    assert any("permanent mechanism to discuss threats to pumping stations" in q for q in quotes)


def test_a_paragraph_holding_a_note_the_layout_put_inside_it_is_not_widened():
    from assistant.ask.answering import whole_unit

    text = ("Civil society has taken part in the dialogues since 2019. It chaired several informal sessions.\n"
            "29United Nations General Assembly, “Report of the Group” (2011) https://undocs.org/A/RES/66/24.\n"
            "It also drafted proposals for the working group.")
    r = _passage(text, [(0, "para 4")])
    assert whole_unit(r, 0, text.index(" It chaired"), 120) == (0, text.index(" It chaired"))


def test_a_passage_little_like_the_question_is_quoted_when_the_question_describes_its_document():
    """"The 2018 resolution" points at one document: its passage on the topic asked answers, however
    unlike the question its words are; asked of no described document, the same passage is too weak."""
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings
    from assistant.records import Retrieved, StoredChunk

    text = ("The group may hold intersessional consultative meetings with business, non-governmental "
            "organizations and academia, funded from voluntary contributions.")
    meta = DocumentMeta("r18.txt", "Developments in the field", year="2018", type="resolution")
    docs = {"r18.txt": meta, "s16.md": DocumentMeta("s16.md", "A strategy", year="2016", type="strategy")}
    weak = Retrieved(StoredChunk(0, "r18.txt", None, "", 0, len(text), text, "h"), meta, 1.0, 0.2, 0.0, 1,
                     text, 0, len(text))
    answerer = ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10), docs)
    described = "Could academia and business take part in the group the 2018 decision set up?"
    assert analyse(described, docs).described == ["r18.txt"]
    answer = answerer.answer(described, [weak])
    assert not answer.abstained and "academia" in answer.answer
    assert answerer.answer("Could academia and business take part in the group?", [weak]).abstained


def test_the_documents_own_title_is_not_quoted_as_what_it_says():
    from assistant.ask.answering import title_line_end

    title = "Improving the practice of cyber diplomacy: Training, tools, and other resources - Phase I"
    text = ("Improving the practice of cyber diplomacy: Training, tools, and other resources – Phase I\n"
            "[Update] Phase II of this study was completed in December 2021.")
    assert text[title_line_end(text, 0, len(text), title):].startswith("[Update] Phase II")
    fragment = "Improving the practice of cyber diplomacy:"  # what the splitter cuts off at the colon
    assert title_line_end(fragment, 0, len(fragment), title) == len(fragment)
    # A sentence that names the document and says something is prose.
    prose = "The practice of cyber diplomacy improves with training of diplomats in every ministry."
    assert title_line_end(prose, 0, len(prose), title) == 0


def _answer_from(text: str, question: str):
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings
    from assistant.records import Retrieved, StoredChunk

    chunk = StoredChunk(0, "r.txt", None, "", 0, len(text), text, "h")
    result = Retrieved(chunk, DocumentMeta("r.txt", "R"), 1.0, 0.8, 0.0, 1, text, 0, len(text), None)
    return ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).answer(
        question, [result], query=analyse(question, {}))


def test_a_question_asking_how_many_is_not_answered_by_sentences_without_the_number():
    """The passage speaks of the council's members but never says how many there are: the answer
    says so rather than quote what it has."""
    text = ("The water council brings together members from every river basin. Members of the water "
            "council meet each spring to review the protection of pumping stations. The council "
            "elects its chair from among its members for a term of office.")
    answer = _answer_from(text, "How many members sit on the water council?")
    assert answer.abstained and "how many" in answer.answer


def test_a_question_asking_how_many_is_answered_by_the_sentence_stating_the_number():
    """The sentence with the number shares fewer words with the question than the others; it is
    quoted all the same, and a figure the question gives itself does not count as an answer."""
    text = ("The water council of 2019 reviews the protection of pumping stations in every river basin "
            "and the members of the water council report to the assembly. Members of the water council "
            "sit each spring to review the water council's plans. The members of the water council sit "
            "with the basin authorities to set up joint plans. The members who sit on the water council "
            "were set up as a body to advise on river basins. Each serves for a term of office of three "
            "years, and twenty-one members serve in all.")
    answer = _answer_from(text, "How many members sit on the water council set up in 2019?")
    assert not answer.abstained
    assert "twenty-one members serve in all" in answer.answer


def test_a_question_asking_a_date_is_not_answered_by_sentences_without_one():
    """The passage says what the plan requires of agencies but sets no date: the answer says so; where a
    sentence sets one, it is quoted though others share more of the question's words."""
    text = ("The plan requires federal agencies to migrate their systems to quantum-resistant algorithms. "
            "Federal agencies must plan the migration of their systems with the national security staff. "
            "Agencies report on the migration of their systems to the national security staff each year.")
    question = "By what year must federal agencies migrate their systems to quantum-resistant algorithms?"
    answer = _answer_from(text, question)
    assert answer.abstained and "date" in answer.answer
    dated = text + " The work is to be complete by 2035 for the most sensitive networks."
    answer = _answer_from(dated, question)
    assert not answer.abstained and "by 2035" in answer.answer



def test_a_lead_in_that_turns_out_a_cited_source_is_not_quoted():
    """A line of a notes page ending in ":" reads like a list's lead-in; read on, it is a source
    cited, with its title and web address: a reference entry is never quoted, however close its words."""
    text = ("The council's advisers publish guidance on the protection of pumping stations in each river "
            "basin every year.\n"
            "Water Council of the Basins, “Pumping stations:\n"
            "Guidance on the protection of pumping stations” (2021) <https://water.example.org/pumping-"
            "stations.pdf>\n")
    answer = _answer_from(text, "What guidance on the protection of pumping stations does the water council give?")
    assert not answer.abstained
    assert "https://" not in answer.answer and "Guidance on the protection of pumping stations”" not in answer.answer


def test_a_listed_lead_in_with_a_date_and_a_quoted_title_is_quoted_with_its_items():
    """A resolution's lead-in names the text it recalls by its quoted title and date; it is no source
    entry, and the answer quotes it with the items it introduces."""
    text = ("Recalling its earlier resolutions on the question,\n1.\n"
            "Welcomes the following set of international rules, norms and principles of responsible behaviour "
            "of States, recommended in resolution 71/28 entitled “Developments in the field of information”, "
            "adopted by the General Assembly on 5 December 2016:\n"
            "1.1. States should cooperate in developing measures to increase stability in the use of ICTs.\n"
            "1.2. States should not knowingly allow their territory to be used for wrongful acts using ICTs.\n"
            "2.\nDecides to convene a group in 2019.")
    answer = _answer_from(text, "Which norms of responsible behaviour of States did the Assembly welcome?")
    assert "Welcomes the following set" in answer.answer and "wrongful acts using ICTs" in answer.answer


def test_a_dateline_answers_when_and_where_a_text_was_made_and_nothing_else():
    """A declaration closes with where and when it was made, on a line of its own and without an end
    mark: it is what answers "when was it issued?", and is not quoted for what the text says, nor
    for where else something happens."""
    text = ("The river charter asks every basin authority to protect its pumping stations. Signatories "
            "will share warnings of floods with their neighbours without delay. We agree to meet again at "
            "the basin forum next spring to review the progress made.\n\nLyon, 14th of March, 2019\n")
    answer = _answer_from(text, "When and where was the river charter issued?")
    assert "Lyon, 14th of March, 2019" in answer.answer
    answer = _answer_from(text, "What does the river charter ask of basin authorities about pumping stations "
                                "in Lyon in March 2019?")
    assert "Lyon, 14th of March" not in answer.answer and "pumping stations" in answer.answer
    answer = _answer_from(text, "Where did the river charter's signatories agree to meet again?")
    assert "basin forum" in answer.answer and "Lyon, 14th of March" not in answer.answer


def test_a_resolutions_adoption_line_answers_when_it_was_adopted_and_nothing_else():
    """Above its numbered paragraphs a resolution says when it was adopted, in a line without an end
    mark that stands in no paragraph: front matter, but what "when was it adopted?" asks."""
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings

    text = ("Resolution adopted by the General Assembly\non 7 March 2024\n\n"
            "1. Calls upon States to protect the pumping stations of every river basin from floods.\n"
            "2. Decides to review the protection of pumping stations against floods at its next session.\n")
    r = _passage(text, [(text.index("1. Calls"), "op. para 1"), (text.index("2. Decides"), "op. para 2")])

    def answer(question: str) -> str:
        found = ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10)).answer(
            question, [r], query=analyse(question, {}))
        return " ".join(found.answer.split())

    assert "Resolution adopted by the General Assembly on 7 March 2024" in answer(
        "When was the resolution on pumping stations adopted?")
    assert "adopted by the General Assembly" not in answer("What does the resolution ask States to protect from floods?")


def test_a_dateline_is_a_place_or_meeting_and_a_date_alone():
    from assistant.text.sentences import DATELINE

    for line in ("Paris, 12th of November, 2018", "45th plenary meeting\n5 December 2018",
                 "Strasbourg, this 23rd day of November 2001", "New York, December 5, 2018"):
        assert DATELINE.fullmatch(line), line
    for line in ("Twiplomacy Study 13 Aug, 2015", "See the report of 5 December 2018",
                 "Adopted by consensus on 5 December 2018 in Paris"):
        assert not DATELINE.fullmatch(line), line


def test_lettered_items_are_quoted_with_their_lead_in_never_alone():
    # A treaty's lead-in and its items set apart by blank lines are one sentence: quoted whole when
    # short, and when too long no item going on in lower case is offered alone ("e) the necessity of
    # the preservation; and"), as with the items on the lead-in's own lines.
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings

    short = ("A Party may, without the authorisation of another Party:\n\na) access publicly available "
             "stored computer data; or\n\nb) access stored computer data with the consent of its holder.")
    question = "When may a Party access stored computer data without authorisation?"
    answerer = ExtractiveAnswerer(AnswerSettings(), TermWeights(None, 10))
    assert [c.quote for c in answerer.candidates(analyse(question, {}), [_passage(short, [(0, "")])])] == [short]
    items = "".join(f"\n\n{x}) the {w} of the stored computer data to be preserved and its location;"
                    for x, w in zip("abcdef", ["nature", "type", "size", "origin", "holder", "necessity"]))
    long = "A request for the preservation of stored computer data shall specify:" + items[:-1] + "."
    assert len(long.split()) > AnswerSettings().max_words
    quoted = [c.quote for c in answerer.candidates(analyse(question, {}), [_passage(long, [(0, "")])])]
    assert quoted and not any(q.lstrip()[:2] in {f"{x})" for x in "abcdef"} for q in quoted)


def test_once_a_pick_is_left_out_for_length_only_what_reads_on_or_shares_the_first_picks_unit_comes_in():
    from assistant.ask.answering import Candidate, ExtractiveAnswerer, TermWeights
    from assistant.config import AnswerSettings

    long_one = "A better sentence that says a great deal " + "more and more " * 12 + "about it."
    text = ("1. The first point is made here in some words. The second point follows it. " + long_one
            + " A last word of the first. 2. Another paragraph altogether with its own point. A short weak line.")
    two = text.index("2. Another")
    r = _passage(text, [(0, "op. para 1"), (two, "op. para 2")])

    def sentence(s, score):
        start = text.index(s)
        return Candidate(score, r, start, s, set(s.lower().split()))

    first = sentence("The first point is made here in some words.", 0.9)
    better = sentence(long_one, 0.8)  # too long for what is left
    weak = sentence("A short weak line.", 0.7)  # fits, but is worse than the one left out, in another unit
    next_one = sentence("The second point follows it.", 0.6)  # reads on from the first pick
    last = sentence("A last word of the first.", 0.5)  # not next to a pick, but in the first pick's paragraph
    settings = AnswerSettings(max_sentences=4, min_sentences=1, stop_below_share=0.5, floor_share=0.5,
                              max_answer_words=30, strong_pick_share=0.99, lead_unit_bonus=0.0, repeat_overlap=0.9)
    ranked = [first, better, weak, next_one, last]
    chosen, _, left_out = ExtractiveAnswerer(settings, TermWeights(None, 10))._pick(ranked)
    assert chosen == [first, next_one, last] and left_out == [better]
    # The old greedy fill let the weaker, shorter sentence take the place of the one left out.
    filling = replace(settings, stop_when_full=False)
    assert ExtractiveAnswerer(filling, TermWeights(None, 10))._pick(ranked)[0] == [first, weak, next_one, last]


def test_a_list_that_fills_the_answer_is_not_followed_by_other_sentences():
    """The list asked for is read whole, however long; other sentences follow it only while the
    answer stays within its word budget, and a short list leaves room for them."""
    items = "".join(f"{n}. Protect the pumping stations of river basin number {n} against floods and frost;\n"
                    for n in range(1, 7))
    text = ("The water council names six actions to protect pumping stations:\n" + items
            + "\nThe water council protects pumping stations in every river basin with its own staff. "
            "Pumping stations of the water council are protected by rangers on patrol.")
    question = "Which six actions does the water council name to protect pumping stations?"
    answer = _answer_from(text, question)
    assert "6. Protect the pumping stations" in answer.answer
    assert "rangers on patrol" not in answer.answer and "its own staff" not in answer.answer
    short = text.replace(items, "1. Patrol;\n2. Repair;\n3. Insure;\n4. Train;\n5. Report;\n6. Plan.\n")
    assert "its own staff" in _answer_from(short, question).answer


def test_the_definition_asked_for_leads_the_answer():
    """Asked how a glossary defines a term, the answer quotes the entry that defines it first, not a
    sentence using the term with more of the question's words."""
    from assistant.ask.answering import ExtractiveAnswerer, TermWeights
    from assistant.ask.query import analyse
    from assistant.config import AnswerSettings
    from assistant.records import Retrieved, StoredChunk

    text = ("Glossary\nThe glossary of the water council defines the pumping network terms used by the water "
            "council in the basin.\nPumping network The pipes and stations that lift water from the river.\n"
            "Water council The body that runs the stations.\nRiver basin The land a river drains.\n")
    question = "How does the glossary define water council?"
    chunk = StoredChunk(0, "g.txt", None, "", 0, len(text), text, "h")
    result = Retrieved(chunk, DocumentMeta("g.txt", "G"), 1.0, 0.8, 0.0, 1, text, 0, len(text), None)

    def best_quote(settings: AnswerSettings) -> str:
        one = replace(settings, max_sentences=1, min_sentences=1)
        (r, a, b), = ExtractiveAnswerer(one, TermWeights(None, 10)).select(analyse(question, {}), [result])[0]
        return text[a:b]

    assert best_quote(AnswerSettings()).startswith("Water council The body")
    assert not best_quote(AnswerSettings(definition_bonus=0.0)).startswith("Water council The body")


def test_an_absent_documents_mention_quoted_is_the_one_saying_most_of_what_is_asked():
    """The index does not hold the Gadget Act; the passage mentions it twice. The answer says it is not
    indexed and quotes the mention on what the question asks (ferry operators), not the first one."""
    from assistant.ask.answering import absent_document_answer
    from assistant.ask.query import analyse
    from assistant.records import Retrieved, StoredChunk

    text = ("The Gadget Act was passed by the assembly in 1912 after a long debate. Under the Gadget Act, "
            "ferry operators had to carry radios and keep a watch at night. The assembly met again in 1913.")
    question = "What did the Gadget Act require of ferry operators?"
    query = analyse(question, {})
    assert [name for name, _ in query.absent] == ["Gadget Act"]
    chunk = StoredChunk(0, "h.txt", None, "", 0, len(text), text, "h")
    result = Retrieved(chunk, DocumentMeta("h.txt", "H"), 1.0, 0.8, 0.0, 1, text, 0, len(text), None)
    answer = absent_document_answer(question, query, [result], question, "extractive")
    assert answer.abstained and answer.answer.startswith("The Gadget Act is not among the indexed documents.")
    assert [c.quote for c in answer.citations] == ["Under the Gadget Act, ferry operators had to carry radios "
                                                   "and keep a watch at night."]
