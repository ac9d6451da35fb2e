"""Files a customer sends through the portal: photos and PDFs, checked by their content.

The browser's content type and the file name are the uploader's say; the first bytes are not.
A file is accepted when it starts like a JPEG, PNG, GIF, WebP or PDF, and is stored with the
type found there. Sizes: each file at most ``KESU_MAX_UPLOAD_BYTES``; all files of one request
at most ``KESU_PORTAL_MAX_TOTAL_BYTES`` (three files' worth by default) and
``KESU_PORTAL_MAX_FILES`` (8) files.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kesu.complaints import filetypes
from kesu.complaints.errors import InvalidInput

ACCEPTED_TYPES = (filetypes.JPEG, filetypes.PNG, filetypes.GIF, filetypes.WEBP, filetypes.PDF)
ACCEPT = ",".join(ACCEPTED_TYPES)  # the file input's hint to the browser; the server decides
IMAGE_TYPES = frozenset(t for t in ACCEPTED_TYPES if t.startswith("image/"))


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str


def sniff(content: bytes) -> str | None:
    """The accepted type ``content`` really is, by its signature, or None."""
    found = filetypes.sniff(content)
    return found if found in ACCEPTED_TYPES else None


def max_file_bytes() -> int:
    return int(settings.KESU_MAX_UPLOAD_BYTES)


def max_total_bytes() -> int:
    return int(getattr(settings, "KESU_PORTAL_MAX_TOTAL_BYTES", 3 * max_file_bytes()))


def max_files() -> int:
    return int(getattr(settings, "KESU_PORTAL_MAX_FILES", 8))


def check_files(files: list[UploadedFile], *, field: str) -> list[CheckedFile]:
    """Read and check every file; one bad file refuses them all (InvalidInput on ``field``),
    so nothing is stored from a request that is refused."""
    per_file, total_max = max_file_bytes(), max_total_bytes()
    files = [f for f in files if f is not None and (f.name or f.size)]
    if len(files) > max_files():
        raise InvalidInput(
            errors={field: _("Send at most %(n)s files at once.") % {"n": max_files()}}
        )
    checked: list[CheckedFile] = []
    total = 0
    for upload in files:
        name = (upload.name or "").strip() or _("file")
        if upload.size is not None and upload.size > per_file:
            raise InvalidInput(errors={field: _too_large(name, per_file)})
        content = upload.read(per_file + 1)
        if len(content) > per_file:
            raise InvalidInput(errors={field: _too_large(name, per_file)})
        if not content:
            raise InvalidInput(errors={field: _("“%(name)s” is empty.") % {"name": name}})
        total += len(content)
        if total > total_max:
            raise InvalidInput(
                errors={
                    field: _("The files together are larger than %(size)s.")
                    % {"size": filesizeformat(total_max)}
                }
            )
        ctype = sniff(content)
        if ctype is None:
            raise InvalidInput(
                errors={
                    field: _(
                        "“%(name)s” is not a photo or PDF we can accept. Send JPEG, PNG, GIF, "
                        "WebP or PDF files."
                    )
                    % {"name": name}
                }
            )
        checked.append(CheckedFile(name=name, content=content, content_type=ctype))
    return checked


def _too_large(name: str, limit: int) -> str:
    return _("“%(name)s” is larger than %(size)s.") % {
        "name": name,
        "size": filesizeformat(limit),
    }
