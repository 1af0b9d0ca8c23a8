"""Lists in answers (ask.lists): a quoted lead-in carries its items, an asked-for list is quoted item
by item, consecutive sentences of one passage become one quote."""
from assistant.ingest.loading import DocumentMeta


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
    # A resolution's last preambular paragraph ends in "," before operative paragraph "1.": it
    # introduces nothing.
    preamble = "Stressing that cooperation would benefit from civil society,\n1.\n\nCalls upon States to act."
    assert with_list(preamble, 0, preamble.index(",") + 1) == preamble.index(",") + 1
    # Bulleted items of more than one sentence: the list goes on to its last item, not to the
    # first full stop (the seed text's "5 Core e-Competences").
    bullets = ("Diplomats need five skills:\n- * Curate: Listening is the first step. It is done by curating.\n"
               "- * Collaborate: You start collaborating. You share resources.\n\nThe theory of time follows.")
    assert bullets[:with_list(bullets, 0, bullets.index(":") + 1)].endswith("You share resources.")
    # Numbers the sentence splitter cuts off as sentences of their own ("1." then "Strengthen ...;").
    numbered = ("It identifies six major actions to strengthen security:\n1. Strengthen counterintelligence "
                "efforts;\n2. Improve capabilities for attribution\nand response;\n\nThe next part begins here.")
    assert numbered[:with_list(numbered, 0, numbered.index(":") + 1)].endswith("attribution\nand response;")
    # Items numbered in Roman numerals, the last after "; and" on a line of its own.
    roman = ("It sets five priorities including:\nI. A Response\nSystem;\nII. A Reduction Program;\nIII. Training;\n"
             "IV. Securing Governments' Cyberspace; and\nV. International\nCooperation.\nThe first priority is response.")
    assert roman[:with_list(roman, 0, roman.index(":") + 1)].endswith("V. International\nCooperation.")
    # A page's note set in among the items (two columns read as one) cites a web address, which no
    # quote may hold: the list is read up to it, not dropped whole with it.
    noted = ("It identifies three actions:\n1. Strengthen efforts;\n2. Improve attribution; and\n\n"
             "see the Strategy. Inputs can be found at http://www.example.org. (Not approved.)\n\n3. Encourage accession.")
    assert noted[:with_list(noted, 0, noted.index(":") + 1)].endswith("2. Improve attribution; and\n\nsee the Strategy.")
    # ... and an item the note runs into goes with it, its number too.
    run_in = noted.replace("and\n\nsee the Strategy.", "and")
    assert run_in[:with_list(run_in, 0, run_in.index(":") + 1)].endswith("1. Strengthen efforts;")


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
    quotes = announced(text, "Which three primary cyber missions does the Department have?")
    assert [q.split(",")[0].split(" ")[0] for q in quotes] == ["The", "First", "For", "Third"]
    assert quotes[0] == "The Department has three primary cyber missions."  # not the heading above it
    # No list asked for, or no items that follow the announcement: nothing is added.
    assert announced(text, "What must the Department defend?") == []
    assert announced("The Department has three primary cyber missions. Its missions matter a great deal.",
                     "Which three cyber missions does it have?") == []
    # An announcement carrying its items leads alone, ahead of better-scored prose.
    inline = ("We will engage partners widely. This strategy rests on five pillars: (1) Defend, (2) Disrupt, "
              "(3) Shape markets, (4) Invest, and (5) Forge partnerships. Each pillar has objectives.")
    assert announced(inline, "What are the five pillars of the strategy?") == [
        "This strategy rests on five pillars: (1) Defend, (2) Disrupt, (3) Shape markets, (4) Invest, and "
        "(5) Forge partnerships."]
    # An announcement carrying its items leads alone though sentences naming items by ordinal follow it.
    carried = ("The Strategy sets five priorities including:\nI. Response;\nII. Reduction;\nIII. Training;\n"
               "IV. Government; and\nV. Cooperation.\nThe first priority focuses on response. The second, third and "
               "fourth priorities reduce threats. The fifth priority is to prevent attacks.")
    assert announced(carried, "Which five priorities does the Strategy set?") == [carried[:carried.index("\nThe first")]]
    # A list asked for without a count, announced with its items run on by commas.
    glossary = ("Function: One of the main components of the Framework. The five functions are Identify, "
                "Protect, Detect, Respond, and Recover. Framework Core: A set of activities.")
    assert announced(glossary, "Which are the Functions that make up the NIST Cybersecurity Framework?") == [
        "The five functions are Identify, Protect, Detect, Respond, and Recover."]
    assert announced(glossary, "What is a Function?") == []
    # A list longer than the ordinals known ("eleven goals") is read as far as they go, not a crash.
    first, second = "First, it protects the networks of every agency.", "Second, it deters attackers from acting."
    assert announced(f"The plan has eleven goals. {first} {second}", "What are the eleven goals?") == [
        "The plan has eleven goals.", first, second]
    # "its second mission" inside a sentence does not open an item.
    assert announced("The Department has two missions. First, it defends its networks and data. Budgets for "
                     "the work on its second mission rose sharply last year.", "What are the two missions?") == []


