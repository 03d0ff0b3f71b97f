"""Pages of deals: the board, its columns and moves, the list, a deal, the card's section."""

import pytest
from django.test import Client

from kartoteka.deals.models import Deal
from tests.factories import make_contact, make_deal, sales_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def sales_client(sales):
    client = Client()
    client.force_login(sales)
    return client


def _stage(key):
    return sales_pipeline().stages.get(key=key)


def test_board_shows_columns_with_counts_totals_and_weighted_totals(admin_client):
    make_deal(amount="1000", stage=_stage("proposal").pk)
    make_deal(amount="500", stage=_stage("proposal").pk)
    page = admin_client.get("/deals/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1,500.00" in html and "750.00" in html


def test_board_totals_each_currency_apart_and_never_adds_them_together(admin_client):
    proposal = _stage("proposal")
    make_deal(amount="1000", currency="EUR", stage=proposal.pk)
    make_deal(amount="400", currency="PLN", stage=proposal.pk)
    make_deal(amount="600", currency="PLN", stage=proposal.pk)
    html = admin_client.get("/deals/").content.decode()
    column = html.split(f'data-stage="{proposal.pk}"')[1].split("</header>")[0]
    assert "€1,000.00" in column and "PLN" in column and "1,000.00" in column
    assert "2,000.00" not in column and "1,400.00" not in column
    assert column.index("€1,000.00") < column.index("PLN")  # the workspace's currency first


def test_board_move_from_a_card_answers_json_with_new_column_totals(admin_client):
    deal = make_deal(amount="200")
    answer = admin_client.post(
        f"/deals/{deal.pk}/move/",
        {"stage": _stage("qualified").pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["version"] == 2
    qualified = body["columns"][str(_stage("qualified").pk)]
    assert qualified["count"] == 1
    assert qualified["totals"] == [{"currency": "EUR", "total": "200.00", "weighted": "50.00"}]
    assert "€200.00" in qualified["stats"] and "€50.00" in qualified["stats"]


def test_board_move_answers_the_two_columns_it_changed_in_the_boards_filters(
    admin_client, admin, sales
):
    deal = make_deal(amount="200", owner=sales)
    make_deal(amount="900", owner=admin)
    make_deal(amount="50", owner=sales, stage=_stage("proposal").pk)
    new, qualified = _stage("new"), _stage("qualified")
    answer = admin_client.post(
        f"/deals/{deal.pk}/move/?owner={sales.username}",
        {"stage": qualified.pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    columns = answer.json()["columns"]
    assert set(columns) == {str(new.pk), str(qualified.pk)}
    assert (columns[str(new.pk)]["count"], columns[str(new.pk)]["totals"]) == (0, [])
    assert columns[str(qualified.pk)]["count"] == 1


def test_board_move_with_a_stale_version_is_refused(admin_client):
    deal = make_deal()
    admin_client.post(f"/deals/{deal.pk}/move/", {"stage": _stage("qualified").pk, "version": 1})
    answer = admin_client.post(
        f"/deals/{deal.pk}/move/",
        {"stage": _stage("proposal").pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 409
    assert Deal.objects.get(pk=deal.pk).stage.key == "qualified"


def test_column_loads_more_cards_after_the_first_page(admin_client):
    deals = [make_deal(name=f"Deal number {i}") for i in range(25)]
    first = admin_client.get("/deals/").content.decode()
    assert "Deal number 24" in first and "Deal number 4" not in first
    more = admin_client.get(
        f"/deals/board/{_stage('new').pipeline_id}/stages/{_stage('new').pk}/more/",
        {"after": deals[5].pk},
    ).content.decode()
    assert "Deal number 4" in more and "Deal number 5" not in more


def test_list_exports_the_filtered_deals_to_xlsx(admin_client):
    from io import BytesIO

    from openpyxl import load_workbook

    make_deal(name="Kept")
    won = make_deal(name="Closed")
    admin_client.post(f"/deals/{won.pk}/move/", {"stage": _stage("won").pk})
    answer = admin_client.get("/deals/list/export/", {"status": "open"})
    rows = list(load_workbook(BytesIO(answer.content)).active.values)
    assert [r[1] for r in rows[1:]] == ["Kept"]


def test_export_names_stages_and_statuses_in_the_users_language(admin):
    from io import BytesIO

    from openpyxl import load_workbook

    make_deal(name="Offered", stage=_stage("proposal").pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(admin)
    answer = client.get("/deals/list/export/")
    header, row = list(load_workbook(BytesIO(answer.content)).active.values)
    exported = dict(zip(header, row, strict=True))
    assert (exported["pipeline"], exported["stage"], exported["status"]) == (
        "Sprzedaż",
        "Wysłanie oferty",
        "Otwarte",
    )


def test_list_bulk_moves_the_chosen_deals(admin_client):
    deals = [make_deal() for _ in range(3)]
    admin_client.post(
        "/deals/list/bulk/",
        {"ids": [deals[0].pk, deals[1].pk], "action": "move", "value": _stage("proposal").pk},
    )
    stages = [Deal.objects.get(pk=d.pk).stage.key for d in deals]
    assert stages == ["proposal", "proposal", "new"]


def test_add_deal_from_the_card_is_pre_filled_with_the_contact(admin_client):
    contact = make_contact(first_name="Lucía", last_name="Pérez")
    page = admin_client.get("/deals/new/", {"contact": contact.pk})
    assert "Lucía Pérez" in page.content.decode()
    admin_client.post(
        f"/deals/new/?contact={contact.pk}",
        {"name": "Renewal 2027", "amount": "90", "currency": "EUR", "contacts": contact.pk},
    )
    deal = Deal.objects.get(name="Renewal 2027")
    assert list(deal.contact_links.values_list("contact_id", "is_primary")) == [(contact.pk, True)]


def test_card_section_lists_the_contacts_deals_with_stage_and_amount(admin_client):
    contact = make_contact()
    make_deal(contacts=[contact], name="Fleet renewal", amount="4321")
    section = admin_client.get(f"/contacts/{contact.pk}/sections/deals/")
    html = section.content.decode()
    assert "Fleet renewal" in html and "4,321.00" in html and "New" in html


def test_sales_tab_lists_the_contacts_deals(admin_client):
    contact = make_contact()
    make_deal(contacts=[contact], name="Fleet renewal")
    assert "Fleet renewal" in admin_client.get(f"/contacts/{contact.pk}/deals/").content.decode()


def test_deal_page_shows_history_with_days_in_previous_stage(admin_client):
    deal = make_deal()
    admin_client.post(
        f"/deals/{deal.pk}/move/", {"stage": _stage("lost").pk, "reason": "Budget cut"}
    )
    html = admin_client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Budget cut" in html and "days in the stage before" in html


def test_pipelines_page_is_for_admins_only(sales_client, admin_client):
    assert sales_client.get("/deals/pipelines/").status_code == 404
    assert admin_client.get("/deals/pipelines/").status_code == 200


def test_pipelines_page_reorders_stages_by_position(admin_client):
    pipeline = sales_pipeline()
    stages = list(pipeline.stages.all())
    form = {"pipeline": pipeline.pk, "name": "Sales", "rows": len(stages)}
    for i, stage in enumerate(stages):
        form.update(
            {
                f"s{i}_id": stage.pk,
                f"s{i}_name": stage.label,
                f"s{i}_probability": stage.probability,
                f"s{i}_kind": stage.kind,
                f"s{i}_position": len(stages) - i,
            }
        )
    assert admin_client.post("/deals/pipelines/", form).status_code == 302
    assert [s.key for s in pipeline.stages.all()] == [s.key for s in reversed(stages)]


def test_reports_page_renders_charts_and_tables(admin_client):
    deal = make_deal(amount="300", expected_close_date="2026-12-20")
    won = make_deal(amount="700")
    admin_client.post(f"/deals/{won.pk}/move/", {"stage": _stage("won").pk})
    assert deal
    page = admin_client.get("/deals/reports/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<svg class="chart chart-hbars"') == 7 and "700.00" in html


def test_report_exports_every_table_to_xlsx(admin_client):
    from io import BytesIO

    from openpyxl import load_workbook

    make_deal()
    answer = admin_client.get("/deals/reports/export/")
    assert len(load_workbook(BytesIO(answer.content)).sheetnames) == 7


def test_contact_list_deals_column_counts_open_deals(admin, admin_client):
    contact = make_contact(first_name="Columna", last_name="Deals")
    make_deal(contacts=[contact])
    make_deal(contacts=[contact])
    won = make_deal(contacts=[contact])
    admin_client.post(f"/deals/{won.pk}/move/", {"stage": _stage("won").pk})
    admin.preferences = {"list_columns": ["name", "deals"]}
    admin.save()
    html = admin_client.get("/contacts/").content.decode()
    assert "Open deals" in html
    row = html[html.index("Columna Deals") :]
    assert "<td>2</td>" in row[: row.index("</tr>")]
