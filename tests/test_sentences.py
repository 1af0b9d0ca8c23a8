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
