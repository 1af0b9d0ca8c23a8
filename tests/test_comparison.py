"""Comparison: questions across documents are recognised from catalog metadata and answered as a
position table, one row per document, each quote verbatim from its own document."""
import csv
import io

import pytest

from assistant.ask.comparison import comparison_scope, surveyed, table_csv, table_markdown
from assistant.ask.query import analyse, headed_documents, typed_years
from assistant.records import DocumentMeta, Filters


def _catalog() -> dict[str, DocumentMeta]:
    rows = [("a.pdf", "Alpha Cyber Strategy of Ruritania", "2018", "strategy", "Ruritania"),
            ("b.pdf", "Beta Cyber Strategy", "2023", "strategy", "United Kingdom"),
            ("c.pdf", "Gamma Cyber Strategy", "2018", "strategy", "United Kingdom"),
            ("d.txt", "Zeta Accord for Open Networks", "2019", "treaty", "international"),
            ("e.txt", "Zeta Accord Working Group 3: a report", "2021", "study", "international"),
            ("f.txt", "General Assembly resolution 70/1: Networks", "2015", "resolution", "international")]
    docs = {f: DocumentMeta(f, t, year=y, type=ty, jurisdiction=j) for f, t, y, ty, j in rows}
    docs["f.txt"].symbol = "A/RES/70/1"
    return docs


def test_a_survey_is_asked_across_a_kind_of_document_or_all_of_them():
    docs = _catalog()
    assert surveyed("Which strategies mention quantum computing?", docs) == ["a.pdf", "b.pdf", "c.pdf"]
    assert surveyed("Which UK strategies mention quantum computing?", docs) == ["b.pdf", "c.pdf"]
    assert surveyed("Which documents call for open networks?", docs) == list(docs)
    assert surveyed("Across the resolutions, what is said of networks?", docs) == ["f.txt"]
    assert surveyed("What are the pillars of the strategy?", docs) is None
    assert surveyed("What is cyber diplomacy?", docs) is None
    # Countries, states and instruments are what a document names, not documents.
    assert surveyed("Which countries does the Zeta Accord name as founders?", docs) is None
    assert surveyed("Which states may sign the Zeta Accord?", docs) is None
    assert surveyed("Which instruments does the Beta Cyber Strategy cite?", docs) is None


def test_a_title_head_names_the_one_document_whose_name_it_is():
    docs = _catalog()
    assert headed_documents("What does the Zeta Accord say about networks?", docs) == ["d.txt"]
    assert headed_documents("What did Zeta Accord Working Group 3 find?", docs) == []  # several begin so
    assert headed_documents("What does the Omega Accord say?", docs) == []


def test_years_with_a_type_and_a_place_name_every_document_so_described():
    docs = _catalog()
    assert typed_years("How do the UK 2018 and 2023 strategies treat skills?", docs) == ["b.pdf", "c.pdf"]
    assert typed_years("How do the 2018 and 2023 strategies treat skills?", docs) == ["a.pdf", "b.pdf", "c.pdf"]
    assert typed_years("What did the 2018 strategy say?", docs) == []  # one year names no comparison
    # A year whose document is named by its title is not read again as "every strategy of that year".
    assert typed_years("How do the 2018 Alpha Cyber Strategy and the 2023 strategy differ?", docs,
                       ["a.pdf"]) == ["b.pdf"]
    assert typed_years("How do the 2018 Alpha Cyber Strategy and 2023 Beta Cyber Strategy differ?", docs,
                       ["a.pdf", "b.pdf"]) == []
    named = analyse("How do the 2018 Alpha Cyber Strategy and the 2023 Beta Cyber Strategy treat skills?", docs).named
    assert sorted(named) == ["a.pdf", "b.pdf"]  # not c.pdf, the other 2018 strategy


def test_a_survey_asks_each_document_its_question_without_the_words_naming_the_set():
    docs = _catalog()
    scope = comparison_scope(analyse("Across the UK strategies, which ones mention quantum computing?", docs), docs)
    assert scope.kind == "survey" and scope.files == ["b.pdf", "c.pdf"]
    assert scope.topic == "which ones mention quantum computing?"
    # "US" is no plural noun: the survey is across the strategies (the catalog has no US jurisdiction).
    assert surveyed("Across the US strategies, what is said of skills?", docs) == ["a.pdf", "b.pdf", "c.pdf"]