def _results(passages: list[tuple[str, list[tuple[int, str]]]], file: str = "s.pdf"):
    """Synthetic passages of one document, each given as (text, [(offset, section)]) where a section
    starts at an offset of its text."""
    from bisect import bisect_right

    from assistant.records import Retrieved
    from assistant.storage.store import StoredChunk

    results = []
    for rank, (text, sections) in enumerate(passages, start=1):
        starts = [at for at, _ in sections]

        def section_of(offset, starts=starts, sections=sections):
            return sections[max(0, bisect_right(starts, offset) - 1)][1]

        chunk = StoredChunk(rank, file, 1, sections[0][1], 0, len(text), text, "h")
        results.append(Retrieved(chunk, DocumentMeta(file, "S"), 1.0, 0.8, 0.0, rank, text, 0, len(text), section_of))
    return results


def headed(passages: list[tuple[str, list[tuple[int, str]]]], question: str):
    """The headings headed_list quotes from synthetic passages (see _results)."""
    from assistant.ask.lists import headed_list
    from assistant.ask.query import items_asked, requested_list

    results = _results(passages)
    return [r.text[a:b] for r, a, b in headed_list(items_asked(question, requested_list(question)), results)]


def test_a_list_of_numbered_sections_is_quoted_as_their_headings():
    # Headings as the document lines them (a title found at ingest joins its lines with " – "),
    # each unit once, in unit order, whatever order the passages come in.
    two = ("Intro text of pillar two.\nPILLAR TWO | DISRUPT AND \nDISMANTLE THREAT ACTORS \nThe United States will act.",
           [(0, "Preamble"), (27, "PILLAR TWO | DISRUPT AND DISMANTLE THREAT ACTORS")])
    one = ("PILLAR ONE | DEFEND CRITICAL \nINFRASTRUCTURE \nDefending systems is vital.",
           [(0, "PILLAR ONE | DEFEND CRITICAL – INFRASTRUCTURE")])
    assert headed([two, one], "What are the two pillars of the strategy?") == [
        "PILLAR ONE | DEFEND CRITICAL \nINFRASTRUCTURE", "PILLAR TWO | DISRUPT AND \nDISMANTLE THREAT ACTORS"]
    # No count asked: every unit the passages are filed under, from the first.
    assert len(headed([two, one], "Which pillars does the strategy rest on?")) == 2
    # A unit missing (pillar three is filed under but not headed) or a count other than the document's: nothing.
    three = ("More about pillar three here.", [(0, "PILLAR THREE | SHAPE MARKET FORCES")])
    assert headed([two, one, three], "Which pillars does the strategy rest on?") == []
    assert headed([two, one], "What are the three pillars of the strategy?") == []
    # A question only mentioning the pillars does not ask for them.
    assert headed([two, one], "How much funding does the strategy request for its two pillars?") == []
    # A title page setting the title below the number gives way to a heading carrying it on its line.
    cover = ("PILLAR I\nProtect the People\nT", [(0, "PILLAR I – Protect the People")])
    running = ("Body text of the page.\nPILLAR I: PROTECT THE PEOPLE", [(0, "Other"), (23, "PILLAR I: PROTECT THE PEOPLE")])
    second = ("PILLAR II: PROMOTE PROSPERITY\nText.", [(0, "PILLAR II: PROMOTE PROSPERITY")])
    assert headed([cover, running, second], "What are the pillars?") == ["PILLAR I: PROTECT THE PEOPLE",
                                                                          "PILLAR II: PROMOTE PROSPERITY"]
    # A line naming a unit inside prose is no heading.
    prose = ("As set out under\nPillar I of the strategy, we act.", [(0, "PILLAR I: PROTECT THE PEOPLE")])
    assert headed([prose, second], "What are the pillars?") == []


