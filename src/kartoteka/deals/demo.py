"""The demo's deals: the default pipeline with deals for some of the demo contacts, spread
over every stage (won for the contacts who are clients, lost or open for the others), owned by
their contacts' owners, written in bulk, as a bulk load (core.bulkload): on PostgreSQL the
planner's statistics follow the deal tables as they grow from empty (subscriber of
"demo.loaded")."""

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.contacts.models import Status
from kartoteka.core import bulkload
from kartoteka.core.scope import visible_contacts
from kartoteka.deals.models import Deal, DealContact, DealType, Pipeline, StageKind, StageMove
from kartoteka.deals.services import DEFAULT_TYPES, NewDeal, create_resolved_deals, install_defaults

SEED = 20240605
BATCH = 5000
DEAL_SHARE = 0.05
# The stages of the deals of contacts who are not clients; a client's deal is won, which keeps
# about 15 % of the deals won (the clients' share of the demo contacts).
STAGE_WEIGHTS = {
    "new": 25,
    "qualified": 20,
    "proposal": 18,
    "negotiation": 12,
    "lost": 10,
}
OFFERS = [
    ("CRM rollout", 4000, 25000),
    ("Annual licence", 900, 9000),
    ("Licence renewal", 800, 6000),
    ("Extra seats", 300, 3000),
    ("Onboarding and training", 1200, 5000),
    ("Data migration", 1500, 8000),
    ("E-mail marketing package", 600, 4000),
    ("Integration project", 3000, 20000),
]


def add_demo_deals(event: str, admin_id: int, **payload: Any) -> None:
    """Deals of the demo contacts, once (a demo with deals adds none)."""
    if Deal.objects.exists():
        return
    admin = User.objects.get(pk=admin_id)
    install_defaults()
    # The first pipeline's stages: the pipeline a new deal goes to.
    pipeline = Pipeline.objects.filter(retired_at__isnull=True).first()
    stages = {s.key: s for s in pipeline.stages.filter(retired_at__isnull=True)}
    # A renamed stage is left out: its deals go to the first open stage.
    first_open = next(s for s in stages.values() if s.kind == StageKind.OPEN)
    types = {t.key: t for t in DealType.objects.filter(retired_at__isnull=True)}
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    rng = random.Random(SEED)
    today = timezone.localdate()
    rows = (
        visible_contacts(admin)
        .order_by("pk")
        .values_list("pk", "last_name", "company__name", "owners__username", "status")
    )
    deals = []
    for contact_id, last_name, company, owner, status in rows:
        if rng.random() >= DEAL_SHARE:
            continue
        offer, low, high = rng.choice(OFFERS)
        stage = (
            "won"
            if status == Status.WON
            else rng.choices(list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values()))[0]
        )
        amount = Decimal(rng.randrange(low, high, 50))
        deal_type = types.get(rng.choice(DEFAULT_TYPES))
        closes = None
        if stage not in ("won", "lost"):
            closes = today + dt.timedelta(days=rng.randint(7, 120))
        deals.append(
            NewDeal(
                name=f"{company or last_name} — {offer}",
                amount=amount,
                owner=users.get(owner, admin),
                type=deal_type,
                stage=stages.get(stage, first_open),
                contact_id=contact_id,
                expected_close_date=closes,
            )
        )
    batches = [deals[start : start + BATCH] for start in range(0, len(deals), BATCH)]
    tables = [model._meta.db_table for model in (Deal, DealContact, StageMove)]
    bulkload.load_batches(
        tables, batches, lambda batch: len(create_resolved_deals(admin, deals=batch))
    )
