"""Query analysis (ask.query, over text.vocabulary): what a question names (instruments, documents by
year and title, numbered provisions and paragraphs), what list it asks for, and its topic."""


def test_instrument_names_are_read_off_questions():
    from assistant.ask.query import instrument_names

    assert instrument_names("What must Parties do under the Budapest Convention?") == ["Budapest Convention"]
    assert instrument_names("What does the EU Artificial Intelligence Act require?") == ["Artificial Intelligence Act"]
    assert instrument_names("Which Convention applies?") == []  # a question word is not a name
    assert instrument_names("What does the 2023 strategy say about software liability?") == []


def test_named_paragraphs_are_parsed():
    from assistant.ask.query import named_paragraphs

    assert named_paragraphs("Which use of force is banned by Article 2(4) of the UN Charter?") == {(2, 4)}
    assert named_paragraphs("and paragraph 7 of Article 2?") == {(2, 7)}
    assert named_paragraphs("What does Article 2 say?") == set()


def test_the_list_a_question_asks_for_is_read_off_it():
    from assistant.ask.query import requested_list

    assert requested_list("Which are the five pillars on which the 2023 strategy rests?") == {(5, "pillar")}
    assert requested_list("Which are the Functions that make up the NIST Cybersecurity Framework?") \
        == {(None, "function")}
    assert requested_list("Which are the Tiers in the NIST Framework, and do they grade maturity?") == {(None, "tier")}
    assert requested_list("What is cyber diplomacy?") == set()
    assert requested_list("Which near-term action came first in the review?") == set()


def test_structural_references_are_parsed():
    from assistant.text.vocabulary import structural_references

    assert structural_references("What does Article 2(4) prohibit?") == {("article", 2)}
    assert structural_references("PILLAR TWO | DISRUPT") == {("pillar", 2)}
    assert structural_references("Pillar IV: Advance American Influence") == {("pillar", 4)}
    assert structural_references("Art. 35 and Section 6.2") == {("article", 35), ("section", 6)}
    assert structural_references("an article in the press") == set()


def test_counted_lists_are_read_off_questions_and_texts():
    from assistant.ask.query import counted_request
    from assistant.text.vocabulary import counted_terms

    assert counted_request("What are the strategy's five national priorities?") == {(5, "prioriti")}
    assert counted_request("Which three primary cyber missions does the department have?") == {(3, "mission")}
    assert counted_request("What does Article 5 say?") == set()
    assert counted_request("What happened in 2018?") == set()
    # The number of a name is no count; a number after a function word is.
    assert counted_request("What recommendations does the Working Group 3 study make?") == set()
    assert counted_request("What are the 5 Core e-Competences?") == {(5, "compet")}
    found = counted_terms(["It sets out four concurrent and continuous Goals—Prevent, Detect, Respond, Recover.",
                           "Article 5 of the treaty", "no list here",
                           "Section 6 highlights seven recommendations to ensure inclusive participation:"])
    assert (4, "goal") in found[0] and found[1] == set() and found[2] == set()
    assert (7, "recommend") in found[3]  # the section's number does not swallow the count after it


def test_named_documents_are_recognised_by_year_and_title(shipped_assistant):
    from assistant.ask.query import named_documents

    docs = shipped_assistant.retriever.documents
    assert named_documents("In what ways does the 2023 National Cybersecurity Strategy depart from the 2009 "
                           "Cyberspace Policy Review?", docs) == ["US_Cyberspace_Policy_Review_2009.txt",
                                                                  "US_National_Cybersecurity_Strategy_2023.pdf"]
    # A year alone, with no title words of a document of that year, names nothing.
    assert named_documents("What happened to cyber norms in 2018?", docs) == []
    assert named_documents("What is cyber diplomacy?", docs) == []
    # Two 2021 Paris Call reports cover "Paris Call" equally; the file name tells WG4 from WG3.
    assert named_documents("What does the 2021 Paris Call WG4 report say about critical infrastructure?", docs) == [
        "Paris_Call_WG4_Advancing_International_Cyber_Norms_2021.pdf"]
    assert named_documents("What did the 2018 DoD Cyber Strategy change about deterrence?", docs) == [
        "US_DoD_Cyber_Strategy_Summary_2018.pdf"]
    # Named without a year by quoting a title no other title contains.
    assert named_documents("Which training gaps does the study 'Improving the practice of cyber diplomacy' "
                           "find?", docs) == ["000_9f1970107d613d06.txt"]
    assert named_documents("What is cyber diplomacy?", docs) == []  # begins two seed titles
    # Both reports of a year named in full.
    assert named_documents("Which conclusions did Paris Call Working Group 3 and Working Group 4 reach in 2021?",
                           docs) == [
        "Paris_Call_WG3_Multistakeholder_participation_at_the_UN_2021.pdf",
        "Paris_Call_WG4_Advancing_International_Cyber_Norms_2021.pdf"]


def test_the_topic_of_a_question_is_what_is_left_without_the_documents_names(shipped_assistant):
    from assistant.ask.query import named_documents, topic_query

    docs = shipped_assistant.retriever.documents
    question = "How did the 2015 DoD Cyber Strategy and the 2018 DoD Cyber Strategy treat deterrence?"
    named = named_documents(question, docs)
    assert topic_query(question, named, docs) == "How did the and the treat deterrence?"
    assert topic_query("How does the 2023 US National Cybersecurity Strategy treat software liability?",
                       ["US_National_Cybersecurity_Strategy_2023.pdf"], docs) == \
        "How does the US treat software liability?"


