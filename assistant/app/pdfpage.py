"""A PDF page as an image with a quote highlighted on it, rendered here with PDFium (the
pypdfium2 wheel carries it): the document viewer shows the cited page with the quote marked,
nothing fetched at run time."""
from __future__ import annotations

import io
import re
from pathlib import Path

SCALE = 1.5  # 108 dpi: a page 918 px wide
# Translucent orange with a darker edge: visible over a document's own (often yellow) highlighting.
HIGHLIGHT, EDGE = (255, 140, 0, 90), (200, 80, 0, 255)


class PageOutOfRange(ValueError):
    pass


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


def quote_rectangles(textpage, quote: str) -> list[tuple[float, float, float, float]]:
    """PDF-space rectangles (left, bottom, right, top) covering `quote` on the page: found from its
    opening and closing words (a page's text breaks lines and hyphenates where the quote does not),
    shorter runs of words tried when the longer ones are not found."""
    words = _words(quote)
    if not words:
        return []

    def find(run: list[str], after: int = 0) -> tuple[int, int] | None:
        # Words of the run in order, anything that is not a letter or digit between them.
        pattern = r"[^A-Za-z0-9]+".join(map(re.escape, run))
        match = re.compile(pattern, re.IGNORECASE).search(text, after)
        return (match.start(), match.end()) if match else None

    text = textpage.get_text_range()
    start = end = None
    for n in (8, 5, 3):
        head = find(words[:n])
        if head:
            start = head
            break
    if start is None:
        return []
    for n in (8, 5, 3):
        tail = find(words[-n:], start[0])
        if tail:
            end = tail
            break
    last = end[1] if end else start[1]
    count = textpage.count_rects(start[0], last - start[0])
    return [textpage.get_rect(i) for i in range(count)]


def render_page(path: Path, page_number: int, quote: str = "") -> bytes:
    """PNG of page `page_number` (1-based) of the PDF at `path`, with `quote` highlighted."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page_number <= len(pdf):
            raise PageOutOfRange(f"{path.name} has pages 1 to {len(pdf)}, not {page_number}")
        page = pdf[page_number - 1]
        image = page.render(scale=SCALE).to_pil().convert("RGBA")
        if quote:
            height = page.get_size()[1]
            overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            for left, bottom, right, top in quote_rectangles(page.get_textpage(), quote):
                draw.rectangle([left * SCALE - 1, (height - top) * SCALE - 1, right * SCALE + 1,
                                (height - bottom) * SCALE + 1], fill=HIGHLIGHT, outline=EDGE, width=2)
            image = Image.alpha_composite(image, overlay)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()
