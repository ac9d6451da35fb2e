"""Batch alerts through the API (SPEC §5, seed 004 三 7, seed 003 §五(一)): quality records
emergency measures with owners, the owners mark them done, quality closes the alert."""

from __future__ import annotations

from kesu.complaints.models import Event, EventKind

BATCH = "PK-20261115-03"


def test_measures_with_owners_then_close(procedure):
    P = procedure("food-distribution", "2026-11-16 09:00")
    people = P.people
    quality, agent = people.quality, people.agent
    owner = people.handlers["quality_control"]
    outsider = people.handlers["finance"]
    c = P.post(
        agent,
        "/complaints",
        {
            "customer_name": "郑晓红",
            "customer_phone": "13921510008",
            "channel": "hotline",
            "category": "food_sensory",
            "description": "今天送的冷鲜猪肉有异味。",
            "product": "冷鲜猪肉",
            "batch_no": BATCH,
        },
        status=201,
    )
    [alert] = P.get(quality, "/batch-alerts")
    assert alert["batch_no"] == BATCH and alert["complaints"] == [c["number"]]
    assert alert["status"] == "open" and alert["measures"] == []
    path = f"/batch-alerts/{alert['id']}"
    # Someone who cannot see any of its complaints cannot see the alert either.
    assert P.get(outsider, "/batch-alerts") == []
    P.get(outsider, path, status=404)
    P.post(outsider, f"{path}/measures", {"kind": "recall", "owner": owner.pk}, status=404)
    # Only quality, executives and managers record measures.
    P.post(agent, f"{path}/measures", {"kind": "recall", "owner": owner.pk}, status=403)
    bad = P.post(quality, f"{path}/measures", {"kind": "burn", "owner": owner.pk}, status=422)
    assert "kind" in str(bad)
    P.post(
        quality,
        f"{path}/measures",
        {"kind": "recall", "owner": owner.pk, "due_at": "2026-11-15T10:00:00+08:00"},
        status=422,  # due in the past
    )

    alert = P.post(
        quality,
        f"{path}/measures",
        {
            "kind": "suspend",
            "owner": owner.pk,
            "description": "暂停配送该批次猪肉并封存库存",
            "due_at": "2026-11-16T12:00:00+08:00",
        },
        status=201,
    )
    [measure] = alert["measures"]
    assert (measure["kind"], measure["owner_id"], measure["done_at"]) == ("suspend", owner.pk, None)
    assert P.sent("batch.measure", to=owner) >= 1

    # Not closed while a measure is open; nobody but its owner (or quality) marks it done.
    refused = P.post(quality, f"{path}/close", {"conclusion": "已处理"}, status=409)
    assert refused["code"] == "rule_not_met"
    P.post(agent, f"{path}/measures/{measure['id']}/done", status=403)
    P.at("2026-11-16 11:00")
    alert = P.post(owner, f"{path}/measures/{measure['id']}/done")
    assert alert["measures"][0]["done_at"] is not None
    P.post(owner, f"{path}/measures/{measure['id']}/done", status=409)

    alert = P.post(quality, f"{path}/close", {"conclusion": "供应商冷链断链，已更换供应商"})
    assert alert["status"] == "closed" and alert["conclusion"].startswith("供应商")
    P.post(quality, f"{path}/measures", {"kind": "inspect", "owner": owner.pk}, status=409)

    # The handlers of the complaint see all of it on its timeline.
    actions = list(
        Event.objects.filter(complaint__number=c["number"], kind=EventKind.BATCH_ALERT)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "batch_measure", "batch_measure", "batch_measure"]
