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
    assert units_asked("What does Article 16(2) of the Convention require?") == set()
