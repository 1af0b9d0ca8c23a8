"""Numbered paragraphs: found by their numbers in a document's text and in a question."""
from assistant.text.units import numbered_units, units_asked

RESOLUTION = """The General Assembly,
Recalling its resolutions,
1. Welcomes the following norms:
1.1. States should cooperate.
1.2. States should not conduct harmful activity.
2. Calls upon Member States:
(a) To be guided by the report;
(b) To promote further the consideration of threats;
3. Decides to include the item in its agenda.
"""


def spans(text: str) -> dict[str, str]:
    return {".".join(u.path): text[u.start:u.end].strip() for u in numbered_units(text)}


def test_numbered_paragraphs_and_lettered_sub_paragraphs_have_their_spans():
    units = spans(RESOLUTION)
    assert units["1.2"] == "1.2. States should not conduct harmful activity."
    assert units["1"].startswith("1. Welcomes") and units["1"].endswith("harmful activity.")
    assert units["2.a"] == "(a) To be guided by the report;"
    assert units["2"].endswith("consideration of threats;") and units["3"].startswith("3. Decides")


def test_a_question_names_paragraphs_by_number_and_letter():
    assert units_asked("What does operative paragraph 4 of the resolution decide?") == {("4",)}
    assert units_asked("Under paragraph 2(a), what guides States?") == {("2", "a")}
    assert units_asked("What does norm 1.3 say about proxies?") == {("1", "3")}
    # An ordinal names an operative paragraph; "the second paragraph" alone may count the preamble's.
    assert units_asked("What does the second operative paragraph of the resolution call for?") == {("2",)}
    assert units_asked("What does the second paragraph of the resolution recall?") == set()
    assert units_asked("What does Article 16(2) of the Convention require?") == set()


FRAMEWORK_PAGE = """IDENTIFY
(ID)

Asset Management (ID.AM):
The data and devices that enable the organization are identified and managed.
ID.AM-1: Physical devices and systems
within the organization are inventoried
CIS CSC 1
COBIT 5 BAI09.01, BAI09.02
ID.AM-2: Software platforms are inventoried CIS CSC 2
Business Environment (ID.BE): The organization's mission is understood.
ID.BE-1: The organization's role in the supply chain is identified


Notes below the table describe where the references may be found.
"""


def coded(text: str) -> dict[str, str]:
    from assistant.text.units import coded_units

    return {u.path[-1]: text[u.start:u.end].strip() for u in coded_units(text)}


def test_a_frameworks_coded_categories_hold_their_subcategories_and_end_at_the_next_entry():
    units = coded(FRAMEWORK_PAGE)
    assert set(units) == {"ID.AM", "ID.AM-1", "ID.AM-2", "ID.BE", "ID.BE-1"}
    assert units["ID.AM"].startswith("Asset Management (ID.AM):") and units["ID.AM"].endswith("CIS CSC 2")
    assert units["ID.AM-1"].startswith("ID.AM-1:") and units["ID.AM-1"].endswith("BAI09.02")
    # The last entry stops at the gap below the table, not at the page's end.
    assert units["ID.BE-1"].endswith("is identified")


def test_an_entry_open_at_a_page_end_continues_at_the_top_of_the_next_page():
    from assistant.text.units import coded_units, continued_unit

    before = "Data Security (PR.DS):\nPR.DS-1: Data-at-rest is"
    after = "protected\nCIS CSC 13\nPR.DS-2: Data-in-transit is protected"
    carried = continued_unit(coded_units(before), len(before), after, coded_units(after))
    assert {u.path[-1] for u in carried} == {"PR.DS", "PR.DS-1"}
    assert all(after[u.start:u.end].startswith("protected") and u.end == after.index("PR.DS-2") for u in carried)


def test_a_question_names_coded_entries_by_their_code():
    assert units_asked("What does subcategory PR.AC-1 require?") == {("PR.AC", "PR.AC-1")}
    assert units_asked("What does the ID.AM category cover?") == {("ID.AM",)}
    assert units_asked("What did the U.S. strategy of 2018 say?") == set()


def test_a_heading_stops_holding_paragraphs_once_the_part_number_changes():
    from assistant.text.units import close_by_part

    trails = [("Objective 4",), ("Objective 4",), ("Objective 4",), ("Objective 4", "§ 4.9")]
    texts = ["Objective 4: skills and capability", "1.1 The internet has changed our lives.",
             "2.19 These changes do not affect the UK alone.", "4.9 As part of this we are creating a unit."]
    assert close_by_part(trails, texts) == [("Objective 4",), ("Objective 4",), (), ("§ 4.9",)]


def test_a_quote_over_two_units_is_cited_by_their_range_or_the_unit_holding_both():
    from assistant.text.units import enclosing_unit

    assert enclosing_unit("pp. 10", "pp. 11") == "pp. 10–11"
    assert enclosing_unit("op. para 2(a)", "op. para 2(b)") == "op. para 2(a)–(b)"
    assert enclosing_unit("Art. 16(1)", "Art. 16(2)") == "Art. 16(1)–(2)"
    assert enclosing_unit("Art. 16(2)", "Art. 16(2)") == "Art. 16(2)"
    assert enclosing_unit("Art. 16(2)", "Art. 16") == "Art. 16"
    assert enclosing_unit("Pillar One", "Pillar One › Strategic Objective 1.2") == "Pillar One"
    assert enclosing_unit("ID.AM", "ID.AM-2") == "ID.AM"
    assert enclosing_unit("Art. 15", "Art. 16(1)") == ""


def test_a_section_heading_is_found_as_the_document_lines_it():
    from assistant.text.vocabulary import heading_span, titled_heading

    text = "Some prose ends here.\nPILLAR I: PROTECT THE PEOPLE, THE \nHOMELAND \nBody text follows."
    a, b = heading_span(text, "PILLAR I: PROTECT THE PEOPLE, THE – HOMELAND")
    assert text[a:b] == "PILLAR I: PROTECT THE PEOPLE, THE \nHOMELAND"
    assert titled_heading(text[a:b])
    assert not titled_heading("PILLAR IV\nAdvance American")
    assert heading_span(text, "PILLAR I: PROTECT THE PEOPLE, THE – HOMELAND", a + 1) is None  # none further on
    assert heading_span("See PILLAR I: PROTECT THE PEOPLE in the text.", "PILLAR I: PROTECT THE PEOPLE") is None
    assert heading_span(text, "PILLAR II: PROMOTE PROSPERITY") is None
