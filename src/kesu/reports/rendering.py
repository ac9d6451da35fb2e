"""The report document as a standalone HTML file and as a PDF.

The PDF is that same HTML laid out for A4 by WeasyPrint (docs/decisions/0007-report-pdf.md):
Pango finds the CJK font through fontconfig (Debian's ``fonts-noto-cjk``) and embeds the
subset used, and the SVG charts are drawn as vectors. Nothing is fetched while rendering:
the URL fetcher refuses every URL, so a link in data can never make the server call out.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from kesu.reports.document import Document


def render_html(doc: Document, *, paged: bool = False) -> str:
    """The whole report as one self-contained HTML file (styles inline, charts inline SVG)."""
    context = {
        "doc": doc,
        "paged": paged,
        "toc": not paged,
        "language": translation.get_language() or "zh-hans",
    }
    return render_to_string("reports/standalone.html", context)


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"report rendering fetches nothing: {url[:80]}")


def render_pdf(doc: Document) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango is not needed elsewhere

    html = render_html(doc, paged=True)
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    assert pdf is not None
    return pdf
