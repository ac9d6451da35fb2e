"""Staff uploads are typed by their content (issue 7): the stored and served type is the one
found, a claim the content contradicts is refused, and nothing is stored from a refusal."""

from __future__ import annotations

import pytest

from kesu.complaints import filetypes
from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import Attachment, Event
from kesu.complaints.services.records import checked_upload, complaint_add_attachment
from tests.complaints.test_audit_chain import complaint
from tests.conftest import make_people
from tests.support.files import OLE2, PDF, PNG, office

HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.mark.parametrize(
    ("content", "claimed", "stored"),
    [
        (PNG, "image/png", filetypes.PNG),
        (PNG, "image/jpeg", filetypes.PNG),  # a mislabelled photo is still a photo
        (PDF, "application/octet-stream", filetypes.PDF),  # no claim: the content decides
        (PDF, "", filetypes.PDF),
        (office("word/document.xml"), "application/octet-stream", filetypes.DOCX),
        (office("xl/workbook.xml"), filetypes.XLSX, filetypes.XLSX),
        (OLE2, filetypes.XLS, filetypes.XLS),  # one container: the claim picks
        (OLE2, "application/octet-stream", filetypes.DOC),
        ("处理记录：已赔付".encode("gb18030"), "text/plain", filetypes.TEXT),
        ("处理记录".encode(), "text/plain; charset=utf-8", filetypes.TEXT),
        (b"ID3\x04\x00" + bytes(20), "audio/mpeg", filetypes.MP3),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav", filetypes.WAV),
    ],
)
def test_the_type_stored_is_the_one_found(content, claimed, stored):
    assert checked_upload("f", content, claimed).content_type == stored


@pytest.mark.parametrize(
    ("content", "claimed"),
    [
        (HTML, "image/png"),  # a page posing as a photo
        (HTML, "text/html"),  # a type we do not accept, whatever the content
        (b"MZ\x90\x00\x03" + bytes(60), "application/octet-stream"),  # a Windows program
        (b"MZ", "application/x-msdownload"),
        (PNG, "application/pdf"),  # content and claim disagree on the kind
        (b"PK\x03\x04 not a zip", filetypes.DOCX),
        (office("evil/payload.xml"), "application/octet-stream"),  # a zip but not Office
        (b"<svg onload=alert(1)>", "image/svg+xml"),  # SVG runs script: never accepted
        (b"\xff\xfe\x00\x00", "text/plain"),  # NUL bytes: not text
    ],
)
def test_content_that_is_not_what_it_claims_is_refused(content, claimed):
    with pytest.raises(InvalidInput) as refused:
        checked_upload("f", content, claimed)
    assert "file" in refused.value.details["errors"]


@pytest.mark.django_db
def test_a_refused_file_stores_nothing_and_a_good_one_keeps_its_found_type(preset):
    preset("b2b")
    people = make_people()
    c = complaint(people)
    handler = people.handlers["logistics"]
    events = Event.objects.filter(complaint=c).count()
    with pytest.raises(InvalidInput):
        complaint_add_attachment(
            complaint=c, actor=handler, name="p.png", content=HTML, content_type="image/png"
        )
    assert Attachment.objects.count() == 0
    assert Event.objects.filter(complaint=c).count() == events
    att = complaint_add_attachment(
        complaint=c, actor=handler, name="a/b.pdf", content=PDF, content_type=""
    )
    assert (att.name, att.content_type) == ("ab.pdf", filetypes.PDF)