def test_documents_described_by_year_or_date_with_their_type_and_place_are_found_when_few():
    from assistant.ask.query import dates_said, described_documents
    from assistant.records import DocumentMeta

    docs = {
        "r13.txt": DocumentMeta("r13.txt", "Developments in the field", year="2013", type="resolution", date="2013-12-27"),
        "r18a.txt": DocumentMeta("r18a.txt", "Developments in the field", year="2018", type="resolution", date="2018-12-05"),
        "r18b.txt": DocumentMeta("r18b.txt", "Advancing behaviour", year="2018", type="resolution", date="2018-12-22"),
        "s18.txt": DocumentMeta("s18.txt", "Cyber Strategy", year="2018", type="strategy", jurisdiction="United Kingdom"),
        "s18u.txt": DocumentMeta("s18u.txt", "Cyber Strategy", year="2018", type="strategy", jurisdiction="United States"),
        "f18.txt": DocumentMeta("f18.txt", "Framework", year="2018", type="framework"),
        "t18.txt": DocumentMeta("t18.txt", "Study", year="2018", type="study"),
    }
    assert dates_said("adopted on 5 December 2018, or December 22, 2018") == {"2018-12-05", "2018-12-22"}
    assert described_documents("What did the 2013 text ask of governments?", docs) == ["r13.txt"]
    assert described_documents("What do the 2018 resolutions say on norms?", docs) == ["r18a.txt", "r18b.txt"]
    assert described_documents("What does the resolution of 5 December 2018 welcome?", docs) == ["r18a.txt"]
    assert described_documents("What does the UK's 2018 strategy say?", docs) == ["s18.txt"]
    # Too many documents fit: the description distinguishes nothing.
    assert described_documents("What was said in 2018 about skills?", docs) == []
    # No year or date: a type or a place alone describes no document.
    assert described_documents("What do the resolutions say about norms?", docs) == []
    assert described_documents("What happened in 1999?", docs) == []  # no document of that year


def test_a_date_of_adoption_names_its_document_and_a_type_said_after_the_year_rules_out_others():
    from assistant.ask.query import named_documents
    from assistant.records import DocumentMeta

    docs = {
        "r18a.txt": DocumentMeta("r18a.txt", "Developments in the field of security", year="2018", type="resolution",
                                 date="2018-12-05", publisher="United Nations General Assembly"),
        "r18b.txt": DocumentMeta("r18b.txt", "Advancing responsible behaviour", year="2018", type="resolution",
                                 date="2018-12-22", publisher="United Nations General Assembly"),
        "s18.pdf": DocumentMeta("s18.pdf", "National Cyber Strategy", year="2018", type="strategy"),
    }
    # The day it was adopted names one resolution, though the other's title words are asked too.
    assert named_documents("Did the General Assembly, in its 22 December 2018 resolution on security, "
                           "say anything about cybercrime?", docs) == ["r18b.txt"]
    # "cyber" and "nations" cover most of the strategy's title, but the question asks of a resolution.
    assert named_documents("How did the December 2018 resolution gather what nations think of cyber law?", docs) == []
    assert named_documents("What does the 2018 National Cyber Strategy say of nations?", docs) == ["s18.pdf"]


def test_a_description_by_a_year_alone_is_told_apart_from_one_by_date_type_or_document_word():
    from assistant.ask.query import analyse, description
    from assistant.records import DocumentMeta

    docs = {
        "r15.txt": DocumentMeta("r15.txt", "Developments in the field", year="2015", type="resolution", date="2015-12-23"),
        "s16.txt": DocumentMeta("s16.txt", "Cyber Strategy", year="2016", type="strategy", jurisdiction="United Kingdom"),
    }
    # A year alone may be an event's as well as a document's: the weakest description.
    assert description("Which malware struck the grid in the 2015 blackout?", docs) == (["r15.txt"], True)
    assert analyse("Which malware struck the grid in the 2015 blackout?", docs).described_by_year
    # A type, a date of adoption or a word that means only a document says more than the year.
    assert description("What does the 2015 resolution ask?", docs) == (["r15.txt"], False)
    assert description("What was adopted on 23 December 2015?", docs) == (["r15.txt"], False)
    assert description("What does the December 2015 text ask?", docs) == (["r15.txt"], False)
    assert description("What does the UK's 2016 strategy say?", docs) == (["s16.txt"], False)


def test_a_document_belongs_to_the_place_its_publisher_names_as_well_as_to_its_jurisdiction():
    from assistant.ask.query import described_documents, document_places, jurisdictions_said
    from assistant.records import DocumentMeta

    docs = {
        "charter.md": DocumentMeta("charter.md", "Charter", publisher="United Nations", year="1945", type="treaty",
                                   jurisdiction="international"),
        "res.txt": DocumentMeta("res.txt", "Developments", publisher="United Nations General Assembly", year="2018",
                                type="resolution", jurisdiction="UN"),
        "call.md": DocumentMeta("call.md", "Call", publisher="French Ministry for Europe and Foreign Affairs",
                                year="2018", type="norms", jurisdiction="international"),
        "uk.txt": DocumentMeta("uk.txt", "Strategy", publisher="HM Government", year="2016", type="strategy",
                               jurisdiction="United Kingdom"),
    }
    assert document_places(docs["charter.md"]) == {"international", "UN"}
    assert document_places(docs["uk.txt"]) == {"United Kingdom"}
    assert jurisdictions_said("the UN's founding treaty", docs) == {"UN"}
    assert described_documents("Which article of the UN's 1945 founding treaty allows self-defence?", docs) == ["charter.md"]
    assert described_documents("What did the French 2018 call ask of companies?", docs) == ["call.md"]
    # A place that neither the jurisdiction nor the publisher names still rules a document out.
    assert described_documents("What does the UK's 1945 treaty say?", docs) == []


