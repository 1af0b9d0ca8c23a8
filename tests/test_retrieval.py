"""Retrieval: fusion, diversity, filters, over the real shipped index."""
from assistant.ask.retrieval import diversify, rrf_fuse
from assistant.records import Filters


def test_rrf_rewards_agreement_between_rankers():
    fused = rrf_fuse([[1, 2, 3], [3, 4, 1]], [1.0, 1.0], k=60)
    ranked = sorted(fused, key=lambda i: -fused[i])
    assert ranked[:2] == [1, 3] and set(ranked) == {1, 2, 3, 4}


def test_rrf_weights_tilt_the_order():
    fused = rrf_fuse([[1, 2], [2, 1]], [2.0, 1.0], k=60)
    assert fused[1] > fused[2]


def test_diversity_caps_one_document_when_others_are_relevant():
    candidates = [(i, 1.0 - i * 0.01, "A") for i in range(6)] + [(10, 0.9, "B"), (11, 0.88, "C")]
    candidates.sort(key=lambda c: -c[1])
    picked = diversify(candidates, k=5, max_per_document=3, margin=0.5)
    docs = [next(c[2] for c in candidates if c[0] == p) for p in picked]
    assert docs.count("A") == 3 and "B" in docs and "C" in docs


def test_diversity_fills_the_list_with_the_best_left_when_every_relevant_document_is_full():
    # Two compared documents, each at its cap: the next best of either takes the last place, not
    # the last of them to be skipped, nor an unrelated document far below.
    candidates = [(1, 1.0, "A"), (2, 0.9, "A"), (3, 0.8, "B"), (4, 0.7, "B"), (5, 0.6, "A"), (6, 0.55, "B"),
                  (7, 0.5, "A"), (8, 0.45, "B"), (9, 0.05, "C")]
    assert diversify(candidates, k=5, max_per_document=2, margin=0.5) == [1, 2, 3, 4, 5]


def test_diversity_lets_a_single_relevant_document_fill_the_list():
    candidates = [(i, 1.0 - i * 0.01, "A") for i in range(6)] + [(10, 0.1, "B")]
    assert diversify(candidates, k=5, max_per_document=3, margin=0.5) == [0, 1, 2, 3, 4]


def test_filters_restrict_every_result(shipped_assistant):
    r = shipped_assistant.retriever
    for filters, check in [
        ({"types": ["treaty"]}, lambda m: m.type == "treaty"),
        ({"jurisdictions": ["United Kingdom"]}, lambda m: m.jurisdiction == "United Kingdom"),
        ({"year_min": 2018, "year_max": 2021}, lambda m: 2018 <= int(m.year) <= 2021),
        ({"files": ["UN_Charter_1945_en.md"]}, lambda m: m.file == "UN_Charter_1945_en.md"),
    ]:
        results = r.search("international cooperation against cybercrime", k=5, filters=filters)
        assert results and all(check(x.meta) for x in results), filters


def test_filter_that_matches_nothing_returns_nothing(shipped_assistant):
    assert shipped_assistant.retriever.search("cyber norms", k=5, filters={"year_min": 2090}) == []


def test_unknown_filter_is_a_clear_error():
    import pytest

    with pytest.raises(ValueError, match="unknown filter 'colour'"):
        Filters.from_dict({"colour": "red"})


def test_treaty_article_lookup_finds_the_article(shipped_assistant):
    results = shipped_assistant.retriever.search("How does the Budapest Convention's 24/7 network work?", k=5)
    assert any("Article 35" in x.chunk.section for x in results)


def test_comparison_question_brings_both_documents(shipped_assistant):
    results = shipped_assistant.retriever.search(
        "How do the UK Cyber Security Strategy 2011 and the UK National Cyber Security Strategy 2016-2021 differ?", k=5)
    files = {x.chunk.file for x in results}
    assert {"UK_Cyber_Security_Strategy_2011.txt", "UK_National_Cyber_Security_Strategy_2016-2021.txt"} <= files


def test_a_question_naming_one_document_is_answered_from_it(shipped_assistant):
    # Without the preference, other strategies' pillar pages took two of the five places.
    question = "How does the 2018 US National Cyber Strategy group its priority actions into four pillars?"
    results = shipped_assistant.retriever.search(question, k=5)
    assert {x.chunk.file for x in results} == {"US_National_Cyber_Strategy_2018.pdf"}
    import dataclasses

    from assistant.ask.retrieval import Retriever

    plain = Retriever(shipped_assistant.generation, shipped_assistant.embedder,
                      dataclasses.replace(shipped_assistant.retriever.settings, named_boost=0.0))
    assert {x.chunk.file for x in plain.search(question, k=5)} != {"US_National_Cyber_Strategy_2018.pdf"}


