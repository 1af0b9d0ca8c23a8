"""Passages: a retrieved chunk widened to the sentences around it, on the same page.

Evidence often sits just before or after the matched chunk; a passage shows the hit with its
neighbouring chunks (up to `window_chars`) without repeating text an earlier passage shows."""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from ..config import RetrievalSettings
from ..storage.store import Generation
from ..ingest.structure import page_units
from ..text.units import Unit, heading_trails, unit_keys


def _uncovered(start: int, end: int, shown: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The longest part of [start, end) outside every span in `shown`."""
    gaps, at = [], start
    for a, b in sorted(shown):
        if b <= at or a >= end:
            continue
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
    if at < end:
        gaps.append((at, end))
    return max(gaps, key=lambda g: g[1] - g[0]) if gaps else None


class PassageWindows:
    """Widens hits to passages and says which section and page an offset of a passage is on."""

    def __init__(self, generation: Generation, settings: RetrievalSettings):
        self.chunks = generation.chunks
        self.settings = settings
        self.page_text = lru_cache(maxsize=512)(generation.page_text)
        self.page_breaks = lru_cache(maxsize=512)(self._find_page_breaks)
        self.units = lru_cache(maxsize=512)(self._find_units)
        self.documents = generation.documents
        self.generation = generation
        self.trails = lru_cache(maxsize=64)(self._find_trails)
        self.runs = lru_cache(maxsize=512)(generation.unit_runs)

    def _find_units(self, file: str, page: int | None) -> tuple[Unit, ...]:
        pages = {(file, p): self.page_text(file, p) for p in ((page,) if page is None or page <= 1 else (page - 1, page))}
        return tuple(page_units(file, page, pages))

    def chunks_in_units(self, ids, paths: set[tuple[str, ...]]) -> list[int]:
        """Those of the chunks `ids` (of one document) over the numbered paragraphs `paths` ("4", "2.a")."""
        if not paths:
            return []
        out = []
        for i in ids:
            i = int(i)
            c = self.chunks[i]
            if any(u.path in paths and u.start < c.end and c.start < u.end for u in self.units(c.file, c.page)):
                out.append(i)
        return out

    def asked_units(self, i: int, start: int, end: int, paths: set[tuple[str, ...]]) -> list[tuple[int, int]]:
        """Spans, relative to the passage [start, end) of chunk i's page, of the paragraphs asked for."""
        if not paths:
            return []
        c = self.chunks[i]
        return [(max(u.start, start) - start, min(u.end, end) - start) for u in self.units(c.file, c.page)
                if u.path in paths and u.start < end and start < u.end]

    def _find_page_breaks(self, file: str, page: int | None) -> tuple[int, ...]:
        if page is not None:
            return ()
        text = self.page_text(file, None) or ""
        return tuple(m.start() for m in re.finditer("\f", text.rstrip("\f")))

    def _chunk_at(self, i: int, offset: int) -> int:
        """The chunk near chunk i (same page) holding `offset` of the page text; i if none does."""
        c = self.chunks[i]
        for j in range(max(0, i - 40), min(len(self.chunks), i + 40)):
            n = self.chunks[j]
            if n.file == c.file and n.page == c.page and n.start <= offset < n.end:
                return j
        return i

    def section_finder(self, i: int):
        return lambda offset: self.chunks[self._chunk_at(i, offset)].section

    def _find_trails(self, file: str) -> dict[int, tuple[str, ...]]:
        ids = [int(i) for i in self.generation.chunk_ids_by_file.get(file, ())]
        return dict(zip(ids, heading_trails([self.chunks[j].section for j in ids], [self.chunks[j].page for j in ids])))

    def chunks_under(self, file: str, headings: set[tuple[str, str]]) -> list[int]:
        """Chunks of `file` whose numbered headings include one of `headings`."""
        return [j for j, trail in self.trails(file).items() if any(unit_keys(label) & headings for label in trail)]

    def unit_finder(self, i: int):
        """offset in chunk i's page text -> the smallest numbered unit holding it, as cited
        ("Art. 16(1)", "op. para 1.6", "pp. 3", "Pillar Two › Strategic Objective 2.4"), as the
        index recorded it at ingest."""
        c = self.chunks[i]
        runs = self.runs(c.file, c.page)
        starts = [r.start for r in runs]

        def find(offset: int) -> str:
            j = bisect_right(starts, offset) - 1
            return runs[j].label if j >= 0 and offset < runs[j].end else ""

        return find

    def window(self, i: int, taken: list[tuple[int, int]] = (), seed: tuple[int, int] | None = None) -> tuple[int, int]:
        """The chunk (or the `seed` part of it) widened alternately forwards and backwards over
        neighbouring chunks of the same page, while the span stays within `window_chars`:
        evidence often sits in the sentences just around a hit (measured on the gold set:
        crossing section boundaries found more evidence than stopping at them)."""
        chunks, c = self.chunks, self.chunks[i]
        start, end = seed or (c.start, c.end)
        lo, hi = i, i
        growing = {1: True, -1: True}
        while any(growing.values()):
            for step in (1, -1):
                if not growing[step]:
                    continue
                j = hi + 1 if step == 1 else lo - 1
                n = chunks[j] if 0 <= j < len(chunks) else None
                if n is None or n.file != c.file or n.page != c.page \
                        or any(a < n.end and n.start < b for a, b in taken):
                    growing[step] = False
                    continue
                a, b = min(start, n.start), max(end, n.end)
                if b - a > self.settings.window_chars:
                    growing[step] = False
                    continue
                start, end = a, b
                lo, hi = min(lo, j), max(hi, j)
        return start, end

    def windows(self, candidates: list[int], k: int) -> list[tuple[int, int, int, str]]:
        """First k candidates not inside a window already chosen, each widened without repeating
        text already chosen: (id, start, end, text)."""
        out: list[tuple[int, int, int, str]] = []
        for i in candidates:
            c = self.chunks[i]
            shown = [(a, b) for j, a, b, _ in out
                     if self.chunks[j].file == c.file and self.chunks[j].page == c.page]
            # Chunks overlap, so an earlier window may cover only the start or the end of this
            # one: the rest is still shown when it is more than an overlap tail (a sentence in
            # it would otherwise be in no passage).
            seed = _uncovered(c.start, c.end, shown)
            if seed is None or (seed != (c.start, c.end)
                                and seed[1] - seed[0] < self.settings.min_uncovered_chars):
                continue
            # A window stops short of text an earlier passage already shows.
            a, b = self.window(i, shown, seed)
            page = self.page_text(c.file, c.page)
            text = page[a:b] if page else c.text
            out.append((i, a, b, text))
            if len(out) >= k:
                break
        return out
