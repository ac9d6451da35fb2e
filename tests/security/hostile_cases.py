"""What the hostile-input test sends where (tests/security/test_hostile_input.py): a valid
example of every API operation and every console and portal form, and the query parameters of
every page. The test enumerates the inputs from the code and fails when one has no case here.

``"{name}"`` in a path or a value is the world's object of that name
(tests/security/hostile_world.py ``refs``): a complaint's number, its version (``v:``), its
portal token (``token:``), a user's id (``user:``), a department's id (``dept:``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kesu.complaints.models import Complaint
from kesu.improvement.models import CHECKLIST_FIELDS
from tests.api.conftest import DEPT, NOW, TASK_DEPT
from tests.security.hostile import (
    CHECKBOX,
    CODE,
    DATE,
    FORMAT,
    INT,
    LINE,
    MOMENT,
    MONTH,
    NUMBER,
    TEXT,
)
from tests.security.hostile_world import Hostworld

# --- the API ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """How to call one operation validly: as whom, where, with which body and query."""

    who: str
    path: str  # "{name}" parts from the world's refs
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)
    # A look-up: its body is a question, like a query string (nothing is stored).
    lookup: bool = False


INTAKE = {
    "customer_name": "陈建国",
    "customer_phone": "13700000001",
    "customer_email": "new.customer@example.cn",
    "customer_company": "上海恒昌贸易有限公司",
    "channel": "email",
    "category": "late_delivery",
    "level": "C",
    "urgent": False,
    "title": "交货延迟",
    "description": "交货期延迟了一周。",
    "demand": "尽快发货",
    "claimed_amount": "100.50",
    "order_no": "SO-1",
    "waybill_no": "WB-1",
    "contract_no": "HT-1",
    "goods": "钢材",
    "origin": "上海",
    "destination": "苏州",
    "product": "冷轧板",
    "batch_no": "B-1",
    "incident_at": "2026-11-15T10:00:00+08:00",
    "incident_place": "苏州仓库",
    "received_at": "2026-11-16T09:00:00+08:00",
    "platform_case_no": "",
    "account_code": "",
    "language": "zh-hans",
}
DUE = "2026-11-20T18:00:00+08:00"
CHECKLIST_BODY = dict.fromkeys(CHECKLIST_FIELDS, True)
C = "/complaints/"
API_OPS: dict[str, Op] = {
    "complaint_create": Op("agent", "/complaints", INTAKE),
    "complaint_list": Op("agent", "/complaints"),
    "complaint_dispatch": Op(
        "agent",
        C + "{received}/dispatch",
        {
            "department": DEPT,
            "handler": "{user:handler}",
            "level": "C",
            "urgent": False,
            "category": "late_delivery",
            "note": "请尽快处理",
        },
    ),
    "complaint_accept": Op("handler", C + "{assigned}/accept", {}),
    "complaint_request_info": Op(
        "handler", C + "{investigating}/request-info", {"message": "请提供签收单照片。"}
    ),
    "complaint_provide_info": Op("agent", C + "{awaiting}/provide-info", {"text": "照片已收到。"}),
    "complaint_propose_solution": Op(
        "handler",
        C + "{investigating}/solution",
        {
            "summary": "补发货物并致歉。",
            "actions": [
                {
                    "kind": "apology",
                    "description": "致歉",
                    "owner": "{user:handler}",
                    "due_at": DUE,
                    "amount": "0",
                }
            ],
            "root_cause": "operation_error",
            "root_cause_text": "漏发",
            "findings": "仓库漏发",
            "amount": "0",
        },
    ),
    "complaint_approve_solution": Op(
        "manager", C + "{approval}/solution/approve", {"reason": "同意"}
    ),
    "complaint_refuse_solution": Op(
        "manager", C + "{approval}/solution/refuse", {"reason": "金额过高"}
    ),
    "complaint_report_resolved": Op("handler", C + "{resolving}/resolve", {"summary": "已补发。"}),
    "complaint_pass_review": Op("agent", C + "{review}/review/pass", {"note": "记录齐全"}),
    "complaint_return_for_rework": Op("agent", C + "{review}/review/return", {"reason": "缺记录"}),
    "complaint_record_callback": Op(
        "agent",
        C + "{callback}/callbacks",
        {
            "reached": True,
            "method": "phone",
            "outcome_rating": 5,
            "process_rating": 4,
            "accepted": True,
            "notes": "客户满意",
        },
    ),
    "complaint_rate": Op(
        "customer_a",
        C + "{callback}/rate",
        {"outcome_rating": 5, "process_rating": 4, "accepted": True, "comment": "谢谢"},
    ),
    "complaint_reopen": Op("customer_a", C + "{closed}/reopen", {"reason": "问题又出现了"}),
    "complaint_reject": Op(
        "agent", C + "{received}/reject", {"reason": "非本公司业务", "recourse": "12315"}
    ),
    "complaint_merge": Op("agent", C + "{received}/merge", {"into": "{received2}"}),
    "complaint_acknowledge": Op(
        "agent", C + "{received}/acknowledge", {"channel": "phone", "summary": "已告知客户"}
    ),
    "complaint_log_communication": Op(
        "handler",
        C + "{investigating}/communications",
        {
            "channel": "phone",
            "direction": "out",
            "summary": "已致电客户",
            "template": "",
            "at": "2026-11-16T09:30:00+08:00",
        },
    ),
    "complaint_add_note": Op("handler", C + "{investigating}/notes", {"text": "已跟进"}),
    "complaint_add_info": Op("customer_a", C + "{investigating}/info", {"text": "补充说明"}),
    "complaint_reassign": Op(
        "manager",
        C + "{investigating}/reassign",
        {"department": DEPT, "handler": "{user:handler2}", "reason": "工作量平衡"},
    ),
    "complaint_change_level": Op(
        "agent",
        C + "{investigating}/level",
        {"level": "B", "urgent": True, "reason": "客户再次来电"},
    ),
    "complaint_set_root_cause": Op(
        "handler",
        C + "{investigating}/root-cause",
        {"root_cause": "operation_error", "root_cause_text": "漏发", "findings": "仓库漏发"},
    ),
    "complaint_add_task": Op(
        "handler",
        C + "{investigating}/tasks",
        {
            "department": TASK_DEPT,
            "title": "核对付款记录",
            "owner": "{user:finance_handler}",
            "due_at": DUE,
            "required": True,
        },
    ),
    "complaint_complete_task": Op(
        "finance_handler", C + "{investigating_b}/tasks/{task}/complete", {"result": "已核对"}
    ),
    "complaint_complete_action": Op("handler", C + "{resolving}/actions/{action}/complete", {}),
    "complaint_record_meeting": Op(
        "handler",
        C + "{investigating}/meetings",
        {"held_at": "2026-11-16T09:00:00+08:00", "participants": "张三、李四", "decision": "补发"},
    ),
    "complaint_request_extension": Op(
        "handler",
        C + "{investigating}/extensions",
        {"milestone": "solution", "hours": 8, "reason": "等物流信息"},
    ),
    "complaint_decide_extension": Op(
        "manager",
        C + "{investigating_b}/extensions/{extension}/decide",
        {"approve": True, "reason": "同意"},
    ),
    "batch_alert_list": Op("quality", "/batch-alerts"),
    "batch_alert_add_measure": Op(
        "quality",
        "/batch-alerts/{alert}/measures",
        {"kind": "inspect", "owner": "{user:handler}", "description": "抽检同批次", "due_at": DUE},
    ),
    "batch_alert_measure_done": Op("quality", "/batch-alerts/{alert}/measures/{measure}/done"),
    "batch_alert_close": Op(
        "quality", "/batch-alerts/{alert_quiet}/close", {"conclusion": "已处理"}
    ),
    "improvement_action_list": Op("quality", "/improvement/actions"),
    "improvement_action_create": Op(
        "quality",
        "/improvement/actions",
        {
            "title": "优化订单评审流程",
            "description": "修订订单评审表。",
            "kind": "corrective",
            "source": "root_cause",
            "owner": "{user:handler}",
            "due_at": "2026-12-01T18:00:00+08:00",
            "complaints": ["{closed}"],
            "root_cause": "order_info_flow",
            "category": "late_delivery",
            "department": DEPT,
            "report_month": "2026-10-01",
            "finding": "交期确认缺失",
            "check_after_days": 30,
        },
    ),
    "improvement_action_start": Op(
        "handler", "/improvement/actions/{imp_open}/start", {"note": "开始"}
    ),
    "improvement_action_complete": Op(
        "handler", "/improvement/actions/{imp_started}/complete", {"evidence": "已修订评审表"}
    ),
    "improvement_action_measure": Op("quality", "/improvement/actions/{imp_due}/effect"),
    "improvement_action_confirm": Op(
        "quality",
        "/improvement/actions/{imp_due}/verdict",
        {"effective": False, "note": "投诉未减少", "follow_up_due_at": "2026-12-20T18:00:00+08:00"},
    ),
    "improvement_action_cancel": Op(
        "quality", "/improvement/actions/{imp_open}/cancel", {"reason": "与另一措施重复"}
    ),
    "audit_list": Op("quality", "/improvement/audits"),
    "audit_draw": Op(
        "quality",
        "/improvement/audits",
        {"department": DEPT, "month": "2026-09-01", "size": 1, "seed": 7, "note": "月度抽查"},
    ),
    "audit_score_item": Op(
        "quality",
        "/improvement/audits/{audit}/items/{item}/score",
        {**CHECKLIST_BODY, "notes": {"timely": "按时"}, "finding": "记录齐全"},
    ),
    "audit_complete": Op(
        "quality", "/improvement/audits/{audit_scored}/complete", {"note": "抽查完成"}
    ),
    "notification_list": Op("agent", "/notifications"),
    "notification_mark_read": Op("agent", "/notifications/read", {"ids": [1]}),
    "kpi_summary": Op("quality", "/kpis", query={"start": "2026-10-01", "end": "2026-11-01"}),
    "report_monthly_data": Op("quality", "/reports/monthly/{month}", query={}),
    "report_monthly_html": Op("quality", "/reports/monthly/{month}.html"),
    "report_monthly_pdf": Op("quality", "/reports/monthly/{month}.pdf"),
    "report_monthly_xlsx": Op("quality", "/reports/monthly/{month}.xlsx"),
    "business_volume_get": Op("executive", "/business-volume/{month}"),
    "business_volume_set": Op("executive", "/business-volume/{month}", {"volume": 1200}),
    "complaint_renew_portal_link": Op(
        "agent", C + "{investigating}/portal-link", {"reason": "链接发给了别人"}
    ),
    "customer_lookup": Op("admin", "/customers/lookup", {"ref": "13816620001"}, lookup=True),
    "customer_erase": Op("admin", "/customers/{customer_b}/erase", {"reason": "客户要求删除"}),
}
# Multipart operations: their form fields, with a file.
API_UPLOADS: dict[str, Op] = {
    "complaint_add_attachment": Op(
        "handler", C + "{investigating}/attachments", {"visible_to_customer": "true"}
    ),
    "complaints_import": Op("agent", "/imports", {"mode": "valid"}),
}
# Operations without a body or a query parameter (path parameters only): nothing to fuzz.
NO_INPUTS = {
    "complaint_detail",
    "complaint_timeline",
    "batch_alert_detail",
    "improvement_action_detail",
    "audit_detail",
    "import_template_xlsx",
    "import_template_csv",
    "policy_active",
    "me",
    "customer_export",
}
# Reports rendered as files take a second each: their query and path are those of
# report_monthly_data (the same parsing), tried there.
SAME_INPUTS_AS = {
    "report_monthly_html": "report_monthly_data",
    "report_monthly_pdf": "report_monthly_data",
    "report_monthly_xlsx": "report_monthly_data",
}

# String fields that hold a code from a list, a reference or a date, not free text.
CODE_NAMES = frozenset(
    [
        "channel",
        "category",
        "level",
        "department",
        "root_cause",
        "milestone",
        "kind",
        "direction",
        "method",
        "template",
        "into",
        "language",
        "account_code",
        "source",
        "status",
        "complaints",
        "after",
        "before",
        "customer",
        "handler",
        "mode",
        "state",
        "complaint",
        "created",
        "unread",
    ]
)
FORMAT_NAMES = frozenset({"customer_phone", "customer_email"})
DATE_TEXT_NAMES = frozenset({"start", "end", "received_from", "received_to"})
MONTH_NAMES = frozenset({"month", "report_month"})


# --- the console's and the portal's forms --------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
IMPORT_CSV = (
    "受理时间,客户姓名,投诉事由,投诉内容,联系电话\n"
    "2026-11-16 09:00,陈建国,late_delivery,交货期延迟。,13816620001\n"
).encode()


@dataclass(frozen=True)
class Page:
    """A form page: who posts it, where, the form it reads (to enumerate its fields), a valid
    post, and the files it needs."""

    who: str | None
    url: str  # "{name}" parts from the world's refs
    data: dict[str, str]
    form: Callable[[Hostworld], Any] | None = None
    # Fields of a page that reads request.POST without a form: name → kinds.
    raw_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    htmx: bool = False


def _step(who: str, url: str, data: dict[str, str], form: str) -> Page:
    """An improvement action's step: refused as an htmx fragment, like the console's actions."""
    return Page(who, url, data, _form(f"kesu.console.views.improvement_forms.{form}"), htmx=True)


def _act(action: str, target: str, who: str, data: dict[str, str]) -> Page:
    from kesu.console.forms import ACTION_FORMS

    def form(hw: Hostworld) -> Any:
        return ACTION_FORMS[action](complaint=Complaint.objects.get(number=hw.refs[target]))

    files = {"file": ("photo.png", PNG, "image/png")} if action == "add_attachment" else {}
    return Page(
        who,
        f"/console/c/{{{target}}}/act/{action}/",
        {"version": f"{{v:{target}}}", **data},
        form,
        files=files,
        htmx=True,
    )


def _form(cls_path: str, **kwargs: Any) -> Callable[[Hostworld], Any]:
    def make(hw: Hostworld) -> Any:
        module, name = cls_path.rsplit(".", 1)
        cls = getattr(__import__(module, fromlist=[name]), name)
        extra = {k: (v(hw) if callable(v) else v) for k, v in kwargs.items()}
        return cls(**extra)

    return make


def _policy_doc(_hw: Hostworld) -> Any:
    from kesu.policy.loader import active_policy

    return active_policy().doc


def _root_causes(_hw: Hostworld) -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in _policy_doc(_hw).root_causes]


def _categories(_hw: Hostworld) -> list[Any]:
    return list(_policy_doc(_hw).categories)


AT = "2026-11-16T09:00"
ACT_PAGES: dict[str, Page] = {
    "dispatch": _act(
        "dispatch",
        "received",
        "agent",
        {
            "department": DEPT,
            "handler": "{user:handler}",
            "level": "C",
            "urgent": "on",
            "category": "late_delivery",
            "note": "请尽快处理",
        },
    ),
    "accept": _act("accept", "assigned", "handler", {}),
    "request_info": _act("request_info", "investigating", "handler", {"message": "请提供照片"}),
    "provide_info": _act("provide_info", "awaiting", "agent", {"text": "照片已收到"}),
    "propose_solution": _act(
        "propose_solution",
        "investigating",
        "handler",
        {
            "summary": "补发货物并致歉。",
            "kind_1": "apology",
            "description_1": "致歉",
            "amount_1": "0",
            "owner_1": "{user:handler}",
            "due_at_1": "2026-11-20T18:00",
            "kind_2": "explanation",
            "description_2": "说明原因",
            "amount_2": "0",
            "kind_3": "reshipment",
            "description_3": "补发",
            "amount_3": "0",
            "root_cause": "operation_error",
            "root_cause_text": "漏发",
            "findings": "仓库漏发",
        },
    ),
    "approve_solution": _act("approve_solution", "approval", "manager", {"reason": "同意"}),
    "refuse_solution": _act("refuse_solution", "approval", "manager", {"reason": "金额过高"}),
    "report_resolved": _act("report_resolved", "resolving", "handler", {"summary": "已补发"}),
    "pass_review": _act("pass_review", "review", "agent", {"note": "记录齐全"}),
    "return_for_rework": _act("return_for_rework", "review", "agent", {"reason": "缺记录"}),
    "record_callback": _act(
        "record_callback",
        "callback",
        "agent",
        {
            "reached": "yes",
            "method": "phone",
            "outcome_rating": "5",
            "process_rating": "4",
            "accepted": "yes",
            "notes": "客户满意",
        },
    ),
    "reopen": _act("reopen", "closed", "agent", {"reason": "问题又出现了"}),
    "reject": _act("reject", "received", "agent", {"reason": "非本公司业务", "recourse": "12315"}),
    "merge": _act("merge", "received", "agent", {"into": "{received2}"}),
    "acknowledge": _act(
        "acknowledge", "received", "agent", {"channel": "phone", "summary": "已告知客户"}
    ),
    "reassign": _act(
        "reassign",
        "investigating",
        "manager",
        {"department": DEPT, "handler": "{user:handler2}", "reason": "工作量平衡"},
    ),
    "change_level": _act(
        "change_level",
        "investigating",
        "agent",
        {"level": "B", "urgent": "on", "reason": "客户再次来电"},
    ),
    "add_note": _act("add_note", "investigating", "handler", {"text": "已跟进"}),
    "log_communication": _act(
        "log_communication",
        "investigating",
        "handler",
        {
            "channel": "phone",
            "direction": "out",
            "template": "",
            "summary": "已致电客户",
            "at": "2026-11-16T09:30",
        },
    ),
    "add_attachment": _act(
        "add_attachment", "investigating", "handler", {"visible_to_customer": "on"}
    ),
    "set_root_cause": _act(
        "set_root_cause",
        "investigating",
        "handler",
        {"root_cause": "operation_error", "root_cause_text": "漏发", "findings": "仓库漏发"},
    ),
    "add_task": _act(
        "add_task",
        "investigating",
        "handler",
        {
            "department": TASK_DEPT,
            "title": "核对付款记录",
            "owner": "{user:finance_handler}",
            "due_at": "2026-11-20T18:00",
            "required": "on",
        },
    ),
    "complete_task": _act(
        "complete_task",
        "investigating_b",
        "finance_handler",
        {"task": "{task}", "result": "已核对"},
    ),
    "complete_action": _act("complete_action", "resolving", "handler", {"action_id": "{action}"}),
    "record_meeting": _act(
        "record_meeting",
        "investigating",
        "handler",
        {"held_at": AT, "participants": "张三、李四", "decision": "补发"},
    ),
    "request_extension": _act(
        "request_extension",
        "investigating",
        "handler",
        {"milestone": "solution", "hours": "8", "reason": "等物流信息"},
    ),
    "decide_extension": _act(
        "decide_extension",
        "investigating_b",
        "manager",
        {"extension": "{extension}", "approve": "yes", "reason": "同意"},
    ),
}
STEP_PAGES: dict[str, Page] = {
    "start": _step(
        "handler", "/console/improvement/{imp_open}/start/", {"note": "开始"}, "StartForm"
    ),
    "complete": _step(
        "handler",
        "/console/improvement/{imp_started}/complete/",
        {"evidence": "已修订评审表"},
        "CompleteForm",
    ),
    "measure": _step("quality", "/console/improvement/{imp_due}/measure/", {}, "MeasureForm"),
    "confirm": _step(
        "quality",
        "/console/improvement/{imp_due}/confirm/",
        {"effective": "0", "note": "投诉未减少", "follow_up_due": "2026-12-20"},
        "ConfirmForm",
    ),
    "cancel": _step(
        "quality", "/console/improvement/{imp_open}/cancel/", {"reason": "重复"}, "CancelForm"
    ),
}
INTAKE_FORM = {
    "idempotency_key": "hostile-intake-key",
    "customer_name": "陈建国",
    "customer_company": "上海恒昌贸易有限公司",
    "customer_phone": "13700000001",
    "customer_email": "new.customer@example.cn",
    "account_code": "",
    "channel": "email",
    "platform_case_no": "",
    "received_at": AT,
    "title": "交货延迟",
    "description": "交货期延迟了一周。",
    "demand": "尽快发货",
    "claimed_amount": "100.50",
    "category": "late_delivery",
    "level": "C",
    "urgent": "no",
    "order_no": "SO-1",
    "waybill_no": "WB-1",
    "contract_no": "HT-1",
    "goods": "钢材",
    "origin": "上海",
    "destination": "苏州",
    "product": "冷轧板",
    "batch_no": "B-1",
    "incident_at": "2026-11-15T10:00",
    "incident_place": "苏州仓库",
}
PORTAL_FORM = {
    "customer_name": "陈建国",
    "customer_company": "",
    "customer_phone": "13700000001",
    "customer_email": "",
    "category": "late_delivery",
    "description": "交货期延迟了一周。",
    "demand": "尽快发货",
    "order_no": "SO-1",
    "waybill_no": "",
    "incident_at": "2026-11-15T10:00",
    "incident_place": "苏州仓库",
    "website": "",
}
FORM_PAGES: dict[str, list[tuple[str, Page]] | str] = {
    "console:act": list(ACT_PAGES.items()),
    "console:improvement_step": list(STEP_PAGES.items()),
    "console:intake": [
        (
            "intake",
            Page(
                "agent",
                "/console/new/",
                INTAKE_FORM,
                _form("kesu.console.forms.IntakeForm", policy=_policy_doc, now=lambda _hw: NOW),
            ),
        )
    ],
    "console:import": [
        (
            "import",
            Page(
                "agent",
                "/console/import/",
                {"mode": "valid_only"},
                _form("kesu.console.views.importing.ImportForm"),
                files={"file": ("complaints.csv", IMPORT_CSV, "text/csv")},
            ),
        )
    ],
    "console:notifications_read_all": [
        ("read_all", Page("agent", "/console/notifications/read/", {}))
    ],
    "console:analysis_volume": [
        (
            "volume",
            Page(
                "executive",
                "/console/analysis/volume/",
                {"month": "2026-10", "volume": "1200", "kind": "orders", "department": ""},
                raw_fields={
                    "month": (MONTH, CODE),
                    "volume": (INT,),
                    "kind": (CODE,),
                    "department": (CODE,),
                },
            ),
        )
    ],
    "console:improvement_action_new": [
        (
            "action_new",
            Page(
                "quality",
                "/console/improvement/new/",
                {
                    "title": "优化订单评审流程",
                    "kind": "corrective",
                    "source": "root_cause",
                    "complaints": "{closed}",
                    "root_cause": "order_info_flow",
                    "report_month": "2026-10",
                    "audit_item": "",
                    "finding": "交期确认缺失",
                    "description": "修订订单评审表。",
                    "owner": "{user:handler}",
                    "department": "",
                    "due": "2026-12-01",
                    "check_after_days": "30",
                },
                _form(
                    "kesu.console.views.improvement_forms.ActionCreateForm",
                    root_causes=_root_causes,
                ),
            ),
        )
    ],
    "console:audit_new": [
        (
            "audit_new",
            Page(
                "quality",
                "/console/audits/new/",
                {
                    "department": "{dept:logistics}",
                    "month": "2026-09",
                    "size": "1",
                    "percent": "",
                    "seed": "7",
                    "note": "月度抽查",
                },
                _form("kesu.console.views.improvement_forms.DrawForm"),
            ),
        )
    ],
    "console:audit_score": [
        (
            "audit_score",
            Page(
                "quality",
                "/console/audits/{audit}/items/{item}/",
                {
                    **{f"i{{item}}-{k}": "1" for k in CHECKLIST_BODY},
                    "i{item}-note_timely": "按时",
                    "i{item}-finding": "记录齐全",
                },
                _form(
                    "kesu.console.views.improvement_forms.ScoreForm",
                    prefix=lambda hw: f"i{hw.refs['item']}",
                ),
                htmx=True,
            ),
        )
    ],
    "console:audit_complete": [
        (
            "audit_complete",
            Page(
                "quality",
                "/console/audits/{audit_scored}/complete/",
                {"note": "抽查完成"},
                _form("kesu.console.views.improvement_forms.CompleteAuditForm"),
                htmx=True,
            ),
        )
    ],
    "console:renew_portal_link": [
        (
            "renew_link",
            Page(
                "agent",
                "/console/c/{investigating}/portal-link/",
                {"reason": "链接发给了别人"},
                _form("kesu.console.views.portal_link.RenewForm"),
                htmx=True,
            ),
        )
    ],
    "portal:submit": [
        (
            "submit",
            Page(
                None,
                "/portal/",
                PORTAL_FORM,
                _form("kesu.portal.forms.SubmitForm", categories=_categories),
            ),
        )
    ],
    "portal:add_info": [
        (
            "add_info",
            Page(
                None,
                "/portal/c/{token:investigating}/info/",
                {"version": "", "text": "补充说明"},
                _form("kesu.portal.forms.InfoForm"),
            ),
        )
    ],
    "portal:provide_info": [
        (
            "provide_info",
            Page(
                None,
                "/portal/c/{token:awaiting}/answer/",
                {"version": "", "text": "照片已上传"},
                _form("kesu.portal.forms.ProvideInfoForm"),
            ),
        )
    ],
    "portal:rate": [
        (
            "rate",
            Page(
                None,
                "/portal/c/{token:callback}/rate/",
                {
                    "version": "",
                    "outcome_rating": "5",
                    "process_rating": "4",
                    "accepted": "yes",
                    "comment": "谢谢",
                },
                _form("kesu.portal.forms.RateForm"),
            ),
        )
    ],
    "portal:reopen": [
        (
            "reopen",
            Page(
                None,
                "/portal/c/{token:closed}/reopen/",
                {"version": "", "reason": "问题又出现了"},
                _form("kesu.portal.forms.ReopenForm"),
            ),
        )
    ],
    # Sign-in, sign-out and the language switch: test_sign_in_and_language_switch.
    "login": "sign-in: test_sign_in_and_language_switch",
    "logout": "no input: signs out",
    "set_language": "test_sign_in_and_language_switch",
    "console:customer_erase": [
        (
            "erase",
            Page(
                "admin",
                "/console/customers/{customer_b}/erase/",
                {"reason": "客户要求删除", "confirm": "yes"},
                raw_fields={"reason": (TEXT,), "confirm": (CODE,)},
            ),
        )
    ],
}


# --- the pages' query parameters ------------------------------------------------------------------

FILTERS = {
    **dict.fromkeys(("state", "level", "category", "channel", "department"), (CODE,)),
    **dict.fromkeys(("received_from", "received_to"), (DATE, CODE)),
    **dict.fromkeys(("urgent", "repeat", "reopened"), (CODE,)),
}
PAGING = dict.fromkeys(("after", "before"), (CODE,))


@dataclass(frozen=True)
class Query:
    who: str | None
    url: str
    params: dict[str, tuple[str, ...]]


QUERY_PAGES: dict[str, Query] = {
    "console:queue": Query("agent", "/console/queue/unassigned/", {**FILTERS, **PAGING}),
    "console:export": Query("manager", "/console/queue/department/export.csv", FILTERS),
    "console:search": Query("agent", "/console/search/", {"q": (LINE,), **FILTERS, **PAGING}),
    "console:customer_lookup": Query(
        "agent",
        "/console/new/lookup/",
        {
            "customer_phone": (FORMAT,),
            "customer_name": (LINE,),
            "customer_email": (FORMAT,),
            "category": (CODE,),
            "received_at": (MOMENT,),
            "order_no": (LINE,),
            "waybill_no": (LINE,),
        },
    ),
    "console:suggest": Query(
        "agent",
        "/console/new/suggest/",
        {
            "title": (LINE,),
            "description": (TEXT,),
            "demand": (TEXT,),
            "customer_name": (LINE,),
            "customer_phone": (FORMAT,),
            "account_code": (CODE,),
            "category": (CODE,),
            "received_at": (MOMENT,),
            "claimed_amount": (NUMBER,),
            "order_no": (LINE,),
            "waybill_no": (LINE,),
        },
    ),
    "console:notifications": Query(
        "agent", "/console/notifications/", {"unread": (CODE,), "before": (INT,)}
    ),
    "console:analysis": Query(
        "quality",
        "/console/analysis/",
        {
            "month": (MONTH, CODE),
            **dict.fromkeys(("department", "category", "channel", "level"), (CODE,)),
        },
    ),
    "console:analysis_complaints": Query(
        "quality",
        "/console/analysis/complaints/",
        {"month": (MONTH, CODE), "kpi": (CODE,), **FILTERS, **PAGING},
    ),
    "console:reports": Query(
        "quality", "/console/reports/", {"month": (MONTH, CODE), "department": (CODE,)}
    ),
    "console:report_monthly": Query(
        "quality", "/console/reports/monthly/2026-10/", {"department": (CODE,)}
    ),
    "console:improvement_actions": Query(
        "quality",
        "/console/improvement/",
        {
            "status": (CODE,),
            "owner": (CODE,),
            "department": (CODE,),
            "overdue": (CHECKBOX,),
            "mine": (CHECKBOX,),
        },
    ),
    "console:improvement_action_new": Query(
        "quality", "/console/improvement/new/", {"complaint": (CODE,), "audit_item": (INT,)}
    ),
    "console:audits": Query("quality", "/console/audits/", {"month": (MONTH, CODE)}),
    "console:complaint": Query("agent", "/console/c/{received}/", {"created": (CODE,)}),
    "console:customers": Query("admin", "/console/customers/", {"ref": (LINE,)}),
    "portal:submit": Query(None, "/portal/", {"after": (CODE,)}),
    "portal:mine": Query("customer_a", "/portal/mine/", {"page": (INT,)}),
}

FILE = "a file download: its path names it, the reader's rights decide"
NO_INPUT_PAGES = {
    "console:dashboard": "no parameters",
    "console:import_template": FILE,
    "console:report_file": FILE,
    "console:improvement_file": FILE,
    "console:attachment": FILE,
    "console:improvement_action": "a detail page: no parameters",
    "console:audit": "a detail page: no parameters",
    "console:customer": "a detail page: no parameters",
    "console:customer_export": "a download: no parameters",
    "portal:case": "the private link's page: no parameters",
    "portal:sent": "the receipt: no parameters",
    "portal:attachment": FILE,
    "home": "a redirect to the role's landing page",
    "logout": "signs out: no parameters",
}
