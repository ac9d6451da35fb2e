"""The console pages of improvement actions and audits, fetched with the test client."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from kesu.improvement.models import ActionStatus, Audit, ImprovementAction
from tests.conftest import at
from tests.improvement.conftest import DEPT, NOW


def body(response) -> str:
    return response.content.decode()


def test_nav_and_list_with_filters(imp):
    mine = imp.action(title="我的措施")
    imp.action(title="经理的措施", owner="manager", due_at=NOW + timedelta(days=1))
    r = imp.page("handler", "/console/improvement/")
    assert r.status_code == 200 and 'data-test="nav-improvement"' in body(r)
    assert [a.title for a in r.context["rows"]] == ["经理的措施", "我的措施"]
    assert 'data-test="new-action"' not in body(r)  # handlers do not create
    r = imp.page("handler", "/console/improvement/", {"mine": "on"})
    assert [a.pk for a in r.context["rows"]] == [mine.pk]
    r = imp.page("quality", "/console/improvement/", {"status": "done"})
    assert r.context["rows"] == []
    assert 'data-test="new-action"' in body(imp.page("quality", "/console/improvement/"))
    assert imp.page("other_handler", "/console/improvement/").context["rows"] == []


def test_create_from_the_complaint_page(imp):
    c = imp.in_department(DEPT)
    page = body(imp.page("manager", f"/console/c/{c.number}/"))
    assert 'data-test="new-improvement-action"' in page
    assert 'data-test="new-improvement-action"' not in body(
        imp.page("handler", f"/console/c/{c.number}/")
    )
    form = imp.page("manager", "/console/improvement/new/", {"complaint": c.number})
    assert form.context["form"].initial["complaints"] == c.number
    r = imp.signed_in("manager").post(
        "/console/improvement/new/",
        {
            "title": "加强交期确认",
            "kind": "preventive",
            "source": "complaint",
            "complaints": c.number,
            "root_cause": "order_info_flow",
            "description": "下单前与物流部确认交期。",
            "owner": imp.users["handler"].pk,
            "due": "2026-12-01",
        },
    )
    action = ImprovementAction.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/improvement/{action.pk}/"
    assert action.due_at == at("2026-12-01 23:59")
    assert list(action.complaints.all()) == [c]
    # The complaint page now lists it.
    assert action.code in body(imp.page("manager", f"/console/c/{c.number}/"))


def test_create_form_errors_and_refusal(imp):
    r = imp.signed_in("quality").post(
        "/console/improvement/new/",
        {
            "title": "x",
            "kind": "corrective",
            "source": "complaint",
            "complaints": "KS-NOPE",
            "description": "y",
            "owner": imp.users["handler"].pk,
            "due": "2026-12-01",
        },
    )
    assert r.status_code == 422 and "KS-NOPE" in body(r)
    assert imp.page("handler", "/console/improvement/new/").status_code == 403
    assert not ImprovementAction.objects.exists()


def test_action_page_shows_only_allowed_steps_and_performs_them(imp, time_machine):
    a = imp.action()
    url = f"/console/improvement/{a.pk}/"
    assert 'data-test="step-start"' in body(imp.page("handler", url))
    assert 'data-test="step-start"' not in body(imp.page("handler2", url))
    assert imp.page("other_handler", url).status_code == 404
    client = imp.signed_in("handler")
    assert client.post(url + "start/", {"note": "开始"}).status_code == 302
    evidence = SimpleUploadedFile("新表.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    r = client.post(url + "complete/", {"evidence": "新评审表已启用", "files": [evidence]})
    assert r.status_code == 302
    a = imp.refresh(a)
    assert a.status == ActionStatus.DONE and a.attachments.count() == 1
    page = body(imp.page("quality", url))
    assert "新评审表已启用" in page and 'data-test="evidence-file"' in page
    f = a.attachments.get()
    assert imp.page("handler", f"{url}files/{f.pk}/").status_code == 200
    assert imp.page("other_handler", f"{url}files/{f.pk}/").status_code == 404
    # Too early for the verdict: the page shows the error with the status.
    r = imp.signed_in("quality").post(url + "confirm/", {"effective": "1", "note": "有效"})
    assert r.status_code == 409 and 'data-code="rule_not_met"' in body(r)
    time_machine.move_to(NOW + timedelta(days=31), tick=False)
    r = imp.signed_in("quality").post(url + "confirm/", {"effective": "0", "note": "无效"})
    assert r.status_code == 302
    a = imp.refresh(a)
    assert a.status == ActionStatus.NOT_EFFECTIVE
    page = body(imp.page("quality", url))
    assert 'data-test="follow-up"' in page and 'data-test="before"' in page


def test_refused_step_changes_nothing(imp):
    a = imp.action()
    r = imp.signed_in("handler2").post(f"/console/improvement/{a.pk}/start/", {})
    assert r.status_code == 403
    assert imp.refresh(a).status == ActionStatus.OPEN


def test_audit_pages(imp):
    for d in (3, 8, 12):
        imp.closed(at(f"2026-10-{d:02d} 12:00"))
    quality = imp.signed_in("quality")
    assert imp.page("quality", "/console/audits/").status_code == 200
    assert imp.page("handler", "/console/audits/").status_code == 403
    dept = imp.users["handler"].department
    r = quality.post(
        "/console/audits/new/", {"department": dept.pk, "month": "2026-10", "size": 2, "seed": 5}
    )
    audit = Audit.objects.get()
    assert r.status_code == 302 and audit.sample_size == 2 and audit.seed == 5
    url = f"/console/audits/{audit.pk}/"
    page = body(imp.page("quality", url))
    assert page.count('data-test="score-form"') == 2
    assert 'data-test="score-form"' not in body(imp.page("manager", url))  # reads only
    for item in audit.items.all():
        prefix = f"i{item.pk}-"
        data = {prefix + p: "1" for p in ("timely", "process_followed", "solution_reasonable")}
        data |= {prefix + "customer_satisfied": "1", prefix + "records_complete": "0"}
        data[prefix + "note_records_complete"] = "缺回访录音"
        assert quality.post(f"{url}items/{item.pk}/", data).status_code == 302
    assert quality.post(f"{url}complete/", {"note": "完成"}).status_code == 302
    audit.refresh_from_db()
    assert audit.status == "completed"
    r = imp.page("quality", "/console/audits/", {"month": "2026-10"})
    (result,) = r.context["results"]
    assert result.average_score == 80.0
    page = body(imp.page("quality", url))
    assert 'data-test="open-action"' in page and "缺回访录音" in page
    item = audit.items.first()
    r = imp.page("quality", "/console/improvement/new/", {"audit_item": item.pk})
    assert r.context["form"].initial["source"] == "audit"


def test_english_pages(imp):
    a = imp.action()
    r = imp.page("quality", f"/console/improvement/{a.pk}/", headers={"Accept-Language": "en"})
    assert "Improvement action" in body(r) and "Effectiveness" not in body(r)
