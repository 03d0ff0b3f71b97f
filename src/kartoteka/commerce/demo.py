"""The demo's purchases: a small catalogue bought by some of the demo contacts over the last
year, a few refunds and coupons, recorded through record_events so totals are kept
(subscriber of "demo.loaded"), as a bulk load (core.bulkload): on PostgreSQL the planner's
statistics follow the event tables as they grow from empty."""

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.commerce import ingest, kinds
from kartoteka.commerce.models import Coupon, EventLine, ExternalEvent, Totals
from kartoteka.commerce.services import generate_coupons, record_events
from kartoteka.core import bulkload
from kartoteka.core.scope import visible_contacts

SEED = 20240604
BUYER_SHARE, REFUND_SHARE, COUPON_SHARE = 0.15, 0.08, 0.1
COUPON_PREFIX = "WELCOME10-"
# (sku, name, category, price)
CATALOGUE = [
    ("CRM-START", "CRM Starter plan (1 year)", "Subscriptions", "290.00"),
    ("CRM-PRO", "CRM Professional plan (1 year)", "Subscriptions", "890.00"),
    ("SEAT-ADD", "Additional user seat", "Subscriptions", "120.00"),
    ("ONBOARD", "Onboarding workshop", "Services", "450.00"),
    ("MIGRATE", "Data migration", "Services", "750.00"),
    ("TRAIN-1H", "Training hour", "Services", "80.00"),
    ("EBOOK-EM", "E-mail marketing handbook", "Books", "19.90"),
    ("TPL-PACK", "Newsletter template pack", "Add-ons", "49.00"),
    ("SMS-1000", "1,000 SMS credits", "Add-ons", "39.00"),
]


def add_demo_purchases(event: str, admin_id: int, **payload: Any) -> None:
    """Purchases of the demo contacts, once (a demo with events recorded adds none)."""
    if ExternalEvent.objects.exists():
        return
    admin = User.objects.get(pk=admin_id)
    rng = random.Random(SEED)
    now = timezone.now()
    raw: list[dict] = []
    coupons: set[int] = set()
    year_ago = now - dt.timedelta(days=365)
    for contact_id, created_at in (
        visible_contacts(admin).order_by("pk").values_list("pk", "created_at")
    ):
        if rng.random() >= BUYER_SHARE:
            continue
        if rng.random() < COUPON_SHARE:
            coupons.add(contact_id)
        for number in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            since = max(created_at, year_ago)
            raw += _purchase(rng, contact_id, number, since, now, contact_id in coupons)
    with transaction.atomic():
        # Each buyer with a coupon gets a code of its own, generated in bulk; their first
        # purchase uses it.
        generate_coupons(
            admin,
            sorted(coupons),
            prefix=COUPON_PREFIX,
            valid_until=None,
            description="10 % off the first order",
        )
        codes = dict(
            Coupon.objects.filter(code__startswith=COUPON_PREFIX).values_list("contact_id", "code")
        )
        for event in raw:
            if "coupon" in event:
                event["coupon"] = codes[event["contact"]["id"]]
    batches = [
        raw[start : start + ingest.MAX_BATCH] for start in range(0, len(raw), ingest.MAX_BATCH)
    ]
    tables = [model._meta.db_table for model in (ExternalEvent, EventLine, Totals)]
    bulkload.load_batches(
        tables,
        batches,
        lambda batch: (
            record_events(admin, batch, create_contacts=False, actor_label="shop").accepted
        ),
    )


def _purchase(
    rng: random.Random,
    contact_id: int,
    number: int,
    since: dt.datetime,
    now: dt.datetime,
    coupon: bool,
) -> list[dict]:
    """One purchase of a few catalogue lines between `since` (the contact's creation or a year
    ago) and now, and its refund now and then."""
    lines = [
        {"sku": sku, "name": name, "category": category, "price": price, "quantity": quantity}
        for (sku, name, category, price), quantity in (
            (item, rng.choice([1, 1, 1, 2, 3])) for item in rng.sample(CATALOGUE, rng.randint(1, 3))
        )
    ]
    value = sum(Decimal(line["price"]) * line["quantity"] for line in lines)
    occurred_at = since + (now - since) * rng.random()
    purchase = {
        "id": f"demo-{contact_id}-{number}",
        "contact": {"id": contact_id},
        "type": kinds.PURCHASE,
        "occurred_at": occurred_at.isoformat(),
        "value": str(value),
        "products": lines,
    }
    if coupon and number == 0:
        purchase["coupon"] = ""  # the code, once generated
    events = [purchase]
    if rng.random() < REFUND_SHARE:
        refunded_at = occurred_at + (now - occurred_at) * rng.random()
        events.append(
            {
                "id": f"demo-{contact_id}-{number}-refund",
                "contact": {"id": contact_id},
                "type": kinds.REFUND,
                "occurred_at": refunded_at.isoformat(),
                "value": str(value),
            }
        )
    return events
