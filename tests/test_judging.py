"""Optional LLM judge: claims, verdict parsing, and faithfulness scored by a real local LLM server."""
import json
import os
import subprocess
import sys

import pytest

from assistant.ask.api import Assistant
from assistant.config import load_settings
from assistant.devtools.evaluation import Question, run_eval
from assistant.devtools.judging import claims_with_sources, parse_verdict


def test_claims_are_answer_sentences_without_markers_with_their_sources():
    claims = claims_with_sources("Parties shall preserve stored data quickly [1]. "
                                 "Each Party designates a point of contact [2][3]. Yes.")
    assert claims == [("Parties shall preserve stored data quickly.", [1]),
                      ("Each Party designates a point of contact.", [2, 3])]


def test_verdicts_are_read_from_free_text_replies():
    assert parse_verdict("YES") is True
    assert parse_verdict("No, the context does not say so.") is False
    assert parse_verdict("  yes.") is True
    assert parse_verdict("I cannot tell") is None


def test_judge_without_an_llm_is_a_clear_error(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "x", "question": "What is cyber diplomacy?", "answer": "",
                                     "sources": [], "evidence": [], "answerable": True}) + "\n")
    proc = subprocess.run([sys.executable, "-m", "assistant.app.cli", "eval", str(questions), "--out",
                           str(tmp_path / "run"), "--judge"], capture_output=True, text=True,
                          env={**os.environ, "CDA_LLM": "", "CDA_INDEX": str(tmp_path / "none")})
    assert proc.returncode != 0 and "--judge needs an LLM" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.llm
def test_real_llm_judges_every_claim_and_faithfulness_is_a_share(shipped_index, llm_server):
    from langchain_openai import ChatOpenAI

    judge = ChatOpenAI(base_url=llm_server, model="smollm2", api_key="none", temperature=0, max_tokens=5)
    questions = [Question("a", "What does the Budapest Convention say about expedited preservation of "
                               "stored computer data?", sources=["Budapest_Convention_on_Cybercrime_ETS185_en.md"]),
                 Question("b", "What is the best recipe for chocolate cake?", answerable=False)]
    rows, metrics = run_eval(Assistant(load_settings(index_dir=shipped_index)), questions, judge=judge)
    answered = rows[0]
    assert not answered["abstained"]
    assert len(answered["judged_claims"]) == len(claims_with_sources(answered["answer"])) > 0
    score = answered["scores"]["faithfulness"]
    assert score is None or 0.0 <= score <= 1.0
    assert rows[1]["abstained"] and rows[1]["judged_claims"] == [] and rows[1]["scores"]["faithfulness"] is None
    # The run's figure is the mean over answered questions, rounded as every metric is (4 places).
    assert metrics["faithfulness"] == (None if score is None else round(score, 4))
