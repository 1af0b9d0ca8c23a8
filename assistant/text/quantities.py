"""Quantities a text states ("nine members", "$750,000", "over half of all police forces", "around
6% of GDP"): what a question asking "how many" or "how much" is answered by; and the dates and
time limits ("5 December 2018", "by 2015", "within ninety days") that answer "by what date".

Years, footnote markers and the numbers that name things rather than count them ("Article 16",
"resolution 68/243", "Tier 2", "A/65/201") are not quantities."""
from __future__ import annotations

import re

from .tokens import content_terms
from .vocabulary import NUMBER_WORDS

_NEAR = 4  # words either side of a quantity where what it counts stands
# The number words of the structure vocabulary (one to fifteen), then larger numbers and amounts.
_AMOUNT_WORDS = "|".join(w for w, n in NUMBER_WORDS.items() if n) + (
    r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|quarter|handful|majority|"
    r"minority|several|few|twice|double|triple|percent|per cent|(?:small|large|growing) number")
_QUANTITY = re.compile(rf"(?<![\w/.-])(?:[$£€]\s?)?\d[\d,.]*(?:\s?%)?(?![\w/])|\b(?:{_AMOUNT_WORDS})\b(?![-‐–]\w|th\b)",
                       re.IGNORECASE)
_MAGNITUDE = re.compile(r"\s*(?:%|percent|per cent|million|billion|trillion|thousand|bn|m\b)", re.IGNORECASE)
# Words in front of a number that names a unit, a document or a meeting rather than counting.
_NAMING = re.compile(r"(?:\b(?:articles?|art|resolutions?|paragraphs?|para|sections?|tiers?|objectives?|pillars?|"
                     r"chapters?|no|rules?|u\.s\.c|phase|version|annex|principles?|functions?|steps?|figures?|"
                     r"tables?|pages?|pp?|reports?|appendix|title|sessions?|a/res)\.?|§)\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"\s*(?:(?:million|billion|thousand|m|bn)\s+)?(?:dollars|pounds|euros|usd|gbp|eur)\b",
                             re.IGNORECASE)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# "in its 2015 report, 2 identified": a short number after a word's end (or opening a quote) and
# before a lower-case word that it does not count is a footnote marker.
_AFTER_WORD = re.compile(r"(?:^|[\w,.;:)’”\"])\s*$")
_COUNTED_NEXT = re.compile(r"\s+(?:of|to|per|or|and|more|fewer|less|times|hundred|thousand|million|billion|percent|\w+s)\b",
                           re.IGNORECASE)
_LOWER_NEXT = re.compile(r"\s+[a-z]")


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b(?:\d{{1,2}}\s+)?(?:{_MONTHS})(?:\s+\d{{1,2}})?,?\s+{_YEAR.pattern}|{_YEAR.pattern}",
                   re.IGNORECASE)
# The stemmed units of time a duration is stated in ("sixty days", "six months").
TIME_UNITS = frozenset(content_terms("minutes hours days weeks months years decades"))


def dates(text: str, besides: str = "") -> list[str]:
    """The dates, years and time limits `text` states that `besides` (the question) does not: "5
    December 2018", "by 2015", "within ninety days"; not "the 2015 report" when the question names
    2015. A month without a year ("in May") dates nothing surely and is not counted."""
    given = set(_YEAR.findall(besides))  # a date ends in its year: one the question gives is given
    found = [m.group(0) for m in _DATE.finditer(text)
             if m.group(0)[-4:] not in given
             and not _NAMING.search(text, max(0, m.start() - 20), m.start())]
    return found + quantities(text, besides, set(TIME_UNITS))


def quantities(text: str, besides: str = "", of: set[str] | None = None, measure: str = "") -> list[str]:
    """The quantities `text` states that `besides` (the question) does not: "How much of the £650
    million programme ..." is not answered by a sentence whose only figure is "£650 million". With
    `of` (stemmed words of what is counted), only quantities within a few words of one of them:
    "more than 700 participants from 60 countries". With `measure` "money" only sums of money
    ("$750,000", "£2 million", "65 billion dollars")."""
    asked = {m.group(0).strip(" .,").lower() for m in _QUANTITY.finditer(besides)}
    found = []
    for m in _QUANTITY.finditer(text):
        token = m.group(0).strip(" .,")
        if token.lower() in asked or _YEAR.fullmatch(token.replace(",", "")):
            continue
        if _NAMING.search(text, max(0, m.start() - 20), m.start()):
            continue
        digits = token.lstrip("$£€ ").rstrip("%")
        money_or_share = token != digits or bool(_MAGNITUDE.match(text, m.end()))
        if "." in digits.replace(",", "") and not money_or_share:
            continue  # "4.31": a section's number
        if digits.isdigit() and len(digits) >= 5 and not money_or_share:
            continue  # "14028": an order's or a footnote's number, not a count written without commas
        line_start = text.rfind("\n", 0, m.start()) + 1
        marker = (m.group(0).endswith(".") or text[m.end():m.end() + 1] == ")") \
            and not text[line_start:m.start()].strip() or text[m.start() - 1:m.start()] == "("
        if digits.isdigit() and len(digits) <= 2 and marker:
            continue  # "1." or "(2)": a list item's number
        if token.isdigit() and len(token) <= 2 and _AFTER_WORD.search(text, max(0, m.start() - 3), m.start()) \
                and _LOWER_NEXT.match(text, m.end()) and not _COUNTED_NEXT.match(text, m.end()):
            continue  # "report, 2 identified": a footnote marker
        if of is not None and not of & set(content_terms(" ".join(
                text[max(0, m.start() - 40):m.start()].split()[-_NEAR:] + text[m.end():m.end() + 60].split()[:_NEAR]))):
            continue
        if measure == "money" and not (token[0] in "$£€" or _CURRENCY_AFTER.match(text, m.end())):
            continue
        found.append(token)
    return found
