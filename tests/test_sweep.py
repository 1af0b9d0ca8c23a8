"""Settings sweeps (`cda eval sweep`): each combination of answer settings answered and scored as
`cda eval` scores answers, retrieval held fixed, the configured settings left as they were.
Questions here are written for these tests from the shipped documents."""
from __future__ import annotations

import pytest

from assistant.devtools.evaluation import Question
from assistant.devtools.sweep import parse_grid, sweep, table

PRESERVATION = Question("t-1", "What must a Party be able to order to preserve stored computer data quickly?",
                        evidence=["expeditious preservation of specified computer data"])
OUTSIDE = Question("t-2", "What is the airspeed velocity of an unladen swallow?", answerable=False)
TABLE = Question("t-3", "Compare the 2015 and 2018 DoD cyber strategies on partnerships",
                 evidence=["partners"])


def test_a_grid_is_read_with_each_settings_type():
    assert parse_grid(["max_sentences=3,4", "length_penalty=0,0.05"]) == {
        "max_sentences": [3, 4], "length_penalty": [0.0, 0.05]}


@pytest.mark.parametrize("spec, named", [("nope=1", "'nope' is not an answer setting"),
                                         ("max_sentences=three", "'max_sentences' takes int values"),
                                         ("max_sentences", "expected NAME=VALUE")])
def test_a_bad_grid_is_an_error_naming_the_setting(spec, named):
    with pytest.raises(ValueError, match=named):
        parse_grid([spec])


def test_sweep_scores_each_combination_as_eval_does_and_restores_the_settings(shipped_assistant):
    configured = shipped_assistant.extractive.settings
    points = sweep(shipped_assistant, {"set": [PRESERVATION, OUTSIDE, TABLE]}, {"max_sentences": [1, 4]})
    assert shipped_assistant.extractive.settings is configured
    assert [p.values for p in points] == [{}, {"max_sentences": 1}, {"max_sentences": 4}]
    first = points[0].scores["set"]
    # The comparison is answered by a table, which a sweep of the sentence answerer leaves out.
    assert first["questions"] == 2
    # As configured, the sweep's answer is the one `ask` gives.
    asked = shipped_assistant.ask(PRESERVATION.question)
    assert first["answer_all_evidence"] == float("expeditious preservation of specified computer data"
                                                 in " ".join(asked.answer.split()).lower())
    assert first["abstention_accuracy"] == 1.0 and first["false_abstention_rate"] == 0.0
    # One sentence at most makes answers no longer than four do.
    one, four = points[1].scores["set"], points[2].scores["set"]
    assert one["answer_words_median"] <= four["answer_words_median"]
    assert "max_sentences=1" in table(points) and "(as configured)" in table(points)
