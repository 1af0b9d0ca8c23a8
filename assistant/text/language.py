"""Language: which language a question is written in (the corpus is English).

langdetect's profiles ship inside its wheel (nothing is downloaded); seeded, so the same
question always gets the same answer. Short questions are too short to tell apart reliably,
so only a question of several words detected with high probability counts as another language."""
from __future__ import annotations

from functools import lru_cache

MIN_WORDS = 4
MIN_PROBABILITY = 0.9


@lru_cache(maxsize=1024)
def question_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of the language `text` is written in, or `default` when unsure."""
    if len(text.split()) < MIN_WORDS:
        return default
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        best = detect_langs(text)[0]
    except LangDetectException:  # no letters at all
        return default
    return best.lang if best.prob >= MIN_PROBABILITY else default
