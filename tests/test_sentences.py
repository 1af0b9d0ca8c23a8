"""Sentences fit to quote (text.sentences): headings, page headers, menus, banners, reference-list
entries and the tails of broken sentences are never quoted as sentences; prose is."""


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
    # Notes once quoted as answers (on the UN and the domestic affairs of states, and on the 2009
    # review's first near-term action): a web address, a date run into the word before it (PDF
    # text), the dated tail of a source.
    assert not _usable_sentence("A Critical Look” (Transnational InstituteSeptember 10, 2019) "
                                "<https://www.tni.org/en/publication/ multistakeholderism-a-critical-look> 4.")
    assert not _usable_sentence("More on the programme of work can be found at www.example.org/cyber-programme today.")
    assert not _usable_sentence("No, Thanks., Cato Institute, March 13, 2009.")
    assert not _usable_sentence("Cyber Security Strategy of the United Kingdom, Cabinet Office (2009).")
    assert not _usable_sentence("Alger C, “The Emerging Roles of NGOs in the UN System: From Article 71 to a "
                                "People’s Millennium Assembly” (2002) 8 Global Governance:")
    # A caption in sentence case, a few words with no end mark.
    assert not _usable_sentence("Government ICT strategic implementation plan 2011")
    # A UN document's note pointing to the source before it, or to its official records.
    assert not _usable_sentence("Ibid., Sixty-ninth Session, Supplement No. 53 (A/69/53), chap.")
    assert not _usable_sentence("See Official Records of the General Assembly, Seventieth Session, Supplement No. 40.")
    assert _usable_sentence("The official records of the talks were kept by the secretariat for ten years.")


def test_a_text_says_when_it_was_made_by_its_adoption_line_its_closing_formula_or_a_dateline():
    from assistant.text.sentences import says_when_made

    assert says_when_made("A/RES/1/1\n\nResolution adopted by the General Assembly\non 5 December 2018\n[on the report]")
    assert says_when_made("have signed this Convention. DONE at Budapest, this 23rd day of November 2001, in English")
    assert says_when_made("signed the present Charter.DONE at the city of San Francisco the twenty-sixth day of June")
    assert says_when_made("We agree to meet again next year.\n\nParis, 12th of November, 2018\n")
    # Not a letter's signature and date over two lines, nor work done somewhere, nor a date in prose.
    assert not says_when_made("Greg Nojeim,\nMarch 20, 2009\nCenter for Democracy and Technology")
    assert not says_when_made("Much of the work is done at the national level by regulators.")
    assert not says_when_made("The strategy was adopted after consultations held on 5 December 2018 in Paris.")


PREAMBLE = ("The Assembly of the Parties,\n"
            "Recalling its earlier decisions on the security of shared networks and on\n"
            "the protection of the water supply of member towns,\n"
            "Noting with concern that attacks on pumping stations have grown in number, 3\n"
            "Deeply concerned that such attacks could interrupt the supply of water to\n"
            "hospitals and schools,\n"
            "1. Decides to meet again in the spring.")


def test_each_clause_paragraph_of_a_preamble_is_a_sentence_of_its_own():
    from assistant.text.sentences import sentence_spans, usable_sentence

    spans = [PREAMBLE[a:b] for a, b in sentence_spans(PREAMBLE, 0, len(PREAMBLE))]
    assert spans[1].startswith("Recalling its earlier") and spans[1].endswith("member towns,")
    assert spans[2].startswith("Noting with concern") and spans[2].endswith("in number,")  # the note mark left out
    assert spans[3].startswith("Deeply concerned") and spans[3].endswith("schools,")  # the operative part begins after it
    # A clause paragraph ends in a comma and is quotable; wrapped lines of a list ending in one are not.
    assert usable_sentence(" ".join(spans[1].split()), spans[1])
    assert not usable_sentence("Networks and systems Pumping stations Schools and hospitals,",
                               "Networks and systems\nPumping stations\nSchools and hospitals,")


