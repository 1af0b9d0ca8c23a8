"""`cda train` (devtools.training): examples mined from the index, a seeded fine-tune that writes the
weights with their card, folds that keep whole documents out."""
import hashlib
import json

import pytest

from assistant.devtools.training import (Example, TrainSettings, documents_of_fold, held_out_documents,
                                         held_out_questions, mine_examples, mine_judge_examples, run)
from assistant.devtools.training_set import TrainingQuestion


# A paraphrase of Article 16 of the Budapest Convention, with its evidence.
PRESERVATION = TrainingQuestion("t1", "Which measures must a Party take to allow its authorities to order quick "
                                "preservation of stored data?", ["Budapest_Convention_on_Cybercrime_ETS185_en.md"],
                                ["to order or similarly obtain the expeditious preservation of specified computer data"],
                                True, "paraphrase")


def test_folds_split_whole_documents_and_every_document_is_held_out_once():
    files = [f"doc{i}.txt" for i in range(20)]
    held = [held_out_documents(files, f"{k}/2") for k in (1, 2)]
    assert held[0] | held[1] == set(files) and not held[0] & held[1]
    assert documents_of_fold(files, "1/2") == held[1]
    assert documents_of_fold(files + ["new.pdf"], "1/2") - {"new.pdf"} == documents_of_fold(files, "1/2")


def test_held_out_question_sets_keep_only_answerable_questions_about_held_out_documents(tmp_path):
    files = ["a.txt", "b.txt", "c.txt", "d.txt"]
    held = held_out_documents(files, "1/2")
    rows = [{"id": f, "question": "q", "answer": "", "sources": [f], "evidence": ["x"], "answerable": True}
            for f in files] + [{"id": "n", "question": "q", "answer": "", "sources": [], "evidence": [],
                                "answerable": False}]
    (tmp_path / "set.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    held_out_questions([tmp_path / "set.jsonl"], "1/2", files, tmp_path / "out")
    kept = [json.loads(line)["id"] for line in (tmp_path / "out" / "set.jsonl").read_text().splitlines()]
    assert set(kept) == held


@pytest.mark.slow
def test_mined_examples_pair_a_question_with_its_evidence_sentence_and_on_topic_negatives(shipped_assistant):
    q = PRESERVATION
    examples = mine_examples([q], shipped_assistant, TrainSettings(hard_negatives=5))
    sentence = [e for e in examples if e.kind == "sentence"]
    assert sentence and "expeditious preservation of specified computer data" in sentence[0].positive
    assert 0 < len(sentence[0].negatives) <= 5
    assert all("expeditious preservation of specified computer data" not in n for n in sentence[0].negatives)
    assert any(e.kind == "passage" for e in examples)


@pytest.mark.slow
def test_a_questions_mined_negatives_do_not_depend_on_the_questions_mined_before_it(shipped_assistant):
    # So that a change to one document's text changes only the examples of questions that retrieve it.
    before = TrainingQuestion("t0", "When must a Party designate a point of contact available around the clock?",
                              ["Budapest_Convention_on_Cybercrime_ETS185_en.md"],
                              ["designate a point of contact available on a twenty-four hour"], True, "paraphrase")
    settings = TrainSettings(hard_negatives=3)
    alone = mine_examples([PRESERVATION], shipped_assistant, settings)
    after = [e for e in mine_examples([before, PRESERVATION], shipped_assistant, settings) if e.question == PRESERVATION.question]
    assert alone and after == alone


@pytest.mark.slow
def test_judge_examples_are_the_answerers_own_candidates_with_the_evidence_as_positive(shipped_assistant):
    q = PRESERVATION
    examples = mine_judge_examples([q], shipped_assistant, TrainSettings(judge_negatives=4))
    _, query, results = shipped_assistant.prepare(q.question)
    quotes = {c.quote for c in shipped_assistant.extractive.candidates(query, results)}
    assert examples and all(e.kind == "judge" for e in examples)
    assert "expeditious preservation of specified computer data" in examples[0].positive
    assert {examples[0].positive, *examples[0].negatives} <= quotes and 0 < len(examples[0].negatives) <= 4
    assert all("expeditious preservation of specified computer data" not in n for n in examples[0].negatives)


@pytest.mark.slow
def test_training_is_seeded_and_writes_weights_with_a_card(tmp_path):
    from assistant.config import bundled_model_path, load_settings
    from assistant.ingest.indexing import build_index
    from tests.helpers import SMALL_FILES, copy_corpus

    # Hard negatives are mined from an index built with the base model.
    corpus = copy_corpus(tmp_path / "corpus", SMALL_FILES)
    assert not build_index(load_settings(corpus_dirs=(corpus,), index_dir=tmp_path / "index",
                                         model_path=bundled_model_path())).failed
    settings = TrainSettings(batch_size=4, hard_negatives=2, max_tokens=48, judge_epochs=1, judge_negatives=2)
    cards = [run(tmp_path / name, settings=settings, index_dir=tmp_path / "index", limit=6, progress=False,
                 corpus_dirs=(corpus,)) for name in ("a", "b")]
    weights = [hashlib.sha256((tmp_path / n / "model.safetensors").read_bytes()).hexdigest() for n in ("a", "b")]
    assert weights[0] == weights[1]  # same data, settings and seed: the same weights
    card = json.loads((tmp_path / "a" / "model_card.json").read_text())
    assert card["data_hash"] == cards[0]["data_hash"] and len(card["data_hash"]) == 64
    assert card["settings"]["seed"] == 13 and card["examples"] > 0 and card["training"]["steps"] >= 1
    # The second stage trained the first stage's model on the answerer's own candidates.
    assert card["examples_by_kind"]["judge"] > 0 and card["judge_training"]["steps"] >= 1
    assert "all-MiniLM-L6-v2" in card["base_model"]

    from assistant.storage.embedding import Embedder
    from assistant.config import bundled_model_path

    tuned, base = Embedder(str(tmp_path / "a")), Embedder(bundled_model_path())
    assert tuned.model_id != base.model_id  # an index built with one is refused by the other
