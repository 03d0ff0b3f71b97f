"""The demo's deals: the default pipeline with deals for some of the demo contacts, spread
over every stage (some won, some lost), owned by their contacts' owners (subscriber of
"demo.loaded")."""

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.core.scope import visible_contacts
from kartoteka.deals.models import Deal, Pipeline
from kartoteka.deals.services import DEFAULT_TYPES, create_deals, install_defaults

SEED = 20240605
DEAL_SHARE = 0.05
STAGE_WEIGHTS = {
    "new": 25,
    "qualified": 20,
    "proposal": 18,
    "negotiation": 12,
    "won": 15,
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
    stages = dict(pipeline.stages.filter(retired_at__isnull=True).values_list("key", "pk"))
    rng = random.Random(SEED)
    today = timezone.localdate()
    rows = (
        visible_contacts(admin)
        .order_by("pk")
        .values_list("pk", "last_name", "company__name", "owners__username")
    )
    deals = []
    for contact_id, last_name, company, owner in rows:
        if rng.random() >= DEAL_SHARE:
            continue
        offer, low, high = rng.choice(OFFERS)
        stage = rng.choices(list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values()))[0]
        data = {
            "name": f"{company or last_name} — {offer}",
            "amount": str(rng.randrange(low, high, 50)),
            "owner": owner or admin.username,
            "type": rng.choice(DEFAULT_TYPES),
            "contacts": [contact_id],
            "stage": stages.get(stage),  # none (the first open stage) if renamed
        }
        if stage not in ("won", "lost"):
            data["expected_close_date"] = (
                today + dt.timedelta(days=rng.randint(7, 120))
            ).isoformat()
        deals.append(data)
    create_deals(admin, rows=deals)