def test_a_comparison_is_two_named_documents_or_a_filter_of_several_files():
    docs = _catalog()
    query = analyse("How do the Zeta Accord and resolution 70/1 treat networks?", docs)
    assert comparison_scope(query, docs).kind == "compare"
    assert set(comparison_scope(query, docs).files) == {"d.txt", "f.txt"}
    plain = analyse("What does the Zeta Accord say about networks?", docs)
    assert comparison_scope(plain, docs) is None
    assert comparison_scope(plain, docs, Filters(files=["a.pdf", "b.pdf"])).files == ["a.pdf", "b.pdf"]
    survey = analyse("Which strategies mention networks?", docs)
    assert comparison_scope(survey, docs, Filters(jurisdictions=["United Kingdom"])).files == ["b.pdf", "c.pdf"]


def test_a_document_the_question_attributes_what_it_asks_to_is_asked_alone_of_the_others_it_names():
    docs = _catalog()
    query = analyse("Where does the wording of the Zeta Accord come from, according to the 2018 Alpha Cyber "
                    "Strategy?", docs)
    assert query.named == ["a.pdf"] and comparison_scope(query, docs) is None
    opening = analyse("According to the 2021 Zeta Accord Working Group 3 report, when was the Zeta Accord "
                      "for Open Networks opened?", docs)
    assert opening.named == ["e.txt"]
    # Attributed to both, to each in turn, or followed by another question: a comparison still.
    for question in ["What is said of networks according to the Zeta Accord and the 2018 Alpha Cyber Strategy?",
                     "Who runs networks according to the Zeta Accord and according to the 2018 Alpha Cyber Strategy?",
                     "When was the Zeta Accord opened according to the 2018 Alpha Cyber Strategy, and what does "
                     "resolution 70/1 say of it?"]:
        assert comparison_scope(analyse(question, docs), docs).kind == "compare", question


def test_documents_known_by_short_names_are_compared_when_the_question_sets_them_side_by_side():
    from assistant.ask.comparison import sets_side_by_side

    docs = _catalog()
    docs["g.txt"] = DocumentMeta("g.txt", "Convention on Widgets (Widget Convention, ETS No. 9)", year="2001", type="treaty")
    docs["h.txt"] = DocumentMeta("h.txt", "Charter of the Federation", year="1945", type="treaty")
    both = analyse("How do the Widget Convention and the Federation Charter treat disputes?", docs)
    assert comparison_scope(both, docs).kind == "compare"
    assert set(comparison_scope(both, docs).files) == {"g.txt", "h.txt"}
    versus = analyse("Who is the depositary of the Federation Charter compared with the Widget Convention?", docs)
    assert set(comparison_scope(versus, docs).files) == {"g.txt", "h.txt"}
    # A document named by its short name as what the others are asked about is no row of the table.
    about = analyse("What do the Zeta Accord and the Alpha strategy each say about the Widget Convention?", docs)
    assert "g.txt" not in (comparison_scope(about, docs).files if comparison_scope(about, docs) else [])
    # One document asked about the other: no table.
    assert comparison_scope(analyse("What does the Widget Convention say about the Federation Charter?", docs), docs) is None
    assert sets_side_by_side("What do A and B each require?") and sets_side_by_side("How did A and B differ?")
    assert not sets_side_by_side("What does A say about B?") and not sets_side_by_side("Is A older than B?")


def _document_text(assistant, file: str) -> str:
    gen = assistant.generation
    pages = sorted({c.page for c in gen.chunks if c.file == file}, key=lambda p: p or 0)
    return " ".join(" ".join((gen.page_text(file, p) or "").split()) for p in pages)


@pytest.fixture(scope="module")
def strategies(shipped_assistant):
    return [f for f, d in shipped_assistant.documents.items() if d.type == "strategy"][:3]


