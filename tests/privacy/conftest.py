"""The privacy tests' world: the improvement world (b2b preset, one user per role with API
tokens and the console, time frozen on Monday 2026-11-16 10:00 Shanghai), the
customer-service manager added, and a customer whose data is spread over every place kesu
keeps it: a closed complaint with the customer's own words and file, contacts, a callback,
messages sent, an incoming mail, a quality audit item and an improvement action."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kesu.accounts.models import ApiToken, Department, User
from kesu.complaints.access import PortalCustomer
from kesu.complaints.models import Complaint, Customer
from kesu.complaints.services import records, transitions
from kesu.complaints.states import State
from kesu.improvement import services as improvement
from kesu.improvement.audits import audit_draw
from kesu.mailin.models import InboundMail, Mailbox
from kesu.outbox.worker import run_worker
from tests.api.conftest import DEPT, NOW
from tests.console.conftest import console, frozen  # noqa: F401  (fixtures)
from tests.improvement.conftest import Improvement

# customer_a of tests/conftest.make_people, with a portal login "cust_a".
NAME, PHONE, EMAIL = "陈建国", "13816620001", "chen@example.cn"
COMPANY = "上海恒昌贸易有限公司"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


class Privacy(Improvement):
    def customer(self, who: str = "customer_a") -> Customer:
        return Customer.objects.get(user=self.users[who])

    def deliver(self) -> None:
        """The worker's outbox pass (in-app notifications appear; emails go to locmem)."""
        assert run_worker(once=True, jobs=[]) == 0

    def spread(self) -> Complaint:
        """A closed complaint of customer_a with their data in every place kesu keeps it."""
        u = self.users
        c = self.new(description=f"交货延迟，请联系我 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}。")
        as_customer = PortalCustomer.of(
            Complaint.objects.select_related("customer__user").get(pk=c.pk)
        )
        transitions.complaint_dispatch(complaint=c, actor=u["agent"], department=DEPT, level="C")
        transitions.complaint_accept(complaint=c, actor=u["handler"])
        c.refresh_from_db()
        records.complaint_add_info(
            complaint=c, actor=as_customer, text=f"我是{NAME}，邮箱 {EMAIL}，签收单见附件。"
        )
        c.refresh_from_db()
        records.complaint_add_attachment(
            complaint=c,
            actor=as_customer,
            name=f"{NAME}-签收单.pdf",
            content=PDF,
            content_type="application/pdf",
        )
        c.refresh_from_db()
        records.complaint_add_attachment(
            complaint=c,
            actor=u["handler"],
            name="仓库记录.pdf",
            content=PDF,
            content_type="application/pdf",
            visible_to_customer=False,
        )
        c.refresh_from_db()
        records.complaint_log_communication(
            complaint=c,
            actor=u["handler"],
            channel="phone",
            direction="out",
            summary=f"已致电{NAME}（{PHONE}），说明补发安排。",
        )
        c.refresh_from_db()
        records.complaint_add_note(complaint=c, actor=u["handler"], text="仓库漏发，内部记录。")
        c.refresh_from_db()
        self.propose(c, Decimal("0"))
        c.refresh_from_db()
        transitions.complaint_report_resolved(complaint=c, actor=u["handler"], summary="已补发。")
        c.refresh_from_db()
        transitions.complaint_record_callback(
            complaint=c,
            actor=u["agent"],
            reached=True,
            outcome_rating=4,
            process_rating=5,
            accepted=True,
            notes=f"{NAME}表示满意。",
        )
        c.refresh_from_db()
        assert c.state == State.CLOSED
        box = Mailbox.objects.create(name="客服邮箱")
        InboundMail.objects.create(
            mailbox=box,
            uid=1,
            message_id="<m1@example.cn>",
            from_address=EMAIL,
            from_name=NAME,
            subject=f"{NAME}的投诉补充",
            processed_at=NOW,
            outcome=InboundMail.Outcome.REPLY,
            complaint=c,
        )
        audit = audit_draw(
            actor=u["quality"],
            department=Department.objects.get(code=DEPT),
            month=date(2026, 11, 1),
            size=1,
            seed=1,
        )
        audit.items.update(finding=f"回访记录完整，{NAME}满意。")
        action = improvement.action_create(
            actor=u["quality"],
            owner=u["handler"],
            title="仓库复核",
            description=f"针对{NAME}投诉的漏发问题复核出库流程。",
            kind="corrective",
            source="complaint",
            due_at=NOW.replace(day=26),
            complaints=[c],
        )
        assert action.complaints.filter(pk=c.pk).exists()
        self.deliver()
        return c


@pytest.fixture
def priv(console, settings, tmp_path) -> Privacy:  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "uploads"
    users = dict(console.users)
    users["cs_manager"] = User.objects.get(username="m_customer_service")  # make_people's
    world = Privacy(users=users, tokens={})
    world.tokens = {k: ApiToken.issue(user=v, name="t")[1] for k, v in users.items()}
    return world
