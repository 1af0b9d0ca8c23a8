"""Language: which language a question is written in (the corpus is English).

langdetect's profiles ship inside its wheel (nothing is downloaded); seeded, so the same
question always gets the same answer. Short questions are too short to tell apart reliably,
so only a question of several words detected with high probability counts as another language."""
from __future__ import annotations

import threading
from functools import lru_cache

# langdetect is not thread-safe: its profiles load lazily into a global factory, and each detection
# re-seeds and draws from one shared random generator. Web-app threads detecting at once had an
# English question read as Afrikaans or Polish (and answered "the documents are in English").
_DETECT_LOCK = threading.Lock()

MIN_WORDS = 4
MIN_PROBABILITY = 0.9


@lru_cache(maxsize=1024)
def question_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of the language `text` is written in, or `default` when unsure."""
    if len(text.split()) < MIN_WORDS:
        return default
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    with _DETECT_LOCK:
        DetectorFactory.seed = 0
        try:
            best = detect_langs(text)[0]
        except LangDetectException:  # no letters at all
            return default
    return best.lang if best.prob >= MIN_PROBABILITY else default