def test_without_a_year_a_document_is_described_by_its_type_and_its_place_or_publisher():
    from assistant.ask.query import analyse, described_documents
    from assistant.records import DocumentMeta

    docs = {
        "slides.txt": DocumentMeta("slides.txt", "What it is", publisher="ISOC.NL", type="slides",
                                   jurisdiction="Netherlands"),
        "law.md": DocumentMeta("law.md", "Chapter 110", publisher="United States Congress", year="2022", type="law",
                               jurisdiction="United States"),
        "call.md": DocumentMeta("call.md", "Call", publisher="French Ministry for Europe and Foreign Affairs",
                                year="2018", type="norms", jurisdiction="international"),
        "bc.md": DocumentMeta("bc.md", "Convention", publisher="Council of Europe", year="2001", type="treaty",
                              jurisdiction="international"),
        "charter.md": DocumentMeta("charter.md", "Charter", publisher="United Nations", year="1945", type="treaty",
                                   jurisdiction="international"),
        "us1.txt": DocumentMeta("us1.txt", "Strategy", year="2003", type="strategy", jurisdiction="United States"),
        "us2.txt": DocumentMeta("us2.txt", "Strategy", year="2015", type="strategy", jurisdiction="United States"),
        "us3.txt": DocumentMeta("us3.txt", "Strategy", year="2023", type="strategy", jurisdiction="United States"),
        "us4.txt": DocumentMeta("us4.txt", "Strategy", year="2018", type="strategy", jurisdiction="United States"),
    }
    assert described_documents("According to the Netherlands slides, what is cyber diplomacy?", docs) == ["slides.txt"]
    assert described_documents("What does US law say about trade secrets?", docs) == ["law.md"]
    # "International" is said of peace, not of a document; "the UN's" treaty is the Charter alone.
    assert described_documents("Under the UN's founding treaty, how are disputes endangering international peace "
                               "settled?", docs) == ["charter.md"]
    # A type alone, a place alone, or a description that fits too many documents describes none.
    assert described_documents("What do the slides say?", docs) == []
    assert described_documents("What does the US say about trade secrets?", docs) == []
    assert described_documents("What do the US strategies say about quantum computing?", docs) == []
    # The type word must follow the place closely: apart, the words describe something else.
    assert described_documents("When did India and the United States sign their cooperation law?", docs) == []
    assert described_documents("How much goes through the Infrastructure Law to every American?", docs) == []
    assert described_documents("What does the US cyber diplomacy law say?", docs) == ["law.md"]
    # Beside a document named, the one document of a type and place is named too: a comparison of both.
    query = analyse("How do US law and the Paris Call treat theft of trade secrets?", docs | {
        "call.md": DocumentMeta("call.md", "Paris Call for Trust and Security in Cyberspace", year="2018",
                                type="norms", jurisdiction="international")})
    assert set(query.named) == {"call.md", "law.md"}
    query = analyse("When did India and the United States sign their law, as the Paris Call says?", docs | {
        "call.md": DocumentMeta("call.md", "Paris Call for Trust and Security in Cyberspace", year="2018",
                                type="norms", jurisdiction="international")})
    assert query.named == ["call.md"]


def test_without_a_year_place_or_publisher_a_document_is_described_by_its_type_and_words_of_its_title():
    from assistant.ask.query import described_documents
    from assistant.records import DocumentMeta

    def doc(file, title, type_):
        return DocumentMeta(file, title, type=type_, jurisdiction="international")

    docs = {f: doc(f, t, k) for f, t, k in [
        ("cc.md", "Convention on Cybercrime (ETS No. 185)", "treaty"),
        ("pr.md", "Additional Protocol to the Convention on Cybercrime concerning racist acts", "treaty"),
        ("un.md", "Charter of the United Nations", "treaty"),
        ("fw.pdf", "Framework for Improving Critical Infrastructure Cybersecurity", "framework"),
        ("poa.txt", "Programme of action to advance responsible State behaviour", "resolution"),
        ("dev.txt", "Developments in the field of information and telecommunications", "resolution"),
        *((f"s{i}.txt", f"National Cyber Strategy {i}", "strategy") for i in range(4)),
    ]}
    # Said in the singular, the document whose title those words say most of: the Convention, not its Protocol.
    assert described_documents("What contact point does the cybercrime treaty require?", docs) == ["cc.md"]
    assert described_documents("What do the cybercrime treaties say about racism?", docs) == ["cc.md", "pr.md"]
    assert described_documents("What does the programme of action resolution welcome?", docs) == ["poa.txt"]
    assert described_documents("How does the cybersecurity framework define a profile?", docs) == ["fw.pdf"]
    # Every word said before the type must be the title's; too many fitting documents describe none.
    assert described_documents("Who uses the international cybersecurity frameworks?", docs) == []
    assert described_documents("What does the new treaty say?", docs) == []
    assert described_documents("What does the cyber strategy say about skills?", docs) == []
    # Without "the", the words are a topic: "cybercrime treaties" in general.
    assert described_documents("Which cybercrime treaties exist?", docs) == []


