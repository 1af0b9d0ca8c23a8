"""Document structure at ingest: the numbered unit every span of every page stands in.

A page's text is cut where its unit can change (a chunk's start, since chunks carry the
section heading; a numbered paragraph's or coded entry's start and end; a preambular
paragraph's opening participle), and each piece gets the label it is cited by ("Art. 16(1)",
"op. para 1.6", "pp. 3", "Pillar Two › Strategic Objective 2.4", "ID.AM-1", "Preamble").
The index stores the runs (UnitRun), so a citation reads its unit instead of working it out.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from ..records import DocumentMeta, StoredChunk, UnitRun
from ..text.units import (Unit, close_by_part, coded_units, continued_unit, heading_trails, is_coded,
                          numbered_units, preamble_number, unit_label)

# A preambular paragraph opens a line with a participle ("Recalling", "Deeply concerned").
_LINE_START = re.compile(r"(?m)^(?=\S)")


def page_units(file: str, page: int | None, pages: dict[tuple[str, int | None], str]) -> list[Unit]:
    """The numbered paragraphs and coded entries of one page; a coded entry open at the end of
    the page before goes on at the top of this one (a framework's tables span pages)."""
    text = pages.get((file, page)) or ""
    coded = coded_units(text)
    if page is not None and page > 1:
        before = pages.get((file, page - 1)) or ""
        coded = continued_unit(coded_units(before), len(before), text, coded) + coded
    return numbered_units(text) + coded


def unit_runs(chunks: list[StoredChunk], documents: dict[str, DocumentMeta],
              pages: dict[tuple[str, int | None], str]) -> list[UnitRun]:
    """Every page's runs of text by the unit they stand in (only the labelled ones)."""
    by_file: dict[str, list[StoredChunk]] = {}
    for c in chunks:
        by_file.setdefault(c.file, []).append(c)
    runs: list[UnitRun] = []
    for file, own in by_file.items():
        own.sort(key=lambda c: c.id)
        meta = documents.get(file)
        kind = meta.type if meta else ""
        trails = close_by_part(heading_trails([c.section for c in own], [c.page for c in own]),
                               [c.text for c in own])
        by_page: dict[int | None, list[tuple[StoredChunk, tuple[str, ...]]]] = {}
        for c, trail in zip(own, trails):
            by_page.setdefault(c.page, []).append((c, trail))
        for page, placed in by_page.items():
            runs += _page_runs(file, page, placed, kind, pages)
    return runs


def _page_runs(file: str, page: int | None, placed: list[tuple[StoredChunk, tuple[str, ...]]], kind: str,
               pages: dict[tuple[str, int | None], str]) -> list[UnitRun]:
    text = pages.get((file, page)) or ""
    units = page_units(file, page, pages)
    resolution, treaty = kind == "resolution", kind == "treaty"
    placed = sorted(placed, key=lambda x: x[0].start)
    starts = [c.start for c, _ in placed]

    def chunk_at(offset: int) -> tuple[StoredChunk, tuple[str, ...]]:
        # The chunk starting last at or before the offset (the first, before any).
        return placed[max(0, bisect_right(starts, offset) - 1)]

    def label(offset: int) -> str:
        chunk, trail = chunk_at(offset)
        # The numbered paragraph holding it, under the same numbered headings (Article 16's "1.", not
        # Article 15's); a heading of no number (a running header, a pull quote) does not end it.
        inside = [u for u in units if u.start <= offset < u.end and (is_coded(u.path) or chunk_at(u.start)[1] == trail)]
        paragraph = max(inside, key=lambda u: (len(u.path), u.start)).path if inside else ()
        preamble = preamble_number(text, offset) if resolution else None
        found = unit_label(trail, paragraph, preamble, resolution)
        # A treaty's text before its first numbered heading is its preamble, cited as such.
        return found or ("Preamble" if treaty and not trail else "")

    cuts = {0, len(text)} | {c.start for c, _ in placed} | {u.start for u in units} \
        | {u.end for u in units if u.end < len(text)}
    if resolution:
        cuts |= {m.start() for m in _LINE_START.finditer(text)}
    cuts = sorted(x for x in cuts if 0 <= x <= len(text))
    runs: list[UnitRun] = []
    for a, b in zip(cuts, cuts[1:]):
        found = label(a)
        if runs and runs[-1].label == found and runs[-1].end == a:
            runs[-1] = UnitRun(file, page, runs[-1].start, b, found)
        else:
            runs.append(UnitRun(file, page, a, b, found))
    return [r for r in runs if r.label]
