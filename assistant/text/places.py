"""Places a text can name: a country or body by its name, initials, possessive or adjective
("Australia's", "Australian", "British", "French"), and the jurisdiction each stands for.

One table, read by metadata extraction at ingest (which jurisdiction a document belongs to) and
by query analysis (which jurisdiction a question names)."""
from __future__ import annotations

import re
from functools import lru_cache

# jurisdiction -> other names and adjectives (lower case). The jurisdiction is the name the
# catalog uses; the catalog may hold others, matched by their own name and initials.
PLACES: dict[str, tuple[str, ...]] = {
    "United States": ("us", "u.s.", "usa", "america", "american", "united states of america"),
    "United Kingdom": ("uk", "u.k.", "britain", "great britain", "british"),
    "Australia": ("australian",),
    "Canada": ("canadian",),
    "New Zealand": ("nz", "new zealander"),
    "Ireland": ("irish",),
    "France": ("french",),
    "Germany": ("german",),
    "Netherlands": ("dutch", "the netherlands", "holland"),
    "Belgium": ("belgian",),
    "Italy": ("italian",),
    "Spain": ("spanish",),
    "Portugal": ("portuguese",),
    "Switzerland": ("swiss",),
    "Austria": ("austrian",),
    "Sweden": ("swedish",),
    "Norway": ("norwegian",),
    "Denmark": ("danish",),
    "Finland": ("finnish",),
    "Estonia": ("estonian",),
    "Latvia": ("latvian",),
    "Lithuania": ("lithuanian",),
    "Poland": ("polish",),
    "Czech Republic": ("czech", "czechia"),
    "Ukraine": ("ukrainian",),
    "Russia": ("russian", "russian federation"),
    "China": ("chinese", "people's republic of china", "prc"),
    "Japan": ("japanese",),
    "South Korea": ("korean", "republic of korea"),
    "India": ("indian",),
    "Pakistan": ("pakistani",),
    "Bangladesh": ("bangladeshi",),
    "Singapore": ("singaporean",),
    "Malaysia": ("malaysian",),
    "Indonesia": ("indonesian",),
    "Israel": ("israeli",),
    "Iran": ("iranian",),
    "Saudi Arabia": ("saudi",),
    "United Arab Emirates": ("uae", "emirati"),
    "Egypt": ("egyptian",),
    "Nigeria": ("nigerian",),
    "Kenya": ("kenyan",),
    "South Africa": ("south african",),
    "Brazil": ("brazilian",),
    "Mexico": ("mexican",),
    "Argentina": ("argentine", "argentinian"),
    "Chile": ("chilean",),
    "European Union": ("eu", "european union's"),
    "UN": ("united nations", "general assembly", "security council"),
}


def _fold(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'s ", " ").replace(".", "")))


@lru_cache(maxsize=1)
def _forms() -> list[tuple[str, str]]:
    """(folded form, jurisdiction), longest forms first so "south african" wins over "african"."""
    forms = []
    for place, others in PLACES.items():
        for form in (place, *others):
            folded = _fold(form)
            if folded:
                forms.append((folded, place))
    return sorted(forms, key=lambda f: -len(f[0]))


def places_named(text: str) -> list[str]:
    """Jurisdictions a text names, in the order they first appear: "Australia's 2016 strategy" ->
    ["Australia"]; "the British and French positions" -> ["United Kingdom", "France"]. Short
    initials ("us", "uk", "eu") count only when written in capitals ("US", not "us")."""
    folded = f" {_fold(text)} "
    found: list[tuple[int, str]] = []
    taken = [False] * len(folded)
    for form, place in _forms():
        for m in re.finditer(rf"(?<= ){re.escape(form)}(?= )", folded):
            if any(taken[m.start():m.end()]):
                continue
            if len(form) <= 3 and not re.search(rf"\b{re.escape(form.upper())}\b|\b{'.'.join(form.upper())}\.",
                                                 text):
                continue
            taken[m.start():m.end()] = [True] * (m.end() - m.start())
            found.append((m.start(), place))
    return list(dict.fromkeys(place for _, place in sorted(found)))


def place_forms(jurisdiction: str) -> set[str]:
    """Every folded way of naming a jurisdiction: its name and, when the table knows it, its
    other names and adjectives."""
    return {_fold(f) for f in (jurisdiction, *PLACES.get(jurisdiction, ()))} - {""}