def test_a_comma_before_a_capitalised_word_that_is_no_participle_does_not_end_a_sentence():
    from assistant.text.sentences import sentence_spans

    text = "The strategy was agreed with partners in Canberra, Wellington,\nLondon and Ottawa in 2016."
    assert len(sentence_spans(text, 0, len(text))) == 1


def test_a_sentence_too_long_to_quote_is_offered_by_windows_of_whole_clauses():
    from assistant.text.sentences import clause_windows

    text = ("Decides to convene, starting next year, a working group on water security, to study "
            "threats to pumping stations and possible cooperative measures; and to submit a report.")
    windows = [text[a:b] for a, b in clause_windows(text, 0, len(text), 12)]
    assert windows[0] == "Decides to convene, starting next year, a working group on water security,"
    assert all(len(w.split()) <= 12 for w in windows)
    assert "to study threats to pumping stations and possible cooperative measures;" in windows
    assert windows[-1] == "and to submit a report."
    assert all(w in text for w in windows)  # verbatim


def test_a_capitalised_heading_with_abbreviations_is_not_quoted_with_the_sentence_under_it():
    from assistant.text.sentences import LEADING_HEADINGS

    text = "PREVENT ABUSE OF \nU.S.-BASED INFRASTRUCTURE \nMalicious actors exploit cloud services."
    assert text[LEADING_HEADINGS.match(text).end():].startswith("Malicious actors")


def test_a_sentence_setting_out_a_list_is_cut_into_its_lead_in_and_whole_items():
    from assistant.text.sentences import list_item_spans

    text = ("We affirm our willingness to work together to:\n- Strengthen the security of products, throughout "
            "their lifecycle and supply chain;\n- Support efforts to strengthen cyber hygiene for all actors;\n"
            "- Take steps to prevent non-State actors from hacking back.")
    parts = [text[a:b] for a, b in list_item_spans(text, 0, len(text))]
    assert parts[0] == "We affirm our willingness to work together to:"
    assert parts[1] == "- Strengthen the security of products, throughout their lifecycle and supply chain;"
    assert len(parts) == 4 and parts[3].endswith("hacking back.")
    assert list_item_spans("One sentence, with a clause; and another clause.", 0, 48) == []


def test_the_next_paragraphs_number_is_not_part_of_the_sentence_before_it():
    from assistant.text.sentences import sentence_spans

    text = "Stressing that cooperation would benefit from civil society organizations,\n1.\n\nCalls upon States to act."
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))][0].endswith("organizations,")
    kept = "They act under Article\n5. Then they report."
    assert [kept[a:b] for a, b in sentence_spans(kept, 0, len(kept))][0] == "They act under Article\n5."


def test_the_next_items_number_after_an_item_with_no_end_mark_is_not_part_of_it():
    """A list of names or a heading has no end mark: the next item's number on the line below
    ("(OSCE)\n62.", "the role of the market\n4.12.", "in this field;\n(c)") is not quoted with it; a
    number the words before it refer to ("paragraphs 1 and\n2.") is."""
    from assistant.text.sentences import sentence_spans

    def first(text: str) -> str:
        return [text[a:b] for a, b in sentence_spans(text, 0, len(text))][0]

    assert first("The Organization for Security and Co-operation in Europe (OSCE)\n62. United Nations") == \
        "The Organization for Security and Co-operation in Europe (OSCE)"
    assert first("Driving change: the role of the market\n4.12. The Strategy sought change.") == \
        "Driving change: the role of the market"
    assert first("(b) Efforts to promote cooperation in this field;\n(c)\n\nThe content.") == \
        "(b) Efforts to promote cooperation in this field;"
    assert first("As referred to in paragraphs 1 and\n2. The next point.") == "As referred to in paragraphs 1 and\n2."


def test_a_publication_imprint_is_not_quotable():
    from assistant.text.sentences import usable_sentence

    line = "ISBN 978-1-925238-61-7 Australia’s Cyber Security Strategy (Hardcopy)"
    assert not usable_sentence(line, line)
    assert usable_sentence("The strategy sets out five themes of action (see below).", "")
    # A short line closed by a bracket is a caption, not a sentence.
    line = "Creative Commons Attribution 4.0 International licence (CC BY 4.0)"
    assert not usable_sentence(line, line)