def test_a_question_about_described_documents_is_read_without_the_words_describing_them():
    from assistant.ask.query import analyse
    from assistant.records import DocumentMeta

    docs = {"r15.txt": DocumentMeta("r15.txt", "Developments in the field", year="2015", type="resolution",
                                    jurisdiction="UN", date="2015-12-23"),
            "r13.txt": DocumentMeta("r13.txt", "Developments in the field", year="2013", type="resolution",
                                    jurisdiction="UN", date="2013-12-27")}
    query = analyse("In the UN resolution adopted in 2015, when was the group to be established?", docs)
    assert query.described == ["r15.txt"] and query.named == []
    assert query.topic == "In the adopted in , when was the group to be established?"
    # Its date of adoption names it; the words describing it are not asked of it either.
    query = analyse("In the UN resolution adopted on 23 December 2015, when was the group to be established?", docs)
    assert query.named == ["r15.txt"]
    assert query.topic == "In the adopted on , when was the group to be established?"
    # A question naming its document uses a year for something else.
    docs["bc.md"] = DocumentMeta("bc.md", "Convention on Cybercrime (Budapest Convention, ETS No. 185)", year="2001",
                                 type="treaty")
    assert analyse("Which reservations to the Budapest Convention were declared in 2015?", docs).described == []


def test_a_bracketed_description_in_a_title_is_no_short_name():
    from assistant.ask.query import aliased_documents
    from assistant.records import DocumentMeta

    docs = {"wg.pdf": DocumentMeta("wg.pdf", "Working Group 4: Advancing norms (final report)"),
            "bc.md": DocumentMeta("bc.md", "Convention on Cybercrime (Budapest Convention, ETS No. 185)")}
    assert aliased_documents("When must the group hand in its final report?", docs) == []
    assert aliased_documents("What does the Budapest Convention say?", docs) == ["bc.md"]


def test_a_title_headed_by_its_kind_gives_the_short_names_it_is_known_by():
    from assistant.ask.query import aliased_documents, short_names
    from assistant.records import DocumentMeta

    assert short_names("Charter of the United Nations") == ["United Nations Charter", "UN Charter"]
    assert short_names("Convention on Cybercrime (Budapest Convention, ETS No. 185)") == [
        "Cybercrime Convention", "Convention on Cybercrime"]
    assert short_names("Framework for Improving Critical Infrastructure Cybersecurity, Version 1.1") == []
    assert short_names("Paris Call for Trust and Security in Cyberspace") == []  # "Call" is not its first word

    docs = {"charter.md": DocumentMeta("charter.md", "Charter of the Example Nations"),
            "conv.md": DocumentMeta("conv.md", "Convention on Cybercrime (Budapest Convention, ETS No. 185)"),
            "prot.md": DocumentMeta("prot.md", "Additional Protocol to the Convention on Cybercrime"),
            "s1.pdf": DocumentMeta("s1.pdf", "National Cyber Strategy"),
            "s2.pdf": DocumentMeta("s2.pdf", "National Cybersecurity Strategy")}
    assert aliased_documents("What does the EN Charter say about self-defence?", docs) == ["charter.md"]
    # The kind a single indexed title opens with, capitalised after "the", names that document ...
    assert aliased_documents("Which organ keeps the peace under the Charter?", docs) == ["charter.md"]
    assert aliased_documents("What does the Convention require of service providers?", docs) == ["conv.md"]
    assert aliased_documents("Does the Protocol define racist material?", docs) == ["prot.md"]
    # ... not a kind several titles open with, a word in lower case, or the start of another title.
    assert aliased_documents("What does the Strategy say about deterrence?", docs) == []
    assert aliased_documents("Which charter of rights applies?", docs) == []
    assert aliased_documents("What does the Convention against Cybercrime of 2024 require?", docs) == []
    assert aliased_documents("What does the Charter Review Conference decide?", docs) == []
    # A title given without its bracket names its document, however short.
    assert aliased_documents("What does the Convention on Cybercrime say about preservation?", docs) == ["conv.md"]


def test_a_short_name_beside_a_title_or_a_year_is_what_the_other_document_cites():
    from assistant.ask.query import analyse
    from assistant.records import DocumentMeta

    docs = {"charter.md": DocumentMeta("charter.md", "Charter of the Example Nations", year="1945", type="treaty"),
            "r75.txt": DocumentMeta("r75.txt", "Resolution 75/240: Developments", year="2020", type="resolution",
                                    symbol="A/RES/75/240"),
            "s23.pdf": DocumentMeta("s23.pdf", "National Cybersecurity Strategy", year="2023", type="strategy",
                                    jurisdiction="United States")}
    assert analyse("What does the EN Charter say about self-defence?", docs).short_named == ["charter.md"]
    assert analyse("Which rule of the Charter forbids the threat of force?", docs).short_named == ["charter.md"]
    # Named beside a document the question names by its symbol, or beside a year: cited, not asked of.
    beside_symbol = analyse("Does resolution A/RES/75/240 recall the Charter's ban on force?", docs)
    assert beside_symbol.aliased == ["charter.md"] and beside_symbol.short_named == []
    assert analyse("How do the 2023 US strategy and the Charter treat sanctions?", docs).short_named == []
    # A document the index lacks stays absent when the question also speaks of the Charter.
    gge = analyse("How did the 2021 GGE consensus report describe the applicability of the EN Charter?", docs)
    assert [name for name, _ in gge.absent] == ["2021 GGE consensus report"]