def test_the_pillars_of_a_strategy_are_answered_with_its_pillar_headings(shipped_assistant):
    answer = shipped_assistant.ask("Which pillars does the 2018 National Cyber Strategy rest on?")
    assert [c.unit for c in answer.citations[:4]] == ["Pillar I", "Pillar II", "Pillar III", "Pillar IV"]
    assert {c.file for c in answer.citations[:4]} == {"US_National_Cyber_Strategy_2018.pdf"}
    assert answer.citations[1].quote == "PILLAR II: PROMOTE AMERICAN PROSPERITY"
    # Each heading stands in a passage shown with the answer.
    assert all(any(c.quote in p.text for p in answer.retrieved) for c in answer.citations)


def test_sections_a_counted_announcement_is_followed_by_are_its_items():
    from assistant.ask.lists import announced_headings
    from assistant.ask.query import items_asked, requested_list

    text = ("We will make two fundamental shifts in how we share the work. They matter.\n"
            "REBALANCE THE WORK\nThe strongest must do more.\nREALIGN THE INCENTIVES\nMarkets must reward it.\n"
            "PILLAR ONE | DEFEND\nMore text.")
    sections = [(0, "APPROACH"), (text.index("REBALANCE"), "REBALANCE THE WORK"),
                (text.index("REALIGN"), "REALIGN THE INCENTIVES"), (text.index("PILLAR"), "PILLAR ONE | DEFEND")]
    results = _results([(text, sections)])
    lead = (results[0], 0, text.index(" They"))
    question = "What two basic changes does the strategy make?"
    quotes = [text[a:b] for _, a, b in announced_headings(items_asked(question, requested_list(question)), lead, results)]
    assert quotes == [text[:lead[2]], "REBALANCE THE WORK", "REALIGN THE INCENTIVES"]
    # An announcement setting its items out itself, or headings of mixed styles, are no such list.
    listed = text.replace("shifts in how we share the work", "shifts: sharing and paying")
    results = _results([(listed, [(0, "APPROACH"), (listed.index("REBALANCE"), "REBALANCE THE WORK"),
                                  (listed.index("REALIGN"), "REALIGN THE INCENTIVES")])])
    assert announced_headings({(2, "chang")}, (results[0], 0, listed.index(" They")), results) == []
    mixed = text.replace("REALIGN THE INCENTIVES", "Realign the incentives")
    results = _results([(mixed, [(0, "APPROACH"), (mixed.index("REBALANCE"), "REBALANCE THE WORK"),
                                 (mixed.index("Realign"), "Realign the incentives")])])
    assert announced_headings({(2, "chang")}, (results[0], 0, mixed.index(" They")), results) == []