def test_a_markdown_heading_on_the_next_line_is_not_part_of_the_sentence_before_it():
    from assistant.text.sentences import sentence_spans

    text = "have agreed to the present Charter of the United Nations.\n### CHAPTER I\n\nThe Purposes are these."
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))][0] == \
        "have agreed to the present Charter of the United Nations."


def test_an_abbreviation_before_a_name_or_number_does_not_end_a_sentence():
    from assistant.text.sentences import sentence_spans

    def split(text):
        return [text[a:b] for a, b in sentence_spans(text, 0, len(text))]

    assert split("The U.S. Government will lead. Partners follow.") == [
        "The U.S. Government will lead.", "Partners follow."]
    assert split("Since 1997 Prof. Kurbalija has written on it. Dr. Ross agrees.") == [
        "Since 1997 Prof. Kurbalija has written on it.", "Dr. Ross agrees."]
    assert split("It is treaty No. 185 of the series.") == ["It is treaty No. 185 of the series."]
    assert split("Talks ended. No agreement was reached.") == ["Talks ended.", "No agreement was reached."]



def test_a_page_break_or_blank_line_inside_a_sentence_does_not_end_it():
    from assistant.text.sentences import sentence_spans

    def split(text):
        return [text[a:b] for a, b in sentence_spans(text, 0, len(text))]

    # Text extracted from a printed page: the sentence goes on in lower case after the break.
    assert split("In 2014, likely in retaliation for the\n\n\f\nplanned release of a film, it struck. Then more.") == [
        "In 2014, likely in retaliation for the\n\n\f\nplanned release of a film, it struck.", "Then more."]
    assert split("• The systems contain\n\na vast array of parts.") == ["• The systems contain\n\na vast array of parts."]
    # A capital, a roman page number or an end mark before the break: two sentences, as before.
    assert split("First paragraph\n\nSecond paragraph.") == ["First paragraph", "Second paragraph."]
    assert split("culture of security;\n\nxii T H E N A T I O N") == ["culture of security;", "xii T H E N A T I O N"]
    assert split("for the Nation.\n\n\ftable of contents") == ["for the Nation.", "table of contents"]


def test_a_coded_framework_entry_is_a_sentence_of_its_own_without_the_standards_listed_under_it():
    from assistant.text.sentences import sentence_spans, usable_sentence

    text = ("ID.AM-1: Physical devices and systems \nwithin the organization are inventoried\nCIS CSC 1 \n"
            "COBIT 5 BAI09.01, BAI09.02 \nISO/IEC 27001:2013 A.8.1.1, A.8.1.2 \nNIST SP 800-53 Rev. 4 CM-8, PM-5 \n"
            "RS.MI-3: Newly identified vulnerabilities are mitigated or \ndocumented as accepted risks\nCIS CSC 4 ")
    spans = [text[a:b] for a, b in sentence_spans(text, 0, len(text))]
    assert spans == ["ID.AM-1: Physical devices and systems \nwithin the organization are inventoried", "CIS CSC 1",
                     "COBIT 5 BAI09.01, BAI09.02", "ISO/IEC 27001:2013 A.8.1.1, A.8.1.2",
                     "NIST SP 800-53 Rev. 4 CM-8, PM-5",
                     "RS.MI-3: Newly identified vulnerabilities are mitigated or \ndocumented as accepted risks", "CIS CSC 4"]
    entry = spans[-2]
    assert usable_sentence(" ".join(entry.split()), entry)  # a statement, though it has no end mark
    assert not usable_sentence(spans[1], spans[1])
    # A line going on in words is prose, whatever its first token.
    assert len(sentence_spans("The plan of the\nUS 2023 strategy calls for more.", 0, 46)) == 1