def test_compare_gives_one_row_per_document_in_order_each_quote_from_its_own_document(shipped_assistant, strategies):
    answer = shipped_assistant.compare(strategies, "international cooperation with allies")
    table = answer.table
    assert [r.file for r in table.rows] == strategies and table.kind == "compare" and table.documents == 3
    numbers = [n for r in table.rows for n in r.citations]
    assert numbers == list(range(1, len(answer.citations) + 1))
    for row in table.rows:
        text = _document_text(shipped_assistant, row.file)
        for n, quote in zip(row.citations, row.quotes):
            assert " ".join(quote.split()) in text
            assert answer.citations[n - 1].file == row.file
    assert all(f"[{n}]" in answer.answer for n in numbers)


def test_a_row_quotes_a_lead_in_with_what_it_introduces(shipped_assistant):
    """A row's sentence that announces a list ("... along four lines of effort:") is quoted with the
    list, as an answer's is: a lead-in alone says nothing."""
    answer = shipped_assistant.ask("How do the US 2018 and 2023 strategies approach imposing consequences "
                                   "on adversaries?")
    quotes = [q for row in answer.table.rows for q in row.quotes]
    assert quotes and not any(q.rstrip().endswith(":") for q in quotes)
    for n, q in enumerate(quotes, start=1):
        assert answer.citations[n - 1].quote == q


def test_a_document_silent_on_the_topic_is_marked_so_with_its_closest_passage(shipped_assistant):
    docs = shipped_assistant.documents
    treaty = next(f for f, d in docs.items() if "Budapest Convention" in d.title)
    charter = next(f for f, d in docs.items() if d.title == "Charter of the United Nations")
    table = shipped_assistant.compare([treaty, charter], "offences related to child pornography").table
    by_file = {r.file: r for r in table.rows}
    assert by_file[treaty].addressed and by_file[treaty].quotes
    assert not by_file[charter].addressed and not by_file[charter].citations
    assert by_file[charter].pointer is not None and by_file[charter].pointer.file == charter
    assert table.not_addressed == 1


def test_a_question_naming_two_documents_is_answered_by_a_table_led_by_what_the_whole_question_finds(
        shipped_assistant):
    docs = shipped_assistant.documents
    named = [f for f, d in docs.items() if d.type == "strategy" and d.year in ("2011", "2016")
             and d.jurisdiction == "United Kingdom"]
    titles = [docs[f].title.split(":")[0] for f in named]
    question = f"How do the {docs[named[0]].year} {titles[0]} and the {docs[named[1]].year} {titles[1]} treat skills?"
    answer = shipped_assistant.ask(question)
    assert answer.table is not None and sorted(r.file for r in answer.table.rows) == sorted(named)
    # The passages the whole question ranks best among the two documents lead the list, in rank order.
    overall = [r for r in shipped_assistant.retriever.search(question, 6) if r.chunk.file in named]
    shown = [(p.file, p.text) for p in answer.retrieved[:len(overall)]]
    assert shown[:1] == [(overall[0].chunk.file, overall[0].text)]


def test_a_survey_lists_only_documents_that_address_it_and_counts_the_rest(shipped_assistant):
    answer = shipped_assistant.ask("Which documents call for the protection of critical infrastructure?")
    table = answer.table
    assert table.kind == "survey" and table.documents == len(shipped_assistant.documents)
    assert 2 <= len(table.rows) <= 8 and all(r.addressed for r in table.rows)
    assert [r.relevance for r in table.rows] == sorted((r.relevance for r in table.rows), reverse=True)
    assert table.not_addressed + len(table.rows) <= table.documents


def test_the_table_exports_as_csv_and_markdown(shipped_assistant, strategies):
    answer = shipped_assistant.compare(strategies[:2], "workforce and skills").to_dict()
    lines = list(csv.reader(io.StringIO(table_csv(answer["table"], answer["citations"]))))
    assert lines[0][:2] == ["document", "file"] and [line[1] for line in lines[1:]] == strategies[:2]
    markdown = table_markdown(answer["table"])
    assert markdown.count("\n| ") == 3  # header and two rows


