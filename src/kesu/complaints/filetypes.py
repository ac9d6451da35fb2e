"""What an uploaded file really is, found from its first bytes, never from its name or the
type the uploader's browser or client claims (issue 7: types checked by content).

Every upload path stores the type found here: staff attachments and improvement evidence
(:func:`kesu.complaints.services.records.checked_upload`), the portal and mail intake
(:mod:`kesu.portal.uploads`, which accept only photos and PDFs). Files are then served with
that type, ``X-Content-Type-Options: nosniff`` and a sandboxing CSP, so a file made to look
like one type and parse as another (an HTML page named ``photo.png``) is never run.
"""

from __future__ import annotations

import io
import zipfile

JPEG, PNG, GIF, WEBP, PDF = "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC, XLS = "application/msword", "application/vnd.ms-excel"
MP3, WAV = "audio/mpeg", "audio/wav"

# What clients send when they do not know the type: the content alone decides.
UNSPECIFIED = frozenset({"", "application/octet-stream", "binary/octet-stream"})

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls alike

# Types that one signature cannot tell apart: the claimed one is kept when it is in the family.
_FAMILIES = {OLE2: (DOC, XLS)}


def safe_name(name: str) -> str:
    """An uploaded file's name as shown and stored: no path separators or unprintable
    characters, at most 200 characters ("" when nothing is left)."""
    return "".join(ch for ch in name if ch.isprintable() and ch not in "/\\")[:200].strip()


def sniff(content: bytes, claimed: str = "") -> str | None:
    """The type ``content`` is, or None when it is none we accept. ``claimed`` only chooses
    between types sharing one container (a .doc and an .xls are both OLE2 files)."""
    head = content[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head.startswith(OLE2):
        family = _FAMILIES[OLE2]
        return claimed if claimed in family else family[0]
    if head.startswith(b"PK\x03\x04"):
        return _office_open_xml(content)
    if _is_text(content):
        return TEXT
    return None


def _office_open_xml(content: bytes) -> str | None:
    """A zip is accepted only as a Word or Excel document, told apart by its parts."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_text(content: bytes) -> bool:
    """Plain text in UTF-8 or GB18030 (what Chinese Windows saves), without NUL bytes."""
    if b"\x00" in content:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False