def test_lettered_items_set_off_by_blank_lines_go_on_with_their_lead_ins_sentence():
    from assistant.text.sentences import sentence_spans

    def split(text):
        return [text[a:b] for a, b in sentence_spans(text, 0, len(text))]

    # A treaty in Markdown sets each item apart; the lead-in and its items are one sentence, as they
    # are when the items follow on the same lines.
    text = ("A Party may, without the authorisation of another Party: \n\na) access open source data; or\n\n"
            "b) access data with the lawful consent of the person.\n\nArticle 33")
    assert split(text) == [text[:text.index("\n\nArticle")], "Article 33"]
    assert split("The term means:\n\n(i) any public entity, and\n\n(ii) any other entity.") == [
        "The term means:\n\n(i) any public entity, and\n\n(ii) any other entity."]
    # Not after a sentence that has ended, nor a page number standing before a contents line.
    assert split("The Party shall act.\n\na) the request concerns a political offence.") == [
        "The Party shall act.", "a) the request concerns a political offence."]
    assert split("5\n\ni. leading from the top") == ["5", "i. leading from the top"]


def test_a_run_in_heading_labels_the_sentence_after_it_and_a_section_marker_ends_a_sentence():
    from assistant.text.sentences import LEADING_HEADINGS, sentence_spans

    def split(text):
        return [text[a:b] for a, b in sentence_spans(text, 0, len(text))]

    text = ("or upgrade.   \nExpand crowd-sourced vulnerability identification:  The Department will identify "
            "crowdsourcing\nopportunities to foster innovation.   \n› CULTIVATE TALENT\nSustain a ready cyber "
            "workforce:   The workforce is a critical asset.")
    assert split(text) == [
        "or upgrade.",
        "Expand crowd-sourced vulnerability identification:  The Department will identify crowdsourcing\n"
        "opportunities to foster innovation.",
        "› CULTIVATE TALENT\nSustain a ready cyber workforce:   The workforce is a critical asset."]
    last = split(text)[-1]
    assert last[LEADING_HEADINGS.match(last).end():].startswith("Sustain a ready")
    # A colon inside a line, or one closing a line before what follows on the next, still ends a sentence.
    assert split("Talks ended. It has three aims: Protect the homeland.") == [
        "Talks ended.", "It has three aims:", "Protect the homeland."]
    assert split("The list:\nFirst item.") == ["The list:", "First item."]
    assert split("In the words of one long report that reviewed it at length in 2009 for the Congress: "
                 "The Federal government is not organized.") == [
        "In the words of one long report that reviewed it at length in 2009 for the Congress:",
        "The Federal government is not organized."]
    # A heading in capitals before the colon is a heading, not the lead of the sentence.
    assert split("BUILD A CYBER DETERRENCE INITIATIVE: The imposition of consequences will be more impactful.") == [
        "BUILD A CYBER DETERRENCE INITIATIVE:", "The imposition of consequences will be more impactful."]


def test_a_closing_quotation_mark_or_bracket_after_the_end_mark_ends_the_sentence_with_it():
    from assistant.text.sentences import sentence_spans

    text = ('Its aim is to “promote the widespread acceptance of norms.” The next principle follows. '
            'He said "stop." Then (as noted above.) Next: it is “binding”; and it stays so.')
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))] == [
        "Its aim is to “promote the widespread acceptance of norms.”", "The next principle follows.",
        'He said "stop."', "Then (as noted above.)", "Next: it is “binding”; and it stays so."]


def test_a_sentence_defines_a_term_when_it_opens_with_it_as_an_entry_or_says_what_it_means():
    from assistant.text.sentences import defines

    assert defines("Waterway The channel through which water reaches a pumping station.", "waterway")
    assert defines("water council: the body that runs the pumping stations", "water council")
    assert defines("Water council, the body that runs the stations, is too important to ignore.", "water council")
    assert defines("For this Act, “pumping station” means any device that lifts water.", "pumping station")
    # A sentence merely about the term, or naming a longer thing that opens with it, defines nothing.
    assert not defines("The study is about the water council and its work.", "water council")
    assert not defines("Water council training is rare in the basins.", "water council")
    assert not defines("Waterway The channel.", "")
    assert not defines("Waterways are channels.", "waterway") and not defines("Water-borne goods: freight.", "water")
