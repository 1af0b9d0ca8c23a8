"""text.quantities: the figures a sentence states, as a "how many" or "how much" question needs them."""
from assistant.text.quantities import quantities


def test_counts_amounts_and_shares_are_quantities():
    assert quantities("The Council shall consist of fifteen Members.") == ["fifteen"]
    assert quantities("It authorizes $750,000 for each fiscal year.") == ["$750,000"]
    assert quantities("The internet accounts for around 6% of GDP.") == ["6%"]
    assert "half" in quantities("Over half of all police forces provide it.")
    assert quantities("more than 700 participants from 60 countries took part") == ["700", "60"]


def test_years_unit_numbers_symbols_and_footnote_markers_are_not():
    assert quantities("In 2018 the Assembly adopted resolution 73/27 under Article 16.") == []
    assert quantities("See section 4.31 and paragraph 12 of A/65/201.") == []
    assert quantities("in its 2015 report, 2 identified as of central importance") == []
    assert quantities("at its seventy-fourth session") == []
    assert quantities("1. Strengthen counterintelligence;\n2) improve attribution; (3) respond") == []
    assert quantities("The number of its members is 15.") == ["15"]


def test_a_figure_the_question_gives_itself_does_not_answer_it():
    question = "How much of the £650 million programme went to diplomacy?"
    assert quantities("We have set aside £650 million of public funding.", question) == []
    assert quantities("Of the £650 million, £20 million went to diplomacy.", question) == ["£20"]


def test_a_quantity_counts_only_what_stands_near_it():
    counted = {"member"}  # stemmed
    assert quantities("The Council shall consist of fifteen Members.", of=counted) == ["fifteen"]
    assert quantities("Fifteen years after the war ended in Europe, the Members met again.", of=counted) == []


def test_asked_for_a_sum_only_money_counts():
    assert quantities("It authorizes $750,000 for each of five years.", measure="money") == ["$750,000"]
    assert quantities("It sets aside 65 billion dollars.", measure="money") == ["65", "billion"]
    assert quantities("It funds five programmes over 3 years.", measure="money") == []


def test_dates_years_and_time_limits_answer_a_question_asking_a_date():
    from assistant.text.quantities import dates

    assert dates("The Convention entered into force on 1 July 2004.") == ["1 July 2004"]
    assert dates("Agencies shall complete the move by 2015.") == ["2015"]
    assert dates("The Secretary shall report within ninety days of enactment.") == ["ninety"]
    # A year or date the question gives, a month without a year, a document's number: not an answer.
    question = "By what date must agencies act under the 2018 strategy?"
    assert dates("The 2018 strategy asks agencies to act in May.", question) == []
    assert dates("See resolution 2015 of the Council and Article 16.") == []