def test_compare_refuses_unknown_documents_and_too_many_or_too_few(shipped_assistant, strategies):
    with pytest.raises(ValueError, match="not in the index"):
        shipped_assistant.compare(["nope.pdf", strategies[0]], "x")
    with pytest.raises(ValueError, match="2 to 6"):
        shipped_assistant.compare(strategies[:1], "skills")


def test_a_table_answer_is_scored_claim_by_claim_from_its_rows():
    from assistant.devtools.evaluation import Question, answer_scores, cited_claims

    quote_a, quote_b = "States should protect critical infrastructure.", "Parties shall adopt measures on access."
    table = {"rows": [{"file": "a", "quotes": [quote_a], "citations": [1], "addressed": True},
                      {"file": "b", "quotes": [quote_b], "citations": [2], "addressed": True}]}
    answer = {"answer": f"What each of the 2 documents says. Alpha (2018): {quote_a} [1] Beta: {quote_b} [2]",
              "abstained": False, "table": table,
              "citations": [{"n": 1, "quote": quote_a}, {"n": 2, "quote": quote_b}],
              "retrieved": [{"text": f"Intro. {quote_a} More."}, {"text": quote_b}]}
    assert cited_claims(answer) == [(quote_a, [1]), (quote_b, [2])]
    q = Question("t", "q", "", ["a", "b"], [], True)
    assert answer_scores(q, answer)["citation_precision"] == 1.0
    answer["retrieved"] = answer["retrieved"][:1]  # a row quote no passage holds is not supported
    assert answer_scores(q, answer)["citation_precision"] == 0.5


def test_a_table_is_scored_by_whole_questions_and_by_rows():
    from assistant.devtools.evaluation import Question, table_scores

    texts = {"a": "states should protect critical infrastructure. more.", "b": "parties shall adopt measures on access."}
    q = Question("t", "q", "", ["a", "b"], ["protect critical infrastructure", "adopt measures"], True)
    table = {"rows": [{"file": "a", "quotes": ["States should protect critical infrastructure."], "addressed": True},
                      {"file": "b", "quotes": ["Parties shall cooperate."], "addressed": True}]}
    scores = table_scores(q, {"table": table}, texts.get)
    assert scores == {"table_rows_hold_evidence": 0.0, "table_row_share": 0.5, "table_false_silence": 0.0}
    table["rows"][1] = {"file": "b", "quotes": [], "addressed": False}
    assert table_scores(q, {"table": table}, texts.get)["table_false_silence"] == 1.0


def test_a_rows_passages_take_the_documents_own_search_and_the_whole_questions_in_turn():
    """What the question asked of one document finds is not crowded out by the whole question's
    hits on that document (its foreword, its summary), and a passage both find is taken once."""
    from assistant.ask.comparison import _in_turn

    whole = ["w1", "both", "w2", "w3"]
    own = ["both", "o2", "o3"]
    assert _in_turn(own, whole) == ["both", "w1", "o2", "o3", "w2", "w3"]
    assert _in_turn(own, whole)[:3] == ["both", "w1", "o2"]  # a row's three passages
    assert _in_turn([], whole) == whole


@pytest.mark.slow
def test_a_surveyed_document_whose_best_sentence_states_the_topic_addresses_it(shipped_assistant):
    """A document whose passages fall below the survey's share of the best one is listed when the
    model finds its best sentence on the topic, not when its best sentence is about something else."""
    from types import SimpleNamespace

    from assistant.ask.comparison import _Evidence

    def doubtful(file: str, sentence: str) -> _Evidence:
        return _Evidence(file, [], [SimpleNamespace(quote=sentence)], similarity=0.3, overlap=0.2)

    found = [doubtful("says.txt", "Members should promptly report software flaws they discover to the vendor "
                                  "so that patches can be issued before attackers exploit them."),
             doubtful("other.txt", "The committee shall meet twice a year and elect its chair by simple majority."),
             _Evidence("weak.txt", [], [SimpleNamespace(quote="Software flaws must be reported to vendors.")],
                       similarity=0.1, overlap=0.1)]  # below every floor: not even weighed
    shipped_assistant.comparer._addressed_by_sentence(found, "reporting of software vulnerabilities to vendors")
    assert [f.addressed for f in found] == [True, False, False]
