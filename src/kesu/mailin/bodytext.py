"""A mail's words as plain text: charsets Chinese mail really uses, HTML-only mail, and the
quoted earlier message a reply carries below the customer's own words."""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser

# Mail labelled GB2312 or GBK often holds characters only GB18030 (their superset) has.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset (widened), then UTF-8, then GB18030; never fails."""
    declared = (charset or "").strip().lower()
    tried: list[str] = []
    for candidate in (_CHARSET_ALIASES.get(declared, declared), "utf-8", "gb18030"):
        if not candidate or candidate in tried:
            continue
        tried.append(candidate)
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def repair_header(value: str) -> str:
    """Raw 8-bit header text (no RFC 2047) arrives as surrogate escapes: decode it properly."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", errors="surrogateescape"), None)


def part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


class _TextExtractor(HTMLParser):
    BLOCK = frozenset(
        {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
        | {"table", "ul", "ol", "hr", "section", "article"}
    )
    SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail: blocks become lines, scripts and styles vanish."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Where the quoted earlier message starts in replies from the usual clients (Outlook, Gmail,
# Apple Mail, QQ Mail, NetEase, Foxmail).
_QUOTE_START = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:Original Message|原始邮件|Forwarded message|转发邮件)\s*-{2,}"
    r"|On .{1,200} wrote:\s*$"
    r"|在 .{1,200}写道[:：]?\s*$"
    r"|.{0,80}于\d{4}年.{1,60}写道[:：]\s*$"
    r"|(?:From|发件人)\s*[:：].+$"
    r")",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """The new words of a reply: stop at the quoted earlier message, drop '>' lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_START.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()
