"""The training set (devtools.training_set): apart from the evaluation sets, sound, and varied."""
import pytest

from assistant.config import PROJECT_ROOT
from assistant.devtools.training_set import (TrainingQuestion, evaluation_questions, mix, near_copies, overlap,
                                             problems, read_questions)

TRAINING = PROJECT_ROOT / "training" / "questions.jsonl"


def test_no_training_question_is_a_near_copy_of_an_evaluation_question():
    copies = near_copies(read_questions([TRAINING]), evaluation_questions())
    assert copies == [], copies[:5]


def test_near_copies_are_found_by_token_overlap_not_only_exact_match():
    assert overlap("What does Article 29 of the Budapest Convention say about preservation?",
                   "According to the Budapest Convention, what does Article 29 say about preservation?") >= 0.6
    assert overlap("What does Article 29 say about preservation?", "Who chairs the Security Council?") < 0.2
    q = TrainingQuestion("t", "Which body does Article 29 of the Budapest Convention create?", [], [], False, "near-miss")
    assert near_copies([q], ["Under the Budapest Convention, which body does Article 29 create?"])


def test_the_training_set_is_large_varied_and_covers_every_shipped_document():
    questions = read_questions([TRAINING])
    counts = mix(questions)
    assert counts["questions"] >= 2000
    assert counts["kinds"]["paraphrase"] >= 0.4 * counts["questions"]
    assert counts["kinds"]["near-miss"] >= 0.1 * counts["questions"]
    assert counts["kinds"]["list"] and counts["kinds"]["comparison"]
    shipped = {p.name for p in (PROJECT_ROOT / "corpus").iterdir() if p.name != "catalog.csv"}
    assert set(counts["per_document"]) == shipped


def test_bad_training_rows_are_reported_with_what_is_wrong():
    texts = {"a.txt": "the parties shall preserve stored computer data expeditiously."}
    bad = [TrainingQuestion("x1", "q?", ["a.txt"], ["preserve stored data"], True, "fact"),
           TrainingQuestion("x2", "q?", [], [], True, "near-miss"),
           TrainingQuestion("x3", "q?", ["b.txt"], ["preserve stored computer data"], True, "fact")]
    found = "\n".join(problems(bad, texts))
    assert "x1: evidence not found verbatim" in found
    assert "x2: answerable must be false" in found
    assert "x3: source 'b.txt' is not a corpus file" in found


@pytest.mark.slow
def test_every_evidence_string_is_in_its_document_as_the_index_holds_it():
    from assistant.devtools.training_set import document_texts

    assert problems(read_questions([TRAINING]), document_texts([PROJECT_ROOT / "corpus"])) == []