def test_a_document_called_by_the_short_name_its_title_makes_is_answered_from(shipped_assistant):
    # "the Charter": the only indexed title that opens with "Charter". Without the preference, the
    # resolutions that recall the Charter's purposes took places among the five.
    question = "What does the Charter say about regional arrangements for the maintenance of international peace?"
    assert shipped_assistant.read(question)[1].short_named == ["UN_Charter_1945_en.md"]
    results = shipped_assistant.retriever.search(question, k=5)
    assert {x.chunk.file for x in results} == {"UN_Charter_1945_en.md"}
    import dataclasses

    from assistant.ask.retrieval import Retriever

    plain = Retriever(shipped_assistant.generation, shipped_assistant.embedder,
                      dataclasses.replace(shipped_assistant.retriever.settings, named_boost=0.0))
    assert {x.chunk.file for x in plain.search(question, k=5)} != {"UN_Charter_1945_en.md"}


def test_a_numbered_provision_the_question_names_is_retrieved_first(shipped_assistant):
    cases = [("UN Charter", "UN_Charter_1945_en.md", n) for n in (2, 33, 51)] + \
            [("Budapest Convention on Cybercrime", "Budapest_Convention_on_Cybercrime_ETS185_en.md", n)
             for n in (2, 16, 35)]
    for name, file, n in cases:
        results = shipped_assistant.retriever.search(f"What does Article {n} of the {name} provide?", k=5)
        top = results[0].chunk
        assert top.file == file and top.section.split(" ")[:2] == ["Article", str(n)], (name, n, top.section)


def test_title_pages_never_take_a_place_in_the_results(shipped_assistant):
    # The title words of these documents match their cover pages best, yet a cover page
    # ("NATIONAL CYBERSECURITY STRATEGY MARCH 2023") answers nothing.
    for question in ("How is the 2023 US National Cybersecurity Strategy organised into pillars?",
                     "Is the 2018 National Cyber Strategy superseded by the 2023 US National Cybersecurity Strategy?"):
        results = shipped_assistant.retriever.search(question, k=5)
        assert len(results) == 5
        assert all(len(x.text.strip()) >= 200 for x in results), [x.text[:80] for x in results]


def test_a_short_document_is_still_found(tmp_path, embedder):
    # Thin pages give way to substantive passages, but a document with nothing else is not lost.
    import assistant
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("Cyber norms note: states should protect undersea cables.\n")
    (corpus / "long.txt").write_text("Undersea cables carry most international data traffic. " * 20)
    settings = load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index")
    assert not build_index(settings, embedder=embedder).failed
    retriever = assistant.open(tmp_path / "index", corpus_dirs=(corpus,)).retriever
    assert [x.chunk.file for x in retriever.search("undersea cables", k=5)] == ["long.txt"]
    only = retriever.search("undersea cables", k=5, filters={"files": ["note.txt"]})
    assert [x.chunk.file for x in only] == ["note.txt"]


def test_a_passage_announcing_the_asked_for_list_is_retrieved(tmp_path, embedder):
    # Without the listing ranking the passages that merely discuss goals outrank the one that
    # announces them; each passage is a document of its own so that none widens into another.
    import dataclasses

    import assistant
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index
    from assistant.ask.retrieval import Retriever

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "announce.txt").write_text(
        "Three aims are set out for the coming decade: resilience, deterrence and partnership. "
        "Each is described in a chapter of its own.\n")
    for n, topic in enumerate(["water utilities", "electricity grids", "hospitals", "ports", "schools", "banks"]):
        (corpus / f"goal{n}.txt").write_text(
            f"The plan's strategic aims matter for {topic}: strategic aims guide how {topic} prepare, "
            f"and the aims of the plan shape what {topic} must report.\n")
    settings = load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index")
    assert not build_index(settings, embedder=embedder).failed
    retriever = assistant.open(tmp_path / "index", corpus_dirs=(corpus,)).retriever
    question = "What are the three strategic aims of the plan?"
    assert retriever.search(question, k=2)[0].chunk.file == "announce.txt"
    # Without the listing ranking the bundled base model ranked a "goal" file first; the fine-tuned
    # model (2026-12-05) finds the announcing sentence by itself, so no control assertion here.