def test_a_code_only_one_documents_file_name_or_title_carries_names_that_document():
    from assistant.ask.query import analyse, coded_documents
    from assistant.records import DocumentMeta

    docs = {"Call_WG3_Participation_2021.pdf": DocumentMeta("Call_WG3_Participation_2021.pdf", "Participation at the UN"),
            "Call_WG4_Norms_2021.pdf": DocumentMeta("Call_WG4_Norms_2021.pdf", "Advancing norms"),
            "EU_NIS2_Directive.md": DocumentMeta("EU_NIS2_Directive.md", "Directive on measures (NIS2)"),
            "a_G7_note.md": DocumentMeta("a_G7_note.md", "Note"), "b_G7_note.md": DocumentMeta("b_G7_note.md", "Note")}
    assert analyse("How does the WG3 study define cyber diplomacy?", docs).named == ["Call_WG3_Participation_2021.pdf"]
    assert coded_documents("What must NIS2 entities report?", docs) == ["EU_NIS2_Directive.md"]
    assert coded_documents("What did the G7 agree?", docs) == []  # two documents carry it: it names neither
    assert coded_documents("What did the 2021 study say?", docs) == []  # a year is no code
    # A code spelled out: the initials of the capitalised words before its number.
    assert coded_documents("Who chaired Working Group 3?", docs) == ["Call_WG3_Participation_2021.pdf"]
    assert coded_documents("What part did Microsoft play in Working Groups 3 and 4?", docs) == \
        ["Call_WG3_Participation_2021.pdf", "Call_WG4_Norms_2021.pdf"]


def test_a_publisher_the_question_names_describes_its_documents_and_names_the_only_one_it_published():
    from assistant.ask.query import analyse, described_documents, publishers_said
    from assistant.records import DocumentMeta

    docs = {"r18a.txt": DocumentMeta("r18a.txt", "Developments", year="2018", type="resolution",
                                     publisher="United Nations General Assembly"),
            "r18b.txt": DocumentMeta("r18b.txt", "Advancing", year="2018", type="resolution",
                                     publisher="United Nations General Assembly"),
            "call.md": DocumentMeta("call.md", "A Call", year="2018", type="norms", publisher="French Ministry",
                                    jurisdiction="France"),
            "fw.pdf": DocumentMeta("fw.pdf", "A Framework", year="2018", type="framework", publisher="NIST"),
            "s18.pdf": DocumentMeta("s18.pdf", "A Strategy", year="2018", type="strategy", publisher="The White House"),
            "charter.md": DocumentMeta("charter.md", "Charter", year="1945", type="treaty", publisher="United Nations"),
            "study.txt": DocumentMeta("study.txt", "Improving the practice of cyber diplomacy: Training, tools",
                                      publisher="DiploFoundation")}
    assert publishers_said("What did the General Assembly adopt?", docs) == {"United Nations General Assembly"}
    # "norms" is the type of none of the General Assembly's documents: a topic word, not a facet.
    assert described_documents("Which norms did the General Assembly adopt in 2018?", docs) == ["r18a.txt", "r18b.txt"]
    assert described_documents("Which norms were adopted in 2018?", docs) == ["call.md"]
    assert described_documents("What was published in 2018?", docs) == []  # five documents fit
    # Without a publisher, a type word must fit: France's 2018 text is no treaty.
    assert described_documents("What did France's 2018 text say?", docs) == ["call.md"]
    assert described_documents("What did France's 2018 treaty say?", docs) == []
    # A publisher none of the documents of that year has is the other document's, compared with it.
    assert described_documents("How do the 2018 strategy and DiploFoundation's study differ on training?",
                               docs) == ["s18.pdf"]
    # The only document of its publisher is named by it; its title's words stay the topic.
    query = analyse("How should diplomats be trained in cyber diplomacy according to DiploFoundation?", docs)
    assert query.named == ["study.txt"] and "trained" in query.topic and "DiploFoundation" not in query.topic
    # A publisher whose name is part of another's ("United Nations") names no document alone.
    assert analyse("What did the United Nations say about force?", docs).named == []


def test_a_place_alone_is_no_way_of_saying_a_publisher_of_that_place():
    from assistant.ask.query import publishers_said
    from assistant.records import DocumentMeta

    docs = {"code.md": DocumentMeta("code.md", "A Code", publisher="United States Congress", jurisdiction="United States"),
            "s15.txt": DocumentMeta("s15.txt", "A Strategy", publisher="US Department of Defense",
                                    jurisdiction="United States"),
            "res.txt": DocumentMeta("res.txt", "A Resolution", publisher="United Nations General Assembly",
                                    jurisdiction="UN")}
    assert publishers_said("How short of cyber professionals is the United States?", docs) == set()
    assert publishers_said("What does the Administration want Congress to do?", docs) == set()
    assert publishers_said("What did the United States Congress enact?", docs) == {"United States Congress"}
    assert publishers_said("What does the Department of Defense plan?", docs) == {"US Department of Defense"}
    assert publishers_said("What did the General Assembly adopt?", docs) == {"United Nations General Assembly"}


def test_a_publisher_is_said_by_its_name_s_words_together_in_order_not_scattered():
    from assistant.ask.query import publishers_said
    from assistant.records import DocumentMeta

    nist = "US National Institute of Standards and Technology"
    docs = {"f.pdf": DocumentMeta("f.pdf", "A Framework", publisher=nist, jurisdiction="United States")}
    assert publishers_said("What does the National Institute of Standards and Technology advise?", docs) == {nist}
    assert publishers_said("What do Standards and Technology experts at NIST advise?", docs) == {nist}
    assert publishers_said("What did the Institute of Standards publish?", docs) == {nist}
    # Half the name's words, but scattered or out of order: other things are said.
    assert publishers_said("Which principles should shape how technology standards are made?", docs) == set()
    assert publishers_said("May national human rights institutions take part?", docs) == set()
    assert publishers_said("Which emerging technologies does the National Cyber Strategy name?", docs) == set()


