"""Which attachments of a mail are kept: the portal's rules (``kesu.portal.uploads``), checked
by content, size and count. A mail cannot be sent back like a refused form, so the files that
fail are left out and listed instead of refusing the whole mail."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from kesu.complaints import filetypes
from kesu.mailin.parsing import MailFile
from kesu.portal.uploads import CheckedFile, max_file_bytes, max_files, max_total_bytes, sniff


@dataclass
class FileChoice:
    kept: list[CheckedFile] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skipped_note(self) -> str:
        """One line for the complaint, so staff know to ask for what did not come through."""
        if not self.skipped:
            return ""
        listed = "; ".join(f"{s['name']} ({s['reason']})" for s in self.skipped)
        return _("Attachments not kept: %(files)s") % {"files": listed}


def choose_files(files: list[MailFile]) -> FileChoice:
    choice = FileChoice()
    total = 0
    for f in files:
        name = filetypes.safe_name(f.name) or _("file")
        ctype = sniff(f.content)
        if ctype is None:
            reason = _("not a photo or PDF")
        elif len(f.content) > max_file_bytes():
            reason = _("larger than %(size)s") % {"size": filesizeformat(max_file_bytes())}
        elif len(choice.kept) >= max_files():
            reason = _("more than %(n)s files") % {"n": max_files()}
        elif total + len(f.content) > max_total_bytes():
            reason = _("together larger than %(size)s") % {
                "size": filesizeformat(max_total_bytes())
            }
        else:
            total += len(f.content)
            choice.kept.append(CheckedFile(name=name, content=f.content, content_type=ctype))
            continue
        choice.skipped.append({"name": name, "reason": str(reason)})
    return choice