def test_no_two_passages_show_the_same_text(shipped_assistant):
    # Two hits on one page used to widen into overlapping windows: the reader saw a paragraph twice.
    for question in ("Which Functions make up the Core of the NIST Cybersecurity Framework?",
                     "What does the Budapest Convention say about expedited preservation of stored data?",
                     "Which UN body is chiefly responsible for keeping international peace?"):
        results = shipped_assistant.retriever.search(question, k=5)
        for i, r in enumerate(results):
            for other in results[:i]:
                if (r.chunk.file, r.chunk.page) == (other.chunk.file, other.chunk.page):
                    assert r.end <= other.start or other.end <= r.start, question


def test_a_provision_of_a_document_named_by_its_short_name_comes_from_that_document(shipped_assistant):
    from assistant.ask.query import aliased_documents

    docs = shipped_assistant.retriever.documents
    assert aliased_documents("What does Article 16 of the Budapest Convention require?", docs) == [
        "Budapest_Convention_on_Cybercrime_ETS185_en.md"]
    assert aliased_documents("What does Article 16 require?", docs) == []
    # The Charter and the Additional Protocol have an Article 16 too; they took places 2 and 3.
    results = shipped_assistant.retriever.search(
        "What does Article 16 of the Budapest Convention require about expedited preservation of stored data?", k=5)
    assert not [r.chunk.file for r in results if r.chunk.section.startswith("Article 16")
                and r.chunk.file != "Budapest_Convention_on_Cybercrime_ETS185_en.md"]


def test_passages_of_named_documents_are_ranked_by_the_question_without_their_names(shipped_assistant):
    # Every chunk of the two strategies carries their title, so "DoD Cyber Strategy" in the question
    # ranked their title pages and introductions above the section on deterrence.
    import dataclasses

    from assistant.ask.retrieval import Retriever

    question = "How did the 2015 DoD Cyber Strategy and the 2018 DoD Cyber Strategy treat deterrence?"
    top = shipped_assistant.retriever.search(question, k=5)[0]
    assert top.text.startswith("Deterrence in the Future Security Environment")
    # Without the topic ranking the bundled base model put a title page first; the fine-tuned model
    # (2026-12-05) ranks the deterrence section first either way, so no control assertion here.


def test_a_year_alone_describes_a_document_only_when_the_question_finds_it(shipped_assistant):
    # "in 2015" dates what the question asks about (a fraud figure in the UK 2016 strategy), not
    # resolution 70/237 or the DoD strategy of that year: their passages are not among the question's own.
    from assistant.ask.query import analyse

    fraud = "How much did fraud losses on online banking grow in 2015?"
    assert analyse(fraud, shipped_assistant.documents).described  # read alone, the year describes them
    _, query = shipped_assistant.read(fraud)
    assert query.described == [] and not query.pointed
    # The Pentagon's 2015 assessment is the DoD strategy of 2015, which the question finds itself.
    _, query = shipped_assistant.read("What did the Pentagon's 2015 assessment say about Iran?")
    assert "US_DoD_Cyber_Strategy_2015.txt" in query.described


def test_a_hit_partly_shown_by_an_earlier_passage_still_shows_the_rest(shipped_assistant):
    # The Paris Call's chunks overlap: a window opening inside one chunk used to make that whole
    # chunk "already shown", and its first sentences appeared in no passage.
    from assistant.ask.passages import _uncovered

    assert _uncovered(100, 500, [(400, 900)]) == (100, 400)
    assert _uncovered(100, 500, [(0, 200), (300, 350)]) == (350, 500)  # the longer gap
    assert _uncovered(100, 500, [(0, 600)]) is None
    results = shipped_assistant.retriever.search(
        "What does the Paris Call say about the Budapest Convention?", k=5,
        filters={"files": ["Paris_Call_for_Trust_and_Security_in_Cyberspace_2018.md"]})
    shown = " ".join(" ".join(r.text.split()) for r in results)
    assert "the Budapest Convention on Cybercrime is a key tool in this regard" in shown


def test_the_items_of_an_announced_list_follow_its_announcement():
    from assistant.ask.retrieval import follow_announcement

    fused = {1: 0.9, 2: 0.5, 7: 0.1, 8: 0.05}
    lifted = follow_announcement(fused, {7: [8, 9]})
    assert sorted(lifted, key=lambda i: -lifted[i]) == [1, 2, 7, 8, 9]
    assert follow_announcement(fused, {}) == fused