def test_a_name_is_absent_only_when_no_document_is_known_by_it():
    from assistant.ask.query import absent_documents
    from assistant.records import DocumentMeta

    docs = {"s23.pdf": DocumentMeta("s23.pdf", "National Cybersecurity Strategy", year="2023", type="strategy",
                                    jurisdiction="United States"),
            "s03.txt": DocumentMeta("s03.txt", "The National Strategy to Secure Cyberspace", year="2003",
                                    type="strategy", jurisdiction="United States")}
    # "cyber" begins the compound the 2023 strategy is known by.
    assert absent_documents("What does the 2023 US Cyber Strategy aim for?", docs) == []
    assert absent_documents("What does the 2022 US Cyber Strategy aim for?", docs) == [("2022 US Cyber Strategy", {"2022"})]
    # "plan to" + a verb is no document's name; "Strategy to Secure" is one.
    assert absent_documents("Which exercises does DHS plan to emulate?", docs) == []
    assert absent_documents("What does the DHS Plan say?", docs) == [("DHS Plan", {"dhs"})]
    # A kind that is a verb with its object after it names nothing: "... call the DNS", "... review all".
    assert absent_documents("Which protocol does the WG4 compendium call the cornerstone of the web?", docs) == []
    assert absent_documents("By when must the CDPC review all of its provisions?", docs) == []
    assert absent_documents("What does the WG4 Call say?", docs) == [("WG4 Call", {"wg4"})]
    # A kind inside the name of something else is no document's name; before an article's number it is.
    assert absent_documents("What does the Cyber Safety Review Board examine?", docs) == []
    assert absent_documents("What does the Resilience Act Article 5 require?", docs) == [
        ("Resilience Act", {"resili"})]
    # A document given to a place no indexed document belongs to, however it is written; a place
    # that has documents, or a kind the question asks to have identified, names none absent.
    assert absent_documents("What are the pillars of Australia's national cyber security strategy?", docs) == [
        ("Australia's national cyber security strategy", {"australia"})]
    assert absent_documents("What did the US-China cyber agreement establish?", docs) == [
        ("US-China cyber agreement", {"china"})]
    assert absent_documents("What are the pillars of the American cyber strategy?", docs) == []
    assert absent_documents("Which Canadian programme does the strategy cite?", docs) == []


def test_a_document_of_a_held_type_and_year_said_by_its_topics_acronym_is_not_absent():
    from assistant.ask.query import absent_documents
    from assistant.records import DocumentMeta

    docs = {"r18.txt": DocumentMeta("r18.txt", "General Assembly resolution 90/1: Advancing responsible behaviour",
                                    year="2018", type="resolution", jurisdiction="international")}
    assert absent_documents("What does the December 2018 GGE resolution ask of States?", docs) == []
    # Another year or another kind: a document the index does not hold.
    assert absent_documents("What does the 2019 GGE resolution ask of States?", docs) == [
        ("2019 GGE resolution", {"gge"})]
    assert absent_documents("What does the 2018 GGE report recommend?", docs) == [("2018 GGE report", {"gge"})]


def test_a_year_range_no_indexed_title_carries_dates_no_document():
    from assistant.ask.query import analyse, without_foreign_ranges
    from assistant.records import DocumentMeta

    docs = {"wg4.pdf": DocumentMeta("wg4.pdf", "Paris Call Working Group 4: Advancing norms", year="2021", type="study"),
            "r21.txt": DocumentMeta("r21.txt", "Resolution 76/19", year="2021", type="resolution"),
            "uk.txt": DocumentMeta("uk.txt", "National Cyber Security Strategy 2016-2021", year="2016",
                                   type="strategy", jurisdiction="United Kingdom")}
    # "the open-ended working group 2021–2025" is a body and its term: no 2021 document is meant.
    assert without_foreign_ranges("May the working group 2021–2025 set up subgroups?", docs) == \
        "May the working group   set up subgroups?"
    query = analyse("May the open-ended working group 2021–2025 set up subgroups?", docs)
    assert query.named == [] and query.described == [] and query.years == set()
    # A range a title gives names its document, however the dash is written.
    assert analyse("What does the National Cyber Security Strategy 2016–2021 say?", docs).named == ["uk.txt"]
    assert analyse("What did the UK's 2016 - 2021 strategy fund?", docs).pointed == ["uk.txt"]


def test_a_publisher_is_also_said_by_the_initials_of_its_name():
    from assistant.ask.query import analyse, initials, publishers_said
    from assistant.records import DocumentMeta

    assert initials("US National Institute of Standards and Technology") == {"NIST", "NIoST"}
    assert "DoD" in initials("US Department of Defense") and "CoE" in initials("Council of Europe")
    assert initials("United Nations") == set() and initials("DiploFoundation") == set()  # "UN": too common
    docs = {"fw.pdf": DocumentMeta("fw.pdf", "A Framework", type="framework",
                                   publisher="US National Institute of Standards and Technology"),
            "s15.txt": DocumentMeta("s15.txt", "A Strategy", year="2015", publisher="US Department of Defense"),
            "s18.txt": DocumentMeta("s18.txt", "A Summary", year="2018", publisher="US Department of Defense")}
    assert publishers_said("What does the NIST framework say about tiers?", docs) == {
        "US National Institute of Standards and Technology"}
    assert analyse("What does the NIST framework say about tiers?", docs).named == ["fw.pdf"]
    assert analyse("What does the DoD say about defending forward?", docs).named == []  # two documents
    assert publishers_said("What does the nist say?", docs) == set()  # initials are capitals


