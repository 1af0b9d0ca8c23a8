"""Language of a question: the same answer however many threads ask at once."""
import threading

from assistant.text.language import question_language

ENGLISH = "Which measures should each state take to protect {} critical infrastructure from attacks"
FRENCH = "Quelles mesures chaque État doit-il prendre pour protéger {} ses infrastructures critiques"


def test_concurrent_detection_agrees_with_detection_alone():
    texts = [t.format(i) for i in range(120) for t in (ENGLISH, FRENCH)]
    seen: dict[str, str] = {}

    def detect(part):
        for text in part:
            seen[text] = question_language(text)

    threads = [threading.Thread(target=detect, args=(texts[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {seen[t] for t in texts if t.startswith("Which")} == {"en"}
    assert {seen[t] for t in texts if t.startswith("Quelles")} == {"fr"}
