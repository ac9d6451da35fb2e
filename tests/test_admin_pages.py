"""The Django admin (SPEC §8 Admin): people, departments, tokens, templates and policies."""

from __future__ import annotations

import pytest
import yaml

from kesu.policy.models import Policy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/accounts/department/",
        "/admin/accounts/apitoken/",
        "/admin/policy/policy/",
        "/admin/policy/policy/load/",
        "/admin/outbox/messagetemplate/",
        "/admin/workcal/officialyear/",
    ],
)
def test_admin_pages_open(admin_client, preset, url):
    preset("b2b")
    assert admin_client.get(url).status_code == 200


def test_a_policy_is_loaded_through_the_validating_form(admin_client, preset):
    preset("b2b")
    active = Policy.objects.get(is_active=True)
    page = admin_client.get(f"/admin/policy/policy/{active.pk}/change/")
    assert page.status_code == 200 and "late_delivery" in page.content.decode()

    broken = admin_client.post("/admin/policy/policy/load/", {"document": "levels: [oops"})
    assert broken.status_code == 200 and Policy.objects.count() == 1
    doc = dict(active.document)
    doc["milestones"] = [{**m, "clock": "sometimes"} for m in doc["milestones"]]
    invalid = admin_client.post(
        "/admin/policy/policy/load/", {"document": yaml.safe_dump(doc, allow_unicode=True)}
    )
    assert "milestones.0.clock" in invalid.content.decode() and Policy.objects.count() == 1

    doc = {**active.document, "title": "客户抱怨与投诉处理控制程序（2027 修订）"}
    done = admin_client.post(
        "/admin/policy/policy/load/", {"document": yaml.safe_dump(doc, allow_unicode=True)}
    )
    assert done.status_code == 302
    new = Policy.objects.get(is_active=True)
    assert new.version == active.version + 1 and new.title.endswith("修订）")
    assert not Policy.objects.get(pk=active.pk).is_active