def test_a_list_asked_for_is_told_from_a_list_only_mentioned():
    from assistant.ask.query import items_asked, requested_list

    def asked(q):
        return items_asked(q, requested_list(q))

    assert asked("What are the five pillars of the strategy?") == {(5, "pillar")}
    assert asked("Name the four Tiers and describe each.") == {(4, "tier")}
    assert asked("Which principles does the Call set out?") == {(None, "principl")}
    assert asked("How much funding does the strategy request for its five pillars?") == set()
    assert asked("Under the third pillar, what does the strategy say about ransomware?") == set()


def test_the_words_describing_a_document_include_the_places_it_belongs_to():
    from assistant.ask.query import undescribed
    from assistant.records import DocumentMeta

    # The Paris Call belongs to France through its publisher: "France" describes it as "French" does.
    docs = {"pc.md": DocumentMeta("pc.md", "Paris Call for Trust and Security in Cyberspace", year="2018",
                                  type="norms", jurisdiction="international",
                                  publisher="French Ministry for Europe and Foreign Affairs")}
    assert undescribed("What does the French 2018 call say about interference by France?", ["pc.md"], docs) == \
        "What does the call say about interference by"


def test_a_question_asking_how_many_says_what_it_counts():
    from assistant.ask.query import analyse

    counted = analyse("According to the report, how many Member States voted for it?", {})
    assert counted.asked_measure == "count" and counted.asks_quantity
    assert {"member", "state"} <= counted.counted_things
    # What is counted, not the verb after it: "states took part" counts states.
    assert analyse("How many states took part in the consultations?", {}).counted_things == {"state"}
    assert analyse("How many red team exercises per year are held?", {}).counted_things == {"red", "team", "exercis"}
    assert analyse("How many people sit on the board?", {}).counted_things == {"peopl"}
    amount = analyse("How much weight does the resolution give to the experts' report?", {})
    assert amount.asks_quantity and not amount.asked_measure and not amount.counted_things
    mention = analyse("Does the strategy say how many staff it needs?", {})
    assert not mention.asks_quantity  # "how many" inside the question, not its question word
    added = analyse("What must the State Department report, and how many staff benefit?", {})
    assert added.asks_quantity and not added.asked_measure  # its first part may be answered all the same
    duration = analyse("May police have data preserved, and for how long?", {})
    assert duration.asks_quantity and {"day", "month"} <= duration.counted_things


def test_a_question_asking_a_sum_of_money_says_so():
    from assistant.ask.query import analyse

    for question in ("How much funding does the Act authorize for recruitment?",
                     "What annual budget does the strategy give the centre?",
                     "What dollar amount did the President request?", "How much did the breach cost the firm?"):
        assert analyse(question, {}).asked_measure == "money", question
    assert analyse("Who signs off on the UN's budget?", {}).asked_measure == ""


def test_a_question_asking_a_date_or_deadline_says_so():
    from assistant.ask.query import analyse

    for question in ("On what date did the Protocol enter into force?", "By what year must agencies migrate?",
                     "What deadline does the resolution set for views?", "Under section 5, by when must it report?",
                     "In which year was the group to be established?"):
        assert analyse(question, {}).asked_measure == "date", question
    # "When" may ask in what circumstances; a date named inside the question is no question of one.
    for question in ("When may a State use force?", "What did the Assembly decide on the date of the conference?"):
        assert analyse(question, {}).asked_measure == "", question


def test_a_document_is_known_by_a_name_word_no_other_document_holds():
    """An author's name in a title, a publisher's, a code or a section number of a file name or title
    names its document; a title word other documents' texts use ("ICTs", "Resilient") names none."""
    from assistant.text.names import document_names, known_by

    names = {"a.txt": document_names("a.txt", "The Increasing Need for Cyber Diplomacy (Md. Tawhidur Rahman Pial)", ""),
             "b.md": document_names("b.md", "22 U.S.C. Chapter 110 (secs. 10301-10303)", "United States Congress"),
             "c.txt": document_names("c.txt", "Developments in the field of ICTs", "United Nations General Assembly"),
             "d.txt": document_names("d.txt", "Assuring a Trusted and Resilient Infrastructure", "The White House")}
    texts = {"a.txt": "Pial writes that cyber diplomacy needs ICTs.", "b.md": "Sec. 10302. The strategy is resilient.",
             "c.txt": "ICTs are used by States.", "d.txt": "A resilient infrastructure."}
    words = known_by(names, texts)
    assert {"pial", "tawhidur", "rahman"} <= set(words["a.txt"])
    assert {"10301", "10302", "10303"} <= set(words["b.md"])  # the sections a range gives
    assert "icts" not in words["c.txt"] and "resilient" not in words["d.txt"]


def test_a_question_using_a_word_only_one_document_is_known_by_names_it():
    from assistant.ask.query import analyse
    from assistant.records import DocumentMeta

    docs = {"a.txt": DocumentMeta("a.txt", "The Increasing Need for Cyber Diplomacy (Md. Tawhidur Rahman Pial)",
                                  known_by=("pial", "rahman", "tawhidur")),
            "b.md": DocumentMeta("b.md", "22 U.S.C. Chapter 110", known_by=("10301", "10302", "10303")),
            "c.txt": DocumentMeta("c.txt", "What is Cyber Diplomacy (and what it's not)?")}
    query = analyse("How do Pial's article and 22 U.S.C. 10302 see cyber diplomacy?", docs)
    assert query.named == ["a.txt", "b.md"]
    assert analyse("What is cyber diplomacy?", docs).named == []