def test_retrieval_adds_the_sections_that_follow_a_counted_announcement(shipped_assistant):
    retriever = shipped_assistant.retriever
    file = "US_National_Cybersecurity_Strategy_2023.pdf"
    chunk = next(c for c in retriever.chunks if c.file == file and "two fundamental shifts" in c.text)
    end = chunk.start + chunk.text.index("in cyberspace.", chunk.text.index("two fundamental shifts"))
    heads = retriever._sections_after(file, chunk.page, end, 2, None)
    assert [retriever.chunks[i].section for i in heads] == [
        "REBALANCE THE RESPONSIBILITY TO DEFEND CYBERSPACE", "REALIGN INCENTIVES TO FAVOR LONG-TERM INVESTMENTS"]


def test_a_list_cut_for_length_does_not_end_on_an_items_label():
    """The list runs past list_max_chars right after an item's label ("- * Critique:"): the quote
    ends with the item before it, not with a label whose text it leaves out."""
    from assistant.ask.lists import with_list
    from assistant.config import AnswerSettings

    text = ("Diplomats need these skills:\n- * Curate: Listening is the first step. It is done by curating.\n"
            "- * Create: It is time to focus more on creating your online content.\n\n"
            "* Critique: By now you should have gained more social visibility and more critics.")
    settings = AnswerSettings(list_max_chars=text.index("Critique:") + 30)
    quote = text[:with_list(text, 0, text.index(":") + 1, settings)]
    assert quote.rstrip().endswith("creating your online content.") and "Critique" not in quote


def test_an_uncounted_list_introduced_as_the_following_leads_when_its_noun_is_asked_for():
    """"Which norms ...?" and "Welcomes the following set of rules, norms and principles ...:": the
    lead-in is quoted with its items (numbered "1.1.", "1.2."), though no count announces the list."""
    text = ("Recalling that voluntary norms of responsible behaviour of States can reduce risks,\n1.\n"
            "Welcomes the following set of international rules, norms and principles of responsible\n"
            "behaviour of States, enshrined in the reports of the Group:\n"
            "1.1. States should cooperate in developing and applying measures to increase stability.\n"
            "1.2. States must meet their international obligations regarding wrongful acts.\n"
            "2.\nDecides to convene a group in 2019.")
    quotes = announced(text, "Which norms of responsible behaviour did the Assembly welcome?")
    assert len(quotes) == 1 and quotes[0].startswith("Welcomes the following set")
    assert quotes[0].endswith("regarding wrongful acts.")
    # Another noun follows "the following", or the sentence does not introduce a list: nothing leads.
    assert announced(text.replace("set of international rules, norms and principles", "measures"),
                     "Which norms of responsible behaviour did the Assembly welcome?") == []
    assert announced("It adopted the following norms in 2015. States act.", "Which norms did it adopt?") == []
    # A question pointing to another document does not take this one's list.
    from assistant.ask.lists import announced_list
    from assistant.ask.query import requested_list
    from assistant.records import Retrieved
    from assistant.storage.store import StoredChunk

    result = Retrieved(StoredChunk(0, "s.txt", None, "", 0, len(text), text, "h"), DocumentMeta("s.txt", "S"),
                       1.0, 0.8, 0.0, 1, text, 0, len(text))
    asked = requested_list("Which norms of responsible behaviour did the Assembly welcome?")
    assert announced_list(asked, [result], pointed=["s.txt"]) and not announced_list(asked, [result], pointed=["t.txt"])


def test_a_list_cut_for_length_does_not_end_on_an_items_bare_number():
    """Items numbered "1.1.", "1.2." that the sentence splitter cuts off as sentences of their own: a
    list cut for length ends with an item, not with the next item's number."""
    from assistant.ask.lists import with_list
    from assistant.config import AnswerSettings

    text = ("Welcomes the following set of norms:\n1.1. States should cooperate in developing measures.\n"
            "1.2. States must meet their international obligations regarding internationally wrongful acts.")
    settings = AnswerSettings(list_max_chars=text.index("1.2.") + 10)
    quote = text[:with_list(text, 0, text.index(":") + 1, settings)]
    assert quote.rstrip().endswith("developing measures.")
