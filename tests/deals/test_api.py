"""The deals API: pipelines (admins), deals with filters and keyset pages, moves with If-Match."""

import pytest

from kartoteka.deals.models import Deal, Pipeline, StageMove
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db


def _sales_pipeline():
    return sales_pipeline()


def _stage(key):
    return _sales_pipeline().stages.get(key=key)


def test_default_sales_pipeline_is_listed_in_the_readers_language(admin_api):
    answer = admin_api.client.get("/api/v1/pipelines", HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 200
    (sales,) = answer.json()
    assert [s["name"] for s in sales["stages"]][:3] == ["Nuevo", "Cualificado", "Enviar propuesta"]


def test_admin_creates_a_pipeline_with_ordered_stages(admin_api):
    answer = admin_api.post(
        "/api/v1/pipelines",
        {
            "name": "Partners",
            "stages": [
                {"name": "Contacted", "probability": 20},
                {"name": "Signed", "probability": 100, "kind": "won"},
            ],
        },
    )
    assert answer.status_code == 201
    assert [(s["name"], s["position"]) for s in answer.json()["stages"]] == [
        ("Contacted", 0),
        ("Signed", 1),
    ]


def test_sales_user_may_not_create_a_pipeline(sales_api):
    answer = sales_api.post("/api/v1/pipelines", {"name": "Mine", "stages": [{"name": "A"}]})
    assert answer.status_code == 403


def test_pipeline_with_a_probability_over_100_is_refused(admin_api):
    answer = admin_api.post(
        "/api/v1/pipelines", {"name": "Bad", "stages": [{"name": "A", "probability": 120}]}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "stages.0.probability"


def test_patch_reorders_renames_and_retires_stages_keeping_history(admin_api):
    pipeline = _sales_pipeline()
    stages = list(pipeline.stages.all())
    deal = make_deal(pipeline=pipeline.pk, stage=stages[1].pk)
    admin_api.post(f"/api/v1/deals/{deal.pk}/move", {"stage": stages[2].pk})
    new_order = [
        {"id": stages[2].pk, "name": "Offer sent", "probability": 60},
        {"id": stages[0].pk, "name": "", "probability": 10},
        {"id": stages[4].pk, "name": "", "probability": 100, "kind": "won"},
        {"id": stages[5].pk, "name": "", "probability": 0, "kind": "lost"},
    ]
    answer = admin_api.patch(f"/api/v1/pipelines/{pipeline.pk}", {"stages": new_order})
    assert answer.status_code == 200, answer.json()
    names = [s["name"] for s in answer.json()["stages"]]
    assert names == ["Offer sent", "New", "Won", "Lost"]
    # The retired "Qualified" stage still appears in the deal's history.
    assert StageMove.objects.filter(deal=deal, from_stage=stages[1]).exists()


def test_a_stage_with_open_deals_cannot_be_retired(admin_api):
    pipeline = _sales_pipeline()
    stages = list(pipeline.stages.all())
    make_deal(pipeline=pipeline.pk, stage=stages[1].pk)
    keep = [{"id": s.pk, "name": "", "probability": s.probability, "kind": s.kind} for s in stages]
    del keep[1]
    answer = admin_api.patch(f"/api/v1/pipelines/{pipeline.pk}", {"stages": keep})
    assert answer.status_code == 422
    assert "Qualified" in answer.json()["errors"][0]["message"]


def test_delete_retires_an_empty_pipeline_and_refuses_one_with_open_deals(admin_api):
    pipeline = _sales_pipeline()
    deal = make_deal()
    assert admin_api.delete(f"/api/v1/pipelines/{pipeline.pk}").status_code == 409
    admin_api.post(f"/api/v1/deals/{deal.pk}/move", {"stage": _stage("won").pk})
    assert admin_api.delete(f"/api/v1/pipelines/{pipeline.pk}").status_code == 204
    assert admin_api.get("/api/v1/pipelines").json() == []
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_create_deal_defaults_to_the_first_open_stage_and_the_actor(admin_api, admin):
    contact = make_contact()
    answer = admin_api.post(
        "/api/v1/deals",
        {"name": "Website", "amount": "1200.50", "currency": "pln", "contacts": [contact.pk]},
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["stage"], body["owner"], body["amount"], body["currency"]) == (
        _stage("new").pk,
        "alba",
        "1200.50",
        "PLN",
    )
    assert body["contacts"] == [{"id": contact.pk, "name": str(contact), "primary": True}]
    assert answer["ETag"] == '"1"'


def test_create_deal_with_bad_fields_names_each_one(admin_api):
    answer = admin_api.post(
        "/api/v1/deals",
        {"name": "", "amount": "-3", "currency": "EURO", "contacts": [999999], "type": "nope"},
    )
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"name", "amount", "currency", "contacts", "type"}
    assert not Deal.objects.exists()


def test_move_records_who_when_and_days_in_the_previous_stage(admin_api, admin):
    deal = make_deal()
    answer = admin_api.post(
        f"/api/v1/deals/{deal.pk}/move",
        {"stage": _stage("lost").pk, "reason": "Chose a competitor"},
        HTTP_IF_MATCH='"1"',
    )
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["close_reason"], answer.json()["version"]) == (
        "lost",
        "Chose a competitor",
        2,
    )
    move = StageMove.objects.filter(deal=deal).last()
    assert (move.moved_by, move.from_stage.key, move.seconds_in_previous >= 0) == (
        admin,
        "new",
        True,
    )