def test_each_year_a_question_gives_describes_its_own_document():
    """"the 2003 strategy and the 2009 review": the strategy of 2003 (not the 2003 treaty), and 2009's one
    document, named by a word of its title after the year; the two are compared side by side."""
    from assistant.ask.comparison import comparison_scope
    from assistant.ask.query import analyse, described_documents
    from assistant.records import DocumentMeta

    docs = {"s03.txt": DocumentMeta("s03.txt", "The National Strategy to Secure Cyberspace", year="2003", type="strategy"),
            "p03.md": DocumentMeta("p03.md", "Additional Protocol on racist acts", year="2003", type="treaty"),
            "r09.txt": DocumentMeta("r09.txt", "Cyberspace Policy Review", year="2009", type="study"),
            "s18.pdf": DocumentMeta("s18.pdf", "A Strategy", year="2018", type="strategy")}
    question = "How do the 2003 strategy and the 2009 review treat identity management?"
    assert described_documents("What did the 2003 strategy and a 2009 text say?", docs) == ["s03.txt", "r09.txt"]
    query = analyse(question, docs)
    assert set(query.named) == {"s03.txt", "r09.txt"}
    assert comparison_scope(query, docs).files == ["s03.txt", "r09.txt"]
    # A word after the year that is no word of a title ("the 2018 UN report") names nothing.
    assert analyse("What did the 2018 UN report conclude?", docs).named == []


def test_documents_counted_out_by_what_they_share_are_named_when_exactly_that_many_fit():
    from assistant.ask.query import analyse, counted_documents
    from assistant.records import DocumentMeta

    docs = {"uk11.txt": DocumentMeta("uk11.txt", "The UK Cyber Security Strategy", year="2011", type="strategy",
                                     jurisdiction="United Kingdom"),
            "uk16.txt": DocumentMeta("uk16.txt", "National Cyber Security Strategy 2016-2021", year="2016",
                                     type="strategy", jurisdiction="United Kingdom"),
            "us18.pdf": DocumentMeta("us18.pdf", "National Cyber Strategy", year="2018", type="strategy",
                                     jurisdiction="United States"),
            "wg3.pdf": DocumentMeta("wg3.pdf", "Paris Call Working Group 3: Multistakeholder participation",
                                    year="2021", type="study"),
            "wg4.pdf": DocumentMeta("wg4.pdf", "Paris Call Working Group 4: Advancing cyber norms", year="2021",
                                    type="study"),
            "call.md": DocumentMeta("call.md", "Paris Call for Trust and Security in Cyberspace", year="2018",
                                    type="norms")}
    assert counted_documents("How do the two UK strategies treat privacy?", docs) == ["uk11.txt", "uk16.txt"]
    assert counted_documents("Do the two Paris Call working group reports cite SolarWinds?", docs) == \
        ["wg3.pdf", "wg4.pdf"]
    assert analyse("How do the two UK strategies treat privacy?", docs).named == ["uk11.txt", "uk16.txt"]
    # Three strategies are indexed, not two; "the two phases" are no documents.
    assert counted_documents("How do the two strategies treat privacy?", docs) == []
    assert counted_documents("What are the two phases of the Paris Call working group study?", docs) == []


def test_a_compound_question_is_read_as_its_asks():
    from assistant.ask.query import question_asks

    assert question_asks("What is the 24/7 Network under the convention, and what assistance must its "
                         "points of contact provide?") == [
        "What is the 24/7 Network under the convention", "what assistance must its points of contact provide"]
    assert question_asks("Can a prosecutor compel a company to reveal who holds an account and how they pay "
                         "for it?") == ["Can a prosecutor compel a company to reveal who holds an account",
                                        "how they pay for it"]
    assert question_asks("How long must the data be kept, and is dual criminality required?") == [
        "How long must the data be kept", "is dual criminality required"]
    # An ask too short to search by is left to the others; one ask is no compound question.
    assert question_asks("When and where was the Protocol done, and what must Parties criminalise?") == [
        "where was the Protocol done", "what must Parties criminalise"]
    assert question_asks("Which country is the most persistent threat, and why?") == []
    # "and" before a verb without a comma joins two verbs of one ask ("what it is and is not").
    assert question_asks("According to the slides on what cyber diplomacy is and is not, how does it differ?") == []
    assert question_asks("What did resolution 73/27 welcome?") == []


def test_the_term_whose_definition_a_question_asks_is_read_off_it():
    from assistant.ask.query import analyse

    def term(question: str) -> str:
        return analyse(question, {}).defined_term

    assert term("How does the Framework glossary define cybersecurity?") == "cybersecurity"
    assert term("How is Critical National Infrastructure defined in the 2016 strategy's annex?") \
        == "critical national infrastructure"
    assert term("How does the article define cyber diplomacy at its core?") == "cyber diplomacy"
    assert term("What does 'secure by default' mean in the 2016 UK strategy?") == "secure by default"
    assert term("What is mobile code according to the Framework glossary?") == "mobile code"
    assert term("How does the Charter define the term 'enemy state'?") == "enemy state"
    assert term("What does the strategy say about defining acceptable conduct?") == ""
    assert term("What is the budget of the programme?") == ""