def test_a_list_announced_with_its_count_is_retrieved_with_its_items(tmp_path, embedder):
    # "three missions. First, ..." then pages later "For its second mission ..." and "Third, ...":
    # the items' passages speak of other things than the question and were not found for it.
    import assistant
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index

    def filler(part: int, paragraphs: int = 5) -> str:
        return "\n\n".join(
            f"Review {part}.{n}: the coast guard's maritime missions were reviewed by committee {part}{n}, "
            f"which found that the maritime missions of the coast guard need budget line {n} and that "
            f"staff for maritime missions must be trained in region {part}; the coast guard agreed. " * 3
            for n in range(paragraphs))

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plan.txt").write_text(
        "The coast guard has three maritime missions. First, it patrols the territorial waters.\n\n"
        + filler(1) + "\n\nFor its second mission, the service rescues sailors in distress at sea.\n\n"
        + filler(2) + "\n\nThird, the service inspects lighthouses along the coast.\n\n" + filler(3, 20) + "\n")
    settings = load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index")
    assert not build_index(settings, embedder=embedder).failed
    retriever = assistant.open(tmp_path / "index", corpus_dirs=(corpus,)).retriever
    shown = " ".join(r.text for r in retriever.search("What are the three maritime missions of the coast guard?", k=5))
    assert "patrols the territorial waters" in shown
    assert "rescues sailors in distress" in shown
    assert "inspects lighthouses" in shown


def test_each_ask_of_a_compound_question_brings_its_best_passage(tmp_path, embedder):
    # The first ask's words fill the passages; the second ask is answered in another document the
    # question's search also reads. Each document is short, so no passage widens into another.
    import dataclasses

    import assistant
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n, place in enumerate(["Baltic", "Atlantic", "Pacific", "Indian Ocean", "Mediterranean", "Arctic"]):
        (corpus / f"cable{n}.txt").write_text(
            f"Cable repair ships of the {place} fleet mend damaged undersea cables after storms. The {place} "
            f"repair ships carry spare undersea cable and splice damaged cables at sea.\n")
    (corpus / "registry.txt").write_text(
        "Cable repair ships of every fleet are entered in a registry. Each owner pays the registry an annual "
        "fee of two hundred euros to the secretariat.\n")
    settings = load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index")
    assert not build_index(settings, embedder=embedder).failed
    retriever = assistant.open(tmp_path / "index", corpus_dirs=(corpus,)).retriever
    question = "How do cable repair ships mend damaged undersea cables after storms, and what annual fee do owners pay?"
    assert "registry.txt" in [x.chunk.file for x in retriever.search(question, k=3)]
    retriever.settings = dataclasses.replace(retriever.settings, passage_per_ask=False)
    assert "registry.txt" not in [x.chunk.file for x in retriever.search(question, k=3)]


def test_a_question_asking_when_a_document_was_made_brings_the_passage_where_it_says_so(tmp_path, embedder):
    # A treaty's closing formula ("DONE at Valletta, this 3rd day of May 1999") stands after articles
    # whose words are the question's and final clauses whose words are not; asked when and where the
    # treaty was concluded, the passage where it says so is brought.
    import dataclasses

    import assistant
    from assistant.config import load_settings
    from assistant.ingest.indexing import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    ports = ["northern", "southern", "eastern", "western", "inner", "outer", "old", "new", "upper", "lower",
             "river", "canal", "fishing", "naval", "cargo", "ferry", "island", "coastal", "deep", "winter"]
    articles = "\n\n".join(
        f"### Article {n}\n\nEach Party to the Treaty on Harbour Pilots shall license harbour pilots for the "
        f"{port} harbour, train the harbour pilots of the {port} harbour every year, and keep a register of "
        f"the harbour pilots licensed under this Treaty on Harbour Pilots for the {port} harbour, open to "
        f"the pilots' association and to the port authority of the {port} harbour."
        for n, port in enumerate(ports, 1))
    (corpus / "harbour_pilots.md").write_text(
        "# Treaty on Harbour Pilots\n\n" + articles + "\n\n### Article 21\n\n" + " ".join(f"The depositary shall notify the signatories of each {w} deposited, of each declaration made and of the date of entry into force of each amendment in the {w} register." for w in ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"])
        + "\n\n### Article 22\n\nIN WITNESS WHEREOF the undersigned have signed. DONE at Valletta, this 3rd day of May "
        "1999, in English and in French.\n")
    (corpus / "ferries.md").write_text("# Ferry Rules\n\nFerries keep to their timetable in every harbour.\n")
    settings = load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index")
    assert not build_index(settings, embedder=embedder).failed
    retriever = assistant.open(tmp_path / "index", corpus_dirs=(corpus,)).retriever
    question = "When and where was the Treaty on Harbour Pilots on registers of licensed harbour pilots concluded?"
    assert any("DONE at Valletta" in x.text for x in retriever.search(question, k=2))
    retriever.settings = dataclasses.replace(retriever.settings, made_statements=False)
    assert not any("DONE at Valletta" in x.text for x in retriever.search(question, k=2))
