"""The portal's world: the b2b preset, one user per role, an English-speaking browser (so the
tests read the source strings whatever the catalog says), uploads in a temporary folder, and
builders that bring a complaint to any state through the services.

Time stands still at a Monday morning in Shanghai, so deadlines and windows are predictable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.conftest import People, at, make_people

from kesu.complaints.models import Complaint
from kesu.complaints.services import transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.transitions import ActionInput
from kesu.complaints.states import State

NOW = at("2026-11-16 10:00")  # a Monday, a working day
DEPT = "logistics"  # late_delivery's department in the b2b preset

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def png(name: str = "photo.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def jpeg(name: str = "damage.jpg", content: bytes = JPEG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def pdf(name: str = "receipt.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid portal submission."""
    data = {
        "customer_name": "王小明",
        "customer_company": "",
        "customer_phone": "13900001111",
        "customer_email": "wang@example.cn",
        "category": "late_delivery",
        "description": "订单约定11月10日交货，至今未到，影响我们的生产安排。",
        "demand": "尽快发货并说明原因",
        "order_no": "SO-2026-1101",
        "waybill_no": "",
        "incident_at": "2026-11-10T09:00",
        "incident_place": "苏州工业园区",
        "website": "",
    }
    data.update(overrides)
    return data


def browser(**extra: Any) -> Client:
    return Client(**{"HTTP_ACCEPT_LANGUAGE": "en", **extra})


@dataclass
class Portal:
    people: People
    client: Client = field(default_factory=browser)

    @property
    def agent(self):
        return self.people.agent

    @property
    def handler(self):
        return self.people.handlers[DEPT]

    def submit(self, data: dict[str, Any] | None = None, client: Client | None = None, **kw):
        return (client or self.client).post("/portal/", data if data is not None else form(), **kw)

    def new(self, *, anonymous: bool = True, **fields: Any) -> Complaint:
        """A complaint as the portal records it (anonymous) or as an agent does."""
        defaults = {
            "customer_name": "王小明",
            "customer_phone": "13900001111",
            "customer_email": "wang@example.cn",
            "channel": "web",
            "category": "late_delivery",
            "description": "交货期延迟了一周,影响我们的生产安排。",
        }
        data = NewComplaint(**{**defaults, **fields})
        complaint, _ = complaint_create(data=data, actor=None if anonymous else self.agent)
        return Complaint.objects.select_related("customer", "policy").get(pk=complaint.pk)

    def build(self, state: State, **fields: Any) -> Complaint:
        """A fresh anonymous portal complaint brought to ``state`` by staff."""
        c = self.new(**fields)
        steps = [
            lambda: transitions.complaint_dispatch(
                complaint=c, actor=self.agent, department=DEPT, level="C"
            ),
            lambda: transitions.complaint_accept(complaint=c, actor=self.handler),
        ]
        if state == State.AWAITING_CUSTOMER:
            steps.append(
                lambda: transitions.complaint_request_info(
                    complaint=c, actor=self.handler, message="请提供签收单照片。"
                )
            )
        else:
            steps += [
                lambda: transitions.complaint_propose_solution(
                    complaint=c,
                    actor=self.handler,
                    summary="补发货物并致歉。",
                    actions=[ActionInput(kind="apology", description="书面致歉")],
                    root_cause="operation_error",
                    amount=Decimal("0"),
                ),
                lambda: transitions.complaint_report_resolved(
                    complaint=c, actor=self.handler, summary="已补发。"
                ),
                lambda: transitions.complaint_record_callback(
                    complaint=c,
                    actor=self.agent,
                    reached=True,
                    outcome_rating=5,
                    process_rating=5,
                    accepted=True,
                ),
            ]
        for step in steps:
            if c.state == state:
                break
            step()
        c.refresh_from_db()
        assert c.state == state, (c.state, state)
        return c

    def page(self, c: Complaint, suffix: str = "", client: Client | None = None):
        return (client or self.client).get(f"/portal/c/{c.portal_token}/{suffix}")

    def post(self, c: Complaint, suffix: str, data: dict[str, Any], client: Client | None = None):
        data = {"version": Complaint.objects.get(pk=c.pk).version, **data}
        return (client or self.client).post(f"/portal/c/{c.portal_token}/{suffix}", data)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def portal(db, frozen, settings, tmp_path) -> Portal:
    from kesu.policy.loader import policy_load

    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.KESU_PORTAL_SUBMISSIONS = 5
    settings.KESU_PORTAL_WINDOW_SECONDS = 600
    settings.KESU_TRUSTED_PROXIES = 0
    policy_load("b2b")
    return Portal(people=make_people())