def test_move_with_a_stale_if_match_is_a_conflict(admin_api):
    deal = make_deal()
    admin_api.post(f"/api/v1/deals/{deal.pk}/move", {"stage": _stage("qualified").pk})
    answer = admin_api.post(
        f"/api/v1/deals/{deal.pk}/move", {"stage": _stage("proposal").pk}, HTTP_IF_MATCH='"1"'
    )
    assert answer.status_code == 409
    assert Deal.objects.get(pk=deal.pk).stage.key == "qualified"


def test_move_to_a_stage_of_another_pipeline_is_refused(admin_api):
    deal = make_deal(pipeline=_sales_pipeline().pk)
    other = admin_api.post("/api/v1/pipelines", {"name": "Other", "stages": [{"name": "A"}]}).json()
    answer = admin_api.post(f"/api/v1/deals/{deal.pk}/move", {"stage": other["stages"][0]["id"]})
    assert answer.status_code == 422


def test_patch_with_stale_version_is_a_conflict(admin_api):
    deal = make_deal()
    assert admin_api.patch(f"/api/v1/deals/{deal.pk}", {"amount": 5}).status_code == 200
    answer = admin_api.patch(f"/api/v1/deals/{deal.pk}", {"amount": 7}, HTTP_IF_MATCH='"1"')
    assert answer.status_code == 409
    assert str(Deal.objects.get(pk=deal.pk).amount) == "5.00"


def test_list_filters_by_status_and_pages_by_keyset(admin_api):
    deals = [make_deal() for _ in range(5)]
    admin_api.post(f"/api/v1/deals/{deals[0].pk}/move", {"stage": _stage("won").pk})
    first = admin_api.get("/api/v1/deals", status="open", limit=2).json()
    second = admin_api.get("/api/v1/deals", status="open", limit=2, cursor=first["next_cursor"])
    ids = [d["id"] for d in first["items"] + second.json()["items"]]
    assert ids == [deals[4].pk, deals[3].pk, deals[2].pk, deals[1].pk]
    assert second.json()["next_cursor"] is None


def test_list_filters_by_contact(admin_api):
    contact = make_contact()
    mine = make_deal(contacts=[contact])
    make_deal()
    answer = admin_api.get("/api/v1/deals", contact=contact.pk).json()
    assert [d["id"] for d in answer["items"]] == [mine.pk]


def test_contact_deals_lists_open_ones_first(admin_api):
    contact = make_contact()
    won = make_deal(contacts=[contact])
    admin_api.post(f"/api/v1/deals/{won.pk}/move", {"stage": _stage("won").pk})
    still_open = make_deal(contacts=[contact])
    answer = admin_api.get(f"/api/v1/contacts/{contact.pk}/deals").json()
    assert [d["id"] for d in answer] == [still_open.pk, won.pk]


def test_delete_deal_leaves_an_entry_on_its_contacts_timeline(admin_api):
    contact = make_contact()
    deal = make_deal(contacts=[contact])
    assert admin_api.delete(f"/api/v1/deals/{deal.pk}").status_code == 204
    kinds = [a.kind for a in contact.activities.all()]
    assert "deal_deleted" in kinds and "deal_created" in kinds


def test_first_use_makes_the_sales_pipeline_once(admin_api):
    Deal.objects.all().delete()
    Pipeline.objects.all().delete()
    admin_api.get("/api/v1/pipelines")
    admin_api.get("/api/v1/pipelines")
    assert list(Pipeline.objects.values_list("key", flat=True)) == ["sales"]


def test_pipeline_report_covers_only_the_callers_deals(sales_api, sales, other_sales):
    make_deal(owner=sales, amount="100", stage=_stage("proposal").pk)
    make_deal(owner=other_sales, amount="900", stage=_stage("proposal").pk)
    answer = sales_api.get("/api/v1/reports/pipeline", **{"from": "2020-01-01"})
    assert answer.status_code == 200, answer.json()
    proposal = next(r for r in answer.json()["by_stage"] if r["stage"] == "Send proposal")
    assert (proposal["deals"], proposal["value"], proposal["weighted"]) == (1, "100.00", "50.00")


def test_pipeline_report_with_the_end_before_the_start_is_refused(admin_api):
    answer = admin_api.get("/api/v1/reports/pipeline", **{"from": "2026-05-01", "to": "2026-01-01"})
    assert answer.status_code == 422
